-- Issue #7: the inactivity sweep (accounts unused for two years, Decree
-- 85/2019 Art. 11) reads an indexed column instead of the newest login of
-- every account in the activity table. last_used_at is the last
-- successful login, or the creation for an account never used; it is
-- kept by the login itself, in the login's transaction.
ALTER TABLE accounts ADD COLUMN last_used_at BIGINT NOT NULL DEFAULT 0;
UPDATE accounts SET last_used_at = COALESCE(
    (SELECT MAX(v.at) FROM activity v WHERE v.account_id = accounts.id AND v.kind = 'login'),
    created_at
);
CREATE INDEX accounts_status_last_used ON accounts (status, last_used_at);
