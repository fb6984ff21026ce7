"""Acknowledged writes survive kill -9. A child process runs the engine as a service does (index
loaded, kept in step with every write, saved from time to time) and makes a seeded sequence of
single-record writes, printing each one after the call returns. The test SIGKILLs it after a seeded
number of acknowledgements, at the start of its next write or of a save of its index. Afterwards
every acknowledged write is in the store, the one in flight is there whole or not at all, and a
restarted engine's index holds exactly the store's matchable records (a new job can be found by
matching)."""

from __future__ import annotations

import random
import signal
from datetime import date

import pytest
from crash_helpers import (
    assert_index_dirs_sound,
    assert_index_matches_store,
    assert_store_consistent,
    matchable,
    run_child,
    write_ops,
    writes_setup,
)

from matcher.records import RECORD_TYPES

TODAY = date(2026, 11, 20)
SIDE = {"job": "jobs", "seeker": "seekers"}


def _canonical(kind, rec):
    return RECORD_TYPES[kind].model_validate(rec).to_dict()


def _replay(live, ops):
    state = {kind: dict(recs) for kind, recs in live.items()}
    for action, kind, rid, rec in ops:
        if action == "delete":
            state[kind].pop(rid)
        elif action == "upsert":
            state[kind][rid] = rec
    return state


@pytest.mark.parametrize("variant", ["pre-embedded", pytest.param("embedding", marks=pytest.mark.slow)])
def test_acknowledged_writes_survive_sigkill(site, variant):
    """``pre-embedded``: the writer's new records were embedded before (so the child needs no
    model and the test is fast); ``embedding``: the child loads the model and embeds new records
    and changed titles itself."""
    seed = 5 if variant == "pre-embedded" else 6
    retitle = variant == "embedding"
    live, fresh = writes_setup(seed)
    with site.engine() as e:
        e.upsert_jobs(list(live["job"].values()))
        e.upsert_seekers(list(live["seeker"].values()))
        if not retitle:  # embed the fresh records now: upserted, indexed, then deleted again
            e.upsert_jobs(fresh["job"])
            e.upsert_seekers(fresh["seeker"])
            e.warm(load_encoder=False)
            for kind, recs in fresh.items():
                for r in recs:
                    e.delete(kind, r["id"])
        e.warm(load_encoder=False)

    n_ops = 400
    ops = write_ops(seed, n_ops, live, fresh, retitle=retitle)
    rng = random.Random(seed)
    # stop after a seeded number of writes; for this seed the next op is a save of the index
    saves = [i for i, op in enumerate(ops) if op[0] == "save" and i >= (25 if not retitle else 15)]
    kill_after = saves[rng.randrange(3)]
    child = run_child(["writes", str(seed), str(n_ops), "retitle" if retitle else "plain"], site.env(), site.cwd)
    child.wait_for(lambda: sum(line.startswith("ACK ") for line in child.lines()) >= kill_after,
                   300, f"{kill_after} acknowledged writes")
    rc = child.kill()
    assert rc == -signal.SIGKILL, child.stderr[-3000:]

    acked = [line.split() for line in child.lines() if line.startswith("ACK ")]
    n = len(acked)
    assert [int(a[1]) for a in acked] == list(range(n)) and kill_after <= n < n_ops
    expected = _replay(live, ops[:n])
    in_flight = ops[n]
    after_flight = _replay(expected, [in_flight])

    store = site.store()
    for kind in ("job", "seeker"):
        stored = {r["id"]: r for r in store.iter_dicts(kind)}
        for rid in set(expected[kind]) | set(after_flight[kind]) | set(stored):
            got = stored.get(rid)
            allowed = [_canonical(kind, s[kind][rid]) if rid in s[kind] else None for s in (expected, after_flight)]
            assert got in allowed, f"{kind} {rid}: stored {got} but the acknowledged state is {allowed[0]}"
    assert_store_consistent(store)
    assert_index_dirs_sound(site.home)

    with site.engine() as e:
        e.warm(load_encoder=False)
        assert {r["action"] for r in e.index_report.values()} <= {"loaded", "repaired"}, e.index_report
        assert_index_matches_store(e, site.encoder)
        for kind, recs in expected.items():
            side = e._side(SIDE[kind])
            for rid, rec in recs.items():
                assert (rid in side.index) == matchable(kind, rec), f"{kind} {rid}"
        # the last acknowledged new job that is still open can be found by matching
        new_jobs = [rid for action, kind, rid, _ in ops[:n] if action == "upsert" and kind == "job" and
                    rid.startswith("N") and matchable("job", expected["job"].get(rid, {"status": "closed"}))]
        assert new_jobs, "the seeded writes added no job that stayed open"
        target = expected["job"][new_jobs[-1]]
        wish = {"desired_occupations": [target["title"]], "lat": target["lat"], "lng": target["lng"],
                "area_type": "urban"}
        assert new_jobs[-1] in [m.id for m in e.match_jobs(wish, k=20, today=TODAY)]
