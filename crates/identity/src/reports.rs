//! Unauthorized-use reports (R-ID-14) as open items with a deadline.
use motcua_domain::ReportId;
use motcua_kernel::service::ServiceError;
use motcua_kernel::sla::{count_of, BoxFuture, Millis, SlaCount, SlaItem, SlaSource};
use motcua_kernel::Core;

/// Working hours to handle an unauthorized-use report (R-ID-14): the
/// account is locked at once, and the operator confirms with the holder as
/// for an emergency lock (Art. 11 Decree 85/2019: 5 working hours).
pub const REPORT_WORKING_HOURS: u32 = 5;

/// The reports' deadlines, for the operator's overview.
pub struct Sla;

impl SlaSource for Sla {
    fn kind(&self) -> &'static str {
        "report"
    }

    fn items<'a>(
        &'a self,
        core: &'a Core,
        limit: i64,
    ) -> BoxFuture<'a, Result<Vec<SlaItem>, ServiceError>> {
        Box::pin(async move {
            let mut all = report_items(core).await?;
            all.sort_by_key(|i| (i.due_at, i.received_at));
            all.truncate(usize::try_from(limit).unwrap_or(0));
            Ok(all)
        })
    }

    /// Counted from the loaded reports: their deadline is computed, not
    /// stored. Open reports are few (each is an incident a holder reported,
    /// closed by the operator within hours).
    fn count<'a>(
        &'a self,
        core: &'a Core,
        now: Millis,
    ) -> BoxFuture<'a, Result<SlaCount, ServiceError>> {
        Box::pin(async move { Ok(count_of(&report_items(core).await?, now)) })
    }
}

/// Open unauthorized-use reports, each due 5 working hours after it came.
async fn report_items(state: &Core) -> Result<Vec<SlaItem>, ServiceError> {
    let open = {
        let mut c = state.store.conn().await?;
        crate::store::activity::open_compromise_reports(&mut c).await?
    };
    let mut out = Vec::with_capacity(open.len());
    for r in open {
        let due_at =
            motcua_kernel::calendar::deadline_hours(state, r.at, REPORT_WORKING_HOURS).await?;
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
pub fn report_reference(id: ReportId) -> String {
    format!("BC-{id:06}")
}
