"""Serving while the database is unreachable: degrade, don't crash (docs/operations.md).

- :class:`DatabaseHealth` (``app.state.db_health``) probes the database in the background; an
  outage is logged once when it starts and once when it ends.
- :class:`OutageMiddleware` answers ``503 database_unavailable`` with ``Retry-After`` at once, while
  the database is down, to every request that needs it (no request waits on a dead connection);
  the health checks, ``/metrics``, the console's files and the matches of an ad-hoc seeker profile
  (served from memory) go through.
- :func:`database_error` turns an error that means "unreachable" into the same 503 (the request
  that first meets an outage) and marks the database down; any other database error stays a 500.
- :func:`authenticate` accepts, during an outage only, a token the database confirmed within
  ``settings.outage_token_minutes`` (kept as its hash), so monitoring and from-memory matches keep
  working; nothing is written, so nothing can be half-written.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from matcher.access import Principal
from matcher.store.health import DatabaseHealth, is_unavailable

CODE = "database_unavailable"
MESSAGE = ("数据库暂时无法连接，请稍后重试；此期间不能保存或修改记录 / the database is unreachable: "
           "please retry shortly; records cannot be saved or changed meanwhile")
STALE_NOTE = ("数据库暂时无法连接：结果来自内存中的索引，最近的变更可能尚未反映 / the database is unreachable: "
              "these matches come from the in-memory index and may miss the latest changes")
STALE_HEADER = "X-Matcher-Stale"

# Paths answered while the database is down: health, metrics, docs and the console's files, and
# the matches of an ad-hoc seeker profile (``POST /v1/matches/jobs``), served from memory.
_OPEN_PREFIXES = ("/healthz", "/readyz", "/metrics", "/docs", "/redoc", "/openapi.json")
FROM_MEMORY = {("POST", "/v1/matches/jobs")}


def unavailable_response(retry_after: int) -> JSONResponse:
    return JSONResponse(status_code=503, headers={"Retry-After": str(retry_after)},
                        content={"code": CODE, "message": MESSAGE, "field": None, "errors": []})


def _health(app) -> DatabaseHealth | None:
    return getattr(app.state, "db_health", None)


def _retry_after(app) -> int:
    return int(app.state.settings.db_retry_after)


class OutageMiddleware:
    """Refuses what needs the database, at once, while it is known to be unreachable."""

    def __init__(self, app: ASGIApp):
        self.app = app

    @staticmethod
    def passes(method: str, path: str) -> bool:
        if not path.startswith("/v1/"):
            return True  # health, metrics, docs, the console
        return (method, path.rstrip("/")) in FROM_MEMORY

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            app = scope.get("app")
            health = _health(app) if app is not None else None
            if (health is not None and not health.up
                    and not self.passes(scope.get("method", "GET"), scope.get("path", ""))
                    and not scope.get("path", "").startswith(_OPEN_PREFIXES)):
                await unavailable_response(_retry_after(app))(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def database_error(request: Request, exc: Exception) -> JSONResponse:
    """Exception handler for SQLAlchemy's database errors."""
    health = _health(request.app)
    if is_unavailable(exc):
        if health is not None:
            health.report(exc)
        return unavailable_response(_retry_after(request.app))
    from api.app import _unhandled

    return await _unhandled(request, exc)


# -- tokens during an outage ------------------------------------------------------------------------
class TokenMemory:
    """Hashes of tokens the database confirmed, with their principal and when."""

    def __init__(self, minutes: float, clock=time.monotonic):
        self.seconds = minutes * 60
        self._clock = clock
        self._seen: dict[str, tuple[Principal, float]] = {}
        self._mutex = threading.Lock()

    def remember(self, token: str, principal: Principal) -> None:
        from matcher.accounts import hash_token

        if self.seconds <= 0:
            return
        with self._mutex:
            self._seen[hash_token(token)] = (principal, self._clock())
            if len(self._seen) > 10_000:  # drop the oldest half
                for key, _ in sorted(self._seen.items(), key=lambda kv: kv[1][1])[:5_000]:
                    del self._seen[key]

    def recall(self, token: str) -> Principal | None:
        from matcher.accounts import hash_token

        with self._mutex:
            got = self._seen.get(hash_token(token))
        if got is None or self._clock() - got[1] > self.seconds:
            return None
        return got[0]


def authenticate(request: Request, store, token: str | None) -> Principal:
    """:func:`matcher.accounts.authenticate`, falling back to :class:`TokenMemory` only when the
    database cannot be reached (an unknown token is then refused with the outage's 503)."""
    from matcher.accounts import authenticate as check

    memory: TokenMemory | None = getattr(request.app.state, "token_memory", None)
    try:
        principal = check(store, token)
    except Exception as exc:
        if memory is None or not token or not is_unavailable(exc):
            raise
        health = _health(request.app)
        if health is not None:
            health.report(exc)
        principal = memory.recall(token)
        if principal is None:
            raise
        return principal
    if memory is not None and token:
        memory.remember(token, principal)
    return principal


# -- matches from memory -----------------------------------------------------------------------------
@contextmanager
def from_memory(request: Request, engine) -> Iterator[dict[str, bool]]:
    """Around a match that may be answered from memory: the store's reads fall back to memory
    when the database is unreachable; ``state["stale"]`` tells afterwards whether one did."""
    state = {"stale": False}
    with engine.store.stale_reads() as used:
        yield state
    health = _health(request.app)
    state["stale"] = used["used"] or (health is not None and not health.up)


def stale_answer(matches: list[dict]) -> JSONResponse:
    """A from-memory answer: a note in each match's summary, and two headers."""
    for m in matches:
        m.setdefault("summary", {})["note"] = STALE_NOTE
    out = JSONResponse(matches)
    out.headers[STALE_HEADER] = "database-unavailable"
    out.headers["Warning"] = '110 matcher "database unavailable: stored data may be stale"'
    return out
