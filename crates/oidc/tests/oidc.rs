//! motcua-oidc against three providers:
//!
//! - the real, independent npm `oidc-provider` v9 (`tests/peers/op.mjs`,
//!   started with `node`): a full login through its development login and
//!   consent pages driven with reqwest, code reuse, and JWKS rotation across
//!   a restart with new keys. Without `node` or the package these tests print
//!   a loud SKIP and pass, except under `CI=true`, where they fail. The
//!   package is found at `$OIDC_PROVIDER_DIR` or else `<repo>/node_modules/
//!   oidc-provider` (`npm install --no-save axe-core@4 oidc-provider@9 openid-client@6` at
//!   the root: one command, as a second `--no-save` install removes the
//!   first's packages);
//! - a fake provider written here (axum) that serves ID tokens the tests
//!   forge: every attack that must fail;
//! - the crate's own development provider (`devop`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test binary: helpers may fail loudly
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use motcua_domain::{Clock, SystemClock, TestClock, SECOND};
use motcua_oidc::devop::{self, DevClient, DevOp, DevOpConfig};
use motcua_oidc::{Callback, Config, LazyRp, Millis, OidcError, Pending, Rp};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CLIENT_ID: &str = "motcua";
const CLIENT_SECRET: &str = "motcua-test-secret";
const REDIRECT: &str = "http://127.0.0.1:9/auth/eid/callback";

fn now() -> Millis {
    SystemClock.now()
}

fn rp_config(issuer: &str) -> Config {
    Config::new(issuer, CLIENT_ID, CLIENT_SECRET, REDIRECT)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

/// The callback query of a redirect to [`REDIRECT`].
fn callback_of(url: &reqwest::Url) -> Callback {
    let mut cb = Callback::default();
    for (k, v) in url.query_pairs() {
        let v = Some(v.into_owned());
        match k.as_ref() {
            "code" => cb.code = v,
            "state" => cb.state = v,
            "iss" => cb.iss = v,
            "error" => cb.error = v,
            "error_description" => cb.error_description = v,
            _ => {}
        }
    }
    cb
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

fn location(resp: &reqwest::Response, base: &reqwest::Url) -> reqwest::Url {
    let loc = resp
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .expect("Location header");
    base.join(loc).expect("Location URL")
}

// ======================================================= npm oidc-provider

struct NodeEnv {
    script: PathBuf,
    module: PathBuf,
}

fn in_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// `node` and the oidc-provider package, or `None` after a loud note
/// (a failure under `CI=true`).
fn node_env(test: &str) -> Option<NodeEnv> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = match std::env::var_os("OIDC_PROVIDER_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => manifest.join("../../node_modules/oidc-provider"),
    };
    let module = dir.join("lib/index.js");
    let node_ok = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let missing = if !node_ok {
        Some("`node` (Node.js 20+)".to_string())
    } else if !module.is_file() {
        Some(format!(
            "the npm package oidc-provider@9 ({} not found; run `npm install --no-save axe-core@4 \
             oidc-provider@9 openid-client@6` at the repository root or set OIDC_PROVIDER_DIR)",
            module.display()
        ))
    } else {
        None
    };
    if let Some(what) = missing {
        assert!(
            !in_ci(),
            "CI=true but {what} is missing: {test} needs the real OpenID Provider; .ci/run installs it"
        );
        // Straight to stderr: the test harness does not capture it.
        let _ = writeln!(
            std::io::stderr(),
            "\n************************************************************************\n\
             *  SKIPPED {test}: {what} is missing.\n\
             *  The e-ID tests against the independent OpenID Provider did not run.\n\
             ************************************************************************\n"
        );
        return None;
    }
    Some(NodeEnv {
        script: manifest.join("tests/peers/op.mjs"),
        module,
    })
}

/// A running `node op.mjs`, killed on drop.
struct NodeOp {
    child: Child,
    issuer: String,
}

impl NodeOp {
    fn start(env: &NodeEnv, port: u16, kid: &str, alg: &str) -> NodeOp {
        let mut child = Command::new("node")
            .arg(&env.script)
            .env("OP_PORT", port.to_string())
            .env("OP_REDIRECT", REDIRECT)
            .env("OP_KID", kid)
            .env("OP_ALG", alg)
            .env("OP_MODULE", &env.module)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn node");
        let stdout = child.stdout.take().expect("stdout");
        let mut stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let err_log = log.clone();
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            err_log.lock().unwrap().push_str(&s);
        });
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) if line.starts_with("READY ") => {
                    return NodeOp {
                        child,
                        issuer: line["READY ".len()..].trim().to_owned(),
                    }
                }
                Ok(_) => continue,
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    std::thread::sleep(Duration::from_millis(200));
                    panic!("oidc-provider did not start: {}", log.lock().unwrap());
                }
            }
        }
    }
}

impl Drop for NodeOp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Logs in at oidc-provider's development pages as `login` (any password)
/// and consents; returns the callback the browser would bring back.
async fn node_login(authorize_url: &str, login: &str) -> Callback {
    let http = browser();
    let mut url = reqwest::Url::parse(authorize_url).unwrap();
    let mut form: Option<Vec<(&str, &str)>> = None;
    for _ in 0..20 {
        let resp = match form.take() {
            Some(f) => http.post(url.clone()).form(&f).send().await,
            None => http.get(url.clone()).send().await,
        }
        .expect("request to the OP");
        let status = resp.status();
        if status.is_redirection() {
            let target = location(&resp, &url);
            if target.as_str().starts_with(REDIRECT) {
                return callback_of(&target);
            }
            url = target;
            continue;
        }
        let body = resp.text().await.unwrap();
        assert!(status.is_success(), "{status} at {url}: {body}");
        let action = between(&body, "action=\"", "\"").expect("a form");
        let prompt = between(&body, "name=\"prompt\" value=\"", "\"").expect("a prompt");
        url = url.join(action).unwrap();
        form = Some(match prompt {
            "login" => vec![("prompt", "login"), ("login", login), ("password", "any")],
            "consent" => vec![("prompt", "consent")],
            other => panic!("unexpected prompt {other}"),
        });
    }
    panic!("no callback after 20 steps");
}

#[tokio::test]
async fn node_op_login_with_claims_acr_and_code_reuse() {
    let Some(env) = node_env("node_op_login_with_claims_acr_and_code_reuse") else {
        return;
    };
    let op = NodeOp::start(&env, free_port(), "key-es", "ES256");
    let mut config = rp_config(&op.issuer);
    // oidc-provider puts acr in the ID token only when asked for.
    config.acr_values = Some("urn:motcua:test:level-2 urn:motcua:test:level-1".into());
    let rp = Rp::discover(config, now()).await.expect("discovery");
    assert!(rp.metadata().userinfo_endpoint.is_some());

    // A citizen.
    let (url, pending) = rp.begin();
    assert!(url.contains("code_challenge_method=S256"), "{url}");
    let cb = node_login(&url, "citizen-001").await;
    let code = rp.check_callback(&cb, &pending).expect("callback");
    let login = rp.exchange(&code, &pending, now()).await.expect("exchange");
    assert_eq!(login.subject, "citizen-001");
    assert_eq!(login.issuer, op.issuer);
    assert_eq!(login.acr.as_deref(), Some("urn:motcua:test:level-2"));
    assert_eq!(login.claim_str("name").as_deref(), Some("Nguyễn Văn An"));
    assert_eq!(
        login.claim_str("personal_id").as_deref(),
        Some("001085012345")
    );
    assert_eq!(login.claim_str("birthdate").as_deref(), Some("1985-03-12"));
    assert_eq!(login.claim_str("sub").as_deref(), Some("citizen-001"));

    // The same code again: the OP refuses it.
    match rp.exchange(&code, &pending, now()).await {
        Err(OidcError::TokenEndpoint { status: 400, body }) => {
            assert!(body.contains("invalid_grant"), "{body}")
        }
        other => panic!("reused code: {other:?}"),
    }

    // An organisation, and a callback whose state was swapped.
    let (url, pending) = rp.begin();
    let cb = node_login(&url, "org-0100100079").await;
    let mut forged = cb.clone();
    forged.state = Some(rp.begin().1.state);
    assert!(matches!(
        rp.check_callback(&forged, &pending),
        Err(OidcError::StateMismatch)
    ));
    let code = rp.check_callback(&cb, &pending).unwrap();
    let login = rp.exchange(&code, &pending, now()).await.expect("exchange");
    assert_eq!(login.subject, "org-0100100079");
    assert_eq!(login.claim_str("tax_code").as_deref(), Some("0100100079"));
}

/// One login at the node OP as citizen-001, exchanged at `at`.
async fn node_login_exchange(rp: &Rp, at: Millis) -> Result<motcua_oidc::Login, OidcError> {
    let (url, pending) = rp.begin();
    let cb = node_login(&url, "citizen-001").await;
    let code = rp.check_callback(&cb, &pending).expect("callback");
    rp.exchange(&code, &pending, at).await
}

#[tokio::test]
async fn node_op_key_rotation_refetches_the_jwks() {
    let Some(env) = node_env("node_op_key_rotation_refetches_the_jwks") else {
        return;
    };
    let port = free_port();
    let op = NodeOp::start(&env, port, "key-a", "RS256");
    let issuer = op.issuer.clone();
    let rp = Rp::discover(rp_config(&issuer), now())
        .await
        .expect("discovery");
    let t0 = now();
    assert_eq!(
        node_login_exchange(&rp, t0).await.expect("key A").subject,
        "citizen-001"
    );

    // Restart on the same port with a new key (kid key-b): the cached JWKS
    // does not have it, so the RP fetches it again and succeeds.
    drop(op);
    let op = NodeOp::start(&env, port, "key-b", "RS256");
    assert_eq!(op.issuer, issuer);
    let t1 = now();
    assert_eq!(
        node_login_exchange(&rp, t1).await.expect("key B").subject,
        "citizen-001"
    );

    // A second rotation within the minute (kid key-c, PS256): no second
    // refetch yet, so the key is unknown; a minute later it is fetched.
    drop(op);
    let _op = NodeOp::start(&env, port, "key-c", "PS256");
    match node_login_exchange(&rp, t1 + 5 * SECOND).await {
        Err(OidcError::UnknownKey(Some(kid))) => assert_eq!(kid, "key-c"),
        other => panic!("refetch within a minute: {other:?}"),
    }
    let later = t1 + 61 * SECOND;
    assert_eq!(
        node_login_exchange(&rp, later)
            .await
            .expect("key C")
            .subject,
        "citizen-001"
    );
}

// ============================================= a fake provider for attacks

/// A P-256 signing key with its JWK.
struct EcKey {
    pair: EcdsaKeyPair,
    kid: String,
    jwk: Value,
}

impl EcKey {
    fn new(kid: &str) -> EcKey {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let p = pair.public_key().as_ref();
        let jwk = json!({"kty": "EC", "crv": "P-256", "kid": kid, "use": "sig",
            "x": URL_SAFE_NO_PAD.encode(&p[1..33]), "y": URL_SAFE_NO_PAD.encode(&p[33..65])});
        EcKey {
            pair,
            kid: kid.into(),
            jwk,
        }
    }

    fn sign(&self, header: &Value, claims: &Value) -> String {
        jws(header, claims, |m| {
            self.pair
                .sign(&SystemRandom::new(), m)
                .unwrap()
                .as_ref()
                .to_vec()
        })
    }

    fn token(&self, claims: &Value) -> String {
        self.sign(&json!({"alg": "ES256", "kid": self.kid}), claims)
    }
}

fn jws(header: &Value, claims: &Value, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let sig = sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

const FAKE_ACCESS_TOKEN: &str = "fake-access-token";

struct FakeState {
    issuer: String,
    discovery_issuer: Mutex<Option<String>>,
    jwks: Mutex<Value>,
    id_token: Mutex<String>,
    userinfo: Mutex<Value>,
    jwks_fetches: AtomicUsize,
}

/// An OP whose token endpoint returns whatever ID token the test sets.
struct FakeOp {
    state: Arc<FakeState>,
    key: EcKey,
}

impl FakeOp {
    async fn start() -> FakeOp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let key = EcKey::new("fake-key-1");
        let state = Arc::new(FakeState {
            issuer: issuer.clone(),
            discovery_issuer: Mutex::new(None),
            jwks: Mutex::new(json!({"keys": [key.jwk]})),
            id_token: Mutex::new(String::new()),
            userinfo: Mutex::new(json!({"sub": "fake-001", "name": "Lê Thị Cúc"})),
            jwks_fetches: AtomicUsize::new(0),
        });
        type S = State<Arc<FakeState>>;
        let app = Router::new()
            .route(
                "/.well-known/openid-configuration",
                get(|State(s): S| async move {
                    let iss = s.discovery_issuer.lock().unwrap().clone();
                    let i = &s.issuer;
                    Json(json!({
                        "issuer": iss.unwrap_or_else(|| i.clone()),
                        "authorization_endpoint": format!("{i}/authorize"),
                        "token_endpoint": format!("{i}/token"),
                        "userinfo_endpoint": format!("{i}/userinfo"),
                        "jwks_uri": format!("{i}/jwks"),
                    }))
                }),
            )
            .route(
                "/jwks",
                get(|State(s): S| async move {
                    s.jwks_fetches.fetch_add(1, Ordering::SeqCst);
                    Json(s.jwks.lock().unwrap().clone())
                }),
            )
            .route(
                "/token",
                post(|State(s): S| async move {
                    Json(
                        json!({"access_token": FAKE_ACCESS_TOKEN, "token_type": "Bearer",
                        "id_token": *s.id_token.lock().unwrap()}),
                    )
                }),
            )
            .route(
                "/userinfo",
                get(|State(s): S| async move { Json(s.userinfo.lock().unwrap().clone()) }),
            )
            .with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        FakeOp { state, key }
    }

    fn issuer(&self) -> &str {
        &self.state.issuer
    }

    /// Good claims for `pending`, issued at `at`.
    fn claims(&self, pending: &Pending, at: Millis) -> Value {
        json!({"iss": self.issuer(), "aud": CLIENT_ID, "sub": "fake-001", "nonce": pending.nonce,
            "iat": at / 1000, "exp": at / 1000 + 300, "acr": "urn:fake:level-2"})
    }

    fn serve(&self, id_token: String) {
        *self.state.id_token.lock().unwrap() = id_token;
    }

    fn fetches(&self) -> usize {
        self.state.jwks_fetches.load(Ordering::SeqCst)
    }
}

/// A fake OP, an RP discovered against it, and a pending login.
async fn fake_setup() -> (FakeOp, Rp, Pending) {
    let op = FakeOp::start().await;
    let rp = Rp::discover(rp_config(op.issuer()), now())
        .await
        .expect("discovery");
    let (_, pending) = rp.begin();
    (op, rp, pending)
}

fn with(mut claims: Value, key: &str, v: Value) -> Value {
    claims[key] = v;
    claims
}

#[tokio::test]
async fn unreachable_provider_is_unavailable() {
    let port = free_port();
    let issuer = format!("http://127.0.0.1:{port}");
    let err = Rp::discover(rp_config(&issuer), now()).await.unwrap_err();
    assert!(
        matches!(err, OidcError::Discovery(_)) && err.is_unavailable(),
        "{err:?}"
    );
    let lazy = LazyRp::new(rp_config(&issuer)).unwrap();
    assert!(lazy.get(now()).await.is_err());
    // Insecure or malformed settings are refused before any request.
    let mut bad = rp_config("http://id.example");
    assert!(matches!(
        LazyRp::new(bad.clone()),
        Err(OidcError::InsecureEndpoint(_))
    ));
    bad.issuer = issuer;
    bad.scopes = "profile".into();
    assert!(matches!(LazyRp::new(bad), Err(OidcError::Config(_))));
}

#[tokio::test]
async fn fake_op_control_accepts_a_good_token() {
    let (op, rp, pending) = fake_setup().await;
    let t = now();
    op.serve(op.key.token(&op.claims(&pending, t)));
    let login = rp.exchange("code", &pending, t).await.expect("good token");
    assert_eq!(login.subject, "fake-001");
    assert_eq!(login.acr.as_deref(), Some("urn:fake:level-2"));
    assert_eq!(login.claim_str("name").as_deref(), Some("Lê Thị Cúc"));
}

#[tokio::test]
async fn attack_tampered_payload_is_refused() {
    let (op, rp, pending) = fake_setup().await;
    let t = now();
    let token = op.key.token(&op.claims(&pending, t));
    let parts: Vec<&str> = token.split('.').collect();
    let mut payload = URL_SAFE_NO_PAD.decode(parts[1]).unwrap();
    let at = payload.windows(8).position(|w| w == b"fake-001").unwrap() + 7;
    payload[at] ^= 0x03; // "fake-001" -> "fake-002"
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(&payload),
        parts[2]
    );
    op.serve(tampered);
    assert!(matches!(
        rp.exchange("code", &pending, t).await,
        Err(OidcError::BadSignature)
    ));
}

#[tokio::test]
async fn attack_signature_of_another_key_is_refused() {
    let (op, rp, pending) = fake_setup().await;
    let t = now();
    let other = EcKey::new("intruder");
    // Claiming the provider's kid.
    op.serve(other.sign(
        &json!({"alg": "ES256", "kid": op.key.kid}),
        &op.claims(&pending, t),
    ));
    assert!(matches!(
        rp.exchange("code", &pending, t).await,
        Err(OidcError::BadSignature)
    ));
    // With its own kid: unknown after one refetch of the JWKS.
    let before = op.fetches();
    op.serve(other.token(&op.claims(&pending, t)));
    assert!(matches!(
        rp.exchange("code", &pending, t).await,
        Err(OidcError::UnknownKey(Some(k))) if k == "intruder"
    ));
    assert_eq!(op.fetches(), before + 1);
    // Again within the minute: refused without asking the provider.
    assert!(matches!(
        rp.exchange("code", &pending, t + 10 * SECOND).await,
        Err(OidcError::UnknownKey(_))
    ));
    assert_eq!(op.fetches(), before + 1);
    // A key in the header (jwk) is never trusted.
    op.serve(other.sign(
        &json!({"alg": "ES256", "jwk": other.jwk}),
        &op.claims(&pending, t),
    ));
    assert!(matches!(
        rp.exchange("code", &pending, t).await,
        Err(OidcError::BadSignature)
    ));
}

#[tokio::test]
async fn attack_alg_none_is_refused() {
    let (op, rp, pending) = fake_setup().await;
    let t = now();
    let claims = op.claims(&pending, t);
    for header in [
        json!({"alg": "none"}),
        json!({"alg": "none", "kid": op.key.kid}),
        json!({"alg": "None", "kid": op.key.kid}),
    ] {
        let unsigned = jws(&header, &claims, |_| Vec::new());
        op.serve(unsigned);
        let r = rp.exchange("code", &pending, t).await;
        assert!(matches!(r, Err(OidcError::AlgorithmNotAllowed(_))), "{r:?}");
    }
}

#[tokio::test]
async fn attack_hs256_keyed_with_the_public_key_is_refused() {
    let (op, rp, pending) = fake_setup().await;
    let t = now();
    let claims = op.claims(&pending, t);
    let public_forms: Vec<Vec<u8>> = vec![
        op.key.pair.public_key().as_ref().to_vec(),
        op.key.jwk.to_string().into_bytes(),
    ];
    for secret in public_forms {
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &secret);
        let token = jws(&json!({"alg": "HS256", "kid": op.key.kid}), &claims, |m| {
            ring::hmac::sign(&key, m).as_ref().to_vec()
        });
        op.serve(token);
        assert!(matches!(
            rp.exchange("code", &pending, t).await,
            Err(OidcError::AlgorithmNotAllowed(a)) if a == "HS256"
        ));
    }
}

#[tokio::test]
async fn attack_wrong_audience_is_refused() {
    let (op, rp, pending) = fake_setup().await;
    let t = now();
    op.serve(op.key.token(&with(
        op.claims(&pending, t),
        "aud",
        json!("another-portal"),
    )));
    assert!(matches!(
        rp.exchange("code", &pending, t).await,
        Err(OidcError::WrongAudience)
    ));
    // Several audiences including ours, but azp names another client.
    let mut claims = with(op.claims(&pending, t), "aud", json!([CLIENT_ID, "another"]));
    claims["azp"] = json!("another");
    op.serve(op.key.token(&claims));
    assert!(matches!(
        rp.exchange("code", &pending, t).await,
        Err(OidcError::AzpMismatch)
    ));
}

#[tokio::test]
async fn attack_wrong_issuer_is_refused() {
    let (op, rp, pending) = fake_setup().await;
    let t = now();
    op.serve(op.key.token(&with(
        op.claims(&pending, t),
        "iss",
        json!("https://evil.example"),
    )));
    assert!(matches!(
        rp.exchange("code", &pending, t).await,
        Err(OidcError::IssuerMismatch { found, .. }) if found == "https://evil.example"
    ));
    // The authorization response's iss (RFC 9207) too.
    let cb = Callback {
        code: Some("c".into()),
        state: Some(pending.state.clone()),
        iss: Some("https://evil.example".into()),
        ..Callback::default()
    };
    assert!(matches!(
        rp.check_callback(&cb, &pending),
        Err(OidcError::IssuerMismatch { .. })
    ));
    // And a discovery document that names another issuer.
    *op.state.discovery_issuer.lock().unwrap() = Some(format!("{}/", op.issuer()));
    assert!(matches!(
        Rp::discover(rp_config(op.issuer()), t).await,
        Err(OidcError::IssuerMismatch { .. })
    ));
}

#[tokio::test]
async fn attack_expired_token_is_refused() {
    let (op, rp, pending) = fake_setup().await;
    let t = now();
    op.serve(op.key.token(&op.claims(&pending, t)));
    // exp = t + 300 s; the leeway is 60 s.
    assert!(rp
        .exchange("code", &pending, t + 350 * SECOND)
        .await
        .is_ok());
    assert!(matches!(
        rp.exchange("code", &pending, t + 361 * SECOND).await,
        Err(OidcError::Expired)
    ));
    // Issued in the future.
    assert!(matches!(
        rp.exchange("code", &pending, t - 120 * SECOND).await,
        Err(OidcError::NotYetValid)
    ));
}

#[tokio::test]
async fn attack_wrong_nonce_is_refused() {
    let (op, rp, pending) = fake_setup().await;
    let t = now();
    let (_, other) = rp.begin();
    op.serve(
        op.key
            .token(&with(op.claims(&pending, t), "nonce", json!(other.nonce))),
    );
    assert!(matches!(
        rp.exchange("code", &pending, t).await,
        Err(OidcError::NonceMismatch)
    ));
    let mut claims = op.claims(&pending, t);
    claims.as_object_mut().unwrap().remove("nonce");
    op.serve(op.key.token(&claims));
    assert!(matches!(
        rp.exchange("code", &pending, t).await,
        Err(OidcError::NonceMismatch)
    ));
}

#[tokio::test]
async fn attack_wrong_state_is_refused() {
    let (_op, rp, pending) = fake_setup().await;
    let (_, other) = rp.begin();
    assert!(motcua_oidc::state_matches(&pending.state, &pending.state));
    assert!(!motcua_oidc::state_matches(&other.state, &pending.state));
    for state in [Some(other.state.clone()), None, Some(String::new())] {
        let cb = Callback {
            code: Some("c".into()),
            state,
            ..Callback::default()
        };
        assert!(matches!(
            rp.check_callback(&cb, &pending),
            Err(OidcError::StateMismatch)
        ));
    }
    // An error response with a wrong state is a state mismatch, not a cancel.
    let cb = Callback {
        error: Some("access_denied".into()),
        state: Some(other.state),
        ..Callback::default()
    };
    assert!(matches!(
        rp.check_callback(&cb, &pending),
        Err(OidcError::StateMismatch)
    ));
    let cb = Callback {
        error: Some("access_denied".into()),
        state: Some(pending.state.clone()),
        ..Callback::default()
    };
    assert!(rp
        .check_callback(&cb, &pending)
        .unwrap_err()
        .is_user_cancel());
}

#[tokio::test]
async fn attack_userinfo_of_another_subject_and_bad_at_hash_are_refused() {
    let (op, rp, pending) = fake_setup().await;
    let t = now();
    *op.state.userinfo.lock().unwrap() = json!({"sub": "someone-else", "name": "X"});
    op.serve(op.key.token(&op.claims(&pending, t)));
    assert!(matches!(
        rp.exchange("code", &pending, t).await,
        Err(OidcError::UserinfoSubjectMismatch)
    ));
    // Userinfo adds claims but never replaces the signed ones.
    *op.state.userinfo.lock().unwrap() =
        json!({"sub": "fake-001", "acr": "forged", "iss": "forged", "name": "Y"});
    let login = rp.exchange("code", &pending, t).await.unwrap();
    assert_eq!(login.acr.as_deref(), Some("urn:fake:level-2"));
    assert_eq!(login.claim_str("acr").as_deref(), Some("urn:fake:level-2"));
    assert_eq!(login.claim_str("iss").as_deref(), Some(op.issuer()));
    assert_eq!(login.claim_str("name").as_deref(), Some("Y"));
    // at_hash of another access token.
    let claims = with(
        op.claims(&pending, t),
        "at_hash",
        json!("AAAAAAAAAAAAAAAAAAAAAA"),
    );
    op.serve(op.key.token(&claims));
    assert!(matches!(
        rp.exchange("code", &pending, t).await,
        Err(OidcError::AccessTokenHashMismatch)
    ));
}

// ================================================================ dev OP

struct DevSetup {
    lazy: LazyRp,
    clock: Arc<TestClock>,
    base: String,
}

impl DevSetup {
    async fn rp(&self) -> &Rp {
        self.lazy.get(self.clock.now()).await.unwrap()
    }
}

async fn devop_setup() -> DevSetup {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let issuer = format!("{base}/dev-eid");
    let clock = Arc::new(TestClock::default());
    let op = DevOp::new(
        DevOpConfig::new(
            &issuer,
            DevClient {
                client_id: CLIENT_ID.into(),
                client_secret: CLIENT_SECRET.into(),
                redirect_uris: vec![REDIRECT.into()],
            },
            devop::demo_identities(),
        ),
        clock.clone(),
    )
    .unwrap();
    // As in `motcua demo`: the RP exists before the server that hosts the
    // provider listens; discovery waits for the first use.
    let lazy = LazyRp::new(rp_config(&issuer)).unwrap();
    let app = Router::new().nest("/dev-eid", op.router());
    tokio::spawn(async move { axum::serve(listener, app).await });
    lazy.get(clock.now())
        .await
        .expect("discovery of the dev OP");
    DevSetup { lazy, clock, base }
}

/// Picks `subject` on the dev OP's page; returns the callback.
async fn devop_pick(authorize_url: &str, subject: &str) -> Callback {
    let http = browser();
    let url = reqwest::Url::parse(authorize_url).unwrap();
    let resp = http.get(url.clone()).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let page = resp.text().await.unwrap();
    // Accessible, Vietnamese first, clearly a stand-in.
    assert!(page.contains("<html lang=\"vi\">"));
    assert!(page.contains("THỬ NGHIỆM"));
    assert!(page.contains("<legend>"));
    assert!(page.contains("<label for=\"who0\">"));
    let request = between(&page, "name=\"request\" value=\"", "\"").expect("request id");
    let action = url.join("authorize").unwrap();
    let resp = http
        .post(action.clone())
        .form(&[
            ("request", request),
            ("subject", subject),
            ("action", "login"),
        ])
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_redirection(), "{}", resp.status());
    let target = location(&resp, &action);
    assert!(target.as_str().starts_with(REDIRECT), "{target}");
    callback_of(&target)
}

#[tokio::test]
async fn devop_full_flow_citizen_and_organisation() {
    let s = devop_setup().await;
    let rp = s.rp().await;
    let (url, pending) = rp.begin();
    let cb = devop_pick(&url, "dev-eid-001").await;
    let code = rp.check_callback(&cb, &pending).expect("callback");
    let login = rp
        .exchange(&code, &pending, s.clock.now())
        .await
        .expect("exchange");
    assert_eq!(login.subject, "dev-eid-001");
    assert_eq!(login.acr.as_deref(), Some(devop::ACR_LEVEL_2));
    assert_eq!(login.claim_str("name").as_deref(), Some("Nguyễn Văn An"));
    assert_eq!(
        login.claim_str(devop::CLAIM_PERSONAL_ID).as_deref(),
        Some("001085012345")
    );
    assert_eq!(
        login.claim_str(devop::CLAIM_BIRTHDATE).as_deref(),
        Some("1985-03-12")
    );

    let (url, pending) = rp.begin();
    let cb = devop_pick(&url, "dev-eid-org-0100100079").await;
    let code = rp.check_callback(&cb, &pending).unwrap();
    let login = rp.exchange(&code, &pending, s.clock.now()).await.unwrap();
    assert_eq!(login.acr.as_deref(), Some(devop::ACR_ORGANISATION));
    assert_eq!(
        login.claim_str(devop::CLAIM_TAX_CODE).as_deref(),
        Some("0100100079")
    );

    // Cancel: back to the portal with access_denied.
    let (url, pending) = rp.begin();
    let http = browser();
    let page = http.get(&url).send().await.unwrap().text().await.unwrap();
    let request = between(&page, "name=\"request\" value=\"", "\"").unwrap();
    let action = format!("{}/dev-eid/authorize", s.base);
    let resp = http
        .post(&action)
        .form(&[("request", request), ("action", "cancel")])
        .send()
        .await
        .unwrap();
    let cb = callback_of(&location(&resp, &reqwest::Url::parse(&action).unwrap()));
    assert!(rp
        .check_callback(&cb, &pending)
        .unwrap_err()
        .is_user_cancel());
    // The request cannot be used twice.
    let resp = http
        .post(&action)
        .form(&[
            ("request", request),
            ("subject", "dev-eid-001"),
            ("action", "login"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn devop_refuses_pkce_mismatch() {
    let s = devop_setup().await;
    let rp = s.rp().await;
    let (url, pending) = rp.begin();
    let cb = devop_pick(&url, "dev-eid-002").await;
    let code = rp.check_callback(&cb, &pending).unwrap();
    let mut wrong = pending.clone();
    wrong.pkce_verifier = motcua_oidc::random_token();
    match rp.exchange(&code, &wrong, s.clock.now()).await {
        Err(OidcError::TokenEndpoint { status: 400, body }) => {
            assert!(body.contains("invalid_grant"), "{body}")
        }
        other => panic!("PKCE mismatch: {other:?}"),
    }
    // A failed verifier spends the code.
    assert!(matches!(
        rp.exchange(&code, &pending, s.clock.now()).await,
        Err(OidcError::TokenEndpoint { status: 400, .. })
    ));
}

#[tokio::test]
async fn devop_refuses_code_reuse_and_expired_codes() {
    let s = devop_setup().await;
    let rp = s.rp().await;
    let (url, pending) = rp.begin();
    let cb = devop_pick(&url, "dev-eid-001").await;
    let code = rp.check_callback(&cb, &pending).unwrap();
    assert!(rp.exchange(&code, &pending, s.clock.now()).await.is_ok());
    match rp.exchange(&code, &pending, s.clock.now()).await {
        Err(OidcError::TokenEndpoint { status: 400, body }) => {
            assert!(body.contains("invalid_grant"), "{body}")
        }
        other => panic!("reused code: {other:?}"),
    }

    // A code older than 60 s.
    let (url, pending) = rp.begin();
    let cb = devop_pick(&url, "dev-eid-001").await;
    let code = rp.check_callback(&cb, &pending).unwrap();
    s.clock.advance(61 * SECOND);
    assert!(matches!(
        rp.exchange(&code, &pending, s.clock.now()).await,
        Err(OidcError::TokenEndpoint { status: 400, .. })
    ));
}

#[tokio::test]
async fn devop_checks_client_redirect_uri_and_pkce_at_authorize() {
    let s = devop_setup().await;
    let rp = s.rp().await;
    let http = browser();
    let authorize = format!("{}/dev-eid/authorize", s.base);
    let (url, _) = rp.begin();
    // An unregistered redirect_uri: an error page, never a redirect.
    let evil = url.replace(
        &url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>(),
        "https%3A%2F%2Fevil.example%2Fcb",
    );
    assert_ne!(evil, url);
    let resp = http.get(&evil).send().await.unwrap();
    assert_eq!(resp.status(), 400);
    // No PKCE: back to the client with invalid_request.
    let no_pkce = format!(
        "{authorize}?response_type=code&client_id={CLIENT_ID}&redirect_uri={}&scope=openid&state=s",
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
    );
    let resp = http.get(&no_pkce).send().await.unwrap();
    let cb = callback_of(&location(&resp, &reqwest::Url::parse(&authorize).unwrap()));
    assert_eq!(cb.error.as_deref(), Some("invalid_request"));
    // A wrong client secret at the token endpoint.
    let resp = http
        .post(format!("{}/dev-eid/token", s.base))
        .basic_auth(CLIENT_ID, Some("wrong"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("redirect_uri", REDIRECT),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    // Userinfo without a token.
    let resp = http
        .get(format!("{}/dev-eid/userinfo", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}
