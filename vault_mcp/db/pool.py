"""The asyncpg pool (with the pgvector codec) and the one place driver errors become VaultErrors."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeAlias

import asyncpg
from pgvector.asyncpg import register_vector

from vault_mcp.errors import (
    Conflict,
    InvalidInput,
    Misconfigured,
    NotFound,
    SchemaError,
    StorageUnavailable,
)

Pool: TypeAlias = asyncpg.Pool

log = logging.getLogger(__name__)

_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")


def redact(dsn: str) -> str:
    """The DSN with any password hidden, fit for a log line or an error message."""
    return _PASSWORD.sub(r"\1***@", dsn)


_UNAVAILABLE = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
)


@contextmanager
def storage_errors() -> Iterator[None]:
    """Translate every driver error into the VaultError tree (procrastinate's wrap_exceptions):
    a duplicate is a Conflict, a missing referenced row NotFound, a value PostgreSQL cannot
    take InvalidInput, and anything else (a lost connection, a cancelled query, a server
    error) StorageUnavailable. Nothing above db/ sees `asyncpg.*`.
    """
    try:
        yield
    except asyncpg.UniqueViolationError as exc:
        raise Conflict(f"that already exists ({exc.constraint_name or 'unique'})") from exc
    except asyncpg.ForeignKeyViolationError as exc:
        raise NotFound("what this refers to no longer exists") from exc
    except (asyncpg.DataError, asyncpg.IntegrityConstraintViolationError) as exc:
        # Class 22 (a NUL in text, a value out of range) and the other class 23 checks.
        raise InvalidInput(f"the database cannot store that value: {exc}") from exc
    except asyncpg.InterfaceError as exc:
        if isinstance(exc, ValueError):  # asyncpg refused an argument before sending it
            raise InvalidInput(f"the database cannot store that value: {exc}") from exc
        raise _unavailable(exc) from exc
    except UnicodeEncodeError as exc:
        # asyncpg encodes text as UTF-8 on the way out: a lone surrogate cannot be.
        raise InvalidInput("the text is not valid Unicode (it holds a lone surrogate)") from exc
    except (*_UNAVAILABLE, TimeoutError, asyncpg.QueryCanceledError) as exc:
        raise _unavailable(exc) from exc
    except asyncpg.PostgresError as exc:
        log.error("the database refused a statement: %s", exc)
        raise StorageUnavailable(
            "the database could not do that; the server's log says why"
        ) from exc


def _unavailable(exc: BaseException) -> StorageUnavailable:
    # The driver's words name hosts, ports and users: the log's business, not a client's.
    log.warning("the database is unavailable: %s", str(exc) or type(exc).__name__)
    return StorageUnavailable()


async def _init_connection(conn: asyncpg.Connection[Any]) -> None:
    try:
        await register_vector(conn)
    except ValueError as exc:  # "unknown type: public.vector": the schema was never migrated
        raise SchemaError(
            "the database has no pgvector 'vector' type; run `vault-mcp migrate` first"
        ) from exc


# What no retry cures: the server refuses these credentials, or has no such database.
_MISCONFIGURED = (
    asyncpg.InvalidPasswordError,
    asyncpg.InvalidAuthorizationSpecificationError,
    asyncpg.InvalidCatalogNameError,
)


def _unreachable(dsn: str, exc: BaseException) -> Exception:
    """The error a failed connection is told as: the details (host, port, user, the server's
    words) go to the operator's log only; clients learn that the database is unavailable."""
    log.warning(
        "cannot connect to PostgreSQL at %s: %s", redact(dsn), str(exc) or type(exc).__name__
    )
    if isinstance(exc, _MISCONFIGURED):
        return Misconfigured(
            "the database refuses the vault's DATABASE_URL (user, password or database name); "
            "the server's log says which"
        )
    return StorageUnavailable()


async def connect(dsn: str) -> asyncpg.Connection[Any]:
    """One plain connection (no codec, no command timeout), e.g. for migrations."""
    try:
        return await asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT)
    except (*_UNAVAILABLE, asyncpg.PostgresError, TimeoutError) as exc:
        raise _unreachable(dsn, exc) from exc


# Bounds on every wait for the database, so that a frozen or overloaded one answers requests
# with "unavailable" instead of holding them for as long as it stays frozen. A statement
# (one batch of an import included) gets COMMAND_TIMEOUT; a request waits ACQUIRE_TIMEOUT
# for a free connection; a new connection CONNECT_TIMEOUT. Migrations (index builds) use
# their own connection, without these.
COMMAND_TIMEOUT = 30.0
ACQUIRE_TIMEOUT = 10.0
CONNECT_TIMEOUT = 10.0
CLOSE_TIMEOUT = 10.0


class _BoundedPool(asyncpg.Pool):  # type: ignore[misc]  # asyncpg ships no stubs for it
    """An asyncpg pool whose acquire() (and so fetch(), execute()…) waits ACQUIRE_TIMEOUT at
    most unless told otherwise: asyncpg's own default is to wait for ever."""

    def acquire(self, *, timeout: float | None = None) -> Any:
        return super().acquire(timeout=ACQUIRE_TIMEOUT if timeout is None else timeout)


@asynccontextmanager
async def open_pool(dsn: str, *, max_size: int = 10) -> AsyncIterator[Pool]:
    # asyncpg.create_pool() with the pool class swapped; its arguments as create_pool passes.
    pool = _BoundedPool(
        dsn,
        min_size=1,
        max_size=max_size,
        max_queries=50_000,
        max_inactive_connection_lifetime=300.0,
        init=_init_connection,
        setup=None,
        reset=None,
        loop=None,
        connection_class=asyncpg.Connection,
        record_class=asyncpg.Record,
        timeout=CONNECT_TIMEOUT,
        command_timeout=COMMAND_TIMEOUT,
    )
    try:
        await pool
    except (*_UNAVAILABLE, asyncpg.PostgresError, TimeoutError) as exc:
        raise _unreachable(dsn, exc) from exc
    try:
        yield pool
    finally:
        try:  # a frozen database must not hold the process's exit for ever
            await asyncio.wait_for(pool.close(), CLOSE_TIMEOUT)
        except TimeoutError:
            pool.terminate()
