"""``/v1/digests``: the daily digest of a station or an area, as JSON, HTML or CSV
(built by :mod:`matcher.digests`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api.deps import EngineDep, IdQuery, RegionQuery
from api.guard import PrincipalDep, readable
from api.schemas import errors
from matcher.access import READ, area_for, require
from matcher.errors import NotFoundError

router = APIRouter(tags=["digests · 每日推送"])


@router.get("/v1/digests", responses={**errors(404, 422, 503),
                                      200: {"content": {"text/html": {}, "text/csv": {}}}},
            summary="每日推送 / daily digest of a station or an area")
async def digest(
    engine: EngineDep,
    p: PrincipalDep,
    station_id: IdQuery = None,
    region_code: RegionQuery = None,
    day: Annotated[date | None, Query(alias="date", description="日期，默认今天 / day (default today)")] = None,
    format: Literal["json", "html", "csv"] = "json",
):
    from matcher import digests as mod

    require(p, "digests", READ)
    if station_id is not None:
        readable(engine, p, "station", station_id)  # a station outside the account's area is not found
    if region_code is not None or station_id is None:
        area = area_for(p, region_code)
        if area is False:
            raise NotFoundError("region", region_code or "")
        region_code = area or region_code
    # the scheduled digest of that day when it was built (matcher schedule), else built now
    data = await run_in_threadpool(mod.digest_for, engine, station_id=station_id, region_code=region_code, day=day)
    if format == "html":
        return HTMLResponse(await run_in_threadpool(mod.render_html, data))
    if format == "csv":
        text = await run_in_threadpool(mod.render_csv, data)
        if not text.startswith("\ufeff"):
            text = "\ufeff" + text  # Excel on Chinese Windows needs the BOM to read UTF-8
        name = f"digest-{station_id or region_code or 'all'}-{(day or date.today()).isoformat()}.csv"
        return Response(text.encode("utf-8"), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return JSONResponse(jsonable_encoder(data))
