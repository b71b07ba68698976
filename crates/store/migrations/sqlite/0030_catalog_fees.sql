-- Fee schedules (issue #10, R-PS-10): the fees ("phí") and charges ("lệ
-- phí") a procedure's dossiers owe, per case, channel and applicant type,
-- with their timing (before processing, after, exempt). Rows never
-- change: a new version is a new row; the version in force at a time is
-- the newest created by then, so the history is the list of versions.
CREATE TABLE catalog_fee_schedules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    procedure_code TEXT NOT NULL,
    version INTEGER NOT NULL,
    lines TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (procedure_code, version)
);
CREATE INDEX catalog_fee_schedules_at ON catalog_fee_schedules (procedure_code, created_at);
