"""The cosine-free part of the score that the candidate stage ranks thousands of rows by
(``job_prior`` / ``seeker_prior``) bounds the final score, and the shortlist keeps the best of it."""

from datetime import timedelta

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ranking_fakes import IdentityVocab, NoTaxonomy
from test_filter_properties import (
    LICENSES,
    TODAY,
    _build,
    _job_dict,
    _seeker_dict,
    jobs_st,
    seeker_st,
)

from matcher.features.profiles import Profile
from matcher.features.tables import CodeBook, SeekerTable, job_features, seeker_features
from matcher.geography import Gazetteer
from matcher.ranking.config import RankingConfig
from matcher.ranking.ranker import prior, rank, shortlist
from matcher.ranking.signals import job_pairs, seeker_pairs


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(jobs=st.lists(jobs_st.map(lambda js: js[0]), min_size=1, max_size=40), seeker=seeker_st,
       seed=st.integers(0, 10_000))
def test_job_prior_bounds_the_final_score_and_applies_the_column_filters(jobs, seeker, seed):
    table, sd, q, skills, cfg = _build(jobs, seeker)
    rng = np.random.default_rng(seed)
    for i in range(len(jobs)):
        table.skills[i] = frozenset(LICENSES[: (i + seed) % 4])
        table.occ4[i], table.occ3[i], table.occ2[i] = rng.integers(0, 3, 3)
        table.occ_conf[i] = rng.uniform(0.3, 1.0)
    q = dict(q, occ4a=1, occ3a=1, occ2a=1, conf_a=0.9)
    rows = np.arange(len(jobs))
    cos = rng.uniform(0.6, 0.95, len(jobs))
    today = TODAY.toordinal()
    pr, _group = prior(job_pairs(q, table, rows, cfg, today, skills=skills), cfg)
    ranked = rank(job_pairs(q, table, rows, cfg, today, cos, skills=skills), cfg, k=len(jobs))
    for r in ranked:
        assert np.isfinite(pr[r.row])  # a job that passes every filter passes the column filters
        # the score is rounded to 4 places
        assert pr[r.row] - 1e-4 <= r.breakdown["rank_score"] <= pr[r.row] + cfg.semantic + cfg.skills + 1e-4
        assert 0 <= r.score <= 100
    # the shortlist: m rows passing the filters (widened until there are m), and the best m of the
    # prior (listing group first) when every row is looked at
    finite = np.sort(pr[np.isfinite(pr)])[::-1]
    for m in (1, 3, len(jobs)):
        for widen in (1, 2, len(jobs)):
            got = shortlist(job_pairs(q, table, rows, cfg, today, skills=skills), m, cfg, widen=widen)
            assert len(got) == len(set(got.tolist())) == min(m, len(finite))
            assert np.all(np.isfinite(pr[got]))
            if widen * m >= len(jobs) and m == len(jobs):
                assert np.allclose(np.sort(pr[got])[::-1], finite[: len(got)])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seekers=st.lists(seeker_st, min_size=1, max_size=25), job=jobs_st.map(lambda js: js[0]),
       seed=st.integers(0, 10_000))
def test_seeker_prior_bounds_the_final_score(seekers, job, seed):
    gaz = Gazetteer.load()
    codes = CodeBook()
    table = SeekerTable(codes)
    cfg = RankingConfig(relevance_floor=0.0, occupation_evidence=False)
    for i, s in enumerate(seekers):
        d = {**_seeker_dict(s), "id": f"S{i}", "lat": 38.0 + (i % 7) * 0.02}
        table.upsert(d["id"], seeker_features(d, Profile("", (), frozenset(s["certificates"])), codes, gaz))
    jd = {**_job_dict(0, job), "status": "open", "expires_at": (TODAY + timedelta(days=5)).isoformat(),
          "lat": 38.05, "lng": 114.5}
    q = job_features(jd, Profile("", (), frozenset()), codes, gaz, NoTaxonomy(), IdentityVocab())
    rows = np.arange(len(seekers))
    cos = np.random.default_rng(seed).uniform(0.6, 0.95, len(rows))
    today = TODAY.toordinal()
    lic = frozenset(jd["licenses_required"])
    pr, _ = prior(seeker_pairs(q, table, rows, cfg, today, licenses=lic), cfg)
    ranked = rank(seeker_pairs(q, table, rows, cfg, today, cos, licenses=lic), cfg, k=len(rows))
    for r in ranked:
        assert np.isfinite(pr[r.row])
        assert pr[r.row] - 1e-4 <= r.breakdown["rank_score"] <= pr[r.row] + cfg.semantic + cfg.skills + 1e-4
    got = shortlist(seeker_pairs(q, table, rows, cfg, today, licenses=lic), 2, cfg)
    assert len(got) == min(2, int(np.isfinite(pr).sum()))
