"""A bounded load test of the HTTP API on loopback.

    matcher --home /tmp/loadhome demo                  # prints one access token per role
    matcher --home /tmp/loadhome serve --port 8765 &
    MATCHER_TOKEN=hjm_... python -m evaluation.load_http --url http://127.0.0.1:8765 --rate 50 --seconds 60

Without ``--url`` it starts ``matcher serve`` itself on 127.0.0.1 at a free port for ``--home``
(the token must belong to an account in that home's database: ``matcher users add NAME --role
province`` or one printed by ``matcher demo``). It waits until ``/readyz`` says ready, then sends
``rate`` requests per second for ``seconds`` seconds to ``GET /v1/seekers/{id}/matches?limit=10``
for random stored seekers, open loop (a request is sent on schedule even if earlier ones are slow;
its latency is counted from the time it was due, so a queue in the client is not hidden), and
reports p50/p95/p99 latency, achieved rate and errors. Every request carries
``Authorization: Bearer <token>`` (``--token`` or ``MATCHER_TOKEN``).

Bounded: only loopback addresses are accepted, the rate, the duration and the number of requests
have hard caps, requests time out, and whatever is still unanswered ``--drain`` seconds after the
last one was sent is abandoned and counted as an error. The run stops by itself.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import platform
import random
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

MAX_RATE = 200.0  # requests per second
MAX_SECONDS = 300.0
MAX_REQUESTS = 30_000
MAX_DRAIN = 60.0
WORKERS = 64  # requests in flight at most


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def is_loopback(url: str) -> bool:
    """Only http(s) to localhost, 127.0.0.0/8 or ::1."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def wait_ready(client, url: str, proc=None, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"matcher serve exited with {proc.returncode}")
        try:
            if client.get(f"{url}/readyz").status_code == 200:
                return
        except Exception:  # noqa: BLE001 - not listening yet
            pass
        time.sleep(0.5)
    raise RuntimeError("server never became ready")


def check_args(args) -> None:
    if not args.token:
        raise SystemExit("需要访问令牌：--token 或 MATCHER_TOKEN（matcher users add NAME --role province）"
                         " / a token is needed: --token or MATCHER_TOKEN")
    if args.url and not is_loopback(args.url):
        raise SystemExit("只对本机发压 / load goes to loopback only (localhost, 127.0.0.0/8, ::1)")
    if not 0 < args.rate <= MAX_RATE:
        raise SystemExit(f"--rate must be in (0, {MAX_RATE:g}]")
    if not 0 < args.seconds <= MAX_SECONDS:
        raise SystemExit(f"--seconds must be in (0, {MAX_SECONDS:g}]")
    if int(args.rate * args.seconds) > MAX_REQUESTS:
        raise SystemExit(f"rate × seconds must be at most {MAX_REQUESTS} requests")
    if not 0 <= args.drain <= MAX_DRAIN:
        raise SystemExit(f"--drain must be in [0, {MAX_DRAIN:g}]")


def run(args) -> dict:
    import httpx

    check_args(args)
    proc = None
    url = args.url.rstrip("/") if args.url else None
    if not url:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "MATCHER_HOME": str(args.home)}
        proc = subprocess.Popen([sys.executable, "-m", "matcher.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                                 "--log-level", "warning"],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    headers = {"Authorization": f"Bearer {args.token}"}
    # trust_env=False: no proxy from the environment, the requests stay on loopback
    limits = httpx.Limits(max_connections=WORKERS, max_keepalive_connections=WORKERS)
    try:
        with httpx.Client(timeout=args.timeout, headers=headers, limits=limits, trust_env=False) as client:
            wait_ready(client, url, proc)
            ids, offset = [], 0
            while len(ids) < 2000:
                r = client.get(f"{url}/v1/seekers", params={"offset": offset, "limit": 200, "status": "unemployed"})
                if r.status_code != 200:
                    raise SystemExit(f"GET /v1/seekers: HTTP {r.status_code} {r.text[:200]}")
                page = r.json()
                ids += [s["id"] for s in page["data"]]
                offset += 200
                if offset >= page["count"]:
                    break
            if not ids:
                raise SystemExit("没有可用的求职者 / no stored seekers to match (run matcher demo first)")
            rng = random.Random(args.seed)
            for sid in rng.sample(ids, min(20, len(ids))):  # warm up
                client.get(f"{url}/v1/seekers/{sid}/matches", params={"limit": 10})
            total = int(args.rate * args.seconds)
            lat: list[float] = []
            errors: list[str] = []
            lock = threading.Lock()

            def one(sid: str, due: float) -> None:
                try:
                    r = client.get(f"{url}/v1/seekers/{sid}/matches", params={"limit": 10})
                    err = None if r.status_code == 200 else f"HTTP {r.status_code}"
                except Exception as e:  # noqa: BLE001
                    err = type(e).__name__
                dt = (time.perf_counter() - due) * 1000
                with lock:
                    lat.append(dt)
                    if err:
                        errors.append(err)

            pool = ThreadPoolExecutor(max_workers=WORKERS)
            futures = []
            start = time.perf_counter()
            try:
                for i in range(total):
                    due = start + i / args.rate
                    delay = due - time.perf_counter()
                    if delay > 0:
                        time.sleep(delay)
                    futures.append(pool.submit(one, rng.choice(ids), due))
                sent = time.perf_counter() - start
                wait(futures, timeout=args.drain)
            finally:
                pool.shutdown(wait=False, cancel_futures=True)
            elapsed = time.perf_counter() - start
            with lock:  # what is unanswered by now is abandoned (and counted as errors)
                lat_done, errs = list(lat), list(errors)
            errs += ["abandoned"] * (total - len(lat_done))
            pool.shutdown(wait=True)  # at most one client timeout for the requests still in flight
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    arr = np.asarray(lat_done) if lat_done else np.zeros(1)

    def pct(q: float) -> float:
        return round(float(np.percentile(arr, q)), 1)

    return {"url": url, "endpoint": "GET /v1/seekers/{id}/matches?limit=10", "rate": args.rate, "seconds": args.seconds,
            "requests": total, "answered": len(lat_done), "errors": len(errs),
            "error_kinds": {k: errs.count(k) for k in sorted(set(errs))},
            "sent_rps": round((total - 1) / sent, 1) if sent and total > 1 else None, "answered_rps": round(len(lat_done) / elapsed, 1),
            "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99), "max_ms": round(float(arr.max()), 1),
            "cpus": os.cpu_count(), "cpu": cpu_model()}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--home", default=os.environ.get("MATCHER_HOME", "./var"))
    p.add_argument("--url", default=None, help="a running server on this machine (loopback only)")
    p.add_argument("--token", default=os.environ.get("MATCHER_TOKEN"),
                   help="access token sent as 'Authorization: Bearer …' (default: $MATCHER_TOKEN)")
    p.add_argument("--rate", type=float, default=20.0, help=f"requests per second (≤ {MAX_RATE:g})")
    p.add_argument("--seconds", type=float, default=30.0, help=f"how long to send (≤ {MAX_SECONDS:g})")
    p.add_argument("--drain", type=float, default=30.0, help="seconds to wait for the last answers")
    p.add_argument("--timeout", type=float, default=30.0, help="per-request timeout in seconds")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", default=None, help="write the result as JSON here")
    args = p.parse_args(argv)
    r = run(args)
    print(f"{r['requests']} 次请求 / requests at {r['rate']:g}/s for {r['seconds']:g}s: "
          f"p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, p99 {r['p99_ms']} ms, max {r['max_ms']} ms, "
          f"errors {r['errors']} {r['error_kinds'] or ''}, sent {r['sent_rps']}/s "
          f"({r['cpus']} × {r['cpu']})")
    if args.out:
        Path(args.out).write_text(json.dumps(r, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0 if r["errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
