-- The result documents of a dossier (issue #9 §3): uploaded by the
-- agency or generated from the dossier's data, each a PDF kept as an
-- attachment (sha256); at approval each is signed with the agency's seal
-- (a detached CMS signature, kept as an attachment too: cms_sha256) and
-- given to the applicant's document store. A result is removed only
-- before it is signed.
CREATE TABLE handling_results (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dossier_id INTEGER NOT NULL,
    title TEXT NOT NULL,
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    source TEXT NOT NULL,
    created_by INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    signed_at INTEGER,
    cms_sha256 TEXT,
    signer TEXT NOT NULL DEFAULT '',
    cert_fingerprint TEXT NOT NULL DEFAULT ''
);
CREATE INDEX handling_results_dossier ON handling_results (dossier_id, id);
-- The public verification finds a signed document by its digest.
CREATE INDEX handling_results_sha256 ON handling_results (sha256);

-- The board (issue #9 §6) reads only the index: a month of a busy
-- agency (tens of thousands of cases) without visiting the table.
DROP INDEX handling_cases_agency_time;
CREATE INDEX handling_cases_board ON handling_cases (agency_code, submitted_at, procedure_code, state, done_at, deadline_at, apologies);
-- The metrics' overdue count reads only the index too.
DROP INDEX handling_cases_state;
CREATE INDEX handling_cases_state ON handling_cases (state, deadline_at, done_at);
