"""Reach first (DESIGN.md §3): circles from raw columns, and the tier invariant in both directions:
for a seeker who will not relocate, no beyond-reach item ever ranks above a reachable one, whatever
its occupation agreement or priority boosts."""

from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ranking_fakes import IdentityVocab, NoTaxonomy

from matcher.features.profiles import Profile
from matcher.features.tables import CodeBook, JobTable, SeekerTable, job_features, seeker_features
from matcher.geography import Gazetteer
from matcher.ranking import reach as R
from matcher.ranking.config import LocalityConfig, RankingConfig
from matcher.ranking.ranker import rank
from matcher.ranking.signals import job_pairs, seeker_pairs

TODAY = date(2026, 11, 20)
NAN = float("nan")


def one(rural=False, own_minutes=NAN, own_km=NAN, mode=-1, relocate=False, st_minutes=NAN, st_km=NAN,
        cfg=None):
    c = R.circles([rural], [own_minutes], [own_km], [mode], [relocate], [False], [st_minutes], [st_km],
                  cfg or LocalityConfig())
    return bool(c.urban[0]), float(c.circle[0]), float(c.reach[0]), float(c.speed[0])


def test_circles_known_answers():
    assert one() == (True, 15.0, 30.0, 15.0)  # a city: 15 minutes, reach twice that, e-bike
    assert one(rural=True) == (False, 5.0, 10.0, 15.0)  # a village: 5 km
    assert one(own_minutes=30.0) == (True, 15.0, 30.0, 15.0)  # S00085: 30-minute limit = reach
    assert one(own_minutes=10.0)[1:3] == (10.0, 10.0)  # an own limit below the circle shrinks it
    assert one(rural=True, own_km=8.0)[1:3] == (5.0, 8.0)
    assert one(st_minutes=20.0)[1:3] == (20.0, 40.0)  # the station's own circle
    assert one(relocate=True)[1:3] == (90.0, 180.0)  # willing to relocate: widened
    urban, circle, reach, _ = one(own_km=12.0)  # a city seeker who gave only km: measured in km
    assert not urban and reach == 12.0 and circle == pytest.approx(15 / 60 * 15 / 1.3)
    assert one(mode=R.MODE_CODES["walk"])[3] == 4.5
    # the config is read when circles are computed: a changed config changes them at once
    assert one(cfg=LocalityConfig(urban_circle_minutes=10, reach_factor=3))[1:3] == (10.0, 30.0)


def test_tiers_and_groups():
    c = R.circles([False], [30.0], [NAN], [-1], [False], [False], [NAN], [NAN], LocalityConfig())
    km = np.array([1.0, 4.0, 12.0, 294.0, np.nan])  # 5.2, 20.8, 62.4, 1528.8 minutes, unknown
    prec = np.full(5, R.EXACT)
    r = R.reach_signal(km, prec, R.EXACT, c, LocalityConfig())
    assert [R.TIER_NAMES[t] for t in r.tier] == ["inside_circle", "within_reach", "beyond_reach", "beyond_reach",
                                                 "beyond_reach"]
    assert list(R.tier_order(r, km, LocalityConfig())) == [R.GROUP_REACHABLE, R.GROUP_REACHABLE, R.GROUP_NEAR,
                                                         R.GROUP_FAR, R.GROUP_UNLOCATED]
    paired = np.array([False, False, True, False, False])
    r2 = R.reach_signal(km, prec, R.EXACT, c, LocalityConfig(), paired=paired)
    assert R.TIER_NAMES[r2.tier[2]] == "cooperation"  # the hook for paired regions


def _job(i, km, occ, welfare, welcome):
    return {"id": f"J{i}", "title": "岗位", "status": "open", "region_code": "130102",
            "posted_at": (TODAY - timedelta(days=3)).isoformat(), "expires_at": (TODAY + timedelta(days=9)).isoformat(),
            "lat": 38.0 + km / 111.195, "lng": 114.5, "public_welfare": welfare,
            "priority_groups_welcome": ["disabled"] if welcome else [], "accessible": welcome}


jobs_st = st.lists(st.tuples(st.floats(0, 400), st.integers(0, 3), st.floats(0.3, 1.0), st.booleans(),
                             st.booleans(), st.floats(0.6, 0.97)), min_size=1, max_size=40)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(jobs=jobs_st, rural=st.booleans(), own=st.one_of(st.none(), st.floats(5, 90)), k=st.integers(1, 40),
       floor=st.sampled_from([0.0, 0.2, 0.5]))
def test_no_beyond_reach_job_above_a_reachable_one(jobs, rural, own, k, floor):
    gaz, codes = Gazetteer.load(), CodeBook()
    table = JobTable(codes)
    for i, (km, occ, conf, welfare, welcome, _cos) in enumerate(jobs):
        feats = job_features(_job(i, km, occ, welfare, welcome), Profile("", (), frozenset()), codes, gaz, NoTaxonomy(),
                             IdentityVocab())
        feats.update(occ4=occ, occ3=occ, occ2=occ, occ_conf=conf)  # code 1 is the seeker's wish
        table.upsert(f"J{i}", feats)
    seeker = {"id": "S", "lat": 38.0, "lng": 114.5, "area_type": "rural" if rural else "urban",
              "priority_groups": ["disabled"], "max_commute_minutes": own}
    q = seeker_features(seeker, Profile("", (), frozenset()), codes, gaz)
    q.update(occ4a=1, occ3a=1, occ2a=1, conf_a=1.0)
    cfg = RankingConfig(relevance_floor=floor)
    rows = np.arange(len(jobs))
    cos = np.array([j[5] for j in jobs])
    ranked = rank(job_pairs(q, table, rows, cfg, TODAY.toordinal(), cos), cfg, k)
    tiers = [r.breakdown["reach"] for r in ranked]
    reachable = [t in ("inside_circle", "within_reach") for t in tiers]
    assert reachable == sorted(reachable, reverse=True), tiers  # reachable first, whatever the boosts
    relevant = [r.breakdown["relevant"] for r in ranked]
    bands = [r.breakdown["band"] for r in ranked]
    assert bands == sorted(bands)
    fallback = [any(relevant) and not x and b < 8 for x, b in zip(relevant, bands, strict=True)]
    if any(fallback):  # nothing relevant within 50 km: a few nearby items of another occupation first
        assert sum(fallback) <= cfg.nearby_fallback and fallback == sorted(fallback, reverse=True)
        assert all(r.breakdown["distance_km"] <= 50 for r, f in zip(ranked, fallback, strict=True) if f)
        assert not any(r.breakdown["distance_km"] <= 50 for r in ranked if r.breakdown["relevant"])
        assert ranked[0].reasons[0] == "本圈暂无合适岗位，以下先列出附近的其他岗位"
    core = [x for x, f in zip(relevant, fallback, strict=True) if not f]
    assert core == sorted(core, reverse=True)  # relevant items before the rest
    for r, c in ((r, cos[r.row]) for r in ranked):
        if r.breakdown["relevant"]:  # relevant: above the floor and the same occupation (code or cosine)
            assert r.breakdown["relevance"] >= floor
            assert r.breakdown["occupation_level"] == 4 or c >= cfg.same_occupation_cosine
    if any(relevant) and not all(relevant):  # the rest only from the last group a relevant item is in
        last_relevant = max(n for n, x in enumerate(relevant) if x)
        if not reachable[last_relevant]:
            assert not any(reachable[last_relevant:])
    for r in ranked:
        assert 0 <= r.score <= 100
        if r.breakdown["reach"] == "beyond_reach":
            assert any("超出" in x for x in r.reasons)
    # when nothing relevant is reachable the first item says so
    if ranked and (not reachable[0] or not relevant[0]) and any(relevant):
        assert ranked[0].reasons[0].startswith("本圈暂无合适岗位")
        assert all(r.breakdown["nothing_reachable"] for r in ranked)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(people=st.lists(st.tuples(st.floats(0, 300), st.booleans(), st.booleans(), st.integers(0, 3)),
                       min_size=1, max_size=30), k=st.integers(1, 30))
def test_candidate_lists_hold_the_same_tiers(people, k):
    gaz, codes = Gazetteer.load(), CodeBook()
    table = SeekerTable(codes)
    for i, (km, relocate, helped, occ) in enumerate(people):
        d = {"id": f"S{i}", "lat": 38.0 + km / 111.195, "lng": 114.5, "area_type": "urban", "status": "unemployed",
             "consent_to_share": True, "willing_to_relocate": relocate,
             "priority_groups": ["disabled", "older_4050"] if helped else []}
        feats = seeker_features(d, Profile("", (), frozenset()), codes, gaz)
        feats.update(occ4a=occ, occ3a=occ, occ2a=occ, conf_a=1.0)
        table.upsert(d["id"], feats)
    job = _job(0, 0.0, 1, False, True)
    q = job_features(job, Profile("", (), frozenset()), codes, gaz, NoTaxonomy(), IdentityVocab())
    q.update(occ4=1, occ3=1, occ2=1, occ_conf=1.0)
    cfg = RankingConfig()
    rows = np.arange(len(people))
    ranked = rank(seeker_pairs(q, table, rows, cfg, TODAY.toordinal(), np.full(len(rows), 0.85)), cfg, k)
    reachable = [r.breakdown["reach"] in ("inside_circle", "within_reach") for r in ranked]
    assert reachable == sorted(reachable, reverse=True)
    for r in ranked:  # a relocating seeker's reach is widened (90-minute circle, 180-minute reach)
        s = people[int(table.ids[r.row][1:])]
        minutes = s[0] * 1.3 / 15 * 60
        assert (r.breakdown["reach"] != "beyond_reach") == (minutes <= (180 if s[1] else 30))


def test_hard_distance_limit_excludes_beyond_reach():
    gaz, codes = Gazetteer.load(), CodeBook()
    table = JobTable(codes)
    for i, km in enumerate((1.0, 3.0, 9.0)):
        table.upsert(f"J{i}", job_features(_job(i, km, 1, False, False), Profile("", (), frozenset()), codes, gaz,
                                           NoTaxonomy(), IdentityVocab()))
    seeker = {"id": "S", "lat": 38.0, "lng": 114.5, "area_type": "rural", "max_distance_km": 5.0,
              "hard_distance_limit": True}
    q = seeker_features(seeker, Profile("", (), frozenset()), codes, gaz)
    cfg = RankingConfig(relevance_floor=0.0, occupation_evidence=False)
    ranked = rank(job_pairs(q, table, np.arange(3), cfg, TODAY.toordinal(), np.full(3, 0.8)), cfg, 3)
    assert [table.ids[r.row] for r in ranked] == ["J0", "J1"]
    assert "在本人限定距离内" in ranked[0].breakdown["filters_passed"]
