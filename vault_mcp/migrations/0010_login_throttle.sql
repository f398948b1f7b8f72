-- Failed (and in-flight) sign-in attempts, kept in the database so that every server process
-- on it counts the same attempts and a restart forgets none. A row is written before the
-- password is hashed and removed if the password was right; rows older than the throttle's
-- window are pruned on every attempt.
CREATE TABLE login_attempts (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account      text NOT NULL,  -- the user name exactly as the account lookup reads it
    address      text NOT NULL,  -- the client address (the proxy's view, never a header's)
    attempted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_account_idx ON login_attempts (account, attempted_at);
CREATE INDEX login_attempts_address_idx ON login_attempts (address, attempted_at);
CREATE INDEX login_attempts_attempted_at_idx ON login_attempts (attempted_at);
