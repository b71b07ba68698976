-- Ministries, work units, function catalogs and civil-servant
-- provisioning requests (R-ID-6…8) (PostgreSQL).

-- Line ministries. `code` is short and stable (usernames end with it,
-- legal bases name it), e.g. 'bct'.
CREATE TABLE ministries (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- The two ministries Joint Circular 89/2016 names; the operator adds the others.
INSERT INTO ministries (code, name, created_at, updated_at) VALUES ('bct', 'Bộ Công Thương', 0, 0);
INSERT INTO ministries (code, name, created_at, updated_at) VALUES ('btc', 'Bộ Tài chính', 0, 0);

-- Work units of a ministry; `name_key` is the folded name (no case, no
-- diacritics) that uploaded lists are matched against.
CREATE TABLE work_units (
    id BIGSERIAL PRIMARY KEY,
    ministry_id BIGINT NOT NULL REFERENCES ministries (id),
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (ministry_id, name_key)
);

-- Each ministry's catalog of functions on the portal: the permissions a
-- civil servant can be given.
CREATE TABLE ministry_functions (
    id BIGSERIAL PRIMARY KEY,
    ministry_id BIGINT NOT NULL REFERENCES ministries (id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (ministry_id, code)
);

-- Legal bases of a request and their deadline in working days (R-ID-7).
-- `ministries`: space-separated ministry codes it applies to; '' = all.
CREATE TABLE legal_bases (
    code TEXT PRIMARY KEY,
    name_vi TEXT NOT NULL,
    name_en TEXT NOT NULL,
    working_days BIGINT NOT NULL,
    ministries TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
INSERT INTO legal_bases (code, name_vi, name_en, working_days, ministries, updated_at) VALUES
    ('decree-85-2019', 'Nghị định số 85/2019/NĐ-CP (Điều 11 khoản 2)', 'Decree 85/2019/ND-CP (Art. 11.2)', 3, '', 0);
INSERT INTO legal_bases (code, name_vi, name_en, working_days, ministries, updated_at) VALUES
    ('jc-89-2016', 'Thông tư liên tịch số 89/2016/TTLT-BTC-BCT (Điều 8 khoản 2)', 'Joint Circular 89/2016/TTLT-BTC-BCT (Art. 8.2)', 5, 'btc bct', 0);

-- Which account manages which ministry's requests (role ministry_manager).
CREATE TABLE ministry_managers (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id),
    ministry_id BIGINT NOT NULL REFERENCES ministries (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX ministry_managers_ministry ON ministry_managers (ministry_id);

-- Per-year counters of request references (CT-2026-000001).
CREATE TABLE provisioning_counters (
    year BIGINT PRIMARY KEY,
    last BIGINT NOT NULL
);

-- A ministry's request for civil-servant accounts. The written notice is
-- stored sealed (AES-256-GCM) in `attachments` under `notice_sha256`.
CREATE TABLE provisioning_requests (
    id BIGSERIAL PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    ministry_id BIGINT NOT NULL REFERENCES ministries (id),
    manager_account_id BIGINT NOT NULL REFERENCES accounts (id),
    legal_basis TEXT NOT NULL REFERENCES legal_bases (code),
    working_days BIGINT NOT NULL,
    source TEXT NOT NULL,
    upload_sha256 TEXT,
    status TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    completed_at BIGINT,
    notice_sha256 TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX provisioning_requests_open ON provisioning_requests (status, due_at);
CREATE INDEX provisioning_requests_ministry ON provisioning_requests (ministry_id, id);

-- The persons of a request and the operator's decision on each. The
-- initial password of a granted person is kept sealed only until the
-- notice is made, then erased.
CREATE TABLE provisioning_persons (
    id BIGSERIAL PRIMARY KEY,
    request_id BIGINT NOT NULL REFERENCES provisioning_requests (id),
    row_no BIGINT NOT NULL,
    full_name TEXT NOT NULL,
    job_title TEXT NOT NULL,
    work_unit_id BIGINT REFERENCES work_units (id),
    work_unit TEXT NOT NULL,
    email TEXT NOT NULL,
    permissions TEXT NOT NULL,
    decision TEXT NOT NULL,
    reason TEXT,
    account_id BIGINT REFERENCES accounts (id),
    username TEXT,
    sealed_password TEXT,
    decided_by TEXT,
    decided_at BIGINT
);
CREATE INDEX provisioning_persons_request ON provisioning_persons (request_id, row_no);

-- Civil-servant accounts granted through a request: ministry, work unit,
-- job title and permissions (function codes, space-separated).
CREATE TABLE civil_servants (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id),
    ministry_id BIGINT NOT NULL REFERENCES ministries (id),
    work_unit_id BIGINT REFERENCES work_units (id),
    work_unit TEXT NOT NULL,
    job_title TEXT NOT NULL,
    permissions TEXT NOT NULL,
    request_id BIGINT REFERENCES provisioning_requests (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX civil_servants_ministry ON civil_servants (ministry_id);
