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
from matcher.errors import Conflict, FieldError, Forbidden, NotFoundError, ValidationFailed

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
    take_rate(request, principal, "requests")
    return principal


def take_rate(request: Request, p: Principal, what: str) -> None:
    """Count one request of ``p`` against its ``what`` limit (429 + Retry-After when spent):
    ``requests`` (every call) or ``candidates`` (an employer's candidate searches)."""
    limiter = getattr(request.app.state, "rate_limiter", None)
    settings = request.app.state.settings
    if limiter is None:
        return
    if what == "candidates":
        per_hour = settings.candidate_queries_per_hour
        limiter.take((p.account_id, what), per_second=per_hour / 3600, burst=max(1, int(per_hour // 10) or 1))
    else:
        limiter.take((p.account_id, what), per_second=settings.rate_limit_per_minute / 60,
                     burst=settings.rate_limit_burst)


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def purpose(request: Request) -> str | None:
    """The reason given for a personal-data read: header ``X-Purpose`` (percent-encoded UTF-8)."""
    raw = request.headers.get("x-purpose")
    return unquote(raw)[:200] if raw else None


# -- reading what the rules need ---------------------------------------------------------------------
def employer_job_ids(engine: MatchEngine, employer_id: str) -> set[str]:
    return engine.store.employer_job_ids(employer_id)


def employer_referrals(engine: MatchEngine, employer_id: str, seeker_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """Live referrals made to the employer (bound to it when made; of these seekers, when given)."""
    return engine.store.employer_referrals(employer_id, seeker_ids)


def consented_to(engine: MatchEngine, employer_id: str, seeker_ids: list[str]) -> set[str]:
    """Seekers whose consent to this employer is in force (a fact about the seeker and the
    employer, given for a referral to it, revoked with the consent or the referral)."""
    return engine.store.access.consented_seekers(employer_id, seeker_ids)


def referral_employer(engine: MatchEngine, data: dict[str, Any]) -> str | None:
    """The employer a referral was made to: bound when made; for a referral stored without the
    binding (written straight to the store), its job's employer."""
    if data.get("employer_id"):
        return data["employer_id"]
    job = engine.store.get_dicts("job", [data.get("job_id")]).get(data.get("job_id"))
    return job.get("employer_id") if job else None


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
        return referral_employer(engine, data) == p.employer_id
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


def readable_item(engine: MatchEngine, p: Principal, resource: str, kind: str, item_id: str, *,
                  area_field: str = "region_code") -> dict[str, Any]:
    """A station-work row (case, service, assignment: :mod:`matcher.store.worklog`), or not found
    when it does not exist *or* its area (``area_field``) is outside ``p``'s."""
    from matcher.store import worklog

    require(p, resource, READ)
    row = worklog.get(engine.store, kind, item_id)
    if row is None or not p.covers(row.get(area_field)):
        raise NotFoundError(kind, item_id)
    return row


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
            # the name shown in digests is the employer record's, not one the job claims
            own = engine.store.get_dicts("employer", [p.employer_id]).get(p.employer_id)
            new = {**new, "employer_name": own.get("name") if own else None}
        elif kind == "employer" and new.get("id") != p.employer_id:
            raise NotFoundError(kind, record_id)
    elif p.is_staff and not p.covers(region_of(engine, kind, new)):
        field = "seeker_id" if kind == "referral" else "region_code"
        raise _outside(kind, record_id, field, "记录不在本账号辖区内 / the record is outside this account's area")
    if p.is_staff and not p.province_wide and kind in ("seeker", "referral") and new.get("station_id"):
        # a record of this area may not name another area's station (it would join that station's
        # ledger, digest and statistics); the province may name any, even one imported later
        station = engine.store.get_dicts("station", [new["station_id"]]).get(new["station_id"])
        if station is None or not p.covers(station.get("region_code")):
            raise _outside(kind, record_id, "station_id", "服务站不存在或不在本账号辖区内 / the station does not exist or "
                                                          "is outside this account's area")
    if kind == "referral":
        new = _referral_rules(engine, new, old)
    return new


def _referral_rules(engine: MatchEngine, new: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    """A referral written whole (PUT, import) points at a stored job, is bound to the employer it
    was made to (the job's employer when first written, never what the body says) and does not
    move along the workflow: a stored one keeps its status and a new one is not written as hired
    (progress goes through PATCH, which applies a hire to the seeker and the job)."""
    job = engine.store.get_dicts("job", [new.get("job_id")]).get(new.get("job_id"))
    if job is None:
        err = NotFoundError("job", new.get("job_id") or "")
        err.field = "job_id"
        raise err
    status = new.get("status") or "recommended"
    if (old is None and status == "hired") or (old is not None and old.get("status") != status):
        raise ValidationFailed([FieldError(
            "status", "推荐进展请用 PATCH /v1/referrals/{id} 记录（录用会同时更新求职者和岗位）/ record a referral's "
                      "progress with PATCH /v1/referrals/{id} (a hire also updates the seeker and the job)",
            value=status)])
    employer = (old.get("employer_id") or referral_employer(engine, old)) if old is not None else job.get("employer_id")
    return {**new, "employer_id": employer}


ID_UNAVAILABLE = "编号不可用（已被使用或曾被使用）/ the id is not available (in use or used before)"


def id_unavailable() -> Conflict:
    return Conflict(ID_UNAVAILABLE, field="id")


def owned_old(engine: MatchEngine, p: Principal, kind: str, record_id: str,
              state: tuple[bool, dict[str, Any]] | None = None, *, lookup: bool = True) -> dict[str, Any] | None:
    """The stored record a write by ``p`` under this id replaces: None for an id never used.
    An id is bound to its record for good: a deleted record's id (a tombstone) and a live record
    ``p`` may not see are refused alike (409), so a write never takes over another's id, its
    referrals or its consents, and the answer does not say where (or whether still) it lives."""
    if state is None and lookup:
        state = engine.store.id_states(kind, [record_id]).get(record_id)
    if state is None:
        return None
    deleted, data = state
    if deleted or not sees(engine, p, kind, data):
        raise id_unavailable()
    return data


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
    states = engine.store.id_states(kind, [r["id"] for r in records])
    out: list[FieldError | None] = []
    for rec in records:
        try:
            old = owned_old(engine, p, kind, rec["id"], states.get(rec["id"]), lookup=False)
            checked = check_write(engine, p, kind, rec, old)
            if checked is not rec:  # the binding's completions (an employer's job, a referral's employer)
                rec.clear()
                rec.update(checked)
            out.append(None)
        except Conflict:  # an id bound to another record: refused without saying where it is
            out.append(FieldError("id", ID_UNAVAILABLE))
        except NotFoundError as e:
            out.append(FieldError(e.field, e.message))
        except ValidationFailed as e:
            out.append(e.errors[0] if e.errors else FieldError(None, e.message))
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
            # masked fields and the assistance group are not search keys for an employer: a name
            # guessed in q= (or a group filter) would tell what the masked view hides
            used = [k for k in ("name_or_phone_tail", "priority_group", "is_priority", "region_prefix", "station_id")
                    if where.get(k) is not None]
            if used:
                raise Forbidden("用人单位账号不能按姓名、电话、重点群体、区划或服务站筛选求职者 / an employer account may not "
                                "filter seekers by name, phone, assistance group, region or station")
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


def present_referrals(p: Principal, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Referrals as ``p`` sees them: an employer does not read the station's notes (they may tell a
    seeker's circumstances)."""
    if p.role != Role.employer:
        return records
    return [{**r, "notes": None} for r in records]
