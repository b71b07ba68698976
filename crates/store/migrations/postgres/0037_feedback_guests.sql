-- Feedback without an account (issue #11 §1; R-PS-6): the sender gives a
-- name, an e-mail address and a phone, and confirms a code mailed to the
-- address and a code sent by SMS to the phone. Until then the feedback
-- waits here (not at any agency, not counted); confirmed, it becomes an
-- item of feedback_items with account_id 0. Owned by the feedback context.
CREATE TABLE feedback_pending (
    id BIGSERIAL PRIMARY KEY,
    -- Random, in the confirmation page's address (128 bits).
    token TEXT NOT NULL UNIQUE,
    -- The form, the sender and the files' blobs, as JSON.
    payload TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT NOT NULL,
    -- SHA-256 of the mailed code, ':' and the SMS code.
    codes_hash TEXT NOT NULL,
    tries BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX feedback_pending_expiry ON feedback_pending (expires_at);
