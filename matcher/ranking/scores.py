"""Score components: pure functions, vectorised over candidates, each in [0, 1]."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Agreement by the deepest shared level of two occupation codes.
LEVEL_AGREEMENT = {4: 1.0, 3: 0.7, 2: 0.4}


def semantic(cosine: np.ndarray, floor: float, ceiling: float) -> np.ndarray:
    """Rescale cosine similarity so unrelated texts sit near 0 and near-duplicates at 1."""
    return np.clip((np.asarray(cosine, dtype=np.float64) - floor) / (ceiling - floor), 0.0, 1.0)


def occupation_agreement(
    query_codes: Sequence[tuple[int, int, int, float]],
    occ4: np.ndarray,
    occ3: np.ndarray,
    occ2: np.ndarray,
    conf: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Best agreement between the query's codes and each candidate's code.

    ``query_codes`` holds (4-level id, 3-level id, 2-level id, confidence) per query code.
    Returns (score, deepest shared level (0 none), index of the query code that matched)."""
    n = len(occ4)
    best = np.zeros(n)
    level = np.zeros(n, dtype=np.int8)
    which = np.full(n, -1, dtype=np.int8)
    for i, (q4, q3, q2, qc) in enumerate(query_codes):
        lv = np.where((occ4 == q4) & (q4 >= 0), 4, np.where((occ3 == q3) & (q3 >= 0), 3,
                                                             np.where((occ2 == q2) & (q2 >= 0), 2, 0)))
        agree = np.select([lv == 4, lv == 3, lv == 2], [LEVEL_AGREEMENT[4], LEVEL_AGREEMENT[3], LEVEL_AGREEMENT[2]], 0.0)
        s = agree * qc * conf
        better = s > best
        best = np.where(better, s, best)
        level = np.where(better, lv, level).astype(np.int8)
        which = np.where(better, i, which).astype(np.int8)
    return best, level, which


def skill_coverage(have: frozenset[str], wanted: Sequence[frozenset[str]]) -> tuple[np.ndarray, list[list[str]]]:
    """Share of each candidate's wanted skills that ``have`` covers; 0.5 when nothing is wanted."""
    scores = np.empty(len(wanted))
    matched: list[list[str]] = []
    for i, want in enumerate(wanted):
        if not want:
            scores[i] = 0.5
            matched.append([])
            continue
        hit = have & want
        scores[i] = len(hit) / len(want)
        matched.append(sorted(hit))
    return scores, matched


def skill_shares(have: frozenset[str], wanted: Sequence[frozenset[str]]) -> np.ndarray:
    """The scores of :func:`skill_coverage` without the matched lists (sorted only for the rows shown)."""
    return np.fromiter((len(have & w) / len(w) if w else 0.5 for w in wanted), dtype=np.float64, count=len(wanted))


def wage_fit(desired: np.ndarray | float, wage_min: np.ndarray, wage_max: np.ndarray) -> np.ndarray:
    """0.5 when unknown; rises to 1 as the offered wage exceeds the wanted one by half."""
    offered = np.where(np.isnan(wage_max), wage_min, wage_max)
    desired = np.asarray(desired, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        fit = np.clip(0.5 + (offered - desired) / desired, 0.0, 1.0)
    return np.where(np.isnan(fit), 0.5, fit)


def popcount(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.int64)
    out = np.zeros(x.shape, dtype=np.int64)
    for b in range(16):
        out += (x >> b) & 1
    return out
