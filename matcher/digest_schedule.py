"""Every morning, by itself: the day's digests built at a configured time (``matcher schedule``, or
``matcher serve`` with ``MATCHER_DIGEST_AT``), the last N days kept, and the stored digest served
by ``GET /v1/digests`` and the console when it exists.

Layout: ``<digest_dir>/<YYYY-MM-DD>/digest_<area>_<YYYY-MM-DD>.{json,html,csv}`` plus that day's
manifest (:mod:`matcher.digest_all`). A day counts as done when its ``manifest-<day>.json`` exists;
a run killed half-way is resumed by the next tick. The clock and the sleep are injectable, so a test
can move time forward.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from matcher.digest_all import Manifest, run_all

log = logging.getLogger(__name__)


def parse_at(text: str) -> time:
    hh, mm = text.split(":")
    return time(int(hh), int(mm))


def day_dir(root: Path, day: date) -> Path:
    return root / day.isoformat()


def stored_digest(root: Path, area_id: str, day: date) -> dict[str, Any] | None:
    """The scheduled digest of an area (station id or region code) for a day, when it was built."""
    if not area_id or "/" in area_id or "\\" in area_id or area_id.startswith("."):
        return None
    path = day_dir(root, day) / f"digest_{area_id}_{day.isoformat()}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


class DigestScheduler:
    """Builds the day's digests once ``at`` has passed and the day is not done yet."""

    def __init__(self, engine, *, at: str = "06:00", keep_days: int = 7, out_root: Path, workers: int = 1,
                 backend: str = "local", address: str | None = None,
                 clock: Callable[[], datetime] = datetime.now, sleep: Callable[[float], Any] | None = None):
        self.engine = engine
        self.at = parse_at(at)
        self.keep_days = keep_days
        self.out_root = Path(out_root)
        self.workers = workers
        self.backend = backend
        self.address = address
        self.clock = clock
        self._stop = threading.Event()
        self.sleep = sleep or self._stop.wait
        self.last: dict[str, Any] | None = None  # the last run's summary (plain values, for monitoring)

    def today(self) -> date:
        return self.clock().date()

    def is_done(self, day: date) -> bool:
        return Manifest(day_dir(self.out_root, day), day).summary_path.exists()

    def due(self, now: datetime) -> date | None:
        """The day to build now, if any: today, once ``at`` has passed, unless already built."""
        day = now.date()
        if now.time() >= self.at and not self.is_done(day):
            return day
        return None

    def next_run(self, now: datetime) -> datetime:
        at_today = datetime.combine(now.date(), self.at)
        if now < at_today:
            return at_today
        return datetime.combine(now.date() + timedelta(days=1), self.at)

    def run_day(self, day: date) -> dict[str, Any]:
        summary = run_all(self.engine, day, day_dir(self.out_root, day), backend=self.backend, address=self.address,
                          workers=self.workers)
        self.last = summary
        from matcher.store.runs import record_run

        # what /metrics reports as the last digest run and its duration
        record_run(self.engine.store, "digest", summary["seconds"],
                   {"date": day.isoformat(), "scope": "all", "areas": summary["areas"], "scheduled": True})
        self.prune(day)
        log.info("每日推送已生成 / digests for %s built: %d areas in %.1f s", day, summary["areas"], summary["seconds"])
        return summary

    def prune(self, today: date) -> list[date]:
        """Remove day folders older than the last ``keep_days`` days (today included)."""
        removed = []
        oldest = today - timedelta(days=self.keep_days - 1)
        for p in self.out_root.glob("????-??-??"):
            try:
                d = date.fromisoformat(p.name)
            except ValueError:
                continue
            if d < oldest and p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
                removed.append(d)
        return sorted(removed)

    def tick(self) -> dict[str, Any] | None:
        """Build today's digests if they are due; returns the run's summary or None."""
        day = self.due(self.clock())
        return self.run_day(day) if day is not None else None

    def run_forever(self, max_wait_s: float = 60.0) -> None:
        """Tick, then sleep until the next run (at most ``max_wait_s`` at a time, so a changed clock or
        a stop is noticed). A failed run is logged and tried again at the next tick."""
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("每日推送生成失败 / the scheduled digest run failed")
            wait = (self.next_run(self.clock()) - self.clock()).total_seconds()
            self.sleep(max(1.0, min(max_wait_s, wait)))

    def start(self) -> threading.Thread:
        """Run in a daemon thread (``matcher serve``); :meth:`stop` ends it."""
        th = threading.Thread(target=self.run_forever, name="matcher-digests", daemon=True)
        th.start()
        return th

    def stop(self) -> None:
        self._stop.set()
