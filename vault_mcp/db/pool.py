"""The asyncpg pool (with the pgvector codec) and the one place driver errors become VaultErrors."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeAlias

import asyncpg
from pgvector.asyncpg import register_vector

from vault_mcp.errors import Conflict, InvalidInput, NotFound, SchemaError, StorageUnavailable

Pool: TypeAlias = asyncpg.Pool

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
        raise StorageUnavailable(f"the database is not reachable: {exc}") from exc
    except UnicodeEncodeError as exc:
        # asyncpg encodes text as UTF-8 on the way out: a lone surrogate cannot be.
        raise InvalidInput("the text is not valid Unicode (it holds a lone surrogate)") from exc
    except _UNAVAILABLE as exc:
        raise StorageUnavailable(f"the database is not reachable: {exc}") from exc
    except asyncpg.PostgresError as exc:
        raise StorageUnavailable(f"the database could not do that: {exc}") from exc


async def _init_connection(conn: asyncpg.Connection[Any]) -> None:
    try:
        await register_vector(conn)
    except ValueError as exc:  # "unknown type: public.vector": the schema was never migrated
        raise SchemaError(
            "the database has no pgvector 'vector' type; run `vault-mcp migrate` first"
        ) from exc


async def connect(dsn: str) -> asyncpg.Connection[Any]:
    """One plain connection (no codec), e.g. for migrations that create the vector type."""
    try:
        return await asyncpg.connect(dsn, timeout=30)
    except (*_UNAVAILABLE, asyncpg.PostgresError) as exc:
        raise StorageUnavailable(f"cannot connect to PostgreSQL at {redact(dsn)}: {exc}") from exc


@asynccontextmanager
async def open_pool(dsn: str, *, max_size: int = 10) -> AsyncIterator[Pool]:
    try:
        pool = await asyncpg.create_pool(
            dsn, min_size=1, max_size=max_size, init=_init_connection, timeout=30
        )
    except (*_UNAVAILABLE, asyncpg.PostgresError) as exc:
        raise StorageUnavailable(f"cannot connect to PostgreSQL at {redact(dsn)}: {exc}") from exc
    try:
        yield pool
    finally:
        await pool.close()
