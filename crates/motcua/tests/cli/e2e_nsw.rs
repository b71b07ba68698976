//! End to end in Chromium: a declarant registers with a PDF and confirms
//! the email (delivered through a real SMTP server, Python's aiosmtpd);
//! the operator returns the profile for correction; the declarant fixes
//! and resubmits; the operator accepts; the credentials arrive by mail; the
//! first login forces a password change; a registered specialized system
//! (a real HTTP receiver verifying signatures with the `standardwebhooks`
//! package) receives `account.created` (R-ID-1…5).
use crate::support::{loud, Sandbox};
use crate::webdriver::{Page, Tools};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TAX: &str = "0100109106";
const ORG_EMAIL: &str = "lienhe@binhminh.example.vn";
const OPERATOR: &str = "qt.lethihoa";
const OPERATOR_NEW_PW: &str = "Quan-Tri-Vien-Hoa-2026";
const DECLARANT_NEW_PW: &str = "Binh-Minh-Xuat-Khau-2026";

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn python_has(module: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("free port: {e}"))
}

/// aiosmtpd storing every message in a maildir.
fn smtp_server(maildir: &Path) -> (Proc, u16) {
    let port = free_port();
    let child = Command::new("python3")
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ])
        .arg(maildir)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("start aiosmtpd: {e}"));
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "aiosmtpd did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (Proc(child), port)
}

/// The webhook receiver of the web crate's tests.
fn receiver() -> (Proc, u16) {
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../web/tests/peers/webhook_receiver.py");
    let mut child = Command::new("python3")
        .arg(script)
        .arg("0")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("start webhook receiver: {e}"));
    let mut line = String::new();
    let out = child
        .stdout
        .take()
        .unwrap_or_else(|| panic!("receiver stdout"));
    BufReader::new(out)
        .read_line(&mut line)
        .unwrap_or_else(|e| panic!("{e}"));
    let port = line
        .trim()
        .strip_prefix("PORT ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("receiver said {line:?}"));
    (Proc(child), port)
}

/// Text bodies of the messages in the maildir so far, with their subjects.
fn mails(maildir: &Path) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        let Ok(entries) = std::fs::read_dir(maildir.join(sub)) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(raw) = std::fs::read(e.path()) else {
                continue;
            };
            let Some(m) = mail_parser::MessageParser::default().parse(&raw) else {
                continue;
            };
            let to = m
                .to()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .unwrap_or_default()
                .to_string();
            let subject = m.subject().unwrap_or_default().to_string();
            let text = m.body_text(0).map(|t| t.to_string()).unwrap_or_default();
            out.push((to, subject, text));
        }
    }
    out
}

/// Waits for a message to `to` whose subject contains `needle`.
async fn wait_mail(maildir: &Path, to: &str, needle: &str) -> String {
    let start = Instant::now();
    loop {
        if let Some((_, _, text)) = mails(maildir)
            .into_iter()
            .find(|(t, s, _)| t == to && s.contains(needle))
        {
            return text;
        }
        assert!(
            start.elapsed() < Duration::from_secs(40),
            "no mail to {to} about {needle:?}; have: {:?}",
            mails(maildir)
                .iter()
                .map(|m| (&m.0, &m.1))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn link(text: &str, needle: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '"')
        .find(|w| w.starts_with("http") && w.contains(needle))
        .map(|w| w.trim_end_matches(['.', ',', ')']).to_string())
        .unwrap_or_else(|| panic!("no {needle} link in:\n{text}"))
}

fn path(url: &str) -> String {
    url.splitn(4, '/')
        .nth(3)
        .map(|p| format!("/{p}"))
        .unwrap_or_default()
}

async fn login(page: &Page, username: &str, password: &str) {
    page.goto("/login").await;
    page.fill("#username", username).await;
    page.fill("#password", password).await;
    page.click("form[action='/login'] button[type='submit']")
        .await;
}

async fn logout(page: &Page) {
    page.click("form[action='/logout'] button[type='submit']")
        .await;
    page.wait_path("the home page after logout", |p| {
        p.starts_with("/?m=logged_out")
    })
    .await;
}

async fn change_initial(page: &Page, initial: &str, new: &str) {
    page.wait_path("the forced password change", |p| p == "/password/change")
        .await;
    page.fill("#current", initial).await;
    page.fill("#new", new).await;
    page.fill("#confirm", new).await;
    page.click("form[action='/password/change'] button[type='submit']")
        .await;
    page.wait_path("the account page", |p| {
        p.starts_with("/account?m=password_changed")
    })
    .await;
}

async fn fill_profile(b: &Page, pdf: &Path) {
    for (css, v) in [
        ("#tax_code", TAX),
        ("#org_name", "Công ty TNHH Xuất nhập khẩu Bình Minh"),
        ("#org_name_en", "Binh Minh Import Export Co., Ltd"),
        ("#ward", "Phường Cửa Nam"),
        ("#address", "Số 54 Hai Bà Trưng"),
        ("#phone", "024 3826 1234"),
        ("#email", ORG_EMAIL),
        ("#rep_name", "Trần Thị Bình"),
        ("#rep_title", "Giám đốc"),
        ("#rep_personal_id", "001190012345"),
        ("#contact_name", "Lê Văn Cường"),
        ("#contact_phone", "0912 000 000"),
        ("#contact_email", "cuong.le@binhminh.example.vn"),
    ] {
        b.fill(css, v).await;
    }
    b.set_value("#org_type", "llc").await;
    b.set_value("#province", "Thành phố Hà Nội").await;
    b.upload("#document", pdf).await;
    // The captcha, answered the way a person who cannot see the image
    // does: its question in words.
    let q = b.text("#captcha-question strong").await;
    b.fill("#captcha", &answer_in_words(&q)).await;
}

/// "bảy cộng hai bằng bao nhiêu? …" → "9".
fn answer_in_words(q: &str) -> String {
    const VI: [&str; 10] = [
        "không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín",
    ];
    let (a, rest) = q
        .split_once(" cộng ")
        .unwrap_or_else(|| panic!("question {q:?}"));
    let b = rest.split(' ').next().unwrap_or_default();
    let n = |w: &str| {
        VI.iter()
            .position(|x| *x == w.trim())
            .unwrap_or_else(|| panic!("number word {w:?} in {q:?}"))
    };
    (n(a) + n(b)).to_string()
}

async fn received(port: u16) -> Vec<Value> {
    reqwest::get(format!("http://127.0.0.1:{port}/received"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn browser_declarant_registration_review_and_webhook() {
    let test = "browser_declarant_registration_review_and_webhook";
    let Some(tools) = Tools::find(test) else {
        return;
    };
    for module in ["aiosmtpd", "standardwebhooks"] {
        if !python_has(module) {
            assert!(
                !crate::support::in_ci(),
                "{test} needs the Python module {module} (pip install {module})"
            );
            loud(&format!("SKIPPING {test}: pip install {module}"));
            return;
        }
    }
    let sb = Sandbox::sqlite();
    let maildir = sb.path().join("smtp-maildir");
    let (_smtp, smtp_port) = smtp_server(&maildir);
    let (_rx, rx_port) = receiver();
    let pdf = sb.path().join("giay-chung-nhan-dkdn.pdf");
    std::fs::write(
        &pdf,
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let operator_pw =
        sb.create_account(OPERATOR, "Lê Thị Hoa", "hoa.le@example.gov.vn", "operator");
    let mut cmd = sb.cmd(&["serve"]);
    cmd.env("MOTCUA_MAIL__TRANSPORT", "smtp")
        .env("MOTCUA_MAIL__SMTP__HOST", "127.0.0.1")
        .env("MOTCUA_MAIL__SMTP__PORT", smtp_port.to_string())
        .env("MOTCUA_MAIL__SMTP__SECURITY", "none");
    let server = crate::support::Server::start(cmd);
    let b = crate::webdriver::Browser::start(&tools, &server.url).await;
    b.goto("/lang/vi?next=/").await;
    b.wait_path("the home page", |p| p == "/").await;

    // The operator registers the ministry's specialized system.
    login(&b, OPERATOR, &operator_pw).await;
    change_initial(&b, &operator_pw, OPERATOR_NEW_PW).await;
    b.goto("/console/systems").await;
    b.fill("#code", "bct-ecosys").await;
    b.fill("#name", "Hệ thống eCoSys").await;
    b.fill("#ministry", "Bộ Công Thương").await;
    b.fill(
        "#endpoint_url",
        &format!("http://127.0.0.1:{rx_port}/hooks/motcua"),
    )
    .await;
    b.click("form[action='/console/systems'] button[type='submit']")
        .await;
    let secret = b.wait_text("#secret", "whsec_").await;
    reqwest::Client::new()
        .post(format!("http://127.0.0.1:{rx_port}/control"))
        .body(json!({ "secret": secret.trim() }).to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    logout(&b).await;

    // 1. The declarant registers with the PDF.
    b.goto("/").await;
    b.click("a[href='/register/declarant']").await;
    b.wait_text("h1", "Đăng ký tài khoản người khai").await;
    crate::e2e::axe_check(&b, &tools.axe_js, "the declarant registration form").await;
    fill_profile(&b, &pdf).await;
    b.click("#accept_terms").await;
    b.click("form[action='/register/declarant'] button[type='submit']")
        .await;
    let reference = b.wait_text("#reference", "DK-").await;

    // 2. The verification mail, through SMTP; the link opens a confirm page.
    let text = wait_mail(&maildir, ORG_EMAIL, "Xác nhận thư điện tử").await;
    b.goto(&path(&link(&text, "/register/verify/"))).await;
    b.click("#confirm").await;
    b.wait_text("#status", "Đang chờ Đơn vị quản lý Cổng kiểm tra")
        .await;
    let status_path = b.path().await;
    crate::e2e::axe_check(&b, &tools.axe_js, "the registration status page").await;

    // 3. The operator returns it for correction.
    login(&b, OPERATOR, OPERATOR_NEW_PW).await;
    b.wait_path("after login", |p| !p.starts_with("/login"))
        .await;
    b.goto("/console/registrations").await;
    b.wait_text("#queue", &reference).await;
    crate::e2e::axe_check(&b, &tools.axe_js, "the registration queue").await;
    b.click("#queue a[href^='/console/registrations/']").await;
    b.wait_text("h1", "Bình Minh").await;
    b.fill(
        "#reason",
        "Số điện thoại người liên hệ không liên lạc được, vui lòng cập nhật",
    )
    .await;
    b.click("#return").await;
    b.wait_text("#status", "Cần bổ sung").await;
    logout(&b).await;

    // 4. The declarant corrects and resubmits.
    let text = wait_mail(&maildir, ORG_EMAIL, "cần bổ sung").await;
    assert!(text.contains("không liên lạc được"), "{text}");
    b.goto(&path(&link(&text, "/register/status/"))).await;
    b.wait_text("#reason", "không liên lạc được").await;
    b.click("a.button[href$='/edit']").await;
    b.wait_text("h1", "Sửa và gửi lại").await;
    b.fill("#contact_phone", "0987 654 321").await;
    b.click("form button[type='submit']").await;
    b.wait_text("#notice", "Đã gửi lại hồ sơ").await;
    assert_eq!(
        b.path().await.split('?').next(),
        status_path.split('?').next()
    );

    // 5. The operator accepts.
    login(&b, OPERATOR, OPERATOR_NEW_PW).await;
    b.wait_path("after login", |p| !p.starts_with("/login"))
        .await;
    b.goto("/console/registrations").await;
    b.click("#queue a[href^='/console/registrations/']").await;
    b.wait_text("h1", "Bình Minh").await;
    b.click("#accept").await;
    b.wait_text("#status", "Đã chấp thuận").await;
    logout(&b).await;

    // 6. The credentials arrive; the first login forces a new password.
    let text = wait_mail(&maildir, ORG_EMAIL, "Thông tin đăng nhập").await;
    let password = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Mật khẩu ban đầu:"))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| panic!("no password in:\n{text}"));
    assert!(text.contains(TAX), "the username is the tax code:\n{text}");
    login(&b, TAX, &password).await;
    change_initial(&b, &password, DECLARANT_NEW_PW).await;

    // 7. The specialized system got account.created, validly signed.
    let start = Instant::now();
    let created = loop {
        let got = received(rx_port).await;
        if let Some(r) = got.iter().find(|r| {
            r["type"] == "account.created" && r["body"].as_str().is_some_and(|b| b.contains(TAX))
        }) {
            break r.clone();
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no account.created received: {got:?}\n{}",
            server.logs()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(created["verified"], json!(true), "{created}");
    assert_eq!(created["status"], json!(204));
    drop(b);
    drop(server);
}

const MANAGER: &str = "ql.bocongthuong";
const MANAGER_NEW_PW: &str = "Quan-Ly-Bo-Cong-Thuong-2026";
const OPERATOR2: &str = "qt.dangvanminh";
const OPERATOR2_NEW_PW: &str = "Quan-Tri-Vien-Minh-2026";

/// Submits the form of the ministry page whose hidden `action` is `action`.
async fn ministry_form(b: &Page, action: &str) {
    b.click(&format!(
        "form:has(input[name='action'][value='{action}']) button[type='submit']"
    ))
    .await;
}

/// In Chromium: the operator sets up Bộ Công Thương and its manager; the
/// manager uploads a CSV of 3 persons; the operator grants 2 and refuses 1
/// with a reason; the written notice (PDF) lists exactly that (R-ID-6…8).
#[tokio::test]
async fn browser_ministry_csv_request_grant_refuse_and_notice() {
    let test = "browser_ministry_csv_request_grant_refuse_and_notice";
    let Some(tools) = Tools::find(test) else {
        return;
    };
    let sb = Sandbox::sqlite();
    let operator_pw = sb.create_account(
        OPERATOR2,
        "Đặng Văn Minh",
        "minh.dang@example.gov.vn",
        "operator",
    );
    let manager_pw = sb.create_account(
        MANAGER,
        "Phạm Thị Quản",
        "quan.pham@moit.example.gov.vn",
        "ministry_manager",
    );
    let csv = sb.path().join("danh-sach-can-bo.csv");
    std::fs::write(
        &csv,
        "ho_ten,chuc_danh,don_vi_cong_tac,email,quyen\n\
         Nguyễn Văn An,Chuyên viên,Vụ Kế hoạch,an.nv@moit.example.gov.vn,tra_cuu;phe_duyet\n\
         Trần Thị Bình,Chuyên viên chính,Cục Xuất nhập khẩu,binh.tt@moit.example.gov.vn,tra_cuu\n\
         Lê Minh Châu,Trưởng phòng,Cục Xuất nhập khẩu,chau.lm@moit.example.gov.vn,phe_duyet\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let server = sb.serve();
    let b = crate::webdriver::Browser::start(&tools, &server.url).await;
    b.goto("/lang/vi?next=/").await;
    b.wait_path("the home page", |p| p == "/").await;

    // The operator: units, functions and the manager of Bộ Công Thương.
    login(&b, OPERATOR2, &operator_pw).await;
    change_initial(&b, &operator_pw, OPERATOR2_NEW_PW).await;
    // Open the page of Bộ Công Thương by its link text.
    b.goto("/console/ministries").await;
    let href = b
        .execute(
            "return [...document.querySelectorAll('a[href^=\"/console/ministries/\"]')].find(a => a.textContent.includes('Công Thương')).getAttribute('href');",
            json!([]),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let ministry = href.as_str().unwrap_or_default().to_string();
    for unit in ["Vụ Kế hoạch", "Cục Xuất nhập khẩu"] {
        b.goto(&ministry).await;
        b.fill("#unit-name", unit).await;
        ministry_form(&b, "add_unit").await;
        // (The names are in the rename fields.)
        b.element(&format!("#units-table input[value='{unit}']"))
            .await;
    }
    for (code, name) in [
        ("tra_cuu", "Tra cứu hồ sơ"),
        ("phe_duyet", "Phê duyệt hồ sơ"),
    ] {
        b.goto(&ministry).await;
        b.fill("#function-code", code).await;
        b.fill("#function-name", name).await;
        ministry_form(&b, "add_function").await;
        b.wait_text("#functions-table", code).await;
    }
    b.goto(&ministry).await;
    b.fill("#manager-username", MANAGER).await;
    ministry_form(&b, "add_manager").await;
    b.wait_text("#managers-list", MANAGER).await;
    logout(&b).await;

    // The manager uploads the CSV of 3 persons.
    login(&b, MANAGER, &manager_pw).await;
    change_initial(&b, &manager_pw, MANAGER_NEW_PW).await;
    b.goto("/ministry/requests/new").await;
    crate::e2e::axe_check(&b, &tools.axe_js, "the ministry's request form").await;
    b.set_value("#upload_basis", "decree-85-2019").await;
    b.upload("#file", &csv).await;
    b.click("#upload-form button[type='submit']").await;
    let reference = b.wait_text("h1", "CT-").await;
    let request_path = b
        .path()
        .await
        .split('?')
        .next()
        .unwrap_or_default()
        .to_string();
    logout(&b).await;

    // The operator grants An and Bình, refuses Châu with a reason.
    login(&b, OPERATOR2, OPERATOR2_NEW_PW).await;
    b.wait_path("after login", |p| !p.starts_with("/login"))
        .await;
    b.goto("/console/provisioning").await;
    b.wait_text(
        "#open-requests",
        reference
            .split_whitespace()
            .find(|w| w.starts_with("CT-"))
            .unwrap_or("CT-"),
    )
    .await;
    b.click("#open-requests a[href^='/console/provisioning/']")
        .await;
    b.wait_text("#persons", "Lê Minh Châu").await;
    crate::e2e::axe_check(
        &b,
        &tools.axe_js,
        "the operator's provisioning request page",
    )
    .await;
    for name in ["Nguyễn Văn An", "Trần Thị Bình"] {
        let id = b
            .execute(
                "return [...document.querySelectorAll('#persons tr')].find(r => r.textContent.includes(arguments[0])).id;",
                json!([name]),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let row = id.as_str().unwrap_or_default().to_string();
        b.click(&format!("#{row} form[action$='/grant'] button"))
            .await;
        b.wait_text(&format!("#{row}"), "").await;
    }
    let id = b
        .execute(
            "return [...document.querySelectorAll('#persons tr')].find(r => r.textContent.includes('Lê Minh Châu')).id;",
            json!([]),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let row = id.as_str().unwrap_or_default().to_string();
    b.fill(
        &format!("#{row} input[name='reason']"),
        "Đã có tài khoản trên hệ thống của Bộ",
    )
    .await;
    b.click(&format!("#{row} form[action$='/refuse'] button"))
        .await;
    b.wait_text("#notice-link", "").await;
    logout(&b).await;

    // The manager sees the result and downloads the notice.
    login(&b, MANAGER, MANAGER_NEW_PW).await;
    b.wait_path("after login", |p| !p.starts_with("/login"))
        .await;
    b.goto(&request_path).await;
    b.wait_text("#notice-link", "").await;
    drop(b);
    // The session cookie is HttpOnly (no script can read it): fetch the
    // PDF over HTTP with a session of the manager's own.
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    crate::support::http_login(&http, &server.url, MANAGER, MANAGER_NEW_PW).await;
    let pdf = http
        .get(format!("{}{request_path}/notice.pdf", server.url))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pdf.status(), reqwest::StatusCode::OK);
    let bytes = pdf.bytes().await.unwrap_or_else(|e| panic!("{e}"));
    assert!(bytes.starts_with(b"%PDF"));
    let text = pdf_extract::extract_text_from_mem(&bytes).unwrap_or_else(|e| panic!("{e}"));
    let flat: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    for needle in [
        "NguyễnVănAn",
        "TrầnThịBình",
        "LêMinhChâu",
        "ĐãcótàikhoảntrênhệthốngcủaBộ",
    ] {
        assert!(flat.contains(needle), "the notice lacks {needle}:\n{text}");
    }
    let r = reference
        .split_whitespace()
        .find(|w| w.starts_with("CT-"))
        .unwrap_or_default()
        .trim_matches(|c: char| !c.is_alphanumeric() && c != '-');
    assert!(
        flat.contains(r),
        "the notice lacks the reference {r}:\n{text}"
    );
    drop(server);
}
