-- Acceptance of the terms of use and the privacy notice (issue 10, §7):
-- which version of which document was accepted, when and from where.
-- A sign-up accepts before its account exists: the row then names the
-- sign-up or registration (`pending_ref`, e.g. `registration:12`,
-- `signup:<id>`) and gets its `account_id` when the account is created.
CREATE TABLE policy_acceptances (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER REFERENCES accounts (id),
    pending_ref TEXT,
    document TEXT NOT NULL,
    version TEXT NOT NULL,
    accepted_at INTEGER NOT NULL,
    ip TEXT NOT NULL
);
CREATE INDEX policy_acceptances_account ON policy_acceptances (account_id);
CREATE INDEX policy_acceptances_pending ON policy_acceptances (pending_ref);
