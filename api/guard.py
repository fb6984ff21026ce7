"""Authentication and object-level authorisation for the routes.

Every route but the health checks depends on :func:`current_principal` (a bearer token, see
:mod:`matcher.accounts`). The routes then ask this module whether the principal may see or change
a record; the rules themselves are the pure ones of :mod:`matcher.access`, the reads they need (a
referral's seeker, a job's employer) happen here. A record outside the principal's area or
employer is reported as not found, never as forbidden.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select

from api.degrade import authenticate
from api.deps import EngineDep
from matcher import audit
from matcher.access import (
    READ,
    WRITE,
    Principal,
    Role,
    consented_seeker,
    masked_seeker,
    narrow_region,
    require,
)
from matcher.engine import MatchEngine
from matcher.errors import FieldError, NotFoundError
from matcher.store.schema import jobs, referrals

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="`matcher users add` 生成的访问令牌 / an access token made by `matcher users add`",
)

_RESOURCE_OF_KIND = {"job": "jobs", "seeker": "seekers", "employer": "employers", "station": "stations",
                     "referral": "referrals"}
_ENDED = ("withdrawn",)


def current_principal(
    request: Request,
    engine: EngineDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    token = credentials.credentials if credentials is not None else None
    principal = authenticate(request, engine.store, token)  # api.degrade: outage-aware
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def purpose(request: Request) -> str | None:
    """The reason given for a personal-data read: header ``X-Purpose`` (percent-encoded UTF-8)."""
    raw = request.headers.get("x-purpose")
    return unquote(raw)[:200] if raw else None


# -- reading what the rules need ---------------------------------------------------------------------
def employer_job_ids(engine: MatchEngine, employer_id: str) -> set[str]:
    with engine.store.engine.connect() as conn:
        rows = conn.execute(select(jobs.c.id).where(jobs.c.employer_id == employer_id, jobs.c.deleted.is_(False)))
        return {r.id for r in rows}


def employer_referrals(engine: MatchEngine, employer_id: str, seeker_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """Live referrals to the employer's jobs (of these seekers, when given)."""
    q = select(referrals.c.data).where(
        referrals.c.deleted.is_(False),
        referrals.c.job_id.in_(select(jobs.c.id).where(jobs.c.employer_id == employer_id)))
    if seeker_ids is not None:
        if not seeker_ids:
            return []
        q = q.where(referrals.c.seeker_id.in_(seeker_ids))
    with engine.store.engine.connect() as conn:
        return [r.data for r in conn.execute(q)]


def consented_to(engine: MatchEngine, employer_id: str, seeker_ids: list[str]) -> set[str]:
    """Seekers who consented to a (not withdrawn) referral to one of the employer's jobs."""
    return {r["seeker_id"] for r in employer_referrals(engine, employer_id, seeker_ids)
            if r.get("consent") and r.get("status") not in _ENDED}


def region_of(engine: MatchEngine, kind: str, data: dict[str, Any]) -> str | None:
    """The region a record belongs to: its own, or for a referral its seeker's."""
    if kind == "referral":
        seeker = engine.store.get_dicts("seeker", [data.get("seeker_id")]).get(data.get("seeker_id"))
        return seeker.get("region_code") if seeker else None
    return data.get("region_code")


# -- the checks ---------------------------------------------------------------------------------------
def sees(engine: MatchEngine, p: Principal, kind: str, data: dict[str, Any]) -> bool:
    """May ``p`` read this record at all (masked or not)?"""
    if p.role == Role.platform:
        return kind in ("job", "employer", "station")
    if p.is_staff:
        return p.covers(region_of(engine, kind, data))
    # employer
    if kind == "job":
        return data.get("employer_id") == p.employer_id
    if kind == "employer":
        return data.get("id") == p.employer_id
    if kind == "station":
        return True
    if kind == "referral":
        job = engine.store.get_dicts("job", [data.get("job_id")]).get(data.get("job_id"))
        return bool(job) and job.get("employer_id") == p.employer_id
    if kind == "seeker":  # only seekers referred (and not withdrawn) to one of its jobs
        return any(r.get("status") not in _ENDED for r in employer_referrals(engine, p.employer_id, [data["id"]]))
    return False


def readable(engine: MatchEngine, p: Principal, kind: str, record_id: str) -> dict[str, Any]:
    """The stored record, or not found when it does not exist *or* ``p`` may not see it."""
    require(p, _RESOURCE_OF_KIND[kind], READ)
    data = engine.store.get_dicts(kind, [record_id]).get(record_id)
    if data is None or not sees(engine, p, kind, data):
        raise NotFoundError(kind, record_id)
    return data


def check_write(engine: MatchEngine, p: Principal, kind: str, new: dict[str, Any] | None,
                old: dict[str, Any] | None) -> dict[str, Any] | None:
    """May ``p`` replace ``old`` (None: a new record) by ``new`` (None: delete)? Returns ``new``,
    completed where the binding decides a field (an employer's jobs carry its employer id)."""
    require(p, _RESOURCE_OF_KIND[kind], WRITE)
    record_id = (new or old or {}).get("id", "")
    if old is not None and not sees(engine, p, kind, old):
        raise NotFoundError(kind, record_id)
    if new is None:
        return None
    if p.role == Role.employer:
        if kind == "job":
            if new.get("employer_id") in (None, ""):
                new = {**new, "employer_id": p.employer_id}
            if new["employer_id"] != p.employer_id:
                raise _outside(kind, record_id, "employer_id", "只能发布本单位的岗位 / an employer posts only its own jobs")
        elif kind == "employer" and new.get("id") != p.employer_id:
            raise NotFoundError(kind, record_id)
    elif p.is_staff and not p.covers(region_of(engine, kind, new)):
        field = "seeker_id" if kind == "referral" else "region_code"
        raise _outside(kind, record_id, field, "记录不在本账号辖区内 / the record is outside this account's area")
    return new


def _outside(kind: str, record_id: str, field: str, message: str) -> NotFoundError:
    err = NotFoundError(kind, record_id)
    err.message = message
    err.field = field
    return err


def import_refusals(engine: MatchEngine, p: Principal, kind: str,
                    records: list[dict[str, Any]]) -> list[FieldError | None]:
    """For a bulk import: one refusal message (or None) per record, by the same rules as single
    writes. Existing records outside the account's reach are refused like new ones outside it."""
    require(p, _RESOURCE_OF_KIND[kind], WRITE)
    existing = engine.store.get_dicts(kind, [r["id"] for r in records])
    out: list[FieldError | None] = []
    for rec in records:
        try:
            check_write(engine, p, kind, rec, existing.get(rec["id"]))
            out.append(None)
        except NotFoundError as e:
            if e.field == "id":  # an existing record it may not see: refused without saying where it is
                out.append(FieldError("id", "无权修改此编号的记录 / this account may not write a record with this id"))
            else:
                out.append(FieldError(e.field, e.message))
    return out


def list_where(engine: MatchEngine, p: Principal, kind: str, where: dict[str, Any]) -> dict[str, Any] | None:
    """The list filters narrowed to what ``p`` may see; None when nothing can match."""
    require(p, _RESOURCE_OF_KIND[kind], READ)
    where = dict(where)
    if p.role == Role.employer:
        if kind == "job":
            if where.get("employer_id") not in (None, p.employer_id):
                return None
            where["employer_id"] = p.employer_id
        elif kind == "employer":
            where["id"] = p.employer_id
        elif kind == "referral":
            where["employer_jobs"] = p.employer_id
        elif kind == "seeker":
            where["referred_to_employer"] = p.employer_id
        return where
    if p.role == Role.platform:
        return where
    if kind == "referral":
        where["seeker_region_prefix"] = p.region_code if p.role != Role.province else None
        return where
    region = narrow_region(p, where.get("region_prefix"))
    if region is False:
        return None
    where["region_prefix"] = region
    return where


def present_seekers(engine: MatchEngine, p: Principal, request: Request, records: list[dict[str, Any]],
                    action: str) -> list[dict[str, Any]]:
    """Seekers as ``p`` may see them; every unmasked read is audit-logged first."""
    if not records:
        return records
    if p.is_staff:
        audit.record_reads(engine.store, p, action, "seeker", records, purpose(request))
        return records
    consented = consented_to(engine, p.employer_id, [r["id"] for r in records])
    shown = [r for r in records if r["id"] in consented]
    audit.record_reads(engine.store, p, "seeker.contact", "seeker", shown, purpose(request))
    return [consented_seeker(r) if r["id"] in consented else masked_seeker(r) for r in records]
