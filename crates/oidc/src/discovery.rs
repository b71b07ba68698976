//! OpenID Connect Discovery 1.0: the provider's metadata document.
use crate::config::check_endpoint;
use crate::{OidcError, SigningAlg};
use reqwest::Url;
use serde::Deserialize;

/// What the portal keeps of the provider's discovery document.
#[derive(Debug, Clone)]
pub struct ProviderMetadata {
    /// Equal, byte for byte, to the configured issuer.
    pub issuer: String,
    pub authorization_endpoint: Url,
    pub token_endpoint: Url,
    pub userinfo_endpoint: Option<Url>,
    pub jwks_uri: Url,
    /// For RP-initiated logout, if the provider offers it.
    pub end_session_endpoint: Option<Url>,
    /// Empty when the document does not say.
    pub id_token_signing_alg_values_supported: Vec<String>,
    pub acr_values_supported: Vec<String>,
    pub claims_supported: Vec<String>,
    /// RFC 9207: the provider adds `iss` to every authorization response,
    /// so the callback refuses a response without it.
    pub authorization_response_iss_parameter_supported: bool,
}

#[derive(Deserialize)]
struct Raw {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: Option<String>,
    userinfo_endpoint: Option<String>,
    jwks_uri: Option<String>,
    end_session_endpoint: Option<String>,
    #[serde(default)]
    id_token_signing_alg_values_supported: Vec<String>,
    #[serde(default)]
    acr_values_supported: Vec<String>,
    #[serde(default)]
    claims_supported: Vec<String>,
    #[serde(default)]
    authorization_response_iss_parameter_supported: bool,
}

/// The discovery URL of an issuer (OpenID Connect Discovery §4).
pub(crate) fn discovery_url(issuer: &str) -> Result<Url, OidcError> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    check_endpoint("discovery URL", &url)
}

/// Reads a discovery document and checks it against the configured issuer
/// and algorithm allow-list.
pub(crate) fn parse(
    body: &[u8],
    issuer: &str,
    algorithms: &[SigningAlg],
) -> Result<ProviderMetadata, OidcError> {
    let raw: Raw = serde_json::from_slice(body)
        .map_err(|e| OidcError::Discovery(format!("not a discovery document: {e}")))?;
    if raw.issuer != issuer {
        return Err(OidcError::IssuerMismatch {
            expected: issuer.to_owned(),
            found: raw.issuer,
        });
    }
    let endpoint = |what: &str, v: &str| -> Result<Url, OidcError> {
        check_endpoint(what, v).map_err(|e| match e {
            OidcError::Config(m) => OidcError::Discovery(m),
            other => other,
        })
    };
    let optional = |what: &str, v: &Option<String>| -> Result<Option<Url>, OidcError> {
        v.as_deref().map(|v| endpoint(what, v)).transpose()
    };
    let token_endpoint = raw
        .token_endpoint
        .as_deref()
        .ok_or_else(|| OidcError::Discovery("no token_endpoint".into()))?;
    let jwks_uri = raw
        .jwks_uri
        .as_deref()
        .ok_or_else(|| OidcError::Discovery("no jwks_uri".into()))?;
    if !raw.id_token_signing_alg_values_supported.is_empty()
        && !raw
            .id_token_signing_alg_values_supported
            .iter()
            .any(|a| algorithms.iter().any(|ours| ours.as_str() == a))
    {
        return Err(OidcError::Discovery(format!(
            "the provider signs ID tokens with {:?}, none of which is allowed",
            raw.id_token_signing_alg_values_supported
        )));
    }
    Ok(ProviderMetadata {
        authorization_endpoint: endpoint("authorization_endpoint", &raw.authorization_endpoint)?,
        token_endpoint: endpoint("token_endpoint", token_endpoint)?,
        userinfo_endpoint: optional("userinfo_endpoint", &raw.userinfo_endpoint)?,
        jwks_uri: endpoint("jwks_uri", jwks_uri)?,
        end_session_endpoint: optional("end_session_endpoint", &raw.end_session_endpoint)?,
        issuer: raw.issuer,
        id_token_signing_alg_values_supported: raw.id_token_signing_alg_values_supported,
        acr_values_supported: raw.acr_values_supported,
        claims_supported: raw.claims_supported,
        authorization_response_iss_parameter_supported: raw
            .authorization_response_iss_parameter_supported,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(issuer: &str, extra: &str) -> Vec<u8> {
        format!(
            r#"{{"issuer":"{issuer}","authorization_endpoint":"{issuer}/auth",
            "token_endpoint":"{issuer}/token","jwks_uri":"{issuer}/jwks"{extra}}}"#
        )
        .into_bytes()
    }

    #[test]
    fn discovery_url_appends_the_well_known_path() {
        assert_eq!(
            discovery_url("https://id.example/op")
                .map(|u| u.to_string())
                .ok(),
            Some("https://id.example/op/.well-known/openid-configuration".into())
        );
        assert_eq!(
            discovery_url("https://id.example/")
                .map(|u| u.to_string())
                .ok(),
            Some("https://id.example/.well-known/openid-configuration".into())
        );
    }

    #[test]
    fn issuer_must_match_exactly() {
        let algs = SigningAlg::DEFAULT;
        assert!(parse(&doc("https://id.example", ""), "https://id.example", &algs).is_ok());
        for wrong in [
            "https://id.example/",
            "https://ID.example",
            "https://evil.example",
        ] {
            assert!(matches!(
                parse(&doc(wrong, ""), "https://id.example", &algs),
                Err(OidcError::IssuerMismatch { .. })
            ));
        }
    }

    #[test]
    fn plain_http_endpoints_only_on_loopback() {
        let algs = SigningAlg::DEFAULT;
        assert!(parse(&doc("http://127.0.0.1:9", ""), "http://127.0.0.1:9", &algs).is_ok());
        let mixed =
            br#"{"issuer":"https://id.example","authorization_endpoint":"https://id.example/a",
            "token_endpoint":"http://id.example/token","jwks_uri":"https://id.example/jwks"}"#;
        assert!(matches!(
            parse(mixed, "https://id.example", &algs),
            Err(OidcError::InsecureEndpoint(_))
        ));
    }

    #[test]
    fn refuses_a_provider_with_only_disallowed_algorithms() {
        let algs = SigningAlg::DEFAULT;
        let d = doc(
            "https://id.example",
            r#","id_token_signing_alg_values_supported":["HS256","none"]"#,
        );
        assert!(matches!(
            parse(&d, "https://id.example", &algs),
            Err(OidcError::Discovery(_))
        ));
        assert!(matches!(
            parse(b"[]", "https://id.example", &algs),
            Err(OidcError::Discovery(_))
        ));
        assert!(matches!(
            parse(b"\xff", "https://id.example", &algs),
            Err(OidcError::Discovery(_))
        ));
    }
}
