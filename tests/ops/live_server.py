"""The API served by uvicorn on a free loopback port, in a thread of the test process (so the
session's encoder is shared and nothing loads torch again), with real HTTP clients."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

from pg_cluster import free_port


@contextmanager
def serve(engine, **settings):
    """Yields the base URL of ``create_app(engine=engine)`` served by uvicorn; waits until ready."""
    import httpx
    import uvicorn

    from api.app import create_app

    conf = engine.settings.model_copy(update=settings) if settings else None
    app = create_app(settings=conf, engine=engine)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="test-uvicorn", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        with httpx.Client(base_url=url, timeout=5, trust_env=False) as c:
            while True:
                try:
                    if c.get("/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError("the server never became ready")
                time.sleep(0.05)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=30)
