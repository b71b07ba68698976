//! The call log: every call of a system client, whatever its answer.
use crate::store::calls::{self as store, Call};
use motcua_kernel::service::Result;
use motcua_kernel::Core;

pub use crate::store::calls::Call as Entry;

/// Logs one call.
pub async fn log(core: &Core, call: &Call) -> Result<()> {
    let mut c = core.store.conn().await?;
    store::insert(&mut c, call).await?;
    Ok(())
}

/// A client's newest calls (at most `limit`, 500 at most).
pub async fn of_client(core: &Core, client_id: &str, limit: i64) -> Result<Vec<Call>> {
    let mut c = core.store.conn().await?;
    Ok(store::of_client(&mut c, client_id, limit.clamp(1, 500)).await?)
}
