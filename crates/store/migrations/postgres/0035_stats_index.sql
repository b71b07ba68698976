-- The service index (issue #11 §2; Decision 766/QĐ-TTg): its
-- sub-formulas as data the operator edits, every version kept (who, when,
-- why); a period is scored with the version in force at its end (the
-- built-in one, version 0, before any). Owned by the stats context.
CREATE TABLE stats_index_formulas (
    version BIGINT PRIMARY KEY,
    body TEXT NOT NULL,
    note TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- The payments context's requests by agency and time (the index's online
-- payment reads them per period).
CREATE INDEX payment_requests_agency_time ON payment_requests (created_at, agency_code);
CREATE INDEX payment_requests_paid_time ON payment_requests (paid_at);
-- The feedback context's timeline by time (the index's feedback criteria).
CREATE INDEX feedback_events_at ON feedback_events (at);
