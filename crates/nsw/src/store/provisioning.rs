//! Civil-servant provisioning (R-ID-6…8): ministries with their work units
//! and function catalogs (operator data), legal bases with their deadlines,
//! ministry managers, requests with their persons and the operator's
//! decision on each, and the civil-servant accounts granted.
use motcua_domain::{
    AccountId, FunctionId, Millis, MinistryId, PersonId, ProvisioningRequestId, ProvisioningStatus,
    WorkUnitId, Workflow,
};
use motcua_store::keyset::{self, Cursor};
use motcua_store::{conflict, status, Backend, Result, StoreError};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

// ---------------------------------------------------------------------------
// Ministries, work units, functions
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Ministry {
    pub id: MinistryId,
    pub code: String,
    pub name: String,
}

fn ministry_row(r: &AnyRow) -> Result<Ministry> {
    Ok(Ministry {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
    })
}

pub async fn ministries(c: &mut AnyConnection) -> Result<Vec<Ministry>> {
    let rows = sqlx::query("SELECT id, code, name FROM ministries ORDER BY name, id")
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(ministry_row).collect()
}

pub async fn ministry(c: &mut AnyConnection, id: MinistryId) -> Result<Option<Ministry>> {
    let r = sqlx::query("SELECT id, code, name FROM ministries WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *c)
        .await?;
    r.as_ref().map(ministry_row).transpose()
}

pub async fn create_ministry(
    c: &mut AnyConnection,
    code: &str,
    name: &str,
    now: Millis,
) -> Result<MinistryId> {
    sqlx::query_scalar(
        "INSERT INTO ministries (code, name, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id",
    )
    .bind(code)
    .bind(name)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .map_err(conflict("ministry code"))
}

pub async fn rename_ministry(
    c: &mut AnyConnection,
    id: MinistryId,
    name: &str,
    now: Millis,
) -> Result<bool> {
    let n = sqlx::query("UPDATE ministries SET name = $1, updated_at = $2 WHERE id = $3")
        .bind(name)
        .bind(now)
        .bind(id)
        .execute(&mut *c)
        .await?
        .rows_affected();
    Ok(n == 1)
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WorkUnit {
    pub id: WorkUnitId,
    pub ministry_id: MinistryId,
    pub name: String,
    /// The folded name lists are matched against.
    pub name_key: String,
}

pub async fn work_units(c: &mut AnyConnection, ministry_id: MinistryId) -> Result<Vec<WorkUnit>> {
    let rows = sqlx::query(
        "SELECT id, ministry_id, name, name_key FROM work_units WHERE ministry_id = $1 ORDER BY name_key, id",
    )
    .bind(ministry_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(WorkUnit {
                id: r.try_get("id")?,
                ministry_id: r.try_get("ministry_id")?,
                name: r.try_get("name")?,
                name_key: r.try_get("name_key")?,
            })
        })
        .collect()
}

pub async fn add_work_unit(
    c: &mut AnyConnection,
    ministry_id: MinistryId,
    name: &str,
    name_key: &str,
    now: Millis,
) -> Result<WorkUnitId> {
    sqlx::query_scalar(
        "INSERT INTO work_units (ministry_id, name, name_key, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(ministry_id)
    .bind(name)
    .bind(name_key)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .map_err(conflict("work unit"))
}

pub async fn rename_work_unit(
    c: &mut AnyConnection,
    ministry_id: MinistryId,
    id: WorkUnitId,
    name: &str,
    name_key: &str,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE work_units SET name = $1, name_key = $2 WHERE id = $3 AND ministry_id = $4",
    )
    .bind(name)
    .bind(name_key)
    .bind(id)
    .bind(ministry_id)
    .execute(&mut *c)
    .await
    .map_err(conflict("work unit"))?
    .rows_affected();
    Ok(n == 1)
}

/// Removes a work unit nobody was requested or granted in; `Conflict` if
/// one was (the records keep pointing at it).
pub async fn remove_work_unit(
    c: &mut AnyConnection,
    ministry_id: MinistryId,
    id: WorkUnitId,
) -> Result<bool> {
    let used: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM provisioning_persons WHERE work_unit_id = $1) + (SELECT COUNT(*) FROM civil_servants WHERE work_unit_id = $1)",
    )
    .bind(id)
    .fetch_one(&mut *c)
    .await?;
    if used > 0 {
        return Err(StoreError::Conflict("work unit in use"));
    }
    let n = sqlx::query("DELETE FROM work_units WHERE id = $1 AND ministry_id = $2")
        .bind(id)
        .bind(ministry_id)
        .execute(&mut *c)
        .await?
        .rows_affected();
    Ok(n == 1)
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Function {
    pub id: FunctionId,
    pub ministry_id: MinistryId,
    pub code: String,
    pub name: String,
}

pub async fn functions(c: &mut AnyConnection, ministry_id: MinistryId) -> Result<Vec<Function>> {
    let rows = sqlx::query(
        "SELECT id, ministry_id, code, name FROM ministry_functions WHERE ministry_id = $1 ORDER BY code",
    )
    .bind(ministry_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Function {
                id: r.try_get("id")?,
                ministry_id: r.try_get("ministry_id")?,
                code: r.try_get("code")?,
                name: r.try_get("name")?,
            })
        })
        .collect()
}

pub async fn add_function(
    c: &mut AnyConnection,
    ministry_id: MinistryId,
    code: &str,
    name: &str,
    now: Millis,
) -> Result<FunctionId> {
    sqlx::query_scalar(
        "INSERT INTO ministry_functions (ministry_id, code, name, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(ministry_id)
    .bind(code)
    .bind(name)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .map_err(conflict("function code"))
}

pub async fn rename_function(
    c: &mut AnyConnection,
    ministry_id: MinistryId,
    id: FunctionId,
    name: &str,
) -> Result<bool> {
    let n =
        sqlx::query("UPDATE ministry_functions SET name = $1 WHERE id = $2 AND ministry_id = $3")
            .bind(name)
            .bind(id)
            .bind(ministry_id)
            .execute(&mut *c)
            .await?
            .rows_affected();
    Ok(n == 1)
}

/// Removes a function from the catalog; accounts already granted keep
/// the code in their permissions.
pub async fn remove_function(
    c: &mut AnyConnection,
    ministry_id: MinistryId,
    id: FunctionId,
) -> Result<bool> {
    let n = sqlx::query("DELETE FROM ministry_functions WHERE id = $1 AND ministry_id = $2")
        .bind(id)
        .bind(ministry_id)
        .execute(&mut *c)
        .await?
        .rows_affected();
    Ok(n == 1)
}

// ---------------------------------------------------------------------------
// Legal bases
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LegalBasis {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub working_days: i64,
    /// Space-separated ministry codes it applies to; empty: every ministry.
    pub ministries: String,
}

impl LegalBasis {
    pub fn applies_to(&self, ministry_code: &str) -> bool {
        self.ministries.trim().is_empty()
            || self
                .ministries
                .split_whitespace()
                .any(|m| m == ministry_code)
    }
}

fn basis_row(r: &AnyRow) -> Result<LegalBasis> {
    Ok(LegalBasis {
        code: r.try_get("code")?,
        name_vi: r.try_get("name_vi")?,
        name_en: r.try_get("name_en")?,
        working_days: r.try_get("working_days")?,
        ministries: r.try_get("ministries")?,
    })
}

pub async fn legal_bases(c: &mut AnyConnection) -> Result<Vec<LegalBasis>> {
    let rows = sqlx::query(
        "SELECT code, name_vi, name_en, working_days, ministries FROM legal_bases ORDER BY code",
    )
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(basis_row).collect()
}

pub async fn legal_basis(c: &mut AnyConnection, code: &str) -> Result<Option<LegalBasis>> {
    let r = sqlx::query(
        "SELECT code, name_vi, name_en, working_days, ministries FROM legal_bases WHERE code = $1",
    )
    .bind(code)
    .fetch_optional(&mut *c)
    .await?;
    r.as_ref().map(basis_row).transpose()
}

pub async fn update_legal_basis(
    c: &mut AnyConnection,
    code: &str,
    working_days: i64,
    ministries: &str,
    now: Millis,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE legal_bases SET working_days = $1, ministries = $2, updated_at = $3 WHERE code = $4",
    )
    .bind(working_days)
    .bind(ministries)
    .bind(now)
    .bind(code)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

// ---------------------------------------------------------------------------
// Ministry managers and roles
// ---------------------------------------------------------------------------

/// The ministry whose requests this account manages, if any.
pub async fn managed_ministry(
    c: &mut AnyConnection,
    account_id: AccountId,
) -> Result<Option<MinistryId>> {
    Ok(
        sqlx::query_scalar("SELECT ministry_id FROM ministry_managers WHERE account_id = $1")
            .bind(account_id)
            .fetch_optional(&mut *c)
            .await?,
    )
}

/// Makes the account a manager of the ministry (one ministry per account:
/// `Conflict` if it already manages one).
pub async fn add_manager(
    c: &mut AnyConnection,
    account_id: AccountId,
    ministry_id: MinistryId,
    now: Millis,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO ministry_managers (account_id, ministry_id, created_at) VALUES ($1, $2, $3)",
    )
    .bind(account_id)
    .bind(ministry_id)
    .bind(now)
    .execute(&mut *c)
    .await
    .map_err(conflict("ministry manager"))?;
    Ok(())
}

pub async fn remove_manager(
    c: &mut AnyConnection,
    account_id: AccountId,
    ministry_id: MinistryId,
) -> Result<bool> {
    let n = sqlx::query("DELETE FROM ministry_managers WHERE account_id = $1 AND ministry_id = $2")
        .bind(account_id)
        .bind(ministry_id)
        .execute(&mut *c)
        .await?
        .rows_affected();
    Ok(n == 1)
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Manager {
    pub account_id: AccountId,
    pub username: String,
    pub full_name: String,
    pub email: Option<String>,
    pub locale: String,
}

/// The accounts managing a ministry's requests (their names and contacts
/// come from identity's directory).
pub async fn manager_ids(c: &mut AnyConnection, ministry_id: MinistryId) -> Result<Vec<AccountId>> {
    let rows = sqlx::query("SELECT account_id FROM ministry_managers WHERE ministry_id = $1")
        .bind(ministry_id)
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(|r| Ok(r.try_get("account_id")?)).collect()
}

// ---------------------------------------------------------------------------
// Requests and persons
// ---------------------------------------------------------------------------

/// The next number of the year's reference sequence (1, 2, …); safe under
/// concurrency (the counter row is updated in the caller's transaction).
pub async fn next_number(c: &mut AnyConnection, year: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO provisioning_counters (year, last) VALUES ($1, 1) \
         ON CONFLICT (year) DO UPDATE SET last = provisioning_counters.last + 1 RETURNING last",
    )
    .bind(year)
    .fetch_one(&mut *c)
    .await?)
}

#[derive(Debug, Clone)]
pub struct NewRequest<'a> {
    pub reference: &'a str,
    pub ministry_id: MinistryId,
    pub manager_account_id: AccountId,
    pub legal_basis: &'a str,
    pub working_days: i64,
    /// `form`, `csv` or `xlsx`.
    pub source: &'a str,
    /// The uploaded file, kept in `attachments`.
    pub upload_sha256: Option<&'a str>,
    pub received_at: Millis,
    pub due_at: Millis,
}

pub async fn create_request(
    c: &mut AnyConnection,
    r: &NewRequest<'_>,
    now: Millis,
) -> Result<ProvisioningRequestId> {
    sqlx::query_scalar(
        "INSERT INTO provisioning_requests (reference, ministry_id, manager_account_id, legal_basis, working_days, source, upload_sha256, \
         status, received_at, due_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9, $10, $10) RETURNING id",
    )
    .bind(r.reference)
    .bind(r.ministry_id)
    .bind(r.manager_account_id)
    .bind(r.legal_basis)
    .bind(r.working_days)
    .bind(r.source)
    .bind(r.upload_sha256.map(str::to_string))
    .bind(r.received_at)
    .bind(r.due_at)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .map_err(conflict("request reference"))
}

#[derive(Debug, Clone, Default)]
pub struct NewPerson {
    pub row_no: i64,
    pub full_name: String,
    pub job_title: String,
    pub work_unit_id: Option<WorkUnitId>,
    pub work_unit: String,
    pub email: String,
    /// Function codes, space-separated.
    pub permissions: String,
}

pub async fn add_person(
    c: &mut AnyConnection,
    request_id: ProvisioningRequestId,
    p: &NewPerson,
) -> Result<PersonId> {
    Ok(sqlx::query_scalar(
        "INSERT INTO provisioning_persons (request_id, row_no, full_name, job_title, work_unit_id, work_unit, email, permissions, decision) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending') RETURNING id",
    )
    .bind(request_id)
    .bind(p.row_no)
    .bind(&p.full_name)
    .bind(&p.job_title)
    .bind(p.work_unit_id)
    .bind(&p.work_unit)
    .bind(&p.email)
    .bind(&p.permissions)
    .fetch_one(&mut *c)
    .await?)
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Request {
    pub id: ProvisioningRequestId,
    pub reference: String,
    pub ministry_id: MinistryId,
    pub ministry_code: String,
    pub ministry_name: String,
    pub manager_account_id: AccountId,
    pub legal_basis: String,
    pub working_days: i64,
    pub source: String,
    pub upload_sha256: Option<String>,
    pub status: ProvisioningStatus,
    pub received_at: Millis,
    pub due_at: Millis,
    pub completed_at: Option<Millis>,
    pub notice_sha256: Option<String>,
    pub persons: i64,
    pub granted: i64,
    pub refused: i64,
}

const REQ_SELECT: &str = "SELECT r.id, r.reference, r.ministry_id, m.code AS ministry_code, m.name AS ministry_name, r.manager_account_id, \
     r.legal_basis, r.working_days, r.source, r.upload_sha256, r.status, r.received_at, r.due_at, r.completed_at, r.notice_sha256, \
     (SELECT COUNT(*) FROM provisioning_persons p WHERE p.request_id = r.id) AS persons, \
     (SELECT COUNT(*) FROM provisioning_persons p WHERE p.request_id = r.id AND p.decision = 'granted') AS granted, \
     (SELECT COUNT(*) FROM provisioning_persons p WHERE p.request_id = r.id AND p.decision = 'refused') AS refused \
     FROM provisioning_requests r JOIN ministries m ON m.id = r.ministry_id";

fn request_row(r: &AnyRow) -> Result<Request> {
    Ok(Request {
        id: r.try_get("id")?,
        reference: r.try_get("reference")?,
        ministry_id: r.try_get("ministry_id")?,
        ministry_code: r.try_get("ministry_code")?,
        ministry_name: r.try_get("ministry_name")?,
        manager_account_id: r.try_get("manager_account_id")?,
        legal_basis: r.try_get("legal_basis")?,
        working_days: r.try_get("working_days")?,
        source: r.try_get("source")?,
        upload_sha256: r.try_get("upload_sha256")?,
        status: status(r, "status")?,
        received_at: r.try_get("received_at")?,
        due_at: r.try_get("due_at")?,
        completed_at: r.try_get("completed_at")?,
        notice_sha256: r.try_get("notice_sha256")?,
        persons: r.try_get("persons")?,
        granted: r.try_get("granted")?,
        refused: r.try_get("refused")?,
    })
}

pub async fn request(c: &mut AnyConnection, id: ProvisioningRequestId) -> Result<Option<Request>> {
    let sql = format!("{REQ_SELECT} WHERE r.id = $1");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(id)
        .fetch_optional(&mut *c)
        .await?;
    r.as_ref().map(request_row).transpose()
}

/// Locks the request row for a decision (PostgreSQL; SQLite's write
/// transaction is already exclusive); returns its status.
pub async fn lock_request(
    c: &mut AnyConnection,
    id: ProvisioningRequestId,
) -> Result<Option<String>> {
    let sql = format!(
        "SELECT status FROM provisioning_requests WHERE id = $1{}",
        Backend::of(c).for_update()
    );
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(id)
        .fetch_optional(&mut *c)
        .await?)
}

/// A page of the requests of one ministry (or all with `None`) with
/// `status`, after the cursor, and the next page's cursor: the open ones
/// nearest deadline first (keyset on `(due_at, id)`), the completed ones
/// newest first (keyset on the id). Indexes of migration 22.
pub async fn requests(
    c: &mut AnyConnection,
    ministry_id: Option<MinistryId>,
    status: ProvisioningStatus,
    after: Option<Cursor>,
    limit: i64,
) -> Result<(Vec<Request>, Option<Cursor>)> {
    let open = status == ProvisioningStatus::Open;
    let ministry = if ministry_id.is_some() {
        "r.ministry_id = $5 AND "
    } else {
        "$5 = 0 AND "
    };
    let (after, order) = if open {
        (
            after.unwrap_or(Cursor::FIRST_ASC),
            "(r.due_at > $2 OR (r.due_at = $2 AND r.id > $3)) ORDER BY r.due_at, r.id",
        )
    } else {
        (
            after.unwrap_or(Cursor::FIRST_DESC),
            "r.id < $3 AND $2 = $2 ORDER BY r.id DESC",
        )
    };
    // Both shapes use every parameter, so one list of binds serves both.
    let sql = format!("{REQ_SELECT} WHERE {ministry}r.status = $1 AND {order} LIMIT $4");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(status.as_str())
        .bind(after.key)
        .bind(after.id)
        .bind(limit + 1)
        .bind(ministry_id.map_or(0, MinistryId::get))
        .fetch_all(&mut *c)
        .await?;
    let rows = rows.iter().map(request_row).collect::<Result<Vec<_>>>()?;
    Ok(keyset::page(rows, limit, |r| Cursor {
        key: if open { r.due_at } else { r.id.get() },
        id: r.id.get(),
    }))
}

/// How many requests are open, and how many of them are past their
/// deadline at `now` (two counts over `provisioning_requests_queue`).
pub async fn open_count(c: &mut AnyConnection, now: Millis) -> Result<(i64, i64)> {
    let open: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM provisioning_requests WHERE status = 'open'")
            .fetch_one(&mut *c)
            .await?;
    let overdue: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM provisioning_requests WHERE status = 'open' AND due_at < $1",
    )
    .bind(now)
    .fetch_one(&mut *c)
    .await?;
    Ok((open, overdue))
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Person {
    pub id: PersonId,
    pub request_id: ProvisioningRequestId,
    pub row_no: i64,
    pub full_name: String,
    pub job_title: String,
    pub work_unit_id: Option<WorkUnitId>,
    pub work_unit: String,
    pub email: String,
    pub permissions: String,
    /// `pending`, `granted` or `refused`.
    pub decision: String,
    pub reason: Option<String>,
    pub account_id: Option<AccountId>,
    pub username: Option<String>,
    /// The sealed initial password, until the notice is made.
    #[serde(skip)]
    pub sealed_password: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<Millis>,
}

const PERSON_COLS: &str = "id, request_id, row_no, full_name, job_title, work_unit_id, work_unit, email, permissions, decision, reason, \
     account_id, username, sealed_password, decided_by, decided_at";

fn person_row(r: &AnyRow) -> Result<Person> {
    Ok(Person {
        id: r.try_get("id")?,
        request_id: r.try_get("request_id")?,
        row_no: r.try_get("row_no")?,
        full_name: r.try_get("full_name")?,
        job_title: r.try_get("job_title")?,
        work_unit_id: r.try_get("work_unit_id")?,
        work_unit: r.try_get("work_unit")?,
        email: r.try_get("email")?,
        permissions: r.try_get("permissions")?,
        decision: r.try_get("decision")?,
        reason: r.try_get("reason")?,
        account_id: r.try_get("account_id")?,
        username: r.try_get("username")?,
        sealed_password: r.try_get("sealed_password")?,
        decided_by: r.try_get("decided_by")?,
        decided_at: r.try_get("decided_at")?,
    })
}

pub async fn persons(
    c: &mut AnyConnection,
    request_id: ProvisioningRequestId,
) -> Result<Vec<Person>> {
    let sql = format!(
        "SELECT {PERSON_COLS} FROM provisioning_persons WHERE request_id = $1 ORDER BY row_no, id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(request_id)
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(person_row).collect()
}

pub async fn person(
    c: &mut AnyConnection,
    request_id: ProvisioningRequestId,
    id: PersonId,
) -> Result<Option<Person>> {
    let sql =
        format!("SELECT {PERSON_COLS} FROM provisioning_persons WHERE id = $1 AND request_id = $2");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(id)
        .bind(request_id)
        .fetch_optional(&mut *c)
        .await?;
    r.as_ref().map(person_row).transpose()
}

/// Records a grant; false if the person was already decided.
pub async fn grant(
    c: &mut AnyConnection,
    id: PersonId,
    account_id: AccountId,
    username: &str,
    sealed_password: &str,
    by: &str,
    now: Millis,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE provisioning_persons SET decision = 'granted', account_id = $1, username = $2, sealed_password = $3, decided_by = $4, decided_at = $5 \
         WHERE id = $6 AND decision = 'pending'",
    )
    .bind(account_id)
    .bind(username)
    .bind(sealed_password)
    .bind(by)
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Records a refusal; false if the person was already decided.
pub async fn refuse(
    c: &mut AnyConnection,
    id: PersonId,
    reason: &str,
    by: &str,
    now: Millis,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE provisioning_persons SET decision = 'refused', reason = $1, decided_by = $2, decided_at = $3 WHERE id = $4 AND decision = 'pending'",
    )
    .bind(reason)
    .bind(by)
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Marks the request completed with its sealed notice and erases the
/// sealed initial passwords (the notice is now their only copy).
pub async fn complete(
    c: &mut AnyConnection,
    id: ProvisioningRequestId,
    notice_sha256: &str,
    now: Millis,
) -> Result<bool> {
    ProvisioningStatus::Open.check(ProvisioningStatus::Completed)?;
    let n = sqlx::query(
        "UPDATE provisioning_requests SET status = 'completed', completed_at = $1, notice_sha256 = $2, updated_at = $1 WHERE id = $3 AND status = 'open'",
    )
    .bind(now)
    .bind(notice_sha256)
    .bind(id)
    .execute(&mut *c)
    .await?
    .rows_affected();
    sqlx::query("UPDATE provisioning_persons SET sealed_password = NULL WHERE request_id = $1")
        .bind(id)
        .execute(&mut *c)
        .await?;
    Ok(n == 1)
}

// ---------------------------------------------------------------------------
// Civil servants
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CivilServant {
    pub account_id: AccountId,
    pub ministry_id: MinistryId,
    pub work_unit_id: Option<WorkUnitId>,
    pub work_unit: String,
    pub job_title: String,
    /// Function codes, space-separated.
    pub permissions: String,
    pub request_id: Option<ProvisioningRequestId>,
}

pub async fn add_civil_servant(c: &mut AnyConnection, s: &CivilServant, now: Millis) -> Result<()> {
    sqlx::query(
        "INSERT INTO civil_servants (account_id, ministry_id, work_unit_id, work_unit, job_title, permissions, request_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(s.account_id)
    .bind(s.ministry_id)
    .bind(s.work_unit_id)
    .bind(&s.work_unit)
    .bind(&s.job_title)
    .bind(&s.permissions)
    .bind(s.request_id)
    .bind(now)
    .execute(&mut *c)
    .await
    .map_err(conflict("civil servant"))?;
    Ok(())
}

pub async fn civil_servant(
    c: &mut AnyConnection,
    account_id: AccountId,
) -> Result<Option<CivilServant>> {
    let r = sqlx::query(
        "SELECT account_id, ministry_id, work_unit_id, work_unit, job_title, permissions, request_id FROM civil_servants WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_optional(&mut *c)
    .await?;
    r.map(|r| {
        Ok(CivilServant {
            account_id: r.try_get("account_id")?,
            ministry_id: r.try_get("ministry_id")?,
            work_unit_id: r.try_get("work_unit_id")?,
            work_unit: r.try_get("work_unit")?,
            job_title: r.try_get("job_title")?,
            permissions: r.try_get("permissions")?,
            request_id: r.try_get("request_id")?,
        })
    })
    .transpose()
}
