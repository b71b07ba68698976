//! Units of agencies and the roles people hold in them.
use motcua_domain::Millis;
use motcua_store::{conflict, Result};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRow {
    pub id: i64,
    pub agency_code: String,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub created_at: Millis,
}

fn unit(r: &AnyRow) -> Result<UnitRow> {
    Ok(UnitRow {
        id: r.try_get("id")?,
        agency_code: r.try_get("agency_code")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        kind: r.try_get("kind")?,
        created_at: r.try_get("created_at")?,
    })
}

const UNIT_COLS: &str = "id, agency_code, code, name, kind, created_at";

pub async fn insert_unit(c: &mut AnyConnection, u: &UnitRow) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO handling_units (agency_code, code, name, kind, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(&u.agency_code)
    .bind(&u.code)
    .bind(&u.name)
    .bind(&u.kind)
    .bind(u.created_at)
    .fetch_one(&mut *c)
    .await
    .map_err(conflict("unit"))
}

pub async fn unit_by_id(c: &mut AnyConnection, id: i64) -> Result<Option<UnitRow>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {UNIT_COLS} FROM handling_units WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *c)
    .await?;
    r.as_ref().map(unit).transpose()
}

pub async fn units_of(c: &mut AnyConnection, agency_code: &str) -> Result<Vec<UnitRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {UNIT_COLS} FROM handling_units WHERE agency_code = $1 ORDER BY kind DESC, code LIMIT 500"
    )))
    .bind(agency_code)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(unit).collect()
}

/// The departments of other agencies that have a one-stop unit (where a
/// dossier may be transferred), by agency then name; at most 500.
pub async fn departments_elsewhere(
    c: &mut AnyConnection,
    agency_code: &str,
) -> Result<Vec<UnitRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {UNIT_COLS} FROM handling_units u WHERE kind = 'department' AND agency_code <> $1 \
         AND EXISTS (SELECT 1 FROM handling_units o WHERE o.agency_code = u.agency_code AND o.kind = 'one_stop') \
         ORDER BY agency_code, name LIMIT 500"
    )))
    .bind(agency_code)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(unit).collect()
}

/// The agency's one-stop unit (the first made, if several).
pub async fn one_stop(c: &mut AnyConnection, agency_code: &str) -> Result<Option<UnitRow>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {UNIT_COLS} FROM handling_units WHERE agency_code = $1 AND kind = 'one_stop' ORDER BY id LIMIT 1"
    )))
    .bind(agency_code)
    .fetch_optional(&mut *c)
    .await?;
    r.as_ref().map(unit).transpose()
}

/// A role held by a person in a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub id: i64,
    pub account_id: i64,
    pub unit_id: i64,
    pub role: String,
    pub agency_code: String,
    pub unit_code: String,
    pub unit_name: String,
    pub unit_kind: String,
    pub granted_by: String,
    pub granted_at: Millis,
}

const MEMBER_SQL: &str = "SELECT s.id, s.account_id, s.unit_id, s.role, s.granted_by, s.granted_at, u.agency_code, u.code AS unit_code, u.name AS unit_name, u.kind AS unit_kind FROM handling_staff s JOIN handling_units u ON u.id = s.unit_id";

fn member(r: &AnyRow) -> Result<Membership> {
    Ok(Membership {
        id: r.try_get("id")?,
        account_id: r.try_get("account_id")?,
        unit_id: r.try_get("unit_id")?,
        role: r.try_get("role")?,
        agency_code: r.try_get("agency_code")?,
        unit_code: r.try_get("unit_code")?,
        unit_name: r.try_get("unit_name")?,
        unit_kind: r.try_get("unit_kind")?,
        granted_by: r.try_get("granted_by")?,
        granted_at: r.try_get("granted_at")?,
    })
}

pub async fn memberships(c: &mut AnyConnection, account_id: i64) -> Result<Vec<Membership>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{MEMBER_SQL} WHERE s.account_id = $1 ORDER BY u.agency_code, u.code, s.role LIMIT 200"
    )))
    .bind(account_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(member).collect()
}

pub async fn staff_of(c: &mut AnyConnection, agency_code: &str) -> Result<Vec<Membership>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{MEMBER_SQL} WHERE u.agency_code = $1 ORDER BY u.code, s.role, s.account_id LIMIT 2000"
    )))
    .bind(agency_code)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(member).collect()
}

/// Grants a role; false when it was held already.
pub async fn grant(
    c: &mut AnyConnection,
    account_id: i64,
    unit_id: i64,
    role: &str,
    by: &str,
    now: Millis,
) -> Result<bool> {
    let r = sqlx::query(
        "INSERT INTO handling_staff (account_id, unit_id, role, granted_by, granted_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, unit_id, role) DO NOTHING",
    )
    .bind(account_id)
    .bind(unit_id)
    .bind(role)
    .bind(by)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn revoke(c: &mut AnyConnection, id: i64) -> Result<Option<Membership>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!("{MEMBER_SQL} WHERE s.id = $1")))
        .bind(id)
        .fetch_optional(&mut *c)
        .await?;
    let Some(m) = r.as_ref().map(member).transpose()? else {
        return Ok(None);
    };
    sqlx::query("DELETE FROM handling_staff WHERE id = $1")
        .bind(id)
        .execute(&mut *c)
        .await?;
    Ok(Some(m))
}

/// Who holds `role` in `unit_id` (to assign a dossier to).
pub async fn holders(c: &mut AnyConnection, unit_id: i64, role: &str) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT account_id FROM handling_staff WHERE unit_id = $1 AND role = $2 ORDER BY account_id LIMIT 500",
    )
    .bind(unit_id)
    .bind(role)
    .fetch_all(&mut *c)
    .await?)
}
