"""Service-circle coverage: shares, uncovered people and villages, greedy suggested sites."""

import json

import numpy as np
import pytest
from network_home import V1, V2

from matcher.cli import main
from matcher.coverage import CircleConfig, People, Stations, compute_coverage, greedy_sites


def test_county_coverage_known_answers(home):
    from matcher.coverage import area_coverage

    out = area_coverage(home, "130125")
    assert out["people"] == 7 and out["covered"] == 3  # V1's three residents; V2's four are 13 km away
    assert out["share"] == round(3 / 7, 4)
    assert out["priority_people"] == 2 and out["priority_covered"] == 1
    assert out["uncovered_villages"] == [V2]
    names = {v["code"]: v["name"] for v in out["villages"]}
    assert names == {V1: "南桥一村", V2: "南桥二村"}
    assert sorted(p["id"] for p in out["uncovered_people"]) == ["Q1", "Q2", "Q3", "Q4"]
    first = out["suggested_sites"][0]
    assert (first["kind"], first["code"], first["newly_covered"], first["newly_covered_priority"]) == ("village", V2, 4, 1)
    assert len(out["suggested_sites"]) == 1  # nobody is left uncovered after it
    assert out["demonstration_by_county"] == [
        {"county": "130125", "name": "河北省石家庄市行唐县", "stations": 1, "demonstration": 1}]


def test_urban_circle_is_fifteen_minutes_on_foot(home):
    from matcher.coverage import area_coverage

    out = area_coverage(home, "130102")
    assert out["circle"]["urban_radius_km"] == round(15 / 60 * 4.5 / 1.3, 3)
    uncovered = {p["id"] for p in out["uncovered_people"]}
    assert "U2" in uncovered and "U1" not in uncovered  # 1.2 km vs 0.5 km from ST-U
    assert "U3" not in uncovered  # 0.8 km north of ST-U, inside 0.87 km


def test_circle_is_configurable_per_station(home):
    from matcher.coverage import area_coverage

    home.upsert_stations([{**home.store.get_dicts("station", ["ST-U"])["ST-U"], "urban_circle_minutes": 30}])
    assert "U2" not in {p["id"] for p in area_coverage(home, "130102")["uncovered_people"]}


def test_greedy_takes_the_biggest_gain_first():
    people = People(ids=list("abcde"), lat=np.array([0, 0, 0, 1, 1.0]) + 38, lng=np.full(5, 114.0),
                    urban=np.zeros(5, bool), priority=np.array([0, 0, 0, 1, 0], bool), place=[None] * 5)
    cand_lat, cand_lng = np.array([39.0, 38.0]), np.array([114.0, 114.0])
    assert greedy_sites(people, np.ones(5, bool), cand_lat, cand_lng, CircleConfig(), 5) == [(1, 3, 0), (0, 2, 1)]
    empty = Stations([], np.empty(0), np.empty(0), np.empty(0), np.empty(0))
    out = compute_coverage(people, empty, [], {}, CircleConfig(), 3)
    assert out["covered"] == 0 and out["share"] == 0.0 and out["suggested_sites"] == []


def test_cli_coverage_json_and_text(home, capsys, monkeypatch):
    monkeypatch.setenv("MATCHER_HOME", str(home.settings.home))
    monkeypatch.setenv("MATCHER_VILLAGES_PATH", str(home.settings.villages_path))
    if home.settings.database_url:
        monkeypatch.setenv("MATCHER_DATABASE_URL", home.settings.database_url)
    assert main(["coverage", "--region", "130125", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["uncovered_villages"] == [V2] and out["suggested_sites"][0]["code"] == V2
    assert main(["coverage", "--region", "130125"]) == 0
    text = capsys.readouterr().out
    assert "南桥二村" in text and "新覆盖 4 人" in text


@pytest.mark.parametrize("code", ["130125101299", "130125101201"])
def test_village_codes_checked_against_the_list(home, code):
    from matcher.errors import ValidationFailed

    rec = {"id": "X", "name": "测试", "region_code": code}
    if code == V1:
        home.upsert_seekers([rec])
        return
    with pytest.raises(ValidationFailed) as e:
        home.upsert_seekers([rec])
    assert "未知的村级区划代码 130125101299" in e.value.errors[0].message
    assert "unknown village code" in e.value.errors[0].message


def test_village_code_refused_without_a_list(engine):
    from matcher.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as e:
        engine.upsert_seekers([{"id": "X", "region_code": V1}])
    assert "MATCHER_VILLAGES_PATH" in e.value.errors[0].message
    engine.upsert_seekers([{"id": "Y", "region_code": "130125101000"}])  # a township written in 12 digits
