//! `motcua bench --handling N` (issue #9): the agencies' back office at N
//! dossiers.
//!
//! 1. Loads N synthetic dossiers (`motcua_dossiers::synthetic`) and a case
//!    for each one past receipt (`motcua_handling::synthetic`: one agency
//!    with a one-stop unit and four departments, so one agency holds all
//!    N — the worst case for its inbox and board), or reuses a database
//!    an earlier run loaded (`--database-url`).
//! 2. Times, `--runs` times each, through the services the pages call: a
//!    department's inbox first page, the person's own inbox, the unit's
//!    inbox searched by applicant and filtered to overdue, the counts on
//!    the home page, the board of the agency for a month (from its
//!    summary, and counted from the cases as the reference it must equal
//!    in every run), and the portal-wide gauges of `/metrics`: p50 and p99.
//! 3. State changes with notices: `--runs` new dossiers received
//!    (`accept`, status 2, the timeline, the applicant's notification
//!    and mail, a `dossier.accepted` event, the control slip, the audit)
//!    then asked for a supplement (status 5 and Form 02 recorded), one
//!    after the other through `cases::act`: changes per second.
use crate::bench::{self, percentile, Args};
use crate::config::Config;
use anyhow::Result;
use motcua_handling::cases::{self, Act};
use motcua_handling::queries::{self, Query, Scope};
use motcua_kernel::service::Origin;
use std::time::Instant;

/// A benchmark's database with N synthetic dossiers and their cases at
/// one agency (loaded now, or reused from `--database-url`).
pub(crate) struct Prepared {
    pub dir: std::path::PathBuf,
    pub bcfg: Config,
    pub state: motcua_web::AppState,
    pub core: motcua_kernel::Core,
    pub backend: &'static str,
    pub loaded: motcua_handling::synthetic::Loaded,
    /// Seconds the load took (none: reused).
    pub load_secs: Option<f64>,
    pub total: i64,
    pub now: motcua_domain::Millis,
}

/// Loads (or reuses) N synthetic dossiers and their cases.
pub(crate) async fn prepare(cfg: &Config, args: &Args, n: u64, name: &str) -> Result<Prepared> {
    let (dir, bcfg) = bench::bench_config(cfg, name, args.database_url.clone())?;
    let state = crate::app_state(&bcfg).await?;
    let core = state.core().clone();
    let backend = state.store.backend().name();
    let origin = Origin::cli();
    let people = args.people.unwrap_or((n / 1000).max(1));
    motcua_catalog::seed::load(&core, &origin).await?;
    motcua_dossiers::seed_forms(&core, &origin).await?;
    let present = motcua_dossiers::synthetic::count(&core).await?;
    let now = core.now();
    let start = Instant::now();
    if present == 0 {
        eprintln!("[1/3] loading {n} dossiers and their cases ({backend})…");
        motcua_dossiers::synthetic::load(&core, n, (n / 10).max(1), now).await?;
    } else {
        eprintln!("[1/3] reusing the {present} dossiers already in the database");
    }
    let staff_id = i64::try_from(people)? + 1_000_000_000;
    let loaded =
        motcua_handling::synthetic::load(&core, staff_id, i64::try_from(people)?, now).await?;
    let load_secs = (present == 0).then(|| start.elapsed().as_secs_f64());
    let total = motcua_dossiers::synthetic::count(&core).await?;
    Ok(Prepared {
        dir,
        bcfg,
        state,
        core,
        backend,
        loaded,
        load_secs,
        total,
        now,
    })
}

pub async fn run(cfg: &Config, args: &Args, n: u64) -> Result<()> {
    let Prepared {
        state,
        core,
        backend,
        loaded,
        load_secs,
        total,
        now,
        ..
    } = prepare(cfg, args, n, "motcua-bench-handling").await?;
    let origin = Origin::cli();
    let staff = loaded.staff.clone();
    // The person whose own inbox is read: one of the assignees.
    let mut assignee = staff.clone();
    assignee.account_id = 1;
    let dept = loaded.departments.first().copied().unwrap_or_default();
    let runs = args.runs.max(3);
    eprintln!("[2/3] inboxes, board and gauges, {runs} runs each…");
    let month_to = now;
    let month_from = now - 30 * motcua_domain::DAY;
    let (mut unit_page, mut mine, mut search, mut overdue, mut counts, mut board, mut gauges) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    let mut board_scan = Vec::new();
    let mut seen_rows = 0;
    let time = |v: &mut Vec<f64>, t: Instant| v.push(t.elapsed().as_secs_f64() * 1000.0);
    for r in 0..runs {
        let unit = loaded.departments[r % loaded.departments.len().max(1)];
        let t = Instant::now();
        let rows = queries::inbox(&core, &staff, &Scope::Unit(unit), &Query::default()).await?;
        time(&mut unit_page, t);
        seen_rows = seen_rows.max(rows.len());
        let t = Instant::now();
        queries::inbox(&core, &assignee, &Scope::Mine, &Query::default()).await?;
        time(&mut mine, t);
        let q = Query {
            q: format!("cong dan {}", 17 + r * 31),
            ..Default::default()
        };
        let t = Instant::now();
        queries::inbox(&core, &staff, &Scope::Unit(dept), &q).await?;
        time(&mut search, t);
        let q = Query {
            due: "overdue".into(),
            ..Default::default()
        };
        let t = Instant::now();
        queries::inbox(&core, &staff, &Scope::Unit(unit), &q).await?;
        time(&mut overdue, t);
        let t = Instant::now();
        queries::counts(&core, &staff).await?;
        time(&mut counts, t);
        // One "now" for both, or a case turning late between them would
        // make them differ.
        let at = core.now();
        let t = Instant::now();
        let lines = queries::board(
            &core,
            &staff,
            motcua_handling::synthetic::AGENCY,
            month_from,
            month_to,
            at,
        )
        .await?;
        time(&mut board, t);
        anyhow::ensure!(!lines.is_empty(), "an empty board");
        let t = Instant::now();
        let scanned = queries::board_from_cases(
            &core,
            motcua_handling::synthetic::AGENCY,
            month_from,
            month_to,
            at,
        )
        .await?;
        time(&mut board_scan, t);
        let named: Vec<_> = lines
            .into_iter()
            .map(|mut l| {
                l.procedure_name.clear();
                l
            })
            .collect();
        anyhow::ensure!(
            named == scanned,
            "the board's summary differs from its cases"
        );
        let t = Instant::now();
        queries::gauges(&core).await?;
        time(&mut gauges, t);
    }
    anyhow::ensure!(seen_rows > 0, "an empty inbox");

    eprintln!("[3/3] {runs} dossiers received, then asked for a supplement…");
    let rules = motcua_handling::Rules {
        cutoff: state.dossier_rules.cutoff,
        ..Default::default()
    };
    let mut codes = Vec::new();
    let mut accepts = Vec::new();
    let start = Instant::now();
    while codes.len() < runs {
        let batch = queries::awaiting_receipt(&core, &staff).await?;
        anyhow::ensure!(!batch.is_empty(), "no new dossier left to receive");
        for d in batch.into_iter().take(runs - codes.len()) {
            let t = Instant::now();
            let a = Act {
                kind: "accept".into(),
                to: "handle".into(),
                unit: Some(dept),
                ..Default::default()
            };
            cases::act(&core, &origin, &rules, &staff, &d.code, &a).await?;
            accepts.push(t.elapsed().as_secs_f64() * 1000.0);
            codes.push(d.code);
        }
    }
    let mut changes = Vec::new();
    for code in &codes {
        let t = Instant::now();
        let h = cases::get(&core, &staff, code).await?;
        let a = Act {
            kind: "supplement".into(),
            note: "Bổ sung bản sao giấy chứng sinh có chứng thực.".into(),
            seen: h.case.as_ref().map(|k| k.updated_at),
            ..Default::default()
        };
        cases::act(&core, &origin, &rules, &staff, code, &a).await?;
        changes.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    // Receipts and supplement requests, with reading the case before each
    // supplement as the page does.
    let rate = (2 * codes.len()) as f64 / start.elapsed().as_secs_f64();
    let notices: usize = {
        let mut n = 0;
        for code in &codes {
            let h = cases::get(&core, &staff, code).await?;
            n += cases::notices(&core, &h).await?.len();
        }
        n
    };
    anyhow::ensure!(
        notices == codes.len(),
        "{notices} notices for {} supplements",
        codes.len()
    );
    state.store.close().await;

    let shapes = [
        ("unit inbox, first page", &unit_page),
        ("own inbox, first page", &mine),
        ("unit inbox, search by applicant", &search),
        ("unit inbox, overdue", &overdue),
        ("home counts (open, overdue, paused)", &counts),
        ("board of the agency, one month", &board),
        (
            "the same board counted from the cases (reference)",
            &board_scan,
        ),
        ("metrics gauges (portal-wide)", &gauges),
        ("receipt (accept, status 2)", &accepts),
        ("supplement request with Form 02 (status 5)", &changes),
    ];
    if args.json {
        let out = serde_json::json!({
            "dossiers": total,
            "backend": backend,
            "load_seconds": load_secs,
            "runs": runs,
            "reads": shapes.iter().map(|(name, v)| serde_json::json!({
                "shape": name, "p50_ms": percentile(v, 0.5), "p99_ms": percentile(v, 0.99),
            })).collect::<Vec<_>>(),
            "state_changes_per_second": rate,
            "goal_p50_ms": 50,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("## Motcua back-office benchmark: {total} dossiers, {backend}, {runs} runs");
        if let Some(s) = load_secs {
            println!("\nLoaded in {s:.1} s.");
        }
        println!("\n| shape | p50 | p99 |\n|---|---|---|");
        for (name, v) in &shapes {
            println!(
                "| {name} | {:.2} ms | {:.2} ms |",
                percentile(v, 0.5),
                percentile(v, 0.99)
            );
        }
        println!("\nState changes (receipts and supplement requests with Form 02): {rate:.1}/s. Goal for the reads: p50 < 50 ms.");
    }
    Ok(())
}
