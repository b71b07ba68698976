//! Receipts: the platform issues one electronic receipt per kind of a
//! paid transaction (fees and charges apart); they are kept in the
//! applicant's personal documents.
use crate::client::ClientError;
use crate::rules::Payments;
use crate::store::{attempts, requests};
use motcua_kernel::service::{Result, ServiceError};
use motcua_kernel::Core;

/// Fetches a paid attempt's receipts from the platform (one per kind its
/// lines have: fees and charges apart) and keeps them in the applicant's
/// documents; false when there was nothing to do.
pub async fn fetch(core: &Core, p: &Payments, reference: &str) -> Result<bool> {
    let Some(platform) = p.platform.as_deref() else {
        return Ok(false);
    };
    let mut c = core.store.conn().await?;
    let Some(a) = attempts::by_reference(&mut c, reference).await? else {
        return Ok(false);
    };
    if a.state != "paid" || !a.receipts.is_empty() {
        return Ok(false);
    }
    let r = requests::by_id(&mut c, a.request_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    drop(c);
    #[derive(serde::Deserialize)]
    struct Kind {
        kind: String,
    }
    let lines: Vec<Kind> =
        serde_json::from_str(&r.lines).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let mut kinds: Vec<&str> = lines
        .iter()
        .map(|l| {
            if l.kind == motcua_catalog::fees::FEE {
                "phi"
            } else {
                "le_phi"
            }
        })
        .collect();
    kinds.sort();
    kinds.dedup();
    let now = core.now();
    let mut pdfs = Vec::new();
    for kind in kinds {
        let pdf = platform
            .receipt(&a.platform_txn_id, kind, now)
            .await
            .map_err(|e: ClientError| ServiceError::Internal(e.to_string()))?;
        pdfs.push((kind, pdf));
    }
    let mut tx = core.store.begin().await?;
    let mut keys = std::collections::BTreeMap::new();
    for (kind, pdf) in &pdfs {
        let key = motcua_kernel::blobs::store(core, &mut tx, "application/pdf", pdf, now).await?;
        let title = if *kind == "phi" {
            format!("Biên lai thu phí — hồ sơ {}", r.dossier_code)
        } else {
            format!("Biên lai thu lệ phí — hồ sơ {}", r.dossier_code)
        };
        motcua_dossiers::documents::keep(
            &mut tx,
            &motcua_dossiers::documents::Keep {
                account_id: r.account_id,
                kind: RECEIPT,
                title: &title,
                file_name: &format!("bien-lai-{kind}-{}.pdf", r.dossier_code),
                content_type: "application/pdf",
                size: pdf.len() as i64,
                sha256: &key,
                dossier_code: &r.dossier_code,
            },
            now,
        )
        .await?;
        keys.insert(kind.to_string(), key);
    }
    let json = serde_json::to_string(&keys).map_err(|e| ServiceError::Internal(e.to_string()))?;
    attempts::set_receipts(&mut tx, a.id, &json).await?;
    tx.commit().await?;
    Ok(true)
}

/// The kind of a fee receipt in the personal document store.
pub const RECEIPT: &str = "fee_receipt";
