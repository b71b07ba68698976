//! Everything pending with a legal deadline, for the operator's SLA
//! overview and `/metrics`: each feature module lists its open items.
use motcua_domain::Millis;

pub use motcua_kernel::sla::{SlaItem, SlaSource};

/// Every open item of every workflow (the sources registered in
/// [`crate::sla_sources`], and the unauthorized-use reports), earliest
/// deadline first.
pub async fn items(state: &crate::AppState) -> Result<Vec<SlaItem>, crate::service::ServiceError> {
    let mut c = state.store.conn().await?;
    let mut all = Vec::new();
    for source in state.sla_sources.iter() {
        all.extend(source.items(&mut c).await?);
    }
    drop(c);
    all.extend(report_items(state).await?);
    all.sort_by_key(|i| (i.due_at, i.received_at));
    Ok(all)
}

/// Working hours to handle an unauthorized-use report (R-ID-14): the
/// account is locked at once, and the operator confirms with the holder as
/// for an emergency lock (Art. 11 Decree 85/2019: 5 working hours).
pub const REPORT_WORKING_HOURS: u32 = 5;

/// Open unauthorized-use reports, each due 5 working hours after it came.
async fn report_items(
    state: &crate::AppState,
) -> Result<Vec<SlaItem>, crate::service::ServiceError> {
    let open = {
        let mut c = state.store.conn().await?;
        motcua_store::activity::open_compromise_reports(&mut c).await?
    };
    let mut out = Vec::with_capacity(open.len());
    for r in open {
        let due_at = crate::calendar::deadline_hours(state, r.at, REPORT_WORKING_HOURS).await?;
        out.push(SlaItem {
            kind_key: "sla.kind_report",
            kind: "report",
            reference: report_reference(r.id),
            subject: r.username,
            link: format!("/console/reports#report-{}", r.id),
            received_at: r.at,
            due_at,
        });
    }
    Ok(out)
}

/// How a report is named to people, e.g. `BC-000012`.
pub fn report_reference(id: i64) -> String {
    format!("BC-{id:06}")
}

/// Per kind: (kind, pending, overdue at `now`), for `/metrics`.
pub fn counts(items: &[SlaItem], now: Millis) -> Vec<(&'static str, i64, i64)> {
    let mut out: Vec<(&'static str, i64, i64)> = KINDS.iter().map(|k| (*k, 0, 0)).collect();
    for i in items {
        if let Some(row) = out.iter_mut().find(|r| r.0 == i.kind) {
            row.1 += 1;
            if i.due_at < now {
                row.2 += 1;
            }
        }
    }
    out
}

/// The kinds of work with legal deadlines.
pub const KINDS: &[&str] = &["registration", "provisioning", "lifecycle", "report"];

#[cfg(test)]
mod tests {
    use super::*;

    fn item(kind: &'static str, due_at: Millis) -> SlaItem {
        SlaItem {
            kind_key: "",
            kind,
            reference: String::new(),
            subject: String::new(),
            link: String::new(),
            received_at: 0,
            due_at,
        }
    }

    #[test]
    fn counts_pending_and_overdue_per_kind() {
        let items = [
            item("registration", 10),
            item("registration", 30),
            item("lifecycle", 5),
        ];
        let c = counts(&items, 20);
        assert_eq!(
            c,
            vec![
                ("registration", 2, 1),
                ("provisioning", 0, 0),
                ("lifecycle", 1, 1),
                ("report", 0, 0)
            ]
        );
    }
}
