//! Motcua's web layer and application services: server-rendered pages
//! (askama + htmx), sessions, CSRF, i18n, the operator console, ops
//! endpoints, and the background worker that drains the job queue.

pub mod calendar;
pub mod config;
pub mod ctx;
pub mod error;
pub mod events;
pub mod hashing;
pub mod i18n;
pub mod identity;
pub mod lifecycle;
pub mod logins;
pub mod metrics;
pub mod middleware;
pub mod pages;
pub mod plain;
pub mod portal;
pub mod provisioning;
pub mod redirect;
pub mod registration;
pub mod service;
pub mod sla;
pub mod systems;
pub mod worker;

use axum::Router;
use motcua_domain::Clock;
use motcua_mail::Mailer;
use motcua_store::Store;
use std::sync::Arc;

pub use config::WebConfig;

/// Every context's message table, composed once here (the contexts own
/// their tables; the catalog module names none of them).
pub const MESSAGE_TABLES: &[&[i18n::Message]] = &[
    i18n::MESSAGES,
    registration::MESSAGES,
    provisioning::MESSAGES,
    lifecycle::MESSAGES,
    identity::MESSAGES,
    portal::MESSAGES,
    identity::onboarding::MESSAGES,
    plain::MESSAGES,
];

/// Every context's open items with legal deadlines, composed once here.
pub fn sla_sources() -> Vec<Arc<dyn motcua_kernel::sla::SlaSource>> {
    vec![
        Arc::new(registration::Sla),
        Arc::new(lifecycle::Sla),
        Arc::new(provisioning::Sla),
    ]
}

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<WebConfig>,
    pub clock: Arc<dyn Clock>,
    pub hasher: hashing::Hasher,
    pub i18n: Arc<i18n::Catalog>,
    /// The contexts' deadline sources ([`sla_sources`]).
    pub sla_sources: Arc<Vec<Arc<dyn motcua_kernel::sla::SlaSource>>>,
    pub metrics: Arc<metrics::Metrics>,
    /// Wakes the local worker when a job is enqueued.
    pub jobs_notify: Arc<tokio::sync::Notify>,
    pub mailer: Mailer,
    /// Wakes the local event-delivery loop when an event is emitted.
    pub events_notify: Arc<tokio::sync::Notify>,
    /// HTTP client for event deliveries.
    pub http: reqwest::Client,
    /// The working-day calendar, rebuilt when its stored version changes.
    pub calendar: Arc<calendar::CalendarCache>,
    /// Certificate verification, assurance levels, signing-tool settings.
    pub identity: Arc<identity::Identity>,
    /// Certificate logins' writes (group commit on SQLite).
    pub logins: logins::LoginWriter,
    /// The operator's contact details and the terms and privacy notice.
    pub portal: Arc<portal::Portal>,
}

impl AppState {
    /// The state every request shares. Fails only if the webhook HTTP
    /// client cannot be built (its TLS backend): a portal that cannot
    /// deliver events with its no-redirect rule and time limit must not
    /// start with a weaker client.
    pub fn new(
        store: Store,
        config: WebConfig,
        clock: Arc<dyn Clock>,
        mailer: Mailer,
    ) -> Result<AppState, String> {
        let hasher = hashing::Hasher::new(config.argon2);
        let http = events::http_client(&config.events)?;
        let logins = logins::LoginWriter::start(&store);
        Ok(AppState {
            logins,
            store,
            config: Arc::new(config),
            clock,
            hasher,
            i18n: Arc::new(i18n::catalog()),
            sla_sources: Arc::new(sla_sources()),
            metrics: Arc::new(metrics::Metrics::default()),
            jobs_notify: Arc::new(tokio::sync::Notify::new()),
            mailer,
            events_notify: Arc::new(tokio::sync::Notify::new()),
            http,
            calendar: Arc::new(calendar::CalendarCache::default()),
            identity: Arc::new(identity::Identity::empty()?),
            portal: Arc::new(portal::Portal::bundled()),
        })
    }

    /// Replaces the footer's contact details and the legal documents.
    pub fn with_portal(mut self, portal: portal::Portal) -> AppState {
        self.portal = Arc::new(portal);
        self
    }

    /// Replaces the identity services (trust anchors, levels).
    pub fn with_identity(mut self, mut identity: identity::Identity) -> AppState {
        if let Some(cfg) = &identity.eid_config {
            match identity::eid::Eid::new(cfg, &self.config.public_url) {
                Ok(e) => identity.eid = Some(e),
                Err(e) => tracing::error!(error = %e, "e-ID login disabled"),
            }
        }
        self.identity = Arc::new(identity);
        self
    }

    pub fn now(&self) -> motcua_domain::Millis {
        self.clock.now()
    }
}

/// The admin listener's routes (`/metrics`, `/healthz`), unauthenticated:
/// bind it to an address only the monitoring network reaches.
pub fn admin_router(state: AppState) -> Router {
    use axum::routing::get;
    Router::new()
        .route("/metrics", get(pages::public::metrics_open))
        .route("/healthz", get(pages::public::healthz))
        .with_state(state)
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    pages::routes(state)
}
