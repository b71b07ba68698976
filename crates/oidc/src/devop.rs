//! A development OpenID Provider that stands in for the national e-ID in
//! `motcua demo` and in tests (the demo cannot assume Node). **Never** a
//! production identity provider: anyone who reaches it can log in as any of
//! its demo identities.
//!
//! Mount [`DevOp::router`] where its issuer URL points, e.g.
//! `Router::new().nest("/dev-eid", devop.router())` with issuer
//! `http://127.0.0.1:8080/dev-eid`. Endpoints (relative to the issuer):
//! `/.well-known/openid-configuration`, `/jwks`, `/authorize` (a page "choose
//! a demo citizen"), `/token`, `/userinfo`.
//!
//! It checks what a real provider checks: registered `redirect_uri` (exact),
//! client secret (Basic or post), PKCE S256 (required), single-use codes
//! valid for [`DevOpConfig::code_ttl`], the same `redirect_uri` at the token
//! endpoint. ID tokens are signed ES256 with `ring` (a P-256 key generated at
//! start, or given as PKCS#8).
use crate::rp::{pkce_challenge, random_token};
use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use motcua_domain::{Clock, Millis, MINUTE, SECOND};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use subtle::ConstantTimeEq;

/// Claim carrying the personal identification number (CCCD) in the dev OP.
pub const CLAIM_PERSONAL_ID: &str = "personal_id";
/// Claim carrying an organisation's tax code (MST) in the dev OP.
pub const CLAIM_TAX_CODE: &str = "tax_code";
/// Claim carrying the full name (citizen) or organisation name.
pub const CLAIM_NAME: &str = "name";
/// Claim carrying the birth date, `YYYY-MM-DD`.
pub const CLAIM_BIRTHDATE: &str = "birthdate";

/// `acr` of a level-1 e-ID account in the dev OP.
pub const ACR_LEVEL_1: &str = "urn:motcua:dev-eid:level-1";
/// `acr` of a level-2 e-ID account in the dev OP.
pub const ACR_LEVEL_2: &str = "urn:motcua:dev-eid:level-2";
/// `acr` of an organisation's e-ID in the dev OP.
pub const ACR_ORGANISATION: &str = "urn:motcua:dev-eid:organisation";

/// One person or organisation the demo page offers.
#[derive(Debug, Clone)]
pub struct DemoIdentity {
    /// The stable `sub`.
    pub subject: String,
    /// Full name, or the organisation's name.
    pub name: String,
    /// Personal identification number (12 digits) of a citizen.
    pub personal_id: Option<String>,
    /// `YYYY-MM-DD`.
    pub birthdate: Option<String>,
    /// Tax code of an organisation.
    pub tax_code: Option<String>,
    /// The `acr` put in the ID token, e.g. [`ACR_LEVEL_2`].
    pub acr: String,
}

impl DemoIdentity {
    fn userinfo(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("sub".into(), json!(self.subject));
        m.insert(CLAIM_NAME.into(), json!(self.name));
        if let Some(v) = &self.personal_id {
            m.insert(CLAIM_PERSONAL_ID.into(), json!(v));
        }
        if let Some(v) = &self.birthdate {
            m.insert(CLAIM_BIRTHDATE.into(), json!(v));
        }
        if let Some(v) = &self.tax_code {
            m.insert(CLAIM_TAX_CODE.into(), json!(v));
        }
        m
    }
}

/// The identities of `motcua demo`: two citizens (level 1 and level 2) and
/// one organisation.
pub fn demo_identities() -> Vec<DemoIdentity> {
    vec![
        DemoIdentity {
            subject: "dev-eid-001".into(),
            name: "Nguyễn Văn An".into(),
            personal_id: Some("001085012345".into()),
            birthdate: Some("1985-03-12".into()),
            tax_code: None,
            acr: ACR_LEVEL_2.into(),
        },
        DemoIdentity {
            subject: "dev-eid-002".into(),
            name: "Trần Thị Bình".into(),
            personal_id: Some("079190054321".into()),
            birthdate: Some("1990-11-02".into()),
            tax_code: None,
            acr: ACR_LEVEL_1.into(),
        },
        DemoIdentity {
            subject: "dev-eid-org-0100100079".into(),
            name: "Công ty Cổ phần Hòa Phát (demo)".into(),
            personal_id: None,
            birthdate: None,
            tax_code: Some("0100100079".into()),
            acr: ACR_ORGANISATION.into(),
        },
    ]
}

/// A relying party registered at the dev OP.
#[derive(Debug, Clone)]
pub struct DevClient {
    pub client_id: String,
    pub client_secret: String,
    /// Compared exactly.
    pub redirect_uris: Vec<String>,
}

/// The dev OP's settings.
#[derive(Debug, Clone)]
pub struct DevOpConfig {
    /// The absolute URL where [`DevOp::router`] is mounted, no trailing slash.
    pub issuer: String,
    pub clients: Vec<DevClient>,
    pub identities: Vec<DemoIdentity>,
    /// A P-256 key as PKCS#8 DER; `None` generates one at start.
    pub signing_key_pkcs8: Option<Vec<u8>>,
    /// Lifetime of an authorization code (default 60 s).
    pub code_ttl: Millis,
    /// Lifetime of access and ID tokens (default 10 min).
    pub token_ttl: Millis,
}

impl DevOpConfig {
    pub fn new(
        issuer: impl Into<String>,
        client: DevClient,
        identities: Vec<DemoIdentity>,
    ) -> Self {
        DevOpConfig {
            issuer: issuer.into().trim_end_matches('/').to_owned(),
            clients: vec![client],
            identities,
            signing_key_pkcs8: None,
            code_ttl: 60 * SECOND,
            token_ttl: 10 * MINUTE,
        }
    }
}

/// Why the dev OP could not start.
#[derive(Debug, thiserror::Error)]
pub enum DevOpError {
    #[error("dev OP signing key: {0}")]
    Key(String),
    #[error("dev OP configuration: {0}")]
    Config(String),
}

/// Most pending requests, codes and tokens kept at once.
const MAX_ENTRIES: usize = 10_000;
/// How long the "choose a demo citizen" page stays valid.
const REQUEST_TTL: Millis = 10 * MINUTE;

struct AuthRequest {
    client_id: String,
    redirect_uri: String,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: String,
    expires_at: Millis,
}

struct CodeGrant {
    client_id: String,
    redirect_uri: String,
    nonce: Option<String>,
    code_challenge: String,
    identity: usize,
    expires_at: Millis,
    /// Set once spent; a second use fails and revokes this access token.
    spent_token: Option<String>,
    used: bool,
}

struct AccessToken {
    identity: usize,
    expires_at: Millis,
}

#[derive(Default)]
struct Stores {
    requests: HashMap<String, AuthRequest>,
    codes: HashMap<String, CodeGrant>,
    tokens: HashMap<String, AccessToken>,
}

impl Stores {
    fn prune(&mut self, now: Millis) {
        self.requests.retain(|_, r| r.expires_at > now);
        // Spent codes are kept until they expire, so reuse is recognised.
        self.codes.retain(|_, c| c.expires_at > now);
        self.tokens.retain(|_, t| t.expires_at > now);
    }
}

struct Inner {
    config: DevOpConfig,
    clock: Arc<dyn Clock>,
    key: EcdsaKeyPair,
    rng: SystemRandom,
    kid: String,
    jwk: Value,
    stores: Mutex<Stores>,
}

/// The development OpenID Provider.
#[derive(Clone)]
pub struct DevOp {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for DevOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevOp")
            .field("issuer", &self.inner.config.issuer)
            .field("kid", &self.inner.kid)
            .finish_non_exhaustive()
    }
}

impl DevOp {
    pub fn new(config: DevOpConfig, clock: Arc<dyn Clock>) -> Result<DevOp, DevOpError> {
        if config.clients.is_empty() || config.identities.is_empty() {
            return Err(DevOpError::Config("needs a client and an identity".into()));
        }
        crate::config::check_endpoint("issuer", &config.issuer)
            .map_err(|e| DevOpError::Config(e.to_string()))?;
        let rng = SystemRandom::new();
        let pkcs8 = match &config.signing_key_pkcs8 {
            Some(k) => k.clone(),
            None => EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .map_err(|e| DevOpError::Key(e.to_string()))?
                .as_ref()
                .to_vec(),
        };
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &rng)
            .map_err(|e| DevOpError::Key(e.to_string()))?;
        let point = key.public_key().as_ref();
        if point.len() != 65 || point[0] != 4 {
            return Err(DevOpError::Key(
                "unexpected P-256 public key encoding".into(),
            ));
        }
        let x = URL_SAFE_NO_PAD.encode(&point[1..33]);
        let y = URL_SAFE_NO_PAD.encode(&point[33..65]);
        // RFC 7638 thumbprint as the kid: stable for a given key.
        let thumb_input = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(thumb_input.as_bytes()));
        let jwk = json!({"kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": kid, "use": "sig", "alg": "ES256"});
        Ok(DevOp {
            inner: Arc::new(Inner {
                config,
                clock,
                key,
                rng,
                kid,
                jwk,
                stores: Mutex::new(Stores::default()),
            }),
        })
    }

    pub fn issuer(&self) -> &str {
        &self.inner.config.issuer
    }

    /// The public signing key (JWK).
    pub fn jwk(&self) -> &Value {
        &self.inner.jwk
    }

    /// The axum routes, relative to the issuer's path, for a router of any
    /// state type (`web_router.nest("/dev-eid", devop.router())`).
    pub fn router<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize_page).post(authorize_submit))
            .route("/token", axum::routing::post(token))
            .route("/userinfo", get(userinfo).post(userinfo))
            .with_state(self.inner.clone())
    }
}

type St = State<Arc<Inner>>;

impl Inner {
    fn url(&self, path: &str) -> String {
        format!("{}{}", self.config.issuer, path)
    }

    fn client(&self, id: &str) -> Option<&DevClient> {
        self.config.clients.iter().find(|c| c.client_id == id)
    }

    fn sign_jwt(&self, claims: &Value) -> Option<String> {
        let header = json!({"alg": "ES256", "typ": "JWT", "kid": self.kid});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig = self.key.sign(&self.rng, input.as_bytes()).ok()?;
        Some(format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref())))
    }
}

async fn discovery(State(op): St) -> Response {
    let acrs: Vec<&str> = {
        let mut v: Vec<&str> = op
            .config
            .identities
            .iter()
            .map(|i| i.acr.as_str())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let doc = json!({
        "issuer": op.config.issuer,
        "authorization_endpoint": op.url("/authorize"),
        "token_endpoint": op.url("/token"),
        "userinfo_endpoint": op.url("/userinfo"),
        "jwks_uri": op.url("/jwks"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid", "profile"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr",
            CLAIM_NAME, CLAIM_BIRTHDATE, CLAIM_PERSONAL_ID, CLAIM_TAX_CODE],
        "acr_values_supported": acrs,
        "authorization_response_iss_parameter_supported": true,
    });
    Json(doc).into_response()
}

async fn jwks(State(op): St) -> Response {
    Json(json!({"keys": [op.jwk]})).into_response()
}

// ---------------------------------------------------------------- /authorize

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = "body{font-family:system-ui,'Segoe UI',Roboto,Arial,sans-serif;margin:0;background:#f4f5f7;color:#1b1b1b;line-height:1.5}\
main{max-width:40rem;margin:0 auto;padding:1rem 1.25rem 2rem}\
.dev{background:#7a1f00;color:#fff;padding:.75rem 1.25rem;font-weight:600}\
.dev span{display:block;font-weight:400}\
h1{font-size:1.5rem;margin:1.25rem 0 .25rem}\
p.en,span.en{color:#444}.dev span.en{color:#fff}\
fieldset{border:1px solid #8a8f98;border-radius:.5rem;padding:.75rem 1rem;background:#fff;margin:1rem 0}\
legend{font-weight:600;padding:0 .25rem}\
.who{display:flex;gap:.75rem;align-items:flex-start;padding:.6rem 0;border-bottom:1px solid #e3e5e8}\
.who:last-child{border-bottom:0}\
.who input{width:1.25rem;height:1.25rem;margin-top:.2rem}\
.who label{cursor:pointer}.who small{display:block;color:#333}\
button{font:inherit;font-weight:600;padding:.6rem 1.2rem;border-radius:.4rem;border:2px solid #0b4f9c;margin-right:.75rem;cursor:pointer}\
button.primary{background:#0b4f9c;color:#fff}button.secondary{background:#fff;color:#0b4f9c}\
:focus-visible{outline:3px solid #f5a000;outline-offset:2px}\
.error{border-left:4px solid #b00020;background:#fff;padding:.5rem .75rem}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\">\
         <title>{title}</title><style>{CSS}</style></head><body>\
         <div class=\"dev\" role=\"note\">MÁY CHỦ ĐỊNH DANH THỬ NGHIỆM — không phải VNeID, chỉ dùng để phát triển và trình diễn.\
         <span class=\"en\" lang=\"en\">DEVELOPMENT IDENTITY PROVIDER — not the national e-ID, for development and demos only.</span></div>\
         <main>{body}</main></body></html>"
    )
}

fn html_response(status: StatusCode, html: String) -> Response {
    let mut resp = (status, html).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    resp
}

fn error_page(status: StatusCode, vi: &str, en: &str) -> Response {
    let body = format!(
        "<h1>Yêu cầu không hợp lệ</h1><p lang=\"en\" class=\"en\">Invalid request</p>\
         <p class=\"error\" role=\"alert\">{}<br><span class=\"en\" lang=\"en\">{}</span></p>",
        html_escape(vi),
        html_escape(en)
    );
    html_response(status, page("Lỗi — máy chủ định danh thử nghiệm", &body))
}

/// Redirects back to the client with an OAuth error.
fn redirect_error(
    op: &Inner,
    redirect_uri: &str,
    state: Option<&str>,
    error: &str,
    desc: &str,
) -> Response {
    let mut url = match url::Url::parse(redirect_uri) {
        Ok(u) => u,
        Err(_) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "redirect_uri sai",
                "bad redirect_uri",
            )
        }
    };
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("error", error)
            .append_pair("error_description", desc);
        if let Some(s) = state {
            q.append_pair("state", s);
        }
        q.append_pair("iss", &op.config.issuer);
    }
    Redirect::to(url.as_str()).into_response()
}

fn render_choice(op: &Inner, request_id: &str, client_id: &str, error: Option<&str>) -> String {
    let mut list = String::new();
    for (i, who) in op.config.identities.iter().enumerate() {
        let mut details = Vec::new();
        if let Some(v) = &who.personal_id {
            details.push(format!(
                "Số định danh cá nhân / Personal ID: {}",
                html_escape(v)
            ));
        }
        if let Some(v) = &who.tax_code {
            details.push(format!("Mã số thuế / Tax code: {}", html_escape(v)));
        }
        if let Some(v) = &who.birthdate {
            details.push(format!("Ngày sinh / Birth date: {}", html_escape(v)));
        }
        details.push(format!("Mức xác thực / acr: {}", html_escape(&who.acr)));
        let _ = write!(
            list,
            "<div class=\"who\"><input type=\"radio\" name=\"subject\" id=\"who{i}\" value=\"{}\"{}>\
             <label for=\"who{i}\"><strong>{}</strong>{}</label></div>",
            html_escape(&who.subject),
            if i == 0 { " checked" } else { "" },
            html_escape(&who.name),
            details
                .iter()
                .map(|d| format!("<small>{d}</small>"))
                .collect::<String>(),
        );
    }
    let err = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", html_escape(e)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Chọn công dân thử nghiệm</h1>\
         <p class=\"en\" lang=\"en\">Choose a demo citizen</p>\
         <p>Ứng dụng <strong>{client}</strong> yêu cầu đăng nhập bằng định danh điện tử. \
         <span class=\"en\" lang=\"en\">The application <strong>{client}</strong> asks you to log in with an electronic identity.</span></p>\
         {err}\
         <form method=\"post\" action=\"authorize\">\
         <input type=\"hidden\" name=\"request\" value=\"{req}\">\
         <fieldset><legend>Danh tính / Identity</legend>{list}</fieldset>\
         <button class=\"primary\" type=\"submit\" name=\"action\" value=\"login\">Đăng nhập / Log in</button>\
         <button class=\"secondary\" type=\"submit\" name=\"action\" value=\"cancel\">Huỷ / Cancel</button>\
         </form>",
        client = html_escape(client_id),
        req = html_escape(request_id),
    );
    page(
        "Chọn công dân thử nghiệm — máy chủ định danh thử nghiệm",
        &body,
    )
}

async fn authorize_page(State(op): St, Query(q): Query<HashMap<String, String>>) -> Response {
    let get = |k: &str| q.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let Some(client_id) = get("client_id") else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Thiếu client_id.",
            "Missing client_id.",
        );
    };
    let Some(client) = op.client(client_id) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Ứng dụng không được đăng ký.",
            "Unknown client.",
        );
    };
    let Some(redirect_uri) =
        get("redirect_uri").filter(|r| client.redirect_uris.iter().any(|u| u == r))
    else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "redirect_uri không khớp với địa chỉ đã đăng ký.",
            "redirect_uri is not registered for this client.",
        );
    };
    let state = get("state");
    if get("response_type") != Some("code") {
        return redirect_error(
            &op,
            redirect_uri,
            state,
            "unsupported_response_type",
            "only code",
        );
    }
    if !get("scope").is_some_and(|s| s.split(' ').any(|x| x == "openid")) {
        return redirect_error(
            &op,
            redirect_uri,
            state,
            "invalid_scope",
            "openid scope required",
        );
    }
    let challenge = match (get("code_challenge"), get("code_challenge_method")) {
        (Some(c), Some("S256")) if c.len() == 43 => c,
        _ => {
            return redirect_error(
                &op,
                redirect_uri,
                state,
                "invalid_request",
                "PKCE S256 required",
            )
        }
    };
    if get("prompt").is_some_and(|p| p.split(' ').any(|x| x == "none")) {
        return redirect_error(
            &op,
            redirect_uri,
            state,
            "login_required",
            "no session at the dev OP",
        );
    }
    let now = op.clock.now();
    let request_id = random_token();
    {
        let Ok(mut st) = op.stores.lock() else {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        };
        st.prune(now);
        if st.requests.len() >= MAX_ENTRIES {
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
        st.requests.insert(
            request_id.clone(),
            AuthRequest {
                client_id: client_id.to_owned(),
                redirect_uri: redirect_uri.to_owned(),
                state: state.map(str::to_owned),
                nonce: get("nonce").map(str::to_owned),
                code_challenge: challenge.to_owned(),
                expires_at: now + REQUEST_TTL,
            },
        );
    }
    html_response(
        StatusCode::OK,
        render_choice(&op, &request_id, client_id, None),
    )
}

#[derive(serde::Deserialize)]
struct ChoiceForm {
    request: String,
    subject: Option<String>,
    action: Option<String>,
}

async fn authorize_submit(State(op): St, Form(f): Form<ChoiceForm>) -> Response {
    let now = op.clock.now();
    let Ok(mut st) = op.stores.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    st.prune(now);
    let Some(req) = st.requests.remove(&f.request) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Yêu cầu đăng nhập đã hết hạn hoặc đã được dùng. Hãy quay lại ứng dụng và thử lại.",
            "This login request has expired or was already used. Go back to the application and try again.",
        );
    };
    if f.action.as_deref() == Some("cancel") {
        drop(st);
        return redirect_error(
            &op,
            &req.redirect_uri,
            req.state.as_deref(),
            "access_denied",
            "cancelled by the user",
        );
    }
    let Some(identity) = f
        .subject
        .as_deref()
        .and_then(|s| op.config.identities.iter().position(|i| i.subject == s))
    else {
        // Keep the request for a second try.
        let client_id = req.client_id.clone();
        st.requests.insert(f.request.clone(), req);
        drop(st);
        return html_response(
            StatusCode::BAD_REQUEST,
            render_choice(
                &op,
                &f.request,
                &client_id,
                Some("Hãy chọn một danh tính. / Choose an identity."),
            ),
        );
    };
    if st.codes.len() >= MAX_ENTRIES {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let code = random_token();
    st.codes.insert(
        code.clone(),
        CodeGrant {
            client_id: req.client_id,
            redirect_uri: req.redirect_uri.clone(),
            nonce: req.nonce,
            code_challenge: req.code_challenge,
            identity,
            expires_at: now + op.config.code_ttl,
            spent_token: None,
            used: false,
        },
    );
    drop(st);
    let Ok(mut url) = url::Url::parse(&req.redirect_uri) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("code", &code);
        if let Some(s) = &req.state {
            q.append_pair("state", s);
        }
        q.append_pair("iss", &op.config.issuer);
    }
    Redirect::to(url.as_str()).into_response()
}

// -------------------------------------------------------------------- /token

fn oauth_error(status: StatusCode, error: &str, desc: &str) -> Response {
    let mut resp = (
        status,
        Json(json!({"error": error, "error_description": desc})),
    )
        .into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"dev-eid\""),
        );
    }
    resp
}

/// Decodes `application/x-www-form-urlencoded` text (`+` and `%XX`).
fn form_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// The client's id and secret from HTTP Basic or the form body.
fn client_credentials(
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Option<(String, String)> {
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let b64 = auth.strip_prefix("Basic ")?;
        let raw = String::from_utf8(STANDARD.decode(b64.trim()).ok()?).ok()?;
        let (id, secret) = raw.split_once(':')?;
        return Some((form_decode(id)?, form_decode(secret)?));
    }
    Some((
        form.get("client_id")?.clone(),
        form.get("client_secret")?.clone(),
    ))
}

fn ct_eq(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

async fn token(
    State(op): St,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let Some((client_id, secret)) = client_credentials(&headers, &form) else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication required",
        );
    };
    let authenticated = op
        .client(&client_id)
        .is_some_and(|c| ct_eq(&secret, &c.client_secret));
    if !authenticated {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
        );
    }
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "authorization_code only",
        );
    }
    let (Some(code), Some(redirect_uri)) = (form.get("code"), form.get("redirect_uri")) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "code and redirect_uri required",
        );
    };
    let verifier = form.get("code_verifier").map(String::as_str).unwrap_or("");
    let now = op.clock.now();
    let Ok(mut st) = op.stores.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    st.prune(now);
    let Some(grant) = st.codes.get_mut(code) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "unknown or expired code",
        );
    };
    if grant.used {
        // RFC 6749 §4.1.2: a reused code revokes what it gave.
        let revoke = grant.spent_token.take();
        if let Some(t) = revoke {
            st.tokens.remove(&t);
        }
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "code already used",
        );
    }
    if grant.client_id != client_id {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "code issued to another client",
        );
    }
    if grant.redirect_uri != *redirect_uri {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "redirect_uri mismatch",
        );
    }
    let verifier_ok = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
        && ct_eq(&pkce_challenge(verifier), &grant.code_challenge);
    if !verifier_ok {
        // A failed verifier also spends the code (no guessing).
        grant.used = true;
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "PKCE verification failed",
        );
    }
    grant.used = true;
    let access_token = random_token();
    grant.spent_token = Some(access_token.clone());
    let identity = grant.identity;
    let nonce = grant.nonce.clone();
    if st.tokens.len() >= MAX_ENTRIES {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    st.tokens.insert(
        access_token.clone(),
        AccessToken {
            identity,
            expires_at: now + op.config.token_ttl,
        },
    );
    drop(st);
    let Some(who) = op.config.identities.get(identity) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let digest = Sha256::digest(access_token.as_bytes());
    let secs = now.div_euclid(SECOND);
    let mut claims = json!({
        "iss": op.config.issuer,
        "sub": who.subject,
        "aud": client_id,
        "iat": secs,
        "auth_time": secs,
        "exp": secs + op.config.token_ttl / SECOND,
        "acr": who.acr,
        "at_hash": URL_SAFE_NO_PAD.encode(&digest[..16]),
        CLAIM_NAME: who.name,
    });
    if let (Some(n), Some(obj)) = (nonce, claims.as_object_mut()) {
        obj.insert("nonce".into(), json!(n));
    }
    let Some(id_token) = op.sign_jwt(&claims) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let mut resp = Json(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": op.config.token_ttl / SECOND,
        "id_token": id_token,
        "scope": "openid profile",
    }))
    .into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

// ----------------------------------------------------------------- /userinfo

async fn userinfo(State(op): St, headers: HeaderMap) -> Response {
    let unauthorized = || {
        let mut r = (StatusCode::UNAUTHORIZED, "").into_response();
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
        r
    };
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return unauthorized();
    };
    let now = op.clock.now();
    let identity = {
        let Ok(st) = op.stores.lock() else {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        };
        match st.tokens.get(token.trim()) {
            Some(t) if t.expires_at > now => t.identity,
            _ => return unauthorized(),
        }
    };
    let Some(who) = op.config.identities.get(identity) else {
        return unauthorized();
    };
    let mut resp = Json(Value::Object(who.userinfo())).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding() {
        assert_eq!(form_decode("a+b%3Ac").as_deref(), Some("a b:c"));
        assert_eq!(form_decode("%E1%BA%A5").as_deref(), Some("ấ"));
        assert_eq!(form_decode("%"), None);
        assert_eq!(form_decode("%zz"), None);
    }

    #[test]
    fn escapes_html() {
        assert_eq!(
            html_escape("<a href=\"x\">'&"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;"
        );
    }
}
