-- National e-ID federation (R-ID-12): started OpenID Connect logins, bound
-- to the browser and spent once (state stored hashed; the nonce and PKCE
-- verifier in `pending`), and the link from an e-ID (issuer, subject) to
-- a portal account.
CREATE TABLE oidc_auth_requests (
    state_hash TEXT PRIMARY KEY,
    pending TEXT NOT NULL,
    next_path TEXT NOT NULL,
    binding_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
CREATE INDEX oidc_auth_requests_expiry ON oidc_auth_requests (expires_at);

-- method: eid_l1, eid_l2, eid_org (the level of the first login).
CREATE TABLE eid_links (
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    method TEXT NOT NULL,
    linked_at INTEGER NOT NULL,
    UNIQUE (issuer, subject)
);
CREATE INDEX eid_links_account ON eid_links (account_id);
