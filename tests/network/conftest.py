"""The network tests run on a generated home with known answers (network_home.py), on SQLite and,
where configured, PostgreSQL (the ``database_url`` fixture of tests/conftest.py)."""

import pytest


@pytest.fixture
def engine(tmp_path, encoder, model_cache, database_url):
    from matcher.engine import MatchEngine

    eng = MatchEngine.open(home=tmp_path / "home", database_url=database_url, encoder=encoder,
                           model_cache=model_cache, sync_interval=0)
    yield eng
    eng.close()


@pytest.fixture
def home(engine, tmp_path):
    import network_home

    network_home.build(engine, tmp_path)
    return engine
