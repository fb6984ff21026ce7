"""Referrals: 推荐 → 面试 → 录用/未录用, the side effects of a hire, and the workflow's rules."""

from __future__ import annotations

from datetime import date

import pytest
from api_helpers import TODAY, job, seeker

from matcher.errors import Conflict, ValidationFailed
from matcher.referrals import apply_update, check_transition, hire_effects


@pytest.fixture
def stocked(engine):
    engine.upsert("station", [{"id": "ST1", "name": "建北街道服务站", "region_code": "130102001"}])
    engine.upsert("seeker", [seeker("S1", name="王小明", desired_occupations=["电焊工"], station_id="ST1"),
                             seeker("S2", name="李四", desired_occupations=["电焊工"], station_id="ST1")])
    engine.upsert("job", [job("WELD", "电焊工", headcount=2), job("GUARD", "保安员", headcount=1)])
    return engine


def test_referral_flow_to_hired(client, stocked):
    r = client.post("/v1/referrals", json={"seeker_id": "S1", "job_id": "WELD", "notes": "电话联系过"})
    assert r.status_code == 201, r.text
    ref = r.json()
    assert ref["status"] == "recommended" and ref["id"].startswith("R") and ref["station_id"] == "ST1"
    assert ref["referred_at"] == TODAY.isoformat()
    rid = ref["id"]

    r = client.patch(f"/v1/referrals/{rid}", json={"status": "interviewing", "interview_at": "2030-01-05"})
    assert r.status_code == 200 and r.json()["status"] == "interviewing" and r.json()["interview_at"] == "2030-01-05"
    assert client.get("/v1/seekers/S1/matches").json()[0]["id"] == "WELD"

    r = client.patch(f"/v1/referrals/{rid}", json={"status": "录用", "outcome": "已签合同"})  # Chinese word ok
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "hired" and r.json()["decided_at"] == TODAY.isoformat()
    assert r.json()["notes"] == "电话联系过" and r.json()["outcome"] == "已签合同"

    assert client.get("/v1/seekers/S1").json()["status"] == "employed"
    weld = client.get("/v1/jobs/WELD").json()
    assert weld["headcount"] == 1 and weld["status"] == "open"
    # the employed seeker is no longer offered to employers
    assert "S1" not in [c["id"] for c in client.get("/v1/jobs/WELD/candidates").json()]

    # the last place fills the job, which leaves the matches
    rid2 = client.post("/v1/referrals", json={"seeker_id": "S2", "job_id": "WELD"}).json()["id"]
    assert client.patch(f"/v1/referrals/{rid2}", json={"status": "hired"}).status_code == 200
    assert client.get("/v1/jobs/WELD").json()["status"] == "filled"
    assert "WELD" not in [m["id"] for m in client.get("/v1/seekers/S2/matches").json()]
    assert client.get("/v1/referrals", params={"status": "hired"}).json()["count"] == 2
    assert client.get("/v1/referrals", params={"seeker_id": "S2"}).json()["data"][0]["id"] == rid2


def test_illegal_moves(client, stocked):
    rid = client.post("/v1/referrals", json={"seeker_id": "S1", "job_id": "GUARD"}).json()["id"]
    assert client.patch(f"/v1/referrals/{rid}", json={"status": "interviewing"}).status_code == 200
    r = client.patch(f"/v1/referrals/{rid}", json={"status": "recommended"})
    assert r.status_code == 422 and r.json()["field"] == "status" and "不能从" in r.json()["message"]

    assert client.patch(f"/v1/referrals/{rid}", json={"status": "rejected"}).status_code == 200
    r = client.patch(f"/v1/referrals/{rid}", json={"status": "hired"})
    assert r.status_code == 409 and r.json()["code"] == "conflict" and "已有结果" in r.json()["message"]
    assert client.get("/v1/seekers/S1").json()["status"] == "unemployed"  # nothing half-done
    # notes may still be added to a closed referral
    r = client.patch(f"/v1/referrals/{rid}", json={"notes": "企业反馈：经验不足"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"

    r = client.patch(f"/v1/referrals/{rid}", json={"status": "offered"})
    assert r.status_code == 422 and r.json()["field"] == "status"
    assert client.patch("/v1/referrals/NOPE", json={"status": "hired"}).status_code == 404


def test_create_checks(client, stocked):
    r = client.post("/v1/referrals", json={"seeker_id": "NOPE", "job_id": "WELD"})
    assert r.status_code == 404 and r.json()["field"] == "seeker_id"
    r = client.post("/v1/referrals", json={"seeker_id": "S1", "job_id": "NOPE"})
    assert r.status_code == 404 and r.json()["field"] == "job_id"
    r = client.post("/v1/referrals", json={"job_id": "WELD"})
    assert r.status_code == 422 and r.json()["field"] == "seeker_id"

    first = client.post("/v1/referrals", json={"id": "R1", "seeker_id": "S1", "job_id": "WELD"})
    assert first.status_code == 201 and first.json()["id"] == "R1"
    r = client.post("/v1/referrals", json={"seeker_id": "S1", "job_id": "WELD"})
    assert r.status_code == 409 and "R1" in r.json()["message"]
    r = client.post("/v1/referrals", json={"id": "R1", "seeker_id": "S2", "job_id": "WELD"})
    assert r.status_code == 409 and r.json()["field"] == "id"

    client.patch("/v1/jobs/GUARD", json={"status": "paused"})
    r = client.post("/v1/referrals", json={"seeker_id": "S1", "job_id": "GUARD"})
    assert r.status_code == 409 and r.json()["field"] == "job_id"


def test_delete_withdraws_and_keeps_the_record(client, stocked):
    rid = client.post("/v1/referrals", json={"seeker_id": "S1", "job_id": "WELD"}).json()["id"]
    assert client.delete(f"/v1/referrals/{rid}").status_code == 204
    kept = client.get(f"/v1/referrals/{rid}").json()
    assert kept["status"] == "withdrawn" and kept["decided_at"] == TODAY.isoformat()
    assert client.delete(f"/v1/referrals/{rid}").status_code == 204  # already withdrawn
    # a new referral to the same job is allowed once the old one is withdrawn
    assert client.post("/v1/referrals", json={"seeker_id": "S1", "job_id": "WELD"}).status_code == 201

    rid = client.post("/v1/referrals", json={"seeker_id": "S2", "job_id": "GUARD"}).json()["id"]
    client.patch(f"/v1/referrals/{rid}", json={"status": "hired"})
    assert client.delete(f"/v1/referrals/{rid}").status_code == 409
    assert client.delete("/v1/referrals/NOPE").status_code == 404


def test_put_referral_needs_stored_records(client, stocked):
    r = client.put("/v1/referrals/R9", json={"seeker_id": "S1", "job_id": "NOPE"})
    assert r.status_code == 404 and r.json()["field"] == "job_id"
    r = client.put("/v1/referrals/R9", json={"seeker_id": "S1", "job_id": "WELD", "status": "面试中"})
    assert r.status_code == 200 and r.json()["status"] == "interviewing"
    # a whole-record write may not move a stored referral's status (PATCH runs the workflow)
    for status in ("recommended", "hired"):
        r = client.put("/v1/referrals/R9", json={"seeker_id": "S1", "job_id": "WELD", "status": status})
        assert r.status_code == 422 and r.json()["field"] == "status" and "PATCH" in r.json()["message"]
    assert client.get("/v1/referrals/R9").json()["status"] == "interviewing"
    r = client.put("/v1/referrals/R9", json={"seeker_id": "S1", "job_id": "WELD", "status": "interviewing",
                                            "notes": "约好周一面试"})
    assert r.status_code == 200 and r.json()["notes"] == "约好周一面试"


# -- the pure rules -------------------------------------------------------------------------------
def test_transition_table():
    assert check_transition("recommended", "hired") is True
    assert check_transition("interviewing", "interviewing") is False
    assert check_transition("hired", "hired") is False
    with pytest.raises(ValidationFailed):
        check_transition("interviewing", "recommended")
    for final in ("hired", "rejected", "withdrawn"):
        with pytest.raises(Conflict):
            check_transition(final, "interviewing")


def test_dates_follow_the_workflow():
    day = date(2026, 3, 1)
    ref = {"id": "R1", "seeker_id": "S", "job_id": "J", "status": "recommended"}
    out, moved = apply_update(ref, {"status": "interviewing"}, day)
    assert moved and out["interview_at"] == "2026-03-01" and "decided_at" not in out
    out, _ = apply_update(out, {"status": "rejected", "decided_at": date(2026, 3, 5)}, day)
    assert out["decided_at"] == "2026-03-05"


def test_hire_effects():
    s, j = hire_effects({"id": "S", "status": "seeking"}, {"id": "J", "status": "open", "headcount": 3})
    assert s["status"] == "employed" and j["headcount"] == 2 and j["status"] == "open"
    _, j = hire_effects(None, {"id": "J", "status": "open", "headcount": 1})
    assert j["status"] == "filled" and j["headcount"] == 1
    s, j = hire_effects({"id": "S", "status": "employed"}, {"id": "J", "status": "closed", "headcount": 1})
    assert s is None and j is None
