-- Issue #6: documents move to the blob store (kernel::blobs). Rows written
-- before hold their bytes here until the start-up migration moves them;
-- a moved row keeps an empty `data`.
ALTER TABLE attachments ADD COLUMN stored_in TEXT NOT NULL DEFAULT 'database' CHECK (stored_in IN ('database', 'blobs'));
CREATE INDEX attachments_held_in_database ON attachments (sha256) WHERE stored_in = 'database';
