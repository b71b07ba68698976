//! The whole check of a signed challenge: parse, signature, path,
//! revocation. Shared by the token, SIM and step-up flows.
use crate::cert::Certificate;
use crate::path::{Chain, TrustStore};
use crate::policy::AlgorithmPolicy;
use crate::revocation::RevocationChecker;
use crate::{Millis, PkiError};

/// Most certificates a client may present besides its own.
pub const MAX_PRESENTED: usize = 8;

pub struct Verifier {
    pub trust: TrustStore,
    pub algorithms: AlgorithmPolicy,
    pub revocation: RevocationChecker,
}

impl Verifier {
    /// Verifies `signature` over `message` by the certificate `cert_der`,
    /// then the certificate's path at `now` and its revocation status. The
    /// cheap signature check runs first, so a forged request costs no fetch.
    pub async fn verify(
        &self,
        cert_der: &[u8],
        presented: &[Vec<u8>],
        message: &[u8],
        signature: &[u8],
        now: Millis,
    ) -> Result<Chain, PkiError> {
        let leaf = Certificate::from_der(cert_der)?;
        let presented = presented
            .iter()
            .take(MAX_PRESENTED)
            .map(|d| Certificate::from_der(d))
            .collect::<Result<Vec<_>, _>>()?;
        self.algorithms
            .verify_challenge(&leaf, message, signature)?;
        self.validate(&leaf, &presented, now).await
    }

    /// Path validation and revocation of a certificate, without a signature.
    pub async fn validate(
        &self,
        leaf: &Certificate,
        presented: &[Certificate],
        now: Millis,
    ) -> Result<Chain, PkiError> {
        let chain = match self
            .trust
            .remembered(leaf, presented, now, &self.algorithms)
        {
            Some(chain) => chain,
            None => {
                // Path building is CPU work (bounded by webpki's budget):
                // off the async workers, so a costly path stalls no one.
                let trust = self.trust.clone();
                let algorithms = self.algorithms.clone();
                let (leaf, presented) = (leaf.clone(), presented.to_vec());
                tokio::task::spawn_blocking(move || {
                    trust.validate(&leaf, &presented, now, &algorithms)
                })
                .await
                .map_err(|e| PkiError::InvalidChain(format!("validation task: {e}")))??
            }
        };
        self.revocation.check(&chain, now).await?;
        Ok(chain)
    }
}
