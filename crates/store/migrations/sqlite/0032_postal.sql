-- The public postal service (issue #10 §3, R-PS-11, Decision 45/2016).

-- When the post office handed a dossier sent by post to the agency (the
-- time on the postal receipt): its clock starts then. Written by the
-- dossiers context only.
ALTER TABLE dossiers ADD COLUMN handed_over_at INTEGER;

-- What the applicant chose before submitting: send the dossier, receive
-- the result, or both, by post; where; the postage quoted.
CREATE TABLE postal_choices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL,
    draft_id TEXT NOT NULL,
    send_by_post INTEGER NOT NULL,
    result_by_post INTEGER NOT NULL,
    name TEXT NOT NULL,
    phone TEXT NOT NULL,
    province TEXT NOT NULL,
    commune TEXT NOT NULL,
    street TEXT NOT NULL,
    postage_send INTEGER NOT NULL,
    postage_result INTEGER NOT NULL,
    dossier_code TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (account_id, draft_id)
);
CREATE INDEX postal_choices_dossier ON postal_choices (dossier_code);

-- Orders at the postal operator: order_number is ours (the operator's
-- idempotency key); direction send_dossier (applicant → agency) or
-- return_result (agency → applicant). state: placed, picked_up,
-- in_transit, delivered, failed, returned, cancelled.
CREATE TABLE postal_orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_number TEXT NOT NULL UNIQUE,
    dossier_code TEXT NOT NULL,
    direction TEXT NOT NULL,
    waybill TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    postage INTEGER NOT NULL,
    cod INTEGER NOT NULL DEFAULT 0,
    receipt_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX postal_orders_live ON postal_orders (dossier_code, direction) WHERE state NOT IN ('cancelled', 'returned');
CREATE INDEX postal_orders_waybill ON postal_orders (waybill);

-- Every status the operator reported, once.
CREATE TABLE postal_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    at INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    received_at INTEGER NOT NULL,
    UNIQUE (order_id, status, at)
);
