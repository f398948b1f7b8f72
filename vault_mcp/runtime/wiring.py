"""The wiring: which concrete store, embedder and service each part of the vault gets."""

from __future__ import annotations

import importlib
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from vault_mcp.runtime.database import database_probe, open_database
from vault_mcp.runtime.web_address import web_base_url
from vault_mcp.service import Embedder, NoteService, OwnerId
from vault_mcp.settings import Settings

# How long an OAuth authorization code lives: enough for a client to redeem it, no more.
CODE_TTL = timedelta(seconds=60)

if TYPE_CHECKING:
    from vault_mcp.auth.oauth import OAuthServer
    from vault_mcp.auth.service import AuthService
    from vault_mcp.db.pool import Pool
    from vault_mcp.recovery import RecoveryService
    from vault_mcp.transfer.archive import ArchiveService

# The adapters pull in asyncpg, numpy and pgvector (~0.2 s of imports). A server imports
# them in a worker thread after it starts, so they never delay the MCP handshake.
_ADAPTER_MODULES = (
    "vault_mcp.db.embedded",
    "vault_mcp.db.migrate",
    "vault_mcp.db.notes",
    "vault_mcp.db.archive",
    "vault_mcp.db.trash",
    "vault_mcp.db.history",
    "vault_mcp.db.pool",
    "vault_mcp.db.users",
    "vault_mcp.db.login_throttle",
    "vault_mcp.embeddings",
    "vault_mcp.auth.service",
    "vault_mcp.auth.oauth",
)


def import_adapters() -> None:
    for name in _ADAPTER_MODULES:
        importlib.import_module(name)


@dataclass(frozen=True)
class Services:
    """What a request needs: the services, who it acts for, and where notes live on the web.
    Verbs only: no pool and no repository is handed out."""

    notes: NoteService
    auth: AuthService
    oauth: OAuthServer
    # The account a local process (stdio) acts as; None over HTTP, where every request
    # must carry a token naming its user.
    owner: OwnerId | None
    base_url: str
    database_ok: Callable[[], Awaitable[bool]]
    # Deletes expired tokens, abandoned client registrations and the trash past its
    # retention; how many rows went.
    prune: Callable[[], Awaitable[int]]
    # Export and import: every note in pages, notes written back with their ids and times.
    archive: ArchiveService
    # The trash and the notes' earlier versions.
    recovery: RecoveryService

    def note_url(self, note_id: uuid.UUID) -> str:
        return f"{self.base_url}/notes/{note_id}"


def build_auth(
    pool: Pool, settings: Settings, jwt_secret: str | None
) -> tuple[AuthService, OAuthServer]:
    """The accounts and OAuth services on `pool`: the one place that knows their stores."""
    from vault_mcp.auth.cimd import ClientMetadataFetcher
    from vault_mcp.auth.clients import ClientRegistry
    from vault_mcp.auth.oauth import OAuthServer
    from vault_mcp.auth.service import AuthService
    from vault_mcp.auth.tokens import AccessTokenIssuer
    from vault_mcp.db.connected_apps import PgConnectedAppStore
    from vault_mcp.db.login_throttle import PgLoginThrottle
    from vault_mcp.db.oauth import PgClientStore, PgCodeStore
    from vault_mcp.db.personal_tokens import PgPersonalTokenStore
    from vault_mcp.db.refresh_tokens import PgRefreshTokenStore
    from vault_mcp.db.setup_codes import PgSetupCodeStore
    from vault_mcp.db.users import PgUserRepository

    base_url = settings.base_url()
    refresh_tokens = PgRefreshTokenStore(pool, settings.refresh_ttl)
    auth = AuthService(
        PgUserRepository(pool),
        refresh_tokens,
        AccessTokenIssuer(
            secret=jwt_secret or secrets.token_urlsafe(48),
            issuer=base_url,
            audience=f"{base_url}/mcp",
            ttl=settings.access_ttl,
        ),
        PgLoginThrottle(pool),
        PgPersonalTokenStore(pool),
        PgConnectedAppStore(pool),
        PgSetupCodeStore(pool),
    )
    oauth = OAuthServer(
        ClientRegistry(
            PgClientStore(pool),
            ClientMetadataFetcher(allow_private_addresses=settings.oauth_cimd_allow_private),
            settings.redirect_allowlist,
        ),
        PgCodeStore(pool, CODE_TTL, refresh_tokens),
        auth,
        issuer=base_url,
        resource=f"{base_url}/mcp",
    )
    return auth, oauth


@asynccontextmanager
async def open_accounts(settings: Settings) -> AsyncIterator[AuthService]:
    """The accounts service alone (the `user` and `token` commands): no model, no notes."""
    async with open_database(settings) as pool:
        auth, _ = build_auth(pool, settings, None)
        yield auth


@asynccontextmanager
async def open_services(
    settings: Settings,
    embedder: Embedder | None = None,
    *,
    act_as_default_user: bool = True,
    jwt_secret: str | None = None,
) -> AsyncIterator[Services]:
    """Everything a server needs, open for the duration of the context.

    `act_as_default_user`: requests without a token act as VAULT_USER (stdio, CLI). Over
    HTTP it is False. `jwt_secret`: the signing key; None means a key for this process only
    (fine where no token outlives the process).
    """
    from vault_mcp.db.archive import PgNoteArchive
    from vault_mcp.db.history import PgHistoryRepository
    from vault_mcp.db.notes import PgNoteRepository
    from vault_mcp.db.trash import PgTrashRepository
    from vault_mcp.db.users import PgUserRepository
    from vault_mcp.domain import Limits
    from vault_mcp.embeddings import create_embedder
    from vault_mcp.recovery import RecoveryService
    from vault_mcp.transfer.archive import ArchiveService

    # The model starts loading first: it is the slowest part and needs nothing else.
    embedder = embedder if embedder is not None else create_embedder(settings)
    async with open_database(settings) as pool:
        owner = await PgUserRepository(pool).ensure(settings.user) if act_as_default_user else None
        limits = Limits(
            max_content_bytes=settings.max_content_bytes,
            max_embedded_chars=settings.max_embedded_chars,
        )
        notes = NoteService(PgNoteRepository(pool), embedder, limits)
        auth, oauth = build_auth(pool, settings, jwt_secret)
        yield Services(
            notes,
            auth,
            oauth,
            owner,
            # A local process (stdio) links to the web view that is running, if one is.
            web_base_url(settings) if act_as_default_user else settings.base_url(),
            database_probe(pool),
            pruner(pool, settings.access_ttl, settings.trash_retention),
            recovery=RecoveryService(
                notes, PgTrashRepository(pool), PgHistoryRepository(pool), settings.trash_retention
            ),
            archive=ArchiveService(PgNoteArchive(pool), notes),
        )


def pruner(
    pool: Pool, access_ttl: timedelta, trash_retention: timedelta = timedelta(days=30)
) -> Callable[[], Awaitable[int]]:
    from vault_mcp.db.housekeeping import prune

    async def prune_now() -> int:
        return (await prune(pool, access_ttl, trash_retention)).total

    return prune_now
