"""What a person who will not move gets, across a whole home (issue 10: reach first).

    python -m evaluation.reach_audit --home var                       # the demo home (make demo)
    python -m evaluation.reach_audit --home var --baseline-tree ../old  # + the same lists from another
                                                                        #   checkout, in the same run

Samples active seekers who will not relocate and open jobs, asks the engine for their lists
(``match_jobs`` / ``match_candidates``, public API only) and classifies every listed pair with the
engine's one circle definition (``matcher.ranking.reach``), the same for every list, so lists made
by another version of the code (``--baseline-tree``: run in a subprocess with that tree first on
``PYTHONPATH``, on a copy of the home) are judged by the same rule:

* jobs for seekers: lists with a beyond-reach job above a reachable one (must be 0); first job more
  than 50 km away, against seekers with no open job within 50 km at all; a job more than 50 km away
  above one inside the seeker's circle; first job beyond reach; the named example seeker's first job;
* candidates for jobs: lists with a non-relocating seeker beyond their own reach above a reachable
  one; a non-relocating seeker more than 50 km away above one within 25 km.

Prints a table (Chinese, then English) and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

FAR_KM = 50.0
NEAR_KM = 25.0


# -- collecting lists (public API only: runs on older checkouts too) -----------------------------
def collect(home: str, seeker_ids: list[str], job_ids: list[str], k: int, today: str) -> dict[str, Any]:
    from matcher.engine import MatchEngine

    day = date.fromisoformat(today)
    out: dict[str, Any] = {"jobs": {}, "candidates": {}}
    with MatchEngine.open(home=home) as engine:
        engine.warm()
        t0 = time.perf_counter()
        for sid in seeker_ids:
            out["jobs"][sid] = [m.id for m in engine.match_jobs(sid, k=k, today=day)]
        for jid in job_ids:
            out["candidates"][jid] = [m.id for m in engine.match_candidates(jid, k=k, today=day)]
        out["seconds"] = round(time.perf_counter() - t0, 1)
    return out


def _collect_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--home", required=True)
    p.add_argument("--ids", required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    spec = json.loads(Path(a.ids).read_text())
    got = collect(a.home, spec["seekers"], spec["jobs"], spec["k"], spec["today"])
    Path(a.out).write_text(json.dumps(got))
    return 0


# -- judging ------------------------------------------------------------------------------------
class Judge:
    """Reach tier and distance of any (seeker, job) pair of the home, by ``matcher.ranking.reach``."""

    def __init__(self, engine):
        from matcher.ranking import reach as R

        self.R = R
        self.cfg = engine.ranking.locality_cfg
        self.jobs = engine.side_cache("jobs").table
        self.seekers = engine.side_cache("seekers").table

    def tiers(self, seeker_row: int, job_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        R, s, j = self.R, self.seekers, self.jobs
        c = R.table_circles(s, np.array([seeker_row]), self.cfg)
        q = {"lat": float(s.lat[seeker_row]), "lng": float(s.lng[seeker_row])}
        km = R.distances(q, j, job_rows)
        r = R.reach_signal(km, j.prec[job_rows], int(s.prec[seeker_row]), c, self.cfg)
        return r.tier, km


def judge(engine, lists: dict[str, Any], example: str | None) -> dict[str, Any]:
    J = Judge(engine)
    R = J.R
    jt, st = J.jobs, J.seekers
    today_n = lists["today_n"]
    open_rows = np.flatnonzero(jt.alive[: len(jt.ids)] & jt.open[: len(jt.ids)] & (jt.expires[: len(jt.ids)] >= today_n))
    res: dict[str, Any] = {}
    inv = first_far = none_within = far_above_circle = first_beyond = 0
    n = 0
    ex = None
    for sid, ids in lists["jobs"].items():
        srow = st.row_of.get(sid)
        if srow is None:
            continue
        n += 1
        rows = np.array([jt.row_of[i] for i in ids if i in jt.row_of], dtype=np.int64)
        _, all_km = J.tiers(srow, open_rows)
        none_within += not bool((np.nan_to_num(all_km, nan=np.inf) <= FAR_KM).any())
        if not len(rows):
            continue
        tier, km = J.tiers(srow, rows)
        reach_ok = tier <= R.WITHIN_REACH
        inv += any(not a and b for i, a in enumerate(reach_ok) for b in reach_ok[i + 1:])
        kmv = np.nan_to_num(km, nan=np.inf)
        first_far += bool(kmv[0] > FAR_KM)
        first_beyond += not bool(reach_ok[0])
        inside = tier == R.INSIDE_CIRCLE
        far_above_circle += any(kmv[i] > FAR_KM and inside[i + 1:].any() for i in range(len(rows)))
        if sid == example:
            ex = {"seeker": sid, "first_job": ids[0], "km": None if np.isnan(km[0]) else round(float(km[0]), 1),
                  "tier": R.TIER_NAMES[int(tier[0])]}
    res["jobs"] = {"lists": n, "far_above_near": inv / n, "first_job_over_50km": first_far / n,
                   "no_open_job_within_50km": none_within / n, "job_over_50km_above_inside_circle": far_above_circle / n,
                   "first_job_beyond_reach": first_beyond / n, "example": ex}
    inv = far_near = m = 0
    for jid, ids in lists["candidates"].items():
        jrow = jt.row_of.get(jid)
        if jrow is None:
            continue
        m += 1
        flags, kms = [], []
        for sid in ids:
            srow = st.row_of.get(sid)
            if srow is None or bool(st.relocate[srow]):
                continue  # only people who will not move are judged
            tier, km = J.tiers(srow, np.array([jrow]))
            flags.append(bool(tier[0] <= R.WITHIN_REACH))
            kms.append(float(np.nan_to_num(km[0], nan=np.inf)))
        inv += any(not a and b for i, a in enumerate(flags) for b in flags[i + 1:])
        far_near += any(kms[i] > FAR_KM and any(x <= NEAR_KM for x in kms[i + 1:]) for i in range(len(kms)))
    res["candidates"] = {"lists": m, "far_above_near": inv / max(m, 1), "over_50km_above_within_25km": far_near / max(m, 1)}
    return res


def sample(engine, n_seekers: int, n_jobs: int, seed: int, today_n: int) -> tuple[list[str], list[str]]:
    st, jt = engine.side_cache("seekers").table, engine.side_cache("jobs").table
    s_rows = np.flatnonzero(st.alive[: len(st.ids)] & st.active[: len(st.ids)] & ~st.relocate[: len(st.ids)]
                            & ~np.isnan(st.lat[: len(st.ids)]))
    j_rows = np.flatnonzero(jt.alive[: len(jt.ids)] & jt.open[: len(jt.ids)] & (jt.expires[: len(jt.ids)] >= today_n)
                            & ~np.isnan(jt.lat[: len(jt.ids)]))
    rng = random.Random(seed)
    seekers = sorted(st.ids[r] for r in rng.sample(list(s_rows), min(n_seekers, len(s_rows))))
    jobs = sorted(jt.ids[r] for r in rng.sample(list(j_rows), min(n_jobs, len(j_rows))))
    return seekers, jobs


def _pct(x: float) -> str:
    return f"{100 * x:5.1f}%"


def report(results: dict[str, dict[str, Any]]) -> str:
    labels = list(results)
    rows = [
        ("jobs", "far_above_near", "岗位列表：超范围岗位排在范围内岗位之前", "job lists: beyond reach above reachable"),
        ("jobs", "first_job_over_50km", "首个岗位距离超过50公里", "first job more than 50 km away"),
        ("jobs", "no_open_job_within_50km", "50公里内没有任何在招岗位", "no open job at all within 50 km"),
        ("jobs", "job_over_50km_above_inside_circle", "50公里外岗位排在圈内岗位之前", "a job > 50 km above one inside the circle"),
        ("jobs", "first_job_beyond_reach", "首个岗位超出通勤范围", "first job beyond reach"),
        ("candidates", "far_above_near", "候选人列表：超范围者排在范围内者之前", "candidate lists: beyond reach above reachable"),
        ("candidates", "over_50km_above_within_25km", "50公里外者排在25公里内者之前", "a seeker > 50 km above one within 25 km"),
    ]
    head = f"{'指标 / measure':<58}" + "".join(f"{lab:>12}" for lab in labels)
    lines = [head]
    for side, key, zh, en in rows:
        lines.append(f"{zh + ' / ' + en:<58}" + "".join(f"{_pct(results[lab][side][key]):>12}" for lab in labels))
    for lab in labels:
        ex = results[lab]["jobs"].get("example")
        if ex:
            lines.append(f"{lab}: {ex['seeker']} 的首个岗位 / first job {ex['first_job']}, 约 {ex['km']} 公里 km, {ex['tier']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["collect"]:
        return _collect_main(argv[1:])
    p = argparse.ArgumentParser(prog="python -m evaluation.reach_audit", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--home", default="var", help="a matcher home (default ./var, what `make demo` builds)")
    p.add_argument("--seekers", type=int, default=400, help="active non-relocating seekers sampled (default 400)")
    p.add_argument("--jobs", type=int, default=100, help="open jobs sampled for candidate lists (default 100)")
    p.add_argument("-k", type=int, default=20, help="list length (default 20)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--example", default="S00085", help="a seeker whose first job is printed")
    p.add_argument("--today", default=None, help="the day lists are made for (default today)")
    p.add_argument("--baseline-tree", default=None, help="another checkout: its lists for the same sample, same run")
    p.add_argument("--out", default="out/reach_audit.json")
    a = p.parse_args(argv)
    from matcher.engine import MatchEngine

    today = a.today or date.today().isoformat()
    today_n = date.fromisoformat(today).toordinal()
    results: dict[str, dict[str, Any]] = {}
    with MatchEngine.open(home=a.home) as engine:
        engine.warm()
        seekers, jobs = sample(engine, a.seekers, a.jobs, a.seed, today_n)
        if a.example and a.example not in seekers and engine.side_cache("seekers").table.row_of.get(a.example) is not None:
            seekers.append(a.example)
        lists = {}
        if a.baseline_tree:
            with tempfile.TemporaryDirectory(prefix="reach-audit-") as tmp:
                home_copy = Path(tmp) / "home"
                shutil.copytree(a.home, home_copy, ignore=shutil.ignore_patterns("models"))
                if (Path(a.home) / "models").exists():  # the built encoder: shared, read only
                    (home_copy / "models").symlink_to((Path(a.home) / "models").resolve())
                ids = Path(tmp) / "ids.json"
                ids.write_text(json.dumps({"seekers": seekers, "jobs": jobs, "k": a.k, "today": today}))
                got = Path(tmp) / "lists.json"
                env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(a.baseline_tree).resolve()),
                                                                   os.environ.get("PYTHONPATH", "")])}
                subprocess.run([sys.executable, str(Path(__file__).resolve()), "collect", "--home", str(home_copy),
                                "--ids", str(ids), "--out", str(got)], check=True, env=env,
                               cwd=str(Path(a.baseline_tree).resolve()))
                lists["baseline"] = json.loads(got.read_text())
    lists["this tree"] = collect(a.home, seekers, jobs, a.k, today)
    with MatchEngine.open(home=a.home) as engine:
        for label in (["baseline"] if a.baseline_tree else []) + ["this tree"]:
            results[label] = judge(engine, {**lists[label], "today_n": today_n}, a.example)
            results[label]["seconds"] = lists[label].get("seconds")
    print(f"样本 / sample: {len(seekers)} 名不愿迁移的求职者 non-relocating seekers, {len(jobs)} 个在招岗位 open jobs, "
          f"前 top {a.k}, {today}")
    print(report(results))
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"home": str(a.home), "today": today, "k": a.k, "seekers": len(seekers), "jobs": len(jobs),
                               "baseline_tree": a.baseline_tree, "results": results}, ensure_ascii=False, indent=1))
    print(f"结果已写入 / JSON written: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
