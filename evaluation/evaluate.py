"""Offline quality evaluation on real postings: the full ranking against a lexical baseline
(character TF-IDF and BM25) and against the encoder alone (DESIGN.md section 6).

    matcher evaluate                      # or: python -m evaluation.evaluate
    python -m evaluation.evaluate --no-tune --out out/evaluate.json

What is evaluated (see ``docs/evaluation.md`` and ``evaluation/data/README.md``):

* the corpus: the development set's postings (``evaluation/data/devset_labels.csv``: posting id ->
  the team's 4-level occupation code), read at run time from ``../shared/data`` (the postings are
  never copied into the project) and loaded as open jobs into a fresh :class:`MatchEngine` in a
  temporary home, *without* their occupation code (the engine infers it);
* the queries: ``evaluation/data/queries.csv``, seeker-style wishes with a place, a point and the
  occupation codes that count as relevant;
* four systems on the same corpus: (a) character 1-2-gram TF-IDF over the job text against the
  query's wish and skills, (b) BM25 (``bm25s``) over jieba tokens, (c) the encoder alone (cosine of
  the seeker text's and the job text's embeddings), (d) the full ranking (``engine.match_jobs``);
* metrics at k=10: recall@10, nDCG@10 and MRR (first 20 results) with relevance by exact 4-level
  code, by 2-level group (graded 1.0 / 0.5) and "local" (exact code and within ``local_km`` of the
  seeker); coverage, Gini and mean distance of the top 10 over the batch; the full ranking's share
  of top-10 jobs inside the seeker's circle; then a small grid over the ranking weights
  (semantic / occupation / skills / locality) chosen on one half of the queries and checked on the
  other; and the mean rank lift of priority seekers in employers' candidate lists.

Prints a table (Chinese, then English) and writes JSON with the machine, versions, parameters and
every number. When ``../shared/data`` is absent it says so and exits with status 0.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import platform
import random
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from evaluation import metrics as M
from evaluation import same_occupation

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
DATA_DIR = Path(__file__).resolve().parent / "data"
LABELS_FILE = DATA_DIR / "devset_labels.csv"
QUERIES_FILE = DATA_DIR / "queries.csv"
POSTINGS_FILES = ("job_postings_cn_2024_2025.csv.gz", "job_postings_hebei.csv")
CLASSIFICATION_FILE = "occupations_2022.csv"

DEFAULT_TODAY = date(2025, 3, 31)  # after the postings were collected (Oct 2024 - Mar 2025)
DESCRIPTION_CHARS = 500
RESULTS = 20  # every system returns its top 20; metrics read the top k (10) and MRR the top 20
LOCAL_KM = 25.0
#: The encoder the configured one is compared with ("old encoder": multilingual-e5-small without the
#: job-domain adapter); None or the same model skips the comparison.
BASELINE_ENCODER = "e5-base"

SYSTEMS = ("tfidf", "bm25", "encoder_base", "encoder", "full_base", "full")
SYSTEM_LABELS = {
    "tfidf": ("字符TF-IDF", "char TF-IDF"),
    "bm25": ("BM25(结巴)", "BM25 (jieba)"),
    "encoder_base": ("仅向量·未适配", "encoder, un-adapted"),
    "encoder": ("仅向量模型", "encoder only"),
    "full_base": ("完整排序·旧", "full, old (un-adapted)"),
    "full": ("完整排序", "full ranking"),
    "full_tuned": ("完整排序·调参", "full, tuned"),
}

#: Settings tried by the tuning step: the four main weights, and for some a narrower cosine range
#: mapped to the semantic score (``"cosine": "narrow"``: :func:`_narrow`, relative to the encoder's
#: calibration, e.g. 0.70-0.92 -> 0.80-0.94 for the plain e5 model); the rest of RankingConfig stays
#: at the engine's defaults. The first entry is the shipped default.
WEIGHT_GRID: tuple[dict[str, float], ...] = (
    {"semantic": 0.40, "occupation": 0.25, "skills": 0.10, "locality": 0.20},
    {"semantic": 0.40, "occupation": 0.25, "skills": 0.10, "locality": 0.20, "cosine": "narrow"},
    {"semantic": 0.55, "occupation": 0.15, "skills": 0.10, "locality": 0.15},
    {"semantic": 0.30, "occupation": 0.40, "skills": 0.10, "locality": 0.15},
    {"semantic": 0.35, "occupation": 0.40, "skills": 0.05, "locality": 0.15},
    {"semantic": 0.35, "occupation": 0.40, "skills": 0.05, "locality": 0.15, "cosine": "narrow"},
    {"semantic": 0.30, "occupation": 0.45, "skills": 0.05, "locality": 0.15, "cosine": "narrow"},
    {"semantic": 0.40, "occupation": 0.30, "skills": 0.10, "locality": 0.10, "cosine": "narrow"},
    {"semantic": 0.35, "occupation": 0.25, "skills": 0.10, "locality": 0.30},
    {"semantic": 0.35, "occupation": 0.25, "skills": 0.20, "locality": 0.15},
)

_PLACEHOLDER_MIN_CITIES = 3
_LIST_SPLIT = re.compile(r"[,，、;；|/]+")
_HTML = re.compile(r"<[^>]+>|&nbsp;|&[a-z]+;")


class SharedDataMissing(FileNotFoundError):
    """The reference postings (``../shared/data``) are not on this machine."""


# -- inputs -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """One seeker-style query of ``queries.csv``."""

    id: str
    wish: str
    skills: tuple[str, ...]
    place: str
    lat: float
    lng: float
    area_type: str
    relevant: tuple[str, ...]
    priority_groups: tuple[str, ...] = ()
    style: str = ""  # "title" (an occupation name or job title) or "plain" (how people say it)

    @property
    def text(self) -> str:
        """What the lexical baselines search with: the wish and the skills in plain words."""
        return " ".join([self.wish, *self.skills])

    def profile(self, *, with_priority: bool = True) -> dict[str, Any]:
        """The query as an ad-hoc seeker profile (contract fields)."""
        return {
            "id": self.id,
            "desired_occupations": [self.wish],
            "skills": list(self.skills),
            "lat": self.lat,
            "lng": self.lng,
            "area_type": self.area_type,
            "priority_groups": list(self.priority_groups) if with_priority else [],
            "status": "unemployed",
            "consent_to_share": True,
        }


@dataclass
class Corpus:
    """The devset jobs as loaded: records (engine contract), their team codes and coordinates."""

    records: list[dict[str, Any]]
    codes: dict[str, str]
    coords: dict[str, tuple[float, float] | None]
    missing_ids: list[str] = field(default_factory=list)
    placeholder_points: int = 0

    @property
    def ids(self) -> list[str]:
        return [r["id"] for r in self.records]


def load_labels(path: Path = LABELS_FILE) -> dict[str, str]:
    """posting id -> 4-level occupation code (the team's labels)."""
    with open(path, encoding="utf-8", newline="") as fh:
        return {row["posting_id"].strip(): row["occupation_code"].strip() for row in csv.DictReader(fh)
                if (row.get("posting_id") or "").strip()}


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(s.strip() for s in _LIST_SPLIT.split(text or "") if s.strip())


def load_queries(path: Path = QUERIES_FILE) -> list[Query]:
    out = []
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            out.append(Query(
                id=row["query_id"].strip(), wish=row["wish"].strip(), skills=_split(row.get("skills")),
                place=row["place"].strip(), lat=float(row["lat"]), lng=float(row["lng"]),
                area_type=(row.get("area_type") or "urban").strip(), relevant=_split(row["relevant_codes"]),
                priority_groups=_split(row.get("priority_groups")), style=(row.get("style") or "").strip(),
            ))
    return out


def check_shared_data(data_dir: Path) -> list[Path]:
    """The postings files present in ``data_dir``; raises :class:`SharedDataMissing` when none is."""
    present = [data_dir / f for f in POSTINGS_FILES if (data_dir / f).exists()]
    if not present:
        raise SharedDataMissing(str(data_dir))
    return present


def read_postings(data_dir: Path, ids: Iterable[str] | None = None):
    """The postings (a pandas DataFrame indexed by 职位自编号) of the shared files, optionally only
    ``ids``; the full file is also used to spot placeholder coordinates, so it is read whole."""
    import pandas as pd

    frames = []
    for path in check_shared_data(data_dir):
        frames.append(pd.read_csv(path, dtype={"职位自编号": str}, low_memory=False))
    df = pd.concat(frames, ignore_index=True).drop_duplicates("职位自编号").set_index("职位自编号")
    if ids is not None:
        wanted = [i for i in ids if i in df.index]
        return df, df.loc[wanted]
    return df, df


def placeholder_points(df) -> set[tuple[float, float]]:
    """Coordinate pairs shared by postings of at least three different cities: a board's default
    point (one publishes Beijing's centre for every posting it cannot place), not a location."""
    sub = df[["纬度", "经度", "地区"]].dropna()
    if sub.empty:
        return set()
    city = sub["地区"].astype(str).str.replace(r"^(?:广东省|山东省|河北省)", "", regex=True).str[:2]
    key = list(zip(sub["纬度"].round(5), sub["经度"].round(5), strict=True))
    cities: dict[tuple[float, float], set[str]] = {}
    for k, c in zip(key, city, strict=True):
        cities.setdefault(k, set()).add(c)
    return {k for k, cs in cities.items() if len(cs) >= _PLACEHOLDER_MIN_CITIES}


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def monthly_wage(lo: Any, hi: Any) -> tuple[float | None, float | None]:
    """(wage_min, wage_max) when the posting's numbers look like yuan per month (800-100,000);
    day rates, hourly rates, annual packages and zeros are left out."""
    a, b = _num(lo), _num(hi)

    def ok(x):
        return x is not None and 800 <= x <= 100_000

    a = a if ok(a) else None
    b = b if ok(b) else None
    if a is not None and b is not None and a > b:
        a, b = b, a
    return a, b


def clean_description(text: Any, limit: int = DESCRIPTION_CHARS) -> str:
    if not isinstance(text, str):
        return ""
    t = text.replace("_x000d_", " ").replace("\r", " ")
    t = _HTML.sub(" ", t)
    t = re.sub(r"\s+", " ", t).strip()
    return t[:limit]


def job_record(pid: str, row, placeholders: set[tuple[float, float]], resolve: Callable[[str], str | None] | None = None) -> dict[str, Any]:
    """A posting as a job record (contract fields). No occupation code: the engine infers it."""
    rec: dict[str, Any] = {"id": pid, "title": str(row["职位"]).strip() or "岗位", "status": "open"}
    desc = clean_description(row.get("职位描述"))
    if desc:
        rec["description"] = desc
    skills = _split(row.get("技能") if isinstance(row.get("技能"), str) else "")
    if skills:
        rec["skills"] = list(skills)
    lat, lng = _num(row.get("纬度")), _num(row.get("经度"))
    if lat is not None and lng is not None and (round(lat, 5), round(lng, 5)) not in placeholders:
        rec["lat"], rec["lng"] = lat, lng
    elif resolve is not None:
        code = resolve(str(row.get("地区") or ""))
        if code:
            rec["region_code"] = code
    wmin, wmax = monthly_wage(row.get("最低薪资"), row.get("最高薪资"))
    if wmin is not None:
        rec["wage_min"] = wmin
    if wmax is not None:
        rec["wage_max"] = wmax
    return rec


def haversine_km(lat1: float, lng1: float, lat2: np.ndarray, lng2: np.ndarray) -> np.ndarray:
    p = math.pi / 180
    a = (np.sin((lat2 - lat1) * p / 2) ** 2
         + math.cos(lat1 * p) * np.cos(lat2 * p) * np.sin((lng2 - lng1) * p / 2) ** 2)
    return 12742.0 * np.arcsin(np.sqrt(a))


def select_subset(labels: dict[str, str], queries: list[Query], available: set[str], n_queries: int | None,
                  n_postings: int | None, seed: int, coords: dict[str, tuple[float, float] | None]) -> tuple[list[Query], list[str]]:
    """A smaller, still meaningful problem: the ``n_queries`` queries with most relevant postings,
    their relevant postings nearest first (round-robin, up to half of ``n_postings``), then other
    postings at random."""
    ids = sorted(i for i in labels if i in available)
    if n_queries is not None and n_queries < len(queries):
        counts = Counter(labels[i] for i in ids)
        queries = sorted(queries, key=lambda q: (-sum(counts[c] for c in q.relevant), q.id))[:n_queries]
        queries = sorted(queries, key=lambda q: q.id)
    if n_postings is None or n_postings >= len(ids):
        return queries, ids
    rng = random.Random(seed)
    per_query = []
    for q in queries:
        rel = [i for i in ids if labels[i] in q.relevant]
        rel.sort(key=lambda i: (float(haversine_km(q.lat, q.lng, np.array([coords[i][0]]), np.array([coords[i][1]]))[0])
                                if coords.get(i) else 1e9, i))
        per_query.append(rel)
    chosen: list[str] = []
    seen: set[str] = set()
    half = max(1, n_postings // 2)
    depth = 0
    while len(chosen) < half and any(depth < len(r) for r in per_query):
        for rel in per_query:
            if depth < len(rel) and rel[depth] not in seen and len(chosen) < half:
                chosen.append(rel[depth])
                seen.add(rel[depth])
        depth += 1
    rest = [i for i in ids if i not in seen]
    rng.shuffle(rest)
    chosen.extend(rest[: n_postings - len(chosen)])
    return queries, sorted(chosen)


# -- the four systems -------------------------------------------------------------------------------


@dataclass
class Ranked:
    """One system's answer to one query: job ids best first, and the full ranking's breakdowns."""

    ids: list[str]
    breakdowns: list[dict[str, Any]] = field(default_factory=list)


def _top(scores: np.ndarray, ids: Sequence[str], n: int) -> list[str]:
    # stable: ties keep corpus order (which is shuffled, so ties favour no occupation)
    order = np.argsort(-scores, kind="stable")[:n]
    return [ids[i] for i in order]


def rank_tfidf(job_texts: Sequence[str], ids: Sequence[str], queries: Sequence[Query], n: int) -> list[Ranked]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    from matcher.features.text import normalize

    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True, preprocessor=normalize)
    docs = vec.fit_transform(job_texts)
    qs = vec.transform([q.text for q in queries])
    sims = (qs @ docs.T).toarray()  # rows are L2-normalised: dot = cosine
    return [Ranked(_top(sims[i], ids, n)) for i in range(len(queries))]


def rank_bm25(job_texts: Sequence[str], ids: Sequence[str], queries: Sequence[Query], n: int) -> list[Ranked]:
    import bm25s

    from matcher.features.text import default_tokenizer

    cut = default_tokenizer().cut
    retriever = bm25s.BM25()
    retriever.index([cut(t) or ["_"] for t in job_texts], show_progress=False)
    out = []
    for q in queries:
        scores = np.asarray(retriever.get_scores(cut(q.text)), dtype=np.float64)
        out.append(Ranked(_top(scores, ids, n)))
    return out


def job_vectors(engine, ids: Sequence[str], texts: Sequence[str]) -> np.ndarray:
    """The job embeddings the engine stored when the jobs were upserted (same encoder, same text);
    any missing one is embedded now."""
    enc = engine.encoder
    got = {rid: np.frombuffer(v, dtype=np.float32)
           for rid, (_h, v) in engine.store.stored_vectors("job", enc.name, list(ids)).items()}
    missing = [i for i, rid in enumerate(ids) if rid not in got]
    if missing:
        vecs = enc.encode_documents([texts[i] for i in missing])
        for i, v in zip(missing, vecs, strict=True):
            got[ids[i]] = v
    return np.stack([got[rid] for rid in ids]).astype(np.float32)


def rank_encoder(engine, ids: Sequence[str], texts: Sequence[str], queries: Sequence[Query], n: int) -> list[Ranked]:
    from matcher.features.profiles import seeker_text

    docs = job_vectors(engine, ids, texts)
    qv = engine.encoder.encode_queries([seeker_text(q.profile()) for q in queries])
    sims = qv @ docs.T
    return [Ranked(_top(sims[i].astype(np.float64), ids, n)) for i in range(len(queries))]


def rank_with_encoder(enc, records: Sequence[dict], ids: Sequence[str], texts: Sequence[str],
                      queries: Sequence[Query], today: date,
                      open_kw: dict[str, Any], **engine_kw: Any
                      ) -> tuple[list[Ranked], list[Ranked], np.ndarray, list[np.ndarray]]:
    """Encoder-only and full rankings with another encoder ``enc``, in a second engine on a
    temporary home (``engine_kw``: its settings, e.g. ``occupation_knn=False``); also the job vectors
    it stored and its same-occupation lists from the titles."""
    from matcher.engine import MatchEngine

    with tempfile.TemporaryDirectory(prefix="matcher-eval-base-") as home:
        engine = MatchEngine.open(home=home, encoder=enc, **{**open_kw, **engine_kw})
        try:
            engine.upsert_jobs(records)
            engine.warm()
            return (rank_encoder(engine, ids, texts, queries, RESULTS), rank_full(engine, queries, RESULTS, today),
                    job_vectors(engine, ids, texts),
                    same_occupation.engine_orders(engine, [r["title"] for r in records], ids, today))
        finally:
            engine.close()


def paired_bootstrap(rows_a: Sequence[dict], rows_b: Sequence[dict], n: int = 2000,
                     seed: int = 0) -> dict[str, Any]:
    """Mean per-query difference a - b of nDCG (4-level, local) with a 95 % paired-bootstrap
    interval over the queries: the run-to-run noise of swapping one query set for a like one."""
    out: dict[str, Any] = {}
    rng = np.random.default_rng(seed)
    for key in ("ndcg4", "ndcg_local"):
        b_by = {r["query_id"]: r[key] for r in rows_b if r.get(key) is not None}
        d = np.array([r[key] - b_by[r["query_id"]] for r in rows_a
                      if r.get(key) is not None and r["query_id"] in b_by], dtype=np.float64)
        d = d[np.isfinite(d)]  # queries with nothing relevant (e.g. none within the local radius)
        if not len(d):
            continue
        means = d[rng.integers(0, len(d), size=(n, len(d)))].mean(axis=1)
        lo, hi = np.percentile(means, [2.5, 97.5])
        out[key] = {"mean_diff": float(d.mean()), "ci95": [float(lo), float(hi)], "queries": int(len(d)),
                    "better": int((d > 1e-9).sum()), "worse": int((d < -1e-9).sum())}
    return out


def rank_full(engine, queries: Sequence[Query], n: int, today: date, with_priority: bool = True) -> list[Ranked]:
    out = []
    for q in queries:
        matches = engine.match_jobs(q.profile(with_priority=with_priority), k=n, today=today)
        out.append(Ranked([m.id for m in matches], [dict(m.breakdown) for m in matches]))
    return out


# -- scoring ------------------------------------------------------------------------------------------


def reach_km(queries: Sequence[Query], locality=None) -> np.ndarray:
    """Each query's reach in straight-line km, by the engine's one circle definition
    (``matcher.ranking.reach``): a seeker who gave no commute limit and will not relocate."""
    from matcher.ranking import reach as R
    from matcher.ranking.config import LocalityConfig

    cfg = locality or LocalityConfig()
    n = len(queries)
    nan = np.full(n, np.nan)
    c = R.circles(np.array([q.area_type == "rural" for q in queries]), nan, nan, np.full(n, -1), np.zeros(n, bool),
                  np.zeros(n, bool), nan, nan, cfg)
    return c.km(c.reach, cfg.detour_factor)


def score_system(ranked: Sequence[Ranked], queries: Sequence[Query], corpus: Corpus, k: int,
                 local_km: float = LOCAL_KM, locality=None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Per-system metrics (means over queries with at least one relevant job) and per-query rows.
    Reach (``reach_*``): by the distance of each listed job from the query against the query's
    reach (:func:`reach_km`), the same for every system, over the top ``k``."""
    ids = corpus.ids
    reach = reach_km(queries, locality)
    reach_lists, has_reachable = [], []
    codes = [corpus.codes[i] for i in ids]
    lat = np.array([corpus.coords[i][0] if corpus.coords[i] else np.nan for i in ids])
    lng = np.array([corpus.coords[i][1] if corpus.coords[i] else np.nan for i in ids])
    pos = {rid: n for n, rid in enumerate(ids)}
    rows = []
    for q, r in zip(queries, ranked, strict=True):
        rel = set(q.relevant)
        g4_all = np.array([1.0 if c in rel else 0.0 for c in codes])
        g2_all = np.array([M.graded_gain(c, q.relevant) for c in codes])
        with np.errstate(invalid="ignore"):
            dist_all = haversine_km(q.lat, q.lng, lat, lng)
        local_all = g4_all * (np.nan_to_num(dist_all, nan=np.inf) <= local_km)
        idx = [pos[i] for i in r.ids if i in pos]
        g4, g2, gl = g4_all[idx], g2_all[idx], local_all[idx]
        within = np.nan_to_num(dist_all, nan=np.inf) <= reach[len(reach_lists)]
        reach_lists.append([bool(x) for x in within[idx][:k]])
        has_reachable.append(bool((within & (g4_all > 0)).any()))
        d_top = dist_all[idx][:k]
        row = {
            "query_id": q.id,
            "n_relevant": int(g4_all.sum()), "n_relevant_2": int((g2_all > 0).sum()),
            "n_relevant_local": int(local_all.sum()),
            "recall4": M.recall_at_k(g4, int(g4_all.sum()), k), "ndcg4": M.ndcg_at_k(g4, k, ideal=g4_all),
            "rr4": M.reciprocal_rank(g4) if g4_all.sum() else float("nan"),
            "recall2": M.recall_at_k(g2 > 0, int((g2_all > 0).sum()), k), "ndcg2": M.ndcg_at_k(g2, k, ideal=g2_all),
            "rr2": M.reciprocal_rank(g2) if g2_all.sum() else float("nan"),
            "recall_local": M.recall_at_k(gl, int(local_all.sum()), k), "ndcg_local": M.ndcg_at_k(gl, k, ideal=local_all),
            "rr_local": M.reciprocal_rank(gl) if local_all.sum() else float("nan"),
            "mean_km": float(np.nanmean(d_top)) if np.isfinite(d_top).any() else float("nan"),
            "top": r.ids[:k],
        }
        if r.breakdowns:
            km = [b.get("distance_km") for b in r.breakdowns[:k] if b.get("distance_km") is not None]
            row["engine_mean_km"] = float(np.mean(km)) if km else float("nan")
        rows.append(row)
    tops = [row["top"] for row in rows]
    counts = Counter(i for t in tops for i in t)
    summary = {
        "recall@k": M.mean(r["recall4"] for r in rows), "ndcg@k": M.mean(r["ndcg4"] for r in rows),
        "mrr": M.mean(r["rr4"] for r in rows),
        "recall@k_2level": M.mean(r["recall2"] for r in rows), "ndcg@k_2level": M.mean(r["ndcg2"] for r in rows),
        "mrr_2level": M.mean(r["rr2"] for r in rows),
        "recall@k_local": M.mean(r["recall_local"] for r in rows), "ndcg@k_local": M.mean(r["ndcg_local"] for r in rows),
        "mrr_local": M.mean(r["rr_local"] for r in rows),
        "coverage@k": M.coverage(tops, ids), "gini@k": M.gini([counts.get(i, 0) for i in ids]),
        "mean_km@k": M.mean(r["mean_km"] for r in rows),
        "queries_scored": sum(1 for r in rows if r["n_relevant"] > 0),
        "queries_scored_local": sum(1 for r in rows if r["n_relevant_local"] > 0),
        **{f"reach_{key}": v for key, v in M.reach_order(reach_lists, has_reachable).items()},
    }
    if ranked and ranked[0].breakdowns is not None and any(r.breakdowns for r in ranked):
        summary["share_inside_circle@k"] = M.share_inside_circle([r.breakdowns for r in ranked], k)
        summary["engine_mean_km@k"] = M.mean(r.get("engine_mean_km") for r in rows)
    return summary, rows


# -- tuning and priority ------------------------------------------------------------------------------


def _split_halves(queries: Sequence[Query]) -> tuple[set[str], set[str]]:
    """Tune on odd-numbered queries, check on even-numbered ones (q001 -> tune, q002 -> held out)."""
    tune, hold = set(), set()
    for n, q in enumerate(sorted(queries, key=lambda q: q.id)):
        (tune if n % 2 == 0 else hold).add(q.id)
    return tune, hold


def _mean_over(rows: Sequence[dict], ids: set[str], key: str) -> float:
    return M.mean(r[key] for r in rows if r["query_id"] in ids)


def tune_weights(engine, queries: Sequence[Query], corpus: Corpus, k: int, today: date,
                 grid: Sequence[dict[str, float]] = WEIGHT_GRID, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Run the full ranking once per setting and choose on the tuning half of the queries.

    The criterion is nDCG@k with local relevance (right occupation within ``LOCAL_KM``), what a
    person who will not move feels: the 4-level nDCG (right occupation, anywhere) alone rewards
    ignoring distance, which the product must not do (DESIGN.md section 3, service circles). The
    held-out half shows how much of the gain is fitted noise; the setting that the 4-level nDCG
    alone would pick is reported too. Leaves ``engine.ranking`` as it found it."""
    from matcher.ranking.config import RankingConfig

    before = engine.ranking
    base = before.model_dump()
    grid = [_narrow(w, base) for w in grid]
    tune, hold = _split_halves(queries)
    settings = []
    try:
        for n, weights in enumerate(grid, 1):
            engine.ranking = RankingConfig(**{**base, **weights})
            t0 = time.perf_counter()
            summary, rows = score_system(rank_full(engine, queries, RESULTS, today), queries, corpus, k,
                                         locality=engine.ranking.locality_cfg)
            entry = {
                "weights": dict(weights),
                "ndcg@k": summary["ndcg@k"], "ndcg@k_tune": _mean_over(rows, tune, "ndcg4"),
                "ndcg@k_heldout": _mean_over(rows, hold, "ndcg4"), "ndcg@k_2level": summary["ndcg@k_2level"],
                "ndcg@k_local": summary["ndcg@k_local"], "ndcg@k_local_tune": _mean_over(rows, tune, "ndcg_local"),
                "ndcg@k_local_heldout": _mean_over(rows, hold, "ndcg_local"),
                "recall@k": summary["recall@k"], "mrr": summary["mrr"], "mrr_local": summary["mrr_local"],
                "share_inside_circle@k": summary.get("share_inside_circle@k"), "mean_km@k": summary["mean_km@k"],
                "seconds": round(time.perf_counter() - t0, 1),
                "summary": summary,
            }
            entry["criterion_tune"] = entry["ndcg@k_local_tune"]
            entry["criterion_heldout"] = entry["ndcg@k_local_heldout"]
            settings.append(entry)
            log(f"  调参 / tuning {n}/{len(grid)} {_fmt_weights(weights)}: nDCG@{k} {entry['ndcg@k']:.3f}, "
                f"local {entry['ndcg@k_local']:.3f} (criterion tune {entry['criterion_tune']:.3f} / "
                f"held-out {entry['criterion_heldout']:.3f})")
    finally:
        engine.ranking = before
    best = max(range(len(settings)), key=lambda i: (settings[i]["criterion_tune"], settings[i]["criterion_heldout"]))
    best4 = max(range(len(settings)), key=lambda i: (settings[i]["ndcg@k_tune"], settings[i]["ndcg@k_heldout"]))
    return {"split": {"tune": sorted(tune), "heldout": sorted(hold)},
            "criterion": f"nDCG@{k} (local) on the tuning half",
            "settings": settings, "best_index": best, "best": settings[best], "default": settings[0],
            "best_by_4level_ndcg_only_index": best4}


def priority_lift(engine, queries: Sequence[Query], corpus: Corpus, k: int = 50, max_jobs: int = 80,
                  seed: int = 0) -> dict[str, Any]:
    """Upsert the queries as consenting seekers, rank candidates for jobs that priority seekers
    want, once with their priority groups and once without; report the mean rank lift."""
    prio = [q for q in queries if q.priority_groups]
    if not prio:
        return {"skipped": "no query has priority groups"}
    wanted = sorted({i for i in corpus.ids if any(corpus.codes[i] in q.relevant for q in prio)})
    random.Random(seed).shuffle(wanted)
    jobs = sorted(wanted[:max_jobs])
    prio_ids = {q.id for q in prio}

    def ranks() -> dict[tuple[str, str], int]:
        out = {}
        for j in jobs:
            for n, m in enumerate(engine.match_candidates(j, k=k), 1):
                if m.id in prio_ids:
                    out[(j, m.id)] = n
        return out

    engine.upsert_seekers([q.profile(with_priority=True) for q in queries])
    with_p = ranks()
    engine.upsert_seekers([q.profile(with_priority=False) for q in queries])
    without = ranks()
    pairs = sorted(set(with_p) | set(without))
    a = [with_p.get(p) for p in pairs]
    b = [without.get(p) for p in pairs]
    return {
        "jobs": len(jobs), "priority_seekers": len(prio), "pairs": len(pairs), "k": k,
        "mean_rank_lift": M.priority_rank_lift(a, b),
        "mean_rank_lift_missing_as_k+1": M.priority_rank_lift(a, b, missing_rank=k + 1),
        "share_moved_up": (sum(1 for x, y in zip(a, b, strict=True) if x and (y is None or x < y)) / len(pairs))
        if pairs else float("nan"),
    }


# -- run ---------------------------------------------------------------------------------------------


def _narrow(weights: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """A grid entry with ``"cosine": "narrow"`` as explicit floor/ceiling: the floor raised by 45 % of
    the encoder's range, the ceiling by a quarter of what is left to 1."""
    w = dict(weights)
    if w.pop("cosine", None) == "narrow":
        f, c = base["semantic_floor"], base["semantic_ceiling"]
        w["semantic_floor"] = round(f + 0.45 * (c - f), 3)
        w["semantic_ceiling"] = round(c + 0.25 * (1 - c), 3)
    return w


def _fmt_weights(w: dict[str, float]) -> str:
    text = "/".join(f"{w[key]:.2f}" for key in ("semantic", "occupation", "skills", "locality"))
    if "semantic_floor" in w or "semantic_ceiling" in w:
        text += f" cos{w.get('semantic_floor'):.2f}-{w.get('semantic_ceiling'):.2f}"
    return text


def machine_info() -> dict[str, Any]:
    import importlib.metadata as md

    versions = {}
    for pkg in ("numpy", "scikit-learn", "bm25s", "jieba", "torch", "faiss-cpu", "sentence-transformers", "pandas",
                "hebei-job-matcher"):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            versions[pkg] = None
    return {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "processor": platform.processor(), "versions": versions}


def run(*, data_dir: str | Path | None = None, labels_path: str | Path | None = None,
        queries_path: str | Path | None = None, k: int = 10, n_queries: int | None = None,
        n_postings: int | None = None, tune: bool = True, weight_grid: Sequence[dict[str, float]] | None = None,
        priority: bool = True, encoder=None, model_cache: str | Path | None = None, home: str | Path | None = None,
        full_classification: bool = False, today: date | None = None, local_km: float = LOCAL_KM, seed: int = 0,
        baseline_encoder: str | None = BASELINE_ENCODER, baseline_knn: bool = False,
        log: Callable[[str], None] = print) -> dict[str, Any]:
    """Evaluate the four systems; returns the result dict (also what :func:`main` writes as JSON).

    ``n_queries`` / ``n_postings`` evaluate a smaller subset (see :func:`select_subset`);
    ``encoder`` lets a caller share a loaded model; ``home`` defaults to a fresh temporary folder.
    Raises :class:`SharedDataMissing` when the reference postings are absent.
    """
    from matcher.engine import MatchEngine
    from matcher.features.profiles import job_text

    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    data_dir = Path(data_dir) if data_dir is not None else SHARED_DATA
    check_shared_data(data_dir)
    today = today or DEFAULT_TODAY
    labels = load_labels(Path(labels_path) if labels_path else LABELS_FILE)
    queries_all = load_queries(Path(queries_path) if queries_path else QUERIES_FILE)

    t0 = time.perf_counter()
    full_df, df = read_postings(data_dir, labels)
    placeholders = placeholder_points(full_df)
    del full_df
    timings["read_postings_s"] = round(time.perf_counter() - t0, 2)
    missing = sorted(set(labels) - set(df.index))
    coords_all = {}
    for pid, row in df.iterrows():
        la, lo = _num(row.get("纬度")), _num(row.get("经度"))
        ok = la is not None and lo is not None and (round(la, 5), round(lo, 5)) not in placeholders
        coords_all[pid] = (la, lo) if ok else None
    queries, chosen = select_subset(labels, queries_all, set(df.index), n_queries, n_postings, seed, coords_all)

    tmp = None
    if home is None:
        tmp = tempfile.TemporaryDirectory(prefix="matcher-eval-")
        home = tmp.name
    open_kw: dict[str, Any] = {"sync_interval": 0}
    if model_cache is not None:
        open_kw["model_cache"] = Path(model_cache)
    if full_classification and (data_dir / CLASSIFICATION_FILE).exists():
        open_kw["occupations_full_path"] = data_dir / CLASSIFICATION_FILE
    engine = MatchEngine.open(home=home, encoder=encoder, **open_kw)
    try:
        gaz = engine.ctx.gazetteer
        # the gazetteer knows Hebei only: a posting without coordinates gets a region code when its
        # area names a Hebei city (石家庄市 -> 130100), never a same-named district elsewhere
        city_names = [p.name.removesuffix("市") for p in gaz.cities()]

        def resolve(text: str) -> str | None:
            if not text or not any(n and n in text for n in city_names):
                return None
            place = gaz.resolve(text)
            return place.code if place is not None else None

        # corpus order is shuffled so that ties in a baseline's scores favour no occupation
        order = list(chosen)
        random.Random(seed).shuffle(order)
        records = [job_record(pid, df.loc[pid], placeholders, resolve) for pid in order]
        corpus = Corpus(records, {pid: labels[pid] for pid in order}, {pid: coords_all[pid] for pid in order},
                        missing, len(placeholders))
        texts = [job_text(r) for r in records]
        ids = corpus.ids
        log(f"语料 / corpus: {len(ids)} 条岗位 postings, {len(set(corpus.codes.values()))} 个职业 occupations, "
            f"{len(queries)} 条查询 queries")

        t0 = time.perf_counter()
        engine.upsert_jobs(records)
        engine.warm()
        timings["engine_load_and_embed_s"] = round(time.perf_counter() - t0, 2)

        ranked: dict[str, list[Ranked]] = {}
        for name, fn in (
            ("tfidf", lambda: rank_tfidf(texts, ids, queries, RESULTS)),
            ("bm25", lambda: rank_bm25(texts, ids, queries, RESULTS)),
            ("encoder", lambda: rank_encoder(engine, ids, texts, queries, RESULTS)),
            ("full", lambda: rank_full(engine, queries, RESULTS, today)),
        ):
            t0 = time.perf_counter()
            ranked[name] = fn()
            timings[f"{name}_s"] = round(time.perf_counter() - t0, 2)
            log(f"  {SYSTEM_LABELS[name][0]} / {SYSTEM_LABELS[name][1]}: {timings[f'{name}_s']} s")
        # the old (un-adapted) encoder side by side, and same-occupation retrieval from titles
        t0 = time.perf_counter()
        titles = [r["title"] for r in records]
        sims = {"encoder": engine.encoder.encode_queries(titles) @ job_vectors(engine, ids, texts).T,
                "full": same_occupation.engine_orders(engine, titles, ids, today)}
        base_name = None
        if baseline_encoder:
            from matcher.features.encoder import open_encoder

            base_enc = open_encoder(baseline_encoder, open_kw.get("model_cache"))
            if base_enc.name != engine.encoder.name:
                base_name = base_enc.name
                ranked["encoder_base"], ranked["full_base"], base_docs, sims["full_base"] = rank_with_encoder(
                    base_enc, records, ids, texts, queries, today, open_kw, occupation_knn=baseline_knn)
                sims["encoder_base"] = base_enc.encode_queries(titles) @ base_docs.T
            del base_enc
        same_occ = same_occupation.run(titles, texts, [corpus.codes[i] for i in ids], sims, k)
        timings["baseline_and_same_occupation_s"] = round(time.perf_counter() - t0, 2)
        log(f"  {baseline_encoder} + same-occupation: {timings['baseline_and_same_occupation_s']} s")

        systems: dict[str, Any] = {}
        rows_by_system: dict[str, list[dict[str, Any]]] = {}
        by_style: dict[str, dict[str, Any]] = {}
        styles = sorted({q.style for q in queries if q.style})
        per_query: dict[str, dict[str, Any]] = {q.id: {"query_id": q.id, "wish": q.wish, "place": q.place, "style": q.style,
                                                       "relevant_codes": list(q.relevant)} for q in queries}
        for name in (n for n in SYSTEMS if n in ranked):
            summary, rows = score_system(ranked[name], queries, corpus, k, local_km, engine.ranking.locality_cfg)
            systems[name] = summary
            rows_by_system[name] = rows
            for st in styles:
                ids_st = {q.id for q in queries if q.style == st}
                by_style.setdefault(st, {"queries": len(ids_st)})[name] = {
                    "ndcg@k": _mean_over(rows, ids_st, "ndcg4"), "mrr": _mean_over(rows, ids_st, "rr4"),
                    "ndcg@k_local": _mean_over(rows, ids_st, "ndcg_local"), "mrr_local": _mean_over(rows, ids_st, "rr_local")}
            for row in rows:
                pq = per_query[row["query_id"]]
                pq.setdefault("n_relevant", row["n_relevant"])
                pq.setdefault("n_relevant_local", row["n_relevant_local"])
                pq[name] = {"ndcg": _round(row["ndcg4"]), "rr": _round(row["rr4"]), "recall": _round(row["recall4"]),
                            "ndcg_local": _round(row["ndcg_local"]), "top3": row["top"][:3]}

        # how often the engine's inferred occupation agrees with the team's label (explains the ranking)
        inferred = {}
        prof = engine.ctx.profiler
        for r in records:
            hits = prof.job(r).occupations
            inferred[r["id"]] = hits[0].code if hits else None
        agree4 = M.mean(1.0 if inferred[i] == corpus.codes[i] else 0.0 for i in ids)
        agree2 = M.mean(1.0 if inferred[i] and M.occupation_group(inferred[i]) == M.occupation_group(corpus.codes[i])
                        else 0.0 for i in ids)

        tuning = None
        if tune:
            t0 = time.perf_counter()
            tuning = tune_weights(engine, queries, corpus, k, today, weight_grid or WEIGHT_GRID, log)
            timings["tuning_s"] = round(time.perf_counter() - t0, 2)
            # the chosen setting's full row (the held-out half is in the tuning block)
            systems["full_tuned"] = dict(tuning["best"]["summary"], weights=tuning["best"]["weights"])
        prio = None
        if priority:
            t0 = time.perf_counter()
            prio = priority_lift(engine, queries, corpus, seed=seed)
            timings["priority_s"] = round(time.perf_counter() - t0, 2)
        encoder_name = engine.encoder.name
        comparison = {key: paired_bootstrap(rows_by_system[a], rows_by_system[b], seed=seed)
                      for key, (a, b) in (("full_vs_full_base", ("full", "full_base")),
                                          ("encoder_vs_encoder_base", ("encoder", "encoder_base")))
                      if a in rows_by_system and b in rows_by_system}
        ranking_defaults = engine.ranking.model_dump()
    finally:
        engine.close()
        if tmp is not None:
            tmp.cleanup()
    timings["total_s"] = round(time.perf_counter() - t_start, 2)

    full, tfidf, enc = systems["full"]["ndcg@k"], systems["tfidf"]["ndcg@k"], systems["encoder"]["ndcg@k"]
    tuned_ratios = {}
    if "full_tuned" in systems and tfidf and enc:
        ft = systems["full_tuned"]
        tuned_ratios = {
            "full_tuned_vs_tfidf_ndcg": ft["ndcg@k"] / tfidf, "full_tuned_vs_encoder_ndcg": ft["ndcg@k"] / enc,
            "full_tuned_vs_tfidf_ndcg_local": (ft["ndcg@k_local"] / systems["tfidf"]["ndcg@k_local"]
                                               if systems["tfidf"]["ndcg@k_local"] else float("nan")),
            "target_met_tuned": bool(ft["ndcg@k"] >= 1.5 * tfidf and ft["ndcg@k"] > enc),
        }
    result = {
        "machine": machine_info(),
        "parameters": {
            "k": k, "results_per_system": RESULTS, "local_km": local_km, "today": today.isoformat(), "seed": seed,
            "n_queries": n_queries, "n_postings": n_postings, "data_dir": str(data_dir),
            "labels": str(labels_path or LABELS_FILE.relative_to(PROJECT_ROOT)),
            "queries": str(queries_path or QUERIES_FILE.relative_to(PROJECT_ROOT)),
            "encoder": encoder_name, "full_classification": bool(full_classification),
            "description_chars": DESCRIPTION_CHARS, "ranking_defaults": ranking_defaults,
            "tfidf": "char 1-2-gram, sublinear tf, query = wish + skills",
            "bm25": "bm25s defaults (k1=1.5, b=0.75, lucene), jieba cut of job_text / wish + skills",
            "encoder_only": "cosine(seeker_text embedding, job_text embedding)",
            "mrr": f"over the first {RESULTS} results",
        },
        "corpus": {
            "postings": len(corpus.ids), "occupations": len(set(corpus.codes.values())),
            "major_groups": dict(sorted(Counter(c[0] for c in corpus.codes.values()).items())),
            "with_coordinates": sum(1 for v in corpus.coords.values() if v),
            "with_region_only": sum(1 for r in records if "region_code" in r),
            "label_ids_not_found": len(corpus.missing_ids), "placeholder_points": corpus.placeholder_points,
            "queries": len(queries), "queries_with_priority": sum(1 for q in queries if q.priority_groups),
            "engine_occupation_agreement_4level": agree4, "engine_occupation_agreement_2level": agree2,
        },
        "systems": systems,
        "by_style": by_style,
        "ratios": {
            "full_vs_tfidf_ndcg": full / tfidf if tfidf else float("nan"),
            "full_vs_encoder_ndcg": full / enc if enc else float("nan"),
            "full_vs_tfidf_ndcg_local": (systems["full"]["ndcg@k_local"] / systems["tfidf"]["ndcg@k_local"]
                                         if systems["tfidf"]["ndcg@k_local"] else float("nan")),
            "max_possible_vs_tfidf_ndcg": 1.0 / tfidf if tfidf else float("nan"),
            **tuned_ratios,
            "target": "full nDCG@10 >= 1.5 x TF-IDF and > encoder only",
            "target_met": bool(tfidf and full >= 1.5 * tfidf and full > enc),
        },
        "encoder_comparison": {"baseline": baseline_encoder, "baseline_name": base_name,
                               "baseline_occupation_knn": baseline_knn, **comparison},
        "same_occupation_from_title": same_occ,
        "tuning": tuning,
        "priority": prio,
        "timings": timings,
        "per_query": list(per_query.values()),
    }
    return _clean_json(result)


def _round(x: float | None, nd: int = 4) -> float | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return round(float(x), nd)


def _clean_json(obj: Any) -> Any:
    """nan -> None and numpy scalars -> Python (strict JSON)."""
    if isinstance(obj, dict):
        return {k: _clean_json(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean_json(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float):
        return None if math.isnan(obj) or math.isinf(obj) else round(obj, 6)
    return obj


# -- report ----------------------------------------------------------------------------------------


def _f(x: Any, nd: int = 3) -> str:
    return "  -  " if x is None else f"{x:.{nd}f}"


def format_report(result: dict[str, Any]) -> str:
    k = result["parameters"]["k"]
    c = result["corpus"]
    lines = [
        f"开发集 / devset: {c['postings']} 条岗位 postings, {c['occupations']} 个职业 occupations (4-level), "
        f"{c['queries']} 条查询 queries; 引擎推断职业与标注一致 / engine's inferred occupation agrees with the label: "
        f"{_f(c['engine_occupation_agreement_4level'], 2)} (4级 4-level), {_f(c['engine_occupation_agreement_2level'], 2)} (2级 2-level)",
        "",
        f"{'系统 / system':<28}{'召回@' + str(k):>10}{'nDCG@' + str(k):>10}{'MRR':>8}"
        f"{'召回@' + str(k) + '二级':>12}{'nDCG二级':>10}{'MRR二级':>9}{'nDCG本地':>10}{'MRR本地':>9}",
        f"{'':<28}{'recall@' + str(k):>10}{'nDCG@' + str(k):>10}{'MRR':>8}{'recall 2-lvl':>12}{'nDCG 2-lvl':>10}"
        f"{'MRR 2-lvl':>9}{'nDCG local':>10}{'MRR local':>9}",
    ]
    shown = [n for n in (*SYSTEMS, "full_tuned") if n in result["systems"]]
    for name in shown:
        s = result["systems"][name]
        label = f"{SYSTEM_LABELS[name][0]} / {SYSTEM_LABELS[name][1]}"
        lines.append(f"{label:<28}{_f(s['recall@k']):>10}{_f(s['ndcg@k']):>10}{_f(s['mrr']):>8}"
                     f"{_f(s['recall@k_2level']):>12}{_f(s['ndcg@k_2level']):>10}{_f(s['mrr_2level']):>9}"
                     f"{_f(s['ndcg@k_local']):>10}{_f(s['mrr_local']):>9}")
    lines += ["", f"{'系统 / system':<28}{'覆盖率':>8}{'基尼':>8}{'平均距离km':>12}{'圈内占比':>10}"
                  f"{'远在近前':>10}{'首条超范围':>10}{'可达却首条远':>10}{'无可达':>8}",
              f"{'':<28}{'coverage':>8}{'Gini':>8}{'mean km':>12}{'in circle':>10}"
              f"{'far>near':>10}{'1st far':>10}{'1st far*':>10}{'none':>8}"]
    for name in shown:
        s = result["systems"][name]
        label = f"{SYSTEM_LABELS[name][0]} / {SYSTEM_LABELS[name][1]}"
        lines.append(f"{label:<28}{_f(s['coverage@k']):>8}{_f(s['gini@k']):>8}{_f(s['mean_km@k'], 1):>12}"
                     f"{_f(s.get('share_inside_circle@k')):>10}{_f(s.get('reach_inversions')):>10}"
                     f"{_f(s.get('reach_first_beyond')):>10}{_f(s.get('reach_first_beyond_though_reachable')):>10}"
                     f"{_f(s.get('reach_nothing_reachable')):>8}")
    lines += ["远在近前 / far>near: 前{k}条中超出通勤范围的岗位排在范围内岗位之前的列表占比（应为0）；首条超范围 / 1st far: 首条岗位超出"
              "通勤范围的占比；可达却首条远 / 1st far*: 范围内有对口岗位却首条超范围的占比；无可达 / none: 范围内没有对口岗位的查询占比"
              "（均为不愿迁移的求职者，按引擎的就业圈定义 / non-relocating seekers, the engine's circle definition)".replace(
                  "{k}", str(k))]
    bs = result.get("by_style") or {}
    if bs:
        lines += ["", f"按查询说法 / by query style (nDCG@{k} 4级 4-level | 本地 local):"]
        for st, d in bs.items():
            name = {"plain": "口语 plain words", "title": "职位名 job title"}.get(st, st)
            cells = "  ".join(f"{SYSTEM_LABELS[n][1]} {_f(d[n]['ndcg@k'])}|{_f(d[n]['ndcg@k_local'])}"
                              for n in SYSTEMS if n in d)
            lines.append(f"  {name} ({d['queries']}): {cells}")
    cmp = result.get("encoder_comparison") or {}
    for key, label in (("full_vs_full_base", "完整排序 适配 - 未适配 / full ranking, adapted - un-adapted"),
                       ("encoder_vs_encoder_base", "仅向量 适配 - 未适配 / encoder only, adapted - un-adapted")):
        if key in cmp:
            cells = "; ".join(f"{m} {v['mean_diff']:+.3f} [95% {v['ci95'][0]:+.3f}, {v['ci95'][1]:+.3f}] "
                              f"({v['better']}↑ {v['worse']}↓)" for m, v in cmp[key].items())
            lines.append(f"{label}: {cells}")
    so = result.get("same_occupation_from_title") or {}
    if so:
        lines += ["", f"同职业检索（以职位名为查询，留一法）/ same-occupation retrieval from the title, leave-one-out "
                      f"({next(iter(so.values()))['queries']} 条 postings):"]
        for name, v in so.items():
            label = {"tfidf": "char TF-IDF", "encoder": "encoder (configured)", "encoder_base": "encoder, un-adapted",
                     "full": "full engine", "full_base": "full engine, un-adapted"}
            label = label.get(name) or (label.get(name.removesuffix("+tfidf"), name) + " + TF-IDF (fused)")
            lines.append(f"  {label:<34} nDCG@{k} {_f(v['ndcg@k'])}  2-lvl {_f(v['ndcg@k_2level'])}  MRR {_f(v['mrr'])}"
                         f"  = {_f(v['vs_tfidf'], 2)} x TF-IDF")
    r = result["ratios"]
    lines += ["", f"完整排序 nDCG@{k} 为 TF-IDF 的 {_f(r['full_vs_tfidf_ndcg'], 2)} 倍、仅向量模型的 "
              f"{_f(r['full_vs_encoder_ndcg'], 2)} 倍（目标 ≥1.5 倍且高于仅向量模型：{'达到' if r['target_met'] else '未达到'}）",
              f"full ranking nDCG@{k} = {_f(r['full_vs_tfidf_ndcg'], 2)} x TF-IDF, {_f(r['full_vs_encoder_ndcg'], 2)} x "
              f"encoder only (target >= 1.5 x and above the encoder: {'met' if r['target_met'] else 'not met'})"]
    if "full_tuned_vs_tfidf_ndcg" in r:
        lines += [f"调参后 / tuned: {_f(r['full_tuned_vs_tfidf_ndcg'], 2)} x TF-IDF, {_f(r['full_tuned_vs_encoder_ndcg'], 2)} x "
                  f"encoder only; 本地 local nDCG {_f(r['full_tuned_vs_tfidf_ndcg_local'], 2)} x TF-IDF"]
    lines += [f"TF-IDF nDCG@{k} = {_f(result['systems']['tfidf']['ndcg@k'])}：任何系统至多为其 "
              f"{_f(r['max_possible_vs_tfidf_ndcg'], 2)} 倍 / no system can exceed {_f(r['max_possible_vs_tfidf_ndcg'], 2)} x "
              f"(nDCG <= 1)"]
    t = result.get("tuning")
    if t:
        lines += ["", f"权重调参（语义/职业/技能/本地）/ weight tuning (semantic/occupation/skills/locality), "
                      f"{t['criterion']}:",
                  f"{'':<4}{'权重 weights':<36}{'nDCG 4级':>9}{'nDCG本地':>9}{'二级':>7}{'准则调参半':>11}{'准则留出半':>11}",
                  f"{'':<4}{'':<36}{'4-level':>9}{'local':>9}{'2-lvl':>7}{'crit. tune':>11}{'crit. held':>11}"]
        for n, s in enumerate(t["settings"]):
            mark = " *" if n == t["best_index"] else ""
            lines.append(f"{n + 1:<4}{_fmt_weights(s['weights']):<36}{_f(s['ndcg@k']):>9}{_f(s['ndcg@k_local']):>9}"
                         f"{_f(s['ndcg@k_2level']):>7}{_f(s['criterion_tune']):>11}{_f(s['criterion_heldout']):>11}{mark}")
        lines.append(f"最佳 / best: {_fmt_weights(t['best']['weights'])}；仅按4级nDCG / by 4-level nDCG alone: "
                     f"{_fmt_weights(t['settings'][t['best_by_4level_ndcg_only_index']]['weights'])}")
    p = result.get("priority")
    if p and "mean_rank_lift" in p:
        lines += ["", f"优先群体名次提升 / priority rank lift in candidate lists: 平均 mean {_f(p['mean_rank_lift'], 2)} 名 ranks "
                      f"({p['pairs']} 对 pairs, {p['jobs']} 个岗位 jobs, 前 top {p['k']})"]
    lines += ["", f"用时 / time: {result['timings']['total_s']} s"]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="matcher evaluate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default=None, help=f"folder with the shared postings (default {SHARED_DATA})")
    p.add_argument("--labels", default=None, help="devset labels CSV (default evaluation/data/devset_labels.csv)")
    p.add_argument("--queries", default=None, help="queries CSV (default evaluation/data/queries.csv)")
    p.add_argument("--out", default="out/evaluate.json", help="where to write the JSON (default out/evaluate.json)")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--local-km", type=float, default=LOCAL_KM, help="radius of the 'local' relevance variant")
    p.add_argument("--n-queries", type=int, default=None, help="evaluate only this many queries")
    p.add_argument("--n-postings", type=int, default=None, help="evaluate on only this many postings")
    p.add_argument("--no-tune", action="store_true", help="skip the weight grid")
    p.add_argument("--no-priority", action="store_true", help="skip the priority-lift experiment")
    p.add_argument("--full-classification", action="store_true",
                   help="load the full 2022 classification from the data folder into the taxonomy")
    p.add_argument("--model-cache", default=None, help="where the default encoder is built (default: settings)")
    p.add_argument("--today", default=None, help="ranking date, YYYY-MM-DD (default 2025-03-31)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--baseline-knn", action="store_true",
                   help="the baseline engine also infers occupations with the nearest taxonomy codes "
                        "(default: rules only, as before the adapter)")
    p.add_argument("--baseline-encoder", default=BASELINE_ENCODER,
                   help="encoder compared with the configured one (default e5-base: no job-domain adapter; "
                        "'none' to skip)")
    args = p.parse_args(argv)

    data_dir = Path(args.data_dir) if args.data_dir else SHARED_DATA
    try:
        check_shared_data(data_dir)
    except SharedDataMissing:
        print(f"跳过评测：未找到参考岗位数据 {data_dir}（需要 {' 或 '.join(POSTINGS_FILES)}）。")
        print(f"Evaluation skipped: the reference postings are not on this machine ({data_dir}; "
              f"expected {' or '.join(POSTINGS_FILES)}).")
        return 0
    model_cache = args.model_cache
    if model_cache is None:
        from matcher.settings import load_settings

        model_cache = load_settings().resolved_model_cache
    result = run(data_dir=data_dir, labels_path=args.labels, queries_path=args.queries, k=args.k,
                 n_queries=args.n_queries, n_postings=args.n_postings, tune=not args.no_tune,
                 priority=not args.no_priority, model_cache=model_cache, full_classification=args.full_classification,
                 today=date.fromisoformat(args.today) if args.today else None, local_km=args.local_km, seed=args.seed,
                 baseline_encoder=None if args.baseline_encoder in ("", "none") else args.baseline_encoder,
                 baseline_knn=args.baseline_knn)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print()
    print(format_report(result))
    print(f"\n结果已写入 / JSON written: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
