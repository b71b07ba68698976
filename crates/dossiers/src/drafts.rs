//! A person's drafts (R-PS-3, R-PS-14): started from a procedure's
//! published form with the person's consented data filled in, saved on
//! every page (answers that fail validation are kept too: nothing typed
//! is lost), resumable from any device, moved to a newer form version
//! with the answers carried over, and expired after `Rules::draft_days`
//! with a reminder before.
use crate::store::drafts::{self as store, DraftRow};
use crate::Rules;
use motcua_forms::answers::{self, Posted, RowAction};
use motcua_forms::service::Form;
use motcua_forms::validate::FieldError;
use motcua_kernel::service::{Origin, Result, ServiceError};
use motcua_kernel::Core;
use rand::Rng;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// A draft as its holder works on it.
#[derive(Debug, Clone)]
pub struct Draft {
    pub row: DraftRow,
    pub form: Form,
    pub answers: Map<String, Value>,
    /// The fields filled from the person's data.
    pub prefilled: Vec<String>,
}

impl Draft {
    pub fn public_id(&self) -> &str {
        &self.row.public_id
    }
}

/// The person behind a request, as the dossiers context needs them.
#[derive(Debug, Clone)]
pub struct Holder {
    pub account_id: i64,
    pub full_name: String,
    pub email: String,
    /// `vi` or `en`.
    pub locale: String,
    /// The assurance level of the session (1–4).
    pub level: i64,
}

fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| ServiceError::Internal(e.to_string()))
}

fn read(row: DraftRow, form: Form) -> Result<Draft> {
    let answers: Map<String, Value> = serde_json::from_str(&row.answers)
        .map_err(|_| ServiceError::Internal(format!("draft {} unreadable", row.id)))?;
    let prefilled: Vec<String> = serde_json::from_str(&row.prefilled).unwrap_or_default();
    Ok(Draft {
        row,
        form,
        answers,
        prefilled,
    })
}

/// A draft's public id: 128 random bits, hex (never guessable, never a
/// row number).
fn public_id() -> String {
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// A string that may be a draft's public id.
pub fn plausible(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The published form for a new dossier of `procedure` (the form of
/// every case, the case being asked inside it).
pub async fn current_form(core: &Core, procedure: &str) -> Result<Option<Form>> {
    let forms = motcua_forms::service::published(core, procedure).await?;
    Ok(forms.into_iter().find(|f| f.row.case_code.is_empty()))
}

/// The answers prefilled from `data` (item → value, what the person
/// consented to reuse): each top-level field whose `prefill` names an
/// item gets it, unless the form's schema finds the value wrong.
pub fn prefill(form: &Form, data: &BTreeMap<String, String>) -> (Map<String, Value>, Vec<String>) {
    let mut out = Map::new();
    for (_, f) in form.definition.fields() {
        if let Some(v) = f.prefill.as_ref().and_then(|src| data.get(src)) {
            out.insert(f.name.clone(), Value::String(v.clone()));
        }
    }
    keep_valid(form, &mut out);
    let names = out.keys().cloned().collect();
    (out, names)
}

/// Drops from `answers` (a partial set of top-level answers offered for
/// prefilling) every one the form's schema finds wrong; a missing answer
/// is not wrong here.
fn keep_valid(form: &Form, answers: &mut Map<String, Value>) {
    if let Ok(v) = motcua_forms::service::validator(form) {
        for e in motcua_forms::validate::raw_errors(&v, answers) {
            if e.keyword != "required" {
                if let Some(name) = e.path.first() {
                    answers.remove(name);
                }
            }
        }
    }
}

/// Starts a draft of `procedure` for `holder` with `data` prefilled; its
/// public id. Refused when the procedure is not offered online, has no
/// form, or the person already has `Rules::max_open_drafts` drafts.
pub async fn start(
    core: &Core,
    origin: &Origin,
    rules: &Rules,
    holder: &Holder,
    procedure: &str,
    data: &BTreeMap<String, String>,
) -> Result<String> {
    let Some(entry) = motcua_catalog::queries::procedure(core, procedure).await? else {
        return Err(ServiceError::NotFound);
    };
    if entry.record.online_level == "none" || entry.record.online_time().is_none() {
        return Err(ServiceError::Conflict("dossiers.error_not_online"));
    }
    let Some(form) = current_form(core, procedure).await? else {
        return Err(ServiceError::Conflict("dossiers.error_no_form"));
    };
    let (answers, prefilled) = prefill(&form, data);
    let now = core.now();
    let row = DraftRow {
        id: 0,
        public_id: public_id(),
        account_id: holder.account_id,
        contact_email: holder.email.clone(),
        locale: holder.locale.clone(),
        procedure_code: entry.record.code.clone(),
        procedure_version: entry.version,
        procedure_name: entry.record.name.clone(),
        form_id: form.row.id,
        step: 0,
        revision: 1,
        status: "open".into(),
        prefilled: json(&prefilled)?,
        created_at: now,
        updated_at: now,
        expires_at: now + rules.draft_days * 86_400_000,
        reminded_at: None,
        dossier_code: None,
        answers: json(&answers)?,
        supplement_of: None,
    };
    let mut tx = core.store.begin().await?;
    // The count and the insert in one transaction on the writer: two
    // starts at once cannot both pass the limit on SQLite (one writer);
    // on PostgreSQL the count is advisory (a few over at most).
    if store::count_open(&mut tx, holder.account_id).await? >= rules.max_open_drafts {
        return Err(ServiceError::Conflict("dossiers.error_too_many_drafts"));
    }
    store::insert(&mut tx, &row).await?;
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "dossiers.draft_start",
        &format!("account:{}", holder.account_id),
        &serde_json::json!({
            "draft": row.public_id,
            "procedure": row.procedure_code,
            "form": form.row.id,
            "prefilled": prefilled,
        })
        .to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(row.public_id)
}

/// Opens (or finds) the draft in which the holder completes dossier
/// `code` after the agency asked for a supplement (status 5): the
/// dossier's answers and files as they were, on its form version, for
/// the usual pages, files and check; its public id.
pub async fn start_supplement(
    core: &Core,
    origin: &Origin,
    rules: &Rules,
    holder: &Holder,
    code: &str,
) -> Result<String> {
    let d = crate::queries::dossier(core, holder.account_id, code)
        .await?
        .dossier;
    if d.status != crate::progress::SUPPLEMENT {
        return Err(ServiceError::Conflict("dossiers.error_no_supplement"));
    }
    let now = core.now();
    let mut tx = core.store.begin().await?;
    if let Some(open) = store::open_supplement(&mut tx, holder.account_id, code).await? {
        return Ok(open.public_id);
    }
    let row = DraftRow {
        id: 0,
        public_id: public_id(),
        account_id: holder.account_id,
        contact_email: holder.email.clone(),
        locale: holder.locale.clone(),
        procedure_code: d.procedure_code.clone(),
        procedure_version: d.procedure_version,
        procedure_name: d.procedure_name.clone(),
        form_id: d.form_id,
        step: 0,
        revision: 1,
        status: "open".into(),
        prefilled: "[]".into(),
        created_at: now,
        updated_at: now,
        expires_at: now + rules.draft_days * 86_400_000,
        reminded_at: None,
        dossier_code: None,
        answers: d.data.clone(),
        supplement_of: Some(code.to_string()),
    };
    let id = match store::insert(&mut tx, &row).await {
        Ok(id) => id,
        Err(e) => {
            // Another request opened it meanwhile (one open supplement
            // draft per dossier): that one is the answer.
            drop(tx);
            let mut c = core.store.conn().await?;
            return match store::open_supplement(&mut c, holder.account_id, code).await? {
                Some(open) => Ok(open.public_id),
                None => Err(e.into()),
            };
        }
    };
    crate::store::files::copy(&mut tx, d.draft_id, id, now).await?;
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "dossiers.supplement_start",
        &format!("dossier:{code}"),
        &serde_json::json!({ "draft": row.public_id }).to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(row.public_id)
}

/// The holder's draft, whatever its status; `NotFound` for anyone else's
/// (the same answer as for a draft that does not exist).
pub async fn get(core: &Core, account_id: i64, public_id: &str) -> Result<Draft> {
    if !plausible(public_id) {
        return Err(ServiceError::NotFound);
    }
    let mut c = core.store.conn().await?;
    let row = store::by_public_id(&mut c, public_id)
        .await?
        .filter(|r| r.account_id == account_id && r.status != "deleted" && r.status != "expired")
        .ok_or(ServiceError::NotFound)?;
    drop(c);
    let form = motcua_forms::service::by_id(core, row.form_id)
        .await?
        .ok_or_else(|| ServiceError::Internal(format!("form {} missing", row.form_id)))?;
    read(row, form)
}

/// What opening a draft found.
#[derive(Debug, Clone)]
pub struct Opened {
    pub draft: Draft,
    /// Set when a newer form version was published since the draft was
    /// last saved: the draft now uses it, and these answers (field names
    /// of the old version) could not be carried over.
    pub moved: Option<Vec<String>>,
}

/// Opens the holder's open draft, moving it to the form version now
/// published when that changed (answers carried over where the new
/// schema allows; the person is told which were not).
pub async fn open(core: &Core, account_id: i64, public_id: &str) -> Result<Opened> {
    let draft = get(core, account_id, public_id).await?;
    if draft.row.status != "open" {
        return Ok(Opened { draft, moved: None });
    }
    let Some(form) = current_form(core, &draft.row.procedure_code).await? else {
        return Ok(Opened { draft, moved: None });
    };
    // A supplement completes the dossier on the form it was made with.
    if form.row.id == draft.row.form_id || draft.row.supplement_of.is_some() {
        return Ok(Opened { draft, moved: None });
    }
    let (kept, dropped) = answers::carry_over(&form.definition, &draft.answers);
    let prefilled: Vec<String> = draft
        .prefilled
        .iter()
        .filter(|n| kept.contains_key(*n))
        .cloned()
        .collect();
    let now = core.now();
    let step = draft
        .row
        .step
        .min(form.definition.steps.len() as i64 - 1)
        .max(0);
    let mut c = core.store.begin().await?;
    let saved = store::save(
        &mut c,
        draft.row.id,
        draft.row.revision,
        form.row.id,
        step,
        &json(&prefilled)?,
        &json(&kept)?,
        now,
        draft.row.expires_at,
    )
    .await?;
    c.commit().await?;
    if !saved {
        // Another device moved it first: read what it wrote.
        return Ok(Opened {
            draft: get(core, account_id, public_id).await?,
            moved: None,
        });
    }
    Ok(Opened {
        draft: get(core, account_id, public_id).await?,
        moved: Some(dropped),
    })
}

/// The result of saving a page.
#[derive(Debug, Clone)]
pub struct Saved {
    pub draft: Draft,
    /// The page's errors (the answers were saved anyway).
    pub errors: Vec<FieldError>,
    /// The draft had been saved elsewhere since this page was shown: this
    /// page's answers were applied on top of that save.
    pub stale: bool,
}

/// Saves page `step` of the holder's open draft from `posted`. The
/// answers are stored even when the page has errors; `revision` is the
/// one the page was shown at.
#[allow(clippy::too_many_arguments)]
pub async fn save(
    core: &Core,
    rules: &Rules,
    account_id: i64,
    public_id: &str,
    step: usize,
    revision: i64,
    posted: &Posted,
    action: &RowAction,
) -> Result<Saved> {
    save_page(
        core, rules, account_id, public_id, step, revision, posted, action, true,
    )
    .await
}

/// Saves page `step` as the page's script does while the person types
/// (autosave): like [`save`], but the draft does not count the page as
/// done — resuming still opens it until the person moves on.
pub async fn autosave(
    core: &Core,
    rules: &Rules,
    account_id: i64,
    public_id: &str,
    step: usize,
    revision: i64,
    posted: &Posted,
) -> Result<Saved> {
    save_page(
        core,
        rules,
        account_id,
        public_id,
        step,
        revision,
        posted,
        &RowAction::None,
        false,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn save_page(
    core: &Core,
    rules: &Rules,
    account_id: i64,
    public_id: &str,
    step: usize,
    revision: i64,
    posted: &Posted,
    action: &RowAction,
    advance: bool,
) -> Result<Saved> {
    // A concurrent save of the same draft makes the conditional update
    // miss: read again and apply this page on top, a few times at most.
    for _ in 0..4 {
        let draft = get(core, account_id, public_id).await?;
        if draft.row.status != "open" {
            return Err(ServiceError::Conflict("dossiers.error_draft_closed"));
        }
        let Some(page) = draft.form.definition.steps.get(step) else {
            return Err(ServiceError::NotFound);
        };
        let new = answers::apply(&draft.form.definition, page, &draft.answers, posted, action);
        let validator = motcua_forms::service::validator(&draft.form)?;
        let errors = motcua_forms::validate::errors(
            &draft.form.definition,
            &validator,
            &new,
            Some(step),
            &core.i18n,
            motcua_domain::Locale::parse(&draft.row.locale),
        );
        let reached = if advance && errors.is_empty() && *action == RowAction::None {
            (step as i64 + 1).min(draft.form.definition.steps.len() as i64)
        } else {
            step as i64
        };
        let prefilled: Vec<String> = draft
            .prefilled
            .iter()
            .filter(|n| new.get(*n) == draft.answers.get(*n) && new.contains_key(*n))
            .cloned()
            .collect();
        let now = core.now();
        let mut c = core.store.begin().await?;
        let ok = store::save(
            &mut c,
            draft.row.id,
            draft.row.revision,
            draft.row.form_id,
            draft.row.step.max(reached),
            &json(&prefilled)?,
            &json(&new)?,
            now,
            now + rules.draft_days * 86_400_000,
        )
        .await?;
        c.commit().await?;
        if ok {
            return Ok(Saved {
                draft: get(core, account_id, public_id).await?,
                errors,
                stale: draft.row.revision != revision,
            });
        }
    }
    Err(ServiceError::Conflict("dossiers.error_busy"))
}

/// Deletes the holder's open draft (its answers are erased).
pub async fn delete(core: &Core, origin: &Origin, account_id: i64, public_id: &str) -> Result<()> {
    let draft = get(core, account_id, public_id).await?;
    let now = core.now();
    let mut tx = core.store.begin().await?;
    if !store::close(&mut tx, draft.row.id, None, "deleted", None, now).await? {
        return Err(ServiceError::Conflict("dossiers.error_draft_closed"));
    }
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "dossiers.draft_delete",
        &format!("account:{account_id}"),
        &serde_json::json!({ "draft": public_id }).to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The holder's open drafts, most recently saved first (at most 100).
pub async fn open_drafts(core: &Core, account_id: i64) -> Result<Vec<DraftRow>> {
    let mut c = core.store.conn().await?;
    Ok(store::open_of(&mut c, account_id, 100).await?)
}

/// How long a page posted after the session ended waits for its holder.
pub const PARK_FOR: motcua_domain::Millis = 60 * 60 * 1000;
/// At most this many pages wait at once (parking needs no login).
pub const MAX_PARKED: i64 = 10_000;
/// At most this many bytes of posted fields are parked.
pub const MAX_PARKED_BYTES: usize = 64 * 1024;

/// Keeps page `step` of draft `public_id`, posted by a browser whose
/// session had ended, so that nothing typed is lost: the page is applied
/// when the person logs in again in the same browser ([`restore`]).
/// Nobody's draft changes here; the token to come back with, or `None`
/// when the page cannot be kept (too large, too many waiting).
pub async fn park(
    core: &Core,
    binding_hash: &str,
    public_id: &str,
    step: usize,
    posted: &[(String, String)],
) -> Result<Option<String>> {
    let fields: Vec<&(String, String)> = posted.iter().filter(|(k, _)| k != "csrf").collect();
    let body = json(&fields)?;
    if binding_hash.is_empty() || body.len() > MAX_PARKED_BYTES || public_id.len() > 64 {
        return Ok(None);
    }
    let now = core.now();
    let token = motcua_domain::token::random_token();
    let mut tx = core.store.begin().await?;
    // The cap is checked in the writing transaction (one writer on SQLite).
    if crate::store::parked::count(&mut tx).await? >= MAX_PARKED {
        return Ok(None);
    }
    crate::store::parked::park(
        &mut tx,
        &token,
        binding_hash,
        &crate::store::parked::Parked {
            draft_public_id: public_id.to_string(),
            step: step as i64,
            body,
        },
        now,
        now + PARK_FOR,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(token))
}

/// Applies the page this browser parked under `token` to the holder's
/// draft (the answers on top of the draft as it is now) and forgets it.
/// The draft and the step, or `None` when there is nothing (expired,
/// another browser's, used) — a draft of someone else is `NotFound`.
pub async fn restore(
    core: &Core,
    rules: &Rules,
    account_id: i64,
    binding_hash: &str,
    token: &str,
) -> Result<Option<(String, usize)>> {
    let now = core.now();
    let mut tx = core.store.begin().await?;
    let parked = crate::store::parked::take(&mut tx, token, binding_hash, now).await?;
    tx.commit().await?;
    let Some(p) = parked else {
        return Ok(None);
    };
    let pairs: Vec<(String, String)> = serde_json::from_str(&p.body).unwrap_or_default();
    let posted: Posted = pairs.into_iter().collect();
    let step = usize::try_from(p.step).unwrap_or_default();
    let draft = get(core, account_id, &p.draft_public_id).await?;
    save(
        core,
        rules,
        account_id,
        &p.draft_public_id,
        step,
        draft.row.revision,
        &posted,
        &RowAction::None,
    )
    .await?;
    Ok(Some((p.draft_public_id, step)))
}

/// Fills the holder's open draft from their earlier dossier `code`
/// (R-PS-3 "once only", at the person's request): every field of the
/// form that is still empty takes the dossier's answer of the same name,
/// unless the form's schema finds it wrong. The fields filled (marked as
/// prefilled); the caller logs the reuse.
pub async fn fill_from_dossier(
    core: &Core,
    rules: &Rules,
    account_id: i64,
    public_id: &str,
    code: &str,
) -> Result<Vec<String>> {
    let draft = get(core, account_id, public_id).await?;
    if draft.row.status != "open" {
        return Err(ServiceError::Conflict("dossiers.error_draft_closed"));
    }
    // Someone else's dossier is not found, exactly like none.
    let earlier = crate::queries::dossier(core, account_id, code)
        .await?
        .dossier;
    let old: Map<String, Value> = serde_json::from_str(&earlier.data).unwrap_or_default();
    let empty = |v: Option<&Value>| match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        _ => false,
    };
    let mut candidates = Map::new();
    for (_, f) in draft.form.definition.fields() {
        if empty(draft.answers.get(&f.name)) && !empty(old.get(&f.name)) {
            if let Some(v) = old.get(&f.name) {
                candidates.insert(f.name.clone(), v.clone());
            }
        }
    }
    keep_valid(&draft.form, &mut candidates);
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let filled: Vec<String> = candidates.keys().cloned().collect();
    let mut answers = draft.answers.clone();
    answers.extend(candidates);
    let mut prefilled = draft.prefilled.clone();
    prefilled.extend(filled.iter().cloned());
    let now = core.now();
    let mut tx = core.store.begin().await?;
    let ok = store::save(
        &mut tx,
        draft.row.id,
        draft.row.revision,
        draft.row.form_id,
        draft.row.step,
        &json(&prefilled)?,
        &json(&answers)?,
        now,
        now + rules.draft_days * 86_400_000,
    )
    .await?;
    tx.commit().await?;
    if !ok {
        return Err(ServiceError::Conflict("dossiers.error_draft_changed"));
    }
    Ok(filled)
}
