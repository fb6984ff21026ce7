"""Known-answer cases for each ranking rule, through the real engine (real encoder, FAISS, SQLite)."""

from datetime import date, timedelta

import pytest

TODAY = date(2026, 11, 20)
BASE = (38.00, 114.50)  # near Shijiazhuang


def north(km: float) -> tuple[float, float]:
    return BASE[0] + km / 111.0, BASE[1]


def job(jid, title="电焊工", km=None, **extra):
    rec = {"id": jid, "title": title, "description": "钢结构焊接", "skills": ["焊工证"], "region_code": "130102",
           "wage_min": 5000, "wage_max": 7000, "posted_at": (TODAY - timedelta(days=3)).isoformat(),
           "expires_at": (TODAY + timedelta(days=30)).isoformat()}
    if km is not None:
        rec["lat"], rec["lng"] = north(km)
    rec.update(extra)
    return rec


def seeker(sid, **extra):
    rec = {"id": sid, "desired_occupations": ["电焊工"], "skills": ["焊工证"], "region_code": "130102",
           "lat": BASE[0], "lng": BASE[1], "birth_date": "1985-05-01", "education": "junior_high",
           "consent_to_share": True, "status": "unemployed"}
    rec.update(extra)
    return rec


def test_rural_seeker_prefers_4km_over_9km(engine):
    engine.upsert_jobs([job("far", km=9.0), job("near", km=4.0)])
    engine.upsert_seekers([seeker("S", area_type="rural")])
    ids = [m.id for m in engine.match_jobs("S", k=2, today=TODAY)]
    assert ids == ["near", "far"]
    near = engine.match_jobs("S", k=2, today=TODAY)[0]
    assert near.breakdown["inside_circle"] and near.breakdown["locality"] == 1.0
    assert any("5公里就业圈内" in r for r in near.reasons)


def test_urban_seeker_prefers_12_minutes_over_40(engine):
    # e-bike 15 km/h door to door, detour 1.3: 12 min ≈ 2.3 km, 40 min ≈ 7.7 km
    engine.upsert_jobs([job("m40", km=7.7), job("m12", km=2.3)])
    engine.upsert_seekers([seeker("S", area_type="urban")])
    matches = engine.match_jobs("S", k=2, today=TODAY)
    assert [m.id for m in matches] == ["m12", "m40"]
    assert 10 <= matches[0].breakdown["travel_minutes"] <= 14
    assert matches[0].breakdown["inside_circle"] and not matches[1].breakdown["inside_circle"]
    assert 0 < matches[1].breakdown["locality"] < 1  # smooth decay, not exclusion


def test_job_without_location_is_never_first(engine):
    nowhere = job("nowhere", title="电焊工", region_code=None)
    engine.upsert_jobs([nowhere, job("far", title="焊工", km=30.0, skills=[])])
    engine.upsert_seekers([seeker("S", area_type="urban")])
    matches = engine.match_jobs("S", k=2, today=TODAY)
    assert [m.id for m in matches] == ["far", "nowhere"]
    assert matches[1].breakdown["distance_km"] is None
    assert matches[1].breakdown["locality"] < matches[0].breakdown["locality"] or matches[1].breakdown["locality"] <= 0.2


def test_county_centroid_is_penalised_against_exact(engine):
    engine.upsert_jobs([job("exact", km=1.0), job("county", region_code="130102")])
    engine.upsert_seekers([seeker("S", area_type="urban")])
    by_id = {m.id: m for m in engine.match_jobs("S", k=2, today=TODAY)}
    assert by_id["exact"].breakdown["locality"] > by_id["county"].breakdown["locality"]
    assert by_id["county"].breakdown["locality"] <= 0.75


def test_priority_seeker_ranks_above_equal_peer_for_employer(engine):
    engine.upsert_jobs([job("J", km=1.0)])
    engine.upsert_seekers([seeker("plain"), seeker("helped", priority_groups=["disabled"])])
    matches = engine.match_candidates("J", k=2, today=TODAY)
    assert [m.id for m in matches] == ["helped", "plain"]
    assert matches[0].breakdown["priority"] > 0 and any("优先推荐" in r for r in matches[0].reasons)
    # employers never see which assistance group, nor personal data
    assert "disabled" not in str(matches[0].model_dump())
    assert "id_number" not in matches[0].summary and "phone" not in matches[0].summary


def test_employed_or_unconsented_seekers_never_offered(engine):
    engine.upsert_jobs([job("J", km=1.0)])
    engine.upsert_seekers([seeker("ok"), seeker("employed", status="employed"), seeker("private", consent_to_share=False)])
    assert [m.id for m in engine.match_candidates("J", k=10, today=TODAY)] == ["ok"]


@pytest.mark.parametrize(
    "job_extra, seeker_extra",
    [
        ({"status": "closed"}, {}),
        ({"expires_at": (TODAY - timedelta(days=1)).isoformat()}, {}),
        ({"wage_min": 3000, "wage_max": 3500}, {"desired_wage_min": 5000}),
        ({"employment_type": "part_time"}, {"employment_types": ["full_time"]}),
        ({"education_min": "bachelor"}, {"education": "junior_high"}),
        ({"age_max": 35}, {"birth_date": "1970-01-01"}),
        ({"licenses_required": ["焊工证"]}, {"skills": [], "certificates": []}),
        ({"public_welfare": True}, {"priority_groups": []}),
    ],
)
def test_each_hard_filter_excludes(engine, job_extra, seeker_extra):
    engine.upsert_jobs([job("blocked", km=0.5, **job_extra), job("fine", km=6.0)])
    engine.upsert_seekers([seeker("S", **seeker_extra)])
    ids = [m.id for m in engine.match_jobs("S", k=5, today=TODAY)]
    assert "blocked" not in ids and "fine" in ids


def test_hard_distance_limit_excludes_outside(engine):
    engine.upsert_jobs([job("in", km=2.0), job("out", km=20.0)])
    engine.upsert_seekers([seeker("S", area_type="rural", max_distance_km=5, hard_distance_limit=True)])
    assert [m.id for m in engine.match_jobs("S", k=5, today=TODAY)] == ["in"]


def test_welder_gets_welding_before_cashier(engine):
    engine.upsert_jobs([
        job("cashier", title="超市收银员", description="收银结算，整理货架", skills=["收银"], km=1.0),
        job("weld", title="电焊工", description="钢结构焊接，二保焊", skills=["焊工证"], km=3.0),
        job("guard", title="小区保安", description="门岗值守巡逻", skills=["保安员证"], km=1.0),
    ])
    matches = engine.match_jobs({"desired_occupations": ["会电焊，想找工厂的活"], "lat": BASE[0], "lng": BASE[1],
                                 "area_type": "urban"}, k=3, today=TODAY)
    assert matches[0].id == "weld"


def test_look_after_gate_finds_guard_jobs(engine):
    engine.upsert_jobs([
        job("guard", title="门卫", description="工厂大门值班，登记来访车辆", skills=[], km=2.0),
        job("cook", title="厨师", description="食堂炒菜", skills=["厨师证"], km=2.0),
        job("cashier", title="收银员", description="超市收银", skills=["收银"], km=2.0),
    ])
    matches = engine.match_jobs({"desired_occupations": ["年纪大了，想找个看大门的活"], "lat": BASE[0], "lng": BASE[1]},
                                k=3, today=TODAY)
    assert matches[0].id == "guard"
    assert matches[0].breakdown["occupation"] > 0


def test_new_job_is_matchable_immediately_and_removal_applies(engine):
    engine.upsert_seekers([seeker("S")])
    assert engine.match_jobs("S", k=5, today=TODAY) == []
    engine.upsert_jobs([job("new", km=1.0)])
    assert [m.id for m in engine.match_jobs("S", k=5, today=TODAY)] == ["new"]
    engine.upsert_jobs([job("new", km=1.0, status="filled")])
    assert engine.match_jobs("S", k=5, today=TODAY) == []


def test_match_result_shape(engine):
    engine.upsert_jobs([job("J", km=1.0)])
    m = engine.match_jobs(seeker("adhoc"), k=1, today=TODAY)[0]
    d = m.model_dump()
    assert {"id", "score", "breakdown", "reasons"} <= set(d)
    for key in ("semantic", "occupation", "skills", "locality", "priority", "distance_km", "travel_minutes", "filters_passed"):
        assert key in d["breakdown"]
    assert 1 <= len(m.reasons) <= 3 and all(isinstance(r, str) for r in m.reasons)
    assert m["id"] == "J"


def test_one_employer_does_not_crowd_out_the_list(engine):
    same = [job(f"E1-{i}", km=1.0 + i * 0.1, employer_id="E1") for i in range(4)]
    engine.upsert_jobs(same + [job("E2-0", km=3.0, employer_id="E2")])
    ids = [m.id for m in engine.match_jobs(seeker("S"), k=3, today=TODAY)]
    assert "E2-0" in ids and sum(i.startswith("E1") for i in ids) == 2
    # with nobody else left, the cap yields rather than returning fewer matches
    assert len(engine.match_jobs(seeker("S"), k=5, today=TODAY)) == 5
