"""``/v1/cases``: assistance cases (实名帮扶) and their follow-ups (``/v1/cases/{id}/contacts``).

``GET /v1/cases?mine=true`` is 我负责的援助对象 (overdue follow-ups first); ``GET
/v1/cases/overview`` is the county view: targets without a responsible person, overdue cases,
unresolved difficulties. Staff of the person's area only: a case outside it is 404.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse

from api.deps import EngineDep, IdQuery, PageDep, RegionQuery, writing
from api.guard import PrincipalDep, purpose, readable, readable_item
from api.schemas import errors
from matcher import audit, cases
from matcher.access import READ, WRITE, Principal, area_for, narrow_region, require
from matcher.cases import CaseCreate, CaseStatus, CaseUpdate, ContactCreate
from matcher.errors import Conflict, FieldError, NotFoundError, ValidationFailed
from matcher.store import worklog

router = APIRouter(prefix="/v1/cases", tags=["cases · 援助对象"])


def _readable_case(engine, p: Principal, case_id: str) -> dict[str, Any]:
    return readable_item(engine, p, "cases", "case", case_id)


def _people(engine, seeker_ids: list[str]) -> dict[str, dict[str, Any]]:
    return engine.store.get_dicts("seeker", seeker_ids)


def _brief(s: dict[str, Any]) -> dict[str, Any]:
    return {"name": s.get("name"), "status": s.get("status"), "priority_groups": s.get("priority_groups") or [],
            "station_id": s.get("station_id")}


def _shown(engine, p: Principal, request: Request, rows: list[dict[str, Any]], today: date) -> list[dict[str, Any]]:
    """Cases as answered: with ``overdue`` and the person's name, status and groups (staff of the
    area read them: audit-logged like a seeker list)."""
    people = _people(engine, [c["seeker_id"] for c in rows])
    if people:
        audit.record_reads(engine.store, p, "seeker.list", "seeker", list(people.values()), purpose(request))
    return [{**cases.with_flags(c, today), "seeker": _brief(people[c["seeker_id"]]) if c["seeker_id"] in people else None}
            for c in rows]


def _owner_exists(engine, owner: str | None) -> None:
    if not owner:
        return
    from matcher.accounts import get_account

    try:
        get_account(engine.store, owner)
    except NotFoundError:
        raise ValidationFailed([FieldError("owner", "没有这个账号 / no account with this name")]) from None


@router.get("", responses=errors(422, 503), response_model=dict[str, Any], summary="援助对象列表 / list cases",
            description="mine=true：我负责的（逾期未跟进的排在最前）；overdue=true：逾期；no_owner=true：未指定责任人；"
                        "unresolved=true：困难未解决。")
def list_cases(
    request: Request, engine: EngineDep, p: PrincipalDep, page: PageDep,
    region_code: RegionQuery = None,
    status: CaseStatus | None = None,
    seeker_id: IdQuery = None,
    owner: Annotated[str | None, Query(max_length=100, description="责任人账号名称 / the owner's account name")] = None,
    mine: Annotated[bool, Query(description="只看我负责的 / only mine")] = False,
    overdue: Annotated[bool, Query(description="只看逾期未跟进的 / only overdue")] = False,
    no_owner: Annotated[bool, Query(description="只看未指定责任人的 / only without an owner")] = False,
    unresolved: Annotated[bool, Query(description="只看困难未解决的 / only with an open difficulty")] = False,
):
    require(p, "cases", READ)
    today = date.today()
    area = narrow_region(p, region_code)
    if area is False:
        return JSONResponse({"data": [], "count": 0, "offset": page.offset, "limit": page.limit})
    where: dict[str, Any] = {"region_prefix": area or None, "seeker_id": seeker_id,
                             "owner": p.name if mine else owner, "status": status.value if status else None,
                             "no_owner": no_owner or None}
    if overdue:
        where.update(status=CaseStatus.open.value, due_before=today)
    if unresolved or mine:  # filtered and ordered in Python (a staff member's own list is short)
        rows = list(worklog.iter_rows(engine.store, "case", order="next_due", **where))
        if unresolved:
            rows = [c for c in rows if c.get("status") == CaseStatus.open and c.get("difficulty")]
        if mine:
            rows = cases.mine_order(rows, today)
        total, rows = len(rows), rows[page.offset:page.offset + page.limit]
    else:
        rows, total = worklog.query(engine.store, "case", offset=page.offset, limit=page.limit, order="next_due", **where)
    return JSONResponse({"data": _shown(engine, p, request, rows, today), "count": total, "offset": page.offset,
                         "limit": page.limit})


@router.get("/overview", responses=errors(404, 422, 503), response_model=dict[str, Any],
            summary="县级视图：无责任人、逾期、困难未解决 / the county view",
            description="targets_without_owner：有就业困难类别、但没有指定责任人的在办案件的人；overdue：逾期未跟进的案件；"
                        "unresolved：困难未解决的案件。各列最多 limit 条，另给总数。")
def overview(request: Request, engine: EngineDep, p: PrincipalDep, region_code: RegionQuery = None,
             limit: Annotated[int, Query(ge=1, le=200)] = 50):
    require(p, "cases", READ)
    area = area_for(p, region_code)
    if area is False:
        raise NotFoundError("region", region_code or "")
    today = date.today()
    open_cases = list(worklog.iter_rows(engine.store, "case", region_prefix=area or None, status=CaseStatus.open.value,
                                        order="next_due"))
    owned = {c["seeker_id"] for c in open_cases if c.get("owner")}
    where = {"region_prefix": area} if area else {}
    targets = [s for s in engine.store.iter_dicts("seeker", is_priority=True, **where) if s["id"] not in owned]
    overdue = [c for c in open_cases if cases.is_overdue(c, today)]
    unresolved = [c for c in open_cases if c.get("difficulty")]
    shown_targets = [{"id": s["id"], "name": s.get("name"), "region_code": s.get("region_code"),
                      "station_id": s.get("station_id"), "status": s.get("status"),
                      "priority_groups": s.get("priority_groups") or []} for s in targets[:limit]]
    if shown_targets:
        audit.record_reads(engine.store, p, "seeker.list", "seeker", shown_targets, purpose(request))
    return JSONResponse({
        "region_code": area or None,
        "targets_without_owner": {"count": len(targets), "data": shown_targets},
        "overdue": {"count": len(overdue), "data": _shown(engine, p, request, overdue[:limit], today)},
        "unresolved": {"count": len(unresolved), "data": _shown(engine, p, request, unresolved[:limit], today)},
    })


@router.post("", status_code=201, responses=errors(404, 409, 422, 503), response_model=dict[str, Any],
             summary="开案：指定责任人和帮扶计划 / open a case")
def create_case(body: CaseCreate, engine: EngineDep, p: PrincipalDep):
    require(p, "cases", WRITE)
    with writing(engine):
        try:
            seeker = readable(engine, p, "seeker", body.seeker_id)
        except NotFoundError as e:
            e.field = "seeker_id"
            raise
        _owner_exists(engine, body.owner)
        existing, _ = worklog.query(engine.store, "case", limit=1, seeker_id=seeker["id"], status=CaseStatus.open.value)
        if existing:
            raise Conflict(f"该求职者已有在办案件 {existing[0]['id']} / this person already has an open case "
                           f"{existing[0]['id']}", field="seeker_id")
        case = cases.new_case(seeker, body, by=p.name, today=date.today())
        worklog.insert(engine.store, "case", cases.case_row(case))
    return JSONResponse(cases.with_flags(case, date.today()), status_code=201)


@router.get("/{id}", responses=errors(404, 503), response_model=dict[str, Any], summary="查看案件及跟进记录 / one case")
def get_case(id: str, request: Request, engine: EngineDep, p: PrincipalDep):
    case = _readable_case(engine, p, id)
    contacts = list(worklog.iter_rows(engine.store, "contact", case_id=id, order="at"))
    out = _shown(engine, p, request, [case], date.today())[0]
    return JSONResponse({**out, "contact_list": contacts})


@router.patch("/{id}", responses=errors(404, 422, 503), response_model=dict[str, Any],
              summary="修改责任人、计划或状态（结案）/ change owner, plan or status")
def update_case(id: str, body: CaseUpdate, engine: EngineDep, p: PrincipalDep):
    require(p, "cases", WRITE)
    with writing(engine):
        case = _readable_case(engine, p, id)
        changes = body.model_dump(exclude_unset=True)
        _owner_exists(engine, changes.get("owner"))
        new = cases.updated_case(case, changes, today=date.today())
        worklog.replace(engine.store, "case", id, cases.case_row(new))
    return JSONResponse(cases.with_flags(new, date.today()))


@router.get("/{id}/contacts", responses=errors(404, 503), response_model=dict[str, Any],
            summary="跟进记录 / the case's follow-ups")
def list_contacts(id: str, engine: EngineDep, p: PrincipalDep):
    _readable_case(engine, p, id)
    rows = list(worklog.iter_rows(engine.store, "contact", case_id=id, order="at"))
    return JSONResponse({"data": rows, "count": len(rows)})


@router.post("/{id}/contacts", status_code=201, responses=errors(404, 409, 422, 503), response_model=dict[str, Any],
             summary="记录一次跟进 / log a follow-up",
             description="渠道、日期、做了什么、困难、下次跟进日期；就业后的回访可记 job_kept（是否稳定在岗）。")
def add_contact(id: str, engine: EngineDep, p: PrincipalDep,
                body: Annotated[ContactCreate, Body()]):
    require(p, "cases", WRITE)
    today = date.today()
    with writing(engine):
        case = _readable_case(engine, p, id)
        if case.get("status") == CaseStatus.closed:
            raise Conflict("案件已结案，请先重新打开 / the case is closed: reopen it first", field="status")
        if body.at and body.at > today:
            raise ValidationFailed([FieldError("at", "跟进日期不能晚于今天 / a contact cannot be in the future")])
        contact = cases.contact_record(case, body, by=p.name, today=today)
        if contact.get("next_due") and contact["next_due"] < contact["at"]:
            raise ValidationFailed([FieldError("next_due", "下次跟进日期不能早于本次 / next_due must not be before at")])
        new = cases.after_contact(case, contact)
        with engine.store.transaction() as conn:
            worklog.insert(engine.store, "contact", {"id": contact["id"], "case_id": id,
                                                     "at": date.fromisoformat(contact["at"]), "data": contact}, conn=conn)
            worklog.replace(engine.store, "case", id, cases.case_row(new), conn=conn)
    return JSONResponse({**contact, "case": cases.with_flags(new, today)}, status_code=201)
