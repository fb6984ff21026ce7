"""``/v1/employers``: employers (用人单位)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from api.deps import RegionQuery
from api.routes.crud import record_router
from api.routes.registration import reject_duplicate


def employer_filters(
    region_code: RegionQuery = None,
    q: Annotated[str | None, Query(min_length=1, max_length=50, description="单位名称包含 / name contains")] = None,
) -> dict[str, Any]:
    return {"region_prefix": region_code, "name_contains": q}


router = record_router("employers", filters=employer_filters, summary_zh="用人单位",
                       before_write=reject_duplicate("employer"))
