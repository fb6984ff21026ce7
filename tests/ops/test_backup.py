"""``matcher backup`` while the store is being written, ``matcher restore`` of that backup, on
SQLite and PostgreSQL (``database_url``): every write acknowledged before the backup began is in
the restored store, no write begun after it ended is, the store is consistent (change numbers,
counter), accounts still authenticate, and the index rebuilt from the restored store holds
exactly its matchable records."""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta

import pytest

TODAY = date.today()


def _job(rid: str, title: str = "电焊工") -> dict:
    return {"id": rid, "title": title, "region_code": "130102", "lat": 38.05, "lng": 114.52, "skills": ["焊工证"],
            "posted_at": (TODAY - timedelta(days=1)).isoformat(), "expires_at": (TODAY + timedelta(days=30)).isoformat()}


def _seq_consistent(store) -> None:
    from sqlalchemy import func, select

    from matcher.store.schema import TABLES, counters

    with store.engine.connect() as conn:
        counter = conn.execute(select(counters.c.value).where(counters.c.name == "seq")).scalar() or 0
        seqs = []
        for table in TABLES.values():
            seqs += [r.seq for r in conn.execute(select(table.c.seq))]
        newest = max([conn.execute(select(func.max(t.c.seq))).scalar() or 0 for t in TABLES.values()])
    assert len(seqs) == len(set(seqs)) and counter == newest


def test_restore_a_backup_taken_under_write_load(tmp_path, database_url, encoder, model_cache, monkeypatch, capsys):
    from matcher.accounts import add_account, authenticate
    from matcher.backup import backup_kind
    from matcher.cli import main
    from matcher.engine import MatchEngine
    from matcher.store import Store

    home = tmp_path / "home"
    engine = MatchEngine.open(home=home, database_url=database_url, encoder=encoder, model_cache=model_cache,
                              sync_interval=0)
    engine.upsert("job", [_job(f"J{i}", t) for i, t in enumerate(["电焊工", "电工", "厨师", "保洁员"])])
    engine.upsert("seeker", [{"id": "S1", "name": "王小明", "desired_occupations": ["电焊工"], "lat": 38.05,
                              "lng": 114.52, "region_code": "130102"}])
    _, token = add_account(engine.store, "backup-test", "province")

    acked: list[tuple[str, float, float]] = []  # id, started, acknowledged
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer():
        n = 0
        try:
            while not stop.is_set():
                rid = f"W{n}"
                t0 = time.monotonic()
                engine.upsert("job", [_job(rid, ["电焊工", "焊工", "电工"][n % 3])])
                acked.append((rid, t0, time.monotonic()))
                if n % 4 == 3:  # some changes and deletions too
                    engine.upsert("job", [_job(f"W{n - 1}", "焊接工")])
                    engine.delete("job", f"W{n - 2}")
                n += 1
        except BaseException as e:  # reported below
            errors.append(e)

    monkeypatch.setenv("MATCHER_DATABASE_URL", database_url)
    monkeypatch.setenv("MATCHER_MODEL_CACHE", str(model_cache))
    out = tmp_path / "backups" / "matcher.backup"
    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        time.sleep(1.5)
        began = time.monotonic()
        assert main(["--home", str(home), "backup", "--out", str(out)]) == 0
        ended = time.monotonic()
        time.sleep(1.0)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not errors, errors
    assert "已备份到" in capsys.readouterr().out
    before = {rid for rid, _, done in acked if done < began}
    after = {rid for rid, start, _ in acked if start > ended}
    assert len(before) >= 3 and after, (len(before), len(after))
    deleted = {f"W{n - 2}" for n in range(len(acked)) if n % 4 == 3}
    expected = {f"J{i}" for i in range(4)} | (before - deleted)
    engine.close()
    assert backup_kind(out) == ("sqlite" if database_url.startswith("sqlite") else "postgresql")

    assert main(["--home", str(home), "restore", str(out), "--quiet"]) == 0
    assert "已从" in capsys.readouterr().out

    store = Store.open(database_url)
    try:
        present = set(store.get_dicts("job", [f"J{i}" for i in range(4)] + [r for r, _, _ in acked]))
        assert expected <= present, sorted(expected - present)[:10]
        assert not (after & present), sorted(after & present)[:10]
        assert store.get_dicts("seeker", ["S1"])["S1"]["name"] == "王小明"
        assert authenticate(store, token).role.value == "province"
        _seq_consistent(store)
        if database_url.startswith("sqlite"):
            with store.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        live_jobs = store.count("job")
    finally:
        store.close()

    # the index was rebuilt from the restored store: loaded as saved, holding exactly its jobs
    engine = MatchEngine.open(home=home, database_url=database_url, encoder=encoder, model_cache=model_cache,
                              sync_interval=0)
    try:
        sizes = engine.warm()
        assert engine.index_report["jobs"]["action"] == "loaded"
        assert sizes["jobs"] == live_jobs == len(present)
        found = {m.id for m in engine.match_jobs("S1", k=500)}
        # every restored job is served (the writer may have added hundreds of equally good welders)
        assert found and found <= present
        assert "J0" in found or len(found) == 500
    finally:
        engine.close()


def test_restore_refuses_a_foreign_file(tmp_path, monkeypatch):
    from matcher.backup import BackupError, restore
    from matcher.settings import load_settings

    bad = tmp_path / "notes.txt"
    bad.write_text("not a backup")
    with pytest.raises(BackupError) as e:
        restore(load_settings(home=tmp_path), bad)
    assert "不是本系统的备份文件" in e.value.message
