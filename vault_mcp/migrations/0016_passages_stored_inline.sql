-- Passages keep their vector (and words) in the row itself, not in the TOAST table. A row
-- over ~2 kB (a passage's 1.5 kB vector, its text and its words) had its vector moved out of
-- line, and every distance computed then read it back through the TOAST index: on a vault of
-- 1,000 notes (1,243 passages) the exact meaning leg read 7,734 buffers and took 33 ms of a
-- search's 43 (EXPLAIN ANALYZE), 2.5 ms once the rows were inline; the whole statement's
-- backend CPU went from 11.5–15.9 ms to 6.1–7.5 ms. 8160 is the largest target PostgreSQL
-- allows: a row is toasted only when it would not fit a page otherwise.
ALTER TABLE note_passages SET (toast_tuple_target = 8160);
-- Restored passages are copied back from here; keeping them inline here too costs nothing.
ALTER TABLE trashed_passages SET (toast_tuple_target = 8160);
-- Rewrite the stored rows under the new target (a rewrite re-toasts every row; an UPDATE
-- would keep the old TOAST pointers), in owner order so an account's passages sit together
-- for its exact scans. This rebuilds the indexes too, under a lock that holds searches and
-- writes until it is done: about a minute and a half per 100k passages, mostly the HNSW
-- graph (seconds for a vault of a few thousand notes). The graph is built in this backend's
-- memory (512 MB holds ~200k vectors at m 24; the default 64 MB, ~40k) and without parallel
-- workers: those share the graph through /dev/shm, which Docker caps at 64 MB by default,
-- and pgvector then fails the build ("could not resize shared memory segment") rather than
-- build it alone (pgvector/pgvector#453), so the migration would fail on every start.
SET LOCAL maintenance_work_mem = '512MB';
SET LOCAL max_parallel_maintenance_workers = 0;
CLUSTER note_passages USING note_passages_owner_idx;
