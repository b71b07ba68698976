//! Dossiers pushed by provincial one-stop systems (issue #12 §2, R-PS-15;
//! PUBLIC-SERVICES §3): a dossier received at a province's counter or on
//! its own portal is pushed here — created, updated, its progress entries
//! appended — so that its applicant sees every dossier in one place,
//! whatever the channel, in "my dossiers", the public lookup and the
//! notification inbox.
//!
//! The pushing system is the authority on its dossier: what it sends
//! replaces what it sent before (statuses may go any way). Only the system
//! that pushed a dossier may change or read it back; a code already held
//! here (received here, or pushed by another system) is a conflict.
//!
//! The applicant is found by the identity number the system sends
//! (`SoGiayToChuHoSo`: a personal ID or a tax code): the caller resolves
//! it to an account; where none exists yet, a keyed hash of the number is
//! kept and the dossier is given to the account that later holds it
//! ([`adopt`]). The number itself is not stored.
use crate::store::dossiers::{self as store, DossierRow, EventRow};
use crate::store::notifications;
use motcua_domain::Millis;
use motcua_kernel::service::{Origin, Result, ServiceError};
use motcua_kernel::Core;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

/// At most this many progress entries, documents, fees or results in one
/// push.
pub const MAX_ITEMS: usize = 200;

/// A dossier as a one-stop system pushes it (the national field in
/// brackets; docs/INTEROP.md maps every one).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PushedDossier)]
pub struct Pushed {
    /// The procedure's code in the national catalog (`MaTTHC`).
    pub procedure: String,
    /// The agency that received it, a catalog agency code at or under the
    /// pushing system's agency.
    pub agency: String,
    /// 1 in person, 2 online, 3 public postal (`KenhThucHien`).
    #[schema(minimum = 1, maximum = 3)]
    pub channel: i64,
    /// The applicant (`ChuHoSo`).
    #[schema(min_length = 1, max_length = 200)]
    pub applicant_name: String,
    /// The applicant's personal ID or tax code (`SoGiayToChuHoSo`).
    #[schema(pattern = "^[A-Za-z0-9][A-Za-z0-9-]{4,18}[A-Za-z0-9]$")]
    pub applicant_id: String,
    /// RFC 3339 (`NgayTiepNhan`).
    #[schema(format = DateTime)]
    pub received_at: String,
    /// RFC 3339 (`NgayHenTra`).
    #[serde(default)]
    #[schema(format = DateTime)]
    pub appointment_at: Option<String>,
    /// The national status, 1–10 (`TrangThaiHoSo`).
    #[schema(minimum = 1, maximum = 10)]
    pub status: i64,
    /// RFC 3339 (`NgayTra`).
    #[serde(default)]
    #[schema(format = DateTime)]
    pub returned_at: Option<String>,
    /// RFC 3339 (`NgayTuChoi`).
    #[serde(default)]
    #[schema(format = DateTime)]
    pub refused_at: Option<String>,
    /// `HoSoCoThanhPhanSoHoa`.
    #[serde(default)]
    pub digitized: bool,
    /// `TaiKhoanDuocXacThucVoiVNeID`.
    #[serde(default)]
    pub eid_verified: bool,
    /// `DuocThanhToanTrucTuyen`.
    #[serde(default)]
    pub paid_online: bool,
    /// `TaiLieuNop`.
    #[serde(default)]
    #[schema(max_items = 200)]
    pub documents: Vec<Document>,
    #[serde(default)]
    #[schema(max_items = 200)]
    pub fees: Vec<Fee>,
    #[serde(default)]
    #[schema(max_items = 200)]
    pub results: Vec<ResultDoc>,
    /// Appended to the timeline; an entry already recorded is skipped.
    #[serde(default)]
    #[schema(max_items = 200)]
    pub progress: Vec<Entry>,
}

/// A document submitted (`TaiLieuNop[]`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PushedDocument)]
pub struct Document {
    /// `MaThanhPhanHoSo`.
    pub code: String,
    /// `DuocSoHoa`.
    #[serde(default)]
    pub digitized: bool,
    /// `DuocTaiSuDung`.
    #[serde(default)]
    pub reused: bool,
}

/// A fee or charge, in đồng.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PushedFee)]
pub struct Fee {
    pub name: String,
    #[schema(minimum = 0, maximum = 10_000_000_000_i64)]
    pub amount: i64,
    #[serde(default)]
    pub paid: bool,
}

/// A result issued (its number and date; the document stays with the
/// province).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PushedResult)]
pub struct ResultDoc {
    pub title: String,
    #[serde(default)]
    pub number: String,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub issued_at: String,
}

/// A progress entry (`QuaTrinhXuLy`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ProgressEntry)]
pub struct Entry {
    /// `NguoiXuLy`.
    pub handler: String,
    /// `ChucDanh`.
    #[serde(default)]
    pub position: String,
    /// `PhongBanXuLy`.
    #[serde(default)]
    pub department: String,
    /// RFC 3339 (`ThoiDiemXuLy`).
    #[schema(format = DateTime)]
    pub at: String,
    /// `NoiDungXuLy`.
    #[serde(default)]
    pub content: String,
    /// The status after this step, 1–10 (`TrangThai`).
    #[schema(minimum = 1, maximum = 10)]
    pub status: i64,
    /// RFC 3339 (`NgayBatDau`).
    #[serde(default)]
    #[schema(format = DateTime)]
    pub started_at: Option<String>,
    /// RFC 3339 (`NgayKetThucTheoQuyDinh`).
    #[serde(default)]
    #[schema(format = DateTime)]
    pub due_at: Option<String>,
}

/// Who pushes: the system client and the agency it acts for.
#[derive(Debug, Clone)]
pub struct Pusher<'a> {
    pub client_id: &'a str,
    pub agency: &'a str,
}

/// What a push did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub created: bool,
    /// Progress entries added to the timeline.
    pub appended: usize,
}

/// A pushed dossier as its system reads it back.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = SyncedDossier)]
pub struct View {
    pub code: String,
    pub procedure: String,
    pub agency: String,
    pub channel: i64,
    pub status: i64,
    pub received_at: String,
    pub appointment_at: Option<String>,
    /// Whether the applicant has an account here (sees it).
    pub applicant_has_account: bool,
    pub updated_at: String,
    /// Timeline entries recorded.
    pub entries: usize,
}

fn rfc3339(at: Millis) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// Parses an RFC 3339 time into milliseconds.
pub fn parse_time(s: &str, field: &'static str) -> Result<Millis> {
    let t = time::OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339)
        .map_err(|_| ServiceError::field(field, "dossiers.sync_error_time"))?;
    let ms = t.unix_timestamp_nanos() / 1_000_000;
    // 2000-01-01 .. 2100-01-01: a date outside is a mistake.
    if !(946_684_800_000..4_102_444_800_000).contains(&ms) {
        return Err(ServiceError::field(field, "dossiers.sync_error_time"));
    }
    Ok(ms as Millis)
}

fn opt_time(s: &Option<String>, field: &'static str) -> Result<Option<Millis>> {
    s.as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| parse_time(s, field))
        .transpose()
}

/// Text a person reads: trimmed, no control characters, 1..=max
/// characters (0..=max when `optional`).
fn text(s: &str, max: usize, optional: bool, field: &'static str) -> Result<String> {
    let t = s.trim();
    let n = t.chars().count();
    if (n == 0 && !optional) || n > max || t.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ServiceError::field(field, "dossiers.sync_error_text"));
    }
    Ok(t.to_string())
}

/// A personal ID (9 or 12 digits), a tax code (10 digits, or 10-3) or
/// another document number (6–20 letters and digits); upper-cased.
pub fn identity_number(s: &str) -> Result<String> {
    let t = s.trim().to_ascii_uppercase();
    let ok = (6..=20).contains(&t.len())
        && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !t.starts_with('-')
        && !t.ends_with('-');
    if !ok {
        return Err(ServiceError::field(
            "applicant_id",
            "dossiers.sync_error_applicant_id",
        ));
    }
    Ok(t)
}

/// The keyed hash under which a pushed dossier waits for the account that
/// holds identity number `n` (see [`adopt`]).
pub fn holder_key(core: &Core, n: &str) -> String {
    motcua_kernel::service::keyed_code(core, b"dossier-holder:", n, 32)
}

/// A checked push: the row to keep and the entries to append.
struct Checked {
    row: DossierRow,
    entries: Vec<EventRow>,
}

/// A progress entry as the timeline shows it: who (name, position,
/// department), when, what, and the date the step is due by.
fn check_entry(e: &Entry) -> Result<EventRow> {
    if !(1..=10).contains(&e.status) {
        return Err(ServiceError::field(
            "progress",
            "dossiers.sync_error_status",
        ));
    }
    let handler = text(&e.handler, 200, false, "progress")?;
    let position = text(&e.position, 200, true, "progress")?;
    let department = text(&e.department, 200, true, "progress")?;
    let actor = [handler, position, department]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    let mut note = text(&e.content, 2000, true, "progress")?;
    opt_time(&e.started_at, "progress")?;
    if let Some(d) = opt_time(&e.due_at, "progress")? {
        if !note.is_empty() {
            note.push('\n');
        }
        note.push_str(&format!("→ {}", motcua_domain::clock::format_vn(d)));
    }
    Ok(EventRow {
        at: parse_time(&e.at, "progress")?,
        status: e.status,
        actor,
        note,
    })
}

async fn check(
    core: &Core,
    who: &Pusher<'_>,
    code: &str,
    p: &Pushed,
    account_id: i64,
    now: Millis,
) -> Result<Checked> {
    if !crate::code::plausible(code) || code.len() < 8 {
        return Err(ServiceError::field("code", "dossiers.sync_error_code"));
    }
    let Some(entry) = motcua_catalog::queries::procedure(core, p.procedure.trim()).await? else {
        return Err(ServiceError::field(
            "procedure",
            "dossiers.sync_error_procedure",
        ));
    };
    let Some(agency) = motcua_catalog::queries::agency(core, p.agency.trim()).await? else {
        return Err(ServiceError::field("agency", "dossiers.sync_error_agency"));
    };
    if !motcua_catalog::queries::within(core, who.agency, &agency.code).await? {
        return Err(ServiceError::Forbidden);
    }
    if !(1..=3).contains(&p.channel) {
        return Err(ServiceError::field(
            "channel",
            "dossiers.sync_error_channel",
        ));
    }
    if !(1..=10).contains(&p.status) {
        return Err(ServiceError::field("status", "dossiers.sync_error_status"));
    }
    let applicant_name = text(&p.applicant_name, 200, false, "applicant_name")?;
    identity_number(&p.applicant_id)?;
    let received_at = parse_time(&p.received_at, "received_at")?;
    if received_at > now + motcua_domain::DAY {
        return Err(ServiceError::field(
            "received_at",
            "dossiers.sync_error_future",
        ));
    }
    let appointment_at = opt_time(&p.appointment_at, "appointment_at")?;
    if appointment_at.is_some_and(|a| a < received_at) {
        return Err(ServiceError::field(
            "appointment_at",
            "dossiers.sync_error_appointment",
        ));
    }
    let returned_at = opt_time(&p.returned_at, "returned_at")?;
    let refused_at = opt_time(&p.refused_at, "refused_at")?;
    if p.documents.len() > MAX_ITEMS
        || p.fees.len() > MAX_ITEMS
        || p.results.len() > MAX_ITEMS
        || p.progress.len() > MAX_ITEMS
    {
        return Err(ServiceError::invalid("dossiers.sync_error_items"));
    }
    let mut documents = Vec::with_capacity(p.documents.len());
    for d in &p.documents {
        documents.push(json!({
            "code": text(&d.code, 100, false, "documents")?,
            "digitized": d.digitized,
            "reused": d.reused,
        }));
    }
    let mut fees = Vec::with_capacity(p.fees.len());
    for f in &p.fees {
        if !(0..=10_000_000_000).contains(&f.amount) {
            return Err(ServiceError::field("fees", "dossiers.sync_error_amount"));
        }
        fees.push(json!({
            "name": text(&f.name, 200, false, "fees")?,
            "amount": f.amount,
            "paid": f.paid,
        }));
    }
    let mut results = Vec::with_capacity(p.results.len());
    for r in &p.results {
        results.push(json!({
            "title": text(&r.title, 300, false, "results")?,
            "number": text(&r.number, 100, true, "results")?,
            "issued_at": parse_time(&r.issued_at, "results")?,
        }));
    }
    let mut entries = p
        .progress
        .iter()
        .map(check_entry)
        .collect::<Result<Vec<_>>>()?;
    entries.sort_by_key(|e| e.at);
    let data = json!({
        "pushed": true,
        "documents": documents,
        "fees": fees,
        "results": results,
        "digitized": p.digitized,
        "eid_verified": p.eid_verified,
        "paid_online": p.paid_online,
        "returned_at": returned_at,
        "refused_at": refused_at,
    })
    .to_string();
    let digest = hex::encode(Sha256::digest(data.as_bytes()));
    let row = DossierRow {
        id: 0,
        code: code.to_string(),
        draft_id: 0,
        account_id,
        contact_email: String::new(),
        locale: "vi".into(),
        applicant_name,
        procedure_code: entry.record.code.clone(),
        procedure_version: entry.version,
        procedure_name: entry.record.name.clone(),
        case_code: String::new(),
        form_id: 0,
        agency_code: agency.code.clone(),
        agency_name: agency.name.clone(),
        channel: p.channel,
        status: p.status,
        submitted_at: received_at,
        received_at,
        appointment_at,
        time_amount: 0,
        time_unit: String::new(),
        updated_at: now,
        digest,
        data,
        origin: who.client_id.to_string(),
        handled_by: String::new(),
    };
    Ok(Checked { row, entries })
}

/// Creates or replaces dossier `code` as `who` pushes it; `account_id`
/// is the account holding the applicant's identity number (0: none yet).
/// Appends the progress entries not recorded yet, tells the applicant
/// (their inbox) when the status changed or entries were added, and
/// audits the change — all in one transaction.
pub async fn push(
    core: &Core,
    origin: &Origin,
    who: &Pusher<'_>,
    code: &str,
    p: &Pushed,
    account_id: i64,
    now: Millis,
) -> Result<Outcome> {
    let Checked { mut row, entries } = check(core, who, code, p, account_id, now).await?;
    let key = holder_key(core, &identity_number(&p.applicant_id)?);
    let mut tx = core.store.begin().await?;
    let existing = store::by_code(&mut tx, code).await?;
    let (id, created, status_before, holder) = match existing {
        Some(d) if d.origin != who.client_id => {
            return Err(ServiceError::Conflict("dossiers.sync_error_taken"));
        }
        Some(d) => {
            store::update_pushed(&mut tx, d.id, &row, &key).await?;
            let holder = if d.account_id == 0 {
                account_id
            } else {
                d.account_id
            };
            (d.id, false, d.status, holder)
        }
        None => {
            // A pushed dossier has no draft: a negative number no draft
            // has keeps the column's uniqueness.
            let mut raw = [0u8; 8];
            rand::Rng::fill_bytes(&mut rand::rng(), &mut raw);
            row.draft_id = -i64::from_le_bytes(raw).saturating_abs().max(1);
            let id = store::insert_pushed(&mut tx, &row, &key).await?;
            (id, true, 0, account_id)
        }
    };
    let agency_name = row.agency_name.clone();
    let outcome = record(
        &mut tx,
        origin,
        who,
        Step {
            code,
            id,
            created,
            before: status_before,
            status: p.status,
            holder,
            agency_name: &agency_name,
        },
        &entries,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Appends progress entries to dossier `code` pushed by `who`; the
/// dossier takes the status of the newest entry.
pub async fn append(
    core: &Core,
    origin: &Origin,
    who: &Pusher<'_>,
    code: &str,
    entries: &[Entry],
    now: Millis,
) -> Result<Outcome> {
    if entries.is_empty() || entries.len() > MAX_ITEMS {
        return Err(ServiceError::field("progress", "dossiers.sync_error_items"));
    }
    let mut rows = entries
        .iter()
        .map(check_entry)
        .collect::<Result<Vec<_>>>()?;
    rows.sort_by_key(|e| e.at);
    let mut tx = core.store.begin().await?;
    let Some(d) = store::by_code(&mut tx, code)
        .await?
        .filter(|d| d.origin == who.client_id)
    else {
        return Err(ServiceError::NotFound);
    };
    let status = rows.last().map_or(d.status, |e| e.status);
    if status != d.status {
        store::set_status(&mut tx, d.id, &[d.status], status, now).await?;
    }
    let outcome = record(
        &mut tx,
        origin,
        who,
        Step {
            code,
            id: d.id,
            created: false,
            before: d.status,
            status,
            holder: d.account_id,
            agency_name: &d.agency_name,
        },
        &rows,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(outcome)
}

/// One push's change to a dossier, for [`record`].
struct Step<'a> {
    code: &'a str,
    id: i64,
    created: bool,
    before: i64,
    status: i64,
    /// The applicant's account (0: none yet).
    holder: i64,
    agency_name: &'a str,
}

/// Appends the entries not recorded yet (the same time, status, actor and
/// note), a timeline entry for a status no entry carries, the applicant's
/// notification, and the audit record, in the caller's transaction.
async fn record(
    tx: &mut motcua_store::AnyConnection,
    origin: &Origin,
    who: &Pusher<'_>,
    s: Step<'_>,
    entries: &[EventRow],
    now: Millis,
) -> Result<Outcome> {
    let known = if s.created {
        Vec::new()
    } else {
        store::events(tx, s.id).await?
    };
    let mut added: Vec<&EventRow> = Vec::new();
    for e in entries {
        if known.contains(e) || added.contains(&e) {
            continue;
        }
        store::add_event(tx, s.id, e).await?;
        added.push(e);
    }
    let changed = s.created || s.status != s.before;
    if changed && !entries.iter().any(|e| e.status == s.status) {
        store::add_event(
            tx,
            s.id,
            &EventRow {
                at: now,
                status: s.status,
                actor: s.agency_name.to_string(),
                note: String::new(),
            },
        )
        .await?;
    }
    if s.holder > 0 && (changed || !added.is_empty()) {
        let link = format!("/account/dossiers/{}", s.code);
        notifications::insert(tx, s.holder, "dossier.synced", s.code, &link, now).await?;
    }
    motcua_store::audit::append(
        tx,
        &origin.audit,
        if s.created {
            "dossier.pushed"
        } else {
            "dossier.push_updated"
        },
        &format!("dossier:{}", s.code),
        &json!({"client": who.client_id, "status": s.status, "entries": added.len()}).to_string(),
        now,
    )
    .await?;
    Ok(Outcome {
        created: s.created,
        appended: added.len(),
    })
}

/// Dossier `code` as the system that pushed it reads it back.
pub async fn view(core: &Core, client_id: &str, code: &str) -> Result<View> {
    if !crate::code::plausible(code) {
        return Err(ServiceError::NotFound);
    }
    let mut c = core.store.conn().await?;
    let d = store::by_code(&mut c, code)
        .await?
        .filter(|d| d.origin == client_id)
        .ok_or(ServiceError::NotFound)?;
    let entries = store::events(&mut c, d.id).await?.len();
    Ok(View {
        code: d.code,
        procedure: d.procedure_code,
        agency: d.agency_code,
        channel: d.channel,
        status: d.status,
        received_at: rfc3339(d.received_at),
        appointment_at: d.appointment_at.map(rfc3339),
        applicant_has_account: d.account_id > 0,
        updated_at: rfc3339(d.updated_at),
        entries,
    })
}

/// Gives `account_id` the pushed dossiers that waited for the holder of
/// one of `numbers` (the account's own personal ID and tax code, as the
/// identity context verified them); how many.
pub async fn adopt(core: &Core, account_id: i64, numbers: &[&str]) -> Result<u64> {
    let keys: Vec<String> = numbers
        .iter()
        .filter_map(|n| identity_number(n).ok())
        .map(|n| holder_key(core, &n))
        .collect();
    if keys.is_empty() {
        return Ok(0);
    }
    let mut c = core.store.conn().await?;
    Ok(store::adopt(&mut c, account_id, &keys).await?)
}

/// What a pushed dossier carries beyond the columns (for its page).
#[derive(Debug, Clone, Default)]
pub struct Extra {
    pub documents: Vec<(String, bool, bool)>,
    pub fees: Vec<(String, i64, bool)>,
    /// (title, number, issued at).
    pub results: Vec<(String, String, Millis)>,
}

/// What a push keeps beyond the columns (`data`), as stored.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Stored {
    documents: Vec<Document>,
    fees: Vec<Fee>,
    results: Vec<StoredResult>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StoredResult {
    title: String,
    number: String,
    issued_at: Millis,
}

/// The documents, fees and results of pushed dossier `d`.
pub fn extra(d: &DossierRow) -> Extra {
    let s: Stored = serde_json::from_str(&d.data).unwrap_or_default();
    Extra {
        documents: s
            .documents
            .into_iter()
            .map(|x| (x.code, x.digitized, x.reused))
            .collect(),
        fees: s
            .fees
            .into_iter()
            .map(|f| (f.name, f.amount, f.paid))
            .collect(),
        results: s
            .results
            .into_iter()
            .map(|r| (r.title, r.number, r.issued_at))
            .collect(),
    }
}
