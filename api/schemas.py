"""Request and response shapes of the HTTP API (docs/api.md), one family per resource.

The records themselves (``Job``, ``Seeker``...) are the public shapes; ``<Name>Create`` is the same
record with an optional ``id`` (POST generates one, PUT takes it from the path, a match profile needs
none). List answers share one envelope, :class:`Page`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model

from matcher.records import RECORD_TYPES, Employer, Job, Record, RecordId, Referral, RefId, Seeker, Station
from matcher.vocab import ReferralStatus, canonical

T = TypeVar("T")

# resource path segment -> record kind
RESOURCES: dict[str, str] = {
    "jobs": "job",
    "seekers": "seeker",
    "employers": "employer",
    "stations": "station",
    "referrals": "referral",
}
# prefix of generated ids
ID_PREFIX: dict[str, str] = {"job": "J", "seeker": "S", "employer": "E", "station": "ST", "referral": "R"}


class Page(BaseModel, Generic[T]):
    """One page of a list: ``count`` is the total matching the filters, not the page length."""

    data: list[T]
    count: int = Field(description="记录总数 / total matching records")
    offset: int
    limit: int


class ErrorItem(BaseModel):
    row: int | None = Field(default=None, description="文件中的行号（导入时）/ 1-based row of an imported file")
    field: str | None = None
    message: str
    value: str | None = Field(default=None, description="出错的值（个人信息不显示）/ the offending value, never personal data")


class ErrorResponse(BaseModel):
    """Every error answer: a stable ``code``, a bilingual ``message`` (Chinese first), the field."""

    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["未找到岗位记录 J1 / job J1 not found"])
    field: str | None = Field(default=None, examples=["id"])
    errors: list[ErrorItem] = Field(default_factory=list)


class ImportReport(BaseModel):
    kind: str
    rows: int = Field(description="读到的数据行数 / data rows read")
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    errors: list[ErrorItem]
    ignored_columns: list[str] = Field(default_factory=list)


class ReferralCreate(BaseModel):
    """推荐：把求职者推荐到岗位 / refer a seeker to a job."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    seeker_id: RecordId = Field(min_length=1, max_length=64)
    job_id: RecordId = Field(min_length=1, max_length=64)
    station_id: RefId = Field(default=None, max_length=64)
    notes: str | None = Field(default=None, max_length=2_000)
    consent: bool = Field(default=False, description="求职者同意向该用人单位提供联系方式 / the seeker agrees that the "
                                                       "employer may see their contact details")
    id: RefId = Field(default=None, max_length=64, description="不填则自动生成 / generated when absent")


class ReferralUpdate(BaseModel):
    """推荐进展：面试、录用、未录用、撤回 / a referral's progress."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    status: Annotated[ReferralStatus | None, BeforeValidator(lambda v: canonical(ReferralStatus, v))] = None
    outcome: str | None = Field(default=None, max_length=500)
    notes: str | None = Field(default=None, max_length=2_000)
    consent: bool | None = Field(default=None, description="求职者同意（或撤回同意）提供联系方式 / the seeker gives (or "
                                                              "withdraws) consent to share contact details")
    interview_at: date | None = None
    decided_at: date | None = None


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Ready(BaseModel):
    status: Literal["ready"] = "ready"
    indexes: dict[str, int] = Field(description="索引中的记录数 / records in each index")
    warm_seconds: float | None = None


class Count(BaseModel):
    key: str
    label: str | None = None
    count: int


def _create_model(model: type[Record]) -> type[Record]:
    """The record with ``id`` optional (POST generates one; PUT takes the path's)."""
    return create_model(
        f"{model.__name__}Create",
        __base__=model,
        __doc__=f"{model.__name__} record; `id` may be omitted.",
        id=(RefId, None),
    )


JobCreate = _create_model(Job)
SeekerCreate = _create_model(Seeker)
EmployerCreate = _create_model(Employer)
StationCreate = _create_model(Station)
ReferralRecordCreate = _create_model(Referral)

CREATE_MODELS: dict[str, type[Record]] = {
    "job": JobCreate,
    "seeker": SeekerCreate,
    "employer": EmployerCreate,
    "station": StationCreate,
    "referral": ReferralRecordCreate,
}
PUBLIC_MODELS: dict[str, type[Record]] = dict(RECORD_TYPES)

# A ``responses=`` entry for every error status a route may answer.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "bad_request"},
    401: {"model": ErrorResponse, "description": "unauthorized: missing, unknown, expired or revoked token"},
    403: {"model": ErrorResponse, "description": "forbidden: the account's role may not do this"},
    404: {"model": ErrorResponse, "description": "not_found"},
    409: {"model": ErrorResponse, "description": "conflict"},
    413: {"model": ErrorResponse, "description": "payload_too_large"},
    422: {"model": ErrorResponse, "description": "validation_error / import_rejected"},
    503: {"model": ErrorResponse, "description": "not_ready"},
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The documented error answers of a route; every route with errors needs a token (401, 403)."""
    return {s: ERROR_RESPONSES[s] for s in sorted({*statuses, 401, 403})}
