//! Page handlers, grouped by area. Handlers are thin: take the request
//! context and form, call one service function, render a template.

/// `?` for handlers: an error becomes its error page.
macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(x) => x,
            Err(e) => return $crate::error::AppError::from(e).into_response(),
        }
    };
}

mod account;
pub(crate) mod agency;
mod api;
pub(crate) mod auth;
mod calendar;
mod catalog;
mod console;
mod content;
mod directory;
mod dossiers;
mod feedback;
mod forms;
mod identity;
mod interop;
mod layers;
mod lifecycle;
mod openapi;
mod payments;
mod policy;
mod postal;
mod provisioning;
pub(crate) mod public;
mod registration;
mod results;
mod sso;
mod stats;
mod systems;

use crate::ctx::{self, Ctx};
use crate::i18n::Catalog;
use crate::{middleware as mw, AppState};
use askama::Template;
use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use motcua_domain::Role;
use motcua_mail::Locale;
use std::sync::Arc;

/// The request of a logged-in operator with no pending password change:
/// as a handler argument it refuses everyone else (login redirect, password
/// change redirect, 403) before the handler runs, so an operator page
/// cannot forget the check. The route-table walk in the web suite proves
/// every console route refuses every other role.
pub struct Operator(pub Ctx);

impl FromRequestParts<AppState> for Operator {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        auth::ready_user(state, &ctx).await?;
        ctx.operator()?;
        Ok(Operator(ctx))
    }
}

pub fn routes(state: AppState) -> Router {
    let limit = state
        .config
        .max_body_bytes
        .max(state.config.max_upload_bytes);
    Router::new()
        .route("/", get(public::home))
        .route("/lang/{lang}", get(public::set_lang))
        .route("/healthz", get(public::healthz))
        .route("/readyz", get(public::readyz))
        .route("/metrics", get(public::metrics))
        .route("/static/{file}", get(public::asset))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/logout", post(auth::logout))
        .route(
            "/password/change",
            get(auth::change_form).post(auth::change),
        )
        .route(
            "/password/forgot",
            get(auth::forgot_form).post(auth::forgot),
        )
        .route("/password/reset/{token}", get(auth::reset_form))
        .route("/password/reset", post(auth::reset))
        .route("/account", get(account::overview))
        .route("/account/activity", get(account::activity))
        .route(
            "/account/report",
            get(account::report_form).post(account::report),
        )
        .route("/account/logout-all", post(account::logout_all))
        .route("/console", get(console::home))
        .route("/console/accounts", get(console::accounts))
        .route("/console/accounts/{id}", get(console::account))
        .route("/console/accounts/{id}/lock", post(console::lock))
        .route("/console/accounts/{id}/edit", post(console::edit))
        .route("/console/accounts/{id}/unlock", post(console::unlock))
        .route("/console/sla", get(console::sla))
        .route("/console/jobs", get(console::jobs))
        .route("/console/jobs/{id}/requeue", post(console::requeue))
        .route("/console/audit", get(console::audit))
        .route("/console/throttles", get(console::throttles))
        .route("/console/throttles/clear", post(console::clear_throttle))
        .route("/console/reports", get(console::reports))
        .route(
            "/console/reports/{id}/handled",
            post(console::handle_report),
        )
        .route(
            "/console/systems",
            get(systems::list).post(systems::register),
        )
        .route(
            "/console/systems/{id}",
            get(systems::show).post(systems::update),
        )
        .route("/console/calendar", get(calendar::show).post(calendar::set))
        .route("/console/calendar/remove", post(calendar::remove))
        .route("/console/calendar/import", post(calendar::import))
        .route("/console/calendar/export", get(calendar::export))
        .route("/console/deliveries", get(systems::deliveries))
        .route(
            "/console/deliveries/{id}/redeliver",
            post(systems::redeliver),
        )
        .merge(registration::routes())
        .merge(identity::routes())
        .merge(api::routes())
        .merge(lifecycle::routes())
        .merge(provisioning::routes())
        .merge(policy::routes())
        .merge(catalog::routes())
        .merge(dossiers::routes())
        .merge(agency::routes())
        .merge(payments::routes())
        .merge(postal::routes())
        .merge(stats::routes())
        .merge(feedback::routes())
        .merge(content::routes())
        .merge(directory::routes())
        .merge(sso::routes())
        .merge(interop::routes(state.clone()))
        .merge(interop::console_routes())
        .merge(openapi::routes())
        .merge(results::routes())
        .merge(forms::routes())
        .fallback(public::not_found)
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            layers::console_gate,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            mw::csrf,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            layers::error_pages,
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            mw::observe,
        ))
        .with_state(state)
}

pub struct UserInfo {
    pub operator: bool,
    /// Manages a ministry's civil-servant requests (nav link).
    pub ministry_manager: bool,
    /// A civil servant: the back office link (the page itself checks
    /// that they hold a role in an agency).
    pub civil_servant: bool,
    pub name: String,
    /// Unread notifications ("99+" beyond 99).
    pub unread: String,
}

/// What every page's frame needs: translations, CSRF token, who is
/// logged in, and the current path (for the language switch).
pub struct Chrome {
    cat: Arc<Catalog>,
    locale: Locale,
    pub csrf: String,
    pub user: Option<UserInfo>,
    path: String,
    pub flash: Option<&'static str>,
    portal: Arc<motcua_identity::portal::Portal>,
}

impl Chrome {
    pub fn new(state: &AppState, ctx: &Ctx) -> Chrome {
        Chrome {
            cat: state.i18n.clone(),
            locale: ctx.locale,
            csrf: ctx.csrf.clone(),
            user: ctx.viewer.as_ref().map(|v| UserInfo {
                operator: v.account.has_role(Role::Operator),
                ministry_manager: v.account.has_role(Role::MinistryManager),
                civil_servant: v.account.has_role(Role::CivilServant),
                name: v.account.full_name.clone(),
                unread: match v.unread {
                    0 => String::new(),
                    n if n > 99 => "99+".into(),
                    n => n.to_string(),
                },
            }),
            path: ctx.path.clone(),
            flash: None,
            portal: state.portal.clone(),
        }
    }

    /// Shows a one-line notice if `m` names a known `flash.*` message.
    pub fn with_flash(mut self, m: Option<&str>) -> Chrome {
        self.flash = m.and_then(|m| self.cat.static_key(&format!("flash.{m}")));
        self
    }

    pub fn t<S: AsRef<str> + ?Sized>(&self, key: &S) -> &'static str {
        self.cat.get(self.locale, key.as_ref())
    }

    /// The footer's operator name ("" when not configured).
    pub fn operator_name(&self) -> &str {
        self.portal.operator_name.get(self.locale)
    }

    pub fn operator_address(&self) -> &str {
        self.portal.address.get(self.locale)
    }

    pub fn hotline(&self) -> &str {
        &self.portal.hotline
    }

    pub fn hotline_tel(&self) -> String {
        self.portal.hotline_tel()
    }

    pub fn contact_email(&self) -> &str {
        &self.portal.email
    }

    /// The agency owning the portal ("" when not configured).
    pub fn owner_name(&self) -> &str {
        self.portal.owner_name.get(self.locale)
    }

    pub fn call_centre(&self) -> &str {
        &self.portal.call_centre
    }

    pub fn terms_version(&self) -> &str {
        &self.portal.terms.version
    }

    pub fn privacy_version(&self) -> &str {
        &self.portal.privacy.version
    }

    pub fn lang(&self) -> &'static str {
        self.locale.as_str()
    }

    pub fn catalog(&self) -> &Catalog {
        &self.cat
    }

    pub fn locale(&self) -> Locale {
        self.locale
    }

    pub fn path_encoded(&self) -> String {
        ctx::urlencode(&self.path)
    }
}

/// The first value of field `name` among a form's `(name, value)` pairs
/// (a multipart form, or a form with repeated fields); empty when absent.
pub fn first(pairs: &[(String, String)], name: &str) -> String {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => crate::error::AppError::Internal(e.to_string()).into_response(),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Chrome,
    status: u16,
    key: &'static str,
}

/// The friendly error page, in the visitor's language.
pub fn error_page(
    state: &AppState,
    locale: Locale,
    status: StatusCode,
    key: &'static str,
) -> Response {
    let c = Chrome {
        cat: state.i18n.clone(),
        locale,
        csrf: String::new(),
        user: None,
        path: "/".into(),
        flash: None,
        portal: state.portal.clone(),
    };
    let page = ErrorPage {
        c,
        status: status.as_u16(),
        key,
    };
    let html = page.render().unwrap_or_else(|_| {
        format!(
            "<!DOCTYPE html><title>{}</title><h1>{}</h1>",
            status.as_u16(),
            status.as_u16()
        )
    });
    (status, Html(html)).into_response()
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub c: Chrome,
    pub title: &'static str,
    pub body: &'static str,
    pub link: Option<(&'static str, &'static str)>,
}

/// A one-message page in the visitor's language.
pub fn message_page(
    state: &AppState,
    ctx: &Ctx,
    title: &'static str,
    body: &'static str,
    link: Option<(&'static str, &'static str)>,
) -> Response {
    render(&MessagePage {
        c: Chrome::new(state, ctx),
        title,
        body,
        link,
    })
}

/// Page-number links; `base` already carries the query without `page`.
/// Links for keyset paging: back to the first page (when not on it) and
/// on to the page after `next` (when there is one). No page count: a
/// broad match is never counted in full (issue #7).
/// The `after=KEY.ID` of a keyset-paged list: none, a cursor, or a 400
/// page in the viewer's language for anything else.
#[allow(clippy::result_large_err)]
pub fn parse_after(
    state: &AppState,
    c: &Chrome,
    after: Option<&str>,
) -> Result<Option<motcua_store::keyset::Cursor>, Response> {
    match after.map(motcua_store::keyset::Cursor::parse) {
        None => Ok(None),
        Some(Some(cursor)) => Ok(Some(cursor)),
        Some(None) => Err(error_page(
            state,
            c.locale(),
            StatusCode::BAD_REQUEST,
            "error.bad_cursor",
        )),
    }
}

pub fn cursor_pager(
    c: &Chrome,
    base: &str,
    on_later_page: bool,
    next: Option<impl std::fmt::Display>,
) -> String {
    if !on_later_page && next.is_none() {
        return String::new();
    }
    let sep = if base.contains('?') { '&' } else { '?' };
    let mut s = format!(
        "<nav class=\"pager\" aria-label=\"{}\"><ul>",
        c.t("pager.label")
    );
    if on_later_page {
        s.push_str(&format!(
            "<li><a href=\"{base}\" rel=\"first\">{}</a></li>",
            c.t("pager.first")
        ));
    }
    if let Some(after) = next {
        s.push_str(&format!(
            "<li><a href=\"{base}{sep}after={after}\" rel=\"next\">{}</a></li>",
            c.t("pager.next")
        ));
    }
    s.push_str("</ul></nav>");
    s
}

pub fn role_key(r: Role) -> &'static str {
    match r {
        Role::Citizen => "role.citizen",
        Role::Business => "role.business",
        Role::Declarant => "role.declarant",
        Role::CivilServant => "role.civil_servant",
        Role::Operator => "role.operator",
        Role::MinistryManager => "role.ministry_manager",
    }
}

/// "2 working days left (13.5 working hours)" or "overdue by …", in the
/// viewer's language.
pub fn remaining_text(c: &Chrome, r: &motcua_domain::calendar::Remaining) -> String {
    let (key, sign) = if r.overdue {
        ("calendar.overdue_by", -1)
    } else {
        ("calendar.left", 1)
    };
    c.t(key)
        .replace("{d}", &(sign * r.working_days).to_string())
        .replace(
            "{h}",
            &format!("{:.1}", (sign * r.working_minutes) as f64 / 60.0),
        )
}
