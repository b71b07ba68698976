//! Account events to specialized processing systems (R-ID-5): written to
//! the outbox with the change, delivered as Standard Webhooks to REAL
//! receiving HTTP servers (a Python process that verifies every signature
//! with the `standardwebhooks` package from PyPI, an implementation
//! independent of ours), retried with backoff, dead-lettered after the
//! horizon, redelivered from the console, ordered per account, and sent
//! once by a cluster.
use crate::helpers::*;
use motcua_domain::{AccountId, Role, SystemId, SECOND};
use motcua_identity::service::{self, NewAccountInput, Origin};
use motcua_kernel::outbox::{self, EventsConfig};
use reqwest::StatusCode;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/peers/webhook_receiver.py"
);

pub(crate) fn receiver_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import standardwebhooks"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            !in_ci(),
            "the event tests need the Python package standardwebhooks (pip install standardwebhooks)"
        );
        eprintln!("*** SKIPPING event delivery tests: pip install standardwebhooks ***");
    }
    ok
}

/// A receiving system: the Python peer on its own port.
pub(crate) struct Receiver {
    child: Child,
    port: u16,
    http: reqwest::Client,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Receiver {
    pub(crate) fn start(port: u16) -> Receiver {
        let mut child = Command::new("python3")
            .arg(SCRIPT)
            .arg(port.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start webhook_receiver.py");
        let mut line = String::new();
        let out = child.stdout.take().expect("stdout");
        BufReader::new(out).read_line(&mut line).expect("port line");
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("receiver said {line:?}"));
        Receiver {
            child,
            port,
            http: reqwest::Client::new(),
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hooks/motcua", self.port)
    }

    pub(crate) async fn control(&self, v: Value) {
        let r = self
            .http
            .post(format!("http://127.0.0.1:{}/control", self.port))
            .body(v.to_string())
            .send()
            .await
            .expect("control");
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
    }

    async fn received(&self) -> Vec<Value> {
        self.http
            .get(format!("http://127.0.0.1:{}/received", self.port))
            .send()
            .await
            .expect("received")
            .json()
            .await
            .expect("json")
    }

    /// Acknowledged attempts (2xx), in arrival order: (event id, type, body).
    pub(crate) async fn acknowledged(&self) -> Vec<(String, String, Value)> {
        self.received()
            .await
            .into_iter()
            .filter(|r| {
                r["status"]
                    .as_i64()
                    .is_some_and(|s| (200..300).contains(&s))
            })
            .map(|r| {
                let body: Value =
                    serde_json::from_str(r["body"].as_str().unwrap_or("{}")).expect("body is JSON");
                (
                    r["id"].as_str().unwrap_or_default().to_string(),
                    r["type"].as_str().unwrap_or_default().to_string(),
                    body,
                )
            })
            .collect()
    }
}

/// A port on which nothing listens (for now).
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn fast() -> EventsConfig {
    EventsConfig {
        horizon_ms: 10 * 60 * SECOND,
        first_backoff_ms: 5 * SECOND,
        max_backoff_ms: 60 * SECOND,
        timeout_ms: 2 * SECOND,
        batch: 8,
    }
}

/// Registers a system through the console like an operator; returns its
/// id and the secret the page shows once.
pub(crate) async fn register(
    app: &App,
    op: &Browser,
    code: &str,
    url: &str,
    types: &[&str],
) -> (SystemId, String) {
    let page = op.get("/console/systems").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let csrf = page.csrf();
    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("code", code),
        ("name", "Hệ thống xử lý chuyên ngành"),
        ("ministry", "Bộ Công Thương"),
        ("endpoint_url", url),
        ("active", "on"),
    ];
    for t in types {
        fields.push(("event_types", t));
    }
    let r = op.post_form("/console/systems", &fields).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}: register: {}",
        app.name(),
        r.text
    );
    let secret = r
        .text
        .split("<code id=\"secret\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or_else(|| panic!("no secret shown: {}", r.text))
        .to_string();
    let mut c = app.conn().await;
    let id = motcua_store::events::systems(&mut c)
        .await
        .expect("systems")
        .into_iter()
        .find(|s| s.code == code)
        .expect("registered")
        .id;
    (id, secret)
}

async fn declarant(app: &App, username: &str) -> AccountId {
    app.create(NewAccountInput {
        username: username.into(),
        full_name: "Trần Thị Bình".into(),
        email: Some(format!("{username}@example.vn")),
        tax_code: Some("0100109106".into()),
        roles: vec![Role::Declarant],
        ..Default::default()
    })
    .await
    .0
}

pub(crate) async fn drain(app: &App) -> usize {
    outbox::drain(app.state(), "test")
        .await
        .expect("drain events")
}

async fn statuses(app: &App) -> Vec<(String, i64)> {
    let mut c = app.conn().await;
    motcua_store::events::counts(&mut c)
        .await
        .expect("counts")
        .into_iter()
        .map(|(s, n)| (s.as_str().to_string(), n))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_events_are_signed_verified_and_ordered() {
    if !receiver_available() {
        return;
    }
    each_backend(|db| async move {
        let app = spawn_app_with(
            db,
            Opts {
                events: Some(fast()),
                ..Default::default()
            },
        )
        .await;
        let op = app.operator_browser().await;
        let rx = Receiver::start(0);
        let all = [
            "account.created",
            "account.updated",
            "account.locked",
            "account.unlocked",
            "account.revoked",
        ];
        let (_, secret) = register(&app, &op, "bct-ecosys", &rx.url(), &all).await;
        assert!(secret.starts_with("whsec_"), "{secret}");
        rx.control(serde_json::json!({ "secret": secret })).await;
        // A system that only wants locks gets only locks.
        let rx2 = Receiver::start(0);
        let (_, secret2) = register(&app, &op, "btc-locks", &rx2.url(), &["account.locked"]).await;
        rx2.control(serde_json::json!({ "secret": secret2 })).await;

        let id = declarant(&app, "cty.binhminh").await;
        let lock = op.get(&format!("/console/accounts/{id}")).await;
        let r = op
            .post_form(
                &format!("/console/accounts/{id}/lock"),
                &[
                    ("csrf", &lock.csrf()),
                    ("reason", "Doanh nghiệp tạm ngừng kinh doanh"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        service::unlock_account(app.state(), &Origin::cli(), id, "Đã xác minh lại")
            .await
            .expect("unlock");
        // Nothing is sent before the worker runs; then all of it.
        assert!(rx.received().await.is_empty());
        assert!(drain(&app).await >= 3, "{}", app.name());

        let got = rx.received().await;
        assert!(
            got.iter().all(|r| r["verified"] == Value::Bool(true)),
            "{}: a signature failed independent verification: {got:?}",
            app.name()
        );
        let acked = rx.acknowledged().await;
        let types: Vec<&str> = acked.iter().map(|(_, t, _)| t.as_str()).collect();
        assert_eq!(
            types,
            ["account.created", "account.locked", "account.unlocked"],
            "{}: per-account order",
            app.name()
        );
        let (_, _, created) = &acked[0];
        assert_eq!(created["data"]["username"], "cty.binhminh");
        assert_eq!(created["data"]["tax_code"], "0100109106");
        assert_eq!(created["data"]["roles"], serde_json::json!(["declarant"]));
        assert!(
            created["data"].get("personal_id").is_none(),
            "the personal ID is not shared"
        );
        assert_eq!(acked[1].2["data"]["status"], "locked");
        assert_eq!(
            acked[1].2["data"]["reason"],
            "Doanh nghiệp tạm ngừng kinh doanh"
        );
        // The lock-only system got just the lock, also verified.
        let got2 = rx2.acknowledged().await;
        assert_eq!(got2.len(), 1, "{}", app.name());
        assert_eq!(got2[0].1, "account.locked");
        assert_eq!(
            got2[0].0, acked[1].0,
            "one event id (webhook-id) across systems"
        );
        assert_eq!(statuses(&app).await, vec![("delivered".to_string(), 4)]);
        // Delivered stays delivered: nothing more is sent.
        app.advance(3_600 * SECOND);
        assert_eq!(drain(&app).await, 0);
        assert_eq!(rx.received().await.len(), 3);
        app.assert_audit_intact().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_gets_retries_with_backoff_in_order() {
    if !receiver_available() {
        return;
    }
    each_backend(|db| async move {
        let app = spawn_app_with(
            db,
            Opts {
                events: Some(fast()),
                ..Default::default()
            },
        )
        .await;
        let op = app.operator_browser().await;
        let rx = Receiver::start(0);
        let (_, secret) = register(
            &app,
            &op,
            "flaky",
            &rx.url(),
            &["account.created", "account.locked"],
        )
        .await;
        rx.control(serde_json::json!({ "secret": secret, "fail_first": 3, "fail_status": 503 }))
            .await;
        let id = declarant(&app, "cty.anphat").await;
        service::lock_account(app.state(), &Origin::cli(), id, "Rủi ro an ninh")
            .await
            .expect("lock");

        // Attempt 1 fails; the lock event waits behind the created event.
        assert_eq!(drain(&app).await, 1, "{}", app.name());
        assert_eq!(rx.received().await.len(), 1);
        // Not due yet.
        app.advance(4 * SECOND);
        assert_eq!(drain(&app).await, 0);
        // 5 s, then 10 s, then 20 s.
        app.advance(SECOND);
        assert_eq!(drain(&app).await, 1);
        app.advance(10 * SECOND);
        assert_eq!(drain(&app).await, 1);
        app.advance(19 * SECOND);
        assert_eq!(drain(&app).await, 0);
        app.advance(SECOND);
        // The 4th attempt is acknowledged, then the lock goes out.
        assert_eq!(drain(&app).await, 2);
        let got = rx.received().await;
        let ids: Vec<&str> = got.iter().map(|r| r["id"].as_str().unwrap_or("")).collect();
        assert_eq!(got.len(), 5, "{got:?}");
        assert!(
            ids[..4].iter().all(|i| *i == ids[0]),
            "retries keep the webhook-id"
        );
        assert_ne!(ids[4], ids[0]);
        let statuses_seen: Vec<i64> = got
            .iter()
            .map(|r| r["status"].as_i64().unwrap_or(0))
            .collect();
        assert_eq!(statuses_seen, [503, 503, 503, 204, 204]);
        let acked = rx.acknowledged().await;
        let types: Vec<&str> = acked.iter().map(|(_, t, _)| t.as_str()).collect();
        assert_eq!(types, ["account.created", "account.locked"]);
        // The console shows the history of the delivery.
        let page = op.get("/console/deliveries").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("flaky") && page.text.contains("account.created"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_down_for_a_while_loses_nothing() {
    if !receiver_available() {
        return;
    }
    each_backend(|db| async move {
        let app = spawn_app_with(
            db,
            Opts {
                events: Some(fast()),
                ..Default::default()
            },
        )
        .await;
        let op = app.operator_browser().await;
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}/hooks/motcua");
        let (_, secret) = register(&app, &op, "down", &url, &["account.created"]).await;
        for i in 0..3 {
            declarant(&app, &format!("cty.down{i}")).await;
        }
        // Connection refused, three times over.
        assert_eq!(drain(&app).await, 3);
        app.advance(5 * SECOND);
        assert_eq!(drain(&app).await, 3);
        let mut c = app.conn().await;
        let pending = motcua_store::events::list(
            &mut c,
            Some(motcua_domain::DeliveryStatus::Pending),
            None,
            10,
        )
        .await
        .expect("list");
        drop(c);
        assert_eq!(pending.len(), 3);
        assert!(
            pending
                .iter()
                .all(|d| d.attempts == 2 && d.last_error.as_deref() == Some("connection failed")),
            "{pending:?}"
        );
        // It comes back on the same port.
        let rx = Receiver::start(port);
        rx.control(serde_json::json!({ "secret": secret })).await;
        app.advance(10 * SECOND);
        assert_eq!(drain(&app).await, 3);
        let acked = rx.acknowledged().await;
        let mut names: Vec<String> = acked
            .iter()
            .map(|(_, _, b)| b["data"]["username"].as_str().unwrap_or("").to_string())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["cty.down0", "cty.down1", "cty.down2"],
            "{}",
            app.name()
        );
        assert_eq!(statuses(&app).await, vec![("delivered".to_string(), 3)]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_receiver_times_out_and_is_retried() {
    if !receiver_available() {
        return;
    }
    each_backend(|db| async move {
        let cfg = EventsConfig {
            timeout_ms: 500,
            ..fast()
        };
        let app = spawn_app_with(
            db,
            Opts {
                events: Some(cfg),
                ..Default::default()
            },
        )
        .await;
        let op = app.operator_browser().await;
        let rx = Receiver::start(0);
        let (_, secret) = register(&app, &op, "slow", &rx.url(), &["account.created"]).await;
        rx.control(serde_json::json!({ "secret": secret, "delay": 1.5 }))
            .await;
        declarant(&app, "cty.chamchap").await;
        assert_eq!(drain(&app).await, 1);
        let mut c = app.conn().await;
        let d = motcua_store::events::list(&mut c, None, None, 10)
            .await
            .expect("list");
        drop(c);
        assert_eq!(d[0].status, "pending");
        assert_eq!(d[0].last_error.as_deref(), Some("timed out"));
        // The receiver speeds up; the retry is acknowledged.
        rx.control(serde_json::json!({ "delay": 0 })).await;
        app.advance(5 * SECOND);
        assert_eq!(drain(&app).await, 1);
        assert_eq!(statuses(&app).await, vec![("delivered".to_string(), 1)]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_horizon_a_delivery_is_dead_and_the_operator_redelivers_it() {
    if !receiver_available() {
        return;
    }
    each_backend(|db| async move {
        let cfg = EventsConfig {
            horizon_ms: 60 * SECOND,
            ..fast()
        };
        let app = spawn_app_with(
            db,
            Opts {
                events: Some(cfg),
                ..Default::default()
            },
        )
        .await;
        let op = app.operator_browser().await;
        let rx = Receiver::start(0);
        let (_, secret) = register(&app, &op, "broken", &rx.url(), &["account.created"]).await;
        rx.control(serde_json::json!({ "secret": secret, "fail_first": 1000, "fail_status": 500 }))
            .await;
        declarant(&app, "cty.hongphuc").await;
        // 0 s, 5 s, 15 s, 35 s; the next (75 s) is past the 60 s horizon.
        for step in [0, 5, 10, 20] {
            app.advance(step * SECOND);
            assert_eq!(drain(&app).await, 1, "{}", app.name());
        }
        assert_eq!(statuses(&app).await, vec![("dead".to_string(), 1)]);
        // (Two minutes: receivers refuse timestamps more than five minutes
        // off their clock, and the test clock runs ahead of theirs.)
        app.advance(120 * SECOND);
        assert_eq!(drain(&app).await, 0, "dead letters are not retried");

        let page = op.get("/console/deliveries?status=dead").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("HTTP 500"), "{}", page.text);
        let mut c = app.conn().await;
        let dead =
            motcua_store::events::list(&mut c, Some(motcua_domain::DeliveryStatus::Dead), None, 10)
                .await
                .expect("list");
        drop(c);
        let r = op
            .post_form(
                &format!("/console/deliveries/{}/redeliver", dead[0].id),
                &[("csrf", &page.csrf())],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        // Redelivering something not dead is a 404 and changes nothing.
        let again = op
            .post_form(
                &format!("/console/deliveries/{}/redeliver", dead[0].id),
                &[("csrf", &page.csrf())],
            )
            .await;
        assert_eq!(again.status, StatusCode::NOT_FOUND);
        rx.control(serde_json::json!({ "fail_first": 0 })).await;
        assert_eq!(drain(&app).await, 1);
        assert_eq!(statuses(&app).await, vec![("delivered".to_string(), 1)]);
        let audit = app.audit_actions(&format!("delivery:{}", dead[0].id)).await;
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].action, "delivery.redeliver");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_system_registrations_are_refused_with_a_message() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let op = app.operator_browser().await;
        let csrf = op.get("/console/systems").await.csrf();
        let base = [
            ("code", "ok-code"),
            ("name", "Hệ thống A"),
            ("ministry", "Bộ Tài chính"),
            ("endpoint_url", "https://a.example.vn/hook"),
            ("event_types", "account.created"),
        ];
        for (field, value, message) in [
            (
                "endpoint_url",
                "ftp://a.example.vn/x",
                "URL http:// hoặc https://",
            ),
            ("endpoint_url", "not a url", "URL http:// hoặc https://"),
            ("code", "có dấu", "Mã hệ thống gồm"),
            (
                "event_types",
                "account.exploded",
                "ít nhất một loại sự kiện",
            ),
            ("name", " ", "tên hệ thống"),
        ] {
            let mut fields: Vec<(&str, &str)> = base
                .iter()
                .map(|(k, v)| if *k == field { (*k, value) } else { (*k, *v) })
                .collect();
            fields.push(("csrf", &csrf));
            let r = op.post_form("/console/systems", &fields).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{field}={value}"
            );
            assert!(r.text.contains(message), "{field}={value}: {}", r.text);
        }
        let mut c = app.conn().await;
        assert!(motcua_store::events::systems(&mut c)
            .await
            .expect("systems")
            .is_empty());
        drop(c);
        let mut fields: Vec<(&str, &str)> = base.to_vec();
        fields.push(("csrf", &csrf));
        assert_eq!(
            op.post_form("/console/systems", &fields).await.status,
            StatusCode::OK
        );
        let dup = op.post_form("/console/systems", &fields).await;
        assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(dup.text.contains("đã được dùng"));
        // A citizen cannot see or register systems.
        app.user("congdan", "Công Dân", "mat-khau-cong-dan").await;
        let citizen = app.browser();
        citizen.login("congdan", "mat-khau-cong-dan").await;
        assert_eq!(
            citizen.get("/console/systems").await.status,
            StatusCode::FORBIDDEN
        );
    })
    .await;
}

/// Two app nodes on one PostgreSQL database, both delivering at once:
/// every event reaches the receiver exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_deliver_each_event_once() {
    let Some(url) = pg_url() else {
        eprintln!("*** cluster delivery test skipped: {PG_ENV} is not set ***");
        return;
    };
    if !receiver_available() {
        return;
    }
    let db = Db::postgres(&url).await;
    let tmp = tempfile::tempdir().expect("tmp");
    let clock = std::sync::Arc::new(motcua_domain::TestClock::default());
    let opts = Opts {
        events: Some(EventsConfig { batch: 3, ..fast() }),
        ..Default::default()
    };
    let a = Node::start(&db, clock.clone(), &tmp.path().join("a"), &opts).await;
    let b = Node::start(&db, clock.clone(), &tmp.path().join("b"), &opts).await;
    let rx = Receiver::start(0);
    let (_, secret) = motcua_nsw::systems::register_system(
        &a.state,
        &Origin::cli(),
        &motcua_nsw::systems::SystemInput {
            code: "cluster".into(),
            name: "Hệ thống cụm".into(),
            ministry: "Bộ Tài chính".into(),
            endpoint_url: rx.url(),
            event_types: vec!["account.created".into(), "account.locked".into()],
            active: true,
        },
    )
    .await
    .expect("register");
    rx.control(serde_json::json!({ "secret": secret })).await;
    let mut ids = Vec::new();
    for i in 0..12 {
        let node = if i % 2 == 0 { &a } else { &b };
        let (id, _) = service::create_account(
            &node.state,
            &Origin::cli(),
            NewAccountInput {
                username: format!("cum.{i}"),
                full_name: "Nguyễn Văn Cụm".into(),
                roles: vec![Role::Citizen],
                ..Default::default()
            },
        )
        .await
        .expect("create");
        ids.push(id);
    }
    for id in &ids[..6] {
        service::lock_account(&b.state, &Origin::cli(), *id, "Kiểm tra cụm")
            .await
            .expect("lock");
    }
    let (x, y) = tokio::join!(
        outbox::drain(&a.state, "node-a"),
        outbox::drain(&b.state, "node-b")
    );
    let (x, y) = (x.expect("a"), y.expect("b"));
    // Locked accounts' lock events may need another pass (they wait for the
    // created event of the same account).
    let more = outbox::drain(&a.state, "node-a").await.expect("a2")
        + outbox::drain(&b.state, "node-b").await.expect("b2");
    assert_eq!(x + y + more, 18, "a={x} b={y} more={more}");
    let got = rx.received().await;
    assert_eq!(got.len(), 18, "each event sent once: {got:?}");
    let mut uniq: Vec<&str> = got.iter().map(|r| r["id"].as_str().unwrap_or("")).collect();
    uniq.sort();
    uniq.dedup();
    assert_eq!(uniq.len(), 18);
    // Per account, created before locked.
    for id in &ids[..6] {
        let username = format!("\"account_id\":{id},");
        let order: Vec<&str> = got
            .iter()
            .filter(|r| r["body"].as_str().is_some_and(|b| b.contains(&username)))
            .map(|r| r["type"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(order, ["account.created", "account.locked"], "account {id}");
    }
}

/// An operator's edit of an account is audited and sent as
/// `account.updated`; an operator cannot drop their own operator role.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_edit_is_audited_and_sent_as_account_updated() {
    if !receiver_available() {
        return;
    }
    each_backend(|db| async move {
        let app = spawn_app_with(
            db,
            Opts {
                events: Some(fast()),
                ..Default::default()
            },
        )
        .await;
        let op = app.operator_browser().await;
        let rx = Receiver::start(0);
        let (_, secret) = register(&app, &op, "updates", &rx.url(), &["account.updated"]).await;
        rx.control(serde_json::json!({ "secret": secret })).await;
        let id = declarant(&app, "cty.sua").await;
        let page = op.get(&format!("/console/accounts/{id}")).await;
        assert!(page.text.contains("Sửa thông tin tài khoản"));
        let r = op
            .post_form(
                &format!("/console/accounts/{id}/edit"),
                &[
                    ("csrf", &page.csrf()),
                    ("full_name", "Trần Thị Bình (đã đổi)"),
                    ("email", "moi@binhminh.vn"),
                    ("phone", "0912 111 222"),
                    ("roles", "declarant"),
                    ("roles", "business"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let a = app.account(id).await;
        assert_eq!(a.email.as_deref(), Some("moi@binhminh.vn"));
        assert!(a.has_role(Role::Business) && a.has_role(Role::Declarant));
        assert_eq!(drain(&app).await, 1);
        let acked = rx.acknowledged().await;
        assert_eq!(acked.len(), 1);
        assert_eq!(acked[0].1, "account.updated");
        assert_eq!(acked[0].2["data"]["email"], "moi@binhminh.vn");
        let audit = app.audit_actions(&format!("account:{id}")).await;
        assert_eq!(audit[0].action, "account.update");
        assert!(audit[0].detail.contains("\"before\""));
        // Bad input: a clear message, nothing changed.
        let page = op.get(&format!("/console/accounts/{id}")).await;
        for (field, value, needle) in [
            ("email", "khong-phai-email", "Địa chỉ email không hợp lệ"),
            ("roles", "emperor", "Vai trò không hợp lệ"),
        ] {
            let mut f = vec![
                ("csrf", page.csrf()),
                ("full_name", "Tên".to_string()),
                ("roles", "declarant".to_string()),
            ];
            f.push((field, value.to_string()));
            let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = op
                .post_form(&format!("/console/accounts/{id}/edit"), &f)
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
            assert!(r.text.contains(needle), "{field}: {}", r.text);
        }
        assert_eq!(app.account(id).await.full_name, "Trần Thị Bình (đã đổi)");
        // The operator cannot remove their own operator role.
        let me = op.get("/console/accounts/1").await;
        let r = op
            .post_form(
                "/console/accounts/1/edit",
                &[
                    ("csrf", &me.csrf()),
                    ("full_name", "Vận Hành"),
                    ("roles", "citizen"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("không thể tự bỏ vai trò quản trị"));
    })
    .await;
}
