//! What civil servants read: inboxes (per person, per unit; waiting, due
//! soon, overdue; search by code, applicant, procedure) and the new
//! dossiers awaiting receipt at a one-stop unit.
use crate::people::Staff;
pub use crate::store::cases::CaseRow;
use crate::store::cases::{self as store, InboxFilter};
use crate::workflow as wf;
use motcua_domain::Millis;
use motcua_dossiers::progress::Facts;
use motcua_kernel::service::{Result, ServiceError};
use motcua_kernel::Core;

/// Which inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Cases assigned to the person.
    Mine,
    /// Cases at a unit where the person holds a role.
    Unit(i64),
}

#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Code, applicant or procedure name (accents and case ignored).
    pub q: String,
    /// "" (all), "soon" (due within a working day), "overdue".
    pub due: String,
    pub procedure: Option<String>,
    /// "open", "paused", "closed"; None: open and paused.
    pub state: Option<String>,
    pub unassigned: bool,
    pub after: Option<(Millis, i64)>,
}

pub const PAGE: i64 = 50;

/// A page of an inbox, soonest due first.
pub async fn inbox(core: &Core, who: &Staff, scope: &Scope, q: &Query) -> Result<Vec<CaseRow>> {
    let mut f = InboxFilter {
        words: motcua_domain::text::fold(&q.q)
            .split_whitespace()
            .take(6)
            .map(str::to_string)
            .collect(),
        procedure: q.procedure.clone().filter(|p| !p.is_empty()),
        state: q
            .state
            .clone()
            .filter(|s| matches!(s.as_str(), "open" | "paused" | "closed")),
        unassigned: q.unassigned,
        ..Default::default()
    };
    match scope {
        Scope::Mine => {
            // Only where the person still holds a role: a revoked role
            // takes the unit's dossiers out of their inbox.
            f.assignee = Some(who.account_id);
            f.units = who.units();
            if f.units.is_empty() {
                return Ok(Vec::new());
            }
        }
        Scope::Unit(id) => {
            if !who.memberships.iter().any(|m| m.unit_id == *id) && !who.operator {
                return Err(ServiceError::NotFound);
            }
            f.units = vec![*id];
        }
    }
    let now = core.now();
    match q.due.as_str() {
        "overdue" => {
            f.due_before = Some(now - 1);
            f.state = Some("open".into());
        }
        "soon" => {
            let cal = motcua_kernel::calendar::current(core).await?;
            f.due_before = Some(motcua_domain::calendar::deadline::add_working_time(
                &cal,
                &core.config.working_hours,
                now,
                8 * motcua_domain::HOUR,
            ));
            f.state = Some("open".into());
        }
        _ => {}
    }
    let mut c = core.store.conn().await?;
    Ok(store::inbox(&mut c, &f, q.after.unwrap_or((i64::MIN, i64::MIN)), PAGE).await?)
}

/// Inbox counts stop at this many (a page says "10000+"): counting every
/// case of a busy unit would read them all on each visit.
pub const COUNT_CAP: i64 = 10_000;

/// How many open, overdue and paused cases the person's units hold (each
/// up to [`COUNT_CAP`]).
pub async fn counts(core: &Core, who: &Staff) -> Result<(i64, i64, i64)> {
    let mut c = core.store.conn().await?;
    Ok(store::counts(&mut c, &who.units(), core.now(), COUNT_CAP).await?)
}

/// New dossiers awaiting receipt at the agencies where the person is a
/// receiver at the one-stop unit, oldest first.
pub async fn awaiting_receipt(core: &Core, who: &Staff) -> Result<Vec<Facts>> {
    let mut out = Vec::new();
    for agency in who.agencies() {
        if who.holds_one_stop(&agency, wf::RECEIVER) {
            out.extend(
                motcua_dossiers::progress::awaiting(core, &agency, (i64::MIN, i64::MIN), PAGE)
                    .await?,
            );
        }
    }
    out.sort_by_key(|d| (d.submitted_at, d.id));
    out.truncate(PAGE as usize);
    Ok(out)
}

/// At most this many lines in one log.
pub const LOG_LIMIT: i64 = 10_000;

/// One line of a unit's log (Form 07).
#[derive(Debug, Clone)]
pub struct LogLine {
    pub code: String,
    pub procedure: String,
    pub applicant: String,
    pub submitted_at: Millis,
    pub received_at: Option<Millis>,
    pub deadline_at: Option<Millis>,
    pub status: i64,
    /// closed at (the last hand-over) when closed.
    pub closed_at: Option<Millis>,
    /// "early", "on_time", "late" once finished; "" while open.
    pub timeliness: &'static str,
}

/// The log (Form 07) of unit `unit_id`: the dossiers that passed through
/// it in `[from, to)` — for its people only.
pub async fn log(
    core: &Core,
    who: &Staff,
    unit_id: i64,
    from: Millis,
    to: Millis,
) -> Result<Vec<LogLine>> {
    if !who.memberships.iter().any(|m| m.unit_id == unit_id) && !who.operator {
        return Err(ServiceError::NotFound);
    }
    let mut c = core.store.conn().await?;
    let rows = store::through_unit(&mut c, unit_id, from, to, LOG_LIMIT).await?;
    Ok(rows
        .into_iter()
        .map(|k| {
            // Done when the result was approved; a dossier that needed an
            // apology is late whatever its new date.
            let closed_at = k.done_at.or((k.state == "closed").then_some(k.updated_at));
            let timeliness = match (k.done_at, k.deadline_at) {
                (Some(_), _) if k.apologies > 0 => "late",
                (Some(end), Some(due)) if end + motcua_domain::DAY <= due => "early",
                (Some(end), Some(due)) if end <= due => "on_time",
                (Some(_), Some(_)) => "late",
                _ => "",
            };
            LogLine {
                code: k.code,
                procedure: k.procedure_name,
                applicant: k.applicant_name,
                submitted_at: k.submitted_at,
                received_at: k.received_at,
                deadline_at: k.deadline_at,
                status: k.status,
                closed_at,
                timeliness,
            }
        })
        .collect())
}

/// The log as CSV (UTF-8 with a byte-order mark, as spreadsheet programs
/// expect; fields quoted).
pub fn log_csv(lines: &[LogLine], status_name: impl Fn(i64) -> String) -> String {
    fn q(s: &str) -> String {
        // A leading = + - @ would be a formula in a spreadsheet.
        let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{s}")
        } else {
            s.to_string()
        };
        format!("\"{}\"", s.replace('"', "\"\""))
    }
    let t = |at: Option<Millis>| at.map(motcua_domain::clock::format_vn).unwrap_or_default();
    let mut out = String::from("\u{feff}");
    out.push_str("STT,Mã hồ sơ,Thủ tục,Người nộp,Nộp lúc,Tiếp nhận lúc,Hẹn trả,Trạng thái,Kết thúc lúc,Đúng hạn\r\n");
    for (i, l) in lines.iter().enumerate() {
        let timeliness = match l.timeliness {
            "early" => "Trước hạn",
            "on_time" => "Đúng hạn",
            "late" => "Quá hạn",
            _ => "",
        };
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{}\r\n",
            i + 1,
            q(&l.code),
            q(&l.procedure),
            q(&l.applicant),
            q(&t(Some(l.submitted_at))),
            q(&t(l.received_at)),
            q(&t(l.deadline_at)),
            q(&status_name(l.status)),
            q(&t(l.closed_at)),
            q(timeliness),
        ));
    }
    out
}

pub use crate::store::board::BoardLine;
pub use crate::store::report::{month_start, vn_month, Line as ReportLine};

/// The progress report (PUBLIC-SERVICES §8) of `agencies` for Vietnam
/// months `[from, to)` as of `now`, one line per agency and procedure,
/// from the summary (public figures: no access check). The checkpoints
/// of `from` and `to` are kept first when they are due, so the next
/// report starts from them.
pub async fn report(
    core: &Core,
    agencies: &[String],
    from: i64,
    to: i64,
    now: Millis,
) -> Result<Vec<ReportLine>> {
    use crate::store::report;
    let current = report::vn_month(now);
    let due: Vec<i64> = [from, to].into_iter().filter(|m| *m <= current).collect();
    for m in due {
        let mut c = core.store.conn().await?;
        let made: Option<i64> = report::made(&mut c, m).await?;
        drop(c);
        if made.is_none() {
            let mut tx = core.store.begin().await?;
            report::checkpoint(&mut tx, m, now).await?;
            tx.commit().await?;
        }
    }
    // One snapshot: a case changing meanwhile is counted once.
    let mut tx = core.store.snapshot().await?;
    let lines = report::report(&mut tx, agencies, from, to, now).await?;
    tx.rollback().await?;
    Ok(lines)
}

pub use crate::store::cases::BEHIND;

/// The cases behind a figure of the progress report (see
/// [`crate::store::cases::behind`]): the caller checked that the viewer
/// may see `agencies`' dossiers; None for an unknown measure.
#[allow(clippy::too_many_arguments)]
pub async fn behind(
    core: &Core,
    agencies: &[String],
    procedure: Option<&str>,
    measure: &str,
    period: (Millis, Millis),
    now: Millis,
    after: (Millis, i64),
    limit: i64,
) -> Result<Option<Vec<CaseRow>>> {
    let mut c = core.store.conn().await?;
    Ok(crate::store::cases::behind(
        &mut c, agencies, procedure, measure, period, now, after, limit,
    )
    .await?)
}

/// The board of `agency` for dossiers submitted in `[from, to)`: for its
/// leaders (approvers and admins) only.
pub async fn board(
    core: &Core,
    who: &Staff,
    agency: &str,
    from: Millis,
    to: Millis,
    now: Millis,
) -> Result<Vec<BoardLine>> {
    let leader = who
        .memberships
        .iter()
        .any(|m| m.agency_code == agency && (m.role == wf::APPROVER || m.role == wf::ADMIN));
    if !leader && !who.operator {
        return Err(ServiceError::NotFound);
    }
    // Its statements (summary, edge days, the current hour) read one
    // snapshot: a case changing meanwhile is counted once, in one bucket.
    let mut lines = {
        let mut tx = core.store.snapshot().await?;
        let lines = crate::store::board::board(&mut tx, agency, from, to, now).await?;
        tx.rollback().await?;
        lines
    };
    // The names from the catalog (the query reads only its index).
    for l in &mut lines {
        l.procedure_name = motcua_catalog::queries::procedure(core, &l.procedure_code)
            .await?
            .map_or_else(|| l.procedure_code.clone(), |e| e.record.name);
    }
    Ok(lines)
}

/// The board computed from the cases rather than from the summary: the
/// reference the tests and `motcua bench --handling` check `board`
/// against (no access check: not for pages).
pub async fn board_from_cases(
    core: &Core,
    agency: &str,
    from: Millis,
    to: Millis,
    now: Millis,
) -> Result<Vec<BoardLine>> {
    let mut c = core.store.conn().await?;
    Ok(crate::store::board::scan(&mut c, agency, from, to, now).await?)
}

/// The `motcua_dossiers_*` gauges: cases open, paused (waiting for the
/// applicant) and open past their legal deadline.
pub async fn gauges(core: &Core) -> Result<(i64, i64, i64)> {
    let mut c = core.store.conn().await?;
    Ok(store::totals(&mut c, core.now()).await?)
}
