"""bench.quality's table, and the score figures a relevance floor is chosen from."""

from __future__ import annotations

from typing import Any

import numpy as np

LABELLED = ("short", "long", "ident", "multi")


def _q(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


def floor_table(results: dict[str, Any], modes: list[str]) -> dict[str, Any]:
    """Per mode: scores of true matches (found in the top 10 of any labelled set) against the
    best scores of off-topic queries, and what a floor at low true-match quantiles would keep."""
    sets = results["sets"]
    out: dict[str, Any] = {}
    for mode in modes:
        true = [
            s for name in LABELLED if name in sets for s in sets[name][mode]["true_match_scores"]
        ]
        other = [
            s
            for name in LABELLED
            if name in sets
            for s in sets[name][mode]["best_non_match_scores"]
        ]
        off = sets["offtopic"][mode]["top_scores"] if "offtopic" in sets else []
        row: dict[str, Any] = {
            "true_matches": len(true),
            "true_min": min(true, default=None),
            "true_p1": _q(true, 1),
            "true_p5": _q(true, 5),
            "true_p50": _q(true, 50),
            "best_non_match_p50": _q(other, 50),
            "best_non_match_p95": _q(other, 95),
            "offtopic_top_p50": _q(off, 50),
            "offtopic_top_p95": _q(off, 95),
            "offtopic_top_max": max(off, default=None),
        }
        for label in ("true_min", "true_p1", "true_p5"):
            floor = row[label]
            if floor is not None and off:
                row[f"offtopic_kept_at_{label}"] = sum(s >= floor for s in off) / len(off)
        out[mode] = row
    return out


def _fmt(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def report(results: dict[str, Any]) -> None:
    info = results["machine"]
    print(f"\nvault-mcp search quality — {info['cpu']}, {info['cores']} cores")
    if not results["mode_supported"]:
        print("NOTE: NoteService.search takes no `mode` yet; every mode is today's vector search")
    print(
        f"{results['notes_in_database']:,} notes loaded in {results['load_s']:.0f} s "
        f"({results['texts_embedded_this_run']:,} texts embedded, the rest cached); "
        f"run {results['run_s']:.0f} s\n"
    )
    header = ("set", "mode", "queries", "R@1", "R@10", "MRR@10", "results", "p50 ms", "p95 ms")
    rows = [header]
    for name, entry in results["sets"].items():
        for mode in ("fused", "vector", "words"):
            if mode not in entry:
                continue
            m = entry[mode]
            if name == "offtopic":
                rows.append(
                    (name, mode, str(m["queries"]), "—", "—", "—",
                     f"{m['results_mean']:.1f} ({m['with_no_result']:.0%} none)",
                     _fmt(m["p50_ms"], 1), _fmt(m["p95_ms"], 1))
                )  # fmt: skip
                continue
            rows.append(
                (name, mode, str(m["queries"]), _fmt(m["r1"]), _fmt(m["r10"]), _fmt(m["mrr10"]),
                 f"{m['results_mean']:.1f}", _fmt(m["p50_ms"], 1), _fmt(m["p95_ms"], 1))
            )  # fmt: skip
        if "section_ceiling" in entry:
            c = entry["section_ceiling"]
            rows.append(
                (name, "ceiling: exact, a vector per section", str(c["queries"]), _fmt(c["r1"]),
                 _fmt(c["r10"]), _fmt(c["mrr10"]), "10.0", "—", "—")
            )  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for row in rows:
        print("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))

    for name in ("ident", "multi"):
        if name not in results["sets"]:
            continue
        print(f"\n{name} by kind (R@1 / R@10 / MRR@10):")
        entry = results["sets"][name]
        modes = [m for m in ("fused", "vector", "words") if m in entry]
        for kind in entry[modes[0]]["by_kind"]:
            cells = [
                f"{mode} {k['r1']:.3f} / {k['r10']:.3f} / {k['mrr10']:.3f}"
                for mode in modes
                for k in [entry[mode]["by_kind"][kind]]
            ]
            count = entry[modes[0]]["by_kind"][kind]["queries"]
            print(f"  {kind:<12} ({count:>3})  " + "   ".join(cells))
    agreement = results["sets"].get("multi", {}).get("isolated_agreement")
    if agreement:
        print(
            "\nmulti: top-10 overlap with the same search in a database of only the filter's notes"
        )
        for kind, entry in agreement.items():
            cells = [
                f"{mode} {v['top10_overlap_mean']:.3f} ({v['queries_identical']:.0%} identical)"
                for mode, v in entry.items()
                if isinstance(v, dict)
            ]
            print(f"  {kind:<12} ({entry['notes_in_filter']:>4} notes)  " + "   ".join(cells))
    offtopic = results["sets"].get("offtopic")
    if offtopic:
        print("\noff-topic: best score by kind of query")
        for mode in (m for m in ("fused", "vector", "words") if m in offtopic):
            cells = [
                f"{kind} {_fmt(v['top_score_max'])}"
                for kind, v in offtopic[mode]["by_kind"].items()
            ]
            print(f"  {mode:<6} max: " + ", ".join(cells))
    print("\nrelevance floor: scores of true matches vs off-topic queries' best result")
    for mode, f in results["floors"].items():
        kept = ", ".join(
            f"{label.removeprefix('offtopic_kept_at_')} → {value:.0%} of off-topic kept"
            for label, value in f.items()
            if label.startswith("offtopic_kept_at_")
        )
        print(
            f"  {mode:<6} true: min {_fmt(f['true_min'])} p1 {_fmt(f['true_p1'])} "
            f"p5 {_fmt(f['true_p5'])} p50 {_fmt(f['true_p50'])}; best non-match p50 "
            f"{_fmt(f['best_non_match_p50'])}; off-topic top: p50 {_fmt(f['offtopic_top_p50'])} "
            f"p95 {_fmt(f['offtopic_top_p95'])} max {_fmt(f['offtopic_top_max'])}"
        )
        if kept:
            print(f"         floor at {kept}")
