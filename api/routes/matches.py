"""The four matching endpoints: jobs for a stored seeker or a seeker profile, masked candidates
for a stored job or a job profile (docs/api.md, "Matching"). Profiles are not stored.

Access: staff match the seekers of their area and see candidates registered in their area; an
employer asks for candidates of its own jobs (or a job profile of its own) and sees them masked,
except the contact details of seekers who consented to a referral to it (audit-logged)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.degrade import from_memory, stale_answer
from api.deps import EngineDep, MatchLimit
from api.guard import PrincipalDep, consented_to, purpose, readable
from api.schemas import JobCreate, SeekerCreate, errors
from matcher import audit
from matcher.access import READ, Principal, Role, require
from matcher.matches import Match

router = APIRouter(tags=["matches · 匹配"])


def _answer(matches: list[Match]) -> JSONResponse:
    return JSONResponse([m.model_dump(mode="json") for m in matches])


def _profile(body) -> dict[str, Any]:
    data = body.to_dict()
    data["id"] = data.get("id") or "profile"
    return data


def _candidate_scope(p: Principal) -> str | None:
    """Staff see candidates registered in their own area; employers see masked ones of any area."""
    return p.region_code if p.is_staff and p.role != Role.province else None


def _with_contacts(engine, p: Principal, request: Request, matches: list[Match]) -> list[Match]:
    """An employer's candidates who consented to a referral to it carry their contact details."""
    if p.role != Role.employer or not matches:
        return matches
    consented = consented_to(engine, p.employer_id, [m.id for m in matches])
    if not consented:
        return matches
    seekers = engine.store.get_dicts("seeker", sorted(consented))
    audit.record_reads(engine.store, p, "seeker.contact", "seeker", list(seekers.values()), purpose(request))
    for m in matches:
        s = seekers.get(m.id)
        if s is not None:
            m.summary = {**m.summary, "name": s.get("name"),
                         "contact": {"phone": s.get("phone"), "id_number": s.get("id_number"), "address": s.get("address")}}
    return matches


@router.get("/v1/seekers/{id}/matches", response_model=list[Match], responses=errors(401, 403, 404, 422, 503),
            summary="为求职者推荐岗位 / ranked jobs for a stored seeker")
def seeker_matches(id: str, engine: EngineDep, p: PrincipalDep, limit: MatchLimit = 20):
    require(p, "matches", READ)
    readable(engine, p, "seeker", id)
    return _answer(engine.match_jobs(id, k=limit))


@router.post("/v1/matches/jobs", response_model=list[Match], responses=errors(400, 401, 403, 422, 503),
             summary="为求职者档案推荐岗位（不保存）/ ranked jobs for an ad-hoc seeker profile")
def profile_matches(body: SeekerCreate, request: Request, engine: EngineDep, p: PrincipalDep,
                    limit: MatchLimit = 20):
    require(p, "matches", READ)
    with from_memory(request, engine) as memo:  # answered from memory while the database is down
        found = engine.match_jobs(_profile(body), k=limit)
    if memo["stale"]:
        return stale_answer([m.model_dump(mode="json") for m in found])
    return _answer(found)


@router.get("/v1/jobs/{id}/candidates", response_model=list[Match], responses=errors(401, 403, 404, 422, 503),
            summary="为岗位推荐求职者（信息脱敏）/ ranked, masked candidates for a stored job")
def job_candidates(id: str, request: Request, engine: EngineDep, p: PrincipalDep, limit: MatchLimit = 20):
    require(p, "candidates", READ)
    readable(engine, p, "job", id)
    found = engine.match_candidates(id, k=limit, region_prefix=_candidate_scope(p))
    return _answer(_with_contacts(engine, p, request, found))


@router.post("/v1/matches/candidates", response_model=list[Match], responses=errors(400, 401, 403, 422, 503),
             summary="为岗位档案推荐求职者（不保存，信息脱敏）/ ranked, masked candidates for an ad-hoc job")
def profile_candidates(body: JobCreate, request: Request, engine: EngineDep, p: PrincipalDep, limit: MatchLimit = 20):
    require(p, "candidates", READ)
    found = engine.match_candidates(_profile(body), k=limit, region_prefix=_candidate_scope(p))
    return _answer(_with_contacts(engine, p, request, found))
