//! The demo catalog (`motcua demo`, `motcua admin catalog-seed`): real
//! procedures of the national database — their codes, processing times,
//! fees and documents from public sources (listed in `docs/CATALOG.md`),
//! the text written by us — with the ministries and Hà Nội's agencies
//! that carry them out (names real; the agency codes follow the national
//! format but are the demo's own) and the life events. Loading it twice
//! changes nothing.
use crate::service::{self, ImportOutcome};
use crate::store::agencies::{Agency, LifeEvent};
use motcua_kernel::service::{Origin, Result, ServiceError};
use motcua_kernel::Core;

pub const AGENCIES: &str = include_str!("../seed/agencies.json");
pub const LIFE_EVENTS: &str = include_str!("../seed/life_events.json");
pub const PROCEDURES: &str = include_str!("../seed/procedures.json");

/// Loads the demo catalog: agencies, life events, then the procedures
/// (published).
pub async fn load(core: &Core, origin: &Origin) -> Result<ImportOutcome> {
    let bad = |e: serde_json::Error| ServiceError::Internal(format!("demo catalog: {e}"));
    let agencies: Vec<Agency> = serde_json::from_str(AGENCIES).map_err(bad)?;
    service::import_agencies(core, origin, &agencies).await?;
    let events: Vec<LifeEvent> = serde_json::from_str(LIFE_EVENTS).map_err(bad)?;
    service::import_life_events(core, origin, &events).await?;
    service::import(core, origin, PROCEDURES, true).await
}
