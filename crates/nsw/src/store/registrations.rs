//! Declarant registration profiles (R-ID-1…4) and their history.
use motcua_domain::{AccountId, Millis, RegistrationId, RegistrationStatus, Workflow};
use motcua_store::keyset::{self, Cursor};
use motcua_store::{conflict, status, Backend, Result};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// The declarant's answers (Appendix IV of Joint Circular 89/2016).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Profile {
    pub tax_code: String,
    pub org_name: String,
    pub org_name_en: String,
    pub org_type: String,
    pub province: String,
    pub ward: String,
    pub address: String,
    pub phone: String,
    pub email: String,
    pub rep_name: String,
    pub rep_title: String,
    pub rep_personal_id: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    /// Form 01: accounts already held on ministries' systems, one a line.
    pub existing_accounts: String,
    pub doc_sha256: String,
    pub doc_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Registration {
    pub id: RegistrationId,
    pub reference: String,
    pub status: RegistrationStatus,
    pub round: i64,
    pub profile: Profile,
    pub locale: String,
    pub verify_expires: Option<Millis>,
    pub received_at: Option<Millis>,
    pub due_at: Option<Millis>,
    pub decision_reason: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<Millis>,
    pub account_id: Option<AccountId>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

const COLS: &str = "id, reference, status, round, tax_code, org_name, org_name_en, org_type, province, ward, address, phone, email, \
    rep_name, rep_title, rep_personal_id, contact_name, contact_phone, contact_email, existing_accounts, doc_sha256, doc_name, \
    locale, verify_expires, received_at, due_at, decision_reason, decided_by, decided_at, account_id, created_at, updated_at";

fn registration(r: &AnyRow) -> Result<Registration> {
    Ok(Registration {
        id: r.try_get("id")?,
        reference: r.try_get("reference")?,
        status: status(r, "status")?,
        round: r.try_get("round")?,
        profile: Profile {
            tax_code: r.try_get("tax_code")?,
            org_name: r.try_get("org_name")?,
            org_name_en: r.try_get("org_name_en")?,
            org_type: r.try_get("org_type")?,
            province: r.try_get("province")?,
            ward: r.try_get("ward")?,
            address: r.try_get("address")?,
            phone: r.try_get("phone")?,
            email: r.try_get("email")?,
            rep_name: r.try_get("rep_name")?,
            rep_title: r.try_get("rep_title")?,
            rep_personal_id: r.try_get("rep_personal_id")?,
            contact_name: r.try_get("contact_name")?,
            contact_phone: r.try_get("contact_phone")?,
            contact_email: r.try_get("contact_email")?,
            existing_accounts: r.try_get("existing_accounts")?,
            doc_sha256: r.try_get("doc_sha256")?,
            doc_name: r.try_get("doc_name")?,
        },
        locale: r.try_get("locale")?,
        verify_expires: r.try_get("verify_expires")?,
        received_at: r.try_get("received_at")?,
        due_at: r.try_get("due_at")?,
        decision_reason: r.try_get("decision_reason")?,
        decided_by: r.try_get("decided_by")?,
        decided_at: r.try_get("decided_at")?,
        account_id: r.try_get("account_id")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Inserts an unverified profile; returns its id. The reference is
/// `DK-<year>-<id, 6 digits>`, set from the id.
#[allow(clippy::too_many_arguments)]
pub async fn create(
    c: &mut AnyConnection,
    p: &Profile,
    token_hash: &str,
    verify_hash: &str,
    verify_expires: Millis,
    locale: &str,
    search_text: &str,
    year: i32,
    now: Millis,
) -> Result<(RegistrationId, String)> {
    let id: RegistrationId = sqlx::query_scalar(
        "INSERT INTO registrations (reference, token_hash, status, round, tax_code, org_name, org_name_en, org_type, province, ward, address, \
         phone, email, rep_name, rep_title, rep_personal_id, contact_name, contact_phone, contact_email, existing_accounts, doc_sha256, doc_name, \
         locale, verify_hash, verify_expires, search_text, created_at, updated_at) \
         VALUES ($1, $2, 'unverified', 1, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $25) RETURNING id",
    )
    .bind(format!("tmp-{token_hash}"))
    .bind(token_hash)
    .bind(&p.tax_code)
    .bind(&p.org_name)
    .bind(&p.org_name_en)
    .bind(&p.org_type)
    .bind(&p.province)
    .bind(&p.ward)
    .bind(&p.address)
    .bind(&p.phone)
    .bind(&p.email)
    .bind(&p.rep_name)
    .bind(&p.rep_title)
    .bind(&p.rep_personal_id)
    .bind(&p.contact_name)
    .bind(&p.contact_phone)
    .bind(&p.contact_email)
    .bind(&p.existing_accounts)
    .bind(&p.doc_sha256)
    .bind(&p.doc_name)
    .bind(locale)
    .bind(verify_hash)
    .bind(verify_expires)
    .bind(search_text)
    .bind(now)
    .fetch_one(&mut *c)
    .await?;
    let reference = format!("DK-{year}-{id:06}");
    sqlx::query("UPDATE registrations SET reference = $1 WHERE id = $2")
        .bind(&reference)
        .bind(id)
        .execute(&mut *c)
        .await?;
    Ok((id, reference))
}

/// Replaces the answers of a returned profile (the declarant's correction).
pub async fn update_profile(
    c: &mut AnyConnection,
    id: RegistrationId,
    p: &Profile,
    search_text: &str,
    now: Millis,
) -> Result<()> {
    sqlx::query(
        "UPDATE registrations SET tax_code = $1, org_name = $2, org_name_en = $3, org_type = $4, province = $5, ward = $6, address = $7, \
         phone = $8, email = $9, rep_name = $10, rep_title = $11, rep_personal_id = $12, contact_name = $13, contact_phone = $14, \
         contact_email = $15, existing_accounts = $16, doc_sha256 = $17, doc_name = $18, search_text = $19, updated_at = $20 WHERE id = $21",
    )
    .bind(&p.tax_code)
    .bind(&p.org_name)
    .bind(&p.org_name_en)
    .bind(&p.org_type)
    .bind(&p.province)
    .bind(&p.ward)
    .bind(&p.address)
    .bind(&p.phone)
    .bind(&p.email)
    .bind(&p.rep_name)
    .bind(&p.rep_title)
    .bind(&p.rep_personal_id)
    .bind(&p.contact_name)
    .bind(&p.contact_phone)
    .bind(&p.contact_email)
    .bind(&p.existing_accounts)
    .bind(&p.doc_sha256)
    .bind(&p.doc_name)
    .bind(search_text)
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await?;
    Ok(())
}

pub async fn get(c: &mut AnyConnection, id: RegistrationId) -> Result<Option<Registration>> {
    let sql = format!("SELECT {COLS} FROM registrations WHERE id = $1");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(id)
        .fetch_optional(&mut *c)
        .await?;
    r.as_ref().map(registration).transpose()
}

pub async fn by_token(c: &mut AnyConnection, token_hash: &str) -> Result<Option<Registration>> {
    let sql = format!("SELECT {COLS} FROM registrations WHERE token_hash = $1");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(token_hash)
        .fetch_optional(&mut *c)
        .await?;
    r.as_ref().map(registration).transpose()
}

/// The unverified profile of a live verification token.
pub async fn by_verify_token(
    c: &mut AnyConnection,
    verify_hash: &str,
    now: Millis,
) -> Result<Option<Registration>> {
    let sql = format!(
        "SELECT {COLS} FROM registrations WHERE verify_hash = $1 AND status = 'unverified' AND verify_expires > $2"
    );
    let r = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(verify_hash)
        .bind(now)
        .fetch_optional(&mut *c)
        .await?;
    r.as_ref().map(registration).transpose()
}

/// An open (pending, returned) or accepted profile of this tax code.
pub async fn open_for_tax_code(
    c: &mut AnyConnection,
    tax_code: &str,
) -> Result<Option<Registration>> {
    let sql = format!(
        "SELECT {COLS} FROM registrations WHERE tax_code = $1 AND status IN ('pending', 'returned', 'accepted')"
    );
    let r = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(tax_code)
        .fetch_optional(&mut *c)
        .await?;
    r.as_ref().map(registration).transpose()
}

/// Moves a profile from `from` to `to`, with the fields of the decision or
/// receipt. Returns false (and changes nothing) when it is not in `from`:
/// two operators deciding at once, or a second click, cannot both win.
pub struct Transition<'a> {
    pub from: &'a [RegistrationStatus],
    pub to: RegistrationStatus,
    pub received_at: Option<Millis>,
    pub due_at: Option<Millis>,
    pub reason: Option<&'a str>,
    pub decided_by: Option<&'a str>,
    pub account_id: Option<AccountId>,
    /// Start a new round (resubmission after a return).
    pub next_round: bool,
}

pub async fn transition(
    c: &mut AnyConnection,
    id: RegistrationId,
    t: &Transition<'_>,
    now: Millis,
) -> Result<bool> {
    // Every move must be in the workflow's table, before anything is written.
    for from in t.from {
        from.check(t.to)?;
    }
    let sql = format!(
        "UPDATE registrations SET status = $1, received_at = COALESCE($2, received_at), due_at = COALESCE($3, due_at), \
         decision_reason = $4, decided_by = $5, decided_at = CASE WHEN $5 IS NULL THEN decided_at ELSE $6 END, \
         account_id = COALESCE($7, account_id), round = round + $8, verify_hash = NULL, updated_at = $6 \
         WHERE id = ${} AND status IN ({})",
        t.from.len() + 9,
        motcua_store::placeholders(9, t.from.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(t.to.as_str())
        .bind(t.received_at)
        .bind(t.due_at)
        .bind(t.reason)
        .bind(t.decided_by)
        .bind(now)
        .bind(t.account_id)
        .bind(i64::from(t.next_round));
    for s in t.from {
        q = q.bind(s.as_str());
    }
    let n = q
        .bind(id)
        .execute(&mut *c)
        .await
        .map_err(conflict("open registration for this tax code"))?
        .rows_affected();
    Ok(n == 1)
}

/// Unverified profiles whose verification link ran out become `expired`.
pub async fn expire_unverified(c: &mut AnyConnection, now: Millis) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE registrations SET status = 'expired', verify_hash = NULL, updated_at = $1 WHERE status = 'unverified' AND verify_expires <= $1",
    )
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected())
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HistoryEntry {
    pub at: Millis,
    pub status: RegistrationStatus,
    pub note: String,
}

pub async fn add_history(
    c: &mut AnyConnection,
    id: RegistrationId,
    status: RegistrationStatus,
    note: &str,
    now: Millis,
) -> Result<()> {
    sqlx::query("INSERT INTO registration_history (registration_id, at, status, note) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(now)
        .bind(status.as_str())
        .bind(note)
        .execute(&mut *c)
        .await?;
    Ok(())
}

pub async fn history(c: &mut AnyConnection, id: RegistrationId) -> Result<Vec<HistoryEntry>> {
    let rows = sqlx::query(
        "SELECT at, status, note FROM registration_history WHERE registration_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(HistoryEntry {
                at: r.try_get("at")?,
                status: status(r, "status")?,
                note: r.try_get("note")?,
            })
        })
        .collect()
}

/// The most the queue counts exactly; beyond it, "more than".
pub const QUEUE_COUNT_CAP: i64 = 1000;

/// The operator's queue: profiles with `status` (all open ones when
/// empty), earliest deadline first, optionally matching a folded query; a
/// page of `limit` after the cursor (keyset paging on `registrations_order`,
/// so a deep page costs what the first does), the next page's cursor, and
/// the count up to [`QUEUE_COUNT_CAP`] (+1 when there are more).
pub async fn list(
    c: &mut AnyConnection,
    status: Option<RegistrationStatus>,
    folded_query: &str,
    after: Option<Cursor>,
    limit: i64,
) -> Result<(Vec<Registration>, Option<Cursor>, i64)> {
    let filter = "($1 = '' AND status IN ('pending', 'returned')) OR status = $1";
    // Every word must occur: one of 3 characters or more anywhere, a
    // shorter one as a whole word (the stored text has a space around
    // every word); each through the trigram index (migration 22). LIKE's
    // wildcards are dropped from the words (FTS5 takes no ESCAPE).
    let capped: String = folded_query.chars().take(200).collect();
    let mut patterns: Vec<String> = capped
        .split(' ')
        .map(|w| w.replace(['%', '_', '\\'], ""))
        .filter(|w| !w.is_empty())
        .map(|w| {
            if w.chars().count() < 3 {
                format!("% {w} %")
            } else {
                format!("%{w}%")
            }
        })
        .collect();
    // At most 8 distinct words: each is one more condition.
    patterns.dedup();
    patterns.truncate(8);
    let tests: Vec<String> = (0..patterns.len())
        .map(|i| format!("search_text LIKE ${}", i + 5))
        .collect();
    let words = if tests.is_empty() {
        String::new()
    } else if Backend::of(c) == Backend::Sqlite {
        format!(
            " AND id IN (SELECT rowid FROM registrations_search WHERE {})",
            tests.join(" AND ")
        )
    } else {
        format!(" AND {}", tests.join(" AND "))
    };
    let after = after.unwrap_or(Cursor::FIRST_ASC);
    let status = status.map(RegistrationStatus::as_str).unwrap_or_default();
    let bind = |sql: String| {
        // Unnamed: planned with its words each time (PostgreSQL's generic
        // plan of a cached statement cannot see the patterns).
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .persistent(false)
            .bind(status)
            .bind(after.key)
            .bind(after.id)
            .bind(limit + 1);
        for p in &patterns {
            q = q.bind(p.clone());
        }
        q
    };
    let rows = bind(format!(
        "SELECT {COLS} FROM registrations WHERE ({filter}){words} \
         AND (COALESCE(due_at, created_at) > $2 OR (COALESCE(due_at, created_at) = $2 AND id > $3)) \
         ORDER BY COALESCE(due_at, created_at), id LIMIT $4"
    ))
    .fetch_all(&mut *c)
    .await?;
    let rows: Vec<Registration> = rows.iter().map(registration).collect::<Result<_>>()?;
    let (items, next) = keyset::page(rows, limit, |r| Cursor {
        key: r.due_at.unwrap_or(r.created_at),
        id: r.id.get(),
    });
    // The count, up to the cap, from the start (the same binds: the
    // cursor's and the limit's are used as no-ops).
    let total: i64 = bind(format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM registrations WHERE ({filter}){words} \
         AND $2 = $2 AND $3 = $3 AND $4 = $4 LIMIT {}) t",
        QUEUE_COUNT_CAP + 1
    ))
    .fetch_one(&mut *c)
    .await?
    .try_get(0)?;
    Ok((items, next, total))
}

/// The `limit` profiles waiting for the operator (pending) with the
/// earliest deadlines, for the SLA overview (through `registrations_order`).
pub async fn pending(c: &mut AnyConnection, limit: i64) -> Result<Vec<Registration>> {
    let sql = format!(
        "SELECT {COLS} FROM registrations WHERE status = 'pending' \
         ORDER BY COALESCE(due_at, created_at), id LIMIT $1"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(limit)
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(registration).collect()
}

/// How many profiles are pending, and how many of them are past their
/// deadline at `now`: two counts over `registrations_order`.
pub async fn pending_count(c: &mut AnyConnection, now: Millis) -> Result<(i64, i64)> {
    let pending: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM registrations WHERE status = 'pending'")
            .fetch_one(&mut *c)
            .await?;
    let overdue: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM registrations WHERE status = 'pending' AND COALESCE(due_at, created_at) < $1",
    )
    .bind(now)
    .fetch_one(&mut *c)
    .await?;
    Ok((pending, overdue))
}

/// Sets the lookup hash of the profile's status token.
pub async fn set_token_hash(
    c: &mut AnyConnection,
    id: RegistrationId,
    token_hash: &str,
) -> Result<()> {
    sqlx::query("UPDATE registrations SET token_hash = $1 WHERE id = $2")
        .bind(token_hash)
        .bind(id)
        .execute(&mut *c)
        .await?;
    Ok(())
}
