-- The interop API for ministry and provincial systems (issue #12 §2;
-- R-PS-13, R-PS-15).

-- Dossiers context: a dossier pushed by a provincial one-stop system is
-- kept with the others so its applicant sees every dossier in one place.
-- origin: the client id of the system that pushed it ('' = received
-- here). holder_key: a keyed hash of the applicant's personal ID (or tax
-- code), so a dossier pushed before its applicant had an account is
-- found when they have one; '' for dossiers received here.
ALTER TABLE dossiers ADD COLUMN origin TEXT NOT NULL DEFAULT '';
ALTER TABLE dossiers ADD COLUMN holder_key TEXT NOT NULL DEFAULT '';
CREATE INDEX dossiers_unclaimed ON dossiers (holder_key) WHERE account_id = 0;

-- Dossiers context: the single window's case (Decree 85/2019 Art 13). A
-- procedure handled by a ministry's specialized system is routed to it:
-- its dossiers are forwarded (an event to that system only) and answered
-- by that system's client through the interop API. handled_by: the client
-- id of the system handling the dossier ('' = handled here).
ALTER TABLE dossiers ADD COLUMN handled_by TEXT NOT NULL DEFAULT '';
CREATE TABLE dossier_routes (
    procedure_code TEXT PRIMARY KEY,
    -- The specialized system (the events register) the dossiers go to.
    system_code TEXT NOT NULL,
    -- The system client (sso) that answers for them.
    client_id TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Interop context: the answer to each write sent with an Idempotency-Key,
-- per client, replayed when the same key comes again (a retry).
CREATE TABLE interop_idempotency (
    client_id TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    -- SHA-256 of the method, path and body: another request under the
    -- same key is refused.
    request_hash TEXT NOT NULL,
    -- 0 while the first request is in flight.
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (client_id, idem_key)
);
CREATE INDEX interop_idempotency_created ON interop_idempotency (created_at);

-- Interop context: every call of a system client (the audit of reads;
-- changes are also in the audit trail).
CREATE TABLE interop_calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status INTEGER NOT NULL,
    at INTEGER NOT NULL,
    request_id TEXT NOT NULL
);
CREATE INDEX interop_calls_client ON interop_calls (client_id, at);
CREATE INDEX interop_calls_at ON interop_calls (at);
