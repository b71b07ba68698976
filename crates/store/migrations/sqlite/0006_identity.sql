-- Digital identity (issue #4, R-ID-9…13): certificates bound to accounts,
-- single-use signing challenges, the portal's own captcha, and sign-ups
-- through a strong method waiting for their email confirmation.

-- A certificate bound to an account (Decree 85/2019 Art. 12(4): issuer,
-- serial, validity and the key are kept with the registration). A renewal
-- adds a row while the old one is still valid. status: active, removed.
-- identity_kind: tax_code, personal_id, old_id_card.
CREATE TABLE account_certificates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    issuer_dn TEXT NOT NULL,
    serial_hex TEXT NOT NULL,
    subject_dn TEXT NOT NULL,
    not_before INTEGER NOT NULL,
    not_after INTEGER NOT NULL,
    spki_sha256 TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    cert_der TEXT NOT NULL,
    identity_kind TEXT NOT NULL,
    identity_value TEXT NOT NULL,
    status TEXT NOT NULL,
    added_at INTEGER NOT NULL,
    removed_at INTEGER,
    UNIQUE (issuer_dn, serial_hex)
);
CREATE INDEX account_certificates_spki ON account_certificates (spki_sha256);
CREATE INDEX account_certificates_account ON account_certificates (account_id);
CREATE INDEX account_certificates_identity ON account_certificates (identity_kind, identity_value);

-- A challenge to sign (pki::challenge). Spent once, atomically, by
-- UPDATE … WHERE used_at IS NULL AND expires_at > now. binding_hash ties it
-- to the browser that asked (SHA-256 of its session or pre-session token).
-- purpose: register, login, step_up. method: usb_token, sim.
CREATE TABLE auth_challenges (
    id TEXT PRIMARY KEY,
    nonce TEXT NOT NULL,
    purpose TEXT NOT NULL,
    origin TEXT NOT NULL,
    method TEXT NOT NULL,
    binding_hash TEXT NOT NULL,
    account_id INTEGER,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
CREATE INDEX auth_challenges_expiry ON auth_challenges (expires_at);

-- The portal's own image captcha: the answer is kept hashed, used once.
CREATE TABLE captchas (
    id TEXT PRIMARY KEY,
    answer_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
CREATE INDEX captchas_expiry ON captchas (expires_at);

-- A sign-up through a strong method (usb_token, sim, eid) that waits for
-- the email code. prefill: JSON of what the certificate or e-ID says.
-- cert_der: the verified certificate (base64). status: pending, done,
-- expired. code_hash: SHA-256 of the 6-digit code sent by mail.
CREATE TABLE identity_signups (
    id TEXT PRIMARY KEY,
    method TEXT NOT NULL,
    kind TEXT NOT NULL,
    identity_kind TEXT NOT NULL,
    identity_value TEXT NOT NULL,
    prefill TEXT NOT NULL,
    cert_der TEXT,
    email TEXT,
    code_hash TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    binding_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    account_id INTEGER
);
CREATE INDEX identity_signups_expiry ON identity_signups (status, expires_at);
