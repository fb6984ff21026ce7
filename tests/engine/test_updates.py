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
