"""The ranking stage: hard filters, score components, priority boosts, final order, explanations.

Both directions share the components; the difference is which side is the query. Inputs are the
query's feature dict (from :func:`matcher.features.tables.job_features` / ``seeker_features``),
a feature table, candidate rows and their cosine similarities. Output: scored matches, best first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from matcher.features.tables import DISABLED_BIT, CodeBook, JobTable, SeekerTable
from matcher.ranking import explain, filters, scores
from matcher.ranking.config import RankingConfig
from matcher.ranking.locality import Circle, distances, locality_scores


@dataclass
class Ranked:
    row: int
    score: float
    breakdown: dict[str, Any]
    reasons: list[str] = field(default_factory=list)


def _query_codes(q: dict[str, Any], side: str) -> list[tuple[int, int, int, float]]:
    if side == "seeker":
        out = [(q["occ4a"], q["occ3a"], q["occ2a"], q["conf_a"])]
        if q["occ4b"] >= 0:
            out.append((q["occ4b"], q["occ3b"], q["occ2b"], q["conf_b"]))
        return out
    return [(q["occ4"], q["occ3"], q["occ2"], q["occ_conf"])]


def _breakdown(sem, cosine, occ, level, skl, matched, loc, km, minutes, inside, precision, wage, boost,
               passed) -> dict[str, Any]:
    """The score breakdown of one match, as the API and CLI show it."""
    return {
        "semantic": round(float(sem), 4),
        "cosine": round(float(cosine), 4),
        "occupation": round(float(occ), 4),
        "occupation_level": int(level),
        "skills": round(float(skl), 4),
        "matched_skills": matched,
        "locality": round(float(loc), 4),
        "distance_km": None if np.isnan(km) else round(km, 2),
        "travel_minutes": None if np.isnan(minutes) else round(minutes, 1),
        "inside_circle": bool(inside),
        "location_precision": int(precision),
        "wage": round(float(wage), 4),
        "priority": round(float(boost), 4),
        "filters_passed": passed,
    }


def _order(score: np.ndarray, located: np.ndarray, k: int, groups: list | None = None, per_group: int = 0) -> np.ndarray:
    """Best first; candidates with no usable location after all located ones. With ``groups``
    (e.g. employers) at most ``per_group`` of one group enter the list while others can fill it,
    so one employer's many similar postings do not crowd out everyone else."""
    order = np.lexsort((-score, ~located))
    if not groups or per_group <= 0:
        return order[:k]
    taken, held, seen = [], [], {}
    for i in order:
        g = groups[i]
        if g is not None and seen.get(g, 0) >= per_group:
            held.append(i)
            continue
        seen[g] = seen.get(g, 0) + 1
        taken.append(i)
        if len(taken) == k:
            break
    return np.asarray((taken + held)[:k], dtype=np.int64)


def _prune(lower: np.ndarray, upper: np.ndarray, k: int, check) -> np.ndarray:
    """Indices whose exact (expensive) part must be computed to know the top ``k`` exactly.

    ``lower``/``upper`` bound each candidate's final sort key; ``check(idx)`` runs the expensive
    filter on a subset and returns which pass. A candidate left out can never reach the top k:
    at least k passing candidates have a lower bound above its upper bound."""
    n = len(lower)
    m = 2 * k
    while m < n:
        thr = np.partition(lower, n - m)[n - m]
        sel = np.flatnonzero(upper >= thr)
        ok = check(sel)
        if np.count_nonzero(ok & (lower[sel] >= thr)) >= k:
            return sel[ok]
        m *= 4
    sel = np.arange(n)
    return sel[check(sel)]


def job_prior(
    q: dict[str, Any],
    circle: Circle,
    table: JobTable,
    rows: np.ndarray,
    km: np.ndarray,
    cfg: RankingConfig,
    today: int,
) -> np.ndarray:
    """The part of :func:`rank_jobs`'s score that needs neither the cosine nor the skill sets, for
    many rows at once (numpy columns only; ``km`` their distances to the seeker), and ``-inf`` where
    a column hard filter fails.

    A job's final score lies in ``[prior, prior + semantic + skills]``. The engine's candidate stage
    uses it to choose, among the thousands of jobs around a seeker in a city, those that can still
    reach the top on occupation, locality, wage and priority, next to the best by cosine. Keep it
    in step with :func:`rank_jobs` (``tests/ranking/test_prior.py`` checks the bound)."""
    t = table
    pri = cfg.priority
    age = filters.age_years(q["born"], today)
    loc_score, _measure, inside = locality_scores(
        km, t.prec[rows], q["prec"], circle.limit, circle.urban, q["speed"], cfg.locality_cfg)
    ok = (filters.job_side(t, rows, today) & filters.wage_floor(q["wage"], t.wage_min[rows], t.wage_max[rows])
          & filters.employment_type(q["etypes"], t.etype[rows]) & filters.education(q["edu"], t.edu[rows])
          & filters.age_rules(age, t.age_min[rows], t.age_max[rows], t.heavy[rows])
          & filters.reserved_posts(q["priority"], t.welfare[rows]))
    if circle.hard:
        ok &= inside
    occ, _level, _which = scores.occupation_agreement(
        _query_codes(q, "seeker"), t.occ4[rows], t.occ3[rows], t.occ2[rows], t.occ_conf[rows])
    wage = scores.wage_fit(q["wage"], t.wage_min[rows], t.wage_max[rows])
    boost = (np.where((t.welcome[rows] & q["priority"]) != 0, pri.welcome_boost, 0.0)
             + np.where(t.accessible[rows] & bool(q["priority"] & DISABLED_BIT), pri.accessible_boost, 0.0)
             + np.where(t.welfare[rows], pri.public_welfare_boost, 0.0))
    prior = cfg.occupation * occ + cfg.locality * loc_score + cfg.wage * wage + boost
    return np.where(ok, prior, -np.inf)


def seeker_prior(
    q: dict[str, Any],
    table: SeekerTable,
    rows: np.ndarray,
    km: np.ndarray,
    cfg: RankingConfig,
    today: int,
    require_consent: bool = True,
) -> np.ndarray:
    """:func:`job_prior`'s counterpart for :func:`rank_seekers` (a job's candidate list): the score
    without the cosine and the skills, ``-inf`` where a column hard filter fails (the licence filter
    needs the skill sets and is left to the ranking)."""
    t = table
    pri = cfg.priority
    n = len(rows)
    age = filters.age_years(t.born[rows], today)
    loc_score, _measure, inside = locality_scores(
        km, t.prec[rows], q["prec"], t.circle[rows], t.circle_urban[rows], t.speed[rows], cfg.locality_cfg)
    ok = ((t.eligible[rows] if require_consent else t.active[rows])
          & filters.wage_floor(t.wage[rows], np.full(n, q["wage_min"]), np.full(n, q["wage_max"]))
          & filters.employment_type(t.etypes[rows], q["etype"]) & filters.education(t.edu[rows], np.full(n, q["edu"]))
          & filters.age_rules(age, q["age_min"], q["age_max"], np.full(n, q["heavy"]))
          & filters.reserved_posts(t.priority[rows], q["welfare"]) & (~t.hard[rows] | inside))
    codes = _query_codes(q, "job")
    occ_a, _, _ = scores.occupation_agreement(codes, t.occ4a[rows], t.occ3a[rows], t.occ2a[rows], t.conf_a[rows])
    occ_b, _, _ = scores.occupation_agreement(codes, t.occ4b[rows], t.occ3b[rows], t.occ2b[rows], t.conf_b[rows])
    wage = scores.wage_fit(t.wage[rows], np.full(n, q["wage_min"]), np.full(n, q["wage_max"]))
    prio = t.priority[rows]
    boost = (np.where(prio != 0, pri.candidate_boost + pri.per_extra_group * np.clip(scores.popcount(prio) - 1, 0, 2), 0.0)
             + np.where((prio & q["welcome"]) != 0, pri.welcome_boost, 0.0)
             + np.where(bool(q["accessible"]) & ((prio & DISABLED_BIT) != 0), pri.accessible_boost, 0.0))
    prior = cfg.occupation * np.maximum(occ_a, occ_b) + cfg.candidate_locality * loc_score + cfg.wage * wage + boost
    return np.where(ok, prior, -np.inf)


def _shortlist(occ: np.ndarray, km: np.ndarray, m: int, widen: int, prior) -> np.ndarray:
    """Indices of the ``m`` best rows by ``prior(indices)`` (``-inf`` = filtered out), computed only
    for the ``widen·m`` best by occupation agreement (nearest first among equals) when there are
    more rows than that (the prior reads a dozen columns, the agreement three); widened while fewer
    than ``m`` of those pass the filters."""
    n = len(occ)
    tie = np.nan_to_num(km, nan=1e6) / (1e6 * (1.0 + float(np.nanmax(km, initial=0.0))))
    key = tie - occ
    w = widen * m
    while True:
        pre = np.arange(n) if n <= w else np.argpartition(key, w - 1)[:w]
        score = prior(pre)
        ok = np.isfinite(score)
        if n <= w or np.count_nonzero(ok) >= m:
            break
        w *= 4
    pre, score = pre[ok], score[ok] - tie[pre[ok]]
    m = min(m, len(pre))
    return pre[np.argpartition(-score, m - 1)[:m]] if m else pre[:0]


def job_shortlist(q: dict[str, Any], circle: Circle, table: JobTable, rows: np.ndarray, km: np.ndarray, m: int,
                  cfg: RankingConfig, today: int, widen: int = 4) -> np.ndarray:
    """Indices into ``rows`` of the ``m`` jobs with the best :func:`job_prior` (hard filters
    passed), looked for among the ``widen·m`` best by occupation agreement: what the engine's
    candidate stage adds, next to the best by cosine, when thousands of jobs lie around a seeker."""
    t = table
    occ, _, _ = scores.occupation_agreement(
        _query_codes(q, "seeker"), t.occ4[rows], t.occ3[rows], t.occ2[rows], t.occ_conf[rows])
    return _shortlist(occ, km, m, widen, lambda i: job_prior(q, circle, t, rows[i], km[i], cfg, today))


def seeker_shortlist(q: dict[str, Any], table: SeekerTable, rows: np.ndarray, km: np.ndarray, m: int,
                     cfg: RankingConfig, today: int, require_consent: bool = True, widen: int = 4) -> np.ndarray:
    """:func:`job_shortlist` for a job's candidate list (:func:`seeker_prior`)."""
    t = table
    codes = _query_codes(q, "job")
    occ = np.maximum(scores.occupation_agreement(codes, t.occ4a[rows], t.occ3a[rows], t.occ2a[rows], t.conf_a[rows])[0],
                     scores.occupation_agreement(codes, t.occ4b[rows], t.occ3b[rows], t.occ2b[rows], t.conf_b[rows])[0])
    return _shortlist(occ, km, m, widen,
                      lambda i: seeker_prior(q, t, rows[i], km[i], cfg, today, require_consent=require_consent))


def rank_jobs(
    q: dict[str, Any],
    skills: frozenset[str],
    circle: Circle,
    table: JobTable,
    rows: np.ndarray,
    cosine: np.ndarray,
    cfg: RankingConfig,
    today: int,
    k: int,
) -> list[Ranked]:
    """Jobs for one seeker (``q`` = the seeker's features)."""
    t = table
    loc = cfg.locality_cfg
    pri = cfg.priority
    age = filters.age_years(q["born"], today)
    km = distances(q["lat"], q["lng"], t.lat[rows], t.lng[rows])
    loc_score, measure, inside = locality_scores(
        km, t.prec[rows], q["prec"], circle.limit, circle.urban, q["speed"], loc)
    masks = {
        "open": filters.job_side(t, rows, today),
        "wage": filters.wage_floor(q["wage"], t.wage_min[rows], t.wage_max[rows]),
        "employment_type": filters.employment_type(q["etypes"], t.etype[rows]),
        "education": filters.education(q["edu"], t.edu[rows]),
        "age": filters.age_rules(age, t.age_min[rows], t.age_max[rows], t.heavy[rows]),
        "reserved": filters.reserved_posts(q["priority"], t.welfare[rows]),
    }
    if circle.hard:
        masks["distance"] = inside
    keep = np.logical_and.reduce(list(masks.values()))
    rows, cosine, km, loc_score, measure, inside = rows[keep], cosine[keep], km[keep], loc_score[keep], measure[keep], inside[keep]
    if len(rows) == 0:
        return []
    sem = scores.semantic(cosine, cfg.semantic_floor, cfg.semantic_ceiling)
    occ, level, which = scores.occupation_agreement(
        _query_codes(q, "seeker"), t.occ4[rows], t.occ3[rows], t.occ2[rows], t.occ_conf[rows])
    wage = scores.wage_fit(q["wage"], t.wage_min[rows], t.wage_max[rows])
    welcome_hit = t.welcome[rows] & q["priority"]
    accessible_hit = t.accessible[rows] & bool(q["priority"] & DISABLED_BIT)
    welfare = t.welfare[rows]
    boost = (np.where(welcome_hit != 0, pri.welcome_boost, 0.0) + np.where(accessible_hit, pri.accessible_boost, 0.0)
             + np.where(welfare, pri.public_welfare_boost, 0.0))
    partial = cfg.semantic * sem + cfg.occupation * occ + cfg.locality * loc_score + cfg.wage * wage + boost
    located = ~np.isnan(km)
    tier = np.where(located, 10.0, 0.0)  # located jobs always sort before unlocated ones
    licenses_col, skills_col = t.licenses, t.skills

    def licensed(idx: np.ndarray) -> np.ndarray:
        return filters.licenses(skills, [licenses_col[r] for r in rows[idx]])

    # with a per-employer cap the top k may reach deeper into the list: prune for the worst case
    sel = _prune(partial + tier, partial + cfg.skills + tier, k * (1 + 4 * (cfg.max_per_employer > 0)), licensed)
    rows, sem, occ, level, which, wage, boost, partial = (
        rows[sel], sem[sel], occ[sel], level[sel], which[sel], wage[sel], boost[sel], partial[sel])
    cosine, km, loc_score, measure, inside, located = cosine[sel], km[sel], loc_score[sel], measure[sel], inside[sel], located[sel]
    welcome_hit, accessible_hit, welfare = welcome_hit[sel], accessible_hit[sel], welfare[sel]
    wanted = [skills_col[r] for r in rows]
    skl = scores.skill_shares(skills, wanted)
    total = partial + cfg.skills * skl
    employers = t.employer
    order = _order(total, located, k, [employers[r] for r in rows], cfg.max_per_employer)
    masks["licenses"] = True
    passed = [filters.FILTER_NAMES_ZH[n] for n in masks]
    wishes = q.get("wishes") or ()
    out = []
    for i in order:
        row = int(rows[i])
        km_i = float(km[i])
        minutes = float(measure[i]) if circle.urban else (km_i * loc.detour_factor / q["speed"] * 60 if not np.isnan(km_i) else float("nan"))
        matched = sorted(skills & wanted[i])  # as skill_coverage gives it, for the rows shown only
        breakdown = _breakdown(sem[i], cosine[i], occ[i], level[i], skl[i], matched, loc_score[i], km_i, minutes,
                               inside[i], min(t.prec[row], q["prec"]), wage[i], boost[i], passed)
        breakdown["circle"] = f"{circle.limit:g}{circle.unit_zh}"
        wish = wishes[which[i]] if 0 <= which[i] < len(wishes) else None
        reasons = [r for r in (
            explain.job_priority_reason(int(welcome_hit[i]), bool(accessible_hit[i]), bool(welfare[i])),
            explain.occupation_reason(int(level[i]), wish),
            explain.locality_reason(km_i, minutes, bool(inside[i]), circle.urban, circle.limit, circle.mode,
                                    int(min(t.prec[row], q["prec"]))),
            explain.skills_reason(matched),
            explain.wage_reason(float(t.wage_min[row]), float(t.wage_max[row]), float(q["wage"])),
        ) if r][:3]
        out.append(Ranked(row, round(float(total[i]), 4), breakdown, reasons))
    return out


def rank_seekers(
    q: dict[str, Any],
    licenses_required: frozenset[str],
    job_skills: frozenset[str],
    table: SeekerTable,
    rows: np.ndarray,
    cosine: np.ndarray,
    cfg: RankingConfig,
    today: int,
    k: int,
    require_consent: bool = True,
) -> list[Ranked]:
    """Candidates for one job (``q`` = the job's features). Employers only ever see seekers who
    are not employed and have consented (``require_consent``)."""
    t = table
    loc = cfg.locality_cfg
    pri = cfg.priority
    age = filters.age_years(t.born[rows], today)
    km = distances(q["lat"], q["lng"], t.lat[rows], t.lng[rows])
    loc_score, measure, inside = locality_scores(
        km, t.prec[rows], q["prec"], t.circle[rows], t.circle_urban[rows], t.speed[rows], loc)
    seeker_skills = [t.skills[r] for r in rows]
    masks = {
        "consent": (t.eligible[rows] if require_consent else t.active[rows]),
        "wage": filters.wage_floor(t.wage[rows], np.full(len(rows), q["wage_min"]), np.full(len(rows), q["wage_max"])),
        "employment_type": filters.employment_type(t.etypes[rows], q["etype"]),
        "education": filters.education(t.edu[rows], np.full(len(rows), q["edu"])),
        "age": filters.age_rules(age, q["age_min"], q["age_max"], np.full(len(rows), q["heavy"])),
        "licenses": filters.licenses(seeker_skills, licenses_required),
        "reserved": filters.reserved_posts(t.priority[rows], q["welfare"]),
        "distance": ~t.hard[rows] | inside,
    }
    keep = np.logical_and.reduce(list(masks.values()))
    rows, cosine, km, loc_score, measure, inside = rows[keep], cosine[keep], km[keep], loc_score[keep], measure[keep], inside[keep]
    seeker_skills = [s for s, kept in zip(seeker_skills, keep, strict=True) if kept]
    if len(rows) == 0:
        return []
    sem = scores.semantic(cosine, cfg.semantic_floor, cfg.semantic_ceiling)
    occ_a, lv_a, _ = scores.occupation_agreement(_query_codes(q, "job"), t.occ4a[rows], t.occ3a[rows], t.occ2a[rows], t.conf_a[rows])
    occ_b, lv_b, _ = scores.occupation_agreement(_query_codes(q, "job"), t.occ4b[rows], t.occ3b[rows], t.occ2b[rows], t.conf_b[rows])
    occ = np.maximum(occ_a, occ_b)
    level = np.where(occ_a >= occ_b, lv_a, lv_b)
    matched_skills = [sorted(s & job_skills) for s in seeker_skills]
    skl = np.array([len(m) / len(job_skills) if job_skills else 0.5 for m in matched_skills])
    wage = scores.wage_fit(t.wage[rows], np.full(len(rows), q["wage_min"]), np.full(len(rows), q["wage_max"]))
    prio = t.priority[rows]
    n_groups = scores.popcount(prio)
    welcome_hit = prio & q["welcome"]
    accessible_hit = bool(q["accessible"]) & ((prio & DISABLED_BIT) != 0)
    boost = (np.where(prio != 0, pri.candidate_boost + pri.per_extra_group * np.clip(n_groups - 1, 0, 2), 0.0)
             + np.where(welcome_hit != 0, pri.welcome_boost, 0.0) + np.where(accessible_hit, pri.accessible_boost, 0.0))
    total = (cfg.semantic * sem + cfg.occupation * occ + cfg.skills * skl + cfg.candidate_locality * loc_score
             + cfg.wage * wage + boost)
    order = _order(total, ~np.isnan(km), k)
    passed = [filters.FILTER_NAMES_ZH[n] for n in masks]
    out = []
    for i in order:
        row = int(rows[i])
        km_i = float(km[i])
        minutes = km_i * loc.detour_factor / float(t.speed[row]) * 60 if not np.isnan(km_i) else float("nan")
        breakdown = _breakdown(sem[i], cosine[i], occ[i], level[i], skl[i], matched_skills[i], loc_score[i], km_i,
                               minutes, inside[i], min(t.prec[row], q["prec"]), wage[i], boost[i], passed)
        wishes = t.wishes[row] or ()
        reasons = [r for r in (
            explain.candidate_priority_reason(int(prio[i])),
            (f"想做{wishes[0]}，与岗位{'一致' if level[i] == 4 else '相近'}" if wishes and level[i] > 0 else None),
            (None if np.isnan(km_i) else f"距岗位约{km_i:.1f}公里，在本人就业圈内" if inside[i] else f"距岗位约{km_i:.1f}公里"),
            (f"具备{'、'.join(matched_skills[i][:3])}" if matched_skills[i] else None),
        ) if r][:3]
        out.append(Ranked(row, round(float(total[i]), 4), breakdown, reasons))
    return out


__all__ = ["CodeBook", "Ranked", "job_prior", "job_shortlist", "rank_jobs", "rank_seekers", "seeker_prior",
           "seeker_shortlist"]
