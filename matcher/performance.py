"""Station performance by period (考核): per station of an area, for a quarter, the services by
channel, the people registered, referrals, hires and hires of assistance targets, and whether the
policy's two quotas are met: county staff at the station on ≥ 3 days of the quarter, experts
visiting ≥ 2 times in the year (counted from 1 January to the quarter's end).

Attribution: a service counts for its station (else its person's station); a referral for its own
station (else its person's); a registration for the person's station. A referral counts in the
period it was made (``referred_at``), a hire in the period it was decided (``decided_at``).

:func:`station_rows` and :func:`period_totals` are pure; :func:`performance_report` reads the
area's records; :func:`to_csv` and :func:`to_xlsx` render the table.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from datetime import date
from typing import Any

from matcher.errors import FieldError, ValidationFailed
from matcher.services import (
    EXPERT_VISITS_PER_YEAR,
    KIND_ZH,
    STAFF_DAYS_PER_QUARTER,
    ServiceKind,
    ServiceStatus,
)
from matcher.vocab import ReferralStatus

KINDS = [k.value for k in ServiceKind]
UNASSIGNED = "unassigned"


# -- periods -----------------------------------------------------------------------------------------
def parse_quarter(text: str) -> tuple[date, date]:
    """``2026Q4`` -> (2026-10-01, 2027-01-01): the quarter's first day and the next quarter's."""
    m = re.fullmatch(r"(\d{4})\s*[Qq]([1-4])", (text or "").strip())
    if not m or not (2000 <= int(m[1]) <= 2100):
        raise ValidationFailed([FieldError("quarter", "季度格式应如 2026Q4 / quarter must look like 2026Q4",
                                           value=(text or "")[:20])])
    year, q = int(m[1]), int(m[2])
    start = date(year, 3 * q - 2, 1)
    end = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return start, end


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def previous_quarters(quarter: str, n: int) -> list[str]:
    """The ``n`` quarters ending with ``quarter``, oldest first."""
    start, _ = parse_quarter(quarter)
    year, q = start.year, (start.month - 1) // 3 + 1
    out = []
    for _ in range(n):
        out.append(f"{year}Q{q}")
        q -= 1
        if q == 0:
            year, q = year - 1, 4
    return out[::-1]


def _in(day: str | None, since: date, until: date) -> bool:
    return bool(day) and since.isoformat() <= day[:10] < until.isoformat()


# -- counting (pure) ---------------------------------------------------------------------------------
def _service_station(s: dict, seekers: dict[str, dict]) -> str:
    return s.get("station_id") or (seekers.get(s.get("seeker_id") or "") or {}).get("station_id") or UNASSIGNED


def _referral_station(r: dict, seekers: dict[str, dict]) -> str:
    return r.get("station_id") or (seekers.get(r.get("seeker_id")) or {}).get("station_id") or UNASSIGNED


def counts_by_station(seekers: dict[str, dict], services: list[dict], registered: list[dict],
                      referrals: list[dict], since: date, until: date) -> dict[str, Counter]:
    """station id -> counters of one period (services done or booked; cancelled ones do not count)."""
    rows: dict[str, Counter] = defaultdict(Counter)
    staff_days: dict[str, set] = defaultdict(set)
    for s in services:
        if s.get("status") == ServiceStatus.cancelled or not _in(s.get("at"), since, until):
            continue
        sid = _service_station(s, seekers)
        rows[sid][f"svc_{s['kind']}"] += 1
        rows[sid]["services"] += 1
        if s["kind"] == ServiceKind.staff_day:
            staff_days[sid].add(s["at"][:10])
    for sid, days in staff_days.items():
        rows[sid]["staff_days"] = len(days)
    for p in registered:
        rows[p.get("station_id") or UNASSIGNED]["registered"] += 1
    for r in referrals:
        sid = _referral_station(r, seekers)
        if _in(r.get("referred_at"), since, until):
            rows[sid]["referrals"] += 1
        if r.get("status") == ReferralStatus.hired and _in(r.get("decided_at"), since, until):
            rows[sid]["hires"] += 1
            if (seekers.get(r.get("seeker_id")) or {}).get("priority_groups"):
                rows[sid]["target_hires"] += 1
    return rows


def expert_visits(services: list[dict], seekers: dict[str, dict], since: date, until: date) -> Counter:
    c = Counter()
    for s in services:
        if s["kind"] == ServiceKind.expert_visit and s.get("status") != ServiceStatus.cancelled and _in(s.get("at"), since, until):
            c[_service_station(s, seekers)] += 1
    return c


FIELDS = ("services", "registered", "referrals", "hires", "target_hires", "staff_days")


def station_rows(stations: list[dict], counters: dict[str, Counter], experts: Counter) -> list[dict[str, Any]]:
    out = []
    for t in stations:
        c = counters.get(t["id"], Counter())
        row = {"id": t["id"], "name": t.get("name"), "kind": t.get("kind"), "region_code": t.get("region_code"),
               "services_by_kind": {k: c.get(f"svc_{k}", 0) for k in KINDS},
               **{f: c.get(f, 0) for f in FIELDS}, "expert_visits_year": experts.get(t["id"], 0)}
        row["staff_days_met"] = row["staff_days"] >= STAFF_DAYS_PER_QUARTER
        row["expert_visits_met"] = row["expert_visits_year"] >= EXPERT_VISITS_PER_YEAR
        out.append(row)
    out.sort(key=lambda r: (-r["hires"], -r["services"], r["id"]))
    return out


def totals_of(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {f: sum(r[f] for r in rows) for f in FIELDS}
    out["services_by_kind"] = {k: sum(r["services_by_kind"][k] for r in rows) for k in KINDS}
    out["expert_visits_year"] = sum(r["expert_visits_year"] for r in rows)
    out["stations"] = len(rows)
    out["staff_days_met"] = sum(r["staff_days_met"] for r in rows)
    out["expert_visits_met"] = sum(r["expert_visits_met"] for r in rows)
    return out


def period_totals(seekers: dict[str, dict], services: list[dict], registered: list[dict], referrals: list[dict],
                  since: date, until: date) -> dict[str, Any]:
    """An area's totals of one period (all its records, whichever station)."""
    total = Counter()
    for c in counts_by_station(seekers, services, registered, referrals, since, until).values():
        total.update(c)
    return {"from": since.isoformat(), "to": until.isoformat(),
            "services_by_kind": {k: total.get(f"svc_{k}", 0) for k in KINDS},
            **{f: total.get(f, 0) for f in FIELDS if f != "staff_days"}}


# -- I/O -----------------------------------------------------------------------------------------------
def _area_records(engine, prefix: str, since: date, until: date):
    from matcher.store import worklog

    store = engine.store
    where = {"region_prefix": prefix} if prefix else {}
    seekers = {s["id"]: s for s in store.iter_dicts("seeker", **where)}
    stations = list(store.iter_dicts("station", **where))
    station_ids = {t["id"] for t in stations}
    services = list(worklog.iter_rows(store, "service", region_prefix=prefix or None,
                                      since=_dt(since), until=_dt(until)))
    registered = worklog.seekers_created(store, prefix, since, until)
    referrals = [r for r in store.iter_dicts("referral")
                 if not prefix or r.get("seeker_id") in seekers or (r.get("station_id") or None) in station_ids]
    return seekers, stations, services, registered, referrals


def _dt(d: date):
    from datetime import datetime, time

    return datetime.combine(d, time())


def period_report(engine, prefix: str, since: date, until: date) -> dict[str, Any]:
    """``GET /v1/stats?from=&to=``: the area's work in [since, until)."""
    seekers, _, services, registered, referrals = _area_records(engine, prefix, since, until)
    return period_totals(seekers, services, registered, referrals, since, until)


def performance_report(engine, prefix: str, quarter: str, *, trend_quarters: int = 4) -> dict[str, Any]:
    """``GET /v1/stats/performance``: each station of the area in ``quarter``, totals, and the
    totals of the last ``trend_quarters`` quarters (for the trend chart)."""
    since, until = parse_quarter(quarter)
    year_start = date(since.year, 1, 1)
    first = parse_quarter(previous_quarters(quarter, trend_quarters)[0])[0]
    seekers, stations, services, registered, referrals = _area_records(engine, prefix, min(first, year_start), until)
    counters = counts_by_station(seekers, services, [p for p in registered if _in(p["registered_at"], since, until)],
                                 referrals, since, until)
    experts = expert_visits(services, seekers, year_start, until)
    rows = station_rows(stations, counters, experts)
    trend = []
    for q in previous_quarters(quarter, trend_quarters):
        qs, qu = parse_quarter(q)
        t = period_totals(seekers, services, [p for p in registered if _in(p["registered_at"], qs, qu)],
                          referrals, qs, qu)
        trend.append({"quarter": q, "services": sum(t["services_by_kind"].values()),
                      **{f: t[f] for f in ("registered", "referrals", "hires", "target_hires")}})
    ctx = engine.ctx
    place = ctx.gazetteer.get(prefix) if prefix and len(prefix) in (2, 4, 6, 9) else None
    return {"quarter": quarter, "from": since.isoformat(), "to": until.isoformat(), "region_code": prefix or None,
            "region_name": place.name if place is not None else None,
            "thresholds": {"staff_days_per_quarter": STAFF_DAYS_PER_QUARTER,
                           "expert_visits_per_year": EXPERT_VISITS_PER_YEAR},
            "kinds": {k.value: z for k, z in KIND_ZH.items()},
            "stations": rows, "totals": totals_of(rows), "trend": trend}


# -- rendering ----------------------------------------------------------------------------------------
def table(report: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The report as one table with Chinese headers (stations, then the total row)."""
    head = ["服务站编号", "服务站", "区划代码", *[KIND_ZH[ServiceKind(k)] for k in KINDS], "服务合计", "新登记人数",
            "推荐次数", "录用人数", "援助对象录用", "县级人员驻站天数", "驻站达标（≥3天）", "本年专家指导次数",
            "专家指导达标（≥2次）"]

    def line(r: dict, name: str, rid: str, code: str, met_days: Any, met_expert: Any) -> list[Any]:
        return [rid, name, code, *[r["services_by_kind"][k] for k in KINDS], r["services"], r["registered"],
                r["referrals"], r["hires"], r["target_hires"], r["staff_days"], met_days, r["expert_visits_year"],
                met_expert]

    rows = [line(r, r.get("name") or r["id"], r["id"], r.get("region_code") or "", "是" if r["staff_days_met"] else "否",
                 "是" if r["expert_visits_met"] else "否") for r in report["stations"]]
    t = report["totals"]
    rows.append(line(t, "合计", "", report.get("region_code") or "", f"{t['staff_days_met']}/{t['stations']} 站达标",
                     f"{t['expert_visits_met']}/{t['stations']} 站达标"))
    return head, rows


def to_csv(report: dict[str, Any]) -> bytes:
    head, rows = table(report)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(head)
    w.writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens it as UTF-8


def to_xlsx(report: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    head, rows = table(report)
    wb = Workbook()
    ws = wb.active
    ws.title = f"{report['quarter']}考核"
    title = f"{report.get('region_name') or report.get('region_code') or '全部'} 服务站绩效 {report['quarter']}" \
            f"（{report['from']} 至 {report['to']} 前）"
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(head)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append(r)
    ws.freeze_panes = "C3"
    trend = wb.create_sheet("趋势")
    trend.append(["季度", "服务合计", "新登记人数", "推荐次数", "录用人数", "援助对象录用"])
    for t in report["trend"]:
        trend.append([t["quarter"], t["services"], t["registered"], t["referrals"], t["hires"], t["target_hires"]])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
