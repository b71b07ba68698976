//! The holder's data and its reuse (R-ID-15): what the portal holds and
//! from where (certificate, e-ID, SIM, own entry), the consent per item to
//! reuse it for prefilling forms, and the log of every reuse, which the
//! holder sees.
use crate::service::{account_target, Origin, ServiceError};
use crate::store::accounts::Account;
use crate::store::profile::{self as store, Attribute, Reuse};
use crate::IdentityContext;
use motcua_domain::{AccountId, Millis, Role};
use motcua_store::{audit, AnyConnection};
use std::collections::BTreeMap;

/// The items the portal may hold, in display order.
pub const ATTRS: &[&str] = &[
    "full_name",
    "organization",
    "tax_code",
    "personal_id",
    "birthdate",
    "email",
    "phone",
];

/// Which source wins when several hold an item (the most verified first).
const SOURCE_ORDER: &[&str] = &["certificate", "eid", "sim", "self"];

/// One item as the holder sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub attr: String,
    pub value: String,
    pub source: String,
    pub source_ref: String,
    pub recorded_at: Millis,
}

/// Everything held: stored items, and the account's own fields as
/// "own entry" when no stored own-entry item exists.
/// [`held`] on a connection of its own.
pub async fn held_of(
    core: &motcua_kernel::Core,
    account: &Account,
) -> Result<Vec<Held>, ServiceError> {
    let mut c = core.store.conn().await?;
    held(&mut c, account).await
}

pub async fn held(c: &mut AnyConnection, account: &Account) -> Result<Vec<Held>, ServiceError> {
    let mut out: Vec<Held> = store::attributes_of(c, account.id)
        .await?
        .into_iter()
        .map(|a| Held {
            attr: a.attr,
            value: a.value,
            source: a.source,
            source_ref: a.source_ref,
            recorded_at: a.recorded_at,
        })
        .collect();
    let name_attr = if account.has_role(Role::Business) || account.has_role(Role::Declarant) {
        "organization"
    } else {
        "full_name"
    };
    let own: [(&str, Option<&str>); 5] = [
        (name_attr, Some(account.full_name.as_str())),
        ("tax_code", account.tax_code.as_deref()),
        ("personal_id", account.personal_id.as_deref()),
        ("email", account.email.as_deref()),
        ("phone", account.phone.as_deref()),
    ];
    for (attr, value) in own {
        let Some(v) = value.filter(|v| !v.is_empty()) else {
            continue;
        };
        if !out.iter().any(|h| h.attr == attr && h.source == "self") {
            out.push(Held {
                attr: attr.into(),
                value: v.into(),
                source: "self".into(),
                source_ref: "account".into(),
                recorded_at: account.created_at,
            });
        }
    }
    let rank = |h: &Held| {
        (
            ATTRS
                .iter()
                .position(|a| *a == h.attr)
                .unwrap_or(ATTRS.len()),
            SOURCE_ORDER
                .iter()
                .position(|s| *s == h.source)
                .unwrap_or(SOURCE_ORDER.len()),
        )
    };
    out.sort_by_key(rank);
    Ok(out)
}

/// Records what a verified source says (in the caller's transaction).
pub async fn record(
    c: &mut AnyConnection,
    account_id: AccountId,
    source: &str,
    source_ref: &str,
    items: &[(&str, Option<&str>)],
    now: Millis,
) -> Result<(), ServiceError> {
    for (attr, value) in items {
        if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
            store::record(
                c,
                account_id,
                &Attribute {
                    attr: (*attr).into(),
                    source: source.into(),
                    value: v.trim().into(),
                    source_ref: source_ref.into(),
                    recorded_at: now,
                },
            )
            .await?;
        }
    }
    Ok(())
}

/// Sets the consents to exactly `allowed` (items not listed are
/// withdrawn), with an audit record of what changed.
pub async fn set_consents(
    state: &IdentityContext,
    origin: &Origin,
    account_id: AccountId,
    allowed: &[String],
) -> Result<(), ServiceError> {
    let now = state.now();
    let mut tx = state.store.begin().await?;
    let open = store::consented(&mut tx, account_id).await?;
    let mut granted = Vec::new();
    let mut withdrawn = Vec::new();
    for attr in ATTRS {
        let allow = allowed.iter().any(|a| a == attr);
        if open.iter().any(|o| o == attr) == allow {
            continue;
        }
        if store::set_consent(&mut tx, account_id, attr, allow, now).await? {
            if allow {
                granted.push(*attr);
            } else {
                withdrawn.push(*attr);
            }
        }
    }
    if !granted.is_empty() || !withdrawn.is_empty() {
        let mut ctx = origin.audit.clone();
        ctx.actor = account_target(account_id);
        audit::append(
            &mut tx,
            &ctx,
            "consent.update",
            &account_target(account_id),
            &serde_json::json!({ "granted": granted, "withdrawn": withdrawn }).to_string(),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The consented items among `wanted`, best source first, for prefilling
/// `service`'s form; the reuse is logged (and seen by the holder) when
/// anything is returned.
pub async fn prefill(
    state: &IdentityContext,
    account: &Account,
    service: &str,
    request_id: &str,
    wanted: &[&str],
) -> Result<BTreeMap<String, String>, ServiceError> {
    // Reads on a reader connection; the writer only when there is a reuse
    // to log.
    let mut c = state.store.conn().await?;
    let consented = store::consented(&mut c, account.id).await?;
    let mut out = BTreeMap::new();
    if consented.is_empty() {
        return Ok(out);
    }
    for h in held(&mut c, account).await? {
        if wanted.contains(&h.attr.as_str())
            && consented.contains(&h.attr)
            && !out.contains_key(&h.attr)
        {
            out.insert(h.attr, h.value);
        }
    }
    drop(c);
    if !out.is_empty() {
        let mut tx = state.store.begin().await?;
        store::log_reuse(
            &mut tx,
            account.id,
            &Reuse {
                attrs: out.keys().cloned().collect::<Vec<_>>().join(","),
                service: service.into(),
                request_id: request_id.into(),
                at: state.now(),
            },
        )
        .await?;
        tx.commit().await?;
    }
    Ok(out)
}

/// Logs a reuse the holder asked for themselves (e.g. "fill from my
/// earlier dossier"), so that it is seen on `/account/data` like every
/// other reuse.
pub async fn log_reuse(
    state: &IdentityContext,
    account_id: AccountId,
    attrs: &[&str],
    service: &str,
    request_id: &str,
) -> Result<(), ServiceError> {
    let mut tx = state.store.begin().await?;
    store::log_reuse(
        &mut tx,
        account_id,
        &Reuse {
            attrs: attrs.join(","),
            service: service.into(),
            request_id: request_id.into(),
            at: state.now(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
