-- Uploaded documents, content-addressed by SHA-256 (PostgreSQL).
CREATE TABLE attachments (
    sha256 TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    data BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
