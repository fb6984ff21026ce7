"""Hard filters: never violated. Pure and vectorised over candidate rows.

Each function returns a boolean mask (True = allowed). The names of the filters that a match
passed go into its explanation. Unknown values on either side do not exclude (a job without a
stated wage is not filtered by the seeker's wage floor), but known ones always do.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

LEGAL_WORKING_AGE = 16  # 《劳动法》: no employment under 16
ADULT_AGE = 18  # minors (16-17) are kept off heavy physical work

FILTER_NAMES_ZH = {
    "open": "岗位在招且未过期",
    "wage": "工资不低于期望",
    "employment_type": "用工形式符合",
    "education": "学历符合要求",
    "age": "年龄符合要求",
    "licenses": "具备所需证书",
    "reserved": "公益性岗位仅限就业困难人员",
    "distance": "在本人限定距离内",
    "consent": "本人同意推荐且未就业",
}


def age_years(born_ordinal: np.ndarray | int, today_ordinal: int) -> np.ndarray:
    """Whole years (approximate by 365.2425-day years); NaN where unknown (0)."""
    born = np.asarray(born_ordinal, dtype=np.float64)
    return np.where(born > 0, np.floor((today_ordinal - born) / 365.2425), np.nan)


def wage_floor(desired: np.ndarray | float, wage_min: np.ndarray, wage_max: np.ndarray) -> np.ndarray:
    offered = np.where(np.isnan(wage_max), wage_min, wage_max)
    desired = np.asarray(desired, dtype=np.float64)
    return np.isnan(desired) | np.isnan(offered) | (offered >= desired)


def employment_type(wanted_bits: np.ndarray | int, job_bits: np.ndarray) -> np.ndarray:
    wanted = np.asarray(wanted_bits)
    return (wanted == 0) | ((wanted & job_bits) != 0)


def education(seeker_rank: np.ndarray | int, job_rank: np.ndarray) -> np.ndarray:
    seeker_rank = np.asarray(seeker_rank)
    return (job_rank < 0) | (seeker_rank < 0) | (seeker_rank >= job_rank)


def age_rules(age: np.ndarray | float, age_min: np.ndarray, age_max: np.ndarray, heavy: np.ndarray) -> np.ndarray:
    age = np.asarray(age, dtype=np.float64)
    known = ~np.isnan(age)
    legal = ~known | (age >= LEGAL_WORKING_AGE)
    within = ~known | ((age >= age_min) & (age <= age_max))
    minors_ok = ~known | (age >= ADULT_AGE) | ~heavy
    return legal & within & minors_ok


def licenses(have: Sequence[frozenset[str]] | frozenset[str], required: Sequence[frozenset[str]] | frozenset[str]) -> np.ndarray:
    """Every required licence is held. One side may be a single set shared by all candidates."""
    if isinstance(have, frozenset):
        return np.fromiter((req <= have for req in required), dtype=bool, count=len(required))
    if isinstance(required, frozenset):
        return np.fromiter((required <= h for h in have), dtype=bool, count=len(have))
    return np.fromiter((r <= h for h, r in zip(have, required, strict=True)), dtype=bool, count=len(have))


def reserved_posts(priority_bits: np.ndarray | int, welfare: np.ndarray | bool) -> np.ndarray:
    """Public-welfare posts (公益性岗位) go only to employment-assistance targets."""
    return ~np.asarray(welfare) | (np.asarray(priority_bits) != 0)


def column_masks(p, require_consent: bool = True) -> dict[str, np.ndarray]:
    """Every hard filter that reads numpy columns only, for :class:`~matcher.ranking.signals.Pairs`
    of either direction (the licence filter needs Python sets: :func:`licensed`; the distance
    filter needs the reach tier: the ranker adds it)."""
    q, n = p.q, len(p)
    if p.direction == "jobs":
        age = age_years(q["born"], p.today)
        return {
            "open": p.col("open") & (p.col("expires") >= p.today) & (p.col("posted") <= p.today),
            "wage": wage_floor(q["wage"], p.col("wage_min"), p.col("wage_max")),
            "employment_type": employment_type(q["etypes"], p.col("etype")),
            "education": education(q["edu"], p.col("edu")),
            "age": age_rules(age, p.col("age_min"), p.col("age_max"), p.col("heavy")),
            "reserved": reserved_posts(q["priority"], p.col("welfare")),
        }
    age = age_years(p.col("born"), p.today)
    return {
        "consent": p.col("eligible") if require_consent else p.col("active"),
        "wage": wage_floor(p.col("wage"), np.full(n, q["wage_min"]), np.full(n, q["wage_max"])),
        "employment_type": employment_type(p.col("etypes"), q["etype"]),
        "education": education(p.col("edu"), np.full(n, q["edu"])),
        "age": age_rules(age, q["age_min"], q["age_max"], np.full(n, q["heavy"])),
        "reserved": reserved_posts(p.col("priority"), q["welfare"]),
    }


def licensed(p, idx: np.ndarray) -> np.ndarray:
    """The licence filter for pairs ``idx`` of ``p``: every licence the job requires is held."""
    rows = p.rows[idx]
    if p.direction == "jobs":  # only jobs that require a licence need the set check
        ok = np.ones(len(rows), dtype=bool)
        need = np.flatnonzero(p.table.nlic[rows] > 0)
        if len(need):
            req = p.table.licenses
            ok[need] = licenses(p.skills, [req[r] for r in rows[need].tolist()])
        return ok
    have = p.table.skills
    return licenses([have[r] for r in rows], p.licenses)
