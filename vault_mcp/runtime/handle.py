"""ServicesHandle: the services opened in the background, and opened again until they open."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

import anyio.to_thread

from vault_mcp.errors import (
    InvalidInput,
    Misconfigured,
    SchemaError,
    StorageUnavailable,
    VaultError,
)
from vault_mcp.runtime.housekeeping import pruning
from vault_mcp.runtime.wiring import Services, import_adapters, open_services
from vault_mcp.service import Embedder
from vault_mcp.settings import Settings

log = logging.getLogger(__name__)

# Waits between attempts to open the database: doubling from 1 s to at most 30 s, so a
# database that comes up late (a compose stack, a laptop resuming) is found within ~30 s,
# and one that stays down is not hammered.
FIRST_RETRY = 1.0
MAX_RETRY = 30.0
# How long a request waits for the first attempt (an embedded server's first start runs
# initdb); and how long one attempt may take before it counts as failed (a database that
# accepts connections and then freezes), unless it applies migrations, which may build
# indexes for minutes.
START_WAIT = 60.0
ATTEMPT_TIMEOUT = 120.0
# Errors that a retry cannot cure: the process's configuration or the schema must change.
# (InvalidInput: e.g. a VAULT_USER that is no valid account name.)
_FINAL = (SchemaError, Misconfigured, InvalidInput)


class ServicesHandle:
    """Opens the services in the background so that a server can answer before they are ready.

    MCP clients time out handshakes; `initialize` and `tools/list` need no database, so
    neither waits for PostgreSQL to start. Calls that do need it await `get()`. A database
    that cannot be reached is tried again with capped backoff for as long as the process
    runs; meanwhile calls fail at once with StorageUnavailable ("retrying"). Only an error
    in _FINAL stops the attempts.
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
        self._services: Services | None = None
        self._error: VaultError | None = None  # the last attempt's, while not open
        self._final = False
        self._settled = asyncio.Event()  # the first attempt has ended, either way
        self._opened = asyncio.Event()  # open, or failed for good
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def embedder_state(self) -> str:
        return "loading" if self._embedder is None else self._embedder.state

    @property
    def state(self) -> str:
        """'starting', 'ready', 'retrying' (an attempt failed; another follows) or 'failed'."""
        if self._services is not None:
            return "ready"
        if self._error is None:
            return "starting"
        return "failed" if self._final else "retrying"

    @property
    def last_error(self) -> str | None:
        """Why the services are not open, when an attempt failed (fit for clients to read)."""
        return self._error.message if self._error is not None else None

    async def __aenter__(self) -> ServicesHandle:
        self._task = asyncio.create_task(self._run(), name="vault-services")
        return self

    async def _run(self) -> None:
        try:
            self._embedder = await anyio.to_thread.run_sync(self._prepare)
        except Exception as exc:  # an install that cannot work: no retry will help
            self._give_up(exc)
            return
        delay = FIRST_RETRY
        while not self._stop.is_set():
            bound = None if self._settings.should_migrate_on_start else ATTEMPT_TIMEOUT
            try:
                async with (
                    asyncio.timeout(bound) as deadline,
                    open_services(
                        self._settings,
                        self._embedder,
                        act_as_default_user=self._act_as_default_user,
                        jwt_secret=self._jwt_secret,
                    ) as services,
                ):
                    deadline.reschedule(None)  # open: serving may last for ever
                    self._services, self._error = services, None
                    self._settled.set()
                    self._opened.set()
                    async with pruning(services):
                        await self._stop.wait()
                return
            except Exception as exc:
                if self._services is not None:
                    log.exception("error while closing the services")
                    return
                if isinstance(exc, _FINAL):
                    self._give_up(exc)
                    return
                self._error = _for_clients(exc)
                log.warning(
                    "the vault's database is unavailable (%s); retrying in %.0f s",
                    self._error.message,
                    delay,
                )
                self._settled.set()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), delay)
            delay = min(delay * 2, MAX_RETRY)

    def _prepare(self) -> Embedder:
        """In a worker thread: the model starts loading first (the slowest part of a start,
        needing nothing else), then the adapters are imported."""
        embedder = self._embedder
        if embedder is None:
            from vault_mcp.embeddings import create_embedder

            embedder = create_embedder(self._settings)
        import_adapters()
        return embedder

    def _give_up(self, exc: Exception) -> None:
        self._error, self._final = _for_clients(exc), True
        log.error("vault-mcp cannot start: %s", self._error.message)
        self._settled.set()
        self._opened.set()

    async def get(self) -> Services:
        """The services; StorageUnavailable at once while the database is being retried."""
        if self._task is None:
            raise RuntimeError("ServicesHandle used outside `async with`")
        if self._services is None and not self._settled.is_set():
            try:
                await asyncio.wait_for(asyncio.shield(self._settled.wait()), START_WAIT)
            except TimeoutError:
                raise StorageUnavailable(
                    "the vault is still starting; try again in a few seconds"
                ) from None
        return self._open_services()

    async def opened(self) -> Services:
        """The services once open, however many attempts that takes (for start-up tasks)."""
        await self._opened.wait()
        return self._open_services()

    def _open_services(self) -> Services:
        if self._services is not None:
            return self._services
        if self._final and self._error is not None:
            # A fresh one: no traceback piles up per call.
            raise type(self._error)(self._error.message)
        # Not final: _for_clients made the last error a plain StorageUnavailable.
        raise StorageUnavailable(
            "the vault's database is unavailable; the server keeps retrying and "
            "reconnects by itself, so try again in a few seconds"
        )

    async def __aexit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._task is not None:
            if self._services is None:
                self._task.cancel()  # an attempt under way (or a wait for the next) ends now
            with suppress(asyncio.CancelledError):
                await self._task


def _for_clients(exc: Exception) -> VaultError:
    """`exc` as clients may read it: our own final errors as they are (their messages are
    written to be shown); any other failure logged here and told without details (a data
    dir, a host, the driver's words)."""
    if isinstance(exc, _FINAL):
        return exc
    if isinstance(exc, TimeoutError):
        log.warning("opening the vault's database took over %.0f s", ATTEMPT_TIMEOUT)
    elif isinstance(exc, VaultError):
        log.warning("opening the vault's database failed: %s", exc.message)
    else:
        log.error("opening the vault's database failed", exc_info=exc)
    return StorageUnavailable()
