-- An e-ID login that found no link but an account with the holder's
-- personal ID (R-ID-12): the link waits until this browser proves that
-- account by logging in to it. Keyed by the SHA-256 of a secret kept in a
-- cookie of the browser; spent once; expires. prefill: JSON of the e-ID's
-- claims (issuer, subject, name, personal ID, next path).
CREATE TABLE eid_link_requests (
    id_hash TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    method TEXT NOT NULL,
    prefill TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    spent_at INTEGER
);
CREATE INDEX eid_link_requests_expiry ON eid_link_requests (expires_at);
