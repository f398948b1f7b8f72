-- The words index without GIN's pending list (fastupdate). With it, new passages' words wait
-- in an unsorted list of up to 4 MB that every word search reads through until a vacuum or
-- a full list merges them: measured on 40k passages right after they were written, search
-- took 24.4 ms p50 with the list full and 14.8 ms once it was merged. Without it each
-- insert updates the index at once, a fraction of a millisecond per passage against the
-- tens it costs to embed one.
ALTER INDEX note_passages_words_idx SET (fastupdate = off);
SELECT gin_clean_pending_list('note_passages_words_idx');
