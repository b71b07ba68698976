//! Issue #8, part 1: the procedure catalog from outside — the CLI's import
//! (all or nothing, problems named), export round trip and seed, and a
//! visitor in a real browser (Chromium) who finds a procedure typed
//! without accents, reads it, and browses the agencies, every page checked
//! by axe-core.
use crate::e2e::axe_check;
use crate::support::Sandbox;
use crate::webdriver::Tools;

#[test]
fn catalog_import_export_and_seed_from_the_command_line() {
    let sb = Sandbox::sqlite();
    let seeded = sb.ok(&["admin", "catalog-seed"]);
    assert!(seeded.stdout.contains("47 new versions"), "{seeded}");
    let again = sb.ok(&["admin", "catalog-seed"]);
    assert!(
        again.stdout.contains("0 new versions, 47 unchanged"),
        "{again}"
    );
    let export = sb.ok(&["admin", "catalog-export"]);
    let file = sb.path().join("catalog.json");
    std::fs::write(&file, &export.stdout).unwrap();
    let back = sb.ok(&["admin", "catalog-import", file.to_str().unwrap()]);
    assert!(
        back.stdout.contains("0 new versions, 47 unchanged"),
        "{back}"
    );
    assert_eq!(
        sb.ok(&["admin", "catalog-export"]).stdout,
        export.stdout,
        "exactly"
    );
    // A bad record: exit code 1, every problem named, nothing stored.
    let mut v: serde_json::Value = serde_json::from_str(&export.stdout).unwrap();
    v[3]["CACHTHUCTHUCHIEN"][0]["KENH"] = serde_json::json!(9);
    v[5]["TENTTHC"] = serde_json::json!("");
    v[0]["TENTTHC"] = serde_json::json!("Tên đã đổi");
    std::fs::write(&file, v.to_string()).unwrap();
    let out = sb.run(&["admin", "catalog-import", file.to_str().unwrap()]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("nothing imported; 2 problems"), "{out}");
    assert!(
        out.stderr.contains("record 3") && out.stderr.contains("CACHTHUCTHUCHIEN[0].KENH"),
        "{out}"
    );
    assert!(
        out.stderr.contains("record 5") && out.stderr.contains("TENTTHC"),
        "{out}"
    );
    assert_eq!(
        sb.ok(&["admin", "catalog-export"]).stdout,
        export.stdout,
        "nothing changed"
    );
    std::fs::write(&file, "{ not json").unwrap();
    let out = sb.run(&["admin", "catalog-import", file.to_str().unwrap()]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("not valid JSON"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_finds_a_procedure_without_accents_with_axe() {
    let test = "browser_finds_a_procedure_without_accents_with_axe";
    let Some(tools) = Tools::find(test) else {
        return;
    };
    let sb = Sandbox::sqlite();
    sb.ok(&["admin", "catalog-seed"]);
    let server = sb.serve();
    let b = crate::webdriver::Browser::start(&tools, &server.url).await;
    b.goto("/lang/vi?next=/procedures").await;
    b.wait_text("h1", "Thủ tục hành chính").await;
    axe_check(&b, &tools.axe_js, "the procedure catalog").await;
    b.fill("#q", "dang ky khai sinh").await;
    b.click("form[role=search] button[type=submit]").await;
    let first = b
        .wait_text("#results li:first-child h2", "Đăng ký khai sinh")
        .await;
    assert_eq!(first.trim(), "Đăng ký khai sinh", "the exact name first");
    axe_check(&b, &tools.axe_js, "the catalog's results").await;
    b.click("#results li:first-child h2 a").await;
    b.wait_text("h1", "Đăng ký khai sinh").await;
    let body = b.body_text().await;
    for part in [
        "Thành phần hồ sơ",
        "Thời hạn giải quyết",
        "Căn cứ pháp lý",
        "1.001193",
    ] {
        assert!(body.contains(part), "{part}:\n{body}");
    }
    axe_check(&b, &tools.axe_js, "a procedure's page").await;
    b.goto("/agencies").await;
    b.wait_text("h1", "Cơ quan").await;
    axe_check(&b, &tools.axe_js, "the agencies").await;
    b.goto("/agencies/H29").await;
    b.wait_text("h1", "UBND Thành phố Hà Nội").await;
    axe_check(&b, &tools.axe_js, "an agency's page").await;
    drop(b);
    drop(server);
}

/// The operator's catalog console in a real browser: its pages pass
/// axe-core, and an edit saved in the browser becomes a draft to preview.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_operator_catalog_console_with_axe() {
    let test = "browser_operator_catalog_console_with_axe";
    let Some(tools) = Tools::find(test) else {
        return;
    };
    let sb = Sandbox::sqlite();
    sb.ok(&["admin", "catalog-seed"]);
    let initial = sb.create_account(
        "catalog.op",
        "Lê Thị Danh",
        "danh.le@example.gov.vn",
        "operator",
    );
    let server = sb.serve();
    let b = crate::webdriver::Browser::start(&tools, &server.url).await;
    b.goto("/lang/vi?next=/").await;
    crate::e2e::first_login(&b, "catalog.op", &initial, "Danh-Muc-Thu-Tuc-2026", None).await;
    b.goto("/console/catalog").await;
    b.wait_text("h1", "Danh mục thủ tục hành chính").await;
    axe_check(&b, &tools.axe_js, "the catalog console").await;
    b.goto("/console/catalog/1.001193").await;
    b.wait_text("h1", "Đăng ký khai sinh").await;
    axe_check(&b, &tools.axe_js, "a procedure's versions and editor").await;
    // Edit the description in the browser: a new draft, previewed.
    let record = b
        .execute(
            "return document.getElementById('record').value;",
            serde_json::json!([]),
        )
        .await
        .expect("the editor's text");
    let mut v: serde_json::Value =
        serde_json::from_str(record.as_str().unwrap_or_default()).expect("JSON in the editor");
    v["MOTA"] = serde_json::json!("Mô tả đã sửa trong trình duyệt.");
    b.execute(
        "document.getElementById('record').value = arguments[0];",
        serde_json::json!([v.to_string()]),
    )
    .await
    .expect("set the editor");
    b.click("form[action$='/draft'] button[type=submit]").await;
    b.wait_text("#versions + .table-wrap", "Nháp").await;
    b.goto("/console/catalog/1.001193/2").await;
    b.wait_text("#preview", "phiên bản 2").await;
    assert!(b
        .body_text()
        .await
        .contains("Mô tả đã sửa trong trình duyệt."));
    axe_check(&b, &tools.axe_js, "a draft's preview").await;
    drop(b);
    drop(server);
}

/// `motcua bench --catalog N --json` loads N procedures (the demo's and
/// variants) and reports every search shape with stable keys; the accent-
/// free query finds the real procedure first.
#[test]
fn bench_catalog_mode_reports_json() {
    let sb = Sandbox::sqlite();
    let out = sb.ok(&["bench", "--catalog", "300", "--runs", "3", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["procedures"], 300, "{out}");
    let shapes = v["search"].as_array().expect("shapes");
    assert_eq!(shapes.len(), 7, "{out}");
    for s in shapes {
        assert!(s["p50_ms"].as_f64().is_some_and(|x| x > 0.0), "{s}");
        assert!(s["p99_ms"].as_f64() >= s["p50_ms"].as_f64(), "{s}");
    }
    assert_eq!(shapes[0]["first"], "Đăng ký khai sinh", "{out}");
    assert_eq!(shapes[3]["matches"], 0, "no match: {out}");
}
