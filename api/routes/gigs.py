"""``/v1/gigs``: the same-day gig board of a station (零工市场, matcher/gigs.py)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api.deps import EngineDep
from api.guard import PrincipalDep, readable
from api.schemas import errors
from matcher.access import READ, require
from matcher.gigs import gig_board

router = APIRouter(tags=["network · 服务网络"])


@router.get("/v1/gigs", responses=errors(403, 404, 422, 503), summary="零工日清单 / same-day gig board",
            description="当天（或指定日期）服务站附近的零工岗位（按可达程度、开工时间排序）和当天有空的人员；"
                        "过期的日期不再提供岗位。")
def gigs(
    engine: EngineDep,
    p: PrincipalDep,
    station_id: Annotated[str, Query(min_length=1, max_length=64)],
    date: Annotated[date | None, Query(description="日期，默认今天 / day, default today")] = None,  # noqa: A002
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
):
    require(p, "gigs", READ)
    readable(engine, p, "station", station_id)
    board = gig_board(engine, station_id, date, limit=limit)
    return JSONResponse(board)
