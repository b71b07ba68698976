//! Postal choices, orders and their events.
use motcua_domain::Millis;
use motcua_store::{conflict, Result};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChoiceRow {
    pub id: i64,
    pub account_id: i64,
    pub draft_id: String,
    pub send_by_post: bool,
    pub result_by_post: bool,
    pub name: String,
    pub phone: String,
    pub province: String,
    pub commune: String,
    pub street: String,
    pub postage_send: i64,
    pub postage_result: i64,
    pub dossier_code: String,
}

const CHOICE_COLS: &str = "id, account_id, draft_id, send_by_post, result_by_post, name, phone, province, commune, street, postage_send, postage_result, dossier_code";

fn choice(r: &AnyRow) -> Result<ChoiceRow> {
    Ok(ChoiceRow {
        id: r.try_get("id")?,
        account_id: r.try_get("account_id")?,
        draft_id: r.try_get("draft_id")?,
        send_by_post: r.try_get::<i64, _>("send_by_post")? != 0,
        result_by_post: r.try_get::<i64, _>("result_by_post")? != 0,
        name: r.try_get("name")?,
        phone: r.try_get("phone")?,
        province: r.try_get("province")?,
        commune: r.try_get("commune")?,
        street: r.try_get("street")?,
        postage_send: r.try_get("postage_send")?,
        postage_result: r.try_get("postage_result")?,
        dossier_code: r.try_get("dossier_code")?,
    })
}

/// Keeps the choice for a draft (replacing the one before).
pub async fn save_choice(c: &mut AnyConnection, ch: &ChoiceRow, now: Millis) -> Result<()> {
    sqlx::query(
        "DELETE FROM postal_choices WHERE account_id = $1 AND draft_id = $2 AND dossier_code = ''",
    )
    .bind(ch.account_id)
    .bind(&ch.draft_id)
    .execute(&mut *c)
    .await?;
    sqlx::query(
        "INSERT INTO postal_choices (account_id, draft_id, send_by_post, result_by_post, name, phone, province, commune, street, postage_send, postage_result, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
    )
    .bind(ch.account_id)
    .bind(&ch.draft_id)
    .bind(i64::from(ch.send_by_post))
    .bind(i64::from(ch.result_by_post))
    .bind(&ch.name)
    .bind(&ch.phone)
    .bind(&ch.province)
    .bind(&ch.commune)
    .bind(&ch.street)
    .bind(ch.postage_send)
    .bind(ch.postage_result)
    .bind(now)
    .execute(&mut *c)
    .await
    .map_err(conflict("postal choice"))?;
    Ok(())
}

pub async fn remove_choice(c: &mut AnyConnection, account_id: i64, draft_id: &str) -> Result<()> {
    sqlx::query(
        "DELETE FROM postal_choices WHERE account_id = $1 AND draft_id = $2 AND dossier_code = ''",
    )
    .bind(account_id)
    .bind(draft_id)
    .execute(&mut *c)
    .await?;
    Ok(())
}

pub async fn choice_of_draft(
    c: &mut AnyConnection,
    account_id: i64,
    draft_id: &str,
) -> Result<Option<ChoiceRow>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {CHOICE_COLS} FROM postal_choices WHERE account_id = $1 AND draft_id = $2"
    )))
    .bind(account_id)
    .bind(draft_id)
    .fetch_optional(&mut *c)
    .await?;
    r.as_ref().map(choice).transpose()
}

pub async fn choice_of_dossier(c: &mut AnyConnection, code: &str) -> Result<Option<ChoiceRow>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {CHOICE_COLS} FROM postal_choices WHERE dossier_code = $1"
    )))
    .bind(code)
    .fetch_optional(&mut *c)
    .await?;
    r.as_ref().map(choice).transpose()
}

/// Ties a draft's choice to the dossier it became.
pub async fn attach(c: &mut AnyConnection, id: i64, code: &str, now: Millis) -> Result<()> {
    sqlx::query("UPDATE postal_choices SET dossier_code = $1, updated_at = $2 WHERE id = $3")
        .bind(code)
        .bind(now)
        .bind(id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Choices of submitted dossiers sent by post with no live order to send
/// them (a crash between the submission and the order): to repair.
pub async fn unplaced(c: &mut AnyConnection, limit: i64) -> Result<Vec<ChoiceRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {CHOICE_COLS} FROM postal_choices ch WHERE dossier_code <> '' AND send_by_post = 1 \
         AND NOT EXISTS (SELECT 1 FROM postal_orders o WHERE o.dossier_code = ch.dossier_code AND o.direction = 'send_dossier' AND o.state NOT IN ('cancelled', 'returned')) \
         ORDER BY id LIMIT $1"
    )))
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(choice).collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRow {
    pub id: i64,
    pub order_number: String,
    pub dossier_code: String,
    pub direction: String,
    pub waybill: String,
    pub state: String,
    pub postage: i64,
    pub cod: i64,
    pub receipt_at: Option<Millis>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

const ORDER_COLS: &str = "id, order_number, dossier_code, direction, waybill, state, postage, cod, receipt_at, created_at, updated_at";

fn order(r: &AnyRow) -> Result<OrderRow> {
    Ok(OrderRow {
        id: r.try_get("id")?,
        order_number: r.try_get("order_number")?,
        dossier_code: r.try_get("dossier_code")?,
        direction: r.try_get("direction")?,
        waybill: r.try_get("waybill")?,
        state: r.try_get("state")?,
        postage: r.try_get("postage")?,
        cod: r.try_get("cod")?,
        receipt_at: r.try_get("receipt_at")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Records a placed order; Ok(false) if the order number is known.
pub async fn insert_order(c: &mut AnyConnection, o: &OrderRow) -> Result<bool> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO postal_orders (order_number, dossier_code, direction, waybill, state, postage, cod, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(&o.order_number)
    .bind(&o.dossier_code)
    .bind(&o.direction)
    .bind(&o.waybill)
    .bind(&o.state)
    .bind(o.postage)
    .bind(o.cod)
    .bind(o.created_at)
    .fetch_optional(&mut *c)
    .await?;
    Ok(id.is_some())
}

pub async fn by_number(c: &mut AnyConnection, order_number: &str) -> Result<Option<OrderRow>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ORDER_COLS} FROM postal_orders WHERE order_number = $1"
    )))
    .bind(order_number)
    .fetch_optional(&mut *c)
    .await?;
    r.as_ref().map(order).transpose()
}

pub async fn of_dossier(c: &mut AnyConnection, code: &str) -> Result<Vec<OrderRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ORDER_COLS} FROM postal_orders WHERE dossier_code = $1 ORDER BY id LIMIT 20"
    )))
    .bind(code)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(order).collect()
}

pub async fn set_state(
    c: &mut AnyConnection,
    id: i64,
    state: &str,
    receipt_at: Option<Millis>,
    now: Millis,
) -> Result<()> {
    sqlx::query("UPDATE postal_orders SET state = $1, receipt_at = COALESCE($2, receipt_at), updated_at = $3 WHERE id = $4")
        .bind(state)
        .bind(receipt_at)
        .bind(now)
        .bind(id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Records a status report once; false if it was recorded before.
pub async fn add_event(
    c: &mut AnyConnection,
    order_id: i64,
    status: &str,
    at: Millis,
    note: &str,
    now: Millis,
) -> Result<bool> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO postal_events (order_id, status, at, note, received_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(order_id)
    .bind(status)
    .bind(at)
    .bind(note)
    .bind(now)
    .fetch_optional(&mut *c)
    .await?;
    Ok(id.is_some())
}

/// An order's events, oldest first: (status, at).
pub async fn events(c: &mut AnyConnection, order_id: i64) -> Result<Vec<(String, Millis)>> {
    let rows = sqlx::query(
        "SELECT status, at FROM postal_events WHERE order_id = $1 ORDER BY at, id LIMIT 100",
    )
    .bind(order_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("status")?, r.try_get("at")?)))
        .collect()
}

/// Orders not final whose last word is older than `before`.
pub async fn quiet(c: &mut AnyConnection, before: Millis, limit: i64) -> Result<Vec<OrderRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ORDER_COLS} FROM postal_orders WHERE state IN ('placed', 'picked_up', 'in_transit', 'failed') AND updated_at < $1 ORDER BY updated_at LIMIT $2"
    )))
    .bind(before)
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(order).collect()
}

/// Marks an order asked about now (it is asked again an hour later).
pub async fn touch(c: &mut AnyConnection, id: i64, now: Millis) -> Result<()> {
    sqlx::query("UPDATE postal_orders SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut *c)
        .await?;
    Ok(())
}
