"""对口协作: a paired region's job reaches a non-relocating seeker only in the cooperation tier."""

import json
from datetime import timedelta

from network_home import TODAY, V1, V1_LL, _north

from matcher.cli import main
from matcher.cooperation import REASON
from matcher.records import Cooperation


def _said(m):
    return any(r.startswith(REASON) for r in m.reasons)


def _by_id(matches):
    return {m.id: m for m in matches}


def test_paired_job_in_the_cooperation_tier_only(home):
    # a welding job next to P3 (the home's own local job is food packing: not relevant to a welder)
    home.upsert_jobs([{"id": "J-NEAR-W", "title": "电焊工", "region_code": V1, "lat": _north(V1_LL, 0.6)[0],
                       "lng": V1_LL[1], "occupation_code": "6-18-02-04", "skills": ["焊接"], "description": "电焊"}])
    ms = home.match_jobs("P3", k=20)
    got = _by_id(ms)
    coop, far = got["J-COOP"], got.get("J-FAR")
    assert coop.breakdown["reach"] == "cooperation" and _said(coop)
    assert far is None or far.breakdown["reach"] == "beyond_reach"  # 灵寿县 is not paired
    order = [m.id for m in ms]
    reachable = [m.id for m in ms if m.breakdown["reach"] in ("inside_circle", "within_reach")]
    assert "J-NEAR-W" in reachable and all(order.index(r) < order.index("J-COOP") for r in reachable)
    if far is not None:
        assert order.index("J-COOP") < order.index("J-FAR")
    # the same job for a seeker of an unpaired county is simply beyond reach
    other = _by_id(home.match_jobs("L1", k=20))
    assert other["J-COOP"].breakdown["reach"] == "beyond_reach" and not _said(other["J-COOP"])


def test_an_ended_pair_no_longer_counts(home):
    home.network.put(Cooperation(id="C1", from_region="130125", to_region="130102",
                                 active_from=TODAY - timedelta(days=30), active_to=TODAY - timedelta(days=1)))
    got = _by_id(home.match_jobs("P3", k=20))
    assert "J-COOP" not in got or got["J-COOP"].breakdown["reach"] == "beyond_reach"


def test_cli_match_shows_the_tier(home, capsys, monkeypatch):
    monkeypatch.setenv("MATCHER_HOME", str(home.settings.home))
    if home.settings.database_url:
        monkeypatch.setenv("MATCHER_DATABASE_URL", home.settings.database_url)
    monkeypatch.setenv("MATCHER_VILLAGES_PATH", str(home.settings.villages_path))
    assert main(["match", "--seeker", "P3", "--top", "20", "--json"]) == 0
    got = {m["id"]: m for m in json.loads(capsys.readouterr().out)}
    assert got["J-COOP"]["breakdown"]["reach"] == "cooperation"
    assert main(["cooperation", "stats"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["id"] == "C1"
