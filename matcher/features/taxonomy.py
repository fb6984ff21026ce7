"""The occupation taxonomy: codes of the 2022 national occupational classification (职业分类大典)
and a fast, deterministic mapper from free text (job titles, job seekers' wishes) to those codes.

The project ships its own table (``matcher.data/occupations.csv``): ~220 occupations that grassroots
employment stations meet most, each with the team's common job titles, plain-word wishes and typical
skills. Optionally, the full classification (a CSV shaped like the published one: 层级, 职业编码,
职业名称, ...) adds every other 4-level occupation by its official name.

Matching (:meth:`OccupationTaxonomy.match`) works in three stages, stopping at the first that finds
something:

1. **exact** - the cleaned text (brackets, recruiting boiler-plate, seniority words, wish phrasing like
   ``想找个…的活`` removed) equals an occupation name (0.97; 0.95 for names only known from the full
   classification) or a title/synonym (0.93, less when several occupations share it);
2. **substring** - names/titles found inside the text by a longest-first scan; confidence grows with
   the share of the text the occupation's hits cover (0.45-0.88);
3. **tokens** - words (plain jieba) shared with names, titles and skills, idf-weighted (at most 0.5).

Nothing found gives ``[]``: the mapper never guesses.
"""

from __future__ import annotations

import csv
import functools
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from matcher.features.text import Tokenizer, normalize, split_list

__all__ = ["MAJOR_GROUP_NAMES", "Occupation", "OccupationTaxonomy", "code_level"]

MAJOR_GROUP_NAMES: Mapping[str, str] = {
    "1": "党的机关、国家机关、群众团体和社会组织、企事业单位负责人",
    "2": "专业技术人员",
    "3": "办事人员和有关人员",
    "4": "社会生产服务和生活服务人员",
    "5": "农、林、牧、渔业生产及辅助人员",
    "6": "生产制造及有关人员",
    "7": "军队人员",
    "8": "不便分类的其他从业人员",
}


def _words(text: str) -> tuple[str, ...]:
    """Whitespace-separated word list (keeps long Chinese word lists readable)."""
    return tuple(text.split())


_CODE_RE = re.compile(r"^\d(?:-\d{2}){0,3}$")
_MARKER_RE = re.compile(r"\s*(?:L/S|S/L|S|L)\s*$")


def code_level(code: str) -> int:
    """Level of a classification code: ``4`` -> 1, ``4-02`` -> 2, ``4-02-01`` -> 3, ``4-02-01-01`` -> 4."""
    if not isinstance(code, str) or not _CODE_RE.match(code):
        raise ValueError(f"not an occupational classification code: {code!r}")
    return code.count("-") + 1


@dataclass(frozen=True)
class Occupation:
    """One 4-level occupation. ``synonyms`` and ``skills`` are empty for occupations that come only
    from the full classification file."""

    code: str
    name: str
    major_group: str
    synonyms: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    typical_education: str = ""
    physical: str = ""


# ----------------------------------------------------------------------------------------------
# text cleaning for matching
# ----------------------------------------------------------------------------------------------

_SPACE_RE = re.compile(r"(?<![a-z0-9+#.])\s+|\s+(?![a-z0-9.])")
_BRACKET_RE = re.compile(r"\[[^\]]*\]|\([^)]*\)|<[^>]*>|\"[^\"]*\"|'[^']*'")
_SEP_RE = re.compile(r"[、,;:!?~|/\\*=_&%$@^`\-]+|\.{2,}")
_MONEY_RE = re.compile(
    r"\d+(?:\.\d+)?\s*(?:元|块|k|w|万|千)(?:/(?:小时|天|月|时))?|\d+\s*[-~]\s*\d+\s*(?:元|k|万)?"
)

# Recruiting boiler-plate and place names removed before exact matching (longest first).
_NOISE = sorted(
    _words(
        """
    招聘 急招 急聘 诚聘 直招 热招 高薪招聘 高薪 招人 招工 诚招 火热招聘 热门 急缺 紧急 速来 免费培训
    包吃包住 包吃住 包食宿 提供食宿 管吃住 管住 包住 包吃 食宿 五险一金 六险一金 五险 双休 单休 周末双休 月休四天
    日结 周结 月结 当天结 工资日结 长白班 白班 两班倒 倒班 正式工 正式员工 长期工 临时工 短期工 兼职 全职 小时工
    可兼职 兼职可 实习 实习生 应届生 应届 学徒工 学徒 储备 见习 高级 资深 初级 中级 助理 急需 多名 若干名 若干
    可培养 无经验 无需经验 经验不限 接受小白 零基础 远程面试 远程 驻场 驻厂 外派 本地 就近 底薪 提成 高提成
    稳定 福利好 待遇好 待遇优厚 晋升空间大 年入 月入 高收入 收入高 国企 央企 事业单位 直聘 放心投 有保障
    机会来了 招贤纳士 yyds 热门投递 急缺 人走账清
    石家庄 唐山 秦皇岛 邯郸 邢台 保定 张家口 承德 沧州 廊坊 衡水 雄安 定州 辛集 北京 天津 河北 市区 县城
    """
    ),
    key=len,
    reverse=True,
)
_NOISE_RE = re.compile("|".join(re.escape(w) for w in _NOISE))

# How people phrase wishes and experience: 想找个看大门的活 -> 看大门; 会开叉车 -> 开叉车;
# 在钢厂干过 -> 钢厂; 干过装修 -> 装修.
_PAST_RE = re.compile(r"(?<=[干做当开洗上学修送跑种养带搞跟])过")
_WISH_PREFIX_RE = re.compile(
    r"^(?:我|本人)?(?:想|要|希望|打算|愿意|可以|能)?(?:在|去|到|进)?(?:找|做|干|当|去|应聘|从事|学|搞)?"
    r"(?:个|一个|一份|份|点)?(?:会|能|懂|擅长)?"
)
_WISH_SUFFIX_RE = re.compile(
    r"(?:的|之类的|之类|相关的|相关|方面的|方面|类的)?"
    r"(?:活儿|活|工作|岗位|职位|差事|事儿|营生|工种|行业|的人|人员|上班|打工|干活|做事|干)?"
    r"(?:也行|都行|就行|可以|也可以)?$"
)

_GENERIC_KEYS = frozenset(
    _words(
        """
    经理 总监 主管 助理 专员 工程师 技术员 老师 教师 师傅 学徒 组长 班长 领班 实习生 工人 员工 主任 顾问 设计师
    编辑 运营 操作员 作业员 统计 调查员 录入 打字 教务 中介 工长 大工 小工 力工 管家 杂工 手工 后勤 司仪
    调度 礼仪 柜员 家务 农活 农工 进厂 工人 厂工 值班员 讲师 讲解 陪护 监理 审计 辅导员 督导 标注 服务人员
    开发工程师 研发工程师 研发 开发 经理人 打样 打板 跟单 全检 资料员
    """
    )
)

# Tokens too generic to support a token-overlap match on their own (job-title suffixes etc.).
_GENERIC_TOKENS = _GENERIC_KEYS | frozenset(
    _words(
        """
    人员 技术 开发 管理 服务 操作 工作 专业 业务 岗位 负责人 研发 高级 初级 中级 资深 实习 兼职 全职 线上 线下
    居家 在家 远程 公司 企业 集团 门店 店员 工程 项目 部门 中心 主任 代表 职员 人才 精英 储备 培训 学员 助教
    经理人 综合 岗位 技工 工人 师傅 学徒 组长 班长 领班 员工 人员 专员 助理 主管 经理 总监 老师 教师 工程师
    上班 打工 干活 进厂 零工 工作 找活 活儿 上过 干过 做过
    """
    )
)

_MIN_KEY_LEN = 2

_CONF_NAME = 0.97
_CONF_EXTRA_NAME = 0.95
_CONF_SYNONYM = 0.93
_SHARED_PENALTY = 0.06  # per extra occupation sharing the same exact key
_VARIANT_PENALTY = (0.0, 0.01, 0.03)  # exact hit on raw / cleaned / core text
_SUB_BASE, _SUB_SPAN, _SUB_MAX = 0.45, 0.43, 0.88
_TOK_BASE, _TOK_SPAN, _TOK_MAX, _TOK_MIN_SCORE = 0.2, 0.3, 0.5, 0.3

_KIND_RANK = {"name": 0, "extra": 1, "synonym": 2}


def _compact(text: str) -> str:
    """Remove spaces except between two Latin/digit characters (keeps ``spring boot``)."""
    return _SPACE_RE.sub("", text) if " " in text else text


def _key(text: object) -> str:
    return _compact(normalize(text))


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch in "+#")


def _content_len(text: str) -> int:
    return sum(1 for ch in text if ch.isalnum())


def _variants(raw: str) -> list[str]:
    """Texts to try for an exact hit, most literal first: raw, cleaned, core."""
    base = _compact(raw)
    cleaned = _BRACKET_RE.sub(" ", base)
    cleaned = _MONEY_RE.sub(" ", cleaned)
    cleaned = _NOISE_RE.sub(" ", cleaned)
    cleaned = _SEP_RE.sub(" ", cleaned)
    cleaned = _PAST_RE.sub("", _compact(" ".join(cleaned.split())))
    if not cleaned:
        cleaned = base
    core = cleaned
    for _ in range(2):
        stripped = _WISH_SUFFIX_RE.sub("", _WISH_PREFIX_RE.sub("", core, count=1), count=1)
        if not stripped or stripped == core:
            break
        core = stripped
    return [base, cleaned, core]


# ----------------------------------------------------------------------------------------------
# taxonomy
# ----------------------------------------------------------------------------------------------


class OccupationTaxonomy:
    """Occupations by code, their hierarchy, and :meth:`match` from free text to codes."""

    def __init__(
        self,
        occupations: Iterable[Occupation],
        *,
        group_names: Mapping[str, str] | None = None,
        extra_codes: Iterable[str] = (),
    ) -> None:
        self._occ: dict[str, Occupation] = {}
        for occ in occupations:
            if code_level(occ.code) != 4:
                raise ValueError(f"occupations must have 4-level codes, got {occ.code!r}")
            self._occ.setdefault(occ.code, occ)
        self._extra = frozenset(extra_codes) & self._occ.keys()
        self._group_names = dict(MAJOR_GROUP_NAMES)
        if group_names:
            self._group_names.update(group_names)
        self._build_index()
        self._token_index: dict[str, dict[str, float]] | None = None
        self._token_idf: dict[str, float] = {}
        self._cache: dict[tuple[str, int], list[tuple[str, float]]] = {}

    # -- loading ---------------------------------------------------------------------------------

    @classmethod
    def load(cls, full_classification_path: Path | str | None = None) -> OccupationTaxonomy:
        """The shipped table; plus, when a path is given, every other 4-level occupation of the
        full classification CSV (by official name, without synonyms) and the names of its groups."""
        text = resources.files("matcher.data").joinpath("occupations.csv").read_text(encoding="utf-8-sig")
        occupations = [
            Occupation(
                code=row["code"].strip(),
                name=row["name"].strip(),
                major_group=(row.get("major_group") or row["code"][0]).strip(),
                synonyms=tuple(split_list(row.get("synonyms"))),
                skills=tuple(split_list(row.get("skills"))),
                typical_education=(row.get("typical_education") or "").strip(),
                physical=(row.get("physical") or "").strip(),
            )
            for row in csv.DictReader(text.splitlines())
            if (row.get("code") or "").strip()
        ]
        group_names: dict[str, str] = {}
        extra: list[Occupation] = []
        if full_classification_path is not None:
            shipped = {o.code for o in occupations}
            for code, name in _read_classification(Path(full_classification_path)):
                level = code_level(code)
                if level < 4:
                    group_names.setdefault(code, name)
                elif code not in shipped:
                    shipped.add(code)
                    extra.append(Occupation(code=code, name=name, major_group=code[0]))
        return cls(occupations + extra, group_names=group_names, extra_codes=[o.code for o in extra])

    # -- container protocol ---------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._occ)

    def __iter__(self) -> Iterator[Occupation]:
        return iter(self._occ.values())

    def __contains__(self, code: object) -> bool:
        return code in self._occ

    def get(self, code: str) -> Occupation | None:
        """The occupation with this 4-level code, or ``None``."""
        return self._occ.get(code)

    def name(self, code: str) -> str | None:
        """Name of an occupation or of a group (major groups always; others when the full
        classification was loaded); ``None`` when unknown."""
        occ = self._occ.get(code)
        if occ is not None:
            return occ.name
        return self._group_names.get(code)

    def is_extra(self, code: str) -> bool:
        """True for occupations that come only from the full classification file."""
        return code in self._extra

    @staticmethod
    def parent(code: str, level: int) -> str:
        """The ancestor of ``code`` at ``level`` (1-4): ``parent("4-02-01-01", 2) == "4-02"``."""
        if level not in (1, 2, 3, 4):
            raise ValueError(f"level must be 1-4, got {level!r}")
        own = code_level(code)
        if level > own:
            raise ValueError(f"{code!r} is a level-{own} code; it has no level-{level} ancestor")
        return "-".join(code.split("-")[:level])

    @classmethod
    def same_group(cls, a: str, b: str, level: int = 2) -> bool:
        """Whether two codes fall in the same group at ``level`` (1 = major group ... 4 = same code)."""
        try:
            return cls.parent(a, level) == cls.parent(b, level)
        except ValueError:
            return False

    # -- matching --------------------------------------------------------------------------------

    def _build_index(self) -> None:
        exact: dict[str, dict[str, str]] = defaultdict(dict)  # key -> code -> kind
        for occ in self._occ.values():
            kind = "extra" if occ.code in self._extra else "name"
            exact[_key(occ.name)][occ.code] = kind
            for syn in occ.synonyms:
                k = _key(syn)
                if k and occ.code not in exact[k]:
                    exact[k][occ.code] = "synonym"
        exact.pop("", None)
        self._exact: dict[str, tuple[tuple[str, str], ...]] = {
            k: tuple(sorted(v.items(), key=lambda cv: (_KIND_RANK[cv[1]], cv[0]))) for k, v in exact.items()
        }
        lengths: dict[str, set[int]] = defaultdict(set)
        self._sub_keys: set[str] = set()
        for k in self._exact:
            if len(k) < _MIN_KEY_LEN or k in _GENERIC_KEYS:
                continue
            self._sub_keys.add(k)
            lengths[k[0]].add(len(k))
        self._lengths: dict[str, tuple[int, ...]] = {
            c: tuple(sorted(v, reverse=True)) for c, v in lengths.items()
        }

    def _exact_hit(self, variants: list[str]) -> list[tuple[str, float, str, str]]:
        for i, text in enumerate(variants):
            entries = self._exact.get(text)
            if not entries:
                continue
            shared = _SHARED_PENALTY * (len(entries) - 1)
            out = []
            for code, kind in entries:
                base = {"name": _CONF_NAME, "extra": _CONF_EXTRA_NAME, "synonym": _CONF_SYNONYM}[kind]
                out.append((code, round(max(base - shared - _VARIANT_PENALTY[i], 0.5), 4), "exact", text))
            out.sort(key=lambda r: (-r[1], r[0]))
            return out
        return []

    def _substring_hits(self, text: str) -> list[tuple[int, int, str]]:
        hits: list[tuple[int, int, str]] = []
        n = len(text)
        lengths = self._lengths
        keys = self._sub_keys
        for i, ch in enumerate(text):
            lens = lengths.get(ch)
            if not lens:
                continue
            if _is_word_char(ch) and i > 0 and _is_word_char(text[i - 1]):
                continue
            for length in lens:
                j = i + length
                if j > n:
                    continue
                k = text[i:j]
                if k in keys and not (_is_word_char(k[-1]) and j < n and _is_word_char(text[j])):
                    hits.append((i, j, k))
        return hits

    def _substring_match(self, text: str) -> list[tuple[str, float, str, str]]:
        hits = self._substring_hits(text)
        if not hits:
            return []
        # longest first; drop hits nested inside an accepted longer hit
        hits.sort(key=lambda h: (-(h[1] - h[0]), h[0]))
        accepted: list[tuple[int, int, str]] = []
        for h in hits:
            if any(a[0] <= h[0] and h[1] <= a[1] and (a[1] - a[0]) > (h[1] - h[0]) for a in accepted):
                continue
            accepted.append(h)
        covered: dict[str, set[int]] = defaultdict(set)
        longest: dict[str, int] = defaultdict(int)
        last_end: dict[str, int] = defaultdict(int)
        best_kind: dict[str, int] = {}
        matched: dict[str, str] = {}
        for i, j, k in accepted:
            for code, kind in self._exact[k]:
                covered[code].update(range(i, j))
                if j - i > longest[code]:
                    longest[code] = j - i
                    matched[code] = k
                last_end[code] = max(last_end[code], j)
                best_kind[code] = min(best_kind.get(code, 9), _KIND_RANK[kind])
        total = max(_content_len(text), 1)
        out = []
        for code, pos in covered.items():
            cov = min(sum(1 for p in pos if text[p].isalnum()) / total, 1.0)
            conf = _SUB_BASE + _SUB_SPAN * cov - (0.02 if best_kind[code] == _KIND_RANK["extra"] else 0.0)
            out.append(
                (
                    code,
                    round(min(conf, _SUB_MAX), 4),
                    "substring",
                    matched[code],
                    longest[code],
                    last_end[code],
                )
            )
        # ties: longer hit first, then the hit nearer the end (Chinese titles are head-final), then code
        out.sort(key=lambda r: (-r[1], -r[4], -r[5], r[0]))
        return [r[:4] for r in out]

    def _ensure_token_index(self) -> dict[str, dict[str, float]]:
        if self._token_index is not None:
            return self._token_index
        tok = _plain_tokenizer()
        counts: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))

        def add(text: str, code: str, weight: float) -> None:
            for t in set(tok.cut(text)):
                if _useful_token(t):
                    counts[t][code] += weight

        for occ in self._occ.values():
            add(occ.name, occ.code, 1.0)
            for syn in occ.synonyms:
                add(syn, occ.code, 1.0)
            for skill in occ.skills:
                add(skill, occ.code, 0.5)
        # weight of a token for an occupation: 0.5-1.0, growing with how many of its titles use it
        index = {t: {c: min(1.0, 0.4 + 0.2 * n) for c, n in codes.items()} for t, codes in counts.items()}
        n = max(len(self._occ), 1)
        self._token_idf = {t: math.log(1.0 + n / len(codes)) for t, codes in index.items()}
        self._token_index = index
        return index

    def _token_match(self, text: str) -> list[tuple[str, float, str, str]]:
        index = self._ensure_token_index()
        all_tokens = [
            t for t in dict.fromkeys(_plain_tokenizer().cut(text)) if len(t) >= 2 and not t.isdigit()
        ]
        known = [t for t in all_tokens if t in index]
        if not known:
            return []
        denom = sum(self._token_idf[t] for t in known)
        # unknown and generic words in the text lower the confidence
        penalty = math.sqrt(len(known) / len(all_tokens))
        scores: dict[str, float] = defaultdict(float)
        best: dict[str, str] = {}
        for t in known:
            for code, w in index[t].items():
                scores[code] += w * self._token_idf[t]
                if code not in best or len(t) > len(best[code]):
                    best[code] = t
        out = []
        for code, s in scores.items():
            score = s / denom * penalty
            if score >= _TOK_MIN_SCORE:
                conf = min(_TOK_BASE + _TOK_SPAN * score, _TOK_MAX)
                out.append((code, round(conf, 4), "tokens", best[code]))
        out.sort(key=lambda r: (-r[1], r[0]))
        return out

    def explain(self, text: object, top: int = 3) -> list[tuple[str, float, str, str]]:
        """Like :meth:`match` but each result is ``(code, confidence, method, matched_text)`` where
        method is ``exact``, ``substring`` or ``tokens``."""
        if top <= 0:
            return []
        raw = normalize(text)
        if not raw:
            return []
        variants = _variants(raw)
        results = self._exact_hit(variants)
        if not results:
            results = self._substring_match(variants[1])
            if not results and variants[1] != variants[0]:
                results = self._substring_match(variants[0])
        if not results:
            results = self._token_match(variants[1] or variants[0])
        return results[:top]

    def match(self, text: object, top: int = 3) -> list[tuple[str, float]]:
        """Occupation codes for a job title or a wish, best first, with a confidence in [0, 1].

        ``~0.9+``: the text is (after cleaning) an occupation name or a known title; ``0.45-0.88``:
        known titles occur inside the text, more of the text covered -> higher; ``<=0.5``: only some
        words are shared. ``[]`` when nothing is recognised.

        >>> OccupationTaxonomy.load().match("想找个看大门的活")[0]  # doctest: +SKIP
        ('4-07-05-01', 0.9)
        """
        cache_key = (text if isinstance(text, str) else repr(text), top)
        cached = self._cache.get(cache_key)
        if cached is not None:
            return list(cached)
        result = [(code, conf) for code, conf, _, _ in self.explain(text, top)]
        if len(self._cache) >= 16384:
            self._cache.clear()
        self._cache[cache_key] = result
        return list(result)


def _useful_token(token: str) -> bool:
    return len(token) >= 2 and not token.isdigit() and token not in _GENERIC_TOKENS


@functools.cache
def _plain_tokenizer() -> Tokenizer:
    """jieba's own dictionary without the domain words: titles such as 做饭阿姨 are cut into
    做饭 / 阿姨, which is what word-overlap matching needs."""
    return Tokenizer(include_domain_words=False)


def _read_classification(path: Path) -> Iterator[tuple[str, str]]:
    """(code, name) pairs of a classification CSV (columns 职业编码 and 职业名称; markers stripped)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = reader.fieldnames or []
        code_col = next((f for f in fields if f and "编码" in f), None) or (
            fields[1] if len(fields) > 1 else None
        )
        name_col = next((f for f in fields if f and "名称" in f), None) or (
            fields[2] if len(fields) > 2 else None
        )
        if code_col is None or name_col is None:
            raise ValueError(f"{path}: expected columns 职业编码 and 职业名称")
        for row in reader:
            code = (row.get(code_col) or "").strip()
            name = _MARKER_RE.sub("", (row.get(name_col) or "").strip()).strip()
            if code and name and _CODE_RE.match(code):
                yield code, name
