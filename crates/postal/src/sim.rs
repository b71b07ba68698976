//! A simulator of the postal operator, for tests and `motcua demo` **only**
//! (feature `sim`). It speaks [`crate::client`]'s mapping over HTTP, in
//! memory. Routes of [`Simulator::router`]:
//! - `POST /api/v1/quote`, `POST /api/v1/orders` (idempotent per order
//!   number), `GET /api/v1/orders/{waybill}` (the order and its events),
//!   `POST /api/v1/orders/{waybill}/cancel` (API key required);
//! - `GET /parcels`: a Vietnamese page listing the parcels, each with a
//!   button per next state; `POST /parcels/{waybill}` with `status=…`
//!   moves it there and sends the signed status report to the order's
//!   `notify_url`.
//!
//! Tariff (ours): 22,000 đ within a province, 35,000 đ between provinces.
//! The clock is the system's unless set ([`Simulator::set_now`]).
use crate::client::{self, Event, NewOrder, Order, Quote, QuoteAnswer};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use motcua_domain::Millis;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

pub const DEMO_API_KEY: &str = "demo-post-api-key";
pub const DEMO_WEBHOOK_SECRET: &str = "demo-post-webhook-secret";

#[derive(Debug, Clone)]
struct Parcel {
    order: NewOrder,
    waybill: String,
    status: String,
    postage: i64,
    events: Vec<Event>,
}

struct Inner {
    clock: Option<Millis>,
    api_key: String,
    secret: String,
    base_url: String,
    parcels: BTreeMap<String, Parcel>,
    seq: u64,
    silent: bool,
}

#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Mutex<Inner>>,
    reports: Arc<AtomicU64>,
    http: reqwest::Client,
}

fn system_now() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

/// The postage of the simulator's tariff.
pub fn tariff(from: &str, to: &str) -> i64 {
    if from.trim() == to.trim() {
        22_000
    } else {
        35_000
    }
}

/// The states a parcel may go to from `status`.
pub fn next_states(status: &str) -> &'static [&'static str] {
    match status {
        client::PLACED => &[client::PICKED_UP, client::CANCELLED],
        client::PICKED_UP => &[client::IN_TRANSIT],
        client::IN_TRANSIT => &[client::DELIVERED, client::FAILED],
        client::FAILED => &[client::DELIVERED, client::RETURNED],
        _ => &[],
    }
}

fn label(status: &str) -> &'static str {
    match status {
        client::PLACED => "Đã tạo đơn",
        client::PICKED_UP => "Đã nhận hàng (phát hành biên nhận)",
        client::IN_TRANSIT => "Đang vận chuyển",
        client::DELIVERED => "Phát thành công",
        client::FAILED => "Phát không thành công",
        client::RETURNED => "Đã chuyển hoàn",
        client::CANCELLED => "Đã hủy",
        _ => "?",
    }
}

impl Simulator {
    pub fn new(base_url: &str) -> Simulator {
        Simulator {
            inner: Arc::new(Mutex::new(Inner {
                clock: None,
                api_key: DEMO_API_KEY.into(),
                secret: DEMO_WEBHOOK_SECRET.into(),
                base_url: base_url.trim_end_matches('/').into(),
                parcels: BTreeMap::new(),
                seq: 0,
                silent: false,
            })),
            reports: Arc::new(AtomicU64::new(0)),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
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

    pub fn set_now(&self, now: Millis) {
        self.lock().clock = Some(now);
    }

    pub fn set_base_url(&self, base: &str) {
        self.lock().base_url = base.trim_end_matches('/').into();
    }

    pub fn base_url(&self) -> String {
        self.lock().base_url.clone()
    }

    /// Status reports sent so far.
    pub fn reports_sent(&self) -> u64 {
        self.reports.load(Ordering::SeqCst)
    }

    /// The parcels: (order number, waybill, status).
    pub fn parcels(&self) -> Vec<(String, String, String)> {
        self.lock()
            .parcels
            .values()
            .map(|p| {
                (
                    p.order.order_number.clone(),
                    p.waybill.clone(),
                    p.status.clone(),
                )
            })
            .collect()
    }

    /// The receiver of `waybill`'s parcel.
    pub fn receiver(&self, waybill: &str) -> Option<client::Party> {
        self.lock()
            .parcels
            .values()
            .find(|p| p.waybill == waybill)
            .map(|p| p.order.receiver.clone())
    }

    /// Moves a parcel to `status` (one of its next states) and reports
    /// it; false if it cannot go there.
    pub async fn advance(&self, waybill: &str, status: &str) -> bool {
        let (event, url, secret) = {
            let mut g = self.lock();
            let now = g.clock.unwrap_or_else(system_now);
            let secret = g.secret.clone();
            let Some(p) = g.parcels.values_mut().find(|p| p.waybill == waybill) else {
                return false;
            };
            if !next_states(&p.status).contains(&status) {
                return false;
            }
            p.status = status.into();
            let event = Event {
                order_number: p.order.order_number.clone(),
                waybill: p.waybill.clone(),
                status: status.into(),
                at: now,
                note: label(status).into(),
            };
            p.events.push(event.clone());
            (event, p.order.notify_url.clone(), secret)
        };
        if !self.lock().silent {
            self.report(&url, &secret, &event).await;
        }
        true
    }

    /// While on, status changes are not reported (reports lost on the
    /// way): the portal must ask.
    pub fn set_silent(&self, on: bool) {
        self.lock().silent = on;
    }

    /// Sends a status report (again, for tests of repeated reports).
    pub async fn report(&self, url: &str, secret: &str, event: &Event) -> u16 {
        let body = serde_json::to_vec(event).unwrap_or_default();
        self.reports.fetch_add(1, Ordering::SeqCst);
        match self
            .http
            .post(url)
            .header("content-type", "application/json")
            .header(client::SIGNATURE_HEADER, client::sign(secret, &body))
            .body(body)
            .send()
            .await
        {
            Ok(r) => r.status().as_u16(),
            Err(_) => 0,
        }
    }

    fn authorized(&self, h: &HeaderMap) -> bool {
        let key = self.lock().api_key.clone();
        h.get("x-api-key").and_then(|v| v.to_str().ok()) == Some(key.as_str())
    }

    fn place(&self, o: &NewOrder) -> Result<Order, StatusCode> {
        let mut g = self.lock();
        if let Some(p) = g.parcels.get(&o.order_number) {
            if p.order != *o {
                return Err(StatusCode::CONFLICT);
            }
            return Ok(Order {
                order_number: o.order_number.clone(),
                waybill: p.waybill.clone(),
                status: p.status.clone(),
                postage: p.postage,
            });
        }
        if o.order_number.is_empty() || o.receiver.province.is_empty() {
            return Err(StatusCode::BAD_REQUEST);
        }
        g.seq += 1;
        let waybill = format!("EP{:09}VN", g.seq);
        let postage = tariff(&o.sender.province, &o.receiver.province);
        g.parcels.insert(
            o.order_number.clone(),
            Parcel {
                order: o.clone(),
                waybill: waybill.clone(),
                status: client::PLACED.into(),
                postage,
                events: Vec::new(),
            },
        );
        Ok(Order {
            order_number: o.order_number.clone(),
            waybill,
            status: client::PLACED.into(),
            postage,
        })
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/api/v1/quote", post(quote_h))
            .route("/api/v1/orders", post(order_h))
            .route("/api/v1/orders/{waybill}", get(status_h))
            .route("/api/v1/orders/{waybill}/cancel", post(cancel_h))
            .route("/parcels", get(parcels_page))
            .route("/parcels/{waybill}", post(move_h))
            .with_state(self.clone())
    }

    pub async fn start(&self) -> std::io::Result<SimServer> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
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

pub struct SimServer {
    pub base_url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SimServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn quote_h(State(sim): State<Simulator>, h: HeaderMap, body: axum::body::Bytes) -> Response {
    if !sim.authorized(&h) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    match serde_json::from_slice::<Quote>(&body) {
        Ok(q) => Json(QuoteAnswer {
            postage: tariff(&q.from_province, &q.to_province),
        })
        .into_response(),
        Err(_) => StatusCode::BAD_REQUEST.into_response(),
    }
}

async fn order_h(State(sim): State<Simulator>, h: HeaderMap, body: axum::body::Bytes) -> Response {
    if !sim.authorized(&h) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let Ok(o) = serde_json::from_slice::<NewOrder>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    match sim.place(&o) {
        Ok(a) => Json(a).into_response(),
        Err(s) => s.into_response(),
    }
}

async fn status_h(
    State(sim): State<Simulator>,
    h: HeaderMap,
    Path(waybill): Path<String>,
) -> Response {
    if !sim.authorized(&h) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let g = sim.lock();
    match g.parcels.values().find(|p| p.waybill == waybill) {
        Some(p) => Json(client::OrderStatus {
            order_number: p.order.order_number.clone(),
            waybill: p.waybill.clone(),
            status: p.status.clone(),
            events: p.events.clone(),
        })
        .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn cancel_h(
    State(sim): State<Simulator>,
    h: HeaderMap,
    Path(waybill): Path<String>,
) -> Response {
    if !sim.authorized(&h) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if !sim.advance(&waybill, client::CANCELLED).await {
        return StatusCode::CONFLICT.into_response();
    }
    let g = sim.lock();
    match g.parcels.values().find(|p| p.waybill == waybill) {
        Some(p) => Json(Order {
            order_number: p.order.order_number.clone(),
            waybill: p.waybill.clone(),
            status: p.status.clone(),
            postage: p.postage,
        })
        .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn parcels_page(State(sim): State<Simulator>) -> Response {
    let (rows, base) = {
        let g = sim.lock();
        let rows: String = g
            .parcels
            .values()
            .rev()
            .map(|p| {
                let buttons: String = next_states(&p.status)
                    .iter()
                    .map(|s| {
                        format!(
                            "<button type=\"submit\" name=\"status\" value=\"{s}\" id=\"{w}-{s}\">{}</button> ",
                            label(s),
                            w = esc(&p.waybill)
                        )
                    })
                    .collect();
                format!(
                    "<tr id=\"parcel-{w}\"><td>{w}</td><td>{on}</td><td>{from} → {to}</td><td>{st}</td><td><form method=\"post\" action=\"{b}/parcels/{w}\">{buttons}</form></td></tr>",
                    w = esc(&p.waybill),
                    on = esc(&p.order.order_number),
                    from = esc(&p.order.sender.name),
                    to = esc(&format!("{}, {}, {}", p.order.receiver.name, p.order.receiver.commune, p.order.receiver.province)),
                    st = label(&p.status),
                    b = esc(&g.base_url),
                )
            })
            .collect();
        (rows, g.base_url.clone())
    };
    let _ = base;
    let html = format!(
        r#"<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Bưu gửi — Bưu chính công ích (mô phỏng)</title>
<style>body{{font-family:sans-serif;margin:1rem}}table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:.3rem}}.note{{background:#fff3cd;padding:.5rem;border:1px solid #b08900}}</style></head>
<body><header><p class="note">Trang mô phỏng doanh nghiệp bưu chính công ích — chỉ dùng để thử nghiệm.</p></header>
<main><h1>Bưu gửi</h1><table><thead><tr><th scope="col">Số hiệu</th><th scope="col">Mã đơn</th><th scope="col">Người gửi → người nhận</th><th scope="col">Trạng thái</th><th scope="col">Chuyển trạng thái</th></tr></thead><tbody>{rows}</tbody></table></main></body></html>"#
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

#[derive(serde::Deserialize)]
struct MoveForm {
    status: String,
}

async fn move_h(
    State(sim): State<Simulator>,
    Path(waybill): Path<String>,
    Form(f): Form<MoveForm>,
) -> Response {
    if sim.advance(&waybill, &f.status).await {
        Redirect::to(&format!("{}/parcels", sim.base_url())).into_response()
    } else {
        StatusCode::CONFLICT.into_response()
    }
}
