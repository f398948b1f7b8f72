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
count, and every call and phase in time. Beside this module: bench.peers_session drives one
server, bench.peers_mms installs and configures MMS, bench.peers_report builds the table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import peers_mms
from bench.core import RESULTS, machine
from bench.corpus import CACHE
from bench.labelled import LabelledSet
from bench.peers_report import geomean, report, table
from bench.peers_session import MMS, VAULT, Item, run_server


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

    print(report(results, printed, len(texts)))
    print(f"\nwritten to {RESULTS / 'peers.json'}")


if __name__ == "__main__":
    asyncio.run(main())
