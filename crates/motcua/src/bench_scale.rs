//! `motcua bench --scale N` (issue #7): the identity core at N accounts.
//!
//! 1. Loads N synthetic citizens (`motcua_identity::synthetic`: the
//!    population's name frequencies, unique identifiers) with the bulk
//!    load (COPY on PostgreSQL, one transaction of prepared inserts on
//!    SQLite), or reuses a database an earlier run loaded.
//! 2. Times each shape of the operator's account search through the code
//!    the console runs (`queries::search_accounts`, page of 20), `--runs`
//!    times: the median, the slowest, and the 6th run on its own
//!    (PostgreSQL switches a cached statement to a generic plan after five
//!    runs; the search's statements are unnamed so that it cannot).
//! 3. Times the inactivity sweep's read (the 1,000 longest-unused active
//!    accounts).
//! 4. Starts the server on the loaded database and measures password and
//!    certificate logins over HTTP, with the raw Argon2id rate of the same
//!    run as the limit.
use crate::bench::{self, Args};
use crate::config::Config;
use anyhow::{Context, Result};
use motcua_domain::{Clock, SystemClock, DAY};
use motcua_identity::queries::{self, Total};
use motcua_identity::synthetic::citizen;
use std::time::{Duration, Instant};

/// The seed of the synthetic set: every run draws the same people.
const SEED: u64 = 0x6D6F_7463_7561;

struct Shape {
    name: &'static str,
    query: String,
    /// Pages to walk before the timed one (the cursor of page `skip + 1`).
    skip: usize,
}

struct Timed {
    name: &'static str,
    query: String,
    p50_ms: f64,
    max_ms: f64,
    sixth_ms: Option<f64>,
    rows: usize,
    total: String,
}

fn total_text(t: Total) -> String {
    match t {
        Total::Exact(n) => n.to_string(),
        Total::MoreThan(n) => format!("more than {n}"),
        Total::AtLeast(n) => format!("at least {n}"),
        Total::About(n) => format!("about {n}"),
    }
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[s.len() / 2]
}

pub async fn run(cfg: &Config, args: &Args, n: u64) -> Result<()> {
    let (params, cores) = bench::machine(cfg);
    let seconds = args.seconds;
    eprintln!("[1/5] raw Argon2id rate on {cores} cores…");
    let raw = tokio::task::spawn_blocking(move || bench::raw_hash_rate(params, seconds)).await?;

    let (dir, bcfg) = bench::bench_config(cfg, "motcua-bench-scale", args.database_url.clone())?;
    let now = SystemClock.now();

    let state = crate::app_state(&bcfg).await?;
    let backend = state.store.backend().name();
    let present = queries::count_accounts(&state).await?;
    let (load_secs, loaded) = if present == 0 {
        eprintln!("[2/5] loading {n} synthetic citizens ({backend})…");
        let start = Instant::now();
        let loaded =
            motcua_identity::synthetic::load(&state.store, &bcfg.database.url, SEED, n, now)
                .await?;
        (Some(start.elapsed().as_secs_f64()), loaded)
    } else if present as u64 >= n {
        eprintln!("[2/5] reusing the {present} accounts already in the database");
        (None, 0)
    } else {
        anyhow::bail!(
            "the database holds {present} accounts, fewer than {n}: give an empty database, \
             or one an earlier `--scale {n}` run loaded"
        );
    };
    let pki = motcua_pki::testca::TestPki::start(now)
        .await
        .map_err(|e| anyhow::anyhow!("test PKI: {e}"))?;
    let (users, certs) = bench::login_fixtures(
        &bcfg,
        &dir,
        &pki,
        now,
        args.login_clients,
        args.cert_clients,
    )
    .await?;

    // The values the exact shapes look for: people of the loaded set.
    let pid = citizen(SEED, n / 2, now)
        .account
        .personal_id
        .context("a personal ID")?;
    let email = (n / 3..n)
        .find_map(|i| citizen(SEED, i, now).account.email)
        .context("an email")?;
    let shapes = [
        Shape {
            name: "full name \"nguyen van an\"",
            query: "nguyen van an".into(),
            skip: 0,
        },
        Shape {
            name: "exact personal ID",
            query: pid,
            skip: 0,
        },
        Shape {
            name: "exact email",
            query: email.to_uppercase(),
            skip: 0,
        },
        Shape {
            name: "no match \"không có ai\"",
            query: "không có ai".into(),
            skip: 0,
        },
        Shape {
            name: "page 50 of \"nguyen\"",
            query: "nguyen".into(),
            skip: 49,
        },
        Shape {
            name: "accented full name \"Trần Thị Linh\"",
            query: "Trần Thị Linh".into(),
            skip: 0,
        },
        Shape {
            name: "short words only \"le an\"",
            query: "le an".into(),
            skip: 0,
        },
        Shape {
            name: "absent short word \"nguyen zz\"",
            query: "nguyen zz".into(),
            skip: 0,
        },
        Shape {
            name: "common words rarely together \"van lan\"",
            query: "van lan".into(),
            skip: 0,
        },
        Shape {
            name: "everyone (empty query)",
            query: String::new(),
            skip: 0,
        },
    ];
    eprintln!("[3/5] search shapes, {} runs each…", args.runs);
    let mut timed = Vec::new();
    for s in &shapes {
        // Walk to the page asked for, or to the last one a small set has.
        let mut after = None;
        for _ in 0..s.skip {
            let f = queries::search_accounts(&state, &s.query, after, 20, now).await?;
            match f.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        let mut ms = Vec::new();
        let mut last = None;
        for _ in 0..args.runs.max(1) {
            let start = Instant::now();
            let f = queries::search_accounts(&state, &s.query, after, 20, now).await?;
            ms.push(start.elapsed().as_secs_f64() * 1000.0);
            last = Some(f);
        }
        let f = last.context("no run")?;
        timed.push(Timed {
            name: s.name,
            query: s.query.clone(),
            p50_ms: median(&ms),
            max_ms: ms.iter().copied().fold(0.0, f64::max),
            sixth_ms: ms.get(5).copied(),
            rows: f.rows.len(),
            total: total_text(f.total),
        });
        eprintln!("      {}: p50 {:.2} ms", s.name, median(&ms));
    }
    eprintln!("[4/5] the inactivity sweep's read…");
    let threshold = now - (2 * 365 - 30) * DAY;
    let mut sweep = Vec::new();
    let mut due = 0;
    for _ in 0..5 {
        let start = Instant::now();
        let mut c = state.store.conn().await?;
        due = motcua_identity::directory::unused_since(&mut c, threshold, None, 1000)
            .await?
            .len();
        sweep.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    state.store.close().await;

    eprintln!("[5/5] password and certificate logins over HTTP…");
    let server = bench::start_server(&dir, &bcfg.database.url)?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (ok, bad, secs) = bench::login_rate(server.url(), &users, args.seconds).await?;
    let login_rate = ok as f64 / secs;
    let n_cert = certs.len();
    let (cert_ok, cert_bad, cert_secs, cert_p50, cert_p99) =
        bench::cert_login_rate(server.url(), certs, args.seconds).await?;
    let cert_rate = cert_ok as f64 / cert_secs;
    drop(server);
    drop(pki);
    let _ = std::fs::remove_dir_all(&dir);

    let date = motcua_domain::clock::vn_datetime(now).date();
    if args.json {
        let shapes: Vec<_> = timed
            .iter()
            .map(|t| {
                serde_json::json!({
                    "shape": t.name, "query": t.query, "p50_ms": t.p50_ms,
                    "max_ms": t.max_ms, "run6_ms": t.sixth_ms, "rows": t.rows,
                    "total": t.total,
                })
            })
            .collect();
        let out = serde_json::json!({
            "date": date.to_string(), "cores": cores, "backend": backend,
            "accounts": n, "loaded": loaded, "load_seconds": load_secs,
            "runs": args.runs, "search": shapes,
            "sweep_read_ms_p50": median(&sweep), "sweep_due": due,
            "raw_argon2_per_s": raw, "password_logins_per_s": login_rate,
            "password_login_failures": bad,
            "login_over_raw": login_rate / raw.max(f64::EPSILON),
            "certificate_logins_per_s": cert_rate, "certificate_login_failures": cert_bad,
            "certificate_login_p50_ms": cert_p50, "certificate_login_p99_ms": cert_p99,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!("## Motcua scale benchmark: {n} accounts, {backend}, {cores} cores, {date}");
    println!();
    if let Some(s) = load_secs {
        println!(
            "Loaded {loaded} accounts in {s:.0} s ({:.0} rows/s).",
            loaded as f64 / s.max(f64::EPSILON)
        );
        println!();
    }
    println!(
        "| search shape (console code, page of 20) | p50 | slowest | 6th run | rows | total |"
    );
    println!("|---|---|---|---|---|---|");
    let sixth = |v: Option<f64>| v.map_or("—".to_string(), |x| format!("{x:.2} ms"));
    for t in &timed {
        println!(
            "| {} | {:.2} ms | {:.2} ms | {} | {} | {} |",
            t.name,
            t.p50_ms,
            t.max_ms,
            sixth(t.sixth_ms),
            t.rows,
            t.total
        );
    }
    println!();
    println!("| measurement | result |");
    println!("|---|---|");
    println!(
        "| inactivity sweep's read (1,000 longest unused; {due} returned), p50 of 5 | {:.2} ms |",
        median(&sweep)
    );
    println!("| raw Argon2id hashes/s, all cores | {raw:.1} |");
    println!(
        "| password logins/s over HTTP ({} clients; {bad} failures) | {login_rate:.1} ({:.1} % of raw) |",
        users.len(),
        100.0 * login_rate / raw.max(f64::EPSILON)
    );
    println!(
        "| certificate logins/s over HTTP ({n_cert} clients; {cert_bad} failures) | {cert_rate:.0} (p50 {cert_p50:.2} ms, p99 {cert_p99:.2} ms) |"
    );
    Ok(())
}
