-- Issue #8: the files a person attaches to a draft, per dossier
-- component of the procedure (owned by the dossiers context). The bytes
-- are in the blob store, content-addressed (attachments.sha256); a
-- submitted dossier keeps its draft's files (dossiers.draft_id).
CREATE TABLE dossier_files (
    id BIGSERIAL PRIMARY KEY,
    draft_id BIGINT NOT NULL,
    component TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX dossier_files_draft ON dossier_files (draft_id, id);
