-- When an OAuth client last used a sign-in: written on a family's live refresh token at most
-- once a minute per family (an access token's use), or implied by a rotation (the new row's
-- created_at); the connected-apps page shows the newest of the two.
ALTER TABLE refresh_tokens ADD COLUMN last_used_at timestamptz;

-- One-time codes that let a browser anywhere create the first account of a vault with none
-- (printed in the server's log at start). Only their sha256 is kept; every row is deleted
-- in the transaction that creates that first account.
CREATE TABLE setup_codes (
    code_hash  bytea PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now()
);
