"""The FastAPI application, built by :func:`create_app` (nothing happens at import).

``uvicorn --factory api.app:create_app`` or ``matcher serve``. The engine is opened in the app's
lifespan (or handed in, for tests) and its indexes are loaded in a background thread: ``/readyz``
answers 503 until they are, ``/healthz`` answers at once.

Errors: every error answer is ``{"code", "message", "field", "errors"}`` (docs/api.md), with the
matcher's errors mapped to HTTP status codes here and only here.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import threading
import time
import traceback
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.degrade import OutageMiddleware, TokenMemory, database_error
from api.deps import ApiError
from api.metrics import Metrics, MetricsMiddleware, route_template
from api.multiproc import multiprocess_dir
from api.ratelimit import RateLimited, RateLimiter
from matcher.engine import MatchEngine
from matcher.errors import FieldError, MatcherError, ValidationFailed
from matcher.records import field_errors, redact_personal
from matcher.settings import Settings
from matcher.store.health import DatabaseHealth, store_probe

log = logging.getLogger("matcher.api")

STATUS_OF_CODE = {
    "validation_error": 422,
    "import_rejected": 422,
    "not_found": 404,
    "unauthorized": 401,
    "forbidden": 403,
    "conflict": 409,
    "payload_too_large": 413,
    "rate_limited": 429,
    "bad_request": 400,
    "not_ready": 503,
    "config_error": 500,
}

DESCRIPTION = """河北基层公共就业服务站岗位匹配引擎 HTTP 接口。
HTTP API of the job-matching engine for Hebei's grassroots public employment service stations.

错误统一为 `{"code", "message", "field", "errors"}`；`message` 先中文后英文。"""


# -- error answers --------------------------------------------------------------------------------
def error_response(status: int, code: str, message: str, field: str | None = None,
                   errors: Sequence[FieldError] = (), headers: dict[str, str] | None = None) -> JSONResponse:
    """The one error shape. Phone- and ID-like numbers are masked in every message and value, so an
    id in a path or a value in the wrong field does not carry one back out."""
    items = [{**asdict(e), "message": redact_personal(e.message), "value": redact_personal(e.value)} for e in errors]
    return JSONResponse(
        status_code=status,
        content={"code": code, "message": redact_personal(message), "field": field, "errors": items},
        headers=headers,
    )


async def _matcher_error(request: Request, exc: MatcherError) -> JSONResponse:
    code = exc.code if exc.code in STATUS_OF_CODE else "validation_error"
    headers = {"WWW-Authenticate": "Bearer"} if code == "unauthorized" else None
    return error_response(STATUS_OF_CODE[code], code, exc.message, exc.field, getattr(exc, "errors", ()), headers)


async def _rate_limited(request: Request, exc: RateLimited) -> JSONResponse:
    return error_response(429, "rate_limited", f"请求过于频繁，请 {exc.retry_after} 秒后再试 / too many requests: retry "
                                               f"after {exc.retry_after} s", headers={"Retry-After": str(exc.retry_after)})


async def _too_deep(request: Request, exc: RecursionError) -> JSONResponse:
    return error_response(400, "bad_request", "请求体嵌套过深 / the request body is nested too deeply")


async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
    return error_response(exc.status, exc.code, exc.message, exc.field)


class _Errors:
    """Looks like a pydantic ValidationError to :func:`matcher.records.field_errors`."""

    def __init__(self, errors: list[dict[str, Any]]):
        self._errors = errors

    def errors(self, include_url: bool = False) -> list[dict[str, Any]]:
        return self._errors


_DATE_TYPES = {"date_parsing", "date_type", "date_from_datetime_parsing", "date_from_datetime_inexact"}
_OBJECT_TYPES = {"dict_type", "model_type", "model_attributes_type"}
_PERSONAL_PARAMS = {"q"}
_PERSONAL_PATHS = ("/v1/seekers", "/v1/matches/jobs")  # seekers and seeker profiles
_SOURCES = {"body": "请求体 / body", "query": "查询参数 / query", "path": "地址 / path", "header": "请求头 / header"}


def translate_request_errors(raw: Sequence[dict[str, Any]], personal: bool = False) -> list[FieldError]:
    """FastAPI's request errors -> our bilingual per-field errors (field = the body field or the
    query/path parameter's name). ``personal``: a request about seekers, whose values are never
    repeated (see :func:`matcher.records.field_errors`)."""
    out: list[FieldError] = []
    for err in raw:
        loc = [p for p in err.get("loc", ()) if not isinstance(p, int)]
        source = loc[0] if loc and loc[0] in _SOURCES else None
        rest = [str(p) for p in (loc[1:] if source else loc)]
        field = rest[0] if rest else None
        kind = err.get("type", "")
        ctx = err.get("ctx") or {}
        # a body's values are shown by field_errors (which hides personal ones); ``q`` searches by
        # name or phone, so it is never repeated either
        hidden = source == "body" or err.get("input") is None or field in _PERSONAL_PARAMS or personal
        shown = None if hidden else str(err.get("input"))[:80]
        if kind == "missing" and field is None:
            out.append(FieldError(None, "缺少请求体 / the request body is missing"))
        elif kind in _OBJECT_TYPES:
            out.append(FieldError(field, "应为 JSON 对象 / must be a JSON object"))
        elif kind in _DATE_TYPES:
            out.append(FieldError(field, "应为日期，如 2025-03-01 / must be a date such as 2025-03-01", value=shown))
        elif kind in ("literal_error", "enum"):
            expected = ctx.get("expected", "")
            out.append(FieldError(field, f"取值无效：{shown or ''}，可选值：{expected} / invalid value; allowed: {expected}",
                                  value=shown))
        elif kind == "string_pattern_mismatch":
            out.append(FieldError(field, "格式不正确 / invalid format", value=shown))
        elif kind == "string_too_short":
            out.append(FieldError(field, "不能为空 / must not be empty", value=shown))
        else:
            for fe in field_errors(_Errors([{**err, "loc": tuple(rest)}]), personal=personal):
                out.append(FieldError(fe.field, fe.message, value=shown if source != "body" else fe.value))
    return out


async def _request_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    raw = list(exc.errors())
    bad_json = next((e for e in raw if e.get("type") == "json_invalid"), None)
    if bad_json is not None:
        detail = (bad_json.get("ctx") or {}).get("error", "")
        return error_response(400, "bad_request", f"请求体不是有效的 JSON / malformed JSON body: {detail}".rstrip(": "))
    errs = translate_request_errors(raw, personal=request.url.path.startswith(_PERSONAL_PATHS))
    failed = ValidationFailed(errs)
    return error_response(422, "validation_error", failed.message, failed.field, errs)


_HTTP_CODES = {
    400: ("bad_request", "请求无效 / bad request"),
    404: ("not_found", "未找到该地址 / no such path"),
    405: ("method_not_allowed", "不支持该请求方法 / method not allowed"),
    413: ("payload_too_large", "请求体过大 / request body too large"),
    503: ("not_ready", "服务暂不可用 / service unavailable"),
}


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code, message = _HTTP_CODES.get(exc.status_code, ("http_error", ""))
    detail = exc.detail if isinstance(exc.detail, str) else ""
    if detail and detail not in message and exc.status_code not in (404, 405):
        message = f"{message}: {detail}" if message else detail
    return error_response(exc.status_code, code, message or str(exc.status_code), headers=getattr(exc, "headers", None))


def redacted_traceback(exc: BaseException) -> str:
    """A traceback with the exception types and code lines but *not* the exception messages, which
    can carry personal data (SQL parameters, a rejected value, a pydantic input)."""
    chain: list[BaseException] = []
    e: BaseException | None = exc
    while e is not None and e not in chain and len(chain) < 5:
        chain.append(e)
        e = e.__cause__ or e.__context__
    parts = []
    for e in reversed(chain):
        parts.append("".join(traceback.format_list(traceback.extract_tb(e.__traceback__))).rstrip())
        parts.append(f"{type(e).__module__}.{type(e).__qualname__} (message withheld: it may hold personal data)")
    return "\n".join(p for p in parts if p)


def log_unhandled(scope: Scope, exc: BaseException) -> None:
    log.error("unhandled error on %s %s: %s\n%s", scope.get("method", ""), route_template(scope),
              type(exc).__name__, redacted_traceback(exc))


def _internal_error() -> JSONResponse:
    return error_response(500, "internal_error", "服务器内部错误 / internal server error")


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    log_unhandled(request.scope, exc)
    return _internal_error()


class CatchAllMiddleware:
    """An unexpected exception becomes the JSON 500 answer and one redacted log line here, instead
    of reaching the server, whose error log would print the exception's message (see
    :func:`redacted_traceback`)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:
            log_unhandled(scope, exc)
            if not started:  # else the answer is cut short: nothing more can be said
                await _internal_error()(scope, receive, send)


# -- body size limit -----------------------------------------------------------------------------
class _TooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Refuses request bodies over ``max_bytes`` with 413 ``payload_too_large``: at once when the
    Content-Length says so, else as soon as the streamed body passes the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def _refuse(self, send: Send) -> None:
        mb = self.max_bytes / (1024 * 1024)
        resp = error_response(413, "payload_too_large",
                              f"请求体过大（上限 {mb:.3g} MB）/ request body too large (limit {mb:.3g} MB)")
        await send({"type": "http.response.start", "status": 413, "headers": resp.raw_headers})
        await send({"type": "http.response.body", "body": resp.body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await self._refuse(send)
            return
        received = 0
        too_large = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    too_large = True
                    raise _TooLarge()
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if too_large:  # whatever the app makes of the cut-off body, the answer is 413
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not too_large:
                raise
        if too_large and not started:
            await self._refuse(send)


# -- response headers ------------------------------------------------------------------------------
class NoStoreMiddleware:
    """Every answer of the API (``/v1/...``) may hold personal data: ``Cache-Control: no-store``, so no
    browser or proxy keeps a copy; and ``X-Content-Type-Options: nosniff``."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith("/v1/"):
            await self.app(scope, receive, send)
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
                headers += [(b"cache-control", b"no-store"), (b"pragma", b"no-cache"),
                            (b"x-content-type-options", b"nosniff")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_wrapper)


# -- NUL characters --------------------------------------------------------------------------------
class NulGuardMiddleware:
    """Refuses a NUL character in the path, the query string or the ``X-Purpose`` header with 400
    ``bad_request``: no text may hold one (PostgreSQL cannot store or compare it; record bodies are
    checked by the records' own validation)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    @staticmethod
    def _has_nul(scope: Scope) -> bool:
        if "\x00" in scope.get("path", ""):
            return True
        raw = (scope.get("query_string") or b"").lower()
        if b"%00" in raw or b"\x00" in raw:
            return True
        purpose = dict(scope.get("headers") or []).get(b"x-purpose", b"").lower()
        return b"%00" in purpose or b"\x00" in purpose

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._has_nul(scope):
            resp = error_response(400, "bad_request", "地址、查询参数和请求头中不能含有空字符（%00）/ NUL characters "
                                                      "(%00) are not allowed in the path, query or headers")
            await resp(scope, receive, send)
            return
        await self.app(scope, receive, send)


# -- the app -------------------------------------------------------------------------------------
def _warm(app: FastAPI, engine: MatchEngine) -> None:
    start = time.perf_counter()
    try:
        sizes = engine.warm()
    except Exception as e:  # reported by /readyz; the process stays up for /healthz and fixes
        log.exception("loading the indexes failed")
        app.state.warm_error = f"{type(e).__name__}: {e}"
        return
    app.state.warm_seconds = round(time.perf_counter() - start, 3)
    app.state.ready.set()
    log.info("indexes ready in %.1f s: %s", app.state.warm_seconds, sizes)


def _include_console(app: FastAPI) -> None:
    """The station web console (``api/routes/console.py``), when present: its ``router`` is
    included and its ``setup(app)``, if any, is called (e.g. to mount static files)."""
    if importlib.util.find_spec("api.routes.console") is None:
        return
    console = importlib.import_module("api.routes.console")
    router = getattr(console, "router", None)
    if router is not None:
        app.include_router(router)
    setup = getattr(console, "setup", None)
    if callable(setup):
        setup(app)


def open_engine(settings: Settings) -> MatchEngine:
    """``MatchEngine.open`` for a ready settings object (its ``encoder`` keyword means a loaded
    encoder, so the settings are handed over whole instead of as keywords)."""
    from matcher.store import Store

    settings.home.mkdir(parents=True, exist_ok=True)
    return MatchEngine(settings, Store.open(settings.resolved_database_url))


def _start_digest_scheduler(engine: MatchEngine):
    """``MATCHER_DIGEST_AT`` set: the day's digests are built in this server at that time
    (:mod:`matcher.digest_schedule`); run one server with it, or use ``matcher schedule`` instead."""
    from matcher.digest_schedule import DigestScheduler

    s = engine.settings
    sched = DigestScheduler(engine, at=s.digest_at, keep_days=s.digest_keep_days, out_root=s.resolved_digest_dir,
                            workers=s.digest_workers)
    sched.start()
    return sched


def create_app(settings: Settings | None = None, engine: MatchEngine | None = None) -> FastAPI:
    """Build the API. With ``engine`` the app uses it and leaves it open at shutdown (the caller
    owns it); without, it opens one from ``settings`` (default: the environment) in its lifespan."""
    if settings is None:
        settings = engine.settings if engine is not None else Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = app.state
        state.ready = threading.Event()
        state.warm_error = None
        state.warm_seconds = None
        owned = engine is None
        eng = await run_in_threadpool(open_engine, settings) if owned else engine
        state.engine = eng
        state.db_health = DatabaseHealth(store_probe(eng.store), interval=settings.db_probe_interval,
                                         on_change=state.metrics.set_database_up)
        state.db_health.start()
        warm = threading.Thread(target=_warm, args=(app, eng), name="matcher-warm", daemon=True)
        warm.start()
        state.digest_scheduler = _start_digest_scheduler(eng) if owned and eng.settings.digest_at else None
        try:
            yield
        finally:
            state.db_health.stop()
            if state.digest_scheduler is not None:
                state.digest_scheduler.stop()
            warm.join(timeout=30)
            if multiprocess_dir() is not None:  # this worker's live gauges leave the merged view
                from prometheus_client import multiprocess

                multiprocess.mark_process_dead(os.getpid())
            state.engine = None
            if owned:
                await run_in_threadpool(eng.close)

    app = FastAPI(
        title="河北基层就业服务岗位匹配 / Hebei job matcher",
        version=_version(),
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc are served with local assets (api/routes/docs.py)
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = None
    app.state.ready = threading.Event()
    app.state.warm_error = None
    app.state.warm_seconds = None
    app.state.metrics = Metrics(settings)
    app.state.db_health = None  # the lifespan starts it (api/degrade.py)
    app.state.token_memory = TokenMemory(settings.outage_token_minutes)
    app.state.rate_limiter = RateLimiter()

    app.add_exception_handler(MatcherError, _matcher_error)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RateLimited, _rate_limited)
    app.add_exception_handler(RecursionError, _too_deep)
    app.add_exception_handler(RequestValidationError, _request_validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DBAPIError, database_error)  # unreachable: 503 (api/degrade.py); else 500
    app.add_exception_handler(Exception, _unhandled)

    # The last added runs first: metrics see every request, 413s and 500s included.
    app.add_middleware(BodyLimitMiddleware, max_bytes=int(settings.max_upload_mb * 1024 * 1024))
    app.add_middleware(NulGuardMiddleware)
    app.add_middleware(NoStoreMiddleware)
    app.add_middleware(CatchAllMiddleware)
    app.add_middleware(OutageMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)

    from api.routes import (
        audit,
        cases,
        cooperation,
        coverage,
        digests,
        employers,
        employment,
        events,
        gigs,
        health,
        jobs,
        matches,
        performance,
        referrals,
        registration,
        seekers,
        services,
        stations,
        stats,
    )

    # registration's fixed paths (/v1/seekers/import/preview...) before the records' /{id} routes
    for module in (health, registration, jobs, seekers, employers, stations, referrals, matches, stats, digests, audit,
                   employment, cases, services, performance, coverage, cooperation, events, gigs):
        app.include_router(module.router)
    _include_console(app)
    from api.routes import docs

    docs.setup(app)
    return app


def _version() -> str:
    from matcher import __version__

    return __version__
