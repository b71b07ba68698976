//! Synthetic dossiers for `motcua bench --dossiers` only: `n` dossiers of
//! `people` people (account ids 1..=people, round robin), submitted over
//! the year before `now`, statuses spread over 1–10, codes in the default
//! format with serials of their own (prefix `B`, a range real agency
//! codes never produce). Written in one transaction per 20,000 rows.
use crate::store::dossiers::{self as store, DossierRow};
use motcua_kernel::service::Result;
use motcua_kernel::Core;

const DAY: i64 = 86_400_000;

pub async fn load(core: &Core, n: u64, people: u64, now: i64) -> Result<()> {
    let people = people.max(1);
    let per_tx = 20_000u64;
    let chunk = 250usize;
    let mut i = 0u64;
    while i < n {
        let end = (i + per_tx).min(n);
        let mut tx = core.store.begin().await?;
        let mut rows = Vec::with_capacity(chunk);
        for k in i..end {
            let account = (k % people) as i64 + 1;
            // Spread over the year, newest last.
            let at = now - 365 * DAY + (k as i64 * 365 * DAY) / n.max(1) as i64;
            rows.push(DossierRow {
                id: 0,
                code: format!("B{:02}.P01-{:06}-{:07}", k % 34, k / 1_000_000, k),
                draft_id: -(k as i64) - 1,
                account_id: account,
                contact_email: String::new(),
                locale: "vi".into(),
                applicant_name: format!("Công dân {account}"),
                procedure_code: "1.001193".into(),
                procedure_version: 1,
                procedure_name: "Đăng ký khai sinh".into(),
                case_code: String::new(),
                form_id: 1,
                agency_code: "H29.P01".into(),
                agency_name: "UBND phường Hoàn Kiếm".into(),
                // Every channel past receipt (a new dossier stays online:
                // the benchmark receives it, and one sent by post would
                // wait for its hand-over).
                channel: if k % 10 == 0 { 2 } else { [2, 1, 2, 3][(k % 4) as usize] },
                status: (k % 10) as i64 + 1,
                submitted_at: at,
                received_at: at,
                appointment_at: Some(at + 5 * DAY),
                time_amount: 3,
                time_unit: "working_day".into(),
                updated_at: at,
                digest: format!("{:064x}", k),
                data: format!(
                    "{{\"full_name\":\"Công dân {account}\",\"child_name\":\"Trẻ {k}\",\"result_delivery\":\"online\"}}"
                ),
                origin: String::new(),
                handled_by: String::new(),
            });
            if rows.len() == chunk {
                store::insert_many(&mut tx, &rows).await?;
                rows.clear();
            }
        }
        store::insert_many(&mut tx, &rows).await?;
        tx.commit().await?;
        i = end;
    }
    let mut c = core.store.begin().await?;
    store::analyze(
        &mut c,
        core.store.backend() == motcua_store::Backend::Postgres,
    )
    .await?;
    c.commit().await?;
    Ok(())
}

/// The dossiers after id `after_id`, oldest first, without answers: for
/// the synthetic loads of the contexts that handle dossiers.
pub async fn after(core: &Core, after_id: i64, limit: i64) -> Result<Vec<crate::progress::Facts>> {
    let mut c = core.store.conn().await?;
    Ok(store::after(&mut c, after_id, limit).await?)
}

/// How many dossiers there are.
pub async fn count(core: &Core) -> Result<i64> {
    let mut c = core.store.conn().await?;
    Ok(store::count(&mut c).await?)
}
