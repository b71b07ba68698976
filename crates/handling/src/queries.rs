//! What civil servants read: inboxes (per person, per unit; waiting, due
//! soon, overdue; search by code, applicant, procedure) and the new
//! dossiers awaiting receipt at a one-stop unit.
use crate::people::Staff;
use crate::store::cases::{self as store, CaseRow, InboxFilter};
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
        Scope::Mine => f.assignee = Some(who.account_id),
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

/// How many open, overdue and paused cases the person's units hold.
pub async fn counts(core: &Core, who: &Staff) -> Result<(i64, i64, i64)> {
    let mut c = core.store.conn().await?;
    Ok(store::counts(&mut c, &who.units(), core.now()).await?)
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
