"""Assistance cases (实名帮扶): every employment-assistance target has a named staff member
responsible, a help plan and dated follow-ups (contacts) that continue after a hire until the
difficulties are solved.

A case is ``open`` until closed by staff; a hire does not close it (the follow-ups then ask whether
the job was kept and what difficulties remain). Its ``next_due`` is the newest contact's (or the
date set when the case was opened); a case is **overdue** when it is open and ``next_due`` has
passed. Its ``difficulty`` is the newest contact's unless that contact marked it solved.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from matcher.records import Bool, Day, RecordId, Text, _enum
from matcher.vocab import ALIASES


class CaseStatus(StrEnum):
    open = "open"
    closed = "closed"


class ContactChannel(StrEnum):
    visit = "visit"      # 上门走访
    phone = "phone"      # 电话
    desk = "desk"        # 到站面谈
    remote = "remote"    # 远程（微信、视频）
    other = "other"


CASE_STATUS_ZH = {CaseStatus.open: "帮扶中", CaseStatus.closed: "已结案"}
CHANNEL_ZH = {ContactChannel.visit: "上门走访", ContactChannel.phone: "电话", ContactChannel.desk: "到站面谈",
              ContactChannel.remote: "远程", ContactChannel.other: "其他"}


ALIASES[CaseStatus] = {"帮扶中": "open", "在办": "open", "已结案": "closed", "结案": "closed"}
ALIASES[ContactChannel] = {v: k.value for k, v in CHANNEL_ZH.items()} | {"上门": "visit", "走访": "visit",
                                                                        "面谈": "desk", "微信": "remote", "视频": "remote"}


class CaseCreate(BaseModel):
    """开案：一名援助对象、责任人、帮扶计划 / open an assistance case."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    seeker_id: RecordId = Field(min_length=1, max_length=64)
    owner: Text = Field(default=None, max_length=100, description="责任人（账号名称）；不填为未指定 / the responsible "
                                                                  "staff member (an account name)")
    plan: Text = Field(default=None, max_length=5_000, description="帮扶计划 / the help plan")
    status: Annotated[CaseStatus, BeforeValidator(_enum(CaseStatus))] = CaseStatus.open
    next_due: Day = Field(default=None, description="首次跟进日期 / first follow-up due")


class CaseUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    owner: Text = Field(default=None, max_length=100)
    plan: Text = Field(default=None, max_length=5_000)
    status: Annotated[CaseStatus | None, BeforeValidator(_enum(CaseStatus))] = None
    next_due: Day = None


class ContactCreate(BaseModel):
    """一次跟进：渠道、日期、做了什么、困难、下次跟进 / one follow-up contact."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    channel: Annotated[ContactChannel, BeforeValidator(_enum(ContactChannel))] = Field(
        description="visit 上门走访 | phone 电话 | desk 到站面谈 | remote 远程 | other 其他")
    at: Day = Field(default=None, description="日期（默认今天）/ date (default today)")
    note: Text = Field(default=None, max_length=5_000, description="做了什么 / what was done")
    difficulty: Text = Field(default=None, max_length=2_000, description="仍存在的困难 / difficulties found")
    difficulty_solved: Bool = Field(default=False, description="困难已解决 / the difficulties are solved")
    job_kept: Bool = Field(default=None, description="（就业后回访）是否稳定在岗 / after a hire: job kept?")
    next_due: Day = Field(default=None, description="下次跟进日期 / next follow-up due")


def new_case_id() -> str:
    return "C" + uuid.uuid4().hex[:12].upper()


def new_contact_id() -> str:
    return "CT" + uuid.uuid4().hex[:12].upper()


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


# -- pure rules --------------------------------------------------------------------------------------
def is_overdue(case: dict[str, Any], today: date) -> bool:
    return case.get("status") == CaseStatus.open and bool(case.get("next_due")) and case["next_due"] < today.isoformat()


def with_flags(case: dict[str, Any], today: date) -> dict[str, Any]:
    """The case as answered: plus ``overdue`` (computed for today)."""
    return {**case, "overdue": is_overdue(case, today)}


def mine_order(cases: list[dict[str, Any]], today: date) -> list[dict[str, Any]]:
    """我负责的援助对象: open cases first, overdue first, then by the date the next follow-up is due."""
    def key(c):
        return (c.get("status") != CaseStatus.open, not is_overdue(c, today), c.get("next_due") is None,
                c.get("next_due") or "", c["id"])
    return sorted(cases, key=key)


def new_case(seeker: dict[str, Any], body: CaseCreate, *, by: str | None, today: date) -> dict[str, Any]:
    return {"id": new_case_id(), "seeker_id": seeker["id"], "region_code": seeker.get("region_code"),
            "owner": body.owner, "plan": body.plan, "status": body.status.value, "next_due": _iso(body.next_due),
            "opened_at": today.isoformat(), "opened_by": by, "closed_at": None, "difficulty": None,
            "last_contact_at": None, "contacts": 0}


def updated_case(case: dict[str, Any], changes: dict[str, Any], *, today: date) -> dict[str, Any]:
    out = dict(case)
    for key in ("owner", "plan", "next_due", "status"):
        if key in changes:
            value = changes[key]
            out[key] = value.isoformat() if isinstance(value, date) else (value.value if isinstance(value, StrEnum) else value)
    if out.get("status") is None:
        out["status"] = case.get("status", CaseStatus.open.value)
    if out["status"] == CaseStatus.closed and case.get("status") != CaseStatus.closed:
        out["closed_at"] = today.isoformat()
    elif out["status"] == CaseStatus.open:
        out["closed_at"] = None
    return out


def after_contact(case: dict[str, Any], contact: dict[str, Any]) -> dict[str, Any]:
    """The case after a follow-up: its next due date, open difficulty and last contact. A contact
    dated before the newest one already recorded changes nothing but the count."""
    out = {**case, "contacts": int(case.get("contacts") or 0) + 1}
    if case.get("last_contact_at") and contact["at"] < case["last_contact_at"]:
        return out
    out["last_contact_at"] = contact["at"]
    out["next_due"] = contact.get("next_due")
    if contact.get("difficulty_solved"):
        out["difficulty"] = None
    elif contact.get("difficulty"):
        out["difficulty"] = contact["difficulty"]
    return out


def case_row(case: dict[str, Any]) -> dict[str, Any]:
    return {"id": case["id"], "seeker_id": case["seeker_id"], "region_code": case.get("region_code"),
            "owner": case.get("owner"), "status": case["status"],
            "next_due": date.fromisoformat(case["next_due"]) if case.get("next_due") else None, "data": case}


def contact_record(case: dict[str, Any], body: ContactCreate, *, by: str | None, today: date) -> dict[str, Any]:
    data = body.model_dump(mode="json")
    data["at"] = data.get("at") or today.isoformat()
    return {**data, "id": new_contact_id(), "case_id": case["id"], "staff": by,
            "recorded_at": datetime.now(UTC).isoformat(timespec="seconds")}
