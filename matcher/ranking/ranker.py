"""The ranking stage, one code path for both directions: hard filters, the signals of
``signals.py``, reach tiers first (``reach.py``), then the score, the employer cap, explanations.

Order of a list: pairs that pass every hard filter and the relevance floor, by listing group
(reachable, cooperation, beyond reach nearer than ``migrate_km``, further, no position), then by
score inside a group. Priority boosts and occupation agreement therefore reorder inside a tier,
never across. When no pair is relevant at all, the floor is dropped (tiers still come first);
when nothing relevant is reachable, the first match says so (``explain.NOTHING_REACHABLE``).
When nothing relevant lies even within ``migrate_km``, the few best items that do come first
(:func:`_nearby_fallback`, ``explain.NOTHING_RELEVANT_NEARBY``), then the relevant ones further away.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from matcher.ranking import explain, filters
from matcher.ranking import reach as R
from matcher.ranking.config import RankingConfig
from matcher.ranking.signals import (
    EXACT_SIGNALS,
    JOBS,
    PRIOR_SIGNALS,
    Pairs,
    Signal,
    match_percent,
    matched_skills,
    occupation,
    relevance,
    semantic,
    weighted,
)
from matcher.ranking.signals import (
    relevant as is_relevant,
)

#: Larger than any score: ``score - GROUP_STEP × group`` sorts by group first.
GROUP_STEP = 100.0
#: Items that are not relevant, listed after every relevant one: band ``TAIL_BAND + group``.
TAIL_BAND = 8


@dataclass
class Ranked:
    row: int
    score: float  # 匹配度, 0-100 (signals.match_percent)
    breakdown: dict[str, Any]
    reasons: list[str] = field(default_factory=list)


def _screen(p: Pairs, cfg: RankingConfig, require_consent: bool) -> tuple[dict[str, np.ndarray], list[Signal], np.ndarray]:
    """Column filters, the prior signals and which pairs pass (the licence filter is left out)."""
    masks = filters.column_masks(p, require_consent)
    sigs = [fn(p, cfg) for fn in PRIOR_SIGNALS]
    r = _reach(sigs)
    if p.direction != JOBS or bool(p.circles.hard[0]):
        masks["distance"] = ~p.circles.hard | R.reachable(r.tier)
    return masks, sigs, np.logical_and.reduce(list(masks.values()))


def _reach(sigs: list[Signal]) -> R.Reach:
    return next(s for s in sigs if s.name == "locality").data["reach"]


def prior(p: Pairs, cfg: RankingConfig, require_consent: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The score without the cosine and the skill sets (``-inf`` where a column filter fails) and
    each pair's listing group: a pair's final weighted score lies in ``[prior, prior + semantic +
    skills]`` (``tests/ranking/test_prior.py``)."""
    _masks, sigs, ok = _screen(p, cfg, require_consent)
    group = R.tier_order(_reach(sigs), p.km, cfg.locality_cfg)
    return np.where(ok, weighted(sigs), -np.inf), group


def shortlist(p: Pairs, m: int, cfg: RankingConfig, require_consent: bool = True, widen: int = 4) -> np.ndarray:
    """Indices into ``p`` of the ``m`` pairs with the best prior, listing group first (hard filters
    passed), looked for among the ``widen·m`` best by occupation agreement (nearest first among
    equals) when there are more; widened while fewer than ``m`` of those pass the filters. What the
    candidate stage adds, next to the best by cosine, when thousands of records lie around a query."""
    n = len(p)
    km = p.km
    tie = np.nan_to_num(km, nan=1e6) / (1e6 * (1.0 + float(np.nanmax(km, initial=0.0))))
    key = tie - occupation(p, cfg).score
    w = widen * m
    while True:
        pre = np.arange(n) if n <= w else np.argpartition(key, w - 1)[:w]
        score, group = prior(p.take(pre), cfg, require_consent)
        ok = np.isfinite(score)
        if n <= w or np.count_nonzero(ok) >= m:
            break
        w *= 4
    pre, score = pre[ok], score[ok] - tie[pre[ok]] - GROUP_STEP * group[ok]
    m = min(m, len(pre))
    return pre[np.argpartition(-score, m - 1)[:m]] if m else pre[:0]


def _nearby_fallback(relevant: np.ndarray, group: np.ndarray, score: np.ndarray, cfg: RankingConfig) -> np.ndarray:
    """When no relevant item lies within ``migrate_km`` (reachable, a paired region's, or beyond
    reach but nearer than that), the ``nearby_fallback`` best items that do are listed first,
    reachable before beyond reach: a person who will not move sees what they can get to before
    jobs that mean working away from home (外出务工)."""
    out = np.zeros(len(relevant), dtype=bool)
    close = group <= R.GROUP_NEAR
    if cfg.nearby_fallback <= 0 or (relevant & close).any():
        return out
    cand = np.flatnonzero(~relevant & ((group == R.GROUP_REACHABLE) | (group == R.GROUP_NEAR)))
    if len(cand):
        out[cand[np.lexsort((-score[cand], group[cand]))[: cfg.nearby_fallback]]] = True
    return out


def nothing_near(ranked: list[Ranked]) -> bool:
    """The list starts further than ``migrate_km`` (or with no position): the caller may widen the
    candidates to ``migrate_km`` around the query and rank again (``CandidateSelector.ring``)."""
    return bool(ranked) and ranked[0].breakdown["band"] % TAIL_BAND >= R.GROUP_FAR


def _order(total: np.ndarray, group: np.ndarray, k: int, owners: list | None = None, per_owner: int = 0) -> np.ndarray:
    """Group first, then best first. With ``owners`` (employers) at most ``per_owner`` of one owner
    enter a group's part of the list while others can fill it; the rest wait at the end of their
    own group (so the cap never moves an item across groups)."""
    order = np.lexsort((-total, group))
    if not owners or per_owner <= 0:
        return order[:k]
    out: list[int] = []
    held: list[int] = []
    seen: dict[Any, int] = {}
    current = None
    for i in order.tolist():
        if group[i] != current:
            out.extend(held)
            held, current = [], group[i]
            if len(out) >= k:
                break
        g = owners[i]
        if g is not None and seen.get(g, 0) >= per_owner:
            held.append(i)
            continue
        seen[g] = seen.get(g, 0) + 1
        out.append(i)
        if len(out) >= k:
            break
    out.extend(held)
    return np.asarray(out[:k], dtype=np.int64)


def _prune(lower: np.ndarray, upper: np.ndarray, k: int) -> np.ndarray:
    """Indices whose exact (expensive) part must be computed to know the top ``k`` exactly.

    ``lower``/``upper`` bound each candidate's final sort key. A candidate left out can never
    reach the top k: at least k candidates have a lower bound at or above its upper bound."""
    n = len(lower)
    if 2 * k >= n:
        return np.arange(n)
    thr = np.partition(lower, n - k)[n - k]
    return np.flatnonzero(upper >= thr)


def rank(p: Pairs, cfg: RankingConfig, k: int, require_consent: bool = True) -> list[Ranked]:
    """The top ``k`` pairs of ``p`` (``p.cosine`` set), explained. Employers' candidate lists
    (direction ``seekers``) only ever hold seekers who are not employed and have consented
    (``require_consent``)."""
    masks, sigs, ok = _screen(p, cfg, require_consent)
    keep = np.flatnonzero(ok)
    # the licence filter (Python sets) before the bands, so a relevant job the seeker may not
    # take can never decide that "something relevant is reachable"
    keep = keep[filters.licensed(p, keep)] if len(keep) else keep
    if len(keep) == 0:
        return []
    p, sigs = p.take(keep), [s.take(keep) for s in sigs]
    sem = semantic(p, cfg)
    occ = next(s for s in sigs if s.name == "occupation")
    rel = relevance(sem, occ)
    group = R.tier_order(_reach(sigs), p.km, cfg.locality_cfg)
    relevant = is_relevant(sem, occ, cfg)
    nothing_reachable = not bool(np.any(relevant & (group == R.GROUP_REACHABLE)))
    band = group.astype(np.int64)
    if relevant.any() and not relevant.all():
        listed = relevant | _nearby_fallback(relevant, group, weighted(sigs) + sem.weight * sem.score, cfg)
        # listed items first (by group); after them, others only where no reachable one would
        # follow a beyond-reach item: from the last group a listed item is in
        tail = ~listed & (group >= group[listed].max())
        band = np.where(listed, band, TAIL_BAND + band)
        idx = np.flatnonzero(listed | tail)
        p, sigs, sem, rel, band, relevant = (p.take(idx), [s.take(idx) for s in sigs], sem.take(idx), rel[idx],
                                             band[idx], relevant[idx])
    partial = weighted(sigs) + sem.weight * sem.score
    key = partial - GROUP_STEP * band
    jobs = p.direction == JOBS
    cap = cfg.max_per_employer if jobs else 0
    # with a per-employer cap the top k may reach deeper into the list: prune for the worst case
    sel = _prune(key, key + cfg.skills, k * (1 + 4 * (cap > 0)))
    p, sigs, sem, rel, band, relevant, partial = (p.take(sel), [s.take(sel) for s in sigs], sem.take(sel), rel[sel],
                                                  band[sel], relevant[sel], partial[sel])
    extra = [fn(p, cfg) for fn in EXACT_SIGNALS if fn is not semantic]
    total = partial + weighted(extra)
    owners = [p.table.employer[r] for r in p.rows.tolist()] if cap else None
    order = _order(total, band, k, owners, cap)
    masks["licenses"] = True
    passed = [filters.FILTER_NAMES_ZH[n] for n in masks]
    by = {s.name: s for s in [*sigs, sem, *extra]}
    percent = match_percent(total, cfg, p.direction)
    out = []
    for n, i in enumerate(order.tolist()):
        breakdown, reasons = _explain(p, cfg, by, i, float(rel[i]), passed)
        breakdown["rank_score"] = round(float(total[i]), 4)
        breakdown["relevant"] = bool(relevant[i])
        breakdown["band"] = int(band[i])
        breakdown["nothing_reachable"] = nothing_reachable
        if nothing_reachable and n == 0:
            nearby = not relevant[i] and band[i] <= R.GROUP_NEAR
            reasons.insert(0, (explain.NOTHING_RELEVANT_NEARBY if nearby else explain.NOTHING_REACHABLE)[p.direction])
        out.append(Ranked(int(p.rows[i]), float(percent[i]), breakdown, reasons))
    return out


def _explain(p: Pairs, cfg: RankingConfig, by: dict[str, Signal], i: int, rel: float,
             passed: list[str]) -> tuple[dict[str, Any], list[str]]:
    """The breakdown and reasons of pair ``i``."""
    r: R.Reach = by["locality"].data["reach"]
    occ = by["occupation"]
    c = p.circles
    ci = 0 if len(c) == 1 else i
    row = int(p.rows[i])
    km = float(p.km[i])
    minutes = float(r.minutes[i])
    tier = int(r.tier[i])
    matched = matched_skills(p, i)
    breakdown = {
        "semantic": round(float(by["semantic"].score[i]), 4),
        "cosine": round(float(by["semantic"].data["cosine"][i]), 4),
        "occupation": round(float(occ.score[i]), 4),
        "occupation_level": int(occ.data["level"][i]),
        "skills": round(float(by["skills"].score[i]), 4),
        "matched_skills": matched,
        "locality": round(float(r.score[i]), 4),
        "distance_km": None if np.isnan(km) else round(km, 2),
        "travel_minutes": None if np.isnan(minutes) else round(minutes, 1),
        "inside_circle": tier == R.INSIDE_CIRCLE,
        "reach": R.TIER_NAMES[tier],
        "circle": c.describe(ci),
        "reach_limit": f"{float(c.reach[ci]):g}{'分钟' if c.urban[ci] else '公里'}",
        "location_precision": int(r.precision[i]),
        "wage": round(float(by["wage"].score[i]), 4),
        "priority": round(float(by["priority"].score[i]), 4),
        "relevance": round(rel, 4),
        "filters_passed": passed,
    }
    jobs = p.direction == JOBS
    wishes = (p.q.get("wishes") if jobs else p.table.wishes[row]) or ()
    w = int(occ.data["wish"][i])
    occ_reason = explain.occupation_reason(int(occ.data["level"][i]), float(occ.data["confidence"][i]),
                                           wishes[w] if w < len(wishes) else None, cfg.reason_confidence, p.direction)
    reach_reason = explain.reach_reason(tier, km, minutes, bool(r.located[i]), int(r.precision[i]), bool(c.urban[ci]),
                                        float(c.circle[ci]), R.TRAVEL_MODES[int(c.mode[ci])],
                                        cfg.locality_cfg.migrate_km, "您" if jobs else "岗位")
    pri = by["priority"].data
    if jobs:
        prio_reason = explain.job_priority_reason(int(pri["welcome"][i]), bool(pri["accessible"][i]), bool(pri["welfare"][i]))
        t = p.table
        rest = [explain.skills_reason(matched), explain.wage_reason(float(t.wage_min[row]), float(t.wage_max[row]),
                                                                    float(p.q["wage"]))]
    else:
        prio_reason = explain.candidate_priority_reason(int(pri["groups"][i]))
        rest = [explain.skills_reason(matched, "seekers")]
    if R.reachable(np.int8(tier)):
        ordered = [prio_reason, occ_reason, reach_reason, *rest]
    else:  # a beyond-reach item always says so
        ordered = [reach_reason, occ_reason, prio_reason, *rest]
    return breakdown, [x for x in ordered if x][:3]
