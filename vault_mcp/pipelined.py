"""Bulk work in two stages that overlap: batch N+1 is prepared while batch N is written."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterable, Awaitable, Callable
from typing import TypeVar

In = TypeVar("In")
Ready = TypeVar("Ready")


async def pipelined(
    batches: AsyncIterable[In],
    prepare: Callable[[In], Awaitable[Ready]],
    write: Callable[[In, Ready], Awaitable[None]],
) -> None:
    """`write(batch, prepare(batch))` for every batch, in order, with the next batch's
    `prepare` running during each `write`.

    The encode runs in the embedder's thread and the writes' work in the PostgreSQL process,
    so on two cores the one overlaps the other. Writes stay one at a time and in order: an
    interrupted run has written a prefix, each batch whole (its own transaction) or not at all.
    """
    pending: tuple[In, asyncio.Task[Ready]] | None = None
    try:
        async for batch in batches:
            if pending is None:
                pending = (batch, asyncio.ensure_future(prepare(batch)))
                continue
            ready_batch, task = pending
            ready = await task
            pending = (batch, asyncio.ensure_future(prepare(batch)))
            await write(ready_batch, ready)
        if pending is not None:
            ready_batch, task = pending
            ready = await task
            pending = None
            await write(ready_batch, ready)
    finally:
        if pending is not None:  # a write failed or we were cancelled: drop the prepared one
            pending[1].cancel()
            with contextlib.suppress(BaseException):
                await pending[1]
