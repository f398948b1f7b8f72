-- Duplicate detection by an indexed hash of a note's text (issue 14). An import skips a note
-- whose title and content the owner already has, live or in the trash; that check scanned all
-- of the owner's notes for every imported row, so an import got slower as the vault grew.
--
-- An index on an expression, not a stored column: no table rewrite (building both indexes on
-- 100k notes reads each table once, seconds), no extra bytes in the rows, and every path that
-- writes notes (create, update, trash and restore, which copy columns by name) stays as it
-- is, the index following by itself. The hash only narrows: every check still compares the
-- title and content of what it finds, so two texts with the same hash are never taken for
-- each other. hashtextextended (64 bits, built in, immutable) rather than sha256: sha256 needs
-- the text as bytes, and convert_to is only stable, which an index refuses; a collision costs
-- one more row read, never a wrong answer.
CREATE FUNCTION note_text_hash(title text, content text) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN hashtextextended(title || E'\n' || content, 0);

CREATE INDEX notes_owner_text_hash_idx ON notes (owner_id, note_text_hash(title, content));
CREATE INDEX trashed_notes_owner_text_hash_idx
    ON trashed_notes (owner_id, note_text_hash(title, content));
