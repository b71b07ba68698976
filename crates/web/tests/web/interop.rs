//! Issue #12 §2 (R-PS-13, R-PS-15): the interop API for provincial and
//! ministry systems. A province's one-stop system, with a
//! client-credentials token, pushes a dossier with its progress; its
//! applicant sees it in "my dossiers" (also when their account comes
//! later); retries with the same Idempotency-Key do nothing twice;
//! another system can neither read nor take it; every mistake is an RFC
//! 9457 problem naming the field; calls are logged and rate-limited.
use crate::dossiers::{between, seeded, PW};
use crate::handling::{set_clock, vn};
use crate::helpers::*;
use base64::Engine;
use motcua_domain::Role;
use motcua_identity::service::NewAccountInput;
use reqwest::StatusCode;
use serde_json::{json, Value};

const CODE: &str = "000.00.12.H29-261208-0001";

async fn register(op: &Browser, id: &str, agency: &str, scopes: &[&str]) -> String {
    let page = op.get("/console/sso").await;
    let csrf = page.csrf();
    let mut f = vec![
        ("client_id", id),
        ("name", "Hệ thống một cửa"),
        ("kind", "system"),
        ("agency_code", agency),
        ("max_level", "1"),
        ("csrf", &csrf),
    ];
    for s in scopes {
        f.push(("scopes", s));
    }
    let r = op.post_form("/console/sso", &f).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    between(&r.text, "<code>", "</code>")
}

async fn token(app: &App, id: &str, secret: &str, scope: &str) -> String {
    let r = reqwest::Client::new()
        .post(format!("{}/api/oidc/token", app.base()))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials"), ("scope", scope)])
        .send()
        .await
        .expect("token");
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.expect("json");
    v["access_token"]
        .as_str()
        .expect("access token")
        .to_string()
}

/// A call: status, headers, JSON body.
async fn call(
    app: &App,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    key: Option<&str>,
    body: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut r = reqwest::Client::new()
        .request(method, format!("{}{path}", app.base()))
        .header("accept-language", "vi");
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(k) = key {
        r = r.header("idempotency-key", k);
    }
    if let Some(b) = body {
        r = r
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let r = r.send().await.expect("call");
    let status = r.status();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap_or_default();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

fn pushed(applicant_id: &str, status: i64) -> Value {
    json!({
        "procedure": "1.001193",
        "agency": "H29.P01",
        "channel": 1,
        "applicant_name": "Nguyễn Văn Bình",
        "applicant_id": applicant_id,
        "received_at": "2026-12-08T08:30:00+07:00",
        "appointment_at": "2026-12-10T16:00:00+07:00",
        "status": status,
        "digitized": true,
        "documents": [{"code": "TK-KS", "digitized": true, "reused": false}],
        "fees": [{"name": "Lệ phí đăng ký khai sinh", "amount": 0, "paid": true}],
        "progress": [
            {"handler": "Trần Thị Hoa", "position": "Công chức một cửa", "department": "Bộ phận một cửa phường Hoàn Kiếm",
             "at": "2026-12-08T08:30:00+07:00", "content": "Tiếp nhận hồ sơ", "status": 2},
            {"handler": "Lê Văn Nam", "position": "Công chức tư pháp - hộ tịch", "department": "UBND phường Hoàn Kiếm",
             "at": "2026-12-08T10:00:00+07:00", "content": "Đang thẩm định", "status": status,
             "due_at": "2026-12-10T16:00:00+07:00"}
        ]
    })
}

fn kind(v: &Value) -> &str {
    v["type"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn provincial_systems_push_dossiers_their_applicants_see() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        seeded(&app).await;
        // The pushes below happened on 8 December 2026.
        set_clock(&app, vn(2026, 12, 8, 11, 0));
        let op = app.operator_browser().await;
        let hanoi = register(&op, "mot-cua.hanoi", "H29", &["dossiers", "statistics"]).await;
        let btp = register(&op, "he-thong.btp", "G01", &["dossiers"]).await;
        let t = token(&app, "mot-cua.hanoi", &hanoi, "dossiers").await;
        let other = token(&app, "he-thong.btp", &btp, "dossiers").await;
        let stats_only = token(&app, "mot-cua.hanoi", &hanoi, "statistics").await;

        // The applicant has an account with a verified personal ID.
        let (binh, _) = app
            .create(NewAccountInput {
                username: "nguyenvanbinh".into(),
                full_name: "Nguyễn Văn Bình".into(),
                email: Some("binh@example.vn".into()),
                personal_id: Some("001090000123".into()),
                roles: vec![Role::Citizen],
                initial_password: Some(PW.into()),
                permanent: true,
                ..Default::default()
            })
            .await;
        let path = format!("/api/v1/sync/dossiers/{CODE}");
        let body = pushed("001090000123", 4).to_string();
        use reqwest::Method as M;

        // Who may call.
        let (s, h, p) = call(&app, M::PUT, &path, None, Some("k-1"), Some(&body)).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{n}");
        assert!(h[reqwest::header::WWW_AUTHENTICATE].to_str().unwrap().starts_with("Bearer"));
        assert_eq!(h[reqwest::header::CONTENT_TYPE], "application/problem+json", "{n}");
        assert_eq!(kind(&p), "urn:motcua:problem:unauthorized", "{n}");
        let (s, _, p) = call(&app, M::PUT, &path, Some("not.a.token"), Some("k-1"), Some(&body)).await;
        assert_eq!((s, kind(&p)), (StatusCode::UNAUTHORIZED, "urn:motcua:problem:invalid-token"), "{n}");
        let (s, _, p) = call(&app, M::PUT, &path, Some(&stats_only), Some("k-1"), Some(&body)).await;
        assert_eq!((s, kind(&p)), (StatusCode::FORBIDDEN, "urn:motcua:problem:insufficient-scope"), "{n}");
        let (s, _, p) = call(&app, M::PUT, &path, Some(&t), None, Some(&body)).await;
        assert_eq!((s, kind(&p)), (StatusCode::BAD_REQUEST, "urn:motcua:problem:idempotency-key-missing"), "{n}");

        // Pushed: created, with its two progress entries.
        let (s, h, v) = call(&app, M::PUT, &path, Some(&t), Some("k-1"), Some(&body)).await;
        assert_eq!(s, StatusCode::CREATED, "{n}: {v}");
        assert_eq!((v["created"].as_bool(), v["entries_added"].as_i64()), (Some(true), Some(2)), "{n}");
        assert!(h.get("idempotent-replayed").is_none(), "{n}");
        // A retry: the same answer, nothing done twice.
        let (s, h, v2) = call(&app, M::PUT, &path, Some(&t), Some("k-1"), Some(&body)).await;
        assert_eq!((s, &v2), (StatusCode::CREATED, &v), "{n}");
        assert_eq!(h["idempotent-replayed"], "true", "{n}");
        let mut c = app.conn().await;
        assert_eq!(scalar(&mut c, &format!("SELECT COUNT(*) FROM dossiers WHERE code = '{CODE}'")).await, 1, "{n}");
        let events = format!("SELECT COUNT(*) FROM dossier_events e JOIN dossiers d ON d.id = e.dossier_id WHERE d.code = '{CODE}'");
        assert_eq!(scalar(&mut c, &events).await, 2, "{n}");
        // The same key for another request.
        let other_body = pushed("001090000123", 5).to_string();
        let (s, _, p) = call(&app, M::PUT, &path, Some(&t), Some("k-1"), Some(&other_body)).await;
        assert_eq!((s, kind(&p)), (StatusCode::UNPROCESSABLE_ENTITY, "urn:motcua:problem:idempotency-key-reused"), "{n}");

        // The applicant sees it with the others, and is told.
        let b = app.browser();
        assert_eq!(b.login("nguyenvanbinh", PW).await.status, StatusCode::SEE_OTHER, "{n}");
        let list = b.get("/account/dossiers").await;
        assert!(list.text.contains(CODE), "{n}: in my dossiers");
        let page = b.get(&format!("/account/dossiers/{CODE}")).await;
        assert_eq!(page.status, StatusCode::OK, "{n}");
        assert!(page.text.contains("id=\"pushed\""), "{n}");
        assert!(page.text.contains("Đang thẩm định") && page.text.contains("Lê Văn Nam"), "{n}: the progress");
        assert!(page.text.contains("UBND phường Hoàn Kiếm"), "{n}");
        assert!(page.text.contains("TK-KS"), "{n}: documents");
        assert!(!page.text.contains("id=\"withdraw\"") && !page.text.contains("id=\"receipt\""), "{n}: acted on there");
        assert_eq!(b.get(&format!("/account/dossiers/{CODE}/receipt.pdf")).await.status, StatusCode::NOT_FOUND, "{n}");
        let inbox = b.get("/account/notifications").await;
        assert!(inbox.text.contains(CODE), "{n}: notified");

        // Progress later: the newest entry's status; the same entry twice is kept once.
        let progress = json!({"entries": [
            {"handler": "Lê Văn Nam", "at": "2026-12-09T09:00:00+07:00", "content": "Đã ký Giấy khai sinh", "status": 9}
        ]})
        .to_string();
        let ppath = format!("{path}/progress");
        let (s, _, v) = call(&app, M::POST, &ppath, Some(&t), Some("k-2"), Some(&progress)).await;
        assert_eq!((s, v["entries_added"].as_i64()), (StatusCode::OK, Some(1)), "{n}: {v}");
        let (s, _, v) = call(&app, M::POST, &ppath, Some(&t), Some("k-3"), Some(&progress)).await;
        assert_eq!((s, v["entries_added"].as_i64()), (StatusCode::OK, Some(0)), "{n}: {v}");
        let (s, _, v) = call(&app, M::GET, &path, Some(&t), None, None).await;
        assert_eq!(s, StatusCode::OK, "{n}");
        assert_eq!((v["status"].as_i64(), v["entries"].as_i64()), (Some(9), Some(3)), "{n}: {v}");
        assert_eq!(v["applicant_has_account"].as_bool(), Some(true), "{n}");
        // A replacement with a result.
        let mut full = pushed("001090000123", 10);
        full["results"] = json!([{"title": "Giấy khai sinh", "number": "123/2026", "issued_at": "2026-12-09T09:00:00+07:00"}]);
        let (s, _, v) = call(&app, M::PUT, &path, Some(&t), Some("k-4"), Some(&full.to_string())).await;
        assert_eq!((s, v["created"].as_bool()), (StatusCode::OK, Some(false)), "{n}: {v}");
        let page = b.get(&format!("/account/dossiers/{CODE}")).await;
        assert!(page.text.contains("123/2026"), "{n}: the result");
        assert!(page.text.contains("Đã trả kết quả"), "{n}: the status pushed");

        // Another system: cannot read it, take its code, or push outside its agency.
        let (s, _, _) = call(&app, M::GET, &path, Some(&other), None, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{n}");
        let (s, _, p) = call(&app, M::PUT, &path, Some(&other), Some("o-1"), Some(&body)).await;
        assert_eq!((s, kind(&p)), (StatusCode::FORBIDDEN, "urn:motcua:problem:forbidden"), "{n}: H29.P01 is not under G01");
        let mut theirs = pushed("001090000123", 4);
        theirs["agency"] = json!("G01");
        let (s, _, p) = call(&app, M::PUT, &path, Some(&other), Some("o-2"), Some(&theirs.to_string())).await;
        assert_eq!((s, kind(&p)), (StatusCode::CONFLICT, "urn:motcua:problem:conflict"), "{n}: the code is taken");
        let (s, _, _) = call(&app, M::POST, &ppath, Some(&other), Some("o-3"), Some(&progress)).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{n}");
        // A citizen of another dossier cannot open it.
        let (_, eve) = crate::dossiers::citizen(&app, "eve.citizen", "Eve").await;
        assert_eq!(eve.get(&format!("/account/dossiers/{CODE}")).await.status, StatusCode::NOT_FOUND, "{n}");

        // Mistakes: each a problem naming the field; nothing kept.
        let bad = |f: &dyn Fn(&mut Value)| {
            let mut v = pushed("001090000999", 4);
            f(&mut v);
            v.to_string()
        };
        let cases: Vec<(String, &str)> = vec![
            (bad(&|v| v["procedure"] = json!("9.999999")), "procedure"),
            (bad(&|v| v["agency"] = json!("NOPE")), "agency"),
            (bad(&|v| v["channel"] = json!(7)), "channel"),
            (bad(&|v| v["status"] = json!(11)), "status"),
            (bad(&|v| v["applicant_name"] = json!("Bình\u{0007}")), "applicant_name"),
            (bad(&|v| v["applicant_id"] = json!("x")), "applicant_id"),
            (bad(&|v| v["received_at"] = json!("08/12/2026")), "received_at"),
            (bad(&|v| v["received_at"] = json!("2027-06-01T08:00:00+07:00")), "received_at"),
            (bad(&|v| v["appointment_at"] = json!("2026-12-01T08:00:00+07:00")), "appointment_at"),
            (bad(&|v| v["progress"][0]["status"] = json!(0)), "progress"),
            (bad(&|v| v["fees"][0]["amount"] = json!(-5)), "fees"),
        ];
        let p2 = "/api/v1/sync/dossiers/000.00.12.H29-261208-0002";
        for (i, (b, field)) in cases.iter().enumerate() {
            let (s, h, p) = call(&app, M::PUT, p2, Some(&t), Some(&format!("bad-{i}")), Some(b)).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{n}: {field}: {p}");
            assert_eq!(h[reqwest::header::CONTENT_TYPE], "application/problem+json", "{n}");
            assert_eq!(p["field"].as_str(), Some(*field), "{n}: {p}");
            assert!(!p["detail"].as_str().unwrap_or_default().is_empty(), "{n}: {p}");
        }
        for (i, b) in ["{", "[]", "{\"procedure\": 1}", &bad(&|v| v["extra"] = json!(1))].iter().enumerate() {
            let (s, _, p) = call(&app, M::PUT, p2, Some(&t), Some(&format!("json-{i}")), Some(b)).await;
            assert_eq!((s, kind(&p)), (StatusCode::BAD_REQUEST, "urn:motcua:problem:bad-json"), "{n}: {b}");
        }
        let (s, _, p) = call(&app, M::PUT, "/api/v1/sync/dossiers/short", Some(&t), Some("c-1"), Some(&body)).await;
        assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("code")), "{n}");
        let (s, _, p) = call(&app, M::PUT, p2, Some(&t), Some(&"k".repeat(300)), Some(&body)).await;
        assert_eq!((s, kind(&p)), (StatusCode::BAD_REQUEST, "urn:motcua:problem:idempotency-key-invalid"), "{n}");
        assert_eq!(
            scalar(&mut c, "SELECT COUNT(*) FROM dossiers WHERE code LIKE '%0002' OR code = 'short'").await,
            0,
            "{n}: nothing kept"
        );

        // Pushed before its applicant has an account: theirs when they have one.
        let p3 = "/api/v1/sync/dossiers/000.00.12.H29-261208-0003";
        let (s, _, _) = call(&app, M::PUT, p3, Some(&t), Some("later-1"), Some(&pushed("001090000456", 2).to_string())).await;
        assert_eq!(s, StatusCode::CREATED, "{n}");
        let (_, _, v) = call(&app, M::GET, p3, Some(&t), None, None).await;
        assert_eq!(v["applicant_has_account"].as_bool(), Some(false), "{n}");
        app.create(NewAccountInput {
            username: "tranthicuc".into(),
            full_name: "Trần Thị Cúc".into(),
            email: Some("cuc@example.vn".into()),
            personal_id: Some("001090000456".into()),
            roles: vec![Role::Citizen],
            initial_password: Some(PW.into()),
            permanent: true,
            ..Default::default()
        })
        .await;
        let cuc = app.browser();
        assert_eq!(cuc.login("tranthicuc", PW).await.status, StatusCode::SEE_OTHER, "{n}");
        assert!(cuc.get("/account/dossiers").await.text.contains("000.00.12.H29-261208-0003"), "{n}: adopted");
        assert!(!cuc.get("/account/dossiers").await.text.contains(CODE), "{n}: not another's");
        let (_, _, v) = call(&app, M::GET, p3, Some(&t), None, None).await;
        assert_eq!(v["applicant_has_account"].as_bool(), Some(true), "{n}");

        // Every call is logged; every change audited under the client.
        let logged = scalar(&mut c, "SELECT COUNT(*) FROM interop_calls WHERE client_id = 'mot-cua.hanoi'").await;
        assert!(logged >= 20, "{n}: {logged} calls logged");
        let audited = scalar(&mut c, "SELECT COUNT(*) FROM audit_log WHERE actor = 'client:mot-cua.hanoi' AND action LIKE 'dossier.push%'").await;
        assert_eq!(audited, 5, "{n}: create, progress ×2, replace, later push");
        let _ = binh;
    })
    .await;
}

#[tokio::test]
async fn a_system_is_held_to_its_calls_a_minute() {
    each_backend(|db| async move {
        let app = spawn_app_with(
            db,
            Opts {
                interop: Some(motcua_interop::Config {
                    per_minute: 3,
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await;
        let n = app.name();
        seeded(&app).await;
        let op = app.operator_browser().await;
        let secret = register(&op, "mot-cua.hanoi", "H29", &["dossiers"]).await;
        let t = token(&app, "mot-cua.hanoi", &secret, "dossiers").await;
        let path = format!("/api/v1/sync/dossiers/{CODE}");
        for _ in 0..3 {
            let (s, _, _) = call(&app, reqwest::Method::GET, &path, Some(&t), None, None).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{n}");
        }
        let (s, h, p) = call(&app, reqwest::Method::GET, &path, Some(&t), None, None).await;
        assert_eq!(
            (s, kind(&p)),
            (
                StatusCode::TOO_MANY_REQUESTS,
                "urn:motcua:problem:too-many-requests"
            ),
            "{n}"
        );
        let wait: i64 = h[reqwest::header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&wait), "{n}: {wait}");
        // The next minute: allowed again.
        app.advance(61_000);
        let t = token(&app, "mot-cua.hanoi", &secret, "dossiers").await;
        let (s, _, _) = call(&app, reqwest::Method::GET, &path, Some(&t), None, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{n}");
    })
    .await;
}

/// A PDF the ministry's system returns (begins and ends like one).
const RESULT_PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_window_dossiers_go_to_the_ministry_system_and_back() {
    if !crate::events::receiver_available() {
        return;
    }
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        seeded(&app).await;
        // The receiver checks the signature's timestamp against its own
        // clock: this test keeps the real time.
        let op = app.operator_browser().await;
        // The ministry's system: a webhook receiver (verifying signatures
        // with the standardwebhooks package) and its API client.
        let rx = crate::events::Receiver::start(0);
        let (_, whsec) =
            crate::events::register(&app, &op, "btp-hotich", &rx.url(), &["account.created"]).await;
        rx.control(json!({ "secret": whsec })).await;
        let secret = register(&op, "he-thong.btp", "G01", &["dossiers"]).await;
        let other_secret = register(&op, "mot-cua.hanoi", "H29", &["dossiers"]).await;

        // The operator routes birth registration to it; mistakes said.
        let page = op.get("/console/routes").await;
        assert_eq!(page.status, StatusCode::OK, "{n}");
        assert!(page.text.contains("id=\"routes-none\""), "{n}");
        for (fields, expect) in [
            ([("procedure", "1.001193"), ("system_code", "nope"), ("client_id", "he-thong.btp")], "hệ thống chuyên ngành"),
            ([("procedure", "9.999999"), ("system_code", "btp-hotich"), ("client_id", "he-thong.btp")], "Không có thủ tục"),
            ([("procedure", "1.001193"), ("system_code", "btp-hotich"), ("client_id", "nope")], "ứng dụng hệ thống"),
        ] {
            let r = op.submit("/console/routes", "/console/routes", &fields).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}: {fields:?}");
            assert!(r.text.contains(expect), "{n}: {expect}");
        }
        let r = op
            .submit(
                "/console/routes",
                "/console/routes",
                &[("procedure", "1.001193"), ("system_code", "btp-hotich"), ("client_id", "he-thong.btp")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        assert!(op.get("/console/routes").await.text.contains("data-procedure=\"1.001193\""), "{n}");

        // A declarant submits as usual.
        let (_, b) = crate::dossiers::citizen(&app, "nguyenthian", "Nguyễn Thị An").await;
        let born = (time::OffsetDateTime::now_utc() - time::Duration::days(10)).date();
        let id = crate::handling::fill_birth_on(&b, &born.to_string()).await;
        let code = crate::handling::submit_draft(&app, &b, &id).await;
        let page = b.get(&format!("/account/dossiers/{code}")).await;
        assert!(page.text.contains("id=\"forwarded\""), "{n}: said where it went");
        // The agency here never sees it.
        let mut c = app.conn().await;
        let handled_by: String = sqlx::query_scalar("SELECT handled_by FROM dossiers WHERE code = $1")
            .bind(&code)
            .fetch_one(&mut *c)
            .await
            .unwrap();
        assert_eq!(handled_by, "he-thong.btp", "{n}");
        assert!(
            motcua_dossiers::progress::awaiting(app.state(), "H29.P01", (i64::MIN, i64::MIN), 50)
                .await
                .unwrap()
                .iter()
                .all(|d| d.code != code),
            "{n}: not on the ward's board"
        );

        // Delivered, signed, to that system only.
        assert!(crate::events::drain(&app).await >= 1, "{n}");
        let got = rx.acknowledged().await;
        let forwarded: Vec<_> = got.iter().filter(|(_, t, _)| t == "dossier.forwarded").collect();
        assert_eq!(forwarded.len(), 1, "{n}: {got:?}");
        let data = &forwarded[0].2["data"];
        assert_eq!(data["code"].as_str(), Some(code.as_str()), "{n}");
        assert_eq!(data["procedure"]["code"].as_str(), Some("1.001193"), "{n}");
        assert_eq!(data["answers"]["child_name"].as_str(), Some("Trần Minh Khôi"), "{n}");
        let file_url = data["files"][0]["url"].as_str().expect("a file").to_string();

        // The system reads it and its file with its token; others cannot.
        let t = token(&app, "he-thong.btp", &secret, "dossiers").await;
        let other = token(&app, "mot-cua.hanoi", &other_secret, "dossiers").await;
        let fpath = format!("/api/v1/sync/forwarded/{code}");
        let (s, _, v) = call(&app, reqwest::Method::GET, &fpath, Some(&t), None, None).await;
        assert_eq!((s, v["status"].as_i64()), (StatusCode::OK, Some(1)), "{n}: {v}");
        let (s, _, _) = call(&app, reqwest::Method::GET, &fpath, Some(&other), None, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{n}: another system");
        let file_path = file_url.split_once("/api/").map(|(_, p)| format!("/api/{p}")).unwrap();
        let r = reqwest::Client::new()
            .get(format!("{}{file_path}", app.base()))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{n}");
        assert!(r.bytes().await.unwrap().starts_with(b"%PDF"), "{n}");
        let r = reqwest::Client::new()
            .get(format!("{}{file_path}", app.base()))
            .bearer_auth(&other)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{n}");

        // It answers: accepted, then done with a result.
        let apath = format!("{fpath}/answers");
        let accepted = json!({"status": 2, "note": "Hồ sơ hợp lệ", "appointment_at": (time::OffsetDateTime::now_utc() + time::Duration::days(5)).format(&time::format_description::well_known::Rfc3339).unwrap()}).to_string();
        let (s, _, v) = call(&app, reqwest::Method::POST, &apath, Some(&t), Some("a-1"), Some(&accepted)).await;
        assert_eq!((s, v["changed"].as_bool()), (StatusCode::OK, Some(true)), "{n}: {v}");
        let (s, _, v) = call(&app, reqwest::Method::POST, &apath, Some(&t), Some("a-1"), Some(&accepted)).await;
        assert_eq!((s, v["changed"].as_bool()), (StatusCode::OK, Some(true)), "{n}: the replay");
        let (s, _, p) = call(&app, reqwest::Method::POST, &apath, Some(&t), Some("a-2"), Some(&json!({"status": 5}).to_string())).await;
        assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("status")), "{n}");
        let (s, _, _) = call(&app, reqwest::Method::POST, &apath, Some(&other), Some("a-3"), Some(&accepted)).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{n}: another system");
        let rpath = format!("{fpath}/results");
        let result = json!({
            "title": "Trích lục khai sinh",
            "file_name": "trich-luc-khai-sinh.pdf",
            "content": base64::engine::general_purpose::STANDARD.encode(RESULT_PDF),
        })
        .to_string();
        let (s, _, v) = call(&app, reqwest::Method::POST, &rpath, Some(&t), Some("r-1"), Some(&result)).await;
        assert_eq!((s, v["added"].as_bool()), (StatusCode::CREATED, Some(true)), "{n}: {v}");
        let not_pdf = json!({"title": "X", "file_name": "x.exe", "content": base64::engine::general_purpose::STANDARD.encode(b"MZ\x90\x00")}).to_string();
        let (s, _, p) = call(&app, reqwest::Method::POST, &rpath, Some(&t), Some("r-2"), Some(&not_pdf)).await;
        assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("content")), "{n}");
        let done = json!({"status": 9, "note": "Đã cấp trích lục"}).to_string();
        let (s, _, _) = call(&app, reqwest::Method::POST, &apath, Some(&t), Some("a-4"), Some(&done)).await;
        assert_eq!(s, StatusCode::OK, "{n}");

        // The declarant sees it as if handled here, and downloads the result.
        let page = b.get(&format!("/account/dossiers/{code}")).await;
        assert!(page.text.contains("Hồ sơ hợp lệ") && page.text.contains("Bộ Tư pháp"), "{n}: the timeline");
        assert!(page.text.contains("Đã có kết quả"), "{n}: status 9");
        let link = between(&page.text, "<ul id=\"forwarded-results\"><li><a href=\"", "\"");
        let r = b.get(&link).await;
        assert_eq!(r.status, StatusCode::OK, "{n}");
        assert!(r.text.starts_with("%PDF"), "{n}: the result downloaded");
        let inbox = b.get("/account/notifications").await;
        assert!(inbox.text.contains("có kết quả giải quyết để tải về"), "{n}");
        // Closed: a later answer is a conflict.
        let (s, _, _) = call(&app, reqwest::Method::POST, &apath, Some(&t), Some("a-5"), Some(&json!({"status": 10}).to_string())).await;
        assert_eq!(s, StatusCode::OK, "{n}: returned");
        let (s, _, p) = call(&app, reqwest::Method::POST, &apath, Some(&t), Some("a-6"), Some(&json!({"status": 4}).to_string())).await;
        assert_eq!((s, kind(&p)), (StatusCode::CONFLICT, "urn:motcua:problem:conflict"), "{n}");
        let audited = scalar(&mut c, "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'dossier.forwarded_%'").await;
        assert_eq!(audited, 4, "{n}: accepted, result, done, returned");
    })
    .await;
}

#[tokio::test]
async fn ministries_sync_their_catalog_and_pull_statistics() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        seeded(&app).await;
        let op = app.operator_browser().await;
        let btc = register(&op, "he-thong.btc", "G04", &["catalog", "statistics"]).await;
        let hanoi = register(&op, "mot-cua.hanoi", "H29", &["catalog", "statistics"]).await;
        let t = token(&app, "he-thong.btc", &btc, "catalog statistics").await;
        let h = token(&app, "mot-cua.hanoi", &hanoi, "catalog statistics").await;
        use reqwest::Method as M;

        // Read in the national format.
        let (s, _, all) = call(
            &app,
            M::GET,
            "/api/v1/sync/catalog/procedures",
            Some(&t),
            None,
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{n}");
        assert!(
            all.as_array()
                .is_some_and(|a| a.len() >= 40 && a.iter().all(|p| p["MaTTHC"].is_string())),
            "{n}"
        );
        let (s, _, agencies) = call(
            &app,
            M::GET,
            "/api/v1/sync/catalog/agencies",
            Some(&t),
            None,
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{n}");
        assert!(
            agencies
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["code"] == "H29.P01" && a["parent"] == "H29"),
            "{n}"
        );
        let path = "/api/v1/sync/catalog/procedures/1.009627";
        let (s, _, mut record) = call(&app, M::GET, path, Some(&t), None, None).await;
        assert_eq!(
            (s, record["MaTTHC"].as_str()),
            (StatusCode::OK, Some("1.009627")),
            "{n}"
        );
        assert_eq!(
            call(
                &app,
                M::GET,
                "/api/v1/sync/catalog/procedures/9.999999",
                Some(&t),
                None,
                None
            )
            .await
            .0,
            StatusCode::NOT_FOUND,
            "{n}"
        );

        // The owning ministry publishes a new version; the same again changes nothing.
        record["TENTTHC"] = json!("Thủ tục do Bộ Tài chính cập nhật qua API");
        let body = record.to_string();
        let (s, _, v) = call(&app, M::PUT, path, Some(&t), Some("c-1"), Some(&body)).await;
        assert_eq!(
            (s, v["created"].as_bool()),
            (StatusCode::CREATED, Some(true)),
            "{n}: {v}"
        );
        let (s, _, v) = call(&app, M::PUT, path, Some(&t), Some("c-2"), Some(&body)).await;
        assert_eq!(
            (s, v["created"].as_bool()),
            (StatusCode::OK, Some(false)),
            "{n}: {v}"
        );
        let page = app.browser().get("/procedures/1.009627").await;
        assert!(
            page.text
                .contains("Thủ tục do Bộ Tài chính cập nhật qua API"),
            "{n}: published"
        );
        // Another's procedure, a changed code, a bad record.
        let (s, _, p) = call(&app, M::PUT, path, Some(&h), Some("c-3"), Some(&body)).await;
        assert_eq!(
            (s, kind(&p)),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "urn:motcua:problem:invalid"
            ),
            "{n}: {p}"
        );
        assert_eq!(
            p["problems"][0]["path"].as_str(),
            Some("COQUANCOTHAMQUYEN"),
            "{n}"
        );
        let mut hanoi_claims = record.clone();
        hanoi_claims["COQUANTHUCHIEN"] =
            json!([{"MADONVI": "H29", "TENDONVI": "UBND Thành phố Hà Nội"}]);
        let (s, _, p) = call(
            &app,
            M::PUT,
            path,
            Some(&h),
            Some("c-4"),
            Some(&hanoi_claims.to_string()),
        )
        .await;
        assert_eq!(
            (s, kind(&p)),
            (StatusCode::FORBIDDEN, "urn:motcua:problem:forbidden"),
            "{n}: taking G04's procedure"
        );
        let (s, _, p) = call(
            &app,
            M::PUT,
            "/api/v1/sync/catalog/procedures/1.009628",
            Some(&t),
            Some("c-5"),
            Some(&body),
        )
        .await;
        assert_eq!(
            (s, p["problems"][0]["path"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("MaTTHC")),
            "{n}"
        );
        let (s, _, p) = call(
            &app,
            M::PUT,
            path,
            Some(&t),
            Some("c-6"),
            Some("{\"MaTTHC\": 5}"),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{n}: {p}");
        assert!(
            p["problems"].as_array().is_some_and(|a| !a.is_empty()),
            "{n}"
        );
        // Without the catalog scope.
        let stats_only = token(&app, "he-thong.btc", &btc, "statistics").await;
        assert_eq!(
            call(&app, M::GET, path, Some(&stats_only), None, None)
                .await
                .0,
            StatusCode::FORBIDDEN,
            "{n}"
        );

        // Statistics of its own agencies only.
        let (s, _, v) = call(
            &app,
            M::GET,
            "/api/v1/sync/statistics/progress?period=2026",
            Some(&h),
            None,
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{n}: {v}");
        assert!(v.is_object(), "{n}");
        let (s, _, _) = call(
            &app,
            M::GET,
            "/api/v1/sync/statistics/progress?period=2026&scope=H29.P01",
            Some(&h),
            None,
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{n}");
        let (s, _, p) = call(
            &app,
            M::GET,
            "/api/v1/sync/statistics/progress?period=2026&scope=G04",
            Some(&h),
            None,
            None,
        )
        .await;
        assert_eq!(
            (s, kind(&p)),
            (StatusCode::FORBIDDEN, "urn:motcua:problem:forbidden"),
            "{n}"
        );
        let (s, _, p) = call(
            &app,
            M::GET,
            "/api/v1/sync/statistics/progress?period=nope",
            Some(&h),
            None,
            None,
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{n}: {p}");
        assert_eq!(p["status"].as_i64(), Some(400), "{n}: a problem document");
        let mut c = app.conn().await;
        assert_eq!(
            scalar(
                &mut c,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'catalog.sync'"
            )
            .await,
            1,
            "{n}"
        );
    })
    .await;
}

/// Every `/api/v1` route the router declares (read from the sources).
fn api_routes() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/pages");
    let mut found = Vec::new();
    for f in std::fs::read_dir(&dir).unwrap() {
        let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
        let mut rest = text.as_str();
        while let Some(at) = rest.find(".route(") {
            rest = &rest[at + 7..];
            let t = rest.trim_start();
            if let Some(lit) = t.strip_prefix('"') {
                let path = &lit[..lit.find('"').unwrap()];
                if path.starts_with("/api/v1/") {
                    found.push(path.to_string());
                }
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

#[tokio::test]
async fn the_api_is_described_by_its_openapi_document() {
    let app = spawn_app(Db::sqlite().await).await;
    let doc: Value = reqwest::get(format!("{}/api/v1/openapi.json", app.base()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"].as_str(), Some("3.1.0"));
    let paths = doc["paths"].as_object().unwrap();
    let routes = api_routes();
    assert!(routes.len() >= 20, "{routes:?}");
    let missing: Vec<_> = routes.iter().filter(|r| !paths.contains_key(*r)).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the document: {missing:?}"
    );
    let extra: Vec<_> = paths.keys().filter(|p| !routes.contains(p)).collect();
    assert!(extra.is_empty(), "documented but not routed: {extra:?}");
    // Every operation documents its problems; every write its key.
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let content = &op["responses"]["default"]["content"];
            if path != "/api/v1/openapi.json" {
                assert!(
                    content["application/problem+json"].is_object(),
                    "{method} {path}: no problem documented"
                );
            }
            if path.starts_with("/api/v1/sync/") && (method == "put" || method == "post") {
                let params = op["parameters"].as_array().unwrap();
                assert!(
                    params
                        .iter()
                        .any(|p| p["name"] == "Idempotency-Key" && p["required"] == true),
                    "{method} {path}: no Idempotency-Key"
                );
            }
        }
    }
    // The pushed dossier's schema is the code's (deny unknown members).
    let pushed = &doc["components"]["schemas"]["PushedDossier"];
    assert_eq!(pushed["additionalProperties"], false, "{pushed}");
    assert!(pushed["required"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r == "applicant_id"));
    // The reference page, rendered by the portal.
    let page = app.browser().get("/developers/api").await;
    assert_eq!(page.status, StatusCode::OK);
    for r in &routes {
        assert!(
            page.text.contains(r.as_str()),
            "{r} not on the reference page"
        );
    }
    assert!(!page.text.contains("<script src=\"http"), "no CDN");
}
