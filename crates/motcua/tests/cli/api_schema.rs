//! Issue #12 §2, "CI runs schemathesis against /api/v1/openapi.json on a
//! running server with a client-credentials token: zero 5xx, zero
//! responses that violate the schema". `motcua demo` runs; the operator
//! registers a system client (the console form); its client-credentials
//! token drives schemathesis (PyPI) over every operation of the document
//! (coverage, fuzzing and stateful phases), with the checks
//! `not_a_server_error` and `response_schema_conformance`. A second run
//! covers the holder's own API with a personal API token.
use crate::support::Sandbox;
use std::process::Command;

fn schemathesis() -> Option<String> {
    let ok = Command::new("schemathesis")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some("schemathesis".into());
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but schemathesis is missing; .ci/run installs it (pip install schemathesis)"
    );
    eprintln!("\n*** SKIPPED api_schema: pip install schemathesis ***\n");
    None
}

fn field(html: &str, name: &str) -> String {
    crate::support::input_value(html, name).unwrap_or_else(|| panic!("no {name} in {html}"))
}

/// A browser logged in as `user`.
async fn logged_in(base: &str, user: &str, pw: &str) -> reqwest::Client {
    let b = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = text(&b, &format!("{base}/login")).await;
    let r = b
        .post(format!("{base}/login"))
        .form(&[
            ("csrf", field(&page, "csrf").as_str()),
            ("username", user),
            ("password", pw),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER, "login {user}");
    b
}

async fn text(b: &reqwest::Client, url: &str) -> String {
    b.get(url).send().await.unwrap().text().await.unwrap()
}

/// Posts `form` with the CSRF token of the page at `path`; the answer's text.
async fn submit(b: &reqwest::Client, base: &str, path: &str, form: &[(&str, &str)]) -> String {
    let csrf = field(&text(b, &format!("{base}{path}")).await, "csrf");
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(form);
    b.post(format!("{base}{path}"))
        .form(&all)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The text between `start` and the next `<`.
fn shown(html: &str, start: &str) -> String {
    html.split(start)
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or_else(|| panic!("no {start} in {html}"))
        .to_string()
}

/// The operator's system client and its token; a citizen's personal token.
async fn tokens(base: &str) -> (String, String) {
    let op = logged_in(base, "operator", "Quan-Tri-Cong-2026").await;
    let html = submit(
        &op,
        base,
        "/console/sso",
        &[
            ("client_id", "schemathesis.h29"),
            ("name", "Schemathesis"),
            ("kind", "system"),
            ("agency_code", "H29"),
            ("scopes", "dossiers"),
            ("scopes", "catalog"),
            ("scopes", "statistics"),
            ("max_level", "1"),
        ],
    )
    .await;
    let secret = shown(&html, "<code>");
    let t: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/api/oidc/token"))
        .basic_auth("schemathesis.h29", Some(secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "dossiers catalog statistics"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let system = t["access_token"].as_str().expect("a token").to_string();
    // The demo citizen makes a personal token (profile:read, level 1).
    let citizen = logged_in(base, "nguyenvanan", "Demo-Citizen-2026").await;
    let html = submit(
        &citizen,
        base,
        "/account/api-tokens",
        &[
            ("name", "schemathesis"),
            ("scope.profile:read", "on"),
            ("days", "30"),
        ],
    )
    .await;
    (system, shown(&html, "<code id=\"new-token\">"))
}

fn run(st: &str, base: &str, token: &str, only: &[&str]) -> String {
    let mut cmd = Command::new(st);
    cmd.arg("run")
        .arg(format!("{base}/api/v1/openapi.json"))
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(["--checks", "not_a_server_error,response_schema_conformance"])
        .args(["--max-examples", "40", "--workers", "2", "--no-color"])
        .args(["--generation-database", "none"]);
    for tag in only {
        cmd.args(["--include-tag", tag]);
    }
    let out = cmd.output().expect("schemathesis");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "schemathesis found failures:\n{stdout}\n{stderr}"
    );
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_answer_outside_the_schema() {
    let Some(st) = schemathesis() else {
        return;
    };
    let sb = Sandbox::sqlite();
    let port = crate::demo::free_port();
    let _demo = crate::demo::start(&sb, port);
    let base = format!("http://127.0.0.1:{port}");
    let (system, personal) = tokens(&base).await;
    let out = tokio::task::spawn_blocking({
        let (st, base) = (st.clone(), base.clone());
        move || run(&st, &base, &system, &[])
    })
    .await
    .unwrap();
    // Every operation was tested.
    let tested = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("Tested: "))
        .and_then(|n| n.trim().parse::<u32>().ok())
        .unwrap_or(0);
    assert!(tested >= 24, "{out}");
    assert!(out.contains(" passed"), "{out}");
    let out = tokio::task::spawn_blocking(move || run(&st, &base, &personal, &["personal"]))
        .await
        .unwrap();
    assert!(out.contains(" passed"), "{out}");
}
