"""The default embedder (onnxruntime) against the reference (sentence-transformers, torch)."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bench.corpus import documents
from tests.conftest import MODEL_CACHE
from vault_mcp.embeddings.onnx import EXPORT_VERSION, TORCH_EXPORT_VERSION, OnnxEmbedder

pytestmark = pytest.mark.model


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


async def test_onnx_vectors_equal_sentence_transformers_on_real_text(
    real_embedder: Any, torch_embedder: Any
) -> None:
    """The graph bert_graph writes without torch, in batches (padding) and alone, short
    texts and texts cut at 256 tokens: every component within 1e-5 of the reference."""
    docs = documents(300, libraries=False)
    texts = [f"{d.title}\n\n{d.text}" for d in docs] + ["x " * 2000, "ok", "Gardens in May"]
    assert sum(len(t) > 2000 for t in texts) > 5  # several reach past the window
    fast = np.stack(await real_embedder.embed(texts))
    reference = np.stack(await torch_embedder.embed(texts))
    assert float(np.abs(fast - reference).max()) <= 1e-5
    alone = np.stack([(await real_embedder.embed([t]))[0] for t in texts[:20]])
    assert float(np.abs(alone - reference[:20]).max()) <= 1e-5
    fast_top = np.argsort(-(fast @ fast.T), axis=1)[:, 1:11]
    ref_top = np.argsort(-(reference @ reference.T), axis=1)[:, 1:11]
    overlap = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(fast_top, ref_top, strict=True)])
    assert overlap >= 0.98


async def test_writing_the_graph_removes_an_older_one_of_the_same_model(
    real_embedder: Any, tmp_path: Path
) -> None:
    [graph] = list(MODEL_CACHE.glob(f"*-{EXPORT_VERSION}.onnx"))
    older = tmp_path / graph.name.replace(EXPORT_VERSION, TORCH_EXPORT_VERSION)
    older.write_bytes(b"a torch export from an earlier version")
    # Another model's graph, whose folder name starts with this one's, is not this model's.
    other = tmp_path / graph.name.replace("model-", "model-large-", 1)
    other.write_bytes(b"another model's graph")
    # A build that died mid-write an hour ago left its temporary file; one under way now is
    # another process's.
    abandoned, under_way = tmp_path / "tmpdead.onnx.tmp", tmp_path / "tmplive.onnx.tmp"
    abandoned.write_bytes(b"half a graph")
    under_way.write_bytes(b"half a graph")
    os.utime(abandoned, (time.time() - 7200, time.time() - 7200))
    embedder = OnnxEmbedder(tmp_path)
    await asyncio.wait_for(embedder.wait_ready(), 120)
    assert _names(tmp_path) == sorted([graph.name, other.name, under_way.name])


async def test_single_texts_and_batches_embed_alike(real_embedder: Any) -> None:
    texts = ["short", "a somewhat longer sentence about gardens", "mid length text here"]
    together = np.stack(await real_embedder.embed(texts))
    alone = np.stack([(await real_embedder.embed([t]))[0] for t in texts])
    assert np.allclose(together, alone, atol=1e-5)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)


async def test_a_second_start_reuses_the_cached_graph_and_is_quick(real_embedder: Any) -> None:
    [export] = list(MODEL_CACHE.glob(f"*-{EXPORT_VERSION}.onnx"))
    stamp = export.stat().st_mtime_ns
    started = time.perf_counter()
    again = OnnxEmbedder(MODEL_CACHE)
    await again.wait_ready()
    assert export.stat().st_mtime_ns == stamp  # not written again
    assert time.perf_counter() - started < 10  # generous: the point is no torch import


async def test_a_folder_without_a_model_fails_clearly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    embedder = OnnxEmbedder(tmp_path / "cache", model=str(tmp_path))
    with pytest.raises(Exception, match="could not be loaded") as raised:
        await embedder.wait_ready()
    embedder.close()  # no retries logging into the rest of the session
    assert embedder.state == "failed"
    assert str(tmp_path) not in str(raised.value)  # clients are not told server paths
    assert "not a local sentence-transformers model folder" in caplog.text  # the log is


async def test_a_corrupt_cached_export_is_rebuilt(real_embedder: Any, tmp_path: Path) -> None:
    [export] = list(MODEL_CACHE.glob(f"*-{EXPORT_VERSION}.onnx"))
    cache = tmp_path / "models"
    cache.mkdir()
    (cache / export.name).write_bytes(b"not an onnx graph, cut short by a full disk")
    rebuilt = OnnxEmbedder(cache)
    seen: list[str] = []
    report = rebuilt.mark_preparing

    def spy() -> None:
        report()
        seen.append(rebuilt.state)

    rebuilt.mark_preparing = spy  # type: ignore[method-assign]
    await asyncio.wait_for(rebuilt.wait_ready(), 300)
    assert seen == ["preparing"] and rebuilt.state == "ready"  # told while it exported
    assert (cache / export.name).stat().st_size == export.stat().st_size
    # Readable by everyone: an image exports as root and serves as another user.
    assert (cache / export.name).stat().st_mode & 0o777 == 0o644
    [vector] = await rebuilt.embed(["hello world"])
    [reference] = await real_embedder.embed(["hello world"])
    assert float(vector @ reference) > 0.9999


async def test_text_past_the_window_is_cut_before_it_is_tokenized(real_embedder: Any) -> None:
    """A megabyte-long text reads as its first 256 word pieces, like any other: the cut at
    16 characters a piece drops only what the model would never read."""
    prose = " ".join(d.text for d in documents(40, libraries=False))
    assert len(prose) > 10_000
    huge = (prose + " ") * (1_000_000 // len(prose) + 1)
    [whole, start] = await real_embedder.embed([huge, prose[:3000]])
    assert float(whole @ start) > 0.9999  # 3,000 characters already fill the window


async def test_auto_falls_back_to_sentence_transformers_when_onnx_cannot_load(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, torch_embedder: Any
) -> None:
    from vault_mcp.embeddings import _fastest_encoder

    blocker = tmp_path / "a-file"
    blocker.write_text("")  # the export cannot create its folder under a file
    encode = await asyncio.to_thread(_fastest_encoder, None, blocker / "models")
    [fallback] = encode(["hello world"])
    [reference] = await torch_embedder.embed(["hello world"])
    assert float(fallback @ reference) > 0.9999
    assert "using sentence-transformers" in caplog.text


async def test_a_model_the_builder_does_not_write_is_exported_by_torch(
    tmp_path: Path, torch_embedder: Any
) -> None:
    from vault_mcp.embeddings.onnx import load_onnx

    encode = await asyncio.to_thread(load_onnx, None, tmp_path, 384, force_torch_export=True)
    [name] = _names(tmp_path)
    assert name.endswith(f"-{TORCH_EXPORT_VERSION}.onnx")
    texts = ["hello world", "x " * 2000]
    assert float(np.abs(encode(texts) - np.stack(await torch_embedder.embed(texts))).max()) <= 1e-5


async def test_weights_the_graph_builder_cannot_read_are_exported_by_torch(
    tmp_path: Path, torch_embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A BERT config is not proof that bert_graph can read the weights (another key prefix,
    bf16): torch's export, which read them before bert_graph existed, takes over."""
    from vault_mcp.embeddings import onnx

    def unreadable(folder: Path) -> bytes:
        raise ValueError("the weights lack embeddings.word_embeddings.weight")

    monkeypatch.setattr(onnx, "build_bert_graph", unreadable)
    encode = await asyncio.to_thread(onnx.load_onnx, None, tmp_path, 384)
    [name] = _names(tmp_path)
    assert name.endswith(f"-{TORCH_EXPORT_VERSION}.onnx")
    texts = ["hello world", "a second sentence"]
    assert float(np.abs(encode(texts) - np.stack(await torch_embedder.embed(texts))).max()) <= 1e-5
