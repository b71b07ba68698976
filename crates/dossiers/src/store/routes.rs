//! `dossier_routes`: the procedures handled by a ministry's specialized
//! system.
use motcua_domain::Millis;
use motcua_store::Result;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub procedure_code: String,
    pub system_code: String,
    pub client_id: String,
    pub updated_at: Millis,
}

fn route(r: &sqlx::any::AnyRow) -> Result<Route> {
    Ok(Route {
        procedure_code: r.try_get("procedure_code")?,
        system_code: r.try_get("system_code")?,
        client_id: r.try_get("client_id")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub async fn all(c: &mut AnyConnection) -> Result<Vec<Route>> {
    let rows = sqlx::query(
        "SELECT procedure_code, system_code, client_id, updated_at FROM dossier_routes ORDER BY procedure_code LIMIT 5000",
    )
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(route).collect()
}

pub async fn of_procedure(c: &mut AnyConnection, procedure: &str) -> Result<Option<Route>> {
    let r = sqlx::query(
        "SELECT procedure_code, system_code, client_id, updated_at FROM dossier_routes WHERE procedure_code = $1",
    )
    .bind(procedure)
    .fetch_optional(&mut *c)
    .await?;
    r.as_ref().map(route).transpose()
}

pub async fn put(c: &mut AnyConnection, r: &Route) -> Result<()> {
    sqlx::query(
        "INSERT INTO dossier_routes (procedure_code, system_code, client_id, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (procedure_code) DO UPDATE SET system_code = $2, client_id = $3, updated_at = $4",
    )
    .bind(&r.procedure_code)
    .bind(&r.system_code)
    .bind(&r.client_id)
    .bind(r.updated_at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

pub async fn remove(c: &mut AnyConnection, procedure: &str) -> Result<bool> {
    Ok(
        sqlx::query("DELETE FROM dossier_routes WHERE procedure_code = $1")
            .bind(procedure)
            .execute(&mut *c)
            .await?
            .rows_affected()
            == 1,
    )
}
