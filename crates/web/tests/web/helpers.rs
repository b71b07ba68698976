//! The harness: a real server on a real port over a real database (SQLite,
//! and PostgreSQL when `MOTCUA_TEST_PG_URL` is set), a test clock the tests
//! move forward, a mail drop whose `.eml` files the tests read, and a small
//! "browser" (reqwest with a cookie jar, redirects not followed).
#![allow(dead_code)]

use motcua_domain::{AccountId, Role, TestClock};
use motcua_identity::service::{self, NewAccountInput, Origin};
use motcua_kernel::Settings as WebConfig;
use motcua_mail::{Mailer, SmtpConfig, SmtpSecurity};
use motcua_store::AnyConnection;
use motcua_web::AppState;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::HeaderValue;
use reqwest::redirect::Policy;
use reqwest::{StatusCode, Url};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const FROM: &str = "Motcua <no-reply@test.localhost>";
/// The user agent every test browser sends (checked in the history page).
pub const UA: &str = "MotcuaTest/1.0 (integration; +R-ID-14)";

// ---------------------------------------------------------------------------
// Databases
// ---------------------------------------------------------------------------

pub use motcua_testkit::{
    count, each_backend, in_ci, link_in, pg_url, read_mails, scrape_csrf, Db, Mail, Page, PG_ENV,
};

// ---------------------------------------------------------------------------
// The application
// ---------------------------------------------------------------------------

/// Settings that differ from [`WebConfig::for_tests`].
#[derive(Clone, Default)]
pub struct Opts {
    pub max_body_bytes: Option<usize>,
    pub mail_max_attempts: Option<i64>,
    pub operator_email: Option<String>,
    /// Deliver mail to an SMTP port where nothing listens.
    pub failing_smtp: bool,
    /// The public URL the app believes it has (default: its own address).
    pub public_url: Option<String>,
    /// Event delivery settings (default: [`EventsConfig::default`]).
    pub events: Option<motcua_kernel::outbox::EventsConfig>,
    /// Listen on this address (default: any free port).
    pub listen: Option<String>,
    /// Trust anchors for certificate logins (default: none trusted).
    pub trust: Option<motcua_pki::TrustStore>,
    pub identity: Option<motcua_identity::IdentityConfig>,
    /// Trusted reverse proxies (default: none).
    pub trusted_proxies: Vec<&'static str>,
    /// Serve `/metrics` on the public listener without a token configured
    /// (the production default: not at all).
    pub no_metrics_token: bool,
    /// `[portal]`: footer details and legal documents (default: bundled).
    pub portal: Option<motcua_identity::portal::PortalConfig>,
    /// The payment platform's base URL (its simulator's), with the demo
    /// partner's credentials (default: not connected).
    pub paygov: Option<String>,
    /// The postal operator's base URL (its simulator's), with the demo
    /// credentials (default: not offered).
    pub post: Option<String>,
    /// `[interop]` (default: [`motcua_interop::Config::default`]).
    pub interop: Option<motcua_interop::Config>,
}

/// One app node: its own store (pool), state and listening port.
pub struct Node {
    pub base: String,
    pub addr: SocketAddr,
    pub state: AppState,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Node {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Node {
    pub async fn start(db: &Db, clock: Arc<TestClock>, mail_dir: &Path, opts: &Opts) -> Node {
        let listener =
            tokio::net::TcpListener::bind(opts.listen.as_deref().unwrap_or("127.0.0.1:0"))
                .await
                .expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let base = format!("http://{addr}");
        // Audit records are sealed with a key kept outside the database.
        motcua_store::audit::install_keys(
            motcua_domain::audit::AuditKeys::single("web-tests", &[0x5a; 32]).expect("audit key"),
        );
        let store = db.migrated_store().await;
        let mut config = WebConfig::for_tests(opts.public_url.as_deref().unwrap_or(&base));
        if let Some(n) = opts.max_body_bytes {
            config.max_body_bytes = n;
        }
        if let Some(n) = opts.mail_max_attempts {
            config.mail_max_attempts = n;
        }
        config.operator_email = opts.operator_email.clone();
        // Text messages beside the mail drop (`App::sms`).
        config.sms = motcua_kernel::sms::SmsSettings::File {
            dir: mail_dir.with_file_name("sms"),
        };
        config.trusted_proxies = opts
            .trusted_proxies
            .iter()
            .map(|p| motcua_kernel::settings::parse_proxy(p).expect("proxy"))
            .collect();
        if opts.no_metrics_token {
            config.metrics_token = None;
        }
        if let Some(e) = opts.events {
            config.events = e;
        }
        let mailer = if opts.failing_smtp {
            let cfg = SmtpConfig {
                host: "127.0.0.1".into(),
                port: 1,
                security: SmtpSecurity::None,
                username: None,
                password: None,
                timeout_secs: 2,
            };
            Mailer::smtp(&cfg, FROM).expect("smtp mailer")
        } else {
            Mailer::file(mail_dir, FROM).expect("file mailer")
        };
        let mut state = AppState::new(store, config, clock, mailer).expect("state");
        if opts.trust.is_some() || opts.identity.is_some() {
            state = state.with_identity(
                motcua_identity::Identity::with_trust(
                    opts.trust.clone().unwrap_or_default(),
                    &opts.identity.clone().unwrap_or_default(),
                )
                .expect("identity"),
            );
        }
        state = state.with_seals(seals().0.clone());
        if let Some(cfg) = &opts.interop {
            state = state.with_interop(cfg.clone());
        }
        if let Some(paygov) = &opts.paygov {
            let platform =
                motcua_payments::client::Platform::new(motcua_payments::client::PlatformConfig {
                    base_url: paygov.parse().expect("paygov url"),
                    partner_code: motcua_payments::sim::DEMO_PARTNER.into(),
                    secret: motcua_payments::sim::DEMO_SECRET.into(),
                    previous_secret: None,
                    notify_url: format!("{base}/api/v1/payments/confirm"),
                    return_url: format!("{base}/account/payments/return"),
                    day_files: None,
                    timeout: std::time::Duration::from_secs(10),
                })
                .expect("platform");
            state = state.with_payments(Some(platform), Default::default());
        }
        if let Some(post) = &opts.post {
            let post = motcua_postal::client::Post::new(motcua_postal::client::PostConfig {
                base_url: post.parse().expect("post url"),
                api_key: motcua_postal::sim::DEMO_API_KEY.into(),
                webhook_secret: motcua_postal::sim::DEMO_WEBHOOK_SECRET.into(),
                notify_url: format!("{base}/api/v1/postal/events"),
                timeout: std::time::Duration::from_secs(10),
            })
            .expect("post");
            state = state.with_postal(Some(post));
        }
        if let Some(p) = &opts.portal {
            state = state
                .with_portal(motcua_identity::portal::Portal::from_config(p).expect("[portal]"));
        }
        let app =
            motcua_web::router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Node {
            base,
            addr,
            state,
            server,
        }
    }
}

/// The agencies' seal of every test app: a key on a SoftHSM2 token over
/// PKCS#11 (made once per test process), and its CA (PEM). Without
/// SoftHSM2 (only outside CI) a software key stands in, said on stderr.
pub fn seals() -> &'static (motcua_pki::seal::Seals, String) {
    static SEALS: std::sync::OnceLock<(motcua_pki::seal::Seals, String)> =
        std::sync::OnceLock::new();
    SEALS.get_or_init(|| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let dir = std::env::temp_dir().join(format!("motcua-web-seal-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("seal dir");
        match motcua_pki::softhsm::missing() {
            None => motcua_pki::seal::softhsm_seals(&dir, now).expect("seal token"),
            Some(what) => {
                assert!(std::env::var_os("CI").is_none(), "CI needs {what}");
                eprintln!("{what} missing: the seal is a software key in this run");
                let ca =
                    motcua_pki::testca::make(motcua_pki::testca::ca_template("Seal CA", now), None)
                        .expect("ca");
                let leaf = motcua_pki::testca::make(
                    motcua_pki::testca::leaf_template("Seal", now),
                    Some(&ca),
                )
                .expect("leaf");
                let chain = format!(
                    "{}{}",
                    motcua_pki::cert::to_pem(leaf.der()),
                    motcua_pki::cert::to_pem(ca.der())
                );
                (
                    motcua_pki::seal::Seals::software(&leaf.key_pem(), &chain).expect("seal"),
                    motcua_pki::cert::to_pem(ca.der()),
                )
            }
        }
    })
}

pub struct App {
    pub node: Node,
    pub clock: Arc<TestClock>,
    pub mail_dir: PathBuf,
    pub db: Db,
    _tmp: tempfile::TempDir,
}

pub async fn spawn_app(db: Db) -> App {
    spawn_app_with(db, Opts::default()).await
}

pub async fn spawn_app_with(db: Db, opts: Opts) -> App {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mail_dir = tmp.path().join("mail");
    std::fs::create_dir_all(&mail_dir).expect("mail dir");
    let clock = Arc::new(TestClock::default());
    let node = Node::start(&db, clock.clone(), &mail_dir, &opts).await;
    App {
        node,
        clock,
        mail_dir,
        db,
        _tmp: tmp,
    }
}

impl App {
    pub fn base(&self) -> &str {
        &self.node.base
    }

    pub fn state(&self) -> &AppState {
        &self.node.state
    }

    pub fn name(&self) -> &'static str {
        self.db.name()
    }

    pub fn browser(&self) -> Browser {
        Browser::new(self.base())
    }

    pub fn advance(&self, ms: i64) {
        self.clock.advance(ms);
    }

    pub async fn conn(&self) -> motcua_store::Conn {
        self.state().store.conn().await.expect("conn")
    }

    /// Runs every due job now; returns how many ran.
    pub async fn drain(&self) -> usize {
        motcua_kernel::worker::drain(self.state())
            .await
            .expect("drain jobs")
    }

    /// Every message written to the mail drop so far.
    pub fn mails(&self) -> Vec<Mail> {
        read_mails(&self.mail_dir)
    }

    /// Every text message written to the SMS drop so far, oldest first:
    /// (to, text).
    pub fn sms(&self) -> Vec<(String, String)> {
        let dir = self.mail_dir.with_file_name("sms");
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default();
        names.sort();
        names
            .iter()
            .map(|p| {
                let v: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(p).expect("sms file")).expect("sms json");
                (
                    v["to"].as_str().unwrap_or_default().to_string(),
                    v["text"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    pub fn mails_to(&self, addr: &str) -> Vec<Mail> {
        self.mails()
            .into_iter()
            .filter(|m| m.to.eq_ignore_ascii_case(addr))
            .collect()
    }

    pub async fn create(&self, input: NewAccountInput) -> (AccountId, String) {
        service::create_account(self.state(), &Origin::cli(), input)
            .await
            .unwrap_or_else(|e| panic!("{}: create account: {e}", self.name()))
    }

    /// An account with a normal (permanent) password.
    pub async fn user(&self, username: &str, full_name: &str, password: &str) -> AccountId {
        self.create(NewAccountInput {
            username: username.into(),
            full_name: full_name.into(),
            email: Some(format!("{username}@example.vn")),
            roles: vec![Role::Citizen],
            initial_password: Some(password.into()),
            permanent: true,
            ..Default::default()
        })
        .await
        .0
    }

    /// An operator (12+ character password) with an email address.
    pub async fn operator(&self, username: &str, password: &str) -> AccountId {
        self.create(NewAccountInput {
            username: username.into(),
            full_name: "Đơn vị quản lý Cổng".into(),
            email: Some(format!("{username}@portal.example.vn")),
            roles: vec![Role::Operator],
            initial_password: Some(password.into()),
            permanent: true,
            ..Default::default()
        })
        .await
        .0
    }

    /// A browser logged in as an operator created for the occasion.
    pub async fn operator_browser(&self) -> Browser {
        self.operator("vanhanh", OP_PW).await;
        let b = self.browser();
        let r = b.login("vanhanh", OP_PW).await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "{}: operator login",
            self.name()
        );
        b
    }

    /// A new browser logged in as the operator made by [`App::operator_browser`].
    pub async fn operator_browser_again(&self) -> Browser {
        let b = self.browser();
        let r = b.login("vanhanh", OP_PW).await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "{}: operator login",
            self.name()
        );
        b
    }

    pub async fn audit_actions(&self, target: &str) -> Vec<motcua_store::audit::Entry> {
        let mut c = self.conn().await;
        motcua_store::audit::list(&mut c, Some(target), 1000)
            .await
            .expect("audit list")
    }

    pub async fn assert_audit_intact(&self) {
        let mut c = self.conn().await;
        let v = motcua_store::audit::verify(&mut c).await.expect("verify");
        assert_eq!(v.broken, None, "{}: audit chain broken", self.name());
        assert!(v.records > 0, "{}: empty audit log", self.name());
    }

    pub async fn activity_kinds(&self, account_id: AccountId) -> Vec<String> {
        let mut c = self.conn().await;
        let (items, _) = motcua_identity::store::activity::list(&mut c, account_id, None, 1000)
            .await
            .expect("activity");
        items.into_iter().map(|a| a.kind).collect()
    }

    /// Open sessions of the account, as stored (not just as the pages see them).
    pub async fn sessions_of(&self, account_id: AccountId) -> i64 {
        let mut c = self.conn().await;
        motcua_identity::store::sessions::count_for(&mut c, account_id, 0)
            .await
            .expect("count sessions")
    }

    pub async fn account(&self, id: AccountId) -> motcua_identity::store::accounts::Account {
        let mut c = self.conn().await;
        motcua_identity::store::accounts::get(&mut c, id)
            .await
            .expect("get account")
            .expect("account exists")
    }

    pub async fn credential(
        &self,
        id: AccountId,
    ) -> motcua_identity::store::accounts::PasswordCredential {
        let mut c = self.conn().await;
        motcua_identity::store::accounts::password(&mut c, id)
            .await
            .expect("password")
            .expect("has password")
    }
}

/// The password of the operator made by [`App::operator_browser`].
pub const OP_PW: &str = "quan-tri-cong-2026!";

pub async fn scalar(c: &mut AnyConnection, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
        .fetch_one(c)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

// ---------------------------------------------------------------------------
// Mail
// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// The browser
// ---------------------------------------------------------------------------

/// A test browser: a cookie jar, no redirect following.
#[derive(Clone)]
pub struct Browser {
    pub base: String,
    pub client: reqwest::Client,
    pub jar: Arc<Jar>,
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        Self::with_agent(base, UA)
    }

    pub fn with_agent(base: &str, ua: &str) -> Browser {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(Policy::none())
            .user_agent(ua)
            .build()
            .expect("client");
        Browser {
            base: base.to_string(),
            client,
            jar,
        }
    }

    /// The same cookies, against another node.
    pub fn on(&self, base: &str) -> Browser {
        Browser {
            base: base.to_string(),
            client: self.client.clone(),
            jar: self.jar.clone(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn read(r: reqwest::Response) -> Page {
        Page::read(r).await
    }

    pub async fn send(&self, rb: reqwest::RequestBuilder) -> Page {
        Self::read(rb.send().await.expect("request")).await
    }

    pub async fn get(&self, path: &str) -> Page {
        self.send(self.client.get(self.url(path))).await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Page {
        let mut rb = self.client.get(self.url(path));
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        self.send(rb).await
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.send(self.client.post(self.url(path)).form(fields))
            .await
    }

    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Page {
        self.send(
            self.client
                .post(self.url(path))
                .header("content-type", content_type)
                .body(body),
        )
        .await
    }

    /// GETs `form_page`, then POSTs `fields` and the page's CSRF token to
    /// `action`, like a person filling in the form.
    pub async fn submit(&self, form_page: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let page = self.get(form_page).await;
        assert_eq!(
            page.status,
            StatusCode::OK,
            "GET {form_page} before submitting: {}",
            page.text
        );
        let csrf = page.csrf();
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf", &csrf));
        // A form with the captcha: answer its question in words, as a
        // person who cannot see the image does (WCAG 1.1.1).
        let solved = solve_captcha(&page.text);
        if let Some((id, answer)) = &solved {
            if !fields.iter().any(|(k, _)| *k == "captcha") {
                all.push(("captcha_id", id));
                all.push(("captcha", answer));
            }
        }
        self.post_form(action, &all).await
    }

    pub async fn login(&self, username: &str, password: &str) -> Page {
        self.login_next(username, password, "/").await
    }

    pub async fn login_next(&self, username: &str, password: &str, next: &str) -> Page {
        let form = self.get("/login").await;
        let csrf = match scrape_csrf(&form.text) {
            Some(c) => c,
            // Already logged in: /login redirects; any page carries the token.
            None => self.get("/").await.csrf(),
        };
        self.post_form(
            "/login",
            &[
                ("username", username),
                ("password", password),
                ("next", next),
                ("csrf", &csrf),
            ],
        )
        .await
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        let url = Url::parse(&self.base).expect("url");
        let header: HeaderValue = self.jar.cookies(&url)?;
        let s = header.to_str().ok()?.to_string();
        s.split(';')
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }

    pub fn session(&self) -> Option<String> {
        self.cookie("motcua_session")
    }

    /// Whether this browser's session is alive: `/account` answers the page.
    pub async fn logged_in(&self) -> bool {
        let p = self.get("/account").await;
        p.status == StatusCode::OK
    }
}

/// A browser without a cookie jar that sends exactly this session cookie
/// (a copied or stolen cookie).
pub async fn with_session_cookie(base: &str, token: &str, path: &str) -> Page {
    let client = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client");
    Browser::read(
        client
            .get(format!("{base}{path}"))
            .header("cookie", format!("motcua_session={token}"))
            .send()
            .await
            .expect("request"),
    )
    .await
}

/// Whether a copied session cookie still opens `/account`.
pub async fn cookie_alive(base: &str, token: &str) -> bool {
    with_session_cookie(base, token, "/account").await.status == StatusCode::OK
}

/// The captcha of a form page: its id and the answer to its question in
/// words ("bảy cộng hai …" / "seven plus two …"), if the page has one.
pub fn solve_captcha(html: &str) -> Option<(String, String)> {
    let id_at = html.find("name=\"captcha_id\" value=\"")? + "name=\"captcha_id\" value=\"".len();
    let id = html[id_at..].split('"').next()?.to_string();
    let q_at = html.find("id=\"captcha-question\"")?;
    let strong = html[q_at..].find("<strong>")? + q_at + "<strong>".len();
    let question = html[strong..].split("</strong>").next()?;
    const VI: [&str; 10] = [
        "không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín",
    ];
    const EN: [&str; 10] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    ];
    let (a, b) = question
        .split_once(" cộng ")
        .or_else(|| question.strip_prefix("What is ")?.split_once(" plus "))?;
    let word = |w: &str| {
        let w = w.trim();
        VI.iter()
            .position(|x| *x == w)
            .or_else(|| EN.iter().position(|x| *x == w))
    };
    let b = b.split([' ', '?']).next()?;
    Some((id, (word(a)? + word(b)?).to_string()))
}
