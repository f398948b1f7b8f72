-- pgvector 0.8 brings iterative index scans (filtered HNSW queries that still return k rows)
-- and 0.8.3 fixed an HNSW index corruption during vacuum. Databases made by the earlier
-- embedded server carry 0.6.2; the server binaries now have 0.8.5 (the production image 0.8.x).
-- A role that does not own the extension cannot update it: then vault-mcp's start-up check
-- says what to run, rather than this migration failing.
DO $$
BEGIN
    ALTER EXTENSION vector UPDATE;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'pgvector was not updated: this role does not own the extension';
END
$$;
