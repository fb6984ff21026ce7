"""Reasons that are true (issue 10): "一致" only for the same occupation, "相近" only for the same
2/3-level group of the 2022 classification, nothing from a weak match. Table-driven, through the
real engine (real encoder, taxonomy, FAISS, SQLite), in both directions.

The expected word was decided by reading the 2022 classification, not by running the engine:
same 4-level occupation -> 一致; same 3-level (or 2-level) group -> 相近; otherwise nothing."""

from datetime import date, timedelta

import pytest

TODAY = date(2026, 11, 20)
BASE = (38.00, 114.50)

SAME, NEAR, NONE = "一致", "相近", None

# (what the seeker wants, the job's title, what the reason may say)
TABLE = [
    # the same occupation, said differently
    ("电焊工", "焊工", SAME),
    ("保安", "物业保安", SAME),
    ("库管", "仓库管理员", SAME),
    ("超市收银", "收银员", SAME),
    ("保姆", "家政服务员", SAME),
    ("月嫂", "家政服务员", SAME),
    ("理发师", "美发师", SAME),
    ("叉车工", "叉车司机", SAME),
    ("外卖员", "送餐员", SAME),
    ("维修电工", "电工", SAME),
    ("保洁", "保洁员", SAME),
    ("服务员", "餐厅服务员", SAME),
    ("导购", "营业员", SAME),
    ("厨师", "中餐厨师", SAME),
    # the same 3-level or 2-level group
    ("美容师", "美发师", NEAR),  # 4-10-03 美容美发
    ("养老护理员", "家政服务员", NEAR),  # 4-10-01 生活照料
    ("货车司机", "网约车司机", NEAR),  # 4-02-02 汽车驾驶员
    ("收银员", "营业员", NEAR),  # 4-01-02 销售人员
    ("快递员", "仓库管理员", NEAR),  # 4-02 交通运输、仓储和邮政业服务人员
    ("餐厅服务员", "中餐厨师", NEAR),  # 4-03-02 餐饮服务人员
    # different occupations: never 一致 or 相近 (the first two were wrong before issue 10)
    ("缝纫工", "物业保安", NONE),
    ("快递员", "保育员", NONE),
    ("会计", "电焊工", NONE),
    ("保安", "幼儿园老师", NONE),
    ("电工", "收银员", NONE),
    ("厨师", "货车司机", NONE),
    ("美发师", "叉车司机", NONE),
    ("教师", "保洁员", NONE),
    ("育婴员", "快递员", NONE),
    ("钳工", "焊工", NONE),  # 6-20 vs 6-18: both production work, different 2-level groups
    ("保安", "保洁员", NONE),
    ("会计", "收银员", NONE),
]


def _occupation_word(reasons: list[str]) -> str | None:
    words = {w for r in reasons for w in (SAME, NEAR) if w in r and ("想做" in r)}
    assert len(words) <= 1, reasons
    return words.pop() if words else None


def _job(n: int, title: str) -> dict:
    return {"id": f"J{n:02d}", "title": title, "description": "", "region_code": "130102", "lat": BASE[0] + 0.001 * n,
            "lng": BASE[1], "posted_at": (TODAY - timedelta(days=2)).isoformat(),
            "expires_at": (TODAY + timedelta(days=30)).isoformat()}


def _seeker(n: int, wish: str) -> dict:
    return {"id": f"S{n:02d}", "desired_occupations": [wish], "region_code": "130102", "lat": BASE[0] + 0.001 * n,
            "lng": BASE[1], "consent_to_share": True, "status": "unemployed"}


@pytest.fixture
def loaded(engine):
    titles = sorted({t for _, t, _ in TABLE})
    wishes = sorted({w for w, _, _ in TABLE})
    engine.upsert_jobs([_job(n, t) for n, t in enumerate(titles)])
    engine.upsert_seekers([_seeker(n, w) for n, w in enumerate(wishes)])
    return engine, {t: f"J{n:02d}" for n, t in enumerate(titles)}, {w: f"S{n:02d}" for n, w in enumerate(wishes)}


def test_table_has_enough_cases():
    assert len(TABLE) >= 30 and {e for *_, e in TABLE} == {SAME, NEAR, NONE}


def test_job_lists_say_only_true_occupation_reasons(loaded):
    engine, job_ids, _ = loaded
    wrong = []
    for wish, title, expected in TABLE:
        found = {m.id: m for m in engine.match_jobs({"desired_occupations": [wish], "lat": BASE[0], "lng": BASE[1],
                                                     "region_code": "130102"}, k=50, today=TODAY)}
        m = found.get(job_ids[title])
        assert m is not None, (wish, title)
        got = _occupation_word(m.reasons)
        if got != expected:
            wrong.append((wish, title, expected, got, m.reasons))
        if got:  # the reason quotes the wish the seeker gave
            assert any(f"与您想做的{wish}{got}" in r for r in m.reasons), m.reasons
        level = m.breakdown["occupation_level"]
        assert (got == SAME) <= (level == 4) and (got == NEAR) <= (level in (2, 3))
    assert not wrong, wrong


def test_candidate_lists_say_only_true_occupation_reasons(loaded):
    engine, job_ids, seeker_ids = loaded
    wrong = []
    for title in sorted(job_ids):
        found = {m.id: m for m in engine.match_candidates(job_ids[title], k=50, today=TODAY)}
        for wish, t, expected in TABLE:
            if t != title:
                continue
            m = found.get(seeker_ids[wish])
            assert m is not None, (wish, title)
            got = _occupation_word(m.reasons)
            if got != expected:
                wrong.append((wish, title, expected, got, m.reasons))
            if got:
                assert any(f"想做{wish}，与岗位{got}" in r for r in m.reasons), m.reasons
    assert not wrong, wrong


def test_wage_reason_says_below_when_below():
    from matcher.ranking.explain import wage_reason

    nan = float("nan")
    assert wage_reason(3000, 4000, 5000) == "月薪3000-4000元，低于您期望的5000元"
    assert wage_reason(5000, 7000, 6000) == "月薪5000-7000元，不低于您期望的6000元"
    assert wage_reason(4500, nan, nan) == "月薪4500元"
    assert wage_reason(nan, nan, 5000) is None
