//! Uploaded documents (business registration PDFs, provisioning lists),
//! stored once per content: the key is the SHA-256 of the bytes, so the
//! same file uploaded twice is kept once and a stored file cannot change
//! under its key. Kept in the database so every app node serves them.
use crate::Result;
use motcua_domain::Millis;
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub sha256: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

pub fn digest(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Stores the bytes (once) and returns their SHA-256 key.
pub async fn put(
    c: &mut AnyConnection,
    content_type: &str,
    data: &[u8],
    now: Millis,
) -> Result<String> {
    let key = digest(data);
    sqlx::query(
        "INSERT INTO attachments (sha256, content_type, size, data, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(&key)
    .bind(content_type)
    .bind(data.len() as i64)
    .bind(data.to_vec())
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(key)
}

pub async fn get(c: &mut AnyConnection, sha256: &str) -> Result<Option<Attachment>> {
    let r = sqlx::query("SELECT sha256, content_type, data FROM attachments WHERE sha256 = $1")
        .bind(sha256)
        .fetch_optional(&mut *c)
        .await?;
    r.map(|r| {
        Ok(Attachment {
            sha256: r.try_get("sha256")?,
            content_type: r.try_get("content_type")?,
            data: r.try_get("data")?,
        })
    })
    .transpose()
}
