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

struct Demo {
    child: Child,
    printed: String,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("free port: {e}"))
}

/// Starts `motcua demo` and reads its stdout up to the listening line.
fn start(sb: &Sandbox, port: u16) -> Demo {
    let mut cmd: Command = sb.cmd(&["demo"]);
    cmd.env("MOTCUA_LISTEN", format!("127.0.0.1:{port}"))
        .env("MOTCUA_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("MOTCUA_LOG_LEVEL", "warn")
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
