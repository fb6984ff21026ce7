"""Occupation understanding in the encoder's space: free text -> 2022 occupation codes with a
confidence, from the nearest taxonomy names and job titles.

Every occupation of the taxonomy contributes its official name and each of its common titles and
synonyms (the team's table; with the full classification loaded, every other occupation by its
name). A code's score is its best entry's cosine.

Two sides, because the encoder has two (``query:`` / ``passage:``): a seeker's stored vector is a
*query*, compared with the entries embedded as passages; a job's stored vector is a *passage*,
compared with the entries embedded as queries (the direction the adapter was trained on, title ->
posting). Nothing is embedded again for a record: the classifier reads the vectors the engine
already stores. The entry vectors are computed once per (encoder, taxonomy) and side, and cached as
``.npy`` in the model cache, so opening costs a file read after the first time.

:func:`refine` is the rule the engine applies: the taxonomy's rules stand alone when they are sure
(an exact name or title, confidence >= :data:`RULES_TRUSTED`); otherwise the rules' hits and the
nearest codes vote, so a substring hit ("分拣员" in "药品分拣员") can be outvoted by a clearly
nearer occupation, and a title the rules cannot read at all gets the nearest one.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

#: the rules' confidence from which their answer stands alone (exact names and titles)
RULES_TRUSTED = 0.9
#: the same for a seeker: several wishes share one vector, so the rules' reading of them stands
#: unless it is their weakest stage (token overlap) or nothing
SEEKER_TRUSTED = 0.5
#: how many nearest codes vote
NEAREST = 5
#: a nearest code's vote: NEIGHBOUR_WEIGHT x exp((cosine - best cosine) / TEMPERATURE)
NEIGHBOUR_WEIGHT = 1.0
TEMPERATURE = 0.03
#: the confidence of a code the classifier chose: from MIN_CONFIDENCE (a tie among the nearest)
#: to MAX_CONFIDENCE (the rules' exact hits are 1.0)
MIN_CONFIDENCE = 0.5
MAX_CONFIDENCE = 0.9
#: records classified per matrix product (4,096 x 4,125 entries: 68 MB of float32)
BLOCK = 4096


class OccupationClassifier:
    """Nearest taxonomy entries. ``embed_passages`` / ``embed_queries``: functions embedding a list
    of entry texts on that side; each is called once, when its side is first needed."""

    def __init__(self, codes: Sequence[str], texts: Sequence[str], *,
                 embed_passages: Callable[[list[str]], np.ndarray],
                 embed_queries: Callable[[list[str]], np.ndarray] | None = None,
                 encoder_name: str = "", cache_dir: Path | str | None = None):
        # entries sorted by code, so a code's entries are one slice (``np.maximum.reduceat``)
        pairs = sorted(zip(codes, texts, strict=True), key=lambda ct: ct[0])
        self.entry_codes = [c for c, _ in pairs]
        self.entry_texts = [t for _, t in pairs]
        self.code_list = sorted(set(self.entry_codes))
        self._starts = np.array([i for i, c in enumerate(self.entry_codes) if i == 0 or c != self.entry_codes[i - 1]],
                                dtype=np.int64)
        self._embed = {"passages": embed_passages, "queries": embed_queries}
        self._vectors: dict[str, np.ndarray] = {}
        self._cache_dir = cache_dir
        self._key = hashlib.sha256(("\n".join(f"{c}\t{t}" for c, t in zip(self.entry_codes, self.entry_texts,
                                                                            strict=True)) + "\0" + encoder_name
                                    ).encode()).hexdigest()[:16]

    @staticmethod
    def entries(taxonomy) -> tuple[list[str], list[str]]:
        codes, texts, seen = [], [], set()
        for occ in taxonomy:
            for t in (occ.name, *occ.synonyms):
                t = (t or "").strip()
                if t and (occ.code, t) not in seen:
                    seen.add((occ.code, t))
                    codes.append(occ.code)
                    texts.append(t)
        return codes, texts

    @classmethod
    def build(cls, encoder, taxonomy, cache_dir: Path | str | None = None) -> OccupationClassifier:
        codes, texts = cls.entries(taxonomy)
        return cls(codes, texts, embed_passages=lambda t: encoder.encode_documents(t, batch_size=128),
                   embed_queries=lambda t: encoder.encode_queries(t, batch_size=128),
                   encoder_name=encoder.name, cache_dir=cache_dir)

    def side(self, name: str) -> np.ndarray:
        """The entries embedded as ``passages`` or ``queries`` (computed or read from the cache)."""
        if name not in self._vectors:
            fn = self._embed[name]
            if fn is None:
                raise ValueError(f"no {name} side")
            self._vectors[name] = _cached(self._cache_dir, f"occupation-{name}-{self._key}.npy",
                                          (len(self.entry_texts), None), lambda: fn(list(self.entry_texts)))
        return self._vectors[name]

    @property
    def vectors(self) -> np.ndarray:
        return self.side("passages")

    @property
    def query_vectors(self) -> np.ndarray:
        return self.side("queries")

    def code_scores(self, query_vectors: np.ndarray, entries: np.ndarray | None = None) -> np.ndarray:
        """(n, codes) best cosine of each code's entries."""
        entries = self.vectors if entries is None else entries
        sims = np.asarray(query_vectors, dtype=np.float32).reshape(-1, entries.shape[1]) @ entries.T
        if not sims.shape[0] or not len(self._starts):
            return np.zeros((sims.shape[0], len(self.code_list)), dtype=np.float32)
        return np.maximum.reduceat(sims, self._starts, axis=1)

    def classify_vectors(self, query_vectors: np.ndarray, top: int = NEAREST,
                         entries: np.ndarray | None = None) -> list[list[tuple[str, float]]]:
        """For query-side vectors (a seeker's, a title embedded as a query): the ``top`` nearest
        codes with their cosine. Rows go through in blocks of :data:`BLOCK`, so loading a large
        ledger never holds a (records x entries) matrix at once."""
        vecs = np.asarray(query_vectors, dtype=np.float32).reshape(-1, self.vectors.shape[1] if entries is None
                                                                    else entries.shape[1])
        out: list[list[tuple[str, float]]] = []
        for a in range(0, len(vecs), BLOCK):
            out.extend(nearest_codes(self.code_scores(vecs[a : a + BLOCK], entries), self.code_list, top))
        return out

    def classify_documents(self, document_vectors: np.ndarray, top: int = NEAREST) -> list[list[tuple[str, float]]]:
        """The same for jobs, from their stored (passage) vectors: no text is embedded again."""
        return self.classify_vectors(document_vectors, top, self.query_vectors)


def nearest_codes(scores: np.ndarray, code_list: Sequence[str], top: int = NEAREST) -> list[list[tuple[str, float]]]:
    """The ``top`` codes by cosine for each row of :meth:`OccupationClassifier.code_scores`."""
    if not len(scores):
        return []
    top = min(top, scores.shape[1])
    part = np.argpartition(-scores, top - 1, axis=1)[:, :top]
    out = []
    for i, cols in enumerate(part):
        cols = cols[np.argsort(-scores[i, cols], kind="stable")]
        out.append([(code_list[j], float(scores[i, j])) for j in cols])
    return out


def neighbour_weights(near: Sequence[tuple[str, float]], temperature: float = TEMPERATURE) -> dict[str, float]:
    """exp((cosine - best cosine) / temperature) of each near code: 1.0 for the nearest, less for
    codes that are clearly further."""
    if not near:
        return {}
    best = near[0][1]
    return {c: float(np.exp((cos - best) / temperature)) for c, cos in near}


def refine(rule_hits: Sequence[tuple[str, float]], near: Sequence[tuple[str, float]], *,
           weight: float = NEIGHBOUR_WEIGHT, temperature: float = TEMPERATURE,
           trusted: float = RULES_TRUSTED) -> list[tuple[str, float]]:
    """A job's occupation from the rules' hits (code, confidence) and its nearest taxonomy codes
    (code, cosine): every code's vote is the rules' confidence plus ``weight`` x its neighbour
    weight; the best vote wins. The rules' answer stands when they are sure (``trusted``: an exact
    name or title). The winner's confidence is the rules' when they named it, else its share of
    the neighbour weights, at most :data:`MAX_CONFIDENCE`."""
    rule_hits = list(rule_hits)
    if (rule_hits and rule_hits[0][1] >= trusted) or not near:
        return rule_hits
    nw = neighbour_weights(near, temperature)
    votes: dict[str, float] = {}
    for c, conf in rule_hits:
        votes[c] = max(votes.get(c, 0.0), conf)
    for c, w in nw.items():
        votes[c] = votes.get(c, 0.0) + weight * w
    best = max(votes, key=lambda c: (votes[c], c in nw))
    if rule_hits and best == rule_hits[0][0]:
        return rule_hits
    share = nw.get(best, 0.0) / sum(nw.values())
    rules_conf = dict(rule_hits).get(best, 0.0)
    conf = max(rules_conf, min(MAX_CONFIDENCE, MIN_CONFIDENCE + (1 - MIN_CONFIDENCE) * share))
    return [(best, conf)] + [h for h in rule_hits if h[0] != best]


def _cached(cache_dir: Path | str | None, name: str, shape: tuple[int, int | None], compute) -> np.ndarray:
    path = Path(cache_dir) / name if cache_dir else None
    if path is not None and path.is_file():
        try:
            vecs = np.load(path)
            if vecs.shape[0] == shape[0] and (shape[1] is None or vecs.shape[1] == shape[1]):
                return vecs
        except (OSError, ValueError):
            pass
    vecs = np.ascontiguousarray(np.asarray(compute(), dtype=np.float32))
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".occ-", suffix=".npy", dir=path.parent)
            with os.fdopen(fd, "wb") as fh:
                np.save(fh, vecs)
            os.replace(tmp, path)
        except OSError:  # a read-only cache: keep the vectors in memory only
            pass
    return vecs
