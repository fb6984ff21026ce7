"""The four matching endpoints; writes through the API are matchable at once."""

from __future__ import annotations

from api_helpers import job, seeker

WELDER = seeker("S1", name="王小明", phone="13812345678", id_number=None, desired_occupations=["电焊工"],
                skills=["焊工证"], address="长安区建北街道1号")


def test_a_job_created_through_the_api_is_matched_at_once(client):
    assert client.post("/v1/seekers", json=WELDER).status_code == 201
    assert client.post("/v1/jobs", json=job("GUARD", "小区保安")).status_code == 201
    before = client.get("/v1/seekers/S1/matches").json()
    assert "WELD" not in [m["id"] for m in before]

    assert client.post("/v1/jobs", json=job("WELD", "电焊工", skills=["焊工证"], wage_min=6000)).status_code == 201
    r = client.get("/v1/seekers/S1/matches", params={"limit": 5})
    assert r.status_code == 200, r.text
    matches = r.json()
    assert matches[0]["id"] == "WELD"
    assert set(matches[0]) == {"id", "score", "breakdown", "reasons", "summary"}
    assert matches[0]["summary"]["title"] == "电焊工" and matches[0]["reasons"]
    assert [m["score"] for m in matches] == sorted((m["score"] for m in matches), reverse=True)

    # closing the job takes it out of the matches, at once too
    assert client.patch("/v1/jobs/WELD", json={"status": "closed"}).status_code == 200
    assert "WELD" not in [m["id"] for m in client.get("/v1/seekers/S1/matches").json()]


def test_profile_matching_stores_nothing(client, engine):
    engine.upsert("job", [job("WELD", "电焊工"), job("COOK", "食堂厨师")])
    r = client.post("/v1/matches/jobs", params={"limit": 1}, json={"desired_occupations": ["电焊"], "lat": 38.05,
                                                                   "lng": 114.52, "area_type": "urban"})
    assert r.status_code == 200, r.text
    assert [m["id"] for m in r.json()] == ["WELD"]
    assert client.get("/v1/seekers").json()["count"] == 0

    r = client.post("/v1/matches/jobs", json={"desired_occupations": ["电焊"], "lat": 91})
    assert r.status_code == 422 and r.json()["code"] == "validation_error"


def test_candidates_are_masked(client, engine):
    engine.upsert("seeker", [WELDER, seeker("S2", name="李四", desired_occupations=["厨师"])])
    engine.upsert("job", [job("WELD", "电焊工", skills=["焊工证"])])
    r = client.get("/v1/jobs/WELD/candidates", params={"limit": 5})
    assert r.status_code == 200, r.text
    cands = r.json()
    assert cands[0]["id"] == "S1"
    summary = cands[0]["summary"]
    assert summary["name"] == "王**"
    text = r.text
    assert "13812345678" not in text and "建北街道1号" not in text

    r = client.post("/v1/matches/candidates", json={"title": "电焊工", "lat": 38.05, "lng": 114.52})
    assert r.status_code == 200 and r.json()[0]["id"] == "S1" and r.json()[0]["summary"]["name"] == "王**"


def test_matching_errors(client):
    r = client.get("/v1/seekers/NOPE/matches")
    assert r.status_code == 404 and r.json()["code"] == "not_found" and "求职者" in r.json()["message"]
    r = client.get("/v1/jobs/NOPE/candidates")
    assert r.status_code == 404 and "岗位" in r.json()["message"]
    r = client.get("/v1/seekers/S1/matches", params={"limit": 0})
    assert r.status_code == 422 and r.json()["field"] == "limit"
    r = client.post("/v1/matches/candidates", json={"description": "没有岗位名称"})
    assert r.status_code == 422 and r.json()["field"] == "title"
