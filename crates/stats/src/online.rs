//! The online-service table per agency (PUBLIC-SERVICES §8): how many
//! published procedures each agency carries out (implementing or
//! competent), and how many of them are offered fully online, partly
//! online or not online (the catalog record's level, MUCDODVC); rolled up
//! like the progress report. Whether a procedure is *eligible* for full
//! online service is not in the national record, so that column is not
//! shown.
use crate::progress::{tree, under};
use motcua_kernel::service::Result;
use motcua_kernel::Core;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Row {
    pub code: String,
    pub name: String,
    pub procedures: i64,
    pub full: i64,
    pub partial: i64,
    pub not_online: i64,
}

/// The table of `scope` (rows: the agencies directly under it, each with
/// those under it; empty: each ministry and province) and its total.
pub async fn table(core: &Core, scope: &str) -> Result<(Vec<Row>, Row)> {
    let (all, parents, scope_agency) = tree(core, scope).await?;
    let top = scope_agency.as_ref().map(|a| a.code.as_str());
    let names: BTreeMap<&str, &str> = all
        .iter()
        .map(|a| (a.code.as_str(), a.name.as_str()))
        .collect();
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    let mut total = Row::default();
    for (agency, n, full, partial) in motcua_catalog::queries::online_by_agency(core).await? {
        let Some(k) = under(&parents, &agency, top) else {
            continue;
        };
        let r = rows.entry(k.clone()).or_insert_with(|| Row {
            name: names
                .get(k.as_str())
                .map_or_else(|| k.clone(), |n| n.to_string()),
            code: k,
            ..Row::default()
        });
        for row in [&mut *r, &mut total] {
            row.procedures += n;
            row.full += full;
            row.partial += partial;
            row.not_online += n - full - partial;
        }
    }
    Ok((rows.into_values().collect(), total))
}
