-- Feedback and petitions (issue #11 §1; R-PS-6; PUBLIC-SERVICES §7):
-- an identified person's feedback about a procedure, an agency or a
-- regulation, routed to the competent agency, answered (or asked for
-- more, transferred, refused) within working-day deadlines, and published
-- with the person's name hidden on request. Owned by the feedback context.
CREATE TABLE feedback_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    account_id INTEGER NOT NULL,
    sender_name TEXT NOT NULL,
    sender_email TEXT NOT NULL,
    sender_phone TEXT NOT NULL,
    sender_address TEXT NOT NULL,
    hide_name INTEGER NOT NULL,
    about TEXT NOT NULL,
    procedure_code TEXT NOT NULL,
    agency_code TEXT NOT NULL,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    -- received | more_info | answered | published | refused
    state TEXT NOT NULL,
    -- When the agency holding it got it (a transfer or the person's
    -- reply restarts it) and the deadlines counted from then.
    received_at INTEGER NOT NULL,
    refuse_by INTEGER NOT NULL,
    ask_by INTEGER NOT NULL,
    answer_by INTEGER NOT NULL,
    publish_by INTEGER,
    asked INTEGER NOT NULL,
    answer TEXT NOT NULL,
    answered_at INTEGER,
    answered_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    published_at INTEGER,
    -- Folded (no accents, lower case) title, content and answer.
    search_text TEXT NOT NULL,
    -- 0 none, 1 "due soon" sent, 2 "overdue" sent.
    reminded INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX feedback_items_account ON feedback_items (account_id, created_at);
CREATE INDEX feedback_items_agency ON feedback_items (agency_code, state, answer_by);
CREATE INDEX feedback_items_due ON feedback_items (state, answer_by);
CREATE INDEX feedback_items_published ON feedback_items (published_at);
CREATE INDEX feedback_items_procedure ON feedback_items (procedure_code, published_at);

-- What happened to an item, oldest first: the person's timeline.
CREATE TABLE feedback_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    feedback_id INTEGER NOT NULL REFERENCES feedback_items(id),
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    note TEXT NOT NULL,
    -- Done after its deadline.
    late INTEGER NOT NULL
);
CREATE INDEX feedback_events_item ON feedback_events (feedback_id, at);

-- Files the person attached (kernel blobs: `attachments`).
CREATE TABLE feedback_files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    feedback_id INTEGER NOT NULL REFERENCES feedback_items(id),
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX feedback_files_item ON feedback_files (feedback_id);
