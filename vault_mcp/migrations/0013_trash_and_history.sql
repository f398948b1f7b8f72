-- Deleting is recoverable (issue 13). A deleted note moves, with its passages and their
-- vectors, into tables of their own: every query on `notes` and `note_passages` stays
-- correct by construction (nothing there needs a "not deleted" filter), and a restore
-- moves the rows back without the model. The trash tables carry no search indexes.
CREATE TABLE trashed_notes (
    id           uuid PRIMARY KEY,
    owner_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title        text NOT NULL,
    content      text NOT NULL,
    tags         text[] NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    indexed_with text,
    deleted_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- The trash page: newest deletion first per owner, keyset-paged on (deleted_at, id).
CREATE INDEX trashed_notes_owner_deleted_idx ON trashed_notes (owner_id, deleted_at DESC, id DESC);
-- The hourly purge of what is past the retention, across owners.
CREATE INDEX trashed_notes_deleted_idx ON trashed_notes (deleted_at);

CREATE TABLE trashed_passages (
    note_id    uuid NOT NULL REFERENCES trashed_notes (id) ON DELETE CASCADE,
    ordinal    integer NOT NULL,
    owner_id   bigint NOT NULL,
    tags       text[] NOT NULL,
    updated_at timestamptz NOT NULL,
    title      text NOT NULL,
    heading    text NOT NULL,
    body       text NOT NULL,
    embedding  vector(384),
    PRIMARY KEY (note_id, ordinal)
);

-- Updates keep the versions they replace (a few per note, the oldest dropped in the same
-- transaction). No foreign key to notes: a trashed note keeps its history for its restore;
-- deleting it for good (or its owner) deletes the history too.
CREATE TABLE note_versions (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    note_id    uuid NOT NULL,
    owner_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title      text NOT NULL,
    content    text NOT NULL,
    tags       text[] NOT NULL,
    updated_at timestamptz NOT NULL,  -- when this version was written
    replaced_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX note_versions_note_idx ON note_versions (owner_id, note_id, id DESC);
CREATE INDEX note_versions_note_id_idx ON note_versions (note_id);
