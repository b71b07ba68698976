//! Open items with a legal deadline, for the operator's overview and the
//! metrics. Each context lists its own through [`SlaSource`]; the
//! composition root registers the sources, so no list here names them.
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
    /// Every open item, read on `c`.
    fn items<'a>(
        &'a self,
        c: &'a mut AnyConnection,
    ) -> BoxFuture<'a, Result<Vec<SlaItem>, StoreError>>;
}

/// Declares `pub struct $name`, the [`SlaSource`] whose items are
/// `$items(c).await` (an `async fn(&mut AnyConnection) -> Result<Vec<SlaItem>,
/// StoreError>` of the context).
#[macro_export]
macro_rules! sla_source {
    ($(#[$meta:meta])* $name:ident, $items:path) => {
        $(#[$meta])*
        pub struct $name;

        impl $crate::sla::SlaSource for $name {
            fn items<'a>(
                &'a self,
                c: &'a mut $crate::sla::AnyConnection,
            ) -> $crate::sla::BoxFuture<
                'a,
                Result<Vec<$crate::sla::SlaItem>, $crate::sla::StoreError>,
            > {
                Box::pin($items(c))
            }
        }
    };
}
