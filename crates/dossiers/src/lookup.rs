//! Public lookup of a dossier (issue #9 §4): anyone with the dossier's
//! code and its lookup key — printed on the receipt and shown on the
//! applicant's page — sees its status, procedure, agency and dates, and
//! nothing about the person. The key is an HMAC of the code under the
//! portal's secret (no table; it cannot be guessed from the code). A
//! wrong key and an unknown code give the same answer; the caller rate
//! limits attempts per client.
use crate::store::dossiers as store;
use motcua_domain::Millis;
use motcua_kernel::service::Result;
use motcua_kernel::Core;

/// The lookup key of dossier `code`: 8 characters.
pub fn key(core: &Core, code: &str) -> String {
    motcua_kernel::service::keyed_code(core, b"dossier-lookup|", code, 8)
}

/// What the public sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Public {
    pub code: String,
    pub procedure_name: String,
    pub agency_name: String,
    pub status: i64,
    pub submitted_at: Millis,
    pub appointment_at: Option<Millis>,
}

/// The dossier `code` if `check` is its lookup key (case and spaces
/// ignored); None otherwise, whether the code exists or not.
pub async fn find(core: &Core, code: &str, check: &str) -> Result<Option<Public>> {
    let code = code.trim();
    // Constant time: the comparison does not tell how much matched.
    if !crate::code::plausible(code)
        || !motcua_kernel::service::key_matches(&key(core, code), check)
    {
        return Ok(None);
    }
    let mut c = core.store.conn().await?;
    Ok(store::by_code(&mut c, code).await?.map(|d| Public {
        code: d.code,
        procedure_name: d.procedure_name,
        agency_name: d.agency_name,
        status: d.status,
        submitted_at: d.submitted_at,
        appointment_at: d.appointment_at,
    }))
}
