-- Indexes for the hourly pruning (db/housekeeping.py), which deletes in batches: without
-- them each batch scans the whole table again, and a registration flood's backlog of N rows
-- costs on the order of N^2 / batch. The client-side ones also serve the cascades when a
-- client's tokens go.
CREATE INDEX IF NOT EXISTS refresh_tokens_expires_idx ON refresh_tokens (expires_at);
CREATE INDEX IF NOT EXISTS refresh_tokens_client_idx ON refresh_tokens (client_id);
CREATE INDEX IF NOT EXISTS oauth_codes_client_idx ON oauth_codes (client_id);
CREATE INDEX IF NOT EXISTS oauth_clients_created_idx ON oauth_clients (created_at);
