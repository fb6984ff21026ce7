"""Short Chinese reasons a staff member can read out ("距您约1.2公里，骑电动车约6分钟").

A reason is true or absent: "一致" only for the same 4-level occupation, "相近" only for the same
2/3-level group, and only when both sides' codes are sure enough (``reason_confidence``); reach
reasons say the tier ("超出通勤范围（约294公里），需外出务工")."""

from __future__ import annotations

import math

from matcher.features.tables import PRIORITY_BITS
from matcher.ranking import reach as R
from matcher.vocab import PRIORITY_GROUP_ZH, PriorityGroup

MODE_ZH = {"walk": "步行", "ebike": "骑电动车", "bus": "坐公交", "car": "开车"}
#: The first reason of a list in which nothing relevant is reachable (both directions).
NOTHING_REACHABLE = {"jobs": "本圈暂无合适岗位，以下为通勤范围外的岗位",
                     "seekers": "附近暂无合适人选，以下为通勤范围外的求职者"}
#: ... when the list starts with nearby items of another occupation (none relevant within 50 km).
NOTHING_RELEVANT_NEARBY = {"jobs": "本圈暂无合适岗位，以下先列出附近的其他岗位",
                           "seekers": "附近暂无合适人选，以下先列出附近的其他求职者"}
#: Every line a list may open with (the first reason of its first match).
LIST_HEADERS = frozenset([*NOTHING_REACHABLE.values(), *NOTHING_RELEVANT_NEARBY.values()])


def _km(km: float) -> str:
    return f"{km:.1f}" if km < 10 else f"{km:.0f}"


def reach_reason(tier: int, km: float, minutes: float, located: bool, precision: int, urban: bool, circle: float,
                 mode: str, migrate_km: float, who: str = "您") -> str:
    """Where the pair stands: distance, travel time and tier (``who``: "您" or "岗位")."""
    if not located or km is None or math.isnan(km):
        return "岗位或住址未提供位置，距离未知"
    mine = "您的" if who == "您" else "本人"
    if tier == R.BEYOND_REACH:
        text = f"超出{mine}通勤范围（约{_km(km)}公里）"
        return text + ("，需外出务工" if km > migrate_km else "")
    if tier == R.COOPERATION:  # 对口协作: a paired region (matcher.cooperation.REASON)
        return f"{'对口协作岗位' if who == '您' else '对口协作地区求职者'}（约{_km(km)}公里）"
    if precision <= R.COUNTY:
        return f"距{who}约{_km(km)}公里（按区县中心估算）"
    unit = "分钟" if urban else "公里"
    where = f"在{circle:g}{unit}就业圈内" if tier == R.INSIDE_CIRCLE else f"在{mine}通勤范围内"
    if urban:
        return f"距{who}约{_km(km)}公里，{MODE_ZH.get(mode, '')}约{max(1, round(minutes))}分钟，{where}"
    return f"距{who}约{_km(km)}公里，{where}"


def occupation_reason(level: int, confidence: float, wish: str | None, min_confidence: float,
                      direction: str = "jobs") -> str | None:
    """"一致" for the same 4-level occupation, "相近" for the same 2/3-level group; nothing when the
    codes are a guess (either side below ``min_confidence``) or there is no wish to quote."""
    if not wish or level < 2 or confidence < min_confidence:
        return None
    word = "一致" if level == 4 else "相近"
    if direction == "jobs":
        return f"与您想做的{wish}{word}"
    return f"想做{wish}，与岗位{word}"


def skills_reason(matched: list[str], direction: str = "jobs") -> str | None:
    if not matched:
        return None
    if direction == "jobs":
        return f"您的{'、'.join(matched[:3])}符合岗位要求"
    return f"具备{'、'.join(matched[:3])}"


def wage_reason(wage_min: float, wage_max: float, desired: float) -> str | None:
    if math.isnan(wage_min) and math.isnan(wage_max):
        return None
    lo, hi = (wage_min if not math.isnan(wage_min) else wage_max), (wage_max if not math.isnan(wage_max) else wage_min)
    text = f"月薪{lo:.0f}元" if lo == hi else f"月薪{lo:.0f}-{hi:.0f}元"
    if not math.isnan(desired) and desired > 0:
        text += f"，{'不低于' if hi >= desired else '低于'}您期望的{desired:.0f}元"
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
