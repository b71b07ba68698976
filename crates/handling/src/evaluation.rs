//! The applicant's evaluation of how a finished dossier was handled
//! (issue #9 §5; Decree 61/2018, PUBLIC-SERVICES §2): nine indices scored
//! 2/1/0 and the satisfaction on three levels, one evaluation per dossier
//! (result ready or returned), which its applicant may change for
//! [`Rules::evaluation_days`](crate::Rules) after first giving it. Stored
//! per dossier with its agency and procedure for the statistics (#11).
use crate::store::evaluations::{self as store, EvaluationRow};
use motcua_dossiers::progress;
use motcua_kernel::service::{Origin, Result, ServiceError};
use motcua_kernel::Core;

pub use crate::store::evaluations::EvaluationRow as Evaluation;

/// The nine indices, in order: (i18n key).
pub const INDICES: [&str; 9] = [
    "handling.eval_total_time",
    "handling.eval_time_per_agency",
    "handling.eval_contacts",
    "handling.eval_agencies",
    "handling.eval_one_stop",
    "handling.eval_publication",
    "handling.eval_attitude",
    "handling.eval_feedback",
    "handling.eval_online",
];

/// The satisfaction levels: 1 very satisfied, 2 satisfied, 3 not satisfied.
pub const SATISFACTION: [(i64, &str); 3] = [
    (1, "handling.eval_very_satisfied"),
    (2, "handling.eval_satisfied"),
    (3, "handling.eval_not_satisfied"),
];

/// The evaluation of dossier `d` (read by its holder's own query), and
/// whether it may be given or changed now.
pub async fn of_dossier(
    core: &Core,
    rules: &crate::Rules,
    d: &progress::Facts,
) -> Result<(Option<Evaluation>, bool)> {
    let mut c = core.store.conn().await?;
    let e = store::get(&mut c, d.id).await?;
    let open = matches!(d.status, progress::DONE | progress::RETURNED)
        && e.as_ref()
            .is_none_or(|e| core.now() < e.created_at + rules.evaluation_days * motcua_domain::DAY);
    Ok((e, open))
}

/// Gives (or changes) the holder's evaluation of dossier `code`.
pub async fn give(
    core: &Core,
    origin: &Origin,
    rules: &crate::Rules,
    account_id: i64,
    code: &str,
    scores: &[i64],
    satisfaction: i64,
) -> Result<()> {
    if scores.len() != INDICES.len() || scores.iter().any(|s| !(0..=2).contains(s)) {
        return Err(ServiceError::field("scores", "handling.error_scores"));
    }
    if !SATISFACTION.iter().any(|(n, _)| *n == satisfaction) {
        return Err(ServiceError::field(
            "satisfaction",
            "handling.error_satisfaction",
        ));
    }
    let now = core.now();
    let mut tx = core.store.begin().await?;
    let d = progress::facts(&mut tx, code)
        .await?
        .filter(|d| d.account_id == account_id)
        .ok_or(ServiceError::NotFound)?;
    if !matches!(d.status, progress::DONE | progress::RETURNED) {
        return Err(ServiceError::Conflict("handling.error_not_finished"));
    }
    let e = EvaluationRow {
        dossier_id: d.id,
        account_id,
        agency_code: d.agency_code.clone(),
        procedure_code: d.procedure_code.clone(),
        scores: serde_json::to_string(scores).map_err(|e| ServiceError::Internal(e.to_string()))?,
        total: scores.iter().sum(),
        satisfaction,
        created_at: now,
        updated_at: now,
    };
    let before = store::get(&mut tx, d.id).await?;
    let first = store::insert(&mut tx, &e).await?;
    if !first {
        let since = now - rules.evaluation_days * motcua_domain::DAY;
        if !store::update(&mut tx, &e, since).await? {
            return Err(ServiceError::Conflict("handling.error_evaluation_closed"));
        }
    }
    // The statistics' summary: evaluations, their scores and the
    // satisfied, as net changes in this month.
    let was = before.filter(|_| !first);
    let deltas = crate::store::report::evaluated(
        &e.agency_code,
        &e.procedure_code,
        was.as_ref().map(|b| (b.total, b.satisfaction)),
        (e.total, e.satisfaction),
        now,
    );
    crate::store::report::add(&mut tx, &deltas).await?;
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        if first {
            "handling.evaluate"
        } else {
            "handling.evaluation_change"
        },
        &format!("dossier:{code}"),
        &serde_json::json!({ "scores": scores, "satisfaction": satisfaction }).to_string(),
        now,
    )
    .await?;
    motcua_kernel::outbox::emit(
        &mut tx,
        core,
        "dossier.evaluated",
        code,
        serde_json::json!({ "code": code, "agency": d.agency_code, "procedure": d.procedure_code, "scores": scores, "total": e.total, "satisfaction": satisfaction }),
        now,
    )
    .await?;
    tx.commit().await?;
    core.events_notify.notify_one();
    Ok(())
}
