//! Workflows as data: the published workflow of a procedure (or the
//! portal's default, or the standard one), and publication of a new
//! version by the operator — checked first, audited.
use crate::store::workflows::{self as store, WorkflowRow};
use crate::workflow::{Definition, Problem};
use motcua_kernel::service::{Origin, Result, ServiceError};
use motcua_kernel::Core;
use motcua_store::AnyConnection;

/// The workflow a new case of `procedure_code` follows, as (version id,
/// definition): the procedure's published version, else the portal's
/// default (''), else the standard workflow — stored as the default's
/// first version when `write` (the caller is in a write transaction, about
/// to open a case that must name a stored version); otherwise shown
/// without storing (id 0).
pub async fn for_procedure(
    c: &mut AnyConnection,
    procedure_code: &str,
    now: motcua_domain::Millis,
    write: bool,
) -> Result<(i64, Definition)> {
    let row = match store::published(c, procedure_code).await? {
        Some(r) => r,
        None => match store::published(c, "").await? {
            Some(r) => r,
            None if write => {
                let text = serde_json::to_string(&Definition::standard())
                    .map_err(|e| ServiceError::Internal(e.to_string()))?;
                store::publish(c, "", &text, "system", now).await?
            }
            None => return Ok((0, Definition::standard())),
        },
    };
    let d = parse_stored(&row)?;
    Ok((row.id, d))
}

/// The definition of a stored version (it was checked when stored).
pub fn parse_stored(row: &WorkflowRow) -> Result<Definition> {
    serde_json::from_str(&row.definition)
        .map_err(|e| ServiceError::Internal(format!("workflow {}: {e}", row.id)))
}

pub async fn by_id(c: &mut AnyConnection, id: i64) -> Result<(WorkflowRow, Definition)> {
    let row = store::by_id(c, id).await?.ok_or(ServiceError::NotFound)?;
    let d = parse_stored(&row)?;
    Ok((row, d))
}

/// The versions of a procedure's workflow ('' = the default), newest first.
pub async fn versions(core: &Core, procedure_code: &str) -> Result<Vec<WorkflowRow>> {
    let mut c = core.store.conn().await?;
    Ok(store::versions(&mut c, procedure_code).await?)
}

/// Procedures with a workflow of their own, with their newest version.
pub async fn procedures(core: &Core) -> Result<Vec<(String, i64)>> {
    let mut c = core.store.conn().await?;
    Ok(store::procedures(&mut c).await?)
}

/// What publishing came to.
#[derive(Debug)]
pub enum Published {
    Version(i64),
    /// The definition was not kept: what is wrong with it.
    Refused(Vec<Problem>),
}

/// Publishes a new version of `procedure_code`'s workflow ('' = the
/// portal's default) after checking it. Cases already under way keep the
/// version they started with.
pub async fn publish(
    core: &Core,
    origin: &Origin,
    procedure_code: &str,
    text: &str,
) -> Result<Published> {
    let procedure_code = procedure_code.trim();
    if !procedure_code.is_empty()
        && motcua_catalog::queries::procedure(core, procedure_code)
            .await?
            .is_none()
    {
        return Err(ServiceError::NotFound);
    }
    if text.len() > 64 * 1024 {
        return Ok(Published::Refused(vec![Problem {
            key: "handling.workflow_too_long",
            step: String::new(),
        }]));
    }
    let d = match Definition::parse(text) {
        Ok(d) => d,
        Err(p) => return Ok(Published::Refused(p)),
    };
    let canonical =
        serde_json::to_string_pretty(&d).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let now = core.now();
    let mut tx = core.store.begin().await?;
    let row = store::publish(
        &mut tx,
        procedure_code,
        &canonical,
        &origin.audit.actor,
        now,
    )
    .await?;
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "handling.workflow_publish",
        &format!("workflow:{procedure_code}"),
        &serde_json::json!({ "version": row.version, "steps": d.steps.len() }).to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Published::Version(row.version))
}
