//! The audit trail is append-only and hash-chained: each record's hash
//! covers its fields and the previous record's hash, so editing or
//! deleting any row breaks the chain from there on (R-OP-2).
//!
//! Records are sealed with HMAC-SHA256 under an audit key that is kept
//! outside the database ([`AuditKeys`]): someone who can write the
//! database but does not hold the key cannot recompute the chain after an
//! edit. Each record names the key it used, so keys can rotate. Records
//! written before keys existed ([`LEGACY_KEY_ID`]) keep the unkeyed
//! SHA-256 of [`chain_hash`]. Signed [`Checkpoint`]s of the chain's head,
//! kept outside the database too, reveal a cut tail.
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;

/// Hash of the (empty) chain before the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The key id of records sealed the old, unkeyed way (SHA-256 only).
pub const LEGACY_KEY_ID: &str = "";

/// An audit key must have at least this many bytes.
pub const MIN_KEY_BYTES: usize = 32;

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

/// Feeds each part prefixed by its length, so that no two different
/// inputs serialize alike.
fn feed(update: &mut impl FnMut(&[u8]), parts: &[&[u8]]) {
    for p in parts {
        update(&(p.len() as u64).to_be_bytes());
        update(p);
    }
}

fn record_parts<'a>(
    prev: &'a str,
    r: &'a Record,
    seq: &'a [u8; 8],
    at: &'a [u8; 8],
) -> [&'a [u8]; 9] {
    [
        prev.as_bytes(),
        seq,
        at,
        r.actor.as_bytes(),
        r.action.as_bytes(),
        r.target.as_bytes(),
        r.ip.as_bytes(),
        r.request_id.as_bytes(),
        r.detail.as_bytes(),
    ]
}

/// The legacy, unkeyed scheme: SHA-256 over the previous hash and each
/// field. Anyone can recompute it; kept to verify records written before
/// audit keys existed.
pub fn chain_hash(prev: &str, r: &Record) -> String {
    let mut h = Sha256::new();
    let (seq, at) = (r.seq.to_be_bytes(), r.at.to_be_bytes());
    feed(&mut |b| h.update(b), &record_parts(prev, r, &seq, &at));
    hex::encode(h.finalize())
}

fn hmac(key: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length: this cannot fail.
    match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    }
}

/// The keyed scheme: HMAC-SHA256 under `key` over a domain tag, the key
/// id, the previous hash and each field.
pub fn keyed_hash(key: &[u8], key_id: &str, prev: &str, r: &Record) -> String {
    let mut m = hmac(key);
    let (seq, at) = (r.seq.to_be_bytes(), r.at.to_be_bytes());
    feed(
        &mut |b| m.update(b),
        &[b"motcua-audit-record-v1", key_id.as_bytes()],
    );
    feed(&mut |b| m.update(b), &record_parts(prev, r, &seq, &at));
    hex::encode(m.finalize().into_bytes())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("audit key id '{0}': use 1–32 characters a-z, 0-9, '-' or '_'")]
    BadId(String),
    #[error("audit key '{0}' is too short: at least {MIN_KEY_BYTES} bytes (64 hex characters)")]
    TooShort(String),
    #[error("audit active_key '{0}' is not among the configured keys")]
    NoActive(String),
    #[error("audit key '{0}' is not configured")]
    Unknown(String),
}

/// Is `id` a valid key id (also usable in an environment variable name)?
pub fn valid_key_id(id: &str) -> bool {
    (1..=32).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// The audit keys of a deployment: every key that sealed records still
/// to be verified, and the active one that seals new records and
/// checkpoints. The secrets never show in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct AuditKeys {
    active: String,
    keys: BTreeMap<String, Vec<u8>>,
}

impl fmt::Debug for AuditKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditKeys")
            .field("active", &self.active)
            .field("keys", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl AuditKeys {
    pub fn new(active: &str, keys: BTreeMap<String, Vec<u8>>) -> Result<AuditKeys, KeyError> {
        for (id, secret) in &keys {
            if !valid_key_id(id) {
                return Err(KeyError::BadId(id.clone()));
            }
            if secret.len() < MIN_KEY_BYTES {
                return Err(KeyError::TooShort(id.clone()));
            }
        }
        if !keys.contains_key(active) {
            return Err(KeyError::NoActive(active.to_string()));
        }
        Ok(AuditKeys {
            active: active.to_string(),
            keys,
        })
    }

    /// One key, active.
    pub fn single(id: &str, secret: &[u8]) -> Result<AuditKeys, KeyError> {
        AuditKeys::new(id, BTreeMap::from([(id.to_string(), secret.to_vec())]))
    }

    pub fn active(&self) -> &str {
        &self.active
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    fn secret(&self, id: &str) -> Result<&[u8], KeyError> {
        self.keys
            .get(id)
            .map(Vec::as_slice)
            .ok_or_else(|| KeyError::Unknown(id.to_string()))
    }

    /// Seals a new record with the active key: (key id, hash).
    pub fn seal(&self, prev: &str, r: &Record) -> (&str, String) {
        let secret = self
            .keys
            .get(&self.active)
            .map(Vec::as_slice)
            .unwrap_or_default();
        (&self.active, keyed_hash(secret, &self.active, prev, r))
    }

    /// The hash a record sealed under `key_id` must have
    /// ([`LEGACY_KEY_ID`]: the unkeyed scheme).
    pub fn hash(&self, key_id: &str, prev: &str, r: &Record) -> Result<String, KeyError> {
        if key_id == LEGACY_KEY_ID {
            return Ok(chain_hash(prev, r));
        }
        Ok(keyed_hash(self.secret(key_id)?, key_id, prev, r))
    }
}

/// A signed statement "on node `node`, at `at`, the chain's head was
/// record `seq` with hash `hash`", kept outside the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub node: String,
    pub seq: i64,
    pub hash: String,
    pub at: i64,
    pub key_id: String,
    pub mac: String,
}

const CHECKPOINT_TAG: &str = "motcua-audit-checkpoint/1";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("not a checkpoint line")]
    Malformed,
    #[error("signed with audit key '{0}', which is not configured")]
    UnknownKey(String),
    #[error("signature does not match (the line was edited or forged)")]
    BadMac,
}

/// Is `node` usable as a node id (no spaces, fits a file name)?
pub fn valid_node_id(node: &str) -> bool {
    (1..=64).contains(&node.len())
        && node
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

impl Checkpoint {
    fn mac_of(secret: &[u8], node: &str, seq: i64, hash: &str, at: i64, key_id: &str) -> String {
        let mut m = hmac(secret);
        feed(
            &mut |b| m.update(b),
            &[
                CHECKPOINT_TAG.as_bytes(),
                node.as_bytes(),
                &seq.to_be_bytes(),
                hash.as_bytes(),
                &at.to_be_bytes(),
                key_id.as_bytes(),
            ],
        );
        hex::encode(m.finalize().into_bytes())
    }

    /// Signs the head (`seq`, `hash`) seen on `node` at `at` with the
    /// active key.
    pub fn sign(keys: &AuditKeys, node: &str, seq: i64, hash: &str, at: i64) -> Checkpoint {
        let key_id = keys.active().to_string();
        let secret = keys.secret(&key_id).unwrap_or_default();
        Checkpoint {
            node: node.to_string(),
            seq,
            hash: hash.to_string(),
            at,
            mac: Checkpoint::mac_of(secret, node, seq, hash, at, &key_id),
            key_id,
        }
    }

    /// Checks the signature with the configured keys.
    pub fn check(&self, keys: &AuditKeys) -> Result<(), CheckpointError> {
        let secret = keys
            .secret(&self.key_id)
            .map_err(|_| CheckpointError::UnknownKey(self.key_id.clone()))?;
        let mut m = hmac(secret);
        feed(
            &mut |b| m.update(b),
            &[
                CHECKPOINT_TAG.as_bytes(),
                self.node.as_bytes(),
                &self.seq.to_be_bytes(),
                self.hash.as_bytes(),
                &self.at.to_be_bytes(),
                self.key_id.as_bytes(),
            ],
        );
        let mac = hex::decode(&self.mac).map_err(|_| CheckpointError::BadMac)?;
        m.verify_slice(&mac).map_err(|_| CheckpointError::BadMac)
    }

    /// One line of a checkpoint file (no newline).
    pub fn to_line(&self) -> String {
        format!(
            "{CHECKPOINT_TAG} node={} seq={} hash={} at={} key={} mac={}",
            self.node, self.seq, self.hash, self.at, self.key_id, self.mac
        )
    }

    pub fn parse_line(line: &str) -> Result<Checkpoint, CheckpointError> {
        let mut parts = line.split(' ');
        if parts.next() != Some(CHECKPOINT_TAG) {
            return Err(CheckpointError::Malformed);
        }
        let mut field = |name: &str| {
            parts
                .next()
                .and_then(|p| p.strip_prefix(name))
                .and_then(|p| p.strip_prefix('='))
                .map(str::to_string)
                .ok_or(CheckpointError::Malformed)
        };
        let node = field("node")?;
        let seq = field("seq")?
            .parse()
            .map_err(|_| CheckpointError::Malformed)?;
        let hash = field("hash")?;
        let at = field("at")?
            .parse()
            .map_err(|_| CheckpointError::Malformed)?;
        let key_id = field("key")?;
        let mac = field("mac")?;
        if parts.next().is_some() || !valid_node_id(&node) {
            return Err(CheckpointError::Malformed);
        }
        Ok(Checkpoint {
            node,
            seq,
            hash,
            at,
            key_id,
            mac,
        })
    }
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

    fn keys() -> AuditKeys {
        AuditKeys::new(
            "k2",
            BTreeMap::from([
                ("k1".to_string(), vec![1u8; 32]),
                ("k2".to_string(), vec![2u8; 32]),
            ]),
        )
        .unwrap()
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

    #[test]
    fn the_legacy_hash_is_unchanged() {
        // Records written before keys existed must still verify: the
        // unkeyed scheme may never change.
        assert_eq!(
            chain_hash(GENESIS, &rec("d")),
            "65095522c8c341b99aa9952c39d149b34bf22884ee1eb4772db69ab2be65003a"
        );
    }

    #[test]
    fn keyed_hash_depends_on_key_and_key_id_and_differs_from_legacy() {
        let k = keys();
        let r = rec("d");
        let (id, h) = k.seal(GENESIS, &r);
        assert_eq!(id, "k2");
        assert_eq!(k.hash("k2", GENESIS, &r), Ok(h.clone()));
        assert_ne!(k.hash("k1", GENESIS, &r).unwrap(), h, "other key");
        assert_ne!(chain_hash(GENESIS, &r), h, "unkeyed");
        assert_eq!(
            k.hash(LEGACY_KEY_ID, GENESIS, &r),
            Ok(chain_hash(GENESIS, &r))
        );
        // The same secret under another id seals differently.
        assert_ne!(keyed_hash(&[2u8; 32], "k3", GENESIS, &r), h);
        assert_ne!(k.hash("k2", GENESIS, &rec("e")).unwrap(), h, "field");
        assert_eq!(
            k.hash("k9", GENESIS, &r),
            Err(KeyError::Unknown("k9".into()))
        );
    }

    #[test]
    fn bad_key_sets_are_refused() {
        let one = |id: &str, len: usize| BTreeMap::from([(id.to_string(), vec![7u8; len])]);
        assert_eq!(
            AuditKeys::new("k1", one("k1", 31)),
            Err(KeyError::TooShort("k1".into()))
        );
        assert_eq!(
            AuditKeys::new("K1", one("K1", 32)),
            Err(KeyError::BadId("K1".into()))
        );
        assert_eq!(
            AuditKeys::new("k2", one("k1", 32)),
            Err(KeyError::NoActive("k2".into()))
        );
        assert_eq!(
            AuditKeys::new("", BTreeMap::new()),
            Err(KeyError::NoActive("".into()))
        );
        // Secrets never show.
        let d = format!("{:?}", AuditKeys::single("k1", &[0xab; 32]).unwrap());
        assert!(
            d.contains("k1") && !d.contains("171") && !d.contains("ab"),
            "{d}"
        );
    }

    #[test]
    fn checkpoints_round_trip_and_detect_any_change() {
        let k = keys();
        let cp = Checkpoint::sign(&k, "node-1", 42, &"ab".repeat(32), 1_800_000_000_000);
        assert_eq!(cp.key_id, "k2");
        let line = cp.to_line();
        assert!(!line.contains('\n'));
        let back = Checkpoint::parse_line(&line).unwrap();
        assert_eq!(back, cp);
        assert_eq!(back.check(&k), Ok(()));

        for (from, to) in [
            ("seq=42", "seq=41"),
            ("node=node-1", "node=node-2"),
            ("at=1800000000000", "at=1800000000001"),
            (
                &format!("hash={}", "ab".repeat(32)),
                &format!("hash={}", "cd".repeat(32)),
            ),
            ("key=k2", "key=k1"),
        ] {
            let forged = Checkpoint::parse_line(&line.replace(from, to)).unwrap();
            assert_eq!(forged.check(&k), Err(CheckpointError::BadMac), "{from}");
        }
        // A checkpoint recomputed without the key does not pass either.
        let other = AuditKeys::single("k2", &[9u8; 32]).unwrap();
        let forged = Checkpoint::sign(&other, "node-1", 41, &cp.hash, cp.at);
        assert_eq!(forged.check(&k), Err(CheckpointError::BadMac));
        // Only the key that signed is needed.
        let only_k1 = AuditKeys::single("k1", &[1u8; 32]).unwrap();
        assert_eq!(
            cp.check(&only_k1),
            Err(CheckpointError::UnknownKey("k2".into()))
        );

        for bad in [
            "",
            "garbage",
            &line.replace("seq=42", "seq=x"),
            &format!("{line} extra=1"),
            &line.replace(" mac=", " mac2="),
        ] {
            assert_eq!(
                Checkpoint::parse_line(bad),
                Err(CheckpointError::Malformed),
                "{bad}"
            );
        }
    }
}
