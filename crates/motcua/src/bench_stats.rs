//! `motcua bench --stats N` (issue #11 §3): the statistics page at N
//! dossiers.
//!
//! 1. Loads N synthetic dossiers and their cases as `--handling` does
//!    (one agency of Hà Nội holds them all, spread over the past year),
//!    or reuses a database an earlier run loaded (`--database-url`).
//! 2. Times, `--runs` times, the progress report the page shows for the
//!    province (`H29`) and the year holding the most dossiers, through
//!    the service the page calls: the first run (which keeps the month
//!    checkpoints) apart, then p50 and p99; also by procedure and
//!    nationwide. Each run's figures are checked: received in the year
//!    equals the synthetic dossiers past receipt submitted in it.
//! 3. Starts the server on the loaded database and measures, over HTTP
//!    with `--connections` connections for `--seconds`, the page itself
//!    (`GET /statistics?scope=H29&period=<year>`) and its CSV: requests
//!    per second, p50 and p99, and the home page (which reads the year's
//!    report for its strip). The goal: p50 < 100 ms for the page.
use crate::bench::{self, percentile, Args};
use crate::config::Config;
use anyhow::Result;
use motcua_stats::{By, Kind, Period};
use std::time::Instant;

pub async fn run(cfg: &Config, args: &Args, n: u64) -> Result<()> {
    let crate::bench_handling::Prepared {
        dir,
        bcfg,
        state,
        core,
        backend,
        load_secs,
        total,
        now,
        ..
    } = crate::bench_handling::prepare(cfg, args, n, "motcua-bench-stats").await?;
    // The year holding most of the past 365 days.
    let this = Period::holding(Kind::Year, now);
    let year = if Period::holding(Kind::Month, now).n >= 7 {
        this
    } else {
        this.previous()
    };
    let runs = args.runs.max(3);
    eprintln!("[2/3] the report of H29 for {}, {runs} runs…", year.code());
    let t = Instant::now();
    let first = motcua_stats::progress(&core, "H29", year, By::Agency, core.now()).await?;
    let first_ms = t.elapsed().as_secs_f64() * 1000.0;
    let received = first.total.received_new;
    anyhow::ensure!(received > 0, "no dossier received in {}", year.code());
    let (mut province, mut by_procedure, mut nationwide) = (Vec::new(), Vec::new(), Vec::new());
    let (mut behind_received, mut behind_late, mut behind_page2) =
        (Vec::new(), Vec::new(), Vec::new());
    let all_access = motcua_stats::behind::Access::All;
    let time = |v: &mut Vec<f64>, t: Instant| v.push(t.elapsed().as_secs_f64() * 1000.0);
    for _ in 0..runs {
        let t = Instant::now();
        let p = motcua_stats::progress(&core, "H29", year, By::Agency, core.now()).await?;
        time(&mut province, t);
        anyhow::ensure!(
            p.total.received_new == received,
            "the figures changed between runs"
        );
        let t = Instant::now();
        motcua_stats::progress(&core, "H29", year, By::Procedure, core.now()).await?;
        time(&mut by_procedure, t);
        let t = Instant::now();
        let all = motcua_stats::progress(&core, "", year, By::Agency, core.now()).await?;
        time(&mut nationwide, t);
        anyhow::ensure!(all.total.received_new == received, "nationwide differs");
        // The dossiers behind a figure (issue #11 §2): the first page of
        // the year's received, the next page, and those late now.
        let t = Instant::now();
        let b = motcua_stats::behind::behind(
            &core,
            &all_access,
            "H29",
            year,
            "received",
            "",
            None,
            core.now(),
        )
        .await?;
        time(&mut behind_received, t);
        anyhow::ensure!(
            b.rows.len() as i64 == motcua_stats::behind::PER_PAGE.min(received),
            "the list of received dossiers is short"
        );
        let t = Instant::now();
        motcua_stats::behind::behind(
            &core,
            &all_access,
            "H29",
            year,
            "received",
            "",
            b.next,
            core.now(),
        )
        .await?;
        time(&mut behind_page2, t);
        let t = Instant::now();
        motcua_stats::behind::behind(
            &core,
            &all_access,
            "H29",
            year,
            "open_late",
            "",
            None,
            core.now(),
        )
        .await?;
        time(&mut behind_late, t);
    }
    state.store.close().await;

    eprintln!(
        "[3/3] the page and its CSV over HTTP with {} connections…",
        args.connections
    );
    // The server reads its settings from the environment (the database,
    // the data folder) and an empty file.
    std::fs::write(dir.join("bench.toml"), "")?;
    let server = bench::start_server(&dir, &bcfg.database.url)?;
    let pid = server.pid();
    let page_url = format!(
        "{}/statistics?scope=H29&period={}",
        server.url(),
        year.code()
    );
    let csv_url = format!(
        "{}/statistics/progress.csv?scope=H29&period={}",
        server.url(),
        year.code()
    );
    let page = bench::load(&page_url, args.connections, args.seconds, pid).await;
    let csv = bench::load(&csv_url, args.connections, args.seconds, pid).await;
    // The home page reads this year's report too (its statistics strip
    // and popular procedures).
    let home = bench::load(
        &format!("{}/", server.url()),
        args.connections,
        args.seconds,
        pid,
    )
    .await;
    drop(server);
    anyhow::ensure!(
        page.requests > 0 && page.errors == 0,
        "the page failed: {} errors",
        page.errors
    );
    anyhow::ensure!(
        home.requests > 0 && home.errors == 0,
        "the home page failed: {} errors",
        home.errors
    );

    let shapes = [
        (
            "province, one year, by agency (the first run of this process)",
            vec![first_ms],
        ),
        ("province, one year, by agency", province),
        ("province, one year, by procedure", by_procedure),
        (
            "nationwide, one year, per ministry and province",
            nationwide,
        ),
        (
            "dossiers behind a figure: the province's year, received, first page of 50",
            behind_received,
        ),
        ("the same, the next page (keyset)", behind_page2),
        (
            "dossiers behind a figure: late now, first page",
            behind_late,
        ),
    ];
    let http = [
        ("GET /statistics (province, year)", &page),
        ("GET /statistics/progress.csv", &csv),
        ("GET / (home page, with the year's strip)", &home),
    ];
    if args.json {
        let out = serde_json::json!({
            "dossiers": total,
            "backend": backend,
            "load_seconds": load_secs,
            "period": year.code(),
            "received_in_period": received,
            "runs": runs,
            "reads": shapes.iter().map(|(name, v)| serde_json::json!({
                "shape": name, "p50_ms": percentile(v, 0.5), "p99_ms": percentile(v, 0.99),
            })).collect::<Vec<_>>(),
            "http": http.iter().map(|(name, r)| serde_json::json!({
                "request": name, "connections": args.connections,
                "requests_per_second": r.requests as f64 / r.seconds.max(1e-9),
                "p50_ms": r.p50_ms, "p99_ms": r.p99_ms, "errors": r.errors,
            })).collect::<Vec<_>>(),
            "goal_p50_ms": 100,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "## Motcua statistics benchmark: {total} dossiers, {backend}, {}, {runs} runs",
            year.code()
        );
        if let Some(s) = load_secs {
            println!("\nLoaded in {s:.1} s.");
        }
        println!("\nReceived in the period: {received}.\n\n| shape | p50 | p99 |\n|---|---|---|");
        for (name, v) in &shapes {
            println!(
                "| {name} | {:.2} ms | {:.2} ms |",
                percentile(v, 0.5),
                percentile(v, 0.99)
            );
        }
        println!(
            "\n| over HTTP ({} connections) | requests/s | p50 | p99 |\n|---|---|---|---|",
            args.connections
        );
        for (name, r) in &http {
            println!(
                "| {name} | {:.0} | {:.2} ms | {:.2} ms |",
                r.requests as f64 / r.seconds.max(1e-9),
                r.p50_ms,
                r.p99_ms
            );
        }
        println!("\nGoal: the page's p50 < 100 ms.");
    }
    Ok(())
}
