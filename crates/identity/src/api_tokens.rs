//! Personal API tokens (R-ID-13): the scopes and the level each declares,
//! making and revoking a holder's tokens (audited), and finding the holder
//! of a presented token. The HTTP answers (RFC 6750 / RFC 9470 challenges,
//! RFC 9457 problems) are the web layer's.
use crate::service::{account_target, Origin, Result};
use crate::store::accounts::{self, Account};
use crate::store::api_tokens::{self, ApiToken};
use crate::Identity;
use motcua_domain::token::{random_token, sha256_hex};
use motcua_domain::{AccountId, AccountStatus, ApiTokenId, AssuranceLevel, Millis, DAY};
use motcua_kernel::Core;
use motcua_store::audit;
use serde_json::json;

/// An API scope and the level it declares.
pub struct Scope {
    pub name: &'static str,
    /// i18n key of its description.
    pub key: &'static str,
    pub level: AssuranceLevel,
}

pub const SCOPES: &[Scope] = &[
    Scope {
        name: "profile:read",
        key: "api.scope.profile",
        level: AssuranceLevel::LOW,
    },
    Scope {
        name: "activity:read",
        key: "api.scope.activity",
        level: AssuranceLevel::SUBSTANTIAL,
    },
    Scope {
        name: "certificates:read",
        key: "api.scope.certificates",
        level: AssuranceLevel::HIGH,
    },
];

/// The level `scope` needs now (declared, or the operator's override,
/// key `api.<scope>` in `[identity.required_levels]`).
pub fn scope_level(identity: &Identity, scope: &Scope) -> AssuranceLevel {
    identity.required_level(&format!("api.{}", scope.name), scope.level)
}

/// The holder's tokens, newest first.
pub async fn of_account(core: &Core, account_id: AccountId) -> Result<Vec<ApiToken>> {
    let mut c = core.store.conn().await?;
    Ok(api_tokens::of_account(&mut c, account_id).await?)
}

/// What a new token carries: the login that makes it.
pub struct NewToken<'a> {
    pub account_id: AccountId,
    pub name: String,
    pub scopes: Vec<&'static str>,
    pub method: &'a str,
    pub assurance_level: i64,
    pub days: i64,
}

/// Makes a token; audited. The raw token (`mct_…`) is returned once and
/// only its SHA-256 is stored.
pub async fn create(core: &Core, origin: &Origin, t: NewToken<'_>, now: Millis) -> Result<String> {
    let token = format!("mct_{}", random_token());
    let row = ApiToken {
        id: ApiTokenId::default(),
        account_id: t.account_id,
        name: t.name,
        token_hash: sha256_hex(&token),
        scopes: t.scopes.join(" "),
        method: t.method.to_string(),
        assurance_level: t.assurance_level,
        created_at: now,
        expires_at: now + t.days * DAY,
        last_used_at: None,
        revoked_at: None,
    };
    let mut tx = core.store.begin().await?;
    let id = api_tokens::create(&mut tx, &row).await?;
    audit::append(
        &mut tx,
        &origin.audit,
        "api_token.create",
        &account_target(t.account_id),
        &json!({ "token": id, "scopes": row.scopes, "level": row.assurance_level }).to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// Revokes one of the holder's tokens; audited. `false` if the holder has
/// no such token.
pub async fn revoke(
    core: &Core,
    origin: &Origin,
    account_id: AccountId,
    id: ApiTokenId,
    now: Millis,
) -> Result<bool> {
    let mut tx = core.store.begin().await?;
    let ok = api_tokens::revoke(&mut tx, account_id, id, now).await?;
    if ok {
        audit::append(
            &mut tx,
            &origin.audit,
            "api_token.revoke",
            &account_target(account_id),
            &json!({ "token": id }).to_string(),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(ok)
}

/// The token presented as `raw` and its holder, if the token is usable at
/// `now` and the account active; its last use is recorded.
pub async fn authenticate(
    core: &Core,
    raw: &str,
    now: Millis,
) -> Result<Option<(ApiToken, Account)>> {
    let mut c = core.store.conn().await?;
    let Some(t) = api_tokens::by_hash(&mut c, &sha256_hex(raw)).await? else {
        return Ok(None);
    };
    let Some(a) = accounts::get(&mut c, t.account_id).await? else {
        return Ok(None);
    };
    if !t.usable_at(now) || a.status != AccountStatus::Active {
        return Ok(None);
    }
    Ok(Some((t, a)))
}

/// Records that the token was used at `now`.
pub async fn touch(core: &Core, id: ApiTokenId, now: Millis) -> Result<()> {
    let mut c = core.store.conn().await?;
    Ok(api_tokens::touch(&mut c, id, now).await?)
}
