//! `motcua bench --sso` (issue #12 §1): the OpenID Provider's token
//! endpoint over HTTP, against Keycloak's published sizing (120
//! client-credential grants a second per vCPU; the goal: ≥ 1,000/s on 2
//! cores).
//!
//! 1. Registers a ministry's system and a provincial portal (the service
//!    the console calls), and a citizen who has consented to the portal.
//! 2. Starts the server and measures, with `--connections` clients for
//!    `--seconds`: client-credential grants (`POST /api/oidc/token`), and
//!    authorization-code logins of a logged-in citizen — the authorization
//!    request (consent already given) then the code's exchange for the
//!    tokens, both counted as one login. The password login itself is not
//!    in it (Argon2id: see the main benchmark's login rate).
//! 3. Dossier pushes (issue #12 §2): the system pushes new dossiers
//!    (`PUT /api/v1/sync/dossiers/{code}`, each with two progress entries
//!    and its own `Idempotency-Key`) through the whole interop path —
//!    token check, the client's rate limit (raised for the run), the
//!    idempotency claim, the push in one transaction with its audit
//!    record, the call log.
use crate::bench::{self, Args};
use crate::config::Config;
use anyhow::{Context, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const REDIRECT: &str = "http://localhost/bench/callback";

pub async fn run(cfg: &Config, args: &Args) -> Result<()> {
    let (dir, mut bcfg) = bench::bench_config(cfg, "motcua-bench-sso", args.database_url.clone())?;
    // The server below reads the secret from the data folder, like us.
    bcfg.secret_key = Default::default();
    let state = crate::app_state(&bcfg).await?;
    let backend = state.store.backend().name().to_string();
    let origin = motcua_kernel::service::Origin::cli();
    let now = state.now();
    let system_secret = motcua_sso::clients::register(
        &state,
        &origin,
        &motcua_sso::clients::NewClient {
            client_id: "bench.system".into(),
            name: "Bench system".into(),
            kind: "system".into(),
            agency_code: first_agency(&state).await?,
            scopes: vec!["dossiers".into()],
            max_level: "1".into(),
            ..Default::default()
        },
        now,
    )
    .await
    .map_err(|e| anyhow::anyhow!("register the system: {e}"))?;
    let agency = first_agency(&state).await?;
    let portal_secret = motcua_sso::clients::register(
        &state,
        &origin,
        &motcua_sso::clients::NewClient {
            client_id: "bench.portal".into(),
            name: "Bench portal".into(),
            kind: "portal".into(),
            redirect_uris: REDIRECT.into(),
            scopes: vec!["openid".into(), "profile".into()],
            max_level: "2".into(),
            ..Default::default()
        },
        now,
    )
    .await
    .map_err(|e| anyhow::anyhow!("register the portal: {e}"))?;
    let (user, password) = (
        "bench.sso.citizen".to_string(),
        "bench-sso-password-2026".to_string(),
    );
    motcua_identity::service::create_account(
        &state.identity_ctx,
        &origin,
        motcua_identity::service::NewAccountInput {
            username: user.clone(),
            full_name: "Công Dân Thử".into(),
            email: Some("bench.sso@example.vn".into()),
            roles: vec![motcua_domain::Role::Citizen],
            initial_password: Some(password.clone()),
            permanent: true,
            ..Default::default()
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("the citizen: {e}"))?;
    state.store.close().await;

    // The client's calls a minute are raised: the run measures the path,
    // not the limit.
    std::fs::write(
        dir.join("bench.toml"),
        "[interop]\nper_minute = 1000000000\n",
    )?;
    let server = bench::start_server(&dir, &bcfg.database.url)?;
    let url = server.url().to_string();
    let pid = server.pid();

    eprintln!(
        "[1/3] client-credential grants, {} connections…",
        args.connections
    );
    let token_url = format!("{url}/api/oidc/token");
    let secret = system_secret.clone();
    let cc = bench::load_with(args.connections, args.seconds, pid, move |c| {
        c.post(&token_url)
            .basic_auth("bench.system", Some(&secret))
            .form(&[("grant_type", "client_credentials")])
    })
    .await;
    anyhow::ensure!(
        cc.requests > 0 && cc.errors == 0,
        "client credentials failed: {} errors",
        cc.errors
    );

    eprintln!(
        "[2/3] authorization-code logins, {} connections…",
        args.connections
    );
    // One logged-in citizen; consent given once.
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let html = browser
        .get(format!("{url}/login"))
        .send()
        .await?
        .text()
        .await?;
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .context("csrf")?
        .to_string();
    let r = browser
        .post(format!("{url}/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", &user),
            ("password", &password),
        ])
        .send()
        .await?;
    anyhow::ensure!(
        r.status() == reqwest::StatusCode::SEE_OTHER,
        "login: {}",
        r.status()
    );
    let verifier = "bench-verifier-0123456789-0123456789-0123456789";
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let authorize = format!(
        "{url}/oidc/authorize?client_id=bench.portal&redirect_uri={}&response_type=code&scope=openid%20profile&state=s&code_challenge={challenge}&code_challenge_method=S256",
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
    );
    let page = browser.get(&authorize).send().await?.text().await?;
    let field = |name: &str| {
        page.split(&format!("name=\"{name}\" value=\""))
            .nth(1)
            .and_then(|s| s.split('"').next())
            .map(|s| s.replace("&#38;", "&"))
            .unwrap_or_default()
    };
    let mut consent: Vec<(String, String)> = [
        "client_id",
        "redirect_uri",
        "response_type",
        "scope",
        "state",
        "nonce",
        "code_challenge",
        "code_challenge_method",
        "acr_values",
        "csrf",
    ]
    .iter()
    .map(|n| (n.to_string(), field(n)))
    .collect();
    consent.push(("decision".into(), "allow".into()));
    let r = browser
        .post(format!("{url}/oidc/authorize"))
        .form(&consent)
        .send()
        .await?;
    anyhow::ensure!(
        r.status() == reqwest::StatusCode::SEE_OTHER,
        "consent: {}",
        r.status()
    );
    // Each login: the request (a 303 with a code), then the exchange.
    let (logins, failures) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut lat: Vec<u32> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let start = Instant::now();
    let tasks: Vec<_> = (0..args.connections)
        .map(|_| {
            let (browser, authorize, url, secret) = (
                browser.clone(),
                authorize.clone(),
                url.clone(),
                portal_secret.clone(),
            );
            let (logins, failures) = (logins.clone(), failures.clone());
            tokio::spawn(async move {
                let api = reqwest::Client::new();
                let mut lat = Vec::new();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let code = match browser.get(&authorize).send().await {
                        Ok(r) => r
                            .headers()
                            .get("location")
                            .and_then(|l| l.to_str().ok())
                            .and_then(|l| url::Url::parse(l).ok())
                            .and_then(|u| {
                                u.query_pairs()
                                    .find(|(k, _)| k == "code")
                                    .map(|(_, v)| v.into_owned())
                            }),
                        Err(_) => None,
                    };
                    let Some(code) = code else {
                        failures.fetch_add(1, Ordering::Relaxed);
                        continue;
                    };
                    let ok = api
                        .post(format!("{url}/api/oidc/token"))
                        .basic_auth("bench.portal", Some(&secret))
                        .form(&[
                            ("grant_type", "authorization_code"),
                            ("code", &code),
                            ("redirect_uri", REDIRECT),
                            ("code_verifier", verifier),
                        ])
                        .send()
                        .await
                        .is_ok_and(|r| r.status().is_success());
                    if ok {
                        logins.fetch_add(1, Ordering::Relaxed);
                        lat.push(t.elapsed().as_micros() as u32);
                    } else {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
                lat
            })
        })
        .collect();
    for t in tasks {
        if let Ok(l) = t.await {
            lat.extend(l);
        }
    }
    let secs = start.elapsed().as_secs_f64();

    eprintln!("[3/3] dossier pushes, {} connections…", args.connections);
    let t: serde_json::Value = reqwest::Client::new()
        .post(format!("{url}/api/oidc/token"))
        .basic_auth("bench.system", Some(&system_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await?
        .json()
        .await?;
    let access = t["access_token"]
        .as_str()
        .context("no access token")?
        .to_string();
    let serial = Arc::new(AtomicU64::new(0));
    let push_url = url.clone();
    let pushes = bench::load_with(args.connections, args.seconds, pid, move |c| {
        let n = serial.fetch_add(1, Ordering::Relaxed);
        let code = format!("000.00.12.BENCH-261208-{n:07}");
        let body = serde_json::json!({
            "procedure": "1.001193", "agency": agency, "channel": 1,
            "applicant_name": "Công Dân Thử", "applicant_id": format!("0010{n:08}"),
            "received_at": "2026-12-08T08:30:00+07:00", "appointment_at": "2026-12-10T16:00:00+07:00",
            "status": 4,
            "documents": [{"code": "TK", "digitized": true}],
            "progress": [
                {"handler": "Cán bộ một cửa", "at": "2026-12-08T08:30:00+07:00", "content": "Tiếp nhận", "status": 2},
                {"handler": "Chuyên viên", "at": "2026-12-08T10:00:00+07:00", "content": "Thẩm định", "status": 4}
            ]
        });
        c.put(format!("{push_url}/api/v1/sync/dossiers/{code}"))
            .bearer_auth(&access)
            .header("idempotency-key", format!("bench-{n}"))
            .json(&body)
    })
    .await;
    anyhow::ensure!(
        pushes.requests > 0 && pushes.errors == 0,
        "pushes failed: {} errors",
        pushes.errors
    );
    drop(server);
    lat.sort_unstable();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0) as f64
            / 1000.0
    };
    let logins = logins.load(Ordering::Relaxed);
    let failures = failures.load(Ordering::Relaxed);
    anyhow::ensure!(logins > 0 && failures == 0, "logins failed: {failures}");
    let (_, cores) = bench::machine(cfg);
    let keycloak = 120.0 * cores as f64;
    let cc_rate = cc.requests as f64 / cc.seconds.max(1e-9);
    let login_rate = logins as f64 / secs.max(1e-9);
    let push_rate = pushes.requests as f64 / pushes.seconds.max(1e-9);
    let out = serde_json::json!({
        "backend": backend, "cores": cores, "connections": args.connections, "seconds": args.seconds,
        "client_credentials": { "per_second": cc_rate, "p50_ms": cc.p50_ms, "p99_ms": cc.p99_ms, "errors": cc.errors },
        "keycloak_sizing_per_second": keycloak,
        "ratio_to_keycloak_sizing": cc_rate / keycloak,
        "goal_per_second": 1000,
        "code_logins": { "per_second": login_rate, "p50_ms": pct(0.5), "p99_ms": pct(0.99), "failures": failures },
        "dossier_pushes": { "per_second": push_rate, "p50_ms": pushes.p50_ms, "p99_ms": pushes.p99_ms, "errors": pushes.errors },
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "## Motcua SSO benchmark: {backend}, {cores} cores, {} connections, {} s",
            args.connections, args.seconds
        );
        println!("client-credential grants: {cc_rate:.0}/s (p50 {:.2} ms, p99 {:.2} ms); Keycloak's sizing for {cores} vCPU: {keycloak:.0}/s ({:.1}×); goal 1,000/s", cc.p50_ms, cc.p99_ms, cc_rate / keycloak);
        println!("authorization-code logins (request + exchange): {login_rate:.0}/s (p50 {:.2} ms, p99 {:.2} ms)", pct(0.5), pct(0.99));
        println!("dossier pushes (PUT /api/v1/sync/dossiers, 2 entries each): {push_rate:.0}/s (p50 {:.2} ms, p99 {:.2} ms)", pushes.p50_ms, pushes.p99_ms);
    }
    Ok(())
}

async fn first_agency(state: &motcua_web::AppState) -> Result<String> {
    let mut all = motcua_catalog::queries::all_agencies(state)
        .await
        .map_err(|e| anyhow::anyhow!("agencies: {e}"))?;
    if all.is_empty() {
        motcua_catalog::seed::load(state, &motcua_kernel::service::Origin::cli())
            .await
            .map_err(|e| anyhow::anyhow!("the demo catalog: {e}"))?;
        all = motcua_catalog::queries::all_agencies(state)
            .await
            .map_err(|e| anyhow::anyhow!("agencies: {e}"))?;
    }
    all.first().map(|a| a.code.clone()).context("no agency")
}
