"""Text normalisation, list splitting and a domain-aware jieba tokenizer.

Everything here is lazy: importing the module loads neither OpenCC nor jieba. The OpenCC converter,
the set of traditional characters, the jieba dictionary and the domain word list are built on first
use and cached for the life of the process.
"""

from __future__ import annotations

import csv
import functools
import logging
import math
import os
import re
import threading
import unicodedata
from collections.abc import Iterable
from importlib import resources

__all__ = ["Tokenizer", "default_tokenizer", "domain_words", "normalize", "split_list"]

# --------------------------------------------------------------------------------------------------
# normalize
# --------------------------------------------------------------------------------------------------

# Punctuation that NFKC leaves alone, mapped to ASCII (``、`` is kept: it is the list separator).
_PUNCT_TABLE = str.maketrans(
    {
        "。": ".",
        "，": ",",
        "；": ";",
        "：": ":",
        "？": "?",
        "！": "!",
        "（": "(",
        "）": ")",
        "【": "[",
        "】": "]",
        "〔": "[",
        "〕": "]",
        "［": "[",
        "］": "]",
        "「": '"',
        "」": '"',
        "『": '"',
        "』": '"',
        "“": '"',
        "”": '"',
        "‘": "'",
        "’": "'",
        "《": "<",
        "》": ">",
        "〈": "<",
        "〉": ">",
        "—": "-",
        "–": "-",
        "―": "-",
        "－": "-",
        "～": "~",
        "〜": "~",
        "…": "...",
        "・": "·",
        "\u3000": " ",
        "\u00a0": " ",
        "\u200b": "",
        "\ufeff": "",
    }
)

_WS_RE = re.compile(r"\s+")

# Chinese numerals directly followed by a unit of time/age: 五年经验 -> 5年经验, 三个月 -> 3个月.
_CN_DIGITS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_NUM_RE = re.compile(
    r"(?<![一二两三四五六七八九十百千万])([一二两三四五六七八九十]{1,3})(?=年|个月|岁|周岁|天|小时|周)"
)


def _cn_to_int(s: str) -> int | None:
    """Value of a Chinese numeral below 100 (一, 十, 十五, 二十, 二十五, 两), else None."""
    if "十" not in s:
        return _CN_DIGITS[s] if len(s) == 1 else None
    tens, _, ones = s.partition("十")
    if "十" in ones or len(tens) > 1 or len(ones) > 1:
        return None
    t = _CN_DIGITS[tens] if tens else 1
    o = _CN_DIGITS[ones] if ones else 0
    if tens == "两":  # 两十 is not a numeral
        return None
    return t * 10 + o


def _cn_num_repl(m: re.Match[str]) -> str:
    value = _cn_to_int(m.group(1))
    return m.group(1) if value is None else str(value)


@functools.cache
def _opencc():
    from opencc import OpenCC  # lazy: ~15 ms and a few MB of dictionaries

    return OpenCC("t2s")


@functools.cache
def _traditional_chars() -> frozenset[str]:
    """Characters that OpenCC's t2s character table changes; text without them is left as is."""
    import opencc

    base = os.path.join(os.path.dirname(opencc.__file__), "dictionary")
    chars: set[str] = set()
    try:
        with open(os.path.join(base, "TSCharacters.txt"), encoding="utf-8") as fh:
            for line in fh:
                key, _, values = line.rstrip("\n").partition("\t")
                if key and values.split(" ")[0] != key:
                    chars.add(key)
    except OSError:  # pragma: no cover - broken installation: fall back to always converting
        return frozenset()
    return frozenset(chars)


def _is_missing(text: object) -> bool:
    if text is None:
        return True
    if isinstance(text, float) and math.isnan(text):
        return True
    if type(text).__name__ in ("NAType", "NaTType"):  # pandas.NA / pandas.NaT
        return True
    # pandas.NA / NaT and numpy NaN-likes without importing pandas
    try:
        return bool(text != text)
    except (TypeError, ValueError):
        return False


def normalize(text: object) -> str:
    """Canonical form of free text used everywhere in matching.

    * ``None`` / NaN / ``pandas.NA`` -> ``""``; other non-strings are ``str()``-ed;
    * Unicode NFKC (full-width letters, digits and punctuation become half-width);
    * traditional Chinese -> simplified (OpenCC ``t2s``, only when a traditional character is present);
    * remaining CJK punctuation mapped to ASCII (``、`` is kept as the list separator);
    * Chinese numerals before a time unit become digits (``五年经验`` -> ``5年经验``);
    * Latin letters lower-cased; runs of whitespace collapsed to one space; stripped.

    >>> normalize("ＡＢＣ１２３，電焊工")
    'abc123,电焊工'
    """
    if _is_missing(text):
        return ""
    if not isinstance(text, str):
        text = str(text)
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    trad = _traditional_chars()
    if not trad or any(ch in trad for ch in text):
        text = _opencc().convert(text)
    text = text.translate(_PUNCT_TABLE)
    if "十" in text or any(ch in _CN_DIGITS for ch in text):
        text = _CN_NUM_RE.sub(_cn_num_repl, text)
    text = text.lower()
    return _WS_RE.sub(" ", text).strip()


# --------------------------------------------------------------------------------------------------
# split_list
# --------------------------------------------------------------------------------------------------

# ``/`` is deliberately not a separator: it occurs inside titles and skills (C/C++, 普工/操作工 is
# left to the matcher).
_SPLIT_RE = re.compile(r"[、,，;；|\r\n]+")


def split_list(value: object) -> list[str]:
    """Split a list-like cell into clean items.

    Strings are split on ``、`` ``,`` ``，`` ``;`` ``；`` ``|`` and line breaks (not on ``/``);
    lists, tuples and sets pass through item by item. Items are stripped, empty items dropped and
    duplicates removed, keeping the first occurrence. ``None`` / NaN give ``[]``.

    >>> split_list("电焊、叉车;   电工")
    ['电焊', '叉车', '电工']
    """
    if isinstance(value, str):
        parts: Iterable[object] = _SPLIT_RE.split(value)
    elif isinstance(value, (list, tuple, set, frozenset)):
        parts = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
    elif _is_missing(value):
        return []
    elif isinstance(value, Iterable) and not isinstance(value, (bytes, dict)):
        parts = list(value)
    else:
        parts = [value]
    out: list[str] = []
    seen: set[str] = set()
    for part in parts:
        if _is_missing(part):
            continue
        item = str(part).strip()
        if item and item not in seen:
            seen.add(item)
            out.append(item)
    return out


# --------------------------------------------------------------------------------------------------
# Tokenizer
# --------------------------------------------------------------------------------------------------

_DOMAIN_WORD_FREQ = 200_000  # high enough for jieba to keep a dictionary word in one piece


def _words(text: str) -> tuple[str, ...]:
    """Whitespace-separated word list (keeps long Chinese word lists readable)."""
    return tuple(text.split())


# Function words and recruiting boiler-plate that carry no signal for matching.
STOPWORDS: frozenset[str] = frozenset(
    _words(
        """
    的 了 和 与 及 或 等 在 是 有 我 你 他 她 它 我们 你们 他们 想 要 找 找个 个 一个 一份 份 些 一些 会 能 可以
    可 也 都 就 还 很 更 最 把 被 让 给 对 从 向 到 去 来 做 干 上 下 中 里 内 外 为 以 于 之 其 这 那 这个
    那个 什么 怎么 哪 哪里 吗 呢 吧 啊 呀 哦 嗯 着 过 不 没 没有 无 非 请 需 需要 要求 负责 相关 以上 以下
    左右 优先 若干 名 人 位 工作 岗位 职位 招聘 招 急招 急聘 诚聘 高薪 直招 热招 长期 包吃住 包吃 包住
    五险一金 双休 日结 周结 月结 薪资 工资 待遇 面议 元 月 年 天 小时 活 活儿 事 事情 东西 方面 能力 经验
    熟悉 熟练 掌握 了解 具备 具有 良好 较强 一定 专业 学历 及以上 本人 自己 希望 打算 附近 本地 行 用 住 吃
    好 多 少 的话 等等 之类 之类的 包食宿 提供食宿 五险 社保 周末 全休 节假日 底薪 提成 加班 免费
    """
    )
)

_PUNCT_ONLY_RE = re.compile(r"^[\W_]+$")


def _data_rows(filename: str) -> list[dict[str, str]]:
    try:
        text = resources.files("matcher.data").joinpath(filename).read_text(encoding="utf-8-sig")
    except (FileNotFoundError, ModuleNotFoundError, OSError):
        return []
    return list(csv.DictReader(text.splitlines()))


@functools.cache
def domain_words() -> tuple[str, ...]:
    """Normalised occupation names, job titles and skill names shipped in ``matcher.data``.

    Used as the tokenizer's user dictionary; longest first, without duplicates.
    """
    words: set[str] = set()
    for row in _data_rows("occupations.csv"):
        words.add(row.get("name") or "")
        words.update(split_list(row.get("synonyms")))
        words.update(split_list(row.get("skills")))
    for row in _data_rows("skills.csv"):
        words.add(row.get("skill") or "")
        words.update(split_list(row.get("synonyms")))
    out = {normalize(w) for w in words}
    # jieba's user words may not contain spaces; very short Latin words would glue onto neighbours.
    out = {w for w in out if len(w) >= 2 and " " not in w}
    return tuple(sorted(out, key=lambda w: (-len(w), w)))


class Tokenizer:
    """A private :class:`jieba.Tokenizer` with the project's domain dictionary.

    The global jieba instance is never touched. The dictionary (jieba's default one plus
    :func:`domain_words` and ``extra_words``) is loaded on the first call to :meth:`cut`.

    >>> Tokenizer().cut("想找叉车司机的工作")  # doctest: +SKIP
    ['叉车司机']
    """

    def __init__(
        self,
        extra_words: Iterable[str] = (),
        *,
        include_domain_words: bool = True,
        stopwords: Iterable[str] | None = None,
    ) -> None:
        self._extra = tuple(extra_words)
        self._include_domain = include_domain_words
        self.stopwords: frozenset[str] = STOPWORDS if stopwords is None else frozenset(stopwords)
        self._jieba = None
        self._mutex = threading.Lock()

    def _load(self):
        if self._jieba is not None:
            return self._jieba
        with self._mutex:
            if self._jieba is None:
                import jieba

                logging.getLogger("jieba").setLevel(logging.WARNING)
                jieba.setLogLevel(logging.WARNING)
                tk = jieba.Tokenizer()
                tk.initialize()
                words = list(domain_words()) if self._include_domain else []
                words.extend(normalize(w) for w in self._extra)
                # multi-character stopwords as words too, so that e.g. 包吃住 is cut whole and dropped
                words.extend(w for w in self.stopwords if len(w) > 1)
                for word in words:
                    if word and " " not in word:
                        tk.add_word(word, freq=_DOMAIN_WORD_FREQ)
                self._jieba = tk
        return self._jieba

    def add_words(self, words: Iterable[str]) -> None:
        """Add more user words (normalised) to the dictionary."""
        tk = self._load()
        for word in words:
            w = normalize(word)
            if w and " " not in w:
                tk.add_word(w, freq=_DOMAIN_WORD_FREQ)

    def _clean(self, tokens: Iterable[str]) -> list[str]:
        out: list[str] = []
        for tok in tokens:
            tok = tok.strip()
            if not tok or tok in self.stopwords or _PUNCT_ONLY_RE.match(tok):
                continue
            out.append(tok)
        return out

    def cut(self, text: object) -> list[str]:
        """Normalised tokens of ``text`` without stopwords, whitespace and punctuation."""
        norm = normalize(text)
        if not norm:
            return []
        return self._clean(self._load().lcut(norm, HMM=True))

    def cut_for_search(self, text: object) -> list[str]:
        """Like :meth:`cut`, but long words also yield their dictionary sub-words
        (``做饭阿姨`` -> ``做饭``, ``阿姨``, ``做饭阿姨``); for building and querying indexes."""
        norm = normalize(text)
        if not norm:
            return []
        return self._clean(self._load().lcut_for_search(norm, HMM=True))


@functools.cache
def default_tokenizer() -> Tokenizer:
    """The process-wide tokenizer with the shipped domain dictionary (created on first call)."""
    return Tokenizer()
