-- Account lifecycle (Decree 85/2019 Art. 11(4)–(6)): requests to lock an
-- account from a date (scheduled_lock, ≥ 5 days ahead), to lock it at once
-- (emergency_lock, confirmed within 5 working hours), to reactivate it
-- (reactivation, 1 working day) and to revoke it (revocation, 3 working
-- days; on the holder's request or on a ministry's notice that the
-- declarant is dissolved, bankrupt or suspended).
-- requested_by: account:<id> or ministry:<name>.
-- grounds (revocation): holder_request, dissolved, bankrupt, suspended.
-- effective_at: the scheduled lock's start, or the revocation's effect.
-- until_at: the optional end of a scheduled lock; ended_at: when it ended.
-- status: pending, done, refused, cancelled.
CREATE TABLE lifecycle_requests (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    requested_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    grounds TEXT,
    notice_ref TEXT,
    effective_at BIGINT,
    until_at BIGINT,
    ended_at BIGINT,
    received_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    decided_by TEXT,
    decided_at BIGINT,
    result_note TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX lifecycle_requests_queue ON lifecycle_requests (status, due_at);
CREATE INDEX lifecycle_requests_account ON lifecycle_requests (account_id, id);

-- Warnings sent before an unused account is locked (2 years without a
-- login). One row per account, stage (30 or 7 days before) and the last
-- use the warning was computed from: a new login starts a new cycle, and
-- a second run of the worker sends nothing twice.
CREATE TABLE inactivity_warnings (
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    stage BIGINT NOT NULL,
    last_use_at BIGINT NOT NULL,
    sent_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, stage, last_use_at)
);
