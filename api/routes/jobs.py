"""``/v1/jobs``: the employers' vacancies."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from api.deps import IdQuery, RegionQuery
from api.routes.crud import record_router
from matcher.vocab import JobStatus


def job_filters(
    region_code: RegionQuery = None,
    status: JobStatus | None = None,
    occupation_code: Annotated[str | None, Query(
        pattern=r"^\d(-\d{2}){0,3}$", description="职业编码或其上级（4-07 含 4-07-05-01）/ code or a parent code")] = None,
    employer_id: IdQuery = None,
    q: Annotated[str | None, Query(min_length=1, max_length=50, description="岗位名称包含 / title contains")] = None,
) -> dict[str, Any]:
    return {"region_prefix": region_code, "status": status.value if status else None,
            "occupation_prefix": occupation_code, "employer_id": employer_id, "title_contains": q}


router = record_router("jobs", filters=job_filters, summary_zh="岗位")
