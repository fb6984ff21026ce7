"""Helpers shared by the API tests (imported by module name; tests/api is on sys.path)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

from fastapi.testclient import TestClient

from api.app import create_app

TODAY = date.today()


def make_token(engine, role: str = "province", region: str | None = None, employer: str | None = None,
               name: str | None = None, expires_days: float | None = None) -> str:
    """A real account and token in the engine's store (a unique name per call by default)."""
    import uuid

    from matcher.accounts import add_account

    _, token = add_account(engine.store, name or f"t-{role}-{uuid.uuid4().hex[:8]}", role, region_code=region,
                           employer_id=employer, expires_days=expires_days)
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def api_client(engine, wait: bool = True, role: str | None = "province", **settings) -> Iterator[TestClient]:
    """A TestClient whose lifespan runs (the engine is warmed in the background), sending the
    token of a fresh ``role`` account (province-wide by default; None: no token)."""
    conf = engine.settings.model_copy(update=settings) if settings else None
    app = create_app(settings=conf, engine=engine)
    with TestClient(app) as client:
        if role is not None:
            client.headers.update(bearer(make_token(engine, role)))
        if wait:
            wait_ready(client)
        yield client


def wait_ready(client: TestClient, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.get("/readyz").status_code == 200:
            return
        time.sleep(0.02)
    raise AssertionError("the app never became ready")


def job(id: str, title: str, **kw) -> dict:
    base = {"id": id, "title": title, "region_code": "130102", "lat": 38.05, "lng": 114.52,
            "posted_at": (TODAY - timedelta(days=1)).isoformat(),
            "expires_at": (TODAY + timedelta(days=30)).isoformat()}
    return {**base, **kw}


def seeker(id: str, **kw) -> dict:
    base = {"id": id, "region_code": "130102", "lat": 38.05, "lng": 114.52, "area_type": "urban",
            "consent_to_share": True}
    return {**base, **kw}


def store_put(engine, kind: str, records: list[dict]) -> None:
    """Write straight to the store (no embedding): for tests that only read records back."""
    from matcher.engine import coerce_records

    engine.store.upsert(kind, coerce_records(kind, records))
