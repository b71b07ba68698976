-- Issue #8: the procedure catalog (R-PS-1, R-PS-2), owned by the catalog
-- context. A procedure is kept as the national record (JSON, as received,
-- so that export returns it unchanged), one row per version; the columns
-- beside it are what lists, search and filters read.

-- Agencies as a tree (ministry / province / commune), national codes.
CREATE TABLE catalog_agencies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    parent_code TEXT,
    level TEXT NOT NULL,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    phone TEXT NOT NULL,
    email TEXT NOT NULL,
    hours TEXT NOT NULL,
    search_text TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX catalog_agencies_parent ON catalog_agencies (parent_code, code);

-- Fields (sectors) by code, with the name the newest record gave.
CREATE TABLE catalog_fields (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

-- Life events that group procedures (birth, starting a business, ...).
CREATE TABLE catalog_life_events (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL,
    position INTEGER NOT NULL
);

-- Every version of every procedure: draft (operators only), published
-- (at most one per code) or retired (a dossier filed under it still
-- reads it).
CREATE TABLE procedures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    name TEXT NOT NULL,
    online_level TEXT NOT NULL,
    assurance INTEGER NOT NULL,
    name_text TEXT NOT NULL,
    search_text TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    published_at INTEGER,
    -- Last: SQLite reads a row's columns in order, and a search reads
    -- the texts above, never the (large) record.
    record TEXT NOT NULL,
    UNIQUE (code, version)
);
CREATE UNIQUE INDEX procedures_published ON procedures (code) WHERE status = 'published';
CREATE INDEX procedures_status ON procedures (status, code);

-- The filters of each version, one row per value: field, agency, level,
-- life_event, applicant, online_level.
CREATE TABLE procedure_facets (
    procedure_id INTEGER NOT NULL REFERENCES procedures (id),
    facet TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (procedure_id, facet, value)
);
CREATE INDEX procedure_facets_value ON procedure_facets (facet, value, procedure_id);

-- The words of a search through a trigram index over the folded text
-- (as for accounts and registrations): FTS5, kept in step by triggers.
CREATE VIRTUAL TABLE procedures_search USING fts5(
    search_text, content='procedures', content_rowid='id', tokenize='trigram', detail='none'
);
CREATE TRIGGER procedures_search_insert AFTER INSERT ON procedures BEGIN
    INSERT INTO procedures_search (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER procedures_search_delete AFTER DELETE ON procedures BEGIN
    INSERT INTO procedures_search (procedures_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER procedures_search_update AFTER UPDATE OF search_text ON procedures BEGIN
    INSERT INTO procedures_search (procedures_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO procedures_search (rowid, search_text) VALUES (new.id, new.search_text);
END;
