//! End to end in Chromium with the real signing tool (motcua-signer, run
//! in-process) on a real SoftHSM2 token holding two certificates (R-ID-9,
//! R-ID-11, R-ID-13): without the tool the page explains how to install it;
//! a business registers by choosing its certificate and typing the PIN in
//! the tool's window, solves the portal's captcha, confirms its email,
//! logs out and logs in again with the token. The test PKI (root, CA, CRL
//! and OCSP over HTTP) is `motcua_pki::testca`; the portal trusts its root.
use crate::support::{loud, Sandbox};
use crate::webdriver::{Page, Tools};
use motcua_pki::softhsm::{self, SoftToken};
use motcua_pki::testca::{LeafSpec, TestPki};
use serde_json::json;
use std::time::{Duration, Instant};

const PIN: &str = "2468";
const ORG: &str = "Công ty TNHH Thương mại Sao Mai";
const TAX: &str = "0101234565";
const EMAIL: &str = "ketoan@saomai.example.vn";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("free port: {e}"))
}

/// The tests that run the signing tool in this process take turns: the
/// PKCS#11 module reads `SOFTHSM2_CONF` (a process-wide variable) when it
/// is initialised, once per module path, so each test also loads its own
/// copy of the module (see [`own_module`]).
static ONE_TOKEN_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A copy of the SoftHSM2 module in `dir`: the signing tool initialises a
/// module once per path, so a copy is initialised afresh with this test's
/// `SOFTHSM2_CONF`.
fn own_module(token: &SoftToken, dir: &std::path::Path) -> std::path::PathBuf {
    let copy = dir.join("libsofthsm2-own.so");
    std::fs::copy(&token.module, &copy).unwrap_or_else(|e| panic!("copy the module: {e}"));
    copy
}

/// False (after saying so) when SoftHSM2 is missing outside CI; in CI a
/// missing SoftHSM2 fails the test.
fn softhsm_present(test: &str) -> bool {
    let Some(what) = softhsm::missing() else {
        return true;
    };
    assert!(
        !crate::support::in_ci(),
        "CI=true: {test} needs {what} (apt-get install softhsm2 opensc)"
    );
    loud(&format!(
        "\n*** SKIPPED {test}: {what} is not installed (apt-get install softhsm2 opensc) ***\n"
    ));
    false
}

/// A configuration trusting the test PKI's root (and its CA as an
/// intermediate), with the signing tool on `signer_port` and `extra`
/// lines of `[identity]`.
fn trusting_config(
    sb: &Sandbox,
    pki: &TestPki,
    signer_port: u16,
    extra: &str,
) -> std::path::PathBuf {
    let root = sb.path().join("root.pem");
    let ca = sb.path().join("ca.pem");
    std::fs::write(&root, motcua_pki::cert::to_pem(&pki.root.cert.der))
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&ca, motcua_pki::cert::to_pem(&pki.ca.cert.der))
        .unwrap_or_else(|e| panic!("{e}"));
    let config = sb.path().join("motcua.toml");
    std::fs::write(
        &config,
        format!(
            "[identity]\ntrust_anchors = [{root:?}]\nintermediates = [{ca:?}]\nsigner_port = {signer_port}\n{extra}"
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    config
}

/// Waits until the token page's script reaches `state`.
async fn wait_state(b: &Page, state: &str) {
    let start = Instant::now();
    loop {
        let s = b
            .execute(
                "const a = document.getElementById('token-app'); return a ? (a.dataset.state || '') : '';",
                json!([]),
            )
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        if s == state {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "token page never reached {state:?} (it is {s:?}):\n{}",
            b.body_text().await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Clicks the sign button, chooses the certificate `fingerprint` in the
/// signing tool's window, types the PIN, signs, and comes back.
async fn sign_in_tool(b: &Page, fingerprint: &str, pin: &str) {
    sign_in_tool_showing(b, fingerprint, pin, None).await;
}

/// [`sign_in_tool`], checking that the tool's window shows `shown` (a
/// dossier's digest) before signing.
async fn sign_in_tool_showing(b: &Page, fingerprint: &str, pin: &str, shown: Option<&str>) {
    let main = b.window().await;
    let known = b.windows().await;
    b.click("#token-sign").await;
    let popup = b.switch_to_new_window(&known).await;
    // The tool's own page (another origin): the certificates and the PIN.
    let radio = format!("input[name='cert'][value='{fingerprint}']");
    b.element(&radio).await;
    let url = b.url().await;
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let text = b.body_text().await;
    assert!(text.contains(ORG), "{text}");
    if let Some(shown) = shown {
        assert!(text.contains(shown), "the tool shows {shown}:\n{text}");
    }
    b.click(&radio).await;
    b.fill("#pin", pin).await;
    b.click("#sign").await;
    // The tool closes its window; go back to the portal's.
    let start = Instant::now();
    while b.windows().await.contains(&popup) && start.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    b.switch_to(&main).await;
}

/// The six-digit code of the newest mail to `to` in the mail drop.
fn code_from_mail(dir: &std::path::Path, to: &str) -> String {
    let start = Instant::now();
    loop {
        let mut found = None;
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let Ok(raw) = std::fs::read(entry.path()) else {
                continue;
            };
            let Some(m) = mail_parser::MessageParser::default().parse(&raw) else {
                continue;
            };
            let rcpt = m
                .to()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .unwrap_or_default()
                .to_string();
            if rcpt != to {
                continue;
            }
            let body = m.body_text(0).unwrap_or_default().to_string();
            if let Some(code) = body
                .split(|c: char| !c.is_ascii_digit())
                .find(|w| w.len() == 6)
            {
                found = Some(code.to_string());
            }
        }
        if let Some(c) = found {
            return c;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no code mail to {to} in {}",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[tokio::test]
async fn browser_business_registers_and_logs_in_with_a_usb_token() {
    let test = "browser_business_registers_and_logs_in_with_a_usb_token";
    let Some(tools) = Tools::find(test) else {
        return;
    };
    if !softhsm_present(test) {
        return;
    }
    let _turn = ONE_TOKEN_AT_A_TIME.lock().await;
    let sb = Sandbox::sqlite();
    let now = motcua_domain::Clock::now(&motcua_domain::SystemClock);
    let pki = TestPki::start(now).await.unwrap_or_else(|e| panic!("{e}"));

    // The business's token: the director's personal certificate and the
    // company's certificate (the one to choose).
    let person = pki
        .issue(&LeafSpec::person("Trần Văn Bảo", "001089001234", now))
        .unwrap_or_else(|e| panic!("{e}"));
    let company = pki
        .issue(&LeafSpec::organization(ORG, TAX, now))
        .unwrap_or_else(|e| panic!("{e}"));
    let token = SoftToken::create(&sb.path().join("softhsm"), "SAO MAI TOKEN", PIN)
        .unwrap_or_else(|e| panic!("{e}"));
    token
        .put("director", "01", &person.key_pem(), person.der())
        .unwrap_or_else(|e| panic!("{e}"));
    token
        .put("company", "02", &company.key_pem(), company.der())
        .unwrap_or_else(|e| panic!("{e}"));
    // The signing tool loads the module in this process: its token folder.
    std::env::set_var("SOFTHSM2_CONF", &token.conf);

    // The portal trusts the test root; the signing tool's port is fixed now,
    // the tool itself starts later (the page must first see it missing).
    let signer_port = free_port();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let config = trusting_config(&sb, &pki, signer_port, "captcha_reveal_for_tests = true\n");
    let mut cmd = sb.cmd(&["--config", &config.to_string_lossy(), "serve"]);
    cmd.env("MOTCUA_LISTEN", format!("127.0.0.1:{port}"))
        .env("MOTCUA_PUBLIC_URL", &base);
    let server = crate::support::Server::start(cmd);
    assert_eq!(server.url, base);
    let b = crate::webdriver::Browser::start(&tools, &server.url).await;
    b.goto("/lang/vi?next=/").await;
    b.wait_path("the home page", |p| p == "/").await;

    // No signing tool yet: the page says how to install it.
    b.goto("/auth/token?purpose=register").await;
    wait_state(&b, "missing").await;
    let text = b.body_text().await;
    assert!(text.contains("Chưa tìm thấy công cụ ký số"), "{text}");
    b.element("#signer-download").await;
    crate::e2e::axe_check(&b, &tools.axe_js, "the token page without the tool").await;
    b.click("#signer-download").await;
    b.wait_path("the download page", |p| p == "/downloads/motcua-signer")
        .await;
    crate::e2e::axe_check(&b, &tools.axe_js, "the signing tool's download page").await;

    // The user starts the tool and checks again.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", signer_port))
        .await
        .unwrap_or_else(|e| panic!("signer port: {e}"));
    let mut scfg = motcua_signer::Config::new(&token.module, vec![base.clone()]);
    scfg.port = signer_port;
    let signer = tokio::spawn(async move {
        let _ = motcua_signer::serve(scfg, listener).await;
    });
    b.goto("/auth/token?purpose=register").await;
    wait_state(&b, "ready").await;
    crate::e2e::axe_check(&b, &tools.axe_js, "the token page, tool ready").await;

    // Register: choose the company's certificate, type the PIN in the tool.
    sign_in_tool(&b, &company.cert.fingerprint, PIN).await;
    b.wait_path("the registration form", |p| {
        p.starts_with("/register/certificate/")
    })
    .await;
    assert_eq!(b.text("#prefill-organization").await, ORG);
    assert_eq!(b.text("#prefill-tax-code").await, TAX);
    crate::e2e::axe_check(&b, &tools.axe_js, "the prefilled registration form").await;
    b.fill("#full_name", "Trần Văn Bảo").await;
    b.fill("#email", EMAIL).await;
    let answer = b
        .execute(
            "return document.getElementById('captcha-image').dataset.answer;",
            json!([]),
        )
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no captcha answer (captcha_reveal_for_tests)"));
    b.fill("#captcha", &answer).await;
    b.click("#accept_terms").await;
    b.click("form.form button[type='submit']").await;
    b.wait_path("the code page", |p| p.ends_with("/confirm"))
        .await;
    crate::e2e::axe_check(&b, &tools.axe_js, "the confirmation code page").await;
    let code = code_from_mail(&sb.mail_dir(), EMAIL);
    b.fill("#code", &code).await;
    b.click("form.form button[type='submit']").await;
    b.wait_path("the account page", |p| {
        p.starts_with("/account?m=registered_certificate")
    })
    .await;
    assert_eq!(b.text("#assurance-level").await, "3");
    assert!(b.text("#login-method").await.contains("USB token"));

    // Log out, then log in with the token.
    b.click("form[action='/logout'] button[type='submit']")
        .await;
    b.wait_path("the home page after logout", |p| {
        p.starts_with("/?m=logged_out")
    })
    .await;
    b.goto("/login").await;
    b.click("#login-token").await;
    b.wait_path("the token login page", |p| p.starts_with("/auth/token"))
        .await;
    wait_state(&b, "ready").await;
    sign_in_tool(&b, &company.cert.fingerprint, PIN).await;
    b.wait_path("the home page, logged in", |p| p == "/").await;
    b.goto("/account").await;
    assert_eq!(b.text("#assurance-level").await, "3");
    b.goto("/account/activity").await;
    let history = b.body_text().await;
    assert!(
        history.matches("Chữ ký số (USB token)").count() >= 2,
        "two token logins in the history:\n{history}"
    );

    // The director's own certificate is not registered: a clear message.
    b.click("form[action='/logout'] button[type='submit']")
        .await;
    b.wait_path("logged out", |p| p.starts_with("/?m=logged_out"))
        .await;
    b.goto("/auth/token").await;
    wait_state(&b, "ready").await;
    sign_in_tool(&b, &person.cert.fingerprint, PIN).await;
    b.wait_text("#token-error", "chưa được đăng ký").await;

    // Step-up (R-ID-13): the director has a citizen account with a
    // password. Opening a level-3 page asks for his certificate, then
    // returns to that page on a new session.
    let initial = "Khoi-Tao-Tam-Thoi-2026";
    sb.ok(&[
        "admin",
        "create-account",
        "--username",
        "tranvanbao",
        "--full-name",
        "Trần Văn Bảo",
        "--email",
        "bao.tran@example.vn",
        "--role",
        "citizen",
        "--personal-id",
        "001089001234",
        "--initial-password",
        initial,
    ]);
    b.goto("/login").await;
    b.fill("#username", "tranvanbao").await;
    b.fill("#password", initial).await;
    b.click("form[action='/login'] button[type='submit']").await;
    b.wait_path("the forced password change", |p| p == "/password/change")
        .await;
    let new_pw = "Tran-Van-Bao-Ha-Noi-2026";
    b.fill("#current", initial).await;
    b.fill("#new", new_pw).await;
    b.fill("#confirm", new_pw).await;
    b.click("form[action='/password/change'] button[type='submit']")
        .await;
    b.wait_path("the account page", |p| {
        p.starts_with("/account?m=password_changed")
    })
    .await;
    assert_eq!(b.text("#assurance-level").await, "1");
    let before = session_cookie(&b).await;
    b.goto("/account/certificates").await;
    b.wait_path("the step-up page", |p| p.starts_with("/auth/step-up"))
        .await;
    assert_eq!(b.text("#level-needed").await, "3");
    assert_eq!(b.text("#level-current").await, "1");
    wait_state(&b, "ready").await;
    crate::e2e::axe_check(&b, &tools.axe_js, "the step-up page").await;
    sign_in_tool(&b, &person.cert.fingerprint, PIN).await;
    b.wait_path("back on the level-3 page", |p| p == "/account/certificates")
        .await;
    assert!(b.body_text().await.contains(&person.cert.serial_hex));
    crate::e2e::axe_check(&b, &tools.axe_js, "the certificates page").await;
    assert_ne!(session_cookie(&b).await, before, "the session rotated");
    b.goto("/account").await;
    assert_eq!(b.text("#assurance-level").await, "3");
    // At level 3 the holder makes an API token with a level-3 scope.
    b.goto("/account/api-tokens").await;
    assert_eq!(b.text("#session-level").await, "3");
    b.fill("#token-name", "phần mềm kế toán").await;
    b.click("input[name='scope.certificates:read']").await;
    b.click("form[action='/account/api-tokens'] button[type='submit']")
        .await;
    b.wait_path("the token page", |p| p == "/account/api-tokens")
        .await;
    assert!(b.text("#new-token").await.starts_with("mct_"));
    crate::e2e::axe_check(&b, &tools.axe_js, "the API tokens page").await;
    signer.abort();
}

/// The session cookie's value (not HttpOnly-readable from scripts, so
/// through WebDriver's cookie API).
async fn session_cookie(b: &Page) -> String {
    b.cookie("motcua_session").await.unwrap_or_default()
}

/// npm oidc-provider (the real, independent OP of the oidc crate's tests)
/// on `port`, redirecting to `redirect`; `None` after a loud note when Node
/// or the package is missing (a failure under CI=true).
fn start_node_op(test: &str, port: u16, redirect: &str) -> Option<std::process::Child> {
    use std::io::BufRead;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = match std::env::var_os("OIDC_PROVIDER_DIR") {
        Some(d) if !d.is_empty() => std::path::PathBuf::from(d),
        _ => root.join("node_modules/oidc-provider"),
    };
    let module = dir.join("lib/index.js");
    let node = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !node || !module.is_file() {
        let what = format!("node and npm oidc-provider@9 ({})", module.display());
        assert!(!crate::support::in_ci(), "CI=true: {test} needs {what}");
        loud(&format!("\n*** SKIPPED {test}: {what} missing (npm install --no-save axe-core@4 oidc-provider@9 openid-client@6) ***\n"));
        return None;
    }
    let mut child = std::process::Command::new("node")
        .arg(root.join("crates/oidc/tests/peers/op.mjs"))
        .env("OP_PORT", port.to_string())
        .env("OP_REDIRECT", redirect)
        .env("OP_MODULE", &module)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("node: {e}"));
    let out = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let mut reader = std::io::BufReader::new(out);
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(line.starts_with("READY "), "oidc-provider: {line}");
    // Keep reading: a closed pipe would end the provider at its next log.
    std::thread::spawn(move || for _ in reader.lines() {});
    Some(child)
}

struct Kill(std::process::Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn browser_citizen_is_created_through_the_eid_provider() {
    let test = "browser_citizen_is_created_through_the_eid_provider";
    let Some(tools) = Tools::find(test) else {
        return;
    };
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let op_port = free_port();
    let Some(op) = start_node_op(test, op_port, &format!("{base}/auth/eid/callback")) else {
        return;
    };
    let _op = Kill(op);
    let sb = Sandbox::sqlite();
    let config = sb.path().join("motcua.toml");
    std::fs::write(
        &config,
        format!(
            "[identity.eid]\nissuer = \"http://127.0.0.1:{op_port}\"\nclient_id = \"motcua\"\nclient_secret = \"motcua-test-secret\"\n\
             [identity.eid.acr_map]\n\"urn:motcua:test:level-2\" = \"eid_l2\"\n"
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut cmd = sb.cmd(&["--config", &config.to_string_lossy(), "serve"]);
    cmd.env("MOTCUA_LISTEN", format!("127.0.0.1:{port}"))
        .env("MOTCUA_PUBLIC_URL", &base);
    let server = crate::support::Server::start(cmd);
    let b = crate::webdriver::Browser::start(&tools, &server.url).await;
    b.goto("/lang/vi?next=/login").await;
    b.wait_path("the login page", |p| p == "/login").await;
    b.click("#login-eid").await;
    // The provider's own (development) login and consent pages.
    b.element("input[name='login']").await;
    assert!(b
        .url()
        .await
        .starts_with(&format!("http://127.0.0.1:{op_port}/")));
    b.fill("input[name='login']", "citizen-001").await;
    b.fill("input[name='password']", "any").await;
    b.click("button[type='submit']").await;
    let start = Instant::now();
    while !b.url().await.starts_with(&base) {
        if let Ok(v) = b
            .execute("return !!document.querySelector(\"form[action*='/interaction/'] button[type='submit']\") && !document.querySelector(\"input[name='login']\");", json!([]))
            .await
        {
            if v == json!(true) {
                b.click("form[action*='/interaction/'] button[type='submit']").await;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "stuck at the provider: {}",
            b.body_text().await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // First login: the consent screen lists what will be stored.
    b.wait_path("the consent screen", |p| p.starts_with("/register/eid/"))
        .await;
    assert_eq!(b.text("#claim-name").await, "Nguyễn Văn An");
    assert_eq!(b.text("#claim-personal-id").await, "001085012345");
    crate::e2e::axe_check(&b, &tools.axe_js, "the e-ID consent screen").await;
    b.fill("#email", "an.nguyen@example.vn").await;
    b.click("#agree").await;
    b.click("#accept_terms").await;
    b.click("form.form button[type='submit']").await;
    b.wait_path("the account page", |p| p.starts_with("/account"))
        .await;
    b.goto("/account").await;
    assert_eq!(b.text("#assurance-level").await, "3");
    assert!(b
        .text("#login-method")
        .await
        .contains("Định danh điện tử mức 2"));
}

#[tokio::test]
async fn browser_sim_signature_registration_and_login_through_the_simulator() {
    let test = "browser_sim_signature_registration_and_login_through_the_simulator";
    let Some(tools) = Tools::find(test) else {
        return;
    };
    let now = motcua_domain::Clock::now(&motcua_domain::SystemClock);
    let pki = TestPki::start(now).await.unwrap_or_else(|e| panic!("{e}"));
    let person = pki
        .issue(&LeafSpec::person("Lê Thị Mai", "001190005678", now))
        .unwrap_or_else(|e| panic!("{e}"));
    let sim = motcua_pki::mss_sim::Simulator::new();
    sim.add_subscriber("0987123456", "2580", &person)
        .unwrap_or_else(|e| panic!("{e}"));
    let sim_server = sim.start().await.unwrap_or_else(|e| panic!("{e}"));
    let mss = sim.client_config(&sim_server.base_url);
    let sb = Sandbox::sqlite();
    let root = sb.path().join("root.pem");
    std::fs::write(&root, motcua_pki::cert::to_pem(&pki.root.cert.der))
        .unwrap_or_else(|e| panic!("{e}"));
    let ca = sb.path().join("ca.pem");
    std::fs::write(&ca, motcua_pki::cert::to_pem(&pki.ca.cert.der))
        .unwrap_or_else(|e| panic!("{e}"));
    let config = sb.path().join("motcua.toml");
    std::fs::write(
        &config,
        format!(
            "[identity]\ntrust_anchors = [{root:?}]\nintermediates = [{ca:?}]\ncaptcha_reveal_for_tests = true\n\
             [identity.sim]\nendpoint = {:?}\nap_id = {:?}\nap_password = {:?}\nmssp_id = {:?}\n",
            mss.endpoint, mss.ap_id, mss.ap_password, mss.mssp_id
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut cmd = sb.cmd(&["--config", &config.to_string_lossy(), "serve"]);
    cmd.env("MOTCUA_LISTEN", format!("127.0.0.1:{port}"))
        .env("MOTCUA_PUBLIC_URL", &base);
    let server = crate::support::Server::start(cmd);
    let b = crate::webdriver::Browser::start(&tools, &server.url).await;
    b.goto("/lang/vi?next=/").await;
    b.wait_path("home", |p| p == "/").await;
    let portal = b.window().await;

    // Registration: the number, then the PIN on the phone (the simulator's
    // page in a second tab), then the prefilled form.
    // From the login page's sign-up entry to the SIM way.
    b.goto("/login").await;
    b.click("#login-signup").await;
    b.wait_path("the sign-up page", |p| p.starts_with("/signup"))
        .await;
    crate::e2e::axe_check(&b, &tools.axe_js, "the sign-up page").await;
    b.click("#start-sim").await;
    b.wait_path("the SIM signature page", |p| p.starts_with("/auth/sim"))
        .await;
    crate::e2e::axe_check(&b, &tools.axe_js, "the SIM signature page").await;
    b.fill("#phone", "0987 123 456").await;
    b.click("form.form button[type='submit']").await;
    b.wait_path("the waiting page", |p| p.starts_with("/auth/sim/"))
        .await;
    let code = b.text("#sim-code").await;
    crate::e2e::axe_check(&b, &tools.axe_js, "the SIM waiting page").await;
    let known = b.windows().await;
    b.execute(
        "window.open(arguments[0], '_blank');",
        json!([sim_server.phone_url("84987123456")]),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let phone = b.switch_to_new_window(&known).await;
    b.element("#pin").await;
    assert!(
        b.body_text().await.contains(&code),
        "the phone shows the page's code"
    );
    b.fill("#pin", "2580").await;
    b.click("#approve").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    b.switch_to(&portal).await;
    b.wait_path("the registration form", |p| {
        p.starts_with("/register/certificate/")
    })
    .await;
    assert_eq!(b.text("#prefill-name").await, "Lê Thị Mai");
    b.fill("#email", "mai.le@example.vn").await;
    let answer = b
        .execute(
            "return document.getElementById('captcha-image').dataset.answer;",
            json!([]),
        )
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    b.fill("#captcha", &answer).await;
    b.click("#accept_terms").await;
    b.click("form.form button[type='submit']").await;
    b.wait_path("the code page", |p| p.ends_with("/confirm"))
        .await;
    let code = code_from_mail(&sb.mail_dir(), "mai.le@example.vn");
    b.fill("#code", &code).await;
    b.click("form.form button[type='submit']").await;
    b.wait_path("the account", |p| {
        p.starts_with("/account?m=registered_certificate")
    })
    .await;

    // Log out; log in with the SIM.
    b.click("form[action='/logout'] button[type='submit']")
        .await;
    b.wait_path("logged out", |p| p.starts_with("/?m=logged_out"))
        .await;
    b.goto("/login").await;
    b.click("#login-sim").await;
    b.wait_path("the SIM page", |p| p.starts_with("/auth/sim"))
        .await;
    b.fill("#phone", "0987123456").await;
    b.click("form.form button[type='submit']").await;
    b.wait_path("the waiting page", |p| p.starts_with("/auth/sim/"))
        .await;
    b.switch_to(&phone).await;
    b.goto_url(&sim_server.phone_url("84987123456")).await;
    b.element("#pin").await;
    b.fill("#pin", "2580").await;
    b.click("#approve").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    b.switch_to(&portal).await;
    b.wait_path("logged in", |p| p == "/").await;
    b.goto("/account").await;
    assert_eq!(b.text("#assurance-level").await, "3");
    assert!(b.text("#login-method").await.contains("SIM"));
    drop(pki);
}

/// R-PS-3, R-ID-13 (issue #8): a business whose account is at level 1
/// (password) opens a level-3 procedure whose form requires a signature:
/// submitting sends it to step-up with its USB token (SoftHSM2, through
/// the real signing tool), back to the check page, where it signs the
/// dossier itself — the tool's window shows the digest the page shows —
/// and the dossier is submitted with the signature kept and shown.
#[tokio::test]
async fn browser_business_at_level_1_steps_up_and_signs_its_dossier_with_softhsm2() {
    let test = "browser_business_at_level_1_steps_up_and_signs_its_dossier_with_softhsm2";
    let Some(tools) = Tools::find(test) else {
        return;
    };
    if !softhsm_present(test) {
        return;
    }
    let _turn = ONE_TOKEN_AT_A_TIME.lock().await;
    let sb = Sandbox::sqlite();
    sb.ok(&["admin", "catalog-seed"]);
    let now = motcua_domain::Clock::now(&motcua_domain::SystemClock);
    let pki = TestPki::start(now).await.unwrap_or_else(|e| panic!("{e}"));
    let company = pki
        .issue(&LeafSpec::organization(ORG, TAX, now))
        .unwrap_or_else(|e| panic!("{e}"));
    let token = SoftToken::create(&sb.path().join("softhsm"), "SAO MAI TOKEN", PIN)
        .unwrap_or_else(|e| panic!("{e}"));
    token
        .put("company", "02", &company.key_pem(), company.der())
        .unwrap_or_else(|e| panic!("{e}"));
    std::env::set_var("SOFTHSM2_CONF", &token.conf);
    let signer_port = free_port();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let config = trusting_config(&sb, &pki, signer_port, "");
    // The business's account: a password (level 1) and its tax code.
    let initial = "Khoi-Tao-Tam-Thoi-2026";
    sb.ok(&[
        "admin",
        "create-account",
        "--username",
        "saomai",
        "--full-name",
        "Trần Văn Bảo",
        "--email",
        EMAIL,
        "--role",
        "business",
        "--tax-code",
        TAX,
        "--initial-password",
        initial,
    ]);
    let mut cmd = sb.cmd(&["--config", &config.to_string_lossy(), "serve"]);
    cmd.env("MOTCUA_LISTEN", format!("127.0.0.1:{port}"))
        .env("MOTCUA_PUBLIC_URL", &base);
    let server = crate::support::Server::start(cmd);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", signer_port))
        .await
        .unwrap_or_else(|e| panic!("signer port: {e}"));
    let module = own_module(&token, sb.path());
    let mut scfg = motcua_signer::Config::new(&module, vec![base.clone()]);
    scfg.port = signer_port;
    let signer = tokio::spawn(async move {
        let _ = motcua_signer::serve(scfg, listener).await;
    });
    let b = crate::webdriver::Browser::start(&tools, &server.url).await;
    b.goto("/lang/vi?next=/").await;
    crate::e2e::first_login(&b, "saomai", initial, "Sao-Mai-Ho-Kinh-Doanh-2026", None).await;
    b.goto("/account").await;
    assert_eq!(b.text("#assurance-level").await, "1");

    // The household business registration: a level-3 procedure.
    b.goto("/procedures/1.001612").await;
    b.wait_text("h1", "Đăng ký thành lập hộ kinh doanh").await;
    b.click("#start button[type=submit]").await;
    b.wait_text("h1", "Hộ kinh doanh").await;
    b.fill("#f-household_name", "Hộ kinh doanh Sao Mai").await;
    b.set_value("#f-business_address-province", "Thành phố Hà Nội")
        .await;
    b.fill("#f-business_address-commune", "Phường Cửa Nam")
        .await;
    b.fill("#f-business_address-street", "5 Hàng Bài").await;
    b.fill("#f-business_lines-0-code", "5610").await;
    b.fill("#f-business_lines-0-name", "Nhà hàng và dịch vụ ăn uống")
        .await;
    b.fill("#f-capital", "500.000.000").await;
    b.click("button[value=continue]").await;
    b.wait_text("h1", "Chủ hộ kinh doanh").await;
    b.set_value("#f-full_name", "").await;
    b.fill("#f-full_name", "Trần Văn Bảo").await;
    b.fill("#f-personal_id", "001089001234").await;
    b.fill("#f-phone", "0901234567").await;
    b.set_value("#f-address-province", "Thành phố Hà Nội").await;
    b.fill("#f-address-commune", "Phường Hoàn Kiếm").await;
    b.fill("#f-address-street", "1 Tràng Tiền").await;
    b.click("button[value=continue]").await;
    b.click("input[name=result_delivery][value=online]").await;
    b.click("button[value=continue]").await;
    b.wait_text("h1", "Giấy tờ đính kèm").await;
    let pdf = sb.path().join("giay-de-nghi.pdf");
    std::fs::write(
        &pdf,
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    b.upload("section.card input[type=file]", &pdf).await;
    b.click("section.card form[enctype] button[type=submit]")
        .await;
    b.wait_text("section.card ul.files", "giay-de-nghi.pdf")
        .await;
    b.click("#to-check").await;
    b.wait_text("h1", "Kiểm tra thông tin").await;
    let check_path = b.path().await;

    // Level 1: the page says so, and submitting goes to step-up first.
    b.wait_text("#level-note", "mức độ 3").await;
    crate::e2e::axe_check(&b, &tools.axe_js, "check page below the level").await;
    b.click("#submit").await;
    b.wait_path("the step-up page", |p| p.starts_with("/auth/step-up"))
        .await;
    assert_eq!(b.text("#level-needed").await, "3");
    wait_state(&b, "ready").await;
    sign_in_tool(&b, &company.cert.fingerprint, PIN).await;
    b.wait_path("back on the check page", |p| p == check_path)
        .await;

    // Level 3 now: the form requires a signature; the page shows the
    // digest and the tool shows the same one.
    b.wait_text("#token-app", "Ký số hồ sơ").await;
    wait_state(&b, "ready").await;
    let digest = b.text("#digest").await;
    assert_eq!(digest.trim().len(), 64, "{digest}");
    assert!(
        b.execute(
            "return document.getElementById('submit') === null;",
            json!([])
        )
        .await
        .ok()
            == Some(json!(true)),
        "no unsigned submit when the form requires a signature"
    );
    crate::e2e::axe_check(&b, &tools.axe_js, "check page, ready to sign").await;
    sign_in_tool_showing(&b, &company.cert.fingerprint, PIN, Some(digest.trim())).await;
    b.wait_text("#status", "Mới nộp").await;
    b.wait_text("#signer", ORG).await;
    let body = b.body_text().await;
    assert!(body.contains(&company.cert.serial_hex), "{body}");
    assert!(body.contains(digest.trim()), "{body}");
    crate::e2e::axe_check(&b, &tools.axe_js, "the signed dossier").await;
    // What was sent is in the document store.
    b.goto("/account/documents").await;
    b.wait_text("#documents", "giay-de-nghi.pdf").await;
    crate::e2e::axe_check(&b, &tools.axe_js, "the document store").await;
    signer.abort();
    drop(b);
    drop(server);
}
