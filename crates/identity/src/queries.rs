//! What the identity pages read: accounts and their state for the holder
//! and the operator. Each function opens its own connection; the web layer
//! calls these, never the store (issue #6).
use crate::service::{account_target, user_key};
use crate::store::accounts::{self, Account, Page};
use crate::store::activity::{self, Activity, CompromiseReport};
use crate::store::credentials::CertificateRow;
use crate::store::profile;
use crate::store::profile::Reuse;
use crate::store::sessions;
use crate::store::throttle::{self, Entry as ThrottleEntry};
use motcua_domain::throttle::State as ThrottleState;
use motcua_domain::{AccountId, AccountStatus, Millis};
use motcua_kernel::service::Result;
use motcua_kernel::Core;
use motcua_store::audit;
use motcua_store::audit::Entry as AuditEntry;
use std::collections::HashMap;

pub async fn account(core: &Core, id: AccountId) -> Result<Option<Account>> {
    let mut c = core.store.conn().await?;
    Ok(accounts::get(&mut c, id).await?)
}

pub async fn account_by_username(core: &Core, username: &str) -> Result<Option<Account>> {
    let mut c = core.store.conn().await?;
    Ok(accounts::by_username(&mut c, username).await?)
}

/// The active account an identity number names, as another one-stop
/// system sends it (issue #12 §2): the account whose personal ID or tax
/// code it is (both set only from a verified e-ID or certificate login, or
/// by the operator), else the account holding an active certificate bound
/// to it. `None` when no account holds it.
pub async fn holder_of_number(core: &Core, number: &str) -> Result<Option<AccountId>> {
    let n = number.trim();
    if n.is_empty() || n.len() > 20 {
        return Ok(None);
    }
    let mut c = core.store.conn().await?;
    let found = match accounts::by_personal_id(&mut c, n).await? {
        Some(a) => Some(a),
        None => accounts::by_tax_code(&mut c, n).await?,
    };
    let id = match found {
        Some(a) => Some(a),
        None => {
            let mut ids =
                crate::store::credentials::accounts_with_identity(&mut c, "personal_id", n).await?;
            if ids.is_empty() {
                ids = crate::store::credentials::accounts_with_identity(&mut c, "tax_code", n)
                    .await?;
            }
            match ids.first() {
                Some(id) => accounts::get(&mut c, *id).await?,
                None => None,
            }
        }
    };
    Ok(id
        .filter(|a| a.status == AccountStatus::Active)
        .map(|a| a.id))
}

pub async fn count_accounts(core: &Core) -> Result<i64> {
    let mut c = core.store.conn().await?;
    Ok(accounts::count(&mut c).await?)
}

/// Usernames of the accounts `ids` (those that exist), to show
/// `account:ID` actors and targets by name.
pub async fn usernames(core: &Core, ids: &[AccountId]) -> Result<HashMap<AccountId, String>> {
    let mut c = core.store.conn().await?;
    Ok(accounts::usernames(&mut c, ids).await?)
}

/// Account ids of the usernames that exist.
pub async fn ids_by_usernames(core: &Core, names: &[&str]) -> Result<HashMap<String, AccountId>> {
    let mut c = core.store.conn().await?;
    Ok(accounts::ids_by_usernames(&mut c, names).await?)
}

/// Whether the account has a password, and whether it is still the
/// initial one that must be replaced (R-ID-4): `(has, initial)`.
pub async fn password_state(core: &Core, account_id: AccountId) -> Result<(bool, bool)> {
    let mut c = core.store.conn().await?;
    Ok(match accounts::password(&mut c, account_id).await? {
        Some(p) => (true, p.is_initial),
        None => (false, false),
    })
}

/// The holder's open sessions now.
pub async fn session_count(core: &Core, account_id: AccountId, now: Millis) -> Result<i64> {
    let mut c = core.store.conn().await?;
    Ok(sessions::count_for(&mut c, account_id, now).await?)
}

/// A page of the account's activity history (R-ID-14), newest first,
/// before the cursor `before`, and the next page's cursor.
pub async fn activity(
    core: &Core,
    account_id: AccountId,
    before: Option<i64>,
    limit: i64,
) -> Result<(Vec<Activity>, Option<i64>)> {
    let mut c = core.store.conn().await?;
    Ok(activity::list(&mut c, account_id, before, limit).await?)
}

pub async fn certificates(core: &Core, account_id: AccountId) -> Result<Vec<CertificateRow>> {
    let mut c = core.store.conn().await?;
    Ok(crate::store::credentials::certificates_of(&mut c, account_id).await?)
}

/// What the holder agreed to reuse, and the newest `limit` reuses.
pub async fn consents(
    core: &Core,
    account_id: AccountId,
    limit: i64,
) -> Result<(Vec<String>, Vec<Reuse>)> {
    let mut c = core.store.conn().await?;
    let consented = profile::consented(&mut c, account_id).await?;
    let log = profile::reuse_log(&mut c, account_id, limit).await?;
    Ok((consented, log))
}

pub async fn compromise_reports(core: &Core, limit: i64) -> Result<Vec<CompromiseReport>> {
    let mut c = core.store.conn().await?;
    Ok(activity::compromise_reports(&mut c, limit).await?)
}

/// Throttle keys with failures since `since`, most recent first.
pub async fn recent_throttles(
    core: &Core,
    since: Millis,
    limit: i64,
) -> Result<Vec<ThrottleEntry>> {
    let mut c = core.store.conn().await?;
    Ok(throttle::recent(&mut c, since, limit).await?)
}

/// An account with whether a failed-login lock holds it now: an active
/// account under such a lock shows as temporarily locked.
pub struct Listed {
    pub account: Account,
    pub throttle: ThrottleState,
    pub throttled: bool,
}

async fn listed(
    c: &mut motcua_store::AnyConnection,
    account: Account,
    now: Millis,
) -> Result<Listed> {
    let t = throttle::get(c, &user_key(&account.username)).await?;
    Ok(Listed {
        throttled: t.locked_until > now && account.status == AccountStatus::Active,
        throttle: t,
        account,
    })
}

/// One page of the operator's account search (see
/// [`accounts::search`]): the accounts with their failed-login state
/// (read for the whole page at once), the capped total, the next page's
/// cursor and whether only a window was searched.
pub use crate::store::accounts::{Total, CANDIDATE_WINDOW, COUNT_CAP};

pub struct Found {
    pub rows: Vec<Listed>,
    pub total: accounts::Total,
    pub next: Option<AccountId>,
    pub window: bool,
}

pub async fn search_accounts(
    core: &Core,
    query: &str,
    after: Option<AccountId>,
    limit: i64,
    now: Millis,
) -> Result<Found> {
    let mut c = core.store.conn().await?;
    let Page {
        items,
        total,
        next,
        window,
    } = accounts::search(&mut c, query, after, limit).await?;
    let keys: Vec<String> = items.iter().map(|a| user_key(&a.username)).collect();
    let mut states = throttle::get_many(&mut c, &keys).await?;
    let rows = items
        .into_iter()
        .map(|account| {
            let t = states
                .remove(&user_key(&account.username))
                .unwrap_or_default();
            Listed {
                throttled: t.locked_until > now && account.status == AccountStatus::Active,
                throttle: t,
                account,
            }
        })
        .collect();
    Ok(Found {
        rows,
        total,
        next,
        window,
    })
}

/// Everything the operator's account page shows.
pub struct Review {
    pub listed: Listed,
    pub activity: Vec<Activity>,
    pub audit: Vec<AuditEntry>,
}

pub async fn review(core: &Core, id: AccountId, now: Millis) -> Result<Option<Review>> {
    let mut c = core.store.conn().await?;
    let Some(a) = accounts::get(&mut c, id).await? else {
        return Ok(None);
    };
    let listed = listed(&mut c, a, now).await?;
    let (activity, _) = activity::list(&mut c, id, None, 20).await?;
    let audit = audit::list(&mut c, Some(&account_target(id)), 20).await?;
    Ok(Some(Review {
        listed,
        activity,
        audit,
    }))
}
