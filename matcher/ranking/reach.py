"""Locality and reach: the one place where "can this person get there?" is decided (DESIGN.md §3).

* **Circles.** A seeker's *service circle* is 15 minutes of travel in a city and 5 km in a village
  (a station may set its own bounds; ``LocalityConfig`` holds the defaults). Their *reach* is their
  own ``max_commute_minutes`` / ``max_distance_km`` or, when they gave none, ``reach_factor`` times
  the circle. A seeker willing to relocate has both widened by ``relocate_widen``. Circles are
  computed here from the raw record columns (:func:`circles`), every time they are needed, so a
  changed :class:`~matcher.ranking.config.LocalityConfig` changes them at once.
* **Travel time** is ``matcher.features.geo.minutes_for_km`` (distance × detour ÷ mode speed), the
  one formula; an urban circle is measured in minutes, a rural one in km.
* **Tiers.** Every pair is in one reach tier: ``inside_circle``, ``within_reach``, ``cooperation``
  or ``beyond_reach``. The ranking orders tiers first (:func:`tier_order`): reachable items, then
  cooperation (jobs of a paired region), then beyond-reach items (nearer than ``migrate_km`` first),
  then items with no usable location. Scores and boosts reorder only inside a tier.
* **Locality score** (:func:`reach_signal`): 1 inside the circle, halving every ``decay_half_life``
  circles of excess; capped for positions known only to a county or city centre; a low fixed score
  when a side has no usable position.

Cooperation hook: :func:`reach_signal` takes ``paired``, a boolean per candidate that is true where
the candidate's region is paired with the seeker's (a 劳务协作 programme). Such a pair beyond reach
is in the ``cooperation`` tier, listed after reachable items and before other beyond-reach ones.
Nothing sets it yet (``None``: no pairs); the engine passes it once paired regions are stored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.features.geo import TRAVEL_SPEED_KMH, haversine_km, km_for_minutes, minutes_for_km
from matcher.ranking.config import LocalityConfig

# Position precision codes stored in the feature tables.
UNKNOWN, CITY, COUNTY, TOWNSHIP, EXACT = 0, 1, 2, 3, 4
PRECISION_CODES = {"unknown": UNKNOWN, "city": CITY, "county": COUNTY, "township": TOWNSHIP, "exact": EXACT}

#: Travel modes as stored in the feature tables (-1: the seeker gave none).
TRAVEL_MODES = ("walk", "ebike", "bus", "car")
MODE_CODES = {m: i for i, m in enumerate(TRAVEL_MODES)}
_SPEEDS = np.array([TRAVEL_SPEED_KMH[m] for m in TRAVEL_MODES])

#: Reach tiers, as codes (the order they are listed in) and as the names ``breakdown.reach`` shows.
INSIDE_CIRCLE, WITHIN_REACH, COOPERATION, BEYOND_REACH = 0, 1, 2, 3
TIER_NAMES = ("inside_circle", "within_reach", "cooperation", "beyond_reach")


@dataclass(frozen=True)
class Circles:
    """The circles of one or many seekers (arrays of equal length; one seeker: length 1).

    ``urban``: limits are minutes of travel (else km). ``circle``: the service circle; ``reach``:
    how far the seeker will go (both in the unit of ``urban``). ``speed``: km/h of the travel mode.
    ``hard``: nothing beyond reach may be offered. ``relocate``: willing to move (bounds widened)."""

    urban: np.ndarray
    circle: np.ndarray
    reach: np.ndarray
    speed: np.ndarray
    mode: np.ndarray
    hard: np.ndarray
    relocate: np.ndarray

    def __len__(self) -> int:
        return len(self.circle)

    def take(self, idx) -> Circles:
        """Rows ``idx`` (a single seeker's circles broadcast: returned as they are)."""
        if len(self) == 1:
            return self
        return Circles(*(getattr(self, f)[idx] for f in _FIELDS))

    def km(self, limit: np.ndarray, detour: float) -> np.ndarray:
        """A limit in this circle's unit as straight-line km (for spatial candidate search)."""
        return np.where(self.urban, km_for_minutes(limit, self.speed, detour), limit)

    def describe(self, i: int = 0) -> str:
        """The circle as staff say it: "15分钟" or "5公里"."""
        return f"{float(self.circle[i]):g}{'分钟' if self.urban[i] else '公里'}"


_FIELDS = ("urban", "circle", "reach", "speed", "mode", "hard", "relocate")


def circles(
    rural: np.ndarray,
    own_minutes: np.ndarray,
    own_km: np.ndarray,
    mode: np.ndarray,
    relocate: np.ndarray,
    hard: np.ndarray,
    station_minutes: np.ndarray,
    station_km: np.ndarray,
    cfg: LocalityConfig,
) -> Circles:
    """Circles from raw seeker columns (vectorised; NaN / -1 = not given).

    The unit follows the area (minutes in a city, km in a village) unless the seeker gave a bound
    only in the other unit. The circle is the station's bound, else the default, converted to the
    unit; the reach is the seeker's own bound, else ``reach_factor × circle``; a seeker whose own
    bound is below the circle has the circle shrunk to it."""
    rural = np.asarray(rural, dtype=bool)
    own_minutes = np.asarray(own_minutes, dtype=np.float64)
    own_km = np.asarray(own_km, dtype=np.float64)
    mode = np.asarray(mode, dtype=np.int64)
    urban = np.where(rural, ~np.isnan(own_minutes) & np.isnan(own_km), ~(np.isnan(own_minutes) & ~np.isnan(own_km)))
    default_mode = np.where(urban, MODE_CODES[cfg.urban_mode], MODE_CODES["ebike"])
    mode = np.where(mode >= 0, mode, default_mode)
    speed = _SPEEDS[mode]
    st_min = np.asarray(station_minutes, dtype=np.float64)
    st_km = np.asarray(station_km, dtype=np.float64)
    urban_circle = np.where(np.isnan(st_min), cfg.urban_circle_minutes, st_min)
    rural_circle = np.where(np.isnan(st_km), cfg.rural_circle_km, st_km)
    # the area's own circle, in the unit the seeker is measured in
    circle = np.where(urban, np.where(rural, minutes_for_km(rural_circle, speed, cfg.detour_factor), urban_circle),
                      np.where(rural, rural_circle, km_for_minutes(urban_circle, speed, cfg.detour_factor)))
    own = np.where(urban, own_minutes, own_km)
    reach = np.where(np.isnan(own) | (own <= 0), cfg.reach_factor * circle, own)
    circle = np.minimum(circle, reach)
    relocate = np.asarray(relocate, dtype=bool)
    widen = np.where(relocate, cfg.relocate_widen, 1.0)
    return Circles(urban=urban, circle=circle * widen, reach=reach * widen, speed=speed, mode=mode,
                   hard=np.asarray(hard, dtype=bool), relocate=relocate)


def table_circles(t, rows: np.ndarray, cfg: LocalityConfig) -> Circles:
    """The circles of seeker-table rows (:class:`~matcher.features.tables.SeekerTable`)."""
    return circles(t.rural[rows], t.own_minutes[rows], t.own_km[rows], t.mode[rows], t.relocate[rows], t.hard[rows],
                   t.st_minutes[rows], t.st_km[rows], cfg)


def query_circles(q: dict, cfg: LocalityConfig) -> Circles:
    """The circle of one seeker from their feature columns (``tables.seeker_features``)."""
    return circles(*(np.atleast_1d(q[c]) for c in ("rural", "own_minutes", "own_km", "mode", "relocate", "hard",
                                                   "st_minutes", "st_km")), cfg)


def distances(q: dict, table, rows: np.ndarray) -> np.ndarray:
    """Straight-line km from a query's position to each row's (NaN where either is unknown)."""
    lat, lng = q["lat"], q["lng"]
    if lat is None or np.isnan(lat):
        return np.full(len(rows), np.nan)
    return np.asarray(haversine_km(lat, lng, table.lat[rows], table.lng[rows]), dtype=np.float64).reshape(len(rows))


def search_radius_km(c: Circles, cfg: LocalityConfig, precision: int = EXACT) -> float:
    """How far around one seeker the candidate stage looks: ``local_search_factor`` circles, and at
    least half as far again as their reach; at least 15 km when their position is only known to a
    county (or coarser) centre."""
    circle_km = float(c.km(c.circle, cfg.detour_factor)[0])
    reach_km = float(c.km(c.reach, cfg.detour_factor)[0])
    radius = max(circle_km * cfg.local_search_factor, reach_km * 1.5)
    return max(radius, 15.0) if precision <= COUNTY else radius


def job_search_radius_km(precision: int) -> float:
    """How far around a job the candidate stage looks for people (each person's own reach decides
    their tier): 25 km, 40 km when the job's position is only known to a county or city centre."""
    return 25.0 if precision >= TOWNSHIP else 40.0


@dataclass(frozen=True)
class Reach:
    """What :func:`reach_signal` says about each pair."""

    score: np.ndarray  # locality score in [0, 1]
    tier: np.ndarray  # tier codes (INSIDE_CIRCLE ... BEYOND_REACH)
    minutes: np.ndarray  # estimated travel minutes (NaN: unknown)
    located: np.ndarray  # both sides have a usable position
    precision: np.ndarray  # the coarser side's position precision

    def take(self, idx) -> Reach:
        return Reach(self.score[idx], self.tier[idx], self.minutes[idx], self.located[idx], self.precision[idx])


def reach_signal(
    km: np.ndarray,
    precision: np.ndarray,
    other_precision: np.ndarray | int,
    c: Circles,
    cfg: LocalityConfig,
    paired: np.ndarray | None = None,
) -> Reach:
    """Locality score and reach tier of each pair (``km``: straight-line distances, NaN unknown;
    ``c``: the seeker side's circles, one or one per pair; ``paired``: see the module docstring)."""
    km = np.asarray(km, dtype=np.float64)
    minutes = minutes_for_km(km, c.speed, cfg.detour_factor)
    measure = np.where(c.urban, minutes, km)
    excess = np.maximum(measure - c.circle, 0.0) / (c.circle * cfg.decay_half_life)
    score = np.power(0.5, excess)
    coarse = np.minimum(precision, other_precision)
    score = np.where(coarse <= CITY, np.minimum(score, cfg.city_precision_cap), score)
    score = np.where(coarse == COUNTY, np.minimum(score, cfg.county_precision_cap), score)
    unknown = np.isnan(measure) | (coarse == UNKNOWN)
    score = np.where(unknown, cfg.unknown_score, score)
    tier = np.where(measure <= c.circle, INSIDE_CIRCLE, np.where(measure <= c.reach, WITHIN_REACH, BEYOND_REACH))
    tier = np.where(unknown, BEYOND_REACH, tier).astype(np.int8)
    if paired is not None:
        tier = np.where((tier == BEYOND_REACH) & np.asarray(paired, dtype=bool), COOPERATION, tier).astype(np.int8)
    return Reach(score=score, tier=tier, minutes=np.where(unknown, np.nan, minutes), located=~unknown,
                 precision=np.broadcast_to(coarse, km.shape))


def reachable(tier: np.ndarray) -> np.ndarray:
    return tier <= WITHIN_REACH


#: Listing groups (:func:`tier_order`), in order.
GROUP_REACHABLE, GROUP_COOPERATION, GROUP_NEAR, GROUP_FAR, GROUP_UNLOCATED = 0, 1, 2, 3, 4


def tier_order(r: Reach, km: np.ndarray, cfg: LocalityConfig) -> np.ndarray:
    """The listing group of each pair: reachable, cooperation, beyond reach within ``migrate_km``,
    beyond reach further away (外出务工), no usable position. Lists are ordered by group first."""
    far = np.nan_to_num(np.asarray(km, dtype=np.float64), nan=np.inf) > cfg.migrate_km
    group = np.where(reachable(r.tier), GROUP_REACHABLE, np.where(r.tier == COOPERATION, GROUP_COOPERATION,
                                                                 np.where(far, GROUP_FAR, GROUP_NEAR)))
    return np.where(r.located, group, GROUP_UNLOCATED).astype(np.int8)
