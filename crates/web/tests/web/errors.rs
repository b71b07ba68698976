//! Error pages: every client error is a page in the visitor's language, and
//! malformed input never reaches the user as a 500.
use crate::helpers::*;
use reqwest::StatusCode;

const PW: &str = "ao-dai-trang-tinh-khoi";

fn assert_error_page(p: &Page, status: StatusCode, message: &str, what: &str) {
    assert_eq!(p.status, status, "{what}: {}", p.text);
    assert!(p.is_html(), "{what}: {:?}", p.header("content-type"));
    assert!(p.text.contains("lang=\"vi\""), "{what}");
    assert!(p.text.contains("Có lỗi xảy ra"), "{what}: {}", p.text);
    assert!(
        p.text.contains(message),
        "{what}: expected «{message}» in {}",
        p.text
    );
    assert_eq!(p.header("x-frame-options"), Some("DENY"), "{what}");
}

/// Malformed input: some 4xx page or a normal page, never a server error.
fn assert_handled(p: &Page, what: &str) {
    assert!(
        !p.status.is_server_error(),
        "{what}: {} {}",
        p.status,
        p.text
    );
    assert!(p.is_html(), "{what}: {:?}", p.header("content-type"));
    assert!(p.text.contains("lang=\"vi\""), "{what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_and_methods_get_friendly_pages() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let b = app.browser();
        let p = b.get("/khong-co-trang-nay").await;
        assert_error_page(
            &p,
            StatusCode::NOT_FOUND,
            "Không tìm thấy trang bạn yêu cầu.",
            n,
        );
        assert_eq!(p.header("cache-control"), Some("no-store"), "{n}");
        let p = b.get("/account/khong-co").await;
        assert_error_page(&p, StatusCode::NOT_FOUND, "Không tìm thấy trang", n);
        let p = b.get("/logout").await;
        assert_error_page(
            &p,
            StatusCode::METHOD_NOT_ALLOWED,
            "Thao tác này không được hỗ trợ",
            n,
        );
        let p = b
            .get(&format!("/password/reset/{}", "x".repeat(5000)))
            .await;
        assert_eq!(p.status, StatusCode::GONE, "{n}");
        let p = app.browser().get("/password/reset/%FF%FE").await;
        assert_handled(&p, n);
        let p = b.get("/lang/%FF?next=/").await;
        assert_handled(&p, n);
        assert!(p.status.is_client_error(), "{n}: {}", p.status);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_limit_get_413() {
    let opts = Opts {
        max_body_bytes: Some(8192),
        ..Default::default()
    };
    each_backend(|db| {
        let opts = opts.clone();
        async move {
            let app = spawn_app_with(db, opts).await;
            let n = app.name();
            app.user("xuan.kha", "Kha Thị Xuân", PW).await;
            let b = app.browser();
            let csrf = b.get("/login").await.csrf();
            let big = "a".repeat(20_000);
            let r = b
                .post_form(
                    "/login",
                    &[
                        ("csrf", csrf.as_str()),
                        ("username", "xuan.kha"),
                        ("password", PW),
                        ("pad", &big),
                    ],
                )
                .await;
            assert_error_page(
                &r,
                StatusCode::PAYLOAD_TOO_LARGE,
                "Dữ liệu gửi lên vượt quá dung lượng cho phép.",
                n,
            );
            assert!(r.set_cookie("motcua_session").is_none(), "{n}");
            // Just under the limit is fine.
            let pad = "a".repeat(7000);
            let r = b
                .post_form(
                    "/login",
                    &[
                        ("csrf", csrf.as_str()),
                        ("username", "xuan.kha"),
                        ("password", PW),
                        ("pad", &pad),
                    ],
                )
                .await;
            assert!(r.redirects_to("/"), "{n}: {r:?}");
            // Logged in, a big report note is refused the same way.
            let r = b
                .submit("/account/report", "/account/report", &[("note", &big)])
                .await;
            assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{n}");
            assert!(
                b.logged_in().await,
                "{n}: the oversized report was acted on"
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_forms_never_cause_server_errors() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        app.user("yen.lai", "Lại Hải Yến", PW).await;
        let b = app.browser();
        let csrf = b.get("/login").await.csrf();
        let form = "application/x-www-form-urlencoded";

        // Missing fields.
        let r = b.post_form("/login", &[("csrf", csrf.as_str())]).await;
        assert_error_page(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Dữ liệu gửi lên không hợp lệ",
            n,
        );
        let r = b
            .post_form(
                "/login",
                &[("csrf", csrf.as_str()), ("username", "yen.lai")],
            )
            .await;
        assert!(r.status.is_client_error(), "{n}: {}", r.status);
        assert_handled(&r, n);
        // Not logged in: the login page comes before the form is read.
        let r = b
            .post_form("/password/change", &[("csrf", csrf.as_str())])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        assert!(
            r.location().is_some_and(|l| l.starts_with("/login?next=")),
            "{n}: {:?}",
            r.location()
        );
        let r = b
            .post_form(
                "/password/reset",
                &[("csrf", csrf.as_str()), ("token", "abc")],
            )
            .await;
        assert!(r.status.is_client_error(), "{n}: {}", r.status);
        assert_handled(&r, n);

        // Broken percent-encoding and invalid UTF-8.
        for body in [
            format!("csrf={csrf}&username=%ZZ%&password=%E0%A4%A"),
            format!("csrf={csrf}&username=%FF%FE%FD&password=%C0%80"),
            format!("csrf={csrf}&username=a&username=b&password=x"),
            format!("csrf={csrf}&&&===&username=&password="),
        ] {
            let r = b.post_raw("/login", form, body.clone().into_bytes()).await;
            assert_handled(&r, &format!("{n}: {body}"));
        }
        let mut raw = format!("csrf={csrf}&username=").into_bytes();
        raw.extend_from_slice(&[0xff, 0xfe, 0x00, 0x80]);
        raw.extend_from_slice(b"&password=x");
        let r = b.post_raw("/login", form, raw).await;
        assert_handled(&r, &format!("{n}: raw invalid UTF-8"));

        // A huge username: refused, and not echoed back whole.
        let huge = "u".repeat(100_000);
        let r = b
            .post_form(
                "/login",
                &[
                    ("csrf", csrf.as_str()),
                    ("username", &huge),
                    ("password", "x"),
                ],
            )
            .await;
        assert_handled(&r, n);
        assert!(
            !r.text.contains(&"u".repeat(100)),
            "{n}: the whole username echoed"
        );
        let r = b
            .post_form(
                "/login",
                &[
                    ("csrf", csrf.as_str()),
                    ("username", "yen.lai"),
                    ("password", &"p".repeat(5000)),
                ],
            )
            .await;
        assert_handled(&r, n);
        assert!(
            r.text.contains("Tên đăng nhập hoặc mật khẩu không đúng."),
            "{n}"
        );
        let r = b
            .post_form(
                "/password/forgot",
                &[("csrf", csrf.as_str()), ("who", &huge)],
            )
            .await;
        assert_handled(&r, n);

        // Not a form at all.
        let r = b
            .send(
                b.client
                    .post(b.url("/login"))
                    .header("x-csrf-token", &csrf)
                    .json(&serde_json::json!({ "username": "yen.lai", "password": PW })),
            )
            .await;
        assert!(r.status.is_client_error(), "{n}: {}", r.status);
        assert_handled(&r, n);
        assert!(r.set_cookie("motcua_session").is_none(), "{n}");

        // Query strings too.
        let r = b.get("/login?next=%FF%FE").await;
        assert_handled(&r, n);
        let r = b.get("/?m=%ZZ").await;
        assert_handled(&r, n);

        // The server is still fine.
        assert!(b.login("yen.lai", PW).await.redirects_to("/"), "{n}");
        let r = b.get("/account?m=<script>").await;
        assert_eq!(r.status, StatusCode::OK, "{n}");
        assert!(!r.text.contains("<script>"), "{n}");
        let m = b
            .get_with(
                "/metrics",
                &[("authorization", "Bearer test-metrics-token")],
            )
            .await
            .text;
        assert!(
            m.contains("motcua_http_responses_total{class=\"5xx\"} 0"),
            "{n}: {m}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_path_parameters_are_client_errors() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let op = app.operator_browser().await;
        let csrf = op.get("/console").await.csrf();
        for path in [
            "/console/accounts/notanumber/lock",
            "/console/accounts/99999999999999999999999/unlock",
            "/console/accounts/-1/lock",
            "/console/jobs/abc/requeue",
        ] {
            let r = op
                .post_form(path, &[("csrf", csrf.as_str()), ("reason", "lý do hợp lệ")])
                .await;
            assert!(r.status.is_client_error(), "{n}: {path}: {}", r.status);
            assert_handled(&r, &format!("{n}: {path}"));
        }
        let r = op.get("/console/accounts/notanumber").await;
        assert_error_page(
            &r,
            StatusCode::BAD_REQUEST,
            "Dữ liệu gửi lên không hợp lệ",
            n,
        );
        let r = op.get("/console/accounts?after=abc").await;
        assert!(r.status.is_client_error(), "{n}");
        assert_handled(&r, n);
    })
    .await;
}

/// NUL characters have no use in any field, and PostgreSQL text cannot
/// hold them: they are refused up front (400), on every backend alike,
/// instead of failing in the database (500) or being stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nul_characters_in_input_are_refused() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let id = app.user("yen.lai", "Lại Hải Yến", PW).await;
        let refused = |p: &Page, what: &str| {
            assert_error_page(
                p,
                StatusCode::BAD_REQUEST,
                "Dữ liệu gửi lên không hợp lệ",
                &format!("{n}: {what}"),
            );
        };
        let b = app.browser();
        let csrf = b.get("/login").await.csrf();
        let r = b
            .post_form(
                "/login",
                &[
                    ("csrf", csrf.as_str()),
                    ("username", "yen\0lai"),
                    ("password", PW),
                ],
            )
            .await;
        refused(&r, "login username");
        let r = b
            .post_form(
                "/login",
                &[
                    ("csrf", csrf.as_str()),
                    ("username", "yen.lai"),
                    ("password", "a\0b"),
                ],
            )
            .await;
        refused(&r, "login password");
        let r = b
            .post_form(
                "/password/forgot",
                &[("csrf", csrf.as_str()), ("who", "yen.lai@example.vn\0")],
            )
            .await;
        refused(&r, "forgot");
        let r = b.get("/login?next=/account%00").await;
        refused(&r, "query");
        assert_eq!(app.drain().await, 0, "{n}: a reset mail was queued");

        assert!(b.login("yen.lai", PW).await.redirects_to("/"), "{n}");
        let r = b
            .submit("/account/report", "/account/report", &[("note", "ai đó\0")])
            .await;
        refused(&r, "report note");
        assert!(b.logged_in().await, "{n}: the refused report was acted on");

        let op = app.operator_browser().await;
        let r = op.get("/console/accounts?q=%00").await;
        refused(&r, "search");
        let page = format!("/console/accounts/{id}");
        let r = op
            .submit(
                &page,
                &format!("{page}/lock"),
                &[("reason", "lý do\0 khóa")],
            )
            .await;
        refused(&r, "lock reason");
        assert_eq!(
            app.account(id).await.status,
            motcua_domain::AccountStatus::Active,
            "{n}"
        );
        // Other control characters are just text.
        let r = op.get("/console/accounts?q=%01%1F").await;
        assert_eq!(r.status, StatusCode::OK, "{n}");
        let m = b
            .get_with(
                "/metrics",
                &[("authorization", "Bearer test-metrics-token")],
            )
            .await
            .text;
        assert!(
            m.contains("motcua_http_responses_total{class=\"5xx\"} 0"),
            "{n}: {m}"
        );
    })
    .await;
}

/// Every error of an `/api/` route is an RFC 9457 problem document in the
/// caller's language — unknown routes and wrong methods too, not only the
/// handlers' own problems.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_errors_are_problem_documents() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let http = reqwest::Client::new();
        let call = |method: reqwest::Method, path: &str, lang: &str| {
            http.request(method, format!("{}{path}", app.base()))
                .header("accept-language", lang)
                .send()
        };
        for (method, path, lang, status, kind, title) in [
            (
                reqwest::Method::GET,
                "/api/v1/khong-co",
                "en",
                StatusCode::NOT_FOUND,
                "not-found",
                "does not exist",
            ),
            (
                reqwest::Method::GET,
                "/api/khong-co",
                "vi",
                StatusCode::NOT_FOUND,
                "not-found",
                "Không tìm thấy",
            ),
            (
                reqwest::Method::DELETE,
                "/api/v1/me",
                "en",
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "not supported",
            ),
            // The handler's own problem passes through unchanged.
            (
                reqwest::Method::GET,
                "/api/v1/me",
                "en",
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "token is required",
            ),
        ] {
            let r = call(method.clone(), path, lang).await.expect("request");
            let what = format!("{n}: {method} {path}");
            assert_eq!(r.status(), status, "{what}");
            assert_eq!(
                r.headers()["content-type"],
                "application/problem+json",
                "{what}"
            );
            let body: serde_json::Value = r.json().await.expect("json");
            assert_eq!(body["type"], format!("urn:motcua:problem:{kind}"), "{what}");
            assert_eq!(body["status"], status.as_u16(), "{what}");
            assert!(
                body["title"].as_str().unwrap_or("").contains(title),
                "{what}: {body}"
            );
        }
    })
    .await;
}
