//! The forms' use cases: read the published form of a procedure case,
//! author a new version (checked before it is stored), publish it, seed
//! the demo's forms. Every change is audited.
use crate::definition::{self, Definition, Problem};
use crate::store::forms::{self as store, FormRow};
use motcua_kernel::service::{Origin, Result, ServiceError};
use motcua_kernel::Core;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

/// A stored version with its definition read.
#[derive(Debug, Clone)]
pub struct Form {
    pub row: FormRow,
    pub definition: Definition,
}

fn form(row: FormRow) -> Result<Form> {
    let definition = definition::parse(&row.definition)
        .map_err(|_| ServiceError::Internal(format!("form {} unreadable", row.id)))?;
    Ok(Form { row, definition })
}

/// A procedure code as the catalog writes it (`1.001193`, `2.002621.H56`).
pub fn is_procedure_code(s: &str) -> bool {
    !s.is_empty() && s.len() <= 40 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.')
}

/// A case's name: at most 500 characters, no control character.
pub fn is_case(s: &str) -> bool {
    s.chars().count() <= 500 && !s.chars().any(char::is_control)
}

/// The compiled schema of a form version. A version never changes, so
/// the validator is compiled once per version and kept (at most 1,000).
pub fn validator(f: &Form) -> Result<Arc<jsonschema::Validator>> {
    static CACHE: OnceLock<Mutex<HashMap<i64, Arc<jsonschema::Validator>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(v) = cache.lock().ok().and_then(|c| c.get(&f.row.id).cloned()) {
        return Ok(v);
    }
    let v =
        Arc::new(crate::validate::compile(&f.definition.schema).map_err(ServiceError::Internal)?);
    if let Ok(mut c) = cache.lock() {
        if c.len() >= 1000 {
            c.clear();
        }
        c.insert(f.row.id, v.clone());
    }
    Ok(v)
}

/// The published forms of a procedure, one per case (`""` first).
pub async fn published(core: &Core, procedure: &str) -> Result<Vec<Form>> {
    if !is_procedure_code(procedure) {
        return Ok(Vec::new());
    }
    let mut c = core.store.conn().await?;
    store::published(&mut c, procedure)
        .await?
        .into_iter()
        .map(form)
        .collect()
}

pub async fn by_id(core: &Core, id: i64) -> Result<Option<Form>> {
    let mut c = core.store.conn().await?;
    store::by_id(&mut c, id).await?.map(form).transpose()
}

pub async fn version(
    core: &Core,
    procedure: &str,
    case: &str,
    version: i64,
) -> Result<Option<Form>> {
    if !is_procedure_code(procedure) || !is_case(case) {
        return Ok(None);
    }
    let mut c = core.store.conn().await?;
    store::get(&mut c, procedure, case, version)
        .await?
        .map(form)
        .transpose()
}

/// Every version of a procedure's forms, by case, newest first.
pub async fn versions(core: &Core, procedure: &str) -> Result<Vec<FormRow>> {
    if !is_procedure_code(procedure) {
        return Ok(Vec::new());
    }
    let mut c = core.store.conn().await?;
    Ok(store::versions(&mut c, procedure).await?)
}

/// Which of `codes` have a published form.
pub async fn with_published(core: &Core, codes: &[String]) -> Result<BTreeSet<String>> {
    let mut c = core.store.conn().await?;
    Ok(store::with_published(&mut c, codes)
        .await?
        .into_iter()
        .collect())
}

/// Stores an operator's definition as the next draft version of the
/// (procedure, case) form after checking it; the problems otherwise.
pub async fn save_draft(
    core: &Core,
    origin: &Origin,
    procedure: &str,
    case: &str,
    json: &str,
) -> Result<std::result::Result<i64, Vec<Problem>>> {
    if !is_procedure_code(procedure) || !is_case(case) {
        return Err(ServiceError::NotFound);
    }
    let d = match definition::parse(json) {
        Ok(d) => d,
        Err(p) => return Ok(Err(p)),
    };
    let problems = definition::check(&d);
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    let text = serde_json::to_string(&d).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let now = core.now();
    let mut tx = core.store.begin().await?;
    let (_, version) = store::insert(
        &mut tx,
        procedure,
        case,
        &d.title.vi,
        &text,
        &origin.audit.actor,
        now,
    )
    .await?;
    let detail = serde_json::json!({ "procedure": procedure, "case": case, "version": version });
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "forms.draft",
        &format!("form:{procedure}"),
        &detail.to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(version))
}

/// Publishes a draft version; the version published before is retired
/// (drafts and dossiers filed under it keep reading it).
pub async fn publish(
    core: &Core,
    origin: &Origin,
    procedure: &str,
    case: &str,
    version: i64,
) -> Result<()> {
    if !is_procedure_code(procedure) || !is_case(case) {
        return Err(ServiceError::NotFound);
    }
    let now = core.now();
    let mut tx = core.store.begin().await?;
    if store::get(&mut tx, procedure, case, version)
        .await?
        .is_none()
    {
        return Err(ServiceError::NotFound);
    }
    if !store::publish(&mut tx, procedure, case, version, now).await? {
        return Err(ServiceError::Conflict("forms.error_not_draft"));
    }
    let detail = serde_json::json!({ "procedure": procedure, "case": case, "version": version });
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "forms.publish",
        &format!("form:{procedure}"),
        &detail.to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// One procedure the demo seeds a form for.
pub struct SeedProcedure {
    pub code: String,
    pub name: String,
    pub cases: Vec<String>,
    pub business: bool,
}

/// Gives every procedure of `procedures` that has no form yet a published
/// one: the hand-written form where there is one, the generic otherwise.
/// How many were created.
pub async fn seed(core: &Core, origin: &Origin, procedures: &[SeedProcedure]) -> Result<usize> {
    let specific = crate::seed::specific();
    let codes: Vec<String> = procedures.iter().map(|p| p.code.clone()).collect();
    let mut c = core.store.conn().await?;
    let have: BTreeSet<String> = {
        let mut all = BTreeSet::new();
        for code in &codes {
            if !store::versions(&mut c, code).await?.is_empty() {
                all.insert(code.clone());
            }
        }
        all
    };
    drop(c);
    let mut made = 0;
    for p in procedures.iter().filter(|p| !have.contains(&p.code)) {
        let d = specific
            .get(&p.code)
            .cloned()
            .unwrap_or_else(|| crate::seed::generic(&p.name, &p.cases, p.business));
        let json = serde_json::to_string(&d).map_err(|e| ServiceError::Internal(e.to_string()))?;
        match save_draft(core, origin, &p.code, "", &json).await? {
            Ok(version) => publish(core, origin, &p.code, "", version).await?,
            Err(problems) => {
                return Err(ServiceError::Internal(format!(
                    "seed form of {} is wrong: {problems:?}",
                    p.code
                )))
            }
        }
        made += 1;
    }
    Ok(made)
}
