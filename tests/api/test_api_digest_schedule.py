"""Every morning, by itself: with a fake clock, the scheduled digest is built once the configured time
has passed, kept for N days, and served by ``GET /v1/digests`` (the console's source) instead of one
built on demand."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from api_helpers import api_client

from matcher.digest_schedule import DigestScheduler, stored_digest
from matcher.digests import build_digest

DAY = date(2026, 11, 20)


class FakeClock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _data(engine) -> None:
    engine.upsert_stations([{"id": "ST1", "name": "长安区测试社区服务站", "kind": "community",
                             "region_code": "130102001", "lat": 38.05, "lng": 114.52}])
    engine.upsert_jobs([{"id": f"J{i}", "title": t, "region_code": "130102001", "lat": 38.05 + i / 200, "lng": 114.52,
                         "posted_at": (DAY - timedelta(days=2)).isoformat(),
                         "expires_at": (DAY + timedelta(days=60)).isoformat()}
                        for i, t in enumerate(["小区保安", "商场保洁员", "超市收银员"])])
    engine.upsert_seekers([{"id": f"S{i}", "name": f"求职者{i}", "desired_occupations": [w], "station_id": "ST1",
                            "region_code": "130102001", "lat": 38.05, "lng": 114.52, "area_type": "urban"}
                           for i, w in enumerate(["保安", "保洁", "收银员"])])


def test_scheduled_digest_is_served_the_next_morning(engine, tmp_path):
    _data(engine)
    root = tmp_path / "digests"
    engine.settings.digest_dir = root  # where the API looks for stored digests
    clock = FakeClock(datetime(2026, 11, 19, 22, 0))
    sched = DigestScheduler(engine, at="06:00", keep_days=2, out_root=root, clock=clock, sleep=clock.sleep)
    # the evening before: that day is due (past 06:00), the next morning is not built yet
    assert sched.due(clock()) == date(2026, 11, 19)
    assert sched.next_run(clock()) == datetime(2026, 11, 20, 6, 0)
    with api_client(engine) as client:
        q = {"station_id": "ST1", "date": DAY.isoformat()}
        before = client.get("/v1/digests", params=q)
        assert before.status_code == 200 and before.json()["source"] == "on_demand"
        # the loop: build the 19th at once, sleep until 06:00 on the 20th, build it, stop
        calls = []

        def tick_and_count():
            calls.append(clock())
            out = DigestScheduler.tick(sched)
            if clock().date() == DAY and sched.is_done(DAY):
                sched.stop()
            return out

        sched.tick = tick_and_count
        sched.run_forever(max_wait_s=3600)
        assert sched.is_done(date(2026, 11, 19)) and sched.is_done(DAY)
        assert calls[-1] == datetime(2026, 11, 20, 6, 0)  # woke up exactly at the configured time
        after = client.get("/v1/digests", params=q)
        assert after.status_code == 200 and after.json()["source"] == "scheduled"
        body = after.json()
        body.pop("source")
        fresh = build_digest(engine, station_id="ST1", day=DAY)
        assert body["seekers"] == fresh["seekers"] and body["jobs"]["open_count"] == fresh["jobs"]["open_count"] == 3
        assert client.get("/v1/digests", params={**q, "format": "html"}).text.count("求职者") >= 3
        # a region's stored digest too (the county of the station)
        county = client.get("/v1/digests", params={"region_code": "130102", "date": DAY.isoformat()})
        assert county.status_code == 200 and county.json()["source"] == "scheduled"
    assert sched.last["date"] == DAY.isoformat() and sched.last["areas"] >= 3
    from matcher.store.runs import last_runs

    assert last_runs(engine.store)["digest"]["detail"]["date"] == DAY.isoformat()  # for /metrics
    # keeps the last 2 days: building the 21st removes the 19th
    clock.now = datetime(2026, 11, 21, 6, 30)
    assert sched.tick()["date"] == "2026-11-21" and sched.tick() is None  # once a day
    assert sorted(p.name for p in root.iterdir()) == ["2026-11-20", "2026-11-21"]
    assert stored_digest(root, "ST1", date(2026, 11, 19)) is None and stored_digest(root, "../x", DAY) is None
