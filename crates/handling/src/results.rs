//! The result documents of a dossier (issue #9 §3): the agency uploads a
//! PDF or generates one from the dossier's data and its decision text;
//! at approval every result is signed with the agency's seal (a detached
//! CMS signature made by the key on the agency's PKCS#11 token,
//! `motcua_pki::seal`) and given to the applicant's document store, in
//! the approval's transaction. The applicant downloads each result and
//! its `.p7s`; anyone holding a result can check it on the portal's
//! verification page ([`verify`]) or with any CMS tool (OpenSSL).
use crate::cases::{self, Handled};
use crate::people::Staff;
use crate::store::cases as case_store;
use crate::store::people as people_store;
use crate::store::results::{self as store, ResultRow};
use motcua_domain::Millis;
use motcua_dossiers::progress::{self, Facts};
use motcua_kernel::service::{Origin, Result, ServiceError};
use motcua_kernel::Core;
use motcua_pki::seal;
use motcua_store::AnyConnection;

pub use crate::store::results::ResultRow as Document;

/// At most this many result documents per dossier.
pub const MAX_PER_DOSSIER: usize = 10;
pub const UPLOAD: &str = "upload";
pub const GENERATED: &str = "generated";
/// The media type of a detached signature (RFC 8551).
pub use crate::signing::P7S;

/// A result document to add: an uploaded PDF, or (without one) a PDF
/// generated from `text`.
#[derive(Debug, Clone, Default)]
pub struct NewResult {
    pub title: String,
    pub file_name: String,
    pub upload: Option<Vec<u8>>,
    pub text: String,
}

/// Checks that `who` may prepare the results of `h` now: the dossier is
/// being handled (status 2 or 4, case open) and `who` may act at its step.
fn may_prepare(who: &Staff, h: &Handled) -> Result<()> {
    let Some(k) = &h.case else {
        return Err(ServiceError::Conflict("handling.error_status"));
    };
    if k.state != "open" || !matches!(h.facts.status, progress::ACCEPTED | progress::PROCESSING) {
        return Err(ServiceError::Conflict("handling.error_status"));
    }
    let step = h.step().ok_or(ServiceError::NotFound)?;
    if !who.holds(k.unit_id, &step.role) {
        return Err(ServiceError::Forbidden);
    }
    Ok(())
}

/// Adds a result document to dossier `code` (audited).
pub async fn add(
    core: &Core,
    origin: &Origin,
    who: &Staff,
    code: &str,
    r: &NewResult,
) -> Result<i64> {
    let now = core.now();
    let h = cases::get(core, who, code).await?;
    may_prepare(who, &h)?;
    let title = r.title.trim();
    if title.is_empty() || !cases::text_ok(title, 200) || title.contains(['\n', '\r']) {
        return Err(ServiceError::field("title", "handling.error_result_title"));
    }
    let (data, source, file_name) = match &r.upload {
        Some(data) => {
            if data.len() > core.config.max_upload_bytes {
                return Err(ServiceError::field("file", "handling.error_result_size"));
            }
            if motcua_dossiers::files::kind_of(data) != Some("application/pdf") {
                return Err(ServiceError::field("file", "handling.error_result_pdf"));
            }
            (data.clone(), UPLOAD, safe_name(&r.file_name, code))
        }
        None => {
            let text = r.text.trim();
            if text.is_empty() || !cases::text_ok(text, 8000) {
                return Err(ServiceError::field("text", "handling.error_result_text"));
            }
            let unit = {
                let mut c = core.store.conn().await?;
                let id = h.case.as_ref().map(|k| k.unit_id).unwrap_or_default();
                people_store::unit_by_id(&mut c, id)
                    .await?
                    .map(|u| u.name)
                    .unwrap_or_default()
            };
            let pdf = crate::notices::result_pdf(&h.facts, &unit, title, text, now)
                .map_err(ServiceError::Internal)?;
            (pdf, GENERATED, format!("ket-qua-{code}.pdf"))
        }
    };
    let mut tx = core.store.begin().await?;
    // The case's version moves with its results: an approval that read
    // the case before this addition fails instead of leaving this result
    // unsigned, and an addition after an approval is refused.
    let seen = h.case.as_ref().map(|k| k.updated_at).unwrap_or_default();
    if !case_store::touch(&mut tx, h.facts.id, seen, now).await? {
        return Err(ServiceError::Conflict("handling.error_changed"));
    }
    if store::of_dossier(&mut tx, h.facts.id).await?.len() >= MAX_PER_DOSSIER {
        return Err(ServiceError::Conflict("handling.error_result_many"));
    }
    let sha256 = motcua_kernel::blobs::store(core, &mut tx, "application/pdf", &data, now).await?;
    let id = store::insert(
        &mut tx,
        &ResultRow {
            id: 0,
            dossier_id: h.facts.id,
            title: title.to_string(),
            file_name,
            sha256: sha256.clone(),
            size: data.len() as i64,
            source: source.into(),
            created_by: who.account_id,
            created_at: now,
            signed_at: None,
            cms_sha256: None,
            signer: String::new(),
            cert_fingerprint: String::new(),
        },
    )
    .await?;
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "handling.result_add",
        &format!("dossier:{code}"),
        &serde_json::json!({ "result": id, "title": title, "source": source, "sha256": sha256 })
            .to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A file name that is safe in a header and a file system.
fn safe_name(name: &str, code: &str) -> String {
    let base: String = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .take(100)
        .collect();
    if base.to_lowercase().ends_with(".pdf") && base.len() > 4 {
        base
    } else {
        format!("ket-qua-{code}.pdf")
    }
}

/// Removes a result not signed yet (audited).
pub async fn remove(core: &Core, origin: &Origin, who: &Staff, code: &str, id: i64) -> Result<()> {
    let now = core.now();
    let h = cases::get(core, who, code).await?;
    may_prepare(who, &h)?;
    let mut tx = core.store.begin().await?;
    if !store::delete_unsigned(&mut tx, h.facts.id, id).await? {
        return Err(ServiceError::NotFound);
    }
    let seen = h.case.as_ref().map(|k| k.updated_at).unwrap_or_default();
    if !case_store::touch(&mut tx, h.facts.id, seen, now).await? {
        return Err(ServiceError::Conflict("handling.error_changed"));
    }
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "handling.result_remove",
        &format!("dossier:{code}"),
        &serde_json::json!({ "result": id }).to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The results of a dossier read with [`cases::get`].
pub async fn of_dossier(core: &Core, h: &Handled) -> Result<Vec<Document>> {
    let mut c = core.store.conn().await?;
    Ok(store::of_dossier(&mut c, h.facts.id).await?)
}

/// The signed results of the holder's dossier `d` (read by the holder's
/// own query).
pub async fn of_holder_dossier(core: &Core, d: &Facts) -> Result<Vec<Document>> {
    let mut c = core.store.conn().await?;
    Ok(store::of_dossier(&mut c, d.id)
        .await?
        .into_iter()
        .filter(|r| r.signed_at.is_some())
        .collect())
}

/// A result's PDF, or (`signature`) its detached signature.
async fn bytes(
    core: &Core,
    c: &mut AnyConnection,
    r: &Document,
    signature: bool,
) -> Result<Vec<u8>> {
    let key = if signature {
        r.cms_sha256.as_deref().ok_or(ServiceError::NotFound)?
    } else {
        r.sha256.as_str()
    };
    Ok(motcua_kernel::blobs::fetch(core, c, key)
        .await?
        .ok_or_else(|| ServiceError::Internal(format!("result {key} missing")))?
        .data)
}

/// A result of dossier `code` for the agency's people.
pub async fn for_agency(
    core: &Core,
    who: &Staff,
    code: &str,
    id: i64,
    signature: bool,
) -> Result<(Document, Vec<u8>)> {
    let h = cases::get(core, who, code).await?;
    let mut c = core.store.conn().await?;
    let r = store::of_dossier(&mut c, h.facts.id)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or(ServiceError::NotFound)?;
    let data = bytes(core, &mut c, &r, signature).await?;
    Ok((r, data))
}

/// A signed result of the holder's dossier `code` (NotFound for anyone
/// else's, and for a result not signed yet).
pub async fn for_applicant(
    core: &Core,
    account_id: i64,
    code: &str,
    id: i64,
    signature: bool,
) -> Result<(Document, Vec<u8>)> {
    let mut c = core.store.conn().await?;
    let d = progress::facts(&mut c, code)
        .await?
        .filter(|d| d.account_id == account_id)
        .ok_or(ServiceError::NotFound)?;
    let r = store::of_dossier(&mut c, d.id)
        .await?
        .into_iter()
        .find(|r| r.id == id && r.signed_at.is_some())
        .ok_or(ServiceError::NotFound)?;
    let data = bytes(core, &mut c, &r, signature).await?;
    Ok((r, data))
}

/// What the verification page says about a document.
#[derive(Debug, Clone)]
pub enum Verification {
    /// Signed with an agency's seal by this portal, and the signature
    /// verifies over these bytes.
    Issued(Box<Issued>),
    /// The signature given verifies over these bytes but was not made by
    /// this portal: who it says signed it.
    Foreign {
        signer: String,
        signing_time: Option<Millis>,
    },
    /// This portal signed no result with these bytes (changed, or not a
    /// result of this portal).
    Unknown,
    /// The signature given is not valid for these bytes (the message key).
    Invalid(&'static str),
}

/// A result this portal signed, as the verification page shows it (no
/// personal data: the applicant is not named).
#[derive(Debug, Clone)]
pub struct Issued {
    pub title: String,
    pub code: String,
    pub agency_name: String,
    pub procedure_name: String,
    pub signed_at: Millis,
    pub signer: String,
    pub serial: String,
    pub fingerprint: String,
    pub valid_until: Millis,
}

/// Checks a document (and, if given, a detached signature) against the
/// results this portal signed.
pub async fn verify(
    core: &Core,
    document: &[u8],
    signature: Option<&[u8]>,
) -> Result<Verification> {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(document);
    let key = hex::encode(digest);
    let mut c = core.store.conn().await?;
    let rows = store::signed_by_digest(&mut c, &key).await?;
    if let Some(sig) = signature {
        let v = match seal::verify_digest(sig, &digest) {
            Ok(v) => v,
            Err(seal::SealError::OtherDocument) => {
                return Ok(Verification::Invalid("handling.verify_other_document"))
            }
            Err(_) => return Ok(Verification::Invalid("handling.verify_bad_signature")),
        };
        return Ok(
            match rows
                .iter()
                .find(|r| r.cert_fingerprint == v.signer.fingerprint)
            {
                Some(r) => Verification::Issued(Box::new(issued(&mut c, r, &v.signer).await?)),
                None => Verification::Foreign {
                    signer: v.signer.subject_dn,
                    signing_time: v.signing_time,
                },
            },
        );
    }
    // Without a signature file: the one this portal keeps for the result.
    for r in &rows {
        let cms = bytes(core, &mut c, r, true).await?;
        if let Ok(v) = seal::verify_digest(&cms, &digest) {
            if v.signer.fingerprint == r.cert_fingerprint {
                return Ok(Verification::Issued(Box::new(
                    issued(&mut c, r, &v.signer).await?,
                )));
            }
        }
    }
    Ok(Verification::Unknown)
}

async fn issued(
    c: &mut AnyConnection,
    r: &Document,
    cert: &motcua_pki::Certificate,
) -> Result<Issued> {
    let code = case_store::code_of(c, r.dossier_id)
        .await?
        .unwrap_or_default();
    let facts = progress::facts(c, &code).await?;
    Ok(Issued {
        title: r.title.clone(),
        agency_name: facts
            .as_ref()
            .map(|f| f.agency_name.clone())
            .unwrap_or_default(),
        procedure_name: facts.map(|f| f.procedure_name).unwrap_or_default(),
        code,
        signed_at: r.signed_at.unwrap_or_default(),
        signer: cert.subject_dn.clone(),
        serial: cert.serial_hex.clone(),
        fingerprint: cert.fingerprint.clone(),
        valid_until: cert.not_after,
    })
}
