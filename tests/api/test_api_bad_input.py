"""Bad input over HTTP: every rejection is a clear bilingual error (Chinese first) and changes
nothing in the store (record counts and the change counter are compared around each request).

Malformed JSON, wrong types, unknown enum values, oversized bodies and files, absurd coordinates,
SQL-looking strings (stored literally, harmless), NUL characters, broken Excel files and the text
encodings of Chinese Excel exports. Every test runs on SQLite and on PostgreSQL (when
``MATCHER_TEST_DATABASE_URL`` is set): the ``engine`` fixture of tests/api/conftest.py.
"""

from __future__ import annotations

import io
import random
import re
import zipfile
from contextlib import contextmanager
from urllib.parse import quote

import pytest
from api_helpers import api_client, job, seeker, store_put
from sqlalchemy import inspect as sa_inspect

KINDS = ("job", "seeker", "employer", "station", "referral")
JSON = {"content-type": "application/json"}


def snapshot(engine) -> tuple[dict[str, int], int]:
    return {k: engine.store.count(k) for k in KINDS}, engine.store.max_seq()


@contextmanager
def unchanged(engine):
    before = snapshot(engine)
    yield
    assert snapshot(engine) == before, "a rejected request changed the store"


def bilingual(message: str) -> None:
    """Chinese first, then "/ ", then English."""
    zh, sep, en = message.partition("/ ")
    assert sep and re.search(r"[\u4e00-\u9fff]", zh), message
    assert re.search(r"[A-Za-z]{3}", en), message


def rejected(engine, send, status: int, code: str, field: str | None = "?") -> dict:
    """Send one request that must be refused with ``status``/``code`` and leave the store as it was."""
    with unchanged(engine):
        r = send()
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] == code, body
    bilingual(body["message"])
    for err in body["errors"]:
        bilingual(err["message"])
    if field != "?":
        assert body["field"] == field or any(e["field"] == field for e in body["errors"]), body
    return body


def upload(client, resource: str, filename: str, data: bytes, **params):
    return client.post(f"/v1/{resource}/import", params=params,
                       files={"file": (filename, data, "application/octet-stream")})


def xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# -- malformed JSON ------------------------------------------------------------------------------
def test_malformed_json(engine):
    with api_client(engine) as c:
        broken = b'{"id": "J1", "title": '
        for method, path in [("POST", "/v1/jobs"), ("PUT", "/v1/jobs/J1"), ("PATCH", "/v1/jobs/J1"),
                             ("POST", "/v1/matches/jobs"), ("POST", "/v1/matches/candidates"),
                             ("POST", "/v1/referrals"), ("POST", "/v1/jobs/import")]:
            body = rejected(engine, lambda m=method, p=path: c.request(m, p, content=broken, headers=JSON),
                            400, "bad_request")
            assert body["message"].startswith("请求体不是有效的 JSON / malformed JSON body"), (method, path, body)

        # not UTF-8, a JSON value that is not an object, no body at all
        rejected(engine, lambda: c.post("/v1/jobs", content=b"\xff\xfe{}", headers=JSON), 400, "bad_request")
        body = rejected(engine, lambda: c.post("/v1/jobs", json=[{"id": "J1", "title": "电焊工"}]), 422,
                        "validation_error")
        assert "应为 JSON 对象" in body["message"]
        rejected(engine, lambda: c.patch("/v1/jobs/J1", json="电焊工"), 422, "validation_error")
        body = rejected(engine, lambda: c.post("/v1/jobs", headers=JSON), 422, "validation_error")
        assert "缺少请求体" in body["message"]

        # imports: a JSON object instead of a list; a JSONL file with a broken line
        body = rejected(engine, lambda: c.post("/v1/jobs/import", json={"id": "J1", "title": "电焊工"}), 400,
                        "bad_request")
        assert "应为记录列表" in body["message"]
        lines = '{"id": "J1", "title": "电焊工"}\n{"id": "J2", "title": \n'.encode()
        body = rejected(engine, lambda: upload(c, "jobs", "jobs.jsonl", lines), 422, "import_rejected")
        assert body["errors"][0]["row"] == 2 and "JSON 格式错误" in body["errors"][0]["message"]
        assert c.get("/v1/jobs").json()["count"] == 0


# -- wrong types -----------------------------------------------------------------------------------
WRONG_TYPES = [
    ("jobs", job("J1", "电焊工", wage_min="很多"), "wage_min"),
    ("jobs", job("J1", "电焊工", headcount="three"), "headcount"),
    ("jobs", job("J1", "电焊工", headcount=1.5), "headcount"),
    ("jobs", job("J1", "电焊工", headcount=0), "headcount"),
    ("jobs", job("J1", "电焊工", accessible="maybe"), "accessible"),
    ("jobs", job("J1", "电焊工", posted_at="yesterday"), "posted_at"),
    ("jobs", job("J1", "电焊工", expires_at="2025-02-30"), "expires_at"),
    ("jobs", job("J1", "电焊工", lat="north"), "lat"),
    ("jobs", job("J1", ["电焊工"]), "title"),  # a list is not text (it used to be stored as "['电焊工']")
    ("jobs", job("J1", {"zh": "电焊工"}), "title"),
    ("jobs", job("J1", "电焊工", skills={"焊接": 5}), "skills"),
    ("jobs", job("J1", "电焊工", skills=[{"name": "焊接"}]), "skills"),
    ("jobs", job("J1", "电焊工", description=["很累"]), "description"),
    ("jobs", job("J1", "电焊工", headcount=10**30), "headcount"),
    ("seekers", seeker("S1", consent_to_share="sure"), "consent_to_share"),
    ("seekers", seeker("S1", max_commute_minutes=-5), "max_commute_minutes"),
    ("seekers", seeker("S1", desired_wage_min="lots"), "desired_wage_min"),
    ("seekers", seeker("S1", birth_date=20251301), "birth_date"),
    ("employers", {"id": "E1", "name": "某公司", "credit_code": 12345}, "credit_code"),
    ("stations", {"id": "ST1", "name": "服务站", "urban_circle_minutes": "半小时"}, "urban_circle_minutes"),
]


def test_wrong_types_are_refused_with_the_field(engine):
    with api_client(engine) as c:
        for resource, body, field in WRONG_TYPES:
            rejected(engine, lambda r=resource, b=body: c.post(f"/v1/{r}", json=b), 422, "validation_error", field)
            rejected(engine, lambda r=resource, b=body: c.put(f"/v1/{r}/{b['id']}", json=b), 422,
                     "validation_error", field)

        # query parameters
        for path, field in [("/v1/jobs?limit=abc", "limit"), ("/v1/jobs?limit=0", "limit"),
                            ("/v1/jobs?limit=100000", "limit"), ("/v1/jobs?offset=-1", "offset"),
                            ("/v1/jobs?offset=9223372036854775808", "offset"),  # was a 500 (SQLite overflow)
                            ("/v1/seekers/S1/matches?limit=abc", "limit"), ("/v1/stats?top=many", "top"),
                            ("/v1/audit?since=last-week", "since"), ("/v1/digests?region_code=13&date=tomorrow", "date")]:
            rejected(engine, lambda p=path: c.get(p), 422, "validation_error", field)

        # a patch that breaks an existing record leaves it as it was
        assert c.post("/v1/jobs", json=job("J9", "电焊工", wage_min=5000)).status_code == 201
        rejected(engine, lambda: c.patch("/v1/jobs/J9", json={"wage_min": "很多"}), 422, "validation_error",
                 "wage_min")
        rejected(engine, lambda: c.patch("/v1/jobs/J9", json={"wage_max": 100}), 422, "validation_error")
        assert c.get("/v1/jobs/J9").json()["wage_min"] == 5000


# -- unknown enum values ----------------------------------------------------------------------------
def test_unknown_enum_values(engine):
    store_put(engine, "seeker", [seeker("S1")])
    store_put(engine, "job", [job("J1", "电焊工")])
    store_put(engine, "referral", [{"id": "R1", "seeker_id": "S1", "job_id": "J1"}])
    with api_client(engine) as c:
        for resource, body, field, allowed in [
            ("jobs", job("J2", "电焊工", employment_type="moonlighting"), "employment_type", "full_time"),
            ("jobs", job("J2", "电焊工", status="archived"), "status", "open"),
            ("jobs", job("J2", "电焊工", education_min="phd"), "education_min", "bachelor"),
            ("seekers", seeker("S2", priority_groups=["vip"]), "priority_groups", "disabled"),
            ("seekers", seeker("S2", travel_mode="horse"), "travel_mode", "ebike"),
            ("stations", {"id": "ST1", "name": "服务站", "kind": "castle"}, "kind", "community"),
        ]:
            b = rejected(engine, lambda r=resource, x=body: c.post(f"/v1/{r}", json=x), 422, "validation_error", field)
            assert "取值无效" in b["message"] and allowed in b["message"], b

        for path, field in [("/v1/jobs?status=archived", "status"), ("/v1/seekers?priority_group=vip", "priority_group"),
                            ("/v1/stations?kind=castle", "kind"), ("/v1/referrals?status=married", "status"),
                            ("/v1/stats?by=horoscope", "by"), ("/v1/digests?region_code=13&format=pdf", "format")]:
            b = rejected(engine, lambda p=path: c.get(p), 422, "validation_error", field)
            assert "取值无效" in b["message"] or "无效" in b["message"], b

        rejected(engine, lambda: c.patch("/v1/referrals/R1", json={"status": "married"}), 422, "validation_error",
                 "status")
        rejected(engine, lambda: upload(c, "jobs", "jobs.csv", "id,title\nJ5,电焊工\n".encode(), format="pdf"), 422,
                 "validation_error", "format")
        rejected(engine, lambda: upload(c, "jobs", "jobs.csv", "id,title\nJ5,电焊工\n".encode(), on_error="ignore"),
                 422, "validation_error", "on_error")
        b = rejected(engine, lambda: upload(c, "jobs", "jobs.csv", "职位名称,岗位编号,用工形式\n电焊工,J5,包月\n".encode()),
                     422, "import_rejected")
        assert b["errors"][0]["row"] == 2 and b["errors"][0]["field"] == "employment_type"
        assert c.get("/v1/referrals/R1").json()["status"] == "recommended"


# -- oversized bodies and files ---------------------------------------------------------------------
def test_oversized_bodies_and_files(engine):
    with api_client(engine, max_upload_mb=0.01) as c:  # about 10 KB
        big_text = "电焊、氩弧焊、二保焊" * 500  # ~15 KB in UTF-8
        for send in [
            lambda: c.post("/v1/jobs", json=job("J1", "电焊工", description=big_text)),
            lambda: c.put("/v1/jobs/J1", json=job("J1", "电焊工", description=big_text)),
            lambda: c.post("/v1/matches/jobs", json={"desired_occupations": [big_text]}),
            lambda: c.post("/v1/jobs/import", json=[job(f"J{i}", "电焊工") for i in range(200)]),
            lambda: upload(c, "jobs", "岗位.csv", ("岗位编号,职位名称\n" + "".join(f"J{i},电焊工\n" for i in range(2000))).encode()),
            lambda: upload(c, "jobs", "岗位.xlsx", xlsx([["岗位编号", "职位名称", "职位描述"]]
                                                   + [[f"J{i}", "电焊工", big_text[:200] + str(i)] for i in range(300)])),
        ]:
            b = rejected(engine, send, 413, "payload_too_large")
            assert "请求体过大（上限 0.01 MB）" in b["message"]
        assert c.post("/v1/jobs", json=job("J1", "电焊工")).status_code == 201  # small requests still work

    with api_client(engine) as c:  # within the body limit, the records' own limits
        rejected(engine, lambda: c.post("/v1/jobs", json=job("J2", "电焊工", description="很" * 20_001)), 422,
                 "validation_error", "description")
        rejected(engine, lambda: c.post("/v1/jobs", json=job("J2", "电" * 201)), 422, "validation_error", "title")
        rejected(engine, lambda: c.post("/v1/seekers", json=seeker("S1", name="王" * 51)), 422, "validation_error",
                 "name")
        rejected(engine, lambda: c.post("/v1/jobs", json=job("J" * 65, "电焊工")), 422, "validation_error", "id")


# -- absurd coordinates -----------------------------------------------------------------------------
def test_absurd_coordinates(engine):
    store_put(engine, "job", [job("J9", "电焊工")])
    with api_client(engine) as c:
        for lat, lng in [(500, 114.5), (38.05, 500), (-91, 114.5), (114.52, 38.05),  # swapped
                         (48.85, 2.35), (-33.87, 151.21), (0, 0), (40.7, -74.0)]:
            b = rejected(engine, lambda a=lat, o=lng: c.post("/v1/jobs", json=job("J1", "电焊工", lat=a, lng=o)), 422,
                         "validation_error")
            assert "坐标不在中国境内" in b["message"] and "填反" in b["message"], b
            rejected(engine, lambda a=lat, o=lng: c.post("/v1/matches/jobs", json={"lat": a, "lng": o}), 422,
                     "validation_error")
            rejected(engine, lambda a=lat, o=lng: c.post("/v1/matches/candidates", json={"title": "电焊工", "lat": a,
                                                                                       "lng": o}),
                     422, "validation_error")
            rejected(engine, lambda a=lat, o=lng: c.patch("/v1/jobs/J9", json={"lat": a, "lng": o}), 422,
                     "validation_error")
        b = rejected(engine, lambda: c.post("/v1/jobs", json={"id": "J1", "title": "电焊工", "lat": 38.05}), 422,
                     "validation_error")
        assert "须同时填写" in b["message"]
        # a seeker's coordinates are personal: refused without repeating them
        b = rejected(engine, lambda: c.post("/v1/seekers", json=seeker("S1", lat=114.5123, lng=38.0456)), 422,
                     "validation_error")
        assert "114.5123" not in str(b) and "38.0456" not in str(b)
        csv = "岗位编号,职位名称,纬度,经度\nJ1,电焊工,114.52,38.05\n".encode()
        b = rejected(engine, lambda: upload(c, "jobs", "岗位.csv", csv), 422, "import_rejected")
        assert b["errors"][0]["row"] == 2 and "填反" in b["errors"][0]["message"]
        stored = c.get("/v1/jobs/J9").json()
        assert (stored["lat"], stored["lng"]) == (38.05, 114.52)


# -- SQL-looking strings ------------------------------------------------------------------------------
SQL_TITLE = "'; DROP TABLE jobs; --"
SQL_NAME = "Robert'); DROP TABLE seekers;--"


def test_sql_looking_strings_are_stored_literally(engine):
    with api_client(engine) as c:
        assert c.post("/v1/jobs", json=job("J1", SQL_TITLE, employer_name='" OR ""="')).status_code == 201
        assert c.post("/v1/jobs", json=job("J2", "保安员")).status_code == 201
        assert c.post("/v1/seekers", json=seeker("S1", name=SQL_NAME, skills=["1; DELETE FROM seekers"])).status_code == 201
        assert c.post("/v1/employers", json={"id": "E1", "name": "x' OR '1'='1"}).status_code == 201
        csv = ("岗位编号,职位名称,工作地址\nJ3,\"1'); UPDATE jobs SET title='100%'; --\",\"'; --\"\n").encode()
        assert upload(c, "jobs", "岗位.csv", csv).json()["inserted"] == 1

        assert c.get("/v1/jobs/J1").json()["title"] == SQL_TITLE
        assert c.get("/v1/jobs/J1").json()["employer_name"] == '" OR ""="'
        assert c.get("/v1/seekers/S1").json()["name"] == SQL_NAME
        assert c.get("/v1/seekers/S1").json()["skills"] == ["1; DELETE FROM seekers"]
        assert c.get("/v1/jobs/J3").json()["title"] == "1'); UPDATE jobs SET title='100%'; --"
        assert c.get("/v1/jobs/J3").json()["address"] == "'; --"

        # ids with SQL in them are not valid ids; by path they are simply not found
        rejected(engine, lambda: c.post("/v1/jobs", json=job("1 OR 1=1", "电焊工")), 422, "validation_error", "id")
        rejected(engine, lambda: c.put("/v1/jobs/" + quote("1 OR 1=1"), json={"title": "x"}), 422,
                 "validation_error", "id")
        for path in ["/v1/jobs/" + quote("1 OR 1=1"), "/v1/jobs/" + quote("J1' OR '1'='1"),
                     "/v1/seekers/" + quote("S1; DROP TABLE seekers")]:
            rejected(engine, lambda p=path: c.get(p), 404, "not_found")
            rejected(engine, lambda p=path: c.delete(p), 404, "not_found")

        # filters with such strings find nothing they should not (LIKE wildcards are literal)
        def ids(path, **params):
            r = c.get(path, params=params)
            assert r.status_code == 200, r.text
            return sorted(d["id"] for d in r.json()["data"])

        assert ids("/v1/jobs", q="' OR '1'='1") == []
        assert ids("/v1/jobs", q="%") == ["J3"]  # a literal "%", not a wildcard
        assert ids("/v1/jobs", q="_") == []
        assert ids("/v1/jobs", q="DROP TABLE") == ["J1"]
        assert ids("/v1/jobs", employer_id="' OR '1'='1") == []
        assert ids("/v1/seekers", q="' OR 1=1 --") == []
        assert ids("/v1/seekers", q="%") == []
        assert ids("/v1/seekers", q="DROP TABLE") == ["S1"]
        assert ids("/v1/employers", q="' OR '1'='1") == ["E1"]  # its name really contains that text
        assert ids("/v1/employers", q="' OR 1=1 --") == []
        assert ids("/v1/referrals", seeker_id="S1' OR '1'='1") == []
        rejected(engine, lambda: c.get("/v1/jobs", params={"region_code": "13' OR '1'='1"}), 422,
                 "validation_error", "region_code")

    tables = set(sa_inspect(engine.store.engine).get_table_names())
    assert {"jobs", "seekers", "employers", "stations", "referrals", "accounts", "audit_log"} <= tables
    assert snapshot(engine)[0] == {"job": 3, "seeker": 1, "employer": 1, "station": 0, "referral": 0}


# -- NUL characters (PostgreSQL cannot store them: these were 500s there) ---------------------------------
def test_nul_characters_are_refused(engine):
    store_put(engine, "seeker", [seeker("S1")])
    store_put(engine, "job", [job("J1", "电焊工")])
    with api_client(engine) as c:
        rejected(engine, lambda: c.post("/v1/jobs", json=job("J2", "电焊\x00工")), 422, "validation_error", "title")
        rejected(engine, lambda: c.post("/v1/jobs", json=job("J\x002", "电焊工")), 422, "validation_error", "id")
        rejected(engine, lambda: c.post("/v1/seekers", json=seeker("S2", skills=["焊\x00接"])), 422,
                 "validation_error", "skills")
        rejected(engine, lambda: c.post("/v1/referrals", json={"seeker_id": "S\x001", "job_id": "J1"}), 422,
                 "validation_error", "seeker_id")
        rejected(engine, lambda: c.post("/v1/referrals", json={"seeker_id": "S1", "job_id": "J1", "notes": "\x00"}),
                 422, "validation_error", "notes")
        for path in ["/v1/jobs?q=%00", "/v1/jobs/%00", "/v1/jobs?employer_id=E%001", "/v1/seekers?q=a%00",
                     "/v1/audit?account=%00"]:
            rejected(engine, lambda p=path: c.get(p), 400, "bad_request")
        rejected(engine, lambda: c.get("/v1/seekers/S1", headers={"X-Purpose": "%00"}), 400, "bad_request")
        rejected(engine, lambda: c.post("/v1/jobs/import", json=[{"id": "J3", "title": "a\x00b"}]), 422,
                 "import_rejected")
        rejected(engine, lambda: upload(c, "jobs", "岗位.csv", b"id,title\nJ3,a\x00b\n"), 422, "validation_error")


# -- broken Excel files -----------------------------------------------------------------------------------
def test_broken_excel_files(engine):
    good = xlsx([["岗位编号", "职位名称", "区划代码"], ["J1", "电焊工", 130102], ["J2", "保安员", 130102]])
    not_a_workbook = io.BytesIO()
    with zipfile.ZipFile(not_a_workbook, "w") as z:
        z.writestr("readme.txt", "不是表格")
    with api_client(engine) as c:
        for name, data in [("岗位.xlsx", random.Random(2026).randbytes(4096)),  # random bytes
                           ("岗位.xlsx", good[: len(good) // 2]),  # a real workbook, cut short
                           ("岗位.xlsx", good[:-100]),
                           ("岗位.xlsx", "岗位编号,职位名称\nJ1,电焊工\n".encode()),  # CSV text named .xlsx
                           ("岗位.xlsx", not_a_workbook.getvalue())]:
            b = rejected(engine, lambda n=name, d=data: upload(c, "jobs", n, d), 422, "validation_error")
            assert b["message"].startswith("Excel 文件已损坏或格式不对 / broken or unsupported Excel file"), b
        rejected(engine, lambda: upload(c, "jobs", "岗位.xlsx", b""), 400, "bad_request", "file")
        assert upload(c, "jobs", "岗位.xlsx", good).json()["inserted"] == 2  # the whole file is fine


# -- text encodings of Chinese Excel exports --------------------------------------------------------------
JOBS_CSV = ("岗位编号,职位名称（必填）,单位名称,区划代码,工作地址,最低工资,最高工资,用工形式,学历要求\n"
            "J1,电焊工,石家庄钢铁有限公司,130102,长安区中山东路８８号,5000,7000,全职,初中\n"
            "J2,收银员,北国超市,130102,长安区建设北大街,3000,3500,兼职,高中\n")
# 𠮷 (U+20BB7) and 䶮 (U+4DAE) are in GB18030 but not in GBK
SEEKERS_CSV = "人员编号,姓名,求职意向,家庭住址,区划代码\nS1,𠮷䶮,快递员、保安,桥西区𠮷祥路1号,130104\n"


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_chinese_csv_encodings_are_accepted(engine, encoding):
    with api_client(engine) as c:
        r = upload(c, "jobs", "岗位台账.csv", JOBS_CSV.encode(encoding))
        assert r.status_code == 200, r.text
        assert (r.json()["inserted"], r.json()["ignored_columns"]) == (2, [])
        j1 = c.get("/v1/jobs/J1").json()
        assert (j1["title"], j1["employer_name"], j1["address"]) == ("电焊工", "石家庄钢铁有限公司", "长安区中山东路８８号")
        assert (j1["employment_type"], j1["education_min"], j1["wage_max"]) == ("full_time", "junior_high", 7000)
        assert c.get("/v1/jobs/J2").json()["employment_type"] == "part_time"
        assert c.get("/v1/jobs", params={"q": "收银"}).json()["count"] == 1
        if encoding != "gbk":
            r = upload(c, "seekers", "求职登记.csv", SEEKERS_CSV.encode(encoding))
            assert r.status_code == 200, r.text
            s1 = c.get("/v1/seekers/S1").json()
            assert (s1["name"], s1["address"], s1["desired_occupations"]) == ("𠮷䶮", "桥西区𠮷祥路1号", ["快递员", "保安"])
        else:
            with pytest.raises(UnicodeEncodeError):
                SEEKERS_CSV.encode("gbk")


def test_undecodable_files_are_refused(engine):
    with api_client(engine) as c:
        for data in [JOBS_CSV.encode("utf-16"),  # with a BOM (Excel's "Unicode text")
                     JOBS_CSV.encode("utf-16-le"),  # without
                     b"\xff\xfe\xfd\xfc" * 100]:
            b = rejected(engine, lambda d=data: upload(c, "jobs", "岗位台账.csv", d), 422, "validation_error")
            assert b["message"].startswith("文件编码无法识别"), b
            assert "UTF-8" in b["message"] and "GBK" in b["message"]
            b = rejected(engine, lambda d=data: upload(c, "jobs", "岗位台账.jsonl", d), 422, "validation_error")
            assert b["message"].startswith("文件编码无法识别"), b
