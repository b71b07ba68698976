//! Signing a dossier's result documents with the agency's seal, in the
//! approval's transaction (called by [`crate::cases`]; the result
//! documents themselves are [`crate::results`]).
use crate::store::results as store;
use motcua_domain::Millis;
use motcua_dossiers::progress::Facts;
use motcua_kernel::service::{Result, ServiceError};
use motcua_kernel::Core;
use motcua_pki::seal::Seal;
use motcua_store::AnyConnection;

/// The media type of a detached signature (RFC 8551).
pub const P7S: &str = "application/pkcs7-signature";

/// Signs every result of the dossier not signed yet with `seal` and gives
/// each to the applicant's document store, in the approval's transaction;
/// returns how many results the dossier has (signed before or now).
pub(crate) async fn sign_all(
    tx: &mut AnyConnection,
    core: &Core,
    seal: &Seal,
    facts: &Facts,
    now: Millis,
) -> Result<usize> {
    let results = store::of_dossier(tx, facts.id).await?;
    let cert = seal.certificate();
    for r in results.iter().filter(|r| r.signed_at.is_none()) {
        let digest = hex::decode(&r.sha256)
            .map_err(|_| ServiceError::Internal(format!("result {} digest", r.id)))?;
        let cms = seal
            .sign_digest(&digest, now)
            .map_err(|e| ServiceError::Internal(format!("seal: {e}")))?;
        let cms_key = motcua_kernel::blobs::store(core, tx, P7S, &cms, now).await?;
        if !store::mark_signed(tx, r.id, now, &cms_key, &cert.subject_dn, &cert.fingerprint).await?
        {
            return Err(ServiceError::Conflict("handling.error_changed"));
        }
        motcua_dossiers::documents::keep(
            tx,
            &motcua_dossiers::documents::Keep {
                account_id: facts.account_id,
                kind: motcua_dossiers::documents::RESULT,
                title: &r.title,
                file_name: &r.file_name,
                content_type: "application/pdf",
                size: r.size,
                sha256: &r.sha256,
                dossier_code: &facts.code,
            },
            now,
        )
        .await?;
    }
    Ok(results.len())
}
