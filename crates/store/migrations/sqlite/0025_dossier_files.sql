-- Issue #8: the files a person attaches to a draft, per dossier
-- component of the procedure (owned by the dossiers context). The bytes
-- are in the blob store, content-addressed (attachments.sha256); a
-- submitted dossier keeps its draft's files (dossiers.draft_id).
CREATE TABLE dossier_files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    draft_id INTEGER NOT NULL,
    component TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX dossier_files_draft ON dossier_files (draft_id, id);
