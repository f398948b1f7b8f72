"""Embedders (adapters of service.Embedder) and the factory that picks one from settings."""

from __future__ import annotations

from vault_mcp.service import Embedder
from vault_mcp.settings import Settings

# Every embedder must fit the schema's `vector(384)` column.
DIMENSION = 384


def create_embedder(settings: Settings) -> Embedder:
    """The configured embedder; the real model starts loading in the background at once."""
    if settings.embedder == "hashing":
        from vault_mcp.embeddings.hashing import HashingEmbedder

        return HashingEmbedder(DIMENSION)
    # Imported here, not at module level: importing vault_mcp must never pull in torch.
    from vault_mcp.embeddings.sentence_transformer import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder(settings.embedding_model, DIMENSION)
    embedder.start_loading()
    return embedder
