//! Account events (R-ID-5): what the ministries' specialized processing
//! systems learn when an account is created, changed, locked, unlocked or
//! revoked. Written to the kernel's outbox in the caller's transaction.
use crate::store::accounts::{self, Account};
use motcua_domain::{AccountId, Millis};
use motcua_kernel::Core;
use motcua_store::{AnyConnection, StoreError};

/// The event types a specialized system can subscribe to.
pub const EVENT_TYPES: &[&str] = &[
    "account.created",
    "account.updated",
    "account.locked",
    "account.unlocked",
    "account.revoked",
];

/// What receivers learn about an account. The personal ID number is not
/// sent: ministries identify declarants by tax code and people by username.
fn account_data(a: &Account, reason: Option<&str>) -> serde_json::Value {
    let roles: Vec<&str> = a.roles.iter().map(|r| r.as_str()).collect();
    serde_json::json!({
        "account_id": a.id,
        "username": a.username,
        "full_name": a.full_name,
        "email": a.email,
        "phone": a.phone,
        "tax_code": a.tax_code,
        "roles": roles,
        "status": a.status.as_str(),
        "reason": reason,
    })
}

/// Writes an account event to the outbox, in the caller's transaction,
/// from the account as it is now in that transaction.
pub async fn emit_account(
    c: &mut AnyConnection,
    state: &Core,
    kind: &str,
    account_id: AccountId,
    reason: Option<&str>,
    now: Millis,
) -> Result<(), StoreError> {
    let Some(a) = accounts::get(c, account_id).await? else {
        return Err(StoreError::NotFound);
    };
    motcua_kernel::outbox::emit(
        c,
        state,
        kind,
        &format!("account:{account_id}"),
        account_data(&a, reason),
        now,
    )
    .await?;
    Ok(())
}
