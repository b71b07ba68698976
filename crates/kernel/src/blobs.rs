//! The blob store (issue #6): uploaded documents, sealed notices and, from
//! the public-services issues on, dossier files. Bytes live behind the
//! `object_store` crate — a local directory by default, an S3-compatible
//! bucket when several nodes serve the portal — and the database keeps only
//! what describes them (the `attachments` row: key, type, size).
//!
//! Content-addressed: a blob's key is the SHA-256 of its bytes, so the same
//! file uploaded twice is kept once, and a stored blob cannot change under
//! its key — [`Blobs::get`] recomputes the digest and refuses bytes that do
//! not match it ([`BlobError::Corrupt`]), whatever happened to the disk or
//! the bucket.
//!
//! Order of writes: a blob is written before the database row that names
//! it. A crash or a rollback between the two leaves an unreferenced blob,
//! never a row without its bytes. [`collect_garbage`] deletes unreferenced
//! blobs older than a grace period; every [`Blobs::put`] rewrites the
//! bytes, so a blob about to be named by a new row is always young and
//! the collector cannot take it from under the upload.
//!
//! [`move_out_of_database`] is the migration of the rows written before the
//! blob store existed (bytes in `attachments.data`): it copies each to the
//! blob store, reads it back, then marks the row — crash-safe and
//! idempotent, run at every start.
use crate::service::ServiceError;
use crate::Core;
use motcua_domain::Millis;
use motcua_store::attachments;
use motcua_store::{AnyConnection, Store};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload};
use std::path::PathBuf;
use std::sync::Arc;

/// Where blobs are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobSettings {
    /// A directory of this node (created if missing). Enough for one node;
    /// several nodes need a shared directory or S3.
    Local { dir: PathBuf },
    /// An S3-compatible bucket (AWS S3, MinIO, Ceph RGW, …).
    S3(S3Settings),
}

#[derive(Clone, PartialEq, Eq)]
pub struct S3Settings {
    /// Custom endpoint (`http://minio.internal:9000`); `None`: AWS.
    pub endpoint: Option<String>,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Every key is put under this prefix (`""`: none).
    pub prefix: String,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"[redacted]")
            .field("prefix", &self.prefix)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob {0} not found")]
    NotFound(String),
    /// The bytes under a key do not hash to it.
    #[error("blob {0} is corrupt: its bytes do not match its SHA-256")]
    Corrupt(String),
    #[error("not a SHA-256 key: {0:?}")]
    BadKey(String),
    #[error("blob store: {0}")]
    Backend(#[from] object_store::Error),
    #[error("blob store settings: {0}")]
    Settings(String),
}

impl From<BlobError> for ServiceError {
    fn from(e: BlobError) -> Self {
        ServiceError::Internal(e.to_string())
    }
}

/// The hex SHA-256 of `data`: the key it is stored under.
pub fn digest(data: &[u8]) -> String {
    motcua_domain::token::sha256_hex_bytes(data)
}

fn is_key(k: &str) -> bool {
    k.len() == 64 && k.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The blob store of this portal. Cheap to clone.
#[derive(Clone)]
pub struct Blobs {
    inner: Arc<dyn ObjectStore>,
    prefix: String,
    kind: &'static str,
}

impl std::fmt::Debug for Blobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blobs")
            .field("kind", &self.kind)
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl Blobs {
    /// Opens the store the settings name. Does no I/O beyond creating the
    /// local directory: [`Blobs::check`] proves it usable.
    pub fn open(s: &BlobSettings) -> Result<Blobs, BlobError> {
        match s {
            BlobSettings::Local { dir } => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    BlobError::Settings(format!("cannot create {}: {e}", dir.display()))
                })?;
                let fs = object_store::local::LocalFileSystem::new_with_prefix(dir)?;
                Ok(Blobs {
                    inner: Arc::new(fs),
                    prefix: String::new(),
                    kind: "local",
                })
            }
            BlobSettings::S3(s3) => {
                if s3.bucket.is_empty() {
                    return Err(BlobError::Settings("the S3 bucket is empty".into()));
                }
                let mut b = object_store::aws::AmazonS3Builder::new()
                    .with_bucket_name(&s3.bucket)
                    .with_region(&s3.region)
                    .with_access_key_id(&s3.access_key_id)
                    .with_secret_access_key(&s3.secret_access_key);
                if let Some(e) = &s3.endpoint {
                    b = b
                        .with_endpoint(e)
                        .with_allow_http(e.starts_with("http://"))
                        .with_virtual_hosted_style_request(false);
                }
                Ok(Blobs {
                    inner: Arc::new(b.build()?),
                    prefix: s3.prefix.trim_matches('/').to_string(),
                    kind: "s3",
                })
            }
        }
    }

    /// `"local"` or `"s3"`.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// `rel` under the configured prefix.
    fn under_prefix(&self, rel: &str) -> ObjectPath {
        if self.prefix.is_empty() {
            ObjectPath::from(rel)
        } else {
            ObjectPath::from(format!("{}/{rel}", self.prefix))
        }
    }

    /// `sha256/ab/abcdef…`: a fan-out directory keeps local directories small.
    fn path(&self, key: &str) -> ObjectPath {
        self.under_prefix(&format!("sha256/{}/{key}", &key[..2]))
    }

    /// Stores `data` and returns its key. The bytes are written even when
    /// the key exists: that repairs a corrupt copy and makes the blob young
    /// again, which the garbage collector's grace period relies on. Same
    /// key, same bytes: concurrent writers of one content write the same
    /// thing, so no lock is needed.
    pub async fn put(&self, data: &[u8]) -> Result<String, BlobError> {
        let key = digest(data);
        self.inner
            .put(&self.path(&key), PutPayload::from(data.to_vec()))
            .await?;
        Ok(key)
    }

    /// Proves the store usable at start: writes, reads back and deletes a
    /// probe object (`[prefix/]probe/<random>`). A missing bucket, refused
    /// credentials or a read-only directory fail here, not at the first
    /// upload.
    pub async fn check(&self) -> Result<(), BlobError> {
        let path = self.under_prefix(&format!("probe/{}", motcua_domain::token::random_token()));
        self.inner
            .put(&path, PutPayload::from_static(b"motcua"))
            .await?;
        let back = self.inner.get(&path).await?.bytes().await?;
        self.inner.delete(&path).await?;
        if back.as_ref() != b"motcua" {
            return Err(BlobError::Settings(
                "the blob store returned other bytes than were written".into(),
            ));
        }
        Ok(())
    }

    /// The bytes under `key`, checked against it.
    pub async fn get(&self, key: &str) -> Result<Vec<u8>, BlobError> {
        if !is_key(key) {
            return Err(BlobError::BadKey(key.to_string()));
        }
        let r = match self.inner.get(&self.path(key)).await {
            Ok(r) => r,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(BlobError::NotFound(key.to_string()))
            }
            Err(e) => return Err(e.into()),
        };
        let bytes = r.bytes().await?.to_vec();
        if digest(&bytes) != key {
            return Err(BlobError::Corrupt(key.to_string()));
        }
        Ok(bytes)
    }

    /// Whether a blob is stored under `key`.
    pub async fn exists(&self, key: &str) -> Result<bool, BlobError> {
        if !is_key(key) {
            return Err(BlobError::BadKey(key.to_string()));
        }
        match self.inner.head(&self.path(key)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Replaces the bytes under `key` with `data`, whatever they hash to:
    /// for tests that prove corruption is detected.
    #[doc(hidden)]
    pub async fn overwrite_for_tests(&self, key: &str, data: &[u8]) -> Result<(), BlobError> {
        self.inner
            .put(&self.path(key), PutPayload::from(data.to_vec()))
            .await?;
        Ok(())
    }
}

/// What one [`collect_garbage`] run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GcReport {
    /// Blobs looked at.
    pub scanned: u64,
    /// Named by an `attachments` row: kept.
    pub referenced: u64,
    /// Unreferenced but younger than the grace period: kept.
    pub young: u64,
    /// Unreferenced and old: deleted.
    pub deleted: u64,
    /// Objects under `sha256/` whose name is no key: left alone.
    pub foreign: u64,
}

/// Deletes the blobs that no `attachments` row names and that were last
/// written before `older_than` (ms since the epoch; give now minus a grace
/// period longer than any upload transaction, e.g. a day). Objects that are
/// not blobs are never touched. Meant to run beside serving nodes: an
/// upload rewrites its blob before recording it (so it is young), rows are
/// never deleted (a referenced blob stays referenced), and each blob's time
/// is read again just before it is deleted. What remains: an upload of the
/// very same bytes as an old orphan that lands between that read and the
/// delete (one round-trip) loses its copy — the document then reads as
/// missing, never as other bytes. Run it off-hours.
pub async fn collect_garbage(
    store: &Store,
    blobs: &Blobs,
    older_than: Millis,
) -> Result<GcReport, ServiceError> {
    use futures::TryStreamExt;
    let mut report = GcReport::default();
    let mut listing = blobs.inner.list(Some(&blobs.under_prefix("sha256")));
    while let Some(meta) = listing.try_next().await.map_err(BlobError::from)? {
        report.scanned += 1;
        let key = meta.location.filename().unwrap_or_default().to_string();
        if !is_key(&key) || meta.location != blobs.path(&key) {
            report.foreign += 1;
            continue;
        }
        let referenced = {
            let mut c = store.conn().await?;
            attachments::is_recorded(&mut c, &key).await?
        };
        if referenced {
            report.referenced += 1;
            continue;
        }
        // The listing may be minutes old: read the blob's time again just
        // before deciding (an upload of the same bytes rewrote it?).
        let written = match blobs.inner.head(&meta.location).await {
            Ok(m) => m.last_modified.timestamp_millis(),
            Err(object_store::Error::NotFound { .. }) => continue,
            Err(e) => return Err(BlobError::from(e).into()),
        };
        if written >= older_than {
            report.young += 1;
        } else {
            blobs
                .inner
                .delete(&meta.location)
                .await
                .map_err(BlobError::from)?;
            report.deleted += 1;
        }
    }
    Ok(report)
}

/// A stored document with its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub sha256: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// Stores `data` in the blob store, then records it in the caller's
/// transaction; returns its key. Call it before the row that refers to
/// the key, in the same transaction.
pub async fn store(
    core: &Core,
    c: &mut AnyConnection,
    content_type: &str,
    data: &[u8],
    now: Millis,
) -> Result<String, ServiceError> {
    let key = core.blobs.put(data).await?;
    attachments::record(c, &key, content_type, data.len() as i64, now).await?;
    Ok(key)
}

/// The document stored under `sha256`, if it is recorded: its bytes come
/// from the database (rows not yet moved) or from the blob store.
pub async fn fetch(
    core: &Core,
    c: &mut AnyConnection,
    sha256: &str,
) -> Result<Option<Attachment>, ServiceError> {
    let Some(s) = attachments::get(c, sha256).await? else {
        return Ok(None);
    };
    let data = match s.data {
        Some(d) => d,
        None => core.blobs.get(&s.sha256).await?,
    };
    Ok(Some(Attachment {
        sha256: s.sha256,
        content_type: s.content_type,
        data,
    }))
}

/// Moves the bytes of every row still held in the database to the blob
/// store, listing `batch` rows at a time and marking each in its own
/// transaction; returns how many moved. Each blob
/// is written and read back before its row is marked, so an interrupted
/// run loses nothing and the next run goes on where it stopped.
pub async fn move_out_of_database(
    store: &Store,
    blobs: &Blobs,
    batch: i64,
) -> Result<u64, ServiceError> {
    let mut moved = 0u64;
    loop {
        let keys = {
            let mut c = store.conn().await?;
            attachments::held_in_database(&mut c, batch.max(1)).await?
        };
        if keys.is_empty() {
            return Ok(moved);
        }
        for key in keys {
            let data = {
                let mut c = store.conn().await?;
                attachments::get(&mut c, &key).await?.and_then(|s| s.data)
            };
            let Some(data) = data else { continue };
            if digest(&data) != key {
                return Err(BlobError::Corrupt(key).into());
            }
            blobs.put(&data).await?;
            blobs.get(&key).await?;
            let mut tx = store.begin().await?;
            if attachments::mark_moved(&mut tx, &key).await? {
                moved += 1;
            }
            tx.commit().await?;
        }
    }
}
