"""Tests for the Hebei gazetteer (real package data, no mocks)."""

from __future__ import annotations

import dataclasses
import time

import pytest

from matcher.features.geo import haversine_km
from matcher.geography import (
    SUPPLEMENTARY_COORDS,
    XIONGAN_CODE,
    Gazetteer,
    Place,
    Position,
    name_stem,
    normalise_area_type,
    normalise_code,
)

LOAD_SECONDS: dict[str, float] = {}


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    start = time.perf_counter()
    g = Gazetteer.from_package_data()  # uncached build, timed
    LOAD_SECONDS["build"] = time.perf_counter() - start
    return g


# ----------------------------------------------------------------- codes


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("130102000000", "130102"),
        (130102000000, "130102"),
        ("130102", "130102"),
        ("130102001", "130102001"),
        ("130102001000", "130102001"),
        ("130102001201", "130102001"),  # village -> township
        ("130100000000", "130100"),
        ("130000", "130000"),
        ("13", "130000"),
        ("1301", "130100"),
        (" 130102 ", "130102"),
        ("１３０１０２", "130102"),  # full-width digits
        ("13010", None),
        ("abc", None),
        ("", None),
        (None, None),
    ],
)
def test_normalise_code(raw, expected):
    assert normalise_code(raw) == expected


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("长安区", "长安"),
        ("石家庄市", "石家庄"),
        ("河北省", "河北"),
        ("雄安新区", "雄安"),
        ("井陉矿区", "井陉"),
        ("大厂回族自治县", "大厂"),
        ("围场满族蒙古族自治县", "围场"),
        ("丰宁满族自治县", "丰宁"),
        ("双塔街道", "双塔"),
        ("赵县", "赵"),
        ("县", "县"),
    ],
)
def test_name_stem(name, stem):
    assert name_stem(name) == stem


def test_normalise_area_type():
    assert normalise_area_type("urban") == "urban"
    assert normalise_area_type(" Rural ") == "rural"
    assert normalise_area_type("农村") == "rural"
    assert normalise_area_type("城镇") == "urban"
    assert normalise_area_type("") is None
    assert normalise_area_type(None) is None
    with pytest.raises(ValueError, match="城乡类型"):
        normalise_area_type("suburban")


# ----------------------------------------------------------------- loading & counts


def test_load_is_cached_and_fast(gaz):
    assert LOAD_SECONDS["build"] < 2.0, LOAD_SECONDS
    assert Gazetteer.load() is Gazetteer.load()
    assert len(Gazetteer.load()) == len(gaz)


def test_counts_sanity(gaz):
    cities = gaz.cities()
    assert len(cities) == 12  # 11 prefecture-level cities + 雄安新区
    assert XIONGAN_CODE in {c.code for c in cities}
    assert len([c for c in cities if c.code != XIONGAN_CODE]) == 11
    assert 167 <= len(gaz.counties()) <= 180
    townships = [p for p in gaz if p.level == "township"]
    assert 2200 <= len(townships) <= 2300
    assert all(p.code.startswith("13") for p in gaz)
    assert [p.code for p in gaz if p.level == "province"] == ["130000"]


def test_hierarchy_is_consistent(gaz):
    for p in gaz:
        assert len(p.code) == (9 if p.level == "township" else 6)
        if p.level == "province":
            assert p.parent_code is None
            continue
        parent = gaz.get(p.parent_code)
        assert parent is not None, p
        assert p.full_name == parent.full_name + p.name
        assert p.code.startswith(p.parent_code[: 6 if p.level == "township" else 2])


def test_every_city_and_county_has_coordinates_near_its_parent(gaz):
    for p in gaz:
        if p.level in ("city", "county"):
            assert p.has_coords, p
            assert 36.0 <= p.lat <= 42.7 and 113.4 <= p.lng <= 119.9, p  # Hebei's extent
    # guard the hand-kept coordinates against typos
    for code in SUPPLEMENTARY_COORDS:
        p = gaz.get(code)
        parent = gaz.get(p.parent_code)
        assert parent.code == "130000" or haversine_km(p.lat, p.lng, parent.lat, parent.lng) < 80, p


def test_townships_have_no_invented_coordinates(gaz):
    assert all(p.lat is None and p.lng is None for p in gaz if p.level == "township")


# ----------------------------------------------------------------- lookups


def test_changan_district(gaz):
    p = gaz.get("130102")
    assert isinstance(p, Place)
    assert p.name == "长安区"
    assert p.full_name == "河北省石家庄市长安区"
    assert p.level == "county"
    assert p.parent_code == "130100"
    assert p.area_type == "urban"
    assert p.lat == pytest.approx(38.05, abs=0.05)
    assert p.lng == pytest.approx(114.54, abs=0.05)


def test_get_normalises_codes(gaz):
    assert gaz.get("130102000000") == gaz.get("130102") == gaz.get(130102)
    assert gaz.get("130100000000").name == "石家庄市"
    assert gaz.get("999999") is None
    assert gaz.get("not a code") is None
    assert gaz.get(None) is None


def test_village_code_resolves_to_township(gaz):
    township = gaz.townships("130102")[0]
    village = township.code + "201"
    assert gaz.get(village) == township
    assert gaz.get(village).level == "township"


def test_street_under_changan_is_urban(gaz):
    streets = [p for p in gaz.townships("130102") if p.name.endswith("街道")]
    assert streets
    for s in streets:
        assert len(s.code) == 9 and s.code.startswith("130102")
        assert 1 <= int(s.code[6:]) <= 99
        assert s.area_type == "urban"
        assert gaz.area_type(s.code) == "urban"
    assert gaz.get("130102001").name == "建北街道"


def test_xiang_is_rural(gaz):
    xiang = [p for p in gaz if p.level == "township" and p.name.endswith("乡")]
    assert len(xiang) > 400
    assert all(p.area_type == "rural" for p in xiang)
    assert gaz.area_type("130681204") == "rural"  # 涿州市孙家庄乡


def test_town_rules(gaz):
    town_in_district = gaz.find("西兆通镇", within="130102")[0]
    assert town_in_district.area_type == "rural"
    assert gaz.find("正定镇")[0].area_type == "urban"  # seat of 正定县
    assert gaz.find("赵州镇")[0].area_type == "urban"  # seat of 赵县
    assert gaz.find("微水镇")[0].area_type == "urban"  # seat of 井陉县 (no 街道)
    assert gaz.find("东城坊镇", within="130681")[0].area_type == "rural"
    # a county with 街道 whose first town has an unrelated name keeps it rural
    assert gaz.find("河南店镇", within="130426")[0].area_type == "rural"


def test_county_area_types(gaz):
    assert gaz.area_type("130102") == "urban"  # 市辖区
    assert gaz.area_type("130681") == "urban"  # 涿州市 (county-level city)
    assert gaz.area_type("130123") == "rural"  # 正定县
    assert gaz.area_type("130102000000") == "urban"
    # well-formed but unknown codes are classed from their digits
    assert gaz.area_type("130223") == "rural"  # former 滦县
    assert gaz.area_type("130102888") == "urban"  # unknown code, inherits 长安区
    with pytest.raises(KeyError):
        gaz.area_type("xyz")


def test_children_and_townships(gaz):
    sjz = gaz.children("130100")
    assert "130102" in {p.code for p in sjz}
    assert all(p.level == "county" for p in sjz)
    assert {p.code for p in gaz.children("130000")} >= {"130100", XIONGAN_CODE}
    ts = gaz.townships("130102000000")
    assert ts and all(p.parent_code == "130102" for p in ts)
    assert gaz.townships("130102001") == []


def test_find_forms(gaz):
    assert "130102" in {p.code for p in gaz.find("长安区")}
    assert [p.code for p in gaz.find("石家庄市长安区")] == ["130102"]
    assert [p.code for p in gaz.find("河北省石家庄市长安区")] == ["130102"]
    assert "130102" in {p.code for p in gaz.find("长安")}
    assert [p.code for p in gaz.find("石家庄长安区")] == ["130102"]
    assert gaz.find("") == []
    assert gaz.find("不存在的地方") == []


def test_find_ambiguous_names_and_within(gaz):
    qiaoxi = {p.code for p in gaz.find("桥西区")}
    assert qiaoxi == {"130104", "130703"}
    assert [p.code for p in gaz.find("桥西区", within="130700")] == ["130703"]
    assert [p.code for p in gaz.find("桥西区", within="1301")] == ["130104"]
    assert [p.code for p in gaz.find("桥西区", within="130100000000")] == ["130104"]


def test_xiongan(gaz):
    found = gaz.find("雄安新区")
    assert [p.code for p in found] == [XIONGAN_CODE]
    xa = found[0]
    assert xa.level == "city"
    assert xa.lat == pytest.approx(39.05, abs=0.1) and xa.lng == pytest.approx(115.87, abs=0.1)
    assert gaz.find("雄安")[0].code == XIONGAN_CODE
    pos = gaz.locate(None, None, XIONGAN_CODE)
    assert pos.lat is not None and pos.precision == "city"
    members = {p.name for p in gaz.children(XIONGAN_CODE)}
    assert members == {"容城县", "安新县", "雄县"}
    assert {p.name for p in gaz.counties(within=XIONGAN_CODE)} == members
    # the counties keep their 保定市 codes and are also found through 雄安新区
    rongcheng = gaz.find("容城县")[0]
    assert rongcheng.code.startswith("1306") or rongcheng.code.startswith("1331")
    assert [p.code for p in gaz.find("雄安新区容城县")] == [rongcheng.code]
    assert gaz.resolve("河北雄安新区容城县容城镇").name == "容城镇"


def test_resolve_addresses(gaz):
    p = gaz.resolve("河北省保定市涿州市双塔街道某某小区")
    assert p is not None and p.name == "双塔街道" and p.parent_code == "130681"
    assert gaz.resolve("保定涿州双塔某某小区3号楼").name == "双塔街道"
    # no township in the text -> the county
    assert gaz.resolve("河北省保定市涿州市范阳路12号").code == "130681"
    assert gaz.resolve("石家庄市长安区").code == "130102"
    assert gaz.resolve("承德县下板城镇").name == "下板城镇"
    # the district name disambiguates by city
    assert gaz.resolve("张家口市桥西区").code == "130703"
    assert gaz.resolve("石家庄桥西区").code == "130104"
    assert gaz.resolve("桥西区") is None  # ambiguous without a city
    assert gaz.resolve("北京市朝阳区") is None
    assert gaz.resolve("") is None
    assert gaz.resolve(None) is None


# ----------------------------------------------------------------- positions


def test_locate_precision_order(gaz):
    # exact: own coordinates win
    pos = gaz.locate(38.06, 114.55, "130102001")
    assert pos == Position(38.06, 114.55, "exact", "urban", "130102001")
    # township code without own coordinates -> county centroid, township's class
    town = gaz.find("西兆通镇", within="130102")[0]
    county = gaz.get("130102")
    pos = gaz.locate(None, None, town.code)
    assert pos.precision == "county"
    assert (pos.lat, pos.lng) == (county.lat, county.lng)
    assert pos.area_type == "rural" and pos.region_code == town.code
    # county code
    pos = gaz.locate(float("nan"), float("nan"), "130102000000")
    assert pos.precision == "county" and pos.area_type == "urban" and pos.region_code == "130102"
    # city code: city centroid, class unknown
    pos = gaz.locate(None, None, "130100")
    assert pos.precision == "city" and pos.lat is not None and pos.area_type is None
    # nothing usable
    assert gaz.locate(None, None, None) == Position(None, None, "unknown", None, None)
    assert gaz.locate(None, None, "130000").precision == "unknown"
    assert gaz.locate(None, None, "garbage").precision == "unknown"


def test_locate_township_precision_when_township_has_coordinates(gaz):
    """A gazetteer built with township coordinates uses them (precision township)."""
    town = gaz.get("130102001")
    places = [dataclasses.replace(p, lat=38.05, lng=114.53) if p.code == town.code else p for p in gaz]
    g2 = Gazetteer(places)
    pos = g2.locate(None, None, town.code)
    assert pos.precision == "township" and (pos.lat, pos.lng) == (38.05, 114.53)
    assert g2.locate(38.0, 114.0, town.code).precision == "exact"


def test_locate_keeps_what_a_code_gives_and_recomputes_when_the_inputs_change(gaz, monkeypatch):
    """locate() keeps the code-derived part (class, code, fallback position) per exact (code, area
    type); coordinates are read every call. A record that moves (new coordinates, new code or new
    class) gets the position its new inputs give, the same as an uncached gazetteer's."""
    import matcher.geography as geography

    fresh = Gazetteer(list(gaz), members={k: v for k, v in gaz._members.items()})  # nothing cached yet
    codes = [p.code for p in gaz if p.level in ("county", "township", "city")][:400] + ["130102000000", "garbage", None]
    for code in codes:
        for area in (None, "rural", "城镇"):
            expected = fresh._place(code, area)
            assert gaz.locate(None, None, code, area) == expected
            assert gaz.locate(None, None, code, area) == expected  # from the cache: the same
    # moved: new coordinates with the same code, then a new code, then a new class
    assert gaz.locate(38.06, 114.55, "130102") == Position(38.06, 114.55, "exact", "urban", "130102")
    assert gaz.locate(38.50, 115.00, "130102") == Position(38.50, 115.00, "exact", "urban", "130102")
    town = gaz.find("西兆通镇", within="130102")[0]
    assert gaz.locate(None, None, town.code) == fresh._place(town.code, None) != gaz.locate(None, None, "130102")
    assert gaz.locate(None, None, "130102", "rural").area_type == "rural"
    assert gaz.locate(None, None, "130102").area_type == "urban"
    # the same code as a number is its own entry, with the same answer
    assert gaz.locate(None, None, 130102) == gaz.locate(None, None, "130102")
    # a bad class raises every time (never cached)
    for _ in range(2):
        with pytest.raises(ValueError):
            gaz.locate(None, None, "130102", "suburb")
    # bounded: the cache starts over when full
    monkeypatch.setattr(geography, "_PLACED_MAX", 3)
    for code in codes[:10]:
        assert fresh.locate(None, None, code) == gaz.locate(None, None, code)
        assert len(fresh._placed_cache) <= 3


def test_locate_rejects_coordinates_outside_china(gaz):
    assert gaz.locate(0.0, 0.0, "130102").precision == "county"
    assert gaz.locate(114.54, 38.05, "130102").precision == "county"  # swapped lat/lng
    assert gaz.locate("38.05", "114.54", None).precision == "exact"  # numeric strings ok
    assert gaz.locate(38.05, None, "130102").precision == "county"


def test_locate_own_area_type_wins(gaz):
    assert gaz.locate(None, None, "130102", area_type="rural").area_type == "rural"
    assert gaz.locate(None, None, "130123", area_type="urban").area_type == "urban"
    assert gaz.locate(None, None, "130123").area_type == "rural"  # county-only record: rural
    assert gaz.locate(None, None, None, area_type="urban").area_type == "urban"
    assert gaz.locate(38.0, 114.5, "130100", area_type="农村").area_type == "rural"
    with pytest.raises(ValueError):
        gaz.locate(None, None, "130102", area_type="downtown")


def test_locate_village_and_outdated_codes(gaz):
    township = gaz.townships("130681")[0]
    pos = gaz.locate(None, None, township.code + "201")
    assert pos.region_code == township.code and pos.precision == "county"
    # 130223 (滦县, recoded 2018) is not in the list: falls back to 唐山市
    pos = gaz.locate(None, None, "130223000000")
    assert pos.precision == "city" and pos.region_code == "130200"


def test_the_scalar_china_box_agrees_with_in_china():
    from matcher.features.geo import CHINA_LAT_RANGE, CHINA_LNG_RANGE, in_china
    from matcher.geography import _point_in_china

    lats = [CHINA_LAT_RANGE[0] - 1e-9, CHINA_LAT_RANGE[0], 38.0, CHINA_LAT_RANGE[1], CHINA_LAT_RANGE[1] + 1e-9, -1e300]
    lngs = [CHINA_LNG_RANGE[0] - 1e-9, CHINA_LNG_RANGE[0], 114.5, CHINA_LNG_RANGE[1], CHINA_LNG_RANGE[1] + 1e-9, 1e300]
    for la in lats:
        for lo in lngs:
            assert _point_in_china(la, lo) == in_china(la, lo), (la, lo)
