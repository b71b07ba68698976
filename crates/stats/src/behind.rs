//! The dossiers behind a figure (issue #11 §2: "each figure links to the
//! dossiers behind it"): the cases an agency received, finished early,
//! on time or late in a period, or holds now (on time, late, awaiting a
//! supplement or a fee). Dossiers are personal data: the operator sees
//! every agency's; the agencies' people only their own agencies'.
//!
//! The list reads the cases as they are now: a case is listed under its
//! current agency (the report counts a transferred case where each step
//! happened), and the stock figures list what is held now (the report's
//! figure is at the period's end).
use crate::period::Period;
use crate::progress::{tree, under};
use motcua_catalog::queries::Agency;
use motcua_domain::Millis;
use motcua_handling::queries::CaseRow;
use motcua_kernel::service::{Result, ServiceError};
use motcua_kernel::Core;
use std::collections::BTreeSet;

/// Whose dossiers the viewer may list.
#[derive(Debug, Clone)]
pub enum Access {
    /// The operator: every agency's.
    All,
    /// An agency's people: the agencies they work in.
    Agencies(BTreeSet<String>),
}

/// Rows a page.
pub const PER_PAGE: i64 = 50;

/// The stock figures: listed as they are now.
pub fn is_stock(measure: &str) -> bool {
    matches!(
        measure,
        "open_on_time" | "open_late" | "supplement" | "payment"
    )
}

/// A page of the dossiers behind a figure.
#[derive(Debug, Clone)]
pub struct Behind {
    pub scope: Option<Agency>,
    pub rows: Vec<CaseRow>,
    /// The names of the rows' agencies (read once with the tree).
    pub agency_names: std::collections::BTreeMap<String, String>,
    /// The keyset of the next page, if there is one.
    pub next: Option<(Millis, i64)>,
}

/// The dossiers of `scope` (an agency and those under it; empty: every
/// agency the viewer may see) behind `measure` for `period` (a stock
/// figure: now), for `procedure` if given, after `after`. An unknown
/// scope is not found; a scope with none of the viewer's agencies is
/// forbidden; an unknown figure or a future period is refused.
#[allow(clippy::too_many_arguments)]
pub async fn behind(
    core: &Core,
    access: &Access,
    scope: &str,
    period: Period,
    measure: &str,
    procedure: &str,
    after: Option<(Millis, i64)>,
    now: Millis,
) -> Result<Behind> {
    if !motcua_handling::queries::BEHIND.contains(&measure) {
        return Err(ServiceError::field("measure", "stats.error_measure"));
    }
    let (start, end) = period.span();
    if start > now {
        return Err(ServiceError::field("period", "stats.error_future"));
    }
    let (all, parents, scope_agency) = tree(core, scope).await?;
    let top = scope_agency.as_ref().map(|a| a.code.as_str());
    let mut codes: Vec<String> = all
        .iter()
        .filter(|a| top.is_none() || under(&parents, &a.code, top).is_some())
        .map(|a| a.code.clone())
        .collect();
    if let Access::Agencies(mine) = access {
        codes.retain(|c| mine.contains(c));
        if codes.is_empty() {
            return Err(ServiceError::Forbidden);
        }
    }
    let after = after.unwrap_or((i64::MIN, i64::MIN));
    let procedure = Some(procedure.trim()).filter(|p| !p.is_empty());
    let mut rows = motcua_handling::queries::behind(
        core,
        &codes,
        procedure,
        measure,
        (start, end),
        now,
        after,
        PER_PAGE + 1,
    )
    .await?
    .unwrap_or_default();
    let next = if rows.len() as i64 > PER_PAGE {
        rows.truncate(PER_PAGE as usize);
        rows.last().map(|r| {
            let t = if measure.starts_with("done_") {
                r.done_at
            } else {
                r.received_at
            };
            (t.unwrap_or_default(), r.dossier_id)
        })
    } else {
        None
    };
    let agency_names = rows
        .iter()
        .filter_map(|r| {
            all.iter()
                .find(|a| a.code == r.agency_code)
                .map(|a| (a.code.clone(), a.name.clone()))
        })
        .collect();
    Ok(Behind {
        scope: scope_agency,
        rows,
        agency_names,
        next,
    })
}

/// The figure behind a column of the progress table, if its dossiers can
/// be listed (the stock ones only for a period not yet over).
pub fn column_measure(column: &str, current: bool) -> Option<&'static str> {
    let m = match column {
        "received_new" => "received",
        "received_in_person" => "received_1",
        "received_online" => "received_2",
        "received_postal" => "received_3",
        "done_early" => "done_early",
        "done_on_time" => "done_on_time",
        "done_late" => "done_late",
        "open_on_time" => "open_on_time",
        "open_late" => "open_late",
        "supplement" => "supplement",
        "payment" => "payment",
        _ => return None,
    };
    (current || !is_stock(m)).then_some(m)
}
