"""The append-only audit log of personal-data reads: who read which record, when and why.

Written in the same request that reads the data, before the answer leaves, so no unmasked read
goes unrecorded. Only ids, the account, the action and the stated purpose are kept: never the
data itself. The table refuses UPDATE and DELETE (database triggers, migration 0002).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from matcher.access import Principal

# Default purposes, per action, when the caller states none (header X-Purpose in the API).
PURPOSES = {
    "seeker.read": "查看求职者档案 / view a seeker's record",
    "seeker.list": "查看求职者名单 / list seekers",
    "seeker.write": "登记或修改求职者档案 / register or change a seeker",
    "seeker.contact": "经求职者同意向用人单位提供联系方式 / contact details shared with the seeker's consent",
    "seeker.export": "导出求职者 / export seekers",
    "digest.read": "查看每日推送（含求职者名单）/ read a daily digest with its seekers",
    "candidates.query": "用人单位查询候选人 / an employer's candidate search",
    "consent.give": "记录求职者同意 / record a seeker's consent",
    "consent.revoke": "记录求职者撤回同意 / record a seeker's withdrawn consent",
}


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    account_id: str
    account_name: str
    role: str
    action: str
    kind: str
    record_id: str
    region_code: str | None
    purpose: str

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "at": self.at.isoformat()}


def clean_purpose(purpose: str | None, action: str) -> str:
    text = " ".join((purpose or "").split())[:200]
    return text or PURPOSES.get(action, action)


def record_reads(store, principal: Principal, action: str, kind: str, records: Iterable[dict[str, Any]],
                 purpose: str | None = None, *, conn=None) -> int:
    """Append one entry per record read; returns how many were written."""
    now = datetime.now(UTC)
    why = clean_purpose(purpose, action)
    rows = [{"at": now, "account_id": principal.account_id, "account_name": principal.name,
             "role": principal.role.value, "action": action, "kind": kind, "record_id": str(r["id"])[:64],
             "region_code": r.get("region_code"), "purpose": why} for r in records]
    store.access.append_audit(rows, conn=conn)
    return len(rows)


def query(store, *, region_prefix: str | None = None, account: str | None = None, record_id: str | None = None,
          action: str | None = None, since: datetime | None = None, until: datetime | None = None,
          offset: int = 0, limit: int = 100) -> tuple[list[AuditEntry], int]:
    """Entries, newest first, and the total that match."""
    rows, total = store.access.query_audit(region_prefix=region_prefix, account=account, record_id=record_id,
                                           action=action, since=since, until=until, offset=offset, limit=limit)
    out = [AuditEntry(r.id, r.at if r.at.tzinfo else r.at.replace(tzinfo=UTC), r.account_id, r.account_name, r.role,
                      r.action, r.kind, r.record_id, r.region_code, r.purpose) for r in rows]
    return out, total
