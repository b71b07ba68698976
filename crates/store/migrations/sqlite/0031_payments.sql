-- Payments (issue #10, R-PS-10): what a dossier is asked to pay, each
-- attempt at the national payment platform, the callbacks received, and
-- the daily reconciliation with its mismatches.

-- A payment request: lines (JSON) copied from the fee schedule in force
-- (or written by the agency), totals kept apart for fees and charges.
-- state: unpaid, awaiting (an attempt is open at the platform), paid,
-- refunded, cancelled. origin: before (fees first), after (with the
-- result), agency (raised during handling).
CREATE TABLE payment_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id TEXT NOT NULL UNIQUE,
    dossier_id INTEGER NOT NULL,
    dossier_code TEXT NOT NULL,
    account_id INTEGER NOT NULL,
    agency_code TEXT NOT NULL,
    origin TEXT NOT NULL,
    lines TEXT NOT NULL,
    fee_total INTEGER NOT NULL,
    charge_total INTEGER NOT NULL,
    total INTEGER NOT NULL CHECK (total > 0),
    schedule_version INTEGER NOT NULL DEFAULT 0,
    due_at INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    paid_attempt_id INTEGER UNIQUE,
    paid_at INTEGER,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CHECK (state NOT IN ('paid', 'refunded') OR paid_attempt_id IS NOT NULL)
);
CREATE INDEX payment_requests_dossier ON payment_requests (dossier_id);
CREATE UNIQUE INDEX payment_requests_once ON payment_requests (dossier_id, origin) WHERE origin IN ('before', 'after');

-- An attempt: one INIT at the platform under our reference. Committed
-- before the INIT is sent, so a crash loses nothing: the same reference
-- is sent again, or the poller asks the platform. state: initiated (no
-- answer to INIT yet), pending (the payer was sent to pay), paid,
-- failed, expired (no answer within the polling window), duplicate
-- (paid at the platform after another attempt was: refund needed).
CREATE TABLE payment_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id INTEGER NOT NULL,
    reference TEXT NOT NULL UNIQUE,
    amount INTEGER NOT NULL,
    state TEXT NOT NULL,
    platform_txn_id TEXT NOT NULL DEFAULT '',
    pay_url TEXT NOT NULL DEFAULT '',
    result_code TEXT NOT NULL DEFAULT '',
    next_check_at INTEGER NOT NULL,
    checks INTEGER NOT NULL DEFAULT 0,
    paid_amount INTEGER,
    paid_at INTEGER,
    receipts TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX payment_attempts_request ON payment_attempts (request_id);
CREATE INDEX payment_attempts_due ON payment_attempts (state, next_check_at);
-- One paid transaction per payment request, ever.
CREATE UNIQUE INDEX payment_attempts_one_paid ON payment_attempts (request_id) WHERE state = 'paid';
-- One attempt open at a time.
CREATE UNIQUE INDEX payment_attempts_one_open ON payment_attempts (request_id) WHERE state IN ('initiated', 'pending');

-- Every callback received, whatever became of it.
CREATE TABLE payment_callbacks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reference TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    verdict TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX payment_callbacks_reference ON payment_callbacks (reference);

-- One row per Vietnam day reconciled (yyyyMMdd); the claim of one node.
CREATE TABLE payment_reconciliations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    day TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    items INTEGER NOT NULL DEFAULT 0,
    matched INTEGER NOT NULL DEFAULT 0,
    mismatches INTEGER NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT ''
);

-- What the day list and our records disagree on. kind: missing_there
-- (paid here, not in the platform's list), missing_here (in the list,
-- not paid here), amount (paid amounts differ), refund_needed (paid
-- twice), unknown (no answer within the polling window).
CREATE TABLE payment_mismatches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    day TEXT NOT NULL,
    kind TEXT NOT NULL,
    reference TEXT NOT NULL,
    platform_txn_id TEXT NOT NULL DEFAULT '',
    our_amount INTEGER,
    their_amount INTEGER,
    action TEXT NOT NULL,
    state TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    resolved_by TEXT NOT NULL DEFAULT '',
    resolved_at INTEGER,
    created_at INTEGER NOT NULL,
    UNIQUE (day, kind, reference)
);
CREATE INDEX payment_mismatches_open ON payment_mismatches (state, created_at);
