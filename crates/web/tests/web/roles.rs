//! Every route with every role (least privilege per role, no IDOR): the
//! route table below is walked by an anonymous visitor and by one account
//! of each role. Console routes answer 403 to everyone but the operator,
//! ministry pages to everyone but a ministry's manager, account pages send
//! anonymous visitors to the login page; nothing answers 5xx, and a
//! refused request writes nothing to the audit trail.
use crate::helpers::*;
use motcua_domain::{AccountStatus, Role};
use motcua_identity::service::NewAccountInput;
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
    /// An action of a logged-in account on its own data (a POST): sent
    /// only by anonymous visitors, who must be sent to the login page; a
    /// logged-in walk would perform it (log out, make a token…).
    UserAct,
    /// An action open to anyone that a logged-in walk must not do (log
    /// out): sent by anonymous visitors only, checked for no 5xx.
    AnyoneAct,
    /// An NSW holder's own request (a POST): sent by everyone else, who
    /// must be refused.
    HolderAct,
    /// A ministry manager's submission (a POST): sent by everyone else.
    ManagerAct,
    /// A ministry's manager (the operator works in /console/provisioning).
    Manager,
    /// Any civil servant (the back office's home: without a role yet it
    /// says how to get one).
    CivilServant,
    /// A civil servant holding a role in an agency's unit (issue #9):
    /// nobody of the walk does, so every logged-in walker is refused; the
    /// roles inside agencies are walked in handling.rs.
    Staff,
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
    (POST, "/login", For::Anyone),
    (POST, "/logout", For::AnyoneAct),
    (GET, "/metrics", For::Anyone),
    (GET, "/static/app.css", For::Anyone),
    (POST, "/password/forgot", For::Anyone),
    (POST, "/password/reset", For::Anyone),
    (POST, "/password/change", For::UserAct),
    (POST, "/register/declarant", For::Anyone),
    (POST, "/register/verify", For::Anyone),
    (POST, "/register/status/nope/edit", For::Anyone),
    (POST, "/register/eid/999999", For::Anyone),
    (POST, "/register/certificate/999999", For::Anyone),
    (POST, "/register/certificate/999999/confirm", For::Anyone),
    (POST, "/auth/sim", For::Anyone),
    (POST, "/auth/token/challenge", For::Anyone),
    (POST, "/auth/token/verify", For::Anyone),
    (POST, "/auth/eid/link", For::Anyone),
    (POST, "/account/api-tokens", For::UserAct),
    (POST, "/account/api-tokens/999999/revoke", For::UserAct),
    (POST, "/account/certificates/999999/remove", For::UserAct),
    (POST, "/account/data", For::UserAct),
    (POST, "/account/logout-all", For::UserAct),
    (POST, "/account/report", For::UserAct),
    (POST, "/account/lifecycle/emergency", For::HolderAct),
    (POST, "/account/lifecycle/revocation", For::HolderAct),
    (POST, "/account/lifecycle/scheduled", For::HolderAct),
    (POST, "/ministry/requests", For::ManagerAct),
    (POST, "/ministry/requests/upload", For::ManagerAct),
    (
        GET,
        "/console/provisioning/999999/notice.pdf",
        For::Operator,
    ),
    (GET, "/procedures", For::Anyone),
    (GET, "/procedures/1.001193", For::Anyone),
    (GET, "/agencies", For::Anyone),
    (GET, "/agencies/H29", For::Anyone),
    (GET, "/api/v1/procedures", For::Anyone),
    (GET, "/api/v1/procedures/1.001193", For::Anyone),
    (GET, "/api/v1/agencies", For::Anyone),
    (GET, "/api/v1/communes", For::Anyone),
    (GET, "/api/v1/me", For::Anyone),
    (GET, "/api/v1/me/activity", For::Anyone),
    (GET, "/api/v1/me/certificates", For::Anyone),
    (GET, "/account", For::User),
    (GET, "/account/activity", For::User),
    (GET, "/account/api-tokens", For::User),
    (GET, "/account/certificates", For::User),
    (GET, "/account/data", For::User),
    (GET, "/account/drafts", For::User),
    (
        GET,
        "/account/drafts/0123456789abcdef0123456789abcdef",
        For::User,
    ),
    (
        GET,
        "/account/drafts/0123456789abcdef0123456789abcdef/check",
        For::User,
    ),
    (
        GET,
        "/account/drafts/0123456789abcdef0123456789abcdef/step/0",
        For::User,
    ),
    (
        POST,
        "/account/drafts/0123456789abcdef0123456789abcdef/step/0",
        For::UserAct,
    ),
    (
        POST,
        "/account/drafts/0123456789abcdef0123456789abcdef/submit",
        For::UserAct,
    ),
    (
        POST,
        "/account/drafts/0123456789abcdef0123456789abcdef/delete",
        For::UserAct,
    ),
    (
        GET,
        "/account/drafts/0123456789abcdef0123456789abcdef/files",
        For::User,
    ),
    (
        POST,
        "/account/drafts/0123456789abcdef0123456789abcdef/files",
        For::UserAct,
    ),
    (
        GET,
        "/account/drafts/0123456789abcdef0123456789abcdef/files/1",
        For::User,
    ),
    (
        POST,
        "/account/drafts/0123456789abcdef0123456789abcdef/files/1/delete",
        For::UserAct,
    ),
    (
        GET,
        "/account/dossiers/H29.P01-261206-000001/files/1",
        For::User,
    ),
    (GET, "/account/dossiers", For::User),
    (GET, "/account/dossiers/H29.P01-261206-000001", For::User),
    (
        POST,
        "/account/dossiers/H29.P01-261206-000001/withdraw",
        For::UserAct,
    ),
    (
        GET,
        "/account/dossiers/H29.P01-261206-000001/receipt.pdf",
        For::User,
    ),
    (GET, "/account/notifications", For::User),
    (POST, "/account/notifications/read", For::UserAct),
    (
        POST,
        "/account/drafts/0123456789abcdef0123456789abcdef/sign/challenge",
        For::UserAct,
    ),
    (
        POST,
        "/account/drafts/0123456789abcdef0123456789abcdef/files/reuse",
        For::UserAct,
    ),
    (
        POST,
        "/account/drafts/0123456789abcdef0123456789abcdef/step/0/autosave",
        For::UserAct,
    ),
    (GET, "/account/notifications/settings", For::User),
    (POST, "/account/notifications/settings", For::UserAct),
    (
        POST,
        "/account/drafts/0123456789abcdef0123456789abcdef/fill-from",
        For::UserAct,
    ),
    (
        POST,
        "/account/drafts/0123456789abcdef0123456789abcdef/sign/sim",
        For::UserAct,
    ),
    (GET, "/account/documents", For::User),
    (GET, "/account/documents/1", For::User),
    (POST, "/account/documents/1/delete", For::UserAct),
    (POST, "/procedures/1.001193/start", For::UserAct),
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
    (GET, "/console/catalog", For::Operator),
    (POST, "/console/catalog/import", For::Operator),
    (GET, "/console/catalog/export", For::Operator),
    (GET, "/console/catalog/go", For::Operator),
    (GET, "/console/catalog/1.001193", For::Operator),
    (POST, "/console/catalog/1.001193/draft", For::Operator),
    (GET, "/console/catalog/1.001193/1", For::Operator),
    (POST, "/console/catalog/1.001193/1/publish", For::Operator),
    (GET, "/console/forms/1.001193", For::Operator),
    (POST, "/console/forms/1.001193/draft", For::Operator),
    (GET, "/console/forms/1.001193/1", For::Operator),
    (POST, "/console/forms/1.001193/1/publish", For::Operator),
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
    (GET, "/lookup", For::Anyone),
    (
        GET,
        "/lookup?code=H29.P01-261206-000001&check=ABCDEFGH",
        For::Anyone,
    ),
    (GET, "/agency", For::CivilServant),
    (GET, "/agency/units/999999", For::Staff),
    (GET, "/agency/units/999999/log", For::Staff),
    (GET, "/agency/units/999999/log.csv", For::Staff),
    (GET, "/agency/dossiers/H29.P01-261206-000001", For::Staff),
    (
        POST,
        "/agency/dossiers/H29.P01-261206-000001/act",
        For::Staff,
    ),
    (
        POST,
        "/agency/dossiers/H29.P01-261206-000001/assign",
        For::Staff,
    ),
    (
        GET,
        "/agency/dossiers/H29.P01-261206-000001/files/1",
        For::Staff,
    ),
    (GET, "/agency/staff", For::Staff),
    (GET, "/agency/officials?agency=H29", For::Operator),
    (POST, "/agency/officials/add", For::Operator),
    (POST, "/agency/officials/999999/remove", For::Operator),
    (
        GET,
        "/statistics/dossiers?period=2026&measure=received&scope=H29",
        For::Operator,
    ),
    (
        GET,
        "/statistics/dossiers?period=2026-13&measure=nope&after=x",
        For::Operator,
    ),
    (GET, "/agency/board", For::Staff),
    (
        GET,
        "/agency/dossiers/H29.P01-261206-000001/slip.pdf",
        For::Staff,
    ),
    (
        GET,
        "/agency/dossiers/H29.P01-261206-000001/notices/1",
        For::Staff,
    ),
    (
        GET,
        "/account/dossiers/H29.P01-261206-000001/notices/1",
        For::User,
    ),
    (
        POST,
        "/account/dossiers/H29.P01-261206-000001/evaluation",
        For::UserAct,
    ),
    (POST, "/agency/staff/grant", For::Operator),
    (POST, "/agency/staff/999999/revoke", For::Operator),
    (GET, "/console/agencies/H29/units", For::Operator),
    (GET, "/console/workflows", For::Operator),
    (GET, "/console/workflows/default", For::Operator),
    (POST, "/console/workflows/default", For::Operator),
    (POST, "/console/agencies/H29/units", For::Operator),
    (
        POST,
        "/account/dossiers/H29.P01-261206-000001/supplement",
        For::UserAct,
    ),
    (
        POST,
        "/agency/dossiers/H29.P01-261206-000001/results",
        For::Staff,
    ),
    (
        GET,
        "/agency/dossiers/H29.P01-261206-000001/results/1",
        For::Staff,
    ),
    (
        GET,
        "/agency/dossiers/H29.P01-261206-000001/results/1/signature",
        For::Staff,
    ),
    (
        POST,
        "/agency/dossiers/H29.P01-261206-000001/results/1/remove",
        For::Staff,
    ),
    (
        GET,
        "/account/dossiers/H29.P01-261206-000001/results/1",
        For::User,
    ),
    (
        GET,
        "/account/dossiers/H29.P01-261206-000001/results/1/signature",
        For::User,
    ),
    (GET, "/verify", For::Anyone),
    (POST, "/verify", For::Anyone),
    (
        POST,
        "/account/dossiers/H29.P01-261206-000001/payments/nope/pay",
        For::UserAct,
    ),
    (
        GET,
        "/account/dossiers/H29.P01-261206-000001/payments/nope/receipts/phi.pdf",
        For::User,
    ),
    (GET, "/account/payments/return?ref=nope-1", For::User),
    (
        POST,
        "/agency/dossiers/H29.P01-261206-000001/payment-request",
        For::Staff,
    ),
    (POST, "/api/v1/payments/confirm", For::Anyone),
    (POST, "/api/v1/postal/events", For::Anyone),
    (POST, "/account/drafts/nope/postal", For::UserAct),
    (GET, "/statistics", For::Anyone),
    (
        GET,
        "/statistics?period=2026-Q4&scope=H29&by=procedure",
        For::Anyone,
    ),
    (GET, "/statistics/progress.csv", For::Anyone),
    (GET, "/statistics/progress.xlsx?period=2026-11", For::Anyone),
    (GET, "/statistics/progress.json?scope=G01", For::Anyone),
    (GET, "/api/v1/statistics/progress?period=2026", For::Anyone),
    (GET, "/feedback", For::Anyone),
    (GET, "/feedback?q=giay%20khai%20sinh&page=9999", For::Anyone),
    (GET, "/feedback/PAKN-000000-NOPE00", For::Anyone),
    (GET, "/api/v1/feedback?q=x", For::Anyone),
    (GET, "/feedback/new", For::Anyone),
    (POST, "/feedback/new", For::AnyoneAct),
    (
        GET,
        "/feedback/confirm/00000000000000000000000000000000",
        For::Anyone,
    ),
    (
        POST,
        "/feedback/confirm/00000000000000000000000000000000",
        For::AnyoneAct,
    ),
    (GET, "/feedback/track", For::Anyone),
    (GET, "/.well-known/openid-configuration", For::Anyone),
    (
        GET,
        "/oidc/authorize?client_id=nope&redirect_uri=https%3A%2F%2Fx.vn%2Fcb",
        For::Anyone,
    ),
    (POST, "/oidc/authorize", For::UserAct),
    (GET, "/api/oidc/jwks", For::Anyone),
    (POST, "/api/oidc/token", For::AnyoneAct),
    (GET, "/api/oidc/userinfo", For::Anyone),
    (POST, "/api/oidc/userinfo", For::AnyoneAct),
    (POST, "/api/oidc/introspect", For::AnyoneAct),
    (POST, "/api/oidc/revoke", For::AnyoneAct),
    (GET, "/oidc/logout?client_id=nope", For::Anyone),
    (POST, "/oidc/logout", For::AnyoneAct),
    (GET, "/developers/api", For::Anyone),
    (GET, "/api/v1/openapi.json", For::Anyone),
    (
        GET,
        "/api/v1/sync/dossiers/000.00.12.H29-261208-0001",
        For::Anyone,
    ),
    (
        POST,
        "/api/v1/sync/dossiers/000.00.12.H29-261208-0001/progress",
        For::AnyoneAct,
    ),
    (GET, "/account/portals", For::User),
    (POST, "/account/portals/nope/revoke", For::UserAct),
    (GET, "/console/sso", For::Operator),
    (POST, "/console/sso", For::Operator),
    (POST, "/console/sso/nope", For::Operator),
    (GET, "/api/v1/sync/catalog/procedures", For::Anyone),
    (GET, "/api/v1/sync/catalog/procedures/1.001193", For::Anyone),
    (GET, "/api/v1/sync/catalog/agencies", For::Anyone),
    (GET, "/api/v1/sync/statistics/progress", For::Anyone),
    (GET, "/console/routes", For::Operator),
    (POST, "/console/routes", For::Operator),
    (POST, "/console/routes/9.999999/remove", For::Operator),
    (
        GET,
        "/api/v1/sync/forwarded/000.00.12.H29-261208-0001",
        For::Anyone,
    ),
    (
        GET,
        "/api/v1/sync/forwarded/000.00.12.H29-261208-0001/files/1",
        For::Anyone,
    ),
    (
        POST,
        "/api/v1/sync/forwarded/000.00.12.H29-261208-0001/answers",
        For::AnyoneAct,
    ),
    (
        POST,
        "/api/v1/sync/forwarded/000.00.12.H29-261208-0001/results",
        For::AnyoneAct,
    ),
    (
        GET,
        "/feedback/track?code=PAKN-000000-NOPE00&key=AAAAAAAAAAAAAAAA",
        For::Anyone,
    ),
    (POST, "/feedback/track/reply", For::AnyoneAct),
    (GET, "/feedback/track/files/1?code=x&key=y", For::Anyone),
    (GET, "/account/feedback", For::User),
    (GET, "/account/feedback/PAKN-000000-NOPE00", For::User),
    (
        POST,
        "/account/feedback/PAKN-000000-NOPE00/reply",
        For::UserAct,
    ),
    (
        GET,
        "/account/feedback/PAKN-000000-NOPE00/files/1",
        For::User,
    ),
    (GET, "/agency/feedback", For::Staff),
    (GET, "/agency/feedback/PAKN-000000-NOPE00", For::Staff),
    (POST, "/agency/feedback/PAKN-000000-NOPE00/act", For::Staff),
    (
        GET,
        "/agency/feedback/PAKN-000000-NOPE00/files/1",
        For::Staff,
    ),
    (GET, "/console/feedback", For::Operator),
    (GET, "/statistics/index", For::Anyone),
    (GET, "/statistics/online", For::Anyone),
    (GET, "/statistics/online?scope=H29", For::Anyone),
    (
        GET,
        "/statistics/index?scope=H29&period=2026-Q4",
        For::Anyone,
    ),
    (GET, "/statistics/index/H29?period=2026", For::Anyone),
    (GET, "/statistics/index/NOPE", For::Anyone),
    (GET, "/api/v1/statistics/index?period=2026-11", For::Anyone),
    (GET, "/console/statistics/index", For::Operator),
    (GET, "/policy/accept?next=%2Faccount", For::User),
    (GET, "/help", For::Anyone),
    (GET, "/help?q=n%E1%BB%99p+ph%C3%AD&kind=faq", For::Anyone),
    (GET, "/help/nope", For::Anyone),
    (GET, "/search?q=khai+sinh", For::Anyone),
    (GET, "/contact", For::Anyone),
    (GET, "/console/content", For::Operator),
    (POST, "/console/content", For::Operator),
    (GET, "/console/content/nope", For::Operator),
    (POST, "/policy/accept", For::UserAct),
    (POST, "/console/statistics/index", For::Operator),
    (GET, "/console/catalog/1.001193/fees", For::Operator),
    (POST, "/console/catalog/1.001193/fees", For::Operator),
    (GET, "/console/payments", For::Operator),
    (POST, "/console/payments/reconcile", For::Operator),
    (
        POST,
        "/console/payments/requests/nope/refund",
        For::Operator,
    ),
    (
        POST,
        "/console/payments/requests/nope/cancel",
        For::Operator,
    ),
    (
        POST,
        "/console/payments/mismatches/999999/resolve",
        For::Operator,
    ),
];

async fn audit_count(app: &App) -> i64 {
    let mut c = app.conn().await;
    // The changes a walk may make: the holder's own locale (`/lang/en`)
    // and the portal seeding its bundled holiday calendar the first time a
    // deadline is computed — both audited as they should be.
    scalar(
        &mut c,
        "SELECT COUNT(*) FROM audit_log WHERE action NOT IN ('account.locale', 'calendar.seed')",
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
            motcua_nsw::store::provisioning::ministries(&mut c)
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
            motcua_identity::store::accounts::by_username(&mut c, "vt_congdan")
                .await
                .expect("find")
                .expect("citizen")
                .id
        };

        let mut failures: Vec<String> = Vec::new();
        for (name, role, b) in &who {
            // A CSRF token of this browser's own session, so a refusal
            // below is the role check, not the CSRF check.
            let form = if role.is_some() { "/account" } else { "/login" };
            let csrf = b.get(form).await.csrf();
            let audit_before = audit_count(&app).await;
            for &(post, route, for_) in ROUTES {
                let allowed = match for_ {
                    For::Anyone => true,
                    For::AnyoneAct => role.is_none(),
                    For::User | For::UserAct => role.is_some(),
                    For::Holder | For::HolderAct => {
                        matches!(role, Some(Role::Declarant | Role::CivilServant))
                    }
                    For::Operator => *role == Some(Role::Operator),
                    For::Manager | For::ManagerAct => *role == Some(Role::MinistryManager),
                    For::Staff => false,
                    For::CivilServant => *role == Some(Role::CivilServant),
                };
                let acts = matches!(
                    for_,
                    For::UserAct | For::HolderAct | For::ManagerAct | For::AnyoneAct
                );
                if acts && (allowed != (for_ == For::AnyoneAct)) {
                    // The role may do it: sending it would do it.
                    continue;
                }
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
                // Every wrong answer of the walk, reported together.
                let mut wrong = |why: String| failures.push(format!("{what}: {why}"));
                if r.status.is_server_error() {
                    wrong(format!("{}", r.status));
                }
                if matches!(for_, For::Anyone | For::AnyoneAct) {
                    continue;
                }
                if allowed {
                    if matches!(r.status, StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED) {
                        wrong(format!("refused with {}", r.status));
                    }
                    if !post && r.location().is_some_and(|l| l.starts_with("/login")) {
                        wrong("sent to the login page".into());
                    }
                } else if role.is_none() {
                    let to = r.location().unwrap_or_default();
                    if r.status != StatusCode::SEE_OTHER || !to.starts_with("/login?next=") {
                        wrong(format!("{} {to} instead of the login page", r.status));
                    }
                } else if r.status != StatusCode::FORBIDDEN || !r.is_html() {
                    wrong(format!("{} instead of a 403 page", r.status));
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
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        // The citizen is still there, unlocked and unchanged.
        let acc = app.account(target).await;
        assert_eq!(acc.full_name, "Người Thử Vai");
        assert_eq!(acc.status, AccountStatus::Active, "{}", app.name());
        app.assert_audit_intact().await;
    })
    .await;
}

/// Every (method, path) the router serves, read from the route table in
/// the source (`.route("…", get(…).post(…))`).
fn router_routes() -> Vec<(bool, String)> {
    fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                files(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut all = Vec::new();
    files(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut all,
    );
    let mut out = Vec::new();
    for f in all {
        let text = std::fs::read_to_string(&f).expect("source");
        for (start, _) in text.match_indices(".route(") {
            // The call's arguments, to the matching parenthesis.
            let rest = &text[start + ".route(".len()..];
            let mut depth = 1;
            let mut end = 0;
            for (i, ch) in rest.char_indices() {
                match ch {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    end = i;
                    break;
                }
            }
            let args = &rest[..end];
            let Some(path) = args.split('"').nth(1) else {
                continue;
            };
            let handlers = &args[args.find(',').unwrap_or(0)..];
            let calls = |m: &str| {
                handlers.match_indices(m).any(|(i, _)| {
                    i == 0
                        || !handlers.as_bytes()[i - 1].is_ascii_alphanumeric()
                            && handlers.as_bytes()[i - 1] != b'_'
                })
            };
            if calls("get(") {
                out.push((false, path.to_string()));
            }
            if calls("post(") {
                out.push((true, path.to_string()));
            }
        }
    }
    out
}

/// A route pattern (`/console/accounts/{id}`) and a walked path
/// (`/console/accounts/ID`): same segments, `{…}` matching any.
fn covers(pattern: &str, path: &str) -> bool {
    let p: Vec<&str> = pattern.trim_matches('/').split('/').collect();
    let q: Vec<&str> = path
        .split('?')
        .next()
        .unwrap_or_default()
        .trim_matches('/')
        .split('/')
        .collect();
    p.len() == q.len() && p.iter().zip(&q).all(|(a, b)| a.starts_with('{') || a == b)
}

/// Forgetting a route in the walk above fails here: every route of the
/// router, with each method it answers, is in `ROUTES`.
#[test]
fn the_walk_covers_every_route_of_the_router() {
    let routes = router_routes();
    assert!(routes.len() > 100, "only {} routes read", routes.len());
    let missing: Vec<String> = routes
        .iter()
        .filter(|(post, pattern)| {
            !ROUTES
                .iter()
                .any(|(p, path, _)| p == post && covers(pattern, path))
        })
        .map(|(post, pattern)| format!("{} {pattern}", if *post { "POST" } else { "GET" }))
        .collect();
    assert!(missing.is_empty(), "routes not walked: {missing:#?}");
    assert!(covers("/console/accounts/{id}", "/console/accounts/ID"));
    assert!(!covers("/console/accounts/{id}", "/console/accounts"));
}
