-- Issue #9: the agencies' back office, owned by the handling context.
-- R-PS-5, R-OP-2, R-OP-3, R-OP-4.

-- An agency's one-stop unit and departments (agency_code: the catalog's
-- national agency code). kind: one_stop | department.
CREATE TABLE handling_units (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_code TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (agency_code, code)
);
-- One one-stop unit per agency.
CREATE UNIQUE INDEX handling_units_one_stop ON handling_units (agency_code) WHERE kind = 'one_stop';

-- Who holds which role in which unit: receiver, handler, approver,
-- returner, admin (manages the agency's people).
CREATE TABLE handling_staff (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL,
    unit_id INTEGER NOT NULL,
    role TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    granted_at INTEGER NOT NULL,
    UNIQUE (account_id, unit_id, role)
);
CREATE INDEX handling_staff_unit ON handling_staff (unit_id, role);

-- Workflows as data: one row per version; procedure_code '' is the
-- portal-wide default. status: draft | published | retired.
CREATE TABLE handling_workflows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    procedure_code TEXT NOT NULL,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    definition TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (procedure_code, version)
);
CREATE UNIQUE INDEX handling_workflows_published ON handling_workflows (procedure_code) WHERE status = 'published';

-- A dossier at the agency from its receipt on: where it is (step, unit,
-- who claimed it), its national status, and its clock (clock_start: when
-- the legal clock started; deadline_at: the legal deadline; step_due_at:
-- this step's due time; paused_at: set while waiting for a supplement
-- or a payment); done_at: when the result was approved (status 9).
-- state: open | paused | closed.
CREATE TABLE handling_cases (
    dossier_id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    agency_code TEXT NOT NULL,
    procedure_code TEXT NOT NULL,
    procedure_name TEXT NOT NULL,
    applicant_name TEXT NOT NULL,
    search_text TEXT NOT NULL,
    workflow_id INTEGER NOT NULL,
    step TEXT NOT NULL,
    unit_id INTEGER NOT NULL,
    assignee_id INTEGER,
    status INTEGER NOT NULL,
    state TEXT NOT NULL,
    submitted_at INTEGER NOT NULL,
    received_at INTEGER,
    clock_start INTEGER,
    deadline_at INTEGER,
    step_started_at INTEGER NOT NULL,
    step_due_at INTEGER NOT NULL,
    paused_at INTEGER,
    paused_ms INTEGER NOT NULL,
    supplements INTEGER NOT NULL,
    apologies INTEGER NOT NULL,
    done_at INTEGER,
    reason TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX handling_cases_unit ON handling_cases (unit_id, state, step_due_at, dossier_id);
CREATE INDEX handling_cases_assignee ON handling_cases (assignee_id, state, step_due_at, dossier_id);
CREATE INDEX handling_cases_agency ON handling_cases (agency_code, state, step_due_at, dossier_id);
-- The board (per agency and period of submission) and the metrics
-- (open / overdue counts).
CREATE INDEX handling_cases_agency_time ON handling_cases (agency_code, submitted_at);
CREATE INDEX handling_cases_state ON handling_cases (state, deadline_at);

-- The control slip (Form 06): every hand-over — the step, the unit and
-- person holding the dossier, from when to when, the due time, the
-- action that ended it and whether it was on time.
CREATE TABLE handling_slips (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dossier_id INTEGER NOT NULL,
    step TEXT NOT NULL,
    unit_id INTEGER NOT NULL,
    actor_id INTEGER,
    started_at INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    ended_at INTEGER,
    action TEXT NOT NULL,
    note TEXT NOT NULL,
    on_time INTEGER
);
CREATE INDEX handling_slips_dossier ON handling_slips (dossier_id, id);
CREATE INDEX handling_slips_unit ON handling_slips (unit_id, started_at);

-- The notices issued to the applicant (Forms 02–05 of Circular 03/2025
-- App I: supplement request, refusal, apology with a new date, stop),
-- with the facts they state as they were when issued (JSON), so that a
-- notice always reads the same.
CREATE TABLE handling_notices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dossier_id INTEGER NOT NULL,
    form INTEGER NOT NULL,
    issued_at INTEGER NOT NULL,
    unit_id INTEGER NOT NULL,
    actor_id INTEGER,
    facts TEXT NOT NULL
);
CREATE INDEX handling_notices_dossier ON handling_notices (dossier_id, id);

-- The applicant's evaluation of how a finished dossier was handled
-- (Decree 61/2018; PUBLIC-SERVICES §2): nine indices scored 2/1/0 (JSON
-- array, in the order of `handling::evaluation::INDICES`) and the
-- satisfaction (1 very satisfied, 2 satisfied, 3 not satisfied); one per
-- dossier, changeable for a configured time after it was first given.
CREATE TABLE handling_evaluations (
    dossier_id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL,
    agency_code TEXT NOT NULL,
    procedure_code TEXT NOT NULL,
    scores TEXT NOT NULL,
    total INTEGER NOT NULL,
    satisfaction INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX handling_evaluations_agency ON handling_evaluations (agency_code, created_at);

-- The request a supplement draft answers (owned by the dossiers context):
-- a draft opened to complete a submitted dossier names it.
ALTER TABLE dossier_drafts ADD COLUMN supplement_of TEXT;
-- At most one open supplement draft per dossier.
CREATE UNIQUE INDEX dossier_drafts_supplement ON dossier_drafts (supplement_of) WHERE status = 'open' AND supplement_of IS NOT NULL;
