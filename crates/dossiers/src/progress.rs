//! What an agency does to a dossier, as this context's narrow API for the
//! handling context (issue #9): the facts of a dossier, the new dossiers
//! of an agency, and a status change — guarded by the statuses it may
//! come from, with its timeline entry, the applicant's in-portal
//! notification and mail (per their preferences) saying what happened
//! and what to do, and a `dossier.<kind>` event — all in the caller's
//! transaction.
use crate::store::dossiers::{self as store, DossierRow, EventRow};
use crate::store::notifications;
use motcua_domain::Millis;
use motcua_kernel::service::{queue_mail, Result, ServiceError};
use motcua_kernel::Core;
use motcua_mail::{Locale, Template};
use motcua_store::AnyConnection;

pub use crate::store::dossiers::DossierRow as Facts;
pub use crate::store::dossiers::EventRow as Event;

/// The national statuses (PUBLIC-SERVICES §2).
pub const NEW: i64 = 1;
pub const ACCEPTED: i64 = 2;
pub const NOT_ACCEPTED: i64 = 3;
pub const PROCESSING: i64 = 4;
pub const SUPPLEMENT: i64 = 5;
pub const PAYMENT: i64 = 6;
pub const WITHDRAWN: i64 = 7;
pub const STOPPED: i64 = 8;
pub const DONE: i64 = 9;
pub const RETURNED: i64 = 10;

/// A dossier handled here, by its code (with the answers' text). A
/// dossier another one-stop system pushed, or one forwarded to a
/// ministry's specialized system, is not: no agency acts on it here
/// (handling, payments, the post see `None`).
pub async fn facts(c: &mut AnyConnection, code: &str) -> Result<Option<Facts>> {
    Ok(store::by_code(c, code)
        .await?
        .filter(|d| d.origin.is_empty() && d.handled_by.is_empty()))
}

/// New dossiers (status 1) of an agency, oldest first, after `after`.
pub async fn awaiting(
    core: &Core,
    agency_code: &str,
    after: (Millis, i64),
    limit: i64,
) -> Result<Vec<Facts>> {
    let mut c = core.store.conn().await?;
    Ok(store::awaiting(&mut c, agency_code, after, limit.clamp(1, 200)).await?)
}

/// The timeline of a dossier, oldest first.
pub async fn timeline(c: &mut AnyConnection, dossier_id: i64) -> Result<Vec<EventRow>> {
    Ok(store::events(c, dossier_id).await?)
}

/// A status change.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    /// The event's name after `dossier.` (accepted, supplement_requested…),
    /// which also names the notification and the mail's text.
    pub kind: &'a str,
    /// The statuses the dossier may be in; otherwise nothing changes.
    pub from: &'a [i64],
    pub to: i64,
    /// Who acted, as the timeline shows it (the agency's unit).
    pub actor: &'a str,
    /// What the applicant reads (a reason, what is missing, a new date).
    pub note: &'a str,
    /// A new appointment date, where it changes.
    pub appointment_at: Option<Option<Millis>>,
    /// `progress` or `action` (the applicant must act): which mail
    /// preference applies.
    pub category: &'a str,
    /// Anything else the event carries.
    pub data: serde_json::Value,
}

/// Applies `ch` to dossier `d` in the caller's transaction; false (and
/// nothing written) when the dossier is not in one of `ch.from`.
pub async fn change(
    tx: &mut AnyConnection,
    core: &Core,
    d: &DossierRow,
    ch: &Change<'_>,
    now: Millis,
) -> Result<bool> {
    if ch.note.chars().count() > 4000 {
        return Err(ServiceError::field("note", "dossiers.error_reason"));
    }
    if !store::set_status(tx, d.id, ch.from, ch.to, now).await? {
        return Ok(false);
    }
    let appointment = match ch.appointment_at {
        Some(a) => {
            store::set_appointment(tx, d.id, a).await?;
            a
        }
        None => d.appointment_at,
    };
    store::add_event(
        tx,
        d.id,
        &EventRow {
            at: now,
            status: ch.to,
            actor: ch.actor.to_string(),
            note: ch.note.to_string(),
        },
    )
    .await?;
    let kind = format!("dossier.{}", ch.kind);
    let link = format!("/account/dossiers/{}", d.code);
    notifications::insert(tx, d.account_id, &kind, &d.code, &link, now).await?;
    let mut data = serde_json::json!({
        "code": d.code,
        "procedure": d.procedure_code,
        "agency": d.agency_code,
        "status": ch.to,
        "appointment_at": appointment,
        "at": now,
    });
    if let (Some(obj), Some(extra)) = (data.as_object_mut(), ch.data.as_object()) {
        for (k, v) in extra {
            obj.insert(k.clone(), v.clone());
        }
    }
    motcua_kernel::outbox::emit(tx, core, &kind, &d.code, data, now).await?;
    if !d.contact_email.is_empty()
        && notifications::mail_wanted(tx, d.account_id, ch.category).await?
    {
        let loc = Locale::parse(&d.locale);
        let t = |k: &str| core.i18n.get(loc, k).to_string();
        let status = t(crate::status_key(ch.to));
        let mut facts = vec![
            (t("dossiers.code"), d.code.clone()),
            (t("dossiers.procedure"), d.procedure_name.clone()),
            (t("dossiers.agency"), d.agency_name.clone()),
            (t("dossiers.status"), status.clone()),
        ];
        if let Some(a) = appointment {
            facts.push((
                t("dossiers.appointment"),
                motcua_domain::clock::format_vn(a),
            ));
        }
        let mut body = t(&format!("dossiers.progress.{}", ch.kind));
        if !ch.note.trim().is_empty() {
            body.push_str("\n\n");
            body.push_str(ch.note.trim());
        }
        let template = Template::Notice {
            full_name: d.applicant_name.clone(),
            subject: t("dossiers.mail_progress_subject")
                .replace("{code}", &d.code)
                .replace("{status}", &status),
            heading: status,
            body,
            facts,
            link_label: t("dossiers.mail_open"),
            link: format!("{}{link}", core.config.public_url.trim_end_matches('/')),
        };
        queue_mail(tx, core, &d.contact_email, &template, loc, now).await?;
    }
    Ok(true)
}

/// The dossier goes to another agency (a transfer between agencies), in
/// the caller's transaction: the agency it shows from now on, a timeline
/// entry, the applicant's notification and mail (`transferred`, the
/// status unchanged) and a `dossier.transferred` event. Returns the
/// dossier as it now is.
pub async fn transfer(
    tx: &mut AnyConnection,
    core: &Core,
    d: &DossierRow,
    agency: (&str, &str),
    actor: &str,
    note: &str,
    now: Millis,
) -> Result<DossierRow> {
    store::set_agency(tx, d.id, agency.0, agency.1).await?;
    let mut moved = d.clone();
    moved.agency_code = agency.0.to_string();
    moved.agency_name = agency.1.to_string();
    let ch = Change {
        kind: "transferred",
        from: &[d.status],
        to: d.status,
        actor,
        note,
        appointment_at: None,
        category: "progress",
        data: serde_json::json!({ "from_agency": d.agency_code, "to_agency": agency.0 }),
    };
    if !change(tx, core, &moved, &ch, now).await? {
        return Err(ServiceError::Conflict("handling.error_changed"));
    }
    Ok(moved)
}

/// A change at the agency that leaves the status as it is (the dossier
/// moved to another step or department): a `dossier.moved` event only —
/// the applicant is notified of status changes, not of internal moves.
pub async fn moved(
    tx: &mut AnyConnection,
    core: &Core,
    d: &DossierRow,
    data: serde_json::Value,
    now: Millis,
) -> Result<()> {
    let mut payload = serde_json::json!({
        "code": d.code,
        "procedure": d.procedure_code,
        "agency": d.agency_code,
        "status": d.status,
        "at": now,
    });
    if let (Some(obj), Some(extra)) = (payload.as_object_mut(), data.as_object()) {
        for (k, v) in extra {
            obj.insert(k.clone(), v.clone());
        }
    }
    motcua_kernel::outbox::emit(tx, core, "dossier.moved", &d.code, payload, now).await?;
    Ok(())
}

/// Channels of a dossier.
pub const IN_PERSON: i64 = 1;
pub const ONLINE: i64 = 2;
pub const POSTAL: i64 = 3;

/// The post office handed a dossier sent by post to the agency at `at`
/// (the time on the postal receipt), in the caller's transaction: kept
/// once; a timeline entry, the applicant's notification and mail
/// (`handed_over`, the status unchanged). Returns false when it was
/// recorded before (a repeated report).
pub async fn handed_over(
    tx: &mut AnyConnection,
    core: &Core,
    d: &DossierRow,
    at: Millis,
    now: Millis,
) -> Result<bool> {
    if d.channel != POSTAL {
        return Err(ServiceError::Conflict("dossiers.error_not_postal"));
    }
    if !store::set_handed_over(tx, d.id, at).await? {
        return Ok(false);
    }
    let note = motcua_domain::clock::format_vn(at);
    let ch = Change {
        kind: "handed_over",
        from: &[d.status],
        to: d.status,
        actor: "",
        note: &note,
        appointment_at: None,
        category: "progress",
        data: serde_json::json!({ "handed_over_at": at }),
    };
    if !change(tx, core, d, &ch, now).await? {
        return Err(ServiceError::Conflict("handling.error_changed"));
    }
    Ok(true)
}

/// When the post office handed the dossier to the agency, if it did.
pub async fn handed_over_at(c: &mut AnyConnection, dossier_id: i64) -> Result<Option<Millis>> {
    Ok(store::handed_over_at(c, dossier_id).await?)
}

/// Puts a notification in a person's in-portal inbox, in the caller's
/// transaction, for another context's news (a feedback item's answer):
/// `kind` names the message (`dossiers.notify.<kind>`, `{ref}` replaced
/// by `reference`); true when the person wants mail of `category`
/// (`progress` or `action`) too.
pub async fn notify(
    tx: &mut AnyConnection,
    account_id: i64,
    kind: &str,
    reference: &str,
    link: &str,
    category: &str,
    now: Millis,
) -> Result<bool> {
    notifications::insert(tx, account_id, kind, reference, link, now).await?;
    Ok(notifications::mail_wanted(tx, account_id, category).await?)
}
