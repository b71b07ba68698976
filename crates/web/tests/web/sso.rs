//! Issue #12 §1 (R-ID-12): the portal as OpenID Provider. The operator
//! registers a provincial portal and a ministry's system; a citizen signs
//! in to the portal through the national one (consent, code with PKCE,
//! tokens, userinfo with the national claims, logged as a data reuse);
//! refresh tokens rotate and a reused one ends its family; the negative
//! cases (unknown client, wrong redirect URI, missing PKCE, a scope the
//! client may not have, a level above the client's, prompt=none, a reused
//! code, a PKCE mismatch, an expired token, a wrong secret); the person
//! sees the portal on /account/portals and revokes it; client
//! credentials, introspection and revocation.
use crate::dossiers::{between, citizen, seeded};
use crate::helpers::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};

const REDIRECT: &str = "https://dichvucong.hanoi.gov.vn/oidc/callback";
const VERIFIER: &str = "mot-chuoi-xac-minh-pkce-du-dai-cho-thu-nghiem-0123456789";

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn authorize_url(client: &str, scope: &str, extra: &str) -> String {
    format!(
        "/oidc/authorize?client_id={client}&redirect_uri={}&response_type=code&scope={}&state=st-1&nonce=n-1&code_challenge={}&code_challenge_method=S256{extra}",
        enc(REDIRECT),
        enc(scope),
        challenge(VERIFIER)
    )
}

/// The value of `name` in the query of `url`.
fn param(url: &str, name: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    u.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("b64")).expect("json")
}

async fn register(op: &Browser, fields: &[(&str, &str)]) -> Page {
    let page = op.get("/console/sso").await;
    let csrf = page.csrf();
    let mut all = fields.to_vec();
    all.push(("csrf", &csrf));
    op.post_form("/console/sso", &all).await
}

async fn token(app: &App, basic: (&str, &str), form: &[(&str, &str)]) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/api/oidc/token", app.base()))
        .basic_auth(basic.0, Some(basic.1))
        .form(form)
        .send()
        .await
        .expect("token");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Exchanges `code` (with the test's verifier) for the portal's tokens.
async fn exchange(app: &App, secret: &str, code: &str) -> (StatusCode, Value) {
    token(
        app,
        ("cong.hanoi", secret),
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await
}

async fn userinfo(app: &App, access: &str) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .get(format!("{}/api/oidc/userinfo", app.base()))
        .bearer_auth(access)
        .send()
        .await
        .expect("userinfo");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Through the consent page: the code.
async fn sign_in(b: &Browser, scope: &str) -> String {
    let page = b.get(&authorize_url("cong.hanoi", scope, "")).await;
    let to = if page.status == StatusCode::OK {
        assert!(page.text.contains("id=\"consent-form\""), "{}", page.text);
        let mut fields: Vec<(String, String)> = Vec::new();
        for name in [
            "client_id",
            "redirect_uri",
            "response_type",
            "scope",
            "state",
            "nonce",
            "code_challenge",
            "code_challenge_method",
            "acr_values",
        ] {
            let v = between(&page.text, &format!("name=\"{name}\" value=\""), "\"")
                .replace("&#38;", "&");
            fields.push((name.to_string(), v));
        }
        fields.push(("csrf".into(), page.csrf()));
        fields.push(("decision".into(), "allow".into()));
        let f: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let r = b.post_form("/oidc/authorize", &f).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        r.location().expect("back").to_string()
    } else {
        page.location().expect("back").to_string()
    };
    assert!(to.starts_with(REDIRECT), "{to}");
    assert_eq!(param(&to, "state").as_deref(), Some("st-1"));
    param(&to, "code").expect("a code")
}

#[tokio::test]
async fn portals_sign_people_in_through_the_national_portal() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        seeded(&app).await;
        let op = app.operator_browser().await;

        // Registering: mistakes said, then a portal and a system.
        let r = register(
            &op,
            &[
                ("client_id", "cong.hanoi"),
                ("name", "Cổng DVC Hà Nội"),
                ("kind", "portal"),
                ("redirect_uris", "http://evil.example/cb"),
                ("scopes", "openid"),
                ("max_level", "2"),
            ],
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{n}: plain http off loopback"
        );
        assert!(r.text.contains("Cổng DVC Hà Nội"), "{n}: kept");
        let r = register(
            &op,
            &[
                ("client_id", "cong.hanoi"),
                ("name", "Cổng DVC Hà Nội"),
                ("kind", "portal"),
                ("redirect_uris", REDIRECT),
                ("scopes", "openid"),
                ("scopes", "catalog"),
                ("max_level", "2"),
            ],
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{n}: a system scope for a portal"
        );
        let r = register(
            &op,
            &[
                ("client_id", "cong.hanoi"),
                ("name", "Cổng DVC Hà Nội"),
                ("kind", "portal"),
                ("redirect_uris", REDIRECT),
                ("scopes", "openid"),
                ("scopes", "profile"),
                ("scopes", "email"),
                ("scopes", "identity"),
                ("scopes", "offline_access"),
                ("max_level", "2"),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{n}: {}", r.text);
        let secret = between(&r.text, "<code>", "</code>");
        assert!(secret.len() >= 40, "{n}: {secret}");
        let r = register(
            &op,
            &[
                ("client_id", "cong.hanoi"),
                ("name", "Lần hai"),
                ("kind", "portal"),
                ("redirect_uris", REDIRECT),
                ("scopes", "openid"),
                ("max_level", "2"),
            ],
        )
        .await;
        assert!(r.text.contains("Mã này đã được dùng"), "{n}");
        let r = register(
            &op,
            &[
                ("client_id", "he-thong.tu-phap"),
                ("name", "Hệ thống hộ tịch"),
                ("kind", "system"),
                ("agency_code", "H29"),
                ("scopes", "dossiers"),
                ("scopes", "statistics"),
                ("max_level", "1"),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{n}: {}", r.text);
        let system_secret = between(&r.text, "<code>", "</code>");

        // Discovery and the keys.
        let anyone = reqwest::Client::new();
        let d: Value = anyone
            .get(format!("{}/.well-known/openid-configuration", app.base()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(d["issuer"], app.base(), "{n}");
        assert_eq!(
            d["code_challenge_methods_supported"],
            serde_json::json!(["S256"]),
            "{n}"
        );

        // A citizen signs in: login first, then consent, then the code.
        let guest = app.browser();
        let r = guest
            .get(&authorize_url("cong.hanoi", "openid profile email", ""))
            .await;
        assert!(
            r.location()
                .is_some_and(|l| l.starts_with("/login?next=%2Foidc%2Fauthorize")),
            "{n}: {:?}",
            r.location()
        );
        let (_, hoa) = citizen(&app, "hoa.nguyen", "Nguyễn Thị Hoa").await;
        let code = sign_in(&hoa, "openid profile email identity offline_access").await;
        let (s, t) = exchange(&app, &secret, &code).await;
        assert_eq!(s, StatusCode::OK, "{n}: {t}");
        let id = claims(t["id_token"].as_str().unwrap());
        assert_eq!(
            (id["iss"].as_str(), id["aud"].as_str(), id["nonce"].as_str()),
            (Some(app.base()), Some("cong.hanoi"), Some("n-1")),
            "{n}"
        );
        assert_eq!(id["acr"], "urn:motcua:loa:1", "{n}: a password login");
        assert!(
            motcua_sso::keys::verify(
                app.state(),
                "JWT",
                t["id_token"].as_str().unwrap(),
                app.state().now()
            )
            .await
            .unwrap()
            .is_some(),
            "{n}: signed by a published key"
        );
        let jwks: Value = anyone
            .get(format!("{}/api/oidc/jwks", app.base()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let kid = serde_json::from_slice::<Value>(
            &URL_SAFE_NO_PAD
                .decode(t["id_token"].as_str().unwrap().split('.').next().unwrap())
                .unwrap(),
        )
        .unwrap()["kid"]
            .clone();
        assert!(
            jwks["keys"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kid"] == kid && k["alg"] == "ES256"),
            "{n}: {jwks}"
        );
        let access = t["access_token"].as_str().unwrap().to_string();
        let refresh1 = t["refresh_token"].as_str().unwrap().to_string();
        // The national claims of the granted scopes, logged as a reuse.
        let (s, info) = userinfo(&app, &access).await;
        assert_eq!(s, StatusCode::OK, "{n}");
        assert_eq!(
            (
                info["sub"].clone(),
                info["name"].as_str(),
                info["email"].as_str(),
                info["account_type"].as_str()
            ),
            (
                id["sub"].clone(),
                Some("Nguyễn Thị Hoa"),
                Some("hoa.nguyen@example.vn"),
                Some("citizen")
            ),
            "{n}: {info}"
        );
        assert!(info.get("phone_number").is_none(), "{n}: not granted");
        let mut c = app.conn().await;
        assert_eq!(
            scalar(
                &mut c,
                "SELECT COUNT(*) FROM data_reuse_log WHERE service = 'sso:cong.hanoi'"
            )
            .await,
            1,
            "{n}"
        );
        drop(c);

        // The code again: refused, and what it gave is withdrawn.
        let (s, e) = exchange(&app, &secret, &code).await;
        assert_eq!(
            (s, e["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_grant")),
            "{n}: {e}"
        );
        let (s, _) = token(
            &app,
            ("cong.hanoi", &secret),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh1),
            ],
        )
        .await;
        assert_eq!(
            s,
            StatusCode::BAD_REQUEST,
            "{n}: the refresh token of a replayed code"
        );

        // Refresh tokens rotate; a used one ends the family.
        let code = sign_in(&hoa, "openid profile email identity offline_access").await;
        let (_, t) = exchange(&app, &secret, &code).await;
        let r1 = t["refresh_token"].as_str().unwrap().to_string();
        let (s, t2) = token(
            &app,
            ("cong.hanoi", &secret),
            &[("grant_type", "refresh_token"), ("refresh_token", &r1)],
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{n}: {t2}");
        let r2 = t2["refresh_token"].as_str().unwrap().to_string();
        assert_ne!(r1, r2, "{n}");
        let (s, e) = token(
            &app,
            ("cong.hanoi", &secret),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &r1),
                ("scope", "openid profile email phone"),
            ],
        )
        .await;
        assert_eq!(
            (s, e["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_grant")),
            "{n}: reuse"
        );
        let (s, _) = token(
            &app,
            ("cong.hanoi", &secret),
            &[("grant_type", "refresh_token"), ("refresh_token", &r2)],
        )
        .await;
        assert_eq!(
            s,
            StatusCode::BAD_REQUEST,
            "{n}: the family ended with the reuse"
        );

        // Negative requests.
        let refused = hoa.get(&authorize_url("nope", "openid", "")).await;
        assert_eq!(
            refused.status,
            StatusCode::BAD_REQUEST,
            "{n}: an unknown client is not redirected to"
        );
        let wrong = hoa
            .get(&authorize_url("cong.hanoi", "openid", "").replace(
                &enc(REDIRECT),
                &enc("https://dichvucong.hanoi.gov.vn/oidc/callback/"),
            ))
            .await;
        assert_eq!(
            wrong.status,
            StatusCode::BAD_REQUEST,
            "{n}: redirect URIs match exactly"
        );
        assert!(wrong.text.contains("không khớp"), "{n}");
        for (extra_or_scope, want) in [
            ("phone", "invalid_scope"),
            ("nopkce", "invalid_request"),
            ("&acr_values=urn%3Amotcua%3Aloa%3A3", "invalid_request"),
        ] {
            let url = match extra_or_scope {
                "phone" => authorize_url("cong.hanoi", "openid phone", ""),
                "nopkce" => authorize_url("cong.hanoi", "openid", "")
                    .replace("&code_challenge_method=S256", ""),
                extra => authorize_url("cong.hanoi", "openid", extra),
            };
            let r = hoa.get(&url).await;
            let to = r.location().unwrap_or_default().to_string();
            assert!(to.starts_with(REDIRECT), "{n}: {extra_or_scope}: {to}");
            assert_eq!(
                param(&to, "error").as_deref(),
                Some(want),
                "{n}: {extra_or_scope}"
            );
        }
        let r = guest
            .get(&authorize_url("cong.hanoi", "openid", "&prompt=none"))
            .await;
        assert_eq!(
            param(r.location().unwrap_or_default(), "error").as_deref(),
            Some("login_required"),
            "{n}"
        );
        let r = hoa
            .get(&authorize_url(
                "cong.hanoi",
                "openid",
                "&acr_values=urn%3Amotcua%3Aloa%3A2",
            ))
            .await;
        assert!(
            r.location()
                .is_some_and(|l| l.starts_with("/auth/step-up?level=2&next=")),
            "{n}: a level-1 session steps up: {:?}",
            r.location()
        );
        let code = sign_in(&hoa, "openid").await;
        let (s, e) = token(
            &app,
            ("cong.hanoi", &secret),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                (
                    "code_verifier",
                    "sai-chuoi-xac-minh-pkce-du-dai-cho-thu-nghiem-9876543210",
                ),
            ],
        )
        .await;
        assert_eq!(
            (s, e["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_grant")),
            "{n}: PKCE mismatch"
        );
        let (s, e) = token(
            &app,
            ("cong.hanoi", "not-the-secret"),
            &[
                ("grant_type", "authorization_code"),
                ("code", "x"),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
        assert_eq!(
            (s, e["error"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("invalid_client")),
            "{n}"
        );
        let (s, e) = token(&app, ("cong.hanoi", &secret), &[("grant_type", "password")]).await;
        assert_eq!(
            (s, e["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("unsupported_grant_type")),
            "{n}"
        );
        let (s, _) = userinfo(&app, "not.a.token").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{n}");

        // Introspection, then an expired token.
        let intro = |token: String, who: (String, String)| {
            let base = app.base().to_string();
            async move {
                let v: Value = reqwest::Client::new()
                    .post(format!("{base}/api/oidc/introspect"))
                    .basic_auth(who.0, Some(who.1))
                    .form(&[("token", token)])
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                v
            }
        };
        let me = ("cong.hanoi".to_string(), secret.clone());
        assert_eq!(
            intro(access.clone(), me.clone()).await["active"],
            true,
            "{n}"
        );
        assert_eq!(
            intro(
                access.clone(),
                ("he-thong.tu-phap".into(), system_secret.clone())
            )
            .await["active"],
            false,
            "{n}: another client's token"
        );
        app.advance(11 * motcua_domain::MINUTE);
        assert_eq!(
            userinfo(&app, &access).await.0,
            StatusCode::UNAUTHORIZED,
            "{n}: expired"
        );
        assert_eq!(
            intro(access.clone(), me.clone()).await["active"],
            false,
            "{n}"
        );

        // The person sees the portal and revokes it: its tokens stop.
        let hoa = crate::handling::login(&app, "hoa.nguyen", crate::dossiers::PW).await;
        let code = sign_in(&hoa, "openid profile offline_access").await;
        let (_, t) = exchange(&app, &secret, &code).await;
        let access = t["access_token"].as_str().unwrap().to_string();
        let refresh = t["refresh_token"].as_str().unwrap().to_string();
        assert_eq!(userinfo(&app, &access).await.0, StatusCode::OK, "{n}");
        let page = hoa.get("/account/portals").await;
        assert!(page.text.contains("Cổng DVC Hà Nội"), "{n}");
        let (_, lan) = citizen(&app, "lan.tran", "Trần Thị Lan").await;
        let other = lan.get("/account/portals").await;
        assert!(
            other.text.contains("id=\"portals-none\""),
            "{n}: nobody else's"
        );
        let r = lan
            .post_form(
                "/account/portals/cong.hanoi/revoke",
                &[("csrf", &other.csrf())],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{n}: not theirs to revoke");
        assert_eq!(
            userinfo(&app, &access).await.0,
            StatusCode::OK,
            "{n}: still Hoa's"
        );
        let r = hoa
            .post_form(
                "/account/portals/cong.hanoi/revoke",
                &[("csrf", &page.csrf())],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        assert_eq!(
            userinfo(&app, &access).await.0,
            StatusCode::UNAUTHORIZED,
            "{n}: revoked"
        );
        let (s, _) = token(
            &app,
            ("cong.hanoi", &secret),
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{n}");
        // Signing in again asks for consent again.
        let page = hoa.get(&authorize_url("cong.hanoi", "openid", "")).await;
        assert!(page.text.contains("id=\"consent-form\""), "{n}");

        // A ministry's system: client credentials within its scopes.
        let (s, t) = token(
            &app,
            ("he-thong.tu-phap", &system_secret),
            &[("grant_type", "client_credentials"), ("scope", "dossiers")],
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{n}: {t}");
        let at = claims(t["access_token"].as_str().unwrap());
        assert_eq!(
            (at["agency"].as_str(), at["scope"].as_str()),
            (Some("H29"), Some("dossiers")),
            "{n}"
        );
        let (s, e) = token(
            &app,
            ("he-thong.tu-phap", &system_secret),
            &[("grant_type", "client_credentials"), ("scope", "catalog")],
        )
        .await;
        assert_eq!(
            (s, e["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_scope")),
            "{n}"
        );
        let (s, e) = token(
            &app,
            ("cong.hanoi", &secret),
            &[("grant_type", "client_credentials")],
        )
        .await;
        assert_eq!(
            (s, e["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("unauthorized_client")),
            "{n}"
        );
        // Suspended: nothing more.
        let page = op.get("/console/sso").await;
        let r = op
            .post_form(
                "/console/sso/he-thong.tu-phap",
                &[("action", "disable"), ("csrf", &page.csrf())],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        let (s, _) = token(
            &app,
            ("he-thong.tu-phap", &system_secret),
            &[("grant_type", "client_credentials")],
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{n}");
        let mut c = app.conn().await;
        let audited = scalar(
            &mut c,
            "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'sso.%'",
        )
        .await;
        assert!(audited >= 5, "{n}: {audited}");
    })
    .await;
}

const AFTER_LOGOUT: &str = "https://dichvucong.hanoi.gov.vn/da-dang-xuat";

/// A portal's back-channel logout endpoint: records each form posted.
async fn backchannel_receiver() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let keep = got.clone();
    let app = axum::Router::new().route(
        "/backchannel",
        axum::routing::post(move |body: String| {
            let keep = keep.clone();
            async move {
                let token = url::form_urlencoded::parse(body.as_bytes())
                    .find(|(k, _)| k == "logout_token")
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default();
                keep.lock().unwrap().push(token);
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://127.0.0.1:{}/backchannel", addr.port()), got)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portals_are_told_when_the_session_ends_and_keys_rotate() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        seeded(&app).await;
        let op = app.operator_browser().await;
        let (bc_url, got) = backchannel_receiver().await;
        let r = register(
            &op,
            &[
                ("client_id", "cong.hanoi"),
                ("name", "Cổng DVC Hà Nội"),
                ("kind", "portal"),
                ("redirect_uris", REDIRECT),
                ("post_logout_uris", AFTER_LOGOUT),
                ("backchannel_logout_uri", &bc_url),
                ("scopes", "openid"),
                ("max_level", "2"),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{n}: {}", r.text);
        let secret = between(&r.text, "<code>", "</code>");
        let d: Value = reqwest::get(format!("{}/.well-known/openid-configuration", app.base()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            d["end_session_endpoint"].as_str(),
            Some(format!("{}/oidc/logout", app.base()).as_str()),
            "{n}"
        );
        assert_eq!(d["backchannel_logout_session_supported"], true, "{n}");

        let (_, b) = citizen(&app, "an.citizen", "Nguyễn Văn An").await;
        // Two first consents at once (two tabs): both get a code.
        let (c1, c2) = tokio::join!(sign_in(&b, "openid"), sign_in(&b, "openid"));
        assert_ne!(c1, c2, "{n}");
        let mut c = app.conn().await;
        assert_eq!(scalar(&mut c, "SELECT COUNT(*) FROM sso_grants WHERE client_id = 'cong.hanoi' AND revoked_at IS NULL").await, 1, "{n}");
        drop(c);
        let code = sign_in(&b, "openid").await;
        let (s, t) = exchange(&app, &secret, &code).await;
        assert_eq!(s, StatusCode::OK, "{n}: {t}");
        let id_token = t["id_token"].as_str().unwrap().to_string();
        let sid = claims(&id_token)["sid"].as_str().unwrap().to_string();

        // Refused: a forged hint, an address not registered — a page, no redirect.
        let bad = format!(
            "/oidc/logout?id_token_hint={}x&post_logout_redirect_uri={}",
            id_token,
            enc(AFTER_LOGOUT)
        );
        let r = b.get(&bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{n}");
        assert!(r.location().is_none(), "{n}");
        let r = b
            .get(&format!(
                "/oidc/logout?id_token_hint={id_token}&post_logout_redirect_uri={}",
                enc("https://evil.example/")
            ))
            .await;
        assert_eq!(
            (r.status, r.location().is_none()),
            (StatusCode::BAD_REQUEST, true),
            "{n}"
        );
        assert_eq!(
            b.get("/account").await.status,
            StatusCode::OK,
            "{n}: still signed in"
        );
        // Without a hint: the person confirms.
        let r = b
            .get(&format!(
                "/oidc/logout?client_id=cong.hanoi&post_logout_redirect_uri={}&state=s1",
                enc(AFTER_LOGOUT)
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{n}");
        assert!(
            r.text.contains("id=\"logout-form\"") && r.text.contains("Cổng DVC Hà Nội"),
            "{n}"
        );
        assert_eq!(
            b.get("/account").await.status,
            StatusCode::OK,
            "{n}: a link signs no one out"
        );

        // With the session's ID token: signed out at once, back to the portal with its state.
        let r = b
            .get(&format!(
                "/oidc/logout?id_token_hint={id_token}&post_logout_redirect_uri={}&state=st-9",
                enc(AFTER_LOGOUT)
            ))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        assert_eq!(
            r.location(),
            Some(format!("{AFTER_LOGOUT}?state=st-9").as_str()),
            "{n}"
        );
        assert_eq!(
            b.get("/account").await.status,
            StatusCode::SEE_OTHER,
            "{n}: signed out"
        );
        // The portal is told, by a logout token it can check.
        assert!(app.drain().await >= 1, "{n}");
        let tokens = got.lock().unwrap().clone();
        assert_eq!(tokens.len(), 1, "{n}");
        let lt = motcua_sso::keys::verify(app.state(), "logout+jwt", &tokens[0], app.state().now())
            .await
            .unwrap()
            .expect("signed by the portal's key");
        assert_eq!(lt["aud"].as_str(), Some("cong.hanoi"), "{n}");
        assert_eq!(lt["sid"].as_str(), Some(sid.as_str()), "{n}");
        assert_eq!(lt["sub"], claims(&id_token)["sub"], "{n}");
        assert!(lt["events"][motcua_sso::logout::EVENT].is_object(), "{n}");
        assert!(lt.get("nonce").is_none(), "{n}");

        // The portal's own logout button tells the portal too.
        let b = app.browser();
        assert_eq!(
            b.login("an.citizen", crate::dossiers::PW).await.status,
            StatusCode::SEE_OTHER,
            "{n}"
        );
        let code = sign_in(&b, "openid").await;
        assert_eq!(
            exchange(&app, &secret, &code).await.0,
            StatusCode::OK,
            "{n}"
        );
        let page = b.get("/account").await;
        let r = b.post_form("/logout", &[("csrf", &page.csrf())]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        app.drain().await;
        assert_eq!(got.lock().unwrap().len(), 2, "{n}");
        let mut c = app.conn().await;
        assert_eq!(
            scalar(
                &mut c,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'sso.backchannel_logout'"
            )
            .await,
            2,
            "{n}"
        );

        // Scheduled rotation: nothing before key_days; then a new key, the old
        // one published until its tokens expire.
        let cfg = motcua_sso::Config::default();
        let now = app.state().now();
        assert_eq!(
            motcua_sso::keys::rotate_if_due(app.state(), &cfg, now)
                .await
                .unwrap(),
            None,
            "{n}"
        );
        let old_kid = serde_json::from_slice::<Value>(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(id_token.split('.').next().unwrap())
                .unwrap(),
        )
        .unwrap()["kid"]
            .as_str()
            .unwrap()
            .to_string();
        let later = now + cfg.key_days * motcua_domain::DAY + 1;
        let new_kid = motcua_sso::keys::rotate_if_due(app.state(), &cfg, later)
            .await
            .unwrap()
            .expect("rotated");
        assert_ne!(new_kid, old_kid, "{n}");
        let jwks = motcua_sso::keys::jwks(app.state(), later).await.unwrap();
        let kids: Vec<&str> = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|k| k["kid"].as_str())
            .collect();
        assert!(
            kids.contains(&old_kid.as_str()) && kids.contains(&new_kid.as_str()),
            "{n}: {kids:?}"
        );
        let jwks = motcua_sso::keys::jwks(app.state(), later + cfg.key_keep() + 1)
            .await
            .unwrap();
        let kids: Vec<&str> = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|k| k["kid"].as_str())
            .collect();
        assert_eq!(
            kids,
            vec![new_kid.as_str()],
            "{n}: the old key left once its tokens expired"
        );
        assert_eq!(
            motcua_sso::keys::rotate_if_due(app.state(), &cfg, later + motcua_domain::DAY)
                .await
                .unwrap(),
            None,
            "{n}"
        );
    })
    .await;
}

/// A client's ES256 key: the pair and its public JWK.
fn client_key(kid: &str) -> (ring::signature::EcdsaKeyPair, Value) {
    use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let p = pair.public_key().as_ref().to_vec();
    let jwk = serde_json::json!({
        "kty": "EC", "crv": "P-256", "kid": kid, "use": "sig",
        "x": URL_SAFE_NO_PAD.encode(&p[1..33]), "y": URL_SAFE_NO_PAD.encode(&p[33..65]),
    });
    (pair, jwk)
}

fn assertion(pair: &ring::signature::EcdsaKeyPair, kid: &str, claims: &Value) -> String {
    let header = serde_json::json!({ "alg": "ES256", "kid": kid, "typ": "JWT" });
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let sig = pair
        .sign(&ring::rand::SystemRandom::new(), input.as_bytes())
        .unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
}

async fn token_with_assertion(app: &App, form: &[(&str, &str)], a: &str) -> (StatusCode, Value) {
    let mut f = form.to_vec();
    f.push((
        "client_assertion_type",
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    ));
    f.push(("client_assertion", a));
    let r = reqwest::Client::new()
        .post(format!("{}/api/oidc/token", app.base()))
        .form(&f)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn systems_authenticate_with_a_signed_assertion() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        seeded(&app).await;
        let op = app.operator_browser().await;
        let (pair, jwk) = client_key("k1");
        let (other, _) = client_key("k1");
        // A JWKS with a private member is refused.
        let mut leaked = jwk.clone();
        leaked["d"] = serde_json::json!("AAAA");
        let fields = |jwks: String| {
            vec![
                ("client_id".to_string(), "he-thong.btp".to_string()),
                ("name".into(), "Hệ thống hộ tịch".into()),
                ("kind".into(), "system".into()),
                ("agency_code".into(), "G01".into()),
                ("scopes".into(), "dossiers".into()),
                ("max_level".into(), "1".into()),
                ("auth_method".into(), "private_key_jwt".into()),
                ("jwks".into(), jwks),
            ]
        };
        let f = fields(serde_json::json!({ "keys": [leaked] }).to_string());
        let r = register(&op, &f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}: a private key pasted");
        let f = fields(serde_json::json!({ "keys": [jwk] }).to_string());
        let r = register(&op, &f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>()).await;
        assert_eq!(r.status, StatusCode::OK, "{n}: {}", r.text);
        let secret = between(&r.text, "<code>", "</code>");
        let d: Value = reqwest::get(format!("{}/.well-known/openid-configuration", app.base()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(d["token_endpoint_auth_methods_supported"].as_array().unwrap().iter().any(|m| m == "private_key_jwt"), "{n}");

        let token_url = format!("{}/api/oidc/token", app.base());
        let now = app.state().now() / 1000;
        let claims = |aud: &str, exp: i64, jti: &str| {
            serde_json::json!({ "iss": "he-thong.btp", "sub": "he-thong.btp", "aud": aud, "exp": exp, "iat": now, "jti": jti })
        };
        let cc = [("grant_type", "client_credentials"), ("scope", "dossiers")];
        let a = assertion(&pair, "k1", &claims(&token_url, now + 60, "j-1"));
        let (s, t) = token_with_assertion(&app, &cc, &a).await;
        assert_eq!(s, StatusCode::OK, "{n}: {t}");
        assert!(t["access_token"].is_string(), "{n}");
        // Each assertion once; the right audience, a short life, our key only.
        let (s, e) = token_with_assertion(&app, &cc, &a).await;
        assert_eq!((s, e["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")), "{n}: replayed");
        for (what, a) in [
            ("another audience", assertion(&pair, "k1", &claims("https://evil.example/token", now + 60, "j-2"))),
            ("expired", assertion(&pair, "k1", &claims(&token_url, now - 5, "j-3"))),
            ("too long", assertion(&pair, "k1", &claims(&token_url, now + 3600, "j-4"))),
            ("another key", assertion(&other, "k1", &claims(&token_url, now + 60, "j-5"))),
            ("mangled", format!("{}x", assertion(&pair, "k1", &claims(&token_url, now + 60, "j-6")))),
        ] {
            let (s, e) = token_with_assertion(&app, &cc, &a).await;
            assert_eq!((s, e["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")), "{n}: {what}");
        }
        // The issuer is an audience too; the secret is not a way in.
        let a = assertion(&pair, "k1", &claims(app.base(), now + 60, "j-7"));
        assert_eq!(token_with_assertion(&app, &cc, &a).await.0, StatusCode::OK, "{n}");
        let (s, _) = token(&app, ("he-thong.btp", &secret), &cc).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{n}: a key client has no secret");
        // Introspection with an assertion for its own endpoint.
        let access = t["access_token"].as_str().unwrap();
        let a = assertion(&pair, "k1", &claims(&format!("{}/api/oidc/introspect", app.base()), now + 60, "j-8"));
        let r: Value = reqwest::Client::new()
            .post(format!("{}/api/oidc/introspect", app.base()))
            .form(&[
                ("token", access),
                ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                ("client_assertion", &a),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(r["active"], true, "{n}: {r}");
    })
    .await;
}
