-- Issue #8 (owned by the dossiers context): signed submissions, the
-- personal document store, reused attachments and notification
-- preferences.

-- A submission signed with the applicant's certificate (R-PS-3): what
-- was signed (the challenge text naming the dossier's digest), the
-- signature and the certificate, so that anyone can check it again.
CREATE TABLE dossier_signatures (
    dossier_id INTEGER PRIMARY KEY,
    digest TEXT NOT NULL,
    signed_text TEXT NOT NULL,
    signature TEXT NOT NULL,
    certificate TEXT NOT NULL,
    signer TEXT NOT NULL,
    issuer_dn TEXT NOT NULL,
    serial_hex TEXT NOT NULL,
    method TEXT NOT NULL,
    signed_at INTEGER NOT NULL
);

-- The personal document store (kho dữ liệu điện tử, R-PS-3, R-ID-15):
-- documents the holder submitted or received as results, kept for reuse
-- in later dossiers. The bytes are in the blob store under sha256; one
-- entry per content and holder.
CREATE TABLE personal_documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    dossier_code TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX personal_documents_content ON personal_documents (account_id, sha256);
CREATE INDEX personal_documents_account ON personal_documents (account_id, id);

-- An attachment taken from the document store instead of uploaded (the
-- national sync marks it as reused): the document it came from.
ALTER TABLE dossier_files ADD COLUMN reused_from INTEGER;

-- Mail per kind of notification (the in-portal inbox always has them).
CREATE TABLE notification_preferences (
    account_id INTEGER NOT NULL,
    category TEXT NOT NULL,
    mail INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, category)
);

-- A page of a draft posted after the person's session had ended: kept
-- for this browser (its pre-session cookie's hash) for an hour, applied
-- to the draft once the person logs in again, then deleted. One per
-- browser.
CREATE TABLE parked_answers (
    token TEXT PRIMARY KEY,
    binding_hash TEXT NOT NULL UNIQUE,
    draft_public_id TEXT NOT NULL,
    step INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX parked_answers_expiry ON parked_answers (expires_at);
