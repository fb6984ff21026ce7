"""The last run of each batch task (``task_runs``): written by ``matcher digest``, read by
``/metrics`` (``matcher_last_digest_timestamp_seconds``, ``..._duration_seconds``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from matcher.store.schema import task_runs


def record_run(store, task: str, seconds: float, detail: dict[str, Any] | None = None,
               finished_at: datetime | None = None) -> None:
    """Replace the task's last run (one transaction)."""
    end = finished_at or datetime.now(UTC)
    row = {"task": task, "started_at": end - timedelta(seconds=seconds), "finished_at": end,
           "seconds": float(seconds), "detail": detail or {}}
    with store.engine.begin() as conn:
        conn.execute(delete(task_runs).where(task_runs.c.task == task))
        conn.execute(store.replacing_insert(task_runs), [row])


def last_runs(store) -> dict[str, dict[str, Any]]:
    """``{task: {"finished_at": datetime (UTC), "seconds": float, "detail": {...}}}``."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(task_runs)).all()
    out = {}
    for r in rows:
        end = r.finished_at if r.finished_at.tzinfo else r.finished_at.replace(tzinfo=UTC)
        out[r.task] = {"finished_at": end, "seconds": r.seconds, "detail": r.detail}
    return out
