"""Job-matching engine for Hebei's grassroots public employment service stations.

Importing this package does no work: models, indexes and databases are opened
only by :meth:`MatchEngine.open`.
"""

from __future__ import annotations

__all__ = ["MatchEngine", "__version__"]
__version__ = "0.1.0"


def __getattr__(name: str):  # lazy export, keeps `import matcher` cheap
    if name == "MatchEngine":
        from matcher.engine import MatchEngine

        return MatchEngine
    raise AttributeError(name)
