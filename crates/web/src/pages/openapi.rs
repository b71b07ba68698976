//! The API's OpenAPI 3.1 document, generated from the handlers'
//! `#[utoipa::path]` declarations and the request and answer types
//! (issue #12 §2): `GET /api/v1/openapi.json`, and its reference page
//! `GET /developers/api`, rendered here from the same document (no
//! script, no CDN). The types below describe answers the handlers build
//! as JSON; CI runs schemathesis against the document to hold both to it.
use super::{render, Chrome};
use crate::ctx::Ctx;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(document))
        .route("/developers/api", get(reference))
}

/// An RFC 9457 problem document. Problems may carry more members:
/// `field` and `detail` for a refused field, `scope` for a missing scope,
/// `problems` for a refused national record, `limit_per_minute`.
#[derive(Serialize, ToSchema)]
pub struct Problem {
    /// `urn:motcua:problem:<kind>`.
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: String,
    /// What went wrong, in the caller's language (`Accept-Language`).
    pub title: String,
    pub status: u16,
    /// What to fix.
    pub detail: Option<String>,
    /// The request member at fault.
    pub field: Option<String>,
}

/// A file's bytes.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct Binary(#[allow(dead_code)] Vec<u8>);

/// A procedure's record in the national exchange format (`MaTTHC`,
/// `TENTTHC`, `COQUANTHUCHIEN`, …; docs/CATALOG.md).
#[derive(Serialize, ToSchema)]
pub struct NationalRecord {
    #[serde(rename = "MaTTHC")]
    #[schema(rename = "MaTTHC")]
    pub code: String,
    #[serde(rename = "TENTTHC")]
    #[schema(rename = "TENTTHC")]
    pub name: Option<String>,
    /// The other members of the record.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub rest: BTreeMap<String, Value>,
}

/// A statistics report (docs/STATISTICS.md).
#[derive(Serialize, ToSchema)]
#[schema(value_type = Object)]
pub struct Report(Value);

/// A partner's signed message, in its own protocol.
#[derive(Serialize, ToSchema)]
#[schema(value_type = Object)]
pub struct Callback(Value);

/// The payment platform's answer code.
#[derive(Serialize, ToSchema)]
pub struct CallbackAnswer {
    pub code: String,
}

/// The postal report was applied.
#[derive(Serialize, ToSchema)]
pub struct PostalAnswer {
    /// `ok`.
    pub status: String,
}

/// A field of the catalog.
#[derive(Serialize, ToSchema)]
pub struct CatalogField {
    #[serde(rename = "MALINHVUC")]
    #[schema(rename = "MALINHVUC")]
    pub code: String,
    #[serde(rename = "TENLINHVUC")]
    #[schema(rename = "TENLINHVUC")]
    pub name: String,
}

/// A procedure found.
#[derive(Serialize, ToSchema)]
pub struct ProcedureItem {
    pub code: String,
    pub name: String,
    pub version: i64,
    /// central, province, commune.
    pub levels: Vec<String>,
    pub fields: Vec<CatalogField>,
    /// full, partial or none.
    pub online_level: String,
    pub assurance_level: i64,
    pub url: String,
}

/// A page of procedures.
#[derive(Serialize, ToSchema)]
pub struct ProcedurePage {
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub items: Vec<ProcedureItem>,
}

/// A published record.
#[derive(Serialize, ToSchema)]
pub struct PublishedRecord {
    pub version: i64,
    /// Milliseconds since 1970.
    pub published_at: Option<i64>,
    pub record: NationalRecord,
}

/// An agency.
#[derive(Serialize, ToSchema)]
pub struct Agency {
    pub code: String,
    pub parent_code: Option<String>,
    pub level: String,
    pub name: String,
    pub address: String,
    pub phone: String,
    pub email: String,
    pub hours: String,
}

#[derive(Serialize, ToSchema)]
pub struct AgencyList {
    pub items: Vec<Agency>,
}

#[derive(Serialize, ToSchema)]
pub struct CommuneList {
    pub province: String,
    pub items: Vec<String>,
}

/// A published answer to feedback.
#[derive(Serialize, ToSchema)]
pub struct FeedbackItem {
    pub code: String,
    pub about: String,
    pub procedure: String,
    pub agency: String,
    pub title: String,
    pub content: String,
    /// Only when the sender allowed it.
    pub sender: Option<String>,
    pub answer: String,
    pub answered_by: String,
    pub answered_at: Option<i64>,
    pub published_at: Option<i64>,
    pub url: String,
}

#[derive(Serialize, ToSchema)]
pub struct FeedbackPage {
    pub page: i64,
    pub per_page: i64,
    pub more: bool,
    pub items: Vec<FeedbackItem>,
}

/// The token's holder.
#[derive(Serialize, ToSchema)]
pub struct Me {
    pub id: i64,
    pub username: String,
    pub full_name: String,
    pub roles: Vec<String>,
    pub status: String,
}

#[derive(Serialize, ToSchema)]
pub struct ActivityItem {
    pub kind: String,
    pub method: Option<String>,
    pub ip: String,
    pub at: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ActivityList {
    pub more: bool,
    pub items: Vec<ActivityItem>,
}

#[derive(Serialize, ToSchema)]
pub struct CertificateItem {
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub not_before: i64,
    pub not_after: i64,
}

#[derive(Serialize, ToSchema)]
pub struct CertificateList {
    pub items: Vec<CertificateItem>,
}

#[derive(Serialize, ToSchema)]
pub struct ForwardedProcedure {
    pub code: String,
    pub version: i64,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct ForwardedAgency {
    pub code: String,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct ForwardedFile {
    pub id: i64,
    /// The dossier component (THANHPHANHOSO) it answers.
    pub component: String,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    /// Where to fetch it (with the system's token).
    pub url: String,
}

/// A dossier forwarded to a ministry's system (also the `data` of the
/// `dossier.forwarded` event).
#[derive(Serialize, ToSchema)]
pub struct Forwarded {
    pub code: String,
    pub procedure: ForwardedProcedure,
    pub agency: ForwardedAgency,
    pub channel: i64,
    pub status: i64,
    pub applicant_name: String,
    /// Milliseconds since 1970.
    pub submitted_at: i64,
    pub received_at: i64,
    pub appointment_at: Option<i64>,
    /// SHA-256 of the answers as stored.
    pub digest: String,
    /// The form's answers.
    #[schema(value_type = Object)]
    pub answers: Value,
    pub files: Vec<ForwardedFile>,
}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let c = openapi.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "A system's access token: OAuth 2.0 client credentials at /api/oidc/token (docs/INTEROP.md)",
                    ))
                    .build(),
            ),
        );
        c.add_security_scheme(
            "personal_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A personal API token made on /account/api-tokens"))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Motcua API",
        version = "1",
        description = "The national public service portal's API: the catalog, open data, the holder's own API, partners' callbacks, and the interop API for ministry and provincial systems (docs/INTEGRATION.md, docs/INTEROP.md). Errors are RFC 9457 problem documents."
    ),
    paths(
        super::catalog::api_search,
        super::catalog::api_procedure,
        super::catalog::api_agencies,
        super::catalog::api_communes,
        super::feedback::api_list,
        super::stats::api_progress,
        super::stats::api_index,
        super::api::api_me,
        super::api::api_activity,
        super::api::api_certificates,
        super::payments::confirm,
        super::postal::events,
        super::interop::push_dossier,
        super::interop::read_dossier,
        super::interop::push_progress,
        super::interop::read_forwarded,
        super::interop::forwarded_file,
        super::interop::answer,
        super::interop::add_result,
        super::interop::catalog_export,
        super::interop::catalog_record,
        super::interop::catalog_put,
        super::interop::catalog_agencies,
        super::interop::statistics_progress,
        document,
    ),
    modifiers(&Security),
    tags(
        (name = "catalog", description = "The national procedure catalog (open data)"),
        (name = "feedback", description = "Published answers to feedback (open data)"),
        (name = "statistics", description = "The progress report and the service index"),
        (name = "personal", description = "The holder's own API (personal API tokens)"),
        (name = "callbacks", description = "Signed callbacks of the payment platform and the postal operator"),
        (name = "dossier sync", description = "Provincial one-stop systems push their dossiers"),
        (name = "single window", description = "Ministries' specialized systems answer forwarded dossiers"),
        (name = "catalog sync", description = "Ministries read and publish their procedures"),
        (name = "document", description = "This document")
    )
)]
pub struct ApiDoc;

/// The document for this portal (its public URL as the server).
pub fn document_value(state: &AppState) -> Value {
    let mut doc = ApiDoc::openapi();
    doc.servers = Some(vec![utoipa::openapi::Server::new(
        state.config.public_url.trim_end_matches('/'),
    )]);
    serde_json::to_value(&doc).unwrap_or_default()
}

/// `GET /api/v1/openapi.json`.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "document",
    responses((status = 200, description = "This OpenAPI 3.1 document", body = Object)))]
async fn document(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        document_value(&state).to_string(),
    )
        .into_response()
}

/// One operation on the reference page.
pub struct OperationView {
    pub id: String,
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    pub security: String,
    /// (name, where, required, description)
    pub params: Vec<(String, String, bool, String)>,
    /// The request body's schema, pretty JSON.
    pub body: String,
    /// (status, description, schema)
    pub responses: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "developers/api.html")]
struct ReferencePage {
    c: Chrome,
    version: String,
    description: String,
    /// (tag, its description, operations)
    tags: Vec<(String, String, Vec<OperationView>)>,
    schemas: Vec<(String, String)>,
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

fn pretty(v: &Value) -> String {
    if v.is_null() {
        return String::new();
    }
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// `GET /developers/api`: the reference, rendered from the document.
async fn reference(State(state): State<AppState>, ctx: Ctx) -> Response {
    let doc = document_value(&state);
    let mut by_tag: BTreeMap<String, Vec<OperationView>> = BTreeMap::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            let Some(ops) = item.as_object() else {
                continue;
            };
            for (method, op) in ops {
                let tag = op["tags"][0].as_str().unwrap_or("api").to_string();
                let params = op["parameters"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|p| {
                                (
                                    text(&p["name"]),
                                    text(&p["in"]),
                                    p["required"].as_bool().unwrap_or(false),
                                    text(&p["description"]),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let body = op["requestBody"]["content"]
                    .as_object()
                    .and_then(|c| c.values().next())
                    .map(|c| pretty(&c["schema"]))
                    .unwrap_or_default();
                let responses = op["responses"]
                    .as_object()
                    .map(|r| {
                        r.iter()
                            .map(|(status, resp)| {
                                let schema = resp["content"]
                                    .as_object()
                                    .and_then(|c| c.values().next())
                                    .map(|c| pretty(&c["schema"]))
                                    .unwrap_or_default();
                                (status.clone(), text(&resp["description"]), schema)
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let security = op["security"]
                    .as_array()
                    .and_then(|s| s.first())
                    .and_then(|s| s.as_object())
                    .map(|s| {
                        s.iter()
                            .map(|(k, v)| {
                                let scopes: Vec<String> = v
                                    .as_array()
                                    .map(|a| a.iter().map(text).collect())
                                    .unwrap_or_default();
                                format!("{k} {}", scopes.join(" ")).trim().to_string()
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                let method = method.to_ascii_uppercase();
                by_tag.entry(tag).or_default().push(OperationView {
                    id: format!("{method}-{path}")
                        .chars()
                        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                        .collect(),
                    method,
                    path: path.clone(),
                    summary: text(&op["summary"]),
                    description: text(&op["description"]),
                    security,
                    params,
                    body,
                    responses,
                });
            }
        }
    }
    let descriptions: BTreeMap<String, String> = doc["tags"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|t| (text(&t["name"]), text(&t["description"])))
                .collect()
        })
        .unwrap_or_default();
    let tags = by_tag
        .into_iter()
        .map(|(t, ops)| {
            let d = descriptions.get(&t).cloned().unwrap_or_default();
            (t, d, ops)
        })
        .collect();
    let schemas = doc["components"]["schemas"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), pretty(v))).collect())
        .unwrap_or_default();
    render(&ReferencePage {
        c: Chrome::new(&state, &ctx),
        version: text(&doc["openapi"]),
        description: text(&doc["info"]["description"]),
        tags,
        schemas,
    })
}
