//! `Idempotency-Key` on every write (the IETF httpapi draft's rules): a
//! retry with the same key and the same request gets the first answer
//! again without doing anything twice; the same key with another request
//! is refused (422); a retry while the first is still running is told to
//! wait (409).
//!
//! The key is claimed **before** the work (an insert on the key's primary
//! key: of two concurrent requests one wins), and the answer stored after
//! it. A claim whose work never finished (the node stopped in between) is
//! taken over after [`STALE`]: the use cases behind the keys are
//! themselves safe to redo (an upsert by code, an entry already recorded
//! is skipped), so a takeover cannot apply a change twice.
use crate::store::idempotency as store;
use motcua_domain::{Millis, SECOND};
use motcua_kernel::service::Result;
use motcua_kernel::Core;
use sha2::{Digest, Sha256};

/// A claim older than this with no answer is taken over.
pub const STALE: Millis = 60 * SECOND;

/// What claiming a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// New (or stale): do the work, then [`finish`] (or [`release`]).
    Fresh,
    /// Done before with this request: the stored status and body.
    Replay(u16, String),
    /// The key was used for another request.
    Mismatch,
    /// The first request with this key is still running.
    InFlight,
}

/// A key a client may send: 1–255 visible ASCII characters.
pub fn valid_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= 255 && key.bytes().all(|b| b.is_ascii_graphic())
}

/// The fingerprint of a request: method, path and body.
pub fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    h.update([0]);
    h.update(body);
    hex::encode(h.finalize())
}

/// Claims `key` of `client` for the request `hash` at `now`.
pub async fn claim(core: &Core, client: &str, key: &str, hash: &str, now: Millis) -> Result<Claim> {
    let mut c = core.store.conn().await?;
    if store::insert(&mut c, client, key, hash, now).await? {
        return Ok(Claim::Fresh);
    }
    let Some(row) = store::get(&mut c, client, key).await? else {
        // Purged in between: claim again.
        return Ok(if store::insert(&mut c, client, key, hash, now).await? {
            Claim::Fresh
        } else {
            Claim::InFlight
        });
    };
    if row.request_hash != hash {
        return Ok(Claim::Mismatch);
    }
    if row.status > 0 {
        return Ok(Claim::Replay(
            u16::try_from(row.status).unwrap_or(200),
            row.body,
        ));
    }
    if row.created_at + STALE <= now
        && store::take_over(&mut c, client, key, row.created_at, now).await?
    {
        return Ok(Claim::Fresh);
    }
    Ok(Claim::InFlight)
}

/// Stores the answer of a claimed key.
pub async fn finish(core: &Core, client: &str, key: &str, status: u16, body: &str) -> Result<()> {
    let mut c = core.store.conn().await?;
    store::finish(&mut c, client, key, i64::from(status), body).await?;
    Ok(())
}

/// Gives a claimed key back (the work failed on our side: a retry may
/// do it).
pub async fn release(core: &Core, client: &str, key: &str) -> Result<()> {
    let mut c = core.store.conn().await?;
    store::release(&mut c, client, key).await?;
    Ok(())
}
