//! Operator console: the working-day calendar (R-OP-3) — a year's days off
//! and worked weekends, the announced adjustments with their history, a
//! deadline calculator, and import/export of the adjustments file.
use super::auth::origin;
use super::{render, Chrome, Operator};
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use motcua_domain::calendar::{
    deadline_working_days, remaining, AdjustmentKind, DayKind, DeadlineRule,
};
use motcua_domain::clock::{format_vn, from_vn_datetime, vn_datetime};
use motcua_identity::service::ServiceError;
use motcua_kernel::calendar::{self, AdjustmentInput, ImportError};
use motcua_mail::Locale;
use serde::Deserialize;
use time::macros::format_description;
use time::{Date, PrimitiveDateTime, Weekday};

pub fn weekday_key(w: Weekday) -> &'static str {
    match w {
        Weekday::Monday => "weekday.mon",
        Weekday::Tuesday => "weekday.tue",
        Weekday::Wednesday => "weekday.wed",
        Weekday::Thursday => "weekday.thu",
        Weekday::Friday => "weekday.fri",
        Weekday::Saturday => "weekday.sat",
        Weekday::Sunday => "weekday.sun",
    }
}

fn kind_key(k: DayKind) -> &'static str {
    match k {
        DayKind::WorkingDay => "calendar.kind_working",
        DayKind::Weekend => "calendar.kind_weekend",
        DayKind::Holiday => "calendar.kind_holiday",
        DayKind::Observed => "calendar.kind_observed",
        DayKind::AnnouncedDayOff => "calendar.kind_announced_off",
        DayKind::AnnouncedWorkingDay => "calendar.kind_announced_working",
    }
}

pub fn dmy(d: Date) -> String {
    format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year())
}

pub struct DayRow {
    pub date: String,
    pub weekday: &'static str,
    pub working: bool,
    pub kind: &'static str,
    pub name: String,
    pub source: String,
}

pub struct AdjRow {
    pub date: String,
    pub date_iso: String,
    pub kind: String,
    pub reason: String,
    pub source: String,
    pub by: String,
    pub at: String,
}

pub struct HistRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

pub struct Calc {
    pub from: String,
    pub days: String,
    pub cutoff: String,
    pub result: Option<String>,
    pub left: Option<String>,
}

#[derive(Template)]
#[template(path = "console/calendar.html")]
struct CalendarPage {
    c: Chrome,
    year: i32,
    days: Vec<DayRow>,
    adjustments: Vec<AdjRow>,
    history: Vec<HistRow>,
    kinds: Vec<&'static str>,
    form: AdjustmentInput,
    calc: Calc,
    error: Option<String>,
    notice: Option<String>,
    import_text: String,
}

#[derive(Deserialize, Default)]
pub struct CalendarQuery {
    year: Option<i32>,
    #[serde(default)]
    from: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    cutoff: String,
    #[serde(default)]
    done: String,
}

struct Extra {
    form: AdjustmentInput,
    error: Option<String>,
    notice: Option<String>,
    import_text: String,
}

async fn page(state: &AppState, ctx: &Ctx, q: CalendarQuery, extra: Extra) -> Response {
    let now = state.now();
    let today = vn_datetime(now);
    let year = q.year.unwrap_or(today.year()).clamp(1900, 2100);
    let cal = tri!(calendar::current(state).await);
    let c = Chrome::new(state, ctx);
    let vi = ctx.locale == Locale::Vi;
    let days = cal
        .year_days_off(year)
        .into_iter()
        .map(|(d, info)| DayRow {
            date: dmy(d),
            weekday: weekday_key(d.weekday()),
            working: info.working,
            kind: kind_key(info.kind),
            name: if vi { info.name_vi } else { info.name_en },
            source: info.source.unwrap_or_default(),
        })
        .collect();
    let adjustments = tri!(calendar::rows_of_year(state, year).await)
        .into_iter()
        .map(|r| AdjRow {
            date: Date::parse(&r.date, format_description!("[year]-[month]-[day]"))
                .map(dmy)
                .unwrap_or_else(|_| r.date.clone()),
            date_iso: r.date,
            kind: format!("calendar.adj_{}", r.kind),
            reason: if vi { r.reason_vi } else { r.reason_en },
            source: r.source,
            by: r.updated_by,
            at: format_vn(r.updated_at),
        })
        .collect();
    let history = tri!(motcua_kernel::records::audit_with_prefix(state, "calendar:", 50).await)
        .into_iter()
        .map(|e| HistRow {
            at: format_vn(e.at),
            actor: e.actor,
            action: e.action,
            target: e.target.trim_start_matches("calendar:").to_string(),
            detail: e.detail,
        })
        .collect();
    // The deadline calculator.
    let mut calc = Calc {
        from: q.from.clone(),
        days: q.days.clone(),
        cutoff: q.cutoff.clone(),
        result: None,
        left: None,
    };
    let mut error = extra.error;
    if !q.from.is_empty() || !q.days.is_empty() {
        let from = PrimitiveDateTime::parse(
            q.from.trim(),
            format_description!("[year]-[month]-[day]T[hour]:[minute]"),
        );
        let n = q.days.trim().parse::<u32>().ok().filter(|n| *n <= 365);
        let cutoff = if q.cutoff.trim().is_empty() {
            Ok(None)
        } else {
            time::Time::parse(q.cutoff.trim(), format_description!("[hour]:[minute]")).map(Some)
        };
        match (from, n, cutoff) {
            (Ok(from), Some(n), Ok(cutoff)) => {
                let at = from_vn_datetime(from);
                let due = deadline_working_days(
                    &cal,
                    &state.config.working_hours,
                    at,
                    n,
                    &DeadlineRule { cutoff },
                );
                let d = vn_datetime(due);
                calc.result = Some(format!(
                    "{} {} {:02}:{:02}",
                    c.t(weekday_key(d.weekday())),
                    dmy(d.date()),
                    d.hour(),
                    d.minute()
                ));
                let r = remaining(&cal, &state.config.working_hours, now, due);
                calc.left = Some(super::remaining_text(&c, &r));
            }
            _ => error = Some(c.t("calendar.error_calc").to_string()),
        }
    }
    let notice = extra.notice.or_else(|| match q.done.as_str() {
        "set" => Some(c.t("calendar.saved").to_string()),
        "removed" => Some(c.t("calendar.removed").to_string()),
        _ => None,
    });
    let has_error = error.is_some();
    let mut r = render(&CalendarPage {
        year,
        days,
        adjustments,
        history,
        kinds: AdjustmentKind::ALL.iter().map(|k| k.as_str()).collect(),
        form: extra.form,
        calc,
        error,
        notice,
        import_text: extra.import_text,
        c,
    });
    if has_error && r.status() == StatusCode::OK {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

fn no_extra() -> Extra {
    Extra {
        form: AdjustmentInput {
            kind: "day_off".into(),
            ..Default::default()
        },
        error: None,
        notice: None,
        import_text: String::new(),
    }
}

pub async fn show(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Query(q): Query<CalendarQuery>,
) -> Response {
    page(&state, &ctx, q, no_extra()).await
}

pub async fn set(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Form(f): Form<AdjustmentInput>,
) -> Response {
    match calendar::set(&state, &origin(&ctx), &f).await {
        Ok(a) => Redirect::to(&format!(
            "/console/calendar?year={}&done=set",
            a.date.year()
        ))
        .into_response(),
        Err(ServiceError::Invalid { key: k, .. } | ServiceError::Conflict(k)) => {
            let c = Chrome::new(&state, &ctx);
            let year = f.date.get(..4).and_then(|y| y.parse().ok());
            let extra = Extra {
                error: Some(c.t(k).to_string()),
                form: f,
                ..no_extra()
            };
            page(
                &state,
                &ctx,
                CalendarQuery {
                    year,
                    ..Default::default()
                },
                extra,
            )
            .await
        }
        Err(e) => AppError::from(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    date: String,
}

pub async fn remove(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Form(f): Form<RemoveForm>,
) -> Response {
    match calendar::remove(&state, &origin(&ctx), &f.date).await {
        Ok(()) => {
            let year = f.date.get(..4).unwrap_or("");
            Redirect::to(&format!("/console/calendar?year={year}&done=removed")).into_response()
        }
        Err(ServiceError::NotFound) => AppError::NotFound.into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    file_text: String,
}

pub async fn import(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Form(f): Form<ImportForm>,
) -> Response {
    let c = Chrome::new(&state, &ctx);
    match calendar::import(&state, &origin(&ctx), &f.file_text).await {
        Ok(s) => {
            let years: Vec<String> = s.years.iter().map(|y| y.to_string()).collect();
            let notice = c
                .t("calendar.imported")
                .replace("{years}", &years.join(", "))
                .replace("{set}", &s.set.to_string())
                .replace("{removed}", &s.removed.to_string())
                .replace("{unchanged}", &s.unchanged.to_string());
            let year = s.years.first().copied();
            page(
                &state,
                &ctx,
                CalendarQuery {
                    year,
                    ..Default::default()
                },
                Extra {
                    notice: Some(notice),
                    ..no_extra()
                },
            )
            .await
        }
        Err(ImportError::File(e)) => {
            let msg = c
                .t("calendar.error_import")
                .replace("{error}", &e.to_string());
            page(
                &state,
                &ctx,
                CalendarQuery::default(),
                Extra {
                    error: Some(msg),
                    import_text: f.file_text,
                    ..no_extra()
                },
            )
            .await
        }
        Err(ImportError::Service(e)) => AppError::from(e).into_response(),
    }
}

pub async fn export(State(state): State<AppState>, _: Operator) -> Response {
    let text = tri!(calendar::export(&state).await);
    (
        [
            (header::CONTENT_TYPE, "application/toml; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"motcua-calendar.toml\"",
            ),
        ],
        text,
    )
        .into_response()
}
