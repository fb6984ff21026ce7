"""kill -9 during `matcher import jobs FILE`: the file is written in one transaction, so afterwards
the store holds all of its rows or none of them, change numbers stay consistent, a restarted engine
opens, its index agrees with the store, and the same import then completes.

The child is the real CLI on a real store (SQLite file, or PostgreSQL), killed with SIGKILL at a
seeded moment inside the phase under test: while it validates the file (its progress bar is on
stderr), or while its write transaction is open (the store's write lock is held / its PostgreSQL
backend has a transaction id)."""

from __future__ import annotations

import random
import signal
import time

import pytest
from crash_helpers import (
    JOB_TEMPLATES,
    SEEKERS,
    TODAY,
    WriteProbe,
    assert_index_matches_store,
    assert_same_matches,
    assert_store_consistent,
    job,
    jobs,
    run_cli,
    seekers,
    table_rows,
    top_matches,
    write_jobs_csv,
)


def _parsed(path):
    """The file's records as the store keeps them (the import's own parser)."""
    from matcher.importing import parse_records, read_rows

    headers, rows = read_rows(path)
    parsed = parse_records("job", headers, rows)
    assert not parsed.errors
    return {r.id: r.to_dict() for r in parsed.records}


def _ledger(site, seed: int, n_old: int, n_new: int, prefix: str = "J", start: int = 0):
    """A store with ``n_old`` jobs (indexed, index saved) and a file that changes the title, text and
    wages of every one of them and adds ``n_new`` more."""
    rng = random.Random(seed)
    old = jobs(n_old, seed, prefix=prefix, start=start)
    with site.engine() as e:
        e.upsert_jobs(old)
        if e.store.count("seeker") == 0:
            e.upsert_seekers(seekers(30, seed + 1))
        e.warm(load_encoder=False)
    changed = []
    for r in old:
        t = next(i for i, tpl in enumerate(JOB_TEMPLATES) if tpl[0] == r["title"])
        changed.append(job(r["id"], rng, template=(t + 1) % len(JOB_TEMPLATES)))
    rows = changed + jobs(n_new, seed + 2, prefix=prefix, start=start + n_old)
    rng.shuffle(rows)
    return write_jobs_csv(site.cwd / f"jobs-{seed}.csv", rows)


def _assert_all_or_nothing(before, after, file_rows) -> str:
    """``after`` is ``before`` untouched, or ``before`` with every row of the file applied."""
    if after == before:
        return "none"
    assert set(after) == set(before) | set(file_rows), (
        f"partial import: {len(set(after) - set(before))} of {len(set(file_rows) - set(before))} new rows stored")
    for rid, data in file_rows.items():
        version, seq, deleted, stored = after[rid]
        assert stored == data and not deleted, f"{rid} not written as in the file"
        assert version == (before[rid][0] + 1 if rid in before else 1), f"{rid}: version {version}"
        assert seq > max((v[1] for v in before.values()), default=0)
    for rid in set(before) - set(file_rows):
        assert after[rid] == before[rid]
    return "all"


def _check_restart(site, compare_rebuilt: bool = False):
    """A restarted engine loads (or repairs) the index, agrees with the store and matches; with
    ``compare_rebuilt``, its answers equal those of an index rebuilt from scratch."""
    with site.engine() as e:
        e.warm(load_encoder=False)
        assert e.index_report["jobs"]["action"] in ("loaded", "repaired"), e.index_report
        assert_index_matches_store(e, site.encoder)
        got = top_matches(e, SEEKERS, TODAY)
        assert all(got), "no matches after the restart"
        if compare_rebuilt:
            e.rebuild_index()
            assert_same_matches(got, top_matches(e, SEEKERS, TODAY))


def _sleep_watching(probe: WriteProbe, seconds: float) -> bool:
    """Sleep; True as soon as a write transaction is seen to start meanwhile."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if probe.busy():
            return True
        time.sleep(0.001)
    return False


@pytest.mark.parametrize("phase,seed", [("validating", 11), ("writing", 14), ("writing", 24)])
def test_sigkill_during_cli_import_writes_all_rows_or_none(site, phase, seed):
    path = _ledger(site, seed, n_old=100, n_new=1900)
    file_rows = _parsed(path)
    store = site.store()
    before = table_rows(store, "job")
    rng = random.Random(seed)
    probe = WriteProbe(site.url)
    wrote = False
    try:
        child = run_cli(["import", "jobs", str(path)], site.env(), site.cwd)
        if phase == "validating":
            child.wait_for(lambda: "校验" in child.stderr, 120, "the validation progress bar")
            wrote = _sleep_watching(probe, rng.uniform(0.0, 0.05))  # (a fast machine may be done validating)
        else:
            child.wait_for(probe.busy, 120, "the import's write transaction")
            wrote = True
            time.sleep(rng.uniform(0.0, 0.08))
        rc = child.kill()
    finally:
        probe.close()

    outcome = _assert_all_or_nothing(before, table_rows(store, "job"), file_rows)
    print(f"killed while {phase} (write transaction seen: {wrote}): {outcome} of the file's rows stored")
    # killed, unless on a fast machine it committed and exited within the seeded delay
    assert rc == -signal.SIGKILL or (rc == 0 and outcome == "all"), f"{rc}\n{child.stdout}{child.stderr}"
    if not wrote:
        assert outcome == "none"
    assert_store_consistent(store)
    _check_restart(site)

    # the same file again, to the end: everything is written once, and the index follows the
    # changed titles (a restarted engine re-embeds what changed while it was down)
    done = run_cli(["import", "jobs", str(path), "--quiet"], site.env(), site.cwd)
    assert done.wait(180) == 0, done.stderr
    assert _assert_all_or_nothing(before, table_rows(store, "job"), file_rows) == "all"
    assert ("新增 1900 条，更新 100 条" in done.stdout) == (outcome == "none"), done.stdout
    assert_store_consistent(store)
    _check_restart(site, compare_rebuilt=True)


@pytest.mark.slow
def test_sigkill_at_seeded_moments_of_cli_import(site):
    """Kills at seeded moments from the start of the process to past its end: whatever the moment,
    each file is in the store whole or not at all."""
    store = site.store()
    outcomes = []
    for seed in range(6):
        path = _ledger(site, 100 + seed, n_old=100, n_new=2000, prefix=f"K{seed}")
        file_rows = _parsed(path)
        before = table_rows(store, "job")
        child = run_cli(["import", "jobs", str(path), "--quiet"], site.env(), site.cwd)
        time.sleep(random.Random(seed).uniform(0.3, 3.0))
        child.kill()
        outcomes.append(_assert_all_or_nothing(before, table_rows(store, "job"), file_rows))
        assert_store_consistent(store)
    _check_restart(site, compare_rebuilt=True)
    assert "none" in outcomes
