//! The portal's settings every context reads (the binary maps its config
//! file onto this; tests start from [`Settings::for_tests`]).
use serde::{Deserialize, Serialize};

/// Argon2id cost parameters (config `[security.argon2]`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Argon2Params {
    /// Memory in KiB (OWASP baseline: 19456 = 19 MiB).
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for Argon2Params {
    fn default() -> Self {
        Argon2Params {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// Public base URL, e.g. `https://dichvucong.example.vn`; used in mail
    /// links and to decide the cookies' `Secure` flag.
    pub public_url: String,
    /// Secret for CSRF tokens (HMAC key). Same on every node.
    pub secret_key: Vec<u8>,
    pub session_idle_minutes: i64,
    pub session_max_hours: i64,
    pub initial_password_days: i64,
    pub reset_link_minutes: i64,
    pub max_body_bytes: usize,
    /// Larger limit for multipart forms with files (uploads).
    pub max_upload_bytes: usize,
    pub argon2: Argon2Params,
    /// Reverse proxies whose `X-Forwarded-For` is believed: the client is
    /// the right-most address of that header that is not one of them (see
    /// `client_ip` of the web crate). Empty: the connection's peer address.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Bearer token that opens `/metrics` on the public listener; `None`:
    /// `/metrics` is not served there (only on the admin listener, if the
    /// binary starts one).
    pub metrics_token: Option<String>,
    /// Extra address told of compromise reports, besides operators' own.
    pub operator_email: Option<String>,
    /// Mail job attempts before dead-lettering.
    pub mail_max_attempts: i64,
    /// Delivery of account events to specialized systems.
    pub events: crate::outbox::EventsConfig,
    /// Office hours of state agencies, for deadlines in working hours and
    /// the end of a working day.
    pub working_hours: motcua_domain::calendar::WorkingHours,
    /// Where documents and notices are kept.
    pub blobs: crate::blobs::BlobSettings,
    /// Where text messages go (`[sms]`).
    pub sms: crate::sms::SmsSettings,
}

/// The metrics token of [`Settings::for_tests`].
pub const TEST_METRICS_TOKEN: &str = "test-metrics-token";

impl Settings {
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// Settings for tests and the demo: fast to start, same rules.
    pub fn for_tests(public_url: &str) -> Settings {
        Settings {
            public_url: public_url.trim_end_matches('/').to_string(),
            secret_key: b"motcua-test-secret-key-0123456789".to_vec(),
            session_idle_minutes: 30,
            session_max_hours: 12,
            initial_password_days: 7,
            reset_link_minutes: 30,
            max_body_bytes: 1024 * 1024,
            max_upload_bytes: 6 * 1024 * 1024,
            argon2: Argon2Params::default(),
            trusted_proxies: Vec::new(),
            metrics_token: Some(TEST_METRICS_TOKEN.into()),
            operator_email: None,
            mail_max_attempts: 8,
            events: crate::outbox::EventsConfig::default(),
            working_hours: motcua_domain::calendar::WorkingHours::default(),
            // Content-addressed: tests of one process may share it.
            blobs: crate::blobs::BlobSettings::Local {
                dir: std::env::temp_dir().join(format!("motcua-test-blobs-{}", std::process::id())),
            },
            sms: crate::sms::SmsSettings::File {
                dir: std::env::temp_dir().join(format!("motcua-test-sms-{}", std::process::id())),
            },
        }
    }
}

/// Parses one trusted-proxy entry: an address (`10.0.0.7`, `::1`) or a
/// network in CIDR notation (`10.0.0.0/8`, `fd00::/8`).
pub fn parse_proxy(s: &str) -> Result<ipnet::IpNet, String> {
    let s = s.trim();
    if let Ok(net) = s.parse::<ipnet::IpNet>() {
        return Ok(net.trunc());
    }
    s.parse::<std::net::IpAddr>()
        .map(ipnet::IpNet::from)
        .map_err(|_| format!("'{s}' is not an IP address or a CIDR network"))
}
