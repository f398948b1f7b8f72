"""Load: many concurrent MCP clients with a mixed workload against one `vault-mcp serve`.

    .venv/bin/python -m bench.load [--clients 32] [--seconds 120] [--notes 2000]

A fresh embedded database gets `--notes` real notes (bench.passages' man-page passages, their
vectors cached); `vault-mcp serve` starts with the real model; `--clients` authenticated MCP
sessions (streamable HTTP, the SDK's client) each run, until the time is up: search_notes 60 %,
create_note 20 %, update_note 10 %, read_note 5 %, delete_note 5 % (updates, reads and deletes
on notes that client created, so every acknowledgement is unambiguous). Printed: calls/s,
p50/p99 per tool, errors, the server's RSS over the run; then every acknowledged write is
checked in the database: each created or updated note present with exactly the acknowledged
text, each deleted one gone, and the passages of a sample re-embedded and compared.
Writes bench/results/load.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import psutil
from mcp import ClientSession

from bench.core import RESULTS, load_notes, machine, percentile
from bench.passages import passages_with_vectors
from bench.serving import CORPUS, USER, prepare, serving, sessions, sign_in

WORKLOAD = (("search_notes", 60), ("create_note", 20), ("update_note", 10), ("read_note", 5))
WORKLOAD += (("delete_note", 5),)
RSS_EVERY = 5.0  # seconds between samples of the server's memory
VERIFY_EMBEDDINGS = 200  # notes whose passages are re-embedded at the end


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    alive: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> acknowledged text
    deleted: set[str] = field(default_factory=set)

    def record(self, tool: str, ms: float) -> None:
        self.latencies.setdefault(tool, []).append(ms)

    def fail(self, tool: str, why: str) -> None:
        self.errors.setdefault(tool, []).append(why[:200])


async def client_loop(
    session: ClientSession, n: int, queries: list[str], texts: list[str], until: float, tally: Tally
) -> None:
    rng = random.Random(n)
    tools, weights = zip(*WORKLOAD, strict=True)
    mine: list[str] = []  # this client's live notes
    serial = 0
    while time.monotonic() < until:
        tool = rng.choices(tools, weights)[0]
        if tool in ("update_note", "read_note", "delete_note") and not mine:
            tool = "create_note"
        serial += 1
        if tool == "search_notes":
            args: dict[str, Any] = {"query": rng.choice(queries)}
        elif tool == "create_note":
            args = {"title": f"load {n}-{serial}", "content": rng.choice(texts)}
        elif tool == "update_note":
            args = {"id": rng.choice(mine), "content": f"{rng.choice(texts)} (revision {serial})"}
        else:
            args = {"id": rng.choice(mine)}
        started = time.perf_counter()
        try:
            result = await session.call_tool(tool, args)
        except Exception as exc:  # a transport failure is an error like any other
            tally.fail(tool, repr(exc))
            continue
        tally.record(tool, (time.perf_counter() - started) * 1000)
        if result.is_error:
            tally.fail(tool, str(result.content))
            continue
        out = result.structured_content or {}
        if tool == "create_note":
            mine.append(out["id"])
            tally.alive[out["id"]] = (args["title"], args["content"])
        elif tool == "update_note":
            tally.alive[args["id"]] = (tally.alive[args["id"]][0], args["content"])
        elif tool == "delete_note":
            mine.remove(args["id"])
            del tally.alive[args["id"]]
            tally.deleted.add(args["id"])


async def sample_rss(pid: int, until: float, samples: list[tuple[float, float]]) -> None:
    process, started = psutil.Process(pid), time.monotonic()
    while time.monotonic() < until:
        samples.append((time.monotonic() - started, process.memory_info().rss / 2**20))
        await asyncio.sleep(RSS_EVERY)


async def verify(data_dir: Path, tally: Tally) -> dict[str, int]:
    """Every acknowledged write as acknowledged, in the database the server wrote to."""
    from bench.core import CACHE
    from vault_mcp.embeddings.onnx import load_onnx
    from vault_mcp.passages import embedded_text, split_passages
    from vault_mcp.runtime import open_database
    from vault_mcp.settings import Settings

    settings = Settings(data_dir=data_dir, embedder="hashing")  # joins the embedded server
    lost = wrong = resurrected = mismatched = 0
    async with open_database(settings) as pool:
        rows = await pool.fetch("SELECT id::text, title, content FROM notes")
        stored = {r["id"]: (r["title"], r["content"]) for r in rows}
        for note_id, text in tally.alive.items():
            if note_id not in stored:
                lost += 1
            elif stored[note_id] != text:
                wrong += 1
        resurrected = len(tally.deleted & set(stored))
        encode = load_onnx(None, CACHE / "models", 384)
        for note_id in list(tally.alive)[:VERIFY_EMBEDDINGS]:
            title, content = tally.alive[note_id]
            vectors = await pool.fetch(
                "SELECT embedding FROM note_passages WHERE note_id = $1::uuid ORDER BY ordinal",
                note_id,
            )
            expected = encode([embedded_text(title, p) for p in split_passages(content)])
            got = np.stack([np.asarray(r["embedding"].to_numpy()) for r in vectors])
            if got.shape != expected.shape or float((got * expected).sum(axis=1).min()) < 0.999:
                mismatched += 1
    return {
        "acknowledged_alive": len(tally.alive),
        "acknowledged_deleted": len(tally.deleted),
        "lost": lost,
        "stale_or_wrong": wrong,
        "deleted_but_present": resurrected,
        "embeddings_checked": min(VERIFY_EMBEDDINGS, len(tally.alive)),
        "embeddings_mismatched": mismatched,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--notes", type=int, default=2_000, help="notes stored before the run")
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    # The serving benchmark's cached corpus (embedded once): stored notes, then held-out text.
    docs, vectors = passages_with_vectors(max(CORPUS, args.notes + 2_000))
    held_out = docs[args.notes :]
    queries = [" ".join(d.text.split()[:8]) for d in held_out[:1_000]]
    texts = [f"{d.title}\n\n{d.text}" for d in held_out[1_000:]]
    tally, rss = Tally(), []
    with tempfile.TemporaryDirectory(prefix="vault-load-") as tmp:
        data_dir = Path(tmp) / "data"
        await asyncio.to_thread(prepare, data_dir)
        await load_notes(data_dir, USER, docs[: args.notes], vectors[: args.notes], 1)
        async with serving(data_dir, args.port) as base:
            server = next(
                p
                for p in psutil.process_iter(["cmdline"])
                if "serve" in (p.info["cmdline"] or []) and str(args.port) in p.info["cmdline"]
            )
            token = await sign_in(base)
            print(f"{args.clients} clients for {args.seconds:.0f} s…", file=sys.stderr)
            async with sessions(base, token, args.clients) as clients:
                started = time.monotonic()
                until = started + args.seconds
                await asyncio.gather(
                    sample_rss(server.pid, until, rss),
                    *(
                        client_loop(s, n, queries, texts, until, tally)
                        for n, s in enumerate(clients)
                    ),
                )
                wall = time.monotonic() - started
        checked = await verify(data_dir, tally)
    calls = sum(len(v) for v in tally.latencies.values())
    results = {
        "machine": machine(),
        "clients": args.clients,
        "seconds": wall,
        "calls_per_s": calls / wall,
        "tools": {
            tool: {
                "calls": len(ms),
                "p50_ms": percentile(ms, 50),
                "p99_ms": percentile(ms, 99),
                "errors": len(tally.errors.get(tool, [])),
            }
            for tool, ms in sorted(tally.latencies.items())
        },
        "errors": {tool: why[:5] for tool, why in tally.errors.items()},
        "rss_mib": rss,
        "verification": checked,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "load.json").write_text(json.dumps(results, indent=2))
    report(results)


def report(results: dict[str, Any]) -> None:
    info = results["machine"]
    print(
        f"\nvault-mcp under load — {info['cpu']}, {info['cores']} cores: {results['clients']} "
        f"MCP clients for {results['seconds']:.0f} s, {results['calls_per_s']:.1f} calls/s"
    )
    for tool, t in results["tools"].items():
        print(
            f"  {tool:<13} {t['calls']:>6} calls  p50 {t['p50_ms']:7.1f} ms  "
            f"p99 {t['p99_ms']:7.1f} ms  errors {t['errors']}"
        )
    for tool, why in results["errors"].items():
        print(f"  first errors of {tool}: {why}")
    samples = results["rss_mib"]
    if len(samples) >= 3:
        rss = [mib for _, mib in samples]
        # Warm-up (the model's first batches of each shape, pools filling) is the first third;
        # what must be flat is the rest: its slope, fitted by least squares, in MiB a minute.
        steady = samples[len(samples) // 3 :]
        slope = np.polyfit([t for t, _ in steady], [m for _, m in steady], 1)[0] * 60
        print(
            f"  server RSS: start {rss[0]:.0f} MiB, max {max(rss):.0f}, end {rss[-1]:.0f}; "
            f"after warm-up (from {steady[0][0]:.0f} s) {steady[0][1]:.0f} -> {rss[-1]:.0f} MiB, "
            f"slope {slope:+.2f} MiB/min"
        )
    v = results["verification"]
    print(
        f"  writes: {v['acknowledged_alive']} live and {v['acknowledged_deleted']} deleted as "
        f"acknowledged; lost {v['lost']}, stale {v['stale_or_wrong']}, deleted but present "
        f"{v['deleted_but_present']}; embeddings re-checked {v['embeddings_checked']}, "
        f"mismatched {v['embeddings_mismatched']}"
    )
    print(f"\nwritten to {RESULTS / 'load.json'}")


if __name__ == "__main__":
    asyncio.run(main())
