-- Issue #8: the procedure catalog (R-PS-1, R-PS-2), owned by the catalog
-- context. A procedure is kept as the national record (JSON, as received,
-- so that export returns it unchanged), one row per version; the columns
-- beside it are what lists, search and filters read.

-- Agencies as a tree (ministry / province / commune), national codes.
CREATE TABLE catalog_agencies (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    parent_code TEXT,
    level TEXT NOT NULL,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    phone TEXT NOT NULL,
    email TEXT NOT NULL,
    hours TEXT NOT NULL,
    search_text TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
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
    position BIGINT NOT NULL
);

-- Every version of every procedure: draft (operators only), published
-- (at most one per code) or retired (a dossier filed under it still
-- reads it).
CREATE TABLE procedures (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL,
    version BIGINT NOT NULL,
    status TEXT NOT NULL,
    name TEXT NOT NULL,
    online_level TEXT NOT NULL,
    assurance BIGINT NOT NULL,
    name_text TEXT NOT NULL,
    search_text TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    published_at BIGINT,
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
    procedure_id BIGINT NOT NULL REFERENCES procedures (id),
    facet TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (procedure_id, facet, value)
);
CREATE INDEX procedure_facets_value ON procedure_facets (facet, value, procedure_id);

-- The words of a search through a trigram index over the folded text
-- (as for accounts and registrations; pg_trgm: migration 16).
CREATE INDEX procedures_search_trgm ON procedures USING gin (search_text gin_trgm_ops);
