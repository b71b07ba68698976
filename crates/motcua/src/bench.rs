//! `motcua bench`: measures, in one run on this machine,
//! 1. the raw Argon2id hash rate with the configured parameters on all
//!    cores (the physical limit for password logins);
//! 2. the end-to-end password-login rate over HTTP against a real server
//!    process (concurrent clients on loopback), as a ratio of (1);
//! 3. requests/s and p99 latency for `/healthz` and the home page;
//! 4. the server's resident memory idle and under load;
//! 5. the raw ECDSA P-256 signature-verification rate on all cores, and
//!    certificate logins over HTTP (challenge, signature, path validation
//!    with cached revocation data, session) as a ratio of it.
//!
//! The server is this same binary (`motcua serve`) in a child process on a
//! fresh SQLite database in a temporary folder.
use crate::config::Config;
use anyhow::{bail, Context, Result};
use motcua_identity::service::{self, NewAccountInput, Origin};
use motcua_kernel::settings::Argon2Params;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct Args {
    /// Seconds per measurement.
    #[arg(long, default_value_t = 10)]
    pub(crate) seconds: u64,
    /// Concurrent HTTP clients for the request-rate runs.
    #[arg(long, default_value_t = 64)]
    pub(crate) connections: usize,
    /// Concurrent clients for the login run.
    #[arg(long, default_value_t = 8)]
    pub(crate) login_clients: usize,
    /// Concurrent clients for the certificate-login run.
    #[arg(long, default_value_t = 16)]
    pub(crate) cert_clients: usize,
    /// Database for the server under test: an empty PostgreSQL database
    /// (e.g. `postgres://postgres@127.0.0.1/motcua_bench`); default, a new
    /// SQLite file in a temporary folder.
    #[arg(long)]
    pub(crate) database_url: Option<String>,
    /// Scale mode (issue #7): load this many synthetic citizens (or reuse
    /// a database an earlier run loaded, given with `--database-url`),
    /// then time the console's account search shapes, the inactivity
    /// sweep's read, and password and certificate logins over HTTP.
    #[arg(long)]
    pub(crate) scale: Option<u64>,
    /// Catalog mode (issue #8): load this many procedures (the demo
    /// catalog and variants of it; or reuse a database an earlier run
    /// loaded), then time the catalog search's shapes (p50, p99).
    #[arg(long)]
    pub(crate) catalog: Option<u64>,
    /// Dossiers mode (issue #8): load this many synthetic dossiers (or
    /// reuse a database an earlier run loaded), then time "my dossiers",
    /// the dossier page and submissions with a 1 MB attachment.
    #[arg(long)]
    pub(crate) dossiers: Option<u64>,
    /// Back-office mode (issue #9): load this many synthetic dossiers and
    /// their cases at one agency (or reuse a database an earlier run
    /// loaded), then time the inboxes, the board, the gauges and state
    /// changes with notices.
    #[arg(long)]
    pub(crate) handling: Option<u64>,
    /// Statistics mode (issue #11): load this many synthetic dossiers and
    /// their cases (or reuse a database an earlier run loaded), then time
    /// the progress report of a province for a year, and the page and its
    /// CSV over HTTP.
    #[arg(long)]
    pub(crate) stats: Option<u64>,
    /// SSO mode (issue #12): the OpenID Provider's token endpoint —
    /// client-credential grants and authorization-code logins a second.
    #[arg(long)]
    pub(crate) sso: bool,
    /// The people the dossiers belong to (dossiers mode; default N / 10).
    #[arg(long)]
    pub(crate) people: Option<u64>,
    /// Runs of each search shape in scale mode (the median is reported,
    /// and the 6th run on its own: PostgreSQL's plan cache switches after
    /// five).
    #[arg(long, default_value_t = 11)]
    pub(crate) runs: usize,
    /// Print the results as JSON (scale mode).
    #[arg(long)]
    pub(crate) json: bool,
}

/// Runs an operation made by `make` on every core for `seconds`; returns
/// its successes per second.
fn rate_on_all_cores<F, W>(seconds: u64, make: F) -> f64
where
    F: Fn() -> W,
    W: FnMut() -> bool + Send + 'static,
{
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let threads: Vec<_> = (0..cores)
        .map(|_| {
            let (stop, count) = (stop.clone(), count.clone());
            let mut op = make();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if op() {
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    count.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

/// Raw rate of the verification the portal does for a certificate login
/// (ECDSA P-256 with SHA-256 over a challenge), on all cores.
fn raw_verify_rate(cert: motcua_pki::Certificate, msg: Vec<u8>, sig: Vec<u8>, seconds: u64) -> f64 {
    let policy = motcua_pki::AlgorithmPolicy::default();
    rate_on_all_cores(seconds, || {
        let (cert, msg, sig, policy) = (cert.clone(), msg.clone(), sig.clone(), policy.clone());
        move || policy.verify_challenge(&cert, &msg, &sig).is_ok()
    })
}

/// Certificate logins over HTTP: each client asks for a challenge, signs
/// it with its key (in process, as the signing tool would) and posts it.
/// Milliseconds per path validation on one core: a fresh search of a
/// valid three-certificate path (a new trust store each time, so nothing
/// is remembered), and the worst case of issue #13 item 2 (eight presented
/// CAs that all claim the root's name, none signed by it; the search stops
/// at rustls-webpki's budget), with the worst case's error.
fn path_timings(
    root: &motcua_pki::testca::Issued,
    ca: &motcua_pki::testca::Issued,
    leaf: &motcua_pki::Certificate,
    now: i64,
    seconds: u64,
) -> Result<(f64, f64, String)> {
    use motcua_pki::testca::{ca_template, leaf_template, make};
    let policy = motcua_pki::AlgorithmPolicy::default();
    let store = || -> Result<motcua_pki::TrustStore> {
        let mut t = motcua_pki::TrustStore::new();
        t.add_anchor(root.cert.clone())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(t)
    };
    let per = |f: &mut dyn FnMut() -> Result<()>| -> Result<f64> {
        let budget = Duration::from_secs(seconds.max(1)) / 2;
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed() < budget || n < 3 {
            f()?;
            n += 1;
        }
        Ok(start.elapsed().as_secs_f64() * 1000.0 / n as f64)
    };
    let presented = [ca.cert.clone()];
    let fresh = per(&mut || {
        store()?
            .validate(leaf, &presented, now, &policy)
            .map(|_| ())
            .map_err(|e| anyhow::anyhow!("fresh path: {e}"))
    })?;
    let root_name = root
        .cert
        .identity
        .holder_name
        .clone()
        .unwrap_or_else(|| "Motcua Test Root CA".into());
    let mut fakes = Vec::new();
    for _ in 0..8 {
        let impostor =
            make(ca_template(&root_name, now), None).map_err(|e| anyhow::anyhow!("{e}"))?;
        fakes.push(
            make(ca_template(&root_name, now), Some(&impostor))
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        );
    }
    let hostile_leaf = make(leaf_template("Kẻ Tấn Công", now), Some(&fakes[0]))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let hostile: Vec<_> = fakes.iter().map(|f| f.cert.clone()).collect();
    let trust = store()?;
    let mut err = String::new();
    let worst = per(&mut || {
        match trust.validate(&hostile_leaf.cert, &hostile, now, &policy) {
            Ok(_) => anyhow::bail!("the hostile path was accepted"),
            Err(e) => err = e.to_string(),
        }
        Ok(())
    })?;
    Ok((fresh, worst, err))
}

pub(crate) async fn cert_login_rate(
    url: &str,
    certs: Vec<Arc<motcua_pki::testca::Issued>>,
    seconds: u64,
) -> Result<(u64, u64, f64, f64, f64)> {
    use base64::Engine;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for cert in certs {
        let url = url.to_string();
        tasks.push(tokio::spawn(async move {
            let b64 = base64::engine::general_purpose::STANDARD;
            // Each login is a person without a session yet: only the
            // pre-session cookie (the CSRF binding) is sent; the new
            // session's cookie is not kept.
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?;
            let page = client.get(format!("{url}/auth/token")).send().await?;
            let pre = page
                .headers()
                .get_all(reqwest::header::SET_COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find(|c| c.starts_with("motcua_pre="))
                .and_then(|c| c.split(';').next())
                .context("no pre-session cookie")?
                .to_string();
            let html = page.text().await?;
            let csrf = csrf_from(&html).context("no csrf token")?;
            let cert_b64 = b64.encode(cert.der());
            let (mut ok, mut bad) = (0u64, 0u64);
            let mut lat = Vec::new();
            while Instant::now() < deadline {
                let t0 = Instant::now();
                let ch: serde_json::Value = client
                    .post(format!("{url}/auth/token/challenge"))
                    .header("cookie", &pre)
                    .header("x-csrf-token", &csrf)
                    .form(&[("purpose", "login")])
                    .send()
                    .await?
                    .json()
                    .await?;
                let text = ch["challenge"].as_str().unwrap_or_default().to_string();
                let sig = b64.encode(cert.sign(text.as_bytes()));
                let r = client
                    .post(format!("{url}/auth/token/verify"))
                    .header("cookie", &pre)
                    .form(&[
                        ("csrf", csrf.as_str()),
                        ("purpose", "login"),
                        ("next", "/"),
                        ("challenge", text.as_str()),
                        ("certificate", cert_b64.as_str()),
                        ("chain", ""),
                        ("signature", sig.as_str()),
                    ])
                    .send()
                    .await?;
                if r.status() == reqwest::StatusCode::SEE_OTHER
                    && r.headers().get(reqwest::header::SET_COOKIE).is_some()
                {
                    ok += 1;
                    lat.push(t0.elapsed().as_secs_f64() * 1000.0);
                } else {
                    bad += 1;
                }
            }
            anyhow::Ok((ok, bad, lat))
        }));
    }
    let (mut ok, mut bad, mut lat) = (0, 0, Vec::new());
    for t in tasks {
        let (o, b, l) = t.await??;
        ok += o;
        bad += b;
        lat.extend(l);
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    };
    Ok((ok, bad, start.elapsed().as_secs_f64(), pct(0.5), pct(0.99)))
}

pub(crate) fn raw_hash_rate(p: Argon2Params, seconds: u64) -> f64 {
    rate_on_all_cores(seconds, || {
        // Each thread reuses its Argon2 memory, as the server's hashing
        // pool does: the best this machine can do.
        let mut mem = Vec::new();
        move || motcua_identity::hashing::hash_with(&mut mem, p, "bench password 2026").is_ok()
    })
}

pub(crate) fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

pub(crate) struct Server {
    child: Child,
    url: String,
}

impl Server {
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn start_server(dir: &std::path::Path, database_url: &str) -> Result<Server> {
    let exe = std::env::current_exe()?;
    let mut child = Command::new(exe)
        .arg("--config")
        .arg(dir.join("bench.toml"))
        .arg("serve")
        .env("MOTCUA_LISTEN", "127.0.0.1:0")
        .env("MOTCUA_DATA_DIR", dir)
        .env("MOTCUA_DATABASE__URL", database_url)
        .env("MOTCUA_MAIL__FILE_DIR", dir.join("mail"))
        .env("MOTCUA_LOG_LEVEL", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("cannot start the server")?;
    let out = child.stdout.take().context("no stdout")?;
    let mut line = String::new();
    BufReader::new(out).read_line(&mut line)?;
    let Some(url) = line
        .trim()
        .strip_prefix("Motcua listening on ")
        .map(str::to_string)
    else {
        bail!("server did not start: {line}");
    };
    Ok(Server { child, url })
}

#[derive(Default)]
pub(crate) struct LoadResult {
    pub(crate) requests: u64,
    pub(crate) errors: u64,
    pub(crate) seconds: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
    max_rss_kib: u64,
}

pub(crate) async fn load(url: &str, connections: usize, seconds: u64, pid: u32) -> LoadResult {
    let url = url.to_string();
    load_with(connections, seconds, pid, move |c| c.get(&url)).await
}

/// Like [`load`], each client sending the request `make` builds (a POST
/// with a body, headers) and counting 2xx answers.
pub(crate) async fn load_with<F>(connections: usize, seconds: u64, pid: u32, make: F) -> LoadResult
where
    F: Fn(&reqwest::Client) -> reqwest::RequestBuilder + Clone + Send + Sync + 'static,
{
    let Ok(client) = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .build()
    else {
        return LoadResult::default();
    };
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let start = Instant::now();
    let stop_rss = Arc::new(AtomicBool::new(false));
    let max_rss = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (stop, max) = (stop_rss.clone(), max_rss.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                max.fetch_max(rss_kib(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    };
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let client = client.clone();
            let make = make.clone();
            tokio::spawn(async move {
                let mut lat = Vec::with_capacity(100_000);
                let mut errors = 0u64;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    match make(&client).send().await {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes().await;
                            lat.push(t.elapsed().as_micros() as u32);
                        }
                        _ => errors += 1,
                    }
                }
                (lat, errors)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        if let Ok((l, e)) = t.await {
            all.extend(l);
            errors += e;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    stop_rss.store(true, Ordering::Relaxed);
    let _ = sampler.await;
    all.sort_unstable();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0) as f64
            / 1000.0
    };
    LoadResult {
        requests: all.len() as u64,
        errors,
        seconds,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        max_rss_kib: max_rss.load(Ordering::Relaxed),
    }
}

fn csrf_from(html: &str) -> Option<String> {
    let i = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    Some(html[i..].split('"').next()?.to_string())
}

pub(crate) async fn login_rate(
    url: &str,
    users: &[(String, String)],
    seconds: u64,
) -> Result<(u64, u64, f64)> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (u, p) in users {
        let (u, p) = (u.clone(), p.clone());
        let url = url.to_string();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()?;
            let html = client
                .get(format!("{url}/login"))
                .send()
                .await?
                .text()
                .await?;
            let csrf = csrf_from(&html).context("no csrf token")?;
            let (mut ok, mut bad) = (0u64, 0u64);
            while Instant::now() < deadline {
                let r = client
                    .post(format!("{url}/login"))
                    .form(&[
                        ("csrf", csrf.as_str()),
                        ("username", u.as_str()),
                        ("password", p.as_str()),
                        ("next", "/"),
                    ])
                    .send()
                    .await?;
                if r.status() == reqwest::StatusCode::SEE_OTHER {
                    ok += 1;
                } else {
                    bad += 1;
                }
            }
            anyhow::Ok((ok, bad))
        }));
    }
    let (mut ok, mut bad) = (0, 0);
    for t in tasks {
        let (o, b) = t.await??;
        ok += o;
        bad += b;
    }
    Ok((ok, bad, start.elapsed().as_secs_f64()))
}

pub async fn run(cfg: &Config, args: Args) -> Result<()> {
    let (params, cores) = machine(cfg);
    eprintln!(
        "[1/6] raw Argon2id rate on {cores} cores ({} KiB, t={}, p={})…",
        params.memory_kib, params.iterations, params.parallelism
    );
    let raw = tokio::task::spawn_blocking(move || raw_hash_rate(params, args.seconds)).await?;

    let (dir, bcfg) = bench_config(cfg, "motcua-bench", args.database_url.clone())?;
    // A test PKI (CRL and OCSP served from this process) for the
    // certificate logins; the server trusts its root.
    let now = motcua_domain::Clock::now(&motcua_domain::SystemClock);
    let pki = motcua_pki::testca::TestPki::start(now)
        .await
        .map_err(|e| anyhow::anyhow!("test PKI: {e}"))?;
    let (users, certs) = login_fixtures(
        &bcfg,
        &dir,
        &pki,
        now,
        args.login_clients,
        args.cert_clients,
    )
    .await?;
    let server = start_server(&dir, &bcfg.database.url)?;
    let pid = server.child.id();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_rss = rss_kib(pid);

    eprintln!(
        "[2/6] password logins over HTTP with {} clients…",
        users.len()
    );
    let (ok, bad, secs) = login_rate(&server.url, &users, args.seconds).await?;
    let login_rate = ok as f64 / secs;
    let rss_after_logins = rss_kib(pid);

    eprintln!("[3/6] GET /healthz with {} connections…", args.connections);
    let health = load(
        &format!("{}/healthz", server.url),
        args.connections,
        args.seconds,
        pid,
    )
    .await;
    eprintln!(
        "[4/6] GET / (home page) with {} connections…",
        args.connections
    );
    let home = load(
        &format!("{}/", server.url),
        args.connections,
        args.seconds,
        pid,
    )
    .await;
    eprintln!("[5/6] raw ECDSA P-256 verification rate on {cores} cores…");
    let sample = certs.first().context("no certificate")?.clone();
    let msg = b"motcua-challenge/1\norigin=https://bench\npurpose=login".to_vec();
    let sig = sample.sign(&msg);
    let raw_verify = tokio::task::spawn_blocking({
        let c = sample.cert.clone();
        move || raw_verify_rate(c, msg, sig, args.seconds)
    })
    .await?;
    eprintln!("[5b/6] path validation: a fresh search, and the worst case of issue #13…");
    let (fresh_ms, worst_ms, worst_err) = tokio::task::spawn_blocking({
        let (root, ca, leaf) = (pki.root.clone(), pki.ca.clone(), sample.cert.clone());
        move || path_timings(&root, &ca, &leaf, now, args.seconds)
    })
    .await??;
    eprintln!(
        "[6/6] certificate logins over HTTP with {} clients…",
        certs.len()
    );
    let n_cert_clients = certs.len();
    let (cert_ok, cert_bad, cert_secs, cert_p50, cert_p99) =
        cert_login_rate(&server.url, certs, args.seconds).await?;
    let cert_rate = cert_ok as f64 / cert_secs;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_after = rss_kib(pid);
    eprintln!("done");
    drop(pki);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);

    let mb = |k: u64| k as f64 / 1024.0;
    println!(
        "## Motcua benchmark ({cores} cores, {}s per measurement, {})",
        args.seconds,
        motcua_store::redact_url(&bcfg.database.url)
            .split("://")
            .next()
            .unwrap_or_default()
    );
    println!();
    println!("| measurement | result | target |");
    println!("|---|---|---|");
    println!(
        "| raw Argon2id hashes/s ({} KiB, t={}, p={}), all cores | {raw:.1} | physical limit |",
        params.memory_kib, params.iterations, params.parallelism
    );
    println!("| password logins/s over HTTP ({} clients; {bad} non-redirect answers) | {login_rate:.1} | |", users.len());
    println!(
        "| login rate / raw hash rate | {:.1} % | ≥ 85 % |",
        100.0 * login_rate / raw.max(f64::EPSILON)
    );
    for (name, r) in [("GET /healthz", &health), ("GET / (home)", &home)] {
        println!(
            "| {name}: req/s, {} conns ({} errors) | {:.0} (p50 {:.2} ms, p99 {:.2} ms) | {} |",
            args.connections,
            r.errors,
            r.requests as f64 / r.seconds,
            r.p50_ms,
            r.p99_ms,
            if name.contains("healthz") {
                "≥ 10,000 req/s"
            } else {
                ""
            }
        );
    }
    println!(
        "| server RSS idle (after start) | {:.1} MB | < 50 MB |",
        mb(idle_rss)
    );
    println!(
        "| server RSS after logins | {:.1} MB | |",
        mb(rss_after_logins)
    );
    println!(
        "| server RSS max under HTTP load | {:.1} MB | |",
        mb(health.max_rss_kib.max(home.max_rss_kib))
    );
    println!(
        "| server RSS idle after load | {:.1} MB | |",
        mb(idle_after)
    );
    println!(
        "| raw ECDSA P-256/SHA-256 verifications/s, all cores | {raw_verify:.0} | physical limit |"
    );
    println!(
        "| certificate logins/s over HTTP ({n_cert_clients} clients; {cert_bad} failures) | {cert_rate:.0} (p50 {cert_p50:.2} ms, p99 {cert_p99:.2} ms) | ≥ 1,000 |"
    );
    println!(
        "| certificate login rate / raw verify rate | {:.1} % | |",
        100.0 * cert_rate / raw_verify.max(f64::EPSILON)
    );
    println!(
        "| path validation, fresh search (leaf, CA, root; not remembered), one core | {fresh_ms:.3} ms | |"
    );
    println!(
        "| worst-case path: 8 presented CAs all claiming the root's name ({worst_err}), one core | {worst_ms:.3} ms | bounded by the budget |"
    );
    println!();
    println!("Load generator and server share the same {cores} cores, so request rates are lower bounds.");
    println!("A certificate login is two requests (challenge, then the signed answer) and the client signs each challenge itself.");
    Ok(())
}

/// The accounts the login runs use: `login_clients` with passwords and
/// `cert_clients` with a certificate of `pki` each; the server is told to
/// trust `pki` (`bench.toml` in `dir`). Accounts that exist already (a
/// database loaded by an earlier run) are reused.
pub(crate) async fn login_fixtures(
    bcfg: &Config,
    dir: &std::path::Path,
    pki: &motcua_pki::testca::TestPki,
    now: motcua_domain::Millis,
    login_clients: usize,
    cert_clients: usize,
) -> Result<(Vec<(String, String)>, Vec<Arc<motcua_pki::testca::Issued>>)> {
    let users: Vec<(String, String)> = (0..login_clients)
        .map(|i| (format!("bench.user{i}"), format!("bench-password-{i}-xyz")))
        .collect();
    let root = dir.join("root.pem");
    let ca = dir.join("ca.pem");
    std::fs::write(&root, motcua_pki::cert::to_pem(&pki.root.cert.der))?;
    std::fs::write(&ca, motcua_pki::cert::to_pem(&pki.ca.cert.der))?;
    std::fs::write(
        dir.join("bench.toml"),
        format!("[identity]\ntrust_anchors = [{root:?}]\nintermediates = [{ca:?}]\n"),
    )?;
    let mut certs = Vec::new();
    for i in 0..cert_clients {
        let pid = format!("0010{:08}", 90_000_000 + i);
        let leaf = pki
            .issue(&motcua_pki::testca::LeafSpec::person(
                &format!("Người thử {i}"),
                &pid,
                now,
            ))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        certs.push(Arc::new(leaf));
    }
    {
        let state = crate::app_state(bcfg).await?;
        for (i, leaf) in certs.iter().enumerate() {
            // An account of an earlier run gets this run's certificate.
            let mut tx = state.store.begin().await?;
            let known =
                motcua_identity::directory::account_by_username(&mut tx, &format!("bench.cert{i}"))
                    .await?;
            let id = match known {
                Some(a) => a.id,
                None => {
                    let input = NewAccountInput {
                        username: format!("bench.cert{i}"),
                        full_name: format!("Người thử {i}"),
                        roles: vec![motcua_domain::Role::Citizen],
                        ..Default::default()
                    };
                    let p =
                        service::prepare_passwordless(input).map_err(|e| anyhow::anyhow!("{e}"))?;
                    service::insert_account(&mut tx, &state, &Origin::cli(), &p, now)
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?
                }
            };
            motcua_identity::token::enrol_certificate(&mut tx, &Origin::cli(), id, &leaf.cert, now)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            tx.commit().await?;
        }
        for (u, p) in &users {
            let mut c = state.store.conn().await?;
            if motcua_identity::directory::account_by_username(&mut c, u)
                .await?
                .is_some()
            {
                continue;
            }
            drop(c);
            let input = NewAccountInput {
                username: u.clone(),
                full_name: format!("Người dùng thử {u}"),
                roles: vec![motcua_domain::Role::Citizen],
                initial_password: Some(p.clone()),
                permanent: true,
                ..Default::default()
            };
            service::create_account(&state, &Origin::cli(), input)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        state.store.close().await;
    }
    Ok((users, certs))
}

/// A fresh folder for a bench run and the configuration of the server
/// under test: the folder as its data folder, mail to files in it, and the
/// given database or a new SQLite file in the folder.
/// The `p`-quantile (0–1) of `v`, nearest rank.
pub(crate) fn percentile(v: &[f64], p: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let i = ((s.len() as f64 - 1.0) * p).round() as usize;
    s[i.min(s.len() - 1)]
}

pub(crate) fn bench_config(
    cfg: &Config,
    name: &str,
    database_url: Option<String>,
) -> Result<(std::path::PathBuf, Config)> {
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut bcfg = cfg.clone();
    bcfg.data_dir = dir.clone();
    bcfg.database.url =
        database_url.unwrap_or_else(|| format!("sqlite://{}/bench.db", dir.display()));
    bcfg.mail.transport = "file".into();
    bcfg.mail.file_dir = dir.join("mail");
    Ok((dir, bcfg))
}

/// The configured Argon2id parameters and this machine's cores.
pub(crate) fn machine(cfg: &Config) -> (Argon2Params, usize) {
    let params = Argon2Params {
        memory_kib: cfg.security.argon2_memory_kib,
        iterations: cfg.security.argon2_iterations,
        parallelism: cfg.security.argon2_parallelism,
    };
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    (params, cores)
}
