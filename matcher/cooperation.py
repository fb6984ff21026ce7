"""对口协作: paired regions (or stations) whose jobs reach each other's seekers in a labelled tier.

A pair (:class:`~matcher.records.Cooperation`) joins ``from_region`` and ``to_region`` (region-code
prefixes; a station pair uses the stations' region codes) for ``kind`` labour export (劳务协作),
urban–rural (城乡协作) or station pair (站点结对), between ``active_from`` and ``active_to``
(inclusive; open-ended when blank). Pairs work both ways: the jobs of either side reach the seekers
of the other. For a seeker who will not relocate, a job of a paired region that lies beyond their
reach is put in the ``cooperation`` tier (``breakdown.reach = "cooperation"``, reason
"对口协作岗位"): after every reachable job and before other beyond-reach ones (DESIGN.md §3).
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from matcher.records import Cooperation

REASON = "对口协作岗位"
KIND_ZH = {"labour_export": "劳务协作", "urban_rural": "城乡协作", "station_pair": "站点结对", "other": "对口协作"}


def sides(pair: dict[str, Any], stations: dict[str, dict[str, Any]]) -> tuple[str | None, str | None]:
    """The pair's two region prefixes (a station side by its station's region code)."""
    def side(region: str | None, station_id: str | None) -> str | None:
        if region:
            return region
        st = stations.get(station_id or "")
        return (st or {}).get("region_code")

    return side(pair.get("from_region"), pair.get("from_station_id")), side(pair.get("to_region"), pair.get("to_station_id"))


def active_pairs(engine, day: date | None = None) -> list[dict[str, Any]]:
    """Pairs active on ``day`` (default today), each with its resolved ``sides``."""
    day = day or date.today()
    pairs = [p for p in engine.network.all("cooperation") if Cooperation.model_validate(p).active_on(day)]
    ids = [i for p in pairs for i in (p.get("from_station_id"), p.get("to_station_id")) if i]
    stations = engine.store.get_dicts("station", ids) if ids else {}
    out = []
    for p in pairs:
        a, b = sides(p, stations)
        if a and b:
            out.append({**p, "sides": (a, b)})
    return out


def paired_prefixes(region_code: str | None, pairs: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """The other sides (region prefixes) paired with ``region_code``, with their pair."""
    if not region_code:
        return []
    out = []
    for p in pairs:
        a, b = p["sides"]
        if region_code.startswith(a):
            out.append((b, p))
        if region_code.startswith(b):
            out.append((a, p))
    return out


def is_paired(seeker_region: str | None, job_region: str | None, pairs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The pair that joins a seeker's region and a job's region, or None."""
    if not job_region:
        return None
    for other, p in paired_prefixes(seeker_region, pairs):
        if job_region.startswith(other):
            return p
    return None


def placements_by_pair(pairs: list[dict[str, Any]], referrals: list[dict[str, Any]],
                       seekers: dict[str, dict[str, Any]], jobs: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Hires (referrals with status ``hired``) whose seeker and job sit on the two sides of a pair."""
    hired: Counter[str] = Counter()
    referred: Counter[str] = Counter()
    for r in referrals:
        s, j = seekers.get(r.get("seeker_id")), jobs.get(r.get("job_id"))
        if not s or not j:
            continue
        day = date.fromisoformat(r["decided_at"]) if r.get("decided_at") else None
        for p in pairs:
            if day is not None and not Cooperation.model_validate(p).active_on(day):
                continue
            if is_paired(s.get("region_code"), j.get("region_code"), [p]):
                referred[p["id"]] += 1
                hired[p["id"]] += r.get("status") == "hired"
    return [{"id": p["id"], "kind": p.get("kind"), "kind_zh": KIND_ZH.get(p.get("kind"), "对口协作"),
             "from": p["sides"][0], "to": p["sides"][1], "referrals": referred[p["id"]], "placements": hired[p["id"]]}
            for p in pairs]


def pair_stats(engine, region_code: str | None, day: date | None = None) -> list[dict[str, Any]]:
    """Placements through each pair touching ``region_code`` (all pairs when None)."""
    pairs = [{**p, "sides": sides(p, {})} for p in engine.network.all("cooperation")]
    ids = [i for p in pairs for i in (p.get("from_station_id"), p.get("to_station_id")) if i]
    stations = engine.store.get_dicts("station", ids) if ids else {}
    pairs = [{**p, "sides": sides(p, stations)} for p in pairs]
    pairs = [p for p in pairs if all(p["sides"])]
    if region_code:
        pairs = [p for p in pairs if any(s.startswith(region_code) or region_code.startswith(s) for s in p["sides"])]
    referrals = list(engine.store.iter_dicts("referral"))
    seekers = engine.store.get_dicts("seeker", [r["seeker_id"] for r in referrals])
    jobs = engine.store.get_dicts("job", [r["job_id"] for r in referrals])
    return placements_by_pair(pairs, referrals, seekers, jobs)


def paired_mask(regions, prefixes: tuple[str, ...]):
    """For each region code, is it on the other side of one of the seeker's pairs (``prefixes``)?"""
    import numpy as np

    if not prefixes:
        return np.zeros(len(regions), dtype=bool)
    return np.fromiter(((r or "").startswith(prefixes) for r in regions), dtype=bool, count=len(regions))


class PairCache:
    """The active pairs, re-read from the store when older than ``ttl`` seconds (another process
    may have written) or on another day; while the database is unreachable, the pairs last read."""

    def __init__(self, ttl: float):
        self.ttl = ttl
        self._at = -1e18
        self._day: date | None = None
        self._pairs: list[dict[str, Any]] = []

    def prefixes(self, engine, region_code: str | None, day: date) -> tuple[str, ...]:
        import time

        now = time.monotonic()
        if self._day != day or now - self._at > self.ttl:
            try:
                self._pairs, self._day, self._at = active_pairs(engine, day), day, now
            except Exception as exc:  # the database is down: match with the pairs last read (marked stale)
                if not engine.store.stale_allowed(exc):
                    raise
        return tuple(dict.fromkeys(other for other, _ in paired_prefixes(region_code, self._pairs)))
