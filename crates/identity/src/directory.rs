//! Identity's narrow API for the other contexts (issue #6: contexts never
//! use each other's tables). Every call runs on the caller's connection, so
//! it joins the caller's transaction: a ministry's request that revokes an
//! account and the revocation commit together or not at all.
//!
//! What other contexts may know of an account is [`Account`]; what they
//! may do to it is listed here. Anything else goes through
//! [`crate::service`] (creating accounts, locking, passwords), which
//! audits and notifies.
use crate::store::{accounts, activity, resets, sessions};
use motcua_domain::{AccountId, AccountStatus, Millis, Role};
use motcua_store::{AnyConnection, Result};
use std::collections::HashMap;

pub use crate::store::accounts::Account;
pub use crate::store::activity::NewActivity;

/// The account `id`, if it exists.
pub async fn account(c: &mut AnyConnection, id: AccountId) -> Result<Option<Account>> {
    accounts::get(c, id).await
}

/// The account with this username, if any.
pub async fn account_by_username(c: &mut AnyConnection, username: &str) -> Result<Option<Account>> {
    accounts::by_username(c, username).await
}

/// The accounts among `ids` that exist, ordered by username.
pub async fn accounts_of(c: &mut AnyConnection, ids: &[AccountId]) -> Result<Vec<Account>> {
    let mut out = accounts::get_many(c, ids).await?;
    out.sort_by(|a, b| a.username.cmp(&b.username));
    Ok(out)
}

/// Usernames of the accounts among `ids` (absent ids are left out).
pub async fn usernames(
    c: &mut AnyConnection,
    ids: &[AccountId],
) -> Result<HashMap<AccountId, String>> {
    accounts::usernames(c, ids).await
}

/// The portal's operators (who receive the operators' mail).
pub async fn operators(c: &mut AnyConnection) -> Result<Vec<Account>> {
    accounts::operators(c).await
}

/// Whether an account has this username.
pub async fn username_taken(c: &mut AnyConnection, username: &str) -> Result<bool> {
    accounts::username_taken(c, username).await
}

/// Whether some account already uses this email (case-insensitive).
pub async fn email_in_use(c: &mut AnyConnection, email: &str) -> Result<bool> {
    accounts::email_in_use(c, email).await
}

/// Gives the account a role (no-op if it has it). The caller audits.
pub async fn grant_role(c: &mut AnyConnection, account_id: AccountId, role: Role) -> Result<()> {
    accounts::add_role(c, account_id, role).await
}

/// Takes a role away (no-op if it lacks it). The caller audits.
pub async fn withdraw_role(c: &mut AnyConnection, account_id: AccountId, role: Role) -> Result<()> {
    accounts::remove_role(c, account_id, role).await
}

/// Restarts the validity of a still-initial password (counted from the
/// notice that gives it).
pub async fn renew_initial_password_expiry(
    c: &mut AnyConnection,
    account_id: AccountId,
    expires_at: Millis,
) -> Result<()> {
    accounts::renew_initial_expiry(c, account_id, expires_at).await
}

/// Adds a line to the holder's activity list (R-ID-14).
pub async fn record_activity(
    c: &mut AnyConnection,
    a: &NewActivity<'_>,
    now: Millis,
) -> Result<()> {
    activity::record(c, a, now).await
}

/// Revokes the account for good: status `revoked` with `reason`, every
/// session ended, every open password reset withdrawn. The caller audits
/// and emits the event.
pub async fn revoke(
    c: &mut AnyConnection,
    account_id: AccountId,
    reason: &str,
    now: Millis,
) -> Result<()> {
    accounts::set_status(c, account_id, AccountStatus::Revoked, Some(reason), now).await?;
    sessions::delete_all(c, account_id).await?;
    resets::revoke_all(c, account_id, now).await?;
    Ok(())
}

/// Active accounts (operators excepted) whose last successful login — or
/// creation, if they never logged in — is at or before `threshold`:
/// `(account id, last use)`, longest unused first, after the keyset
/// cursor `(last use, id)` when given, at most `limit`.
pub async fn unused_since(
    c: &mut AnyConnection,
    threshold: Millis,
    after: Option<(Millis, AccountId)>,
    limit: i64,
) -> Result<Vec<(AccountId, Millis)>> {
    accounts::unused_since(c, threshold, after, limit).await
}
