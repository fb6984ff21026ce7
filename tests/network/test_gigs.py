"""Gig market: dated gigs close when their day is over; the same-day board of a gig-market station."""

import json
from datetime import timedelta

import pytest
from network_home import TODAY

from matcher.cli import main
from matcher.gigs import gig_board
from matcher.records import Job, available_on


def test_a_gig_closes_with_its_day():
    job = Job(id="g", title="装卸", employment_type="gig", shift_date=TODAY, expires_at=TODAY + timedelta(days=9))
    assert job.expires_at == TODAY
    with pytest.raises(ValueError):
        Job(id="g", title="装卸", shift_start="17:00", shift_end="08:00", shift_date=TODAY)


def test_availability_by_weekday_or_date():
    assert available_on(["mon"], TODAY - timedelta(days=TODAY.weekday())) is True
    assert available_on([TODAY.isoformat()], TODAY + timedelta(days=1)) is False
    assert available_on([], TODAY) is None


def test_board_today_ranked_by_reach_then_time(home):
    board = gig_board(home, "ST-G")
    assert [g["id"] for g in board["gigs"]] == ["G-TODAY", "G-TODAY2"]  # not yesterday's, not tomorrow's
    assert board["gigs"][0]["reach"] == "inside_circle" and board["gigs"][0]["pay_per_day"] == 200
    ids = [p["id"] for p in board["people"]]
    assert ids[0] == "U2"  # an assistance target available today comes first
    assert "U1" in ids and "U3" not in ids  # U3 is free only tomorrow


def test_past_day_gig_is_never_offered(home):
    assert gig_board(home, "ST-G", TODAY - timedelta(days=1)) == {**gig_board(home, "ST-G", TODAY - timedelta(days=1)),
                                                                  "gigs": [], "people": [], "closed": True}
    # someone next to the market who wants loading work (U1 wants 普工: a paired region's packing job
    # is the relevant one for U1, and the day's gigs are on the board above)
    mover = {"desired_occupations": ["搬运工"], "region_code": "130102001", "lat": 38.0545, "lng": 114.52,
             "status": "unemployed"}
    offered = {m.id for m in home.match_jobs(mover, k=50)}
    assert "G-TODAY" in offered and "G-PAST" not in offered
    tomorrow = gig_board(home, "ST-G", TODAY + timedelta(days=1))
    assert [g["id"] for g in tomorrow["gigs"]] == ["G-NEXT"] and [p["id"] for p in tomorrow["people"]] == ["U1", "U3"]


def test_cli_gigs(home, capsys, monkeypatch):
    monkeypatch.setenv("MATCHER_HOME", str(home.settings.home))
    if home.settings.database_url:
        monkeypatch.setenv("MATCHER_DATABASE_URL", home.settings.database_url)
    assert main(["gigs", "--station", "ST-G", "--json"]) == 0
    assert [g["id"] for g in json.loads(capsys.readouterr().out)["gigs"]] == ["G-TODAY", "G-TODAY2"]
    assert main(["gigs", "--station", "ST-G", "--date", (TODAY - timedelta(days=1)).isoformat()]) == 0
    text = capsys.readouterr().out
    assert "该日已结束" in text and "G-PAST" not in text
