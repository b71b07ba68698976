//! Result documents (issue #9 §3): the agency adds them to a dossier
//! (uploaded PDF, or generated from the decision text) before approval,
//! which signs them with the agency's seal; the agency's people and the
//! applicant download each with its detached signature; anyone checks a
//! result on `/verify`. Every rule is in `motcua_handling::results`.
use super::agency::Staffer;
use super::auth::origin;
use super::{render, Chrome};
use crate::ctx::{Ctx, Me};
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use motcua_domain::clock::format_vn;
use motcua_handling::results::{self, NewResult, Verification};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/agency/dossiers/{code}/results", post(add))
        .route("/agency/dossiers/{code}/results/{id}", get(agency_pdf))
        .route(
            "/agency/dossiers/{code}/results/{id}/signature",
            get(agency_p7s),
        )
        .route("/agency/dossiers/{code}/results/{id}/remove", post(remove))
        .route("/account/dossiers/{code}/results/{id}", get(applicant_pdf))
        .route(
            "/account/dossiers/{code}/results/{id}/signature",
            get(applicant_p7s),
        )
        .route("/verify", get(verify_page).post(verify))
}

/// The text fields and files of a multipart form, or `None` when the body
/// is too large or broken.
async fn read_form(
    mp: &mut Multipart,
    files: &[&str],
) -> Option<(Vec<(String, String)>, Vec<(String, String, Vec<u8>)>)> {
    let mut fields = Vec::new();
    let mut uploads = Vec::new();
    loop {
        match mp.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_string();
                if files.contains(&name.as_str()) {
                    let file_name = field.file_name().unwrap_or_default().to_string();
                    let bytes = field.bytes().await.ok()?;
                    if !bytes.is_empty() {
                        uploads.push((name, file_name, bytes.to_vec()));
                    }
                } else {
                    let text = field.text().await.ok()?;
                    fields.push((name, text.chars().take(10_000).collect()));
                }
            }
            Ok(None) => return Some((fields, uploads)),
            Err(_) => return None,
        }
    }
}

fn field(fields: &[(String, String)], name: &str) -> String {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// `POST /agency/dossiers/{code}/results` (multipart: `title`, then
/// `file` or `text`): adds a result document; a refusal shows the case
/// page again with the message.
async fn add(
    State(state): State<AppState>,
    Staffer(ctx, staff): Staffer,
    Path(code): Path<String>,
    mut mp: Multipart,
) -> Response {
    let outcome = match read_form(&mut mp, &["file"]).await {
        None => Err(motcua_kernel::service::ServiceError::field(
            "file",
            "handling.error_result_size",
        )),
        Some((fields, mut uploads)) => {
            let upload = uploads.pop();
            let r = NewResult {
                title: field(&fields, "title"),
                file_name: upload.as_ref().map(|u| u.1.clone()).unwrap_or_default(),
                upload: upload.map(|u| u.2),
                text: field(&fields, "text"),
            };
            results::add(&state, &origin(&ctx), &staff, &code, &r).await
        }
    };
    match outcome {
        Ok(_) => Redirect::to(&format!(
            "/agency/dossiers/{code}?flash=handling_result_added#results"
        ))
        .into_response(),
        Err(e) => {
            let key = e.message_key();
            super::agency::refused(
                e,
                super::agency::case_view(
                    &state,
                    &ctx,
                    &staff,
                    &code,
                    Some(key),
                    String::new(),
                    None,
                ),
            )
            .await
        }
    }
}

/// `POST /agency/dossiers/{code}/results/{id}/remove`: a result not signed yet.
async fn remove(
    State(state): State<AppState>,
    Staffer(ctx, staff): Staffer,
    Path((code, id)): Path<(String, i64)>,
) -> Response {
    tri!(results::remove(&state, &origin(&ctx), &staff, &code, id).await);
    Redirect::to(&format!(
        "/agency/dossiers/{code}?flash=handling_result_removed#results"
    ))
    .into_response()
}

fn p7s_name(pdf: &str) -> String {
    format!("{pdf}.p7s")
}

/// `GET /agency/dossiers/{code}/results/{id}`.
async fn agency_pdf(
    State(state): State<AppState>,
    Staffer(_ctx, staff): Staffer,
    Path((code, id)): Path<(String, i64)>,
) -> Response {
    let (r, bytes) = tri!(results::for_agency(&state, &staff, &code, id, false).await);
    super::dossiers::file_response(&r.file_name, "application/pdf", bytes)
}

/// `GET /agency/dossiers/{code}/results/{id}/signature`.
async fn agency_p7s(
    State(state): State<AppState>,
    Staffer(_ctx, staff): Staffer,
    Path((code, id)): Path<(String, i64)>,
) -> Response {
    let (r, bytes) = tri!(results::for_agency(&state, &staff, &code, id, true).await);
    super::dossiers::file_response(&p7s_name(&r.file_name), results::P7S, bytes)
}

/// `GET /account/dossiers/{code}/results/{id}`: a signed result, for the
/// applicant.
async fn applicant_pdf(
    State(state): State<AppState>,
    Me(_ctx, v): Me,
    Path((code, id)): Path<(String, i64)>,
) -> Response {
    let (r, bytes) =
        tri!(results::for_applicant(&state, v.account.id.get(), &code, id, false).await);
    super::dossiers::file_response(&r.file_name, "application/pdf", bytes)
}

/// `GET /account/dossiers/{code}/results/{id}/signature`.
async fn applicant_p7s(
    State(state): State<AppState>,
    Me(_ctx, v): Me,
    Path((code, id)): Path<(String, i64)>,
) -> Response {
    let (r, bytes) =
        tri!(results::for_applicant(&state, v.account.id.get(), &code, id, true).await);
    super::dossiers::file_response(&p7s_name(&r.file_name), results::P7S, bytes)
}

#[derive(Template)]
#[template(path = "dossiers/verify.html")]
struct VerifyPage {
    c: Chrome,
    /// The outcome's message key, and whether it is good news.
    outcome: Option<(&'static str, bool)>,
    /// (label key, value) of what the signature says.
    facts: Vec<(&'static str, String)>,
    error: Option<&'static str>,
}

/// `GET /verify`: check a result document.
async fn verify_page(State(state): State<AppState>, ctx: Ctx) -> Response {
    render(&VerifyPage {
        c: Chrome::new(&state, &ctx),
        outcome: None,
        facts: Vec::new(),
        error: None,
    })
}

/// `POST /verify` (multipart: `document`, optionally `signature`).
async fn verify(State(state): State<AppState>, ctx: Ctx, mut mp: Multipart) -> Response {
    let mut page = VerifyPage {
        c: Chrome::new(&state, &ctx),
        outcome: None,
        facts: Vec::new(),
        error: None,
    };
    let refuse = |mut page: VerifyPage, key: &'static str, status: StatusCode| {
        page.error = Some(key);
        let mut r = render(&page);
        *r.status_mut() = status;
        r
    };
    // Counted before the work, found or not.
    let limits = [(
        format!("rl:verify:ip:{}", ctx.ip),
        motcua_domain::throttle::RateLimit::LOOKUP_PER_IP,
    )];
    if tri!(motcua_identity::service::rate_limit(&state, &limits).await).is_err() {
        return refuse(
            page,
            "error.rate_limited_hour",
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let Some((_, uploads)) = read_form(&mut mp, &["document", "signature"]).await else {
        return refuse(
            page,
            "handling.error_result_size",
            StatusCode::PAYLOAD_TOO_LARGE,
        );
    };
    let file = |n: &str| uploads.iter().find(|u| u.0 == n).map(|u| u.2.as_slice());
    let Some(document) = file("document") else {
        return refuse(page, "handling.verify_no_document", StatusCode::BAD_REQUEST);
    };
    let outcome = tri!(results::verify(&state, document, file("signature")).await);
    match outcome {
        Verification::Issued(i) => {
            page.outcome = Some(("handling.verify_issued", true));
            page.facts = vec![
                ("handling.result_title", i.title),
                ("dossiers.code", i.code),
                ("dossiers.agency", i.agency_name),
                ("dossiers.procedure", i.procedure_name),
                ("handling.signed_at", format_vn(i.signed_at)),
                ("handling.signer", i.signer),
                ("handling.cert_serial", i.serial),
                ("handling.cert_fingerprint", i.fingerprint),
                ("handling.cert_valid_until", format_vn(i.valid_until)),
            ];
        }
        Verification::Foreign {
            signer,
            signing_time,
        } => {
            page.outcome = Some(("handling.verify_foreign", false));
            page.facts = vec![("handling.signer", signer)];
            if let Some(t) = signing_time {
                page.facts.push(("handling.signed_at", format_vn(t)));
            }
        }
        Verification::Unknown => page.outcome = Some(("handling.verify_unknown", false)),
        Verification::Invalid(key) => page.outcome = Some((key, false)),
    }
    render(&page)
}
