"""Offline quality metrics (plain numpy, no engine imports).

Ranking quality of one query is computed from its ranked list of *gains* (relevance of the item at
each rank, best first) and, for recall and ideal DCG, from the gains of every item in the corpus that
could have been retrieved:

* binary relevance, 4-level: gain 1 when the job's occupation code equals one of the query's
  relevant codes (``4-02-07-08``), else 0 (:func:`binary_gain`);
* graded relevance, 2-level: gain 1.0 for the same 4-level code, 0.5 for the same 2-level group
  (``4-02``), else 0 (:func:`graded_gain`); "relevant at 2 levels" means gain > 0.

Batch measures of a recommendation run (:func:`coverage`, :func:`gini`) look at how the
recommendations spread over the jobs; :func:`share_inside_circle` reads the ranking's own
``breakdown['inside_circle']`` flags; :func:`priority_rank_lift` compares candidate lists with and
without the priority boost.

Conventions: ``k`` counts from the top; ranks are 1-based; a query without any relevant item in
the corpus has no defined recall/nDCG/MRR (the functions return ``nan``; :func:`mean` skips it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

__all__ = [
    "binary_gain",
    "coverage",
    "dcg_at_k",
    "gini",
    "graded_gain",
    "mean",
    "mrr",
    "ndcg_at_k",
    "occupation_group",
    "priority_rank_lift",
    "recall_at_k",
    "reciprocal_rank",
    "share_inside_circle",
]


# -- relevance helpers ----------------------------------------------------------------------------


def occupation_group(code: str | None, level: int = 2) -> str | None:
    """The ancestor of a classification code at ``level`` (``"4-02-07-08"``, 2 -> ``"4-02"``);
    ``None`` for a missing code or one shallower than ``level``."""
    if not code:
        return None
    parts = str(code).split("-")
    if len(parts) < level:
        return None
    return "-".join(parts[:level])


def binary_gain(code: str | None, relevant_codes: Iterable[str]) -> float:
    """1.0 when ``code`` is exactly one of ``relevant_codes`` (4-level agreement), else 0.0."""
    return 1.0 if code and code in set(relevant_codes) else 0.0


def graded_gain(code: str | None, relevant_codes: Iterable[str], partial: float = 0.5) -> float:
    """Graded relevance of a job's code for a query: 1.0 for the same 4-level code, ``partial``
    (0.5) for the same 2-level group (e.g. ``6-18``) as any relevant code, else 0.0."""
    rel = list(relevant_codes)
    if not code:
        return 0.0
    if code in rel:
        return 1.0
    group = occupation_group(code, 2)
    if group is not None and any(occupation_group(r, 2) == group for r in rel):
        return float(partial)
    return 0.0


# -- per-query ranking metrics ----------------------------------------------------------------------


def _gains(ranked: Sequence[float] | np.ndarray) -> np.ndarray:
    return np.asarray(ranked, dtype=np.float64).ravel()


def dcg_at_k(gains: Sequence[float] | np.ndarray, k: int) -> float:
    """Discounted cumulative gain of the top ``k``: ``sum(g_i / log2(i + 1))`` over ranks i = 1..k
    (linear gains, so graded gains of 0.5 count half)."""
    if k < 1:
        raise ValueError("k must be >= 1")
    g = _gains(gains)[:k]
    if g.size == 0:
        return 0.0
    return float(np.sum(g / np.log2(np.arange(2, g.size + 2))))


def ndcg_at_k(gains: Sequence[float] | np.ndarray, k: int, ideal: Sequence[float] | np.ndarray | None = None) -> float:
    """Normalised DCG of the top ``k``: ``DCG@k(gains) / DCG@k(ideal sorted best first)``.

    ``ideal`` are the gains of every item that could have been ranked (the whole corpus); when
    omitted, the ranked list's own gains are used (so a list that holds all relevant items in a bad
    order scores below 1). ``nan`` when the ideal DCG is 0 (nothing relevant).

    >>> round(ndcg_at_k([1, 0, 1], 3), 4)  # (1 + 1/log2(4)) / (1 + 1/log2(3))
    0.9197
    """
    ideal_g = _gains(gains) if ideal is None else _gains(ideal)
    idcg = dcg_at_k(np.sort(ideal_g)[::-1], k)
    if idcg <= 0:
        return float("nan")
    return dcg_at_k(gains, k) / idcg


def recall_at_k(relevant: Sequence[float] | np.ndarray, n_relevant: int, k: int) -> float:
    """Share of all ``n_relevant`` relevant items (in the corpus) that appear in the top ``k`` of
    the ranked binary relevance list ``relevant`` (1/0 or True/False per rank). ``nan`` when
    ``n_relevant`` is 0. Not capped: with 30 relevant items, recall@10 is at most 1/3."""
    if k < 1:
        raise ValueError("k must be >= 1")
    if n_relevant <= 0:
        return float("nan")
    hits = float(np.count_nonzero(_gains(relevant)[:k] > 0))
    return hits / float(n_relevant)


def reciprocal_rank(relevant: Sequence[float] | np.ndarray, k: int | None = None) -> float:
    """1 / rank of the first relevant item (gain > 0) in the list (within the top ``k`` when
    given); 0.0 when there is none."""
    g = _gains(relevant)
    if k is not None:
        g = g[:k]
    hit = np.flatnonzero(g > 0)
    return 0.0 if hit.size == 0 else 1.0 / float(hit[0] + 1)


def mrr(ranked_lists: Iterable[Sequence[float] | np.ndarray], k: int | None = None) -> float:
    """Mean reciprocal rank over queries (each a ranked relevance list); ``nan`` for no queries.

    >>> mrr([[0, 1, 0], [1, 0, 0], [0, 0, 0]])  # (1/2 + 1 + 0) / 3
    0.5
    """
    rr = [reciprocal_rank(r, k) for r in ranked_lists]
    return float(np.mean(rr)) if rr else float("nan")


def mean(values: Iterable[float]) -> float:
    """Mean of the defined (non-nan, non-None) values; ``nan`` when none is defined."""
    v = np.asarray([x for x in values if x is not None], dtype=np.float64)
    v = v[~np.isnan(v)]
    return float(v.mean()) if v.size else float("nan")


# -- batch / spread metrics -------------------------------------------------------------------------


def coverage(recommended: Iterable[Iterable[str]], corpus: int | Iterable[str]) -> float:
    """Share of the corpus's jobs recommended at least once across a batch of lists.

    ``recommended``: one list of job ids per query/seeker (already cut to the top k);
    ``corpus``: the number of jobs or the iterable of all job ids (then ids outside it are ignored).
    """
    seen: set[str] = set()
    for lst in recommended:
        seen.update(lst)
    if isinstance(corpus, int):
        total = corpus
    else:
        ids = set(corpus)
        total = len(ids)
        seen &= ids
    if total <= 0:
        return float("nan")
    return len(seen) / float(total)


def gini(counts: Sequence[float] | np.ndarray) -> float:
    """Gini coefficient of recommendation counts over jobs (include the zeros of jobs never
    recommended): 0 = every job recommended equally often; (n-1)/n = one job gets everything.

    ``G = sum_i sum_j |x_i - x_j| / (2 n^2 mean(x))``; 0.0 for an empty or all-zero vector.

    >>> gini([5, 5, 5, 5])
    0.0
    >>> gini([0, 0, 0, 7])  # (n - 1) / n
    0.75
    """
    x = np.sort(np.asarray(counts, dtype=np.float64).ravel())
    n = x.size
    if n == 0:
        return 0.0
    if np.any(x < 0):
        raise ValueError("counts must be non-negative")
    total = x.sum()
    if total <= 0:
        return 0.0
    # sorted form of the mean absolute difference: sum_i (2i - n - 1) x_i / (n * sum x)
    i = np.arange(1, n + 1)
    return float(np.sum((2 * i - n - 1) * x) / (n * total))


def share_inside_circle(breakdowns: Iterable[Sequence[dict]], k: int = 10) -> float:
    """Mean, over seekers, of the share of their top ``k`` matches whose
    ``breakdown['inside_circle']`` is true (jobs within the seeker's 15-minute / 5-km circle).
    Seekers with an empty list are skipped; ``nan`` when all are empty."""
    shares = []
    for lst in breakdowns:
        top = list(lst)[:k]
        if not top:
            continue
        shares.append(sum(1 for b in top if b.get("inside_circle")) / len(top))
    return float(np.mean(shares)) if shares else float("nan")


def priority_rank_lift(
    ranks_with: Sequence[int | None],
    ranks_without: Sequence[int | None],
    missing_rank: int | None = None,
) -> float:
    """Mean rank improvement of priority seekers in candidate lists: ``rank_without - rank_with``
    averaged over the same (seeker, job) pairs, where ``rank_with`` is the seeker's 1-based rank
    with the priority boost and ``rank_without`` the rank of the same seeker without it. Positive
    means priority seekers move up.

    A rank of ``None`` means "not in the list": it becomes ``missing_rank`` when given (e.g. k + 1),
    otherwise the pair is skipped. ``nan`` when no pair remains.

    >>> priority_rank_lift([1, 3], [4, 3])  # ((4 - 1) + (3 - 3)) / 2
    1.5
    """
    if len(ranks_with) != len(ranks_without):
        raise ValueError("ranks_with and ranks_without must have the same length")
    diffs = []
    for a, b in zip(ranks_with, ranks_without, strict=True):
        if a is None or b is None:
            if missing_rank is None:
                continue
            a = missing_rank if a is None else a
            b = missing_rank if b is None else b
        diffs.append(float(b) - float(a))
    return float(np.mean(diffs)) if diffs else float("nan")


def reach_order(reachable_lists: Iterable[Sequence[bool]], has_reachable: Sequence[bool]) -> dict[str, float]:
    """What a person who will not move sees first (issue 10), over lists of "is this item within
    the seeker's reach" flags (in list order) and, per list, whether any relevant item is within
    reach at all:

    * ``inversions``: share of lists with a beyond-reach item above a reachable one (must be 0);
    * ``first_beyond``: share of lists whose first item is beyond reach;
    * ``nothing_reachable``: share of seekers with no relevant item within reach (``first_beyond``
      should not exceed it);
    * ``first_beyond_though_reachable``: share of lists that start beyond reach although a
      relevant item is within reach."""
    lists = [list(x) for x in reachable_lists]
    n = len(lists)
    if n == 0:
        return {"inversions": float("nan"), "first_beyond": float("nan"), "nothing_reachable": float("nan"),
                "first_beyond_though_reachable": float("nan")}
    inv = sum(1 for lst in lists if any(not a and b for i, a in enumerate(lst) for b in lst[i + 1:]))
    first = [bool(lst) and not lst[0] for lst in lists]
    return {"inversions": inv / n, "first_beyond": sum(first) / n,
            "nothing_reachable": sum(1 for h in has_reachable if not h) / n,
            "first_beyond_though_reachable": sum(1 for f, h in zip(first, has_reachable, strict=True) if f and h) / n}
