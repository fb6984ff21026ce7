"""``matcher digest --all``: every station, township and county; resumable after an interruption and
after a real kill; the same files from the local path and from a Ray cluster the test starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import date, timedelta
from pathlib import Path

import pytest

from matcher.digest_all import Area, Manifest, last_run, partitions, province_areas, run_all

DAY = date(2026, 11, 20)


def _data(engine) -> None:
    """Two counties (长安区 130102, 新华区 130105), two stations, seekers in three townships."""
    posted = (DAY - timedelta(days=1)).isoformat()
    expires = (DAY + timedelta(days=30)).isoformat()
    engine.upsert_stations([
        {"id": "STA", "name": "长安区甲社区服务站", "kind": "community", "region_code": "130102001", "lat": 38.05,
         "lng": 114.52},
        {"id": "STB", "name": "新华区乙社区服务站", "kind": "community", "region_code": "130105003", "lat": 38.06,
         "lng": 114.46},
    ])
    titles = ["小区保安", "商场保洁员", "电焊工", "超市收银员", "快递分拣员", "餐厅服务员"]
    engine.upsert_jobs([{"id": f"J{i}", "title": t, "region_code": ("130102001", "130105003")[i % 2],
                         "lat": 38.05 + i / 300, "lng": (114.52, 114.46)[i % 2], "headcount": 1 + i % 2,
                         "posted_at": posted, "expires_at": expires} for i, t in enumerate(titles)])
    wishes = [["保安"], ["保洁"], ["焊工"], ["收银员"], ["分拣员"], ["服务员"], ["保安"], ["保洁"]]
    engine.upsert_seekers([{"id": f"S{i}", "name": f"求职者{i}", "desired_occupations": w,
                            "station_id": ("STA", "STB")[i % 2],
                            "region_code": ("130102001", "130105003", "130102002")[i % 3],
                            "lat": 38.05, "lng": (114.52, 114.46)[i % 2], "area_type": "urban",
                            "priority_groups": ["disabled"] if i % 4 == 0 else [], "phone": "13800138000"}
                           for i, w in enumerate(wishes)])


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name.startswith("digest_")}


def test_areas_and_partitions(engine):
    _data(engine)
    areas = province_areas(engine)
    keys = {a.key for a in areas}
    assert {"station:STA", "station:STB", "county:130102", "county:130105", "township:130102001",
            "township:130102002", "township:130105003"} <= keys
    parts = partitions(areas)
    assert {p[0].county for p in parts} == {"130102", "130105"}
    assert all(len({a.county for a in p}) == 1 for p in parts)
    assert sorted(a for p in parts for a in p) == sorted(areas)
    assert partitions([Area("1", "county", "1"), Area("2", "county", "2"), Area("2", "station", "x")])[0][0].county == "2"


def test_all_areas_then_resume_after_an_interruption(engine, tmp_path):
    _data(engine)
    out = tmp_path / "out"
    total = len(province_areas(engine))
    seen = []

    def stop_after_three(entry):
        seen.append(entry["area"])
        if len(seen) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_all(engine, DAY, out, on_done=stop_after_three)
    manifest = Manifest(out, DAY)
    assert sorted(manifest.done()) == sorted(seen) and not manifest.summary_path.exists()
    stamps = {f: (out / f).stat().st_mtime_ns for e in manifest.done().values() for f in e["files"]}
    with open(manifest.journal, "a", encoding="utf-8") as fh:
        fh.write('{"area": "station:STB", "fi')  # a torn line, as a kill mid-write leaves it
    summary = run_all(engine, DAY, out)
    assert summary["areas"] == total and summary["resumed"] == 3
    assert {f: (out / f).stat().st_mtime_ns for f in stamps} == stamps  # finished areas were not redone
    assert len(_files(out)) == 3 * total
    assert summary["stations"] == 2 and summary["counties"] == 2 and summary["townships"] == 3
    assert summary["seekers"] == 8 and last_run(out)["areas"] == total
    st = json.loads((out / f"digest_STA_{DAY}.json").read_text(encoding="utf-8"))
    assert st["area"]["id"] == "STA" and {s["id"] for s in st["seekers"]} == {"S0", "S2", "S4", "S6"}
    # a further run finds everything done
    assert run_all(engine, DAY, out)["resumed"] == total


def test_a_killed_run_resumes(engine, tmp_path, model_cache):
    """A worker process that dies abruptly (os._exit after two areas, no clean-up) leaves a journal
    the next run continues from."""
    _data(engine)
    engine.warm(load_encoder=False)
    out = tmp_path / "out"
    script = textwrap.dedent(f"""
        import os
        from datetime import date
        from pathlib import Path
        from matcher.digest_all import run_all
        from matcher.engine import MatchEngine
        n = []
        def die(entry):
            n.append(entry)
            if len(n) == 2:
                os._exit(137)
        e = MatchEngine.open(home={str(engine.settings.home)!r}, model_cache={str(model_cache)!r}, sync_interval=3600)
        run_all(e, date.fromisoformat({DAY.isoformat()!r}), Path({str(out)!r}), on_done=die)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 137, proc.stderr[-2000:]
    assert len(Manifest(out, DAY).done()) == 2
    summary = run_all(engine, DAY, out)
    assert summary["resumed"] == 2 and summary["areas"] == len(province_areas(engine))


def test_cli_digest_all(engine, tmp_path, model_cache, capsys):
    from matcher.cli import main

    _data(engine)
    engine.warm(load_encoder=False)
    out = tmp_path / "cli"
    os.environ["MATCHER_MODEL_CACHE"] = str(model_cache)
    try:
        rc = main(["--home", str(engine.settings.home), "digest", "--all", "--date", DAY.isoformat(), "--out", str(out),
                   "--quiet"])
    finally:
        del os.environ["MATCHER_MODEL_CACHE"]
    assert rc == 0 and "areas written" in capsys.readouterr().out
    assert (out / f"manifest-{DAY}.json").exists() and (out / f"digest_130105_{DAY}.html").exists()


def test_ray_cluster_gives_the_local_files(engine, tmp_path, monkeypatch):
    """A local Ray cluster (loopback only, started here); two actors, each with a read-only store."""
    # Ray replaces 127.0.0.1 by the machine's address unless told it is not a cluster node
    # (its processes inherit the variable; the constant is read when Ray is imported)
    monkeypatch.setenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    ray = pytest.importorskip("ray")
    monkeypatch.setattr(ray._private.ray_constants, "ENABLE_RAY_CLUSTER", False)
    _data(engine)
    local = run_all(engine, DAY, tmp_path / "local")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1",
             _temp_dir=str(Path("/tmp") / f"ray-{os.getpid()}"))
    try:
        address = ray.get_runtime_context().gcs_address
        assert address.startswith("127.0.0.1:")
        remote = run_all(engine, DAY, tmp_path / "ray", backend="ray", address=address, workers=2)
    finally:
        ray.shutdown()
    assert remote["engine"] == "ray" and remote["areas"] == local["areas"] and remote["resumed"] == 0
    assert not engine._sides  # the driving process let the actors hold the tables: none of its own
    assert engine.match_jobs("S0", k=3, today=DAY)  # and loads them again when it matches
    a, b = _files(tmp_path / "local"), _files(tmp_path / "ray")
    assert a.keys() == b.keys() and len(a) == 3 * local["areas"]
    assert [k for k in a if a[k] != b[k]] == []
