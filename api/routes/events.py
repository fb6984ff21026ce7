"""``/v1/events``: recruitment events and internships, invitation lists and attendance (matcher/events.py);
``/v1/seekers/{id}/training``: training suggested when nothing relevant is reachable."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import EngineDep, MatchLimit
from api.guard import PrincipalDep, readable
from api.schemas import errors
from matcher.access import READ, WRITE, Principal, require
from matcher.errors import NotFoundError
from matcher.events import event_outcomes, invitations, record_attendance, save_event, training_suggestions

router = APIRouter(tags=["network · 服务网络"])


def _event(engine, p: Principal, event_id: str, verb: str = READ) -> dict[str, Any]:
    require(p, "events", verb)
    ev = engine.network.get("event", event_id)
    try:
        readable(engine, p, "station", ev["station_id"])
    except NotFoundError:
        raise NotFoundError("event", event_id) from None
    return ev


@router.get("/v1/events", responses=errors(403, 503), summary="招聘活动列表 / recruitment events")
def list_events(engine: EngineDep, p: PrincipalDep, station_id: str | None = None):
    require(p, "events", READ)
    out = []
    for ev in engine.network.all("event", ref_id=station_id):
        try:
            readable(engine, p, "station", ev["station_id"])
        except NotFoundError:
            continue
        out.append(ev)
    return JSONResponse({"data": sorted(out, key=lambda e: (e["date"], e["id"]))})


@router.post("/v1/events", status_code=201, responses=errors(403, 404, 422, 503),
             summary="新增招聘活动 / create an event")
def create_event(engine: EngineDep, p: PrincipalDep, body: Annotated[dict[str, Any], Body()]):
    require(p, "events", WRITE)
    data = {**body, "id": body.get("id") or "EV" + uuid.uuid4().hex[:12].upper()}
    if data.get("station_id"):
        readable(engine, p, "station", str(data["station_id"]))
    return JSONResponse(save_event(engine, data), status_code=201)


@router.get("/v1/events/{id}", responses=errors(404, 503), summary="查看招聘活动 / get an event")
def get_event(id: str, engine: EngineDep, p: PrincipalDep):
    ev = _event(engine, p, id)
    return JSONResponse({**ev, "outcomes": event_outcomes(engine, id)})


@router.delete("/v1/events/{id}", status_code=204, response_class=Response, responses=errors(404, 503),
               summary="删除招聘活动 / delete an event")
def delete_event(id: str, engine: EngineDep, p: PrincipalDep):
    _event(engine, p, id, WRITE)
    engine.network.delete("event", id)
    return Response(status_code=204)


@router.get("/v1/events/{id}/invitations", responses=errors(404, 503),
            summary="邀请名单 / invitation list",
            description="活动岗位的匹配求职者：就业援助对象在前，按可达层级和得分排序；超出可达范围且不愿异地就业的不邀请。")
async def get_invitations(id: str, request: Request, engine: EngineDep, p: PrincipalDep, limit: MatchLimit = 100):
    _event(engine, p, id)
    return JSONResponse(await run_in_threadpool(invitations, engine, id, limit=limit))


@router.post("/v1/events/{id}/attendance", responses=errors(404, 422, 503),
             summary="登记到场与结果 / record attendance and outcomes",
             description="请求体：[{seeker_id, attended, outcome: none|interview|offer|hired, job_id, note}]")
def post_attendance(id: str, engine: EngineDep, p: PrincipalDep, body: Annotated[list[dict[str, Any]], Body()]):
    _event(engine, p, id, WRITE)
    return JSONResponse({"data": record_attendance(engine, id, body), "outcomes": event_outcomes(engine, id)})


@router.get("/v1/seekers/{id}/training", responses=errors(404, 503),
            summary="培训建议 / training suggestions",
            description="当求职者附近没有可到达的相关岗位时，按附近岗位所缺技能统计，建议能打开最多岗位的培训或职业指导。")
async def training(id: str, engine: EngineDep, p: PrincipalDep):
    require(p, "matches", READ)
    readable(engine, p, "seeker", id)
    return JSONResponse(await run_in_threadpool(training_suggestions, engine, id))
