//! The operator console (R-OP-4: only operators), account search, locks
//! with mandatory reasons, the audit trail (R-OP-2), and the job queue's
//! dead letters.
use crate::helpers::*;
use motcua_domain::{AccountId, AccountStatus, Role, SECOND};
use motcua_identity::service::NewAccountInput;
use reqwest::StatusCode;

const PW: &str = "nha-tho-lon-ha-noi";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_op_4_console_is_for_operators_only() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let id = app.user("tam.vu", "Vũ Minh Tâm", PW).await;
        let anon = app.browser();
        let r = anon.get("/console").await;
        assert!(r.redirects_to("/login?next=/console"), "{n}: {r:?}");
        let b = app.browser();
        assert!(b.login("tam.vu", PW).await.redirects_to("/"));
        let home = b.get("/").await;
        assert!(
            !home.text.contains("href=\"/console\""),
            "{n}: console link shown"
        );
        for path in [
            "/console",
            "/console/accounts?q=a",
            &format!("/console/accounts/{id}"),
            "/console/jobs",
            "/console/audit",
            "/console/throttles",
            "/console/reports",
        ] {
            let p = b.get(path).await;
            assert_eq!(p.status, StatusCode::FORBIDDEN, "{n}: {path}");
            assert!(p.is_html(), "{n}: {path}");
            assert!(
                p.text.contains("Bạn không có quyền truy cập trang này."),
                "{n}: {path}"
            );
        }
        // Nor can a non-operator act, even with a valid CSRF token.
        let csrf = b.get("/account").await.csrf();
        let r = b
            .post_form(
                &format!("/console/accounts/{id}/lock"),
                &[("reason", "tự khóa chính mình"), ("csrf", &csrf)],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{n}");
        assert_eq!(app.account(id).await.status, AccountStatus::Active, "{n}");
        let r = b
            .post_form("/console/jobs/1/requeue", &[("csrf", &csrf)])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{n}");

        let op = app.operator_browser().await;
        let home = op.get("/").await;
        assert!(
            home.text.contains("href=\"/console\""),
            "{n}: no console link"
        );
        for path in [
            "/console",
            "/console/accounts",
            "/console/jobs",
            "/console/audit",
            "/console/throttles",
            "/console/reports",
        ] {
            let p = op.get(path).await;
            assert_eq!(p.status, StatusCode::OK, "{n}: {path}");
            assert!(p.text.contains("lang=\"vi\""), "{n}: {path}");
        }
    })
    .await;
}

async fn seed_search_accounts(app: &App) -> (AccountId, AccountId) {
    let (dkkd, _) = app
        .create(NewAccountInput {
            username: "dkkd.hanoi".into(),
            full_name: "Phòng Đăng ký kinh doanh".into(),
            email: Some("dkkd@sokhdt.hanoi.example.vn".into()),
            roles: vec![Role::CivilServant],
            initial_password: Some(PW.into()),
            permanent: true,
            ..Default::default()
        })
        .await;
    let (an, _) = app
        .create(NewAccountInput {
            username: "vanan01".into(),
            full_name: "Nguyễn Văn An".into(),
            email: Some("an.vn@congty-saomai.example.vn".into()),
            phone: Some("0912345678".into()),
            tax_code: Some("0101234565".into()),
            personal_id: Some("001090012345".into()),
            roles: vec![Role::Business],
            initial_password: Some(PW.into()),
            permanent: true,
            ..Default::default()
        })
        .await;
    app.create(NewAccountInput {
        username: "thu.tran".into(),
        full_name: "Trần Thị Thu".into(),
        email: Some("thu@example.vn".into()),
        roles: vec![Role::Citizen],
        initial_password: Some(PW.into()),
        permanent: true,
        ..Default::default()
    })
    .await;
    (dkkd, an)
}

fn found(p: &Page) -> Vec<String> {
    p.text
        .split("<tr><td><a href=\"/console/accounts/")
        .skip(1)
        .filter_map(|s| s.split_once("\">").map(|(_, rest)| rest))
        .filter_map(|s| s.split('<').next())
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_is_diacritic_insensitive_by_name_email_tax_code_and_id() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        seed_search_accounts(&app).await;
        let op = app.operator_browser().await;
        let cases: &[(&str, &[&str])] = &[
            ("dang ky", &["dkkd.hanoi"]),
            ("DANG KY kinh", &["dkkd.hanoi"]),
            ("Đăng Ký", &["dkkd.hanoi"]),
            ("nguyen", &["vanan01"]),
            ("nguyễn văn an", &["vanan01"]),
            ("an.vn@congty-saomai.example.vn", &["vanan01"]),
            ("0101234565", &["vanan01"]),
            ("001090012345", &["vanan01"]),
            ("0912345678", &["vanan01"]),
            ("thi thu", &["thu.tran"]),
            ("khong ai co ten nay", &[]),
            ("%", &[]),
            // LIKE wildcards are searched for literally.
            ("_", &[]),
            ("d%g", &[]),
        ];
        for (q, expected) in cases {
            let url = format!(
                "/console/accounts?q={}",
                q.bytes().map(|b| format!("%{b:02X}")).collect::<String>()
            );
            let p = op.get(&url).await;
            assert_eq!(p.status, StatusCode::OK, "{n}: {q}");
            let mut got = found(&p);
            got.sort();
            assert_eq!(got, *expected, "{n}: search {q:?}");
            assert!(
                p.text
                    .contains(&format!("Tìm thấy {} tài khoản.", expected.len())),
                "{n}: {q}"
            );
        }
        // The full names show with their diacritics.
        let p = op.get("/console/accounts?q=dang+ky").await;
        assert!(p.text.contains("Phòng Đăng ký kinh doanh"), "{n}");
        assert!(p.text.contains("Cán bộ, công chức"), "{n}: roles shown");
        // An empty query lists everyone (3 + the operator).
        let p = op.get("/console/accounts").await;
        assert_eq!(found(&p).len(), 4, "{n}");
        assert!(p.text.contains("<html"), "{n}: a full page");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn htmx_search_returns_only_the_results_fragment() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        seed_search_accounts(&app).await;
        let op = app.operator_browser().await;
        let p = op
            .get_with("/console/accounts?q=nguyen", &[("hx-request", "true")])
            .await;
        assert_eq!(p.status, StatusCode::OK, "{n}");
        assert!(
            p.text.trim_start().starts_with("<div id=\"results\""),
            "{n}: {}",
            p.text
        );
        assert!(!p.text.contains("<html"), "{n}: a full page for htmx");
        assert!(!p.text.contains("<header"), "{n}");
        assert_eq!(found(&p), vec!["vanan01".to_string()], "{n}");
        // Restoring history needs the whole page.
        let p = op
            .get_with(
                "/console/accounts?q=nguyen",
                &[
                    ("hx-request", "true"),
                    ("hx-history-restore-request", "true"),
                ],
            )
            .await;
        assert!(p.text.contains("<html"), "{n}");
        // Without the header: the whole page with the search form.
        let p = op.get("/console/accounts?q=nguyen").await;
        assert!(
            p.text.contains("<html") && p.text.contains("id=\"results\""),
            "{n}"
        );
        assert!(
            p.text.contains("value=\"nguyen\""),
            "{n}: query kept in the form"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_results_are_paginated() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let mut jobs = Vec::new();
        for i in 1..=25 {
            let state = app.state().clone();
            jobs.push(tokio::spawn(async move {
                motcua_identity::service::create_account(
                    &state,
                    &motcua_identity::service::Origin::cli(),
                    NewAccountInput {
                        username: format!("nguoidung{i:02}"),
                        full_name: format!("Người dùng thử {i:02}"),
                        roles: vec![Role::Citizen],
                        initial_password: Some(PW.into()),
                        permanent: true,
                        ..Default::default()
                    },
                )
                .await
            }));
        }
        for j in jobs {
            j.await.expect("join").expect("create");
        }
        let op = app.operator_browser().await;
        let p1 = op.get("/console/accounts?q=nguoi+dung+thu").await;
        assert!(p1.text.contains("Tìm thấy 25 tài khoản."), "{n}");
        let names1 = found(&p1);
        assert_eq!(names1.len(), 20, "{n}: {names1:?}");
        // Keyset paging (issue #7): a "next" link carries the cursor, no
        // page count and no link back from the first page.
        let marker = "href=\"/console/accounts?q=nguoi%20dung%20thu&after=";
        let next = p1
            .text
            .split(marker)
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or_else(|| panic!("{n}: a next link: {}", p1.text))
            .to_string();
        assert!(next.parse::<i64>().is_ok(), "{n}: {next}");
        assert!(!p1.text.contains("rel=\"first\""), "{n}");
        let url2 = format!("/console/accounts?q=nguoi%20dung%20thu&after={next}");
        let p2 = op.get(&url2).await;
        let names2 = found(&p2);
        assert_eq!(names2.len(), 5, "{n}: {names2:?}");
        let mut all: Vec<String> = names1.iter().chain(&names2).cloned().collect();
        all.sort();
        let expected: Vec<String> = (1..=25).map(|i| format!("nguoidung{i:02}")).collect();
        assert_eq!(all, expected, "{n}: every account once over the two pages");
        assert!(p2.text.contains("rel=\"first\""), "{n}");
        assert!(!p2.text.contains("rel=\"next\""), "{n}");
        // htmx paging keeps to the fragment.
        let f = op.get_with(&url2, &[("hx-request", "true")]).await;
        assert_eq!(found(&f).len(), 5, "{n}");
        assert!(!f.text.contains("<html"), "{n}");
        // A cursor past everything gives an empty page, not an error.
        let p9 = op.get("/console/accounts?q=nguoi+dung+thu&after=1").await;
        assert_eq!(p9.status, StatusCode::OK, "{n}");
        assert!(found(&p9).is_empty(), "{n}");
        // The old page parameter is ignored.
        let old = op.get("/console/accounts?page=-5").await;
        assert_eq!(old.status, StatusCode::OK, "{n}");
    })
    .await;
}

/// R-OP-2: every state change is recorded; a lock needs a reason, ends the
/// holder's sessions and refuses logins until an operator unlocks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_op_2_lock_and_unlock_need_reasons_and_are_audited() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let id = app.user("uyen.ta", "Tạ Thu Uyên", PW).await;
        let holder = app.browser();
        assert!(holder.login("uyen.ta", PW).await.redirects_to("/"));
        let op = app.operator_browser().await;
        let page = format!("/console/accounts/{id}");
        let p = op.get(&page).await;
        assert_eq!(p.status, StatusCode::OK, "{n}");
        assert!(
            p.text.contains("Tạ Thu Uyên") && p.text.contains("Đang hoạt động"),
            "{n}"
        );
        let audit_before = app.audit_actions(&format!("account:{id}")).await.len();

        for reason in ["", "  ", "ab"] {
            let r = op
                .submit(&page, &format!("{page}/lock"), &[("reason", reason)])
                .await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{n}: reason {reason:?}"
            );
            assert!(
                r.text.contains("Vui lòng nhập lý do (ít nhất 3 ký tự)."),
                "{n}"
            );
            assert_eq!(app.account(id).await.status, AccountStatus::Active, "{n}");
            assert!(
                holder.logged_in().await,
                "{n}: refused lock ended the session"
            );
        }
        // A form without the field at all is refused the same way.
        let csrf = op.get(&page).await.csrf();
        let r = op
            .post_form(&format!("{page}/lock"), &[("csrf", &csrf)])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert_eq!(
            app.audit_actions(&format!("account:{id}")).await.len(),
            audit_before,
            "{n}: refused changes must not be audited"
        );

        let reason = "Nghi ngờ tài khoản bị chiếm đoạt";
        let r = op
            .submit(&page, &format!("{page}/lock"), &[("reason", reason)])
            .await;
        assert!(r.redirects_to(&page), "{n}: {r:?}");
        let a = app.account(id).await;
        assert_eq!(a.status, AccountStatus::Locked, "{n}");
        assert_eq!(a.lock_reason.as_deref(), Some(reason), "{n}");
        assert_eq!(
            app.sessions_of(id).await,
            0,
            "{n}: sessions kept in the store"
        );
        assert!(
            !holder.logged_in().await,
            "{n}: the holder is still logged in"
        );
        let r = app.browser().login("uyen.ta", PW).await;
        assert!(r.text.contains("Tài khoản đang bị khóa"), "{n}: {}", r.text);
        let p = op.get(&page).await;
        assert!(p.text.contains("Đã khóa") && p.text.contains(reason), "{n}");
        // The holder is told why.
        app.drain().await;
        let mails = app.mails_to("uyen.ta@example.vn");
        assert_eq!(mails.len(), 1, "{n}");
        assert!(mails[0].text.contains(reason), "{n}: {}", mails[0].text);

        // A locked account cannot be reopened with a reset link.
        app.browser()
            .submit(
                "/password/forgot",
                "/password/forgot",
                &[("who", "uyen.ta")],
            )
            .await;
        assert_eq!(
            app.drain().await,
            0,
            "{n}: a reset link for a locked account"
        );

        let r = op
            .submit(&page, &format!("{page}/unlock"), &[("reason", "")])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert_eq!(app.account(id).await.status, AccountStatus::Locked, "{n}");
        let r = op
            .submit(
                &page,
                &format!("{page}/unlock"),
                &[("reason", "Chủ tài khoản đã xác minh")],
            )
            .await;
        assert!(r.redirects_to(&page), "{n}: {r:?}");
        let a = app.account(id).await;
        assert_eq!(a.status, AccountStatus::Active, "{n}");
        assert_eq!(a.lock_reason, None, "{n}");
        assert!(holder.login("uyen.ta", PW).await.redirects_to("/"), "{n}");

        // Both changes are in the audit log, by the operator, with reasons.
        let entries = app.audit_actions(&format!("account:{id}")).await;
        let op_id = {
            let mut c = app.conn().await;
            motcua_identity::store::accounts::by_username(&mut c, "vanhanh")
                .await
                .expect("lookup")
                .expect("operator")
                .id
        };
        let lock = entries
            .iter()
            .find(|e| e.action == "account.lock")
            .expect("lock audited");
        assert_eq!(lock.actor, format!("account:{op_id}"), "{n}");
        assert!(lock.detail.contains(reason), "{n}: {}", lock.detail);
        assert!(!lock.request_id.is_empty(), "{n}: request id recorded");
        let unlock = entries
            .iter()
            .find(|e| e.action == "account.unlock")
            .expect("unlock audited");
        assert!(unlock.detail.contains("Chủ tài khoản đã xác minh"), "{n}");
        let kinds = app.activity_kinds(id).await;
        assert!(kinds.contains(&"locked".to_string()) && kinds.contains(&"unlocked".to_string()));
        app.assert_audit_intact().await;
        // The console shows the log and verifies the chain.
        let p = op.get("/console/audit?verify=1").await;
        assert!(p.text.contains("Chuỗi nhật ký toàn vẹn"), "{n}: {}", p.text);
        assert!(
            p.text.contains("account.lock") && p.text.contains("account.unlock"),
            "{n}"
        );

        // Unknown accounts: 404.
        let r = op
            .submit(
                &page,
                "/console/accounts/999999/lock",
                &[("reason", "không có")],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{n}");
        assert_eq!(
            op.get("/console/accounts/999999").await.status,
            StatusCode::NOT_FOUND
        );
    })
    .await;
}

/// R-ID-5/R-OP-2: nothing is lost: a mail that cannot be delivered is
/// retried with backoff, then kept as a dead letter the operator sees and
/// can send again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undeliverable_mail_becomes_a_dead_letter_that_can_be_requeued() {
    let opts = Opts {
        failing_smtp: true,
        mail_max_attempts: Some(2),
        ..Default::default()
    };
    each_backend(|db| {
        let opts = opts.clone();
        async move {
            let app = spawn_app_with(db, opts).await;
            let n = app.name();
            app.user("vinh.quach", "Quách Văn Vinh", PW).await;
            let op = app.operator_browser().await;
            app.browser()
                .submit(
                    "/password/forgot",
                    "/password/forgot",
                    &[("who", "vinh.quach")],
                )
                .await;
            let job_id = {
                let mut c = app.conn().await;
                let queued = motcua_store::jobs::list(&mut c, motcua_domain::JobStatus::Queued, 10)
                    .await
                    .expect("list");
                assert_eq!(queued.len(), 1, "{n}");
                queued[0].id
            };
            let job = |app: &App| {
                let state = app.state().clone();
                async move {
                    let mut c = state.store.conn().await.expect("conn");
                    motcua_store::jobs::get(&mut c, job_id)
                        .await
                        .expect("get")
                        .expect("job")
                }
            };
            assert_eq!(app.drain().await, 1, "{n}: first attempt");
            let j = job(&app).await;
            assert_eq!(
                (j.status.as_str(), j.attempts),
                ("queued", 1),
                "{n}: retry planned"
            );
            assert!(
                j.last_error
                    .as_deref()
                    .unwrap_or_default()
                    .contains("127.0.0.1:1"),
                "{n}: {:?}",
                j.last_error
            );
            // Not before the backoff.
            assert_eq!(app.drain().await, 0, "{n}: retried before the backoff");
            app.advance(6 * SECOND);
            assert_eq!(app.drain().await, 1, "{n}: second attempt");
            let j = job(&app).await;
            assert_eq!((j.status.as_str(), j.attempts), ("dead", 2), "{n}");
            app.advance(3600 * SECOND);
            assert_eq!(app.drain().await, 0, "{n}: a dead job ran again");
            // (The hour idled the operator's session out.)
            assert!(op.login("vanhanh", OP_PW).await.redirects_to("/"), "{n}");

            let m = op
                .get_with(
                    "/metrics",
                    &[("authorization", "Bearer test-metrics-token")],
                )
                .await
                .text;
            assert!(m.contains("motcua_jobs{status=\"dead\"} 1"), "{n}: {m}");
            assert!(
                m.contains("motcua_mail_total{result=\"failed\"} 2"),
                "{n}: {m}"
            );
            let p = op.get("/console/jobs").await;
            assert_eq!(p.status, StatusCode::OK, "{n}");
            assert!(p.text.contains(">Thất bại: 1<"), "{n}: the state in words");
            assert!(
                p.text.contains(&format!(
                    "<td>{job_id}</td><td>Gửi thư điện tử</td><td>2</td>"
                )),
                "{n}: {}",
                p.text
            );
            assert!(
                p.text
                    .contains(&format!("action=\"/console/jobs/{job_id}/requeue\"")),
                "{n}"
            );
            let home = op.get("/console").await;
            assert_eq!(home.status, StatusCode::OK, "{n}");

            let r = op
                .submit(
                    "/console/jobs",
                    &format!("/console/jobs/{job_id}/requeue"),
                    &[],
                )
                .await;
            assert!(r.redirects_to("/console/jobs"), "{n}: {r:?}");
            let j = job(&app).await;
            assert_eq!((j.status.as_str(), j.attempts), ("queued", 0), "{n}");
            let p = op.get("/console/jobs").await;
            assert!(p.text.contains("Không có tác vụ thất bại."), "{n}");
            let audit = app.audit_actions(&format!("job:{job_id}")).await;
            assert_eq!(audit.len(), 1, "{n}");
            assert_eq!(audit[0].action, "job.requeue", "{n}");
            // Requeueing a job that is not dead: 404.
            let r = op
                .submit(
                    "/console/jobs",
                    &format!("/console/jobs/{job_id}/requeue"),
                    &[],
                )
                .await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{n}");
            // It is tried again.
            assert_eq!(app.drain().await, 1, "{n}");
            assert_eq!(job(&app).await.attempts, 1, "{n}");
            app.assert_audit_intact().await;
        }
    })
    .await;
}
