//! R-ID-14: the holder sees the history of what was done with the account,
//! and can report unauthorized use, which locks the account at once and
//! tells the operators.
use crate::helpers::*;
use motcua_domain::AccountStatus;
use reqwest::StatusCode;

const PW: &str = "cay-da-dau-lang-2026";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_id_14_activity_lists_logins_with_method_ip_and_device() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        app.user("phuong.dinh", "Đinh Thu Phương", PW).await;
        let b = app.browser();
        b.login("phuong.dinh", "mat-khau-sai-roi").await;
        assert!(b.login("phuong.dinh", PW).await.redirects_to("/"), "{n}");
        let p = b.get("/account/activity").await;
        assert_eq!(p.status, StatusCode::OK, "{n}");
        assert!(p.text.contains("Lịch sử sử dụng tài khoản"), "{n}");
        assert!(p.text.contains("class=\"ev-login\""), "{n}: {}", p.text);
        assert!(p.text.contains("class=\"ev-login_failed\""), "{n}");
        assert!(p.text.contains("Đăng nhập không thành công"), "{n}");
        assert!(
            p.text
                .contains("<td>Mật khẩu <span class=\"hint\">· mức 1 (cơ bản)</span></td>"),
            "{n}: the method and its level"
        );
        assert!(p.text.contains("<td>127.0.0.1</td>"), "{n}: the IP");
        assert!(p.text.contains(UA), "{n}: the user agent");
        // Newest first: the login precedes the failure on the page.
        let login = p.text.find("class=\"ev-login\"").expect("login row");
        let failed = p
            .text
            .find("class=\"ev-login_failed\"")
            .expect("failed row");
        assert!(login < failed, "{n}: newest first");
        // In English too.
        b.get("/lang/en?next=/").await;
        let p = b.get("/account/activity").await;
        assert!(
            p.text.contains("Account history")
                && p.text
                    .contains("<td>Password <span class=\"hint\">· level 1 (basic)</span></td>"),
            "{n}"
        );
        // Only the holder's own history: another user sees none of it.
        app.user("quang.mac", "Mạc Đăng Quang", PW).await;
        let other = app.browser();
        assert!(other.login("quang.mac", PW).await.redirects_to("/"));
        let p = other.get("/account/activity").await;
        assert!(
            !p.text.contains("ev-login_failed"),
            "{n}: someone else's history shown"
        );
        assert_eq!(count(&p.text, "class=\"ev-login\""), 1, "{n}");
        // Anonymous visitors are sent to log in.
        let r = app.browser().get("/account/activity").await;
        assert!(
            r.redirects_to("/login?next=/account/activity"),
            "{n}: {r:?}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_id_14_activity_is_paginated() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        app.user("rang.kieu", "Kiều Văn Rạng", PW).await;
        let b = app.browser();
        // 30 logins: 30 history entries (25 a page).
        for _ in 0..30 {
            assert!(b.login("rang.kieu", PW).await.redirects_to("/"));
        }
        let p1 = b.get("/account/activity").await;
        assert_eq!(count(&p1.text, "class=\"ev-login\""), 25, "{n}");
        // Keyset pages: the link carries the last entry shown.
        let at = p1
            .text
            .find("/account/activity?after=")
            .expect("a next link");
        let link: String = p1.text[at..].chars().take_while(|ch| *ch != '"').collect();
        // A login meanwhile does not move the second page.
        assert!(b.login("rang.kieu", PW).await.redirects_to("/"));
        let p2 = b.get(&link).await;
        assert_eq!(count(&p2.text, "class=\"ev-login\""), 5, "{n}");
        assert!(!p2.text.contains("rel=\"next\""), "{n}: the last page");
        let far = b.get("/account/activity?after=1").await;
        assert_eq!(far.status, StatusCode::OK, "{n}");
        assert_eq!(count(&far.text, "class=\"ev-login\""), 0, "{n}");
        let bad = b.get("/account/activity?after=abc").await;
        assert!(bad.status.is_client_error(), "{n}: {}", bad.status);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_id_14_reporting_compromise_locks_at_once_and_tells_operators() {
    let opts = Opts {
        operator_email: Some("truc-ban@portal.example.vn".into()),
        ..Default::default()
    };
    each_backend(|db| {
        let opts = opts.clone();
        async move {
            let app = spawn_app_with(db, opts).await;
            let n = app.name();
            let op = app.operator_browser().await;
            let id = app.user("son.luong", "Lương Văn Sơn", PW).await;
            let b = app.browser();
            let phone = app.browser();
            assert!(b.login("son.luong", PW).await.redirects_to("/"));
            assert!(phone.login("son.luong", PW).await.redirects_to("/"));
            let token = b.session().expect("session");
            // A reset link is open when the report comes in.
            app.browser()
                .submit(
                    "/password/forgot",
                    "/password/forgot",
                    &[("who", "son.luong")],
                )
                .await;
            app.drain().await;
            let link = app
                .mails()
                .iter()
                .find_map(|m| link_in(&m.text, "/password/reset/"))
                .expect("reset link");
            for m in app.mails() {
                std::fs::remove_file(&m.path).expect("clear mail");
            }
            let reset_path = link.strip_prefix(app.base()).expect("local").to_string();

            let form = b.get("/account/report").await;
            assert_eq!(form.status, StatusCode::OK, "{n}");
            assert!(form.text.contains("Báo cáo sử dụng trái phép"), "{n}");
            let note = "Tôi không đăng nhập lúc 3 giờ sáng <script>";
            let r = b
                .submit("/account/report", "/account/report", &[("note", note)])
                .await;
            assert_eq!(r.status, StatusCode::OK, "{n}: {}", r.text);
            assert!(r.text.contains("Đã khóa tài khoản"), "{n}");
            let c = r.set_cookie("motcua_session").expect("cookie cleared");
            assert!(c.contains("Max-Age=0"), "{n}: {c}");

            assert_eq!(
                app.sessions_of(id).await,
                0,
                "{n}: sessions kept in the store"
            );
            assert!(
                !cookie_alive(app.base(), &token).await,
                "{n}: session survived"
            );
            assert!(
                !phone.logged_in().await,
                "{n}: the other device is still in"
            );
            assert_eq!(app.account(id).await.status, AccountStatus::Locked, "{n}");
            let r = app.browser().login("son.luong", PW).await;
            assert!(r.text.contains("Tài khoản đang bị khóa"), "{n}: {}", r.text);
            assert!(r.set_cookie("motcua_session").is_none(), "{n}");
            assert_eq!(
                app.browser().get(&reset_path).await.status,
                StatusCode::GONE,
                "{n}: an open reset link survived the report"
            );

            // Operators (the operator account and the configured address)
            // and the holder get mail.
            app.drain().await;
            let to_op = app.mails_to("vanhanh@portal.example.vn");
            assert_eq!(to_op.len(), 1, "{n}: {:?}", app.mails());
            assert!(
                to_op[0].text.contains("son.luong"),
                "{n}: {}",
                to_op[0].text
            );
            assert!(
                to_op[0].text.contains(&format!("/console/accounts/{id}")),
                "{n}: link to the console: {}",
                to_op[0].text
            );
            assert_eq!(app.mails_to("truc-ban@portal.example.vn").len(), 1, "{n}");
            assert_eq!(app.mails_to("son.luong@example.vn").len(), 1, "{n}");

            // The console lists the report, the note escaped.
            let p = op.get("/console/reports").await;
            assert_eq!(p.status, StatusCode::OK, "{n}");
            assert!(p.text.contains("son.luong"), "{n}");
            assert!(
                p.text
                    .contains("Tôi không đăng nhập lúc 3 giờ sáng &#60;script&#62;")
                    || p.text
                        .contains("Tôi không đăng nhập lúc 3 giờ sáng &lt;script&gt;"),
                "{n}: {}",
                p.text
            );
            assert!(!p.text.contains("<script>"), "{n}: note not escaped");
            let home = op.get("/console").await;
            assert_eq!(home.status, StatusCode::OK, "{n}");

            let audit = app.audit_actions(&format!("account:{id}")).await;
            let report = audit
                .iter()
                .find(|e| e.action == "account.compromise_report")
                .unwrap_or_else(|| panic!("{n}: no audit record"));
            assert_eq!(report.actor, format!("account:{id}"), "{n}");
            assert_eq!(report.ip, "127.0.0.1", "{n}");
            assert!(app
                .activity_kinds(id)
                .await
                .contains(&"compromise_reported".to_string()));
            app.assert_audit_intact().await;

            // The operator reopens the account after checking.
            let r = op
                .submit(
                    &format!("/console/accounts/{id}"),
                    &format!("/console/accounts/{id}/unlock"),
                    &[("reason", "Đã xác minh chủ tài khoản qua điện thoại")],
                )
                .await;
            assert!(
                r.redirects_to(&format!("/console/accounts/{id}")),
                "{n}: {r:?}"
            );
            assert!(
                app.browser().login("son.luong", PW).await.redirects_to("/"),
                "{n}"
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reporting_needs_a_session() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let b = app.browser();
        let r = b.get("/account/report").await;
        assert!(r.redirects_to("/login?next=/account/report"), "{n}: {r:?}");
        let r = b
            .submit("/login", "/account/report", &[("note", "x")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        assert!(
            r.location().unwrap_or_default().starts_with("/login"),
            "{n}"
        );
    })
    .await;
}
