//! Agencies' units and the roles civil servants hold in them (R-OP-4).
//! The operator makes units and may grant any role; an agency's admin
//! grants and revokes roles in their own agency only. Every grant and
//! revocation is audited. [`Staff`] is what a civil servant may do,
//! read once per request.
use crate::store::people::{self as store, Membership, UnitRow};
use crate::workflow::{ADMIN, DEPARTMENT, ONE_STOP, ROLES};
use motcua_domain::Role;
use motcua_kernel::service::{Origin, Result, ServiceError};
use motcua_kernel::Core;
use std::collections::BTreeSet;

/// A person's roles across agencies' units.
#[derive(Debug, Clone, Default)]
pub struct Staff {
    pub account_id: i64,
    pub operator: bool,
    pub memberships: Vec<Membership>,
}

impl Staff {
    /// The agencies where this person holds any role.
    pub fn agencies(&self) -> BTreeSet<String> {
        self.memberships
            .iter()
            .map(|m| m.agency_code.clone())
            .collect()
    }
    pub fn in_agency(&self, agency: &str) -> bool {
        self.memberships.iter().any(|m| m.agency_code == agency)
    }
    pub fn holds(&self, unit_id: i64, role: &str) -> bool {
        self.memberships
            .iter()
            .any(|m| m.unit_id == unit_id && m.role == role)
    }
    /// Holds `role` in the one-stop unit of `agency`.
    pub fn holds_one_stop(&self, agency: &str, role: &str) -> bool {
        self.memberships
            .iter()
            .any(|m| m.agency_code == agency && m.unit_kind == ONE_STOP && m.role == role)
    }
    pub fn admin_of(&self, agency: &str) -> bool {
        self.memberships
            .iter()
            .any(|m| m.agency_code == agency && m.role == ADMIN)
    }
    /// `asked` when given, else the first agency this person administers
    /// (empty when none): the agency an administrator's page opens on.
    pub fn agency_or_first_administered(&self, asked: &str) -> String {
        if !asked.trim().is_empty() {
            return asked.trim().to_string();
        }
        self.agencies()
            .into_iter()
            .find(|a| self.admin_of(a))
            .unwrap_or_default()
    }
    /// The units where this person holds a role.
    pub fn units(&self) -> Vec<i64> {
        let set: BTreeSet<i64> = self.memberships.iter().map(|m| m.unit_id).collect();
        set.into_iter().collect()
    }
    pub fn is_staff(&self) -> bool {
        !self.memberships.is_empty()
    }
}

/// The roles of account `account_id` (`operator`: the viewer is the
/// portal's operator).
pub async fn staff(core: &Core, account_id: i64, operator: bool) -> Result<Staff> {
    let mut c = core.store.conn().await?;
    Ok(Staff {
        account_id,
        operator,
        memberships: store::memberships(&mut c, account_id).await?,
    })
}

pub async fn units(core: &Core, agency_code: &str) -> Result<Vec<UnitRow>> {
    let mut c = core.store.conn().await?;
    Ok(store::units_of(&mut c, agency_code).await?)
}

/// The departments of other agencies a dossier may be transferred to.
pub async fn departments_elsewhere(core: &Core, agency_code: &str) -> Result<Vec<UnitRow>> {
    let mut c = core.store.conn().await?;
    Ok(store::departments_elsewhere(&mut c, agency_code).await?)
}

pub async fn unit(core: &Core, id: i64) -> Result<Option<UnitRow>> {
    let mut c = core.store.conn().await?;
    Ok(store::unit_by_id(&mut c, id).await?)
}

/// The people of an agency and their roles: for its admin or the operator.
pub async fn people(core: &Core, who: &Staff, agency_code: &str) -> Result<Vec<Membership>> {
    if !who.operator && !who.admin_of(agency_code) {
        return Err(ServiceError::NotFound);
    }
    let mut c = core.store.conn().await?;
    Ok(store::staff_of(&mut c, agency_code).await?)
}

fn valid_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
}

/// Makes a unit of an agency of the catalog (the operator only).
pub async fn add_unit(
    core: &Core,
    origin: &Origin,
    who: &Staff,
    agency_code: &str,
    code: &str,
    name: &str,
    kind: &str,
) -> Result<i64> {
    if !who.operator {
        return Err(ServiceError::Forbidden);
    }
    let (code, name) = (code.trim(), name.trim());
    if motcua_catalog::queries::agency(core, agency_code)
        .await?
        .is_none()
    {
        return Err(ServiceError::NotFound);
    }
    if !valid_code(code) {
        return Err(ServiceError::field("code", "handling.error_unit_code"));
    }
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(ServiceError::field("name", "handling.error_unit_name"));
    }
    if kind != ONE_STOP && kind != DEPARTMENT {
        return Err(ServiceError::field("kind", "handling.error_unit_kind"));
    }
    let now = core.now();
    let mut tx = core.store.begin().await?;
    if kind == ONE_STOP && store::one_stop(&mut tx, agency_code).await?.is_some() {
        return Err(ServiceError::field(
            "kind",
            "handling.error_one_stop_exists",
        ));
    }
    let id = store::insert_unit(
        &mut tx,
        &UnitRow {
            id: 0,
            agency_code: agency_code.to_string(),
            code: code.to_string(),
            name: name.to_string(),
            kind: kind.to_string(),
            created_at: now,
        },
    )
    .await
    .map_err(|e| match e {
        motcua_store::StoreError::Conflict(_) => {
            ServiceError::field("code", "handling.error_unit_exists")
        }
        e => e.into(),
    })?;
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "handling.unit_add",
        &format!("agency:{agency_code}"),
        &serde_json::json!({ "unit": code, "name": name, "kind": kind }).to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Grants `role` in `unit_id` to the civil servant `username`: by the
/// operator, or by an admin of the unit's agency.
pub async fn grant(
    core: &Core,
    origin: &Origin,
    who: &Staff,
    unit_id: i64,
    username: &str,
    role: &str,
) -> Result<()> {
    let unit = unit(core, unit_id).await?.ok_or(ServiceError::NotFound)?;
    if !who.operator && !who.admin_of(&unit.agency_code) {
        return Err(ServiceError::NotFound);
    }
    if !ROLES.contains(&role) {
        return Err(ServiceError::field("role", "handling.error_role"));
    }
    let account = motcua_identity::queries::account_by_username(core, username.trim())
        .await?
        .filter(|a| a.has_role(Role::CivilServant))
        .ok_or(ServiceError::field(
            "username",
            "handling.error_not_civil_servant",
        ))?;
    let now = core.now();
    let mut tx = core.store.begin().await?;
    if !store::grant(
        &mut tx,
        account.id.get(),
        unit_id,
        role,
        &origin.audit.actor,
        now,
    )
    .await?
    {
        return Err(ServiceError::Conflict("handling.error_role_held"));
    }
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "handling.role_grant",
        &format!("account:{}", account.id.get()),
        &serde_json::json!({ "agency": unit.agency_code, "unit": unit.code, "role": role })
            .to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Revokes a role (membership `id`): the operator, or an admin of its
/// agency; an admin cannot revoke their own admin role (someone must
/// remain to manage the agency).
pub async fn revoke(core: &Core, origin: &Origin, who: &Staff, id: i64) -> Result<()> {
    let now = core.now();
    let mut tx = core.store.begin().await?;
    let Some(m) = store::revoke(&mut tx, id).await? else {
        return Err(ServiceError::NotFound);
    };
    if !who.operator && !who.admin_of(&m.agency_code) {
        return Err(ServiceError::NotFound);
    }
    if !who.operator && m.account_id == who.account_id && m.role == ADMIN {
        return Err(ServiceError::Conflict("handling.error_own_admin"));
    }
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "handling.role_revoke",
        &format!("account:{}", m.account_id),
        &serde_json::json!({ "agency": m.agency_code, "unit": m.unit_code, "role": m.role })
            .to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// "Full name (username)" of each account among `ids`, read at once.
pub async fn names(core: &Core, ids: &[i64]) -> Result<std::collections::HashMap<i64, String>> {
    let ids: Vec<motcua_domain::AccountId> = ids
        .iter()
        .map(|i| motcua_domain::AccountId::new(*i))
        .collect();
    let mut c = core.store.conn().await?;
    Ok(motcua_identity::directory::accounts_of(&mut c, &ids)
        .await?
        .into_iter()
        .map(|a| (a.id.get(), format!("{} ({})", a.full_name, a.username)))
        .collect())
}

/// The people holding `role` in `unit_id`, with their names (to assign a
/// dossier to).
pub async fn people_of_unit(core: &Core, unit_id: i64, role: &str) -> Result<Vec<(i64, String)>> {
    let ids = {
        let mut c = core.store.conn().await?;
        store::holders(&mut c, unit_id, role).await?
    };
    let mut names = names(core, &ids).await?;
    Ok(ids
        .into_iter()
        .filter_map(|id| names.remove(&id).map(|n| (id, n)))
        .collect())
}
