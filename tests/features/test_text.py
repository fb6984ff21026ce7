"""normalize, split_list and the domain tokenizer (matcher.features.text)."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.features.text import Tokenizer, default_tokenizer, domain_words, normalize, split_list

# --------------------------------------------------------------------------------------------------
# normalize
# --------------------------------------------------------------------------------------------------


def test_normalize_known_answer():
    assert normalize("ＡＢＣ１２３，電焊工") == "abc123,电焊工"


@pytest.mark.parametrize("missing", [None, float("nan"), "", "   \t\n "])
def test_normalize_missing_values_give_empty_string(missing):
    assert normalize(missing) == ""


def test_normalize_pandas_missing_values():
    pd = pytest.importorskip("pandas")
    assert normalize(pd.NA) == ""
    assert normalize(pd.NaT) == ""


def test_normalize_non_strings_are_stringified():
    assert normalize(123) == "123"
    assert normalize(1.5) == "1.5"


def test_normalize_traditional_to_simplified():
    assert normalize("護理員、廚師、電工證") == "护理员、厨师、电工证"
    assert normalize("養老護理") == "养老护理"


def test_normalize_punctuation_and_whitespace():
    assert normalize("【急招】保安（夜班）  包吃住…") == "[急招]保安(夜班) 包吃住..."
    assert normalize("“好”；可以：是！") == '"好";可以:是!'
    assert normalize("  C1驾照\u3000\t叉车 ") == "c1驾照 叉车"
    # 、 is kept: it is the list separator of Chinese forms
    assert normalize("电焊、叉车") == "电焊、叉车"


def test_normalize_lowercases_latin_only():
    assert normalize("Java开发 EXCEL Ｗord") == "java开发 excel word"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("五年经验", "5年经验"),
        ("十年以上", "10年以上"),
        ("二十五岁", "25岁"),
        ("两年", "2年"),
        ("三个月", "3个月"),
        ("一线操作工", "一线操作工"),  # not followed by a unit: untouched
        ("五险一金", "五险一金"),
    ],
)
def test_normalize_chinese_numerals_before_units(text, expected):
    assert normalize(text) == expected


@given(st.text(max_size=40))
def test_normalize_is_idempotent(text):
    once = normalize(text)
    assert normalize(once) == once


@given(st.text(max_size=40))
def test_normalize_has_no_full_width_or_edge_space(text):
    out = normalize(text)
    assert out == out.strip()
    assert "  " not in out
    assert not any("\uff01" <= ch <= "\uff5e" for ch in out)


def test_normalize_is_fast():
    import time

    normalize("预热")
    n = 2000
    t0 = time.perf_counter()
    for i in range(n):
        normalize(f"招聘夜班保安{i} 包吃住 五险一金")
    per_call = (time.perf_counter() - t0) / n
    assert per_call < 100e-6, f"{per_call * 1e6:.1f} µs per call"


# --------------------------------------------------------------------------------------------------
# split_list
# --------------------------------------------------------------------------------------------------


def test_split_list_known_answer():
    assert split_list("电焊、叉车;   电工") == ["电焊", "叉车", "电工"]


def test_split_list_separators():
    assert split_list("a,b，c;d；e|f\ng\r\nh") == list("abcdefgh")


def test_split_list_does_not_split_on_slash():
    assert split_list("普工/操作工、C/C++") == ["普工/操作工", "C/C++"]


def test_split_list_strips_dedups_and_keeps_order():
    assert split_list(" 电工 、焊工、电工、、 ") == ["电工", "焊工"]


def test_split_list_lists_pass_through():
    assert split_list(["电焊", " 叉车 ", "", None, "电焊", "C1驾照"]) == ["电焊", "叉车", "C1驾照"]
    assert split_list(("a", "b")) == ["a", "b"]
    assert split_list(x for x in ["a", "a", "b"]) == ["a", "b"]


@pytest.mark.parametrize("missing", [None, float("nan"), "", [], ()])
def test_split_list_missing(missing):
    assert split_list(missing) == []


def test_split_list_scalar():
    assert split_list(5) == ["5"]
    assert not any(isinstance(x, float) and math.isnan(x) for x in split_list([float("nan"), "x"]))


# --------------------------------------------------------------------------------------------------
# Tokenizer
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tok() -> Tokenizer:
    return default_tokenizer()


def test_tokenizer_keeps_domain_words_whole(tok):
    tokens = tok.cut("想找叉车司机的工作，育婴员也行")
    assert "叉车司机" in tokens
    assert "育婴员" in tokens


def test_tokenizer_more_domain_words(tok):
    assert "养老护理员" in tok.cut("我想当养老护理员")
    assert "c1驾照" in tok.cut("持有C1驾照")
    assert "电工证" in tok.cut("有電工證")  # traditional input is normalised first


def test_tokenizer_removes_stopwords_and_punctuation(tok):
    tokens = tok.cut("招聘夜班保安，包吃住！！的了")
    assert "夜班保安" in tokens
    for junk in ("的", "了", "，", ",", "!", "包吃住", "招聘"):
        assert junk not in tokens
    assert tok.cut("") == []
    assert tok.cut(None) == []
    assert tok.cut("，。！？") == []


def test_tokenizer_cut_for_search_yields_sub_words(tok):
    tokens = tok.cut_for_search("叉车司机")
    assert "叉车司机" in tokens
    assert "叉车" in tokens


def test_default_tokenizer_is_cached():
    assert default_tokenizer() is default_tokenizer()


def test_tokenizer_uses_a_private_jieba_instance(tok):
    import jieba

    tok.cut("叉车")
    assert tok._load() is not jieba.dt  # the global jieba instance is never modified


def test_tokenizer_extra_words():
    t = Tokenizer(extra_words=["冀北特岗"], include_domain_words=False)
    assert "冀北特岗" in t.cut("招冀北特岗人员")


def test_domain_words_come_from_shipped_tables():
    words = set(domain_words())
    assert {"叉车司机", "育婴员", "保安员", "电工证", "c1驾照"} <= words
    assert all(w == normalize(w) and " " not in w and len(w) >= 2 for w in words)


def test_importing_does_no_work():
    """Importing the feature modules must not load jieba, OpenCC or any data."""
    code = (
        "import sys, matcher.features.text, matcher.features.taxonomy, matcher.features.skills;"
        "print(sorted(m for m in ('jieba', 'opencc') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
