"""Bulk import of records from the files stations actually keep: CSV (UTF-8 or GBK/GB18030 as
Chinese Excel exports them), XLSX and JSONL, with Chinese column headers.

Reading and validating are pure; the one write is a single transaction, so a file is either
imported (all rows, or all good rows with ``on_error="skip"``) or not at all.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from matcher.errors import FieldError, ImportRejected, ValidationFailed
from matcher.import_preview import assign_ids, placeholder
from matcher.records import RECORD_TYPES, Record, field_errors, is_blank

OnError = Literal["abort", "skip"]


@dataclass(frozen=True)
class ImportLimits:
    """What one imported file may hold; a file over any limit is refused before its rows are read
    into memory (an XLSX is measured from its zipped XML, a CSV from its text, streaming)."""

    max_rows: int = 200_000
    max_columns: int = 200
    max_cells: int = 10_000_000
    max_cell_chars: int = 20_000
    max_json_depth: int = 8
    max_unpacked_bytes: int = 200 * 1024 * 1024  # an XLSX's XML, unzipped
    max_errors: int = 200  # row errors listed in a report or a refusal (the count is always given)


DEFAULT_LIMITS = ImportLimits()


def _too_large(what: str, limit: int) -> ValidationFailed:
    return ValidationFailed([FieldError(
        None, f"文件过大：{what}超过上限 {limit:,} / file too large: more {_EN[what]} than the limit of {limit:,}")])


_EN = {"行数": "rows", "列数": "columns", "单元格数": "cells", "单元格长度": "characters in one cell",
       "解压后大小（字节）": "unpacked bytes", "嵌套层数": "levels of nesting"}

# Chinese (and common variant) column headers accepted for each kind's fields.
_COMMON = {
    "编号": "id", "序号编号": "id", "区划代码": "region_code", "所属区划代码": "region_code",
    "行政区划代码": "region_code", "统计用区划代码": "region_code", "地址": "address", "详细地址": "address",
    "纬度": "lat", "经度": "lng",
}
HEADER_ALIASES: dict[str, dict[str, str]] = {
    "job": {
        **_COMMON, "岗位编号": "id", "职位编号": "id", "职位名称": "title", "岗位名称": "title", "职位": "title",
        "岗位": "title", "招聘岗位": "title", "职位描述": "description", "岗位描述": "description",
        "工作内容": "description", "岗位职责": "description", "技能要求": "skills", "技能": "skills",
        "职业编码": "occupation_code", "职业代码": "occupation_code", "单位编号": "employer_id",
        "企业编号": "employer_id", "用人单位编号": "employer_id", "单位名称": "employer_name",
        "企业名称": "employer_name", "公司": "employer_name", "公司名称": "employer_name",
        "用人单位": "employer_name", "工作地址": "address", "工作地点": "address", "薪资下限": "wage_min",
        "最低薪资": "wage_min", "最低工资": "wage_min", "月薪下限": "wage_min", "薪资上限": "wage_max",
        "最高薪资": "wage_max", "最高工资": "wage_max", "月薪上限": "wage_max", "用工形式": "employment_type",
        "用工类型": "employment_type", "工作性质": "employment_type", "学历要求": "education_min",
        "最低学历": "education_min", "学历": "education_min", "经验要求": "experience_years_min",
        "工作年限": "experience_years_min", "所需经验": "experience_years_min", "招聘人数": "headcount",
        "人数": "headcount", "无障碍": "accessible", "残疾人友好": "accessible", "适合残疾人": "accessible",
        "欢迎群体": "priority_groups_welcome", "优先群体": "priority_groups_welcome",
        "发布日期": "posted_at", "发布时间": "posted_at", "截止日期": "expires_at", "有效期至": "expires_at",
        "状态": "status", "岗位状态": "status", "年龄下限": "age_min", "最小年龄": "age_min",
        "年龄上限": "age_max", "最大年龄": "age_max", "资格证书要求": "licenses_required",
        "证书要求": "licenses_required", "公益性岗位": "public_welfare",
    },
    "seeker": {
        **_COMMON, "求职者编号": "id", "人员编号": "id", "姓名": "name", "身份证号": "id_number",
        "身份证号码": "id_number", "公民身份号码": "id_number", "手机号": "phone", "手机号码": "phone",
        "联系电话": "phone", "电话": "phone", "性别": "gender", "出生日期": "birth_date", "学历": "education",
        "文化程度": "education", "技能": "skills", "技能特长": "skills", "求职意向": "desired_occupations",
        "意向职业": "desired_occupations", "期望职业": "desired_occupations", "意向岗位": "desired_occupations",
        "工作经历": "experience", "工作经验": "experience", "证书": "certificates",
        "职业资格证书": "certificates", "住址": "address", "居住地址": "address", "家庭住址": "address",
        "城乡类型": "area_type", "城乡": "area_type", "最长通勤时间": "max_commute_minutes",
        "通勤时间": "max_commute_minutes", "最远距离": "max_distance_km", "最远通勤距离": "max_distance_km",
        "愿意异地就业": "willing_to_relocate", "是否愿意外出": "willing_to_relocate",
        "期望薪资": "desired_wage_min", "期望月薪": "desired_wage_min", "最低期望薪资": "desired_wage_min",
        "用工形式": "employment_types", "期望用工形式": "employment_types", "就业困难类别": "priority_groups",
        "重点群体": "priority_groups", "人员类别": "priority_groups", "就业状态": "status", "状态": "status",
        "所属服务站": "station_id", "服务站编号": "station_id", "同意共享": "consent_to_share",
        "同意推荐": "consent_to_share", "授权共享": "consent_to_share", "出行方式": "travel_mode",
    },
    "employer": {
        **_COMMON, "单位编号": "id", "企业编号": "id", "单位名称": "name", "企业名称": "name", "名称": "name",
        "统一社会信用代码": "credit_code", "信用代码": "credit_code", "行业": "industry", "所属行业": "industry",
        "联系人": "contact_name", "联系电话": "contact_phone",
    },
    "station": {
        **_COMMON, "服务站编号": "id", "站点编号": "id", "服务站名称": "name", "站点名称": "name", "名称": "name",
        "类型": "kind", "站点类型": "kind", "城镇圈分钟": "urban_circle_minutes", "乡村圈公里": "rural_circle_km",
    },
    "referral": {
        **_COMMON, "推荐编号": "id", "求职者编号": "seeker_id", "岗位编号": "job_id", "服务站编号": "station_id",
        "状态": "status", "结果": "outcome", "备注": "notes", "推荐日期": "referred_at", "面试日期": "interview_at",
        "结果日期": "decided_at",
    },
}


def normalize_header(header: Any) -> str:
    """'职位名称（必填）*' -> '职位名称'; 'Wage_Min ' -> 'wage_min'."""
    text = str(header).strip().replace("\ufeff", "")
    text = re.sub(r"[（(][^）)]*[）)]", "", text)
    text = text.replace("*", "").replace(" ", "").replace("\u3000", "")
    return text.lower() if text.isascii() else text


def map_headers(kind: str, headers: list[Any]) -> tuple[dict[str, str], list[str]]:
    """Map file headers to field names. Returns (header -> field, ignored headers)."""
    model = RECORD_TYPES[kind]
    fields = set(model.model_fields)
    aliases = HEADER_ALIASES[kind]
    mapping, ignored = {}, []
    for h in headers:
        key = normalize_header(h)
        name = key if key in fields else aliases.get(key)
        if name and name not in mapping.values():
            mapping[h] = name
        else:
            ignored.append(str(h))
    return mapping, ignored


def decode_text(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK, as Chinese Excel writes).

    NUL bytes are refused first: no text file of ours has them, and a UTF-16 file (Excel's
    "Unicode text") would otherwise "decode" as GB18030 into nonsense."""
    if b"\x00" in raw:
        raise ValidationFailed([FieldError(
            None, "文件编码无法识别：含有空字节，可能是 UTF-16 编码或已损坏，请另存为 UTF-8 或 GBK 编码的 CSV / file "
                  "encoding not recognised: it has NUL bytes (UTF-16 or damaged); save it as a UTF-8 or GBK CSV")])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        raise ValidationFailed(
            [FieldError(None, "文件编码无法识别（应为 UTF-8 或 GBK）/ file encoding not recognised (use UTF-8 or GBK)")]
        ) from None


def json_depth(value: Any, limit: int) -> int:
    """Nesting depth of a parsed JSON value, counted up to ``limit + 1`` (no deeper)."""
    if limit < 0 or not isinstance(value, dict | list):
        return 0
    items = value.values() if isinstance(value, dict) else value
    return 1 + max((json_depth(v, limit - 1) for v in items), default=0)


def check_json_nesting(text: str | bytes, limit: int) -> None:
    """Refuse JSON nested deeper than ``limit`` before parsing it (a deep enough document makes the
    parser itself fail). Counts brackets outside strings; linear, no allocation."""
    depth = 0
    in_str = esc = False
    data = text.encode("utf-8") if isinstance(text, str) else text
    for b in data:
        if in_str:
            if esc:
                esc = False
            elif b == 0x5C:
                esc = True
            elif b == 0x22:
                in_str = False
        elif b == 0x22:
            in_str = True
        elif b in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                raise _too_large("嵌套层数", limit)
        elif b in (0x5D, 0x7D):
            depth -= 1


def cell_position(ref: str) -> tuple[int, int]:
    """``"ALL50000"`` -> (column 1000, row 50000); (0, 0) for what is not a cell reference."""
    col = i = 0
    while i < len(ref) and "A" <= ref[i] <= "Z":
        col = col * 26 + (ord(ref[i]) - 64)
        i += 1
    row = ref[i:]
    return col, int(row) if row.isdigit() else 0


def check_xlsx_size(raw: bytes, limits: ImportLimits) -> None:
    """Measure an XLSX before a spreadsheet library reads it: the unzipped size, and in every sheet
    the rows and the furthest column actually used (a single cell at column ALL50000 would make a
    reader pad every row to 50,000 cells). Streams the sheet XML; nothing is kept."""
    from xml.etree.ElementTree import ParseError, iterparse

    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile:
        return  # not a workbook: the reader reports it
    with zf:
        infos = zf.infolist()
        if sum(i.file_size for i in infos) > limits.max_unpacked_bytes:
            raise _too_large("解压后大小（字节）", limits.max_unpacked_bytes)
        for info in infos:
            if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                continue
            # rows and columns as the references say (a reader pads up to the furthest one), not as
            # counted: one <row r="1000000"> is a million rows to a reader
            rows = max_col = count = 0
            try:
                with zf.open(info) as fh:
                    for _event, elem in iterparse(fh, events=("start",)):
                        tag = elem.tag.rsplit("}", 1)[-1]
                        if tag == "row":
                            count += 1
                            r = elem.get("r")
                            rows = max(rows, int(r) if r and r.isdigit() else count)
                        elif tag == "c":
                            col, row = cell_position(elem.get("r") or "")
                            max_col, rows = max(max_col, col), max(rows, row)
                        else:
                            continue
                        elem.clear()
                        if rows > limits.max_rows + 1:  # + the header row
                            raise _too_large("行数", limits.max_rows)
                        if max_col > limits.max_columns:
                            raise _too_large("列数", limits.max_columns)
                        if rows * max_col > limits.max_cells:
                            raise _too_large("单元格数", limits.max_cells)
            except (ParseError, zipfile.BadZipFile, EOFError):
                return  # broken: the reader reports it


def check_csv_size(text: str, limits: ImportLimits) -> None:
    """Rows, columns and cell length of a CSV, streamed with the csv module before pandas reads it.
    (The csv module's own field limit, 128 KiB by default, stops a giant cell before it is built.)"""
    try:
        width = 0
        for n, row in enumerate(csv.reader(io.StringIO(text))):
            if n == 0:
                width = len(row)
            if len(row) > limits.max_columns:
                raise _too_large("列数", limits.max_columns)
            if n > limits.max_rows:
                raise _too_large("行数", limits.max_rows)
            if n * max(width, 1) > limits.max_cells:
                raise _too_large("单元格数", limits.max_cells)
            if any(len(cell) > limits.max_cell_chars for cell in row):
                raise _too_large("单元格长度", limits.max_cell_chars)
    except csv.Error:
        raise _too_large("单元格长度", limits.max_cell_chars) from None


def read_rows(path: Path | str, fmt: str | None = None, data: bytes | None = None,
              limits: ImportLimits = DEFAULT_LIMITS) -> tuple[list[Any], Iterator[tuple[int, dict]]]:
    """Read a CSV/XLSX/JSONL file into (headers, iterator of (row number, raw row)).

    Row numbers are what the user sees: the spreadsheet row (header is row 1) or the JSONL line.
    A file over ``limits`` is refused (:class:`ValidationFailed`) before its rows are read."""
    import pandas as pd

    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    raw = data if data is not None else _read_bytes(path)
    if fmt in ("jsonl", "ndjson", "json"):
        text = decode_text(raw)
        rows: list[tuple[int, dict]] = []
        headers: dict[str, None] = {}
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            if len(rows) >= limits.max_rows:
                raise _too_large("行数", limits.max_rows)
            try:
                check_json_nesting(line, limits.max_json_depth)
                obj = json.loads(line)
            except ValidationFailed:
                rows.append((n, {"__error__": f"JSON 嵌套超过 {limits.max_json_depth} 层 / JSON nested deeper than "
                                              f"{limits.max_json_depth} levels"}))
                continue
            except json.JSONDecodeError as e:
                rows.append((n, {"__error__": f"JSON 格式错误：{e.msg} / malformed JSON: {e.msg}"}))
                continue
            if not isinstance(obj, dict):
                rows.append((n, {"__error__": "每行应为一个 JSON 对象 / each line must be a JSON object"}))
                continue
            if len(obj) > limits.max_columns:
                raise _too_large("列数", limits.max_columns)
            headers.update(dict.fromkeys(obj))
            if len(headers) > limits.max_columns:
                raise _too_large("列数", limits.max_columns)
            rows.append((n, obj))
        return list(headers), iter(rows)
    if fmt == "csv":
        text = decode_text(raw)
        check_csv_size(text, limits)
        try:
            df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as e:
            raise ValidationFailed([FieldError(None, f"CSV 文件无法解析 / CSV cannot be parsed: {e}")]) from None
    elif fmt in ("xlsx", "xlsm", "xls"):
        if fmt != "xls":
            check_xlsx_size(raw, limits)
        try:
            df = pd.read_excel(io.BytesIO(raw), dtype=object, engine="openpyxl" if fmt != "xls" else None)
        except Exception as e:  # broken workbooks raise many different types
            raise ValidationFailed(
                [FieldError(None, f"Excel 文件已损坏或格式不对 / broken or unsupported Excel file: {type(e).__name__}")]
            ) from None
    else:
        raise ValidationFailed(
            [FieldError(None, f"不支持的文件类型 .{fmt}（支持 csv、xlsx、jsonl）/ unsupported file type .{fmt}")]
        )
    headers = list(df.columns)
    records = df.to_dict(orient="records")
    return headers, ((i + 2, row) for i, row in enumerate(records))


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ValidationFailed([FieldError(None, f"文件不存在：{path} / file not found: {path}")]) from None


@dataclass
class ParsedFile:
    records: list[Record] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    rows: int = 0
    rejected: int = 0


def parse_records(
    kind: str,
    headers: list[Any],
    rows: Iterator[tuple[int, dict]],
    *,
    progress: Callable[[int], None] | None = None,
) -> ParsedFile:
    """Validate raw rows into records; every bad row is reported with its number, field and reason."""
    model = RECORD_TYPES[kind]
    mapping, ignored = map_headers(kind, headers)
    out = ParsedFile(ignored_columns=ignored)
    for n, raw in rows:
        out.rows += 1
        if progress:
            progress(1)
        if "__error__" in raw:
            out.errors.append(FieldError(None, raw["__error__"], row=n))
            out.rejected += 1
            continue
        values = {mapping[k]: v for k, v in raw.items() if k in mapping}
        if is_blank(values.get("id")):  # ids are optional: found by natural key or generated (import_preview)
            values["id"] = placeholder(n)
        try:
            out.records.append(model.model_validate(values))
            out.row_numbers.append(n)
        except ValidationError as e:
            out.errors.extend(field_errors(e, row=n))
            out.rejected += 1
    return out


@dataclass
class ImportReport:
    kind: str
    rows: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    errors: list[FieldError]
    ignored_columns: list[str]
    ids: list[str] = field(default_factory=list, repr=False)

    def summary(self) -> str:
        return (
            f"导入完成：新增 {self.inserted} 条，更新 {self.updated} 条，未变 {self.unchanged} 条，拒绝 {self.rejected} 行"
            f" / imported: {self.inserted} inserted, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.rejected} rejected"
        )


def parse_file(kind: str, path: Path | str, *, fmt: str | None = None, data: bytes | None = None,
               limits: ImportLimits = DEFAULT_LIMITS, show_progress: bool = False) -> ParsedFile:
    """Read and validate a whole file (no store access: run it outside any write lock)."""
    from tqdm import tqdm

    if kind not in RECORD_TYPES:
        raise ValidationFailed([FieldError("kind", f"未知的记录类型 {kind} / unknown record kind {kind}")])
    headers, rows = read_rows(path, fmt=fmt, data=data, limits=limits)
    with tqdm(desc=f"校验 / validating {kind}", unit="行", disable=not show_progress, leave=False) as bar:
        return parse_records(kind, headers, rows, progress=bar.update)


def bounded_errors(errors: list[FieldError], limit: int) -> list[FieldError]:
    """At most ``limit`` errors, then one line saying how many more there were."""
    if len(errors) <= limit:
        return errors
    more = len(errors) - limit
    return [*errors[:limit], FieldError(None, f"另有 {more} 个错误未列出 / {more} more errors not listed")]


def write_parsed(
    store,
    kind: str,
    parsed: ParsedFile,
    *,
    on_error: OnError = "abort",
    write: Callable[[list[Record]], Any] | None = None,
    authorize: Callable[[list[dict[str, Any]]], list[FieldError | None]] | None = None,
    max_errors: int = DEFAULT_LIMITS.max_errors,
) -> ImportReport:
    """Authorise and write the parsed records in one transaction (see :func:`import_file`).
    ``authorize`` may complete the dicts it is given (a binding decides a field): what it leaves
    in them is what is written."""
    if parsed.records:
        # id-less rows get their stored id by natural key (ID number, credit code) or a new one
        refusals = assign_ids(store, kind, parsed.records, parsed.row_numbers)
        dicts = [r.to_dict() for r in parsed.records]
        if authorize is not None:
            refusals = [a or b for a, b in zip(refusals, authorize(dicts), strict=True)]
        model = RECORD_TYPES[kind]
        kept, kept_rows = [], []
        for rec, d, n, why in zip(parsed.records, dicts, parsed.row_numbers, refusals, strict=True):
            if why is None:
                kept.append(rec if d == rec.to_dict() else model.model_validate(d))
                kept_rows.append(n)
            else:
                parsed.errors.append(dataclasses.replace(why, row=n))
                parsed.rejected += 1
        parsed.records, parsed.row_numbers = kept, kept_rows
        parsed.errors.sort(key=lambda e: e.row or 0)
    if parsed.errors and on_error == "abort":
        raise ImportRejected(
            bounded_errors(parsed.errors, max_errors),
            message=(
                f"{parsed.rejected} 行有错误，整个文件未导入（可用 --on-error skip 只导入正确的行）/ "
                f"{parsed.rejected} bad rows: nothing was imported (use --on-error skip to keep the good rows)"
            ),
        )
    result = write(parsed.records) if write else store.upsert(kind, parsed.records)
    return ImportReport(
        kind=kind,
        rows=parsed.rows,
        inserted=result.inserted,
        updated=result.updated,
        unchanged=result.unchanged,
        rejected=parsed.rejected,
        errors=bounded_errors(parsed.errors, max_errors),
        ignored_columns=parsed.ignored_columns[:max_errors],
        ids=result.ids,
    )


def import_file(
    store,
    kind: str,
    path: Path | str,
    *,
    on_error: OnError = "abort",
    fmt: str | None = None,
    data: bytes | None = None,
    show_progress: bool = False,
    write: Callable[[list[Record]], Any] | None = None,
    authorize: Callable[[list[dict[str, Any]]], list[FieldError | None]] | None = None,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> ImportReport:
    """Validate a whole file, then write it in one transaction.

    ``on_error="abort"`` (default) writes nothing when any row is bad and raises
    :class:`ImportRejected` listing every bad row; ``"skip"`` writes the good rows and reports the
    bad ones. ``write`` replaces the plain store upsert (the engine passes one that also keeps the
    index in step). ``authorize`` gets the valid records (as dicts) and returns, for each, None or
    the error saying why this account may not write it: those rows are rejected like invalid ones.
    A file over ``limits`` is refused whole; at most ``limits.max_errors`` errors are listed."""
    parsed = parse_file(kind, path, fmt=fmt, data=data, limits=limits, show_progress=show_progress)
    return write_parsed(store, kind, parsed, on_error=on_error, write=write, authorize=authorize,
                        max_errors=limits.max_errors)
