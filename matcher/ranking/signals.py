"""One pure, vectorised function per ranking signal, for both directions.

A signal reads :class:`Pairs` (one query against candidate rows of a feature table) and returns a
:class:`Signal`: a score per pair, the weight it enters the final score with (a field of
:class:`~matcher.ranking.config.RankingConfig`) and the data its explanation needs. The final score
is ``Σ weight × score`` over :data:`PRIOR_SIGNALS` and :data:`EXACT_SIGNALS`; the candidate stage's
shortlist ranks by the same sum over :data:`PRIOR_SIGNALS` alone (no cosine, no skill sets), so the
two cannot drift apart.

Adding a signal: write ``def my_signal(p: Pairs, cfg) -> Signal`` here, add it to
:data:`PRIOR_SIGNALS` (or :data:`EXACT_SIGNALS` when it needs the cosine or Python sets), add its
weight to ``RankingConfig`` and a test; ``docs/matching.md`` walks through an example.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from matcher.features.tables import DISABLED_BIT
from matcher.ranking import reach as R
from matcher.ranking.config import RankingConfig

JOBS, SEEKERS = "jobs", "seekers"  # a seeker's job list; a job's candidate list

# Agreement by the deepest shared level of two occupation codes.
LEVEL_AGREEMENT = {4: 1.0, 3: 0.7, 2: 0.4}
_AGREEMENT_BY_LEVEL = np.array([LEVEL_AGREEMENT.get(lv, 0.0) for lv in range(5)])


@dataclass
class Pairs:
    """One query against candidate rows: what every signal and filter reads.

    ``direction`` is :data:`JOBS` (``q`` = a seeker's feature columns, ``table`` = the job table)
    or :data:`SEEKERS` (``q`` = a job's, ``table`` = the seeker table). ``km``: straight-line
    distances (NaN unknown). ``circles``: the seeker side's circles (one, or one per row).
    ``skills``: the query side's canonical skills; ``licenses``: a job query's required licences.
    ``paired``: rows in a region paired with the query's (cooperation tier; ``None``: none)."""

    direction: str
    q: dict[str, Any]
    table: Any
    rows: np.ndarray
    km: np.ndarray
    circles: R.Circles
    today: int
    cosine: np.ndarray | None = None
    skills: frozenset[str] = frozenset()
    licenses: frozenset[str] = frozenset()
    paired: np.ndarray | None = None
    cache: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rows)

    def take(self, idx: np.ndarray) -> Pairs:
        return replace(self, rows=self.rows[idx], km=self.km[idx], circles=self.circles.take(idx),
                       cosine=None if self.cosine is None else self.cosine[idx],
                       paired=None if self.paired is None else self.paired[idx], cache={})

    def col(self, name: str) -> np.ndarray:
        """A numpy column of the candidate rows."""
        return getattr(self.table, name)[self.rows]

    def objects(self, name: str) -> list:
        """An object column (skill sets, licences) of the candidate rows."""
        col = getattr(self.table, name)
        return [col[r] for r in self.rows.tolist()]


def job_pairs(q: dict[str, Any], table, rows: np.ndarray, cfg: RankingConfig, today: int,
              cosine: np.ndarray | None = None, km: np.ndarray | None = None,
              skills: frozenset[str] = frozenset(), paired: np.ndarray | None = None) -> Pairs:
    """A seeker (feature columns ``q``, canonical ``skills``) against job-table rows."""
    km = R.distances(q, table, rows) if km is None else km
    return Pairs(JOBS, q, table, rows, km, R.query_circles(q, cfg.locality_cfg), today, cosine, skills=skills,
                 paired=paired)


def seeker_pairs(q: dict[str, Any], table, rows: np.ndarray, cfg: RankingConfig, today: int,
                 cosine: np.ndarray | None = None, km: np.ndarray | None = None, skills: frozenset[str] = frozenset(),
                 licenses: frozenset[str] = frozenset(), paired: np.ndarray | None = None) -> Pairs:
    """A job (feature columns ``q``, its ``skills`` and required ``licenses``) against seeker-table rows."""
    km = R.distances(q, table, rows) if km is None else km
    return Pairs(SEEKERS, q, table, rows, km, R.table_circles(table, rows, cfg.locality_cfg), today, cosine,
                 skills=skills, licenses=licenses, paired=paired)


@dataclass
class Signal:
    name: str
    score: np.ndarray
    weight: float
    data: dict[str, Any] = field(default_factory=dict)

    def take(self, idx: np.ndarray) -> Signal:
        return Signal(self.name, self.score[idx], self.weight,
                      {k: v.take(idx) if isinstance(v, R.Reach) else np.asarray(v)[idx] for k, v in self.data.items()})


# -- signals without the cosine -------------------------------------------------------------------
def occupation(p: Pairs, cfg: RankingConfig) -> Signal:
    """Agreement of occupation codes: 1.0 same 4-level code, 0.7 same 3-level, 0.4 same 2-level,
    times both sides' mapping confidence; the seeker's best-agreeing wish (of two) counts.
    Data: ``level`` (deepest shared level, 0 none), ``wish`` (which of the seeker's wishes, 0/1),
    ``confidence`` (the less sure side's confidence, for reasons)."""
    q = p.q
    if p.direction == JOBS:
        job = (p.col("occ4"), p.col("occ3"), p.col("occ2"), p.col("occ_conf"))
        slots = [(q["occ4a"], q["occ3a"], q["occ2a"], q["conf_a"]), (q["occ4b"], q["occ3b"], q["occ2b"], q["conf_b"])]
    else:
        job = (q["occ4"], q["occ3"], q["occ2"], q["occ_conf"])
        slots = [(p.col("occ4a"), p.col("occ3a"), p.col("occ2a"), p.col("conf_a")),
                 (p.col("occ4b"), p.col("occ3b"), p.col("occ2b"), p.col("conf_b"))]
    n = len(p)
    best, level, wish, conf = np.zeros(n), np.zeros(n, dtype=np.int8), np.zeros(n, dtype=np.int8), np.zeros(n)
    for i, slot in enumerate(slots):
        s, lv, c = agreement(slot, job)
        better = s > best
        best = np.where(better, s, best)
        level = np.where(better, lv, level).astype(np.int8)
        wish = np.where(better, i, wish).astype(np.int8)
        conf = np.where(better, c, conf)
    return Signal("occupation", best, cfg.occupation, {"level": level, "wish": wish, "confidence": conf})


def agreement(a: Sequence, b: Sequence) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(score, deepest shared level, less sure confidence) of two codes, each given as
    (4-level id, 3-level id, 2-level id, confidence) with -1 for none; broadcasts."""
    a4, a3, a2, ac = (np.asarray(x) for x in a)
    b4, b3, b2, bc = (np.asarray(x) for x in b)
    # the deepest level both codes share: the largest of 4·(4-level equal), 3·(3-level), 2·(2-level)
    lv = np.maximum(np.maximum(((a4 == b4) & (a4 >= 0)) * 4, ((a3 == b3) & (a3 >= 0)) * 3), ((a2 == b2) & (a2 >= 0)) * 2)
    return _AGREEMENT_BY_LEVEL[lv] * ac * bc, lv, np.minimum(ac, bc)


def locality(p: Pairs, cfg: RankingConfig) -> Signal:
    """Reach: the locality score and the reach tier of each pair (``matcher.ranking.reach``).
    Employers' candidate lists weigh it ``candidate_locality``, seekers' job lists ``locality``."""
    other = p.q["prec"]
    r = R.reach_signal(p.km, p.col("prec"), other, p.circles, cfg.locality_cfg, p.paired)
    weight = cfg.locality if p.direction == JOBS else cfg.candidate_locality
    return Signal("locality", r.score, weight, {"reach": r})


def wage(p: Pairs, cfg: RankingConfig) -> Signal:
    """0.5 when unknown; rises to 1 as the offered wage exceeds the wanted one by half."""
    if p.direction == JOBS:
        desired, lo, hi = p.q["wage"], p.col("wage_min"), p.col("wage_max")
    else:
        desired, lo, hi = p.col("wage"), p.q["wage_min"], p.q["wage_max"]
    return Signal("wage", wage_fit(desired, lo, hi), cfg.wage)


def wage_fit(desired, wage_min, wage_max) -> np.ndarray:
    offered = np.where(np.isnan(wage_max), wage_min, wage_max)
    desired = np.asarray(desired, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        fit = np.clip(0.5 + (offered - desired) / desired, 0.0, 1.0)
    return np.where(np.isnan(fit), 0.5, fit)


def priority(p: Pairs, cfg: RankingConfig) -> Signal:
    """Boosts for employment-assistance targets (weight 1: the boost is the score). Seekers' lists:
    jobs that welcome their group, disability-friendly jobs for disabled seekers, public-welfare
    posts. Employers' lists: assistance targets, more for several groups."""
    pri = cfg.priority
    if p.direction == JOBS:
        welcome = p.col("welcome") & p.q["priority"]
        accessible = p.col("accessible") & bool(p.q["priority"] & DISABLED_BIT)
        welfare = p.col("welfare")
        boost = (np.where(welcome != 0, pri.welcome_boost, 0.0) + np.where(accessible, pri.accessible_boost, 0.0)
                 + np.where(welfare, pri.public_welfare_boost, 0.0))
        return Signal("priority", boost, 1.0, {"welcome": welcome, "accessible": accessible, "welfare": welfare})
    prio = p.col("priority")
    welcome = prio & p.q["welcome"]
    accessible = bool(p.q["accessible"]) & ((prio & DISABLED_BIT) != 0)
    boost = (np.where(prio != 0, pri.candidate_boost + pri.per_extra_group * np.clip(popcount(prio) - 1, 0, 2), 0.0)
             + np.where(welcome != 0, pri.welcome_boost, 0.0) + np.where(accessible, pri.accessible_boost, 0.0))
    return Signal("priority", boost, 1.0, {"groups": prio})


def popcount(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.int64)
    out = np.zeros(x.shape, dtype=np.int64)
    for b in range(16):
        out += (x >> b) & 1
    return out


# -- signals that need the cosine or the skill sets -----------------------------------------------
def semantic(p: Pairs, cfg: RankingConfig) -> Signal:
    """Cosine of the two texts' embeddings, rescaled so unrelated texts sit near 0."""
    cos = np.asarray(p.cosine, dtype=np.float64)
    score = np.clip((cos - cfg.semantic_floor) / (cfg.semantic_ceiling - cfg.semantic_floor), 0.0, 1.0)
    return Signal("semantic", score, cfg.semantic, {"cosine": cos})


def skills(p: Pairs, cfg: RankingConfig) -> Signal:
    """Share of the job's skills the seeker has (0.5 when the job lists none)."""
    if p.direction == JOBS:
        have, wanted = p.skills, p.objects("skills")
        share = np.fromiter((len(have & w) / len(w) if w else 0.5 for w in wanted), dtype=np.float64, count=len(p))
    else:
        want = p.skills
        share = np.fromiter((len(h & want) / len(want) if want else 0.5 for h in p.objects("skills")), dtype=np.float64,
                            count=len(p))
    return Signal("skills", share, cfg.skills)


def matched_skills(p: Pairs, i: int) -> list[str]:
    """The skills pair ``i`` shares (explanations: only for the pairs shown)."""
    other = p.table.skills[int(p.rows[i])] or frozenset()
    return sorted(p.skills & other)


#: Signals the shortlist prior is made of (numpy columns only).
PRIOR_SIGNALS: tuple[Callable[[Pairs, RankingConfig], Signal], ...] = (occupation, locality, wage, priority)
#: Signals computed once the cosine is known; ``skills`` last (Python sets: only for pairs that can
#: still reach the top, ``ranker._prune``).
EXACT_SIGNALS: tuple[Callable[[Pairs, RankingConfig], Signal], ...] = (semantic, skills)


def weighted(signals: Sequence[Signal]) -> np.ndarray:
    total = 0.0
    for s in signals:
        total = total + s.weight * s.score
    return np.asarray(total, dtype=np.float64)


def relevance(sem: Signal, occ: Signal) -> np.ndarray:
    """How relevant a pair is, in [0, 1]: semantic and occupation agreement, weighted as in the score."""
    w = sem.weight + occ.weight
    return (sem.weight * sem.score + occ.weight * occ.score) / w if w > 0 else np.ones(len(sem.score))


def relevant(sem: Signal, occ: Signal, cfg: RankingConfig) -> np.ndarray:
    """Which pairs are relevant enough to be listed (``RankingConfig.relevance_floor``): the
    relevance reaches the floor and, with ``occupation_evidence``, the two sides are the same
    occupation (the same 4-level code, or a cosine of at least ``same_occupation_cosine``).
    A similar but different occupation nearby is not listed before the right one further away."""
    ok = relevance(sem, occ) >= cfg.relevance_floor
    if cfg.occupation_evidence:
        same = (np.asarray(occ.data["level"]) == 4) | (np.asarray(sem.data["cosine"]) >= cfg.same_occupation_cosine)
        ok &= same
    return ok


def max_score(cfg: RankingConfig, direction: str) -> float:
    """The largest weighted sum without boosts: what 100 on the 匹配度 scale stands for."""
    loc = cfg.locality if direction == JOBS else cfg.candidate_locality
    return cfg.semantic + cfg.occupation + cfg.skills + loc + cfg.wage


def match_percent(total: np.ndarray, cfg: RankingConfig, direction: str) -> np.ndarray:
    """The score people read (匹配度, 0-100, one scale in both directions): the final score as a
    share of :func:`max_score`, capped at 100 (priority boosts can push a pair past the top)."""
    top = max_score(cfg, direction)
    return np.clip(np.round(100.0 * np.asarray(total) / top, 1), 0.0, 100.0) if top > 0 else np.zeros(len(total))
