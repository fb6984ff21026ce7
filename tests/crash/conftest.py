"""Fixtures of the crash tests: one home and store per test (SQLite, and PostgreSQL when
configured), engines in this process that share the session's real encoder, and the environment
for child processes that are killed with SIGKILL."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from crash_helpers import child_env


class MemoEncoder:
    """The session's real encoder, remembering the vector of every text it has made. The crash
    tests build many stores from the same few texts; each distinct text is embedded once per
    session in this process (child processes load and run the model themselves)."""

    def __init__(self, encoder):
        self._encoder = encoder
        self.name, self.dim = encoder.name, encoder.dim
        self._memo: dict[tuple[str, str], np.ndarray] = {}

    def _encode(self, kind: str, fn, texts, **kw) -> np.ndarray:
        texts = list(texts)
        todo = [t for t in dict.fromkeys(texts) if (kind, t) not in self._memo]
        if todo:
            self._memo.update({(kind, t): v for t, v in zip(todo, fn(todo, **kw), strict=True)})
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._memo[(kind, t)] for t in texts])

    def encode_documents(self, texts, batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        return self._encode("doc", self._encoder.encode_documents, texts)

    def encode_queries(self, texts, batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        return self._encode("query", self._encoder.encode_queries, texts)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode_queries([text])[0]

    def __getattr__(self, name):
        return getattr(self._encoder, name)


@dataclass
class Site:
    """Where a crash test's processes work: ``home`` (index, model cache link) and ``url`` (store)."""

    home: Path
    url: str
    cwd: Path
    encoder: Any
    model_cache: Path
    settings: dict[str, Any] = field(default_factory=dict)
    _open: list = field(default_factory=list)

    def engine(self, **kw):
        """An engine in this process on the same home and store (as a restarted service opens it)."""
        from matcher.engine import MatchEngine

        e = MatchEngine.open(home=self.home, database_url=self.url, encoder=self.encoder,
                             model_cache=self.model_cache, sync_interval=0, **{**self.settings, **kw})
        self._open.append(e)
        return e

    def store(self):
        from matcher.store import Store

        s = Store.open(self.url)
        self._open.append(s)
        return s

    def env(self) -> dict[str, str]:
        return child_env(self.home, self.url, self.model_cache, **self.settings)

    def close(self) -> None:
        for obj in self._open:
            with contextlib.suppress(Exception):
                obj.close()


@pytest.fixture(scope="session")
def memo_encoder(encoder):
    return MemoEncoder(encoder)


@pytest.fixture
def site(database_url, tmp_path, memo_encoder, model_cache):
    s = Site(home=tmp_path / "home", url=database_url, cwd=tmp_path, encoder=memo_encoder, model_cache=model_cache)
    s.home.mkdir()
    yield s
    s.close()
