"""``matcher train-encoder``: data preparation (fast) and a few real training steps (slow)."""

from __future__ import annotations

import json
import random

import pytest

from matcher import encoder_training as T


def _write_jobs(path, n: int = 40) -> None:
    from matcher.data.sample import generate

    jobs = generate(seed=3, n_jobs=n, n_seekers=1).jobs
    with path.open("w", encoding="utf-8") as fh:
        for j in jobs:
            fh.write(json.dumps({"岗位编号": j["id"], "职位名称": j["title"], "职位描述": j["description"],
                                 "技能要求": "、".join(j["skills"])}, ensure_ascii=False) + "\n")


def test_postings_are_read_in_import_formats_and_eval_postings_excluded(tmp_path):
    f = tmp_path / "jobs.jsonl"
    _write_jobs(f)
    rows = list(T.read_postings([f]))
    assert len(rows) == 40 and all(r["title"] and r["id"].startswith("J") for r in rows)
    # an evaluation posting and its near-duplicate under another id are both left out
    dup = dict(rows[0], id="OTHER")
    train, held, dropped = T.split_postings([*rows, dup], {rows[0]["id"]}, holdout_share=0.0)
    assert dropped == 2 and rows[0]["id"] not in {r["id"] for r in train} and not held
    ex = T.posting_examples(train, random.Random(0), desc_chars=160)
    assert ex and all(e.query and e.passage and e.kind.startswith("title-") for e in ex)
    # the description side never carries the title verbatim as its start
    assert all(not e.passage.startswith(e.query) for e in ex if e.kind == "title-description")


def test_taxonomy_pairs_have_neighbouring_hard_negatives():
    ex = T.taxonomy_examples({}, random.Random(0), 200)
    assert len(ex) == 200
    with_neg = [e for e in ex if e.negative]
    assert len(with_neg) > 150
    # the negative is another occupation of the same 3- or 2-level group
    assert all(e.negative_key != e.key and e.negative_key[:4] == e.key[:4] for e in with_neg)


def test_weak_label_pairs_join_titles_of_one_occupation_against_a_neighbour():
    titles = ["仓库管理员", "库管员", "仓管", "仓库保管员", "保安员", "门卫", "安保员", "电焊工", "焊工", "氩弧焊工"]
    rows = [{"id": f"P{i}", "title": t, "description": "", "skills": ""} for i, t in enumerate(titles)]
    ex = T.weak_label_examples(rows, random.Random(0), 60)
    assert len(ex) == 60 and all(e.kind == "title-title" for e in ex)
    from matcher.features.taxonomy import OccupationTaxonomy

    tax = OccupationTaxonomy.load()
    for e in ex:
        q = e.query.removeprefix("想找").split("的")[0].split("。")[0]
        # both titles are coded to the pair's occupation by the rules; the negative is another one
        assert tax.match(e.passage, top=1)[0][0] == e.key
        assert q in titles and tax.match(q, top=1)[0][0] == e.key
        if e.negative:
            assert e.negative_key != e.key and tax.match(e.negative, top=1)[0][0] == e.negative_key


def test_batches_avoid_repeated_keys():
    ex = [T.Example(f"q{i}", f"p{i}", key=f"k{i % 5}") for i in range(40)]
    batches = T.make_batches(ex, [], 4, random.Random(0))
    assert batches and all(len({e.key for e in b}) == len(b) for b in batches)


@pytest.mark.slow
def test_a_few_steps_lower_the_loss_and_the_adapter_loads(tmp_path, model_cache):
    from matcher.features.encoder import base_model_dir, open_encoder

    f = tmp_path / "jobs.jsonl"
    _write_jobs(f, 24)
    out = tmp_path / "adapter.safetensors"
    cfg = T.TrainConfig(steps=12, batch_size=8, lr=2e-3, taxonomy_share=0.0, max_minutes=10, log_every=1,
                        save_every=100, holdout_share=0.0)
    report = T.train([f], out, base_dir=base_model_dir(model_cache), cfg=cfg, log_path=tmp_path / "log.jsonl",
                     progress=False)
    assert report["steps"] == 12
    assert report["loss_last"] < report["loss_first"]
    assert out.is_file() and out.stat().st_size < 25 << 20
    enc = open_encoder(str(out), model_cache)
    base = open_encoder("e5-base", model_cache)
    assert enc.name != base.name and "+jobs" in enc.name
    v = enc.encode_queries(["保洁员", "电工"])
    assert v.shape == (2, 384)
