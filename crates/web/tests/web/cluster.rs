//! Several app nodes on one PostgreSQL database (the scale-out setup):
//! sessions, throttling and the job queue are shared, and each job runs
//! exactly once whichever node's worker claims it (R-ID-5: never
//! duplicated in effect).
use crate::helpers::*;
use motcua_domain::TestClock;
use motcua_mail::{render, Locale, OutgoingMail, Template};
use reqwest::StatusCode;
use std::sync::Arc;

const PW: &str = "hai-nut-mot-co-so";

struct Cluster {
    a: Node,
    b: Node,
    mail_a: std::path::PathBuf,
    mail_b: std::path::PathBuf,
    clock: Arc<TestClock>,
    _db: Db,
    _tmp: tempfile::TempDir,
}

/// Two nodes with their own pools on a fresh PostgreSQL database, or None
/// when PostgreSQL is not configured.
async fn cluster() -> Option<Cluster> {
    let Some(url) = pg_url() else {
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            format!("*** cluster tests skipped: {PG_ENV} is not set ***\n").as_bytes(),
        );
        return None;
    };
    let db = Db::postgres(&url).await;
    let tmp = tempfile::tempdir().expect("temp dir");
    let (mail_a, mail_b) = (tmp.path().join("mail-a"), tmp.path().join("mail-b"));
    let clock = Arc::new(TestClock::default());
    let opts = Opts::default();
    let a = Node::start(&db, clock.clone(), &mail_a, &opts).await;
    let b = Node::start(&db, clock.clone(), &mail_b, &opts).await;
    Some(Cluster {
        a,
        b,
        mail_a,
        mail_b,
        clock,
        _db: db,
        _tmp: tmp,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cluster_sessions_and_throttling_are_shared_between_nodes() {
    let Some(c) = cluster().await else { return };
    motcua_identity::service::create_account(
        &c.a.state,
        &motcua_identity::service::Origin::cli(),
        motcua_identity::service::NewAccountInput {
            username: "nut.mot".into(),
            full_name: "Nút Một".into(),
            roles: vec![motcua_domain::Role::Citizen],
            initial_password: Some(PW.into()),
            permanent: true,
            ..Default::default()
        },
    )
    .await
    .expect("create");
    let on_a = Browser::new(&c.a.base);
    assert!(on_a.login("nut.mot", PW).await.redirects_to("/"));
    let token = on_a.session().expect("session");
    // The same cookie on node B.
    let p = with_session_cookie(&c.b.base, &token, "/account").await;
    assert_eq!(p.status, StatusCode::OK, "node B does not know the session");
    assert!(p.text.contains("Nút Một"));
    // A CSRF token from node A is valid on node B (same secret key): log
    // out on B, and the session is gone on A too.
    let on_b = on_a.on(&c.b.base);
    let r = on_b.submit("/account", "/logout", &[]).await;
    assert!(r.redirects_to("/?m=logged_out"), "{r:?}");
    assert!(
        !cookie_alive(&c.a.base, &token).await,
        "logout on B did not end it on A"
    );

    // Failed logins on both nodes add up.
    let x = Browser::new(&c.a.base);
    let y = x.on(&c.b.base);
    for i in 0..4 {
        let node = if i % 2 == 0 { &x } else { &y };
        node.login("nut.mot", "sai-mat-khau-nhe").await;
    }
    let r = y.login("nut.mot", PW).await;
    assert!(r.text.contains("Vui lòng thử lại sau"), "{}", r.text);
    c.clock.advance(2_000);
    let r = x.login("nut.mot", "sai-mat-khau-nhe").await;
    assert!(r.text.contains("Tài khoản tạm thời bị khóa"), "{}", r.text);
    let r = y.login("nut.mot", PW).await;
    assert!(
        r.text.contains("Tài khoản tạm thời bị khóa"),
        "node B ignores the lock"
    );
}

fn failures(metrics: &str) -> i64 {
    metrics
        .lines()
        .find(|l| l.starts_with("motcua_login_attempts_total{result=\"failure\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .expect("failure counter")
}

/// A burst of wrong passwords split over two nodes on one PostgreSQL: the
/// attempts are reserved in the database (row locks), so both nodes
/// together check no more than the policy lets through.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cluster_a_burst_over_two_nodes_is_throttled_as_one() {
    let Some(c) = cluster().await else { return };
    motcua_identity::service::create_account(
        &c.a.state,
        &motcua_identity::service::Origin::cli(),
        motcua_identity::service::NewAccountInput {
            username: "nut.ba".into(),
            full_name: "Nút Ba".into(),
            roles: vec![motcua_domain::Role::Citizen],
            initial_password: Some(PW.into()),
            permanent: true,
            ..Default::default()
        },
    )
    .await
    .expect("create");
    let mut browsers = Vec::new();
    for i in 0..40 {
        let base = if i % 2 == 0 { &c.a.base } else { &c.b.base };
        let b = Browser::new(base);
        let csrf = b.get("/login").await.csrf();
        browsers.push((b, csrf, format!("sai-{i}-mat-khau")));
    }
    let answers = futures::future::join_all(browsers.iter().map(|(b, csrf, pw)| async move {
        b.post_form(
            "/login",
            &[
                ("username", "nut.ba"),
                ("password", pw.as_str()),
                ("csrf", csrf.as_str()),
            ],
        )
        .await
    }))
    .await;
    assert!(answers.iter().all(|a| a.status == StatusCode::OK));
    let token = [("authorization", "Bearer test-metrics-token")];
    let on_a = Browser::new(&c.a.base)
        .get_with("/metrics", &token)
        .await
        .text;
    let on_b = Browser::new(&c.b.base)
        .get_with("/metrics", &token)
        .await
        .text;
    let checked = failures(&on_a) + failures(&on_b);
    let allowed = motcua_domain::throttle::Policy::ACCOUNT.free_failures + 1;
    assert!(
        (1..=allowed).contains(&checked),
        "{checked} passwords checked over two nodes (at most {allowed})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cluster_each_job_runs_once_across_nodes() {
    let Some(c) = cluster().await else { return };
    motcua_identity::service::create_account(
        &c.a.state,
        &motcua_identity::service::Origin::cli(),
        motcua_identity::service::NewAccountInput {
            username: "nut.hai".into(),
            full_name: "Nút Hai".into(),
            email: Some("nut.hai@example.vn".into()),
            roles: vec![motcua_domain::Role::Citizen],
            initial_password: Some(PW.into()),
            permanent: true,
            ..Default::default()
        },
    )
    .await
    .expect("create");
    // One mail job enqueued through the web (a reset request on node A) ...
    let r = Browser::new(&c.a.base)
        .submit(
            "/password/forgot",
            "/password/forgot",
            &[("who", "nut.hai")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // ... and a batch more, straight into the queue.
    const EXTRA: usize = 30;
    {
        let mut conn = c.a.state.store.conn().await.expect("conn");
        let now = c.a.state.now();
        for i in 0..EXTRA {
            let t = Template::PasswordChanged {
                full_name: format!("Người nhận {i}"),
                at: "01/01/2027 08:00:00".into(),
                report_link: "http://localhost/account/report".into(),
            };
            let m = OutgoingMail::new(format!("nhan{i}@example.vn"), render(&t, Locale::Vi));
            let payload = serde_json::to_string(&m).expect("json");
            motcua_store::jobs::enqueue(&mut conn, "mail", &payload, 8, now)
                .await
                .expect("enqueue");
        }
    }
    let total = EXTRA + 1;

    // Workers on both nodes, two each, all at once.
    let mut handles = Vec::new();
    for (i, state) in [&c.a.state, &c.b.state, &c.a.state, &c.b.state]
        .into_iter()
        .enumerate()
    {
        let state = state.clone();
        handles.push(tokio::spawn(async move {
            let worker = format!("w{i}");
            let mut ran = 0usize;
            let mut idle = 0;
            while idle < 3 {
                match motcua_kernel::worker::run_one(&state, &worker).await {
                    Ok(true) => {
                        ran += 1;
                        idle = 0;
                    }
                    Ok(false) => {
                        idle += 1;
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    }
                    Err(e) => panic!("worker {worker}: {e}"),
                }
            }
            ran
        }));
    }
    let mut ran = 0;
    for h in handles {
        ran += h.await.expect("worker");
    }
    assert_eq!(ran, total, "jobs run in total");

    let mails_a = read_mails(&c.mail_a);
    let mails_b = read_mails(&c.mail_b);
    assert_eq!(mails_a.len() + mails_b.len(), total, "one mail per job");
    let mut to: Vec<String> = mails_a
        .iter()
        .chain(&mails_b)
        .map(|m| m.to.clone())
        .collect();
    to.sort();
    to.dedup();
    assert_eq!(to.len(), total, "a recipient got two mails");
    assert!(to.contains(&"nut.hai@example.vn".to_string()));

    let mut conn = c.b.state.store.conn().await.expect("conn");
    assert_eq!(
        scalar(&mut conn, "SELECT COUNT(*) FROM jobs WHERE status = 'done'").await,
        total as i64
    );
    assert_eq!(
        scalar(
            &mut conn,
            "SELECT COUNT(*) FROM jobs WHERE status <> 'done' OR attempts <> 1"
        )
        .await,
        0,
        "a job ran twice or not at all"
    );
}
