"""``/v1/referrals``: 推荐 → 面试 → 录用 / 未录用. Creation and progress follow the workflow in
``matcher.referrals``; a referral is never deleted (DELETE withdraws it)."""

from __future__ import annotations

from typing import Any

from fastapi import Response
from fastapi.responses import JSONResponse

from api.deps import EngineDep, IdQuery
from api.guard import PrincipalDep, check_write, readable
from api.routes.crud import record_router
from api.schemas import ReferralCreate, ReferralUpdate, errors
from matcher.access import Principal
from matcher.errors import NotFoundError
from matcher.records import Referral
from matcher.referrals import create_referral, sync_consent, transition_referral, withdraw_referral
from matcher.vocab import ReferralStatus


def referral_filters(
    status: ReferralStatus | None = None,
    station_id: IdQuery = None,
    seeker_id: IdQuery = None,
    job_id: IdQuery = None,
) -> dict[str, Any]:
    return {"status": status.value if status else None, "station_id": station_id, "seeker_id": seeker_id,
            "job_id": job_id}


def _references_exist(engine, data: dict[str, Any]) -> None:
    """A referral written whole (PUT) must still point at a stored seeker (the job, the status
    and the employer it is bound to are checked by ``api.guard.check_write``)."""
    if not engine.store.get_dicts("seeker", [data["seeker_id"]]):
        err = NotFoundError("seeker", data["seeker_id"])
        err.field = "seeker_id"
        raise err


def _consents_follow(engine, p: Principal, written: list[dict[str, Any]]) -> None:
    """A referral written whole (PUT, import) gives or revokes the seeker's consent as it says."""
    for data in written:
        sync_consent(engine.store, data, by=p.name)


router = record_router("referrals", filters=referral_filters, summary_zh="推荐", before_write=_references_exist,
                       after_write=_consents_follow, include=frozenset({"list", "get", "replace", "import"}))


@router.post("", status_code=201, response_model=Referral, responses=errors(404, 409, 422, 503),
             summary="推荐求职者到岗位 / refer a seeker to a job")
def create(body: ReferralCreate, engine: EngineDep, p: PrincipalDep):
    check_write(engine, p, "referral", {"id": body.id or "", "seeker_id": body.seeker_id, "job_id": body.job_id,
                                        "station_id": body.station_id}, None)
    rec = create_referral(engine, seeker_id=body.seeker_id, job_id=body.job_id, station_id=body.station_id,
                          notes=body.notes, referral_id=body.id, consent=body.consent, by=p.name)
    return JSONResponse(rec, status_code=201)


@router.patch("/{id}", response_model=Referral, responses=errors(404, 409, 422, 503),
              summary="更新推荐进展 / record a referral's progress",
              description="recommended → interviewing | hired | rejected | withdrawn；interviewing → hired | "
                          "rejected | withdrawn。录用（hired）时求职者改为已就业，岗位招聘人数减一（为0时已招满）。")
def update(id: str, body: ReferralUpdate, engine: EngineDep, p: PrincipalDep):
    check_write(engine, p, "referral", None, readable(engine, p, "referral", id))
    rec = transition_referral(engine, id, body.model_dump(exclude_unset=True), by=p.name)
    return JSONResponse(rec)


@router.delete("/{id}", status_code=204, response_class=Response, responses=errors(404, 409, 503),
               summary="撤回推荐（记录保留）/ withdraw a referral (it is kept)")
def withdraw(id: str, engine: EngineDep, p: PrincipalDep):
    check_write(engine, p, "referral", None, readable(engine, p, "referral", id))
    withdraw_referral(engine, id, by=p.name)
    return Response(status_code=204)
