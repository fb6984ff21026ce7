"""``/healthz`` (the process is up), ``/readyz`` (the indexes are loaded) and ``/metrics``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from api.guard import PrincipalDep
from api.metrics import CONTENT_TYPE, gauge
from api.schemas import ErrorResponse, Health, Ready
from matcher.access import READ, require

router = APIRouter(tags=["health · 运行状态"])

_SIDE_KIND = {"jobs": "job", "seekers": "seeker"}


def index_sizes(engine) -> dict[str, int]:
    """Records in each loaded index (a side not loaded yet is left out)."""
    sides = dict(getattr(engine, "_sides", {}))
    return {name: len(side.table) for name, side in sides.items()}


@router.get("/healthz", response_model=Health, summary="存活检查 / liveness")
def healthz():
    return {"status": "ok"}


@router.get("/readyz", response_model=Ready, responses={503: {"model": ErrorResponse}},
            summary="就绪检查：索引已加载 / readiness: indexes loaded")
def readyz(request: Request):
    state = request.app.state
    engine = getattr(state, "engine", None)
    if engine is not None and state.ready.is_set():
        return {"status": "ready", "indexes": index_sizes(engine), "warm_seconds": state.warm_seconds}
    failed = getattr(state, "warm_error", None)
    if failed:
        message = f"索引加载失败：{failed} / loading the indexes failed: {failed}"
    else:
        message = "索引加载中，请稍候 / the indexes are loading"
    return JSONResponse(status_code=503, content={
        "code": "not_ready", "message": message, "field": None, "errors": [],
        "status": "failed" if failed else "loading"})


def engine_gauges(request: Request) -> list[str]:
    state = request.app.state
    engine = getattr(state, "engine", None)
    ready = engine is not None and state.ready.is_set()
    lines = gauge("matcher_ready", "1 once the indexes are loaded.", [({}, int(ready))])
    if engine is None:
        return lines
    sides = dict(getattr(engine, "_sides", {}))
    lines += gauge("matcher_index_size", "Records in each vector index.",
                   [({"side": name}, len(side.table)) for name, side in sorted(sides.items())])
    queue: list[tuple[dict[str, Any], float]] = []
    for name, side in sorted(sides.items()):
        try:
            queue.append(({"side": name}, engine.store.count(_SIDE_KIND[name], seq_above=side.seq)))
        except Exception:  # a scrape never fails for a gauge
            continue
    lines += gauge("matcher_embedding_queue", "Records written to the store but not yet embedded and indexed.",
                   queue)
    records = []
    for kind in ("job", "seeker", "employer", "station", "referral"):
        try:
            records.append(({"kind": kind}, engine.store.count(kind)))
        except Exception:
            continue
    lines += gauge("matcher_records", "Live records in the store.", records)
    return lines


@router.get("/metrics", response_class=PlainTextResponse, summary="Prometheus 指标 / Prometheus metrics",
            description="需要省级或平台服务账号 / needs a province or platform account")
def metrics(request: Request, p: PrincipalDep):
    require(p, "metrics", READ)
    body = request.app.state.metrics.render(engine_gauges(request))
    return PlainTextResponse(body, media_type=CONTENT_TYPE)
