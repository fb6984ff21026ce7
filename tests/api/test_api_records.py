"""CRUD, lists, filters and error answers of the record resources."""

from __future__ import annotations

from api_helpers import job, seeker, store_put


def test_job_crud_roundtrip(client):
    r = client.post("/v1/jobs", json=job("J1", "电焊工", wage_min=5000, wage_max=7000))
    assert r.status_code == 201, r.text
    assert r.json()["id"] == "J1" and r.json()["status"] == "open" and r.json()["headcount"] == 1

    assert client.get("/v1/jobs/J1").json()["title"] == "电焊工"

    r = client.put("/v1/jobs/J1", json={**job("J1", "电焊工"), "title": "二保焊工", "headcount": 3})
    assert r.status_code == 200 and r.json()["title"] == "二保焊工" and r.json()["headcount"] == 3

    r = client.put("/v1/jobs/J2", json={"title": "叉车司机"})  # insert by PUT, id from the path
    assert r.status_code == 200 and r.json()["id"] == "J2"

    r = client.patch("/v1/jobs/J1", json={"wage_min": 6000, "skills": "二保焊、氩弧焊"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["wage_min"] == 6000 and body["skills"] == ["二保焊", "氩弧焊"] and body["title"] == "二保焊工"

    assert client.delete("/v1/jobs/J1").status_code == 204
    r = client.get("/v1/jobs/J1")
    assert r.status_code == 404
    assert r.json() == {"code": "not_found", "message": "未找到岗位记录 J1 / job J1 not found", "field": "id",
                        "errors": []}
    assert client.delete("/v1/jobs/J1").status_code == 404
    assert client.patch("/v1/jobs/J1", json={"title": "x"}).status_code == 404


def test_create_conflict_and_generated_id(client):
    assert client.post("/v1/employers", json={"id": "E1", "name": "石家庄钢铁"}).status_code == 201
    r = client.post("/v1/employers", json={"id": "E1", "name": "另一家"})
    assert r.status_code == 409
    assert r.json()["code"] == "conflict" and r.json()["field"] == "id" and "不可用" in r.json()["message"]
    conflict = r.json()
    r = client.post("/v1/employers", json={"name": "无编号单位"})
    assert r.status_code == 201 and r.json()["id"].startswith("E")
    # a deleted record's id is never used again (issue 12: nobody inherits what hangs on it)
    assert client.delete("/v1/employers/E1").status_code == 204
    again = client.post("/v1/employers", json={"id": "E1", "name": "石家庄钢铁"})
    assert again.status_code == 409 and again.json() == conflict


def test_validation_errors_name_the_field_in_chinese(client):
    r = client.post("/v1/jobs", json=job("J1", "电焊工", wage_min="很多"))
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "validation_error" and body["field"] == "wage_min"
    assert "应为数字" in body["message"] and body["errors"][0]["field"] == "wage_min"

    r = client.post("/v1/jobs", json={"id": "J2"})
    assert r.status_code == 422 and r.json()["field"] == "title" and "必填" in r.json()["message"]

    r = client.post("/v1/seekers", json=seeker("S1", phone="12345"))
    assert r.status_code == 422 and r.json()["field"] == "phone" and "手机号" in r.json()["message"]
    assert r.json()["errors"][0]["value"] is None  # personal data is never echoed

    r = client.post("/v1/jobs", json=job("J3", "保安", wage_min=6000, wage_max=3000))
    assert r.status_code == 422 and "最低工资" in r.json()["message"]

    r = client.patch("/v1/jobs/J1", json=["not", "an", "object"])
    assert r.status_code == 422 and "JSON 对象" in r.json()["message"]

    r = client.put("/v1/jobs/J9", json=job("J8", "保安"))
    assert r.status_code == 422 and r.json()["field"] == "id"

    r = client.get("/v1/jobs", params={"limit": 500})
    assert r.status_code == 422 and r.json()["field"] == "limit" and "200" in r.json()["message"]
    r = client.get("/v1/jobs", params={"status": "busy"})
    assert r.status_code == 422 and r.json()["field"] == "status" and "取值无效" in r.json()["message"]
    r = client.get("/v1/jobs", params={"region_code": "13x"})
    assert r.status_code == 422 and r.json()["field"] == "region_code"


def test_malformed_json_is_bad_request(client):
    r = client.post("/v1/jobs", content=b'{"id": "J1", "title": ', headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.json()["code"] == "bad_request" and "JSON" in r.json()["message"]
    r = client.post("/v1/referrals", content=b"{oops", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["code"] == "bad_request"


def test_unknown_path_and_method(client):
    r = client.get("/v1/nothing")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = client.delete("/v1/jobs")
    assert r.status_code == 405 and r.json()["code"] == "method_not_allowed"


def test_list_pagination_and_filters(client, engine):
    store_put(engine, "job", [
        job(f"J{i:02d}", title, region_code=region, status=status, occupation_code=code, employer_id=emp)
        for i, (title, region, status, code, emp) in enumerate([
            ("电焊工", "130102", "open", "6-18-02-04", "E1"),
            ("氩弧焊工", "130104", "open", "6-18-02-04", "E1"),
            ("保安员", "130102", "paused", "4-07-05-01", "E2"),
            ("小区保安", "130203", "open", "4-07-05-01", "E2"),
            ("收银员", "130203", "closed", "4-01-02-04", None),
        ])
    ])
    r = client.get("/v1/jobs", params={"limit": 2})
    assert r.json()["count"] == 5 and [j["id"] for j in r.json()["data"]] == ["J00", "J01"]
    assert r.json()["offset"] == 0 and r.json()["limit"] == 2
    r = client.get("/v1/jobs", params={"limit": 2, "offset": 4})
    assert [j["id"] for j in r.json()["data"]] == ["J04"] and r.json()["count"] == 5

    def ids(**params):
        r = client.get("/v1/jobs", params=params)
        assert r.status_code == 200, r.text
        return [j["id"] for j in r.json()["data"]]

    assert ids(region_code="1301") == ["J00", "J01", "J02"]
    assert ids(region_code="130203", status="open") == ["J03"]
    assert ids(occupation_code="4-07") == ["J02", "J03"]
    assert ids(occupation_code="6-18-02-04") == ["J00", "J01"]
    assert ids(employer_id="E2") == ["J02", "J03"]
    assert ids(q="保安") == ["J02", "J03"]
    assert ids(q="焊", status="open") == ["J00", "J01"]


def test_seeker_search_by_name_and_phone_tail(client, engine):
    store_put(engine, "seeker", [
        seeker("S1", name="王小明", phone="13812345678", station_id="ST1", priority_groups=["disabled"]),
        seeker("S2", name="李小红", phone="13998765678", station_id="ST1", status="employed"),
        seeker("S3", name="王芳", phone="15011112222", station_id="ST2", region_code="130203",
               priority_groups=["older_4050", "low_income"]),
    ])

    def ids(**params):
        r = client.get("/v1/seekers", params=params)
        assert r.status_code == 200, r.text
        return [s["id"] for s in r.json()["data"]]

    assert ids(q="王") == ["S1", "S3"]
    assert ids(q="小") == ["S1", "S2"]
    assert ids(q="5678") == ["S1", "S2"]
    assert ids(q="2222") == ["S3"]
    assert ids(q="0000") == []
    assert ids(station_id="ST1") == ["S1", "S2"]
    assert ids(status="employed") == ["S2"]
    assert ids(priority_group="older_4050") == ["S3"]
    assert ids(priority_group="disabled") == ["S1"]
    assert ids(priority_group="any") == ["S1", "S3"]
    assert ids(priority_group="none") == ["S2"]
    assert ids(region_code="130102", priority_group="any") == ["S1"]


def test_station_and_employer_lists(client):
    client.post("/v1/stations", json={"id": "ST1", "name": "建北街道服务站", "kind": "社区", "region_code": "130102001"})
    client.post("/v1/stations", json={"id": "ST2", "name": "路北区零工市场", "kind": "gig_market",
                                      "region_code": "130203"})
    r = client.get("/v1/stations", params={"kind": "community"})
    assert [s["id"] for s in r.json()["data"]] == ["ST1"] and r.json()["data"][0]["kind"] == "community"
    assert [s["id"] for s in client.get("/v1/stations", params={"q": "零工"}).json()["data"]] == ["ST2"]
    assert client.get("/v1/stations", params={"region_code": "130102"}).json()["count"] == 1


def test_openapi_describes_the_contract(client):
    spec = client.get("/openapi.json").json()
    assert "/v1/jobs/{id}" in spec["paths"] and "/v1/matches/candidates" in spec["paths"]
    assert "ErrorResponse" in spec["components"]["schemas"]
    assert "multipart/form-data" in spec["paths"]["/v1/seekers/import"]["post"]["requestBody"]["content"]
