"""Configuration from the environment (and a `.env` file): one class, no I/O at import."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from vault_mcp.domain import DEFAULT_MAX_CONTENT_BYTES

EmbedderName = Literal["sentence-transformers", "hashing"]


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("vault-mcp", appauthor=False))


def _env(name: str) -> AliasChoices:
    # Environment names are the contract (DESIGN.md §3); the field names are for code.
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", populate_by_name=True, frozen=True
    )

    database_url: str | None = Field(
        default=None,
        validation_alias=_env("DATABASE_URL"),
        description="PostgreSQL with pgvector; unset means the embedded server in data_dir.",
    )
    data_dir: Path = Field(
        default_factory=_default_data_dir, validation_alias=_env("VAULT_DATA_DIR")
    )
    embedder: EmbedderName = Field(
        default="sentence-transformers", validation_alias=_env("VAULT_EMBEDDER")
    )
    embedding_model: str | None = Field(
        default=None,
        validation_alias=_env("VAULT_EMBEDDING_MODEL"),
        description="A local model folder; unset means the packaged all-MiniLM-L6-v2.",
    )
    public_url: str | None = Field(default=None, validation_alias=_env("VAULT_PUBLIC_URL"))
    user: str = Field(default="local", validation_alias=_env("VAULT_USER"))
    log_level: str = Field(default="INFO", validation_alias=_env("VAULT_LOG_LEVEL"))
    host: str = Field(default="127.0.0.1", validation_alias=_env("HOST"))
    port: int = Field(default=8000, ge=0, le=65535, validation_alias=_env("PORT"))
    max_content_bytes: int = Field(
        default=DEFAULT_MAX_CONTENT_BYTES, ge=1, validation_alias=_env("VAULT_MAX_CONTENT_BYTES")
    )
    migrate_on_start: bool | None = Field(
        default=None,
        validation_alias=_env("VAULT_MIGRATE_ON_START"),
        description="Apply pending migrations at start; default: yes for the embedded database.",
    )

    @property
    def embedded(self) -> bool:
        return not self.database_url

    @property
    def should_migrate_on_start(self) -> bool:
        return self.embedded if self.migrate_on_start is None else self.migrate_on_start

    def base_url(self) -> str:
        """The public URL notes link to: VAULT_PUBLIC_URL, else the address `serve` binds."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"
