//! `motcua bench --dossiers N [--people P]` (issue #8): "my dossiers" and
//! the dossier page at N dossiers of P people (default N / 10), and
//! submissions per second with a 1 MB attachment against the raw rate of
//! the same bytes and a transaction on the same disk.
//!
//! 1. Loads the demo catalog and its forms, then N synthetic dossiers
//!    (`motcua_dossiers::synthetic`), or reuses a database an earlier run
//!    loaded (`--database-url`).
//! 2. Times, `--runs` times each, through the services the pages call:
//!    the first page of a person's dossiers (`queries::my_dossiers`), the
//!    same filtered by status, and one dossier with its timeline
//!    (`queries::dossier`): p50 and p99.
//! 3. Prepares `--runs` complete drafts (the birth registration form,
//!    filled page by page through `drafts::save`), then times attaching a
//!    1 MB PDF and submitting each (`files::attach` + `submission::submit`,
//!    one after the other); and, as the limit, storing 1 MB in the blob
//!    store and committing its transaction (`blobs::store`).
use crate::bench::{self, percentile, Args};
use crate::config::Config;
use anyhow::Result;
use motcua_dossiers::drafts::{self, Holder};
use motcua_dossiers::queries::Filter;
use motcua_dossiers::{files, queries, submission};
use motcua_forms::answers::{Posted, RowAction};
use motcua_kernel::service::Origin;
use std::time::Instant;

fn posted(pairs: &[(&str, &str)]) -> Posted {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The birth registration form's pages, answered.
fn birth_pages() -> Vec<Posted> {
    vec![
        posted(&[
            ("full_name", "Nguyễn Thị Hoa"),
            ("personal_id", "001190012345"),
            ("phone", "0912345678"),
            ("address.province", "Thành phố Hà Nội"),
            ("address.commune", "Phường Hoàn Kiếm"),
            ("address.street", "12 Tràng Tiền"),
            ("relationship", "mother"),
        ]),
        posted(&[
            ("child_name", "Trần Minh Khôi"),
            ("child_sex", "male"),
            ("child_birthdate", "2026-11-20"),
            ("child_birthplace", "Bệnh viện Phụ sản Hà Nội"),
            ("child_ethnicity", "Kinh"),
            ("child_nationality", "Việt Nam"),
        ]),
        posted(&[
            ("mother_name", "Nguyễn Thị Hoa"),
            ("mother_birth_year", "1990"),
        ]),
        posted(&[("has_father", "no")]),
        posted(&[("extract_copies", "1"), ("result_delivery", "online")]),
    ]
}

/// A 1 MB PDF-shaped file, different for each `i` (the blob store keeps
/// one copy of equal bytes).
fn megabyte(i: usize) -> Vec<u8> {
    let mut v = b"%PDF-1.7\n".to_vec();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15 ^ i as u64;
    while v.len() < 1024 * 1024 - 16 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.extend_from_slice(b"\n%%EOF\n");
    v
}

pub async fn run(cfg: &Config, args: &Args, n: u64) -> Result<()> {
    let (_dir, mut bcfg) =
        bench::bench_config(cfg, "motcua-bench-dossiers", args.database_url.clone())?;
    bcfg.security.max_upload_bytes = bcfg.security.max_upload_bytes.max(2 * 1024 * 1024);
    let state = crate::app_state(&bcfg).await?;
    let core = state.core().clone();
    let backend = state.store.backend().name();
    let origin = Origin::cli();
    let people = args.people.unwrap_or((n / 10).max(1));
    motcua_catalog::seed::load(&core, &origin).await?;
    motcua_dossiers::seed_forms(&core, &origin).await?;
    let present = motcua_dossiers::synthetic::count(&core).await?;
    let load_secs = if present == 0 {
        eprintln!("[1/3] loading {n} dossiers of {people} people ({backend})…");
        let start = Instant::now();
        motcua_dossiers::synthetic::load(&core, n, people, core.now()).await?;
        Some(start.elapsed().as_secs_f64())
    } else {
        eprintln!("[1/3] reusing the {present} dossiers already in the database");
        None
    };
    let total = motcua_dossiers::synthetic::count(&core).await?;
    let runs = args.runs.max(3);
    eprintln!("[2/3] my dossiers and the dossier page, {runs} runs each…");
    let mut first_page = Vec::new();
    let mut filtered = Vec::new();
    let mut page = Vec::new();
    let mut rows_seen = 0;
    for r in 0..runs {
        let person = ((r as u64 * 7919) % people) as i64 + 1;
        let t = Instant::now();
        let (rows, _) = queries::my_dossiers(&core, person, &Filter::default(), None).await?;
        first_page.push(t.elapsed().as_secs_f64() * 1000.0);
        rows_seen = rows_seen.max(rows.len());
        let t = Instant::now();
        let f = Filter {
            status: Some(1),
            ..Default::default()
        };
        queries::my_dossiers(&core, person, &f, None).await?;
        filtered.push(t.elapsed().as_secs_f64() * 1000.0);
        if let Some(d) = rows.first() {
            let t = Instant::now();
            let view = queries::dossier(&core, person, &d.code).await?;
            page.push(t.elapsed().as_secs_f64() * 1000.0);
            anyhow::ensure!(view.dossier.code == d.code, "wrong dossier");
        }
    }
    anyhow::ensure!(rows_seen > 0, "no dossier found for the people asked");

    eprintln!("[3/3] {runs} submissions with a 1 MB attachment…");
    let holder = Holder {
        account_id: i64::try_from(people)? + 1,
        full_name: "Nguyễn Thị Hoa".into(),
        email: String::new(),
        locale: "vi".into(),
        level: 4,
    };
    let rules = state.dossier_rules.as_ref().clone();
    let rules = motcua_dossiers::Rules {
        max_open_drafts: i64::try_from(runs)? + 10,
        ..rules
    };
    let mut ready = Vec::new();
    for _ in 0..runs {
        let id = drafts::start(
            &core,
            &origin,
            &rules,
            &holder,
            "1.001193",
            &Default::default(),
        )
        .await?;
        let mut revision = 0;
        for (step, p) in birth_pages().iter().enumerate() {
            let saved = drafts::save(
                &core,
                &rules,
                holder.account_id,
                &id,
                step,
                revision,
                p,
                &RowAction::None,
            )
            .await?;
            anyhow::ensure!(saved.errors.is_empty(), "page {step}: {:?}", saved.errors);
            revision = saved.draft.row.revision;
        }
        let d = drafts::get(&core, holder.account_id, &id).await?;
        let component = files::components(&core, &d)
            .await?
            .first()
            .map(|c| c.key.clone())
            .ok_or_else(|| anyhow::anyhow!("the birth registration lists no documents"))?;
        ready.push((id, component));
    }
    let mut submit_ms = Vec::new();
    let start = Instant::now();
    for (i, (id, component)) in ready.iter().enumerate() {
        let t = Instant::now();
        let attached = files::attach(
            &core,
            &origin,
            &rules,
            holder.account_id,
            id,
            component,
            "1mb.pdf",
            &megabyte(i),
        )
        .await?;
        anyhow::ensure!(attached.is_ok(), "attach: {attached:?}");
        let revision = drafts::get(&core, holder.account_id, id)
            .await?
            .row
            .revision;
        match submission::submit(&core, &origin, &rules, &holder, id, revision, None, 2).await? {
            submission::Submission::Submitted(_) => {}
            other => anyhow::bail!("not submitted: {other:?}"),
        }
        submit_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let submit_rate = runs as f64 / start.elapsed().as_secs_f64();
    let start = Instant::now();
    for i in 0..runs {
        let data = megabyte(runs + i);
        let mut tx = core.store.begin().await?;
        motcua_kernel::blobs::store(&core, &mut tx, "application/pdf", &data, core.now()).await?;
        tx.commit().await?;
    }
    let raw_rate = runs as f64 / start.elapsed().as_secs_f64();
    state.store.close().await;

    let shapes = [
        ("my dossiers, first page", &first_page),
        ("my dossiers, status filter", &filtered),
        ("dossier page (dossier + timeline)", &page),
        ("submission with a 1 MB file", &submit_ms),
    ];
    if args.json {
        let out = serde_json::json!({
            "dossiers": total,
            "people": people,
            "backend": backend,
            "load_seconds": load_secs,
            "runs": runs,
            "reads": shapes.iter().map(|(name, v)| serde_json::json!({
                "shape": name, "p50_ms": percentile(v, 0.5), "p99_ms": percentile(v, 0.99),
            })).collect::<Vec<_>>(),
            "submissions_per_second": submit_rate,
            "raw_1mb_writes_per_second": raw_rate,
            "submission_to_raw_ratio": submit_rate / raw_rate,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("## Motcua dossiers benchmark: {total} dossiers of {people} people, {backend}, {runs} runs");
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
        println!(
            "\nSubmissions with a 1 MB attachment: {submit_rate:.1}/s; raw 1 MB blob + transaction: {raw_rate:.1}/s (ratio {:.2}).",
            submit_rate / raw_rate
        );
    }
    Ok(())
}
