//! Motcua's web layer, HTTP only: server-rendered pages (askama + htmx),
//! the JSON API, sessions and cookies, CSRF, the error pages, the operator
//! console and the ops endpoints. The business rules are the contexts'
//! (`motcua-identity`, `motcua-nsw`) on the kernel (`motcua-kernel`).

pub mod ctx;
pub mod error;
pub mod i18n;
pub mod middleware;
pub mod pages;
pub mod plain;
pub mod redirect;

use axum::Router;
use motcua_domain::Clock;
use motcua_identity::IdentityContext;
use motcua_kernel::{Core, Settings};
use motcua_mail::Mailer;
use motcua_nsw::NswContext;
use motcua_store::Store;
use std::sync::Arc;

/// Every message table: the pages' own and every context's (each context
/// lists its tables and those of the contexts it builds on).
pub fn message_tables() -> Vec<&'static [i18n::Message]> {
    let mut t = vec![i18n::MESSAGES, plain::MESSAGES];
    t.extend(motcua_nsw::message_tables());
    t.extend(motcua_catalog::message_tables());
    t.extend(motcua_dossiers::message_tables());
    t.extend(motcua_handling::message_tables());
    t.extend(motcua_payments::message_tables());
    t.extend(motcua_postal::message_tables());
    t.extend(motcua_stats::message_tables());
    t.extend(motcua_feedback::message_tables());
    t.extend(motcua_content::message_tables());
    t.extend(motcua_sso::message_tables());
    t.extend(motcua_interop::message_tables());
    t
}

/// Every context's open items with legal deadlines, composed once here.
pub fn sla_sources() -> Vec<Arc<dyn motcua_kernel::sla::SlaSource>> {
    let mut all = motcua_nsw::sla_sources();
    all.push(Arc::new(motcua_identity::reports::Sla));
    all
}

/// Every context's periodic tasks for the worker, composed once here.
pub fn periodic(state: &AppState) -> Vec<Arc<dyn motcua_kernel::worker::Periodic>> {
    let mut all = motcua_nsw::periodic(&state.nsw);
    all.push(Arc::new(motcua_identity::housekeeping::Purge));
    all.push(Arc::new(motcua_dossiers::housekeeping::Drafts(
        (*state.dossier_rules).clone(),
    )));
    all.extend(motcua_feedback::periodic());
    all.extend(motcua_sso::periodic(&state.sso));
    all.extend(motcua_interop::periodic(&state.interop));
    if state.post.is_some() {
        all.push(Arc::new(motcua_postal::service::Track(state.postal())));
    }
    if state.platform.is_some() {
        all.push(Arc::new(motcua_payments::jobs::Poll(state.payments())));
        all.push(Arc::new(motcua_payments::jobs::Reconcile(state.payments())));
    }
    all
}

/// Everything a request handler needs; cheap to clone. The contexts'
/// handles are layered (`AppState` → [`NswContext`] → [`IdentityContext`]
/// → [`Core`]) and read through `Deref`, so a handler reads `state.store`
/// and passes `&state` to any context's service.
#[derive(Clone)]
pub struct AppState {
    pub nsw: NswContext,
    /// The contexts' deadline sources ([`sla_sources`]).
    pub sla_sources: Arc<Vec<Arc<dyn motcua_kernel::sla::SlaSource>>>,
    /// Drafts, dossier codes, the cut-off (configuration).
    pub dossier_rules: Arc<motcua_dossiers::Rules>,
    /// The agencies' seals that sign result documents (none: approval is
    /// refused, saying so).
    pub seals: Option<Arc<motcua_pki::seal::Seals>>,
    /// The national payment platform (none: fees are shown, nothing is
    /// paid online).
    pub platform: Option<Arc<motcua_payments::client::Platform>>,
    pub pay_rules: motcua_payments::PayRules,
    /// The public postal operator (none: the postal service is not
    /// offered).
    pub post: Option<Arc<motcua_postal::client::Post>>,
    /// Feedback's deadlines and limits (configuration `[feedback]`).
    pub feedback_rules: Arc<motcua_feedback::Rules>,
    /// The OpenID Provider's lifetimes (configuration `[sso]`).
    pub sso: Arc<motcua_sso::Config>,
    /// The interop API's limits (configuration `[interop]`).
    pub interop: Arc<motcua_interop::Config>,
}

impl AppState {
    /// The state every request shares. Fails only if the webhook HTTP
    /// client cannot be built (its TLS backend) or the identity context
    /// cannot start: a portal must not start with a weaker client.
    pub fn new(
        store: Store,
        config: Settings,
        clock: Arc<dyn Clock>,
        mailer: Mailer,
    ) -> Result<AppState, String> {
        let core = Core::new(store, config, clock, mailer, i18n::catalog())?;
        let identity = IdentityContext::new(core)?;
        Ok(AppState::from_context(NswContext::new(identity)))
    }

    /// The HTTP state over contexts composed elsewhere (the composition
    /// root builds them once, for the CLI and for the server alike).
    pub fn from_context(nsw: NswContext) -> AppState {
        AppState {
            nsw,
            sla_sources: Arc::new(sla_sources()),
            dossier_rules: Arc::new(motcua_dossiers::Rules::default()),
            seals: None,
            platform: None,
            pay_rules: motcua_payments::PayRules::default(),
            post: None,
            feedback_rules: Arc::new(motcua_feedback::Rules::default()),
            sso: Arc::new(motcua_sso::Config::default()),
            interop: Arc::new(motcua_interop::Config::default()),
        }
    }

    /// Replaces feedback's deadlines and limits.
    pub fn with_feedback(mut self, rules: motcua_feedback::Rules) -> AppState {
        self.feedback_rules = Arc::new(rules);
        self
    }

    /// Replaces the OpenID Provider's lifetimes.
    pub fn with_sso(mut self, cfg: motcua_sso::Config) -> AppState {
        self.sso = Arc::new(cfg);
        self
    }

    /// Replaces the interop API's limits.
    pub fn with_interop(mut self, cfg: motcua_interop::Config) -> AppState {
        self.interop = Arc::new(cfg);
        self
    }

    /// Connects the public postal operator.
    pub fn with_postal(mut self, post: Option<motcua_postal::client::Post>) -> AppState {
        self.post = post.map(Arc::new);
        self
    }

    /// The postal context as the pages and the worker use it.
    pub fn postal(&self) -> motcua_postal::Postal {
        motcua_postal::Postal {
            post: self.post.clone(),
        }
    }

    /// Connects the national payment platform.
    pub fn with_payments(
        mut self,
        platform: Option<motcua_payments::client::Platform>,
        rules: motcua_payments::PayRules,
    ) -> AppState {
        self.platform = platform.map(Arc::new);
        self.pay_rules = rules;
        self
    }

    /// The payments context as the pages and the worker use it.
    pub fn payments(&self) -> motcua_payments::Payments {
        motcua_payments::Payments {
            platform: self.platform.clone(),
            rules: self.pay_rules.clone(),
            handling: pages::agency::rules(self),
        }
    }

    /// Replaces the dossiers context's rules.
    pub fn with_dossier_rules(mut self, rules: motcua_dossiers::Rules) -> AppState {
        self.dossier_rules = Arc::new(rules);
        self
    }

    /// Sets the agencies' seals.
    pub fn with_seals(mut self, seals: motcua_pki::seal::Seals) -> AppState {
        self.seals = Some(Arc::new(seals));
        self
    }

    /// Replaces the footer's contact details and the legal documents.
    pub fn with_portal(mut self, portal: motcua_identity::portal::Portal) -> AppState {
        self.nsw.identity_ctx = self.nsw.identity_ctx.with_portal(portal);
        self
    }

    /// Replaces the identity services (trust anchors, levels).
    pub fn with_identity(mut self, identity: motcua_identity::Identity) -> AppState {
        self.nsw.identity_ctx = self.nsw.identity_ctx.with_identity(identity);
        self
    }

    /// The kernel's runtime (for the worker and the outbox loop).
    pub fn core(&self) -> &Core {
        &self.nsw.identity_ctx.core
    }

    /// The `limit` open items with the earliest legal deadlines, earliest
    /// first.
    pub async fn sla_items(
        &self,
        limit: i64,
    ) -> Result<Vec<motcua_kernel::sla::SlaItem>, motcua_kernel::service::ServiceError> {
        motcua_kernel::sla::items(self.core(), &self.sla_sources, limit).await
    }

    /// Per kind of work: (kind, open, overdue now), counted by the database.
    pub async fn sla_counts(
        &self,
    ) -> Result<Vec<(&'static str, i64, i64)>, motcua_kernel::service::ServiceError> {
        motcua_kernel::sla::counts(self.core(), &self.sla_sources, self.now()).await
    }
}

impl std::ops::Deref for AppState {
    type Target = NswContext;

    fn deref(&self) -> &NswContext {
        &self.nsw
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
