"""The hourly pruning a running server does while its services are open."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from vault_mcp.errors import StorageUnavailable
from vault_mcp.runtime.wiring import Services

log = logging.getLogger(__name__)

# Every process on a database prunes (the deletes are idempotent). The first round waits a
# minute so that a start-up is never slowed by it.
PRUNE_EVERY = 3600.0
PRUNE_FIRST = 60.0


async def _prune_periodically(services: Services) -> None:
    delay = PRUNE_FIRST
    while True:
        await asyncio.sleep(delay)
        delay = PRUNE_EVERY
        try:
            pruned = await services.prune()
        except StorageUnavailable:  # the outage is logged where it is met; try next round
            log.warning("pruning expired tokens skipped: the database is unavailable")
            continue
        except Exception:  # a bug: its traceback, and the next round tries again
            log.exception("pruning expired tokens failed")
            continue
        if pruned:
            log.info(
                "pruned %d expired token(s), abandoned client registration(s) and note(s) "
                "past the trash's retention",
                pruned,
            )


@asynccontextmanager
async def pruning(services: Services) -> AsyncIterator[None]:
    task = asyncio.create_task(_prune_periodically(services), name="vault-prune")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
