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

-- Client authentication by a signed assertion (private_key_jwt, RFC 7523):
-- the method (client_secret | private_key_jwt) and the client's public
-- keys (a JWKS, no private member).
ALTER TABLE sso_clients ADD COLUMN auth_method TEXT NOT NULL DEFAULT 'client_secret';
ALTER TABLE sso_clients ADD COLUMN jwks TEXT NOT NULL DEFAULT '';

-- Assertions seen (the SHA-256 of client and jti) until they expire: one
-- use each.
CREATE TABLE sso_assertions (
    jti_hash TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sso_assertions_expires ON sso_assertions (expires_at);
