"""Personal data never reaches the logs, error answers or metrics.

A seeker with a known (valid) resident ID number, mobile number, name and address is written,
imported, read, listed, searched, matched and asked for in invalid ways; every log record of every
logger (at DEBUG, SQL included), every error body and the ``/metrics`` text are collected and must
not contain any of those values, nor the invalid variants sent in rejected requests. Plus the
access log: route templates only, never the raw path with its query string, also under
``matcher serve`` (whose uvicorn access log is off).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
from urllib.parse import quote

import httpx
import pytest
from api_helpers import api_client, bearer, job, make_token, store_put

from matcher.records import id_number_check_digit

ID_NUMBER = "13010219850612123" + id_number_check_digit("13010219850612123")  # 130102198506121234
PHONE = "13931187654"
NAME = "欧阳翠花"
ADDRESS = "石家庄市长安区建北街道幸福里小区7号楼302室"
LAT, LNG = 38.06127, 114.52413
# a second person, imported from a file
ID_NUMBER_2 = "13010419900101456" + id_number_check_digit("13010419900101456")
PHONE_2 = "15832019876"
NAME_2 = "司马春燕"
ADDRESS_2 = "石家庄市桥西区友谊大街南段88号院3单元"
# invalid variants, sent in requests that are refused
BAD_ID_NUMBER = ID_NUMBER[:17] + ("0" if ID_NUMBER[17] != "0" else "1")  # wrong check digit
BAD_PHONE = "1393118765"  # 10 digits
BAD_PHONE_2 = "239311876540"
LONG_NAME = NAME * 20  # over 50 characters

CLIENT_LOGGERS = ("httpx", "httpcore")

SECRETS = [ID_NUMBER, PHONE, NAME, ADDRESS, ID_NUMBER_2, PHONE_2, NAME_2, ADDRESS_2, BAD_ID_NUMBER, BAD_PHONE,
           BAD_PHONE_2, str(LAT), str(LNG)]


def forms(value: str) -> list[str]:
    """A value as it may show up in text: plain, JSON-escaped, percent-encoded."""
    return list({value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1], quote(value),
                 quote(value).lower()})


def assert_clean(text: str, where: str) -> None:
    for secret in SECRETS:
        for form in forms(secret):
            assert form not in text, f"{secret!r} found in {where}"


@pytest.fixture
def all_logs(caplog):
    """Every logger at DEBUG, all propagating to caplog's handler."""
    names = {"", "matcher", "matcher.api", "matcher.access", "matcher.engine", "api", "uvicorn", "uvicorn.error",
             "uvicorn.access", "fastapi", "starlette", "sqlalchemy", "sqlalchemy.engine", "sqlalchemy.pool",
             "alembic", "httpx", "httpcore", "asyncio", "psycopg", "jieba", "faiss", "sentence_transformers",
             "transformers", "urllib3", *logging.root.manager.loggerDict}
    added = []
    for name in sorted(names):
        caplog.set_level(logging.DEBUG, logger=name or None)
        logger = logging.getLogger(name or None)
        if not logger.propagate and caplog.handler not in logger.handlers:
            logger.addHandler(caplog.handler)
            added.append(logger)
    yield caplog
    for logger in added:
        logger.removeHandler(caplog.handler)


def seeker_record(**kw) -> dict:
    base = {"id": "S1", "name": NAME, "id_number": ID_NUMBER, "phone": PHONE, "address": ADDRESS,
            "region_code": "130102", "lat": LAT, "lng": LNG, "area_type": "urban", "consent_to_share": True,
            "desired_occupations": ["快递员"], "skills": ["驾驶电动车"]}
    return {**base, **kw}


def test_no_personal_data_in_logs_errors_or_metrics(engine, all_logs, monkeypatch):
    errors: list[str] = []

    def refused(r, status: int | None = None):
        assert r.status_code >= 400 and (status is None or r.status_code == status), r.text
        errors.append(r.text)
        return r

    store_put(engine, "employer", [{"id": "E1", "name": "石家庄顺达物流", "region_code": "130102"}])
    store_put(engine, "job", [job("J1", "快递派送员", employer_id="E1"), job("J2", "保安员")])
    csv = ("人员编号,姓名,身份证号,手机号,家庭住址,区划代码,求职意向\n"
           f"S2,{NAME_2},{ID_NUMBER_2},{PHONE_2},{ADDRESS_2},130104,保安\n")
    bad_csv = ("人员编号,姓名,身份证号,手机号,家庭住址,区划代码\n"
               f"S3,{NAME},{BAD_ID_NUMBER},{BAD_PHONE},{ADDRESS},130102\n"
               f"S4,{LONG_NAME},{ID_NUMBER},{PHONE},{ADDRESS},130102\n"
               f"S5,{NAME},{ID_NUMBER},{PHONE},{ADDRESS},{PHONE}\n"  # shifted columns: a phone as region code
               f"S6,{NAME},{ID_NUMBER},{BAD_PHONE_2},{ADDRESS},130102\n")

    with api_client(engine) as c:
        # writes: create, replace, patch, import (file and JSON)
        assert c.post("/v1/seekers", json=seeker_record()).status_code == 201
        assert c.put("/v1/seekers/S1", json=seeker_record(skills=["驾驶电动车", "搬运"])).status_code == 200
        assert c.patch("/v1/seekers/S1", json={"address": ADDRESS, "phone": PHONE}).status_code == 200
        r = c.post("/v1/seekers/import", files={"file": ("求职登记.csv", csv.encode("gbk"), "text/csv")})
        assert r.status_code == 200 and r.json()["inserted"] == 1, r.text
        assert c.post("/v1/seekers/import", json=[seeker_record(skills=["驾驶电动车", "搬运"])]).json()["unchanged"] == 1

        # invalid variants: every one refused, none repeated
        refused(c.post("/v1/seekers", json=seeker_record(id="S7", id_number=BAD_ID_NUMBER)), 422)
        refused(c.post("/v1/seekers", json=seeker_record(id="S7", phone=BAD_PHONE)), 422)
        refused(c.post("/v1/seekers", json=seeker_record(id="S7", phone=BAD_PHONE_2)), 422)
        refused(c.post("/v1/seekers", json=seeker_record(id="S7", name=LONG_NAME)), 422)
        refused(c.post("/v1/seekers", json=seeker_record(id="S7", birth_date="1990-01-01")), 422)  # ≠ ID number
        refused(c.post("/v1/seekers", json=seeker_record(id="S7", lat=LNG, lng=LAT)), 422)  # swapped
        refused(c.post("/v1/seekers", json=seeker_record(id="S7", gender=PHONE)), 422)  # in the wrong field
        refused(c.post("/v1/seekers", json=seeker_record(id="S7", education=NAME)), 422)
        refused(c.post("/v1/seekers", json=seeker_record(id="S7", region_code=ADDRESS)), 422)
        refused(c.post("/v1/seekers", json=seeker_record(id="S1")), 409)
        refused(c.patch("/v1/seekers/S1", json={"phone": BAD_PHONE, "id_number": BAD_ID_NUMBER}), 422)
        refused(c.put("/v1/seekers/S1", json=seeker_record(id="S2")), 422)  # ids differ
        refused(c.post("/v1/seekers/import", files={"file": ("求职登记.csv", bad_csv.encode("gbk"), "text/csv")}), 422)
        refused(c.post("/v1/seekers/import", json=[seeker_record(id="S8", phone=BAD_PHONE)]), 422)
        r = c.post("/v1/seekers/import", params={"on_error": "skip"},
                   files={"file": ("求职登记.csv", bad_csv.encode("gbk"), "text/csv")})
        assert r.status_code == 200 and r.json()["rejected"] == 4, r.text
        errors.append(r.text)  # a 200 that lists the bad rows
        refused(c.post("/v1/matches/jobs", json=seeker_record(phone=BAD_PHONE)), 422)
        refused(c.post("/v1/seekers", content=f'{{"name": "{NAME}", "phone": '.encode(),
                       headers={"content-type": "application/json"}), 400)

        # reads, lists, searches and matches
        assert c.get("/v1/seekers/S1").json()["phone"] == PHONE
        assert c.get("/v1/seekers/S1", headers={"X-Purpose": quote("核实身份")}).status_code == 200
        assert c.get("/v1/seekers").json()["count"] == 2
        assert [s["id"] for s in c.get("/v1/seekers", params={"q": NAME}).json()["data"]] == ["S1"]
        assert [s["id"] for s in c.get("/v1/seekers", params={"q": PHONE[-4:]}).json()["data"]] == ["S1"]
        assert c.get("/v1/seekers", params={"q": NAME_2, "region_code": "130104"}).json()["count"] == 1
        assert c.get("/v1/seekers/S1/matches").status_code == 200
        assert c.get("/v1/jobs/J1/candidates").status_code == 200
        assert c.post("/v1/matches/jobs", json=seeker_record(id=None)).status_code == 200
        refer = c.post("/v1/referrals", json={"seeker_id": "S1", "job_id": "J1", "consent": True})
        assert refer.status_code == 201, refer.text

        # searches and reads that fail
        refused(c.get("/v1/seekers", params={"q": NAME * 20}), 422)  # too long
        refused(c.get("/v1/seekers", params={"q": PHONE, "region_code": PHONE}), 422)
        refused(c.get("/v1/seekers", params={"q": NAME, "limit": "all"}), 422)
        refused(c.get("/v1/seekers/S1/matches", params={"limit": PHONE}), 422)
        assert "***" in refused(c.get(f"/v1/seekers/{PHONE}"), 404).json()["message"]
        refused(c.get(f"/v1/seekers/{ID_NUMBER}/matches"), 404)
        refused(c.get("/v1/seekers", params={"q": NAME}, headers={"Authorization": "Bearer nope"}), 401)

        # an employer: candidates masked, except the one who consented to a referral to it
        with api_client(engine, role=None) as emp:
            emp.headers.update(bearer(make_token(engine, "employer", employer="E1")))
            assert emp.get("/v1/jobs/J1/candidates").status_code == 200
            assert emp.get("/v1/seekers").status_code == 200
            refused(emp.get("/v1/seekers/S2"), 404)
            refused(emp.post("/v1/seekers", json=seeker_record(id="S9")), 403)

        # an unexpected failure whose message holds personal data: the 500 and its log say nothing of it
        def boom(*args, **kwargs):
            raise RuntimeError(f"matching failed for {NAME} {PHONE} {ID_NUMBER} {ADDRESS}")

        monkeypatch.setattr(engine, "match_jobs", boom)
        r = refused(c.get("/v1/seekers/S1/matches"), 500)
        assert r.json()["code"] == "internal_error"
        monkeypatch.undo()

        metrics = c.get("/metrics")
        assert metrics.status_code == 200

    for i, text in enumerate(errors):
        assert_clean(text, f"error answer {i}: {text[:300]}")
    assert_clean(metrics.text, "/metrics")
    assert 'route="/v1/seekers/{id}"' in metrics.text

    # the test's own HTTP client logs the URLs it asks for: it is not the server
    records = [r for r in all_logs.records if not r.name.startswith(CLIENT_LOGGERS)]
    assert any(r.name.startswith("sqlalchemy.engine") for r in records), "the SQL log was not captured"
    assert any(r.name == "matcher.access" for r in records)
    unhandled = [r for r in records if r.name == "matcher.api" and "unhandled error" in r.getMessage()]
    assert unhandled and "RuntimeError" in unhandled[0].getMessage()
    assert "message withheld" in unhandled[0].getMessage()
    text = "\n".join(all_logs.handler.format(r) for r in records)  # exc_info and stack included
    assert_clean(text, "the logs")
    assert "SQL parameters hidden" in text


def test_access_log_has_route_templates_not_paths_or_queries(engine, caplog):
    caplog.set_level(logging.INFO, logger="matcher.access")
    with api_client(engine) as c:
        assert c.get("/v1/seekers", params={"q": NAME}).status_code == 200
        assert c.get("/v1/seekers/S404").status_code == 404
        assert c.get(f"/v1/seekers/{quote(PHONE)}/matches", params={"limit": 5}).status_code == 404
        assert c.get("/no/such/path", params={"phone": PHONE}).status_code == 404
    lines = [r.getMessage() for r in caplog.records if r.name == "matcher.access"]
    assert any(line.startswith("GET /v1/seekers 200 ") and line.endswith("ms") for line in lines), lines
    assert any(line.startswith("GET /v1/seekers/{id} 404 ") for line in lines), lines
    assert any(line.startswith("GET /v1/seekers/{id}/matches 404 ") for line in lines), lines
    assert any(line.startswith("GET unmatched 404 ") for line in lines), lines
    for line in lines:
        assert "?" not in line and "S404" not in line
        assert_clean(line, "the access log")


def test_serve_turns_uvicorn_access_log_off(monkeypatch, tmp_path):
    import uvicorn

    from matcher import cli

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: seen.update(kw))
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))  # serve sets it: undone afterwards
    monkeypatch.setenv("MATCHER_GC_FREEZE", "false")  # serve only sets it when absent: undone afterwards
    assert cli.main(["serve", "--port", "8123", "--log-level", "debug"]) in (0, None)
    assert seen["access_log"] is False
    assert seen["log_config"]["loggers"]["matcher"] == {"handlers": ["default"], "level": "DEBUG", "propagate": False}
    assert "uvicorn.access" in seen["log_config"]["loggers"]  # uvicorn's own set-up is kept


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_matcher_serve_logs_no_query_strings(tmp_path, encoder, model_cache):
    """The real ``matcher serve`` (uvicorn, its logging set-up) on a loopback port: its output has our
    access log lines and never the query string."""
    from matcher.accounts import add_account
    from matcher.store import Store

    home = tmp_path / "home"
    store = Store.open(f"sqlite:///{home / 'matcher.db'}")
    _, token = add_account(store, "province-test", "province")
    store.close()
    port = _free_port()
    env = {**os.environ, "MATCHER_HOME": str(home), "MATCHER_MODEL_CACHE": str(model_cache)}
    out, err = tmp_path / "serve.out", tmp_path / "serve.err"
    with open(out, "wb") as fo, open(err, "wb") as fe:
        proc = subprocess.Popen([sys.executable, "-m", "matcher.cli", "serve", "--port", str(port)], env=env,
                                stdout=fo, stderr=fe)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, err.read_text()
            time.sleep(0.1)
        headers = bearer(token)
        assert httpx.get(f"{base}/v1/seekers", params={"q": NAME}, headers=headers).status_code == 200
        assert httpx.get(f"{base}/v1/seekers", params={"q": PHONE[-4:], "limit": "x"}, headers=headers).status_code == 422
        assert httpx.get(f"{base}/v1/seekers/{PHONE}", headers=headers).status_code == 404
        deadline = time.monotonic() + 10  # the line is written just after the answer
        while "GET /v1/seekers/{id} 404 " not in err.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        proc.kill()  # not a graceful stop: that would wait for the indexes to finish loading
        proc.wait()
    text = out.read_text() + err.read_text()
    assert "GET /v1/seekers 200 " in text and "GET /v1/seekers 422 " in text and "GET /v1/seekers/{id} 404 " in text, text
    assert "?q=" not in text and "HTTP/1.1" not in text, text  # uvicorn's access log lines are gone
    assert_clean(text, "the output of matcher serve")
