"""Benchmark of candidate vector indexes on clustered synthetic embeddings.

    python -m evaluation.bench_index --sizes 100000 1000000 --dim 384 [--out var/bench_index.json]

For each size it compares, on the same data and queries:

* ``flat``  - exact search as ``FaissIndex`` does it below ``exact_max`` (SIMD scan of the raw vectors);
* ``ivf``   - ``FaissIndex`` above ``exact_max``: IndexIVFFlat, inner product, nlist ≈ 4·sqrt(N),
  at several ``nprobe`` (the default one is marked ``*``);
* ``hnsw``  - IndexHNSWFlat (inner product) at several ``efSearch``;

reporting build seconds, resident memory added by the index (MB), single-thread p50/p99 latency of
a k=200 candidate query (ms), recall@10 and recall@200 against exact search, and the time to apply
10k updates (remove 10k + add 10k new records; the index is searchable when the call returns). A
second table measures ``allowed``-mask strategies at several selectivities. Everything is written to
JSON with the machine description and parameters.

The data imitate text embeddings rather than uniform noise: ``n_centres`` cluster centres (random
unit vectors pulled towards one of ``n_topics`` topic directions, so related clusters are close),
Zipf-distributed cluster sizes (a few big job categories, a long tail), and within a cluster a
low-rank spread (``rank`` random directions per cluster, norm ``spread``) plus isotropic noise
(``iso``), L2-normalised. Queries are fresh draws from the same distribution.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

K_CANDIDATES = 200


# -- data ---------------------------------------------------------------------------------------------
def clustered_vectors(
    n: int,
    dim: int = 384,
    *,
    n_centres: int = 2000,
    n_topics: int = 100,
    rank: int = 32,
    spread: tuple[float, float] = (0.5, 1.2),
    iso: float = 0.3,
    zipf: float = 0.7,
    topic_weight: float = 0.8,
    seed: int = 0,
) -> np.ndarray:
    """``n`` L2-normalised float32 vectors in clusters that look like text-embedding neighbourhoods."""
    rng = np.random.default_rng(seed)
    topics = rng.standard_normal((n_topics, dim)).astype(np.float32)
    topics /= np.linalg.norm(topics, axis=1, keepdims=True)
    own = rng.standard_normal((n_centres, dim)).astype(np.float32)
    own /= np.linalg.norm(own, axis=1, keepdims=True)
    centres = topic_weight * topics[rng.integers(0, n_topics, n_centres)] + own
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    weights = 1.0 / np.arange(1, n_centres + 1) ** zipf
    weights = weights[rng.permutation(n_centres)] / weights.sum()
    assign = rng.choice(n_centres, size=n, p=weights)
    order = np.argsort(assign, kind="stable")
    counts = np.bincount(assign, minlength=n_centres)
    out = np.empty((n, dim), dtype=np.float32)
    start = 0
    for c in np.flatnonzero(counts):
        m = int(counts[c])
        idx = order[start : start + m]
        start += m
        crng = np.random.default_rng([seed, int(c)])
        basis = crng.standard_normal((rank, dim)).astype(np.float32) / np.float32(math.sqrt(dim))
        scale = np.float32(crng.uniform(*spread) / math.sqrt(rank))
        z = crng.standard_normal((m, rank)).astype(np.float32) * scale
        x = z @ basis
        x += centres[c]
        x += crng.standard_normal((m, dim)).astype(np.float32) * np.float32(iso / math.sqrt(dim))
        out[idx] = x
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


# -- measurement helpers ------------------------------------------------------------------------------
def _rss_mb() -> float:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _recall(found: np.ndarray, truth: np.ndarray, k: int) -> float:
    hits = 0
    for f, t in zip(found, truth, strict=True):
        hits += len(set(f[:k].tolist()) & set(t[:k].tolist()))
    return hits / (k * len(truth))


def _latency(fn, queries: np.ndarray, n: int) -> tuple[float, float]:
    """p50/p99 milliseconds of ``fn(q)`` over single queries (after one warm-up call)."""
    fn(queries[0])
    times = []
    for i in range(min(n, len(queries))):
        q = queries[i]
        t0 = time.perf_counter()
        fn(q)
        times.append(time.perf_counter() - t0)
    arr = np.asarray(times) * 1e3
    return float(np.percentile(arr, 50)), float(np.percentile(arr, 99))


def _exact_topk(xb: np.ndarray, xq: np.ndarray, k: int) -> np.ndarray:
    import faiss

    flat = faiss.IndexFlatIP(xb.shape[1])
    flat.add(xb)
    _, ids = flat.search(xq, k)
    return ids


def _exact_topk_masked(xb: np.ndarray, xq: np.ndarray, rows: np.ndarray, k: int) -> np.ndarray:
    sub = xb[rows]
    out = np.empty((len(xq), min(k, len(rows))), dtype=np.int64)
    for s in range(0, len(xq), 50):
        scores = xq[s : s + 50] @ sub.T
        kk = out.shape[1]
        part = np.argpartition(-scores, kk - 1, axis=1)[:, :kk]
        order = np.take_along_axis(-scores, part, axis=1).argsort(axis=1)
        out[s : s + 50] = rows[np.take_along_axis(part, order, axis=1)]
    return out


class _Threads:
    def __init__(self, n: int):
        self.n = n

    def __enter__(self):
        import faiss

        self.prev = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(self.n)

    def __exit__(self, *exc):
        import faiss

        faiss.omp_set_num_threads(self.prev)


# -- one size -----------------------------------------------------------------------------------------
def bench_size(n: int, args: argparse.Namespace, log) -> dict[str, Any]:
    import faiss

    from matcher.index.faiss_index import FaissIndex, default_nlist, default_nprobe

    dim, k = args.dim, K_CANDIDATES
    t0 = time.perf_counter()
    data = clustered_vectors(n + args.queries + args.updates, dim, seed=args.seed)
    xb, xq, xnew = data[:n], data[n : n + args.queries], data[n + args.queries :]
    ids = [f"J{i:07d}" for i in range(n)]
    log(f"[{n}] data {time.perf_counter() - t0:.1f}s")
    t0 = time.perf_counter()
    truth = _exact_topk(xb, xq, k)
    log(f"[{n}] ground truth {time.perf_counter() - t0:.1f}s")
    rows: list[dict[str, Any]] = []
    nlat = args.latency_queries

    def update_test(index: FaissIndex) -> dict[str, float]:
        rng = np.random.default_rng(args.seed + 1)
        gone = [ids[i] for i in rng.choice(n, args.updates, replace=False)]
        new_ids = [f"N{i:07d}" for i in range(args.updates)]
        t = time.perf_counter()
        index.remove(gone)
        index.add(new_ids, xnew)
        churn = time.perf_counter() - t
        probe = rng.choice(args.updates, 50, replace=False)
        found = sum(index.search(xnew[i], 1).ids[0][:1] == [new_ids[i]] for i in probe) / len(probe)
        upd = rng.choice(n, args.updates, replace=False)
        upd = upd[~np.isin(np.asarray(ids)[upd], gone)]
        t = time.perf_counter()
        index.add([ids[i] for i in upd], xb[upd])  # upsert: same vectors, exercises replace
        upsert = time.perf_counter() - t
        return {"update_10k_s": churn, "upsert_10k_s": upsert, "new_found_at_top1": found}

    # exact (FaissIndex below exact_max)
    gc.collect()
    rss = _rss_mb()
    t = time.perf_counter()
    flat = FaissIndex(dim, exact_max=10**12, build_threads=args.threads)
    for s in range(0, n, 100_000):
        flat.add(ids[s : s + 100_000], xb[s : s + 100_000])
    build = time.perf_counter() - t
    mem = _rss_mb() - rss
    p50, p99 = _latency(lambda q: flat.search(q, k), xq, min(nlat, args.flat_latency_queries))
    found = np.array([flat.search(q, k).rows[0] for q in xq[:20]])
    rows.append({"size": n, "index": "flat", "params": "exact", "build_s": build, "mem_mb": mem,
                 "p50_ms": p50, "p99_ms": p99, "recall10": _recall(found, truth[:20], 10),
                 "recall200": _recall(found, truth[:20], 200), **update_test(flat)})
    log(f"[{n}] flat done")
    flat = found = None
    gc.collect()

    # IVF (FaissIndex above exact_max)
    rss = _rss_mb()
    t = time.perf_counter()
    ivf = FaissIndex(dim, exact_max=0, build_threads=args.threads, train_points_per_list=args.train_points,
                     kmeans_iters=args.kmeans_iters, auto_retrain=False)
    ivf.add(ids, xb)
    build = time.perf_counter() - t
    mem = _rss_mb() - rss
    raw_ivf_mb = (n * (dim * 4 + 8) + ivf.nlist * dim * 4) / 2**20
    nlist, chosen = ivf.nlist, ivf.nprobe
    assert nlist == default_nlist(n) and chosen == default_nprobe(nlist)
    log(f"[{n}] ivf nlist={nlist} built in {build:.1f}s")
    raw = ivf._ivf
    chosen_row: dict[str, Any] = {}
    with _Threads(1):
        for nprobe in sorted(set(args.nprobes) | {chosen}):
            params = faiss.SearchParametersIVF(nprobe=nprobe)
            _, found = raw.search(xq, k, params=params)
            p50, p99 = _latency(lambda q, nprobe=nprobe: ivf.search(q, k, nprobe=nprobe), xq, nlat)
            rows.append({"size": n, "index": "ivf", "params": f"nlist={nlist} nprobe={nprobe}"
                         + (" *" if nprobe == chosen else ""), "build_s": build, "mem_mb": mem,
                         "ivf_only_mb": raw_ivf_mb, "p50_ms": p50, "p99_ms": p99,
                         "recall10": _recall(found, truth, 10), "recall200": _recall(found, truth, 200)})
            if nprobe == chosen:
                chosen_row = rows[-1]
    filters = bench_filters(ivf, xb, xq, args, log, n)
    chosen_row.update(update_test(ivf))
    log(f"[{n}] ivf done")
    ivf = raw = None
    gc.collect()

    # HNSW
    if n <= args.hnsw_max:
        rss = _rss_mb()
        t = time.perf_counter()
        hnsw = faiss.IndexHNSWFlat(dim, args.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = args.hnsw_efc
        with _Threads(args.threads or (os.cpu_count() or 1)):
            hnsw.add(xb)
        build = time.perf_counter() - t
        mem = _rss_mb() - rss
        log(f"[{n}] hnsw built in {build:.1f}s")
        with _Threads(1):
            for ef in args.efs:
                params = faiss.SearchParametersHNSW(efSearch=max(ef, k))
                _, found = hnsw.search(xq, k, params=params)
                p50, p99 = _latency(lambda q, params=params: hnsw.search(q[None, :], k, params=params), xq, nlat)
                rows.append({"size": n, "index": "hnsw", "params": f"M={args.hnsw_m} efC={args.hnsw_efc} ef={ef}",
                             "build_s": build, "mem_mb": mem, "p50_ms": p50, "p99_ms": p99,
                             "recall10": _recall(found, truth, 10), "recall200": _recall(found, truth, 200),
                             "update_note": "add only; removals need tombstones"})
        with _Threads(args.threads or (os.cpu_count() or 1)):
            t = time.perf_counter()
            hnsw.add(xnew)  # HNSW cannot remove: deletions would be tombstones filtered at query time
            hnsw_update = time.perf_counter() - t
        for r in rows:
            if r["index"] == "hnsw":
                r["update_10k_s"] = hnsw_update
        hnsw = None
        gc.collect()
    return {"rows": rows, "filters": filters}


def bench_filters(ivf, xb: np.ndarray, xq: np.ndarray, args: argparse.Namespace, log, n: int) -> list[dict]:
    """``allowed`` masks at several selectivities: default policy vs forced strategies."""
    import faiss

    k = K_CANDIDATES
    nq = min(args.filter_queries, len(xq))
    out = []
    rng = np.random.default_rng(args.seed + 7)
    raw = ivf._ivf

    def forced_ivf(q: np.ndarray, mask: np.ndarray):
        saved, ivf.subset_exact_max = ivf.subset_exact_max, 0
        try:
            return ivf.search(q, k, allowed=mask)
        finally:
            ivf.subset_exact_max = saved

    for frac in args.selectivities:
        mask = rng.random(ivf.n_rows) < frac
        rows = np.flatnonzero(mask)
        truth = _exact_topk_masked(xb, xq[:nq], rows, k)
        kk = truth.shape[1]
        strategies = {
            "policy": lambda q, mask=mask: ivf.search(q, k, allowed=mask),
            "ivf+bitmap": lambda q, mask=mask: forced_ivf(q, mask),
            "exact-subset": lambda q, rows=rows: ivf.search_subset(q, rows, k),
        }
        if len(rows) > args.max_exact_subset:  # ~0.5 µs per random row: 1M x 50% would take minutes
            del strategies["exact-subset"]
        for name, fn in strategies.items():
            with _Threads(1):
                found = np.array([np.pad(fn(q).rows[0], (0, kk))[:kk] for q in xq[:nq]])
                p50, p99 = _latency(fn, xq, nq)
            out.append({"size": n, "selectivity": frac, "allowed": len(rows), "strategy": name,
                        "p50_ms": p50, "p99_ms": p99, "recall10": _recall(found, truth, 10),
                        "recall200": _recall(found, truth, kk),
                        "method": fn(xq[0]).method})
        # oversample without a selector, then filter
        over = min(ivf.n_rows, max(k, int(math.ceil(k / frac * 1.5))))
        if over > args.max_exact_subset:
            log(f"[{n}] filter {frac} done")
            continue
        params = faiss.SearchParametersIVF(nprobe=ivf.nprobe)

        def oversample(q, mask=mask, over=over, params=params):
            _, lab = raw.search(q[None, :], over, params=params)
            lab = lab[0]
            lab = lab[lab >= 0]
            return lab[mask[lab]][:k]

        with _Threads(1):
            found = np.array([np.pad(oversample(q), (0, kk))[:kk] for q in xq[:nq]])
            p50, p99 = _latency(oversample, xq, nq)
        out.append({"size": n, "selectivity": frac, "allowed": len(rows), "strategy": f"oversample k={over}",
                    "p50_ms": p50, "p99_ms": p99, "recall10": _recall(found, truth, 10),
                    "recall200": _recall(found, truth, kk), "method": "ivf then filter"})
        log(f"[{n}] filter {frac} done")
    return out


# -- report -------------------------------------------------------------------------------------------
def machine_info() -> dict[str, Any]:
    import faiss

    return {
        "cpu_count": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "platform": platform.platform(),
        "processor": _cpu_model(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "faiss": faiss.__version__,
        "faiss_compile": faiss.get_compile_options(),
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def format_table(rows: list[dict[str, Any]]) -> str:
    head = f"{'N':>9} {'index':<6} {'params':<28} {'build s':>8} {'mem MB':>8} {'p50 ms':>7} {'p99 ms':>7} " \
           f"{'R@10':>6} {'R@200':>6} {'10k upd s':>9}"
    lines = [head, "-" * len(head)]
    for r in rows:
        upd = r.get("update_10k_s")
        lines.append(
            f"{r['size']:>9} {r['index']:<6} {r['params']:<28} {r['build_s']:>8.1f} {r['mem_mb']:>8.0f} "
            f"{r['p50_ms']:>7.3f} {r['p99_ms']:>7.3f} {r['recall10']:>6.4f} {r['recall200']:>6.4f} "
            f"{'' if upd is None else f'{upd:.3f}':>9}"
        )
    return "\n".join(lines)


def format_filters(rows: list[dict[str, Any]]) -> str:
    head = f"{'N':>9} {'allowed':>8} {'strategy':<22} {'method':<16} {'p50 ms':>7} {'p99 ms':>7} {'R@10':>6} {'R@200':>6}"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r['size']:>9} {r['allowed']:>8} {r['strategy']:<22} {r['method']:<16} {r['p50_ms']:>7.3f} "
            f"{r['p99_ms']:>7.3f} {r['recall10']:>6.4f} {r['recall200']:>6.4f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evaluation.bench_index", description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    p.add_argument("--dim", type=int, default=384)
    p.add_argument("--queries", type=int, default=500, help="queries for recall")
    p.add_argument("--latency-queries", type=int, default=300, help="single queries timed per setting")
    p.add_argument("--flat-latency-queries", type=int, default=100)
    p.add_argument("--filter-queries", type=int, default=100)
    p.add_argument("--updates", type=int, default=10_000)
    p.add_argument("--nprobes", type=int, nargs="+", default=[8, 16, 32, 64])
    p.add_argument("--efs", type=int, nargs="+", default=[200, 400, 800])
    p.add_argument("--hnsw-m", type=int, default=32)
    p.add_argument("--hnsw-efc", type=int, default=80)
    p.add_argument("--hnsw-max", type=int, default=10**9, help="skip HNSW above this size")
    p.add_argument("--train-points", type=int, default=48, help="k-means training points per IVF list")
    p.add_argument("--kmeans-iters", type=int, default=10)
    p.add_argument("--selectivities", type=float, nargs="+", default=[0.5, 0.1, 0.02, 0.005, 0.002])
    p.add_argument("--max-exact-subset", type=int, default=60_000,
                   help="skip the exact-subset and oversample strategies above this many rows")
    p.add_argument("--threads", type=int, default=0, help="build threads (0 = all cores)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=Path("var/bench_index.json"))
    args = p.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    report: dict[str, Any] = {"machine": machine_info(), "params": {**vars(args), "out": str(args.out),
                              "k": K_CANDIDATES}, "rows": [], "filters": []}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for n in args.sizes:
        res = bench_size(n, args, log)
        report["rows"] += res["rows"]
        report["filters"] += res["filters"]
        args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False))
        gc.collect()
    print(format_table(report["rows"]))
    print()
    print(format_filters(report["filters"]))
    print(f"\n{json.dumps(report['machine'], ensure_ascii=False)}\nJSON: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
