"""Upgrade in place: a database made at the previous release's migration (``0002``, written with
that release's columns only, through reflection, not with today's code), then upgraded by the
current code (``matcher migrate``, then opened as ``matcher serve`` would), keeps every record,
version and change number, every account and token, and serves matches from them; on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, create_engine

PREVIOUS_RELEASE = "0002"
TODAY = date.today()


def _records():
    day = (TODAY - timedelta(days=2)).isoformat()
    until = (TODAY + timedelta(days=30)).isoformat()
    jobs = [{"id": f"J{i}", "title": t, "region_code": "130102", "lat": 38.05, "lng": 114.52, "posted_at": day,
             "expires_at": until, "wage_min": 4000 + 100 * i, "skills": ["焊工证"] if "焊" in t else []}
            for i, t in enumerate(["电焊工", "焊工", "电工", "厨师", "保洁员", "仓库管理员"])]
    jobs[5]["status"] = "closed"
    seekers = [{"id": "S1", "name": "王小明", "phone": "13800001234", "desired_occupations": ["电焊工"], "lat": 38.05,
                "lng": 114.52, "region_code": "130102", "priority_groups": ["older_4050"]},
               {"id": "S2", "name": "李大力", "desired_occupations": ["厨师"], "region_code": "130102"}]
    employers = [{"id": "E1", "name": "石家庄钢铁有限公司", "region_code": "130102"}]
    stations = [{"id": "ST1", "name": "长安区测试社区服务站", "kind": "community", "region_code": "130102001",
                 "lat": 38.05, "lng": 114.52}]
    return {"job": jobs, "seeker": seekers, "employer": employers, "station": stations}


def _build_previous_release(url: str) -> dict:
    """The schema at ``PREVIOUS_RELEASE`` and data in it, written through the reflected tables."""
    from alembic import command

    from matcher.accounts import TOKEN_PREFIX, hash_token
    from matcher.records import RECORD_TYPES
    from matcher.store.store import _columns

    eng = create_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", "matcher:migrations")
    with eng.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, PREVIOUS_RELEASE)
    meta = MetaData()
    meta.reflect(eng)
    now = datetime.now(UTC)
    stored: dict[str, dict] = {}
    seq = 0
    tables = {"job": "jobs", "seeker": "seekers", "employer": "employers", "station": "stations"}
    with eng.begin() as conn:
        for kind, recs in _records().items():
            table = meta.tables[tables[kind]]
            rows = []
            for rec in recs:
                data = RECORD_TYPES[kind].model_validate(rec).to_dict()
                seq += 1
                cols = {k: v for k, v in _columns(kind, data).items() if k in table.c}
                rows.append({"id": data["id"], "data": data, "version": 2, "seq": seq, "created_at": now,
                             "updated_at": now, "deleted": False, **cols})
                stored[data["id"]] = data
            conn.execute(table.insert(), rows)
        conn.execute(meta.tables["counters"].insert(), [{"name": "seq", "value": seq}])
        token = TOKEN_PREFIX + "previous-release-token-0123456789abcdef"
        conn.execute(meta.tables["accounts"].insert(), [
            {"id": "a1", "name": "省厅运维", "role": "province", "region_code": None, "employer_id": None,
             "created_at": now, "revoked_at": None},
            {"id": "a2", "name": "长安区", "role": "county", "region_code": "130102", "employer_id": None,
             "created_at": now, "revoked_at": None}])
        conn.execute(meta.tables["api_tokens"].insert(), [
            {"token_hash": hash_token(token), "account_id": "a2", "hint": token[:10], "created_at": now,
             "expires_at": None, "revoked_at": None}])
    eng.dispose()
    return {"records": stored, "seq": seq, "token": token}


def test_upgrade_in_place_keeps_every_record_and_account(tmp_path, database_url, encoder, model_cache, monkeypatch,
                                                         capsys):
    from matcher.accounts import authenticate, list_accounts
    from matcher.cli import main
    from matcher.engine import MatchEngine
    from matcher.store import Store

    before = _build_previous_release(database_url)
    store = Store.open(database_url, migrate=False)
    assert store.revision() == PREVIOUS_RELEASE
    store.close()

    monkeypatch.setenv("MATCHER_DATABASE_URL", database_url)
    assert main(["--home", str(tmp_path / "home"), "migrate"]) == 0
    out = capsys.readouterr().out
    assert f"{PREVIOUS_RELEASE} →" in out or "已是最新" in out

    cfg = Config()
    cfg.set_main_option("script_location", "matcher:migrations")
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head != PREVIOUS_RELEASE  # this release has migrations of its own to run
    store = Store.open(database_url, migrate=False)
    try:
        assert store.revision() == head
        for kind in ("job", "seeker", "employer", "station"):
            ids = [i for i, d in before["records"].items() if _kind(i) == kind]
            got = store.get_dicts(kind, ids)
            assert got == {i: before["records"][i] for i in ids}, kind
        assert store.max_seq() == before["seq"]
        names = {a.name: a for a in list_accounts(store)}
        assert set(names) == {"省厅运维", "长安区"} and names["长安区"].region_code == "130102"
        p = authenticate(store, before["token"])
        assert p.role.value == "county" and p.region_code == "130102"
    finally:
        store.close()

    # opened as the server opens it: the index is built from the upgraded store and serves matches
    engine = MatchEngine.open(home=tmp_path / "home", database_url=database_url, encoder=encoder,
                              model_cache=model_cache, sync_interval=0)
    try:
        sizes = engine.warm()
        assert sizes == {"jobs": 5, "seekers": 2}  # J5 is closed
        matches = [m.id for m in engine.match_jobs("S1", k=5)]
        assert matches[0] in ("J0", "J1") and "J5" not in matches
        # and the upgraded store takes writes: the next change number follows the old ones
        engine.upsert("job", [{**before["records"]["J3"], "title": "中餐厨师"}])
        assert engine.store.max_seq() == before["seq"] + 1
        assert engine.store.get_dicts("job", ["J3"])["J3"]["title"] == "中餐厨师"
    finally:
        engine.close()


def _kind(rid: str) -> str:
    return {"J": "job", "S": "seeker", "E": "employer"}.get(rid[0], "station") if not rid.startswith("ST") else "station"
