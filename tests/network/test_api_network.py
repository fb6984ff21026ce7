"""The network routes on the generated home: /v1/coverage, /v1/cooperation, /v1/gigs, /v1/events,
/v1/seekers/{id}/training; area scoping of staff accounts; stats' network section."""

import sys
from datetime import timedelta
from pathlib import Path

import pytest
from network_home import TODAY, V2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "api"))
from api_helpers import api_client, bearer, make_token  # noqa: E402


@pytest.fixture
def client(home):
    with api_client(home) as c:
        yield c


def test_coverage_route(client, home):
    r = client.get("/v1/coverage", params={"region_code": "130125"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["uncovered_villages"] == [V2] and body["suggested_sites"][0]["newly_covered"] == 4
    assert body["map_tile_url"] is None
    county = bearer(make_token(home, "county", "130102"))
    assert client.get("/v1/coverage", params={"region_code": "130125"}, headers=county).status_code == 404
    own = client.get("/v1/coverage", headers=county).json()
    assert own["region_code"] == "130102" and {s["id"] for s in own["stations"]} == {"ST-U", "ST-G"}
    employer = bearer(make_token(home, "employer", employer="E1"))
    assert client.get("/v1/coverage", headers=employer).status_code == 403


def test_cooperation_crud_and_stats(client, home):
    r = client.post("/v1/cooperation", json={"from_region": "130126", "to_region": "130102", "kind": "城乡协作",
                                             "active_from": TODAY.isoformat()})
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    assert r.json()["kind"] == "urban_rural"
    ids = {p["id"] for p in client.get("/v1/cooperation").json()["data"]}
    assert ids == {"C1", pid}
    bad = client.post("/v1/cooperation", json={"from_region": "130125", "to_region": "130125101"})
    assert bad.status_code == 422 and "相互包含" in bad.json()["message"]
    county = bearer(make_token(home, "county", "130184"))
    assert client.post("/v1/cooperation", json={"from_region": "130125", "to_region": "130102"},
                       headers=county).status_code == 403
    # a hire through the pair is counted
    client.post("/v1/referrals", json={"seeker_id": "P3", "job_id": "J-COOP"}).raise_for_status()
    ref = client.get("/v1/referrals", params={"seeker_id": "P3"}).json()["data"][0]
    assert client.patch(f"/v1/referrals/{ref['id']}", json={"status": "hired"}).status_code == 200
    stats = {s["id"]: s for s in client.get("/v1/cooperation/stats").json()["data"]}
    assert stats["C1"]["placements"] == 1 and stats[pid]["placements"] == 0
    network = client.get("/v1/stats", params={"region_code": "130125", "by": "network"}).json()
    assert network["demonstration_stations"] == 1
    assert network["cooperation"][0]["placements"] == 1
    assert client.delete(f"/v1/cooperation/{pid}").status_code == 204
    assert client.get(f"/v1/cooperation/{pid}").status_code == 404


def test_paired_region_digest_lists_its_jobs(client):
    digest = client.get("/v1/digests", params={"station_id": "ST-V1"}).json()
    coop = {j["id"] for j in digest["cooperation_jobs"]}
    assert "J-COOP" in coop and "J-FAR" not in coop
    assert all(j["reason"] == "对口协作岗位" for j in digest["cooperation_jobs"])
    assert digest["station_section"]["kind"] == "village" and digest["station_section"]["title"] == "公益性岗位"
    assert client.get("/v1/digests", params={"station_id": "ST-U"}).json()["station_section"] is None
    gigs = client.get("/v1/digests", params={"station_id": "ST-G"}).json()["station_section"]
    assert gigs["kind"] == "gig_market" and [g["id"] for g in gigs["items"]] == ["G-TODAY", "G-TODAY2"]


def test_gig_board_route(client):
    r = client.get("/v1/gigs", params={"station_id": "ST-G"})
    assert [g["id"] for g in r.json()["gigs"]] == ["G-TODAY", "G-TODAY2"]
    past = client.get("/v1/gigs", params={"station_id": "ST-G", "date": (TODAY - timedelta(days=1)).isoformat()})
    assert past.json()["gigs"] == [] and past.json()["closed"] is True
    assert client.get("/v1/gigs", params={"station_id": "NOPE"}).status_code == 404


def test_event_routes(client, home):
    r = client.post("/v1/events", json={"title": "南桥招聘会", "station_id": "ST-V1", "date": TODAY.isoformat(),
                                        "employer_ids": ["E1"]})
    assert r.status_code == 201, r.text
    eid = r.json()["id"]
    inv = client.get(f"/v1/events/{eid}/invitations").json()
    assert inv["invitations"][0]["seeker_id"] == "P2"
    r = client.post(f"/v1/events/{eid}/attendance", json=[{"seeker_id": "P2", "attended": True, "outcome": "interview"}])
    assert r.status_code == 200 and r.json()["outcomes"] == {"invited_recorded": 1, "attended": 1, "interview": 1}
    assert client.post("/v1/events", json={"title": "x", "station_id": "ST-V1", "date": "bad"}).status_code == 422
    other = bearer(make_token(home, "county", "130102"))
    assert client.get(f"/v1/events/{eid}", headers=other).status_code == 404
    assert client.get(f"/v1/events/{eid}/invitations", headers=other).status_code == 404


def test_training_route(client):
    r = client.get("/v1/seekers/P1/training")
    assert r.status_code == 200 and r.json()["needed"] is False


def test_village_code_refused_through_the_api(client):
    r = client.post("/v1/seekers", json={"name": "测试", "region_code": "130125101299"})
    assert r.status_code == 422
    assert "未知的村级区划代码" in r.json()["errors"][0]["message"]
    ok = client.post("/v1/seekers", json={"name": "测试", "region_code": "130125101201"})
    assert ok.status_code == 201
