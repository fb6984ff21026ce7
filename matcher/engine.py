"""``MatchEngine``: the one object that ties the store, the encoder, the indexes and the ranking
together. The CLI, the API and digests all go through it, so a write from any of them keeps the
indexes in step.

Pipeline per query: the query's features and vector -> candidates (vector-index neighbours ∪
everything inside a few circles, by the spatial grid) -> exact cosines -> hard filters, scores,
boosts -> explained matches.

State: the store is the truth. Each side (jobs, seekers) keeps a cache made of a FAISS index, a
feature table and a spatial grid, synced from the store's change numbers; the FAISS index is
persisted under ``<home>/index/<kind>`` with the encoder name and change number it was built at,
and rebuilt when missing, corrupt, stale or made by another encoder.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from matcher.errors import FieldError, MatcherError, ValidationFailed
from matcher.matches import Match, candidate_summary, job_summary
from matcher.records import RECORD_TYPES, Job, Record, Seeker, field_errors
from matcher.settings import Settings, load_settings
from matcher.store import Store, UpsertResult

_KIND_OF_SIDE = {"jobs": "job", "seekers": "seeker"}


def coerce_records(kind: str, records: Iterable[dict | Record]) -> list[Record]:
    """Dicts (contract fields) or typed records -> validated typed records. All or nothing."""
    from pydantic import ValidationError

    model = RECORD_TYPES[kind]
    out: list[Record] = []
    errors: list[FieldError] = []
    for n, rec in enumerate(records, start=1):
        if isinstance(rec, model):
            out.append(rec)
            continue
        try:
            out.append(model.model_validate(rec.model_dump() if isinstance(rec, Record) else rec))
        except ValidationError as e:
            errors.extend(field_errors(e, row=n))
    if errors:
        raise ValidationFailed(errors)
    return out


def text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


@dataclass
class _Side:
    """The cache of one kind: vector index, feature table, spatial grid, synced change number."""

    kind: str
    index: Any
    table: Any
    grid: Any
    vectors: np.ndarray  # rows aligned with the table
    seq: int = 0
    dirty: bool = False
    profiles: dict[str, Any] = field(default_factory=dict)


class MatchEngine:
    """Open with :meth:`open`; use as a context manager or call :meth:`close`."""

    def __init__(self, settings: Settings, store: Store, encoder=None):
        self.settings = settings
        self.store = store
        self._lock = threading.RLock()
        self._encoder = encoder
        self._ctx = None
        self._sides: dict[str, _Side] = {}
        self._last_sync: dict[str, float] = {}
        self._ranking = None
        self._stations: tuple[int, dict] | None = None
        self._identity: tuple[str, int] | None = None  # (encoder name, dim) verified without loading it

    @classmethod
    def open(cls, home: str | Path | None = None, database_url: str | None = None, *, encoder=None,
             **settings: Any) -> MatchEngine:
        """Open the store (migrating it) and prepare lazily loaded caches. ``encoder`` is a model
        spec (``"default"`` or a local sentence-transformers folder) or an already loaded encoder,
        which lets several engines in one process share one model."""
        if isinstance(encoder, str | Path):
            settings["encoder"], encoder = str(encoder), None
        s = load_settings(home=Path(home) if home is not None else None, database_url=database_url, **settings)
        s.home.mkdir(parents=True, exist_ok=True)
        return cls(s, Store.open(s.resolved_database_url), encoder=encoder)

    def close(self) -> None:
        with self._lock:
            for side in self._sides.values():
                if side.dirty:
                    self._save(side)
        self.store.close()

    def __enter__(self) -> MatchEngine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- shared resources (loaded once, lazily) ---------------------------------------------------
    @property
    def ctx(self):
        """Gazetteer, taxonomy, skill vocabulary and profiler."""
        if self._ctx is None:
            from matcher.features.profiles import Profiler
            from matcher.features.skills import SkillVocabulary
            from matcher.features.tables import CodeBook
            from matcher.features.taxonomy import OccupationTaxonomy
            from matcher.geography import Gazetteer

            taxonomy = OccupationTaxonomy.load(self.settings.occupations_full_path)
            vocabulary = SkillVocabulary.load()
            self._ctx = _Context(Gazetteer.load(), taxonomy, vocabulary, Profiler(taxonomy, vocabulary), CodeBook())
        return self._ctx

    @property
    def encoder(self):
        if self._encoder is None:
            from matcher.features.encoder import open_encoder

            self._encoder = open_encoder(self.settings.encoder, self.settings.resolved_model_cache,
                                         batch_threads=self.settings.batch_threads,
                                         query_threads=self.settings.query_threads,
                                         precision=self.settings.encoder_precision)
        return self._encoder

    @property
    def encoder_name(self) -> str:
        """The encoder's identity; known from a verified persisted index without loading the model."""
        if self._encoder is None and self._identity is not None:
            return self._identity[0]
        return self.encoder.name

    @property
    def dim(self) -> int:
        if self._encoder is None and self._identity is not None:
            return self._identity[1]
        return self.encoder.dim

    def _index_is_current(self, loaded) -> bool:
        """Was this persisted index made by the configured encoder? Checked from the model's files
        when the model is not loaded, so serving stored records does not need to load it."""
        name = (loaded.meta or {}).get("encoder") or ""
        if self._encoder is not None:
            return name == self._encoder.name and loaded.dim == self._encoder.dim
        from matcher.features.encoder import identity_prefix

        prefix = identity_prefix(self.settings.encoder, self.settings.resolved_model_cache)
        if prefix is None or not (name.startswith(prefix) and name.endswith(f"-{loaded.dim}d")):
            return False
        self._identity = (name, loaded.dim)
        return True

    @property
    def ranking(self):
        """The ranking config in force (defaults; replace with ``engine.ranking = RankingConfig(...)``)."""
        if self._ranking is None:
            from matcher.ranking.config import RankingConfig

            self._ranking = RankingConfig()
        return self._ranking

    @ranking.setter
    def ranking(self, cfg) -> None:
        self._ranking = cfg

    # -- writes ---------------------------------------------------------------------------------
    def upsert(self, kind: str, records: Iterable[dict | Record], *, show_progress: bool = False) -> UpsertResult:
        result = self.store.upsert(kind, coerce_records(kind, records))
        self._after_write(kind, show_progress)
        return result

    def upsert_jobs(self, records: Iterable[dict | Job]) -> UpsertResult:
        return self.upsert("job", records)

    def upsert_seekers(self, records: Iterable[dict | Seeker]) -> UpsertResult:
        return self.upsert("seeker", records)

    def upsert_employers(self, records: Iterable[dict | Record]) -> UpsertResult:
        return self.upsert("employer", records)

    def upsert_stations(self, records: Iterable[dict | Record]) -> UpsertResult:
        return self.upsert("station", records)

    def delete(self, kind: str, record_id: str) -> bool:
        found = self.store.delete(kind, record_id)
        self._after_write(kind, False)
        return found

    def import_file(self, kind: str, path: str | Path, *, on_error: str = "abort", show_progress: bool = False,
                    fmt: str | None = None, data: bytes | None = None, authorize=None):
        from matcher.importing import import_file

        report = import_file(self.store, kind, path, on_error=on_error, show_progress=show_progress, fmt=fmt, data=data,
                             authorize=authorize)
        self._after_write(kind, show_progress)
        return report

    def _after_write(self, kind: str, show_progress: bool) -> None:
        """Keep a loaded index in step with a write (a new job is matchable at once)."""
        if kind == "station":
            self._stations = None
        side_kind = {"job": "jobs", "seeker": "seekers"}.get(kind)
        if side_kind and side_kind in self._sides:
            self._sync(self._sides[side_kind], show_progress=show_progress)

    # -- index lifecycle --------------------------------------------------------------------------
    def _index_dir(self, side: str) -> Path:
        return self.settings.home / "index" / side

    def _side(self, name: str, show_progress: bool = False) -> _Side:
        """The synced cache of one side, loading or building it on first use."""
        with self._lock:
            side = self._sides.get(name)
            if side is None:
                side = self._load_side(name, show_progress)
                self._sides[name] = side
            now = time.monotonic()
            if now - self._last_sync.get(name, 0.0) >= self.settings.sync_interval:
                self._sync(side, show_progress=show_progress)
            return side

    def _new_side(self, name: str) -> _Side:
        from matcher.features.tables import JobTable, SeekerTable
        from matcher.index.faiss_index import FaissIndex
        from matcher.index.spatial import GridIndex

        table = (JobTable if name == "jobs" else SeekerTable)(self.ctx.codes)
        index = FaissIndex(self.dim, exact_max=self.settings.exact_index_max)
        return _Side(name, index, table, GridIndex(), np.zeros((0, self.dim), dtype=np.float32))

    def _load_side(self, name: str, show_progress: bool) -> _Side:
        """Feature tables are rebuilt from the store; vectors come from the persisted embeddings,
        so nothing is embedded twice. The FAISS index is loaded when it is valid and current."""
        from matcher.index import IndexCorrupt

        kind = _KIND_OF_SIDE[name]
        loaded = None
        path = self._index_dir(name)
        if path.exists():
            try:
                from matcher.index.faiss_index import FaissIndex

                loaded = FaissIndex.load(path)
                if not self._index_is_current(loaded):
                    loaded = None  # made by another encoder: rebuild
            except (IndexCorrupt, FileNotFoundError, OSError, ValueError):
                loaded = None
        side = self._new_side(name)
        if loaded is not None:
            side.index = loaded
            side.seq = int(loaded.meta.get("seq", 0))
            # tables and vectors are rebuilt for the records the index holds as of that seq
            self._fill_from_store(side, kind, show_progress, upto=side.seq, index_loaded=True)
        else:
            self._fill_from_store(side, kind, show_progress, upto=None, index_loaded=False)
            side.dirty = True
        return side

    def _fill_from_store(self, side: _Side, kind: str, show_progress: bool, upto: int | None, index_loaded: bool) -> None:
        seq = self.store.max_seq(kind)
        records = [r for r in self.store.iter_dicts(kind) if self._matchable(kind, r)]
        self._apply(side, kind, records, [], show_progress, add_to_index=not index_loaded)
        if index_loaded:
            # the index may lag the store: changes since its seq are applied by the next sync
            stale = [i for i in side.index.ids() if i not in side.table.row_of]
            if stale:
                side.index.remove(stale)
            missing = [r for r in records if r["id"] not in side.index]
            if missing:
                vecs = side.vectors[side.table.rows([r["id"] for r in missing])]
                side.index.add([r["id"] for r in missing], vecs)
                side.dirty = True
        side.seq = seq

    @staticmethod
    def _matchable(kind: str, rec: dict[str, Any]) -> bool:
        """What the index holds: open jobs; seekers who are not employed."""
        if kind == "job":
            return rec.get("status", "open") == "open"
        return rec.get("status", "unemployed") != "employed"

    def _sync(self, side: _Side, show_progress: bool = False) -> None:
        kind = _KIND_OF_SIDE[side.kind]
        changes = self.store.changes_since(kind, side.seq)
        self._last_sync[side.kind] = time.monotonic()
        if not changes:
            return
        live = [c.data for c in changes if not c.deleted and self._matchable(kind, c.data)]
        gone = [c.id for c in changes if c.deleted or not self._matchable(kind, c.data)]
        self._apply(side, kind, live, gone, show_progress, add_to_index=True)
        side.seq = max(side.seq, max(c.seq for c in changes))
        side.dirty = True

    def _apply(self, side: _Side, kind: str, live: list[dict], gone: list[str], show_progress: bool,
               add_to_index: bool) -> None:
        from matcher.features.tables import job_features, seeker_features

        ctx = self.ctx
        if gone:
            present = [g for g in gone if g in side.table.row_of]
            side.index.remove(present)
            for g in present:
                side.grid.discard(side.table.row_of[g])
            side.table.remove(present)
        if not live:
            return
        profiles = [ctx.profiler.job(r) if kind == "job" else ctx.profiler.seeker(r) for r in live]
        vectors = self._embed_records(kind, live, [p.text for p in profiles], show_progress)
        stations = self._station_circles() if kind == "seeker" else {}
        for rec, prof in zip(live, profiles, strict=True):
            if kind == "job":
                feats = job_features(rec, prof, ctx.codes, ctx.gazetteer, ctx.taxonomy, ctx.vocabulary)
            else:
                circle = self._circle(rec, stations)
                feats = seeker_features(rec, prof, ctx.codes, ctx.gazetteer, circle, _speed(circle.mode))
            row = side.table.upsert(rec["id"], feats)
            side.grid.put(row, feats["lat"], feats["lng"])
        rows = side.table.rows(r["id"] for r in live)
        cap = len(side.table.alive)
        if side.vectors.shape[0] < cap:
            grown = np.zeros((cap, vectors.shape[1]), dtype=np.float32)
            grown[: side.vectors.shape[0]] = side.vectors
            side.vectors = grown
        side.vectors[rows] = vectors
        if add_to_index:
            side.index.add([r["id"] for r in live], vectors)

    def _save(self, side: _Side) -> None:
        side.index.save(self._index_dir(side.kind), meta={"encoder": self.encoder_name, "seq": side.seq,
                                                          "kind": side.kind})
        side.dirty = False

    def rebuild_index(self, show_progress: bool = False) -> dict[str, int]:
        """Drop the caches and rebuild both sides from the store (embeddings are reused)."""
        with self._lock:
            self._sides.clear()
            out = {}
            for name in ("jobs", "seekers"):
                side = self._new_side(name)
                self._fill_from_store(side, _KIND_OF_SIDE[name], show_progress, upto=None, index_loaded=False)
                self._save(side)
                self._sides[name] = side
                self._last_sync[name] = time.monotonic()
                out[name] = len(side.table)
            return out

    def warm(self, show_progress: bool = False, load_encoder: bool = True) -> dict[str, int]:
        """Load or build both sides now (the API calls this at start-up). ``load_encoder`` also
        loads the model, so the first ad-hoc profile is not slow; batch jobs over stored records
        pass False."""
        sizes = {name: len(self._side(name, show_progress).table) for name in ("jobs", "seekers")}
        if load_encoder:
            _ = self.encoder
        with self._lock:
            for side in self._sides.values():
                if side.dirty:
                    self._save(side)
        return sizes

    # -- embeddings -------------------------------------------------------------------------------
    def _embed_records(self, kind: str, records: list[dict], texts: list[str], show_progress: bool) -> np.ndarray:
        """Vectors for records, reusing persisted embeddings of the same text and encoder."""
        from sqlalchemy import and_, select

        from matcher.store.schema import embeddings

        enc_name, dim = self.encoder_name, self.dim
        hashes = [text_hash(t) for t in texts]
        ids = [r["id"] for r in records]
        known: dict[str, tuple[str, bytes]] = {}
        with self.store.engine.connect() as conn:
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                rows = conn.execute(select(embeddings.c.id, embeddings.c.text_hash, embeddings.c.vector).where(
                    and_(embeddings.c.kind == kind, embeddings.c.encoder == enc_name, embeddings.c.id.in_(chunk))))
                known.update({r.id: (r.text_hash, r.vector) for r in rows})
        out = np.zeros((len(records), dim), dtype=np.float32)
        todo: dict[str, list[int]] = {}
        by_hash: dict[str, bytes] = {}
        for i, (rid, h) in enumerate(zip(ids, hashes, strict=True)):
            got = known.get(rid)
            if got and got[0] == h:
                out[i] = np.frombuffer(got[1], dtype=np.float32)
                by_hash[h] = got[1]
            else:
                todo.setdefault(h, []).append(i)
        for h in [h for h in todo if h in by_hash]:  # same text as another record's stored vector
            for i in todo[h]:
                out[i] = np.frombuffer(by_hash[h], dtype=np.float32)
        missing = [h for h in todo if h not in by_hash]
        if missing:
            first = [todo[h][0] for h in missing]
            enc = self.encoder
            encode = enc.encode_queries if kind == "seeker" else enc.encode_documents
            vecs = encode([texts[i] for i in first], show_progress=show_progress)
            for h, v in zip(missing, vecs, strict=True):
                for i in todo[h]:
                    out[i] = v
        # persist what changed, in one transaction
        new_rows = [(ids[i], hashes[i], out[i]) for idxs in todo.values() for i in idxs]
        if new_rows:
            with self.store.engine.begin() as conn:
                for j in range(0, len(new_rows), 500):
                    chunk = new_rows[j : j + 500]
                    conn.execute(embeddings.delete().where(and_(
                        embeddings.c.kind == kind, embeddings.c.encoder == enc_name,
                        embeddings.c.id.in_([c[0] for c in chunk]))))
                    conn.execute(embeddings.insert(), [
                        {"kind": kind, "id": rid, "encoder": enc_name, "text_hash": h, "vector": v.tobytes()}
                        for rid, h, v in chunk])
        return out

    # -- matching ---------------------------------------------------------------------------------
    def _station_circles(self) -> dict[str, tuple[float | None, float | None]]:
        """Per-station circle bounds, cached until a station changes."""
        seq = self.store.max_seq("station") if self._stations is None or self.settings.sync_interval == 0 else None
        if self._stations is None or (seq is not None and seq != self._stations[0]):
            circles = {s["id"]: (s.get("urban_circle_minutes"), s.get("rural_circle_km"))
                       for s in self.store.iter_dicts("station") if s.get("urban_circle_minutes") or s.get("rural_circle_km")}
            self._stations = (seq if seq is not None else self.store.max_seq("station"), circles)
        return self._stations[1]

    def _circle(self, seeker: dict[str, Any], stations: dict | None = None):
        from matcher.ranking.locality import seeker_circle

        area = seeker.get("area_type")
        if not area:
            pos = self.ctx.gazetteer.locate(seeker.get("lat"), seeker.get("lng"), seeker.get("region_code"), None)
            area = pos.area_type
        st = (stations or {}).get(seeker.get("station_id") or "", (None, None))
        return seeker_circle(area, seeker.get("max_commute_minutes"), seeker.get("max_distance_km"),
                             seeker.get("travel_mode"), bool(seeker.get("willing_to_relocate")),
                             bool(seeker.get("hard_distance_limit")), self.ranking.locality_cfg, st[0], st[1])

    def _resolve(self, kind: str, ref: str | dict | Record) -> tuple[dict[str, Any], bool]:
        """A stored id, a dict profile or a typed record -> (validated dict, stored?)."""
        if isinstance(ref, str):
            data = self.store.get_dicts(kind, [ref]).get(ref)  # validated when written
            if data is None:
                from matcher.errors import NotFoundError

                raise NotFoundError(kind, ref)
            return data, True
        if isinstance(ref, Record):
            return ref.to_dict(), False
        if isinstance(ref, dict):
            data = dict(ref)
            data.setdefault("id", "profile")
            return coerce_records(kind, [data])[0].to_dict(), False
        raise ValidationFailed([FieldError(None, "应为记录编号或记录内容 / expected a record id or a record")])

    def _query_vector(self, kind: str, rec: dict[str, Any], text: str, stored: bool, side: _Side | None) -> np.ndarray:
        if stored and side is not None:
            row = side.table.row_of.get(rec["id"])
            if row is not None:
                return side.vectors[row]
        if stored:
            return self._embed_records(kind, [rec], [text], False)[0]
        enc = self.encoder
        return (enc.encode_queries([text]) if kind == "seeker" else enc.encode_documents([text]))[0]

    def _candidates(self, side: _Side, qvec: np.ndarray, lat: float, lng: float, radius_km: float) -> tuple[np.ndarray, np.ndarray]:
        """Rows to rank and their exact cosines: ANN neighbours ∪ the nearest rows around the query."""
        cfg = self.ranking
        k = min(cfg.candidates, len(side.table))
        rows = []
        if k > 0:
            res = side.index.search(qvec, k)
            rows.append(side.table.rows(res.ids[0]))
        if lat is not None and not np.isnan(lat):
            near = side.grid.within(lat, lng, radius_km)
            if len(near) > cfg.local_candidates:
                t = side.table
                d2 = (t.lat[near] - lat) ** 2 + ((t.lng[near] - lng) * np.cos(np.radians(lat))) ** 2
                near = near[np.argpartition(d2, cfg.local_candidates)[: cfg.local_candidates]]
            rows.append(near)
        if not rows:
            return np.empty(0, dtype=np.int64), np.empty(0)
        cand = np.unique(np.concatenate(rows))
        cand = cand[side.table.alive[cand]]
        return cand, side.vectors[cand] @ qvec

    def match_jobs(self, seeker: str | dict | Seeker, k: int = 20, *, today: date | None = None) -> list[Match]:
        """Ranked, explained jobs for a stored seeker id or an ad-hoc seeker profile."""
        from matcher.features.tables import seeker_features
        from matcher.ranking.ranker import rank_jobs

        k = _check_k(k)
        rec, stored = self._resolve("seeker", seeker)
        ctx = self.ctx
        side = self._side("jobs")
        prof = ctx.profiler.seeker(rec)
        circle = self._circle(rec, self._station_circles() if rec.get("station_id") else None)
        q = seeker_features(rec, prof, ctx.codes, ctx.gazetteer, circle, _speed(circle.mode))
        seekers_side = self._sides.get("seekers")
        qvec = self._query_vector("seeker", rec, prof.text, stored, seekers_side)
        radius = circle.radius_km(self.ranking.locality_cfg.detour_factor) * self.ranking.locality_cfg.local_search_factor
        if q["prec"] <= 2:
            radius = max(radius, 15.0)
        today_n = (today or date.today()).toordinal()
        with self._lock:
            rows, cos = self._candidates(side, qvec, q["lat"], q["lng"], radius)
            ranked = rank_jobs(q, prof.skills, circle, side.table, rows, cos, self.ranking, today_n, k)
            ids = [side.table.ids[r.row] for r in ranked]
        jobs = self.store.get_dicts("job", ids)
        return [Match(id=i, score=r.score, breakdown=r.breakdown, reasons=r.reasons, summary=job_summary(jobs.get(i, {})))
                for i, r in zip(ids, ranked, strict=True)]

    def match_candidates(self, job: str | dict | Job, k: int = 20, *, today: date | None = None,
                         require_consent: bool = True, region_prefix: str | None = None) -> list[Match]:
        """Ranked, explained, masked candidates for a stored job id or an ad-hoc job;
        ``region_prefix`` keeps only seekers registered in that area (a staff account's own)."""
        from matcher.features.tables import job_features
        from matcher.ranking.filters import age_years
        from matcher.ranking.ranker import rank_seekers

        k = _check_k(k)
        rec, stored = self._resolve("job", job)
        ctx = self.ctx
        side = self._side("seekers")
        prof = ctx.profiler.job(rec)
        q = job_features(rec, prof, ctx.codes, ctx.gazetteer, ctx.taxonomy, ctx.vocabulary)
        jobs_side = self._sides.get("jobs")
        qvec = self._query_vector("job", rec, prof.text, stored, jobs_side)
        radius = 25.0 if q["prec"] >= 3 else 40.0
        today_n = (today or date.today()).toordinal()
        licenses = frozenset(ctx.vocabulary.canonical(x) for x in rec.get("licenses_required") or [])
        with self._lock:
            rows, cos = self._candidates(side, qvec, q["lat"], q["lng"], radius)
            if region_prefix:
                keep = np.fromiter((str(side.table.region[r] or "").startswith(region_prefix) for r in rows),
                                   dtype=bool, count=len(rows))
                rows, cos = rows[keep], cos[keep]
            ranked = rank_seekers(q, licenses, prof.skills, side.table, rows, cos, self.ranking, today_n, k,
                                  require_consent=require_consent)
            ids = [side.table.ids[r.row] for r in ranked]
            born = [int(side.table.born[r.row]) for r in ranked]
        seekers = self.store.get_dicts("seeker", ids)
        out = []
        for i, r, b in zip(ids, ranked, born, strict=True):
            age = None if b == 0 else int(age_years(b, today_n))
            out.append(Match(id=i, score=r.score, breakdown=r.breakdown, reasons=r.reasons,
                             summary=candidate_summary(seekers.get(i, {}), age)))
        return out

    def stats(self) -> dict[str, int]:
        return {kind: self.store.count(kind) for kind in RECORD_TYPES}


@dataclass
class _Context:
    gazetteer: Any
    taxonomy: Any
    vocabulary: Any
    profiler: Any
    codes: Any


def _speed(mode: str) -> float:
    from matcher.features.geo import TRAVEL_SPEED_KMH

    return TRAVEL_SPEED_KMH[mode]


def _check_k(k: int) -> int:
    if not isinstance(k, int) or k < 1 or k > 500:
        raise MatcherError("返回条数应为1到500 / k must be between 1 and 500", field="k")
    return k
