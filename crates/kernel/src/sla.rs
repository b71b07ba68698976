//! Open items with a legal deadline, for the operator's overview and the
//! metrics. Each context lists its own through [`SlaSource`]; the
//! composition root registers the sources, so no list here names them.
use crate::service::ServiceError;
use crate::Core;
pub use futures::future::BoxFuture;
use motcua_domain::Millis;
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

/// A context's open items with deadlines.
pub trait SlaSource: Send + Sync {
    /// The metric label of this source's items (counted even when zero).
    fn kind(&self) -> &'static str;

    /// Every open item now.
    fn items<'a>(&'a self, core: &'a Core) -> BoxFuture<'a, Result<Vec<SlaItem>, ServiceError>>;
}

/// Declares `pub struct $name`, the [`SlaSource`] of kind `$kind` whose
/// items are `$items(c).await` (an `async fn(&mut AnyConnection) ->
/// Result<Vec<SlaItem>, StoreError>` of the context).
#[macro_export]
macro_rules! sla_source {
    ($(#[$meta:meta])* $name:ident, $kind:literal, $items:path) => {
        $(#[$meta])*
        pub struct $name;

        impl $crate::sla::SlaSource for $name {
            fn kind(&self) -> &'static str {
                $kind
            }

            fn items<'a>(
                &'a self,
                core: &'a $crate::Core,
            ) -> $crate::sla::BoxFuture<
                'a,
                Result<Vec<$crate::sla::SlaItem>, $crate::service::ServiceError>,
            > {
                Box::pin(async move {
                    let mut c = core.store.conn().await?;
                    Ok($items(&mut c).await?)
                })
            }
        }
    };
}

/// Every open item of every registered source, earliest deadline first.
pub async fn items(
    core: &Core,
    sources: &[std::sync::Arc<dyn SlaSource>],
) -> Result<Vec<SlaItem>, ServiceError> {
    let mut all = Vec::new();
    for source in sources {
        all.extend(source.items(core).await?);
    }
    all.sort_by_key(|i| (i.due_at, i.received_at));
    Ok(all)
}

/// Per kind of `kinds`: (kind, pending, overdue at `now`), for `/metrics`.
pub fn counts(
    items: &[SlaItem],
    kinds: &[&'static str],
    now: Millis,
) -> Vec<(&'static str, i64, i64)> {
    let mut out: Vec<(&'static str, i64, i64)> = kinds.iter().map(|k| (*k, 0, 0)).collect();
    for i in items {
        if let Some(row) = out.iter_mut().find(|r| r.0 == i.kind) {
            row.1 += 1;
            if i.due_at < now {
                row.2 += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(kind: &'static str, due_at: Millis) -> SlaItem {
        SlaItem {
            kind_key: "",
            kind,
            reference: String::new(),
            subject: String::new(),
            link: String::new(),
            received_at: 0,
            due_at,
        }
    }

    #[test]
    fn counts_pending_and_overdue_per_kind() {
        let items = [
            item("registration", 10),
            item("registration", 30),
            item("lifecycle", 5),
        ];
        let c = counts(
            &items,
            &["registration", "provisioning", "lifecycle", "report"],
            20,
        );
        assert_eq!(
            c,
            vec![
                ("registration", 2, 1),
                ("provisioning", 0, 0),
                ("lifecycle", 1, 1),
                ("report", 0, 0)
            ]
        );
    }
}
