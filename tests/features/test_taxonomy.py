"""Occupation taxonomy and free-text mapping (matcher.features.taxonomy)."""

from __future__ import annotations

import csv
import gzip
import random
import re
import time
from collections import Counter
from importlib import resources
from pathlib import Path

import pytest

from matcher.features.skills import SkillVocabulary
from matcher.features.taxonomy import MAJOR_GROUP_NAMES, Occupation, OccupationTaxonomy, code_level

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
CLASSIFICATION = "occupations_2022.csv"


def shared_file(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"reference data {path} is not present on this machine")
    return path


def read_classification(path: Path) -> dict[str, tuple[str, str]]:
    """code -> (层级, name with the trailing S / L / L/S markers stripped)."""
    out = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            name = re.sub(r"\s*(?:L/S|S/L|S|L)\s*$", "", row["职业名称"].strip()).strip()
            out[row["职业编码"].strip()] = (row["层级"].strip(), name)
    return out


@pytest.fixture(scope="module")
def tax() -> OccupationTaxonomy:
    return OccupationTaxonomy.load()


@pytest.fixture(scope="module")
def full_tax() -> OccupationTaxonomy:
    return OccupationTaxonomy.load(shared_file(CLASSIFICATION))


def _rows() -> list[dict[str, str]]:
    text = resources.files("matcher.data").joinpath("occupations.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


# --------------------------------------------------------------------------------------------------
# the shipped table
# --------------------------------------------------------------------------------------------------


def test_table_shape(tax):
    rows = _rows()
    assert set(rows[0]) == {
        "code",
        "name",
        "major_group",
        "synonyms",
        "skills",
        "typical_education",
        "physical",
    }
    assert 150 <= len(rows) <= 220
    assert len(tax) == len(rows)
    assert len({r["code"] for r in rows}) == len(rows)
    for occ in tax:
        assert isinstance(occ, Occupation)
        assert code_level(occ.code) == 4
        assert occ.major_group == occ.code[0]
        assert occ.synonyms, occ.code
        assert occ.skills, occ.code
        assert occ.typical_education, occ.code
        assert occ.physical in {"light", "medium", "heavy"}, occ.code


def test_many_grassroots_occupations(tax):
    groups = Counter(o.major_group for o in tax)
    assert groups["4"] + groups["5"] + groups["6"] >= 40
    assert groups["4"] >= 40 and groups["6"] >= 40 and groups["5"] >= 10
    assert groups["2"] >= 20 and groups["3"] >= 5  # white-collar jobs map too


def test_occupation_skills_are_canonical_vocabulary_entries(tax):
    vocab = SkillVocabulary.load()
    for occ in tax:
        for skill in occ.skills:
            assert vocab.lookup(skill) == skill, (occ.code, skill)


def test_synonyms_are_rarely_shared(tax):
    owners: dict[str, set[str]] = {}
    for occ in tax:
        for s in {occ.name, *occ.synonyms}:
            owners.setdefault(s.lower(), set()).add(occ.code)
    shared = {s for s, codes in owners.items() if len(codes) > 1}
    # deliberate: plain 司机/驾驶员 (passenger or goods) and 护工/护理员 (hospital or elderly care)
    assert shared <= {"司机", "驾驶员", "护工", "护理员"}


def test_codes_exist_in_the_2022_classification(tax):
    """Every shipped code is a 4-level occupation of the 2022 classification, under the same name.

    Codes ending in ``-00`` are the classification's single-occupation small classes (e.g.
    2-06-03-00 会计专业人员, 6-31-05-00 包装工): they are 4-level rows of the published table."""
    full = read_classification(shared_file(CLASSIFICATION))
    for occ in tax:
        assert occ.code in full, occ.code
        level, name = full[occ.code]
        assert level == "四级", occ.code
        assert occ.name == name, (occ.code, occ.name, name)


# --------------------------------------------------------------------------------------------------
# hierarchy
# --------------------------------------------------------------------------------------------------


def test_parent_and_same_group():
    assert OccupationTaxonomy.parent("4-02-01-01", 1) == "4"
    assert OccupationTaxonomy.parent("4-02-01-01", 2) == "4-02"
    assert OccupationTaxonomy.parent("4-02-01-01", 3) == "4-02-01"
    assert OccupationTaxonomy.parent("4-02-01-01", 4) == "4-02-01-01"
    assert OccupationTaxonomy.parent("4-02", 1) == "4"
    with pytest.raises(ValueError):
        OccupationTaxonomy.parent("4-02-01-01", 5)
    with pytest.raises(ValueError):
        OccupationTaxonomy.parent("4-02", 3)
    with pytest.raises(ValueError):
        OccupationTaxonomy.parent("保安", 1)
    assert OccupationTaxonomy.same_group("4-02-07-08", "4-02-05-01", 2)
    assert not OccupationTaxonomy.same_group("4-02-07-08", "4-02-05-01", 3)
    assert OccupationTaxonomy.same_group("6-18-02-04", "6-31-01-03", 1)
    assert not OccupationTaxonomy.same_group("6-18-02-04", "4-07-05-01", 1)
    assert not OccupationTaxonomy.same_group("x", "4-07-05-01", 1)


def test_code_level():
    assert [code_level(c) for c in ("4", "4-02", "4-02-01", "4-02-01-01")] == [1, 2, 3, 4]
    with pytest.raises(ValueError):
        code_level("4-2-1-1")


def test_get_name_contains_iter(tax):
    guard = tax.get("4-07-05-01")
    assert guard is not None and guard.name == "保安员"
    assert "看大门" in guard.synonyms
    assert tax.name("4-07-05-01") == "保安员"
    assert tax.name("4") == MAJOR_GROUP_NAMES["4"]
    assert tax.name("9-99-99-99") is None
    assert tax.get("9-99-99-99") is None
    assert "4-07-05-01" in tax and "9-99-99-99" not in tax
    assert len(list(tax)) == len(tax)


# --------------------------------------------------------------------------------------------------
# matching: known answers
# --------------------------------------------------------------------------------------------------

GUARD = "4-07-05-01"  # 保安员
WELDER = "6-18-02-04"  # 焊工
CASHIER = "4-01-02-04"  # 收银员
FORKLIFT = "6-30-05-01"  # 起重装卸机械操作工: the classification's tasks include 操作叉车
INFANT_CARE = "4-10-01-01"  # 婴幼儿发展引导员: the 2022 name of 育婴员


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("想找个看大门的活", GUARD),
        ("招聘夜班保安 包吃住", GUARD),
        ("电焊", WELDER),
        ("电焊工", WELDER),
        ("超市收银", CASHIER),
        ("开叉车", FORKLIFT),
        ("会开叉车", FORKLIFT),
        ("叉车司机", FORKLIFT),
        ("育儿嫂", INFANT_CARE),
        ("育婴员", INFANT_CARE),
        ("保洁阿姨", "4-09-08-01"),
        ("普工", "6-31-05-00"),
        ("养老院护工", "4-10-01-05"),
        ("外卖骑手", "4-10-08-01"),
        ("快递员", "4-02-07-08"),
        ("瓦工", "6-29-01-01"),
        ("钢筋工", "6-29-01-04"),
        ("架子工", "6-29-01-05"),
        ("油漆工", "6-29-04-01"),
        ("木工", "6-06-03-01"),
        ("维修电工", "6-31-01-03"),
        ("厨师", "4-03-02-01"),
        ("货车司机", "4-02-02-02"),
        ("会计", "2-06-03-00"),
        ("前端开发工程师", "2-02-10-03"),
        ("種地", "5-01-02-01"),  # traditional characters
        ("带货主播", "4-01-06-02"),
    ],
)
def test_match_known_answers(tax, text, code):
    result = tax.match(text)
    assert result, text
    assert result[0][0] == code, (text, result, [tax.name(c) for c, _ in result])


def test_forklift_occupation_is_the_one_that_operates_forklifts(tax):
    path = shared_file(CLASSIFICATION)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        row = next(r for r in csv.DictReader(fh) if r["职业编码"] == FORKLIFT)
    assert "叉车" in row["主要工作任务"]
    assert tax.name(FORKLIFT) == "起重装卸机械操作工"


@pytest.mark.parametrize("text", ["xyzxyz", "", "   ", None, "，。！", "12345", "asdfgh qwerty"])
def test_match_nothing_gives_empty_list(tax, text):
    assert tax.match(text) == []


def test_match_top(tax):
    assert tax.match("电焊", top=0) == []
    assert len(tax.match("司机", top=1)) == 1
    assert len(tax.match("司机", top=5)) == 2


# --------------------------------------------------------------------------------------------------
# matching: confidence semantics
# --------------------------------------------------------------------------------------------------


def test_confidence_levels(tax):
    (code, name_conf), *_ = tax.match("焊工")  # the occupation's own name
    assert code == WELDER and name_conf >= 0.95
    (_, syn_conf), *_ = tax.match("电焊")  # a known title
    assert 0.9 <= syn_conf < name_conf
    (_, wish_conf), *_ = tax.match("想找个看大门的活")  # a wish, cleaned to a known title
    assert 0.85 <= wish_conf <= syn_conf
    (code, sub_conf), *_ = tax.match("北京淘易鑫汽车服务招聘网约车司机")  # title inside longer text
    assert code == "4-02-02-01" and 0.45 <= sub_conf < 0.88
    (_, short_hit), *_ = tax.match("每天200元日结小故事电台读文")  # small part of the text
    assert short_hit < sub_conf


def test_substring_confidence_grows_with_coverage(tax):
    (c1, a), *_ = tax.match("资深java软件工程师")
    (c2, b), *_ = tax.match("java软件工程师团队后台系统维护兼顾数据报表开发支持")
    assert c1 == c2 == "2-02-10-03"
    assert a > b


def test_shared_titles_split_confidence(tax):
    result = tax.match("司机")
    assert {c for c, _ in result} == {"4-02-02-01", "4-02-02-02"}
    assert result[0][1] == result[1][1] < tax.match("货车司机")[0][1]


def test_token_stage_is_weak(tax):
    for text in ("想在超市上班", "结构工程师", "做饭"):
        result = tax.explain(text)
        assert all(method in {"exact", "substring", "tokens"} for _, _, method, _ in result)
        assert all(conf <= 0.5 for _, conf, method, _ in result if method == "tokens")


def test_confidences_are_bounded_sorted_and_deterministic(tax):
    texts = ["电焊", "司机", "北京招聘网约车司机", "想在超市上班", "会计主管", "电子厂普工", "xyz"]
    other = OccupationTaxonomy.load()
    for text in texts:
        result = tax.match(text, top=5)
        assert all(0.0 <= conf <= 1.0 for _, conf in result)
        assert [conf for _, conf in result] == sorted((conf for _, conf in result), reverse=True)
        assert len({c for c, _ in result}) == len(result)
        assert result == tax.match(text, top=5) == other.match(text, top=5)


def test_explain_reports_method(tax):
    code, conf, method, matched = tax.explain("想找个看大门的活")[0]
    assert (code, method, matched) == (GUARD, "exact", "看大门")
    assert tax.explain("xyzxyz") == []


# --------------------------------------------------------------------------------------------------
# loading the full classification
# --------------------------------------------------------------------------------------------------


def test_load_with_a_small_classification_file(tmp_path):
    path = tmp_path / "mini.csv"
    path.write_text(
        "\ufeff层级,职业编码,职业名称,职业描述,主要工作任务\n"
        "一级,4,社会生产服务和生活服务人员,,\n"
        "二级,4-07,租赁和商务服务人员,,\n"
        "三级,4-07-05,安全保护服务人员,,\n"
        "四级,4-07-05-01,保安员,,\n"
        "四级,4-07-05-02,安检员,,\n"
        "四级,4-99-01-01,测试职业 S,,\n"
        "四级,4-99-01-02,另一职业L/S,,\n",
        encoding="utf-8",
    )
    shipped = OccupationTaxonomy.load()
    tax = OccupationTaxonomy.load(path)
    assert len(tax) == len(shipped) + 2  # the shipped table wins for codes it already has
    assert tax.get("4-07-05-01") == shipped.get("4-07-05-01")
    extra = tax.get("4-99-01-01")
    assert (
        extra is not None and extra.name == "测试职业" and extra.synonyms == () and extra.major_group == "4"
    )
    assert tax.name("4-99-01-02") == "另一职业"
    assert tax.is_extra("4-99-01-01") and not tax.is_extra("4-07-05-01")
    assert tax.name("4-07") == "租赁和商务服务人员"
    assert tax.name("4-07-05") == "安全保护服务人员"
    assert tax.match("测试职业")[0] == ("4-99-01-01", 0.95)


def test_load_full_classification(full_tax):
    full = read_classification(shared_file(CLASSIFICATION))
    four = {c for c, (level, _) in full.items() if level == "四级"}
    assert len(full_tax) == len(four)
    assert full_tax.name("4-07") == "租赁和商务服务人员"
    # names only known from the full classification match exactly ...
    assert full_tax.match("茶艺师")[0][0] == "4-03-02-07"
    assert full_tax.match("中医推拿医师")[0][0] == "2-05-02-11"
    # ... an official name beats another occupation's colloquial title ...
    assert full_tax.match("邮政投递员")[0][0] == "4-02-07-04"
    # ... and the shipped titles still work
    assert full_tax.match("想找个看大门的活")[0][0] == GUARD
    assert full_tax.match("电焊")[0][0] == WELDER


# --------------------------------------------------------------------------------------------------
# speed and coverage on real job titles
# --------------------------------------------------------------------------------------------------


def _titles(path: Path, limit: int, seed: int = 0) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
        titles = [row["职位"].strip() for row in csv.DictReader(fh) if (row.get("职位") or "").strip()]
    if len(titles) > limit:
        titles = random.Random(seed).sample(titles, limit)
    return titles


def test_match_is_fast(tax):
    titles = [f"{prefix}{s}" for occ in tax for s in occ.synonyms[:3] for prefix in ("招聘", "急招高薪")]
    titles += [f"想找个{s}的活" for occ in tax for s in occ.synonyms[:2]]
    tax.explain("想在超市上班")  # loads the word-overlap index (jieba) once
    t0 = time.perf_counter()
    for text in titles:
        tax.explain(text)  # explain() is match() without the result cache
    per_call = (time.perf_counter() - t0) / len(titles)
    print(f"\n{len(titles)} titles: {per_call * 1e3:.3f} ms per match")
    assert per_call < 0.5e-3


def test_coverage_on_real_hebei_titles(tax):
    titles = _titles(shared_file("job_postings_hebei.csv"), 1000)
    mapped = sum(1 for t in titles if tax.match(t))
    coverage = mapped / len(titles)
    print(f"\nHebei titles mapped: {mapped}/{len(titles)} = {coverage:.1%}")
    assert coverage >= 0.6


def test_coverage_on_real_national_titles(tax):
    titles = _titles(shared_file("job_postings_cn_2024_2025.csv.gz"), 1000, seed=1)
    mapped = sum(1 for t in titles if tax.match(t))
    coverage = mapped / len(titles)
    print(f"\nnational titles mapped: {mapped}/{len(titles)} = {coverage:.1%}")
    assert coverage >= 0.6
