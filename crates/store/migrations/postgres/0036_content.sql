-- Guidance articles, questions and answers, and announcements (issue #11
-- §4–5; R-PS-4): written by operators, every version kept (who, when,
-- why), the current one shown; searchable without accents. Owned by the
-- content context.
CREATE TABLE content_items (
    id BIGSERIAL PRIMARY KEY,
    -- guide | faq | announcement
    kind TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    -- published | withdrawn
    state TEXT NOT NULL,
    version BIGINT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    -- Folded (no accents, lower case) title and body.
    search_text TEXT NOT NULL,
    -- An announcement is shown until then (none: until withdrawn).
    until_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX content_items_kind ON content_items (kind, state, updated_at);
CREATE INDEX content_items_search_trgm ON content_items USING gin (search_text gin_trgm_ops);

CREATE TABLE content_versions (
    id BIGSERIAL PRIMARY KEY,
    item_id BIGINT NOT NULL REFERENCES content_items(id),
    version BIGINT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    note TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (item_id, version)
);
