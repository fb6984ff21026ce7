"""Changes to existing records through the real engine: a change that leaves the text alone is
applied without re-profiling or re-embedding; a text change is re-profiled and re-embedded."""

from datetime import date, timedelta

import numpy as np

TODAY = date(2026, 11, 20)
BASE = (38.00, 114.50)


def job(jid, title="电焊工", km=1.0, **extra):
    rec = {"id": jid, "title": title, "description": "钢结构焊接", "skills": ["焊工证"], "region_code": "130102",
           "lat": BASE[0] + km / 111.0, "lng": BASE[1], "wage_min": 5000, "wage_max": 7000,
           "posted_at": (TODAY - timedelta(days=3)).isoformat(), "expires_at": (TODAY + timedelta(days=30)).isoformat()}
    rec.update(extra)
    return rec


class Counter:
    def __init__(self, obj, name):
        self.calls, self.items, real = 0, 0, getattr(obj, name)

        def wrapper(*a, **kw):
            self.calls += 1
            self.items += len(a[0]) if a and isinstance(a[0], list) else 1
            return real(*a, **kw)

        setattr(obj, name, wrapper)


def test_unchanged_text_is_not_reprofiled_or_reembedded(engine, monkeypatch):
    engine.upsert_jobs([job("A", km=1.0), job("B", title="保洁员", km=2.0, description="商场保洁", skills=[]),
                        job("C", km=3.0)])
    engine.upsert_seekers([{"id": "S", "desired_occupations": ["电焊工"], "region_code": "130102",
                            "lat": BASE[0], "lng": BASE[1], "area_type": "rural"}])
    assert engine.match_jobs("S", k=3, today=TODAY)
    side = engine.side_cache("jobs")
    t = side.table
    before = {rid: (side.vectors[t.row_of[rid]].copy(), int(t.occ4[t.row_of[rid]])) for rid in "ABC"}
    side.index_rows()  # the table row -> index row map exists and is kept in step from now on
    engine._side("seekers")  # loaded now: the seeker's query vector then comes from memory, not a look-up
    encode = Counter(engine.encoder, "encode_documents")
    profile = Counter(engine.ctx.profiler, "job")
    embed = Counter(engine, "_embed_records")

    # wage and position: nothing re-profiled, looked up or embedded; the new values are served
    engine.upsert_jobs([job("A", km=4.0, wage_min=6000, wage_max=9000)])
    engine.match_jobs("S", k=3, today=TODAY)
    assert (encode.calls, profile.calls, embed.calls) == (0, 0, 0)
    row = t.row_of["A"]
    assert t.wage_min[row] == 6000 and abs(t.lat[row] - (BASE[0] + 4.0 / 111.0)) < 1e-9
    assert int(t.occ4[row]) == before["A"][1] and np.array_equal(side.vectors[row], before["A"][0])
    a = next(m for m in engine.match_jobs("S", k=3, today=TODAY) if m.id == "A")
    assert 4.0 < a.breakdown["distance_km"] < 4.1
    assert row in side.grid.within(BASE[0] + 4.0 / 111.0, BASE[1], 0.3)
    assert row not in side.grid.within(BASE[0] - 10.0 / 111.0, BASE[1], 2.0)

    # closed, then reopened: the reopened job is profiled again, but its stored vector is reused
    engine.upsert_jobs([job("C", km=3.0, status="closed")])
    assert "C" not in t.row_of and "C" not in side.index
    engine.upsert_jobs([job("C", km=3.0)])
    assert "C" in side.index and (profile.calls, encode.calls) == (1, 0)
    assert np.array_equal(side.vectors[t.row_of["C"]], before["C"][0])

    # a new title: profiled and embedded again, with the new occupation
    engine.upsert_jobs([job("B", title="电焊工", km=2.0, description="钢结构焊接", skills=["焊工证"])])
    row = t.row_of["B"]
    assert (profile.calls, encode.items) == (2, 1)
    assert int(t.occ4[row]) == before["A"][1] != before["B"][1]
    assert not np.array_equal(side.vectors[row], before["B"][0])
    assert np.allclose(side.index.vector("B"), side.vectors[row])

    # the row map was kept in step by those writes (not rebuilt) and equals a fresh one
    assert side.irow_key is not None
    live = np.flatnonzero(t.alive)
    assert np.array_equal(side.irow[live], side.index.rows_for([t.ids[r] for r in live]))


def test_a_job_moved_by_its_region_code_alone_gets_the_new_place(engine):
    """Positions come from Gazetteer.locate, whose code-derived part is cached by the exact (code,
    area type): a job without coordinates that moves to another county takes that county's
    centroid, and back; one that gains coordinates is placed exactly."""
    gaz = engine.ctx.gazetteer
    a, b = gaz.get("130102"), gaz.get("130104")
    rec = job("M", lat=None, lng=None)
    engine.upsert_jobs([rec])
    t = engine.side_cache("jobs").table
    for code, place in (("130104", b), ("130102", a), ("130104", b)):
        engine.upsert_jobs([{**rec, "region_code": code, "wage_min": 5000 + len(code)}])
        row = t.row_of["M"]
        assert (t.lat[row], t.lng[row], t.region[row]) == (place.lat, place.lng, code)
    engine.upsert_jobs([{**rec, "region_code": "130104", "lat": 38.1, "lng": 114.6}])
    row = t.row_of["M"]
    assert (t.lat[row], t.lng[row]) == (38.1, 114.6)


def test_gc_freeze_after_warm_and_rebuild_unfreezes_what_it_replaces(engine, monkeypatch):
    """settings.gc_freeze: warm() leaves what it loaded out of the collector's passes; a rebuild
    unfreezes, so cycles the replaced caches held are collected (nothing kept for good)."""
    import gc
    import weakref

    class Cycle:
        pass

    engine.upsert_jobs([job("A"), job("B", km=2.0)])
    engine.settings.gc_freeze = True
    gc.unfreeze()
    try:
        side = engine.side_cache("jobs")
        held = Cycle()
        held.me = held  # a cycle, reachable from the side
        side.extra = held
        gone = weakref.ref(held)
        del held
        engine.warm(load_encoder=False)
        assert gc.get_freeze_count() > 0
        del side.extra, side  # cyclic garbage now, but frozen: a collection leaves it
        gc.collect()
        assert gone() is not None
        engine.rebuild_index()  # replaces the sides; unfreezes first, freezes the new ones after
        assert gc.get_freeze_count() > 0
        gc.unfreeze()
        gc.collect()
        assert gone() is None
        assert {m.id for m in engine.match_jobs({"id": "Q", "desired_occupations": ["电焊工"], "region_code": "130102",
                                                 "lat": BASE[0], "lng": BASE[1]}, k=5, today=TODAY)} == {"A", "B"}
    finally:
        gc.unfreeze()
