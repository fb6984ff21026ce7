"""Referrals (推荐 → 面试 → 录用 / 未录用): creating one and moving it along.

Allowed moves: ``recommended`` → ``interviewing | hired | rejected | withdrawn``;
``interviewing`` → ``hired | rejected | withdrawn``. ``hired``, ``rejected`` and ``withdrawn`` are
final: an outcome is kept for good (a referral is withdrawn, never deleted).

``hired`` also sets the seeker's status to ``employed`` and takes one from the job's headcount; the
last place sets the job to ``filled`` (a job record keeps ``headcount >= 1``, so a filled job keeps
its last headcount of 1). The referral, the seeker and the job are written in ONE transaction; then
the engine's indexes follow (an employed seeker and a filled job stop being matched).

The rules are pure functions (:func:`check_transition`, :func:`apply_update`, :func:`hire_effects`);
:func:`create_referral` and :func:`transition_referral` add the store reads and writes.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from matcher.errors import Conflict, FieldError, NotFoundError, ValidationFailed
from matcher.vocab import REFERRAL_STATUS_ZH, JobStatus, ReferralStatus, SeekerStatus

RS = ReferralStatus

ALLOWED_MOVES: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    RS.recommended: frozenset({RS.interviewing, RS.hired, RS.rejected, RS.withdrawn}),
    RS.interviewing: frozenset({RS.hired, RS.rejected, RS.withdrawn}),
    RS.hired: frozenset(),
    RS.rejected: frozenset(),
    RS.withdrawn: frozenset(),
}
FINAL = frozenset({RS.hired, RS.rejected, RS.withdrawn})
ACTIVE = frozenset({RS.recommended, RS.interviewing})


def new_referral_id() -> str:
    return "R" + uuid.uuid4().hex[:12].upper()


def _zh(status: ReferralStatus | str) -> str:
    return REFERRAL_STATUS_ZH.get(RS(status), str(status))


# -- pure rules ---------------------------------------------------------------------------------
def check_transition(current: ReferralStatus | str, new: ReferralStatus | str) -> bool:
    """Whether ``current -> new`` is a move (True) or a same-status update (False).

    Raises :class:`Conflict` when the referral already has its outcome, and
    :class:`ValidationFailed` (field ``status``) for a move the workflow does not allow."""
    current, new = RS(current), RS(new)
    if new == current:
        return False
    if current in FINAL:
        raise Conflict(
            f"推荐已有结果（{_zh(current)}），不能再改为“{_zh(new)}” / "
            f"the referral is already {current.value}; it cannot become {new.value}",
            field="status",
        )
    if new not in ALLOWED_MOVES[current]:
        allowed = "、".join(_zh(s) for s in sorted(ALLOWED_MOVES[current]))
        raise ValidationFailed([FieldError(
            "status",
            f"不能从“{_zh(current)}”改为“{_zh(new)}”（可改为：{allowed}）/ "
            f"cannot move a referral from {current.value} to {new.value}",
            value=new.value,
        )])
    return True


def apply_update(referral: dict[str, Any], changes: dict[str, Any], today: date) -> tuple[dict[str, Any], bool]:
    """The referral after ``changes`` (any of status, outcome, notes, interview_at, decided_at, consent;
    keys present are applied, even as None) and whether its status moved. Dates the workflow
    implies are filled in: ``interview_at`` on interviewing, ``decided_at`` on an outcome."""
    out = dict(referral)
    current = RS(out.get("status") or RS.recommended)
    new = RS(changes["status"]) if changes.get("status") is not None else current
    moved = check_transition(current, new)
    for key in ("outcome", "notes", "interview_at", "decided_at", "consent"):
        if key in changes:
            value = changes[key]
            out[key] = value.isoformat() if isinstance(value, date) else value
    out["status"] = new.value
    if moved:
        if new == RS.interviewing and not out.get("interview_at"):
            out["interview_at"] = today.isoformat()
        if new in FINAL and not changes.get("decided_at"):
            out["decided_at"] = today.isoformat()
    return out, moved


def hire_effects(seeker: dict[str, Any] | None, job: dict[str, Any] | None) -> tuple[dict | None, dict | None]:
    """The seeker and job records after a hire (None where nothing changes or the record is gone)."""
    new_seeker = None
    if seeker is not None and seeker.get("status") != SeekerStatus.employed:
        new_seeker = {**seeker, "status": SeekerStatus.employed.value}
    new_job = None
    if job is not None and job.get("status", JobStatus.open) == JobStatus.open:
        headcount = int(job.get("headcount") or 1)
        if headcount > 1:
            new_job = {**job, "headcount": headcount - 1}
        else:  # the last place: headcount stays at its floor of 1
            new_job = {**job, "status": JobStatus.filled.value}
    return new_seeker, new_job


def sync_consent(store, referral: dict[str, Any], *, by: str) -> None:
    """Make the consent facts say what a referral written whole says (idempotent)."""
    with store.transaction() as conn:
        wants = bool(referral.get("consent") and referral.get("status") != RS.withdrawn)
        record_consent(store, referral, "give" if wants else "revoke", by, conn)


# -- store reads and writes ---------------------------------------------------------------------
_fallback_lock = threading.RLock()


@contextmanager
def _engine_lock(engine) -> Iterator[None]:
    with getattr(engine, "_lock", None) or _fallback_lock:
        yield


def consent_changes(before: dict[str, Any] | None, after: dict[str, Any]) -> str | None:
    """What a referral's write does to the seeker's consent: ``"give"``, ``"revoke"`` or None. Pure.

    Consent is in force while the referral says so and is not withdrawn."""
    was = bool(before and before.get("consent") and before.get("status") != RS.withdrawn)
    now = bool(after.get("consent") and after.get("status") != RS.withdrawn)
    if now and not was:
        return "give"
    if was and not now:
        return "revoke"
    return None


def record_consent(store, referral: dict[str, Any], change: str | None, by: str, conn) -> None:
    """Keep the consent facts in step with a referral write (inside its transaction): consent is
    given to the employer the referral was made to, for that referral, by the account recording it."""
    from datetime import UTC, datetime

    if change == "give" and referral.get("employer_id"):
        store.access.give_consent(seeker_id=referral["seeker_id"], employer_id=referral["employer_id"],
                                  referral_id=referral["id"], by=by, at=datetime.now(UTC), conn=conn)
    elif change == "revoke":
        store.access.revoke_consent(referral["id"], by=by, at=datetime.now(UTC), conn=conn)


def _not_found(kind: str, record_id: str, field: str) -> NotFoundError:
    err = NotFoundError(kind, record_id)
    err.field = field
    return err


def create_referral(engine, *, seeker_id: str, job_id: str, station_id: str | None = None,
                    notes: str | None = None, referral_id: str | None = None, consent: bool = False,
                    today: date | None = None, by: str = "system") -> dict[str, Any]:
    """Refer a stored seeker to a stored, open job (status ``recommended``, dated today).

    The station defaults to the seeker's; the referral is bound to the job's employer of now (it
    and its consent stay with that employer). Conflicts: the id was ever used, the job is not open,
    or the seeker already has an active referral to this job. ``by``: who records it (the consent)."""
    from matcher.engine import coerce_records

    store = engine.store
    today = today or date.today()
    with _engine_lock(engine):
        seeker = store.get_dicts("seeker", [seeker_id]).get(seeker_id)
        if seeker is None:
            raise _not_found("seeker", seeker_id, "seeker_id")
        job = store.get_dicts("job", [job_id]).get(job_id)
        if job is None:
            raise _not_found("job", job_id, "job_id")
        if job.get("status", "open") != JobStatus.open:
            raise Conflict(f"岗位 {job_id} 已不在招聘（{job.get('status')}）/ job {job_id} is not open", field="job_id")
        if station_id and store.find("station", station_id) is None:
            raise _not_found("station", station_id, "station_id")
        active, _ = store.list("referral", limit=1, seeker_id=seeker_id, job_id=job_id,
                               status=[s.value for s in ACTIVE])
        if active:
            raise Conflict(
                f"该求职者已推荐到此岗位（推荐编号 {active[0]['id']}）/ "
                f"seeker {seeker_id} already has an open referral to job {job_id}: {active[0]['id']}",
                field="job_id",
            )
        rid = referral_id or new_referral_id()
        if store.id_states("referral", [rid]):  # live or a tombstone: an id is never reused
            raise Conflict(f"推荐编号 {rid} 不可用 / the referral id {rid} is not available", field="id")
        record = coerce_records("referral", [{
            "id": rid, "seeker_id": seeker_id, "job_id": job_id,
            "station_id": station_id or seeker.get("station_id"),
            "status": RS.recommended.value, "notes": notes, "consent": bool(consent),
            "referred_at": today.isoformat(), "employer_id": job.get("employer_id"),
        }])[0]
        data = record.to_dict()
        with store.transaction() as conn:
            store.upsert("referral", [record], conn=conn)
            record_consent(store, data, consent_changes(None, data), by, conn)
        return data


def transition_referral(engine, referral_id: str, changes: dict[str, Any], *,
                        today: date | None = None, by: str = "system") -> dict[str, Any]:
    """Apply a progress update; on ``hired``, update the seeker and the job in the same transaction
    and write the hire into the employment ledger. A change of ``consent`` (or a withdrawal) gives
    or revokes the consent fact, recorded as ``by``."""
    from matcher.engine import coerce_records
    from matcher.ledger import record_hire

    store = engine.store
    today = today or date.today()
    touched: list[str] = []
    with _engine_lock(engine):
        with store.transaction() as conn:
            current = store.read_live("referral", referral_id, conn)
            if current is None:
                raise NotFoundError("referral", referral_id)
            if not current.get("employer_id"):  # stored before referrals were bound to their employer
                job = store.read_live("job", current["job_id"], conn)
                current = {**current, "employer_id": job.get("employer_id") if job else None}
            updated, moved = apply_update(current, changes, today)
            writes: list[tuple[str, dict[str, Any]]] = [("referral", updated)]
            if moved and updated["status"] == RS.hired:
                seeker_now = store.read_live("seeker", current["seeker_id"], conn)
                job_now = store.read_live("job", current["job_id"], conn)
                record_hire(store, conn, seeker_now, job_now, updated, by=by, today=today)  # the employment ledger
                seeker, job = hire_effects(seeker_now, job_now)
                if seeker is not None:
                    writes.append(("seeker", seeker))
                if job is not None:
                    writes.append(("job", job))
            records = [(kind, coerce_records(kind, [data])[0]) for kind, data in writes]  # validate all first
            for kind, rec in records:
                store.upsert(kind, [rec], conn=conn)
                if kind != "referral":
                    touched.append(kind)
            updated = records[0][1].to_dict()
            record_consent(store, updated, consent_changes(current, updated), by, conn)
        for kind in touched:  # indexes follow the committed change
            engine.refresh(kind)
    return updated


def withdraw_referral(engine, referral_id: str, *, today: date | None = None, by: str = "system") -> dict[str, Any]:
    """Withdraw an active referral (what "delete" means for a referral); a no-op when already
    withdrawn; a :class:`Conflict` when it already has an outcome."""
    store = engine.store
    current = store.get_dicts("referral", [referral_id]).get(referral_id)
    if current is None:
        raise NotFoundError("referral", referral_id)
    if current.get("status") == RS.withdrawn:
        return current
    return transition_referral(engine, referral_id, {"status": RS.withdrawn.value}, today=today, by=by)
