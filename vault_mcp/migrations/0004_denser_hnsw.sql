-- The HNSW index rebuilt denser (m 24, ef_construction 200; was 16 and 64), chosen by
-- bench/hnsw.py on 100k real-text notes and short queries: at ef_search 200 it finds 0.982
-- of the exact top 10 in a 6.6 ms median SQL query, where m 16 / ef_construction 128 needs
-- ef_search 400 (9.3 ms) for the same recall. Rebuilding takes about 90 s per 100k notes on
-- two cores.
DROP INDEX notes_embedding_hnsw_idx;
CREATE INDEX notes_embedding_hnsw_idx ON notes
    USING hnsw (embedding vector_cosine_ops) WITH (m = 24, ef_construction = 200);
