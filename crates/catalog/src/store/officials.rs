//! The officials an agency publishes (`catalog_officials`).
use motcua_domain::Millis;
use motcua_store::Result;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Official {
    pub id: i64,
    #[serde(skip)]
    pub agency_code: String,
    pub position: String,
    pub full_name: String,
    pub phone: String,
    pub email: String,
    pub sort: i64,
}

/// An agency's officials, in their order.
pub async fn of_agency(c: &mut AnyConnection, agency: &str) -> Result<Vec<Official>> {
    let rows = sqlx::query(
        "SELECT id, agency_code, position, full_name, phone, email, sort FROM catalog_officials \
         WHERE agency_code = $1 ORDER BY sort, id LIMIT 200",
    )
    .bind(agency)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Official {
                id: r.try_get("id")?,
                agency_code: r.try_get("agency_code")?,
                position: r.try_get("position")?,
                full_name: r.try_get("full_name")?,
                phone: r.try_get("phone")?,
                email: r.try_get("email")?,
                sort: r.try_get("sort")?,
            })
        })
        .collect()
}

pub async fn count(c: &mut AnyConnection, agency: &str) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM catalog_officials WHERE agency_code = $1")
            .bind(agency)
            .fetch_one(&mut *c)
            .await?,
    )
}

pub async fn insert(c: &mut AnyConnection, o: &Official, by: &str, now: Millis) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO catalog_officials (agency_code, position, full_name, phone, email, sort, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(&o.agency_code)
    .bind(&o.position)
    .bind(&o.full_name)
    .bind(&o.phone)
    .bind(&o.email)
    .bind(o.sort)
    .bind(by)
    .bind(now)
    .fetch_one(&mut *c)
    .await?)
}

/// Removes official `id` of `agency`; the row removed, if any.
pub async fn remove(c: &mut AnyConnection, agency: &str, id: i64) -> Result<Option<Official>> {
    let found = of_agency(c, agency).await?.into_iter().find(|o| o.id == id);
    if found.is_some() {
        sqlx::query("DELETE FROM catalog_officials WHERE id = $1 AND agency_code = $2")
            .bind(id)
            .bind(agency)
            .execute(&mut *c)
            .await?;
    }
    Ok(found)
}

/// Locks agency `code`'s row until the transaction ends (its officials
/// change one writer at a time: the count limit holds); whether it exists.
pub async fn lock_agency(c: &mut AnyConnection, code: &str) -> Result<bool> {
    let n = sqlx::query("UPDATE catalog_agencies SET updated_at = updated_at WHERE code = $1")
        .bind(code)
        .execute(&mut *c)
        .await?
        .rows_affected();
    Ok(n == 1)
}
