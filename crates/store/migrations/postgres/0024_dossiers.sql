-- Issue #8 (part 2): e-forms (the forms context), drafts, dossiers and
-- their timeline, dossier codes and the in-portal notifications (the
-- dossiers context). R-PS-3, R-PS-5, R-PS-14, R-PS-15.

-- A form definition per procedure case, one row per version; at most
-- one published version per (procedure, case). A row never changes
-- after it is written except for its status.
CREATE TABLE forms (
    id BIGSERIAL PRIMARY KEY,
    procedure_code TEXT NOT NULL,
    case_code TEXT NOT NULL,
    version BIGINT NOT NULL,
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    published_at BIGINT,
    definition TEXT NOT NULL,
    UNIQUE (procedure_code, case_code, version)
);
CREATE UNIQUE INDEX forms_published ON forms (procedure_code, case_code) WHERE status = 'published';

-- A person's draft of a dossier: the form version it was started on,
-- the answers so far (JSON), a revision counted up by every save (a save
-- that read an older revision is refused, never merged silently).
-- status: open, submitted, expired, deleted. contact_email and locale
-- are the person's when they started (reminders are sent to them).
CREATE TABLE dossier_drafts (
    id BIGSERIAL PRIMARY KEY,
    public_id TEXT NOT NULL UNIQUE,
    account_id BIGINT NOT NULL,
    contact_email TEXT NOT NULL,
    locale TEXT NOT NULL,
    procedure_code TEXT NOT NULL,
    procedure_version BIGINT NOT NULL,
    procedure_name TEXT NOT NULL,
    form_id BIGINT NOT NULL,
    step BIGINT NOT NULL,
    revision BIGINT NOT NULL,
    status TEXT NOT NULL,
    prefilled TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    reminded_at BIGINT,
    dossier_code TEXT,
    answers TEXT NOT NULL
);
CREATE INDEX dossier_drafts_account ON dossier_drafts (account_id, status, updated_at);
CREATE INDEX dossier_drafts_expiry ON dossier_drafts (status, expires_at);

-- A submitted dossier. draft_id is unique: a draft becomes at most one
-- dossier, however often "submit" is pressed. status is the national
-- status number (1 new ... 10 result returned).
CREATE TABLE dossiers (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    draft_id BIGINT NOT NULL UNIQUE,
    account_id BIGINT NOT NULL,
    contact_email TEXT NOT NULL,
    locale TEXT NOT NULL,
    applicant_name TEXT NOT NULL,
    procedure_code TEXT NOT NULL,
    procedure_version BIGINT NOT NULL,
    procedure_name TEXT NOT NULL,
    case_code TEXT NOT NULL,
    form_id BIGINT NOT NULL,
    agency_code TEXT NOT NULL,
    agency_name TEXT NOT NULL,
    channel BIGINT NOT NULL,
    status BIGINT NOT NULL,
    submitted_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    appointment_at BIGINT,
    time_amount BIGINT NOT NULL,
    time_unit TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    digest TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX dossiers_account ON dossiers (account_id, submitted_at, id);
CREATE INDEX dossiers_account_status ON dossiers (account_id, status, submitted_at, id);
CREATE INDEX dossiers_agency ON dossiers (agency_code, status, submitted_at);

-- Every status change of a dossier, in order (the timeline).
CREATE TABLE dossier_events (
    id BIGSERIAL PRIMARY KEY,
    dossier_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    status BIGINT NOT NULL,
    actor TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX dossier_events_dossier ON dossier_events (dossier_id, id);

-- The last serial number given per code prefix (agency and day).
CREATE TABLE dossier_serials (
    prefix TEXT PRIMARY KEY,
    last BIGINT NOT NULL
);

-- The in-portal notification inbox. kind names the message; reference
-- is what it is about (a dossier code); the text is rendered in the
-- reader's language.
CREATE TABLE notifications (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    reference TEXT NOT NULL,
    link TEXT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_account ON notifications (account_id, id);
CREATE INDEX notifications_unread ON notifications (account_id) WHERE read_at IS NULL;
