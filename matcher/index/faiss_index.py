"""``FaissIndex``: exact search for small collections, IVF-Flat above ``exact_max``.

Row space
    Each live record owns one int64 *row*; rows index ``self._vecs`` (the raw float32 vectors, kept
    for exact re-scoring and subset search) and are the ids given to FAISS. A removed record's row is
    zeroed and put on a free list (lowest rows are reused first); rows only move on ``compact()``,
    which bumps ``generation``.

Exact path (``len <= exact_max``)
    A brute-force scan of ``self._vecs`` with FAISS's SIMD kernels (``knn_inner_product``), so the
    vectors are stored once. Free rows (zero vectors) are over-fetched and dropped, or, when there
    are many, only live rows are scanned (``knn_inner_products_by_idx``).

Approximate path (``len > exact_max``)
    ``IndexIVFFlat`` with inner product, ``nlist ≈ 4·sqrt(N)`` (spherical k-means, 10 iterations,
    on a sample of ``train_points_per_list·nlist`` vectors) and ``nprobe = max(16, ceil(sqrt(nlist)/2))``.
    Measured on clustered 384-d vectors, 2 cores, one query thread, k = 200 (evaluation/bench_index.py):
    100k: nprobe 18, recall@10 0.996, recall@200 0.986, p50 0.4 ms; 1M: nlist 4000, nprobe 32,
    recall@10 0.995, recall@200 0.989, p50 1.1 ms, build 84-138 s, 10k updates 0.6 s. IVF-Flat stores
    full vectors, so its scores are exact inner products: only recall is approximate. The direct map
    is a hash table, so ``remove``/upsert cost O(changed rows). HNSW (M 32, efConstruction 80) was
    rejected: at 1M it took 288 s to build and reached only recall@10 0.96 at efSearch 800 (2.3 ms),
    its 10k-add took 5.9 s, and it cannot remove vectors. When the collection has grown
    ``retrain_growth`` times past the size the centroids were trained at, the IVF is retrained from
    the stored vectors (synchronously, inside the ``add`` that crosses the threshold; pass
    ``auto_retrain=False`` and call ``retrain()`` from a maintenance job to control when). It drops back to exact below ``exact_max / 2``.

Filters
    ``allowed`` (a boolean mask over rows, fraction s of the live rows) on the exact path: the
    allowed rows are scanned with ``knn_inner_products_by_idx`` (reads only those rows; measured
    faster than a full scan with an ``IDSelectorBitmap``). On the approximate path the IVF gets an
    ``IDSelectorBitmap`` and ``nprobe`` grows to ``max(nprobe/sqrt(s), lists holding ~20·max(k, 100)
    allowed vectors)`` (recall@200 ≥ 0.98 down to s = 2% at 1M), unless a cost model says the exact scan
    of the allowed rows is cheaper (at 1M x 384: below ~10k allowed rows for k = 200). Oversampling
    (search more, then filter) was measured too and loses recall badly below ~10% selectivity.

Threads
    Searches run with ``query_threads`` OpenMP threads (default 1: serving), adds and training with
    ``build_threads`` (0 = all cores). The OpenMP setting is restored afterwards. A readers-writer
    lock lets searches run concurrently while writes are exclusive.

Persistence
    ``save(dir)`` writes a complete version folder ``dir/v-<time>-<pid>/`` (``vectors.npy``,
    ``ids.json``, ``index.faiss`` when approximate, ``meta.json`` with the sha256 of each file), fsyncs
    it, then atomically replaces the pointer file ``dir/CURRENT`` (which records the sha256 of
    ``meta.json``). A crash at any point leaves ``CURRENT`` naming a complete version: the old one or
    the new one. The previous version is kept (a reader that has just read ``CURRENT`` can still open
    it); older versions and orphans from crashed saves are removed by the next save. Savers are
    serialised with an ``flock`` on ``dir/.lock``. ``load(dir)`` verifies everything and raises
    :class:`IndexCorrupt` on any problem.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import json
import math
import os
import re
import shutil
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from matcher.errors import MatcherError
from matcher.index.base import (
    MAX_ID_LENGTH,
    DimensionMismatch,
    IndexCorrupt,
    IndexInputError,
    LazyIds,
    SearchResult,
)

try:  # POSIX only; elsewhere concurrent savers are not serialised
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

__all__ = ["FaissIndex", "default_nlist", "default_nprobe"]

FORMAT_VERSION = 1
KIND_EXACT = "exact"
KIND_IVF = "ivf"

CURRENT_FILE = "CURRENT"
META_FILE = "meta.json"
VECTORS_FILE = "vectors.npy"
IDS_FILE = "ids.json"
FAISS_FILE = "index.faiss"
_VERSION_RE = re.compile(r"^v-[0-9a-f]+-[0-9]+$")
_SAVED_OPTIONS = frozenset({
    "exact_max", "nlist", "nprobe", "train_points_per_list", "kmeans_iters", "retrain_growth",
    "auto_retrain", "subset_exact_max", "seed",
})

#: FAISS warns below 39 training points per centroid; nlist is capped so this always holds.
MIN_POINTS_PER_LIST = 39
_ADD_CHUNK = 65_536
# Filtered search plan (see ``_filter_plan``), measured at 1M x 384 clustered vectors, 1 thread:
#: allowed vectors the IVF should score per requested neighbour (for k >= 100);
_FILTER_SCORED_PER_HIT = 20
#: microseconds to score one random row exactly, to score one IVF entry, and to skip one IVF entry
#: rejected by the bitmap selector (the first two scale with dim/384).
_COST_RANDOM_ROW_US = 0.45
_COST_SCORED_US = 0.10
_COST_SKIPPED_US = 0.015
_HASH_CHUNK = 8 << 20

_sp = faiss.swig_ptr


def default_nlist(n: int) -> int:
    """``≈ 4·sqrt(n)`` inverted lists, at most ``n / 39`` so k-means has enough points."""
    return max(1, min(round(4 * math.sqrt(max(n, 1))), n // MIN_POINTS_PER_LIST))


def default_nprobe(nlist: int) -> int:
    """``max(16, ceil(sqrt(nlist)/2))``: 16 at 60k vectors (nlist 980), 18 at 100k (nlist 1265),
    32 at 1M (nlist 4000)."""
    return max(1, min(nlist, max(16, math.ceil(math.sqrt(nlist) / 2))))


@contextlib.contextmanager
def _omp_threads(n: int) -> Iterator[None]:
    """Run the block with ``n`` OpenMP threads (0 = all cores), then restore the setting."""
    n = n if n > 0 else (os.cpu_count() or 1)
    prev = faiss.omp_get_max_threads()
    if prev == n:
        yield
        return
    faiss.omp_set_num_threads(n)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(prev)


class _RWLock:
    """Many readers or one writer; waiting writers block new readers (no writer starvation).
    Not re-entrant: public methods take it once and call unlocked helpers."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @contextlib.contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            try:
                while self._writer or self._readers:
                    self._cond.wait()
            finally:
                self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


def _bitmap_selector(mask: np.ndarray) -> tuple[Any, np.ndarray]:
    """An ``IDSelectorBitmap`` over rows where ``mask`` is True (the bitmap must outlive it)."""
    bits = np.packbits(mask, bitorder="little")
    return faiss.IDSelectorBitmap(bits), bits


class FaissIndex:
    """Vector index over string ids; see the module docstring for the design."""

    def __init__(
        self,
        dim: int,
        *,
        exact_max: int = 50_000,
        nlist: int | None = None,
        nprobe: int | None = None,
        query_threads: int = 1,
        build_threads: int = 0,
        train_points_per_list: int = 48,
        kmeans_iters: int = 10,
        retrain_growth: float = 2.0,
        auto_retrain: bool = True,
        subset_exact_max: int | None = None,
        seed: int = 1234,
        meta: dict[str, Any] | None = None,
    ):
        if isinstance(dim, bool) or not isinstance(dim, int | np.integer) or dim < 1:
            raise IndexInputError(f"向量维度必须为正整数：{dim!r} / dim must be a positive integer: {dim!r}")
        if exact_max < 0:
            raise IndexInputError(f"exact_max 不能为负数：{exact_max} / exact_max must be >= 0: {exact_max}")
        if nlist is not None and nlist < 1:
            raise IndexInputError(f"nlist 必须 >= 1：{nlist} / nlist must be >= 1: {nlist}")
        if nprobe is not None and nprobe < 1:
            raise IndexInputError(f"nprobe 必须 >= 1：{nprobe} / nprobe must be >= 1: {nprobe}")
        if retrain_growth <= 1.0:
            raise IndexInputError(
                f"retrain_growth 必须大于 1：{retrain_growth} / retrain_growth must be > 1: {retrain_growth}"
            )
        self._dim = int(dim)
        self.exact_max = int(exact_max)
        self.nlist_option = nlist
        self.nprobe_option = nprobe
        self.query_threads = int(query_threads)
        self.build_threads = int(build_threads)
        self.train_points_per_list = max(MIN_POINTS_PER_LIST, int(train_points_per_list))
        self.kmeans_iters = int(kmeans_iters)
        self.retrain_growth = float(retrain_growth)
        self.auto_retrain = bool(auto_retrain)
        self.subset_exact_max = subset_exact_max
        self.seed = int(seed)
        self.meta: dict[str, Any] = dict(meta or {})

        self._vecs = np.zeros((0, self._dim), dtype=np.float32)
        self._live = np.zeros(0, dtype=bool)
        self._ids: list[str | None] = []  # per row; None = free
        self._row_of: dict[str, int] = {}
        self._free: list[int] = []  # min-heap of free rows < _hw
        self._hw = 0  # rows in use (high-water mark)
        self._ivf: Any = None
        self._nprobe = 0
        self._trained_n = 0
        self._generation = 0
        self._live_rows_cache: np.ndarray | None = None
        self._rw = _RWLock()

    # -- properties ---------------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return self._dim

    @property
    def kind(self) -> str:
        """``"exact"`` or ``"ivf"``."""
        return KIND_IVF if self._ivf is not None else KIND_EXACT

    @property
    def n_rows(self) -> int:
        return self._hw

    @property
    def generation(self) -> int:
        return self._generation

    @property
    def nlist(self) -> int:
        """Inverted lists of the approximate index (0 when exact)."""
        return int(self._ivf.nlist) if self._ivf is not None else 0

    @property
    def nprobe(self) -> int:
        """Lists visited per approximate query (0 when exact)."""
        return self._nprobe if self._ivf is not None else 0

    @nprobe.setter
    def nprobe(self, value: int) -> None:
        if value < 1:
            raise IndexInputError(f"nprobe 必须 >= 1：{value} / nprobe must be >= 1: {value}")
        self.nprobe_option = int(value)
        if self._ivf is not None:
            self._nprobe = min(int(value), self.nlist)

    @property
    def needs_retrain(self) -> bool:
        """True when the collection has outgrown its IVF centroids (or crossed ``exact_max``)."""
        n = len(self._row_of)
        if self._ivf is None:
            return n > self.exact_max
        return n > self._trained_n * self.retrain_growth

    def __len__(self) -> int:
        return len(self._row_of)

    def __contains__(self, record_id: object) -> bool:
        return record_id in self._row_of

    def __repr__(self) -> str:
        extra = f", nlist={self.nlist}, nprobe={self.nprobe}" if self._ivf is not None else ""
        return f"FaissIndex(dim={self._dim}, n={len(self)}, kind={self.kind!r}{extra})"

    # -- lookups ------------------------------------------------------------------------------------
    def ids(self) -> list[str]:
        with self._rw.read():
            return [rid for rid in self._ids if rid is not None]

    def rows_for(self, ids: Iterable[str]) -> np.ndarray:
        ids = _id_iterable(ids)
        with self._rw.read():
            get = self._row_of.get
            return np.fromiter((get(rid, -1) for rid in ids), dtype=np.int64)

    def ids_for(self, rows: Iterable[int] | np.ndarray) -> list[str | None]:
        with self._rw.read():
            hw, table = self._hw, self._ids
            return [table[r] if 0 <= r < hw else None for r in (int(x) for x in np.asarray(rows).ravel())]

    def mask_for(self, ids: Iterable[str]) -> np.ndarray:
        """A boolean row mask (length ``n_rows``) that is True at the rows of these ids."""
        rows = self.rows_for(ids)
        with self._rw.read():
            mask = np.zeros(self._hw, dtype=bool)
            rows = rows[(rows >= 0) & (rows < self._hw)]
            mask[rows] = True
            return mask

    def vector(self, record_id: str) -> np.ndarray:
        with self._rw.read():
            row = self._row_of.get(record_id)
            if row is None:
                raise KeyError(_missing_message(record_id))
            return self._vecs[row].copy()

    def vectors(self, ids: Sequence[str]) -> np.ndarray:
        ids = _id_iterable(ids)
        with self._rw.read():
            rows = np.empty(len(ids), dtype=np.int64)
            for i, rid in enumerate(ids):
                row = self._row_of.get(rid)
                if row is None:
                    raise KeyError(_missing_message(rid))
                rows[i] = row
            return self._vecs[rows]  # fancy indexing copies

    # -- mutation -----------------------------------------------------------------------------------
    def add(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        ids = _check_ids(ids)
        x = self._check_vectors(vectors, len(ids))
        if not ids:
            return
        if len(set(ids)) != len(ids):  # upsert semantics within the batch too: the last one wins
            last = {rid: i for i, rid in enumerate(ids)}
            keep = sorted(last.values())
            ids = [ids[i] for i in keep]
            x = x[keep]
        with self._rw.write():
            rows = np.empty(len(ids), dtype=np.int64)
            replaced: list[int] = []
            new_ids: list[tuple[int, str]] = []
            for i, rid in enumerate(ids):
                row = self._row_of.get(rid)
                if row is None:
                    row = self._alloc_row()
                    new_ids.append((row, rid))
                else:
                    replaced.append(row)
                rows[i] = row
            self._ensure_capacity(self._hw)
            for row, rid in new_ids:
                self._ids[row] = rid
                self._row_of[rid] = row
            self._vecs[rows] = x
            self._live[rows] = True
            self._live_rows_cache = None
            if self._ivf is not None:
                with _omp_threads(self.build_threads):
                    if replaced:
                        self._ivf_remove(np.asarray(replaced, dtype=np.int64))
                    self._ivf.add_with_ids(x, rows)
            self._maybe_switch()

    def remove(self, ids: Iterable[str]) -> int:
        ids = _id_iterable(ids)
        with self._rw.write():
            rows = sorted({self._row_of[rid] for rid in ids if rid in self._row_of})
            if not rows:
                return 0
            arr = np.asarray(rows, dtype=np.int64)
            if self._ivf is not None:
                self._ivf_remove(arr)
            for row in rows:
                del self._row_of[self._ids[row]]  # type: ignore[arg-type]
                self._ids[row] = None
                heapq.heappush(self._free, row)
            self._vecs[arr] = 0.0
            self._live[arr] = False
            self._trim_tail()
            self._live_rows_cache = None
            self._maybe_switch()
            return len(rows)

    def retrain(self) -> None:
        """Rebuild the approximate index from the stored vectors now (or drop to exact when small)."""
        with self._rw.write():
            if len(self._row_of) > self.exact_max:
                self._build_ivf()
            else:
                self._ivf = None

    def compact(self) -> bool:
        """Renumber live rows densely (frees memory after large removals). Bumps ``generation``;
        masks built before are invalid afterwards. Returns False when there was nothing to do."""
        with self._rw.write():
            n = len(self._row_of)
            if n == self._hw and self._vecs.shape[0] <= max(1024, int(n * 1.5)):
                return False
            live_rows = np.flatnonzero(self._live[: self._hw])
            cap = max(1024, int(n * 1.25))
            vecs = np.zeros((cap, self._dim), dtype=np.float32)
            vecs[:n] = self._vecs[live_rows]
            live = np.zeros(cap, dtype=bool)
            live[:n] = True
            self._ids = [self._ids[r] for r in live_rows]
            self._row_of = {rid: i for i, rid in enumerate(self._ids)}  # type: ignore[misc]
            self._vecs, self._live, self._hw, self._free = vecs, live, n, []
            self._live_rows_cache = None
            self._generation += 1
            if self._ivf is not None:
                self._ivf.reset()
                self._ivf_add_all()
            return True

    # -- search -------------------------------------------------------------------------------------
    def search(
        self,
        query: np.ndarray,
        k: int,
        allowed: np.ndarray | None = None,
        *,
        nprobe: int | None = None,
        lazy_ids: bool = False,
    ) -> SearchResult:
        """Top-``k`` by inner product (see :class:`~matcher.index.base.VectorIndex`). ``lazy_ids``:
        the result's ids are looked up when first read, not here (for callers that use ``rows`` and
        read ids, if at all, before the index is written again: the engine's candidate stage)."""
        with self._rw.read():
            res = self._search(query, k, allowed, nprobe)
            if not lazy_ids and isinstance(res.ids, LazyIds):
                res = replace(res, ids=list(res.ids))
        return res

    def _search(self, query: np.ndarray, k: int, allowed: np.ndarray | None, nprobe: int | None) -> SearchResult:
        q = self._check_query(query)
        k = _check_k(k)
        with _omp_threads(self.query_threads):  # under the caller's read lock
            n_live = len(self._row_of)
            if n_live == 0:
                return _empty(len(q))
            mask = None
            if allowed is not None:
                mask = self._allowed_mask(allowed)
                n_ok = int(np.count_nonzero(mask))
                if n_ok == 0:
                    return _empty(len(q))
                if n_ok == n_live:
                    mask = None
            if mask is None:
                if self._ivf is not None:
                    return self._search_ivf(q, min(k, n_live), None, n_live, nprobe)
                return self._search_exact(q, min(k, n_live))
            k = min(k, n_ok)
            if self._ivf is None:
                return self._search_rows(q, k, np.flatnonzero(mask), "exact+filter")
            probe, exact = self._filter_plan(n_ok, k)
            if exact:
                return self._search_rows(q, k, np.flatnonzero(mask), "exact+filter")
            return self._search_ivf(q, k, mask, n_ok, nprobe or probe)

    def search_subset(
        self, query: np.ndarray, rows_or_ids: Sequence[str] | np.ndarray, k: int
    ) -> SearchResult:
        q = self._check_query(query)
        k = _check_k(k)
        arr = rows_or_ids if isinstance(rows_or_ids, np.ndarray) else None
        if arr is None and len(rows_or_ids) and not isinstance(rows_or_ids[0], str):
            arr = np.asarray(rows_or_ids)
        with self._rw.read(), _omp_threads(self.query_threads):
            if arr is None:  # record ids
                get = self._row_of.get
                rows = np.fromiter((get(rid, -1) for rid in _id_iterable(rows_or_ids)), dtype=np.int64)
                rows = np.unique(rows[rows >= 0])
            elif arr.dtype == bool:
                rows = np.flatnonzero(self._allowed_mask(arr))
            elif np.issubdtype(arr.dtype, np.integer):
                rows = np.unique(arr.astype(np.int64, copy=False).ravel())
                rows = rows[(rows >= 0) & (rows < self._hw)]
                rows = rows[self._live[rows]]
            else:
                raise IndexInputError(
                    "子集应为记录编号、行号或布尔掩码 / subset must be record ids, row numbers or a boolean row mask"
                )
            if len(rows) == 0:
                return _empty(len(q))
            res = self._search_rows(q, min(k, len(rows)), rows, "subset")
            return replace(res, ids=list(res.ids))

    # -- persistence --------------------------------------------------------------------------------
    def save(self, path: str | Path, meta: dict[str, Any] | None = None) -> None:
        """Write a new version under ``path`` and switch ``path/CURRENT`` to it atomically.

        The index is snapshotted in memory under the read lock (a copy of the vectors and the
        serialised FAISS index: about 2x the index size, transiently), so searches and updates are
        held up only for the copy, not for the disk writes."""
        path = Path(path)
        if meta is not None:
            self.meta = dict(meta)
        path.mkdir(parents=True, exist_ok=True)
        with _dir_lock(path):
            with self._rw.read():
                vecs = self._vecs[: self._hw].copy()
                ids_bytes = json.dumps(self._ids, ensure_ascii=False, separators=(",", ":")).encode()
                ivf_bytes = faiss.serialize_index(self._ivf) if self._ivf is not None else None
                meta_doc: dict[str, Any] = {
                    "format": FORMAT_VERSION,
                    "dim": self._dim,
                    "count": len(self._row_of),
                    "rows": self._hw,
                    "kind": self.kind,
                    "nlist": self.nlist,
                    "nprobe": self.nprobe,
                    "trained_n": self._trained_n if self._ivf is not None else 0,
                    "generation": self._generation,
                    "options": self._options(),
                    "faiss_version": faiss.__version__,
                    "saved_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "meta": self.meta,
                }
            previous = _read_current_or_none(path)
            version = f"v-{time.time_ns():x}-{os.getpid()}"
            vdir = path / version
            tmp_current = path / f".{CURRENT_FILE}.tmp-{os.getpid()}-{time.time_ns():x}"
            try:
                vdir.mkdir()
                files = {VECTORS_FILE: _write_npy(vdir / VECTORS_FILE, vecs)}
                del vecs
                files[IDS_FILE] = _write_bytes(vdir / IDS_FILE, ids_bytes)
                if ivf_bytes is not None:
                    files[FAISS_FILE] = _write_bytes(vdir / FAISS_FILE, ivf_bytes)
                    del ivf_bytes
                meta_doc["files"] = files
                meta_bytes = json.dumps(meta_doc, ensure_ascii=False, indent=1, sort_keys=True).encode()
                _write_bytes(vdir / META_FILE, meta_bytes)
                _fsync_dir(vdir)
                pointer = {"version": version, "meta_sha256": hashlib.sha256(meta_bytes).hexdigest()}
                _write_bytes(tmp_current, json.dumps(pointer).encode())
                os.replace(tmp_current, path / CURRENT_FILE)
                _fsync_dir(path)
            except BaseException:
                with contextlib.suppress(OSError):
                    tmp_current.unlink(missing_ok=True)
                shutil.rmtree(vdir, ignore_errors=True)
                raise
            keep = {version}
            if previous and previous.get("version"):
                keep.add(str(previous["version"]))
            _cleanup(path, keep)

    @classmethod
    def load(
        cls, path: str | Path, *, dim: int | None = None, verify: bool = True, **options: Any
    ) -> FaissIndex:
        """Load the current version under ``path``.

        ``dim``: the expected dimension (a mismatch raises :class:`IndexCorrupt`). ``verify``: check
        the sha256 of every file (sizes are always checked). ``options`` override the saved
        constructor options (``exact_max``, ``nprobe``, ``query_threads``, ...)."""
        path = Path(path)
        for attempt in range(3):
            pointer = _read_current(path)
            try:
                return cls._load_version(path, pointer, dim, verify, options)
            except IndexCorrupt:
                # a concurrent save may have switched CURRENT and removed the version we were reading
                if attempt < 2 and _read_current_or_none(path) != pointer:
                    continue
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    @classmethod
    def _load_version(
        cls, path: Path, pointer: dict[str, Any], dim: int | None, verify: bool, options: dict[str, Any]
    ) -> FaissIndex:
        version = pointer.get("version")
        if not isinstance(version, str) or not _VERSION_RE.match(version):
            raise IndexCorrupt(_corrupt(path, "CURRENT 内容无效", "CURRENT is invalid"), path=path)
        vdir = path / version
        try:
            meta_bytes = (vdir / META_FILE).read_bytes()
        except OSError as exc:
            raise IndexCorrupt(_corrupt(vdir, "缺少 meta.json", f"meta.json unreadable: {exc}"), path=vdir) from exc
        if hashlib.sha256(meta_bytes).hexdigest() != pointer.get("meta_sha256"):
            raise IndexCorrupt(_corrupt(vdir, "meta.json 校验和不符", "meta.json checksum mismatch"), path=vdir)
        try:
            doc = json.loads(meta_bytes)
            saved_dim = int(doc["dim"])
            count, rows, kind = int(doc["count"]), int(doc["rows"]), doc["kind"]
            files = doc["files"]
            if doc.get("format") != FORMAT_VERSION or kind not in (KIND_EXACT, KIND_IVF):
                raise ValueError(f"format {doc.get('format')!r}, kind {kind!r}")
        except (ValueError, KeyError, TypeError) as exc:
            raise IndexCorrupt(_corrupt(vdir, "meta.json 内容无效", f"meta.json is invalid: {exc}"), path=vdir) from exc
        if dim is not None and saved_dim != dim:
            raise IndexCorrupt(
                _corrupt(vdir, f"索引维度 {saved_dim} 与期望的 {dim} 不符",
                         f"index dimension {saved_dim} does not match the expected {dim}"),
                path=vdir,
            )
        needed = [VECTORS_FILE, IDS_FILE] + ([FAISS_FILE] if kind == KIND_IVF else [])
        for name in needed:
            info = files.get(name) if isinstance(files, dict) else None
            p = vdir / name
            if not isinstance(info, dict) or not p.is_file():
                raise IndexCorrupt(_corrupt(vdir, f"缺少文件 {name}", f"missing file {name}"), path=p)
            if p.stat().st_size != info.get("bytes"):
                raise IndexCorrupt(_corrupt(vdir, f"文件 {name} 大小不符", f"{name} has the wrong size"), path=p)
            if verify and _sha256_file(p) != info.get("sha256"):
                raise IndexCorrupt(_corrupt(vdir, f"文件 {name} 校验和不符", f"{name} checksum mismatch"), path=p)

        try:
            vecs = np.load(vdir / VECTORS_FILE, allow_pickle=False)
            with open(vdir / IDS_FILE, encoding="utf-8") as fh:
                ids = json.load(fh)
        except (OSError, ValueError) as exc:
            raise IndexCorrupt(_corrupt(vdir, "向量或编号文件无法读取", f"cannot read vectors/ids: {exc}"),
                               path=vdir) from exc
        if vecs.dtype != np.float32 or vecs.ndim != 2 or vecs.shape != (rows, saved_dim):
            raise IndexCorrupt(
                _corrupt(vdir, f"向量形状 {vecs.shape} 与元数据不符",
                         f"vectors shape {vecs.shape}/{vecs.dtype} does not match ({rows}, {saved_dim}) float32"),
                path=vdir,
            )
        if (not isinstance(ids, list) or len(ids) != rows
                or any(not (rid is None or (isinstance(rid, str) and rid)) for rid in ids)):
            raise IndexCorrupt(_corrupt(vdir, "编号表无效", "id table is invalid"), path=vdir)
        live_ids = [rid for rid in ids if rid is not None]
        if len(live_ids) != count or len(set(live_ids)) != count:
            raise IndexCorrupt(_corrupt(vdir, "编号数量或唯一性不符", "id count/uniqueness mismatch"), path=vdir)

        ivf = None
        if kind == KIND_IVF:
            try:
                ivf = faiss.read_index(str(vdir / FAISS_FILE))
            except RuntimeError as exc:
                raise IndexCorrupt(_corrupt(vdir, "FAISS 索引无法读取", f"cannot read the FAISS index: {exc}"),
                                   path=vdir) from exc
            if (not isinstance(ivf, faiss.IndexIVFFlat) or ivf.d != saved_dim or ivf.ntotal != count
                    or ivf.metric_type != faiss.METRIC_INNER_PRODUCT):
                raise IndexCorrupt(_corrupt(vdir, "FAISS 索引与元数据不符", "FAISS index does not match meta.json"),
                                   path=vdir)
            if ivf.direct_map.type != faiss.DirectMap.Hashtable:
                ivf.set_direct_map_type(faiss.DirectMap.Hashtable)

        saved = doc.get("options") if isinstance(doc.get("options"), dict) else {}
        kwargs = {**{k: v for k, v in saved.items() if k in _SAVED_OPTIONS}, **options}
        kwargs.setdefault("meta", doc.get("meta") or {})
        try:
            obj = cls(saved_dim, **kwargs)
        except MatcherError as exc:
            raise IndexCorrupt(_corrupt(vdir, "保存的参数无效", f"saved options are invalid: {exc}"), path=vdir) from exc
        obj._vecs = np.ascontiguousarray(vecs)
        obj._live = np.array([rid is not None for rid in ids], dtype=bool)
        obj._ids = ids
        obj._row_of = {rid: i for i, rid in enumerate(ids) if rid is not None}
        obj._free = [i for i, rid in enumerate(ids) if rid is None]  # sorted: already a heap
        obj._hw = rows
        obj._generation = int(doc.get("generation", 0))
        if ivf is not None:
            obj._ivf = ivf
            obj._trained_n = int(doc.get("trained_n") or count)
            obj._nprobe = min(int(obj.nprobe_option or doc.get("nprobe") or default_nprobe(ivf.nlist)), ivf.nlist)
        if options:
            obj._maybe_switch()
        return obj

    # -- diagnostics --------------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """Size and configuration, for logs and the API's health endpoint."""
        with self._rw.read():
            n = len(self._row_of)
            vec_bytes = self._vecs.nbytes
            ivf_bytes = 0
            if self._ivf is not None:  # codes + ids + hashtable entries + centroids
                ivf_bytes = n * (self._dim * 4 + 8 + 32) + self.nlist * self._dim * 4
            return {
                "kind": self.kind,
                "dim": self._dim,
                "count": n,
                "rows": self._hw,
                "free_rows": len(self._free),
                "nlist": self.nlist,
                "nprobe": self.nprobe,
                "trained_n": self._trained_n if self._ivf is not None else 0,
                "exact_max": self.exact_max,
                "memory_bytes": vec_bytes + ivf_bytes,
                "generation": self._generation,
            }

    # -- internals ----------------------------------------------------------------------------------
    def _options(self) -> dict[str, Any]:
        return {
            "exact_max": self.exact_max,
            "nlist": self.nlist_option,
            "nprobe": self.nprobe_option,
            "train_points_per_list": self.train_points_per_list,
            "kmeans_iters": self.kmeans_iters,
            "retrain_growth": self.retrain_growth,
            "auto_retrain": self.auto_retrain,
            "subset_exact_max": self.subset_exact_max,
            "seed": self.seed,
        }

    def _check_vectors(self, vectors: np.ndarray, n: int) -> np.ndarray:
        x = np.asarray(vectors, dtype=np.float32)
        if x.ndim == 1 and n == 1:
            x = x[None, :]
        if x.ndim != 2:
            raise IndexInputError(
                f"向量应为二维数组 (n, {self._dim})，实际形状 {x.shape} / vectors must be (n, {self._dim}), got {x.shape}"
            )
        if x.shape[1] != self._dim:
            raise DimensionMismatch(self._dim, x.shape[1], "vectors")
        if x.shape[0] != n:
            raise IndexInputError(f"编号数 {n} 与向量数 {x.shape[0]} 不一致 / {n} ids but {x.shape[0]} vectors")
        if n and not np.isfinite(x).all():
            raise IndexInputError("向量含有 NaN 或无穷值 / vectors contain NaN or infinite values")
        return np.ascontiguousarray(x)

    def _check_query(self, query: np.ndarray) -> np.ndarray:
        q = np.asarray(query, dtype=np.float32)
        if q.ndim == 1:
            q = q[None, :]
        if q.ndim != 2:
            raise IndexInputError(f"查询向量形状无效：{q.shape} / query must be (dim,) or (n, dim), got {q.shape}")
        if q.shape[1] != self._dim:
            raise DimensionMismatch(self._dim, q.shape[1], "query")
        if not np.isfinite(q).all():
            raise IndexInputError("查询向量含有 NaN 或无穷值 / query contains NaN or infinite values")
        return np.ascontiguousarray(q)

    def _allowed_mask(self, allowed: np.ndarray) -> np.ndarray:
        a = np.asarray(allowed)
        if a.dtype != bool or a.ndim != 1:
            raise IndexInputError(
                "allowed 应为按行的一维布尔掩码 / allowed must be a 1-D boolean mask over rows"
            )
        hw = self._hw
        if len(a) >= hw:
            return a[:hw] & self._live[:hw]
        mask = np.zeros(hw, dtype=bool)  # rows added after the mask was built are not allowed
        mask[: len(a)] = a
        mask &= self._live[:hw]
        return mask

    def _alloc_row(self) -> int:
        if self._free:
            return heapq.heappop(self._free)
        self._hw += 1
        self._ids.append(None)
        return self._hw - 1

    def _ensure_capacity(self, n: int) -> None:
        cap = self._vecs.shape[0]
        if n <= cap:
            return
        new_cap = max(n, int(cap * 1.5), 1024)
        vecs = np.zeros((new_cap, self._dim), dtype=np.float32)
        vecs[:cap] = self._vecs
        live = np.zeros(new_cap, dtype=bool)
        live[:cap] = self._live
        self._vecs, self._live = vecs, live

    def _trim_tail(self) -> None:
        """Give back free rows at the end of the row space."""
        hw = self._hw
        while hw and self._ids[hw - 1] is None:
            hw -= 1
        if hw != self._hw:
            del self._ids[hw:]
            self._hw = hw
            self._free = [r for r in self._free if r < hw]
            heapq.heapify(self._free)

    def _live_rows(self) -> np.ndarray:
        if self._live_rows_cache is None:
            self._live_rows_cache = np.flatnonzero(self._live[: self._hw]).astype(np.int64)
        return self._live_rows_cache

    def _filter_plan(self, n_ok: int, k: int) -> tuple[int, bool]:
        """``(nprobe, exact?)`` for an IVF search restricted to ``n_ok`` allowed rows.

        nprobe grows as ``nprobe/sqrt(s)`` (s = allowed fraction) and at least so that about
        ``20·max(k, 100)`` allowed vectors are scored; that kept recall ≥ 0.98 at every selectivity
        measured. The exact scan of the allowed rows is chosen when its estimated cost is lower
        (small allowed sets, e.g. one county of a province). ``subset_exact_max``, when set,
        replaces the cost model by a fixed threshold."""
        n, nlist = len(self._row_of), self.nlist
        s = n_ok / max(n, 1)
        scored = _FILTER_SCORED_PER_HIT * max(k, 100)
        probe = max(self._nprobe / math.sqrt(s), scored * nlist / n_ok)
        probe = int(min(nlist, math.ceil(probe)))
        if self.subset_exact_max is not None:
            return probe, n_ok <= self.subset_exact_max
        scale = self._dim / 384
        ivf_cost = probe / nlist * (n * _COST_SKIPPED_US + n_ok * _COST_SCORED_US * scale)
        exact_cost = n_ok * _COST_RANDOM_ROW_US * scale
        return probe, exact_cost <= ivf_cost

    def _ivf_remove(self, rows: np.ndarray) -> None:
        removed = self._ivf.remove_ids(faiss.IDSelectorArray(rows))
        if removed != len(rows):  # pragma: no cover - would mean the row space and FAISS diverged
            raise RuntimeError(f"FAISS removed {removed} of {len(rows)} rows: index out of sync")

    def _ivf_add_all(self) -> None:
        live_rows = np.flatnonzero(self._live[: self._hw]).astype(np.int64)
        with _omp_threads(self.build_threads):
            for start in range(0, len(live_rows), _ADD_CHUNK):
                chunk = live_rows[start : start + _ADD_CHUNK]
                self._ivf.add_with_ids(self._vecs[chunk], chunk)

    def _build_ivf(self) -> None:
        n = len(self._row_of)
        nlist = max(1, min(self.nlist_option or default_nlist(n), n // MIN_POINTS_PER_LIST or 1))
        quantizer = faiss.IndexFlatIP(self._dim)
        ivf = faiss.IndexIVFFlat(quantizer, self._dim, nlist, faiss.METRIC_INNER_PRODUCT)
        ivf.cp.niter = self.kmeans_iters
        ivf.cp.spherical = True
        ivf.cp.seed = self.seed
        ivf.cp.max_points_per_centroid = self.train_points_per_list
        live_rows = np.flatnonzero(self._live[: self._hw])
        n_train = min(len(live_rows), nlist * self.train_points_per_list)
        if n_train < len(live_rows):
            rng = np.random.default_rng(self.seed)
            sample = np.sort(rng.choice(live_rows, n_train, replace=False))
        else:
            sample = live_rows
        with _omp_threads(self.build_threads):
            ivf.train(self._vecs[sample])
        ivf.set_direct_map_type(faiss.DirectMap.Hashtable)
        self._ivf = ivf
        self._ivf_add_all()
        self._trained_n = n
        self._nprobe = min(self.nprobe_option or default_nprobe(nlist), nlist)

    def _maybe_switch(self) -> None:
        n = len(self._row_of)
        if self._ivf is None:
            if n > self.exact_max:
                self._build_ivf()
        elif n <= self.exact_max // 2:
            self._ivf = None
        elif self.auto_retrain and n > self._trained_n * self.retrain_growth:
            self._build_ivf()

    def _search_exact(self, q: np.ndarray, k: int) -> SearchResult:
        """Brute force over all live rows. Free rows hold zero vectors: with few of them, scan
        everything for ``k + free`` hits and drop them (FAISS's per-row selector check is slower
        than the scan itself); with many, scan only the live rows."""
        n_free = self._hw - len(self._row_of)
        if n_free == 0:
            return self._search_flat(q, k, "exact")
        if n_free > max(4 * k, self._hw // 8):
            return self._search_rows(q, k, self._live_rows(), "exact")
        kk = min(self._hw, k + n_free)
        dist, lab = self._flat(q, kk)
        out_d = np.full((len(q), k), -np.inf, dtype=np.float32)
        out_l = np.full((len(q), k), -1, dtype=np.int64)
        for i in range(len(q)):
            ok = lab[i] >= 0
            ok[ok] = self._live[lab[i][ok]]
            hit_l, hit_d = lab[i][ok][:k], dist[i][ok][:k]
            out_l[i, : len(hit_l)] = hit_l
            out_d[i, : len(hit_d)] = hit_d
        return self._result(out_d, out_l, "exact")

    def _flat(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        nq = len(q)
        dist = np.empty((nq, k), dtype=np.float32)
        lab = np.empty((nq, k), dtype=np.int64)
        faiss.knn_inner_product(_sp(q), _sp(self._vecs), self._dim, nq, self._hw, k, _sp(dist), _sp(lab))
        return dist, lab

    def _search_flat(self, q: np.ndarray, k: int, method: str) -> SearchResult:
        dist, lab = self._flat(q, k)
        return self._result(dist, lab, method)

    def _search_rows(self, q: np.ndarray, k: int, rows: np.ndarray, method: str) -> SearchResult:
        rows = np.ascontiguousarray(rows, dtype=np.int64)
        nq = len(q)
        dist = np.empty((nq, k), dtype=np.float32)
        lab = np.empty((nq, k), dtype=np.int64)
        faiss.knn_inner_products_by_idx(
            _sp(q), _sp(self._vecs), _sp(rows), self._dim, nq, self._hw, len(rows), k, _sp(dist), _sp(lab), 0
        )
        return self._result(dist, lab, method)

    def _search_ivf(
        self, q: np.ndarray, k: int, mask: np.ndarray | None, n_ok: int, nprobe: int | None
    ) -> SearchResult:
        nlist = self.nlist
        probe = min(max(int(nprobe or self._nprobe), 1), nlist)
        sel = _bitmap_selector(mask) if mask is not None else None
        need = min(k, n_ok)
        dist, lab = self._ivf_search(q, k, probe, sel)
        # lists too short or too few allowed rows in them: widen the search for those queries
        while probe < nlist:
            short = np.flatnonzero(lab[:, need - 1] < 0)
            if not len(short):
                break
            probe = min(nlist, probe * 4)
            d2, l2 = self._ivf_search(q[short], k, probe, sel)
            dist[short], lab[short] = d2, l2
        return self._result(dist, lab, "ivf" if mask is None else "ivf+filter", nprobe=probe)

    def _ivf_search(self, q: np.ndarray, k: int, probe: int, sel: tuple[Any, np.ndarray] | None):
        params = faiss.SearchParametersIVF(nprobe=probe)
        if sel is not None:
            params.sel = sel[0]
        return self._ivf.search(q, k, params=params)

    def _result(self, dist: np.ndarray, lab: np.ndarray, method: str, **info: Any) -> SearchResult:
        bad = lab < 0
        if bad.any():
            dist[bad] = -np.inf
        # ids made when read: the ids table is replaced, never changed in place, by later writes
        return SearchResult(ids=LazyIds(self._ids, lab), scores=dist, rows=lab, method=method, info=info)  # type: ignore[arg-type]


# -- helpers -----------------------------------------------------------------------------------------
def _empty(nq: int) -> SearchResult:
    return SearchResult(
        ids=[[] for _ in range(nq)],
        scores=np.empty((nq, 0), dtype=np.float32),
        rows=np.empty((nq, 0), dtype=np.int64),
        method="empty",
    )


def _check_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise IndexInputError(f"k 必须为正整数：{k!r} / k must be a positive integer: {k!r}")
    return int(k)


def _id_iterable(ids: Iterable[str]) -> list[str]:
    if isinstance(ids, str | bytes):
        raise IndexInputError("应传入编号列表而不是单个字符串 / expected a list of ids, not a single string")
    return list(ids)


def _check_ids(ids: Sequence[str]) -> list[str]:
    out = _id_iterable(ids)
    for rid in out:
        if not isinstance(rid, str) or not rid or len(rid) > MAX_ID_LENGTH:
            raise IndexInputError(
                f"记录编号无效（应为 1 到 {MAX_ID_LENGTH} 个字符的字符串）：{rid!r}"
                f" / invalid record id (must be a string of 1 to {MAX_ID_LENGTH} characters): {rid!r}",
                field="id",
            )
    return [str(rid) for rid in out]


def _missing_message(record_id: object) -> str:
    return f"索引中没有记录 {record_id} / record {record_id} is not in the index"


def _corrupt(where: Path, zh: str, en: str) -> str:
    return f"索引已损坏（{where}）：{zh}，需要从数据库重建 / index at {where} is corrupt: {en}; rebuild it from the store"


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _fsync_file(fh: Any) -> None:
    fh.flush()
    os.fsync(fh.fileno())


class _HashingWriter:
    """File-like object that hashes and counts what it passes on."""

    def __init__(self, fh: Any):
        self.fh = fh
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self.sha.update(view)
        self.size += view.nbytes
        return self.fh.write(view)

    def info(self) -> dict[str, Any]:
        return {"sha256": self.sha.hexdigest(), "bytes": self.size}


def _write_bytes(path: Path, data: Any) -> dict[str, Any]:
    """Write, fsync, and return the sha256 and size of what was written."""
    with open(path, "wb") as fh:
        out = _HashingWriter(fh)
        out.write(data)
        _fsync_file(fh)
    return out.info()


def _write_npy(path: Path, array: np.ndarray) -> dict[str, Any]:
    with open(path, "wb") as fh:
        out = _HashingWriter(fh)
        np.save(out, array, allow_pickle=False)  # type: ignore[arg-type]
        _fsync_file(fh)
    return out.info()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _read_current(path: Path) -> dict[str, Any]:
    try:
        raw = (path / CURRENT_FILE).read_bytes()  # decoded by json.loads: garbage bytes are a ValueError below
    except FileNotFoundError as exc:
        what = "索引不存在" if not path.exists() else "缺少 CURRENT 文件"
        raise IndexCorrupt(_corrupt(path, what, f"no {CURRENT_FILE} file"), path=path) from exc
    except OSError as exc:
        raise IndexCorrupt(_corrupt(path, "CURRENT 无法读取", str(exc)), path=path) from exc
    try:
        pointer = json.loads(raw)
        if not isinstance(pointer, dict):
            raise ValueError("not an object")
    except ValueError as exc:
        raise IndexCorrupt(_corrupt(path, "CURRENT 内容无效", f"{CURRENT_FILE} is invalid: {exc}"), path=path) from exc
    return pointer


def _read_current_or_none(path: Path) -> dict[str, Any] | None:
    try:
        return _read_current(path)
    except IndexCorrupt:
        return None


def _cleanup(path: Path, keep: set[str]) -> None:
    """Remove versions other than ``keep`` and stale pointer temp files (caller holds the dir lock)."""
    for entry in path.iterdir():
        name = entry.name
        if _VERSION_RE.match(name) and name not in keep:
            shutil.rmtree(entry, ignore_errors=True)
        elif name.startswith(f".{CURRENT_FILE}.tmp-"):
            with contextlib.suppress(OSError):
                entry.unlink()


@contextlib.contextmanager
def _dir_lock(path: Path) -> Iterator[None]:
    if fcntl is None:  # pragma: no cover
        yield
        return
    fd = os.open(path / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
