"""招聘活动与就业见习: recruitment events, their invitation lists and attendance; training suggestions.

* An **event** (:class:`~matcher.records.Event`) is held at a station on one day and brings
  employers and their jobs (``job_ids``, plus the open jobs of ``employer_ids``). An internship
  event (``kind = internship``) or an internship post (``employment_type = internship``, 就业见习)
  invites young people (16–24) and unemployed graduates only.
* Its **invitation list**: for each of its jobs the engine's candidate list (the same ranking as
  ``GET /v1/jobs/{id}/candidates``, all the station's area's seekers, consent to share not needed
  because the station invites its own people); a seeker's best match is kept. Reach is respected:
  a candidate beyond reach of the job (``breakdown.reach == "beyond_reach"``) is not invited, unless
  they are willing to relocate. Assistance targets come first, then the rest, each by reach tier
  and score.
* **Attendance**: per invited person, whether they came and the outcome (``none``, ``interview``,
  ``offer``, ``hired``).
* **Training suggestions**: when a seeker has no reachable relevant match (no reachable job of the
  same or a related occupation and none sharing a skill), the skills that the reachable jobs ask
  for and the seeker lacks, counted by how many of those jobs each would open.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from matcher.errors import FieldError, NotFoundError, ValidationFailed
from matcher.records import Attendance, Event, validate_record

REACHABLE = ("inside_circle", "within_reach", "cooperation")
TIER_ORDER = {"inside_circle": 0, "within_reach": 1, "cooperation": 2, "beyond_reach": 3}


def reach_of(breakdown: dict[str, Any]) -> str:
    """A match's reach tier (``breakdown.reach``; older breakdowns: from ``inside_circle``)."""
    tier = breakdown.get("reach")
    if tier:
        return tier
    return "inside_circle" if breakdown.get("inside_circle") else "within_reach"


def save_event(engine, data: dict[str, Any]) -> dict[str, Any]:
    """Validate an event against the store (its station, jobs and employers exist) and keep it."""
    ev = validate_record(Event, data)
    missing = []
    if not engine.store.get_dicts("station", [ev.station_id]):
        missing.append(FieldError("station_id", f"服务站不存在：{ev.station_id} / no such station", value=ev.station_id))
    found = engine.store.get_dicts("job", ev.job_ids)
    missing += [FieldError("job_ids", f"岗位不存在：{j} / no such job", value=j) for j in ev.job_ids if j not in found]
    found = engine.store.get_dicts("employer", ev.employer_ids)
    missing += [FieldError("employer_ids", f"用人单位不存在：{e} / no such employer", value=e)
                for e in ev.employer_ids if e not in found]
    if missing:
        raise ValidationFailed(missing)
    return engine.network.put(ev)


def event_jobs(engine, event: dict[str, Any], today: date | None = None) -> list[dict[str, Any]]:
    """The event's jobs: its ``job_ids`` and the open jobs of its employers, not expired."""
    today = today or date.today()
    ids = list(event.get("job_ids") or [])
    for emp in event.get("employer_ids") or []:
        ids += [j["id"] for j in engine.store.iter_dicts("job", employer_id=emp, status="open")]
    jobs = engine.store.get_dicts("job", ids)
    out = []
    for jid in dict.fromkeys(ids):
        j = jobs.get(jid)
        if j and j.get("status", "open") == "open" and (not j.get("expires_at") or j["expires_at"] >= today.isoformat()):
            out.append(j)
    return out


def _young_or_graduate(s: dict[str, Any], day: date) -> bool:
    if "graduate" in (s.get("priority_groups") or []):
        return True
    born = s.get("birth_date")
    if not born:
        return False
    b = date.fromisoformat(born)
    age = day.year - b.year - ((day.month, day.day) < (b.month, b.day))
    return 16 <= age <= 24


def invitations(engine, event_id: str, *, limit: int = 100, per_job: int = 50,
                today: date | None = None) -> dict[str, Any]:
    event = engine.network.get("event", event_id)
    day = date.fromisoformat(event["date"])
    station = engine.store.get_dicts("station", [event["station_id"]]).get(event["station_id"]) or {}
    area = (station.get("region_code") or "")[:6] or None
    jobs = event_jobs(engine, event, today)
    best: dict[str, tuple[Any, dict[str, Any]]] = {}
    for j in jobs:
        for m in engine.match_candidates(j["id"], k=per_job, today=today, require_consent=False, region_prefix=area):
            prev = best.get(m.id)
            key = (TIER_ORDER.get(reach_of(m.breakdown), 3), -m.score)
            if prev is None or key < (TIER_ORDER.get(reach_of(prev[0].breakdown), 3), -prev[0].score):
                best[m.id] = (m, j)
    seekers = engine.store.get_dicts("seeker", list(best))
    internship = event.get("kind") == "internship"
    targets = set(event.get("target_groups") or [])
    rows = []
    for sid, (m, j) in best.items():
        s = seekers.get(sid)
        if s is None or s.get("status") == "employed":
            continue
        tier = reach_of(m.breakdown)
        if tier not in REACHABLE and not s.get("willing_to_relocate"):
            continue
        if (internship or j.get("employment_type") == "internship") and not _young_or_graduate(s, day):
            continue
        groups = s.get("priority_groups") or []
        if targets and not targets & set(groups):
            continue
        rows.append({"seeker_id": sid, "name": s.get("name"), "priority": bool(groups), "priority_groups": groups,
                     "job_id": j["id"], "job_title": j.get("title"), "score": m.score, "reach": tier,
                     "distance_km": m.breakdown.get("distance_km"), "reasons": m.reasons})
    rows.sort(key=lambda r: (not r["priority"], TIER_ORDER.get(r["reach"], 3), -r["score"], r["seeker_id"]))
    attendance = {a["seeker_id"]: a for a in engine.network.all("attendance", ref_id=event_id)}
    for r in rows:
        a = attendance.get(r["seeker_id"])
        r["attended"] = a.get("attended") if a else None
        r["outcome"] = a.get("outcome") if a else None
    return {"event": event, "jobs": [j["id"] for j in jobs], "invitations": rows[:limit], "count": len(rows)}


def record_attendance(engine, event_id: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep whether each person came and the outcome (``[{seeker_id, attended, outcome, job_id, note}]``)."""
    engine.network.get("event", event_id)
    recs = []
    errors = []
    for n, item in enumerate(items, start=1):
        data = {**item, "event_id": event_id, "id": f"{event_id}:{item.get('seeker_id')}"}
        try:
            recs.append(validate_record(Attendance, data, row=n))
        except ValidationFailed as e:
            errors.extend(e.errors)
    known = engine.store.get_dicts("seeker", [r.seeker_id for r in recs])
    errors += [FieldError("seeker_id", f"求职者不存在：{r.seeker_id} / no such seeker", value=r.seeker_id)
               for r in recs if r.seeker_id not in known]
    if errors:
        raise ValidationFailed(errors)
    return [engine.network.put(r) for r in recs]


def event_outcomes(engine, event_id: str) -> dict[str, int]:
    rows = engine.network.all("attendance", ref_id=event_id)
    out = Counter(r.get("outcome") or "none" for r in rows if r.get("attended"))
    return {"invited_recorded": len(rows), "attended": sum(bool(r.get("attended")) for r in rows), **out}


def relevant(breakdown: dict[str, Any]) -> bool:
    return int(breakdown.get("occupation_level") or 0) >= 2 or bool(breakdown.get("matched_skills"))


def training_suggestions(engine, seeker_id: str, *, k: int = 200, top: int = 5,
                         today: date | None = None) -> dict[str, Any]:
    """Skills whose training would open the most reachable jobs, when nothing relevant is reachable."""
    seeker = engine.store.get_dicts("seeker", [seeker_id]).get(seeker_id)
    if seeker is None:
        raise NotFoundError("seeker", seeker_id)
    matches = engine.match_jobs(seeker_id, k=k, today=today)
    reachable = [m for m in matches if reach_of(m.breakdown) in REACHABLE]
    if any(relevant(m.breakdown) for m in reachable):
        return {"seeker_id": seeker_id, "needed": False, "suggestions": []}
    vocab = engine.ctx.vocabulary
    have = {vocab.canonical(x) for x in (seeker.get("skills") or []) + (seeker.get("certificates") or [])}
    jobs = engine.store.get_dicts("job", [m.id for m in reachable])
    opens: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    for j in jobs.values():
        for sk in dict.fromkeys(vocab.canonical(x) for x in j.get("skills") or []):
            if sk and sk not in have:
                opens[sk] += 1
                examples.setdefault(sk, []).append(j["title"])
    suggestions = [{"skill": sk, "kind": "training", "opens_jobs": n, "example_jobs": examples[sk][:3],
                    "reason": f"学习{sk}后，附近可报名的岗位有{n}个"} for sk, n in opens.most_common(top)]
    if not suggestions:
        suggestions = [{"skill": None, "kind": "guidance", "opens_jobs": 0, "example_jobs": [],
                        "reason": "附近暂无可到达的岗位，建议预约职业指导 / no reachable jobs nearby: book career guidance"}]
    return {"seeker_id": seeker_id, "needed": True, "reachable_jobs": len(reachable), "suggestions": suggestions}
