//! Submission (R-PS-3, R-PS-5): a complete draft becomes a dossier with
//! its code, status 1 (new), the appointment date on the working-day
//! calendar, its first timeline entry, an in-portal notification, a mail
//! and a `dossier.submitted` event — all in one transaction, and at most
//! once per draft (a second "submit" returns the first dossier's code).
//! Withdrawal by the applicant before any agency acted (status 1 → 7).
use crate::drafts::{self, Draft, Holder};
use crate::store::dossiers::{self as store, DossierRow, EventRow};
use crate::store::drafts as draft_store;
use crate::store::notifications;
use crate::Rules;
use motcua_forms::validate::FieldError;
use motcua_kernel::service::{queue_mail, Origin, Result, ServiceError};
use motcua_kernel::Core;
use motcua_mail::{Locale, Template};

/// What a submission came to.
#[derive(Debug, Clone)]
pub enum Submission {
    /// The dossier's code (also when the draft had been submitted before).
    Submitted(String),
    /// The procedure needs a higher assurance level than the session's.
    NeedsLevel(i64),
    /// What is still missing or wrong, per field (with its step).
    Incomplete(Vec<FieldError>),
    /// A newer form version was published: the draft was moved to it;
    /// these answers could not be carried over. The person checks again.
    FormChanged(Vec<String>),
    /// The form asks for the applicant's digital signature over this
    /// digest (the draft as it is now) and none came.
    NeedsSignature(String),
    /// A complete supplement draft: the agency's context applies it
    /// ([`apply_supplement`]) and restarts the clock, in one transaction.
    Supplement(Box<SupplementReady>),
}

/// A supplement draft checked and ready to replace what its dossier holds.
#[derive(Debug, Clone)]
pub struct SupplementReady {
    pub code: String,
    pub account_id: i64,
    pub draft_id: i64,
    pub public_id: String,
    pub revision: i64,
    pub data: String,
    pub digest: String,
    pub files: Vec<crate::files::FileRow>,
    /// The components' names, for the document store.
    pub names: std::collections::BTreeMap<String, String>,
    /// The applicant's signature over the supplemented dossier, where the
    /// form requires one (it replaces the signature over the first one).
    pub signature: Option<Signature>,
}

/// Puts a checked supplement into its dossier in the caller's
/// transaction: the draft is closed (at the revision checked), the
/// dossier holds the new answers and files, what was sent is kept in the
/// holder's document store. The status change (5 → …) and the clock are
/// the caller's (the handling context). Conflict when the draft or the
/// dossier changed meanwhile.
pub async fn apply_supplement(
    tx: &mut motcua_store::AnyConnection,
    ready: &SupplementReady,
    now: motcua_domain::Millis,
) -> Result<()> {
    if !draft_store::close(
        tx,
        ready.draft_id,
        Some(ready.revision),
        "submitted",
        Some(&ready.code),
        now,
    )
    .await?
    {
        return Err(ServiceError::Conflict("dossiers.error_draft_changed"));
    }
    if !store::replace_content(
        tx,
        &ready.code,
        ready.account_id,
        ready.draft_id,
        &ready.data,
        &ready.digest,
        now,
    )
    .await?
    {
        return Err(ServiceError::Conflict("dossiers.error_no_supplement"));
    }
    // A signature over the dossier as first sent does not cover what it
    // holds now: it is replaced by the one over the supplemented dossier
    // (required where the form requires signing), or removed.
    if let Some(d) = store::by_code(tx, &ready.code).await? {
        crate::store::documents::delete_signature(tx, d.id).await?;
        if let Some(s) = &ready.signature {
            crate::store::documents::insert_signature(tx, &signature_row(d.id, s)).await?;
        }
    }
    for f in &ready.files {
        crate::documents::keep(
            tx,
            &crate::documents::Keep {
                account_id: ready.account_id,
                kind: crate::documents::SUBMITTED,
                title: ready.names.get(&f.component).map_or(&f.component, |n| n),
                file_name: &f.file_name,
                content_type: &f.content_type,
                size: f.size,
                sha256: &f.sha256,
                dossier_code: &ready.code,
            },
            now,
        )
        .await?;
    }
    Ok(())
}

fn signature_row(dossier_id: i64, s: &Signature) -> crate::store::documents::SignatureRow {
    crate::store::documents::SignatureRow {
        dossier_id,
        digest: s.digest.clone(),
        signed_text: s.signed_text.clone(),
        signature: s.signature.clone(),
        certificate: s.certificate.clone(),
        signer: s.signer.clone(),
        issuer_dn: s.issuer_dn.clone(),
        serial_hex: s.serial_hex.clone(),
        method: s.method.clone(),
        signed_at: s.signed_at,
    }
}

/// A signature over a draft's digest, verified by the caller (the
/// identity context checks the certificate, its path and revocation, and
/// that it is bound to the holder); kept with the dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub digest: String,
    pub signed_text: String,
    pub signature: String,
    pub certificate: String,
    pub signer: String,
    pub issuer_dn: String,
    pub serial_hex: String,
    pub method: String,
    pub signed_at: motcua_domain::Millis,
}

/// The digest a signature over the holder's draft must name: the
/// answers as stored and each attached file's component and SHA-256
/// ([`crate::files::digest`]), exactly as [`submit`] computes it.
pub async fn digest_of(core: &Core, account_id: i64, public_id: &str) -> Result<String> {
    let draft = drafts::get(core, account_id, public_id).await?;
    if draft.row.status != "open" {
        return Err(ServiceError::Conflict("dossiers.error_draft_closed"));
    }
    let files = crate::files::of_draft(core, draft.row.id).await?;
    draft_digest(&draft, &files)
}

/// The digest of `draft` with its attached `files` (already read).
pub fn draft_digest(draft: &Draft, files: &[crate::files::FileRow]) -> Result<String> {
    let data =
        serde_json::to_string(&draft.answers).map_err(|e| ServiceError::Internal(e.to_string()))?;
    Ok(crate::files::digest(&data, files))
}

/// The national statuses (1 new … 10 result returned).
pub const NEW: i64 = 1;
pub const WITHDRAWN: i64 = 7;

/// The local date (Vietnam) of an instant.
fn local_date(at: motcua_domain::Millis) -> time::Date {
    motcua_domain::clock::vn_datetime(at).date()
}

/// When the result is due, from the channel's processing time: working
/// days on the calendar with the cut-off; calendar days; working hours.
async fn appointment(
    core: &Core,
    rules: &Rules,
    at: motcua_domain::Millis,
    amount: f64,
    unit: &str,
) -> Result<Option<motcua_domain::Millis>> {
    let n = amount.ceil().max(0.0) as u32;
    Ok(match unit {
        "working_day" => {
            Some(motcua_kernel::calendar::deadline_days(core, at, n, rules.cutoff).await?)
        }
        "working_hour" => Some(motcua_kernel::calendar::deadline_hours(core, at, n).await?),
        "day" => Some(at + i64::from(n) * 86_400_000),
        _ => None,
    })
}

fn text(core: &Core, loc: Locale, key: &str) -> String {
    core.i18n.get(loc, key).to_string()
}

/// Submits the holder's draft. `revision` is the one the "check your
/// answers" page showed: a draft changed since (on another device) is
/// not submitted unseen. `channel` is online (2) or postal (3: the paper
/// dossier follows by post; anything else is online).
#[allow(clippy::too_many_arguments)]
pub async fn submit(
    core: &Core,
    origin: &Origin,
    rules: &Rules,
    holder: &Holder,
    public_id: &str,
    revision: i64,
    signature: Option<&Signature>,
    channel: i64,
) -> Result<Submission> {
    let channel = if channel == crate::progress::POSTAL {
        crate::progress::POSTAL
    } else {
        crate::progress::ONLINE
    };
    let draft = drafts::get(core, holder.account_id, public_id).await?;
    if let Some(code) = &draft.row.dossier_code {
        return Ok(Submission::Submitted(code.clone()));
    }
    if draft.row.status != "open" {
        return Err(ServiceError::Conflict("dossiers.error_draft_closed"));
    }
    let Some(entry) = motcua_catalog::queries::procedure(core, &draft.row.procedure_code).await?
    else {
        return Err(ServiceError::Conflict("dossiers.error_not_online"));
    };
    let p = &entry.record;
    let Some(time) = p.online_time().filter(|_| p.online_level != "none") else {
        return Err(ServiceError::Conflict("dossiers.error_not_online"));
    };
    if p.assurance > holder.level {
        return Ok(Submission::NeedsLevel(p.assurance));
    }
    let opened = drafts::open(core, holder.account_id, public_id).await?;
    if let Some(dropped) = opened.moved {
        return Ok(Submission::FormChanged(dropped));
    }
    let draft: Draft = opened.draft;
    if draft.row.revision != revision {
        return Err(ServiceError::Conflict("dossiers.error_draft_changed"));
    }
    let validator = motcua_forms::service::validator(&draft.form)?;
    let loc = Locale::parse(&holder.locale);
    let errors = motcua_forms::validate::errors(
        &draft.form.definition,
        &validator,
        &draft.answers,
        None,
        &core.i18n,
        loc,
    );
    if !errors.is_empty() {
        return Ok(Submission::Incomplete(errors));
    }

    let now = core.now();
    let agency = p.implementing.first().or(p.competent.first());
    let (agency_code, agency_name) = agency
        .map(|a| (a.code.clone(), a.name.clone()))
        .unwrap_or_default();
    let appointment_at = appointment(core, rules, now, time.amount, &time.unit).await?;
    let data =
        serde_json::to_string(&draft.answers).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let files = crate::files::of_draft(core, draft.row.id).await?;
    // As [`draft_digest`], from the text kept with the dossier.
    let digest = crate::files::digest(&data, &files);
    // A supplement too: the dossier it completes is signed again.
    match signature {
        None if draft.form.definition.signature_required() => {
            return Ok(Submission::NeedsSignature(digest));
        }
        // Signed over another state of the draft: sign again.
        Some(s) if s.digest != digest => {
            return Err(ServiceError::Conflict("dossiers.error_signature_stale"));
        }
        _ => {}
    }
    if let Some(code) = &draft.row.supplement_of {
        let names = crate::files::components_of(
            core,
            &draft.row.procedure_code,
            draft.row.procedure_version,
        )
        .await?
        .into_iter()
        .map(|c| (c.key, c.name))
        .collect();
        return Ok(Submission::Supplement(Box::new(SupplementReady {
            code: code.clone(),
            account_id: holder.account_id,
            draft_id: draft.row.id,
            public_id: public_id.to_string(),
            revision,
            data,
            digest,
            files,
            names,
            signature: signature.cloned(),
        })));
    }
    let case = draft
        .answers
        .get("case")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string();
    let applicant = draft
        .answers
        .get("full_name")
        .and_then(|v| v.as_str())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or(&holder.full_name)
        .to_string();

    // The components' names, for the document store.
    let names: std::collections::BTreeMap<String, String> =
        crate::files::components_of(core, &draft.row.procedure_code, draft.row.procedure_version)
            .await?
            .into_iter()
            .map(|c| (c.key, c.name))
            .collect();
    let mut tx = core.store.begin().await?;
    let date = local_date(now);
    let code_agency = if agency_code.is_empty() {
        "000.00.00.G00"
    } else {
        &agency_code
    };
    let serial = store::next_serial(&mut tx, &rules.code_format.prefix(code_agency, date)).await?;
    let code = rules.code_format.render(code_agency, date, serial);
    if !draft_store::close(
        &mut tx,
        draft.row.id,
        Some(revision),
        "submitted",
        Some(&code),
        now,
    )
    .await?
    {
        // Submitted (or changed) by another request meanwhile: nothing of
        // this one is kept; the other's outcome is the answer.
        drop(tx);
        let again = drafts::get(core, holder.account_id, public_id).await?;
        return match again.row.dossier_code {
            Some(code) => Ok(Submission::Submitted(code)),
            None => Err(ServiceError::Conflict("dossiers.error_draft_changed")),
        };
    }
    let row = DossierRow {
        id: 0,
        code: code.clone(),
        draft_id: draft.row.id,
        account_id: holder.account_id,
        contact_email: holder.email.clone(),
        locale: holder.locale.clone(),
        applicant_name: applicant,
        procedure_code: p.code.clone(),
        procedure_version: entry.version,
        procedure_name: p.name.clone(),
        case_code: case,
        form_id: draft.form.row.id,
        agency_code: agency_code.clone(),
        agency_name: agency_name.clone(),
        channel,
        status: NEW,
        submitted_at: now,
        received_at: now,
        appointment_at,
        time_amount: time.amount.ceil() as i64,
        time_unit: time.unit.clone(),
        updated_at: now,
        digest: digest.clone(),
        data,
        origin: String::new(),
        handled_by: String::new(),
    };
    let id = store::insert(&mut tx, &row).await?;
    if let Some(s) = signature {
        crate::store::documents::insert_signature(&mut tx, &signature_row(id, s)).await?;
    }
    // What was sent is kept in the holder's document store for reuse.
    for f in &files {
        crate::documents::keep(
            &mut tx,
            &crate::documents::Keep {
                account_id: holder.account_id,
                kind: crate::documents::SUBMITTED,
                title: names.get(&f.component).map_or(&f.component, |n| n),
                file_name: &f.file_name,
                content_type: &f.content_type,
                size: f.size,
                sha256: &f.sha256,
                dossier_code: &code,
            },
            now,
        )
        .await?;
    }
    store::add_event(
        &mut tx,
        id,
        &EventRow {
            at: now,
            status: NEW,
            actor: "applicant".into(),
            note: String::new(),
        },
    )
    .await?;
    let link = format!("/account/dossiers/{code}");
    notifications::insert(
        &mut tx,
        holder.account_id,
        "dossier.submitted",
        &code,
        &link,
        now,
    )
    .await?;
    motcua_kernel::outbox::emit(
        &mut tx,
        core,
        "dossier.submitted",
        &code,
        serde_json::json!({
            "code": code,
            "procedure": p.code,
            "procedure_version": entry.version,
            "agency": agency_code,
            "channel": channel,
            "status": NEW,
            "submitted_at": now,
            "appointment_at": appointment_at,
            "digest": digest,
            "signed": signature.is_some(),
            "files": files.iter().map(|f| serde_json::json!({"component": f.component, "sha256": f.sha256, "size": f.size, "reused": f.reused_from.is_some()})).collect::<Vec<_>>(),
        }),
        now,
    )
    .await?;
    // The single window's case: a procedure handled by a ministry's
    // specialized system goes there now, in this transaction.
    let forwarded = DossierRow { id, ..row.clone() };
    crate::forwarding::on_submitted(&mut tx, core, &forwarded, &files, now).await?;
    if !holder.email.is_empty()
        && notifications::mail_wanted(&mut tx, holder.account_id, "progress").await?
    {
        let mut facts = vec![
            (text(core, loc, "dossiers.code"), code.clone()),
            (text(core, loc, "dossiers.procedure"), p.name.clone()),
            (text(core, loc, "dossiers.agency"), agency_name.clone()),
            (
                text(core, loc, "dossiers.submitted_at"),
                motcua_domain::clock::format_vn(now),
            ),
        ];
        if let Some(a) = appointment_at {
            facts.push((
                text(core, loc, "dossiers.appointment"),
                motcua_domain::clock::format_vn(a),
            ));
        }
        let t = Template::Notice {
            full_name: holder.full_name.clone(),
            subject: text(core, loc, "dossiers.mail_submitted_subject").replace("{code}", &code),
            heading: text(core, loc, "dossiers.mail_submitted_heading"),
            body: text(core, loc, "dossiers.mail_submitted_body"),
            facts,
            link_label: text(core, loc, "dossiers.mail_open"),
            link: format!("{}{link}", core.config.public_url.trim_end_matches('/')),
        };
        queue_mail(&mut tx, core, &holder.email, &t, loc, now).await?;
    }
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "dossiers.submit",
        &format!("dossier:{code}"),
        &serde_json::json!({ "draft": public_id, "procedure": p.code, "version": entry.version, "digest": digest, "signer": signature.map(|s| format!("{} {}", s.issuer_dn, s.serial_hex)) })
            .to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    core.jobs_notify.notify_one();
    core.events_notify.notify_one();
    Ok(Submission::Submitted(code))
}

/// Withdraws the holder's dossier while it is new (status 1 → 7), with
/// the reason the person gives. (The web layer goes through the handling
/// context, which also closes the agency's case in the same transaction:
/// `motcua_handling::cases::withdraw`.)
pub async fn withdraw(
    core: &Core,
    origin: &Origin,
    account_id: i64,
    code: &str,
    reason: &str,
) -> Result<()> {
    let d = crate::queries::dossier(core, account_id, code)
        .await?
        .dossier;
    let now = core.now();
    let mut tx = core.store.begin().await?;
    withdraw_in(&mut tx, core, &d, reason, now).await?;
    audit_withdrawal(&mut tx, origin, &d.code, reason, now).await?;
    tx.commit().await?;
    core.events_notify.notify_one();
    Ok(())
}

/// [`withdraw`] in the caller's transaction, for dossier `d` (the
/// caller checked it is the holder's), but for its audit line: the
/// caller appends [`audit_withdrawal`] after its own writes (the audit
/// head is the last lock a transaction takes, so that two transactions
/// never wait on each other through it).
pub async fn withdraw_in(
    tx: &mut motcua_store::AnyConnection,
    core: &Core,
    d: &DossierRow,
    reason: &str,
    now: motcua_domain::Millis,
) -> Result<()> {
    let code = d.code.as_str();
    let reason = reason.trim();
    if reason.chars().count() > 1000
        || reason
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r')
    {
        return Err(ServiceError::field("reason", "dossiers.error_reason"));
    }
    if !store::set_status(tx, d.id, &[NEW], WITHDRAWN, now).await? {
        return Err(ServiceError::Conflict("dossiers.error_not_withdrawable"));
    }
    store::add_event(
        tx,
        d.id,
        &EventRow {
            at: now,
            status: WITHDRAWN,
            actor: "applicant".into(),
            note: reason.to_string(),
        },
    )
    .await?;
    notifications::insert(
        tx,
        d.account_id,
        "dossier.withdrawn",
        code,
        &format!("/account/dossiers/{code}"),
        now,
    )
    .await?;
    motcua_kernel::outbox::emit(
        tx,
        core,
        "dossier.withdrawn",
        code,
        serde_json::json!({ "code": code, "status": WITHDRAWN, "agency": d.agency_code }),
        now,
    )
    .await?;
    Ok(())
}

/// The audit line of a withdrawal (see [`withdraw_in`]).
pub async fn audit_withdrawal(
    tx: &mut motcua_store::AnyConnection,
    origin: &Origin,
    code: &str,
    reason: &str,
    now: motcua_domain::Millis,
) -> Result<()> {
    motcua_store::audit::append(
        tx,
        &origin.audit,
        "dossiers.withdraw",
        &format!("dossier:{code}"),
        &serde_json::json!({ "reason": reason.trim() }).to_string(),
        now,
    )
    .await?;
    Ok(())
}
