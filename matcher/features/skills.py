"""Skill vocabulary: canonical skills, certificates and licences with their synonyms
(``matcher.data/skills.csv``), extraction from free text, and skill-overlap measures.

* :meth:`SkillVocabulary.canonical` maps any spelling to the canonical name (``驾驶证C1`` -> ``C1驾照``);
* :meth:`SkillVocabulary.extract` finds canonical skills in free text, longest match first, Latin
  words only at word boundaries (``PS`` is not found in ``GPS``);
* :meth:`SkillVocabulary.expand` adds what a skill implies (a B2 licence covers C1, an 氩弧焊 welder
  can weld, a 叉车证 holder can drive a forklift);
* :func:`skill_overlap` / :func:`matched_skills` compare what a person has with what a job wants.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from matcher.features.text import normalize, split_list

__all__ = [
    "IMPLIES",
    "Skill",
    "SkillVocabulary",
    "default_vocabulary",
    "matched_skills",
    "skill_overlap",
]

CATEGORIES = ("certificate", "technical", "soft", "driving", "language", "tool")

_LICENCES = ("A1驾照", "A2驾照", "B1驾照", "B2驾照", "C1驾照", "C2驾照", "摩托车驾照")
_TRADE_CERTS = (
    "电工证",
    "高压电工证",
    "焊工证",
    "登高作业证",
    "制冷与空调作业证",
    "叉车证",
    "起重机司机证",
    "司索指挥证",
    "挖掘机操作证",
    "司炉证",
    "电梯作业证",
)
_SKILL_LEVEL_CERTS = (
    "育婴员证",
    "保育员证",
    "养老护理员证",
    "家政服务员证",
    "厨师证",
    "美容师证",
    "美发师证",
    "保安员证",
    "消防设施操作员证",
    "保健按摩师证",
)

# What having a skill also covers (canonical names; checked against the vocabulary by the tests).
# Driving licences follow the vehicle classes a licence permits (A1 covers B1/B2/C1/C2 ...).
IMPLIES: Mapping[str, tuple[str, ...]] = {
    "A1驾照": ("B1驾照", "B2驾照", "C1驾照", "C2驾照", "摩托车驾照", "驾驶证", "汽车驾驶"),
    "A2驾照": ("B1驾照", "B2驾照", "C1驾照", "C2驾照", "摩托车驾照", "驾驶证", "汽车驾驶"),
    "B1驾照": ("C1驾照", "C2驾照", "摩托车驾照", "驾驶证", "汽车驾驶"),
    "B2驾照": ("C1驾照", "C2驾照", "摩托车驾照", "驾驶证", "汽车驾驶"),
    "C1驾照": ("C2驾照", "驾驶证", "汽车驾驶"),
    "C2驾照": ("驾驶证", "汽车驾驶"),
    "摩托车驾照": ("驾驶证",),
    "货车驾驶": ("汽车驾驶",),
    "客车驾驶": ("汽车驾驶",),
    "高压电工证": ("特种作业操作证",),
    **{c: ("特种作业操作证",) for c in _TRADE_CERTS if c != "高压电工证"},
    "叉车证": ("特种作业操作证", "叉车驾驶"),
    "挖掘机操作证": ("特种作业操作证", "挖掘机驾驶"),
    "焊工证": ("特种作业操作证", "焊接"),
    "氩弧焊": ("焊接",),
    "二氧化碳保护焊": ("焊接",),
    "中级会计职称": ("初级会计职称",),
    "注册会计师": ("中级会计职称", "初级会计职称"),
    "英语等级证书": ("英语",),
    "执业医师证": ("临床诊疗",),
    "护士执业证": ("基础护理",),
    **{c: ("职业技能等级证书",) for c in _SKILL_LEVEL_CERTS},
}


@dataclass(frozen=True)
class Skill:
    name: str
    synonyms: tuple[str, ...]
    category: str


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch in "+#")


def _compact(text: str) -> str:
    return text.replace(" ", "")


class SkillVocabulary:
    """Canonical skills with their synonyms; lookups are on normalised text."""

    def __init__(self, skills: Iterable[Skill], implies: Mapping[str, Iterable[str]] | None = None) -> None:
        self._skills: dict[str, Skill] = {}
        self._lookup: dict[str, str] = {}
        for skill in skills:
            if skill.name in self._skills:
                continue
            self._skills[skill.name] = skill
            for spelling in (skill.name, *skill.synonyms):
                key = normalize(spelling)
                for k in {key, _compact(key)}:
                    if k:
                        self._lookup.setdefault(k, skill.name)
        lengths: dict[str, set[int]] = {}
        for k in self._lookup:
            lengths.setdefault(k[0], set()).add(len(k))
        self._lengths = {c: tuple(sorted(v, reverse=True)) for c, v in lengths.items()}
        implies = IMPLIES if implies is None else implies
        self._implies = {k: tuple(v) for k, v in implies.items() if k in self._skills}

    @classmethod
    def load(cls, path: Path | str | None = None) -> SkillVocabulary:
        """The shipped vocabulary, or a CSV with the same columns (skill, synonyms, category)."""
        if path is None:
            text = resources.files("matcher.data").joinpath("skills.csv").read_text(encoding="utf-8-sig")
        else:
            text = Path(path).read_text(encoding="utf-8-sig")
        skills = [
            Skill(
                name=row["skill"].strip(),
                synonyms=tuple(split_list(row.get("synonyms"))),
                category=(row.get("category") or "technical").strip(),
            )
            for row in csv.DictReader(text.splitlines())
            if (row.get("skill") or "").strip()
        ]
        return cls(skills)

    # -- container protocol ---------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._skills)

    def __iter__(self) -> Iterator[str]:
        return iter(self._skills)

    def __contains__(self, skill: object) -> bool:
        return isinstance(skill, str) and self.lookup(skill) is not None

    def get(self, skill: str) -> Skill | None:
        """The :class:`Skill` for any spelling of it, or ``None``."""
        name = self.lookup(skill)
        return None if name is None else self._skills[name]

    def category(self, skill: str) -> str | None:
        """``certificate``, ``technical``, ``soft``, ``driving``, ``language`` or ``tool``."""
        found = self.get(skill)
        return None if found is None else found.category

    # -- lookups ---------------------------------------------------------------------------------

    def lookup(self, skill: object) -> str | None:
        """Canonical name of an exact spelling (after normalisation), else ``None``."""
        key = normalize(skill)
        if not key:
            return None
        return self._lookup.get(key) or self._lookup.get(_compact(key))

    def canonical(self, skill: object) -> str:
        """Canonical name of a skill.

        Known spellings map to their canonical name (``驾驶证C1`` -> ``C1驾照``); a phrase that contains
        exactly one known skill maps to it (``熟练使用Excel`` -> ``Excel``); anything else is returned
        normalised (so that equal unknown skills still compare equal); ``""`` for empty input.
        """
        key = normalize(skill)
        if not key:
            return ""
        name = self._lookup.get(key) or self._lookup.get(_compact(key))
        if name is not None:
            return name
        found = self.extract(key)
        return found[0] if len(found) == 1 else key

    def extract(self, text: object) -> list[str]:
        """Canonical skills mentioned in free text, in order of first mention, without duplicates.

        The longest known spelling wins at each position (``C1驾照`` rather than ``C1``); Latin
        spellings must not be glued to other Latin letters or digits.
        """
        norm = normalize(text)
        if not norm:
            return []
        out: list[str] = []
        seen: set[str] = set()
        n = len(norm)
        i = 0
        lookup, lengths = self._lookup, self._lengths
        while i < n:
            ch = norm[i]
            lens = lengths.get(ch)
            step = 1
            if lens and not (_is_word_char(ch) and i > 0 and _is_word_char(norm[i - 1])):
                for length in lens:
                    j = i + length
                    if j > n:
                        continue
                    name = lookup.get(norm[i:j])
                    if name is None or (_is_word_char(norm[j - 1]) and j < n and _is_word_char(norm[j])):
                        continue
                    if name not in seen:
                        seen.add(name)
                        out.append(name)
                    step = length
                    break
            i += step
        return out

    def expand(self, skills: Iterable[str] | str) -> frozenset[str]:
        """Canonical skills plus everything they imply (B2驾照 -> C1驾照, 驾驶证, ...)."""
        result: set[str] = set()
        stack = list(_canonical_items(skills, self))
        while stack:
            s = stack.pop()
            if s in result:
                continue
            result.add(s)
            stack.extend(self._implies.get(s, ()))
        return frozenset(result)


def _canonical_items(values: Iterable[str] | str | None, vocabulary: SkillVocabulary) -> list[str]:
    """Canonical skills of a list (or a list-like string); items that are not a known skill
    contribute the skills found inside them, or themselves (normalised) when none is found."""
    out: list[str] = []
    for item in split_list(values):
        name = vocabulary.lookup(item)
        if name is not None:
            out.append(name)
            continue
        found = vocabulary.extract(item)
        out.extend(found if found else [normalize(item)])
    return [s for s in dict.fromkeys(out) if s]


@functools.cache
def default_vocabulary() -> SkillVocabulary:
    """The shipped vocabulary, loaded on first use and shared by the process."""
    return SkillVocabulary.load()


def matched_skills(
    have: Iterable[str] | str | None,
    want: Iterable[str] | str | None,
    vocabulary: SkillVocabulary | None = None,
) -> list[str]:
    """Wanted skills (canonical, in the order wanted) that ``have`` covers, directly or by implication
    (a B2 licence covers a wanted C1 licence)."""
    vocab = vocabulary or default_vocabulary()
    wanted = _canonical_items(want, vocab)
    if not wanted:
        return []
    has = vocab.expand(_canonical_items(have, vocab))
    return [w for w in wanted if w in has]


def skill_overlap(
    have: Iterable[str] | str | None,
    want: Iterable[str] | str | None,
    vocabulary: SkillVocabulary | None = None,
) -> float:
    """Share of the wanted skills that ``have`` covers, in [0, 1].

    Both sides are canonicalised (synonyms, phrases containing one skill, implications such as
    B2驾照 -> C1驾照). Defined as ``0.0`` when nothing is wanted (never NaN): callers that treat
    "no requirements" as neutral must check ``want`` themselves. A plain string is read as a list
    (``"电工证、C1驾照"``).
    """
    vocab = vocabulary or default_vocabulary()
    wanted = _canonical_items(want, vocab)
    if not wanted:
        return 0.0
    return len(matched_skills(have, wanted, vocab)) / len(wanted)
