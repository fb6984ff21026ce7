"""Pure, vectorised geo math for the matching features (no I/O, no data).

Every function accepts Python scalars or numpy arrays (anything
:func:`numpy.asarray` understands, ``None`` is read as NaN) and broadcasts
like numpy does.  Scalar inputs give Python ``float``/``bool`` results, array
inputs give ``numpy.ndarray`` results.  Missing values (NaN) propagate: a NaN
coordinate gives a NaN distance, a NaN distance gives a NaN travel time.

Travel-time model
-----------------
``travel_minutes`` turns a great-circle distance into a rough door-to-door
time: ``distance_km * detour / speed_kmh * 60``.  The straight line is
stretched by :data:`DETOUR_FACTOR` (1.3, a common "circuity" factor for road
networks in Chinese cities and county towns) and divided by a typical
*door-to-door* speed for the mode, which already includes waiting, walking to
the stop, traffic lights and parking, so it is lower than the vehicle's
cruising speed:

========  ========  ====================================================
mode      km/h      meaning
========  ========  ====================================================
walk      4.5       walking
ebike     15.0      electric bicycle / scooter (电动车), the most common
                    commuting vehicle in Hebei county towns
bus       18.0      urban or county bus including access and waiting
car       30.0      private car or taxi in mixed urban traffic
========  ========  ====================================================

These are coarse planning numbers for ranking jobs by commute burden, not a
routing engine.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "CHINA_LAT_RANGE",
    "CHINA_LNG_RANGE",
    "DETOUR_FACTOR",
    "EARTH_RADIUS_KM",
    "KM_PER_DEGREE_LAT",
    "TRAVEL_SPEED_KMH",
    "bounding_box",
    "haversine_km",
    "in_china",
    "km_for_minutes",
    "minutes_for_km",
    "travel_minutes",
]

#: Mean Earth radius (IUGG), in kilometres.
EARTH_RADIUS_KM = 6371.0088
#: Length of one degree of latitude (and of longitude at the equator), km.
KM_PER_DEGREE_LAT = EARTH_RADIUS_KM * math.pi / 180.0

#: Rough urban door-to-door speeds by mode, km/h (see the module docstring).
TRAVEL_SPEED_KMH: dict[str, float] = {"walk": 4.5, "ebike": 15.0, "bus": 18.0, "car": 30.0}
#: Ratio of network distance to straight-line distance.
DETOUR_FACTOR = 1.3

#: Generous bounding box of the People's Republic of China (incl. the South
#: China Sea islands), used to reject obviously wrong coordinates such as
#: (0, 0), swapped lat/lng or projected metres.
CHINA_LAT_RANGE = (3.8, 53.6)
CHINA_LNG_RANGE = (73.5, 135.1)


def _arr(x: Any) -> np.ndarray:
    """Convert to a float64 array; ``None`` (also inside lists) becomes NaN."""
    if x is None:
        return np.asarray(np.nan, dtype=np.float64)
    return np.asarray(x, dtype=np.float64)


def _out(x: np.ndarray) -> Any:
    """Return a Python scalar for 0-d results, the array otherwise."""
    return x.item() if x.ndim == 0 else x


def haversine_km(lat1: Any, lng1: Any, lat2: Any, lng2: Any) -> Any:
    """Great-circle distance in kilometres between points given in degrees.

    Broadcasts over numpy arrays (e.g. one seeker against many jobs); scalars
    give a ``float``.  NaN in any coordinate gives NaN for that pair.
    """
    p1 = np.radians(_arr(lat1))
    p2 = np.radians(_arr(lat2))
    dphi = p2 - p1
    dlmb = np.radians(_arr(lng2)) - np.radians(_arr(lng1))
    a = np.sin(dphi / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2.0) ** 2
    # clip guards against a hair above 1 from rounding (antipodal points)
    d = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return _out(d)


def travel_minutes(distance_km: Any, mode: str = "walk", detour: float = DETOUR_FACTOR) -> Any:
    """Rough door-to-door travel time in minutes for a straight-line distance.

    ``minutes = distance_km * detour / TRAVEL_SPEED_KMH[mode] * 60``.
    Vectorised over ``distance_km``; NaN and negative distances give NaN.
    Monotonically increasing in the distance for a fixed mode.
    """
    if mode not in TRAVEL_SPEED_KMH:
        raise ValueError(
            f"未知的出行方式 {mode!r}，可选：{', '.join(TRAVEL_SPEED_KMH)} / "
            f"unknown travel mode {mode!r}; expected one of {', '.join(TRAVEL_SPEED_KMH)}"
        )
    if not (detour > 0 and math.isfinite(detour)):
        raise ValueError(f"绕行系数必须为正数：{detour!r} / detour factor must be positive: {detour!r}")
    d = _arr(distance_km)
    d = np.where(d < 0, np.nan, d)
    return _out(minutes_for_km(d, TRAVEL_SPEED_KMH[mode], detour))


def minutes_for_km(distance_km: Any, speed_kmh: Any, detour: float = DETOUR_FACTOR) -> Any:
    """The travel-time formula, the one place it is written: straight-line km -> minutes
    (``km * detour / speed * 60``). Vectorised over both arguments; NaN propagates."""
    return np.asarray(distance_km, dtype=np.float64) * detour / np.asarray(speed_kmh, dtype=np.float64) * 60.0


def km_for_minutes(minutes: Any, speed_kmh: Any, detour: float = DETOUR_FACTOR) -> Any:
    """The inverse of :func:`minutes_for_km`: how far (straight line) ``minutes`` of travel reach."""
    return np.asarray(minutes, dtype=np.float64) / 60.0 * np.asarray(speed_kmh, dtype=np.float64) / detour


def bounding_box(lat: Any, lng: Any, radius_km: Any) -> tuple[Any, Any, Any, Any]:
    """Return ``(lat_min, lat_max, lng_min, lng_max)`` enclosing a circle.

    Meant as a cheap prefilter before :func:`haversine_km`: every point within
    ``radius_km`` of ``(lat, lng)`` lies inside the box (the box is slightly
    larger than the circle).  Latitudes are clipped to [-90, 90]; when the
    circle reaches a pole the longitude range becomes [-180, 180].  Longitudes
    are not wrapped at the antimeridian (irrelevant for China).  Vectorised.
    """
    la = _arr(lat)
    lo = _arr(lng)
    r = _arr(radius_km)
    r = np.where(r < 0, np.nan, r)
    dlat = r / KM_PER_DEGREE_LAT
    lat_min = np.clip(la - dlat, -90.0, 90.0)
    lat_max = np.clip(la + dlat, -90.0, 90.0)
    # the widest longitude span of the circle is at the latitude nearest a pole
    cos_edge = np.cos(np.radians(np.maximum(np.abs(lat_min), np.abs(lat_max))))
    reaches_pole = (lat_max >= 90.0) | (lat_min <= -90.0) | (cos_edge <= 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        dlng = np.where(reaches_pole, np.inf, r / (KM_PER_DEGREE_LAT * np.where(reaches_pole, 1.0, cos_edge)))
    lng_min = np.where(reaches_pole & ~np.isnan(dlng), -180.0, lo - dlng)
    lng_max = np.where(reaches_pole & ~np.isnan(dlng), 180.0, lo + dlng)
    return _out(lat_min), _out(lat_max), _out(np.asarray(lng_min)), _out(np.asarray(lng_max))


def in_china(lat: Any, lng: Any) -> Any:
    """True where ``(lat, lng)`` lies inside China's rough bounding box.

    Scalars give a ``bool``, arrays a boolean array.  NaN / None give False.
    """
    la = _arr(lat)
    lo = _arr(lng)
    with np.errstate(invalid="ignore"):
        ok = (
            (la >= CHINA_LAT_RANGE[0])
            & (la <= CHINA_LAT_RANGE[1])
            & (lo >= CHINA_LNG_RANGE[0])
            & (lo <= CHINA_LNG_RANGE[1])
        )
    return bool(ok) if ok.ndim == 0 else ok
