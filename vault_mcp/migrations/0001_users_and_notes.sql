-- The vault's first schema: accounts (every note has an owner from day one) and notes with
-- their embeddings. all-MiniLM-L6-v2 gives 384 dimensions.
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE users (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username   text NOT NULL UNIQUE CHECK (length(username) BETWEEN 1 AND 64),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notes (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title      text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    content    text NOT NULL,
    tags       text[] NOT NULL DEFAULT '{}',
    -- clock_timestamp(), not now(): notes written in one transaction still get distinct,
    -- ordered times, which keyset paging relies on.
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    embedding  vector(384) NOT NULL
);

-- list_notes: newest first per owner, keyset-paged on (created_at, id).
CREATE INDEX notes_owner_created_idx ON notes (owner_id, created_at DESC, id DESC);
-- list_notes(tag=…) and search_notes(tags=…): containment on the tag array.
CREATE INDEX notes_tags_idx ON notes USING gin (tags);
-- search_notes: approximate nearest neighbours by cosine distance.
CREATE INDEX notes_embedding_hnsw_idx ON notes
    USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64);
