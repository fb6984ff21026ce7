"""GridIndex (numpy, sorted cell keys + a delta of recent changes) against a brute-force reference."""

import math

import numpy as np
import pytest

from matcher.features.geo import haversine_km
from matcher.index.spatial import GridIndex


def reference(points: dict[int, tuple[float, float]], cell: float, lat: float, lng: float, r: float) -> set[int]:
    """The rows whose cell touches the circle's bounding box: what ``within`` promises."""
    dlat = r / 111.0
    dlng = r / (111.0 * max(0.1, math.cos(math.radians(lat))))
    i0, j0 = math.floor((lat - dlat) / cell), math.floor((lng - dlng) / cell)
    i1, j1 = math.floor((lat + dlat) / cell), math.floor((lng + dlng) / cell)
    return {row for row, (a, b) in points.items()
            if i0 <= math.floor(a / cell) <= i1 and j0 <= math.floor(b / cell) <= j1}


def check(grid: GridIndex, points: dict, rng: np.random.Generator, n_queries: int = 40) -> None:
    assert len(grid) == len(points)
    for _ in range(n_queries):
        lat, lng = rng.uniform(36.0, 42.6), rng.uniform(113.5, 119.8)
        r = float(rng.choice([0.5, 3.0, 9.0, 15.0, 60.0]))
        got = grid.within(lat, lng, r)
        assert len(got) == len(set(got.tolist())), "a row returned twice"
        want = reference(points, grid.cell, lat, lng, r)
        assert set(got.tolist()) == want
        rows, la, ln = grid.within_points(lat, lng, r)  # the same rows, with their current positions
        assert sorted(rows.tolist()) == sorted(got.tolist())
        assert all(points[int(x)] == (a, b) for x, a, b in zip(rows, la, ln, strict=True))
        # the superset promise: every row inside the circle is returned
        if points:
            rows = np.fromiter(points, dtype=np.int64)
            pts = np.array([points[i] for i in rows.tolist()])
            inside = rows[haversine_km(lat, lng, pts[:, 0], pts[:, 1]) <= r]
            assert set(inside.tolist()) <= set(got.tolist())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_within_equals_brute_force_through_puts_moves_and_removals(seed):
    rng = np.random.default_rng(seed)
    grid = GridIndex()
    points: dict[int, tuple[float, float]] = {}
    # clustered like a province: a few dense cities and scattered villages
    centres = rng.uniform([36.5, 114.0], [42.0, 119.5], size=(6, 2))
    for row in range(6000):
        c = centres[rng.integers(len(centres))] if rng.random() < 0.7 else rng.uniform([36.0, 113.5], [42.6, 119.8])
        lat, lng = c + rng.normal(0, 0.08, 2) * (rng.random() < 0.7)
        grid.put(row, float(lat), float(lng))
        points[row] = (float(lat), float(lng))
    check(grid, points, rng)  # all of it still in the delta (never sorted)
    grid.within(38.0, 114.5, 5.0)
    check(grid, points, rng)  # sorted base
    for _ in range(3):
        rows = rng.choice(6000, 700, replace=False)
        for row in rows[:20].tolist():  # moved a few metres: same cell, new position
            if row in points:
                lat, lng = points[row][0] + 1e-5, points[row][1]
                grid.put(row, lat, lng)
                points[row] = (lat, lng)
        for row in rows[20:300].tolist():  # moved a few km, or to another city
            lat, lng = points.get(row, (38.0, 114.5))
            lat, lng = lat + rng.normal(0, 0.05), lng + rng.normal(0, 0.05)
            grid.put(row, lat, lng)
            points[row] = (lat, lng)
        for row in rows[300:500].tolist():  # removed
            grid.discard(row)
            points.pop(row, None)
        for row in rows[500:600].tolist():  # NaN coordinates remove too
            grid.put(row, float("nan"), float("nan"))
            points.pop(row, None)
        new = np.arange(6000 + 100 * _, 6000 + 100 * (_ + 1))
        lat, lng = rng.uniform(36.0, 42.6, len(new)), rng.uniform(113.5, 119.8, len(new))
        grid.put_many(new, lat, lng)
        points.update({int(r): (float(a), float(b)) for r, a, b in zip(new, lat, lng, strict=True)})
        check(grid, points, rng)


def test_put_many_matches_put_and_last_repeat_wins():
    rng = np.random.default_rng(5)
    rows = rng.integers(0, 500, 2000)
    lat, lng = rng.uniform(37, 39, 2000), rng.uniform(114, 116, 2000)
    lat[::17] = np.nan
    a, b = GridIndex(), GridIndex()
    a.put_many(rows, lat, lng)
    for r, x, y in zip(rows.tolist(), lat.tolist(), lng.tolist(), strict=True):
        b.put(r, x, y)
    assert len(a) == len(b)
    for q in range(30):
        args = (float(rng.uniform(37, 39)), float(rng.uniform(114, 116)), float(rng.choice([2.0, 20.0])))
        assert sorted(a.within(*args).tolist()) == sorted(b.within(*args).tolist()), q


def test_empty_and_unknown_positions():
    grid = GridIndex()
    assert len(grid.within(38.0, 114.5, 10.0)) == 0
    grid.put(3, 38.0, 114.5)
    assert grid.within(float("nan"), 114.5, 10.0).tolist() == []
    assert grid.within(38.0, 114.5, 1.0).tolist() == [3]
    grid.discard(3)
    grid.discard(99)  # never placed: no error
    assert len(grid) == 0 and grid.within(38.0, 114.5, 1.0).tolist() == []
