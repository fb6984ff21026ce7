"""The batch path (digests) gives every seeker the same list as ``match_jobs``, on the generated
Hebei sample, through the real engine (real encoder, FAISS, SQLite)."""

from datetime import date

import pytest

TODAY = date(2026, 11, 20)


@pytest.fixture
def sample_home(engine):
    from matcher.data.sample import generate

    s = generate(seed=11, n_jobs=400, n_seekers=300, today=TODAY)
    for kind, recs in (("station", s.stations), ("employer", s.employers), ("job", s.jobs), ("seeker", s.seekers)):
        engine.upsert(kind, recs)
    engine.warm()
    return engine, [x["id"] for x in s.seekers if x["status"] != "employed"]


def test_batch_lists_equal_one_seeker_lists(sample_home):
    engine, ids = sample_home
    batch = engine.match_jobs_batch(ids, k=10, today=TODAY, block=64)
    assert set(batch) == set(ids)
    differ = []
    for sid in ids:
        one = engine.match_jobs(sid, k=10, today=TODAY)
        a = [(m.id, m.score, m.reasons, m.breakdown["reach"]) for m in one]
        b = [(m.id, m.score, m.reasons, m.breakdown["reach"]) for m in batch[sid]]
        if a != b:
            at = next(i for i in range(max(len(a), len(b))) if i >= len(a) or i >= len(b) or a[i] != b[i])
            differ.append((sid, at, a[at:at + 2], b[at:at + 2]))
    assert not differ, (len(differ), differ[:3])
    assert any(batch.values())


def test_batch_skips_unknown_ids_and_keeps_summaries(sample_home):
    engine, ids = sample_home
    got = engine.match_jobs_batch([ids[0], "NOPE", ids[0]], k=5, today=TODAY)
    assert list(got) == [ids[0]]
    assert all(m.summary.get("title") for m in got[ids[0]])


def test_batch_summaries_follow_a_changed_job(sample_home):
    """Job summaries are kept across blocks and calls while the jobs are unchanged; a changed job's
    new title and wage show in the next batch."""
    engine, ids = sample_home
    first = engine.match_jobs_batch(ids[:20], k=5, today=TODAY)
    sid, lst = next((s, lst) for s, lst in first.items() if lst)
    job = dict(engine.store.get_dicts("job", [lst[0].id])[lst[0].id])
    job["wage_max"] = float(job.get("wage_max") or job.get("wage_min") or 3000) + 1234.0
    engine.upsert("job", [job])
    again = engine.match_jobs_batch([sid], k=5, today=TODAY)[sid]
    changed = next(m for m in again if m.id == job["id"])  # a better wage keeps it in the list
    assert changed.summary["wage_max"] == job["wage_max"] != lst[0].summary["wage_max"]
    one = {m.id: m.summary for m in engine.match_jobs(sid, k=5, today=TODAY)}
    assert one[job["id"]] == changed.summary


def test_an_engine_without_the_seekers_index_gives_the_same_batch_lists(sample_home, encoder, model_cache):
    """Digest workers open the engine with ``seeker_index=False``: the seekers' table and vectors
    only. Their lists are the ones of a full engine; candidate searches are refused, not wrong."""
    from matcher.engine import MatchEngine
    from matcher.errors import MatcherError

    engine, ids = sample_home
    full = engine.match_jobs_batch(ids, k=10, today=TODAY)
    with MatchEngine.open(home=engine.settings.home, encoder=encoder, model_cache=model_cache, sync_interval=0,
                          read_only=True, seeker_index=False) as lean:
        got = lean.match_jobs_batch(ids, k=10, today=TODAY)
        assert lean.index_report["seekers"]["action"] == "not_loaded"
        assert len(lean._side("seekers").index) == 0 and len(lean._side("seekers").table.row_of) == len(ids)
        job = next(iter(engine._side("jobs").table.row_of))
        with pytest.raises(MatcherError, match="seeker_index"):
            lean.match_candidates(job, k=5, today=TODAY)
    assert {s: [(m.id, m.score, m.reasons) for m in v] for s, v in got.items()} == \
        {s: [(m.id, m.score, m.reasons) for m in v] for s, v in full.items()}
