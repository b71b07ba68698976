-- Consent to reuse personal data (R-ID-15): what the portal holds about a
-- holder and from where, the holder's consent per attribute to reuse it for
-- prefilling forms, and an append-only log of every reuse.

-- attr: full_name, organization, tax_code, personal_id, email, phone,
-- birthdate. source: certificate, eid, sim, self. source_ref: e.g. the
-- certificate's issuer and serial, or the e-ID issuer.
CREATE TABLE profile_attributes (
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    attr TEXT NOT NULL,
    source TEXT NOT NULL,
    value TEXT NOT NULL,
    source_ref TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, attr, source)
);

-- One row per grant; revoked_at closes it. The open row is the consent.
CREATE TABLE reuse_consents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    attr TEXT NOT NULL,
    granted_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX reuse_consents_account ON reuse_consents (account_id, attr);

-- Every reuse: which attributes, for which service (form), when.
CREATE TABLE data_reuse_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    attrs TEXT NOT NULL,
    service TEXT NOT NULL,
    request_id TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX data_reuse_log_account ON data_reuse_log (account_id, id);
