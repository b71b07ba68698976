-- Single sign-on: RP-initiated and back-channel logout (issue #12 §1).
-- Owned by the sso context.

-- Where a portal receives back-channel logout tokens ('' = none).
ALTER TABLE sso_clients ADD COLUMN backchannel_logout_uri TEXT NOT NULL DEFAULT '';

-- The portals each session of the national portal signed in to (by the
-- SHA-256 of the session): told when the session ends.
CREATE TABLE sso_sessions (
    session_hash TEXT NOT NULL,
    client_id TEXT NOT NULL,
    account_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (session_hash, client_id)
);
CREATE INDEX sso_sessions_created ON sso_sessions (created_at);
