//! Issue #8, part 1: the procedure catalog's public pages and open-data
//! API (R-PS-1, R-PS-2) on the demo catalog (real procedures), for every
//! visitor, with malformed input.
use crate::helpers::*;
use motcua_kernel::service::Origin;
use reqwest::StatusCode;
use serde_json::Value;

async fn seeded(app: &App) {
    let r = motcua_catalog::seed::load(app.state(), &Origin::cli())
        .await
        .expect("seed");
    assert!(
        matches!(r, motcua_catalog::service::ImportOutcome::Imported { .. }),
        "{r:?}"
    );
}

/// The code of the published procedure named exactly `name`.
fn code_of(name: &str) -> String {
    let all: Value = serde_json::from_str(motcua_catalog::seed::PROCEDURES).expect("seed json");
    all.as_array()
        .expect("array")
        .iter()
        .find(|r| r["TENTTHC"] == name)
        .and_then(|r| r["MaTTHC"].as_str())
        .unwrap_or_else(|| panic!("{name} in the demo catalog"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_is_searched_and_read_by_anyone() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        seeded(&app).await;
        // Seeding again changes nothing.
        let again = motcua_catalog::seed::load(app.state(), &Origin::cli())
            .await
            .expect("seed");
        assert!(
            matches!(
                again,
                motcua_catalog::service::ImportOutcome::Imported { created: 0, .. }
            ),
            "{n}: {again:?}"
        );
        let birth = code_of("Đăng ký khai sinh");
        let anon = app.browser();
        // Typed without accents: the exact name first.
        let page = anon.get("/procedures?q=dang+ky+khai+sinh").await;
        assert_eq!(page.status, StatusCode::OK, "{n}");
        let first = page.text.find("<ol class=\"results\"").expect("results");
        let link = format!("href=\"/procedures/{birth}\"");
        let at = page.text[first..]
            .find(&link)
            .expect("birth registration listed")
            + first;
        let any = page.text[first..]
            .find("href=\"/procedures/")
            .expect("a result")
            + first;
        assert_eq!(at, any, "{n}: Đăng ký khai sinh comes first");
        // The procedure's page: what a person needs before starting.
        let p = anon.get(&format!("/procedures/{birth}")).await;
        assert_eq!(p.status, StatusCode::OK, "{n}");
        for part in [
            "<h1>Đăng ký khai sinh</h1>",
            "Thành phần hồ sơ",
            "Thời hạn giải quyết",
            "Căn cứ pháp lý",
            &birth,
        ] {
            assert!(p.text.contains(part), "{n}: {part}");
        }
        // In English too.
        let en = app.browser();
        en.get("/lang/en").await;
        let p = en.get(&format!("/procedures/{birth}")).await;
        assert!(p.text.contains("Documents to submit"), "{n}");
        // Filters and the agency pages.
        let f = anon.get("/procedures?level=central").await;
        assert_eq!(f.status, StatusCode::OK, "{n}");
        assert!(!f.text.contains(&link), "{n}: birth registration is local");
        assert_eq!(anon.get("/agencies").await.status, StatusCode::OK, "{n}");
        let h = anon.get("/agencies/H29").await;
        assert_eq!(h.status, StatusCode::OK, "{n}");
        assert!(h.text.contains("UBND Thành phố Hà Nội"), "{n}");
        assert_eq!(
            anon.get("/agencies?parent=H29").await.status,
            StatusCode::OK,
            "{n}"
        );
        // Every role reads the same pages.
        let op = app.operator_browser().await;
        assert_eq!(
            op.get(&format!("/procedures/{birth}")).await.status,
            StatusCode::OK,
            "{n}"
        );
        app.user("congdan", "Nguyễn Văn An", "Cong-Dan-2026-x")
            .await;
        let citizen = app.browser();
        citizen.login("congdan", "Cong-Dan-2026-x").await;
        assert_eq!(
            citizen.get("/procedures?q=khai+sinh").await.status,
            StatusCode::OK,
            "{n}"
        );

        // Unknown things are 404 pages in Vietnamese, never 5xx.
        for path in [
            "/procedures/9.999999",
            "/procedures/..%2F..%2Fetc",
            "/procedures/1.001%00",
            "/agencies/NOPE",
            "/agencies/H29%00",
            "/agencies?parent=NOPE",
        ] {
            let r = anon.get(path).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{n}: {path}");
        }
        // A NUL in the query string is refused before any handler.
        let r = anon.get("/agencies?parent=H%00").await;
        assert!(
            matches!(r.status, StatusCode::BAD_REQUEST | StatusCode::NOT_FOUND),
            "{n}: {}",
            r.status
        );
        let long = "a".repeat(5000);
        for q in [
            "%",
            "'",
            "\"><script>",
            "_",
            "đ",
            long.as_str(),
            "\u{1}x",
            "khai sinh ".repeat(50).as_str(),
        ] {
            let r = anon
                .get(&format!("/procedures?q={}", motcua_web::ctx::urlencode(q)))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{n}: {q:.20}");
            assert!(!r.text.contains("<script>"), "{n}: escaped");
        }
        for bad in [
            "page=abc",
            "page=-5",
            "page=99999999999999999999",
            "level=%FF",
            "field=%00",
            "agency=H29%00x",
        ] {
            let r = anon.get(&format!("/procedures?{bad}")).await;
            assert!(
                r.status.is_success() || r.status == StatusCode::BAD_REQUEST,
                "{n}: {bad}: {}",
                r.status
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_open_data_api_serves_procedures_and_agencies() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        seeded(&app).await;
        let birth = code_of("Đăng ký khai sinh");
        let anon = app.browser();
        let r = anon
            .get("/api/v1/procedures?q=dang%20ky%20khai%20sinh")
            .await;
        assert_eq!(r.status, StatusCode::OK, "{n}");
        assert!(
            r.header("content-type")
                .unwrap_or_default()
                .starts_with("application/json"),
            "{n}"
        );
        let v: Value = serde_json::from_str(&r.text).expect("json");
        assert_eq!(v["items"][0]["code"], birth.as_str(), "{n}: {v}");
        assert!(v["total"].as_i64().unwrap_or(0) >= 1, "{n}");
        // The record in the national format.
        let r = anon.get(&format!("/api/v1/procedures/{birth}")).await;
        let v: Value = serde_json::from_str(&r.text).expect("json");
        assert_eq!(v["record"]["MaTTHC"], birth.as_str(), "{n}");
        assert_eq!(v["record"]["TENTTHC"], "Đăng ký khai sinh", "{n}");
        assert_eq!(v["version"], 1, "{n}");
        // Paging: every procedure once across the pages.
        let all: Value = serde_json::from_str(motcua_catalog::seed::PROCEDURES).expect("seed");
        let count = all.as_array().expect("array").len();
        let mut seen = std::collections::BTreeSet::new();
        for page in 1..=count.div_ceil(20) {
            let r = anon.get(&format!("/api/v1/procedures?page={page}")).await;
            let v: Value = serde_json::from_str(&r.text).expect("json");
            assert_eq!(v["total"], count, "{n}");
            for it in v["items"].as_array().expect("items") {
                assert!(
                    seen.insert(it["code"].as_str().expect("code").to_string()),
                    "{n}: once"
                );
            }
        }
        assert_eq!(seen.len(), count, "{n}");
        // Filters.
        let r = anon
            .get("/api/v1/procedures?level=central&online_level=full")
            .await;
        let v: Value = serde_json::from_str(&r.text).expect("json");
        for it in v["items"].as_array().expect("items") {
            assert!(
                it["levels"]
                    .as_array()
                    .expect("levels")
                    .iter()
                    .any(|l| l == "central"),
                "{n}: {it}"
            );
            assert_eq!(it["online_level"], "full", "{n}");
        }
        // Agencies: the top, under one, a search.
        let r = anon.get("/api/v1/agencies").await;
        let v: Value = serde_json::from_str(&r.text).expect("json");
        assert!(
            v["items"]
                .as_array()
                .expect("items")
                .iter()
                .all(|a| a["parent_code"].is_null()),
            "{n}"
        );
        let r = anon.get("/api/v1/agencies?parent=H29").await;
        let v: Value = serde_json::from_str(&r.text).expect("json");
        assert!(
            v["items"]
                .as_array()
                .expect("items")
                .iter()
                .all(|a| a["parent_code"] == "H29"),
            "{n}"
        );
        let r = anon.get("/api/v1/agencies?q=hoan%20kiem").await;
        let v: Value = serde_json::from_str(&r.text).expect("json");
        assert_eq!(v["items"][0]["code"], "H29.P01", "{n}: {v}");
        // Errors are RFC 9457 problem documents, never 5xx.
        for (path, status) in [
            ("/api/v1/procedures/9.999999", StatusCode::NOT_FOUND),
            ("/api/v1/procedures?page=abc", StatusCode::BAD_REQUEST),
        ] {
            let r = anon.get(path).await;
            assert_eq!(r.status, status, "{n}: {path}");
            assert!(
                r.header("content-type")
                    .unwrap_or_default()
                    .starts_with("application/problem+json"),
                "{n}: {path}"
            );
            let v: Value = serde_json::from_str(&r.text).expect("problem json");
            assert!(
                v["title"].as_str().is_some_and(|t| t.chars().count() > 3),
                "{n}: {path}: {v}"
            );
        }
    })
    .await;
}

/// The operator's catalog console: import (problems named, nothing
/// stored), a draft visible only in the preview, publication, an edit that
/// makes a new version; every step audited; other roles get 403.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_import_preview_edit_and_publish() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let list: Vec<motcua_catalog::store::agencies::Agency> =
            serde_json::from_str(motcua_catalog::seed::AGENCIES).expect("agencies");
        motcua_catalog::service::import_agencies(app.state(), &Origin::cli(), &list)
            .await
            .expect("agencies");
        let all: Value = serde_json::from_str(motcua_catalog::seed::PROCEDURES).expect("seed");
        let mut record = all[0].clone();
        let code = record["MaTTHC"].as_str().expect("code").to_string();
        let op = app.operator_browser().await;
        assert_eq!(
            op.get("/console/catalog").await.status,
            StatusCode::OK,
            "{n}"
        );

        // A bad file: 422, the problem named, nothing stored.
        let mut bad = record.clone();
        bad["CACHTHUCTHUCHIEN"][0]["KENH"] = serde_json::json!(7);
        let text = Value::Array(vec![bad]).to_string();
        let r = op
            .submit(
                "/console/catalog",
                "/console/catalog/import",
                &[("file_text", &text)],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(
            r.text.contains("Thủ tục thứ 1") && r.text.contains("CACHTHUCTHUCHIEN[0].KENH"),
            "{n}"
        );
        assert!(
            r.text.contains("Kênh phải là 1"),
            "{n}: the message in Vietnamese"
        );
        assert_eq!(
            op.get(&format!("/console/catalog/{code}")).await.status,
            StatusCode::NOT_FOUND,
            "{n}"
        );

        // As a draft: listed, previewed, not public.
        let text = Value::Array(vec![record.clone()]).to_string();
        let r = op
            .submit(
                "/console/catalog",
                "/console/catalog/import",
                &[("file_text", &text), ("draft", "1")],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{n}");
        assert!(r.text.contains("1 phiên bản mới"), "{n}");
        assert!(
            r.text.contains(&format!("/console/catalog/{code}/1")),
            "{n}: in the drafts"
        );
        let anon = app.browser();
        assert_eq!(
            anon.get(&format!("/procedures/{code}")).await.status,
            StatusCode::NOT_FOUND,
            "{n}: a draft is not public"
        );
        let pv = op.get(&format!("/console/catalog/{code}/1")).await;
        assert_eq!(pv.status, StatusCode::OK, "{n}");
        assert!(pv.text.contains("id=\"preview\""), "{n}");

        // Published: public now.
        let page = format!("/console/catalog/{code}");
        let r = op.submit(&page, &format!("{page}/1/publish"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        assert_eq!(
            anon.get(&format!("/procedures/{code}")).await.status,
            StatusCode::OK,
            "{n}"
        );
        let r = op.submit(&page, &format!("{page}/1/publish"), &[]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{n}: published twice");

        // An edit: a new draft; the public keeps version 1 until it is
        // published; a changed code or a bad field is refused with its path.
        record["TENTTHC"] = Value::from("Đăng ký khai sinh (đã sửa)");
        let r = op
            .submit(
                &page,
                &format!("{page}/draft"),
                &[("record", &record.to_string())],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        assert!(
            !anon
                .get(&format!("/procedures/{code}"))
                .await
                .text
                .contains("(đã sửa)"),
            "{n}"
        );
        let mut other = record.clone();
        other["MaTTHC"] = Value::from("1.999999");
        let r = op
            .submit(
                &page,
                &format!("{page}/draft"),
                &[("record", &other.to_string())],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(r.text.contains("Không được đổi mã thủ tục"), "{n}");
        let mut wrong = record.clone();
        wrong["MUCDODANGNHAP"] = Value::from(9);
        let r = op
            .submit(
                &page,
                &format!("{page}/draft"),
                &[("record", &wrong.to_string())],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(r.text.contains("MUCDODANGNHAP"), "{n}");
        for junk in ["", "{", "[1]", "[{}, {}]"] {
            let r = op
                .submit(&page, &format!("{page}/draft"), &[("record", junk)])
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}: {junk:?}");
        }
        let r = op.submit(&page, &format!("{page}/2/publish"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        assert!(
            anon.get(&format!("/procedures/{code}"))
                .await
                .text
                .contains("(đã sửa)"),
            "{n}"
        );
        let actions: Vec<String> = app
            .audit_actions("catalog")
            .await
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert!(
            actions.contains(&"catalog.import".to_string()),
            "{n}: {actions:?}"
        );
        let by_code: Vec<String> = app
            .audit_actions(&format!("procedure:{code}"))
            .await
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(
            by_code.iter().filter(|a| *a == "catalog.publish").count(),
            2,
            "{n}: {by_code:?}"
        );
        assert!(by_code.contains(&"catalog.draft".to_string()), "{n}");
        // The export holds the published version 2.
        let ex = op.get("/console/catalog/export").await;
        assert!(ex.text.contains("(đã sửa)"), "{n}");
        // Malformed paths: 404 or 400, never 5xx.
        for (path, status) in [
            ("/console/catalog/NOPE", StatusCode::NOT_FOUND),
            (
                &*format!("/console/catalog/{code}/99"),
                StatusCode::NOT_FOUND,
            ),
            (
                &*format!("/console/catalog/{code}/abc"),
                StatusCode::BAD_REQUEST,
            ),
        ] {
            assert_eq!(op.get(path).await.status, status, "{n}: {path}");
        }
        let r = op
            .submit(&page, "/console/catalog/%00/1/publish", &[])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{n}: no code");
        // The registration queue with a thousand words: a page, not a 5xx.
        let many = "a ".repeat(1000);
        let r = op
            .get(&format!(
                "/console/registrations?q={}",
                motcua_web::ctx::urlencode(&many)
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{n}");
        let go = op.get(&format!("/console/catalog/go?code={code}")).await;
        assert_eq!(go.status, StatusCode::SEE_OTHER, "{n}");
    })
    .await;
}
