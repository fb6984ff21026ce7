"""``/v1/stations``: the grassroots service stations (服务站)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from api.deps import RegionQuery
from api.routes.crud import record_router
from matcher.vocab import StationKind


def station_filters(
    region_code: RegionQuery = None,
    kind: StationKind | None = None,
    q: Annotated[str | None, Query(min_length=1, max_length=50, description="服务站名称包含 / name contains")] = None,
) -> dict[str, Any]:
    return {"region_prefix": region_code, "station_kind": kind.value if kind else None, "name_contains": q}


router = record_router("stations", filters=station_filters, summary_zh="服务站")
