"""Object-level authorisation: every resource × verb, for an account inside and outside its area.

Two areas: 长安区 130102 (石家庄) and 路北区 130203 (唐山), each with a station, an employer, a
job, a seeker and a referral. A station account of 长安区 must act on its own records and get 404
for the others' (never 403: that would confirm they exist); an employer sees its own jobs only and
seekers masked until they consent to a referral to it.
"""

from __future__ import annotations

import io
import json

import pytest
from api_helpers import TODAY, api_client, bearer, job, make_token, seeker

A, B = "130102", "130203"
A_POS, B_POS = (38.04, 114.54), (39.62, 118.20)


def id_number(prefix17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return prefix17 + "10X98765432"[sum(int(c) * w for c, w in zip(prefix17, weights, strict=True)) % 11]


ID_A = id_number("13010219850312123")
PHONE_A = "13812345678"


def _records():
    stations = [{"id": "STA", "name": "长安站", "kind": "community", "region_code": A, "lat": A_POS[0], "lng": A_POS[1]},
                {"id": "STB", "name": "路北站", "kind": "community", "region_code": B, "lat": B_POS[0], "lng": B_POS[1]}]
    employers = [{"id": "EA", "name": "长安物流", "region_code": A}, {"id": "EB", "name": "路北机械", "region_code": B}]
    jobs = [job("JA", "仓库搬运工", employer_id="EA", employer_name="长安物流", region_code=A, lat=A_POS[0], lng=A_POS[1],
                description="仓库装卸搬运，包吃住", wage_min=4000, wage_max=5500),
            job("JB", "机械装配工", employer_id="EB", employer_name="路北机械", region_code=B, lat=B_POS[0], lng=B_POS[1],
                wage_min=5000, wage_max=6500)]
    seekers = [seeker("SA", name="王小明", id_number=ID_A, phone=PHONE_A, address="长安区建设北大街12号3单元",
                      region_code=A, lat=A_POS[0], lng=A_POS[1], station_id="STA", desired_occupations=["搬运工"],
                      priority_groups=["disabled"]),
               seeker("SB", name="李大力", region_code=B, lat=B_POS[0], lng=B_POS[1], station_id="STB",
                      desired_occupations=["装配工"])]
    return stations, employers, jobs, seekers


@pytest.fixture
def world(engine):
    stations, employers, jobs, seekers = _records()
    engine.upsert_stations(stations)
    engine.upsert_employers(employers)
    engine.upsert_jobs(jobs)
    engine.upsert_seekers(seekers)
    from matcher.referrals import create_referral

    create_referral(engine, seeker_id="SA", job_id="JA", referral_id="RA")
    create_referral(engine, seeker_id="SB", job_id="JB", referral_id="RB")
    tokens = {
        "station": make_token(engine, "station", region=A),
        "county": make_token(engine, "county", region=A),
        "city": make_token(engine, "city", region="1301"),
        "province": make_token(engine, "province"),
        "employer": make_token(engine, "employer", employer="EA"),
        "platform": make_token(engine, "platform"),
    }
    with api_client(engine, role=None) as client:
        yield client, tokens, engine


def as_(tokens, role):
    return bearer(tokens[role])


# The records of each resource inside (A) and outside (B) the 长安区 station account's area, and a
# valid body to write one of them.
MINE = {"jobs": "JA", "seekers": "SA", "employers": "EA", "stations": "STA", "referrals": "RA"}
THEIRS = {"jobs": "JB", "seekers": "SB", "employers": "EB", "stations": "STB", "referrals": "RB"}


def body(resource: str, rid: str, region: str) -> dict:
    pos = A_POS if region == A else B_POS
    if resource == "jobs":
        return job(rid, "保洁员", region_code=region, lat=pos[0], lng=pos[1])
    if resource == "seekers":
        return seeker(rid, name="赵新", region_code=region, lat=pos[0], lng=pos[1])
    if resource == "employers":
        return {"id": rid, "name": "新单位", "region_code": region}
    if resource == "stations":
        return {"id": rid, "name": "新站", "kind": "village", "region_code": region}
    return {"id": rid, "seeker_id": "SA" if region == A else "SB", "job_id": "JA" if region == A else "JB"}


STATION_RESOURCES = ["jobs", "seekers", "employers", "referrals", "stations"]


# -- list ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("resource", STATION_RESOURCES)
def test_list_shows_only_the_accounts_area(world, resource):
    client, tokens, _ = world
    r = client.get(f"/v1/{resource}", headers=as_(tokens, "station"))
    assert r.status_code == 200
    ids = {d["id"] for d in r.json()["data"]}
    assert MINE[resource] in ids and THEIRS[resource] not in ids
    assert r.json()["count"] == len(ids)
    if resource != "referrals":  # asking for the other area by filter gives nothing, not its records
        other = client.get(f"/v1/{resource}", params={"region_code": B}, headers=as_(tokens, "station"))
        assert other.status_code == 200 and other.json()["data"] == [] and other.json()["count"] == 0
    # the province sees both
    both = {d["id"] for d in client.get(f"/v1/{resource}", headers=as_(tokens, "province")).json()["data"]}
    assert {MINE[resource], THEIRS[resource]} <= both


# -- get -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("resource", STATION_RESOURCES)
def test_get_outside_the_area_is_not_found(world, resource):
    client, tokens, _ = world
    assert client.get(f"/v1/{resource}/{MINE[resource]}", headers=as_(tokens, "station")).status_code == 200
    r = client.get(f"/v1/{resource}/{THEIRS[resource]}", headers=as_(tokens, "station"))
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    # the same answer as for an id that does not exist at all
    missing = client.get(f"/v1/{resource}/NOPE", headers=as_(tokens, "station"))
    assert missing.status_code == 404 and set(missing.json()) == set(r.json())


# -- create --------------------------------------------------------------------------------------
@pytest.mark.parametrize("resource", ["jobs", "seekers", "employers"])
def test_create_outside_the_area_is_refused(world, resource):
    client, tokens, engine = world
    kind = resource[:-1]
    before = engine.store.count(kind)
    r = client.post(f"/v1/{resource}", json=body(resource, "NEWB", B), headers=as_(tokens, "station"))
    assert r.status_code == 404 and r.json()["field"] == "region_code" and "辖区" in r.json()["message"]
    assert engine.store.count(kind) == before
    ok = client.post(f"/v1/{resource}", json=body(resource, "NEWA", A), headers=as_(tokens, "station"))
    assert ok.status_code == 201, ok.text
    assert engine.store.count(kind) == before + 1


def test_create_stations_needs_a_county_account(world):
    client, tokens, engine = world
    r = client.post("/v1/stations", json=body("stations", "NEWA", A), headers=as_(tokens, "station"))
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    out = client.post("/v1/stations", json=body("stations", "NEWB", B), headers=as_(tokens, "county"))
    assert out.status_code == 404
    assert client.post("/v1/stations", json=body("stations", "NEWA", A), headers=as_(tokens, "county")).status_code == 201
    assert engine.store.count("station") == 3


def test_create_referral_for_a_seeker_outside_the_area_is_refused(world):
    client, tokens, engine = world
    r = client.post("/v1/referrals", json={"seeker_id": "SB", "job_id": "JA"}, headers=as_(tokens, "station"))
    assert r.status_code == 404 and r.json()["field"] == "seeker_id"
    ok = client.post("/v1/referrals", json={"seeker_id": "SA", "job_id": "JB"}, headers=as_(tokens, "station"))
    assert ok.status_code == 201
    assert engine.store.count("referral") == 3


# -- replace (PUT) ---------------------------------------------------------------------------------
@pytest.mark.parametrize("resource", STATION_RESOURCES)
def test_replace_outside_the_area_is_not_found(world, resource):
    client, tokens, engine = world
    kind = resource[:-1]
    theirs = THEIRS[resource]
    before = engine.store.get_dicts(kind, [theirs])[theirs]
    who = "county" if resource == "stations" else "station"
    r = client.put(f"/v1/{resource}/{theirs}", json=body(resource, theirs, A), headers=as_(tokens, who))
    assert r.status_code == 404
    assert engine.store.get_dicts(kind, [theirs])[theirs] == before
    # moving one's own record into the other area is refused too
    mine = MINE[resource]
    r = client.put(f"/v1/{resource}/{mine}", json=body(resource, mine, B), headers=as_(tokens, who))
    assert r.status_code == 404
    assert client.put(f"/v1/{resource}/{mine}", json=body(resource, mine, A), headers=as_(tokens, who)).status_code == 200


# -- patch ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("resource", STATION_RESOURCES)
def test_patch_outside_the_area_is_not_found(world, resource):
    client, tokens, engine = world
    kind = resource[:-1]
    change = {"referrals": {"status": "interviewing"}, "stations": {"name": "改名"}}.get(resource, {"address": "新地址"})
    who = "county" if resource == "stations" else "station"
    before = engine.store.get_dicts(kind, [THEIRS[resource]])[THEIRS[resource]]
    r = client.patch(f"/v1/{resource}/{THEIRS[resource]}", json=change, headers=as_(tokens, who))
    assert r.status_code == 404
    assert engine.store.get_dicts(kind, [THEIRS[resource]])[THEIRS[resource]] == before
    ok = client.patch(f"/v1/{resource}/{MINE[resource]}", json=change, headers=as_(tokens, who))
    assert ok.status_code == 200, ok.text


# -- delete --------------------------------------------------------------------------------------
@pytest.mark.parametrize("resource", STATION_RESOURCES)
def test_delete_outside_the_area_is_not_found(world, resource):
    client, tokens, engine = world
    kind = resource[:-1]
    who = "county" if resource == "stations" else "station"
    r = client.delete(f"/v1/{resource}/{THEIRS[resource]}", headers=as_(tokens, who))
    assert r.status_code == 404
    assert engine.store.get_dicts(kind, [THEIRS[resource]])  # still there
    assert client.delete(f"/v1/{resource}/{MINE[resource]}", headers=as_(tokens, who)).status_code == 204


# -- bulk import -----------------------------------------------------------------------------------
@pytest.mark.parametrize("resource", ["jobs", "seekers", "employers", "stations"])
def test_import_rows_outside_the_area_are_rejected(world, resource):
    client, tokens, engine = world
    kind = resource[:-1]
    who = "county" if resource == "stations" else "station"
    rows = [body(resource, "IMPA", A), body(resource, "IMPB", B), body(resource, THEIRS[resource], A)]
    data = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()
    files = {"file": ("rows.jsonl", io.BytesIO(data), "application/x-ndjson")}
    before = engine.store.max_seq()
    r = client.post(f"/v1/{resource}/import", files=files, headers=as_(tokens, who))
    assert r.status_code == 422 and r.json()["code"] == "import_rejected"
    bad_rows = sorted(e["row"] for e in r.json()["errors"])
    assert bad_rows == [2, 3]  # the other area's new row, and an existing record of the other area
    assert engine.store.max_seq() == before  # abort: nothing written
    files = {"file": ("rows.jsonl", io.BytesIO(data), "application/x-ndjson")}
    r = client.post(f"/v1/{resource}/import", params={"on_error": "skip"}, files=files, headers=as_(tokens, who))
    assert r.status_code == 200 and r.json()["inserted"] == 1 and r.json()["rejected"] == 2
    assert engine.store.get_dicts(kind, ["IMPA"]) and not engine.store.get_dicts(kind, ["IMPB"])
    assert engine.store.get_dicts(kind, [THEIRS[resource]])[THEIRS[resource]].get("region_code") == B


# -- matching, digests, statistics, audit ---------------------------------------------------------------
def test_matches_for_a_seeker_outside_the_area_are_not_found(world):
    client, tokens, _ = world
    assert client.get("/v1/seekers/SA/matches", headers=as_(tokens, "station")).status_code == 200
    assert client.get("/v1/seekers/SB/matches", headers=as_(tokens, "station")).status_code == 404
    assert client.get("/v1/seekers/SA/matches", headers=as_(tokens, "employer")).status_code == 403
    assert client.get("/v1/seekers/SA/matches", headers=as_(tokens, "platform")).status_code == 403


def test_candidates_only_for_visible_jobs_and_only_seekers_of_the_area(world):
    client, tokens, _ = world
    assert client.get("/v1/jobs/JB/candidates", headers=as_(tokens, "station")).status_code == 404
    mine = client.get("/v1/jobs/JA/candidates", params={"limit": 50}, headers=as_(tokens, "station"))
    assert mine.status_code == 200
    assert all(m["summary"]["region_code"].startswith(A) for m in mine.json())
    # an ad-hoc job profile in the other area still only yields this area's seekers
    ad_hoc = client.post("/v1/matches/candidates", json=job("X", "装配工", region_code=B, lat=B_POS[0], lng=B_POS[1]),
                         headers=as_(tokens, "station"))
    assert ad_hoc.status_code == 200 and all(m["id"] != "SB" for m in ad_hoc.json())
    prov = client.post("/v1/matches/candidates", json=job("X", "装配工", region_code=B, lat=B_POS[0], lng=B_POS[1]),
                       headers=as_(tokens, "province"))
    assert "SB" in {m["id"] for m in prov.json()}
    assert client.get("/v1/jobs/JB/candidates", headers=as_(tokens, "employer")).status_code == 404
    assert client.get("/v1/jobs/JA/candidates", headers=as_(tokens, "employer")).status_code == 200


def test_digests_outside_the_area_are_not_found(world):
    client, tokens, _ = world
    assert client.get("/v1/digests", params={"station_id": "STA"}, headers=as_(tokens, "station")).status_code == 200
    assert client.get("/v1/digests", params={"station_id": "STB"}, headers=as_(tokens, "station")).status_code == 404
    assert client.get("/v1/digests", params={"region_code": B}, headers=as_(tokens, "station")).status_code == 404
    assert client.get("/v1/digests", params={"region_code": "1301"}, headers=as_(tokens, "county")).status_code == 404
    assert client.get("/v1/digests", params={"region_code": A}, headers=as_(tokens, "city")).status_code == 200
    assert client.get("/v1/digests", params={"station_id": "STB"}, headers=as_(tokens, "platform")).status_code == 200
    assert client.get("/v1/digests", params={"station_id": "STA"}, headers=as_(tokens, "employer")).status_code == 403


def test_stats_are_limited_to_the_area(world):
    client, tokens, _ = world
    own = client.get("/v1/stats", params={"by": "status"}, headers=as_(tokens, "station"))
    assert own.status_code == 200
    whole = client.get("/v1/stats", params={"by": "status"}, headers=as_(tokens, "province")).json()
    assert json.dumps(own.json(), sort_keys=True) != json.dumps(whole, sort_keys=True)
    assert client.get("/v1/stats", params={"region_code": B}, headers=as_(tokens, "station")).status_code == 404
    assert client.get("/v1/stats", params={"region_code": "13"}, headers=as_(tokens, "city")).status_code == 404
    assert client.get("/v1/stats", headers=as_(tokens, "employer")).status_code == 403


def test_audit_log_is_for_county_and_above_in_their_area(world):
    client, tokens, _ = world
    client.get("/v1/seekers/SA", headers=as_(tokens, "station"))
    client.get("/v1/seekers/SB", headers=as_(tokens, "province"))
    assert client.get("/v1/audit", headers=as_(tokens, "station")).status_code == 403
    assert client.get("/v1/audit", headers=as_(tokens, "employer")).status_code == 403
    county = client.get("/v1/audit", headers=as_(tokens, "county")).json()
    assert {e["record_id"] for e in county["data"]} == {"SA"}
    prov = client.get("/v1/audit", headers=as_(tokens, "province")).json()
    assert {e["record_id"] for e in prov["data"]} == {"SA", "SB"}


# -- employers -------------------------------------------------------------------------------------
def test_employer_sees_and_writes_only_its_own_jobs(world):
    client, tokens, engine = world
    h = as_(tokens, "employer")
    assert {d["id"] for d in client.get("/v1/jobs", headers=h).json()["data"]} == {"JA"}
    assert client.get("/v1/jobs", params={"employer_id": "EB"}, headers=h).json()["data"] == []
    assert client.get("/v1/jobs/JB", headers=h).status_code == 404
    assert client.patch("/v1/jobs/JB", json={"wage_min": 1}, headers=h).status_code == 404
    assert client.delete("/v1/jobs/JB", headers=h).status_code == 404
    # a new job is filed under the employer; posting for another employer is refused
    r = client.post("/v1/jobs", json=job("JN", "叉车司机", region_code=A), headers=h)
    assert r.status_code == 201 and r.json()["employer_id"] == "EA"
    r = client.post("/v1/jobs", json=job("JX", "叉车司机", employer_id="EB"), headers=h)
    assert r.status_code == 404 and r.json()["field"] == "employer_id"
    assert not engine.store.get_dicts("job", ["JX"])
    assert {d["id"] for d in client.get("/v1/employers", headers=h).json()["data"]} == {"EA"}
    assert client.get("/v1/employers/EB", headers=h).status_code == 404
    assert client.post("/v1/seekers", json=seeker("SX"), headers=h).status_code == 403
    assert client.post("/v1/referrals", json={"seeker_id": "SA", "job_id": "JA"}, headers=h).status_code == 403


def test_employer_sees_seekers_masked_until_consent(world):
    client, tokens, engine = world
    h = as_(tokens, "employer")
    assert client.get("/v1/seekers/SB", headers=h).status_code == 404  # not referred to it
    masked = client.get("/v1/seekers/SA", headers=h)
    assert masked.status_code == 200
    text = masked.text
    data = masked.json()
    assert data["id_number"] == ID_A[:6] + "********" + ID_A[-4:]
    assert data["phone"] == "138****5678"
    assert ID_A not in text and PHONE_A not in text and "建设北大街" not in text and "王小明" not in text
    assert data["priority_groups"] == [] and data["lat"] is None
    listed = client.get("/v1/seekers", headers=h).json()["data"]
    assert [d["id"] for d in listed] == ["SA"] and listed[0]["phone"] == "138****5678"
    cands = client.get("/v1/jobs/JA/candidates", headers=h)
    assert PHONE_A not in cands.text and ID_A not in cands.text
    before = client.get("/v1/audit", params={"action": "seeker.contact"}, headers=as_(tokens, "province")).json()
    assert before["count"] == 0

    # the seeker consents (recorded by the station on the referral): contact details are shown
    assert client.patch("/v1/referrals/RA", json={"consent": True}, headers=as_(tokens, "station")).status_code == 200
    shown = client.get("/v1/seekers/SA", headers=h).json()
    assert shown["phone"] == PHONE_A and shown["id_number"] == ID_A and shown["priority_groups"] == []
    cands = client.get("/v1/jobs/JA/candidates", headers=h).json()
    sa = next((m for m in cands if (m["summary"].get("contact") or {}).get("seeker_id") == "SA"), None)
    assert sa is not None and sa["summary"]["contact"]["phone"] == PHONE_A and sa["id"] != "SA"
    log = client.get("/v1/audit", params={"action": "seeker.contact"}, headers=as_(tokens, "county")).json()
    assert log["count"] >= 2 and all(e["record_id"] == "SA" and e["role"] == "employer" for e in log["data"])
    # withdrawn: masked again
    assert client.delete("/v1/referrals/RA", headers=as_(tokens, "station")).status_code == 204
    assert client.get("/v1/seekers/SA", headers=h).status_code == 404


def test_staff_reads_of_seekers_are_audited_with_purpose(world):
    client, tokens, _ = world
    from urllib.parse import quote

    h = {**as_(tokens, "station"), "X-Purpose": quote("核实就业困难认定")}
    assert client.get("/v1/seekers/SA", headers=h).status_code == 200
    client.get("/v1/seekers", headers=as_(tokens, "station"))
    entries = client.get("/v1/audit", params={"record_id": "SA"}, headers=as_(tokens, "county")).json()["data"]
    actions = {(e["action"], e["purpose"]) for e in entries}
    assert ("seeker.read", "核实就业困难认定") in actions
    assert any(a == "seeker.list" for a, _ in actions)
    assert all(e["region_code"] == A and e["account_name"].startswith("t-station") for e in entries)
    # an out-of-area attempt reads nothing and so logs nothing
    client.get("/v1/seekers/SB", headers=as_(tokens, "station"))
    assert client.get("/v1/audit", params={"record_id": "SB"}, headers=as_(tokens, "province")).json()["count"] == 0


# -- platform ----------------------------------------------------------------------------------------
def test_platform_reads_jobs_digests_and_stats_but_never_seekers(world):
    client, tokens, _ = world
    h = as_(tokens, "platform")
    assert {d["id"] for d in client.get("/v1/jobs", headers=h).json()["data"]} == {"JA", "JB"}
    assert client.get("/v1/stats", headers=h).status_code == 200
    for path in ("/v1/seekers", "/v1/seekers/SA", "/v1/referrals", "/v1/audit"):
        assert client.get(path, headers=h).status_code == 403, path
    assert client.post("/v1/jobs", json=job("JP", "外卖骑手", region_code=B), headers=h).status_code == 201
    assert client.get("/metrics", headers=h).status_code == 200
    assert client.get("/metrics", headers=as_(tokens, "station")).status_code == 403


# -- tokens -------------------------------------------------------------------------------------------
def test_every_route_but_health_needs_a_valid_token(world):
    client, tokens, engine = world
    from matcher import accounts

    schema = client.app.openapi()["paths"]
    paths = [p for p, ops in schema.items() if "get" in ops and "{" not in p and p.startswith("/v1")] + ["/metrics"]
    assert len(paths) >= 10
    for path in paths:
        r = client.get(path)
        assert r.status_code == 401 and r.json()["code"] == "unauthorized", path
        assert r.headers["www-authenticate"] == "Bearer"
        assert client.get(path, headers=bearer("hjm_not-a-real-token")).status_code == 401, path
    assert client.get("/healthz").status_code == 200 and client.get("/readyz").status_code == 200
    assert client.post("/v1/jobs", json=job("JZ", "保安")).status_code == 401
    assert not engine.store.get_dicts("job", ["JZ"])

    expired = make_token(engine, "province", expires_days=1e-9)
    assert client.get("/v1/jobs", headers=bearer(expired)).status_code == 401
    live = make_token(engine, "county", region=A, name="会被停用")
    assert client.get("/v1/jobs", headers=bearer(live)).status_code == 200
    accounts.revoke(engine.store, "会被停用")
    assert client.get("/v1/jobs", headers=bearer(live)).status_code == 401


def test_me_tells_the_account(world):
    client, tokens, _ = world
    me = client.get("/v1/me", headers=as_(tokens, "employer")).json()
    assert me["role"] == "employer" and me["employer_id"] == "EA" and "seekers" in me["permissions"]
    assert "digests" not in me["permissions"]
    assert TODAY  # the fixture data is dated relative to today
