"""/healthz, /readyz, /metrics, /v1/digests, the app's lifespan and `matcher serve`."""

from __future__ import annotations

import threading

from api_helpers import api_client, job, wait_ready
from fastapi.testclient import TestClient

from api.app import create_app


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_is_503_until_the_indexes_are_loaded(engine, monkeypatch):
    release = threading.Event()
    real_warm = engine.warm

    def slow_warm(*a, **k):
        release.wait(30)
        return real_warm(*a, **k)

    monkeypatch.setattr(engine, "warm", slow_warm)
    with api_client(engine, wait=False) as client:
        r = client.get("/readyz")
        assert r.status_code == 503
        assert r.json()["code"] == "not_ready" and r.json()["status"] == "loading" and "索引" in r.json()["message"]
        assert client.get("/healthz").status_code == 200
        assert "matcher_ready 0.0" in client.get("/metrics").text
        release.set()
        wait_ready(client)
        r = client.get("/readyz")
        assert r.status_code == 200
        assert r.json()["status"] == "ready" and r.json()["indexes"] == {"jobs": 0, "seekers": 0}


def test_readyz_reports_a_failed_load(engine, monkeypatch):
    def broken(*a, **k):
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr(engine, "warm", broken)
    with api_client(engine, wait=False) as client:
        for _ in range(200):
            r = client.get("/readyz")
            if r.json().get("status") == "failed":
                break
            threading.Event().wait(0.01)
        assert r.status_code == 503 and r.json()["status"] == "failed" and "磁盘已满" in r.json()["message"]


def test_lifespan_opens_and_closes_its_own_engine(engine, monkeypatch):
    import api.app

    closed = []
    monkeypatch.setattr(api.app, "open_engine", lambda settings: engine)
    monkeypatch.setattr(engine, "close", lambda: closed.append(True))
    app = create_app(settings=engine.settings)
    assert app.state.engine is None  # nothing opened before the lifespan
    with TestClient(app) as client:
        wait_ready(client)
        assert app.state.engine is engine
    assert closed == [True] and app.state.engine is None


def test_metrics_count_requests_by_route(client, engine):
    engine.upsert("job", [job("J1", "电焊工")])
    client.get("/v1/jobs/J1")
    client.get("/v1/jobs/J1")
    client.get("/v1/jobs/NOPE")
    client.get("/no/such/path")
    text = client.get("/metrics").text
    assert 'matcher_http_requests_total{method="GET",route="/v1/jobs/{id}",status="200"} 2.0' in text
    assert 'matcher_http_requests_total{method="GET",route="/v1/jobs/{id}",status="404"} 1.0' in text
    assert 'matcher_http_requests_total{method="GET",route="unmatched",status="404"} 1.0' in text
    assert 'matcher_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/v1/jobs/{id}"} 3.0' in text
    assert 'matcher_http_request_duration_seconds_count{method="GET",route="/v1/jobs/{id}"} 3.0' in text
    assert 'matcher_index_size{side="jobs"} 1.0' in text
    assert 'matcher_embedding_queue{side="jobs"} 0.0' in text
    assert 'matcher_records{kind="job"} 1.0' in text and "matcher_ready 1.0" in text
    assert "# TYPE matcher_http_request_duration_seconds histogram" in text
    assert "matcher_database_up 1.0" in text and 'matcher_index_lag_changes{side="jobs"} 0.0' in text


def test_digests_formats(client):
    """The real digest of a station through the API, in its three formats."""
    client.post("/v1/stations", json={"id": "ST1", "name": "长安区测试社区服务站", "kind": "community",
                                      "region_code": "130102001", "lat": 38.05, "lng": 114.52})
    client.post("/v1/jobs", json=job("J1", "电焊工", headcount=2))
    client.post("/v1/seekers", json={"id": "S1", "name": "王小明", "station_id": "ST1", "lat": 38.05, "lng": 114.52,
                                     "desired_occupations": ["电焊工"], "priority_groups": ["older_4050"]})
    r = client.get("/v1/digests", params={"station_id": "ST1"})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["area"]["id"] == "ST1" and d["jobs"]["open_count"] == 1
    assert d["seekers"][0]["id"] == "S1" and d["seekers"][0]["matches"][0]["id"] == "J1"
    r = client.get("/v1/digests", params={"region_code": "130102", "format": "html"})
    assert r.headers["content-type"].startswith("text/html") and "就业信息推送" in r.text
    r = client.get("/v1/digests", params={"station_id": "ST1", "format": "csv", "date": "2026-03-01"})
    assert r.headers["content-type"].startswith("text/csv") and r.content.startswith("\ufeff".encode())
    assert "digest-ST1-2026-03-01.csv" in r.headers["content-disposition"]
    r = client.get("/v1/digests", params={"station_id": "ST1", "date": "2026-02-30"})
    assert r.status_code == 422 and r.json()["field"] == "date" and "日期" in r.json()["message"]
    r = client.get("/v1/digests", params={"station_id": "nope"})
    assert r.status_code == 404 and r.json()["code"] == "not_found"


def test_serve_command_is_wired(monkeypatch, tmp_path):
    import uvicorn

    from matcher.cli import main

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(app=app, **kw))
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))  # serve sets it: undone afterwards
    monkeypatch.setenv("MATCHER_HOME", "elsewhere")  # restored afterwards; --home wins
    monkeypatch.setenv("MATCHER_GC_FREEZE", "unset")
    monkeypatch.delenv("MATCHER_GC_FREEZE")  # absent again after the test
    assert main(["--home", str(tmp_path), "serve", "--port", "8123"]) == 0
    assert seen["app"] == "api.app:create_app" and seen["factory"] is True
    assert (seen["host"], seen["port"]) == ("127.0.0.1", 8123)
    import os

    assert os.environ["MATCHER_HOME"] == str(tmp_path)
    assert os.environ["MATCHER_GC_FREEZE"] == "true"  # a server freezes what warm() loaded (Settings.gc_freeze)
