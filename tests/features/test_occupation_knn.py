"""Occupation understanding in the encoder's space (matcher/features/occupation_knn.py)."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.features.occupation_knn import (
    MAX_CONFIDENCE,
    MIN_CONFIDENCE,
    OccupationClassifier,
    nearest_codes,
    refine,
)


def _unit(rows):
    a = np.asarray(rows, dtype=np.float32)
    return a / np.linalg.norm(a, axis=1, keepdims=True)


def _classifier(tmp_path=None, calls=None):
    # three occupations, entries given out of code order
    codes = ["4-02-06-01", "4-07-05-01", "4-02-06-01", "6-25-04-02"]
    texts = ["仓库管理员", "保安员", "库管", "焊工"]
    vecs = {"仓库管理员": [1, 0, 0, 0], "库管": [0.8, 0.6, 0, 0], "保安员": [0, 1, 0, 0], "焊工": [0, 0, 1, 0]}

    def embed(t):
        if calls is not None:
            calls.append(len(t))
        return _unit([vecs[x] for x in t])

    return OccupationClassifier(codes, texts, embed_passages=embed, embed_queries=embed, encoder_name="toy",
                                cache_dir=tmp_path)


def test_code_scores_take_each_codes_best_entry():
    clf = _classifier()
    assert clf.code_list == ["4-02-06-01", "4-07-05-01", "6-25-04-02"]
    q = _unit([[0.6, 0.8, 0, 0], [0, 0, 1, 0.1]])
    got = clf.code_scores(q)
    brute = np.full((2, 3), -1.0)
    for code, vec in zip(clf.entry_codes, clf.vectors, strict=True):
        j = clf.code_list.index(code)
        brute[:, j] = np.maximum(brute[:, j], q @ vec)
    assert np.allclose(got, brute, atol=1e-6)
    top = clf.classify_vectors(q, top=2)
    assert top[0][0][0] == "4-02-06-01"  # 库管 (0.96) beats 保安员 (0.8)
    assert top[1][0][0] == "6-25-04-02"


def test_entry_vectors_are_cached_per_side(tmp_path):
    calls: list[int] = []
    clf = _classifier(tmp_path, calls)
    clf.classify_documents(_unit([[1, 0, 0, 0]]))
    clf.classify_vectors(_unit([[1, 0, 0, 0]]))
    assert calls == [4, 4]  # each side embedded once
    again = _classifier(tmp_path, calls)
    again.classify_documents(_unit([[1, 0, 0, 0]]))
    assert calls == [4, 4]  # read from the cache


def test_refine_votes_rules_and_nearest_codes():
    sure = [("4-07-05-01", 1.0)]
    near = [("4-02-06-01", 0.95), ("4-07-05-01", 0.80)]
    assert refine(sure, near) == sure  # an exact title stands
    weak = [("4-07-05-01", 0.6)]
    got = refine(weak, near)  # a clearly nearer occupation outvotes a weak reading
    assert got[0][0] == "4-02-06-01" and MIN_CONFIDENCE < got[0][1] <= MAX_CONFIDENCE and got[1] == weak[0]
    # a near tie leaves the rules' reading in place
    assert refine(weak, [("4-02-06-01", 0.90), ("4-07-05-01", 0.895)]) == weak
    # nothing read by the rules: the nearest code, as sure as it stands out
    alone = refine([], [("4-02-06-01", 0.95), ("6-25-04-02", 0.80)])
    tie = refine([], [("4-02-06-01", 0.95), ("6-25-04-02", 0.949)])
    assert alone[0][0] == tie[0][0] == "4-02-06-01" and alone[0][1] > tie[0][1] >= MIN_CONFIDENCE
    assert refine([], []) == [] and refine(weak, []) == weak


def test_nearest_codes_are_sorted_by_cosine():
    scores = np.array([[0.1, 0.9, 0.5], [0.7, 0.2, 0.8]], dtype=np.float32)
    got = nearest_codes(scores, ["a", "b", "c"], top=2)
    assert [[c for c, _ in row] for row in got] == [["b", "c"], ["c", "a"]]


def _job(jid, title, description):
    return {"id": jid, "title": title, "employer_id": "E1", "description": description, "region_code": "130102",
            "lat": 38.04, "lng": 114.51, "status": "open"}


@pytest.mark.parametrize(("title", "description", "rules_code", "code"), [
    # the rules read a word of the title and get it wrong; the posting's vector says what it is
    ("养老护理专员", "负责养老院老人的日常生活照料、喂饭、翻身和清洁", "2-05-08-01", "4-10-01-05"),
    ("客房卫生员", "酒店客房清洁、更换床品、补充客房用品", "4-09-08-01", "4-03-01-02"),
])
def test_engine_decides_a_weakly_read_job_with_its_vector(engine, title, description, rules_code, code):
    rules = engine.ctx.profiler.job({"id": "J1", "title": title, "description": description}).occupations
    assert rules and rules[0].code == rules_code and rules[0].confidence < 0.9  # the premise
    engine.upsert_jobs([_job("J1", title, description)])
    assert engine.job_occupations(["J1"]) == {"J1": code}


def test_engine_keeps_an_exact_title_and_a_given_code(engine):
    engine.upsert_jobs([_job("J1", "保安员", "小区门岗值班，巡逻，登记来访车辆"),
                        dict(_job("J2", "养老护理专员", "照料老人"), occupation_code="2-05-08-01")])
    assert engine.job_occupations(["J1", "J2"]) == {"J1": "4-07-05-01", "J2": "2-05-08-01"}
