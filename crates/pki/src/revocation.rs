//! Revocation status of a validated chain: OCSP and CRLs fetched over HTTP
//! from the URLs in the certificates, cached in memory until they expire
//! (`nextUpdate`), failing closed unless the operator set `soft_fail` for
//! that CA.
use crate::cert::Certificate;
use crate::crl::Crl;
use crate::ocsp::{self, CertId, CertStatus, IdHash, Verdict};
use crate::path::Chain;
use crate::policy::AlgorithmPolicy;
use crate::{Millis, PkiError};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Largest CRL or OCSP response fetched.
const MAX_BODY: usize = 32 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevocationMode {
    /// OCSP when the certificate names a responder; CRL otherwise or when
    /// the responder cannot answer.
    #[default]
    OcspThenCrl,
    Ocsp,
    Crl,
    /// No check (only for a CA that publishes nothing; never the default).
    None,
}

/// How certificates issued by one CA are checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RevocationPolicy {
    pub mode: RevocationMode,
    /// Accept the certificate when no status can be had (unreachable
    /// responder, no fresh CRL). Off by default: fail closed.
    pub soft_fail: bool,
    /// Refuse OCSP answers that do not echo our nonce.
    pub require_nonce: bool,
    /// How long an OCSP answer without `nextUpdate` is reused, seconds.
    pub ocsp_max_age_secs: u64,
    /// Time limit of one fetch, seconds.
    pub timeout_secs: u64,
}

impl Default for RevocationPolicy {
    fn default() -> Self {
        Self {
            mode: RevocationMode::OcspThenCrl,
            soft_fail: false,
            require_nonce: true,
            ocsp_max_age_secs: 3600,
            timeout_secs: 5,
        }
    }
}

/// How the status of each link was established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Ocsp,
    Crl,
    Unchecked,
    SoftFail,
}

/// Fetch counters, so tests and the console can see the cache work.
#[derive(Debug, Default)]
pub struct Stats {
    pub crl_fetches: AtomicU64,
    pub ocsp_fetches: AtomicU64,
    pub cache_hits: AtomicU64,
}

pub struct RevocationChecker {
    http: reqwest::Client,
    algorithms: AlgorithmPolicy,
    default: RevocationPolicy,
    /// Issuer SPKI SHA-256 (hex) → policy for what that CA issued.
    per_issuer: HashMap<String, RevocationPolicy>,
    /// (CRL URL, issuer SPKI hash) → verified CRL.
    crls: Mutex<HashMap<(String, String), Arc<Crl>>>,
    /// CertID cache key → verified OCSP verdict.
    ocsp: Mutex<HashMap<String, Verdict>>,
    pub stats: Stats,
}

impl RevocationChecker {
    /// Fails only if the HTTP client cannot be built (its TLS backend): a
    /// client without the time limits and the redirect rule is never used
    /// instead.
    pub fn new(algorithms: AlgorithmPolicy, default: RevocationPolicy) -> Result<Self, PkiError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(default.timeout_secs.max(1)))
            .timeout(Duration::from_secs(default.timeout_secs.max(1)))
            .redirect(same_host_redirects())
            .build()
            .map_err(|e| PkiError::RevocationUnavailable(format!("HTTP client: {e}")))?;
        Ok(Self {
            http,
            algorithms,
            default,
            per_issuer: HashMap::new(),
            crls: Mutex::new(HashMap::new()),
            ocsp: Mutex::new(HashMap::new()),
            stats: Stats::default(),
        })
    }

    /// Sets the policy for certificates issued by `issuer`.
    pub fn set_issuer_policy(&mut self, issuer: &Certificate, policy: RevocationPolicy) {
        self.per_issuer.insert(issuer.spki_sha256.clone(), policy);
    }

    pub fn policy_for(&self, issuer: &Certificate) -> &RevocationPolicy {
        self.per_issuer
            .get(&issuer.spki_sha256)
            .unwrap_or(&self.default)
    }

    /// Drops every cached status (the operator's "refresh now").
    pub fn clear(&self) {
        if let Ok(mut m) = self.crls.lock() {
            m.clear();
        }
        if let Ok(mut m) = self.ocsp.lock() {
            m.clear();
        }
    }

    /// Checks every link of the chain but the anchor at `now`.
    pub async fn check(&self, chain: &Chain, now: Millis) -> Result<Vec<Source>, PkiError> {
        let mut out = Vec::new();
        for (cert, issuer) in chain.links() {
            let policy = self.policy_for(issuer).clone();
            let result = match policy.mode {
                RevocationMode::None => Ok(Source::Unchecked),
                RevocationMode::Ocsp => self.by_ocsp(cert, issuer, &policy, now).await,
                RevocationMode::Crl => self.by_crl(cert, issuer, now).await,
                RevocationMode::OcspThenCrl => {
                    if cert.ocsp_urls.is_empty() {
                        self.by_crl(cert, issuer, now).await
                    } else {
                        match self.by_ocsp(cert, issuer, &policy, now).await {
                            Err(PkiError::RevocationUnavailable(why))
                                if !cert.crl_urls.is_empty() =>
                            {
                                tracing::warn!(%why, subject = %cert.subject_dn, "OCSP unavailable, trying the CRL");
                                self.by_crl(cert, issuer, now).await
                            }
                            other => other,
                        }
                    }
                }
            };
            match result {
                Ok(src) => out.push(src),
                Err(PkiError::RevocationUnavailable(why)) if policy.soft_fail => {
                    tracing::warn!(%why, subject = %cert.subject_dn, "revocation unknown, accepted by soft_fail policy");
                    out.push(Source::SoftFail);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    async fn by_crl(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
        now: Millis,
    ) -> Result<Source, PkiError> {
        if cert.crl_urls.is_empty() {
            return Err(PkiError::RevocationUnavailable(
                "the certificate names no CRL distribution point".into(),
            ));
        }
        let mut last = None;
        for url in &cert.crl_urls {
            match self.crl(url, issuer, now).await {
                Ok(crl) => {
                    if let Err(e) = crl.check_scope(cert) {
                        last = Some(e);
                        continue;
                    }
                    return match crl.revoked_at(cert) {
                        Some(at) => Err(PkiError::Revoked { at: Some(at) }),
                        None => Ok(Source::Crl),
                    };
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| PkiError::RevocationUnavailable("no CRL".into())))
    }

    async fn crl(
        &self,
        url: &str,
        issuer: &Certificate,
        now: Millis,
    ) -> Result<Arc<Crl>, PkiError> {
        let key = (url.to_string(), issuer.spki_sha256.clone());
        let cached = self.crls.lock().ok().and_then(|m| m.get(&key).cloned());
        if let Some(c) = cached {
            if c.check_fresh(now).is_ok() {
                self.stats.cache_hits.fetch_add(1, Ordering::Relaxed);
                return Ok(c);
            }
        }
        self.stats.crl_fetches.fetch_add(1, Ordering::Relaxed);
        let body = self.fetch(self.http.get(url)).await?;
        let crl = Crl::from_der(&body).map_err(|e| {
            PkiError::RevocationUnavailable(format!("CRL from {url} unreadable: {e}"))
        })?;
        crl.verify(issuer, &self.algorithms)?;
        crl.check_fresh(now)?;
        let crl = Arc::new(crl);
        if let Ok(mut m) = self.crls.lock() {
            m.insert(key, crl.clone());
        }
        Ok(crl)
    }

    async fn by_ocsp(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
        policy: &RevocationPolicy,
        now: Millis,
    ) -> Result<Source, PkiError> {
        if cert.ocsp_urls.is_empty() {
            return Err(PkiError::RevocationUnavailable(
                "the certificate names no OCSP responder".into(),
            ));
        }
        let id = CertId::new(cert, issuer, IdHash::Sha1);
        let key = id.cache_key();
        let cached = self.ocsp.lock().ok().and_then(|m| m.get(&key).copied());
        let verdict = match cached {
            Some(v) if now < v.valid_until && v.this_update <= now + crate::crl::SKEW => {
                self.stats.cache_hits.fetch_add(1, Ordering::Relaxed);
                v
            }
            _ => {
                let mut last = None;
                let mut found = None;
                for url in &cert.ocsp_urls {
                    match self.ask_ocsp(url, &id, issuer, policy, now).await {
                        Ok(v) => {
                            found = Some(v);
                            break;
                        }
                        Err(e) => last = Some(e),
                    }
                }
                let v = match found {
                    Some(v) => v,
                    None => {
                        return Err(last.unwrap_or_else(|| {
                            PkiError::RevocationUnavailable("no OCSP answer".into())
                        }))
                    }
                };
                if let Ok(mut m) = self.ocsp.lock() {
                    m.insert(key, v);
                }
                v
            }
        };
        match verdict.status {
            CertStatus::Good => Ok(Source::Ocsp),
            CertStatus::Revoked { at } => Err(PkiError::Revoked { at: Some(at) }),
            CertStatus::Unknown => Err(PkiError::RevocationUnavailable(
                "the OCSP responder does not know this certificate".into(),
            )),
        }
    }

    async fn ask_ocsp(
        &self,
        url: &str,
        id: &CertId,
        issuer: &Certificate,
        policy: &RevocationPolicy,
        now: Millis,
    ) -> Result<Verdict, PkiError> {
        let mut nonce = [0u8; 32];
        rand::rng().fill_bytes(&mut nonce);
        self.stats.ocsp_fetches.fetch_add(1, Ordering::Relaxed);
        let req = self
            .http
            .post(url)
            .header("content-type", "application/ocsp-request")
            .body(ocsp::encode_request(id, &nonce));
        let body = self.fetch(req).await?;
        let resp = ocsp::parse_response(&body).map_err(|e| match e {
            PkiError::Malformed(m) => PkiError::RevocationUnavailable(m),
            other => other,
        })?;
        let sent = (policy.require_nonce || resp.nonce.is_some()).then_some(&nonce[..]);
        resp.verify(
            issuer,
            id,
            sent,
            now,
            (policy.ocsp_max_age_secs as Millis).saturating_mul(1000),
            &self.algorithms,
        )
    }

    async fn fetch(&self, req: reqwest::RequestBuilder) -> Result<Vec<u8>, PkiError> {
        let unavailable = |e: String| PkiError::RevocationUnavailable(e);
        let resp = req
            .send()
            .await
            .map_err(|e| unavailable(format!("fetch: {e}")))?;
        if !resp.status().is_success() {
            return Err(unavailable(format!("fetch: HTTP {}", resp.status())));
        }
        read_limited(resp, MAX_BODY).await
    }
}

/// Redirects are followed (at most 3) only to the same host and port, over
/// HTTP or HTTPS: a CA's publication point may move a file, not send the
/// portal to another server.
fn same_host_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let ok = attempt.previous().len() <= 3
            && matches!(attempt.url().scheme(), "http" | "https")
            && attempt.previous().first().is_some_and(|first| {
                first.host_str() == attempt.url().host_str()
                    && first.port_or_known_default() == attempt.url().port_or_known_default()
            });
        if ok {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

/// The body, read chunk by chunk and refused as soon as it passes `max`
/// bytes (whether or not Content-Length was sent).
pub(crate) async fn read_limited(
    mut resp: reqwest::Response,
    max: usize,
) -> Result<Vec<u8>, PkiError> {
    let too_large = || PkiError::RevocationUnavailable("fetch: body too large".into());
    if resp.content_length().is_some_and(|n| n > max as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| PkiError::RevocationUnavailable(format!("fetch: {e}")))?
    {
        if body.len() + chunk.len() > max {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
#[cfg(feature = "testca")]
mod tests {
    use super::*;
    use axum::response::{IntoResponse, Redirect};
    use axum::routing::get;

    /// A local server: `/big` streams 3 × 1,000 bytes without
    /// Content-Length, `/small` 10 bytes, `/same` redirects to `/small`,
    /// `/away` redirects to another port (another server for the policy).
    async fn server() -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let other = format!("http://127.0.0.1:{}/small", addr.port().wrapping_add(1));
        let app = axum::Router::new()
            .route(
                "/big",
                get(|| async {
                    let chunks = (0..3).map(|_| Ok::<_, std::io::Error>(vec![7u8; 1000]));
                    axum::body::Body::from_stream(futures_util::stream::iter(chunks))
                }),
            )
            .route("/small", get(|| async { vec![1u8; 10] }))
            .route(
                "/same",
                get(|| async { Redirect::temporary("/small").into_response() }),
            )
            .route(
                "/away",
                get(move || {
                    let other = other.clone();
                    async move { Redirect::temporary(&other).into_response() }
                }),
            );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        format!("http://{addr}")
    }

    #[tokio::test]
    async fn bodies_are_bounded_and_redirects_stay_on_the_host() {
        let base = server().await;
        let http = reqwest::Client::builder()
            .redirect(same_host_redirects())
            .build()
            .unwrap();
        // No Content-Length (chunked): refused once past the limit.
        let resp = http.get(format!("{base}/big")).send().await.unwrap();
        assert!(resp.content_length().is_none());
        let err = read_limited(resp, 2500).await.unwrap_err();
        assert!(matches!(&err, PkiError::RevocationUnavailable(m) if m.contains("too large")));
        let resp = http.get(format!("{base}/big")).send().await.unwrap();
        assert_eq!(read_limited(resp, 3000).await.unwrap().len(), 3000);
        // With Content-Length above the limit: refused before reading.
        let resp = http.get(format!("{base}/small")).send().await.unwrap();
        assert!(read_limited(resp, 5).await.is_err());
        // A redirect on the same host is followed; to another, not.
        let resp = http.get(format!("{base}/same")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let resp = http.get(format!("{base}/away")).send().await.unwrap();
        assert_eq!(resp.status(), 307, "not followed");
        // Through the checker: an unfollowed redirect is no status.
        let checker =
            RevocationChecker::new(AlgorithmPolicy::default(), RevocationPolicy::default())
                .unwrap();
        let err = checker
            .fetch(checker.http.get(format!("{base}/away")))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, PkiError::RevocationUnavailable(m) if m.contains("307")),
            "{err:?}"
        );
    }
}
