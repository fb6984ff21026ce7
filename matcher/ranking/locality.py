"""Locality: the "15-minute circle in cities, 5-km circle in villages" (DESIGN.md section 3).

Pure, vectorised over candidates. An urban seeker's circle is measured in minutes of travel
(distance × detour factor ÷ mode speed); a rural seeker's in kilometres. Inside the circle the
score is 1; outside it decays smoothly (halving every ``half_life`` circles of excess), unless the
seeker asked for a hard limit, in which case the filter excludes those jobs instead. Positions only
known to a county or city centre are capped below an exact one; an unknown position gets a low
fixed score and is ranked after located ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from matcher.features.geo import TRAVEL_SPEED_KMH, haversine_km
from matcher.ranking.config import LocalityConfig

# Position precision codes stored in the feature tables.
UNKNOWN, CITY, COUNTY, TOWNSHIP, EXACT = 0, 1, 2, 3, 4
PRECISION_CODES = {"unknown": UNKNOWN, "city": CITY, "county": COUNTY, "township": TOWNSHIP, "exact": EXACT}


@dataclass(frozen=True)
class Circle:
    """One seeker's circle: ``limit`` in minutes (urban) or km (rural)."""

    urban: bool
    limit: float
    mode: str
    hard: bool = False

    @property
    def unit_zh(self) -> str:
        return "分钟" if self.urban else "公里"

    def radius_km(self, detour: float) -> float:
        """The circle as a straight-line radius in km (for spatial candidate search)."""
        if not self.urban:
            return self.limit
        return self.limit / 60.0 * TRAVEL_SPEED_KMH[self.mode] / detour


def seeker_circle(
    area_type: str | None,
    max_commute_minutes: float | None,
    max_distance_km: float | None,
    travel_mode: str | None,
    willing_to_relocate: bool,
    hard_limit: bool,
    cfg: LocalityConfig,
    station_urban_minutes: float | None = None,
    station_rural_km: float | None = None,
) -> Circle:
    """The circle for a seeker: their own bounds win, then their station's, then the defaults."""
    urban = area_type != "rural"
    if urban:
        limit = max_commute_minutes or station_urban_minutes or cfg.urban_circle_minutes
        if max_commute_minutes is None and max_distance_km:
            urban, limit = False, max_distance_km
    else:
        limit = max_distance_km or station_rural_km or cfg.rural_circle_km
        if max_distance_km is None and max_commute_minutes:
            urban, limit = True, max_commute_minutes
    if willing_to_relocate:
        limit *= cfg.relocate_widen
    mode = travel_mode or (cfg.urban_mode if urban else "ebike")
    return Circle(urban=urban, limit=float(limit), mode=mode, hard=bool(hard_limit))


def distances(lat: float, lng: float, lats: np.ndarray, lngs: np.ndarray) -> np.ndarray:
    """Great-circle km from one point to many (NaN where either side is unknown)."""
    if lat is None or lng is None or (isinstance(lat, float) and math.isnan(lat)):
        return np.full(len(lats), np.nan)
    return np.asarray(haversine_km(lat, lng, lats, lngs), dtype=np.float64)


def locality_scores(
    km: np.ndarray,
    precision: np.ndarray,
    other_precision: np.ndarray | int,
    limit: np.ndarray | float,
    urban: np.ndarray | bool,
    speed_kmh: np.ndarray | float,
    cfg: LocalityConfig,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Score each candidate's distance against a circle (one circle, or one per candidate).

    ``limit`` is minutes where ``urban`` else km. Returns (score in [0, 1], measure in the
    circle's unit (NaN if unknown), inside-circle flag)."""
    km = np.asarray(km, dtype=np.float64)
    minutes = km * cfg.detour_factor / np.asarray(speed_kmh, dtype=np.float64) * 60.0
    measure = np.where(urban, minutes, km)
    limit = np.asarray(limit, dtype=np.float64)
    excess = np.maximum(measure - limit, 0.0) / (limit * cfg.decay_half_life)
    score = np.power(0.5, excess)
    inside = measure <= limit
    # Coarse positions cannot earn the best score: cap by the coarser side's precision.
    coarse = np.minimum(precision, other_precision)
    score = np.where(coarse <= CITY, np.minimum(score, cfg.city_precision_cap), score)
    score = np.where(coarse == COUNTY, np.minimum(score, cfg.county_precision_cap), score)
    unknown = np.isnan(measure) | (coarse == UNKNOWN)
    score = np.where(unknown, cfg.unknown_score, score)
    inside = inside & ~unknown
    return score, np.where(unknown, np.nan, measure), inside
