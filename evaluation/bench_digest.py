"""Digest throughput: seekers per second through the one-seeker path (``build_digest`` calling
``match_jobs`` per seeker) and through the batch path (:func:`matcher.digests.build_digest` with
``batch=True``: one block per area), measured in one run on the same engine home, plus the whole
province (``digest --all``) with the batch path.

    matcher bench digest --seekers 100000 --jobs 20000 --out var/bench_digest.json
    python -m evaluation.bench_digest --seekers 1000000 --jobs 200000 --full

The data is the sample generator's (``matcher.data.sample``): stations, employers, jobs and seekers of
Hebei. Vectors are stored, not computed at digest time: ``--unique`` texts per side are embedded for
real with the project encoder, every other record gets the vector of a record with the same title or
wishes plus Gaussian noise (``evaluation.bench_match.embed_with_noise``). ``--home`` keeps the
prepared home for reruns (it is reused when its parameters match).

Measures: the one-seeker path on stations taken in id order until ``--budget-s`` seconds; the batch
path on the same stations (same day), and whether each seeker's list is the same; with ``--full``
the batch path over every station, township and county (wall time, peak memory of this process).
Prints a summary and writes JSON. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any


def _loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _rates(m: dict[str, Any]) -> None:
    m["seekers_per_s"] = round(m["seekers"] / m["seconds"], 1) if m["seconds"] else None
    m["seekers_per_cpu_s"] = round(m["seekers"] / m["cpu_s"], 1) if m["cpu_s"] else None
    m["seconds"], m["cpu_s"] = round(m["seconds"], 2), round(m["cpu_s"], 2)


def prepare(home: Path, args) -> dict[str, Any]:
    from evaluation.bench_match import embed_with_noise, load_sample
    from matcher.data.sample import generate
    from matcher.engine import MatchEngine

    params = {"jobs": args.jobs, "seekers": args.seekers, "seed": args.seed, "unique": args.unique, "noise": args.noise}
    marker = home / "bench_digest.json"
    if marker.exists() and json.loads(marker.read_text())["params"] == params:
        return json.loads(marker.read_text())
    home.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    out: dict[str, Any] = {"params": params}
    t0 = time.perf_counter()
    sample = generate(seed=args.seed, n_jobs=args.jobs, n_seekers=args.seekers, today=date.fromisoformat(args.day))
    out["generate_s"] = round(time.perf_counter() - t0, 1)
    engine = MatchEngine.open(home=home, model_cache=args.model_cache, sync_interval=3600)
    out["store_load_s"] = load_sample(engine, sample)
    t0 = time.perf_counter()
    embed_with_noise(engine, "job", sample.jobs, args.unique, rng, args.noise)
    embed_with_noise(engine, "seeker", sample.seekers, args.unique, rng, args.noise)
    out["vectors_s"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    out["index_sizes"] = engine.rebuild_index()
    out["index_s"] = round(time.perf_counter() - t0, 1)
    engine.close()
    marker.write_text(json.dumps(out))
    return out


def _stations_in_order(engine) -> list[tuple[str, int]]:
    from collections import Counter

    counts = Counter(s.get("station_id") for s in engine.store.iter_dicts("seeker") if s.get("status") != "employed")
    return [(s["id"], counts.get(s["id"], 0)) for s in engine.store.iter_dicts("station") if counts.get(s["id"])]


def _lists(d: dict[str, Any]) -> dict[str, list[str]]:
    return {s["id"]: [m["id"] for m in s["matches"]] for s in d["seekers"]}


def measure(home: Path, args) -> dict[str, Any]:
    import faiss
    import torch

    from matcher.digests import build_digest
    from matcher.engine import MatchEngine

    torch.set_num_threads(1)
    faiss.omp_set_num_threads(1)
    day = date.fromisoformat(args.day)
    engine = MatchEngine.open(home=home, model_cache=args.model_cache, sync_interval=3600)
    t0 = time.perf_counter()
    engine.warm(load_encoder=False)
    out: dict[str, Any] = {"warm_s": round(time.perf_counter() - t0, 1), "loadavg_start": _loadavg()}
    stations = _stations_in_order(engine)
    one: dict[str, Any] = {"stations": 0, "seekers": 0, "seconds": 0.0, "cpu_s": 0.0}
    lists: dict[str, dict[str, list[str]]] = {}
    start = time.perf_counter()
    for sid, _n in stations:
        t1, c1 = time.perf_counter(), time.process_time()
        try:
            d = build_digest(engine, station_id=sid, day=day, batch=False)
        except TypeError:  # an older tree: always one match_jobs per seeker
            d = build_digest(engine, station_id=sid, day=day)
        one["seconds"] += time.perf_counter() - t1
        one["cpu_s"] += time.process_time() - c1
        one["stations"] += 1
        one["seekers"] += len(d["seekers"])
        lists[sid] = _lists(d)
        if time.perf_counter() - start > args.budget_s:
            break
    _rates(one)
    out["one_seeker"] = one
    batch: dict[str, Any] = {"stations": 0, "seekers": 0, "seconds": 0.0, "cpu_s": 0.0, "same_lists": 0,
                             "different_lists": 0}
    try:
        for sid in lists:
            t1, c1 = time.perf_counter(), time.process_time()
            d = build_digest(engine, station_id=sid, day=day, batch=True)
            batch["seconds"] += time.perf_counter() - t1
            batch["cpu_s"] += time.process_time() - c1
            batch["stations"] += 1
            batch["seekers"] += len(d["seekers"])
            got = _lists(d)
            for k, v in lists[sid].items():
                batch["same_lists" if got.get(k) == v else "different_lists"] += 1
        _rates(batch)
        if one["seekers_per_s"] and batch["seekers_per_s"]:
            batch["speedup"] = round(batch["seekers_per_s"] / one["seekers_per_s"], 2)
            batch["cpu_speedup"] = round(batch["seekers_per_cpu_s"] / one["seekers_per_cpu_s"], 2)
    except TypeError as e:  # a build_digest without the batch path
        batch = {"error": f"no batch path: {e}"}
    out["batch"] = batch
    if args.full:
        from matcher.digest_all import run_all

        t0, c0, k0 = time.perf_counter(), time.process_time(), _children_cpu()
        summary = run_all(engine, day, Path(args.full_out or tempfile.mkdtemp(prefix="bench-digest-out-")),
                          workers=args.workers, show_progress=True)
        # CPU seconds of this process and of the worker processes (ended with the pool): on a machine
        # shared with other work, wall time says more about the neighbours than about this code
        cpu = time.process_time() - c0 + _children_cpu() - k0
        out["full"] = {**summary, "wall_s": round(time.perf_counter() - t0, 1), "cpu_s": round(cpu, 1),
                       "seekers_per_cpu_s": round(summary["seekers"] / cpu, 1) if cpu else None}
    out["peak_rss_gb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2, 2)
    # the largest worker process's peak (ended workers only; 0 without workers)
    out["peak_rss_worker_gb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 ** 2, 2)
    out["loadavg_end"] = _loadavg()
    engine.store.close()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seekers", type=int, default=100_000)
    p.add_argument("--jobs", type=int, default=20_000)
    p.add_argument("--unique", type=int, default=200, help="texts per side embedded for real")
    p.add_argument("--noise", type=float, default=0.02)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--day", default=date.today().isoformat(), help="the digest day (and the sample's today)")
    p.add_argument("--budget-s", type=float, default=60.0, help="seconds of one-seeker digests")
    p.add_argument("--full", action="store_true", help="also every area of the province with the batch path")
    p.add_argument("--full-out", default=None)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--home", default=None, help="engine home (kept; reused when its parameters match)")
    p.add_argument("--model-cache", default=os.environ.get("MATCHER_MODEL_CACHE"))
    p.add_argument("--out", default="var/bench_digest.json")
    args = p.parse_args(argv)
    home = Path(args.home or tempfile.mkdtemp(prefix="bench-digest-"))
    result: dict[str, Any] = {"params": vars(args).copy(), "home": str(home), "cpus": os.cpu_count()}
    t0 = time.perf_counter()
    result["prepare"] = prepare(home, args)
    result["prepare_s"] = round(time.perf_counter() - t0, 1)
    result.update(measure(home, args))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    one, batch = result["one_seeker"], result["batch"]
    print(f"one-seeker path: {one['seekers']} seekers of {one['stations']} stations, {one['seekers_per_s']} seekers/s "
          f"({one['seekers_per_cpu_s']} per CPU second)")
    if "error" in batch:
        print(f"batch path: {batch['error']}")
    else:
        print(f"batch path: {batch['seekers']} seekers, {batch['seekers_per_s']} seekers/s (×{batch.get('speedup')}; "
              f"{batch['seekers_per_cpu_s']} per CPU second, ×{batch.get('cpu_speedup')}); "
              f"same lists {batch['same_lists']}, different {batch['different_lists']}")
    if "full" in result:
        f = result["full"]
        print(f"whole province (batch): {f['areas']} areas, {f['seekers']} seekers in {f['wall_s']} s "
              f"({f['cpu_s']} CPU s, {f['seekers_per_cpu_s']} seekers per CPU second); "
              f"peak memory {result['peak_rss_gb']} GB (this process), {result['peak_rss_worker_gb']} GB (largest worker)")
    print(f"JSON: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
