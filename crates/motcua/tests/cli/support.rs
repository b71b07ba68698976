//! Running the real `motcua` binary in a throw-away folder, with the
//! environment overrides a deployment would use.
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_motcua");

/// How long one CLI command may take before the test gives up on it.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

pub use motcua_testkit::{in_ci, loud, pg_url, PG_ENV};

/// A name no other test (or test run) uses.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}_{}", motcua_testkit::unique_suffix())
}

/// A `tracing` record in the text format: an RFC 3339 time (maybe in
/// ANSI colours), then a level.
fn is_log_line(line: &str) -> bool {
    let mut plain = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // Skip an escape sequence up to its final letter.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    let mut words = plain.split_whitespace();
    let time = words.next().unwrap_or_default();
    let level = words.next().unwrap_or_default();
    time.len() > 20
        && time.as_bytes()[..4].iter().all(u8::is_ascii_digit)
        && time.ends_with('Z')
        && matches!(level, "TRACE" | "DEBUG" | "INFO" | "WARN" | "ERROR")
}

/// What a finished command left behind.
#[derive(Debug)]
pub struct Output {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// The non-empty lines of stderr that are not log records (the
    /// program's messages to the person running it).
    pub fn stderr_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| !l.trim().is_empty() && !is_log_line(l))
            .collect()
    }

    /// The value after `prefix` on the first stdout line that starts with it.
    pub fn stdout_value(&self, prefix: &str) -> Option<String> {
        self.stdout
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .map(|v| v.trim().to_string())
    }
}

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit code {}\n--- stdout ---\n{}--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// A temporary folder holding one portal's data: database, mail, secret key.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub db_url: String,
}

impl Sandbox {
    /// On an SQLite file inside the folder.
    pub fn sqlite() -> Sandbox {
        let dir = tempdir();
        let db_url = format!("sqlite://{}", dir.path().join("m.db").display());
        Sandbox { dir, db_url }
    }

    /// On the given database (e.g. a fresh PostgreSQL one).
    pub fn with_database(db_url: &str) -> Sandbox {
        Sandbox {
            dir: tempdir(),
            db_url: db_url.to_string(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn mail_dir(&self) -> PathBuf {
        self.path().join("mail")
    }

    /// `motcua ARGS` run in the folder with no configuration of its own
    /// (no inherited `MOTCUA_*`, no `DATABASE_URL`).
    pub fn bare(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args).current_dir(self.path());
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy().to_string();
            if k.starts_with("MOTCUA_") || k == "DATABASE_URL" {
                cmd.env_remove(k);
            }
        }
        cmd
    }

    /// `motcua ARGS` configured by environment like a deployment: data,
    /// database and mail in the folder, any free port.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = self.bare(args);
        cmd.env("MOTCUA_DATA_DIR", self.path())
            .env("MOTCUA_DATABASE__URL", &self.db_url)
            .env("MOTCUA_MAIL__FILE_DIR", self.mail_dir())
            .env("MOTCUA_LISTEN", "127.0.0.1:0");
        cmd
    }

    /// Runs `motcua ARGS` to the end.
    pub fn run(&self, args: &[&str]) -> Output {
        run(self.cmd(args))
    }

    /// Runs `motcua ARGS` and requires exit code 0.
    pub fn ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert_eq!(out.code, 0, "motcua {}: {out}", args.join(" "));
        out
    }

    /// Runs `motcua ARGS` and requires this exit code and a clear message:
    /// exactly one line on stderr, containing `needle`.
    pub fn fails(&self, args: &[&str], code: i32, needle: &str) -> Output {
        let out = self.run(args);
        assert_one_line_error(&out, code, needle, &args.join(" "));
        out
    }

    /// `motcua admin create-account`; returns the printed initial password.
    pub fn create_account(
        &self,
        username: &str,
        full_name: &str,
        email: &str,
        role: &str,
    ) -> String {
        let out = self.ok(&[
            "admin",
            "create-account",
            "--username",
            username,
            "--full-name",
            full_name,
            "--email",
            email,
            "--role",
            role,
        ]);
        assert!(
            out.stdout_value("created account ")
                .is_some_and(|v| v.ends_with(&format!(": {username}"))),
            "{out}"
        );
        let password = out
            .stdout_value("initial password:")
            .unwrap_or_else(|| panic!("no initial password printed: {out}"));
        assert!(
            password.chars().count() >= 12,
            "short initial password: {out}"
        );
        password
    }

    /// Starts `motcua serve` and waits for its first stdout line.
    pub fn serve(&self) -> Server {
        Server::start(self.cmd(&["serve"]))
    }
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("motcua-cli-")
        .tempdir()
        .unwrap_or_else(|e| panic!("cannot create a temporary folder: {e}"))
}

pub fn assert_one_line_error(out: &Output, code: i32, needle: &str, what: &str) {
    assert_eq!(out.code, code, "motcua {what}: {out}");
    let lines = out.stderr_lines();
    assert_eq!(
        lines.len(),
        1,
        "motcua {what}: expected a one-line error: {out}"
    );
    assert!(
        lines[0].contains(needle),
        "motcua {what}: error should mention {needle:?}: {out}"
    );
}

fn reader<R: Read + Send + 'static>(r: R) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut s = String::new();
        let mut r = r;
        let mut bytes = Vec::new();
        let _ = r.read_to_end(&mut bytes);
        s.push_str(&String::from_utf8_lossy(&bytes));
        s
    })
}

/// Runs a command to the end (killed after [`COMMAND_TIMEOUT`]).
pub fn run(mut cmd: Command) -> Output {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {BIN}: {e}"));
    let out = child.stdout.take().map(reader);
    let err = child.stderr.take().map(reader);
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if start.elapsed() > COMMAND_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{cmd:?} did not finish within {COMMAND_TIMEOUT:?}");
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("waiting for {BIN}: {e}"),
        }
    };
    let join = |h: Option<std::thread::JoinHandle<String>>| {
        h.map(|h| h.join().unwrap_or_default()).unwrap_or_default()
    };
    Output {
        code: status.code().unwrap_or(-1),
        stdout: join(out),
        stderr: join(err),
    }
}

/// A running `motcua serve`; killed when dropped. Its logs are printed if
/// the test fails.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    logs: Arc<Mutex<String>>,
}

impl Server {
    pub fn start(mut cmd: Command) -> Server {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {BIN} serve: {e}"));
        let logs = Arc::new(Mutex::new(String::new()));
        if let Some(err) = child.stderr.take() {
            let logs = logs.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines() {
                    let Ok(line) = line else { break };
                    if let Ok(mut l) = logs.lock() {
                        l.push_str(&line);
                        l.push('\n');
                    }
                }
            });
        }
        let (tx, rx) = mpsc::channel();
        if let Some(out) = child.stdout.take() {
            std::thread::spawn(move || {
                let mut lines = BufReader::new(out).lines();
                if let Some(Ok(first)) = lines.next() {
                    let _ = tx.send(first);
                }
                // Keep draining so the server never blocks on a full pipe.
                for _ in lines {}
            });
        }
        let first = rx.recv_timeout(Duration::from_secs(60));
        let mut server = Server {
            child,
            url: String::new(),
            logs,
        };
        let first = match first {
            Ok(l) => l,
            Err(_) => {
                let status = server.child.try_wait().ok().flatten();
                panic!(
                    "motcua serve printed no first line (exit: {status:?}); logs:\n{}",
                    server.logs()
                );
            }
        };
        let url = first
            .strip_prefix("Motcua listening on ")
            .unwrap_or_else(|| panic!("unexpected first line of motcua serve: {first:?}"));
        assert!(
            url.starts_with("http://127.0.0.1:") && !url.ends_with(":0"),
            "{first}"
        );
        server.url = url.to_string();
        server
    }

    pub fn logs(&self) -> String {
        self.logs.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Waits until the server logged a line containing `needle`.
    pub fn wait_for_log(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let logs = self.logs();
            if let Some(line) = logs.lines().find(|l| l.contains(needle)) {
                return line.to_string();
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "no log line with {needle:?}; logs:\n{logs}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server gracefully (SIGTERM) and waits for it to exit.
    #[cfg(unix)]
    pub fn terminate(&mut self) {
        let pid = self.child.id().to_string();
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
        let start = Instant::now();
        while self.child.try_wait().ok().flatten().is_none() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "motcua serve did not stop on SIGTERM; logs:\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn port(&self) -> u16 {
        self.url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {}", self.url))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            loud(&format!(
                "--- motcua serve ({}) logs ---\n{}--- end of logs ---",
                self.url,
                self.logs()
            ));
        }
    }
}

/// An HTTP client that keeps cookies, follows no redirects.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_else(|e| panic!("http client: {e}"))
}

/// The value of the first `<input name="NAME" … value="…">` in `html`.
pub fn input_value(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    let tag = &html[start..end];
    let v = tag.find("value=\"")? + 7;
    let len = tag[v..].find('"')?;
    Some(tag[v..v + len].to_string())
}

/// Logs in over plain HTTP (as a form post with its CSRF token); returns
/// the response (a redirect on success, the form with a message otherwise).
pub async fn http_login(
    client: &reqwest::Client,
    base: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    let page = client
        .get(format!("{base}/login"))
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .unwrap_or_else(|e| panic!("GET /login: {e}"));
    let html = page.text().await.unwrap_or_default();
    let csrf = input_value(&html, "csrf").unwrap_or_else(|| panic!("no CSRF field: {html}"));
    client
        .post(format!("{base}/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", username),
            ("password", password),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST /login: {e}"))
}
