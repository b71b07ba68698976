//! The relying party: discovery, the authorization request, the callback,
//! the code exchange, ID token validation and userinfo.
use crate::config::ClientAuth;
use crate::discovery::{self, ProviderMetadata};
use crate::http::{excerpt, form_encode, get_json_body, read_limited, MAX_BODY};
use crate::idtoken::{self, Expected};
use crate::jwks::{self, KeyCache, PublicKey};
use crate::{Config, OidcError, SigningAlg};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use motcua_domain::Millis;
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;

/// What the portal keeps, bound to the browser, between the redirect to the
/// provider and the callback. Every value is 256 random bits, base64url.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

impl fmt::Debug for Pending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pending { <redacted> }")
    }
}

/// Optional parameters of the authorization request.
#[derive(Debug, Clone, Default)]
pub struct AuthorizeOptions {
    /// Requested authentication context classes (space-separated), e.g. to
    /// ask for a level-2 e-ID on a step-up. Replaces [`Config::acr_values`].
    pub acr_values: Option<String>,
    /// `login`, `consent`, `none`…
    pub prompt: Option<String>,
    /// Preferred languages of the provider's pages, e.g. `vi en`.
    pub ui_locales: Option<String>,
}

/// The query of the callback request (`redirect_uri?code=…&state=…`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub iss: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// A successful e-ID login.
#[derive(Debug, Clone)]
pub struct Login {
    /// The provider's stable identifier of the person or organisation.
    pub subject: String,
    pub issuer: String,
    /// The ID token's claims, with the userinfo claims added (userinfo never
    /// replaces `sub`, `iss`, `aud`, `acr` or the other ID token claims).
    pub claims: Map<String, Value>,
    /// The authentication context class (`acr`) from the signed ID token.
    pub acr: Option<String>,
}

impl Login {
    /// A claim as text (strings as they are, numbers and booleans printed).
    pub fn claim_str(&self, name: &str) -> Option<String> {
        match self.claims.get(name)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

/// Compares the `state` of a callback with the stored one in constant time.
pub fn state_matches(returned: &str, stored: &str) -> bool {
    !stored.is_empty() && bool::from(returned.as_bytes().ct_eq(stored.as_bytes()))
}

/// 256 random bits, base64url without padding (43 characters).
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// The PKCE S256 challenge of a verifier (RFC 7636 §4.2).
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Claims the userinfo response never changes.
const ID_TOKEN_ONLY: [&str; 15] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "nbf",
    "nonce",
    "azp",
    "acr",
    "amr",
    "auth_time",
    "at_hash",
    "c_hash",
    "sid",
    "jti",
];

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    token_type: String,
    id_token: Option<String>,
}

/// An OpenID Connect relying party of one provider. Create it once (it
/// keeps the provider's metadata and key cache) and share it.
pub struct Rp {
    config: Config,
    http: reqwest::Client,
    metadata: ProviderMetadata,
    keys: tokio::sync::Mutex<KeyCache>,
}

impl fmt::Debug for Rp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rp")
            .field("config", &self.config)
            .field("metadata", &self.metadata)
            .finish_non_exhaustive()
    }
}

impl Rp {
    /// Fetches the provider's discovery document and JWKS. The issuer in the
    /// document must equal `config.issuer` exactly.
    pub async fn discover(config: Config, now: Millis) -> Result<Rp, OidcError> {
        config.validate()?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.http_timeout)
            .user_agent(concat!("motcua-oidc/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| OidcError::Config(format!("HTTP client: {e}")))?;
        let url = discovery::discovery_url(&config.issuer)?;
        let body = get_json_body(&http, url)
            .await
            .map_err(OidcError::Discovery)?;
        let metadata = discovery::parse(&body, &config.issuer, &config.algorithms)?;
        let keys = fetch_jwks(&http, &metadata).await?;
        Ok(Rp {
            config,
            http,
            metadata,
            keys: tokio::sync::Mutex::new(KeyCache {
                keys,
                fetched_at: now,
                last_refetch: None,
            }),
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn metadata(&self) -> &ProviderMetadata {
        &self.metadata
    }

    /// Starts a login: the URL to redirect the browser to, and what to keep
    /// for the callback.
    pub fn begin(&self) -> (String, Pending) {
        self.begin_with(&AuthorizeOptions::default())
    }

    /// [`Rp::begin`] with optional parameters.
    pub fn begin_with(&self, opts: &AuthorizeOptions) -> (String, Pending) {
        let pending = Pending {
            state: random_token(),
            nonce: random_token(),
            pkce_verifier: random_token(),
        };
        let mut url = self.metadata.authorization_endpoint.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", &self.config.client_id)
                .append_pair("redirect_uri", &self.config.redirect_uri)
                .append_pair("scope", &self.config.scopes)
                .append_pair("state", &pending.state)
                .append_pair("nonce", &pending.nonce)
                .append_pair("code_challenge", &pkce_challenge(&pending.pkce_verifier))
                .append_pair("code_challenge_method", "S256");
            if let Some(v) = opts.acr_values.as_ref().or(self.config.acr_values.as_ref()) {
                q.append_pair("acr_values", v);
            }
            if let Some(v) = &opts.prompt {
                q.append_pair("prompt", v);
            }
            if let Some(v) = &opts.ui_locales {
                q.append_pair("ui_locales", v);
            }
        }
        (url.into(), pending)
    }

    /// Checks the callback against the stored [`Pending`] and returns the
    /// authorization code: `state` first (constant time), then `iss` when
    /// present or announced (RFC 9207), then the provider's `error`.
    pub fn check_callback(&self, cb: &Callback, pending: &Pending) -> Result<String, OidcError> {
        match &cb.state {
            Some(s) if state_matches(s, &pending.state) => {}
            _ => return Err(OidcError::StateMismatch),
        }
        match &cb.iss {
            Some(iss) if iss != &self.config.issuer => {
                return Err(OidcError::IssuerMismatch {
                    expected: self.config.issuer.clone(),
                    found: iss.clone(),
                })
            }
            None if self.metadata.authorization_response_iss_parameter_supported => {
                return Err(OidcError::IssuerMismatch {
                    expected: self.config.issuer.clone(),
                    found: String::new(),
                })
            }
            _ => {}
        }
        if let Some(error) = &cb.error {
            return Err(OidcError::AuthorizationDenied {
                error: error.chars().take(100).collect(),
                description: cb
                    .error_description
                    .as_ref()
                    .map(|d| d.chars().take(300).collect()),
            });
        }
        match &cb.code {
            Some(c) if !c.is_empty() => Ok(c.clone()),
            _ => Err(OidcError::MissingCode),
        }
    }

    /// Exchanges the code at the token endpoint, validates the ID token and
    /// reads userinfo. `now` is the portal's clock.
    pub async fn exchange(
        &self,
        code: &str,
        pending: &Pending,
        now: Millis,
    ) -> Result<Login, OidcError> {
        let tokens = self.token_request(code, pending).await?;
        let id_token = tokens
            .id_token
            .as_deref()
            .ok_or_else(|| OidcError::TokenResponse("no id_token".into()))?;
        let (alg, claims) = self
            .validate_id_token(id_token, &pending.nonce, now)
            .await?;
        idtoken::check_at_hash(&claims, alg, &tokens.access_token)?;
        let subject = match claims.get("sub") {
            Some(Value::String(s)) => s.clone(),
            _ => return Err(OidcError::BadIdToken("no sub".into())),
        };
        let acr = claims.get("acr").and_then(Value::as_str).map(str::to_owned);
        let mut merged = claims;
        if let Some(endpoint) = &self.metadata.userinfo_endpoint {
            let info = self
                .userinfo(endpoint.clone(), &tokens.access_token)
                .await?;
            match info.get("sub") {
                Some(Value::String(s)) if *s == subject => {}
                _ => return Err(OidcError::UserinfoSubjectMismatch),
            }
            for (k, v) in info {
                if !ID_TOKEN_ONLY.contains(&k.as_str()) {
                    merged.insert(k, v);
                }
            }
        }
        Ok(Login {
            subject,
            issuer: self.config.issuer.clone(),
            claims: merged,
            acr,
        })
    }

    /// Validates an ID token (signature with the provider's key, then the
    /// claims) and returns its algorithm and claims.
    pub async fn validate_id_token(
        &self,
        token: &str,
        nonce: &str,
        now: Millis,
    ) -> Result<(SigningAlg, Map<String, Value>), OidcError> {
        let unverified = idtoken::parse(token, &self.config.algorithms)?;
        let alg = unverified.alg;
        let key = self.key_for(alg, unverified.kid.as_deref(), now).await?;
        let claims = unverified.verify(&key)?;
        idtoken::check_claims(
            &claims,
            &Expected {
                issuer: &self.config.issuer,
                client_id: &self.config.client_id,
                nonce,
                now,
                leeway: self.config.leeway,
            },
        )?;
        Ok((alg, claims))
    }

    /// The key for an ID token. On an unknown `kid` the JWKS is fetched again
    /// (key rotation), at most once per `jwks_refetch_interval`.
    async fn key_for(
        &self,
        alg: SigningAlg,
        kid: Option<&str>,
        now: Millis,
    ) -> Result<PublicKey, OidcError> {
        let mut cache = self.keys.lock().await;
        if now.saturating_sub(cache.fetched_at) > self.config.jwks_max_age {
            match fetch_jwks(&self.http, &self.metadata).await {
                Ok(keys) => {
                    cache.keys = keys;
                    cache.fetched_at = now;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "e-ID JWKS refresh failed; using the cached keys")
                }
            }
        }
        if let Some(k) = jwks::pick(&cache.keys, alg, kid)? {
            return Ok(k);
        }
        if !cache.may_refetch(now, self.config.jwks_refetch_interval) {
            return Err(OidcError::UnknownKey(kid.map(str::to_owned)));
        }
        cache.last_refetch = Some(now);
        tracing::info!(kid = ?kid, "unknown e-ID signing key: fetching the JWKS again");
        cache.keys = fetch_jwks(&self.http, &self.metadata).await?;
        cache.fetched_at = now;
        jwks::pick(&cache.keys, alg, kid)?
            .ok_or_else(|| OidcError::UnknownKey(kid.map(str::to_owned)))
    }

    async fn token_request(
        &self,
        code: &str,
        pending: &Pending,
    ) -> Result<TokenResponse, OidcError> {
        let mut form: Vec<(&str, &str)> = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &self.config.redirect_uri),
            ("code_verifier", &pending.pkce_verifier),
        ];
        let mut req = self
            .http
            .post(self.metadata.token_endpoint.clone())
            .header(reqwest::header::ACCEPT, "application/json");
        match self.config.client_auth {
            ClientAuth::SecretBasic => {
                let creds = format!(
                    "{}:{}",
                    form_encode(&self.config.client_id),
                    form_encode(&self.config.client_secret)
                );
                req = req.header(
                    reqwest::header::AUTHORIZATION,
                    format!("Basic {}", STANDARD.encode(creds)),
                );
            }
            ClientAuth::SecretPost => {
                form.push(("client_id", &self.config.client_id));
                form.push(("client_secret", &self.config.client_secret));
            }
        }
        let resp = req
            .form(&form)
            .send()
            .await
            .map_err(|e| OidcError::TokenRequest(e.to_string()))?;
        let status = resp.status();
        let body = read_limited(resp, MAX_BODY)
            .await
            .map_err(OidcError::TokenRequest)?;
        if !status.is_success() {
            return Err(OidcError::TokenEndpoint {
                status: status.as_u16(),
                body: excerpt(&body),
            });
        }
        let tokens: TokenResponse = serde_json::from_slice(&body)
            .map_err(|e| OidcError::TokenResponse(format!("{e}: {}", excerpt(&body))))?;
        if !tokens.token_type.eq_ignore_ascii_case("bearer") {
            return Err(OidcError::TokenResponse(format!(
                "token_type {:?} is not Bearer",
                tokens.token_type
            )));
        }
        Ok(tokens)
    }

    async fn userinfo(
        &self,
        endpoint: reqwest::Url,
        access_token: &str,
    ) -> Result<Map<String, Value>, OidcError> {
        let resp = self
            .http
            .get(endpoint)
            .bearer_auth(access_token)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| OidcError::Userinfo(e.to_string()))?;
        let status = resp.status();
        let json = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("application/json")
            });
        let body = read_limited(resp, MAX_BODY)
            .await
            .map_err(OidcError::Userinfo)?;
        if !status.is_success() {
            return Err(OidcError::Userinfo(format!(
                "HTTP {}: {}",
                status.as_u16(),
                excerpt(&body)
            )));
        }
        if !json {
            return Err(OidcError::Userinfo(
                "not JSON (signed or encrypted userinfo is not supported)".into(),
            ));
        }
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err(OidcError::Userinfo("not a JSON object".into())),
        }
    }
}

/// An [`Rp`] discovered on first use, and again on the next use while
/// discovery fails: the portal can start while the provider is down, and
/// `motcua demo` can mount the development provider on the very server that
/// uses it.
pub struct LazyRp {
    config: Config,
    cell: tokio::sync::OnceCell<Rp>,
}

impl fmt::Debug for LazyRp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LazyRp")
            .field("config", &self.config)
            .field("discovered", &self.cell.initialized())
            .finish()
    }
}

impl LazyRp {
    /// Checks the configuration now; discovers later.
    pub fn new(config: Config) -> Result<LazyRp, OidcError> {
        config.validate()?;
        Ok(LazyRp {
            config,
            cell: tokio::sync::OnceCell::new(),
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The relying party, running discovery if it has not succeeded yet.
    pub async fn get(&self, now: Millis) -> Result<&Rp, OidcError> {
        self.cell
            .get_or_try_init(|| Rp::discover(self.config.clone(), now))
            .await
    }
}

async fn fetch_jwks(
    http: &reqwest::Client,
    metadata: &ProviderMetadata,
) -> Result<Vec<PublicKey>, OidcError> {
    let body = get_json_body(http, metadata.jwks_uri.clone())
        .await
        .map_err(OidcError::Jwks)?;
    jwks::parse_jwks(&body).map_err(OidcError::Jwks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_values_are_256_bit_base64url() {
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert!(a
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_ne!(a, random_token());
    }

    #[test]
    fn pkce_s256_matches_rfc7636_appendix_b() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn state_comparison() {
        assert!(state_matches("abc", "abc"));
        assert!(!state_matches("abd", "abc"));
        assert!(!state_matches("ab", "abc"));
        assert!(!state_matches("", ""));
    }
}
