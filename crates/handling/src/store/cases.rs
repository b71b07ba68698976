//! Cases: a dossier at the agency, where it is and its clock.
use super::{board, report};
use motcua_domain::{Millis, DAY};
use motcua_store::{conflict, Result};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRow {
    pub dossier_id: i64,
    pub code: String,
    pub agency_code: String,
    pub procedure_code: String,
    pub procedure_name: String,
    /// How the dossier came in: 1 in person, 2 online, 3 by post.
    pub channel: i64,
    pub applicant_name: String,
    pub search_text: String,
    pub workflow_id: i64,
    pub step: String,
    pub unit_id: i64,
    pub assignee_id: Option<i64>,
    pub status: i64,
    /// open | paused | closed
    pub state: String,
    pub submitted_at: Millis,
    pub received_at: Option<Millis>,
    pub clock_start: Option<Millis>,
    pub deadline_at: Option<Millis>,
    pub step_started_at: Millis,
    pub step_due_at: Millis,
    pub paused_at: Option<Millis>,
    pub paused_ms: i64,
    pub supplements: i64,
    pub apologies: i64,
    /// When the result was approved (status 9).
    pub done_at: Option<Millis>,
    pub reason: String,
    pub updated_at: Millis,
}

const COLS: &str = "dossier_id, code, agency_code, procedure_code, procedure_name, channel, applicant_name, search_text, workflow_id, step, unit_id, assignee_id, status, state, submitted_at, received_at, clock_start, deadline_at, step_started_at, step_due_at, paused_at, paused_ms, supplements, apologies, done_at, reason, updated_at";

fn row(r: &AnyRow) -> Result<CaseRow> {
    Ok(CaseRow {
        dossier_id: r.try_get("dossier_id")?,
        code: r.try_get("code")?,
        agency_code: r.try_get("agency_code")?,
        procedure_code: r.try_get("procedure_code")?,
        procedure_name: r.try_get("procedure_name")?,
        channel: r.try_get("channel")?,
        applicant_name: r.try_get("applicant_name")?,
        search_text: r.try_get("search_text")?,
        workflow_id: r.try_get("workflow_id")?,
        step: r.try_get("step")?,
        unit_id: r.try_get("unit_id")?,
        assignee_id: r.try_get("assignee_id")?,
        status: r.try_get("status")?,
        state: r.try_get("state")?,
        submitted_at: r.try_get("submitted_at")?,
        received_at: r.try_get("received_at")?,
        clock_start: r.try_get("clock_start")?,
        deadline_at: r.try_get("deadline_at")?,
        step_started_at: r.try_get("step_started_at")?,
        step_due_at: r.try_get("step_due_at")?,
        paused_at: r.try_get("paused_at")?,
        paused_ms: r.try_get("paused_ms")?,
        supplements: r.try_get("supplements")?,
        apologies: r.try_get("apologies")?,
        done_at: r.try_get("done_at")?,
        reason: r.try_get("reason")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Where a case counts on the board.
fn counted(k: &CaseRow) -> board::Key {
    board::key(board::Counted {
        agency_code: &k.agency_code,
        procedure_code: &k.procedure_code,
        submitted_at: k.submitted_at,
        state: &k.state,
        done_at: k.done_at,
        deadline_at: k.deadline_at,
        apologies: k.apologies,
    })
}

/// Where a case counts in the progress report.
fn reported(k: &CaseRow) -> report::Counted<'_> {
    report::Counted {
        agency_code: &k.agency_code,
        procedure_code: &k.procedure_code,
        channel: k.channel,
        status: k.status,
        state: &k.state,
        received_at: k.received_at,
        done_at: k.done_at,
        deadline_at: k.deadline_at,
        paused_at: k.paused_at,
        apologies: k.apologies,
    }
}

pub async fn insert(c: &mut AnyConnection, k: &CaseRow) -> Result<()> {
    insert_rows(c, std::slice::from_ref(k))
        .await
        .map_err(conflict("case"))?;
    board::moved(c, None, Some(counted(k))).await?;
    report::add(c, &report::changes(None, &reported(k), k.updated_at)).await
}

/// Inserts many cases in one statement (the benchmark's synthetic load;
/// at most 1,000 rows a call).
pub async fn insert_many(c: &mut AnyConnection, rows: &[CaseRow]) -> Result<()> {
    insert_rows(c, rows).await?;
    let mut deltas = std::collections::BTreeMap::new();
    let mut reports = std::collections::BTreeMap::new();
    for k in rows {
        *deltas.entry(counted(k)).or_insert(0) += 1;
        for (key, n) in report::history(&reported(k), k.updated_at) {
            *reports.entry(key).or_insert(0) += n;
        }
    }
    board::add(c, &deltas).await?;
    report::add(c, &reports).await
}

async fn insert_rows(
    c: &mut AnyConnection,
    rows: &[CaseRow],
) -> std::result::Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    const N: usize = 27;
    let mut sql = format!("INSERT INTO handling_cases ({COLS}) VALUES ");
    for i in 0..rows.len() {
        if i > 0 {
            sql.push(',');
        }
        let ps: Vec<String> = (1..=N).map(|j| format!("${}", i * N + j)).collect();
        sql.push_str(&format!("({})", ps.join(",")));
    }
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for k in rows {
        q = q
            .bind(k.dossier_id)
            .bind(k.code.clone())
            .bind(k.agency_code.clone())
            .bind(k.procedure_code.clone())
            .bind(k.procedure_name.clone())
            .bind(k.channel)
            .bind(k.applicant_name.clone())
            .bind(k.search_text.clone())
            .bind(k.workflow_id)
            .bind(k.step.clone())
            .bind(k.unit_id)
            .bind(k.assignee_id)
            .bind(k.status)
            .bind(k.state.clone())
            .bind(k.submitted_at)
            .bind(k.received_at)
            .bind(k.clock_start)
            .bind(k.deadline_at)
            .bind(k.step_started_at)
            .bind(k.step_due_at)
            .bind(k.paused_at)
            .bind(k.paused_ms)
            .bind(k.supplements)
            .bind(k.apologies)
            .bind(k.done_at)
            .bind(k.reason.clone())
            .bind(k.updated_at);
    }
    q.persistent(false).execute(&mut *c).await?;
    Ok(())
}

/// Updates the planner's statistics of the cases table.
pub async fn analyze(c: &mut AnyConnection, postgres: bool) -> Result<()> {
    let sql = if postgres {
        "VACUUM ANALYZE handling_cases"
    } else {
        "ANALYZE"
    };
    sqlx::query(sql).execute(&mut *c).await?;
    Ok(())
}

/// How many cases there are.
pub async fn count(c: &mut AnyConnection) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM handling_cases")
        .fetch_one(&mut *c)
        .await?)
}

/// Moves the case's version from `seen` to `now` (a change beside the
/// case row, such as its result documents); false if it had changed.
pub async fn touch(
    c: &mut AnyConnection,
    dossier_id: i64,
    seen: Millis,
    now: Millis,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE handling_cases SET updated_at = $3 WHERE dossier_id = $1 AND updated_at = $2",
    )
    .bind(dossier_id)
    .bind(seen)
    .bind(now.max(seen + 1))
    .execute(&mut *c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The code of the dossier `dossier_id`, if the agency has its case.
pub async fn code_of(c: &mut AnyConnection, dossier_id: i64) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT code FROM handling_cases WHERE dossier_id = $1")
            .bind(dossier_id)
            .fetch_optional(&mut *c)
            .await?,
    )
}

pub async fn by_code(c: &mut AnyConnection, code: &str) -> Result<Option<CaseRow>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM handling_cases WHERE code = $1"
    )))
    .bind(code)
    .fetch_optional(&mut *c)
    .await?;
    r.as_ref().map(row).transpose()
}

/// Writes the case back if it was not changed since `seen` (its
/// `updated_at` when read): two civil servants acting at once cannot both
/// win. False when it changed meanwhile.
pub async fn update(c: &mut AnyConnection, k: &CaseRow, seen: Millis) -> Result<bool> {
    // Where the case counts on the board before the change (the version
    // checked below makes it the row that is changed).
    let before = sqlx::query(
        "SELECT agency_code, procedure_code, channel, status, submitted_at, state, received_at, done_at, deadline_at, paused_at, apologies \
         FROM handling_cases WHERE dossier_id = $1 AND updated_at = $2",
    )
    .bind(k.dossier_id)
    .bind(seen)
    .fetch_optional(&mut *c)
    .await?;
    let Some(before) = before else {
        return Ok(false);
    };
    let agency_code: String = before.try_get("agency_code")?;
    let procedure_code: String = before.try_get("procedure_code")?;
    let submitted_at: Millis = before.try_get("submitted_at")?;
    let state: String = before.try_get("state")?;
    let old = board::key(board::Counted {
        agency_code: &agency_code,
        procedure_code: &procedure_code,
        submitted_at,
        state: &state,
        done_at: before.try_get("done_at")?,
        deadline_at: before.try_get("deadline_at")?,
        apologies: before.try_get("apologies")?,
    });
    let r = sqlx::query(
        "UPDATE handling_cases SET agency_code = $1, step = $2, unit_id = $3, assignee_id = $4, status = $5, state = $6, received_at = $7, clock_start = $8, deadline_at = $9, step_started_at = $10, step_due_at = $11, paused_at = $12, paused_ms = $13, supplements = $14, apologies = $15, reason = $16, updated_at = $17, done_at = $20 WHERE dossier_id = $18 AND updated_at = $19",
    )
    .bind(&k.agency_code)
    .bind(&k.step)
    .bind(k.unit_id)
    .bind(k.assignee_id)
    .bind(k.status)
    .bind(&k.state)
    .bind(k.received_at)
    .bind(k.clock_start)
    .bind(k.deadline_at)
    .bind(k.step_started_at)
    .bind(k.step_due_at)
    .bind(k.paused_at)
    .bind(k.paused_ms)
    .bind(k.supplements)
    .bind(k.apologies)
    .bind(&k.reason)
    .bind(k.updated_at)
    .bind(k.dossier_id)
    .bind(seen)
    .bind(k.done_at)
    .execute(&mut *c)
    .await?;
    if r.rows_affected() != 1 {
        return Ok(false);
    }
    // The procedure and the submission time are not written above: the
    // new place keeps the stored ones, whatever the caller holds.
    let new = board::key(board::Counted {
        agency_code: &k.agency_code,
        procedure_code: &procedure_code,
        submitted_at,
        state: &k.state,
        done_at: k.done_at,
        deadline_at: k.deadline_at,
        apologies: k.apologies,
    });
    board::moved(c, Some(old), Some(new)).await?;
    let was = report::Counted {
        agency_code: &agency_code,
        procedure_code: &procedure_code,
        channel: before.try_get("channel")?,
        status: before.try_get("status")?,
        state: &state,
        received_at: before.try_get("received_at")?,
        done_at: before.try_get("done_at")?,
        deadline_at: before.try_get("deadline_at")?,
        paused_at: before.try_get("paused_at")?,
        apologies: before.try_get("apologies")?,
    };
    let is = report::Counted {
        procedure_code: &procedure_code,
        ..reported(k)
    };
    report::add(c, &report::changes(Some(&was), &is, k.updated_at)).await?;
    Ok(true)
}

/// Which cases an inbox lists.
#[derive(Debug, Clone, Default)]
pub struct InboxFilter {
    /// A unit's cases (any assignee).
    pub units: Vec<i64>,
    /// Cases assigned to this person.
    pub assignee: Option<i64>,
    /// open, paused or closed; None: open and paused.
    pub state: Option<String>,
    /// Step due at or before this (overdue: now; due soon: a bound).
    pub due_before: Option<Millis>,
    /// Folded words that must all appear in the search text.
    pub words: Vec<String>,
    pub procedure: Option<String>,
    /// Only cases nobody has claimed.
    pub unassigned: bool,
}

/// A page of cases, soonest due first, after `after` (keyset on
/// (step_due_at, dossier_id)).
pub async fn inbox(
    c: &mut AnyConnection,
    f: &InboxFilter,
    after: (Millis, i64),
    limit: i64,
) -> Result<Vec<CaseRow>> {
    // The conditions besides the state, after the keyset ($1, $2).
    let mut sql = String::new();
    let mut n = 3;
    let mut binds_i: Vec<i64> = Vec::new();
    let mut binds_s: Vec<String> = Vec::new();
    let mut order: Vec<bool> = Vec::new(); // true: i64, false: string
    if let Some(a) = f.assignee {
        sql.push_str(&format!(" AND assignee_id = ${n}"));
        n += 1;
        binds_i.push(a);
        order.push(true);
    }
    if !f.units.is_empty() {
        let list: Vec<String> = f.units.iter().map(i64::to_string).collect();
        sql.push_str(&format!(" AND unit_id IN ({})", list.join(",")));
    }
    let state = match &f.state {
        Some(s) => {
            let p = format!("${n}");
            n += 1;
            binds_s.push(s.clone());
            order.push(false);
            Some(p)
        }
        None => None,
    };
    if f.unassigned {
        sql.push_str(" AND assignee_id IS NULL");
    }
    if let Some(d) = f.due_before {
        sql.push_str(&format!(" AND step_due_at <= ${n}"));
        n += 1;
        binds_i.push(d);
        order.push(true);
    }
    if let Some(p) = &f.procedure {
        sql.push_str(&format!(" AND procedure_code = ${n}"));
        n += 1;
        binds_s.push(p.clone());
        order.push(false);
    }
    for w in &f.words {
        sql.push_str(&format!(" AND search_text LIKE ${n}"));
        n += 1;
        binds_s.push(format!("%{}%", w.replace(['%', '_', '\\'], "")));
        order.push(false);
    }
    let one = |state: &str| {
        format!(
            "SELECT {COLS} FROM handling_cases WHERE (step_due_at > $1 OR (step_due_at = $1 AND dossier_id > $2)) AND state = {state}{sql} ORDER BY step_due_at, dossier_id LIMIT ${n}"
        )
    };
    // Open and paused: each in the order of its index, then merged (an
    // `IN` on the state would read every such case of the unit to sort
    // them).
    let sql = match state {
        Some(p) => one(&p),
        None => format!(
            "SELECT {COLS} FROM ({}) AS o UNION ALL SELECT {COLS} FROM ({}) AS p ORDER BY step_due_at, dossier_id LIMIT ${n}",
            one("'open'"),
            one("'paused'")
        ),
    };
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(after.0)
        .bind(after.1);
    let (mut i, mut s) = (binds_i.into_iter(), binds_s.into_iter());
    for is_int in order {
        if is_int {
            q = q.bind(i.next().unwrap_or_default());
        } else {
            q = q.bind(s.next().unwrap_or_default());
        }
    }
    let rows = q.bind(limit).persistent(false).fetch_all(&mut *c).await?;
    rows.iter().map(row).collect()
}

/// Open cases of `units`: how many, how many overdue at `now`, and how
/// many paused — each counted up to `cap` (a count stops there).
pub async fn counts(
    c: &mut AnyConnection,
    units: &[i64],
    now: Millis,
    cap: i64,
) -> Result<(i64, i64, i64)> {
    if units.is_empty() {
        return Ok((0, 0, 0));
    }
    let list: Vec<String> = units.iter().map(i64::to_string).collect();
    let list = list.join(",");
    let cap = cap.max(1);
    let open: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM handling_cases WHERE unit_id IN ({list}) AND state = 'open' LIMIT {cap}) AS t"
    )))
    .fetch_one(&mut *c)
    .await?;
    let overdue: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM handling_cases WHERE unit_id IN ({list}) AND state = 'open' AND step_due_at < $1 LIMIT {cap}) AS t"
    )))
    .bind(now)
    .fetch_one(&mut *c)
    .await?;
    let paused: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM handling_cases WHERE unit_id IN ({list}) AND state = 'paused' LIMIT {cap}) AS t"
    )))
    .fetch_one(&mut *c)
    .await?;
    Ok((open, overdue, paused))
}

/// The cases that passed through unit `unit_id` (a line of the control
/// slip started there) in `[from, to)`, in order of submission; at most
/// `limit`.
pub async fn through_unit(
    c: &mut AnyConnection,
    unit_id: i64,
    from: Millis,
    to: Millis,
    limit: i64,
) -> Result<Vec<CaseRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM handling_cases WHERE dossier_id IN (SELECT dossier_id FROM handling_slips WHERE unit_id = $1 AND started_at >= $2 AND started_at < $3) ORDER BY submitted_at, dossier_id LIMIT $4"
    )))
    .bind(unit_id)
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(row).collect()
}

/// Open, paused and past-deadline cases, portal-wide (the metrics).
pub async fn totals(c: &mut AnyConnection, now: Millis) -> Result<(i64, i64, i64)> {
    let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM handling_cases WHERE state = 'open'")
        .fetch_one(&mut *c)
        .await?;
    let paused: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM handling_cases WHERE state = 'paused'")
            .fetch_one(&mut *c)
            .await?;
    let late: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM handling_cases WHERE state = 'open' AND deadline_at < $1 AND done_at IS NULL",
    )
    .bind(now)
    .fetch_one(&mut *c)
    .await?;
    Ok((open, paused, late))
}

/// The figures of the progress report whose cases can be listed (issue
/// #11 §2: each figure links to the dossiers behind it): the flows by the
/// time they happened; the stock as it is now.
pub const BEHIND: &[&str] = &[
    "received",
    "received_1",
    "received_2",
    "received_3",
    "done_early",
    "done_on_time",
    "done_late",
    "open_on_time",
    "open_late",
    "supplement",
    "payment",
];

/// A page of the cases of `agencies` (at most 2,000; their current
/// agency) behind report figure `measure` for `[from, to)` (a flow) or at
/// `now` (the stock), oldest first after `after` (keyset on the figure's
/// time and the dossier); None for an unknown measure.
#[allow(clippy::too_many_arguments)]
pub async fn behind(
    c: &mut AnyConnection,
    agencies: &[String],
    procedure: Option<&str>,
    measure: &str,
    (from, to): (Millis, Millis),
    now: Millis,
    after: (Millis, i64),
    limit: i64,
) -> Result<Option<Vec<CaseRow>>> {
    // Numbers bound in the order they are named: $1, $2 the keyset.
    let mut ints: Vec<i64> = vec![after.0, after.1];
    let mut p = |v: i64| {
        ints.push(v);
        format!("${}", ints.len())
    };
    let (time, cond) = match measure {
        "received" | "received_1" | "received_2" | "received_3" => {
            let mut c = format!("received_at >= {} AND received_at < {}", p(from), p(to));
            if let Some(ch) = measure.strip_prefix("received_") {
                c.push_str(&format!(" AND channel = {}", p(ch.parse().unwrap_or(0))));
            }
            ("received_at", c)
        }
        "done_early" | "done_on_time" | "done_late" => {
            let mut c = format!("done_at >= {} AND done_at < {}", p(from), p(to));
            c.push_str(&match measure {
                "done_early" => format!(" AND apologies = 0 AND done_at + {} <= deadline_at", p(DAY)),
                "done_on_time" => format!(
                    " AND apologies = 0 AND (deadline_at IS NULL OR (done_at <= deadline_at AND done_at + {} > deadline_at))",
                    p(DAY)
                ),
                _ => " AND (apologies > 0 OR done_at > deadline_at)".to_string(),
            });
            ("done_at", c)
        }
        "open_on_time" => (
            "received_at",
            format!("state = 'open' AND done_at IS NULL AND received_at IS NOT NULL AND (deadline_at IS NULL OR deadline_at >= {})", p(now)),
        ),
        "open_late" => (
            "received_at",
            format!("state = 'open' AND done_at IS NULL AND received_at IS NOT NULL AND deadline_at < {}", p(now)),
        ),
        "supplement" => (
            "received_at",
            "state = 'paused' AND status <> 6 AND done_at IS NULL AND received_at IS NOT NULL".to_string(),
        ),
        "payment" => (
            "received_at",
            "state = 'paused' AND status = 6 AND done_at IS NULL AND received_at IS NOT NULL".to_string(),
        ),
        _ => return Ok(None),
    };
    if agencies.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let limit = p(limit.clamp(1, 200));
    let agencies = &agencies[..agencies.len().min(2000)];
    let base = ints.len();
    let list: Vec<String> = (0..agencies.len())
        .map(|i| format!("${}", base + 1 + i))
        .collect();
    let by_procedure = procedure
        .map(|_| format!(" AND procedure_code = ${}", base + agencies.len() + 1))
        .unwrap_or_default();
    let mut strings: Vec<&str> = agencies.iter().map(String::as_str).collect();
    strings.extend(procedure);
    // Each agency's page in the order of its index (agency, time,
    // dossier), then merged: an `IN` list would read every case of the
    // period of every agency to sort them.
    let branch = |a: &String| {
        format!(
            "SELECT * FROM (SELECT {COLS} FROM handling_cases WHERE agency_code = {a}{by_procedure} AND {cond} \
             AND ({time} > $1 OR ({time} = $1 AND dossier_id > $2)) ORDER BY {time}, dossier_id LIMIT {limit}) AS b"
        )
    };
    let sql = if list.len() == 1 {
        branch(&list[0])
    } else if list.len() > 400 {
        // SQLite's compound SELECT holds at most 500 parts: a scope this
        // wide (the whole country) is read with one list.
        format!(
            "SELECT {COLS} FROM handling_cases WHERE agency_code IN ({}){by_procedure} AND {cond} \
             AND ({time} > $1 OR ({time} = $1 AND dossier_id > $2)) ORDER BY {time}, dossier_id LIMIT {limit}",
            list.join(", ")
        )
    } else {
        format!(
            "SELECT {COLS} FROM ({}) AS u ORDER BY {time}, dossier_id LIMIT {limit}",
            list.iter()
                .map(branch)
                .collect::<Vec<_>>()
                .join(" UNION ALL ")
        )
    };
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for v in ints {
        q = q.bind(v);
    }
    for v in strings {
        q = q.bind(v);
    }
    let rows = q.persistent(false).fetch_all(&mut *c).await?;
    Ok(Some(rows.iter().map(row).collect::<Result<Vec<_>>>()?))
}
