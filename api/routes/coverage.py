"""``/v1/coverage``: service-circle coverage of an area and suggested sites (matcher/coverage.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import EngineDep, RegionQuery
from api.guard import PrincipalDep
from api.schemas import errors
from matcher.access import READ, area_for, require
from matcher.coverage import area_coverage
from matcher.errors import NotFoundError

router = APIRouter(tags=["network · 服务网络"])


@router.get("/v1/coverage", responses=errors(403, 404, 422, 503), summary="服务圈覆盖 / service-circle coverage",
            description="辖区内登记人员（及就业援助对象）在某服务站服务圈内的比例（城市步行15分钟、乡村5公里，可配置），"
                        "圈外的人员和村，以及新站点建议（贪心最大覆盖）。口径见 docs/matching.md「服务圈覆盖」。")
async def coverage(
    engine: EngineDep,
    p: PrincipalDep,
    region_code: RegionQuery = None,
    sites: Annotated[int | None, Query(ge=0, le=100, description="建议站点数 / suggested sites")] = None,
):
    require(p, "coverage", READ)
    area = area_for(p, region_code)
    if area is False:
        raise NotFoundError("region", region_code or "")
    out = await run_in_threadpool(area_coverage, engine, area or None, sites=sites)
    out["map_tile_url"] = engine.settings.map_tile_url
    return JSONResponse(out)
