//! Unauthorized-use reports (R-ID-14) as open items with a deadline.
use motcua_domain::ReportId;
use motcua_kernel::service::ServiceError;
use motcua_kernel::sla::{BoxFuture, SlaItem, SlaSource};
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

    fn items<'a>(&'a self, core: &'a Core) -> BoxFuture<'a, Result<Vec<SlaItem>, ServiceError>> {
        Box::pin(report_items(core))
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
