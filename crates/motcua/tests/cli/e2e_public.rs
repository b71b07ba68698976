//! Issue #11 from outside, in `motcua demo` with a real browser
//! (Chromium), every page checked by axe-core: the statistics page shows
//! a ward's new dossiers (#9's journey: one received, handled, approved and
//! returned; one received and left open) in the right columns, and its CSV
//! has the same figures; the index page shows the six groups; a citizen
//! sends feedback about the birth registration, the ward answers it within
//! its deadline and publishes it, and anyone finds it by searching without
//! accents.
use crate::e2e::axe_check;
use crate::e2e_handling::{accept, act, download, eid_login, login, logout, submit, submit_birth};
use crate::support::Sandbox;
use crate::webdriver::{Page, Tools};
use serde_json::json;

/// The figures of the ward's row on the statistics page now shown (all
/// 0 when it has no row yet), by column.
async fn ward_row(b: &Page) -> Vec<i64> {
    let v = b
        .execute(
            "const row = document.querySelector('tr[data-code=\"H29.P01\"]'); \
             return row ? [...row.querySelectorAll('td')].slice(0, 20).map(td => td.textContent.trim()) : [];",
            json!([]),
        )
        .await
        .unwrap();
    let cells: Vec<i64> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().parse().unwrap())
        .collect();
    if cells.is_empty() {
        vec![0; 20]
    } else {
        cells
    }
}

/// A column's figure (the web suite checks the columns' order itself).
fn col(v: &[i64], name: &str) -> i64 {
    v[motcua_stats::export::COLUMNS
        .iter()
        .position(|(c, _)| *c == name)
        .unwrap()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_statistics_index_and_feedback_answered_in_time() {
    let test = "browser_statistics_index_and_feedback_answered_in_time";
    let Some(tools) = Tools::find(test) else {
        return;
    };
    let sb = Sandbox::sqlite();
    let port = crate::demo::free_port();
    // The captcha tells its answer to tests (never in production).
    let mut cmd = sb.cmd(&["demo"]);
    cmd.env("MOTCUA_IDENTITY__CAPTCHA_REVEAL_FOR_TESTS", "true");
    let _demo = crate::demo::start_with(cmd, port);
    let browser =
        crate::webdriver::Browser::start(&tools, &format!("http://127.0.0.1:{port}")).await;
    let b: &Page = &browser;
    let axe_js = tools.axe_js.clone();
    let axe = |what: &'static str| {
        let js = &axe_js;
        async move { axe_check(b, js, what).await }
    };

    // The home page at 320 px: nothing wider than the screen, every part
    // there; then the help, the search and the contact page.
    b.goto("/lang/vi?next=/").await;
    b.set_size(320, 800).await;
    b.goto("/").await;
    b.wait_text("#stats-strip", "").await;
    let overflow = b
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            json!([]),
        )
        .await
        .unwrap();
    let (scroll, inner) = (overflow[0].as_i64().unwrap(), overflow[1].as_i64().unwrap());
    assert!(
        scroll <= inner,
        "the home page is {scroll} px wide in a {inner} px window"
    );
    b.wait_text("#announcements", "bản trình diễn").await;
    axe("the home page at 320 px").await;
    b.fill("#home-q", "khai sinh").await;
    submit(b, "#home-search button[type=submit]").await;
    b.wait_text("#search-procedures", "Đăng ký khai sinh").await;
    axe("the search across procedures and help").await;
    b.goto("/help?q=nop+phi").await;
    b.wait_text("#help-list", "nộp phí").await;
    axe("guidance searched without accents").await;
    b.click("#help-list a").await;
    b.wait_text("#help-body", "Nền tảng thanh toán").await;
    axe("a guidance article").await;
    b.goto("/contact").await;
    b.wait_text("#contact-facts", "Văn phòng Chính phủ").await;
    axe("the contact page and directory").await;
    b.set_size(1280, 900).await;

    // The figures before (this year, Hà Nội's agencies).
    b.goto("/lang/vi?next=/").await;
    b.goto("/statistics?scope=H29").await;
    b.wait_text("h1", "Thống kê").await;
    let before = ward_row(b).await;
    axe("the statistics page").await;

    // Two birth registrations: one handled to its end, one left open.
    eid_login(b, true, &tools.axe_js).await;
    let done = submit_birth(b, &sb, "Nguyễn Minh Khôi").await;
    let open = submit_birth(b, &sb, "Nguyễn Minh Châu").await;
    logout(b).await;
    login(b, "mc.hoankiem", "Demo-OneStop-2026").await;
    accept(b, &done).await;
    accept(b, &open).await;
    logout(b).await;
    login(b, "tp.hoankiem", "Demo-Handler-2026").await;
    b.goto(&format!("/agency/dossiers/{done}")).await;
    act(b, "act-forward-approve", &[]).await;
    submit(b, "#result-form button[type=submit]").await;
    b.wait_text("#result-list", "Trích lục khai sinh").await;
    act(b, "act-approve-return", &[]).await;
    b.wait_text("#status", "Đã có kết quả").await;
    logout(b).await;
    login(b, "mc.hoankiem", "Demo-OneStop-2026").await;
    b.goto(&format!("/agency/dossiers/{done}")).await;
    act(b, "act-return", &[]).await;
    b.wait_text("#status", "Đã trả kết quả").await;
    logout(b).await;

    // Anyone: each in its column, the CSV the same.
    b.goto("/statistics?scope=H29").await;
    b.wait_text("#stats-heading", "UBND Thành phố Hà Nội").await;
    let after = ward_row(b).await;
    let delta = |name: &str| col(&after, name) - col(&before, name);
    assert_eq!(delta("received_total"), 2);
    assert_eq!(delta("received_new"), 2);
    assert_eq!(delta("received_online"), 2);
    assert_eq!(delta("done"), 1);
    assert_eq!(
        delta("done_early") + delta("done_on_time"),
        1,
        "approved well before its deadline"
    );
    assert_eq!(delta("done_late"), 0);
    assert_eq!(delta("returned"), 1);
    assert_eq!(delta("held"), 1);
    assert_eq!(delta("open_on_time"), 1);
    let chart = b
        .execute(
            "return document.querySelectorAll('svg.chart rect').length;",
            json!([]),
        )
        .await
        .unwrap();
    assert!(chart.as_i64().unwrap_or(0) > 0, "the chart is drawn");
    axe("the statistics page with the ward's dossiers").await;
    let period = b
        .execute(
            "return document.querySelector('#period option[selected]').value;",
            json!([]),
        )
        .await
        .unwrap();
    let period = period.as_str().unwrap().to_string();
    let csv = download(
        b,
        &format!("/statistics/progress.csv?period={period}&scope=H29"),
    )
    .await;
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("H29.P01,"))
        .expect("the ward's CSV row");
    let figures: Vec<i64> = line
        .split(',')
        .skip(2)
        .map(|v| v.parse().unwrap())
        .collect();
    assert_eq!(figures, after, "the CSV has the page's figures");

    // The index: the six groups for the period.
    b.click("#to-index").await;
    b.wait_text("h1", "Chỉ số phục vụ").await;
    let groups = b
        .execute(
            "return [...document.querySelectorAll('#index-table th[data-group]')].map(th => th.dataset.group);",
            json!([]),
        )
        .await
        .unwrap();
    assert_eq!(
        groups,
        json!([
            "publicity",
            "progress",
            "online",
            "payment",
            "satisfaction",
            "digitisation"
        ])
    );
    b.wait_text("tr[data-code='H29']", "UBND Thành phố Hà Nội")
        .await;
    axe("the service index").await;
    b.click("tr[data-code='H29'] th a").await;
    b.wait_text("#index-total", "").await;
    axe("the index's criteria of a province").await;
    b.goto("/statistics/online?scope=H29").await;
    b.wait_text("#online-table", "UBND phường Hoàn Kiếm").await;
    axe("the online-service table").await;

    // Feedback about the birth registration, from its page.
    eid_login(b, false, &tools.axe_js).await;
    b.goto("/procedures/1.001193").await;
    b.click("#feedback ~ p a[href^='/feedback/new']").await;
    b.wait_text("h1", "Gửi phản ánh, kiến nghị").await;
    axe("the feedback form").await;
    b.fill("#title", "Giấy chứng sinh bản chụp có được chấp nhận?")
        .await;
    b.fill(
        "#content",
        "Tôi chỉ có bản chụp giấy chứng sinh của bệnh viện; xin cho biết có cần bản sao chứng thực không.",
    )
    .await;
    b.fill("#phone", "0912345678").await;
    let answer = b
        .execute(
            "return document.getElementById('captcha-image').dataset.answer;",
            json!([]),
        )
        .await
        .unwrap();
    b.fill(
        "#captcha",
        answer
            .as_str()
            .expect("the demo reveals the captcha to tests"),
    )
    .await;
    submit(b, "#feedback-form button[type=submit]").await;
    let code = b
        .wait_text("#feedback-code", "PAKN-")
        .await
        .trim()
        .to_string();
    axe("feedback sent").await;
    b.goto(&format!("/account/feedback/{code}")).await;
    b.wait_text("#feedback-state", "Đang xử lý").await;
    b.wait_text("#feedback-left", "ngày").await;
    axe("the sender's feedback with its time left").await;
    logout(b).await;

    // The ward answers it (within its 15 working days) and publishes.
    login(b, "mc.hoankiem", "Demo-OneStop-2026").await;
    b.goto("/agency/feedback").await;
    b.wait_text("#feedback-inbox", &code).await;
    axe("the agency's feedback").await;
    b.goto(&format!("/agency/feedback/{code}")).await;
    b.click("input[name=kind][value=answer]").await;
    b.fill(
        "#note",
        "Bản chụp giấy chứng sinh do bệnh viện cấp được chấp nhận; không cần chứng thực.",
    )
    .await;
    submit(b, "#feedback-act button[type=submit]").await;
    b.wait_text("#feedback-state", "Đã trả lời").await;
    let timeline = b.text("#feedback-timeline").await;
    assert!(
        !timeline.contains("quá hạn"),
        "answered in time: {timeline}"
    );
    axe("an answered feedback at the agency").await;
    b.click("input[name=kind][value=publish]").await;
    submit(b, "#feedback-act button[type=submit]").await;
    b.wait_text("#feedback-state", "công khai").await;
    logout(b).await;

    // Anyone finds it without accents.
    b.goto("/feedback").await;
    b.fill("#q", "giay chung sinh ban chup").await;
    submit(b, "form[role=search] button[type=submit]").await;
    b.wait_text("#feedback-list", "Giấy chứng sinh bản chụp")
        .await;
    axe("the published answers, searched without accents").await;
    b.click(&format!("#feedback-list a[href='/feedback/{code}']"))
        .await;
    b.wait_text("#feedback-answer", "không cần chứng thực")
        .await;
    axe("a published answer").await;

    // Without an account: the form asks the name and e-mail; the code
    // mailed and the code sent by SMS confirm them; the tracking page.
    b.goto("/feedback/new?procedure=1.001193").await;
    b.wait_text("#guest-heading", "Chưa có tài khoản").await;
    axe("the feedback form without an account").await;
    b.fill("#name", "Lý Thị Khách").await;
    b.fill("#email", "khach.ly@example.vn").await;
    b.fill("#title", "Thời gian trả kết quả khai sinh").await;
    b.fill(
        "#content",
        "Xin cho biết đăng ký khai sinh trực tuyến thì bao lâu nhận được trích lục.",
    )
    .await;
    b.fill("#phone", "0987 654 321").await;
    let answer = b
        .execute(
            "return document.getElementById('captcha-image').dataset.answer;",
            json!([]),
        )
        .await
        .unwrap();
    b.fill("#captcha", answer.as_str().expect("revealed")).await;
    submit(b, "#feedback-form button[type=submit]").await;
    b.wait_text("h1", "Xác nhận gửi phản ánh").await;
    axe("the confirmation of feedback without an account").await;
    // The demo's worker delivers the mail and the SMS to its folders.
    let mut codes = (String::new(), String::new());
    for _ in 0..100 {
        let mailed = motcua_testkit::read_mails(&sb.mail_dir())
            .into_iter()
            .find(|m| m.to == "khach.ly@example.vn")
            .and_then(|m| {
                let at = m.text.find("Mã xác nhận của bạn là ")? + "Mã xác nhận của bạn là ".len();
                Some(m.text[at..].chars().take(6).collect::<String>())
            });
        let texted = std::fs::read_dir(sb.path().join("sms"))
            .into_iter()
            .flatten()
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
            .filter_map(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .find(|v| v["to"] == "0987654321")
            .and_then(|v| {
                let t = v["text"].as_str()?.to_string();
                let at = t.find("kien nghi: ")? + "kien nghi: ".len();
                Some(t[at..].chars().take(6).collect::<String>())
            });
        if let (Some(m), Some(t)) = (mailed, texted) {
            codes = (m, t);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        (codes.0.len(), codes.1.len()),
        (6, 6),
        "the codes arrived: {codes:?}"
    );
    b.fill("#mailed", &codes.0).await;
    b.fill("#texted", &codes.1).await;
    submit(b, "#confirm-form button[type=submit]").await;
    b.wait_text("#feedback-keep", "Giữ đường dẫn này").await;
    b.wait_text("#feedback-state", "Đang xử lý").await;
    assert!(b.url().await.contains("/feedback/track?code=PAKN-"));
    axe("feedback followed without an account").await;

    // The directory: the ward's one-stop unit and the officials it publishes.
    b.goto("/agencies/H29.P01").await;
    b.wait_text("#one-stop", "Bộ phận Một cửa phường Hoàn Kiếm")
        .await;
    b.wait_text("#officials", "Trưởng Bộ phận Một cửa").await;
    axe("an agency's page with its directory").await;
}
