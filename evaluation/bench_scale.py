"""Scale benchmark: our candidate stack against Qdrant (local mode), Chroma, Milvus Lite, LanceDB and
hnswlib with post-filtering, plus the real engine.

    python -m evaluation.bench_scale --sizes 10000 100000 [1000000] --out var/bench_scale.json

Part 1, side by side in one process, on the same vectors and the same filtered query
("open jobs within R km of the seeker, top 20 by cosine"):

* ``ours``      FaissIndex(dim, exact_max=20_000) (IVF-Flat above 20k, as the engine configures it)
  + GridIndex + numpy filters, through the engine's own candidate code (``CandidateSelector.select``
  run on these objects): ANN 300 neighbours ∪ all grid rows when at most 1,500, else the nearest
  ``local_nearest`` ∪ the ``local_semantic`` best by cosine inside R (FAISS with an allowed mask),
  exact cosines, then open & haversine distance <= R, top 20. (No ranking shortlist here: there is no
  seeker.) Single thread (FAISS OpenMP 1, BLAS 1). Until 2026-11 the local part was the nearest
  1,500 grid rows (recall 0.86 at 100k, 0.58 at 1M).
* ``ours_mask`` the same index and grid, but the filter goes into FAISS: the grid rows that are open
  and within R become an ``allowed`` mask for ``FaissIndex.search`` (exact subset scan or IVF with a
  bitmap selector, by the index's cost model). Shown for comparison.
* ``qdrant``    qdrant-client local mode (``QdrantClient(":memory:")``, or a folder with
  ``--on-disk``), cosine, payload ``status`` (keyword) and ``geo`` (point), filter
  must[status == open, geo_radius R]; payload indexes are requested (local mode ignores them).
* ``chroma``    chromadb (``EphemeralClient``, or ``PersistentClient`` with ``--on-disk``), cosine
  HNSW, embeddings passed explicitly (no embedding function, telemetry off), where = $and[status ==
  open, lat/lng bounding box of the circle], ``--chroma-fetch`` results, then the exact radius
  post-filter and top 20.
* ``milvus_lite`` Milvus Lite (``milvus-lite`` + pymilvus ``MilvusClient`` on a file: the Milvus
  engine in a local process), HNSW M 16 / efConstruction 200 / ef 2·fetch, COSINE; filter expression
  status == "open" and the circle's bounding box, ``--chroma-fetch`` results, then the exact radius.
* ``lancedb``   LanceDB (embedded, a folder), IVF_HNSW_SQ above 20k rows (flat below), cosine,
  scalar indexes on status/lat/lng, the same bounding-box filter applied before the vector search
  (``prefilter=True``), ``--chroma-fetch`` results, then the exact radius.
* ``hnswlib_post`` hnswlib HNSW (M 16, efConstruction 200) with post-filtering: the 400 nearest,
  open and inside R, top 20; the fetch doubles (to 12,800) while fewer than 20 pass.

Milvus Lite, LanceDB and hnswlib are in the ``bench`` extra (not the default install).

Each system reports build/insert seconds, p50/p99 latency of single queries (Qdrant and Chroma run
with their own threading, as they come) and recall@20 against the exact answer (brute force over
every vector: open, haversine <= R, top 20 by cosine). Slow systems stop after ``--budget-s``
seconds of queries (at least ``--min-queries``); the count measured is reported.

How the collection is made ("real vectors with noise"): ``--real-docs`` real postings from
``../shared/data/job_postings_cn_2024_2025.csv.gz`` (职位 + 职位描述, as the engine's job text) are
embedded as documents with the project encoder, and ``--queries`` other postings as queries. Each of
the N collection vectors is a random real document vector + Gaussian noise (sigma ``--noise`` per
dimension), renormalised; each query is a held-out query vector + the same noise. Job positions are
the coordinates of real Hebei postings (``job_postings_hebei.csv``, 纬度/经度, points outside Hebei
dropped) plus Gaussian jitter of ``--jitter-km``; ``--open-share`` of jobs are open. Queries sit at a
random Hebei posting coordinate moved up to ``--query-spread-km`` in a random direction. Real
vectors and collections are cached under ``--cache-dir`` (npz) so reruns skip the encoder.
``--synthetic`` replaces the real vectors by random unit vectors and the postings by random Hebei
points (no data files, no encoder: used by the smoke test).

Part 2, the real engine at each size up to ``--engine-max`` (a generated Hebei sample, as in
``evaluation.bench_match``, whose helpers it reuses): match latency for stored seekers (and, under
cProfile, its split into store reads, candidates and ranking); throughput of one and of two worker
processes opening the same engine home for ``--throughput-s`` seconds each, as the engine runs and
again with numpy's BLAS limited to one thread per process;
visibility of 10k jobs changed in non-text fields (wage, coordinates, status) through
``engine.upsert``, with a profile of where the time goes; a county batch (all active seekers of the
county with most seekers, top 20 each).

Prints tables and writes JSON with the machine and the parameters. Not part of the test suite (a
smoke test runs part 1 for our stack on a tiny synthetic collection).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gc
import gzip
import hashlib
import json
import math
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
NATIONAL_CSV = "job_postings_cn_2024_2025.csv.gz"
HEBEI_CSV = "job_postings_hebei.csv"
# Hebei's bounding box (with a small margin); posting coordinates outside it are dropped
HEBEI_BOX = (36.0, 42.7, 113.4, 119.9)  # lat_min, lat_max, lng_min, lng_max
K = 20
SYSTEMS = ("ours", "ours_mask", "qdrant", "chroma", "milvus_lite", "lancedb", "hnswlib_post")
PEERS = ("qdrant", "chroma", "milvus_lite", "lancedb", "hnswlib_post")


class SkipBenchmark(RuntimeError):
    """A data file the benchmark needs is absent."""


# -- machine ---------------------------------------------------------------------------------------
def _version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def machine() -> dict[str, Any]:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="ignore").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(), "cpu": cpu, "memory_gb": mem_gb, "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": {d: _version(d) for d in ("faiss-cpu", "qdrant-client", "chromadb", "milvus-lite", "pymilvus",
                                              "lancedb", "hnswlib", "torch", "numpy")},
        "loadavg_start": _loadavg(),
    }


def _loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def pct(values, q: float) -> float:
    from evaluation.bench_match import pct as _pct

    return _pct(list(values), q)


# -- data ------------------------------------------------------------------------------------------
@dataclass
class Collection:
    vectors: np.ndarray  # (n, dim) float32, unit rows
    lat: np.ndarray  # (n,) float64
    lng: np.ndarray
    open: np.ndarray  # (n,) bool


@dataclass
class Queries:
    vectors: np.ndarray
    lat: np.ndarray
    lng: np.ndarray


def hebei_points(data_dir: Path) -> np.ndarray:
    """(m, 2) lat/lng of real Hebei postings inside Hebei's box."""
    path = data_dir / HEBEI_CSV
    if not path.exists():
        raise SkipBenchmark(f"{path} is absent: the real-coordinates collection cannot be made (use --synthetic)")
    pts = []
    with open(path, encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            try:
                lat, lng = float(r["纬度"]), float(r["经度"])
            except (TypeError, ValueError):
                continue
            if HEBEI_BOX[0] <= lat <= HEBEI_BOX[1] and HEBEI_BOX[2] <= lng <= HEBEI_BOX[3]:
                pts.append((lat, lng))
    if not pts:
        raise SkipBenchmark(f"{path} holds no coordinates inside Hebei")
    return np.asarray(pts, dtype=np.float64)


def real_texts(data_dir: Path, n: int, seed: int) -> list[str]:
    """``n`` distinct engine job texts (职位 + 职位描述) of real postings, in a seeded random order."""
    from matcher.features.profiles import job_text

    path = data_dir / NATIONAL_CSV
    if not path.exists():
        raise SkipBenchmark(f"{path} is absent: real vectors cannot be made (use --synthetic)")
    seen: set[str] = set()
    texts = []
    csv.field_size_limit(10**7)
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            title, desc = (r.get("职位") or "").strip(), (r.get("职位描述") or "").strip()
            if not title or len(desc) < 20:
                continue
            t = job_text({"title": title, "description": desc})
            if t not in seen:
                seen.add(t)
                texts.append(t)
    random.Random(seed).shuffle(texts)
    if len(texts) < n:
        raise SkipBenchmark(f"{path} has only {len(texts)} usable postings (need {n})")
    return texts[:n]


def _fingerprint(*arrays: np.ndarray) -> str:
    h = hashlib.blake2b(digest_size=8)
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def base_vectors(args) -> dict[str, Any]:
    """Real document and query vectors (cached), or random ones with ``--synthetic``."""
    if args.synthetic:
        rng = np.random.default_rng(args.seed)
        docs = rng.standard_normal((args.real_docs, args.dim)).astype(np.float32)
        docs /= np.linalg.norm(docs, axis=1, keepdims=True)
        qs = rng.standard_normal((args.queries, args.dim)).astype(np.float32)
        qs /= np.linalg.norm(qs, axis=1, keepdims=True)
        lat = rng.uniform(HEBEI_BOX[0] + 0.5, HEBEI_BOX[1] - 0.5, 60)
        lng = rng.uniform(HEBEI_BOX[2] + 0.5, HEBEI_BOX[3] - 0.5, 60)
        return {"docs": docs, "queries": qs, "points": np.stack([lat, lng], 1), "encoder": "synthetic",
                "embed_s": 0.0, "source": "synthetic"}
    data_dir = Path(args.data_dir)
    points = hebei_points(data_dir)
    cache = Path(args.cache_dir) / f"real-vectors-d{args.real_docs}-q{args.queries}-s{args.seed}.npz"
    if cache.exists():
        with np.load(cache, allow_pickle=False) as z:
            out = {"docs": z["docs"], "queries": z["queries"], "encoder": str(z["encoder"]),
                   "embed_s": float(z["embed_s"]), "source": f"cache {cache}"}
        out["points"] = points
        return out
    from matcher.features.encoder import open_encoder

    texts = real_texts(data_dir, args.real_docs + args.queries, args.seed)
    enc = open_encoder("default", args.model_cache)
    t0 = time.perf_counter()
    docs = enc.encode_documents(texts[: args.real_docs], batch_size=32, show_progress=True)
    qs = enc.encode_queries(texts[args.real_docs :], batch_size=32, show_progress=True)
    embed_s = time.perf_counter() - t0
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, docs=docs.astype(np.float32), queries=qs.astype(np.float32), encoder=np.asarray(enc.name),
             embed_s=np.asarray(embed_s))
    return {"docs": docs.astype(np.float32), "queries": qs.astype(np.float32), "points": points,
            "encoder": enc.name, "embed_s": round(embed_s, 1), "source": "embedded now"}


def _noisy(base: np.ndarray, pick: np.ndarray, sigma: float, rng: np.random.Generator,
           chunk: int = 65_536) -> np.ndarray:
    out = np.empty((len(pick), base.shape[1]), dtype=np.float32)
    for s in range(0, len(pick), chunk):
        x = base[pick[s : s + chunk]] + rng.standard_normal((len(pick[s : s + chunk]), base.shape[1]),
                                                            dtype=np.float32) * np.float32(sigma)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        out[s : s + chunk] = x
    return out


def _jitter(lat: np.ndarray, lng: np.ndarray, dx_km: np.ndarray, dy_km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lat2 = lat + dy_km / 111.0
    lng2 = lng + dx_km / (111.0 * np.cos(np.radians(lat)))
    return lat2, lng2


def make_collection(n: int, base: dict[str, Any], args) -> tuple[Collection, str]:
    """N noisy real vectors at jittered Hebei posting coordinates (cached as npz under --cache-dir)."""
    fp = _fingerprint(base["docs"], base["points"])
    tag = "syn" if args.synthetic else "real"
    cache = Path(args.cache_dir) / (f"collection-{tag}-n{n}-s{args.seed}-sig{args.noise:g}-j{args.jitter_km:g}"
                                    f"-o{args.open_share:g}-{fp}.npz")
    if cache.exists() and not args.synthetic:
        with np.load(cache, allow_pickle=False) as z:
            return Collection(z["vectors"], z["lat"], z["lng"], z["open"]), f"cache {cache}"
    rng = np.random.default_rng([args.seed, n])
    pick = rng.integers(0, len(base["docs"]), n)
    vecs = _noisy(base["docs"], pick, args.noise, rng)
    at = base["points"][rng.integers(0, len(base["points"]), n)]
    lat, lng = _jitter(at[:, 0], at[:, 1], rng.normal(0, args.jitter_km, n), rng.normal(0, args.jitter_km, n))
    is_open = rng.random(n) < args.open_share
    coll = Collection(vecs, lat, lng, is_open)
    if args.synthetic:
        return coll, "generated"
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp.npz")
    np.savez(tmp, vectors=vecs, lat=lat, lng=lng, open=is_open)
    os.replace(tmp, cache)
    return coll, "generated (cached)"


def make_queries(base: dict[str, Any], args) -> Queries:
    rng = np.random.default_rng([args.seed, 7919])
    qv = base["queries"]
    vecs = _noisy(qv, np.arange(len(qv)), args.noise, rng)
    at = base["points"][rng.integers(0, len(base["points"]), len(qv))]
    r = args.query_spread_km * np.sqrt(rng.random(len(qv)))
    theta = rng.uniform(0, 2 * np.pi, len(qv))
    lat, lng = _jitter(at[:, 0], at[:, 1], r * np.cos(theta), r * np.sin(theta))
    return Queries(vecs, lat, lng)


# -- exact answer ----------------------------------------------------------------------------------
def brute_force(coll: Collection, qs: Queries, radius_km: float, k: int = K) -> tuple[list[np.ndarray], list[int]]:
    """Per query: the exact top-k rows (open, haversine <= R, by cosine) and how many rows qualified."""
    from matcher.features.geo import haversine_km

    truth, eligible = [], []
    for i in range(len(qs.vectors)):
        d = haversine_km(qs.lat[i], qs.lng[i], coll.lat, coll.lng)
        rows = np.flatnonzero(coll.open & (d <= radius_km))
        eligible.append(len(rows))
        truth.append(_topk(rows, coll.vectors[rows] @ qs.vectors[i], k))
    return truth, eligible


def _topk(rows: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
    if len(rows) > k:
        part = np.argpartition(-scores, k - 1)[:k]
        rows, scores = rows[part], scores[part]
    return rows[np.argsort(-scores, kind="stable")]


def _mean_recall(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return round(float(np.mean(vals)), 4) if vals else None


def recall(found: list[np.ndarray], truth: list[np.ndarray]) -> float | None:
    """Mean over queries with a non-empty answer of |found ∩ truth| / |truth|."""
    vals = [len(set(f.tolist()) & set(t.tolist())) / len(t) for f, t in zip(found, truth, strict=False) if len(t)]
    return round(float(np.mean(vals)), 4) if vals else None


# -- systems ---------------------------------------------------------------------------------------
class _Table:
    """What ``CandidateSelector.select`` reads from a feature table: rows of ids, positions, liveness."""

    def __init__(self, ids: list[str], lat: np.ndarray, lng: np.ndarray):
        self.ids = ids
        self.row_of = {rid: i for i, rid in enumerate(ids)}
        self.lat, self.lng = lat, lng
        self.alive = np.ones(len(ids), dtype=bool)

    def __len__(self) -> int:
        return len(self.row_of)

    def rows(self, ids) -> np.ndarray:  # as JobTable.rows
        get = self.row_of.get
        return np.fromiter((r for r in (get(i) for i in ids) if r is not None), dtype=np.int64)


class Ours:
    """FaissIndex + GridIndex + numpy filters, through the engine's own candidate code."""

    name = "ours"

    def __init__(self, coll: Collection, exact_max: int = 20_000):
        self.coll = coll
        self.exact_max = exact_max

    def build(self) -> None:
        from matcher.index.candidates import CandidateSelector, Side
        from matcher.index.faiss_index import FaissIndex
        from matcher.index.spatial import GridIndex
        from matcher.ranking.config import RankingConfig

        c = self.coll
        n, dim = c.vectors.shape
        ids = [f"j{i}" for i in range(n)]
        index = FaissIndex(dim, exact_max=self.exact_max)
        index.add(ids, c.vectors)
        grid = GridIndex()
        for i, (la, ln) in enumerate(zip(c.lat.tolist(), c.lng.tolist(), strict=True)):
            grid.put(i, la, ln)
        self.table = _Table(ids, c.lat, c.lng)
        self.side = Side("jobs", index, self.table, grid, c.vectors)
        # the engine's candidate stage, run on these objects with the engine's default ranking config
        self.selector = CandidateSelector(RankingConfig())
        cfg = self.selector.cfg
        self.index = index
        self.info = {"index_kind": index.kind, "nlist": index.nlist, "nprobe": index.nprobe,
                     "ann_candidates": cfg.candidates, "local_candidates": cfg.local_candidates,
                     "local_nearest": cfg.local_nearest, "local_semantic": cfg.local_semantic}

    def query(self, q: np.ndarray, lat: float, lng: float, radius_km: float, k: int = K) -> np.ndarray:
        from matcher.features.geo import haversine_km

        rows, cos = self.selector.select(self.side, q, lat, lng, radius_km)
        c = self.coll
        ok = c.open[rows] & (haversine_km(lat, lng, c.lat[rows], c.lng[rows]) <= radius_km)
        return _topk(rows[ok], cos[ok], k)

    def close(self) -> None:
        self.side = self.index = self.table = None


class OursMask(Ours):
    """Same objects; the open & radius filter is handed to FAISS as an ``allowed`` row mask."""

    name = "ours_mask"

    def __init__(self, coll: Collection, exact_max: int = 20_000, share: Ours | None = None):
        super().__init__(coll, exact_max)
        self.share = share

    def build(self) -> None:
        if self.share is not None:  # the same built index and grid as ``ours`` (not built twice)
            self.table, self.side, self.index = self.share.table, self.share.side, self.share.index
            self.info = dict(self.share.info, build="shared with ours")
        else:
            super().build()
        rows = self.index.rows_for(self.table.ids[:1000])
        if not np.array_equal(rows, np.arange(len(rows))):  # a fresh index numbers rows in insertion order
            raise RuntimeError("unexpected FaissIndex row numbering")

    def query(self, q: np.ndarray, lat: float, lng: float, radius_km: float, k: int = K) -> np.ndarray:
        from matcher.features.geo import haversine_km

        c = self.coll
        near = self.side.grid.within(lat, lng, radius_km)
        near = near[c.open[near]]
        near = near[haversine_km(lat, lng, c.lat[near], c.lng[near]) <= radius_km]
        if not len(near):
            return near
        mask = np.zeros(self.index.n_rows, dtype=bool)
        mask[near] = True
        res = self.index.search(q, k, allowed=mask)
        return self.table.rows(res.ids[0])


class Qdrant:
    name = "qdrant"

    def __init__(self, coll: Collection, on_disk: bool = False, batch: int = 10_000):
        self.coll, self.on_disk, self.batch = coll, on_disk, batch
        self.tmp = None

    def build(self) -> None:
        import warnings

        from qdrant_client import QdrantClient, models

        self.models = models
        if self.on_disk:
            self.tmp = tempfile.mkdtemp(prefix="bench-qdrant-")
            self.client = QdrantClient(path=self.tmp)
        else:
            self.client = QdrantClient(location=":memory:")
        c = self.coll
        self.client.create_collection("jobs", vectors_config=models.VectorParams(size=c.vectors.shape[1],
                                                                               distance=models.Distance.COSINE))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.client.create_payload_index("jobs", "status", field_schema=models.PayloadSchemaType.KEYWORD)
            self.client.create_payload_index("jobs", "geo", field_schema=models.PayloadSchemaType.GEO)
        self.info = {"mode": "local " + ("folder" if self.on_disk else ":memory:"),
                     "payload_index_warnings": sorted({str(w.message)[:160] for w in caught})}
        status = np.where(c.open, "open", "closed")
        for s in range(0, len(c.vectors), self.batch):
            e = min(s + self.batch, len(c.vectors))
            payloads = [{"status": str(status[i]), "geo": {"lat": float(c.lat[i]), "lon": float(c.lng[i])}}
                        for i in range(s, e)]
            self.client.upsert("jobs", points=models.Batch(ids=list(range(s, e)), vectors=c.vectors[s:e].tolist(),
                                                           payloads=payloads), wait=True)

    def query(self, q: np.ndarray, lat: float, lng: float, radius_km: float, k: int = K) -> np.ndarray:
        m = self.models
        flt = m.Filter(must=[
            m.FieldCondition(key="status", match=m.MatchValue(value="open")),
            m.FieldCondition(key="geo", geo_radius=m.GeoRadius(center=m.GeoPoint(lat=float(lat), lon=float(lng)),
                                                               radius=radius_km * 1000.0)),
        ])
        res = self.client.query_points("jobs", query=q.tolist(), query_filter=flt, limit=k, with_payload=False)
        return np.asarray([p.id for p in res.points], dtype=np.int64)

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            if self.tmp:
                shutil.rmtree(self.tmp, ignore_errors=True)


class Chroma:
    name = "chroma"

    def __init__(self, coll: Collection, fetch: int = 40, on_disk: bool = False):
        self.coll, self.fetch, self.on_disk = coll, fetch, on_disk
        self.tmp = None

    def build(self) -> None:
        import chromadb
        from chromadb.config import Settings

        settings = Settings(anonymized_telemetry=False, allow_reset=True)
        if self.on_disk:
            self.tmp = tempfile.mkdtemp(prefix="bench-chroma-")
            self.client = chromadb.PersistentClient(path=self.tmp, settings=settings)
        else:
            self.client = chromadb.EphemeralClient(settings=settings)
        name = f"jobs_{os.getpid()}_{time.time_ns()}"
        # embedding_function=None: Chroma's default one would download a model; we pass embeddings
        self.col = self.client.create_collection(name, embedding_function=None,
                                                 configuration={"hnsw": {"space": "cosine"}})
        self.name_ = name
        c = self.coll
        batch = min(self.client.get_max_batch_size(), 5_000)
        status = np.where(c.open, "open", "closed")
        for s in range(0, len(c.vectors), batch):
            e = min(s + batch, len(c.vectors))
            self.col.add(ids=[str(i) for i in range(s, e)], embeddings=c.vectors[s:e],
                         metadatas=[{"status": str(status[i]), "lat": float(c.lat[i]), "lng": float(c.lng[i])}
                                    for i in range(s, e)])
        self.info = {"mode": "PersistentClient" if self.on_disk else "EphemeralClient", "fetch": self.fetch,
                     "hnsw": "defaults (space cosine)"}

    def query(self, q: np.ndarray, lat: float, lng: float, radius_km: float, k: int = K) -> np.ndarray:
        from matcher.features.geo import haversine_km

        dlat = radius_km / 111.0
        dlng = radius_km / (111.0 * max(0.1, math.cos(math.radians(lat))))
        where = {"$and": [{"status": "open"}, {"lat": {"$gte": lat - dlat}}, {"lat": {"$lte": lat + dlat}},
                          {"lng": {"$gte": lng - dlng}}, {"lng": {"$lte": lng + dlng}}]}
        res = self.col.query(query_embeddings=[q], n_results=self.fetch, where=where,
                             include=["distances", "metadatas"])
        ids, metas = res["ids"][0], res["metadatas"][0]
        if not ids:
            return np.empty(0, dtype=np.int64)
        mlat = np.asarray([m["lat"] for m in metas])
        mlng = np.asarray([m["lng"] for m in metas])
        keep = haversine_km(lat, lng, mlat, mlng) <= radius_km
        # results come best first (cosine distance ascending)
        return np.asarray([int(i) for i, kp in zip(ids, keep, strict=True) if kp][:k], dtype=np.int64)

    def close(self) -> None:
        with contextlib.suppress(Exception):  # best effort clean-up
            self.client.delete_collection(self.name_)
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)


def _box(lat: float, lng: float, radius_km: float) -> tuple[float, float, float, float]:
    """The latitude/longitude bounding box of a circle (what a scalar filter can express)."""
    dlat = radius_km / 111.0
    dlng = radius_km / (111.0 * max(0.1, math.cos(math.radians(lat))))
    return lat - dlat, lat + dlat, lng - dlng, lng + dlng


def _radius_post_filter(ids: np.ndarray, lat: float, lng: float, mlat: np.ndarray, mlng: np.ndarray,
                        radius_km: float, k: int) -> np.ndarray:
    from matcher.features.geo import haversine_km

    if len(ids) == 0:
        return np.empty(0, dtype=np.int64)
    keep = np.asarray(haversine_km(lat, lng, mlat, mlng)) <= radius_km
    return np.asarray(ids, dtype=np.int64)[keep][:k]


class MilvusLite:
    """Milvus Lite (``milvus-lite``, the Milvus engine as a local process behind pymilvus, data in a
    file): HNSW (M 16, efConstruction 200, ef ``fetch``·2), COSINE; filter expression
    ``status == "open"`` and the circle's bounding box, ``fetch`` results, then the exact radius."""

    name = "milvus_lite"

    def __init__(self, coll: Collection, fetch: int = 40, batch: int = 5_000):
        self.coll, self.fetch, self.batch = coll, fetch, batch
        self.tmp = None

    def build(self) -> None:
        from pymilvus import DataType, MilvusClient

        self.tmp = tempfile.mkdtemp(prefix="bench-milvus-")
        self.client = MilvusClient(f"{self.tmp}/jobs.db")
        c = self.coll
        schema = self.client.create_schema(auto_id=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=c.vectors.shape[1])
        schema.add_field("status", DataType.VARCHAR, max_length=8)
        schema.add_field("lat", DataType.DOUBLE)
        schema.add_field("lng", DataType.DOUBLE)
        params = self.client.prepare_index_params()
        params.add_index(field_name="vector", index_type="HNSW", metric_type="COSINE",
                         params={"M": 16, "efConstruction": 200})
        self.client.create_collection("jobs", schema=schema, index_params=params)
        status = np.where(c.open, "open", "closed")
        for s in range(0, len(c.vectors), self.batch):
            e = min(s + self.batch, len(c.vectors))
            self.client.insert("jobs", [{"id": i, "vector": c.vectors[i], "status": str(status[i]),
                                         "lat": float(c.lat[i]), "lng": float(c.lng[i])} for i in range(s, e)])
        self.client.flush("jobs")
        self.client.load_collection("jobs")
        self.info = {"mode": "milvus-lite file", "index": "HNSW M16 efC200", "fetch": self.fetch,
                     "ef": 2 * self.fetch}

    def query(self, q: np.ndarray, lat: float, lng: float, radius_km: float, k: int = K) -> np.ndarray:
        la0, la1, ln0, ln1 = _box(lat, lng, radius_km)
        expr = (f'status == "open" and lat >= {la0} and lat <= {la1} and lng >= {ln0} and lng <= {ln1}')
        res = self.client.search("jobs", data=[q.tolist()], limit=self.fetch, filter=expr, output_fields=["lat", "lng"],
                                 search_params={"params": {"ef": 2 * self.fetch}})[0]
        ids = np.asarray([h["id"] for h in res], dtype=np.int64)
        mlat = np.asarray([h["entity"]["lat"] for h in res])
        mlng = np.asarray([h["entity"]["lng"] for h in res])
        return _radius_post_filter(ids, lat, lng, mlat, mlng, radius_km, k)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close()
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)


class LanceDB:
    """LanceDB (embedded, Lance files in a folder): an IVF_HNSW_SQ vector index (cosine) above
    ``flat_max`` rows, flat search below; scalar indexes on status, lat and lng; the status and
    bounding-box filter applied before the vector search (``prefilter``), ``fetch`` results, then the
    exact radius."""

    name = "lancedb"

    def __init__(self, coll: Collection, fetch: int = 40, flat_max: int = 20_000):
        self.coll, self.fetch, self.flat_max = coll, fetch, flat_max
        self.tmp = None

    def build(self) -> None:
        import lancedb
        import pyarrow as pa

        self.tmp = tempfile.mkdtemp(prefix="bench-lance-")
        db = lancedb.connect(self.tmp)
        c = self.coll
        n, dim = c.vectors.shape
        vec = pa.FixedSizeListArray.from_arrays(pa.array(np.ascontiguousarray(c.vectors).ravel()), dim)
        self.tbl = db.create_table("jobs", pa.table({"id": np.arange(n, dtype=np.int64), "vector": vec,
                                                     "status": np.where(c.open, "open", "closed"),
                                                     "lat": c.lat, "lng": c.lng}))
        index = "flat (no vector index)"
        if n > self.flat_max:
            parts = max(1, int(math.sqrt(n) / 4))
            self.tbl.create_index(metric="cosine", vector_column_name="vector", index_type="IVF_HNSW_SQ",
                                  num_partitions=parts)
            index = f"IVF_HNSW_SQ, {parts} partitions"
        for col in ("status", "lat", "lng"):
            self.tbl.create_scalar_index(col)
        self.info = {"mode": "lancedb folder", "index": index, "fetch": self.fetch, "prefilter": True}

    def query(self, q: np.ndarray, lat: float, lng: float, radius_km: float, k: int = K) -> np.ndarray:
        la0, la1, ln0, ln1 = _box(lat, lng, radius_km)
        where = f"status = 'open' AND lat BETWEEN {la0} AND {la1} AND lng BETWEEN {ln0} AND {ln1}"
        res = (self.tbl.search(q).metric("cosine").where(where, prefilter=True).limit(self.fetch)
               .select(["id", "lat", "lng"]).to_arrow())
        return _radius_post_filter(res.column("id").to_numpy(), lat, lng, res.column("lat").to_numpy(),
                                   res.column("lng").to_numpy(), radius_km, k)

    def close(self) -> None:
        self.tbl = None
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)


class HnswPost:
    """A plain HNSW library (hnswlib: M 16, efConstruction 200, cosine) with post-filtering: the
    ``fetch`` nearest neighbours (ef = fetch), then open and inside the radius, top 20; when fewer
    than 20 pass, ``fetch`` doubles up to ``fetch_max``."""

    name = "hnswlib_post"

    def __init__(self, coll: Collection, fetch: int = 400, fetch_max: int = 12_800, threads: int = 2):
        self.coll, self.fetch, self.fetch_max, self.threads = coll, fetch, fetch_max, threads

    def build(self) -> None:
        import hnswlib

        c = self.coll
        n, dim = c.vectors.shape
        self.index = hnswlib.Index(space="cosine", dim=dim)
        self.index.init_index(max_elements=n, ef_construction=200, M=16)
        self.index.add_items(c.vectors, np.arange(n), num_threads=self.threads)
        self.info = {"index": "hnswlib HNSW M16 efC200", "fetch": f"{self.fetch}..{self.fetch_max}",
                     "build_threads": self.threads}

    def query(self, q: np.ndarray, lat: float, lng: float, radius_km: float, k: int = K) -> np.ndarray:
        from matcher.features.geo import haversine_km

        c = self.coll
        fetch = self.fetch
        while True:
            fetch = min(fetch, len(c.vectors))
            self.index.set_ef(fetch)
            labels, _ = self.index.knn_query(q, k=fetch, num_threads=1)
            rows = labels[0].astype(np.int64)
            keep = c.open[rows] & (np.asarray(haversine_km(lat, lng, c.lat[rows], c.lng[rows])) <= radius_km)
            if keep.sum() >= k or fetch >= min(self.fetch_max, len(c.vectors)):
                return rows[keep][:k]
            fetch *= 2

    def close(self) -> None:
        self.index = None


class _Limits:
    """Single-thread context for our stack: FAISS OpenMP 1 and BLAS 1."""

    def __init__(self, single: bool):
        self.single = single

    def __enter__(self):
        if self.single:
            import faiss
            from threadpoolctl import threadpool_limits

            self.prev = faiss.omp_get_max_threads()
            faiss.omp_set_num_threads(1)
            self.blas = threadpool_limits(1)
        return self

    def __exit__(self, *exc):
        if self.single:
            import faiss

            self.blas.unregister()
            faiss.omp_set_num_threads(self.prev)


def measure(system, qs: Queries, truth: list[np.ndarray], args, *, keep: bool = False,
            build_s: float | None = None) -> dict[str, Any]:
    """Build, then time single queries (best effort within the budget), then recall@20. ``keep``:
    leave the system open (its build is shared); ``build_s``: the shared build's time."""
    single = system.name.startswith("ours")
    gc.collect()
    t0 = time.perf_counter()
    system.build()  # builds run as each system comes (ours: the engine's build threads)
    build_s = time.perf_counter() - t0 if build_s is None else build_s
    found, lat = [], []
    with _Limits(single):
        for i in range(min(3, len(qs.vectors))):  # warm-up
            system.query(qs.vectors[i], float(qs.lat[i]), float(qs.lng[i]), args.radius_km)
        start = time.perf_counter()
        for i in range(len(qs.vectors)):
            t1 = time.perf_counter()
            found.append(system.query(qs.vectors[i], float(qs.lat[i]), float(qs.lng[i]), args.radius_km))
            lat.append((time.perf_counter() - t1) * 1000)
            if i + 1 >= args.min_queries and time.perf_counter() - start > args.budget_s:
                break
    out = {"build_s": round(build_s, 2), "p50_ms": round(pct(lat, 50), 3), "p99_ms": round(pct(lat, 99), 3),
           "mean_ms": round(float(np.mean(lat)), 3), "queries": len(lat),
           "recall@20": recall(found, truth[: len(found)]),
           "mean_results": round(float(np.mean([len(f) for f in found])), 2),
           # per query, in query order (None: no eligible job), to compare recall on the same queries
           "recall_per_query": [round(len(set(f.tolist()) & set(t.tolist())) / len(t), 3) if len(t) else None
                                for f, t in zip(found, truth, strict=False)],
           **{k: v for k, v in getattr(system, "info", {}).items()}}
    if not keep:
        system.close()
        gc.collect()
    return out


def bench_systems(n: int, base: dict[str, Any], qs: Queries, args) -> dict[str, Any]:
    t0 = time.perf_counter()
    coll, how = make_collection(n, base, args)
    res: dict[str, Any] = {"n": n, "collection": how, "collection_s": round(time.perf_counter() - t0, 1),
                           "open_share": round(float(coll.open.mean()), 4)}
    t0 = time.perf_counter()
    truth, eligible = brute_force(coll, qs, args.radius_km)
    res["truth_s"] = round(time.perf_counter() - t0, 1)
    res["eligible_per_query"] = {"p10": int(pct(eligible, 10)), "p50": int(pct(eligible, 50)),
                                 "p90": int(pct(eligible, 90)), "empty": int(sum(e == 0 for e in eligible))}
    res["systems"] = {}
    shared: Ours | None = None
    for name in [x for x in SYSTEMS if x in args.systems]:
        print(f"[{n:,}] {name} ...", file=sys.stderr, flush=True)
        keep, build_s = False, None
        if name == "ours":
            system = Ours(coll, args.exact_max)
            keep = "ours_mask" in args.systems
        elif name == "ours_mask":
            system = OursMask(coll, args.exact_max, share=shared)
            build_s = res["systems"]["ours"]["build_s"] if shared is not None else None
        elif name == "qdrant":
            system = Qdrant(coll, on_disk=args.on_disk)
        elif name == "chroma":
            system = Chroma(coll, fetch=args.chroma_fetch, on_disk=args.on_disk)
        elif name == "milvus_lite":
            system = MilvusLite(coll, fetch=args.chroma_fetch)
        elif name == "lancedb":
            system = LanceDB(coll, fetch=args.chroma_fetch)
        elif name == "hnswlib_post":
            system = HnswPost(coll)
        else:
            raise ValueError(name)
        try:
            res["systems"][name] = measure(system, qs, truth, args, keep=keep, build_s=build_s)
        except ImportError as e:
            res["systems"][name] = {"error": f"not installed: {e}"}
        if name == "ours" and keep:
            shared = system
        elif name == "ours_mask" and shared is not None:
            shared.close()
            shared = None
            gc.collect()
        brief = {k: v for k, v in res["systems"][name].items() if k != "recall_per_query"}
        print(f"[{n:,}] {name}: {json.dumps(brief, ensure_ascii=False)}", file=sys.stderr, flush=True)
    # theirs / ours, for each of our two variants ("qdrant/ours", "chroma/ours_mask", ...)
    ratios = {}
    for mine in ("ours", "ours_mask"):
        o = res["systems"].get(mine, {})
        for name in PEERS:
            s = res["systems"].get(name)
            if o.get("p50_ms") and s and s.get("p50_ms"):
                ratios[f"{name}/{mine}"] = {
                    "p50": round(s["p50_ms"] / o["p50_ms"], 1), "p99": round(s["p99_ms"] / o["p99_ms"], 1),
                    "build": round(s["build_s"] / o["build_s"], 2) if o.get("build_s") else None,
                    "recall_theirs": s.get("recall@20"),
                    "recall_ours_same_queries": _mean_recall(o.get("recall_per_query", [])[: s["queries"]])}
    res["ratios_theirs_over_ours"] = ratios
    res["target_3x"] = {key: r["p50"] >= 3.0 and r["p99"] >= 3.0 for key, r in ratios.items()}
    del coll
    gc.collect()
    return res


# -- part 2: the real engine -----------------------------------------------------------------------
def _single_thread() -> None:
    import faiss
    import torch

    torch.set_num_threads(1)
    faiss.omp_set_num_threads(1)


def _throughput_worker(home: str, model_cache: str | None, seeker_ids: list[str], seconds: float, ready, go,
                       out, blas_threads: int | None = None) -> None:
    """A worker process: open the engine home (reads only), warm, then match for ``seconds``.
    ``blas_threads``: limit numpy's BLAS pool (None: as the engine runs today, OpenBLAS's default)."""
    from matcher.engine import MatchEngine

    t0 = time.perf_counter()
    _single_thread()
    if blas_threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(blas_threads)
    engine = MatchEngine.open(home=home, model_cache=model_cache, sync_interval=3600)
    engine.warm()
    engine.match_jobs(seeker_ids[0], k=K)
    ready.put((os.getpid(), time.perf_counter() - t0))
    go.wait()
    n, lat = 0, []
    end = time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < end:
        t1 = time.perf_counter()
        engine.match_jobs(seeker_ids[n % len(seeker_ids)], k=K)
        lat.append((time.perf_counter() - t1) * 1000)
        n += 1
    wall = time.perf_counter() - start
    out.put({"matches": n, "seconds": wall, "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99)})
    engine.store.close()  # nothing was written: do not save


def throughput(home: Path, model_cache: str | None, seeker_ids: list[str], procs: int, seconds: float,
               blas_threads: int | None = None) -> dict:
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    ready, out, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    ps = []
    for p in range(procs):
        ids = seeker_ids[p::procs] or seeker_ids
        proc = ctx.Process(target=_throughput_worker,
                           args=(str(home), model_cache, ids, seconds, ready, go, out, blas_threads))
        proc.start()
        ps.append(proc)
    opens = [ready.get(timeout=1800)[1] for _ in ps]
    go.set()
    results = [out.get(timeout=seconds + 600) for _ in ps]
    for proc in ps:
        proc.join(timeout=120)
    total = sum(r["matches"] for r in results)
    secs = max(r["seconds"] for r in results)
    return {"processes": procs, "blas_threads": blas_threads or "default", "matches": total, "seconds": round(secs, 1), "matches_per_s": round(total / secs, 1),
            "per_process_p50_ms": [round(r["p50_ms"], 2) for r in results],
            "per_process_p99_ms": [round(r["p99_ms"], 2) for r in results],
            "open_and_warm_s": [round(o, 1) for o in opens], "loadavg": _loadavg()}


def _changed_jobs(jobs: list[dict], n: int, rng: random.Random, used: set[str]) -> list[dict]:
    """``n`` jobs changed in fields that are not part of their text: wage, coordinates, status."""
    open_ = [j for j in jobs if j["status"] == "open" and j["id"] not in used]
    other = [j for j in jobs if j["status"] != "open" and j["id"] not in used]
    n_reopen = min(len(other), int(n * 0.15))
    n_close = int(n * 0.15)
    rest = max(0, n - n_reopen - n_close)
    picked_open = rng.sample(open_, min(len(open_), n_close + rest))
    out = []
    for j in rng.sample(other, n_reopen):
        out.append(dict(j, status="open"))
    for i, j in enumerate(picked_open):
        if i < n_close:
            out.append(dict(j, status="closed"))
        elif i % 2 or j.get("lat") is None:
            lo = int(round((j["wage_min"] or 3000) * 1.1, -2))
            out.append(dict(j, wage_min=lo, wage_max=max(lo + 200, int(round((j["wage_max"] or lo) * 1.1, -2)))))
        else:
            r, th = rng.uniform(1.0, 3.0), rng.uniform(0, 2 * math.pi)
            out.append(dict(j, lat=round(j["lat"] + r * math.sin(th) / 111.0, 6),
                            lng=round(j["lng"] + r * math.cos(th) / (111.0 * math.cos(math.radians(j["lat"]))), 6)))
    used.update(j["id"] for j in out)
    return out


def _verify_update(engine, changed: list[dict]) -> dict[str, Any]:
    """Every changed job is reflected: closed ones gone, others at their new values and findable."""
    from matcher.index.candidates import CandidateSelector

    side = engine.side_cache("jobs")
    t = side.table
    bad = 0
    moved_found = moved = 0
    for j in changed:
        row = t.row_of.get(j["id"])
        if j["status"] != "open":
            bad += row is not None or j["id"] in side.index
            continue
        if row is None or j["id"] not in side.index:
            bad += 1
            continue
        if j.get("lat") is not None and not (abs(t.lat[row] - j["lat"]) < 1e-6 and abs(t.lng[row] - j["lng"]) < 1e-6):
            bad += 1
        if j.get("wage_min") is not None and t.wage_min[row] != j["wage_min"]:
            bad += 1
    # query-level check on moved jobs: a search at the new position returns them as candidates
    for j in changed[:]:
        if j["status"] == "open" and j.get("lat") is not None and moved < 50:
            moved += 1
            row = t.row_of[j["id"]]
            rows, _ = CandidateSelector(engine.ranking).select(side, side.vectors[row], j["lat"], j["lng"], 0.5)
            moved_found += bool(np.isin(row, rows))
    return {"wrong": int(bad), "position_queries": moved, "position_queries_found": moved_found}


_STAGES = [
    ("validate records (pydantic)", "engine.py", "coerce_records"),
    ("store write (SQL upsert + change log)", "store.py", "upsert"),
    ("read changes since last sync", "store.py", "changes_since"),
    ("text profiles (taxonomy, skills)", "profiles.py", "job"),
    ("embedding lookup (reuse stored vectors)", "engine.py", "_embed_records"),
    ("feature rows (job_features)", "tables.py", "job_features"),
    ("feature rows, text profile kept (job_base_features)", "tables.py", "job_base_features"),
    ("table + grid update", "tables.py", "upsert"),
    ("table update, a column at a time (upsert_many)", "tables.py", "upsert_many"),
    ("FAISS remove", "faiss_index.py", "remove"),
    ("FAISS add", "faiss_index.py", "add"),
]


def _profile_stages(stats) -> dict[str, float]:
    out = {}
    for label, file, func in _STAGES:
        cum = 0.0
        for (fname, _line, fn), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
            if fn == func and fname.endswith(os.sep + file):
                cum += ct
        out[label] = round(cum, 3)
    return out


def incremental_update(engine, jobs: list[dict], seeker_id: str, n: int, rng: random.Random) -> dict[str, Any]:
    import cProfile
    import pstats

    used: set[str] = set()
    enc = engine.encoder
    calls = {"texts": 0}
    real_docs = enc.encode_documents

    def counting(texts, *a, **kw):
        calls["texts"] += len(texts)
        return real_docs(texts, *a, **kw)

    enc.encode_documents = counting  # instance attribute: counts any text that would be re-embedded
    try:
        changed = _changed_jobs(jobs, n, rng, used)
        t0 = time.perf_counter()
        engine.upsert("job", changed)
        t1 = time.perf_counter()
        engine.match_jobs(seeker_id, k=K)
        t2 = time.perf_counter()
        check = _verify_update(engine, changed)
        was_shut = {x["id"] for x in jobs if x["status"] != "open"}
        out = {"changed": len(changed),
               "mix": {"closed": sum(j["status"] != "open" for j in changed),
                       "reopened": sum(j["status"] == "open" and j["id"] in was_shut for j in changed)},
               "upsert_s": round(t1 - t0, 3), "first_query_s": round(t2 - t1, 3),
               "visible_after_s": round(t2 - t0, 3), "texts_reembedded": calls["texts"], "verify": check}
        # a second batch under the profiler (changes on top of the first; other jobs while there are
        # enough of them): where the time goes
        current = {j["id"]: j for j in jobs}
        current.update({j["id"]: j for j in changed})
        fresh = len(current) - len(used) >= n
        changed2 = _changed_jobs(list(current.values()), n, rng, used if fresh else set())
        out["profiled_changed"] = len(changed2)
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.enable()
        engine.upsert("job", changed2)
        prof.disable()
        out["profiled_upsert_s"] = round(time.perf_counter() - t0, 3)
        stats = pstats.Stats(prof)
        out["profile_stages_s"] = _profile_stages(stats)
        out["sql_statements_executed"] = sum(
            nc for (f, _ln, fn), (_c, nc, _tt, _ct, _cl) in stats.stats.items()
            if fn == "execute" and f.endswith(os.sep + "base.py") and "sqlalchemy" in f and "engine" in f)
        top = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:12]  # by own time
        out["profile_top_own_s"] = [f"{Path(f).name}:{ln} {fn} {tt:.3f}s" for (f, ln, fn), (_c, _n, tt, _ct, _cl) in top]
        out["texts_reembedded_total"] = calls["texts"]
    finally:
        del enc.encode_documents
    return out


_MATCH_STAGES = [
    ("store: read records (get_dicts)", "store.py", "get_dicts"),
    ("seeker profile (Profiler.seeker)", "profiles.py", "seeker"),
    ("candidates (_candidates)", "engine.py", "_candidates"),
    ("  of which FAISS search", "faiss_index.py", "search"),
    ("  of which GridIndex.within", "spatial.py", "within"),
    ("  of which GridIndex.within_points", "spatial.py", "within_points"),
    ("ranking (rank_jobs)", "ranker.py", "rank_jobs"),
]


def _match_profile(engine, seeker_ids: list[str]) -> dict[str, float]:
    """The same matches again under cProfile: milliseconds per query in each stage (inflated by the
    profiler; for the split, not the total)."""
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    for q in seeker_ids:
        engine.match_jobs(q, k=K)
    prof.disable()
    stats = pstats.Stats(prof)
    out = {}
    for label, file, func in _MATCH_STAGES:
        ct = sum(v[3] for (f, _ln, fn), v in stats.stats.items() if fn == func and f.endswith(os.sep + file))
        out[label] = round(ct * 1000 / len(seeker_ids), 2)
    total = sum(v[3] for (f, _ln, fn), v in stats.stats.items() if fn == "match_jobs" and f.endswith("engine.py"))
    out["total (profiled)"] = round(total * 1000 / len(seeker_ids), 2)
    return out


def county_batch(engine, seekers: list[dict]) -> dict[str, Any]:
    from collections import Counter

    active = [s for s in seekers if s["status"] != "employed" and s.get("region_code")]
    counts = Counter(s["region_code"][:6] for s in active)
    county, _ = counts.most_common(1)[0]
    t0 = time.perf_counter()
    ledger = [s for s in engine.store.iter_dicts("seeker", region_prefix=county) if s.get("status") != "employed"]
    for s in ledger:
        engine.match_jobs(s["id"], k=K)
    secs = time.perf_counter() - t0
    out = {"county": county, "name": None, "seekers": len(ledger), "seconds": round(secs, 2),
           "seekers_per_s": round(len(ledger) / secs, 1) if secs else None}
    try:
        place = engine.ctx.gazetteer.get(county)
        out["name"] = place.full_name if place else None
        from matcher.digests import build_digest

        t0 = time.perf_counter()
        digest = build_digest(engine, region_code=county)
        out["build_digest_s"] = round(time.perf_counter() - t0, 2)
        out["digest_seekers"] = len(digest["seekers"])
    except Exception as e:  # noqa: BLE001 - the digest is an extra; the batch above is the measure
        out["build_digest_error"] = f"{type(e).__name__}: {e}"
    return out


def bench_engine(n: int, args) -> dict[str, Any]:
    from evaluation.bench_match import embed_with_noise, load_sample, rss_mb
    from matcher.data.sample import generate
    from matcher.engine import MatchEngine

    rng = random.Random(args.seed)
    home = Path(tempfile.mkdtemp(prefix=f"bench-scale-engine-{n}-", dir=args.work_dir))
    res: dict[str, Any] = {"jobs": n, "seekers": args.seekers, "home": str(home)}
    try:
        t0 = time.perf_counter()
        sample = generate(seed=args.seed, n_jobs=n, n_seekers=args.seekers)
        res["generate_s"] = round(time.perf_counter() - t0, 1)
        engine = MatchEngine.open(home=home, model_cache=args.model_cache, sync_interval=3600)
        res["store_load_s"] = load_sample(engine, sample)
        res["jobs_embedding"] = embed_with_noise(engine, "job", sample.jobs, args.unique, rng, args.noise)
        res["seekers_embedding"] = embed_with_noise(engine, "seeker", sample.seekers, args.unique, rng, args.noise)
        before = rss_mb()
        t0 = time.perf_counter()
        res["index_sizes"] = engine.rebuild_index()
        res["index_build_s"] = round(time.perf_counter() - t0, 1)
        res["rss_mb_index_and_tables"] = round(rss_mb() - before)
        res["index_kind"] = engine.index_info(load=True)["jobs"]["index_kind"]
        _single_thread()
        active = [s["id"] for s in sample.seekers if s["status"] != "employed"]
        qs = rng.sample(active, min(args.engine_queries, len(active)))
        for q in qs[:10]:
            engine.match_jobs(q, k=K)
        lat = []
        for q in qs:
            t1 = time.perf_counter()
            engine.match_jobs(q, k=K)
            lat.append((time.perf_counter() - t1) * 1000)
        res["match_stored_seeker_ms"] = {"p50": round(pct(lat, 50), 2), "p99": round(pct(lat, 99), 2), "n": len(lat)}
        res["match_profile_ms_per_query"] = _match_profile(engine, qs)
        print(f"[engine {n:,}] match {res['match_stored_seeker_ms']} {res['match_profile_ms_per_query']}",
              file=sys.stderr, flush=True)
        if args.throughput_s > 0:
            ids = rng.sample(active, min(2000, len(active)))
            one = throughput(home, args.model_cache, ids, 1, args.throughput_s)
            two = throughput(home, args.model_cache, ids, 2, args.throughput_s)
            res["throughput"] = {"one_process": one, "two_processes": two,
                                 "scaling": round(two["matches_per_s"] / one["matches_per_s"], 2)}
            if args.throughput_blas1:  # the same with numpy's BLAS pool limited to one thread per process
                one = throughput(home, args.model_cache, ids, 1, args.throughput_s, blas_threads=1)
                two = throughput(home, args.model_cache, ids, 2, args.throughput_s, blas_threads=1)
                res["throughput_blas1"] = {"one_process": one, "two_processes": two,
                                           "scaling": round(two["matches_per_s"] / one["matches_per_s"], 2)}
            print(f"[engine {n:,}] throughput {res['throughput']}", file=sys.stderr, flush=True)
        res["update"] = incremental_update(engine, sample.jobs, qs[0], args.update_n, rng)
        print(f"[engine {n:,}] update {res['update']}", file=sys.stderr, flush=True)
        res["county_batch"] = county_batch(engine, sample.seekers)
        print(f"[engine {n:,}] county {res['county_batch']}", file=sys.stderr, flush=True)
        engine.store.close()  # the home is thrown away: no need to save the updated index
    finally:
        if not args.keep_homes:
            shutil.rmtree(home, ignore_errors=True)
    return res


# -- run, report -----------------------------------------------------------------------------------
def run(args) -> dict[str, Any]:
    params = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    result: dict[str, Any] = {"machine": machine(), "params": params, "sizes": [], "engine": []}
    base = base_vectors(args)
    qs = make_queries(base, args)
    result["vectors"] = {"encoder": base["encoder"], "real_docs": len(base["docs"]), "queries": len(qs.vectors),
                         "hebei_points": len(base["points"]), "source": base["source"], "embed_s": base["embed_s"]}
    for n in args.sizes if args.systems else []:
        result["sizes"].append(bench_systems(n, base, qs, args))
    if not args.no_engine:
        for n in args.sizes:
            if n <= args.engine_max:
                result["engine"].append(bench_engine(n, args))
    result["machine"]["loadavg_end"] = _loadavg()
    return result


def _fmt(v, spec: str = "") -> str:
    if v is None:
        return "-"
    return format(v, spec) if spec else str(v)


def format_tables(r: dict[str, Any]) -> str:
    lines = []
    m = r["machine"]
    lines.append(f"machine: {m['cpus']} cpus, {m['cpu']}, {m['platform']}; versions {m['versions']}")
    lines.append(f"vectors: {r['vectors']}; R = {r['params']['radius_km']} km, k = {K}")
    lines.append("")
    head = ("N", "system", "build s", "p50 ms", "p99 ms", "recall@20", "queries", "p50 / ours", "p99 / ours",
            "p50 / ours_mask", "p99 / ours_mask")
    rows = []
    for s in r["sizes"]:
        for name, v in s["systems"].items():
            a = s["ratios_theirs_over_ours"].get(f"{name}/ours", {})
            b = s["ratios_theirs_over_ours"].get(f"{name}/ours_mask", {})
            if "error" in v:
                rows.append((f"{s['n']:,}", name, v["error"], *[""] * 8))
                continue
            rows.append((f"{s['n']:,}", name, _fmt(v["build_s"], ".1f"), _fmt(v["p50_ms"], ".2f"),
                         _fmt(v["p99_ms"], ".2f"), _fmt(v["recall@20"], ".4f"), str(v["queries"]),
                         _fmt(a.get("p50")), _fmt(a.get("p99")), _fmt(b.get("p50")), _fmt(b.get("p99"))))
    if rows:
        widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
        lines.append("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
        for row in rows:
            lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    for s in r["sizes"]:
        lines.append(f"N={s['n']:,}: eligible rows per query {s['eligible_per_query']}; target ours ≥3× faster: "
                     f"{s['target_3x']}")
    for e in r["engine"]:
        lines.append("")
        lines.append(f"engine, {e['jobs']:,} jobs / {e['seekers']:,} seekers ({e.get('index_kind')}):")
        ms = e["match_stored_seeker_ms"]
        lines.append(f"  match stored seeker p50 / p99: {ms['p50']} / {ms['p99']} ms")
        if e.get("match_profile_ms_per_query"):
            lines.append(f"  per match, profiled (ms): {e['match_profile_ms_per_query']}")
        if "throughput" in e:
            t = e["throughput"]
            lines.append(f"  throughput: 1 process {t['one_process']['matches_per_s']}/s, 2 processes "
                         f"{t['two_processes']['matches_per_s']}/s (×{t['scaling']})")
        if "throughput_blas1" in e:
            t = e["throughput_blas1"]
            lines.append(f"  throughput, BLAS 1 thread: 1 process {t['one_process']['matches_per_s']}/s, 2 processes "
                         f"{t['two_processes']['matches_per_s']}/s (×{t['scaling']})")
        u = e["update"]
        lines.append(f"  {u['changed']:,} non-text job changes: upsert {u['upsert_s']} s + first query "
                     f"{u['first_query_s']} s = visible after {u['visible_after_s']} s (texts re-embedded "
                     f"{u['texts_reembedded']}, wrong {u['verify']['wrong']})")
        lines.append(f"  where the time goes (profiled batch, {u['profiled_upsert_s']} s under cProfile): "
                     f"{u['profile_stages_s']}")
        c = e["county_batch"]
        lines.append(f"  county batch {c['county']} {c.get('name') or ''}: {c['seekers']} seekers in "
                     f"{c['seconds']} s = {c['seekers_per_s']} seekers/s; build_digest {c.get('build_digest_s', '-')} s")
    return "\n".join(lines)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    p.add_argument("--systems", nargs="*", choices=SYSTEMS, default=list(SYSTEMS), help="none: engine part only")
    p.add_argument("--radius-km", type=float, default=10.0)
    p.add_argument("--queries", type=int, default=200, help="seeker queries (held-out real texts)")
    p.add_argument("--real-docs", type=int, default=500, help="real postings embedded as the vector pool")
    p.add_argument("--noise", type=float, default=0.02, help="Gaussian noise per dimension before renormalising")
    p.add_argument("--jitter-km", type=float, default=3.0, help="sd of the jitter of job positions")
    p.add_argument("--query-spread-km", type=float, default=15.0, help="queries lie up to this far from a posting")
    p.add_argument("--open-share", type=float, default=0.85)
    p.add_argument("--exact-max", type=int, default=20_000, help="FaissIndex exact_max (the engine's default)")
    p.add_argument("--chroma-fetch", type=int, default=40, help="Chroma results fetched before the radius filter")
    p.add_argument("--budget-s", type=float, default=60.0, help="seconds of queries per system and size, at most")
    p.add_argument("--min-queries", type=int, default=10)
    p.add_argument("--on-disk", action="store_true", help="Qdrant/Chroma in a temporary folder instead of memory")
    p.add_argument("--synthetic", action="store_true", help="random vectors and points: no data files, no encoder")
    p.add_argument("--dim", type=int, default=384, help="dimension with --synthetic")
    p.add_argument("--no-engine", action="store_true", help="skip part 2 (the real engine)")
    p.add_argument("--engine-max", type=int, default=100_000, help="run part 2 for sizes up to this")
    p.add_argument("--seekers", type=int, default=5_000)
    p.add_argument("--unique", type=int, default=400, help="engine records per side embedded for real")
    p.add_argument("--engine-queries", type=int, default=300)
    p.add_argument("--throughput-s", type=float, default=20.0, help="0 skips the throughput measure")
    p.add_argument("--no-throughput-blas1", dest="throughput_blas1", action="store_false",
                   help="skip the second throughput measure with numpy's BLAS limited to 1 thread per process")
    p.add_argument("--update-n", type=int, default=10_000)
    p.add_argument("--keep-homes", action="store_true")
    p.add_argument("--work-dir", default=None, help="where engine homes are made (default: the temp dir)")
    p.add_argument("--data-dir", default=str(SHARED))
    p.add_argument("--cache-dir", default="var/bench_scale")
    p.add_argument("--model-cache", default=os.environ.get("MATCHER_MODEL_CACHE") or "/tmp/demo1/models")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--out", default="var/bench_scale.json")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        result = run(args)
    except SkipBenchmark as e:
        print(f"skipped: {e}", file=sys.stderr)
        return 0
    print(format_tables(result))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"JSON: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
