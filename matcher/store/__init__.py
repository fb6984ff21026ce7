"""Storage: the records' source of truth (SQLite by default, PostgreSQL by URL)."""

from matcher.store.store import Change, Store, UpsertResult

__all__ = ["Change", "Store", "UpsertResult"]
