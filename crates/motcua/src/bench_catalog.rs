//! `motcua bench --catalog N` (issue #8): the catalog's search at N
//! procedures.
//!
//! 1. Loads N procedures (or reuses a database an earlier run loaded): the
//!    demo catalog's 47 real procedures, then variants of them — each a
//!    copy with a code of its own (`9.xxxxxx`, a range the national codes
//!    do not use), a name with a place or case added, and its fields,
//!    levels and agencies as in the original — imported through the
//!    catalog's own import (one all-or-nothing call).
//! 2. Times each search shape through `queries::search` (the code the
//!    `/procedures` page and the API run), `--runs` times: p50 and p99.
use crate::bench::{self, percentile, Args};
use crate::config::Config;
use anyhow::Result;
use motcua_catalog::queries::{self, Filters};
use motcua_kernel::service::Origin;
use serde_json::Value;
use std::time::Instant;

/// Words a variant's name gets, so that names differ as real ones do.
const PLACES: &[&str] = &[
    "tại Ủy ban nhân dân cấp xã",
    "có yếu tố nước ngoài",
    "cho người đang ở nước ngoài",
    "trường hợp bị mất",
    "trường hợp bị hỏng",
    "lần thứ hai trở đi",
    "cho trẻ em dưới 6 tuổi",
    "tại Sở Tư pháp",
    "đối với doanh nghiệp nhỏ và vừa",
    "trong khu công nghiệp",
    "ở vùng đồng bào dân tộc thiểu số",
    "cho người khuyết tật",
    "tại Bộ phận Một cửa",
    "trên môi trường điện tử",
    "thuộc diện ưu tiên",
    "đối với hộ gia đình",
];

/// `n` records of the national format: the demo's, then variants.
fn records(n: usize) -> Result<Vec<Value>> {
    let seed: Vec<Value> = serde_json::from_str(motcua_catalog::seed::PROCEDURES)?;
    let mut out = seed.clone();
    let mut i = 0;
    while out.len() < n {
        let mut r = seed[i % seed.len()].clone();
        let place = PLACES[(i / seed.len()) % PLACES.len()];
        let name = r["TENTTHC"].as_str().unwrap_or_default().to_string();
        r["MaTTHC"] = Value::from(format!("9.{:06}", i + 1));
        r["TENTTHC"] = Value::from(format!(
            "{name} {place} ({})",
            i / (seed.len() * PLACES.len()) + 1
        ));
        r["TTHCLIENQUAN"] = Value::Array(Vec::new());
        out.push(r);
        i += 1;
    }
    out.truncate(n);
    Ok(out)
}

struct Shape {
    name: &'static str,
    query: &'static str,
    filters: Filters,
    page: i64,
}

pub async fn run(cfg: &Config, args: &Args, n: u64) -> Result<()> {
    let (_dir, bcfg) = bench::bench_config(cfg, "motcua-bench-catalog", args.database_url.clone())?;
    let state = crate::app_state(&bcfg).await?;
    let backend = state.store.backend().name();
    let origin = Origin::cli();
    let present = queries::search(&state, "", &Filters::default(), 1).await?.1;
    let load_secs = if present == 0 {
        eprintln!("[1/2] loading {n} procedures ({backend})…");
        let start = Instant::now();
        let r = motcua_catalog::seed::load(&state, &origin).await?;
        anyhow::ensure!(
            matches!(r, motcua_catalog::service::ImportOutcome::Imported { .. }),
            "demo catalog: {r:?}"
        );
        let all = Value::Array(records(usize::try_from(n)?)?).to_string();
        let r = motcua_catalog::service::import(&state, &origin, &all, true).await?;
        anyhow::ensure!(
            matches!(r, motcua_catalog::service::ImportOutcome::Imported { .. }),
            "synthetic catalog: {r:?}"
        );
        Some(start.elapsed().as_secs_f64())
    } else {
        eprintln!("[1/2] reusing the {present} procedures already in the database");
        None
    };
    let total = queries::search(&state, "", &Filters::default(), 1).await?.1;
    let shapes = [
        Shape {
            name: "\"dang ky khai sinh\" (no accents)",
            query: "dang ky khai sinh",
            filters: Filters::default(),
            page: 1,
        },
        Shape {
            name: "\"giấy phép xây dựng\"",
            query: "giấy phép xây dựng",
            filters: Filters::default(),
            page: 1,
        },
        Shape {
            name: "one word \"ho\"",
            query: "ho",
            filters: Filters::default(),
            page: 1,
        },
        Shape {
            name: "no match",
            query: "không có thủ tục này",
            filters: Filters::default(),
            page: 1,
        },
        Shape {
            name: "page 20 of \"dang ky\"",
            query: "dang ky",
            filters: Filters::default(),
            page: 20,
        },
        Shape {
            name: "\"khai sinh\" in field HT, commune level",
            query: "khai sinh",
            filters: Filters {
                field: Some("HT".into()),
                level: Some("commune".into()),
                ..Default::default()
            },
            page: 1,
        },
        Shape {
            name: "browse: fully online, no words",
            query: "",
            filters: Filters {
                online_level: Some("full".into()),
                ..Default::default()
            },
            page: 1,
        },
    ];
    let runs = args.runs.max(3);
    eprintln!("[2/2] search shapes, {runs} runs each…");
    let mut timed = Vec::new();
    for s in &shapes {
        let mut ms = Vec::with_capacity(runs);
        let mut found = 0;
        let mut first = String::new();
        for _ in 0..runs {
            let start = Instant::now();
            let (items, t) = queries::search(&state, s.query, &s.filters, s.page).await?;
            ms.push(start.elapsed().as_secs_f64() * 1000.0);
            found = t;
            first = items
                .first()
                .map(|e| e.record.name.clone())
                .unwrap_or_default();
        }
        timed.push((
            s.name,
            percentile(&ms, 0.5),
            percentile(&ms, 0.99),
            found,
            first,
        ));
    }
    state.store.close().await;
    if args.json {
        let out = serde_json::json!({
            "procedures": total,
            "backend": backend,
            "load_seconds": load_secs,
            "runs": runs,
            "search": timed.iter().map(|(name, p50, p99, found, first)| serde_json::json!({
                "shape": name, "p50_ms": p50, "p99_ms": p99, "matches": found, "first": first,
            })).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "## Motcua catalog benchmark: {total} procedures, {backend}, {runs} runs per shape"
        );
        if let Some(s) = load_secs {
            println!("\nLoaded in {s:.1} s.");
        }
        println!("\n| search shape (page of 20) | p50 | p99 | matches | first result |\n|---|---|---|---|---|");
        for (name, p50, p99, found, first) in &timed {
            println!("| {name} | {p50:.2} ms | {p99:.2} ms | {found} | {first} |");
        }
    }
    Ok(())
}
