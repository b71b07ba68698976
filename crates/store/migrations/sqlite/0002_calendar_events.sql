-- Working-day calendar adjustments and events to specialized systems (SQLite).

-- The government's yearly announcements (days off, swapped working days)
-- on top of the Labour Code rules computed in motcua-domain (R-OP-3).
-- Who changed what is in the audit log (target 'calendar:YYYY-MM-DD').
CREATE TABLE calendar_adjustments (
    date TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    reason_vi TEXT NOT NULL,
    reason_en TEXT NOT NULL,
    source TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

-- One row: whether the bundled announcements were loaded, and a version
-- bumped at every change so app nodes reload their cached calendar.
CREATE TABLE calendar_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seeded INTEGER NOT NULL,
    version INTEGER NOT NULL
);
INSERT INTO calendar_state (id, seeded, version) VALUES (1, 0, 0);

-- Ministries' specialized processing systems that receive account events
-- (R-ID-5), signed per the Standard Webhooks specification.
CREATE TABLE specialized_systems (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    ministry TEXT NOT NULL,
    endpoint_url TEXT NOT NULL,
    secret TEXT NOT NULL,
    event_types TEXT NOT NULL,
    active INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- The outbox: written in the transaction of the change it reports.
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    subject TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- One delivery per (event, subscribed system). Deliveries of one subject
-- (account) to one system go out in event order.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_seq INTEGER NOT NULL REFERENCES events (seq),
    system_id INTEGER NOT NULL REFERENCES specialized_systems (id),
    subject TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    locked_by TEXT,
    locked_until INTEGER,
    last_status INTEGER,
    last_error TEXT,
    delivered_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_order ON deliveries (system_id, subject, event_seq);
