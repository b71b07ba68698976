//! Runs the development OpenID Provider alone, for a look at its page:
//! `cargo run -p motcua-oidc --features devop --example devop [PORT]`,
//! then open the printed URL. The redirect goes to a page that does not
//! exist (there is no portal here); its URL shows the code and state.
use motcua_domain::SystemClock;
use motcua_oidc::devop::{demo_identities, DevClient, DevOp, DevOpConfig};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(8090);
    let issuer = format!("http://127.0.0.1:{port}/dev-eid");
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let op = DevOp::new(
        DevOpConfig::new(
            &issuer,
            DevClient {
                client_id: "motcua".into(),
                client_secret: "demo-secret".into(),
                redirect_uris: vec![redirect.clone()],
            },
            demo_identities(),
        ),
        Arc::new(SystemClock),
    )?;
    let app = axum::Router::new().nest("/dev-eid", op.router());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let verifier = motcua_oidc::random_token();
    let mut url = url::Url::parse(&format!("{issuer}/authorize"))?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", "motcua")
        .append_pair("redirect_uri", &redirect)
        .append_pair("scope", "openid profile")
        .append_pair("state", "example-state")
        .append_pair("nonce", "example-nonce")
        .append_pair("code_challenge", &motcua_oidc::pkce_challenge(&verifier))
        .append_pair("code_challenge_method", "S256");
    println!("dev OP at {issuer}\nopen {url}\nPKCE verifier: {verifier}");
    axum::serve(listener, app).await?;
    Ok(())
}
