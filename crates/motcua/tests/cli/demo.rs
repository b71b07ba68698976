//! `motcua demo`: the first command of the README. It creates the demo
//! accounts, a development PKI whose CRL and OCSP the portal itself serves
//! at /dev-pki, and demo certificates; a certificate login against it
//! works over HTTP, and again after a restart (the keys are kept).
use crate::support::Sandbox;
use base64::Engine;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub(crate) struct Demo {
    child: Child,
    printed: String,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("free port: {e}"))
}

/// Starts `motcua demo` and reads its stdout up to the listening line.
pub(crate) fn start(sb: &Sandbox, port: u16) -> Demo {
    start_with(sb.cmd(&["demo"]), port)
}

/// Starts a prepared `motcua demo` command (`sb.cmd(&["demo"])` with
/// settings of its own) on `port`.
pub(crate) fn start_with(mut cmd: Command, port: u16) -> Demo {
    cmd.env("MOTCUA_LISTEN", format!("127.0.0.1:{port}"))
        .env("MOTCUA_PUBLIC_URL", format!("http://127.0.0.1:{port}"));
    spawn(cmd)
}

/// Runs a prepared `motcua demo` command until it listens.
fn spawn(mut cmd: Command) -> Demo {
    cmd.env("MOTCUA_LOG_LEVEL", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("motcua demo: {e}"));
    let out = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    let mut printed = String::new();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(90))
            .unwrap_or_else(|_| panic!("motcua demo did not start; it printed:\n{printed}"));
        printed.push_str(&line);
        printed.push('\n');
        if line.starts_with("Motcua listening on ") {
            break;
        }
    }
    Demo { child, printed }
}

fn csrf(html: &str) -> String {
    crate::support::input_value(html, "csrf").unwrap_or_else(|| panic!("no csrf in {html}"))
}

/// Signs a challenge of `purpose` with the demo's business certificate.
async fn token_flow(
    base: &str,
    purpose: &str,
    leaf: &motcua_pki::testca::Issued,
) -> reqwest::Response {
    let b64 = base64::engine::general_purpose::STANDARD;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let page = client
        .get(format!("{base}/auth/token?purpose={purpose}"))
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .unwrap_or_else(|e| panic!("{e}"));
    let token = csrf(&page.text().await.unwrap_or_default());
    let ch: serde_json::Value = client
        .post(format!("{base}/auth/token/challenge"))
        .header("x-csrf-token", &token)
        .form(&[("purpose", purpose)])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let text = ch["challenge"].as_str().unwrap_or_default().to_string();
    client
        .post(format!("{base}/auth/token/verify"))
        .form(&[
            ("csrf", token.as_str()),
            ("purpose", purpose),
            ("next", "/"),
            ("challenge", text.as_str()),
            ("certificate", b64.encode(leaf.der()).as_str()),
            ("chain", ""),
            ("signature", b64.encode(leaf.sign(text.as_bytes())).as_str()),
        ])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn demo_serves_a_development_pki_and_certificate_logins_work() {
    let sb = Sandbox::sqlite();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let demo = start(&sb, port);
    for needle in [
        "Demo accounts",
        "Công ty TNHH Demo Sao Mai, MST 0101234565",
        "Trần Văn Bảo, CCCD 001089001234",
        "motcua-signer",
        "/auth/token?purpose=register",
    ] {
        assert!(
            demo.printed.contains(needle),
            "{needle} not in:\n{}",
            demo.printed
        );
    }
    // The development CA's CRL, served by the portal itself.
    let crl = reqwest::get(format!("{base}/dev-pki/crl/ca.crl"))
        .await
        .and_then(|r| r.error_for_status())
        .unwrap_or_else(|e| panic!("{e}"))
        .bytes()
        .await
        .unwrap_or_default();
    let crl = motcua_pki::crl::Crl::from_der(&crl).unwrap_or_else(|e| panic!("{e}"));
    assert!(crl.is_empty());
    let dir = sb.path().join("demo-pki");
    let leaf = motcua_pki::testca::Issued::from_parts(
        &std::fs::read(dir.join("business.der")).unwrap_or_default(),
        &std::fs::read_to_string(dir.join("business.key.pem")).unwrap_or_default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    // Registration with the demo certificate: verified (path, OCSP at
    // /dev-pki), then the prefilled sign-up form.
    let r = token_flow(&base, "register", &leaf).await;
    assert_eq!(
        r.status(),
        reqwest::StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap_or_default()
    );
    let to = r.headers()["location"]
        .to_str()
        .unwrap_or_default()
        .to_string();
    assert!(to.starts_with("/register/certificate/"), "{to}");
    drop(demo);

    // Restarted: same keys, so the same certificate still verifies (it
    // is not registered: the sign-up above was not completed).
    let demo = start(&sb, port);
    assert!(demo.printed.contains("Motcua listening on"));
    let r = token_flow(&base, "login", &leaf).await;
    let text = r.text().await.unwrap_or_default();
    assert!(text.contains("chưa được đăng ký"), "{text}");
}

/// Reads an attribute value that follows `prefix` in a page.
fn attr(html: &str, prefix: &str) -> String {
    let i = html
        .find(prefix)
        .unwrap_or_else(|| panic!("{prefix} not in {html}"))
        + prefix.len();
    html[i..].split('"').next().unwrap_or_default().to_string()
}

/// The six-digit code mailed to `to` (the demo writes .eml files).
fn code_from_mail(dir: &std::path::Path, to: &str) -> String {
    let start = std::time::Instant::now();
    loop {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let raw = std::fs::read(entry.path()).unwrap_or_default();
            let Some(m) = mail_parser::MessageParser::default().parse(&raw) else {
                continue;
            };
            let rcpt = m
                .to()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .unwrap_or_default()
                .to_string();
            let body = m.body_text(0).unwrap_or_default().to_string();
            if let Some(code) = body
                .split(|c: char| !c.is_ascii_digit())
                .find(|w| w.len() == 6)
                .filter(|_| rcpt == to)
            {
                return code.to_string();
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no code mail to {to}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn leaf(sb: &Sandbox, name: &str) -> motcua_pki::testca::Issued {
    let dir = sb.path().join("demo-pki");
    motcua_pki::testca::Issued::from_parts(
        &std::fs::read(dir.join(format!("{name}.der"))).unwrap_or_default(),
        &std::fs::read_to_string(dir.join(format!("{name}.key.pem"))).unwrap_or_default(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Issue 10, §7: `MOTCUA_LISTEN=… motcua demo` and `motcua demo --listen …`
/// just work, with no public_url given: the banner, the development e-ID
/// and the certificate logins use the address, also when the same data
/// folder was first used on another port (the demo certificates, which
/// name the CRL and OCSP URLs, are issued again for the new address with
/// the same keys and serial numbers, so a registered one still logs in).
#[tokio::test]
async fn demo_moves_to_another_port_with_the_same_data() {
    let sb = Sandbox::sqlite();
    let first = free_port();
    let mut cmd: Command = sb.cmd(&["demo"]);
    cmd.env("MOTCUA_LISTEN", format!("127.0.0.1:{first}"))
        .env("MOTCUA_IDENTITY__CAPTCHA_REVEAL_FOR_TESTS", "true");
    let demo = spawn(cmd);
    let base = format!("http://127.0.0.1:{first}");
    assert!(
        demo.printed.contains(&format!("Motcua demo — {base}")),
        "{}",
        demo.printed
    );
    // Register the business certificate on the first port: sign-up form,
    // captcha, terms, code by mail.
    // The sign-up is bound to the browser that signed: one client.
    let business = leaf(&sb, "business");
    let (client, form_url) = signed_up_client(&base, &business).await;
    let form = client
        .get(&form_url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    let r = client
        .post(&form_url)
        .form(&[
            ("csrf", csrf(&form).as_str()),
            (
                "captcha_id",
                attr(&form, "name=\"captcha_id\" value=\"").as_str(),
            ),
            ("captcha", attr(&form, "data-answer=\"").as_str()),
            ("full_name", "Trần Văn Bảo"),
            ("email", "ketoan@saomai.example.vn"),
            ("accept_terms", "yes"),
        ])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        r.status(),
        reqwest::StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap_or_default()
    );
    let confirm = format!("{form_url}/confirm");
    let code = code_from_mail(&sb.mail_dir(), "ketoan@saomai.example.vn");
    let page = client
        .get(&confirm)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    let r = client
        .post(&confirm)
        .form(&[("csrf", csrf(&page).as_str()), ("code", code.as_str())])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        r.headers()["location"].to_str().unwrap_or_default(),
        "/account?m=registered_certificate"
    );
    drop(demo);

    // The same data folder on another port, given with --listen.
    let second = free_port();
    let mut cmd: Command = sb.cmd(&["demo", "--listen", &format!("127.0.0.1:{second}")]);
    cmd.env("MOTCUA_IDENTITY__CAPTCHA_REVEAL_FOR_TESTS", "true");
    let demo = spawn(cmd);
    let base = format!("http://127.0.0.1:{second}");
    assert!(
        demo.printed.contains(&format!("Motcua demo — {base}")),
        "{}",
        demo.printed
    );
    assert!(demo
        .printed
        .contains(&format!("Motcua listening on {base}")));
    assert!(demo.printed.contains("issued again"), "{}", demo.printed);
    assert!(
        !demo.printed.contains(&format!(":{first}")),
        "the old port is gone from the banner:\n{}",
        demo.printed
    );
    // The development e-ID names the new address…
    let discovery: serde_json::Value =
        reqwest::get(format!("{base}/dev-eid/.well-known/openid-configuration"))
            .await
            .and_then(|r| r.error_for_status())
            .unwrap_or_else(|e| panic!("{e}"))
            .json()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(discovery["issuer"], format!("{base}/dev-eid"));
    // …and an e-ID login goes through it to the portal's consent screen.
    let b = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let r = b
        .get(format!("{base}/auth/eid"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let authorize = r.headers()["location"]
        .to_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        authorize.starts_with(&format!("{base}/dev-eid/")),
        "{authorize}"
    );
    let page = b
        .get(&authorize)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        page.status(),
        reqwest::StatusCode::OK,
        "the OP accepts the redirect URI"
    );
    let page = page.text().await.unwrap_or_default();
    let r = b
        .post(format!("{base}/dev-eid/authorize"))
        .form(&[
            ("request", attr(&page, "name=\"request\" value=\"").as_str()),
            ("subject", "dev-eid-001"),
            ("action", "login"),
        ])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let callback = r.headers()["location"]
        .to_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        callback.starts_with(&format!("{base}/auth/eid/callback")),
        "{callback}"
    );
    let r = b
        .get(&callback)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let to = r.headers()["location"]
        .to_str()
        .unwrap_or_default()
        .to_string();
    assert!(to.starts_with("/register/eid/"), "{to}");

    // The certificates name the new address's CRL and OCSP…
    let business = leaf(&sb, "business");
    assert!(
        business.cert.crl_urls.iter().all(|u| u.starts_with(&base)),
        "{:?}",
        business.cert.crl_urls
    );
    // …the registered one logs in (same issuer, serial and key)…
    let r = token_flow(&base, "login", &business).await;
    assert_eq!(
        r.status(),
        reqwest::StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap_or_default()
    );
    assert_eq!(r.headers()["location"].to_str().unwrap_or_default(), "/");
    // …and the personal one (also the SIM's) verifies for a sign-up.
    let person = leaf(&sb, "person");
    let r = token_flow(&base, "register", &person).await;
    let to = r.headers()["location"]
        .to_str()
        .unwrap_or_default()
        .to_string();
    assert!(to.starts_with("/register/certificate/"), "{to}");
}

/// Signs a registration challenge and returns the client (holding the
/// pre-session the sign-up is bound to) and the sign-up form's URL.
async fn signed_up_client(
    base: &str,
    leaf: &motcua_pki::testca::Issued,
) -> (reqwest::Client, String) {
    let b64 = base64::engine::general_purpose::STANDARD;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let page = client
        .get(format!("{base}/auth/token?purpose=register"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    let token = csrf(&page);
    let ch: serde_json::Value = client
        .post(format!("{base}/auth/token/challenge"))
        .header("x-csrf-token", &token)
        .form(&[("purpose", "register")])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let text = ch["challenge"].as_str().unwrap_or_default().to_string();
    let r = client
        .post(format!("{base}/auth/token/verify"))
        .form(&[
            ("csrf", token.as_str()),
            ("purpose", "register"),
            ("next", "/"),
            ("challenge", text.as_str()),
            ("certificate", b64.encode(leaf.der()).as_str()),
            ("chain", ""),
            ("signature", b64.encode(leaf.sign(text.as_bytes())).as_str()),
        ])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    let to = r.headers()["location"]
        .to_str()
        .unwrap_or_default()
        .to_string();
    assert!(to.starts_with("/register/certificate/"), "{to}");
    (client, format!("{base}{to}"))
}
