-- Issue #7: the number of accounts (console home, /metrics) kept by
-- trigger instead of a COUNT(*) over every account on each view and
-- scrape (0.9–10 s at 10 M accounts).
CREATE TABLE account_count (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n INTEGER NOT NULL
);
INSERT INTO account_count (id, n) SELECT 1, COUNT(*) FROM accounts;
CREATE TRIGGER account_count_insert AFTER INSERT ON accounts BEGIN
    UPDATE account_count SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER account_count_delete AFTER DELETE ON accounts BEGIN
    UPDATE account_count SET n = n - 1 WHERE id = 1;
END;
