//! The life of a dossier at the agency (issue #9 §3, statuses of
//! PUBLIC-SERVICES §2): receipt (accept, refuse, ask for a supplement),
//! the steps of its workflow (forward, send back, transfer to another
//! department, approve, return, stop), the apology with a new date, the
//! payment hook, claim and assignment. Every action is checked against
//! the workflow and the actor's roles, changes the dossier's status
//! through the dossiers context's API (timeline, notification, mail,
//! event), moves the clock, writes the control slip and the audit trail —
//! in one transaction; a case changed meanwhile by someone else is not
//! overwritten.
use crate::clock::Clock;
use crate::people::Staff;
use crate::store::cases::{self as store, CaseRow};
use crate::store::people as people_store;
use crate::store::slips;
use crate::workflow::{self as wf, Definition, Step};
use crate::Rules;
use motcua_domain::Millis;
use motcua_dossiers::progress::{self, Change, Facts};
use motcua_kernel::service::{Origin, Result, ServiceError};
use motcua_kernel::Core;
use motcua_store::AnyConnection;

pub use crate::store::cases::CaseRow as Case;

/// What a civil servant asks for.
#[derive(Debug, Clone, Default)]
pub struct Act {
    /// A workflow action kind ([`wf::KINDS`]), or `apology`.
    pub kind: String,
    /// The step the action leads to, where the step offers several.
    pub to: String,
    /// The department for the next step, or to transfer to.
    pub unit: Option<i64>,
    /// The reason, what is missing, or a note.
    pub note: String,
    /// An apology's new date.
    pub date: Option<time::Date>,
    /// The case's `updated_at` the page showed (None: a new dossier).
    pub seen: Option<Millis>,
}

pub const APOLOGY: &str = "apology";

/// The control slip's name for the time the applicant holds the dossier
/// (a supplement, a payment): not counted against the agency.
pub const WAITING: &str = "applicant";

/// A dossier as the agency sees it: its facts, its case (None while new)
/// and its workflow. Made only by this crate (`non_exhaustive`): [`get`]
/// checks the reader, and the readers below take a `Handled` instead of
/// checking again.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Handled {
    pub facts: Facts,
    pub case: Option<CaseRow>,
    pub workflow: Definition,
    pub workflow_id: i64,
}

impl Handled {
    /// The step the dossier is at (the first while new).
    pub fn step(&self) -> Option<&Step> {
        match &self.case {
            Some(k) => self.workflow.step(&k.step),
            None => self.workflow.first(),
        }
    }
}

/// The clock of the portal's calendar, office hours and `rules`.
fn clock_of<'a>(
    core: &'a Core,
    rules: &Rules,
    cal: &'a motcua_domain::calendar::Calendar,
) -> Clock<'a> {
    Clock {
        cal,
        hours: &core.config.working_hours,
        cutoff: rules.cutoff,
    }
}
/// Reads a dossier for `who`: NotFound unless they hold a role in its
/// agency (or are the operator) — the same answer as for a code that
/// does not exist.
pub async fn get(core: &Core, who: &Staff, code: &str) -> Result<Handled> {
    let mut c = core.store.conn().await?;
    let h = load(&mut c, code, core.now(), false).await?;
    let agency = h
        .case
        .as_ref()
        .map_or(h.facts.agency_code.as_str(), |k| k.agency_code.as_str());
    if !who.operator && !who.in_agency(agency) {
        return Err(ServiceError::NotFound);
    }
    Ok(h)
}

/// The dossier, its case and workflow. `write`: inside a write
/// transaction, where the standard workflow may be stored as the default
/// on first use; a read shows it without storing it.
async fn load(c: &mut AnyConnection, code: &str, now: Millis, write: bool) -> Result<Handled> {
    let facts = progress::facts(c, code)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let case = store::by_code(c, code).await?;
    let (workflow_id, workflow) = match &case {
        Some(k) => {
            let (row, d) = crate::workflows::by_id(c, k.workflow_id).await?;
            (row.id, d)
        }
        None => crate::workflows::for_procedure(c, &facts.procedure_code, now, write).await?,
    };
    Ok(Handled {
        facts,
        case,
        workflow,
        workflow_id,
    })
}

/// The actions `who` may take on `h` now, as (kind, to) pairs.
pub fn actions(who: &Staff, h: &Handled) -> Vec<(String, String)> {
    let Some(step) = h.step() else {
        return Vec::new();
    };
    if !may_act(who, h, step) {
        return Vec::new();
    }
    // While the applicant holds the dossier (a supplement, a payment)
    // the agency may only stop it.
    let paused = h.case.as_ref().is_some_and(|k| k.state == "paused");
    let status = h.facts.status;
    let mut out: Vec<(String, String)> = step
        .actions
        .iter()
        .filter(|a| !paused || a.kind == wf::STOP)
        .filter(|a| wf::status_allows(&a.kind, status))
        .map(|a| (a.kind.clone(), a.to.clone()))
        .collect();
    if matches!(status, 2 | 4)
        && h.case
            .as_ref()
            .is_some_and(|k| k.state == "open" && k.deadline_at.is_some() && k.apologies == 0)
    {
        out.push((APOLOGY.into(), String::new()));
    }
    out
}

/// Whether `who` holds the step's role where the dossier is.
fn may_act(who: &Staff, h: &Handled, step: &Step) -> bool {
    match &h.case {
        None => who.holds_one_stop(&h.facts.agency_code, wf::RECEIVER),
        Some(k) if k.state == "closed" => false,
        Some(k) => who.holds(k.unit_id, &step.role),
    }
}

pub(crate) fn text_ok(s: &str, max: usize) -> bool {
    s.chars().count() <= max
        && !s
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
}

fn actor_label(unit: &people_store::UnitRow) -> String {
    format!("{} — {}", unit.name, unit.agency_code)
}

/// Does `act` on the dossier `code` as `who`.
pub async fn act(
    core: &Core,
    origin: &Origin,
    rules: &Rules,
    who: &Staff,
    code: &str,
    act: &Act,
) -> Result<()> {
    let now = core.now();
    let note = act.note.trim();
    if !text_ok(note, 4000) {
        return Err(ServiceError::field("note", "handling.error_note"));
    }
    let cal = motcua_kernel::calendar::current(core).await?;
    let clock = clock_of(core, rules, &cal);
    // A transfer's target agency (read before the transaction: the
    // catalog is read on its own connection).
    let other_agency = match (act.kind.as_str(), act.unit) {
        (wf::TRANSFER, Some(id)) => match crate::people::unit(core, id).await? {
            Some(u) => motcua_catalog::queries::agency(core, &u.agency_code)
                .await?
                .map(|a| (a.code, a.name)),
            None => None,
        },
        _ => None,
    };
    let mut tx = core.store.begin().await?;
    let h = load(&mut tx, code, now, true).await?;
    let agency = h
        .case
        .as_ref()
        .map_or(h.facts.agency_code.clone(), |k| k.agency_code.clone());
    if !who.in_agency(&agency) {
        return Err(ServiceError::NotFound);
    }
    let step = h.step().cloned().ok_or(ServiceError::NotFound)?;
    if h.case.as_ref().is_some_and(|k| k.state == "closed") {
        return Err(ServiceError::Conflict("handling.error_closed"));
    }
    if !may_act(who, &h, &step) {
        return Err(ServiceError::Forbidden);
    }
    // The page must have shown the case as it is now.
    if h.case.as_ref().map(|k| k.updated_at) != act.seen {
        return Err(ServiceError::Conflict("handling.error_changed"));
    }
    let kind = act.kind.as_str();
    let allowed = kind == APOLOGY && h.case.is_some()
        || step
            .actions
            .iter()
            .any(|a| a.kind == kind && (!wf::moves(kind) || a.to == act.to));
    if !allowed {
        return Err(ServiceError::Conflict("handling.error_not_in_workflow"));
    }
    if h.case.as_ref().is_some_and(|k| k.state == "paused") && kind != wf::STOP {
        return Err(ServiceError::Conflict("handling.error_paused"));
    }
    let status_ok = if kind == APOLOGY {
        matches!(h.facts.status, 2 | 4)
    } else {
        wf::status_allows(kind, h.facts.status)
    };
    if !status_ok {
        return Err(ServiceError::Conflict("handling.error_status"));
    }
    let one_stop = people_store::one_stop(&mut tx, &agency)
        .await?
        .ok_or(ServiceError::Conflict("handling.error_no_one_stop"))?;
    let mut case = match h.case.clone() {
        Some(k) => k,
        None => {
            // The dossier enters the agency's books at its first action.
            let k = CaseRow {
                dossier_id: h.facts.id,
                code: h.facts.code.clone(),
                agency_code: agency.clone(),
                procedure_code: h.facts.procedure_code.clone(),
                procedure_name: h.facts.procedure_name.clone(),
                channel: h.facts.channel,
                applicant_name: h.facts.applicant_name.clone(),
                search_text: motcua_domain::text::fold(&format!(
                    "{} {} {}",
                    h.facts.code, h.facts.applicant_name, h.facts.procedure_name
                )),
                workflow_id: h.workflow_id,
                step: step.key.clone(),
                unit_id: one_stop.id,
                assignee_id: Some(who.account_id),
                status: h.facts.status,
                state: "open".into(),
                submitted_at: h.facts.submitted_at,
                received_at: None,
                clock_start: None,
                deadline_at: None,
                step_started_at: h.facts.submitted_at,
                step_due_at: receipt_due(&clock, rules, h.facts.submitted_at),
                paused_at: None,
                paused_ms: 0,
                supplements: 0,
                apologies: 0,
                done_at: None,
                reason: String::new(),
                updated_at: now,
            };
            store::insert(&mut tx, &k).await?;
            slips::open(
                &mut tx,
                k.dossier_id,
                &k.step,
                k.unit_id,
                k.step_started_at,
                k.step_due_at,
            )
            .await?;
            k
        }
    };
    let seen = case.updated_at;
    let unit = people_store::unit_by_id(&mut tx, case.unit_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let actor = actor_label(&unit);
    let status_before = h.facts.status;
    let mut change: Option<Change> = None;
    let mut slip_note = note.to_string();
    let needs_reason = matches!(kind, wf::REFUSE | wf::STOP | wf::SUPPLEMENT);
    if needs_reason && note.is_empty() {
        return Err(ServiceError::field(
            "note",
            "handling.error_reason_required",
        ));
    }
    // The name of the agency a transfer sends the dossier to.
    let mut transferred_to: Option<String> = None;
    // Where the dossier goes next (None: it stays at this step).
    let mut next: Option<(Step, i64)> = None;
    // Accepted where fees come first: parked, not moved on yet.
    let mut change_only = false;
    // The step and unit a moving action leads to.
    let moving = if wf::moves(kind) {
        let target = h
            .workflow
            .step(&act.to)
            .cloned()
            .ok_or(ServiceError::NotFound)?;
        let unit_id = next_unit(
            &mut tx,
            case.dossier_id,
            &agency,
            &target,
            &unit,
            one_stop.id,
            act.unit,
        )
        .await?;
        Some((target, unit_id))
    } else {
        None
    };
    match kind {
        wf::ACCEPT => {
            let (target, unit_id) = moving.clone().ok_or(ServiceError::NotFound)?;
            // A dossier sent by post counts from the time on the postal
            // receipt (Decision 45/2016): it cannot be accepted before
            // the post office has handed it over.
            let received = if h.facts.channel == progress::POSTAL {
                progress::handed_over_at(&mut tx, h.facts.id)
                    .await?
                    .ok_or(ServiceError::Conflict("handling.error_not_handed_over"))?
            } else {
                now
            };
            case.received_at = Some(received);
            if h.workflow.fees_first || owes_before(&mut tx, &h.facts, now).await? {
                // Parked at the next step; its line of the control slip
                // opens when the fees are paid (the wait is the applicant's).
                case.step = target.key.clone();
                case.unit_id = unit_id;
                case.assignee_id = None;
                case.step_started_at = now;
                case.step_due_at = now;
                case.state = "paused".into();
                case.paused_at = Some(now);
                case.status = progress::PAYMENT;
                change = Some(Change {
                    kind: "payment_requested",
                    from: &[progress::NEW],
                    to: progress::PAYMENT,
                    actor: "",
                    note,
                    appointment_at: Some(None),
                    category: "action",
                    data: serde_json::json!({ "received_at": now }),
                });
                change_only = true;
            } else {
                start_clock(&clock, &mut case, &h.facts, received);
                case.status = progress::ACCEPTED;
                change = Some(Change {
                    kind: "accepted",
                    from: &[progress::NEW],
                    to: progress::ACCEPTED,
                    actor: "",
                    note,
                    appointment_at: Some(case.deadline_at),
                    category: "progress",
                    data: serde_json::json!({ "received_at": now }),
                });
            }
            if !change_only {
                next = Some((target, unit_id));
            }
        }
        wf::REFUSE => {
            case.state = "closed".into();
            case.status = progress::NOT_ACCEPTED;
            case.reason = note.to_string();
            change = Some(Change {
                kind: "refused",
                from: &[progress::NEW],
                to: progress::NOT_ACCEPTED,
                actor: "",
                note,
                appointment_at: Some(None),
                category: "progress",
                data: serde_json::json!({}),
            });
        }
        wf::SUPPLEMENT => {
            if case.supplements > 0 {
                return Err(ServiceError::Conflict("handling.error_supplement_once"));
            }
            let received = case.received_at.unwrap_or(case.submitted_at);
            if now > clock.supplement_until(received) {
                return Err(ServiceError::Conflict("handling.error_supplement_late"));
            }
            case.supplements += 1;
            case.state = "paused".into();
            case.paused_at = Some(now);
            case.status = progress::SUPPLEMENT;
            case.reason = note.to_string();
            change = Some(Change {
                kind: "supplement_requested",
                from: &[progress::NEW, progress::ACCEPTED, progress::PROCESSING],
                to: progress::SUPPLEMENT,
                actor: "",
                note,
                appointment_at: None,
                category: "action",
                data: serde_json::json!({ "missing": note, "resume_to": status_before }),
            });
        }
        wf::FORWARD | wf::SEND_BACK | wf::APPROVE => {
            let (target, unit_id) = moving.clone().ok_or(ServiceError::NotFound)?;
            let (to, kind_name) = if kind == wf::APPROVE {
                // The results are signed with the agency's seal and given
                // to the applicant in this transaction.
                let seal = rules
                    .seals
                    .as_ref()
                    .and_then(|s| s.for_agency(&agency))
                    .ok_or(ServiceError::Conflict("handling.error_no_seal"))?;
                if crate::signing::sign_all(&mut tx, core, seal, &h.facts, now).await? == 0 {
                    return Err(ServiceError::Conflict("handling.error_no_result"));
                }
                case.done_at.get_or_insert(now);
                (progress::DONE, "result_ready")
            } else {
                // Sent on (or back) for more work: not done any more.
                case.done_at = None;
                (progress::PROCESSING, "processing")
            };
            if case.status != to {
                change = Some(Change {
                    kind: kind_name,
                    from: &[progress::ACCEPTED, progress::PROCESSING, progress::DONE],
                    to,
                    actor: "",
                    note: "",
                    appointment_at: None,
                    category: "progress",
                    data: serde_json::json!({}),
                });
            }
            case.status = to;
            next = Some((target, unit_id));
        }
        wf::TRANSFER => {
            let to_unit = act
                .unit
                .ok_or(ServiceError::field("unit", "handling.error_unit"))?;
            let target_unit = people_store::unit_by_id(&mut tx, to_unit)
                .await?
                .filter(|u| u.kind == wf::DEPARTMENT && u.id != unit.id)
                .ok_or(ServiceError::field("unit", "handling.error_unit"))?;
            // Same step, another department — of this agency or of
            // another one, which must have a one-stop unit to return the
            // result; the clock is kept.
            slip_note = format!("{} → {}", unit.name, target_unit.name);
            if target_unit.agency_code != agency {
                let (code, name) = other_agency
                    .clone()
                    .filter(|(c, _)| *c == target_unit.agency_code)
                    .ok_or(ServiceError::field("unit", "handling.error_unit"))?;
                if people_store::one_stop(&mut tx, &code).await?.is_none() {
                    return Err(ServiceError::field(
                        "unit",
                        "handling.error_unit_no_one_stop",
                    ));
                }
                slip_note = format!(
                    "{} ({}) → {} ({name})",
                    unit.name, h.facts.agency_name, target_unit.name
                );
                case.agency_code = code;
                transferred_to = Some(name);
            }
            if !note.is_empty() {
                slip_note = format!("{slip_note}: {note}");
            }
            case.unit_id = target_unit.id;
            case.assignee_id = None;
        }
        wf::RETURN => {
            case.state = "closed".into();
            case.status = progress::RETURNED;
            change = Some(Change {
                kind: "result_returned",
                from: &[progress::DONE],
                to: progress::RETURNED,
                actor: "",
                note,
                appointment_at: None,
                category: "progress",
                data: serde_json::json!({}),
            });
        }
        wf::STOP => {
            case.state = "closed".into();
            case.status = progress::STOPPED;
            case.reason = note.to_string();
            change = Some(Change {
                kind: "stopped",
                from: &[
                    progress::ACCEPTED,
                    progress::PROCESSING,
                    progress::SUPPLEMENT,
                    progress::PAYMENT,
                ],
                to: progress::STOPPED,
                actor: "",
                note,
                appointment_at: Some(None),
                category: "progress",
                data: serde_json::json!({}),
            });
        }
        APOLOGY => {
            let deadline = case
                .deadline_at
                .ok_or(ServiceError::Conflict("handling.error_no_deadline"))?;
            if case.apologies > 0 {
                return Err(ServiceError::Conflict("handling.error_apology_once"));
            }
            // Decree 61/2018 Art. 19: at the latest one day before the
            // deadline.
            if now + motcua_domain::DAY > deadline {
                return Err(ServiceError::Conflict("handling.error_apology_late"));
            }
            let date = act
                .date
                .ok_or(ServiceError::field("date", "handling.error_date"))?;
            let new = clock
                .end_of(date)
                .filter(|n| *n > deadline)
                .ok_or(ServiceError::field("date", "handling.error_date"))?;
            if note.is_empty() {
                return Err(ServiceError::field(
                    "note",
                    "handling.error_reason_required",
                ));
            }
            case.apologies += 1;
            case.deadline_at = Some(new);
            change = Some(Change {
                kind: "apology",
                from: &[progress::ACCEPTED, progress::PROCESSING],
                to: case.status,
                actor: "",
                note,
                appointment_at: Some(Some(new)),
                category: "progress",
                data: serde_json::json!({ "previous": deadline, "new": new }),
            });
            slip_note = format!(
                "{note} ({} → {})",
                motcua_domain::clock::format_vn(deadline),
                motcua_domain::clock::format_vn(new)
            );
        }
        _ => return Err(ServiceError::Conflict("handling.error_not_in_workflow")),
    }
    if let Some(mut ch) = change {
        ch.actor = &actor;
        if !progress::change(&mut tx, core, &h.facts, &ch, now).await? {
            return Err(ServiceError::Conflict("handling.error_changed"));
        }
    } else if let Some(name) = &transferred_to {
        let told = if note.is_empty() {
            name.clone()
        } else {
            format!("{name}: {note}")
        };
        progress::transfer(
            &mut tx,
            core,
            &h.facts,
            (&case.agency_code, name),
            &actor,
            &told,
            now,
        )
        .await?;
    } else {
        // Moved inside the agency (another step or department).
        let (to_step, to_unit) = next
            .as_ref()
            .map_or((case.step.clone(), case.unit_id), |(s, u)| {
                (s.key.clone(), *u)
            });
        progress::moved(
            &mut tx,
            core,
            &h.facts,
            serde_json::json!({ "action": kind, "step": to_step, "unit": to_unit }),
            now,
        )
        .await?;
    }
    // The notice the law names for this action, as issued.
    let form = match kind {
        wf::SUPPLEMENT => Some(crate::notices::SUPPLEMENT),
        wf::REFUSE => Some(crate::notices::REFUSAL),
        APOLOGY => Some(crate::notices::APOLOGY),
        wf::STOP => Some(crate::notices::STOP),
        _ => None,
    };
    if let Some(form) = form {
        let mut facts = serde_json::json!({
            "code": h.facts.code,
            "applicant": h.facts.applicant_name,
            "procedure_name": h.facts.procedure_name,
            "procedure_code": h.facts.procedure_code,
            "agency_name": h.facts.agency_name,
            "unit_name": unit.name,
            "note": note,
            "submitted_at": h.facts.submitted_at,
        });
        if form == crate::notices::APOLOGY {
            facts["previous"] = serde_json::json!(h.case.as_ref().and_then(|k| k.deadline_at));
            facts["new"] = serde_json::json!(case.deadline_at);
        }
        crate::notices::issue(
            &mut tx,
            case.dossier_id,
            form,
            unit.id,
            who.account_id,
            facts,
            now,
        )
        .await?;
    }
    // The control slip: the line of this step ends with this action; the
    // next line is the next step, the same step again (an apology), or
    // the wait for the applicant (a supplement, a payment).
    slips::close(
        &mut tx,
        case.dossier_id,
        Some(who.account_id),
        kind,
        &slip_note,
        now,
    )
    .await?;
    if let Some((target, unit_id)) = next {
        enter(&clock, &mut case, &target, unit_id, now);
        slips::open(
            &mut tx,
            case.dossier_id,
            &case.step,
            case.unit_id,
            case.step_started_at,
            case.step_due_at,
        )
        .await?;
    } else if case.state == "paused" {
        slips::open(&mut tx, case.dossier_id, WAITING, case.unit_id, now, now).await?;
    } else if case.state == "open" {
        slips::open(
            &mut tx,
            case.dossier_id,
            &case.step,
            case.unit_id,
            now,
            case.step_due_at,
        )
        .await?;
    }
    case.updated_at = now.max(seen + 1);
    if !store::update(&mut tx, &case, seen).await? {
        return Err(ServiceError::Conflict("handling.error_changed"));
    }
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        &format!("handling.{kind}"),
        &format!("dossier:{code}"),
        &serde_json::json!({ "step": step.key, "to": case.step, "unit": case.unit_id, "status": case.status, "note": note })
            .to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    core.jobs_notify.notify_one();
    core.events_notify.notify_one();
    Ok(())
}

/// When a new dossier should be received: by the end of the working day
/// after its submission.
fn receipt_due(clock: &Clock, rules: &Rules, submitted_at: Millis) -> Millis {
    clock.deadline(submitted_at, rules.receipt_days, "working_day")
}

/// Starts the legal clock at `at` (acceptance, completion of a
/// supplement, payment): the deadline counted afresh from `at`.
fn start_clock(clock: &Clock, case: &mut CaseRow, facts: &Facts, at: Millis) {
    case.clock_start = Some(at);
    case.deadline_at = Some(clock.deadline(at, facts.time_amount, &facts.time_unit));
}

/// Puts the case at `step` in `unit_id` from `now`, unassigned, with the
/// step's due time from its share.
fn enter(clock: &Clock, case: &mut CaseRow, step: &Step, unit_id: i64, now: Millis) {
    case.step = step.key.clone();
    case.unit_id = unit_id;
    case.assignee_id = None;
    case.step_started_at = now;
    case.step_due_at = match (case.clock_start, case.deadline_at) {
        (Some(start), Some(deadline)) => clock.step_due(start, deadline, now, step.share),
        // Not started (awaiting payment): due with the deadline, later.
        _ => now,
    };
}

/// The unit of the next step: the one-stop unit for one-stop steps; for a
/// department step the department the dossier is in, or the one chosen
/// (which must be a department of the agency).
async fn next_unit(
    c: &mut AnyConnection,
    dossier_id: i64,
    agency: &str,
    target: &Step,
    current: &people_store::UnitRow,
    one_stop: i64,
    chosen: Option<i64>,
) -> Result<i64> {
    if target.unit == wf::ONE_STOP {
        return Ok(one_stop);
    }
    if current.kind == wf::DEPARTMENT && chosen.is_none_or(|c| c == current.id) {
        return Ok(current.id);
    }
    let departments: Vec<people_store::UnitRow> = people_store::units_of(c, agency)
        .await?
        .into_iter()
        .filter(|u| u.kind == wf::DEPARTMENT)
        .collect();
    // Back from the one-stop unit: the department of this agency that had
    // it last (after a transfer, not the first agency's).
    if chosen.is_none() {
        if let Some(last) = slips::last_department(c, dossier_id).await? {
            if departments.iter().any(|u| u.id == last) {
                return Ok(last);
            }
        }
    }
    match chosen {
        Some(id) => departments
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.id)
            .ok_or(ServiceError::field("unit", "handling.error_unit")),
        None => departments
            .first()
            .map(|u| u.id)
            .ok_or(ServiceError::Conflict("handling.error_no_department")),
    }
}

/// What the applicant was holding the dossier for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    Supplement,
    Payment,
    /// The payment asked is waived (the request cancelled): the wait ends
    /// as if paid, without the money.
    Waived,
}

/// The applicant's wait ends at `at` (the supplement completed, the fees
/// paid): the paused working time is counted, the clock starts (again)
/// from `at` where the dossier was accepted, the wait's line of the
/// control slip closes and the step's opens, the status changes — in the
/// caller's transaction, guarded by the case's version.
async fn resume(
    tx: &mut AnyConnection,
    core: &Core,
    clock: &Clock<'_>,
    rules: &Rules,
    code: &str,
    wait: Wait,
    at: Millis,
) -> Result<CaseRow> {
    let (awaited, not_awaiting): (&'static [i64], &'static str) = match wait {
        Wait::Supplement => (
            &[progress::SUPPLEMENT],
            "handling.error_not_awaiting_supplement",
        ),
        Wait::Payment | Wait::Waived => {
            (&[progress::PAYMENT], "handling.error_not_awaiting_payment")
        }
    };
    let mut case = store::by_code(tx, code)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if case.state != "paused" || !awaited.contains(&case.status) {
        return Err(ServiceError::Conflict(not_awaiting));
    }
    let since = case.paused_at.unwrap_or(at);
    if wait == Wait::Payment && (at < since || at > core.now()) {
        return Err(ServiceError::field("at", "handling.error_paid_at"));
    }
    let facts = progress::facts(tx, code)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let (_, workflow) = crate::workflows::by_id(tx, case.workflow_id).await?;
    let seen = case.updated_at;
    let paused = clock.working_time(since, at);
    case.paused_ms += paused;
    case.paused_at = None;
    case.state = "open".into();
    let accepted = case.received_at.is_some();
    let to = match wait {
        // Asked during handling: the clock goes on where it stopped, the
        // deadline later by the working time the applicant took.
        Wait::Payment | Wait::Waived if case.clock_start.is_some() => {
            case.deadline_at = case.deadline_at.map(|d| clock.add_working_time(d, paused));
            progress::PROCESSING
        }
        Wait::Payment | Wait::Waived => {
            start_clock(clock, &mut case, &facts, at);
            progress::ACCEPTED
        }
        // Back to processing with the clock counted afresh from the
        // complete dossier: a new processing period, where an earlier
        // apology's date no longer applies and a new one may be given.
        Wait::Supplement if accepted => {
            start_clock(clock, &mut case, &facts, at);
            case.apologies = 0;
            progress::PROCESSING
        }
        // Not accepted yet: back to receipt.
        Wait::Supplement => progress::NEW,
    };
    case.status = to;
    let step = workflow
        .step(&case.step)
        .cloned()
        .ok_or(ServiceError::NotFound)?;
    let (kind, actor, data) = match wait {
        Wait::Supplement => (
            "supplemented",
            "applicant",
            serde_json::json!({ "paused_ms": paused }),
        ),
        Wait::Waived => ("fees_waived", "", serde_json::json!({ "waived_at": at })),
        Wait::Payment if to == progress::PROCESSING => {
            ("fees_paid", "", serde_json::json!({ "paid_at": at }))
        }
        Wait::Payment => ("paid", "", serde_json::json!({ "paid_at": at })),
    };
    slips::close(tx, case.dossier_id, None, kind, "", at).await?;
    let unit_id = case.unit_id;
    enter(clock, &mut case, &step, unit_id, at);
    if !accepted {
        case.step_due_at = receipt_due(clock, rules, at);
    }
    slips::open(
        tx,
        case.dossier_id,
        &case.step,
        case.unit_id,
        case.step_started_at,
        case.step_due_at,
    )
    .await?;
    case.updated_at = at.max(seen + 1);
    let ch = Change {
        kind,
        from: awaited,
        to,
        actor,
        note: "",
        appointment_at: Some(case.deadline_at),
        category: "progress",
        data,
    };
    if !progress::change(tx, core, &facts, &ch, at).await?
        || !store::update(tx, &case, seen).await?
    {
        return Err(ServiceError::Conflict("handling.error_changed"));
    }
    Ok(case)
}

/// The applicant's completed supplement draft (checked by the dossiers
/// context): the dossier takes its answers and files, its status goes
/// back (1 before acceptance, 4 after), the clock starts again from now
/// and the appointment date is recomputed — one transaction. Returns the
/// new appointment date (or the receipt due time before acceptance).
pub async fn complete_supplement(
    core: &Core,
    origin: &Origin,
    rules: &Rules,
    ready: &motcua_dossiers::submission::SupplementReady,
) -> Result<Millis> {
    let cal = motcua_kernel::calendar::current(core).await?;
    let clock = clock_of(core, rules, &cal);
    let now = core.now();
    let mut tx = core.store.begin().await?;
    motcua_dossiers::submission::apply_supplement(&mut tx, ready, now).await?;
    let case = resume(
        &mut tx,
        core,
        &clock,
        rules,
        &ready.code,
        Wait::Supplement,
        now,
    )
    .await?;
    let due = case.deadline_at.unwrap_or(case.step_due_at);
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "handling.supplemented",
        &format!("dossier:{}", ready.code),
        &serde_json::json!({ "draft": ready.public_id, "digest": ready.digest, "due": due, "signed": ready.signature.is_some() })
            .to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    core.jobs_notify.notify_one();
    core.events_notify.notify_one();
    Ok(due)
}

/// The hook of the payments context (#10): the fees of a dossier that
/// collects them first were paid at `at`: the clock starts then.
pub async fn paid(
    core: &Core,
    origin: &Origin,
    rules: &Rules,
    code: &str,
    at: Millis,
) -> Result<()> {
    let mut tx = core.store.begin().await?;
    paid_in(&mut tx, core, origin, rules, code, at).await?;
    tx.commit().await?;
    core.jobs_notify.notify_one();
    core.events_notify.notify_one();
    Ok(())
}

/// [`paid`] in the caller's transaction (the payments context settles a
/// payment and starts the clock in one transaction). The caller notifies
/// the worker after its commit.
pub async fn paid_in(
    tx: &mut AnyConnection,
    core: &Core,
    origin: &Origin,
    rules: &Rules,
    code: &str,
    at: Millis,
) -> Result<()> {
    end_payment_wait(tx, core, origin, rules, code, Wait::Payment, at).await
}

/// Ends the wait for a payment at `at` (paid or waived), audited as
/// `handling.paid` or `handling.fees_waived`.
async fn end_payment_wait(
    tx: &mut AnyConnection,
    core: &Core,
    origin: &Origin,
    rules: &Rules,
    code: &str,
    wait: Wait,
    at: Millis,
) -> Result<()> {
    let cal = motcua_kernel::calendar::current(core).await?;
    let clock = clock_of(core, rules, &cal);
    resume(tx, core, &clock, rules, code, wait, at).await?;
    let action = if wait == Wait::Waived {
        "handling.fees_waived"
    } else {
        "handling.paid"
    };
    motcua_store::audit::append(
        tx,
        &origin.audit,
        action,
        &format!("dossier:{code}"),
        &serde_json::json!({ "at": at }).to_string(),
        core.now(),
    )
    .await?;
    Ok(())
}

/// The agency asks the applicant to pay during handling (the payments
/// context made the request in this transaction): the case waits for the
/// applicant (status 6), the clock stops until the payment is settled
/// ([`paid_in`], which moves the deadline on by the working time paused).
/// `who` must hold the current step's role in its unit.
pub async fn await_payment_in(
    tx: &mut AnyConnection,
    core: &Core,
    origin: &Origin,
    who: &Staff,
    code: &str,
    note: &str,
    now: Millis,
) -> Result<()> {
    let mut case = store::by_code(tx, code)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !who.operator && !who.memberships.iter().any(|m| m.unit_id == case.unit_id) {
        return Err(ServiceError::NotFound);
    }
    let (_, workflow) = crate::workflows::by_id(tx, case.workflow_id).await?;
    let step = workflow
        .step(&case.step)
        .cloned()
        .ok_or(ServiceError::NotFound)?;
    if !who.holds(case.unit_id, &step.role) {
        return Err(ServiceError::Forbidden);
    }
    if case.state != "open"
        || case.clock_start.is_none()
        || ![progress::ACCEPTED, progress::PROCESSING].contains(&case.status)
    {
        return Err(ServiceError::Conflict("handling.error_status"));
    }
    let facts = progress::facts(tx, code)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let seen = case.updated_at;
    let before = case.status;
    case.state = "paused".into();
    case.paused_at = Some(now);
    case.status = progress::PAYMENT;
    slips::close(
        tx,
        case.dossier_id,
        Some(who.account_id),
        "payment_requested",
        note,
        now,
    )
    .await?;
    slips::open(tx, case.dossier_id, WAITING, case.unit_id, now, now).await?;
    case.updated_at = now.max(seen + 1);
    let ch = Change {
        kind: "fees_requested",
        from: &[progress::ACCEPTED, progress::PROCESSING],
        to: progress::PAYMENT,
        actor: "",
        note,
        appointment_at: None,
        category: "action",
        data: serde_json::json!({ "resume_to": before }),
    };
    if !progress::change(tx, core, &facts, &ch, now).await?
        || !store::update(tx, &case, seen).await?
    {
        return Err(ServiceError::Conflict("handling.error_changed"));
    }
    motcua_store::audit::append(
        tx,
        &origin.audit,
        "handling.payment_requested",
        &format!("dossier:{code}"),
        &serde_json::json!({ "step": case.step, "status_before": before }).to_string(),
        now,
    )
    .await?;
    Ok(())
}

/// Whether a dossier owes fees or charges before processing, by the
/// procedure's fee schedule in force at `at` (catalog) and the
/// applicant's type (identity): where it does, acceptance parks it at
/// status 6 until they are paid.
pub async fn owes_before(
    tx: &mut AnyConnection,
    facts: &progress::Facts,
    at: Millis,
) -> Result<bool> {
    let Some((_, schedule)) = motcua_catalog::fees::in_force(tx, &facts.procedure_code, at).await?
    else {
        return Ok(false);
    };
    let applicant = applicant_type(tx, facts.account_id).await?;
    Ok(!schedule
        .owed(
            &facts.case_code,
            facts.channel,
            applicant,
            motcua_catalog::fees::BEFORE,
        )
        .is_empty())
}

/// An applicant's type for fee exemptions: `business` for a business
/// account, else `citizen`.
pub async fn applicant_type(tx: &mut AnyConnection, account_id: i64) -> Result<&'static str> {
    let a =
        motcua_identity::directory::account(tx, motcua_domain::AccountId::new(account_id)).await?;
    Ok(match a {
        Some(a) if a.has_role(motcua_domain::account::Role::Business) => "business",
        _ => "citizen",
    })
}

/// Claims an unassigned (or someone else's) case at a step whose role
/// `who` holds in its unit; or, with `to`, assigns it to a person who
/// holds that role there (a leader — approver — or admin of the unit).
pub async fn assign(
    core: &Core,
    origin: &Origin,
    who: &Staff,
    code: &str,
    to: Option<i64>,
    seen: Millis,
) -> Result<()> {
    let now = core.now();
    let mut tx = core.store.begin().await?;
    let h = load(&mut tx, code, now, false).await?;
    let Some(mut case) = h.case.clone() else {
        return Err(if who.in_agency(&h.facts.agency_code) {
            ServiceError::Conflict("handling.error_not_received")
        } else {
            ServiceError::NotFound
        });
    };
    if !who.in_agency(&case.agency_code) {
        return Err(ServiceError::NotFound);
    }
    if case.state == "closed" {
        return Err(ServiceError::Conflict("handling.error_closed"));
    }
    if case.updated_at != seen {
        return Err(ServiceError::Conflict("handling.error_changed"));
    }
    let step = h.step().cloned().ok_or(ServiceError::NotFound)?;
    let target = match to {
        None => {
            if !who.holds(case.unit_id, &step.role) {
                return Err(ServiceError::Forbidden);
            }
            who.account_id
        }
        Some(person) => {
            if !who.holds(case.unit_id, wf::APPROVER) && !who.holds(case.unit_id, wf::ADMIN) {
                return Err(ServiceError::Forbidden);
            }
            let holders = people_store::holders(&mut tx, case.unit_id, &step.role).await?;
            if !holders.contains(&person) {
                return Err(ServiceError::field("person", "handling.error_assignee"));
            }
            person
        }
    };
    case.assignee_id = Some(target);
    case.updated_at = now.max(seen + 1);
    // A hand-over to a person is a line of the control slip.
    let action = if to.is_some() { "assign" } else { "claim" };
    slips::close(
        &mut tx,
        case.dossier_id,
        Some(who.account_id),
        action,
        "",
        now,
    )
    .await?;
    slips::open(
        &mut tx,
        case.dossier_id,
        &case.step,
        case.unit_id,
        now,
        case.step_due_at,
    )
    .await?;
    if !store::update(&mut tx, &case, seen).await? {
        return Err(ServiceError::Conflict("handling.error_changed"));
    }
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        if to.is_some() {
            "handling.assign"
        } else {
            "handling.claim"
        },
        &format!("dossier:{code}"),
        &serde_json::json!({ "step": case.step, "assignee": target }).to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The control slip (Form 06) of a dossier read with [`get`].
pub async fn slip(core: &Core, h: &Handled) -> Result<Vec<slips::SlipRow>> {
    let mut c = core.store.conn().await?;
    Ok(slips::of_dossier(&mut c, h.facts.id).await?)
}

/// A file of the dossier, for the people of its agency.
pub async fn file(
    core: &Core,
    who: &Staff,
    code: &str,
    file_id: i64,
) -> Result<(motcua_dossiers::files::FileRow, Vec<u8>)> {
    let h = get(core, who, code).await?;
    motcua_dossiers::files::of_dossier_draft(core, h.facts.draft_id, file_id).await
}

/// The timeline (every status change) of a dossier read with [`get`].
pub async fn timeline(core: &Core, h: &Handled) -> Result<Vec<motcua_dossiers::progress::Event>> {
    let mut c = core.store.conn().await?;
    progress::timeline(&mut c, h.facts.id).await
}

/// The notices issued on a dossier read with [`get`].
pub async fn notices(core: &Core, h: &Handled) -> Result<Vec<crate::notices::Notice>> {
    let mut c = core.store.conn().await?;
    crate::notices::of_dossier(&mut c, h.facts.id).await
}

/// The control slip (Form 06) of a dossier as a PDF, for the people of
/// its agency.
pub async fn slip_pdf(core: &Core, who: &Staff, code: &str) -> Result<Vec<u8>> {
    let h = get(core, who, code).await?;
    let rows = slip(core, &h).await?;
    let mut c = core.store.conn().await?;
    let units = people_store::units_of(
        &mut c,
        h.case
            .as_ref()
            .map_or(&h.facts.agency_code, |k| &k.agency_code),
    )
    .await?;
    drop(c);
    let now = core.now();
    let lines: Vec<crate::notices::SlipText> = rows
        .iter()
        .map(|s| crate::notices::SlipText {
            step: if s.step == WAITING {
                "Công dân bổ sung / nộp phí".to_string()
            } else {
                h.workflow
                    .step(&s.step)
                    .map_or_else(|| s.step.clone(), |st| st.name.clone())
            },
            unit: units
                .iter()
                .find(|u| u.id == s.unit_id)
                .map_or_else(String::new, |u| u.name.clone()),
            from: s.started_at,
            until: s.ended_at,
            due: s.due_at,
            action: slip_action_vi(&s.action).to_string(),
            result: match (s.step == WAITING, s.on_time, s.ended_at) {
                (true, _, _) => "Không tính vào thời hạn",
                (_, Some(true), _) => "Đúng hạn",
                (_, Some(false), _) => "Quá hạn",
                (_, None, None) if now > s.due_at => "Quá hạn",
                _ => "Trong hạn",
            }
            .to_string(),
        })
        .collect();
    crate::notices::slip_pdf(
        &h.facts.code,
        &h.facts.agency_name,
        &h.facts.applicant_name,
        &format!("{} ({})", h.facts.procedure_name, h.facts.procedure_code),
        &lines,
        now,
    )
    .map_err(ServiceError::Internal)
}

fn slip_action_vi(action: &str) -> &'static str {
    match action {
        wf::ACCEPT => "Tiếp nhận",
        wf::REFUSE => "Từ chối tiếp nhận",
        wf::SUPPLEMENT => "Yêu cầu bổ sung",
        wf::FORWARD => "Chuyển bước tiếp",
        wf::SEND_BACK => "Trả lại bước trước",
        wf::TRANSFER => "Chuyển phòng ban",
        wf::APPROVE => "Phê duyệt",
        wf::RETURN => "Trả kết quả",
        wf::STOP => "Dừng xử lý",
        APOLOGY => "Xin lỗi, hẹn lại",
        "claim" => "Nhận xử lý",
        "assign" => "Phân công",
        "supplemented" => "Công dân đã bổ sung",
        "paid" | "fees_paid" => "Đã nộp phí",
        "fees_waived" => "Hủy yêu cầu nộp phí",
        "payment_requested" => "Yêu cầu nộp phí",
        "returned_by_post" => "Bưu điện đã giao kết quả",
        "withdrawn" => "Công dân rút hồ sơ",
        "" => "Đang giữ hồ sơ",
        _ => "",
    }
}

/// The applicant withdraws their dossier while it is new (status 1 → 7):
/// the dossiers context records it and, where the agency already opened a
/// case (a supplement asked at receipt), the case is closed with it — one
/// transaction.
pub async fn withdraw(
    core: &Core,
    origin: &Origin,
    account_id: i64,
    code: &str,
    reason: &str,
) -> Result<()> {
    let now = core.now();
    let mut tx = core.store.begin().await?;
    let facts = progress::facts(&mut tx, code)
        .await?
        .filter(|d| d.account_id == account_id)
        .ok_or(ServiceError::NotFound)?;
    motcua_dossiers::submission::withdraw_in(&mut tx, core, &facts, reason, now).await?;
    if let Some(mut case) = store::by_code(&mut tx, code).await? {
        if case.state != "closed" {
            let seen = case.updated_at;
            case.state = "closed".into();
            case.status = progress::WITHDRAWN;
            case.paused_at = None;
            case.updated_at = now.max(seen + 1);
            slips::close(
                &mut tx,
                case.dossier_id,
                None,
                "withdrawn",
                reason.trim(),
                now,
            )
            .await?;
            if !store::update(&mut tx, &case, seen).await? {
                return Err(ServiceError::Conflict("handling.error_changed"));
            }
        }
    }
    // Last: the audit head after the board's summary rows, as in `act`.
    motcua_dossiers::submission::audit_withdrawal(&mut tx, origin, code, reason, now).await?;
    tx.commit().await?;
    core.events_notify.notify_one();
    Ok(())
}

/// The post office delivered the result at `at` (issue #10 §3): the
/// dossier is returned (status 10) as if handed over at the counter, in
/// the caller's transaction.
pub async fn returned_by_post_in(
    tx: &mut AnyConnection,
    core: &Core,
    origin: &Origin,
    code: &str,
    waybill: &str,
    at: Millis,
) -> Result<()> {
    let mut case = store::by_code(tx, code)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if case.state != "open" || case.status != progress::DONE {
        return Err(ServiceError::Conflict("handling.error_status"));
    }
    let facts = progress::facts(tx, code)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let seen = case.updated_at;
    let now = core.now();
    case.state = "closed".into();
    case.status = progress::RETURNED;
    case.updated_at = now.max(seen + 1);
    slips::close(tx, case.dossier_id, None, "returned_by_post", waybill, at).await?;
    let note = format!("{} {waybill}", "Bưu điện đã giao kết quả, vận đơn");
    let ch = Change {
        kind: "result_returned",
        from: &[progress::DONE],
        to: progress::RETURNED,
        actor: "",
        note: &note,
        appointment_at: None,
        category: "progress",
        data: serde_json::json!({ "by_post": true, "waybill": waybill, "delivered_at": at }),
    };
    if !progress::change(tx, core, &facts, &ch, now).await?
        || !store::update(tx, &case, seen).await?
    {
        return Err(ServiceError::Conflict("handling.error_changed"));
    }
    motcua_store::audit::append(
        tx,
        &origin.audit,
        "handling.returned_by_post",
        &format!("dossier:{code}"),
        &serde_json::json!({ "waybill": waybill, "delivered_at": at }).to_string(),
        now,
    )
    .await?;
    Ok(())
}

/// The payment the dossier waits for is waived (the payments context
/// cancelled the request): the wait ends at `at` as if paid — the clock
/// starts (fees first) or goes on with the deadline moved by the wait —
/// in the caller's transaction.
pub async fn waived_in(
    tx: &mut AnyConnection,
    core: &Core,
    origin: &Origin,
    rules: &Rules,
    code: &str,
    at: Millis,
) -> Result<()> {
    end_payment_wait(tx, core, origin, rules, code, Wait::Waived, at).await
}
