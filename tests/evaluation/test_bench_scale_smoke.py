"""Smoke test of evaluation/bench_scale.py: our stack's filtered query on a tiny synthetic collection
(no Qdrant, no Chroma, no encoder, no data files) is exact, and the JSON and table have their shape."""

from __future__ import annotations

import json

import numpy as np

from evaluation import bench_scale as bs


def _args(tmp_path, *extra):
    return bs.parse_args(["--sizes", "3000", "--systems", "ours", "ours_mask", "--synthetic", "--no-engine",
                          "--queries", "40", "--real-docs", "100", "--cache-dir", str(tmp_path / "cache"),
                          "--out", str(tmp_path / "out.json"), *extra])


def test_filtered_query_matches_brute_force(tmp_path):
    args = _args(tmp_path)
    base = bs.base_vectors(args)
    qs = bs.make_queries(base, args)
    coll, _ = bs.make_collection(3000, base, args)
    truth, eligible = bs.brute_force(coll, qs, args.radius_km)
    assert sum(e > 0 for e in eligible) >= 30  # most queries have jobs around them
    for cls in (bs.Ours, bs.OursMask):
        system = cls(coll)
        system.build()
        found = [system.query(qs.vectors[i], float(qs.lat[i]), float(qs.lng[i]), args.radius_km)
                 for i in range(len(qs.vectors))]
        assert bs.recall(found, truth) == 1.0, cls.__name__
        for f, t in zip(found, truth, strict=True):  # same rows in the same (cosine) order
            assert np.array_equal(f, t)
        system.close()


def test_cli_writes_json_and_table(tmp_path, capsys):
    assert bs.main(["--sizes", "3000", "--systems", "ours", "ours_mask", "--synthetic", "--no-engine",
                    "--queries", "40", "--real-docs", "100", "--cache-dir", str(tmp_path / "cache"),
                    "--out", str(tmp_path / "out.json")]) == 0
    printed = capsys.readouterr().out
    assert "recall@20" in printed and "3,000" in printed and "ours_mask" in printed
    r = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert {"cpus", "platform", "versions"} <= set(r["machine"])
    assert {"faiss-cpu", "qdrant-client", "chromadb", "torch"} <= set(r["machine"]["versions"])
    assert r["params"]["radius_km"] == 10.0 and r["params"]["sizes"] == [3000]
    (size,) = r["sizes"]
    assert size["n"] == 3000
    ours = size["systems"]["ours"]
    assert ours["recall@20"] == 1.0 and ours["index_kind"] == "exact"
    assert {"build_s", "p50_ms", "p99_ms", "queries"} <= set(ours)
    assert ours["queries"] == 40
    assert size["systems"]["ours_mask"]["recall@20"] == 1.0
    assert size["systems"]["ours_mask"]["build"] == "shared with ours"
    assert size["ratios_theirs_over_ours"] == {} and size["target_3x"] == {}  # no Qdrant/Chroma here
    assert r["engine"] == []


def test_embedded_peers_answer_the_filtered_query(tmp_path):
    """Milvus Lite, LanceDB and hnswlib (the ``bench`` extra; skipped when not installed) on a small
    synthetic collection: each returns open jobs inside the radius, mostly the exact ones."""
    import pytest

    from matcher.features.geo import haversine_km

    args = _args(tmp_path)
    base = bs.base_vectors(args)
    qs = bs.make_queries(base, args)
    coll, _ = bs.make_collection(3000, base, args)
    truth, _ = bs.brute_force(coll, qs, args.radius_km)
    for module, cls in (("pymilvus", bs.MilvusLite), ("lancedb", bs.LanceDB), ("hnswlib", bs.HnswPost)):
        pytest.importorskip(module)
        system = cls(coll)
        system.build()
        try:
            found = [system.query(qs.vectors[i], float(qs.lat[i]), float(qs.lng[i]), args.radius_km)
                     for i in range(len(qs.vectors))]
        finally:
            system.close()
        for i, f in enumerate(found):
            assert coll.open[f].all() and (haversine_km(qs.lat[i], qs.lng[i], coll.lat[f], coll.lng[f]) <= args.radius_km).all()
        assert bs.recall(found, truth) >= 0.8, cls.__name__
