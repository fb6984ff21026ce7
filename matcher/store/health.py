"""Is the database reachable? One :class:`DatabaseHealth` per serving process.

An outage is one event, not one error per request: the first failure (a request that could not
reach the database, or the background probe) marks the database down and logs one WARNING; the
probe keeps trying every ``interval`` seconds and, when a ``SELECT 1`` answers again, marks it up
and logs one INFO line with the outage's length. Requests read :attr:`DatabaseHealth.up` (the API
answers ``503 database_unavailable`` at once while it is false) and ``/readyz`` turns false.

:func:`is_unavailable` tells an unreachable database (refused or dropped connection, server
shutting down, connect timeout) from an error in a statement, which stays a bug (500).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger("matcher.store.health")

# SQLSTATE classes of an unreachable or stopping server: 08 connection exception, 57P01-57P03
# admin/crash shutdown and cannot-connect-now (the server is starting up).
_SQLSTATES = ("08", "57P01", "57P02", "57P03")
_SQLITE_MESSAGES = ("unable to open database file", "disk i/o error")


def is_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` (or what it wraps) says the database cannot be reached right now."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if getattr(e, "connection_invalidated", False):
            return True
        name = type(e).__name__
        module = type(e).__module__ or ""
        state = getattr(e, "sqlstate", None)
        if isinstance(state, str) and state.startswith(_SQLSTATES):
            return True
        if module.startswith("psycopg") and name in ("OperationalError", "InterfaceError") and state is None:
            return True  # no SQLSTATE: the connection itself failed (refused, reset, timed out)
        if (module.startswith("sqlite3") and name == "OperationalError"
                and any(m in str(e).lower() for m in _SQLITE_MESSAGES)):
            return True
        if isinstance(e, ConnectionError | TimeoutError):
            return True
        e = getattr(e, "orig", None) or e.__cause__ or e.__context__
    return False


class DatabaseHealth:
    """The database's state as this process sees it, kept by a probe thread (:meth:`start`).

    ``probe`` runs one trivial statement and raises when the database cannot answer;
    ``on_change(up)`` is called on every transition (the metrics' gauge)."""

    def __init__(self, probe: Callable[[], None], *, interval: float = 0.5,
                 on_change: Callable[[bool], None] | None = None, clock: Callable[[], float] = time.monotonic):
        self.probe = probe
        self.interval = interval
        self.on_change = on_change
        self._clock = clock
        self._mutex = threading.Lock()
        self._up = True
        self._down_since: float | None = None
        self.outages = 0
        self.last_outage_seconds: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def up(self) -> bool:
        return self._up

    @property
    def down_for(self) -> float:
        """Seconds since the current outage began (0 while up)."""
        since = self._down_since
        return 0.0 if since is None else self._clock() - since

    def mark_down(self, exc: BaseException | None = None) -> None:
        with self._mutex:
            if not self._up:
                return
            self._up = False
            self._down_since = self._clock()
            self.outages += 1
        reason = type(exc).__name__ if exc is not None else "probe failed"
        log.warning("数据库无法连接，暂停写入，只读匹配由内存提供 / database unreachable (%s): writes are refused "
                    "with 503 until it returns", reason)
        if self.on_change:
            self.on_change(False)

    def mark_up(self) -> None:
        with self._mutex:
            if self._up:
                return
            self._up = True
            seconds = self._clock() - (self._down_since or self._clock())
            self._down_since = None
            self.last_outage_seconds = seconds
        log.warning("数据库已恢复，中断 %.1f 秒 / database reachable again after %.1f s", seconds, seconds)
        if self.on_change:
            self.on_change(True)

    def check(self) -> bool:
        """Probe once and update the state; returns whether the database answered."""
        try:
            self.probe()
        except Exception as exc:
            if is_unavailable(exc):
                self.mark_down(exc)
                return False
            raise
        self.mark_up()
        return True

    def report(self, exc: BaseException) -> bool:
        """A request failed with ``exc``: marks the database down when it means unreachable."""
        if is_unavailable(exc):
            self.mark_down(exc)
            return True
        return False

    # -- the probe thread ---------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="matcher-db-health", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check()
            except Exception:  # a probe that fails for another reason says nothing about reachability
                log.debug("database probe failed", exc_info=True)


def store_probe(store) -> Callable[[], None]:
    """``SELECT 1`` on a fresh connection of the store's pool (``pool_pre_ping`` replaces a
    connection the server dropped)."""
    from sqlalchemy import text

    def probe() -> None:
        with store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    return probe
