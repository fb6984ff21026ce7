"""API test fixtures: a FastAPI app around a MatchEngine on a fresh home, sharing the session's
encoder and model cache. Every test that uses ``engine`` (or ``client``) runs twice: on SQLite and
on PostgreSQL (a fresh, empty schema; skipped unless MATCHER_TEST_DATABASE_URL is set, which
.ci/run does), through the ``database_url`` fixture of tests/conftest.py. A module that must stay
on SQLite only can define its own ``engine`` fixture."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

import numpy as np
import pytest
from api_helpers import api_client
from fastapi.testclient import TestClient

from matcher.features.encoder import Encoder


class MemoEncoder(Encoder):
    """The session's encoder, remembering the vector of each text it has embedded. The API tests
    embed the same few records in every test, each time on a fresh database (so the store has no
    embeddings to reuse): only the first time costs a forward pass, on both databases."""

    def __init__(self, inner: Encoder):
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self._memo: dict[tuple[str, str], np.ndarray] = {}
        self._lock = threading.Lock()

    def _encode(self, side: str, fn, texts: Sequence[str], batch_size: int, show_progress: bool) -> np.ndarray:
        texts = list(texts)
        missing = list(dict.fromkeys(t for t in texts if (side, t) not in self._memo))
        if missing:
            vectors = fn(missing, batch_size=batch_size, show_progress=show_progress)
            with self._lock:
                self._memo.update({(side, t): v.copy() for t, v in zip(missing, vectors, strict=True)})
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._memo[(side, t)] for t in texts]).astype(np.float32, copy=False)

    def encode_queries(self, texts: Sequence[str], batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        return self._encode("query", self.inner.encode_queries, texts, batch_size, show_progress)

    def encode_documents(self, texts: Sequence[str], batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        return self._encode("document", self.inner.encode_documents, texts, batch_size, show_progress)

    def __getattr__(self, attr: str):
        return getattr(self.inner, attr)


@pytest.fixture(scope="session")
def api_encoder(encoder) -> MemoEncoder:
    return MemoEncoder(encoder)


@pytest.fixture
def engine(tmp_path, api_encoder, model_cache, database_url):
    """A fresh engine on an empty database (SQLite or PostgreSQL), index files in its own home."""
    from matcher.engine import MatchEngine

    eng = MatchEngine.open(home=tmp_path / "home", database_url=database_url, encoder=api_encoder,
                           model_cache=model_cache, sync_interval=0)
    yield eng
    eng.close()


@pytest.fixture
def client(engine) -> Iterator[TestClient]:
    with api_client(engine) as c:
        yield c
