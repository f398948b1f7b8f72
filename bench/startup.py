"""Start-up benchmark: spawn → initialize and spawn → first search over real stdio, and the encoder.

    .venv/bin/python -m bench.startup [--runs 5] [--notes 200] [--encodes 200]

`fresh`: a new data dir each run (initdb, migrations, the model's graph built and cached);
`existing`: a data dir that already holds `--notes` notes and the cached graph. Then the
encoder alone: batch-1 p50 of a short query and the batched rate on real texts, for the
graph built from the weights (the default) and, if torch is installed, the torch export.
Prints one line per measurement; machine-sensitive, so say the load (`uptime`) with it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from bench.corpus import documents

VAULT_MCP = str(Path(sys.executable).parent / "vault-mcp")
QUERY = "how do I configure logging"


def env_for(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "DATABASE_URL"))}
    env.update(VAULT_DATA_DIR=str(data_dir), VAULT_LOG_LEVEL="WARNING", HF_HUB_OFFLINE="1")
    return env


async def spawn(data_dir: Path, notes: list[tuple[str, str]] = ()) -> dict[str, float]:  # type: ignore[assignment]
    """One server process: seconds to `initialize`, and to the first search's result."""
    params = StdioServerParameters(command=VAULT_MCP, args=["stdio"], env=env_for(data_dir))
    started = time.perf_counter()
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        initialized = time.perf_counter() - started
        result = await session.call_tool("search_notes", {"query": QUERY})
        assert not result.is_error, result.content
        searched = time.perf_counter() - started
        for title, content in notes:
            created = await session.call_tool("create_note", {"title": title, "content": content})
            assert not created.is_error, created.content
    await wait_stopped(data_dir)
    return {"initialize": initialized, "first_search": searched}


async def wait_stopped(data_dir: Path, seconds: float = 30) -> None:
    """Until the embedded PostgreSQL of the last process is gone (runs must not overlap)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not (data_dir / "pgdata" / "postmaster.pid").exists():
            return
        await asyncio.sleep(0.05)


def summary(name: str, runs: list[dict[str, float]]) -> None:
    for key in ("initialize", "first_search"):
        values = sorted(r[key] for r in runs)
        print(
            f"{name:9} spawn → {key:13} median {statistics.median(values):6.2f} s  "
            f"min {values[0]:6.2f}  max {values[-1]:6.2f}  ({len(values)} runs)"
        )


async def starts(runs: int, notes: int) -> None:
    with tempfile.TemporaryDirectory(prefix="vault-startup-") as tmp:
        fresh = [await spawn(Path(tmp) / f"fresh-{i}") for i in range(runs)]
        summary("fresh", fresh)
        vault = Path(tmp) / "existing"
        texts = [(d.title[:200], d.text) for d in documents(notes, libraries=False)]
        await spawn(vault, texts)
        summary("existing", [await spawn(vault) for _ in range(runs)])


def encoders(count: int) -> None:
    from vault_mcp.embeddings.onnx import load_onnx

    texts = [f"{d.title}\n\n{d.text}" for d in documents(count, libraries=False)]
    # (name, torch's export instead of the weights' graph, onnxruntime intra-op threads)
    kinds: list[tuple[str, bool, int]] = [("weights graph", False, 0), ("weights, 1 thr", False, 1)]
    try:
        import torch  # noqa: F401

        kinds.append(("torch export", True, 0))
    except ImportError:
        pass
    for name, torch_export, threads in kinds:
        with tempfile.TemporaryDirectory(prefix="vault-encode-") as cache:
            started = time.perf_counter()
            encode = load_onnx(
                None, Path(cache), 384, force_torch_export=torch_export, threads=threads
            )
            loaded = time.perf_counter() - started
            single = []
            for _ in range(200):
                t0 = time.perf_counter()
                encode([QUERY])
                single.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            encode(texts)
            rate = len(texts) / (time.perf_counter() - t0)
        p50 = statistics.median(single)
        print(
            f"{name:14}  first load {loaded:5.2f} s  batch-1 p50 {p50:5.2f} ms  "
            f"batched {rate:6.1f} texts/s ({len(texts)} texts)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--notes", type=int, default=200, help="notes in the existing vault")
    parser.add_argument("--encodes", type=int, default=200, help="texts for the batched rate")
    parser.add_argument("--skip-encoder", action="store_true")
    args = parser.parse_args()
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}, cores {os.cpu_count()}")
    asyncio.run(starts(args.runs, args.notes))
    if not args.skip_encoder:
        encoders(args.encodes)


if __name__ == "__main__":
    main()
