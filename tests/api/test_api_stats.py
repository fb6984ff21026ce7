"""/v1/stats on a small known dataset (exact counts), and the pure counting functions."""

from __future__ import annotations

import pytest
from api_helpers import job, seeker, store_put

from matcher.stats import child_code, compute_stats, wage_band

STATIONS = [
    {"id": "ST1", "name": "建北街道服务站", "kind": "community", "region_code": "130102001"},
    {"id": "ST2", "name": "桥西区服务站", "kind": "village", "region_code": "130104"},
    {"id": "ST3", "name": "路北区零工市场", "kind": "gig_market", "region_code": "130203"},
]
SEEKERS = [
    seeker("S1", region_code="130102001", status="unemployed", priority_groups=["disabled"], station_id="ST1",
           desired_occupations=["电焊工"]),
    seeker("S2", region_code="130102", status="employed", station_id="ST1", desired_occupations=["保安"]),
    seeker("S3", region_code="130104", status="seeking", priority_groups=["older_4050", "low_income"],
           station_id="ST2", desired_occupations=["电焊工", "氩弧焊工"]),
    seeker("S4", region_code="130203", status="unemployed", priority_groups=["graduate"], station_id="ST3",
           desired_occupations=["收银员"]),
]
JOBS = [
    job("J1", "电焊工", region_code="130102", occupation_code="6-18-02-04", wage_min=5000, wage_max=7000, headcount=2),
    job("J2", "小区保安", region_code="130102", wage_min=2800),
    job("J3", "焊工", region_code="130104", occupation_code="6-18-02-04", wage_min=4000, status="filled"),
    job("J4", "收银员", region_code="130203", wage_max=3500, headcount=3),
    job("J5", "保洁员", region_code="130203"),
]
REFERRALS = [
    {"id": "R1", "seeker_id": "S1", "job_id": "J1", "station_id": "ST1", "status": "hired"},
    {"id": "R2", "seeker_id": "S3", "job_id": "J1", "station_id": "ST2", "status": "interviewing",
     "interview_at": "2026-01-05"},
    {"id": "R3", "seeker_id": "S4", "job_id": "J4", "status": "recommended"},
    {"id": "R4", "seeker_id": "S2", "job_id": "J2", "station_id": "ST1", "status": "rejected"},
]


@pytest.fixture
def stats_client(client, engine):
    # written straight to the store: statistics need no index
    for kind, recs in (("station", STATIONS), ("seeker", SEEKERS), ("job", JOBS), ("referral", REFERRALS)):
        store_put(engine, kind, recs)
    return client


def counts(rows, *extra):
    return {r["key"]: (r["count"], *(r[e] for e in extra)) for r in rows if r["count"]}


def test_stats_for_the_province(stats_client):
    r = stats_client.get("/v1/stats", params={"region_code": "13"})
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["region_name"] == "河北省"
    assert s["totals"] == {"seekers": 4, "active_seekers": 3, "priority_seekers": 3, "jobs": 5, "open_jobs": 4,
                           "open_headcount": 7, "referrals": 4, "hires": 1, "stations": 3, "employers": 0}
    assert [(r["key"], r["count"]) for r in s["seekers_by_status"]] == [("unemployed", 2), ("employed", 1),
                                                                          ("seeking", 1)]
    assert counts(s["jobs_by_status"]) == {"open": (4,), "filled": (1,)}
    assert counts(s["referrals_by_status"]) == {"recommended": (1,), "interviewing": (1,), "hired": (1,),
                                                "rejected": (1,)}
    assert counts(s["seekers_by_priority_group"], "active") == {
        "disabled": (1, 1), "older_4050": (1, 1), "low_income": (1, 1), "graduate": (1, 1), "none": (1, 0)}
    assert counts(s["seekers_by_desired_occupation"]) == {"6-18-02-04": (2,), "4-01-02-04": (1,)}
    assert s["seekers_by_desired_occupation"][0]["label"] == "焊工"
    assert counts(s["jobs_by_occupation"], "headcount") == {
        "6-18-02-04": (1, 2), "4-07-05-01": (1, 1), "4-01-02-04": (1, 3), "4-09-08-01": (1, 1)}
    assert counts(s["jobs_by_wage_band"], "headcount") == {
        "lt_3000": (1, 1), "3000_4999": (1, 3), "5000_6999": (1, 2), "unspecified": (1, 1)}
    assert [r["key"] for r in s["jobs_by_wage_band"]] == ["lt_3000", "3000_4999", "5000_6999", "7000_plus",
                                                          "unspecified"]
    regions = {r["code"]: r for r in s["child_regions"]}
    assert set(regions) == {"1301", "1302"}
    assert regions["1301"]["name"] == "石家庄市"
    assert {k: regions["1301"][k] for k in ("seekers", "active_seekers", "priority_seekers", "jobs", "open_jobs",
                                            "open_headcount", "referrals", "hires", "stations")} == {
        "seekers": 3, "active_seekers": 2, "priority_seekers": 2, "jobs": 3, "open_jobs": 2, "open_headcount": 3,
        "referrals": 3, "hires": 1, "stations": 2}
    assert (regions["1302"]["seekers"], regions["1302"]["open_headcount"], regions["1302"]["referrals"]) == (1, 4, 1)
    perf = [(r["id"], r["seekers"], r["referrals"], r["interviews"], r["hires"], r["hire_rate"]) for r in s["stations"]]
    assert perf == [("ST1", 2, 2, 0, 1, 0.5), ("ST2", 1, 1, 1, 0, 0.0), ("ST3", 1, 1, 0, 0, 0.0)]


def test_stats_for_a_city_and_one_section(stats_client):
    s = stats_client.get("/v1/stats", params={"region_code": "1301", "by": "region,station"}).json()
    assert s["sections"] == ["region", "station"] and "seekers_by_status" not in s
    assert s["totals"]["seekers"] == 3 and s["totals"]["referrals"] == 3 and s["totals"]["stations"] == 2
    assert [(r["code"], r["name"], r["seekers"]) for r in s["child_regions"]] == [
        ("130102", "长安区", 2), ("130104", "桥西区", 1)]
    assert [r["id"] for r in s["stations"]] == ["ST1", "ST2"]

    s = stats_client.get("/v1/stats", params=[("region_code", "130203"), ("by", "wage_band"), ("by", "status")]).json()
    assert s["totals"]["open_headcount"] == 4
    assert counts(s["seekers_by_status"]) == {"unemployed": (1,)}

    r = stats_client.get("/v1/stats", params={"by": "colour"})
    assert r.status_code == 422 and r.json()["field"] == "by"
    assert stats_client.get("/v1/stats", params={"region_code": "1"}).status_code == 422


def test_pure_counting():
    assert [wage_band({"wage_min": w}) for w in (0, 2999, 3000, 4999, 5000, 6999.5, 7000)] == [
        "lt_3000", "lt_3000", "3000_4999", "3000_4999", "5000_6999", "5000_6999", "7000_plus"]
    assert wage_band({"wage_max": 3200}) == "3000_4999" and wage_band({}) == "unspecified"
    assert child_code("130102001", "1301") == "130102"
    assert child_code("130102", "130102") == "unspecified"
    assert child_code("130203", "1301") is None
    out = compute_stats("13", [], [], [], [], sections=["status"])
    assert out["totals"]["seekers"] == 0 and out["seekers_by_status"][0] == {"key": "unemployed", "label": "失业",
                                                                             "count": 0}
