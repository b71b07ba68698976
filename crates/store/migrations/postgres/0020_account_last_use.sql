-- Issue #7: an account's last use moves to a narrow table of its own. A
-- login updated accounts.last_used_at, an indexed column: on PostgreSQL
-- every such update wrote a new entry into each of the accounts' indexes
-- (the trigram index too: no HOT update), a cost that grew with the
-- table. The sweep reads this table's index; a login updates one small
-- row. accounts.last_used_at stays (dropping it would rewrite the table)
-- but is no longer read or kept.
CREATE TABLE account_last_use (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id),
    last_used_at BIGINT NOT NULL
);
INSERT INTO account_last_use (account_id, last_used_at) SELECT id, last_used_at FROM accounts;
CREATE INDEX account_last_use_at ON account_last_use (last_used_at, account_id);
DROP INDEX accounts_status_last_used;
