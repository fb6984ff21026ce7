"""Service-circle coverage of the station network (DESIGN.md §3 note and §8 "Network").

Definitions (docs/matching.md, "Coverage"):

* **Service circle.** A station serves the people who can reach it: in cities (urban places)
  within ``walk_minutes`` on foot (default 15), in villages (rural places) within ``rural_km``
  (default 5 km). Fifteen minutes on foot is a straight-line radius of
  ``minutes / 60 × walk_kmh / detour`` = 15/60 × 4.5 / 1.3 ≈ 0.87 km: walking speed 4.5 km/h and
  walking routes 1.3 times the straight line. A station's own ``urban_circle_minutes`` /
  ``rural_circle_km`` replace the defaults for its circle. Urban or rural is the *person's* place
  (their own ``area_type`` or their township's class from the gazetteer).
* **Covered.** A registered person (a seeker record, whatever their status) whose position is
  known exactly is covered when some station with a known position has them inside its circle.
  People whose position is known only to a county or city are counted as ``unlocated`` and left
  out of the shares (no honest answer is possible for them).
* **Villages.** A village (a 12-digit code on the village list, or carried by residents) is covered
  when its centre is inside some station's rural circle; its centre is the list's coordinates or
  else the mean position of its located residents.
* **Suggested sites.** Greedy maximum coverage: candidate points are the centres of villages and
  townships (the mean position of their located residents where the list has no coordinates) and
  the county seats of the area; at each step the candidate that would newly cover the most
  uncovered people (assistance targets breaking ties) is taken, until ``sites`` are chosen or no
  candidate gains anyone. Greedy is within 1 − 1/e of the best choice of that many sites.

:func:`compute_coverage` is pure (numpy arrays in, a dict out); :func:`area_coverage` reads the
store and the gazetteer.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from matcher.features.geo import haversine_km, km_for_minutes
from matcher.villages import village_code


@dataclass(frozen=True)
class CircleConfig:
    walk_minutes: float = 15.0
    walk_kmh: float = 4.5
    detour: float = 1.3
    rural_km: float = 5.0

    def urban_radius_km(self, minutes: float | None = None) -> float:
        return float(km_for_minutes(minutes or self.walk_minutes, self.walk_kmh, self.detour))

    @classmethod
    def from_settings(cls, s) -> CircleConfig:
        return cls(s.coverage_walk_minutes, s.coverage_walk_kmh, s.coverage_detour, s.coverage_rural_km)


@dataclass
class People:
    """Located people: positions, urban flag, assistance-target flag, village/township codes."""

    ids: list[str]
    lat: np.ndarray
    lng: np.ndarray
    urban: np.ndarray
    priority: np.ndarray
    place: list[str | None]  # 12-digit village code, else 9-digit township code, else None


@dataclass
class Stations:
    ids: list[str]
    lat: np.ndarray
    lng: np.ndarray
    urban_km: np.ndarray  # circle radius for an urban person, km
    rural_km: np.ndarray  # for a rural person


def covered_by(people: People, stations: Stations, chunk: int = 4096) -> np.ndarray:
    """For each person, the index of the nearest station whose circle holds them, or -1."""
    out = np.full(len(people.ids), -1, dtype=np.int64)
    if not len(stations.ids) or not len(people.ids):
        return out
    for i in range(0, len(people.ids), chunk):
        sl = slice(i, i + chunk)
        d = haversine_km(people.lat[sl, None], people.lng[sl, None], stations.lat[None, :], stations.lng[None, :])
        radius = np.where(people.urban[sl, None], stations.urban_km[None, :], stations.rural_km[None, :])
        inside = d <= radius
        d = np.where(inside, d, np.inf)
        best = np.argmin(d, axis=1)
        out[sl] = np.where(inside.any(axis=1), best, -1)
    return out


def greedy_sites(people: People, uncovered: np.ndarray, cand_lat: np.ndarray, cand_lng: np.ndarray,
                 cfg: CircleConfig, k: int) -> list[tuple[int, int, int]]:
    """Greedy maximum coverage: up to ``k`` (candidate index, newly covered, of them targets)."""
    idx = np.flatnonzero(uncovered)
    if not len(idx) or not len(cand_lat) or k <= 0:
        return []
    d = haversine_km(cand_lat[:, None], cand_lng[:, None], people.lat[None, idx], people.lng[None, idx])
    radius = np.where(people.urban[idx], cfg.urban_radius_km(), cfg.rural_km)
    reach = d <= radius[None, :]
    left = np.ones(len(idx), dtype=bool)
    prio = people.priority[idx]
    out: list[tuple[int, int, int]] = []
    for _ in range(k):
        gain = (reach & left).sum(axis=1)
        gain_p = (reach & left & prio).sum(axis=1)
        best = int(np.lexsort((-np.arange(len(gain)), gain_p, gain))[-1])  # most, then targets, then first
        if gain[best] <= 0:
            break
        out.append((best, int(gain[best]), int(gain_p[best])))
        left &= ~reach[best]
    return out


def compute_coverage(people: People, stations: Stations, candidates: list[dict[str, Any]],
                     villages: dict[str, dict[str, Any]], cfg: CircleConfig, sites: int) -> dict[str, Any]:
    """The coverage report of located ``people`` (see the module docstring).

    ``candidates``: ``{"lat", "lng", "kind", "code", "name"}`` points for new stations;
    ``villages``: code -> ``{"name", "lat", "lng"}`` (centre, None when unknown)."""
    station_of = covered_by(people, stations)
    cov = station_of >= 0
    n, n_p = len(people.ids), int(people.priority.sum())

    # villages: centre inside some station's rural circle
    by_village: dict[str, list[int]] = defaultdict(list)
    for i, place in enumerate(people.place):
        if place and len(place) == 12:
            by_village[place].append(i)
    village_rows = []
    for code in sorted(set(villages) | set(by_village)):
        info = villages.get(code, {})
        lat, lng = info.get("lat"), info.get("lng")
        members = by_village.get(code, [])
        if (lat is None or lng is None) and members:
            lat, lng = float(people.lat[members].mean()), float(people.lng[members].mean())
        covered = None
        if lat is not None and len(stations.ids):
            d = haversine_km(lat, lng, stations.lat, stations.lng)
            covered = bool((d <= stations.rural_km).any())
        elif lat is not None:
            covered = False
        village_rows.append({"code": code, "name": info.get("name"), "lat": lat, "lng": lng, "covered": covered,
                             "people": len(members), "uncovered_people": int((~cov[members]).sum()) if members else 0})

    chosen = greedy_sites(people, ~cov, np.array([c["lat"] for c in candidates], dtype=float),
                          np.array([c["lng"] for c in candidates], dtype=float), cfg, sites)
    suggested = [{**candidates[i], "newly_covered": g, "newly_covered_priority": gp} for i, g, gp in chosen]

    def share(a: int, b: int) -> float | None:
        return round(a / b, 4) if b else None

    return {
        "people": n,
        "covered": int(cov.sum()),
        "share": share(int(cov.sum()), n),
        "priority_people": n_p,
        "priority_covered": int((cov & people.priority).sum()),
        "priority_share": share(int((cov & people.priority).sum()), n_p),
        "uncovered_people": [
            {"id": people.ids[i], "lat": float(people.lat[i]), "lng": float(people.lng[i]),
             "urban": bool(people.urban[i]), "priority": bool(people.priority[i]), "place": people.place[i]}
            for i in np.flatnonzero(~cov).tolist()],
        "villages": village_rows,
        "uncovered_villages": [v["code"] for v in village_rows if v["covered"] is False],
        "suggested_sites": suggested,
    }


# -- reading the store ------------------------------------------------------------------------------
def _station_arrays(stations: list[dict[str, Any]], cfg: CircleConfig) -> Stations:
    rows = [s for s in stations if s.get("lat") is not None and s.get("lng") is not None]
    return Stations(
        ids=[s["id"] for s in rows],
        lat=np.array([s["lat"] for s in rows], dtype=float),
        lng=np.array([s["lng"] for s in rows], dtype=float),
        urban_km=np.array([cfg.urban_radius_km(s.get("urban_circle_minutes")) for s in rows], dtype=float),
        rural_km=np.array([s.get("rural_circle_km") or cfg.rural_km for s in rows], dtype=float),
    )


def area_coverage(engine, region_code: str | None, *, sites: int | None = None,
                  cfg: CircleConfig | None = None) -> dict[str, Any]:
    """The coverage report of an area (a region-code prefix; None: the whole province)."""
    settings = engine.settings
    cfg = cfg or CircleConfig.from_settings(settings)
    sites = settings.coverage_sites if sites is None else sites
    gaz = engine.ctx.gazetteer
    prefix = region_code or ""
    where = {"region_prefix": region_code} if region_code else {}

    ids, lat, lng, urban, prio, place = [], [], [], [], [], []
    unlocated = unlocated_priority = 0
    for s in engine.store.iter_dicts("seeker", **where):
        pos = gaz.locate(s.get("lat"), s.get("lng"), s.get("region_code"), s.get("area_type"))
        if pos.precision != "exact":
            unlocated += 1
            unlocated_priority += bool(s.get("priority_groups"))
            continue
        code = s.get("region_code") or ""
        ids.append(s["id"])
        lat.append(pos.lat)
        lng.append(pos.lng)
        urban.append(pos.area_type != "rural")
        prio.append(bool(s.get("priority_groups")))
        place.append(village_code(code) or (code[:9] if len(code) >= 9 and code[6:9] != "000" else None))
    people = People(ids, np.array(lat, dtype=float), np.array(lng, dtype=float), np.array(urban, dtype=bool),
                    np.array(prio, dtype=bool), place)

    all_stations = list(engine.store.iter_dicts("station"))
    stations = _station_arrays(all_stations, cfg)  # a neighbour area's station covers people too
    in_area = [s for s in all_stations if (s.get("region_code") or "").startswith(prefix)]

    villages = {v.code: {"name": v.name, "lat": v.lat, "lng": v.lng} for v in engine.villages.within(prefix)}
    candidates = _candidates(people, villages, gaz, prefix)
    out = compute_coverage(people, stations, candidates, villages, cfg, sites)
    for v in out["villages"]:
        if v["name"] is None:
            v["name"] = _place_name(gaz, v["code"][:9])
    out.update({
        "region_code": region_code,
        "circle": {"urban_walk_minutes": cfg.walk_minutes, "walk_kmh": cfg.walk_kmh, "detour": cfg.detour,
                   "urban_radius_km": round(cfg.urban_radius_km(), 3), "rural_km": cfg.rural_km},
        "unlocated_people": unlocated,
        "unlocated_priority_people": unlocated_priority,
        "stations": [
            {"id": s["id"], "name": s.get("name"), "kind": s.get("kind"), "region_code": s.get("region_code"),
             "lat": s.get("lat"), "lng": s.get("lng"), "demonstration": bool(s.get("demonstration")),
             "urban_radius_km": round(cfg.urban_radius_km(s.get("urban_circle_minutes")), 3),
             "rural_radius_km": s.get("rural_circle_km") or cfg.rural_km}
            for s in in_area],
        "stations_without_position": [s["id"] for s in in_area if s.get("lat") is None],
        "demonstration_by_county": demonstration_by_county(in_area, gaz),
    })
    return out


def demonstration_by_county(stations: list[dict[str, Any]], gaz) -> list[dict[str, Any]]:
    """Stations and demonstration stations (示范站) per county (policy: 2–3 per county)."""
    total, demo = defaultdict(int), defaultdict(int)
    for s in stations:
        county = (s.get("region_code") or "")[:6]
        if len(county) == 6:
            total[county] += 1
            demo[county] += bool(s.get("demonstration"))
    return [{"county": c, "name": _place_name(gaz, c), "stations": total[c], "demonstration": demo[c]}
            for c in sorted(total)]


def _place_name(gaz, code: str) -> str | None:
    place = gaz.get(code) if hasattr(gaz, "get") else None
    return getattr(place, "full_name", None)


def _candidates(people: People, villages: dict[str, dict[str, Any]], gaz, prefix: str) -> list[dict[str, Any]]:
    """Candidate sites: village and township centres, county seats (see the module docstring)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, place in enumerate(people.place):
        if place:
            groups[place].append(i)
            if len(place) == 12:
                groups[place[:9]].append(i)
    out: list[dict[str, Any]] = []
    for code in sorted(set(groups) | set(villages)):
        info = villages.get(code, {})
        lat, lng = info.get("lat"), info.get("lng")
        if lat is None and groups.get(code):
            lat, lng = float(people.lat[groups[code]].mean()), float(people.lng[groups[code]].mean())
        if lat is None:
            continue
        kind = "village" if len(code) == 12 else "township"
        name = info.get("name") or _place_name(gaz, code)
        out.append({"kind": kind, "code": code, "name": name, "lat": round(lat, 5), "lng": round(lng, 5)})
    for place in gaz.places:
        if place.level == "county" and place.code.startswith(prefix[:6]) and place.has_coords:
            out.append({"kind": "county_seat", "code": place.code, "name": place.full_name,
                        "lat": place.lat, "lng": place.lng})
    return out
