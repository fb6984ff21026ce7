"""Occupation understanding on the development set: posting title -> 2022 code, top-1/top-3 accuracy
at 4 and 2 levels, for the taxonomy's rules, the nearest-taxonomy-entry classifier in an encoder's
space (:mod:`matcher.features.occupation_knn`), and the hybrid the engine uses (the rules when they
are sure, else the classifier when it is confident).

    python -m evaluation.occupation_accuracy --encoder default --encoder e5-base
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path


def accuracy(pred: Sequence[list[tuple[str, float]]], gold: Sequence[str]) -> dict[str, float]:
    n = max(1, len(gold))

    def hit(p, g, level, k):
        cut = 10 if level == 4 else 4  # "4-02-06-01"[:4] = "4-02"
        return any(c[:cut] == g[:cut] for c, _ in p[:k])

    out = {f"top{k}_{lv}level": sum(hit(p, g, lv, k) for p, g in zip(pred, gold, strict=True)) / n
           for lv in (4, 2) for k in (1, 3)}
    out["coded"] = sum(bool(p) for p in pred) / n
    return out


#: (neighbour weight, temperature) settings compared with the engine's
SWEEP = ((0.5, 0.03), (1.0, 0.02), (1.0, 0.05), (2.0, 0.03), (2.0, 0.05), (4.0, 0.05))


def evaluate_records(records: Sequence[dict], gold: Sequence[str], profiler, encoders: dict[str, object],
                     cache_dir: Path | None = None) -> dict[str, dict[str, float]]:
    """``rules``: the engine's profiler (the taxonomy on the title, then the description);
    ``knn-title``: the title embedded as a query against the entries; ``knn-job``: the job's
    passage vector (its ``job_text``, as the engine stores it) against the entries embedded as
    queries; ``engine``: :func:`~matcher.features.occupation_knn.refine` of the rules and knn-job,
    what the engine uses; ``refine(w,T)``: the same with another neighbour weight and temperature."""
    from matcher.features.occupation_knn import NEIGHBOUR_WEIGHT, TEMPERATURE, OccupationClassifier, refine
    from matcher.features.profiles import job_text

    rules = [[(h.code, h.confidence) for h in profiler.job(r).occupations] for r in records]
    out = {"rules": accuracy(rules, gold)}
    titles = [r["title"] for r in records]
    texts = [job_text(r) for r in records]
    for label, enc in encoders.items():
        clf = OccupationClassifier.build(enc, profiler.taxonomy, cache_dir)
        knn_title = clf.classify_vectors(enc.encode_queries(titles), top=3)
        knn_job = clf.classify_documents(enc.encode_documents(texts), top=3)
        out[f"knn-title[{label}]"] = accuracy(knn_title, gold)
        out[f"knn-job[{label}]"] = accuracy(knn_job, gold)
        out[f"engine[{label}]"] = accuracy([refine(r, k) for r, k in zip(rules, knn_job, strict=True)], gold)
        for w, t in SWEEP:
            if (w, t) == (NEIGHBOUR_WEIGHT, TEMPERATURE):
                continue
            out[f"refine({w},{t})[{label}]"] = accuracy(
                [refine(r, k, weight=w, temperature=t) for r, k in zip(rules, knn_job, strict=True)], gold)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    from evaluation.evaluate import (
        LABELS_FILE,
        SHARED_DATA,
        SharedDataMissing,
        check_shared_data,
        load_labels,
    )
    from evaluation.evaluate import read_postings as read_eval_postings
    from matcher.features.encoder import open_encoder
    from matcher.features.profiles import Profiler
    from matcher.features.skills import SkillVocabulary
    from matcher.features.taxonomy import OccupationTaxonomy

    p = argparse.ArgumentParser(prog="python -m evaluation.occupation_accuracy", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--encoder", action="append", default=None, help="encoder spec(s) (default: default, e5-base)")
    p.add_argument("--model-cache", default=None)
    p.add_argument("--full-classification", action="store_true")
    p.add_argument("--out", default="out/occupation_accuracy.json")
    a = p.parse_args(argv)
    try:
        check_shared_data(SHARED_DATA)
    except SharedDataMissing:
        print("跳过：未找到参考岗位数据 / skipped: the reference postings are not on this machine")
        return 0
    labels = load_labels(LABELS_FILE)
    _, df = read_eval_postings(SHARED_DATA, labels)
    ids = [i for i in labels if i in df.index]
    from evaluation.evaluate import job_record

    records = [job_record(i, df.loc[i], set()) for i in ids]
    gold = [labels[i] for i in ids]
    full = SHARED_DATA / "occupations_2022.csv" if a.full_classification else None
    tax = OccupationTaxonomy.load(full)
    specs = a.encoder or ["default", "e5-base"]
    encs = {s: open_encoder(s, a.model_cache, batch_threads=2) for s in specs}
    res = evaluate_records(records, gold, Profiler(tax, SkillVocabulary.load()), encs,
                           Path(a.model_cache) if a.model_cache else None)
    print(f"{len(ids)} 条岗位 postings; 职位名 -> 职业编码 / title -> code")
    for name, m in res.items():
        print(f"  {name:<28} " + "  ".join(f"{k} {v:.3f}" for k, v in m.items()))
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"postings": len(ids), "encoders": {s: e.name for s, e in encs.items()},
                               "full_classification": bool(full), "results": res}, ensure_ascii=False, indent=2),
                   encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
