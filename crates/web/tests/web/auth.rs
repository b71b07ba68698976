//! Login, sessions, CSRF, throttling, logout, password change (R-ID-4) and
//! password reset by email.
use crate::helpers::*;
use motcua_domain::{Role, DAY, MINUTE, SECOND};
use motcua_identity::service::NewAccountInput;
use reqwest::StatusCode;

const PW: &str = "mua-xuan-ha-noi-2026";

const INVALID: &str = "Tên đăng nhập hoặc mật khẩu không đúng.";
const THROTTLED: &str = "Tài khoản tạm thời bị khóa do nhập sai mật khẩu nhiều lần";
const WAIT: &str = "Bạn đã nhập sai nhiều lần. Vui lòng thử lại sau";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_redirects_to_next_with_a_safe_session_cookie() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        app.user("an.nguyen", "Nguyễn Văn An", PW).await;
        let b = app.browser();
        // Not logged in: pages that need a user send to the login page.
        let r = b.get("/account").await;
        assert!(r.redirects_to("/login?next=/account"), "{n}: {r:?}");

        let r = b.login_next("an.nguyen", PW, "/account/activity").await;
        assert!(r.redirects_to("/account/activity"), "{n}: {r:?}");
        let c = r.set_cookie("motcua_session").expect("session cookie");
        assert!(c.contains("HttpOnly"), "{n}: {c}");
        assert!(c.contains("SameSite=Lax"), "{n}: {c}");
        assert!(c.contains("Path=/"), "{n}: {c}");
        assert!(!c.contains("Secure"), "{n}: plain-http test server: {c}");
        assert!(!c.contains("Max-Age"), "{n}: a browser-session cookie: {c}");
        let token = b.session().expect("session in jar");
        assert!(token.len() >= 40, "{n}: a long random token: {token}");

        let p = b.get("/account").await;
        assert_eq!(p.status, StatusCode::OK, "{n}");
        assert!(p.text.contains("Nguyễn Văn An"), "{n}");
        assert!(p.text.contains("an.nguyen@example.vn"), "{n}");
        assert!(p.text.contains("Mật khẩu"), "{n}: the login method");
        // A logged-in visitor of /login goes on to `next`.
        assert!(b.get("/login?next=/account").await.redirects_to("/account"));

        // Usernames are case-insensitive.
        let other = app.browser();
        assert!(
            other.login(" AN.Nguyen ", PW).await.redirects_to("/"),
            "{n}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_or_unknown_credentials_get_the_same_answer_and_no_session() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        app.user("binh.le", "Lê Văn Bình", PW).await;
        let b = app.browser();
        let wrong = b.login("binh.le", "khong-phai-mat-khau").await;
        assert_eq!(wrong.status, StatusCode::OK, "{n}");
        assert!(wrong.text.contains(INVALID), "{n}: {}", wrong.text);
        assert!(wrong.set_cookie("motcua_session").is_none(), "{n}");
        // The username is kept in the form; the password is not.
        assert!(wrong.text.contains("value=\"binh.le\""), "{n}");
        assert!(!wrong.text.contains("khong-phai-mat-khau"), "{n}");
        let unknown = b.login("khong.ton.tai", "khong-phai-mat-khau").await;
        assert_eq!(unknown.status, StatusCode::OK, "{n}");
        assert!(unknown.text.contains(INVALID), "{n}");
        let empty = b.login("binh.le", "").await;
        assert!(empty.text.contains(INVALID), "{n}");
        assert!(b.session().is_none(), "{n}");
        assert!(!b.logged_in().await, "{n}");
    })
    .await;
}

/// Session fixation: a login always issues a fresh session id and ends the
/// one the browser had.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_id_rotates_on_login() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        app.user("chi.pham", "Phạm Thị Chi", PW).await;
        let b = app.browser();
        let url = reqwest::Url::parse(app.base()).expect("url");
        b.jar
            .add_cookie_str("motcua_session=planted-by-an-attacker; Path=/", &url);
        assert_eq!(b.session().as_deref(), Some("planted-by-an-attacker"));
        assert!(b.login("chi.pham", PW).await.redirects_to("/"), "{n}");
        let first = b.session().expect("session");
        assert_ne!(first, "planted-by-an-attacker", "{n}");
        assert!(cookie_alive(app.base(), &first).await, "{n}");

        // Logging in again while logged in rotates the id; the old one dies.
        assert!(b.login("chi.pham", PW).await.redirects_to("/"), "{n}");
        let second = b.session().expect("session");
        assert_ne!(first, second, "{n}: session id not rotated");
        assert!(
            !cookie_alive(app.base(), &first).await,
            "{n}: old id still valid"
        );
        assert!(cookie_alive(app.base(), &second).await, "{n}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_never_redirects_off_site() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        app.user("dung.vo", "Võ Văn Dũng", PW).await;
        for next in [
            "https://evil.example",
            "https://evil.example/account",
            "//evil.example/x",
            "/\\evil.example",
            "javascript:alert(1)",
        ] {
            let b = app.browser();
            let r = b.login_next("dung.vo", PW, next).await;
            assert!(
                r.redirects_to("/"),
                "{n}: next={next} gave {:?}",
                r.location()
            );
        }
        // A relative target resolves on the portal, as a browser would.
        let r = app.browser().login_next("dung.vo", PW, "account").await;
        assert_eq!(r.location(), Some("/account"), "{n}");
        let p = app
            .browser()
            .get("/login?next=https%3A%2F%2Fevil.example")
            .await;
        assert!(p.text.contains("name=\"next\" value=\"/\""), "{n}");
        let b = app.browser();
        let r = b.login_next("dung.vo", PW, "/account?tab=1").await;
        assert!(
            r.redirects_to("/account?tab=1"),
            "{n}: local next kept: {r:?}"
        );
    })
    .await;
}

/// R-ID-4: an initial password must be changed at first login; until then
/// every page leads to the change form. Weak choices are refused in
/// Vietnamese and change nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_id_4_initial_password_must_be_changed_at_first_login() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let (id, initial) = app
            .create(NewAccountInput {
                username: "nguoikhai01".into(),
                full_name: "Công ty TNHH Xuất nhập khẩu Sao Mai".into(),
                email: Some("khai@saomai.example.vn".into()),
                roles: vec![Role::Declarant],
                ..Default::default()
            })
            .await;
        assert!(
            initial.len() >= 14,
            "{n}: generated initial password {initial}"
        );
        let before = app.credential(id).await;
        assert!(before.is_initial && before.expires_at.is_some(), "{n}");

        let b = app.browser();
        let r = b.login_next("nguoikhai01", &initial, "/account").await;
        assert!(r.redirects_to("/password/change"), "{n}: {r:?}");
        for path in [
            "/account",
            "/account/activity",
            "/console",
            "/console/accounts",
        ] {
            let r = b.get(path).await;
            assert!(r.redirects_to("/password/change"), "{n}: {path}: {r:?}");
        }
        let form = b.get("/password/change").await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.text.contains("Bạn đang dùng mật khẩu ban đầu"), "{n}");
        // Reporting misuse stays possible before the change (R-ID-14).
        assert_eq!(b.get("/account/report").await.status, StatusCode::OK, "{n}");

        let cases: [(&str, &str, &str, &str); 6] = [
            (
                "sai-mat-khau-hien-tai",
                "song-hong-chay-mai",
                "song-hong-chay-mai",
                "Mật khẩu hiện tại không đúng.",
            ),
            (
                &initial,
                "song-hong-chay-mai",
                "song-hong-chay-khac",
                "Hai lần nhập mật khẩu mới không khớp.",
            ),
            (
                &initial,
                "ngan",
                "ngan",
                "Mật khẩu quá ngắn: cần tối thiểu 8 ký tự.",
            ),
            (
                &initial,
                "12345678",
                "12345678",
                "Mật khẩu này quá phổ biến",
            ),
            (
                &initial,
                "iloveyou",
                "iloveyou",
                "Mật khẩu này quá phổ biến",
            ),
            (
                &initial,
                "x-nguoikhai01-x",
                "x-nguoikhai01-x",
                "Mật khẩu không được chứa tên đăng nhập.",
            ),
        ];
        for (current, new, confirm, message) in cases {
            let r = b
                .submit(
                    "/password/change",
                    "/password/change",
                    &[("current", current), ("new", new), ("confirm", confirm)],
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{n}: {message}");
            assert!(
                r.text.contains(message),
                "{n}: expected «{message}» in {}",
                r.text
            );
            assert!(r.text.contains("lang=\"vi\""), "{n}");
            let now = app.credential(id).await;
            assert_eq!(
                now.hash, before.hash,
                "{n}: password changed by a refused form"
            );
            assert!(now.is_initial, "{n}");
            assert!(
                b.get("/account").await.redirects_to("/password/change"),
                "{n}"
            );
        }
        assert!(app
            .activity_kinds(id)
            .await
            .iter()
            .all(|k| k != "initial_password_changed"));

        let new_pw = "song-hong-chay-mai";
        let r = b
            .submit(
                "/password/change",
                "/password/change",
                &[("current", &initial), ("new", new_pw), ("confirm", new_pw)],
            )
            .await;
        assert!(r.redirects_to("/account?m=password_changed"), "{n}: {r:?}");
        let p = b.get("/account?m=password_changed").await;
        assert_eq!(p.status, StatusCode::OK, "{n}");
        assert!(p.text.contains("Đã đổi mật khẩu"), "{n}: the flash");
        let after = app.credential(id).await;
        assert!(!after.is_initial && after.expires_at.is_none(), "{n}");
        assert!(app
            .activity_kinds(id)
            .await
            .contains(&"initial_password_changed".to_string()));

        let old = app.browser().login("nguoikhai01", &initial).await;
        assert!(
            old.text.contains(INVALID),
            "{n}: the initial password still works"
        );
        let fresh = app.browser();
        assert!(
            fresh.login("nguoikhai01", new_pw).await.redirects_to("/"),
            "{n}"
        );
        assert!(fresh.logged_in().await, "{n}");
        // The holder is told by mail that the password changed.
        app.drain().await;
        let mails = app.mails_to("khai@saomai.example.vn");
        assert_eq!(mails.len(), 1, "{n}: {mails:?}");
        assert!(
            mails[0].text.contains("/account/report"),
            "{n}: {}",
            mails[0].text
        );
    })
    .await;
}

/// R-ID-4: the initial password is only valid for the configured days.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_id_4_initial_password_expires() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let (_, initial) = app
            .create(NewAccountInput {
                username: "congchuc.bct".into(),
                full_name: "Hoàng Minh Đức".into(),
                roles: vec![Role::CivilServant],
                ..Default::default()
            })
            .await;
        app.advance(8 * DAY);
        let b = app.browser();
        let r = b.login("congchuc.bct", &initial).await;
        assert_eq!(r.status, StatusCode::OK, "{n}");
        assert!(
            r.text.contains("Mật khẩu ban đầu đã hết hạn"),
            "{n}: {}",
            r.text
        );
        assert!(r.set_cookie("motcua_session").is_none(), "{n}");
        assert!(!b.logged_in().await, "{n}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csrf_is_required_on_every_post() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        app.user("em.do", "Đỗ Thị Em", PW).await;
        let b = app.browser();
        let form = b.get("/login").await;
        let csrf = form.csrf();
        let creds = [("username", "em.do"), ("password", PW)];

        let check_refused = |p: &Page, why: &str| {
            assert_eq!(p.status, StatusCode::FORBIDDEN, "{n}: {why}");
            assert!(p.is_html(), "{n}: {why}");
            assert!(p.text.contains("lang=\"vi\""), "{n}: {why}");
            assert!(
                p.text.contains("Phiên làm việc của biểu mẫu đã hết hạn"),
                "{n}: {why}: {}",
                p.text
            );
            assert!(p.set_cookie("motcua_session").is_none(), "{n}: {why}");
        };
        let r = b.post_form("/login", &creds).await;
        check_refused(&r, "no token");
        let r = b
            .post_form("/login", &[creds[0], creds[1], ("csrf", "0123abcd")])
            .await;
        check_refused(&r, "wrong token");
        let r = b
            .post_form("/login", &[creds[0], creds[1], ("csrf", "")])
            .await;
        check_refused(&r, "empty token");
        // A token from another browser does not fit this one.
        let other = app.browser().get("/login").await.csrf();
        assert_ne!(other, csrf);
        let r = b
            .post_form("/login", &[creds[0], creds[1], ("csrf", &other)])
            .await;
        check_refused(&r, "someone else's token");
        // A browser with no cookie at all (a cross-site form post).
        let bare = app.browser();
        let r = bare
            .post_form("/login", &[creds[0], creds[1], ("csrf", &csrf)])
            .await;
        check_refused(&r, "no cookie");
        assert!(!b.logged_in().await, "{n}");

        // The header (htmx) is accepted in place of the field.
        let r = b
            .send(
                b.client
                    .post(b.url("/login"))
                    .header("x-csrf-token", &csrf)
                    .form(&creds),
            )
            .await;
        assert!(r.redirects_to("/"), "{n}: {r:?}");
        assert!(b.logged_in().await, "{n}");
        // Once logged in, the token is bound to the session.
        let logged_in_csrf = b.get("/account").await.csrf();
        assert_ne!(logged_in_csrf, csrf, "{n}");
        let r = b.post_form("/logout", &[]).await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{n}: logout without a token"
        );
        assert!(
            b.logged_in().await,
            "{n}: a forged logout ended the session"
        );
    })
    .await;
}

/// Five wrong passwords lock the account for 15 minutes, with a growing
/// delay before that; the holder's history and the operator see it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_throttle_then_lock_the_account() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let id = app.user("giang.bui", "Bùi Thu Giang", PW).await;
        let b = app.browser();
        for i in 1..=4 {
            let r = b.login("giang.bui", "doan-sai-mat-khau").await;
            assert!(r.text.contains(INVALID), "{n}: failure {i}: {}", r.text);
        }
        // After the 4th failure the next attempt must wait a second.
        let r = b.login("giang.bui", PW).await;
        assert_eq!(r.status, StatusCode::OK, "{n}");
        assert!(r.text.contains(WAIT), "{n}: {}", r.text);
        assert!(r.text.contains("1 giây"), "{n}: {}", r.text);
        assert!(r.set_cookie("motcua_session").is_none(), "{n}");
        app.advance(2 * SECOND);
        let r = b.login("giang.bui", "doan-sai-mat-khau").await;
        assert!(r.text.contains(THROTTLED), "{n}: 5th failure: {}", r.text);
        // The right password is refused while locked.
        let r = b.login("giang.bui", PW).await;
        assert!(r.text.contains(THROTTLED), "{n}: {}", r.text);
        assert!(!b.logged_in().await, "{n}");

        let kinds = app.activity_kinds(id).await;
        assert_eq!(
            kinds.iter().filter(|k| *k == "login_failed").count(),
            5,
            "{n}: {kinds:?}"
        );
        assert!(
            kinds.contains(&"throttle_locked".to_string()),
            "{n}: {kinds:?}"
        );
        let audit = app.audit_actions(&format!("account:{id}")).await;
        assert!(
            audit.iter().any(|e| e.action == "account.throttle_lock"),
            "{n}"
        );
        // The holder is told by mail.
        app.drain().await;
        let mails = app.mails_to("giang.bui@example.vn");
        assert_eq!(mails.len(), 1, "{n}: {mails:?}");
        assert!(
            mails[0].text.contains("Nhập sai mật khẩu nhiều lần"),
            "{n}: {}",
            mails[0].text
        );

        // The operator sees the account among the failed logins.
        let op = app.operator_browser().await;
        let t = op.get("/console/throttles").await;
        assert_eq!(t.status, StatusCode::OK, "{n}");
        assert!(
            t.text.contains(&format!("href=\"/console/accounts/{id}\"")),
            "{n}: {}",
            t.text
        );
        assert!(t.text.contains(">giang.bui</a>"), "{n}: names the account");
        assert!(!t.text.contains(&format!("account:{id}")), "{n}");
        let a = op.get(&format!("/console/accounts/{id}")).await;
        assert!(
            a.text.contains("Tạm khóa (đăng nhập sai)"),
            "{n}: {}",
            a.text
        );

        // After the lock, the right password works again.
        app.advance(15 * MINUTE + SECOND);
        assert!(b.login("giang.bui", PW).await.redirects_to("/"), "{n}");
        assert!(b.logged_in().await, "{n}");
    })
    .await;
}

/// Many wrong logins from one address, each for a different username, are
/// slowed down too (password spraying).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_are_throttled_per_ip_across_usernames() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        app.user("hanh.ngo", "Ngô Thị Hạnh", PW).await;
        let b = app.browser();
        let mut waited_at = None;
        for i in 0..30 {
            let r = b.login(&format!("khong.co.{i}"), "doan-bua-mat-khau").await;
            assert_eq!(r.status, StatusCode::OK, "{n}");
            if r.text.contains(WAIT) {
                waited_at = Some(i);
                break;
            }
            assert!(r.text.contains(INVALID), "{n}: {}", r.text);
        }
        let at = waited_at.unwrap_or_else(|| panic!("{n}: 30 failures from one IP, never slowed"));
        assert!(at > 3, "{n}: an office NAT gets some slack, slowed at {at}");
        // The wait holds for an existing account with the right password too.
        let r = b.login("hanh.ngo", PW).await;
        assert!(r.text.contains(WAIT), "{n}: {}", r.text);
        // ... and passes.
        app.advance(2 * MINUTE);
        assert!(b.login("hanh.ngo", PW).await.redirects_to("/"), "{n}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_ends_the_session() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let id = app.user("khoa.dang", "Đặng Minh Khoa", PW).await;
        let b = app.browser();
        assert!(b.login("khoa.dang", PW).await.redirects_to("/"));
        let token = b.session().expect("session");
        let r = b.submit("/account", "/logout", &[]).await;
        assert!(r.redirects_to("/?m=logged_out"), "{n}: {r:?}");
        let c = r.set_cookie("motcua_session").expect("cleared cookie");
        assert!(c.contains("Max-Age=0"), "{n}: {c}");
        assert!(b
            .get("/?m=logged_out")
            .await
            .text
            .contains("Bạn đã đăng xuất."));
        assert!(!b.logged_in().await, "{n}");
        assert!(
            !cookie_alive(app.base(), &token).await,
            "{n}: the server kept the session"
        );
        assert!(
            app.activity_kinds(id).await.contains(&"logout".to_string()),
            "{n}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_everywhere_ends_every_session() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let id = app.user("lam.trinh", "Trịnh Văn Lâm", PW).await;
        let phone = Browser::with_agent(app.base(), "Phone/1.0");
        let laptop = app.browser();
        assert!(phone.login("lam.trinh", PW).await.redirects_to("/"));
        assert!(laptop.login("lam.trinh", PW).await.redirects_to("/"));
        let p = laptop.get("/account").await;
        assert!(
            p.text.contains("<dd>2</dd>"),
            "{n}: two open sessions: {}",
            p.text
        );
        let phone_token = phone.session().expect("session");
        let r = laptop.submit("/account", "/account/logout-all", &[]).await;
        assert!(r.redirects_to("/login?m=logged_out_all"), "{n}: {r:?}");
        assert!(!laptop.logged_in().await, "{n}");
        assert_eq!(app.sessions_of(id).await, 0, "{n}");
        assert!(
            !phone.logged_in().await,
            "{n}: the other device is still in"
        );
        assert!(!cookie_alive(app.base(), &phone_token).await, "{n}");
        assert!(app
            .activity_kinds(id)
            .await
            .contains(&"logout_all".to_string()));
        // Logging in again works.
        assert!(phone.login("lam.trinh", PW).await.redirects_to("/"), "{n}");
    })
    .await;
}

/// Sessions end after 30 idle minutes, slide with use, and never outlive
/// their absolute lifetime (12 h).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_expire_when_idle_and_at_their_maximum_age() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        app.user("mai.ly", "Lý Thị Mai", PW).await;
        let b = app.browser();
        assert!(b.login("mai.ly", PW).await.redirects_to("/"));
        app.advance(20 * MINUTE);
        assert!(b.logged_in().await, "{n}: 20 idle minutes");
        app.advance(20 * MINUTE);
        assert!(b.logged_in().await, "{n}: use slides the idle expiry");
        app.advance(31 * MINUTE);
        assert!(!b.logged_in().await, "{n}: 31 idle minutes");

        assert!(b.login("mai.ly", PW).await.redirects_to("/"));
        let mut alive_for = 0;
        for _ in 0..40 {
            app.advance(25 * MINUTE);
            if !b.logged_in().await {
                break;
            }
            alive_for += 25;
        }
        assert!(
            alive_for >= 11 * 60,
            "{n}: active session ended after {alive_for} min"
        );
        assert!(
            alive_for <= 12 * 60,
            "{n}: session lived {alive_for} min, beyond 12 h"
        );
    })
    .await;
}

/// Password reset by email: neutral answer, a link that survives mail
/// scanners opening it, single use, short-lived; all sessions end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_reset_by_email_link() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let id = app.user("nam.cao", "Cao Văn Nam", PW).await;
        let email = "nam.cao@example.vn";
        let elsewhere = app.browser();
        assert!(elsewhere.login("nam.cao", PW).await.redirects_to("/"));

        let b = app.browser();
        let known = b
            .submit("/password/forgot", "/password/forgot", &[("who", email)])
            .await;
        assert_eq!(known.status, StatusCode::OK, "{n}");
        assert!(
            known.text.contains("Nếu thông tin khớp với một tài khoản"),
            "{n}"
        );
        let unknown = b
            .submit(
                "/password/forgot",
                "/password/forgot",
                &[("who", "ai.do@example.vn")],
            )
            .await;
        assert_eq!(unknown.status, StatusCode::OK, "{n}");
        assert_eq!(
            known.text, unknown.text,
            "{n}: the answer reveals which emails exist"
        );
        let empty = b
            .submit("/password/forgot", "/password/forgot", &[("who", "  ")])
            .await;
        assert!(
            empty
                .text
                .contains("Vui lòng nhập tên đăng nhập hoặc email."),
            "{n}"
        );

        assert_eq!(app.drain().await, 1, "{n}: one mail for one known address");
        let mails = app.mails();
        assert_eq!(mails.len(), 1, "{n}: {mails:?}");
        assert_eq!(mails[0].to, email);
        let link = link_in(&mails[0].text, "/password/reset/").expect("reset link in the mail");
        let path = link
            .strip_prefix(app.base())
            .expect("link to this portal")
            .to_string();
        std::fs::remove_file(&mails[0].path).expect("clear mail");

        // A mail scanner opens the link first; the link still works after.
        for _ in 0..2 {
            let p = app.browser().get(&path).await;
            assert_eq!(p.status, StatusCode::OK, "{n}: {}", p.text);
            assert_eq!(p.header("referrer-policy"), Some("no-referrer"), "{n}");
        }
        let form_page = path.as_str();
        let token = path.rsplit('/').next().expect("token").to_string();
        let r = b
            .submit(
                form_page,
                "/password/reset",
                &[
                    ("token", &token),
                    ("new", "mua-thu"),
                    ("confirm", "mua-thu"),
                ],
            )
            .await;
        assert!(r.text.contains("Mật khẩu quá ngắn"), "{n}: {}", r.text);
        let r = b
            .submit(
                form_page,
                "/password/reset",
                &[
                    ("token", &token),
                    ("new", "la-vang-mua-thu"),
                    ("confirm", "la-do-mua-thu"),
                ],
            )
            .await;
        assert!(r.text.contains("không khớp"), "{n}");
        let new_pw = "la-vang-mua-thu-ha-noi";
        let r = b
            .submit(
                form_page,
                "/password/reset",
                &[("token", &token), ("new", new_pw), ("confirm", new_pw)],
            )
            .await;
        assert!(r.redirects_to("/login?m=password_reset"), "{n}: {r:?}");
        assert!(b
            .get("/login?m=password_reset")
            .await
            .text
            .contains("Đã đặt lại mật khẩu"));

        assert_eq!(
            app.sessions_of(id).await,
            0,
            "{n}: sessions survive a reset"
        );
        assert!(
            !elsewhere.logged_in().await,
            "{n}: sessions survive a reset"
        );
        assert!(
            app.browser()
                .login("nam.cao", PW)
                .await
                .text
                .contains(INVALID),
            "{n}"
        );
        let fresh = app.browser();
        assert!(
            fresh.login("nam.cao", new_pw).await.redirects_to("/"),
            "{n}"
        );

        // Used up: the page and the form both refuse it.
        let again = app.browser().get(&path).await;
        assert_eq!(again.status, StatusCode::GONE, "{n}");
        assert!(again
            .text
            .contains("Liên kết không hợp lệ, đã được sử dụng hoặc đã hết hạn"));
        let reuse = app.browser();
        let csrf = reuse.get("/password/forgot").await.csrf();
        let r = reuse
            .post_form(
                "/password/reset",
                &[
                    ("token", &token),
                    ("new", "mat-khau-thu-ba-x"),
                    ("confirm", "mat-khau-thu-ba-x"),
                    ("csrf", &csrf),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::GONE, "{n}: link reused");
        assert!(
            app.browser()
                .login("nam.cao", new_pw)
                .await
                .redirects_to("/"),
            "{n}"
        );

        let kinds = app.activity_kinds(id).await;
        assert!(
            kinds.contains(&"password_reset".to_string()),
            "{n}: {kinds:?}"
        );
        let actions: Vec<String> = app
            .audit_actions(&format!("account:{id}"))
            .await
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert!(
            actions.contains(&"password.reset_request".to_string()),
            "{n}"
        );
        assert!(actions.contains(&"password.reset".to_string()), "{n}");
        // The holder is told the password changed.
        app.drain().await;
        assert_eq!(app.mails_to(email).len(), 1, "{n}");
        for m in app.mails() {
            std::fs::remove_file(&m.path).expect("clear mail");
        }

        // A link is valid for 30 minutes only.
        b.submit(
            "/password/forgot",
            "/password/forgot",
            &[("who", "nam.cao")],
        )
        .await;
        app.drain().await;
        let mails = app.mails();
        assert_eq!(mails.len(), 1, "{n}: by username too");
        let link = link_in(&mails[0].text, "/password/reset/").expect("link");
        let path = link.strip_prefix(app.base()).expect("local").to_string();
        assert_eq!(app.browser().get(&path).await.status, StatusCode::OK);
        app.advance(31 * MINUTE);
        let p = app.browser().get(&path).await;
        assert_eq!(p.status, StatusCode::GONE, "{n}: expired link accepted");
        let token = path.rsplit('/').next().expect("token").to_string();
        let r = b
            .submit(
                "/password/forgot",
                "/password/reset",
                &[
                    ("token", &token),
                    ("new", "mat-khau-sau-han"),
                    ("confirm", "mat-khau-sau-han"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::GONE, "{n}");
        assert!(
            app.browser()
                .login("nam.cao", new_pw)
                .await
                .redirects_to("/"),
            "{n}"
        );
        app.assert_audit_intact().await;
    })
    .await;
}

/// A reset proves the holder's email: it lifts a failed-login lock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_reset_lifts_a_failed_login_lock() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        app.user("oanh.ha", "Hà Kim Oanh", PW).await;
        let b = app.browser();
        for _ in 0..4 {
            b.login("oanh.ha", "doan-sai-roi").await;
        }
        app.advance(2 * SECOND);
        assert!(
            b.login("oanh.ha", "doan-sai-roi")
                .await
                .text
                .contains(THROTTLED),
            "{n}"
        );
        b.submit(
            "/password/forgot",
            "/password/forgot",
            &[("who", "oanh.ha@example.vn")],
        )
        .await;
        app.drain().await;
        let link = app
            .mails()
            .iter()
            .find_map(|m| link_in(&m.text, "/password/reset/"))
            .expect("reset link");
        let path = link.strip_prefix(app.base()).expect("local").to_string();
        let token = path.rsplit('/').next().expect("token").to_string();
        let new_pw = "hoa-mai-ngay-tet";
        let r = b
            .submit(
                &path,
                "/password/reset",
                &[("token", &token), ("new", new_pw), ("confirm", new_pw)],
            )
            .await;
        assert!(r.redirects_to("/login?m=password_reset"), "{n}: {r:?}");
        assert!(
            b.login("oanh.ha", new_pw).await.redirects_to("/"),
            "{n}: still locked"
        );
    })
    .await;
}

/// An operator's password needs 12 characters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_need_longer_passwords() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let b = app.operator_browser().await;
        let r = b
            .submit(
                "/password/change",
                "/password/change",
                &[
                    ("current", OP_PW),
                    ("new", "ngan-hon-12"),
                    ("confirm", "ngan-hon-12"),
                ],
            )
            .await;
        assert!(r.text.contains("cần tối thiểu 12 ký tự"), "{n}: {}", r.text);
        let r = b
            .submit(
                "/password/change",
                "/password/change",
                &[("current", OP_PW), ("new", OP_PW), ("confirm", OP_PW)],
            )
            .await;
        assert!(
            r.text.contains("Mật khẩu mới phải khác mật khẩu hiện tại."),
            "{n}"
        );
        let ok = "du-muoi-hai-ky-tu-roi";
        let r = b
            .submit(
                "/password/change",
                "/password/change",
                &[("current", OP_PW), ("new", ok), ("confirm", ok)],
            )
            .await;
        assert!(r.redirects_to("/account?m=password_changed"), "{n}: {r:?}");
        // The change rotates this session and keeps it.
        assert!(b.logged_in().await, "{n}");
    })
    .await;
}
