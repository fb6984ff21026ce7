"""Known answers for the offline quality metrics (hand-computed)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from evaluation.metrics import (
    binary_gain,
    coverage,
    dcg_at_k,
    gini,
    graded_gain,
    mean,
    mrr,
    ndcg_at_k,
    occupation_group,
    priority_rank_lift,
    recall_at_k,
    reciprocal_rank,
    share_inside_circle,
)


def test_occupation_group_and_gains():
    assert occupation_group("4-02-07-08") == "4-02"
    assert occupation_group("4-02-07-08", 3) == "4-02-07"
    assert occupation_group("4") is None
    assert occupation_group(None) is None
    assert binary_gain("4-02-07-08", ["4-02-07-08"]) == 1.0
    assert binary_gain("4-02-07-09", ["4-02-07-08"]) == 0.0
    assert binary_gain(None, ["4-02-07-08"]) == 0.0
    # graded: same code 1, same 2-level group 0.5 (4-02 = transport/logistics), else 0
    assert graded_gain("6-18-02-04", ["6-18-02-04"]) == 1.0
    assert graded_gain("6-18-01-01", ["6-18-02-04"]) == 0.5
    assert graded_gain("6-31-01-03", ["6-18-02-04"]) == 0.0
    assert graded_gain("4-02-06-01", ["6-18-02-04", "4-02-06-02"]) == 0.5
    assert graded_gain(None, ["6-18-02-04"]) == 0.0


def test_dcg_and_ndcg_known_values():
    assert dcg_at_k([1, 0, 1], 3) == pytest.approx(1 + 1 / math.log2(4))
    # the example from the brief: ideal is the list's own gains sorted, [1, 1, 0]
    assert ndcg_at_k([1, 0, 1], 3) == pytest.approx((1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3)))
    assert ndcg_at_k([1, 1, 0], 3) == pytest.approx(1.0)
    assert ndcg_at_k([0, 0, 0], 3, ideal=[0, 0]) != ndcg_at_k([0, 0, 0], 3, ideal=[0, 0])  # nan
    # ideal from the corpus: 3 relevant items exist, only one retrieved at rank 2
    got = ndcg_at_k([0, 1, 0], 3, ideal=[1, 1, 1, 0, 0])
    assert got == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3) + 1 / math.log2(4)))
    # cut at k: an item below k does not count
    assert ndcg_at_k([0, 0, 1], 2, ideal=[1]) == 0.0
    # graded gains count linearly
    g = [0.5, 1.0]
    assert ndcg_at_k(g, 2, ideal=[1.0, 0.5, 0.5]) == pytest.approx(
        (0.5 + 1 / math.log2(3)) / (1 + 0.5 / math.log2(3))
    )
    with pytest.raises(ValueError):
        dcg_at_k([1], 0)


def test_recall_at_k():
    assert recall_at_k([1, 0, 1, 1], n_relevant=4, k=3) == pytest.approx(0.5)
    assert recall_at_k([1, 0, 1, 1], n_relevant=3, k=10) == pytest.approx(1.0)
    assert recall_at_k([True, False], n_relevant=1, k=1) == 1.0
    assert math.isnan(recall_at_k([0, 0], n_relevant=0, k=2))


def test_reciprocal_rank_and_mrr():
    assert reciprocal_rank([0, 0, 1]) == pytest.approx(1 / 3)
    assert reciprocal_rank([0, 0, 1], k=2) == 0.0
    assert reciprocal_rank([]) == 0.0
    assert mrr([[0, 1, 0], [1, 0, 0], [0, 0, 0]]) == pytest.approx(0.5)
    assert mrr([[0.5, 1.0]]) == 1.0  # any positive gain counts as the first hit
    assert math.isnan(mrr([]))


def test_mean_skips_undefined():
    assert mean([1.0, float("nan"), 0.0, None]) == 0.5
    assert math.isnan(mean([float("nan")]))


def test_coverage():
    lists = [["a", "b"], ["b", "c"], []]
    assert coverage(lists, 10) == pytest.approx(0.3)
    assert coverage(lists, ["a", "b", "c", "d"]) == pytest.approx(0.75)
    # ids outside the given corpus are ignored
    assert coverage([["a", "zz"]], ["a", "b"]) == pytest.approx(0.5)
    assert math.isnan(coverage(lists, 0))


def test_gini_known_values():
    assert gini([3, 3, 3, 3]) == 0.0
    for n in (2, 5, 10):
        one_hot = np.zeros(n)
        one_hot[n // 2] = 4
        assert gini(one_hot) == pytest.approx((n - 1) / n)
    # [1, 2, 3]: sum |xi - xj| over ordered pairs = 8; 8 / (2 * 9 * 2) = 2/9
    assert gini([3, 1, 2]) == pytest.approx(2 / 9)
    assert gini([]) == 0.0
    assert gini([0, 0]) == 0.0
    with pytest.raises(ValueError):
        gini([1, -1])


def test_share_inside_circle():
    seekers = [
        [{"inside_circle": True}, {"inside_circle": False}, {"inside_circle": True}, {"inside_circle": True}],
        [{"inside_circle": False}],
        [],
    ]
    # seeker 1: 3/4, seeker 2: 0/1, seeker 3 skipped
    assert share_inside_circle(seekers, k=10) == pytest.approx((0.75 + 0.0) / 2)
    # only the top k count
    assert share_inside_circle(seekers[:1], k=2) == pytest.approx(0.5)
    assert math.isnan(share_inside_circle([[]]))


def test_priority_rank_lift():
    assert priority_rank_lift([1, 3], [4, 3]) == pytest.approx(1.5)
    # a seeker pushed out of the list without the boost: skipped, or counted at missing_rank
    assert priority_rank_lift([2, 5], [None, 6]) == pytest.approx(1.0)
    assert priority_rank_lift([2, 5], [None, 6], missing_rank=11) == pytest.approx((9 + 1) / 2)
    assert priority_rank_lift([4], [2]) == pytest.approx(-2.0)
    assert math.isnan(priority_rank_lift([None], [None]))
    with pytest.raises(ValueError):
        priority_rank_lift([1], [1, 2])
