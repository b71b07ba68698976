//! Issue #10 from outside: fees paid through the payment platform's
//! simulator in `motcua demo`, in a real browser (Chromium), every page
//! checked by axe-core. The operator publishes birth registration's fee
//! schedule in the console; a citizen's accepted dossier waits for its
//! fees (status 6); the citizen pays at the "bank" and is back on the
//! dossier, accepted, with both receipts (fee and charge) to download; a
//! second dossier's payment stays pending (the platform does not know),
//! the bank settles it later without any callback, and the portal's
//! poller alone moves the dossier on.
use crate::e2e::axe_check;
use crate::e2e_handling::{act, download, eid_login, href, login, logout, submit, submit_birth};
use crate::support::Sandbox;
use crate::webdriver::{Page, Tools};
use serde_json::json;

pub(crate) const SCHEDULE: &str = r#"{"lines": [
  {"key": "ban_sao", "kind": "fee", "name": "Phí cấp bản sao trích lục", "amount": 8000, "timing": "before", "legal_basis": "Thông tư 281/2016/TT-BTC"},
  {"key": "le_phi", "kind": "charge", "name": "Lệ phí đăng ký hộ tịch", "amount": 10000, "timing": "before"}
]}"#;

/// The one-stop unit accepts `code` to the justice department.
pub(crate) async fn accept(b: &Page, code: &str) {
    b.goto(&format!("/agency/dossiers/{code}")).await;
    b.wait_text("#code", code).await;
    b.set_value(
        "#unit-accept",
        b.execute(
            "return [...document.querySelectorAll('#unit-accept option')].find(o => o.text.includes('Tư pháp')).value;",
            json!([]),
        )
        .await
        .unwrap()
        .as_str()
        .unwrap(),
    )
    .await;
    act(b, "act-accept-handle", &[]).await;
    b.wait_text("#status", "Chờ thực hiện nghĩa vụ tài chính")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_a_citizen_pays_fees_and_a_pending_payment_settles_by_the_poller() {
    let test = "browser_a_citizen_pays_fees_and_a_pending_payment_settles_by_the_poller";
    let Some(tools) = Tools::find(test) else {
        return;
    };
    let sb = Sandbox::sqlite();
    let port = crate::demo::free_port();
    // Open payments are asked about at once, then every second.
    let mut cmd = sb.cmd(&["demo"]);
    cmd.env("MOTCUA_PAYMENTS__POLL_AFTER_MINUTES", "0")
        .env("MOTCUA_PAYMENTS__POLL_EVERY_SECONDS", "1")
        .env("MOTCUA_PAYMENTS__POLL_BACKOFF_SECONDS", "1");
    let _demo = crate::demo::start_with(cmd, port);
    let browser =
        crate::webdriver::Browser::start(&tools, &format!("http://127.0.0.1:{port}")).await;
    let b: &Page = &browser;
    let axe_js = tools.axe_js.clone();
    let axe = |what: &'static str| {
        let js = &axe_js;
        async move { axe_check(b, js, what).await }
    };

    // The operator publishes the schedule.
    b.goto("/lang/vi?next=/").await;
    login(b, "operator", "Quan-Tri-Cong-2026").await;
    b.goto("/console/catalog/1.001193/fees").await;
    b.wait_text("#no-schedule", "chưa có biểu phí").await;
    axe("the fee schedule editor").await;
    b.set_value("#schedule", SCHEDULE).await;
    b.fill("#note", "Biểu phí thử nghiệm").await;
    submit(b, "#fees-form button[type=submit]").await;
    b.wait_text("#fee-lines", "Phí cấp bản sao trích lục").await;
    b.wait_text("#versions", "v1").await;
    logout(b).await;

    // The citizen submits two birth registrations; both are accepted and
    // wait for their fees.
    eid_login(b, true, &tools.axe_js).await;
    let code = submit_birth(b, &sb, "Nguyễn Minh Khôi").await;
    let second = submit_birth(b, &sb, "Nguyễn Minh Châu").await;
    logout(b).await;
    login(b, "mc.hoankiem", "Demo-OneStop-2026").await;
    accept(b, &code).await;
    accept(b, &second).await;
    logout(b).await;

    // What, why, how much, by when; paid at the bank.
    eid_login(b, false, &tools.axe_js).await;
    b.goto(&format!("/account/dossiers/{code}")).await;
    let box_ = b.wait_text("section.notice", "18.000 đ").await;
    for want in [
        "Phí cấp bản sao trích lục",
        "8.000 đ",
        "Lệ phí đăng ký hộ tịch",
        "10.000 đ",
        "Hạn nộp",
        "Chưa nộp",
    ] {
        assert!(box_.contains(want), "{want} in {box_}");
    }
    axe("a dossier awaiting its fees").await;
    submit(b, "section.notice button.pay").await;
    b.wait_text("#amount", "18.000 đ").await;
    assert!(
        b.path().await.starts_with("/dev-paygov/pay/"),
        "at the platform"
    );
    axe("the payment platform's page (simulator)").await;
    submit(b, "#choice-success").await;
    b.wait_path("back on the dossier", |p| {
        p.starts_with(&format!("/account/dossiers/{code}"))
    })
    .await;
    b.wait_text("#status", "Đã tiếp nhận").await;
    b.wait_text("section.notice", "Đã nộp").await;
    axe("a paid dossier with its receipts").await;
    let fee = href(b, "a[href$='receipts/phi.pdf']").await;
    let charge = href(b, "a[href$='receipts/le_phi.pdf']").await;
    for (path, title, amount) in [
        (&fee, "BIÊN LAI THU PHÍ", "8.000"),
        (&charge, "BIÊN LAI THU LỆ PHÍ", "10.000"),
    ] {
        let pdf = download(b, path).await;
        assert!(pdf.starts_with(b"%PDF-"), "{path}");
        let text = pdf_extract::extract_text_from_mem(&pdf).unwrap();
        let text: String = text.split_whitespace().collect();
        assert!(
            text.contains(&title.replace(' ', "")) && text.contains(amount),
            "{path}: {text}"
        );
        assert!(text.contains(&code), "{path}: the dossier's code");
    }
    b.goto("/account/documents").await;
    b.wait_text("main", "Biên lai thu lệ phí").await;

    // The second: pending at the platform; no callback will ever come.
    b.goto(&format!("/account/dossiers/{second}")).await;
    submit(b, "section.notice button.pay").await;
    b.wait_text("#amount", "18.000 đ").await;
    submit(b, "#choice-pending").await;
    b.wait_path("back on the dossier", |p| {
        p.starts_with(&format!("/account/dossiers/{second}"))
    })
    .await;
    b.wait_text("main", "chưa có kết quả giao dịch").await;
    b.wait_text("#status", "Chờ thực hiện nghĩa vụ tài chính")
        .await;
    b.wait_text("section.notice", "Đang chờ kết quả thanh toán")
        .await;
    axe("a dossier whose payment is pending").await;
    // The bank answers later, without telling the portal.
    b.goto("/dev-paygov/admin").await;
    b.set_value("select[name=callback]", "no").await;
    b.set_value("select[name=result]", "success").await;
    submit(b, "form[action$='/admin/settle'] button[type=submit]").await;
    // The poller asks the platform and moves the dossier on.
    b.goto(&format!("/account/dossiers/{second}")).await;
    let start = std::time::Instant::now();
    loop {
        let status = b.text("#status").await;
        if status.contains("Đã tiếp nhận") {
            break;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "the poller did not settle the payment: {status}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        b.goto(&format!("/account/dossiers/{second}")).await;
    }
    b.wait_text("section.notice", "Đã nộp").await;
    logout(b).await;

    // The operator's payments page: no mismatch.
    login(b, "operator", "Quan-Tri-Cong-2026").await;
    b.goto("/console/payments").await;
    b.wait_text("#no-mismatches", "Không có chênh lệch").await;
    b.wait_text("#requests", &second).await;
    axe("the operator's payments page").await;
}
