"""Accounts, tokens and the audit log on the real store (SQLite, and PostgreSQL when configured),
the access rules as pure functions, and the ``matcher users`` command."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text, update

from matcher import accounts, audit
from matcher.access import Principal, Role, area_for, check_account_fields, masked_seeker, narrow_region
from matcher.errors import Conflict, NotFoundError, Unauthorized, ValidationFailed
from matcher.store.schema import api_tokens


def test_tokens_are_stored_hashed_and_authenticate(store):
    acc, token = accounts.add_account(store, "长安区县级", "county", region_code="130102")
    assert token.startswith("hjm_") and len(token) > 40
    with store.engine.connect() as conn:
        rows = conn.execute(select(api_tokens)).all()
    assert len(rows) == 1
    stored = " ".join(str(v) for v in rows[0])
    assert token not in stored and token[10:] not in stored
    assert rows[0].token_hash == hashlib.sha256(token.encode()).hexdigest()
    p = accounts.authenticate(store, token)
    assert p == Principal(acc.id, "长安区县级", Role.county, "130102", None)


def test_unknown_expired_and_revoked_tokens_are_refused_alike(store):
    _, token = accounts.add_account(store, "a", "province", expires_days=30)
    for bad in (None, "", "Bearer x", "hjm_" + "x" * 43, token + "x", "hjm_" + "y" * 300):
        with pytest.raises(Unauthorized):
            accounts.authenticate(store, bad)
    accounts.authenticate(store, token)
    with store.engine.begin() as conn:  # the clock moves past the expiry
        conn.execute(update(api_tokens).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    with pytest.raises(Unauthorized):
        accounts.authenticate(store, token)
    second = accounts.issue_token(store, "a")
    assert accounts.authenticate(store, second).name == "a"
    assert accounts.revoke_token(store, second) and not accounts.revoke_token(store, second)
    with pytest.raises(Unauthorized):
        accounts.authenticate(store, second)
    third = accounts.issue_token(store, "a")
    assert accounts.revoke(store, "a") == 1
    with pytest.raises(Unauthorized):
        accounts.authenticate(store, third)
    with pytest.raises(Conflict):
        accounts.issue_token(store, "a")


def test_account_bindings_are_checked(store):
    with pytest.raises(ValidationFailed) as e:
        accounts.add_account(store, "x", "county", region_code="1301")
    assert e.value.errors[0].field == "region_code" and "6 位" in e.value.message
    with pytest.raises(ValidationFailed):
        accounts.add_account(store, "x", "city", region_code="3201")  # not Hebei
    with pytest.raises(ValidationFailed):
        accounts.add_account(store, "x", "employer")
    with pytest.raises(NotFoundError):
        accounts.add_account(store, "x", "employer", employer_id="NOPE")
    with pytest.raises(ValidationFailed):
        accounts.add_account(store, "x", "superuser")
    with pytest.raises(ValidationFailed):
        accounts.add_account(store, "x", "platform", region_code="13")
    accounts.add_account(store, "x", "station", region_code="130102001")
    with pytest.raises(Conflict):
        accounts.add_account(store, "x", "province")
    assert [a.name for a in accounts.list_accounts(store)] == ["x"]


def test_audit_log_is_append_only(store):
    _, token = accounts.add_account(store, "prov", "province")
    p = accounts.authenticate(store, token)
    assert audit.record_reads(store, p, "seeker.read", "seeker", [{"id": "S1", "region_code": "130102"},
                                                                   {"id": "S2", "region_code": "130203"}]) == 2
    for stmt in ("UPDATE audit_log SET purpose = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(Exception, match="append-only"), store.engine.begin() as conn:
            conn.execute(text(stmt))
    entries, total = audit.query(store, region_prefix="1301")
    assert total == 1 and entries[0].record_id == "S1" and entries[0].purpose.startswith("查看求职者档案")
    assert audit.query(store)[1] == 2


def test_region_rules_are_prefixes():
    county = Principal("1", "c", Role.county, "130102")
    assert county.covers("130102001") and county.covers("130102") and not county.covers("130104")
    assert not county.covers(None) and not county.covers("")
    assert Principal("2", "p", Role.province, "13").covers(None)
    assert not Principal("3", "e", Role.employer, employer_id="E1").covers("130102")
    assert narrow_region(county, None) == "130102" and narrow_region(county, "13") == "130102"
    assert narrow_region(county, "130102001") == "130102001" and narrow_region(county, "130203") is False
    assert area_for(county, None) == "130102" and area_for(county, "1301") is False
    assert check_account_fields("PROVINCE", None, None) == (Role.province, "13", None)


def test_masked_seeker_hides_contacts_and_circumstances():
    s = {"id": "S1", "name": "王小明", "id_number": "130102198503121234", "phone": "13812345678",
         "address": "长安区建设北大街12号", "lat": 38.0, "lng": 114.5, "birth_date": "1985-03-12",
         "priority_groups": ["disabled"], "skills": ["叉车"]}
    m = masked_seeker(s)
    assert m["id_number"] == "130102********1234" and m["phone"] == "138****5678"
    assert "建设北大街" not in str(m) and m["name"] == "王**" and m["birth_year"] == 1985
    assert m["priority_groups"] == [] and m["lat"] is None and m["skills"] == ["叉车"]


def test_users_command_creates_lists_and_revokes(tmp_path):
    env_home = str(tmp_path / "home")

    def run(*args):
        return subprocess.run([sys.executable, "-m", "matcher.cli", "--home", env_home, "users", *args],
                              capture_output=True, text=True, timeout=120)

    r = run("add", "石家庄市局", "--role", "city", "--region", "1301", "--expires-days", "30")
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip().splitlines()[-1]
    assert token.startswith("hjm_") and "30 天后过期" in r.stdout
    assert run("add", "石家庄市局", "--role", "city", "--region", "1301").returncode == 2
    bad = run("add", "x", "--role", "county", "--region", "99")
    assert bad.returncode == 2 and "6 位" in bad.stderr
    listed = run("list")
    assert "石家庄市局" in listed.stdout and "1301" in listed.stdout and token not in listed.stdout
    from matcher.store import Store

    store = Store.open(f"sqlite:///{tmp_path / 'home' / 'matcher.db'}")
    try:
        assert accounts.authenticate(store, token).region_code == "1301"
        assert run("revoke", "石家庄市局").returncode == 0
        with pytest.raises(Unauthorized):
            accounts.authenticate(store, token)
        assert "已停用" in run("list").stdout
    finally:
        store.close()
