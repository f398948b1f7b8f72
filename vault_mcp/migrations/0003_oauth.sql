-- The built-in OAuth 2.1 authorization server and personal access tokens.

-- Clients registered dynamically (RFC 7591). Clients identified by a metadata document URL
-- (CIMD) are not stored: their document is fetched and cached in memory.
CREATE TABLE oauth_clients (
    client_id                  text PRIMARY KEY,
    client_secret_hash         bytea,  -- sha256 of the secret, only for confidential clients
    client_name                text,
    redirect_uris              text[] NOT NULL,
    scopes                     text[] NOT NULL,
    token_endpoint_auth_method text NOT NULL,
    registration               jsonb NOT NULL,  -- the registration response, echoed on request
    created_at                 timestamptz NOT NULL DEFAULT now()
);

-- Authorization codes: single use, a minute at most, bound to what the person approved.
CREATE TABLE oauth_codes (
    code_hash       bytea PRIMARY KEY,  -- sha256 of the code
    client_id       text NOT NULL,
    user_id         bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri    text,               -- as sent to /oauth/authorize (NULL if omitted)
    code_challenge  text NOT NULL,      -- PKCE S256
    resource        text NOT NULL,      -- RFC 8707: the access tokens' audience
    scopes          text[] NOT NULL,
    expires_at      timestamptz NOT NULL,
    used_at         timestamptz,
    -- The token family the code was exchanged for: revoked if the code is ever replayed.
    family_id       uuid
);
CREATE INDEX oauth_codes_expires_idx ON oauth_codes (expires_at);

-- Refresh tokens issued to OAuth clients carry the client, the granted scopes and the
-- resource; NULL client_id marks the web view's and REST login's own tokens.
ALTER TABLE refresh_tokens
    ADD COLUMN client_id text,
    ADD COLUMN scopes    text[],
    ADD COLUMN resource  text;

-- Long-lived tokens for scripts and CLI clients that can send a header.
CREATE TABLE personal_access_tokens (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          text NOT NULL,
    token_hash    bytea NOT NULL UNIQUE,  -- sha256 of the token
    scopes        text[] NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz,            -- NULL: until revoked
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
CREATE UNIQUE INDEX personal_access_tokens_live_name_idx
    ON personal_access_tokens (user_id, name) WHERE revoked_at IS NULL;
