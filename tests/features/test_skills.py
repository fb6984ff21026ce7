"""Skill vocabulary, extraction and overlap (matcher.features.skills)."""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from importlib import resources

import pytest

from matcher.features.skills import (
    CATEGORIES,
    IMPLIES,
    SkillVocabulary,
    default_vocabulary,
    matched_skills,
    skill_overlap,
)
from matcher.features.text import normalize, split_list


@pytest.fixture(scope="module")
def vocab() -> SkillVocabulary:
    return SkillVocabulary.load()


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("matcher.data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


# --------------------------------------------------------------------------------------------------
# the shipped table
# --------------------------------------------------------------------------------------------------


def test_table_shape():
    rows = _rows("skills.csv")
    assert 250 <= len(rows) <= 400
    assert set(rows[0]) == {"skill", "synonyms", "category"}
    names = [r["skill"] for r in rows]
    assert len(names) == len(set(names)), "canonical names must be unique"
    assert {r["category"] for r in rows} <= set(CATEGORIES)
    assert {r["category"] for r in rows} == set(CATEGORIES)


def test_no_spelling_maps_to_two_skills():
    owners = defaultdict(set)
    for r in _rows("skills.csv"):
        for spelling in [r["skill"], *split_list(r["synonyms"])]:
            owners[normalize(spelling).replace(" ", "")].add(r["skill"])
    clashes = {k: v for k, v in owners.items() if len(v) > 1}
    assert not clashes


@pytest.mark.parametrize(
    ("spelling", "canonical", "category"),
    [
        ("焊工证", "焊工证", "certificate"),
        ("电焊证", "焊工证", "certificate"),
        ("电工证", "电工证", "certificate"),
        ("低压电工作业证", "电工证", "certificate"),
        ("叉车证", "叉车证", "certificate"),
        ("健康证", "健康证", "certificate"),
        ("厨师证", "厨师证", "certificate"),
        ("育婴员证", "育婴员证", "certificate"),
        ("育婴师证", "育婴员证", "certificate"),
        ("保安员证", "保安员证", "certificate"),
        ("消防设施操作员证", "消防设施操作员证", "certificate"),
        ("C1驾照", "C1驾照", "driving"),
        ("驾驶证C1", "C1驾照", "driving"),
        ("c1", "C1驾照", "driving"),
        ("C2驾驶证", "C2驾照", "driving"),
        ("驾驶证B2", "B2驾照", "driving"),
        ("A2驾照", "A2驾照", "driving"),
        ("Excel", "Excel", "tool"),
        ("EXCEL表格", "Excel", "tool"),
        ("Word", "Word", "tool"),
        ("Photoshop", "PS", "tool"),
        ("普通话", "普通话", "language"),
        ("吃苦耐劳", "吃苦耐劳", "soft"),
        ("电焊", "焊接", "technical"),
    ],
)
def test_required_entries(vocab, spelling, canonical, category):
    assert vocab.canonical(spelling) == canonical
    assert vocab.category(spelling) == category
    assert spelling in vocab


def test_implications_use_known_skills(vocab):
    for skill, implied in IMPLIES.items():
        assert skill in vocab, skill
        for s in implied:
            assert vocab.canonical(s) == s, s


def test_default_vocabulary_is_cached():
    assert default_vocabulary() is default_vocabulary()
    assert len(default_vocabulary()) == len(_rows("skills.csv"))


# --------------------------------------------------------------------------------------------------
# extract / canonical
# --------------------------------------------------------------------------------------------------


def test_extract_known_answer(vocab):
    found = vocab.extract("持有电工证和C1驾照，会用Excel")
    assert {"电工证", "C1驾照", "Excel"} <= set(found)
    assert found[:3] == ["电工证", "C1驾照", "Excel"]


def test_extract_longest_match_wins(vocab):
    assert vocab.extract("C1驾照") == ["C1驾照"]
    assert vocab.extract("有高压电工证") == ["高压电工证"]  # not 电工证
    assert vocab.extract("二氧化碳保护焊") == ["二氧化碳保护焊"]


def test_extract_latin_word_boundaries(vocab):
    assert "PS" not in vocab.extract("车载GPS导航")
    assert "Word" not in vocab.extract("password")
    assert "Java" not in vocab.extract("熟悉JavaScript")
    assert vocab.extract("会PS和Word") == ["PS", "Word"]


def test_extract_order_dedup_and_empty(vocab):
    assert vocab.extract("叉车证 叉车证 健康证") == ["叉车证", "健康证"]
    assert vocab.extract("") == []
    assert vocab.extract(None) == []
    assert vocab.extract("xyzxyz") == []


def test_extract_traditional_and_full_width(vocab):
    assert vocab.extract("持有電工證，ＥＸＣＥＬ熟練") == ["电工证", "Excel"]


def test_canonical_rules(vocab):
    assert vocab.canonical("熟练使用Excel") == "Excel"  # a phrase with exactly one skill
    assert vocab.canonical("  未知技能XYZ ") == "未知技能xyz"  # unknown: normalised
    assert vocab.canonical("") == ""
    assert vocab.canonical(None) == ""
    assert vocab.lookup("熟练使用Excel") is None


def test_expand_follows_licence_classes(vocab):
    assert {"B2驾照", "C1驾照", "C2驾照", "驾驶证"} <= vocab.expand(["A2驾照"])
    assert "B2驾照" not in vocab.expand(["C1驾照"])
    assert "焊接" in vocab.expand(["氩弧焊"])


def test_extract_is_fast(vocab):
    import time

    text = "持有电工证和C1驾照，会用Excel，吃苦耐劳，能上夜班，有焊工证，会开叉车"
    vocab.extract(text)
    n = 500
    t0 = time.perf_counter()
    for _ in range(n):
        vocab.extract(text)
    assert (time.perf_counter() - t0) / n < 0.5e-3


# --------------------------------------------------------------------------------------------------
# overlap
# --------------------------------------------------------------------------------------------------


def test_overlap_known_answers():
    assert skill_overlap(["电工证", "C1驾照"], ["低压电工证", "驾驶证C1", "焊工证"]) == pytest.approx(2 / 3)
    assert skill_overlap(["焊工证"], ["焊工证"]) == 1.0
    assert skill_overlap([], ["焊工证"]) == 0.0
    assert skill_overlap(["焊工证"], ["叉车证", "电工证"]) == 0.0


def test_overlap_nothing_wanted_is_zero_not_nan():
    assert skill_overlap(["焊工证"], []) == 0.0
    assert skill_overlap([], []) == 0.0
    assert skill_overlap(None, None) == 0.0
    assert not math.isnan(skill_overlap([], []))


def test_overlap_implications():
    assert skill_overlap(["B2驾照"], ["C1驾照"]) == 1.0  # a B2 licence covers C1
    assert skill_overlap(["C1驾照"], ["B2驾照"]) == 0.0
    assert skill_overlap(["焊工证"], ["特种作业操作证"]) == 1.0


def test_overlap_strings_are_lists_and_phrases_are_read():
    assert skill_overlap("电工证、C1驾照", "电工证;焊工证") == 0.5
    assert skill_overlap(["熟练使用Excel和Word"], ["Excel", "Word", "PPT"]) == pytest.approx(2 / 3)


def test_overlap_unknown_skills_compare_by_normalised_text():
    assert skill_overlap(["会做月饼"], ["会做月饼 "]) == 1.0
    assert skill_overlap(["会做月饼"], ["会做粽子"]) == 0.0


def test_overlap_duplicates_count_once():
    assert skill_overlap(["电工证"], ["电工证", "低压电工证", "焊工证"]) == 0.5


def test_matched_skills_order_and_canonical_names():
    assert matched_skills(["电焊证", "B2驾照", "Excel"], ["Excel", "C1驾照", "焊工证", "叉车证"]) == [
        "Excel",
        "C1驾照",
        "焊工证",
    ]
    assert matched_skills(["x"], []) == []


def test_overlap_custom_vocabulary():
    from matcher.features.skills import Skill

    v = SkillVocabulary([Skill("甲证", ("甲",), "certificate"), Skill("乙证", (), "certificate")], implies={})
    assert skill_overlap(["甲"], ["甲证", "乙证"], vocabulary=v) == 0.5
