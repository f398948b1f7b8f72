"""Configuration from the environment (and a `.env` file): one class, no I/O at import."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from vault_mcp.domain import DEFAULT_MAX_CONTENT_BYTES, DEFAULT_MAX_EMBEDDED_CHARS

EmbedderName = Literal["auto", "onnx", "sentence-transformers", "hashing"]


_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """'90s', '15m', '1h', '30d', '2w' or a plain number of seconds."""
    match = _DURATION.match(text.lower())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"{text!r} is not a duration; write e.g. 15m, 1h or 30d")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


_ORIGIN = re.compile(r"^https?://[^/\s?#]+/?$")


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


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
        default="auto",
        validation_alias=_env("VAULT_EMBEDDER"),
        description="auto: onnxruntime when installed, else sentence-transformers.",
    )
    embedding_model: str | None = Field(
        default=None,
        validation_alias=_env("VAULT_EMBEDDING_MODEL"),
        description="A local model folder; unset means the packaged all-MiniLM-L6-v2.",
    )
    model_cache: Path | None = Field(
        default=None,
        validation_alias=_env("VAULT_MODEL_CACHE"),
        description="Where the ONNX export of the model is kept; default: data_dir/models.",
    )
    public_url: str | None = Field(default=None, validation_alias=_env("VAULT_PUBLIC_URL"))
    user: str = Field(default="local", validation_alias=_env("VAULT_USER"))
    log_level: str = Field(default="INFO", validation_alias=_env("VAULT_LOG_LEVEL"))
    host: str = Field(default="127.0.0.1", validation_alias=_env("HOST"))
    port: int = Field(default=8000, ge=0, le=65535, validation_alias=_env("PORT"))
    max_content_bytes: int = Field(
        default=DEFAULT_MAX_CONTENT_BYTES, ge=1, validation_alias=_env("VAULT_MAX_CONTENT_BYTES")
    )
    # How much of each note is embedded for search by meaning; all of it is found by words.
    max_embedded_chars: int = Field(
        default=DEFAULT_MAX_EMBEDDED_CHARS,
        ge=1000,
        validation_alias=_env("VAULT_MAX_EMBEDDED_CHARS"),
    )
    jwt_secret: SecretStr | None = Field(
        default=None,
        validation_alias=_env("JWT_SECRET"),
        description="HS256 key for access tokens; unset means one generated in data_dir.",
    )
    jwt_access_expiry: str = Field(default="1h", validation_alias=_env("JWT_ACCESS_EXPIRY"))
    jwt_refresh_expiry: str = Field(default="30d", validation_alias=_env("JWT_REFRESH_EXPIRY"))
    admin_password: SecretStr | None = Field(
        default=None,
        validation_alias=_env("VAULT_ADMIN_PASSWORD"),
        description="If set and no account can log in yet, `serve` creates `admin` with it.",
    )
    oauth_redirect_allowlist: str = Field(
        default="",
        description="comma-separated redirect URIs OAuth clients may register; empty: any "
        "https or loopback URI",
        validation_alias=_env("VAULT_OAUTH_REDIRECT_ALLOWLIST"),
    )
    oauth_cimd_allow_private: bool = Field(
        default=False,
        description="fetch client metadata documents from private addresses too (a LAN setup)",
        validation_alias=_env("VAULT_OAUTH_CIMD_ALLOW_PRIVATE"),
    )
    mcp_stateless: bool = Field(
        default=False,
        validation_alias=_env("VAULT_MCP_STATELESS"),
        description="Serve 2025-11-25 MCP clients without sessions, so that any of several "
        "backends can answer any request (no affinity needed); the 2026-07-28 revision is "
        "stateless either way.",
    )
    trash_days: int = Field(
        default=30,
        ge=1,
        le=36500,
        validation_alias=_env("VAULT_TRASH_DAYS"),
        description="Days a deleted note stays in the trash, restorable, before it is purged.",
    )
    cors_origins: str = Field(
        default="",
        validation_alias=_env("VAULT_CORS_ORIGINS"),
        description="comma-separated browser origins (https://app.example) that may call /mcp "
        "and /oauth/{register,token,revoke}, or * for any; empty: none",
    )
    migrate_on_start: bool | None = Field(
        default=None,
        validation_alias=_env("VAULT_MIGRATE_ON_START"),
        description="Apply pending migrations at start; default: yes for the embedded database.",
    )

    @field_validator("jwt_access_expiry", "jwt_refresh_expiry")
    @classmethod
    def _is_duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    @field_validator("cors_origins")
    @classmethod
    def _are_origins(cls, value: str) -> str:
        for origin in _split(value):
            if origin != "*" and not _ORIGIN.match(origin):
                raise ValueError(
                    f"{origin!r} is not an origin; write scheme://host[:port], "
                    "e.g. https://app.example, with no path"
                )
        return value

    @property
    def cors_allowed_origins(self) -> tuple[str, ...]:
        return tuple(o.rstrip("/").lower() for o in _split(self.cors_origins))  # as browsers send

    @property
    def access_ttl(self) -> timedelta:
        return parse_duration(self.jwt_access_expiry)

    @property
    def refresh_ttl(self) -> timedelta:
        return parse_duration(self.jwt_refresh_expiry)

    @property
    def trash_retention(self) -> timedelta:
        return timedelta(days=self.trash_days)

    @property
    def redirect_allowlist(self) -> tuple[str, ...]:
        return tuple(u.strip() for u in self.oauth_redirect_allowlist.split(",") if u.strip())

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
