//! `motcua calendar …`: the working-day calendar from the command line
//! (R-OP-3): show a year, compute a deadline, edit, import and export the
//! announced adjustments. Edits are audited with actor `cli`.
use crate::config::Config;
use anyhow::{bail, Result};
use motcua_domain::calendar::{deadline_working_days, DayKind, DeadlineRule};
use motcua_domain::clock::{from_vn_datetime, vn_datetime};
use motcua_identity::service::Origin;
use motcua_kernel::calendar::{self, AdjustmentInput, ImportError};
use std::path::PathBuf;
use time::macros::format_description;
use time::{PrimitiveDateTime, Time};

#[derive(clap::Subcommand)]
pub enum CalendarCmd {
    /// List the days off and worked weekend days of a year.
    Show { year: i32 },
    /// Compute the deadline of N working days from a time of receipt
    /// (Vietnam time), per Civil Code 2015 Art. 147–148.
    Deadline {
        /// Time of receipt, e.g. 2026-02-13T16:30 (Vietnam time).
        #[arg(long)]
        from: String,
        #[arg(long)]
        working_days: u32,
        /// Receipt after this time (HH:MM) counts as the next working day.
        #[arg(long)]
        cutoff: Option<String>,
    },
    /// Add or replace the adjustment of a date.
    Set {
        /// YYYY-MM-DD
        #[arg(long)]
        date: String,
        /// day_off, working_day, tet_day_off or holiday
        #[arg(long)]
        kind: String,
        #[arg(long)]
        reason_vi: String,
        #[arg(long)]
        reason_en: String,
        /// The announcement, e.g. "Văn bản 2450/VPCP-KGVX ngày 12/04/2024".
        #[arg(long)]
        source: String,
    },
    /// Remove the adjustment of a date (YYYY-MM-DD).
    Remove { date: String },
    /// Import an adjustments file: for each year in it, that year's
    /// adjustments become the file's.
    Import { file: PathBuf },
    /// Write the adjustments file to stdout (or a file).
    Export { file: Option<PathBuf> },
}

fn dmy(d: time::Date) -> String {
    format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year())
}

fn err(e: motcua_identity::service::ServiceError) -> anyhow::Error {
    crate::service_err(e)
}

pub async fn run(cfg: &Config, cmd: CalendarCmd) -> Result<i32> {
    let state = crate::cli_contexts(cfg).await?;
    let origin = Origin::cli();
    match cmd {
        CalendarCmd::Show { year } => {
            if !(1900..=2100).contains(&year) {
                bail!("year {year}: the calendar covers 1900–2100");
            }
            let cal = calendar::current(&state).await.map_err(err)?;
            println!("Working-day calendar {year} (days off on weekdays, worked weekend days):");
            for (d, info) in cal.year_days_off(year) {
                let mark = match info.kind {
                    DayKind::AnnouncedWorkingDay => "worked",
                    _ if info.working => "worked",
                    _ => "off",
                };
                let source = info.source.map(|s| format!(" [{s}]")).unwrap_or_default();
                println!(
                    "{}  {:<9}  {:<6}  {} / {}{}",
                    dmy(d),
                    d.weekday(),
                    mark,
                    info.name_vi,
                    info.name_en,
                    source
                );
            }
        }
        CalendarCmd::Deadline {
            from,
            working_days,
            cutoff,
        } => {
            let Ok(at) = PrimitiveDateTime::parse(
                from.trim(),
                format_description!("[year]-[month]-[day]T[hour]:[minute]"),
            ) else {
                bail!("--from {from:?}: expected a time like 2026-02-13T16:30");
            };
            let cutoff = match cutoff {
                None => None,
                Some(c) => match Time::parse(c.trim(), format_description!("[hour]:[minute]")) {
                    Ok(t) => Some(t),
                    Err(_) => bail!("--cutoff {c:?}: expected HH:MM"),
                },
            };
            let cal = calendar::current(&state).await.map_err(err)?;
            let due = deadline_working_days(
                &cal,
                &state.config.working_hours,
                from_vn_datetime(at),
                working_days,
                &DeadlineRule { cutoff },
            );
            let d = vn_datetime(due);
            println!(
                "{} {} {:02}:{:02} (Vietnam time)",
                d.weekday(),
                dmy(d.date()),
                d.hour(),
                d.minute()
            );
        }
        CalendarCmd::Set {
            date,
            kind,
            reason_vi,
            reason_en,
            source,
        } => {
            let a = calendar::set(
                &state,
                &origin,
                &AdjustmentInput {
                    date,
                    kind,
                    reason_vi,
                    reason_en,
                    source,
                },
            )
            .await
            .map_err(err)?;
            println!("set {} {}", calendar::date_str(a.date), a.kind);
        }
        CalendarCmd::Remove { date } => {
            calendar::remove(&state, &origin, &date)
                .await
                .map_err(err)?;
            println!("removed {date}");
        }
        CalendarCmd::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            match calendar::import(&state, &origin, &text).await {
                Ok(s) => println!(
                    "imported {:?}: {} set, {} removed, {} unchanged",
                    s.years, s.set, s.removed, s.unchanged
                ),
                Err(ImportError::File(e)) => {
                    bail!("{}: {e} (nothing was changed)", file.display())
                }
                Err(ImportError::Service(e)) => return Err(err(e)),
            }
        }
        CalendarCmd::Export { file } => {
            let text = calendar::export(&state).await.map_err(err)?;
            match file {
                Some(p) => std::fs::write(&p, text)
                    .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display()))?,
                None => print!("{text}"),
            }
        }
    }
    state.store.close().await;
    Ok(0)
}
