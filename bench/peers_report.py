"""The table bench.peers prints: each measure per server and order, and the ratios."""

from __future__ import annotations

import math
import statistics
from typing import Any

from bench import peers_mms


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


def report(results: dict[str, Any], printed: str, texts: int) -> str:
    """The whole printed report of a run, from what it wrote to peers.json."""
    info, one_time = results["machine"], results["one_time"]
    load_before, load_after = results["load_average_before"], results["load_average_after"]
    encode_before, encode_after = results["raw_encode_before"], results["raw_encode_after"]
    args = results["args"]
    out: list[str] = []
    out.append(f"\nvault-mcp vs mcp-memory-service {peers_mms.VERSION}, stdio, same SDK client")
    out.append(f"vault-mcp: {results['vault_mcp']}")
    out.append(
        f"machine: {info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB, "
        f"Python {info['python']}"
    )
    out.append(
        f"load average before: {' '.join(f'{x:.2f}' for x in load_before)}; "
        f"after: {' '.join(f'{x:.2f}' for x in load_after)}"
    )
    out.append(
        f"{args['notes']} notes, {results['queries']} labelled queries, "
        f"{args['creates']} timed creates, {args['restarts']} restarts; "
        "ratio = geometric mean of the two orders (each in brackets)\n"
    )
    out.append(printed)
    out.append(
        f"\nraw encode (vault-mcp's onnxruntime, in-process, the {texts} created texts; "
        f"before / after the servers): batch-1 {encode_before['batch1_per_s']:.1f} / "
        f"{encode_after['batch1_per_s']:.1f} texts/s, batched {encode_before['batched_per_s']:.1f}"
        f" / {encode_after['batched_per_s']:.1f} texts/s"
    )
    out.append(
        f"vault-mcp sequential create ÷ raw batch-1 encode: "
        f"{results['vault_create_vs_raw_batch1']:.2f} (target ≥ 0.8)"
    )
    out.append(
        "set-up before the timed runs (0: cached from an earlier run): "
        + ", ".join(f"{k} {v:.1f} s" for k, v in one_time.items())
    )
    return "\n".join(out)
