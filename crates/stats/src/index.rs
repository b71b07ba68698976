//! The index of service to citizens and businesses (issue #11 §2;
//! Decision 766/QĐ-TTg; PUBLIC-SERVICES §8): six groups — publicity and
//! transparency (18 points), processing progress (20), online public
//! services (12), online payment (10), satisfaction (18), digitisation of
//! dossiers and results (22) — per ministry and province (or per agency
//! under one) and period, from the portal's own figures ([`MEASURES`]).
//! The Decision fixes the groups and their points; the sub-formulas vary
//! between implementations, so they are data ([`Formulas`]) the operator
//! edits, every version kept; a period is scored with the version in
//! force at its end.
//!
//! Scoring: a criterion scores `points × min(1, numerator / denominator)`;
//! a criterion whose denominator is 0 does not apply (nothing to measure)
//! and its group is scored over the criteria that do, scaled to the
//! group's points; a group with none has no score; the total is the
//! groups' scores scaled to 100 over the groups that have one.
use crate::period::Period;
use crate::progress::under;
use crate::store::formulas as store;
use motcua_domain::Millis;
use motcua_handling::queries::ReportLine;
use motcua_kernel::service::{Origin, Result, ServiceError};
use motcua_kernel::Core;
use std::collections::BTreeMap;

/// The Decision's groups and their points, in its order.
pub const GROUPS: [(&str, f64); 6] = [
    ("publicity", 18.0),
    ("progress", 20.0),
    ("online", 12.0),
    ("payment", 10.0),
    ("satisfaction", 18.0),
    ("digitisation", 22.0),
];

/// The figures a formula may use, each with what it counts (message key).
pub const MEASURES: &[&str] = &[
    "received_new",
    "received_online",
    "received_in_person",
    "received_postal",
    "dossiers_public",
    "done",
    "done_on_time",
    "done_late",
    "held",
    "held_on_time",
    "held_late",
    "results_digital",
    "evaluated",
    "evaluation_score",
    "evaluation_max",
    "evaluation_satisfied",
    "payable",
    "paid_online",
    "feedback_received",
    "feedback_answered",
    "feedback_answered_on_time",
    "feedback_published",
    "feedback_published_on_time",
    "procedures",
    "procedures_online_full",
    "procedures_online_partial",
];

#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Formulas {
    pub groups: Vec<Group>,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    pub points: f64,
    pub criteria: Vec<Criterion>,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    pub points: f64,
    pub numerator: String,
    pub denominator: String,
}

/// The built-in formulas (version 0): what the portal's own data can
/// measure for each group.
pub const DEFAULT: &str = include_str!("index_default.json");

/// Reads and checks a formulas document: the Decision's six groups with
/// their points, each with criteria whose points add up to the group's,
/// over known figures. The first problem, as a message key.
pub fn parse(text: &str) -> std::result::Result<Formulas, &'static str> {
    let f: Formulas = serde_json::from_str(text).map_err(|_| "stats.index_error_json")?;
    if f.groups.len() != GROUPS.len() {
        return Err("stats.index_error_groups");
    }
    for (key, points) in GROUPS {
        let g = f
            .groups
            .iter()
            .find(|g| g.key == key)
            .ok_or("stats.index_error_groups")?;
        if (g.points - points).abs() > 1e-9 {
            return Err("stats.index_error_group_points");
        }
        if g.criteria.is_empty() || g.name.trim().is_empty() || g.name.chars().count() > 200 {
            return Err("stats.index_error_criteria");
        }
        let mut keys = std::collections::BTreeSet::new();
        let mut sum = 0.0;
        for c in &g.criteria {
            let key_ok = !c.key.is_empty()
                && c.key.len() <= 40
                && c.key
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !key_ok || !keys.insert(c.key.as_str()) {
                return Err("stats.index_error_key");
            }
            if c.name.trim().is_empty() || c.name.chars().count() > 200 {
                return Err("stats.index_error_criteria");
            }
            if !(c.points > 0.0 && c.points.is_finite()) {
                return Err("stats.index_error_points");
            }
            if !MEASURES.contains(&c.numerator.as_str())
                || !MEASURES.contains(&c.denominator.as_str())
            {
                return Err("stats.index_error_measure");
            }
            sum += c.points;
        }
        if (sum - g.points).abs() > 1e-6 {
            return Err("stats.index_error_sum");
        }
    }
    Ok(f)
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CriterionScore {
    pub key: String,
    pub name: String,
    pub points: f64,
    pub numerator: i64,
    pub denominator: i64,
    /// None: nothing to measure (the denominator is 0).
    pub score: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GroupScore {
    pub key: String,
    pub name: String,
    pub points: f64,
    pub score: Option<f64>,
    pub criteria: Vec<CriterionScore>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Scored {
    pub groups: Vec<GroupScore>,
    /// Out of 100, over the groups that have a score.
    pub total: Option<f64>,
}

/// Scores `m` (figures by name; a missing one is 0) with `f`, groups in
/// the Decision's order.
pub fn score(f: &Formulas, m: &BTreeMap<String, i64>, english: bool) -> Scored {
    let get = |k: &str| m.get(k).copied().unwrap_or(0);
    let mut groups = Vec::new();
    for (key, _) in GROUPS {
        let Some(g) = f.groups.iter().find(|g| g.key == key) else {
            continue;
        };
        let criteria: Vec<CriterionScore> = g
            .criteria
            .iter()
            .map(|c| {
                let (num, den) = (get(&c.numerator), get(&c.denominator));
                CriterionScore {
                    key: c.key.clone(),
                    name: if english && !c.name_en.is_empty() {
                        c.name_en.clone()
                    } else {
                        c.name.clone()
                    },
                    points: c.points,
                    numerator: num,
                    denominator: den,
                    score: (den > 0).then(|| c.points * (num as f64 / den as f64).clamp(0.0, 1.0)),
                }
            })
            .collect();
        let applicable: f64 = criteria
            .iter()
            .filter(|c| c.score.is_some())
            .map(|c| c.points)
            .sum();
        let got: f64 = criteria.iter().filter_map(|c| c.score).sum();
        groups.push(GroupScore {
            key: g.key.clone(),
            name: if english && !g.name_en.is_empty() {
                g.name_en.clone()
            } else {
                g.name.clone()
            },
            points: g.points,
            score: (applicable > 0.0).then(|| got * g.points / applicable),
            criteria,
        });
    }
    let available: f64 = groups
        .iter()
        .filter(|g| g.score.is_some())
        .map(|g| g.points)
        .sum();
    let sum: f64 = groups.iter().filter_map(|g| g.score).sum();
    Scored {
        total: (available > 0.0).then(|| sum * 100.0 / available),
        groups,
    }
}

/// The figures of one row.
#[derive(Debug, Clone, Default)]
struct Figures {
    line: ReportLine,
    payable: i64,
    paid_online: i64,
    feedback: [i64; 5],
    procedures: (i64, i64, i64),
}

impl Figures {
    fn measures(&self) -> BTreeMap<String, i64> {
        let l = &self.line;
        let received_new = l.received_in_person + l.received_online + l.received_postal;
        let done = l.done_early + l.done_on_time + l.done_late;
        let held = l.open_on_time + l.open_late + l.supplement + l.payment;
        let [fr, fa, fat, fp, fpt] = self.feedback;
        [
            ("received_new", received_new),
            ("received_online", l.received_online),
            ("received_in_person", l.received_in_person),
            ("received_postal", l.received_postal),
            // Every dossier received here has its progress on the portal.
            ("dossiers_public", received_new),
            ("done", done),
            ("done_on_time", l.done_early + l.done_on_time),
            ("done_late", l.done_late),
            ("held", held),
            ("held_on_time", held - l.open_late),
            ("held_late", l.open_late),
            // An approval here always issues results signed with the
            // agency's seal.
            ("results_digital", done),
            ("evaluated", l.evaluated),
            ("evaluation_score", l.evaluation_score),
            ("evaluation_max", 18 * l.evaluated),
            ("evaluation_satisfied", l.evaluation_satisfied),
            ("payable", self.payable),
            ("paid_online", self.paid_online),
            ("feedback_received", fr),
            ("feedback_answered", fa),
            ("feedback_answered_on_time", fat),
            ("feedback_published", fp),
            ("feedback_published_on_time", fpt),
            ("procedures", self.procedures.0),
            ("procedures_online_full", self.procedures.1),
            ("procedures_online_partial", self.procedures.2),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}

/// One row of the index.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    pub code: String,
    pub name: String,
    pub scored: Scored,
    /// The figures behind it, by name.
    pub measures: BTreeMap<String, i64>,
}

/// The index as the page and the API show it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Index {
    pub period: String,
    pub scope: Option<String>,
    /// The formulas' version (0: built in).
    pub version: i64,
    pub rows: Vec<Row>,
}

/// The formulas in force at `at`: the newest version published before
/// it, else the built-in one (version 0).
pub async fn formulas_at(core: &Core, at: Millis) -> Result<(i64, Formulas)> {
    let mut c = core.store.conn().await?;
    let v = store::in_force(&mut c, at).await?;
    let (n, text) = match v {
        Some(v) => (v.version, v.body),
        None => (0, DEFAULT.to_string()),
    };
    let f = parse(&text).map_err(|k| ServiceError::Internal(format!("index formulas {n}: {k}")))?;
    Ok((n, f))
}

/// The index of `scope` (an agency: the agencies directly under it, each
/// with those under it, and its own row; empty: each ministry and
/// province) for `period`, as of `now`.
pub async fn index(
    core: &Core,
    scope: &str,
    period: Period,
    english: bool,
    now: Millis,
) -> Result<Index> {
    let (from, to) = period.months();
    let (start, end) = period.span();
    if start > now {
        return Err(ServiceError::field("period", "stats.error_future"));
    }
    let (all, parents, scope_agency) = crate::progress::tree(core, scope).await?;
    let top = scope_agency.as_ref().map(|a| a.code.as_str());
    let row_of = |agency: &str| under(&parents, agency, top);
    let mut rows: BTreeMap<String, Figures> = BTreeMap::new();
    // Every agency's rows, so the roots and the agencies under a scope
    // alike; the statements read summaries and indexes by time.
    for l in motcua_handling::queries::report(core, &[], from, to, now).await? {
        if let Some(k) = row_of(&l.agency_code) {
            rows.entry(k).or_default().line.add(&l);
        }
    }
    for (agency, made, paid) in
        motcua_payments::service::totals(core, start, end.min(now + 1)).await?
    {
        if let Some(k) = row_of(&agency) {
            let r = rows.entry(k).or_default();
            r.payable += made;
            r.paid_online += paid;
        }
    }
    for (agency, f) in motcua_feedback::queries::totals(core, start, end.min(now + 1)).await? {
        if let Some(k) = row_of(&agency) {
            let r = rows.entry(k).or_default();
            for (a, b) in r.feedback.iter_mut().zip(f) {
                *a += b;
            }
        }
    }
    for (agency, n, full, partial) in motcua_catalog::queries::online_by_agency(core).await? {
        if let Some(k) = row_of(&agency) {
            let r = rows.entry(k).or_default();
            r.procedures.0 += n;
            r.procedures.1 += full;
            r.procedures.2 += partial;
        }
    }
    let (version, f) = formulas_at(core, end).await?;
    let names: BTreeMap<&str, &str> = all
        .iter()
        .map(|a| (a.code.as_str(), a.name.as_str()))
        .collect();
    let out = rows
        .into_iter()
        .map(|(code, fig)| {
            let measures = fig.measures();
            Row {
                name: names
                    .get(code.as_str())
                    .map_or_else(|| code.clone(), |n| n.to_string()),
                scored: score(&f, &measures, english),
                measures,
                code,
            }
        })
        .collect();
    Ok(Index {
        period: period.code(),
        scope: top.map(str::to_string),
        version,
        rows: out,
    })
}

/// Every published version, newest first, and the text in force now
/// (the built-in one before any).
pub async fn history(core: &Core) -> Result<(Vec<store::Version>, String)> {
    let mut c = core.store.conn().await?;
    let all = store::history(&mut c).await?;
    let current = all
        .first()
        .map_or_else(|| DEFAULT.to_string(), |v| v.body.clone());
    Ok((all, current))
}

/// Publishes a new version of the formulas (checked first; a reason is
/// required); audited. Its number.
pub async fn publish(
    core: &Core,
    origin: &Origin,
    text: &str,
    note: &str,
    now: Millis,
) -> Result<i64> {
    parse(text).map_err(|k| ServiceError::field("body", k))?;
    let note = note.trim();
    if !(5..=500).contains(&note.chars().count()) {
        return Err(ServiceError::field("note", "stats.index_error_note"));
    }
    let mut tx = core.store.begin().await?;
    let v = store::insert(&mut tx, text, note, &origin.audit.actor, now).await?;
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "stats.index_formulas",
        &format!("index-formulas:{v}"),
        &serde_json::json!({ "version": v, "note": note }).to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    /// A hand-computed data set: the expected figures below are worked
    /// out from the built-in formulas (index_default.json) on paper.
    #[test]
    fn the_default_formulas_score_a_hand_computed_set() {
        let f = parse(DEFAULT).expect("the built-in formulas");
        let mut data = m(&[
            ("received_new", 10),
            ("dossiers_public", 10),
            ("received_online", 6),
            ("done", 8),
            ("done_on_time", 6),
            ("held", 4),
            ("held_on_time", 3),
            ("evaluated", 5),
            ("evaluation_score", 72),
            ("evaluation_max", 90),
            ("evaluation_satisfied", 4),
            ("feedback_answered", 2),
            ("feedback_answered_on_time", 1),
            ("feedback_published_on_time", 2),
            ("procedures", 20),
            ("procedures_online_full", 5),
            ("results_digital", 8),
        ]);
        let s = score(&f, &data, false);
        let g = |k: &str| s.groups.iter().find(|g| g.key == k).and_then(|g| g.score);
        // Publicity: 8 × 10/10 + 10 × 2/2.
        assert!(close(g("publicity"), 18.0));
        // Progress: 14 × 6/8 + 6 × 3/4 = 10.5 + 4.5.
        assert!(close(g("progress"), 15.0));
        // Online: 4 × 5/20 + 8 × 6/10 = 1 + 4.8.
        assert!(close(g("online"), 5.8));
        // Payment: nothing was payable.
        assert_eq!(g("payment"), None);
        // Satisfaction: 10 × 72/90 + 4 × 4/5 + 4 × 1/2 = 8 + 3.2 + 2.
        assert!(close(g("satisfaction"), 13.2));
        // Digitisation: 11 × 6/10 + 11 × 8/8 = 6.6 + 11.
        assert!(close(g("digitisation"), 17.6));
        // Total over the 90 points that apply: 69.6 × 100 / 90.
        assert!(close(s.total, 69.6 * 100.0 / 90.0));
        // One request of four paid online: 10 × 1/4; all six groups.
        data.insert("payable".into(), 4);
        data.insert("paid_online".into(), 1);
        let s = score(&f, &data, false);
        assert!(close(
            s.groups
                .iter()
                .find(|g| g.key == "payment")
                .and_then(|g| g.score),
            2.5
        ));
        assert!(close(s.total, 72.1));
        // No feedback answered: satisfaction over its other 14 points,
        // scaled to 18: (8 + 3.2) × 18 / 14.
        data.insert("feedback_answered".into(), 0);
        let s = score(&f, &data, false);
        assert!(close(
            s.groups
                .iter()
                .find(|g| g.key == "satisfaction")
                .and_then(|g| g.score),
            14.4
        ));
        // More than the denominator never scores above the points.
        let s = score(&f, &m(&[("payable", 1), ("paid_online", 3)]), false);
        assert!(close(
            s.groups
                .iter()
                .find(|g| g.key == "payment")
                .and_then(|g| g.score),
            10.0
        ));
        assert!(close(s.total, 100.0), "only the payment group applies");
        // Nothing at all: no score.
        assert_eq!(score(&f, &BTreeMap::new(), false).total, None);
    }

    #[test]
    fn formulas_are_checked() {
        let mut f: Formulas = serde_json::from_str(DEFAULT).unwrap();
        assert_eq!(parse(DEFAULT).map(|_| ()), Ok(()));
        assert_eq!(parse("{").map(|_| ()), Err("stats.index_error_json"));
        assert_eq!(
            parse("{\"groups\":[],\"x\":1}").map(|_| ()),
            Err("stats.index_error_json")
        );
        let text = |f: &Formulas| serde_json::to_string(f).unwrap();
        f.groups[0].criteria[0].numerator = "dossiers_lost".into();
        assert_eq!(
            parse(&text(&f)).map(|_| ()),
            Err("stats.index_error_measure")
        );
        let mut f: Formulas = serde_json::from_str(DEFAULT).unwrap();
        f.groups[1].points = 25.0;
        assert_eq!(
            parse(&text(&f)).map(|_| ()),
            Err("stats.index_error_group_points")
        );
        let mut f: Formulas = serde_json::from_str(DEFAULT).unwrap();
        f.groups[1].criteria[0].points -= 1.0;
        assert_eq!(parse(&text(&f)).map(|_| ()), Err("stats.index_error_sum"));
        let mut f: Formulas = serde_json::from_str(DEFAULT).unwrap();
        f.groups.pop();
        assert_eq!(
            parse(&text(&f)).map(|_| ()),
            Err("stats.index_error_groups")
        );
        let mut f: Formulas = serde_json::from_str(DEFAULT).unwrap();
        f.groups[2].criteria[1].key = f.groups[2].criteria[0].key.clone();
        assert_eq!(parse(&text(&f)).map(|_| ()), Err("stats.index_error_key"));
    }
}
