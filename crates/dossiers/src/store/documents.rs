//! The personal document store (`personal_documents`) and the signatures
//! kept with signed dossiers (`dossier_signatures`).
use motcua_domain::Millis;
use motcua_store::Result;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// One document kept for its holder; the bytes are in the blob store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRow {
    pub id: i64,
    pub account_id: i64,
    /// `submitted` (attached to a dossier the holder submitted) or
    /// `result` (a result document an agency returned).
    pub kind: String,
    /// What it is: the dossier component's or the result's name.
    pub title: String,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    /// The dossier it came with.
    pub dossier_code: String,
    pub created_at: Millis,
}

const COLS: &str =
    "id, account_id, kind, title, file_name, content_type, size, sha256, dossier_code, created_at";

fn row(r: &AnyRow) -> Result<DocumentRow> {
    Ok(DocumentRow {
        id: r.try_get("id")?,
        account_id: r.try_get("account_id")?,
        kind: r.try_get("kind")?,
        title: r.try_get("title")?,
        file_name: r.try_get("file_name")?,
        content_type: r.try_get("content_type")?,
        size: r.try_get("size")?,
        sha256: r.try_get("sha256")?,
        dossier_code: r.try_get("dossier_code")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Keeps a document; the same content kept before for this holder stays
/// as it was (one entry per content). True when a new entry was made.
pub async fn keep(c: &mut AnyConnection, d: &DocumentRow) -> Result<bool> {
    let r = sqlx::query(
        "INSERT INTO personal_documents (account_id, kind, title, file_name, content_type, size, sha256, dossier_code, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (account_id, sha256) DO NOTHING",
    )
    .bind(d.account_id)
    .bind(&d.kind)
    .bind(&d.title)
    .bind(&d.file_name)
    .bind(&d.content_type)
    .bind(d.size)
    .bind(&d.sha256)
    .bind(&d.dossier_code)
    .bind(d.created_at)
    .execute(&mut *c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The holder's documents, newest first (at most `limit`).
pub async fn of_account(
    c: &mut AnyConnection,
    account_id: i64,
    limit: i64,
) -> Result<Vec<DocumentRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM personal_documents WHERE account_id = $1 ORDER BY id DESC LIMIT $2"
    )))
    .bind(account_id)
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(row).collect()
}

/// One of the holder's documents.
pub async fn get(c: &mut AnyConnection, account_id: i64, id: i64) -> Result<Option<DocumentRow>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM personal_documents WHERE account_id = $1 AND id = $2"
    )))
    .bind(account_id)
    .bind(id)
    .fetch_optional(&mut *c)
    .await?;
    r.as_ref().map(row).transpose()
}

/// Removes one of the holder's documents from the store (dossiers that
/// used it keep their copy); false when there is none of that id.
pub async fn delete(c: &mut AnyConnection, account_id: i64, id: i64) -> Result<bool> {
    let r = sqlx::query("DELETE FROM personal_documents WHERE account_id = $1 AND id = $2")
        .bind(account_id)
        .bind(id)
        .execute(&mut *c)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// A signature kept with a dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureRow {
    pub dossier_id: i64,
    pub digest: String,
    pub signed_text: String,
    pub signature: String,
    pub certificate: String,
    pub signer: String,
    pub issuer_dn: String,
    pub serial_hex: String,
    pub method: String,
    pub signed_at: Millis,
}

pub async fn insert_signature(c: &mut AnyConnection, s: &SignatureRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO dossier_signatures (dossier_id, digest, signed_text, signature, certificate, signer, issuer_dn, serial_hex, method, signed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(s.dossier_id)
    .bind(&s.digest)
    .bind(&s.signed_text)
    .bind(&s.signature)
    .bind(&s.certificate)
    .bind(&s.signer)
    .bind(&s.issuer_dn)
    .bind(&s.serial_hex)
    .bind(&s.method)
    .bind(s.signed_at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

pub async fn signature(c: &mut AnyConnection, dossier_id: i64) -> Result<Option<SignatureRow>> {
    let r = sqlx::query(
        "SELECT dossier_id, digest, signed_text, signature, certificate, signer, issuer_dn, serial_hex, method, signed_at \
         FROM dossier_signatures WHERE dossier_id = $1",
    )
    .bind(dossier_id)
    .fetch_optional(&mut *c)
    .await?;
    r.map(|r| {
        Ok(SignatureRow {
            dossier_id: r.try_get("dossier_id")?,
            digest: r.try_get("digest")?,
            signed_text: r.try_get("signed_text")?,
            signature: r.try_get("signature")?,
            certificate: r.try_get("certificate")?,
            signer: r.try_get("signer")?,
            issuer_dn: r.try_get("issuer_dn")?,
            serial_hex: r.try_get("serial_hex")?,
            method: r.try_get("method")?,
            signed_at: r.try_get("signed_at")?,
        })
    })
    .transpose()
}

/// Removes the signature kept with a dossier (its content changed).
pub async fn delete_signature(c: &mut AnyConnection, dossier_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM dossier_signatures WHERE dossier_id = $1")
        .bind(dossier_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// The holder's documents of `kind` from dossier `code`, oldest first.
pub async fn of_dossier(
    c: &mut AnyConnection,
    account_id: i64,
    code: &str,
    kind: &str,
) -> Result<Vec<DocumentRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM personal_documents WHERE account_id = $1 AND dossier_code = $2 AND kind = $3 ORDER BY id LIMIT 100"
    )))
    .bind(account_id)
    .bind(code)
    .bind(kind)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(row).collect()
}
