"""Daily digests: circle, ledger order, spreading over headcount, idempotence, the three formats."""

import json
from datetime import date, timedelta

from matcher.digests import DigestConfig, build_digest, gini, render_csv, render_html, spread, write_digest

DAY = date(2026, 11, 20)


def test_gini_known_answers():
    assert gini([3, 3, 3, 3]) == 0.0
    assert abs(gini([0, 0, 0, 4]) - 0.75) < 1e-9  # one-hot over n=4: (n-1)/n
    assert gini([]) == 0.0


def test_spread_respects_capacity_in_order():
    ranked = [[("A", 0.9), ("B", 0.8)], [("A", 0.9), ("C", 0.7)], [("A", 0.95), ("B", 0.5), ("C", 0.4)]]
    picks = spread(ranked, {"A": 1, "B": 1, "C": 2}, take=1)
    assert picks == [["A"], ["C"], ["B"]]


def _data(engine):
    posted = (DAY - timedelta(days=1)).isoformat()
    expires = (DAY + timedelta(days=30)).isoformat()
    engine.upsert_stations([{"id": "ST1", "name": "长安区测试社区服务站", "kind": "community", "region_code": "130102001",
                             "lat": 38.05, "lng": 114.52}])
    jobs = [{"id": f"J{i}", "title": t, "region_code": "130102", "lat": 38.05 + d / 111, "lng": 114.52, "headcount": 1,
             "posted_at": posted, "expires_at": expires} for i, (t, d) in
            enumerate([("小区保安", 0.5), ("商场保洁员", 1.0), ("电焊工", 1.5), ("超市收银员", 30.0)])]
    engine.upsert_jobs(jobs)
    seekers = [{"id": f"S{i}", "name": n, "desired_occupations": ["保安"], "station_id": "ST1", "lat": 38.05,
                "lng": 114.52, "area_type": "urban", "priority_groups": g, "phone": "13800138000"}
               for i, (n, g) in enumerate([("甲", []), ("乙", ["disabled"]), ("丙", []), ("丁", ["older_4050"])])]
    engine.upsert_seekers(seekers + [{"id": "S9", "name": "已就业", "station_id": "ST1", "status": "employed"}])


def test_station_digest(engine, tmp_path):
    _data(engine)
    cfg = DigestConfig(matches_per_seeker=1, per_opening=1)
    d = build_digest(engine, station_id="ST1", day=DAY, config=cfg)
    listed = {j["id"] for g in d["jobs"]["by_occupation"] for j in g["jobs"]}
    assert listed == {"J0", "J1", "J2"}  # the 30 km job is outside the 15-minute circle
    ids = [s["id"] for s in d["seekers"]]
    assert set(ids) == {"S0", "S1", "S2", "S3"} and set(ids[:2]) == {"S1", "S3"}  # assistance targets first
    # one opening per job and one recommendation per opening: nobody shares a vacancy
    firsts = [s["matches"][0]["id"] for s in d["seekers"] if s["matches"]]
    assert len(firsts) == len(set(firsts))
    assert d["concentration"]["max_per_opening"] <= 1
    assert d["seekers"][0]["phone"] == "138****8000"
    # idempotent: the same day gives the same digest
    assert json.dumps(d, sort_keys=True) == json.dumps(build_digest(engine, station_id="ST1", day=DAY, config=cfg), sort_keys=True)
    paths = write_digest(d, tmp_path)
    assert sorted(p.suffix for p in paths) == [".csv", ".html", ".json"]
    assert "长安区测试社区服务站" in render_html(d) and render_csv(d).startswith("\ufeff日期")


def test_region_digest_and_errors(engine):
    _data(engine)
    d = build_digest(engine, region_code="130102", day=DAY)
    assert d["area"]["kind"] == "region" and d["jobs"]["open_count"] == 4
    import pytest

    from matcher.errors import NotFoundError, ValidationFailed

    with pytest.raises(NotFoundError):
        build_digest(engine, station_id="nope", day=DAY)
    with pytest.raises(ValidationFailed):
        build_digest(engine, day=DAY)
