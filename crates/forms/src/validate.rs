//! Validation of answers against the form's JSON Schema (draft 2020-12,
//! formats checked) with the `jsonschema` crate, and the validator's
//! errors turned into one message per field, in the person's language,
//! naming the field ("Số định danh cá nhân: gồm đúng 12 chữ số.").
use crate::definition::{Definition, Field};
use motcua_domain::Locale;
use motcua_kernel::i18n::Catalog;
use serde_json::{Map, Value};

pub use crate::definition::compile;

/// One error of the validator: the instance path (a missing property's
/// name appended) and the keyword that failed, with its limit if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawError {
    pub path: Vec<String>,
    pub keyword: String,
    pub limit: String,
}

fn pointer(p: &str) -> Vec<String> {
    p.split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

pub fn raw_errors(v: &jsonschema::Validator, answers: &Map<String, Value>) -> Vec<RawError> {
    use jsonschema::error::ValidationErrorKind as K;
    let instance = Value::Object(answers.clone());
    v.iter_errors(&instance)
        .map(|e| {
            let mut path = pointer(e.instance_path().as_str());
            let limit = match e.kind() {
                K::Required { property } => {
                    path.push(property.as_str().unwrap_or_default().to_string());
                    String::new()
                }
                K::Minimum { limit }
                | K::Maximum { limit }
                | K::ExclusiveMinimum { limit }
                | K::ExclusiveMaximum { limit } => limit.to_string(),
                K::MinLength { limit }
                | K::MaxLength { limit }
                | K::MinItems { limit }
                | K::MaxItems { limit } => limit.to_string(),
                _ => String::new(),
            };
            RawError {
                path,
                keyword: e.kind().keyword().to_string(),
                limit,
            }
        })
        .collect()
}

/// An error as a page shows it: the input it belongs to (`name`,
/// `address.province`, `lines.0.code`), the step that asks it, the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub input: String,
    pub step: Option<usize>,
    pub message: String,
}

/// The label of the input at `path` (a group's row is numbered).
fn label_of(
    d: &Definition,
    path: &[String],
    cat: &Catalog,
    locale: Locale,
) -> (Option<Field>, String) {
    let lang = if locale == Locale::En { "en" } else { "vi" };
    let Some(top) = path.first().and_then(|n| d.field(n)) else {
        return (None, String::new());
    };
    match (top.kind.as_str(), path.get(1), path.get(2)) {
        ("address", Some(part), _) => (
            Some(top.clone()),
            format!(
                "{} — {}",
                top.label.get(lang),
                cat.get(locale, &format!("forms.address_{part}"))
            ),
        ),
        ("group", Some(row), Some(sub)) => match top.fields.iter().find(|g| &g.name == sub) {
            Some(g) => (
                Some(g.clone()),
                format!(
                    "{} {} — {}",
                    top.label.get(lang),
                    row.parse::<usize>().map_or(0, |r| r + 1),
                    g.label.get(lang)
                ),
            ),
            None => (Some(top.clone()), top.label.get(lang).to_string()),
        },
        _ => (Some(top.clone()), top.label.get(lang).to_string()),
    }
}

fn message_key(f: Option<&Field>, e: &RawError) -> &'static str {
    let kind = f.map_or("", |f| f.kind.as_str());
    match (e.keyword.as_str(), kind) {
        ("required", "choice" | "checkbox") => "forms.error_choose",
        ("required", _) => "forms.error_required",
        ("pattern", "personal_id") => "forms.error_personal_id",
        ("pattern", "tax_code") => "forms.error_tax_code",
        ("pattern", "phone") => "forms.error_phone",
        ("format", "email") | ("pattern", "email") => "forms.error_email",
        ("format", "date") => "forms.error_date",
        ("type", "number" | "money") => "forms.error_number",
        ("minimum" | "exclusiveMinimum", _) => "forms.error_minimum",
        ("maximum" | "exclusiveMaximum", _) => "forms.error_maximum",
        ("minLength", _) => "forms.error_min_length",
        ("maxLength", _) => "forms.error_max_length",
        ("enum" | "const", _) => "forms.error_choice",
        ("minItems", _) => "forms.error_min_items",
        ("maxItems", _) => "forms.error_max_items",
        _ => "forms.error_invalid",
    }
}

/// Every error of `answers`, one per input, in the order the form asks
/// them; with `step`, only those of that step's fields.
pub fn errors(
    d: &Definition,
    v: &jsonschema::Validator,
    answers: &Map<String, Value>,
    step: Option<usize>,
    cat: &Catalog,
    locale: Locale,
) -> Vec<FieldError> {
    let lang = if locale == Locale::En { "en" } else { "vi" };
    let mut out: Vec<(usize, FieldError)> = Vec::new();
    for e in raw_errors(v, answers) {
        let at = e.path.first().and_then(|n| d.step_of(n));
        if step.is_some() && at != step {
            continue;
        }
        let input = e.path.join(".");
        if out.iter().any(|(_, x)| x.input == input) {
            continue;
        }
        let (field, label) = label_of(d, &e.path, cat, locale);
        let text = match field.as_ref().and_then(|f| f.error.as_ref()) {
            Some(custom) => custom.get(lang).to_string(),
            None => cat
                .get(locale, message_key(field.as_ref(), &e))
                .replace("{n}", &e.limit),
        };
        let message = if label.is_empty() {
            text
        } else {
            format!("{label}: {text}")
        };
        let order = e
            .path
            .first()
            .and_then(|n| d.fields().position(|(_, f)| &f.name == n))
            .unwrap_or(usize::MAX);
        out.push((
            order,
            FieldError {
                input,
                step: at,
                message,
            },
        ));
    }
    // An address's commune must be one of its province's (the list of
    // the 2025 rearrangement); the schema cannot say which.
    for (i, (at, f)) in d.fields().enumerate() {
        if f.kind != "address" || (step.is_some() && Some(at) != step) {
            continue;
        }
        let part = |k: &str| {
            answers
                .get(&f.name)
                .and_then(|a| a.get(k))
                .and_then(Value::as_str)
                .unwrap_or_default()
        };
        let (province, commune) = (part("province"), part("commune"));
        let input = format!("{}.commune", f.name);
        if province.is_empty()
            || commune.is_empty()
            || crate::seed::communes(province).is_empty()
            || crate::seed::commune_named(province, commune).is_some()
            || out.iter().any(|(_, x)| x.input == input)
        {
            continue;
        }
        let (_, label) = label_of(d, &[f.name.clone(), "commune".into()], cat, locale);
        let text = cat
            .get(locale, "forms.error_commune")
            .replace("{province}", province);
        out.push((
            i,
            FieldError {
                input,
                step: Some(at),
                message: if label.is_empty() {
                    text
                } else {
                    format!("{label}: {text}")
                },
            },
        ));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.input.cmp(&b.1.input)));
    out.into_iter().map(|(_, e)| e).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_message_per_field_named_in_each_language() {
        let d = crate::seed::specific()
            .remove("1.001193")
            .expect("birth form");
        let v = compile(&d.schema).expect("compiles");
        let cat = Catalog::from_tables(&[crate::MESSAGES]);
        let answers: Map<String, Value> = serde_json::from_value(json!({
            "full_name": "Nguyễn Thị Hoa",
            "personal_id": "12345",
            "email": "not-an-email",
            "birthdate": "2026-02-30",
            "address": {"province": "Thành phố Hà Nội"},
            "mother_birth_year": 1800
        }))
        .expect("object");
        let vi = errors(&d, &v, &answers, Some(0), &cat, Locale::Vi);
        let text: Vec<&str> = vi.iter().map(|e| e.message.as_str()).collect();
        assert!(
            text.iter().any(|t| t.contains("gồm đúng 12 chữ số")),
            "{text:?}"
        );
        assert!(text.iter().any(|t| t.contains("thư điện tử")), "{text:?}");
        assert!(
            text.iter().any(|t| t.contains("Ngày không đúng")),
            "{text:?}"
        );
        assert!(
            vi.iter().any(|e| e.input == "phone"),
            "a missing field is named: {vi:?}"
        );
        assert!(vi.iter().any(|e| e.input == "address.commune"), "{vi:?}");
        assert!(
            vi.iter().all(|e| e.step == Some(0)),
            "only page one's: {vi:?}"
        );
        // Every error is "Label: message".
        assert!(vi.iter().all(|e| e.message.contains(": ")), "{vi:?}");
        let en = errors(&d, &v, &answers, None, &cat, Locale::En);
        assert!(
            en.iter().any(|e| e.message.contains("exactly 12 digits")),
            "{en:?}"
        );
        assert!(
            en.iter()
                .any(|e| e.input == "mother_birth_year" && e.message.contains("1900")),
            "{en:?}"
        );
        // One per input, however many keywords failed.
        let mut inputs: Vec<&str> = en.iter().map(|e| e.input.as_str()).collect();
        inputs.dedup();
        assert_eq!(inputs.len(), en.len());
    }

    #[test]
    fn an_address_names_a_commune_of_its_province() {
        // The list of the 2025 rearrangement: 34 provinces, 3,321 units.
        let provinces = crate::seed::provinces();
        assert_eq!(provinces.len(), 34);
        let total: usize = provinces
            .iter()
            .map(|p| crate::seed::communes(p).len())
            .sum();
        assert_eq!(total, 3321);
        assert!(
            provinces
                .iter()
                .all(|p| !crate::seed::communes(p).is_empty()),
            "every province has its list"
        );
        assert_eq!(
            crate::seed::commune_named("Thành phố Hà Nội", "phuong hoan kiem"),
            Some("Phường Hoàn Kiếm")
        );
        assert_eq!(
            crate::seed::commune_named("Thành phố Hồ Chí Minh", "Phường Hoàn Kiếm"),
            None
        );

        let d = crate::seed::specific()
            .remove("1.001193")
            .expect("birth form");
        let v = compile(&d.schema).expect("compiles");
        let cat = Catalog::from_tables(&[crate::MESSAGES]);
        let step = d.step_of("address");
        let with = |commune: &str| {
            let mut a = Map::new();
            a.insert(
                "address".into(),
                json!({"province": "Thành phố Hà Nội", "commune": commune, "street": "1 Tràng Tiền"}),
            );
            errors(&d, &v, &a, step, &cat, Locale::Vi)
                .into_iter()
                .filter(|e| e.input == "address.commune")
                .map(|e| e.message)
                .collect::<Vec<_>>()
        };
        assert!(with("Phường Hoàn Kiếm").is_empty());
        let wrong = with("Phường Bến Nghé");
        assert_eq!(wrong.len(), 1, "{wrong:?}");
        assert!(
            wrong[0].contains("không có trong danh sách xã, phường của Thành phố Hà Nội"),
            "{wrong:?}"
        );
        // Typed without diacritics: stored under the official name.
        let f = d.field("address").expect("field");
        let posted: crate::answers::Posted = [
            ("address.province", "Thành phố Hà Nội"),
            ("address.commune", "phuong cua nam"),
            ("address.street", "5 Hàng Bài"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(
            crate::answers::read(f, &posted).and_then(|a| a.get("commune").cloned()),
            Some(json!("Phường Cửa Nam"))
        );
    }
}
