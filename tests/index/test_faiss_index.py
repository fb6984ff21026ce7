"""Contract, accuracy and persistence tests of ``matcher.index.FaissIndex``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from evaluation.bench_index import clustered_vectors
from matcher.errors import MatcherError
from matcher.index import (
    DimensionMismatch,
    FaissIndex,
    IndexCorrupt,
    IndexInputError,
    SearchResult,
    VectorIndex,
)
from matcher.index.faiss_index import CURRENT_FILE, default_nlist, default_nprobe


def unit(rows: int, dim: int, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((rows, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def brute(x: np.ndarray, q: np.ndarray, k: int, rows: np.ndarray | None = None) -> np.ndarray:
    """Exact top-k row numbers (over ``rows`` when given) for each query."""
    rows = np.arange(len(x)) if rows is None else np.asarray(rows)
    scores = np.atleast_2d(q) @ x[rows].T
    return rows[np.argsort(-scores, axis=1, kind="stable")[:, :k]]


def ids_of(n: int, prefix: str = "J") -> list[str]:
    return [f"{prefix}{i:05d}" for i in range(n)]


@pytest.fixture(scope="module")
def small_ivf_data():
    return unit(4000, 32, seed=3)


def make_ivf(x: np.ndarray, exact_max: int = 1000) -> FaissIndex:
    index = FaissIndex(x.shape[1], exact_max=exact_max)
    index.add(ids_of(len(x)), x)
    assert index.kind == "ivf"
    return index


@pytest.fixture(scope="module")
def clustered():
    """~60k clustered 384-d vectors plus queries, indexed with the approximate path."""
    data = clustered_vectors(60_200, 384, seed=11)
    x, q = data[:60_000], data[60_000:]
    index = FaissIndex(384, exact_max=20_000)
    index.add(ids_of(len(x)), x)
    return x, q, index


# -- contract ------------------------------------------------------------------------------------------
def test_add_search_len_ids_vector_contract():
    x = unit(50, 8)
    index = FaissIndex(8)
    assert isinstance(index, VectorIndex)
    assert len(index) == 0 and index.ids() == [] and index.kind == "exact"
    assert index.search(x[0], 5).ids == [[]]
    index.add(ids_of(50), x)
    assert len(index) == 50
    assert index.ids() == ids_of(50)
    assert "J00007" in index and "nope" not in index
    np.testing.assert_array_equal(index.vector("J00007"), x[7])
    np.testing.assert_array_equal(index.vectors(["J00003", "J00001"]), x[[3, 1]])
    with pytest.raises(KeyError):
        index.vector("nope")
    with pytest.raises(KeyError):
        index.vectors(["J00001", "nope"])
    res = index.search(x[7], 3)
    assert isinstance(res, SearchResult)
    assert res.ids[0][0] == "J00007"
    assert res.hits()[0][0] == "J00007" and res.hits()[0][1] == pytest.approx(1.0, abs=1e-5)
    assert res.rows.shape == (1, 3) and res.scores.shape == (1, 3)
    assert index.ids_for(res.rows[0]) == res.ids[0]
    np.testing.assert_array_equal(index.rows_for(res.ids[0]), res.rows[0])
    assert index.rows_for(["nope"]).tolist() == [-1]
    assert index.ids_for([-1, 10_000]) == [None, None]


def test_exact_known_answer():
    x = np.array([[1, 0, 0], [0.8, 0.6, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float32)
    index = FaissIndex(3)
    index.add(["a", "b", "c", "d"], x)
    res = index.search(np.array([0.6, 0.8, 0.0], dtype=np.float32), 4)
    assert res.ids == [["b", "c", "a", "d"]]
    np.testing.assert_allclose(res.scores[0], [0.96, 0.8, 0.6, 0.0], atol=1e-6)
    assert res.method == "exact"
    # batch queries: one row per query
    res = index.search(np.array([[0, 0, 1], [1, 0, 0]], dtype=np.float32), 2)
    assert res.ids[0][0] == "d" and res.ids[1] == ["a", "b"]
    # k larger than the collection: padded rows/scores, unpadded ids
    res = index.search(x[0], 10)
    assert len(res.ids[0]) == 4 and res.rows.shape[1] == 4


def test_upsert_replaces_and_batch_duplicates_last_wins():
    x = np.eye(4, dtype=np.float32)
    index = FaissIndex(4)
    index.add(["a", "b", "c"], x[:3])
    index.add(["a"], x[3])  # a moves to where only d-like vectors are
    assert len(index) == 3
    np.testing.assert_array_equal(index.vector("a"), x[3])
    assert index.search(x[3], 1).ids == [["a"]]
    assert index.search(x[0], 1).hits()[0][1] < 0.5  # nothing is at a's old place any more
    index.add(["z", "z"], x[[0, 1]])
    assert len(index) == 4
    np.testing.assert_array_equal(index.vector("z"), x[1])


def test_upsert_replaces_on_approximate_path(small_ivf_data):
    x = small_ivf_data
    index = make_ivf(x)
    target = -x[0]  # a vector no one is near
    index.add(["J00000"], target)
    assert len(index) == len(x)
    assert index.search(target, 1).ids == [["J00000"]]
    assert "J00000" not in index.search(x[0], 20).ids[0]
    assert index._ivf.ntotal == len(x)


def test_remove_excludes_ids_exact_path():
    x = unit(300, 16, seed=1)
    index = FaissIndex(16)
    index.add(ids_of(300), x)
    gone = ids_of(300)[:100:3]
    assert index.remove(gone + ["never-there"]) == len(gone)
    assert index.remove(gone) == 0
    assert len(index) == 300 - len(gone)
    res = index.search(x[: 100 : 3], 50)
    assert not set(gone) & {rid for hits in res.ids for rid in hits}
    for rid in gone:
        assert rid not in index
    # results equal brute force over the remaining rows
    keep = np.array([i for i in range(300) if ids_of(300)[i] not in set(gone)])
    q = unit(5, 16, seed=9)
    want = brute(x, q, 20, keep)
    assert [index.rows_for(h).tolist() for h in index.search(q, 20).ids] == want.tolist()
    # many free rows: the live-rows scan path gives the same answer
    index.remove(ids_of(300)[150:290])
    keep = np.array([r for r in keep if r < 150 or r >= 290])
    assert [index.rows_for(h).tolist() for h in index.search(q, 20).ids] == brute(x, q, 20, keep).tolist()
    # freed rows are reused (lowest first)
    index.add(["new"], x[0])
    assert index.rows_for(["new"]).tolist() == [0]


def test_remove_excludes_ids_approximate_path(small_ivf_data):
    x = small_ivf_data
    index = make_ivf(x)
    gone = ids_of(len(x))[:500]
    assert index.remove(gone) == 500
    assert index.kind == "ivf" and index._ivf.ntotal == len(x) - 500
    res = index.search(x[:500], 20)
    assert not set(gone) & {rid for hits in res.ids for rid in hits}
    res = index.search(x[:50], 20, allowed=np.ones(index.n_rows, dtype=bool))
    assert not set(gone) & {rid for hits in res.ids for rid in hits}


def test_switches_exact_to_ivf_and_back_and_retrains():
    x = unit(3000, 16, seed=5)
    index = FaissIndex(16, exact_max=1000, retrain_growth=2.0)
    index.add(ids_of(900), x[:900])
    assert index.kind == "exact"
    index.add(ids_of(1200), x[:1200])
    assert index.kind == "ivf" and index._trained_n == 1200
    assert index.nlist == default_nlist(1200) and index.nprobe == default_nprobe(index.nlist)
    index.add(ids_of(3000), x)  # grew past 2x the training size: retrained
    assert index._trained_n == 3000
    assert index.nlist == default_nlist(3000)
    index.remove(ids_of(3000)[400:])  # below exact_max / 2: exact again
    assert index.kind == "exact" and len(index) == 400
    assert index.search(x[5], 1).ids == [["J00005"]]


def test_auto_retrain_off_needs_retrain_flag():
    x = unit(3000, 16, seed=6)
    index = FaissIndex(16, exact_max=1000, auto_retrain=False)
    index.add(ids_of(1100), x[:1100])
    index.add(ids_of(3000), x)
    assert index._trained_n == 1100 and index.needs_retrain
    index.retrain()
    assert index._trained_n == 3000 and not index.needs_retrain


# -- approximate accuracy -----------------------------------------------------------------------------
def test_approximate_recall_at_10_vs_exact(clustered):
    x, q, index = clustered
    assert index.kind == "ivf"
    assert index.nlist == default_nlist(60_000)
    res = index.search(q, 10)
    assert res.method == "ivf"
    truth = brute(x, q, 10)
    found = [index.rows_for(h) for h in res.ids]
    recall = np.mean([len(set(f.tolist()) & set(t.tolist())) / 10 for f, t in zip(found, truth, strict=True)])
    assert recall >= 0.98, recall
    # IVF-Flat scores are exact inner products
    np.testing.assert_allclose(res.scores[:, 0], np.einsum("ij,ij->i", q, x[res.rows[:, 0]]), atol=1e-5)


def test_allowed_mask_approximate_path(clustered):
    x, q, index = clustered
    rng = np.random.default_rng(2)
    # a large allowed set goes through the IVF with a bitmap selector
    mask = rng.random(index.n_rows) < 0.4
    res = index.search(q[:50], 10, allowed=mask)
    assert res.method == "ivf+filter"
    assert mask[res.rows[res.rows >= 0]].all()
    truth = brute(x, q[:50], 10, np.flatnonzero(mask))
    recall = np.mean([len(set(r.tolist()) & set(t.tolist())) / 10 for r, t in zip(res.rows, truth, strict=True)])
    assert recall >= 0.98, recall
    # a small one (a county) is searched exactly
    small = np.zeros(index.n_rows, dtype=bool)
    small[rng.choice(index.n_rows, 300, replace=False)] = True
    res = index.search(q[:20], 15, allowed=small)
    assert res.method == "exact+filter"
    assert res.rows.tolist() == brute(x, q[:20], 15, np.flatnonzero(small)).tolist()
    # 10% allowed: still approximate (cheaper than scoring 6,000 random rows), still accurate
    mid = rng.random(index.n_rows) < 0.1
    res = index.search(q[:50], 10, allowed=mid)
    assert res.method == "ivf+filter" and mid[res.rows[res.rows >= 0]].all()
    truth = brute(x, q[:50], 10, np.flatnonzero(mid))
    recall = np.mean([len(set(r.tolist()) & set(t.tolist())) / 10 for r, t in zip(res.rows, truth, strict=True)])
    assert recall >= 0.98, recall
    # nothing allowed -> nothing found; shorter masks mean "rows beyond are not allowed"
    assert index.search(q[0], 10, allowed=np.zeros(index.n_rows, dtype=bool)).ids == [[]]
    short = np.ones(100, dtype=bool)
    assert set(index.search(q[0], 10, allowed=short).rows[0].tolist()) <= set(range(100))


def test_allowed_mask_exact_path():
    x = unit(500, 12, seed=4)
    index = FaissIndex(12)
    index.add(ids_of(500), x)
    mask = np.zeros(500, dtype=bool)
    mask[::7] = True
    q = unit(3, 12, seed=8)
    res = index.search(q, 10, allowed=mask)
    assert mask[res.rows].all()
    assert res.rows.tolist() == brute(x, q, 10, np.flatnonzero(mask)).tolist()
    with pytest.raises(IndexInputError):
        index.search(q, 10, allowed=np.flatnonzero(mask))  # row numbers are not a mask
    np.testing.assert_array_equal(index.mask_for([ids_of(500)[i] for i in range(0, 500, 7)]), mask)


def test_search_subset_equals_brute_force(clustered):
    x, q, index = clustered
    rng = np.random.default_rng(5)
    rows = np.sort(rng.choice(len(x), 3000, replace=False))
    want = brute(x, q[:10], 25, rows)
    by_rows = index.search_subset(q[:10], rows, 25)
    assert by_rows.rows.tolist() == want.tolist()
    np.testing.assert_allclose(by_rows.scores, np.take_along_axis(q[:10] @ x.T, want, axis=1), atol=1e-5)
    ids = index.ids_for(rows)
    assert index.search_subset(q[:10], ids + ["unknown"], 25).rows.tolist() == want.tolist()
    mask = np.zeros(index.n_rows, dtype=bool)
    mask[rows] = True
    assert index.search_subset(q[:10], mask, 25).rows.tolist() == want.tolist()
    assert index.search_subset(q[0], [], 5).ids == [[]]
    res = index.search_subset(q[0], rows[:3], 10)  # fewer rows than k
    assert sorted(res.rows[0].tolist()) == sorted(rows[:3].tolist())


# -- persistence --------------------------------------------------------------------------------------
def _same_answers(a: FaissIndex, b: FaissIndex, q: np.ndarray, k: int = 10) -> None:
    ra, rb = a.search(q, k), b.search(q, k)
    assert ra.ids == rb.ids
    np.testing.assert_allclose(ra.scores, rb.scores, atol=1e-6)


def test_save_load_round_trip_exact(tmp_path: Path):
    x = unit(200, 16, seed=2)
    index = FaissIndex(16)
    index.add(ids_of(200), x)
    index.remove(["J00010", "J00011"])
    index.save(tmp_path / "jobs", meta={"encoder": "e5-small-384", "seq": 42})
    loaded = FaissIndex.load(tmp_path / "jobs", dim=16)
    assert loaded.meta == {"encoder": "e5-small-384", "seq": 42}
    assert loaded.ids() == index.ids() and loaded.kind == "exact"
    assert loaded.n_rows == index.n_rows
    np.testing.assert_array_equal(loaded.vector("J00005"), x[5])
    _same_answers(index, loaded, unit(5, 16, seed=3))
    loaded.add(["J00010"], x[10])  # reuses a free row
    assert loaded.rows_for(["J00010"]).tolist() == [10]


def test_save_load_round_trip_ivf(tmp_path: Path, small_ivf_data):
    index = make_ivf(small_ivf_data)
    index.remove(ids_of(4000)[:7])
    index.save(tmp_path / "ix", meta={"seq": 1})
    loaded = FaissIndex.load(tmp_path / "ix")
    assert loaded.kind == "ivf" and loaded.nlist == index.nlist and loaded.nprobe == index.nprobe
    assert len(loaded) == len(index) and loaded.ids() == index.ids()
    _same_answers(index, loaded, unit(20, 32, seed=7))
    loaded.remove(["J00100"])  # the hash-table direct map survived the round trip
    loaded.add(["J00200"], -small_ivf_data[200])
    assert loaded.search(-small_ivf_data[200], 1).ids == [["J00200"]]
    # saving again keeps the previous version (for readers in flight) and drops older ones
    index.save(tmp_path / "ix", meta={"seq": 2})
    index.save(tmp_path / "ix", meta={"seq": 3})
    versions = [p for p in (tmp_path / "ix").iterdir() if p.name.startswith("v-")]
    assert len(versions) == 2
    assert FaissIndex.load(tmp_path / "ix").meta == {"seq": 3}
    # saved options come back; keyword arguments override them
    index.nprobe = 5
    index.save(tmp_path / "ix")
    assert FaissIndex.load(tmp_path / "ix").nprobe == 5
    assert FaissIndex.load(tmp_path / "ix", nprobe=7).nprobe == 7
    assert FaissIndex.load(tmp_path / "ix", exact_max=10_000).kind == "exact"


def _saved(tmp_path: Path) -> tuple[FaissIndex, Path, Path]:
    index = FaissIndex(8)
    index.add(ids_of(20), unit(20, 8))
    path = tmp_path / "ix"
    index.save(path, meta={"seq": 1})
    version = json.loads((path / CURRENT_FILE).read_text())["version"]
    return index, path, path / version


@pytest.mark.parametrize("name", ["vectors.npy", "ids.json"])
def test_truncated_file_raises_index_corrupt(tmp_path: Path, name: str):
    _, path, vdir = _saved(tmp_path)
    data = (vdir / name).read_bytes()
    (vdir / name).write_bytes(data[: len(data) // 2])
    with pytest.raises(IndexCorrupt) as err:
        FaissIndex.load(path)
    assert err.value.code == "index_corrupt" and isinstance(err.value, MatcherError)
    assert "索引" in err.value.message and "corrupt" in err.value.message


def test_tampered_same_size_file_raises_index_corrupt(tmp_path: Path):
    _, path, vdir = _saved(tmp_path)
    data = bytearray((vdir / "vectors.npy").read_bytes())
    data[-5] ^= 0xFF
    (vdir / "vectors.npy").write_bytes(bytes(data))
    with pytest.raises(IndexCorrupt):
        FaissIndex.load(path)


def test_tampered_faiss_file_raises_index_corrupt(tmp_path: Path, small_ivf_data):
    index = make_ivf(small_ivf_data)
    index.save(tmp_path / "ix")
    vdir = tmp_path / "ix" / json.loads((tmp_path / "ix" / CURRENT_FILE).read_text())["version"]
    data = bytearray((vdir / "index.faiss").read_bytes())
    data[len(data) // 2] ^= 0x01
    (vdir / "index.faiss").write_bytes(bytes(data))
    with pytest.raises(IndexCorrupt):
        FaissIndex.load(tmp_path / "ix")
    (vdir / "index.faiss").unlink()
    with pytest.raises(IndexCorrupt):
        FaissIndex.load(tmp_path / "ix")


def test_meta_and_pointer_problems_raise_index_corrupt(tmp_path: Path):
    _, path, vdir = _saved(tmp_path)
    meta = json.loads((vdir / "meta.json").read_text())
    meta["count"] = 19
    (vdir / "meta.json").write_text(json.dumps(meta))  # checksum in CURRENT no longer matches
    with pytest.raises(IndexCorrupt):
        FaissIndex.load(path)
    (path / CURRENT_FILE).write_text("{garbage")
    with pytest.raises(IndexCorrupt):
        FaissIndex.load(path)
    (path / CURRENT_FILE).write_text(json.dumps({"version": "../../etc", "meta_sha256": "x"}))
    with pytest.raises(IndexCorrupt):
        FaissIndex.load(path)
    (path / CURRENT_FILE).unlink()
    with pytest.raises(IndexCorrupt):
        FaissIndex.load(path)
    with pytest.raises(IndexCorrupt):
        FaissIndex.load(tmp_path / "does-not-exist")


def test_load_dim_mismatch_raises_index_corrupt(tmp_path: Path):
    _, path, _ = _saved(tmp_path)
    assert FaissIndex.load(path, dim=8).dim == 8
    with pytest.raises(IndexCorrupt):
        FaissIndex.load(path, dim=384)


def test_crash_at_pointer_switch_leaves_previous_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    old, path, _ = _saved(tmp_path)
    bigger = FaissIndex(8)
    bigger.add(ids_of(30), unit(30, 8, seed=1))

    def boom(*args, **kwargs):
        raise OSError("simulated crash")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="simulated crash"):
        bigger.save(path, meta={"seq": 2})
    monkeypatch.undo()
    loaded = FaissIndex.load(path)
    assert loaded.meta == {"seq": 1} and len(loaded) == 20
    assert len([p for p in path.iterdir() if p.name.startswith("v-")]) == 1
    bigger.save(path, meta={"seq": 2})
    assert FaissIndex.load(path).meta == {"seq": 2}


def test_crash_while_writing_files_leaves_previous_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          small_ivf_data):
    import faiss

    _, path, _ = _saved(tmp_path)
    ivf = make_ivf(small_ivf_data)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(faiss, "serialize_index", boom)
    with pytest.raises(RuntimeError):
        ivf.save(path, meta={"seq": 2})
    monkeypatch.undo()
    assert FaissIndex.load(path).meta == {"seq": 1}
    monkeypatch.setattr(np, "save", boom)
    with pytest.raises(RuntimeError):
        ivf.save(path, meta={"seq": 3})
    monkeypatch.undo()
    assert FaissIndex.load(path).meta == {"seq": 1}
    assert len([p for p in path.iterdir() if p.name.startswith("v-")]) == 1


def test_orphan_version_from_killed_save_is_ignored_then_cleaned(tmp_path: Path):
    index, path, vdir = _saved(tmp_path)
    orphan = path / "v-ffffffffffffffff-1"  # a save killed before it switched CURRENT
    orphan.mkdir()
    (orphan / "vectors.npy").write_bytes(b"half")
    assert FaissIndex.load(path).meta == {"seq": 1}
    index.save(path, meta={"seq": 2})
    assert not orphan.exists() and vdir.exists()  # previous version kept, orphan removed


# -- input validation ---------------------------------------------------------------------------------
def test_dimension_mismatch_is_a_clear_error():
    index = FaissIndex(384)
    with pytest.raises(DimensionMismatch) as err:
        index.add(["a", "b"], np.zeros((2, 512), dtype=np.float32))
    assert isinstance(err.value, ValueError) and isinstance(err.value, MatcherError)
    assert "512" in str(err.value) and "384" in str(err.value) and "维度" in str(err.value)
    index.add(["a"], unit(1, 384))
    with pytest.raises(DimensionMismatch):
        index.search(np.zeros(768, dtype=np.float32), 5)
    assert len(index) == 1


@pytest.mark.parametrize(
    "ids, vectors",
    [
        (["a", "b"], np.zeros((3, 4), np.float32)),  # count mismatch
        (["x" * 65], np.zeros((1, 4), np.float32)),  # id too long
        ([""], np.zeros((1, 4), np.float32)),
        ([7], np.zeros((1, 4), np.float32)),
        (["a"], np.array([[np.nan, 0, 0, 0]], np.float32)),
        ("ab", np.zeros((2, 4), np.float32)),  # a string is not a list of ids
        (["a"], np.zeros((1, 2, 4), np.float32)),
    ],
)
def test_bad_add_arguments_raise(ids, vectors):
    index = FaissIndex(4)
    with pytest.raises(IndexInputError):
        index.add(ids, vectors)
    assert len(index) == 0


def test_bad_search_arguments_raise():
    index = FaissIndex(4)
    index.add(["a"], np.eye(4, dtype=np.float32)[:1])
    for k in (0, -1, 2.5, True):
        with pytest.raises(IndexInputError):
            index.search(np.ones(4, np.float32), k)
    with pytest.raises(IndexInputError):
        index.remove("a")
    with pytest.raises(IndexInputError):
        FaissIndex(0)


# -- maintenance, threads, imports --------------------------------------------------------------------
def test_compact_renumbers_rows_and_bumps_generation(small_ivf_data):
    x = small_ivf_data
    index = make_ivf(x)
    index.remove(ids_of(4000)[::2])
    gen = index.generation
    q = unit(10, 32, seed=12)
    before = index.search(q, 10).ids
    assert index.compact()
    assert index.generation == gen + 1 and index.n_rows == 2000 == len(index)
    assert index.search(q, 10).ids == before
    np.testing.assert_array_equal(index.vector("J00001"), x[1])
    assert not index.compact()


def test_openmp_setting_is_restored():
    import faiss

    index = FaissIndex(8, query_threads=1, build_threads=2)
    before = faiss.omp_get_max_threads()
    index.add(ids_of(10), unit(10, 8))
    index.search(unit(1, 8)[0], 3)
    assert faiss.omp_get_max_threads() == before


def test_concurrent_searches_and_updates(small_ivf_data):
    x = small_ivf_data
    index = make_ivf(x)
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader():
        try:
            while not stop.is_set():
                res = index.search(x[:4], 10)
                assert all(len(h) == 10 for h in res.ids)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for i in range(30):
            batch = ids_of(4000)[i * 50 : (i + 1) * 50]
            index.remove(batch)
            index.add(batch, x[i * 50 : (i + 1) * 50])
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors
    assert len(index) == 4000


def test_importing_the_package_does_not_load_faiss():
    code = "import sys, matcher.index; assert 'faiss' not in sys.modules; matcher.index.IndexCorrupt"
    subprocess.run([sys.executable, "-c", code + "; assert 'faiss' not in sys.modules"], check=True)
