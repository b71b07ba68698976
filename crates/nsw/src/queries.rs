//! What the NSW pages read: registrations, lifecycle requests, ministries
//! and provisioning requests, specialized systems and their deliveries.
//! Each function opens its own connection; the web layer calls these,
//! never the store (issue #6).
use crate::store::lifecycle;
use crate::store::provisioning::{
    self, Function, LegalBasis, Manager, Ministry, Person, Request as ProvisioningRequest, WorkUnit,
};
use crate::store::registrations::{self, Registration};
use motcua_domain::{
    AccountId, LifecycleRequestId, MinistryId, ProvisioningRequestId, ProvisioningStatus,
    RegistrationId, RegistrationStatus, SystemId,
};
use motcua_identity::directory::{self, Account};
use motcua_kernel::blobs::{self, Attachment};
use motcua_kernel::service::Result;
use motcua_kernel::Core;
use motcua_store::events::{self, Delivery, System};
use motcua_store::keyset::Cursor;

// ------------------------------------------------------------ registration

/// The operator's registration queue: a page of profiles of `status` (the
/// open ones with `None`) matching the folded query, and the total.
/// A page of the operator's queue after the cursor, the next page's cursor
/// and the count (capped: see [`registrations::QUEUE_COUNT_CAP`]).
pub async fn registrations(
    core: &Core,
    status: Option<RegistrationStatus>,
    folded_query: &str,
    after: Option<Cursor>,
    limit: i64,
) -> Result<(Vec<Registration>, Option<Cursor>, i64)> {
    let mut c = core.store.conn().await?;
    Ok(registrations::list(&mut c, status, folded_query, after, limit).await?)
}

pub async fn registration(core: &Core, id: RegistrationId) -> Result<Option<Registration>> {
    let mut c = core.store.conn().await?;
    Ok(registrations::get(&mut c, id).await?)
}

/// The document a registration was submitted with.
pub async fn registration_document(
    core: &Core,
    id: RegistrationId,
) -> Result<Option<(Registration, Attachment)>> {
    let mut c = core.store.conn().await?;
    let Some(r) = registrations::get(&mut c, id).await? else {
        return Ok(None);
    };
    let a = blobs::fetch(core, &mut c, &r.profile.doc_sha256).await?;
    Ok(a.map(|a| (r, a)))
}

// --------------------------------------------------------------- lifecycle

/// A page of the lifecycle requests after the cursor: the pending ones
/// nearest deadline first, or (`decided`) the decided ones newest first;
/// and the next page's cursor.
pub async fn lifecycle_queue(
    core: &Core,
    decided: bool,
    after: Option<Cursor>,
    limit: i64,
) -> Result<(Vec<lifecycle::Request>, Option<Cursor>)> {
    let mut c = core.store.conn().await?;
    let (rows, next) = if decided {
        lifecycle::decided(&mut c, after, limit).await?
    } else {
        lifecycle::pending(&mut c, after, limit).await?
    };
    let rows = crate::lifecycle::with_usernames(&mut c, rows).await?;
    Ok((rows, next))
}

pub async fn lifecycle_request(
    core: &Core,
    id: LifecycleRequestId,
) -> Result<Option<lifecycle::Request>> {
    let mut c = core.store.conn().await?;
    let Some(r) = lifecycle::get(&mut c, id).await? else {
        return Ok(None);
    };
    Ok(crate::lifecycle::with_usernames(&mut c, vec![r])
        .await?
        .pop())
}

/// An account and the lifecycle requests about it.
pub async fn account_requests(
    core: &Core,
    account_id: AccountId,
) -> Result<Option<(Account, Vec<lifecycle::Request>)>> {
    let mut c = core.store.conn().await?;
    let Some(a) = directory::account(&mut c, account_id).await? else {
        return Ok(None);
    };
    let reqs = lifecycle::for_account(&mut c, account_id).await?;
    let reqs = crate::lifecycle::with_usernames(&mut c, reqs).await?;
    Ok(Some((a, reqs)))
}

// ------------------------------------------------------------ provisioning

pub async fn ministries(core: &Core) -> Result<Vec<Ministry>> {
    let mut c = core.store.conn().await?;
    Ok(provisioning::ministries(&mut c).await?)
}

pub async fn legal_bases(core: &Core) -> Result<Vec<LegalBasis>> {
    let mut c = core.store.conn().await?;
    Ok(provisioning::legal_bases(&mut c).await?)
}

/// A ministry with its work units, function catalog and managers.
pub struct MinistryView {
    pub ministry: Ministry,
    pub units: Vec<WorkUnit>,
    pub functions: Vec<Function>,
    pub managers: Vec<Manager>,
}

pub async fn ministry(core: &Core, id: MinistryId) -> Result<Option<MinistryView>> {
    let mut c = core.store.conn().await?;
    let Some(ministry) = provisioning::ministry(&mut c, id).await? else {
        return Ok(None);
    };
    Ok(Some(MinistryView {
        units: provisioning::work_units(&mut c, id).await?,
        functions: provisioning::functions(&mut c, id).await?,
        managers: crate::provisioning::managers(&mut c, id).await?,
        ministry,
    }))
}

/// What a manager's request form offers: legal bases, the ministry's work
/// units and functions.
pub async fn request_form(
    core: &Core,
    ministry_id: MinistryId,
) -> Result<(Vec<LegalBasis>, Vec<WorkUnit>, Vec<Function>)> {
    let mut c = core.store.conn().await?;
    Ok((
        provisioning::legal_bases(&mut c).await?,
        provisioning::work_units(&mut c, ministry_id).await?,
        provisioning::functions(&mut c, ministry_id).await?,
    ))
}

/// A page of the provisioning requests of one ministry (all with `None`)
/// with `status` after the cursor: open ones nearest deadline first,
/// completed ones newest first; and the next page's cursor.
pub async fn provisioning_requests(
    core: &Core,
    ministry_id: Option<MinistryId>,
    status: ProvisioningStatus,
    after: Option<Cursor>,
    limit: i64,
) -> Result<(Vec<ProvisioningRequest>, Option<Cursor>)> {
    let mut c = core.store.conn().await?;
    Ok(provisioning::requests(&mut c, ministry_id, status, after, limit).await?)
}

pub async fn provisioning_request(
    core: &Core,
    id: ProvisioningRequestId,
) -> Result<Option<ProvisioningRequest>> {
    let mut c = core.store.conn().await?;
    Ok(provisioning::request(&mut c, id).await?)
}

pub async fn persons(core: &Core, request_id: ProvisioningRequestId) -> Result<Vec<Person>> {
    let mut c = core.store.conn().await?;
    Ok(provisioning::persons(&mut c, request_id).await?)
}

/// The file a manager uploaded with request `id`, as received.
pub async fn uploaded_file(
    core: &Core,
    id: ProvisioningRequestId,
) -> Result<Option<(ProvisioningRequest, Attachment)>> {
    let mut c = core.store.conn().await?;
    let Some(r) = provisioning::request(&mut c, id).await? else {
        return Ok(None);
    };
    let Some(key) = r.upload_sha256.clone() else {
        return Ok(None);
    };
    let a = blobs::fetch(core, &mut c, &key).await?;
    Ok(a.map(|a| (r, a)))
}

/// The ministry `account` manages, if any.
pub async fn managed_ministry(core: &Core, account: &Account) -> Result<Option<Ministry>> {
    let mut c = core.store.conn().await?;
    Ok(crate::provisioning::managed_ministry(&mut c, account).await?)
}

// ----------------------------------------------------------------- systems

pub async fn systems(core: &Core) -> Result<Vec<System>> {
    let mut c = core.store.conn().await?;
    Ok(events::systems(&mut c).await?)
}

/// A system and its newest `limit` deliveries.
pub async fn system(
    core: &Core,
    id: SystemId,
    limit: i64,
) -> Result<Option<(System, Vec<Delivery>)>> {
    let mut c = core.store.conn().await?;
    let Some(s) = events::system_by_id(&mut c, id).await? else {
        return Ok(None);
    };
    let d = events::list(&mut c, None, Some(id), limit).await?;
    Ok(Some((s, d)))
}

/// Deliveries per status, a page of `status` (all with `None`) newest
/// first after the cursor, and the next page's cursor.
pub async fn deliveries(
    core: &Core,
    status: Option<motcua_domain::DeliveryStatus>,
    after: Option<Cursor>,
    limit: i64,
) -> Result<(
    Vec<(motcua_domain::DeliveryStatus, i64)>,
    Vec<Delivery>,
    Option<Cursor>,
)> {
    let mut c = core.store.conn().await?;
    let counts = events::counts(&mut c).await?;
    let (rows, next) = events::page(&mut c, status, None, after, limit).await?;
    Ok((counts, rows, next))
}
