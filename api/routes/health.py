"""``/healthz`` (the process is up), ``/readyz`` (the indexes are loaded and the database answers)
and ``/metrics``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client.core import GaugeMetricFamily

from api.degrade import CODE as DB_CODE
from api.degrade import MESSAGE as DB_MESSAGE
from api.guard import PrincipalDep
from api.metrics import CONTENT_TYPE
from api.schemas import ErrorResponse, Health, Ready
from matcher.access import READ, require

router = APIRouter(tags=["health · 运行状态"])

_SIDE_KIND = {"jobs": "job", "seekers": "seeker"}


def index_sizes(engine) -> dict[str, int]:
    """Records in each loaded index (a side not loaded yet is left out)."""
    return {name: info["size"] for name, info in engine.index_info().items()}


@router.get("/healthz", response_model=Health, summary="存活检查 / liveness")
def healthz():
    return {"status": "ok"}


@router.get("/readyz", response_model=Ready, responses={503: {"model": ErrorResponse}},
            summary="就绪检查：索引已加载且数据库可用 / readiness: indexes loaded, database reachable")
def readyz(request: Request):
    state = request.app.state
    engine = getattr(state, "engine", None)
    health = getattr(state, "db_health", None)
    if health is not None and not health.up:
        return JSONResponse(status_code=503, headers={"Retry-After": str(state.settings.db_retry_after)}, content={
            "code": DB_CODE, "message": DB_MESSAGE, "field": None, "errors": [], "status": DB_CODE,
            "down_seconds": round(health.down_for, 1)})
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


def _gauge(name: str, doc: str, labels: tuple[str, ...] = ()) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=list(labels))


def engine_families(request: Request) -> list[GaugeMetricFamily]:
    """This process's engine and the store, read at scrape time (the store is not asked while the
    database is down; a gauge that cannot be read is left out, a scrape never fails for one)."""
    state = request.app.state
    engine = getattr(state, "engine", None)
    health = getattr(state, "db_health", None)
    ready = engine is not None and state.ready.is_set() and (health is None or health.up)
    out = []
    g = _gauge("matcher_ready", "1 while /readyz answers 200 (indexes loaded, database reachable).")
    g.add_metric([], int(ready))
    out.append(g)
    if health is not None:
        g = _gauge("matcher_database_down_seconds", "Seconds the current database outage has lasted (0: none).")
        g.add_metric([], round(health.down_for, 3))
        out.append(g)
    if engine is None:
        return out
    sides = engine.index_info()
    size = _gauge("matcher_index_size", "Records in each vector index.", ("side",))
    for name, info in sorted(sides.items()):
        size.add_metric([name], info["size"])
    out.append(size)
    if health is not None and not health.up:
        return out
    queue = _gauge("matcher_embedding_queue", "Records written to the store but not yet embedded and indexed.",
                   ("side",))
    lag = _gauge("matcher_index_lag_changes", "Changes in the store that this process's index has not applied yet.",
                 ("side",))
    for name, info in sorted(sides.items()):
        try:
            kind = _SIDE_KIND[name]
            queue.add_metric([name], engine.store.count(kind, seq_above=info["seq"]))
            lag.add_metric([name], max(0, engine.store.max_seq(kind) - info["seq"]))
        except Exception:
            continue
    out += [queue, lag]
    records = _gauge("matcher_records", "Live records in the store.", ("kind",))
    for kind in ("job", "seeker", "employer", "station", "referral"):
        try:
            records.add_metric([kind], engine.store.count(kind))
        except Exception:
            continue
    out.append(records)
    try:
        from matcher.store.runs import last_runs

        runs = last_runs(engine.store)
    except Exception:
        runs = {}
    if "digest" in runs:
        run = runs["digest"]
        g = _gauge("matcher_last_digest_timestamp_seconds", "When the last digest run finished (Unix time).")
        g.add_metric([], run["finished_at"].timestamp())
        out.append(g)
        g = _gauge("matcher_last_digest_duration_seconds", "How long the last digest run took.")
        g.add_metric([], run["seconds"])
        out.append(g)
    return out


@router.get("/metrics", response_class=Response, summary="Prometheus 指标 / Prometheus metrics",
            description="需要省级或平台服务账号 / needs a province or platform account")
def metrics(request: Request, p: PrincipalDep):
    require(p, "metrics", READ)
    body = request.app.state.metrics.render(engine_families(request))
    return Response(body, media_type=CONTENT_TYPE)
