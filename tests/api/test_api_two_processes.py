"""Two real ``matcher serve`` processes on one PostgreSQL database see each other's writes.

Both start together on a fresh, empty database (so they also race to migrate it and to build their
indexes), each with its own MATCHER_HOME (own index files) and the session's model cache (the
bundled model is built once). A job written through A is readable and matchable through B within
a few seconds (B re-reads the store's changes every ``sync_interval``), and a seeker written
through B becomes a candidate of that job through A. Loopback only; every wait has a deadline and
the processes are stopped in ``finally``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from api_helpers import bearer, job, seeker

pytestmark = pytest.mark.postgres

START_TIMEOUT = 240.0  # two processes loading torch and the model on a busy 2-core machine
SEEN_TIMEOUT = 10.0  # a write through one process is visible through the other within this


def _free_ports(n: int) -> list[int]:
    """``n`` distinct free loopback ports (all bound at once while they are picked)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


@pytest.fixture
def fresh_database(postgres_url):
    """The URL of a new, empty schema in the session's test database, as the only schema on the
    connections' search_path (cheaper than a new database: dropping one forces a checkpoint).
    Dropped afterwards (the servers are stopped by then)."""
    if postgres_url is None:
        pytest.skip("PostgreSQL not configured (set MATCHER_TEST_DATABASE_URL; .ci/run does)")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"two_processes_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text("SET lock_timeout = '10s'"))
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


class Server:
    """One ``matcher serve`` subprocess on 127.0.0.1, its output in a log file."""

    def __init__(self, name: str, port: int, home: Path, database_url: str, model_cache: Path):
        import httpx

        self.name = name
        self.port = port
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = home.parent / f"{name}.log"
        home.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHER_")}
        env.update(MATCHER_HOME=str(home), MATCHER_DATABASE_URL=database_url, MATCHER_MODEL_CACHE=str(model_cache),
                   MATCHER_ENCODER="default", MATCHER_SYNC_INTERVAL="0.5")
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "matcher.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                 "--log-level", "warning"],
                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.http = httpx.Client(base_url=self.url, timeout=30.0, trust_env=False)

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
        except OSError:
            return ""

    def ready(self) -> bool:
        import httpx

        if self.proc.poll() is not None:
            raise AssertionError(f"{self.name} exited with {self.proc.returncode}:\n{self.log()}")
        try:
            r = self.http.get("/readyz")
        except httpx.TransportError:
            return False  # not listening yet
        if r.status_code == 503 and r.json().get("status") == "failed":
            raise AssertionError(f"{self.name} failed to load its indexes: {r.text}\n{self.log()}")
        return r.status_code == 200

    def stop(self) -> None:
        self.http.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def _eventually(check, what: str, servers, timeout: float = SEEN_TIMEOUT):
    """Poll ``check()`` until it returns a truthy value; fail after ``timeout`` seconds."""
    start = time.monotonic()
    deadline = start + timeout
    while True:
        last = check()
        if last:
            print(f"{what}: {time.monotonic() - start:.2f} s")  # shown with pytest -s
            return last
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {s.name} ---\n{s.log()}" for s in servers)
            raise AssertionError(f"not within {timeout:g} s: {what}\n{logs}")
        time.sleep(0.1)


WELDER = seeker("S1", name="王小明", desired_occupations=["电焊工"], skills=["焊工证"])
WELDER_2 = seeker("S2", name="李大力", desired_occupations=["电焊工"], skills=["焊工证"], lat=38.051, lng=114.521)


def test_two_processes_on_one_database_see_each_others_writes(tmp_path, fresh_database, encoder, model_cache):
    # ``encoder`` builds the bundled model into ``model_cache`` first, so neither process builds it.
    assert encoder is not None
    servers: list[Server] = []
    try:
        port_a, port_b = _free_ports(2)
        a = Server("A", port_a, tmp_path / "home_a", fresh_database, model_cache)
        servers.append(a)
        b = Server("B", port_b, tmp_path / "home_b", fresh_database, model_cache)
        servers.append(b)
        _eventually(lambda: a.ready() and b.ready(), "both processes ready", servers, timeout=START_TIMEOUT)

        # an account made by a third process (the CLI's way) is honoured by both
        from matcher.accounts import add_account
        from matcher.store import Store

        store = Store.open(fresh_database)
        try:
            _, token = add_account(store, "two-processes", "province")
        finally:
            store.close()
        for s in servers:
            s.http.headers.update(bearer(token))
            assert s.http.get("/v1/me").status_code == 200, s.name

        # a seeker and then a job, both through A
        assert a.http.post("/v1/seekers", json=WELDER).status_code == 201
        r = a.http.post("/v1/jobs", json=job("WELD", "电焊工", skills=["焊工证"], wage_min=6000, wage_max=8000))
        assert r.status_code == 201, r.text

        # B returns the job, and matches it for the seeker
        def b_job():
            r = b.http.get("/v1/jobs/WELD")
            return r.status_code == 200 and r.json()

        got = _eventually(b_job, "the job written through A is returned by B", servers)
        assert got["title"] == "电焊工"

        def b_matches():
            r = b.http.get("/v1/seekers/S1/matches", params={"limit": 5})
            assert r.status_code == 200, r.text
            return "WELD" in [m["id"] for m in r.json()]

        _eventually(b_matches, "B matches the job written through A", servers)

        # a seeker written through B is a candidate of the job through A
        assert b.http.post("/v1/seekers", json=WELDER_2).status_code == 201

        def a_candidates():
            r = a.http.get("/v1/jobs/WELD/candidates", params={"limit": 10})
            assert r.status_code == 200, r.text
            return "S2" in [m["id"] for m in r.json()]

        _eventually(a_candidates, "A lists the seeker written through B as a candidate", servers)

        # closing the job through B takes it out of A's matches
        assert b.http.patch("/v1/jobs/WELD", json={"status": "closed"}).status_code == 200

        def a_dropped():
            r = a.http.get("/v1/seekers/S2/matches", params={"limit": 5})
            assert r.status_code == 200, r.text
            return "WELD" not in [m["id"] for m in r.json()]

        _eventually(a_dropped, "a job closed through B leaves A's matches", servers)
    finally:
        for s in servers:
            s.stop()
