"""A uniform lat/lng grid over table rows: the candidate source for "everything near here".

Cells are ``cell_deg`` degrees (0.05° ≈ 5.5 km north-south in Hebei). A radius query returns the
rows in every cell that touches the radius's bounding box; exact distances are computed by the
ranking stage, so the grid only has to be a superset.

Layout (numpy, no per-row Python objects): each row's cell is one int64 key (row band in the high
bits, column in the low bits). A *base* array holds the rows sorted by key, so the cells of one row
band of the query box are one contiguous slice (two ``searchsorted`` per band). Rows placed, moved or
removed since the base was sorted are flagged in a *delta* list, checked with one vectorised
comparison per query, and the base is re-sorted lazily (at the next query) once the delta outgrows
``max(4096, n/64)`` rows. At 100k rows a query over a 9 km radius costs tens of microseconds
(the set-based grid it replaced: 3.4 ms, most of it building the answer from Python sets).
"""

from __future__ import annotations

import math

import numpy as np

_OFF = 1 << 20  # cell indices are offset to stay positive
_SHIFT = 22  # column bits
_NONE = -1  # key of a row that is not placed


class GridIndex:
    def __init__(self, cell_deg: float = 0.05):
        self.cell = cell_deg
        self._keys = np.full(1024, _NONE, dtype=np.int64)  # current cell key of each row
        self._lat = np.full(1024, np.nan)  # and its position
        self._lng = np.full(1024, np.nan)
        self._count = 0
        self._base_rows = np.empty(0, dtype=np.int64)  # rows sorted by key, as of the last sort
        self._base_keys = np.empty(0, dtype=np.int64)
        self._base_lat = np.empty(0)  # positions in base order: a query reads slices, not scattered rows
        self._base_lng = np.empty(0)
        self._in_delta = np.zeros(1024, dtype=bool)  # changed since the last sort
        self._delta: list[int] = []
        self._delta_arr: np.ndarray | None = None

    def __len__(self) -> int:
        return self._count

    def _cell(self, lat: float, lng: float) -> tuple[int, int]:
        return int(math.floor(lat / self.cell)), int(math.floor(lng / self.cell))

    @staticmethod
    def _pack(i, j):
        return ((i + _OFF) << _SHIFT) | (j + _OFF)

    def _grow(self, need: int) -> None:
        cap = len(self._keys)
        if need <= cap:
            return
        new = max(need, cap * 2)
        keys = np.full(new, _NONE, dtype=np.int64)
        keys[:cap] = self._keys
        flags = np.zeros(new, dtype=bool)
        flags[:cap] = self._in_delta
        lat, lng = np.full(new, np.nan), np.full(new, np.nan)
        lat[:cap], lng[:cap] = self._lat, self._lng
        self._keys, self._in_delta, self._lat, self._lng = keys, flags, lat, lng

    def _set(self, row: int, key: int, lat: float = math.nan, lng: float = math.nan) -> None:
        self._grow(row + 1)
        old = int(self._keys[row])
        if old == key and (key == _NONE or (self._lat[row] == lat and self._lng[row] == lng)):
            return
        self._count += (key != _NONE) - (old != _NONE)
        self._keys[row] = key
        self._lat[row], self._lng[row] = lat, lng
        if not self._in_delta[row]:
            self._in_delta[row] = True
            self._delta.append(row)
            self._delta_arr = None

    def put(self, row: int, lat: float, lng: float) -> None:
        """Place (or move) a row; NaN coordinates remove it."""
        if lat is None or lng is None or math.isnan(lat) or math.isnan(lng):
            self.discard(row)
            return
        i, j = self._cell(lat, lng)
        self._set(row, self._pack(i, j), float(lat), float(lng))

    def put_many(self, rows: np.ndarray, lat: np.ndarray, lng: np.ndarray) -> None:
        """``put`` for many rows at once (NaN coordinates remove a row)."""
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return
        lat = np.asarray(lat, dtype=np.float64)
        lng = np.asarray(lng, dtype=np.float64)
        ok = ~(np.isnan(lat) | np.isnan(lng))
        keys = np.full(len(rows), _NONE, dtype=np.int64)
        keys[ok] = self._pack(np.floor(lat[ok] / self.cell).astype(np.int64),
                              np.floor(lng[ok] / self.cell).astype(np.int64))
        _, last = np.unique(rows[::-1], return_index=True)  # a repeated row: the last one wins
        pick = len(rows) - 1 - last
        rows, keys, lat, lng = rows[pick], keys[pick], lat[pick], lng[pick]
        self._grow(int(rows.max()) + 1)
        old = self._keys[rows]
        changed = (old != keys) | ((keys != _NONE) & ((self._lat[rows] != lat) | (self._lng[rows] != lng)))
        rows, keys, old, lat, lng = rows[changed], keys[changed], old[changed], lat[changed], lng[changed]
        if not len(rows):
            return
        self._count += int(np.count_nonzero(keys != _NONE)) - int(np.count_nonzero(old != _NONE))
        self._keys[rows] = keys
        none = keys == _NONE
        self._lat[rows] = np.where(none, np.nan, lat)
        self._lng[rows] = np.where(none, np.nan, lng)
        fresh = rows[~self._in_delta[rows]]
        self._in_delta[fresh] = True
        self._delta.extend(fresh.tolist())
        self._delta_arr = None

    def discard(self, row: int) -> None:
        if row < len(self._keys):
            self._set(row, _NONE)

    def _resort(self) -> None:
        """Sort every placed row by key into the base; empty the delta."""
        placed = np.flatnonzero(self._keys != _NONE)
        keys = self._keys[placed]
        order = np.argsort(keys, kind="stable")
        self._base_rows, self._base_keys = placed[order], keys[order]
        self._base_lat, self._base_lng = self._lat[self._base_rows], self._lng[self._base_rows]
        if self._delta:
            self._in_delta[np.asarray(self._delta, dtype=np.int64)] = False
        self._delta, self._delta_arr = [], None

    def within(self, lat: float, lng: float, radius_km: float) -> np.ndarray:
        """Rows in the cells covering a circle (a superset of the rows inside it), each once."""
        return self.within_points(lat, lng, radius_km)[0]

    def within_points(self, lat: float, lng: float, radius_km: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`within` and the rows' positions (lat, lng), read from the grid's own copy in cell
        order (contiguous slices) rather than gathered from a table row by row."""
        empty = np.empty(0, dtype=np.int64), np.empty(0), np.empty(0)
        if lat is None or lng is None or math.isnan(lat) or math.isnan(lng):
            return empty
        if len(self._delta) > max(4096, self._count // 64):
            self._resort()
        dlat = radius_km / 111.0
        dlng = radius_km / (111.0 * max(0.1, math.cos(math.radians(lat))))
        i0, j0 = self._cell(lat - dlat, lng - dlng)
        i1, j1 = self._cell(lat + dlat, lng + dlng)
        bands = np.arange(i0, i1 + 1, dtype=np.int64)
        starts = np.searchsorted(self._base_keys, self._pack(bands, j0), side="left")
        ends = np.searchsorted(self._base_keys, self._pack(bands, j1), side="right")
        spans = [(s, e) for s, e in zip(starts.tolist(), ends.tolist(), strict=True) if e > s]
        if spans:
            rows = np.concatenate([self._base_rows[s:e] for s, e in spans])
            la = np.concatenate([self._base_lat[s:e] for s, e in spans])
            ln = np.concatenate([self._base_lng[s:e] for s, e in spans])
        else:
            rows, la, ln = empty
        if not self._delta:
            return rows, la, ln
        keep = ~self._in_delta[rows]  # changed since the sort: the delta has the truth
        rows, la, ln = rows[keep], la[keep], ln[keep]
        if self._delta_arr is None:
            self._delta_arr = np.asarray(self._delta, dtype=np.int64)
        keys = self._keys[self._delta_arr]
        i = (keys >> _SHIFT) - _OFF
        j = (keys & ((1 << _SHIFT) - 1)) - _OFF
        hit = self._delta_arr[(keys != _NONE) & (i >= i0) & (i <= i1) & (j >= j0) & (j <= j1)]
        return (np.concatenate([rows, hit]), np.concatenate([la, self._lat[hit]]),
                np.concatenate([ln, self._lng[hit]]))
