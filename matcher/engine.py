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

import contextlib
import gc
import hashlib
import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from matcher.errors import FieldError, MatcherError, ValidationFailed
from matcher.index.candidates import CandidateSelector, Side, irow_key
from matcher.matches import Match, candidate_summary, job_summary
from matcher.records import RECORD_TYPES, Job, Record, Seeker, field_errors, validate_fast
from matcher.settings import Settings, load_settings
from matcher.store import Store, UpsertResult

_KIND_OF_SIDE = {"jobs": "job", "seekers": "seeker"}
log = logging.getLogger(__name__)
_SIDE_ZH = {"jobs": "岗位", "seekers": "求职者"}


def coerce_records(kind: str, records: Iterable[dict | Record]) -> list[Record]:
    """Dicts (contract fields) or typed records -> validated typed records. All or nothing."""
    from pydantic import ValidationError

    model = RECORD_TYPES[kind]
    records = records if isinstance(records, list | tuple) else list(records)
    fast = validate_fast(model, records)  # records already in canonical form; the others: below
    out: list[Record] = []
    errors: list[FieldError] = []
    for n, rec in enumerate(records, start=1):
        if fast[n - 1] is not None:
            out.append(fast[n - 1])
            continue
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


class MatchEngine:
    """Open with :meth:`open`; use as a context manager or call :meth:`close`."""

    def __init__(self, settings: Settings, store: Store, encoder=None):
        self.settings = settings
        self.store = store
        self._lock = threading.RLock()
        self._summaries: tuple[int, dict[str, dict]] = (-1, {})  # batches: (jobs side's seq, id -> summary)
        self._encoder = encoder
        self._ctx = None
        self._sides: dict[str, Side] = {}
        self._last_sync: dict[str, float] = {}
        self._ranking = None
        self._stations: tuple[int, dict] | None = None
        self._pairs = None  # cooperation.PairCache, made on first use
        self._occ_knn = None  # occupation_knn.OccupationClassifier, made on first use
        self._paired_rows: dict[tuple, np.ndarray] = {}
        self._identity: tuple[str, int] | None = None  # (encoder name, dim) verified without loading it
        # per side, how its index was obtained when first used: {"action": "loaded" | "repaired" |
        # "built" | "rebuilt", "reason": ..., "repaired": records brought up to date}
        self.index_report: dict[str, dict[str, Any]] = {}

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
        return cls(s, Store.open(s.resolved_database_url, read_only=s.read_only), encoder=encoder)

    def close(self) -> None:
        with self._lock:
            for side in self._sides.values():
                if side.dirty:
                    self._save(side)
        self.store.close()

    def unload(self) -> None:
        """Save what changed, then drop the in-memory sides (tables, vectors, indexes); the next
        use loads them again. For a process that hands the matching to workers (``digest --all``
        with worker processes or Ray) and must not hold a copy of its own meanwhile."""
        with self._lock:
            for side in self._sides.values():
                if side.dirty:
                    self._save(side)
            self._sides.clear()
            self._last_sync.clear()
            self._paired_rows.clear()
            self._summaries = (-1, {})
        import gc

        gc.collect()

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
                                         precision=self.settings.encoder_precision,
                                         query_runtime=self.settings.query_runtime,
                                         document_max_tokens=self.settings.document_max_tokens)
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

        prefix = identity_prefix(self.settings.encoder, self.settings.resolved_model_cache,
                                 self.settings.encoder_precision, self.settings.document_max_tokens)
        if prefix is None or not (name.startswith(prefix) and name.endswith(f"-{loaded.dim}d")):
            return False
        self._identity = (name, loaded.dim)
        return True

    @property
    def ranking(self):
        """The ranking config in force: the defaults with the encoder's cosine calibration
        (:func:`matcher.ranking.config.for_encoder`); replace with ``engine.ranking = RankingConfig(...)``."""
        if self._ranking is None:
            from matcher.ranking.config import for_encoder

            self._ranking = for_encoder(self._encoder_label())
        return self._ranking

    def _encoder_label(self) -> str:
        """The encoder's name, or the start of it read from the model's files (no model loaded)."""
        if self._encoder is None and self._identity is None:
            from matcher.features.encoder import identity_prefix

            try:
                prefix = identity_prefix(self.settings.encoder, self.settings.resolved_model_cache,
                                         self.settings.encoder_precision,
                                         self.settings.document_max_tokens)
            except (MatcherError, ValueError, OSError):  # EncoderError is a ValueError: the model says it later
                prefix = None
            if prefix:
                return prefix
        return self.encoder_name

    @ranking.setter
    def ranking(self, cfg) -> None:
        self._ranking = cfg

    # -- writes ---------------------------------------------------------------------------------
    def upsert(self, kind: str, records: Iterable[dict | Record], *, show_progress: bool = False) -> UpsertResult:
        recs = coerce_records(kind, records)
        dumped = [r.to_dict() for r in recs]  # made once: checked here, written by the store
        refused = [e for e in self.villages.check_all(dumped) if e is not None]
        if refused:
            raise ValidationFailed(refused)
        result = self.store.upsert(kind, recs, dumped=dumped)
        self._after_write(kind, show_progress, result.written)
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

        def checked(recs: list[dict]) -> list:
            own = authorize(recs) if authorize is not None else [None] * len(recs)
            return [a or v for a, v in zip(own, self.villages.check_all(recs), strict=True)]

        report = import_file(self.store, kind, path, on_error=on_error, show_progress=show_progress, fmt=fmt, data=data,
                             authorize=checked)
        self._after_write(kind, show_progress)
        return report

    # -- the public surface for batch work (digests, referrals, the API, benchmarks) ---------------
    def refresh(self, kind: str) -> None:
        """Bring a loaded cache in step with writes made to the store outside the engine (e.g. a
        referral's hire effects written in the caller's transaction)."""
        self._after_write(kind, False)

    def writing(self) -> contextlib.AbstractContextManager:
        """A context that serialises check-then-write sequences with the engine's cache updates."""
        return self._lock

    def open_jobs(self, today: date) -> OpenJobs:
        """Every job that can be matched on ``today`` (open, posted, not expired), as columns."""
        with self._lock:
            t = self._side("jobs").table
            alive = np.flatnonzero(t.alive[: len(t.ids)])
            rows = alive[t.open[alive] & (t.expires[alive] >= today.toordinal()) & (t.posted[alive] <= today.toordinal())]
            return OpenJobs(ids=[t.ids[r] for r in rows.tolist()], lat=t.lat[rows].copy(), lng=t.lng[rows].copy(),
                            region=[t.region[r] or "" for r in rows.tolist()], posted=t.posted[rows].copy())

    def index_info(self, load: bool = False) -> dict[str, dict[str, Any]]:
        """Per side (``jobs``, ``seekers``): records held, change number synced, index kind and
        dimension. Only sides already loaded, unless ``load``."""
        if load:
            for name in ("jobs", "seekers"):
                self._side(name)
        return {name: {"size": len(side.table), "seq": side.seq, "index_kind": side.index.kind,
                       "dim": side.index.dim} for name, side in dict(self._sides).items()}

    def side_cache(self, name: str) -> Side:
        """The in-memory cache of one side (``jobs`` or ``seekers``: vector index, feature table,
        grid), loaded on first use. For benchmarks and tests that check what a query would see;
        read it, never change it."""
        return self._side(name)

    def _after_write(self, kind: str, show_progress: bool, written: list | None = None) -> None:
        """Keep a loaded index in step with a write (a new job is matchable at once). ``written``:
        the changes this write made (``UpsertResult.written``), applied from memory instead of
        being read back from the store."""
        if kind == "station":
            self._stations = None
        side_kind = {"job": "jobs", "seeker": "seekers"}.get(kind)
        if side_kind and side_kind in self._sides:
            # the write is committed: should the database drop now, the index catches up later
            with self.store.stale_reads():
                self._sync(self._sides[side_kind], show_progress=show_progress, written=written)

    # -- index lifecycle --------------------------------------------------------------------------
    def _index_dir(self, side: str) -> Path:
        return self.settings.home / "index" / side

    def _side(self, name: str, show_progress: bool = False) -> Side:
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

    def _new_side(self, name: str) -> Side:
        from matcher.features.tables import JobTable, SeekerTable
        from matcher.index.faiss_index import FaissIndex
        from matcher.index.spatial import GridIndex

        table = (JobTable if name == "jobs" else SeekerTable)(self.ctx.codes)
        index = FaissIndex(self.dim, exact_max=self.settings.exact_index_max)
        return Side(name, index, table, GridIndex(), np.zeros((0, self.dim), dtype=np.float32))

    def _load_side(self, name: str, show_progress: bool) -> Side:
        """Feature tables are rebuilt from the store; vectors come from the persisted embeddings,
        so nothing is embedded twice. The FAISS index is loaded when it is valid and current, then
        checked against the store (a process killed after a write but before saving leaves it
        behind); a missing, corrupt or foreign index is rebuilt from the store, and said so."""
        from matcher.index import IndexCorrupt

        kind = _KIND_OF_SIDE[name]
        if name == "seekers" and not self.settings.seeker_index:
            side = self._new_side(name)  # table and vectors only; the index stays empty
            self._fill_from_store(side, kind, show_progress, upto=None, index_loaded=True, repair_index=False)
            self.index_report[name] = {"action": "not_loaded", "reason": "seeker_index off", "repaired": 0}
            return side
        loaded, reason, detail = None, "missing", ""
        path = self._index_dir(name)
        if path.exists():
            try:
                from matcher.index.faiss_index import FaissIndex

                loaded = FaissIndex.load(path)
                saved_kind = (loaded.meta or {}).get("kind", name)
                if saved_kind != name:
                    raise IndexCorrupt(f"索引类型为 {saved_kind}，应为 {name} / index holds {saved_kind}, not {name}",
                                       path=path)
            except Exception as exc:  # the index is only a cache: whatever is wrong with it, rebuild
                loaded, reason, detail = None, "corrupt", f"{type(exc).__name__}: {exc}"
            if loaded is not None and not self._index_is_current(loaded):
                loaded, reason = None, "encoder_changed"  # made by another encoder: rebuild
        side = self._new_side(name)
        if loaded is not None:
            side.index = loaded
            side.seq = int(loaded.meta.get("seq", 0))
            # tables and vectors are rebuilt for the records the index holds as of that seq
            repaired = self._fill_from_store(side, kind, show_progress, upto=side.seq, index_loaded=True)
            self.index_report[name] = {"action": "repaired" if repaired else "loaded", "reason": None,
                                       "repaired": repaired}
            if repaired:
                log.info("%s索引落后于数据库，已补齐 %d 条记录 / the %s index was behind the store: %d records "
                         "brought up to date", _SIDE_ZH[name], repaired, name, repaired)
        else:
            if reason == "corrupt":
                log.warning("%s索引无法使用，正在从数据库重建 / the %s index cannot be used; rebuilding it from "
                            "the store. %s", _SIDE_ZH[name], name, detail)
            elif reason == "encoder_changed":
                log.warning("%s索引由其他编码模型生成，正在从数据库重建 / the %s index was made by another encoder; "
                            "rebuilding it from the store", _SIDE_ZH[name], name)
            self._fill_from_store(side, kind, show_progress, upto=None, index_loaded=False)
            side.dirty = True
            self.index_report[name] = {"action": "built" if reason == "missing" else "rebuilt", "reason": reason,
                                       "detail": detail, "repaired": 0}
        return side

    def _fill_from_store(self, side: Side, kind: str, show_progress: bool, upto: int | None, index_loaded: bool,
                         repair_index: bool = True) -> int:
        """Fill the side's table and vectors from the store. With a loaded index, bring it in step
        (records added, removed or changed since it was saved) and return how many were fixed;
        ``repair_index`` False: leave the index as it is (a side kept without one)."""
        seq = self.store.max_seq(kind)
        if index_loaded:
            # records applied a block at a time: a province ledger's dicts are never all in memory
            # at once (the rows, codes and vectors come out the same as in one call)
            block: list[dict] = []
            for r in self.store.iter_dicts(kind):
                if self._matchable(kind, r):
                    block.append(r)
                if len(block) >= _LOAD_BLOCK:
                    self._apply(side, kind, block, [], show_progress, add_to_index=False)
                    block = []
            self._apply(side, kind, block, [], show_progress, add_to_index=False)
            del block
        else:  # the index is built from all of them (its IVF lists are trained on the whole set)
            records = [r for r in self.store.iter_dicts(kind) if self._matchable(kind, r)]
            self._apply(side, kind, records, [], show_progress, add_to_index=True)
            del records
        if index_loaded and repair_index:
            # the index may lag the store: changes since its seq are applied by the next sync
            stale = [i for i in side.index.ids() if i not in side.table.row_of]
            if stale:
                side.index.remove(stale)
            missing = [i for i in side.table.ids if i is not None and i not in side.index]
            if missing:
                vecs = side.vectors[side.table.rows(missing)]
                side.index.add(missing, vecs)
            outdated = self._outdated_vectors(side)
            if outdated:  # changed after the index was saved (same id, new text)
                side.index.add(outdated, side.vectors[side.table.rows(outdated)])
            repaired = len(stale) + len(missing) + len(outdated)
            side.dirty = side.dirty or bool(repaired)
        side.seq = seq
        return repaired if index_loaded and repair_index else 0

    @staticmethod
    def _outdated_vectors(side: Side, chunk: int = 65_536) -> list[str]:
        """Ids whose vector in a loaded index differs from the store's current embedding."""
        ids = [i for i in side.table.ids if i is not None]
        out: list[str] = []
        for a in range(0, len(ids), chunk):
            part = ids[a : a + chunk]
            same = np.all(side.index.vectors(part) == side.vectors[side.table.rows(part)], axis=1)
            out.extend(part[j] for j in np.flatnonzero(~same))
        return out

    @staticmethod
    def _matchable(kind: str, rec: dict[str, Any]) -> bool:
        """What the index holds: open jobs; seekers who are not employed."""
        if kind == "job":
            return rec.get("status", "open") == "open"
        return rec.get("status", "unemployed") != "employed"

    def _sync(self, side: Side, show_progress: bool = False, written: list | None = None) -> None:
        kind = _KIND_OF_SIDE[side.kind]
        with self._lock:
            if written and written[0].seq > side.seq:
                # this process's own write: what others changed before it (normally nothing) is read,
                # the write itself is applied as it was written, then anything committed after it
                first, last = min(c.seq for c in written), max(c.seq for c in written)
                changes = self.store.changes_since(kind, side.seq, until=first - 1) + sorted(written, key=lambda c: c.seq)
                changes += self.store.changes_since(kind, last)
            else:
                changes = self.store.changes_since(kind, side.seq)
        self._last_sync[side.kind] = time.monotonic()
        if not changes:
            return
        live = [c.data for c in changes if not c.deleted and self._matchable(kind, c.data)]
        gone = [c.id for c in changes if c.deleted or not self._matchable(kind, c.data)]
        self._apply(side, kind, live, gone, show_progress, add_to_index=self._indexed(side))
        side.seq = max(side.seq, max(c.seq for c in changes))
        side.dirty = True

    def _indexed(self, side: Side) -> bool:
        """Whether this side keeps a vector index (the seekers' can be left out: ``seeker_index``)."""
        return side.kind != "seekers" or self.settings.seeker_index

    def _apply(self, side: Side, kind: str, live: list[dict], gone: list[str], show_progress: bool,
               add_to_index: bool) -> None:
        """Bring the table, grid, vectors and (``add_to_index``) the vector index in step with changed
        records. A record already in the table whose profile fields are unchanged (same
        :func:`~matcher.features.profiles.profile_key`: a wage, position, status or date change)
        keeps its profile columns and its vector: it is not re-profiled, its embedding is not looked
        up, and the vector index is not touched for it."""
        from matcher.features.profiles import profile_key
        from matcher.features.tables import (
            job_base_features,
            job_profile_features,
            seeker_base_features,
            seeker_profile_features,
        )

        ctx = self.ctx
        t = side.table
        # the table row -> index row map is kept in step here when it is valid now
        track = add_to_index and side.irow is not None and side.irow_key == irow_key(side.index)
        side.irow_key = None
        if track and len(side.irow) < len(t.alive):
            side.irow = np.concatenate([side.irow, np.full(len(t.alive) - len(side.irow), -1, dtype=np.int64)])
        if gone:
            present = [g for g in gone if g in t.row_of]
            if present:
                rows = t.rows(present)
                side.index.remove(present)
                for r in rows.tolist():
                    side.grid.discard(r)
                if track:
                    gone_irows = side.irow[rows]
                    side.trow[gone_irows[(gone_irows >= 0) & (gone_irows < len(side.trow))]] = -1
                    side.irow[rows] = -1
                t.remove(present)
        if not live:
            if track:
                side.irow_key = irow_key(side.index)
            return
        n = len(live)
        keys = np.fromiter((profile_key(kind, r) for r in live), dtype=np.int64, count=n)
        old = np.fromiter((t.row_of.get(r["id"], -1) for r in live), dtype=np.int64, count=n)
        same = (old >= 0) & (old < len(side.pkeys))
        same[same] = side.pkeys[old[same]] == keys[same]
        vectors = np.empty((n, side.vectors.shape[1]), dtype=np.float32)
        profiles: dict[int, Any] = {}
        fresh = np.flatnonzero(~same).tolist()
        if fresh:
            profile = ctx.profiler.job if kind == "job" else ctx.profiler.seeker
            recs = [live[i] for i in fresh]
            profs = [profile(r) for r in recs]
            vectors[fresh] = self._embed_records(kind, recs, [p.text for p in profs], show_progress)
            profs = self._refine_occupations(kind, recs, profs, vectors[fresh])
            profiles = dict(zip(fresh, profs, strict=True))
        if same.any():
            vectors[same] = side.vectors[old[same]]
        stations = self._station_circles() if kind == "seeker" else {}
        feats_of: list[dict[str, Any]] = []
        for i, rec in enumerate(live):
            prof = profiles.get(i)
            if kind == "job":
                feats = job_base_features(rec, ctx.codes, ctx.gazetteer, ctx.vocabulary)
                if prof is not None:
                    feats.update(job_profile_features(prof, ctx.codes, ctx.taxonomy))
            else:
                feats = seeker_base_features(rec, ctx.gazetteer, stations.get(rec.get("station_id") or "", (None, None)))
                if prof is not None:
                    feats.update(seeker_profile_features(prof, ctx.codes))
            feats_of.append(feats)
        # an unchanged profile: its columns stay as they are (its features leave them out)
        rows = t.upsert_many([rec["id"] for rec in live], feats_of)
        lat = np.fromiter((f["lat"] for f in feats_of), dtype=np.float64, count=n)
        lng = np.fromiter((f["lng"] for f in feats_of), dtype=np.float64, count=n)
        side.grid.put_many(rows, lat, lng)
        cap = len(t.alive)
        if side.vectors.shape[0] < cap:
            grown = np.zeros((cap, vectors.shape[1]), dtype=np.float32)
            grown[: side.vectors.shape[0]] = side.vectors
            side.vectors = grown
        if len(side.pkeys) < cap:
            side.pkeys = np.concatenate([side.pkeys, np.zeros(cap - len(side.pkeys), dtype=np.int64)])
        side.vectors[rows] = vectors
        side.pkeys[rows] = keys
        if add_to_index:
            index = side.index
            add = [i for i in range(n) if not same[i] or live[i]["id"] not in index]
            ids = [live[i]["id"] for i in add]
            if add:
                index.add(ids, vectors[add])
            if track:
                if len(side.irow) < cap:
                    side.irow = np.concatenate([side.irow, np.full(cap - len(side.irow), -1, dtype=np.int64)])
                if len(side.trow) < index.n_rows:
                    side.trow = np.concatenate([side.trow, np.full(index.n_rows - len(side.trow), -1, dtype=np.int64)])
                new = index.rows_for(ids)
                side.irow[rows[add]] = new
                side.trow[new] = rows[add]
                side.irow_key = irow_key(index)

    def _save(self, side: Side) -> None:
        if self.settings.read_only:  # a read-only engine (a digest worker) keeps its caches in memory
            return
        side.index.save(self._index_dir(side.kind), meta={"encoder": self.encoder_name, "seq": side.seq,
                                                          "kind": side.kind})
        side.dirty = False

    def rebuild_index(self, show_progress: bool = False) -> dict[str, int]:
        """Drop the caches and rebuild both sides from the store (embeddings are reused)."""
        with self._lock:
            self._sides.clear()
            if self.settings.gc_freeze:
                gc.unfreeze()  # the replaced sides may hold cycles: collectable again
            out = {}
            for name in ("jobs", "seekers"):
                side = self._new_side(name)
                self._fill_from_store(side, _KIND_OF_SIDE[name], show_progress, upto=None, index_loaded=False)
                self._save(side)
                self._sides[name] = side
                self._last_sync[name] = time.monotonic()
                self.index_report[name] = {"action": "rebuilt", "reason": "requested", "detail": "", "repaired": 0}
                out[name] = len(side.table)
        if self.settings.gc_freeze:
            _freeze_gc()
        return out

    def rebuild_index_beside(self, *, encoder=None, show_progress: bool = False, **settings: Any) -> dict[str, int]:
        """Rebuild both indexes beside the live ones, with another encoder (a loaded one, or a spec
        such as a model folder) and/or other settings (``exact_index_max=...``), while the live
        ones keep answering; then apply what was written meanwhile and swap the new ones in at
        once (requests wait only for that last step, never fail) and save them."""
        if isinstance(encoder, str | Path):
            settings["encoder"], encoder = str(encoder), None
        new_settings = self.settings.model_copy(update=settings)
        if encoder is None and new_settings.encoder == self.settings.encoder:
            encoder = self._encoder
        shadow = MatchEngine(new_settings, self.store, encoder=encoder)
        shadow._ctx, shadow._ranking = self.ctx, self._ranking
        built = {}
        for name in ("jobs", "seekers"):  # the slow part, outside the lock
            side = shadow._new_side(name)
            shadow._fill_from_store(side, _KIND_OF_SIDE[name], show_progress, upto=None, index_loaded=False)
            built[name] = side
        with self._lock:
            for side in built.values():
                shadow._sync(side)  # written while the new indexes were built
            freeze = self.settings.gc_freeze or new_settings.gc_freeze
            if freeze:
                gc.unfreeze()  # the replaced sides (and encoder) may hold cycles: collectable again
            self.settings, self._encoder, self._identity = new_settings, shadow.encoder, None
            self._stations = None
            self._sides = built
            out = {}
            for name, side in built.items():
                self._save(side)
                self._last_sync[name] = time.monotonic()
                self.index_report[name] = {"action": "rebuilt", "reason": "swapped", "detail": "", "repaired": 0}
                out[name] = len(side.table)
        if self.settings.gc_freeze:
            _freeze_gc()
        return out

    def warm(self, show_progress: bool = False, load_encoder: bool = True) -> dict[str, int]:
        """Load or build both sides now (the API calls this at start-up). ``load_encoder`` also
        loads the model, so the first ad-hoc profile is not slow; batch jobs over stored records
        pass False. With ``settings.gc_freeze`` what is then alive leaves the garbage collector's
        passes (:func:`_freeze_gc`)."""
        sizes = {name: len(self._side(name, show_progress).table) for name in ("jobs", "seekers")}
        if load_encoder:
            self.encoder.encode_queries(["预热"])  # also opens (first time: exports) the one-query path
        with self._lock:
            for side in self._sides.values():
                if side.dirty:
                    self._save(side)
        if self.settings.gc_freeze:
            _freeze_gc()
        return sizes

    # -- embeddings -------------------------------------------------------------------------------
    def _embed_records(self, kind: str, records: list[dict], texts: list[str], show_progress: bool) -> np.ndarray:
        """Vectors for records, reusing persisted embeddings of the same text and encoder."""
        enc_name, dim = self.encoder_name, self.dim
        hashes = [text_hash(t) for t in texts]
        ids = [r["id"] for r in records]
        known = self.store.stored_vectors(kind, enc_name, ids)
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
        new_rows = [(ids[i], hashes[i], out[i].tobytes()) for idxs in todo.values() for i in idxs]
        if new_rows and not self.settings.read_only:
            self.store.save_vectors(kind, enc_name, new_rows)
        return out

    def occupation_classifier(self):
        """The occupation classifier in the encoder's space (:mod:`matcher.features.occupation_knn`),
        built on first use; its entry vectors are cached in the model cache."""
        if self._occ_knn is None:
            from matcher.features.occupation_knn import OccupationClassifier

            codes, texts = OccupationClassifier.entries(self.ctx.taxonomy)
            self._occ_knn = OccupationClassifier(
                codes, texts, encoder_name=self.encoder_name, cache_dir=self.settings.resolved_model_cache,
                embed_passages=lambda t: self.encoder.encode_documents(t, batch_size=128),
                embed_queries=lambda t: self.encoder.encode_queries(t, batch_size=128))
        return self._occ_knn

    def job_occupations(self, ids: Sequence[str]) -> dict[str, str | None]:
        """The 4-level occupation code the engine inferred for each job in memory (what the ranking
        used: rules, else the classifier); jobs not in memory are left out."""
        side = self._side("jobs")
        t = side.table
        out: dict[str, str | None] = {}
        for jid in ids:
            row = t.row_of.get(jid)
            if row is not None:
                out[jid] = self.ctx.codes.code(int(t.occ4[row]))
        return out

    def _refine_occupations(self, kind: str, recs: Sequence[dict], profs: list, vectors: np.ndarray) -> list:
        """Profiles whose rules found no sure occupation are decided with the nearest taxonomy codes
        of their vector (:func:`matcher.features.occupation_knn.refine`): a job's passage vector, a
        seeker's query vector, as just computed or stored. A code given in the record stays; a
        seeker's wishes are only overruled when the rules barely read them (``SEEKER_TRUSTED``)."""
        if not self.settings.occupation_knn or not profs:
            return profs
        from dataclasses import replace

        from matcher.features.occupation_knn import RULES_TRUSTED, SEEKER_TRUSTED, refine
        from matcher.features.profiles import OccupationHit

        def trusted_for(i: int) -> float:
            # one wish is read like a job title; several share one vector, so their reading stands
            # unless the rules barely read them
            if kind == "job" or len(recs[i].get("desired_occupations") or []) <= 1:
                return RULES_TRUSTED
            return SEEKER_TRUSTED

        weak = [i for i, p in enumerate(profs) if not p.occupations or p.occupations[0].confidence < trusted_for(i)]
        if not weak:
            return profs
        clf = self.occupation_classifier()
        vecs = np.asarray(vectors)[weak]
        knn = clf.classify_documents(vecs) if kind == "job" else clf.classify_vectors(vecs)
        name = self.ctx.taxonomy.name
        out = list(profs)
        for i, hits in zip(weak, knn, strict=True):
            p = profs[i]
            rules = [(h.code, h.confidence) for h in p.occupations]
            merged = refine(rules, hits, trusted=trusted_for(i))
            if merged == rules:
                continue
            labels = {h.code: h.label for h in p.occupations}
            title = recs[i].get("title") if kind == "job" else None
            out[i] = replace(p, occupations=tuple(
                OccupationHit(c, conf, labels.get(c) or title or name(c) or c) for c, conf in merged[:4]))
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

    def _query_vector(self, kind: str, rec: dict[str, Any], text: str, stored: bool, side: Side | None) -> np.ndarray:
        if stored and side is not None:
            row = side.table.row_of.get(rec["id"])
            if row is not None:
                return side.vectors[row]
        if stored:
            return self._embed_records(kind, [rec], [text], False)[0]
        enc = self.encoder
        return (enc.encode_queries([text]) if kind == "seeker" else enc.encode_documents([text]))[0]

    def match_jobs(self, seeker: str | dict | Seeker, k: int = 20, *, today: date | None = None) -> list[Match]:
        """Ranked, explained jobs for a stored seeker id or an ad-hoc seeker profile."""
        from matcher.features.tables import seeker_features

        k = _check_k(k)
        rec, stored = self._resolve("seeker", seeker)
        ctx = self.ctx
        side = self._side("jobs")
        # a stored seeker, the seekers' side loaded: synced with the store first
        seekers = self._side("seekers") if stored and "seekers" in self._sides else self._sides.get("seekers")
        row = seekers.table.row_of.get(rec["id"]) if stored and seekers is not None else None
        if row is not None:  # a stored seeker already in memory: the very columns a batch reads
            q, skills, qvec = seekers.table.features(row), seekers.table.skills[row] or frozenset(), seekers.vectors[row]
        else:
            prof = ctx.profiler.seeker(rec)
            qvec = self._query_vector("seeker", rec, prof.text, stored, seekers)
            prof = self._refine_occupations("seeker", [rec], [prof], qvec[None, :])[0]
            stations = self._station_circles() if rec.get("station_id") else {}
            q = seeker_features(rec, prof, ctx.codes, ctx.gazetteer,
                                stations.get(rec.get("station_id") or "", (None, None)))
            skills = prof.skills
        today_n = (today or date.today()).toordinal()
        with self._lock, _blas_limit(self.settings.query_blas_threads):
            t = side.table
            ranked = self._rank_jobs(side, q, qvec, skills, q.get("region") or None, k, today_n)
            ids = [t.ids[r.row] for r in ranked]
        jobs = self.store.get_dicts("job", ids)
        return [Match(id=i, score=r.score, breakdown=r.breakdown, reasons=r.reasons, summary=job_summary(jobs.get(i, {})))
                for i, r in zip(ids, ranked, strict=True)]

    def _rank_jobs(self, side: Side, q: dict[str, Any], qvec: np.ndarray, skills: frozenset[str],
                   region_code: str | None, k: int, today_n: int, ann: np.ndarray | None = None) -> list:
        """One seeker's ranked jobs (under the lock): candidates, ranking, the 50 km widening.
        ``ann``: the seeker's global neighbours when already searched (a batch)."""
        from matcher.ranking import ranker, reach
        from matcher.ranking.signals import job_pairs

        cfg = self.ranking
        t = side.table
        radius = reach.search_radius_km(reach.query_circles(q, cfg.locality_cfg), cfg.locality_cfg, q["prec"])
        prefixes = self._paired_prefixes(region_code, today_n)

        def pairs(rows, km=None, cos=None):
            return job_pairs(q, t, rows, cfg, today_n, cos, km, skills=skills, paired=self._paired(t, rows, prefixes))

        def short(rows, km, m):
            return ranker.shortlist(pairs(rows, km), m, cfg)

        selector = CandidateSelector(cfg)
        rows, cos = selector.select(side, qvec, q["lat"], q["lng"], radius, short, ann=ann)
        rows, cos = selector.add_rows(side, qvec, rows, cos, self._paired_table_rows(side, prefixes), short)
        ranked = ranker.rank(pairs(rows, cos=cos), cfg, k)
        if ranker.nothing_near(ranked):  # look as far as migrate_km for what this person can get to
            ring = selector.ring(side, q["lat"], q["lng"], cfg.locality_cfg.migrate_km, short)
            rows, cos = selector.add_rows(side, qvec, rows, cos, ring)
            ranked = ranker.rank(pairs(rows, cos=cos), cfg, k)
        return ranked

    def match_jobs_batch(self, seeker_ids: Sequence[str], k: int = 20, *, today: date | None = None,
                         block: int = 256) -> dict[str, list[Match]]:
        """Ranked, explained jobs for many stored seekers (a digest): the same lists as
        :meth:`match_jobs` for each (same candidates, same ranking code), made cheaper by sharing
        work across a block of seekers: their features and vectors come from the in-memory tables
        (no store read, no profile), their global neighbours from one batched FAISS search, the
        jobs' summaries from one store read. Ids not stored are left out."""
        k = _check_k(k)
        today_n = (today or date.today()).toordinal()
        side, seekers = self._side("jobs"), self._side("seekers")
        cfg = self.ranking
        out: dict[str, list[Match]] = {}
        ids = list(dict.fromkeys(seeker_ids))
        for start in range(0, len(ids), block):
            chunk = ids[start : start + block]
            with self._lock, _blas_limit(self.settings.query_blas_threads):
                st, t = seekers.table, side.table
                srows = [st.row_of[i] for i in chunk if i in st.row_of]
                if not srows:
                    continue
                qvecs = seekers.vectors[np.asarray(srows)]
                anns = self._batch_neighbours(side, qvecs, min(cfg.candidates, len(t)))
                lists = {}
                for n, srow in enumerate(srows):
                    q = st.features(srow)
                    ann = anns[n]
                    ranked = self._rank_jobs(side, q, qvecs[n], st.skills[srow] or frozenset(), st.region[srow] or None,
                                             k, today_n, ann=ann)
                    lists[st.ids[srow]] = [(t.ids[r.row], r) for r in ranked]
            summaries = self._job_summaries(side, {j for lst in lists.values() for j, _ in lst})
            for sid, lst in lists.items():
                out[sid] = [Match(id=j, score=r.score, breakdown=r.breakdown, reasons=r.reasons,
                                  summary=dict(summaries.get(j) or job_summary({}))) for j, r in lst]
        return out

    def _job_summaries(self, side: Side, ids: set[str]) -> dict[str, dict[str, Any]]:
        """Summaries of these jobs (copied per match by the caller), made once per job and kept
        while the jobs' side is at the same change number (a digest run lists the same jobs for
        thousands of seekers: one store read and one JSON decode per job, not per block)."""
        seq, cache = self._summaries
        if seq != side.seq or len(cache) > 100_000:
            cache = {}
            self._summaries = (side.seq, cache)
        missing = [j for j in ids if j not in cache]
        if missing:
            for j, rec in self.store.get_dicts("job", missing).items():
                cache[j] = job_summary(rec)
        return {j: cache[j] for j in ids if j in cache}

    @staticmethod
    def _batch_neighbours(side: Side, qvecs: np.ndarray, k: int) -> list[np.ndarray]:
        """Each query's ``k`` global neighbours (table rows), searched a few queries at a time:
        FAISS switches to BLAS from 20 queries on, whose rounding differs from the one-query kernel
        and could change who is the 300th neighbour; below that the results are the same as
        :meth:`match_jobs`'s one-query search, bit for bit."""
        if k <= 0:
            return [np.empty(0, dtype=np.int64) for _ in range(len(qvecs))]
        out: list[np.ndarray] = []
        step = 16
        for i in range(0, len(qvecs), step):
            res = side.index.search(qvecs[i : i + step], k, lazy_ids=True)
            out.extend(side.table_rows(res, n) for n in range(len(res.rows)))
        return out

    def match_candidates(self, job: str | dict | Job, k: int = 20, *, today: date | None = None,
                         require_consent: bool = True, region_prefix: str | None = None) -> list[Match]:
        """Ranked, explained, masked candidates for a stored job id or an ad-hoc job;
        ``region_prefix`` keeps only seekers registered in that area (a staff account's own)."""
        from matcher.features.tables import job_features
        from matcher.ranking import ranker, reach
        from matcher.ranking.filters import age_years
        from matcher.ranking.signals import seeker_pairs

        k = _check_k(k)
        if not self.settings.seeker_index:
            raise MatcherError("此引擎未加载求职者向量索引，无法检索候选人 / this engine was opened without the seekers' "
                               "vector index (seeker_index off) and cannot search candidates")
        rec, stored = self._resolve("job", job)
        ctx = self.ctx
        cfg = self.ranking
        side = self._side("seekers")
        prof = ctx.profiler.job(rec)
        qvec = self._query_vector("job", rec, prof.text, stored, self._sides.get("jobs"))
        prof = self._refine_occupations("job", [rec], [prof], qvec[None, :])[0]
        q = job_features(rec, prof, ctx.codes, ctx.gazetteer, ctx.taxonomy, ctx.vocabulary)
        radius = reach.job_search_radius_km(q["prec"])
        today_n = (today or date.today()).toordinal()
        licenses = frozenset(ctx.vocabulary.canonical(x) for x in rec.get("licenses_required") or [])
        with self._lock, _blas_limit(self.settings.query_blas_threads):
            t = side.table

            prefixes = self._paired_prefixes(rec.get("region_code"), today_n)

            def pairs(rows, km=None, cos=None):
                return seeker_pairs(q, t, rows, cfg, today_n, cos, km, skills=prof.skills, licenses=licenses,
                                    paired=self._paired(t, rows, prefixes))

            def short(rows, km, m):
                return ranker.shortlist(pairs(rows, km), m, cfg, require_consent=require_consent)

            selector = CandidateSelector(cfg)
            rows, cos = selector.select(side, qvec, q["lat"], q["lng"], radius, short)
            rows, cos = selector.add_rows(side, qvec, rows, cos, self._paired_table_rows(side, prefixes), short)
            if region_prefix:
                rows, cos = self._in_region(t, rows, cos, region_prefix)
            ranked = ranker.rank(pairs(rows, cos=cos), cfg, k, require_consent=require_consent)
            if ranker.nothing_near(ranked):  # look as far as migrate_km for people who can get there
                ring = selector.ring(side, q["lat"], q["lng"], cfg.locality_cfg.migrate_km, short)
                rows, cos = selector.add_rows(side, qvec, rows, cos, ring)
                if region_prefix:
                    rows, cos = self._in_region(t, rows, cos, region_prefix)
                ranked = ranker.rank(pairs(rows, cos=cos), cfg, k, require_consent=require_consent)
            ids = [t.ids[r.row] for r in ranked]
            born = [int(t.born[r.row]) for r in ranked]
        seekers = self.store.get_dicts("seeker", ids)
        out = []
        for i, r, b in zip(ids, ranked, born, strict=True):
            age = None if b == 0 else int(age_years(b, today_n))
            out.append(Match(id=i, score=r.score, breakdown=r.breakdown, reasons=r.reasons,
                             summary=candidate_summary(seekers.get(i, {}), age)))
        return out

    # -- cooperation (对口协作): paired regions' records in their own tier --------------------------
    def _paired_prefixes(self, region_code: str | None, today_n: int) -> tuple[str, ...]:
        """Region prefixes paired with ``region_code`` on that day (none without a region)."""
        from matcher.cooperation import PairCache

        if not region_code:
            return ()
        if self._pairs is None:
            self._pairs = PairCache(ttl=max(self.settings.sync_interval, 1.0))
        return self._pairs.prefixes(self, region_code, date.fromordinal(today_n))

    @staticmethod
    def _in_region(table, rows: np.ndarray, cos: np.ndarray, prefix: str) -> tuple[np.ndarray, np.ndarray]:
        keep = np.fromiter((str(table.region[r] or "").startswith(prefix) for r in rows.tolist()), dtype=bool,
                           count=len(rows))
        return rows[keep], cos[keep]

    @staticmethod
    def _paired(table, rows: np.ndarray, prefixes: tuple[str, ...]) -> np.ndarray | None:
        from matcher.cooperation import paired_mask

        return paired_mask([table.region[r] for r in rows.tolist()], prefixes) if prefixes else None

    def _paired_table_rows(self, side: Side, prefixes: tuple[str, ...]) -> np.ndarray:
        """Live rows of ``side`` registered in a paired region (cached per side version)."""
        if not prefixes:
            return np.empty(0, dtype=np.int64)
        t = side.table
        key = (side.kind, prefixes, side.seq, len(t.ids))
        got = self._paired_rows.get(key)
        if got is None:
            from matcher.cooperation import paired_mask

            alive = np.flatnonzero(t.alive[: len(t.ids)])
            got = alive[paired_mask([t.region[r] for r in alive.tolist()], prefixes)]
            if len(self._paired_rows) > 64:
                self._paired_rows.clear()
            self._paired_rows[key] = got
        return got

    def stats(self) -> dict[str, int]:
        return {kind: self.store.count(kind) for kind in RECORD_TYPES}

    # -- network (DESIGN.md §8) ---------------------------------------------------------------------
    @property
    def villages(self):
        """The configured village list (:mod:`matcher.villages`), read once."""
        if getattr(self, "_villages", None) is None:
            from matcher.villages import VillageList

            self._villages = VillageList.load(self.settings.villages_path)
        return self._villages

    @property
    def network(self):
        """Cooperation pairs, events and attendance (:class:`matcher.store.network.NetworkItems`)."""
        from matcher.store.network import NetworkItems

        return NetworkItems(self.store)


@dataclass
class OpenJobs:
    """Columns of the jobs that can be matched on a day (:meth:`MatchEngine.open_jobs`)."""

    ids: list[str]
    lat: np.ndarray
    lng: np.ndarray
    region: list[str]
    posted: np.ndarray  # ordinal day posted


@dataclass
class _Context:
    gazetteer: Any
    taxonomy: Any
    vocabulary: Any
    profiler: Any
    codes: Any


_BLAS = None


def _freeze_gc() -> None:
    """Collect, then move every object still alive into the garbage collector's permanent
    generation (``gc.freeze``): the loaded tables, indexes and model are then never scanned again by
    a full collection, which otherwise walks all of them (hundreds of thousands of objects at 100k
    jobs) whenever one falls during a write. Frozen objects are still freed by reference counting;
    only cycles among them wait for :func:`gc.unfreeze` (the index rebuilds call it)."""
    gc.collect()
    gc.freeze()


_LOAD_BLOCK = 65_536  # records per _apply call when a side is loaded beside a saved index


def _blas_limit(threads: int):
    """A context that runs numpy's BLAS (OpenBLAS: matrix-vector products of candidate vectors) on
    ``threads`` threads; 0 leaves it as it is. One thread per query keeps worker processes from
    oversubscribing the cores (OpenBLAS starts a thread per core for a product of a few thousand
    rows). Only BLAS is limited: torch (embedding) and FAISS's OpenMP keep their own settings."""
    global _BLAS
    if threads <= 0:
        return contextlib.nullcontext()
    if _BLAS is None:
        from threadpoolctl import ThreadpoolController

        _BLAS = ThreadpoolController()  # finds the BLAS libraries loaded now (numpy's, FAISS's)
    return _BLAS.limit(limits=threads, user_api="blas")


def _check_k(k: int) -> int:
    if not isinstance(k, int) or k < 1 or k > 500:
        raise MatcherError("返回条数应为1到500 / k must be between 1 and 500", field="k")
    return k
