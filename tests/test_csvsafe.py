"""Formula neutralisation of CSV cells, the employer's distance bands and the rate limiter's bucket."""

from __future__ import annotations

import pytest

from api.employer_view import distance_band, snap
from api.ratelimit import RateLimited, RateLimiter
from matcher.csvsafe import safe_cell, safe_row


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+86 138", "'+86 138"), ("-cmd", "'-cmd"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=x", "'\t=x"), ("  =x", "'  =x"), ("＝HYPERLINK()", "'＝HYPERLINK()"),
    ("-5", "-5"), ("-3.5", "-3.5"), ("保洁员", "保洁员"), ("", ""), (None, None), (4500, 4500)])
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_safe_row_keeps_order():
    assert safe_row(["a", "=b", 3]) == ["a", "'=b", 3]


@pytest.mark.parametrize("km, band", [(0.0, "3公里内"), (3.0, "3公里内"), (3.01, "3–10公里"), (10.0, "3–10公里"),
                                      (24.9, "10–25公里"), (80.0, "25公里以上"), (None, "距离未知"),
                                      (float("nan"), "距离未知")])
def test_distance_band(km, band):
    assert distance_band(km) == band


def test_snap_to_the_grid():
    assert snap(38.041) == snap(38.049) == 38.05 and snap(None) is None


def test_token_bucket():
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0])
    for _ in range(3):
        limiter.take(("a", "r"), per_second=1.0, burst=3)
    with pytest.raises(RateLimited) as e:
        limiter.take(("a", "r"), per_second=1.0, burst=3)
    assert e.value.retry_after == 1
    limiter.take(("b", "r"), per_second=1.0, burst=3)  # another account has its own bucket
    now[0] = 1.0
    limiter.take(("a", "r"), per_second=1.0, burst=3)
    limiter.take(("a", "r"), per_second=0, burst=1)  # 0: no limit
