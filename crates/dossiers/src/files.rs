//! Files attached to a draft, per dossier component of the procedure
//! (R-PS-3): accepted by content, never by name — PDF (`%PDF-` … `%%EOF`),
//! JPEG and PNG by their signatures — within the size limit
//! (`Settings::max_upload_bytes`), at most `MAX_FILES` per draft, stored
//! content-addressed in the blob store. A refused file is named with its
//! component and changes nothing else in the draft.
use crate::drafts::{self, Draft};
use crate::store::drafts as draft_store;
use crate::store::files as store;
pub use crate::store::files::FileRow;
use crate::Rules;
use motcua_kernel::service::{Origin, Result, ServiceError};
use motcua_kernel::Core;

/// At most this many files per draft.
pub const MAX_FILES: i64 = 50;

/// One dossier component a file may be attached to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// The component's code in the record, or its place (`tp1-2`).
    pub key: String,
    /// The case it belongs to (`""`: every case).
    pub case: String,
    pub name: String,
    /// The template form's name and address, when the record gives one.
    pub template: String,
    pub url: String,
    pub originals: i64,
    pub copies: i64,
}

/// The components of the procedure version a draft was started under.
pub async fn components(core: &Core, draft: &Draft) -> Result<Vec<Component>> {
    components_of(core, &draft.row.procedure_code, draft.row.procedure_version).await
}

/// The dossier components of version `version` of procedure `code`.
pub async fn components_of(core: &Core, code: &str, version: i64) -> Result<Vec<Component>> {
    let entry = motcua_catalog::queries::version(core, code, version)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut out = Vec::new();
    for (ci, c) in entry.record.components.iter().enumerate() {
        for (di, d) in c.documents.iter().enumerate() {
            out.push(Component {
                key: if d.code.trim().is_empty() {
                    format!("tp{}-{}", ci + 1, di + 1)
                } else {
                    d.code.trim().to_string()
                },
                case: c.case.clone(),
                name: d.name.clone(),
                template: d.template.clone(),
                url: d.url.clone(),
                originals: d.originals,
                copies: d.copies,
            });
        }
    }
    Ok(out)
}

/// What a file's bytes are, by content: the MIME type, or `None`.
pub fn kind_of(data: &[u8]) -> Option<&'static str> {
    if data.starts_with(b"%PDF-") {
        // A PDF ends with %%EOF (possibly followed by whitespace); a file
        // that merely begins like one is not accepted.
        let tail = &data[data.len().saturating_sub(1024)..];
        return tail
            .windows(5)
            .any(|w| w == b"%%EOF")
            .then_some("application/pdf");
    }
    if data.len() > 3 && data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some("image/jpeg");
    }
    if data.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        return Some("image/png");
    }
    None
}

/// Why a file was refused (the page names the component with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Empty,
    TooLarge,
    WrongType,
    TooMany,
    UnknownComponent,
}

impl Refusal {
    pub fn key(self) -> &'static str {
        match self {
            Refusal::Empty => "dossiers.file_empty",
            Refusal::TooLarge => "dossiers.file_too_large",
            Refusal::WrongType => "dossiers.file_wrong_type",
            Refusal::TooMany => "dossiers.file_too_many",
            Refusal::UnknownComponent => "dossiers.file_component",
        }
    }
}

/// A file name as shown and stored: the last path segment, no control
/// characters, at most 200 characters.
fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if cleaned.trim().is_empty() {
        "tep-dinh-kem".into()
    } else {
        cleaned.trim().to_string()
    }
}

/// Attaches `data` to component `component` of the holder's open draft.
#[allow(clippy::too_many_arguments)]
pub async fn attach(
    core: &Core,
    origin: &Origin,
    rules: &Rules,
    account_id: i64,
    public_id: &str,
    component: &str,
    file_name: &str,
    data: &[u8],
) -> Result<std::result::Result<i64, Refusal>> {
    let draft = drafts::get(core, account_id, public_id).await?;
    if draft.row.status != "open" {
        return Err(ServiceError::Conflict("dossiers.error_draft_closed"));
    }
    if !components(core, &draft)
        .await?
        .iter()
        .any(|c| c.key == component)
    {
        return Ok(Err(Refusal::UnknownComponent));
    }
    if data.is_empty() {
        return Ok(Err(Refusal::Empty));
    }
    if data.len() > core.config.max_upload_bytes {
        return Ok(Err(Refusal::TooLarge));
    }
    let Some(content_type) = kind_of(data) else {
        return Ok(Err(Refusal::WrongType));
    };
    let now = core.now();
    let file = FileRow {
        id: 0,
        draft_id: draft.row.id,
        component: component.to_string(),
        file_name: clean_name(file_name),
        content_type: content_type.to_string(),
        size: data.len() as i64,
        sha256: String::new(),
        created_at: now,
        reused_from: None,
    };
    add(core, origin, rules, &draft, account_id, file, Some(data)).await
}

/// Attaches the holder's document `document_id` from their document store
/// to component `component` of their open draft, marked as reused.
pub async fn reuse(
    core: &Core,
    origin: &Origin,
    rules: &Rules,
    account_id: i64,
    public_id: &str,
    component: &str,
    document_id: i64,
) -> Result<std::result::Result<i64, Refusal>> {
    let draft = drafts::get(core, account_id, public_id).await?;
    if draft.row.status != "open" {
        return Err(ServiceError::Conflict("dossiers.error_draft_closed"));
    }
    // Someone else's document is not found, exactly like none.
    let doc = crate::documents::get(core, account_id, document_id).await?;
    if !components(core, &draft)
        .await?
        .iter()
        .any(|c| c.key == component)
    {
        return Ok(Err(Refusal::UnknownComponent));
    }
    let now = core.now();
    let file = FileRow {
        id: 0,
        draft_id: draft.row.id,
        component: component.to_string(),
        file_name: doc.file_name,
        content_type: doc.content_type,
        size: doc.size,
        sha256: doc.sha256,
        created_at: now,
        reused_from: Some(doc.id),
    };
    add(core, origin, rules, &draft, account_id, file, None).await
}

/// Adds a file to the draft: the count (reserved first), the bytes into
/// the blob store (`data`, for an upload), the row and the draft's
/// revision in one transaction on the writer.
async fn add(
    core: &Core,
    origin: &Origin,
    rules: &Rules,
    draft: &Draft,
    account_id: i64,
    mut file: FileRow,
    data: Option<&[u8]>,
) -> Result<std::result::Result<i64, Refusal>> {
    let now = file.created_at;
    let mut tx = core.store.begin().await?;
    if store::count_of_draft(&mut tx, draft.row.id).await? >= MAX_FILES {
        return Ok(Err(Refusal::TooMany));
    }
    if !draft_store::touch(
        &mut tx,
        draft.row.id,
        now,
        now + rules.draft_days * 86_400_000,
    )
    .await?
    {
        return Err(ServiceError::Conflict("dossiers.error_draft_closed"));
    }
    if let Some(data) = data {
        file.sha256 =
            motcua_kernel::blobs::store(core, &mut tx, &file.content_type, data, now).await?;
    }
    let id = store::insert(&mut tx, &file).await?;
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "dossiers.file_attach",
        &format!("account:{account_id}"),
        &serde_json::json!({
            "draft": draft.row.public_id,
            "component": file.component,
            "sha256": file.sha256,
            "size": file.size,
            "reused_from": file.reused_from,
        })
        .to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// Removes a file from the holder's open draft.
pub async fn remove(
    core: &Core,
    origin: &Origin,
    rules: &Rules,
    account_id: i64,
    public_id: &str,
    file_id: i64,
) -> Result<()> {
    let draft = drafts::get(core, account_id, public_id).await?;
    if draft.row.status != "open" {
        return Err(ServiceError::Conflict("dossiers.error_draft_closed"));
    }
    let now = core.now();
    let mut tx = core.store.begin().await?;
    if !store::delete(&mut tx, draft.row.id, file_id).await? {
        return Err(ServiceError::NotFound);
    }
    draft_store::touch(
        &mut tx,
        draft.row.id,
        now,
        now + rules.draft_days * 86_400_000,
    )
    .await?;
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "dossiers.file_remove",
        &format!("account:{account_id}"),
        &serde_json::json!({ "draft": public_id, "file": file_id }).to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The files of a draft (the caller has checked whose it is).
pub async fn of_draft(core: &Core, draft_id: i64) -> Result<Vec<FileRow>> {
    let mut c = core.store.conn().await?;
    Ok(store::of_draft(&mut c, draft_id).await?)
}

/// A file of the holder's draft (or of the dossier it became), with its
/// bytes.
pub async fn download(
    core: &Core,
    account_id: i64,
    public_id: &str,
    file_id: i64,
) -> Result<(FileRow, Vec<u8>)> {
    let draft = drafts::get(core, account_id, public_id).await?;
    file_of(core, draft.row.id, file_id).await
}

async fn file_of(core: &Core, draft_id: i64, file_id: i64) -> Result<(FileRow, Vec<u8>)> {
    let mut c = core.store.conn().await?;
    let f = store::of_draft(&mut c, draft_id)
        .await?
        .into_iter()
        .find(|f| f.id == file_id)
        .ok_or(ServiceError::NotFound)?;
    let a = motcua_kernel::blobs::fetch(core, &mut c, &f.sha256)
        .await?
        .ok_or_else(|| {
            ServiceError::Internal(format!("file {} missing from the blob store", f.sha256))
        })?;
    Ok((f, a.data))
}

/// A file of the dossier that draft `draft_id` became, for the agency
/// handling it (the caller — the handling context — has checked that the
/// reader works there).
pub async fn of_dossier_draft(
    core: &Core,
    draft_id: i64,
    file_id: i64,
) -> Result<(FileRow, Vec<u8>)> {
    file_of(core, draft_id, file_id).await
}

/// A file of the holder's dossier `code`.
pub async fn dossier_file(
    core: &Core,
    account_id: i64,
    code: &str,
    file_id: i64,
) -> Result<(FileRow, Vec<u8>)> {
    let d = crate::queries::dossier(core, account_id, code)
        .await?
        .dossier;
    file_of(core, d.draft_id, file_id).await
}

/// The digest of what is submitted: the answers as stored, then each
/// file's component and SHA-256, in order.
pub fn digest(data: &str, files: &[FileRow]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(data.as_bytes());
    for f in files {
        h.update(b"\n");
        h.update(f.component.as_bytes());
        h.update(b" ");
        h.update(f.sha256.as_bytes());
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_known_by_their_content() {
        assert_eq!(
            kind_of(b"%PDF-1.7\n1 0 obj\n%%EOF\n"),
            Some("application/pdf")
        );
        assert_eq!(kind_of(b"%PDF-1.7\n1 0 obj\n"), None, "a PDF cut short");
        assert_eq!(kind_of(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some("image/jpeg"));
        assert_eq!(
            kind_of(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0]),
            Some("image/png")
        );
        assert_eq!(
            kind_of(b"MZ\x90\x00 a program named giay-khai-sinh.pdf"),
            None
        );
        assert_eq!(kind_of(b"<html>"), None);
        assert_eq!(kind_of(b""), None);
        assert_eq!(
            clean_name("C:\\Users\\an\\giấy chứng sinh.pdf"),
            "giấy chứng sinh.pdf"
        );
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("\u{0}\u{7}"), "tep-dinh-kem");
    }
}
