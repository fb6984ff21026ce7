"""The four matching endpoints: jobs for a stored seeker or a seeker profile, masked candidates
for a stored job or a job profile (docs/api.md, "Matching"). Profiles are not stored.

Access: staff match the seekers of their area and see candidates registered in their area; an
employer asks for candidates of its own jobs (or a job profile of its own) and sees them masked,
except the contact details of seekers who consented to a referral to it (audit-logged)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api import employer_view
from api.degrade import from_memory, stale_answer
from api.deps import EngineDep, MatchLimit
from api.guard import PrincipalDep, consented_to, purpose, readable, take_rate
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


def _contacts(engine, p: Principal, seeker_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The contact details of the candidates whose consent to this employer is in force."""
    consented = consented_to(engine, p.employer_id, seeker_ids)
    if not consented:
        return {}
    seekers = engine.store.get_dicts("seeker", sorted(consented))
    return {sid: {"seeker_id": sid, "name": s.get("name"), "phone": s.get("phone"), "id_number": s.get("id_number"),
                  "address": s.get("address"), "region_code": s.get("region_code")} for sid, s in seekers.items()}


def _candidates(engine, p: Principal, request: Request, job: str | dict[str, Any], k: int,
                region: str | None) -> list[Match]:
    """Candidates as ``p`` may see them. Staff: the ranking as it is. An employer: the group-blind
    view of :mod:`api.employer_view` (its searches are rate-limited and audit-logged)."""
    if p.role != Role.employer:
        return engine.match_candidates(job, k=k, region_prefix=region)
    take_rate(request, p, "candidates")
    record = job if isinstance(job, dict) else engine.store.get_dicts("job", [job]).get(job, {})
    audit.record_reads(engine.store, p, "candidates.query", "job",
                       [{"id": record.get("id") or "profile", "region_code": record.get("region_code")}],
                       purpose(request))
    query = employer_view.blind_profile(record, snap_location=isinstance(job, dict))
    found = engine.match_candidates(query, k=employer_view.fetch_size(k), region_prefix=region)
    ranking = engine.ranking
    contacts = _contacts(engine, p, [m.id for m in found])
    shown = employer_view.employer_list(
        found, k, key=employer_view.handle_key(engine.store), employer_id=p.employer_id,
        locality_weight=float(getattr(ranking, "candidate_locality", 0.0)), weights=employer_view.score_weights(ranking),
        contacts=contacts)
    # the contact details that leave in this answer: one audit entry per seeker
    given = [m.summary["contact"] for m in shown if m.summary.get("contact")]
    audit.record_reads(engine.store, p, "seeker.contact", "seeker",
                       [{"id": c["seeker_id"], "region_code": c.pop("region_code", None)} for c in given], purpose(request))
    return shown


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
    return _answer(_candidates(engine, p, request, id, limit, _candidate_scope(p)))


@router.post("/v1/matches/candidates", response_model=list[Match], responses=errors(400, 401, 403, 422, 503),
             summary="为岗位档案推荐求职者（不保存，信息脱敏）/ ranked, masked candidates for an ad-hoc job")
def profile_candidates(body: JobCreate, request: Request, engine: EngineDep, p: PrincipalDep, limit: MatchLimit = 20):
    require(p, "candidates", READ)
    return _answer(_candidates(engine, p, request, _profile(body), limit, _candidate_scope(p)))
