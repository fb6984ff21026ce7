"""Replicas under faults: two ``matcher serve`` processes on one PostgreSQL database under load;
one is killed with SIGKILL. The other keeps answering every request (reads, profile matches,
writes); the killed one is started again on its own home and catches up from the change feed
with the writes made while it was dead. Both share one prometheus-client multiprocess folder, so
either's ``/metrics`` reports the requests of both (and, after the restart, the dead process's
files are cleared). Slow: three processes load the model."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import test_api_two_processes as two
from api_helpers import bearer, job, seeker
from test_api_two_processes import START_TIMEOUT, Server, _eventually, _free_ports

fresh_database = two.fresh_database  # a new schema of the test database, dropped afterwards

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


class SharedMetricsServer(Server):
    """A ``matcher serve`` process with a given metrics folder."""

    def __init__(self, name: str, port: int, home: Path, database_url: str, model_cache: Path, metrics_dir: Path):
        import httpx

        self.name, self.port = name, port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = home.parent / f"{name}-{time.monotonic_ns()}.log"
        home.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MATCHER_", "PROMETHEUS_"))}
        env.update(MATCHER_HOME=str(home), MATCHER_DATABASE_URL=database_url, MATCHER_MODEL_CACHE=str(model_cache),
                   MATCHER_ENCODER="default", MATCHER_SYNC_INTERVAL="0.5", MATCHER_METRICS_DIR=str(metrics_dir))
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "matcher.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                 "--log-level", "warning"],
                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.http = httpx.Client(base_url=self.url, timeout=30.0, trust_env=False)


def _requests_total(text: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("matcher_http_requests_total{"))


def test_sigkill_one_replica_the_other_keeps_answering(tmp_path, fresh_database, encoder, model_cache):
    import httpx

    from matcher.accounts import add_account
    from matcher.store import Store

    assert encoder is not None  # the bundled model is built once, into model_cache
    metrics_dir = tmp_path / "metrics"
    servers: list[Server] = []
    stop = threading.Event()
    try:
        port_a, port_b = _free_ports(2)
        a = SharedMetricsServer("A", port_a, tmp_path / "home_a", fresh_database, model_cache, metrics_dir)
        b = SharedMetricsServer("B", port_b, tmp_path / "home_b", fresh_database, model_cache, metrics_dir)
        servers += [a, b]
        _eventually(lambda: a.ready() and b.ready(), "both processes ready", servers, timeout=START_TIMEOUT)
        store = Store.open(fresh_database)
        try:
            _, token = add_account(store, "replicas", "province")
        finally:
            store.close()
        for s in servers:
            s.http.headers.update(bearer(token))
        assert a.http.post("/v1/seekers", json=seeker("S1", name="王小明", desired_occupations=["电焊工"])).status_code == 201
        for i in range(5):
            assert a.http.post("/v1/jobs", json=job(f"J{i}", "电焊工")).status_code == 201

        b_results: Counter = Counter()
        b_failures: list = []

        def load_b():
            n = 0
            with httpx.Client(base_url=b.url, timeout=10, trust_env=False, headers=bearer(token)) as c:
                while not stop.is_set():
                    try:
                        if n % 3 == 0:
                            r = c.post("/v1/jobs", json=job(f"B{n}", "焊工"))
                        elif n % 3 == 1:
                            r = c.get("/v1/seekers/S1/matches", params={"limit": 5})
                        else:
                            r = c.post("/v1/matches/jobs", json=seeker("p", desired_occupations=["焊工"]))
                    except httpx.TransportError as e:
                        b_failures.append(type(e).__name__)
                        continue
                    b_results[r.status_code] += 1
                    if r.status_code not in (200, 201):
                        b_failures.append((r.status_code, r.text[:200]))
                    n += 1
                    stop.wait(0.1)

        loader = threading.Thread(target=load_b, daemon=True)
        loader.start()
        time.sleep(2.0)
        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait(timeout=10)
        killed_at = sum(b_results.values())
        # written through B while A is dead
        for i in range(3):
            assert b.http.post("/v1/jobs", json=job(f"X{i}", "电焊工", wage_min=9000)).status_code == 201
        time.sleep(2.0)
        assert sum(b_results.values()) > killed_at  # B kept answering

        a2 = SharedMetricsServer("A", port_a, tmp_path / "home_a", fresh_database, model_cache, metrics_dir)
        servers[0] = a2
        a2.http.headers.update(bearer(token))
        _eventually(a2.ready, "the killed process is ready again", servers, timeout=START_TIMEOUT)

        def caught_up():
            r = a2.http.get("/v1/seekers/S1/matches", params={"limit": 50})
            assert r.status_code == 200, r.text
            return {"X0", "X1", "X2"} <= {m["id"] for m in r.json()}

        _eventually(caught_up, "the restarted process matches the jobs written while it was dead", servers)
        stop.set()
        loader.join(timeout=30)
        assert not b_failures, b_failures[:5]
        assert b_results[200] and b_results[201]
        # one view of the requests: B's /metrics counts A2's requests too (and its own)
        a2.http.get("/healthz")
        total_b = _requests_total(b.http.get("/metrics").text)
        total_a = _requests_total(a2.http.get("/metrics").text)
        assert total_b >= sum(b_results.values()) and abs(total_a - total_b) <= 2
        assert "matcher_database_up 1.0" in b.http.get("/metrics").text
    finally:
        stop.set()
        for s in servers:
            s.stop()
