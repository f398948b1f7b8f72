-- The HNSW index rebuilt with ef_construction 128 (was 64), chosen by bench/hnsw.py on 100k
-- real-text notes: at ef_search 200 it gives recall@10 0.989 against exact search for a
-- 3.9 ms median SQL query; ef_construction 64 could not pass 0.98 below ef_search 300.
-- Rebuilding takes about 45 s per 100k notes on two cores.
DROP INDEX notes_embedding_hnsw_idx;
CREATE INDEX notes_embedding_hnsw_idx ON notes
    USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 128);
