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

/// Every open item of every workflow, earliest deadline first.
pub async fn items(state: &crate::AppState) -> Result<Vec<SlaItem>, motcua_store::StoreError> {
    let mut c = state.store.conn().await?;
    let mut all = crate::registration::sla_items(&mut c).await?;
    all.extend(crate::lifecycle::sla_items(&mut c).await?);
    all.extend(crate::provisioning::sla_items(&mut c).await?);
    all.sort_by_key(|i| (i.due_at, i.received_at));
    Ok(all)
}

/// Per kind: (kind, pending, overdue at `now`), for `/metrics`.
pub fn counts(items: &[SlaItem], now: Millis) -> Vec<(&'static str, i64, i64)> {
    let mut out: Vec<(&'static str, i64, i64)> = KINDS.iter().map(|k| (*k, 0, 0)).collect();
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

/// The kinds of work with legal deadlines.
pub const KINDS: &[&str] = &["registration", "provisioning", "lifecycle"];

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
        let c = counts(&items, 20);
        assert_eq!(
            c,
            vec![
                ("registration", 2, 1),
                ("provisioning", 0, 0),
                ("lifecycle", 1, 1)
            ]
        );
    }
}
