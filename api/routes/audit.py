"""``/v1/audit``: the audit log of personal-data reads, for county, city and province accounts,
each for its own area (entries are filed under the region of the record that was read); and
``/v1/me``: who the token belongs to and what it may do (the console shows it)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api.deps import EngineDep, IdQuery, PageDep, RegionQuery
from api.guard import PrincipalDep
from api.schemas import errors
from matcher import audit
from matcher.access import READ, area_for, require

router = APIRouter(tags=["audit · 审计日志"])


@router.get("/v1/audit", responses=errors(422, 503), summary="个人信息查阅记录 / audit log of personal-data reads",
            description="谁在何时因何查看了哪条求职者记录（只记编号，不记内容）。县级及以上账号查询本辖区。 / "
                        "Who read which seeker record, when and why (ids only). County, city and province accounts, "
                        "for their own area.")
def audit_log(
    engine: EngineDep,
    p: PrincipalDep,
    page: PageDep,
    region_code: RegionQuery = None,
    account: Annotated[str | None, Query(max_length=100, description="账号名称 / account name")] = None,
    record_id: IdQuery = None,
    action: Annotated[str | None, Query(max_length=40, description="如 seeker.read / e.g. seeker.read")] = None,
    since: Annotated[datetime | None, Query(description="起始时间（含）/ from (inclusive)")] = None,
    until: Annotated[datetime | None, Query(description="截止时间（不含）/ until (exclusive)")] = None,
):
    require(p, "audit", READ)
    area = area_for(p, region_code)
    if area is False:
        return JSONResponse({"data": [], "count": 0, "offset": page.offset, "limit": page.limit})
    entries, total = audit.query(engine.store, region_prefix=area or None, account=account, record_id=record_id,
                                 action=action, since=since, until=until, offset=page.offset, limit=page.limit)
    return JSONResponse({"data": [e.to_dict() for e in entries], "count": total, "offset": page.offset,
                         "limit": page.limit})


@router.get("/v1/me", responses=errors(503), summary="当前账号 / the account behind the token")
def me(p: PrincipalDep):
    from matcher.access import PERMISSIONS, ROLE_ZH

    allowed = {res: sorted(roles.get(p.role, ())) for res, roles in PERMISSIONS.items() if roles.get(p.role)}
    return JSONResponse({"name": p.name, "role": p.role.value, "role_zh": ROLE_ZH[p.role], "region_code": p.region_code,
                         "employer_id": p.employer_id, "permissions": allowed})
