"""``_Table.upsert_many`` writes what one ``upsert`` per record writes (rows, columns, objects)."""

from __future__ import annotations

import numpy as np

from matcher.features.tables import CodeBook, JobTable


def _feats(i: int, profile: bool) -> dict:
    f = {"lat": 38.0 + i / 100, "lng": np.nan if i % 5 == 0 else 114.5, "prec": i % 3, "open": bool(i % 2),
         "expires": 740_000 + i, "posted": 0, "wage_min": np.nan if i % 4 == 0 else 3000.0 + i, "wage_max": 5000,
         "etype": 1, "edu": -1, "age_min": 0, "age_max": 200, "exp_min": 0.5, "headcount": i + 1,
         "accessible": False, "welcome": 3, "welfare": i % 3 == 0, "licenses": frozenset({f"l{i}"}), "nlic": 1,
         "region": "130102", "employer": f"E{i % 7}"}
    if profile:
        f.update({"occ4": i, "occ3": i // 2, "occ2": -1, "occ_conf": 0.25, "heavy": True, "skills": frozenset({"电焊"})})
    return f


def _table_state(t: JobTable) -> tuple:
    return (list(t.ids), dict(t.row_of), {k: c.copy() for k, c in t.cols.items()}, t.alive.copy(),
            {k: list(v) for k, v in t.objs.items()})


def _equal(a: tuple, b: tuple) -> bool:
    return (a[0] == b[0] and a[1] == b[1] and a[2].keys() == b[2].keys()
            and all(np.array_equal(a[2][k], b[2][k], equal_nan=True) for k in a[2])
            and np.array_equal(a[3], b[3]) and a[4] == b[4])


def test_upsert_many_equals_one_upsert_per_record():
    one, many = JobTable(CodeBook(), capacity=4), JobTable(CodeBook(), capacity=4)
    first = [(f"J{i}", _feats(i, True)) for i in range(10)]
    for t in (one, many):
        for rid, f in first:
            t.upsert(rid, f)
        t.remove(["J3", "J4"])  # free rows are reused
    # new ids, known ids with and without profile columns, growth past the capacity
    batch = [(f"J{i}", _feats(i + 100, i % 2 == 0)) for i in (1, 2, 3, 11, 12, 13, 14, 15, 16, 17, 18, 5)]
    rows_one = [one.upsert(rid, f) for rid, f in batch]
    rows_many = many.upsert_many([rid for rid, _ in batch], [f for _, f in batch])
    assert rows_many.tolist() == rows_one
    assert _equal(_table_state(one), _table_state(many))


def test_upsert_many_with_an_id_twice_keeps_the_last():
    one, many = JobTable(CodeBook()), JobTable(CodeBook())
    batch = [("J1", _feats(1, True)), ("J2", _feats(2, False)), ("J1", _feats(3, False))]
    for rid, f in batch:
        one.upsert(rid, f)
    many.upsert_many([rid for rid, _ in batch], [f for _, f in batch])
    assert _equal(_table_state(one), _table_state(many))
