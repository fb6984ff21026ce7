"""A damaged index on disk (truncated or garbage files, a bad or dangling CURRENT pointer, another
side's index, an old copy restored from a backup) is detected: the engine rebuilds it from the
store and says so, or, when it is valid but old, brings it in step. It never crashes on it and
never serves answers that differ from a freshly built index."""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
from datetime import date
from pathlib import Path

import pytest
from crash_helpers import (
    JOB_TEMPLATES,
    SEEKERS,
    TODAY,
    assert_index_matches_store,
    assert_same_matches,
    job,
    jobs,
    run_cli,
    seekers,
    top_matches,
)

from matcher.index import IndexCorrupt
from matcher.index.faiss_index import FaissIndex


def _version(path: Path) -> Path:
    return path / json.loads((path / "CURRENT").read_text())["version"]


def _garble(f: Path) -> None:
    """Same size, other bytes (so only the checksum can tell)."""
    data = bytearray(f.read_bytes())
    rng = random.Random(len(data))
    for i in rng.sample(range(len(data)), max(1, len(data) // 10)):
        data[i] ^= 0xFF
    f.write_bytes(bytes(data))


def _truncate(f: Path) -> None:
    with open(f, "r+b") as fh:
        fh.truncate(os.path.getsize(f) // 2)


def _other_side(path: Path) -> None:
    shutil.rmtree(path)
    shutil.copytree(path.parent / "seekers", path)


DAMAGE = {
    "vectors truncated": lambda p: _truncate(_version(p) / "vectors.npy"),
    "vectors garbled": lambda p: _garble(_version(p) / "vectors.npy"),
    "FAISS file garbled": lambda p: _garble(_version(p) / "index.faiss"),
    "FAISS file missing": lambda p: (_version(p) / "index.faiss").unlink(),
    "ids garbled": lambda p: _garble(_version(p) / "ids.json"),
    "meta.json not JSON": lambda p: (_version(p) / "meta.json").write_bytes(b'{"dim": 3'),
    "CURRENT binary garbage": lambda p: (p / "CURRENT").write_bytes(b"\xff\xfe\x00\x9c garbage"),
    "CURRENT empty": lambda p: (p / "CURRENT").write_bytes(b""),
    "CURRENT names a missing version": lambda p: shutil.rmtree(_version(p)),
    "CURRENT missing": lambda p: (p / "CURRENT").unlink(),
    "index folder emptied": lambda p: shutil.rmtree(p) or p.mkdir(),
    "seekers index in the jobs folder": _other_side,
}


def _build(site) -> list:
    """120 jobs (IVF index, index.faiss written) and 60 seekers (exact index); the reference answers."""
    site.settings["exact_index_max"] = 60
    with site.engine() as e:
        e.upsert_jobs(jobs(120, 41))
        e.upsert_seekers(seekers(60, 42))
        e.warm(load_encoder=False)
        assert e.side_cache("jobs").index.kind == "ivf" and e.side_cache("seekers").index.kind == "exact"
        return top_matches(e, SEEKERS, TODAY)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_index_is_rebuilt_from_store(site, damage, caplog):
    reference = _build(site)
    path = site.home / "index" / "jobs"
    DAMAGE[damage](path)
    if damage == "seekers index in the jobs folder":
        assert FaissIndex.load(path).meta["kind"] == "seekers"  # a valid index, of the wrong side
    else:
        with pytest.raises(IndexCorrupt):  # and nothing else: no UnicodeDecodeError, no FAISS RuntimeError
            FaissIndex.load(path)

    with caplog.at_level(logging.WARNING, logger="matcher.engine"), site.engine() as e:
        e.warm(load_encoder=False)
        assert e.index_report["jobs"]["action"] == "rebuilt" and e.index_report["jobs"]["reason"] == "corrupt"
        assert e.index_report["seekers"]["action"] == "loaded"
        warned = [r.getMessage() for r in caplog.records if r.name == "matcher.engine" and r.levelno == logging.WARNING]
        assert len(warned) == 1 and warned[0].startswith("岗位索引无法使用") and "rebuilding it from the store" in warned[0]
        assert_index_matches_store(e, site.encoder)
        assert_same_matches(reference, top_matches(e, SEEKERS, TODAY))
    FaissIndex.load(path)  # the rebuilt index was saved whole
    with site.engine() as e:
        e.warm(load_encoder=False)
        assert {r["action"] for r in e.index_report.values()} == {"loaded"}


def test_damaged_index_is_rebuilt_on_every_backend(site):
    reference = _build(site)
    DAMAGE["vectors truncated"](site.home / "index" / "seekers")
    with site.engine() as e:
        e.warm(load_encoder=False)
        assert e.index_report["seekers"]["action"] == "rebuilt"
        assert_index_matches_store(e, site.encoder)
        assert_same_matches(reference, top_matches(e, SEEKERS, TODAY))


def test_old_copy_of_a_valid_index_is_brought_in_step(site, caplog):
    """An index that loads and verifies but is older than the store (restored from a backup, or
    saved before a process was killed) must not keep old vectors: records whose text changed since
    are re-indexed, closed and deleted ones leave, new ones join."""
    _build(site)
    backup = site.cwd / "index-backup"
    shutil.copytree(site.home / "index", backup)
    rng = random.Random(43)
    with site.engine() as e:
        e.warm(load_encoder=False)
        retitled = []
        for r in jobs(120, 41)[:20]:
            t = next(i for i, tpl in enumerate(JOB_TEMPLATES) if tpl[0] == r["title"])
            retitled.append(job(r["id"], rng, template=(t + 3) % len(JOB_TEMPLATES)))
        e.upsert_jobs(retitled)
        e.upsert_jobs([{**r, "status": "closed"} for r in jobs(120, 41)[20:30]])
        for r in jobs(120, 41)[30:35]:
            e.delete("job", r["id"])
        e.upsert_jobs(jobs(10, 44, prefix="Y"))
        e.upsert_seekers([{**r, "status": "employed"} for r in seekers(60, 42)[:5]])
    shutil.rmtree(site.home / "index")
    shutil.copytree(backup, site.home / "index")
    with caplog.at_level(logging.INFO, logger="matcher.engine"), site.engine() as e:
        e.warm(load_encoder=False)
        assert e.index_report["jobs"] == {"action": "repaired", "reason": None, "repaired": 20 + 10 + 5 + 10}
        assert e.index_report["seekers"] == {"action": "repaired", "reason": None, "repaired": 5}
        assert any("岗位索引落后于数据库" in r.getMessage() for r in caplog.records)
        assert_index_matches_store(e, site.encoder)
        got = top_matches(e, SEEKERS, TODAY)
        e.rebuild_index()
        assert_same_matches(got, top_matches(e, SEEKERS, TODAY))


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_cli_reports_and_rebuilds_a_damaged_index(site):
    """The commands an operator runs: `matcher match` warns (Chinese first) and answers as before;
    `matcher index rebuild` rebuilds and says so."""
    _build(site)
    with site.engine() as e:
        expected = [m.id for m in e.match_jobs("S00000", k=5, today=date.today())]
    DAMAGE["CURRENT binary garbage"](site.home / "index" / "jobs")
    r = run_cli(["match", "--seeker", "S00000", "--top", "5", "--json"], site.env(), site.cwd)
    assert r.wait(300) == 0, r.stderr[-3000:]
    assert "岗位索引无法使用，正在从数据库重建 / the jobs index cannot be used; rebuilding it from the store" in r.stderr
    assert [m["id"] for m in json.loads(r.stdout)] == expected
    DAMAGE["vectors truncated"](site.home / "index" / "seekers")
    r = run_cli(["index", "rebuild", "--quiet"], site.env(), site.cwd)
    assert r.wait(300) == 0, r.stderr[-3000:]
    assert "索引已重建：岗位 120 个，求职者 60 人" in r.stdout
    for side in ("jobs", "seekers"):
        FaissIndex.load(site.home / "index" / side)
