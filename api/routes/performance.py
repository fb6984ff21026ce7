"""``/v1/stats/performance``: station performance per quarter (services by channel, people
registered, referrals, hires, hires of assistance targets, the staff-day and expert-visit quotas),
as JSON, CSV or XLSX, with the last quarters' totals for a trend chart."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from api.deps import EngineDep, RegionQuery
from api.guard import PrincipalDep
from api.schemas import errors
from matcher import performance
from matcher.access import READ, area_for, require
from matcher.errors import NotFoundError

router = APIRouter(tags=["stats · 统计"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/v1/stats/performance", responses=errors(404, 422, 503), response_model=dict[str, Any],
            summary="服务站季度绩效 / station performance per quarter",
            description="quarter=2026Q4（默认本季度）；format=json|csv|xlsx。驻站达标：县级人员本季度驻站≥3天；"
                        "专家达标：本年（至季度末）专家指导≥2次。")
async def station_performance(
    engine: EngineDep, p: PrincipalDep, region_code: RegionQuery = None,
    quarter: Annotated[str | None, Query(max_length=8, description="如 2026Q4 / e.g. 2026Q4")] = None,
    format: Annotated[Literal["json", "csv", "xlsx"], Query(description="json | csv | xlsx")] = "json",
):
    require(p, "stats", READ)
    require(p, "services", READ)
    quarter = quarter or performance.quarter_of(date.today())
    performance.parse_quarter(quarter)  # a bad quarter is a 422 before any work
    area = area_for(p, region_code)
    if area is False:
        raise NotFoundError("region", region_code or "")
    report = await run_in_threadpool(performance.performance_report, engine, area or "", quarter.upper())
    if format == "json":
        return JSONResponse(report)
    name = f"performance-{report['region_code'] or 'all'}-{report['quarter']}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "csv":
        return Response(performance.to_csv(report), media_type="text/csv; charset=utf-8", headers=headers)
    return Response(await run_in_threadpool(performance.to_xlsx, report), media_type=XLSX, headers=headers)
