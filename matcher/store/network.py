"""The network items' table (cooperation pairs, events, attendance): put, get, list, delete.

Small collections read whole by the code that uses them; no change numbers, no index. Writes are
validated by the typed records of :mod:`matcher.records` (``NETWORK_TYPES``) before they get here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, delete, select

from matcher.errors import NotFoundError
from matcher.records import NETWORK_TYPES, Record
from matcher.store.schema import network_items


def _ref(kind: str, data: dict[str, Any]) -> tuple[str | None, str | None]:
    """(region_code, ref_id) columns of an item: what lists filter on."""
    if kind == "cooperation":
        return data.get("from_region"), data.get("to_region")
    if kind == "event":
        return None, data.get("station_id")
    if kind == "attendance":
        return None, data.get("event_id")
    return None, None


class NetworkItems:
    """Access to ``network_items`` through a :class:`~matcher.store.Store`'s engine."""

    def __init__(self, store):
        self.store = store

    def put(self, rec: Record) -> dict[str, Any]:
        kind = rec.record_kind
        if kind not in NETWORK_TYPES:
            raise ValueError(f"not a network item: {kind}")
        data = rec.to_dict()
        region, ref = _ref(kind, data)
        row = {"kind": kind, "id": rec.id, "region_code": region, "ref_id": ref, "data": data,
               "updated_at": datetime.now(UTC)}
        key = and_(network_items.c.kind == kind, network_items.c.id == rec.id)
        with self.store.engine.begin() as conn:
            conn.execute(delete(network_items).where(key))
            conn.execute(self.store.replacing_insert(network_items), [row])
        return data

    def get(self, kind: str, item_id: str) -> dict[str, Any]:
        with self.store.engine.connect() as conn:
            row = conn.execute(select(network_items.c.data).where(
                network_items.c.kind == kind, network_items.c.id == item_id)).first()
        if row is None:
            raise NotFoundError(kind, item_id)
        return row.data

    def all(self, kind: str, *, ref_id: str | None = None) -> list[dict[str, Any]]:
        q = select(network_items.c.data).where(network_items.c.kind == kind)
        if ref_id is not None:
            q = q.where(network_items.c.ref_id == ref_id)
        with self.store.engine.connect() as conn:
            return [r.data for r in conn.execute(q.order_by(network_items.c.id))]

    def delete(self, kind: str, item_id: str) -> bool:
        with self.store.engine.begin() as conn:
            res = conn.execute(delete(network_items).where(
                network_items.c.kind == kind, network_items.c.id == item_id))
        return res.rowcount > 0
