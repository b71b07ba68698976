//! Configuration: a TOML file (every key documented in `config example`),
//! each key overridable by `MOTCUA_<SECTION>__<KEY>` environment variables
//! (and `DATABASE_URL`). Secrets never appear in logs or `Debug` output.
use anyhow::{anyhow, bail, Context, Result};
use motcua_domain::audit::{AuditKeys, MIN_KEY_BYTES};
use motcua_mail::{SmtpConfig, SmtpSecurity};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// A string that prints as `***`.
#[derive(Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("\"\"")
        } else {
            f.write_str("***")
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub listen: String,
    /// Default: `http://` + `listen` (see [`Config::set_listen`]).
    pub public_url: String,
    /// Whether `public_url` was given (file or environment); otherwise it
    /// follows `listen`.
    #[serde(skip)]
    pub public_url_given: bool,
    pub data_dir: PathBuf,
    pub log_format: String,
    pub log_level: String,
    pub secret_key: Secret,
    pub database: Database,
    pub session: SessionCfg,
    pub security: Security,
    pub mail: Mail,
    pub events: Events,
    /// Where Prometheus metrics are served (never openly on `listen`).
    pub metrics: MetricsCfg,
    pub calendar: CalendarCfg,
    /// Certificates, signing tool and assurance levels (issue #4).
    pub identity: motcua_identity::IdentityConfig,
    /// The operator's contact details (footer), terms of use and privacy notice.
    pub portal: motcua_identity::portal::PortalConfig,
    pub audit: AuditCfg,
    /// Where documents and notices are kept (issue #6).
    pub blobs: BlobsCfg,
    /// The agencies' seal: the PKCS#11 token holding the keys that sign
    /// result documents (issue #9).
    pub seal: SealCfg,
    /// The national payment platform (issue #10).
    pub payments: PaymentsCfg,
    /// The public postal operator (issue #10 §3).
    pub postal: PostalCfg,
    /// Feedback's working-day deadlines and limits (issue #11 §1).
    pub feedback: motcua_feedback::Rules,
    /// Where text messages (verification codes) go (issue #11 §1).
    pub sms: SmsCfg,
    /// The OpenID Provider's lifetimes (issue #12 §1).
    pub sso: motcua_sso::Config,
    /// The interop API for ministry and provincial systems (issue #12 §2).
    pub interop: motcua_interop::Config,
}

/// Text messages: `file` (default: one JSON file a message under
/// `data_dir/sms`, or `file_dir`) or `http` (`POST` JSON `{"to","text"}`
/// to the operator's SMS gateway with a bearer token).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct SmsCfg {
    pub transport: String,
    pub file_dir: PathBuf,
    pub url: String,
    pub token: Secret,
}

impl Default for SmsCfg {
    fn default() -> Self {
        SmsCfg {
            transport: "file".into(),
            file_dir: PathBuf::new(),
            url: String::new(),
            token: Secret::default(),
        }
    }
}

/// The public postal operator's order API. Empty `base_url`: the postal
/// service is not offered (the demo connects its simulator).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct PostalCfg {
    pub base_url: String,
    /// The API key the operator issued (`MOTCUA_POSTAL__API_KEY`).
    pub api_key: Secret,
    /// The key of the operator's signed status reports.
    pub webhook_secret: Secret,
}

impl PostalCfg {
    /// The client, or None when not configured.
    pub fn post(&self, public_url: &str) -> Result<Option<motcua_postal::client::Post>> {
        if self.base_url.trim().is_empty() {
            return Ok(None);
        }
        let base =
            url::Url::parse(self.base_url.trim()).map_err(|e| anyhow!("[postal] base_url: {e}"))?;
        if !matches!(base.scheme(), "https" | "http") {
            bail!("[postal] base_url: http(s) only");
        }
        if self.api_key.0.is_empty() || self.webhook_secret.0.len() < 16 {
            bail!("[postal] api_key and a webhook_secret of at least 16 characters are required");
        }
        Ok(Some(
            motcua_postal::client::Post::new(motcua_postal::client::PostConfig {
                base_url: base,
                api_key: self.api_key.0.clone(),
                webhook_secret: self.webhook_secret.0.clone(),
                notify_url: format!("{}/api/v1/postal/events", public_url.trim_end_matches('/')),
                timeout: std::time::Duration::from_secs(15),
            })
            .map_err(|e| anyhow!("[postal]: {e}"))?,
        ))
    }
}

/// The national payment platform: where it is and what the portal is to
/// it (the partner code and secret the platform issued). Empty
/// `base_url`: not connected (fees are shown, nothing is paid online; the
/// demo connects its simulator).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct PaymentsCfg {
    pub base_url: String,
    pub partner_code: String,
    pub secret: Secret,
    /// The secret before a rollover, still accepted on the platform's
    /// messages until removed.
    pub previous_secret: Secret,
    /// A folder where the platform leaves its day files
    /// (`PAYGOV_<partner>_<yyyyMMdd>.csv`); empty: ask its API.
    pub day_files: PathBuf,
    pub timeout_seconds: u64,
    pub pay_within_days: i64,
    /// An open payment is first asked about after this many minutes…
    pub poll_after_minutes: i64,
    /// …and given up after this many hours.
    pub poll_until_hours: i64,
    pub poll_every_seconds: i64,
    /// The first wait between two questions about the same payment
    /// (doubled each time, up to six hours).
    pub poll_backoff_seconds: i64,
    /// Yesterday is reconciled after this hour (Vietnam time).
    pub reconcile_hour: u8,
}

impl Default for PaymentsCfg {
    fn default() -> Self {
        PaymentsCfg {
            base_url: String::new(),
            partner_code: String::new(),
            secret: Secret::default(),
            previous_secret: Secret::default(),
            day_files: PathBuf::new(),
            timeout_seconds: 15,
            pay_within_days: 5,
            poll_after_minutes: 30,
            poll_until_hours: 72,
            poll_every_seconds: 60,
            poll_backoff_seconds: 300,
            reconcile_hour: 2,
        }
    }
}

impl PaymentsCfg {
    pub fn rules(&self) -> motcua_payments::PayRules {
        motcua_payments::PayRules {
            pay_within_days: self.pay_within_days,
            poll_after: self.poll_after_minutes * 60_000,
            poll_until: self.poll_until_hours * 3_600_000,
            poll_every: self.poll_every_seconds * 1000,
            backoff_first: self.poll_backoff_seconds.max(1) * 1000,
            reconcile_hour: self.reconcile_hour,
            ..Default::default()
        }
    }

    /// The client, or None when not configured.
    pub fn platform(&self, public_url: &str) -> Result<Option<motcua_payments::client::Platform>> {
        if self.base_url.trim().is_empty() {
            return Ok(None);
        }
        let base = url::Url::parse(self.base_url.trim())
            .map_err(|e| anyhow!("[payments] base_url: {e}"))?;
        if !matches!(base.scheme(), "https" | "http") {
            bail!("[payments] base_url: http(s) only");
        }
        if self.partner_code.trim().is_empty() || self.secret.0.len() < 16 {
            bail!("[payments] partner_code and a secret of at least 16 characters are required");
        }
        let public = public_url.trim_end_matches('/');
        let cfg = motcua_payments::client::PlatformConfig {
            base_url: base,
            partner_code: self.partner_code.trim().to_string(),
            secret: self.secret.0.clone(),
            previous_secret: (!self.previous_secret.0.is_empty())
                .then(|| self.previous_secret.0.clone()),
            notify_url: format!("{public}/api/v1/payments/confirm"),
            return_url: format!("{public}/account/payments/return"),
            day_files: (!self.day_files.as_os_str().is_empty()).then(|| self.day_files.clone()),
            timeout: std::time::Duration::from_secs(self.timeout_seconds.clamp(1, 120)),
        };
        Ok(Some(
            motcua_payments::client::Platform::new(cfg).map_err(|e| anyhow!("[payments]: {e}"))?,
        ))
    }
}

/// The PKCS#11 token of the agencies' seals: each certificate with a
/// private key of the same label signs for the agency of that code (the
/// label `default` for every other agency). Empty `module`: no seal
/// (approval is refused, saying so; the demo makes its own).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct SealCfg {
    /// The PKCS#11 module (e.g. the HSM vendor's `.so`).
    pub module: PathBuf,
    /// The token's label.
    pub token: String,
    /// The user PIN (`MOTCUA_SEAL__PIN` in the environment).
    pub pin: Secret,
}

/// The blob store: `local` (a directory; default `data_dir/blobs`) or `s3`
/// (an S3-compatible bucket, for several nodes).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct BlobsCfg {
    pub backend: String,
    /// `local`: the directory (empty: `data_dir/blobs`).
    pub dir: PathBuf,
    /// `s3`: the endpoint of an S3-compatible service (empty: AWS).
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
    /// Every key is put under this prefix.
    pub prefix: String,
}

impl Default for BlobsCfg {
    fn default() -> Self {
        BlobsCfg {
            backend: "local".into(),
            dir: PathBuf::new(),
            endpoint: String::new(),
            bucket: String::new(),
            region: "us-east-1".into(),
            access_key_id: String::new(),
            secret_access_key: Secret::default(),
            prefix: String::new(),
        }
    }
}

/// The audit trail's keys and checkpoints (R-OP-2).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditCfg {
    /// Key id → secret (hex, or base64; at least 32 bytes). Empty: one key
    /// generated once into `data_dir/audit.key`.
    pub keys: BTreeMap<String, Secret>,
    /// The key that seals new records and checkpoints (may be left empty
    /// when there is one key).
    pub active_key: String,
    /// Where this node appends signed checkpoints of the chain's head.
    /// Empty: `data_dir/audit-checkpoints-<node_id>.log`.
    pub checkpoint_file: PathBuf,
    pub checkpoint_interval_seconds: u64,
    /// This node's name in checkpoints. Empty: the host name.
    pub node_id: String,
}

impl Default for AuditCfg {
    fn default() -> Self {
        AuditCfg {
            keys: BTreeMap::new(),
            active_key: String::new(),
            checkpoint_file: PathBuf::new(),
            checkpoint_interval_seconds: 300,
            node_id: String::new(),
        }
    }
}

/// Where the audit keys came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditKeySource {
    Configured,
    /// Generated (now or earlier) into this file.
    Generated(PathBuf),
}

/// A secret given as hex (only hex digits) or else base64.
fn decode_secret(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return hex::decode(s).ok();
    }
    let engines = [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::STANDARD_NO_PAD,
        base64::engine::general_purpose::URL_SAFE,
        base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    engines.iter().find_map(|e| e.decode(s).ok())
}

/// The working-day calendar (R-OP-3).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CalendarCfg {
    /// Office hours of state agencies, Vietnam time, e.g. "07:30-11:30".
    pub working_hours: Vec<String>,
}

impl Default for CalendarCfg {
    fn default() -> Self {
        CalendarCfg {
            working_hours: vec!["07:30-11:30".into(), "13:00-17:00".into()],
        }
    }
}

impl CalendarCfg {
    pub fn working_hours(&self) -> Result<motcua_domain::calendar::WorkingHours> {
        let fmt = time::macros::format_description!("[hour]:[minute]");
        let mut periods = Vec::new();
        for p in &self.working_hours {
            let parsed = p.split_once('-').and_then(|(a, b)| {
                Some((
                    time::Time::parse(a.trim(), fmt).ok()?,
                    time::Time::parse(b.trim(), fmt).ok()?,
                ))
            });
            match parsed {
                Some(x) => periods.push(x),
                None => bail!("calendar.working_hours: '{p}' is not a period like \"07:30-11:30\""),
            }
        }
        motcua_domain::calendar::WorkingHours::new(periods)
            .map_err(|e| anyhow!("calendar.working_hours: {e}"))
    }
}

/// Delivery of account events to specialized systems (R-ID-5).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Events {
    pub retry_horizon_hours: i64,
    pub first_backoff_secs: i64,
    pub max_backoff_secs: i64,
    pub timeout_secs: i64,
    pub batch: i64,
}

/// `/metrics`: on an admin listener (an address only the monitoring
/// network reaches) and/or on the public listener behind a bearer token.
/// Neither set: metrics are not served.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsCfg {
    /// e.g. "127.0.0.1:9464"; empty: no admin listener.
    pub listen: String,
    /// Token for `Authorization: Bearer …` on the public listener; empty:
    /// `/metrics` is not found there.
    pub bearer_token: Secret,
}

impl Default for Events {
    fn default() -> Self {
        Events {
            retry_horizon_hours: 72,
            first_backoff_secs: 5,
            max_backoff_secs: 3600,
            timeout_secs: 10,
            batch: 16,
        }
    }
}

#[derive(Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Database {
    pub url: String,
    pub max_connections: u32,
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Database")
            .field("url", &motcua_store::redact_url(&self.url))
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionCfg {
    pub idle_minutes: i64,
    pub max_hours: i64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Security {
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    pub initial_password_days: i64,
    pub reset_link_minutes: i64,
    /// Replaced by `trusted_proxies`; refused with a message if set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_proxy: Option<bool>,
    /// Reverse proxies (addresses or CIDR networks) whose
    /// `X-Forwarded-For` is believed; a TOML array, or in the environment a
    /// comma-separated list.
    #[serde(deserialize_with = "string_list")]
    pub trusted_proxies: Vec<String>,
    pub max_body_bytes: usize,
    pub max_upload_bytes: usize,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Mail {
    pub from: String,
    pub transport: String,
    pub file_dir: PathBuf,
    pub operator_email: String,
    pub max_attempts: i64,
    pub smtp: Smtp,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub security: String,
    pub username: String,
    pub password: Secret,
    pub timeout_secs: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            public_url: "http://127.0.0.1:8080".into(),
            public_url_given: false,
            data_dir: "data".into(),
            log_format: "text".into(),
            log_level: "info".into(),
            secret_key: Secret::default(),
            database: Database::default(),
            session: SessionCfg::default(),
            security: Security::default(),
            mail: Mail::default(),
            events: Events::default(),
            metrics: MetricsCfg::default(),
            calendar: CalendarCfg::default(),
            identity: Default::default(),
            portal: Default::default(),
            audit: AuditCfg::default(),
            blobs: BlobsCfg::default(),
            seal: SealCfg::default(),
            payments: PaymentsCfg::default(),
            postal: PostalCfg::default(),
            feedback: motcua_feedback::Rules::default(),
            sms: SmsCfg::default(),
            sso: motcua_sso::Config::default(),
            interop: motcua_interop::Config::default(),
        }
    }
}

impl Default for Database {
    fn default() -> Self {
        Database {
            url: "sqlite://data/motcua.db".into(),
            max_connections: 8,
        }
    }
}

impl Default for SessionCfg {
    fn default() -> Self {
        SessionCfg {
            idle_minutes: 30,
            max_hours: 12,
        }
    }
}

impl Security {
    pub fn trusted_proxies(&self) -> Result<Vec<ipnet::IpNet>> {
        self.trusted_proxies
            .iter()
            .map(|p| {
                motcua_kernel::settings::parse_proxy(p)
                    .map_err(|e| anyhow!("security.trusted_proxies: {e}"))
            })
            .collect()
    }
}

impl Default for Security {
    fn default() -> Self {
        Security {
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            initial_password_days: 7,
            reset_link_minutes: 30,
            trust_proxy: None,
            trusted_proxies: Vec::new(),
            max_body_bytes: 1024 * 1024,
            max_upload_bytes: 6 * 1024 * 1024,
        }
    }
}

impl Default for Mail {
    fn default() -> Self {
        Mail {
            from: "Motcua <no-reply@motcua.localhost>".into(),
            transport: "file".into(),
            file_dir: "data/mail".into(),
            operator_email: String::new(),
            max_attempts: 8,
            smtp: Smtp::default(),
        }
    }
}

impl Default for Smtp {
    fn default() -> Self {
        Smtp {
            host: String::new(),
            port: 587,
            security: "starttls".into(),
            username: String::new(),
            password: Secret::default(),
            timeout_secs: 30,
        }
    }
}

pub const EXAMPLE: &str = include_str!("../motcua.example.toml");

/// Applies `MOTCUA_A__B=value` to `[a] b = value` (values parsed as TOML
/// scalars when they parse, else taken as strings).
fn apply_env(root: &mut toml::Table, vars: impl Iterator<Item = (String, String)>) -> Result<()> {
    for (k, v) in vars {
        let path: Vec<String> = if k == "DATABASE_URL" {
            vec!["database".into(), "url".into()]
        } else if let Some(rest) = k.strip_prefix("MOTCUA_") {
            if matches!(rest, "CONFIG" | "TEST_PG_URL" | "LOG") || rest.starts_with("TEST_") {
                continue;
            }
            rest.split("__").map(|s| s.to_lowercase()).collect()
        } else {
            continue;
        };
        // Secrets stay strings even when they look like numbers.
        let secret = path.len() == 3 && path[0] == "audit" && path[1] == "keys";
        let value = match format!("v = {v}").parse::<toml::Table>() {
            Ok(mut t) if !secret => t.remove("v").unwrap_or(toml::Value::String(v.clone())),
            _ => toml::Value::String(v.clone()),
        };
        let mut table = &mut *root;
        for (i, part) in path.iter().enumerate() {
            if i + 1 == path.len() {
                table.insert(part.clone(), value.clone());
            } else {
                let entry = table
                    .entry(part.clone())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                table = entry
                    .as_table_mut()
                    .ok_or_else(|| anyhow!("environment variable {k}: {part} is not a section"))?;
            }
        }
    }
    Ok(())
}

/// A list of strings, given as a TOML array or as one comma-separated
/// string (how a list arrives from an environment variable).
fn string_list<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Either::deserialize(d)? {
        Either::One(s) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        Either::Many(v) => v,
    })
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Config {
    /// Reads the file (if given, or `motcua.toml` if present) and the
    /// environment, then checks every value.
    pub fn load(path: Option<&Path>) -> Result<Config> {
        let (text, name) = match path {
            Some(p) => (
                std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read config file {}", p.display()))?,
                p.display().to_string(),
            ),
            None if Path::new("motcua.toml").exists() => (
                std::fs::read_to_string("motcua.toml")?,
                "motcua.toml".into(),
            ),
            None => (String::new(), "defaults".into()),
        };
        Self::parse(&text, &name, std::env::vars())
    }

    pub fn parse(
        text: &str,
        name: &str,
        env: impl Iterator<Item = (String, String)>,
    ) -> Result<Config> {
        let mut table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| anyhow!("{name}: {}", one_line(&e.to_string())))?;
        apply_env(&mut table, env)?;
        let given = table.contains_key("public_url");
        let mut cfg: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| anyhow!("{name}: {}", one_line(&e.to_string())))?;
        cfg.public_url_given = given;
        let listen = cfg.listen.clone();
        cfg.set_listen(&listen)?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Sets the listen address (`--listen`, `MOTCUA_LISTEN`). Unless
    /// `public_url` was given, it follows: `http://` and the address, with
    /// an unspecified IP (0.0.0.0, ::) read as the loopback one.
    pub fn set_listen(&mut self, listen: &str) -> Result<()> {
        let addr: std::net::SocketAddr = listen
            .parse()
            .map_err(|_| anyhow!("listen: '{listen}' is not an address like 127.0.0.1:8080"))?;
        self.listen = listen.to_string();
        if !self.public_url_given {
            let mut shown = addr;
            if addr.ip().is_unspecified() {
                shown.set_ip(match addr {
                    std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                    std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
                });
            }
            self.public_url = format!("http://{shown}");
        }
        Ok(())
    }

    pub fn validate(&self) -> Result<()> {
        if self.security.trust_proxy.is_some() {
            bail!("security.trust_proxy: replaced by security.trusted_proxies, the list of your reverse proxies' addresses or networks (e.g. [\"10.0.0.0/8\"]); the client is the right-most X-Forwarded-For address not in that list");
        }
        self.security.trusted_proxies()?;
        self.blob_settings()?;
        self.sms_settings()?;
        if !self.metrics.listen.is_empty() {
            self.metrics
                .listen
                .parse::<std::net::SocketAddr>()
                .map_err(|_| {
                    anyhow!(
                        "metrics.listen: '{}' is not an address like 127.0.0.1:9464",
                        self.metrics.listen
                    )
                })?;
        }
        let scheme = self.database.url.split("://").next().unwrap_or_default();
        if !self.database.url.contains("://")
            || !matches!(scheme, "sqlite" | "postgres" | "postgresql")
        {
            bail!("database.url: unsupported scheme in '{}': use sqlite://PATH or postgres://USER@HOST/DB", motcua_store::redact_url(&self.database.url));
        }
        self.listen.parse::<std::net::SocketAddr>().map_err(|_| {
            anyhow!(
                "listen: '{}' is not an address like 127.0.0.1:8080",
                self.listen
            )
        })?;
        if !(self.public_url.starts_with("http://") || self.public_url.starts_with("https://")) {
            bail!(
                "public_url: '{}' must start with http:// or https://",
                self.public_url
            );
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            bail!("log_format: '{}' must be text or json", self.log_format);
        }
        if self.security.argon2_memory_kib < 19_456
            || self.security.argon2_iterations < 2
            || self.security.argon2_parallelism < 1
        {
            bail!("security.argon2_*: below the OWASP baseline (memory_kib >= 19456, iterations >= 2, parallelism >= 1)");
        }
        if self.session.idle_minutes < 1 || self.session.max_hours < 1 {
            bail!("session: idle_minutes and max_hours must be at least 1");
        }
        if self.security.initial_password_days < 1 || self.security.reset_link_minutes < 5 {
            bail!("security: initial_password_days >= 1 and reset_link_minutes >= 5");
        }
        if self.security.max_body_bytes < 4096 {
            bail!("security.max_body_bytes: at least 4096");
        }
        if self.security.max_upload_bytes < self.security.max_body_bytes {
            bail!("security.max_upload_bytes: at least max_body_bytes");
        }
        match self.mail.transport.as_str() {
            "file" => {}
            "smtp" => {
                if self.mail.smtp.host.is_empty() {
                    bail!("mail.smtp.host: required when mail.transport = \"smtp\"");
                }
                self.smtp_security()?;
            }
            other => bail!("mail.transport: '{other}' must be file or smtp"),
        }
        if self.mail.max_attempts < 1 {
            bail!("mail.max_attempts: at least 1");
        }
        let e = &self.events;
        if e.retry_horizon_hours < 1
            || e.first_backoff_secs < 1
            || e.max_backoff_secs < e.first_backoff_secs
            || !(1..=300).contains(&e.timeout_secs)
            || !(1..=256).contains(&e.batch)
        {
            bail!("events: retry_horizon_hours >= 1, 1 <= first_backoff_secs <= max_backoff_secs, timeout_secs 1..300, batch 1..256");
        }
        self.calendar.working_hours()?;
        motcua_identity::portal::Portal::from_config(&self.portal).map_err(|e| anyhow!(e))?;
        if !self.audit.keys.is_empty() {
            self.configured_audit_keys()?;
        }
        if !(1..=86_400).contains(&self.audit.checkpoint_interval_seconds) {
            bail!("audit.checkpoint_interval_seconds: 1..86400");
        }
        if !self.audit.node_id.is_empty()
            && !motcua_domain::audit::valid_node_id(&self.audit.node_id)
        {
            bail!(
                "audit.node_id: '{}': use 1–64 characters A-Z, a-z, 0-9, '.', '-' or '_'",
                self.audit.node_id
            );
        }
        Ok(())
    }

    fn configured_audit_keys(&self) -> Result<AuditKeys> {
        let mut keys = BTreeMap::new();
        for (id, secret) in &self.audit.keys {
            // Never the value in a message: only the key's name.
            let bytes = decode_secret(&secret.0)
                .ok_or_else(|| anyhow!("audit.keys.{id}: not hex or base64"))?;
            keys.insert(id.clone(), bytes);
        }
        let active = match (self.audit.active_key.as_str(), keys.len()) {
            ("", 1) => keys.keys().next().cloned().unwrap_or_default(),
            ("", _) => bail!("audit.active_key: required when there are several keys"),
            (a, _) => a.to_string(),
        };
        AuditKeys::new(&active, keys).map_err(|e| anyhow!("audit: {e}"))
    }

    /// The audit keys: configured, or one key generated once into
    /// `data_dir/audit.key` (outside the database; fine for a demo, a
    /// production site configures its own and keeps it off the database
    /// server and its backups).
    pub fn audit_keys(&self) -> Result<(AuditKeys, AuditKeySource)> {
        if !self.audit.keys.is_empty() {
            return Ok((self.configured_audit_keys()?, AuditKeySource::Configured));
        }
        let path = self.data_dir.join("audit.key");
        let parse = |s: &str| {
            let (id, secret) = s.trim().split_once(':')?;
            AuditKeys::single(id, &hex::decode(secret).ok()?).ok()
        };
        match std::fs::read_to_string(&path) {
            Ok(s) => {
                let keys = parse(&s).ok_or_else(|| {
                    anyhow!(
                        "{}: not an audit key file (expected ID:HEX); restore it from backup, or the records it sealed cannot be verified",
                        path.display()
                    )
                })?;
                Ok((keys, AuditKeySource::Generated(path)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(&self.data_dir)
                    .with_context(|| format!("cannot create {}", self.data_dir.display()))?;
                let mut b = [0u8; MIN_KEY_BYTES];
                rand::Rng::fill_bytes(&mut rand::rng(), &mut b);
                let id = format!("local-{}", &hex::encode(&b[..4]));
                rand::Rng::fill_bytes(&mut rand::rng(), &mut b);
                write_private(&path, &format!("{id}:{}\n", hex::encode(b)))?;
                let keys = AuditKeys::single(&id, &b).map_err(|e| anyhow!("audit: {e}"))?;
                Ok((keys, AuditKeySource::Generated(path)))
            }
            Err(e) => Err(anyhow!("cannot read {}: {e}", path.display())),
        }
    }

    /// This node's id in audit checkpoints: configured, or the host name.
    pub fn audit_node_id(&self) -> String {
        if !self.audit.node_id.is_empty() {
            return self.audit.node_id.clone();
        }
        let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
        let id: String = host
            .trim()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '-'
                }
            })
            .take(64)
            .collect();
        if id.is_empty() {
            "node".into()
        } else {
            id
        }
    }

    /// The file this node appends audit checkpoints to.
    pub fn audit_checkpoint_file(&self) -> PathBuf {
        if !self.audit.checkpoint_file.as_os_str().is_empty() {
            return self.audit.checkpoint_file.clone();
        }
        self.data_dir
            .join(format!("audit-checkpoints-{}.log", self.audit_node_id()))
    }

    /// Where text messages go (`[sms]`), checked: a known transport; for
    /// `http` an http(s) URL (parsed as a WHATWG URL) and a token.
    pub fn sms_settings(&self) -> Result<motcua_kernel::sms::SmsSettings> {
        use motcua_kernel::sms::SmsSettings;
        let c = &self.sms;
        match c.transport.as_str() {
            "file" => Ok(SmsSettings::File {
                dir: if c.file_dir.as_os_str().is_empty() {
                    self.data_dir.join("sms")
                } else {
                    c.file_dir.clone()
                },
            }),
            "http" => {
                let u = url::Url::parse(c.url.trim())
                    .map_err(|e| anyhow!("sms.url: '{}' is not a URL ({e})", c.url))?;
                if !matches!(u.scheme(), "http" | "https") || u.host().is_none() {
                    bail!("sms.url: '{}' must be an http or https URL", c.url);
                }
                if c.token.0.is_empty() {
                    bail!("sms.token: required when sms.transport = \"http\"");
                }
                Ok(SmsSettings::Http {
                    url: u.to_string(),
                    token: c.token.0.clone(),
                })
            }
            other => bail!("sms.transport: '{other}' must be file or http"),
        }
    }

    /// The blob store of `[blobs]`, checked: a known backend, an endpoint
    /// that is an http(s) URL (parsed as WHATWG URL), a bucket and keys.
    pub fn blob_settings(&self) -> Result<motcua_kernel::blobs::BlobSettings> {
        use motcua_kernel::blobs::{BlobSettings, S3Settings};
        let b = &self.blobs;
        match b.backend.as_str() {
            "local" => Ok(BlobSettings::Local {
                dir: if b.dir.as_os_str().is_empty() {
                    self.data_dir.join("blobs")
                } else {
                    b.dir.clone()
                },
            }),
            "s3" => {
                let endpoint = if b.endpoint.trim().is_empty() {
                    None
                } else {
                    let u = url::Url::parse(b.endpoint.trim()).map_err(|e| {
                        anyhow!("blobs.endpoint: '{}' is not a URL ({e})", b.endpoint)
                    })?;
                    if !matches!(u.scheme(), "http" | "https") || u.host().is_none() {
                        bail!(
                            "blobs.endpoint: '{}' must be an http:// or https:// URL with a host",
                            b.endpoint
                        );
                    }
                    if !u.username().is_empty() || u.password().is_some() {
                        bail!("blobs.endpoint: put the keys in access_key_id and secret_access_key, not in the URL");
                    }
                    Some(u.as_str().trim_end_matches('/').to_string())
                };
                if b.bucket.trim().is_empty() {
                    bail!("blobs.bucket: required when blobs.backend = \"s3\"");
                }
                if b.access_key_id.is_empty() || b.secret_access_key.0.is_empty() {
                    bail!("blobs.access_key_id and blobs.secret_access_key: required when blobs.backend = \"s3\"");
                }
                Ok(BlobSettings::S3(S3Settings {
                    endpoint,
                    bucket: b.bucket.trim().to_string(),
                    region: b.region.clone(),
                    access_key_id: b.access_key_id.clone(),
                    secret_access_key: b.secret_access_key.0.clone(),
                    prefix: b.prefix.clone(),
                }))
            }
            other => bail!("blobs.backend: '{other}' must be local or s3"),
        }
    }

    /// The signing tool's download folder: configured, else `data_dir/downloads`.
    pub fn signer_download_dir(&self) -> PathBuf {
        self.identity
            .signer_download_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("downloads"))
    }

    fn smtp_security(&self) -> Result<SmtpSecurity> {
        Ok(match self.mail.smtp.security.as_str() {
            "none" => SmtpSecurity::None,
            "starttls" => SmtpSecurity::Starttls,
            "tls" => SmtpSecurity::Tls,
            other => bail!("mail.smtp.security: '{other}' must be none, starttls or tls"),
        })
    }

    pub fn smtp(&self) -> Result<SmtpConfig> {
        Ok(SmtpConfig {
            host: self.mail.smtp.host.clone(),
            port: self.mail.smtp.port,
            security: self.smtp_security()?,
            username: Some(self.mail.smtp.username.clone()).filter(|s| !s.is_empty()),
            password: Some(self.mail.smtp.password.0.clone()).filter(|s| !s.is_empty()),
            timeout_secs: self.mail.smtp.timeout_secs,
        })
    }

    /// The CSRF/HMAC key: configured, or generated once into the data
    /// folder (every node of a cluster must be given the same one).
    pub fn secret_key(&self) -> Result<Vec<u8>> {
        if !self.secret_key.0.is_empty() {
            if self.secret_key.0.len() < 32 {
                bail!("secret_key: at least 32 characters");
            }
            return Ok(self.secret_key.0.as_bytes().to_vec());
        }
        let path = self.data_dir.join("secret.key");
        if let Ok(s) = std::fs::read_to_string(&path) {
            if s.trim().len() >= 32 {
                return Ok(s.trim().as_bytes().to_vec());
            }
        }
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("cannot create {}", self.data_dir.display()))?;
        let mut b = [0u8; 32];
        rand::Rng::fill_bytes(&mut rand::rng(), &mut b);
        let key: String = b.iter().map(|x| format!("{x:02x}")).collect();
        write_private(&path, &key)?;
        Ok(key.into_bytes())
    }
}

fn write_private(path: &Path, s: &str) -> Result<()> {
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        f.write_all(s.as_bytes())?;
        Ok(())
    }
    #[cfg(not(unix))]
    {
        std::fs::write(path, s).with_context(|| format!("cannot write {}", path.display()))
    }
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    fn env(v: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn example_parses_to_defaults() {
        let c = Config::parse(EXAMPLE, "example", env(&[])).map_err(|e| e.to_string());
        let c = c.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.listen, Config::default().listen);
        assert_eq!(c.database.url, Config::default().database.url);
        assert_eq!(c.security.argon2_memory_kib, 19_456);
    }

    #[test]
    fn blob_store_settings_are_checked() {
        use motcua_kernel::blobs::BlobSettings;
        let c =
            Config::parse("data_dir = \"/srv/m\"", "t", env(&[])).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.blob_settings().unwrap_or_else(|e| panic!("{e}")),
            BlobSettings::Local {
                dir: "/srv/m/blobs".into()
            }
        );
        let s3 = "[blobs]\nbackend = \"s3\"\nendpoint = \"http://minio.internal:9000/\"\nbucket = \"hs\"\naccess_key_id = \"a\"\nsecret_access_key = \"s\"\n";
        let c = Config::parse(s3, "t", env(&[])).unwrap_or_else(|e| panic!("{e}"));
        match c.blob_settings().unwrap_or_else(|e| panic!("{e}")) {
            BlobSettings::S3(s) => {
                assert_eq!(s.endpoint.as_deref(), Some("http://minio.internal:9000"));
                assert_eq!((s.bucket.as_str(), s.region.as_str()), ("hs", "us-east-1"));
            }
            other => panic!("{other:?}"),
        }
        assert!(
            !format!("{c:?}").contains("secret_access_key: \"s\""),
            "the secret is hidden"
        );
        // From the environment too.
        let c = Config::parse(
            "",
            "t",
            env(&[
                ("MOTCUA_BLOBS__BACKEND", "s3"),
                ("MOTCUA_BLOBS__BUCKET", "b"),
                ("MOTCUA_BLOBS__ACCESS_KEY_ID", "a"),
                ("MOTCUA_BLOBS__SECRET_ACCESS_KEY", "s"),
            ]),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(c.blob_settings(), Ok(BlobSettings::S3(s)) if s.endpoint.is_none()));
        for (bad, says) in [
            ("backend = \"ftp\"", "blobs.backend"),
            ("backend = \"s3\"\nbucket = \"b\"\naccess_key_id = \"a\"\nsecret_access_key = \"s\"\nendpoint = \"minio:9000\"", "blobs.endpoint"),
            ("backend = \"s3\"\nbucket = \"b\"\naccess_key_id = \"a\"\nsecret_access_key = \"s\"\nendpoint = \"ftp://h/\"", "blobs.endpoint"),
            ("backend = \"s3\"\nbucket = \"b\"\naccess_key_id = \"a\"\nsecret_access_key = \"s\"\nendpoint = \"http://u:p@h/\"", "not in the URL"),
            ("backend = \"s3\"\naccess_key_id = \"a\"\nsecret_access_key = \"s\"", "blobs.bucket"),
            ("backend = \"s3\"\nbucket = \"b\"", "secret_access_key"),
        ] {
            let e = Config::parse(&format!("[blobs]\n{bad}"), "t", env(&[])).expect_err(bad);
            assert!(e.to_string().contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn env_overrides() {
        let c = Config::parse(
            "",
            "t",
            env(&[
                ("DATABASE_URL", "postgres://u:pw@h/db"),
                ("MOTCUA_SESSION__IDLE_MINUTES", "45"),
                ("MOTCUA_MAIL__SMTP__HOST", "mail.gov.vn"),
                ("MOTCUA_LISTEN", "0.0.0.0:9000"),
            ]),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.database.url, "postgres://u:pw@h/db");
        assert_eq!(c.session.idle_minutes, 45);
        assert_eq!(c.mail.smtp.host, "mail.gov.vn");
        assert_eq!(c.listen, "0.0.0.0:9000");
        // public_url follows listen unless given.
        assert_eq!(c.public_url, "http://127.0.0.1:9000");
        // The password never shows in Debug output.
        assert!(!format!("{c:?}").contains("pw@"));
    }

    #[test]
    fn bad_values_give_one_line_errors() {
        for (text, envs, needle) in [
            (
                "",
                vec![("DATABASE_URL", "mysql://x/y")],
                "unsupported scheme",
            ),
            ("listen = \"nowhere\"", vec![], "listen"),
            ("[security]\nargon2_memory_kib = 1024", vec![], "OWASP"),
            ("[mail]\ntransport = \"pigeon\"", vec![], "mail.transport"),
            ("[sms]\ntransport = \"pigeon\"", vec![], "sms.transport"),
            (
                "[sms]\ntransport = \"http\"\nurl = \"javascript:alert(1)\"\ntoken = \"t\"",
                vec![],
                "sms.url",
            ),
            (
                "[sms]\ntransport = \"http\"\nurl = \"https://sms.example.vn/send\"",
                vec![],
                "sms.token",
            ),
            ("lisen = \"x\"", vec![], "unknown field"),
            (
                "[calendar]\nworking_hours = [\"17:00-07:30\"]",
                vec![],
                "calendar.working_hours",
            ),
            (
                "[calendar]\nworking_hours = [\"morning\"]",
                vec![],
                "calendar.working_hours",
            ),
            ("[session]\nidle_minutes = \"soon\"", vec![], "invalid type"),
        ] {
            let e = Config::parse(text, "t", env(&envs))
                .map(|_| ())
                .map_err(|e| e.to_string());
            let msg = e.err().unwrap_or_default();
            assert!(msg.contains(needle), "{text}: {msg}");
            assert!(!msg.contains('\n'), "{msg}");
        }
    }

    #[test]
    fn public_url_follows_listen_unless_given() {
        let c = Config::parse("", "t", env(&[("MOTCUA_LISTEN", "127.0.0.1:18080")]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.public_url, "http://127.0.0.1:18080");
        let mut c = Config::parse("listen = \"[::]:8443\"", "t", env(&[]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.public_url, "http://[::1]:8443");
        // --listen moves it too.
        c.set_listen("127.0.0.1:9001")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.public_url, "http://127.0.0.1:9001");
        // A given public_url (a proxy's) stays.
        let mut c = Config::parse(
            "public_url = \"https://dichvucong.example.vn\"",
            "t",
            env(&[("MOTCUA_LISTEN", "127.0.0.1:18080")]),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.public_url, "https://dichvucong.example.vn");
        c.set_listen("127.0.0.1:9001")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.public_url, "https://dichvucong.example.vn");
        assert!(c.set_listen("nowhere").is_err());
    }

    #[test]
    fn portal_documents_need_their_versions() {
        let e = Config::parse("[portal]\ndocuments_dir = \"/nonexistent\"", "t", env(&[]))
            .map(|_| ())
            .map_err(|e| e.to_string())
            .err()
            .unwrap_or_default();
        assert!(e.contains("portal.terms_version"), "{e}");
        let c = Config::parse(
            "[portal]\nhotline = \"1900 1234\"\noperator_name = { vi = \"Cục A\", en = \"Agency A\" }",
            "t",
            env(&[("MOTCUA_PORTAL__EMAIL", "hotro@example.vn")]),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.portal.hotline, "1900 1234");
        assert_eq!(c.portal.operator_name.en, "Agency A");
        assert_eq!(c.portal.email, "hotro@example.vn");
    }

    #[test]
    fn audit_keys_from_file_and_environment() {
        use base64::Engine;
        let hex1 = "ab".repeat(32);
        let b64 = base64::engine::general_purpose::STANDARD.encode([7u8; 40]);
        let c = Config::parse(
            &format!("[audit]\nkeys = {{ \"k1\" = \"{hex1}\" }}\n"),
            "t",
            env(&[
                ("MOTCUA_AUDIT__KEYS__K2", b64.as_str()),
                // All digits: still a secret string, not a number.
                ("MOTCUA_AUDIT__KEYS__K3", &"1".repeat(64)),
                ("MOTCUA_AUDIT__ACTIVE_KEY", "k2"),
            ]),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let (keys, source) = c.audit_keys().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(source, AuditKeySource::Configured);
        assert_eq!(keys.ids().collect::<Vec<_>>(), vec!["k1", "k2", "k3"]);
        assert_eq!(keys.active(), "k2");
        let d = format!("{c:?} {keys:?}");
        assert!(!d.contains(&hex1) && !d.contains(&b64), "{d}");

        for (text, needle) in [
            ("keys = { \"k1\" = \"abcd\" }", "too short"),
            (
                "keys = { \"k1\" = \"!!\" }",
                "audit.keys.k1: not hex or base64",
            ),
            (
                &format!("keys = {{ \"k1\" = \"{hex1}\", \"k2\" = \"{hex1}\" }}"),
                "active_key: required",
            ),
            (
                &format!("keys = {{ \"K1\" = \"{hex1}\" }}"),
                "audit key id 'K1'",
            ),
            (
                &format!("keys = {{ \"k1\" = \"{hex1}\" }}\nactive_key = \"k2\""),
                "active_key 'k2'",
            ),
            (
                "checkpoint_interval_seconds = 0",
                "checkpoint_interval_seconds",
            ),
            ("node_id = \"a b\"", "audit.node_id"),
        ] {
            let e = Config::parse(&format!("[audit]\n{text}"), "t", env(&[]))
                .map(|_| ())
                .map_err(|e| e.to_string());
            let msg = e.err().unwrap_or_default();
            assert!(msg.contains(needle), "{text}: {msg}");
            assert!(!msg.contains(&hex1) && !msg.contains("abcd"), "{msg}");
        }
    }

    #[test]
    fn audit_key_is_generated_once_into_the_data_dir() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let c = Config {
            data_dir: dir.path().join("data"),
            ..Config::default()
        };
        let (k1, s1) = c.audit_keys().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("data/audit.key");
        assert_eq!(s1, AuditKeySource::Generated(path.clone()));
        assert!(k1.active().starts_with("local-"), "{k1:?}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).map(|m| m.permissions().mode() & 0o777);
            assert_eq!(mode.ok(), Some(0o600));
        }
        let (k2, _) = c.audit_keys().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(k1, k2, "the same key at the next start");
        // A damaged file is an error, never silently replaced.
        std::fs::write(&path, "garbage").unwrap_or_else(|e| panic!("{e}"));
        let e = c.audit_keys().map(|_| ()).map_err(|e| e.to_string());
        assert!(e
            .err()
            .unwrap_or_default()
            .contains("not an audit key file"));
        assert_eq!(
            std::fs::read_to_string(&path).ok().as_deref(),
            Some("garbage")
        );
        // Default checkpoint file: in the data folder, named by the node.
        let c = Config {
            audit: AuditCfg {
                node_id: "node-7".into(),
                ..AuditCfg::default()
            },
            ..c
        };
        assert_eq!(
            c.audit_checkpoint_file(),
            dir.path().join("data/audit-checkpoints-node-7.log")
        );
    }

    #[test]
    fn secrets_are_redacted() {
        let mut c = Config {
            secret_key: Secret("super-secret-value-0123456789abcdef".into()),
            ..Config::default()
        };
        c.mail.smtp.password = Secret("hunter2".into());
        let d = format!("{c:?}");
        assert!(!d.contains("super-secret") && !d.contains("hunter2"));
    }
}
