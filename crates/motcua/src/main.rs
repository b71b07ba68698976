//! `motcua`: the portal server and its command line.

mod audit_cmd;
mod bench;
mod bench_catalog;
mod bench_dossiers;
mod bench_handling;
mod bench_scale;
mod bench_sso;
mod bench_stats;
mod calendar_cmd;
mod config;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use config::Config;
use motcua_domain::{Clock, Role, SystemClock};
use motcua_identity::service::{self, NewAccountInput, Origin};
use motcua_identity::IdentityContext;
use motcua_kernel::i18n::Catalog;
use motcua_kernel::Core;
use motcua_kernel::Settings as WebConfig;
use motcua_mail::Mailer;
use motcua_nsw::NswContext;
use motcua_store::Store;
use motcua_web::AppState;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "motcua",
    version,
    about = "Motcua — National Public Service Portal and National Single Window"
)]
struct Cli {
    /// Config file (TOML). Default: ./motcua.toml if present.
    #[arg(long, global = true, env = "MOTCUA_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the portal (HTTP server and background worker).
    Serve {
        /// Listen on this address (overrides `listen`; `public_url`
        /// follows unless it is set).
        #[arg(long, value_name = "ADDR:PORT")]
        listen: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Start the portal on SQLite with demo accounts (created if missing).
    Demo {
        /// Listen on this address (overrides `listen`; `public_url`
        /// follows unless it is set).
        #[arg(long, value_name = "ADDR:PORT")]
        listen: Option<String>,
    },
    /// Administration.
    Admin {
        #[command(subcommand)]
        command: Admin,
    },
    /// Configuration helpers.
    Config {
        #[command(subcommand)]
        command: ConfigCmd,
    },
    /// The working-day calendar: show, deadlines, adjustments.
    Calendar {
        #[command(subcommand)]
        command: calendar_cmd::CalendarCmd,
    },
    /// Measure password hashing, login and request rates, and memory.
    Bench(bench::Args),
}

#[derive(Subcommand)]
enum Admin {
    /// Create an account with an initial password (printed), which must be
    /// changed at first login.
    CreateAccount {
        #[arg(long)]
        username: String,
        #[arg(long)]
        full_name: String,
        #[arg(long)]
        email: Option<String>,
        /// citizen, business, declarant, civil_servant, operator or ministry_manager (repeatable)
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        #[arg(long)]
        tax_code: Option<String>,
        #[arg(long)]
        personal_id: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        /// Use this initial password instead of a generated one.
        #[arg(long, env = "MOTCUA_INITIAL_PASSWORD")]
        initial_password: Option<String>,
    },
    /// Lock an account (its sessions end at once).
    Lock {
        username: String,
        #[arg(long)]
        reason: String,
    },
    /// Unlock an account (also lifts a failed-login lock).
    Unlock {
        username: String,
        #[arg(long)]
        reason: String,
    },
    /// Check the audit log's chain with the audit keys and against the
    /// signed checkpoints; exit code 1 if anything is wrong.
    VerifyAudit {
        /// A checkpoint file to check against (repeatable; one per node).
        /// Default: this node's `[audit] checkpoint_file`.
        #[arg(long = "checkpoints")]
        checkpoints: Vec<PathBuf>,
    },
    /// Append a signed checkpoint of the audit chain's head to this node's
    /// checkpoint file now (`serve` does it every
    /// `[audit] checkpoint_interval_seconds` and at shutdown).
    AuditCheckpoint,
    /// Delete the blobs (documents, notices) that no database row names and
    /// that were last written more than `--grace-hours` ago; prints what it
    /// kept and deleted. Safe beside running nodes (docs/OPERATIONS.md).
    BlobsGc {
        /// Keep unreferenced blobs younger than this (an upload still in
        /// its transaction is young).
        #[arg(long, default_value_t = 24)]
        grace_hours: u32,
    },
    /// Import procedures in the national exchange format (a JSON array of
    /// records; docs/CATALOG.md), all or nothing: every problem is printed
    /// with its record and field, and exit code 1 means nothing was stored.
    CatalogImport {
        file: PathBuf,
        /// Store changed records as drafts instead of publishing them.
        #[arg(long)]
        draft: bool,
    },
    /// Print every published procedure in the national exchange format
    /// (what `catalog-import` reads back unchanged).
    CatalogExport,
    /// Load the demo catalog: real procedures, agencies, life events.
    CatalogSeed,
}

#[derive(Subcommand)]
enum ConfigCmd {
    /// Print a fully commented config file with the defaults.
    Example,
}

fn init_logs(cfg: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MOTCUA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&cfg.log_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if cfg.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

pub async fn open_store(cfg: &Config) -> Result<Store> {
    audit_cmd::install_keys(cfg)?;
    let store = Store::connect(&cfg.database.url, cfg.database.max_connections).await?;
    store.migrate().await?;
    Ok(store)
}

pub fn web_config(cfg: &Config) -> Result<WebConfig> {
    Ok(WebConfig {
        public_url: cfg.public_url.trim_end_matches('/').to_string(),
        secret_key: cfg.secret_key()?,
        session_idle_minutes: cfg.session.idle_minutes,
        session_max_hours: cfg.session.max_hours,
        initial_password_days: cfg.security.initial_password_days,
        reset_link_minutes: cfg.security.reset_link_minutes,
        max_body_bytes: cfg.security.max_body_bytes,
        max_upload_bytes: cfg.security.max_upload_bytes,
        argon2: motcua_kernel::settings::Argon2Params {
            memory_kib: cfg.security.argon2_memory_kib,
            iterations: cfg.security.argon2_iterations,
            parallelism: cfg.security.argon2_parallelism,
        },
        trusted_proxies: cfg.security.trusted_proxies()?,
        metrics_token: Some(cfg.metrics.bearer_token.0.clone()).filter(|t| !t.is_empty()),
        operator_email: Some(cfg.mail.operator_email.clone()).filter(|s| !s.is_empty()),
        mail_max_attempts: cfg.mail.max_attempts,
        events: motcua_kernel::outbox::EventsConfig {
            horizon_ms: cfg.events.retry_horizon_hours * 3_600_000,
            first_backoff_ms: cfg.events.first_backoff_secs * 1000,
            max_backoff_ms: cfg.events.max_backoff_secs * 1000,
            timeout_ms: cfg.events.timeout_secs * 1000,
            batch: cfg.events.batch,
        },
        working_hours: cfg.calendar.working_hours()?,
        blobs: cfg.blob_settings()?,
        sms: cfg.sms_settings()?,
    })
}

pub fn mailer(cfg: &Config) -> Result<Mailer> {
    Ok(match cfg.mail.transport.as_str() {
        "smtp" => Mailer::smtp(&cfg.smtp()?, &cfg.mail.from)?,
        _ => Mailer::file(&cfg.mail.file_dir, &cfg.mail.from)?,
    })
}

/// The identity services of `[identity]`, with the download folder's default.
fn identity(cfg: &Config) -> Result<motcua_identity::Identity> {
    let mut identity = motcua_identity::Identity::from_config(&cfg.identity)
        .map_err(|e| anyhow::anyhow!("[identity]: {e}"))?;
    identity.signer_download_dir = Some(cfg.signer_download_dir());
    Ok(identity)
}

/// The business contexts of a configuration, composed without HTTP: what
/// the CLI's admin commands call. Their errors and mails are rendered from
/// `catalog`.
pub async fn contexts(cfg: &Config, catalog: Catalog) -> Result<NswContext> {
    let store = open_store(cfg).await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let identity = identity(cfg)?;
    if cfg.identity.captcha_reveal_for_tests {
        tracing::warn!("identity.captcha_reveal_for_tests is ON: captchas are readable — tests only, never in production");
    }
    let portal = motcua_identity::portal::Portal::from_config(&cfg.portal)
        .map_err(|e| anyhow::anyhow!("[portal]: {e}"))?;
    let core = Core::new(store, web_config(cfg)?, clock, mailer(cfg)?, catalog)
        .map_err(|e| anyhow::anyhow!(e))?;
    let identity_ctx = IdentityContext::new(core)
        .map_err(|e| anyhow::anyhow!(e))?
        .with_identity(identity)
        .with_portal(portal);
    Ok(NswContext::new(identity_ctx))
}

/// The contexts without the web crate's page messages (admin commands).
pub async fn cli_contexts(cfg: &Config) -> Result<NswContext> {
    contexts(cfg, Catalog::from_tables(&message_tables())).await
}

/// The contexts with every page message, as the HTTP server's state. A
/// server proves its blob store writable before it takes requests and
/// moves the documents written before the blob store out of the database
/// (issue #6; idempotent, so every start checks). CLI commands do
/// neither: documents are read from either place, and `admin blobs-gc`
/// meets an unusable store on its own.
pub async fn app_state(cfg: &Config) -> Result<AppState> {
    let nsw = contexts(cfg, motcua_web::i18n::catalog()).await?;
    nsw.blobs
        .check()
        .await
        .map_err(|e| anyhow::anyhow!("the blob store ({}) is not usable: {e}", nsw.blobs.kind()))?;
    let moved = motcua_kernel::blobs::move_out_of_database(&nsw.store, &nsw.blobs, 100)
        .await
        .map_err(|e| anyhow::anyhow!("moving documents to the blob store: {e}"))?;
    if moved > 0 {
        tracing::info!(
            moved,
            store = nsw.blobs.kind(),
            "documents moved out of the database to the blob store"
        );
    }
    let state = AppState::from_context(nsw)
        .with_payments(
            cfg.payments.platform(&cfg.public_url)?,
            cfg.payments.rules(),
        )
        .with_postal(cfg.postal.post(&cfg.public_url)?)
        .with_feedback(cfg.feedback.clone())
        .with_sso(cfg.sso.clone())
        .with_interop(cfg.interop.clone());
    if cfg.seal.module.as_os_str().is_empty() {
        return Ok(state);
    }
    let seals = motcua_pki::seal::Seals::pkcs11(&cfg.seal.module, &cfg.seal.token, &cfg.seal.pin.0)
        .map_err(|e| anyhow::anyhow!("[seal]: {e}"))?;
    tracing::info!(seals = ?seals.labels().collect::<Vec<_>>(), "agencies' seals on the PKCS#11 token");
    Ok(state.with_seals(seals))
}

/// The demo's seal when none is configured: a key on a SoftHSM2 token of
/// its own where SoftHSM2 is installed, else a software key in
/// `data_dir/seal` (the demo only; never outside it).
fn demo_seals(cfg: &Config, now: motcua_domain::Millis) -> Result<motcua_pki::seal::Seals> {
    let dir = cfg.data_dir.join("seal");
    std::fs::create_dir_all(&dir)?;
    if motcua_pki::softhsm::missing().is_none() {
        let (seals, _) = motcua_pki::seal::softhsm_seals(&dir, now)
            .map_err(|e| anyhow::anyhow!("demo seal token: {e}"))?;
        println!(
            "Agencies' seal: a SoftHSM2 token \"MOTCUA SEAL\" (PIN 1234) in {}",
            dir.display()
        );
        return Ok(seals);
    }
    let (key, chain) = (dir.join("seal-key.pem"), dir.join("seal-chain.pem"));
    if !key.exists() || !chain.exists() {
        let ca = motcua_pki::testca::make(
            motcua_pki::testca::ca_template("Motcua Demo Seal CA", now),
            None,
        )?;
        let leaf = motcua_pki::testca::make(
            motcua_pki::testca::leaf_template("Ủy ban nhân dân (con dấu điện tử demo)", now),
            Some(&ca),
        )?;
        std::fs::write(&key, leaf.key_pem())?;
        std::fs::write(
            &chain,
            format!(
                "{}{}",
                motcua_pki::cert::to_pem(leaf.der()),
                motcua_pki::cert::to_pem(ca.der())
            ),
        )?;
    }
    println!(
        "Agencies' seal: a software key in {} (SoftHSM2 not installed)",
        dir.display()
    );
    Ok(motcua_pki::seal::Seals::software(
        &std::fs::read_to_string(&key)?,
        &std::fs::read_to_string(&chain)?,
    )?)
}

async fn shutdown_signal(tx: tokio::sync::watch::Sender<bool>) {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    let _ = tx.send(true);
}

/// Binds the listen address before anything else starts, so that
/// `public_url`, when it follows `listen`, names the real port (also for
/// port 0).
fn bind(cfg: &mut Config) -> Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(&cfg.listen)
        .with_context(|| format!("cannot listen on {}", cfg.listen))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    if cfg.listen.parse::<std::net::SocketAddr>().map(|a| a.port()) == Ok(0) {
        cfg.set_listen(&addr.to_string())?;
    }
    Ok(listener)
}

async fn serve(cfg: &Config, listener: std::net::TcpListener, state: AppState) -> Result<()> {
    serve_with(cfg, listener, state, None).await
}

/// Serves the portal; `extra` routes (the demo's stand-ins for outside
/// services) are mounted beside it, outside its CSRF and page layers.
async fn serve_with(
    cfg: &Config,
    listener: std::net::TcpListener,
    state: AppState,
    extra: Option<axum::Router>,
) -> Result<()> {
    let listener = tokio::net::TcpListener::from_std(listener)
        .with_context(|| format!("cannot listen on {}", cfg.listen))?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::watch::channel(false);
    let worker_id = format!("{}-{}", hostname(), std::process::id());
    let worker = tokio::spawn(motcua_kernel::worker::run(
        state.core().clone(),
        worker_id.clone(),
        Duration::from_secs(2),
        rx.clone(),
        motcua_web::periodic(&state),
    ));
    let deliverer = tokio::spawn(motcua_kernel::outbox::run(
        state.core().clone(),
        worker_id,
        Duration::from_secs(2),
        rx.clone(),
    ));
    let (keys, key_source) = audit_cmd::install_keys(cfg)?;
    audit_cmd::warn_if_generated(&key_source);
    let checkpointer = tokio::spawn(
        audit_cmd::Checkpointer::new(cfg, state.store.clone(), keys).run(
            state.clock.clone(),
            Duration::from_secs(cfg.audit.checkpoint_interval_seconds),
            rx.clone(),
        ),
    );
    tracing::info!(database = %motcua_store::redact_url(&cfg.database.url), backend = state.store.backend().name(), mail = %state.mailer.describe(), "Motcua starting");
    println!("Motcua listening on http://{addr}");
    if cfg.public_url.trim_end_matches('/') != format!("http://{addr}") {
        println!("Public URL (links in pages and mail): {}", cfg.public_url);
    }
    let mut app = motcua_web::router(state.clone());
    if let Some(extra) = extra {
        app = app.merge(extra);
    }
    let admin = if cfg.metrics.listen.is_empty() {
        None
    } else {
        let l = tokio::net::TcpListener::bind(&cfg.metrics.listen)
            .await
            .with_context(|| format!("cannot listen on {} (metrics.listen)", cfg.metrics.listen))?;
        println!("Metrics on http://{}/metrics", l.local_addr()?);
        let mut stop = rx.clone();
        let app = motcua_web::admin_router(state.clone());
        Some(tokio::spawn(async move {
            let _ = axum::serve(l, app)
                .with_graceful_shutdown(async move {
                    let _ = stop.changed().await;
                })
                .await;
        }))
    };
    let mut rx2 = rx.clone();
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        tokio::select! {
            _ = shutdown_signal(tx) => {}
            _ = rx2.changed() => {}
        }
    })
    .await?;
    let _ = worker.await;
    let _ = deliverer.await;
    if let Some(admin) = admin {
        admin.abort();
    }
    // The last checkpoint, after every task that appends has stopped.
    if let Ok(checkpointer) = checkpointer.await {
        checkpointer.last_one(state.now()).await;
    }
    state.store.close().await;
    Ok(())
}

/// 32 random hex characters (demo secrets).
fn hex_token() -> String {
    use rand::Rng;
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "node".into())
}

async fn find(core: &Core, username: &str) -> Result<motcua_identity::Account> {
    match motcua_identity::queries::account_by_username(core, username).await? {
        Some(a) => Ok(a),
        None => bail!("no account with username '{username}'"),
    }
}

fn parse_roles(roles: &[String]) -> Result<Vec<Role>> {
    roles
        .iter()
        .flat_map(|r| r.split(','))
        .map(|r| Role::parse(r).map_err(|_| anyhow::anyhow!("unknown role '{r}': use citizen, business, declarant, civil_servant, operator or ministry_manager")))
        .collect()
}

/// A service error for the terminal: the English text of its message key.
pub fn service_err(e: service::ServiceError) -> anyhow::Error {
    match e {
        service::ServiceError::Internal(m) => anyhow::anyhow!(m),
        other => {
            let key = other.message_key();
            let cat = Catalog::from_tables(&message_tables());
            anyhow::anyhow!("{} ({key})", cat.get(motcua_mail::Locale::En, key))
        }
    }
}

async fn admin(cfg: &Config, cmd: Admin) -> Result<i32> {
    let state = cli_contexts(cfg).await?;
    let origin = Origin::cli();
    match cmd {
        Admin::CreateAccount {
            username,
            full_name,
            email,
            roles,
            tax_code,
            personal_id,
            phone,
            initial_password,
        } => {
            let input = NewAccountInput {
                username,
                full_name,
                email,
                phone,
                tax_code,
                personal_id,
                roles: parse_roles(&roles)?,
                initial_password,
                locale: None,
                permanent: false,
            };
            let (id, password) = service::create_account(&state, &origin, input)
                .await
                .map_err(service_err)?;
            let a = motcua_identity::queries::account(&state, id).await?;
            let username = a.map(|a| a.username).unwrap_or_default();
            println!("created account {id}: {username}");
            println!("initial password: {password}");
            println!(
                "(valid {} days; must be changed at first login)",
                cfg.security.initial_password_days
            );
        }
        Admin::Lock { username, reason } => {
            let a = find(&state, &username).await?;
            service::lock_account(&state, &origin, a.id, &reason)
                .await
                .map_err(service_err)?;
            motcua_kernel::worker::drain(&state).await?;
            println!("locked {username}");
        }
        Admin::Unlock { username, reason } => {
            let a = find(&state, &username).await?;
            service::unlock_account(&state, &origin, a.id, &reason)
                .await
                .map_err(service_err)?;
            println!("unlocked {username}");
        }
        Admin::VerifyAudit { checkpoints } => {
            let code = audit_cmd::verify(cfg, &state.store, checkpoints).await?;
            state.store.close().await;
            return Ok(code);
        }
        Admin::AuditCheckpoint => {
            audit_cmd::checkpoint_now(cfg, state.store.clone(), state.now()).await?;
        }
        Admin::CatalogImport { file, draft } => {
            let json = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let r = motcua_catalog::service::import(&state, &origin, &json, !draft)
                .await
                .map_err(service_err)?;
            if !catalog_outcome(&r) {
                state.store.close().await;
                return Ok(1);
            }
        }
        Admin::CatalogExport => {
            let json = motcua_catalog::service::export(&state)
                .await
                .map_err(service_err)?;
            println!("{json}");
        }
        Admin::CatalogSeed => {
            let r = motcua_catalog::seed::load(&state, &origin)
                .await
                .map_err(service_err)?;
            if !catalog_outcome(&r) {
                state.store.close().await;
                return Ok(1);
            }
            let forms = motcua_dossiers::seed_forms(&state, &origin)
                .await
                .map_err(service_err)?;
            println!("e-forms: {forms} published");
        }
        Admin::BlobsGc { grace_hours } => {
            let older_than = state.now() - i64::from(grace_hours) * motcua_domain::HOUR;
            let r = motcua_kernel::blobs::collect_garbage(&state.store, &state.blobs, older_than)
                .await
                .map_err(service_err)?;
            println!(
                "blobs: {} scanned, {} referenced, {} unreferenced but younger than {grace_hours} h (kept), {} deleted, {} foreign objects left alone",
                r.scanned, r.referenced, r.young, r.deleted, r.foreign
            );
        }
    }
    state.store.close().await;
    Ok(0)
}

/// Prints what an import did (every problem, in English); whether it
/// stored the records.
fn catalog_outcome(r: &motcua_catalog::service::ImportOutcome) -> bool {
    use motcua_catalog::service::ImportOutcome;
    match r {
        ImportOutcome::Imported { created, unchanged } => {
            println!("catalog: {created} new versions, {unchanged} unchanged");
            true
        }
        ImportOutcome::Refused(problems) => {
            let cat = Catalog::from_tables(&message_tables());
            eprintln!("catalog: nothing imported; {} problems:", problems.len());
            for p in problems {
                eprintln!(
                    "  record {} {} {}: {}{}",
                    p.index,
                    p.code,
                    p.path,
                    cat.get(motcua_mail::Locale::En, p.key),
                    if p.detail.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", p.detail)
                    }
                );
            }
            false
        }
    }
}

/// Every context's messages, for the CLI.
fn message_tables() -> Vec<&'static [motcua_kernel::i18n::Message]> {
    let mut t = motcua_nsw::message_tables();
    t.extend(motcua_catalog::message_tables());
    t
}

pub const DEMO_ACCOUNTS: &[(&str, &str, &str, &str, &str)] = &[
    // username, full name, email, roles, password
    (
        "operator",
        "Trần Thị Quản Trị",
        "operator@demo.motcua.localhost",
        "operator",
        "Quan-Tri-Cong-2026",
    ),
    (
        "nguyenvanan",
        "Nguyễn Văn An",
        "an.nguyen@demo.motcua.localhost",
        "citizen",
        "Demo-Citizen-2026",
    ),
    (
        "cty.hoaphat",
        "Công ty TNHH Thương mại Hòa Phát Demo",
        "ketoan@demo.motcua.localhost",
        "business,declarant",
        "Demo-Business-2026",
    ),
    (
        "cb.bocongthuong",
        "Lê Minh Đức",
        "duc.le@demo.motcua.localhost",
        "civil_servant",
        "Demo-Servant-2026",
    ),
    (
        "mc.hoankiem",
        "Phạm Thu Trang",
        "trang.pham@demo.motcua.localhost",
        "civil_servant",
        "Demo-OneStop-2026",
    ),
    (
        "tp.hoankiem",
        "Vũ Đức Minh",
        "minh.vu@demo.motcua.localhost",
        "civil_servant",
        "Demo-Handler-2026",
    ),
    (
        "vp.hoankiem",
        "Đỗ Thị Lan",
        "lan.do@demo.motcua.localhost",
        "civil_servant",
        "Demo-Office-2026",
    ),
];

/// The demo's back office (issue #9): UBND phường Hoàn Kiếm (the agency of
/// the demo's birth registration and other ward procedures) gets its
/// one-stop unit, justice department and office; `mc.hoankiem` receives
/// and returns, `tp.hoankiem` handles and approves (and manages the
/// agency's people), `vp.hoankiem` handles and approves in the office
/// (a dossier transferred there). Unchanged on a second start.
/// The demo's birth registration procedure and its result's text.
const BIRTH: &str = "1.001193";
const BIRTH_RESULT: &str = "Ủy ban nhân dân phường Hoàn Kiếm đã đăng ký khai sinh cho:
Họ, chữ đệm, tên: {child_name}
Giới tính: {child_sex}
Ngày, tháng, năm sinh: {child_birthdate}
Nơi sinh: {child_birthplace}
Dân tộc: {child_ethnicity}    Quốc tịch: {child_nationality}
Họ, chữ đệm, tên người mẹ: {mother_name}
Người đi đăng ký khai sinh: {full_name}";

/// The demo's procedure with a fee schedule, and its schedule.
const RESIDENCE: &str = "1.004222";
const RESIDENCE_FEES: &str = r#"{"lines": [
  {"key": "le_phi_truc_tuyen", "kind": "charge", "name": "Lệ phí đăng ký cư trú (nộp trực tuyến)", "amount": 10000, "channels": [2], "timing": "before", "legal_basis": "Thông tư 75/2022/TT-BTC"},
  {"key": "le_phi_truc_tiep", "kind": "charge", "name": "Lệ phí đăng ký cư trú", "amount": 20000, "channels": [1, 3], "timing": "before", "legal_basis": "Thông tư 75/2022/TT-BTC"}
]}"#;

async fn demo_back_office(state: &AppState) -> Result<()> {
    use motcua_handling::people;
    const AGENCY: &str = "H29.P01";
    let op = people::Staff {
        account_id: 0,
        operator: true,
        memberships: Vec::new(),
    };
    let origin = Origin::cli();
    // Each unit once, with its people's roles when it is made (a demo
    // database from an earlier version gets the units it lacks).
    // (unit code, name, kind, [(login, role)])
    type UnitPlan<'a> = (&'a str, &'a str, &'a str, &'a [(&'a str, &'a str)]);
    let plan: [UnitPlan; 3] = [
        (
            "MC",
            "Bộ phận Một cửa phường Hoàn Kiếm",
            "one_stop",
            &[("mc.hoankiem", "receiver"), ("mc.hoankiem", "returner")],
        ),
        (
            "TP",
            "Công chức Tư pháp - Hộ tịch",
            "department",
            &[
                ("tp.hoankiem", "handler"),
                ("tp.hoankiem", "approver"),
                ("tp.hoankiem", "admin"),
            ],
        ),
        (
            "VP",
            "Văn phòng HĐND - UBND phường",
            "department",
            &[("vp.hoankiem", "handler"), ("vp.hoankiem", "approver")],
        ),
    ];
    // Birth registration's usual result, an extract of the birth
    // register, as its workflow's template (issue #9 §3).
    if motcua_handling::workflows::versions(state, BIRTH)
        .await
        .map_err(service_err)?
        .is_empty()
    {
        let mut d = motcua_handling::workflow::Definition::standard();
        d.result = Some(motcua_handling::workflow::ResultTemplate {
            title: "Trích lục khai sinh".into(),
            text: BIRTH_RESULT.into(),
        });
        let text = serde_json::to_string_pretty(&d)?;
        motcua_handling::workflows::publish(state, &origin, BIRTH, &text)
            .await
            .map_err(service_err)?;
    }
    // Permanent residence registration owes a charge before processing
    // (Circular 75/2022/TT-BTC): 10,000 đ online, 20,000 đ otherwise.
    if motcua_catalog::fees::versions(state, RESIDENCE)
        .await
        .map_err(service_err)?
        .is_empty()
    {
        motcua_catalog::fees::publish(state, &origin, RESIDENCE, RESIDENCE_FEES, "demo")
            .await
            .map_err(service_err)?;
    }
    let units = people::units(state, AGENCY).await.map_err(service_err)?;
    for (code, name, kind, roles) in plan {
        if units.iter().any(|u| u.code == code) {
            continue;
        }
        let unit = people::add_unit(state, &origin, &op, AGENCY, code, name, kind)
            .await
            .map_err(service_err)?;
        for (username, role) in roles {
            people::grant(state, &origin, &op, unit, username, role)
                .await
                .map_err(service_err)?;
        }
    }
    // The ward's directory (issue #11 §4): fictional people of the demo.
    if motcua_catalog::queries::officials(state, AGENCY)
        .await
        .map_err(service_err)?
        .is_empty()
    {
        for (position, name, phone, email, sort) in [
            (
                "Chủ tịch UBND phường",
                "Nguyễn Văn Demo",
                "024 3825 0000",
                "",
                "1",
            ),
            (
                "Trưởng Bộ phận Một cửa",
                "Phạm Thu Trang",
                "024 3825 0001",
                "motcua.hoankiem@demo.motcua.localhost",
                "2",
            ),
        ] {
            let o = motcua_catalog::service::NewOfficial {
                position: position.into(),
                full_name: name.into(),
                phone: phone.into(),
                email: email.into(),
                sort: sort.into(),
            };
            motcua_catalog::service::add_official(state, &origin, AGENCY, &o)
                .await
                .map_err(service_err)?;
        }
    }
    Ok(())
}

async fn demo(cfg: &Config, listener: std::net::TcpListener) -> Result<()> {
    let mut cfg = cfg.clone();
    cfg.portal.fill_demo();
    let cfg = &cfg;
    if !cfg.database.url.starts_with("sqlite://") {
        bail!(
            "demo runs on SQLite only (database.url = {})",
            motcua_store::redact_url(&cfg.database.url)
        );
    }
    let mut state = app_state(cfg).await?;
    if state.seals.is_none() {
        let now = state.now();
        state = state.with_seals(demo_seals(cfg, now)?);
    }
    for (username, name, email, roles, password) in DEMO_ACCOUNTS {
        let existing = motcua_identity::queries::account_by_username(&state, username).await?;
        if existing.is_some() {
            continue;
        }
        let input = NewAccountInput {
            username: username.to_string(),
            full_name: name.to_string(),
            email: Some(email.to_string()),
            roles: parse_roles(&[roles.to_string()])?,
            initial_password: Some(password.to_string()),
            tax_code: (*roles)
                .contains("business")
                .then(|| "0100109106".to_string()),
            // The civil servant shows the first-login flow; the others are
            // ready to use.
            permanent: *username != "cb.bocongthuong",
            ..Default::default()
        };
        service::create_account(&state, &Origin::cli(), input)
            .await
            .map_err(service_err)?;
    }
    // The demo catalog (real procedures); unchanged on a second start.
    let seeded = motcua_catalog::seed::load(&state, &Origin::cli())
        .await
        .map_err(service_err)?;
    if !catalog_outcome(&seeded) {
        bail!("the demo catalog did not load");
    }
    motcua_dossiers::seed_forms(&state, &Origin::cli())
        .await
        .map_err(service_err)?;
    demo_back_office(&state).await?;
    motcua_content::seed::load(&state, &Origin::cli())
        .await
        .map_err(service_err)?;
    println!();
    println!("Motcua demo — {}", cfg.public_url);
    println!("Demo accounts (cb.bocongthuong has an initial password and must change it at first login):");
    for (username, name, _, roles, password) in DEMO_ACCOUNTS {
        println!("  {username:<18} {password:<20} {roles:<20} {name}");
    }
    println!(
        "Mail is written to {}/ as .eml files.",
        cfg.mail.file_dir.display()
    );
    println!(
        "Try: {}/procedures (the procedure catalog), {}/register/declarant (declarant registration), then the operator's",
        cfg.public_url, cfg.public_url
    );
    println!(
        "     console: /console/registrations, /console/sla, /console/calendar, /console/systems, /console/workflows."
    );
    println!(
        "Back office: a dossier of UBND phường Hoàn Kiếm (e.g. birth registration, /procedures/1.001193) is received by"
    );
    println!(
        "     mc.hoankiem and handled by tp.hoankiem at /agency; anyone looks it up at /lookup with the receipt's key."
    );
    let downloads = cfg.signer_download_dir();
    let _ = std::fs::create_dir_all(&downloads);
    println!(
        "Signing-tool packages in {} are offered at {}/downloads/motcua-signer (build one: cargo deb -p motcua-signer, see docs/SIGNER.md).",
        downloads.display(),
        cfg.public_url
    );
    let (state, extra) = demo_identity(cfg, state).await?;
    println!();
    serve_with(cfg, listener, state, Some(extra)).await
}

/// The demo's digital identity: a development PKI (keys kept in
/// `data_dir/demo-pki`, CRL and OCSP served by the portal at `/dev-pki`),
/// a business and a personal certificate, and — when SoftHSM2 is
/// installed — a soft token holding both for the signing tool.
async fn demo_identity(cfg: &Config, state: AppState) -> Result<(AppState, axum::Router)> {
    use motcua_pki::testca::{KeyAlg, LeafSpec, TestPki};
    let now = SystemClock.now();
    let dir = cfg.data_dir.join("demo-pki");
    let base = format!("{}/dev-pki", cfg.public_url.trim_end_matches('/'));
    let pki = Arc::new(
        TestPki::create(now, KeyAlg::P256, &base, Some(&dir))
            .map_err(|e| anyhow::anyhow!("demo PKI: {e}"))?,
    );
    let mut leaves = Vec::new();
    // Leaves kept from an earlier run at another address name that
    // address's CRL and OCSP URLs: they are issued again for this one
    // (same key and serial number, so registrations still match).
    let mut reissued = false;
    for (name, spec) in [
        (
            "business",
            LeafSpec::organization("Công ty TNHH Demo Sao Mai", "0101234565", now),
        ),
        (
            "person",
            LeafSpec::person("Trần Văn Bảo", "001089001234", now),
        ),
    ] {
        let der_path = dir.join(format!("{name}.der"));
        let key_path = dir.join(format!("{name}.key.pem"));
        let kept = match (std::fs::read(&der_path), std::fs::read_to_string(&key_path)) {
            (Ok(der), Ok(key)) => motcua_pki::Certificate::from_der(&der)
                .ok()
                .map(|cert| (cert, key)),
            _ => None,
        };
        let leaf = match kept {
            Some((cert, key)) if pki.serves(&cert) => {
                leaves.push((name, cert.der, key));
                continue;
            }
            Some((cert, key)) => {
                reissued = true;
                pki.reissue(&spec, &cert, &key)
            }
            None => pki.issue(&spec),
        }
        .map_err(|e| anyhow::anyhow!("demo certificate: {e}"))?;
        std::fs::write(&der_path, leaf.der())?;
        std::fs::write(&key_path, leaf.key_pem())?;
        std::fs::write(
            dir.join(format!("{name}.pem")),
            motcua_pki::cert::to_pem(leaf.der()),
        )?;
        let (der, key) = (leaf.der().to_vec(), leaf.key_pem());
        leaves.push((name, der, key));
    }
    std::fs::write(
        dir.join("root.pem"),
        motcua_pki::cert::to_pem(&pki.root.cert.der),
    )?;
    if reissued {
        println!("Demo certificates issued again for {base} (same keys and serial numbers).");
    }
    let mut identity = identity(cfg)?;
    identity
        .verifier
        .trust
        .add_anchor(pki.root.cert.clone())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    identity
        .verifier
        .trust
        .add_intermediate(pki.ca.cert.clone());

    // SIM signature: the provider simulator at /dev-mss, one subscriber
    // whose SIM holds the personal certificate.
    let public = cfg.public_url.trim_end_matches('/').to_string();
    let sim = motcua_pki::mss_sim::Simulator::new();
    if let Some((_, der, key)) = leaves.iter().find(|(n, _, _)| *n == "person") {
        let person = motcua_pki::testca::Issued::from_parts(der, key)
            .map_err(|e| anyhow::anyhow!("demo SIM: {e}"))?;
        sim.add_subscriber("0912345678", "1234", &person)
            .map_err(|e| anyhow::anyhow!("demo SIM: {e}"))?;
    }
    let mss = sim.client_config(&format!("{public}/dev-mss"));
    identity.sim = Some(
        motcua_identity::SimConfig {
            endpoint: mss.endpoint.clone(),
            ap_id: mss.ap_id.clone(),
            ap_password: mss.ap_password.clone(),
            mssp_id: mss.mssp_id.clone(),
            ..Default::default()
        }
        .client()
        .map_err(|e| anyhow::anyhow!(e))?,
    );

    // National e-ID: the development OpenID Provider at /dev-eid.
    let eid_secret = hex_token();
    let devop = motcua_oidc::devop::DevOp::new(
        motcua_oidc::devop::DevOpConfig::new(
            format!("{public}/dev-eid"),
            motcua_oidc::devop::DevClient {
                client_id: "motcua-demo".into(),
                client_secret: eid_secret.clone(),
                redirect_uris: vec![format!("{public}/auth/eid/callback")],
            },
            motcua_oidc::devop::demo_identities(),
        ),
        Arc::new(SystemClock),
    )
    .map_err(|e| anyhow::anyhow!("demo e-ID: {e}"))?;
    let mut acr_map = std::collections::BTreeMap::new();
    acr_map.insert(
        motcua_oidc::devop::ACR_LEVEL_1.to_string(),
        "eid_l1".to_string(),
    );
    acr_map.insert(
        motcua_oidc::devop::ACR_LEVEL_2.to_string(),
        "eid_l2".to_string(),
    );
    acr_map.insert(
        motcua_oidc::devop::ACR_ORGANISATION.to_string(),
        "eid_org".to_string(),
    );
    identity.eid_config = Some(motcua_identity::eid::EidConfig {
        issuer: format!("{public}/dev-eid"),
        client_id: "motcua-demo".into(),
        client_secret: eid_secret,
        acr_map,
        ..Default::default()
    });
    let mut state = state.with_identity(identity);

    println!(
        "Digital identity (development PKI in {}, never trusted outside the demo):",
        dir.display()
    );
    println!("  business certificate: Công ty TNHH Demo Sao Mai, MST 0101234565");
    println!("  personal certificate: Trần Văn Bảo, CCCD 001089001234");
    let origin = motcua_identity::token::portal_origin(&state);
    match motcua_pki::softhsm::missing() {
        None => {
            let token_dir = cfg.data_dir.join("softhsm");
            let conf = token_dir.join("softhsm2.conf");
            let module = motcua_pki::softhsm::module().unwrap_or_default();
            if reissued && conf.exists() {
                // The token holds the old certificates: made again below.
                std::fs::remove_dir_all(&token_dir)?;
            }
            if !conf.exists() {
                let token =
                    motcua_pki::softhsm::SoftToken::create(&token_dir, "MOTCUA DEMO", "1234")
                        .map_err(|e| anyhow::anyhow!("demo token: {e}"))?;
                for (i, (name, der, key)) in leaves.iter().enumerate() {
                    token
                        .put(name, &format!("{:02}", i + 1), key, der)
                        .map_err(|e| anyhow::anyhow!("demo token: {e}"))?;
                }
            }
            println!(
                "  a SoftHSM2 token \"MOTCUA DEMO\" (PIN 1234) holds both. Start the signing tool:"
            );
            println!(
                "    SOFTHSM2_CONF={} cargo run -p motcua-signer -- --module {} --allow-origin {origin}",
                conf.display(),
                module.display()
            );
        }
        Some(what) => {
            println!("  no demo token: {what} is not installed (apt-get install softhsm2 opensc).");
            println!(
                "  The keys are in {} for a token of your own; then:",
                dir.display()
            );
            println!("    cargo run -p motcua-signer -- --module <your PKCS#11 module> --allow-origin {origin}");
        }
    }
    println!("  SIM signature (provider simulator): phone 0912345678, PIN 1234; the phone is {public}/dev-mss/phone/84912345678");
    println!("  national e-ID (development provider at {public}/dev-eid): /login → \"Đăng nhập bằng … VNeID\"");
    println!("Try: {}/auth/token?purpose=register (register with the token), /auth/sim, /account/data, /account/certificates.", cfg.public_url);
    // Keep the development CRLs fresh while the demo runs.
    let refresher = pki.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(6 * 3600)).await;
            let _ = refresher.refresh(SystemClock.now());
        }
    });
    // National payment platform: the simulator at /dev-paygov unless a
    // platform is configured.
    let paygov = motcua_payments::sim::Simulator::new(&format!("{public}/dev-paygov"));
    if state.platform.is_none() {
        let mut pay_cfg = cfg.payments.clone();
        pay_cfg.base_url = format!("{public}/dev-paygov");
        pay_cfg.partner_code = motcua_payments::sim::DEMO_PARTNER.into();
        pay_cfg.secret = config::Secret(motcua_payments::sim::DEMO_SECRET.into());
        state = state.with_payments(pay_cfg.platform(&cfg.public_url)?, cfg.payments.rules());
        println!("  Payments (platform simulator): the bank page offers every outcome; pending transactions at {public}/dev-paygov/admin");
    }
    // Public postal service: the operator's simulator at /dev-post unless
    // one is configured.
    let post_sim = motcua_postal::sim::Simulator::new(&format!("{public}/dev-post"));
    if state.post.is_none() {
        let post_cfg = config::PostalCfg {
            base_url: format!("{public}/dev-post"),
            api_key: config::Secret(motcua_postal::sim::DEMO_API_KEY.into()),
            webhook_secret: config::Secret(motcua_postal::sim::DEMO_WEBHOOK_SECRET.into()),
        };
        state = state.with_postal(post_cfg.post(&cfg.public_url)?);
        println!("  Postal service (operator simulator): parcels at {public}/dev-post/parcels");
    }
    let extra = axum::Router::new()
        .nest("/dev-post", post_sim.router())
        .nest("/dev-paygov", paygov.router())
        .nest("/dev-pki", pki.router())
        .nest("/dev-mss", sim.router())
        .nest("/dev-eid", devop.router());
    Ok((state, extra))
}

fn main() {
    let cli = Cli::parse();
    if let Command::Config {
        command: ConfigCmd::Example,
    } = cli.command
    {
        print!("{}", config::EXAMPLE);
        return;
    }
    let listen = match &cli.command {
        Command::Serve { listen } | Command::Demo { listen } => listen.clone(),
        _ => None,
    };
    let cfg = Config::load(cli.config.as_deref()).and_then(|mut c| {
        if let Some(l) = &listen {
            c.set_listen(l)?;
            c.validate()?;
        }
        Ok(c)
    });
    let cfg = match cfg {
        Ok(c) => c,
        Err(e) => {
            eprintln!("motcua: config error: {e:#}");
            std::process::exit(2);
        }
    };
    init_logs(&cfg);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("motcua: cannot start runtime: {e}");
            std::process::exit(1);
        }
    };
    let result: Result<i32> = rt.block_on(async {
        let mut cfg = cfg;
        let listener = match &cli.command {
            Command::Serve { .. } | Command::Demo { .. } => Some(bind(&mut cfg)?),
            _ => None,
        };
        let cfg = cfg;
        match (cli.command, listener) {
            (Command::Serve { .. }, Some(listener)) => {
                let state = app_state(&cfg).await?;
                serve(&cfg, listener, state).await.map(|_| 0)
            }
            (Command::Migrate, _) => {
                let store = Store::connect(&cfg.database.url, 1).await?;
                let applied = store.migrate().await?;
                println!(
                    "migrations applied: {applied:?} ({} backend)",
                    store.backend().name()
                );
                Ok(0)
            }
            (Command::Demo { .. }, Some(listener)) => demo(&cfg, listener).await.map(|_| 0),
            (Command::Admin { command }, _) => admin(&cfg, command).await,
            (Command::Calendar { command }, _) => calendar_cmd::run(&cfg, command).await,
            (Command::Bench(args), _) if args.sso => bench_sso::run(&cfg, &args).await.map(|_| 0),
            (Command::Bench(args), _) if args.stats.is_some() => {
                let n = args.stats.unwrap_or_default();
                bench_stats::run(&cfg, &args, n).await.map(|_| 0)
            }
            (Command::Bench(args), _) => {
                match (args.scale, args.catalog, args.dossiers, args.handling) {
                    (Some(n), _, _, _) => bench_scale::run(&cfg, &args, n).await.map(|_| 0),
                    (None, Some(n), _, _) => bench_catalog::run(&cfg, &args, n).await.map(|_| 0),
                    (None, None, Some(n), _) => {
                        bench_dossiers::run(&cfg, &args, n).await.map(|_| 0)
                    }
                    (None, None, None, Some(n)) => {
                        bench_handling::run(&cfg, &args, n).await.map(|_| 0)
                    }
                    (None, None, None, None) => bench::run(&cfg, args).await.map(|_| 0),
                }
            }
            (Command::Serve { .. } | Command::Demo { .. } | Command::Config { .. }, _) => Ok(0),
        }
    });
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("motcua: {}", format!("{e:#}").replace('\n', " "));
            std::process::exit(1);
        }
    }
}
