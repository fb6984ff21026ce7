"""What a digest adds for the network (DESIGN.md §8): jobs of paired regions, and a section that
depends on the station's kind.

* every area: ``cooperation_jobs``, open jobs of the regions paired with it (对口协作岗位);
* ``gig_market``: ``gigs_today``, the day's gig board (:mod:`matcher.gigs`);
* ``school``: ``internships``, open internship posts (就业见习) of the county, and the number of
  young people and unemployed graduates in the ledger;
* ``relocation_site``: ``for_relocated``, open jobs of the county that welcome relocated households
  or are public-welfare posts;
* ``industrial_park``: ``park_employers``, the employers with open jobs in the area, by openings;
* ``village``: ``public_welfare``, open public-welfare posts (公益性岗位) of the county.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from matcher.cooperation import KIND_ZH, active_pairs, paired_prefixes

MAX_LISTED = 30
SECTION_ZH = {"gig_market": "今日零工", "school": "就业见习岗位", "relocation_site": "面向搬迁群众的岗位",
              "industrial_park": "园区用工单位", "village": "公益性岗位"}


def _open(j: dict[str, Any], day: date) -> bool:
    return j.get("status", "open") == "open" and (not j.get("expires_at") or j["expires_at"] >= day.isoformat()) and (
        not j.get("posted_at") or j["posted_at"] <= day.isoformat())


def _brief(j: dict[str, Any]) -> dict[str, Any]:
    return {k: j.get(k) for k in ("id", "title", "employer_name", "region_code", "wage_min", "wage_max",
                                  "headcount", "employment_type", "shift_date", "shift_start", "shift_end")}


def cooperation_jobs(engine, region_code: str | None, day: date) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for other, pair in paired_prefixes(region_code, active_pairs(engine, day)):
        for j in engine.store.iter_dicts("job", region_prefix=other):
            if _open(j, day):
                out.append({**_brief(j), "pair_id": pair["id"], "pair_kind": KIND_ZH.get(pair.get("kind"), "对口协作"),
                            "reason": "对口协作岗位"})
    out.sort(key=lambda j: (j["pair_id"], j["id"]))
    return out[:MAX_LISTED]


def kind_section(engine, area: dict[str, Any], day: date, ledger: list[dict[str, Any]]) -> dict[str, Any] | None:
    kind = area.get("station_kind")
    county = (area.get("region_code") or "")[:6]
    if not kind or kind == "community" or not county:
        return None
    jobs = [j for j in engine.store.iter_dicts("job", region_prefix=county) if _open(j, day)]
    if kind == "gig_market":
        from matcher.gigs import gig_board

        items: list[Any] = gig_board(engine, area["id"], day, limit=MAX_LISTED)["gigs"]
    elif kind == "school":
        items = [_brief(j) for j in jobs if j.get("employment_type") == "internship"]
    elif kind == "relocation_site":
        items = [_brief(j) for j in jobs if "relocated" in (j.get("priority_groups_welcome") or []) or j.get("public_welfare")]
    elif kind == "industrial_park":
        inside = [j for j in jobs if (j.get("region_code") or "").startswith(area.get("region_code") or county)]
        heads: Counter[str] = Counter()
        for j in inside:
            heads[j.get("employer_name") or j.get("employer_id") or "—"] += int(j.get("headcount") or 1)
        items = [{"employer_name": n, "openings": c} for n, c in heads.most_common(MAX_LISTED)]
    elif kind == "village":
        items = [_brief(j) for j in jobs if j.get("public_welfare")]
    else:
        return None
    out: dict[str, Any] = {"kind": kind, "title": SECTION_ZH[kind], "items": items[:MAX_LISTED]}
    if kind == "school":
        from matcher.events import _young_or_graduate

        out["young_or_graduates"] = sum(_young_or_graduate(s, day) for s in ledger)
    return out


def network_sections(engine, area: dict[str, Any], day: date, ledger: list[dict[str, Any]]) -> dict[str, Any]:
    return {"cooperation_jobs": cooperation_jobs(engine, area.get("region_code"), day),
            "station_section": kind_section(engine, area, day, ledger)}
