//! The demo's forms: hand-written ones for birth registration, a
//! household business and a criminal record certificate
//! (`seed/forms.json`), and for every other procedure a generic form —
//! the applicant (prefilled where the person consented), the case when
//! the procedure has several, what is asked, how the result is received.
use crate::definition::{Choice, Definition, Field, Step, Text};
use serde_json::json;
use std::collections::BTreeMap;

/// The 34 provinces and cities of the two-level local government (2025).
pub fn provinces() -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct P {
        provinces: Vec<String>,
    }
    serde_json::from_str::<P>(include_str!("../seed/provinces.json"))
        .map(|p| p.provinces)
        .unwrap_or_default()
}

/// The communes (xã, phường, đặc khu) of each province after the 2025
/// rearrangement, by province name (`seed/communes.json`: 3,321 units;
/// its `source` names where the list comes from).
fn communes_by_province() -> &'static BTreeMap<String, Vec<String>> {
    static ALL: std::sync::OnceLock<BTreeMap<String, Vec<String>>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        #[derive(serde::Deserialize)]
        struct P {
            name: String,
            communes: Vec<(String, String)>,
        }
        #[derive(serde::Deserialize)]
        struct All {
            provinces: Vec<P>,
        }
        serde_json::from_str::<All>(include_str!("../seed/communes.json"))
            .map(|a| {
                a.provinces
                    .into_iter()
                    .map(|p| (p.name, p.communes.into_iter().map(|(_, n)| n).collect()))
                    .collect()
            })
            .unwrap_or_default()
    })
}

/// The communes of `province` (empty for a name not on the list).
pub fn communes(province: &str) -> &'static [String] {
    communes_by_province()
        .get(province)
        .map_or(&[], |v| v.as_slice())
}

/// The commune of `province` whose name is `name` written with or
/// without diacritics, in any case ("phuong hoan kiem" → "Phường Hoàn
/// Kiếm"); `None` when the province has none of that name.
pub fn commune_named(province: &str, name: &str) -> Option<&'static str> {
    let want = motcua_domain::text::fold(name.trim());
    communes(province)
        .iter()
        .find(|c| motcua_domain::text::fold(c) == want)
        .map(String::as_str)
}

/// The hand-written forms, by procedure code.
pub fn specific() -> BTreeMap<String, Definition> {
    serde_json::from_str(include_str!("../seed/forms.json")).unwrap_or_default()
}

fn t(vi: &str, en: &str) -> Text {
    Text {
        vi: vi.into(),
        en: en.into(),
    }
}

fn field(name: &str, kind: &str, vi: &str, en: &str) -> Field {
    Field {
        name: name.into(),
        kind: kind.into(),
        label: t(vi, en),
        hint: None,
        options: Vec::new(),
        show_if: None,
        prefill: None,
        fields: Vec::new(),
        max_rows: None,
        error: None,
    }
}

fn prefilled(mut f: Field, source: &str) -> Field {
    f.prefill = Some(source.into());
    f
}

/// The schema of each simple kind, as the seeds use them.
fn schema_of(kind: &str) -> serde_json::Value {
    match kind {
        "textarea" => json!({"type": "string", "minLength": 1, "maxLength": 4000}),
        "date" => json!({"type": "string", "format": "date"}),
        "personal_id" => json!({"type": "string", "pattern": "^[0-9]{12}$"}),
        "tax_code" => json!({"type": "string", "pattern": "^[0-9]{10}(-[0-9]{3})?$"}),
        "phone" => json!({"type": "string", "pattern": "^(0|\\+84)[0-9]{9,10}$"}),
        "email" => json!({"type": "string", "format": "email", "maxLength": 254}),
        "address" => json!({"$ref": "#/$defs/address"}),
        _ => json!({"type": "string", "minLength": 1, "maxLength": 200}),
    }
}

/// A generic form for a procedure: `cases` are its cases' names (a choice
/// when there are two or more); `business` asks for the organization and
/// its tax code too.
pub fn generic(name: &str, cases: &[String], business: bool) -> Definition {
    let mut applicant = Vec::new();
    if business {
        applicant.push(prefilled(
            field(
                "organization",
                "text",
                "Tên tổ chức, doanh nghiệp",
                "Organization",
            ),
            "organization",
        ));
        applicant.push(prefilled(
            field("tax_code", "tax_code", "Mã số thuế", "Tax code"),
            "tax_code",
        ));
    }
    applicant.extend([
        prefilled(
            field("full_name", "text", "Họ, chữ đệm và tên", "Full name"),
            "full_name",
        ),
        prefilled(
            field(
                "personal_id",
                "personal_id",
                "Số định danh cá nhân",
                "Personal ID number",
            ),
            "personal_id",
        ),
        prefilled(
            field("birthdate", "date", "Ngày sinh", "Date of birth"),
            "birthdate",
        ),
        prefilled(
            field("phone", "phone", "Số điện thoại", "Phone number"),
            "phone",
        ),
        prefilled(field("email", "email", "Thư điện tử", "Email"), "email"),
        field("address", "address", "Nơi cư trú", "Place of residence"),
    ]);
    let mut request = Vec::new();
    if cases.len() > 1 {
        let mut c = field("case", "choice", "Trường hợp", "Case");
        c.options = cases
            .iter()
            .map(|n| Choice {
                value: n.clone(),
                label: t(n, n),
            })
            .collect();
        request.push(c);
    }
    let mut content = field(
        "content",
        "textarea",
        "Nội dung đề nghị",
        "What you ask for",
    );
    content.hint = Some(t(
        "Nêu ngắn gọn yêu cầu và các thông tin cơ quan cần biết.",
        "Say briefly what you ask for and what the agency needs to know.",
    ));
    request.push(content);
    let mut delivery = field(
        "result_delivery",
        "choice",
        "Nhận kết quả",
        "How to receive the result",
    );
    delivery.options = vec![
        Choice {
            value: "online".into(),
            label: t(
                "Trực tuyến, trên Cổng Dịch vụ công",
                "Online, on the portal",
            ),
        },
        Choice {
            value: "counter".into(),
            label: t("Tại Bộ phận Một cửa", "At the one-stop counter"),
        },
        Choice {
            value: "postal".into(),
            label: t("Qua bưu chính công ích", "By public postal service"),
        },
    ];
    request.push(delivery);
    let mut props = serde_json::Map::new();
    let mut required = Vec::new();
    for f in applicant.iter().chain(request.iter()) {
        let s = match f.kind.as_str() {
            "choice" => {
                json!({"type": "string", "enum": f.options.iter().map(|o| o.value.clone()).collect::<Vec<_>>()})
            }
            k => schema_of(k),
        };
        props.insert(f.name.clone(), s);
        if !["birthdate", "email"].contains(&f.name.as_str()) {
            required.push(f.name.clone());
        }
    }
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "$defs": {"address": {
            "type": "object",
            "properties": {
                "province": {"type": "string", "enum": provinces()},
                "commune": {"type": "string", "minLength": 1, "maxLength": 100},
                "street": {"type": "string", "minLength": 1, "maxLength": 200}
            },
            "required": ["province", "commune", "street"]
        }},
        "properties": props,
        "required": required,
    });
    Definition {
        title: t(&format!("Tờ khai: {name}"), &format!("Application: {name}")),
        schema,
        steps: vec![
            Step {
                id: "applicant".into(),
                title: t("Người nộp hồ sơ", "The applicant"),
                fields: applicant,
            },
            Step {
                id: "request".into(),
                title: t("Nội dung đề nghị", "The request"),
                fields: request,
            },
        ],
        // A business may sign its submission with its token (R-PS-3).
        signature: if business {
            "optional".into()
        } else {
            String::new()
        },
    }
}
