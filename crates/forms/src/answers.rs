//! Answers: the JSON object a form fills, built from the fields a page
//! posts (`name`, `address.province`, `lines.0.code`), kept typed by the
//! field's kind, with the fields hidden by their condition removed.
use crate::definition::{Definition, Field, Step, DEFAULT_MAX_ROWS};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The posted fields of one page (the last value of a repeated name).
pub type Posted = HashMap<String, String>;

/// The longest text one input keeps.
pub const MAX_TEXT: usize = 4000;

fn text(posted: &Posted, key: &str) -> Option<String> {
    let v = posted.get(key)?;
    let v: String = v.trim().chars().take(MAX_TEXT).collect();
    (!v.is_empty()).then_some(v)
}

/// A number as people type it: `1.500.000`, `1 500 000` or `2,5`. What is
/// not a number stays text, so that the schema names the error.
fn number(s: &str, money: bool) -> Value {
    let cleaned: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let cleaned = if money {
        cleaned.replace('.', "")
    } else {
        cleaned.clone()
    };
    let cleaned = cleaned.replace(',', ".");
    if let Ok(i) = cleaned.parse::<i64>() {
        return Value::from(i);
    }
    match cleaned.parse::<f64>() {
        Ok(f) if f.is_finite() => Value::from(f),
        _ => Value::String(s.to_string()),
    }
}

/// The value of one simple field under `key`, or `None` when left empty.
fn simple(f: &Field, posted: &Posted, key: &str) -> Option<Value> {
    match f.kind.as_str() {
        "checkbox" => Some(Value::Bool(posted.contains_key(key))),
        "number" => text(posted, key).map(|s| number(&s, false)),
        "money" => text(posted, key).map(|s| number(&s, true)),
        "personal_id" | "tax_code" | "phone" => {
            text(posted, key).map(|s| Value::String(s.split_whitespace().collect::<String>()))
        }
        _ => text(posted, key).map(Value::String),
    }
}

/// How many rows a group shows: those with answers, at least one, one
/// more when the person asked to add a row, at most its maximum.
pub fn rows_of(f: &Field, answers: &Map<String, Value>) -> usize {
    let n = answers
        .get(&f.name)
        .and_then(|v| v.as_array())
        .map_or(0, |a| a.len());
    n.clamp(1, f.max_rows.unwrap_or(DEFAULT_MAX_ROWS))
}

/// The value of `f` as posted, or `None` when left empty.
pub fn read(f: &Field, posted: &Posted) -> Option<Value> {
    match f.kind.as_str() {
        "address" => {
            let mut o = Map::new();
            for k in ["province", "commune", "street"] {
                if let Some(v) = text(posted, &format!("{}.{k}", f.name)) {
                    o.insert(k.into(), Value::String(v));
                }
            }
            // A commune typed without diacritics or in another case is
            // stored under its official name.
            if let (Some(Value::String(p)), Some(Value::String(c))) =
                (o.get("province"), o.get("commune"))
            {
                if let Some(official) = crate::seed::commune_named(p, c) {
                    o.insert("commune".into(), Value::String(official.into()));
                }
            }
            (!o.is_empty()).then_some(Value::Object(o))
        }
        "group" => {
            let max = f.max_rows.unwrap_or(DEFAULT_MAX_ROWS);
            let mut rows = Vec::new();
            for i in 0..max {
                let mut o = Map::new();
                let mut any = false;
                for g in &f.fields {
                    let key = format!("{}.{i}.{}", f.name, g.name);
                    if posted.contains_key(&key) {
                        any = true;
                    }
                    if let Some(v) = simple(g, posted, &key) {
                        if g.kind != "checkbox" || v == Value::Bool(true) {
                            o.insert(g.name.clone(), v);
                        }
                    }
                }
                if !any {
                    break;
                }
                if !o.is_empty() {
                    rows.push(Value::Object(o));
                }
            }
            (!rows.is_empty()).then_some(Value::Array(rows))
        }
        _ => simple(f, posted, &f.name),
    }
}

/// Whether `f` is shown given the answers so far.
pub fn visible(f: &Field, answers: &Map<String, Value>) -> bool {
    match &f.show_if {
        None => true,
        Some(c) => match answers.get(&c.field) {
            Some(Value::String(s)) => c.one_of.iter().any(|o| o == s),
            Some(Value::Bool(b)) => c.one_of.iter().any(|o| o == &b.to_string()),
            _ => false,
        },
    }
}

/// What a page's buttons ask besides saving.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowAction {
    None,
    /// Add a row to the group of this name.
    Add(String),
    /// Remove row `1` of group `0`.
    Remove(String, usize),
}

/// The answers after `step` is posted: that step's fields replaced by the
/// posted values, a row added or removed where asked, then every field
/// whose condition no longer holds removed (in every step).
pub fn apply(
    d: &Definition,
    step: &Step,
    answers: &Map<String, Value>,
    posted: &Posted,
    action: &RowAction,
) -> Map<String, Value> {
    let mut out = answers.clone();
    for f in &step.fields {
        match read(f, posted) {
            Some(v) => {
                out.insert(f.name.clone(), v);
            }
            None => {
                out.remove(&f.name);
            }
        }
        if f.kind == "group" {
            let max = f.max_rows.unwrap_or(DEFAULT_MAX_ROWS);
            match action {
                RowAction::Add(g) if g == &f.name => {
                    let rows = out
                        .entry(f.name.clone())
                        .or_insert_with(|| Value::Array(Vec::new()));
                    if let Value::Array(a) = rows {
                        if a.is_empty() {
                            a.push(Value::Object(Map::new()));
                        }
                        if a.len() < max {
                            a.push(Value::Object(Map::new()));
                        }
                    }
                }
                RowAction::Remove(g, i) if g == &f.name => {
                    if let Some(Value::Array(a)) = out.get_mut(&f.name) {
                        if *i < a.len() {
                            a.remove(*i);
                        }
                        if a.is_empty() {
                            out.remove(&f.name);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    prune(d, &mut out);
    out
}

/// Removes the answers of hidden fields and of names the form does not
/// ask (an answer carried over from an older version, a forged field).
pub fn prune(d: &Definition, answers: &mut Map<String, Value>) {
    let names: Vec<String> = answers.keys().cloned().collect();
    for n in names {
        if d.field(&n).is_none() {
            answers.remove(&n);
        }
    }
    // A condition may hang on a field that is itself hidden: repeat until
    // nothing changes (at most once per field).
    for _ in 0..=d.fields().count() {
        let hidden: Vec<String> = d
            .fields()
            .map(|(_, f)| f)
            .filter(|f| answers.contains_key(&f.name) && !visible(f, answers))
            .map(|f| f.name.clone())
            .collect();
        if hidden.is_empty() {
            break;
        }
        for n in hidden {
            answers.remove(&n);
        }
    }
}

/// An answer as a page shows it in an input (`""` when none).
pub fn shown(answers: &Map<String, Value>, path: &[&str]) -> String {
    let mut v = match answers.get(path[0]) {
        Some(v) => v,
        None => return String::new(),
    };
    for p in &path[1..] {
        v = match v {
            Value::Object(o) => match o.get(*p) {
                Some(x) => x,
                None => return String::new(),
            },
            Value::Array(a) => match p.parse::<usize>().ok().and_then(|i| a.get(i)) {
                Some(x) => x,
                None => return String::new(),
            },
            _ => return String::new(),
        };
    }
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// Carries answers over to another version of the form: kept where the
/// new version asks the same name and its schema finds nothing wrong with
/// the value (a missing answer is no reason to drop the others); dropped
/// otherwise. The names dropped are returned so the person can be told.
pub fn carry_over(
    to: &Definition,
    answers: &Map<String, Value>,
) -> (Map<String, Value>, Vec<String>) {
    let mut kept: Map<String, Value> = answers
        .iter()
        .filter(|(k, _)| to.field(k).is_some())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let wrong: std::collections::BTreeSet<String> = match crate::validate::compile(&to.schema) {
        Ok(v) => crate::validate::raw_errors(&v, &kept)
            .into_iter()
            .filter(|e| e.keyword != "required")
            .map(|e| e.path[0].clone())
            .collect(),
        Err(_) => kept.keys().cloned().collect(),
    };
    for w in &wrong {
        kept.remove(w);
    }
    prune(to, &mut kept);
    let dropped = answers
        .keys()
        .filter(|k| !kept.contains_key(*k))
        .cloned()
        .collect();
    (kept, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::parse;
    use serde_json::json;

    fn birth() -> Definition {
        crate::seed::specific()
            .remove("1.001193")
            .expect("birth form")
    }

    fn posted(pairs: &[(&str, &str)]) -> Posted {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn posted_values_are_typed_by_kind() {
        let d = birth();
        let f = d.field("mother_birth_year").expect("field");
        assert_eq!(
            read(f, &posted(&[("mother_birth_year", " 1990 ")])),
            Some(json!(1990))
        );
        assert_eq!(
            read(f, &posted(&[("mother_birth_year", "năm")])),
            Some(json!("năm")),
            "kept for the schema to name"
        );
        assert_eq!(read(f, &posted(&[("mother_birth_year", "")])), None);
        let id = d.field("personal_id").expect("field");
        assert_eq!(
            read(id, &posted(&[("personal_id", "001 190 012 345")])),
            Some(json!("001190012345"))
        );
        let addr = d.field("address").expect("field");
        assert_eq!(
            read(
                addr,
                &posted(&[
                    ("address.province", "Thành phố Huế"),
                    ("address.street", "1 Lê Lợi")
                ])
            ),
            Some(json!({"province": "Thành phố Huế", "street": "1 Lê Lợi"}))
        );
        let long = "a".repeat(MAX_TEXT + 50);
        let name = d.field("full_name").expect("field");
        assert_eq!(
            read(name, &posted(&[("full_name", &long)])).and_then(|v| v.as_str().map(str::len)),
            Some(MAX_TEXT)
        );
    }

    #[test]
    fn money_groups_and_repeating_rows() {
        let d = crate::seed::specific()
            .remove("1.001612")
            .expect("household business form");
        let capital = d.field("capital").expect("field");
        assert_eq!(
            read(capital, &posted(&[("capital", "1.500.000.000")])),
            Some(json!(1_500_000_000i64))
        );
        let step = &d.steps[0];
        let p = posted(&[
            ("business_lines.0.code", "5610"),
            ("business_lines.0.name", "Ăn uống"),
            ("business_lines.1.code", ""),
        ]);
        let a = apply(
            &d,
            step,
            &Map::new(),
            &p,
            &RowAction::Add("business_lines".into()),
        );
        let rows = a["business_lines"].as_array().expect("rows");
        assert_eq!(rows.len(), 2, "one answered row and the one added: {a:?}");
        let removed = apply(
            &d,
            step,
            &a,
            &p,
            &RowAction::Remove("business_lines".into(), 0),
        );
        assert!(removed.get("business_lines").is_none(), "{removed:?}");
    }

    #[test]
    fn hidden_and_unknown_answers_are_dropped_and_versions_carry_over() {
        let d = birth();
        let father = &d.steps[3];
        let a = apply(
            &d,
            father,
            &Map::new(),
            &posted(&[
                ("has_father", "no"),
                ("father_name", "Ai đó"),
                ("forged", "x"),
            ]),
            &RowAction::None,
        );
        assert_eq!(a.get("has_father"), Some(&json!("no")));
        assert!(a.get("father_name").is_none());
        assert!(a.get("forged").is_none());
        let yes = apply(
            &d,
            father,
            &a,
            &posted(&[("has_father", "yes"), ("father_name", "Trần Văn Bố")]),
            &RowAction::None,
        );
        assert_eq!(yes.get("father_name"), Some(&json!("Trần Văn Bố")));

        let mut newer = d.clone();
        newer.schema["properties"]["father_name"]["maxLength"] = json!(5);
        let (kept, dropped) = carry_over(&newer, &yes);
        assert_eq!(dropped, vec!["father_name".to_string()]);
        assert_eq!(kept.get("has_father"), Some(&json!("yes")));
        let other = parse(r#"{"title": {"vi": "T", "en": "T"}, "schema": {"type": "object", "properties": {"has_father": {"type": "string"}}}, "steps": [{"id": "a", "title": {"vi": "A", "en": "A"}, "fields": [{"name": "has_father", "kind": "text", "label": {"vi": "A", "en": "A"}}]}]}"#).expect("parses");
        let (kept, dropped) = carry_over(&other, &yes);
        assert_eq!(kept.len(), 1);
        assert_eq!(
            dropped,
            vec!["father_name".to_string()],
            "a name the new version does not ask"
        );
    }
}
