"""``/v1/seekers/{id}/employment``: a person's employment ledger (every change, dated, with its
form, workplace and source), and ``/v1/stats/employment``: the employment situation and its
monthly changes by township and village. Staff of the person's area only (404 outside it)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import EngineDep, RegionQuery, writing
from api.guard import PrincipalDep, purpose, readable
from api.schemas import errors
from matcher import audit, ledger
from matcher.access import READ, WRITE, area_for, require
from matcher.errors import FieldError, NotFoundError, ValidationFailed

router = APIRouter(tags=["employment · 就业台账"])

FromQuery = Annotated[date | None, Query(alias="from", description="起始日期（含）/ from (inclusive)")]
ToQuery = Annotated[date | None, Query(alias="to", description="截止日期（不含）/ to (exclusive)")]


def check_period(since: date | None, until: date | None) -> None:
    if since and until and until <= since:
        raise ValidationFailed([FieldError("to", "截止日期应晚于起始日期 / `to` must be after `from`")])


@router.get("/v1/seekers/{id}/employment", responses=errors(404, 503), response_model=dict[str, Any],
            summary="就业台账：一人的就业变动记录 / a person's employment history",
            description="按日期从早到晚；`current` 为当前有效的一条。 / Oldest first; `current` is the entry in force.")
def employment_history(id: str, request: Request, engine: EngineDep, p: PrincipalDep):
    require(p, "employment", READ)
    seeker = readable(engine, p, "seeker", id)
    entries = ledger.entries_of(engine.store, id)
    audit.record_reads(engine.store, p, "employment.read", "seeker", [seeker], purpose(request))
    return JSONResponse({"seeker_id": id, "status": seeker.get("status"), "current": ledger.latest(entries),
                         "data": entries, "count": len(entries)})


@router.post("/v1/seekers/{id}/employment", status_code=201, responses=errors(404, 422, 503),
             response_model=dict[str, Any],
             summary="登记就业变动 / record a change of employment",
             description="就业形式 form 必填；状态由形式推出；求职者的就业状态随最新一条更新。 / The seeker's "
                         "status follows the newest entry.")
def record_employment(id: str, body: ledger.EmploymentEntry, engine: EngineDep, p: PrincipalDep):
    require(p, "employment", WRITE)
    require(p, "seekers", WRITE)
    with writing(engine):
        seeker = readable(engine, p, "seeker", id)
        if body.started_at and body.started_at > date.today():
            raise ValidationFailed([FieldError("started_at", "变动日期不能晚于今天 / started_at cannot be in the future")])
        entry = ledger.record_entry(engine, seeker, body, by=p.name)
    return JSONResponse(entry, status_code=201)


@router.get("/v1/stats/employment", responses=errors(404, 422, 503), response_model=dict[str, Any],
            summary="就业情况与月度变动 / employment situation and monthly changes",
            description="按下一级区划（乡镇、村）统计当前就业形式分布，以及 from–to 期间每月新就业、失去就业人数。")
async def employment_stats(engine: EngineDep, p: PrincipalDep, region_code: RegionQuery = None,
                           since: FromQuery = None, until: ToQuery = None):
    require(p, "stats", READ)
    require(p, "employment", READ)
    check_period(since, until)
    area = area_for(p, region_code)
    if area is False:
        raise NotFoundError("region", region_code or "")
    out = await run_in_threadpool(ledger.employment_stats, engine, area or "", since=since, until=until)
    return JSONResponse(out)
