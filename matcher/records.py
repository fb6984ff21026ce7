"""Typed records of the contract (DESIGN.md section 4): job, seeker, employer, station, referral.

Validation happens here, once, at the boundary. Inputs may come from CSV/XLSX cells (numbers as
floats, empty strings, Chinese enum words, lists as ``、``-separated text) or from JSON; they are
coerced to one canonical shape. Every rejection carries a bilingual message, Chinese first.
"""

from __future__ import annotations

import contextlib
import math
import re
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from matcher.errors import FieldError
from matcher.features.text import split_list
from matcher.vocab import (
    AreaType,
    Education,
    EmploymentType,
    Gender,
    JobStatus,
    PriorityGroup,
    ReferralStatus,
    SeekerStatus,
    StationKind,
    TravelMode,
    canonical,
)

# --- value parsers (pure) ---------------------------------------------------------------------

_PROVINCE_PREFIXES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42",
    "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
}
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_RECORD_ID = re.compile(r"^[^\s/\\?#%\x00]{1,64}$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
CHINA_LAT = (3.8, 53.6)
CHINA_LNG = (73.4, 135.1)


_BLANK_TEXT = frozenset(("", "nan", "NaN", "None", "null", "-", "—"))


def is_blank(value: Any) -> bool:
    # called for nearly every field of every record: the common types are tested first, exactly
    if value is None:
        return True
    kind = type(value)
    if kind is str:
        return value.strip() in _BLANK_TEXT
    if kind is int or kind is list or kind is bool:
        return False
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() in _BLANK_TEXT


def _blank_to_none(value: Any) -> Any:
    return None if is_blank(value) else value


def _number_text(value: Any) -> Any:
    """Excel hands over codes and ids as floats (130102.0): turn them back into digit strings."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def parse_date(value: Any) -> date | None:
    """Dates as stations write them: 2025-03-01, 2025/3/1, 2025.3.1, 20250301, 2025年3月1日,
    ISO datetimes, Python/pandas dates, and Excel serial day numbers."""
    value = _blank_to_none(value)
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if hasattr(value, "to_pydatetime"):  # pandas.Timestamp
        return value.to_pydatetime().date()
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 20000 <= value <= 80000:  # Excel serial date
            return date.fromordinal(date(1899, 12, 30).toordinal() + int(value))
        value = str(int(value))
    text = str(value).strip()
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T].*)?", text)
    if not m:
        m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
    if not m:
        raise ValueError(f"日期格式无法识别：{text}（应为 2025-03-01）/ unrecognised date: {text} (use 2025-03-01)")
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise ValueError(f"日期不存在：{text} / no such date: {text}") from None


def parse_bool(value: Any) -> bool | None:
    value = _blank_to_none(value)
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "1.0", "true", "yes", "y", "是", "有", "同意", "愿意", "对", "√"):
        return True
    if text in ("0", "0.0", "false", "no", "n", "否", "无", "不同意", "不愿意", "×"):
        return False
    raise ValueError(f"应为 是/否：{value} / must be yes/no (true/false): {value}")


def normalize_region_code(value: Any) -> str | None:
    value = _blank_to_none(_number_text(value))
    if value is None:
        return None
    text = str(value).strip()
    if not re.fullmatch(r"\d{6}|\d{9}|\d{12}", text):
        raise ValueError(
            f"区划代码应为6位（县级）、9位（乡镇）或12位（村）数字：{text} / "
            f"region_code must be 6 (county), 9 (township) or 12 (village) digits: {text}"
        )
    if text[:2] not in _PROVINCE_PREFIXES:
        raise ValueError(f"区划代码的省级前两位无效：{text} / region_code has no valid province prefix: {text}")
    return text


def id_number_check_digit(first17: str) -> str:
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def normalize_id_number(value: Any) -> str | None:
    """An 18-digit resident identity number with a valid birth date and ISO 7064 check digit."""
    value = _blank_to_none(_number_text(value))
    if value is None:
        return None
    text = str(value).strip().upper().replace(" ", "")
    if not re.fullmatch(r"\d{17}[\dX]", text):
        raise ValueError("身份证号应为18位（末位可为X）/ id_number must be 18 characters (last may be X)")
    try:
        date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise ValueError("身份证号中的出生日期无效 / id_number has an invalid birth date") from None
    if id_number_check_digit(text[:17]) != text[17]:
        raise ValueError("身份证号校验位不正确 / id_number check digit is wrong")
    return text


def normalize_phone(value: Any) -> str | None:
    """A mainland mobile number, 11 digits starting 13-19; spaces, dashes and +86 are dropped."""
    value = _blank_to_none(_number_text(value))
    if value is None:
        return None
    text = re.sub(r"[\s\-()（）]", "", str(value))
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    elif len(text) == 13 and text.startswith("86"):
        text = text[2:]
    if not _MOBILE.fullmatch(text):
        raise ValueError("手机号应为11位大陆手机号（1开头）/ phone must be an 11-digit mainland mobile number")
    return text


_NOT_TEXT = (dict, list, tuple, set, frozenset)


def _text(value: Any) -> str | None:
    """A text cell: numbers from Excel become their digits; a JSON object or list is refused
    (it would otherwise be stored as its Python repr)."""
    if is_blank(value):
        return None
    if isinstance(value, _NOT_TEXT):
        raise ValueError("应为文本 / must be text")
    return str(_number_text(value)).strip()


def _required_text(value: Any) -> str | None:
    if is_blank(value):
        return None
    if isinstance(value, _NOT_TEXT):
        raise ValueError("应为文本 / must be text")
    return str(value).strip()


def _list(value: Any) -> list[str]:
    value = _blank_to_none(value)
    if value is None:
        return []
    if isinstance(value, dict) or (isinstance(value, list | tuple | set | frozenset)
                                   and any(isinstance(v, _NOT_TEXT) for v in value)):
        raise ValueError("应为文本列表或以、分隔的文本 / must be a list of texts or text separated by 、")
    return split_list(value)


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(isinstance(v, str) and "\x00" in v for v in value)
    return False


def _enum_list(enum):
    def parse(value: Any) -> list:
        return [canonical(enum, v) for v in _list(value)]

    return parse


def _enum(enum):
    def parse(value: Any):
        value = _blank_to_none(value)
        return None if value is None else canonical(enum, value)

    return parse


def _id(value: Any) -> Any:
    value = _blank_to_none(_number_text(value))
    if value is None:
        return value
    text = str(value).strip()
    if not _RECORD_ID.fullmatch(text):
        raise ValueError("编号不能含空格或 / ? # % 且不超过64字 / id must be ≤64 chars without spaces or / ? # %")
    return text


def _opt_id(value: Any) -> Any:
    return _id(value)


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_ALIASES = {
    **{d: d for d in _WEEKDAYS},
    **dict(zip(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"), _WEEKDAYS, strict=True)),
    **{f"{p}{c}": d for p in ("周", "星期", "礼拜") for c, d in zip("一二三四五六日", _WEEKDAYS, strict=True)},
    "周天": "sun", "星期天": "sun", "礼拜天": "sun",
}


def parse_available_days(value: Any) -> list[str]:
    """Gig availability: weekday names (``mon``..``sun``, 周一..周日) or dates, canonical and unique;
    ``每天``/``daily`` means every weekday."""
    out: list[str] = []
    for item in _list(value):
        text = item.strip().lower()
        if text in ("每天", "天天", "daily", "everyday", "all"):
            days = list(_WEEKDAYS)
        elif text in _WEEKDAY_ALIASES:
            days = [_WEEKDAY_ALIASES[text]]
        else:
            try:
                days = [parse_date(item).isoformat()]
            except ValueError:
                raise ValueError(f"可工作日应为 周一..周日、mon..sun 或日期：{item} / available_days must be weekdays "
                                 f"(mon..sun) or dates: {item}") from None
        out.extend(d for d in days if d not in out)
    return out


def available_on(days: list[str] | None, day: date) -> bool | None:
    """Is a person with these ``available_days`` free on ``day``? None when they gave none."""
    if not days:
        return None
    return day.isoformat() in days or _WEEKDAYS[day.weekday()] in days


def parse_shift_time(value: Any) -> str | None:
    """A clock time as ``HH:MM`` (``8:00``, ``08:00:00``, ``8点``, ``8点30``)."""
    value = _blank_to_none(value)
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    m = re.fullmatch(r"(\d{1,2})(?::|点|时)(\d{1,2})?(?::\d{2})?分?", text) or re.fullmatch(r"(\d{1,2})()", text)
    if not m or int(m[1]) > 24 or int(m[2] or 0) > 59 or (int(m[1]) == 24 and int(m[2] or 0)):
        raise ValueError(f"时间应为 HH:MM（如 08:00）：{text} / time must be HH:MM (e.g. 08:00): {text}")
    return f"{int(m[1]):02d}:{int(m[2] or 0):02d}"


Text = Annotated[str | None, BeforeValidator(_text)]
TextList = Annotated[list[str], BeforeValidator(_list)]
Bool = Annotated[bool | None, BeforeValidator(parse_bool)]
Day = Annotated[date | None, BeforeValidator(parse_date)]
RegionCode = Annotated[str | None, BeforeValidator(normalize_region_code)]
RecordId = Annotated[str, BeforeValidator(_id)]
RefId = Annotated[str | None, BeforeValidator(_opt_id)]
Num = Annotated[float | None, BeforeValidator(_blank_to_none)]
ShiftTime = Annotated[str | None, BeforeValidator(parse_shift_time)]
def _int(value: Any) -> Any:
    return None if is_blank(value) else (int(value) if isinstance(value, float) and value.is_integer() else value)


def _headcount(value: Any) -> Any:
    return 1 if is_blank(value) else value


def _enum_or(enum, default):
    """An enum field whose blank cell means ``default``."""
    def parse(value: Any):
        return default if is_blank(value) else canonical(enum, value)

    parse._fast = "enum_or_default"
    return parse


_int._fast = "int"  # what the fast path (below) stands in for these
_headcount._fast = "int_or_default"

Int = Annotated[int | None, BeforeValidator(_int)]


class Record(BaseModel):
    """Common base: blank cells become None, unknown columns are ignored."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, validate_assignment=False)
    record_kind: ClassVar[str] = "record"
    # Fields that identify a person; masked for employers and never logged.
    personal_fields: ClassVar[tuple[str, ...]] = ()

    id: RecordId

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL cannot store NUL in text: refused here for every field, on every database.
        if _has_nul(value):
            raise ValueError("不能含有空字符（\\0）/ must not contain NUL characters")
        return value

    @model_validator(mode="after")
    def _check_coordinates(self):
        lat, lng = getattr(self, "lat", None), getattr(self, "lng", None)
        if (lat is None) != (lng is None):
            raise ValueError("纬度和经度须同时填写 / lat and lng must be given together")
        if lat is not None and not (CHINA_LAT[0] <= lat <= CHINA_LAT[1] and CHINA_LNG[0] <= lng <= CHINA_LNG[1]):
            # a person's coordinates are personal data: not repeated in the message
            shown = "" if "lat" in self.personal_fields else f"({lat}, {lng})"
            raise ValueError(
                f"坐标不在中国境内{'：' if shown else ''}{shown}，请检查经纬度是否填反 / "
                f"coordinates {shown + ' ' if shown else ''}are outside China (lat/lng swapped?)"
            )
        return self

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class Job(Record):
    record_kind: ClassVar[str] = "job"

    title: Annotated[str, BeforeValidator(_required_text)] = Field(max_length=200)
    description: Text = Field(default=None, max_length=20_000)
    skills: TextList = Field(default_factory=list)
    occupation_code: Text = None
    employer_id: RefId = None
    employer_name: Text = None
    region_code: RegionCode = None
    address: Text = None
    lat: Num = None
    lng: Num = None
    wage_min: Num = Field(default=None, ge=0, le=1_000_000)
    wage_max: Num = Field(default=None, ge=0, le=1_000_000)
    employment_type: Annotated[EmploymentType, BeforeValidator(_enum(EmploymentType))] = EmploymentType.full_time
    education_min: Annotated[Education | None, BeforeValidator(_enum(Education))] = None
    experience_years_min: Num = Field(default=None, ge=0, le=60)
    headcount: Annotated[int, BeforeValidator(_headcount)] = Field(default=1, ge=1, le=100_000)
    accessible: Bool = False
    priority_groups_welcome: Annotated[list[PriorityGroup], BeforeValidator(_enum_list(PriorityGroup))] = Field(
        default_factory=list
    )
    posted_at: Day = None
    expires_at: Day = None
    status: Annotated[JobStatus, BeforeValidator(_enum_or(JobStatus, JobStatus.open))] = JobStatus.open
    # Extensions beyond the contract.
    age_min: Int = Field(default=None, ge=16, le=80)
    age_max: Int = Field(default=None, ge=16, le=80)
    licenses_required: TextList = Field(default_factory=list)
    public_welfare: Bool = False
    # Gig postings (零工): one dated shift; the posting closes when its day is over (expires_at).
    shift_date: Day = None
    shift_start: ShiftTime = None
    shift_end: ShiftTime = None
    pay_per_day: Num = Field(default=None, ge=0, le=100_000)
    pay_per_hour: Num = Field(default=None, ge=0, le=10_000)

    @field_validator("occupation_code")
    @classmethod
    def _occupation_code(cls, v):
        if v is not None and not re.fullmatch(r"\d(-\d{2}){0,3}", v):
            raise ValueError(f"职业编码格式应如 4-07-05-01：{v} / occupation_code must look like 4-07-05-01: {v}")
        return v

    @model_validator(mode="after")
    def _check_ranges(self):
        if self.wage_min is not None and self.wage_max is not None and self.wage_min > self.wage_max:
            raise ValueError(
                f"最低工资({self.wage_min:g})不能高于最高工资({self.wage_max:g}) / wage_min must not exceed wage_max"
            )
        if self.posted_at and self.expires_at and self.expires_at < self.posted_at:
            raise ValueError("截止日期不能早于发布日期 / expires_at must not be before posted_at")
        if self.age_min is not None and self.age_max is not None and self.age_min > self.age_max:
            raise ValueError("最小年龄不能大于最大年龄 / age_min must not exceed age_max")
        if (self.shift_start or self.shift_end) and not self.shift_date:
            raise ValueError("填写了上下班时间须同时填写 shift_date / shift_start/shift_end need a shift_date")
        if self.shift_start and self.shift_end and self.shift_end <= self.shift_start:
            raise ValueError("下班时间应晚于上班时间 / shift_end must be after shift_start")
        if self.shift_date is not None:
            # a shift is over when its day is: the posting is not offered after it
            if self.expires_at is None or self.expires_at > self.shift_date:
                self.expires_at = self.shift_date
            if self.posted_at is not None and self.posted_at > self.shift_date:
                raise ValueError("发布日期不能晚于用工日期 / posted_at must not be after shift_date")
        return self


class Seeker(Record):
    record_kind: ClassVar[str] = "seeker"
    personal_fields: ClassVar[tuple[str, ...]] = ("name", "id_number", "phone", "address", "lat", "lng", "birth_date")

    name: Text = Field(default=None, max_length=50)
    id_number: Annotated[str | None, BeforeValidator(normalize_id_number)] = None
    phone: Annotated[str | None, BeforeValidator(normalize_phone)] = None
    gender: Annotated[Gender | None, BeforeValidator(_enum(Gender))] = None
    birth_date: Day = None
    education: Annotated[Education | None, BeforeValidator(_enum(Education))] = None
    skills: TextList = Field(default_factory=list)
    desired_occupations: TextList = Field(default_factory=list)
    experience: Text = Field(default=None, max_length=5_000)
    certificates: TextList = Field(default_factory=list)
    region_code: RegionCode = None
    address: Text = None
    lat: Num = None
    lng: Num = None
    area_type: Annotated[AreaType | None, BeforeValidator(_enum(AreaType))] = None
    max_commute_minutes: Num = Field(default=None, gt=0, le=600)
    max_distance_km: Num = Field(default=None, gt=0, le=5_000)
    willing_to_relocate: Bool = False
    desired_wage_min: Num = Field(default=None, ge=0, le=1_000_000)
    employment_types: Annotated[list[EmploymentType], BeforeValidator(_enum_list(EmploymentType))] = Field(
        default_factory=list
    )
    priority_groups: Annotated[list[PriorityGroup], BeforeValidator(_enum_list(PriorityGroup))] = Field(
        default_factory=list
    )
    status: Annotated[SeekerStatus, BeforeValidator(_enum_or(SeekerStatus, SeekerStatus.unemployed))] = (
        SeekerStatus.unemployed)
    station_id: RefId = None
    consent_to_share: Bool = False
    # Extensions beyond the contract.
    travel_mode: Annotated[TravelMode | None, BeforeValidator(_enum(TravelMode))] = None
    hard_distance_limit: Bool = False
    # Days a person can take gig work (零工): weekdays (mon..sun, 周一..周日) and/or dates (2026-12-03).
    available_days: Annotated[list[str], BeforeValidator(parse_available_days)] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_identity(self):
        if self.id_number:
            born = date(int(self.id_number[6:10]), int(self.id_number[10:12]), int(self.id_number[12:14]))
            if self.birth_date is None:
                self.birth_date = born
            elif self.birth_date != born:
                raise ValueError("出生日期与身份证号不一致 / birth_date does not match id_number")
            if self.gender is None:
                self.gender = Gender.male if int(self.id_number[16]) % 2 else Gender.female
        if self.birth_date and not (date(1900, 1, 1) <= self.birth_date <= date.today()):
            raise ValueError("出生日期不合理 / birth_date is not plausible")
        return self

    def age_on(self, day: date) -> int | None:
        if not self.birth_date:
            return None
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


class Employer(Record):
    record_kind: ClassVar[str] = "employer"

    name: Annotated[str, BeforeValidator(_required_text)] = Field(max_length=200)
    credit_code: Text = None
    industry: Text = None
    region_code: RegionCode = None
    address: Text = None
    lat: Num = None
    lng: Num = None
    contact_name: Text = None
    contact_phone: Text = None

    @field_validator("credit_code")
    @classmethod
    def _credit_code(cls, v):
        if v is not None and not re.fullmatch(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}", v.upper()):
            raise ValueError("统一社会信用代码应为18位 / credit_code must be an 18-character unified social credit code")
        return v.upper() if v else v


class Station(Record):
    record_kind: ClassVar[str] = "station"

    name: Annotated[str, BeforeValidator(_required_text)] = Field(max_length=200)
    kind: Annotated[StationKind, BeforeValidator(_enum(StationKind))] = StationKind.community
    region_code: RegionCode = None
    address: Text = None
    lat: Num = None
    lng: Num = None
    # Per-station circle bounds (DESIGN.md: both bounds configurable per station).
    urban_circle_minutes: Num = Field(default=None, gt=0, le=600)
    rural_circle_km: Num = Field(default=None, gt=0, le=500)
    # 示范站 (2–3 demonstration stations per county, counted in statistics).
    demonstration: Bool = False


class Referral(Record):
    record_kind: ClassVar[str] = "referral"

    seeker_id: RecordId
    job_id: RecordId
    station_id: RefId = None
    status: Annotated[
        ReferralStatus,
        BeforeValidator(_enum_or(ReferralStatus, ReferralStatus.recommended)),
    ] = ReferralStatus.recommended
    outcome: Text = None
    notes: Text = Field(default=None, max_length=2_000)
    # the seeker agreed that this job's employer may see their contact details (ID number, phone, address)
    consent: Bool = False
    # the job's employer when the referral was made (set by the server; the referral and its consent
    # stay with that employer even if the job is later given to another)
    employer_id: RefId = None
    referred_at: Day = None
    interview_at: Day = None
    decided_at: Day = None


# --- network records (DESIGN.md section 8): kept in their own table, not indexed for matching -----

COOPERATION_KINDS = ("labour_export", "urban_rural", "station_pair", "other")
_COOPERATION_ZH = {"劳务协作": "labour_export", "劳务输出": "labour_export", "城乡协作": "urban_rural",
                   "城乡": "urban_rural", "站点结对": "station_pair", "结对": "station_pair", "其他": "other"}
EVENT_KINDS = ("job_fair", "targeted", "internship")
_EVENT_ZH = {"招聘会": "job_fair", "专场": "targeted", "专场招聘": "targeted", "见习": "internship",
             "就业见习": "internship"}


def _choice(allowed: tuple[str, ...], aliases: dict[str, str], default: str):
    def parse(value: Any) -> str:
        if is_blank(value):
            return default
        text = str(value).strip()
        out = aliases.get(text, text.lower())
        if out not in allowed:
            raise ValueError(f"取值无效：{text}，可选值：{'、'.join(allowed)} / invalid value {text!r}; "
                             f"allowed: {', '.join(allowed)}")
        return out
    return parse


class Cooperation(Record):
    """对口协作: a pair of regions (or stations) whose jobs reach each other's seekers."""

    record_kind: ClassVar[str] = "cooperation"

    from_region: RegionCode = None
    to_region: RegionCode = None
    kind: Annotated[str, BeforeValidator(_choice(COOPERATION_KINDS, _COOPERATION_ZH, "labour_export"))] = "labour_export"
    from_station_id: RefId = None
    to_station_id: RefId = None
    active_from: Day = None
    active_to: Day = None
    note: Text = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _check_pair(self):
        if not (self.from_region or self.from_station_id) or not (self.to_region or self.to_station_id):
            raise ValueError("协作双方均须填写区划代码或服务站 / both sides need a region_code or a station")
        if self.from_region and self.to_region and (
                self.from_region.startswith(self.to_region) or self.to_region.startswith(self.from_region)):
            raise ValueError("协作双方的区域不能相互包含 / the two regions must not contain each other")
        if self.active_from and self.active_to and self.active_to < self.active_from:
            raise ValueError("结束日期不能早于开始日期 / active_to must not be before active_from")
        return self

    def active_on(self, day: date) -> bool:
        return (self.active_from is None or self.active_from <= day) and (self.active_to is None or day <= self.active_to)


class Event(Record):
    """招聘活动 / 就业见习: a job fair or a targeted event at a station on one day."""

    record_kind: ClassVar[str] = "event"

    title: Annotated[str, BeforeValidator(_required_text)] = Field(max_length=200)
    station_id: RecordId
    date: Annotated[date, BeforeValidator(parse_date)]
    kind: Annotated[str, BeforeValidator(_choice(EVENT_KINDS, _EVENT_ZH, "job_fair"))] = "job_fair"
    place: Text = Field(default=None, max_length=200)
    employer_ids: TextList = Field(default_factory=list)
    job_ids: TextList = Field(default_factory=list)
    target_groups: Annotated[list[PriorityGroup], BeforeValidator(_enum_list(PriorityGroup))] = Field(
        default_factory=list)


class Attendance(Record):
    """Who came to an event and what came of it (``id`` = ``<event_id>:<seeker_id>``)."""

    record_kind: ClassVar[str] = "attendance"

    id: str = Field(max_length=200)
    event_id: RecordId
    seeker_id: RecordId
    attended: Bool = False
    outcome: Annotated[str | None, BeforeValidator(
        lambda v: None if is_blank(v) else _choice(ATTENDANCE_OUTCOMES, _OUTCOME_ZH, "none")(v))] = None
    job_id: RefId = None
    note: Text = Field(default=None, max_length=500)


ATTENDANCE_OUTCOMES = ("none", "interview", "offer", "hired")
_OUTCOME_ZH = {"无": "none", "面试": "interview", "意向": "offer", "录用": "hired", "已录用": "hired"}

NETWORK_TYPES: dict[str, type[Record]] = {"cooperation": Cooperation, "event": Event, "attendance": Attendance}

RECORD_TYPES: dict[str, type[Record]] = {
    "job": Job,
    "seeker": Seeker,
    "employer": Employer,
    "station": Station,
    "referral": Referral,
}

# --- bilingual error reports -------------------------------------------------------------------

_TYPE_MESSAGES = {
    "missing": "必填字段缺失 / required field is missing",
    "int_parsing": "应为整数 / must be an integer",
    "int_type": "应为整数 / must be an integer",
    "int_from_float": "应为整数 / must be an integer",
    "float_parsing": "应为数字 / must be a number",
    "float_type": "应为数字 / must be a number",
    "finite_number": "应为有限数字 / must be a finite number",
    "bool_parsing": "应为 是/否 / must be yes/no",
    "string_type": "应为文本 / must be text",
    "list_type": "应为列表 / must be a list",
    "date_type": "应为日期 / must be a date",
}


_PERSONAL = {"name", "id_number", "phone", "address", "birth_date", "lat", "lng", "contact_phone", "contact_name"}


# Mainland mobile numbers and resident ID numbers, wherever they turn up in a message (a column
# shifted by one in a spreadsheet puts a phone under "gender").
_PHONE_LIKE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_ID_NUMBER_LIKE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


def redact_personal(text: str | None) -> str | None:
    """``text`` with anything that looks like a mobile or resident ID number replaced by ``***``."""
    if not text:
        return text
    return _ID_NUMBER_LIKE.sub("***", _PHONE_LIKE.sub("***", text))


def _holds_personal_data(exc: Any) -> bool:
    """Is the record being validated one with personal fields (a seeker)? Known by the model's title."""
    title = getattr(exc, "title", None)
    return any(title in (m.__name__, f"{m.__name__}Create") for m in RECORD_TYPES.values() if m.personal_fields)


def field_errors(exc: ValidationError, row: int | None = None, personal: bool | None = None) -> list[FieldError]:
    """Translate a pydantic error into bilingual, per-field messages.

    Personal data never goes into an error: the values of personal fields are never shown, and of a
    record with personal fields (``personal``; by default: a seeker) no value at all, in whatever
    field it was (a name in the education column is still a name); phone- and ID-like numbers are
    masked in every message."""
    if personal is None:
        personal = _holds_personal_data(exc)
    out: list[FieldError] = []
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err.get("loc", ()) if not isinstance(p, int)]
        field = loc[0] if loc else None
        kind = err.get("type", "")
        value = err.get("input")
        ctx = err.get("ctx") or {}
        hidden = value is None or isinstance(value, dict) or field in _PERSONAL or personal
        if kind in ("value_error", "assertion_error"):
            msg = str(ctx.get("error", err.get("msg", ""))).removeprefix("Value error, ")
            if hidden and isinstance(value, str | int | float) and str(value).strip():  # quoted after a colon
                msg = re.sub(f"(：|: ){re.escape(str(value).strip())}", r"\1…", msg)
        elif kind == "enum":
            expected = ctx.get("expected", "")
            msg = (f"取值无效，可选值：{expected} / invalid value; allowed: {expected}" if hidden else
                   f"取值无效：{value}，可选值：{expected} / invalid value {value!r}; allowed: {expected}")
        elif kind in ("greater_than_equal", "greater_than"):
            msg = f"应不小于 {ctx.get('ge', ctx.get('gt'))} / must be ≥ {ctx.get('ge', ctx.get('gt'))}"
        elif kind in ("less_than_equal", "less_than"):
            msg = f"应不大于 {ctx.get('le', ctx.get('lt'))} / must be ≤ {ctx.get('le', ctx.get('lt'))}"
        elif kind == "string_too_long":
            msg = f"文本过长（最多{ctx.get('max_length')}字）/ text too long (max {ctx.get('max_length')})"
        else:
            msg = _TYPE_MESSAGES.get(kind, f"数据无效 / invalid value ({err.get('msg', kind)})")
        shown = None if hidden else redact_personal(str(value)[:80])
        msg = redact_personal(msg)
        out.append(FieldError(field=field, message=msg, row=row, value=shown))
    return out


def validate_record(model: type[Record], data: Any, row: int | None = None) -> Record:
    """``model.model_validate(data)``, failing with bilingual :class:`ValidationFailed` errors."""
    from matcher.errors import ValidationFailed

    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise ValidationFailed(field_errors(e, row=row)) from None


# --- the fast path for records that are already canonical -----------------------------------------
#
# Most records reaching a bulk write are already in canonical form (they were read from the store,
# or come from a client that sends what it got). For them every per-field Python validator above is
# an identity, yet each costs a Python call (two with the NUL check), ~50 µs a job. The fast path is
# the model's own pydantic-core schema with, in each field, the Python "before" validators replaced
# by a strict schema that accepts only values those validators would leave unchanged (text without
# surrounding whitespace, region codes of 6/9/12 digits with a province prefix, ISO dates, enum
# values, finite numbers...). Constraints (lengths, bounds), field "after" validators and the
# model's own validators are kept as they are, and the result is an instance of the model itself.
# Anything the fast schema does not accept goes through the full model (``model_validate``), so
# every error, and every value that needs normalising, comes from the one set of rules above.

_FAST_DATE = r"^\d{4}-\d{2}-\d{2}$"
# Python's str.strip() and \s also treat \x1c-\x1f as whitespace; Rust's \s does not
_FAST_ID = r"^[^\s\x1c-\x1f/\\?#%\x00]{1,64}$"
_FAST_REGION = (r"^(?:" + "|".join(sorted(_PROVINCE_PREFIXES)) + r")(?:\d{4}|\d{7}|\d{10})$")
_FAST_SHIFT = r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$"


def _strict(schema: dict) -> dict:
    return {**schema, "strict": True}


def _nullable(inner: dict, nullable: bool) -> dict:
    return {"type": "nullable", "schema": inner} if nullable else inner


def _unwrap_nullable(schema: dict) -> tuple[dict, bool]:
    return (schema["schema"], True) if schema.get("type") == "nullable" else (schema, False)


def _fast_leaf(func: Any, inner: dict) -> dict | None:
    """The strict schema that stands for ``BeforeValidator(func)`` over ``inner`` on canonical
    input, or None when there is none (the model then has no fast path)."""
    base, nullable = _unwrap_nullable(inner)
    kind = base.get("type")
    name = getattr(func, "__qualname__", "")
    if func in (_text, _required_text) and kind == "str":
        return _nullable(_strict(base), nullable)  # blank, padded and NUL texts are refused by _canonical_values
    if func is normalize_region_code and kind == "str":
        return _nullable(_strict({**base, "pattern": _FAST_REGION}), nullable)
    if func in (_id, _opt_id) and kind == "str":
        return _nullable(_strict({**base, "pattern": _FAST_ID}), nullable)
    if func is parse_shift_time and kind == "str":
        return _nullable(_strict({**base, "pattern": _FAST_SHIFT}), nullable)
    if func is parse_date and kind == "date":
        return _nullable({"type": "chain", "steps": [{"type": "str", "strict": True, "pattern": _FAST_DATE}, base]},
                         nullable)
    if func is _blank_to_none and kind == "float":
        return _nullable(_strict({**base, "allow_inf_nan": False}), nullable)
    if func is parse_bool and kind == "bool":
        return _nullable(_strict(base), nullable)
    if func is _list and kind == "list" and base.get("items_schema", {}).get("type") == "str":
        return _nullable(_strict({**base, "items_schema": _strict(base["items_schema"])}), nullable)
    if name.startswith("_enum.") and kind == "enum":  # _enum(E): a value of E (lax: the value, not only a member)
        return _nullable(base, nullable)
    if name.startswith("_enum_list.") and kind == "list" and base.get("items_schema", {}).get("type") == "enum":
        return _nullable(_strict(base), nullable)
    if getattr(func, "_fast", None) == "enum_or_default" and kind == "enum":
        return base  # None is refused: it means the default, which the full model gives
    if getattr(func, "_fast", None) == "int_or_default" and kind == "int":
        return _strict(base)
    if getattr(func, "_fast", None) == "int" and kind == "int":
        return _nullable(_strict(base), nullable)
    return None


def _fast_field(schema: dict) -> dict | None:
    """A model-field's inner schema with its Python "before" validators replaced (see above)."""
    kind = schema.get("type")
    if kind == "default":
        inner = _fast_field(schema["schema"])
        return None if inner is None else {**schema, "schema": inner}
    if kind in ("function-after",):
        inner = _fast_field(schema["schema"])
        return None if inner is None else {**schema, "schema": inner}
    if kind == "function-before":
        func = schema["function"]["function"]
        if getattr(func, "__func__", None) is Record._no_nul.__func__:
            return _fast_field(schema["schema"])  # NUL characters are refused by _canonical_values
        if schema["schema"].get("type", "").startswith("function"):
            return None
        return _fast_leaf(func, schema["schema"])
    if kind in ("str", "int", "float", "bool"):
        return _strict(schema)
    if kind == "nullable" and schema["schema"].get("type") in ("str", "int", "float", "bool"):
        return {**schema, "schema": _strict(schema["schema"])}
    return None


def _fast_schema(model: type[Record]) -> dict | None:
    def walk(schema: dict) -> dict | None:
        kind = schema.get("type")
        if kind == "function-after":  # the model's own validators: kept
            inner = walk(schema["schema"])
            return None if inner is None else {**schema, "schema": inner}
        if kind == "model":
            inner = walk(schema["schema"])
            return None if inner is None else {**schema, "schema": inner}
        if kind == "model-fields":
            fields = {}
            for name, field in schema["fields"].items():
                fast = _fast_field(field["schema"])
                if fast is None:
                    return None
                fields[name] = {**field, "schema": fast}
            return {**schema, "fields": fields}
        return None

    return walk(model.__pydantic_core_schema__)


_FAST: dict[type, Any] = {}


def _fast_validator(model: type[Record]):
    if model not in _FAST:
        from pydantic_core import SchemaValidator

        schema = _fast_schema(model)
        _FAST[model] = None if schema is None else SchemaValidator(schema)
    return _FAST[model]


def _canonical_text(value: str) -> bool:
    return "\x00" not in value and value.strip() == value and value not in _BLANK_TEXT


def _canonical_values(data: dict[str, Any]) -> bool:
    """No value of ``data`` is text that a validator would change (blank words, surrounding
    whitespace) or refuse (NUL), and every list is one ``split_list`` leaves as it is."""
    for value in data.values():
        kind = type(value)
        if kind is str:
            if not _canonical_text(value):
                return False
        elif kind is list:
            # stripped, non-blank texts: split_list keeps such a list as it is when no item repeats
            if value and (not all(type(v) is str and _canonical_text(v) for v in value) or len(set(value)) != len(value)):
                return False
        elif kind is tuple or kind is set or kind is frozenset or kind is dict:
            return False
    return True


def validate_fast(model: type[Record], records: Sequence[Any]) -> list[Record | None]:
    """``model`` records from those of ``records`` that are dicts in canonical form, through the fast
    path (see above); None for every other one, which the caller validates in full with
    ``model.model_validate`` (for its value or its error)."""
    fast = _fast_validator(model)
    out: list[Record | None] = [None] * len(records)
    if fast is None:
        return out
    for i, rec in enumerate(records):
        if type(rec) is dict and _canonical_values(rec):
            with contextlib.suppress(ValidationError):
                out[i] = fast.validate_python(rec)
    return out
