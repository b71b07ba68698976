//! Public pages, the language switch, security headers and the ops
//! endpoints (health, readiness, metrics).
use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_page_is_vietnamese_with_security_headers() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let b = app.browser();
        let p = b.get("/").await;
        let n = app.name();
        assert_eq!(p.status, StatusCode::OK, "{n}");
        assert!(p.is_html(), "{n}: {:?}", p.header("content-type"));
        assert!(p.text.contains("lang=\"vi\""), "{n}: {}", p.text);
        assert!(p.text.contains("Đăng nhập"), "{n}");
        assert!(p.text.contains("Cổng Dịch vụ công quốc gia"), "{n}");
        let csp = p.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("default-src 'self'"), "{n}: CSP {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{n}: CSP {csp}");
        assert!(!csp.contains("unsafe-inline"), "{n}: CSP {csp}");
        assert_eq!(p.header("x-frame-options"), Some("DENY"), "{n}");
        assert_eq!(p.header("x-content-type-options"), Some("nosniff"), "{n}");
        assert_eq!(p.header("referrer-policy"), Some("same-origin"), "{n}");
        assert_eq!(p.header("cache-control"), Some("no-store"), "{n}");
        assert!(
            p.header("x-request-id").is_some_and(|v| !v.is_empty()),
            "{n}"
        );
        // The pre-session cookie (the CSRF binding before login).
        let pre = p.set_cookie("motcua_pre").expect("pre-session cookie");
        assert!(
            pre.contains("HttpOnly") && pre.contains("SameSite=Lax"),
            "{n}: {pre}"
        );
        assert!(
            !pre.contains("Secure"),
            "{n}: plain-http test server: {pre}"
        );
        // Static assets are served with their type.
        let css = b.get("/static/app.css").await;
        assert_eq!(css.status, StatusCode::OK, "{n}");
        assert!(css
            .header("content-type")
            .unwrap_or_default()
            .starts_with("text/css"));
        let js = b.get("/static/htmx.min.js").await;
        assert_eq!(js.status, StatusCode::OK, "{n}");
        assert_eq!(b.get("/static/nope.js").await.status, StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn language_switch_sets_a_cookie_and_translates() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let b = app.browser();
        let r = b.get("/lang/en?next=/").await;
        assert!(r.redirects_to("/"), "{n}: {r:?}");
        let c = r.set_cookie("lang").expect("lang cookie");
        assert!(c.starts_with("lang=en;"), "{n}: {c}");
        assert!(c.contains("Max-Age="), "{n}: a lasting choice: {c}");
        let p = b.get("/").await;
        assert!(p.text.contains("lang=\"en\""), "{n}");
        assert!(p.text.contains("Log in"), "{n}");
        assert!(!p.text.contains("Đăng nhập"), "{n}: still Vietnamese");
        // Error pages follow the choice too.
        let e = b.get("/khong-co-trang-nay").await;
        assert_eq!(e.status, StatusCode::NOT_FOUND);
        assert!(
            e.text.contains("The page you asked for does not exist."),
            "{n}"
        );
        // And back.
        let r = b.get("/lang/vi?next=/login").await;
        assert!(r.redirects_to("/login"), "{n}: {r:?}");
        let p = b.get("/").await;
        assert!(
            p.text.contains("lang=\"vi\"") && p.text.contains("Đăng nhập"),
            "{n}"
        );
        // Unknown languages and foreign "next" targets.
        assert_eq!(b.get("/lang/fr?next=/").await.status, StatusCode::NOT_FOUND);
        let r = b.get("/lang/en?next=https://evil.example/").await;
        assert!(r.redirects_to("/"), "{n}: open redirect: {r:?}");
    })
    .await;
}

/// The portal's first language is Vietnamese whatever the browser says;
/// only the visitor's explicit choice (the switch) gives English.
/// (`ctx::locale_from` ignores Accept-Language on purpose.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_language_does_not_override_vietnamese_default() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let b = app.browser();
        let p = b
            .get_with("/", &[("accept-language", "en-US,en;q=0.9")])
            .await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(p.text.contains("lang=\"vi\""), "{n}");
        assert!(p.text.contains("Đăng nhập"), "{n}");
        // The explicit choice wins over the header either way.
        b.get("/lang/en?next=/").await;
        let p = b
            .get_with("/", &[("accept-language", "vi-VN,vi;q=0.9")])
            .await;
        assert!(p.text.contains("lang=\"en\""), "{n}");
    })
    .await;
}

/// A logged-in user's language choice is kept on the account (for its mail
/// and its other devices) and recorded in the audit log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn language_choice_is_kept_on_the_account() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let id = app
            .user("lan.tran", "Trần Thị Lan", "hoa-sen-trong-ao")
            .await;
        let b = app.browser();
        assert!(b
            .login("lan.tran", "hoa-sen-trong-ao")
            .await
            .redirects_to("/"));
        b.get("/lang/en?next=/account").await;
        assert_eq!(app.account(id).await.locale, "en", "{n}");
        let actions: Vec<String> = app
            .audit_actions(&format!("account:{id}"))
            .await
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert!(
            actions.contains(&"account.locale".to_string()),
            "{n}: {actions:?}"
        );
        // Another device, no language cookie: English from the account.
        let other = app.browser();
        assert!(other
            .login("lan.tran", "hoa-sen-trong-ao")
            .await
            .redirects_to("/"));
        assert!(other.cookie("lang").is_none());
        let p = other.get("/account").await;
        assert!(
            p.text.contains("lang=\"en\"") && p.text.contains("My account"),
            "{n}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_and_metrics() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let b = app.browser();
        let h = b.get("/healthz").await;
        assert_eq!((h.status, h.text.as_str()), (StatusCode::OK, "ok"), "{n}");
        assert!(
            h.set_cookie("motcua_pre").is_none(),
            "{n}: no cookies for probes"
        );
        let r = b.get("/readyz").await;
        assert_eq!(r.status, StatusCode::OK, "{n}: {}", r.text);
        assert_eq!(r.text, "ready");

        app.user("metric.user", "Người Đo Lường", "dem-so-lan-dang-nhap")
            .await;
        let m = b
            .get_with(
                "/metrics",
                &[("authorization", "Bearer test-metrics-token")],
            )
            .await;
        assert_eq!(m.status, StatusCode::OK);
        assert!(m
            .header("content-type")
            .unwrap_or_default()
            .starts_with("text/plain"));
        assert!(
            m.text
                .contains("motcua_http_responses_total{class=\"2xx\"}"),
            "{n}"
        );
        assert!(
            m.text
                .contains("motcua_login_attempts_total{result=\"success\"} 0"),
            "{n}"
        );
        assert!(m.text.contains("motcua_accounts 1"), "{n}: {}", m.text);

        let wrong = b.login("metric.user", "sai-mat-khau-roi").await;
        assert_eq!(wrong.status, StatusCode::OK);
        assert!(b
            .login("metric.user", "dem-so-lan-dang-nhap")
            .await
            .redirects_to("/"));
        b.get("/khong-ton-tai").await;
        let m = b
            .get_with(
                "/metrics",
                &[("authorization", "Bearer test-metrics-token")],
            )
            .await
            .text;
        assert!(
            m.contains("motcua_login_attempts_total{result=\"success\"} 1"),
            "{n}: {m}"
        );
        assert!(
            m.contains("motcua_login_attempts_total{result=\"failure\"} 1"),
            "{n}: {m}"
        );
        let count_of = |class: &str| -> u64 {
            let key = format!("motcua_http_responses_total{{class=\"{class}\"}} ");
            m.lines()
                .find_map(|l| l.strip_prefix(&key))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or_else(|| panic!("{n}: no {key} in {m}"))
        };
        assert!(count_of("3xx") >= 1, "{n}: the login redirect");
        assert!(count_of("4xx") >= 1, "{n}: the 404");
        assert_eq!(count_of("5xx"), 0, "{n}");
    })
    .await;
}

/// Behind HTTPS (the public URL says so) every cookie is `Secure`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookies_are_secure_when_the_portal_is_served_over_https() {
    let opts = Opts {
        public_url: Some("https://dichvucong.example.vn".into()),
        ..Default::default()
    };
    each_backend(|db| {
        let opts = opts.clone();
        async move {
            let app = spawn_app_with(db, opts).await;
            let n = app.name();
            let b = app.browser();
            let p = b.get("/").await;
            let pre = p.set_cookie("motcua_pre").expect("pre cookie");
            assert!(pre.contains("; Secure"), "{n}: {pre}");
            let r = b.get("/lang/en?next=/").await;
            let lang = r.set_cookie("lang").expect("lang cookie");
            assert!(lang.contains("; Secure"), "{n}: {lang}");
            // The session cookie too (sent by hand: the jar keeps Secure
            // cookies away from this plain-http test server).
            app.user("an.toan", "An Toàn", "https-chi-mot-duong").await;
            let csrf = motcua_web::ctx::csrf_for(
                &app.state().config.secret_key,
                pre.split(';')
                    .next()
                    .and_then(|kv| kv.split_once('='))
                    .map(|(_, v)| v)
                    .unwrap_or_default(),
            );
            let r = b
                .send(
                    b.client
                        .post(b.url("/login"))
                        .header("cookie", pre.split(';').next().unwrap_or_default())
                        .form(&[
                            ("username", "an.toan"),
                            ("password", "https-chi-mot-duong"),
                            ("csrf", &csrf),
                        ]),
                )
                .await;
            assert!(r.redirects_to("/"), "{n}: {r:?}");
            let s = r.set_cookie("motcua_session").expect("session cookie");
            assert!(s.contains("; Secure") && s.contains("HttpOnly"), "{n}: {s}");
        }
    })
    .await;
}

/// When the database is gone: readiness says so (503), and pages that need
/// it answer a friendly 500 page, in Vietnamese, without details.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_outage_gives_503_readiness_and_a_friendly_error_page() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        app.user("mat.ket.noi", "Mất Kết Nối", "co-so-du-lieu-nghi")
            .await;
        let b = app.browser();
        assert!(b
            .login("mat.ket.noi", "co-so-du-lieu-nghi")
            .await
            .redirects_to("/"));
        app.state().store.close().await;
        let r = b.get("/readyz").await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{n}");
        let h = b.get("/healthz").await;
        assert_eq!(h.status, StatusCode::OK, "{n}: liveness needs no database");
        let p = b.get("/account").await;
        assert_eq!(p.status, StatusCode::INTERNAL_SERVER_ERROR, "{n}");
        assert!(p.is_html() && p.text.contains("lang=\"vi\""), "{n}");
        assert!(p.text.contains("Hệ thống gặp sự cố"), "{n}: {}", p.text);
        assert!(
            !p.text.to_lowercase().contains("pool"),
            "{n}: internals leaked: {}",
            p.text
        );
        let m = b
            .get_with(
                "/metrics",
                &[("authorization", "Bearer test-metrics-token")],
            )
            .await;
        assert_eq!(
            m.status,
            StatusCode::OK,
            "{n}: metrics without the database"
        );
        assert!(
            m.text
                .contains("motcua_http_responses_total{class=\"5xx\"} 2"),
            "{n}: the 503 and the 500: {}",
            m.text
        );
    })
    .await;
}
