"""API test fixtures: a FastAPI app around a MatchEngine on a fresh SQLite home (the ``engine``
fixture of tests/conftest.py, which shares the session's encoder and model cache)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_helpers import api_client
from fastapi.testclient import TestClient


@pytest.fixture
def client(engine) -> Iterator[TestClient]:
    with api_client(engine) as c:
        yield c
