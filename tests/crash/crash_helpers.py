"""Shared by the crash tests and their child processes: deterministic records, a child process that
can be killed with SIGKILL while the test watches its output, a probe that tells when a process is
inside a write transaction, and the checks that the store and the index agree after a crash.

Records are generated from a seeded ``random.Random`` over a few job and seeker templates, so a
store of thousands of records has only a handful of distinct texts (the real encoder embeds each
distinct text once, which keeps the tests fast) while ids, wages and positions all differ."""

from __future__ import annotations

import csv
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

CRASH_DIR = Path(__file__).resolve().parent
CHILD = CRASH_DIR / "crash_child.py"
APP_NAME = "matcher_crash_child"  # PostgreSQL application_name of child processes
TODAY = date(2026, 11, 20)  # the crash tests' fixed "today"
SEEKERS = ["S00000", "S00001", "S00002"]  # the seekers whose matches are compared before and after a crash

JOB_TEMPLATES = [
    ("保安员", "负责小区门岗值守和夜间巡逻", "保安员证"),
    ("电焊工", "负责钢结构焊接，需持证上岗", "焊工证"),
    ("食堂厨师", "负责员工食堂中餐制作", "厨师证"),
    ("快递派送员", "负责片区快递收派，多劳多得", "驾驶证"),
    ("超市收银员", "负责收银和理货", "收银"),
    ("保洁员", "负责写字楼日常保洁", "保洁"),
    ("叉车司机", "负责仓库叉车装卸作业", "叉车证"),
    ("仓库管理员", "负责出入库登记和盘点", "仓储管理"),
    ("护工", "负责医院病房护理", "护理"),
    ("水电工", "负责小区水电维修", "电工证"),
]
WISHES = ["当保安", "电焊", "做饭", "送快递", "收银员", "保洁", "开叉车", "仓库管理", "护理病人", "水电维修"]
CENTER = (38.04, 114.51)  # Shijiazhuang, region 130102


def job(rid: str, rng: random.Random, template: int | None = None, **extra: Any) -> dict[str, Any]:
    title, desc, skill = JOB_TEMPLATES[rng.randrange(len(JOB_TEMPLATES)) if template is None else template]
    lo = rng.randrange(2500, 6000, 100)
    return {"id": rid, "title": title, "description": desc, "skills": [skill], "region_code": "130102",
            "wage_min": lo, "wage_max": lo + rng.randrange(500, 3000, 100),
            "lat": round(CENTER[0] + rng.uniform(-0.08, 0.08), 5), "lng": round(CENTER[1] + rng.uniform(-0.08, 0.08), 5),
            **extra}


def seeker(rid: str, rng: random.Random, wish: int | None = None, **extra: Any) -> dict[str, Any]:
    return {"id": rid, "desired_occupations": [WISHES[rng.randrange(len(WISHES)) if wish is None else wish]],
            "region_code": "130102", "area_type": "urban", "consent_to_share": True,
            "lat": round(CENTER[0] + rng.uniform(-0.08, 0.08), 5), "lng": round(CENTER[1] + rng.uniform(-0.08, 0.08), 5),
            **extra}


def jobs(n: int, seed: int, prefix: str = "J", start: int = 0) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [job(f"{prefix}{i:05d}", rng) for i in range(start, start + n)]


def seekers(n: int, seed: int, prefix: str = "S", start: int = 0) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [seeker(f"{prefix}{i:05d}", rng) for i in range(start, start + n)]


def write_jobs_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    """A job ledger as stations export it (contract field names as headers, lists joined by 、)."""
    fields = list(rows[0])
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        for r in rows:
            w.writerow({k: "、".join(v) if isinstance(v, list) else v for k, v in r.items()})
    return path


# -- a seeded sequence of single-record writes ---------------------------------------------------
Op = tuple[str, str, str, dict[str, Any] | None]  # (action, kind, id, the record's whole new state)


def write_ops(seed: int, n: int, live: dict[str, dict[str, dict[str, Any]]],
              fresh: dict[str, list[dict[str, Any]]], retitle: bool) -> list[Op]:
    """``n`` writes a station makes one at a time: new records (from ``fresh``), moves and wage
    changes (same text), closing/filling and reopening, deletes, and with ``retitle`` a job whose
    title changes (new text: re-embedded). ``("save", ...)`` asks the writer to persist its index.
    ``live`` (kind -> id -> record) is the store's state before the first op."""
    rng = random.Random(seed)
    state = {kind: dict(recs) for kind, recs in live.items()}
    pool = {kind: list(recs) for kind, recs in fresh.items()}
    ops: list[Op] = []
    while len(ops) < n:
        kind = "job" if rng.random() < 0.7 else "seeker"
        ids = sorted(state[kind])
        r = rng.random()
        if r < 0.25 and pool[kind]:
            rec = pool[kind].pop(0)
        elif r < 0.35:
            ops.append(("save", kind, "", None))
            continue
        elif r < 0.45 and len(ids) > 5:
            rid = rng.choice(ids)
            del state[kind][rid]
            ops.append(("delete", kind, rid, None))
            continue
        elif r < 0.55:
            rec = dict(state[kind][rng.choice(ids)])
            if kind == "job":
                rec["status"] = "closed" if rec.get("status", "open") == "open" else "open"
            else:
                rec["status"] = "employed" if rec.get("status", "unemployed") != "employed" else "unemployed"
        elif r < 0.65 and retitle and kind == "job":
            rec = dict(state[kind][rng.choice(ids)])
            current = next(i for i, t in enumerate(JOB_TEMPLATES) if t[0] == rec["title"])
            title, desc, skill = JOB_TEMPLATES[(current + rng.randrange(1, len(JOB_TEMPLATES))) % len(JOB_TEMPLATES)]
            rec.update(title=title, description=desc, skills=[skill])
        else:
            rec = dict(state[kind][rng.choice(ids)])
            rec["lat"] = round(CENTER[0] + rng.uniform(-0.08, 0.08), 5)
            rec["lng"] = round(CENTER[1] + rng.uniform(-0.08, 0.08), 5)
            if kind == "job":
                rec["wage_min"] = rng.randrange(2500, 6000, 100)
                rec["wage_max"] = rec["wage_min"] + 1000
        state[kind][rec["id"]] = rec
        ops.append(("upsert", kind, rec["id"], rec))
    return ops


def writes_setup(seed: int) -> tuple[dict[str, dict[str, dict[str, Any]]], dict[str, list[dict[str, Any]]]]:
    """The records a writes test starts from, and the fresh records its writer adds."""
    live = {"job": {r["id"]: r for r in jobs(40, seed)}, "seeker": {r["id"]: r for r in seekers(20, seed + 1)}}
    fresh = {"job": jobs(30, seed + 2, prefix="N"), "seeker": seekers(10, seed + 3, prefix="M")}
    return live, fresh


# -- the child's environment and process -------------------------------------------------------
def with_app_name(url: str, name: str = APP_NAME) -> str:
    """PostgreSQL URLs get an application_name, so the test can see the child's transactions."""
    if not url.startswith("postgresql"):
        return url
    from sqlalchemy.engine import make_url

    return make_url(url).update_query_dict({"application_name": name}).render_as_string(hide_password=False)


def child_env(home: Path, url: str, model_cache: Path, **extra: Any) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHER_")}
    env.update({"MATCHER_HOME": str(home), "MATCHER_DATABASE_URL": with_app_name(url),
                "MATCHER_MODEL_CACHE": str(model_cache), "MATCHER_SYNC_INTERVAL": "0", "PYTHONUNBUFFERED": "1"})
    env.update({f"MATCHER_{k.upper()}": str(v) for k, v in extra.items()})
    return env


class Child:
    """A child process whose stdout and stderr are collected by reader threads, so the test can
    wait for a marker (a progress bar, an acknowledgement) and then SIGKILL it."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path):
        self.proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.started = time.monotonic()
        self._out: list[bytes] = []
        self._err: list[bytes] = []
        self._threads = [threading.Thread(target=self._pump, args=(s, buf), daemon=True)
                         for s, buf in ((self.proc.stdout, self._out), (self.proc.stderr, self._err))]
        for t in self._threads:
            t.start()

    @staticmethod
    def _pump(stream, buf: list[bytes]) -> None:
        fd = stream.fileno()
        while chunk := os.read(fd, 65536):
            buf.append(chunk)

    @property
    def stdout(self) -> str:
        return b"".join(self._out).decode("utf-8", "replace")

    @property
    def stderr(self) -> str:
        return b"".join(self._err).decode("utf-8", "replace")

    def lines(self) -> list[str]:
        return self.stdout.splitlines()

    def wait_for(self, ready: Callable[[], bool], timeout: float, what: str, poll: float = 0.001) -> None:
        """Poll ``ready`` until it holds; fail (killing the child) if the child exits or time runs out."""
        deadline = time.monotonic() + timeout
        while not ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"child exited ({self.proc.returncode}) before {what}:\n"
                                     f"{self.stdout[-2000:]}\n{self.stderr[-4000:]}")
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"timed out waiting for {what}:\n{self.stdout[-2000:]}\n{self.stderr[-4000:]}")
            time.sleep(poll)

    def kill(self) -> int:
        """SIGKILL (kill -9) and reap; returns the exit status (-9 when the signal killed it)."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        rc = self.proc.wait(timeout=30)
        for t in self._threads:
            t.join(timeout=5)
        return rc

    def wait(self, timeout: float) -> int:
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        for t in self._threads:
            t.join(timeout=5)
        return rc


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> Child:
    return Child([sys.executable, "-m", "matcher.cli", *args], env, cwd)


def run_child(args: list[str], env: dict[str, str], cwd: Path) -> Child:
    return Child([sys.executable, str(CHILD), *args], env, cwd)


# -- is another process inside a write transaction? --------------------------------------------
class WriteProbe:
    """Tells whether a child holds an open write transaction on the store: on SQLite, whether the
    write lock is taken (``BEGIN IMMEDIATE`` fails at once); on PostgreSQL, whether the child's
    backend has a transaction id (assigned at its first write)."""

    def __init__(self, url: str):
        self.url = url
        if url.startswith("sqlite:///"):
            self._conn = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
            self._pg = None
        else:
            import psycopg
            from sqlalchemy.engine import make_url

            u = make_url(url)
            self._pg = psycopg.connect(host=u.host, port=u.port, user=u.username, password=u.password,
                                       dbname=u.database, autocommit=True)
            self._conn = None

    def busy(self) -> bool:
        if self._conn is not None:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as e:
                if "locked" in str(e) or "busy" in str(e):
                    return True
                raise
            self._conn.execute("ROLLBACK")
            return False
        row = self._pg.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND backend_xid IS NOT NULL",
            (APP_NAME,)).fetchone()
        return bool(row[0])

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._pg is not None:
            self._pg.close()


# -- checks ------------------------------------------------------------------------------------------
def table_rows(store, kind: str) -> dict[str, tuple[int, int, bool, dict]]:
    """Every row of a record table, tombstones included: id -> (version, seq, deleted, data)."""
    from sqlalchemy import select

    from matcher.store.schema import TABLES

    t = TABLES[kind]
    with store.engine.connect() as conn:
        return {r.id: (r.version, r.seq, r.deleted, r.data)
                for r in conn.execute(select(t.c.id, t.c.version, t.c.seq, t.c.deleted, t.c.data))}


def assert_store_consistent(store) -> None:
    """Change numbers are unique and the store-wide counter is the newest of them (a transaction
    that bumped the counter but whose rows were lost would break this); SQLite passes its own
    integrity check."""
    from sqlalchemy import select, text

    from matcher.store.schema import TABLES, counters

    seqs: list[int] = []
    with store.engine.connect() as conn:
        for t in TABLES.values():
            seqs.extend(conn.execute(select(t.c.seq)).scalars())
        counter = conn.execute(select(counters.c.value).where(counters.c.name == "seq")).scalar() or 0
        if store.dialect == "sqlite":
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    assert len(seqs) == len(set(seqs)), "duplicate change numbers"
    assert counter == max(seqs, default=0), f"counter {counter} != newest change {max(seqs, default=0)}"


def matchable(kind: str, rec: dict[str, Any]) -> bool:
    if kind == "job":
        return rec.get("status", "open") == "open"
    return rec.get("status", "unemployed") != "employed"


SIDES = (("jobs", "job"), ("seekers", "seeker"))


def assert_index_matches_store(engine, encoder=None) -> None:
    """The engine's index holds exactly the store's matchable records, each with the vector the
    store's embedding table holds for the record's *current* text; with ``encoder``, those vectors
    are also what the encoder makes of that text now."""
    from sqlalchemy import and_, select

    from matcher.engine import text_hash
    from matcher.store.schema import embeddings

    for name, kind in SIDES:
        side = engine._side(name)
        live = {r["id"]: r for r in engine.store.iter_dicts(kind)}
        want = {rid for rid, r in live.items() if matchable(kind, r)}
        got = side.index.ids()
        assert len(got) == len(set(got))
        assert set(got) == want, (f"{name}: index has {len(set(got) - want)} records the store does not match "
                                  f"and lacks {len(want - set(got))}")
        assert {i for i in side.table.ids if i is not None} == want
        if not want:
            continue
        profile = engine.ctx.profiler.job if kind == "job" else engine.ctx.profiler.seeker
        texts = {rid: profile(live[rid]).text for rid in want}
        with engine.store.engine.connect() as conn:
            stored = {r.id: (r.text_hash, r.vector) for r in conn.execute(
                select(embeddings.c.id, embeddings.c.text_hash, embeddings.c.vector).where(
                    and_(embeddings.c.kind == kind, embeddings.c.encoder == engine.encoder_name)))}
        ids = sorted(want)
        vecs = side.index.vectors(ids)
        for rid, v in zip(ids, vecs, strict=True):
            h, blob = stored[rid]
            assert h == text_hash(texts[rid]), f"{name} {rid}: stored embedding is for another text"
            assert np.array_equal(v, np.frombuffer(blob, dtype=np.float32)), f"{name} {rid}: index vector is stale"
            assert np.array_equal(v, side.vectors[side.table.row_of[rid]])
        if encoder is not None:
            unique = sorted(set(texts.values()))
            fresh = (encoder.encode_documents if kind == "job" else encoder.encode_queries)(unique)
            by_text = dict(zip(unique, fresh, strict=True))
            cos = np.einsum("ij,ij->i", vecs, np.stack([by_text[texts[rid]] for rid in ids]))
            assert cos.min() > 0.99, f"{name}: an index vector is not its text's embedding (cos {cos.min():.3f})"


def assert_index_dirs_sound(home: Path) -> None:
    """Whatever a crash left on disk: a ``CURRENT`` pointer names a complete, verified version."""
    from matcher.index.faiss_index import FaissIndex

    for name, _ in SIDES:
        path = home / "index" / name
        if (path / "CURRENT").exists():
            FaissIndex.load(path)  # raises IndexCorrupt on a half-written version


def version_dirs(path: Path) -> set[str]:
    return {p.name for p in path.iterdir() if p.name.startswith("v-")} if path.exists() else set()


def top_matches(engine, seeker_ids: Iterable[str], today, k: int = 10) -> list[list[tuple[str, float]]]:
    return [[(m.id, round(m.score, 5)) for m in engine.match_jobs(s, k=k, today=today)] for s in seeker_ids]


def assert_same_matches(a: list[list[tuple[str, float]]], b: list[list[tuple[str, float]]]) -> None:
    """Same scores in the same order, and the same ids wherever the score is not tied at the cut."""
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert [s for _, s in x] == [s for _, s in y]
        cut = x[-1][1] if x else None
        assert {i for i, s in x if s != cut} == {i for i, s in y if s != cut}
