"""Before/after comparison of the engine's serving and update paths, in one command.

    python -m evaluation.bench_compare prepare --jobs 100000 --home var/cmp-100k
    python -m evaluation.bench_compare run --home var/cmp-100k --trees /tmp/base_head . --what match update

``prepare`` builds one engine home the way ``bench_scale``'s engine part does (generated Hebei
sample, ``--unique`` texts per side embedded for real, the rest "real vectors with noise", index
built and saved). ``run`` measures each source tree in its own subprocess (``PYTHONPATH=<tree>``, so
``matcher`` is imported from that tree) against the same home, trees alternating, ``--rounds``
times: a baseline checkout (e.g. ``git archive <commit> | tar -x -C /tmp/base_head``) next to the
working tree, on the same machine minutes apart. Ratios between them are what to quote on a shared
machine; absolute numbers move with its load (the load average is recorded with every measure).

Measures (``--what``):

* ``match``: stored-seeker ``match_jobs`` p50 / p99 over ``--queries`` active seekers (one thread
  for torch and FAISS, as serving runs), candidates per query, the mean final score of the top 20
  (the ranking's own objective: a better candidate stage can only find higher-scoring lists), and
  the top-20 lists themselves (``run`` reports the share of queries whose list is unchanged).
* ``update``: ``--update-n`` existing jobs changed in fields that are not part of their text (wage,
  position, status: ``bench_scale._changed_jobs``) on a fresh copy of the home; seconds from the
  ``upsert_jobs`` call until a match has run and every change is verified in the table and index
  (also the CPU seconds of that window and the length of every full garbage-collection pass inside
  it; the benchmark collects before starting the clock, as its own 100k job dicts would otherwise
  make one land there), then a second batch under cProfile split by stage.
* ``throughput``: matches/s of 1 and 2 worker processes on the same home (``bench_scale.throughput``),
  for each value of ``--blas`` given as ``MATCHER_QUERY_BLAS_THREADS`` (a tree that predates the
  setting ignores it).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

K = 20


def _loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(values), q)), 2) if values else float("nan")


# -- prepare ---------------------------------------------------------------------------------------
def prepare(args) -> None:
    from evaluation.bench_match import embed_with_noise, load_sample
    from matcher.data.sample import generate
    from matcher.engine import MatchEngine

    home = Path(args.home)
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    sample = generate(seed=args.seed, n_jobs=args.jobs, n_seekers=args.seekers)
    engine = MatchEngine.open(home=home, model_cache=args.model_cache, sync_interval=3600)
    load_sample(engine, sample)
    embed_with_noise(engine, "job", sample.jobs, args.unique, rng, args.noise)
    embed_with_noise(engine, "seeker", sample.seekers, args.unique, rng, args.noise)
    sizes = engine.rebuild_index()
    engine.close()
    (home / "bench_params.json").write_text(json.dumps(
        {"jobs": args.jobs, "seekers": args.seekers, "seed": args.seed, "unique": args.unique, "noise": args.noise,
         "index_sizes": sizes, "prepare_s": round(time.perf_counter() - t0, 1)}), encoding="utf-8")
    print(f"prepared {home}: {sizes} in {time.perf_counter() - t0:.0f} s")


# -- measure (runs inside the tree under test) ----------------------------------------------------
def _single_thread() -> None:
    import faiss
    import torch

    torch.set_num_threads(1)
    faiss.omp_set_num_threads(1)


def _open(home: Path, args):
    from matcher.engine import MatchEngine

    engine = MatchEngine.open(home=home, model_cache=args.model_cache, sync_interval=3600)
    t0 = time.perf_counter()
    engine.warm(load_encoder=False)
    return engine, round(time.perf_counter() - t0, 1)


def _active_seekers(engine, n: int, seed: int) -> list[str]:
    ids = sorted(s["id"] for s in engine.store.iter_dicts("seeker") if s.get("status") != "employed")
    return random.Random(seed).sample(ids, min(n, len(ids)))


def measure_match(home: Path, args) -> dict[str, Any]:
    import cProfile
    import pstats

    engine, warm_s = _open(home, args)
    _single_thread()
    qs = _active_seekers(engine, args.queries, args.seed)
    n_cand: list[int] = []
    try:  # candidates counted where the tree has the CandidateSelector (older trees: not counted)
        from matcher.index.candidates import CandidateSelector
    except ImportError:
        CandidateSelector = None
    real = CandidateSelector.select if CandidateSelector else None

    def counting(*a, **kw):
        rows, cos = real(*a, **kw)
        n_cand.append(len(rows))
        return rows, cos

    for q in qs[:10]:
        engine.match_jobs(q, k=K)
    lat, tops, top_scores = [], {}, []
    for _ in range(args.passes):
        for q in qs:
            t1 = time.perf_counter()
            ms = engine.match_jobs(q, k=K)
            lat.append((time.perf_counter() - t1) * 1000)
            tops[q] = [m.id for m in ms]
    for q in qs:
        top_scores.append(float(np.mean([m.score for m in engine.match_jobs(q, k=K)])) if tops[q] else 0.0)
    if CandidateSelector:
        CandidateSelector.select = counting
    prof = cProfile.Profile()
    prof.enable()
    for q in qs[:100]:
        engine.match_jobs(q, k=K)
    prof.disable()
    if CandidateSelector:
        CandidateSelector.select = real
    stats = pstats.Stats(prof)
    stages = {}
    for label, file, func in (("store reads", "store.py", "get_dicts"), ("seeker profile", "profiles.py", "seeker"),
                              ("candidates", "candidates.py", "select"), ("faiss search", "faiss_index.py", "search"),
                              ("grid within", "spatial.py", "within"), ("grid within_points", "spatial.py", "within_points"),
                              ("ranking", "ranker.py", "rank"),
                              ("total", "engine.py", "match_jobs")):
        ct = sum(v[3] for (f, _ln, fn), v in stats.stats.items() if fn == func and f.endswith(os.sep + file))
        stages[label] = round(ct * 1000 / min(100, len(qs)), 2)
    info = engine.index_info(load=True)["jobs"] if hasattr(engine, "index_info") else {}
    out = {"jobs_indexed": info.get("size"), "index_kind": info.get("index_kind"), "open_warm_s": warm_s,
           "queries": len(qs), "passes": args.passes, "p50_ms": _pct(lat, 50), "p99_ms": _pct(lat, 99),
           "mean_ms": round(float(np.mean(lat)), 2), "candidates_mean": round(float(np.mean(n_cand)), 1) if n_cand else None,
           "candidates_max": int(max(n_cand)) if n_cand else None, "top20_mean_score": round(float(np.mean(top_scores)), 5),
           "profiled_ms_per_match": stages, "tops": tops}
    engine.store.close()  # nothing written: do not save
    return out


def measure_update(home: Path, args) -> dict[str, Any]:
    import cProfile
    import pstats

    from evaluation.bench_scale import _changed_jobs, _profile_stages, _verify_update

    work = Path(tempfile.mkdtemp(prefix="bench-compare-", dir=args.work_dir))
    try:
        copy = work / "home"
        shutil.copytree(home, copy)
        engine, warm_s = _open(copy, args)
        _single_thread()
        jobs = list(engine.store.iter_dicts("job"))
        seeker = _active_seekers(engine, 1, args.seed)[0]
        engine.match_jobs(seeker, k=K)
        enc_calls = {"texts": 0}
        enc = engine.encoder  # loaded before the clock starts; counts any text that would be re-embedded
        real_docs = enc.encode_documents

        def counting(texts, *a, **kw):
            enc_calls["texts"] += len(texts)
            return real_docs(texts, *a, **kw)

        enc.encode_documents = counting
        rng = random.Random(args.seed)
        used: set[str] = set()
        changed = _changed_jobs(jobs, args.update_n, rng, used)
        full_gc: list[float] = []  # seconds of each full (generation 2) collection inside the timed window
        gc_start = [0.0]

        def on_gc(phase, info):
            if phase == "start":
                gc_start[0] = time.perf_counter()
            elif info["generation"] == 2:
                full_gc.append(round(time.perf_counter() - gc_start[0], 3))

        # the 100k job dicts just read (this benchmark's, not the engine's) would make the next full
        # collection land in the timed window, in whichever tree runs first: collected before it
        gc.collect()
        gc.callbacks.append(on_gc)
        c0 = time.process_time()
        t0 = time.perf_counter()
        engine.upsert_jobs(changed)
        t1 = time.perf_counter()
        engine.match_jobs(seeker, k=K)
        t2 = time.perf_counter()
        cpu = time.process_time() - c0
        gc.callbacks.remove(on_gc)
        check = _verify_update(engine, changed)
        out = {"open_warm_s": warm_s, "changed": len(changed), "upsert_s": round(t1 - t0, 3),
               "first_match_s": round(t2 - t1, 3), "visible_after_s": round(t2 - t0, 3), "verify": check,
               "visible_after_cpu_s": round(cpu, 3), "full_gc_in_window_s": full_gc,
               "texts_embedded": enc_calls["texts"]}
        current = {j["id"]: j for j in jobs}
        current.update({j["id"]: j for j in changed})
        changed2 = _changed_jobs(list(current.values()), args.update_n, rng, used)
        prof = cProfile.Profile()
        gc.collect()
        t0 = time.perf_counter()
        prof.enable()
        engine.upsert_jobs(changed2)
        engine.match_jobs(seeker, k=K)
        prof.disable()
        out["profiled_s"] = round(time.perf_counter() - t0, 3)
        stats = pstats.Stats(prof)
        out["profiled_stages_s"] = _profile_stages(stats)
        top = sorted(stats.stats.items(), key=lambda kv: -kv[1][3])[:25]
        out["profiled_top_cumulative"] = [f"{Path(f).name}:{ln} {fn} {ct:.3f}s" for (f, ln, fn), (_c, _n, _tt, ct, _cl) in top]
        engine.store.close()
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure_throughput(home: Path, args) -> dict[str, Any]:
    from evaluation.bench_scale import throughput
    from matcher.engine import MatchEngine

    engine = MatchEngine.open(home=home, model_cache=args.model_cache, sync_interval=3600)
    ids = _active_seekers(engine, 2000, args.seed)
    engine.store.close()
    one = throughput(home, args.model_cache, ids, 1, args.throughput_s)
    two = throughput(home, args.model_cache, ids, 2, args.throughput_s)
    return {"blas_env": os.environ.get("MATCHER_QUERY_BLAS_THREADS"), "one": one, "two": two,
            "scaling": round(two["matches_per_s"] / one["matches_per_s"], 2)}


def measure(args) -> None:
    import matcher

    home = Path(args.home)
    out: dict[str, Any] = {"tree": str(Path(matcher.__file__).resolve().parents[1]), "loadavg_start": _loadavg()}
    fn = {"match": measure_match, "update": measure_update, "throughput": measure_throughput}[args.what]
    out[args.what] = fn(home, args)
    out["loadavg_end"] = _loadavg()
    Path(args.result).write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")


# -- run -------------------------------------------------------------------------------------------
def _spawn(tree: Path, what: str, args, env_extra: dict[str, str] | None = None) -> dict[str, Any]:
    fd, result = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    env = dict(os.environ, PYTHONPATH=str(tree), **(env_extra or {}))
    cmd = [sys.executable, str(Path(__file__).resolve()), "measure", "--what", what, "--result", result,
           "--home", args.home, "--queries", str(args.queries), "--passes", str(args.passes),
           "--update-n", str(args.update_n), "--throughput-s", str(args.throughput_s), "--seed", str(args.seed)]
    if args.model_cache:
        cmd += ["--model-cache", args.model_cache]
    if args.work_dir:
        cmd += ["--work-dir", args.work_dir]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, cwd=tree)
    data = json.loads(Path(result).read_text(encoding="utf-8"))
    os.unlink(result)
    data["wall_s"] = round(time.perf_counter() - t0, 1)
    return data


def _summary(what: str, r: dict[str, Any]) -> str:
    m = r[what]
    if what == "match":
        return (f"p50 {m['p50_ms']} ms, p99 {m['p99_ms']} ms, mean {m['mean_ms']} ms, candidates {m['candidates_mean']}"
                f" (max {m['candidates_max']}), top-20 mean score {m['top20_mean_score']}; profiled {m['profiled_ms_per_match']}")
    if what == "update":
        return (f"{m['changed']} changes visible after {m['visible_after_s']} s (upsert {m['upsert_s']} + first match "
                f"{m['first_match_s']}; CPU {m.get('visible_after_cpu_s')} s, full GC passes in it "
                f"{m.get('full_gc_in_window_s')} s), texts embedded {m['texts_embedded']}, verify {m['verify']}; "
                f"profiled {m['profiled_s']} s {m['profiled_stages_s']}")
    return (f"BLAS env {m['blas_env']}: 1 process {m['one']['matches_per_s']}/s, 2 processes {m['two']['matches_per_s']}/s "
            f"(×{m['scaling']})")


def _tree_env(specs, index: int) -> dict[str, str]:
    """``--tree-env 1:MATCHER_ENCODER=e5-base``: environment for the tree at ``index`` only (e.g. the
    same model under a name only the newer tree knows)."""
    out = {}
    for spec in specs or []:
        where, _, kv = spec.partition(":")
        key, _, value = kv.partition("=")
        if where.isdigit() and int(where) == index and key:
            out[key] = value
    return out


def run(args) -> None:
    trees = [Path(t).resolve() for t in args.trees]
    results: dict[str, Any] = {"home": args.home, "trees": [str(t) for t in trees], "runs": []}
    for rnd in range(args.rounds):
        for what in args.what:
            for tree in trees:
                variants = [{"MATCHER_QUERY_BLAS_THREADS": b} for b in args.blas] if what == "throughput" else [{}]
                own = _tree_env(args.tree_env, trees.index(tree))
                for env in ({**v, **own} for v in variants):
                    r = _spawn(tree, what, args, env)
                    r.update(round=rnd, what=what, env=env)
                    results["runs"].append(r)
                    print(f"[{what} round {rnd} {tree.name} {env or ''}] load {r['loadavg_start']} -> {r['loadavg_end']}: "
                          f"{_summary(what, r)}", flush=True)
    # ratios, first tree (baseline) over each other tree, per round
    for what in args.what:
        base = [r for r in results["runs"] if r["what"] == what and r["tree"] == str(trees[0])]
        for tree in trees[1:]:
            mine = [r for r in results["runs"] if r["what"] == what and r["tree"] == str(tree)]
            for b, m in zip(base, mine, strict=False):
                if what == "match":
                    same = sum(b["match"]["tops"].get(q) == t for q, t in m["match"]["tops"].items())
                    print(f"match round {b['round']}: p50 {b['match']['p50_ms']} -> {m['match']['p50_ms']} ms "
                          f"(×{b['match']['p50_ms'] / m['match']['p50_ms']:.2f} faster), p99 {b['match']['p99_ms']} -> "
                          f"{m['match']['p99_ms']} ms (×{b['match']['p99_ms'] / m['match']['p99_ms']:.2f}); top-20 unchanged "
                          f"for {same}/{len(m['match']['tops'])} queries; mean top-20 score {b['match']['top20_mean_score']}"
                          f" -> {m['match']['top20_mean_score']}")
                elif what == "update":
                    print(f"update round {b['round']}: visible after {b['update']['visible_after_s']} -> "
                          f"{m['update']['visible_after_s']} s (×{b['update']['visible_after_s'] / m['update']['visible_after_s']:.2f})")
    for r in results["runs"]:
        if r["what"] == "match":
            r["match"].pop("tops", None)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"JSON: {args.out}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--home", required=True)
    common.add_argument("--model-cache", default=os.environ.get("MATCHER_MODEL_CACHE"))
    common.add_argument("--seed", type=int, default=7)
    common.add_argument("--work-dir", default=None, help="where home copies for the update measure go")
    common.add_argument("--queries", type=int, default=300)
    common.add_argument("--passes", type=int, default=2, help="timed passes over the queries")
    common.add_argument("--update-n", type=int, default=10_000)
    common.add_argument("--throughput-s", type=float, default=15.0)
    pp = sub.add_parser("prepare", parents=[common])
    pp.add_argument("--jobs", type=int, default=100_000)
    pp.add_argument("--seekers", type=int, default=5_000)
    pp.add_argument("--unique", type=int, default=400)
    pp.add_argument("--noise", type=float, default=0.02)
    pr = sub.add_parser("run", parents=[common])
    pr.add_argument("--trees", nargs="+", required=True, help="source trees; the first is the baseline")
    pr.add_argument("--what", nargs="+", choices=("match", "update", "throughput"), default=["match", "update"])
    pr.add_argument("--blas", nargs="+", default=["0", "1"], help="MATCHER_QUERY_BLAS_THREADS values for throughput")
    pr.add_argument("--rounds", type=int, default=1)
    pr.add_argument("--tree-env", nargs="*", default=[], metavar="N:KEY=VALUE",
                    help="environment for tree N only (0 = the first/baseline tree)")
    pr.add_argument("--out", default=None)
    pm = sub.add_parser("measure", parents=[common])
    pm.add_argument("--what", required=True, choices=("match", "update", "throughput"))
    pm.add_argument("--result", required=True)
    args = p.parse_args(argv)
    {"prepare": prepare, "run": run, "measure": measure}[args.cmd](args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
