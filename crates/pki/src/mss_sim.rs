//! A simulated mobile signature service provider (MSSP) and the user's
//! phone, for tests and `motcua demo` **only** (feature `testca`): Motcua
//! cannot reach a real MSSP, so this stands in for the outside national
//! service. It speaks the same TS 102 204 SOAP subset as [`crate::mss`]
//! (see `docs/SIM-SIGNATURE.md`) and signs with keys from [`crate::testca`].
//!
//! Routes of [`Simulator::router`] (mount it on its own port):
//! - `POST /soap`: `MSS_SignatureReq` / `MSS_StatusReq`;
//! - `GET /phone/{msisdn}`: the "phone", a Vietnamese-first page showing the
//!   pending request (the text to display and the portal's origin from the
//!   challenge) with a PIN field `#pin` and buttons `#approve`, `#cancel`;
//!   "no pending request" otherwise, refreshing itself (a small script, or
//!   a `<meta refresh>` without scripts) until one arrives;
//! - `POST /phone/{msisdn}`: the answer (form fields `txn`, `pin`,
//!   `action=approve|cancel`);
//! - `GET /phone`: the subscribers (demo convenience).
//!
//! Behaviour: right PIN → signature by the subscriber's key (also when the
//! certificate has expired: the portal's verifier must refuse it); wrong
//! PIN → asked again, the third wrong PIN in a row blocks the PIN (402);
//! cancel → 401; no answer before the request's TTL → 208; unknown number
//! → 105; subscriber without certificate → 422; wrong AP credentials → 104.
//! A new request for a number replaces (expires) the one still pending.
//! The clock is the system's unless set ([`Simulator::set_now`]).
use crate::challenge::{Challenge, Purpose};
use crate::mss::{
    normalize_msisdn, ApInfo, Fault, Message, MessagingMode, MssConfig, MssError, MsspInfo,
    SignatureReq, SignatureResp, Status, StatusCode, StatusReq, StatusResp, MAX_DATA_TO_BE_SIGNED,
    MAX_MESSAGE, RAW_SIGNATURE_FORMAT,
};
use crate::testca::Issued;
use crate::Millis;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderValue, StatusCode as Http};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use rand::Rng;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// The simulator's `MSSP_ID`.
pub const MSSP_ID: &str = "urn:motcua:mssp-simulator";
/// AP credentials the simulator accepts unless told otherwise.
pub const DEMO_AP_ID: &str = "urn:motcua:ap:demo";
pub const DEMO_AP_PASSWORD: &str = "demo-ap-password";
/// Wrong PINs in a row that block the PIN.
pub const MAX_PIN_TRIES: u32 = 3;
/// How long a request waits for the user by default.
pub const DEFAULT_TTL: Millis = 120_000;
/// Finished transactions are forgotten this long after their expiry.
const KEEP_FINISHED: Millis = 3_600_000;
const MAX_TRANSACTIONS: usize = 10_000;

/// The simulated MSSP. Cheap to clone (shared state).
#[derive(Clone)]
pub struct Simulator {
    shared: Arc<Shared>,
}

struct Shared {
    inner: Mutex<Inner>,
    soap_requests: AtomicU64,
    signature_requests: AtomicU64,
}

struct Inner {
    /// `None`: the system clock.
    clock: Option<Millis>,
    ap_id: String,
    ap_password: String,
    ttl: Millis,
    subscribers: BTreeMap<String, Subscriber>,
    txns: HashMap<String, Txn>,
}

struct Subscriber {
    pin: String,
    cert: Option<Issued>,
    wrong: u32,
    blocked: bool,
}

struct Txn {
    ap_id: String,
    ap_trans_id: String,
    msisdn: String,
    dtbs: String,
    display: Option<String>,
    created: Millis,
    expires: Millis,
    state: TxnState,
}

#[derive(Clone)]
enum TxnState {
    Pending,
    Signed { signature: Vec<u8>, cert: Vec<u8> },
    Cancelled,
    PinBlocked,
    Expired,
    Failed(StatusCode),
}

/// A request waiting on a phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneRequest {
    pub mssp_trans_id: String,
    pub data_to_be_signed: String,
    pub data_to_be_displayed: Option<String>,
}

/// What the user does on the phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneAnswer {
    Approve { pin: String },
    Cancel,
}

/// What the phone shows after an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneResult {
    Signed,
    WrongPin {
        tries_left: u32,
    },
    Blocked,
    Cancelled,
    /// No such pending request (answered, replaced or expired).
    NoRequest,
}

fn system_now() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

impl Inner {
    fn now(&self) -> Millis {
        self.clock.unwrap_or_else(system_now)
    }

    fn ap_ok(&self, a: &ApInfo) -> bool {
        a.ap_id == self.ap_id && same_secret(&a.ap_pwd, &self.ap_password)
    }

    /// Expires pending requests past their TTL, forgets old finished ones.
    fn tidy(&mut self, now: Millis) {
        for t in self.txns.values_mut() {
            if matches!(t.state, TxnState::Pending) && now >= t.expires {
                t.state = TxnState::Expired;
            }
        }
        self.txns.retain(|_, t| {
            matches!(t.state, TxnState::Pending) || now < t.expires.saturating_add(KEEP_FINISHED)
        });
    }

    fn pending_for(&self, msisdn: &str, now: Millis) -> Option<(&String, &Txn)> {
        self.txns
            .iter()
            .filter(|(_, t)| {
                t.msisdn == msisdn && matches!(t.state, TxnState::Pending) && now < t.expires
            })
            .max_by_key(|(_, t)| t.created)
    }
}

/// Constant-time equality of two secrets (through their digests).
fn same_secret(a: &str, b: &str) -> bool {
    let (x, y) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    x.iter()
        .zip(y.iter())
        .fold(0u8, |acc, (p, q)| acc | (p ^ q))
        == 0
}

fn fault(code: StatusCode, detail: &str) -> (Http, String) {
    (
        Http::INTERNAL_SERVER_ERROR,
        Message::Fault(Fault::new(code, Some(detail))).to_soap(),
    )
}

impl Default for Simulator {
    fn default() -> Self {
        Self::new()
    }
}

impl Simulator {
    /// No subscribers, the demo AP credentials, the system clock, a
    /// 120-second TTL.
    pub fn new() -> Self {
        Self {
            shared: Arc::new(Shared {
                inner: Mutex::new(Inner {
                    clock: None,
                    ap_id: DEMO_AP_ID.into(),
                    ap_password: DEMO_AP_PASSWORD.into(),
                    ttl: DEFAULT_TTL,
                    subscribers: BTreeMap::new(),
                    txns: HashMap::new(),
                }),
                soap_requests: AtomicU64::new(0),
                signature_requests: AtomicU64::new(0),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.shared
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The AP_ID and AP_PWD the simulator accepts.
    pub fn set_ap_credentials(&self, ap_id: &str, password: &str) {
        let mut g = self.lock();
        g.ap_id = ap_id.into();
        g.ap_password = password.into();
    }

    /// A client configuration for this simulator at `base_url` (its
    /// credentials, the default timeouts: tests shorten them).
    pub fn client_config(&self, base_url: &str) -> MssConfig {
        let g = self.lock();
        MssConfig::new(
            &format!("{}/soap", base_url.trim_end_matches('/')),
            &g.ap_id,
            &g.ap_password,
            MSSP_ID,
        )
    }

    /// A subscriber whose SIM holds `cert`'s key; returns the normalised
    /// number. Replaces an existing subscriber.
    pub fn add_subscriber(
        &self,
        msisdn: &str,
        pin: &str,
        cert: &Issued,
    ) -> Result<String, MssError> {
        self.insert(msisdn, pin, Some(cert.clone()))
    }

    /// A subscriber without a signing certificate (answers 422).
    pub fn add_subscriber_without_certificate(
        &self,
        msisdn: &str,
        pin: &str,
    ) -> Result<String, MssError> {
        self.insert(msisdn, pin, None)
    }

    fn insert(&self, msisdn: &str, pin: &str, cert: Option<Issued>) -> Result<String, MssError> {
        let m = normalize_msisdn(msisdn)?;
        self.lock().subscribers.insert(
            m.clone(),
            Subscriber {
                pin: pin.into(),
                cert,
                wrong: 0,
                blocked: false,
            },
        );
        Ok(m)
    }

    /// The normalised numbers of the subscribers.
    pub fn subscribers(&self) -> Vec<String> {
        self.lock().subscribers.keys().cloned().collect()
    }

    /// Freezes the clock at `now` (tests); [`Simulator::advance`] moves it.
    pub fn set_now(&self, now: Millis) {
        self.lock().clock = Some(now);
    }

    pub fn advance(&self, by: Millis) {
        let mut g = self.lock();
        let now = g.now();
        g.clock = Some(now.saturating_add(by));
    }

    pub fn use_system_clock(&self) {
        self.lock().clock = None;
    }

    pub fn now(&self) -> Millis {
        self.lock().now()
    }

    /// How long a request waits for the user (capped by the request's
    /// `TimeOut`).
    pub fn set_request_ttl(&self, ttl: Millis) {
        self.lock().ttl = ttl.max(1);
    }

    pub fn is_blocked(&self, msisdn: &str) -> bool {
        let Ok(m) = normalize_msisdn(msisdn) else {
            return false;
        };
        self.lock().subscribers.get(&m).is_some_and(|s| s.blocked)
    }

    /// Unblocks the PIN (the operator's PUK, in real life).
    pub fn unblock(&self, msisdn: &str) {
        if let Ok(m) = normalize_msisdn(msisdn) {
            if let Some(s) = self.lock().subscribers.get_mut(&m) {
                s.blocked = false;
                s.wrong = 0;
            }
        }
    }

    /// SOAP messages received so far.
    pub fn soap_requests(&self) -> u64 {
        self.shared.soap_requests.load(Ordering::SeqCst)
    }

    /// MSS_SignatureReq messages received so far (each one a request the
    /// user answers on the phone).
    pub fn signature_requests(&self) -> u64 {
        self.shared.signature_requests.load(Ordering::SeqCst)
    }

    /// The request waiting on this phone, if any.
    pub fn pending(&self, msisdn: &str) -> Option<PhoneRequest> {
        let m = normalize_msisdn(msisdn).ok()?;
        let g = self.lock();
        let now = g.now();
        g.pending_for(&m, now).map(|(id, t)| PhoneRequest {
            mssp_trans_id: id.clone(),
            data_to_be_signed: t.dtbs.clone(),
            data_to_be_displayed: t.display.clone(),
        })
    }

    /// The user answers request `mssp_trans_id` on phone `msisdn`.
    pub fn answer(&self, msisdn: &str, mssp_trans_id: &str, answer: PhoneAnswer) -> PhoneResult {
        let Ok(m) = normalize_msisdn(msisdn) else {
            return PhoneResult::NoRequest;
        };
        let mut g = self.lock();
        let now = g.now();
        g.tidy(now);
        let Inner {
            txns, subscribers, ..
        } = &mut *g;
        let Some(txn) = txns
            .get_mut(mssp_trans_id)
            .filter(|t| t.msisdn == m && matches!(t.state, TxnState::Pending))
        else {
            return PhoneResult::NoRequest;
        };
        let Some(sub) = subscribers.get_mut(&m) else {
            txn.state = TxnState::Failed(StatusCode::UnknownClient);
            return PhoneResult::NoRequest;
        };
        let pin = match answer {
            PhoneAnswer::Cancel => {
                txn.state = TxnState::Cancelled;
                return PhoneResult::Cancelled;
            }
            PhoneAnswer::Approve { pin } => pin,
        };
        if sub.blocked {
            txn.state = TxnState::PinBlocked;
            return PhoneResult::Blocked;
        }
        if !same_secret(&pin, &sub.pin) {
            sub.wrong += 1;
            if sub.wrong >= MAX_PIN_TRIES {
                sub.blocked = true;
                txn.state = TxnState::PinBlocked;
                return PhoneResult::Blocked;
            }
            return PhoneResult::WrongPin {
                tries_left: MAX_PIN_TRIES - sub.wrong,
            };
        }
        sub.wrong = 0;
        txn.state = match &sub.cert {
            None => TxnState::Failed(StatusCode::NoCertFound),
            Some(c) => {
                // The SIM signs whatever certificate it holds, expired or
                // not: validity is the portal's business.
                let signature = c.sign(txn.dtbs.as_bytes());
                if signature.is_empty() {
                    TxnState::Failed(StatusCode::PbSignatureProcess)
                } else {
                    TxnState::Signed {
                        signature,
                        cert: c.der().to_vec(),
                    }
                }
            }
        };
        match txn.state {
            TxnState::Signed { .. } => PhoneResult::Signed,
            _ => PhoneResult::NoRequest,
        }
    }

    /// Answers one SOAP message: (HTTP status, envelope).
    pub fn handle_soap(&self, body: &[u8]) -> (Http, String) {
        self.shared.soap_requests.fetch_add(1, Ordering::SeqCst);
        match Message::parse(body) {
            Ok(Message::SignatureReq(r)) => {
                self.shared
                    .signature_requests
                    .fetch_add(1, Ordering::SeqCst);
                self.signature_req(r)
            }
            Ok(Message::StatusReq(r)) => self.status_req(r),
            Ok(_) => fault(
                StatusCode::WrongParam,
                "expected MSS_SignatureReq or MSS_StatusReq",
            ),
            Err(e) => fault(StatusCode::WrongParam, &e.to_string()),
        }
    }

    fn signature_req(&self, r: SignatureReq) -> (Http, String) {
        let mut g = self.lock();
        let now = g.now();
        g.tidy(now);
        if !g.ap_ok(&r.ap_info) {
            return fault(
                StatusCode::UnauthorizedAccess,
                "unknown AP or wrong password",
            );
        }
        if r.messaging_mode != MessagingMode::AsynchClientServer {
            return fault(
                StatusCode::WrongParam,
                "only asynchClientServer is supported",
            );
        }
        let dtbs = &r.data_to_be_signed;
        if !dtbs.is_plain_utf8()
            || r.data_to_be_displayed
                .as_ref()
                .is_some_and(|d| !d.is_plain_utf8())
        {
            return fault(StatusCode::InappropriateData, "text/plain UTF-8 only");
        }
        if dtbs.text.is_empty() {
            return fault(StatusCode::MissingParam, "DataToBeSigned is empty");
        }
        if dtbs.text.len() > MAX_DATA_TO_BE_SIGNED {
            return fault(StatusCode::WrongDataLength, "DataToBeSigned too long");
        }
        if r.mss_format
            .as_deref()
            .is_some_and(|f| f != RAW_SIGNATURE_FORMAT)
        {
            return fault(
                StatusCode::InappropriateData,
                "only the raw signature format",
            );
        }
        let Ok(msisdn) = normalize_msisdn(&r.msisdn) else {
            return fault(StatusCode::WrongParam, "MSISDN");
        };
        match g.subscribers.get(&msisdn) {
            None => return fault(StatusCode::UnknownClient, "no such subscriber"),
            Some(s) if s.blocked => return fault(StatusCode::PinNrBlocked, "PIN blocked"),
            Some(s) if s.cert.is_none() => return fault(StatusCode::NoCertFound, "no certificate"),
            Some(_) => {}
        }
        if g.txns
            .values()
            .any(|t| t.ap_id == r.ap_info.ap_id && t.ap_trans_id == r.ap_info.ap_trans_id)
        {
            return fault(StatusCode::WrongParam, "AP_TransID already used");
        }
        if g.txns.len() >= MAX_TRANSACTIONS {
            return fault(StatusCode::InternalError, "too many transactions");
        }
        for t in g.txns.values_mut() {
            if t.msisdn == msisdn && matches!(t.state, TxnState::Pending) {
                t.state = TxnState::Expired;
            }
        }
        let ttl = match r.timeout_secs {
            Some(s) => g.ttl.min(Millis::from(s).saturating_mul(1000)),
            None => g.ttl,
        };
        let mut id = [0u8; 12];
        rand::rng().fill_bytes(&mut id);
        let id = format!("SIM{}", hex::encode(id));
        g.txns.insert(
            id.clone(),
            Txn {
                ap_id: r.ap_info.ap_id.clone(),
                ap_trans_id: r.ap_info.ap_trans_id.clone(),
                msisdn,
                dtbs: dtbs.text.clone(),
                display: r.data_to_be_displayed.as_ref().map(|d| d.text.clone()),
                created: now,
                expires: now.saturating_add(ttl),
                state: TxnState::Pending,
            },
        );
        let resp = SignatureResp {
            ap_info: ApInfo {
                ap_pwd: String::new(),
                ..r.ap_info
            },
            mssp_info: MsspInfo {
                mssp_id: MSSP_ID.into(),
                instant: Some(now),
            },
            mssp_trans_id: id,
            msisdn: r.msisdn,
            signature: None,
            signature_profile: r.signature_profile,
            status: Status::new(StatusCode::RequestOk),
        };
        (Http::OK, Message::SignatureResp(resp).to_soap())
    }

    fn status_req(&self, r: StatusReq) -> (Http, String) {
        let mut g = self.lock();
        let now = g.now();
        g.tidy(now);
        if !g.ap_ok(&r.ap_info) {
            return fault(
                StatusCode::UnauthorizedAccess,
                "unknown AP or wrong password",
            );
        }
        let Some(t) = g
            .txns
            .get(&r.mssp_trans_id)
            .filter(|t| t.ap_id == r.ap_info.ap_id)
        else {
            return fault(StatusCode::WrongParam, "unknown MSSP_TransID");
        };
        let (status, signature) = match t.state.clone() {
            TxnState::Pending => (Status::new(StatusCode::OutstandingTransaction), None),
            TxnState::Signed { signature, cert } => {
                let mut s = Status::new(StatusCode::Signature);
                s.certificates = vec![cert];
                (s, Some(signature))
            }
            TxnState::Cancelled => return fault(StatusCode::UserCancel, "the user cancelled"),
            TxnState::PinBlocked => return fault(StatusCode::PinNrBlocked, "PIN blocked"),
            TxnState::Expired => return fault(StatusCode::ExpiredTransaction, "no answer in time"),
            TxnState::Failed(c) => return fault(c, c.description()),
        };
        let resp = StatusResp {
            ap_info: ApInfo {
                ap_pwd: String::new(),
                ..r.ap_info
            },
            mssp_info: MsspInfo {
                mssp_id: MSSP_ID.into(),
                instant: Some(now),
            },
            msisdn: t.msisdn.clone(),
            signature,
            status,
        };
        (Http::OK, Message::StatusResp(resp).to_soap())
    }

    /// The SOAP endpoint and the phone pages.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/soap", post(soap))
            .route("/phone", get(phone_index))
            .route("/phone/{msisdn}", get(phone_get).post(phone_post))
            .route("/phone/{msisdn}/pending", get(phone_pending))
            .route("/phone-sim.js", get(script))
            .route("/phone-sim.css", get(style))
            .layer(DefaultBodyLimit::max(MAX_MESSAGE))
            .layer(axum::middleware::map_response(security_headers))
            .with_state(self.clone())
    }

    /// Serves [`Simulator::router`] on 127.0.0.1 (a free port).
    pub async fn start(&self) -> Result<SimServer, MssError> {
        self.start_on("127.0.0.1:0").await
    }

    /// Serves [`Simulator::router`] on `addr` (e.g. `127.0.0.1:8090`).
    pub async fn start_on(&self, addr: &str) -> Result<SimServer, MssError> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| MssError::Transport(format!("simulator bind: {e}")))?;
        let local = listener
            .local_addr()
            .map_err(|e| MssError::Transport(format!("simulator addr: {e}")))?;
        let app = self.router();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(SimServer {
            base_url: format!("http://{local}"),
            task,
        })
    }
}

/// A running simulator; stops when dropped.
pub struct SimServer {
    pub base_url: String,
    task: tokio::task::JoinHandle<()>,
}

impl SimServer {
    pub fn soap_url(&self) -> String {
        format!("{}/soap", self.base_url)
    }
    pub fn phone_url(&self, msisdn: &str) -> String {
        format!("{}/phone/{msisdn}", self.base_url)
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

// ---------------------------------------------------------------------------
// HTTP handlers
// ---------------------------------------------------------------------------

async fn soap(State(sim): State<Simulator>, body: axum::body::Bytes) -> Response {
    let (status, xml) = sim.handle_soap(&body);
    (
        status,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        xml,
    )
        .into_response()
}

async fn security_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k: header::HeaderName, v: &'static str| {
        h.insert(k, HeaderValue::from_static(v));
    };
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
         img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(h, header::CACHE_CONTROL, "no-store");
    res
}

fn h(s: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(s)
}

fn html(status: Http, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// The page frame. `waiting`: no request shown, refresh without scripts.
fn page(title: &str, msisdn: &str, txn: &str, waiting: bool, main: &str) -> String {
    let refresh = if waiting {
        "<noscript><meta http-equiv=\"refresh\" content=\"5\"></noscript>\n"
    } else {
        ""
    };
    format!(
        r#"<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title} — Điện thoại mô phỏng</title>
<link rel="stylesheet" href="../phone-sim.css">
<script src="../phone-sim.js" defer></script>
{refresh}</head>
<body>
<header><p class="banner">Trình mô phỏng SIM ký số — chỉ dùng để thử nghiệm. <span lang="en">SIM signature simulator — test and demo only.</span></p></header>
<main data-msisdn="{msisdn}" data-txn="{txn}">
{main}
</main>
</body>
</html>
"#,
        title = h(title),
        msisdn = h(msisdn),
        txn = h(txn),
    )
}

fn purpose_label(p: Purpose) -> &'static str {
    match p {
        Purpose::Register => "Đăng ký tài khoản <span lang=\"en\">(registration)</span>",
        Purpose::Login => "Đăng nhập <span lang=\"en\">(log in)</span>",
        Purpose::StepUp => "Xác thực bổ sung <span lang=\"en\">(step-up)</span>",
        Purpose::Sign => "Ký số hồ sơ <span lang=\"en\">(sign a dossier)</span>",
    }
}

fn request_page(msisdn: &str, req: &PhoneRequest, wrong: Option<u32>) -> String {
    let (origin, purpose) = match Challenge::parse(&req.data_to_be_signed) {
        Ok(c) => (
            h(&c.origin).into_owned(),
            purpose_label(c.purpose).to_string(),
        ),
        Err(_) => (
            "không rõ <span lang=\"en\">(unknown)</span>".to_string(),
            "không rõ <span lang=\"en\">(unknown)</span>".to_string(),
        ),
    };
    let display = req
        .data_to_be_displayed
        .as_deref()
        .map(|d| h(d).into_owned())
        .unwrap_or_else(|| "(không có nội dung)".into());
    let (error, attrs) = match wrong {
        Some(n) => (
            format!(
                "<p id=\"pin-error\" class=\"error\" role=\"alert\">Mã PIN không đúng. Còn {n} lần thử. <span lang=\"en\">Wrong PIN, {n} tries left.</span></p>\n"
            ),
            "aria-describedby=\"pin-help pin-error\" aria-invalid=\"true\"",
        ),
        None => (String::new(), "aria-describedby=\"pin-help\""),
    };
    let main = format!(
        r#"<h1>Yêu cầu ký số <span lang="en">Signature request</span></h1>
<p>Thuê bao <strong>{msisdn}</strong></p>
<dl>
<dt>Nội dung <span lang="en">Message</span></dt><dd id="display">{display}</dd>
<dt>Trang yêu cầu <span lang="en">Requested by</span></dt><dd id="origin">{origin}</dd>
<dt>Mục đích <span lang="en">Purpose</span></dt><dd id="purpose">{purpose}</dd>
</dl>
{error}<form method="post">
<input type="hidden" name="txn" value="{txn}">
<label for="pin">Mã PIN ký số <span lang="en">Signing PIN</span></label>
<input id="pin" name="pin" type="password" inputmode="numeric" autocomplete="off" required {attrs}>
<p id="pin-help" class="help">Chỉ nhập mã PIN nếu chính bạn vừa yêu cầu trên trang {origin}. Nhập sai {max} lần liên tiếp, mã PIN sẽ bị khóa. <span lang="en">Enter your PIN only if you just asked for this on {origin}. {max} wrong PINs in a row block it.</span></p>
<div class="actions">
<button id="approve" type="submit" name="action" value="approve">Ký <span lang="en">Sign</span></button>
<button id="cancel" type="submit" name="action" value="cancel" formnovalidate>Từ chối <span lang="en">Cancel</span></button>
</div>
</form>
<details><summary>Dữ liệu sẽ được ký <span lang="en">Data to be signed</span></summary><pre id="dtbs">{dtbs}</pre></details>"#,
        msisdn = h(msisdn),
        txn = h(&req.mssp_trans_id),
        dtbs = h(&req.data_to_be_signed),
        max = MAX_PIN_TRIES,
    );
    page("Yêu cầu ký số", msisdn, &req.mssp_trans_id, false, &main)
}

fn waiting_page(msisdn: &str, known: bool) -> String {
    let note = if known {
        ""
    } else {
        "<p class=\"error\">Số này chưa được đăng ký trong trình mô phỏng. <span lang=\"en\">This number is not a simulator subscriber.</span></p>\n"
    };
    let main = format!(
        r#"<h1>Không có yêu cầu nào đang chờ <span lang="en">No pending request</span></h1>
{note}<p role="status">Thuê bao <strong>{m}</strong>. Trang này tự cập nhật khi có yêu cầu mới. <span lang="en">This page updates itself when a request arrives.</span></p>"#,
        m = h(msisdn)
    );
    page("Không có yêu cầu", msisdn, "", true, &main)
}

fn result_page(msisdn: &str, result: &str, title: &str, text: &str) -> String {
    let main = format!(
        "<h1 id=\"result\" data-result=\"{result}\">{title}</h1>\n<p role=\"status\">{text}</p>\n<p><a href=\"\">Quay lại điện thoại <span lang=\"en\">Back to the phone</span></a></p>"
    );
    page(result, msisdn, "", false, &main)
}

async fn phone_index(State(sim): State<Simulator>) -> Response {
    let items: String = sim
        .subscribers()
        .iter()
        .map(|m| format!("<li><a href=\"phone/{m}\">{m}</a></li>\n", m = h(m)))
        .collect();
    let main = format!(
        "<h1>Thuê bao mô phỏng <span lang=\"en\">Simulated subscribers</span></h1>\n<ul>\n{items}</ul>"
    );
    html(Http::OK, page("Thuê bao", "", "", false, &main))
}

async fn phone_get(State(sim): State<Simulator>, Path(msisdn): Path<String>) -> Response {
    let Ok(m) = normalize_msisdn(&msisdn) else {
        return html(
            Http::NOT_FOUND,
            result_page(
                "",
                "invalid",
                "Số thuê bao không hợp lệ <span lang=\"en\">Invalid number</span>",
                "",
            ),
        );
    };
    match sim.pending(&m) {
        Some(req) => html(Http::OK, request_page(&m, &req, None)),
        None => {
            let known = sim.subscribers().contains(&m);
            html(Http::OK, waiting_page(&m, known))
        }
    }
}

async fn phone_pending(State(sim): State<Simulator>, Path(msisdn): Path<String>) -> Response {
    let id = sim
        .pending(&msisdn)
        .map(|r| r.mssp_trans_id)
        .unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], id).into_response()
}

#[derive(serde::Deserialize)]
struct PhoneForm {
    txn: String,
    #[serde(default)]
    pin: String,
    action: String,
}

async fn phone_post(
    State(sim): State<Simulator>,
    Path(msisdn): Path<String>,
    Form(f): Form<PhoneForm>,
) -> Response {
    let Ok(m) = normalize_msisdn(&msisdn) else {
        return html(
            Http::NOT_FOUND,
            result_page(
                "",
                "invalid",
                "Số thuê bao không hợp lệ <span lang=\"en\">Invalid number</span>",
                "",
            ),
        );
    };
    let answer = match f.action.as_str() {
        "approve" => PhoneAnswer::Approve { pin: f.pin },
        "cancel" => PhoneAnswer::Cancel,
        _ => {
            return html(
                Http::BAD_REQUEST,
                result_page(
                    &m,
                    "invalid",
                    "Yêu cầu không hợp lệ <span lang=\"en\">Bad request</span>",
                    "",
                ),
            )
        }
    };
    // Read the request before answering: a wrong PIN shows it again.
    let req = sim.pending(&m).filter(|r| r.mssp_trans_id == f.txn);
    match (sim.answer(&m, &f.txn, answer), req) {
        (PhoneResult::Signed, _) => html(
            Http::OK,
            result_page(&m, "signed", "Đã ký <span lang=\"en\">Signed</span>", "Chữ ký đã được gửi. Hãy quay lại trang Cổng Dịch vụ công. <span lang=\"en\">The signature was sent; go back to the portal.</span>"),
        ),
        (PhoneResult::WrongPin { tries_left }, Some(req)) => {
            html(Http::OK, request_page(&m, &req, Some(tries_left)))
        }
        (PhoneResult::Blocked, _) => html(
            Http::OK,
            result_page(&m, "blocked", "Mã PIN đã bị khóa <span lang=\"en\">PIN blocked</span>", "Mã PIN bị khóa sau nhiều lần nhập sai. Liên hệ nhà mạng để mở khóa. <span lang=\"en\">Too many wrong PINs; ask your operator to unblock it.</span>"),
        ),
        (PhoneResult::Cancelled, _) => html(
            Http::OK,
            result_page(&m, "cancelled", "Đã từ chối <span lang=\"en\">Cancelled</span>", "Yêu cầu ký đã bị từ chối. <span lang=\"en\">The request was cancelled.</span>"),
        ),
        _ => html(
            Http::CONFLICT,
            result_page(&m, "none", "Yêu cầu không còn hiệu lực <span lang=\"en\">Request no longer valid</span>", "Yêu cầu đã hết hạn, đã được trả lời hoặc đã bị thay thế. <span lang=\"en\">It expired, was answered or was replaced.</span>"),
        ),
    }
}

const SCRIPT: &str = r#"// Reloads the simulated phone when a request arrives or goes away.
(function () {
  var main = document.querySelector('main[data-msisdn]');
  if (!main || !main.getAttribute('data-msisdn')) { return; }
  var current = main.getAttribute('data-txn') || '';
  var here = window.location.pathname;
  function tick() {
    fetch(here.replace(/\/$/, '') + '/pending', { cache: 'no-store' })
      .then(function (r) { return r.ok ? r.text() : current; })
      .then(function (t) {
        if (t !== current) { window.location.href = here; } else { setTimeout(tick, 1000); }
      })
      .catch(function () { setTimeout(tick, 3000); });
  }
  setTimeout(tick, 1000);
})();
"#;

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:26rem;margin:1rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a;background:#fff}\
.banner{background:#fff4ce;border:1px solid #8a6d00;padding:.5rem;font-size:.9rem}\
[lang=en]{color:#444;font-size:.9em}\
dt{font-weight:600}dd{margin:0 0 .5rem 0}\
label{display:block;font-weight:600;margin-top:1rem}\
input{font-size:1.4rem;padding:.4rem;width:100%;box-sizing:border-box;border:2px solid #333}\
.actions{display:flex;gap:1rem;margin-top:1rem}\
button{font-size:1.1rem;padding:.6rem 1.2rem;border:2px solid #333;border-radius:4px;cursor:pointer}\
#approve{background:#0b5394;color:#fff;border-color:#0b5394}\
#cancel{background:#fff;color:#1a1a1a}\
:focus-visible{outline:3px solid #b35c00;outline-offset:2px}\
.error{color:#a00000;font-weight:600}\
pre{white-space:pre-wrap;word-break:break-all;background:#f3f3f3;padding:.5rem}";

async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        SCRIPT,
    )
        .into_response()
}

async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response()
}
