"""What an employer sees of its candidate lists: nothing that depends on a seeker's assistance
group, no exact distance, no seeker id, township or station (docs/access.md, "What each role can
infer").

The ranking itself is the staff's (policy boosts included); this module is applied to its result
for employer callers only, after the query was made group-blind:

* the job profile loses ``priority_groups_welcome`` and ``accessible`` (the two job fields whose
  effect on the list depends on the candidates' groups), and an ad-hoc profile's coordinates are
  snapped to a 0.05° grid (about 5 km), so an employer cannot place its query points;
* the list keeps the ranking's bands (relevant before the rest, reachable before beyond reach:
  neither depends on a group); inside a band every candidate's score is recomputed from the
  ranking's group-blind components (meaning, occupation, skills, wage: their weights times the
  breakdown's values) plus the locality weight times the distance *band*'s value, on the 0-100
  匹配度 scale, and the band is re-ordered by that score (ties by handle): neither the score, nor
  its breakdown, nor the reasons, nor the order tell who was prioritised, and the score is not a
  fine function of the distance;
* ``distance_km`` becomes a band (3公里内 / 3–10公里 / 10–25公里 / 25公里以上); travel time,
  "inside the circle" (which reveals the seeker's own commute limit) and location precision go;
* the seeker id becomes a handle (an HMAC of the employer and the seeker under a server key):
  stable for one employer, meaningless to another; the region is cut to the county, the station
  goes. Seekers who consented to a referral to this employer carry their id and contact details.

Pure functions, except :func:`handle_key` (reads the key from the store).
"""

from __future__ import annotations

import hashlib
import hmac
import math
from typing import Any

from matcher.matches import Match

SNAP_DEGREES = 0.05
BANDS: tuple[tuple[float, str], ...] = ((3.0, "3公里内"), (10.0, "3–10公里"), (25.0, "10–25公里"))
FAR, UNKNOWN = "25公里以上", "距离未知"
# the locality value a band stands for in the employer's score (the staff's score uses the exact distance)
BAND_LOCALITY = {"3公里内": 1.0, "3–10公里": 0.7, "10–25公里": 0.4, FAR: 0.1, UNKNOWN: 0.3}
GROUP_FIELDS = ("priority_groups_welcome", "accessible")
SHOWN_BREAKDOWN = ("semantic", "cosine", "occupation", "occupation_level", "skills", "matched_skills", "wage",
                   "relevant", "filters_passed")
SHOWN_SUMMARY = ("name", "gender", "age", "education", "desired_occupations", "skills", "certificates")
# reasons that speak of a group, a priority or an exact distance or time are not shown
_HIDDEN_REASON_WORDS = ("援助", "优先", "困难", "残疾", "公里", "分钟", "就业圈")


def distance_band(km: float | None) -> str:
    if km is None or (isinstance(km, float) and math.isnan(km)):
        return UNKNOWN
    for limit, label in BANDS:
        if km <= limit:
            return label
    return FAR


def snap(value: float | None, step: float = SNAP_DEGREES) -> float | None:
    return None if value is None else round(round(value / step) * step, 6)


def blind_profile(job: dict[str, Any], *, snap_location: bool) -> dict[str, Any]:
    """The job as an employer's candidate query uses it: no group-dependent fields; an ad-hoc
    profile's position on the coarse grid."""
    out = {k: v for k, v in job.items() if k not in GROUP_FIELDS}
    if snap_location:
        out["lat"], out["lng"] = snap(job.get("lat")), snap(job.get("lng"))
    return out


def fetch_size(k: int, most: int = 500) -> int:
    """How many to ask the engine for, so the re-ordered list still has ``k`` good ones."""
    return min(most, 3 * k + 20)


def handle(key: str, employer_id: str, seeker_id: str) -> str:
    mac = hmac.new(key.encode(), f"{employer_id}\x1f{seeker_id}".encode(), hashlib.sha256).hexdigest()
    return "C" + mac[:16].upper()


def handle_key(store) -> str:
    return store.access.server_key("candidate_handles")


def employer_score(m: Match, weights: dict[str, float] | None, locality_weight: float) -> float:
    """The employer's score on the 匹配度 scale (0-100): the ranking's weighted components that do not
    depend on the group (meaning, occupation, skills, wage) plus the locality weight times the
    distance band's value, as a share of the largest such sum. Summed from the breakdown's
    components, so no rounding of the priority term can show through. Without ``weights`` (a
    ranking that names them otherwise): the raw score less the priority and the exact locality
    terms."""
    b = m.breakdown
    band = BAND_LOCALITY[distance_band(b.get("distance_km"))]
    if weights:
        raw = sum(w * float(b.get(k) or 0.0) for k, w in weights.items()) + locality_weight * band
        top = sum(weights.values()) + locality_weight
    else:
        raw = (float(b.get("rank_score") or 0.0) - float(b.get("priority") or 0.0)
               - locality_weight * float(b.get("locality") or 0.0) + locality_weight * band)
        top = 1.0
    return round(min(100.0, max(0.0, 100.0 * raw / top)), 1) if top > 0 else 0.0


def score_weights(ranking) -> dict[str, float] | None:
    """The ranking's weights of the group-blind components, or None when it does not have them all."""
    names = ("semantic", "occupation", "skills", "wage")
    found = {n: getattr(ranking, n, None) for n in names}
    if any(not isinstance(v, int | float) for v in found.values()):
        return None
    return {n: float(v) for n, v in found.items()}


def employer_match(m: Match, *, key: str, employer_id: str, locality_weight: float,
                   weights: dict[str, float] | None = None, contact: dict[str, Any] | None = None) -> Match:
    b = m.breakdown
    band = distance_band(b.get("distance_km"))
    breakdown = {k: b[k] for k in SHOWN_BREAKDOWN if k in b}
    breakdown["distance_band"] = band
    if "reach" in b:  # reachable or not (the order says so anyway); never "inside the circle"
        breakdown["reach"] = "within_reach" if b["reach"] == "inside_circle" else b["reach"]
    reasons = [r for r in m.reasons if not any(w in r for w in _HIDDEN_REASON_WORDS)]
    reasons.append(f"距岗位{band}" if band != UNKNOWN else "距离未知")
    summary = {k: m.summary.get(k) for k in SHOWN_SUMMARY}
    region = m.summary.get("region_code")
    summary["county_code"] = str(region)[:6] if region else None
    if contact is not None:
        summary["name"] = contact.get("name")
        summary["contact"] = contact
    return Match(id=handle(key, employer_id, m.id), score=employer_score(m, weights, locality_weight),
                 breakdown=breakdown,
                 reasons=reasons[:3], summary=summary)


def employer_list(matches: list[Match], k: int, *, key: str, employer_id: str, locality_weight: float,
                  contacts: dict[str, dict[str, Any]], weights: dict[str, float] | None = None) -> list[Match]:
    """The employer's view of a candidate list: group-blind scores and order, ``k`` long."""
    shown = [employer_match(m, key=key, employer_id=employer_id, locality_weight=locality_weight, weights=weights,
                            contact=contacts.get(m.id)) for m in matches]
    bands = {id(s): int(m.breakdown.get("band", 0)) for s, m in zip(shown, matches, strict=True)}
    # the ranking's bands stay (relevant and reachable first: group-blind), inside a band the
    # group-blind score decides
    shown.sort(key=lambda m: (bands[id(m)], -m.score, m.id))
    return shown[:k]
