"""One query at a time through ONNX Runtime: the same vectors as the torch path, 2-3x sooner.

Serving embeds a seeker's or a job's text one at a time on one thread. For a sequence of a dozen
tokens, PyTorch's per-operator overhead dominates: 28-31 ms on one thread of this project's 2-core
machine, where ONNX Runtime runs the same graph in about 11 ms (``matcher bench embed``). Batches are
compute-bound and gain nothing, so documents and large query batches stay on torch.

The transformer of the loaded sentence-transformers model is exported once per model
(``<folder>/.onnx/query-<fingerprint>.onnx``, written atomically, outside what the fingerprint
covers) and checked against torch on probe texts before use: when the
cosine of any probe falls below :data:`AGREEMENT`, or the model is not mean-pooled and normalised,
or ``onnxruntime`` is missing, or the export fails, the encoder keeps using torch. The encoder's
name (and every stored vector) is the same either way.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

AGREEMENT = 0.9999
PROBES = ("query: 想找个看大门的活", "query: 会电焊，想进厂，有焊工证", "query: 叉车司机")
#: inside the model folder, in a hidden folder: derived files are not part of the model's fingerprint
#: (``encoder.model_fingerprint`` skips dot-folders), so exporting never changes the encoder's name
SUBDIR = ".onnx"


class OnnxQueryRunner:
    """Mean-pooled, L2-normalised embeddings of a few texts (prompt already added) on ``threads``."""

    def __init__(self, session, tokenizer, max_length: int):
        self.session = session
        self.tokenizer = tokenizer
        self.max_length = max_length
        self._inputs = [i.name for i in session.get_inputs()]

    def __call__(self, texts: list[str]) -> np.ndarray:
        enc = self.tokenizer(list(texts), padding=True, truncation=True, max_length=self.max_length,
                             return_tensors="np")
        feed = {"input_ids": enc["input_ids"].astype(np.int64), "attention_mask": enc["attention_mask"].astype(np.int64)}
        hidden = self.session.run(None, {k: v for k, v in feed.items() if k in self._inputs})[0]
        mask = feed["attention_mask"][..., None].astype(np.float32)
        vec = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1.0)
        vec /= np.maximum(np.linalg.norm(vec, axis=1, keepdims=True), 1e-12)
        return vec.astype(np.float32)


def _mean_pooled_and_normalised(model) -> bool:
    """Transformer -> mean pooling -> normalise, nothing else (what the runner reproduces)."""
    mods = list(model)
    if len(mods) != 3 or not hasattr(mods[0], "auto_model"):
        return False
    pooling = mods[1].get_config_dict() if hasattr(mods[1], "get_config_dict") else {}
    mode = pooling.get("pooling_mode") or ("mean" if pooling.get("pooling_mode_mean_tokens") else None)
    others = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and k != "pooling_mode_mean_tokens" and v]
    return mode == "mean" and not others and type(mods[2]).__name__ == "Normalize"


def _export(model, dest: Path) -> None:
    import torch

    hf = model[0].auto_model.eval()

    class _Hidden(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    dummy = model.tokenizer(["query: 你好"], return_tensors="pt")
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".query-", suffix=".onnx", dir=dest.parent)
    os.close(fd)
    try:
        axes = {0: "batch", 1: "tokens"}
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()), torch.inference_mode(False):
            warnings.simplefilter("ignore")
            torch.onnx.export(_Hidden(hf), (dummy["input_ids"], dummy["attention_mask"]), tmp,
                              input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
                              dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
                              opset_version=17, dynamo=False)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def onnx_path(folder: Path, tag: str) -> Path:
    """Where the query graph of the model in ``folder`` (identity ``tag``, e.g. its fingerprint) goes."""
    return Path(folder) / SUBDIR / f"query-{tag}.onnx"


def open_runner(model, folder: Path, threads: int = 1, torch_encode=None, tag: str = "model") -> OnnxQueryRunner | None:
    """An ONNX runner for ``model`` (a loaded ``SentenceTransformer`` from ``folder``), exported on
    first use; None when it cannot be used (see the module's docstring). ``torch_encode(texts)``
    gives the torch path's vectors for the agreement check."""
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    try:
        if not _mean_pooled_and_normalised(model):
            return None
        path = onnx_path(folder, tag)
        if not path.is_file():
            _export(model, path)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, int(threads))
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        runner = OnnxQueryRunner(session, model.tokenizer, int(model.max_seq_length))
        if torch_encode is not None:
            got = runner(list(PROBES))
            want = np.asarray(torch_encode(list(PROBES)), dtype=np.float32)
            if float(np.min((got * want).sum(axis=1))) < AGREEMENT:
                log.warning("ONNX query path disagrees with torch: using torch / ONNX 查询路径与 torch 不一致，改用 torch")
                return None
        return runner
    except Exception as exc:  # an export or runtime problem must never stop matching
        log.warning("ONNX query path unavailable (%s): using torch / ONNX 查询路径不可用，改用 torch", exc)
        return None
