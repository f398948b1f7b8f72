-- Search over passages and words (issue 10). A note is no longer one vector of its first ~190
-- words: it is split into passages (vault_mcp/passages.py), each with its own embedding, and
-- every passage carries a tsvector of its words, so any passage of any note is found by
-- meaning (up to the embedded size) and by words (always).
CREATE TABLE note_passages (
    note_id     uuid NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
    ordinal     integer NOT NULL,
    -- Copied from the note: every filter then applies inside the vector index scan itself
    -- (pgvector's iterative scans), with no join ahead of the LIMIT.
    owner_id    bigint NOT NULL,
    tags        text[] NOT NULL,
    updated_at  timestamptz NOT NULL,
    title       text NOT NULL,
    heading     text NOT NULL DEFAULT '',  -- the section's heading path
    body        text NOT NULL,             -- the passage's text as it stands in the note
    embedding   vector(384),               -- NULL: past the embedded size; found by words only
    -- Words of the title (weighted A), heading (B) and body (D), each twice: `english` stems and
    -- drops stop words, `simple` keeps every token as written, so identifiers, versions and
    -- names ("ERR_4417", "libfoo1.2.3", "which") stay findable.
    words       tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('simple', title), 'A')
        || setweight(to_tsvector('english', heading), 'B')
        || setweight(to_tsvector('simple', heading), 'B')
        || to_tsvector('english', body) || to_tsvector('simple', body)
    ) STORED,
    PRIMARY KEY (note_id, ordinal)
);

-- What a note's passages were made with; NULL marks the one passage this migration carries
-- over from the old single vector, until `vault-mcp reindex` splits the note.
ALTER TABLE notes ADD COLUMN indexed_with text;

-- Until reindexed, a note answers searches through its old vector and the start of its text.
INSERT INTO note_passages (note_id, ordinal, owner_id, tags, updated_at, title, body, embedding)
SELECT id, 0, owner_id, tags, updated_at, title, left(content, 4000), embedding FROM notes;

SET LOCAL maintenance_work_mem = '256MB';  -- builds the graph in memory for ~100k passages
CREATE INDEX note_passages_embedding_hnsw_idx ON note_passages
    USING hnsw (embedding vector_cosine_ops) WITH (m = 24, ef_construction = 200);
CREATE INDEX note_passages_words_idx ON note_passages USING gin (words);
CREATE INDEX note_passages_owner_idx ON note_passages (owner_id);

DROP INDEX notes_embedding_hnsw_idx;
ALTER TABLE notes DROP COLUMN embedding;
