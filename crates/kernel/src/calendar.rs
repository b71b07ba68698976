//! The working-day calendar as the application uses it (R-OP-3): the rules
//! of `motcua_domain::calendar` plus the Government's announced
//! adjustments stored in the database, which the operator edits (console
//! or CLI), imports and exports as a file. Every change is audited (target
//! `calendar:YYYY-MM-DD`: who changed what, before and after).
//!
//! Each node caches the built calendar and rebuilds it when the stored
//! version changes, so an edit on one node is used by all of them at
//! their next deadline computation. The bundled announcements (2024–2026)
//! are loaded into an empty database the first time the calendar is used.
use crate::service::{Origin, ServiceError};
use crate::Core;
use motcua_domain::calendar::{
    format_adjustments, parse_adjustments, Adjustment, AdjustmentKind, Calendar, CalendarError,
};
use motcua_domain::Millis;
use motcua_store::calendar::{self as store, AdjustmentRow};
use motcua_store::{audit, AnyConnection};
use std::sync::{Arc, RwLock};
use time::macros::format_description;
use time::Date;

/// The calendar each node keeps, with the stored version it was built from.
#[derive(Default)]
pub struct CalendarCache {
    built: RwLock<Option<(i64, Arc<Calendar>)>>,
}

fn parse_date(s: &str) -> Option<Date> {
    Date::parse(s.trim(), format_description!("[year]-[month]-[day]")).ok()
}

pub fn date_str(d: Date) -> String {
    d.format(format_description!("[year]-[month]-[day]"))
        .unwrap_or_default()
}

fn to_adjustment(r: &AdjustmentRow) -> Option<Adjustment> {
    Some(Adjustment {
        date: parse_date(&r.date)?,
        kind: AdjustmentKind::parse(&r.kind)?,
        reason_vi: r.reason_vi.clone(),
        reason_en: r.reason_en.clone(),
        source: r.source.clone(),
    })
}

fn to_row(a: &Adjustment, by: &str, now: Millis) -> AdjustmentRow {
    AdjustmentRow {
        date: date_str(a.date),
        kind: a.kind.as_str().to_string(),
        reason_vi: a.reason_vi.clone(),
        reason_en: a.reason_en.clone(),
        source: a.source.clone(),
        updated_by: by.to_string(),
        updated_at: now,
    }
}

fn row_json(r: &AdjustmentRow) -> serde_json::Value {
    serde_json::json!({
        "kind": r.kind, "reason_vi": r.reason_vi, "reason_en": r.reason_en, "source": r.source,
    })
}

/// Loads the bundled announcements into a database that never had them.
/// Safe on several nodes at once: only the node that flips the flag loads.
async fn seed_if_needed(state: &Core) -> Result<(), ServiceError> {
    let mut c = state.store.conn().await?;
    if store::state(&mut c).await?.0 {
        return Ok(());
    }
    drop(c);
    let bundled = parse_adjustments(Calendar::bundled_text())
        .map_err(|e| ServiceError::Internal(format!("bundled calendar: {e}")))?;
    let now = state.now();
    let ctx = audit::Ctx::system("calendar");
    let mut tx = state.store.begin().await?;
    if !store::mark_seeded(&mut tx).await? {
        return Ok(());
    }
    for a in &bundled {
        store::put(&mut tx, &to_row(a, &ctx.actor, now)).await?;
    }
    audit::append(
        &mut tx,
        &ctx,
        "calendar.seed",
        "calendar:bundled",
        &serde_json::json!({ "adjustments": bundled.len() }).to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The current calendar (rules + stored adjustments).
pub async fn current(state: &Core) -> Result<Arc<Calendar>, ServiceError> {
    seed_if_needed(state).await?;
    let mut c = state.store.conn().await?;
    let (_, version) = store::state(&mut c).await?;
    if let Ok(guard) = state.calendar.built.read() {
        if let Some((v, cal)) = guard.as_ref() {
            if *v == version {
                return Ok(cal.clone());
            }
        }
    }
    let rows = store::list(&mut c).await?;
    drop(c);
    let adjustments: Vec<Adjustment> = rows.iter().filter_map(to_adjustment).collect();
    let cal = tokio::task::spawn_blocking(move || Arc::new(Calendar::new(adjustments)))
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    if let Ok(mut guard) = state.calendar.built.write() {
        *guard = Some((version, cal.clone()));
    }
    Ok(cal)
}

/// What the operator enters for one adjustment.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct AdjustmentInput {
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub reason_vi: String,
    #[serde(default)]
    pub reason_en: String,
    #[serde(default)]
    pub source: String,
}

/// Checks one adjustment with the same rules as the file import.
pub fn check(input: &AdjustmentInput) -> Result<Adjustment, ServiceError> {
    let date = parse_date(&input.date).ok_or(ServiceError::invalid("calendar.error_date"))?;
    let kind = AdjustmentKind::parse(input.kind.trim())
        .ok_or(ServiceError::invalid("calendar.error_kind"))?;
    let clean = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let a = Adjustment {
        date,
        kind,
        reason_vi: clean(&input.reason_vi),
        reason_en: clean(&input.reason_en),
        source: clean(&input.source),
    };
    if a.reason_vi.is_empty() || a.reason_en.is_empty() || a.source.is_empty() {
        return Err(ServiceError::invalid("calendar.error_reason"));
    }
    if [&a.reason_vi, &a.reason_en, &a.source]
        .iter()
        .any(|s| s.chars().count() > 300)
    {
        return Err(ServiceError::invalid("calendar.error_reason"));
    }
    // The file rules (e.g. no day_off on a weekend) in one place.
    parse_adjustments(&format_adjustments(std::slice::from_ref(&a))).map_err(|e| match e {
        CalendarError::Parse { message, .. } if message.contains("weekend") => {
            ServiceError::invalid("calendar.error_weekend")
        }
        _ => ServiceError::invalid("calendar.error_kind"),
    })?;
    Ok(a)
}

async fn put_audited(
    c: &mut AnyConnection,
    origin: &Origin,
    a: &Adjustment,
    now: Millis,
) -> Result<bool, ServiceError> {
    let row = to_row(a, &origin.audit.actor, now);
    let before = store::get(c, &row.date).await?;
    if before
        .as_ref()
        .is_some_and(|b| row_json(b) == row_json(&row))
    {
        return Ok(false);
    }
    store::put(c, &row).await?;
    audit::append(
        c,
        &origin.audit,
        "calendar.set",
        &format!("calendar:{}", row.date),
        &serde_json::json!({ "before": before.as_ref().map(row_json), "after": row_json(&row) })
            .to_string(),
        now,
    )
    .await?;
    Ok(true)
}

/// Adds or replaces the adjustment of a date.
pub async fn set(
    state: &Core,
    origin: &Origin,
    input: &AdjustmentInput,
) -> Result<Adjustment, ServiceError> {
    let a = check(input)?;
    seed_if_needed(state).await?;
    let now = state.now();
    let mut tx = state.store.begin().await?;
    put_audited(&mut tx, origin, &a, now).await?;
    tx.commit().await?;
    Ok(a)
}

/// Removes the adjustment of a date (the rules apply to it again).
pub async fn remove(state: &Core, origin: &Origin, date: &str) -> Result<(), ServiceError> {
    let d = parse_date(date).ok_or(ServiceError::invalid("calendar.error_date"))?;
    seed_if_needed(state).await?;
    let key = date_str(d);
    let now = state.now();
    let mut tx = state.store.begin().await?;
    let Some(before) = store::get(&mut tx, &key).await? else {
        return Err(ServiceError::NotFound);
    };
    store::remove(&mut tx, &key).await?;
    audit::append(
        &mut tx,
        &origin.audit,
        "calendar.remove",
        &format!("calendar:{key}"),
        &serde_json::json!({ "before": row_json(&before) }).to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What an import changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    pub years: Vec<i32>,
    pub set: usize,
    pub removed: usize,
    pub unchanged: usize,
}

/// Imports an adjustments file. For every year the file mentions, the
/// stored adjustments become exactly the file's (dates not in the file are
/// removed); other years are untouched. All or nothing: a bad line changes
/// nothing and its error names the line.
pub async fn import(
    state: &Core,
    origin: &Origin,
    text: &str,
) -> Result<ImportSummary, ImportError> {
    let adjustments = parse_adjustments(text).map_err(ImportError::File)?;
    seed_if_needed(state).await?;
    let mut years: Vec<i32> = adjustments.iter().map(|a| a.date.year()).collect();
    years.sort_unstable();
    years.dedup();
    let now = state.now();
    let mut tx = state.store.begin().await?;
    let mut summary = ImportSummary {
        years: years.clone(),
        ..Default::default()
    };
    for a in &adjustments {
        if put_audited(&mut tx, origin, a, now).await? {
            summary.set += 1;
        } else {
            summary.unchanged += 1;
        }
    }
    for row in store::list(&mut tx).await? {
        let Some(d) = parse_date(&row.date) else {
            continue;
        };
        if years.contains(&d.year()) && !adjustments.iter().any(|a| a.date == d) {
            store::remove(&mut tx, &row.date).await?;
            audit::append(
                &mut tx,
                &origin.audit,
                "calendar.remove",
                &format!("calendar:{}", row.date),
                &serde_json::json!({ "before": row_json(&row), "by": "import" }).to_string(),
                now,
            )
            .await?;
            summary.removed += 1;
        }
    }
    audit::append(
        &mut tx,
        &origin.audit,
        "calendar.import",
        "calendar:file",
        &serde_json::to_string(&summary)
            .map_err(|e| ServiceError::Internal(format!("import summary: {e}")))?,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(summary)
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    File(CalendarError),
    #[error("{0}")]
    Service(#[from] ServiceError),
}

impl From<motcua_store::StoreError> for ImportError {
    fn from(e: motcua_store::StoreError) -> Self {
        ImportError::Service(e.into())
    }
}

impl From<motcua_store::DbError> for ImportError {
    fn from(e: motcua_store::DbError) -> Self {
        ImportError::Service(e.into())
    }
}

/// The stored adjustments as a file ([`import`] reads it back).
pub async fn export(state: &Core) -> Result<String, ServiceError> {
    seed_if_needed(state).await?;
    let mut c = state.store.conn().await?;
    let rows = store::list(&mut c).await?;
    let adjustments: Vec<Adjustment> = rows.iter().filter_map(to_adjustment).collect();
    Ok(format_adjustments(&adjustments))
}

/// The stored adjustments of one year, with who last changed each.
pub async fn rows_of_year(state: &Core, year: i32) -> Result<Vec<AdjustmentRow>, ServiceError> {
    seed_if_needed(state).await?;
    let mut c = state.store.conn().await?;
    let prefix = format!("{year:04}-");
    Ok(store::list(&mut c)
        .await?
        .into_iter()
        .filter(|r| r.date.starts_with(&prefix))
        .collect())
}

/// The deadline of `n` working days for something received at
/// `received_at` (Civil Code 2015 Art. 147–148, with an optional cut-off
/// hour after which receipt counts from the next working day).
pub async fn deadline_days(
    state: &Core,
    received_at: Millis,
    n: u32,
    cutoff: Option<time::Time>,
) -> Result<Millis, ServiceError> {
    let cal = current(state).await?;
    Ok(motcua_domain::calendar::deadline_working_days(
        &cal,
        &state.config.working_hours,
        received_at,
        n,
        &motcua_domain::calendar::DeadlineRule { cutoff },
    ))
}

/// The deadline of `n` working hours from `from`.
pub async fn deadline_hours(state: &Core, from: Millis, n: u32) -> Result<Millis, ServiceError> {
    let cal = current(state).await?;
    Ok(motcua_domain::calendar::deadline_working_hours(
        &cal,
        &state.config.working_hours,
        from,
        n,
    ))
}

/// Working time left until `due` (negative and overdue once past).
pub async fn time_left(
    state: &Core,
    due: Millis,
) -> Result<motcua_domain::calendar::Remaining, ServiceError> {
    let cal = current(state).await?;
    Ok(motcua_domain::calendar::remaining(
        &cal,
        &state.config.working_hours,
        state.now(),
        due,
    ))
}
