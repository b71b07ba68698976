//! Issue #9 from outside: the back office of `motcua demo` in a real
//! browser (Chromium), every page checked by axe-core. A citizen who logs
//! in with the national e-ID (the demo's development provider) submits two
//! birth registrations; the one-stop unit refuses one with a reason and
//! accepts the other; the justice department asks for a supplement (the
//! clock pauses), the citizen adds a file, the dossier is transferred to
//! the office (deadline kept), its leader apologises with a new date, adds
//! a result generated from the dossier and approves it (signed with the
//! agency's seal); the citizen downloads the result and its signature,
//! `openssl cms -verify` accepts them, and the portal's /verify says an
//! agency signed exactly that document (and refuses a changed copy).
use crate::e2e::axe_check;
use crate::support::Sandbox;
use crate::webdriver::{Page, Tools};
use serde_json::json;

/// Logs in with a password (staff).
pub(crate) async fn login(b: &Page, username: &str, password: &str) {
    b.goto("/login").await;
    b.fill("#username", username).await;
    b.fill("#password", password).await;
    b.click("form[action='/login'] button[type='submit']").await;
    b.wait_path("a page after login", |p| !p.starts_with("/login"))
        .await;
}

pub(crate) async fn logout(b: &Page) {
    b.goto("/account").await;
    b.click("form[action='/logout'] button[type='submit']")
        .await;
    b.wait_path("the home page after logout", |p| {
        p.starts_with("/?m=logged_out")
    })
    .await;
}

/// Logs in with the demo's e-ID (first demo citizen, level 2); the first
/// time, accepts the consent screen.
pub(crate) async fn eid_login(b: &Page, first: bool, axe_js: &str) {
    b.goto("/login").await;
    b.click("#login-eid").await;
    b.element("#who0").await;
    b.click("#who0").await;
    b.click("button[value='login']").await;
    if first {
        b.wait_path("the consent screen", |p| p.starts_with("/register/eid/"))
            .await;
        axe_check(b, axe_js, "the e-ID consent screen").await;
        b.fill("#email", "an.nguyen@example.vn").await;
        b.click("#agree").await;
        b.click("#accept_terms").await;
        b.click("form.form button[type='submit']").await;
    }
    b.wait_path("the portal after the e-ID", |p| {
        !p.starts_with("/register") && !p.starts_with("/login") && !p.contains("dev-eid")
    })
    .await;
}

/// Fills and submits a birth registration; returns the dossier's code.
pub(crate) async fn submit_birth(b: &Page, sb: &Sandbox, child: &str) -> String {
    fill_birth(b, sb, child).await;
    submit_checked(b).await
}

/// Fills a birth registration up to its check page.
pub(crate) async fn fill_birth(b: &Page, sb: &Sandbox, child: &str) {
    b.goto(&format!("/procedures/{BIRTH}")).await;
    b.wait_text("h1", "Đăng ký khai sinh").await;
    b.click("#start button[type=submit]").await;
    b.wait_text("h1", "Người yêu cầu").await;
    b.set_value("#f-full_name", "").await;
    b.fill("#f-full_name", "Nguyễn Văn An").await;
    b.set_value("#f-personal_id", "").await;
    b.fill("#f-personal_id", "001085012345").await;
    b.set_value("#f-phone", "").await;
    b.fill("#f-phone", "0912345678").await;
    b.set_value("#f-address-province", "Thành phố Hà Nội").await;
    b.set_value("#f-address-commune", "").await;
    b.fill("#f-address-commune", "Phường Hoàn Kiếm").await;
    b.set_value("#f-address-street", "").await;
    b.fill("#f-address-street", "12 Tràng Tiền").await;
    b.click("input[name=relationship][value=father]").await;
    b.click("button[value=continue]").await;
    b.wait_text("h1", "Người được khai sinh").await;
    b.fill("#f-child_name", child).await;
    crate::e2e::birth_child_and_mother(b).await;
    b.click("input[name=has_father][value=no]").await;
    b.click("button[value=continue]").await;
    b.wait_text("h1", "Kết quả").await;
    b.fill("#f-extract_copies", "1").await;
    b.click("input[name=result_delivery][value=online]").await;
    b.click("button[value=continue]").await;
    b.wait_text("h1", "Giấy tờ đính kèm").await;
    attach(b, sb, "giay-chung-sinh.pdf").await;
    b.click("#to-check").await;
    b.wait_text("h1", "Kiểm tra thông tin").await;
}

/// Submits the draft from its check page; the dossier's code.
pub(crate) async fn submit_checked(b: &Page) -> String {
    b.click("#submit").await;
    b.wait_text("#status", "Mới nộp").await;
    b.text("#code").await.trim().to_string()
}

/// Attaches a PDF named `name` to the first component of the draft's
/// files page and waits until it is listed.
pub(crate) async fn attach(b: &Page, sb: &Sandbox, name: &str) {
    let pdf = sb.path().join(name);
    std::fs::write(&pdf, PDF).unwrap();
    b.upload("section.card input[type=file]", &pdf).await;
    b.click("section.card form[enctype] button[type=submit]")
        .await;
    b.wait_text("section.card ul.files", name).await;
}

/// Birth registration, the demo's procedure with a result template.
const BIRTH: &str = "1.001193";

const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// Accepts `code` at the ward's one-stop unit for its justice department.
pub(crate) async fn accept(b: &Page, code: &str) {
    b.goto(&format!("/agency/dossiers/{code}")).await;
    let unit = b
        .execute(
            "return [...document.querySelectorAll('#unit-accept option')].find(o => o.text.includes('Tư pháp')).value;",
            json!([]),
        )
        .await
        .unwrap();
    b.set_value("#unit-accept", unit.as_str().unwrap()).await;
    act(b, "act-accept-handle", &[]).await;
    b.wait_text("#status", "Đã tiếp nhận").await;
}

/// Submits the action form `#act-…` of the case page and waits for the
/// page that answers it.
pub(crate) async fn act(b: &Page, form: &str, fields: &[(&str, &str)]) {
    for (css, value) in fields {
        b.set_value(css, "").await;
        b.fill(css, value).await;
    }
    submit(b, &format!("#{form} button[type=submit]")).await;
}

/// Clicks a submit button and waits until another document has loaded
/// (the answer may have the same address as the page it was sent from).
pub(crate) async fn submit(b: &Page, button: &str) {
    b.execute("window.__motcuaOld = true; return true;", json!([]))
        .await
        .unwrap();
    b.click(button).await;
    let start = std::time::Instant::now();
    loop {
        let fresh = b
            .execute(
                "return !window.__motcuaOld && document.readyState === 'complete';",
                json!([]),
            )
            .await;
        if fresh.is_ok_and(|v| v == json!(true)) {
            return;
        }
        assert!(
            start.elapsed() < crate::webdriver::WAIT,
            "no page answered {button}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The bytes at `path`, fetched by the page (with its session).
pub(crate) async fn download(b: &Page, path: &str) -> Vec<u8> {
    let v = b
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             fetch(arguments[0]).then(r => r.arrayBuffer()).then(buf => { \
               const a = new Uint8Array(buf); let s = ''; \
               for (let i = 0; i < a.length; i++) s += String.fromCharCode(a[i]); \
               done(btoa(s)); }).catch(e => done('ERR ' + e));",
            json!([path]),
        )
        .await
        .unwrap();
    let s = v.as_str().unwrap_or_default();
    assert!(!s.starts_with("ERR"), "{path}: {s}");
    crate::webdriver::decode(s).unwrap_or_else(|| panic!("{path}: not base64"))
}

/// What `script` returns (a string; empty if not) for the first element
/// matching `css`, given to it as `el`.
pub(crate) async fn of_element(b: &Page, css: &str, script: &str) -> String {
    b.element(css).await;
    b.execute(
        &format!("const el = document.querySelector(arguments[0]); return {script};"),
        json!([css]),
    )
    .await
    .unwrap()
    .as_str()
    .unwrap_or_default()
    .to_string()
}

/// The `href` of the first link matching `css`.
pub(crate) async fn href(b: &Page, css: &str) -> String {
    of_element(b, css, "el.getAttribute('href')").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_back_office_from_receipt_to_a_verified_signed_result_with_axe() {
    let test = "browser_back_office_from_receipt_to_a_verified_signed_result_with_axe";
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

    // The citizen, through the national e-ID, submits two dossiers.
    b.goto("/lang/vi?next=/").await;
    eid_login(b, true, &tools.axe_js).await;
    let refused = submit_birth(b, &sb, "Nguyễn Minh Quân").await;
    let code = submit_birth(b, &sb, "Nguyễn Minh Khôi").await;
    assert!(code.starts_with("H29.P01-"), "{code}");
    logout(b).await;

    // The one-stop unit: both waiting; one refused with the reason, the
    // other accepted to the justice department.
    login(b, "mc.hoankiem", "Demo-OneStop-2026").await;
    b.goto("/agency").await;
    b.wait_text("main", &code).await;
    b.wait_text("main", &refused).await;
    axe("the one-stop unit's inbox").await;
    b.goto(&format!("/agency/dossiers/{refused}")).await;
    b.wait_text("#code", &refused).await;
    let reason = "Trẻ đã được đăng ký khai sinh tại UBND phường Tràng Tiền.";
    act(b, "act-refuse", &[("#note-refuse", reason)]).await;
    b.wait_text("#status", "Không tiếp nhận").await;
    b.goto(&format!("/agency/dossiers/{code}")).await;
    b.wait_text("#code", &code).await;
    axe("a case waiting for receipt").await;
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
    b.wait_text("#status", "Đã tiếp nhận").await;
    let deadline = b.text("#deadline").await;
    assert!(!deadline.is_empty(), "an appointment date");
    logout(b).await;

    // The justice department claims it and asks for a supplement: the
    // clock pauses.
    login(b, "tp.hoankiem", "Demo-Handler-2026").await;
    b.goto(&format!("/agency/dossiers/{code}")).await;
    b.wait_text("#code", &code).await;
    submit(b, "#claim").await;
    b.wait_text("#assignee", "Vũ Đức Minh").await;
    let missing = "Bản sao giấy chứng nhận kết hôn của cha mẹ.";
    act(b, "act-supplement", &[("#note-supplement", missing)]).await;
    b.wait_text("#status", "Yêu cầu bổ sung").await;
    b.wait_text("#status", "Tạm dừng").await;
    axe("a paused case").await;
    logout(b).await;

    // The citizen reads the request and the refusal, and completes the
    // dossier with the asked file.
    eid_login(b, false, &tools.axe_js).await;
    b.goto(&format!("/account/dossiers/{refused}")).await;
    b.wait_text("#status", "Không tiếp nhận").await;
    b.wait_text("main", reason).await;
    b.wait_text("#notices", "Mẫu 03").await;
    b.goto(&format!("/account/dossiers/{code}")).await;
    b.wait_text("#supplement-request", missing).await;
    axe("a dossier with a supplement request").await;
    b.click("#supplement").await;
    let step = b
        .wait_path("the supplement's draft", |p| {
            p.starts_with("/account/drafts/")
        })
        .await;
    let draft = step
        .trim_start_matches("/account/drafts/")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    b.goto(&format!("/account/drafts/{draft}/files")).await;
    b.wait_text("h1", "Giấy tờ đính kèm").await;
    attach(b, &sb, "giay-ket-hon.pdf").await;
    b.click("#to-check").await;
    b.wait_text("h1", "Kiểm tra thông tin").await;
    b.click("#submit").await;
    b.wait_path("the dossier again", |p| p.contains("dossier_supplemented"))
        .await;
    b.wait_text("#status", "Đang xử lý").await;
    logout(b).await;

    // The justice department transfers it to the office: the deadline
    // is kept.
    login(b, "tp.hoankiem", "Demo-Handler-2026").await;
    b.goto(&format!("/agency/dossiers/{code}")).await;
    b.wait_text("#case-files", "giay-ket-hon.pdf").await;
    let deadline = b.text("#deadline").await;
    let office = b
        .execute(
            "return [...document.querySelectorAll('#unit-transfer option')].find(o => o.text.includes('Văn phòng')).value;",
            json!([]),
        )
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    b.set_value("#unit-transfer", &office).await;
    act(b, "act-transfer", &[("#note-transfer", "Thuộc Văn phòng.")]).await;
    logout(b).await;

    login(b, "vp.hoankiem", "Demo-Office-2026").await;
    b.goto(&format!("/agency/dossiers/{code}")).await;
    b.wait_text("#step", "Văn phòng").await;
    assert_eq!(b.text("#deadline").await, deadline, "the clock is kept");
    axe("a transferred case").await;
    act(b, "act-forward-approve", &[]).await;
    b.wait_text("#step", "Phê duyệt").await;

    // The leader apologises with a new date (the first working day a
    // week or more after the current one that the calendar accepts).
    let day = |s: &str| -> (i32, u32, u32) {
        let d: Vec<&str> = s.split_whitespace().next().unwrap().split('/').collect();
        (
            d[2].parse().unwrap(),
            d[1].parse().unwrap(),
            d[0].parse().unwrap(),
        )
    };
    let (y, m, d) = day(&deadline);
    let mut date =
        time::Date::from_calendar_date(y, time::Month::try_from(m as u8).unwrap(), d as u8)
            .unwrap()
            + time::Duration::days(7);
    let mut apologised = false;
    for _ in 0..15 {
        let iso = format!(
            "{:04}-{:02}-{:02}",
            date.year(),
            u8::from(date.month()),
            date.day()
        );
        b.set_value("#date-apology", &iso).await;
        act(
            b,
            "act-apology",
            &[("#note-apology", "Cần xác minh thêm với nơi sinh.")],
        )
        .await;
        let text = b.text("#deadline").await;
        if text != deadline {
            assert!(
                text.starts_with(&format!(
                    "{:02}/{:02}/{:04}",
                    date.day(),
                    u8::from(date.month()),
                    date.year()
                )),
                "{text} for {iso}"
            );
            apologised = true;
            break;
        }
        // A day off: refused with the reason, nothing changed.
        b.element("#errors").await;
        b.goto(&format!("/agency/dossiers/{code}")).await;
        date += time::Duration::days(1);
    }
    assert!(apologised, "no working day accepted for the apology");
    let new_deadline = b.text("#deadline").await;

    // A result generated from the procedure's template (the demo's
    // birth registration has one), filled with the dossier's answers;
    // approval signs it.
    assert_eq!(
        of_element(b, "#result-title", "el.value").await,
        "Trích lục khai sinh"
    );
    let text = of_element(b, "#result-text", "el.value").await;
    for part in [
        "Họ, chữ đệm, tên: Nguyễn Minh Khôi",
        "Giới tính: Nam",
        "Ngày, tháng, năm sinh: 20/11/2026",
        "Người đi đăng ký khai sinh: Nguyễn Văn An",
    ] {
        assert!(text.contains(part), "{part} in {text}");
    }
    submit(b, "#result-form button[type=submit]").await;
    b.wait_text("#result-list", "Trích lục khai sinh").await;
    axe("a case with its result").await;
    act(b, "act-approve-return", &[]).await;
    b.wait_text("#status", "Đã có kết quả").await;
    // Signed with the agency's seal (the demo's, on SoftHSM2 when present).
    b.wait_text("#result-list", "Ký lúc").await;
    b.wait_text("#result-list", "con dấu điện tử").await;
    // The leaders' board (vp.hoankiem approves in the ward): birth
    // registrations taken up this period, one done late (an apology
    // makes it late whatever the new date), one refused.
    b.goto("/agency/board?agency=H29.P01").await;
    b.wait_text("#board", BIRTH).await;
    axe("the leaders' board").await;
    let cells = b
        .execute(
            "const row = [...document.querySelectorAll('#board tbody tr')].find(r => r.textContent.includes(arguments[0])); \
             return row ? [...row.querySelectorAll('td')].map(td => Number(td.textContent)) : [];",
            json!([BIRTH]),
        )
        .await
        .unwrap();
    let cells: Vec<i64> = cells
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap_or(-1))
        .collect();
    assert_eq!(cells.len(), 8, "{cells:?}");
    assert!(
        cells[0] >= 2 && cells[6] >= 1 && cells[7] >= 1,
        "received, done late and refused: {cells:?}"
    );
    logout(b).await;

    // The citizen: the apology (Form 04), the signed result and its
    // signature; both verify with OpenSSL and on the portal.
    eid_login(b, false, &tools.axe_js).await;
    b.goto(&format!("/account/dossiers/{code}")).await;
    b.wait_text("#status", "Đã có kết quả").await;
    b.wait_text(
        "#appointment",
        new_deadline.split_whitespace().next().unwrap(),
    )
    .await;
    b.wait_text("#notices", "Mẫu 04").await;
    b.wait_text("#notices", "Mẫu 02").await;
    b.wait_text("#results", "Trích lục khai sinh").await;
    axe("a dossier with its signed result").await;
    let document = download(b, &href(b, "#results a").await).await;
    assert!(document.starts_with(b"%PDF-"), "a PDF");
    let words: String = pdf_extract::extract_text_from_mem(&document)
        .unwrap()
        .split_whitespace()
        .collect();
    assert!(
        words.contains("NguyễnMinhKhôi") && words.contains(&code),
        "{words}"
    );
    let signature = download(b, &href(b, "#results a[href$='/signature']").await).await;
    let doc_path = sb.path().join("ket-qua.pdf");
    let sig_path = sb.path().join("ket-qua.pdf.p7s");
    std::fs::write(&doc_path, &document).unwrap();
    std::fs::write(&sig_path, &signature).unwrap();
    let out = motcua_testkit::openssl_cms_verify(&sig_path, &doc_path, None);
    assert!(
        out.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    b.goto("/verify").await;
    b.wait_text("h1", "Kiểm tra văn bản kết quả").await;
    axe("the verification page").await;
    b.upload("#document", &doc_path).await;
    b.upload("#signature", &sig_path).await;
    b.click("#verify-form button[type=submit]").await;
    b.wait_text("#outcome", "Chữ ký số hợp lệ").await;
    b.wait_text("#verified", &code).await;
    axe("a verified result").await;
    // One changed byte: not the document the agency signed.
    let mut changed = document.clone();
    let last = changed.len() - 10;
    changed[last] ^= 1;
    let changed_path = sb.path().join("ket-qua-sua.pdf");
    std::fs::write(&changed_path, &changed).unwrap();
    b.goto("/verify").await;
    b.upload("#document", &changed_path).await;
    b.upload("#signature", &sig_path).await;
    b.click("#verify-form button[type=submit]").await;
    b.wait_text("#outcome", "không khớp").await;
    drop(browser);
}
