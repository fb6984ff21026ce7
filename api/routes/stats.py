"""``/v1/stats``: statistics for an area (a region-code prefix)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api.deps import EngineDep, RegionQuery
from api.guard import PrincipalDep
from api.routes.employment import FromQuery, ToQuery, check_period
from api.schemas import errors
from matcher.access import READ, area_for, require
from matcher.errors import FieldError, NotFoundError, ValidationFailed
from matcher.stats import SECTIONS, region_stats

router = APIRouter(tags=["stats · 统计"])


def parse_sections(by: list[str] | None) -> list[str]:
    """``by=status&by=station`` or ``by=status,station``; none = every section."""
    wanted = [p.strip() for item in (by or []) for p in item.split(",") if p.strip()]
    bad = [w for w in wanted if w not in SECTIONS]
    if bad:
        raise ValidationFailed([FieldError(
            "by", f"统计维度无效：{bad[0]}，可选：{'、'.join(SECTIONS)} / unknown statistic {bad[0]!r}; "
                  f"allowed: {', '.join(SECTIONS)}", value=bad[0])])
    return wanted or list(SECTIONS)


@router.get("/v1/stats", responses=errors(422, 503), response_model=dict[str, Any],
            summary="区域统计 / statistics for an area",
            description="by: " + " | ".join(SECTIONS) + "（可多选，逗号分隔；默认全部）。"
                        "各部分的统计口径见 matcher/stats.py。给出 from/to 时另有 period：期间内的服务、"
                        "新登记、推荐、录用（matcher/performance.py）。")
def stats(
    engine: EngineDep,
    p: PrincipalDep,
    region_code: RegionQuery = None,
    by: Annotated[list[str] | None, Query(description="统计维度 / sections")] = None,
    top: Annotated[int, Query(ge=1, le=100, description="职业排行条数 / occupations listed")] = 10,
    since: FromQuery = None,
    until: ToQuery = None,
):
    require(p, "stats", READ)
    check_period(since, until)
    area = area_for(p, region_code)
    if area is False:
        raise NotFoundError("region", region_code or "")
    region_code = area or None
    out = region_stats(engine, region_code, sections=parse_sections(by), top=top)
    if since or until:  # the work of a period: services, registrations, referrals, hires (matcher/performance.py)
        from datetime import date

        from matcher.performance import period_report

        out["period"] = period_report(engine, region_code or "", since or date(2000, 1, 1),
                                      until or date.fromordinal(date.today().toordinal() + 1))
    return JSONResponse(out)
