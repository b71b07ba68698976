-- Issue #7: the number of accounts (console home, /metrics) kept by
-- trigger instead of a COUNT(*) over every account on each view and
-- scrape (0.9–3.6 s at 10 M accounts). Statement-level triggers with
-- transition tables: a COPY of millions updates the row once.
CREATE TABLE account_count (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    n BIGINT NOT NULL
);
INSERT INTO account_count (id, n) SELECT 1, COUNT(*) FROM accounts;
CREATE FUNCTION account_count_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE account_count SET n = n + (SELECT COUNT(*) FROM added) WHERE id = 1;
    RETURN NULL;
END $$;
CREATE FUNCTION account_count_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE account_count SET n = n - (SELECT COUNT(*) FROM removed) WHERE id = 1;
    RETURN NULL;
END $$;
CREATE TRIGGER account_count_insert AFTER INSERT ON accounts
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION account_count_add();
CREATE TRIGGER account_count_delete AFTER DELETE ON accounts
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION account_count_remove();
