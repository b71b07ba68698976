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
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
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

/// The head of the audit chain: (seq, hash).
async fn audit_head(c: &mut sqlx::AnyConnection) -> (i64, String) {
    use sqlx::Row;
    let r = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut *c)
        .await
        .unwrap_or_else(|e| panic!("audit head: {e}"));
    (r.get("seq"), r.get("hash"))
}

/// The only `audit-checkpoints-*.log` file in the sandbox.
fn checkpoint_file(sb: &Sandbox) -> std::path::PathBuf {
    let files: Vec<_> = std::fs::read_dir(sb.path())
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("audit-checkpoints-") && n.ends_with(".log"))
        })
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

/// With no configuration the key is generated once into the data folder;
/// `admin audit-checkpoint` anchors the head outside the database; a tail
/// cut with the head rolled back, an edit rehashed the old unkeyed way and
/// an edited checkpoint line all make `verify-audit` fail (exit 1) naming
/// the first bad record or line.
pub async fn audit_checkpoint_flow(sb: &Sandbox, backend: Backend) {
    let be = backend.name();
    for (u, n) in [("cd.ba", "Công dân Ba"), ("cd.bon", "Công dân Bốn")] {
        sb.create_account(u, n, &format!("{u}@example.vn"), "citizen");
    }
    sb.ok(&["admin", "lock", "cd.ba", "--reason", "Kiểm tra"]);
    sb.ok(&["admin", "unlock", "cd.ba", "--reason", "Đã kiểm tra"]);
    let key_file = std::fs::read_to_string(sb.path().join("audit.key"))
        .unwrap_or_else(|e| panic!("{be}: generated audit key: {e}"));
    let secret = key_file.trim().split_once(':').map(|(_, s)| s.to_string());
    let secret = secret.unwrap_or_else(|| panic!("{be}: {key_file}"));

    let mut c = connect(sb).await;
    let (head, _) = audit_head(&mut c).await;
    assert!(head >= 4, "{be}: {head}");
    let out = sb.ok(&["admin", "audit-checkpoint"]);
    assert!(
        out.stdout
            .contains(&format!("audit checkpoint written: record {head} to ")),
        "{be}: {out}"
    );
    let cp_file = checkpoint_file(sb);
    let out = sb.ok(&["admin", "verify-audit"]);
    assert!(
        out.stdout
            .contains(&format!("audit log intact: {head} records"))
            && out.stdout.contains("1 checkpoints agree"),
        "{be}: {out}"
    );
    assert!(
        !out.stdout.contains(&secret) && !out.stderr.contains(&secret),
        "{be}: the key never shows"
    );

    // The last two records deleted and the head rolled back: the chain
    // alone is consistent, the checkpoint is not.
    drop_audit_triggers(&mut c, backend).await;
    let cut = format!("DELETE FROM audit_log WHERE seq > {}", head - 2);
    assert_eq!(exec(&mut c, &cut).await.ok(), Some(2), "{be}");
    let roll = format!(
        "UPDATE audit_head SET seq = seq - 2, hash = (SELECT hash FROM audit_log WHERE seq = {}) WHERE id = 1",
        head - 2
    );
    assert_eq!(exec(&mut c, &roll).await.ok(), Some(1), "{be}");
    let out = sb.run(&["admin", "verify-audit"]);
    assert_eq!(out.code, 1, "{be}: {out}");
    assert!(
        out.stdout
            .contains(&format!("BROKEN at record {}: missing record", head - 1))
            && out.stdout.contains(&format!("reached record {head}")),
        "{be}: {out}"
    );
    // Against no checkpoint file (another, empty one) it would pass: the
    // checkpoint is what finds it.
    let empty = sb.path().join("empty.log");
    std::fs::write(&empty, "").unwrap_or_else(|e| panic!("{e}"));
    sb.ok(&[
        "admin",
        "verify-audit",
        "--checkpoints",
        empty.to_str().unwrap_or_default(),
    ]);

    // Record 2 edited, its hash and every later one recomputed with the
    // old unkeyed SHA-256, the head moved along: the keyed seal finds it.
    let rows = {
        use sqlx::Row;
        sqlx::query("SELECT seq, at, actor, action, target, ip, request_id, detail, prev_hash FROM audit_log ORDER BY seq")
            .fetch_all(&mut c)
            .await
            .unwrap_or_else(|e| panic!("{be}: {e}"))
            .iter()
            .map(|r| motcua_domain::audit::Record {
                seq: r.get("seq"),
                at: r.get("at"),
                actor: r.get("actor"),
                action: r.get("action"),
                target: r.get("target"),
                ip: r.get("ip"),
                request_id: r.get("request_id"),
                detail: r.get("detail"),
            })
            .collect::<Vec<_>>()
    };
    let mut prev: String = sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = 1")
        .fetch_one(&mut c)
        .await
        .unwrap_or_else(|e| panic!("{be}: {e}"));
    for mut rec in rows.into_iter().filter(|r| r.seq >= 2) {
        if rec.seq == 2 {
            rec.detail = "{\"reason\":\"không có gì\"}".into();
        }
        let hash = motcua_domain::audit::chain_hash(&prev, &rec);
        sqlx::query("UPDATE audit_log SET detail = $1, prev_hash = $2, hash = $3 WHERE seq = $4")
            .bind(&rec.detail)
            .bind(&prev)
            .bind(&hash)
            .bind(rec.seq)
            .execute(&mut c)
            .await
            .unwrap_or_else(|e| panic!("{be}: {e}"));
        prev = hash;
    }
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&prev)
        .execute(&mut c)
        .await
        .unwrap_or_else(|e| panic!("{be}: {e}"));
    c.close().await.ok();
    let out = sb.run(&[
        "admin",
        "verify-audit",
        "--checkpoints",
        empty.to_str().unwrap_or_default(),
    ]);
    assert_eq!(out.code, 1, "{be}: {out}");
    assert!(
        out.stdout.contains("BROKEN at record 2: record altered"),
        "{be}: {out}"
    );

    // An edited checkpoint line (the sequence lowered to hide the cut).
    let text = std::fs::read_to_string(&cp_file).unwrap_or_else(|e| panic!("{e}"));
    let forged = text.replace(&format!(" seq={head} "), &format!(" seq={} ", head - 2));
    assert_ne!(forged, text, "{be}");
    std::fs::write(&cp_file, forged).unwrap_or_else(|e| panic!("{e}"));
    let out = sb.run(&["admin", "verify-audit"]);
    assert_eq!(out.code, 1, "{be}: {out}");
    assert!(
        out.stdout.contains("audit checkpoints BROKEN")
            && out.stdout.contains("line 1: signature does not match"),
        "{be}: {out}"
    );
    // A checkpoint file that is not there, when named, is an error too.
    let out = sb.run(&[
        "admin",
        "verify-audit",
        "--checkpoints",
        "/nonexistent/cp.log",
    ]);
    assert_eq!(out.code, 1, "{be}: {out}");
    assert!(
        out.stdout.contains("cannot read checkpoint file"),
        "{be}: {out}"
    );
}

#[tokio::test]
async fn sqlite_audit_checkpoint_detects_cut_tail_and_rehashed_edit() {
    let sb = Sandbox::sqlite();
    audit_checkpoint_flow(&sb, Backend::Sqlite).await;
}

/// Keys from the environment: records sealed under k1, then under k2
/// after rotation, verify while both are configured; without k1 the check
/// fails and names it.
#[tokio::test]
async fn audit_key_rotation_by_environment() {
    let sb = Sandbox::sqlite();
    let k1 = "1f".repeat(32);
    let k2 = "2e".repeat(32);
    let with = |args: &[&str], keys: &[(&str, &str)], active: &str| {
        let mut cmd = sb.cmd(args);
        for (id, k) in keys {
            cmd.env(format!("MOTCUA_AUDIT__KEYS__{id}"), k);
        }
        cmd.env("MOTCUA_AUDIT__ACTIVE_KEY", active);
        crate::support::run(cmd)
    };
    let out = with(
        &[
            "admin",
            "create-account",
            "--username",
            "cd.nam",
            "--full-name",
            "Công dân Năm",
            "--role",
            "citizen",
        ],
        &[("K1", &k1)],
        "k1",
    );
    assert_eq!(out.code, 0, "{out}");
    let out = with(
        &["admin", "lock", "cd.nam", "--reason", "Luân chuyển khoá"],
        &[("K1", &k1), ("K2", &k2)],
        "k2",
    );
    assert_eq!(out.code, 0, "{out}");
    assert!(
        !sb.path().join("audit.key").exists(),
        "configured keys: nothing generated"
    );
    let out = with(
        &["admin", "verify-audit"],
        &[("K1", &k1), ("K2", &k2)],
        "k2",
    );
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout.contains("audit keys: k1, k2 (active k2)"),
        "{out}"
    );
    assert!(
        !out.stdout.contains(&k1) && !out.stderr.contains(&k1),
        "{out}"
    );
    let mut c = connect(&sb).await;
    let ids: Vec<String> = sqlx::query_scalar("SELECT key_id FROM audit_log ORDER BY seq")
        .fetch_all(&mut c)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    c.close().await.ok();
    assert_eq!(ids.first().map(String::as_str), Some("k1"), "{ids:?}");
    assert_eq!(ids.last().map(String::as_str), Some("k2"), "{ids:?}");

    let out = with(&["admin", "verify-audit"], &[("K2", &k2)], "k2");
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stdout
            .contains("BROKEN at record 1: sealed with audit key 'k1', which is not configured"),
        "{out}"
    );
    // A bad key is refused at start with a one-line message without it.
    let out = with(&["admin", "verify-audit"], &[("K1", "abcd")], "k1");
    crate::support::assert_one_line_error(&out, 2, "audit key 'k1' is too short", "short key");
}

/// `serve` warns that the generated key is for demos, writes a checkpoint
/// at start and another at a graceful shutdown (SIGTERM) after more
/// records were appended.
#[cfg(unix)]
#[tokio::test]
async fn serve_writes_audit_checkpoints_at_start_and_shutdown() {
    let sb = Sandbox::sqlite();
    sb.create_account("cd.sau", "Công dân Sáu", "cd.sau@example.vn", "citizen");
    let mut c = connect(&sb).await;
    let (head0, _) = audit_head(&mut c).await;
    c.close().await.ok();
    let mut server = sb.serve();
    server.wait_for_log("audit key not configured");
    let start = std::time::Instant::now();
    let file = loop {
        let found = std::fs::read_dir(sb.path())
            .ok()
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .any(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with("audit-checkpoints-")
            });
        if found {
            break checkpoint_file(&sb);
        }
        assert!(start.elapsed().as_secs() < 10, "no checkpoint at start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let first = std::fs::read_to_string(&file).unwrap_or_default();
    assert_eq!(first.lines().count(), 1, "{first}");
    assert!(
        first.contains(&format!(" seq={head0} ")),
        "{head0}: {first}"
    );
    sb.ok(&["admin", "lock", "cd.sau", "--reason", "Kiểm tra"]);
    server.terminate();
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    assert_eq!(text.lines().count(), 2, "{text}");
    let mut c = connect(&sb).await;
    let (head, _) = audit_head(&mut c).await;
    c.close().await.ok();
    assert!(
        head > head0 && text.contains(&format!(" seq={head} ")),
        "{head}: {text}"
    );
    let out = sb.ok(&["admin", "verify-audit"]);
    assert!(out.stdout.contains("2 checkpoints agree"), "{out}");
}

/// `admin blobs-gc` deletes an unreferenced blob older than the grace
/// period and leaves a young one and anything that is not a blob.
#[tokio::test]
async fn blobs_gc_deletes_old_orphans_only() {
    let sb = Sandbox::sqlite();
    sb.ok(&["migrate"]);
    let out = sb.ok(&["admin", "blobs-gc"]);
    assert!(out.stdout.contains("0 scanned"), "{out}");
    let blob = |text: &str| {
        let key = motcua_domain::token::sha256_hex(text);
        let dir = sb.path().join("blobs/sha256").join(&key[..2]);
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join(&key);
        std::fs::write(&f, text).unwrap();
        f
    };
    let old = blob("don da huy tu lau");
    let young = blob("don vua tai len");
    std::fs::create_dir_all(sb.path().join("blobs/sha256/ab")).unwrap();
    let stray = sb.path().join("blobs/sha256/ab/README");
    std::fs::write(&stray, b"not a blob").unwrap();
    let two_days_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(48 * 3600);
    std::fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(two_days_ago)
        .unwrap();
    let out = sb.ok(&["admin", "blobs-gc", "--grace-hours", "24"]);
    assert!(out.stdout.contains("1 deleted"), "{out}");
    assert!(out.stdout.contains("1 foreign"), "{out}");
    assert!(!old.exists(), "the old orphan is gone");
    assert!(young.exists() && stray.exists());
}

/// Issue #7: `motcua bench --scale N --json` loads N synthetic citizens on
/// a database of its own and reports every search shape, the sweep's read
/// and both logins as JSON; the exact shapes find exactly one account and
/// no login fails.
#[test]
fn bench_scale_mode_reports_json() {
    let sb = crate::support::Sandbox::sqlite();
    let out = sb.ok(&[
        "bench",
        "--scale",
        "3000",
        "--seconds",
        "1",
        "--runs",
        "2",
        "--json",
        "--login-clients",
        "2",
        "--cert-clients",
        "2",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["accounts"], 3000, "{out}");
    assert_eq!(v["loaded"], 3000, "{out}");
    let shapes = v["search"].as_array().expect("search shapes");
    assert_eq!(shapes.len(), 10, "{out}");
    for s in shapes {
        assert!(s["p50_ms"].as_f64().is_some_and(|x| x > 0.0), "{s}");
        assert!(s["run6_ms"].is_null(), "two runs have no 6th: {s}");
    }
    let by = |name: &str| {
        shapes
            .iter()
            .find(|s| s["shape"].as_str().is_some_and(|n| n.starts_with(name)))
            .unwrap_or_else(|| panic!("{name}: {out}"))
    };
    assert_eq!(by("exact personal ID")["rows"], 1, "{out}");
    assert_eq!(by("exact email")["rows"], 1, "{out}");
    assert_eq!(by("no match")["rows"], 0, "{out}");
    assert_eq!(by("everyone")["rows"], 20, "{out}");
    assert_eq!(by("everyone")["total"], "more than 1000", "{out}");
    assert_eq!(v["password_login_failures"], 0, "{out}");
    assert_eq!(v["certificate_login_failures"], 0, "{out}");
    assert!(
        v["password_logins_per_s"].as_f64().is_some_and(|x| x > 0.0),
        "{out}"
    );
    assert!(
        v["certificate_logins_per_s"]
            .as_f64()
            .is_some_and(|x| x > 0.0),
        "{out}"
    );
}
