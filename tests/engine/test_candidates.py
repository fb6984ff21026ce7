"""The engine's candidate stage on hand-made vectors (no model): global neighbours ∪ the radius
searched by cosine when many records lie around the query."""

import numpy as np
import pytest

from matcher.features.tables import CodeBook, JobTable
from matcher.index.candidates import CandidateSelector, Side
from matcher.index.faiss_index import FaissIndex
from matcher.index.spatial import GridIndex
from matcher.ranking.config import RankingConfig

DIM = 16
BASE = (38.0, 114.5)


def unit(v):
    v = np.asarray(v, dtype=np.float32)
    return v / np.linalg.norm(v)


def north(km):
    return BASE[0] + km / 111.195, BASE[1]


def vec(cos_to_query, seed):
    """A unit vector at the given cosine to the query (e0)."""
    rng = np.random.default_rng(seed)
    other = rng.normal(size=DIM)
    other[0] = 0
    other /= np.linalg.norm(other)
    v = np.zeros(DIM)
    v[0] = cos_to_query
    return unit(v + np.sqrt(1 - cos_to_query**2) * other)


def make_side(records, exact_max=20_000, churn=0):
    """A jobs side from (id, lat, lng, vector) records. ``churn`` rows are added and removed first,
    so the table's rows and the vector index's rows are numbered differently."""
    table, grid = JobTable(CodeBook()), GridIndex()
    index = FaissIndex(DIM, exact_max=exact_max)
    side = Side("jobs", index, table, grid, np.zeros((0, DIM), dtype=np.float32))
    eng = CandidateSelector(RankingConfig(candidates=10, local_candidates=10, local_nearest=5))
    junk = [(f"junk{i}", 45.0, 100.0 + i * 0.001, vec(0.1, 1000 + i)) for i in range(churn)]
    for batch in (junk, records):
        for rid, lat, lng, v in batch:
            row = table.upsert(rid, {"lat": lat, "lng": lng, "open": True})
            grid.put(row, lat, lng)
            if side.vectors.shape[0] < len(table.alive):
                grown = np.zeros((len(table.alive), DIM), dtype=np.float32)
                grown[: side.vectors.shape[0]] = side.vectors
                side.vectors = grown
            side.vectors[row] = v
        index.add([r[0] for r in batch], np.array([r[3] for r in batch], dtype=np.float32).reshape(-1, DIM))
        if batch is junk and junk:
            gone = [r[0] for r in junk[::2]]
            index.remove(gone)
            for g in gone:
                grid.discard(table.row_of[g])
            table.remove(gone)
    return eng, side


def old_capped_candidates(eng, side, q, lat, lng, radius_km):
    """The candidate stage before the change: ANN neighbours ∪ the nearest local_candidates grid rows."""
    cfg, t = eng.cfg, side.table
    rows = [t.rows(side.index.search(q, cfg.candidates).ids[0])]
    near = side.grid.within(lat, lng, radius_km)
    if len(near) > cfg.local_candidates:
        d2 = (t.lat[near] - lat) ** 2 + ((t.lng[near] - lng) * np.cos(np.radians(lat))) ** 2
        near = near[np.argpartition(d2, cfg.local_candidates)[: cfg.local_candidates]]
    rows.append(near)
    return np.unique(np.concatenate(rows))


def scene():
    """A seeker at BASE. 30 unrelated jobs within 1 km, 20 excellent matches 300 km away (they fill
    the global neighbours), and the target: a good match 6 km away, inside the 9 km radius."""
    recs = [(f"near{i}", *north(0.03 * i), vec(0.05, i)) for i in range(30)]
    recs += [(f"far{i}", BASE[0] + 2.7, BASE[1] + 0.01 * i, vec(0.97, 100 + i)) for i in range(20)]
    recs.append(("target", *north(6.0), vec(0.8, 999)))
    return recs


@pytest.mark.parametrize("exact_max,churn", [(20_000, 0), (20_000, 37), (40, 37)])
def test_radius_search_finds_the_best_job_inside_the_radius(exact_max, churn):
    eng, side = make_side(scene(), exact_max=exact_max, churn=churn)
    if churn:  # the table and the index number their rows differently
        live = np.flatnonzero(side.table.alive)
        assert not np.array_equal(live, side.index.rows_for([side.table.ids[r] for r in live]))
    q = unit(np.eye(DIM)[0])
    target = side.table.row_of["target"]
    old = old_capped_candidates(eng, side, q, *BASE, 9.0)
    assert target not in old  # the nearest 10 are the unrelated jobs; the global 10 are far away
    rows, cos = eng.select(side, q, *BASE, 9.0)
    assert target in rows
    assert cos[list(rows).index(target)] == pytest.approx(0.8, abs=1e-5)
    # the global neighbours are still there (a seeker willing to move, a job outside the circle)
    assert {side.table.row_of[f"far{i}"] for i in range(10)} & set(rows.tolist())
    # and the nearest rows, whatever their wording
    assert side.table.row_of["near0"] in rows


def test_few_rows_around_the_query_are_all_candidates():
    recs = [(f"near{i}", *north(0.5 * i), vec(0.05, i)) for i in range(8)]
    recs += [(f"far{i}", BASE[0] + 2.7, BASE[1] + 0.01 * i, vec(0.97, 100 + i)) for i in range(20)]
    eng, side = make_side(recs)
    rows, _ = eng.select(side, unit(np.eye(DIM)[0]), *BASE, 9.0)
    assert {side.table.row_of[f"near{i}"] for i in range(8)} <= set(rows.tolist())


def test_row_map_follows_index_changes():
    eng, side = make_side(scene(), churn=11)
    q = unit(np.eye(DIM)[0])
    eng.select(side, q, *BASE, 9.0)
    first = side.irow.copy()
    # changes made to the index behind the map's back (rows freed, then renumbered): it is rebuilt
    gone = [f"near{i}" for i in range(1, 30, 2)]
    side.index.remove(gone)
    for g in gone:
        side.grid.discard(side.table.row_of[g])
    side.table.remove(gone)
    assert side.index.compact()
    rows, _ = eng.select(side, q, *BASE, 9.0)
    assert side.table.row_of["target"] in rows
    t = side.table
    live = np.flatnonzero(t.alive)
    assert np.array_equal(side.irow[live], side.index.rows_for([t.ids[r] for r in live]))
    assert not np.array_equal(first[live], side.irow[live])
