"""The four matching endpoints: jobs for a stored seeker or a seeker profile, masked candidates
for a stored job or a job profile (docs/api.md, "Matching"). Profiles are not stored."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import EngineDep, MatchLimit
from api.schemas import JobCreate, SeekerCreate, errors
from matcher.matches import Match

router = APIRouter(tags=["matches · 匹配"])


def _answer(matches: list[Match]) -> JSONResponse:
    return JSONResponse([m.model_dump(mode="json") for m in matches])


def _profile(body) -> dict[str, Any]:
    data = body.to_dict()
    data["id"] = data.get("id") or "profile"
    return data


@router.get("/v1/seekers/{id}/matches", response_model=list[Match], responses=errors(404, 422, 503),
            summary="为求职者推荐岗位 / ranked jobs for a stored seeker")
def seeker_matches(id: str, engine: EngineDep, limit: MatchLimit = 20):
    return _answer(engine.match_jobs(id, k=limit))


@router.post("/v1/matches/jobs", response_model=list[Match], responses=errors(400, 422, 503),
             summary="为求职者档案推荐岗位（不保存）/ ranked jobs for an ad-hoc seeker profile")
def profile_matches(body: SeekerCreate, engine: EngineDep, limit: MatchLimit = 20):
    return _answer(engine.match_jobs(_profile(body), k=limit))


@router.get("/v1/jobs/{id}/candidates", response_model=list[Match], responses=errors(404, 422, 503),
            summary="为岗位推荐求职者（信息脱敏）/ ranked, masked candidates for a stored job")
def job_candidates(id: str, engine: EngineDep, limit: MatchLimit = 20):
    return _answer(engine.match_candidates(id, k=limit))


@router.post("/v1/matches/candidates", response_model=list[Match], responses=errors(400, 422, 503),
             summary="为岗位档案推荐求职者（不保存，信息脱敏）/ ranked, masked candidates for an ad-hoc job")
def profile_candidates(body: JobCreate, engine: EngineDep, limit: MatchLimit = 20):
    return _answer(engine.match_candidates(_profile(body), k=limit))
