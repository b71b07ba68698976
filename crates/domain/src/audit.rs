//! The audit trail is append-only and hash-chained: each record's hash
//! covers its fields and the previous record's hash, so editing or
//! deleting any row breaks the chain from there on (R-OP-2).
use sha2::{Digest, Sha256};

/// Hash of the (empty) chain before the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub ip: String,
    pub request_id: String,
    pub detail: String,
}

/// SHA-256 over the previous hash and each field, each prefixed by its
/// length so that no two different records serialize alike.
pub fn chain_hash(prev: &str, r: &Record) -> String {
    let mut h = Sha256::new();
    let mut put = |s: &[u8]| {
        h.update((s.len() as u64).to_be_bytes());
        h.update(s);
    };
    put(prev.as_bytes());
    put(&r.seq.to_be_bytes());
    put(&r.at.to_be_bytes());
    for f in [
        &r.actor,
        &r.action,
        &r.target,
        &r.ip,
        &r.request_id,
        &r.detail,
    ] {
        put(f.as_bytes());
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(detail: &str) -> Record {
        Record {
            seq: 1,
            at: 5,
            actor: "a".into(),
            action: "x".into(),
            target: "t".into(),
            ip: "".into(),
            request_id: "r".into(),
            detail: detail.into(),
        }
    }

    #[test]
    fn any_field_change_changes_the_hash() {
        let a = chain_hash(GENESIS, &rec("d"));
        assert_ne!(a, chain_hash(GENESIS, &rec("e")));
        assert_ne!(a, chain_hash(&a, &rec("d")));
        let mut shifted = rec("d");
        shifted.actor = "ax".into();
        shifted.action = "".into();
        assert_ne!(a, chain_hash(GENESIS, &shifted));
    }
}
