"""Composition root: opens the database and the embedder and hands the service to both doors."""

from __future__ import annotations

import asyncio
import importlib
import logging
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import anyio.to_thread

from vault_mcp.errors import SchemaError, StorageUnavailable, VaultError
from vault_mcp.service import Embedder, NoteService, OwnerId
from vault_mcp.settings import Settings

log = logging.getLogger(__name__)

# How long an OAuth authorization code lives: enough for a client to redeem it, no more.
CODE_TTL = timedelta(seconds=60)

if TYPE_CHECKING:
    from vault_mcp.auth.oauth import OAuthServer
    from vault_mcp.auth.service import AuthService
    from vault_mcp.db.pool import Pool

# The adapters pull in asyncpg, numpy and pgvector (~0.2 s of imports). A server imports
# them in a worker thread after it starts, so they never delay the MCP handshake.
_ADAPTER_MODULES = (
    "vault_mcp.db.embedded",
    "vault_mcp.db.migrate",
    "vault_mcp.db.notes",
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

    def note_url(self, note_id: uuid.UUID) -> str:
        return f"{self.base_url}/notes/{note_id}"


def database_probe(pool: Pool) -> Callable[[], Awaitable[bool]]:
    """Whether the database answers within two seconds (for /health)."""
    from vault_mcp.db.pool import storage_errors

    async def database_ok() -> bool:
        try:
            with storage_errors():
                await pool.fetchval("SELECT 1", timeout=2)
        except (StorageUnavailable, TimeoutError):
            return False
        return True

    return database_ok


@asynccontextmanager
async def database_dsn(settings: Settings) -> AsyncIterator[str]:
    """DATABASE_URL, or the embedded server in the data dir for as long as the context lasts."""
    from vault_mcp.db.embedded import EmbeddedPostgres

    if settings.database_url:
        yield settings.database_url
        return
    server = EmbeddedPostgres(settings.data_dir)
    dsn = await anyio.to_thread.run_sync(server.start)
    try:
        yield dsn
    finally:
        await anyio.to_thread.run_sync(server.stop)


async def prepare_schema(dsn: str, *, apply: bool) -> list[str]:
    """Apply pending migrations, or (when not allowed to) refuse to run on an old schema."""
    from vault_mcp.db.migrate import check_pgvector, load_migrations, migrate, pending
    from vault_mcp.db.pool import connect

    conn = await connect(dsn)
    try:
        applied = []
        if apply:
            applied = await migrate(conn)
            for name in applied:
                log.info("applied migration %s", name)
        else:
            missing = await pending(conn, load_migrations())
            if missing:
                raise SchemaError(
                    f"the database lacks {len(missing)} migration(s) ({missing[0].name}…); "
                    "run `vault-mcp migrate` (or set VAULT_MIGRATE_ON_START=true)"
                )
        await check_pgvector(conn)
        return applied
    finally:
        await conn.close()


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[Pool]:
    """A pool on an up-to-date schema (the embedded server started if need be)."""
    from vault_mcp.db.pool import open_pool

    async with database_dsn(settings) as dsn:
        await prepare_schema(dsn, apply=settings.should_migrate_on_start)
        async with open_pool(dsn) as pool:
            yield pool


def build_auth(
    pool: Pool, settings: Settings, jwt_secret: str | None
) -> tuple[AuthService, OAuthServer]:
    """The accounts and OAuth services on `pool`: the one place that knows their stores."""
    from vault_mcp.auth.cimd import ClientMetadataFetcher
    from vault_mcp.auth.clients import ClientRegistry
    from vault_mcp.auth.oauth import OAuthServer
    from vault_mcp.auth.service import AuthService
    from vault_mcp.auth.tokens import AccessTokenIssuer
    from vault_mcp.db.login_throttle import PgLoginThrottle
    from vault_mcp.db.oauth import PgClientStore, PgCodeStore
    from vault_mcp.db.personal_tokens import PgPersonalTokenStore
    from vault_mcp.db.refresh_tokens import PgRefreshTokenStore
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
    from vault_mcp.db.notes import PgNoteRepository
    from vault_mcp.db.users import PgUserRepository
    from vault_mcp.domain import Limits
    from vault_mcp.embeddings import create_embedder

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
        yield Services(notes, auth, oauth, owner, settings.base_url(), database_probe(pool))


class ServicesHandle:
    """Opens the services in the background so that a server can answer before they are ready.

    MCP clients time out handshakes; `initialize` and `tools/list` need no database, so
    neither waits for PostgreSQL to start. Calls that do need it await `get()`.
    """

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        *,
        act_as_default_user: bool = True,
        jwt_secret: str | None = None,
    ) -> None:
        self._settings = settings
        self._embedder = embedder  # made in the background unless given
        self._act_as_default_user = act_as_default_user
        self._jwt_secret = jwt_secret
        self._ready: asyncio.Future[Services] | None = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def embedder_state(self) -> str:
        return "loading" if self._embedder is None else self._embedder.state

    @property
    def state(self) -> str:
        """'starting', 'ready' or 'failed'."""
        if self._ready is None or not self._ready.done():
            return "starting"
        return "failed" if self._ready.exception() is not None else "ready"

    async def __aenter__(self) -> ServicesHandle:
        self._ready = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._run(self._ready), name="vault-services")
        return self

    async def _run(self, ready: asyncio.Future[Services]) -> None:
        try:
            await anyio.to_thread.run_sync(import_adapters)
            if self._embedder is None:
                from vault_mcp.embeddings import create_embedder

                self._embedder = create_embedder(self._settings)
            async with open_services(
                self._settings,
                self._embedder,
                act_as_default_user=self._act_as_default_user,
                jwt_secret=self._jwt_secret,
            ) as services:
                ready.set_result(services)
                await self._stop.wait()
        except Exception as exc:
            if ready.done():
                log.exception("error while closing the services")
                return
            log.error("vault-mcp cannot start: %s", exc)
            error = exc if isinstance(exc, VaultError) else StorageUnavailable(str(exc))
            ready.set_exception(error)

    async def get(self) -> Services:
        if self._ready is None:
            raise RuntimeError("ServicesHandle used outside `async with`")
        return await asyncio.shield(self._ready)

    async def __aexit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
        if self._ready is not None and self._ready.done() and not self._ready.cancelled():
            self._ready.exception()  # mark any startup error as seen
