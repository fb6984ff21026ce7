"""Statistics for one area (a region-code prefix): the ledgers' sizes and make-up, vacancies by
occupation and wage band, referral outcomes, the next administrative level down, and station
performance.

Everything below :func:`region_stats` is a pure function over record dicts; ``region_stats``
only fetches the records of the area from the store.

Scopes, so the numbers read the same everywhere:

* seekers: every seeker whose ``region_code`` starts with the prefix; "active" = not employed.
  Desired occupations count active seekers (each occupation once per seeker).
* jobs: every job in the area; occupations and wage bands count **open** jobs (and their headcount).
  A job's occupation is its ``occupation_code``, else its title mapped through the taxonomy;
  its wage is ``wage_min``, else ``wage_max``.
* referrals: those whose seeker, job or station lies in the area; a referral is placed in the area
  of its seeker, else of its job, else of its station.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from matcher.vocab import (
    PRIORITY_GROUP_ZH,
    REFERRAL_STATUS_ZH,
    JobStatus,
    PriorityGroup,
    ReferralStatus,
    SeekerStatus,
)

SECTIONS = ("status", "priority_group", "occupation", "wage_band", "region", "station", "network")

WAGE_BANDS: tuple[tuple[str, str, float | None, float | None], ...] = (
    ("lt_3000", "3000元以下 / under 3000", None, 3000),
    ("3000_4999", "3000–4999元", 3000, 5000),
    ("5000_6999", "5000–6999元", 5000, 7000),
    ("7000_plus", "7000元及以上 / 7000+", 7000, None),
)
UNSPECIFIED = "unspecified"
OTHER = "other"

SEEKER_STATUS_ZH = {SeekerStatus.unemployed: "失业", SeekerStatus.seeking: "求职中", SeekerStatus.employed: "已就业"}
JOB_STATUS_ZH = {JobStatus.open: "招聘中", JobStatus.paused: "暂停", JobStatus.filled: "已招满", JobStatus.closed: "已关闭"}

# region-code prefix length -> the next level's code length
_CHILD_LEN = {0: 2, 2: 4, 4: 6, 6: 9, 9: 12}


# -- classifying one record (pure) --------------------------------------------------------------
def wage_band(job: dict[str, Any]) -> str:
    wage = job.get("wage_min")
    if wage is None:
        wage = job.get("wage_max")
    if wage is None:
        return UNSPECIFIED
    for key, _, lo, hi in WAGE_BANDS:
        if (lo is None or wage >= lo) and (hi is None or wage < hi):
            return key
    return UNSPECIFIED


def job_occupation(job: dict[str, Any], taxonomy) -> str | None:
    if job.get("occupation_code"):
        return job["occupation_code"]
    hits = taxonomy.match(job.get("title") or "", top=1) if taxonomy is not None else []
    return hits[0][0] if hits else None


def seeker_occupations(seeker: dict[str, Any], taxonomy) -> set[str]:
    codes = set()
    for wish in seeker.get("desired_occupations") or []:
        hits = taxonomy.match(wish, top=1) if taxonomy is not None else []
        if hits:
            codes.add(hits[0][0])
    return codes


def is_active(seeker: dict[str, Any]) -> bool:
    return seeker.get("status", SeekerStatus.unemployed) != SeekerStatus.employed


def is_open(job: dict[str, Any]) -> bool:
    return job.get("status", JobStatus.open) == JobStatus.open


def child_length(prefix: str) -> int | None:
    return _CHILD_LEN.get(len(prefix))


def child_code(code: str | None, prefix: str) -> str | None:
    """The record's division one level below ``prefix``; ``unspecified`` when the record is only
    coded at the prefix's level (or not at all); None when it lies outside the prefix."""
    n = child_length(prefix)
    if not code or not code.startswith(prefix):
        return None if code else UNSPECIFIED
    if n is None or len(code) < n:
        return UNSPECIFIED
    return code[:n]


# -- counting (pure) ----------------------------------------------------------------------------
def counts(counter: Counter, order: Iterable[str] = (), labels: Callable[[str], str | None] | None = None,
           extra: dict[str, Counter] | None = None) -> list[dict[str, Any]]:
    """Counter -> ``[{key, label, count, ...extra}]``: keys in ``order`` first (zeros included),
    then the rest by count."""
    order = list(order)
    rest = sorted((k for k in counter if k not in order), key=lambda k: (-counter[k], k))
    out = []
    for key in [*order, *rest]:
        row = {"key": key, "label": labels(key) if labels else None, "count": counter.get(key, 0)}
        for name, c in (extra or {}).items():
            row[name] = c.get(key, 0)
        out.append(row)
    return out


def top_counts(counter: Counter, top: int, labels: Callable[[str], str | None],
               extra: dict[str, Counter] | None = None) -> list[dict[str, Any]]:
    """The ``top`` most frequent keys, then one ``other`` row with the rest (so rows add up)."""
    ranked = sorted(counter, key=lambda k: (-counter[k], k))
    keep, rest = ranked[:top], ranked[top:]
    rows = counts(Counter({k: counter[k] for k in keep}), labels=labels,
                  extra={n: Counter({k: c[k] for k in keep}) for n, c in (extra or {}).items()})
    if rest:
        row = {"key": OTHER, "label": "其他 / other", "count": sum(counter[k] for k in rest)}
        for name, c in (extra or {}).items():
            row[name] = sum(c[k] for k in rest)
        rows.append(row)
    return rows


def _occupation_label(taxonomy) -> Callable[[str], str | None]:
    def label(code: str) -> str | None:
        if code == UNSPECIFIED:
            return "未识别职业 / not recognised"
        return taxonomy.name(code) if taxonomy is not None else None

    return label


def seeker_status_counts(seekers: list[dict]) -> list[dict]:
    c = Counter(s.get("status", SeekerStatus.unemployed) for s in seekers)
    return counts(c, [s.value for s in SeekerStatus], lambda k: SEEKER_STATUS_ZH.get(k))


def job_status_counts(jobs: list[dict]) -> list[dict]:
    c = Counter(j.get("status", JobStatus.open) for j in jobs)
    return counts(c, [s.value for s in JobStatus], lambda k: JOB_STATUS_ZH.get(k))


def referral_status_counts(referrals: list[dict]) -> list[dict]:
    c = Counter(r.get("status", ReferralStatus.recommended) for r in referrals)
    return counts(c, [s.value for s in ReferralStatus], lambda k: REFERRAL_STATUS_ZH.get(k))


def priority_group_counts(seekers: list[dict]) -> list[dict]:
    """Seekers per assistance group (a seeker in two groups counts in both), with how many of them
    are active; ``none`` counts seekers in no group."""
    total, active = Counter(), Counter()
    for s in seekers:
        for g in set(s.get("priority_groups") or []) or {"none"}:
            total[g] += 1
            active[g] += is_active(s)

    def label(key: str) -> str | None:
        return "非重点群体 / none" if key == "none" else PRIORITY_GROUP_ZH.get(key)

    return counts(total, [g.value for g in PriorityGroup] + ["none"], label, {"active": active})


def desired_occupation_counts(seekers: list[dict], taxonomy, top: int) -> list[dict]:
    c = Counter()
    for s in seekers:
        if not is_active(s):
            continue
        codes = seeker_occupations(s, taxonomy)
        c.update(codes or {UNSPECIFIED})
    return top_counts(c, top, _occupation_label(taxonomy))


def job_occupation_counts(jobs: list[dict], taxonomy, top: int) -> list[dict]:
    c, heads = Counter(), Counter()
    for j in jobs:
        if is_open(j):
            code = job_occupation(j, taxonomy) or UNSPECIFIED
            c[code] += 1
            heads[code] += int(j.get("headcount") or 1)
    return top_counts(c, top, _occupation_label(taxonomy), {"headcount": heads})


def wage_band_counts(jobs: list[dict]) -> list[dict]:
    c, heads = Counter(), Counter()
    for j in jobs:
        if is_open(j):
            band = wage_band(j)
            c[band] += 1
            heads[band] += int(j.get("headcount") or 1)
    labels = {k: label for k, label, _, _ in WAGE_BANDS} | {UNSPECIFIED: "未标明 / not given"}
    return counts(c, [b[0] for b in WAGE_BANDS] + [UNSPECIFIED], labels.get, {"headcount": heads})


def _referral_region(r: dict, seekers: dict[str, dict], jobs: dict[str, dict], stations: dict[str, dict]) -> str | None:
    for rec in (seekers.get(r.get("seeker_id")), jobs.get(r.get("job_id")), stations.get(r.get("station_id") or "")):
        if rec is not None:
            return rec.get("region_code")
    return None


def child_region_counts(prefix: str, seekers: list[dict], jobs: list[dict], referrals: list[dict],
                        stations: list[dict], names: Callable[[str], str | None] | None = None) -> list[dict]:
    """Per division one level below ``prefix``: ledgers, vacancies and referral outcomes."""
    if child_length(prefix) is None:
        return []
    rows: dict[str, Counter] = defaultdict(Counter)
    for s in seekers:
        key = child_code(s.get("region_code"), prefix)
        if key:
            rows[key]["seekers"] += 1
            rows[key]["active_seekers"] += is_active(s)
            rows[key]["priority_seekers"] += bool(s.get("priority_groups"))
    for j in jobs:
        key = child_code(j.get("region_code"), prefix)
        if key:
            rows[key]["jobs"] += 1
            if is_open(j):
                rows[key]["open_jobs"] += 1
                rows[key]["open_headcount"] += int(j.get("headcount") or 1)
    by_id = ({s["id"]: s for s in seekers}, {j["id"]: j for j in jobs}, {t["id"]: t for t in stations})
    for r in referrals:
        key = child_code(_referral_region(r, *by_id), prefix)
        if key:
            rows[key]["referrals"] += 1
            rows[key]["hires"] += r.get("status") == ReferralStatus.hired
    for t in stations:
        key = child_code(t.get("region_code"), prefix)
        if key:
            rows[key]["stations"] += 1
    fields = ("seekers", "active_seekers", "priority_seekers", "jobs", "open_jobs", "open_headcount",
              "referrals", "hires", "stations")
    out = []
    for key in sorted(rows, key=lambda k: (k == UNSPECIFIED, k)):
        name = "未细分 / not coded below this level" if key == UNSPECIFIED else (names(key) if names else None)
        out.append({"code": key, "name": name, **{f: rows[key].get(f, 0) for f in fields}})
    return out


def station_performance(stations: list[dict], seekers: list[dict], referrals: list[dict],
                        all_seekers: dict[str, dict] | None = None) -> list[dict]:
    """Per station: seekers served (in its ledger), referrals made, interviews, hires, hire rate.

    A referral counts for its own ``station_id``, else for its seeker's station."""
    served, active, priority = Counter(), Counter(), Counter()
    for s in seekers:
        sid = s.get("station_id")
        if sid:
            served[sid] += 1
            active[sid] += is_active(s)
            priority[sid] += bool(s.get("priority_groups"))
    lookup = all_seekers if all_seekers is not None else {s["id"]: s for s in seekers}
    made, interviews, hires = Counter(), Counter(), Counter()
    for r in referrals:
        sid = r.get("station_id") or (lookup.get(r.get("seeker_id")) or {}).get("station_id")
        if not sid:
            continue
        made[sid] += 1
        interviews[sid] += bool(r.get("interview_at")) or r.get("status") == ReferralStatus.interviewing
        hires[sid] += r.get("status") == ReferralStatus.hired
    out = []
    for t in stations:
        sid = t["id"]
        out.append({
            "id": sid, "name": t.get("name"), "kind": t.get("kind"), "region_code": t.get("region_code"),
            "seekers": served[sid], "active_seekers": active[sid], "priority_seekers": priority[sid],
            "referrals": made[sid], "interviews": interviews[sid], "hires": hires[sid],
            "hire_rate": round(hires[sid] / made[sid], 4) if made[sid] else None,
        })
    out.sort(key=lambda r: (-r["hires"], -r["referrals"], -r["seekers"], r["id"]))
    return out


def compute_stats(region_code: str, seekers: list[dict], jobs: list[dict], referrals: list[dict],
                  stations: list[dict], *, employers: int = 0, sections: Iterable[str] = SECTIONS,
                  taxonomy=None, region_names: Callable[[str], str | None] | None = None,
                  top: int = 10) -> dict[str, Any]:
    """All statistics of one area from its records (pure)."""
    sections = list(dict.fromkeys(sections))
    out: dict[str, Any] = {
        "region_code": region_code or None,
        "region_name": region_names(region_code) if region_names and region_code else None,
        "sections": sections,
        "totals": {
            "seekers": len(seekers),
            "active_seekers": sum(map(is_active, seekers)),
            "priority_seekers": sum(bool(s.get("priority_groups")) for s in seekers),
            "jobs": len(jobs),
            "open_jobs": sum(map(is_open, jobs)),
            "open_headcount": sum(int(j.get("headcount") or 1) for j in jobs if is_open(j)),
            "referrals": len(referrals),
            "hires": sum(r.get("status") == ReferralStatus.hired for r in referrals),
            "stations": len(stations),
            "employers": employers,
        },
    }
    if "status" in sections:
        out["seekers_by_status"] = seeker_status_counts(seekers)
        out["jobs_by_status"] = job_status_counts(jobs)
        out["referrals_by_status"] = referral_status_counts(referrals)
    if "priority_group" in sections:
        out["seekers_by_priority_group"] = priority_group_counts(seekers)
    if "occupation" in sections:
        out["seekers_by_desired_occupation"] = desired_occupation_counts(seekers, taxonomy, top)
        out["jobs_by_occupation"] = job_occupation_counts(jobs, taxonomy, top)
    if "wage_band" in sections:
        out["jobs_by_wage_band"] = wage_band_counts(jobs)
    if "region" in sections:
        out["child_regions"] = child_region_counts(region_code, seekers, jobs, referrals, stations, region_names)
    if "station" in sections:
        out["stations"] = station_performance(stations, seekers, referrals)
    return out


# -- I/O: fetch the area's records ----------------------------------------------------------------
def region_stats(engine, region_code: str | None = None, *, sections: Iterable[str] = SECTIONS,
                 top: int = 10) -> dict[str, Any]:
    """Statistics for the area ``region_code`` (a prefix; None or "" = everything in the store)."""
    store = engine.store
    prefix = region_code or ""
    where = {"region_prefix": prefix} if prefix else {}
    seekers = list(store.iter_dicts("seeker", **where))
    jobs = list(store.iter_dicts("job", **where))
    stations = list(store.iter_dicts("station", **where))
    employers = store.count("employer", **where)
    if prefix:
        seeker_ids = {s["id"] for s in seekers}
        job_ids = {j["id"] for j in jobs}
        station_ids = {t["id"] for t in stations}
        referrals = [r for r in store.iter_dicts("referral")
                     if r.get("seeker_id") in seeker_ids or r.get("job_id") in job_ids
                     or (r.get("station_id") or None) in station_ids]
    else:
        referrals = list(store.iter_dicts("referral"))
    ctx = engine.ctx

    def names(code: str) -> str | None:
        if len(code) not in (2, 4, 6, 9):
            return None
        place = ctx.gazetteer.get(code)
        return place.name if place is not None else None

    out = compute_stats(prefix, seekers, jobs, referrals, stations, employers=employers, sections=sections,
                        taxonomy=ctx.taxonomy, region_names=names, top=top)
    if "network" in out["sections"]:  # DESIGN.md §8: demonstration stations, placements per cooperation pair
        from matcher.cooperation import pair_stats
        from matcher.coverage import demonstration_by_county

        out["totals"]["demonstration_stations"] = sum(bool(s.get("demonstration")) for s in stations)
        out["demonstration_by_county"] = demonstration_by_county(stations, ctx.gazetteer)
        out["cooperation"] = pair_stats(engine, prefix or None)
    return out
