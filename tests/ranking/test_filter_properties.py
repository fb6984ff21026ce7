"""Property tests: whatever the records, a returned match never violates a hard filter.

The rules are re-stated here in plain Python on the record dicts, independently of the vectorised
implementation, and checked against the ranker's output for random jobs and seekers."""

from datetime import date, timedelta

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ranking_fakes import IdentityVocab, NoTaxonomy

from matcher.features.profiles import Profile
from matcher.features.tables import CodeBook, JobTable, SeekerTable, job_features, seeker_features
from matcher.geography import Gazetteer
from matcher.ranking.config import RankingConfig
from matcher.ranking.ranker import rank
from matcher.ranking.signals import job_pairs, seeker_pairs
from matcher.vocab import EDUCATION_RANK, Education

TODAY = date(2026, 11, 20)
EDU = [e.value for e in Education]
TYPES = ["full_time", "part_time", "gig", "internship", "seasonal"]
GROUPS = ["disabled", "older_4050", "low_income"]
LICENSES = ["焊工证", "电工证", "B2驾照"]


jobs_st = st.lists(
    st.fixed_dictionaries({
        "status": st.sampled_from(["open", "open", "open", "paused", "closed", "filled"]),
        "expires": st.integers(-5, 30),
        "wage_max": st.one_of(st.none(), st.integers(1500, 9000)),
        "employment_type": st.sampled_from(TYPES),
        "education_min": st.one_of(st.none(), st.sampled_from(EDU)),
        "age_max": st.one_of(st.none(), st.integers(20, 65)),
        "licenses_required": st.lists(st.sampled_from(LICENSES), max_size=2, unique=True),
        "public_welfare": st.booleans(),
        "km": st.one_of(st.none(), st.floats(0, 40)),
    }),
    min_size=1, max_size=25,
)
seeker_st = st.fixed_dictionaries({
    "desired_wage_min": st.one_of(st.none(), st.integers(1500, 8000)),
    "employment_types": st.lists(st.sampled_from(TYPES), max_size=2, unique=True),
    "education": st.one_of(st.none(), st.sampled_from(EDU)),
    "age": st.integers(16, 64),
    "certificates": st.lists(st.sampled_from(LICENSES), max_size=3, unique=True),
    "priority_groups": st.lists(st.sampled_from(GROUPS), max_size=2, unique=True),
    "hard": st.booleans(),
    "status": st.sampled_from(["unemployed", "seeking", "employed"]),
    "consent": st.booleans(),
})


def _job_dict(i, j):
    d = {"id": f"J{i}", "title": "岗位", "status": j["status"], "employment_type": j["employment_type"],
         "education_min": j["education_min"], "age_max": j["age_max"], "wage_min": None, "wage_max": j["wage_max"],
         "licenses_required": j["licenses_required"], "public_welfare": j["public_welfare"],
         "posted_at": (TODAY - timedelta(days=10)).isoformat(),
         "expires_at": (TODAY + timedelta(days=j["expires"])).isoformat(), "region_code": "130102"}
    if j["km"] is not None:
        d["lat"], d["lng"] = 38.0 + j["km"] / 111.0, 114.5
    return d


def _seeker_dict(s):
    born = date(TODAY.year - s["age"], 1, 1)
    return {"id": "S", "desired_wage_min": s["desired_wage_min"], "employment_types": s["employment_types"],
            "education": s["education"], "birth_date": born.isoformat(), "certificates": s["certificates"],
            "priority_groups": s["priority_groups"], "lat": 38.0, "lng": 114.5, "area_type": "rural",
            "max_distance_km": 5.0, "hard_distance_limit": s["hard"], "status": s["status"],
            "consent_to_share": s["consent"], "region_code": "130102"}


def _allowed(job, seeker, km):
    """The hard filters, stated independently."""
    age = TODAY.year - int(seeker["birth_date"][:4])
    if job["status"] != "open" or date.fromisoformat(job["expires_at"]) < TODAY:
        return False
    if seeker["desired_wage_min"] and job["wage_max"] and job["wage_max"] < seeker["desired_wage_min"]:
        return False
    if seeker["employment_types"] and job["employment_type"] not in seeker["employment_types"]:
        return False
    if job["education_min"] and seeker["education"] and EDUCATION_RANK[Education(seeker["education"])] < EDUCATION_RANK[Education(job["education_min"])]:
        return False
    if job["age_max"] is not None and age > job["age_max"]:
        return False
    if not set(job["licenses_required"]) <= set(seeker["certificates"]):
        return False
    if job["public_welfare"] and not seeker["priority_groups"]:
        return False
    if seeker["hard_distance_limit"] and (km is None or km > 5.0):
        return False
    return True


def _build(jobs, seeker):
    gaz = Gazetteer.load()
    codes = CodeBook()
    table = JobTable(codes)
    for i, j in enumerate(jobs):
        d = _job_dict(i, j)
        table.upsert(d["id"], job_features(d, Profile("", (), frozenset()), codes, gaz, NoTaxonomy(), IdentityVocab()))
    sd = _seeker_dict(seeker)
    cfg = RankingConfig(relevance_floor=0.0, occupation_evidence=False)  # every allowed job is listed (the floor is tested elsewhere)
    skills = frozenset(seeker["certificates"])
    q = seeker_features(sd, Profile("", (), skills), codes, gaz)
    return table, sd, q, skills, cfg


def rank_jobs(q, skills, table, rows, cos, cfg, today, k):
    return rank(job_pairs(q, table, rows, cfg, today, cos, skills=skills), cfg, k)


def rank_seekers(q, licenses, job_skills, table, rows, cos, cfg, today, k, require_consent=True):
    return rank(seeker_pairs(q, table, rows, cfg, today, cos, skills=job_skills, licenses=licenses), cfg, k,
                require_consent=require_consent)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(jobs=jobs_st, seeker=seeker_st, seed=st.integers(0, 10_000))
def test_jobs_for_a_seeker_never_violate_filters(jobs, seeker, seed):
    table, sd, q, skills, cfg = _build(jobs, seeker)
    rows = np.arange(len(jobs))
    cos = np.random.default_rng(seed).uniform(0.6, 0.95, len(jobs))
    ranked = rank_jobs(q, skills, table, rows, cos, cfg, TODAY.toordinal(), k=len(jobs))
    returned = {table.ids[r.row] for r in ranked}
    for i, j in enumerate(jobs):
        allowed = _allowed(_job_dict(i, j), sd, j["km"])
        assert (f"J{i}" in returned) == allowed, (j, seeker)
    scores = [r.score for r in ranked]
    located = [r.breakdown["distance_km"] is not None for r in ranked]
    assert located == sorted(located, reverse=True), "unlocated jobs come after located ones"
    for a, b in zip(ranked, ranked[1:], strict=False):
        if (a.breakdown["distance_km"] is None) == (b.breakdown["distance_km"] is None) and \
                (a.breakdown["reach"] == "beyond_reach") == (b.breakdown["reach"] == "beyond_reach"):
            assert a.breakdown["rank_score"] >= b.breakdown["rank_score"]
    assert all(np.isfinite(scores))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seekers=st.lists(seeker_st, min_size=1, max_size=15), job=jobs_st.map(lambda js: js[0]))
def test_candidates_never_include_employed_or_unconsented(seekers, job):
    gaz = Gazetteer.load()
    codes = CodeBook()
    table = SeekerTable(codes)
    cfg = RankingConfig(relevance_floor=0.0, occupation_evidence=False)
    for i, s in enumerate(seekers):
        d = {**_seeker_dict(s), "id": f"S{i}"}
        table.upsert(d["id"], seeker_features(d, Profile("", (), frozenset(s["certificates"])), codes, gaz))
    jd = {**_job_dict(0, job), "status": "open", "expires_at": (TODAY + timedelta(days=5)).isoformat()}
    q = job_features(jd, Profile("", (), frozenset()), codes, gaz, NoTaxonomy(), IdentityVocab())
    rows = np.arange(len(seekers))
    ranked = rank_seekers(q, frozenset(jd["licenses_required"]), frozenset(), table, rows, np.full(len(rows), 0.8),
                          cfg, TODAY.toordinal(), k=len(rows))
    for r in ranked:
        s = seekers[int(table.ids[r.row][1:])]
        assert s["status"] != "employed" and s["consent"]
        assert set(jd["licenses_required"]) <= set(s["certificates"])
        if jd["public_welfare"]:
            assert s["priority_groups"]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(jobs=st.lists(jobs_st.map(lambda js: js[0]), min_size=5, max_size=60), seeker=seeker_st,
       seed=st.integers(0, 10_000), k=st.integers(1, 4))
def test_pruned_top_k_equals_full_ranking(jobs, seeker, seed, k):
    """The exact pruning in rank_jobs (licences and skills computed only where they can matter)
    returns exactly the head of the full ranking."""
    table, sd, q, skills, cfg = _build(jobs, seeker)
    for i, _ in enumerate(jobs):  # give jobs varied skills so the skill term matters
        table.skills[i] = frozenset(LICENSES[: (i + seed) % 4])
    rows = np.arange(len(jobs))
    cos = np.random.default_rng(seed).uniform(0.6, 0.95, len(jobs))
    full = rank_jobs(q, skills, table, rows, cos, cfg, TODAY.toordinal(), k=len(jobs))
    top = rank_jobs(q, skills, table, rows, cos, cfg, TODAY.toordinal(), k=k)
    assert [r.breakdown["rank_score"] for r in top] == [r.breakdown["rank_score"] for r in full[:k]]
