//! The leaders' board (issue #9 §6) and its summary table
//! `handling_board`: how many of an agency's cases submitted on a day are
//! in each bucket. The summary is changed in the transaction that writes
//! the case (`cases::insert`, `insert_many`, `update`), so a board read
//! from it is exact; `scan` computes the same lines from the cases and is
//! what the summary is tested and benchmarked against.
use motcua_domain::{Millis, DAY, HOUR};
use motcua_store::Result;
use sqlx::{AnyConnection, Row};
use std::collections::BTreeMap;

/// Vietnam is UTC+7 all year.
const VN_OFFSET: Millis = 7 * HOUR;

/// One procedure's line of the board.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoardLine {
    pub procedure_code: String,
    pub procedure_name: String,
    pub received: i64,
    pub open_on_time: i64,
    pub open_late: i64,
    pub paused: i64,
    pub done_early: i64,
    pub done_on_time: i64,
    pub done_late: i64,
    pub refused_or_stopped: i64,
}

impl BoardLine {
    /// Adds the counts of `o` to this line's (a total, or parts of one
    /// procedure's line).
    pub fn add(&mut self, o: &BoardLine) {
        self.received += o.received;
        self.open_on_time += o.open_on_time;
        self.open_late += o.open_late;
        self.paused += o.paused;
        self.done_early += o.done_early;
        self.done_on_time += o.done_on_time;
        self.done_late += o.done_late;
        self.refused_or_stopped += o.refused_or_stopped;
    }
}

/// Where a case counts in the summary.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub agency_code: String,
    /// The Vietnam day of submission (days since 1970-01-01 local).
    pub day: i64,
    pub procedure_code: String,
    pub bucket: &'static str,
    /// Open cases: the UTC hour of the deadline (-1: none). Else 0.
    pub due_slot: i64,
}

/// The Vietnam day of a timestamp.
pub fn vn_day(at: Millis) -> i64 {
    (at + VN_OFFSET).div_euclid(DAY)
}

/// When Vietnam day `day` starts.
pub fn vn_day_start(day: i64) -> Millis {
    day * DAY - VN_OFFSET
}

/// What places a case on the board.
#[derive(Debug, Clone, Copy)]
pub struct Counted<'a> {
    pub agency_code: &'a str,
    pub procedure_code: &'a str,
    pub submitted_at: Millis,
    pub state: &'a str,
    pub done_at: Option<Millis>,
    pub deadline_at: Option<Millis>,
    pub apologies: i64,
}

/// The bucket of a case. Done is the result approved (`done_at`):
/// "early" a day or more before the deadline, "late" after it or after
/// an apology whatever the new date, else on time (also without a
/// deadline). Mirrors the SQL of migration 29.
pub fn key(k: Counted<'_>) -> Key {
    let (bucket, due_slot) = match (k.done_at, k.deadline_at) {
        (Some(end), due) => {
            let bucket = match due {
                _ if k.apologies > 0 => "late",
                Some(due) if end > due => "late",
                Some(due) if end + DAY <= due => "early",
                _ => "on_time",
            };
            (bucket, 0)
        }
        (None, due) => match k.state {
            "paused" => ("paused", 0),
            "open" => ("open", due.map_or(-1, |d| d.div_euclid(HOUR))),
            _ => ("stopped", 0),
        },
    };
    Key {
        agency_code: k.agency_code.to_string(),
        day: vn_day(k.submitted_at),
        procedure_code: k.procedure_code.to_string(),
        bucket,
        due_slot,
    }
}

/// Adds `deltas` to the summary, in key order (two transactions moving
/// the same rows lock them in the same order); a row whose count comes
/// back to zero is deleted (the last case of its bucket moved on).
pub async fn add(c: &mut AnyConnection, deltas: &BTreeMap<Key, i64>) -> Result<()> {
    for (k, n) in deltas {
        if *n == 0 {
            continue;
        }
        let left: i64 = sqlx::query_scalar(
            "INSERT INTO handling_board (agency_code, day, procedure_code, bucket, due_slot, n) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (agency_code, day, procedure_code, bucket, due_slot) \
             DO UPDATE SET n = handling_board.n + excluded.n RETURNING n",
        )
        .bind(&k.agency_code)
        .bind(k.day)
        .bind(&k.procedure_code)
        .bind(k.bucket)
        .bind(k.due_slot)
        .bind(*n)
        .fetch_one(&mut *c)
        .await?;
        if left == 0 {
            sqlx::query(
                "DELETE FROM handling_board WHERE agency_code = $1 AND day = $2 \
                 AND procedure_code = $3 AND bucket = $4 AND due_slot = $5 AND n = 0",
            )
            .bind(&k.agency_code)
            .bind(k.day)
            .bind(&k.procedure_code)
            .bind(k.bucket)
            .bind(k.due_slot)
            .execute(&mut *c)
            .await?;
        }
    }
    Ok(())
}

/// Moves one case from `old` to `new` in the summary (either may be
/// absent: a new case, or none).
pub async fn moved(c: &mut AnyConnection, old: Option<Key>, new: Option<Key>) -> Result<()> {
    if old == new {
        return Ok(());
    }
    let mut deltas = BTreeMap::new();
    if let Some(o) = old {
        *deltas.entry(o).or_insert(0) -= 1;
    }
    if let Some(n) = new {
        *deltas.entry(n).or_insert(0) += 1;
    }
    add(c, &deltas).await
}

/// The board of an agency for cases submitted in `[from, to)` as of
/// `now`: whole Vietnam days from the summary, a partial first or last
/// day from the cases, and the open cases whose deadline falls in the
/// current hour from the cases (they turn late during it).
pub async fn board(
    c: &mut AnyConnection,
    agency_code: &str,
    from: Millis,
    to: Millis,
    now: Millis,
) -> Result<Vec<BoardLine>> {
    if from >= to {
        return Ok(Vec::new());
    }
    let first = vn_day(from - 1) + 1; // the first day starting at or after `from`
    let last = vn_day(to); // the day holding `to`: whole days end where it starts
    if first >= last {
        return scan(c, agency_code, from, to, now).await;
    }
    let mut lines: BTreeMap<String, BoardLine> = BTreeMap::new();
    let mut merge = |part: Vec<BoardLine>| {
        for l in part {
            let e = lines.entry(l.procedure_code.clone()).or_default();
            e.add(&l);
            e.procedure_code = l.procedure_code;
        }
    };
    let (start, end) = (vn_day_start(first), vn_day_start(last));
    if from < start {
        merge(scan(c, agency_code, from, start, now).await?);
    }
    if end < to {
        merge(scan(c, agency_code, end, to, now).await?);
    }
    merge(summary(c, agency_code, first, last, start, end, now).await?);
    // A procedure whose cases all moved away (another agency) has rows
    // of zero left in the summary: no line.
    Ok(lines
        .into_values()
        .filter(|l| l.received != 0)
        .take(LINES)
        .collect())
}

/// At most this many procedures on a board.
const LINES: usize = 2000;

/// The whole days `[first, last)` (which start at `start` and end at
/// `end`) from the summary.
async fn summary(
    c: &mut AnyConnection,
    agency_code: &str,
    first: i64,
    last: i64,
    start: Millis,
    end: Millis,
    now: Millis,
) -> Result<Vec<BoardLine>> {
    let hour = now.div_euclid(HOUR);
    // late: 0 on time, 1 late, 2 open with a deadline in this hour.
    let rows = sqlx::query(
        "SELECT procedure_code, bucket, \
         CAST(CASE WHEN bucket <> 'open' OR due_slot < 0 OR due_slot > $4 THEN 0 \
              WHEN due_slot < $4 THEN 1 ELSE 2 END AS BIGINT) AS late, \
         CAST(SUM(n) AS BIGINT) AS n \
         FROM handling_board WHERE agency_code = $1 AND day >= $2 AND day < $3 \
         GROUP BY procedure_code, bucket, \
         CASE WHEN bucket <> 'open' OR due_slot < 0 OR due_slot > $4 THEN 0 \
              WHEN due_slot < $4 THEN 1 ELSE 2 END",
    )
    .bind(agency_code)
    .bind(first)
    .bind(last)
    .bind(hour)
    .fetch_all(&mut *c)
    .await?;
    let mut lines: BTreeMap<String, BoardLine> = BTreeMap::new();
    for r in &rows {
        let code: String = r.try_get("procedure_code")?;
        let bucket: String = r.try_get("bucket")?;
        let late: i64 = r.try_get("late")?;
        let n: i64 = r.try_get("n")?;
        let l = lines.entry(code.clone()).or_default();
        l.procedure_code = code;
        l.received += n;
        match (bucket.as_str(), late) {
            ("open", 1) => l.open_late += n,
            ("open", _) => l.open_on_time += n,
            ("paused", _) => l.paused += n,
            ("early", _) => l.done_early += n,
            ("on_time", _) => l.done_on_time += n,
            ("late", _) => l.done_late += n,
            _ => l.refused_or_stopped += n,
        }
    }
    // Open cases due earlier in this hour are already late.
    let turned = sqlx::query(
        "SELECT procedure_code, COUNT(*) AS n FROM handling_cases \
         WHERE state = 'open' AND deadline_at >= $1 AND deadline_at < $2 AND done_at IS NULL \
         AND agency_code = $3 AND submitted_at >= $4 AND submitted_at < $5 \
         GROUP BY procedure_code",
    )
    .bind(hour * HOUR)
    .bind(now)
    .bind(agency_code)
    .bind(start)
    .bind(end)
    .fetch_all(&mut *c)
    .await?;
    for r in &turned {
        let code: String = r.try_get("procedure_code")?;
        let n: i64 = r.try_get("n")?;
        let l = lines.entry(code.clone()).or_default();
        l.procedure_code = code;
        l.open_on_time -= n;
        l.open_late += n;
    }
    Ok(lines.into_values().collect())
}

/// The board computed from the cases alone (reads the covering index
/// `handling_cases_board`): for partial days, and the reference the
/// summary is checked against.
pub async fn scan(
    c: &mut AnyConnection,
    agency_code: &str,
    from: Millis,
    to: Millis,
    now: Millis,
) -> Result<Vec<BoardLine>> {
    let rows = sqlx::query(
        "SELECT procedure_code, COUNT(*) AS received, \
         SUM(CASE WHEN state = 'open' AND done_at IS NULL AND (deadline_at IS NULL OR deadline_at >= $4) THEN 1 ELSE 0 END) AS open_on_time, \
         SUM(CASE WHEN state = 'open' AND done_at IS NULL AND deadline_at < $4 THEN 1 ELSE 0 END) AS open_late, \
         SUM(CASE WHEN state = 'paused' AND done_at IS NULL THEN 1 ELSE 0 END) AS paused, \
         SUM(CASE WHEN done_at IS NOT NULL AND apologies = 0 AND done_at + $5 <= deadline_at THEN 1 ELSE 0 END) AS done_early, \
         SUM(CASE WHEN done_at IS NOT NULL AND apologies = 0 AND (deadline_at IS NULL OR (done_at <= deadline_at AND done_at + $5 > deadline_at)) THEN 1 ELSE 0 END) AS done_on_time, \
         SUM(CASE WHEN done_at IS NOT NULL AND (apologies > 0 OR done_at > deadline_at) THEN 1 ELSE 0 END) AS done_late, \
         SUM(CASE WHEN state NOT IN ('open', 'paused') AND done_at IS NULL THEN 1 ELSE 0 END) AS refused_or_stopped \
         FROM handling_cases WHERE agency_code = $1 AND submitted_at >= $2 AND submitted_at < $3 \
         GROUP BY procedure_code ORDER BY procedure_code LIMIT 2000",
    )
    .bind(agency_code)
    .bind(from)
    .bind(to)
    .bind(now)
    .bind(DAY)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(BoardLine {
                procedure_code: r.try_get("procedure_code")?,
                procedure_name: String::new(),
                received: r.try_get("received")?,
                open_on_time: r.try_get("open_on_time")?,
                open_late: r.try_get("open_late")?,
                paused: r.try_get("paused")?,
                done_early: r.try_get("done_early")?,
                done_on_time: r.try_get("done_on_time")?,
                done_late: r.try_get("done_late")?,
                refused_or_stopped: r.try_get("refused_or_stopped")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(state: &str, done: Option<Millis>, due: Option<Millis>, apologies: i64) -> Key {
        key(Counted {
            agency_code: "H29.P01",
            procedure_code: "1.001193",
            submitted_at: 1_801_414_800_000 + 2 * HOUR,
            state,
            done_at: done,
            deadline_at: due,
            apologies,
        })
    }

    #[test]
    fn every_case_has_one_bucket() {
        let due = 1_801_414_800_000 + 5 * DAY;
        let b = |k: Key| (k.bucket, k.due_slot);
        assert_eq!(b(case("open", None, Some(due), 0)), ("open", due / HOUR));
        assert_eq!(b(case("open", None, None, 0)), ("open", -1));
        assert_eq!(b(case("paused", None, Some(due), 0)), ("paused", 0));
        assert_eq!(b(case("closed", None, Some(due), 0)), ("stopped", 0));
        // Done: a day or more early; on time up to the deadline; late
        // after it or after an apology whatever the new date.
        assert_eq!(b(case("open", Some(due - DAY), Some(due), 0)), ("early", 0));
        assert_eq!(
            b(case("closed", Some(due - DAY + 1), Some(due), 0)),
            ("on_time", 0)
        );
        assert_eq!(b(case("closed", Some(due), Some(due), 0)), ("on_time", 0));
        assert_eq!(b(case("closed", Some(due + 1), Some(due), 0)), ("late", 0));
        assert_eq!(
            b(case("closed", Some(due - 3 * DAY), Some(due), 1)),
            ("late", 0)
        );
        assert_eq!(b(case("closed", Some(due), None, 0)), ("on_time", 0));
        // The day is the Vietnam day of submission.
        assert_eq!(case("open", None, None, 0).day, vn_day(1_801_414_800_000));
    }

    #[test]
    fn vietnam_days_start_at_local_midnight() {
        // 2027-02-01 00:00 in Hanoi is 2027-01-31 17:00 UTC.
        let midnight = 1_801_414_800_000;
        assert_eq!(vn_day_start(vn_day(midnight)), midnight);
        assert_eq!(vn_day(midnight - 1) + 1, vn_day(midnight));
        assert_eq!(vn_day(midnight + DAY - 1), vn_day(midnight));
    }
}
