"""The chaos tier's embedder fault: a model folder cut short under a running `serve`."""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path

import httpx
import pytest

from tests.chaos.clients import (
    FAULT_SECONDS,
    serving,
)
from tests.e2e.conftest import login, running_serve

pytestmark = pytest.mark.slow


async def test_a_corrupt_model_folder_is_reported_and_recovers_once_repaired(
    tmp_path: Path, chaos_url: str
) -> None:
    """The embedder failing (weights cut short, as by a copy that did not finish): /health and
    every write say so with 503 + Retry-After, and once the folder is whole again the same
    process loads it on its next retry and serves search by meaning."""
    from vault_mcp.embeddings.sentence_transformer import packaged_model_path

    model = tmp_path / "model"
    shutil.copytree(packaged_model_path(), model)
    weights = model / "model.safetensors"
    whole = weights.read_bytes()
    weights.write_bytes(whole[: len(whole) // 3])
    env, password = await serving(tmp_path, chaos_url)
    env.update(
        VAULT_EMBEDDER="onnx",
        VAULT_EMBEDDING_MODEL=str(model),
        VAULT_MODEL_CACHE=str(tmp_path / "cache"),  # no export of the whole model to reuse
    )
    async with (
        running_serve(env, ready="/health/live") as base,
        httpx.AsyncClient(timeout=45) as http,
    ):
        deadline = time.monotonic() + FAULT_SECONDS
        while (health := await http.get(f"{base}/health")).json()["embedder"] != "failed":
            assert time.monotonic() < deadline, health.json()
            await asyncio.sleep(0.2)
        assert health.status_code == 503 and "retry-after" in health.headers
        assert str(model) not in health.text  # the log names the folder, clients do not
        token = (await login(base, "chaos", password))["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        note = {"title": "Tangerine", "content": "A citrus-coloured submarine rehearses."}
        refused = await http.post(f"{base}/api/v1/notes", headers=headers, json=note)
        assert refused.status_code == 503 and "retry-after" in refused.headers, refused.text

        weights.write_bytes(whole)  # repaired; the next retry (5 s, then doubling) loads it
        repaired = time.monotonic()
        while (await http.get(f"{base}/health")).status_code != 200:
            assert time.monotonic() - repaired < 3 * FAULT_SECONDS, "never loaded"
            await asyncio.sleep(0.5)
        recovered = time.monotonic() - repaired
        created = await http.post(f"{base}/api/v1/notes", headers=headers, json=note)
        assert created.status_code == 201, created.text
        found = await http.get(
            f"{base}/api/v1/notes", headers=headers, params={"q": "orange underwater boat"}
        )
        assert found.json()["results"][0]["id"] == created.json()["id"]
    print(f"corrupt model folder: 503 while failed, healthy {recovered:.1f} s after repair")
