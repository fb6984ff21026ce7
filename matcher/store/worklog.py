"""Reads and writes of the station-work tables (``schema.WORK_TABLES``): the employment ledger,
assistance cases and their contacts, service records and 包联 assignments.

Every row is its validated record as JSON (``data``) plus the columns the lists filter on; these
functions take and return the JSON dicts. The domain rules live in ``matcher.ledger``,
``matcher.cases`` and ``matcher.services``; only SQL lives here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import Connection

from matcher.store.schema import WORK_TABLES, seekers

_CHUNK = 500


def _conn(store, conn: Connection | None):
    """A context manager yielding ``conn`` itself, or a new transaction of ``store``."""
    if conn is not None:
        from contextlib import nullcontext

        return nullcontext(conn)
    return store.engine.begin()


def insert(store, kind: str, row: dict[str, Any], *, conn: Connection | None = None) -> None:
    """Insert one row (``row`` holds ``data`` and the filter columns)."""
    table = WORK_TABLES[kind]
    now = datetime.now(UTC)
    values = dict(row)
    for stamp in ("created_at", "updated_at", "recorded_at"):
        if stamp in table.c and stamp not in values:
            values[stamp] = now
    with _conn(store, conn) as c:
        c.execute(table.insert().values(**values))


def replace(store, kind: str, row_id: str, row: dict[str, Any], *, conn: Connection | None = None) -> None:
    """Update one row's data and filter columns."""
    table = WORK_TABLES[kind]
    values = {k: v for k, v in row.items() if k != "id"}
    if "updated_at" in table.c:
        values["updated_at"] = datetime.now(UTC)
    with _conn(store, conn) as c:
        c.execute(update(table).where(table.c.id == row_id).values(**values))


def delete(store, kind: str, row_id: str) -> bool:
    table = WORK_TABLES[kind]
    with store.engine.begin() as c:
        return c.execute(table.delete().where(table.c.id == row_id)).rowcount > 0


def get(store, kind: str, row_id: str) -> dict[str, Any] | None:
    table = WORK_TABLES[kind]
    with store.engine.connect() as c:
        row = c.execute(select(table.c.data).where(table.c.id == row_id)).first()
    return None if row is None else dict(row.data)


def _conditions(table, where: dict[str, Any]) -> list:
    """Equality (IN for a list) on columns, plus: ``region_prefix`` (region code starts with),
    ``since``/``until`` on the table's time column (``at``, ``started_at``; until is exclusive),
    ``due_before`` (``next_due`` before the date), ``no_owner`` (owner empty)."""
    time_col = table.c.get("at") if "at" in table.c else table.c.get("started_at")
    cond = []
    for key, value in where.items():
        if value is None:
            continue
        if key == "region_prefix":
            if value:
                cond.append(table.c.region_code.startswith(value, autoescape=True))
        elif key == "since":
            cond.append(time_col >= value)
        elif key == "until":
            cond.append(time_col < value)
        elif key == "due_before":
            cond.append(and_(table.c.next_due.is_not(None), table.c.next_due < value))
        elif key == "no_owner":
            if value:
                cond.append(or_(table.c.owner.is_(None), table.c.owner == ""))
        elif isinstance(value, list | tuple | set | frozenset):
            cond.append(table.c[key].in_(list(value)))
        else:
            cond.append(table.c[key] == value)
    return cond


def _order(table, order: str | None):
    if order == "next_due":  # soonest due first, undated last
        return [table.c.next_due.is_(None), table.c.next_due, table.c.id]
    if order and order.startswith("-"):
        return [table.c[order[1:]].desc(), table.c.id.desc()]
    if order:
        return [table.c[order], table.c.id]
    return [table.c.id]


def query(store, what: str, *, offset: int = 0, limit: int = 50, order: str | None = None,
          **where: Any) -> tuple[list[dict[str, Any]], int]:
    """One page of rows (as their JSON) and the total matching count (``what``: a WORK_TABLES key)."""
    table = WORK_TABLES[what]
    cond = _conditions(table, where)
    with store.engine.connect() as c:
        total = c.execute(select(func.count()).select_from(table).where(*cond)).scalar_one()
        rows = c.execute(select(table.c.data).where(*cond).order_by(*_order(table, order)).offset(offset).limit(limit))
        return [dict(r.data) for r in rows], total


def iter_rows(store, what: str, *, order: str | None = None, **where: Any) -> Iterator[dict[str, Any]]:
    """Every matching row's JSON (for statistics: the area's rows of a period)."""
    table = WORK_TABLES[what]
    with store.engine.connect() as c:
        for r in c.execute(select(table.c.data).where(*_conditions(table, where)).order_by(*_order(table, order))):
            yield dict(r.data)


def seekers_by_id_key(store, keys: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """Live seekers by ID-number hash (``seekers.id_key``): key -> [seeker dicts]."""
    from matcher.store.schema import TABLES

    return _by_column(store, TABLES["seeker"], "id_key", keys)


def employers_by_credit_code(store, codes: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    from matcher.store.schema import TABLES

    return _by_column(store, TABLES["employer"], "credit_code", codes)


def _by_column(store, table, column: str, values: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    values = [v for v in dict.fromkeys(values) if v]
    out: dict[str, list[dict[str, Any]]] = {}
    if not values:
        return out
    col = table.c[column]
    with store.engine.connect() as c:
        for i in range(0, len(values), _CHUNK):
            rows = c.execute(select(col, table.c.data).where(col.in_(values[i:i + _CHUNK]), table.c.deleted.is_(False))
                             .order_by(table.c.id))
            for r in rows:
                out.setdefault(r[0], []).append(dict(r.data))
    return out


def seekers_created(store, region_prefix: str, since: date, until: date) -> list[dict[str, Any]]:
    """Seekers first registered (``created_at``, UTC day) in [since, until) in an area:
    ``[{id, station_id, registered_at}]`` (no personal data)."""
    start = datetime(since.year, since.month, since.day, tzinfo=UTC)
    end = datetime(until.year, until.month, until.day, tzinfo=UTC)
    cond = [seekers.c.deleted.is_(False), seekers.c.created_at >= start, seekers.c.created_at < end]
    if region_prefix:
        cond.append(seekers.c.region_code.startswith(region_prefix, autoescape=True))
    q = select(seekers.c.id, seekers.c.station_id, seekers.c.created_at).where(*cond).order_by(seekers.c.id)
    with store.engine.connect() as c:
        return [{"id": r.id, "station_id": r.station_id, "registered_at": _utc(r.created_at).date().isoformat()}
                for r in c.execute(q)]


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
