"""`matcher bench embed` on a few generated job texts: it reports the default encoder's texts/s
(against the 200 texts/s target) and a document-cap variant with its agreement to fp32."""

from __future__ import annotations

import json

from evaluation import bench_embed


def test_bench_embed_reports_the_default_encoder(model_cache, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("MATCHER_DOCUMENT_MAX_TOKENS", raising=False)
    out = tmp_path / "embed.json"
    assert bench_embed.main(["--sample", "--texts", "12", "--queries", "0", "--threads", "1", "--variants",
                             "default", "doc16", "--model-cache", str(model_cache), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "default encoder" in printed and "texts/s" in printed
    rows = {r["variant"]: r for r in json.loads(out.read_text(encoding="utf-8"))["variants"]}
    assert list(rows) == ["fp32", "default", "doc16"]
    assert rows["default"]["texts_per_s"] > 0 and rows["default"]["load_avg_after"]
    assert rows["doc16"]["encoder"].endswith(".doc16-384d") and rows["doc16"]["document_max_tokens"] == 16
    assert rows["default"]["document_max_tokens"] == 256 and "." not in rows["default"]["encoder"].split("@")[1]
    assert rows["default"]["cosine_mean"] > 0.99 and rows["doc16"]["cosine_mean"] < rows["default"]["cosine_mean"]
