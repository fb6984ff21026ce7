"""Recruitment events: invitation lists (assistance targets first, reach respected), attendance,
internships for young people and graduates, training suggestions."""

import json

import pytest
from network_home import TODAY

from matcher.cli import main
from matcher.errors import NotFoundError, ValidationFailed
from matcher.events import invitations, record_attendance, save_event, training_suggestions


def _fair(engine, **extra):
    return save_event(engine, {"id": "EV1", "title": "南桥春风招聘会", "station_id": "ST-V1", "date": TODAY,
                               "employer_ids": ["E1"], **extra})


def test_invitations_put_the_nearby_assistance_target_first(home):
    _fair(home)
    out = invitations(home, "EV1")
    ids = [r["seeker_id"] for r in out["invitations"]]
    assert out["jobs"] == ["J-LOCAL"]
    assert ids[0] == "P2"  # the 4050 worker 0.6 km away, before P1/P3 who are nearer
    assert "P1" in ids
    assert "P3" not in ids  # a welder: food packing is not a match, however near he lives
    assert not {"Q1", "Q2", "Q3", "Q4"} & set(ids)  # 13 km away, beyond reach, not relocating
    assert all(r["reach"] != "beyond_reach" for r in out["invitations"])


def test_event_refers_to_stored_records(home):
    with pytest.raises(ValidationFailed) as e:
        save_event(home, {"id": "EV2", "title": "x", "station_id": "ST-V1", "date": TODAY, "job_ids": ["NOPE"]})
    assert e.value.errors[0].field == "job_ids"


def test_attendance_and_outcomes(home):
    _fair(home)
    record_attendance(home, "EV1", [{"seeker_id": "P2", "attended": True, "outcome": "录用", "job_id": "J-LOCAL"},
                                    {"seeker_id": "P1", "attended": False}])
    rows = {r["seeker_id"]: r for r in invitations(home, "EV1")["invitations"]}
    assert (rows["P2"]["attended"], rows["P2"]["outcome"]) == (True, "hired")
    assert rows["P1"]["attended"] is False
    with pytest.raises(ValidationFailed):
        record_attendance(home, "EV1", [{"seeker_id": "NOBODY", "attended": True}])
    with pytest.raises(NotFoundError):
        record_attendance(home, "NOEVENT", [])


def test_internship_invites_young_people_and_graduates_only(home):
    home.upsert_seekers([
        {"id": "Y1", "region_code": "130125101201", "lat": 38.501, "lng": 114.5, "birth_date": "2004-05-01",
         "desired_occupations": ["普工"], "skills": ["包装"]},
        {"id": "G1", "region_code": "130125101201", "lat": 38.502, "lng": 114.5, "birth_date": "1995-05-01",
         "priority_groups": ["graduate"], "desired_occupations": ["普工"]},
    ])
    _fair(home, kind="internship")
    ids = {r["seeker_id"] for r in invitations(home, "EV1")["invitations"]}
    assert ids == {"Y1", "G1"}


def test_training_suggested_only_when_nothing_relevant_is_reachable(home):
    assert training_suggestions(home, "P1")["needed"] is False  # J-LOCAL is a packing job by the village
    home.upsert_seekers([{"id": "W1", "region_code": "130102001", "lat": 38.061, "lng": 114.53,
                          "desired_occupations": ["会计"], "skills": ["记账"]}])
    out = training_suggestions(home, "W1")
    assert out["needed"] is True
    canonical = home.ctx.vocabulary.canonical
    assert out["suggestions"][0]["skill"] in {canonical("焊接"), canonical("搬运")}
    assert out["suggestions"][0]["opens_jobs"] >= 1 and "附近可报名的岗位" in out["suggestions"][0]["reason"]


def test_cli_events(home, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("MATCHER_HOME", str(home.settings.home))
    if home.settings.database_url:
        monkeypatch.setenv("MATCHER_DATABASE_URL", home.settings.database_url)
    path = tmp_path / "ev.json"
    path.write_text(json.dumps({"id": "EV9", "title": "专场", "station_id": "ST-V1", "date": TODAY.isoformat(),
                                "job_ids": ["J-LOCAL"]}, ensure_ascii=False), encoding="utf-8")
    assert main(["events", "add", str(path)]) == 0
    capsys.readouterr()
    assert main(["events", "invitations", "EV9", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["invitations"][0]["seeker_id"] == "P2"
