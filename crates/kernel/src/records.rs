//! Reads of the shared records every context writes — the audit trail and
//! the job queue — for the operator's pages, and the readiness check. The
//! web layer calls these, never the store (issue #6).
use crate::service::Result;
use crate::Core;
use motcua_domain::{DeliveryStatus, JobStatus};
use motcua_store::audit::{self, Entry, Filter, Verification};
use motcua_store::jobs::{self, Job};

/// The newest `limit` audit records about `target` (all if `None`).
pub async fn audit_of(core: &Core, target: Option<&str>, limit: i64) -> Result<Vec<Entry>> {
    let mut c = core.store.conn().await?;
    Ok(audit::list(&mut c, target, limit).await?)
}

/// The newest `limit` audit records whose target starts with `prefix`.
pub async fn audit_with_prefix(core: &Core, prefix: &str, limit: i64) -> Result<Vec<Entry>> {
    let mut c = core.store.conn().await?;
    Ok(audit::list_prefix(&mut c, prefix, limit).await?)
}

/// The audit trail filtered and paged by sequence number.
pub async fn audit_search(core: &Core, filter: &Filter, limit: i64) -> Result<Vec<Entry>> {
    let mut c = core.store.conn().await?;
    Ok(audit::search(&mut c, filter, limit).await?)
}

/// The hash chain checked from the first record to the last.
pub async fn audit_verify(core: &Core) -> Result<Verification> {
    let mut c = core.store.conn().await?;
    Ok(audit::verify(&mut c).await?)
}

/// Jobs per status.
pub async fn job_counts(core: &Core) -> Result<Vec<(JobStatus, i64)>> {
    let mut c = core.store.conn().await?;
    Ok(jobs::counts(&mut c).await?)
}

/// Up to `limit` jobs in `status`, newest first.
pub async fn jobs_in(core: &Core, status: JobStatus, limit: i64) -> Result<Vec<Job>> {
    let mut c = core.store.conn().await?;
    Ok(jobs::list(&mut c, status, limit).await?)
}

/// Webhook deliveries per status.
pub async fn delivery_counts(core: &Core) -> Result<Vec<(DeliveryStatus, i64)>> {
    let mut c = core.store.conn().await?;
    Ok(motcua_store::events::counts(&mut c).await?)
}

/// Whether the database answers (the readiness probe).
pub async fn ready(core: &Core) -> Result<()> {
    Ok(core.store.ping().await?)
}
