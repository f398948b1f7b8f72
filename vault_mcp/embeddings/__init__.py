"""Embedders (adapters of service.Embedder) and the factory that picks one from settings."""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

from vault_mcp.service import Embedder
from vault_mcp.settings import Settings

if TYPE_CHECKING:
    from vault_mcp.embeddings.background import BackgroundEmbedder

# Every embedder must fit the schema's `vector(384)` column.
DIMENSION = 384


def create_embedder(settings: Settings) -> Embedder:
    """The configured embedder; the real model starts loading in the background at once."""
    # Imported here, not at module level: importing vault_mcp must never pull in a model stack.
    if settings.embedder == "hashing":
        from vault_mcp.embeddings.hashing import HashingEmbedder

        return HashingEmbedder(DIMENSION)
    embedder: BackgroundEmbedder
    if settings.embedder == "onnx" or (settings.embedder == "auto" and _have_onnxruntime()):
        from vault_mcp.embeddings.onnx import OnnxEmbedder

        cache = settings.model_cache or settings.data_dir / "models"
        embedder = OnnxEmbedder(cache, settings.embedding_model, DIMENSION)
    else:
        from vault_mcp.embeddings.sentence_transformer import SentenceTransformerEmbedder

        embedder = SentenceTransformerEmbedder(settings.embedding_model, DIMENSION)
    embedder.start_loading()
    return embedder


def _have_onnxruntime() -> bool:
    return importlib.util.find_spec("onnxruntime") is not None
