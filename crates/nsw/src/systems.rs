//! The operator's register of ministries' specialized systems (R-ID-5):
//! registering, editing (with secret rotation) and redelivering events.
//! The delivery itself is `motcua_kernel::outbox`, which knows nothing of this
//! service layer.
use crate::NswContext;
use motcua_domain::{DeliveryId, SystemId};
use motcua_identity::events::EVENT_TYPES;
use motcua_kernel::outbox::generate_secret;
use motcua_kernel::ServiceError;
use motcua_store::events;
use motcua_store::StoreError;

/// What an operator enters to register or edit a specialized system.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct SystemInput {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub ministry: String,
    #[serde(default)]
    pub endpoint_url: String,
    /// Event types, any of [`EVENT_TYPES`].
    #[serde(default)]
    pub event_types: Vec<String>,
    #[serde(default)]
    pub active: bool,
}

fn clean(s: &str, max: usize) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(max)
        .collect()
}

/// Checks the input; returns (code, name, ministry, url, types).
fn check_system(i: &SystemInput) -> Result<(String, String, String, String, String), ServiceError> {
    let code = i.code.trim().to_ascii_lowercase();
    if code.len() < 2
        || code.len() > 40
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(ServiceError::invalid("systems.error_code"));
    }
    let name = clean(&i.name, 200);
    let ministry = clean(&i.ministry, 200);
    if name.chars().count() < 2 || ministry.chars().count() < 2 {
        return Err(ServiceError::invalid("systems.error_name"));
    }
    let url = i.endpoint_url.trim().to_string();
    let ok_url = reqwest::Url::parse(&url)
        .ok()
        .is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    if !ok_url || url.len() > 500 {
        return Err(ServiceError::invalid("systems.error_url"));
    }
    let mut types: Vec<&str> = Vec::new();
    for t in &i.event_types {
        match EVENT_TYPES.iter().find(|k| **k == t.as_str()) {
            Some(k) => types.push(k),
            None => return Err(ServiceError::invalid("systems.error_types")),
        }
    }
    types.sort_unstable();
    types.dedup();
    if types.is_empty() {
        return Err(ServiceError::invalid("systems.error_types"));
    }
    Ok((code, name, ministry, url, types.join(" ")))
}

/// Registers a specialized system with a new signing secret; returns its
/// id and the secret (shown once to the operator, who hands it to the
/// ministry).
pub async fn register_system(
    state: &NswContext,
    origin: &motcua_identity::service::Origin,
    input: &SystemInput,
) -> Result<(SystemId, String), ServiceError> {
    let (code, name, ministry, url, types) = check_system(input)?;
    let secret = generate_secret();
    let now = state.now();
    let mut tx = state.store.begin().await?;
    let s = events::NewSystem {
        code: &code,
        name: &name,
        ministry: &ministry,
        endpoint_url: &url,
        secret: &secret,
        event_types: &types,
        active: input.active,
    };
    let id = match events::create_system(&mut tx, &s, now).await {
        Ok(id) => id,
        Err(StoreError::Conflict(_)) => {
            return Err(ServiceError::invalid("systems.error_code_taken"))
        }
        Err(e) => return Err(e.into()),
    };
    let detail = serde_json::json!({ "code": code, "name": name, "ministry": ministry, "endpoint_url": url, "event_types": types, "active": input.active });
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "system.register",
        &format!("system:{id}"),
        &detail.to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok((id, secret))
}

/// Edits a system (not its code); `rotate` gives it a new secret, returned.
pub async fn update_system(
    state: &NswContext,
    origin: &motcua_identity::service::Origin,
    id: SystemId,
    input: &SystemInput,
    rotate: bool,
) -> Result<Option<String>, ServiceError> {
    let mut checked = input.clone();
    let now = state.now();
    let mut tx = state.store.begin().await?;
    let Some(old) = events::system_by_id(&mut tx, id).await? else {
        return Err(ServiceError::NotFound);
    };
    checked.code = old.code.clone();
    let (_, name, ministry, url, types) = check_system(&checked)?;
    let secret = rotate.then(generate_secret);
    let s = events::NewSystem {
        code: &old.code,
        name: &name,
        ministry: &ministry,
        endpoint_url: &url,
        secret: secret.as_deref().unwrap_or(""),
        event_types: &types,
        active: input.active,
    };
    events::update_system(&mut tx, id, &s, now).await?;
    let detail = serde_json::json!({ "name": name, "ministry": ministry, "endpoint_url": url, "event_types": types, "active": input.active, "secret_rotated": rotate });
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "system.update",
        &format!("system:{id}"),
        &detail.to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(secret)
}

/// Sends a dead-lettered delivery again, with a fresh retry horizon.
pub async fn redeliver(
    state: &NswContext,
    origin: &motcua_identity::service::Origin,
    delivery_id: DeliveryId,
) -> Result<bool, ServiceError> {
    let now = state.now();
    let mut tx = state.store.begin().await?;
    let ok = events::redeliver(&mut tx, delivery_id, state.config.events.horizon_ms, now).await?;
    if ok {
        motcua_store::audit::append(
            &mut tx,
            &origin.audit,
            "delivery.redeliver",
            &format!("delivery:{delivery_id}"),
            "{}",
            now,
        )
        .await?;
    }
    tx.commit().await?;
    if ok {
        state.events_notify.notify_one();
    }
    Ok(ok)
}
