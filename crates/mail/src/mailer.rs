//! Delivery: an `.eml` file drop (development, tests) or SMTP.

use crate::Rendered;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::{AsyncSmtpTransport, AsyncSmtpTransportBuilder};
use lettre::{AsyncFileTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A message ready to be sent; serializable so that it can wait in a
/// job queue.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct OutgoingMail {
    /// `user@example.vn` or `Nguyễn Văn An <user@example.vn>`
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl OutgoingMail {
    pub fn new(to: impl Into<String>, r: Rendered) -> Self {
        OutgoingMail {
            to: to.into(),
            subject: r.subject,
            text: r.text,
            html: r.html,
        }
    }
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain text (only for a relay on localhost or a trusted network).
    None,
    /// STARTTLS is required (usually port 587).
    Starttls,
    /// TLS from the first byte, "SMTPS" (usually port 465).
    Tls,
}

impl SmtpSecurity {
    fn as_str(&self) -> &'static str {
        match self {
            SmtpSecurity::None => "none",
            SmtpSecurity::Starttls => "starttls",
            SmtpSecurity::Tls => "tls",
        }
    }
}

/// SMTP relay settings. `timeout_secs` bounds a whole delivery (connect,
/// TLS handshake, AUTH, the SMTP dialogue); it defaults to 30 when
/// missing from the configuration file.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
}

fn default_timeout_secs() -> u64 {
    30
}

/// What can go wrong building or delivering a message.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid sender address {address:?}: {source}")]
    BadSender {
        address: String,
        source: lettre::address::AddressError,
    },
    #[error("invalid recipient address {address:?}: {source}")]
    BadRecipient {
        address: String,
        source: lettre::address::AddressError,
    },
    #[error("could not build the message: {0}")]
    Message(#[from] lettre::error::Error),
    #[error("invalid mail configuration: {0}")]
    Config(String),
    #[error("cannot create the mail directory {}: {source}", dir.display())]
    Dir {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the message into {}: {source}", dir.display())]
    File {
        dir: PathBuf,
        source: lettre::transport::file::Error,
    },
    #[error("SMTP delivery via {server} failed: {source}")]
    Smtp {
        server: String,
        source: lettre::transport::smtp::Error,
    },
    #[error("SMTP delivery via {server} timed out after {secs} s")]
    Timeout { server: String, secs: u64 },
}

impl MailError {
    /// True when sending the same message again cannot succeed (a bad
    /// address, a configuration error, a permanent 5xx SMTP answer), so a
    /// job queue should stop retrying it.
    pub fn is_permanent(&self) -> bool {
        match self {
            MailError::BadSender { .. }
            | MailError::BadRecipient { .. }
            | MailError::Message(_)
            | MailError::Config(_) => true,
            MailError::Smtp { source, .. } => source.is_permanent(),
            MailError::Dir { .. } | MailError::File { .. } | MailError::Timeout { .. } => false,
        }
    }
}

/// Sends [`OutgoingMail`]. Cheap to clone; clones share the SMTP
/// connection pool.
#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    kind: Kind,
}

#[derive(Clone)]
enum Kind {
    File {
        dir: PathBuf,
        transport: AsyncFileTransport<Tokio1Executor>,
    },
    Smtp(Arc<Smtp>),
}

struct Smtp {
    /// `host:port`
    server: String,
    security: SmtpSecurity,
    builder: AsyncSmtpTransportBuilder,
    /// Built on first use: lettre's pool spawns a task, which needs the
    /// Tokio runtime that `send` runs in. Dropped after a timeout, so that
    /// a connection cut off in mid-dialogue is never reused.
    transport: Mutex<Option<AsyncSmtpTransport<Tokio1Executor>>>,
    timeout: Duration,
}

impl Smtp {
    fn slot(&self) -> std::sync::MutexGuard<'_, Option<AsyncSmtpTransport<Tokio1Executor>>> {
        self.transport
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn transport(&self) -> AsyncSmtpTransport<Tokio1Executor> {
        self.slot()
            .get_or_insert_with(|| self.builder.clone().build())
            .clone()
    }

    /// Forgets the transport and its pooled connections; the next send
    /// starts afresh.
    fn reset(&self) {
        *self.slot() = None;
    }
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .field("transport", &self.describe())
            .finish()
    }
}

impl Mailer {
    /// Writes each message as `<uuid>.eml` into `dir`, which is created if
    /// missing.
    pub fn file(dir: impl Into<PathBuf>, from: &str) -> Result<Mailer, MailError> {
        let dir = dir.into();
        let from = parse_sender(from)?;
        std::fs::create_dir_all(&dir).map_err(|source| MailError::Dir {
            dir: dir.clone(),
            source,
        })?;
        Ok(Mailer {
            from,
            kind: Kind::File {
                transport: AsyncFileTransport::new(&dir),
                dir,
            },
        })
    }

    /// Sends through an SMTP relay, with STARTTLS or TLS (certificates
    /// checked against the public web roots) and AUTH when a username is
    /// set. Nothing is connected until the first `send`.
    pub fn smtp(cfg: &SmtpConfig, from: &str) -> Result<Mailer, MailError> {
        Self::smtp_inner(cfg, from, None)
    }

    /// Like [`Mailer::smtp`], also trusting the given root certificate
    /// (PEM), for a relay whose certificate comes from a private CA.
    pub fn smtp_with_root_certificate(
        cfg: &SmtpConfig,
        from: &str,
        root_pem: &[u8],
    ) -> Result<Mailer, MailError> {
        let bad = |detail: String| MailError::Config(format!("bad root certificate: {detail}"));
        if !root_pem
            .windows(b"-----BEGIN CERTIFICATE-----".len())
            .any(|w| w == b"-----BEGIN CERTIFICATE-----")
        {
            return Err(bad("no PEM \"CERTIFICATE\" block".into()));
        }
        let cert = Certificate::from_pem(root_pem).map_err(|e| bad(e.to_string()))?;
        Self::smtp_inner(cfg, from, Some(cert))
    }

    fn smtp_inner(
        cfg: &SmtpConfig,
        from: &str,
        root: Option<Certificate>,
    ) -> Result<Mailer, MailError> {
        let from = parse_sender(from)?;
        let host = cfg.host.trim();
        if host.is_empty() || host.contains(char::is_whitespace) || host.contains('/') {
            return Err(MailError::Config(format!(
                "smtp host {:?} is not a host name or IP address",
                cfg.host
            )));
        }
        if cfg.port == 0 {
            return Err(MailError::Config("smtp port must not be 0".into()));
        }
        if cfg.timeout_secs == 0 {
            return Err(MailError::Config(
                "smtp timeout_secs must be at least 1".into(),
            ));
        }
        let server = if host.contains(':') {
            format!("[{host}]:{}", cfg.port)
        } else {
            format!("{host}:{}", cfg.port)
        };
        let timeout = Duration::from_secs(cfg.timeout_secs);
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(cfg.port)
            .timeout(Some(timeout));

        if cfg.security != SmtpSecurity::None {
            let mut tls = TlsParameters::builder(host.to_owned());
            if let Some(cert) = root {
                tls = tls.add_root_certificate(cert);
            }
            let params = tls
                .build_rustls()
                .map_err(|e| MailError::Config(format!("TLS setup for {server}: {e}")))?;
            builder = builder.tls(match cfg.security {
                SmtpSecurity::Starttls => Tls::Required(params),
                _ => Tls::Wrapper(params),
            });
        } else {
            builder = builder.tls(Tls::None);
        }

        match (
            cfg.username.as_deref().filter(|u| !u.is_empty()),
            cfg.password.as_deref(),
        ) {
            (Some(user), Some(password)) => {
                if cfg.security == SmtpSecurity::None {
                    tracing::warn!(
                        server = %server,
                        "SMTP AUTH over an unencrypted connection: the password can be read on the network"
                    );
                }
                builder =
                    builder.credentials(Credentials::new(user.to_owned(), password.to_owned()));
            }
            (Some(_), None) => {
                return Err(MailError::Config(
                    "smtp username is set but password is not".into(),
                ))
            }
            (None, _) => {}
        }

        Ok(Mailer {
            from,
            kind: Kind::Smtp(Arc::new(Smtp {
                server,
                security: cfg.security.clone(),
                builder,
                transport: Mutex::new(None),
                timeout,
            })),
        })
    }

    /// Builds the message (multipart/alternative: UTF-8 text and HTML) and
    /// delivers it.
    pub async fn send(&self, m: &OutgoingMail) -> Result<(), MailError> {
        let message = self.build(m)?;
        match &self.kind {
            Kind::File { dir, transport } => {
                let id = transport
                    .send(message)
                    .await
                    .map_err(|source| MailError::File {
                        dir: dir.clone(),
                        source,
                    })?;
                tracing::info!(file = %dir.join(format!("{id}.eml")).display(), "mail written");
                Ok(())
            }
            Kind::Smtp(smtp) => {
                let transport = smtp.transport();
                // lettre bounds only the TCP connect; this bounds it all.
                match tokio::time::timeout(smtp.timeout, transport.send(message)).await {
                    Err(_) => {
                        smtp.reset();
                        Err(MailError::Timeout {
                            server: smtp.server.clone(),
                            secs: smtp.timeout.as_secs(),
                        })
                    }
                    Ok(Err(source)) if source.is_timeout() => {
                        tracing::debug!(error = %source, "SMTP step timed out");
                        Err(MailError::Timeout {
                            server: smtp.server.clone(),
                            secs: smtp.timeout.as_secs(),
                        })
                    }
                    Ok(Err(source)) => Err(MailError::Smtp {
                        server: smtp.server.clone(),
                        source,
                    }),
                    Ok(Ok(response)) => {
                        tracing::info!(
                            server = %smtp.server,
                            code = %response.code(),
                            "mail sent"
                        );
                        Ok(())
                    }
                }
            }
        }
    }

    /// Where mail goes, for logs and the ops page: `file:data/mail` or
    /// `smtp://host:587 (starttls)`. Never shows credentials.
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::File { dir, .. } => format!("file:{}", dir.display()),
            Kind::Smtp(s) => format!("smtp://{} ({})", s.server, s.security.as_str()),
        }
    }

    /// The sender, as given to the constructor.
    pub fn from_address(&self) -> String {
        self.from.to_string()
    }

    /// The directory of a file mailer.
    pub fn file_dir(&self) -> Option<&Path> {
        match &self.kind {
            Kind::File { dir, .. } => Some(dir),
            Kind::Smtp(_) => None,
        }
    }

    /// `<time.random@sender-domain>`: the sender's domain rather than this
    /// machine's host name, which may be an internal container name.
    fn new_message_id(&self) -> String {
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        let random: u64 = rand::random();
        format!("<{millis}.{random:016x}@{}>", self.from.email.domain())
    }

    fn build(&self, m: &OutgoingMail) -> Result<Message, MailError> {
        let to: Mailbox =
            m.to.trim()
                .parse()
                .map_err(|source| MailError::BadRecipient {
                    address: m.to.clone(),
                    source,
                })?;
        let subject: String = m
            .subject
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject.trim())
            .message_id(Some(self.new_message_id()))
            // RFC 3834: no vacation auto-replies to portal notifications.
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".to_owned(),
            ))
            .multipart(MultiPart::alternative_plain_html(
                m.text.clone(),
                m.html.clone(),
            ))?;
        Ok(message)
    }
}

fn parse_sender(from: &str) -> Result<Mailbox, MailError> {
    from.trim().parse().map_err(|source| MailError::BadSender {
        address: from.to_owned(),
        source,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::{render, Locale, Template};
    use mail_parser::MimeHeaders;

    fn sample() -> OutgoingMail {
        let t = Template::PasswordReset {
            full_name: "Nguyễn Văn An <script>".into(),
            link: "https://motcua.example.vn/dat-lai-mat-khau?t=abc".into(),
            minutes: 30,
        };
        OutgoingMail::new("Nguyễn Văn An <an@example.vn>", render(&t, Locale::Vi))
    }

    fn eml_files(dir: &Path) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        v.sort();
        v
    }

    #[tokio::test]
    async fn file_transport_writes_a_parseable_eml() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("nested/mail");
        let mailer = Mailer::file(
            &dir,
            "Cổng Dịch vụ công Motcua <no-reply@motcua.example.vn>",
        )
        .unwrap();
        assert_eq!(mailer.describe(), format!("file:{}", dir.display()));
        assert!(dir.is_dir(), "the directory is created");
        let mail = sample();
        mailer.clone().send(&mail).await.unwrap();

        let files = eml_files(&dir);
        assert_eq!(files.len(), 1);
        let raw = std::fs::read(&files[0]).unwrap();
        let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
        assert_eq!(parsed.subject(), Some("[Motcua] Đặt lại mật khẩu"));
        let to = parsed.to().unwrap().first().unwrap();
        assert_eq!(to.address(), Some("an@example.vn"));
        assert_eq!(to.name(), Some("Nguyễn Văn An"));
        let from = parsed.from().unwrap().first().unwrap();
        assert_eq!(from.address(), Some("no-reply@motcua.example.vn"));
        assert_eq!(from.name(), Some("Cổng Dịch vụ công Motcua"));
        assert!(parsed
            .content_type()
            .is_some_and(|c| c.ctype() == "multipart" && c.subtype() == Some("alternative")));
        assert_eq!(
            parsed.header_raw("Auto-Submitted").map(str::trim),
            Some("auto-generated")
        );
        let id = parsed.message_id().unwrap();
        assert!(id.ends_with("@motcua.example.vn"), "{id}");
        assert!(parsed.date().is_some());
        // Line ends become CRLF on the wire.
        let lf = |s: &str| s.replace("\r\n", "\n").trim_end().to_owned();
        assert_eq!(lf(&parsed.body_text(0).unwrap()), lf(&mail.text));
        assert_eq!(lf(&parsed.body_html(0).unwrap()), lf(&mail.html));
        let html = parsed.body_html(0).unwrap();
        assert!(html.contains("Nguyễn Văn An &#60;script&#62;"), "{html}");
        assert!(parsed
            .body_text(0)
            .unwrap()
            .contains("Xin chào Nguyễn Văn An <script>,"));
        // Both parts declare UTF-8.
        for part in parsed.text_bodies().chain(parsed.html_bodies()) {
            let ct = part.content_type().unwrap();
            assert_eq!(
                ct.attribute("charset")
                    .map(str::to_ascii_lowercase)
                    .as_deref(),
                Some("utf-8")
            );
        }
    }

    #[tokio::test]
    async fn bad_addresses_are_reported() {
        let tmp = tempfile::tempdir().unwrap();
        let err = Mailer::file(tmp.path(), "not an address").unwrap_err();
        assert!(matches!(err, MailError::BadSender { .. }), "{err}");
        assert!(err
            .to_string()
            .contains("invalid sender address \"not an address\""));
        let mailer = Mailer::file(tmp.path(), "no-reply@motcua.example.vn").unwrap();
        for bad in ["", "an", "an@", "a\r\nBcc: x@y.vn", "<an@example.vn"] {
            let mut m = sample();
            m.to = bad.into();
            let err = mailer.send(&m).await.unwrap_err();
            assert!(
                matches!(err, MailError::BadRecipient { .. }),
                "{bad:?}: {err}"
            );
            assert!(err.is_permanent());
            assert!(
                err.to_string().starts_with("invalid recipient address"),
                "{err}"
            );
        }
        assert!(eml_files(tmp.path()).is_empty());
    }

    #[tokio::test]
    async fn subject_cannot_inject_headers() {
        let tmp = tempfile::tempdir().unwrap();
        let mailer = Mailer::file(tmp.path(), "no-reply@motcua.example.vn").unwrap();
        let mut m = sample();
        m.subject = "[Motcua] x\r\nBcc: victim@example.vn".into();
        mailer.send(&m).await.unwrap();
        let raw = std::fs::read(&eml_files(tmp.path())[0]).unwrap();
        let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
        assert!(parsed.bcc().is_none());
        assert_eq!(parsed.subject(), Some("[Motcua] x  Bcc: victim@example.vn"));
    }

    #[test]
    fn smtp_config_is_checked_and_described() {
        let cfg = SmtpConfig {
            host: "smtp.example.vn".into(),
            port: 587,
            security: SmtpSecurity::Starttls,
            username: Some("motcua".into()),
            password: Some("hunter2-secret".into()),
            timeout_secs: 10,
        };
        let m = Mailer::smtp(&cfg, "Motcua <no-reply@motcua.example.vn>").unwrap();
        assert_eq!(m.describe(), "smtp://smtp.example.vn:587 (starttls)");
        assert!(!format!("{m:?}").contains("hunter2"));
        assert!(m.file_dir().is_none());

        let tls = SmtpConfig {
            security: SmtpSecurity::Tls,
            port: 465,
            ..cfg.clone()
        };
        assert_eq!(
            Mailer::smtp(&tls, "no-reply@motcua.example.vn")
                .unwrap()
                .describe(),
            "smtp://smtp.example.vn:465 (tls)"
        );

        for (bad, needle) in [
            (
                SmtpConfig {
                    host: " ".into(),
                    ..cfg.clone()
                },
                "host",
            ),
            (
                SmtpConfig {
                    port: 0,
                    ..cfg.clone()
                },
                "port",
            ),
            (
                SmtpConfig {
                    timeout_secs: 0,
                    ..cfg.clone()
                },
                "timeout",
            ),
            (
                SmtpConfig {
                    password: None,
                    ..cfg.clone()
                },
                "password",
            ),
        ] {
            let err = Mailer::smtp(&bad, "no-reply@motcua.example.vn").unwrap_err();
            assert!(matches!(err, MailError::Config(_)), "{err}");
            assert!(err.to_string().contains(needle), "{err}");
        }
        assert!(Mailer::smtp(&cfg, "bad").is_err());
        assert!(
            Mailer::smtp_with_root_certificate(&cfg, "no-reply@motcua.example.vn", b"junk")
                .is_err()
        );
    }

    #[test]
    fn smtp_config_from_toml_like_json() {
        let cfg: SmtpConfig =
            serde_json::from_str(r#"{"host":"localhost","port":25,"security":"none"}"#).unwrap();
        assert_eq!(cfg.security, SmtpSecurity::None);
        assert_eq!(cfg.timeout_secs, 30);
        assert!(cfg.username.is_none() && cfg.password.is_none());
        let s: SmtpSecurity = serde_json::from_str("\"starttls\"").unwrap();
        assert_eq!(s, SmtpSecurity::Starttls);
        assert_eq!(
            serde_json::to_string(&SmtpSecurity::Tls).unwrap(),
            "\"tls\""
        );
    }

    #[test]
    fn outgoing_mail_round_trips_through_json() {
        let m = sample();
        let back: OutgoingMail = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(back, m);
    }
}
