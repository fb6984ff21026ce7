"""零工市场: the same-day gig board of a station.

A gig is a job with ``employment_type = gig`` and a ``shift_date`` (with ``shift_start``/``shift_end``
and pay per day or per hour). Its posting closes when its day is over: the record's ``expires_at``
is the shift date (set on validation), so matching never offers a past day's gig, and the board of a
past day is empty. The board of a station for a day lists

* **gigs**: open gigs of that day, ranked by reach from the station (inside its service circle,
  within twice the circle, beyond), then by start time, then by distance;
* **people**: seekers not employed who said they are available that day (``available_days``: a
  weekday or the date), registered at the station or living within twice its circle; assistance
  targets first, then by reach and distance.

The circle is the station's own (``urban_circle_minutes``/``rural_circle_km``) or the coverage
defaults (15 minutes on foot in cities, 5 km in villages; :mod:`matcher.coverage`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from matcher.coverage import CircleConfig
from matcher.errors import NotFoundError
from matcher.features.geo import haversine_km
from matcher.records import available_on

TIERS = ("inside_circle", "within_reach", "beyond_reach")
TIER_ZH = {"inside_circle": "服务圈内", "within_reach": "可到达", "beyond_reach": "较远"}


def station_radius_km(station: dict[str, Any], gaz, cfg: CircleConfig) -> float:
    area = gaz.area_type(station["region_code"]) if station.get("region_code") else "urban"
    if station.get("kind") in ("village", "relocation_site"):
        area = "rural"
    if area == "rural":
        return float(station.get("rural_circle_km") or cfg.rural_km)
    return cfg.urban_radius_km(station.get("urban_circle_minutes"))


def _tier(km: float | None, radius: float) -> str:
    if km is None:
        return "beyond_reach"
    if km <= radius:
        return "inside_circle"
    return "within_reach" if km <= 2 * radius else "beyond_reach"


def _km(a: dict[str, Any], lat: float | None, lng: float | None) -> float | None:
    if lat is None or a.get("lat") is None or a.get("lng") is None:
        return None
    return round(float(haversine_km(lat, lng, a["lat"], a["lng"])), 2)


def is_offered(job: dict[str, Any], day: date, today: date) -> bool:
    """An open gig of ``day`` that is not over (``day`` is not before ``today``)."""
    return (job.get("employment_type") == "gig" and job.get("status", "open") == "open"
            and job.get("shift_date") == day.isoformat() and day >= today)


def gig_board(engine, station_id: str, day: date | None = None, *, today: date | None = None,
              limit: int = 100) -> dict[str, Any]:
    today = today or date.today()
    day = day or today
    station = engine.store.get_dicts("station", [station_id]).get(station_id)
    if station is None:
        raise NotFoundError("station", station_id)
    cfg = CircleConfig.from_settings(engine.settings)
    radius = station_radius_km(station, engine.ctx.gazetteer, cfg)
    lat, lng = station.get("lat"), station.get("lng")
    county = (station.get("region_code") or "")[:6]

    gigs = []
    for j in engine.store.iter_dicts("job", status="open"):
        if not is_offered(j, day, today):
            continue
        km = _km(j, lat, lng)
        if km is None and not (j.get("region_code") or "").startswith(county or "-"):
            continue
        tier = _tier(km, radius)
        gigs.append({"id": j["id"], "title": j["title"], "employer_name": j.get("employer_name"),
                     "shift_date": j["shift_date"], "shift_start": j.get("shift_start"), "shift_end": j.get("shift_end"),
                     "pay_per_day": j.get("pay_per_day"), "pay_per_hour": j.get("pay_per_hour"),
                     "headcount": j.get("headcount", 1), "address": j.get("address"), "distance_km": km,
                     "reach": tier, "reach_zh": TIER_ZH[tier]})
    gigs.sort(key=lambda g: (TIERS.index(g["reach"]), g["shift_start"] or "99:99",
                             g["distance_km"] if g["distance_km"] is not None else 1e9, g["id"]))

    people = []
    if day >= today:
        for s in engine.store.iter_dicts("seeker"):
            if s.get("status") == "employed" or not available_on(s.get("available_days"), day):
                continue
            km = _km(s, lat, lng)
            tier = _tier(km, radius)
            if s.get("station_id") != station_id and tier == "beyond_reach":
                continue
            people.append({"id": s["id"], "name": s.get("name"), "priority": bool(s.get("priority_groups")),
                           "skills": s.get("skills") or [], "distance_km": km, "reach": tier, "reach_zh": TIER_ZH[tier]})
        people.sort(key=lambda p: (not p["priority"], TIERS.index(p["reach"]),
                                   p["distance_km"] if p["distance_km"] is not None else 1e9, p["id"]))
    return {
        "station": {"id": station["id"], "name": station.get("name"), "kind": station.get("kind")},
        "date": day.isoformat(),
        "closed": day < today,
        "radius_km": round(radius, 3),
        "gigs": gigs[:limit],
        "people": people[:limit],
    }
