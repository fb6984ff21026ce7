"""Columnar, in-memory features of every stored job and seeker, for vectorised filters and scores.

A table is a cache built from the store (like the vector index) and updated in place: a record
keeps its row for life; a removed record's row is marked dead and reused. Scoring code reads numpy
columns by row, never dicts, so filtering 1,000 candidates costs microseconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import numpy as np

from matcher.features.profiles import Profile
from matcher.ranking.reach import MODE_CODES, PRECISION_CODES
from matcher.vocab import EDUCATION_RANK, Education, EmploymentType, PriorityGroup

NO_DAY = np.iinfo(np.int32).max
EMPLOYMENT_BITS = {e.value: 1 << i for i, e in enumerate(EmploymentType)}
PRIORITY_BITS = {g.value: 1 << i for i, g in enumerate(PriorityGroup)}
DISABLED_BIT = PRIORITY_BITS["disabled"]


def bits(values: Iterable[str], table: dict[str, int]) -> int:
    out = 0
    for v in values or ():
        out |= table.get(str(v), 0)
    return out


def day_number(value: Any) -> int:
    if value in (None, ""):
        return NO_DAY
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return value.toordinal()


def edu_rank(value: str | None) -> int:
    return -1 if not value else EDUCATION_RANK[Education(value)]


class CodeBook:
    """Interns occupation codes at each level to small integers (-1 = none)."""

    def __init__(self):
        self._ids: dict[str, int] = {}

    def id(self, code: str | None) -> int:
        if not code:
            return -1
        return self._ids.setdefault(code, len(self._ids))

    def code(self, ident: int) -> str | None:
        """The code interned as ``ident`` (None for -1 or unknown)."""
        if ident < 0:
            return None
        if len(getattr(self, "_codes", ())) != len(self._ids):
            self._codes = list(self._ids)  # insertion order = ids
        return self._codes[ident] if ident < len(self._codes) else None

    def levels(self, code: str | None) -> tuple[int, int, int]:
        """Ids of the 4-, 3- and 2-level prefixes of a code like 6-18-02-04."""
        if not code:
            return -1, -1, -1
        parts = code.split("-")
        return (self.id("-".join(parts[:4])) if len(parts) >= 4 else -1,
                self.id("-".join(parts[:3])) if len(parts) >= 3 else -1,
                self.id("-".join(parts[:2])) if len(parts) >= 2 else -1)


class _Table:
    """Row allocation and growth shared by both tables. ``SPEC`` maps column -> (dtype, fill)."""

    SPEC: dict[str, tuple[Any, Any]] = {}
    OBJECTS: tuple[str, ...] = ()

    def __init__(self, codes: CodeBook, capacity: int = 1024):
        self.codes = codes
        self.ids: list[str | None] = []
        self.row_of: dict[str, int] = {}
        self._free: list[int] = []
        self.cols: dict[str, np.ndarray] = {k: np.full(capacity, fill, dtype=dt) for k, (dt, fill) in self.SPEC.items()}
        self.alive = np.zeros(capacity, dtype=bool)
        self.objs: dict[str, list] = {k: [] for k in self.OBJECTS}
        self._bind()

    def _bind(self) -> None:
        """Expose every column as an attribute (``table.lat``), rebound when arrays grow."""
        for k, col in self.cols.items():
            setattr(self, k, col)
        for k, lst in self.objs.items():
            setattr(self, k, lst)

    def __len__(self) -> int:
        return len(self.row_of)

    def _grow(self, need: int) -> None:
        cap = len(self.alive)
        if need <= cap:
            return
        new = max(need, cap * 2)
        for k, (dt, fill) in self.SPEC.items():
            col = np.full(new, fill, dtype=dt)
            col[:cap] = self.cols[k]
            self.cols[k] = col
        alive = np.zeros(new, dtype=bool)
        alive[:cap] = self.alive
        self.alive = alive
        self._bind()

    def _row_for(self, rid: str) -> int:
        row = self.row_of.get(rid)
        if row is not None:
            return row
        if self._free:
            row = self._free.pop()
            self.ids[row] = rid
        else:
            row = len(self.ids)
            self.ids.append(rid)
            for lst in self.objs.values():
                lst.append(None)
            self._grow(row + 1)
        self.row_of[rid] = row
        return row

    def remove(self, ids: Iterable[str]) -> None:
        for rid in ids:
            row = self.row_of.pop(rid, None)
            if row is None:
                continue
            self.alive[row] = False
            self.ids[row] = None
            for k, (_dt, fill) in self.SPEC.items():
                self.cols[k][row] = fill
            for lst in self.objs.values():
                lst[row] = None
            self._free.append(row)

    def features(self, row: int) -> dict[str, Any]:
        """The column values of one row as the feature functions make them (a query's ``q``)."""
        out: dict[str, Any] = {k: col[row].item() for k, col in self.cols.items()}
        out.update({k: lst[row] for k, lst in self.objs.items()})
        return out

    def rows(self, ids: Iterable[str]) -> np.ndarray:
        get = self.row_of.get
        return np.fromiter((r for r in (get(i) for i in ids) if r is not None), dtype=np.int64)

    def upsert(self, rid: str, features: dict[str, Any]) -> int:
        """Write one record's features (from :func:`job_features` / :func:`seeker_features`)."""
        row = self._row_for(rid)
        self._set(row, features)
        return row

    def upsert_many(self, ids: list[str], features: list[dict[str, Any]]) -> np.ndarray:
        """:meth:`upsert` of many records (the same rows, the same values), a column at a time for
        each group of records whose features name the same columns. Returns their rows."""
        rows = np.fromiter((self._row_for(rid) for rid in ids), dtype=np.int64, count=len(ids))
        if len(np.unique(rows)) != len(rows):  # an id twice: one at a time, the last one wins
            for row, feats in zip(rows.tolist(), features, strict=True):
                self._set(row, feats)
            return rows
        groups: dict[tuple[str, ...], list[int]] = {}
        for i, feats in enumerate(features):
            groups.setdefault(tuple(feats), []).append(i)
        for keys, members in groups.items():
            at = rows[members]
            for k in keys:
                if k in self.cols:
                    col = self.cols[k]
                    col[at] = np.array([features[i][k] for i in members], dtype=col.dtype)
                else:
                    lst = self.objs[k]
                    for r, i in zip(at.tolist(), members, strict=True):
                        lst[r] = features[i][k]
        self.alive[rows] = True
        return rows

    def _set(self, row: int, values: dict[str, Any]) -> None:
        for k, v in values.items():
            if k in self.cols:
                self.cols[k][row] = v
            else:
                self.objs[k][row] = v
        self.alive[row] = True


_LOC = {"lat": (np.float64, np.nan), "lng": (np.float64, np.nan), "prec": (np.int8, 0)}


def _location(rec: dict[str, Any], gazetteer) -> tuple[dict[str, Any], str | None]:
    """Position columns of a record and its urban/rural class (record's own class wins)."""
    pos = gazetteer.locate(rec.get("lat"), rec.get("lng"), rec.get("region_code"), rec.get("area_type"))
    return ({"lat": np.nan if pos.lat is None else pos.lat, "lng": np.nan if pos.lng is None else pos.lng,
             "prec": PRECISION_CODES[pos.precision]}, pos.area_type)


class JobTable(_Table):
    SPEC = {
        **_LOC,
        "open": (bool, False),
        "expires": (np.int32, NO_DAY),
        "posted": (np.int32, 0),
        "wage_min": (np.float64, np.nan),
        "wage_max": (np.float64, np.nan),
        "etype": (np.int16, 0),
        "edu": (np.int8, -1),
        "age_min": (np.int16, 0),
        "age_max": (np.int16, 200),
        "exp_min": (np.float32, 0),
        "occ4": (np.int32, -1),
        "occ3": (np.int32, -1),
        "occ2": (np.int32, -1),
        "occ_conf": (np.float32, 0),
        "headcount": (np.int32, 1),
        "accessible": (bool, False),
        "welcome": (np.int32, 0),
        "welfare": (bool, False),
        "heavy": (bool, False),
        "nlic": (np.int16, 0),  # licences required (the licence filter checks only these rows' sets)
    }
    OBJECTS = ("skills", "licenses", "region", "employer")
    #: columns written by :func:`job_profile_features` (kept as they are when only other fields change)
    PROFILE_COLUMNS = ("occ4", "occ3", "occ2", "occ_conf", "heavy", "skills")



def job_features(job: dict[str, Any], profile: Profile, codes: CodeBook, gazetteer, taxonomy, vocabulary) -> dict[str, Any]:
    """The column values of one job (pure apart from interning codes)."""
    return {**job_base_features(job, codes, gazetteer, vocabulary), **job_profile_features(profile, codes, taxonomy)}


def job_base_features(job: dict[str, Any], codes: CodeBook, gazetteer, vocabulary) -> dict[str, Any]:
    """The columns of a job that do not depend on its text profile (``JobTable.PROFILE_COLUMNS``):
    what a wage, position or status change rewrites."""
    loc, _area = _location(job, gazetteer)
    return {
            **loc,
            "open": job.get("status", "open") == "open",
            "expires": day_number(job.get("expires_at")),
            "posted": day_number(job.get("posted_at")) if job.get("posted_at") else 0,
            "wage_min": np.nan if job.get("wage_min") is None else job["wage_min"],
            "wage_max": np.nan if job.get("wage_max") is None else job["wage_max"],
            "etype": EMPLOYMENT_BITS.get(job.get("employment_type") or "full_time", 0),
            "edu": edu_rank(job.get("education_min")),
            "age_min": job.get("age_min") or 0,
            "age_max": job.get("age_max") or 200,
            "exp_min": job.get("experience_years_min") or 0,
            "headcount": job.get("headcount") or 1,
            "accessible": bool(job.get("accessible")),
            "welcome": bits(job.get("priority_groups_welcome"), PRIORITY_BITS),
            "welfare": bool(job.get("public_welfare")),
            "licenses": frozenset(vocabulary.canonical(x) for x in job.get("licenses_required") or []),
            "nlic": len(job.get("licenses_required") or []),
            "region": job.get("region_code") or "",
            "employer": job.get("employer_id") or job.get("employer_name"),
        }


def job_profile_features(profile: Profile, codes: CodeBook, taxonomy) -> dict[str, Any]:
    """The columns of a job derived from its text profile (occupation, skills)."""
    best = profile.occupations[0] if profile.occupations else None
    o4, o3, o2 = codes.levels(best.code if best else None)
    occ = taxonomy.get(best.code) if best else None
    return {
            "occ4": o4, "occ3": o3, "occ2": o2, "occ_conf": best.confidence if best else 0.0,
            "heavy": bool(occ is not None and getattr(occ, "physical", "") == "heavy"),
            "skills": profile.skills,
        }


class SeekerTable(_Table):
    SPEC = {
        **_LOC,
        "rural": (bool, False),
        "eligible": (bool, False),  # may be offered to employers: not employed and consented
        "active": (bool, False),  # not employed (staff may still match them)
        "wage": (np.float64, np.nan),
        "etypes": (np.int16, 0),
        "edu": (np.int8, -1),
        "born": (np.int32, 0),  # ordinal day of birth, 0 unknown
        "occ4a": (np.int32, -1), "occ3a": (np.int32, -1), "occ2a": (np.int32, -1), "conf_a": (np.float32, 0),
        "occ4b": (np.int32, -1), "occ3b": (np.int32, -1), "occ2b": (np.int32, -1), "conf_b": (np.float32, 0),
        "priority": (np.int32, 0),
        # raw reach columns: the circles are computed from them at ranking time (ranking.reach.circles)
        "own_minutes": (np.float32, np.nan),  # the seeker's max_commute_minutes
        "own_km": (np.float32, np.nan),  # the seeker's max_distance_km
        "mode": (np.int8, -1),  # travel mode code (ranking.reach.TRAVEL_MODES), -1 not given
        "relocate": (bool, False),
        "hard": (bool, False),
        "st_minutes": (np.float32, np.nan),  # the seeker's station's urban circle, minutes
        "st_km": (np.float32, np.nan),  # the seeker's station's rural circle, km
    }
    OBJECTS = ("skills", "region", "station", "wishes")
    #: columns written by :func:`seeker_profile_features`
    PROFILE_COLUMNS = ("occ4a", "occ3a", "occ2a", "conf_a", "occ4b", "occ3b", "occ2b", "conf_b", "skills", "wishes")


def seeker_features(seeker: dict[str, Any], profile: Profile, codes: CodeBook, gazetteer,
                    station_circle: tuple[float | None, float | None] = (None, None)) -> dict[str, Any]:
    """The column values of one seeker (pure apart from interning codes)."""
    return {**seeker_base_features(seeker, gazetteer, station_circle), **seeker_profile_features(profile, codes)}


def _num(v: Any) -> float:
    return np.nan if v in (None, "") else float(v)


def seeker_base_features(seeker: dict[str, Any], gazetteer,
                         station_circle: tuple[float | None, float | None] = (None, None)) -> dict[str, Any]:
    """The columns of a seeker that do not depend on their text profile (``SeekerTable.PROFILE_COLUMNS``).
    ``station_circle``: their station's own (urban minutes, rural km) bounds, if it set any."""
    loc, area = _location(seeker, gazetteer)
    status = seeker.get("status", "unemployed")
    return {
            **loc,
            "rural": (seeker.get("area_type") or area) == "rural",
            "eligible": status != "employed" and bool(seeker.get("consent_to_share")),
            "active": status != "employed",
            "wage": np.nan if seeker.get("desired_wage_min") is None else seeker["desired_wage_min"],
            "etypes": bits(seeker.get("employment_types"), EMPLOYMENT_BITS),
            "edu": edu_rank(seeker.get("education")),
            "born": day_number(seeker.get("birth_date")) if seeker.get("birth_date") else 0,
            "priority": bits(seeker.get("priority_groups"), PRIORITY_BITS),
            "own_minutes": _num(seeker.get("max_commute_minutes")), "own_km": _num(seeker.get("max_distance_km")),
            "mode": MODE_CODES.get(seeker.get("travel_mode") or "", -1),
            "relocate": bool(seeker.get("willing_to_relocate")), "hard": bool(seeker.get("hard_distance_limit")),
            "st_minutes": _num(station_circle[0]), "st_km": _num(station_circle[1]),
            "region": seeker.get("region_code") or "",
            "station": seeker.get("station_id"),
        }


def seeker_profile_features(profile: Profile, codes: CodeBook) -> dict[str, Any]:
    """The columns of a seeker derived from their text profile (wished occupations, skills)."""
    hits = list(profile.occupations[:2]) + [None, None]
    a4, a3, a2 = codes.levels(hits[0].code if hits[0] else None)
    b4, b3, b2 = codes.levels(hits[1].code if hits[1] else None)
    return {
            "occ4a": a4, "occ3a": a3, "occ2a": a2, "conf_a": hits[0].confidence if hits[0] else 0.0,
            "occ4b": b4, "occ3b": b3, "occ2b": b2, "conf_b": hits[1].confidence if hits[1] else 0.0,
            "skills": profile.skills,
            "wishes": tuple(h.label for h in profile.occupations),
        }
