//! Fee schedules (issue #10, R-PS-10): what a procedure's dossiers owe,
//! line by line. A line is a fee (`phí`) or a charge (`lệ phí`) — they
//! get separate receipts — for one case of the procedure or every case,
//! some channels or every channel, due before processing, after it (with
//! the result), or exempt (shown, never owed); applicant types named in
//! `exempt_for` owe nothing. The operator publishes versions (checked,
//! audited); the version in force at a time is the newest published by
//! then. The record's `PHILEPHI` stays the public text of the procedure.
use crate::store::fees::{self as store, ScheduleRow};
use motcua_kernel::service::{Origin, Result, ServiceError};
use motcua_kernel::Core;
use motcua_store::AnyConnection;
use serde::{Deserialize, Serialize};

pub const FEE: &str = "fee";
pub const CHARGE: &str = "charge";
pub const BEFORE: &str = "before";
pub const AFTER: &str = "after";
pub const EXEMPT: &str = "exempt";
/// The applicant types a line may exempt (an account's role).
pub const APPLICANTS: &[&str] = &["citizen", "business"];
/// At most this many đồng on a line.
pub const MAX_AMOUNT: i64 = 1_000_000_000;
const MAX_LINES: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Line {
    /// Unique in the schedule: `[a-z0-9_]{1,32}`.
    pub key: String,
    /// `fee` or `charge`.
    pub kind: String,
    pub name: String,
    /// In đồng.
    pub amount: i64,
    /// The procedure's case (`TRUONGHOP`) the line is for; empty: every
    /// case.
    #[serde(default)]
    pub case: String,
    /// The channels (1 in person, 2 online, 3 postal); empty: every one.
    #[serde(default)]
    pub channels: Vec<i64>,
    /// `before`, `after` or `exempt`.
    pub timing: String,
    /// Applicant types that owe nothing on this line.
    #[serde(default)]
    pub exempt_for: Vec<String>,
    /// The legal text the amount comes from (shown to the applicant).
    #[serde(default)]
    pub legal_basis: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    pub lines: Vec<Line>,
}

/// What is wrong with a schedule: a message key and the line's key (or
/// position).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub key: &'static str,
    pub line: String,
}

fn is_key(s: &str) -> bool {
    (1..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn plain(s: &str, max: usize) -> bool {
    s.chars().count() <= max && !s.chars().any(|c| c.is_control())
}

impl Schedule {
    /// Reads and checks a schedule (JSON `{"lines": [...]}`).
    pub fn parse(text: &str) -> std::result::Result<Schedule, Vec<Problem>> {
        let s: Schedule = serde_json::from_str(text).map_err(|_| {
            vec![Problem {
                key: "catalog.fees_unreadable",
                line: String::new(),
            }]
        })?;
        let p = s.check();
        if p.is_empty() {
            Ok(s)
        } else {
            Err(p)
        }
    }

    pub fn check(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        if self.lines.len() > MAX_LINES {
            out.push(Problem {
                key: "catalog.fees_too_many",
                line: String::new(),
            });
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, l) in self.lines.iter().enumerate() {
            let at = if l.key.is_empty() {
                format!("#{}", i + 1)
            } else {
                l.key.clone()
            };
            let mut bad = |key| {
                out.push(Problem {
                    key,
                    line: at.clone(),
                })
            };
            if !is_key(&l.key) {
                bad("catalog.fees_key");
            } else if !seen.insert(l.key.as_str()) {
                bad("catalog.fees_key_twice");
            }
            if l.kind != FEE && l.kind != CHARGE {
                bad("catalog.fees_kind");
            }
            if l.name.trim().is_empty() || !plain(&l.name, 200) {
                bad("catalog.fees_name");
            }
            let lowest = if l.timing == EXEMPT { 0 } else { 1 };
            if !(lowest..=MAX_AMOUNT).contains(&l.amount) {
                bad("catalog.fees_amount");
            }
            if ![BEFORE, AFTER, EXEMPT].contains(&l.timing.as_str()) {
                bad("catalog.fees_timing");
            }
            if !plain(&l.case, 100) {
                bad("catalog.fees_case");
            }
            if l.channels.iter().any(|c| !(1..=3).contains(c)) {
                bad("catalog.fees_channels");
            }
            if l.exempt_for
                .iter()
                .any(|a| !APPLICANTS.contains(&a.as_str()))
            {
                bad("catalog.fees_exempt_for");
            }
            if !plain(&l.legal_basis, 500) {
                bad("catalog.fees_legal_basis");
            }
        }
        out
    }

    /// The lines a dossier of `case`, sent by `channel` by an applicant
    /// of type `applicant`, owes with `timing`.
    pub fn owed(&self, case: &str, channel: i64, applicant: &str, timing: &str) -> Vec<&Line> {
        self.lines
            .iter()
            .filter(|l| {
                l.timing == timing
                    && l.timing != EXEMPT
                    && (l.case.is_empty() || l.case == case)
                    && (l.channels.is_empty() || l.channels.contains(&channel))
                    && !l.exempt_for.iter().any(|a| a == applicant)
            })
            .collect()
    }

    /// Everything the schedule says about such a dossier, owed or not:
    /// (line, owed) — what the applicant is shown before they submit.
    pub fn for_dossier(&self, case: &str, channel: i64, applicant: &str) -> Vec<(&Line, bool)> {
        self.lines
            .iter()
            .filter(|l| {
                (l.case.is_empty() || l.case == case)
                    && (l.channels.is_empty() || l.channels.contains(&channel))
            })
            .map(|l| {
                let owed = l.timing != EXEMPT && !l.exempt_for.iter().any(|a| a == applicant);
                (l, owed)
            })
            .collect()
    }
}

/// The schedule of `procedure_code` in force at `at`, with its version
/// (None: the procedure has none, it owes nothing).
pub async fn in_force(
    c: &mut AnyConnection,
    procedure_code: &str,
    at: motcua_domain::Millis,
) -> Result<Option<(i64, Schedule)>> {
    match store::in_force(c, procedure_code, at).await? {
        Some(row) => Ok(Some((row.version, parse_stored(&row)?))),
        None => Ok(None),
    }
}

pub fn parse_stored(row: &ScheduleRow) -> Result<Schedule> {
    serde_json::from_str(&row.lines)
        .map_err(|e| ServiceError::Internal(format!("fee schedule {}: {e}", row.id)))
}

/// The versions of a procedure's schedule, newest first.
pub async fn versions(core: &Core, procedure_code: &str) -> Result<Vec<ScheduleRow>> {
    let mut c = core.store.conn().await?;
    Ok(store::versions(&mut c, procedure_code).await?)
}

/// Procedures with a schedule, with their newest version.
pub async fn procedures(core: &Core) -> Result<Vec<(String, i64)>> {
    let mut c = core.store.conn().await?;
    Ok(store::procedures(&mut c).await?)
}

#[derive(Debug)]
pub enum Published {
    Version(i64),
    Refused(Vec<Problem>),
}

/// Publishes a new version of `procedure_code`'s schedule after checking
/// it, audited (`catalog.fees_publish`). Payment requests already made
/// keep the lines they were made with.
pub async fn publish(
    core: &Core,
    origin: &Origin,
    procedure_code: &str,
    text: &str,
    note: &str,
) -> Result<Published> {
    let procedure_code = procedure_code.trim();
    if crate::queries::procedure(core, procedure_code)
        .await?
        .is_none()
    {
        return Err(ServiceError::NotFound);
    }
    if text.len() > 64 * 1024 {
        return Ok(Published::Refused(vec![Problem {
            key: "catalog.fees_too_long",
            line: String::new(),
        }]));
    }
    let note = note.trim();
    if !plain(note, 1000) {
        return Err(ServiceError::field("note", "catalog.fees_note"));
    }
    let s = match Schedule::parse(text) {
        Ok(s) => s,
        Err(p) => return Ok(Published::Refused(p)),
    };
    let canonical =
        serde_json::to_string_pretty(&s).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let now = core.now();
    let mut tx = core.store.begin().await?;
    let row = store::publish(
        &mut tx,
        procedure_code,
        &canonical,
        note,
        &origin.audit.actor,
        now,
    )
    .await?;
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "catalog.fees_publish",
        &format!("procedure:{procedure_code}"),
        &serde_json::json!({ "version": row.version, "lines": s.lines.len(), "note": note })
            .to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Published::Version(row.version))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(key: &str, kind: &str, amount: i64, timing: &str) -> Line {
        Line {
            key: key.into(),
            kind: kind.into(),
            name: format!("Khoản {key}"),
            amount,
            case: String::new(),
            channels: vec![],
            timing: timing.into(),
            exempt_for: vec![],
            legal_basis: String::new(),
        }
    }

    #[test]
    fn owed_lines_follow_case_channel_applicant_and_timing() {
        let mut online = line("online", CHARGE, 5_000, BEFORE);
        online.channels = vec![2];
        let mut counter = line("counter", CHARGE, 10_000, BEFORE);
        counter.channels = vec![1, 3];
        let mut copy = line("copy", FEE, 8_000, AFTER);
        copy.case = "Cấp bản sao".into();
        let mut biz = line("biz", FEE, 100_000, BEFORE);
        biz.exempt_for = vec!["citizen".into()];
        let free = line("free", CHARGE, 0, EXEMPT);
        let s = Schedule {
            lines: vec![online, counter, copy, biz, free],
        };
        assert!(s.check().is_empty(), "{:?}", s.check());
        let keys = |v: Vec<&Line>| v.iter().map(|l| l.key.clone()).collect::<Vec<_>>();
        assert_eq!(keys(s.owed("", 2, "citizen", BEFORE)), ["online"]);
        assert_eq!(keys(s.owed("", 1, "business", BEFORE)), ["counter", "biz"]);
        assert_eq!(keys(s.owed("", 2, "citizen", AFTER)), Vec::<String>::new());
        assert_eq!(keys(s.owed("Cấp bản sao", 2, "citizen", AFTER)), ["copy"]);
        assert!(
            s.owed("", 2, "citizen", EXEMPT).is_empty(),
            "exempt is never owed"
        );
        let shown = s.for_dossier("", 2, "citizen");
        assert_eq!(
            shown
                .iter()
                .map(|(l, o)| (l.key.as_str(), *o))
                .collect::<Vec<_>>(),
            [("online", true), ("biz", false), ("free", false)]
        );
    }

    #[test]
    fn bad_schedules_say_what_is_wrong() {
        let mut bad = line("Bad Key", "tax", 0, "later");
        bad.channels = vec![4];
        bad.exempt_for = vec!["nobody".into()];
        bad.name = "\u{7}".into();
        let s = Schedule {
            lines: vec![
                bad,
                line("a", FEE, MAX_AMOUNT + 1, BEFORE),
                line("a", FEE, 1, BEFORE),
            ],
        };
        let keys: Vec<_> = s.check().iter().map(|p| p.key).collect();
        for k in [
            "catalog.fees_key",
            "catalog.fees_kind",
            "catalog.fees_name",
            "catalog.fees_amount",
            "catalog.fees_timing",
            "catalog.fees_channels",
            "catalog.fees_exempt_for",
            "catalog.fees_key_twice",
        ] {
            assert!(keys.contains(&k), "{k}: {keys:?}");
        }
        assert_eq!(
            Schedule::parse("{\"lines\": [{\"key\": \"a\"}]}").unwrap_err()[0].key,
            "catalog.fees_unreadable"
        );
        assert_eq!(
            Schedule::parse("{\"lines\": [], \"extra\": 1}").unwrap_err()[0].key,
            "catalog.fees_unreadable"
        );
        assert!(
            Schedule::parse("{\"lines\": []}").is_ok(),
            "no lines: nothing owed"
        );
    }
}
