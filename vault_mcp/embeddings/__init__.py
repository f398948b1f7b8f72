"""Embedders (adapters of service.Embedder) and the factory that picks one from settings."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from vault_mcp.service import Embedder
from vault_mcp.settings import Settings

if TYPE_CHECKING:
    from vault_mcp.embeddings.background import BackgroundEmbedder
    from vault_mcp.embeddings.batching import EncodeFn

log = logging.getLogger(__name__)

# Every embedder must fit the schema's `vector(384)` column.
DIMENSION = 384


def create_embedder(settings: Settings) -> Embedder:
    """The configured embedder; the real model starts loading in the background at once."""
    # Imported here, not at module level: importing vault_mcp must never pull in a model stack.
    if settings.embedder == "hashing":
        from vault_mcp.embeddings.hashing import HashingEmbedder

        return HashingEmbedder(DIMENSION)
    cache = settings.model_cache or settings.data_dir / "models"
    model = settings.embedding_model
    embedder: BackgroundEmbedder
    if settings.embedder == "onnx":
        from vault_mcp.embeddings.onnx import OnnxEmbedder

        embedder = OnnxEmbedder(cache, model, DIMENSION)
    elif settings.embedder == "sentence-transformers":
        from vault_mcp.embeddings.sentence_transformer import SentenceTransformerEmbedder

        embedder = SentenceTransformerEmbedder(model, DIMENSION)
    else:
        from vault_mcp.embeddings.background import BackgroundEmbedder

        def load() -> EncodeFn:
            return _fastest_encoder(model, cache, embedder.mark_preparing)

        embedder = BackgroundEmbedder(load, DIMENSION)
    embedder.start_loading()
    return embedder


def _fastest_encoder(
    model: str | None, cache: Path, on_export: Callable[[], None] = lambda: None
) -> EncodeFn:
    """onnxruntime if it works here, else sentence-transformers: same vectors either way."""
    try:
        from vault_mcp.embeddings.onnx import load_onnx

        return load_onnx(model, cache, DIMENSION, on_export)
    except Exception as exc:
        log.warning("the onnxruntime path is unavailable (%s); using sentence-transformers", exc)
    from vault_mcp.embeddings.sentence_transformer import load_encoder

    return load_encoder(model, DIMENSION)
