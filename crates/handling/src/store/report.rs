//! The progress report's summary (issue #11 §3, PUBLIC-SERVICES §8):
//! what happened to an agency's cases in each Vietnam month, and what it
//! held at each month's start — kept in the transaction that writes the
//! case (`cases::insert`, `insert_many`, `update`), like the board, so a
//! report never scans the cases.
//!
//! `handling_report` holds, per agency, procedure and month, the net
//! number of each *flow* (received by channel, done early / on time /
//! late, stopped, not accepted, returned, transferred in / out) and the
//! net *stock* changes (a case entering or leaving "open" with the
//! Vietnam day of its deadline, "supplement" or "payment"). Every change
//! is dated by the time of the transaction that makes it (`updated_at`).
//!
//! The stock at a month's start is the sum of the stock changes of the
//! months before it. `handling_report_stock` keeps it per month once
//! asked for (a checkpoint, made from the previous one and the months
//! between), with the open cases whose deadline day is before that start
//! folded into `due_day = -2` ("late at that start"). A change dated
//! before a checkpoint (a synthetic history; a node whose clock is
//! behind) deletes the checkpoints after it, which are then made again.
use motcua_domain::{Millis, DAY, HOUR};
use motcua_store::Result;
use sqlx::{AnyConnection, Row};
use std::collections::BTreeMap;

const VN_OFFSET: Millis = 7 * HOUR;

/// Stock buckets.
pub const OPEN: &str = "open";
pub const SUPPLEMENT: &str = "supplement";
pub const PAYMENT: &str = "payment";
/// An open case's deadline day before the checkpoint's start.
pub const LATE_AT_START: i64 = -2;
/// An open case without a deadline (never late).
pub const NO_DEADLINE: i64 = -1;

/// The Vietnam month of a timestamp: `year * 12 + month - 1`.
pub fn vn_month(at: Millis) -> i64 {
    let d = motcua_domain::clock::vn_datetime(at).date();
    i64::from(d.year()) * 12 + i64::from(u8::from(d.month())) - 1
}

/// When Vietnam month `m` starts.
pub fn month_start(m: i64) -> Millis {
    let (y, mo) = (m.div_euclid(12), m.rem_euclid(12) + 1);
    let month = time::Month::try_from(mo as u8).unwrap_or(time::Month::January);
    match time::Date::from_calendar_date(y as i32, month, 1) {
        Ok(d) => motcua_domain::clock::from_vn_datetime(d.midnight()),
        Err(_) => 0,
    }
}

/// The Vietnam day (days since 1970-01-01 local) of a timestamp.
pub fn vn_day(at: Millis) -> i64 {
    (at + VN_OFFSET).div_euclid(DAY)
}

/// What places a case in the report.
#[derive(Debug, Clone, Copy)]
pub struct Counted<'a> {
    pub agency_code: &'a str,
    pub procedure_code: &'a str,
    pub channel: i64,
    pub status: i64,
    pub state: &'a str,
    pub received_at: Option<Millis>,
    pub done_at: Option<Millis>,
    pub deadline_at: Option<Millis>,
    pub paused_at: Option<Millis>,
    pub apologies: i64,
}

/// A result approved: "early" a day or more before the deadline, "late"
/// after it or after an apology, else on time (the board's rule).
pub fn done_measure(done_at: Millis, deadline_at: Option<Millis>, apologies: i64) -> &'static str {
    match deadline_at {
        _ if apologies > 0 => "done_late",
        Some(due) if done_at > due => "done_late",
        Some(due) if done_at + DAY <= due => "done_early",
        _ => "done_on_time",
    }
}

/// Where a received, unfinished case is held: open with its deadline's
/// day, or waiting for the applicant (a supplement, a fee).
pub fn stock(k: &Counted<'_>) -> Option<(&'static str, i64)> {
    if k.received_at.is_none() || k.done_at.is_some() {
        return None;
    }
    match k.state {
        "open" => Some((OPEN, k.deadline_at.map_or(NO_DEADLINE, vn_day))),
        "paused" if k.status == 6 => Some((PAYMENT, 0)),
        "paused" => Some((SUPPLEMENT, 0)),
        _ => None,
    }
}

/// One row's key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub agency_code: String,
    pub month: i64,
    pub procedure_code: String,
    pub measure: String,
    pub due_day: i64,
}

fn key(k: &Counted<'_>, at: Millis, measure: &str, due_day: i64) -> Key {
    Key {
        agency_code: k.agency_code.to_string(),
        month: vn_month(at),
        procedure_code: k.procedure_code.to_string(),
        measure: measure.to_string(),
        due_day,
    }
}

/// The changes of a case going from `old` (none: a new case) to `new`
/// at `at`.
pub fn changes(old: Option<&Counted<'_>>, new: &Counted<'_>, at: Millis) -> BTreeMap<Key, i64> {
    let mut d: BTreeMap<Key, i64> = BTreeMap::new();
    let mut put = |k: Key, n: i64| *d.entry(k).or_insert(0) += n;
    let was = |f: &dyn Fn(&Counted<'_>) -> bool| old.is_some_and(f);
    if new.received_at.is_some() && !was(&|o| o.received_at.is_some()) {
        put(key(new, at, &format!("received_{}", new.channel), 0), 1);
    }
    let old_done = old.and_then(|o| {
        o.done_at
            .map(|t| (o, done_measure(t, o.deadline_at, o.apologies)))
    });
    let new_done = new
        .done_at
        .map(|t| done_measure(t, new.deadline_at, new.apologies));
    if old_done.map(|(o, m)| (o.agency_code, m)) != new_done.map(|m| (new.agency_code, m)) {
        if let Some((o, m)) = old_done {
            put(key(o, at, m, 0), -1);
        }
        if let Some(m) = new_done {
            put(key(new, at, m, 0), 1);
        }
    }
    let closed = |k: &Counted<'_>| k.state == "closed";
    if closed(new) && new.done_at.is_none() && new.received_at.is_some() && !was(&|o| closed(o)) {
        put(key(new, at, "stopped", 0), 1);
    }
    if new.status == 3 && !was(&|o| o.status == 3) {
        put(key(new, at, "not_accepted", 0), 1);
    }
    if new.status == 10 && !was(&|o| o.status == 10) {
        put(key(new, at, "returned", 0), 1);
    }
    let old_stock = old.and_then(|o| stock(o).map(|s| (o, s)));
    let new_stock = stock(new);
    if let (Some((o, _)), Some(_)) = (old_stock, new_stock) {
        if o.agency_code != new.agency_code {
            put(key(o, at, "transferred_out", 0), 1);
            put(key(new, at, "transferred_in", 0), 1);
        }
    }
    if let Some((o, (b, due))) = old_stock {
        put(key(o, at, b, due), -1);
    }
    if let Some((b, due)) = new_stock {
        put(key(new, at, b, due), 1);
    }
    d.retain(|_, n| *n != 0);
    d
}

/// The changes of a case inserted with its history (the benchmark's
/// synthetic cases), each dated by the case's own times: received, then
/// paused, done or closed (`updated_at`).
pub fn history(k: &Counted<'_>, updated_at: Millis) -> BTreeMap<Key, i64> {
    let mut d: BTreeMap<Key, i64> = BTreeMap::new();
    let Some(received) = k.received_at.filter(|_| k.status != 3) else {
        let refused = Counted {
            received_at: None,
            ..*k
        };
        return changes(None, &refused, updated_at);
    };
    let mut put = |key: Key, n: i64| *d.entry(key).or_insert(0) += n;
    let open = Counted {
        state: "open",
        status: 2,
        done_at: None,
        ..*k
    };
    for (key, n) in changes(None, &open, received) {
        put(key, n);
    }
    let end = k
        .done_at
        .or(if k.state == "paused" {
            k.paused_at
        } else {
            None
        })
        .unwrap_or(updated_at)
        .max(received);
    let before = Counted { status: 4, ..open };
    for (key, n) in changes(Some(&before), k, end) {
        put(key, n);
    }
    if k.done_at.is_some() && k.status == 10 {
        // Returned after it was done: dated by the last change.
        let done = Counted {
            status: 9,
            state: "open",
            ..*k
        };
        let returned = changes(Some(&done), k, updated_at.max(end));
        for (key, n) in returned {
            put(key, n);
        }
        // `changes(before → k)` counted the return at `end` too.
        put(key(k, end, "returned", 0), -1);
    }
    d.retain(|_, n| *n != 0);
    d
}

/// The changes an applicant's evaluation makes (PUBLIC-SERVICES §8, the
/// index's satisfaction): `evaluated` once per dossier, `evaluation_score`
/// its total of the nine indices (0–18), `evaluation_satisfied` when
/// satisfied or very satisfied; a changed evaluation moves the
/// difference, dated `at`.
pub fn evaluated(
    agency_code: &str,
    procedure_code: &str,
    was: Option<(i64, i64)>,
    is: (i64, i64),
    at: Millis,
) -> BTreeMap<Key, i64> {
    let k = |measure: &str| Key {
        agency_code: agency_code.to_string(),
        month: vn_month(at),
        procedure_code: procedure_code.to_string(),
        measure: measure.to_string(),
        due_day: 0,
    };
    let satisfied = |s: i64| i64::from(s == 1 || s == 2);
    let mut d = BTreeMap::new();
    let (old_total, old_sat, old_n) = was.map_or((0, 0, 0), |(t, s)| (t, satisfied(s), 1));
    d.insert(k("evaluated"), 1 - old_n);
    d.insert(k("evaluation_score"), is.0 - old_total);
    d.insert(k("evaluation_satisfied"), satisfied(is.1) - old_sat);
    d.retain(|_, n| *n != 0);
    d
}

const STOCK_IN: &str = "measure IN ('open', 'supplement', 'payment')";

/// Adds `deltas` in key order (two transactions moving the same rows lock
/// them in the same order); a row back to zero is deleted. A change dated
/// before an existing checkpoint deletes the checkpoints after it.
pub async fn add(c: &mut AnyConnection, deltas: &BTreeMap<Key, i64>) -> Result<()> {
    let mut first: Option<i64> = None;
    for (k, n) in deltas {
        if *n == 0 {
            continue;
        }
        first = Some(first.map_or(k.month, |f: i64| f.min(k.month)));
        let left: i64 = sqlx::query_scalar(
            "INSERT INTO handling_report (agency_code, month, procedure_code, measure, due_day, n) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (agency_code, month, procedure_code, measure, due_day) \
             DO UPDATE SET n = handling_report.n + excluded.n RETURNING n",
        )
        .bind(&k.agency_code)
        .bind(k.month)
        .bind(&k.procedure_code)
        .bind(&k.measure)
        .bind(k.due_day)
        .bind(*n)
        .fetch_one(&mut *c)
        .await?;
        if left == 0 {
            sqlx::query(
                "DELETE FROM handling_report WHERE agency_code = $1 AND month = $2 \
                 AND procedure_code = $3 AND measure = $4 AND due_day = $5 AND n = 0",
            )
            .bind(&k.agency_code)
            .bind(k.month)
            .bind(&k.procedure_code)
            .bind(&k.measure)
            .bind(k.due_day)
            .execute(&mut *c)
            .await?;
        }
    }
    if let Some(m) = first {
        let stale: Option<i64> =
            sqlx::query_scalar("SELECT month FROM handling_report_marks WHERE month > $1 LIMIT 1")
                .bind(m)
                .fetch_optional(&mut *c)
                .await?;
        if stale.is_some() {
            sqlx::query("DELETE FROM handling_report_stock WHERE month > $1")
                .bind(m)
                .execute(&mut *c)
                .await?;
            sqlx::query("DELETE FROM handling_report_marks WHERE month > $1")
                .bind(m)
                .execute(&mut *c)
                .await?;
        }
    }
    Ok(())
}

/// One agency's and procedure's figures for a span of months.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Line {
    pub agency_code: String,
    pub procedure_code: String,
    /// Held at the span's start (received, not finished).
    pub carried_over: i64,
    /// Received during the span, by channel (1 in person, 2 online, 3 post).
    pub received_in_person: i64,
    pub received_online: i64,
    pub received_postal: i64,
    pub transferred_in: i64,
    pub transferred_out: i64,
    pub done_early: i64,
    pub done_on_time: i64,
    pub done_late: i64,
    /// Refused after receipt, stopped or withdrawn.
    pub stopped: i64,
    /// Refused at reception (never received).
    pub not_accepted: i64,
    pub returned: i64,
    /// Held at the span's end.
    pub open_on_time: i64,
    pub open_late: i64,
    pub supplement: i64,
    pub payment: i64,
    /// Applicants' evaluations given during the span, their scores (sum of
    /// the nine indices, 0–18 each) and how many were satisfied.
    pub evaluated: i64,
    pub evaluation_score: i64,
    pub evaluation_satisfied: i64,
}

impl Line {
    pub fn add(&mut self, o: &Line) {
        self.carried_over += o.carried_over;
        self.received_in_person += o.received_in_person;
        self.received_online += o.received_online;
        self.received_postal += o.received_postal;
        self.transferred_in += o.transferred_in;
        self.transferred_out += o.transferred_out;
        self.done_early += o.done_early;
        self.done_on_time += o.done_on_time;
        self.done_late += o.done_late;
        self.stopped += o.stopped;
        self.not_accepted += o.not_accepted;
        self.returned += o.returned;
        self.open_on_time += o.open_on_time;
        self.open_late += o.open_late;
        self.supplement += o.supplement;
        self.payment += o.payment;
        self.evaluated += o.evaluated;
        self.evaluation_score += o.evaluation_score;
        self.evaluation_satisfied += o.evaluation_satisfied;
    }

    fn flow(&mut self, measure: &str, n: i64) {
        let slot = match measure {
            "received_1" => &mut self.received_in_person,
            "received_2" => &mut self.received_online,
            "received_3" => &mut self.received_postal,
            "transferred_in" => &mut self.transferred_in,
            "transferred_out" => &mut self.transferred_out,
            "done_early" => &mut self.done_early,
            "done_on_time" => &mut self.done_on_time,
            "done_late" => &mut self.done_late,
            "stopped" => &mut self.stopped,
            "not_accepted" => &mut self.not_accepted,
            "returned" => &mut self.returned,
            "evaluated" => &mut self.evaluated,
            "evaluation_score" => &mut self.evaluation_score,
            "evaluation_satisfied" => &mut self.evaluation_satisfied,
            _ => return,
        };
        *slot += n;
    }

    /// Held at the end, one stock row: open rows are late when their
    /// deadline day is before `today` (or folded late at a checkpoint).
    fn held(&mut self, bucket: &str, due_day: i64, n: i64, today: i64) {
        match bucket {
            OPEN if due_day == LATE_AT_START || (due_day >= 0 && due_day < today) => {
                self.open_late += n
            }
            OPEN => self.open_on_time += n,
            SUPPLEMENT => self.supplement += n,
            PAYMENT => self.payment += n,
            _ => {}
        }
    }
}

fn list(n: usize, from: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The stock rows of `agencies` at the start of month `m` as
/// (agency, procedure, bucket, due_day, n): from the newest checkpoint at
/// or before `m` and the stock changes of the months between, open rows
/// whose deadline day is before `fold_day` folded into
/// [`LATE_AT_START`]. `agencies` empty: every agency.
async fn stock_at(
    c: &mut AnyConnection,
    agencies: &[String],
    m: i64,
    fold_day: i64,
) -> Result<Vec<(String, String, String, i64, i64)>> {
    let base: Option<i64> =
        sqlx::query_scalar("SELECT MAX(month) FROM handling_report_marks WHERE month <= $1")
            .bind(m)
            .fetch_one(&mut *c)
            .await?;
    let only = if agencies.is_empty() {
        String::new()
    } else {
        format!("AND agency_code IN ({})", list(agencies.len(), 5))
    };
    let sql = format!(
        "SELECT agency_code, procedure_code, bucket, due, CAST(SUM(n) AS BIGINT) AS n FROM ( \
           SELECT agency_code, procedure_code, bucket, \
                  CASE WHEN bucket = 'open' AND due_day >= 0 AND due_day < $1 THEN -2 ELSE due_day END AS due, n \
           FROM handling_report_stock WHERE month = $2 {only} \
           UNION ALL \
           SELECT agency_code, procedure_code, measure AS bucket, \
                  CASE WHEN measure = 'open' AND due_day >= 0 AND due_day < $1 THEN -2 ELSE due_day END AS due, n \
           FROM handling_report WHERE month >= $3 AND month < $4 AND {STOCK_IN} {only} \
         ) x GROUP BY agency_code, procedure_code, bucket, due HAVING SUM(n) <> 0"
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(fold_day)
        .bind(base.unwrap_or(i64::MIN))
        .bind(base.unwrap_or(i64::MIN))
        .bind(m);
    for a in agencies {
        q = q.bind(a.clone());
    }
    let rows = q.fetch_all(&mut *c).await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("agency_code")?,
                r.try_get("procedure_code")?,
                r.try_get("bucket")?,
                r.try_get("due")?,
                r.try_get("n")?,
            ))
        })
        .collect()
}

/// When the checkpoint of month `m` was made, if it was.
pub async fn made(c: &mut AnyConnection, m: i64) -> Result<Option<Millis>> {
    Ok(
        sqlx::query_scalar("SELECT made_at FROM handling_report_marks WHERE month = $1")
            .bind(m)
            .fetch_optional(&mut *c)
            .await?,
    )
}

/// Keeps the checkpoint of month `m` (every agency) unless one exists;
/// true when this call made it. Only for a month that started an hour
/// ago or more: a transaction that began before its start may still be
/// committing changes dated before it.
pub async fn checkpoint(c: &mut AnyConnection, m: i64, now: Millis) -> Result<bool> {
    if month_start(m) + HOUR > now {
        return Ok(false);
    }
    let exists: Option<i64> =
        sqlx::query_scalar("SELECT month FROM handling_report_marks WHERE month = $1")
            .bind(m)
            .fetch_optional(&mut *c)
            .await?;
    if exists.is_some() {
        return Ok(false);
    }
    let rows = stock_at(c, &[], m, vn_day(month_start(m))).await?;
    // Two nodes may compute it at once: the mark decides who writes.
    let fresh = sqlx::query(
        "INSERT INTO handling_report_marks (month, made_at) VALUES ($1, $2) ON CONFLICT (month) DO NOTHING",
    )
    .bind(m)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected()
        == 1;
    if !fresh {
        return Ok(false);
    }
    for (a, p, b, due, n) in rows {
        sqlx::query(
            "INSERT INTO handling_report_stock (agency_code, month, procedure_code, bucket, due_day, n) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(a)
        .bind(m)
        .bind(p)
        .bind(b)
        .bind(due)
        .bind(n)
        .execute(&mut *c)
        .await?;
    }
    Ok(true)
}

/// The report of `agencies` (empty: every agency) for months `[from, to)` as of
/// `now`, one line per agency and procedure. The stock at the end is
/// the stock at `to`'s start when that has passed, else now's (late:
/// the deadline's day is before today).
pub async fn report(
    c: &mut AnyConnection,
    agencies: &[String],
    from: i64,
    to: i64,
    now: Millis,
) -> Result<Vec<Line>> {
    let mut lines: BTreeMap<(String, String), Line> = BTreeMap::new();
    if from >= to {
        return Ok(Vec::new());
    }
    fn line(lines: &mut BTreeMap<(String, String), Line>, a: String, p: String) -> &mut Line {
        lines.entry((a.clone(), p.clone())).or_insert_with(|| Line {
            agency_code: a,
            procedure_code: p,
            ..Line::default()
        })
    }
    for (a, p, _, _, n) in stock_at(c, agencies, from, 0).await? {
        line(&mut lines, a, p).carried_over += n;
    }
    let current = vn_month(now);
    let only = if agencies.is_empty() {
        String::new()
    } else {
        format!("AND agency_code IN ({})", list(agencies.len(), 3))
    };
    let sql = format!(
        "SELECT agency_code, procedure_code, measure, CAST(SUM(n) AS BIGINT) AS n FROM handling_report \
         WHERE month >= $1 AND month < $2 AND NOT ({STOCK_IN}) {only} \
         GROUP BY agency_code, procedure_code, measure"
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(from).bind(to);
    for a in agencies {
        q = q.bind(a.clone());
    }
    for r in q.fetch_all(&mut *c).await? {
        let measure: String = r.try_get("measure")?;
        line(
            &mut lines,
            r.try_get("agency_code")?,
            r.try_get("procedure_code")?,
        )
        .flow(&measure, r.try_get("n")?);
    }
    let (end_month, today) = if to <= current {
        (to, vn_day(month_start(to)))
    } else {
        (current + 1, vn_day(now))
    };
    for (a, p, b, due, n) in stock_at(c, agencies, end_month, today).await? {
        line(&mut lines, a, p).held(&b, due, n, today);
    }
    Ok(lines.into_values().collect())
}
