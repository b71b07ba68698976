-- Issue #7: lists and purges over tables that grow with the population
-- read an index. Expired sessions and idle throttle rows are purged in
-- batches through their time columns; the operator's list of recent
-- failed logins reads the newest first; the registration queue pages by
-- (status, its order key, id) instead of OFFSET.
CREATE INDEX sessions_expiry ON sessions (expires_at);
CREATE INDEX login_throttle_last_failure ON login_throttle (last_failure_at);
CREATE INDEX login_throttle_locked_until ON login_throttle (locked_until);
CREATE INDEX registrations_order ON registrations (status, (COALESCE(due_at, created_at)), id);
