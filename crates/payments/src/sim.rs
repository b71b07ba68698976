//! A simulator of the national payment platform, for tests and
//! `motcua demo` **only** (feature `sim`): Motcua cannot reach the real
//! platform, so this stands in for it. It speaks the protocol of
//! [`crate::protocol`] over HTTP, in memory.
//!
//! Routes of [`Simulator::router`]:
//! - `POST /api/v1/init`, `/api/v1/status`, `/api/v1/transactions`,
//!   `/api/v1/receipt`: the platform's API;
//! - `GET /pay/{token}`: the "bank", a Vietnamese page where the payer (a
//!   tester) chooses what happens: success, failure, cancel, pending
//!   (the platform does not know yet), late callback, no callback,
//!   duplicate callbacks, wrong amount, bad signature; `POST /pay/{token}`
//!   with `choice=…` does it and sends the browser back to the portal's
//!   return URL;
//! - `GET /admin`: the transactions; `POST /admin/settle` with
//!   `reference`, `result=success|failure`, `callback=yes|no` settles a
//!   pending one (the bank answers late).
//!
//! Callbacks are POSTed as JSON to the INIT's `notify_url`; one not
//! answered `{"code":"00"}` is tried again up to three times, a
//! [`Simulator::set_retry_delay`] apart. The clock is the system's unless
//! set ([`Simulator::set_now`]).
use crate::protocol::{
    self, codes, Confirm, DayItem, DayList, DayQuery, Init, InitAnswer, Receipt, ReceiptQuery,
    Refusal, Signed, StatusQuery,
};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use motcua_domain::Millis;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The partner the simulator knows unless told otherwise.
pub const DEMO_PARTNER: &str = "MOTCUA";
pub const DEMO_SECRET: &str = "demo-paygov-secret";

/// What the "bank" does with a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Success,
    Failure,
    /// The payer gives up at the bank (result 03).
    Cancel,
    /// The platform does not know yet: status answers 01, no callback,
    /// until [`Simulator::settle`].
    Pending,
    /// Paid; the callback comes after [`Simulator::set_late_delay`].
    Late,
    /// Paid; no callback ever.
    NoCallback,
    /// Paid; three callbacks at once.
    Duplicate,
    /// Paid 1,000 đ less than asked (callback, status and day list say so).
    WrongAmount,
    /// Paid; the callback's signature is wrong (status is right).
    BadSignature,
}

impl Choice {
    pub const ALL: [Choice; 9] = [
        Choice::Success,
        Choice::Failure,
        Choice::Cancel,
        Choice::Pending,
        Choice::Late,
        Choice::NoCallback,
        Choice::Duplicate,
        Choice::WrongAmount,
        Choice::BadSignature,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Choice::Success => "success",
            Choice::Failure => "failure",
            Choice::Cancel => "cancel",
            Choice::Pending => "pending",
            Choice::Late => "late",
            Choice::NoCallback => "no_callback",
            Choice::Duplicate => "duplicate",
            Choice::WrongAmount => "wrong_amount",
            Choice::BadSignature => "bad_signature",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Choice::Success => "Thanh toán thành công",
            Choice::Failure => "Thanh toán thất bại",
            Choice::Cancel => "Người nộp hủy giao dịch",
            Choice::Pending => "Chưa rõ kết quả (ngân hàng chưa trả lời)",
            Choice::Late => "Thành công, thông báo kết quả đến muộn",
            Choice::NoCallback => "Thành công, không gửi thông báo kết quả",
            Choice::Duplicate => "Thành công, gửi thông báo kết quả ba lần",
            Choice::WrongAmount => "Thành công nhưng số tiền sai (ít hơn 1.000 đ)",
            Choice::BadSignature => "Thành công, thông báo kết quả sai chữ ký",
        }
    }

    pub fn parse(s: &str) -> Option<Choice> {
        Choice::ALL.into_iter().find(|c| c.key() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TxnState {
    /// INIT done, the payer has not chosen.
    Created,
    Pending,
    Success,
    Failed,
    Cancelled,
}

#[derive(Debug, Clone)]
struct Txn {
    init: Init,
    receipt: Receipt,
    txn_id: String,
    token: String,
    state: TxnState,
    paid_amount: i64,
    paid_at: Option<Millis>,
    bank_code: String,
}

struct Inner {
    clock: Option<Millis>,
    partner_code: String,
    secret: String,
    /// Where the simulator is reached (pay URLs are made from it).
    base_url: String,
    txns: BTreeMap<String, Txn>,
    seq: u64,
    hold_init: bool,
    late_delay: Duration,
    retry_delay: Duration,
    /// References the day list leaves out (to make "paid here, not
    /// there").
    hidden: std::collections::BTreeSet<String>,
}

/// The simulated platform. Cheap to clone (shared state).
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Mutex<Inner>>,
    callbacks: Arc<AtomicU64>,
    inits: Arc<AtomicU64>,
    http: reqwest::Client,
}

fn system_now() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

impl Simulator {
    /// A simulator reached at `base_url` (where its router is mounted or
    /// served), knowing the demo partner.
    pub fn new(base_url: &str) -> Simulator {
        Simulator {
            inner: Arc::new(Mutex::new(Inner {
                clock: None,
                partner_code: DEMO_PARTNER.into(),
                secret: DEMO_SECRET.into(),
                base_url: base_url.trim_end_matches('/').to_string(),
                txns: BTreeMap::new(),
                seq: 0,
                hold_init: false,
                late_delay: Duration::from_secs(60),
                retry_delay: Duration::from_secs(5),
                hidden: Default::default(),
            })),
            callbacks: Arc::new(AtomicU64::new(0)),
            inits: Arc::new(AtomicU64::new(0)),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        match self.inner.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    fn now(&self) -> Millis {
        self.lock().clock.unwrap_or_else(system_now)
    }

    pub fn base_url(&self) -> String {
        self.lock().base_url.clone()
    }

    pub fn set_base_url(&self, base_url: &str) {
        self.lock().base_url = base_url.trim_end_matches('/').to_string();
    }

    pub fn set_partner(&self, partner_code: &str, secret: &str) {
        let mut g = self.lock();
        g.partner_code = partner_code.into();
        g.secret = secret.into();
    }

    pub fn set_now(&self, now: Millis) {
        self.lock().clock = Some(now);
    }

    pub fn set_late_delay(&self, d: Duration) {
        self.lock().late_delay = d;
    }

    pub fn set_retry_delay(&self, d: Duration) {
        self.lock().retry_delay = d;
    }

    /// While on, INIT records the transaction but answers 503 (the
    /// answer is lost, as when the portal dies before reading it).
    pub fn hold_init(&self, on: bool) {
        self.lock().hold_init = on;
    }

    /// The day list leaves `reference` out.
    pub fn hide_from_day_list(&self, reference: &str) {
        self.lock().hidden.insert(reference.into());
    }

    /// Callbacks POSTed so far (each try counts).
    pub fn callbacks_sent(&self) -> u64 {
        self.callbacks.load(Ordering::SeqCst)
    }

    /// INIT messages received so far.
    pub fn inits(&self) -> u64 {
        self.inits.load(Ordering::SeqCst)
    }

    /// The transactions' references, in order.
    pub fn references(&self) -> Vec<String> {
        self.lock().txns.keys().cloned().collect()
    }

    /// The bank page of `reference`'s transaction.
    pub fn pay_url(&self, reference: &str) -> Option<String> {
        let g = self.lock();
        g.txns
            .get(reference)
            .map(|t| format!("{}/pay/{}", g.base_url, t.token))
    }

    /// The platform's answer to a status query for `reference`, signed.
    fn confirm_of(&self, g: &Inner, reference: &str) -> Confirm {
        let mut c = match g.txns.get(reference) {
            Some(t) => Confirm {
                partner_code: g.partner_code.clone(),
                reference: reference.into(),
                platform_txn_id: t.txn_id.clone(),
                result_code: match t.state {
                    TxnState::Created | TxnState::Pending => codes::PENDING,
                    TxnState::Success => codes::SUCCESS,
                    TxnState::Failed => codes::FAILED,
                    TxnState::Cancelled => codes::CANCELLED,
                }
                .into(),
                amount: if t.state == TxnState::Success {
                    t.paid_amount
                } else {
                    t.init.amount
                },
                currency: protocol::CURRENCY.into(),
                bank_code: t.bank_code.clone(),
                paid_at: t.paid_at.map(protocol::timestamp).unwrap_or_default(),
                signature: String::new(),
            },
            None => Confirm {
                partner_code: g.partner_code.clone(),
                reference: reference.into(),
                platform_txn_id: String::new(),
                result_code: codes::UNKNOWN_REFERENCE.into(),
                amount: 0,
                currency: protocol::CURRENCY.into(),
                bank_code: String::new(),
                paid_at: String::new(),
                signature: String::new(),
            },
        };
        c.sign_with(&g.secret);
        c
    }

    /// Does what the bank page's `choice` does for the transaction of
    /// `token`; returns where the payer's browser goes next.
    pub async fn choose(&self, token: &str, choice: Choice) -> Option<String> {
        let now = self.now();
        let (return_url, callback, copies, delay, reference) = {
            let mut g = self.lock();
            let reference = g
                .txns
                .iter()
                .find(|(_, t)| t.token == token)
                .map(|(r, _)| r.clone())?;
            let secret = g.secret.clone();
            let t = g.txns.get_mut(&reference)?;
            if t.state != TxnState::Created {
                // Already chosen: the browser goes back, nothing changes.
                return Some(return_to(&t.init.return_url, &reference));
            }
            t.bank_code = "NCB".into();
            let (state, copies, delay) = match choice {
                Choice::Success | Choice::WrongAmount | Choice::BadSignature => {
                    (TxnState::Success, 1, None)
                }
                Choice::Failure => (TxnState::Failed, 1, None),
                Choice::Cancel => (TxnState::Cancelled, 1, None),
                Choice::Pending => (TxnState::Pending, 0, None),
                Choice::Late => (TxnState::Success, 1, Some(())),
                Choice::NoCallback => (TxnState::Success, 0, None),
                Choice::Duplicate => (TxnState::Success, 3, None),
            };
            t.state = state;
            if state == TxnState::Success {
                t.paid_at = Some(now);
                t.paid_amount = if choice == Choice::WrongAmount {
                    (t.init.amount - 1000).max(1)
                } else {
                    t.init.amount
                };
            }
            let return_url = return_to(&t.init.return_url, &reference);
            let g2: &Inner = &g;
            let mut c = self.confirm_of(g2, &reference);
            if choice == Choice::BadSignature {
                c.signature = protocol::sign(&["forged"], &secret);
            }
            let delay = delay.map(|_| g.late_delay);
            (return_url, c, copies, delay, reference)
        };
        tracing::debug!(%reference, ?choice, "payment simulator: the bank chose");
        match delay {
            Some(d) => {
                let me = self.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(d).await;
                    me.send_callback(callback).await;
                });
            }
            None if copies == 1 => self.send_callback(callback).await,
            None if copies > 1 => {
                let sends = (0..copies).map(|_| self.send_callback(callback.clone()));
                futures::future::join_all(sends).await;
            }
            None => {}
        }
        Some(return_url)
    }

    /// Settles a pending transaction as the bank finally answers it,
    /// with or without a callback.
    pub async fn settle(&self, reference: &str, paid: bool, callback: bool) -> bool {
        let now = self.now();
        let c = {
            let mut g = self.lock();
            let Some(t) = g.txns.get_mut(reference) else {
                return false;
            };
            if !matches!(t.state, TxnState::Pending | TxnState::Created) {
                return false;
            }
            if paid {
                t.state = TxnState::Success;
                t.paid_at = Some(now);
                t.paid_amount = t.init.amount;
                t.bank_code = "NCB".into();
            } else {
                t.state = TxnState::Failed;
            }
            self.confirm_of(&g, reference)
        };
        if callback {
            self.send_callback(c).await;
        }
        true
    }

    /// POSTs a callback, and tries again (a few times) until the portal
    /// answers `{"code":"00"}`.
    async fn send_callback(&self, c: Confirm) {
        let (url, retry) = {
            let g = self.lock();
            match g.txns.get(&c.reference) {
                Some(t) => (t.init.notify_url.clone(), g.retry_delay),
                None => return,
            }
        };
        for attempt in 0..4 {
            if attempt > 0 {
                tokio::time::sleep(retry).await;
            }
            self.callbacks.fetch_add(1, Ordering::SeqCst);
            let ok = match self.http.post(&url).json(&c).send().await {
                Ok(r) => r
                    .json::<serde_json::Value>()
                    .await
                    .map(|v| v.get("code").and_then(|c| c.as_str()) == Some(codes::SUCCESS))
                    .unwrap_or(false),
                Err(_) => false,
            };
            if ok {
                return;
            }
        }
    }

    fn init(&self, m: &Init) -> (StatusCode, Result<InitAnswer, Refusal>) {
        self.inits.fetch_add(1, Ordering::SeqCst);
        let mut g = self.lock();
        if m.partner_code != g.partner_code || !m.verify_with(&[g.secret.as_str()]) {
            return refuse(
                StatusCode::UNAUTHORIZED,
                codes::BAD_SIGNATURE,
                "bad signature",
            );
        }
        let receipt: Receipt = match serde_json::from_str(&m.receipt) {
            Ok(r) => r,
            Err(_) => return refuse(StatusCode::BAD_REQUEST, codes::ERROR, "receipt unreadable"),
        };
        if m.currency != protocol::CURRENCY
            || m.amount <= 0
            || receipt.lines.iter().map(|l| l.amount).sum::<i64>() != m.amount
            || receipt
                .lines
                .iter()
                .any(|l| l.kind != "phi" && l.kind != "le_phi")
        {
            return refuse(
                StatusCode::BAD_REQUEST,
                codes::AMOUNT_MISMATCH,
                "amount, currency or lines",
            );
        }
        if m.reference.is_empty() || m.reference.len() > 64 {
            return refuse(StatusCode::BAD_REQUEST, codes::ERROR, "reference");
        }
        let hold = g.hold_init;
        let secret = g.secret.clone();
        let base = g.base_url.clone();
        let answer = |t: &Txn| {
            let mut a = InitAnswer {
                code: codes::SUCCESS.into(),
                reference: m.reference.clone(),
                pay_url: format!("{base}/pay/{}", t.token),
                platform_txn_id: t.txn_id.clone(),
                signature: String::new(),
            };
            a.sign_with(&secret);
            a
        };
        if let Some(t) = g.txns.get(&m.reference) {
            let mut same = t.init.clone();
            same.timestamp = m.timestamp.clone();
            same.signature = m.signature.clone();
            if same != *m {
                return refuse(
                    StatusCode::CONFLICT,
                    codes::REFERENCE_REUSED,
                    "reference used with other fields",
                );
            }
            // The same INIT again: the same transaction.
            let a = answer(t);
            return if hold {
                refuse(StatusCode::SERVICE_UNAVAILABLE, codes::ERROR, "held")
            } else {
                (StatusCode::OK, Ok(a))
            };
        }
        g.seq += 1;
        let seq = g.seq;
        let token = hex::encode(sha2::Sha256::digest(
            format!("{}|{seq}|{}", m.reference, secret).as_bytes(),
        ))[..32]
            .to_string();
        let t = Txn {
            init: m.clone(),
            receipt,
            txn_id: format!("PG{:010}", seq),
            token,
            state: TxnState::Created,
            paid_amount: 0,
            paid_at: None,
            bank_code: String::new(),
        };
        let a = answer(&t);
        g.txns.insert(m.reference.clone(), t);
        if hold {
            return refuse(StatusCode::SERVICE_UNAVAILABLE, codes::ERROR, "held");
        }
        (StatusCode::OK, Ok(a))
    }

    fn status(&self, m: &StatusQuery) -> Result<Confirm, (StatusCode, Refusal)> {
        let g = self.lock();
        if m.partner_code != g.partner_code || !m.verify_with(&[g.secret.as_str()]) {
            return Err(refusal(StatusCode::UNAUTHORIZED, codes::BAD_SIGNATURE));
        }
        Ok(self.confirm_of(&g, &m.reference))
    }

    fn day_list(&self, m: &DayQuery) -> Result<DayList, (StatusCode, Refusal)> {
        let g = self.lock();
        if m.partner_code != g.partner_code || !m.verify_with(&[g.secret.as_str()]) {
            return Err(refusal(StatusCode::UNAUTHORIZED, codes::BAD_SIGNATURE));
        }
        Ok(self.day_list_of(&g, &m.date))
    }

    fn day_list_of(&self, g: &Inner, date: &str) -> DayList {
        let items = g
            .txns
            .iter()
            .filter(|(r, t)| {
                t.state == TxnState::Success
                    && t.paid_at.map(protocol::day).as_deref() == Some(date)
                    && !g.hidden.contains(*r)
            })
            .map(|(r, t)| DayItem {
                reference: r.clone(),
                platform_txn_id: t.txn_id.clone(),
                result_code: codes::SUCCESS.into(),
                amount: t.paid_amount,
                paid_at: t.paid_at.map(protocol::timestamp).unwrap_or_default(),
            })
            .collect();
        let mut l = DayList {
            code: codes::SUCCESS.into(),
            partner_code: g.partner_code.clone(),
            date: date.into(),
            items,
            signature: String::new(),
        };
        l.sign_with(&g.secret);
        l
    }

    /// The day file the platform would leave for `date`
    /// (`PAYGOV_<partner>_<date>.csv`): (file name, content).
    pub fn day_file(&self, date: &str) -> (String, String) {
        let g = self.lock();
        let l = self.day_list_of(&g, date);
        (format!("PAYGOV_{}_{date}.csv", g.partner_code), l.to_csv())
    }

    fn receipt(&self, m: &ReceiptQuery) -> Result<Vec<u8>, (StatusCode, Refusal)> {
        let (t, now) = {
            let g = self.lock();
            if m.partner_code != g.partner_code || !m.verify_with(&[g.secret.as_str()]) {
                return Err(refusal(StatusCode::UNAUTHORIZED, codes::BAD_SIGNATURE));
            }
            let t = g
                .txns
                .values()
                .find(|t| t.txn_id == m.platform_txn_id && t.state == TxnState::Success)
                .cloned()
                .ok_or_else(|| refusal(StatusCode::NOT_FOUND, codes::UNKNOWN_REFERENCE))?;
            (t, g.clock.unwrap_or_else(system_now))
        };
        let lines: Vec<_> = t
            .receipt
            .lines
            .iter()
            .filter(|l| l.kind == m.kind)
            .collect();
        if lines.is_empty() {
            return Err(refusal(StatusCode::NOT_FOUND, codes::UNKNOWN_REFERENCE));
        }
        receipt_pdf(&t, &m.kind, &lines, now)
            .map_err(|_| refusal(StatusCode::INTERNAL_SERVER_ERROR, codes::ERROR))
    }

    /// The routes (see the module's documentation).
    pub fn router(&self) -> Router {
        Router::new()
            .route("/api/v1/init", post(init_h))
            .route("/api/v1/status", post(status_h))
            .route("/api/v1/transactions", post(day_h))
            .route("/api/v1/receipt", post(receipt_h))
            .route("/pay/{token}", get(bank_page).post(bank_choose))
            .route("/admin", get(admin_page))
            .route("/admin/settle", post(admin_settle))
            .with_state(self.clone())
    }

    /// Serves the router on an ephemeral local port; the base URL is set
    /// to it.
    pub async fn start(&self) -> std::io::Result<SimServer> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let local = listener.local_addr()?;
        let base = format!("http://{local}");
        self.set_base_url(&base);
        let app = self.router();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(SimServer {
            base_url: base,
            task,
        })
    }
}

use sha2::Digest;

/// A running simulator; stops when dropped.
pub struct SimServer {
    pub base_url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SimServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn return_to(return_url: &str, reference: &str) -> String {
    match url::Url::parse(return_url) {
        Ok(mut u) => {
            u.query_pairs_mut().append_pair("ref", reference);
            u.to_string()
        }
        Err(_) => return_url.to_string(),
    }
}

fn refusal(status: StatusCode, code: &str) -> (StatusCode, Refusal) {
    (
        status,
        Refusal {
            code: code.into(),
            message: String::new(),
        },
    )
}

fn refuse(
    status: StatusCode,
    code: &str,
    message: &str,
) -> (StatusCode, Result<InitAnswer, Refusal>) {
    (
        status,
        Err(Refusal {
            code: code.into(),
            message: message.into(),
        }),
    )
}

fn vnd(n: i64) -> String {
    motcua_domain::text::dong(n)
}

fn receipt_pdf(
    t: &Txn,
    kind: &str,
    lines: &[&protocol::ReceiptLine],
    now: Millis,
) -> Result<Vec<u8>, String> {
    use motcua_kernel::pdf::Doc;
    let mut d = Doc::new()?;
    let paid = t.paid_at.unwrap_or(now);
    d.letterhead(
        &[
            &t.receipt.agency,
            "(thu qua Nền tảng thanh toán - mô phỏng)",
        ],
        &format!("Số: {}-{kind}", t.txn_id),
        &format!("Ngày {}", protocol::timestamp(paid)),
    );
    d.gap(12.0);
    d.centered(
        14.0,
        true,
        if kind == "phi" {
            "BIÊN LAI THU PHÍ"
        } else {
            "BIÊN LAI THU LỆ PHÍ"
        },
    );
    d.centered(10.0, false, "(Biên lai điện tử)");
    d.gap(10.0);
    d.paragraph(&format!("Người nộp: {}", t.receipt.payer), false);
    d.paragraph(&format!("Mã hồ sơ: {}", t.receipt.dossier_code), false);
    d.paragraph(&format!("Thủ tục: {}", t.receipt.procedure), false);
    d.paragraph(
        &format!(
            "Mã giao dịch: {} · Tham chiếu: {}",
            t.txn_id, t.init.reference
        ),
        false,
    );
    d.gap(6.0);
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|l| vec![l.code.clone(), l.name.clone(), vnd(l.amount)])
        .collect();
    d.table(&[80.0, 260.0, 110.0], &["Mã", "Nội dung", "Số tiền"], &rows);
    let total: i64 = lines.iter().map(|l| l.amount).sum();
    d.paragraph(&format!("Tổng cộng: {}", vnd(total)), true);
    d.finish(
        "Biên lai mô phỏng — không có giá trị thanh toán",
        "Biên lai",
    )
}

// ---------------------------------------------------------------------------
// HTTP handlers
// ---------------------------------------------------------------------------

fn json_or_refusal<T: serde::Serialize>(r: Result<T, (StatusCode, Refusal)>) -> Response {
    match r {
        Ok(v) => Json(v).into_response(),
        Err((s, f)) => (s, Json(f)).into_response(),
    }
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, (StatusCode, Refusal)> {
    serde_json::from_slice(body).map_err(|_| refusal(StatusCode::BAD_REQUEST, codes::ERROR))
}

async fn init_h(State(sim): State<Simulator>, body: axum::body::Bytes) -> Response {
    let m: Init = match parse(&body) {
        Ok(m) => m,
        Err(e) => return json_or_refusal::<InitAnswer>(Err(e)),
    };
    match sim.init(&m) {
        (s, Ok(a)) => (s, Json(a)).into_response(),
        (s, Err(f)) => (s, Json(f)).into_response(),
    }
}

async fn status_h(State(sim): State<Simulator>, body: axum::body::Bytes) -> Response {
    json_or_refusal(parse::<StatusQuery>(&body).and_then(|m| sim.status(&m)))
}

async fn day_h(State(sim): State<Simulator>, body: axum::body::Bytes) -> Response {
    json_or_refusal(parse::<DayQuery>(&body).and_then(|m| sim.day_list(&m)))
}

async fn receipt_h(State(sim): State<Simulator>, body: axum::body::Bytes) -> Response {
    match parse::<ReceiptQuery>(&body).and_then(|m| sim.receipt(&m)) {
        Ok(pdf) => ([(header::CONTENT_TYPE, "application/pdf")], pdf).into_response(),
        Err((s, f)) => (s, Json(f)).into_response(),
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(title: &str, main: &str) -> Response {
    let body = format!(
        r#"<!doctype html>
<html lang="vi">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{t} — Nền tảng thanh toán (mô phỏng)</title>
<style>body{{font-family:sans-serif;max-width:40rem;margin:1rem auto;padding:0 1rem;line-height:1.5}}
button{{display:block;width:100%;margin:.4rem 0;padding:.6rem;font-size:1rem}}table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:.2rem .4rem}}
.note{{background:#fff3cd;padding:.5rem;border:1px solid #b08900}}</style></head>
<body><header><p class="note">Trang mô phỏng Nền tảng thanh toán quốc gia — chỉ dùng để thử nghiệm, không có giao dịch thật.</p></header>
<main><h1>{t}</h1>{main}</main></body></html>"#,
        t = esc(title)
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

async fn bank_page(State(sim): State<Simulator>, Path(token): Path<String>) -> Response {
    let found = {
        let g = sim.lock();
        g.txns
            .values()
            .find(|t| t.token == token)
            .map(|t| (t.clone(), g.base_url.clone()))
    };
    let Some((t, base)) = found else {
        return (
            StatusCode::NOT_FOUND,
            page(
                "Không tìm thấy giao dịch",
                "<p>Liên kết thanh toán không đúng hoặc đã hết hạn.</p>",
            ),
        )
            .into_response();
    };
    if t.state != TxnState::Created {
        return page(
            "Giao dịch đã xử lý",
            &format!(
                "<p>Giao dịch {} đã được xử lý.</p><p><a href=\"{}\">Quay lại Cổng dịch vụ công</a></p>",
                esc(&t.txn_id),
                esc(&return_to(&t.init.return_url, &t.init.reference))
            ),
        );
    }
    let rows: String = t
        .receipt
        .lines
        .iter()
        .map(|l| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                if l.kind == "phi" { "Phí" } else { "Lệ phí" },
                esc(&l.name),
                vnd(l.amount)
            )
        })
        .collect();
    let buttons: String = Choice::ALL
        .iter()
        .map(|c| {
            format!(
                "<button type=\"submit\" name=\"choice\" value=\"{}\" id=\"choice-{}\">{}</button>",
                c.key(),
                c.key(),
                c.label()
            )
        })
        .collect();
    page(
        "Thanh toán phí, lệ phí",
        &format!(
            "<p>Hồ sơ <strong>{code}</strong> — {procedure}</p><p>Người nộp: {payer}</p>\
<table><caption>Các khoản phải nộp</caption><thead><tr><th scope=\"col\">Loại</th><th scope=\"col\">Nội dung</th><th scope=\"col\">Số tiền</th></tr></thead><tbody>{rows}</tbody></table>\
<p>Tổng số tiền: <strong id=\"amount\">{amount}</strong></p>\
<form method=\"post\" action=\"{base}/pay/{token}\"><fieldset><legend>Ngân hàng (mô phỏng) xử lý giao dịch thế nào?</legend>{buttons}</fieldset></form>",
            code = esc(&t.receipt.dossier_code),
            procedure = esc(&t.receipt.procedure),
            payer = esc(&t.receipt.payer),
            amount = vnd(t.init.amount),
            base = esc(&base),
            token = esc(&token),
        ),
    )
}

#[derive(serde::Deserialize)]
struct ChoiceForm {
    choice: String,
}

async fn bank_choose(
    State(sim): State<Simulator>,
    Path(token): Path<String>,
    Form(f): Form<ChoiceForm>,
) -> Response {
    let Some(choice) = Choice::parse(&f.choice) else {
        return (
            StatusCode::BAD_REQUEST,
            page(
                "Lựa chọn không hợp lệ",
                "<p>Chọn một nút trên trang thanh toán.</p>",
            ),
        )
            .into_response();
    };
    match sim.choose(&token, choice).await {
        Some(to) => Redirect::to(&to).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            page(
                "Không tìm thấy giao dịch",
                "<p>Liên kết thanh toán không đúng.</p>",
            ),
        )
            .into_response(),
    }
}

async fn admin_page(State(sim): State<Simulator>) -> Response {
    let (rows, base) = {
        let g = sim.lock();
        let rows: String = g
            .txns
            .iter()
            .rev()
            .take(200)
            .map(|(r, t)| {
                let actions = if matches!(t.state, TxnState::Pending | TxnState::Created) {
                    format!(
                        "<form method=\"post\" action=\"{b}/admin/settle\"><input type=\"hidden\" name=\"reference\" value=\"{r}\">\
<label>Kết quả <select name=\"result\"><option value=\"success\">Thành công</option><option value=\"failure\">Thất bại</option></select></label> \
<label>Gửi thông báo <select name=\"callback\"><option value=\"no\">Không</option><option value=\"yes\">Có</option></select></label> \
<button type=\"submit\">Chốt giao dịch</button></form>",
                        b = esc(&g.base_url),
                        r = esc(r)
                    )
                } else {
                    String::new()
                };
                format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:?}</td><td>{}</td></tr>",
                    esc(r),
                    esc(&t.txn_id),
                    vnd(t.init.amount),
                    t.state,
                    actions
                )
            })
            .collect();
        (rows, g.base_url.clone())
    };
    let _ = base;
    page(
        "Giao dịch (quản trị mô phỏng)",
        &format!("<table><thead><tr><th scope=\"col\">Tham chiếu</th><th scope=\"col\">Mã giao dịch</th><th scope=\"col\">Số tiền</th><th scope=\"col\">Trạng thái</th><th scope=\"col\">Thao tác</th></tr></thead><tbody>{rows}</tbody></table>"),
    )
}

#[derive(serde::Deserialize)]
struct SettleForm {
    reference: String,
    result: String,
    callback: String,
}

async fn admin_settle(State(sim): State<Simulator>, Form(f): Form<SettleForm>) -> Response {
    let paid = f.result == "success";
    if sim.settle(&f.reference, paid, f.callback == "yes").await {
        Redirect::to(&format!("{}/admin", sim.base_url())).into_response()
    } else {
        (
            StatusCode::CONFLICT,
            page("Không chốt được", "<p>Giao dịch không còn chờ.</p>"),
        )
            .into_response()
    }
}
