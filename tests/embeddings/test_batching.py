from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

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


async def test_an_encoder_failure_fails_its_request_and_the_next_call_works() -> None:
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


async def test_text_the_model_cannot_take_fails_only_the_request_that_sent_it() -> None:
    """One user's bad text in a shared batch must not fail the others' searches and writes."""

    def picky(texts: list[str]) -> np.ndarray:
        if "poison" in texts:
            raise ValueError("cannot tokenize")
        return np.array([[float(len(t))] for t in texts], dtype=np.float32)

    batcher = MicroBatcher(picky)
    texts = [["ok"], ["poison"], ["fine", "good"], ["yes"]]
    results = await asyncio.gather(*(batcher.embed(t) for t in texts), return_exceptions=True)
    assert isinstance(results[1], ValueError)
    assert [[float(v[0]) for v in r] for r in (results[0], results[2], results[3])] == [
        [2.0],
        [4.0, 4.0],
        [3.0],
    ]


async def test_a_large_request_does_not_hold_up_a_small_one() -> None:
    """A long note's passages go a batch at a time; a search that arrives while the note's
    first batch is being encoded is in the very next batch, not behind the note's rest."""
    started, release = threading.Event(), threading.Event()
    batches: list[list[str]] = []

    def encoder(texts: list[str]) -> np.ndarray:
        batches.append(texts)
        started.set()
        assert release.wait(timeout=10)
        return np.array([[float(len(t))] for t in texts], dtype=np.float32)

    batcher = MicroBatcher(encoder, max_batch=8)
    large = asyncio.create_task(batcher.embed([f"passage {i}" for i in range(40)]))
    assert await asyncio.to_thread(started.wait, 10)  # the note's first batch is encoding
    small = asyncio.create_task(batcher.embed(["query"]))
    await asyncio.sleep(0)  # the query is queued
    release.set()
    assert len(await small) == 1
    assert not large.done()  # the query came back while the note was still being embedded
    vectors = await large
    assert [float(v[0]) for v in vectors] == [float(len(f"passage {i}")) for i in range(40)]
    assert all(len(b) <= 8 for b in batches)
    assert "query" in batches[1]  # right after the batch it arrived during


async def test_an_encoder_that_drops_rows_fails_its_batch_instead_of_hanging() -> None:
    batcher = MicroBatcher(lambda texts: np.zeros((len(texts) - 1, 1), dtype=np.float32))
    with pytest.raises(RuntimeError, match="returned 1 rows for 2"):
        await asyncio.wait_for(batcher.embed(["a", "b"]), 5)


async def test_a_model_that_fails_to_load_is_loaded_again_later() -> None:
    from vault_mcp.embeddings.background import BackgroundEmbedder
    from vault_mcp.errors import EmbedderUnavailable

    attempts = 0

    def load() -> Callable[[list[str]], np.ndarray]:
        nonlocal attempts
        attempts += 1
        if attempts < 3:
            raise OSError("/models/x: the model folder is still being copied")
        return lambda texts: np.ones((len(texts), 1), dtype=np.float32)

    embedder = BackgroundEmbedder(load, 1, retry_first=0.05, retry_max=0.1)
    with pytest.raises(EmbedderUnavailable, match="could not be loaded") as raised:
        await embedder.embed(["a"])
    assert "/models/x" not in str(raised.value)
    assert embedder.state in ("failed", "loading")
    for _ in range(100):  # bounded: the retries are 50 and 100 ms apart
        if embedder.state == "ready":
            break
        await asyncio.sleep(0.05)
    assert embedder.state == "ready" and attempts == 3
    assert len(await embedder.embed(["b"])) == 1
    embedder.close()
