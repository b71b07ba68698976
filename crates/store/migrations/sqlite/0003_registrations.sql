-- Uploaded documents, content-addressed by SHA-256 (SQLite).
CREATE TABLE attachments (
    sha256 TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
