//! Issue #10 §2: killed with SIGKILL at the two worst moments, the portal
//! loses no payment and takes none twice. `motcua demo` runs as a child
//! process on SQLite, connected to the payment platform's simulator in
//! this test's process; a real browser does what the citizen does.
//! 1. Between INIT and the callback: the citizen is at the bank when the
//!    portal dies; the bank's callback finds no one (the simulator tries
//!    again and gives up); after the restart the poller asks the platform
//!    and settles it — once.
//! 2. Between the callback and its commit: the test holds the database's
//!    write lock, so the callback's settlement cannot commit; the portal
//!    is killed with the callback in flight; nothing was paid; after the
//!    restart it is settled once.
use crate::e2e_handling::{eid_login, login, logout, submit, submit_birth};
use crate::e2e_payments::{accept, SCHEDULE};
use crate::support::Sandbox;
use crate::webdriver::{Page, Tools};
use motcua_payments::sim::{Simulator, DEMO_PARTNER, DEMO_SECRET};
use sqlx::{Connection, SqliteConnection};
use std::process::Command;
use std::time::{Duration, Instant};

fn demo_cmd(sb: &Sandbox, paygov: &str) -> Command {
    let mut cmd = sb.cmd(&["demo"]);
    cmd.env("MOTCUA_PAYMENTS__BASE_URL", paygov)
        .env("MOTCUA_PAYMENTS__PARTNER_CODE", DEMO_PARTNER)
        .env("MOTCUA_PAYMENTS__SECRET", DEMO_SECRET)
        .env("MOTCUA_PAYMENTS__POLL_AFTER_MINUTES", "0")
        .env("MOTCUA_PAYMENTS__POLL_EVERY_SECONDS", "1")
        .env("MOTCUA_PAYMENTS__POLL_BACKOFF_SECONDS", "1");
    cmd
}

async fn db(sb: &Sandbox) -> SqliteConnection {
    SqliteConnection::connect(&sb.db_url).await.unwrap()
}

async fn count(sb: &Sandbox, sql: &str) -> i64 {
    let mut c = db(sb).await;
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
        .fetch_one(&mut c)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Waits until `sql` counts `n`.
async fn until(sb: &Sandbox, sql: &str, n: i64, what: &str) {
    let start = Instant::now();
    loop {
        if count(sb, sql).await == n {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{what}: {sql}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The open attempt's reference and its bank page's token.
async fn pending(sb: &Sandbox, sim: &Simulator) -> (String, String) {
    let mut c = db(sb).await;
    let reference: String =
        sqlx::query_scalar("SELECT reference FROM payment_attempts WHERE state = 'pending'")
            .fetch_one(&mut c)
            .await
            .unwrap();
    let url = sim.pay_url(&reference).unwrap();
    (reference, url.rsplit('/').next().unwrap().to_string())
}

/// The citizen presses "pay" on `code`: at the bank's page.
async fn to_the_bank(b: &Page, code: &str) {
    b.goto(&format!("/account/dossiers/{code}")).await;
    submit(b, "section.notice button.pay").await;
    b.wait_text("#amount", "18.000 đ").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_between_init_and_callback_or_callback_and_commit_pays_once() {
    let test = "killed_between_init_and_callback_or_callback_and_commit_pays_once";
    let Some(tools) = Tools::find(test) else {
        return;
    };
    let sim = Simulator::new("http://127.0.0.1:9");
    let server = sim.start().await.unwrap();
    sim.set_retry_delay(Duration::from_millis(500));
    let sb = Sandbox::sqlite();
    let port = crate::demo::free_port();
    let mut demo = Some(crate::demo::start_with(
        demo_cmd(&sb, &server.base_url),
        port,
    ));
    let browser =
        crate::webdriver::Browser::start(&tools, &format!("http://127.0.0.1:{port}")).await;
    let b: &Page = &browser;

    // Two birth registrations accepted, waiting for 18,000 đ each.
    b.goto("/lang/vi?next=/").await;
    login(b, "operator", "Quan-Tri-Cong-2026").await;
    b.goto("/console/catalog/1.001193/fees").await;
    b.set_value("#schedule", SCHEDULE).await;
    submit(b, "#fees-form button[type=submit]").await;
    b.wait_text("#versions", "v1").await;
    logout(b).await;
    eid_login(b, true, &tools.axe_js).await;
    let first = submit_birth(b, &sb, "Nguyễn Minh Khôi").await;
    let second = submit_birth(b, &sb, "Nguyễn Minh Châu").await;
    logout(b).await;
    login(b, "mc.hoankiem", "Demo-OneStop-2026").await;
    accept(b, &first).await;
    accept(b, &second).await;
    logout(b).await;
    eid_login(b, false, &tools.axe_js).await;

    // 1. The portal dies while the citizen is at the bank.
    to_the_bank(b, &first).await;
    assert_eq!(
        count(
            &sb,
            "SELECT COUNT(*) FROM payment_attempts WHERE state = 'pending'"
        )
        .await,
        1,
        "the attempt was committed before the INIT"
    );
    drop(demo.take()); // SIGKILL
    let sent = sim.callbacks_sent();
    // The bank pays; its callback finds no one (tried four times).
    let (_, token) = pending(&sb, &sim).await;
    sim.choose(&token, motcua_payments::sim::Choice::Success)
        .await;
    assert_eq!(
        sim.callbacks_sent(),
        sent + 4,
        "the platform tried and gave up"
    );
    assert_eq!(
        count(
            &sb,
            "SELECT COUNT(*) FROM payment_requests WHERE state = 'paid'"
        )
        .await,
        0
    );
    demo = Some(crate::demo::start_with(
        demo_cmd(&sb, &server.base_url),
        port,
    ));
    until(
        &sb,
        "SELECT COUNT(*) FROM payment_requests WHERE state = 'paid'",
        1,
        "settled after the restart",
    )
    .await;
    b.goto(&format!("/account/dossiers/{first}")).await;
    b.wait_text("#status", "Đã tiếp nhận").await;

    // 2. The callback arrives; its settlement cannot commit (the test
    // holds the write lock); the portal is killed with it in flight.
    to_the_bank(b, &second).await;
    let (_, token) = pending(&sb, &sim).await;
    let mut lock = db(&sb).await;
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut lock)
        .await
        .unwrap();
    let sim2 = sim.clone();
    let before = sim.callbacks_sent();
    let bank = tokio::spawn(async move {
        sim2.choose(&token, motcua_payments::sim::Choice::Success)
            .await
    });
    // The callback is at the portal, waiting for the lock.
    let start = Instant::now();
    while sim.callbacks_sent() == before {
        assert!(start.elapsed() < Duration::from_secs(20), "no callback");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    drop(demo.take()); // SIGKILL, the settlement uncommitted
    sqlx::query("ROLLBACK").execute(&mut lock).await.unwrap();
    drop(lock);
    assert_eq!(
        count(
            &sb,
            "SELECT COUNT(*) FROM payment_requests WHERE state = 'paid'"
        )
        .await,
        1,
        "nothing of the second was committed"
    );
    let _ = bank.await;
    let _demo = crate::demo::start_with(demo_cmd(&sb, &server.base_url), port);
    until(
        &sb,
        "SELECT COUNT(*) FROM payment_requests WHERE state = 'paid'",
        2,
        "settled after the restart",
    )
    .await;
    // Once each, ever.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        count(
            &sb,
            "SELECT COUNT(*) FROM payment_attempts WHERE state = 'paid'"
        )
        .await,
        2
    );
    assert_eq!(
        count(
            &sb,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'payments.paid'"
        )
        .await,
        2
    );
    assert_eq!(
        count(
            &sb,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'handling.paid'"
        )
        .await,
        2
    );
    assert_eq!(
        count(&sb, "SELECT COUNT(*) FROM payment_mismatches").await,
        0
    );
    b.goto(&format!("/account/dossiers/{second}")).await;
    b.wait_text("#status", "Đã tiếp nhận").await;
}
