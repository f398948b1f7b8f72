-- Accounts that can log in over HTTP, and the refresh tokens they hold.
-- A NULL password_hash is an account that cannot log in (e.g. the local stdio owner).
ALTER TABLE users ADD COLUMN password_hash text;

CREATE TABLE refresh_tokens (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Every token descends from one login; reuse of a rotated token revokes the family.
    family_id   uuid NOT NULL,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  bytea NOT NULL UNIQUE,  -- sha256 of the token: the token itself is never stored
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    rotated_at  timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);
