"""Short Chinese reasons a staff member can read out ("距您约1.2公里，骑电动车约6分钟")."""

from __future__ import annotations

import math

from matcher.features.tables import PRIORITY_BITS
from matcher.vocab import PRIORITY_GROUP_ZH, PriorityGroup

MODE_ZH = {"walk": "步行", "ebike": "骑电动车", "bus": "坐公交", "car": "开车"}


def _km(km: float) -> str:
    return f"{km:.1f}" if km < 10 else f"{km:.0f}"


def locality_reason(km: float, minutes: float, inside: bool, urban: bool, limit: float, mode: str,
                    precision: int, who: str = "您") -> str | None:
    if km is None or math.isnan(km):
        return "岗位或住址未提供位置，距离未知"
    if precision <= 2:  # county/city centre only
        return f"距{who}约{_km(km)}公里（按区县中心估算）"
    if urban and minutes > 180:  # a travel time in hours is no commute: say the distance only
        return f"距{who}约{_km(km)}公里（超出{limit:g}分钟就业圈）"
    if urban:
        text = f"距{who}约{_km(km)}公里，{MODE_ZH.get(mode, '')}约{max(1, round(minutes))}分钟"
        return text + ("" if inside else f"（超出{limit:g}分钟就业圈）")
    return f"距{who}约{_km(km)}公里" + (f"，在{limit:g}公里就业圈内" if inside else f"（超出{limit:g}公里就业圈）")


def occupation_reason(level: int, wish: str | None, job_side_name: str | None = None) -> str | None:
    if not wish or level == 0:
        return None
    if level == 4:
        return f"与您想做的{wish}一致"
    return f"与您想做的{wish}相近"


def skills_reason(matched: list[str]) -> str | None:
    if not matched:
        return None
    return f"您的{'、'.join(matched[:3])}符合岗位要求"


def wage_reason(wage_min: float, wage_max: float, desired: float) -> str | None:
    if math.isnan(wage_min) and math.isnan(wage_max):
        return None
    lo, hi = (wage_min if not math.isnan(wage_min) else wage_max), (wage_max if not math.isnan(wage_max) else wage_min)
    text = f"月薪{lo:.0f}元" if lo == hi else f"月薪{lo:.0f}-{hi:.0f}元"
    if not math.isnan(desired):
        text += f"，不低于您期望的{desired:.0f}元"
    return text


def group_names(bits: int) -> list[str]:
    return [PRIORITY_GROUP_ZH[PriorityGroup(g)] for g, b in PRIORITY_BITS.items() if bits & b]


def job_priority_reason(welcome_hit: int, accessible_hit: bool, welfare: bool) -> str | None:
    if welfare:
        return "公益性岗位，优先安置就业困难人员"
    if accessible_hit:
        return "无障碍岗位，适合残疾人朋友"
    if welcome_hit:
        return f"该岗位欢迎{'、'.join(group_names(welcome_hit)[:2])}"
    return None


def candidate_priority_reason(bits: int) -> str | None:
    """Employer-facing: says the candidate is prioritised, never which (sensitive) group."""
    return "就业援助对象，按政策优先推荐" if bits else None
