//! Events to specialized processing systems (R-ID-5): the outbox and its
//! deliveries.
//!
//! [`emit`] runs inside the transaction of the change it reports, so an
//! event exists if and only if the change was committed. It fans out at
//! once: one delivery row per active system subscribed to the event type.
//! Delivery workers on any node [`claim`] due deliveries under a lease
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so each delivery is sent by
//! one worker at a time; deliveries of one subject (an account) to one
//! system are claimed strictly in event order: a delivery waits while an
//! earlier one of the same subject and system is still pending. Delivery is
//! at-least-once; receivers deduplicate by the event id (`webhook-id`).
use crate::{conflict, Backend, Result};
use motcua_domain::{DeliveryId, DeliveryStatus, Millis, SystemId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct System {
    pub id: SystemId,
    pub code: String,
    pub name: String,
    pub ministry: String,
    pub endpoint_url: String,
    /// `whsec_` + base64 of the signing key.
    #[serde(skip)]
    pub secret: String,
    /// Subscribed event types, space-separated (`*` = all).
    pub event_types: String,
    pub active: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
}

impl System {
    pub fn subscribes(&self, event_type: &str) -> bool {
        self.event_types
            .split_whitespace()
            .any(|t| t == "*" || t == event_type)
    }
}

#[derive(Debug, Clone)]
pub struct NewSystem<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub ministry: &'a str,
    pub endpoint_url: &'a str,
    pub secret: &'a str,
    pub event_types: &'a str,
    pub active: bool,
}

const SYS_COLS: &str =
    "id, code, name, ministry, endpoint_url, secret, event_types, active, created_at, updated_at";

fn system(r: &AnyRow) -> Result<System> {
    Ok(System {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        ministry: r.try_get("ministry")?,
        endpoint_url: r.try_get("endpoint_url")?,
        secret: r.try_get("secret")?,
        event_types: r.try_get("event_types")?,
        active: r.try_get::<i64, _>("active")? != 0,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub async fn create_system(
    c: &mut AnyConnection,
    s: &NewSystem<'_>,
    now: Millis,
) -> Result<SystemId> {
    sqlx::query_scalar(
        "INSERT INTO specialized_systems (code, name, ministry, endpoint_url, secret, event_types, active, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(s.code)
    .bind(s.name)
    .bind(s.ministry)
    .bind(s.endpoint_url)
    .bind(s.secret)
    .bind(s.event_types)
    .bind(i64::from(s.active))
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .map_err(conflict("specialized system code"))
}

/// Updates everything but the code; `secret: ""` keeps the current secret.
pub async fn update_system(
    c: &mut AnyConnection,
    id: SystemId,
    s: &NewSystem<'_>,
    now: Millis,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE specialized_systems SET name = $1, ministry = $2, endpoint_url = $3, \
         secret = CASE WHEN $4 = '' THEN secret ELSE $4 END, event_types = $5, active = $6, updated_at = $7 WHERE id = $8",
    )
    .bind(s.name)
    .bind(s.ministry)
    .bind(s.endpoint_url)
    .bind(s.secret)
    .bind(s.event_types)
    .bind(i64::from(s.active))
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn system_by_id(c: &mut AnyConnection, id: SystemId) -> Result<Option<System>> {
    let sql = format!("SELECT {SYS_COLS} FROM specialized_systems WHERE id = $1");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(id)
        .fetch_optional(&mut *c)
        .await?;
    r.as_ref().map(system).transpose()
}

pub async fn systems(c: &mut AnyConnection) -> Result<Vec<System>> {
    let sql = format!("SELECT {SYS_COLS} FROM specialized_systems ORDER BY code");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(system).collect()
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Event {
    pub seq: i64,
    /// `msg_…`: the Standard Webhooks `webhook-id`, stable across retries.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// What the event is about, e.g. `account:42`; the ordering key.
    pub subject: String,
    /// The JSON body sent to receivers.
    pub payload: String,
    pub created_at: Millis,
}

/// Inserts the event row; its sequence number.
async fn insert_event(c: &mut AnyConnection, event: &Event, now: Millis) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO events (id, type, subject, payload, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING seq",
    )
    .bind(&event.id)
    .bind(&event.kind)
    .bind(&event.subject)
    .bind(&event.payload)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .map_err(conflict("event id"))
}

/// A pending delivery of event `seq` to system `system`.
async fn insert_delivery(
    c: &mut AnyConnection,
    seq: i64,
    system: SystemId,
    subject: &str,
    horizon: Millis,
    now: Millis,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO deliveries (event_seq, system_id, subject, status, attempts, next_attempt_at, expires_at, created_at, updated_at) \
         VALUES ($1, $2, $3, 'pending', 0, $4, $5, $4, $4)",
    )
    .bind(seq)
    .bind(system)
    .bind(subject)
    .bind(now)
    .bind(now + horizon)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Writes an event to the outbox and one delivery per active subscribed
/// system. Must run in the transaction of the change. `horizon` is how long
/// deliveries are retried before they are dead-lettered.
pub async fn emit(
    c: &mut AnyConnection,
    event: &Event,
    horizon: Millis,
    now: Millis,
) -> Result<i64> {
    let seq = insert_event(c, event, now).await?;
    for s in systems(c).await? {
        if s.active && s.subscribes(&event.kind) {
            insert_delivery(c, seq, s.id, &event.subject, horizon, now).await?;
        }
    }
    Ok(seq)
}

/// Writes an event for one system only (`system_code`), whatever it
/// subscribes to: a dossier forwarded to the ministry's system that
/// handles its procedure. True when the system exists and is active (a
/// delivery was made); the event is kept either way. Must run in the
/// transaction of the change.
pub async fn emit_to(
    c: &mut AnyConnection,
    event: &Event,
    system_code: &str,
    horizon: Millis,
    now: Millis,
) -> Result<bool> {
    let seq = insert_event(c, event, now).await?;
    let Some(s) = systems(c)
        .await?
        .into_iter()
        .find(|s| s.active && s.code == system_code)
    else {
        return Ok(false);
    };
    insert_delivery(c, seq, s.id, &event.subject, horizon, now).await?;
    Ok(true)
}

fn event(r: &AnyRow) -> Result<Event> {
    Ok(Event {
        seq: r.try_get("seq")?,
        id: r.try_get("id")?,
        kind: r.try_get("type")?,
        subject: r.try_get("subject")?,
        payload: r.try_get("payload")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Newest first, optionally of one subject.
pub async fn events(
    c: &mut AnyConnection,
    subject: Option<&str>,
    limit: i64,
) -> Result<Vec<Event>> {
    let rows = sqlx::query(
        "SELECT seq, id, type, subject, payload, created_at FROM events WHERE ($1 = '' OR subject = $1) ORDER BY seq DESC LIMIT $2",
    )
    .bind(subject.unwrap_or(""))
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(event).collect()
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Delivery {
    pub id: DeliveryId,
    pub event_seq: i64,
    pub event_id: String,
    pub event_type: String,
    pub payload: String,
    pub event_created_at: Millis,
    pub system_id: SystemId,
    pub system_code: String,
    pub endpoint_url: String,
    #[serde(skip)]
    pub secret: String,
    pub subject: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: Millis,
    pub expires_at: Millis,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<Millis>,
    pub updated_at: Millis,
}

const DEL_SELECT: &str = "SELECT d.id, d.event_seq, e.id AS event_id, e.type AS event_type, e.payload, e.created_at AS event_created_at, \
     d.system_id, s.code AS system_code, s.endpoint_url, s.secret, d.subject, d.status, d.attempts, d.next_attempt_at, d.expires_at, \
     d.last_status, d.last_error, d.delivered_at, d.updated_at \
     FROM deliveries d JOIN events e ON e.seq = d.event_seq JOIN specialized_systems s ON s.id = d.system_id";

fn delivery(r: &AnyRow) -> Result<Delivery> {
    Ok(Delivery {
        id: r.try_get("id")?,
        event_seq: r.try_get("event_seq")?,
        event_id: r.try_get("event_id")?,
        event_type: r.try_get("event_type")?,
        payload: r.try_get("payload")?,
        event_created_at: r.try_get("event_created_at")?,
        system_id: r.try_get("system_id")?,
        system_code: r.try_get("system_code")?,
        endpoint_url: r.try_get("endpoint_url")?,
        secret: r.try_get("secret")?,
        subject: r.try_get("subject")?,
        status: crate::status::<DeliveryStatus>(r, "status")?,
        attempts: r.try_get("attempts")?,
        next_attempt_at: r.try_get("next_attempt_at")?,
        expires_at: r.try_get("expires_at")?,
        last_status: r.try_get("last_status")?,
        last_error: r.try_get("last_error")?,
        delivered_at: r.try_get("delivered_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Claims up to `limit` due deliveries for `worker` with a lease of
/// `lease` ms. A delivery is due when it is pending and its time has come,
/// or when it is being sent by a worker whose lease ran out; it is held
/// back while an earlier delivery of the same subject to the same system
/// is not yet delivered or dead.
pub async fn claim(
    c: &mut AnyConnection,
    worker: &str,
    limit: i64,
    lease: Millis,
    now: Millis,
) -> Result<Vec<Delivery>> {
    let lock = Backend::of(c).skip_locked();
    let sql = format!(
        "UPDATE deliveries SET status = 'sending', attempts = attempts + 1, locked_by = $1, locked_until = $2, updated_at = $3 \
         WHERE id IN (SELECT d.id FROM deliveries d WHERE \
           ((d.status = 'pending' AND d.next_attempt_at <= $3) OR (d.status = 'sending' AND d.locked_until < $3)) \
           AND NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.system_id = d.system_id AND p.subject = d.subject \
                           AND p.event_seq < d.event_seq AND p.status IN ('pending', 'sending')) \
           ORDER BY d.event_seq LIMIT $4{lock}) RETURNING id"
    );
    let ids: Vec<DeliveryId> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(worker)
        .bind(now + lease)
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *c)
        .await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(d) = get(c, id).await? {
            out.push(d);
        }
    }
    Ok(out)
}

pub async fn get(c: &mut AnyConnection, id: DeliveryId) -> Result<Option<Delivery>> {
    let sql = format!("{DEL_SELECT} WHERE d.id = $1");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(id)
        .fetch_optional(&mut *c)
        .await?;
    r.as_ref().map(delivery).transpose()
}

/// Records an acknowledged (2xx) delivery. Only the worker holding the
/// lease may do so; returns false if the lease was lost meanwhile (another
/// worker may then send it again: at-least-once).
pub async fn delivered(
    c: &mut AnyConnection,
    id: DeliveryId,
    worker: &str,
    http_status: i64,
    now: Millis,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE deliveries SET status = 'delivered', delivered_at = $1, last_status = $2, last_error = NULL, locked_by = NULL, locked_until = NULL, updated_at = $1 \
         WHERE id = $3 AND status = 'sending' AND locked_by = $4",
    )
    .bind(now)
    .bind(http_status)
    .bind(id)
    .bind(worker)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Records a failed attempt: retry at `retry_at`, or dead-letter when that
/// is past the delivery's horizon. Returns true when it is now dead.
pub async fn failed(
    c: &mut AnyConnection,
    d: &Delivery,
    worker: &str,
    http_status: Option<i64>,
    error: &str,
    retry_at: Millis,
    now: Millis,
) -> Result<bool> {
    let dead = retry_at > d.expires_at;
    sqlx::query(
        "UPDATE deliveries SET status = $1, next_attempt_at = $2, last_status = $3, last_error = $4, locked_by = NULL, locked_until = NULL, updated_at = $5 \
         WHERE id = $6 AND status = 'sending' AND locked_by = $7",
    )
    .bind(if dead {
        DeliveryStatus::Dead.as_str()
    } else {
        DeliveryStatus::Pending.as_str()
    })
    .bind(retry_at)
    .bind(http_status)
    .bind(error.chars().take(1000).collect::<String>())
    .bind(now)
    .bind(d.id)
    .bind(worker)
    .execute(&mut *c)
    .await?;
    Ok(dead)
}

/// Sends a dead delivery again (operator action): pending now, with a new
/// horizon. Returns false unless it was dead.
pub async fn redeliver(
    c: &mut AnyConnection,
    id: DeliveryId,
    horizon: Millis,
    now: Millis,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE deliveries SET status = 'pending', next_attempt_at = $1, expires_at = $2, attempts = 0, updated_at = $1 WHERE id = $3 AND status = 'dead'",
    )
    .bind(now)
    .bind(now + horizon)
    .bind(id)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// The newest `limit`; `status: None` for all.
pub async fn list(
    c: &mut AnyConnection,
    status: Option<DeliveryStatus>,
    system_id: Option<SystemId>,
    limit: i64,
) -> Result<Vec<Delivery>> {
    Ok(page(c, status, system_id, None, limit).await?.0)
}

/// A page of deliveries newest first after the cursor (keyset on the id,
/// through `deliveries_status` or `deliveries_system` of migration 22 when
/// filtered), and the next page's cursor; `status: None` for all.
pub async fn page(
    c: &mut AnyConnection,
    status: Option<DeliveryStatus>,
    system_id: Option<SystemId>,
    after: Option<crate::keyset::Cursor>,
    limit: i64,
) -> Result<(Vec<Delivery>, Option<crate::keyset::Cursor>)> {
    // Each filter is in the SQL only when given, so that the statement
    // each shape prepares is planned for its index.
    let mut cond = vec!["d.id < $1".to_string()];
    if status.is_some() {
        cond.push("d.status = $3".into());
    }
    if system_id.is_some() {
        cond.push(format!(
            "d.system_id = ${}",
            3 + usize::from(status.is_some())
        ));
    }
    let sql = format!(
        "{DEL_SELECT} WHERE {} ORDER BY d.id DESC LIMIT $2",
        cond.join(" AND ")
    );
    let before = after.map_or(i64::MAX, |a| a.id);
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(before)
        .bind(limit + 1);
    if let Some(s) = status {
        q = q.bind(s.as_str());
    }
    if let Some(id) = system_id {
        q = q.bind(id.get());
    }
    let rows = q.fetch_all(&mut *c).await?;
    let rows = rows.iter().map(delivery).collect::<Result<Vec<_>>>()?;
    Ok(crate::keyset::page(rows, limit, |d| {
        crate::keyset::Cursor {
            key: d.id.get(),
            id: d.id.get(),
        }
    }))
}

/// Number of deliveries per status.
pub async fn counts(c: &mut AnyConnection) -> Result<Vec<(DeliveryStatus, i64)>> {
    let rows =
        sqlx::query("SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status ORDER BY status")
            .fetch_all(&mut *c)
            .await?;
    rows.iter()
        .map(|r| {
            Ok((
                crate::status::<DeliveryStatus>(r, "status")?,
                r.try_get("n")?,
            ))
        })
        .collect()
}

/// The earliest time a pending delivery becomes due, for the worker's sleep.
pub async fn next_due(c: &mut AnyConnection) -> Result<Option<Millis>> {
    Ok(sqlx::query_scalar(
        "SELECT MIN(CASE WHEN status = 'pending' THEN next_attempt_at ELSE locked_until END) FROM deliveries WHERE status IN ('pending', 'sending')",
    )
    .fetch_one(&mut *c)
    .await?)
}
