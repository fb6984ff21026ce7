"""The index is a cache of the store: persisted, reloaded, rebuilt when corrupt or when the encoder changes."""

from datetime import date, timedelta

import pytest

from matcher.engine import MatchEngine

TODAY = date(2026, 11, 20)


def jobs():
    base = {"region_code": "130102", "posted_at": (TODAY - timedelta(days=1)).isoformat(),
            "expires_at": (TODAY + timedelta(days=30)).isoformat()}
    return [
        {**base, "id": "weld", "title": "电焊工", "skills": ["焊工证"], "lat": 38.01, "lng": 114.5},
        {**base, "id": "guard", "title": "小区保安", "lat": 38.02, "lng": 114.5},
        {**base, "id": "cook", "title": "食堂厨师", "lat": 38.03, "lng": 114.5},
    ]


SEEKER = {"id": "S", "desired_occupations": ["电焊"], "lat": 38.0, "lng": 114.5, "area_type": "urban"}


def open_engine(home, encoder, model_cache, **kw):
    return MatchEngine.open(home=home, encoder=encoder, model_cache=model_cache, sync_interval=0, **kw)


def test_index_persists_and_reloads_without_reembedding(tmp_path, encoder, model_cache, monkeypatch):
    with open_engine(tmp_path, encoder, model_cache) as e:
        e.upsert_jobs(jobs())
        e.upsert_seekers([SEEKER])
        first = [m.id for m in e.match_jobs("S", k=3, today=TODAY)]
    assert (tmp_path / "index" / "jobs").exists()
    calls = []
    monkeypatch.setattr(encoder, "encode_documents", lambda *a, **k: calls.append(a) or pytest.fail("re-embedded"))
    with open_engine(tmp_path, encoder, model_cache) as e:
        assert [m.id for m in e.match_jobs("S", k=3, today=TODAY)] == first and first[0] == "weld"
    assert not calls


def test_corrupt_index_is_rebuilt_from_store(tmp_path, encoder, model_cache):
    with open_engine(tmp_path, encoder, model_cache) as e:
        e.upsert_jobs(jobs())
        e.upsert_seekers([SEEKER])
        e.warm()
    for f in (tmp_path / "index" / "jobs").rglob("*"):
        if f.is_file() and f.suffix in (".npy", ".faiss", ".index", ".bin"):
            f.write_bytes(b"garbage")
    with open_engine(tmp_path, encoder, model_cache) as e:
        assert e.match_jobs("S", k=1, today=TODAY)[0].id == "weld"


def test_writes_by_another_process_are_seen(tmp_path, encoder, model_cache):
    a = open_engine(tmp_path, encoder, model_cache)
    b = open_engine(tmp_path, encoder, model_cache)
    a.upsert_seekers([SEEKER])
    assert b.match_jobs("S", k=3, today=TODAY) == []
    a.upsert_jobs(jobs()[:1])
    assert [m.id for m in b.match_jobs("S", k=3, today=TODAY)] == ["weld"]
    a.close()
    b.close()


@pytest.mark.slow
def test_changed_encoder_is_noticed_and_reembeds(tmp_path, encoder, model_cache):
    """An operator points MATCHER_ENCODER at another local model (here: the default plus a
    128-dim projection). The engine sees a new name and dimension and rebuilds from the store."""
    import torch
    from sentence_transformers import SentenceTransformer, models

    from matcher.features.encoder import open_encoder

    torch.manual_seed(0)
    base = encoder.model
    dense = models.Dense(in_features=encoder.dim, out_features=128, bias=False,
                         activation_function=torch.nn.Identity())
    other = SentenceTransformer(modules=[*base, dense, models.Normalize()], device="cpu")
    other.prompts = dict(base.prompts)
    folder = tmp_path / "other-model"
    other.save(str(folder))
    with open_engine(tmp_path / "home", encoder, model_cache) as e:
        e.upsert_jobs(jobs())
        e.upsert_seekers([SEEKER])
        e.warm()
    enc2 = open_encoder(str(folder))
    assert enc2.dim == 128 and enc2.name != encoder.name
    with open_engine(tmp_path / "home", enc2, model_cache) as e:
        matches = e.match_jobs("S", k=3, today=TODAY)
        assert len(matches) == 3
        assert e.side_cache("jobs").index.dim == 128


def test_stored_records_are_served_without_loading_the_model(tmp_path, encoder, model_cache):
    """A process that only matches stored records (CLI, digest workers) checks the persisted index
    against the model's files and never imports torch's model."""
    with open_engine(tmp_path, encoder, model_cache) as e:
        e.upsert_jobs(jobs())
        e.upsert_seekers([SEEKER])
        expected = [m.id for m in e.match_jobs("S", k=3, today=TODAY)]
    with MatchEngine.open(home=tmp_path, model_cache=model_cache, sync_interval=0) as e:
        assert [m.id for m in e.match_jobs("S", k=3, today=TODAY)] == expected
        assert e._encoder is None and e.encoder_name == encoder.name


def test_loading_beside_a_saved_index_in_blocks_gives_the_same_tables(tmp_path, encoder, model_cache, monkeypatch):
    """A side loaded beside a saved index takes the store's records a block at a time (a province
    ledger's dicts are never all in memory): rows, columns, vectors and lists are the same as in
    one block, and a record missing from the saved index is still added."""
    import numpy as np

    import matcher.engine as engine_module

    more = [{**j, "id": f"{j['id']}{i}", "lat": j["lat"] + i / 1000} for i in range(5) for j in jobs()]
    with open_engine(tmp_path, encoder, model_cache) as e:
        e.upsert_jobs(more)
        e.upsert_seekers([SEEKER])
        e.warm()
    # a write the saved index does not hold (straight to the store, as a process that did not save)
    with open_engine(tmp_path, encoder, model_cache) as e:
        e.store.upsert("job", engine_module.coerce_records("job", [{**jobs()[0], "id": "late", "lat": 38.0}]))

    def load(block: int):
        monkeypatch.setattr(engine_module, "_LOAD_BLOCK", block)
        with open_engine(tmp_path, encoder, model_cache, read_only=True) as e:
            side = e._side("jobs")
            t = side.table
            n = len(t.ids)
            return (list(t.ids[:n]), {c: t.cols[c][:n].copy() for c in t.cols}, side.vectors[:n].copy(),
                    "late" in side.index, [m.id for m in e.match_jobs("S", k=10, today=TODAY)])

    one, blocks = load(1_000_000), load(4)
    assert one[0] == blocks[0] and len(one[0]) == len(more) + 1
    for c in one[1]:
        np.testing.assert_array_equal(one[1][c], blocks[1][c], err_msg=c)
    np.testing.assert_array_equal(one[2], blocks[2])
    assert one[3] and blocks[3]
    assert one[4] == blocks[4] and one[4][0] == "late"  # the nearest welder
