"""``/v1/cooperation``: 对口协作 pairs of regions or stations (matcher/cooperation.py)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Response
from fastapi.responses import JSONResponse

from api.deps import EngineDep, RegionQuery
from api.guard import PrincipalDep
from api.schemas import errors
from matcher.access import READ, WRITE, Principal, require
from matcher.cooperation import active_pairs, pair_stats, sides
from matcher.errors import Forbidden, NotFoundError
from matcher.records import Cooperation, validate_record

router = APIRouter(prefix="/v1/cooperation", tags=["network · 服务网络"])


def _touches(p: Principal, pair: dict[str, Any]) -> bool:
    if p.province_wide:
        return True
    own = p.region_code or ""
    return any((s or "").startswith(own) or own.startswith(s or "-") for s in (pair.get("from_region"), pair.get("to_region")))


@router.get("", responses=errors(403, 503), summary="对口协作列表 / cooperation pairs")
def list_pairs(engine: EngineDep, p: PrincipalDep, active: bool = False):
    require(p, "cooperation", READ)
    pairs = active_pairs(engine) if active else engine.network.all("cooperation")
    return JSONResponse({"data": [{k: v for k, v in x.items() if k != "sides"} for x in pairs if _touches(p, x)]})


@router.get("/stats", responses=errors(403, 503), summary="各协作关系的推荐与就业人数 / placements per pair")
def stats(engine: EngineDep, p: PrincipalDep, region_code: RegionQuery = None):
    require(p, "cooperation", READ)
    region = region_code if p.province_wide else (region_code or p.region_code)
    return JSONResponse({"data": pair_stats(engine, region)})


@router.post("", status_code=201, responses=errors(403, 422, 503), summary="新增对口协作 / create a pair")
def create(engine: EngineDep, p: PrincipalDep, body: Annotated[dict[str, Any], Body()]):
    require(p, "cooperation", WRITE)
    data = {**body, "id": body.get("id") or "C" + uuid.uuid4().hex[:12].upper()}
    rec = validate_record(Cooperation, data)
    stored = rec.to_dict()
    a, b = sides(stored, engine.store.get_dicts("station", [i for i in (rec.from_station_id, rec.to_station_id) if i]))
    if not _touches(p, {"from_region": a, "to_region": b}):
        raise Forbidden("协作双方须有一方在本辖区 / one side of the pair must be in your area")
    return JSONResponse(engine.network.put(rec), status_code=201)


@router.get("/{id}", responses=errors(404, 503), summary="查看对口协作 / get a pair")
def get(id: str, engine: EngineDep, p: PrincipalDep):
    require(p, "cooperation", READ)
    pair = engine.network.get("cooperation", id)
    if not _touches(p, pair):
        raise NotFoundError("cooperation", id)
    return JSONResponse(pair)


@router.delete("/{id}", status_code=204, response_class=Response, responses=errors(404, 503),
               summary="删除对口协作 / delete a pair")
def delete(id: str, engine: EngineDep, p: PrincipalDep):
    require(p, "cooperation", WRITE)
    if not _touches(p, engine.network.get("cooperation", id)):
        raise NotFoundError("cooperation", id)
    engine.network.delete("cooperation", id)
    return Response(status_code=204)
