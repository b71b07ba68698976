-- The audit key that sealed each record (HMAC-SHA256 under a key kept
-- outside the database, named by its id). Records written before keys
-- existed keep '' : the legacy, unkeyed SHA-256 scheme.
ALTER TABLE audit_log ADD COLUMN key_id TEXT NOT NULL DEFAULT '';
