//! Synthetic cases for `motcua bench --handling` only: the agency
//! `H29.P01` of the synthetic dossiers gets a one-stop unit and four
//! departments, a bench person (account `staff_id`) every role in them,
//! and every synthetic dossier past receipt (status ≠ 1) a case in the
//! state its status implies: at a department while being handled (2, 4),
//! paused while the applicant holds it (5, 6), at the one-stop unit when
//! done (9), closed otherwise; assigned round robin to `people` people
//! (ids 1..=people), due over the year like the dossiers. Written in one
//! transaction per 20,000 rows. New dossiers (status 1) stay for the
//! state-change benchmark to receive.
use crate::people::Staff;
use crate::store::cases::{self as store, CaseRow};
use crate::store::people::{self as people_store, UnitRow};
use crate::workflow as wf;
use motcua_domain::{Millis, DAY, HOUR};
use motcua_kernel::service::Result;
use motcua_kernel::Core;

pub const AGENCY: &str = "H29.P01";

/// The units made and the bench person's roles.
pub struct Loaded {
    pub one_stop: i64,
    pub departments: Vec<i64>,
    pub staff: Staff,
}

/// Makes the units and roles (once), then the cases unless some exist.
pub async fn load(core: &Core, staff_id: i64, people: i64, now: Millis) -> Result<Loaded> {
    let mut tx = core.store.begin().await?;
    let mut units = people_store::units_of(&mut tx, AGENCY).await?;
    if units.is_empty() {
        for (code, name, kind) in [
            ("MC", "Bộ phận một cửa", wf::ONE_STOP),
            ("TP", "Phòng Tư pháp - Hộ tịch", wf::DEPARTMENT),
            ("VP", "Văn phòng HĐND - UBND", wf::DEPARTMENT),
            ("KT", "Phòng Kinh tế", wf::DEPARTMENT),
            ("VH", "Phòng Văn hóa - Xã hội", wf::DEPARTMENT),
        ] {
            people_store::insert_unit(
                &mut tx,
                &UnitRow {
                    id: 0,
                    agency_code: AGENCY.into(),
                    code: code.into(),
                    name: name.into(),
                    kind: kind.into(),
                    created_at: now,
                },
            )
            .await?;
        }
        units = people_store::units_of(&mut tx, AGENCY).await?;
    }
    let one_stop = units
        .iter()
        .find(|u| u.kind == wf::ONE_STOP)
        .map(|u| u.id)
        .unwrap_or_default();
    let departments: Vec<i64> = units
        .iter()
        .filter(|u| u.kind == wf::DEPARTMENT)
        .map(|u| u.id)
        .collect();
    for role in wf::ROLES {
        for u in &units {
            people_store::grant(&mut tx, staff_id, u.id, role, "bench", now).await?;
        }
    }
    let (workflow_id, _) = crate::workflows::for_procedure(&mut tx, "1.001193", now, true).await?;
    let present = store::count(&mut tx).await?;
    let staff = Staff {
        account_id: staff_id,
        operator: false,
        memberships: people_store::memberships(&mut tx, staff_id).await?,
    };
    tx.commit().await?;
    if present > 0 {
        return Ok(Loaded {
            one_stop,
            departments,
            staff,
        });
    }
    let mut after = 0;
    loop {
        let batch = motcua_dossiers::synthetic::after(core, after, 20_000).await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        let mut tx = core.store.begin().await?;
        let mut rows = Vec::with_capacity(250);
        for d in batch.iter().filter(|d| d.status != 1) {
            let k = d.id;
            let dept = departments[(k as usize) % departments.len().max(1)];
            let (step, unit, state) = match d.status {
                2 | 4 => ("handle", dept, "open"),
                5 | 6 => ("handle", dept, "paused"),
                9 => ("return", one_stop, "open"),
                3 => ("receive", one_stop, "closed"),
                7 | 8 => ("handle", dept, "closed"),
                _ => ("return", one_stop, "closed"),
            };
            let received = d.submitted_at + HOUR;
            let deadline = d.submitted_at + 5 * DAY;
            let done =
                matches!(d.status, 9 | 10).then_some(d.submitted_at + 4 * DAY + (k % 3) * DAY);
            rows.push(CaseRow {
                dossier_id: d.id,
                code: d.code.clone(),
                agency_code: d.agency_code.clone(),
                procedure_code: d.procedure_code.clone(),
                procedure_name: d.procedure_name.clone(),
                channel: d.channel,
                applicant_name: d.applicant_name.clone(),
                search_text: motcua_domain::text::fold(&format!(
                    "{} {} {}",
                    d.code, d.applicant_name, d.procedure_name
                )),
                workflow_id,
                step: step.into(),
                unit_id: unit,
                assignee_id: (state != "closed").then_some(k % people.max(1) + 1),
                status: d.status,
                state: state.into(),
                submitted_at: d.submitted_at,
                received_at: Some(received),
                clock_start: Some(received),
                deadline_at: Some(deadline),
                step_started_at: received,
                step_due_at: received + 3 * DAY,
                paused_at: (state == "paused").then_some(received + DAY),
                paused_ms: 0,
                supplements: i64::from(d.status == 5),
                apologies: 0,
                done_at: done,
                reason: String::new(),
                updated_at: received,
            });
            if rows.len() == 250 {
                store::insert_many(&mut tx, &rows).await?;
                rows.clear();
            }
        }
        store::insert_many(&mut tx, &rows).await?;
        tx.commit().await?;
    }
    // As autovacuum would have it in service: the visibility map lets
    // the counts and the board read the indexes alone.
    let mut c = core.store.conn().await?;
    store::analyze(
        &mut c,
        core.store.backend() == motcua_store::Backend::Postgres,
    )
    .await?;
    Ok(Loaded {
        one_stop,
        departments,
        staff,
    })
}
