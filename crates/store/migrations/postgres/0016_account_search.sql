-- Issue #7: the operator's account search served by indexes at 10 M
-- accounts. Exact identifiers by equality on their own indexes (username
-- is unique already); every other word through a trigram GIN index over
-- the pre-folded search text (folded in Rust before it is stored).
-- pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner
-- may create it without superuser rights.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX accounts_personal_id ON accounts (personal_id);
CREATE INDEX accounts_tax_code ON accounts (tax_code);
CREATE INDEX accounts_phone ON accounts (phone);
CREATE INDEX accounts_email_lower ON accounts (lower(email));
CREATE INDEX accounts_search_trgm ON accounts USING gin (search_text gin_trgm_ops);
