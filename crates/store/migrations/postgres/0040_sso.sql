-- The portal as OpenID Provider for ministry and provincial portals
-- (issue #12 §1; R-ID-12, R-PS-13). Owned by the sso context.

-- Registered clients (relying parties and systems). Lists are JSON
-- arrays. The secret is kept as its SHA-256 (it is 256 random bits).
CREATE TABLE sso_clients (
    id BIGSERIAL PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- portal: logs people in (authorization code); system: a ministry's
    -- or province's system (client credentials), scoped to its agency.
    kind TEXT NOT NULL,
    agency_code TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    redirect_uris TEXT NOT NULL,
    post_logout_uris TEXT NOT NULL,
    scopes TEXT NOT NULL,
    -- The highest assurance level the client may ask for (1-4).
    max_level BIGINT NOT NULL,
    -- active | disabled
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Signing keys (ES256): the private key wrapped (AES-256-GCM) under a
-- key derived from the portal's secret. The newest active key signs;
-- a retired key stays in the JWKS until its tokens have expired.
CREATE TABLE sso_keys (
    kid TEXT PRIMARY KEY,
    wrapped TEXT NOT NULL,
    public_x TEXT NOT NULL,
    public_y TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT,
    expires_at BIGINT
);

-- Authorization codes: SHA-256 of the code, single use.
CREATE TABLE sso_codes (
    code_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    account_id BIGINT NOT NULL,
    session_hash TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    scope TEXT NOT NULL,
    nonce TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    level BIGINT NOT NULL,
    auth_time BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX sso_codes_expiry ON sso_codes (expires_at);

-- Consent per account and client: the scopes granted; revoked by the
-- person on /account (their tokens stop working).
CREATE TABLE sso_grants (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL,
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    revoked_at BIGINT,
    UNIQUE (account_id, client_id)
);

-- Refresh tokens: SHA-256 of the token; rotated on use (the old one is
-- used; presenting a used one revokes its whole family).
CREATE TABLE sso_refresh (
    token_hash TEXT PRIMARY KEY,
    family TEXT NOT NULL,
    client_id TEXT NOT NULL,
    account_id BIGINT NOT NULL,
    scope TEXT NOT NULL,
    level BIGINT NOT NULL,
    auth_time BIGINT NOT NULL,
    session_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX sso_refresh_family ON sso_refresh (family);
CREATE INDEX sso_refresh_account ON sso_refresh (account_id, client_id);
