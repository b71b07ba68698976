//! What the holder reads: their dossiers (filtered, keyset-paged), one
//! dossier with its timeline, and their notification inbox. Anyone
//! else's dossier is `NotFound`, exactly like a code that does not exist.
pub use crate::store::documents::SignatureRow;
use crate::store::dossiers::{self as store, EventRow};
pub use crate::store::dossiers::{DossierRow, Filter};
use crate::store::notifications::{self, NotificationRow};
use motcua_kernel::service::{Result, ServiceError};
use motcua_kernel::Core;
use motcua_store::keyset::Cursor;

pub const PER_PAGE: i64 = 20;

/// A page of the holder's dossiers and the cursor of the next page.
pub async fn my_dossiers(
    core: &Core,
    account_id: i64,
    filter: &Filter,
    after: Option<Cursor>,
) -> Result<(Vec<DossierRow>, Option<Cursor>)> {
    let mut c = core.store.conn().await?;
    let mut rows = store::of_account(
        &mut c,
        account_id,
        filter,
        after.unwrap_or(Cursor::FIRST_DESC),
        PER_PAGE + 1,
    )
    .await?;
    let next = if rows.len() as i64 > PER_PAGE {
        rows.truncate(PER_PAGE as usize);
        rows.last().map(|r| Cursor {
            key: r.submitted_at,
            id: r.id,
        })
    } else {
        None
    };
    Ok((rows, next))
}

/// One dossier with its timeline.
#[derive(Debug, Clone)]
pub struct DossierView {
    pub dossier: DossierRow,
    pub events: Vec<EventRow>,
    /// The applicant's signature, when the submission was signed.
    pub signature: Option<SignatureRow>,
}

/// The holder's dossier `code`.
pub async fn dossier(core: &Core, account_id: i64, code: &str) -> Result<DossierView> {
    if !crate::code::plausible(code) {
        return Err(ServiceError::NotFound);
    }
    let mut c = core.store.conn().await?;
    let dossier = store::by_code(&mut c, code)
        .await?
        .filter(|d| d.account_id == account_id)
        .ok_or(ServiceError::NotFound)?;
    let events = store::events(&mut c, dossier.id).await?;
    let signature = crate::store::documents::signature(&mut c, dossier.id).await?;
    Ok(DossierView {
        dossier,
        events,
        signature,
    })
}

/// The holder's newest notifications (before id `before`), 30 a page.
pub async fn inbox(
    core: &Core,
    account_id: i64,
    before: Option<i64>,
) -> Result<Vec<NotificationRow>> {
    let mut c = core.store.conn().await?;
    Ok(notifications::of_account(&mut c, account_id, before.unwrap_or(i64::MAX), 30).await?)
}

/// How many notifications the holder has not read (up to 100).
pub async fn unread(core: &Core, account_id: i64) -> Result<i64> {
    let mut c = core.store.conn().await?;
    Ok(notifications::unread(&mut c, account_id).await?)
}

/// Marks every notification of the holder as read.
pub async fn mark_read(core: &Core, account_id: i64) -> Result<()> {
    let now = core.now();
    let mut tx = core.store.begin().await?;
    notifications::mark_read(&mut tx, account_id, now).await?;
    tx.commit().await?;
    Ok(())
}

/// The kinds of notification a person can choose mail for; the inbox
/// always has every notification.
/// - `progress`: my dossiers' progress (submitted, accepted, result, …);
/// - `action`: requests that need me to act (supplements, payments);
/// - `drafts`: reminders before a draft expires.
pub const CATEGORIES: &[&str] = &["progress", "action", "drafts"];

/// The categories the holder wants mail for.
pub async fn mail_preferences(core: &Core, account_id: i64) -> Result<Vec<(&'static str, bool)>> {
    let mut c = core.store.conn().await?;
    let off = notifications::mail_off(&mut c, account_id).await?;
    Ok(CATEGORIES
        .iter()
        .map(|cat| (*cat, !off.iter().any(|o| o == cat)))
        .collect())
}

/// Sets mail on for exactly the categories in `wanted` (audited).
pub async fn set_mail_preferences(
    core: &Core,
    origin: &motcua_kernel::service::Origin,
    account_id: i64,
    wanted: &[String],
) -> Result<()> {
    let now = core.now();
    let mut tx = core.store.begin().await?;
    let mut on = Vec::new();
    for cat in CATEGORIES {
        let mail = wanted.iter().any(|w| w == cat);
        if mail {
            on.push(*cat);
        }
        notifications::set_mail(&mut tx, account_id, cat, mail, now).await?;
    }
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "dossiers.notification_preferences",
        &format!("account:{account_id}"),
        &serde_json::json!({ "mail": on }).to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// When the post office handed a dossier sent by post to the agency.
pub async fn handed_over_at(core: &Core, dossier_id: i64) -> Result<Option<motcua_domain::Millis>> {
    let mut c = core.store.conn().await?;
    crate::progress::handed_over_at(&mut c, dossier_id).await
}
