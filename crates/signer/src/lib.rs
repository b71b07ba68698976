//! `motcua-signer`: the small local program that lets a Motcua portal page
//! ask the citizen's USB signing token (through its PKCS#11 module) to sign
//! a login challenge.
//!
//! It serves HTTP on 127.0.0.1 only. The portal page calls the JSON API
//! under `/v1` (Host and Origin checked, CORS for the allowed portals only)
//! and opens a popup on the signer's own origin (`/ui/{id}`) where the user
//! chooses a certificate and types the PIN. The PIN never leaves this
//! process. See docs/SIGNER.md.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let cfg = motcua_signer::Config::new(
//!     "/usr/lib/softhsm/libsofthsm2.so",
//!     vec!["https://dichvucong.example.vn".into()],
//! );
//! let listener = tokio::net::TcpListener::bind(("127.0.0.1", cfg.port)).await?;
//! motcua_signer::serve(cfg, listener).await?;
//! # Ok(()) }
//! ```

pub mod challenge;
pub mod clock;
mod server;
pub mod token;
pub mod ui;

pub use clock::Clock;

use serde::Deserialize;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

/// The port the portal pages look for the signer on.
pub const DEFAULT_PORT: u16 = 47811;

/// What the signer needs to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// The token's PKCS#11 module (a `.so`, `.dylib` or `.dll`).
    pub module: PathBuf,
    /// Origins of the portals allowed to use the signer, serialised as
    /// browsers send them in `Origin` (`https://dichvucong.gov.vn`).
    pub allow_origins: Vec<String>,
    /// The port to listen on. [`serve`] takes the port of the listener it is
    /// given; this field is for the program that binds it.
    pub port: u16,
    /// The clock that decides whether a challenge has expired.
    pub clock: Clock,
}

impl Config {
    /// A configuration on the default port with the system clock.
    pub fn new(module: impl Into<PathBuf>, allow_origins: Vec<String>) -> Config {
        Config {
            module: module.into(),
            allow_origins,
            port: DEFAULT_PORT,
            clock: Clock::system(),
        }
    }

    /// Checks the allowed origins: at least one, each a serialised
    /// `https` origin, or `http` on a loopback host (for development).
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.allow_origins.is_empty() {
            return Err(ConfigError::NoOrigin);
        }
        for o in &self.allow_origins {
            if !challenge::is_serialized_origin(o) {
                return Err(ConfigError::BadOrigin(o.clone()));
            }
            if let Some(rest) = o.strip_prefix("http://") {
                let host = rest.rsplit_once(':').map_or(rest, |(h, _)| h);
                if !matches!(host, "localhost" | "127.0.0.1" | "[::1]") {
                    return Err(ConfigError::InsecureOrigin(o.clone()));
                }
            }
        }
        Ok(())
    }
}

/// The TOML config file (`--config`): the same keys as the command line.
///
/// ```toml
/// module = "/usr/lib/softhsm/libsofthsm2.so"
/// allow_origins = ["https://dichvucong.gov.vn"]
/// port = 47811
/// ```
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// PKCS#11 module path.
    pub module: Option<PathBuf>,
    /// Allowed portal origins (`allow_origin` is accepted too).
    #[serde(alias = "allow_origin")]
    pub allow_origins: Option<Vec<String>>,
    /// Port.
    pub port: Option<u16>,
}

impl FileConfig {
    /// Reads and parses a config file.
    pub fn load(path: &Path) -> Result<FileConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.to_owned(),
            source: e,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })
    }
}

/// A configuration the signer refuses.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No `--allow-origin`.
    #[error("no allowed origin: give at least one --allow-origin https://portal.example")]
    NoOrigin,
    /// Not a serialised origin.
    #[error("--allow-origin {0:?} is not an origin like https://portal.example (lower case, no path, no trailing slash, no default port)")]
    BadOrigin(String),
    /// Plain http to a non-loopback host.
    #[error("--allow-origin {0:?}: only https origins are allowed (http only for localhost / 127.0.0.1)")]
    InsecureOrigin(String),
    /// No `--module`.
    #[error("no PKCS#11 module: give --module /path/to/pkcs11.so or `module` in the config file")]
    NoModule,
    /// The config file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The config file is not valid TOML with the known keys.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What toml said.
        message: String,
    },
}

/// Why [`serve`] stopped or refused to start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The configuration is refused.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The listener is not on 127.0.0.1.
    #[error("motcua-signer listens on 127.0.0.1 only, not on {0}")]
    NotLoopback(std::net::SocketAddr),
    /// Socket error.
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
}

/// Serves the signer on `listener` until the task is dropped or the socket
/// fails. The listener must be bound to 127.0.0.1; its port is the one the
/// `Host` check expects. Tests bind port 0.
pub async fn serve(cfg: Config, listener: tokio::net::TcpListener) -> Result<(), ServeError> {
    cfg.validate()?;
    let addr = listener.local_addr()?;
    if addr.ip() != IpAddr::V4(Ipv4Addr::LOCALHOST) {
        return Err(ServeError::NotLoopback(addr));
    }
    let module = cfg.module.clone();
    match tokio::task::spawn_blocking(move || token::module(&module).map(|m| m.describe())).await {
        Ok(Ok(d)) => tracing::info!(module = %cfg.module.display(), "PKCS#11 module: {d}"),
        Ok(Err(e)) => tracing::warn!("{e}; will retry on each request"),
        Err(e) => tracing::warn!("loading the module: {e}"),
    }
    let app = server::router(cfg, addr.port());
    axum::serve(listener, app).await?;
    Ok(())
}
