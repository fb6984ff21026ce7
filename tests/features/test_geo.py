"""Tests for matcher.features.geo (pure vectorised geo math)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from matcher.features.geo import (
    DETOUR_FACTOR,
    TRAVEL_SPEED_KMH,
    bounding_box,
    haversine_km,
    in_china,
    travel_minutes,
)

BEIJING = (39.9042, 116.4074)
SHIJIAZHUANG = (38.0428, 114.5149)


def test_haversine_known_answer():
    d = haversine_km(*BEIJING, *SHIJIAZHUANG)
    assert isinstance(d, float)
    assert 263 <= d <= 285


def test_haversine_same_point_is_zero():
    assert haversine_km(*BEIJING, *BEIJING) == 0.0


def test_haversine_symmetric_and_one_degree_latitude():
    assert haversine_km(*BEIJING, *SHIJIAZHUANG) == pytest.approx(haversine_km(*SHIJIAZHUANG, *BEIJING))
    assert haversine_km(0, 0, 1, 0) == pytest.approx(111.195, abs=0.01)


def test_haversine_broadcasts():
    lats = np.array([39.9042, 38.0428, 36.6256])
    lngs = np.array([116.4074, 114.5149, 114.5390])
    d = haversine_km(SHIJIAZHUANG[0], SHIJIAZHUANG[1], lats, lngs)
    assert isinstance(d, np.ndarray) and d.shape == (3,)
    assert d[1] == 0.0
    # pairwise matrix via broadcasting
    m = haversine_km(lats[:, None], lngs[:, None], lats[None, :], lngs[None, :])
    assert m.shape == (3, 3)
    np.testing.assert_allclose(np.diag(m), 0.0)
    np.testing.assert_allclose(m, m.T)


def test_haversine_nan_in_nan_out():
    assert math.isnan(haversine_km(float("nan"), 116.4, 38.0, 114.5))
    assert math.isnan(haversine_km(None, 116.4, 38.0, 114.5))
    d = haversine_km(np.array([39.9, np.nan]), np.array([116.4, 116.4]), 38.0, 114.5)
    assert not math.isnan(d[0]) and math.isnan(d[1])


def test_haversine_antipodal_is_finite():
    assert haversine_km(0, 0, 0, 180) == pytest.approx(math.pi * 6371.0088, rel=1e-9)


def test_travel_minutes_known_values():
    assert travel_minutes(4.5, "walk", detour=1.0) == pytest.approx(60.0)
    assert travel_minutes(10, "car") == pytest.approx(10 * DETOUR_FACTOR / 30.0 * 60)
    assert set(TRAVEL_SPEED_KMH) == {"walk", "ebike", "bus", "car"}


def test_travel_minutes_monotonic_and_vectorised():
    d = np.linspace(0, 50, 101)
    for mode in TRAVEL_SPEED_KMH:
        t = travel_minutes(d, mode)
        assert isinstance(t, np.ndarray) and t.shape == d.shape
        assert t[0] == 0.0
        assert np.all(np.diff(t) > 0)
    # faster modes take less time for the same distance
    times = [travel_minutes(10.0, m) for m in ("walk", "ebike", "bus", "car")]
    assert times == sorted(times, reverse=True)


def test_travel_minutes_nan_and_errors():
    assert math.isnan(travel_minutes(float("nan")))
    assert math.isnan(travel_minutes(-1.0))
    t = travel_minutes(np.array([1.0, np.nan]), "bus")
    assert not math.isnan(t[0]) and math.isnan(t[1])
    with pytest.raises(ValueError, match="出行方式"):
        travel_minutes(1.0, "plane")
    with pytest.raises(ValueError):
        travel_minutes(1.0, "walk", detour=0)


def test_bounding_box_contains_circle():
    lat, lng, r = 38.0428, 114.5149, 30.0
    lat_min, lat_max, lng_min, lng_max = bounding_box(lat, lng, r)
    assert lat_min < lat < lat_max and lng_min < lng < lng_max
    # points on the circle in all directions are inside the box
    rng = np.random.default_rng(0)
    bearings = rng.uniform(0, 2 * np.pi, 500)
    dlat = np.degrees(r / 6371.0088) * np.cos(bearings)
    pts_lat = lat + dlat
    pts_lng = lng + np.degrees(r / 6371.0088) * np.sin(bearings) / np.cos(np.radians(pts_lat))
    inside = haversine_km(lat, lng, pts_lat, pts_lng) <= r
    assert np.all(
        (pts_lat[inside] >= lat_min)
        & (pts_lat[inside] <= lat_max)
        & (pts_lng[inside] >= lng_min)
        & (pts_lng[inside] <= lng_max)
    )
    # the box edges are about r away along the axes
    assert haversine_km(lat, lng, lat_max, lng) == pytest.approx(r, rel=1e-6)
    assert haversine_km(lat, lng, lat, lng_max) >= r


def test_bounding_box_vectorised_and_nan():
    lat_min, lat_max, lng_min, lng_max = bounding_box(
        np.array([38.0, np.nan]), np.array([114.5, 114.5]), 10.0
    )
    assert lat_min.shape == (2,)
    assert not np.isnan(lat_min[0]) and np.isnan(lat_min[1]) and np.isnan(lng_max[1])


def test_bounding_box_near_pole():
    lat_min, lat_max, lng_min, lng_max = bounding_box(89.9, 10.0, 50.0)
    assert lat_max == 90.0 and (lng_min, lng_max) == (-180.0, 180.0)


def test_in_china():
    assert in_china(*SHIJIAZHUANG) is True
    assert in_china(*BEIJING) is True
    assert in_china(0.0, 0.0) is False
    assert in_china(114.5, 38.0) is False  # swapped
    assert in_china(float("nan"), 114.5) is False
    assert in_china(None, None) is False
    mask = in_china(np.array([38.0, 0.0, np.nan]), np.array([114.5, 0.0, 114.5]))
    assert mask.tolist() == [True, False, False]
