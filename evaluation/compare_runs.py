"""Paired comparison of two ``matcher evaluate`` runs on the same queries (e.g. two settings of the
engine, each written with ``--out``): per system, the mean per-query difference B - A of nDCG@10
(4-level and local) with a 95 % paired-bootstrap interval, and the same-occupation title protocol.

    MATCHER_DOCUMENT_MAX_TOKENS=64 python -m evaluation.evaluate --no-tune --no-priority --out out/doc64.json
    python -m evaluation.compare_runs out/evaluate.json out/doc64.json
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from evaluation.evaluate import paired_bootstrap


def query_rows(result: dict, system: str) -> list[dict]:
    """The per-query rows of ``system`` in the shape :func:`paired_bootstrap` reads."""
    out = []
    for q in result.get("per_query") or []:
        got = q.get(system)
        if got:
            out.append({"query_id": q["query_id"], "ndcg4": got.get("ndcg"), "ndcg_local": got.get("ndcg_local")})
    return out


def compare(a: dict, b: dict, systems: Sequence[str] = ("full", "encoder"), seed: int = 0) -> dict:
    out: dict = {"a": a.get("parameters", {}).get("encoder"), "b": b.get("parameters", {}).get("encoder")}
    for name in systems:
        if name in a.get("systems", {}) and name in b.get("systems", {}):
            out[name] = {"a": {k: a["systems"][name].get(k) for k in ("ndcg@k", "ndcg@k_local")},
                         "b": {k: b["systems"][name].get(k) for k in ("ndcg@k", "ndcg@k_local")},
                         "b_minus_a": paired_bootstrap(query_rows(b, name), query_rows(a, name), seed=seed)}
    # the title protocol keeps no per-query rows: its means only
    out["title_protocol_ndcg"] = {
        side: {k: v.get("ndcg@k") for k, v in (r.get("same_occupation_from_title") or {}).items() if isinstance(v, dict)}
        for side, r in (("a", a), ("b", b))}
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("a", help="evaluate JSON of the reference run")
    p.add_argument("b", help="evaluate JSON of the run compared with it")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", default=None, help="also write the comparison as JSON here")
    args = p.parse_args(argv)
    res = compare(*(json.loads(Path(f).read_text(encoding="utf-8")) for f in (args.a, args.b)), seed=args.seed)
    print(f"A: {args.a} ({res['a']})\nB: {args.b} ({res['b']})")
    for name in ("full", "encoder"):
        if name not in res:
            continue
        for key, label in (("ndcg4", "ndcg@k"), ("ndcg_local", "ndcg@k_local")):
            d = res[name]["b_minus_a"].get(key)
            if d:
                print(f"  {name:<8} {label:<13} A {res[name]['a'][label]:.4f}  B {res[name]['b'][label]:.4f}  "
                      f"B-A {d['mean_diff']:+.4f} [{d['ci95'][0]:+.4f}, {d['ci95'][1]:+.4f}]  "
                      f"better {d['better']} worse {d['worse']} of {d['queries']}")
    ta, tb = res["title_protocol_ndcg"]["a"], res["title_protocol_ndcg"]["b"]
    for k in ta:
        if ta.get(k) is not None and tb.get(k) is not None:
            print(f"  title protocol {k:<14} A {ta[k]:.4f}  B {tb[k]:.4f}  B-A {tb[k] - ta[k]:+.4f}")
    if args.json:
        Path(args.json).write_text(json.dumps(res, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
