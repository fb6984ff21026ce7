"""Daily digests (每日推送) for a station, a township/community or a county.

A digest lists the open jobs inside the area's circle (new ones first, grouped by occupation) and,
for every active seeker on the area's ledger, the best matches: employment-assistance targets are
served first and listed first. Recommendations are spread with respect to headcount: a vacancy is
pushed to at most ``per_opening × headcount`` seekers of one digest, later seekers get their next
best job instead, and the digest reports how concentrated its recommendations are (Gini over jobs,
coverage, load per opening).

A digest is a pure function of the store and the day (ties broken by id), so running it twice
gives the same digest; files are written atomically.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from matcher.csvsafe import safe_row
from matcher.errors import FieldError, NotFoundError, ValidationFailed
from matcher.matches import mask_phone
from matcher.network_digest import network_sections
from matcher.vocab import PRIORITY_GROUP_ZH, PriorityGroup


@dataclass(frozen=True)
class DigestConfig:
    matches_per_seeker: int = 3
    candidates_per_seeker: int = 12
    per_opening: int = 3  # recommendations per opening (headcount) within one digest
    new_days: int = 3  # a job posted within this many days is "new"
    max_jobs_listed: int = 200


def gini(counts: list[int] | np.ndarray) -> float:
    """Concentration of recommendations across jobs: 0 = even, → 1 = all on one job."""
    x = np.sort(np.asarray(counts, dtype=np.float64))
    if len(x) == 0 or x.sum() == 0:
        return 0.0
    n = len(x)
    return float((2 * np.arange(1, n + 1) - n - 1) @ x / (n * x.sum()))


def spread(ranked: list[list[tuple[str, float]]], capacity: dict[str, int], take: int) -> list[list[str]]:
    """Capacity-aware assignment: each seeker (in the given order) takes their best jobs that still
    have room; a job holds at most ``capacity[job]`` recommendations. Pure."""
    load: Counter[str] = Counter()
    out = []
    for options in ranked:
        chosen = []
        for jid, _score in options:
            if load[jid] < capacity.get(jid, 1):
                chosen.append(jid)
                load[jid] += 1
                if len(chosen) == take:
                    break
        out.append(chosen)
    return out


def _area(engine, station_id: str | None, region_code: str | None) -> dict[str, Any]:
    if bool(station_id) == bool(region_code):
        raise ValidationFailed([FieldError("station_id", "请指定服务站或区划代码之一 / give exactly one of station_id or region_code")])
    if station_id:
        st = engine.store.get_dicts("station", [station_id]).get(station_id)
        if st is None:
            raise NotFoundError("station", station_id)
        return {"kind": "station", "id": st["id"], "name": st["name"], "region_code": st.get("region_code") or "",
                "lat": st.get("lat"), "lng": st.get("lng"), "station_kind": st.get("kind"),
                "urban_minutes": st.get("urban_circle_minutes"), "rural_km": st.get("rural_circle_km")}
    place = engine.ctx.gazetteer.get(region_code)
    if place is None:
        raise NotFoundError("region", region_code)
    return {"kind": "region", "id": region_code, "name": place.full_name, "region_code": region_code,
            "lat": None, "lng": None, "station_kind": None, "urban_minutes": None, "rural_km": None}


def build_digest(engine, *, station_id: str | None = None, region_code: str | None = None, day: date | None = None,
                 config: DigestConfig | None = None, batch: bool = True,
                 lists: dict[str, list] | None = None) -> dict[str, Any]:
    """The digest of one station (its circle and its ledger) or one region (code prefix).
    ``batch``: the ledger's lists through ``engine.match_jobs_batch`` (the same lists as one
    ``match_jobs`` per seeker, cheaper); ``False`` calls ``match_jobs`` per seeker (benchmarks).
    ``lists``: a cache of seekers' lists for this day and config, read and filled (``digest --all``
    makes a seeker's list once for their station, township and county)."""
    from matcher.features.geo import haversine_km
    from matcher.ranking import reach

    cfg = config or DigestConfig()
    day = day or date.today()
    today = day.toordinal()
    area = _area(engine, station_id, region_code)
    gaz = engine.ctx.gazetteer

    # the circle of the area: a station's own bounds, else the defaults for its urban/rural class
    rural = area["station_kind"] in ("village", "relocation_site") or bool(
        area["region_code"] and len(area["region_code"]) >= 9 and gaz.area_type(area["region_code"]) == "rural")
    loc = engine.ranking.locality_cfg
    c = reach.circles([rural], [np.nan], [np.nan], [-1], [False], [False],
                      [area["urban_minutes"] if area["urban_minutes"] else np.nan],
                      [area["rural_km"] if area["rural_km"] else np.nan], loc)
    radius = float(c.km(c.circle, loc.detour_factor)[0])
    circle = {"kind": "urban" if c.urban[0] else "rural", "limit": c.describe(), "radius_km": round(radius, 2)}

    # jobs inside the circle (station with a position) or inside the region code
    jobs_open = engine.open_jobs(day)
    prefix = area["region_code"]
    in_code = np.fromiter((bool(prefix) and r.startswith(prefix) for r in jobs_open.region), bool,
                          count=len(jobs_open.ids))
    if area["lat"] is not None:
        km = np.asarray(haversine_km(area["lat"], area["lng"], jobs_open.lat, jobs_open.lng), dtype=np.float64)
        inside = (km <= radius) | (np.isnan(km) & in_code)
    else:
        km = np.full(len(jobs_open.ids), np.nan)
        inside = in_code
    idx = np.flatnonzero(inside)
    dist = km[idx]
    job_ids = [jobs_open.ids[i] for i in idx.tolist()]
    posted = jobs_open.posted[idx]
    jobs = engine.store.get_dicts("job", job_ids)
    inferred = engine.job_occupations(job_ids)
    new_since = today - cfg.new_days
    entries = []
    for jid, d, p in zip(job_ids, dist, posted, strict=True):
        j = jobs.get(jid)
        if not j:
            continue
        code = inferred.get(jid)
        if jid not in inferred:  # not in the engine's memory (closed since): the rules alone
            hits = engine.ctx.profiler.job(j).occupations
            code = hits[0].code if hits else None
        entries.append({"id": jid, "title": j["title"], "employer_name": j.get("employer_name"),
                        "wage_min": j.get("wage_min"), "wage_max": j.get("wage_max"), "headcount": j.get("headcount", 1),
                        "address": j.get("address"), "posted_at": j.get("posted_at"), "expires_at": j.get("expires_at"),
                        "distance_km": None if np.isnan(d) else round(float(d), 2), "new": int(p) >= new_since,
                        "occupation_code": code})
    entries.sort(key=lambda e: (not e["new"], e["distance_km"] if e["distance_km"] is not None else 1e9, e["id"]))
    groups: dict[str, dict[str, Any]] = {}
    for e in entries[: cfg.max_jobs_listed]:
        code = e["occupation_code"] or "unknown"
        g = groups.setdefault(code, {"occupation_code": e["occupation_code"],
                                     "occupation": engine.ctx.taxonomy.name(code) if e["occupation_code"] else "其他",
                                     "jobs": []})
        g["jobs"].append(e)
    by_occupation = sorted(groups.values(), key=lambda g: (-len(g["jobs"]), g["occupation_code"] or "~"))

    # the ledger: active seekers of the station / region, assistance targets first
    if area["kind"] == "station":
        ledger = list(engine.store.iter_dicts("seeker", station_id=area["id"]))
    else:
        ledger = list(engine.store.iter_dicts("seeker", region_prefix=area["region_code"]))
    ledger = [s for s in ledger if s.get("status") != "employed"]
    ranked, seekers = [], []
    summaries: dict[str, dict[str, Any]] = {}
    follow_up = []
    lists = {} if lists is None else lists
    todo = [s["id"] for s in ledger if s["id"] not in lists]
    if batch:
        lists.update(engine.match_jobs_batch(todo, k=cfg.candidates_per_seeker, today=day))
    else:
        lists.update({sid: engine.match_jobs(sid, k=cfg.candidates_per_seeker, today=day) for sid in todo})
    for s in ledger:
        ms = lists.get(s["id"], [])
        if not ms or ms[0].breakdown.get("nothing_reachable"):
            # nothing relevant within the person's reach: staff follow up (training, other work, 外出务工)
            follow_up.append({"id": s["id"], "name": s.get("name"), "phone": mask_phone(s.get("phone")),
                              "priority_groups": [PRIORITY_GROUP_ZH[PriorityGroup(g)] for g in s.get("priority_groups") or []],
                              "desired_occupations": s.get("desired_occupations") or [],
                              "reason": "本圈暂无合适岗位" if ms else "暂无符合条件的岗位"})
        ranked.append([(m.id, m.score) for m in ms])
        for m in ms:
            summaries.setdefault(m.id, {"title": m.summary.get("title"), "employer_name": m.summary.get("employer_name"),
                                        "wage_min": m.summary.get("wage_min"), "wage_max": m.summary.get("wage_max")})
        seekers.append((s, {m.id: m for m in ms}))
    order = sorted(range(len(seekers)), key=lambda i: (not seekers[i][0].get("priority_groups"),
                                                       -(ranked[i][0][1] if ranked[i] else 0.0), seekers[i][0]["id"]))
    capacity = {}
    heads = engine.store.get_dicts("job", list({j for r in ranked for j, _ in r}))
    for jid, j in heads.items():
        capacity[jid] = cfg.per_opening * max(1, int(j.get("headcount") or 1))
    picks = spread([ranked[i] for i in order], capacity, cfg.matches_per_seeker)
    seeker_entries = []
    load: Counter[str] = Counter()
    for i, chosen in zip(order, picks, strict=True):
        s, by_id = seekers[i]
        load.update(chosen)
        seeker_entries.append({
            "id": s["id"], "name": s.get("name"), "phone": mask_phone(s.get("phone")),
            "priority_groups": [PRIORITY_GROUP_ZH[PriorityGroup(g)] for g in s.get("priority_groups") or []],
            "desired_occupations": s.get("desired_occupations") or [],
            "matches": [{"id": jid, **summaries.get(jid, {}), "score": by_id[jid].score, "reasons": by_id[jid].reasons}
                        for jid in chosen],
        })
    counts = list(load.values())
    recommended_jobs = set(load)
    per_opening = [load[j] / max(1, int(heads[j].get("headcount") or 1)) for j in load if j in heads]
    return {
        "date": day.isoformat(),
        "area": {k: area[k] for k in ("kind", "id", "name", "region_code")},
        "circle": circle,
        "jobs": {"open_count": len(entries), "new_count": sum(e["new"] for e in entries), "by_occupation": by_occupation},
        "seekers": seeker_entries,
        # seekers with nothing relevant in reach, assistance targets first
        "follow_up": sorted(follow_up, key=lambda f: (not f["priority_groups"], f["id"])),
        "concentration": {
            "recommendations": int(sum(counts)),
            "jobs_recommended": len(recommended_jobs),
            # share of the circle's open jobs that reached at least one seeker
            "coverage": round(len(recommended_jobs & {e["id"] for e in entries}) / len(entries), 4) if entries else 0.0,
            "gini": round(gini(counts), 4),
            "max_per_opening": round(max(per_opening), 2) if per_opening else 0.0,
            "cap_per_opening": cfg.per_opening,
        },
        "note": "由就业服务匹配引擎生成；联系方式已部分隐藏 / generated by the matching engine; phones partly masked",
        **network_sections(engine, area, day, ledger),
    }


def render_csv(digest: dict[str, Any]) -> str:
    """One row per (seeker, recommended job), for spreadsheets (UTF-8 with BOM so Excel reads it)."""
    buf = io.StringIO()
    buf.write("\ufeff")
    w = csv.writer(buf)
    w.writerow(["日期", "区域", "求职者编号", "姓名", "就业困难类别", "推荐岗位编号", "岗位", "单位", "月薪下限", "月薪上限", "匹配度", "推荐理由"])
    for s in digest["seekers"]:
        for m in s["matches"]:
            w.writerow(safe_row([digest["date"], digest["area"]["name"], s["id"], s.get("name") or "",
                                 "、".join(s["priority_groups"]), m["id"], m.get("title") or "",
                                 m.get("employer_name") or "", _num(m.get("wage_min")), _num(m.get("wage_max")),
                                 f"{m['score']:.0f}", "；".join(m["reasons"])]))
    return buf.getvalue()


def _num(v: float | None) -> str:
    return "" if v is None else f"{v:.0f}"


def _wage(j: dict[str, Any]) -> str:
    lo, hi = j.get("wage_min"), j.get("wage_max")
    vals = [f"{v:.0f}" for v in (lo, hi) if v is not None]
    return ("月薪" + "-".join(vals) + "元") if vals else "面议"


def render_html(digest: dict[str, Any]) -> str:
    """A printable page (no external assets)."""
    e = html.escape
    parts = [
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>",
        f"<title>{e(digest['area']['name'])} {e(digest['date'])} 就业信息推送</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:60em}h1{font-size:1.4em}h2{font-size:1.15em;"
        "border-bottom:1px solid #999}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:4px;"
        "font-size:.9em;text-align:left}.prio{color:#a40000}.new{color:#006400;font-weight:bold}"
        "@media print{body{margin:0}}</style></head><body>",
        f"<h1>{e(digest['area']['name'])} · {e(digest['date'])} 就业信息推送</h1>",
        f"<p>就业圈：{e(digest['circle']['limit'])}。圈内在招岗位 {digest['jobs']['open_count']} 个，其中新发布 "
        f"{digest['jobs']['new_count']} 个。</p>",
        "<h2>圈内岗位（按职业）</h2>",
    ]
    for g in digest["jobs"]["by_occupation"]:
        parts.append(f"<h3>{e(g['occupation'] or '其他')}（{len(g['jobs'])}）</h3><table><tr><th>岗位</th><th>单位</th>"
                     "<th>薪资</th><th>人数</th><th>距离</th></tr>")
        for j in g["jobs"]:
            new = "<span class='new'>新</span> " if j["new"] else ""
            dist = f"{j['distance_km']}公里" if j["distance_km"] is not None else ""
            parts.append(f"<tr><td>{new}{e(j['title'])}</td><td>{e(j.get('employer_name') or '')}</td><td>{_wage(j)}</td>"
                         f"<td>{j.get('headcount') or 1}</td><td>{dist}</td></tr>")
        parts.append("</table>")
    parts.append("<h2>求职者推荐（就业困难人员优先）</h2><table><tr><th>求职者</th><th>推荐岗位</th><th>理由</th></tr>")
    for s in digest["seekers"]:
        who = e(s.get("name") or s["id"])
        if s["priority_groups"]:
            who += f"<br><span class='prio'>{e('、'.join(s['priority_groups']))}</span>"
        jobs = "<br>".join(f"{e(m.get('title') or m['id'])}（{e(m.get('employer_name') or '')}）匹配度{m['score']:.0f}"
                           for m in s["matches"]) or "暂无"
        why = "<br>".join(e("；".join(m["reasons"][:2])) for m in s["matches"])
        parts.append(f"<tr><td>{who}</td><td>{jobs}</td><td>{why}</td></tr>")
    parts.append("</table>")
    follow = digest.get("follow_up") or []
    if follow:
        parts.append(f"<h2>需跟进：通勤范围内暂无合适岗位（{len(follow)}人）</h2><table><tr><th>求职者</th>"
                     "<th>意向</th><th>情况</th></tr>")
        for f in follow:
            who = e(f.get("name") or f["id"])
            if f["priority_groups"]:
                who += f"<br><span class='prio'>{e('、'.join(f['priority_groups']))}</span>"
            parts.append(f"<tr><td>{who}</td><td>{e('、'.join(f['desired_occupations']))}</td><td>{e(f['reason'])}</td></tr>")
        parts.append("</table>")
    c = digest["concentration"]
    parts.append(f"<p>推荐分布：共推荐 {c['recommendations']} 次，涉及岗位 {c['jobs_recommended']} 个，"
                 f"覆盖率 {c['coverage']:.0%}，集中度（基尼系数）{c['gini']:.2f}，每个招聘名额最多推荐 {c['cap_per_opening']} 人。</p>")
    parts.append(f"<p>{e(digest['note'].split(' / ')[0])}</p></body></html>")  # the printed page: Chinese only
    return "".join(parts)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def write_digest(digest: dict[str, Any], out_dir: Path) -> list[Path]:
    """JSON, HTML and CSV files named by area and date, each written atomically."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"digest_{digest['area']['id']}_{digest['date']}"
    paths = []
    for ext, text in (("json", json.dumps(digest, ensure_ascii=False, indent=1, sort_keys=True)),
                      ("html", render_html(digest)), ("csv", render_csv(digest))):
        p = out_dir / f"{stem}.{ext}"
        _write_atomic(p, text)
        paths.append(p)
    return paths


def digest_for(engine, *, station_id: str | None = None, region_code: str | None = None,
               day: date | None = None) -> dict[str, Any]:
    """The digest the API and the console show: the one built by the schedule for that area and day
    (:mod:`matcher.digest_schedule`) when it exists, else built now. ``source`` says which."""
    from matcher.digest_schedule import stored_digest

    day = day or date.today()
    area_id, kind = (station_id, "station") if station_id else (region_code, "region")
    stored = stored_digest(engine.settings.resolved_digest_dir, area_id, day) if area_id else None
    if stored is not None and stored.get("area", {}).get("kind") == kind:
        return {**stored, "source": "scheduled"}
    return {**build_digest(engine, station_id=station_id, region_code=region_code, day=day), "source": "on_demand"}


