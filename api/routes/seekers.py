"""``/v1/seekers``: the job seekers' ledger (personal data: every read is audit-logged)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query

from api.deps import IdQuery, RegionQuery
from api.routes.crud import record_router
from api.routes.registration import reject_duplicate
from matcher.vocab import PriorityGroup, SeekerStatus


def seeker_filters(
    region_code: RegionQuery = None,
    status: SeekerStatus | None = None,
    priority_group: Annotated[PriorityGroup | Literal["any", "none"] | None, Query(
        description="重点群体；any=任一重点群体，none=非重点群体 / an assistance group; any; none")] = None,
    station_id: IdQuery = None,
    q: Annotated[str | None, Query(min_length=1, max_length=50, 
        description="姓名包含，或手机号后4位 / name contains, or the phone's last 4 digits")] = None,
) -> dict[str, Any]:
    where: dict[str, Any] = {"region_prefix": region_code, "status": status.value if status else None,
                             "station_id": station_id, "name_or_phone_tail": q}
    if priority_group == "any":
        where["is_priority"] = True
    elif priority_group == "none":
        where["is_priority"] = False
    elif priority_group is not None:
        where["priority_group"] = PriorityGroup(priority_group).value
    return where


router = record_router("seekers", filters=seeker_filters, summary_zh="求职者", personal=True,
                       before_write=reject_duplicate("seeker"))
