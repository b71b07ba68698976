//! Payment requests and their settlement. A request is what a dossier is
//! asked to pay (unpaid → awaiting → paid → refunded, or cancelled); an
//! attempt is one transaction at the platform under our reference. Every
//! word from the platform — the confirm callback, the payer's return, the
//! poller's status query, the day list — goes through [`settle`], one
//! transaction that pays a request at most once, ever.
use crate::client::{ClientError, Platform};
use crate::protocol::{self, Confirm, Outcome, Receipt, ReceiptLine, Signed};
use crate::store::{attempts, reconciliation, requests};
use motcua_catalog::fees;
use motcua_domain::Millis;
use motcua_dossiers::progress::{self, Facts};
use motcua_kernel::service::{Origin, Result, ServiceError};
use motcua_kernel::Core;
use motcua_store::AnyConnection;
use serde::{Deserialize, Serialize};

pub use crate::store::attempts::AttemptRow;
pub use crate::store::reconciliation::MismatchRow;
pub use crate::store::requests::RequestRow;

pub const UNPAID: &str = "unpaid";
pub const AWAITING: &str = "awaiting";
pub const PAID: &str = "paid";
pub const REFUNDED: &str = "refunded";
pub const CANCELLED: &str = "cancelled";

pub use crate::rules::{PayRules, Payments};

/// A line of a request, as the applicant reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub key: String,
    /// `fee` or `charge`.
    pub kind: String,
    pub name: String,
    pub amount: i64,
    #[serde(default)]
    pub legal_basis: String,
}

impl Line {
    /// The receipt kind of the platform (`phi` for fees, `le_phi` for
    /// charges).
    pub fn receipt_kind(&self) -> &'static str {
        if self.kind == fees::FEE {
            "phi"
        } else {
            "le_phi"
        }
    }
}

/// A request with what the pages show of it.
#[derive(Debug, Clone)]
pub struct View {
    pub request: RequestRow,
    pub lines: Vec<Line>,
    pub attempts: Vec<AttemptRow>,
}

impl View {
    /// The open attempt, if one.
    pub fn open_attempt(&self) -> Option<&AttemptRow> {
        self.attempts
            .iter()
            .find(|a| a.state == "initiated" || a.state == "pending")
    }
    /// The paid attempt, if one.
    pub fn paid_attempt(&self) -> Option<&AttemptRow> {
        self.request
            .paid_attempt_id
            .and_then(|id| self.attempts.iter().find(|a| a.id == id))
    }
}

pub(crate) fn system_origin() -> Origin {
    Origin::system("system:payments")
}

fn random_id() -> String {
    motcua_domain::token::sha256_hex(&motcua_domain::token::random_token())[..20].to_string()
}

fn json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| ServiceError::Internal(e.to_string()))
}

fn lines_of(r: &RequestRow) -> Result<Vec<Line>> {
    serde_json::from_str(&r.lines)
        .map_err(|e| ServiceError::Internal(format!("payment request {}: {e}", r.id)))
}

const DAY: Millis = 86_400_000;

/// Makes the request of `origin` (`before`, `after`) from the fee
/// schedule in force at `at`, if the dossier owes anything then and has
/// no such request yet; in the caller's transaction. Returns whether one
/// was made.
async fn ensure_scheduled(
    tx: &mut AnyConnection,
    rules: &PayRules,
    facts: &Facts,
    origin: &str,
    at: Millis,
) -> Result<bool> {
    let Some((version, schedule)) = fees::in_force(tx, &facts.procedure_code, at).await? else {
        return Ok(false);
    };
    let applicant = motcua_handling::cases::applicant_type(tx, facts.account_id).await?;
    let owed: Vec<Line> = schedule
        .owed(&facts.case_code, facts.channel, applicant, origin)
        .into_iter()
        .map(|l| Line {
            key: l.key.clone(),
            kind: l.kind.clone(),
            name: l.name.clone(),
            amount: l.amount,
            legal_basis: l.legal_basis.clone(),
        })
        .collect();
    if owed.is_empty() {
        return Ok(false);
    }
    let row = new_request(facts, origin, &owed, version, "", "system", rules, at)?;
    Ok(requests::insert(tx, &row).await?.is_some())
}

#[allow(clippy::too_many_arguments)]
fn new_request(
    facts: &Facts,
    origin: &str,
    lines: &[Line],
    version: i64,
    note: &str,
    by: &str,
    rules: &PayRules,
    at: Millis,
) -> Result<RequestRow> {
    let sum = |kind: &str| {
        lines
            .iter()
            .filter(|l| l.kind == kind)
            .map(|l| l.amount)
            .sum::<i64>()
    };
    let (fee_total, charge_total) = (sum(fees::FEE), sum(fees::CHARGE));
    Ok(RequestRow {
        id: 0,
        public_id: random_id(),
        dossier_id: facts.id,
        dossier_code: facts.code.clone(),
        account_id: facts.account_id,
        agency_code: facts.agency_code.clone(),
        origin: origin.into(),
        lines: json(&lines)?,
        fee_total,
        charge_total,
        total: fee_total + charge_total,
        schedule_version: version,
        due_at: at + rules.pay_within_days * DAY,
        note: note.into(),
        state: UNPAID.into(),
        paid_attempt_id: None,
        paid_at: None,
        created_by: by.into(),
        created_at: at,
        updated_at: at,
    })
}

/// The payment requests of a dossier (its applicant's or its agency's
/// view: the caller has checked who may see the dossier). A dossier
/// awaiting payment (status 6) gets its "before" request from the fee
/// schedule the first time it is looked at — the same request whenever
/// that is: it is made from the schedule in force when the dossier
/// entered status 6.
pub async fn of_dossier(core: &Core, p: &Payments, facts: &Facts) -> Result<Vec<View>> {
    ensure(core, p, facts).await?;
    let mut c = core.store.conn().await?;
    let mut out = Vec::new();
    for r in requests::of_dossier(&mut c, facts.id).await? {
        let lines = lines_of(&r)?;
        let attempts = attempts::of_request(&mut c, r.id).await?;
        out.push(View {
            request: r,
            lines,
            attempts,
        });
    }
    Ok(out)
}

/// The request a dossier's status implies, made the first time it is
/// needed from the schedule in force when the dossier reached that
/// status: at 6 with no request yet, the fees due before processing; at
/// 9 (result ready), the fees due with the result.
async fn ensure(core: &Core, p: &Payments, facts: &Facts) -> Result<()> {
    let origin = match facts.status {
        progress::PAYMENT => fees::BEFORE,
        progress::DONE => fees::AFTER,
        _ => return Ok(()),
    };
    let mut c = core.store.conn().await?;
    let have = requests::of_dossier(&mut c, facts.id).await?;
    drop(c);
    let needed = if origin == fees::BEFORE {
        have.is_empty()
    } else {
        !have.iter().any(|r| r.origin == fees::AFTER)
    };
    if !needed {
        return Ok(());
    }
    let mut tx = core.store.begin().await?;
    if ensure_scheduled(&mut tx, &p.rules, facts, origin, facts.updated_at).await? {
        motcua_store::audit::append(
            &mut tx,
            &system_origin().audit,
            "payments.requested",
            &format!("dossier:{}", facts.code),
            &serde_json::json!({ "origin": origin }).to_string(),
            core.now(),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Refuses to hand over a result while the dossier owes anything (the
/// fees due with the result included): the returner's guard.
pub async fn return_guard(
    core: &Core,
    p: &Payments,
    who: &motcua_handling::people::Staff,
    code: &str,
) -> Result<()> {
    // Someone who may not see the dossier learns nothing of it here.
    let facts = motcua_handling::cases::get(core, who, code).await?.facts;
    ensure(core, p, &facts).await?;
    let mut c = core.store.conn().await?;
    if requests::of_dossier(&mut c, facts.id)
        .await?
        .iter()
        .any(|r| r.state == UNPAID || r.state == AWAITING)
    {
        return Err(ServiceError::Conflict("payments.error_unpaid_return"));
    }
    Ok(())
}

/// A request by its public id, for its applicant only (anyone else: not
/// found).
pub async fn request_of(core: &Core, account_id: i64, public_id: &str) -> Result<View> {
    let mut c = core.store.conn().await?;
    let r = requests::by_public_id(&mut c, public_id)
        .await?
        .filter(|r| r.account_id == account_id)
        .ok_or(ServiceError::NotFound)?;
    let lines = lines_of(&r)?;
    let attempts = attempts::of_request(&mut c, r.id).await?;
    Ok(View {
        request: r,
        lines,
        attempts,
    })
}

/// A note people read (a reason, what was done): 1 to 2,000 characters,
/// no control characters but line breaks.
fn written(note: &str) -> bool {
    !note.is_empty()
        && note.chars().count() <= 2000
        && !note
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r')
}

/// Whether a request of `origin` can be paid while its dossier is at
/// `status`: fees due with the result once it is ready, the others while
/// the dossier waits for them.
pub fn payable(origin: &str, status: i64) -> bool {
    if origin == fees::AFTER {
        status == progress::DONE
    } else {
        status == progress::PAYMENT
    }
}

/// Where "pay" leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayStart {
    /// To the platform's payment page.
    Redirect(String),
    /// Nothing to pay: it is paid.
    AlreadyPaid,
}

fn platform(p: &Payments) -> Result<&Platform> {
    p.platform
        .as_deref()
        .ok_or(ServiceError::Conflict("payments.error_no_platform"))
}

fn unreachable(e: ClientError) -> ServiceError {
    tracing::warn!(error = %e, "payment platform");
    ServiceError::Conflict("payments.error_unreachable")
}

/// The applicant starts (or resumes) paying `public_id`. The attempt is
/// committed before the platform hears of it, so a crash at any point
/// leaves a reference the platform can be asked about; a repeated INIT
/// under the same reference is the same transaction.
pub async fn pay(
    core: &Core,
    p: &Payments,
    origin: &Origin,
    account_id: i64,
    public_id: &str,
) -> Result<PayStart> {
    let platform = platform(p)?;
    let view = request_of(core, account_id, public_id).await?;
    let r = &view.request;
    match r.state.as_str() {
        PAID | REFUNDED => return Ok(PayStart::AlreadyPaid),
        CANCELLED => return Err(ServiceError::Conflict("payments.error_cancelled")),
        _ => {}
    }
    // Only while the dossier waits for it.
    {
        let mut c = core.store.conn().await?;
        let facts = progress::facts(&mut c, &r.dossier_code)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if !payable(&r.origin, facts.status) {
            return Err(ServiceError::Conflict("payments.error_not_payable"));
        }
    }
    if let Some(open) = view.open_attempt() {
        // What does the platform say of the open one?
        let now = core.now();
        if open.state == "pending" && !open.pay_url.is_empty() {
            let word = platform
                .status(&open.reference, now)
                .await
                .map_err(unreachable)?;
            match settle(core, p, &word, Source::Pay).await? {
                Settled::Paid | Settled::AlreadyPaid | Settled::Duplicate => {
                    return Ok(PayStart::AlreadyPaid)
                }
                Settled::Pending => return Ok(PayStart::Redirect(open.pay_url.clone())),
                Settled::AmountMismatch => {
                    return Err(ServiceError::Conflict("payments.error_amount_mismatch"))
                }
                Settled::Unknown => {
                    fail_attempt(core, open, protocol::codes::UNKNOWN_REFERENCE, now).await?
                }
                Settled::NotPaid => {}
            }
        } else {
            // INIT's answer never came (or was never stored): send it
            // again under the same reference.
            return init(core, platform, &view, open).await;
        }
    }
    // A new attempt, committed before INIT.
    let now = core.now();
    let n = view.attempts.len() + 1;
    let reference = format!("{}-{n}", r.public_id);
    let mut tx = core.store.begin().await?;
    let fresh = requests::by_id(&mut tx, r.id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if fresh.state != UNPAID && fresh.state != AWAITING {
        return Err(ServiceError::Conflict("payments.error_changed"));
    }
    let id = attempts::insert(
        &mut tx,
        r.id,
        &reference,
        r.total,
        now + p.rules.poll_after,
        now,
    )
    .await
    .map_err(|e| match e {
        motcua_store::StoreError::Conflict(_) => ServiceError::Conflict("payments.error_changed"),
        e => e.into(),
    })?;
    requests::set_state(&mut tx, r.id, &[UNPAID, AWAITING], AWAITING, now).await?;
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "payments.attempt",
        &format!("dossier:{}", r.dossier_code),
        &serde_json::json!({ "request": r.public_id, "reference": reference, "amount": r.total })
            .to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    let mut c = core.store.conn().await?;
    let attempt = attempts::by_id(&mut c, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    drop(c);
    init(core, platform, &view, &attempt).await
}

/// Sends INIT for `attempt` and stores the payment URL.
async fn init(
    core: &Core,
    platform: &Platform,
    view: &View,
    attempt: &AttemptRow,
) -> Result<PayStart> {
    let r = &view.request;
    let mut c = core.store.conn().await?;
    let facts = progress::facts(&mut c, &r.dossier_code)
        .await?
        .ok_or(ServiceError::NotFound)?;
    drop(c);
    let receipt = Receipt {
        procedure: format!("{} — {}", facts.procedure_code, facts.procedure_name),
        agency: facts.agency_name.clone(),
        dossier_code: facts.code.clone(),
        payer: facts.applicant_name.clone(),
        lines: view
            .lines
            .iter()
            .map(|l| ReceiptLine {
                kind: l.receipt_kind().into(),
                code: l.key.clone(),
                name: l.name.clone(),
                amount: l.amount,
            })
            .collect(),
    };
    let description = format!("Nop phi, le phi ho so {}", facts.code);
    let now = core.now();
    match platform
        .init(
            &attempt.reference,
            attempt.amount,
            &description,
            &receipt,
            now,
        )
        .await
    {
        Ok(a) => {
            let mut c = core.store.conn().await?;
            attempts::opened(
                &mut c,
                attempt.id,
                &a.platform_txn_id,
                &a.pay_url,
                core.now(),
            )
            .await?;
            Ok(PayStart::Redirect(a.pay_url))
        }
        Err(ClientError::Transport(e)) => {
            // Unknown whether the platform has it: the attempt stays
            // `initiated`; "pay" again or the poller will ask.
            Err(unreachable(ClientError::Transport(e)))
        }
        Err(e) => {
            let code = match &e {
                ClientError::Refused { code, .. } => code.clone(),
                ClientError::BadSignature => protocol::codes::BAD_SIGNATURE.into(),
                _ => protocol::codes::ERROR.into(),
            };
            tracing::warn!(error = %e, reference = %attempt.reference, "payment INIT refused");
            fail_attempt(core, attempt, &code, core.now()).await?;
            Err(ServiceError::Conflict("payments.error_refused"))
        }
    }
}

/// An attempt the platform will never pay: failed, and its request back
/// to unpaid.
async fn fail_attempt(core: &Core, a: &AttemptRow, code: &str, now: Millis) -> Result<()> {
    let mut tx = core.store.begin().await?;
    if attempts::finish(
        &mut tx,
        a.id,
        &["initiated", "pending"],
        "failed",
        code,
        now,
    )
    .await?
    {
        requests::set_state(&mut tx, a.request_id, &[AWAITING], UNPAID, now).await?;
        motcua_store::audit::append(
            &mut tx,
            &system_origin().audit,
            "payments.failed",
            &format!("payment:{}", a.reference),
            &serde_json::json!({ "code": code }).to_string(),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Where a word about a transaction came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Callback,
    Return,
    Pay,
    Poll,
    DayList,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Callback => "callback",
            Source::Return => "return",
            Source::Pay => "pay",
            Source::Poll => "poll",
            Source::DayList => "day_list",
        }
    }
}

/// What a word about a transaction came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// The request is paid now.
    Paid,
    /// It was already: nothing changed.
    AlreadyPaid,
    /// Paid at the platform after the request was paid (or cancelled):
    /// a refund is needed, recorded as a mismatch.
    Duplicate,
    NotPaid,
    Pending,
    /// Paid, but not the amount asked (or not in VND): never settled
    /// automatically; recorded as a mismatch.
    AmountMismatch,
    /// Not a transaction of ours.
    Unknown,
}

impl Settled {
    pub fn as_str(self) -> &'static str {
        match self {
            Settled::Paid => "paid",
            Settled::AlreadyPaid => "already_paid",
            Settled::Duplicate => "duplicate",
            Settled::NotPaid => "not_paid",
            Settled::Pending => "pending",
            Settled::AmountMismatch => "amount_mismatch",
            Settled::Unknown => "unknown",
        }
    }
}

/// The one settlement path: what the platform says of a transaction (its
/// signature already checked by the caller) becomes our state, in one
/// transaction. A request is paid at most once, ever: a second success
/// at the platform is recorded as a refund to make; a duplicate or late
/// word changes nothing.
pub async fn settle(core: &Core, p: &Payments, c: &Confirm, source: Source) -> Result<Settled> {
    let platform = platform(p)?;
    if c.partner_code != platform.partner_code() {
        return Ok(Settled::Unknown);
    }
    let now = core.now();
    let mut conn = core.store.conn().await?;
    let Some(attempt) = attempts::by_reference(&mut conn, &c.reference).await? else {
        return Ok(Settled::Unknown);
    };
    drop(conn);
    match protocol::outcome(&c.result_code) {
        Outcome::Pending => Ok(Settled::Pending),
        Outcome::Unknown => Ok(Settled::Unknown),
        Outcome::NotPaid => {
            let mut tx = core.store.begin().await?;
            let changed = attempts::finish(
                &mut tx,
                attempt.id,
                &["initiated", "pending", "expired"],
                "failed",
                &c.result_code,
                now,
            )
            .await?;
            if changed {
                requests::set_state(&mut tx, attempt.request_id, &[AWAITING], UNPAID, now).await?;
                motcua_store::audit::append(
                    &mut tx,
                    &system_origin().audit,
                    "payments.failed",
                    &format!("payment:{}", attempt.reference),
                    &serde_json::json!({ "code": c.result_code, "source": source.as_str() })
                        .to_string(),
                    now,
                )
                .await?;
            }
            tx.commit().await?;
            Ok(if changed {
                Settled::NotPaid
            } else if attempt.state == "paid" {
                Settled::AlreadyPaid
            } else {
                Settled::NotPaid
            })
        }
        Outcome::Paid => {
            let paid_at = protocol::parse_timestamp(&c.paid_at)
                .unwrap_or(now)
                .min(now);
            if c.amount != attempt.amount || c.currency != protocol::CURRENCY {
                let mut tx = core.store.begin().await?;
                let new = reconciliation::record(
                    &mut tx,
                    &mismatch(
                        &protocol::day(paid_at),
                        "amount",
                        &attempt,
                        &c.platform_txn_id,
                        Some(c.amount),
                        "not_settled",
                        now,
                    ),
                )
                .await?;
                if new {
                    motcua_store::audit::append(
                        &mut tx,
                        &system_origin().audit,
                        "payments.amount_mismatch",
                        &format!("payment:{}", attempt.reference),
                        &serde_json::json!({ "asked": attempt.amount, "paid": c.amount, "currency": c.currency, "source": source.as_str() })
                            .to_string(),
                        now,
                    )
                    .await?;
                }
                tx.commit().await?;
                return Ok(Settled::AmountMismatch);
            }
            let mut tx = core.store.begin().await?;
            let r = requests::by_id(&mut tx, attempt.request_id)
                .await?
                .ok_or(ServiceError::NotFound)?;
            if r.paid_attempt_id == Some(attempt.id) {
                return Ok(Settled::AlreadyPaid);
            }
            if r.state != UNPAID && r.state != AWAITING {
                // Paid by another attempt, or cancelled: money to give
                // back.
                let changed = attempts::finish(
                    &mut tx,
                    attempt.id,
                    &["initiated", "pending", "expired", "failed"],
                    "duplicate",
                    &c.result_code,
                    now,
                )
                .await?;
                if changed {
                    reconciliation::record(
                        &mut tx,
                        &mismatch(
                            &protocol::day(paid_at),
                            "refund_needed",
                            &attempt,
                            &c.platform_txn_id,
                            Some(c.amount),
                            "refund_needed",
                            now,
                        ),
                    )
                    .await?;
                    motcua_store::audit::append(
                        &mut tx,
                        &system_origin().audit,
                        "payments.duplicate",
                        &format!("payment:{}", attempt.reference),
                        &serde_json::json!({ "request_state": r.state, "source": source.as_str() })
                            .to_string(),
                        now,
                    )
                    .await?;
                }
                tx.commit().await?;
                return Ok(if changed {
                    Settled::Duplicate
                } else {
                    Settled::AlreadyPaid
                });
            }
            if !attempts::mark_paid(
                &mut tx,
                attempt.id,
                &c.platform_txn_id,
                c.amount,
                paid_at,
                &c.result_code,
                now,
            )
            .await?
            {
                return Ok(Settled::AlreadyPaid);
            }
            if !requests::mark_paid(&mut tx, r.id, attempt.id, paid_at, now).await? {
                return Err(ServiceError::Conflict("payments.error_changed"));
            }
            let facts = progress::facts(&mut tx, &r.dossier_code)
                .await?
                .ok_or(ServiceError::NotFound)?;
            if r.origin == fees::AFTER {
                let ch = progress::Change {
                    kind: "result_fees_paid",
                    from: &[facts.status],
                    to: facts.status,
                    actor: "",
                    note: "",
                    appointment_at: None,
                    category: "progress",
                    data: serde_json::json!({ "request": r.public_id, "amount": c.amount }),
                };
                progress::change(&mut tx, core, &facts, &ch, now).await?;
            } else if facts.status == progress::PAYMENT {
                // The clock starts when the money was paid (§9), not when
                // we heard of it — but not before the dossier waited.
                let origin = system_origin();
                let at = paid_at.max(facts.updated_at).min(now);
                motcua_handling::cases::paid_in(
                    &mut tx,
                    core,
                    &origin,
                    &p.handling,
                    &r.dossier_code,
                    at,
                )
                .await?;
            }
            motcua_store::audit::append(
                &mut tx,
                &system_origin().audit,
                "payments.paid",
                &format!("dossier:{}", r.dossier_code),
                &serde_json::json!({ "request": r.public_id, "reference": attempt.reference, "amount": c.amount, "txn": c.platform_txn_id, "paid_at": paid_at, "source": source.as_str() })
                    .to_string(),
                now,
            )
            .await?;
            tx.commit().await?;
            core.jobs_notify.notify_one();
            core.events_notify.notify_one();
            Ok(Settled::Paid)
        }
    }
}

pub(crate) fn mismatch(
    day: &str,
    kind: &str,
    a: &AttemptRow,
    txn: &str,
    their_amount: Option<i64>,
    action: &str,
    now: Millis,
) -> MismatchRow {
    MismatchRow {
        id: 0,
        day: day.into(),
        kind: kind.into(),
        reference: a.reference.clone(),
        platform_txn_id: txn.into(),
        our_amount: Some(a.amount),
        their_amount,
        action: action.into(),
        state: "open".into(),
        note: String::new(),
        resolved_by: String::new(),
        resolved_at: None,
        created_at: now,
    }
}

/// The platform's confirm callback (the body as received): the answer's
/// HTTP status and `code`. `{"code":"00"}` is answered only once what it
/// says is committed (or was already); a bad signature changes nothing.
pub async fn callback(core: &Core, p: &Payments, body: &[u8]) -> (u16, &'static str) {
    let now = core.now();
    let text = String::from_utf8_lossy(&body[..body.len().min(16 * 1024)]).to_string();
    let parsed = serde_json::from_slice::<Confirm>(body);
    let (reference, verdict, answer) = match (&parsed, p.platform.as_deref()) {
        // Not connected: there is no such endpoint.
        (_, None) => return (404, protocol::codes::ERROR),
        (Err(_), _) => (String::new(), "unreadable", (400, protocol::codes::ERROR)),
        (Ok(c), Some(platform)) if !c.verify_with(&platform.secrets()) => (
            c.reference.clone(),
            "bad_signature",
            (400, protocol::codes::BAD_SIGNATURE),
        ),
        (Ok(c), Some(_)) => match settle(core, p, c, Source::Callback).await {
            Ok(s) => (
                c.reference.clone(),
                s.as_str(),
                match s {
                    Settled::AmountMismatch => (200, protocol::codes::AMOUNT_MISMATCH),
                    Settled::Unknown => (200, protocol::codes::UNKNOWN_REFERENCE),
                    _ => (200, protocol::codes::SUCCESS),
                },
            ),
            Err(e) => {
                tracing::error!(error = %e, "payment callback not settled; the platform will retry");
                (c.reference.clone(), "error", (503, protocol::codes::ERROR))
            }
        },
    };
    let reference: String = reference.chars().take(80).collect();
    if let Ok(mut c) = core.store.conn().await {
        if let Err(e) = attempts::log_callback(&mut c, &reference, verdict, &text, now).await {
            tracing::error!(error = %e, "payment callback log");
        }
    }
    answer
}

/// The payer is back from the platform with `reference` in the query:
/// nothing in the query is believed; the platform is asked, and its
/// answer settled. Returns the dossier's code and what it came to
/// (Pending when the platform could not be reached: the poller will ask).
pub async fn returned(
    core: &Core,
    p: &Payments,
    account_id: i64,
    reference: &str,
) -> Result<(String, Settled)> {
    let platform = platform(p)?;
    let mut c = core.store.conn().await?;
    let attempt = attempts::by_reference(&mut c, reference)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let r = requests::by_id(&mut c, attempt.request_id)
        .await?
        .filter(|r| r.account_id == account_id)
        .ok_or(ServiceError::NotFound)?;
    drop(c);
    let settled = match platform.status(reference, core.now()).await {
        Ok(word) => settle(core, p, &word, Source::Return).await?,
        Err(e) => {
            tracing::warn!(error = %e, "payment status on return");
            Settled::Pending
        }
    };
    if matches!(settled, Settled::Paid | Settled::AlreadyPaid) {
        // Receipts now if the platform has them; else the poller fetches.
        if let Err(e) = crate::receipts::fetch(core, p, reference).await {
            tracing::warn!(error = %e, "payment receipts on return");
        }
    }
    Ok((r.dossier_code, settled))
}

/// A receipt PDF of a paid request for its applicant: `kind` `phi` or
/// `le_phi`.
pub async fn receipt(core: &Core, account_id: i64, public_id: &str, kind: &str) -> Result<Vec<u8>> {
    let view = request_of(core, account_id, public_id).await?;
    let a = view.paid_attempt().ok_or(ServiceError::NotFound)?;
    let keys: std::collections::BTreeMap<String, String> =
        serde_json::from_str(&a.receipts).unwrap_or_default();
    let key = keys.get(kind).ok_or(ServiceError::NotFound)?;
    let mut c = core.store.conn().await?;
    Ok(motcua_kernel::blobs::fetch(core, &mut c, key)
        .await?
        .ok_or(ServiceError::NotFound)?
        .data)
}

/// The attempts of `reference`'s request and the callbacks logged for
/// it (tests and the operator).
pub async fn callbacks_of(core: &Core, reference: &str) -> Result<Vec<(String, Millis)>> {
    let mut c = core.store.conn().await?;
    Ok(attempts::callbacks(&mut c, reference).await?)
}

/// Requests in `state` ('' = any), newest first (the operator's list).
pub async fn recent(core: &Core, state: &str) -> Result<Vec<RequestRow>> {
    let mut c = core.store.conn().await?;
    Ok(requests::recent(&mut c, state, 200).await?)
}

/// The mismatches of `day` (`yyyyMMdd`; '' = every open one).
pub async fn mismatches(core: &Core, day: &str) -> Result<Vec<MismatchRow>> {
    let mut c = core.store.conn().await?;
    Ok(reconciliation::list(&mut c, day, 500).await?)
}

/// The reconciliation of `day`, if it ran.
pub async fn run_of(core: &Core, day: &str) -> Result<Option<reconciliation::RunRow>> {
    let mut c = core.store.conn().await?;
    Ok(reconciliation::run_of(&mut c, day).await?)
}

/// The operator closes a mismatch, saying what was done (a refund made,
/// the bank's confirmation…), audited.
pub async fn resolve(core: &Core, origin: &Origin, id: i64, note: &str) -> Result<()> {
    let note = note.trim();
    if !written(note) {
        return Err(ServiceError::field("note", "payments.error_note"));
    }
    let now = core.now();
    let mut tx = core.store.begin().await?;
    let m = reconciliation::by_id(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !reconciliation::resolve(&mut tx, id, note, &origin.audit.actor, now).await? {
        return Err(ServiceError::Conflict("payments.error_resolved"));
    }
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "payments.mismatch_resolved",
        &format!("payment:{}", m.reference),
        &serde_json::json!({ "id": id, "kind": m.kind, "day": m.day, "note": note }).to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What the agency asks to be paid during handling.
#[derive(Debug, Clone)]
pub struct Raise<'a> {
    /// `fee` or `charge`.
    pub kind: &'a str,
    pub name: &'a str,
    /// In đồng.
    pub amount: i64,
    /// Why (the applicant reads it).
    pub note: &'a str,
}

/// A civil servant holding the current step's role asks the applicant to
/// pay during handling: the request (origin `agency`) and the dossier's
/// wait (status 6, the clock stopped) in one transaction. One open
/// request per dossier at a time.
pub async fn raise(
    core: &Core,
    p: &Payments,
    origin: &Origin,
    who: &motcua_handling::people::Staff,
    code: &str,
    r: &Raise<'_>,
) -> Result<()> {
    let name = r.name.trim();
    let note = r.note.trim();
    if r.kind != fees::FEE && r.kind != fees::CHARGE {
        return Err(ServiceError::field("kind", "catalog.fees_kind"));
    }
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(ServiceError::field("name", "catalog.fees_name"));
    }
    if !(1..=fees::MAX_AMOUNT).contains(&r.amount) {
        return Err(ServiceError::field("amount", "catalog.fees_amount"));
    }
    if !written(note) {
        return Err(ServiceError::field("note", "payments.error_reason"));
    }
    // Who may see the dossier at all (another agency: not found).
    motcua_handling::cases::get(core, who, code).await?;
    let now = core.now();
    let mut tx = core.store.begin().await?;
    let facts = progress::facts(&mut tx, code)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if requests::of_dossier(&mut tx, facts.id)
        .await?
        .iter()
        .any(|q| q.state == UNPAID || q.state == AWAITING)
    {
        return Err(ServiceError::Conflict("payments.error_open_request"));
    }
    let key = if r.kind == fees::FEE {
        "agency_fee"
    } else {
        "agency_charge"
    };
    let lines = [Line {
        key: key.into(),
        kind: r.kind.into(),
        name: name.into(),
        amount: r.amount,
        legal_basis: String::new(),
    }];
    let row = new_request(
        &facts,
        "agency",
        &lines,
        0,
        note,
        &origin.audit.actor,
        &p.rules,
        now,
    )?;
    requests::insert(&mut tx, &row)
        .await?
        .ok_or(ServiceError::Conflict("payments.error_open_request"))?;
    motcua_handling::cases::await_payment_in(&mut tx, core, origin, who, code, note, now).await?;
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "payments.requested",
        &format!("dossier:{code}"),
        &serde_json::json!({ "origin": "agency", "request": row.public_id, "kind": r.kind, "amount": r.amount })
            .to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    core.jobs_notify.notify_one();
    core.events_notify.notify_one();
    Ok(())
}

/// The payment requests of a dossier for its agency's people (the caller
/// has `get` the case: visibility checked).
pub async fn of_case(
    core: &Core,
    p: &Payments,
    h: &motcua_handling::cases::Handled,
) -> Result<Vec<View>> {
    of_dossier(core, p, &h.facts).await
}

/// The operator records that a paid request's money was given back
/// (the platform holds no money: the refund itself is made outside the
/// portal), saying why; audited, the applicant notified.
pub async fn refund(core: &Core, origin: &Origin, public_id: &str, note: &str) -> Result<()> {
    let note = note.trim();
    if !written(note) {
        return Err(ServiceError::field("note", "payments.error_note"));
    }
    let now = core.now();
    let mut tx = core.store.begin().await?;
    let r = requests::by_public_id(&mut tx, public_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !requests::set_state(&mut tx, r.id, &[PAID], REFUNDED, now).await? {
        return Err(ServiceError::Conflict("payments.error_not_paid"));
    }
    let facts = progress::facts(&mut tx, &r.dossier_code)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let ch = progress::Change {
        kind: "fees_refunded",
        from: &[facts.status],
        to: facts.status,
        actor: "",
        note,
        appointment_at: None,
        category: "progress",
        data: serde_json::json!({ "request": r.public_id, "amount": r.total }),
    };
    progress::change(&mut tx, core, &facts, &ch, now).await?;
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "payments.refunded",
        &format!("dossier:{}", r.dossier_code),
        &serde_json::json!({ "request": r.public_id, "amount": r.total, "note": note }).to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    core.jobs_notify.notify_one();
    core.events_notify.notify_one();
    Ok(())
}

/// The operator cancels a request not paid yet, saying why (a fee asked
/// in error, waived): a dossier waiting for it goes on as if it were paid
/// (the wait's working time added to its deadline, or its clock started),
/// the applicant told; audited. Paid at the platform afterwards, it is a
/// refund to make (the settlement path records it).
pub async fn cancel(
    core: &Core,
    p: &Payments,
    origin: &Origin,
    public_id: &str,
    note: &str,
) -> Result<()> {
    let note = note.trim();
    if !written(note) {
        return Err(ServiceError::field("note", "payments.error_note"));
    }
    let now = core.now();
    let mut tx = core.store.begin().await?;
    let r = requests::by_public_id(&mut tx, public_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !requests::set_state(&mut tx, r.id, &[UNPAID, AWAITING], CANCELLED, now).await? {
        return Err(ServiceError::Conflict("payments.error_not_cancellable"));
    }
    let facts = progress::facts(&mut tx, &r.dossier_code)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if r.origin == fees::AFTER {
        let ch = progress::Change {
            kind: "result_fees_waived",
            from: &[facts.status],
            to: facts.status,
            actor: "",
            note,
            appointment_at: None,
            category: "progress",
            data: serde_json::json!({ "request": r.public_id }),
        };
        progress::change(&mut tx, core, &facts, &ch, now).await?;
    } else if facts.status == progress::PAYMENT {
        motcua_handling::cases::waived_in(&mut tx, core, origin, &p.handling, &r.dossier_code, now)
            .await?;
    }
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "payments.cancelled",
        &format!("dossier:{}", r.dossier_code),
        &serde_json::json!({ "request": r.public_id, "note": note }).to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    core.jobs_notify.notify_one();
    core.events_notify.notify_one();
    Ok(())
}

/// Per agency: payment requests made in `[from, to)` (not cancelled) and
/// those paid online in `[from, to)`, for the statistics (the service
/// index's online payment); read from the requests by time, through their
/// indexes.
pub async fn totals(
    core: &motcua_kernel::Core,
    from: motcua_domain::Millis,
    to: motcua_domain::Millis,
) -> motcua_kernel::service::Result<Vec<(String, i64, i64)>> {
    let mut c = core.store.conn().await?;
    Ok(crate::store::requests::totals(&mut c, from, to).await?)
}
