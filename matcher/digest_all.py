"""Digests for the whole province (``matcher digest --all``): every station, every township and every
county with a ledger or open jobs, for one day.

The work is partitioned by county (a county's stations, its townships and the county itself) and
runs either here (``local``: in this process, or in ``workers`` processes) or on a Ray cluster
(``ray``: one actor per worker, each opening the store read-only and the stored vectors). Every
area's files are written atomically by :func:`matcher.digests.write_digest`, and an area is
recorded in the day's journal (``manifest-<day>.jsonl``, one JSON line per finished area, flushed
and fsynced) only after its files are in place; a run that was killed starts again where it stopped:
areas in the journal whose files are still there are not redone. When every area is done the
summary goes to ``manifest-<day>.json`` (atomically), which is also what :func:`last_run` reads.

A digest is a pure function of the store and the day, so the local path and the Ray path write the
same bytes.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

KINDS = ("station", "township", "county")


@dataclass(frozen=True, order=True)
class Area:
    """One digest to make: a station (by id) or a township / county (by region code)."""

    county: str  # the partition: the county's 6-digit code ("" when unknown)
    kind: str  # station | township | county
    id: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"


# -- what to make ----------------------------------------------------------------------------------
def province_areas(engine) -> list[Area]:
    """Every station; every township and county (known to the gazetteer) that holds a live seeker,
    a live job or a station. Sorted by county, kind, id."""
    gaz = engine.ctx.gazetteer
    codes: set[str] = set()
    for kind in ("seeker", "job", "station"):
        codes |= engine.store.region_codes(kind)
    stations = [Area((region or "")[:6], "station", sid) for sid, region in engine.store.live_regions("station")]
    areas = set(stations)
    for code in codes:
        for kind, n in (("township", 9), ("county", 6)):
            if len(code) >= n and gaz.get(code[:n]) is not None:
                areas.add(Area(code[:6], kind, code[:n]))
    return sorted(areas)


def partitions(areas: Iterable[Area]) -> list[list[Area]]:
    """Areas grouped by county (the unit a worker takes), largest first so the last one to finish
    is small. Pure."""
    groups: dict[str, list[Area]] = {}
    for a in sorted(areas):
        groups.setdefault(a.county, []).append(a)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0].county))


# -- the journal -----------------------------------------------------------------------------------
class Manifest:
    """The day's journal of finished areas (append-only JSON lines) and its final summary."""

    def __init__(self, out_dir: Path, day: date):
        self.out_dir = out_dir
        self.journal = out_dir / f"manifest-{day.isoformat()}.jsonl"
        self.summary_path = out_dir / f"manifest-{day.isoformat()}.json"

    def done(self) -> dict[str, dict[str, Any]]:
        """Finished areas whose files are all still there. A torn last line (a kill mid-write) is
        ignored."""
        out: dict[str, dict[str, Any]] = {}
        if not self.journal.exists():
            return out
        for line in self.journal.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and all((self.out_dir / f).exists() for f in entry.get("files", ())):
                out[entry["area"]] = entry
        return out

    def record(self, entries: list[dict[str, Any]]) -> None:
        if not entries:
            return
        self.out_dir.mkdir(parents=True, exist_ok=True)
        text = "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in entries)
        with open(self.journal, "ab") as fh:
            if fh.tell() > 0:  # a kill mid-write leaves a torn last line: start on a fresh one
                with open(self.journal, "rb") as last:
                    last.seek(-1, os.SEEK_END)
                    if last.read(1) != b"\n":
                        text = "\n" + text
            fh.write(text.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())

    def finish(self, summary: dict[str, Any]) -> None:
        from matcher.digests import _write_atomic

        _write_atomic(self.summary_path, json.dumps(summary, ensure_ascii=False, indent=1, sort_keys=True))


def last_run(out_dir: Path) -> dict[str, Any] | None:
    """The summary of the newest finished ``digest --all`` under ``out_dir`` (or its day folders):
    plain values (date, finished_at, seconds, areas, ...) for monitoring."""
    found = sorted(out_dir.glob("manifest-*.json")) + sorted(out_dir.glob("*/manifest-*.json"))
    if not found:
        return None
    newest = max(found, key=lambda p: (p.name, p.stat().st_mtime))
    try:
        return json.loads(newest.read_text(encoding="utf-8"))
    except ValueError:
        return None


# -- one partition (the same code on every engine) ---------------------------------------------------
def make_area(engine, area: Area, day: date, out_dir: Path, config=None,
              lists: dict[str, list] | None = None) -> dict[str, Any]:
    """Build and write one area's digest; returns its journal entry. ``lists``: seekers' match
    lists already made today (a seeker is in their station's, township's and county's digest:
    one partition makes each list once)."""
    from matcher.digests import build_digest, write_digest

    t0 = time.perf_counter()
    if area.kind == "station":
        d = build_digest(engine, station_id=area.id, day=day, config=config, lists=lists)
    else:
        d = build_digest(engine, region_code=area.id, day=day, config=config, lists=lists)
    paths = write_digest(d, out_dir)
    c = d["concentration"]
    return {"area": area.key, "files": [p.name for p in paths], "seekers": len(d["seekers"]),
            "open_jobs": d["jobs"]["open_count"], "recommendations": c["recommendations"], "gini": c["gini"],
            "max_per_opening": c["max_per_opening"], "seconds": round(time.perf_counter() - t0, 3)}


def _open_reader(spec: dict[str, Any]):
    """A read-only engine on the store and the stored vectors (no index written, nothing embedded;
    the seekers' table and vectors without their index, which ranking jobs for them does not use)."""
    from matcher.engine import MatchEngine

    return MatchEngine.open(home=spec["home"], database_url=spec.get("database_url"),
                            model_cache=spec.get("model_cache") or None, sync_interval=3600, read_only=True,
                            seeker_index=False)


def _spec(engine) -> dict[str, Any]:
    s = engine.settings
    return {"home": str(s.home.resolve()), "database_url": s.database_url,
            "model_cache": str(s.model_cache) if s.model_cache else None}


_worker_engine = None  # one read-only engine per local worker process


def _local_init(spec: dict[str, Any]) -> None:
    global _worker_engine
    _worker_engine = _open_reader(spec)


def _local_task(areas: list[Area], day: str, out_dir: str) -> list[dict[str, Any]]:
    lists: dict[str, list] = {}  # one partition (a county): each seeker's list made once
    return [make_area(_worker_engine, a, date.fromisoformat(day), Path(out_dir), lists=lists) for a in areas]


class _RayWorker:
    """The Ray actor: opens the store read-only once and makes the partitions it is given."""

    def __init__(self, spec: dict[str, Any]):
        self.engine = _open_reader(spec)
        self.engine.warm(load_encoder=False)

    def run(self, areas: list[Area], day: str, out_dir: str) -> list[dict[str, Any]]:
        lists: dict[str, list] = {}
        return [make_area(self.engine, a, date.fromisoformat(day), Path(out_dir), lists=lists) for a in areas]


# -- the run -------------------------------------------------------------------------------------
def run_all(engine, day: date, out_dir: Path, *, backend: str = "local", address: str | None = None,
            workers: int = 1, show_progress: bool = False,
            on_done: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Digests of every area for ``day`` into ``out_dir``, resuming a run that stopped.

    ``backend``: ``local`` (this process when ``workers`` is 1, else that many processes) or
    ``ray`` (``address`` of a running cluster, e.g. ``127.0.0.1:6379``; none: a local Ray started
    here with ``workers`` CPUs). ``on_done`` is called with each finished area's journal entry
    (progress hooks, tests). Returns the run's summary (also written to the manifest)."""
    from tqdm import tqdm

    if backend not in ("local", "ray"):
        raise ValueError(f"unknown digest engine {backend!r} (local or ray)")
    t0 = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    engine.warm(load_encoder=False)  # the index saved and every vector stored before workers read them
    if backend == "ray" or workers > 1:
        engine.unload()  # the workers hold their own copies: this process needs only the store
    manifest = Manifest(out_dir, day)
    areas = province_areas(engine)
    done = manifest.done()
    todo = [a for a in areas if a.key not in done]
    parts = partitions(todo)
    bar = tqdm(total=len(areas), initial=len(areas) - len(todo), desc="生成推送 / digests", unit="区域",
               disable=not show_progress)

    def finished(entries: list[dict[str, Any]]) -> None:
        manifest.record(entries)
        for e in entries:
            done[e["area"]] = e
            if on_done is not None:
                on_done(e)
        bar.update(len(entries))

    try:
        if backend == "ray":
            _run_ray(engine, parts, day, out_dir, address, workers, finished)
        elif workers <= 1:
            for part in parts:
                lists: dict[str, list] = {}
                for a in part:
                    finished([make_area(engine, a, day, out_dir, lists=lists)])
        else:
            _run_processes(engine, parts, day, out_dir, workers, finished)
    finally:
        bar.close()
    entries = [done[a.key] for a in areas if a.key in done]
    by_kind = {k: sum(1 for a in areas if a.kind == k) for k in KINDS}
    ginis = [e["gini"] for e in entries if e["recommendations"]]
    summary = {
        "date": day.isoformat(), "engine": backend, "workers": workers, "out_dir": str(out_dir),
        "areas": len(entries), "stations": by_kind["station"], "townships": by_kind["township"],
        "counties": by_kind["county"],
        "resumed": len(areas) - len(todo), "seekers": sum(e["seekers"] for e in entries if e["area"].startswith("county:")),
        "recommendations": sum(e["recommendations"] for e in entries if e["area"].startswith("county:")),
        "mean_gini": round(sum(ginis) / len(ginis), 4) if ginis else 0.0,
        "max_per_opening": max((e["max_per_opening"] for e in entries), default=0.0),
        "seconds": round(time.perf_counter() - t0, 2),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    manifest.finish(summary)
    return summary


def _run_processes(engine, parts: list[list[Area]], day: date, out_dir: Path, workers: int, finished) -> None:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"), initializer=_local_init,
                             initargs=(_spec(engine),)) as pool:
        futures = [pool.submit(_local_task, part, day.isoformat(), str(out_dir)) for part in parts]
        for fut in as_completed(futures):
            finished(fut.result())


def _run_ray(engine, parts: list[list[Area]], day: date, out_dir: Path, address: str | None, workers: int,
             finished) -> None:
    """Partitions over a pool of Ray actors. With ``address`` the cluster is someone else's and is
    left running; without it a local Ray is started for this run (loopback only) and stopped."""
    if not address:  # a Ray of our own: loopback only (else Ray binds to the machine's address)
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    try:
        import ray
        from ray.util import ActorPool
    except ImportError:  # pragma: no cover - depends on the install
        from matcher.errors import MatcherError

        raise MatcherError("未安装 Ray：pip install 'hebei-job-matcher[cluster]' / Ray is not installed") from None
    started = not ray.is_initialized()
    if started:
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=max(1, workers), include_dashboard=False, log_to_driver=False,
                     _node_ip_address="127.0.0.1")
    try:
        if not parts:
            return
        n = max(1, min(workers, len(parts)))
        actor = ray.remote(num_cpus=1)(_RayWorker)
        pool = ActorPool([actor.remote(_spec(engine)) for _ in range(n)])
        for entries in pool.map_unordered(lambda w, p: w.run.remote(p, day.isoformat(), str(out_dir)), parts):
            finished(entries)
    finally:
        if started:
            ray.shutdown()
