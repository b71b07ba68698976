//! What the portal knows about its OpenID Provider before discovery.
use crate::OidcError;
use motcua_domain::{Millis, HOUR, SECOND};
use std::fmt;
use std::str::FromStr;

/// The asymmetric JWS algorithms an ID token may be signed with. There is no
/// variant for `none` or for HMAC (`HS*`): a relying party that shares no
/// secret-keyed signatures with its provider cannot be tricked into them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigningAlg {
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
}

impl SigningAlg {
    pub const ALL: [SigningAlg; 8] = [
        SigningAlg::RS256,
        SigningAlg::RS384,
        SigningAlg::RS512,
        SigningAlg::PS256,
        SigningAlg::PS384,
        SigningAlg::PS512,
        SigningAlg::ES256,
        SigningAlg::ES384,
    ];

    /// The default allow-list: RS256 (the OpenID Connect default), ES256
    /// and PS256.
    pub const DEFAULT: [SigningAlg; 3] = [SigningAlg::RS256, SigningAlg::ES256, SigningAlg::PS256];

    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::RS256 => "RS256",
            SigningAlg::RS384 => "RS384",
            SigningAlg::RS512 => "RS512",
            SigningAlg::PS256 => "PS256",
            SigningAlg::PS384 => "PS384",
            SigningAlg::PS512 => "PS512",
            SigningAlg::ES256 => "ES256",
            SigningAlg::ES384 => "ES384",
        }
    }

    /// The algorithm named by a JWS `alg` header value, if it is one of ours.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    pub(crate) fn jwt(self) -> jsonwebtoken::Algorithm {
        use jsonwebtoken::Algorithm as A;
        match self {
            SigningAlg::RS256 => A::RS256,
            SigningAlg::RS384 => A::RS384,
            SigningAlg::RS512 => A::RS512,
            SigningAlg::PS256 => A::PS256,
            SigningAlg::PS384 => A::PS384,
            SigningAlg::PS512 => A::PS512,
            SigningAlg::ES256 => A::ES256,
            SigningAlg::ES384 => A::ES384,
        }
    }

    /// Bits of the SHA-2 digest the algorithm uses (for `at_hash`).
    pub(crate) fn hash_bits(self) -> u16 {
        match self {
            SigningAlg::RS256 | SigningAlg::PS256 | SigningAlg::ES256 => 256,
            SigningAlg::RS384 | SigningAlg::PS384 | SigningAlg::ES384 => 384,
            SigningAlg::RS512 | SigningAlg::PS512 => 512,
        }
    }
}

impl fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SigningAlg {
    type Err = OidcError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s).ok_or_else(|| {
            OidcError::Config(format!(
                "unsupported ID token algorithm {s:?} (allowed: RS256/384/512, PS256/384/512, ES256/384)"
            ))
        })
    }
}

/// How the portal authenticates to the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuth {
    /// HTTP Basic with the form-encoded client id and secret (the OpenID
    /// Connect default).
    #[default]
    SecretBasic,
    /// `client_id` and `client_secret` in the form body.
    SecretPost,
}

/// The relying party's configuration (the portal's `[eid]` section).
#[derive(Clone)]
pub struct Config {
    /// The provider's issuer identifier, compared exactly (no trailing-slash
    /// normalisation) with discovery and with every ID token's `iss`.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// The portal's absolute callback URL, registered at the provider.
    pub redirect_uri: String,
    /// Space-separated scopes; must contain `openid`.
    pub scopes: String,
    /// `acr_values` sent with every authorization request (space-separated),
    /// e.g. the keys of the portal's acr → level map. Providers such as
    /// npm oidc-provider put `acr` in the ID token only when it is asked for.
    pub acr_values: Option<String>,
    /// ID token algorithms accepted.
    pub algorithms: Vec<SigningAlg>,
    /// Allowed clock difference for `exp`, `iat` and `nbf`.
    pub leeway: Millis,
    pub client_auth: ClientAuth,
    /// Time limit of one HTTP request to the provider.
    pub http_timeout: std::time::Duration,
    /// The JWKS is refreshed before use when older than this.
    pub jwks_max_age: Millis,
    /// On an unknown `kid` the JWKS is fetched again, at most once per this
    /// interval (key rotation without letting anyone make us hammer the
    /// provider).
    pub jwks_refetch_interval: Millis,
}

impl Config {
    /// A configuration with the defaults: scopes `openid profile`,
    /// algorithms RS256/ES256/PS256, 60 s leeway, `client_secret_basic`.
    pub fn new(
        issuer: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        redirect_uri: impl Into<String>,
    ) -> Config {
        Config {
            issuer: issuer.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            redirect_uri: redirect_uri.into(),
            scopes: "openid profile".into(),
            acr_values: None,
            algorithms: SigningAlg::DEFAULT.to_vec(),
            leeway: 60 * SECOND,
            client_auth: ClientAuth::SecretBasic,
            http_timeout: std::time::Duration::from_secs(10),
            jwks_max_age: HOUR,
            jwks_refetch_interval: 60 * SECOND,
        }
    }

    /// Checks the values that do not need the network.
    pub fn validate(&self) -> Result<(), OidcError> {
        check_endpoint("issuer", &self.issuer)?;
        if self.issuer.contains('?') || self.issuer.contains('#') {
            return Err(OidcError::Config(
                "the issuer must not have a query or fragment".into(),
            ));
        }
        check_endpoint("redirect_uri", &self.redirect_uri)?;
        if self.client_id.is_empty() {
            return Err(OidcError::Config("client_id is empty".into()));
        }
        if self.client_secret.is_empty() {
            return Err(OidcError::Config("client_secret is empty".into()));
        }
        if !self.scopes.split(' ').any(|s| s == "openid") {
            return Err(OidcError::Config("scopes must contain \"openid\"".into()));
        }
        if self.algorithms.is_empty() {
            return Err(OidcError::Config("no ID token algorithm allowed".into()));
        }
        if !(0..=10 * 60 * SECOND).contains(&self.leeway) {
            return Err(OidcError::Config("leeway must be 0–600 s".into()));
        }
        Ok(())
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("redirect_uri", &self.redirect_uri)
            .field("scopes", &self.scopes)
            .field("acr_values", &self.acr_values)
            .field("algorithms", &self.algorithms)
            .field("leeway", &self.leeway)
            .field("client_auth", &self.client_auth)
            .finish_non_exhaustive()
    }
}

/// An endpoint must be `https://`, or plain `http://` on a loopback host
/// (tests and the development provider of `motcua demo`).
pub(crate) fn check_endpoint(what: &str, url: &str) -> Result<reqwest::Url, OidcError> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| OidcError::Config(format!("{what} is not a URL ({e}): {url:?}")))?;
    if parsed.cannot_be_a_base() || parsed.host_str().is_none() {
        return Err(OidcError::Config(format!(
            "{what} is not an absolute URL: {url:?}"
        )));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(OidcError::Config(format!(
            "{what} must not carry credentials"
        )));
    }
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if is_loopback(&parsed) => Ok(parsed),
        _ => Err(OidcError::InsecureEndpoint(format!("{what}: {url}"))),
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}
