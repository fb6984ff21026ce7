"""index stage of the matching pipeline: vector indexes (FAISS) behind a small protocol.

Importing this package does no work; names are resolved on first use so that ``faiss`` is only
loaded by code that actually builds or searches an index.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from matcher.index.base import (
        DimensionMismatch,
        IndexCorrupt,
        IndexInputError,
        SearchResult,
        VectorIndex,
    )
    from matcher.index.faiss_index import FaissIndex

__all__ = [
    "DimensionMismatch",
    "FaissIndex",
    "IndexCorrupt",
    "IndexInputError",
    "SearchResult",
    "VectorIndex",
]

_FROM_BASE = {"DimensionMismatch", "IndexCorrupt", "IndexInputError", "SearchResult", "VectorIndex"}


def __getattr__(name: str) -> Any:  # lazy export
    if name in _FROM_BASE:
        from matcher.index import base

        return getattr(base, name)
    if name == "FaissIndex":
        from matcher.index.faiss_index import FaissIndex

        return FaissIndex
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
