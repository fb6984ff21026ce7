"""What the engine needs from a vector index, independent of the library behind it.

An index is a *cache* of the store: it maps string record ids (``"J00001"``, at most 64 characters)
to L2-normalised float32 vectors and answers maximum-inner-product (= cosine) queries. Every
implementation keeps a dense *row space*: each live record owns one integer row, stable for as long
as the record stays in the index (a removed record's row may be reused by a later add; only an
explicit ``compact()`` renumbers rows, and it bumps ``generation``). Masks passed as ``allowed`` are
boolean arrays over rows; :meth:`VectorIndex.rows_for` and :meth:`VectorIndex.ids_for` translate.

This module imports only numpy and the engine's errors, so ``import matcher.index`` stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from matcher.errors import MatcherError

#: Longest record id an index accepts.
MAX_ID_LENGTH = 64


class IndexCorrupt(MatcherError):
    """A persisted index cannot be trusted (missing file, bad checksum, wrong shape or dimension).

    The caller should rebuild the index from the store."""

    code = "index_corrupt"

    def __init__(self, message: str, *, path: str | Path | None = None):
        super().__init__(message)
        self.path = str(path) if path is not None else None


class IndexInputError(MatcherError, ValueError):
    """Bad arguments to an index method (ids, vectors, masks, ``k``)."""

    code = "index_input"


class DimensionMismatch(IndexInputError):
    """Vectors (or a query) whose dimension is not the index's."""

    code = "dim_mismatch"

    def __init__(self, expected: int, got: int, what: str = "vectors"):
        what_zh = {"vectors": "向量", "query": "查询向量"}.get(what, what)
        super().__init__(
            f"{what_zh}维度为 {got}，索引维度为 {expected}（更换了编码模型？需要重建索引）"
            f" / {what} have dimension {got} but the index has dimension {expected}"
            " (did the encoder change? rebuild the index)"
        )
        self.expected = expected
        self.got = got


class LazyIds(Sequence):
    """``SearchResult.ids`` made on first use: the record ids of each query's valid hits. Callers
    that only need table rows (the engine's candidate stage) never pay for the string lookups."""

    def __init__(self, table: Sequence[str], rows: np.ndarray):
        self._table, self._rows = table, rows
        self._done: dict[int, list[str]] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, q):
        if isinstance(q, slice):
            return [self[i] for i in range(*q.indices(len(self)))]
        q = range(len(self))[q]
        got = self._done.get(q)
        if got is None:
            row = self._rows[q]
            table = self._table
            got = self._done[q] = [table[r] for r in row[row >= 0].tolist()]
        return got

    def __eq__(self, other) -> bool:
        return list(self) == (list(other) if isinstance(other, Sequence) else other)

    def __repr__(self) -> str:
        return repr(list(self))


@dataclass(frozen=True)
class SearchResult:
    """Neighbours of each query, best first.

    ``rows`` and ``scores`` are ``(n_queries, k)`` arrays; where fewer than ``k`` records qualify
    the tail is padded with row ``-1`` and score ``-inf``. ``ids[q]`` lists the record ids of the
    valid hits of query ``q`` (no padding), aligned with the start of ``rows[q]``/``scores[q]``.
    Scores are inner products, i.e. cosines for normalised vectors."""

    ids: Sequence[list[str]]  # a list, or LazyIds
    scores: np.ndarray
    rows: np.ndarray
    #: How the answer was computed: "exact", "ivf", "ivf+filter", "subset", "empty".
    method: str = "exact"
    info: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)

    def hits(self, q: int = 0) -> list[tuple[str, float]]:
        """``(id, score)`` pairs of query ``q``, best first."""
        return [(rid, float(s)) for rid, s in zip(self.ids[q], self.scores[q], strict=False)]


@runtime_checkable
class VectorIndex(Protocol):
    """A mutable, persistable maximum-inner-product index over string ids."""

    @property
    def dim(self) -> int:
        """Vector dimension."""
        ...

    @property
    def meta(self) -> dict[str, Any]:
        """Free-form metadata saved with the index (encoder name, store change number, ...)."""
        ...

    @property
    def n_rows(self) -> int:
        """Size of the row space (live rows plus free holes); masks are this long."""
        ...

    @property
    def generation(self) -> int:
        """Bumped whenever rows are renumbered; cached row masks are stale when it changes."""
        ...

    def __len__(self) -> int:
        """Number of live records."""
        ...

    def __contains__(self, record_id: object) -> bool: ...

    def ids(self) -> list[str]:
        """Live record ids, in row order."""
        ...

    def add(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        """Insert or replace (upsert): an id already present gets the new vector."""
        ...

    def remove(self, ids: Iterable[str]) -> int:
        """Remove these ids (unknown ids are ignored); returns how many were removed."""
        ...

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> SearchResult:
        """Top-``k`` by inner product for a ``(dim,)`` or ``(n, dim)`` query.

        ``allowed``: optional boolean mask over rows; only rows where it is True can be returned."""
        ...

    def search_subset(self, query: np.ndarray, rows_or_ids: Sequence[str] | np.ndarray, k: int) -> SearchResult:
        """Exact top-``k`` over a subset given as record ids, row numbers or a boolean row mask."""
        ...

    def vector(self, record_id: str) -> np.ndarray:
        """A copy of the stored vector of one id (``KeyError`` when absent)."""
        ...

    def vectors(self, ids: Sequence[str]) -> np.ndarray:
        """Copies of the stored vectors of these ids, ``(n, dim)`` (``KeyError`` when one is absent)."""
        ...

    def rows_for(self, ids: Iterable[str]) -> np.ndarray:
        """Rows of these ids, ``-1`` for ids not in the index."""
        ...

    def ids_for(self, rows: Iterable[int] | np.ndarray) -> list[str | None]:
        """Ids at these rows, ``None`` for free or out-of-range rows."""
        ...

    def save(self, path: str | Path, meta: dict[str, Any] | None = None) -> None:
        """Persist atomically: a reader sees the old index or the new one, never a mixture."""
        ...

    @classmethod
    def load(cls, path: str | Path) -> VectorIndex:
        """Load and verify a saved index; raises :class:`IndexCorrupt` when it cannot be trusted."""
        ...
