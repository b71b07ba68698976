-- Issue #7: the operator's account search served by indexes at 10 M
-- accounts. Exact identifiers by equality on their own indexes (username
-- is unique already); every other word through a trigram index over the
-- pre-folded search text (đ → d and accents removed in Rust before it is
-- stored, so the tokenizer's own folding is not relied on). detail=none
-- keeps the index small: LIKE '%word%' on the index is re-checked against
-- the text, and no phrase query is used.
CREATE INDEX accounts_personal_id ON accounts (personal_id);
CREATE INDEX accounts_tax_code ON accounts (tax_code);
CREATE INDEX accounts_phone ON accounts (phone);
CREATE INDEX accounts_email_lower ON accounts (lower(email));

CREATE VIRTUAL TABLE accounts_search USING fts5(
    search_text, content='accounts', content_rowid='id', tokenize='trigram', detail='none'
);
INSERT INTO accounts_search (accounts_search) VALUES ('rebuild');

CREATE TRIGGER accounts_search_insert AFTER INSERT ON accounts BEGIN
    INSERT INTO accounts_search (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER accounts_search_delete AFTER DELETE ON accounts BEGIN
    INSERT INTO accounts_search (accounts_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER accounts_search_update AFTER UPDATE OF search_text ON accounts BEGIN
    INSERT INTO accounts_search (accounts_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO accounts_search (rowid, search_text) VALUES (new.id, new.search_text);
END;
