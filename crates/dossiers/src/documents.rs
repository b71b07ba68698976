//! The personal document store (kho dữ liệu điện tử; R-PS-3, R-ID-15,
//! R-PS-14): the files a person submitted with a dossier, and the result
//! documents agencies return, kept for their holder, who can attach one to
//! a new dossier instead of uploading it again — the attachment is marked
//! as reused (as the national sync expects) and keeps its content.
//! Removing a document from the store leaves the dossiers that used it
//! untouched (they keep their own copy of the reference).
use crate::store::documents as store;
pub use crate::store::documents::DocumentRow;
use motcua_domain::Millis;
use motcua_kernel::service::{Origin, Result, ServiceError};
use motcua_kernel::Core;
use sqlx::AnyConnection;

/// At most this many documents are listed for choosing.
pub const LIST_LIMIT: i64 = 500;

/// Kinds of documents.
pub const SUBMITTED: &str = "submitted";
pub const RESULT: &str = "result";

/// What a document is, to keep (in the caller's transaction).
pub struct Keep<'a> {
    pub account_id: i64,
    pub kind: &'a str,
    pub title: &'a str,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub size: i64,
    pub sha256: &'a str,
    pub dossier_code: &'a str,
}

/// Keeps a document for its holder, in the caller's transaction (a
/// submission keeps the files it sends; a result keeps its documents).
/// The same content kept before stays as it was.
pub async fn keep(tx: &mut AnyConnection, k: &Keep<'_>, now: Millis) -> Result<bool> {
    Ok(store::keep(
        tx,
        &DocumentRow {
            id: 0,
            account_id: k.account_id,
            kind: k.kind.into(),
            title: k.title.into(),
            file_name: k.file_name.into(),
            content_type: k.content_type.into(),
            size: k.size,
            sha256: k.sha256.into(),
            dossier_code: k.dossier_code.into(),
            created_at: now,
        },
    )
    .await?)
}

/// The holder's documents, newest first.
pub async fn list(core: &Core, account_id: i64) -> Result<Vec<DocumentRow>> {
    let mut c = core.store.conn().await?;
    Ok(store::of_account(&mut c, account_id, LIST_LIMIT).await?)
}

/// One of the holder's documents; anyone else's is `NotFound`.
pub async fn get(core: &Core, account_id: i64, id: i64) -> Result<DocumentRow> {
    let mut c = core.store.conn().await?;
    store::get(&mut c, account_id, id)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// One of the holder's documents with its bytes.
pub async fn download(core: &Core, account_id: i64, id: i64) -> Result<(DocumentRow, Vec<u8>)> {
    let mut c = core.store.conn().await?;
    let d = store::get(&mut c, account_id, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let blob = motcua_kernel::blobs::fetch(core, &mut c, &d.sha256)
        .await?
        .ok_or_else(|| ServiceError::Internal(format!("document {} missing", d.sha256)))?;
    Ok((d, blob.data))
}

/// Removes one of the holder's documents from the store (audited).
pub async fn remove(core: &Core, origin: &Origin, account_id: i64, id: i64) -> Result<()> {
    let now = core.now();
    let mut tx = core.store.begin().await?;
    if !store::delete(&mut tx, account_id, id).await? {
        return Err(ServiceError::NotFound);
    }
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "dossiers.document_remove",
        &format!("account:{account_id}"),
        &serde_json::json!({ "document": id }).to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
