//! Account lifecycle (issue #3 part 4; Decree 85/2019 Art. 11(4)–(6)):
//! scheduled locks ≥ 5 days ahead carried out by the worker, emergency
//! locks confirmed within 5 working hours, reactivation within 1 working
//! day, revocation within 3 working days on the holder's request or a
//! ministry's notice, the inactivity lock after warnings, and the events,
//! audit records and mails of each.
use crate::helpers::*;
use motcua_domain::{AccountId, AccountStatus, Role, DAY, HOUR};
use motcua_identity::service::NewAccountInput;
use motcua_nsw::lifecycle::{run_due, RunSummary};
use motcua_nsw::store::lifecycle::{self as store, Request};
use reqwest::StatusCode;

const PW: &str = "Demo-Declarant-2026";

async fn declarant(app: &App, username: &str) -> AccountId {
    app.create(NewAccountInput {
        username: username.into(),
        full_name: "Công ty TNHH Thương mại Bình Minh".into(),
        email: Some(format!("{username}@binhminh.vn")),
        roles: vec![Role::Declarant],
        initial_password: Some(PW.into()),
        permanent: true,
        ..Default::default()
    })
    .await
    .0
}

async fn logged_in(app: &App, username: &str) -> Browser {
    let b = app.browser();
    let r = b.login(username, PW).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}: login", app.name());
    b
}

/// `YYYY-MM-DD` (Vietnam time) `days` from the app's now.
fn date_in(app: &App, days: i64) -> String {
    let now = app.state().now();
    motcua_kernel::calendar::date_str(motcua_domain::clock::vn_datetime(now + days * DAY).date())
}

async fn requests(app: &App, account_id: AccountId) -> Vec<Request> {
    let mut c = app.conn().await;
    store::for_account(&mut c, account_id)
        .await
        .expect("requests")
}

async fn event_types(app: &App, account_id: AccountId) -> Vec<String> {
    let mut c = app.conn().await;
    motcua_store::events::events(&mut c, Some(&format!("account:{account_id}")), 100)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.kind)
        .rev()
        .collect()
}

async fn run(app: &App) -> RunSummary {
    run_due(app.state()).await.expect("run_due")
}

async fn actions(app: &App, account_id: AccountId) -> Vec<String> {
    app.audit_actions(&format!("account:{account_id}"))
        .await
        .into_iter()
        .map(|e| e.action)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_scheduled_lock_needs_five_days_and_runs_when_due() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let id = declarant(&app, "binhminh").await;
        let b = logged_in(&app, "binhminh").await;
        let page = b.get("/account/lifecycle").await;
        assert_eq!(page.status, StatusCode::OK, "{n}");
        assert!(page.text.contains("Khóa tài khoản theo lịch"), "{n}");

        // 4 days ahead: refused with a clear message, nothing recorded.
        let r = b
            .submit(
                "/account/lifecycle",
                "/account/lifecycle/scheduled",
                &[
                    ("from", &date_in(&app, 4)),
                    ("until", ""),
                    ("reason", "Tạm ngừng"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(r.text.contains("trước ít nhất 05 ngày"), "{n}: {}", r.text);
        assert!(requests(&app, id).await.is_empty(), "{n}");
        // A bad end date too.
        let r = b
            .submit(
                "/account/lifecycle",
                "/account/lifecycle/scheduled",
                &[("from", &date_in(&app, 6)), ("until", &date_in(&app, 6))],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");

        // 5 days ahead, until 8 days ahead: accepted.
        let r = b
            .submit(
                "/account/lifecycle",
                "/account/lifecycle/scheduled",
                &[
                    ("from", &date_in(&app, 5)),
                    ("until", &date_in(&app, 8)),
                    ("reason", "Tạm ngừng kinh doanh"),
                ],
            )
            .await;
        assert!(
            r.redirects_to("/account/lifecycle?m=lc_requested"),
            "{n}: {}",
            r.text
        );
        let reqs = requests(&app, id).await;
        assert_eq!(reqs.len(), 1, "{n}");
        let req = reqs[0].clone();
        assert_eq!(
            (req.kind.as_str(), req.status.as_str()),
            ("scheduled_lock", "pending")
        );
        // A second one while the first is open: refused.
        let r = b
            .submit(
                "/account/lifecycle",
                "/account/lifecycle/scheduled",
                &[("from", &date_in(&app, 9))],
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{n}");
        let page = b.get("/account/lifecycle").await;
        assert!(page.text.contains(&format!("TK-{:06}", req.id)), "{n}");

        // The operator cannot carry it out before its date; the worker
        // does nothing yet.
        let op = app.operator_browser().await;
        let path = format!("/console/lifecycle/{}", req.id);
        let r = op
            .submit(&path, &format!("{path}/decide"), &[("action", "carry_out")])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(r.text.contains("Chưa đến ngày"), "{n}");
        assert_eq!(run(&app).await, RunSummary::default(), "{n}");
        assert_eq!(app.account(id).await.status, AccountStatus::Active, "{n}");

        // The date comes: the worker locks, ends the sessions, emits.
        app.advance(5 * DAY);
        let s = run(&app).await;
        assert_eq!(s.scheduled_locked, 1, "{n}");
        assert_eq!(app.account(id).await.status, AccountStatus::Locked, "{n}");
        assert_eq!(app.sessions_of(id).await, 0, "{n}");
        assert!(!b.logged_in().await, "{n}");
        assert_eq!(requests(&app, id).await[0].status, "done", "{n}");
        assert_eq!(
            event_types(&app, id).await,
            ["account.created", "account.locked"]
        );
        // Idempotent.
        assert_eq!(run(&app).await, RunSummary::default(), "{n}");

        // The end date comes: unlocked again.
        app.advance(3 * DAY);
        assert_eq!(run(&app).await.scheduled_ended, 1, "{n}");
        assert_eq!(app.account(id).await.status, AccountStatus::Active, "{n}");
        assert_eq!(
            event_types(&app, id).await,
            ["account.created", "account.locked", "account.unlocked"]
        );
        assert_eq!(run(&app).await, RunSummary::default(), "{n}");
        let acts = actions(&app, id).await;
        for a in [
            "lifecycle.request",
            "lifecycle.scheduled_lock",
            "lifecycle.scheduled_unlock",
        ] {
            assert!(acts.iter().any(|x| x == a), "{n}: {a} in {acts:?}");
        }
        app.assert_audit_intact().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_emergency_lock_confirmation_and_reactivation() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let id = declarant(&app, "khancap").await;
        let b = logged_in(&app, "khancap").await;
        let r = b
            .submit(
                "/account/lifecycle",
                "/account/lifecycle/emergency",
                &[("reason", "Mất thiết bị")],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{n}: {}", r.text);
        // Locked at once, every session ended, account.locked emitted.
        assert_eq!(app.account(id).await.status, AccountStatus::Locked, "{n}");
        assert_eq!(app.sessions_of(id).await, 0, "{n}");
        assert!(!b.logged_in().await, "{n}");
        assert_eq!(
            event_types(&app, id).await,
            ["account.created", "account.locked"]
        );
        let req = requests(&app, id).await[0].clone();
        assert_eq!(
            (req.kind.as_str(), req.status.as_str()),
            ("emergency_lock", "pending")
        );
        // Due in 5 working hours.
        let due = motcua_kernel::calendar::deadline_hours(app.state(), req.received_at, 5)
            .await
            .expect("deadline");
        assert_eq!(req.due_at, due, "{n}");
        assert!(req.due_at >= req.received_at + 5 * HOUR, "{n}");

        // In the operator's queue.
        let op = app.operator_browser().await;
        let q = op.get("/console/lifecycle").await;
        assert_eq!(q.status, StatusCode::OK, "{n}");
        assert!(
            q.text.contains(&format!("TK-{:06}", req.id)) && q.text.contains("khancap"),
            "{n}"
        );
        assert!(q.text.contains("Khóa khẩn cấp"), "{n}");
        let path = format!("/console/lifecycle/{}", req.id);
        // Cannot be refused; confirmation sends the notification mail.
        let r = op
            .submit(
                &path,
                &format!("{path}/decide"),
                &[("action", "refuse"), ("note", "không")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        app.drain().await;
        let before = app.mails_to("khancap@binhminh.vn").len();
        let r = op
            .submit(
                &path,
                &format!("{path}/decide"),
                &[
                    ("action", "carry_out"),
                    ("note", "Đã xác minh qua điện thoại"),
                ],
            )
            .await;
        assert!(r.redirects_to(&path), "{n}: {}", r.text);
        app.drain().await;
        let mails = app.mails_to("khancap@binhminh.vn");
        assert_eq!(mails.len(), before + 1, "{n}");
        assert!(
            mails
                .iter()
                .any(|m| m.subject.contains("Xác nhận khóa khẩn cấp")),
            "{n}"
        );
        // Deciding again: a clear message, nothing changes.
        let r = op
            .submit(&path, &format!("{path}/decide"), &[("action", "carry_out")])
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{n}");
        assert!(r.text.contains("đã được xử lý"), "{n}");
        app.drain().await;
        assert_eq!(app.mails_to("khancap@binhminh.vn").len(), before + 1, "{n}");

        // Reactivation, recorded by the operator, due in 1 working day.
        let acc = format!("/console/lifecycle/accounts/{id}");
        let r = op
            .submit(
                &acc,
                &format!("{acc}/reactivation"),
                &[("reason", "Thư đề nghị ngày hôm nay")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let re = requests(&app, id).await[0].clone();
        assert_eq!(re.kind, "reactivation", "{n}");
        let due = motcua_kernel::calendar::deadline_days(app.state(), re.received_at, 1, None)
            .await
            .expect("deadline");
        assert_eq!(re.due_at, due, "{n}");
        let path = format!("/console/lifecycle/{}", re.id);
        let r = op
            .submit(&path, &format!("{path}/decide"), &[("action", "carry_out")])
            .await;
        assert!(r.redirects_to(&path), "{n}: {}", r.text);
        assert_eq!(app.account(id).await.status, AccountStatus::Active, "{n}");
        assert_eq!(
            event_types(&app, id).await,
            ["account.created", "account.locked", "account.unlocked"]
        );
        assert_eq!(
            app.browser().login("khancap", PW).await.status,
            StatusCode::SEE_OTHER
        );
        // Reactivating an active account is refused.
        let r = op
            .submit(
                &acc,
                &format!("{acc}/reactivation"),
                &[("reason", "Lần nữa")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        app.assert_audit_intact().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_revocation_by_holder_and_by_ministry_notice() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let id = declarant(&app, "thuhoi").await;
        let b = logged_in(&app, "thuhoi").await;
        // Without the confirmation: refused.
        let r = b
            .submit("/account/lifecycle", "/account/lifecycle/revocation", &[("reason", "Giải thể")])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(r.text.contains("không thể hoàn tác"), "{n}");
        let r = b
            .submit(
                "/account/lifecycle",
                "/account/lifecycle/revocation",
                &[("reason", "Công ty chấm dứt hoạt động"), ("confirm", "1")],
            )
            .await;
        assert!(r.redirects_to("/account/lifecycle?m=lc_requested"), "{n}: {}", r.text);
        let req = requests(&app, id).await[0].clone();
        assert_eq!(req.grounds.as_deref(), Some("holder_request"), "{n}");
        let due = motcua_kernel::calendar::deadline_days(app.state(), req.received_at, 3, None)
            .await
            .expect("deadline");
        assert_eq!(req.due_at, due, "{n}");
        let op = app.operator_browser().await;
        let path = format!("/console/lifecycle/{}", req.id);
        let r = op
            .submit(&path, &format!("{path}/decide"), &[("action", "carry_out")])
            .await;
        assert!(r.redirects_to(&path), "{n}: {}", r.text);
        let a = app.account(id).await;
        assert_eq!(a.status, AccountStatus::Revoked, "{n}");
        assert_eq!(app.sessions_of(id).await, 0, "{n}");
        assert!(requests(&app, id).await[0].effective_at.is_some(), "{n}");
        assert_eq!(event_types(&app, id).await, ["account.created", "account.revoked"]);
        // Cannot log in, cannot be unlocked or locked.
        let r = app.browser().login("thuhoi", PW).await;
        assert_ne!(r.status, StatusCode::SEE_OTHER, "{n}");
        let acc = format!("/console/accounts/{id}");
        let r = op
            .submit(&acc, &format!("{acc}/unlock"), &[("reason", "Mở lại")])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(r.text.contains("đã bị thu hồi"), "{n}");
        let r = op
            .submit(&acc, &format!("{acc}/lock"), &[("reason", "Khóa lại")])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert_eq!(app.account(id).await.status, AccountStatus::Revoked, "{n}");
        assert!(r.text.contains("Đã thu hồi"), "{n}");
        // The written result.
        app.drain().await;
        assert!(
            app.mails_to("thuhoi@binhminh.vn").iter().any(|m| m.subject.contains("Thông báo thu hồi")),
            "{n}"
        );

        // A ministry's notice: the declarant is dissolved.
        let id2 = declarant(&app, "giaithe").await;
        let acc = format!("/console/lifecycle/accounts/{id2}");
        let page = op.get(&acc).await;
        assert_eq!(page.status, StatusCode::OK, "{n}");
        let bad = op
            .submit(
                &acc,
                &format!("{acc}/ministry-notice"),
                &[("ministry", "Bộ Công Thương"), ("grounds", "moved"), ("notice_ref", "12/BCT"), ("effective_date", &date_in(&app, 0))],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        let future = op
            .submit(
                &acc,
                &format!("{acc}/ministry-notice"),
                &[("ministry", "Bộ Công Thương"), ("grounds", "dissolved"), ("notice_ref", "12/BCT"), ("effective_date", &date_in(&app, 3))],
            )
            .await;
        assert_eq!(future.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(requests(&app, id2).await.is_empty(), "{n}");
        let r = op
            .submit(
                &acc,
                &format!("{acc}/ministry-notice"),
                &[
                    ("ministry", "Bộ Công Thương"),
                    ("grounds", "dissolved"),
                    ("notice_ref", "1234/BCT-XNK"),
                    ("effective_date", &date_in(&app, -2)),
                    ("note", "Quyết định giải thể"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let req = requests(&app, id2).await[0].clone();
        assert_eq!(req.requested_by, "ministry:Bộ Công Thương", "{n}");
        assert_eq!(req.grounds.as_deref(), Some("dissolved"), "{n}");
        assert_eq!(req.notice_ref.as_deref(), Some("1234/BCT-XNK"), "{n}");
        let path = format!("/console/lifecycle/{}", req.id);
        let r = op
            .submit(&path, &format!("{path}/decide"), &[("action", "carry_out")])
            .await;
        assert!(r.redirects_to(&path), "{n}: {}", r.text);
        assert_eq!(app.account(id2).await.status, AccountStatus::Revoked, "{n}");
        assert_eq!(event_types(&app, id2).await, ["account.created", "account.revoked"]);
        assert!(actions(&app, id2).await.iter().any(|a| a == "account.revoke"), "{n}");
        let r = op
            .submit(&path, &format!("{path}/decide"), &[("action", "refuse"), ("note", "Nhầm")])
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{n}");
        assert_eq!(requests(&app, id2).await[0].status, "done", "{n}");
        app.drain().await;
        let m = app.mails_to("giaithe@binhminh.vn");
        assert!(m.iter().any(|m| m.subject.contains("Thông báo thu hồi") && m.text.contains("1234/BCT-XNK")), "{n}");
        app.assert_audit_intact().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_refusal_with_reason() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let id = declarant(&app, "tuchoi").await;
        let b = logged_in(&app, "tuchoi").await;
        b.submit(
            "/account/lifecycle",
            "/account/lifecycle/scheduled",
            &[("from", &date_in(&app, 10))],
        )
        .await;
        let req = requests(&app, id).await[0].clone();
        let op = app.operator_browser().await;
        let path = format!("/console/lifecycle/{}", req.id);
        let r = op
            .submit(&path, &format!("{path}/decide"), &[("action", "refuse")])
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{n}: reason required"
        );
        let r = op
            .submit(
                &path,
                &format!("{path}/decide"),
                &[
                    ("action", "refuse"),
                    ("note", "Đang có hồ sơ chưa hoàn tất"),
                ],
            )
            .await;
        assert!(r.redirects_to(&path), "{n}");
        assert_eq!(requests(&app, id).await[0].status, "refused", "{n}");
        // The worker does not lock a refused request.
        app.advance(11 * DAY);
        assert_eq!(run(&app).await.scheduled_locked, 0, "{n}");
        assert_eq!(app.account(id).await.status, AccountStatus::Active, "{n}");
        app.drain().await;
        assert!(
            app.mails_to("tuchoi@binhminh.vn")
                .iter()
                .any(|m| m.text.contains("Đang có hồ sơ chưa hoàn tất")),
            "{n}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_inactivity_warns_then_locks_once() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let op = app.operator_browser().await;
        let idle = declarant(&app, "khongdung").await;
        let active = declarant(&app, "vandung").await;
        // One year on, the second one logs in.
        app.advance(400 * DAY);
        logged_in(&app, "vandung").await;
        assert_eq!(run(&app).await, RunSummary::default(), "{n}");
        // ~29–30 days before the 2 years: the first warning, once.
        app.advance(301 * DAY);
        let s = run(&app).await;
        assert_eq!(s.warnings, 1, "{n}: {s:?}");
        assert_eq!(run(&app).await, RunSummary::default(), "{n}");
        app.drain().await;
        let m = app.mails_to("khongdung@binhminh.vn");
        assert_eq!(m.len(), 1, "{n}");
        assert!(m[0].subject.contains("sắp bị khóa"), "{n}");
        assert!(app.mails_to("vandung@binhminh.vn").is_empty(), "{n}");
        // 5–6 days before: the second warning, once.
        app.advance(24 * DAY);
        assert_eq!(run(&app).await.warnings, 1, "{n}");
        assert_eq!(run(&app).await, RunSummary::default(), "{n}");
        let mut c = app.conn().await;
        let w = store::warnings(&mut c, idle).await.expect("warnings");
        drop(c);
        assert_eq!(w.iter().map(|x| x.0).collect::<Vec<_>>(), [30, 7], "{n}");
        // Past the 2 years: locked, with the reason, and the event.
        app.advance(7 * DAY);
        let s = run(&app).await;
        assert_eq!(s.inactive_locked, 1, "{n}: {s:?}");
        let a = app.account(idle).await;
        assert_eq!(a.status, AccountStatus::Locked, "{n}");
        assert!(
            a.lock_reason
                .unwrap_or_default()
                .contains("không sử dụng 2 năm"),
            "{n}"
        );
        assert_eq!(
            event_types(&app, idle).await,
            ["account.created", "account.locked"]
        );
        assert_eq!(run(&app).await, RunSummary::default(), "{n}");
        assert_eq!(
            app.account(active).await.status,
            AccountStatus::Active,
            "{n}"
        );
        // The operator's own account is never locked for non-use.
        let mut c = app.conn().await;
        let operator = motcua_identity::store::accounts::by_username(&mut c, "vanhanh")
            .await
            .expect("operator")
            .expect("exists");
        drop(c);
        assert_eq!(operator.status, AccountStatus::Active, "{n}");
        assert!(op.logged_in().await || operator.status == AccountStatus::Active);
        let acts = actions(&app, idle).await;
        assert_eq!(
            acts.iter()
                .filter(|a| *a == "account.inactivity_warning")
                .count(),
            2,
            "{n}"
        );
        assert!(acts.iter().any(|a| a == "account.inactivity_lock"), "{n}");
        app.assert_audit_intact().await;
    })
    .await;
}

/// Issue #7: the sweep reads a bounded share of the candidates per run
/// and resumes where it stopped, so accounts already warned and waiting do
/// not hold back the ones behind them; at the end it starts over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_inactivity_sweep_reaches_everyone_in_turn() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let mut ids = Vec::new();
        for i in 0..8 {
            ids.push(declarant(&app, &format!("ngu{i}")).await);
        }
        {
            let mut s = app.state().sweep.lock().expect("sweep");
            s.page = 3;
            s.pages = 2;
        }
        // All eight idle for ~2 years less 30 days: all due a first warning.
        app.advance(701 * DAY);
        assert_eq!(run(&app).await.warnings, 6, "{n}: two pages of three");
        assert_eq!(run(&app).await.warnings, 2, "{n}: the rest, then the end");
        assert_eq!(
            app.state().sweep.lock().expect("sweep").cursor,
            None,
            "{n}: starts over"
        );
        assert_eq!(
            run(&app).await,
            RunSummary::default(),
            "{n}: all warned once"
        );
        let mut c = app.conn().await;
        for id in &ids {
            let w = store::warnings(&mut c, *id).await.expect("warnings");
            assert_eq!(w.len(), 1, "{n}: {id}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_pages_are_for_their_roles() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        app.user("congdan", "Nguyễn Văn An", "Cong-Dan-2026-x")
            .await;
        let b = app.browser();
        assert_eq!(
            b.login("congdan", "Cong-Dan-2026-x").await.status,
            StatusCode::SEE_OTHER
        );
        for p in [
            "/console/lifecycle",
            "/console/lifecycle/1",
            "/console/lifecycle/accounts/1",
        ] {
            assert_eq!(b.get(p).await.status, StatusCode::FORBIDDEN, "{n}: {p}");
        }
        let r = b
            .submit(
                "/account",
                "/console/lifecycle/1/decide",
                &[("action", "carry_out")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{n}");
        // A citizen has no lifecycle requests of their own here.
        assert_eq!(
            b.get("/account/lifecycle").await.status,
            StatusCode::FORBIDDEN,
            "{n}"
        );
        // Anonymous: to the login page.
        let anon = app.browser();
        assert_eq!(
            anon.get("/console/lifecycle").await.status,
            StatusCode::SEE_OTHER,
            "{n}"
        );
    })
    .await;
}
