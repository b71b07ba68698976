//! [`Core`]: the runtime every context shares — the database, the clock,
//! the settings, the message catalog, the mail sender and queue wake-ups,
//! the working-day calendar and the metrics. Cheap to clone.
use crate::calendar::CalendarCache;
use crate::i18n::Catalog;
use crate::metrics::Metrics;
use crate::settings::Settings;
use motcua_domain::{Clock, Millis};
use motcua_mail::Mailer;
use motcua_store::Store;
use std::sync::Arc;
use tokio::sync::Notify;

#[derive(Clone)]
pub struct Core {
    pub store: Store,
    pub config: Arc<Settings>,
    pub clock: Arc<dyn Clock>,
    /// Every context's messages (the composition root builds it).
    pub i18n: Arc<Catalog>,
    pub metrics: Arc<Metrics>,
    /// Wakes the local worker when a job is enqueued.
    pub jobs_notify: Arc<Notify>,
    pub mailer: Mailer,
    /// Wakes the local outbox delivery loop when an event is emitted.
    pub events_notify: Arc<Notify>,
    /// HTTP client for outbox deliveries (no redirects, time limit).
    pub http: reqwest::Client,
    /// The working-day calendar, rebuilt when its stored version changes.
    pub calendar: Arc<CalendarCache>,
    /// Where documents and notices are kept (`Settings::blobs`).
    pub blobs: crate::blobs::Blobs,
}

impl Core {
    /// Fails if the blob store cannot be opened, or if the delivery HTTP
    /// client cannot be built (its TLS
    /// backend): a portal that cannot deliver events with its no-redirect
    /// rule and time limit must not start with a weaker client.
    pub fn new(
        store: Store,
        config: Settings,
        clock: Arc<dyn Clock>,
        mailer: Mailer,
        i18n: Catalog,
    ) -> Result<Core, String> {
        let http = crate::outbox::http_client(&config.events)?;
        let blobs = crate::blobs::Blobs::open(&config.blobs).map_err(|e| e.to_string())?;
        Ok(Core {
            store,
            config: Arc::new(config),
            clock,
            i18n: Arc::new(i18n),
            metrics: Arc::new(Metrics::default()),
            jobs_notify: Arc::new(Notify::new()),
            mailer,
            events_notify: Arc::new(Notify::new()),
            http,
            calendar: Arc::new(CalendarCache::default()),
            blobs,
        })
    }

    pub fn now(&self) -> Millis {
        self.clock.now()
    }
}
