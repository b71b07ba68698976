//! SMTP delivery against a real SMTP server: Python's `aiosmtpd`, started
//! on a free port of 127.0.0.1, storing what it receives in a maildir.
//!
//! Needs `python3` with `aiosmtpd` (`pip install aiosmtpd`). Without it the
//! tests fail when `CI=true`, and are skipped with a loud note otherwise.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test binary: helpers may fail loudly

use mail_parser::{MessageParser, MimeHeaders};
use motcua_mail::{
    render, Locale, MailError, Mailer, OutgoingMail, SmtpConfig, SmtpSecurity, Template,
};
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const FROM: &str = "Cổng Dịch vụ công Motcua <no-reply@motcua.example.vn>";
const USER: &str = "motcua-relay";
const PASSWORD: &str = "mật-khẩu-relay-42";

/// True when aiosmtpd can be used; panics on CI without it.
fn aiosmtpd_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "the SMTP tests need the Python module aiosmtpd, which `python3 -c 'import aiosmtpd'` \
             cannot load: install it with `pip install aiosmtpd` (CI must do so before `cargo test`)"
        );
    }
    // Straight to the stderr handle: unlike eprintln!, the test harness
    // does not capture it, so the note shows even when the tests "pass".
    static NOTE: std::sync::Once = std::sync::Once::new();
    NOTE.call_once(|| {
        let _ = writeln!(
            std::io::stderr(),
            "\n\
         ************************************************************************\n\
         *  SKIPPING SMTP TESTS: python3 module `aiosmtpd` is not installed.     *\n\
         *  Install it with `pip install aiosmtpd` to run them (CI requires it). *\n\
         ************************************************************************\n"
        );
    });
    false
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An aiosmtpd process, killed on drop, and the maildir it fills.
struct Server {
    child: Child,
    port: u16,
    maildir: PathBuf,
    log: PathBuf,
    _tmp: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Plain SMTP, through aiosmtpd's command line.
    fn plain() -> Server {
        Self::spawn(|port, maildir| {
            let mut c = Command::new("python3");
            c.args(["-m", "aiosmtpd", "-n", "-l"])
                .arg(format!("127.0.0.1:{port}"))
                .args(["-c", "aiosmtpd.handlers.Mailbox"])
                .arg(maildir);
            c
        })
    }

    /// STARTTLS required (`mode` = "starttls") or TLS from the first byte
    /// ("tls"), AUTH required, with the given certificate.
    fn secure(mode: &str, pki: &Pki) -> Server {
        let mode = mode.to_owned();
        let (cert, key) = (pki.leaf_pem.clone(), pki.leaf_key_pem.clone());
        Self::spawn(move |port, maildir| {
            let dir = maildir.parent().unwrap();
            let cert_path = dir.join("cert.pem");
            let key_path = dir.join("key.pem");
            std::fs::write(&cert_path, &cert).unwrap();
            std::fs::write(&key_path, &key).unwrap();
            let script = dir.join("server.py");
            std::fs::write(&script, SECURE_SERVER).unwrap();
            let mut c = Command::new("python3");
            c.arg(script)
                .arg(&mode)
                .arg(port.to_string())
                .arg(maildir)
                .arg(cert_path)
                .arg(key_path)
                .arg(USER)
                .arg(PASSWORD);
            c
        })
    }

    fn spawn(command: impl FnOnce(u16, &Path) -> Command) -> Server {
        let tmp = tempfile::tempdir().unwrap();
        let maildir = tmp.path().join("maildir");
        let log = tmp.path().join("server.log");
        let port = free_port();
        let mut cmd = command(port, &maildir);
        let log_file = std::fs::File::create(&log).unwrap();
        cmd.stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file);
        let child = cmd.spawn().expect("cannot start python3");
        let mut server = Server {
            child,
            port,
            maildir,
            log,
            _tmp: tmp,
        };
        server.wait_until_listening();
        server
    }

    fn wait_until_listening(&mut self) {
        let addr: SocketAddr = format!("127.0.0.1:{}", self.port).parse().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "aiosmtpd exited ({status}) before listening on {addr}:\n{}",
                    self.log_text()
                );
            }
            if Instant::now() > deadline {
                panic!(
                    "aiosmtpd did not listen on {addr} within 20 s:\n{}",
                    self.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The raw messages in the maildir's `new/`.
    fn messages(&self) -> Vec<Vec<u8>> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        let mut paths: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
        paths.sort();
        paths
            .into_iter()
            .map(|p| std::fs::read(p).unwrap())
            .collect()
    }

    /// Waits briefly for `n` messages (they are stored before the server
    /// answers 250, so this is only a safety margin).
    fn wait_for_messages(&self, n: usize) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let m = self.messages();
            if m.len() >= n || Instant::now() > deadline {
                return m;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn config(&self, security: SmtpSecurity, auth: Option<(&str, &str)>) -> SmtpConfig {
        SmtpConfig {
            host: "127.0.0.1".into(),
            port: self.port,
            security,
            username: auth.map(|(u, _)| u.to_owned()),
            password: auth.map(|(_, p)| p.to_owned()),
            timeout_secs: 10,
        }
    }
}

/// aiosmtpd with TLS and AUTH, which its command line cannot set up.
const SECURE_SERVER: &str = r#"
import logging, ssl, sys, threading
logging.basicConfig(level=logging.DEBUG)
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword

mode, port, maildir, cert, key, user, password = sys.argv[1:]
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)

def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword)
          and auth_data.login == user.encode()
          and auth_data.password == password.encode())
    # handled=False: aiosmtpd itself answers 535 on failure.
    return AuthResult(success=ok, handled=False)

kwargs = dict(authenticator=authenticator, auth_required=True)
if mode == "starttls":
    kwargs.update(tls_context=ctx, require_starttls=True, auth_require_tls=True)
else:
    # SMTPS: the whole connection is TLS, which aiosmtpd's AUTH check does
    # not see, so it must not insist on STARTTLS.
    kwargs.update(ssl_context=ctx, auth_require_tls=False)
controller = Controller(Mailbox(maildir), hostname="127.0.0.1", port=int(port), **kwargs)
controller.start()
print("listening", mode, port, flush=True)
threading.Event().wait()
"#;

/// A private CA and a certificate it issued for 127.0.0.1 / localhost.
struct Pki {
    ca_pem: String,
    leaf_pem: String,
    leaf_key_pem: String,
}

fn pki() -> Pki {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Motcua test CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf_params =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "smtp.test");
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
    Pki {
        ca_pem: ca_cert.pem(),
        leaf_pem: leaf.pem(),
        leaf_key_pem: leaf_key.serialize_pem(),
    }
}

fn password_changed_mail(to: &str) -> OutgoingMail {
    let t = Template::PasswordChanged {
        full_name: "Trần Thị Bích <script>".into(),
        at: "14:05 ngày 22/11/2025".into(),
        report_link: "https://motcua.example.vn/bao-cao?t=abc&u=7".into(),
    };
    OutgoingMail::new(to, render(&t, Locale::Vi))
}

/// Checks one delivered message against what was sent.
fn assert_delivered(raw: &[u8], sent: &OutgoingMail, rcpt: &str) {
    let parsed = MessageParser::default()
        .parse(raw)
        .expect("parseable message");
    let to = parsed.to().and_then(|a| a.first()).expect("a To header");
    assert_eq!(to.address(), Some(rcpt));
    assert_eq!(parsed.subject(), Some(sent.subject.as_str()));
    assert_eq!(
        parsed.subject(),
        Some("[Motcua] Mật khẩu của bạn đã được thay đổi")
    );
    let from = parsed
        .from()
        .and_then(|a| a.first())
        .expect("a From header");
    assert_eq!(from.address(), Some("no-reply@motcua.example.vn"));
    assert_eq!(from.name(), Some("Cổng Dịch vụ công Motcua"));
    // aiosmtpd records the envelope recipient.
    assert_eq!(
        parsed.header_raw("X-RcptTo").map(str::trim),
        Some(rcpt),
        "envelope recipient"
    );
    assert!(parsed
        .content_type()
        .is_some_and(|c| c.ctype() == "multipart" && c.subtype() == Some("alternative")));
    assert_eq!(parsed.text_body_count(), 1);
    assert_eq!(parsed.html_body_count(), 1);
    let lf = |s: &str| s.replace("\r\n", "\n").trim_end().to_owned();
    let text = parsed.body_text(0).unwrap();
    let html = parsed.body_html(0).unwrap();
    assert_eq!(lf(&text), lf(&sent.text));
    assert_eq!(lf(&html), lf(&sent.html));
    assert!(text.contains("Xin chào Trần Thị Bích <script>,"), "{text}");
    assert!(text.contains("Thời điểm: 14:05 ngày 22/11/2025"));
    assert!(text.contains("https://motcua.example.vn/bao-cao?t=abc&u=7"));
    assert!(html.contains("Trần Thị Bích &#60;script&#62;"), "{html}");
    assert!(!html.contains("<script>"));
    assert!(html.contains("href=\"https://motcua.example.vn/bao-cao?t=abc&#38;u=7\""));
}

#[tokio::test]
async fn delivers_over_plain_smtp() {
    if !aiosmtpd_available() {
        return;
    }
    let server = Server::plain();
    let mailer = Mailer::smtp(&server.config(SmtpSecurity::None, None), FROM).unwrap();
    assert_eq!(
        mailer.describe(),
        format!("smtp://127.0.0.1:{} (none)", server.port)
    );
    let first = password_changed_mail("Trần Thị Bích <bich@example.vn>");
    mailer.send(&first).await.unwrap();
    // A second message through a clone, over the pooled connection.
    let second = password_changed_mail("an@example.vn");
    mailer.clone().send(&second).await.unwrap();

    let messages = server.wait_for_messages(2);
    assert_eq!(messages.len(), 2, "server log:\n{}", server.log_text());
    let mut found = 0;
    for raw in &messages {
        let parsed = MessageParser::default().parse(raw).unwrap();
        match parsed
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
        {
            Some("bich@example.vn") => assert_delivered(raw, &first, "bich@example.vn"),
            Some("an@example.vn") => assert_delivered(raw, &second, "an@example.vn"),
            other => panic!("unexpected recipient {other:?}"),
        }
        found += 1;
    }
    assert_eq!(found, 2);
}

#[tokio::test]
async fn starttls_is_required_when_configured() {
    if !aiosmtpd_available() {
        return;
    }
    // The plain server offers no STARTTLS: the mailer must refuse to send
    // in clear text rather than downgrade.
    let server = Server::plain();
    let mailer = Mailer::smtp(&server.config(SmtpSecurity::Starttls, None), FROM).unwrap();
    let err = mailer
        .send(&password_changed_mail("an@example.vn"))
        .await
        .unwrap_err();
    assert!(matches!(err, MailError::Smtp { .. }), "{err}");
    assert!(err.to_string().contains("STARTTLS"), "{err}");
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn closed_port_fails_fast() {
    let port = free_port(); // bound then released: nothing listens there
    let cfg = SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        security: SmtpSecurity::None,
        username: None,
        password: None,
        timeout_secs: 2,
    };
    let mailer = Mailer::smtp(&cfg, FROM).unwrap();
    let start = Instant::now();
    let err = mailer
        .send(&password_changed_mail("an@example.vn"))
        .await
        .unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    assert!(
        matches!(&err, MailError::Smtp { server, .. } if *server == format!("127.0.0.1:{port}")),
        "{err}"
    );
    assert!(!err.is_permanent(), "worth retrying later: {err}");
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!("SMTP delivery via 127.0.0.1:{port} failed")),
        "{msg}"
    );
}

#[tokio::test]
async fn silent_server_times_out() {
    // Accepts connections (the kernel does, via the backlog) but never
    // sends a greeting.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let cfg = SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        security: SmtpSecurity::None,
        username: None,
        password: None,
        timeout_secs: 1,
    };
    let mailer = Mailer::smtp(&cfg, FROM).unwrap();
    let start = Instant::now();
    let err = mailer
        .send(&password_changed_mail("an@example.vn"))
        .await
        .unwrap_err();
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(900), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert!(matches!(err, MailError::Timeout { secs: 1, .. }), "{err}");
    assert!(!err.is_permanent());
    assert_eq!(
        err.to_string(),
        format!("SMTP delivery via 127.0.0.1:{port} timed out after 1 s")
    );
    drop(listener);
}

#[tokio::test]
async fn delivers_over_starttls_with_auth() {
    if !aiosmtpd_available() {
        return;
    }
    let pki = pki();
    let server = Server::secure("starttls", &pki);
    let cfg = server.config(SmtpSecurity::Starttls, Some((USER, PASSWORD)));
    let mailer = Mailer::smtp_with_root_certificate(&cfg, FROM, pki.ca_pem.as_bytes()).unwrap();
    assert!(!format!("{mailer:?} {}", mailer.describe()).contains(PASSWORD));
    let mail = password_changed_mail("bich@example.vn");
    if let Err(e) = mailer.send(&mail).await {
        panic!("{e}\nserver log:\n{}", server.log_text());
    }
    let messages = server.wait_for_messages(1);
    assert_eq!(messages.len(), 1, "server log:\n{}", server.log_text());
    assert_delivered(&messages[0], &mail, "bich@example.vn");

    // A wrong password is refused, permanently.
    let bad = server.config(SmtpSecurity::Starttls, Some((USER, "sai-mật-khẩu")));
    let mailer = Mailer::smtp_with_root_certificate(&bad, FROM, pki.ca_pem.as_bytes()).unwrap();
    let err = mailer.send(&mail).await.unwrap_err();
    assert!(
        matches!(err, MailError::Smtp { .. }),
        "{err}\n{}",
        server.log_text()
    );
    assert!(err.is_permanent(), "{err}");

    // Without trusting the private CA the certificate is rejected.
    let mailer = Mailer::smtp(&cfg, FROM).unwrap();
    let err = mailer.send(&mail).await.unwrap_err();
    assert!(matches!(err, MailError::Smtp { .. }), "{err}");
    assert!(
        err.to_string().contains("invalid peer certificate"),
        "{err}"
    );

    assert_eq!(server.messages().len(), 1);
}

#[tokio::test]
async fn delivers_over_implicit_tls_with_auth() {
    if !aiosmtpd_available() {
        return;
    }
    let pki = pki();
    let server = Server::secure("tls", &pki);
    let cfg = server.config(SmtpSecurity::Tls, Some((USER, PASSWORD)));
    let mailer = Mailer::smtp_with_root_certificate(&cfg, FROM, pki.ca_pem.as_bytes()).unwrap();
    assert_eq!(
        mailer.describe(),
        format!("smtp://127.0.0.1:{} (tls)", server.port)
    );
    let mail = password_changed_mail("bich@example.vn");
    if let Err(e) = mailer.send(&mail).await {
        panic!("{e}\nserver log:\n{}", server.log_text());
    }
    let messages = server.wait_for_messages(1);
    assert_eq!(messages.len(), 1, "server log:\n{}", server.log_text());
    assert_delivered(&messages[0], &mail, "bich@example.vn");
}
