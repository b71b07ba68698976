//! End to end in a real browser (Debian's Chromium through chromedriver):
//! first login with an initial password, the forced change, the account
//! history, the brute-force lock, an operator's unlock from the console,
//! and axe-core's accessibility check of the main pages.
use crate::support::{loud, Sandbox};
use crate::webdriver::{Page, Tools};
use serde_json::{json, Value};
use std::time::Duration;

const SERVANT: &str = "cb.nguyenthimai";
const SERVANT_NAME: &str = "Nguyễn Thị Mai";
const SERVANT_NEW_PW: &str = "Hoa-Sen-Ho-Guom-2026";
const OPERATOR: &str = "qt.phamvanbinh";
const OPERATOR_NEW_PW: &str = "Quan-Tri-Vien-Binh-2026";

/// Runs axe-core in the page and returns its violations.
async fn axe_run(page: &Page, axe_js: &str, what: &str) -> Vec<Value> {
    let loaded = page
        .execute(&format!("{axe_js}\n;return typeof window.axe;"), json!([]))
        .await
        .unwrap_or_else(|e| panic!("axe-core injection on {what}: {e}"));
    assert_eq!(loaded, json!("object"), "axe-core did not load on {what}");
    let script = r#"
        const done = arguments[arguments.length - 1];
        window.axe.run(document, { resultTypes: ['violations'] })
          .then(r => done(JSON.stringify(r.violations.map(v => ({
              id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.map(n => ({ target: n.target.join(' '), html: n.html,
                                         summary: n.failureSummary }))
          })))))
          .catch(e => done('ERROR ' + e));
    "#;
    let out = page
        .execute_async(script, json!([]))
        .await
        .unwrap_or_else(|e| panic!("axe.run on {what}: {e}"));
    let out = out.as_str().unwrap_or_default();
    assert!(!out.starts_with("ERROR"), "axe.run on {what}: {out}");
    serde_json::from_str(out).unwrap_or_else(|e| panic!("axe output on {what}: {e}: {out}"))
}

/// On the birth registration's (1.001193) child page: the rest of the
/// child's answers (a boy born 20/11/2026 in Hanoi, name already typed) and
/// the mother's page; waits for the father's page.
pub async fn birth_child_and_mother(b: &Page) {
    b.click("input[name=child_sex][value=male]").await;
    b.set_value("#f-child_birthdate", "2026-11-20").await;
    b.fill("#f-child_birthplace", "Bệnh viện Phụ sản Hà Nội")
        .await;
    b.fill("#f-child_ethnicity", "Kinh").await;
    b.fill("#f-child_nationality", "Việt Nam").await;
    b.click("button[value=continue]").await;
    b.wait_text("h1", "Thông tin người mẹ").await;
    b.fill("#f-mother_name", "Trần Thị Hoa").await;
    b.fill("#f-mother_birth_year", "1990").await;
    b.click("button[value=continue]").await;
    b.wait_text("h1", "Thông tin người cha").await;
}

/// Runs axe-core in the page; fails on any violation of impact serious or
/// critical (every violation is printed).
pub async fn axe_check(page: &Page, axe_js: &str, what: &str) {
    let violations = axe_run(page, axe_js, what).await;
    let report: Vec<String> = violations
        .iter()
        .map(|v| {
            let nodes: Vec<String> = v["nodes"]
                .as_array()
                .map(|ns| {
                    ns.iter()
                        .map(|n| {
                            format!(
                                "      at {} — {}\n        {}",
                                n["target"].as_str().unwrap_or_default(),
                                n["html"].as_str().unwrap_or_default(),
                                n["summary"].as_str().unwrap_or_default().replace('\n', " ")
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            format!(
                "  [{}] {}: {}\n{}",
                v["impact"].as_str().unwrap_or("?"),
                v["id"].as_str().unwrap_or("?"),
                v["help"].as_str().unwrap_or_default(),
                nodes.join("\n")
            )
        })
        .collect();
    let serious = violations
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .count();
    if !report.is_empty() {
        loud(&format!(
            "axe-core on {what}: {} violation(s):\n{}",
            report.len(),
            report.join("\n")
        ));
    }
    assert_eq!(
        serious,
        0,
        "axe-core found serious or critical accessibility violations on {what}:\n{}",
        report.join("\n")
    );
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
    page.wait_text("main", "Bạn đã đăng xuất").await;
}

/// Logs in with an initial password, is sent to the change form, and sets
/// a new one.
pub(crate) async fn first_login(
    page: &Page,
    username: &str,
    initial: &str,
    new: &str,
    axe_js: Option<&str>,
) {
    login(page, username, initial).await;
    page.wait_path("the forced password change", |p| p == "/password/change")
        .await;
    page.wait_text("main", "Bạn đang dùng mật khẩu ban đầu")
        .await;
    if let Some(axe_js) = axe_js {
        axe_check(page, axe_js, "the password change page").await;
    }
    // Every other page sends back to the change form until it is done.
    page.goto("/account/activity").await;
    page.wait_path("still the forced password change", |p| {
        p == "/password/change"
    })
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
    page.wait_text("main", "Đã đổi mật khẩu").await;
}

#[tokio::test]
async fn browser_first_login_lockout_and_operator_unlock_with_axe() {
    let test = "browser_first_login_lockout_and_operator_unlock_with_axe";
    let Some(tools) = Tools::find(test) else {
        return;
    };
    let sb = Sandbox::sqlite();
    let servant_pw = sb.create_account(
        SERVANT,
        SERVANT_NAME,
        "mai.nguyen@example.gov.vn",
        "civil_servant",
    );
    let operator_pw = sb.create_account(
        OPERATOR,
        "Phạm Văn Bình",
        "binh.pham@example.gov.vn",
        "operator",
    );
    let server = sb.serve();
    let b = crate::webdriver::Browser::start(&tools, &server.url).await;

    // Vietnamese, whatever the browser's own language.
    b.goto("/lang/vi?next=/").await;
    b.wait_path("the home page", |p| p == "/").await;
    b.wait_text("h1", "").await;
    axe_check(&b, &tools.axe_js, "the home page").await;
    b.goto("/login").await;
    b.wait_text("h1", "Đăng nhập").await;
    axe_check(&b, &tools.axe_js, "the login page").await;
    // The check itself works: an image without a text alternative is caught.
    b.execute(
        "const i = document.createElement('img'); i.src = '/static/none.png'; \
         document.querySelector('main').appendChild(i);",
        json!([]),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let found = axe_run(&b, &tools.axe_js, "the login page with a bad image").await;
    assert!(
        found
            .iter()
            .any(|v| v["id"] == "image-alt" && v["impact"] == "critical"),
        "axe-core should flag an image without alt: {found:?}"
    );

    // 1. The civil servant's first login: forced change of the initial
    //    password, then the account history shows the login.
    first_login(
        &b,
        SERVANT,
        &servant_pw,
        SERVANT_NEW_PW,
        Some(&tools.axe_js),
    )
    .await;
    b.goto("/account/activity").await;
    let history = b.wait_text("table", "Đăng nhập").await;
    assert!(
        history.contains("Đổi mật khẩu ban đầu"),
        "the history lists the password change:\n{history}"
    );
    assert!(history.contains("127.0.0.1"), "{history}");
    axe_check(&b, &tools.axe_js, "the account history page").await;
    logout(&b).await;

    // 2. Five wrong passwords: the first four are refused plainly (after the
    //    fourth a 1-second delay applies), the fifth locks the account.
    for i in 1..=4 {
        login(&b, SERVANT, &format!("Sai-Mat-Khau-{i}")).await;
        b.wait_text("#login-error", "không đúng").await;
    }
    tokio::time::sleep(Duration::from_millis(1300)).await;
    login(&b, SERVANT, "Sai-Mat-Khau-5").await;
    let msg = b.wait_text("#login-error", "tạm thời bị khóa").await;
    assert!(msg.contains("Đơn vị quản lý Cổng"), "{msg}");
    // Now even the right password is refused.
    login(&b, SERVANT, SERVANT_NEW_PW).await;
    b.wait_text("#login-error", "tạm thời bị khóa").await;
    assert_eq!(b.path().await, "/login");

    // 3. The operator (first login too) finds the account, sees the lock
    //    and lifts it with a reason.
    first_login(&b, OPERATOR, &operator_pw, OPERATOR_NEW_PW, None).await;
    b.goto("/console/accounts").await;
    b.fill("#q", "nguyen thi mai").await;
    b.click("form[role='search'] button[type='submit']").await;
    // The list first shows every account; then only the one found.
    b.wait_text("#results", "Tìm thấy 1 tài khoản").await;
    let found = b.text("#results").await;
    assert!(found.contains(SERVANT_NAME), "{found}");
    assert!(
        !found.contains(OPERATOR),
        "search narrows the list: {found}"
    );
    axe_check(&b, &tools.axe_js, "the console's account search").await;
    b.click("#results a[href^='/console/accounts/']").await;
    b.wait_text("h1", SERVANT_NAME).await;
    b.wait_text("#account-status", "Tạm khóa").await;
    let throttle = b.text("#throttle-state").await;
    assert!(throttle.contains("5"), "{throttle}");
    axe_check(&b, &tools.axe_js, "the console's account page").await;
    b.fill(
        "#unlock-reason",
        "Đã xác minh qua điện thoại với chủ tài khoản",
    )
    .await;
    let button = b.text("#unlock").await;
    assert_eq!(button, "Mở khóa tài khoản");
    b.click("#unlock").await;
    b.wait_text("#account-status", "Đang hoạt động").await;
    let audit = b.body_text().await;
    assert!(
        audit.contains("account.unlock"),
        "the unlock is audited:\n{audit}"
    );
    logout(&b).await;

    // 4. The civil servant logs in with the new password.
    login(&b, SERVANT, SERVANT_NEW_PW).await;
    let path = b
        .wait_path("a page after a successful login", |p| {
            !p.starts_with("/login")
        })
        .await;
    assert!(!path.starts_with("/password/change"), "{path}");
    b.wait_text("header", "Đăng xuất").await;
    b.goto("/account/activity").await;
    let history = b.wait_text("table", "Tài khoản được mở khóa").await;
    assert!(
        history.contains("Tạm khóa do nhập sai mật khẩu nhiều lần"),
        "{history}"
    );
    drop(b);
    drop(server);
}
