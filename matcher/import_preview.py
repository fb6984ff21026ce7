"""Imports as a desk uses them: ids optional (generated, or found by natural key), a preview of
what a file would do before it is committed, and a template with Chinese headers.

* **Natural keys.** A seeker row without an id is the stored seeker with the same ID number, if
  there is one, else a new seeker with a generated id; an employer row likewise by its unified
  social credit code; other kinds get a generated id. A row *with* an id whose ID number (credit
  code) already belongs to another record is rejected as a duplicate, so one person is never
  registered twice. Two id-less rows with the same key in one file are the same record.
* **Preview.** :func:`preview` validates and authorises a file exactly as the import would, and
  says how many rows would be inserted, updated, left unchanged or rejected (with every row error),
  writing nothing. The client then commits by uploading the same file to the import route, or
  cancels by doing nothing.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import uuid
from collections.abc import Callable
from typing import Any

from matcher.errors import FieldError
from matcher.records import RECORD_TYPES, Record

ID_PREFIX = {"job": "J", "seeker": "S", "employer": "E", "station": "ST", "referral": "R"}
NEW_ID_MARK = "__new__"  # the placeholder id of a row without one (never stored)

# the fields a template offers, per kind, in this order (everything else can still be imported)
TEMPLATE_FIELDS: dict[str, tuple[str, ...]] = {
    "seeker": ("id", "name", "id_number", "phone", "gender", "birth_date", "education", "skills",
               "desired_occupations", "experience", "certificates", "region_code", "address", "area_type",
               "desired_wage_min", "employment_types", "priority_groups", "status", "station_id",
               "consent_to_share"),
    "employer": ("id", "name", "credit_code", "industry", "region_code", "address", "contact_name", "contact_phone"),
    "job": ("id", "title", "employer_id", "employer_name", "description", "skills", "occupation_code", "region_code",
            "address", "wage_min", "wage_max", "employment_type", "education_min", "headcount", "posted_at",
            "expires_at", "status"),
    "station": ("id", "name", "kind", "region_code", "address", "lat", "lng"),
}


def new_record_id(kind: str) -> str:
    return ID_PREFIX.get(kind, "X") + uuid.uuid4().hex[:12].upper()


def placeholder(row: int) -> str:
    return f"{NEW_ID_MARK}{row}"


def is_placeholder(record_id: str) -> bool:
    return record_id.startswith(NEW_ID_MARK)


def natural_key(kind: str, rec: Record) -> str | None:
    """The key a record is matched by when it has no id (a hash for ID numbers)."""
    from matcher.store.store import id_number_key

    if kind == "seeker":
        return id_number_key(getattr(rec, "id_number", None))
    if kind == "employer":
        return getattr(rec, "credit_code", None) or None
    return None


def _stored_by_key(store, kind: str, keys: list[str]) -> dict[str, list[dict[str, Any]]]:
    from matcher.store import worklog

    if kind == "seeker":
        return worklog.seekers_by_id_key(store, keys)
    if kind == "employer":
        return worklog.employers_by_credit_code(store, keys)
    return {}


def duplicate_error(kind: str, other_id: str) -> FieldError:
    if kind == "seeker":
        return FieldError("id_number", f"该身份证号已登记（求职者编号 {other_id}）/ this ID number is already registered "
                                       f"(seeker {other_id})")
    return FieldError("credit_code", f"该统一社会信用代码已登记（单位编号 {other_id}）/ this credit code is already "
                                     f"registered (employer {other_id})")


def assign_ids(store, kind: str, records: list[Record], rows: list[int]) -> list[FieldError | None]:
    """Give id-less records (placeholder ids) their stored id by natural key, or a new one; check
    records with an id for a natural key held by another record. Returns, per record, None or the
    error that rejects its row. Records are changed in place."""
    keys = [natural_key(kind, r) for r in records]
    stored = _stored_by_key(store, kind, [k for k in keys if k])
    in_file: dict[str, str] = {}
    out: list[FieldError | None] = []
    for rec, key in zip(records, keys, strict=True):
        owners = [d["id"] for d in stored.get(key, [])] if key else []
        if is_placeholder(rec.id):
            rec.id = (owners[0] if owners else None) or (in_file.get(key) if key else None) or new_record_id(kind)
            if key:
                in_file.setdefault(key, rec.id)
            out.append(None)
        else:
            others = [o for o in owners if o != rec.id]
            out.append(duplicate_error(kind, others[0]) if others else None)
            if key:
                in_file.setdefault(key, rec.id)
    return out


def duplicate_of(store, kind: str, data: dict[str, Any]) -> str | None:
    """The id of another stored record with the same natural key as ``data`` (a single write)."""
    rec = RECORD_TYPES[kind].model_validate(data)
    key = natural_key(kind, rec)
    if not key:
        return None
    others = [d["id"] for d in _stored_by_key(store, kind, [key]).get(key, []) if d["id"] != data.get("id")]
    return others[0] if others else None


@dataclasses.dataclass
class Preview:
    kind: str
    rows: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    matched_by_key: int
    errors: list[FieldError]
    ignored_columns: list[str]
    sample: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "errors": [dataclasses.asdict(e) for e in self.errors]}


def preview(store, kind: str, data: bytes, fmt: str,
            authorize: Callable[[list[dict[str, Any]]], list[FieldError | None]] | None = None,
            sample_size: int = 20, limits=None) -> Preview:
    """What importing this file would do; writes nothing. ``limits`` (an ``ImportLimits``) bounds
    the file as for a real import; the listed errors are bounded the same way."""
    from matcher.importing import DEFAULT_LIMITS, parse_file

    limits = limits or DEFAULT_LIMITS
    parsed = parse_file(kind, f"upload.{fmt}", fmt=fmt, data=data, limits=limits)
    placeholders = {i for i, r in enumerate(parsed.records) if is_placeholder(r.id)}
    refusals = assign_ids(store, kind, parsed.records, parsed.row_numbers)
    if authorize is not None and parsed.records:
        refusals = [a or b for a, b in zip(refusals, authorize([r.to_dict() for r in parsed.records]), strict=True)]
    kept: list[tuple[int, Record]] = []
    for i, (rec, n, why) in enumerate(zip(parsed.records, parsed.row_numbers, refusals, strict=True)):
        if why is None:
            kept.append((i, rec))
        else:
            parsed.errors.append(dataclasses.replace(why, row=n))
            parsed.rejected += 1
    from matcher.importing import bounded_errors

    existing = store.get_dicts(kind, [r.id for _, r in kept])
    latest = {r.id: r.to_dict() for _, r in kept}
    inserted = sum(1 for rid in latest if rid not in existing)
    unchanged = sum(1 for rid, d in latest.items() if rid in existing and existing[rid] == d)
    matched = sum(1 for i, r in kept if i in placeholders and r.id in existing)
    return Preview(kind=kind, rows=parsed.rows, inserted=inserted, updated=len(latest) - inserted - unchanged,
                   unchanged=unchanged, rejected=parsed.rejected, matched_by_key=matched,
                   errors=bounded_errors(sorted(parsed.errors, key=lambda e: e.row or 0), limits.max_errors),
                   ignored_columns=parsed.ignored_columns[:limits.max_errors],
                   sample=[{**r.to_dict(), "_row": parsed.row_numbers[i], "_existing": r.id in existing}
                           for i, r in kept[:sample_size]])


# -- templates ------------------------------------------------------------------------------------------
def template_headers(kind: str) -> list[str]:
    """The Chinese header of each template field (the first alias the importer reads for it)."""
    from matcher.importing import HEADER_ALIASES

    aliases = HEADER_ALIASES[kind]
    out = []
    for name in TEMPLATE_FIELDS[kind]:
        zh = next((a for a, f in aliases.items() if f == name and a not in ("序号编号",)), name)
        out.append(f"{zh}（可不填，自动生成）" if name == "id" else zh)
    return out


def template_csv(kind: str) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerow(template_headers(kind))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def template_xlsx(kind: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "导入模板"
    ws.append(template_headers(kind))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    # text columns stay text (ID numbers and codes must not become numbers)
    for col in ws.iter_cols(min_row=1, max_row=200):
        for cell in col:
            cell.number_format = "@"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
