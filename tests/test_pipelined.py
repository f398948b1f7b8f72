"""Bulk work in two overlapping stages: every batch written once, in order, the next prepared
meanwhile; a failed write stops the run with nothing after it written."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from vault_mcp.pipelined import pipelined


async def _batches(n: int) -> AsyncIterator[int]:
    for i in range(n):
        yield i


async def test_the_next_batch_is_prepared_while_one_is_written_and_writes_keep_their_order() -> (
    None
):
    events: list[str] = []
    writing = asyncio.Event()

    async def prepare(batch: int) -> str:
        events.append(f"prepare {batch}")
        if batch == 1:  # waits for a write to be under way: without the overlap, never
            await asyncio.wait_for(writing.wait(), 5)
        return f"ready {batch}"

    async def write(batch: int, ready: str) -> None:
        assert ready == f"ready {batch}"
        events.append(f"write {batch}")
        writing.set()
        await asyncio.sleep(0)

    await pipelined(_batches(3), prepare, write)
    assert [e for e in events if e.startswith("write")] == ["write 0", "write 1", "write 2"]


async def test_a_failed_write_stops_the_run_and_drops_the_batch_being_prepared() -> None:
    written: list[int] = []
    prepared: list[int] = []

    async def prepare(batch: int) -> int:
        if batch == 2:
            await asyncio.sleep(30)  # still embedding when batch 1 fails: must be dropped
        prepared.append(batch)
        return batch

    async def write(batch: int, ready: int) -> None:
        if batch == 1:
            raise RuntimeError("the database refused batch 1")
        written.append(batch)

    with pytest.raises(RuntimeError, match="refused batch 1"):
        await asyncio.wait_for(pipelined(_batches(5), prepare, write), 5)
    assert written == [0]
    assert prepared == [0, 1]
