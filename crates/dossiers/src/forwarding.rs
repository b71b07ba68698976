//! Dossiers handled by a ministry's specialized system — the single
//! window's case (issue #12 §2; Decree 85/2019 Art 13: the portal relays
//! dossiers to the ministries' systems). The operator routes a procedure
//! to a specialized system (the events register, which receives signed
//! webhooks) and the system client (sso) that answers for it.
//!
//! A dossier of a routed procedure is submitted here as any other; in the
//! submission's transaction it is marked as handled by that client and a
//! `dossier.forwarded` event is written for that system only, delivered
//! through the outbox (retried until acknowledged). No agency here acts
//! on it ([`crate::progress::facts`] does not return it). The system
//! reads the dossier and its files through the interop API, and answers:
//! statuses reach the applicant exactly as an agency's here do
//! (timeline, inbox, mail, event); a result document is kept in the
//! applicant's document store, downloadable from the dossier's page.
use crate::store::documents as documents_store;
use crate::store::dossiers::{self as store, DossierRow};
use crate::store::files::FileRow;
use crate::store::routes::{self as routes_store, Route};
use motcua_domain::Millis;
use motcua_kernel::service::{Origin, Result, ServiceError};
use motcua_kernel::Core;
use motcua_store::AnyConnection;
use serde_json::json;

/// The event a specialized system receives.
pub const EVENT: &str = "dossier.forwarded";

/// A result document is at most this large.
pub const MAX_RESULT_BYTES: usize = 10 * 1024 * 1024;

/// The statuses a specialized system may give (supplement and fee
/// requests are not yet relayed: docs/INTEROP.md).
pub const ANSWERS: &[(i64, &str)] = &[
    (crate::progress::ACCEPTED, "accepted"),
    (crate::progress::NOT_ACCEPTED, "refused"),
    (crate::progress::PROCESSING, "processing"),
    (crate::progress::STOPPED, "stopped"),
    (crate::progress::DONE, "result_ready"),
    (crate::progress::RETURNED, "result_returned"),
];

/// The statuses a forwarded dossier can still change from.
const OPEN: &[i64] = &[
    crate::progress::NEW,
    crate::progress::ACCEPTED,
    crate::progress::PROCESSING,
    crate::progress::DONE,
];

pub use crate::store::routes::Route as RouteRow;

/// Every route, by procedure.
pub async fn routes(core: &Core) -> Result<Vec<Route>> {
    let mut c = core.store.conn().await?;
    Ok(routes_store::all(&mut c).await?)
}

/// Routes `procedure` to the specialized system `system_code` (registered
/// and active) answered by the system client `client_id` (the caller —
/// the web layer — has checked it with the sso context); audited.
pub async fn set_route(
    core: &Core,
    origin: &Origin,
    procedure: &str,
    system_code: &str,
    client_id: &str,
    now: Millis,
) -> Result<()> {
    let procedure = procedure.trim();
    if motcua_catalog::queries::procedure(core, procedure)
        .await?
        .is_none()
    {
        return Err(ServiceError::field(
            "procedure",
            "dossiers.sync_error_procedure",
        ));
    }
    let system_code = system_code.trim().to_ascii_lowercase();
    let mut tx = core.store.begin().await?;
    let known = motcua_store::events::systems(&mut tx)
        .await?
        .into_iter()
        .any(|s| s.active && s.code == system_code);
    if !known {
        return Err(ServiceError::field(
            "system_code",
            "dossiers.route_error_system",
        ));
    }
    let r = Route {
        procedure_code: procedure.to_string(),
        system_code: system_code.clone(),
        client_id: client_id.to_string(),
        updated_at: now,
    };
    routes_store::put(&mut tx, &r).await?;
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "dossier.route_set",
        &format!("procedure:{procedure}"),
        &json!({"system": system_code, "client": client_id}).to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Handles `procedure` here again; audited.
pub async fn remove_route(
    core: &Core,
    origin: &Origin,
    procedure: &str,
    now: Millis,
) -> Result<()> {
    let mut tx = core.store.begin().await?;
    if !routes_store::remove(&mut tx, procedure).await? {
        return Err(ServiceError::NotFound);
    }
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "dossier.route_removed",
        &format!("procedure:{procedure}"),
        "{}",
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What a specialized system receives, and reads back.
pub fn payload(core: &Core, d: &DossierRow, files: &[FileRow]) -> serde_json::Value {
    let base = core.config.public_url.trim_end_matches('/');
    let answers: serde_json::Value = serde_json::from_str(&d.data).unwrap_or_default();
    json!({
        "code": d.code,
        "procedure": { "code": d.procedure_code, "version": d.procedure_version, "name": d.procedure_name },
        "agency": { "code": d.agency_code, "name": d.agency_name },
        "channel": d.channel,
        "status": d.status,
        "applicant_name": d.applicant_name,
        "submitted_at": d.submitted_at,
        "received_at": d.received_at,
        "appointment_at": d.appointment_at,
        "digest": d.digest,
        "answers": answers,
        "files": files.iter().map(|f| json!({
            "id": f.id,
            "component": f.component,
            "file_name": f.file_name,
            "content_type": f.content_type,
            "size": f.size,
            "sha256": f.sha256,
            "url": format!("{base}/api/v1/sync/forwarded/{}/files/{}", d.code, f.id),
        })).collect::<Vec<_>>(),
    })
}

/// In the submission's transaction: forwards dossier `d` (just inserted,
/// with its files) when its procedure is routed. True when forwarded.
pub(crate) async fn on_submitted(
    tx: &mut AnyConnection,
    core: &Core,
    d: &DossierRow,
    files: &[FileRow],
    now: Millis,
) -> Result<bool> {
    let Some(route) = routes_store::of_procedure(tx, &d.procedure_code).await? else {
        return Ok(false);
    };
    store::set_handled_by(tx, d.id, &route.client_id).await?;
    let delivered = motcua_kernel::outbox::emit_to(
        tx,
        core,
        EVENT,
        &d.code,
        payload(core, d, files),
        &route.system_code,
        now,
    )
    .await?;
    if !delivered {
        // The route names a system switched off since: the dossier waits
        // for its redelivery from the console (the event is kept).
        tracing::warn!(code = %d.code, system = %route.system_code, "forwarded to an inactive system");
    }
    Ok(true)
}

/// Dossier `code` if it was forwarded to `client`'s system (another's is
/// `NotFound`).
async fn handled(core: &Core, client: &str, code: &str) -> Result<DossierRow> {
    if !crate::code::plausible(code) {
        return Err(ServiceError::NotFound);
    }
    let mut c = core.store.conn().await?;
    store::by_code(&mut c, code)
        .await?
        .filter(|d| !client.is_empty() && d.handled_by == client)
        .ok_or(ServiceError::NotFound)
}

/// Dossier `code` as forwarded to `client`'s system, with its files.
pub async fn forwarded(
    core: &Core,
    client: &str,
    code: &str,
) -> Result<(DossierRow, Vec<FileRow>)> {
    let d = handled(core, client, code).await?;
    let mut c = core.store.conn().await?;
    let files = crate::store::files::of_draft(&mut c, d.draft_id).await?;
    Ok((d, files))
}

/// A file of dossier `code` forwarded to `client`'s system.
pub async fn file(
    core: &Core,
    client: &str,
    code: &str,
    file_id: i64,
) -> Result<(FileRow, Vec<u8>)> {
    let d = handled(core, client, code).await?;
    crate::files::of_dossier_draft(core, d.draft_id, file_id).await
}

/// A specialized system's answer.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ForwardedAnswer)]
pub struct Answer {
    /// One of [`ANSWERS`]: 2 accepted, 3 not accepted, 4 processing,
    /// 8 stopped, 9 done, 10 result returned.
    #[schema(minimum = 2, maximum = 10)]
    pub status: i64,
    /// What the applicant reads (a reason, what was done).
    #[serde(default)]
    pub note: String,
    /// A new appointment (RFC 3339).
    #[serde(default)]
    #[schema(format = DateTime)]
    pub appointment_at: Option<String>,
}

/// Applies `client`'s system's answer to dossier `code`: the status, the
/// timeline entry in the name of `agency_name` (the system's agency), the
/// applicant's notification and mail, the `dossier.<kind>` event, the
/// audit record — one transaction. A dossier already closed (refused,
/// withdrawn, stopped, returned) is a conflict; the same status again
/// changes nothing (a retried answer).
pub async fn answer(
    core: &Core,
    origin: &Origin,
    client: &str,
    agency_name: &str,
    code: &str,
    a: &Answer,
    now: Millis,
) -> Result<bool> {
    let Some((to, kind)) = ANSWERS.iter().copied().find(|(s, _)| *s == a.status) else {
        return Err(ServiceError::field("status", "dossiers.route_error_status"));
    };
    if a.note.chars().count() > 4000 || a.note.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ServiceError::field("note", "dossiers.sync_error_text"));
    }
    let appointment = a
        .appointment_at
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| crate::sync::parse_time(s, "appointment_at"))
        .transpose()?;
    let d = handled(core, client, code).await?;
    if d.status == to {
        return Ok(false);
    }
    if !OPEN.contains(&d.status) {
        return Err(ServiceError::Conflict("dossiers.route_error_closed"));
    }
    let mut tx = core.store.begin().await?;
    let ch = crate::progress::Change {
        kind,
        from: OPEN,
        to,
        actor: agency_name,
        note: a.note.trim(),
        appointment_at: appointment.map(Some),
        category: "progress",
        data: json!({ "handled_by": client }),
    };
    if !crate::progress::change(&mut tx, core, &d, &ch, now).await? {
        return Err(ServiceError::Conflict("error.conflict"));
    }
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "dossier.forwarded_answer",
        &format!("dossier:{code}"),
        &json!({"client": client, "status": to}).to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// A result document from `client`'s system for dossier `code`: kept in
/// the applicant's document store (downloadable from the dossier's page),
/// a timeline entry and the applicant's notification. The same content
/// twice is kept once. Returns whether it was new.
#[allow(clippy::too_many_arguments)]
pub async fn add_result(
    core: &Core,
    origin: &Origin,
    client: &str,
    agency_name: &str,
    code: &str,
    title: &str,
    file_name: &str,
    data: &[u8],
    now: Millis,
) -> Result<bool> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 300 || title.chars().any(char::is_control) {
        return Err(ServiceError::field("title", "dossiers.sync_error_text"));
    }
    let file_name: String = file_name
        .trim()
        .chars()
        .filter(|c| !c.is_control() && !"/\\\"".contains(*c))
        .take(200)
        .collect();
    if file_name.is_empty() {
        return Err(ServiceError::field("file_name", "dossiers.sync_error_text"));
    }
    if data.is_empty() || data.len() > MAX_RESULT_BYTES {
        return Err(ServiceError::field("content", "dossiers.route_error_size"));
    }
    let Some(content_type) = crate::files::kind_of(data) else {
        return Err(ServiceError::field("content", "dossiers.route_error_type"));
    };
    let d = handled(core, client, code).await?;
    let mut tx = core.store.begin().await?;
    let sha256 = motcua_kernel::blobs::store(core, &mut tx, content_type, data, now).await?;
    let new = crate::documents::keep(
        &mut tx,
        &crate::documents::Keep {
            account_id: d.account_id,
            kind: crate::documents::RESULT,
            title,
            file_name: &file_name,
            content_type,
            size: data.len() as i64,
            sha256: &sha256,
            dossier_code: code,
        },
        now,
    )
    .await?;
    if new {
        store::add_event(
            &mut tx,
            d.id,
            &store::EventRow {
                at: now,
                status: d.status,
                actor: agency_name.to_string(),
                note: title.to_string(),
            },
        )
        .await?;
        let link = format!("/account/dossiers/{code}");
        crate::store::notifications::insert(
            &mut tx,
            d.account_id,
            "dossier.result_added",
            code,
            &link,
            now,
        )
        .await?;
        motcua_store::audit::append(
            &mut tx,
            &origin.audit,
            "dossier.forwarded_result",
            &format!("dossier:{code}"),
            &json!({"client": client, "sha256": sha256, "size": data.len()}).to_string(),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(new)
}

/// The result documents of the holder's dossier `code` (a forwarded
/// dossier's results live in the holder's document store).
pub async fn results(
    core: &Core,
    account_id: i64,
    code: &str,
) -> Result<Vec<crate::documents::DocumentRow>> {
    let mut c = core.store.conn().await?;
    Ok(documents_store::of_dossier(&mut c, account_id, code, crate::documents::RESULT).await?)
}
