-- Uploaded documents, content-addressed by SHA-256 (SQLite).
CREATE TABLE attachments (
    sha256 TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

-- Declarant registration profiles (R-ID-1…4; Appendix IV of Joint
-- Circular 89/2016, Form 02 of Decree 85/2019). status: unverified (email
-- not yet proven), pending (with the operator), returned (for correction),
-- accepted, rejected, expired (never verified).
CREATE TABLE registrations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reference TEXT NOT NULL UNIQUE,
    token_hash TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    round INTEGER NOT NULL,
    tax_code TEXT NOT NULL,
    org_name TEXT NOT NULL,
    org_name_en TEXT NOT NULL,
    org_type TEXT NOT NULL,
    province TEXT NOT NULL,
    ward TEXT NOT NULL,
    address TEXT NOT NULL,
    phone TEXT NOT NULL,
    email TEXT NOT NULL,
    rep_name TEXT NOT NULL,
    rep_title TEXT NOT NULL,
    rep_personal_id TEXT NOT NULL,
    contact_name TEXT NOT NULL,
    contact_phone TEXT NOT NULL,
    contact_email TEXT NOT NULL,
    existing_accounts TEXT NOT NULL,
    doc_sha256 TEXT NOT NULL REFERENCES attachments (sha256),
    doc_name TEXT NOT NULL,
    locale TEXT NOT NULL,
    verify_hash TEXT,
    verify_expires INTEGER,
    received_at INTEGER,
    due_at INTEGER,
    decision_reason TEXT,
    decided_by TEXT,
    decided_at INTEGER,
    account_id INTEGER,
    search_text TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
-- One open or accepted profile per tax code.
CREATE UNIQUE INDEX registrations_one_open ON registrations (tax_code)
    WHERE status IN ('pending', 'returned', 'accepted');
CREATE INDEX registrations_queue ON registrations (status, due_at);
CREATE INDEX registrations_verify ON registrations (verify_hash);

-- What happened to a profile, shown to the declarant on the status page.
CREATE TABLE registration_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    registration_id INTEGER NOT NULL REFERENCES registrations (id),
    at INTEGER NOT NULL,
    status TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX registration_history_of ON registration_history (registration_id, id);
