//! The national claim set (PUBLIC-SERVICES §4) of an account, released by
//! scope: account type, personal ID, tax code, business code and name,
//! full name, e-mail, phone, date of birth, address, assurance level.
use hmac::{Hmac, Mac};
use motcua_domain::Role;
use motcua_kernel::service::Result;
use motcua_kernel::Core;
use serde_json::{json, Map, Value};

/// The subject of account `id`: an HMAC of it under the portal's secret
/// (stable, the same for every client, not the database's number).
pub fn subject(core: &Core, account_id: i64) -> String {
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(&core.config.secret_key) else {
        return String::new();
    };
    mac.update(b"sso-subject|");
    mac.update(account_id.to_string().as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..16])
}

/// The claims of `scope` about account `account_id` at assurance level
/// `level`; the names of the released claims (for the reuse log).
pub async fn of(
    core: &Core,
    account_id: i64,
    scope: &str,
    level: i64,
) -> Result<(Map<String, Value>, Vec<&'static str>)> {
    let mut m = Map::new();
    m.insert("sub".into(), json!(subject(core, account_id)));
    let mut c = core.store.conn().await?;
    let Some(a) =
        motcua_identity::directory::account(&mut c, motcua_domain::AccountId::new(account_id))
            .await?
    else {
        return Ok((m, Vec::new()));
    };
    let held = motcua_identity::profile::held(&mut c, &a).await?;
    drop(c);
    let value = |attr: &str| {
        held.iter()
            .find(|h| h.attr == attr)
            .map(|h| h.value.clone())
    };
    let business = a.has_role(Role::Business) || a.has_role(Role::Declarant);
    let scopes: Vec<&str> = scope.split(' ').collect();
    let mut released = Vec::new();
    let mut put = |m: &mut Map<String, Value>, k: &'static str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            m.insert(k.into(), json!(v));
            released.push(k);
        }
    };
    if scopes.contains(&"profile") {
        put(&mut m, "name", Some(a.full_name.clone()));
        put(
            &mut m,
            "account_type",
            Some(if business { "organization" } else { "citizen" }.into()),
        );
        put(&mut m, "birthdate", value("birthdate"));
        put(&mut m, "level", Some(level.to_string()));
    }
    if scopes.contains(&"email") {
        put(&mut m, "email", a.email.clone());
    }
    if scopes.contains(&"phone") {
        put(&mut m, "phone_number", a.phone.clone());
    }
    if scopes.contains(&"address") {
        put(&mut m, "address", value("address"));
        if let Some(Value::String(s)) = m.remove("address") {
            m.insert("address".into(), json!({ "formatted": s }));
        }
    }
    if scopes.contains(&"identity") {
        put(
            &mut m,
            "personal_id",
            a.personal_id.clone().filter(|_| !business),
        );
        put(&mut m, "tax_code", a.tax_code.clone());
        if business {
            put(&mut m, "business_code", a.tax_code.clone());
            put(
                &mut m,
                "business_name",
                value("organization").or(Some(a.full_name.clone())),
            );
        }
    }
    Ok((m, released))
}
