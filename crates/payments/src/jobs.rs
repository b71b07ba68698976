//! What runs without anyone asking: the poller, which does not trust
//! callbacks (it asks the platform about every attempt still open, from
//! `poll_after` to `poll_until`, and fetches receipts), and the daily
//! reconciliation against the platform's list of the day.
use crate::protocol::{self, Confirm, Outcome};
use crate::service::{self, mismatch, system_origin, Payments, Settled, Source};
use crate::store::{attempts, reconciliation, requests};
use futures::future::BoxFuture;
use motcua_domain::Millis;
use motcua_kernel::service::{Result, ServiceError};
use motcua_kernel::Core;

/// What one run of the poller did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PollReport {
    pub asked: usize,
    pub paid: usize,
    pub failed: usize,
    pub still_pending: usize,
    pub expired: usize,
    pub unreachable: usize,
    pub receipts: usize,
}

fn backoff(p: &Payments, checks: i64) -> Millis {
    let mut d = p.rules.backoff_first.max(1_000);
    for _ in 0..checks.min(30) {
        d = (d * 2).min(p.rules.backoff_max);
    }
    d.min(p.rules.backoff_max.max(1_000))
}

/// Asks the platform about every open attempt due (100 at a time) and
/// settles what it says; gives up on attempts older than `poll_until`
/// (expired, recorded as an "unknown" mismatch, the request unpaid
/// again); fetches missing receipts.
pub async fn poll(core: &Core, p: &Payments, now: Millis) -> Result<PollReport> {
    let mut report = PollReport::default();
    let Some(platform) = p.platform.as_deref() else {
        return Ok(report);
    };
    let mut c = core.store.conn().await?;
    let due = attempts::due(&mut c, now, 100).await?;
    drop(c);
    for a in due {
        report.asked += 1;
        let word = platform.status(&a.reference, now).await;
        let outcome = match &word {
            Ok(w) => protocol::outcome(&w.result_code),
            Err(_) => Outcome::Pending,
        };
        if let Err(e) = &word {
            report.unreachable += 1;
            tracing::warn!(error = %e, reference = %a.reference, "payment status");
        }
        match (outcome, word) {
            (Outcome::Paid | Outcome::NotPaid, Ok(w)) => {
                match service::settle(core, p, &w, Source::Poll).await? {
                    Settled::Paid | Settled::AlreadyPaid | Settled::Duplicate => report.paid += 1,
                    Settled::NotPaid => report.failed += 1,
                    _ => {
                        report.still_pending += 1;
                        pending(core, p, &a, now, &mut report).await?;
                    }
                }
            }
            (Outcome::Unknown, Ok(_)) if a.state == "initiated" => {
                // The platform never had the INIT: nothing can be paid.
                let mut tx = core.store.begin().await?;
                if attempts::finish(
                    &mut tx,
                    a.id,
                    &["initiated"],
                    "failed",
                    protocol::codes::UNKNOWN_REFERENCE,
                    now,
                )
                .await?
                {
                    requests::set_state(
                        &mut tx,
                        a.request_id,
                        &[service::AWAITING],
                        service::UNPAID,
                        now,
                    )
                    .await?;
                }
                tx.commit().await?;
                report.failed += 1;
            }
            _ => {
                report.still_pending += 1;
                pending(core, p, &a, now, &mut report).await?;
            }
        }
    }
    report.receipts = receipts(core, p).await?;
    Ok(report)
}

/// Still open after a question: ask again later, or give up.
async fn pending(
    core: &Core,
    p: &Payments,
    a: &attempts::AttemptRow,
    now: Millis,
    report: &mut PollReport,
) -> Result<()> {
    let mut tx = core.store.begin().await?;
    if now - a.created_at >= p.rules.poll_until {
        if attempts::finish(
            &mut tx,
            a.id,
            &["initiated", "pending"],
            "expired",
            &a.result_code,
            now,
        )
        .await?
        {
            requests::set_state(
                &mut tx,
                a.request_id,
                &[service::AWAITING],
                service::UNPAID,
                now,
            )
            .await?;
            reconciliation::record(
                &mut tx,
                &mismatch(
                    &protocol::day(a.created_at),
                    "unknown",
                    a,
                    &a.platform_txn_id,
                    None,
                    "expired",
                    now,
                ),
            )
            .await?;
            motcua_store::audit::append(
                &mut tx,
                &system_origin().audit,
                "payments.expired",
                &format!("payment:{}", a.reference),
                "{}",
                now,
            )
            .await?;
            report.expired += 1;
            report.still_pending -= 1;
        }
    } else {
        attempts::checked(&mut tx, a.id, now + backoff(p, a.checks), now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Fetches the receipts of paid attempts that have none yet (50 at a
/// time); returns how many attempts got theirs.
pub async fn receipts(core: &Core, p: &Payments) -> Result<usize> {
    let mut c = core.store.conn().await?;
    let todo = attempts::without_receipts(&mut c, 50).await?;
    drop(c);
    let mut n = 0;
    for a in todo {
        match crate::receipts::fetch(core, p, &a.reference).await {
            Ok(true) => n += 1,
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, reference = %a.reference, "payment receipts"),
        }
    }
    Ok(n)
}

/// What a day's reconciliation found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DayReport {
    /// False when another node holds the day (or it is done).
    pub ran: bool,
    pub items: i64,
    pub matched: i64,
    pub mismatches: i64,
}

const VN: Millis = 7 * 3_600_000;
const DAY: Millis = 86_400_000;

/// The UTC bounds of the Vietnam day `yyyyMMdd`.
fn day_bounds(day: &str) -> Option<(Millis, Millis)> {
    let start = protocol::parse_timestamp(&format!("{day}000000"))?;
    Some((start, start + DAY))
}

/// Reconciles the Vietnam day `day` (`yyyyMMdd`) against the platform's
/// list: once per day across nodes (a claim; a claim older than an hour
/// is taken over; `force` redoes a finished day). In the list, not paid
/// here → settled from the list (or a refund to make); paid here, not in
/// the list → the platform is asked and the mismatch recorded; amounts
/// differ → recorded, never settled automatically.
pub async fn reconcile(
    core: &Core,
    p: &Payments,
    day: &str,
    now: Millis,
    force: bool,
) -> Result<DayReport> {
    let Some(platform) = p.platform.as_deref() else {
        return Ok(DayReport::default());
    };
    let (from, to) = day_bounds(day).ok_or(ServiceError::invalid("payments.error_day"))?;
    {
        let mut c = core.store.conn().await?;
        let claimed = reconciliation::claim(&mut c, day, now, now - 3_600_000).await?;
        if !claimed {
            let done = reconciliation::run_of(&mut c, day).await?;
            let redo = force && done.as_ref().is_some_and(|r| r.state == "done");
            if !redo {
                return Ok(DayReport::default());
            }
            reconciliation::finish(
                &mut c,
                &reconciliation::RunRow {
                    day: day.into(),
                    state: "failed".into(),
                    started_at: now,
                    finished_at: Some(now),
                    items: 0,
                    matched: 0,
                    mismatches: 0,
                    error: "redone".into(),
                },
            )
            .await?;
            if !reconciliation::claim(&mut c, day, now, now - 3_600_000).await? {
                return Ok(DayReport::default());
            }
        }
    }
    let result = reconcile_claimed(core, p, platform, day, from, to, now).await;
    let mut c = core.store.conn().await?;
    let (state, error, report) = match &result {
        Ok(r) => ("done", String::new(), r.clone()),
        Err(e) => ("failed", e.to_string(), DayReport::default()),
    };
    reconciliation::finish(
        &mut c,
        &reconciliation::RunRow {
            day: day.into(),
            state: state.into(),
            started_at: now,
            finished_at: Some(core.now()),
            items: report.items,
            matched: report.matched,
            mismatches: report.mismatches,
            error,
        },
    )
    .await?;
    result
}

async fn reconcile_claimed(
    core: &Core,
    p: &Payments,
    platform: &crate::client::Platform,
    day: &str,
    from: Millis,
    to: Millis,
    now: Millis,
) -> Result<DayReport> {
    let list = platform
        .day(day, now)
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    let mut report = DayReport {
        ran: true,
        items: list.items.len() as i64,
        ..Default::default()
    };
    let mut seen = std::collections::BTreeSet::new();
    for item in &list.items {
        seen.insert(item.reference.clone());
        let mut c = core.store.conn().await?;
        let a = attempts::by_reference(&mut c, &item.reference).await?;
        drop(c);
        let Some(a) = a else {
            // Not a reference of ours.
            record(
                core,
                day,
                "missing_here",
                &item.reference,
                &item.platform_txn_id,
                None,
                Some(item.amount),
                "unknown_reference",
                now,
            )
            .await?;
            report.mismatches += 1;
            continue;
        };
        if a.state == "paid" && a.paid_amount == Some(item.amount) {
            report.matched += 1;
            continue;
        }
        if a.state == "duplicate" {
            // Already recorded as a refund to make.
            report.matched += 1;
            continue;
        }
        // The list is signed as a whole: its items are the platform's word.
        let word = Confirm {
            partner_code: list.partner_code.clone(),
            reference: item.reference.clone(),
            platform_txn_id: item.platform_txn_id.clone(),
            result_code: item.result_code.clone(),
            amount: item.amount,
            currency: protocol::CURRENCY.into(),
            bank_code: String::new(),
            paid_at: item.paid_at.clone(),
            signature: String::new(),
        };
        let (kind, action) = if a.state == "paid" {
            ("amount", "not_settled")
        } else {
            match service::settle(core, p, &word, Source::DayList).await? {
                Settled::Paid => ("missing_here", "settled_from_list"),
                Settled::Duplicate => ("refund_needed", "refund_needed"),
                Settled::AmountMismatch => ("amount", "not_settled"),
                Settled::AlreadyPaid => {
                    report.matched += 1;
                    continue;
                }
                _ => ("missing_here", "not_settled"),
            }
        };
        if kind != "refund_needed" {
            record(
                core,
                day,
                kind,
                &a.reference,
                &item.platform_txn_id,
                Some(a.amount),
                Some(item.amount),
                action,
                now,
            )
            .await?;
        }
        report.mismatches += 1;
    }
    // Paid here that day, not in the list.
    let mut c = core.store.conn().await?;
    let ours = attempts::paid_between(&mut c, from, to).await?;
    drop(c);
    for a in ours.iter().filter(|a| !seen.contains(&a.reference)) {
        let action = match platform.status(&a.reference, now).await {
            Ok(w) => format!("asked_platform:{}", w.result_code),
            Err(_) => "platform_unreachable".to_string(),
        };
        record(
            core,
            day,
            "missing_there",
            &a.reference,
            &a.platform_txn_id,
            a.paid_amount,
            None,
            &action,
            now,
        )
        .await?;
        report.mismatches += 1;
    }
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
async fn record(
    core: &Core,
    day: &str,
    kind: &str,
    reference: &str,
    txn: &str,
    ours: Option<i64>,
    theirs: Option<i64>,
    action: &str,
    now: Millis,
) -> Result<()> {
    let mut tx = core.store.begin().await?;
    let new = reconciliation::record(
        &mut tx,
        &reconciliation::MismatchRow {
            id: 0,
            day: day.into(),
            kind: kind.into(),
            reference: reference.into(),
            platform_txn_id: txn.into(),
            our_amount: ours,
            their_amount: theirs,
            action: action.into(),
            state: "open".into(),
            note: String::new(),
            resolved_by: String::new(),
            resolved_at: None,
            created_at: now,
        },
    )
    .await?;
    if new {
        motcua_store::audit::append(
            &mut tx,
            &system_origin().audit,
            "payments.mismatch",
            &format!("payment:{reference}"),
            &serde_json::json!({ "day": day, "kind": kind, "action": action }).to_string(),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The day before `now`'s Vietnam day, once it is past the reconcile
/// hour; None before.
pub fn day_due(p: &Payments, now: Millis) -> Option<String> {
    let local = now + VN;
    let hour = (local.rem_euclid(DAY) / 3_600_000) as u8;
    if hour < p.rules.reconcile_hour {
        return None;
    }
    Some(protocol::day(now - DAY))
}

/// The poller as a periodic task of the worker.
pub struct Poll(pub Payments);

impl motcua_kernel::worker::Periodic for Poll {
    fn name(&self) -> &'static str {
        "payments.poll"
    }
    fn every(&self) -> Millis {
        self.0.rules.poll_every
    }
    fn run<'a>(
        &'a self,
        core: &'a Core,
        now: Millis,
    ) -> BoxFuture<'a, std::result::Result<(), String>> {
        Box::pin(async move {
            poll(core, &self.0, now)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }
}

/// The daily reconciliation as a periodic task (hourly; it runs once a
/// day after the reconcile hour).
pub struct Reconcile(pub Payments);

impl motcua_kernel::worker::Periodic for Reconcile {
    fn name(&self) -> &'static str {
        "payments.reconcile"
    }
    fn every(&self) -> Millis {
        3_600_000
    }
    fn run<'a>(
        &'a self,
        core: &'a Core,
        now: Millis,
    ) -> BoxFuture<'a, std::result::Result<(), String>> {
        Box::pin(async move {
            match day_due(&self.0, now) {
                Some(day) => reconcile(core, &self.0, &day, now, false)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
                None => Ok(()),
            }
        })
    }
}

/// The operator (re)runs the reconciliation of `day` (`yyyyMMdd`),
/// audited.
pub async fn reconcile_now(
    core: &Core,
    p: &Payments,
    origin: &motcua_kernel::service::Origin,
    day: &str,
) -> Result<DayReport> {
    if p.platform.is_none() {
        return Err(ServiceError::Conflict("payments.error_no_platform"));
    }
    let now = core.now();
    if protocol::parse_timestamp(&format!("{day}000000")).is_none()
        || day >= protocol::day(now).as_str()
    {
        return Err(ServiceError::field("day", "payments.error_day"));
    }
    let report = reconcile(core, p, day, now, true).await?;
    let mut tx = core.store.begin().await?;
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "payments.reconcile",
        &format!("payments:{day}"),
        &serde_json::json!({ "ran": report.ran, "items": report.items, "matched": report.matched, "mismatches": report.mismatches }).to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_backoff() {
        let p = Payments {
            platform: None,
            rules: Default::default(),
            handling: Default::default(),
        };
        // 2026-12-07 01:00 in Hà Nội (18:00 UTC the day before): too early.
        let at = protocol::parse_timestamp("20261207010000").unwrap();
        assert_eq!(day_due(&p, at), None);
        let at = protocol::parse_timestamp("20261207023000").unwrap();
        assert_eq!(day_due(&p, at).as_deref(), Some("20261206"));
        let (from, to) = day_bounds("20261206").unwrap();
        assert_eq!(protocol::timestamp(from), "20261206000000");
        assert_eq!(to - from, DAY);
        assert!(day_bounds("2026120").is_none());
        assert_eq!(backoff(&p, 0), 5 * 60_000);
        assert_eq!(backoff(&p, 1), 10 * 60_000);
        assert_eq!(backoff(&p, 20), 6 * 3_600_000);
    }
}
