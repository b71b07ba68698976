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

/// Issue #8, part 2, in a real browser: a citizen allows the reuse of
/// their name, starts a birth registration from the procedure's page,
/// sees the name prefilled, is told what is wrong, saves and leaves,
/// resumes, checks the answers and submits; the dossier is in "my
/// dossiers". Every page checked by axe-core. (The procedure's level is
/// lowered to 1 by a catalog import first: the step-up has its own
/// browser tests with the token, SIM and e-ID.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_citizen_fills_saves_resumes_and_submits_a_dossier_with_axe() {
    let test = "browser_citizen_fills_saves_resumes_and_submits_a_dossier_with_axe";
    let Some(tools) = Tools::find(test) else {
        return;
    };
    let sb = Sandbox::sqlite();
    sb.ok(&["admin", "catalog-seed"]);
    let export = sb.ok(&["admin", "catalog-export"]);
    let mut v: serde_json::Value = serde_json::from_str(&export.stdout).unwrap();
    for r in v.as_array_mut().unwrap() {
        if r["MaTTHC"] == "1.001193" {
            r["MUCDODANGNHAP"] = serde_json::json!(1);
        }
    }
    let file = sb.path().join("catalog.json");
    std::fs::write(&file, v.to_string()).unwrap();
    sb.ok(&["admin", "catalog-import", file.to_str().unwrap()]);
    let initial = sb.create_account("hoa.tran", "Trần Thị Hoa", "hoa.tran@example.vn", "citizen");
    let server = sb.serve();
    let b = crate::webdriver::Browser::start(&tools, &server.url).await;
    let axe = |what: &'static str| {
        let b = &b;
        let js = &tools.axe_js;
        async move { axe_check(b, js, what).await }
    };
    b.goto("/lang/vi?next=/").await;
    crate::e2e::first_login(&b, "hoa.tran", &initial, "Ho-So-Khai-Sinh-2026", None).await;
    b.goto("/account/data").await;
    b.click("#allow-full_name").await;
    b.click("#save-consents").await;
    // The page after the save (not the page the click was made on, which
    // has the same path: a navigation started before the answer came
    // back would be overtaken by it).
    b.wait_path("the data page again", |p| p.contains("consent_saved"))
        .await;

    b.goto("/procedures/1.001193").await;
    b.wait_text("h1", "Đăng ký khai sinh").await;
    b.click("#start button[type=submit]").await;
    b.wait_text("h1", "Người yêu cầu").await;
    assert_eq!(
        b.execute(
            "return document.getElementById('f-full_name').value;",
            serde_json::json!([])
        )
        .await
        .unwrap(),
        serde_json::json!("Trần Thị Hoa"),
        "prefilled"
    );
    b.wait_text("#f-full_name-pre", "điền sẵn").await;
    axe("the form's first page").await;
    // Wrong ID, nothing else: the summary names what to fix.
    b.fill("#f-personal_id", "123").await;
    b.click("button[value=continue]").await;
    b.wait_text("#errors", "Số định danh cá nhân").await;
    axe("a page with errors").await;
    b.set_value("#f-personal_id", "").await;
    b.fill("#f-personal_id", "001190012345").await;
    b.fill("#f-phone", "0912345678").await;
    b.set_value("#f-address-province", "Thành phố Hà Nội").await;
    b.fill("#f-address-commune", "Phường Hoàn Kiếm").await;
    b.fill("#f-address-street", "12 Tràng Tiền").await;
    b.click("input[name=relationship][value=mother]").await;
    b.click("button[value=continue]").await;
    b.wait_text("h1", "Người được khai sinh").await;
    b.fill("#f-child_name", "Trần Minh Khôi").await;
    // Autosave: typed, not yet saved by a button; the page's script saves
    // it. The server is killed (SIGKILL) and started again on the same
    // port: the reloaded page shows what was typed.
    b.wait_text("#autosave-status", "Đã tự động lưu").await;
    let here = b.path().await;
    let port = server.port();
    drop(server);
    let mut cmd = sb.cmd(&["serve"]);
    cmd.env("MOTCUA_LISTEN", format!("127.0.0.1:{port}"));
    let server = crate::support::Server::start(cmd);
    assert_eq!(server.port(), port);
    b.goto(&here).await;
    b.wait_text("h1", "Người được khai sinh").await;
    assert_eq!(
        b.execute(
            "return document.getElementById('f-child_name').value;",
            serde_json::json!([])
        )
        .await
        .unwrap(),
        serde_json::json!("Trần Minh Khôi"),
        "autosaved"
    );
    b.click("button[value=save]").await;
    b.wait_text("#drafts", "Đăng ký khai sinh").await;
    axe("the drafts").await;
    // Resume: back where it was left, with what was typed.
    b.click("#drafts a").await;
    b.wait_text("h1", "Người được khai sinh").await;
    crate::e2e::birth_child_and_mother(&b).await;
    // The father's questions are shown only when there is one.
    let father_shown = |b: &crate::webdriver::Browser| {
        let b: crate::webdriver::Page = (**b).clone();
        async move {
            b.execute(
                "const e = document.getElementById('f-father_name'); return !!e && e.offsetParent !== null;",
                serde_json::json!([]),
            )
            .await
            .unwrap()
        }
    };
    b.click("input[name=has_father][value=yes]").await;
    assert_eq!(father_shown(&b).await, serde_json::json!(true), "asked");
    b.click("input[name=has_father][value=no]").await;
    assert_eq!(
        father_shown(&b).await,
        serde_json::json!(false),
        "not asked"
    );
    b.click("button[value=continue]").await;
    b.wait_text("h1", "Kết quả").await;
    b.fill("#f-extract_copies", "1").await;
    b.click("input[name=result_delivery][value=online]").await;
    b.click("button[value=continue]").await;
    // The documents: a PDF attached to the first component.
    b.wait_text("h1", "Giấy tờ đính kèm").await;
    axe("the documents page").await;
    let pdf = sb.path().join("giay-chung-sinh.pdf");
    std::fs::write(
        &pdf,
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
    )
    .unwrap();
    b.upload("section.card input[type=file]", &pdf).await;
    b.click("section.card form[enctype] button[type=submit]")
        .await;
    b.wait_text("section.card ul.files", "giay-chung-sinh.pdf")
        .await;
    b.click("#to-check").await;
    b.wait_text("h1", "Kiểm tra thông tin").await;
    b.wait_text("#files", "giay-chung-sinh.pdf").await;
    let body = b.body_text().await;
    assert!(
        body.contains("Trần Minh Khôi") && body.contains("20/11/2026"),
        "{body}"
    );
    axe("check your answers").await;
    b.click("#submit").await;
    b.wait_text("#status", "Mới nộp").await;
    let code = b.text("#code").await;
    assert!(code.starts_with("H29.P01-"), "{code}");
    axe("the dossier's page").await;
    b.wait_text("#dossier-files", "giay-chung-sinh.pdf").await;
    b.goto("/account/dossiers").await;
    b.wait_text("#dossiers", code.trim()).await;
    axe("my dossiers").await;
    b.goto("/account/notifications").await;
    b.wait_text("#notifications", code.trim()).await;
    axe("the inbox").await;
    drop(b);
    drop(server);
}

/// `motcua bench --dossiers N --json`: the reads and submissions are
/// timed through the services the pages call, with stable keys.
#[test]
fn bench_dossiers_mode_reports_json() {
    let sb = Sandbox::sqlite();
    let out = sb.ok(&["bench", "--dossiers", "2000", "--runs", "3", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["dossiers"], 2000, "{out}");
    assert_eq!(v["people"], 200, "{out}");
    let reads = v["reads"].as_array().expect("reads");
    assert_eq!(reads.len(), 4, "{out}");
    for r in reads {
        assert!(r["p50_ms"].as_f64().is_some_and(|x| x > 0.0), "{r}");
        assert!(r["p99_ms"].as_f64() >= r["p50_ms"].as_f64(), "{r}");
    }
    assert!(
        v["submissions_per_second"]
            .as_f64()
            .is_some_and(|x| x > 0.0),
        "{out}"
    );
    assert!(
        v["raw_1mb_writes_per_second"]
            .as_f64()
            .is_some_and(|x| x > 0.0),
        "{out}"
    );
}

/// `motcua bench --handling N --json` (issue #9): the back office's reads
/// and state changes are timed through the services the pages call.
#[test]
fn bench_handling_mode_reports_json() {
    let sb = Sandbox::sqlite();
    let out = sb.ok(&["bench", "--handling", "3000", "--runs", "5", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["dossiers"], 3000, "{out}");
    let reads = v["reads"].as_array().expect("reads");
    // The board twice: from its summary and counted from the cases (the
    // bench fails if they differ).
    assert_eq!(reads.len(), 10, "{out}");
    assert!(
        reads
            .iter()
            .any(|r| r["shape"].as_str().is_some_and(|s| s.contains("reference"))),
        "{out}"
    );
    for r in reads {
        assert!(r["p50_ms"].as_f64().is_some_and(|x| x > 0.0), "{r}");
        assert!(r["p99_ms"].as_f64() >= r["p50_ms"].as_f64(), "{r}");
    }
    assert!(
        v["state_changes_per_second"]
            .as_f64()
            .is_some_and(|x| x > 0.0),
        "{out}"
    );
}
