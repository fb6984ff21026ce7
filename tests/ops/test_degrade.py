"""The parts of degrading during an outage, on SQLite (the PostgreSQL outage itself is
tests/ops/test_outage.py): what counts as unreachable, one log line per transition, tokens
remembered only for an outage, which routes pass while the database is down, JSON logs."""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError, ProgrammingError

from matcher.store.health import DatabaseHealth, is_unavailable

TODAY = date.today()


class _PgError(Exception):
    def __init__(self, sqlstate=None):
        self.sqlstate = sqlstate


_PgError.__module__ = "psycopg"
_PgError.__name__ = _PgError.__qualname__ = "OperationalError"


def test_is_unavailable_tells_an_unreachable_database_from_a_bad_statement():
    assert is_unavailable(OperationalError("SELECT 1", {}, _PgError()))  # refused / reset: no SQLSTATE
    assert is_unavailable(OperationalError("SELECT 1", {}, _PgError("57P01")))  # admin shutdown
    assert is_unavailable(OperationalError("SELECT 1", {}, _PgError("08006")))
    assert not is_unavailable(ProgrammingError("SELEC 1", {}, _PgError("42601")))  # syntax error: a bug
    assert is_unavailable(OperationalError("x", {}, sqlite3.OperationalError("unable to open database file")))
    assert not is_unavailable(OperationalError("x", {}, sqlite3.OperationalError("no such table: jobs")))
    assert not is_unavailable(ValueError("nope"))


def test_one_log_line_when_an_outage_starts_and_one_when_it_ends(caplog):
    now = [100.0]
    state = {"up": False}
    changes = []

    def probe():
        if not state["up"]:
            raise OperationalError("SELECT 1", {}, _PgError())

    health = DatabaseHealth(probe, on_change=changes.append, clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="matcher.store.health"):
        for _ in range(5):
            assert health.check() is False
            health.report(OperationalError("x", {}, _PgError()))
            now[0] += 1
        assert not health.up and health.down_for == pytest.approx(5.0)
        state["up"] = True
        assert health.check() and health.check()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2 and "database unreachable" in lines[0] and "after 5.0 s" in lines[1]
    assert changes == [False, True] and health.outages == 1 and health.last_outage_seconds == 5.0
    with pytest.raises(ProgrammingError):  # another error is not an outage: raised, state unchanged
        DatabaseHealth(lambda: (_ for _ in ()).throw(ProgrammingError("x", {}, _PgError("42601")))).check()


def test_token_memory_is_bounded_in_time():
    from api.degrade import TokenMemory
    from matcher.access import Principal, Role

    now = [0.0]
    memory = TokenMemory(minutes=1, clock=lambda: now[0])
    p = Principal("a1", "省厅", Role.province, None, None)
    memory.remember("hjm_token", p)
    assert memory.recall("hjm_token") == p and memory.recall("hjm_other") is None
    now[0] = 61
    assert memory.recall("hjm_token") is None
    off = TokenMemory(minutes=0)
    off.remember("hjm_token", p)
    assert off.recall("hjm_token") is None


def test_routes_while_the_database_is_down(engine):
    """With the database marked down: records and writes 503 at once (Retry-After), readiness
    503, a profile match answered and marked stale, /metrics served to a remembered token."""
    from api.app import create_app
    from matcher.accounts import add_account

    engine.upsert("job", [{"id": "J1", "title": "电焊工", "region_code": "130102", "lat": 38.05, "lng": 114.52,
                           "posted_at": (TODAY - timedelta(days=1)).isoformat(),
                           "expires_at": (TODAY + timedelta(days=30)).isoformat()}])
    _, token = add_account(engine.store, "degrade", "province")
    app = create_app(settings=engine.settings.model_copy(update={"db_retry_after": 7}), engine=engine)
    with TestClient(app) as c:
        c.headers["Authorization"] = f"Bearer {token}"
        for _ in range(500):
            if c.get("/readyz").status_code == 200:
                break
        assert c.get("/metrics").status_code == 200  # the token is confirmed (and remembered)
        health = app.state.db_health
        health.stop()  # the probe would find SQLite up again
        health.mark_down()
        r = c.get("/readyz")
        assert r.status_code == 503 and r.json()["code"] == "database_unavailable" and r.headers["Retry-After"] == "7"
        for method, path, body in (("GET", "/v1/jobs/J1", None), ("POST", "/v1/jobs", {"id": "J2", "title": "厨师"}),
                                   ("GET", "/v1/seekers", None), ("PATCH", "/v1/jobs/J1", {"status": "closed"})):
            r = c.request(method, path, json=body)
            assert r.status_code == 503 and r.headers["Retry-After"] == "7", (path, r.text)
            assert r.json()["code"] == "database_unavailable" and "数据库" in r.json()["message"]
        r = c.post("/v1/matches/jobs", json={"id": "p", "desired_occupations": ["电焊工"], "lat": 38.05, "lng": 114.52})
        assert r.status_code == 200 and r.headers["X-Matcher-Stale"] == "database-unavailable"
        assert r.json()[0]["id"] == "J1" and "数据库" in r.json()[0]["summary"]["note"]
        text = c.get("/metrics").text
        assert "matcher_database_up 0.0" in text and "matcher_ready 0.0" in text
        assert c.get("/healthz").status_code == 200
        health.mark_up()
        assert c.get("/readyz").status_code == 200 and c.get("/v1/jobs/J1").status_code == 200
        r = c.post("/v1/matches/jobs", json={"id": "p", "desired_occupations": ["电焊工"]})
        assert r.status_code == 200 and "X-Matcher-Stale" not in r.headers
        assert engine.store.find("job", "J2") is None  # the refused write left nothing


def test_json_log_lines():
    from matcher.logjson import JsonFormatter

    try:
        raise ValueError("王小明 13800001234")
    except ValueError:
        import sys

        record = logging.LogRecord("matcher.api", logging.ERROR, __file__, 1, "出错 %s", ("x",), sys.exc_info())
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "ERROR" and line["logger"] == "matcher.api" and line["message"] == "出错 x"
    assert line["exc_type"] == "ValueError" and "13800001234" not in json.dumps(line, ensure_ascii=False)



def _metric(text: str, name: str) -> float:
    import re

    m = re.search(rf"^{name} (\S+)$", text, re.M)
    assert m, name
    return float(m.group(1))


def test_last_digest_run_in_metrics(engine):
    from datetime import UTC, datetime

    from api.app import create_app
    from matcher.accounts import add_account
    from matcher.store.runs import last_runs, record_run

    end = datetime(2026, 12, 2, 6, 0, 30, tzinfo=UTC)
    record_run(engine.store, "digest", 30.5, {"date": "2026-12-01"}, finished_at=end.replace(day=1))
    record_run(engine.store, "digest", 12.0, {"date": "2026-12-02"}, finished_at=end)
    runs = last_runs(engine.store)
    assert runs["digest"]["seconds"] == 12.0 and runs["digest"]["detail"] == {"date": "2026-12-02"}
    _, token = add_account(engine.store, "metrics", "platform")
    with TestClient(create_app(engine=engine)) as c:
        text = c.get("/metrics", headers={"Authorization": f"Bearer {token}"}).text
    assert _metric(text, "matcher_last_digest_timestamp_seconds") == end.timestamp()
    assert _metric(text, "matcher_last_digest_duration_seconds") == 12.0
