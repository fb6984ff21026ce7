"""prometheus-client's multiprocess folder (kept apart from :mod:`api.metrics`, which imports
prometheus_client: the folder must be named in the environment before that import)."""

from __future__ import annotations

import os
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> Path | None:
    raw = os.environ.get(MULTIPROC_ENV) or os.environ.get(MULTIPROC_ENV.lower())
    return Path(raw) if raw else None


def prepare_multiprocess_dir(path: Path) -> None:
    """Create the folder and remove the files of processes that are gone (a worker's files are
    named ``<type>_<pid>.db``; those of live processes, other servers' included, are kept)."""
    path.mkdir(parents=True, exist_ok=True)
    for f in path.glob("*.db"):
        pid = f.stem.rsplit("_", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            f.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
