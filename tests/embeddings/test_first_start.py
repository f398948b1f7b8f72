"""A new data dir's first start: the model's graph is written without torch, searches follow."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from tests.e2e.conftest import server_env
from vault_mcp.embeddings.onnx import EXPORT_VERSION

pytestmark = [pytest.mark.model, pytest.mark.slow]

# The model stacks the default path must never import (onnxruntime is the one it runs on).
HEAVY = ("torch", "transformers", "sentence_transformers", "onnx")


async def test_a_fresh_data_dir_reaches_its_first_search_without_importing_torch(
    tmp_path: Path, database_url: str
) -> None:
    env = server_env(tmp_path, database_url, embedder="auto")
    del env["VAULT_MODEL_CACHE"]  # the data dir's own models/ folder, empty
    # -X importtime: every module the server imports, one line each, on its stderr.
    params = StdioServerParameters(
        command=sys.executable, args=["-X", "importtime", "-m", "vault_mcp", "stdio"], env=env
    )
    log = tmp_path / "stderr.txt"
    with log.open("w") as errlog:
        async with (
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            created = await session.call_tool(
                "create_note", {"title": "Boat", "content": "Varnish the mast before May."}
            )
            assert not created.is_error, created.content
            found = await session.call_tool("search_notes", {"query": "varnishing a mast"})
            assert not found.is_error, found.content
            assert [r["title"] for r in found.structured_content["results"]] == ["Boat"]
    imported = {
        m.group(1)
        for m in re.finditer(r"^import time:.*\|\s*([\w.]+)$", log.read_text(), re.MULTILINE)
    }
    assert "onnxruntime" in imported  # the log is read right
    assert not imported & set(HEAVY)
    [graph] = (Path(env["VAULT_DATA_DIR"]) / "models").iterdir()
    assert graph.name.endswith(f"-{EXPORT_VERSION}.onnx")
