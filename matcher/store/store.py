"""The store: the source of truth for every record. SQLite by default, PostgreSQL by URL.

Every write runs in one transaction; upserts are by id and only bump ``version`` and ``seq`` when
the record really changed, so re-importing a file is idempotent and an index can sync from ``seq``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Engine,
    Text,
    and_,
    bindparam,
    cast,
    create_engine,
    event,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection

from matcher.errors import NotFoundError
from matcher.records import RECORD_TYPES, Record
from matcher.store.health import is_unavailable
from matcher.store.schema import TABLES, counters

_RECORD_COLUMNS = frozenset(("id", "data", "version", "seq", "created_at", "updated_at", "deleted", "data_hash"))
_BIG_BATCH = 2_000  # records: from here an upsert on SQLite runs as a big write (Store._big_write)
_BIG_CACHE_KIB = 65_536
_SQLITE_NORMAL, _SQLITE_FULL = 1, 2  # PRAGMA synchronous values
_CHUNK = 500  # ids per IN (...) clause: well under SQLite's and PostgreSQL's parameter limits

# Records hold personal data, so the SQL log never shows values: the engines hide bound parameters
# (in log lines and in error messages) and their result rows, which SQLAlchemy logs at DEBUG.
_LOGGING_NAME = "matcher"


def _no_rows(record: logging.LogRecord) -> bool:
    return record.levelno > logging.DEBUG


logging.getLogger(f"sqlalchemy.engine.Engine.{_LOGGING_NAME}").addFilter(_no_rows)

_CONNECT_TIMEOUT = 3  # seconds: a stopped or unreachable PostgreSQL fails a request fast instead of hanging it
_CLOSE_WAIT_S = 60.0  # Store.close waits this long at most for a WAL checkpoint under way
_STALE_JOBS = 50_000  # job records kept in memory for matches answered while the database is unreachable

_MIGRATION_LOCK = 0x6A6D6174  # PostgreSQL advisory lock key held while migrating ("jmat")


@dataclass
class UpsertResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    ids: list[str] = field(default_factory=list)
    # what this call wrote, as the change feed will return it (the engine applies it without
    # reading it back when nothing else changed in between); not part of any answer
    written: list[Change] = field(default_factory=list, repr=False, compare=False)

    def __iadd__(self, other: UpsertResult) -> UpsertResult:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.ids.extend(other.ids)
        self.written.extend(other.written)
        return self


@dataclass(frozen=True)
class Change:
    id: str
    seq: int
    deleted: bool
    data: dict[str, Any]


def canonical_json(data: dict[str, Any]) -> str:
    """A record's JSON as the store writes it: sorted keys, compact, UTF-8 text: the text of
    ``json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)``."""
    return _canonical_encoder()(data)


@functools.cache
def _canonical_encoder():
    """``json.dumps`` with :func:`canonical_json`'s options, its C encoder made once instead of per
    call (most of the call's cost for a ~1 kB record); the same text, chunk for chunk. Without the
    C accelerator: a reused ``JSONEncoder``. No circular-reference check: records are trees."""
    from json.encoder import c_make_encoder, encode_basestring

    if c_make_encoder is None:
        return json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode
    encode = c_make_encoder(None, str, encode_basestring, None, ":", ",", True, False, True)

    def dumps(data: Any) -> str:
        return "".join(encode(data, 0))

    return dumps


def text_digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def data_hash(data: dict[str, Any]) -> str:
    """The content hash stored with a record: blake2b-128 of its canonical JSON."""
    return text_digest(canonical_json(data))


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def id_number_key(id_number: str | None) -> str | None:
    """What the ``seekers.id_key`` column holds: a hash of the (normalised) ID number, so a
    duplicate can be found by ID number without a second plain copy of it in an indexed column."""
    if not id_number:
        return None
    return hashlib.sha256(f"hjm-id:{id_number.strip().upper()}".encode()).hexdigest()[:32]


def _columns(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """The indexed columns of one record, derived from its JSON."""
    if kind == "job":
        return {
            "title": data["title"],
            "occupation_code": data.get("occupation_code"),
            "employer_id": data.get("employer_id"),
            "region_code": data.get("region_code"),
            "status": data.get("status", "open"),
            "posted_at": _day(data.get("posted_at")),
            "expires_at": _day(data.get("expires_at")),
            "wage_min": data.get("wage_min"),
            "wage_max": data.get("wage_max"),
        }
    if kind == "seeker":
        phone = data.get("phone")
        return {
            "name": data.get("name"),
            "phone_tail": phone[-4:] if phone else None,
            "region_code": data.get("region_code"),
            "station_id": data.get("station_id"),
            "status": data.get("status", "unemployed"),
            "is_priority": bool(data.get("priority_groups")),
            "id_key": id_number_key(data.get("id_number")),
        }
    if kind == "employer":
        return {"name": data["name"], "region_code": data.get("region_code"), "credit_code": data.get("credit_code")}
    if kind == "station":
        return {"name": data["name"], "kind": data.get("kind", "community"), "region_code": data.get("region_code")}
    if kind == "referral":
        return {
            "seeker_id": data["seeker_id"],
            "job_id": data["job_id"],
            "station_id": data.get("station_id"),
            "status": data.get("status", "recommended"),
            "employer_id": data.get("employer_id"),
        }
    raise ValueError(f"unknown record kind {kind}")


def _create_private(path: Path) -> None:
    """Create the SQLite file readable by its owner only (0600) before SQLite opens it: it holds
    personal data. SQLite gives its -wal and -shm files the database file's permissions."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _made_to(refs, employer_id: str):
    """Referrals made to an employer: bound to it when made; a referral stored without that binding
    (written straight to the store) belongs to its job's employer."""
    jobs_t = TABLES["job"]
    return or_(refs.c.employer_id == employer_id,
               and_(refs.c.employer_id.is_(None),
                    refs.c.job_id.in_(select(jobs_t.c.id).where(jobs_t.c.employer_id == employer_id))))


def _sqlite_pragmas_read_only(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA query_only=ON")
    cur.close()


class _Writer:
    """Plain SQL and parameter makers for one record table on one database (built once per store).

    Values go through each column's SQLAlchemy bind processor, so they are exactly what a compiled
    SQLAlchemy statement would send (SQLite: dates and times as text, booleans as 0/1); ``data`` is
    bound as its canonical JSON text, cast to the column's JSON type on PostgreSQL."""

    def __init__(self, table, dialect) -> None:
        self.table = table
        quote = dialect.identifier_preparer.quote
        self.mark = "?" if dialect.paramstyle == "qmark" else "%s"
        self._q = quote
        self._pg = dialect.name == "postgresql"
        self.cols: tuple[str, ...] = tuple(
            c.name for c in table.columns if c.name not in _RECORD_COLUMNS)  # the indexed columns, _columns()'s order
        self._procs = {c.name: c.type._cached_bind_processor(dialect) for c in table.columns}
        self._col_procs = [self._procs[c] for c in self.cols]
        self.false = self.bind("deleted", False)
        self._select: dict[int, str] = {}
        self._update: dict[tuple[str, ...], str] = {}
        names = ["id", "data", "data_hash", "seq", "created_at", "updated_at", "deleted", "version", *self.cols]
        self.insert_sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in names)}) "
                           f"VALUES ({', '.join(self._mark(c) for c in names)})")

    def _mark(self, column: str) -> str:
        return f"CAST({self.mark} AS JSON)" if column == "data" and self._pg else self.mark

    def bind(self, column: str, value: Any) -> Any:
        proc = self._procs[column]
        return value if proc is None or value is None else proc(value)

    def db_values(self, columns: dict[str, Any]) -> tuple:
        """The indexed columns of one record (:func:`_columns`), as they are bound."""
        return tuple(v if p is None or v is None else p(v)
                     for v, p in zip(map(columns.__getitem__, self.cols), self._col_procs, strict=True))

    def select_sql(self, n: int) -> str:
        sql = self._select.get(n)
        if sql is None:
            q = self._q
            sql = self._select[n] = (
                f"SELECT {', '.join(q(c) for c in ('id', 'data_hash', 'version', 'deleted', *self.cols))} "
                f"FROM {q(self.table.name)} WHERE {q('id')} IN ({', '.join([self.mark] * n)})")
        return sql

    def update_sql(self, assigned: tuple[str, ...]) -> str:
        sql = self._update.get(assigned)
        if sql is None:
            q = self._q
            sql = self._update[assigned] = (
                f"UPDATE {q(self.table.name)} SET {', '.join(f'{q(c)} = {self._mark(c)}' for c in assigned)} "
                f"WHERE {q('id')} = {self.mark}")
        return sql


class _Checkpointer:
    """Runs ``PRAGMA wal_checkpoint(PASSIVE)`` on a thread of its own after a big SQLite write
    (:meth:`Store._big_write`), off the writer's path. One thread at most: requests made while a
    checkpoint runs are folded into one more pass, then the thread ends. A checkpoint copies only
    committed pages the WAL already holds (synced at commit) into the database file, so a failed or
    skipped one loses nothing: the next checkpoint (automatic at a later commit, or this) does it."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._wanted = False
        self._thread: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()

    def request(self) -> None:
        with self._lock:
            self._wanted = True
            if self._thread is None:
                self._idle.clear()
                self._thread = threading.Thread(target=self._run, name="matcher-wal-checkpoint", daemon=True)
                self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        return self._idle.wait(timeout)

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._wanted:
                    self._thread = None
                    self._idle.set()
                    return
                self._wanted = False
            try:
                with self._engine.connect() as conn:
                    conn.connection.dbapi_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except Exception:  # noqa: BLE001 - a later checkpoint catches up; nothing is lost
                logging.getLogger(__name__).warning("WAL checkpoint after a big write failed", exc_info=True)


class Store:
    """Typed access to the records. Create with :meth:`open`."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.read_only = False
        self._stmts: dict[str, Any] = {}
        self._writers: dict[str, _Writer] = {}
        # for :meth:`stale_reads`: recently read jobs (no personal data) and the last change numbers
        self._recent_jobs: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._recent_lock = threading.Lock()
        self._last_seq: dict[str | None, int] = {}
        self._stale = threading.local()
        self._access = None
        self._checkpointer = _Checkpointer(engine)

    @property
    def access(self):
        """Accounts, tokens, the audit log, consents and server keys (:mod:`matcher.store.access`)."""
        if self._access is None:
            from matcher.store.access import AccessStore

            self._access = AccessStore(self)
        return self._access

    # -- lifecycle ------------------------------------------------------------------------------
    @classmethod
    def open(cls, url: str, *, migrate: bool = True, read_only: bool = False) -> Store:
        """``read_only``: every connection refuses writes (SQLite ``mode=ro``, PostgreSQL read-only
        transactions) and the schema is not migrated: for workers that only read a store."""
        if url.startswith("sqlite:///"):
            path = url.removeprefix("sqlite:///")
            if read_only and path and path != ":memory:":
                url = f"sqlite:///file:{Path(path).resolve()}?mode=ro&uri=true"
            elif path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                _create_private(Path(path))
            engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True,
                                   logging_name=_LOGGING_NAME)
            event.listen(engine, "connect", _sqlite_pragmas_read_only if read_only else _sqlite_pragmas)
        else:
            args = {} if "connect_timeout" in url else {"connect_timeout": _CONNECT_TIMEOUT}
            if read_only:
                args["options"] = "-c default_transaction_read_only=on"
            engine = create_engine(url, pool_pre_ping=True, hide_parameters=True, logging_name=_LOGGING_NAME,
                                   connect_args=args)
        store = cls(engine)
        store.read_only = read_only
        if migrate and not read_only:
            store.migrate()
        return store

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", "matcher:migrations")
        with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                # Several processes starting on one new database would all create the tables and all
                # but one fail; this lock (held until commit) lets one migrate while the others wait,
                # then find the schema current.
                conn.execute(select(func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def revision(self) -> str | None:
        """The schema's Alembic revision (None: an empty database)."""
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def close(self) -> None:
        self._checkpointer.wait(_CLOSE_WAIT_S)  # a checkpoint under way finishes on its own connection
        self.engine.dispose()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    # -- writes ---------------------------------------------------------------------------------
    def _next_seq(self, conn: Connection, n: int) -> int:
        """Reserve ``n`` change numbers; returns the last. The counter row is locked until commit,
        so change numbers are handed out in commit order."""
        bump = update(counters).where(counters.c.name == "seq").values(value=counters.c.value + n)
        res = conn.execute(bump)
        if res.rowcount == 0:
            if self.dialect == "postgresql":
                # The first writes to a new database, in two connections at once: both find no row
                # and a plain INSERT fails in one of them. ON CONFLICT waits for the other's insert
                # to commit and then leaves its row to be bumped.
                from sqlalchemy.dialects.postgresql import insert as pg_insert

                conn.execute(pg_insert(counters).values(name="seq", value=0).on_conflict_do_nothing())
                conn.execute(bump)
            else:  # SQLite: the UPDATE above already holds the database's write lock
                conn.execute(counters.insert().values(name="seq", value=n))
        return conn.execute(select(counters.c.value).where(counters.c.name == "seq")).scalar_one()

    def upsert(self, kind: str, records: Sequence[Record], *, conn: Connection | None = None,
               dumped: Sequence[dict[str, Any]] | None = None) -> UpsertResult:
        """Insert or update records by id in one transaction (or in ``conn``'s transaction).

        A record is unchanged when the hash of its canonical JSON equals the stored ``data_hash``
        (rows from before migration 0007 have none and are compared by their decoded JSON). A changed
        record's UPDATE assigns only the indexed columns whose value changed, so SQLite and PostgreSQL
        leave the other indexes alone; records with the same set of changed columns share one
        ``executemany``. ``dumped``: each record's ``to_dict()``, when the caller has made it already.

        The statements are plain SQL run through the connection (``exec_driver_sql``), in its
        transaction, with parameters made by the columns' own SQLAlchemy bind processors: the values
        sent are the ones SQLAlchemy's compiled statements would send, without their per-row work."""
        if conn is None:
            with self.engine.connect() as c, self._big_write(c, len(records)), c.begin():
                self._begin_write(c)
                return self.upsert(kind, records, conn=c, dumped=dumped)
        table = TABLES[kind]
        result = UpsertResult()
        if not records:
            return result
        # Last one wins when a batch repeats an id.
        latest: dict[str, dict[str, Any]] = {}
        if dumped is None:
            for rec in records:
                latest[rec.id] = rec.to_dict()
        else:
            for rec, data in zip(records, dumped, strict=True):
                latest[rec.id] = data
        ids = list(latest)
        texts = {rid: canonical_json(data) for rid, data in latest.items()}  # serialised once: hashed and written
        hashes = {rid: text_digest(t) for rid, t in texts.items()}
        w = self._writer(kind)
        columns = {rid: w.db_values(_columns(kind, data)) for rid, data in latest.items()}  # as bound, in w.cols order
        existing = self._existing(conn, w, ids)  # id -> (data_hash, version, deleted, *w.cols as stored)
        legacy = [rid for rid, row in existing.items() if row[0] is None]  # stored without a hash: compared by JSON
        same_json: set[str] = set()
        for i in range(0, len(legacy), _CHUNK):
            chunk = legacy[i : i + _CHUNK]
            rows = conn.execute(select(table.c.id, table.c.data).where(table.c.id.in_(chunk)))
            same_json.update(r.id for r in rows if r.data == latest[r.id])

        def unchanged(rid: str) -> bool:
            row = existing.get(rid)
            if row is None or row[2]:
                return False
            return row[0] == hashes[rid] if row[0] is not None else rid in same_json

        changed = [i for i in ids if not unchanged(i)]
        result.unchanged = len(ids) - len(changed)
        result.ids = ids
        if not changed:
            return result
        last = self._next_seq(conn, len(changed))
        first = last - len(changed) + 1
        now = w.bind("updated_at", datetime.now(UTC))
        inserts: list[tuple] = []
        updates: dict[tuple[str, ...], list[tuple]] = {}
        n_cols = len(w.cols)
        for offset, rid in enumerate(changed):
            values = columns[rid]
            old = existing.get(rid)
            if old is None:
                inserts.append((rid, texts[rid], hashes[rid], first + offset, now, now, w.false, 1, *values))
                continue
            assigned = ["data", "data_hash", "seq", "updated_at", "version"]
            params = [texts[rid], hashes[rid], first + offset, now, old[1] + 1]
            if old[2]:
                assigned.append("deleted")
                params.append(w.false)
            for j in range(n_cols):
                if old[3 + j] != values[j]:
                    assigned.append(w.cols[j])
                    params.append(values[j])
            params.append(rid)
            updates.setdefault(tuple(assigned), []).append(tuple(params))
        if kind == "job":
            self._remember_jobs({rid: latest[rid] for rid in changed})
        # rows are written in id order (the primary key's order: fewer pages visited)
        if inserts:
            inserts.sort(key=lambda p: p[0])
            conn.exec_driver_sql(w.insert_sql, inserts)
        for assigned, params in updates.items():
            # one executemany per set of assigned columns (10k updates: a statement each was ~10x slower)
            params.sort(key=lambda p: p[-1])
            conn.exec_driver_sql(w.update_sql(assigned), params)
        result.inserted, result.updated = len(inserts), len(changed) - len(inserts)
        # to_dict() is model_dump(mode="json"): the same values the change feed decodes from the JSON
        result.written = [Change(rid, first + offset, False, latest[rid]) for offset, rid in enumerate(changed)]
        return result

    @contextmanager
    def _big_write(self, conn: Connection, n: int) -> Iterator[None]:
        """SQLite, a batch of thousands (``_BIG_BATCH``), for the connection's next transaction:

        - a page cache large enough for the pages the batch reads and then rewrites (the default
          2 MB evicts them between the SELECT and the UPDATE, and spills dirty pages mid-transaction);
        - no automatic WAL checkpoint at its commit: copying the batch's pages (tens of MB) from the
          WAL back into the database file and syncing it took most of the commit. The commit syncs
          the WAL instead (``synchronous=FULL`` for this one commit where the connection has
          ``NORMAL``), so a write that returned is on disk, as the checkpoint made it before; the
          copy-back runs after the commit on another connection (:class:`_Checkpointer`).

        The connection gets its own settings back after the commit."""
        if self.dialect != "sqlite" or n < _BIG_BATCH:
            yield
            return
        raw = conn.connection.dbapi_connection
        cache, auto, sync = (raw.execute(f"PRAGMA {p}").fetchone()[0]
                             for p in ("cache_size", "wal_autocheckpoint", "synchronous"))
        raw.execute(f"PRAGMA cache_size = {-_BIG_CACHE_KIB}")
        raw.execute("PRAGMA wal_autocheckpoint = 0")
        if int(sync) == _SQLITE_NORMAL:
            raw.execute(f"PRAGMA synchronous = {_SQLITE_FULL}")
        try:
            yield
        finally:
            raw.execute(f"PRAGMA cache_size = {int(cache)}")
            raw.execute(f"PRAGMA wal_autocheckpoint = {int(auto)}")
            raw.execute(f"PRAGMA synchronous = {int(sync)}")
        self._checkpointer.request()

    def _begin_write(self, conn: Connection) -> None:
        """SQLite: start the transaction as a write (``BEGIN IMMEDIATE``) before anything is read.
        Python's ``sqlite3`` would begin it only at the first write, so the stored hashes and
        versions an upsert reads first could be changed by another process's commit before its own
        write began (a wrong version number, a change taken for unchanged). Waits like any writer
        (``busy_timeout``). PostgreSQL: nothing here."""
        if self.dialect == "sqlite":
            raw = conn.connection.dbapi_connection
            if not raw.in_transaction:
                raw.execute("BEGIN IMMEDIATE")

    def wait_for_checkpoint(self, timeout: float | None = None) -> bool:
        """Wait until no WAL checkpoint started by a big write is pending or running (SQLite; at
        once elsewhere). False when ``timeout`` passed first."""
        return self._checkpointer.wait(timeout)

    def _writer(self, kind: str) -> _Writer:
        w = self._writers.get(kind)
        if w is None:
            w = self._writers[kind] = _Writer(TABLES[kind], self.engine.dialect)
        return w

    @staticmethod
    def _existing(conn: Connection, w: _Writer, ids: list[str]) -> dict[str, tuple]:
        """The stored state of the rows with these ids: ``(data_hash, version, deleted, *indexed
        columns)``, the columns as the database hands them back without SQLAlchemy's result
        processing (compared with :meth:`_Writer.db_values`, which are in the same form)."""
        out: dict[str, tuple] = {}
        cur = conn.connection.dbapi_connection.cursor()  # the DB-API cursor: rows as plain tuples
        try:
            for i in range(0, len(ids), _CHUNK):
                chunk = ids[i : i + _CHUNK]
                cur.execute(w.select_sql(len(chunk)), chunk)
                for row in cur.fetchall():
                    out[row[0]] = tuple(row[1:])
        finally:
            cur.close()
        return out

    def replacing_insert(self, table):
        """An INSERT into ``table`` that replaces a row with the same primary key. Callers delete
        the rows first; on PostgreSQL another process may insert the same key between that DELETE
        and this INSERT (two servers embedding one new record at once) and a plain INSERT would
        then fail, so there it is ``ON CONFLICT DO UPDATE``. On SQLite the DELETE already holds the
        database's write lock, so the plain INSERT is kept."""
        if self.dialect != "postgresql":
            return table.insert()
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(table)
        key = [c.name for c in table.primary_key.columns]
        return stmt.on_conflict_do_update(
            index_elements=key, set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name not in key})

    # -- stored embeddings ------------------------------------------------------------------------
    def stored_vectors(self, kind: str, encoder: str, ids: Sequence[str]) -> dict[str, tuple[str, bytes]]:
        """Persisted embeddings of records: id -> (text hash, float32 bytes), for one encoder."""
        from matcher.store.schema import embeddings as e

        known: dict[str, tuple[str, bytes]] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(ids), 500):
                chunk = list(ids[i : i + 500])
                rows = conn.execute(select(e.c.id, e.c.text_hash, e.c.vector).where(
                    and_(e.c.kind == kind, e.c.encoder == encoder, e.c.id.in_(chunk))))
                known.update({r.id: (r.text_hash, r.vector) for r in rows})
        return known

    def save_vectors(self, kind: str, encoder: str, rows: Sequence[tuple[str, str, bytes]]) -> None:
        """Persist embeddings (id, text hash, float32 bytes) of one encoder, replacing older ones,
        in one transaction."""
        from matcher.store.schema import embeddings as e

        if not rows:
            return
        with self.engine.begin() as conn:
            for j in range(0, len(rows), 500):
                chunk = rows[j : j + 500]
                conn.execute(e.delete().where(and_(e.c.kind == kind, e.c.encoder == encoder,
                                                   e.c.id.in_([c[0] for c in chunk]))))
                conn.execute(self.replacing_insert(e), [
                    {"kind": kind, "id": rid, "encoder": encoder, "text_hash": h, "vector": v} for rid, h, v in chunk])

    def region_codes(self, kind: str) -> set[str]:
        """The distinct region codes of live records of ``kind``."""
        t = TABLES[kind]
        with self.engine.connect() as conn:
            q = select(t.c.region_code).where(t.c.deleted.is_(False), t.c.region_code.is_not(None)).distinct()
            return {r[0] for r in conn.execute(q)}

    def live_regions(self, kind: str) -> list[tuple[str, str | None]]:
        """(id, region code) of every live record of ``kind``."""
        t = TABLES[kind]
        with self.engine.connect() as conn:
            return [(r[0], r[1]) for r in conn.execute(select(t.c.id, t.c.region_code).where(t.c.deleted.is_(False)))]

    def delete(self, kind: str, record_id: str) -> bool:
        """Tombstone a record (kept for index sync and audit). Returns False if absent."""
        table = TABLES[kind]
        with self.engine.begin() as conn:
            found = conn.execute(
                select(table.c.id).where(and_(table.c.id == record_id, table.c.deleted.is_(False)))
            ).first()
            if not found:
                return False
            seq = self._next_seq(conn, 1)
            conn.execute(
                update(table)
                .where(table.c.id == record_id)
                .values(deleted=True, seq=seq, version=table.c.version + 1, updated_at=datetime.now(UTC))
            )
            return True

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction for several reads and writes (``upsert(..., conn=)``, :meth:`read_live`)."""
        with self.engine.begin() as conn:
            yield conn

    # -- reads ----------------------------------------------------------------------------------
    def read_live(self, kind: str, record_id: str, conn: Connection) -> dict[str, Any] | None:
        """A live record read inside ``conn``'s transaction (None when absent or deleted)."""
        table = TABLES[kind]
        row = conn.execute(select(table.c.data).where(table.c.id == record_id, table.c.deleted.is_(False))).first()
        return None if row is None else dict(row.data)

    def id_states(self, kind: str, ids: Iterable[str]) -> dict[str, tuple[bool, dict[str, Any]]]:
        """Every stored row of these ids, deleted ones (tombstones) included: id -> (deleted, data).
        An id once used stays bound to its record: a tombstone is never brought back by another."""
        ids = list(dict.fromkeys(ids))
        table = TABLES[kind]
        out: dict[str, tuple[bool, dict[str, Any]]] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(ids), _CHUNK):
                q = select(table.c.id, table.c.deleted, table.c.data).where(table.c.id.in_(ids[i : i + _CHUNK]))
                out.update({r.id: (bool(r.deleted), r.data) for r in conn.execute(q)})
        return out

    def employer_job_ids(self, employer_id: str) -> set[str]:
        table = TABLES["job"]
        with self.engine.connect() as conn:
            rows = conn.execute(select(table.c.id).where(table.c.employer_id == employer_id, table.c.deleted.is_(False)))
            return {r.id for r in rows}

    def employer_referrals(self, employer_id: str, seeker_ids: list[str] | None = None) -> list[dict[str, Any]]:
        """Live referrals made to this employer (of these seekers, when given)."""
        refs = TABLES["referral"]
        if seeker_ids is not None and not seeker_ids:
            return []
        q = select(refs.c.data).where(refs.c.deleted.is_(False), *self._filters(refs, {"employer_jobs": employer_id}))
        if seeker_ids is not None:
            q = q.where(refs.c.seeker_id.in_(list(seeker_ids)))
        with self.engine.connect() as conn:
            return [r.data for r in conn.execute(q)]

    def get(self, kind: str, record_id: str) -> Record:
        rec = self.find(kind, record_id)
        if rec is None:
            raise NotFoundError(kind, record_id)
        return rec

    def find(self, kind: str, record_id: str) -> Record | None:
        data = self.get_dicts(kind, [record_id]).get(record_id)
        return None if data is None else RECORD_TYPES[kind].model_validate(data)

    def get_dicts(self, kind: str, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Stored records as plain dicts (already validated when written), by id."""
        ids = list(dict.fromkeys(ids))
        out: dict[str, dict[str, Any]] = {}
        if not ids:
            return out
        query = self._by_ids(kind)
        try:
            with self.engine.connect() as conn:
                for i in range(0, len(ids), _CHUNK):
                    out.update({r.id: r.data for r in conn.execute(query, {"ids": ids[i : i + _CHUNK]})})
        except Exception as exc:
            if kind == "job" and self._stale_allowed(exc):
                with self._recent_lock:
                    return {i: self._recent_jobs[i] for i in ids if i in self._recent_jobs}
            raise
        if kind == "job":
            self._remember_jobs(out)
        return out

    # -- reads while the database is unreachable ----------------------------------------------------
    @contextmanager
    def stale_reads(self) -> Iterator[dict[str, bool]]:
        """In this thread, while the database is unreachable, let the reads that matching needs
        answer from memory instead of failing: :meth:`changes_since` finds nothing new (the index
        keeps what it has and catches up from the change feed later), :meth:`max_seq` repeats its
        last answer and :meth:`get_dicts` of jobs returns the jobs read recently. Only jobs are
        kept (no personal data), at most ``_STALE_JOBS``. Writes and every other read still fail.
        Yields ``{"used": bool}``: whether a read was answered from memory."""
        before = getattr(self._stale, "state", None)
        state = {"used": False}
        self._stale.state = state
        try:
            yield state
        finally:
            self._stale.state = before
            if before is not None and state["used"]:
                before["used"] = True

    def stale_allowed(self, exc: BaseException) -> bool:
        """For a read outside the store that matching needs (e.g. cooperation pairs): inside
        :meth:`stale_reads`, is ``exc`` the database being unreachable? Then the caller answers from
        memory, and the answer is marked stale."""
        return self._stale_allowed(exc)

    def _stale_allowed(self, exc: BaseException) -> bool:
        state = getattr(self._stale, "state", None)
        if state is None or not is_unavailable(exc):
            return False
        state["used"] = True
        return True

    def _remember_jobs(self, jobs: dict[str, dict[str, Any]], gone: Iterable[str] = ()) -> None:
        """Keep jobs read, written or seen in the change feed (their long description left out)."""
        with self._recent_lock:
            recent = self._recent_jobs
            for rid in gone:
                recent.pop(rid, None)
            for rid, data in jobs.items():
                recent[rid] = {k: v for k, v in data.items() if k != "description"}
                recent.move_to_end(rid)
            while len(recent) > _STALE_JOBS:
                recent.popitem(last=False)

    def _by_ids(self, kind: str):
        """One cached statement per kind (SQLAlchemy caches its compiled form)."""
        query = self._stmts.get(kind)
        if query is None:
            table = TABLES[kind]
            query = select(table.c.id, table.c.data).where(
                table.c.id.in_(bindparam("ids", expanding=True)), table.c.deleted.is_(False))
            self._stmts[kind] = query
        return query

    def iter_dicts(self, kind: str, *, batch: int = 5_000, **where: Any) -> Iterator[dict[str, Any]]:
        """Every live record of a kind as dicts, in id order, fetched in batches (keyset paging)."""
        table = TABLES[kind]
        last = None
        with self.engine.connect() as conn:
            while True:
                q = select(table.c.id, table.c.data).where(table.c.deleted.is_(False), *self._filters(table, where))
                if last is not None:
                    q = q.where(table.c.id > last)
                rows = conn.execute(q.order_by(table.c.id).limit(batch)).all()
                if not rows:
                    return
                for r in rows:
                    yield r.data
                last = rows[-1].id

    def list(self, kind: str, *, offset: int = 0, limit: int = 50, **where: Any) -> tuple[list[dict[str, Any]], int]:
        """One page of live records (id order) and the total matching count."""
        table = TABLES[kind]
        cond = [table.c.deleted.is_(False), *self._filters(table, where)]
        with self.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(table).where(*cond)).scalar_one()
            rows = conn.execute(select(table.c.data).where(*cond).order_by(table.c.id).offset(offset).limit(limit))
            return [r.data for r in rows], total

    def count(self, kind: str, **where: Any) -> int:
        table = TABLES[kind]
        with self.engine.connect() as conn:
            return conn.execute(
                select(func.count()).select_from(table).where(table.c.deleted.is_(False), *self._filters(table, where))
            ).scalar_one()

    def changes_since(self, kind: str, seq: int, until: int | None = None) -> list[Change]:
        """Records (live and deleted) whose change number is above ``seq`` (and at most ``until``),
        oldest first."""
        table = TABLES[kind]
        cond = table.c.seq > seq if until is None else and_(table.c.seq > seq, table.c.seq <= until)
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    select(table.c.id, table.c.seq, table.c.deleted, table.c.data).where(cond).order_by(table.c.seq)
                )
                out = [Change(r.id, r.seq, r.deleted, r.data) for r in rows]
            if kind == "job" and out:
                self._remember_jobs({c.id: c.data for c in out if not c.deleted}, [c.id for c in out if c.deleted])
            return out
        except Exception as exc:
            if self._stale_allowed(exc):
                return []
            raise

    def max_seq(self, kind: str | None = None) -> int:
        """The newest change number of a kind (or of the whole store)."""
        try:
            with self.engine.connect() as conn:
                if kind is None:
                    v = conn.execute(select(counters.c.value).where(counters.c.name == "seq")).scalar()
                else:
                    v = conn.execute(select(func.max(TABLES[kind].c.seq))).scalar()
        except Exception as exc:
            if kind in self._last_seq and self._stale_allowed(exc):
                return self._last_seq[kind]
            raise
        self._last_seq[kind] = int(v or 0)
        return int(v or 0)

    @staticmethod
    def _filters(table, where: dict[str, Any]) -> list:
        """Column equality (or IN for a list), plus these keys:

        ``region_prefix`` region code starts with; ``occupation_prefix`` occupation code starts with
        (``4-07`` finds ``4-07-05-01``); ``name_contains`` / ``title_contains`` case-insensitive
        substring; ``name_or_phone_tail`` a seeker's name contains the text, or, for 4 digits, the
        phone ends with them; ``priority_group`` a seeker in that assistance group; ``station_kind`` a
        station's kind; ``seq_above`` changed after that change number; ``employer_jobs`` referrals
        to that employer's jobs; ``seeker_region_prefix`` referrals of seekers in that area;
        ``referred_to_employer`` seekers with a live referral to that employer's jobs."""
        cond = []
        for key, value in where.items():
            if value is None:
                continue
            if key == "region_prefix":
                cond.append(table.c.region_code.startswith(value, autoescape=True))
            elif key == "occupation_prefix":
                cond.append(table.c.occupation_code.startswith(value, autoescape=True))
            elif key in ("name_contains", "title_contains"):
                col = table.c[key.removesuffix("_contains")]
                cond.append(func.lower(col).contains(str(value).lower(), autoescape=True))
            elif key == "name_or_phone_tail":
                text = str(value).strip()
                by_name = func.lower(table.c.name).contains(text.lower(), autoescape=True)
                if len(text) == 4 and text.isdigit():
                    cond.append(or_(by_name, table.c.phone_tail == text))
                else:
                    cond.append(by_name)
            elif key == "priority_group":
                # The groups live in the record's JSON; enum values appear there only as list items.
                cond.append(and_(table.c.is_priority.is_(True),
                                 cast(table.c.data, Text).contains(f'"{value}"', autoescape=True)))
            elif key == "station_kind":  # a station's ``kind`` (the name ``kind`` is the record kind)
                cond.append(table.c.kind == value)
            elif key == "employer_jobs":  # referrals made to an employer (its jobs' employer at the time)
                cond.append(_made_to(table, value))
            elif key == "seeker_region_prefix":  # referrals of seekers registered in an area
                seekers_t = TABLES["seeker"]
                cond.append(table.c.seeker_id.in_(
                    select(seekers_t.c.id).where(seekers_t.c.region_code.startswith(value, autoescape=True))))
            elif key == "referred_to_employer":  # seekers with a live referral to one of an employer's jobs
                refs = TABLES["referral"]
                cond.append(table.c.id.in_(select(refs.c.seeker_id).where(
                    refs.c.deleted.is_(False), refs.c.status != "withdrawn", _made_to(refs, value))))
            elif key == "seq_above":
                cond.append(table.c.seq > value)
            elif isinstance(value, list | tuple | set):
                cond.append(table.c[key].in_(list(value)))
            else:
                cond.append(table.c[key] == value)
        return cond
