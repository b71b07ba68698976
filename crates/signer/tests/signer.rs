//! motcua-signer against real PKCS#11 modules: a SoftHSM2 token made in a
//! temporary directory and OpenSC's module with no reader. No mock.
//!
//! The fixture makes two tokens once per test process:
//! - `motcua-test`: c1 (P-256, a citizen), c2 (P-384, a company) and the CA
//!   that issued them (a certificate without key: it goes in `chain`);
//! - `motcua-rsa`: r1 (RSA-2048, key from `tests/data/rsa2048.pem`, a
//!   test-only key: rcgen cannot make RSA keys with ring).
//!
//! Needs Debian's `softhsm2` and `opensc` (`softhsm2-util`, `pkcs11-tool`,
//! the two modules). Without them the tests print a loud SKIP note and pass,
//! except with `CI=true`, where they fail.
//!
//! SoftHSM reads `SOFTHSM2_CONF` in the process that loads it, so the
//! fixture sets it once, before any test loads a module, and every test goes
//! through the fixture first.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test binary: helpers may fail loudly

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use motcua_signer::{serve, Clock, Config};
use reqwest::{header, Method, StatusCode};
use ring::rand::SecureRandom as _;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use time::{Duration, OffsetDateTime};
use x509_parser::prelude::{FromDer, X509Certificate};

const SOFTHSM: &str = "/usr/lib/softhsm/libsofthsm2.so";
const OPENSC: &str = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so";
const PORTAL: &str = "https://portal.example";
const OTHER_PORTAL: &str = "http://127.0.0.1:8080";
const EVIL: &str = "https://evil.example";
const PIN: &str = "1234";

// ------------------------------------------------------------------ fixture

struct Fixture {
    conf: PathBuf,
    /// A SoftHSM config whose only token holds just the CA certificate.
    ca_only_conf: PathBuf,
    ca: Vec<u8>,
    c1: Vec<u8>,
    c2: Vec<u8>,
    r1: Vec<u8>,
}

static FIXTURE: OnceLock<Option<Fixture>> = OnceLock::new();

/// The SoftHSM tokens, or `None` (after a loud note) when the tools are
/// missing. Panics when they are missing under `CI=true`.
fn fixture() -> Option<&'static Fixture> {
    FIXTURE.get_or_init(setup).as_ref()
}

fn tool_missing() -> Option<String> {
    let runs = |cmd: &str, arg: &str| {
        Command::new(cmd)
            .arg(arg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    };
    if !runs("softhsm2-util", "--version") {
        return Some("`softhsm2-util` (Debian package softhsm2)".into());
    }
    if !runs("pkcs11-tool", "--help") {
        return Some("`pkcs11-tool` (Debian package opensc)".into());
    }
    for m in [SOFTHSM, OPENSC] {
        if !Path::new(m).exists() {
            return Some(format!("the PKCS#11 module {m}"));
        }
    }
    None
}

fn setup() -> Option<Fixture> {
    if let Some(what) = tool_missing() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!(
                "CI=true but {what} is missing: the signer tests need a real SoftHSM2 token. \
                 Install `softhsm2` and `opensc` (apt-get install softhsm2 opensc); .ci/run does."
            );
        }
        // Straight to stderr: the harness does not capture it.
        let _ = writeln!(
            std::io::stderr(),
            "\n\
             ************************************************************************\n\
             *  SKIPPING motcua-signer TESTS: {what} is not installed.\n\
             *  apt-get install softhsm2 opensc   to run them (CI requires them).   *\n\
             ************************************************************************\n"
        );
        return None;
    }
    let root = Path::new(env!("CARGO_TARGET_TMPDIR"));
    remove_stale_dirs(root);
    let dir = root.join(format!("signer-softhsm-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // The tokens of this process, and a second token directory for a
    // signer run as a child process.
    let conf = softhsm_conf(&dir.join("main"));
    let ca_only_conf = softhsm_conf(&dir.join("ca-only"));
    let run = |conf: &Path, cmd: &str, args: &[&str]| {
        let out = Command::new(cmd)
            .args(args)
            .env("SOFTHSM2_CONF", conf)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{cmd} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    for (conf, label) in [
        (&conf, "motcua-test"),
        (&conf, "motcua-rsa"),
        (&ca_only_conf, "motcua-ca-only"),
    ] {
        run(
            conf,
            "softhsm2-util",
            &[
                "--init-token",
                "--free",
                "--label",
                label,
                "--so-pin",
                "12345678",
                "--pin",
                PIN,
            ],
        );
    }

    // The PKI: a CA and three end-entity certificates.
    let now = OffsetDateTime::now_utc();
    let ca_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut ca_params = params("Motcua Test CA", Some("Motcua Test PKI"), now);
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf = |key: &rcgen::KeyPair, cn: &str, o: Option<&str>| {
        params(cn, o, now)
            .signed_by(key, &issuer)
            .unwrap()
            .der()
            .to_vec()
    };
    let k1 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let c1 = leaf(&k1, "NGUYỄN VĂN AN", None);
    let k2 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
    let c2 = leaf(
        &k2,
        "CÔNG TY CỔ PHẦN HÒA PHÁT",
        Some("CÔNG TY CỔ PHẦN HÒA PHÁT"),
    );
    let rsa_pem = include_str!("data/rsa2048.pem");
    let kr =
        rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(rsa_pem, &rcgen::PKCS_RSA_SHA256).unwrap();
    let r1 = leaf(&kr, "TRẦN THỊ BÌNH", None);

    let put = |conf: &Path, token: &str, label: &str, id: &str, key: Option<&str>, cert: &[u8]| {
        if let Some(pem) = key {
            let p = dir.join(format!("{label}.key.pem"));
            std::fs::write(&p, pem).unwrap();
            run(
                conf,
                "softhsm2-util",
                &[
                    "--import",
                    p.to_str().unwrap(),
                    "--token",
                    token,
                    "--label",
                    label,
                    "--id",
                    id,
                    "--pin",
                    PIN,
                ],
            );
            std::fs::remove_file(&p).unwrap();
        }
        let p = dir.join(format!("{label}.der"));
        std::fs::write(&p, cert).unwrap();
        run(
            conf,
            "pkcs11-tool",
            &[
                "--module",
                SOFTHSM,
                "--token-label",
                token,
                "--login",
                "--pin",
                PIN,
                "--write-object",
                p.to_str().unwrap(),
                "--type",
                "cert",
                "--id",
                id,
                "--label",
                label,
            ],
        );
    };
    put(
        &conf,
        "motcua-test",
        "c1",
        "01",
        Some(&k1.serialize_pem()),
        &c1,
    );
    put(
        &conf,
        "motcua-test",
        "c2",
        "02",
        Some(&k2.serialize_pem()),
        &c2,
    );
    put(&conf, "motcua-test", "ca", "ca", None, ca.der());
    put(&conf, "motcua-rsa", "r1", "11", Some(rsa_pem), &r1);
    put(&ca_only_conf, "motcua-ca-only", "ca", "ca", None, ca.der());

    // Before any test loads a module (they all wait for this fixture).
    std::env::set_var("SOFTHSM2_CONF", &conf);
    Some(Fixture {
        conf,
        ca_only_conf,
        ca: ca.der().to_vec(),
        c1,
        c2,
        r1,
    })
}

/// A SoftHSM2 config with its token directory under `dir`.
fn softhsm_conf(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir.join("tokens")).unwrap();
    let conf = dir.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            dir.join("tokens").display()
        ),
    )
    .unwrap();
    conf
}

fn params(cn: &str, o: Option<&str>, now: OffsetDateTime) -> rcgen::CertificateParams {
    let mut p = rcgen::CertificateParams::default();
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name.push(rcgen::DnType::CommonName, cn);
    if let Some(o) = o {
        p.distinguished_name
            .push(rcgen::DnType::OrganizationName, o);
    }
    p.distinguished_name.push(rcgen::DnType::CountryName, "VN");
    p.not_before = now - Duration::days(1);
    p.not_after = now + Duration::days(365);
    p.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::ContentCommitment,
    ];
    p.use_authority_key_identifier_extension = true;
    p
}

/// Removes token directories left by earlier test processes that are gone.
fn remove_stale_dirs(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name.strip_prefix("signer-softhsm-") {
            if !Path::new(&format!("/proc/{pid}")).exists() {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

fn fingerprint(der: &[u8]) -> String {
    hex::encode(Sha256::digest(der))
}

// ------------------------------------------------------------------ signer

struct Signer {
    port: u16,
    base: String,
    http: reqwest::Client,
    clock: Clock,
}

async fn start(module: &str) -> Signer {
    start_with(module, Clock::system()).await
}

async fn start_with(module: &str, clock: Clock) -> Signer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut cfg = Config::new(module, vec![PORTAL.into(), OTHER_PORTAL.into()]);
    cfg.port = port;
    cfg.clock = clock.clone();
    tokio::spawn(async move {
        if let Err(e) = serve(cfg, listener).await {
            panic!("serve: {e}");
        }
    });
    Signer {
        port,
        base: format!("http://127.0.0.1:{port}"),
        http: reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        clock,
    }
}

fn random_b64(n: usize) -> String {
    let mut b = vec![0u8; n];
    ring::rand::SystemRandom::new().fill(&mut b).unwrap();
    URL_SAFE_NO_PAD.encode(b)
}

fn challenge(origin: &str, purpose: &str, expires: OffsetDateTime) -> String {
    format!(
        "motcua-challenge/1\norigin={origin}\npurpose={purpose}\nid={}\nnonce={}\nexpires={}",
        random_b64(16),
        random_b64(32),
        motcua_signer::challenge::format_instant(expires)
    )
}

/// A request the popup has not answered yet.
struct Pending {
    id: String,
    secret: String,
    ui_url: String,
    challenge: String,
}

impl Signer {
    fn api(&self, method: Method, path: &str, origin: Option<&str>) -> reqwest::RequestBuilder {
        let rb = self.http.request(method, format!("{}{path}", self.base));
        match origin {
            Some(o) => rb.header(header::ORIGIN, o),
            None => rb,
        }
    }

    async fn status(&self) -> Value {
        let r = self
            .api(Method::GET, "/v1/status", Some(PORTAL))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        r.json().await.unwrap()
    }

    async fn create(&self, origin: &str, challenge: &str) -> reqwest::Response {
        self.api(Method::POST, "/v1/requests", Some(origin))
            .json(&serde_json::json!({ "challenge": challenge }))
            .send()
            .await
            .unwrap()
    }

    async fn new_request(&self, purpose: &str) -> Pending {
        let challenge = challenge(PORTAL, purpose, self.clock.now() + Duration::minutes(2));
        let r = self.create(PORTAL, &challenge).await;
        assert_eq!(r.status(), StatusCode::CREATED);
        assert_eq!(
            r.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            PORTAL,
            "the allowed origin is echoed"
        );
        let v: Value = r.json().await.unwrap();
        let id = v["id"].as_str().unwrap().to_owned();
        let ui_url = v["ui_url"].as_str().unwrap().to_owned();
        let prefix = format!("{}/ui/{id}?t=", self.base);
        let secret = ui_url
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("ui_url {ui_url} on the signer's own origin"))
            .to_owned();
        Pending {
            id,
            secret,
            ui_url,
            challenge,
        }
    }

    async fn poll(&self, id: &str, origin: &str) -> (StatusCode, Value) {
        let r = self
            .api(Method::GET, &format!("/v1/requests/{id}"), Some(origin))
            .send()
            .await
            .unwrap();
        let s = r.status();
        (s, r.json().await.unwrap())
    }

    /// Opens the popup page as the browser does (no Origin on a navigation).
    async fn open_ui(&self, p: &Pending, extra: &str) -> (StatusCode, header::HeaderMap, String) {
        let r = self
            .http
            .get(format!("{}{extra}", p.ui_url))
            .send()
            .await
            .unwrap();
        let (s, h) = (r.status(), r.headers().clone());
        (s, h, r.text().await.unwrap())
    }

    /// Submits the popup form with the given `Origin`.
    async fn submit(
        &self,
        p: &Pending,
        origin: Option<&str>,
        fields: &[(&str, &str)],
    ) -> (StatusCode, header::HeaderMap, String) {
        let mut form = vec![("t", p.secret.as_str())];
        form.extend_from_slice(fields);
        let mut rb = self
            .http
            .post(format!("{}/ui/{}", self.base, p.id))
            .form(&form);
        if let Some(o) = origin {
            rb = rb.header(header::ORIGIN, o);
        }
        let r = rb.send().await.unwrap();
        let (s, h) = (r.status(), r.headers().clone());
        (s, h, r.text().await.unwrap())
    }

    fn own_origin(&self) -> String {
        self.base.clone()
    }
}

/// The certificate radios of the popup: (fingerprint, checked).
fn radios(html: &str) -> Vec<(String, bool)> {
    let marker = "<input type=\"radio\" name=\"cert\" value=\"";
    html.match_indices(marker)
        .map(|(i, _)| {
            let rest = &html[i + marker.len()..];
            let value = rest[..rest.find('"').unwrap()].to_owned();
            let tag = &rest[..rest.find('>').unwrap()];
            (value, tag.contains(" checked"))
        })
        .collect()
}

fn assert_no_cors(h: &header::HeaderMap) {
    for name in h.keys() {
        assert!(
            !name.as_str().starts_with("access-control-"),
            "unexpected CORS header {name}"
        );
    }
}

/// Verifies a signature with ring against the certificate's public key.
fn verify(cert: &[u8], alg: &str, msg: &[u8], sig: &[u8]) -> bool {
    let (_, c) = X509Certificate::from_der(cert).unwrap();
    let key = c.public_key().subject_public_key.data.to_vec();
    let ring_alg: &dyn ring::signature::VerificationAlgorithm = match alg {
        "ecdsa-p256-sha256" => &ring::signature::ECDSA_P256_SHA256_ASN1,
        "ecdsa-p384-sha384" => &ring::signature::ECDSA_P384_SHA384_ASN1,
        "rsa-pkcs1-sha256" => &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        other => panic!("unexpected alg {other}"),
    };
    ring::signature::UnparsedPublicKey::new(ring_alg, key)
        .verify(msg, sig)
        .is_ok()
}

/// Signs `p` with the certificate `cert` through the popup and checks the
/// result the portal reads.
async fn sign_and_check(s: &Signer, p: &Pending, cert: &[u8], alg: &str, chain: &[&[u8]]) {
    let fp = fingerprint(cert);
    let (status, headers, html) = s
        .submit(
            p,
            Some(&s.own_origin()),
            &[("cert", &fp), ("pin", PIN), ("action", "sign")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("data-state=\"done\""), "{html}");
    assert!(html.contains("<script>window.close();</script>"));
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        csp.contains(&motcua_signer::ui::close_script_hash()),
        "{csp}"
    );

    let (code, v) = s.poll(&p.id, PORTAL).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(v["state"], "done", "{v}");
    assert_eq!(v["error"], Value::Null);
    assert_eq!(v["alg"], alg);
    let got_cert = STANDARD.decode(v["certificate"].as_str().unwrap()).unwrap();
    assert_eq!(got_cert, cert, "the chosen certificate is returned");
    let got_chain: Vec<Vec<u8>> = v["chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| STANDARD.decode(c.as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(got_chain, chain);
    let sig = STANDARD.decode(v["signature"].as_str().unwrap()).unwrap();
    assert!(
        verify(cert, alg, p.challenge.as_bytes(), &sig),
        "the signature verifies over the exact challenge bytes"
    );
    let mut other = p.challenge.clone().into_bytes();
    other.push(b'\n');
    assert!(!verify(cert, alg, &other, &sig), "and over nothing else");
}

// ------------------------------------------------------------------ tests

#[tokio::test]
async fn status_lists_the_tokens_and_their_certificates() {
    let Some(_) = fixture() else { return };
    let s = start(SOFTHSM).await;
    let v = s.status().await;
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["module_ok"], true);
    let tokens = v["tokens"].as_array().unwrap();
    let find = |label: &str| {
        tokens
            .iter()
            .find(|t| t["label"] == label)
            .unwrap_or_else(|| panic!("token {label} in {v}"))
    };
    // The CA certificate on the token is not one to sign with.
    assert_eq!(find("motcua-test")["certificates"], 2);
    assert_eq!(find("motcua-rsa")["certificates"], 1);
    assert!(find("motcua-test")["slot"].is_u64());
    assert_eq!(
        tokens.len(),
        2,
        "the free uninitialised slot is not listed: {v}"
    );
}

#[tokio::test]
async fn full_flow_signs_with_the_second_certificate() {
    let Some(f) = fixture() else { return };
    let s = start(SOFTHSM).await;
    let p = s.new_request("login").await;

    let (status, h, html) = s.open_ui(&p, "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h[header::CONTENT_TYPE], "text/html; charset=utf-8");
    let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    for d in [
        "default-src 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(d), "{csp}");
    }
    assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
    // With no-referrer, browsers would post the form with `Origin: null`,
    // which the own-origin check refuses.
    assert_eq!(h[header::REFERRER_POLICY], "same-origin");
    assert!(!html.contains("no-referrer"));
    assert_eq!(h[header::CACHE_CONTROL], "no-store");
    assert_no_cors(&h);
    // Vietnamese by default, the portal and the purpose in words.
    assert!(html.contains("<html lang=\"vi\">"));
    assert!(html.contains(PORTAL));
    assert!(html.contains("Đăng nhập"));
    assert!(
        !html.contains("src=") && !html.contains("<link"),
        "no outside resources"
    );
    // The three certificates that can sign (tokens by label, then objects by
    // label), the first one checked, the CA not offered.
    let r = radios(&html);
    let fps: Vec<&str> = r.iter().map(|(fp, _)| fp.as_str()).collect();
    assert_eq!(
        fps,
        [fingerprint(&f.r1), fingerprint(&f.c1), fingerprint(&f.c2)],
        "{html}"
    );
    assert_eq!(
        r.iter().map(|(_, c)| *c).collect::<Vec<_>>(),
        [true, false, false]
    );
    assert!(!html.contains(&fingerprint(&f.ca)));
    for needle in [
        "NGUYỄN VĂN AN",
        "CÔNG TY CỔ PHẦN HÒA PHÁT",
        "Motcua Test CA",
        "<fieldset>",
        "<legend>",
        "<label for=\"pin\">",
        "type=\"password\" id=\"pin\" name=\"pin\" autocomplete=\"off\"",
        "id=\"sign\"",
        "id=\"cancel\"",
    ] {
        assert!(html.contains(needle), "missing {needle:?} in {html}");
    }
    let colons = fingerprint(&f.c2)
        .to_uppercase()
        .as_bytes()
        .chunks(2)
        .map(|c| std::str::from_utf8(c).unwrap().to_owned())
        .collect::<Vec<_>>()
        .join(":");
    assert!(html.contains(&colons), "fingerprint shown");

    let (code, v) = s.poll(&p.id, PORTAL).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(v["state"], "pending");
    assert_eq!(v["error"], Value::Null);

    sign_and_check(&s, &p, &f.c2, "ecdsa-p384-sha384", &[&f.ca]).await;

    // Done is final: the page now only says so.
    let (_, _, html) = s.open_ui(&p, "").await;
    assert!(html.contains("data-state=\"done\""));
    assert!(!html.contains("id=\"pin\""));
}

#[tokio::test]
async fn wrong_pin_can_be_retried() {
    let Some(f) = fixture() else { return };
    let s = start(SOFTHSM).await;
    let p = s.new_request("register").await;
    let (_, _, html) = s.open_ui(&p, "").await;
    assert!(html.contains("Đăng ký tài khoản"));
    let fp = fingerprint(&f.c1);
    let (status, _, html) = s
        .submit(
            &p,
            Some(&s.own_origin()),
            &[("cert", &fp), ("pin", "9999"), ("action", "sign")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-notice=\"wrong_pin\""), "{html}");
    assert!(html.contains("Mã PIN không đúng"));
    assert!(html.contains("aria-invalid=\"true\""));
    assert!(!html.contains("9999"), "the PIN is not echoed");
    let (_, v) = s.poll(&p.id, PORTAL).await;
    assert_eq!(v["state"], "pending");
    assert_eq!(v["error"], "wrong_pin");
    assert_eq!(v["signature"], Value::Null);

    // An empty PIN is not sent to the token.
    let (status, _, html) = s
        .submit(
            &p,
            Some(&s.own_origin()),
            &[("cert", &fp), ("pin", ""), ("action", "sign")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("data-notice=\"empty_pin\""), "{html}");

    sign_and_check(&s, &p, &f.c1, "ecdsa-p256-sha256", &[&f.ca]).await;
}

#[tokio::test]
async fn rsa_certificate_signs_pkcs1_sha256() {
    let Some(f) = fixture() else { return };
    let s = start(SOFTHSM).await;
    let p = s.new_request("step_up").await;
    sign_and_check(&s, &p, &f.r1, "rsa-pkcs1-sha256", &[]).await;
}

#[tokio::test]
async fn cancel_ends_the_request() {
    let Some(f) = fixture() else { return };
    let s = start(SOFTHSM).await;
    let p = s.new_request("login").await;
    let (status, _, html) = s
        .submit(&p, Some(&s.own_origin()), &[("action", "cancel")])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-state=\"cancelled\""), "{html}");
    assert!(html.contains("<script>window.close();</script>"));
    let (_, v) = s.poll(&p.id, PORTAL).await;
    assert_eq!(v["state"], "cancelled");
    assert_eq!(v["error"], "cancelled");
    assert_eq!(v["signature"], Value::Null);
    // A later sign attempt does not sign.
    let fp = fingerprint(&f.c1);
    let (_, _, html) = s
        .submit(
            &p,
            Some(&s.own_origin()),
            &[("cert", &fp), ("pin", PIN), ("action", "sign")],
        )
        .await;
    assert!(html.contains("data-state=\"cancelled\""));
    let (_, v) = s.poll(&p.id, PORTAL).await;
    assert_eq!(v["state"], "cancelled");
}

#[tokio::test]
async fn origin_not_in_the_allow_list_gets_403_without_cors() {
    let Some(_) = fixture() else { return };
    let s = start(SOFTHSM).await;
    for (method, path) in [
        (Method::GET, "/v1/status"),
        (Method::POST, "/v1/requests"),
        (Method::GET, "/v1/requests/abc"),
        (Method::OPTIONS, "/v1/requests"),
    ] {
        for origin in [
            Some(EVIL),
            Some("null"),
            Some("https://portal.example.evil.example"),
            None,
        ] {
            let mut rb = s.api(method.clone(), path, origin);
            if method == Method::OPTIONS {
                rb = rb
                    .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
                    .header("access-control-request-private-network", "true");
            }
            if method == Method::POST {
                let c = challenge(
                    EVIL,
                    "login",
                    OffsetDateTime::now_utc() + Duration::minutes(1),
                );
                rb = rb.json(&serde_json::json!({ "challenge": c }));
            }
            let r = rb.send().await.unwrap();
            assert_eq!(
                r.status(),
                StatusCode::FORBIDDEN,
                "{method} {path} {origin:?}"
            );
            assert_no_cors(r.headers());
            let v: Value = r.json().await.unwrap();
            assert_eq!(v["error"], "origin_not_allowed");
        }
    }
}

#[tokio::test]
async fn preflight_for_an_allowed_origin() {
    let Some(_) = fixture() else { return };
    let s = start(SOFTHSM).await;
    let r = s
        .api(Method::OPTIONS, "/v1/requests", Some(PORTAL))
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
        .header("access-control-request-private-network", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let h = r.headers();
    assert_eq!(h[header::ACCESS_CONTROL_ALLOW_ORIGIN], PORTAL);
    assert_eq!(h["access-control-allow-private-network"], "true");
    assert!(h[header::ACCESS_CONTROL_ALLOW_METHODS]
        .to_str()
        .unwrap()
        .contains("POST"));
    assert!(h[header::ACCESS_CONTROL_ALLOW_HEADERS]
        .to_str()
        .unwrap()
        .contains("content-type"));
    assert!(h[header::VARY].to_str().unwrap().contains("Origin"));
    assert!(!h.contains_key(header::ACCESS_CONTROL_ALLOW_CREDENTIALS));

    // Without the private-network request header, no private-network answer.
    let r = s
        .api(Method::OPTIONS, "/v1/status", Some(OTHER_PORTAL))
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        r.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        OTHER_PORTAL
    );
    assert!(!r
        .headers()
        .contains_key("access-control-allow-private-network"));

    // Simple responses carry the echo and Vary too, never `*`.
    let r = s
        .api(Method::GET, "/v1/status", Some(OTHER_PORTAL))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        OTHER_PORTAL
    );
    assert!(r
        .headers()
        .get_all(header::VARY)
        .iter()
        .any(|v| v.to_str().unwrap().contains("Origin")));
}

#[tokio::test]
async fn wrong_host_is_refused() {
    let Some(_) = fixture() else { return };
    let s = start(SOFTHSM).await;
    let p = s.new_request("login").await;
    let ui_path = format!("/ui/{}?t={}", p.id, p.secret);
    for host in [
        format!("evil.example:{}", s.port),
        format!("127.0.0.1:{}", s.port + 1),
        "127.0.0.1".to_owned(),
        format!("127.0.0.2:{}", s.port),
        format!("localhost.evil.example:{}", s.port),
    ] {
        for path in ["/v1/status", ui_path.as_str()] {
            let r = s
                .api(Method::GET, path, Some(PORTAL))
                .header(header::HOST, &host)
                .send()
                .await
                .unwrap();
            assert_eq!(
                r.status(),
                StatusCode::MISDIRECTED_REQUEST,
                "Host {host} {path}"
            );
            assert_no_cors(r.headers());
        }
    }
    // Both loopback names are fine.
    for host in [
        format!("localhost:{}", s.port),
        format!("127.0.0.1:{}", s.port),
    ] {
        let r = s
            .api(Method::GET, "/v1/status", Some(PORTAL))
            .header(header::HOST, &host)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "Host {host}");
    }
}

#[tokio::test]
async fn challenges_are_rechecked() {
    let Some(_) = fixture() else { return };
    let t0 = motcua_signer::challenge::parse_instant("2026-12-01T08:28:00Z").unwrap();
    let clock = Clock::manual(t0);
    let s = start_with(SOFTHSM, clock.clone()).await;
    let expires = t0 + Duration::minutes(2);
    let cases = [
        // The challenge names another portal than the page that sends it.
        (
            OTHER_PORTAL,
            challenge(PORTAL, "login", expires),
            "origin_mismatch",
        ),
        (
            PORTAL,
            challenge(OTHER_PORTAL, "login", expires),
            "origin_mismatch",
        ),
        (PORTAL, challenge(PORTAL, "login", t0), "expired"),
        (
            PORTAL,
            challenge(PORTAL, "login", t0 - Duration::seconds(1)),
            "expired",
        ),
        (
            PORTAL,
            challenge(PORTAL, "login", t0 + Duration::hours(2)),
            "expires_too_far",
        ),
        (
            PORTAL,
            challenge(PORTAL, "payment", expires),
            "unknown_purpose",
        ),
        (
            PORTAL,
            format!("{}\n", challenge(PORTAL, "login", expires)),
            "malformed_challenge",
        ),
        (
            PORTAL,
            challenge(PORTAL, "login", expires).replace('\n', "\r\n"),
            "malformed_challenge",
        ),
        (PORTAL, "hello".to_owned(), "malformed_challenge"),
    ];
    for (origin, c, code) in cases {
        let r = s.create(origin, &c).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{c:?}");
        assert_eq!(r.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], origin);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"], code, "{c:?}: {v}");
    }
    // Not JSON.
    let r = s
        .api(Method::POST, "/v1/requests", Some(PORTAL))
        .body("challenge=x")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "bad_request");
    // The same challenge one second before expiry is fine.
    let ok = challenge(PORTAL, "login", expires);
    assert_eq!(s.create(PORTAL, &ok).await.status(), StatusCode::CREATED);
    clock.set(expires - Duration::seconds(1));
    let ok2 = challenge(PORTAL, "login", expires);
    assert_eq!(s.create(PORTAL, &ok2).await.status(), StatusCode::CREATED);
    clock.set(expires);
    assert_eq!(
        s.create(PORTAL, &ok2).await.status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn requests_are_private_to_their_origin_and_expire() {
    let Some(_) = fixture() else { return };
    let t0 = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let clock = Clock::manual(t0);
    let s = start_with(SOFTHSM, clock.clone()).await;
    let p = s.new_request("login").await;
    let (code, v) = s.poll(&p.id, OTHER_PORTAL).await;
    assert_eq!(
        code,
        StatusCode::NOT_FOUND,
        "another allowed portal cannot read it"
    );
    assert_eq!(v["error"], "not_found");
    let (code, _) = s.poll(&p.id, PORTAL).await;
    assert_eq!(code, StatusCode::OK);
    // The popup needs the secret.
    let r = s
        .http
        .get(format!("{}/ui/{}?t=wrong", s.base, p.id))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = s
        .http
        .get(format!("{}/ui/{}", s.base, p.id))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Gone once the challenge expires (it expires at t0 + 2 min).
    clock.advance(Duration::minutes(2));
    let (code, _) = s.poll(&p.id, PORTAL).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let (code, _, html) = s.open_ui(&p, "").await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert!(html.contains("hết hạn"));
}

#[tokio::test]
async fn ui_post_from_another_origin_is_refused() {
    let Some(f) = fixture() else { return };
    let s = start(SOFTHSM).await;
    let p = s.new_request("login").await;
    let fp = fingerprint(&f.c1);
    let fields = [("cert", fp.as_str()), ("pin", PIN), ("action", "sign")];
    let localhost = format!("http://localhost:{}", s.port);
    for origin in [
        Some(PORTAL),
        Some(EVIL),
        Some("null"),
        Some(localhost.as_str()),
        None,
    ] {
        let (status, _, html) = s.submit(&p, origin, &fields).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "Origin {origin:?}");
        assert!(!html.contains("data-state"));
    }
    let (code, v) = s.poll(&p.id, PORTAL).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(v["state"], "pending", "nothing was signed");
    assert_eq!(v["signature"], Value::Null);
    // And a wrong secret from the right origin is refused too.
    let bad = Pending {
        secret: "x".repeat(43),
        ..p
    };
    let (status, _, _) = s.submit(&bad, Some(&s.own_origin()), &fields).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, v) = s.poll(&bad.id, PORTAL).await;
    assert_eq!(v["state"], "pending");
}

#[tokio::test]
async fn english_on_request() {
    let Some(_) = fixture() else { return };
    let s = start(SOFTHSM).await;
    let p = s.new_request("step_up").await;
    let (_, _, html) = s.open_ui(&p, "&lang=en").await;
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("Token PIN"));
    assert!(html.contains("higher assurance level"));
    let r = s
        .http
        .get(&p.ui_url)
        .header(header::ACCEPT_LANGUAGE, "en-GB,en;q=0.9,vi;q=0.5")
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("<html lang=\"en\">"));
    // The language stays with the form.
    let (_, _, html) = s
        .submit(
            &p,
            Some(&s.own_origin()),
            &[("lang", "en"), ("action", "cancel")],
        )
        .await;
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("Cancelled"));
}

#[tokio::test]
async fn opensc_without_a_reader_reports_no_token() {
    let Some(_) = fixture() else { return };
    let s = start(OPENSC).await;
    let v = s.status().await;
    assert_eq!(v["module_ok"], true, "{v}");
    assert_eq!(v["tokens"], serde_json::json!([]));
    let p = s.new_request("login").await;
    let (status, _, html) = s.open_ui(&p, "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-notice=\"no_token\""), "{html}");
    assert!(html.contains("Chưa cắm USB token"));
    assert!(html.contains("id=\"cancel\""));
    assert!(html.contains("id=\"retry\""));
    assert!(!html.contains("id=\"pin\""));
    let (_, v) = s.poll(&p.id, PORTAL).await;
    assert_eq!(v["state"], "pending");
    assert_eq!(v["error"], "no_token");
    // A forged sign post finds no token either.
    let (_, _, html) = s
        .submit(
            &p,
            Some(&s.own_origin()),
            &[("cert", &"0".repeat(64)), ("pin", PIN), ("action", "sign")],
        )
        .await;
    assert!(html.contains("data-notice=\"no_token\""), "{html}");
    let (_, v) = s.poll(&p.id, PORTAL).await;
    assert_eq!(v["error"], "no_token");
}

#[tokio::test]
async fn a_missing_module_is_reported() {
    let Some(_) = fixture() else { return };
    let s = start("/nonexistent/libpkcs11-missing.so").await;
    let v = s.status().await;
    assert_eq!(v["module_ok"], false);
    assert_eq!(v["tokens"], serde_json::json!([]));
    let p = s.new_request("login").await;
    let (_, _, html) = s.open_ui(&p, "").await;
    assert!(html.contains("data-notice=\"no_module\""), "{html}");
}

#[tokio::test]
async fn serve_refuses_a_non_loopback_listener() {
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let cfg = Config::new(SOFTHSM, vec![PORTAL.into()]);
    let err = serve(cfg, listener).await.unwrap_err();
    assert!(err.to_string().contains("127.0.0.1 only"), "{err}");
    // And a bad allow-list.
    for origins in [
        vec![],
        vec!["https://portal.example/".to_owned()],
        vec!["http://portal.example".to_owned()],
        vec!["*".to_owned()],
    ] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let cfg = Config::new(SOFTHSM, origins.clone());
        assert!(serve(cfg, listener).await.is_err(), "{origins:?}");
    }
}

/// `motcua-signer` run as a program, killed on drop.
struct Program {
    child: std::process::Child,
    url: String,
    // Kept open: the test reads the first line only.
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Drop for Program {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn program(softhsm_conf: &Path, args: &[&str]) -> Program {
    let mut child = Command::new(env!("CARGO_BIN_EXE_motcua-signer"))
        .args(args)
        .env("SOFTHSM2_CONF", softhsm_conf)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("motcua-signer listening on ")
        .unwrap_or_else(|| panic!("{line:?}"))
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    Program {
        child,
        url,
        _stdout: stdout,
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[test]
fn the_command_line_program() {
    let Some(f) = fixture() else { return };
    let bin = env!("CARGO_BIN_EXE_motcua-signer");
    // A bad origin is refused before listening.
    let out = Command::new(bin)
        .args([
            "--module",
            SOFTHSM,
            "--allow-origin",
            "https://portal.example/",
            "--port",
            "0",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("https://portal.example/"));
    // Unknown keys in the config file are refused.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "module = \"x.so\"\nlisten = \"0.0.0.0:1\"\n").unwrap();
    let out = Command::new(bin)
        .arg("--config")
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("listen"));

    // The config file, with the port from the command line.
    let conf = dir.path().join("signer.toml");
    std::fs::write(
        &conf,
        format!("module = \"{SOFTHSM}\"\nallow_origins = [\"{PORTAL}\"]\nport = 1\n"),
    )
    .unwrap();
    let p = program(
        &f.conf,
        &["--config", conf.to_str().unwrap(), "--port", "0"],
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let v: Value = rt.block_on(async {
        client()
            .get(format!("{}/v1/status", p.url))
            .header(header::ORIGIN, PORTAL)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(v["module_ok"], true, "{v}");
    assert_eq!(v["tokens"].as_array().unwrap().len(), 2, "{v}");
}

/// A token that holds only a CA certificate: nothing to sign with. Its own
/// SoftHSM directory, so the signer runs as a child process.
#[tokio::test]
async fn a_token_without_a_usable_certificate() {
    let Some(f) = fixture() else { return };
    let p = program(
        &f.ca_only_conf,
        &["--module", SOFTHSM, "--allow-origin", PORTAL, "--port", "0"],
    );
    let http = client();
    let v: Value = http
        .get(format!("{}/v1/status", p.url))
        .header(header::ORIGIN, PORTAL)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        v["tokens"],
        serde_json::json!([{ "label": "motcua-ca-only", "slot": v["tokens"][0]["slot"], "certificates": 0 }]),
        "{v}"
    );
    let c = challenge(
        PORTAL,
        "login",
        OffsetDateTime::now_utc() + Duration::minutes(2),
    );
    let r: Value = http
        .post(format!("{}/v1/requests", p.url))
        .header(header::ORIGIN, PORTAL)
        .json(&serde_json::json!({ "challenge": c }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let html = http
        .get(r["ui_url"].as_str().unwrap())
        .header(header::ACCEPT_LANGUAGE, "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-notice=\"no_certificate\""), "{html}");
    assert!(html.contains("no certificate that can be used to sign"));
    assert!(!html.contains("id=\"pin\""));
    let v: Value = http
        .get(format!(
            "{}/v1/requests/{}",
            p.url,
            r["id"].as_str().unwrap()
        ))
        .header(header::ORIGIN, PORTAL)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["state"], "pending");
    assert_eq!(v["error"], "no_certificate");
}
