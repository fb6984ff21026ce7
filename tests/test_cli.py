"""The `matcher` command as a user runs it (a real subprocess)."""

import json
import os
import subprocess
import sys

import pytest

HEADER = "职位编号,职位名称,所属区划代码,薪资下限,薪资上限,纬度,经度\n"


def run(args, home, **env):
    return subprocess.run([sys.executable, "-m", "matcher.cli", "--home", str(home), *args], capture_output=True,
                          text=True, env={**os.environ, **env}, timeout=300)


def test_import_reports_rows_and_summary(tmp_path):
    f = tmp_path / "jobs.csv"
    f.write_text(HEADER + "J1,保安员,130102,3000,4000,38.05,114.52\nJ2,电焊工,1301,5000,4000,,\n", encoding="utf-8")
    bad = run(["import", "jobs", str(f), "--quiet"], tmp_path / "home")
    assert bad.returncode == 2
    assert "第3行" in bad.stderr and "region_code" in bad.stderr and "整个文件未导入" in bad.stderr
    ok = run(["import", "jobs", str(f), "--on-error", "skip", "--quiet"], tmp_path / "home")
    assert ok.returncode == 0, ok.stderr
    assert "新增 1 条" in ok.stdout and "拒绝 1 行" in ok.stdout


def test_missing_file_is_a_clear_error(tmp_path):
    r = run(["import", "seekers", str(tmp_path / "nope.csv")], tmp_path / "home")
    assert r.returncode == 2 and "文件不存在" in r.stderr


@pytest.mark.slow
def test_match_json_contract(tmp_path, model_cache):
    f = tmp_path / "jobs.csv"
    f.write_text(HEADER + "J1,小区保安,130102,3000,4000,38.05,114.52\nJ2,超市收银员,130102,3000,3600,38.04,114.51\n",
                 encoding="utf-8")
    env = {"MATCHER_MODEL_CACHE": str(model_cache)}
    assert run(["import", "jobs", str(f), "--quiet"], tmp_path / "home", **env).returncode == 0
    profile = tmp_path / "me.json"
    profile.write_text(json.dumps({"desired_occupations": ["看大门"], "lat": 38.05, "lng": 114.52}, ensure_ascii=False),
                       encoding="utf-8")
    r = run(["match", "--profile", str(profile), "--top", "2", "--json"], tmp_path / "home", **env)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out[0]["id"] == "J1" and {"id", "score", "breakdown", "reasons"} <= set(out[0])
