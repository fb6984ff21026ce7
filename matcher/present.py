"""How match lists are shown on a terminal (``matcher match``, ``matcher candidates``, ``matcher demo``).

Scores are shown as 匹配度 (0-100, the same scale in both directions: ``docs/matching.md``). A list
in which nothing relevant is within reach opens with a header line saying so."""

from __future__ import annotations

from matcher.ranking.explain import LIST_HEADERS


def header(matches, kind: str) -> str | None:
    """The line a list opens with when nothing relevant is within reach (the first match's first
    reason: "本圈暂无合适岗位，…")."""
    if matches and matches[0].reasons and matches[0].reasons[0] in LIST_HEADERS:
        return "【" + matches[0].reasons[0] + "】"
    return None


def print_matches(matches, kind: str) -> None:
    if not matches:
        print("没有符合条件的结果 / no matches")
        return
    top = header(matches, kind)
    if top:
        print(top)
    for n, m in enumerate(matches, start=1):
        s = m.summary
        score = f"（匹配度 {m.score:.0f}）"
        if kind == "job":
            wage = ""
            if s.get("wage_min") or s.get("wage_max"):
                lo, hi = s.get("wage_min"), s.get("wage_max")
                wage = "  月薪 " + "-".join(f"{v:.0f}" for v in (lo, hi) if v is not None) + " 元"
            print(f"{n:2d}. [{m.id}] {s.get('title')} · {s.get('employer_name') or ''}{wage}  {score}")
        else:
            age = f"{s['age']}岁" if s.get("age") is not None else ""
            wishes = "、".join(s.get("desired_occupations") or [])
            print(f"{n:2d}. [{m.id}] {s.get('name') or ''} {age} 意向：{wishes}  {score}")
        reasons = m.reasons[1:] if top and n == 1 else m.reasons
        for r in reasons:
            print(f"      · {r}")
