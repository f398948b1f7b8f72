"""Where a search and a create spend their time, stage by stage, on a small vault.

    .venv/bin/python -m bench.profile [--notes 1000] [--queries 200] [--creates 100]

One embedded PostgreSQL in a throw-away dir, the real model, `--notes` notes of real text
(docstrings of installed packages; their vectors cached in bench/.cache, so reruns do not
embed them again). Each path is timed at every layer a call passes through, each layer
including the ones below it:

    encode        the model alone, batch 1, in this thread
    embedder      the same through the server's embedder (worker-thread hop, micro-batcher)
    statement     the SQL alone (search: the fused statement with its settings and rows
                  turned into hits; create: the insert of a note already embedded)
    service       NoteService (validation, passages, embedding, pool, statement)
    mcp           the tool through the SDK in memory (dispatch, argument validation,
                  result models, JSON), no pipes
    stdio         a `vault-mcp stdio` process on the same database, through the SDK's client

so each difference is one layer's cost. Beside wall time, each stage's CPU time per call (this
process, the stdio server, every PostgreSQL process) is counted: on a shared machine it moves
far less with the load than wall time does. Prints a table of p50 / p90 / mean per stage and writes
bench/results/profile.json. docs/benchmarks.md has the published breakdown, before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import psutil
from mcp import Client, ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from bench.core import CACHE, RESULTS, VAULT_MCP, machine, server_env
from bench.corpus import Document, documents, first_sentence
from bench.embedcache import CachingEmbedder

USER = "bench"
Timed = Callable[[int], Awaitable[object]]


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50": statistics.median(ordered),
        "p90": ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))],
        "mean": statistics.fmean(ordered),
    }


def cpu_seconds(data_dir: Path) -> float:
    """CPU time used so far by this process, the servers it spawned and the PostgreSQL of
    `data_dir` (its postmaster and backends): a measure of the work a call costs that a busy
    machine does not inflate the way it inflates wall time, which also counts the waits for a
    core. (onnxruntime's threads spin while they wait, so the encode stages' CPU is high.)"""
    me = psutil.Process()
    processes = [me, *me.children(recursive=True)]
    postmaster = psutil.Process(
        int((data_dir / "pgdata" / "postmaster.pid").read_text().split()[0])
    )
    processes += [postmaster, *postmaster.children()]
    total = 0.0
    for process in {p.pid: p for p in processes}.values():
        try:
            times = process.cpu_times()
        except psutil.Error:  # exited meanwhile
            continue
        total += times.user + times.system
    return total


async def timed(count: int, call: Timed, data_dir: Path) -> dict[str, float]:
    """Milliseconds per call of `call(i)` for i in range(count), after two warm-up calls:
    wall-time p50 / p90 / mean, and the CPU time of all processes involved, per call."""
    for i in range(2):
        await call(i)
    samples = []
    cpu_before = cpu_seconds(data_dir)
    for i in range(count):
        started = time.perf_counter()
        await call(i)
        samples.append((time.perf_counter() - started) * 1000)
    return summary(samples) | {"cpu": (cpu_seconds(data_dir) - cpu_before) * 1000 / count}


@asynccontextmanager
async def vault(data_dir: Path, embedder: Any) -> AsyncIterator[tuple[str, Any]]:
    """A migrated embedded database with the services on it; yields (its URL, services)."""
    from vault_mcp.db.embedded import EmbeddedPostgres
    from vault_mcp.runtime.wiring import open_services
    from vault_mcp.settings import Settings

    server = EmbeddedPostgres(data_dir)
    url = server.start()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=url,
        data_dir=data_dir,
        user=USER,
        embedder="onnx",
        migrate_on_start=True,
    )
    try:
        async with open_services(settings, embedder) as services:
            yield url, services
    finally:
        server.stop()


class _Ready:
    def __init__(self, services: Any) -> None:
        self._services = services

    async def get(self) -> Any:
        return self._services


def in_memory(services: Any) -> Client:
    from vault_mcp.tools import build_mcp_server

    @asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[_Ready]:
        yield _Ready(services)

    return Client(build_mcp_server(lifespan), mode="legacy")


async def load(services: Any, owner: int, notes: list[Document], embedder: Any) -> None:
    """The notes, written by the service in batches; vectors from bench/.cache when known."""
    cached = CachingEmbedder(embedder, CACHE / "embeddings.sqlite", "all-MiniLM-L6-v2/onnx")
    from vault_mcp.domain import Limits
    from vault_mcp.service import NoteService

    writer = NoteService(services.notes._repository, cached, Limits())
    for start in range(0, len(notes), 200):
        batch = notes[start : start + 200]
        await writer.create_many(owner, [(d.title[:500], d.text, ()) for d in batch])
        print(f"\rloading {start + len(batch)}/{len(notes)} notes", end="", file=sys.stderr)
    print(file=sys.stderr)


async def profile(args: argparse.Namespace) -> dict[str, Any]:
    from vault_mcp.db.search import search as search_statement
    from vault_mcp.domain import NoteDraft, SearchQuery
    from vault_mcp.embeddings.onnx import OnnxEmbedder
    from vault_mcp.passages import embedded_text, split_passages

    docs = documents(args.notes + args.queries + args.creates + 4)
    stored = docs[: args.notes]
    queries = [first_sentence(d.text)[:200] for d in docs[args.notes : args.notes + args.queries]]
    creates = docs[args.notes + args.queries :]
    embedder = OnnxEmbedder(CACHE / "models")
    await embedder.wait_ready()
    encode = embedder._loaded.result()  # the blocking encode function itself
    out: dict[str, Any] = {"machine": machine(), "notes": args.notes}
    out["load_before"] = os.getloadavg()

    with tempfile.TemporaryDirectory(prefix="vault-profile-") as tmp:
        data_dir = Path(tmp)
        async with vault(data_dir, embedder) as (url, services):
            owner = services.owner
            await load(services, owner, stored, embedder)
            pool = services.notes._repository._pool
            vectors = [encode([q])[0] for q in queries]

            async def q_encode(i: int) -> object:
                return encode([queries[i % len(queries)]])

            async def q_embedder(i: int) -> object:
                return await embedder.embed([queries[i % len(queries)]])

            async def q_statement(i: int) -> object:
                request = SearchQuery(
                    text=queries[i % len(queries)], limit=10, tags=(), since=None, until=None
                )
                async with pool.acquire() as conn:
                    return await search_statement(conn, owner, request, vectors[i % len(vectors)])

            async def q_service(i: int) -> object:
                return await services.notes.search(owner, queries[i % len(queries)], limit=10)

            search: dict[str, Any] = {}
            n = args.queries
            search["encode"] = await timed(n, q_encode, data_dir)
            search["embedder"] = await timed(n, q_embedder, data_dir)
            search["statement"] = await timed(n, q_statement, data_dir)
            search["service"] = await timed(n, q_service, data_dir)

            texts = [(d.title[:500] + " (profile)", d.text) for d in creates]
            drafts = [NoteDraft(title=t, content=c, tags=()) for t, c in texts]
            first_passages = [embedded_text(t, p) for t, c in texts for p in split_passages(c)[:1]]
            create: dict[str, Any] = {}
            m = args.creates

            async def c_encode(i: int) -> object:
                return encode([first_passages[i % len(first_passages)]])

            create["encode"] = await timed(m, c_encode, data_dir)
            indexed = await services.notes.index([(t, c) for t, c in texts])

            async def c_statement(i: int) -> object:
                return await services.notes._repository.insert(
                    owner, drafts[i % len(drafts)], indexed[i % len(indexed)]
                )

            async def c_service(i: int) -> object:
                title, content = texts[i % len(texts)]
                return await services.notes.create(owner, title, content)

            create["statement"] = await timed(m, c_statement, data_dir)
            create["service"] = await timed(m, c_service, data_dir)

            async with in_memory(services) as client:

                async def q_mcp(i: int) -> object:
                    return await client.call_tool(
                        "search_notes", {"query": queries[i % len(queries)], "limit": 10}
                    )

                async def c_mcp(i: int) -> object:
                    title, content = texts[i % len(texts)]
                    return await client.call_tool(
                        "create_note", {"title": title, "content": content}
                    )

                search["mcp"] = await timed(n, q_mcp, data_dir)
                create["mcp"] = await timed(m, c_mcp, data_dir)

            env = server_env(data_dir) | {"DATABASE_URL": url, "VAULT_USER": USER}
            params = StdioServerParameters(command=VAULT_MCP, args=["stdio"], env=env)
            async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
                await session.initialize()

                async def q_stdio(i: int) -> object:
                    result = await session.call_tool(
                        "search_notes", {"query": queries[i % len(queries)], "limit": 10}
                    )
                    assert not result.is_error, result.content
                    return result

                async def c_stdio(i: int) -> object:
                    title, content = texts[i % len(texts)]
                    result = await session.call_tool(
                        "create_note", {"title": title, "content": content}
                    )
                    assert not result.is_error, result.content
                    return result

                search["stdio"] = await timed(n, q_stdio, data_dir)
                create["stdio"] = await timed(m, c_stdio, data_dir)
    out |= {"search": search, "create": create, "load_after": os.getloadavg()}
    return out


LAYERS = ["encode", "embedder", "statement", "service", "mcp", "stdio"]


def report(results: dict[str, Any]) -> None:
    print(f"machine: {results['machine']}")
    print(f"load average before {results['load_before']}, after {results['load_after']}")
    for path in ("search", "create"):
        print(f"\n{path} at {results['notes']:,} notes   p50 ms   p90 ms   mean ms   CPU ms")
        for layer in LAYERS:
            if layer in results[path]:
                row = results[path][layer]
                print(
                    f"  {layer:<12}{row['p50']:>12.2f}{row['p90']:>9.2f}{row['mean']:>10.2f}"
                    f"{row['cpu']:>9.2f}"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--creates", type=int, default=100)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    results = asyncio.run(profile(args))
    report(results)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "profile.json").write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
