import pytest

from matcher.errors import NotFoundError
from matcher.records import Job, Seeker
from matcher.store import Store


def jobs(n, **extra):
    return [Job.model_validate({"id": f"J{i:03d}", "title": f"岗位{i}", "region_code": "130102", **extra}) for i in range(n)]


def test_upsert_insert_update_unchanged(store):
    r = store.upsert("job", jobs(3))
    assert (r.inserted, r.updated, r.unchanged) == (3, 0, 0)
    r = store.upsert("job", jobs(3))
    assert (r.inserted, r.updated, r.unchanged) == (0, 0, 3)
    changed = jobs(3)
    changed[1] = Job.model_validate({**changed[1].to_dict(), "title": "新标题"})
    r = store.upsert("job", changed)
    assert (r.inserted, r.updated, r.unchanged) == (0, 1, 2)
    assert store.get("job", "J001").title == "新标题"
    assert store.count("job") == 3


def test_versions_and_change_numbers(store):
    store.upsert("job", jobs(2))
    base = store.max_seq("job")
    store.upsert("job", [Job.model_validate({"id": "J000", "title": "改", "region_code": "130102"})])
    changes = store.changes_since("job", base)
    assert [c.id for c in changes] == ["J000"] and changes[0].seq > base
    store.delete("job", "J001")
    changes = store.changes_since("job", base)
    assert [(c.id, c.deleted) for c in changes] == [("J000", False), ("J001", True)]
    assert store.find("job", "J001") is None
    with pytest.raises(NotFoundError) as ei:
        store.get("job", "J001")
    assert "未找到" in ei.value.message


def test_delete_then_reinsert_resurrects(store):
    store.upsert("job", jobs(1))
    assert store.delete("job", "J000") and not store.delete("job", "J000")
    r = store.upsert("job", jobs(1))
    assert r.updated == 1 and store.count("job") == 1


def test_failed_write_leaves_nothing(store):
    good = jobs(2)
    with pytest.raises(RuntimeError), store.engine.begin() as conn:
        store.upsert("job", good, conn=conn)
        raise RuntimeError("crash mid-transaction")
    assert store.count("job") == 0


def test_list_filters_and_paging(store):
    store.upsert("job", jobs(5) + [Job.model_validate({"id": "K1", "title": "x", "region_code": "130602"})])
    page, total = store.list("job", offset=0, limit=2, region_prefix="1301")
    assert total == 5 and [p["id"] for p in page] == ["J000", "J001"]
    assert store.count("job", region_prefix="1306") == 1
    assert [d["id"] for d in store.iter_dicts("job", batch=2)] == ["J000", "J001", "J002", "J003", "J004", "K1"]


def test_seeker_columns(store):
    store.upsert("seeker", [Seeker.model_validate({"id": "S1", "name": "王芳", "phone": "13800138000",
                                                   "priority_groups": "残疾人", "station_id": "ST1"})])
    page, _ = store.list("seeker", phone_tail="8000", is_priority=True)
    assert page[0]["name"] == "王芳"


def test_reopen_keeps_data_and_schema(database_url):
    s = Store.open(database_url)
    s.upsert("job", jobs(2))
    s.close()
    s = Store.open(database_url)
    assert s.count("job") == 2
    s.close()


# -- several processes on one database (threads with their own connections stand in for them) ------
def _at_once(n, fn):
    """Run ``fn(i)`` in ``n`` threads released together; returns the exceptions raised."""
    import threading

    barrier, errors = threading.Barrier(n), []

    def run(i):
        barrier.wait()
        try:
            fn(i)
        except Exception as e:  # noqa: BLE001 - collected for the assertion
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a writer is still waiting after 60 s"
    return errors


def test_servers_starting_together_on_a_new_database_migrate_once(database_url):
    """Processes (Alembic is not thread-safe) opening a new database at once: one migrates, the
    others wait for it and find the schema current."""
    import subprocess
    import sys

    if database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL: the migration takes an advisory lock")
    code = "import sys; from matcher.store import Store; Store.open(sys.argv[1]).close()"
    procs = [subprocess.Popen([sys.executable, "-c", code, database_url], stderr=subprocess.PIPE) for _ in range(3)]
    try:
        failures = [p.communicate(timeout=120)[1].decode()[-800:] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert [p.returncode for p in procs] == [0, 0, 0], failures
    s = Store.open(database_url)
    assert s.count("job") == 0
    s.close()


def test_first_writes_from_two_connections_at_once(database_url):
    """On a new database both writers find no change counter; neither may fail creating it."""
    stores = [Store.open(database_url) for _ in range(2)]
    try:
        errors = _at_once(2, lambda i: stores[i].upsert("job", [jobs(2)[i]]))
        assert errors == []
        assert stores[0].max_seq() == 2 and sorted(c.seq for c in stores[0].changes_since("job", 0)) == [1, 2]
    finally:
        for s in stores:
            s.close()


def test_an_embedding_written_meanwhile_by_another_process_is_replaced(database_url):
    """Two servers embedding one new record at once: the second writer's delete finds nothing (the
    first has not committed), then its insert meets the first's row; it must replace it, not fail."""
    import threading

    from matcher.store.schema import embeddings

    def row(h):
        return {"kind": "job", "id": "J000", "encoder": "e", "text_hash": h, "vector": b"\0" * 8}

    stores = [Store.open(database_url) for _ in range(2)]
    try:
        other = stores[0].engine.connect()
        tx = other.begin()
        other.execute(embeddings.insert(), [row("first")])  # not committed yet
        errors = []

        def write():
            try:
                with stores[1].engine.begin() as conn:  # what MatchEngine._embed_records does
                    conn.execute(embeddings.delete().where(embeddings.c.id == "J000"))
                    conn.execute(stores[1].replacing_insert(embeddings), [row("second")])
            except Exception as e:  # noqa: BLE001
                errors.append(e)

        t = threading.Thread(target=write)
        t.start()
        t.join(timeout=1)  # it waits for the other transaction (PostgreSQL: the key; SQLite: the lock)
        tx.commit()
        other.close()
        t.join(timeout=60)
        assert errors == []
        with stores[1].engine.connect() as conn:
            assert conn.execute(embeddings.select()).all()[0].text_hash == "second"
    finally:
        for s in stores:
            s.close()


def test_unchanged_by_stored_hash_and_legacy_rows_by_json(store):
    from sqlalchemy import select, update

    from matcher.store.schema import TABLES
    from matcher.store.store import data_hash

    t = TABLES["job"]
    store.upsert("job", jobs(3))
    with store.engine.connect() as conn:
        stored = dict(conn.execute(select(t.c.id, t.c.data_hash)).all())
    assert stored == {j.id: data_hash(j.to_dict()) for j in jobs(3)}
    # rows written before the hash existed (NULL) are compared by their JSON, and get a hash when changed
    with store.engine.begin() as conn:
        conn.execute(update(t).values(data_hash=None))
    seq = store.max_seq("job")
    changed = jobs(3)
    changed[2] = Job.model_validate({**changed[2].to_dict(), "wage_min": 4000})
    r = store.upsert("job", changed)
    assert (r.inserted, r.updated, r.unchanged) == (0, 1, 2)
    assert [c.id for c in store.changes_since("job", seq)] == ["J002"]
    with store.engine.connect() as conn:
        stored = dict(conn.execute(select(t.c.id, t.c.data_hash)).all())
    assert stored == {"J000": None, "J001": None, "J002": data_hash(changed[2].to_dict())}


def test_update_assigns_changed_columns_and_keeps_the_rest(store):
    from sqlalchemy import select

    from matcher.store.schema import TABLES

    t = TABLES["job"]
    base = [Job.model_validate({"id": f"J{i}", "title": f"岗位{i}", "region_code": "130102", "employer_id": "E1",
                                "occupation_code": "4-07-05-01", "wage_min": 3000, "posted_at": "2026-11-01"})
            for i in range(4)]
    store.upsert("job", base)
    store.delete("job", "J3")
    new = [
        Job.model_validate({**base[0].to_dict(), "wage_min": 3500}),  # one column
        Job.model_validate({**base[1].to_dict(), "region_code": "130602", "status": "closed"}),  # two others
        Job.model_validate({**base[2].to_dict(), "lat": 38.0, "lng": 114.5}),  # JSON only, no column
        Job.model_validate({**base[3].to_dict(), "title": "复活"}),  # a tombstone comes back
    ]
    r = store.upsert("job", new)
    assert (r.inserted, r.updated, r.unchanged) == (0, 4, 0)
    with store.engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(select(t))}
    assert rows["J0"].wage_min == 3500 and rows["J0"].region_code == "130102" and rows["J0"].version == 2
    assert (rows["J1"].region_code, rows["J1"].status, rows["J1"].employer_id) == ("130602", "closed", "E1")
    assert rows["J2"].data["lat"] == 38.0 and rows["J2"].wage_min == 3000
    assert rows["J3"].deleted is False and rows["J3"].title == "复活" and rows["J3"].version == 3
    assert store.count("job", region_prefix="1306") == 1 and store.count("job") == 4
    assert len({r.seq for r in rows.values()}) == 4


def test_migration_0007_backfills_the_hash(store):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import select

    from matcher.store.schema import TABLES
    from matcher.store.store import data_hash

    store.upsert("job", jobs(3))
    cfg = Config()
    cfg.set_main_option("script_location", "matcher:migrations")
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002")
    store.migrate()  # back to head: the column returns, filled from each row's JSON
    with store.engine.connect() as conn:
        stored = dict(conn.execute(select(TABLES["job"].c.id, TABLES["job"].c.data_hash)).all())
    assert stored == {j.id: data_hash(j.to_dict()) for j in jobs(3)}
    assert store.upsert("job", jobs(3)).unchanged == 3


def test_a_big_batch_writes_the_same_rows_and_leaves_the_page_cache_as_it_was(store, monkeypatch):
    """From _BIG_BATCH records on SQLite the write runs with a larger page cache (Store._big_write):
    the stored rows are the ones a small batch writes, and the connection gets its own size back."""
    from sqlalchemy import select

    import matcher.store.store as store_module
    from matcher.store.schema import TABLES

    t = TABLES["job"]
    store.upsert("job", jobs(6))
    monkeypatch.setattr(store_module, "_BIG_BATCH", 3)
    changed = [Job.model_validate({**j.to_dict(), "wage_min": 5000, "status": "closed" if i % 2 else "open"})
               for i, j in enumerate(jobs(6))]
    r = store.upsert("job", changed)
    assert (r.inserted, r.updated, r.unchanged) == (0, 6, 0)
    with store.engine.connect() as conn:
        rows = {row.id: row for row in conn.execute(select(t))}
        if store.dialect == "sqlite":
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -2000
    assert {rid: (row.wage_min, row.status, row.version) for rid, row in rows.items()} == \
        {j.id: (5000.0, j.status.value, 2) for j in changed}
    assert {rid: row.data for rid, row in rows.items()} == {j.id: j.to_dict() for j in changed}
    # dates and times bound by the plain-SQL write read back through SQLAlchemy's own types
    from datetime import date, datetime
    assert all(isinstance(row.updated_at, datetime) and row.updated_at >= row.created_at.replace(tzinfo=row.updated_at.tzinfo)
               for row in rows.values())
    assert all(row.posted_at is None or type(row.posted_at) is date for row in rows.values())


def test_a_big_sqlite_write_commits_synced_and_is_checkpointed_after_it(store, monkeypatch):
    """A big SQLite write (Store._big_write) commits without the automatic WAL checkpoint, its WAL
    synced at the commit (synchronous=FULL for that commit only); the copy into the database file
    runs afterwards on another connection. Before that copy another connection already reads the new
    rows (from the WAL); after it the database file itself holds them; the writer's connection gets
    its own settings back."""
    import sqlite3
    import threading

    from sqlalchemy import event

    import matcher.store.store as store_module

    if store.dialect != "sqlite":
        assert store.wait_for_checkpoint(0)  # nothing to wait for on PostgreSQL
        pytest.skip("SQLite's WAL only")
    path = store.engine.url.database
    store.upsert("job", jobs(6))
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # the 6 rows in the file itself
    store.engine.dispose()
    statements: list[str] = []
    event.listen(store.engine, "connect", lambda dbapi, _rec: dbapi.set_trace_callback(statements.append))
    release = threading.Event()
    real_run = store_module._Checkpointer._run

    def held_run(self):
        release.wait(10)
        real_run(self)

    monkeypatch.setattr(store_module._Checkpointer, "_run", held_run)
    monkeypatch.setattr(store_module, "_BIG_BATCH", 3)
    changed = [Job.model_validate({**j.to_dict(), "wage_min": 4321}) for j in jobs(6)]
    assert store.upsert("job", changed).updated == 6

    def in_file() -> dict[str, float]:
        """The rows as the database file holds them, the WAL ignored."""
        raw = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
        try:
            return dict(raw.execute("SELECT id, wage_min FROM jobs"))
        finally:
            raw.close()

    other = Store.open(f"sqlite:///{path}")
    try:
        assert {j.id: j.wage_min for j in (other.get("job", j.id) for j in changed)} == {j.id: 4321 for j in changed}
    finally:
        other.close()
    assert set(in_file().values()) == {None}  # not yet copied into the file
    assert not store.wait_for_checkpoint(0)
    sql = [s.strip().upper() for s in statements]
    begin = next(i for i, s in enumerate(sql) if s.startswith("UPDATE") and "COUNTERS" in s)
    commit = sql.index("COMMIT")
    assert "PRAGMA SYNCHRONOUS = 2" in sql[:begin] and "PRAGMA WAL_AUTOCHECKPOINT = 0" in sql[:begin]
    assert {"PRAGMA SYNCHRONOUS = 1", "PRAGMA WAL_AUTOCHECKPOINT = 1000", "PRAGMA CACHE_SIZE = -2000"} <= set(sql[commit:])
    with store.engine.connect() as conn:
        assert [conn.exec_driver_sql(f"PRAGMA {p}").scalar() for p in ("synchronous", "wal_autocheckpoint")] == [1, 1000]

    release.set()
    assert store.wait_for_checkpoint(10)
    assert in_file() == {j.id: 4321 for j in changed}
    assert any("WAL_CHECKPOINT(PASSIVE)" in s for s in (x.upper() for x in statements[commit:]))


def test_a_small_sqlite_write_keeps_the_automatic_checkpoint_and_close_waits_for_a_pending_one(store, monkeypatch):
    import matcher.store.store as store_module

    started: list[int] = []
    real_request = store_module._Checkpointer.request
    monkeypatch.setattr(store_module._Checkpointer, "request", lambda self: (started.append(1), real_request(self)))
    store.upsert("job", jobs(4))
    assert started == []  # below _BIG_BATCH: the write is unchanged
    monkeypatch.setattr(store_module, "_BIG_BATCH", 3)
    store.upsert("job", [Job.model_validate({**j.to_dict(), "wage_min": 10}) for j in jobs(4)])
    assert started == ([1] if store.dialect == "sqlite" else [])
    store.close()
    assert store._checkpointer._thread is None and store.wait_for_checkpoint(0)


def test_canonical_json_is_the_text_json_dumps_gives():
    """canonical_json reuses one C encoder: the same text as json.dumps with the same options, for
    the values records hold (and dates through default=str, NaN and infinities as json writes them)."""
    import json
    from datetime import date

    from matcher.store.store import canonical_json

    values = [{"b": 1, "a": [1.5, -0.0, 1e-7, 12345678901234567890, 0.1 + 0.2], "c": {"z": None, "y": True}},
              {"title": "电焊工\u3000", "esc": "a\"b\\c\nd\te\x01", "emoji": "😀", "d": date(2026, 12, 3)},
              {"nan": float("nan"), "inf": float("inf"), "ninf": float("-inf"), "empty": {}, "list": []},
              {"k": [{"b": 2, "a": 1}, [3, "x"]], "s": ""}, {}]
    for v in values:
        assert canonical_json(v) == json.dumps(v, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    for j in jobs(20, wage_min=3500.5, skills=["焊工证", "叉车"]):
        d = j.to_dict()
        assert canonical_json(d) == json.dumps(d, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def test_a_sqlite_upsert_reads_stored_state_inside_its_write_transaction(store):
    """The hashes and versions an upsert compares against are read after BEGIN IMMEDIATE, so no
    other process can commit between that read and the write (SQLite; PostgreSQL: skipped)."""
    from sqlalchemy import event

    if store.dialect != "sqlite":
        pytest.skip("SQLite only")
    store.upsert("job", jobs(3))
    store.engine.dispose()
    statements: list[str] = []
    event.listen(store.engine, "connect", lambda dbapi, _rec: dbapi.set_trace_callback(statements.append))
    changed = [Job.model_validate({**j.to_dict(), "wage_min": 5555}) for j in jobs(3)]
    assert store.upsert("job", changed).updated == 3
    sql = [s.strip().upper() for s in statements]
    begin = sql.index("BEGIN IMMEDIATE")
    first_read = next(i for i, s in enumerate(sql) if s.startswith("SELECT") and "JOBS" in s)
    assert begin < first_read < sql.index("COMMIT")
    # while another connection holds the write lock, the upsert's transaction cannot even begin
    # (it waits busy_timeout, then fails; nothing is read or written meanwhile)
    import sqlite3

    holder = sqlite3.connect(store.engine.url.database, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with store.engine.connect() as c:
            c.connection.dbapi_connection.execute("PRAGMA busy_timeout = 100")
            with pytest.raises(sqlite3.OperationalError, match="locked"), c.begin():
                store._begin_write(c)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert {store.get("job", j.id).wage_min for j in changed} == {5555}
