//! Accounts, their roles and password credentials.
use motcua_domain::account::AccountStatus;
use motcua_domain::text::fold;
use motcua_domain::{AccountId, Millis, Role};
use motcua_store::{conflict, like_escape, Result, StoreError};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Account {
    pub id: AccountId,
    pub username: String,
    pub full_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub tax_code: Option<String>,
    pub personal_id: Option<String>,
    pub status: AccountStatus,
    pub lock_reason: Option<String>,
    pub locale: String,
    pub created_at: Millis,
    pub roles: Vec<Role>,
}

impl Account {
    pub fn has_role(&self, r: Role) -> bool {
        self.roles.contains(&r)
    }
}

#[derive(Debug, Clone, Default)]
pub struct NewAccount {
    pub username: String,
    pub full_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub tax_code: Option<String>,
    pub personal_id: Option<String>,
    pub locale: String,
    pub roles: Vec<Role>,
}

const COLS: &str = "id, username, full_name, email, phone, tax_code, personal_id, status, lock_reason, locale, created_at";

fn from_row(r: &AnyRow) -> Result<Account> {
    Ok(Account {
        id: r.try_get("id")?,
        username: r.try_get("username")?,
        full_name: r.try_get("full_name")?,
        email: r.try_get("email")?,
        phone: r.try_get("phone")?,
        tax_code: r.try_get("tax_code")?,
        personal_id: r.try_get("personal_id")?,
        status: AccountStatus::parse(&r.try_get::<String, _>("status")?),
        lock_reason: r.try_get("lock_reason")?,
        locale: r.try_get("locale")?,
        created_at: r.try_get("created_at")?,
        roles: Vec::new(),
    })
}

fn search_text(a: &NewAccount) -> String {
    let parts = [
        Some(a.username.as_str()),
        Some(a.full_name.as_str()),
        a.email.as_deref(),
        a.phone.as_deref(),
        a.tax_code.as_deref(),
        a.personal_id.as_deref(),
    ];
    fold(&parts.into_iter().flatten().collect::<Vec<_>>().join(" | "))
}

async fn load_roles(c: &mut AnyConnection, a: &mut Account) -> Result<()> {
    let rows = sqlx::query("SELECT role FROM account_roles WHERE account_id = $1 ORDER BY role")
        .bind(a.id)
        .fetch_all(&mut *c)
        .await?;
    a.roles = rows
        .iter()
        .filter_map(|r| r.try_get::<String, _>("role").ok())
        .filter_map(|s| Role::parse(&s).ok())
        .collect();
    a.roles.sort();
    Ok(())
}

/// Creates an account. The username is stored trimmed and lower-cased,
/// the form [`by_username`] looks up, so that lookups are case-insensitive
/// and "An" and "an" cannot both exist.
pub async fn create(c: &mut AnyConnection, a: &NewAccount, now: Millis) -> Result<AccountId> {
    let username = a.username.trim().to_lowercase();
    let id: AccountId = sqlx::query_scalar(
        "INSERT INTO accounts (username, full_name, email, phone, tax_code, personal_id, status, locale, search_text, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8, $9, $9) RETURNING id",
    )
    .bind(&username)
    .bind(&a.full_name)
    .bind(a.email.clone())
    .bind(a.phone.clone())
    .bind(a.tax_code.clone())
    .bind(a.personal_id.clone())
    .bind(&a.locale)
    .bind(search_text(a))
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .map_err(conflict("username"))?;
    for role in &a.roles {
        sqlx::query("INSERT INTO account_roles (account_id, role) VALUES ($1, $2)")
            .bind(id)
            .bind(role.as_str())
            .execute(&mut *c)
            .await?;
    }
    Ok(id)
}

pub async fn get(c: &mut AnyConnection, id: AccountId) -> Result<Option<Account>> {
    let sql = format!("SELECT {COLS} FROM accounts WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(id)
        .fetch_optional(&mut *c)
        .await?;
    finish(c, row).await
}

pub async fn by_username(c: &mut AnyConnection, username: &str) -> Result<Option<Account>> {
    let sql = format!("SELECT {COLS} FROM accounts WHERE username = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(username.trim().to_lowercase())
        .fetch_optional(&mut *c)
        .await?;
    finish(c, row).await
}

/// The ids of the accounts with these usernames (absent ones left out), in
/// one query per 100 names: the console names many throttled keys at once.
pub async fn ids_by_usernames(
    c: &mut AnyConnection,
    names: &[&str],
) -> Result<std::collections::HashMap<String, AccountId>> {
    let mut out = std::collections::HashMap::new();
    for chunk in names.chunks(100) {
        let sql = format!(
            "SELECT id, username FROM accounts WHERE username IN ({})",
            motcua_store::placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
        for n in chunk {
            q = q.bind(*n);
        }
        for r in q.fetch_all(&mut *c).await? {
            out.insert(r.try_get("username")?, r.try_get("id")?);
        }
    }
    Ok(out)
}

/// The account with this tax code, if any (tax codes are one per holder).
pub async fn by_tax_code(c: &mut AnyConnection, tax_code: &str) -> Result<Option<Account>> {
    let sql = format!("SELECT {COLS} FROM accounts WHERE tax_code = $1 ORDER BY id LIMIT 1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(tax_code.trim())
        .fetch_optional(&mut *c)
        .await?;
    finish(c, row).await
}

/// The account with this personal identification number, if any.
pub async fn by_personal_id(c: &mut AnyConnection, personal_id: &str) -> Result<Option<Account>> {
    let sql = format!("SELECT {COLS} FROM accounts WHERE personal_id = $1 ORDER BY id LIMIT 1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(personal_id.trim())
        .fetch_optional(&mut *c)
        .await?;
    finish(c, row).await
}

pub async fn by_email(c: &mut AnyConnection, email: &str) -> Result<Vec<Account>> {
    let sql = format!("SELECT {COLS} FROM accounts WHERE lower(email) = lower($1) ORDER BY id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(email.trim())
        .fetch_all(&mut *c)
        .await?;
    let mut out = Vec::new();
    for r in rows {
        let mut a = from_row(&r)?;
        load_roles(c, &mut a).await?;
        out.push(a);
    }
    Ok(out)
}

async fn finish(c: &mut AnyConnection, row: Option<AnyRow>) -> Result<Option<Account>> {
    match row {
        None => Ok(None),
        Some(r) => {
            let mut a = from_row(&r)?;
            load_roles(c, &mut a).await?;
            Ok(Some(a))
        }
    }
}

pub struct Page {
    pub items: Vec<Account>,
    pub total: i64,
}

/// Diacritic-insensitive search over username, name, email, phone, tax
/// code and personal ID ("dang ky" finds "Đăng ký"). Every word of the
/// query must occur.
pub async fn search(c: &mut AnyConnection, query: &str, limit: i64, offset: i64) -> Result<Page> {
    let words: Vec<String> = fold(query)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(like_escape)
        .collect();
    let mut cond = String::from("1=1");
    for i in 0..words.len() {
        cond.push_str(&format!(" AND search_text LIKE ${} ESCAPE '\\'", i + 1));
    }
    let count_sql = format!("SELECT COUNT(*) FROM accounts WHERE {cond}");
    let mut count = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(count_sql.as_str()));
    for w in &words {
        count = count.bind(format!("%{w}%"));
    }
    let total = count.fetch_one(&mut *c).await?;
    let n = words.len();
    let sql = format!(
        "SELECT {COLS} FROM accounts WHERE {cond} ORDER BY username LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
    for w in &words {
        q = q.bind(format!("%{w}%"));
    }
    let rows = q.bind(limit).bind(offset).fetch_all(&mut *c).await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        let mut a = from_row(&r)?;
        load_roles(c, &mut a).await?;
        items.push(a);
    }
    Ok(Page { items, total })
}

pub async fn set_status(
    c: &mut AnyConnection,
    id: AccountId,
    status: AccountStatus,
    reason: Option<&str>,
    now: Millis,
) -> Result<()> {
    let n = sqlx::query(
        "UPDATE accounts SET status = $1, lock_reason = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(status.as_str())
    .bind(reason.map(str::to_string))
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn set_locale(
    c: &mut AnyConnection,
    id: AccountId,
    locale: &str,
    now: Millis,
) -> Result<()> {
    sqlx::query("UPDATE accounts SET locale = $1, updated_at = $2 WHERE id = $3")
        .bind(locale)
        .bind(now)
        .bind(id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

pub async fn count(c: &mut AnyConnection) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
        .fetch_one(&mut *c)
        .await?)
}

/// Operators' accounts, to notify them (e.g. of a compromise report).
pub async fn operators(c: &mut AnyConnection) -> Result<Vec<Account>> {
    let sql = format!(
        "SELECT {COLS} FROM accounts WHERE status = 'active' AND id IN (SELECT account_id FROM account_roles WHERE role = 'operator') ORDER BY id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .fetch_all(&mut *c)
        .await?;
    let mut out = Vec::new();
    for r in rows {
        let mut a = from_row(&r)?;
        load_roles(c, &mut a).await?;
        out.push(a);
    }
    Ok(out)
}

#[derive(Debug, Clone)]
pub struct PasswordCredential {
    pub hash: String,
    pub is_initial: bool,
    pub expires_at: Option<Millis>,
    pub changed_at: Millis,
}

pub async fn password(
    c: &mut AnyConnection,
    account_id: AccountId,
) -> Result<Option<PasswordCredential>> {
    let row = sqlx::query("SELECT hash, is_initial, expires_at, changed_at FROM password_credentials WHERE account_id = $1")
        .bind(account_id)
        .fetch_optional(&mut *c)
        .await?;
    match row {
        None => Ok(None),
        Some(r) => Ok(Some(PasswordCredential {
            hash: r.try_get("hash")?,
            is_initial: r.try_get::<i64, _>("is_initial")? != 0,
            expires_at: r.try_get("expires_at")?,
            changed_at: r.try_get("changed_at")?,
        })),
    }
}

/// Sets (or replaces) the password hash. An initial password carries an
/// expiry and must be changed at first login (R-ID-4).
pub async fn set_password(
    c: &mut AnyConnection,
    account_id: AccountId,
    hash: &str,
    initial_expires_at: Option<Millis>,
    now: Millis,
) -> Result<()> {
    sqlx::query("DELETE FROM password_credentials WHERE account_id = $1")
        .bind(account_id)
        .execute(&mut *c)
        .await?;
    sqlx::query("INSERT INTO password_credentials (account_id, hash, is_initial, expires_at, changed_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(account_id)
        .bind(hash)
        .bind(i64::from(initial_expires_at.is_some()))
        .bind(initial_expires_at)
        .bind(now)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Replaces an account's name, contact details and roles (the username,
/// tax code and personal ID never change).
pub async fn update_profile(
    c: &mut AnyConnection,
    id: AccountId,
    full_name: &str,
    email: Option<&str>,
    phone: Option<&str>,
    roles: &[Role],
    now: Millis,
) -> Result<()> {
    let Some(old) = get(c, id).await? else {
        return Err(StoreError::NotFound);
    };
    let new = NewAccount {
        username: old.username.clone(),
        full_name: full_name.to_string(),
        email: email.map(str::to_string),
        phone: phone.map(str::to_string),
        tax_code: old.tax_code.clone(),
        personal_id: old.personal_id.clone(),
        locale: old.locale.clone(),
        roles: roles.to_vec(),
    };
    sqlx::query(
        "UPDATE accounts SET full_name = $1, email = $2, phone = $3, search_text = $4, updated_at = $5 WHERE id = $6",
    )
    .bind(full_name)
    .bind(new.email.clone())
    .bind(new.phone.clone())
    .bind(search_text(&new))
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await?;
    sqlx::query("DELETE FROM account_roles WHERE account_id = $1")
        .bind(id)
        .execute(&mut *c)
        .await?;
    for role in roles {
        sqlx::query("INSERT INTO account_roles (account_id, role) VALUES ($1, $2)")
            .bind(id)
            .bind(role.as_str())
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

/// Gives the account a role (no-op if it has it).
pub async fn add_role(c: &mut AnyConnection, account_id: AccountId, role: Role) -> Result<()> {
    sqlx::query(
        "INSERT INTO account_roles (account_id, role) VALUES ($1, $2) ON CONFLICT (account_id, role) DO NOTHING",
    )
    .bind(account_id)
    .bind(role.as_str())
    .execute(&mut *c)
    .await?;
    Ok(())
}

pub async fn remove_role(c: &mut AnyConnection, account_id: AccountId, role: Role) -> Result<()> {
    sqlx::query("DELETE FROM account_roles WHERE account_id = $1 AND role = $2")
        .bind(account_id)
        .bind(role.as_str())
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Restarts the validity of a still-initial password (counted from the
/// notice that gives it, not from the grant).
pub async fn renew_initial_expiry(
    c: &mut AnyConnection,
    account_id: AccountId,
    expires_at: Millis,
) -> Result<()> {
    sqlx::query(
        "UPDATE password_credentials SET expires_at = $1 WHERE account_id = $2 AND is_initial = 1",
    )
    .bind(expires_at)
    .bind(account_id)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Whether some account already uses this email (case-insensitive).
pub async fn email_in_use(c: &mut AnyConnection, email: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE lower(email) = lower($1)")
        .bind(email.trim())
        .fetch_one(&mut *c)
        .await?;
    Ok(n > 0)
}

/// Whether an account has this username.
pub async fn username_taken(c: &mut AnyConnection, username: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE username = $1")
        .bind(username)
        .fetch_one(&mut *c)
        .await?;
    Ok(n > 0)
}

/// Active accounts (operators excepted) whose last successful login —
/// or creation, if they never logged in — is at or before `threshold`:
/// `(account id, last use)`.
pub async fn unused_since(
    c: &mut AnyConnection,
    threshold: Millis,
    limit: i64,
) -> Result<Vec<(AccountId, Millis)>> {
    let rows = sqlx::query(
        "SELECT id, last_use FROM (SELECT a.id AS id, COALESCE((SELECT MAX(v.at) FROM activity v WHERE v.account_id = a.id AND v.kind = 'login'), a.created_at) AS last_use \
         FROM accounts a WHERE a.status = 'active' AND NOT EXISTS (SELECT 1 FROM account_roles r WHERE r.account_id = a.id AND r.role = 'operator')) t \
         WHERE last_use <= $1 ORDER BY id LIMIT $2",
    )
    .bind(threshold)
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("last_use")?)))
        .collect()
}

/// Usernames of the accounts among `ids` (absent ids are left out), to
/// show `account:ID` actors and targets by name.
pub async fn usernames(
    c: &mut AnyConnection,
    ids: &[AccountId],
) -> Result<std::collections::HashMap<AccountId, String>> {
    let mut out = std::collections::HashMap::new();
    for chunk in ids.chunks(100) {
        let sql = format!(
            "SELECT id, username FROM accounts WHERE id IN ({})",
            motcua_store::placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *c).await? {
            out.insert(r.try_get("id")?, r.try_get("username")?);
        }
    }
    Ok(out)
}
