"""Side by side: vault-mcp and mcp-memory-service 12.4.0 over stdio, same client, same corpus.

    .venv/bin/python -m bench.peers [--notes 1000] [--queries 300] [--creates 200] [--restarts 3]
    .venv/bin/python -m bench.peers --quick          # 100 notes, for development

A benchmark, not a test. Both servers are spawned as subprocesses and driven by the official
SDK's stdio client (`mcp.client.stdio`), one tool call at a time, each from a fresh data dir,
in both orders within one run (vault-mcp then MMS, then MMS then vault-mcp); ratios are the
geometric means of the two orders, so the one that runs first under a changing load is not
favoured. Per server:

- first start on the fresh dir (one-time costs: vault-mcp's initdb and model load, MMS's
  database creation and first model load), then every note stored through the store tool,
  one at a time: the sequential create rate is timed over the last `--creates` of them;
- restarts on the populated vault: spawn → initialize and spawn → first search result
  (median of `--restarts`), RSS of the server process once it has answered that search (cold)
  and its high-water mark (VmHWM, over every session: peak);
- the labelled queries through the search tool: p50/p99 latency, recall@10 and R@1.

The corpus is bench.labelled's short paraphrase set (man-page DESCRIPTION openings, each asked
by its page's NAME summary, which never occurs in it): the first `--notes` notes, and the first
`--queries` queries whose right note is among them. Beside the servers, in the same run (before
and after them, in-process, nothing else running), vault-mcp's onnxruntime encoder on the
created notes' texts: one text per call (the raw batch-1 rate the create rate is held against)
and batched. vault-mcp's ONNX export is made once before anything is timed (bench/.cache/models,
as a data dir keeps it), and its one-time cost is reported apart from the steady numbers.

Fairness, and the differences that remain:
- the same texts: vault-mcp gets (title, content); MMS, which has no title, gets
  "title\\n\\ncontent" as its content, with no tags or metadata (its default memory type "note");
- the same queries, 10 results each: vault-mcp's `search_notes` (fused: vectors and words) and
  MMS's `memory_search` in its default mode (semantic); vault-mcp answers with structured
  results and a snippet of each note, MMS with a text block holding each memory's whole content;
- MMS's semantic dedup stays on (its defaults: cosine ≥ 0.85 within 24 h): a store it refuses is
  counted and reported, and that note's queries count as misses (recall is also given over the
  queries whose note it kept). It also runs a conflict scan per write;
- MMS embeds with the model's own tokenizer.json (padding and truncation at 128 tokens, as the
  file says); vault-mcp truncates at 256 tokens and pads to the longest text of a batch;
- vault-mcp's server process has PostgreSQL beside it (its embedded database): "tree" RSS
  adds those processes (their shared memory counted once per process).
Prints a table and writes bench/results/peers.json. Loopback only; every loop is bounded in
count, and every call and phase in time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
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
from bench.core import RESULTS, VAULT_MCP, machine, percentile, wait_until_idle
from bench.core import server_env as vault_env
from bench.corpus import CACHE
from bench.labelled import LabelledSet

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


def raw_encode(texts: list[str]) -> dict[str, float]:
    """vault-mcp's onnxruntime encoder in this process: texts/s one at a time and batched
    (whole passes over the texts, at least 3 s or 5 passes of each)."""
    from vault_mcp.embeddings.onnx import load_onnx

    encode = load_onnx(None, CACHE / "models", 384)
    encode(texts[:8])  # warm

    def rate(one_pass: Callable[[], object]) -> float:
        passes, started = 0, time.perf_counter()
        while passes < 5 and (passes == 0 or time.perf_counter() - started < 3):
            one_pass()
            passes += 1
        return passes * len(texts) / (time.perf_counter() - started)

    return {
        "batch1_per_s": rate(lambda: [encode([t]) for t in texts]),
        # In length-sorted chunks of 32, as the server batches a bulk write.
        "batched_per_s": rate(lambda: encode(texts)),
    }


def one_time_setup() -> dict[str, float]:
    """What a first-ever run pays once, timed apart from every steady number."""
    from vault_mcp.embeddings.onnx import load_onnx

    costs = {"mms_venv_s": peers_mms.ensure_venv(), "mms_model_export_s": peers_mms.ensure_model()}
    exported: list[float] = []
    started = time.perf_counter()
    load_onnx(None, CACHE / "models", 384, on_export=lambda: exported.append(1.0))
    costs["vault_onnx_export_s" if exported else "vault_onnx_load_s"] = (
        time.perf_counter() - started
    )
    return costs


def corpus(args: argparse.Namespace) -> tuple[list[Item], list[tuple[str, str]]]:
    from bench.quality import load_set

    labelled: LabelledSet = load_set("short")
    if len(labelled.notes) < args.notes:
        raise SystemExit(f"the short set has {len(labelled.notes)} notes, fewer than --notes")
    items = [Item(n.key, n.title, n.content) for n in labelled.notes[: args.notes]]
    keys = {i.key for i in items}
    queries = [(q.text, q.expected) for q in labelled.queries if q.expected in keys]
    return items, [(text, key) for text, key in queries if key is not None][: args.queries]


def vault_source() -> str:
    """Where the vault-mcp code under test comes from, and its commit."""
    import subprocess

    import vault_mcp

    folder = Path(vault_mcp.__file__).parent
    head = subprocess.run(
        ["git", "-C", str(folder), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    return f"{folder} @ {head.stdout.strip() or 'unknown'}"


def geomean(values: list[float]) -> float:
    return math.exp(statistics.mean(math.log(v) for v in values)) if all(values) else math.nan


# (label, key, format, how vault-mcp's advantage is computed: "time" MMS/vault, "rate" vault/MMS)
ROWS: list[tuple[str, str, str, str]] = [
    ("spawn → initialize (populated)", "initialize_s", "{:.2f} s", "time"),
    ("spawn → first search result", "first_search_s", "{:.2f} s", "time"),
    ("search p50", "search_p50_ms", "{:.1f} ms", "time"),
    ("search p99", "search_p99_ms", "{:.1f} ms", "time"),
    ("create, sequential", "create_notes_per_s", "{:.1f} /s", "rate"),
    ("all stores (load)", "load_notes_per_s", "{:.1f} /s", "rate"),
    ("recall@10", "recall_at_10", "{:.3f}", ""),
    ("R@1", "r_at_1", "{:.3f}", ""),
    ("recall@10, queries whose note was kept", "recall_at_10_of_stored", "{:.3f}", ""),
    ("RSS cold: after 1st search (process)", "rss_cold_mib", "{:.0f} MiB", ""),
    ("RSS peak: VmHWM (process)", "rss_peak_mib", "{:.0f} MiB", ""),
    ("RSS cold, with helpers (PostgreSQL)", "rss_tree_cold_mib", "{:.0f} MiB", ""),
    ("first start: spawn → initialize", "first_init", "{:.2f} s", ""),
    ("first start: spawn → first search", "first_search", "{:.2f} s", ""),
    ("stores refused (dedup) / set aside", "refused_total", "{}", ""),
]


def table(orders: list[dict[str, dict[str, Any]]]) -> tuple[str, dict[str, float]]:
    def value(run: dict[str, Any], key: str) -> Any:
        if key == "first_init":
            return run["first_start"]["initialize_s"]
        if key == "first_search":
            return run["first_start"]["first_search_s"]
        if key == "refused_total":
            return ", ".join(f"{v} {k}" for k, v in run["refused"].items()) or "0"
        return run[key]

    heads = ["", "vault (1st)", "MMS (2nd)", "MMS (1st)", "vault (2nd)", "vault-mcp ahead (x)"]
    lines, ratios = [], {}
    for label, key, fmt, kind in ROWS:
        cells = [label]
        for order, pair in zip(("vault-first", "mms-first"), orders, strict=True):
            runs = (
                [pair["vault"], pair["mms"]]
                if order == "vault-first"
                else [pair["mms"], pair["vault"]]
            )
            cells += [fmt.format(value(r, key)) for r in runs]
        if kind:
            each = [
                (p["mms"][key] / p["vault"][key])
                if kind == "time"
                else p["vault"][key] / p["mms"][key]
                for p in orders
            ]
            ratios[key] = geomean(each)
            cells.append(f"{ratios[key]:.2f} ({', '.join(f'{e:.2f}' for e in each)})")
        else:
            cells.append("")
        lines.append(cells)
    widths = [max(len(row[i]) for row in [heads, *lines]) for i in range(len(heads))]
    out = ["  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True))]
    out += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in lines]
    return "\n".join(out), ratios


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=1000, help="notes stored in each server")
    parser.add_argument("--queries", type=int, default=300, help="labelled search queries")
    parser.add_argument("--creates", type=int, default=200, help="last stores timed as creates")
    parser.add_argument("--restarts", type=int, default=3, help="spawns on the populated vault")
    parser.add_argument("--budget", type=float, default=1800, help="seconds allowed per phase")
    parser.add_argument("--quick", action="store_true", help="100 notes, 50 queries, 40 creates")
    args = parser.parse_args()
    if args.quick:
        args.notes, args.queries, args.creates, args.restarts = 100, 50, 40, 2
    args.creates = min(args.creates, args.notes)

    info = machine()
    load_before = os.getloadavg()
    print(f"machine: {info}", file=sys.stderr)
    print(f"load average before: {load_before}", file=sys.stderr)
    one_time = one_time_setup()
    items, queries = corpus(args)
    texts = [f"{i.title}\n\n{i.content}" for i in items[-args.creates :]]
    encode_before = raw_encode(texts)

    orders: list[dict[str, dict[str, Any]]] = []
    for first, second in ((VAULT, MMS), (MMS, VAULT)):
        pair = {}
        for peer in (first, second):
            pair["vault" if peer is VAULT else "mms"] = await run_server(peer, items, queries, args)
        orders.append(pair)
    encode_after = raw_encode(texts)
    load_after = os.getloadavg()

    printed, ratios = table(orders)
    raw = {k: geomean([encode_before[k], encode_after[k]]) for k in encode_before}
    creates = [o["vault"]["create_notes_per_s"] for o in orders]
    results = {
        "machine": info,
        "load_average_before": load_before,
        "load_average_after": load_after,
        "args": vars(args),
        "vault_mcp": vault_source(),
        "corpus": "bench.labelled short paraphrase set (man pages)",
        "queries": len(queries),
        "one_time": one_time,
        "raw_encode_before": encode_before,
        "raw_encode_after": encode_after,
        "vault_create_vs_raw_batch1": geomean(creates) / raw["batch1_per_s"],
        "orders": [
            {"order": name, **pair}
            for name, pair in zip(("vault-first", "mms-first"), orders, strict=True)
        ],
        "ratios_vault_ahead_geomean": ratios,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "peers.json").write_text(json.dumps(results, indent=2))

    print(f"\nvault-mcp vs mcp-memory-service {peers_mms.VERSION}, stdio, same SDK client")
    print(f"vault-mcp: {results['vault_mcp']}")
    print(
        f"machine: {info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB, "
        f"Python {info['python']}"
    )
    print(
        f"load average before: {' '.join(f'{x:.2f}' for x in load_before)}; "
        f"after: {' '.join(f'{x:.2f}' for x in load_after)}"
    )
    print(
        f"{len(items)} notes, {len(queries)} labelled queries, {args.creates} timed creates, "
        f"{args.restarts} restarts; ratio = geometric mean of the two orders (each in brackets)\n"
    )
    print(printed)
    print(
        f"\nraw encode (vault-mcp's onnxruntime, in-process, the {len(texts)} created texts; "
        f"before / after the servers): batch-1 {encode_before['batch1_per_s']:.1f} / "
        f"{encode_after['batch1_per_s']:.1f} texts/s, batched {encode_before['batched_per_s']:.1f}"
        f" / {encode_after['batched_per_s']:.1f} texts/s"
    )
    print(
        f"vault-mcp sequential create ÷ raw batch-1 encode: "
        f"{results['vault_create_vs_raw_batch1']:.2f} (target ≥ 0.8)"
    )
    print(
        "set-up before the timed runs (0: cached from an earlier run): "
        + ", ".join(f"{k} {v:.1f} s" for k, v in one_time.items())
    )
    print(f"\nwritten to {RESULTS / 'peers.json'}")


if __name__ == "__main__":
    asyncio.run(main())
