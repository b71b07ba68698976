//! `motcua migrate` and `motcua admin …` on SQLite; the same flow runs on
//! PostgreSQL in `postgres.rs`.
use crate::support::{http, http_login, Sandbox};
use sqlx::Connection;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A direct connection to the sandbox's database, behind the portal's back.
pub async fn connect(sb: &Sandbox) -> sqlx::AnyConnection {
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(&sb.db_url)
        .await
        .unwrap_or_else(|e| panic!("connect {}: {e}", sb.db_url))
}

pub async fn exec(c: &mut sqlx::AnyConnection, sql: &str) -> Result<u64, sqlx::Error> {
    sqlx::raw_sql(sql)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
}

/// Removes the append-only triggers, as someone with database access could.
async fn drop_audit_triggers(c: &mut sqlx::AnyConnection, backend: Backend) {
    let sql = match backend {
        Backend::Sqlite => "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;",
        Backend::Postgres => "DROP TRIGGER audit_log_no_change ON audit_log;",
    };
    exec(c, sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// migrate twice, create an account, lock and unlock it (with the errors a
/// careless operator meets), check the audit chain, then tamper with the
/// database and see the check fail.
pub async fn admin_flow(sb: &Sandbox, backend: Backend) {
    let be = backend.name();
    let first = sb.ok(&["migrate"]);
    assert!(
        first.stdout.contains(&format!("({be} backend)")) && !first.stdout.contains("[]"),
        "{first}"
    );
    let second = sb.ok(&["migrate"]);
    assert!(
        second.stdout.contains("migrations applied: []"),
        "second migrate applies nothing: {second}"
    );

    let user = "cb.tranthithu";
    let password = sb.create_account(
        user,
        "Trần Thị Thu",
        "thu.tran@example.gov.vn",
        "civil_servant",
    );
    assert!(!password.contains(' '));
    sb.fails(
        &[
            "admin",
            "create-account",
            "--username",
            user,
            "--full-name",
            "Người Khác",
            "--role",
            "citizen",
        ],
        1,
        "error.username_taken",
    );
    sb.fails(
        &[
            "admin",
            "create-account",
            "--username",
            "someone",
            "--full-name",
            "Ai Đó",
            "--role",
            "president",
        ],
        1,
        "unknown role 'president'",
    );

    // Lock: the reason is required, the user must exist.
    let out = sb.run(&["admin", "lock", user]);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("--reason"), "{out}");
    sb.fails(&["admin", "lock", user, "--reason", "  x "], 1, "reason");
    sb.fails(
        &["admin", "lock", "khong.co.ai", "--reason", "Kiểm tra"],
        1,
        "no account with username 'khong.co.ai'",
    );
    let out = sb.ok(&["admin", "lock", user, "--reason", "Nghi ngờ lộ mật khẩu"]);
    assert!(out.stdout.contains(&format!("locked {user}")), "{out}");
    // The holder is told by mail (file transport in the sandbox).
    let mails: Vec<String> = std::fs::read_dir(sb.mail_dir())
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        mails.iter().any(|m| m.contains("thu.tran@example.gov.vn")),
        "{be}: no lock notice in {}",
        sb.mail_dir().display()
    );

    // Unlock: same rules.
    let out = sb.run(&["admin", "unlock", user]);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("--reason"), "{out}");
    sb.fails(&["admin", "unlock", user, "--reason", ""], 1, "reason");
    sb.fails(
        &["admin", "unlock", "khong.co.ai", "--reason", "Đã xác minh"],
        1,
        "no account with username 'khong.co.ai'",
    );
    let out = sb.ok(&["admin", "unlock", user, "--reason", "Đã xác minh danh tính"]);
    assert!(out.stdout.contains(&format!("unlocked {user}")), "{out}");

    // The audit chain holds…
    let out = sb.ok(&["admin", "verify-audit"]);
    let records: i64 = out
        .stdout_value("audit log intact:")
        .and_then(|v| v.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or_else(|| panic!("{be}: {out}"));
    assert!(
        records >= 3,
        "{be}: create, lock, unlock are audited: {out}"
    );

    // …the database refuses to edit it…
    let mut c = connect(sb).await;
    let edit = "UPDATE audit_log SET detail = '{\"reason\":\"không có gì\"}' WHERE seq = 2";
    let refused = exec(&mut c, edit).await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.to_string().contains("append-only")),
        "{be}: the audit log must be append-only: {refused:?}"
    );
    // …and once someone removes that protection and edits a record, the
    // check finds it.
    drop_audit_triggers(&mut c, backend).await;
    assert_eq!(exec(&mut c, edit).await.ok(), Some(1), "{be}: tamper");
    c.close().await.ok();
    let out = sb.run(&["admin", "verify-audit"]);
    assert_eq!(out.code, 1, "{be}: {out}");
    assert!(
        out.stdout.contains("BROKEN at record 2"),
        "{be}: expected BROKEN: {out}"
    );
}

#[tokio::test]
async fn sqlite_migrate_create_lock_unlock_verify_and_tamper() {
    let sb = Sandbox::sqlite();
    admin_flow(&sb, Backend::Sqlite).await;
}

/// A deleted record (not only an edited one) breaks the chain too.
#[tokio::test]
async fn verify_audit_finds_a_deleted_record() {
    let sb = Sandbox::sqlite();
    for (u, n) in [("cd.mot", "Công dân Một"), ("cd.hai", "Công dân Hai")] {
        sb.create_account(u, n, &format!("{u}@example.vn"), "citizen");
    }
    sb.ok(&["admin", "lock", "cd.mot", "--reason", "Kiểm tra"]);
    sb.ok(&["admin", "verify-audit"]);
    let mut c = connect(&sb).await;
    drop_audit_triggers(&mut c, Backend::Sqlite).await;
    assert_eq!(
        exec(&mut c, "DELETE FROM audit_log WHERE seq = 2")
            .await
            .ok(),
        Some(1)
    );
    c.close().await.ok();
    let out = sb.run(&["admin", "verify-audit"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stdout.contains("BROKEN at record 2"), "{out}");
    assert!(out.stdout.contains("missing record"), "{out}");
}

/// `admin lock` on a running portal ends the holder's sessions and stops
/// logins; `admin unlock` lets them in again.
#[tokio::test]
async fn cli_lock_ends_sessions_and_blocks_login_until_unlock() {
    let sb = Sandbox::sqlite();
    let user = "cb.lehoang";
    let password = sb.create_account(user, "Lê Hoàng", "hoang.le@example.gov.vn", "civil_servant");
    let server = sb.serve();
    let base = server.url.clone();

    let client = http();
    let r = http_login(&client, &base, user, &password).await;
    assert!(r.status().is_redirection(), "login: {}", r.status());
    assert_eq!(
        location(&r),
        "/password/change",
        "initial password must be changed"
    );
    let r = get(&client, &base, "/password/change").await;
    assert_eq!(r.status(), 200);

    sb.ok(&["admin", "lock", user, "--reason", "Nghi ngờ bị chiếm quyền"]);
    let r = get(&client, &base, "/password/change").await;
    assert!(
        r.status().is_redirection() && location(&r).starts_with("/login"),
        "the session ended with the lock: {} {}",
        r.status(),
        location(&r)
    );
    let r = http_login(&http(), &base, user, &password).await;
    assert_eq!(r.status(), 200, "a locked account gets the form back");
    let body = r.text().await.unwrap_or_default();
    assert!(body.contains("Tài khoản đang bị khóa"), "{body}");

    sb.ok(&["admin", "unlock", user, "--reason", "Đã xác minh"]);
    let r = http_login(&http(), &base, user, &password).await;
    assert!(
        r.status().is_redirection(),
        "login after unlock: {}",
        r.status()
    );
    assert_eq!(location(&r), "/password/change");
}

async fn get(client: &reqwest::Client, base: &str, path: &str) -> reqwest::Response {
    client
        .get(format!("{base}{path}"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}
