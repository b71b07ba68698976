//! The portals a person signed in to through the national portal, each
//! revocable on `/account` (issue #12 §1): revoking ends the consent and
//! every refresh token of that portal; its access tokens stop working at
//! userinfo and introspection at once.
use crate::store::{grants as store, refresh};
use motcua_domain::Millis;
use motcua_kernel::service::{Origin, Result, ServiceError};
use motcua_kernel::Core;

/// One portal as the person sees it.
#[derive(Debug, Clone)]
pub struct Portal {
    pub client_id: String,
    pub name: String,
    pub scope: String,
    pub granted_at: Millis,
    pub last_used_at: Millis,
    pub revoked: bool,
}

pub async fn of_account(core: &Core, account_id: i64) -> Result<Vec<Portal>> {
    let mut c = core.store.conn().await?;
    let grants = store::of_account(&mut c, account_id).await?;
    let mut out = Vec::with_capacity(grants.len());
    for g in grants {
        let name = crate::store::clients::get(&mut c, &g.client_id)
            .await?
            .map_or_else(|| g.client_id.clone(), |k| k.name);
        out.push(Portal {
            client_id: g.client_id,
            name,
            scope: g.scope,
            granted_at: g.granted_at,
            last_used_at: g.last_used_at,
            revoked: g.revoked_at.is_some(),
        });
    }
    Ok(out)
}

/// Revokes the person's grant to `client_id`; another person's or an
/// unknown one is not found. Audited.
pub async fn revoke(
    core: &Core,
    origin: &Origin,
    account_id: i64,
    client_id: &str,
    now: Millis,
) -> Result<()> {
    let mut tx = core.store.begin().await?;
    if !store::revoke(&mut tx, account_id, client_id, now).await? {
        return Err(ServiceError::NotFound);
    }
    refresh::revoke_grant(&mut tx, account_id, client_id, now).await?;
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "sso.grant_revoked",
        &format!("account:{account_id}"),
        &serde_json::json!({ "client": client_id }).to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether the person's grant to the client is live and was given no
/// later than `iat_secs` (a token from before a revocation and a new
/// consent does not come back to life).
pub async fn live(core: &Core, account_id: i64, client_id: &str, iat_secs: i64) -> Result<bool> {
    let mut c = core.store.conn().await?;
    Ok(store::get(&mut c, account_id, client_id)
        .await?
        .is_some_and(|g| g.revoked_at.is_none() && g.granted_at.div_euclid(1000) <= iat_secs))
}
