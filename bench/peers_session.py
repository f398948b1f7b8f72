"""How bench.peers drives one server: spawned, filled, restarted and searched over stdio."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import psutil
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from bench import peers_mms
from bench.core import VAULT_MCP, percentile, wait_until_idle
from bench.core import server_env as vault_env

LIMIT = 10
CALL_TIMEOUT = 120.0  # seconds for one tool call (a first search may wait for the model)
PROBE = "how do I list the files in a directory"  # the first search after each spawn


@dataclass(frozen=True)
class Item:
    key: str
    title: str
    content: str


@dataclass(frozen=True)
class Peer:
    """How the harness talks to one server: its command, env, and its tools' shapes."""

    name: str
    command: str
    args: tuple[str, ...]
    env: Callable[[Path], dict[str, str]]
    store_tool: str
    store_args: Callable[[Item], dict[str, Any]]
    stored: Callable[[Any], tuple[str | None, str]]  # reply → (ref or None, why not)
    search_tool: str
    found: Callable[[Any], list[str]]  # reply → refs, best first
    idle: Callable[[Path], Any]  # awaitable: the previous process and its helpers are gone


def _vault_stored(result: Any) -> tuple[str | None, str]:
    if result.is_error:
        raise RuntimeError(f"create_note failed: {result.content}")
    return str(result.structured_content["id"]), ""


def _vault_found(result: Any) -> list[str]:
    if result.is_error:
        raise RuntimeError(f"search_notes failed: {result.content}")
    return [str(r["id"]) for r in result.structured_content["results"]]


async def _no_wait(_: Path) -> None:
    return None


VAULT = Peer(
    name="vault-mcp",
    command=VAULT_MCP,
    args=("stdio",),
    env=lambda d: vault_env(d / "data"),
    store_tool="create_note",
    store_args=lambda n: {"title": n.title, "content": n.content},
    stored=_vault_stored,
    search_tool="search_notes",
    found=_vault_found,
    idle=lambda d: wait_until_idle(d / "data", 60),
)
MMS = Peer(
    name="mcp-memory-service",
    command=peers_mms.COMMAND,
    args=("server",),
    env=peers_mms.server_env,
    store_tool="memory_store",
    store_args=lambda n: {"content": f"{n.title}\n\n{n.content}"},
    stored=peers_mms.stored_hash,
    search_tool="memory_search",
    found=peers_mms.result_hashes,
    idle=_no_wait,
)


def rss_mib(pid: int, run_dir: Path) -> tuple[float, float, float]:
    """(RSS, VmHWM of the server process, RSS of it and its helpers) in MiB. Helpers are its
    descendants and whatever runs on its dir (vault-mcp's PostgreSQL detaches from it), with
    their descendants; shared memory is counted once per process."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = value.split()[0]  # "123456 kB"
    roots = [psutil.Process(pid)]
    for proc in psutil.process_iter(["cmdline"]):
        if str(run_dir) in " ".join(proc.info["cmdline"] or []):
            roots.append(proc)
    helpers: dict[int, Any] = {}
    for root in roots:
        with contextlib.suppress(psutil.Error):
            for proc in [root, *root.children(recursive=True)]:
                helpers[proc.pid] = proc
    tree = 0
    for proc in helpers.values():
        with contextlib.suppress(psutil.Error):  # one may have exited meanwhile
            tree += proc.memory_info().rss
    return int(fields["VmRSS"]) / 1024, int(fields["VmHWM"]) / 1024, tree / 2**20


def server_pid(peer: Peer) -> int:
    for child in psutil.Process().children():
        if peer.command in child.cmdline():
            return int(child.pid)
    raise RuntimeError(f"no {peer.name} process among this one's children")


@asynccontextmanager
async def spawned(peer: Peer, run_dir: Path, log: TextIO) -> AsyncIterator[tuple[Any, float]]:
    """A session with a freshly spawned server; yields it and the initialize seconds."""
    await peer.idle(run_dir)
    params = StdioServerParameters(
        command=peer.command, args=list(peer.args), env=peer.env(run_dir), cwd=str(run_dir)
    )
    started = time.perf_counter()
    async with stdio_client(params, errlog=log) as (read, write), ClientSession(read, write) as s:
        async with asyncio.timeout(CALL_TIMEOUT):
            await s.initialize()
        yield s, time.perf_counter() - started


async def call(session: Any, tool: str, arguments: dict[str, Any]) -> Any:
    async with asyncio.timeout(CALL_TIMEOUT):
        return await session.call_tool(tool, arguments)


async def first_start_and_load(
    peer: Peer, run_dir: Path, log: TextIO, items: list[Item], creates: int, budget: float
) -> dict[str, Any]:
    """The first start on the fresh dir, then every note stored one at a time."""
    deadline = time.monotonic() + budget
    async with spawned(peer, run_dir, log) as (session, initialized):
        started = time.perf_counter()
        await call(session, peer.search_tool, {"query": PROBE, "limit": LIMIT})
        first_search = initialized + time.perf_counter() - started
        pid = server_pid(peer)
        refs: dict[str, str] = {}
        refused: dict[str, list[str]] = {}
        stamps: list[float] = []
        load_started = time.perf_counter()
        for item in items:
            if time.monotonic() > deadline:
                raise SystemExit(f"{peer.name}: loading took over {budget:.0f} s; stopped")
            ref, why = peer.stored(await call(session, peer.store_tool, peer.store_args(item)))
            stamps.append(time.perf_counter())
            if ref is None:
                refused.setdefault(why, []).append(item.key)
            else:
                refs[ref] = item.key
                if why:
                    refused.setdefault(why, []).append(item.key)  # stored, but set aside
            n = len(stamps)
            if n % 50 == 0 or n == len(items):
                print(f"\r  {peer.name}: {n}/{len(items)} stored", end="", file=sys.stderr)
        print(file=sys.stderr)
        _, peak, _ = rss_mib(pid, run_dir)
    timed_from = stamps[-creates - 1] if creates < len(stamps) else load_started
    return {
        "first_initialize_s": initialized,
        "first_search_s": first_search,
        "load_notes_per_s": len(items) / (stamps[-1] - load_started),
        "create_notes_per_s": min(creates, len(stamps)) / (stamps[-1] - timed_from),
        "refused": {k: len(v) for k, v in refused.items()},
        "refused_keys": refused,
        "peak_mib": peak,
        "_refs": refs,
    }


async def restarted(
    peer: Peer, run_dir: Path, log: TextIO, queries: list[tuple[str, str]], budget: float
) -> dict[str, Any]:
    """One spawn on the populated vault: its start, and the queries if there are any."""
    deadline = time.monotonic() + budget
    async with spawned(peer, run_dir, log) as (session, initialized):
        pid = server_pid(peer)
        at_initialize, _, _ = rss_mib(pid, run_dir)
        started = time.perf_counter()
        await call(session, peer.search_tool, {"query": PROBE, "limit": LIMIT})
        first_search = initialized + time.perf_counter() - started
        # Cold: up and answering (database and model loaded), before any other work.
        cold, _, cold_tree = rss_mib(pid, run_dir)
        latencies: list[float] = []
        served: list[list[str]] = []
        for text, _ in queries:
            if time.monotonic() > deadline:
                raise SystemExit(f"{peer.name}: the searches took over {budget:.0f} s; stopped")
            t0 = time.perf_counter()
            result = await call(session, peer.search_tool, {"query": text, "limit": LIMIT})
            latencies.append((time.perf_counter() - t0) * 1000)
            served.append(peer.found(result))
        _, peak, tree = rss_mib(pid, run_dir)
    return {
        "initialize_s": initialized,
        "first_search_s": first_search,
        "at_initialize_mib": at_initialize,
        "cold_mib": cold,
        "cold_tree_mib": cold_tree,
        "peak_mib": peak,
        "tree_mib": tree,
        "search_ms": latencies,
        "served": served,
    }


def recall(served: list[list[str]], expected: list[str], keys: dict[str, str]) -> dict[str, Any]:
    ranked = [[keys.get(r) for r in refs] for refs in served]
    hits10 = [e in r[:LIMIT] for r, e in zip(ranked, expected, strict=True)]
    hits1 = [bool(r) and r[0] == e for r, e in zip(ranked, expected, strict=True)]
    kept = [i for i, e in enumerate(expected) if e in set(keys.values())]
    return {
        "recall_at_10": statistics.mean(hits10),
        "r_at_1": statistics.mean(hits1),
        "queries_whose_note_was_stored": len(kept),
        "recall_at_10_of_stored": statistics.mean(hits10[i] for i in kept) if kept else 0.0,
    }


async def run_server(
    peer: Peer, items: list[Item], queries: list[tuple[str, str]], args: argparse.Namespace
) -> dict[str, Any]:
    print(f"{peer.name}: fresh dir, first start, {len(items)} stores…", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix=f"peers-{peer.name}-") as tmp:
        run_dir = Path(tmp)
        with tempfile.TemporaryFile("w+") as log:  # the server's stderr
            try:
                loaded = await first_start_and_load(
                    peer, run_dir, log, items, args.creates, args.budget
                )
                starts = []
                for n in range(args.restarts):
                    print(f"{peer.name}: restart {n + 1}/{args.restarts}…", file=sys.stderr)
                    asked = queries if n == 0 else []
                    starts.append(await restarted(peer, run_dir, log, asked, args.budget))
                if peer is MMS:
                    log.seek(0)
                    peers_mms.check_run(run_dir, log.read())
            except BaseException:
                log.seek(0)
                tail = log.read()[-3000:]
                print(f"{peer.name} failed; its stderr ended:\n{tail}", file=sys.stderr)
                raise
            finally:
                # Its database stopped before its dir goes, and before the next server runs.
                await peer.idle(run_dir)
    searched = starts[0]
    lat = searched["search_ms"]
    return {
        "server": peer.name,
        "first_start": {
            "initialize_s": loaded["first_initialize_s"],
            "first_search_s": loaded["first_search_s"],
        },
        "load_notes_per_s": loaded["load_notes_per_s"],
        "create_notes_per_s": loaded["create_notes_per_s"],
        "refused": loaded["refused"],
        "refused_keys": loaded["refused_keys"],
        "initialize_s": statistics.median(s["initialize_s"] for s in starts),
        "initialize_s_all": [round(s["initialize_s"], 3) for s in starts],
        "first_search_s": statistics.median(s["first_search_s"] for s in starts),
        "search_p50_ms": percentile(lat, 50),
        "search_p99_ms": percentile(lat, 99),
        "search_calls": len(lat),
        "rss_at_initialize_mib": statistics.median(s["at_initialize_mib"] for s in starts),
        "rss_cold_mib": statistics.median(s["cold_mib"] for s in starts),
        "rss_peak_mib": max([loaded["peak_mib"], *(s["peak_mib"] for s in starts)]),
        "rss_tree_cold_mib": statistics.median(s["cold_tree_mib"] for s in starts),
        "rss_tree_after_searches_mib": searched["tree_mib"],
        **recall(searched["served"], [e for _, e in queries], loaded["_refs"]),
    }
