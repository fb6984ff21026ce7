"""Match latency, index build and embedding throughput at province scale.

    python -m evaluation.bench_match --jobs 100000 --seekers 5000 --queries 300

How the collection is made (so the numbers can be reproduced and judged): jobs and seekers come
from the sample generator (real Hebei places, generated postings). ``--unique`` of their texts
are embedded for real with the configured encoder; every other record gets the real vector of a
record with the same title plus small Gaussian noise ("real vectors with noise"), written into the
store's embedding table under its own text hash, so the engine builds its index exactly as it would
in production without spending an hour embedding. Embedding throughput is measured separately on
real postings from ../shared/data when that folder is present.

Prints a table and writes JSON with the machine and parameters. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> dict:
    import faiss
    import torch

    return {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "torch": torch.__version__, "faiss": faiss.__version__, "processor": platform.processor()}


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def real_texts(limit: int) -> list[str]:
    import csv

    path = SHARED / "job_postings_hebei.csv"
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    from matcher.features.profiles import job_text

    return [job_text({"title": r["职位"], "description": r["职位描述"], "skills": r.get("技能", "").split(",")})
            for r in rows][:limit]


def embed_with_noise(engine, kind: str, records: list[dict], unique: int, rng: random.Random, sigma: float) -> dict:
    """Embed up to ``unique`` records for real; give the rest a same-title vector plus noise."""
    from sqlalchemy import delete

    from matcher.engine import text_hash
    from matcher.store.schema import embeddings

    prof = engine.ctx.profiler
    texts = [(prof.job(r) if kind == "job" else prof.seeker(r)).text for r in records]
    key = [r.get("title") or "、".join(r.get("desired_occupations") or []) for r in records]
    chosen: dict[str, int] = {}
    for i in rng.sample(range(len(records)), len(records)):
        if key[i] not in chosen:
            chosen[key[i]] = i
        if len(chosen) >= unique:
            break
    idx = list(chosen.values())
    enc = engine.encoder
    t0 = time.perf_counter()
    encode = enc.encode_documents if kind == "job" else enc.encode_queries
    real = encode([texts[i] for i in idx], show_progress=True)
    secs = time.perf_counter() - t0
    by_key = {key[i]: real[n] for n, i in enumerate(idx)}
    pool = list(by_key.values())
    nrng = np.random.default_rng(rng.randrange(1 << 30))
    vecs = np.empty((len(records), enc.dim), dtype=np.float32)
    for i, k in enumerate(key):
        base = by_key.get(k)
        if base is None:
            base = pool[i % len(pool)]
        v = base + nrng.normal(0, sigma, enc.dim).astype(np.float32)
        vecs[i] = v / np.linalg.norm(v)
    for n, i in enumerate(idx):
        vecs[i] = real[n]
    with engine.store.engine.begin() as conn:
        conn.execute(delete(embeddings).where(embeddings.c.kind == kind))
        rows = [{"kind": kind, "id": r["id"], "encoder": enc.name, "text_hash": text_hash(t), "vector": v.tobytes()}
                for r, t, v in zip(records, texts, vecs, strict=True)]
        for j in range(0, len(rows), 5000):
            conn.execute(embeddings.insert(), rows[j : j + 5000])
    return {"embedded": len(idx), "embed_seconds": round(secs, 2), "texts_per_s": round(len(idx) / secs, 1)}


def load_sample(engine, sample, batch: int = 20_000) -> float:
    """Write a generated sample straight into the store (no index sync); returns seconds taken."""
    from matcher.engine import coerce_records

    t0 = time.perf_counter()
    for kind, recs in (("station", sample.stations), ("employer", sample.employers), ("job", sample.jobs),
                       ("seeker", sample.seekers)):
        for j in range(0, len(recs), batch):
            engine.store.upsert(kind, coerce_records(kind, recs[j : j + batch]))
    return round(time.perf_counter() - t0, 1)


def run(args) -> dict:
    import faiss
    import torch

    from matcher.data.sample import generate
    from matcher.engine import MatchEngine

    rng = random.Random(args.seed)
    home = Path(args.home or tempfile.mkdtemp(prefix="matcher-bench-"))
    result: dict = {"machine": machine(), "params": vars(args).copy(), "home": str(home)}
    t0 = time.perf_counter()
    sample = generate(seed=args.seed, n_jobs=args.jobs, n_seekers=args.seekers)
    result["generate_s"] = round(time.perf_counter() - t0, 1)
    engine = MatchEngine.open(home=home, model_cache=args.model_cache, sync_interval=3600)
    result["store_load_s"] = load_sample(engine, sample)

    texts = real_texts(args.real_texts)
    if texts:
        enc = engine.encoder
        enc.encode_documents(texts[:16])
        t0 = time.perf_counter()
        enc.encode_documents(texts, batch_size=32)
        result["embed_real_texts_per_s"] = round(len(texts) / (time.perf_counter() - t0), 1)
        result["embed_real_texts"] = len(texts)
        lat = []
        for t in texts[:50]:
            t1 = time.perf_counter()
            enc.encode_queries([t])
            lat.append((time.perf_counter() - t1) * 1000)
        result["embed_one_query_ms_p50"] = round(pct(lat, 50), 1)

    result["jobs_embedding"] = embed_with_noise(engine, "job", sample.jobs, args.unique, rng, args.noise)
    result["seekers_embedding"] = embed_with_noise(engine, "seeker", sample.seekers, args.unique, rng, args.noise)

    before = rss_mb()
    t0 = time.perf_counter()
    sizes = engine.rebuild_index(show_progress=True)
    result["index_build_s"] = round(time.perf_counter() - t0, 1)
    result["index_sizes"] = sizes
    result["rss_mb_after_build"] = round(rss_mb(), 0)
    result["rss_mb_index_and_tables"] = round(rss_mb() - before, 0)
    result["index_kind"] = engine.index_info(load=True)["jobs"]["index_kind"]

    torch.set_num_threads(1)
    faiss.omp_set_num_threads(1)
    active = [s["id"] for s in sample.seekers if s["status"] != "employed"]
    qs = rng.sample(active, min(args.queries, len(active)))
    for q in qs[:10]:
        engine.match_jobs(q, k=20)  # warm
    lat = []
    for q in qs:
        t1 = time.perf_counter()
        engine.match_jobs(q, k=20)
        lat.append((time.perf_counter() - t1) * 1000)
    result["match_stored_seeker_ms"] = {"p50": round(pct(lat, 50), 2), "p99": round(pct(lat, 99), 2), "n": len(lat)}

    adhoc = [dict(sample.seekers[rng.randrange(len(sample.seekers))], id="adhoc") for _ in range(min(60, args.queries))]
    lat = []
    for p in adhoc:
        t1 = time.perf_counter()
        engine.match_jobs(p, k=20)
        lat.append((time.perf_counter() - t1) * 1000)
    result["match_adhoc_profile_ms"] = {"p50": round(pct(lat, 50), 2), "p99": round(pct(lat, 99), 2), "n": len(lat)}

    jobs_open = [j["id"] for j in sample.jobs if j["status"] == "open"]
    lat = []
    for j in rng.sample(jobs_open, min(args.queries, len(jobs_open))):
        t1 = time.perf_counter()
        engine.match_candidates(j, k=20)
        lat.append((time.perf_counter() - t1) * 1000)
    result["candidates_stored_job_ms"] = {"p50": round(pct(lat, 50), 2), "p99": round(pct(lat, 99), 2), "n": len(lat)}
    engine.close()
    return result


def print_table(r: dict) -> None:
    rows = [
        ("jobs / seekers", f"{r['params']['jobs']:,} / {r['params']['seekers']:,}"),
        ("index type (jobs)", r.get("index_kind")),
        ("embedding, real Hebei postings", f"{r.get('embed_real_texts_per_s', 'n/a')} texts/s"),
        ("embedding one query (1 thread)", f"{r.get('embed_one_query_ms_p50', 'n/a')} ms"),
        ("index build (both sides)", f"{r['index_build_s']} s"),
        ("memory: index + tables", f"{r['rss_mb_index_and_tables']:.0f} MB (process {r['rss_mb_after_build']:.0f} MB)"),
        ("match, stored seeker p50 / p99", f"{r['match_stored_seeker_ms']['p50']} / {r['match_stored_seeker_ms']['p99']} ms"),
        ("match, ad-hoc profile p50 / p99", f"{r['match_adhoc_profile_ms']['p50']} / {r['match_adhoc_profile_ms']['p99']} ms"),
        ("candidates, stored job p50 / p99", f"{r['candidates_stored_job_ms']['p50']} / {r['candidates_stored_job_ms']['p99']} ms"),
    ]
    width = max(len(a) for a, _ in rows)
    for a, b in rows:
        print(f"{a:<{width}}  {b}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--jobs", type=int, default=100_000)
    p.add_argument("--seekers", type=int, default=5_000)
    p.add_argument("--queries", type=int, default=300)
    p.add_argument("--unique", type=int, default=400, help="records per side embedded for real")
    p.add_argument("--noise", type=float, default=0.02)
    p.add_argument("--real-texts", type=int, default=295)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--home", default=None)
    p.add_argument("--model-cache", default=None)
    p.add_argument("--out", default="bench_match.json")
    args = p.parse_args(argv)
    result = run(args)
    print_table(result)
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"JSON: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
