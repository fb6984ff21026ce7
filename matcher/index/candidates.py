"""Candidate selection, the stage between the vector index and the ranking (DESIGN.md §2).

A :class:`Side` is the in-memory cache of one kind of record (jobs or seekers): its vector index,
feature table, spatial grid and vectors, with the map between table rows and index rows.
:class:`CandidateSelector` picks the rows a query is ranked against, with their exact cosines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from matcher.features.geo import KM_PER_DEGREE_LAT


@dataclass
class Side:
    """The cache of one kind: vector index, feature table, spatial grid, synced change number."""

    kind: str
    index: Any
    table: Any
    grid: Any
    vectors: np.ndarray  # rows aligned with the table
    seq: int = 0
    dirty: bool = False
    profiles: dict[str, Any] = field(default_factory=dict)
    # profile_key of each table row's record: a later change with the same key keeps the row's
    # profile columns and vector (nothing re-profiled, looked up or re-embedded)
    pkeys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # table row -> vector-index row and back (-1: none), valid while irow_key matches the index
    irow: np.ndarray | None = None
    trow: np.ndarray | None = None
    irow_key: tuple | None = None

    def table_rows(self, res, i: int = 0) -> np.ndarray:
        """Table rows of query ``i`` of a search result."""
        found = res.rows[i]
        found = found[found >= 0]
        self.index_rows()
        if len(found) and int(found.max()) < len(self.trow):
            rows = self.trow[found]
            if (rows >= 0).all():
                return rows
        return self.table.rows(res.ids[i])  # the map lags the index (not expected): by id

    def index_rows(self) -> np.ndarray:
        """Table row -> vector-index row (-1: not in the index). Kept in step by the engine's updates;
        rebuilt here when the index was replaced, renumbered or changed without it."""
        t = self.table
        if self.irow is None or self.irow_key != irow_key(self.index) or len(self.irow) < len(t.alive):
            irow = np.full(len(t.alive), -1, dtype=np.int64)
            trow = np.full(self.index.n_rows, -1, dtype=np.int64)
            rows = np.flatnonzero(t.alive)
            if len(rows):
                ids = t.ids
                irow[rows] = self.index.rows_for([ids[r] for r in rows.tolist()])
                indexed = irow[rows] >= 0
                trow[irow[rows][indexed]] = rows[indexed]
            self.irow, self.trow, self.irow_key = irow, trow, irow_key(self.index)
        return self.irow


class CandidateSelector:
    """Chooses the rows a query is ranked against. ``cfg`` is the ranking config in force (its
    ``candidates`` and ``local_*`` fields)."""

    def __init__(self, cfg):
        self.cfg = cfg

    def select(self, side: Side, qvec: np.ndarray, lat: float, lng: float, radius_km: float,
               shortlist=None, ann: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Rows to rank and their exact cosines.

        (a) The ``candidates`` nearest neighbours in the whole vector index: good matches anywhere
            (a seeker willing to relocate; jobs outside the circle still count in the ranking).
        (b) Around the query, from the spatial grid: when the cells covering the radius hold at most
            ``local_candidates`` rows, all of them. Otherwise, among the rows inside the radius: the
            ``local_nearest`` nearest (whatever their wording); the ``local_semantic`` best by cosine
            (the vector index with those rows as an allowed mask: an exact scan of them or IVF with a
            bitmap selector, by the index's cost model); and, with ``shortlist`` ((rows, km, m) ->
            the m best by the ranking's cosine-free part, :func:`~matcher.ranking.ranker.shortlist`),
            the ``local_prior`` best on occupation, reach, wage and priority.

        Why (b) is not simply the nearest rows: ``docs/matching.md`` (Candidates).
        """
        cfg = self.cfg
        t = side.table
        k = min(cfg.candidates, len(t))
        parts = []
        if ann is not None:  # (a) already searched, for a batch of queries at once
            parts.append(ann)
        elif k > 0:
            parts.append(side.table_rows(side.index.search(qvec, k, lazy_ids=True)))
        if lat is not None and not np.isnan(lat):
            near, near_lat, near_lng = side.grid.within_points(lat, lng, radius_km)
            if len(near) > cfg.local_candidates:
                # squared distance in degrees of latitude (equirectangular: well under 0.1% off here)
                d2 = (near_lat - lat) ** 2 + ((near_lng - lng) * np.cos(np.radians(lat))) ** 2
                parts.extend(self._local(side, qvec, near, d2, radius_km, shortlist))
            else:
                parts.append(near)
        if not parts:
            return np.empty(0, dtype=np.int64), np.empty(0)
        cand = np.unique(np.concatenate(parts))
        cand = cand[t.alive[cand]]
        return cand, side.vectors[cand] @ qvec

    def ring(self, side: Side, lat: float, lng: float, radius_km: float, shortlist=None) -> np.ndarray:
        """Rows within ``radius_km`` (a wider ring than :meth:`select`'s, e.g. ``migrate_km`` when
        nothing relevant was found nearer): all when at most ``local_candidates``, else the
        ``local_nearest`` nearest and, with ``shortlist``, the ``local_prior`` best on the
        cosine-free part of the score."""
        cfg = self.cfg
        if lat is None or np.isnan(lat):
            return np.empty(0, dtype=np.int64)
        near, near_lat, near_lng = side.grid.within_points(lat, lng, radius_km)
        d2 = (near_lat - lat) ** 2 + ((near_lng - lng) * np.cos(np.radians(lat))) ** 2
        keep = d2 <= (radius_km / KM_PER_DEGREE_LAT) ** 2
        near, d2 = near[keep], d2[keep]
        if len(near) <= cfg.local_candidates:
            return near
        parts = [near[np.argpartition(d2, min(cfg.local_nearest, len(near)) - 1)[: cfg.local_nearest]]]
        if shortlist is not None and cfg.local_prior:
            parts.append(near[shortlist(near, np.sqrt(d2) * KM_PER_DEGREE_LAT, min(cfg.local_prior, len(near)))])
        return np.unique(np.concatenate(parts))

    def add_rows(self, side: Side, qvec: np.ndarray, rows: np.ndarray, cos: np.ndarray, extra: np.ndarray,
                 shortlist=None) -> tuple[np.ndarray, np.ndarray]:
        """``rows``/``cos`` of :meth:`select` with rows of ``extra`` added (e.g. the records of a
        paired region, wherever they lie): all of them when at most ``local_candidates``, else the
        ``local_semantic`` best by cosine and, with ``shortlist``, the ``local_prior`` best on the
        cosine-free part of the score."""
        cfg = self.cfg
        extra = extra[side.table.alive[extra]] if len(extra) else extra
        if len(extra) == 0:
            return rows, cos
        if len(extra) > cfg.local_candidates:
            ecos = side.vectors[extra] @ qvec
            parts = [extra[np.argpartition(-ecos, min(cfg.local_semantic, len(extra)) - 1)[: cfg.local_semantic]]]
            if shortlist is not None and cfg.local_prior:
                km = np.full(len(extra), np.nan)
                parts.append(extra[shortlist(extra, km, min(cfg.local_prior, len(extra)))])
            extra = np.concatenate(parts)
        allrows = np.unique(np.concatenate([rows, extra]))
        return allrows, side.vectors[allrows] @ qvec

    def _local(self, side: Side, qvec: np.ndarray, near: np.ndarray, d2: np.ndarray, radius_km: float,
               shortlist) -> list[np.ndarray]:
        """Part (b) of :meth:`select` when many rows lie around the query (``d2``: their squared
        distances in degrees of latitude)."""
        cfg = self.cfg
        keep = d2 <= (radius_km / KM_PER_DEGREE_LAT) ** 2
        inside, d2 = near[keep], d2[keep]
        out = []
        m = min(cfg.local_nearest, len(inside))
        if m:
            out.append(inside[np.argpartition(d2, m - 1)[:m]])
        if len(inside) <= cfg.local_candidates:
            out.append(inside)
            return out
        m = min(cfg.local_prior, len(inside))
        if shortlist is not None and m:
            out.append(inside[shortlist(inside, np.sqrt(d2) * KM_PER_DEGREE_LAT, m)])
        m = min(cfg.local_semantic, len(inside))
        irow = side.index_rows()[inside]
        irow = irow[irow >= 0]
        if m and len(irow):
            mask = np.zeros(side.index.n_rows, dtype=bool)
            mask[irow] = True
            out.append(side.table_rows(side.index.search(qvec, m, allowed=mask, lazy_ids=True)))
        return out


def irow_key(index) -> tuple:
    """What a table row -> index row map depends on: the index object, its row numbering
    (``generation``) and its size (a change made without the map is seen as stale)."""
    return id(index), index.generation, len(index), index.n_rows
