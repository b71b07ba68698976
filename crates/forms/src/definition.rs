//! A form definition (R-PS-3): the data as a JSON Schema (draft 2020-12)
//! and a layout of steps that says how each property is asked — its kind
//! of input, its label and hint in Vietnamese and English, when it is
//! shown, and where it may be prefilled from.
//!
//! The layout names top-level properties of the schema only; an `address`
//! is an object of `province`, `commune` and `street`; a `group` is an
//! array of objects whose own fields are simple inputs (a repeating group,
//! such as the lines of a business).
use serde::{Deserialize, Serialize};

/// A text in both languages of the portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Text {
    pub vi: String,
    #[serde(default)]
    pub en: String,
}

impl Text {
    /// The text in `lang` (`vi` or `en`), Vietnamese when the English one
    /// is missing.
    pub fn get(&self, lang: &str) -> &str {
        if lang == "en" && !self.en.is_empty() {
            &self.en
        } else {
            &self.vi
        }
    }
}

/// The kinds of input.
pub const KINDS: &[&str] = &[
    "text",
    "textarea",
    "number",
    "money",
    "date",
    "choice",
    "checkbox",
    "email",
    "phone",
    "personal_id",
    "tax_code",
    "address",
    "group",
];

/// The profile items a field may be prefilled from (those the identity
/// context holds, R-ID-15).
pub const PREFILL_SOURCES: &[&str] = &[
    "full_name",
    "organization",
    "tax_code",
    "personal_id",
    "birthdate",
    "email",
    "phone",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub value: String,
    pub label: Text,
}

/// Shown only when another field of the form has one of these values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowIf {
    pub field: String,
    pub one_of: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// The schema property (top level; a sub-field's name inside a group).
    pub name: String,
    pub kind: String,
    pub label: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<Text>,
    /// For `choice`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<Choice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_if: Option<ShowIf>,
    /// A profile item ([`PREFILL_SOURCES`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefill: Option<String>,
    /// For `group`: the fields of one row.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Field>,
    /// For `group`: at most this many rows (default 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_rows: Option<usize>,
    /// A message that replaces the generic ones for any error of this
    /// field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub id: String,
    pub title: Text,
    pub fields: Vec<Field>,
}

/// One form: what is stored per version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Definition {
    pub title: Text,
    pub schema: serde_json::Value,
    pub steps: Vec<Step>,
    /// Whether the applicant signs the submission digitally (R-PS-3):
    /// [`SIGNATURES`]; empty means `none`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub signature: String,
}

/// What a form may say about signing the submission.
pub const SIGNATURES: &[&str] = &["none", "optional", "required"];

/// Rows of a group unless its definition says otherwise.
pub const DEFAULT_MAX_ROWS: usize = 20;
/// At most this many steps and fields, so that a definition stays a form.
pub const MAX_STEPS: usize = 30;
pub const MAX_FIELDS: usize = 300;

impl Definition {
    /// Every field of every step, with its step's index.
    pub fn fields(&self) -> impl Iterator<Item = (usize, &Field)> {
        self.steps
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.fields.iter().map(move |f| (i, f)))
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields().map(|(_, f)| f).find(|f| f.name == name)
    }

    /// The index of the step that asks `name`.
    pub fn step_of(&self, name: &str) -> Option<usize> {
        self.fields().find(|(_, f)| f.name == name).map(|(i, _)| i)
    }

    /// The submission must be signed with a certificate.
    pub fn signature_required(&self) -> bool {
        self.signature == "required"
    }

    /// The applicant is offered to sign (required or optional).
    pub fn signature_offered(&self) -> bool {
        matches!(self.signature.as_str(), "required" | "optional")
    }
}

/// What is wrong with a definition: where, and the i18n key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub path: String,
    pub key: &'static str,
    /// The validator's own words (schema errors), if any.
    pub detail: String,
}

fn problem(path: impl Into<String>, key: &'static str) -> Problem {
    Problem {
        path: path.into(),
        key,
        detail: String::new(),
    }
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 60
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && s.as_bytes()[0].is_ascii_lowercase()
}

/// Parses a stored or typed definition; a problem names where the JSON
/// does not fit the format.
pub fn parse(json: &str) -> Result<Definition, Vec<Problem>> {
    let de = &mut serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(de).map_err(|e| {
        vec![Problem {
            path: e.path().to_string(),
            key: "forms.error_json",
            detail: e.inner().to_string(),
        }]
    })
}

/// Compiles a schema as draft 2020-12 with formats (`date`, `email`)
/// checked. No remote or file reference is resolved: this build has no
/// retriever, so a `$ref` outside the schema is an error here.
pub fn compile(schema: &serde_json::Value) -> Result<jsonschema::Validator, String> {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(schema)
        .map_err(|e| e.to_string())
}

/// Everything wrong with `d`: the schema must be a valid draft 2020-12
/// object schema that compiles; every layout field must be a property of
/// it, asked once, with a known kind; choices need options that the
/// schema allows; conditions name an earlier or same-step field.
pub fn check(d: &Definition) -> Vec<Problem> {
    let mut out = Vec::new();
    if d.title.vi.trim().is_empty() {
        out.push(problem("title", "forms.error_title"));
    }
    if !d.signature.is_empty() && !SIGNATURES.contains(&d.signature.as_str()) {
        out.push(problem("signature", "forms.error_signature"));
    }
    if let Err(e) = jsonschema::draft202012::meta::validate(&d.schema) {
        out.push(Problem {
            path: "schema".into(),
            key: "forms.error_schema",
            detail: e.to_string(),
        });
        return out;
    }
    if let Err(e) = compile(&d.schema) {
        out.push(Problem {
            path: "schema".into(),
            key: "forms.error_schema",
            detail: e,
        });
        return out;
    }
    let props = d.schema.get("properties").and_then(|p| p.as_object());
    if d.schema.get("type").and_then(|t| t.as_str()) != Some("object") || props.is_none() {
        out.push(problem("schema", "forms.error_schema_object"));
        return out;
    }
    let props = props.cloned().unwrap_or_default();
    if d.steps.is_empty() || d.steps.len() > MAX_STEPS {
        out.push(problem("steps", "forms.error_steps"));
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut step_ids = std::collections::BTreeSet::new();
    let mut count = 0;
    for (i, s) in d.steps.iter().enumerate() {
        let at = format!("steps[{i}]");
        if !is_name(&s.id) || !step_ids.insert(s.id.clone()) {
            out.push(problem(format!("{at}.id"), "forms.error_step_id"));
        }
        if s.title.vi.trim().is_empty() {
            out.push(problem(format!("{at}.title"), "forms.error_title"));
        }
        if s.fields.is_empty() {
            out.push(problem(format!("{at}.fields"), "forms.error_steps"));
        }
        for (j, f) in s.fields.iter().enumerate() {
            count += 1 + f.fields.len();
            let at = format!("{at}.fields[{j}]");
            check_field(f, &at, false, &mut out);
            if !seen.insert(f.name.clone()) {
                out.push(problem(format!("{at}.name"), "forms.error_field_twice"));
            }
            match props.get(&f.name) {
                None => out.push(problem(format!("{at}.name"), "forms.error_not_in_schema")),
                Some(p) => check_against_schema(f, resolve(&d.schema, p), &at, &mut out),
            }
            if let Some(c) = &f.show_if {
                match d.step_of(&c.field) {
                    Some(k) if k <= i && c.field != f.name => {}
                    _ => out.push(problem(format!("{at}.show_if"), "forms.error_show_if")),
                }
                if c.one_of.is_empty() {
                    out.push(problem(format!("{at}.show_if"), "forms.error_show_if"));
                }
            }
        }
    }
    if count > MAX_FIELDS {
        out.push(problem("steps", "forms.error_too_many_fields"));
    }
    out
}

fn check_field(f: &Field, at: &str, in_group: bool, out: &mut Vec<Problem>) {
    if !is_name(&f.name) {
        out.push(problem(format!("{at}.name"), "forms.error_field_name"));
    }
    if !KINDS.contains(&f.kind.as_str()) || (in_group && (f.kind == "group" || f.kind == "address"))
    {
        out.push(problem(format!("{at}.kind"), "forms.error_kind"));
    }
    if f.label.vi.trim().is_empty() {
        out.push(problem(format!("{at}.label"), "forms.error_label"));
    }
    if f.kind == "choice" && f.options.is_empty() {
        out.push(problem(format!("{at}.options"), "forms.error_options"));
    }
    if let Some(p) = &f.prefill {
        if !PREFILL_SOURCES.contains(&p.as_str()) || in_group {
            out.push(problem(format!("{at}.prefill"), "forms.error_prefill"));
        }
    }
    if in_group && f.show_if.is_some() {
        out.push(problem(format!("{at}.show_if"), "forms.error_show_if"));
    }
    if f.kind == "group" {
        if f.fields.is_empty() || f.max_rows.is_some_and(|n| n == 0 || n > 200) {
            out.push(problem(format!("{at}.fields"), "forms.error_group"));
        }
        let mut names = std::collections::BTreeSet::new();
        for (k, g) in f.fields.iter().enumerate() {
            let at = format!("{at}.fields[{k}]");
            check_field(g, &at, true, out);
            if !names.insert(g.name.clone()) {
                out.push(problem(format!("{at}.name"), "forms.error_field_twice"));
            }
        }
    } else if !f.fields.is_empty() {
        out.push(problem(format!("{at}.fields"), "forms.error_group"));
    }
}

/// A property's schema, through a local `$ref` (`#/$defs/address`).
fn resolve<'a>(root: &'a serde_json::Value, p: &'a serde_json::Value) -> &'a serde_json::Value {
    match p.get("$ref").and_then(|r| r.as_str()) {
        Some(r) if r.starts_with("#/") => root.pointer(&r[1..]).unwrap_or(p),
        _ => p,
    }
}

/// The layout's kind fits the property's schema: a group is an array of
/// objects with its sub-fields as properties, an address an object, a
/// choice's options allowed by its `enum` when it has one.
fn check_against_schema(f: &Field, p: &serde_json::Value, at: &str, out: &mut Vec<Problem>) {
    let ty = p.get("type").and_then(|t| t.as_str()).unwrap_or("");
    let ok = match f.kind.as_str() {
        "group" => {
            let item_props = p
                .get("items")
                .and_then(|i| i.get("properties"))
                .and_then(|x| x.as_object());
            ty == "array"
                && item_props.is_some_and(|ip| f.fields.iter().all(|g| ip.contains_key(&g.name)))
        }
        "address" => {
            let ap = p.get("properties").and_then(|x| x.as_object());
            ty == "object"
                && ap.is_some_and(|ap| {
                    ["province", "commune", "street"]
                        .iter()
                        .all(|k| ap.contains_key(*k))
                })
        }
        "number" | "money" => ty == "number" || ty == "integer",
        "checkbox" => ty == "boolean",
        _ => ty == "string",
    };
    if !ok {
        out.push(problem(format!("{at}.kind"), "forms.error_kind_schema"));
    }
    if f.kind == "choice" {
        if let Some(allowed) = p.get("enum").and_then(|e| e.as_array()) {
            for o in &f.options {
                if !allowed.iter().any(|a| a.as_str() == Some(o.value.as_str())) {
                    out.push(problem(format!("{at}.options"), "forms.error_options"));
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form(schema: serde_json::Value, fields: serde_json::Value) -> Definition {
        parse(
            &json!({
                "title": {"vi": "Tờ khai", "en": "Form"},
                "schema": schema,
                "steps": [{"id": "one", "title": {"vi": "Một", "en": "One"}, "fields": fields}]
            })
            .to_string(),
        )
        .expect("parses")
    }

    fn keys(d: &Definition) -> Vec<&'static str> {
        check(d).into_iter().map(|p| p.key).collect()
    }

    #[test]
    fn every_seeded_form_is_valid() {
        for (code, d) in crate::seed::specific() {
            assert_eq!(check(&d), vec![], "{code}");
        }
        let g = crate::seed::generic("Cấp phép", &["Cấp mới".into(), "Cấp lại".into()], true);
        assert_eq!(check(&g), vec![]);
        assert_eq!(
            crate::seed::provinces().len(),
            34,
            "the 34 provinces of 2025"
        );
    }

    #[test]
    fn layout_and_schema_must_agree() {
        let schema = json!({"type": "object", "properties": {"a": {"type": "string"}, "n": {"type": "integer"}, "c": {"type": "string", "enum": ["x", "y"]}}});
        let ok = form(
            schema.clone(),
            json!([{"name": "a", "kind": "text", "label": {"vi": "A", "en": "A"}}]),
        );
        assert!(keys(&ok).is_empty(), "{:?}", check(&ok));
        let missing = form(
            schema.clone(),
            json!([{"name": "zz", "kind": "text", "label": {"vi": "Z", "en": "Z"}}]),
        );
        assert_eq!(keys(&missing), vec!["forms.error_not_in_schema"]);
        let kind = form(
            schema.clone(),
            json!([{"name": "n", "kind": "date", "label": {"vi": "N", "en": "N"}}]),
        );
        assert_eq!(keys(&kind), vec!["forms.error_kind_schema"]);
        let unknown = form(
            schema.clone(),
            json!([{"name": "a", "kind": "slider", "label": {"vi": "A", "en": "A"}}]),
        );
        assert_eq!(keys(&unknown), vec!["forms.error_kind"]);
        let choice = form(
            schema.clone(),
            json!([{"name": "c", "kind": "choice", "label": {"vi": "C", "en": "C"}, "options": [{"value": "x", "label": {"vi": "X", "en": "X"}}, {"value": "q", "label": {"vi": "Q", "en": "Q"}}]}]),
        );
        assert_eq!(keys(&choice), vec!["forms.error_options"]);
        let twice = form(
            schema.clone(),
            json!([{"name": "a", "kind": "text", "label": {"vi": "A", "en": "A"}}, {"name": "a", "kind": "text", "label": {"vi": "A", "en": "A"}}]),
        );
        assert_eq!(keys(&twice), vec!["forms.error_field_twice"]);
        let cond = form(
            schema.clone(),
            json!([{"name": "a", "kind": "text", "label": {"vi": "A", "en": "A"}, "show_if": {"field": "nowhere", "one_of": ["x"]}}]),
        );
        assert_eq!(keys(&cond), vec!["forms.error_show_if"]);
        let bad_schema = form(
            json!({"type": "object", "properties": {"a": {"type": "strin"}}}),
            json!([]),
        );
        assert_eq!(keys(&bad_schema), vec!["forms.error_schema"]);
        let not_object = form(json!({"type": "string"}), json!([]));
        assert!(keys(&not_object).contains(&"forms.error_schema_object"));
    }

    #[test]
    fn a_malformed_definition_names_where() {
        let e = parse(r#"{"title": {"vi": "T", "en": "T"}, "schema": {}, "steps": [{"id": "a", "title": {"vi": "A", "en": "A"}, "fields": [{"name": 3}]}]}"#)
            .expect_err("refused");
        assert_eq!(e[0].key, "forms.error_json");
        assert_eq!(e[0].path, "steps[0].fields[0].name");
        assert!(parse("not json").is_err());
    }
}
