-- SIM-signature transactions (R-ID-10): one row per signature asked of the
-- mobile signature provider, so the waiting page can poll it from any node
-- and nothing is lost at a restart. status: pending, done, failed.
-- outcome: the provider's final answer (mss.* key) once known.
CREATE TABLE sim_transactions (
    id TEXT PRIMARY KEY,
    challenge TEXT NOT NULL,
    purpose TEXT NOT NULL,
    next_path TEXT NOT NULL,
    msisdn TEXT NOT NULL,
    ap_trans_id TEXT NOT NULL,
    mssp_trans_id TEXT NOT NULL,
    code TEXT NOT NULL,
    binding_hash TEXT NOT NULL,
    status TEXT NOT NULL,
    outcome TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX sim_transactions_expiry ON sim_transactions (expires_at);
