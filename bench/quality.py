"""Search quality: R@1, R@10, MRR@10 and latency per labelled set and search mode.

    .venv/bin/python -m bench.quality [--sets short,long,ident,multi,offtopic]
                                      [--modes fused,vector,words] [--limit-queries N]

The sets (bench.labelled, bench.identifiers: real text of this machine) are loaded into a fresh
embedded PostgreSQL through `NoteService.create_many`, one account per set (and per owner of
the multi-owner set), with the real onnxruntime model; vectors are cached in bench/.cache, so
only the first run (or a new splitter) pays for embedding. Queries go through
`NoteService.search` and are embedded live, so latency is what a caller waits for.

Beside the three modes: for the long set, the ceiling of exact search with one vector per
`## section` (pages ranked by their best section); for the multi-owner set, agreement of each
filtered top 10 with the same search in a database that holds only the filter's notes; for
the off-topic queries, how many results come back and the scores of true matches against them.
Prints a table and writes bench/results/quality.json.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

from bench.core import CACHE, RESULTS, machine, percentile
from bench.embedcache import CachingEmbedder
from bench.labelled import LabelledSet, Note, Query, normalise, sections_of
from bench.quality_report import floor_table, report

SETS = ("short", "long", "ident", "multi", "offtopic")
MODES = ("fused", "vector", "words")
SETS_VERSION = 1  # bump when a builder changes, so cached sets are rebuilt
LIMIT = 10
OFFTOPIC_OWNERS = ("short", "long")


def builders() -> dict[str, Callable[[], LabelledSet]]:
    from bench.identifiers import identifier_set
    from bench.labelled import (
        long_pages_set,
        multi_owner_set,
        offtopic_queries,
        short_paraphrase_set,
    )

    def offtopic() -> LabelledSet:
        return LabelledSet("offtopic", "queries no note answers", (), tuple(offtopic_queries()))

    return {
        "short": short_paraphrase_set,
        "long": long_pages_set,
        "ident": identifier_set,
        "multi": multi_owner_set,
        "offtopic": offtopic,
    }


def load_set(name: str) -> LabelledSet:
    """A set from bench/.cache, built (once; a minute or two) when missing."""
    path = CACHE / f"quality-{name}-v{SETS_VERSION}.json"
    if path.exists():
        raw = json.loads(path.read_text())
        return LabelledSet(
            raw["name"],
            raw["about"],
            tuple(Note(**{**n, "tags": tuple(n["tags"])}) for n in raw["notes"]),
            tuple(Query(**{**q, "tags": tuple(q["tags"])}) for q in raw["queries"]),
            tuple(raw["owners"]),
        )
    print(f"building the {name} set (once)…", file=sys.stderr)
    built = builders()[name]()
    CACHE.mkdir(exist_ok=True)
    path.write_text(json.dumps(asdict(built)))
    return built


def account(set_name: str, owner: str) -> str:
    return set_name if owner == "main" else f"{set_name}-{owner}"


_accounts: dict[tuple[int, str], int] = {}


async def account_id(services: Any, name: str) -> int:
    """The id of the benchmark's account `name` in this database, created on first use."""
    key = (id(services), name)
    if key not in _accounts:
        _accounts[key] = (await services.auth.add_user(name, "bench passphrase 1")).id
    return _accounts[key]


async def load_notes(services: Any, name: str, notes: tuple[Note, ...]) -> dict[Any, str]:
    """Write the notes through the service, per owner; returns note id → key."""
    by_owner: dict[str, list[Note]] = {}
    for note in notes:
        by_owner.setdefault(note.owner, []).append(note)
    ids: dict[Any, str] = {}
    started = time.perf_counter()
    for owner, owned in by_owner.items():
        owner_id = await account_id(services, account(name, owner))
        for start in range(0, len(owned), 128):
            batch = owned[start : start + 128]
            await services.notes.create_many(
                owner_id, [(n.title, n.content, n.tags) for n in batch]
            )
            print(
                f"\r  {name}/{owner}: {start + len(batch)}/{len(owned)} notes "
                f"({time.perf_counter() - started:.0f} s)",
                end="",
                file=sys.stderr,
            )
        print(file=sys.stderr)
        # Matched loosely: the service trims what it stores (a title's trailing space).
        key_of = {(normalise(n.title), normalise(n.content)): n.key for n in owned}
        cursor = None
        while True:
            page = await services.notes.list(owner_id, limit=100, cursor=cursor)
            for listed in page.notes:  # a list shows previews: read each note whole
                stored = await services.notes.get(owner_id, str(listed.id))
                ids[stored.id] = key_of[(normalise(stored.title), normalise(stored.content))]
            cursor = page.next_cursor
            if cursor is None:
                break
    return ids


async def ask(
    services: Any,
    set_name: str,
    queries: list[Query],
    ids: dict[Any, str],
    mode: str,
    owner_override: str | None = None,
) -> list[dict[str, Any]]:
    """Each query through NoteService.search: ranked keys, scores and latency."""
    supports_mode = "mode" in inspect.signature(services.notes.search).parameters
    owners: dict[str, int] = {}
    out = []
    for query in queries:
        owner_name = owner_override or account(set_name, query.owner)
        if owner_name not in owners:
            owners[owner_name] = await account_id(services, owner_name)
        kwargs: dict[str, Any] = {"limit": LIMIT, "tags": query.tags}
        if supports_mode:
            kwargs["mode"] = mode
        started = time.perf_counter()
        hits = await services.notes.search(owners[owner_name], query.text, **kwargs)
        elapsed = (time.perf_counter() - started) * 1000
        out.append(
            {
                "keys": [ids.get(h.note.id) for h in hits],
                "scores": [h.score for h in hits],
                "ms": elapsed,
                "snippet": getattr(hits[0], "snippet", None) if hits else None,
            }
        )
    return out


def metrics(queries: list[Query], answers: list[dict[str, Any]]) -> dict[str, Any]:
    ranks = []
    true_scores, best_other = [], []
    for query, answer in zip(queries, answers, strict=True):
        keys = answer["keys"]
        rank = keys.index(query.expected) + 1 if query.expected in keys else None
        ranks.append(rank)
        if rank is not None:
            true_scores.append(answer["scores"][rank - 1])
        others = [s for k, s in zip(keys, answer["scores"], strict=True) if k != query.expected]
        if others:
            best_other.append(max(others))
    n = len(ranks)
    lat = [a["ms"] for a in answers]
    return {
        "queries": n,
        "r1": sum(r == 1 for r in ranks) / n,
        "r10": sum(r is not None for r in ranks) / n,
        "mrr10": sum(1 / r for r in ranks if r is not None) / n,
        "results_mean": statistics.mean(len(a["keys"]) for a in answers),
        "p50_ms": percentile(lat, 50),
        "p95_ms": percentile(lat, 95),
        "true_match_scores": true_scores,
        "best_non_match_scores": best_other,
    }


def by_kind(queries: list[Query], answers: list[dict[str, Any]]) -> dict[str, Any]:
    kinds = sorted({q.kind for q in queries})
    out = {}
    for kind in kinds:
        picked = [(q, a) for q, a in zip(queries, answers, strict=True) if q.kind == kind]
        m = metrics([q for q, _ in picked], [a for _, a in picked])
        out[kind] = {k: v for k, v in m.items() if not k.endswith("_scores")}
    return out


async def section_ceiling(
    embedder: CachingEmbedder, long_set: LabelledSet, queries: list[Query]
) -> dict[str, Any]:
    """Exact search with one vector per section (each embedded as a note titled by its
    heading); a page ranks by its best section."""
    owners, texts = [], []
    for note in long_set.notes:
        for heading, body in sections_of(note.content):
            owners.append(note.key)
            texts.append(f"{heading}\n\n{body}")
    print(f"  ceiling: {len(texts)} sections", file=sys.stderr)
    embedder.enabled = True
    sections = np.stack(await embedder.embed(texts))
    asked = np.stack(await embedder.embed([q.text for q in queries]))
    pages = sorted({n.key for n in long_set.notes})
    page_index = {k: i for i, k in enumerate(pages)}
    section_page = np.array([page_index[o] for o in owners])
    scores = asked @ sections.T
    answers = []
    for row in scores:
        best = np.full(len(pages), -np.inf, dtype=np.float32)
        np.maximum.at(best, section_page, row)
        top = np.argsort(-best)[:LIMIT]
        answers.append({"keys": [pages[i] for i in top], "scores": best[top].tolist(), "ms": 0.0})
    return metrics(queries, answers)


async def isolated_agreement(
    settings_for: Callable[[Path], Any],
    embedder: CachingEmbedder,
    multi: LabelledSet,
    queries: list[Query],
    served: dict[str, list[dict[str, Any]]],
    modes: list[str],
) -> dict[str, Any]:
    """Top-10 overlap of each filtered search with the same search in a database holding only
    the filter's notes (nothing for an index to filter away there)."""
    from vault_mcp.runtime import open_services

    scopes: dict[str, list[int]] = {}
    for n, query in enumerate(queries):
        scopes.setdefault(query.kind, []).append(n)
    out: dict[str, Any] = {}
    for kind, picked in sorted(scopes.items()):
        sample = queries[picked[0]]
        inside = tuple(
            replace(n, owner="main")  # all under the one account "ref"
            for n in multi.notes
            if n.owner == sample.owner and all(t in n.tags for t in sample.tags)
        )
        with tempfile.TemporaryDirectory(prefix="vault-quality-ref-") as tmp:
            async with open_services(
                settings_for(Path(tmp) / "data"), embedder, act_as_default_user=False
            ) as services:
                # A new database: the id() of an earlier, closed Services can come back.
                _accounts.clear()
                embedder.enabled = True
                ids = await load_notes(services, "ref", inside)
                embedder.enabled = False
                out[kind] = {"notes_in_filter": len(inside)}
                for mode in modes:
                    subset = [queries[i] for i in picked]
                    alone = await ask(services, "ref", subset, ids, mode, owner_override="ref")
                    overlaps = []
                    for i, ref in zip(picked, alone, strict=True):
                        got = set(served[mode][i]["keys"])
                        want = set(ref["keys"])
                        overlaps.append(len(got & want) / max(len(want), 1))
                    out[kind][mode] = {
                        "top10_overlap_mean": statistics.mean(overlaps),
                        "queries_identical": sum(o == 1.0 for o in overlaps) / len(overlaps),
                    }
    return out


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from vault_mcp.embeddings.onnx import OnnxEmbedder
    from vault_mcp.runtime import open_services
    from vault_mcp.settings import Settings

    names = [s for s in args.sets.split(",") if s]
    modes = [m for m in args.modes.split(",") if m]
    for bad in [s for s in names if s not in SETS] + [m for m in modes if m not in MODES]:
        raise SystemExit(f"unknown set or mode {bad!r}; sets: {SETS}, modes: {MODES}")
    loaded = {name: load_set(name) for name in names}
    if "offtopic" in loaded:  # asked of the short and long sets' accounts
        for needed in OFFTOPIC_OWNERS:
            loaded.setdefault(needed, load_set(needed))

    def limited(queries: tuple[Query, ...]) -> list[Query]:
        """Every query, or N spread evenly over the set (its kinds come in blocks)."""
        if not args.limit_queries or args.limit_queries >= len(queries):
            return list(queries)
        step = len(queries) / args.limit_queries
        return [queries[int(n * step)] for n in range(args.limit_queries)]

    def settings_for(data_dir: Path) -> Settings:
        return Settings(data_dir=data_dir, embedder="onnx", model_cache=CACHE / "models")

    inner = OnnxEmbedder(CACHE / "models")
    inner.start_loading()
    embedder = CachingEmbedder(inner, CACHE / "embeddings.sqlite", "all-MiniLM-L6-v2/onnx")
    results: dict[str, Any] = {"machine": machine(), "sets": {}, "limit": LIMIT}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="vault-quality-") as tmp:
        async with open_services(
            settings_for(Path(tmp) / "data"), embedder, act_as_default_user=False
        ) as services:
            supports_mode = "mode" in inspect.signature(services.notes.search).parameters
            results["mode_supported"] = supports_mode
            if not supports_mode:
                print(
                    "NoteService.search takes no `mode` yet: every mode below is today's "
                    "vector search",
                    file=sys.stderr,
                )
            ids: dict[str, dict[Any, str]] = {}
            embedder.enabled = True
            for name, labelled in loaded.items():
                if labelled.notes:
                    ids[name] = await load_notes(services, name, labelled.notes)
            results["notes_in_database"] = sum(len(s.notes) for s in loaded.values())
            results["load_s"] = time.perf_counter() - started
            results["texts_embedded_this_run"] = embedder.embedded
            embedder.enabled = False  # queries are embedded live
            # The model's first calls are slower (allocations); keep them out of the figures.
            await services.notes.search(await account_id(services, "warm-up"), "warm up")
            served: dict[str, dict[str, list[dict[str, Any]]]] = {}
            for name in (n for n in names if n != "offtopic"):
                labelled = loaded[name]
                queries = limited(labelled.queries)
                entry: dict[str, Any] = {"about": labelled.about, "notes": len(labelled.notes)}
                served[name] = {}
                for mode in modes:
                    print(f"  {name}: {len(queries)} queries, {mode}", file=sys.stderr)
                    answers = await ask(services, name, queries, ids[name], mode)
                    served[name][mode] = answers
                    entry[mode] = metrics(queries, answers)
                    entry[mode]["by_kind"] = by_kind(queries, answers)
                results["sets"][name] = entry
            if "offtopic" in names:
                queries = limited(loaded["offtopic"].queries)
                entry = {"about": loaded["offtopic"].about, "owners": list(OFFTOPIC_OWNERS)}
                for mode in modes:
                    answers = []
                    for owner in OFFTOPIC_OWNERS:
                        print(f"  offtopic vs {owner}: {len(queries)}, {mode}", file=sys.stderr)
                        answers += await ask(services, owner, queries, ids[owner], mode)
                    tops = [a["scores"][0] for a in answers if a["scores"]]
                    entry[mode] = {
                        "queries": len(answers),
                        "results_mean": statistics.mean(len(a["keys"]) for a in answers),
                        "with_no_result": sum(not a["keys"] for a in answers) / len(answers),
                        "top_scores": tops,
                        "p50_ms": percentile([a["ms"] for a in answers], 50),
                        "p95_ms": percentile([a["ms"] for a in answers], 95),
                        "by_kind": {
                            kind: {
                                "top_score_max": max(
                                    (
                                        a["scores"][0]
                                        for q, a in zip(queries * 2, answers, strict=True)
                                        if q.kind == kind and a["scores"]
                                    ),
                                    default=None,
                                )
                            }
                            for kind in sorted({q.kind for q in queries})
                        },
                    }
                results["sets"]["offtopic"] = entry
        if "multi" in names:
            queries = limited(loaded["multi"].queries)
            results["sets"]["multi"]["isolated_agreement"] = await isolated_agreement(
                settings_for, embedder, loaded["multi"], queries, served["multi"], modes
            )
    if "long" in names:
        results["sets"]["long"]["section_ceiling"] = await section_ceiling(
            embedder, loaded["long"], limited(loaded["long"].queries)
        )
    results["floors"] = floor_table(results, modes)
    results["run_s"] = time.perf_counter() - started
    embedder.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated: " + ",".join(SETS))
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--limit-queries", type=int, default=0, help="N of each set's queries")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "quality.json").write_text(json.dumps(results, indent=1))
    report(results)
    print(f"\nwritten to {RESULTS / 'quality.json'}")


if __name__ == "__main__":
    main()
