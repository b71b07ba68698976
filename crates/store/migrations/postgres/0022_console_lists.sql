-- Issue #7: the operator's growing lists page by keyset (a page continues
-- after the last row shown: its order key and id), each through an index
-- that serves its order; and the registration queue's text search through
-- a trigram index, as the account search does (migrations 16 and 18).

-- Lifecycle requests: pending by deadline, decided newest first.
DROP INDEX lifecycle_requests_queue;
CREATE INDEX lifecycle_requests_pending ON lifecycle_requests (status, due_at, id);
CREATE INDEX lifecycle_requests_decided ON lifecycle_requests (decided_at, id);

-- Provisioning requests: open by deadline, completed newest first; all or
-- one ministry's.
DROP INDEX provisioning_requests_open;
CREATE INDEX provisioning_requests_queue ON provisioning_requests (status, due_at, id);
CREATE INDEX provisioning_requests_status ON provisioning_requests (status, id);
CREATE INDEX provisioning_requests_ministry_queue ON provisioning_requests (ministry_id, status, due_at, id);
CREATE INDEX provisioning_requests_ministry_status ON provisioning_requests (ministry_id, status, id);

-- Deliveries newest first, of one status or one system.
CREATE INDEX deliveries_status ON deliveries (status, id);
CREATE INDEX deliveries_system ON deliveries (system_id, id);

-- Registrations: the folded text between spaces (a short word is then a
-- whole word, '% an %', of 3 characters or more), and a trigram GIN index
-- over it (pg_trgm: migration 16).
UPDATE registrations SET search_text = ' ' || search_text || ' ';
CREATE INDEX registrations_search_trgm ON registrations USING gin (search_text gin_trgm_ops);
