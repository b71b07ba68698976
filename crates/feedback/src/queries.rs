//! What people read: their own items, the published answers (searchable
//! without accents, by procedure), an agency's items with their deadlines,
//! the overdue board, and the files.
use crate::service::handles;
use crate::store::items::{self as store, Event, File, Item};
use motcua_handling::people::Staff;
use motcua_kernel::service::{Result, ServiceError};
use motcua_kernel::Core;

pub use crate::store::items::{Event as TimelineEntry, File as Attached, Item as Feedback};

/// Published answers per page.
pub const PER_PAGE: i64 = 20;

/// An item with its timeline and files.
#[derive(Debug, Clone)]
pub struct Full {
    pub item: Item,
    pub events: Vec<Event>,
    pub files: Vec<File>,
}

async fn full(core: &Core, item: Item) -> Result<Full> {
    let mut c = core.store.conn().await?;
    let events = store::events(&mut c, item.id).await?;
    let files = store::files(&mut c, item.id).await?;
    Ok(Full {
        item,
        events,
        files,
    })
}

/// The person's items, newest first.
pub async fn mine(core: &Core, account_id: i64) -> Result<Vec<Item>> {
    let mut c = core.store.conn().await?;
    Ok(store::of_account(&mut c, account_id, 200).await?)
}

/// The sender's own item (by account, or by tracking key for a sender
/// without an account); anyone else's is not found.
pub async fn own(core: &Core, owner: &crate::service::Owner, code: &str) -> Result<Full> {
    let mut c = core.store.conn().await?;
    let i = store::by_code(&mut c, code)
        .await?
        .filter(|i| owner.owns(core, i))
        .ok_or(ServiceError::NotFound)?;
    drop(c);
    full(core, i).await
}

/// A published item as everyone sees it (the sender's name hidden when
/// they asked); one not published is not found.
pub async fn public(core: &Core, code: &str) -> Result<Full> {
    let mut c = core.store.conn().await?;
    let i = store::by_code(&mut c, code)
        .await?
        .filter(|i| i.published_at.is_some())
        .ok_or(ServiceError::NotFound)?;
    drop(c);
    let mut f = full(core, i).await?;
    // The public never sees the contact details, nor the files.
    f.files.clear();
    Ok(f)
}

/// The name the public reads.
pub fn public_name(i: &Item) -> Option<&str> {
    (!i.hide_name).then_some(i.sender_name.as_str())
}

/// Published answers matching every word of `q` (any accents, any case),
/// about `procedure` when given, newest first: a page and whether there
/// is a next one.
pub async fn search(
    core: &Core,
    q: &str,
    procedure: Option<&str>,
    page: i64,
) -> Result<(Vec<Item>, bool)> {
    let words = motcua_domain::text::search_words(q, 8);
    let page = page.clamp(1, 500);
    let mut c = core.store.conn().await?;
    let mut rows = store::published(
        &mut c,
        &words,
        procedure,
        (page - 1) * PER_PAGE,
        PER_PAGE + 1,
    )
    .await?;
    let more = rows.len() as i64 > PER_PAGE;
    rows.truncate(PER_PAGE as usize);
    Ok((rows, more))
}

/// The items of the agencies `who` works for that wait for them
/// (received, answered not yet published) or for the person (more
/// information asked), the nearest deadline first.
pub async fn inbox(core: &Core, who: &Staff) -> Result<Vec<Item>> {
    let mut agencies: Vec<String> = who
        .memberships
        .iter()
        .map(|m| m.agency_code.clone())
        .collect();
    agencies.sort();
    agencies.dedup();
    let mut c = core.store.conn().await?;
    Ok(store::of_agencies(
        &mut c,
        &agencies,
        &["received", "more_info", "answered"],
        500,
    )
    .await?)
}

/// The overdue board at `now`: every agency for the operator, their own
/// for the agencies' people.
pub async fn overdue(core: &Core, who: &Staff, now: motcua_domain::Millis) -> Result<Vec<Item>> {
    let mut c = core.store.conn().await?;
    let all = store::overdue(&mut c, now, 1000).await?;
    Ok(all
        .into_iter()
        .filter(|i| who.operator || handles(who, &i.agency_code))
        .collect())
}

/// The agency's view of an item, with its timeline and files.
pub async fn for_staff(core: &Core, who: &Staff, code: &str) -> Result<Full> {
    let i = crate::service::for_staff(core, who, code).await?;
    full(core, i).await
}

/// A file of an item, for its sender or the agency holding it.
pub async fn file(
    core: &Core,
    owner: Option<&crate::service::Owner>,
    who: Option<&Staff>,
    code: &str,
    file_id: i64,
) -> Result<(File, Vec<u8>)> {
    let mut c = core.store.conn().await?;
    let i = store::by_code(&mut c, code)
        .await?
        .filter(|i| {
            owner.is_some_and(|o| o.owns(core, i))
                || who.is_some_and(|w| handles(w, &i.agency_code))
        })
        .ok_or(ServiceError::NotFound)?;
    let f = store::files(&mut c, i.id)
        .await?
        .into_iter()
        .find(|f| f.id == file_id)
        .ok_or(ServiceError::NotFound)?;
    let a = motcua_kernel::blobs::fetch(core, &mut c, &f.sha256)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok((f, a.data))
}

/// Per agency, for `[from, to)`: feedback received, answered, answered on
/// time, published, published on time (the service index). An item
/// transferred counts at the agency holding it now.
pub async fn totals(
    core: &Core,
    from: motcua_domain::Millis,
    to: motcua_domain::Millis,
) -> Result<Vec<(String, [i64; 5])>> {
    let mut c = core.store.conn().await?;
    Ok(store::totals(&mut c, from, to).await?)
}
