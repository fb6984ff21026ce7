"""Child processes of the crash tests. Each does real engine work on the store and home named by
MATCHER_DATABASE_URL / MATCHER_HOME and is killed with SIGKILL: by the test, or by itself at a
chosen step of the index save.

    python crash_child.py writes SEED N          one write at a time, "ACK i ..." after each returns
    python crash_child.py save-crash POINT MODE  warm + rebuild the index, SIGKILL at save step POINT
                                                 (0: never; MODE before | torn | after)
"""

from __future__ import annotations

import io
import os
import signal
import sys
from pathlib import Path

import crash_helpers as ch


def die() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def writes(seed: int, n: int, retitle: bool) -> None:
    from matcher.engine import MatchEngine

    live, fresh = ch.writes_setup(seed)
    ops = ch.write_ops(seed, n, live, fresh, retitle=retitle)
    engine = MatchEngine.open()
    engine.warm(load_encoder=False)  # the index is loaded and kept in step with every write
    print("READY", flush=True)
    for i, (action, kind, rid, rec) in enumerate(ops):
        if action == "save":
            engine.warm(load_encoder=False)  # persists the indexes that changed
        elif action == "delete":
            engine.delete(kind, rid)
        else:
            engine.upsert(kind, [rec])
        print(f"ACK {i} {action} {kind} {rid}", flush=True)
    print("DONE", flush=True)
    engine.close()


def install_save_crash(point: int, mode: str) -> None:
    """Number every file-system step of ``FaissIndex.save`` (file writes, directory fsyncs, the
    switch of CURRENT, the clean-up of old versions) and SIGKILL this process at step ``point``:
    before it, halfway through it (half a file written, one file of an old version removed), or
    after it. Every step is printed, so a run with point 0 counts them."""
    import shutil

    import numpy as np

    from matcher.index import faiss_index as fi

    count = [0]

    def torn_write(path: Path, data: bytes) -> None:
        with open(path, "wb") as fh:
            fh.write(data[: len(data) // 2])
            fh.flush()
            os.fsync(fh.fileno())

    def step(name: str, fn, torn):
        def run(*args, **kwargs):
            count[0] += 1
            n = count[0]
            target = Path(str(args[0])).name  # the file or folder, without its version stamp
            target = "v-*" if target.startswith("v-") else target.split("-")[0]
            print(f"STEP {n} {name} {target}", flush=True)
            if n == point and mode == "before":
                die()
            if n == point and mode == "torn" and torn is not None:
                torn(*args)
                die()
            out = fn(*args, **kwargs)
            if n == point:
                die()
            return out
        return run

    def torn_npy(path, array):
        buf = io.BytesIO()
        np.save(buf, array, allow_pickle=False)
        torn_write(path, buf.getvalue())

    def torn_bytes(path, data):
        torn_write(path, bytes(data))

    def torn_cleanup(path, keep):
        for entry in sorted(Path(path).iterdir()):
            if entry.name.startswith("v-") and entry.name not in keep:
                victim = sorted(entry.iterdir())[0]
                if victim.is_dir():
                    shutil.rmtree(victim)
                else:
                    victim.unlink()
                return

    class _Os:
        def __getattr__(self, name):
            return getattr(os, name)

    proxy = _Os()
    proxy.replace = step("replace", os.replace, None)
    fi.os = proxy
    fi._write_npy = step("write_npy", fi._write_npy, torn_npy)
    fi._write_bytes = step("write_bytes", fi._write_bytes, torn_bytes)
    fi._fsync_dir = step("fsync_dir", fi._fsync_dir, None)
    fi._cleanup = step("cleanup", fi._cleanup, torn_cleanup)


def save_crash(point: int, mode: str) -> None:
    from matcher.engine import MatchEngine

    install_save_crash(point, mode)
    with MatchEngine.open() as engine:
        engine.warm(load_encoder=False)  # saves the indexes it had to bring up to date
        engine.rebuild_index()
    print("DONE", flush=True)


if __name__ == "__main__":
    cmd, *rest = sys.argv[1:]
    if cmd == "writes":
        writes(int(rest[0]), int(rest[1]), retitle=len(rest) > 2 and rest[2] == "retitle")
    elif cmd == "save-crash":
        save_crash(int(rest[0]), rest[1])
    else:
        raise SystemExit(f"unknown command {cmd}")
