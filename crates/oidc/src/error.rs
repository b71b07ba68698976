//! Everything that can go wrong in a login through the national e-ID. The
//! messages are for logs and operators; the web crate shows its own
//! Vietnamese/English text per [`OidcError::code`].

/// A failed discovery, authorization response, token exchange or ID token.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The relying party's own configuration is unusable.
    #[error("e-ID configuration: {0}")]
    Config(String),
    /// An endpoint is neither `https://` nor plain HTTP on a loopback host.
    #[error("insecure e-ID endpoint (https required): {0}")]
    InsecureEndpoint(String),
    /// The discovery document could not be fetched or read.
    #[error("e-ID discovery failed: {0}")]
    Discovery(String),
    /// The `issuer` of the discovery document, of the authorization response
    /// (`iss`, RFC 9207) or of the ID token differs from the configured one.
    #[error("issuer mismatch: expected {expected:?}, got {found:?}")]
    IssuerMismatch { expected: String, found: String },
    /// The JWKS could not be fetched or read.
    #[error("e-ID key set (JWKS): {0}")]
    Jwks(String),
    /// The `state` returned to the callback is missing or not the stored one.
    #[error("state mismatch in the authorization response")]
    StateMismatch,
    /// The provider answered the authorization request with an error
    /// (the user cancelled: `access_denied`).
    #[error("authorization refused by the provider: {error} {description:?}")]
    AuthorizationDenied {
        error: String,
        description: Option<String>,
    },
    /// The callback has neither `code` nor `error`.
    #[error("no authorization code in the callback")]
    MissingCode,
    /// The token endpoint could not be reached.
    #[error("e-ID token endpoint unreachable: {0}")]
    TokenRequest(String),
    /// The token endpoint answered with an error status.
    #[error("e-ID token endpoint answered {status}: {body}")]
    TokenEndpoint { status: u16, body: String },
    /// The token response is not what OpenID Connect prescribes.
    #[error("bad token response: {0}")]
    TokenResponse(String),
    /// The ID token is malformed or has a bad or missing claim.
    #[error("bad ID token: {0}")]
    BadIdToken(String),
    /// The ID token's `alg` is not in the allow-list (`none` and `HS*` never are).
    #[error("ID token algorithm not allowed: {0:?}")]
    AlgorithmNotAllowed(String),
    /// No key of the provider's JWKS has the ID token's `kid` (even after a
    /// refetch) or fits its algorithm.
    #[error("ID token signed with an unknown key (kid {0:?})")]
    UnknownKey(Option<String>),
    /// The signature does not verify with the provider's key.
    #[error("ID token signature invalid")]
    BadSignature,
    /// `aud` does not contain the client id.
    #[error("ID token audience does not include this client")]
    WrongAudience,
    /// Several audiences and `azp` is missing or not the client id.
    #[error("ID token azp is missing or not this client")]
    AzpMismatch,
    /// `exp` is past (beyond the leeway).
    #[error("ID token expired")]
    Expired,
    /// `iat` or `nbf` is in the future (beyond the leeway).
    #[error("ID token not yet valid (iat/nbf in the future)")]
    NotYetValid,
    /// `nonce` is missing or not the one sent in the authorization request.
    #[error("ID token nonce mismatch")]
    NonceMismatch,
    /// `at_hash` does not match the access token.
    #[error("ID token at_hash does not match the access token")]
    AccessTokenHashMismatch,
    /// The userinfo endpoint failed or answered something unreadable.
    #[error("e-ID userinfo: {0}")]
    Userinfo(String),
    /// The userinfo `sub` is not the ID token's (OpenID Connect Core 5.3.4).
    #[error("userinfo subject differs from the ID token subject")]
    UserinfoSubjectMismatch,
}

impl OidcError {
    /// A short stable code for logs, metrics and the web crate's messages.
    pub fn code(&self) -> &'static str {
        match self {
            OidcError::Config(_) => "config",
            OidcError::InsecureEndpoint(_) => "insecure_endpoint",
            OidcError::Discovery(_) => "discovery",
            OidcError::IssuerMismatch { .. } => "issuer_mismatch",
            OidcError::Jwks(_) => "jwks",
            OidcError::StateMismatch => "state_mismatch",
            OidcError::AuthorizationDenied { .. } => "authorization_denied",
            OidcError::MissingCode => "missing_code",
            OidcError::TokenRequest(_) => "token_request",
            OidcError::TokenEndpoint { .. } => "token_endpoint",
            OidcError::TokenResponse(_) => "token_response",
            OidcError::BadIdToken(_) => "bad_id_token",
            OidcError::AlgorithmNotAllowed(_) => "algorithm_not_allowed",
            OidcError::UnknownKey(_) => "unknown_key",
            OidcError::BadSignature => "bad_signature",
            OidcError::WrongAudience => "wrong_audience",
            OidcError::AzpMismatch => "azp_mismatch",
            OidcError::Expired => "expired",
            OidcError::NotYetValid => "not_yet_valid",
            OidcError::NonceMismatch => "nonce_mismatch",
            OidcError::AccessTokenHashMismatch => "at_hash_mismatch",
            OidcError::Userinfo(_) => "userinfo",
            OidcError::UserinfoSubjectMismatch => "userinfo_subject_mismatch",
        }
    }

    /// True when the user cancelled at the provider (`access_denied`): the
    /// portal shows a calm "login cancelled" rather than an error.
    pub fn is_user_cancel(&self) -> bool {
        matches!(self, OidcError::AuthorizationDenied { error, .. } if error == "access_denied")
    }

    /// True for failures of the provider or the network (retry later), as
    /// opposed to a response that was refused on a security check.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            OidcError::Discovery(_)
                | OidcError::Jwks(_)
                | OidcError::TokenRequest(_)
                | OidcError::Userinfo(_)
        ) || matches!(self, OidcError::TokenEndpoint { status, .. } if *status >= 500)
    }
}
