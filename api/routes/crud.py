"""One router factory for the record resources (jobs, seekers, employers, stations, referrals), so
they are not five copies: list with pagination and filters, get, create, replace, patch, delete and
bulk import (docs/api.md, "Records"). Every write goes through ``MatchEngine`` so the indexes follow.

(No ``from __future__ import annotations`` here: FastAPI reads the handlers' annotations, which
name the resource's model, a local of the factory.)
"""

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import ApiError, EngineDep, PageDep, writing
from api.guard import (
    PrincipalDep,
    check_write,
    id_unavailable,
    import_refusals,
    list_where,
    owned_old,
    present_referrals,
    present_seekers,
    readable,
)
from api.schemas import CREATE_MODELS, ID_PREFIX, PUBLIC_MODELS, RESOURCES, ImportReport, Page, errors
from matcher.access import WRITE, Principal, require
from matcher.engine import MatchEngine, coerce_records
from matcher.errors import Conflict, FieldError, NotFoundError, ValidationFailed
from matcher.importing import check_json_nesting, parse_file, write_parsed

MAX_BODY_DEPTH = 10  # a JSON list of records nests 3 deep; a record's own lists one more

FORMATS = ("csv", "xlsx", "jsonl")
_CONTENT_TYPES = {
    "text/csv": "csv",
    "application/csv": "csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/x-jsonlines": "jsonl",
}
_SUFFIXES = {"csv": "csv", "txt": "csv", "xlsx": "xlsx", "xlsm": "xlsx", "jsonl": "jsonl", "ndjson": "jsonl",
             "json": "jsonl"}

# Called before a record is written: (engine, record dict) -> None; raises to refuse.
Check = Callable[[MatchEngine, dict[str, Any]], None]


def new_id(kind: str) -> str:
    return ID_PREFIX.get(kind, "X") + uuid.uuid4().hex[:12].upper()


def error_items(errs: list[FieldError]) -> list[dict[str, Any]]:
    return [asdict(e) for e in errs]


def _check_path_id(body_id: Any, record_id: str) -> None:
    if body_id not in (None, "", record_id):
        raise ValidationFailed([FieldError(
            "id", f"请求体中的编号 {body_id} 与地址中的 {record_id} 不一致 / the body's id {body_id} differs from "
                  f"the path's {record_id}")])


def bad_request(message: str, field: str | None = None) -> ApiError:
    return ApiError(400, "bad_request", message, field=field)


# -- uploads -------------------------------------------------------------------------------------
def _disposition(headers: bytes) -> tuple[str | None, str | None]:
    """(name, filename) from a part's Content-Disposition header."""
    text = headers.decode("utf-8", "replace")
    disp = next((line for line in text.split("\r\n") if line.lower().startswith("content-disposition")), "")
    name = re.search(r'(?i);\s*name="([^"]*)"', disp) or re.search(r"(?i);\s*name=([^;\s]+)", disp)
    fname = re.search(r"(?i);\s*filename\*=[^']*''([^;\s]+)", disp) or re.search(r'(?i);\s*filename="([^"]*)"', disp) \
        or re.search(r"(?i);\s*filename=([^;\s]+)", disp)
    return (name.group(1) if name else None), (fname.group(1) if fname else None)


def parse_multipart(body: bytes, content_type: str) -> dict[str, tuple[str | None, bytes]]:
    """A ``multipart/form-data`` body -> ``{field name: (filename, content)}``, binary-safe.

    (A small parser of our own: the API needs no python-multipart for one file field.)"""
    m = re.search(r'(?i)boundary="?([^";]+)"?', content_type)
    if not m:
        raise bad_request("multipart 请求缺少 boundary / multipart request without a boundary")
    delimiter = b"--" + m.group(1).strip().encode("latin-1")
    out: dict[str, tuple[str | None, bytes]] = {}
    chunks = body.split(delimiter)
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk.removeprefix(b"\r\n")
        head, sep, content = chunk.partition(b"\r\n\r\n")
        if not sep:
            continue
        name, filename = _disposition(head)
        if name is not None and name not in out:
            out[name] = (filename, content.removesuffix(b"\r\n"))
    return out


async def read_upload(request: Request, fmt: str | None) -> tuple[str, bytes, str | None]:
    """The uploaded records as (format, bytes, on_error from a form field)."""
    body = await request.body()
    ctype = request.headers.get("content-type", "")
    base = ctype.split(";")[0].strip().lower()
    form_on_error = None
    if base == "multipart/form-data":
        form = parse_multipart(body, ctype)
        if "on_error" in form:
            form_on_error = form["on_error"][1].decode("utf-8", "replace").strip() or None
        part = form.get("file") or next((p for p in form.values() if p[0]), None)
        if part is None:
            raise bad_request("请在表单字段 file 中上传文件 / upload the file in the form field `file`", "file")
        filename, body = part
        if fmt is None and filename and "." in filename:
            fmt = _SUFFIXES.get(filename.rsplit(".", 1)[1].lower())
    elif base == "application/json":
        try:
            check_json_nesting(body, MAX_BODY_DEPTH)
            data = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise bad_request(f"请求体不是有效的 JSON / malformed JSON body: {e}") from None
        if isinstance(data, dict) and isinstance(data.get("records"), list):
            data = data["records"]
        if not isinstance(data, list):
            raise bad_request("应为记录列表（JSON 数组）/ expected a JSON list of records")
        body = "\n".join(json.dumps(r, ensure_ascii=False) for r in data).encode("utf-8")
        fmt = "jsonl"
    elif fmt is None:
        fmt = _CONTENT_TYPES.get(base)
    if not body.strip():
        raise bad_request("没有收到任何数据 / the upload is empty", "file")
    if fmt is None:
        raise bad_request(
            "无法判断文件类型，请上传 .csv/.xlsx/.jsonl 文件或指定 format / cannot tell the file type: "
            "upload a .csv/.xlsx/.jsonl file or pass format=csv|xlsx|jsonl", "format")
    return fmt, body, form_on_error


def import_report(report) -> dict[str, Any]:
    return {
        "kind": report.kind, "rows": report.rows, "inserted": report.inserted, "updated": report.updated,
        "unchanged": report.unchanged, "rejected": report.rejected, "errors": error_items(report.errors),
        "ignored_columns": list(report.ignored_columns),
    }


# -- the factory ---------------------------------------------------------------------------------
def record_router(
    resource: str,
    *,
    filters: Callable[..., dict[str, Any]],
    summary_zh: str,
    before_write: Check | None = None,
    after_write: Callable[[MatchEngine, Principal, list[dict[str, Any]]], None] | None = None,
    include: frozenset[str] = frozenset({"list", "get", "create", "replace", "patch", "delete", "import"}),
    personal: bool = False,
) -> APIRouter:
    """The record routes of ``resource`` (``jobs``...). ``filters`` is a dependency returning store
    filter keywords; ``include`` leaves out routes a module defines itself (referrals);
    ``personal`` (seekers) masks what employers see and audit-logs every unmasked read.

    Every route checks the account (``api.guard``): lists are narrowed to its area or employer,
    records outside them are not found, writes outside them are refused."""
    kind = RESOURCES[resource]
    public = PUBLIC_MODELS[kind]
    create_model = CREATE_MODELS[kind]
    router = APIRouter(prefix=f"/v1/{resource}", tags=[f"{resource} · {summary_zh}"])
    Filters = Annotated[dict[str, Any], Depends(filters)]

    def shown(engine: MatchEngine, p: Principal, request: Request, data: list[dict[str, Any]], action: str):
        if kind == "referral":
            return present_referrals(p, data)
        return present_seekers(engine, p, request, data, action) if personal else data

    def write(engine: MatchEngine, p: Principal, data: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
        require(p, resource, WRITE)
        rec = coerce_records(kind, [data])[0]
        valid = rec.to_dict()
        checked = check_write(engine, p, kind, valid, old)
        if checked != valid:  # the account's binding filled a field (an employer's jobs)
            rec = coerce_records(kind, [checked])[0]
            valid = rec.to_dict()
        if before_write is not None:
            before_write(engine, valid)
        engine.upsert(kind, [rec])
        if after_write is not None:
            after_write(engine, p, [valid])
        return valid

    if "list" in include:
        @router.get("", response_model=Page[public], summary=f"{summary_zh}列表 / list {resource}",
                    responses=errors(422, 503))
        def list_records(request: Request, engine: EngineDep, p: PrincipalDep, page: PageDep, where: Filters):
            scoped = list_where(engine, p, kind, where)
            if scoped is None:
                data, total = [], 0
            else:
                data, total = engine.store.list(kind, offset=page.offset, limit=page.limit, **scoped)
            data = shown(engine, p, request, data, f"{kind}.list")
            return JSONResponse({"data": data, "count": total, "offset": page.offset, "limit": page.limit})

    if "import" in include:
        @router.post(
            "/import", response_model=ImportReport, responses=errors(400, 413, 422, 503),
            summary=f"批量导入{summary_zh} / bulk import {resource}",
            description="multipart 表单字段 `file`（csv/xlsx/jsonl），或 JSON 记录数组；`on_error=abort|skip`。 / "
                        "A multipart `file` (csv/xlsx/jsonl) or a JSON list of records.",
            openapi_extra={"requestBody": {"content": {
                "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "on_error": {"type": "string", "enum": ["abort", "skip"]}}}},
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            }}},
        )
        async def import_records(
            request: Request,
            engine: EngineDep,
            p: PrincipalDep,
            on_error: Annotated[Literal["abort", "skip"] | None, Query(
                description="abort：有错误行则整个文件不导入（默认）；skip：只导入正确的行")] = None,
            format: Annotated[Literal["csv", "xlsx", "jsonl"] | None, Query(
                description="文件类型（默认按文件名判断）/ file type (default: from the file name)")] = None,
        ):
            require(p, resource, WRITE)
            fmt, data, form_on_error = await read_upload(request, format)
            mode = on_error or form_on_error or "abort"
            if mode not in ("abort", "skip"):
                raise ValidationFailed([FieldError("on_error", "应为 abort 或 skip / must be abort or skip", value=mode)])

            limits = engine.settings.import_limits()
            # read and validate outside the write lock: a large file does not hold up other writes
            parsed = await run_in_threadpool(parse_file, kind, f"upload.{fmt}", fmt=fmt, data=data, limits=limits)

            def run():
                written: list[dict[str, Any]] = []

                def upsert(records):
                    written.extend(r.to_dict() for r in records)
                    return engine.upsert(kind, records)

                with writing(engine):
                    report = write_parsed(engine.store, kind, parsed, on_error=mode, write=upsert,
                                          authorize=lambda recs: import_refusals(engine, p, kind, recs),
                                          max_errors=limits.max_errors)
                    if after_write is not None:
                        after_write(engine, p, written)
                return report

            report = await run_in_threadpool(run)
            return JSONResponse(import_report(report))

    if "get" in include:
        @router.get("/{id}", response_model=public, responses=errors(404, 503),
                    summary=f"查看{summary_zh} / get one of {resource}")
        def get_record(id: str, request: Request, engine: EngineDep, p: PrincipalDep):
            data = readable(engine, p, kind, id)
            return JSONResponse(shown(engine, p, request, [data], f"{kind}.read")[0])

    if "create" in include:
        @router.post("", status_code=201, response_model=public, responses=errors(400, 409, 422, 503),
                     summary=f"新增{summary_zh} / create one of {resource}")
        def create_record(body: create_model, engine: EngineDep, p: PrincipalDep):
            require(p, resource, WRITE)
            data = body.to_dict()
            data["id"] = data.get("id") or new_id(kind)
            with writing(engine):
                if engine.store.id_states(kind, [data["id"]]):  # in use or used before, by anyone
                    raise id_unavailable()
                out = write(engine, p, data, None)
            return JSONResponse(out, status_code=201)

    if "replace" in include:
        @router.put("/{id}", response_model=public, responses=errors(400, 422, 503),
                    summary=f"新增或替换{summary_zh} / insert or replace one of {resource}")
        def replace_record(id: str, body: create_model, engine: EngineDep, p: PrincipalDep):
            require(p, resource, WRITE)
            data = body.to_dict()
            _check_path_id(data.get("id"), id)
            data["id"] = id
            with writing(engine):
                try:
                    old = owned_old(engine, p, kind, id)
                except Conflict:  # another's record or a deleted one: the answer of a record it cannot see
                    raise NotFoundError(kind, id) from None
                out = write(engine, p, data, old)
            return JSONResponse(out)

    if "patch" in include:
        @router.patch("/{id}", response_model=public, responses=errors(400, 404, 422, 503),
                      summary=f"修改{summary_zh}部分字段 / update some fields of one of {resource}")
        def patch_record(
            id: str,
            engine: EngineDep,
            p: PrincipalDep,
            body: Annotated[dict[str, Any], Body(description="要修改的字段；null 表示清空 / fields to change; null clears")],
        ):
            require(p, resource, WRITE)
            _check_path_id(body.get("id"), id)
            with writing(engine):
                old = readable(engine, p, kind, id)
                out = write(engine, p, {**old, **body, "id": id}, old)
            return JSONResponse(out)

    if "delete" in include:
        @router.delete("/{id}", status_code=204, response_class=Response, responses=errors(404, 503),
                       summary=f"删除{summary_zh} / delete one of {resource}")
        def delete_record(id: str, engine: EngineDep, p: PrincipalDep):
            require(p, resource, WRITE)
            with writing(engine):
                check_write(engine, p, kind, None, readable(engine, p, kind, id))
                engine.delete(kind, id)
            return Response(status_code=204)

    return router
