"""OnnxEmbedder: the same model on onnxruntime, with no torch at run time.

The model is exported to ONNX once (that export needs torch, installed with vault-mcp) and
cached in the data dir; after that a process is ready in well under a second and a short query
embeds in a few milliseconds, with vectors equal to sentence-transformers' to float precision.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from vault_mcp.embeddings.background import BackgroundEmbedder
from vault_mcp.embeddings.batching import EncodeFn
from vault_mcp.embeddings.sentence_transformer import OFFLINE_ENV, packaged_model_path
from vault_mcp.embeddings.window import within_window
from vault_mcp.errors import EmbedderUnavailable
from vault_mcp.service import PREPARING

log = logging.getLogger(__name__)

# Part of the cached file's name: a change to how the model is exported makes a new export.
EXPORT_VERSION = "eager1"

# Texts are encoded in length-sorted chunks of this size, so short texts are not padded to
# the length of a long one.
CHUNK = 32


def _model_dir(model: str | None) -> Path:
    folder = Path(model).expanduser() if model else Path(packaged_model_path())
    if not (folder / "tokenizer.json").is_file():
        raise EmbedderUnavailable(
            f"{folder} is not a local sentence-transformers model folder (no tokenizer.json); "
            "set VAULT_EMBEDDING_MODEL to one, or VAULT_EMBEDDER=sentence-transformers"
        )
    return folder


def _check_mean_pooling(folder: Path) -> None:
    pooling = folder / "1_Pooling" / "config.json"
    if pooling.is_file() and not json.loads(pooling.read_text()).get("pooling_mode_mean_tokens"):
        raise EmbedderUnavailable(
            f"the model in {folder} does not use mean pooling, which the ONNX path implements; "
            "use VAULT_EMBEDDER=sentence-transformers for it"
        )


def _max_tokens(folder: Path) -> int:
    config = folder / "sentence_bert_config.json"
    if config.is_file():
        return int(json.loads(config.read_text()).get("max_seq_length", 256))
    return 256


def _fingerprint(folder: Path) -> str:
    """Names the cached export after the weights it came from (size and first MiB)."""
    weights = next(
        (folder / n for n in ("model.safetensors", "pytorch_model.bin") if (folder / n).is_file()),
        None,
    )
    if weights is None:
        raise EmbedderUnavailable(f"no model weights in {folder}")
    digest = hashlib.sha256(str(weights.stat().st_size).encode())
    with weights.open("rb") as f:
        digest.update(f.read(1 << 20))
    return digest.hexdigest()[:16]


def export_onnx(folder: Path, target: Path) -> None:
    """Export the transformer to ONNX (needs torch and transformers; seconds, once)."""
    started = time.perf_counter()
    import torch
    from transformers import AutoModel

    # Eager attention exports as plain MatMul/Softmax, which onnxruntime runs ~25% faster on
    # these CPUs than the graph of the SDPA path (measured: 45 vs 36 notes/s, same vectors).
    model = AutoModel.from_pretrained(str(folder), attn_implementation="eager").eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, ids: Any, mask: Any, types: Any) -> Any:
            return self.inner(
                input_ids=ids, attention_mask=mask, token_type_ids=types
            ).last_hidden_state

    sample = torch.ones((2, 8), dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed: a reader never sees half a file, and two
    # processes exporting at once simply both succeed.
    fd, temp = tempfile.mkstemp(dir=target.parent, suffix=".onnx.tmp")
    os.close(fd)
    try:
        with warnings.catch_warnings():
            # The legacy (TorchScript) exporter is deprecated and chatty, but it is the one that
            # needs nothing beyond torch; its warnings say nothing a user can act on.
            warnings.simplefilter("ignore")
            torch.onnx.export(
                LastHiddenState(model),
                (sample, sample, torch.zeros_like(sample)),
                temp,
                dynamo=False,
                input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["last_hidden_state"],
                dynamic_axes={
                    "input_ids": axes,
                    "attention_mask": axes,
                    "token_type_ids": axes,
                    "last_hidden_state": axes,
                },
                opset_version=17,
            )
        # mkstemp made it 0600: readable by the exporting user alone. The image exports as
        # root and serves as uid 1001, which then could not read it (and fell back to torch).
        os.chmod(temp, 0o644)  # the weights are public; nothing here is secret
        os.replace(temp, target)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    log.info("exported the embedding model to %s in %.1f s", target, time.perf_counter() - started)


def _export(folder: Path, target: Path) -> None:
    """export_onnx, its failures told as EmbedderUnavailable."""
    try:
        export_onnx(folder, target)
    except EmbedderUnavailable:
        raise
    except Exception as exc:
        raise EmbedderUnavailable(f"could not export {folder} to ONNX: {exc}") from exc


def load_onnx(
    model: str | None,
    cache_dir: Path,
    dimension: int,
    on_export: Callable[[], None] = lambda: None,
) -> EncodeFn:
    """The encode function, exporting the model first if this data dir has no copy yet
    (`on_export` is told when that one-time export begins)."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    started = time.perf_counter()
    folder = _model_dir(model)
    _check_mean_pooling(folder)
    target = cache_dir / f"{folder.name}-{_fingerprint(folder)}-{EXPORT_VERSION}.onnx"
    if not target.is_file():
        log.warning("%s: exporting it to ONNX", PREPARING)
        on_export()
        _export(folder, target)
        for stale in cache_dir.glob(f"{folder.name}-*.onnx"):
            if stale != target:  # an older export of the same model: ~90 MB nobody will read
                stale.unlink(missing_ok=True)

    import onnxruntime
    from tokenizers import Tokenizer

    max_tokens = _max_tokens(folder)
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=max_tokens)
    tokenizer.enable_padding()
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # errors only: its warnings are noise on stderr

    def open_session() -> Any:
        return onnxruntime.InferenceSession(
            str(target), options, providers=["CPUExecutionProvider"]
        )

    log.info("loading the embedding model (onnxruntime)…")
    try:
        session = open_session()
    except Exception as exc:  # a cached export cut short (a full disk, a copy) or corrupted
        log.warning(
            "the cached ONNX export %s cannot be read (%s); exporting it again", target, exc
        )
        target.unlink(missing_ok=True)
        on_export()
        _export(folder, target)
        session = open_session()

    def run(texts: list[str]) -> npt.NDArray[np.float32]:
        encodings = tokenizer.encode_batch(within_window(texts, max_tokens))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        (hidden,) = session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )
        summed = (hidden * mask[..., None]).sum(axis=1)
        vectors = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)  # mean pooling
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.asarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)

    def encode(texts: list[str]) -> npt.NDArray[np.float32]:
        out = np.empty((len(texts), dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), CHUNK):
            chunk = order[start : start + CHUNK]
            out[chunk] = run([texts[i] for i in chunk])
        return out

    probe = encode(["warm up"])  # the first run allocates; pay it now
    if probe.shape[1] != dimension:
        raise EmbedderUnavailable(
            f"the model in {folder} makes {probe.shape[1]}-dimensional vectors; the vault "
            f"stores {dimension}. Pick a {dimension}-dimensional model."
        )
    log.info(
        "embedding model ready in %.2f s (onnxruntime, %s)", time.perf_counter() - started, folder
    )
    return encode


class OnnxEmbedder(BackgroundEmbedder):
    """all-MiniLM-L6-v2 (or VAULT_EMBEDDING_MODEL) on onnxruntime, cached under `cache_dir`."""

    def __init__(
        self, cache_dir: Path, model: str | None = None, dimension: int = 384, max_batch: int = 64
    ) -> None:
        super().__init__(
            lambda: load_onnx(model, cache_dir, dimension, self.mark_preparing),
            dimension,
            max_batch,
        )
