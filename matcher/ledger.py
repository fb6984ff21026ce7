"""The employment ledger (劳动者就业清单): every change of a person's employment, with its date,
form (单位就业、灵活就业、外出务工…), workplace, region and source, kept for good.

A person's current status is the latest entry (by ``started_at``, then by when it was recorded);
recording an entry brings the seeker record's ``status`` in line with it. A hire through a referral
writes an entry in the referral's own transaction (:func:`hire_entry`). Statistics of the employment
situation and of monthly changes by township and village are pure functions over entries
(:func:`situation`, :func:`monthly_changes`).
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from matcher.records import Day, RefId, RegionCode, Text, _enum
from matcher.vocab import ALIASES, SeekerStatus


class EmploymentForm(StrEnum):
    employer = "employer"              # 单位就业
    flexible = "flexible"              # 灵活就业
    migrant = "migrant"                # 外出务工
    self_employed = "self_employed"    # 自主创业
    public_welfare = "public_welfare"  # 公益性岗位
    unemployed = "unemployed"          # 未就业
    retired = "retired"                # 退休
    student = "student"                # 在校学习


class EmploymentSource(StrEnum):
    desk = "desk"          # 窗口登记
    visit = "visit"        # 入户走访
    phone = "phone"        # 电话核实
    referral = "referral"  # 推荐录用
    import_ = "import"     # 批量导入
    survey = "survey"      # 大数据比对/摸排
    other = "other"


FORM_ZH = {
    EmploymentForm.employer: "单位就业", EmploymentForm.flexible: "灵活就业", EmploymentForm.migrant: "外出务工",
    EmploymentForm.self_employed: "自主创业", EmploymentForm.public_welfare: "公益性岗位",
    EmploymentForm.unemployed: "未就业", EmploymentForm.retired: "退休", EmploymentForm.student: "在校学习",
}
SOURCE_ZH = {
    EmploymentSource.desk: "窗口登记", EmploymentSource.visit: "入户走访", EmploymentSource.phone: "电话核实",
    EmploymentSource.referral: "推荐录用", EmploymentSource.import_: "批量导入", EmploymentSource.survey: "摸排比对",
    EmploymentSource.other: "其他",
}
# Chinese words accepted on input (forms, imports)
ALIASES[EmploymentForm] = {v: k.value for k, v in FORM_ZH.items()} | {
    "单位": "employer", "企业就业": "employer", "灵活": "flexible", "外出": "migrant", "务工": "migrant",
    "创业": "self_employed", "公益岗": "public_welfare", "公益性岗": "public_welfare", "失业": "unemployed",
    "待业": "unemployed", "在校": "student", "学生": "student"}
ALIASES[EmploymentSource] = {v: k.value for k, v in SOURCE_ZH.items()} | {
    "走访": "visit", "电话": "phone", "推荐": "referral", "导入": "import", "摸排": "survey", "窗口": "desk"}
# forms that are not employment
NOT_EMPLOYED = frozenset({EmploymentForm.unemployed, EmploymentForm.retired, EmploymentForm.student})
# a seeker record's status before any ledger entry, as a form key of the statistics
UNRECORDED_EMPLOYED = "employed_unrecorded"
NOT_YET_RECORDED = "not_yet_recorded"  # on a day before the person's first entry


def _form(value: Any):
    return _enum(EmploymentForm)(value)


class EmploymentEntry(BaseModel):
    """One ledger entry (the body of ``POST /v1/seekers/{id}/employment``)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    form: Annotated[EmploymentForm, BeforeValidator(_form)] = Field(
        description="就业形式：employer 单位就业、flexible 灵活就业、migrant 外出务工、self_employed 自主创业、"
                    "public_welfare 公益性岗位、unemployed 未就业、retired 退休、student 在校学习（中文亦可）")
    status: Annotated[SeekerStatus | None, BeforeValidator(_enum(SeekerStatus))] = Field(
        default=None, description="就业状态；不填则由就业形式推出 / derived from the form when absent")
    employer_id: RefId = Field(default=None, max_length=64)
    employer_name: Text = Field(default=None, max_length=200)
    workplace: Text = Field(default=None, max_length=200, description="工作地点 / where the person works")
    work_region_code: RegionCode = Field(default=None, description="工作地区划代码 / region code of the workplace")
    started_at: Day = Field(default=None, description="变动日期（默认今天）/ the date of the change (default today)")
    source: Annotated[EmploymentSource, BeforeValidator(_enum(EmploymentSource))] = Field(
        default=EmploymentSource.desk, description="来源：desk|visit|phone|referral|import|survey|other")
    note: Text = Field(default=None, max_length=2_000)
    referral_id: RefId = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def _status_agrees(self):
        employed = self.form not in NOT_EMPLOYED
        if self.status is None:
            self.status = SeekerStatus.employed if employed else SeekerStatus.unemployed
        elif (self.status == SeekerStatus.employed) != employed:
            raise ValueError(f"就业状态与就业形式“{FORM_ZH[self.form]}”不一致 / status {self.status.value} "
                             f"contradicts form {self.form.value}")
        return self


def new_entry_id() -> str:
    return "EV" + uuid.uuid4().hex[:14].upper()


def entry_row(seeker: dict[str, Any], entry: EmploymentEntry, *, by: str | None, today: date,
              entry_id: str | None = None) -> dict[str, Any]:
    """The stored row of a validated entry about ``seeker`` (pure)."""
    data = entry.model_dump(mode="json")
    data["started_at"] = data.get("started_at") or today.isoformat()
    data.update(id=entry_id or new_entry_id(), seeker_id=seeker["id"], region_code=seeker.get("region_code"),
                recorded_by=by, recorded_at=datetime.now(UTC).isoformat(timespec="seconds"))
    return {"id": data["id"], "seeker_id": seeker["id"], "region_code": seeker.get("region_code"),
            "status": data["status"], "form": data["form"], "started_at": date.fromisoformat(data["started_at"]),
            "source": data["source"], "data": data}


def latest(entries: Iterable[dict[str, Any]], *, until: date | None = None) -> dict[str, Any] | None:
    """The entry in force (the latest started, then the latest recorded), optionally on a day."""
    best = None
    for e in entries:
        if until is not None and e["started_at"] > until.isoformat():
            continue
        if best is None or (e["started_at"], e.get("recorded_at") or "") >= (best["started_at"], best.get("recorded_at") or ""):
            best = e
    return best


def seeker_after(seeker: dict[str, Any], entries: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The seeker record brought in line with the ledger (None when nothing changes). A person who
    is ``seeking`` stays so while the ledger says unemployed."""
    cur = latest(entries)
    if cur is None:
        return None
    status = cur["status"]
    if status == SeekerStatus.unemployed and seeker.get("status") == SeekerStatus.seeking:
        return None
    if seeker.get("status") == status:
        return None
    return {**seeker, "status": status}


def hire_entry(seeker: dict[str, Any], job: dict[str, Any] | None, referral: dict[str, Any], *,
               by: str | None, today: date) -> dict[str, Any]:
    """The ledger row a referral's hire writes (pure)."""
    job = job or {}
    entry = EmploymentEntry(
        form=EmploymentForm.public_welfare if job.get("public_welfare") else EmploymentForm.employer,
        employer_id=job.get("employer_id"), employer_name=job.get("employer_name"),
        workplace=job.get("title"), work_region_code=job.get("region_code"),
        started_at=referral.get("decided_at") or today.isoformat(), source=EmploymentSource.referral,
        referral_id=referral.get("id"), note=referral.get("outcome"))
    return entry_row(seeker, entry, by=by, today=today)


# -- statistics (pure) -------------------------------------------------------------------------------
_CHILD_LEN = {0: 2, 2: 4, 4: 6, 6: 9, 9: 12}


def _child(code: str | None, prefix: str) -> str:
    n = _CHILD_LEN.get(len(prefix))
    if not code or n is None or len(code) < n:
        return "unspecified"
    return code[:n]


def current_forms(seekers: list[dict[str, Any]], entries: list[dict[str, Any]], *,
                  until: date | None = None) -> dict[str, str]:
    """seeker id -> the form in force on ``until`` (``employed_unrecorded`` / ``unemployed`` from the
    record when the ledger has nothing on the person; ``not_yet_recorded`` when the person's ledger
    starts later)."""
    by_seeker: dict[str, list[dict]] = defaultdict(list)
    for e in entries:
        by_seeker[e["seeker_id"]].append(e)
    out = {}
    for s in seekers:
        mine = by_seeker.get(s["id"], [])
        cur = latest(mine, until=until)
        if cur is not None:
            out[s["id"]] = cur["form"]
        elif mine:  # the ledger starts after that day: the record's status now says nothing of then
            out[s["id"]] = NOT_YET_RECORDED
        else:
            out[s["id"]] = UNRECORDED_EMPLOYED if s.get("status") == SeekerStatus.employed else EmploymentForm.unemployed.value
    return out


def _employed(form: str) -> bool:
    return form not in {f.value for f in NOT_EMPLOYED} and form != NOT_YET_RECORDED


def situation(prefix: str, seekers: list[dict[str, Any]], entries: list[dict[str, Any]], *,
              until: date | None = None, names=None) -> dict[str, Any]:
    """The employment situation of an area's people: totals and per division one level down."""
    forms = current_forms(seekers, entries, until=until)
    total = Counter(forms.values())
    rows: dict[str, Counter] = defaultdict(Counter)
    for s in seekers:
        rows[_child(s.get("region_code"), prefix)][forms[s["id"]]] += 1

    def summary(c: Counter) -> dict[str, Any]:
        persons = sum(c.values())
        employed = sum(n for f, n in c.items() if _employed(f))
        return {"persons": persons, "employed": employed, "not_employed": persons - employed,
                "by_form": dict(sorted(c.items()))}

    children = []
    for code in sorted(rows, key=lambda k: (k == "unspecified", k)):
        children.append({"code": code, "name": names(code) if names and code != "unspecified" else None,
                         **summary(rows[code])})
    return {"totals": summary(total), "child_regions": children}


def month_of(day: str) -> str:
    return day[:7]


def monthly_changes(prefix: str, entries: list[dict[str, Any]], *, since: date | None = None,
                    until: date | None = None) -> list[dict[str, Any]]:
    """Per month and division one level down: entries, how many became employed, how many lost or
    left employment (an entry whose status differs from the person's previous one; a person's
    first entry counts as a change when it says employed)."""
    by_seeker: dict[str, list[dict]] = defaultdict(list)
    for e in entries:
        by_seeker[e["seeker_id"]].append(e)
    rows: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for items in by_seeker.values():
        items.sort(key=lambda e: (e["started_at"], e.get("recorded_at") or ""))
        prev = None
        for e in items:
            day = e["started_at"]
            inside = (since is None or day >= since.isoformat()) and (until is None or day < until.isoformat())
            if inside:
                key = (month_of(day), _child(e.get("region_code"), prefix))
                rows[key]["entries"] += 1
                if e["status"] == SeekerStatus.employed and (prev is None or prev != SeekerStatus.employed):
                    rows[key]["became_employed"] += 1
                elif e["status"] != SeekerStatus.employed and prev == SeekerStatus.employed:
                    rows[key]["left_employment"] += 1
            prev = e["status"]
    return [{"month": m, "code": code, "entries": c["entries"], "became_employed": c["became_employed"],
             "left_employment": c["left_employment"]}
            for (m, code), c in sorted(rows.items())]


# -- store reads and writes ------------------------------------------------------------------------
def entries_of(store, seeker_id: str) -> list[dict[str, Any]]:
    """A person's ledger, oldest first."""
    from matcher.store import worklog

    rows, _ = worklog.query(store, "employment", seeker_id=seeker_id, order="started_at", limit=10_000)
    return sorted(rows, key=lambda e: (e["started_at"], e.get("recorded_at") or ""))


def record_entry(engine, seeker: dict[str, Any], entry: EmploymentEntry, *, by: str | None,
                 today: date | None = None) -> dict[str, Any]:
    """Append an entry to ``seeker``'s ledger and bring the seeker's status in line with it (one
    transaction; the index follows the seeker's change)."""
    from matcher.engine import coerce_records
    from matcher.store import worklog

    today = today or date.today()
    row = entry_row(seeker, entry, by=by, today=today)
    store = engine.store
    with engine.writing():
        changed = seeker_after(seeker, [*entries_of(store, seeker["id"]), row["data"]])
        with store.transaction() as conn:
            worklog.insert(store, "employment", row, conn=conn)
            if changed is not None:
                store.upsert("seeker", coerce_records("seeker", [changed]), conn=conn)
        if changed is not None:
            engine.refresh("seeker")
    return row["data"]


def record_hire(store, conn, seeker: dict[str, Any] | None, job: dict[str, Any] | None,
                referral: dict[str, Any], *, by: str | None = None, today: date | None = None) -> None:
    """Within a referral's hire transaction: the ledger entry of the hire."""
    from matcher.store import worklog

    if seeker is None:
        return
    worklog.insert(store, "employment", hire_entry(seeker, job, referral, by=by, today=today or date.today()),
                   conn=conn)


def area_entries(store, prefix: str, *, until: date | None = None) -> list[dict[str, Any]]:
    from matcher.store import worklog

    return list(worklog.iter_rows(store, "employment", region_prefix=prefix or None, until=until))


def employment_stats(engine, prefix: str, *, since: date | None = None, until: date | None = None) -> dict[str, Any]:
    """``GET /v1/stats/employment``: the situation on ``until`` (exclusive; default: now) and the
    monthly changes of [since, until), by the divisions one level below ``prefix``."""
    store = engine.store
    seekers = list(store.iter_dicts("seeker", **({"region_prefix": prefix} if prefix else {})))
    entries = area_entries(store, prefix)  # all of them: a later first entry says "not yet recorded" then
    ctx = engine.ctx

    def names(code: str) -> str | None:
        place = ctx.gazetteer.get(code) if len(code) in (2, 4, 6, 9) else None
        return place.name if place is not None else None

    last_day = None if until is None else date.fromordinal(until.toordinal() - 1)
    out = {"region_code": prefix or None, "region_name": names(prefix) if prefix else None,
           "from": since.isoformat() if since else None, "to": until.isoformat() if until else None,
           "forms": {f.value: z for f, z in FORM_ZH.items()} | {UNRECORDED_EMPLOYED: "已就业（未登记形式）",
                                                                    NOT_YET_RECORDED: "当时尚未建档"}}
    out.update(situation(prefix, seekers, entries, until=last_day, names=names))
    out["monthly"] = monthly_changes(prefix, entries, since=since, until=until)
    return out
