"""Registration at the desk: import previews (``POST /v1/{resource}/import/preview``), import
templates with Chinese headers (``GET /v1/{resource}/import/template``) and the duplicate checks
of single writes (a second seeker with one ID number, a second employer with one credit code).

A preview validates and authorises the uploaded file exactly as ``POST /v1/{resource}/import``
would, and writes nothing: the console shows it, then commits by uploading the same file to the
import route, or cancels. Ids are optional in every file (``matcher/import_preview.py``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from api.deps import EngineDep
from api.guard import PrincipalDep, import_refusals
from api.routes.crud import read_upload
from api.schemas import errors
from matcher import import_preview
from matcher.access import WRITE, require
from matcher.errors import Conflict

router = APIRouter(tags=["registration · 登记与导入"])

KINDS = {"seekers": "seeker", "employers": "employer", "jobs": "job", "stations": "station"}
_LABEL = {"seekers": "求职者", "employers": "用人单位", "jobs": "岗位", "stations": "服务站"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_UPLOAD = {"requestBody": {"content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {"file": {"type": "string", "format": "binary"}}}}}}}


def reject_duplicate(kind: str):
    """A ``before_write`` check of the record routes: refuse a record whose ID number (credit
    code) belongs to another stored record."""
    def check(engine, data: dict[str, Any]) -> None:
        other = import_preview.duplicate_of(engine.store, kind, data)
        if other is not None:
            err = import_preview.duplicate_error(kind, other)
            raise Conflict(err.message, field=err.field)
    return check


def _preview_route(resource: str, kind: str):
    async def preview(request: Request, engine: EngineDep, p: PrincipalDep,
                      format: Annotated[Literal["csv", "xlsx", "jsonl"] | None, Query(
                          description="文件类型（默认按文件名判断）/ file type (default: from the file name)")] = None):
        require(p, resource, WRITE)
        fmt, data, _ = await read_upload(request, format)
        report = await run_in_threadpool(import_preview.preview, engine.store, kind, data, fmt,
                                         lambda recs: import_refusals(engine, p, kind, recs),
                                         limits=engine.settings.import_limits())
        return JSONResponse(report.to_dict())
    return preview


def _template_route(resource: str, kind: str):
    def template(p: PrincipalDep, format: Annotated[Literal["csv", "xlsx"], Query(description="csv | xlsx")] = "xlsx"):
        require(p, resource, WRITE)
        name = f"{resource}-template.{format}"
        headers = {"Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''"
                                          f"{_quote(_LABEL[resource] + '导入模板.' + format)}"}
        if format == "csv":
            return Response(import_preview.template_csv(kind), media_type="text/csv; charset=utf-8", headers=headers)
        return Response(import_preview.template_xlsx(kind), media_type=XLSX, headers=headers)
    return template


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text)


for _resource, _kind in KINDS.items():
    router.add_api_route(
        f"/v1/{_resource}/import/preview", _preview_route(_resource, _kind), methods=["POST"],
        response_model=dict[str, Any], responses=errors(400, 413, 422, 503), openapi_extra=_UPLOAD,
        summary=f"导入预览：{_LABEL[_resource]} / preview an import of {_resource}",
        description="校验文件并列出将新增、更新、不变和被拒绝的行（含每行错误），不写入任何数据。"
                    "确认后把同一文件提交到导入接口即可。编号可不填：按身份证号/统一社会信用代码匹配已有记录，否则自动生成。",
        tags=[f"{_resource} · {_LABEL[_resource]}"])
    router.add_api_route(
        f"/v1/{_resource}/import/template", _template_route(_resource, _kind), methods=["GET"],
        responses={**errors(422, 503), 200: {"content": {XLSX: {}, "text/csv": {}}}},
        summary=f"导入模板（中文表头）：{_LABEL[_resource]} / import template", tags=[f"{_resource} · {_LABEL[_resource]}"])
