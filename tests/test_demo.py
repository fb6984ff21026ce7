"""``matcher demo`` end to end on a small sample: it builds the store and index and prints one
working token per role."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from matcher import accounts
from matcher.access import Role


def test_demo_builds_the_sample_and_prints_a_token_per_role(tmp_path, model_cache):
    home = tmp_path / "home"
    env = {**os.environ, "MATCHER_MODEL_CACHE": str(model_cache)}
    r = subprocess.run([sys.executable, "-m", "matcher.cli", "--home", str(home), "demo", "--jobs", "60",
                        "--seekers", "150"], capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "示例" in r.stdout and "下一步" in r.stdout
    tokens = dict(re.findall(r"^\s+(\w+)\s+demo-\w+\s+\S+\s+(hjm_\S+)$", r.stdout, flags=re.M))
    assert set(tokens) == {role.value for role in Role}
    from matcher.store import Store

    store = Store.open(f"sqlite:///{home / 'matcher.db'}")
    try:
        for role, token in tokens.items():
            p = accounts.authenticate(store, token)
            assert p.role == role
            if p.is_staff:
                assert p.region_code and p.region_code.startswith("13")
        employer = accounts.authenticate(store, tokens["employer"])
        assert store.get_dicts("employer", [employer.employer_id])
        assert store.count("job") == 60 and store.count("seeker") == 150
    finally:
        store.close()
