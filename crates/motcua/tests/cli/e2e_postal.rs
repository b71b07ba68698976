//! Issue #10 §3 from outside: the public postal service in `motcua demo`
//! (the postal operator's simulator at /dev-post), in a real browser
//! (Chromium), every page checked by axe-core. A citizen chooses to send
//! the birth registration and receive its result by post and sees the
//! postage before submitting; the post office collects the paper dossier
//! and hands it to the ward; the one-stop unit accepts it and its
//! appointment counts from the time on the postal receipt; the result is
//! handed to the post office and, once delivered, the dossier is
//! returned.
use crate::e2e::axe_check;
use crate::e2e_handling::{
    accept, act, eid_login, fill_birth, login, logout, submit, submit_checked,
};
use crate::support::Sandbox;
use crate::webdriver::{Page, Tools};
use serde_json::json;

/// The post office moves the parcel of `order` (an order number) through
/// `states` on its page.
async fn move_parcel(b: &Page, order: &str, states: &[&str]) {
    for s in states {
        b.goto("/dev-post/parcels").await;
        let waybill = b
            .execute(
                "const row = [...document.querySelectorAll('tbody tr')].find(r => r.children[1].textContent === arguments[0]); return row ? row.children[0].textContent : '';",
                json!([order]),
            )
            .await
            .unwrap();
        let waybill = waybill.as_str().unwrap().to_string();
        assert!(!waybill.is_empty(), "no parcel {order}");
        submit(b, &format!("#{waybill}-{s}")).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_a_dossier_sent_by_post_counts_from_the_postal_receipt_and_its_result_goes_by_post()
{
    let test =
        "browser_a_dossier_sent_by_post_counts_from_the_postal_receipt_and_its_result_goes_by_post";
    let Some(tools) = Tools::find(test) else {
        return;
    };
    let sb = Sandbox::sqlite();
    let port = crate::demo::free_port();
    let _demo = crate::demo::start(&sb, port);
    let browser =
        crate::webdriver::Browser::start(&tools, &format!("http://127.0.0.1:{port}")).await;
    let b: &Page = &browser;
    let axe_js = tools.axe_js.clone();
    let axe = |what: &'static str| {
        let js = &axe_js;
        async move { axe_check(b, js, what).await }
    };

    // The citizen chooses the postal service and sees the postage.
    b.goto("/lang/vi?next=/").await;
    eid_login(b, true, &tools.axe_js).await;
    fill_birth(b, &sb, "Nguyễn Minh Khôi").await;
    b.wait_text("#postal", "Dịch vụ bưu chính công ích").await;
    b.click("#postal-send").await;
    b.click("#postal-result").await;
    b.fill("#postal-name", "Nguyễn Văn An").await;
    b.fill("#postal-phone", "0912345678").await;
    b.set_value("#postal-province", "Thành phố Hà Nội").await;
    b.fill("#postal-commune", "Phường Hoàn Kiếm").await;
    b.fill("#postal-street", "12 Tràng Tiền").await;
    submit(b, "#postal-save").await;
    b.wait_text("#postage-send", "22.000 đ").await;
    b.wait_text("#postage-result", "22.000 đ").await;
    axe("the check page with the postal service").await;
    let code = submit_checked(b).await;
    b.wait_text("#postal", "Gửi hồ sơ đến cơ quan").await;
    b.wait_text("#postal", "Đã tạo đơn").await;
    axe("a dossier sent by post").await;
    logout(b).await;

    // The post office collects it and hands it to the ward.
    move_parcel(
        b,
        &format!("{code}-S"),
        &["picked_up", "in_transit", "delivered"],
    )
    .await;
    axe("the post office's parcels (simulator)").await;

    // The one-stop unit accepts it: counted from the postal receipt.
    login(b, "mc.hoankiem", "Demo-OneStop-2026").await;
    b.goto(&format!("/agency/dossiers/{code}")).await;
    let handed = b.wait_text("#handed-over", ":").await;
    accept(b, &code).await;
    axe("a postal dossier accepted").await;
    logout(b).await;

    // Handled and approved; the result goes by post.
    login(b, "tp.hoankiem", "Demo-Handler-2026").await;
    b.goto(&format!("/agency/dossiers/{code}")).await;
    act(b, "act-forward-approve", &[]).await;
    submit(b, "#result-form button[type=submit]").await;
    b.wait_text("#result-list", "Trích lục khai sinh").await;
    act(b, "act-approve-return", &[]).await;
    b.wait_text("#status", "Đã có kết quả").await;
    logout(b).await;
    login(b, "mc.hoankiem", "Demo-OneStop-2026").await;
    b.goto(&format!("/agency/dossiers/{code}")).await;
    act(b, "act-return", &[]).await;
    b.wait_text("main", "Đã giao kết quả cho bưu điện").await;
    b.wait_text("#postal", "Gửi kết quả cho công dân").await;
    b.wait_text("#status", "Đã có kết quả").await;
    logout(b).await;
    move_parcel(
        b,
        &format!("{code}-R"),
        &["picked_up", "in_transit", "delivered"],
    )
    .await;

    // The citizen: the hand-over time and the result delivered.
    eid_login(b, false, &tools.axe_js).await;
    b.goto(&format!("/account/dossiers/{code}")).await;
    b.wait_text("#status", "Đã trả kết quả").await;
    b.wait_text("#handed-over", handed.split(": ").nth(1).unwrap_or(&handed))
        .await;
    b.wait_text("#postal", "Đã phát thành công").await;
    axe("a dossier whose result was delivered by post").await;
}
