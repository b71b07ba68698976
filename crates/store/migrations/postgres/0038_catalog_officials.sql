-- The directory (issue #11 §4; R-PS-9): the officials each agency
-- publishes (leaders, the one-stop unit's head, the person answering
-- citizens), with the contact details the agency chooses to publish.
-- Kept by the agency's administrators and the operator. Owned by the
-- catalog context.
CREATE TABLE catalog_officials (
    id BIGSERIAL PRIMARY KEY,
    agency_code TEXT NOT NULL,
    position TEXT NOT NULL,
    full_name TEXT NOT NULL,
    phone TEXT NOT NULL,
    email TEXT NOT NULL,
    -- Order on the agency's page (smaller first).
    sort BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX catalog_officials_agency ON catalog_officials (agency_code, sort, id);
