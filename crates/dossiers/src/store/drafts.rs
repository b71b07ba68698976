//! A person's drafts (`dossier_drafts`). Every save counts the revision
//! up in the same statement that checks it, so two saves of one draft
//! never silently overwrite each other.
use motcua_domain::Millis;
use motcua_store::Result;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftRow {
    pub id: i64,
    pub public_id: String,
    pub account_id: i64,
    /// Where mail about it goes, and in which language (`vi`, `en`).
    pub contact_email: String,
    pub locale: String,
    pub procedure_code: String,
    pub procedure_version: i64,
    pub procedure_name: String,
    pub form_id: i64,
    /// The furthest step the person has reached (0-based).
    pub step: i64,
    pub revision: i64,
    /// `open`, `submitted`, `expired` or `deleted`.
    pub status: String,
    /// The names of the fields filled from the person's data (JSON list).
    pub prefilled: String,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub expires_at: Millis,
    pub reminded_at: Option<Millis>,
    pub dossier_code: Option<String>,
    /// The answers (JSON object).
    pub answers: String,
    /// A draft completing dossier `code` after a supplement request.
    pub supplement_of: Option<String>,
}

const COLS: &str = "id, public_id, account_id, contact_email, locale, procedure_code, procedure_version, procedure_name, form_id, step, revision, status, prefilled, created_at, updated_at, expires_at, reminded_at, dossier_code, answers, supplement_of";

fn row(r: &AnyRow) -> Result<DraftRow> {
    Ok(DraftRow {
        id: r.try_get("id")?,
        public_id: r.try_get("public_id")?,
        account_id: r.try_get("account_id")?,
        contact_email: r.try_get("contact_email")?,
        locale: r.try_get("locale")?,
        procedure_code: r.try_get("procedure_code")?,
        procedure_version: r.try_get("procedure_version")?,
        procedure_name: r.try_get("procedure_name")?,
        form_id: r.try_get("form_id")?,
        step: r.try_get("step")?,
        revision: r.try_get("revision")?,
        status: r.try_get("status")?,
        prefilled: r.try_get("prefilled")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        expires_at: r.try_get("expires_at")?,
        reminded_at: r.try_get("reminded_at")?,
        dossier_code: r.try_get("dossier_code")?,
        answers: r.try_get("answers")?,
        supplement_of: r.try_get("supplement_of")?,
    })
}

pub async fn insert(c: &mut AnyConnection, d: &DraftRow) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO dossier_drafts (public_id, account_id, contact_email, locale, procedure_code, procedure_version, procedure_name, form_id, step, revision, status, prefilled, created_at, updated_at, expires_at, answers, supplement_of) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id",
    )
    .bind(&d.public_id)
    .bind(d.account_id)
    .bind(&d.contact_email)
    .bind(&d.locale)
    .bind(&d.procedure_code)
    .bind(d.procedure_version)
    .bind(&d.procedure_name)
    .bind(d.form_id)
    .bind(d.step)
    .bind(d.revision)
    .bind(&d.status)
    .bind(&d.prefilled)
    .bind(d.created_at)
    .bind(d.updated_at)
    .bind(d.expires_at)
    .bind(&d.answers)
    .bind(&d.supplement_of)
    .fetch_one(&mut *c)
    .await?)
}

/// The draft of this public id, whoever holds it (callers check).
pub async fn by_public_id(c: &mut AnyConnection, public_id: &str) -> Result<Option<DraftRow>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM dossier_drafts WHERE public_id = $1"
    )))
    .bind(public_id)
    .fetch_optional(&mut *c)
    .await?;
    r.as_ref().map(row).transpose()
}

/// The person's open drafts, most recently saved first.
pub async fn open_of(c: &mut AnyConnection, account_id: i64, limit: i64) -> Result<Vec<DraftRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM dossier_drafts WHERE account_id = $1 AND status = 'open' ORDER BY updated_at DESC, id DESC LIMIT $2"
    )))
    .bind(account_id)
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(row).collect()
}

pub async fn count_open(c: &mut AnyConnection, account_id: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM dossier_drafts WHERE account_id = $1 AND status = 'open'",
    )
    .bind(account_id)
    .fetch_one(&mut *c)
    .await?)
}

/// Writes the answers of an open draft read at `revision`; false when the
/// draft moved on (another save, a submission, expiry) since.
#[allow(clippy::too_many_arguments)]
pub async fn save(
    c: &mut AnyConnection,
    id: i64,
    revision: i64,
    form_id: i64,
    step: i64,
    prefilled: &str,
    answers: &str,
    now: Millis,
    expires_at: Millis,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE dossier_drafts SET answers = $1, form_id = $2, step = $3, prefilled = $4, revision = revision + 1, updated_at = $5, expires_at = $6, reminded_at = NULL \
         WHERE id = $7 AND revision = $8 AND status = 'open'",
    )
    .bind(answers)
    .bind(form_id)
    .bind(step)
    .bind(prefilled)
    .bind(now)
    .bind(expires_at)
    .bind(id)
    .bind(revision)
    .execute(&mut *c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Closes an open draft (`submitted` with its dossier's code, `deleted`,
/// `expired`: the answers of these two are erased); false when it was not
/// open at `revision` any more.
pub async fn close(
    c: &mut AnyConnection,
    id: i64,
    revision: Option<i64>,
    status: &str,
    dossier_code: Option<&str>,
    now: Millis,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE dossier_drafts SET status = $1, dossier_code = $2, revision = revision + 1, updated_at = $3, \
         answers = CASE WHEN $1 = 'submitted' THEN answers ELSE '{}' END \
         WHERE id = $4 AND status = 'open' AND ($5 < 0 OR revision = $5)",
    )
    .bind(status)
    .bind(dossier_code)
    .bind(now)
    .bind(id)
    .bind(revision.unwrap_or(-1))
    .execute(&mut *c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Open drafts that expire before `until` and have had no reminder since
/// their last save.
pub async fn to_remind(c: &mut AnyConnection, until: Millis, limit: i64) -> Result<Vec<DraftRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM dossier_drafts WHERE status = 'open' AND expires_at <= $1 AND reminded_at IS NULL ORDER BY expires_at LIMIT $2"
    )))
    .bind(until)
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(row).collect()
}

pub async fn mark_reminded(
    c: &mut AnyConnection,
    id: i64,
    revision: i64,
    now: Millis,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE dossier_drafts SET reminded_at = $1 WHERE id = $2 AND revision = $3 AND status = 'open' AND reminded_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .bind(revision)
    .execute(&mut *c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Open drafts whose time is up.
pub async fn expired(
    c: &mut AnyConnection,
    now: Millis,
    limit: i64,
) -> Result<Vec<(i64, i64, String)>> {
    let rows = sqlx::query(
        "SELECT id, account_id, public_id FROM dossier_drafts WHERE status = 'open' AND expires_at <= $1 ORDER BY expires_at LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("id")?,
                r.try_get("account_id")?,
                r.try_get("public_id")?,
            ))
        })
        .collect()
}

/// Counts a change of an open draft that is not in its answers (a file
/// attached or removed): the revision moves on, so a check page shown
/// before it does not submit unseen.
pub async fn touch(
    c: &mut AnyConnection,
    id: i64,
    now: Millis,
    expires_at: Millis,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE dossier_drafts SET revision = revision + 1, updated_at = $1, expires_at = $2, reminded_at = NULL \
         WHERE id = $3 AND status = 'open'",
    )
    .bind(now)
    .bind(expires_at)
    .bind(id)
    .execute(&mut *c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The holder's open draft completing dossier `code`, if any.
pub async fn open_supplement(
    c: &mut AnyConnection,
    account_id: i64,
    code: &str,
) -> Result<Option<DraftRow>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM dossier_drafts WHERE account_id = $1 AND supplement_of = $2 AND status = 'open' ORDER BY id DESC LIMIT 1"
    )))
    .bind(account_id)
    .bind(code)
    .fetch_optional(&mut *c)
    .await?;
    r.as_ref().map(row).transpose()
}
