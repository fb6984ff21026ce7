"""Service records and contracted service (包联).

A service record says who served whom, where and when, through which channel: an appointment, a
home visit, a proxy or remote service, a door-to-door survey ("大数据+铁脚板"), a county staff
member's working day at a station (≥ 3 a quarter), an expert's visit (≥ 2 a year), guidance, a
training referral. Appointments are booked ahead (``status: booked``) and staff see them as a day
list; the other kinds are recorded when done. A record belongs to its station's area, else to its
seeker's.

An assignment (包联) makes an account responsible for an area: a city, a county, a 片区 (a
township's stations) or one station (省包市、市包县、县包片).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from matcher.records import Day, RefId, Text, _enum, is_blank
from matcher.vocab import ALIASES


class ServiceKind(StrEnum):
    appointment = "appointment"
    home_visit = "home_visit"
    proxy = "proxy"
    remote = "remote"
    door_survey = "door_survey"
    staff_day = "staff_day"
    expert_visit = "expert_visit"
    guidance = "guidance"
    training = "training"


class ServiceStatus(StrEnum):
    booked = "booked"        # 已预约
    done = "done"            # 已办理
    cancelled = "cancelled"  # 已取消
    missed = "missed"        # 未到


KIND_ZH = {
    ServiceKind.appointment: "预约服务", ServiceKind.home_visit: "上门服务", ServiceKind.proxy: "代理代办",
    ServiceKind.remote: "远程服务", ServiceKind.door_survey: "入户摸排", ServiceKind.staff_day: "县级人员驻站",
    ServiceKind.expert_visit: "专家指导", ServiceKind.guidance: "职业指导", ServiceKind.training: "培训推荐",
}
STATUS_ZH = {ServiceStatus.booked: "已预约", ServiceStatus.done: "已办理", ServiceStatus.cancelled: "已取消",
             ServiceStatus.missed: "未到"}
ALIASES[ServiceKind] = {v: k.value for k, v in KIND_ZH.items()} | {
    "预约": "appointment", "上门": "home_visit", "代办": "proxy", "远程": "remote", "摸排": "door_survey",
    "驻站": "staff_day", "专家": "expert_visit", "指导": "guidance", "培训": "training"}
ALIASES[ServiceStatus] = {v: k.value for k, v in STATUS_ZH.items()}
# kinds that are work at a station: the station is required
AT_STATION = frozenset({ServiceKind.staff_day, ServiceKind.expert_visit})
# kinds about one person: the seeker is required
FOR_PERSON = frozenset({ServiceKind.appointment, ServiceKind.home_visit, ServiceKind.proxy, ServiceKind.remote,
                        ServiceKind.guidance, ServiceKind.training})

STAFF_DAYS_PER_QUARTER = 3
EXPERT_VISITS_PER_YEAR = 2


def parse_local_time(value: Any) -> datetime | None:
    """A local date and time as staff type it: ``2026-12-03T09:30``, ``2026-12-03 09:30`` or a
    date alone (the day's start). A time zone, if given, is dropped after conversion to local
    wall-clock time is *not* attempted: stations record their own time."""
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, date):
        return datetime.combine(value, time())
    text = str(value).strip().replace(" ", "T", 1)
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time())
        out = datetime.fromisoformat(text.removesuffix("Z"))
    except ValueError:
        raise ValueError("应为日期时间，如 2026-12-03T09:30 / must be a date and time such as 2026-12-03T09:30") from None
    if not (1990 <= out.year <= 2200):
        raise ValueError("日期超出范围 / the date is out of range")
    return out.replace(tzinfo=None, microsecond=0)


LocalTime = Annotated[datetime | None, BeforeValidator(parse_local_time)]


class ServiceCreate(BaseModel):
    """一条服务记录 / one service record."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    kind: Annotated[ServiceKind, BeforeValidator(_enum(ServiceKind))] = Field(
        description="appointment 预约 | home_visit 上门 | proxy 代理代办 | remote 远程 | door_survey 入户摸排 | "
                    "staff_day 县级人员驻站 | expert_visit 专家指导 | guidance 职业指导 | training 培训推荐")
    station_id: RefId = Field(default=None, max_length=64)
    seeker_id: RefId = Field(default=None, max_length=64)
    at: LocalTime = Field(default=None, description="时间（本地时间，默认现在）/ local date and time (default now)")
    staff: Text = Field(default=None, max_length=100, description="办理人（默认当前账号）/ who served")
    note: Text = Field(default=None, max_length=5_000)
    status: Annotated[ServiceStatus | None, BeforeValidator(_enum(ServiceStatus))] = Field(
        default=None, description="预约默认 booked，其他默认 done")

    @model_validator(mode="after")
    def _required_parties(self):
        if self.kind in AT_STATION and not self.station_id:
            raise ValueError(f"{KIND_ZH[self.kind]}须填写服务站 / station_id is required for {self.kind.value}")
        if self.kind in FOR_PERSON and not self.seeker_id:
            raise ValueError(f"{KIND_ZH[self.kind]}须填写服务对象 / seeker_id is required for {self.kind.value}")
        if not self.station_id and not self.seeker_id:
            raise ValueError("须填写服务站或服务对象 / give station_id or seeker_id")
        return self


class ServiceUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    status: Annotated[ServiceStatus | None, BeforeValidator(_enum(ServiceStatus))] = None
    at: LocalTime = None
    staff: Text = Field(default=None, max_length=100)
    note: Text = Field(default=None, max_length=5_000)


class AssignmentCreate(BaseModel):
    """包联：某账号负责一个市、县、片区（乡镇）或服务站 / an account responsible for an area."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    account: Text = Field(min_length=1, max_length=100, description="负责的账号名称 / the responsible account's name")
    region_code: Annotated[str | None, BeforeValidator(lambda v: None if is_blank(v) else str(v).strip())] = Field(
        default=None, pattern=r"^13(\d{2}(\d{2}(\d{3})?)?)?$",
        description="负责的区域：4位市、6位县、9位片区（乡镇）/ a 4-, 6- or 9-digit region")
    station_id: RefId = Field(default=None, max_length=64, description="或负责的服务站 / or a station")
    note: Text = Field(default=None, max_length=2_000)
    active_from: Day = None
    active_to: Day = None

    @field_validator("account")
    @classmethod
    def _account(cls, v):
        if not v:
            raise ValueError("须填写账号名称 / account is required")
        return v

    @model_validator(mode="after")
    def _one_target(self):
        if bool(self.region_code) == bool(self.station_id):
            raise ValueError("区域和服务站须且只能填写一项 / give exactly one of region_code and station_id")
        if self.active_from and self.active_to and self.active_to < self.active_from:
            raise ValueError("结束日期不能早于开始日期 / active_to must not be before active_from")
        return self


LEVEL_OF_LENGTH = {2: "province", 4: "city", 6: "county", 9: "area", 12: "station"}
LEVEL_ZH = {"province": "省", "city": "市", "county": "县", "area": "片区", "station": "服务站"}


def new_id(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:12].upper()


def service_record(body: ServiceCreate, *, region_code: str | None, by: str | None,
                   now: datetime | None = None) -> dict[str, Any]:
    """The stored record of a validated service (pure; ``region_code`` is its area)."""
    data = body.model_dump(mode="json")
    at = body.at or (now or datetime.now()).replace(microsecond=0)
    status = body.status or (ServiceStatus.booked if body.kind == ServiceKind.appointment else ServiceStatus.done)
    data.update(id=new_id("SV"), at=at.isoformat(timespec="minutes"), status=status.value,
                staff=body.staff or by, region_code=region_code, recorded_by=by,
                recorded_at=datetime.now(UTC).isoformat(timespec="seconds"))
    return data


def service_row(data: dict[str, Any]) -> dict[str, Any]:
    return {"id": data["id"], "kind": data["kind"], "station_id": data.get("station_id"),
            "seeker_id": data.get("seeker_id"), "region_code": data.get("region_code"),
            "at": datetime.fromisoformat(data["at"]), "status": data["status"], "data": data}


def updated_service(data: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    for key, value in changes.items():
        if key == "at" and value is not None:
            out["at"] = value.isoformat(timespec="minutes")
        elif isinstance(value, StrEnum):
            out[key] = value.value
        elif key in ("status", "staff", "note"):
            out[key] = value
    if not out.get("status"):
        out["status"] = data["status"]
    return out


def assignment_record(body: AssignmentCreate, *, region_code: str, by: str | None) -> dict[str, Any]:
    data = body.model_dump(mode="json")
    level = "station" if body.station_id else LEVEL_OF_LENGTH.get(len(region_code), "area")
    data.update(id=new_id("A"), level=level, area_code=region_code, assigned_by=by,
                assigned_at=datetime.now(UTC).isoformat(timespec="seconds"))
    return data


def assignment_row(data: dict[str, Any]) -> dict[str, Any]:
    return {"id": data["id"], "account": data["account"], "region_code": data.get("area_code"),
            "station_id": data.get("station_id"), "data": data}


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time())
    return start, datetime.fromordinal(day.toordinal() + 1)
