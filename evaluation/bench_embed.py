"""Embedding throughput and single-query latency of the encoder (``matcher bench embed``).

    matcher bench embed                                   # 600 real job texts, the default variants
    matcher bench embed --texts 300 --variants default doc96 doc64 --threads 2 --out out/bench_embed.json

Texts: ``job_text`` of real postings from ``../shared/data`` (title twice, skills, 160 characters of
description: what ingestion embeds), or generated sample jobs when that folder is absent. Every
variant embeds the same texts in one run, so the ratios between variants hold even on a busy
machine (the absolute texts/s do not: say how loaded the machine was).

Variants (``--variants``):

* ``default``: the encoder exactly as the settings configure it (``MATCHER_ENCODER``,
  ``MATCHER_ENCODER_PRECISION``, ``MATCHER_DOCUMENT_MAX_TOKENS``): what ingestion runs; its texts/s
  is printed last, against the target of 200 texts/s;
* ``fp32``: the encoder in fp32 (batch path: texts sorted by length, each mini-batch padded to its
  longest text only; one query through ONNX Runtime when it agrees with torch, see
  ``matcher/features/onnx_query.py``);
* ``auto``: the configured default precision (bf16 autocast on CPUs with native bf16);
* ``torch-query``: fp32 with one query through torch instead of ONNX Runtime;
* ``SPEC:VARIANT``: another encoder in the same run, e.g. ``e5-base:fp32`` (the model without the
  job-domain adapter);
* ``int8``: ``encoder_precision=int8`` (dynamic int8 linear layers);
* ``docN``: the default precision with documents cut to N tokens (``document_max_tokens=N``, as
  ``MATCHER_DOCUMENT_MAX_TOKENS=N`` does); ``fp32-docN``, ``int8-docN``: another precision with it;
* ``seqN``: fp32 with the model's ``max_seq_length`` cut to N tokens (queries too; default 256);
* ``int8-seqN``: both.

Every variant but ``default`` and ``docN`` embeds documents uncut (the model's limit), whatever the
settings say; ``fp32`` (uncut) always runs first and is the reference of the agreement columns.

For each: texts/s on ``--threads`` threads, one query's p50/p90 latency on one thread, and the
agreement with ``fp32`` (mean and minimum cosine of the same text's two vectors, and the share of
each text's 10 nearest other texts that stay the same).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
#: Ingestion target (issue 13): job texts per second on 2 cores with the default encoder.
TARGET_TEXTS_PER_S = 200.0
QUERIES = ("想找个看大门的活", "会电焊，想进厂", "叉车司机", "带过孩子，想做育儿嫂", "饭堂做饭的活", "仓库管理员",
           "会开车，C1驾照", "收银员", "小区保洁", "想做电工，有电工证")


def job_texts(limit: int, seed: int = 0) -> list[str]:
    from matcher.features.profiles import job_text

    path = SHARED / "job_postings_cn_2024_2025.csv.gz"
    if path.exists():
        import pandas as pd

        df = pd.read_csv(path, usecols=["职位", "职位描述", "技能"], low_memory=False)
        df = df.dropna(subset=["职位"]).sample(n=min(limit, len(df)), random_state=seed)
        return [job_text({"title": t, "description": d if isinstance(d, str) else "",
                          "skills": [s for s in str(sk).split(",") if s and sk == sk]})
                for t, d, sk in zip(df["职位"], df["职位描述"], df["技能"], strict=True)]
    from matcher.data.sample import generate  # only without the shared data

    return [job_text(j) for j in generate(seed=seed, n_jobs=limit, n_seekers=1).jobs][:limit]


def _load_avg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def sample_texts(limit: int, seed: int = 0) -> list[str]:
    from matcher.data.sample import generate
    from matcher.features.profiles import job_text

    return [job_text(j) for j in generate(seed=seed + 1, n_jobs=limit, n_seekers=1).jobs][:limit]


def variant_options(variant: str) -> tuple[str | None, str, int | None]:
    """``(spec or None, precision, document_max_tokens)`` of a variant name (see the module doc);
    ``document_max_tokens`` None: the settings' value."""
    spec = None
    if ":" in variant:  # another encoder in the same run, e.g. e5-base:fp32
        spec, variant = variant.split(":", 1)
    if variant == "default":
        from matcher.settings import load_settings

        return spec, load_settings().encoder_precision, None
    cap = 0
    base, sep, tail = variant.rpartition("doc")
    if sep and tail.isdigit() and base in ("", "auto-", "fp32-", "int8-"):
        variant, cap = base.rstrip("-") or "auto", int(tail)
    precision = "int8" if variant.startswith("int8") else ("auto" if variant == "auto" else "fp32")
    return spec, precision, cap


def measure(spec: str, cache: str | None, variant: str, texts: list[str], threads: int, batch: int,
            n_queries: int) -> tuple[dict, np.ndarray]:
    from matcher.features.encoder import open_encoder

    other, precision, cap = variant_options(variant)
    spec = other or spec
    enc = open_encoder(spec, cache, batch_threads=threads, query_threads=1, precision=precision,
                       query_runtime="torch" if variant.endswith("torch-query") else "auto",
                       document_max_tokens=cap)
    if "seq" in variant:
        enc.model.max_seq_length = int(variant.rsplit("seq", 1)[1])
    enc.encode_documents(texts[:8])  # warm-up
    t0 = time.perf_counter()
    vecs = enc.encode_documents(texts, batch_size=batch)
    secs = time.perf_counter() - t0
    lat = []
    for i in range(n_queries):
        q = QUERIES[i % len(QUERIES)]
        t1 = time.perf_counter()
        enc.encode_query(q)
        lat.append((time.perf_counter() - t1) * 1000)
    row = {"variant": variant, "encoder": enc.name, "query_runtime": "onnx" if enc._onnx is not None else "torch", "texts": len(texts), "seconds": round(secs, 2),
           "texts_per_s": round(len(texts) / secs, 1),
           "query_ms_p50": round(float(np.percentile(lat, 50)), 2) if lat else None,
           "query_ms_p90": round(float(np.percentile(lat, 90)), 2) if lat else None, "max_seq_length": enc.max_seq_length,
           "document_max_tokens": enc.document_max_tokens or enc.max_seq_length}
    return row, vecs


def agreement(ref: np.ndarray, vecs: np.ndarray, k: int = 10) -> dict:
    cos = np.sum(ref * vecs, axis=1)
    def knn(v):
        s = v @ v.T
        np.fill_diagonal(s, -np.inf)
        return np.argsort(-s, axis=1)[:, :k]
    a, b = knn(ref), knn(vecs)
    overlap = np.mean([len(set(x) & set(y)) / k for x, y in zip(a, b, strict=True)])
    return {"cosine_mean": round(float(cos.mean()), 5), "cosine_min": round(float(cos.min()), 5),
            f"knn{k}_overlap": round(float(overlap), 4)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="matcher bench embed", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--texts", type=int, default=600)
    p.add_argument("--threads", type=int, default=2, help="threads for batch embedding (default 2)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--queries", type=int, default=50, help="single queries timed per variant (0: none)")
    p.add_argument("--variants", nargs="+", default=["default", "doc128", "doc96", "doc64"])
    p.add_argument("--encoder", default=None, help="encoder spec (default: the configured one, MATCHER_ENCODER)")
    p.add_argument("--model-cache", default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--sample", action="store_true",
                   help="the generated Hebei sample's job texts (what `make demo` embeds) instead of real postings")
    p.add_argument("--out", default="out/bench_embed.json")
    a = p.parse_args(argv)
    import torch

    if a.encoder is None:
        from matcher.settings import load_settings

        a.encoder = load_settings().encoder

    texts = sample_texts(a.texts, a.seed) if a.sample else job_texts(a.texts, a.seed)
    chars = [len(t) for t in texts]
    print(f"{len(texts)} 条岗位文本 job texts, 中位 median {int(np.median(chars))} 字 chars; "
          f"threads {a.threads}; load avg {_load_avg()}")
    variants = list(dict.fromkeys(["fp32", *a.variants]))
    rows, ref = [], None
    for v in variants:
        row, vecs = measure(a.encoder, a.model_cache, v, texts, a.threads, a.batch_size, a.queries)
        if ref is None:
            ref = vecs
        row.update(agreement(ref, vecs))
        row["speedup_vs_fp32"] = round(row["texts_per_s"] / rows[0]["texts_per_s"], 2) if rows else 1.0
        row["load_avg_after"] = _load_avg()
        rows.append(row)
        print(f"  {v:<14} {row['texts_per_s']:>7} texts/s (x{row['speedup_vs_fp32']})  query ({row['query_runtime']}) p50 "
              f"{row['query_ms_p50']} ms p90 {row['query_ms_p90']} ms  cos mean {row['cosine_mean']} min "
              f"{row['cosine_min']}  knn10 overlap {row['knn10_overlap']}  tokens {row['document_max_tokens']}  "
              f"load {row['load_avg_after'][:1]}", flush=True)
    result = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "torch": torch.__version__,
                          "python": platform.python_version()},
              "parameters": vars(a) | {"median_chars": int(np.median(chars))}, "variants": rows}
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    for row in rows:
        if row["variant"] == "default":
            met = "达到 met" if row["texts_per_s"] >= TARGET_TEXTS_PER_S else "未达到 not met"
            print(f"默认编码器 default encoder {row['encoder']}: {row['texts_per_s']} texts/s on {a.threads} threads "
                  f"(目标 target ≥ {TARGET_TEXTS_PER_S:g}: {met}; load avg {row['load_avg_after']})")
    print(f"JSON: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
