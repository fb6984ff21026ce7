"""``matcher backup`` and ``matcher restore`` (docs/operations.md, "Backup and restore").

- SQLite: SQLite's online backup API copies a consistent snapshot while the service keeps
  serving and writing (WAL: readers and the copy do not block writers). The file is a SQLite
  database, checked with ``PRAGMA integrity_check`` before it is kept.
- PostgreSQL: ``pg_dump --format=custom`` (one consistent snapshot, taken while serving) and
  ``pg_restore --clean --if-exists --single-transaction`` (all or nothing). The client programs
  come from ``settings.pg_bin_dir`` or the ``PATH``; they must be at least the server's version.

A restore replaces the whole store, brings its schema to the current migration (a backup of an
older release is upgraded) and rebuilds this home's indexes from it; other homes' indexes are
checked against the store when their servers start (docs/operations.md, "Crash safety"). Stop the
servers before a restore.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

from matcher.errors import MatcherError
from matcher.settings import Settings

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(MatcherError):
    code = "backup_failed"


def _sqlite_path(url: str) -> Path | None:
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///"))
    return None


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A SQLAlchemy PostgreSQL URL -> (libpq URI without the password, environment with it), so
    the password never shows in a process list."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    return u.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _pg_program(settings: Settings, name: str) -> str:
    if settings.pg_bin_dir is not None:
        path = Path(settings.pg_bin_dir) / name
        if path.exists():
            return str(path)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"找不到 {name}：请安装 PostgreSQL 客户端（apt-get install postgresql-client）或设置 "
                          f"MATCHER_PG_BIN_DIR / {name} not found: install the PostgreSQL client programs or set "
                          "MATCHER_PG_BIN_DIR")
    return found


def _run(cmd: list[str], env: dict[str, str], what: str) -> None:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip()[-800:]
        raise BackupError(f"{what}失败 / {what} failed ({Path(cmd[0]).name} exit {proc.returncode}): {tail}")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup(settings: Settings, out: Path) -> dict[str, Any]:
    """Write a consistent copy of the store to ``out`` (replaced atomically when complete)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.partial")
    tmp.unlink(missing_ok=True)
    url = settings.resolved_database_url
    start = time.perf_counter()
    path = _sqlite_path(url)
    try:
        if path is not None:
            if not path.exists():
                raise BackupError(f"数据库文件不存在：{path} / no database file at {path}")
            src = sqlite3.connect(path, timeout=30)
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)  # one step: a consistent snapshot as of its start
                ok = dst.execute("PRAGMA integrity_check").fetchone()[0]
            finally:
                dst.close()
                src.close()
            if ok != "ok":
                raise BackupError(f"备份文件校验失败 / the copy failed its integrity check: {ok}")
            kind = "sqlite"
        else:
            uri, env = _libpq(url)
            _run([_pg_program(settings, "pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                  "--file", str(tmp), "--dbname", uri], env, "备份 / pg_dump")
            kind = "postgresql"
        _fsync(tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return {"kind": kind, "file": str(out), "bytes": out.stat().st_size,
            "seconds": round(time.perf_counter() - start, 3)}


def backup_kind(file: Path) -> str:
    with open(file, "rb") as f:
        head = f.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"不是本系统的备份文件：{file} / not a backup made by matcher backup: {file}")


def restore(settings: Settings, file: Path, *, rebuild_index: bool = True, show_progress: bool = False,
            encoder=None) -> dict[str, Any]:
    """Replace the store with a backup, migrate it to the current schema and rebuild this home's
    indexes from it (``encoder``: an already loaded one). The servers must be stopped."""
    file = Path(file)
    if not file.is_file():
        raise BackupError(f"备份文件不存在：{file} / no backup file at {file}")
    kind = backup_kind(file)
    url = settings.resolved_database_url
    path = _sqlite_path(url)
    start = time.perf_counter()
    if (path is not None) != (kind == "sqlite"):
        raise BackupError("备份文件与当前数据库类型不符（SQLite / PostgreSQL）/ the backup is for the other kind of "
                          "database (SQLite vs PostgreSQL)")
    if path is not None:
        _restore_sqlite(file, path)
    else:
        uri, env = _libpq(url)
        _run([_pg_program(settings, "pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
              "--single-transaction", "--exit-on-error", "--dbname", uri, str(file)], env, "恢复 / pg_restore")
    from matcher.store import Store

    store = Store.open(url)  # migrates a backup of an older release to the current schema
    sizes: dict[str, int] = {}
    try:
        if rebuild_index:
            from matcher.engine import MatchEngine

            index_dir = settings.home / "index"
            if index_dir.exists():
                shutil.rmtree(index_dir)  # a cache of the store that was replaced
            engine = MatchEngine(settings, store, encoder=encoder)
            sizes = engine.rebuild_index(show_progress=show_progress)
            engine.close()
    finally:
        store.close()
    return {"kind": kind, "file": str(file), "indexes": sizes, "seconds": round(time.perf_counter() - start, 3)}


def _restore_sqlite(file: Path, target: Path) -> None:
    """Check the backup, copy it beside the database, then swap it in with a rename (the old
    file is kept as ``<name>.before-restore``)."""
    check = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
    try:
        ok = check.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        check.close()
    if ok != "ok":
        raise BackupError(f"备份文件已损坏 / the backup failed its integrity check: {ok}")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.restoring")
    shutil.copyfile(file, tmp)
    _fsync(tmp)
    if target.exists():
        # fold the old database's WAL into it before keeping it aside
        old = sqlite3.connect(target, timeout=30)
        try:
            old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            old.close()
        os.replace(target, target.with_name(f"{target.name}.before-restore"))
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(tmp, target)


def migrate(settings: Settings) -> tuple[str | None, str | None]:
    """Bring the store's schema to the current migration; returns (revision before, after)."""
    from matcher.store import Store

    store = Store.open(settings.resolved_database_url, migrate=False)
    try:
        before = store.revision()
        store.migrate()
        return before, store.revision()
    finally:
        store.close()
