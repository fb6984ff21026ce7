"""Bulk import over HTTP: multipart files (CSV, XLSX), JSON lists, abort/skip, the body limit."""

from __future__ import annotations

import io

from api_helpers import api_client

CSV = (
    "岗位编号,职位名称,区划代码,最低工资,最高工资,招聘人数\n"
    "J1,电焊工,130102,5000,7000,2\n"
    "J2,保安员,130102,很多,4000,1\n"
    "J3,收银员,130203,3000,3500,1\n"
).encode()


def upload(client, path, data, filename="jobs.csv", **params):
    return client.post(path, params=params, files={"file": (filename, data, "text/csv")})


def test_import_aborts_on_a_bad_row_and_writes_nothing(client):
    r = upload(client, "/v1/jobs/import", CSV)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "import_rejected" and "未导入" in body["message"]
    assert body["errors"] == [{"row": 3, "field": "wage_min", "message": "应为数字 / must be a number",
                               "value": "很多"}]
    assert client.get("/v1/jobs").json()["count"] == 0


def test_import_skip_keeps_the_good_rows(client):
    r = upload(client, "/v1/jobs/import", CSV, on_error="skip")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["rows"], body["inserted"], body["updated"], body["unchanged"], body["rejected"]) == (3, 2, 0, 0, 1)
    assert body["errors"][0]["row"] == 3 and body["errors"][0]["field"] == "wage_min"
    assert [j["id"] for j in client.get("/v1/jobs").json()["data"]] == ["J1", "J3"]
    # the same file again: nothing changes
    again = upload(client, "/v1/jobs/import", CSV, on_error="skip").json()
    assert (again["inserted"], again["unchanged"]) == (0, 2)


def test_on_error_as_a_form_field(client):
    r = client.post("/v1/jobs/import", files={"file": ("jobs.csv", CSV, "text/csv")}, data={"on_error": "skip"})
    assert r.status_code == 200 and r.json()["inserted"] == 2


def test_import_xlsx_upload(client):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["服务站编号", "服务站名称", "类型", "区划代码"])
    ws.append(["ST1", "建北街道服务站", "社区", 130102001])
    ws.append(["ST2", "路北区零工市场", "零工市场", 130203])
    buf = io.BytesIO()
    wb.save(buf)
    r = client.post("/v1/stations/import", files={"file": ("站点.xlsx", buf.getvalue(), "application/octet-stream")})
    assert r.status_code == 200, r.text
    assert r.json()["inserted"] == 2
    assert client.get("/v1/stations/ST2").json()["kind"] == "gig_market"


def test_import_json_list(client):
    records = [{"id": "S1", "name": "王小明", "phone": "13812345678"}, {"id": "S2", "birth_date": "2099-01-01"}]
    r = client.post("/v1/seekers/import", json=records)
    assert r.status_code == 422 and r.json()["errors"][0]["row"] == 2
    r = client.post("/v1/seekers/import", params={"on_error": "skip"}, json=records)
    assert r.status_code == 200 and r.json()["inserted"] == 1 and r.json()["rejected"] == 1
    assert client.get("/v1/seekers/S1").json()["phone"] == "13812345678"


def test_import_without_a_file_is_bad_request(client):
    r = client.post("/v1/jobs/import", files={"other": ("x.csv", b"", "text/csv")})
    assert r.status_code == 400 and r.json()["code"] == "bad_request"
    r = client.post("/v1/jobs/import", content=b"abc", headers={"content-type": "application/octet-stream"})
    assert r.status_code == 400 and r.json()["field"] == "format"
    r = client.post("/v1/jobs/import", content=b"[1,", headers={"content-type": "application/json"})
    assert r.status_code == 400


def test_oversized_body_is_refused(engine):
    with api_client(engine, max_upload_mb=0.01) as client:  # about 10 KB
        big = b"id,title\n" + b"".join(f"J{i},电焊工\n".encode() for i in range(2000))
        r = upload(client, "/v1/jobs/import", big)
        assert r.status_code == 413
        assert r.json()["code"] == "payload_too_large" and "过大" in r.json()["message"]

        # a streamed body without Content-Length is cut off as it passes the limit
        def chunks():
            for _ in range(20):
                yield b"x" * 1024

        r = client.post("/v1/jobs", content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413 and r.json()["code"] == "payload_too_large"
        assert client.post("/v1/jobs", json={"id": "J1", "title": "电焊工"}).status_code == 201
