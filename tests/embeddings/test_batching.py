from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from vault_mcp.embeddings.batching import MicroBatcher


class RecordingEncoder:
    """Encodes each text as [len(text)]; records batch sizes and the thread it ran on."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.batches: list[list[str]] = []
        self.threads: set[int] = set()
        self.gate = gate

    def __call__(self, texts: list[str]) -> np.ndarray:
        if self.gate is not None:
            assert self.gate.wait(timeout=10)
        self.batches.append(texts)
        self.threads.add(threading.get_ident())
        return np.array([[float(len(t))] for t in texts], dtype=np.float32)


async def test_concurrent_requests_share_forward_passes_and_get_their_own_vectors() -> None:
    gate = threading.Event()
    encoder = RecordingEncoder(gate)
    batcher = MicroBatcher(encoder, max_batch=64)
    first = asyncio.create_task(batcher.embed(["x"]))
    await asyncio.sleep(0)  # the first request is now being encoded (held at the gate)
    rest = [asyncio.create_task(batcher.embed(["a" * n, "b" * n])) for n in range(1, 21)]
    await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(first, *rest)
    assert [float(v[0]) for v in results[0]] == [1.0]
    for n, vectors in enumerate(results[1:], start=1):
        assert [float(v[0]) for v in vectors] == [n, n]
    assert [len(b) for b in encoder.batches] == [1, 40]  # 20 requests, one forward pass
    assert threading.get_ident() not in encoder.threads  # never on the event loop's thread


async def test_batches_respect_the_size_cap() -> None:
    encoder = RecordingEncoder()
    batcher = MicroBatcher(encoder, max_batch=4)
    await asyncio.gather(*(batcher.embed(["t"] * 3) for _ in range(3)))
    assert all(len(b) <= 4 for b in encoder.batches)
    assert sum(len(b) for b in encoder.batches) == 9


async def test_an_encoder_failure_reaches_every_waiter_and_the_next_call_works() -> None:
    calls = 0

    def flaky(texts: list[str]) -> np.ndarray:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("boom")
        return np.zeros((len(texts), 1), dtype=np.float32)

    batcher = MicroBatcher(flaky)
    with pytest.raises(RuntimeError, match="boom"):
        await batcher.embed(["a"])
    assert len(await batcher.embed(["b", "c"])) == 2
