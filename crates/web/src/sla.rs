//! Everything pending with a legal deadline, for the operator's SLA
//! overview and `/metrics`: each feature module lists its open items.
use motcua_domain::Millis;

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
