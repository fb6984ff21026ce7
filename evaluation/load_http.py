"""A bounded load test of the HTTP API on loopback.

    python -m evaluation.load_http --home ./var --rate 20 --seconds 30

Starts ``matcher serve`` on 127.0.0.1 at a free port (or uses ``--url`` of a running server on
this machine), waits until ``/readyz`` says ready, then sends ``rate`` requests per second for
``seconds`` seconds to ``GET /v1/seekers/{id}/matches?limit=10`` for random stored seekers, open
loop (a request is sent on schedule even if earlier ones are slow), and reports p50/p90/p99
latency, achieved rate and errors. Traffic goes to loopback only; the run stops by itself.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(client, url: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if client.get(f"{url}/readyz").status_code == 200:
                return
        except Exception:  # noqa: BLE001 - not listening yet
            pass
        time.sleep(0.5)
    raise RuntimeError("server never became ready")


def run(args) -> dict:
    import httpx

    proc = None
    url = args.url
    if not url:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "MATCHER_HOME": str(args.home)}
        proc = subprocess.Popen([sys.executable, "-m", "matcher.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elif not url.startswith(("http://127.", "http://localhost", "http://[::1]")):
        raise SystemExit("只对本机发压 / load goes to loopback only")
    try:
        with httpx.Client(timeout=30) as client:
            wait_ready(client, url)
            ids, offset = [], 0
            while len(ids) < 2000:
                page = client.get(f"{url}/v1/seekers", params={"offset": offset, "limit": 200, "status": "unemployed"}).json()
                ids += [s["id"] for s in page["data"]]
                offset += 200
                if offset >= page["count"]:
                    break
            rng = random.Random(args.seed)
            for sid in rng.sample(ids, min(20, len(ids))):  # warm up
                client.get(f"{url}/v1/seekers/{sid}/matches", params={"limit": 10})
            total = int(args.rate * args.seconds)
            lat: list[float] = []
            errors: list[str] = []
            lock = threading.Lock()

            def one(sid: str) -> None:
                t0 = time.perf_counter()
                try:
                    r = client.get(f"{url}/v1/seekers/{sid}/matches", params={"limit": 10})
                    ok = r.status_code == 200
                    err = None if ok else f"HTTP {r.status_code}"
                except Exception as e:  # noqa: BLE001
                    err = type(e).__name__
                dt = (time.perf_counter() - t0) * 1000
                with lock:
                    lat.append(dt)
                    if err:
                        errors.append(err)

            start = time.perf_counter()
            with ThreadPoolExecutor(max_workers=64) as pool:
                for i in range(total):
                    due = start + i / args.rate
                    delay = due - time.perf_counter()
                    if delay > 0:
                        time.sleep(delay)
                    pool.submit(one, rng.choice(ids))
            elapsed = time.perf_counter() - start
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
    arr = np.asarray(lat)
    return {"url": url, "rate": args.rate, "seconds": args.seconds, "requests": len(lat), "errors": len(errors),
            "error_kinds": sorted(set(errors)), "achieved_rps": round(len(lat) / elapsed, 1),
            "p50_ms": round(float(np.percentile(arr, 50)), 1), "p90_ms": round(float(np.percentile(arr, 90)), 1),
            "p99_ms": round(float(np.percentile(arr, 99)), 1), "max_ms": round(float(arr.max()), 1),
            "cpus": os.cpu_count()}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--home", default=os.environ.get("MATCHER_HOME", "./var"))
    p.add_argument("--url", default=None, help="a running server on this machine (loopback only)")
    p.add_argument("--rate", type=float, default=20.0, help="requests per second")
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", default=None)
    args = p.parse_args(argv)
    r = run(args)
    print(f"{r['requests']} 次请求 / requests at {r['rate']:g}/s for {r['seconds']:g}s: "
          f"p50 {r['p50_ms']} ms, p90 {r['p90_ms']} ms, p99 {r['p99_ms']} ms, max {r['max_ms']} ms, "
          f"errors {r['errors']}, achieved {r['achieved_rps']}/s")
    if args.out:
        Path(args.out).write_text(json.dumps(r, indent=2), encoding="utf-8")
    return 0 if r["errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
