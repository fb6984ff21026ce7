"""Who may do what: roles, the principal behind a request, and the pure rules of access.

Six roles (DESIGN.md section 5). Staff accounts (province, city, county, station) act only inside
their region: a record is theirs when its region code starts with the account's. An employer
account is bound to one employer id and sees its own jobs, their candidates (masked) and the
referrals to them. The platform service reads province-wide what it needs to push digests (jobs,
employers, stations, digests, statistics) and may import jobs; it never reads seekers.

Two kinds of "no": a verb a role may never use is :class:`~matcher.errors.Forbidden` (403); a
record outside the account's area or employer is :class:`~matcher.errors.NotFoundError` (404), so
that asking by id never confirms that a record exists elsewhere. Everything here is pure; reading
records to decide (a referral's seeker, a job's employer) happens in ``api/guard.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from matcher.errors import FieldError, Forbidden, ValidationFailed


class Role(StrEnum):
    province = "province"
    city = "city"
    county = "county"
    station = "station"
    employer = "employer"
    platform = "platform"


ROLE_ZH = {
    Role.province: "省级", Role.city: "市级", Role.county: "县级", Role.station: "服务站",
    Role.employer: "用人单位", Role.platform: "平台服务",
}

STAFF = frozenset({Role.province, Role.city, Role.county, Role.station})
# county and above may read the audit log of their area and manage stations
SUPERVISORS = frozenset({Role.province, Role.city, Role.county})
PROVINCE_PREFIX = "13"  # Hebei

# The region code length each staff role is bound to.
REGION_LENGTHS = {Role.province: (2,), Role.city: (4,), Role.county: (6,), Role.station: (6, 9, 12)}

READ, WRITE = "read", "write"

# resource -> role -> verbs. Resources are the API's: records plus the derived views.
_ALL = frozenset({READ, WRITE})
_R = frozenset({READ})
_NONE: frozenset[str] = frozenset()
PERMISSIONS: dict[str, dict[Role, frozenset[str]]] = {
    "jobs": {**dict.fromkeys(STAFF, _ALL), Role.employer: _ALL, Role.platform: _ALL},
    "seekers": {**dict.fromkeys(STAFF, _ALL), Role.employer: _R, Role.platform: _NONE},
    "employers": {**dict.fromkeys(STAFF, _ALL), Role.employer: _ALL, Role.platform: _R},
    "stations": {**dict.fromkeys(SUPERVISORS, _ALL), Role.station: _R, Role.employer: _R, Role.platform: _R},
    "referrals": {**dict.fromkeys(STAFF, _ALL), Role.employer: _R, Role.platform: _NONE},
    "matches": {**dict.fromkeys(STAFF, _R), Role.employer: _NONE, Role.platform: _NONE},
    "candidates": {**dict.fromkeys(STAFF, _R), Role.employer: _R, Role.platform: _NONE},
    "digests": {**dict.fromkeys(STAFF, _R), Role.employer: _NONE, Role.platform: _R},
    "stats": {**dict.fromkeys(STAFF, _R), Role.employer: _NONE, Role.platform: _R},
    "audit": {**dict.fromkeys(SUPERVISORS, _R), Role.station: _NONE, Role.employer: _NONE, Role.platform: _NONE},
    "metrics": {Role.province: _R, Role.platform: _R},
    # the station's daily work (issue 14): staff of the area; 包联 assignments are made by county and above
    "employment": {**dict.fromkeys(STAFF, _ALL), Role.employer: _NONE, Role.platform: _NONE},
    "cases": {**dict.fromkeys(STAFF, _ALL), Role.employer: _NONE, Role.platform: _NONE},
    "services": {**dict.fromkeys(STAFF, _ALL), Role.employer: _NONE, Role.platform: _NONE},
    "assignments": {**dict.fromkeys(SUPERVISORS, _ALL), Role.station: _R, Role.employer: _NONE, Role.platform: _NONE},
    # network (DESIGN.md §8)
    "coverage": {**dict.fromkeys(STAFF, _R), Role.employer: _NONE, Role.platform: _R},
    "cooperation": {**dict.fromkeys(SUPERVISORS, _ALL), Role.station: _R, Role.employer: _NONE, Role.platform: _R},
    "events": {**dict.fromkeys(STAFF, _ALL), Role.employer: _NONE, Role.platform: _NONE},
    "gigs": {**dict.fromkeys(STAFF, _R), Role.employer: _NONE, Role.platform: _NONE},
}

RESOURCE_ZH = {
    "jobs": "岗位", "seekers": "求职者", "employers": "用人单位", "stations": "服务站", "referrals": "推荐",
    "matches": "岗位推荐", "candidates": "候选人", "digests": "每日推送", "stats": "统计", "audit": "审计日志",
    "metrics": "运行指标", "employment": "就业台账", "cases": "援助对象", "services": "服务记录", "assignments": "包联",
    "coverage": "服务圈覆盖", "cooperation": "对口协作", "events": "招聘活动", "gigs": "零工市场",
}


@dataclass(frozen=True)
class Principal:
    """The account behind a request."""

    account_id: str
    name: str
    role: Role
    region_code: str | None = None
    employer_id: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF

    @property
    def province_wide(self) -> bool:
        return self.role in (Role.province, Role.platform)

    def covers(self, region_code: str | None) -> bool:
        """Is a record with this region code inside the account's area? (Never for employers.)"""
        if self.province_wide:
            return True
        if not self.is_staff or not region_code or not self.region_code:
            return False
        return region_code.startswith(self.region_code)


def require(principal: Principal, resource: str, verb: str) -> None:
    """Raise :class:`Forbidden` unless the role may use ``verb`` on ``resource``."""
    if verb not in PERMISSIONS.get(resource, {}).get(principal.role, _NONE):
        zh = RESOURCE_ZH.get(resource, resource)
        what = "查看" if verb == READ else "修改"
        raise Forbidden(f"{ROLE_ZH[principal.role]}账号无权{what}{zh} / a {principal.role} account may not "
                        f"{verb} {resource}")


def narrow_region(principal: Principal, requested: str | None) -> str | None | bool:
    """The region prefix a staff query may use: the requested one when it lies inside the account's
    area, the account's own when the request is broader (or absent), ``False`` when the two areas do
    not meet (the answer is then empty / not found). Province-wide accounts get what they ask."""
    if principal.province_wide:
        return requested
    own = principal.region_code or ""
    if requested is None or own.startswith(requested):
        return own
    if requested.startswith(own):
        return requested
    return False


def area_for(principal: Principal, requested: str | None) -> str | None | bool:
    """The area of a digest or statistics request: what was asked when it lies inside the account's
    area (the account's own area when nothing was asked), ``False`` otherwise (answered as not found:
    a request for a neighbour's area must not tell more than a missing one)."""
    if principal.province_wide:
        return requested
    own = principal.region_code or ""
    if requested is None:
        return own
    return requested if requested.startswith(own) else False


def check_account_fields(role: Role | str, region_code: str | None, employer_id: str | None) -> tuple[Role, str | None, str | None]:
    """Validate and normalise an account's binding; bilingual errors."""
    try:
        role = Role(str(role).strip().lower())
    except ValueError:
        allowed = "、".join(r.value for r in Role)
        raise ValidationFailed([FieldError("role", f"角色无效：{role}，可选：{allowed} / unknown role; allowed: {allowed}")]) from None
    region = (region_code or "").strip() or None
    employer = (employer_id or "").strip() or None
    if role == Role.province and region is None:
        region = PROVINCE_PREFIX
    if role in STAFF:
        if employer:
            raise ValidationFailed([FieldError("employer_id", "工作人员账号不能绑定用人单位 / a staff account has no employer")])
        lengths = REGION_LENGTHS[role]
        if region is None or not region.isdigit() or len(region) not in lengths or not region.startswith(PROVINCE_PREFIX):
            want = "/".join(str(n) for n in lengths)
            raise ValidationFailed([FieldError(
                "region_code", f"{ROLE_ZH[role]}账号需要 {want} 位的河北区划代码（以 13 开头）/ a {role} account needs a "
                               f"{want}-digit Hebei region code (starting with 13)", value=region)])
    elif role == Role.employer:
        if not employer:
            raise ValidationFailed([FieldError("employer_id", "用人单位账号需要 --employer 单位编号 / an employer account "
                                                              "needs --employer ID")])
        if region:
            raise ValidationFailed([FieldError("region_code", "用人单位账号不绑定区划 / an employer account has no region")])
    else:  # platform: province-wide, no binding
        if region or employer:
            raise ValidationFailed([FieldError("role", "平台服务账号不绑定区划或单位 / a platform account has no region or "
                                                       "employer")])
    return role, region, employer


# -- what an employer may see of a seeker -------------------------------------------------------------
def masked_seeker(seeker: dict[str, Any]) -> dict[str, Any]:
    """A seeker as an employer sees it before the seeker consented to a referral to that employer:
    ID number, phone and exact address masked, no coordinates, no birth date beyond the year, the
    region cut to the county, and no assistance group (never an employer's business)."""
    from matcher.matches import mask_id_number, mask_name, mask_phone

    out = dict(seeker)
    out["name"] = mask_name(seeker.get("name"))
    out["id_number"] = mask_id_number(seeker.get("id_number"))
    out["phone"] = mask_phone(seeker.get("phone"))
    out["address"] = "（已隐藏 / hidden）" if seeker.get("address") else None
    out["lat"] = out["lng"] = None
    born = seeker.get("birth_date")
    out["birth_date"] = None
    out["birth_year"] = int(str(born)[:4]) if born else None
    out["priority_groups"] = []
    region = seeker.get("region_code")
    out["region_code"] = str(region)[:6] if region else None  # the county, not the township or village
    return out


def consented_seeker(seeker: dict[str, Any]) -> dict[str, Any]:
    """A seeker as an employer sees it after a consented referral: contact details, still no
    assistance group."""
    return {**seeker, "priority_groups": []}
