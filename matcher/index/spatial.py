"""A uniform lat/lng grid over table rows: the candidate source for "everything near here".

Cells are ``cell_deg`` degrees (0.05° ≈ 5.5 km north-south in Hebei). A radius query returns the
rows in every cell that touches the radius's bounding box; exact distances are computed by the
ranking stage, so the grid only has to be a superset.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np


class GridIndex:
    def __init__(self, cell_deg: float = 0.05):
        self.cell = cell_deg
        self._cells: dict[tuple[int, int], set[int]] = defaultdict(set)
        self._where: dict[int, tuple[int, int]] = {}

    def __len__(self) -> int:
        return len(self._where)

    def _key(self, lat: float, lng: float) -> tuple[int, int]:
        return int(math.floor(lat / self.cell)), int(math.floor(lng / self.cell))

    def put(self, row: int, lat: float, lng: float) -> None:
        """Place (or move) a row; NaN coordinates remove it."""
        self.discard(row)
        if lat is None or lng is None or math.isnan(lat) or math.isnan(lng):
            return
        key = self._key(lat, lng)
        self._cells[key].add(row)
        self._where[row] = key

    def discard(self, row: int) -> None:
        key = self._where.pop(row, None)
        if key is not None:
            cell = self._cells[key]
            cell.discard(row)
            if not cell:
                del self._cells[key]

    def within(self, lat: float, lng: float, radius_km: float) -> np.ndarray:
        """Rows in the cells covering a circle (a superset of the rows inside it)."""
        if lat is None or lng is None or math.isnan(lat) or math.isnan(lng):
            return np.empty(0, dtype=np.int64)
        dlat = radius_km / 111.0
        dlng = radius_km / (111.0 * max(0.1, math.cos(math.radians(lat))))
        i0, j0 = self._key(lat - dlat, lng - dlng)
        i1, j1 = self._key(lat + dlat, lng + dlng)
        parts = [self._cells[(i, j)] for i in range(i0, i1 + 1) for j in range(j0, j1 + 1) if (i, j) in self._cells]
        if not parts:
            return np.empty(0, dtype=np.int64)
        return np.fromiter((r for p in parts for r in p), dtype=np.int64)
