//! Submitted dossiers, their timeline (`dossier_events`) and the serials
//! of their codes (`dossier_serials`).
use motcua_domain::Millis;
use motcua_store::keyset::Cursor;
use motcua_store::{conflict, Result};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierRow {
    pub id: i64,
    pub code: String,
    pub draft_id: i64,
    pub account_id: i64,
    /// Where mail about it goes, and in which language (`vi`, `en`).
    pub contact_email: String,
    pub locale: String,
    pub applicant_name: String,
    pub procedure_code: String,
    pub procedure_version: i64,
    pub procedure_name: String,
    pub case_code: String,
    pub form_id: i64,
    pub agency_code: String,
    pub agency_name: String,
    /// 1 in person, 2 online, 3 public postal.
    pub channel: i64,
    /// The national status number (1 new … 10 result returned).
    pub status: i64,
    pub submitted_at: Millis,
    /// When the agency counts the dossier as received (the next working
    /// day after the cut-off).
    pub received_at: Millis,
    pub appointment_at: Option<Millis>,
    /// The processing time of the channel, as the catalog gave it.
    pub time_amount: i64,
    pub time_unit: String,
    pub updated_at: Millis,
    /// SHA-256 of the answers as stored, hex.
    pub digest: String,
    /// The answers (JSON object); for a dossier pushed by another
    /// one-stop system, what it sent (documents, fees, results, flags).
    pub data: String,
    /// The client id of the one-stop system that pushed it; empty for a
    /// dossier received here.
    pub origin: String,
    /// The system client of the ministry's specialized system handling
    /// it (the dossier was forwarded there); empty when handled here.
    pub handled_by: String,
}

const COLS: &str = "id, code, draft_id, account_id, contact_email, locale, applicant_name, procedure_code, procedure_version, procedure_name, case_code, form_id, agency_code, agency_name, channel, status, submitted_at, received_at, appointment_at, time_amount, time_unit, updated_at, digest, data, origin, handled_by";
/// The columns a list shows (never the answers).
const LIST_COLS: &str = "id, code, draft_id, account_id, contact_email, locale, applicant_name, procedure_code, procedure_version, procedure_name, case_code, form_id, agency_code, agency_name, channel, status, submitted_at, received_at, appointment_at, time_amount, time_unit, updated_at, digest, '' AS data, origin, handled_by";

fn row(r: &AnyRow) -> Result<DossierRow> {
    Ok(DossierRow {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        draft_id: r.try_get("draft_id")?,
        account_id: r.try_get("account_id")?,
        contact_email: r.try_get("contact_email")?,
        locale: r.try_get("locale")?,
        applicant_name: r.try_get("applicant_name")?,
        procedure_code: r.try_get("procedure_code")?,
        procedure_version: r.try_get("procedure_version")?,
        procedure_name: r.try_get("procedure_name")?,
        case_code: r.try_get("case_code")?,
        form_id: r.try_get("form_id")?,
        agency_code: r.try_get("agency_code")?,
        agency_name: r.try_get("agency_name")?,
        channel: r.try_get("channel")?,
        status: r.try_get("status")?,
        submitted_at: r.try_get("submitted_at")?,
        received_at: r.try_get("received_at")?,
        appointment_at: r.try_get("appointment_at")?,
        time_amount: r.try_get("time_amount")?,
        time_unit: r.try_get("time_unit")?,
        updated_at: r.try_get("updated_at")?,
        digest: r.try_get("digest")?,
        data: r.try_get("data")?,
        origin: r.try_get("origin")?,
        handled_by: r.try_get("handled_by")?,
    })
}

/// The next serial of `prefix` (1 for a new prefix), in one statement:
/// two submissions at once never get the same number.
pub async fn next_serial(c: &mut AnyConnection, prefix: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO dossier_serials (prefix, last) VALUES ($1, 1) \
         ON CONFLICT (prefix) DO UPDATE SET last = dossier_serials.last + 1 RETURNING last",
    )
    .bind(prefix)
    .fetch_one(&mut *c)
    .await?)
}

pub async fn insert(c: &mut AnyConnection, d: &DossierRow) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO dossiers (code, draft_id, account_id, contact_email, locale, applicant_name, procedure_code, procedure_version, procedure_name, case_code, form_id, agency_code, agency_name, channel, status, submitted_at, received_at, appointment_at, time_amount, time_unit, updated_at, digest, data) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23) RETURNING id",
    )
    .bind(&d.code)
    .bind(d.draft_id)
    .bind(d.account_id)
    .bind(&d.contact_email)
    .bind(&d.locale)
    .bind(&d.applicant_name)
    .bind(&d.procedure_code)
    .bind(d.procedure_version)
    .bind(&d.procedure_name)
    .bind(&d.case_code)
    .bind(d.form_id)
    .bind(&d.agency_code)
    .bind(&d.agency_name)
    .bind(d.channel)
    .bind(d.status)
    .bind(d.submitted_at)
    .bind(d.received_at)
    .bind(d.appointment_at)
    .bind(d.time_amount)
    .bind(&d.time_unit)
    .bind(d.updated_at)
    .bind(&d.digest)
    .bind(&d.data)
    .fetch_one(&mut *c)
    .await
    .map_err(conflict("dossier"))
}

pub async fn by_code(c: &mut AnyConnection, code: &str) -> Result<Option<DossierRow>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM dossiers WHERE code = $1"
    )))
    .bind(code)
    .fetch_optional(&mut *c)
    .await?;
    r.as_ref().map(row).transpose()
}

/// What a list of one person's dossiers is filtered by.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<i64>,
    pub procedure: Option<String>,
    /// Submitted at or after.
    pub from: Option<Millis>,
    /// Submitted before.
    pub until: Option<Millis>,
}

/// A page of the person's dossiers, newest first, after `after`
/// (keyset on (submitted_at, id): the same cost on every page).
pub async fn of_account(
    c: &mut AnyConnection,
    account_id: i64,
    f: &Filter,
    after: Cursor,
    limit: i64,
) -> Result<Vec<DossierRow>> {
    let mut sql = format!(
        "SELECT {LIST_COLS} FROM dossiers WHERE account_id = $1 AND (submitted_at < $2 OR (submitted_at = $2 AND id < $3))"
    );
    let mut n = 4;
    if f.status.is_some() {
        sql.push_str(&format!(" AND status = ${n}"));
        n += 1;
    }
    if f.procedure.is_some() {
        sql.push_str(&format!(" AND procedure_code = ${n}"));
        n += 1;
    }
    if f.from.is_some() {
        sql.push_str(&format!(" AND submitted_at >= ${n}"));
        n += 1;
    }
    if f.until.is_some() {
        sql.push_str(&format!(" AND submitted_at < ${n}"));
        n += 1;
    }
    sql.push_str(&format!(" ORDER BY submitted_at DESC, id DESC LIMIT ${n}"));
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(account_id)
        .bind(after.key)
        .bind(after.id);
    if let Some(s) = f.status {
        q = q.bind(s);
    }
    if let Some(p) = &f.procedure {
        q = q.bind(p.clone());
    }
    if let Some(t) = f.from {
        q = q.bind(t);
    }
    if let Some(t) = f.until {
        q = q.bind(t);
    }
    let rows = q.bind(limit).persistent(false).fetch_all(&mut *c).await?;
    rows.iter().map(row).collect()
}

/// Sets the status of a dossier that is in one of `from`; false otherwise.
pub async fn set_status(
    c: &mut AnyConnection,
    id: i64,
    from: &[i64],
    to: i64,
    now: Millis,
) -> Result<bool> {
    let list = from
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE dossiers SET status = $1, updated_at = $2 WHERE id = $3 AND status IN ({list})"
    )))
    .bind(to)
    .bind(now)
    .bind(id)
    .persistent(false)
    .execute(&mut *c)
    .await?;
    Ok(r.rows_affected() == 1)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub at: Millis,
    pub status: i64,
    pub actor: String,
    pub note: String,
}

pub async fn add_event(c: &mut AnyConnection, dossier_id: i64, e: &EventRow) -> Result<()> {
    sqlx::query("INSERT INTO dossier_events (dossier_id, at, status, actor, note) VALUES ($1, $2, $3, $4, $5)")
        .bind(dossier_id)
        .bind(e.at)
        .bind(e.status)
        .bind(&e.actor)
        .bind(&e.note)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// The timeline, oldest first.
pub async fn events(c: &mut AnyConnection, dossier_id: i64) -> Result<Vec<EventRow>> {
    let rows = sqlx::query("SELECT at, status, actor, note FROM dossier_events WHERE dossier_id = $1 ORDER BY id LIMIT 1000")
        .bind(dossier_id)
        .fetch_all(&mut *c)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(EventRow {
                at: r.try_get("at")?,
                status: r.try_get("status")?,
                actor: r.try_get("actor")?,
                note: r.try_get("note")?,
            })
        })
        .collect()
}

/// Dossiers by id after `after_id`, without their answers (the
/// benchmark's synthetic load of other contexts).
pub async fn after(c: &mut AnyConnection, after_id: i64, limit: i64) -> Result<Vec<DossierRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {LIST_COLS} FROM dossiers WHERE id > $1 ORDER BY id LIMIT $2"
    )))
    .bind(after_id)
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(row).collect()
}

pub async fn count(c: &mut AnyConnection) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM dossiers")
        .fetch_one(&mut *c)
        .await?)
}

/// Inserts many dossiers in one statement (the benchmark's synthetic
/// load; at most 1,000 rows a call).
pub async fn insert_many(c: &mut AnyConnection, rows: &[DossierRow]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    const COLS_N: usize = 23;
    let mut sql = String::from(
        "INSERT INTO dossiers (code, draft_id, account_id, contact_email, locale, applicant_name, procedure_code, procedure_version, procedure_name, case_code, form_id, agency_code, agency_name, channel, status, submitted_at, received_at, appointment_at, time_amount, time_unit, updated_at, digest, data) VALUES ",
    );
    for i in 0..rows.len() {
        if i > 0 {
            sql.push(',');
        }
        sql.push('(');
        for j in 0..COLS_N {
            if j > 0 {
                sql.push(',');
            }
            sql.push_str(&format!("${}", i * COLS_N + j + 1));
        }
        sql.push(')');
    }
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for d in rows {
        q = q
            .bind(d.code.clone())
            .bind(d.draft_id)
            .bind(d.account_id)
            .bind(d.contact_email.clone())
            .bind(d.locale.clone())
            .bind(d.applicant_name.clone())
            .bind(d.procedure_code.clone())
            .bind(d.procedure_version)
            .bind(d.procedure_name.clone())
            .bind(d.case_code.clone())
            .bind(d.form_id)
            .bind(d.agency_code.clone())
            .bind(d.agency_name.clone())
            .bind(d.channel)
            .bind(d.status)
            .bind(d.submitted_at)
            .bind(d.received_at)
            .bind(d.appointment_at)
            .bind(d.time_amount)
            .bind(d.time_unit.clone())
            .bind(d.updated_at)
            .bind(d.digest.clone())
            .bind(d.data.clone());
    }
    q.persistent(false).execute(&mut *c).await?;
    Ok(())
}

/// Refreshes the planner's statistics of the dossiers' tables (after a
/// bulk load).
pub async fn analyze(c: &mut AnyConnection, postgres: bool) -> Result<()> {
    let sql = if postgres {
        "ANALYZE dossiers"
    } else {
        "ANALYZE"
    };
    sqlx::query(sql).execute(&mut *c).await?;
    Ok(())
}

/// Sets the agency handling the dossier (a transfer between agencies).
pub async fn set_agency(c: &mut AnyConnection, id: i64, code: &str, name: &str) -> Result<()> {
    sqlx::query("UPDATE dossiers SET agency_code = $1, agency_name = $2 WHERE id = $3")
        .bind(code)
        .bind(name)
        .bind(id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Sets the appointment date (the legal deadline the agency computed).
pub async fn set_appointment(c: &mut AnyConnection, id: i64, at: Option<Millis>) -> Result<()> {
    sqlx::query("UPDATE dossiers SET appointment_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// New dossiers (status 1) of an agency, oldest first, after `after`
/// (keyset on (submitted_at, id)).
pub async fn awaiting(
    c: &mut AnyConnection,
    agency_code: &str,
    after: (Millis, i64),
    limit: i64,
) -> Result<Vec<DossierRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {LIST_COLS} FROM dossiers WHERE agency_code = $1 AND status = 1 AND origin = '' AND handled_by = '' AND (submitted_at > $2 OR (submitted_at = $2 AND id > $3)) ORDER BY submitted_at, id LIMIT $4"
    )))
    .bind(agency_code)
    .bind(after.0)
    .bind(after.1)
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(row).collect()
}

/// Replaces what a dossier awaiting a supplement holds (its answers, its
/// digest and the draft whose files it has) by the completed draft's;
/// false unless it is the holder's and awaits a supplement (status 5).
pub async fn replace_content(
    c: &mut AnyConnection,
    code: &str,
    account_id: i64,
    draft_id: i64,
    data: &str,
    digest: &str,
    now: Millis,
) -> Result<bool> {
    let r = sqlx::query("UPDATE dossiers SET draft_id = $1, data = $2, digest = $3, updated_at = $4 WHERE code = $5 AND account_id = $6 AND status = 5")
        .bind(draft_id)
        .bind(data)
        .bind(digest)
        .bind(now)
        .bind(code)
        .bind(account_id)
        .execute(&mut *c)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Records when the post office handed a dossier to the agency (once).
pub async fn set_handed_over(c: &mut AnyConnection, id: i64, at: Millis) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE dossiers SET handed_over_at = $1 WHERE id = $2 AND handed_over_at IS NULL",
    )
    .bind(at)
    .bind(id)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn handed_over_at(c: &mut AnyConnection, id: i64) -> Result<Option<Millis>> {
    Ok(
        sqlx::query_scalar("SELECT handed_over_at FROM dossiers WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *c)
            .await?
            .flatten(),
    )
}

/// Inserts a dossier pushed by another one-stop system (`d.origin`),
/// with the keyed hash of its applicant's identity number.
pub async fn insert_pushed(c: &mut AnyConnection, d: &DossierRow, holder_key: &str) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO dossiers (code, draft_id, account_id, contact_email, locale, applicant_name, procedure_code, procedure_version, procedure_name, case_code, form_id, agency_code, agency_name, channel, status, submitted_at, received_at, appointment_at, time_amount, time_unit, updated_at, digest, data, origin, holder_key) \
         VALUES ($1, $2, $3, '', 'vi', $4, $5, $6, $7, '', 0, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) RETURNING id",
    )
    .bind(&d.code)
    .bind(d.draft_id)
    .bind(d.account_id)
    .bind(&d.applicant_name)
    .bind(&d.procedure_code)
    .bind(d.procedure_version)
    .bind(&d.procedure_name)
    .bind(&d.agency_code)
    .bind(&d.agency_name)
    .bind(d.channel)
    .bind(d.status)
    .bind(d.submitted_at)
    .bind(d.received_at)
    .bind(d.appointment_at)
    .bind(d.time_amount)
    .bind(&d.time_unit)
    .bind(d.updated_at)
    .bind(&d.digest)
    .bind(&d.data)
    .bind(&d.origin)
    .bind(holder_key)
    .fetch_one(&mut *c)
    .await
    .map_err(motcua_store::conflict("dossier code"))
}

/// Replaces what a pushing system sent for its dossier `id`; an applicant
/// found now is kept (an adopted dossier keeps its holder).
pub async fn update_pushed(
    c: &mut AnyConnection,
    id: i64,
    d: &DossierRow,
    holder_key: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE dossiers SET account_id = CASE WHEN account_id = 0 THEN $1 ELSE account_id END, applicant_name = $2, procedure_code = $3, procedure_version = $4, procedure_name = $5, \
         agency_code = $6, agency_name = $7, channel = $8, status = $9, submitted_at = $10, received_at = $11, appointment_at = $12, time_amount = $13, time_unit = $14, \
         updated_at = $15, digest = $16, data = $17, holder_key = $18 WHERE id = $19 AND origin = $20",
    )
    .bind(d.account_id)
    .bind(&d.applicant_name)
    .bind(&d.procedure_code)
    .bind(d.procedure_version)
    .bind(&d.procedure_name)
    .bind(&d.agency_code)
    .bind(&d.agency_name)
    .bind(d.channel)
    .bind(d.status)
    .bind(d.submitted_at)
    .bind(d.received_at)
    .bind(d.appointment_at)
    .bind(d.time_amount)
    .bind(&d.time_unit)
    .bind(d.updated_at)
    .bind(&d.digest)
    .bind(&d.data)
    .bind(holder_key)
    .bind(id)
    .bind(&d.origin)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Gives `account_id` the pushed dossiers no account held yet whose
/// applicant's keyed identity is one of `keys`; how many.
pub async fn adopt(c: &mut AnyConnection, account_id: i64, keys: &[String]) -> Result<u64> {
    let mut n = 0;
    for k in keys.iter().filter(|k| !k.is_empty()) {
        n += sqlx::query(
            "UPDATE dossiers SET account_id = $1 WHERE account_id = 0 AND holder_key = $2",
        )
        .bind(account_id)
        .bind(k)
        .execute(&mut *c)
        .await?
        .rows_affected();
    }
    Ok(n)
}

/// Marks dossier `id` as handled by the specialized system of `client`.
pub async fn set_handled_by(c: &mut AnyConnection, id: i64, client: &str) -> Result<()> {
    sqlx::query("UPDATE dossiers SET handled_by = $1 WHERE id = $2")
        .bind(client)
        .bind(id)
        .execute(&mut *c)
        .await?;
    Ok(())
}
