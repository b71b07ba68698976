//! Workflows as data (issue #9 §2): the steps a dossier goes through at
//! the agency, the role that acts at each step, the actions out of it and
//! each step's share of the processing time. A definition is checked
//! before it is stored ([`Definition::check`]): every step reachable from
//! the first, an end reachable from every step, the shares adding up to
//! 100 — so no dossier can be stranded by a workflow.
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, VecDeque};

/// The roles of civil servants in an agency (R-OP-4).
pub const RECEIVER: &str = "receiver";
pub const HANDLER: &str = "handler";
pub const APPROVER: &str = "approver";
pub const RETURNER: &str = "returner";
/// Manages the agency's people and their roles.
pub const ADMIN: &str = "admin";
/// The roles that act at a workflow's steps.
pub const STEP_ROLES: [&str; 4] = [RECEIVER, HANDLER, APPROVER, RETURNER];
pub const ROLES: [&str; 5] = [RECEIVER, HANDLER, APPROVER, RETURNER, ADMIN];

/// Where a step is done: at the agency's one-stop unit, or at a
/// department (the one the dossier was sent to).
pub const ONE_STOP: &str = "one_stop";
pub const DEPARTMENT: &str = "department";

/// What can be done at a step. Each kind has a fixed meaning for the
/// dossier's national status; `to` names the next step where the kind
/// moves the dossier, and is empty where it does not.
pub const ACCEPT: &str = "accept";
pub const REFUSE: &str = "refuse";
pub const SUPPLEMENT: &str = "supplement";
pub const FORWARD: &str = "forward";
pub const SEND_BACK: &str = "send_back";
pub const TRANSFER: &str = "transfer";
pub const APPROVE: &str = "approve";
pub const RETURN: &str = "return";
pub const STOP: &str = "stop";
pub const KINDS: [&str; 9] = [
    ACCEPT, REFUSE, SUPPLEMENT, FORWARD, SEND_BACK, TRANSFER, APPROVE, RETURN, STOP,
];

/// Kinds that move the dossier to the step named by `to`.
pub fn moves(kind: &str) -> bool {
    matches!(kind, ACCEPT | FORWARD | SEND_BACK | APPROVE)
}

/// Kinds that end the handling (refused, result returned, stopped).
pub fn ends(kind: &str) -> bool {
    matches!(kind, REFUSE | RETURN | STOP)
}

/// Where a dossier stands for the workflow's check: new (status 1),
/// being processed (2, 4) or with its result approved (9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    New,
    Progress,
    Done,
}

impl Class {
    fn status(self) -> i64 {
        match self {
            Class::New => 1,
            Class::Progress => 4,
            Class::Done => 9,
        }
    }
    fn allows(self, kind: &str) -> bool {
        status_allows(kind, self.status())
    }
    /// The class a moving action leaves the dossier in.
    fn after(kind: &str) -> Class {
        if kind == APPROVE {
            Class::Done
        } else {
            Class::Progress
        }
    }
}

/// Whether an action of `kind` may be taken on a dossier in national
/// status `status` (the statuses each kind changes from).
pub fn status_allows(kind: &str, status: i64) -> bool {
    match kind {
        ACCEPT | REFUSE => status == 1,
        SUPPLEMENT => matches!(status, 1 | 2 | 4),
        FORWARD | SEND_BACK | APPROVE => matches!(status, 2 | 4 | 9),
        TRANSFER => matches!(status, 1 | 2 | 4 | 9),
        RETURN => status == 9,
        STOP => matches!(status, 2 | 4 | 5 | 6),
        _ => false,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub kind: String,
    #[serde(default)]
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub key: String,
    pub name: String,
    pub role: String,
    pub unit: String,
    /// Percent of the processing time this step may take.
    pub share: u32,
    pub actions: Vec<Action>,
}

/// The result document a procedure issues: its title and text, `{field}`
/// standing for the dossier's answer to that form field. A person at the
/// agency starts a result from it (filled in, and changeable) before it is
/// generated as a PDF and signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultTemplate {
    pub title: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Definition {
    /// The procedure collects its fees before processing: the clock
    /// starts when they are paid (status 6 until then).
    #[serde(default)]
    pub fees_first: bool,
    pub steps: Vec<Step>,
    /// The procedure's result document, if it has a usual one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<ResultTemplate>,
}

/// The `{field}` names of a template, or None if a brace is unbalanced or
/// holds anything but a field name.
pub fn placeholders(text: &str) -> Option<Vec<&str>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return None;
        }
        let after = &rest[open + 1..];
        let close = after.find('}')?;
        let name = &after[..close];
        if !valid_key(name) {
            return None;
        }
        out.push(name);
        rest = &after[close + 1..];
    }
    Some(out)
}

/// The template with each `{field}` replaced by its value; a field the
/// dossier has no answer for stays as written, for the person to see.
pub fn fill(text: &str, values: &std::collections::BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if values.contains_key(&after[..close]) => {
                out.push_str(&values[&after[..close]]);
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// What is wrong with a definition: the i18n key and the step it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub key: &'static str,
    pub step: String,
}

fn problem(key: &'static str, step: &str) -> Problem {
    Problem {
        key,
        step: step.to_string(),
    }
}

fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 32
        && k.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl Definition {
    /// Parses a definition (JSON) and checks it.
    pub fn parse(text: &str) -> Result<Definition, Vec<Problem>> {
        let d: Definition = serde_json::from_str(text)
            .map_err(|_| vec![problem("handling.workflow_unreadable", "")])?;
        d.check()?;
        Ok(d)
    }

    pub fn step(&self, key: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.key == key)
    }

    pub fn first(&self) -> Option<&Step> {
        self.steps.first()
    }

    fn index(&self, key: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.key == key)
    }

    /// Every problem of the definition; none means it may be published.
    pub fn check(&self) -> Result<(), Vec<Problem>> {
        let mut out = Vec::new();
        if self.steps.is_empty() || self.steps.len() > 30 {
            out.push(problem("handling.workflow_steps", ""));
            return Err(out);
        }
        let mut keys = BTreeSet::new();
        // Reachability is checked where every step key and target is sound.
        let mut sound = true;
        for s in &self.steps {
            if !valid_key(&s.key) {
                out.push(problem("handling.workflow_step_key", &s.key));
            }
            if !keys.insert(s.key.as_str()) {
                out.push(problem("handling.workflow_step_twice", &s.key));
                sound = false;
            }
            let name = s.name.trim();
            if name.is_empty() || name.chars().count() > 200 {
                out.push(problem("handling.workflow_step_name", &s.key));
            }
            if !STEP_ROLES.contains(&s.role.as_str()) {
                out.push(problem("handling.workflow_role", &s.key));
            }
            if s.unit != ONE_STOP && s.unit != DEPARTMENT {
                out.push(problem("handling.workflow_unit", &s.key));
            }
            if s.share > 100 {
                out.push(problem("handling.workflow_shares", &s.key));
            }
            if s.actions.is_empty() || s.actions.len() > 12 {
                out.push(problem("handling.workflow_no_action", &s.key));
            }
            let mut seen = BTreeSet::new();
            for a in &s.actions {
                if !KINDS.contains(&a.kind.as_str()) {
                    out.push(problem("handling.workflow_action_kind", &s.key));
                    sound = false;
                    continue;
                }
                if !seen.insert((a.kind.as_str(), a.to.as_str())) {
                    out.push(problem("handling.workflow_action_twice", &s.key));
                }
                if moves(&a.kind) {
                    match self.index(&a.to) {
                        None => {
                            out.push(problem("handling.workflow_action_target", &s.key));
                            sound = false;
                        }
                        Some(t) => {
                            let here = self.index(&s.key).unwrap_or(0);
                            if a.kind == SEND_BACK && t >= here {
                                out.push(problem("handling.workflow_send_back", &s.key));
                            }
                            if a.kind != SEND_BACK && t == here {
                                out.push(problem("handling.workflow_action_target", &s.key));
                            }
                        }
                    }
                } else if !a.to.is_empty() {
                    out.push(problem("handling.workflow_action_target", &s.key));
                }
            }
        }
        let first = &self.steps[0];
        if first.role != RECEIVER
            || first.unit != ONE_STOP
            || !first.actions.iter().any(|a| a.kind == ACCEPT)
        {
            out.push(problem("handling.workflow_first_step", &first.key));
        }
        for s in &self.steps[1..] {
            if s.actions
                .iter()
                .any(|a| a.kind == ACCEPT || a.kind == REFUSE)
            {
                out.push(problem("handling.workflow_receipt_only", &s.key));
            }
        }
        if let Some(t) = &self.result {
            let title = t.title.trim();
            if title.is_empty() || title.chars().count() > 200 {
                out.push(problem("handling.workflow_result_title", ""));
            }
            if t.text.trim().is_empty() || t.text.chars().count() > 8000 {
                out.push(problem("handling.workflow_result_text", ""));
            }
            if placeholders(&t.title).is_none() || placeholders(&t.text).is_none() {
                out.push(problem("handling.workflow_result_placeholder", ""));
            }
        }
        let total: u32 = self.steps.iter().map(|s| s.share.min(100)).sum();
        if total != 100 {
            out.push(problem("handling.workflow_shares", ""));
        }
        if !self
            .steps
            .iter()
            .any(|s| s.actions.iter().any(|a| a.kind == APPROVE))
            || !self
                .steps
                .iter()
                .any(|s| s.actions.iter().any(|a| a.kind == RETURN))
        {
            out.push(problem("handling.workflow_no_result", ""));
        }
        for s in &self.steps {
            for a in &s.actions {
                if moves(&a.kind) && self.index(&a.to) == Some(0) {
                    out.push(problem("handling.workflow_back_to_receipt", &s.key));
                }
                if a.kind == TRANSFER && s.unit != DEPARTMENT {
                    out.push(problem("handling.workflow_transfer_unit", &s.key));
                }
            }
        }
        if sound {
            // Over (step, status class): an action only counts where the
            // dossier's status allows it (see `status_allows`).
            let reached = self.states_from((0, Class::New));
            for (i, s) in self.steps.iter().enumerate() {
                if !reached.iter().any(|(j, _)| *j == i) {
                    out.push(problem("handling.workflow_unreachable", &s.key));
                }
            }
            let mut stuck = BTreeSet::new();
            for state in &reached {
                let can_end = self.states_from(*state).iter().any(|(j, class)| {
                    self.steps[*j]
                        .actions
                        .iter()
                        .any(|a| ends(&a.kind) && class.allows(&a.kind))
                });
                if !can_end {
                    stuck.insert(state.0);
                }
            }
            for i in stuck {
                out.push(problem("handling.workflow_no_end", &self.steps[i].key));
            }
        }
        if out.is_empty() {
            Ok(())
        } else {
            Err(out)
        }
    }

    /// The (step, class) states reachable from `from` (itself included).
    fn states_from(&self, from: (usize, Class)) -> BTreeSet<(usize, Class)> {
        let mut seen = BTreeSet::from([from]);
        let mut queue = VecDeque::from([from]);
        while let Some((i, class)) = queue.pop_front() {
            for a in &self.steps[i].actions {
                if !moves(&a.kind) || !class.allows(&a.kind) {
                    continue;
                }
                let Some(t) = self.index(&a.to) else {
                    continue;
                };
                let next = (t, Class::after(&a.kind));
                if seen.insert(next) {
                    queue.push_back(next);
                }
            }
        }
        seen
    }

    /// The workflow used where a procedure has none of its own: receipt at
    /// the one-stop unit, handling and approval at a department, return at
    /// the one-stop unit (Decree 61/2018 Art. 18–20).
    pub fn standard() -> Definition {
        let a = |kind: &str, to: &str| Action {
            kind: kind.into(),
            to: to.into(),
        };
        Definition {
            fees_first: false,
            result: None,
            steps: vec![
                Step {
                    key: "receive".into(),
                    name: "Tiếp nhận hồ sơ".into(),
                    role: RECEIVER.into(),
                    unit: ONE_STOP.into(),
                    share: 0,
                    actions: vec![a(ACCEPT, "handle"), a(SUPPLEMENT, ""), a(REFUSE, "")],
                },
                Step {
                    key: "handle".into(),
                    name: "Thẩm định, xử lý hồ sơ".into(),
                    role: HANDLER.into(),
                    unit: DEPARTMENT.into(),
                    share: 60,
                    actions: vec![
                        a(FORWARD, "approve"),
                        a(SUPPLEMENT, ""),
                        a(TRANSFER, ""),
                        a(STOP, ""),
                    ],
                },
                Step {
                    key: "approve".into(),
                    name: "Phê duyệt kết quả".into(),
                    role: APPROVER.into(),
                    unit: DEPARTMENT.into(),
                    share: 30,
                    actions: vec![a(APPROVE, "return"), a(SEND_BACK, "handle"), a(STOP, "")],
                },
                Step {
                    key: "return".into(),
                    name: "Trả kết quả".into(),
                    role: RETURNER.into(),
                    unit: ONE_STOP.into(),
                    share: 10,
                    actions: vec![a(RETURN, "")],
                },
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_templates_are_checked_and_filled() {
        assert_eq!(
            placeholders("Khai sinh cho {child_name}, {child_birthdate}."),
            Some(vec!["child_name", "child_birthdate"])
        );
        assert_eq!(placeholders("không có trường"), Some(vec![]));
        for bad in ["{child_name", "child}", "{Child}", "{a b}", "{}", "{{x}}"] {
            assert_eq!(placeholders(bad), None, "{bad}");
        }
        let values = std::collections::BTreeMap::from([(
            "child_name".to_string(),
            "Nguyễn Minh Khôi".to_string(),
        )]);
        assert_eq!(
            fill("Cho {child_name} ({unknown}).", &values),
            "Cho Nguyễn Minh Khôi ({unknown})."
        );
        assert_eq!(
            fill("{child_name}{child_name}", &values),
            "Nguyễn Minh KhôiNguyễn Minh Khôi"
        );
        assert_eq!(fill("a { b", &values), "a { b");
        let mut d = Definition::standard();
        d.result = Some(ResultTemplate {
            title: "Trích lục khai sinh".into(),
            text: "Cho {child_name}.".into(),
        });
        assert!(d.check().is_ok());
        let text = serde_json::to_string(&d).unwrap();
        assert_eq!(Definition::parse(&text).unwrap(), d, "kept through JSON");
        for (title, body, key) in [
            ("", "x", "handling.workflow_result_title"),
            ("T", "  ", "handling.workflow_result_text"),
            (
                "T",
                "Cho {child name}",
                "handling.workflow_result_placeholder",
            ),
        ] {
            d.result = Some(ResultTemplate {
                title: title.into(),
                text: body.into(),
            });
            let problems = d.check().unwrap_err();
            assert!(problems.iter().any(|p| p.key == key), "{key}: {problems:?}");
        }
        // Without one, the JSON has no "result".
        assert!(!serde_json::to_string(&Definition::standard())
            .unwrap()
            .contains("\"result\""));
    }

    fn keys(r: Result<(), Vec<Problem>>) -> Vec<(&'static str, String)> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|p| (p.key, p.step))
            .collect()
    }

    #[test]
    fn the_standard_workflow_is_valid() {
        assert_eq!(Definition::standard().check(), Ok(()));
        let text = serde_json::to_string(&Definition::standard()).unwrap_or_default();
        assert_eq!(Definition::parse(&text), Ok(Definition::standard()));
    }

    #[test]
    fn an_unreachable_step_is_refused() {
        let mut d = Definition::standard();
        // Nothing leads to "approve" any more: it and "return" are stranded.
        d.steps[1].actions.remove(0);
        let k = keys(d.check());
        assert!(
            k.contains(&("handling.workflow_unreachable", "approve".into())),
            "{k:?}"
        );
        assert!(
            k.contains(&("handling.workflow_unreachable", "return".into())),
            "{k:?}"
        );
    }

    #[test]
    fn a_step_without_a_way_to_an_end_is_refused() {
        let mut d = Definition::standard();
        // handle ⇄ approve only: neither can end.
        d.steps[1].actions.retain(|a| a.kind == FORWARD);
        d.steps[2].actions = vec![Action {
            kind: SEND_BACK.into(),
            to: "handle".into(),
        }];
        d.steps[0].actions.retain(|a| a.kind == ACCEPT);
        let k = keys(d.check());
        assert!(
            k.contains(&("handling.workflow_no_end", "handle".into())),
            "{k:?}"
        );
        assert!(
            k.contains(&("handling.workflow_no_end", "approve".into())),
            "{k:?}"
        );
        assert!(
            k.contains(&("handling.workflow_no_end", "receive".into())),
            "{k:?}"
        );
    }

    /// Statuses count: a dossier sent back to receipt is no longer new
    /// and could never leave it; a step reached without approval whose
    /// only way out is "return" (which needs an approved result) is a
    /// dead end.
    #[test]
    fn dead_ends_that_only_statuses_reveal_are_refused() {
        let mut d = Definition::standard();
        d.steps[1].actions.push(Action {
            kind: SEND_BACK.into(),
            to: "receive".into(),
        });
        assert!(keys(d.check())
            .iter()
            .any(|p| p.0 == "handling.workflow_back_to_receipt"));
        // handle → return directly (forward): at "return" the result was
        // never approved, so "return" cannot be taken.
        let mut d = Definition::standard();
        d.steps[1].actions = vec![Action {
            kind: FORWARD.into(),
            to: "return".into(),
        }];
        d.steps[2].share = 30;
        let k = keys(d.check());
        assert!(
            k.contains(&("handling.workflow_no_end", "return".into())),
            "{k:?}"
        );
        assert!(
            k.contains(&("handling.workflow_no_end", "handle".into())),
            "{k:?}"
        );
        // Transfer belongs to departments.
        let mut d = Definition::standard();
        d.steps[3].actions.push(Action {
            kind: TRANSFER.into(),
            to: String::new(),
        });
        assert!(keys(d.check())
            .iter()
            .any(|p| p.0 == "handling.workflow_transfer_unit"));
        assert!(status_allows(RETURN, 9) && !status_allows(RETURN, 4));
        assert!(status_allows(STOP, 5) && !status_allows(STOP, 1) && !status_allows(STOP, 9));
    }

    #[test]
    fn malformed_definitions_are_refused_with_reasons() {
        let mut d = Definition::standard();
        d.steps[3].share = 20; // 110 %
        d.steps[2].actions.push(Action {
            kind: SEND_BACK.into(),
            to: "return".into(), // not earlier
        });
        d.steps[1].actions.push(Action {
            kind: FORWARD.into(),
            to: "nowhere".into(),
        });
        d.steps[1].role = "boss".into();
        d.steps[2].actions.push(Action {
            kind: ACCEPT.into(),
            to: "return".into(),
        });
        let k: Vec<&str> = keys(d.check()).into_iter().map(|p| p.0).collect();
        for want in [
            "handling.workflow_shares",
            "handling.workflow_send_back",
            "handling.workflow_action_target",
            "handling.workflow_role",
            "handling.workflow_receipt_only",
        ] {
            assert!(k.contains(&want), "{want} in {k:?}");
        }
        assert_eq!(
            Definition::parse("{not json"),
            Err(vec![problem("handling.workflow_unreadable", "")])
        );
        let mut first = Definition::standard();
        first.steps.swap(0, 1);
        assert!(keys(first.check())
            .iter()
            .any(|p| p.0 == "handling.workflow_first_step"));
    }
}
