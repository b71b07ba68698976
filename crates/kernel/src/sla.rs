//! Open items with a legal deadline, for the operator's overview and the
//! metrics. Each context lists its own through [`SlaSource`]; the
//! composition root registers the sources, so no list here names them.
use crate::service::ServiceError;
use crate::Core;
pub use futures::future::BoxFuture;
pub use motcua_domain::Millis;
pub use motcua_store::{AnyConnection, StoreError};

/// One open item awaiting the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaItem {
    /// i18n key of the kind of work, e.g. `sla.kind_registration`.
    pub kind_key: &'static str,
    /// The metric label of the kind, e.g. `registration`.
    pub kind: &'static str,
    /// The item's reference shown to people, e.g. `DK-2026-000012`.
    pub reference: String,
    /// Who it is for, e.g. the organization's name.
    pub subject: String,
    /// Console page of the item.
    pub link: String,
    pub received_at: Millis,
    pub due_at: Millis,
}

/// How many items of a kind are open, and how many of them are past
/// their deadline.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SlaCount {
    pub pending: i64,
    pub overdue: i64,
}

/// A context's open items with deadlines.
pub trait SlaSource: Send + Sync {
    /// The metric label of this source's items (counted even when zero).
    fn kind(&self) -> &'static str;

    /// The `limit` open items with the earliest deadlines, earliest first
    /// (a bounded read: the backlog may be long).
    fn items<'a>(
        &'a self,
        core: &'a Core,
        limit: i64,
    ) -> BoxFuture<'a, Result<Vec<SlaItem>, ServiceError>>;

    /// How many are open, and how many are overdue at `now` (counted by
    /// the database, not by loading them).
    fn count<'a>(
        &'a self,
        core: &'a Core,
        now: Millis,
    ) -> BoxFuture<'a, Result<SlaCount, ServiceError>>;
}

/// Declares `pub struct $name`, the [`SlaSource`] of kind `$kind` whose
/// items are `$items(c, limit).await` and whose count is `$count(c,
/// now).await` (`async fn`s of the context taking `&mut AnyConnection`
/// and returning `Result<_, StoreError>`).
#[macro_export]
macro_rules! sla_source {
    ($(#[$meta:meta])* $name:ident, $kind:literal, $items:path, $count:path) => {
        $(#[$meta])*
        pub struct $name;

        impl $crate::sla::SlaSource for $name {
            fn kind(&self) -> &'static str {
                $kind
            }

            fn items<'a>(
                &'a self,
                core: &'a $crate::Core,
                limit: i64,
            ) -> $crate::sla::BoxFuture<
                'a,
                Result<Vec<$crate::sla::SlaItem>, $crate::service::ServiceError>,
            > {
                Box::pin(async move {
                    let mut c = core.store.conn().await?;
                    Ok($items(&mut c, limit).await?)
                })
            }

            fn count<'a>(
                &'a self,
                core: &'a $crate::Core,
                now: $crate::sla::Millis,
            ) -> $crate::sla::BoxFuture<
                'a,
                Result<$crate::sla::SlaCount, $crate::service::ServiceError>,
            > {
                Box::pin(async move {
                    let mut c = core.store.conn().await?;
                    Ok($count(&mut c, now).await?)
                })
            }
        }
    };
}

/// The `limit` open items with the earliest deadlines of every registered
/// source, earliest first.
pub async fn items(
    core: &Core,
    sources: &[std::sync::Arc<dyn SlaSource>],
    limit: i64,
) -> Result<Vec<SlaItem>, ServiceError> {
    let mut all = Vec::new();
    for source in sources {
        all.extend(source.items(core, limit).await?);
    }
    all.sort_by_key(|i| (i.due_at, i.received_at));
    all.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(all)
}

/// Per source: (kind, pending, overdue at `now`), for the overview and
/// `/metrics`.
pub async fn counts(
    core: &Core,
    sources: &[std::sync::Arc<dyn SlaSource>],
    now: Millis,
) -> Result<Vec<(&'static str, i64, i64)>, ServiceError> {
    let mut out = Vec::with_capacity(sources.len());
    for source in sources {
        let n = source.count(core, now).await?;
        out.push((source.kind(), n.pending, n.overdue));
    }
    Ok(out)
}

/// The count of items already loaded (a source whose deadlines are not
/// stored, and so cannot be counted by the database).
pub fn count_of(items: &[SlaItem], now: Millis) -> SlaCount {
    SlaCount {
        pending: items.len() as i64,
        overdue: items.iter().filter(|i| i.due_at < now).count() as i64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(due_at: Millis) -> SlaItem {
        SlaItem {
            kind_key: "",
            kind: "report",
            reference: String::new(),
            subject: String::new(),
            link: String::new(),
            received_at: 0,
            due_at,
        }
    }

    #[test]
    fn counts_pending_and_overdue() {
        let items = [item(10), item(30), item(20)];
        assert_eq!(
            count_of(&items, 20),
            SlaCount {
                pending: 3,
                overdue: 1
            }
        );
        assert_eq!(count_of(&[], 20), SlaCount::default());
    }
}
