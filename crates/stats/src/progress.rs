//! The progress report of procedures (PUBLIC-SERVICES §8; R-PS-8): per
//! agency (or procedure) and period — received (carried over, new in
//! person, online, by post, transferred in), finished (early, on time,
//! late), stopped, returned, and held at the end (in progress on time,
//! late, awaiting a supplement, awaiting a fee). Read from the handling
//! context's summary (`handling::queries::report`), never from the
//! dossiers; rolled up through the catalog's agency tree.
use crate::period::Period;
use motcua_catalog::queries::Agency;
use motcua_domain::Millis;
use motcua_handling::queries::ReportLine;
use motcua_kernel::service::{Result, ServiceError};
use motcua_kernel::Core;
use std::collections::BTreeMap;

/// What a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum By {
    Agency,
    Procedure,
}

impl By {
    pub fn parse(s: &str) -> Option<By> {
        match s {
            "" | "agency" => Some(By::Agency),
            "procedure" => Some(By::Procedure),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            By::Agency => "agency",
            By::Procedure => "procedure",
        }
    }
}

/// One row: an agency (with the agencies under it) or a procedure.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    pub code: String,
    pub name: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// A line's figures with the totals people read first.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Figures {
    #[serde(flatten)]
    pub line: ReportLine,
    /// Carried over, received in every channel and transferred in.
    pub received_total: i64,
    pub received_new: i64,
    pub done: i64,
    /// Share of the finished that were early or on time, in per mille
    /// (none finished: none).
    pub on_time_permille: Option<i64>,
    pub held: i64,
}

impl Figures {
    pub fn of(line: ReportLine) -> Figures {
        let received_new = line.received_in_person + line.received_online + line.received_postal;
        let done = line.done_early + line.done_on_time + line.done_late;
        Figures {
            received_total: line.carried_over + received_new + line.transferred_in,
            received_new,
            done,
            on_time_permille: (done > 0)
                .then(|| (line.done_early + line.done_on_time) * 1000 / done),
            held: line.open_on_time + line.open_late + line.supplement + line.payment,
            line,
        }
    }
}

/// The report as a page, a download or the API shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Progress {
    pub period: String,
    pub from: Millis,
    pub to: Millis,
    /// The figures held at the end are as of this time when the period
    /// has not ended.
    pub as_of: Millis,
    pub scope: Option<Agency>,
    pub by: By,
    pub rows: Vec<Row>,
    pub total: Figures,
}

/// The agencies of the tree: each agency's parent, by code.
pub(crate) fn roots_of(all: &[Agency]) -> BTreeMap<String, Option<String>> {
    all.iter()
        .map(|a| (a.code.clone(), a.parent_code.clone()))
        .collect()
}

/// The ancestor of `code` directly under `top` (`top` itself for its own
/// cases; `None` for the top of the tree: the root); None when `code` is
/// not under `top`.
pub(crate) fn under(
    parents: &BTreeMap<String, Option<String>>,
    code: &str,
    top: Option<&str>,
) -> Option<String> {
    let mut at = code.to_string();
    if top == Some(code) {
        return Some(at);
    }
    // A tree is at most a few levels deep; the bound stops a cycle.
    for _ in 0..16 {
        let parent = parents.get(&at).cloned().flatten();
        match (parent.as_deref(), top) {
            (None, None) => return Some(at),
            (None, Some(_)) => return None,
            (Some(p), Some(t)) if p == t => return Some(at),
            (Some(p), _) => at = p.to_string(),
        }
    }
    None
}

/// Every agency, each one's parent, and the scope as given (empty:
/// none); an unknown scope is not found.
pub(crate) async fn tree(
    core: &Core,
    scope: &str,
) -> Result<(
    Vec<Agency>,
    BTreeMap<String, Option<String>>,
    Option<Agency>,
)> {
    let all = motcua_catalog::queries::all_agencies(core).await?;
    let parents = roots_of(&all);
    let top = if scope.is_empty() {
        None
    } else {
        Some(
            all.iter()
                .find(|a| a.code == scope)
                .cloned()
                .ok_or(ServiceError::NotFound)?,
        )
    };
    Ok((all, parents, top))
}

/// The report of `scope` (an agency code: it and the agencies under it;
/// empty: every agency, rows per ministry and province) for `period`,
/// as of `now`. An unknown scope is not found; a period that has not
/// begun is refused.
pub async fn progress(
    core: &Core,
    scope: &str,
    period: Period,
    by: By,
    now: Millis,
) -> Result<Progress> {
    let (from, to) = period.months();
    let (start, end) = period.span();
    if start > now {
        return Err(ServiceError::field("period", "stats.error_future"));
    }
    let (all, parents, scope_agency) = tree(core, scope).await?;
    let top = scope_agency.as_ref().map(|a| a.code.as_str());
    let codes: Vec<String> = match top {
        Some(t) => all
            .iter()
            .filter(|a| under(&parents, &a.code, Some(t)).is_some())
            .map(|a| a.code.clone())
            .collect(),
        None => Vec::new(),
    };
    let lines = motcua_handling::queries::report(core, &codes, from, to, now).await?;
    let names: BTreeMap<&str, &str> = all
        .iter()
        .map(|a| (a.code.as_str(), a.name.as_str()))
        .collect();
    let mut rows: BTreeMap<String, ReportLine> = BTreeMap::new();
    let mut total = ReportLine::default();
    for l in lines {
        let key = match by {
            By::Agency => match under(&parents, &l.agency_code, top) {
                Some(k) => k,
                // A case of an agency no longer in the catalog: its own row.
                None if top.is_none() => l.agency_code.clone(),
                None => continue,
            },
            By::Procedure => l.procedure_code.clone(),
        };
        total.add(&l);
        rows.entry(key).or_default().add(&l);
    }
    let mut out = Vec::with_capacity(rows.len());
    for (code, mut line) in rows {
        let name = match by {
            By::Agency => names.get(code.as_str()).map(|n| n.to_string()),
            By::Procedure => motcua_catalog::queries::procedure(core, &code)
                .await?
                .map(|e| e.record.name),
        }
        .unwrap_or_else(|| code.clone());
        line.agency_code = if by == By::Agency {
            code.clone()
        } else {
            String::new()
        };
        line.procedure_code = if by == By::Procedure {
            code.clone()
        } else {
            String::new()
        };
        out.push(Row {
            code,
            name,
            figures: Figures::of(line),
        });
    }
    Ok(Progress {
        period: period.code(),
        from: start,
        to: end,
        as_of: now.min(end),
        scope: scope_agency,
        by,
        rows: out,
        total: Figures::of(total),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(code: &str, parent: Option<&str>) -> Agency {
        Agency {
            code: code.into(),
            parent_code: parent.map(Into::into),
            level: "province".into(),
            name: code.into(),
            address: String::new(),
            phone: String::new(),
            email: String::new(),
            hours: String::new(),
        }
    }

    #[test]
    fn agencies_roll_up_to_the_level_under_the_scope() {
        let all = [
            a("H29", None),
            a("H29.P01", Some("H29")),
            a("H29.P01.X", Some("H29.P01")),
            a("G01", None),
        ];
        let p = roots_of(&all);
        assert_eq!(under(&p, "H29.P01.X", None).as_deref(), Some("H29"));
        assert_eq!(
            under(&p, "H29.P01.X", Some("H29")).as_deref(),
            Some("H29.P01")
        );
        assert_eq!(under(&p, "H29", Some("H29")).as_deref(), Some("H29"));
        assert_eq!(under(&p, "G01", Some("H29")), None);
        assert_eq!(under(&p, "G01", None).as_deref(), Some("G01"));
        // Not in the catalog: no parent, its own root.
        assert_eq!(under(&p, "X99", None).as_deref(), Some("X99"));
    }
}
