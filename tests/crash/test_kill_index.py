"""kill -9 during an index rebuild and during the save of the FAISS index. A save writes a new
version folder and then switches the CURRENT pointer, so a crash at any point leaves CURRENT naming
a complete version (the old one or the new one); on restart the engine loads it, brings it in step
with the store, and the index holds exactly the store's matchable records.

The store's index was saved, then the store changed behind it (jobs closed, moved, deleted; seekers
employed and deleted), so the child has real work: ``warm()`` repairs and saves both indexes, then
``rebuild_index()`` rebuilds and saves them again. Jobs use the IVF index (``index.faiss`` is
written too), seekers the exact one."""

from __future__ import annotations

import random
import shutil
import signal
import time

import pytest
from crash_helpers import (
    SEEKERS,
    TODAY,
    assert_index_dirs_sound,
    assert_index_matches_store,
    assert_same_matches,
    assert_store_consistent,
    job,
    jobs,
    run_child,
    run_cli,
    seekers,
    top_matches,
    version_dirs,
)

from matcher.records import Job, Seeker

MODES = ("before", "torn", "after")


def _index_behind_store(site, seed: int = 21, new_texts: int = 0) -> None:
    """Save an index of 400 jobs and 120 seekers, then change the store without the engine:
    nothing the child does needs the model, unless ``new_texts`` jobs with texts never embedded
    before are added."""
    site.settings["exact_index_max"] = 200
    rng = random.Random(seed)
    js, ss = jobs(400, seed), seekers(120, seed + 1)
    with site.engine() as e:
        e.upsert_jobs(js)
        e.upsert_seekers(ss)
        e.warm(load_encoder=False)
    store = site.store()
    picked = rng.sample(js, 70)
    store.upsert("job", [Job.model_validate({**r, "status": "closed"}) for r in picked[:30]])
    store.upsert("job", [Job.model_validate({**r, "lat": r["lat"] + 0.01, "wage_min": 2000}) for r in picked[30:60]])
    for r in picked[60:]:
        store.delete("job", r["id"])
    people = rng.sample(ss, 15)
    store.upsert("seeker", [Seeker.model_validate({**r, "status": "employed"}) for r in people[:10]])
    for r in people[10:]:
        store.delete("seeker", r["id"])
    if new_texts:
        extra = [job(f"X{i:05d}", rng, description=f"新开门店第{i}号岗位，负责门店日常运营") for i in range(new_texts)]
        store.upsert("job", [Job.model_validate(r) for r in extra])


def _check_after_crash(site, compare_rebuilt: bool = False) -> None:
    """Nothing half-written is ever loaded; the restarted engine loads the index (never has to
    rebuild it for corruption), repairs what the store changed, and agrees with the store."""
    assert_index_dirs_sound(site.home)
    with site.engine() as e:
        e.warm(load_encoder=False)
        assert {r["action"] for r in e.index_report.values()} <= {"loaded", "repaired"}, e.index_report
        assert_index_matches_store(e, site.encoder)
        got = top_matches(e, SEEKERS, TODAY)
        assert all(got)
        e.rebuild_index()  # the next save clears what the crash left behind
        for name in ("jobs", "seekers"):
            path = site.home / "index" / name
            assert len(version_dirs(path)) <= 2, sorted(version_dirs(path))
            assert not [p for p in path.iterdir() if p.name.startswith(".CURRENT.tmp")]
        if compare_rebuilt:
            assert_same_matches(got, top_matches(e, SEEKERS, TODAY))
    assert_store_consistent(site.store())


def _crash_points(site):
    """Run the child once without a crash: every numbered save step, and the pristine index dir."""
    pristine = site.cwd / "index-pristine"
    shutil.copytree(site.home / "index", pristine)
    child = run_child(["save-crash", "0", "none"], site.env(), site.cwd)
    assert child.wait(300) == 0 and "DONE" in child.stdout, child.stderr[-3000:]
    steps = [line.split(maxsplit=2)[1:] for line in child.lines() if line.startswith("STEP ")]
    assert [int(n) for n, _ in steps] == list(range(1, len(steps) + 1))
    assert sum(name.startswith("replace") for _, name in steps) == 4  # warm saves 2 sides, rebuild 2
    return pristine, [name for _, name in steps]


def _crash_at(site, pristine, point: int, mode: str, steps: list[str]) -> None:
    shutil.rmtree(site.home / "index")
    shutil.copytree(pristine, site.home / "index")
    child = run_child(["save-crash", str(point), mode], site.env(), site.cwd)
    rc = child.wait(300)
    assert rc == -signal.SIGKILL, f"step {point} {mode}: {rc}\n{child.stderr[-3000:]}"
    assert child.lines()[-1] == f"STEP {point} {steps[point - 1]}"
    _check_after_crash(site)


def test_sigkill_at_seeded_steps_of_index_save(site):
    _index_behind_store(site)
    pristine, steps = _crash_points(site)
    _check_after_crash(site, compare_rebuilt=True)  # the uninterrupted run
    rng = random.Random(7)
    for _ in range(2):
        point = rng.randrange(1, len(steps) + 1)
        _crash_at(site, pristine, point, rng.choice(MODES), steps)


@pytest.mark.slow
def test_sigkill_at_every_step_of_index_save(site):
    _index_behind_store(site)
    pristine, steps = _crash_points(site)
    rng = random.Random(8)
    for point in range(1, len(steps) + 1):
        name = steps[point - 1]
        modes = [m for m in MODES if m != "torn" or name.startswith(("write", "cleanup"))]
        _crash_at(site, pristine, point, rng.choice(modes), steps)


@pytest.mark.slow
@pytest.mark.parametrize("trigger,seed", [("embedding", 31), ("saving jobs", 32), ("saving seekers", 33)])
def test_sigkill_during_cli_index_rebuild(site, trigger, seed):
    """`matcher index rebuild` (it loads the model and embeds 40 new texts), killed from outside
    at a seeded moment once it is embedding (its progress bar is on stderr) or once a new version
    folder of an index appears (the save is under way)."""
    _index_behind_store(site, seed, new_texts=40)
    rng = random.Random(seed)
    side = trigger.split()[-1]
    path = site.home / "index" / side
    before = version_dirs(path)
    child = run_cli(["index", "rebuild"], site.env(), site.cwd)
    if trigger == "embedding":
        child.wait_for(lambda: "向量化" in child.stderr, 300, "the embedding progress bar")
        time.sleep(rng.uniform(0.0, 0.5))
    else:
        child.wait_for(lambda: version_dirs(path) - before, 300, f"a new version of the {side} index", poll=0.0005)
        time.sleep(rng.uniform(0.0, 0.005))
    assert child.kill() == -signal.SIGKILL, child.stdout
    _check_after_crash(site, compare_rebuilt=True)
