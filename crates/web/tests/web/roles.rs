//! Every route with every role (least privilege per role, no IDOR): the
//! route table below is walked by an anonymous visitor and by one account
//! of each role. Console routes answer 403 to everyone but the operator,
//! ministry pages to everyone but a ministry's manager, account pages send
//! anonymous visitors to the login page; nothing answers 5xx, and a
//! refused request writes nothing to the audit trail.
use crate::helpers::*;
use motcua_domain::{AccountStatus, Role};
use motcua_web::service::NewAccountInput;
use reqwest::StatusCode;

/// Who a route is for.
#[derive(Clone, Copy, Debug, PartialEq)]
enum For {
    /// Anyone (public pages, sign-up, login): only "no 5xx" is checked.
    Anyone,
    /// Any logged-in account; anonymous visitors go to the login page.
    User,
    /// An NSW account holder (declarant or civil servant): the account
    /// lifecycle requests (R-ID-15…).
    Holder,
    /// The portal's operator.
    Operator,
    /// A ministry's manager (the operator works in /console/provisioning).
    Manager,
}

const GET: bool = false;
const POST: bool = true;

/// Every route of the portal, with ids of objects that do not exist for
/// the `{id}` parts (a refusal must not depend on the object) — except
/// where `ID` is replaced by a real one in [`walk`].
const ROUTES: &[(bool, &str, For)] = &[
    (GET, "/", For::Anyone),
    (GET, "/healthz", For::Anyone),
    (GET, "/readyz", For::Anyone),
    (GET, "/signup", For::Anyone),
    (GET, "/register", For::Anyone),
    (GET, "/register/declarant", For::Anyone),
    (GET, "/register/status/nope", For::Anyone),
    (GET, "/register/status/nope/edit", For::Anyone),
    (GET, "/register/verify/nope", For::Anyone),
    (GET, "/register/eid/999999", For::Anyone),
    (GET, "/register/certificate/999999", For::Anyone),
    (GET, "/register/certificate/999999/confirm", For::Anyone),
    (GET, "/password/forgot", For::Anyone),
    (GET, "/password/reset/nope", For::Anyone),
    (GET, "/terms", For::Anyone),
    (GET, "/privacy", For::Anyone),
    (GET, "/downloads/motcua-signer", For::Anyone),
    (GET, "/downloads/motcua-signer/nope.deb", For::Anyone),
    (GET, "/auth/token", For::Anyone),
    (GET, "/auth/sim", For::Anyone),
    (GET, "/auth/sim/999999", For::Anyone),
    (GET, "/auth/eid", For::Anyone),
    (GET, "/auth/eid/callback", For::Anyone),
    (GET, "/auth/eid/link", For::Anyone),
    (GET, "/auth/step-up", For::Anyone),
    (GET, "/lang/en", For::Anyone),
    (GET, "/login", For::Anyone),
    (GET, "/api/v1/me", For::Anyone),
    (GET, "/api/v1/me/activity", For::Anyone),
    (GET, "/api/v1/me/certificates", For::Anyone),
    (GET, "/account", For::User),
    (GET, "/account/activity", For::User),
    (GET, "/account/api-tokens", For::User),
    (GET, "/account/certificates", For::User),
    (GET, "/account/data", For::User),
    (GET, "/account/lifecycle", For::Holder),
    (GET, "/account/report", For::User),
    (GET, "/password/change", For::User),
    (GET, "/console", For::Operator),
    (GET, "/console/accounts", For::Operator),
    (GET, "/console/accounts/ID", For::Operator),
    (POST, "/console/accounts/ID/edit", For::Operator),
    (POST, "/console/accounts/ID/lock", For::Operator),
    (POST, "/console/accounts/ID/unlock", For::Operator),
    (GET, "/console/audit", For::Operator),
    (GET, "/console/calendar", For::Operator),
    (POST, "/console/calendar", For::Operator),
    (GET, "/console/calendar/export", For::Operator),
    (POST, "/console/calendar/import", For::Operator),
    (POST, "/console/calendar/remove", For::Operator),
    (GET, "/console/deliveries", For::Operator),
    (POST, "/console/deliveries/999999/redeliver", For::Operator),
    (GET, "/console/jobs", For::Operator),
    (POST, "/console/jobs/999999/requeue", For::Operator),
    (POST, "/console/legal-bases/nope", For::Operator),
    (GET, "/console/lifecycle", For::Operator),
    (GET, "/console/lifecycle/accounts/ID", For::Operator),
    (
        POST,
        "/console/lifecycle/accounts/ID/ministry-notice",
        For::Operator,
    ),
    (
        POST,
        "/console/lifecycle/accounts/ID/reactivation",
        For::Operator,
    ),
    (GET, "/console/lifecycle/999999", For::Operator),
    (POST, "/console/lifecycle/999999/decide", For::Operator),
    (GET, "/console/ministries", For::Operator),
    (POST, "/console/ministries", For::Operator),
    (GET, "/console/ministries/MID", For::Operator),
    (POST, "/console/ministries/MID", For::Operator),
    (GET, "/console/provisioning", For::Operator),
    (GET, "/console/provisioning/999999", For::Operator),
    (GET, "/console/provisioning/999999/upload", For::Operator),
    (
        POST,
        "/console/provisioning/999999/persons/1/grant",
        For::Operator,
    ),
    (
        POST,
        "/console/provisioning/999999/persons/1/refuse",
        For::Operator,
    ),
    (GET, "/console/registrations", For::Operator),
    (GET, "/console/registrations/999999", For::Operator),
    (POST, "/console/registrations/999999/decide", For::Operator),
    (GET, "/console/registrations/999999/document", For::Operator),
    (GET, "/console/reports", For::Operator),
    (POST, "/console/reports/999999/handled", For::Operator),
    (GET, "/console/sla", For::Operator),
    (GET, "/console/systems", For::Operator),
    (POST, "/console/systems", For::Operator),
    (GET, "/console/systems/999999", For::Operator),
    (POST, "/console/systems/999999", For::Operator),
    (GET, "/console/throttles", For::Operator),
    (POST, "/console/throttles/clear", For::Operator),
    (GET, "/ministry/requests", For::Manager),
    (GET, "/ministry/requests/new", For::Manager),
    (GET, "/ministry/requests/999999", For::Manager),
    (GET, "/ministry/requests/999999/notice.pdf", For::Manager),
];

async fn audit_count(app: &App) -> i64 {
    let mut c = app.conn().await;
    // The language switch (`/lang/en`) is the one change a walk makes:
    // the holder's own locale, audited as it should be.
    scalar(
        &mut c,
        "SELECT COUNT(*) FROM audit_log WHERE action <> 'account.locale'",
    )
    .await
}

const PW: &str = "mat-khau-cua-vai-tro-2026";

#[tokio::test]
async fn every_route_with_every_role() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let op = app.operator_browser().await;
        let mut who: Vec<(&str, Option<Role>, Browser)> = vec![("anonymous", None, app.browser())];
        for (name, role) in [
            ("vt_congdan", Role::Citizen),
            ("vt_doanhnghiep", Role::Business),
            ("vt_khaibao", Role::Declarant),
            ("vt_congchuc", Role::CivilServant),
        ] {
            app.create(NewAccountInput {
                username: name.into(),
                full_name: "Người Thử Vai".into(),
                email: Some(format!("{name}@example.vn")),
                roles: vec![role],
                initial_password: Some(PW.into()),
                permanent: true,
                ..Default::default()
            })
            .await;
            let b = app.browser();
            assert_eq!(
                b.login(name, PW).await.status,
                StatusCode::SEE_OTHER,
                "{name}"
            );
            who.push((name, Some(role), b));
        }
        // A ministry's manager, made by the operator as in production.
        let mid = {
            let mut c = app.conn().await;
            motcua_store::provisioning::ministries(&mut c)
                .await
                .expect("ministries")
                .into_iter()
                .next()
                .expect("a seeded ministry")
                .id
        };
        app.user("vt_quanly", "Phạm Quản Lý", PW).await;
        let path = format!("/console/ministries/{mid}");
        let r = op
            .submit(
                &path,
                &path,
                &[("action", "add_manager"), ("username", "vt_quanly")],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "{}: {}",
            app.name(),
            r.text
        );
        let manager = app.browser();
        assert_eq!(
            manager.login("vt_quanly", PW).await.status,
            StatusCode::SEE_OTHER
        );
        who.push(("vt_quanly", Some(Role::MinistryManager), manager));
        who.push(("vanhanh", Some(Role::Operator), op));

        // The citizen's account is the object of the `ID` routes: another
        // account's page is exactly what must not open to others.
        let target = {
            let mut c = app.conn().await;
            motcua_store::accounts::by_username(&mut c, "vt_congdan")
                .await
                .expect("find")
                .expect("citizen")
                .id
        };

        for (name, role, b) in &who {
            // A CSRF token of this browser's own session, so a refusal
            // below is the role check, not the CSRF check.
            let form = if role.is_some() { "/account" } else { "/login" };
            let csrf = b.get(form).await.csrf();
            let audit_before = audit_count(&app).await;
            for &(post, route, for_) in ROUTES {
                let path = route
                    .replace("MID", &mid.to_string())
                    .replace("ID", &target.to_string());
                let r = if post {
                    b.post_form(&path, &[("csrf", csrf.as_str())]).await
                } else {
                    b.get(&path).await
                };
                let what = format!(
                    "{}: {name} {} {path}",
                    app.name(),
                    if post { "POST" } else { "GET" }
                );
                assert!(r.status.as_u16() < 500, "{what}: {} {}", r.status, r.text);
                let allowed = match for_ {
                    For::Anyone => continue,
                    For::User => role.is_some(),
                    For::Holder => matches!(role, Some(Role::Declarant | Role::CivilServant)),
                    For::Operator => *role == Some(Role::Operator),
                    For::Manager => *role == Some(Role::MinistryManager),
                };
                if allowed {
                    assert_ne!(r.status, StatusCode::FORBIDDEN, "{what}: {}", r.text);
                    assert_ne!(r.status, StatusCode::UNAUTHORIZED, "{what}");
                    if !post {
                        assert!(
                            !r.location().is_some_and(|l| l.starts_with("/login")),
                            "{what}: sent to the login page"
                        );
                    }
                } else if role.is_none() {
                    assert_eq!(r.status, StatusCode::SEE_OTHER, "{what}: {}", r.text);
                    let to = r.location().unwrap_or_default();
                    assert!(to.starts_with("/login?next="), "{what}: {to}");
                } else {
                    assert_eq!(r.status, StatusCode::FORBIDDEN, "{what}: {}", r.text);
                    assert!(r.is_html(), "{what}: the refusal is a page");
                }
            }
            if *role != Some(Role::Operator) {
                // Refused requests change nothing: no audit record at all
                // (the walk's allowed requests for these roles are GETs).
                let after = audit_count(&app).await;
                if after != audit_before {
                    let mut c = app.conn().await;
                    let new =
                        motcua_store::audit::list(&mut c, None, (after - audit_before) as i64)
                            .await
                            .expect("audit");
                    panic!(
                        "{}: {name}'s walk wrote to the audit trail: {:?}",
                        app.name(),
                        new.iter()
                            .map(|e| (&e.action, &e.target))
                            .collect::<Vec<_>>()
                    );
                }
            }
        }
        // The citizen is still there, unlocked and unchanged.
        let acc = app.account(target).await;
        assert_eq!(acc.full_name, "Người Thử Vai");
        assert_eq!(acc.status, AccountStatus::Active, "{}", app.name());
        app.assert_audit_intact().await;
    })
    .await;
}
