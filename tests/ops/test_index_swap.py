"""An index rebuild with a new encoder and new parameters, built beside the live index and swapped
in while the API serves matches and takes writes (real HTTP, uvicorn): no request fails, the
writes made during the build are in the new index, and the new index is what is saved; on SQLite
and PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import date, timedelta

import numpy as np
from live_server import serve

from matcher.features.encoder import Encoder

TODAY = date.today()
TITLES = ["电焊工", "焊工", "电工", "厨师", "保洁员", "仓库管理员", "叉车司机", "育婴员", "收银员", "快递员"]


class RenamedEncoder(Encoder):
    """The session's model under another name: to the engine, another encoder (every text is
    embedded again under the new name), with vectors a test can predict."""

    def __init__(self, inner: Encoder, name: str):
        self.inner, self.name, self.dim = inner, name, inner.dim
        self.calls = 0

    def encode_queries(self, texts, batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        self.calls += 1
        time.sleep(1.5)  # a slower model: the build takes a while, during which the old index serves
        return self.inner.encode_queries(texts, batch_size=batch_size, show_progress=show_progress)

    def encode_documents(self, texts, batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        self.calls += 1
        time.sleep(1.5)
        return self.inner.encode_documents(texts, batch_size=batch_size, show_progress=show_progress)


def _job(i: int) -> dict:
    return {"id": f"J{i}", "title": TITLES[i % len(TITLES)], "region_code": "130102", "lat": 38.0 + (i % 17) / 200,
            "lng": 114.45 + (i % 13) / 200, "posted_at": (TODAY - timedelta(days=1)).isoformat(),
            "expires_at": (TODAY + timedelta(days=30)).isoformat()}


def test_rebuild_beside_and_swap_while_serving(tmp_path, database_url, encoder, model_cache):
    import httpx

    from matcher.accounts import add_account
    from matcher.engine import MatchEngine
    from matcher.index.faiss_index import FaissIndex

    engine = MatchEngine.open(home=tmp_path / "home", database_url=database_url, encoder=encoder,
                              model_cache=model_cache, sync_interval=0.2)
    engine.upsert("job", [_job(i) for i in range(120)])
    engine.upsert("seeker", [{"id": "S1", "name": "王小明", "desired_occupations": ["电焊工"], "lat": 38.05,
                              "lng": 114.52, "region_code": "130102"}])
    _, token = add_account(engine.store, "swap-test", "province")
    old_kind = engine._side("jobs").index.kind
    renamed = RenamedEncoder(encoder, encoder.name + "-v2")
    statuses: Counter = Counter()
    failures: list[tuple] = []
    written: list[str] = []
    stop = threading.Event()

    try:
        with serve(engine) as base:
            def load(kind: str):
                n = 0
                with httpx.Client(base_url=base, timeout=30, trust_env=False,
                                  headers={"Authorization": f"Bearer {token}"}) as c:
                    while not stop.is_set():
                        try:
                            if kind == "stored":
                                r = c.get("/v1/seekers/S1/matches", params={"limit": 5})
                            elif kind == "profile":
                                r = c.post("/v1/matches/jobs", json={"id": "p", "desired_occupations": ["厨师"],
                                                                      "lat": 38.05, "lng": 114.52}, params={"limit": 5})
                            else:
                                rid = f"N{n}"
                                r = c.post("/v1/jobs", json=_job(n) | {"id": rid, "title": "电焊工"})
                                if r.status_code == 201:
                                    written.append(rid)
                                n += 1
                        except httpx.TransportError as e:
                            failures.append((kind, type(e).__name__))
                            continue
                        statuses[(kind, r.status_code)] += 1
                        if r.status_code not in (200, 201):
                            failures.append((kind, r.status_code, r.text[:200]))
                        stop.wait(0.05)

            threads = [threading.Thread(target=load, args=(k,), daemon=True) for k in ("stored", "profile", "write")]
            for t in threads:
                t.start()
            time.sleep(1.0)
            served_before = sum(statuses.values())
            t0 = time.monotonic()
            sizes = engine.rebuild_index_beside(encoder=renamed, exact_index_max=50)
            took = time.monotonic() - t0
            served_during = sum(statuses.values()) - served_before
            time.sleep(1.0)
            stop.set()
            for t in threads:
                t.join(timeout=30)
            with httpx.Client(base_url=base, timeout=30, trust_env=False,
                              headers={"Authorization": f"Bearer {token}"}) as c:
                after = c.get("/v1/seekers/S1/matches", params={"limit": 50}).json()
    finally:
        stop.set()

    print(f"swap took {took:.1f} s; {served_during} requests answered meanwhile; {dict(statuses)}")
    assert not failures, failures[:5]
    assert served_during >= 5  # the old index answered while the new one was built
    assert renamed.calls > 0 and engine.encoder_name == renamed.name
    jobs_side = engine._side("jobs")
    assert old_kind == "exact" and jobs_side.index.kind == "ivf"  # the new parameters are in force
    assert sizes["jobs"] >= 120 and set(written) <= set(jobs_side.table.row_of)  # writes during the build
    saved = FaissIndex.load(tmp_path / "home" / "index" / "jobs")
    assert saved.meta["encoder"] == renamed.name and len(saved) == sizes["jobs"]  # saved at the swap
    assert after and after[0]["summary"]["title"] in ("电焊工", "焊工")
    engine.close()
