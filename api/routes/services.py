"""``/v1/services``: service records (appointments, home visits, proxy and remote services,
door-to-door surveys, staff days at a station, expert visits, guidance, training referrals) and
``/v1/assignments``: 包联 (an account responsible for a city, county, 片区 or station).

Appointments are a day list: ``GET /v1/services?kind=appointment&date=2026-12-03&station_id=…``
(earliest first). A service belongs to its station's area, else its person's; an assignment to its
region or station. Outside the account's area: 404, as everywhere.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from api.deps import EngineDep, IdQuery, PageDep, RegionQuery, writing
from api.guard import PrincipalDep, purpose, readable, readable_item
from api.routes.employment import FromQuery, ToQuery, check_period
from api.schemas import errors
from matcher import audit
from matcher import services as svc
from matcher.access import READ, WRITE, Principal, narrow_region, require
from matcher.errors import FieldError, NotFoundError, ValidationFailed
from matcher.services import AssignmentCreate, ServiceCreate, ServiceKind, ServiceStatus, ServiceUpdate
from matcher.store import worklog

router = APIRouter(tags=["services · 服务记录与包联"])


def _field(err: NotFoundError, field: str) -> NotFoundError:
    err.field = field
    return err


def _service_region(engine, p: Principal, body: ServiceCreate) -> str | None:
    """The area of a new service (its station's, else its person's); both must be readable."""
    region = None
    if body.seeker_id:
        try:
            region = readable(engine, p, "seeker", body.seeker_id).get("region_code")
        except NotFoundError as e:
            raise _field(e, "seeker_id") from None
    if body.station_id:
        try:
            station = readable(engine, p, "station", body.station_id)
        except NotFoundError as e:
            raise _field(e, "station_id") from None
        if not p.covers(station.get("region_code")):
            raise _field(NotFoundError("station", body.station_id), "station_id")
        region = station.get("region_code") or region
    return region


def _readable_service(engine, p: Principal, service_id: str) -> dict[str, Any]:
    return readable_item(engine, p, "services", "service", service_id)


def _with_names(engine, rows: list[dict[str, Any]], p: Principal | None = None,
                request: Request | None = None) -> list[dict[str, Any]]:
    """The records with their person's name (a read of personal data: audit-logged)."""
    people = engine.store.get_dicts("seeker", [r["seeker_id"] for r in rows if r.get("seeker_id")])
    if people and p is not None:
        audit.record_reads(engine.store, p, "seeker.list", "seeker", list(people.values()),
                           purpose(request) if request is not None else None)
    return [{**r, "seeker_name": (people.get(r.get("seeker_id") or "") or {}).get("name")} for r in rows]


@router.get("/v1/services", responses=errors(422, 503), response_model=dict[str, Any],
            summary="服务记录 / list service records",
            description="date=某天：当天的记录（预约日程按时间先后）；from/to：期间。")
def list_services(
    request: Request, engine: EngineDep, p: PrincipalDep, page: PageDep,
    kind: ServiceKind | None = None,
    status: ServiceStatus | None = None,
    station_id: IdQuery = None,
    seeker_id: IdQuery = None,
    region_code: RegionQuery = None,
    day: Annotated[date | None, Query(alias="date", description="某一天 / one day")] = None,
    since: FromQuery = None,
    until: ToQuery = None,
):
    require(p, "services", READ)
    check_period(since, until)
    area = narrow_region(p, region_code)
    if area is False:
        return JSONResponse({"data": [], "count": 0, "offset": page.offset, "limit": page.limit})
    where: dict[str, Any] = {"region_prefix": area or None, "kind": kind.value if kind else None,
                             "status": status.value if status else None, "station_id": station_id,
                             "seeker_id": seeker_id}
    lo, hi = svc.day_bounds(day) if day else (None, None)
    if since:
        lo = max(lo, svc.day_bounds(since)[0]) if lo else svc.day_bounds(since)[0]
    if until:
        hi = min(hi, svc.day_bounds(until)[0]) if hi else svc.day_bounds(until)[0]
    rows, total = worklog.query(engine.store, "service", offset=page.offset, limit=page.limit, order="at",
                                since=lo, until=hi, **where)
    return JSONResponse({"data": _with_names(engine, rows, p, request), "count": total, "offset": page.offset, "limit": page.limit})


@router.post("/v1/services", status_code=201, responses=errors(404, 422, 503), response_model=dict[str, Any],
             summary="记录服务或预约 / record a service or book an appointment",
             description="预约（appointment）默认状态 booked，其余默认 done；驻站、专家指导须填服务站，"
                         "面向个人的服务须填求职者。")
def create_service(body: ServiceCreate, engine: EngineDep, p: PrincipalDep):
    require(p, "services", WRITE)
    with writing(engine):
        region = _service_region(engine, p, body)
        data = svc.service_record(body, region_code=region, by=p.name)
        worklog.insert(engine.store, "service", svc.service_row(data))
    return JSONResponse(data, status_code=201)


@router.get("/v1/services/{id}", responses=errors(404, 503), response_model=dict[str, Any],
            summary="查看服务记录 / one service record")
def get_service(id: str, request: Request, engine: EngineDep, p: PrincipalDep):
    return JSONResponse(_with_names(engine, [_readable_service(engine, p, id)], p, request)[0])


@router.patch("/v1/services/{id}", responses=errors(404, 422, 503), response_model=dict[str, Any],
              summary="更新服务记录（如预约已办理、取消）/ update a record (an appointment done, cancelled)")
def update_service(id: str, body: ServiceUpdate, engine: EngineDep, p: PrincipalDep):
    require(p, "services", WRITE)
    with writing(engine):
        row = _readable_service(engine, p, id)
        new = svc.updated_service(row, body.model_dump(exclude_unset=True))
        worklog.replace(engine.store, "service", id, svc.service_row(new))
    return JSONResponse(new)


# -- 包联 ----------------------------------------------------------------------------------------------
def _readable_assignment(engine, p: Principal, assignment_id: str) -> dict[str, Any]:
    return readable_item(engine, p, "assignments", "assignment", assignment_id, area_field="area_code")


@router.get("/v1/assignments", responses=errors(422, 503), response_model=dict[str, Any],
            summary="包联责任 / list assignments",
            description="account=某账号：该账号负责的区域和服务站；region_code：该区域内的包联。")
def list_assignments(
    engine: EngineDep, p: PrincipalDep, page: PageDep,
    account: Annotated[str | None, Query(max_length=100, description="账号名称 / account name")] = None,
    region_code: RegionQuery = None,
    station_id: IdQuery = None,
):
    require(p, "assignments", READ)
    area = narrow_region(p, region_code)
    if area is False:
        return JSONResponse({"data": [], "count": 0, "offset": page.offset, "limit": page.limit})
    rows, total = worklog.query(engine.store, "assignment", offset=page.offset, limit=page.limit, order="region_code",
                                region_prefix=area or None, account=account, station_id=station_id)
    return JSONResponse({"data": rows, "count": total, "offset": page.offset, "limit": page.limit})


@router.post("/v1/assignments", status_code=201, responses=errors(404, 422, 503), response_model=dict[str, Any],
             summary="指定包联责任 / assign an account to an area",
             description="县级及以上账号在本辖区内指定：省包市、市包县、县包片（乡镇）或服务站。")
def create_assignment(body: AssignmentCreate, engine: EngineDep, p: PrincipalDep):
    require(p, "assignments", WRITE)
    from matcher.accounts import get_account

    with writing(engine):
        if body.station_id:
            try:
                station = readable(engine, p, "station", body.station_id)
            except NotFoundError as e:
                raise _field(e, "station_id") from None
            region = station.get("region_code")
            if not region or not p.covers(region):
                raise _field(NotFoundError("station", body.station_id), "station_id")
        else:
            region = body.region_code
            if not p.covers(region):
                err = NotFoundError("region", region)
                err.field = "region_code"
                err.message = "区域不在本账号辖区内 / the region is outside this account's area"
                raise err
        try:
            get_account(engine.store, body.account)
        except NotFoundError:
            raise ValidationFailed([FieldError("account", "没有这个账号 / no account with this name")]) from None
        data = svc.assignment_record(body, region_code=region, by=p.name)
        worklog.insert(engine.store, "assignment", svc.assignment_row(data))
    return JSONResponse(data, status_code=201)


@router.delete("/v1/assignments/{id}", status_code=204, response_class=Response, responses=errors(404, 503),
               summary="撤销包联 / remove an assignment")
def delete_assignment(id: str, engine: EngineDep, p: PrincipalDep):
    require(p, "assignments", WRITE)
    with writing(engine):
        _readable_assignment(engine, p, id)
        worklog.delete(engine.store, "assignment", id)
    return Response(status_code=204)
