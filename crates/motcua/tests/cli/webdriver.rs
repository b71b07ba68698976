//! A small W3C WebDriver client (plain HTTP + JSON) for Debian's
//! `chromedriver` driving `chromium` headless.
use crate::support::{in_ci, loud, unique};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The W3C key under which an element reference is returned.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long to wait for something to appear in the page.
pub const WAIT: Duration = Duration::from_secs(20);

const INSTALL: &str = "install them with: apt-get install -y chromium chromium-driver && \
                       (cd <repo root> && npm install --no-save axe-core@4 oidc-provider@9 openid-client@6) — or run .ci/run";

/// The browser, its driver and axe-core, found on this machine.
pub struct Tools {
    pub chromedriver: PathBuf,
    pub chromium: PathBuf,
    /// The source of `axe.min.js`.
    pub axe_js: String,
}

fn in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn from_env_or(var: &str, default: &str) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(v) if !v.is_empty() => Some(PathBuf::from(v)).filter(|p| p.is_file()),
        _ => Some(PathBuf::from(default))
            .filter(|p| p.is_file())
            .or_else(|| in_path(Path::new(default).file_name()?.to_str()?)),
    }
}

fn axe_path() -> PathBuf {
    match std::env::var_os("AXE_CORE_JS") {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../node_modules/axe-core/axe.min.js"),
    }
}

impl Tools {
    /// `None` (after a loud note) when something is missing; in CI
    /// (`CI=true`) a missing tool fails the test instead.
    pub fn find(test: &str) -> Option<Tools> {
        let chromedriver = from_env_or("CHROMEDRIVER", "/usr/bin/chromedriver");
        let chromium = from_env_or("CHROMIUM", "/usr/bin/chromium");
        let axe = axe_path();
        let axe_js = std::fs::read_to_string(&axe).ok();
        let mut missing = Vec::new();
        if chromedriver.is_none() {
            missing.push(
                "chromedriver (Debian package chromium-driver; or set CHROMEDRIVER)".to_string(),
            );
        }
        if chromium.is_none() {
            missing.push("chromium (Debian package chromium; or set CHROMIUM)".to_string());
        }
        if axe_js.is_none() {
            missing.push(format!(
                "axe-core ({} not found; or set AXE_CORE_JS to axe.min.js)",
                axe.display()
            ));
        }
        match (chromedriver, chromium, axe_js) {
            (Some(chromedriver), Some(chromium), Some(axe_js)) => Some(Tools {
                chromedriver,
                chromium,
                axe_js,
            }),
            _ => {
                let msg = format!(
                    "browser test {test} needs: {}; {INSTALL}",
                    missing.join(", ")
                );
                assert!(!in_ci(), "CI=true: {msg}");
                loud(&format!("\n*** SKIPPED: {msg} ***\n"));
                None
            }
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

/// A running `chromedriver` with one browser session; both end on drop.
/// The session's commands are [`Page`]'s.
pub struct Browser {
    page: Page,
    _driver: Driver,
    _profile: tempfile::TempDir,
}

/// The chromedriver process, killed on drop (also when starting fails).
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl std::ops::Deref for Browser {
    type Target = Page;
    fn deref(&self) -> &Page {
        &self.page
    }
}

/// One WebDriver session.
#[derive(Clone)]
pub struct Page {
    http: reqwest::Client,
    /// `http://127.0.0.1:PORT/session/ID`
    session: String,
    /// The portal's base URL, `http://127.0.0.1:PORT`.
    pub base: String,
}

#[derive(Debug)]
pub struct WdError {
    pub error: String,
    pub message: String,
}

impl std::fmt::Display for WdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.message)
    }
}

async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    body: Option<Value>,
) -> Result<Value, WdError> {
    let mut req = http.request(method.clone(), url);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.map_err(|e| WdError {
        error: "http".into(),
        message: format!("{method} {url}: {e}"),
    })?;
    let status = r.status();
    let v: Value = r.json().await.map_err(|e| WdError {
        error: "http".into(),
        message: format!("{method} {url}: bad JSON: {e}"),
    })?;
    let value = v.get("value").cloned().unwrap_or(Value::Null);
    if !status.is_success() {
        return Err(WdError {
            error: value["error"].as_str().unwrap_or("unknown").to_string(),
            message: value["message"]
                .as_str()
                .unwrap_or_default()
                .lines()
                .next()
                .unwrap_or_default()
                .to_string(),
        });
    }
    Ok(value)
}

impl Browser {
    /// Starts chromedriver on a free port and opens a headless Chromium.
    pub async fn start(tools: &Tools, base: &str) -> Browser {
        let port = free_port();
        let driver = Driver(
            Command::new(&tools.chromedriver)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", tools.chromedriver.display())),
        );
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let profile = tempfile::Builder::new()
            .prefix("motcua-chromium-")
            .tempdir()
            .unwrap_or_else(|e| panic!("{e}"));
        let root = format!("http://127.0.0.1:{port}");
        let start = Instant::now();
        loop {
            let ready = call(&http, reqwest::Method::GET, &format!("{root}/status"), None).await;
            if ready.is_ok_and(|v| v["ready"] == json!(true)) {
                break;
            }
            assert!(
                start.elapsed() < WAIT,
                "chromedriver did not become ready on port {port}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,900",
            "--lang=vi",
        ];
        let mut args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let caps = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "pageLoadStrategy": "normal",
                    "goog:chromeOptions": {
                        "binary": tools.chromium.to_string_lossy(),
                        "args": args,
                        "prefs": { "intl.accept_languages": "vi-VN,vi" }
                    }
                }
            }
        });
        let v = call(
            &http,
            reqwest::Method::POST,
            &format!("{root}/session"),
            Some(caps),
        )
        .await
        .unwrap_or_else(|e| panic!("cannot open a Chromium session: {e}"));
        let id = v["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no sessionId in {v}"));
        let browser = Browser {
            page: Page {
                http,
                session: format!("{root}/session/{id}"),
                base: base.trim_end_matches('/').to_string(),
            },
            _driver: driver,
            _profile: profile,
        };
        browser
            .post(
                "/timeouts",
                json!({ "script": 60_000, "pageLoad": 60_000, "implicit": 0 }),
            )
            .await
            .unwrap_or_else(|e| panic!("timeouts: {e}"));
        browser
    }
}

impl Page {
    async fn post(&self, path: &str, body: Value) -> Result<Value, WdError> {
        call(
            &self.http,
            reqwest::Method::POST,
            &format!("{}{path}", self.session),
            Some(body),
        )
        .await
    }

    async fn get(&self, path: &str) -> Result<Value, WdError> {
        call(
            &self.http,
            reqwest::Method::GET,
            &format!("{}{path}", self.session),
            None,
        )
        .await
    }

    /// Opens a path of the portal.
    pub async fn goto(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        self.post("/url", json!({ "url": url }))
            .await
            .unwrap_or_else(|e| panic!("navigate to {url}: {e}"));
    }

    /// Opens an absolute URL (another site, e.g. a simulator's page).
    pub async fn goto_url(&self, url: &str) {
        self.post("/url", json!({ "url": url }))
            .await
            .unwrap_or_else(|e| panic!("navigate to {url}: {e}"));
    }

    /// The current path (with query), e.g. `/account?m=password_changed`.
    pub async fn path(&self) -> String {
        let url = self
            .get("/url")
            .await
            .unwrap_or_else(|e| panic!("current url: {e}"));
        let url = url.as_str().unwrap_or_default();
        url.strip_prefix(&self.base).unwrap_or(url).to_string()
    }

    async fn find(&self, css: &str) -> Result<String, WdError> {
        let v = self
            .post("/element", json!({ "using": "css selector", "value": css }))
            .await?;
        v[ELEMENT_KEY]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| WdError {
                error: "no element id".into(),
                message: v.to_string(),
            })
    }

    /// Waits for an element (WebDriver's own waits are unreliable across
    /// navigations) and returns its id.
    pub async fn element(&self, css: &str) -> String {
        let start = Instant::now();
        loop {
            match self.find(css).await {
                Ok(id) => return id,
                Err(e) if start.elapsed() > WAIT => {
                    let path = self.path().await;
                    panic!(
                        "no element {css:?} on {path}: {e}\n{}",
                        self.body_text().await
                    )
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// Types into a field (cleared first).
    pub async fn fill(&self, css: &str, text: &str) {
        self.on_element(css, "type into", |id| async move {
            self.post(&format!("/element/{id}/clear"), json!({}))
                .await?;
            self.post(&format!("/element/{id}/value"), json!({ "text": text }))
                .await
        })
        .await;
    }

    /// Chooses a file for an `<input type=file>`.
    pub async fn upload(&self, css: &str, path: &std::path::Path) {
        let path = path.display().to_string();
        self.on_element(css, "upload into", |id| {
            let path = path.clone();
            async move {
                self.post(&format!("/element/{id}/value"), json!({ "text": path }))
                    .await
            }
        })
        .await;
    }

    /// Sets a form control's value by script (e.g. a `<select>` option).
    pub async fn set_value(&self, css: &str, value: &str) {
        self.element(css).await;
        self.execute(
            "const e = document.querySelector(arguments[0]); e.value = arguments[1]; \
             e.dispatchEvent(new Event('change', { bubbles: true })); return e.value;",
            json!([css, value]),
        )
        .await
        .unwrap_or_else(|e| panic!("set {css}: {e}"));
    }

    pub async fn click(&self, css: &str) {
        self.on_element(css, "click", |id| async move {
            self.post(&format!("/element/{id}/click"), json!({})).await
        })
        .await;
    }

    /// Does `action` on the element; if the page replaced the element
    /// meanwhile (htmx swaps), finds it again and retries.
    async fn on_element<F, Fut>(&self, css: &str, what: &str, action: F)
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = Result<Value, WdError>>,
    {
        let start = Instant::now();
        loop {
            let id = self.element(css).await;
            match action(id).await {
                Ok(_) => return,
                Err(e) if e.error == "stale element reference" && start.elapsed() < WAIT => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("{what} {css}: {e}"),
            }
        }
    }

    /// The visible text of an element ("" if it went away meanwhile).
    pub async fn text(&self, css: &str) -> String {
        let id = self.element(css).await;
        self.get(&format!("/element/{id}/text"))
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    pub async fn body_text(&self) -> String {
        self.execute(
            "return document.body ? document.body.innerText : '';",
            json!([]),
        )
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
    }

    /// Waits until the element's text contains `needle`; returns the text.
    pub async fn wait_text(&self, css: &str, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let t = self.text(css).await;
            if t.contains(needle) {
                return t;
            }
            assert!(
                start.elapsed() < WAIT,
                "{css:?} on {} never contained {needle:?}; it shows:\n{t}",
                self.path().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the current path satisfies `ok`; returns it.
    pub async fn wait_path(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let p = self.path().await;
            if ok(&p) {
                return p;
            }
            assert!(
                start.elapsed() < WAIT,
                "expected {what}, still on {p}:\n{}",
                self.body_text().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The handles of the open windows (tabs and popups).
    pub async fn windows(&self) -> Vec<String> {
        let v = self
            .get("/window/handles")
            .await
            .unwrap_or_else(|e| panic!("window handles: {e}"));
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|h| h.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The current window's handle.
    pub async fn window(&self) -> String {
        let v = self
            .get("/window")
            .await
            .unwrap_or_else(|e| panic!("window handle: {e}"));
        v.as_str().unwrap_or_default().to_string()
    }

    /// Switches the commands to another window.
    pub async fn switch_to(&self, handle: &str) {
        self.post("/window", json!({ "handle": handle }))
            .await
            .unwrap_or_else(|e| panic!("switch to window {handle}: {e}"));
    }

    /// Waits for a window other than `known` to open, switches to it and
    /// returns its handle.
    pub async fn switch_to_new_window(&self, known: &[String]) -> String {
        let start = Instant::now();
        loop {
            if let Some(h) = self
                .windows()
                .await
                .into_iter()
                .find(|h| !known.contains(h))
            {
                self.switch_to(&h).await;
                return h;
            }
            assert!(start.elapsed() < WAIT, "no new window opened");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A cookie of the current page's site, HttpOnly ones included.
    pub async fn cookie(&self, name: &str) -> Option<String> {
        let v = self.get(&format!("/cookie/{name}")).await.ok()?;
        v["value"].as_str().map(str::to_string)
    }

    /// The full URL of the current window.
    pub async fn url(&self) -> String {
        self.get("/url")
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// Resizes the browser's window (CSS pixels).
    pub async fn set_size(&self, width: u32, height: u32) {
        self.post("/window/rect", json!({ "width": width, "height": height }))
            .await
            .unwrap_or_else(|e| panic!("resize: {e:?}"));
    }

    /// Runs a script in the page (not subject to the page's CSP).
    pub async fn execute(&self, script: &str, args: Value) -> Result<Value, WdError> {
        self.post("/execute/sync", json!({ "script": script, "args": args }))
            .await
    }

    /// Runs a script that reports through its last argument (a callback).
    pub async fn execute_async(&self, script: &str, args: Value) -> Result<Value, WdError> {
        self.post("/execute/async", json!({ "script": script, "args": args }))
            .await
    }

    /// Saves a screenshot and the page source next to the system temp dir,
    /// for a failing test's report.
    async fn save_evidence(&self) -> Option<String> {
        use base64_png::decode;
        let shot = self.get("/screenshot").await.ok()?;
        let png = decode(shot.as_str()?)?;
        let stem = std::env::temp_dir().join(unique("motcua-e2e-failure"));
        let png_path = stem.with_extension("png");
        std::fs::write(&png_path, png).ok()?;
        if let Ok(src) = self.get("/source").await {
            let _ = std::fs::write(
                stem.with_extension("html"),
                src.as_str().unwrap_or_default(),
            );
        }
        Some(format!(
            "{} (and .html), at {}",
            png_path.display(),
            self.path().await
        ))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let mut page = self.page.clone();
        let panicking = std::thread::panicking();
        // A thread with its own runtime and HTTP client: this runs inside
        // the test's runtime, which is blocked here, and the old client's
        // connections belong to it.
        let _ = std::thread::spawn(move || {
            let Ok(http) = reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
            else {
                return;
            };
            page.http = http;
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if panicking {
                    if let Some(at) = page.save_evidence().await {
                        loud(&format!("browser state at the failure: {at}"));
                    }
                }
                let _ = call(&page.http, reqwest::Method::DELETE, &page.session, None).await;
            });
        })
        .join();
    }
}

/// Minimal base64 decoding for screenshots (no extra dependency).
pub use base64_png::decode;

mod base64_png {
    pub fn decode(s: &str) -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity(s.len() * 3 / 4);
        let mut buf = 0u32;
        let mut bits = 0;
        for c in s.bytes() {
            let v = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                b'=' | b'\n' | b'\r' => continue,
                _ => return None,
            };
            buf = (buf << 6) | u32::from(v);
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((buf >> bits) as u8);
            }
        }
        Some(out)
    }
}
