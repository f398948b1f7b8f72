"""The search statement: passages by meaning and by words, fused per note in one SQL round trip."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from vault_mcp.domain import NoteSummary, SearchHit, SearchQuery
from vault_mcp.passages import snippet_of

if TYPE_CHECKING:
    from vault_mcp.service import Vector

# Reciprocal-rank fusion (Cormack et al. 2009): a note scores w / (K + rank) in each ranked
# list it is on. The lists are: passages by meaning (the best passage of each note), passages
# holding every query word (websearch syntax), and passages sharing some of the query's words,
# ranked by the summed rarity of those words in the owner's vault (BM25's IDF). Weights and the
# floor were chosen on bench/quality.py's labelled sets (docs/benchmarks.md, docs/search.md).


@dataclass(frozen=True)
class Fusion:
    # A small K trusts the top of each list: at 10 rather than 20 or the customary 60, 300 of
    # bench.quality's paraphrase queries found their note first 0.750 rather than 0.737 of
    # the time.
    rrf_k: float = 10.0
    meaning: float = 1.0
    # Holding every query word is the strongest evidence there is for names, codes and
    # versions, when few passages do: a sole holder was the answer 89% of the time on the
    # paraphrase set and always on the identifier set, one of several far less often. So the
    # list's weight is shared among its holders (divided by their count ** holders_power).
    every_word: float = 1.0
    holders_power: float = 1.0
    # With shared words ranked by rarity, all 1,500 paraphrase queries' R@1 went from 0.671
    # (meaning alone) to 0.717; weighing the list as much as meaning let common words
    # outvote it (0.717 at 300 queries against 0.737 at 0.5).
    shared_words: float = 0.5
    # A word held by at most this share of the owner's passages brings in candidates for the
    # shared-words list; commoner words only weigh on notes found otherwise. At 0.3 a vault of
    # 40k passages fetched and weighed thousands per query (134 ms p50 against 49 at 0.02, with
    # R@1 on the long and short sets 0.741 / 0.711 against 0.740 / 0.717).
    rare_share: float = 0.02
    # The relevance floor: a note comes back if a passage holds every query word, or its best
    # passage is this close in meaning (cosine), or nearly as close and shares a query word.
    # On bench/quality.py's short set every true match ranked in a top 10 clears it (the
    # lowest is 0.267, and each below 0.35 shares a word), while a query of random letters
    # (top cosine 0.23 median, 0.32 at most, no word in common) returns nothing.
    min_similarity: float = 0.35
    min_similarity_sharing: float = 0.2


FUSION = Fusion()

# Owners with fewer passages than this are ranked exactly (every passage compared, ~1-2 ms),
# so a small account among large ones gets the exact top k; larger ones go through the HNSW
# index, whose iterative scans keep a selective tag or date filter from starving the result.
EXACT_BELOW = 2_000
# Passages the meaning leg takes per requested note: several passages of one note may be near.
CANDIDATES_PER_RESULT = 10
# Passages holding every query word that are ranked at most; a query of one common word would
# otherwise rank most of the vault's passages. Meaning still ranks the whole vault.
WORD_MATCHES_RANKED = 5_000
# Query words weighed by their rarity at most: the first in alphabetical order (a pasted
# paragraph has more; the rest still count through the meaning and every-word legs).
TERMS_WEIGHED = 32
# Passages a word's rarity is counted over: all of a small vault, a sample of a large one.
# Counting costs ~1 µs per passage and word; with 500 rather than 2,000 the paraphrase set's
# R@1 was 0.711 rather than 0.718 (bench/quality.py's short set), at a quarter of the cost.
RARITY_SAMPLE = 500
# Passages holding one of the query's rarer words that are weighed at most, besides the
# meaning list's. They are taken in no order, so with rare_share 0.3 a cap of 1,000 dropped
# the right ones (long-page set R@1 0.741 -> 0.719); with 0.02 few words qualify and 1,000
# loses nothing (0.740), while 300 (3 ms faster on 40k passages) lost again (0.739 -> 0.718).
SHARING_CANDIDATES = 1_000

# Without iterative scans an owner-filtered HNSW scan keeps only the owner's passages among
# the graph's first ef_search candidates: an account whose passages sit behind another
# account's got fewer than k results, or none. relaxed_order lets the scan go on until the
# filters have yielded enough rows (the statement re-sorts them by distance). ef_search 200:
# recall@10 0.98 for short queries at 100k passages (bench/hnsw.py, migration 0004).
# No parallel workers: the planner launched two for the exact leg even when the owner is
# too large for it and the leg returns nothing at once; starting them cost ~9 ms of the
# 20 ms a search took on 40k passages. Always a plan for this query's own parameters: after
# five runs of the prepared statement PostgreSQL switched to a generic plan that cannot see
# which leg is off or how rare the words are, and a search served over MCP took 176 ms at
# 10k notes where the statement planned for its parameters takes 20 (planning costs ~2).
# synchronize_seqscans off: the rarity sample takes the first passages a scan yields, and on
# a table past a quarter of shared_buffers PostgreSQL starts a sequential scan where another
# one is, so the same query ranked differently from one run to the next (at 100k passages 36
# of 150 queries' top 10 changed between two identical runs; none with it off).
_INDEX_SETTINGS = """
SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true),
       set_config('hnsw.ef_search', '200', true),
       set_config('max_parallel_workers_per_gather', '0', true),
       set_config('plan_cache_mode', 'force_custom_plan', true),
       set_config('synchronize_seqscans', 'off', true)
"""

# Every CTE is MATERIALIZED: inlined, the single-use ones merged into one large join problem
# that took the planner ~1.3 ms a search; planned apart, ~0.7 ms (1,000 notes), and the
# statement's backend CPU fell by 0.7-2.3 ms in three alternating runs. Each CTE is small
# (LIMITed or a handful of rows), so materializing it costs nothing at run time.
_SEARCH = """
WITH
query AS MATERIALIZED (
    -- Every word, as `english` stems them: a passage holding each word as written (the
    -- `simple` lexemes) holds its stem too, so `simple` is needed only when every word is a
    -- stop word ("the who"). ORing both made GIN walk the posting lists of "a", "of", "the",
    -- and websearch's `or` ("a version or a range") turned `simple`'s into "holds 'a'".
    SELECT CASE WHEN numnode(e) > 0 THEN e ELSE websearch_to_tsquery('simple', $3) END AS every
    FROM websearch_to_tsquery('english', $3) AS e
),
scope AS MATERIALIZED (
    -- Counting stops at the threshold; ORDER BY keeps it on the owner index.
    SELECT count(*) < $9 AS exact
    FROM (SELECT 1 FROM note_passages WHERE owner_id = $1 ORDER BY owner_id LIMIT $9) AS sized
),
terms AS MATERIALIZED (
    -- The query's distinct words as the english configuration stems them (no stop words).
    SELECT lexeme, quote_literal(lexeme)::tsquery AS alone
    FROM unnest(tsvector_to_array(to_tsvector('english', $3))) AS lexeme
    WHERE $10::boolean OR $11::boolean
    LIMIT $19
),
sample AS MATERIALIZED (
    -- How rare each word is, counted over $22 of the owner's passages (the first its index
    -- yields): all of a small vault, a fixed-cost sample of a large one, and never another
    -- account's notes, whose words must not sway (or reveal) a ranking.
    SELECT words FROM note_passages
    WHERE owner_id = $1 AND EXISTS (SELECT 1 FROM terms)
    LIMIT $22
),
sample_size AS MATERIALIZED (
    SELECT count(*)::float8 AS passages FROM sample
),
holders_of AS MATERIALIZED (
    SELECT t.lexeme, count(*) AS holders FROM sample AS s JOIN terms AS t ON s.words @@ t.alone
    GROUP BY t.lexeme
),
rarity AS MATERIALIZED (
    -- BM25's inverse document frequency of each query word.
    SELECT t.lexeme, t.alone,
           ln(1 + (z.passages - coalesce(h.holders, 0) + 0.5) / (coalesce(h.holders, 0) + 0.5))
               AS idf,
           coalesce(h.holders, 0) / greatest(z.passages, 1) AS share
    FROM terms AS t CROSS JOIN sample_size AS z LEFT JOIN holders_of AS h USING (lexeme)
),
near_exact AS MATERIALIZED (
    SELECT note_id, ordinal, embedding <=> $2 AS distance FROM note_passages
    WHERE $10::boolean AND (SELECT exact FROM scope) AND owner_id = $1 AND embedding IS NOT NULL
      AND tags @> $5 AND ($6::timestamptz IS NULL OR updated_at >= $6)
      AND ($7::timestamptz IS NULL OR updated_at < $7)
    -- "+ 0": an expression no index can order by, so every passage in scope is compared.
    ORDER BY (embedding <=> $2) + 0 LIMIT $8
),
near_indexed AS MATERIALIZED (
    SELECT note_id, ordinal, embedding <=> $2 AS distance FROM note_passages
    WHERE $10::boolean AND NOT (SELECT exact FROM scope) AND owner_id = $1
      AND tags @> $5 AND ($6::timestamptz IS NULL OR updated_at >= $6)
      AND ($7::timestamptz IS NULL OR updated_at < $7)
    ORDER BY embedding <=> $2 LIMIT $8
),
near AS MATERIALIZED (
    SELECT DISTINCT ON (note_id) note_id, ordinal, distance
    FROM (SELECT * FROM near_exact UNION ALL SELECT * FROM near_indexed) AS candidates
    ORDER BY note_id, distance
),
by_meaning AS MATERIALIZED (
    SELECT note_id, ordinal, distance, row_number() OVER (ORDER BY distance, note_id) AS rank
    FROM near
),
holding AS MATERIALIZED (
    SELECT p.note_id, p.ordinal, ts_rank_cd(p.words, query.every) AS weight
    FROM note_passages AS p, query
    WHERE $11::boolean AND p.words @@ query.every AND p.owner_id = $1
      AND p.tags @> $5 AND ($6::timestamptz IS NULL OR p.updated_at >= $6)
      AND ($7::timestamptz IS NULL OR p.updated_at < $7)
    LIMIT $12
),
by_words AS MATERIALIZED (
    SELECT note_id, ordinal, weight, row_number() OVER (ORDER BY weight DESC, note_id) AS rank,
           count(*) OVER () AS holders
    FROM (
        SELECT DISTINCT ON (note_id) note_id, ordinal, weight FROM holding
        ORDER BY note_id, weight DESC
    ) AS best
),
sharing AS MATERIALIZED (
    -- Passages holding one of the query's rarer words (common ones would bring in most of the
    -- vault), with their words: `shared` weighs these and the meaning leg's by the words they
    -- share, without reading them again (1,000 lookups by key cost ~3 ms at 100k notes).
    SELECT p.note_id, p.ordinal, p.words
    FROM note_passages AS p,
         (SELECT string_agg(quote_literal(lexeme), ' | ')::tsquery AS rare
          FROM rarity WHERE share <= $20) AS r
    WHERE $11::boolean AND $15::float8 > 0 AND p.words @@ r.rare AND p.owner_id = $1
      AND p.tags @> $5 AND ($6::timestamptz IS NULL OR p.updated_at >= $6)
      AND ($7::timestamptz IS NULL OR p.updated_at < $7)
    LIMIT $23
),
shared AS MATERIALIZED (
    -- The rarity of the query words a passage holds, summed: BM25 with each word counted
    -- once and no length normalisation (passages are all of a size). Summed in the words'
    -- order, so that two passages holding the same words weigh the same to the last bit and
    -- their tie is broken by note id, not by the order a join happened to produce.
    SELECT c.note_id, c.ordinal, sum(r.idf ORDER BY r.lexeme) AS weight
    FROM (
        SELECT note_id, ordinal, words FROM sharing
        UNION ALL
        SELECT p.note_id, p.ordinal, p.words
        FROM near JOIN note_passages AS p USING (note_id, ordinal)
        WHERE NOT EXISTS (SELECT 1 FROM sharing AS s
                          WHERE s.note_id = near.note_id AND s.ordinal = near.ordinal)
    ) AS c
    JOIN rarity AS r ON c.words @@ r.alone
    GROUP BY c.note_id, c.ordinal
),
by_shared AS MATERIALIZED (
    SELECT note_id, ordinal, row_number() OVER (ORDER BY weight DESC, note_id) AS rank
    FROM (
        SELECT DISTINCT ON (note_id) note_id, ordinal, weight FROM shared
        ORDER BY note_id, weight DESC
    ) AS best
),
legs AS MATERIALIZED (
    SELECT note_id, ordinal, $13::float8 / ($16::float8 + rank) AS score,
           1 - distance AS similarity, 'meaning' AS leg
    FROM by_meaning
    UNION ALL
    SELECT note_id, ordinal, $14::float8 / power(holders, $21::float8) / ($16::float8 + rank),
           NULL, 'every_word'
    FROM by_words
    UNION ALL
    SELECT note_id, ordinal, $15::float8 / ($16::float8 + rank), NULL, 'shared' FROM by_shared
),
fused AS MATERIALIZED (
    SELECT note_id, sum(score) AS score,
           -- The snippet comes from the leg that ranked the note highest.
           (array_agg(ordinal ORDER BY score DESC, leg))[1] AS ordinal,
           max(similarity) AS similarity,
           bool_or(leg = 'shared') AS shares_words,
           bool_or(leg = 'every_word') AS holds_every_word
    FROM legs
    GROUP BY note_id
),
best AS MATERIALIZED (
    SELECT note_id, ordinal, score FROM fused
    WHERE holds_every_word OR similarity >= $17::float8
       OR (shares_words AND similarity >= $18::float8)
    ORDER BY score DESC, note_id
    LIMIT $4
)
-- Only the notes shown are read, each through its primary key ("OFFSET 0" keeps the planner
-- from turning these lookups into a join over all the owner's notes).
SELECT n.id, n.title, n.tags, n.created_at, n.updated_at, p.heading, p.body, b.score
FROM best AS b
CROSS JOIN LATERAL (
    SELECT id, title, tags, created_at, updated_at FROM notes
    WHERE id = b.note_id AND owner_id = $1 OFFSET 0
) AS n
CROSS JOIN LATERAL (
    SELECT heading, body FROM note_passages
    WHERE note_id = b.note_id AND ordinal = b.ordinal OFFSET 0
) AS p
ORDER BY b.score DESC, n.id
"""

# websearch syntax reads "-word" as NOT word; in a vault, a leading dash is a flag or a list
# marker ("--dry-run", "- item"), so it is dropped and the word searched for.
_NEGATION = re.compile(r"(^|\s)-+(?=\S)")


def _weights(query: SearchQuery, fusion: Fusion) -> tuple[float, float, float]:
    """Each leg's weight in the fusion; a leg that is off weighs nothing."""
    return (
        fusion.meaning if query.mode in ("fused", "vector") else 0.0,
        fusion.every_word if query.mode in ("fused", "words") else 0.0,
        fusion.shared_words if query.mode == "fused" else 0.0,
    )


def arguments(
    owner: int, query: SearchQuery, embedding: Vector, fusion: Fusion = FUSION
) -> tuple[Any, ...]:
    """The statement's parameters, in order."""
    weights = _weights(query, fusion)
    return (
        owner,
        embedding,
        _NEGATION.sub(r"\1", query.text),
        query.limit,
        list(query.tags),
        query.since,
        query.until,
        query.limit * CANDIDATES_PER_RESULT,
        EXACT_BELOW,
        weights[0] > 0,
        weights[1] > 0,
        WORD_MATCHES_RANKED,
        *weights,
        fusion.rrf_k,
        # Words alone: only notes that hold every word (no similarity reaches 2).
        fusion.min_similarity if weights[0] > 0 else 2.0,
        fusion.min_similarity_sharing if weights[0] > 0 else 2.0,
        TERMS_WEIGHED,
        fusion.rare_share,
        fusion.holders_power,
        RARITY_SAMPLE,
        SHARING_CANDIDATES,
    )


def _hit(row: Mapping[str, Any], query: SearchQuery, best: float) -> SearchHit:
    note = NoteSummary(
        id=row["id"],
        title=row["title"],
        tags=tuple(row["tags"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
    return SearchHit(
        note=note,
        score=round(float(row["score"]) / best, 4),
        snippet=snippet_of(row["body"], query.text),
        heading=row["heading"],
    )


async def search(
    conn: Any, owner: int, query: SearchQuery, embedding: Vector, fusion: Fusion = FUSION
) -> list[SearchHit]:
    async with conn.transaction():
        # Per transaction (SET LOCAL), not per connection: a pooler such as PgBouncer refuses
        # unknown startup parameters and reuses server sessions across clients.
        await conn.execute(_INDEX_SETTINGS)
        rows = await conn.fetch(_SEARCH, *arguments(owner, query, embedding, fusion))
    # Scores are shown relative to a note ranked first in every leg that is on.
    best = sum(_weights(query, fusion)) / (fusion.rrf_k + 1)
    return [_hit(r, query, best) for r in rows]
