//! Accepted algorithms and key sizes, and signature verification through
//! `ring` after the policy has said yes. x509-parser's own
//! `verify_signature` is not used: it also accepts SHA-1.
use crate::cert::{Certificate, KeyKind};
use crate::der::*;
use crate::PkiError;
use ring::signature::{self as sig, UnparsedPublicKey};
use serde::{Deserialize, Serialize};

/// The digest a signature uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    pub fn name(self) -> &'static str {
        match self {
            Hash::Sha1 => "SHA-1",
            Hash::Sha256 => "SHA-256",
            Hash::Sha384 => "SHA-384",
            Hash::Sha512 => "SHA-512",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Rsa,
    Ecdsa,
}

/// What the operator accepts (config `[pki.algorithms]`). The defaults are
/// the issue's: RSA ≥ 2048, ECDSA P-256/P-384, SHA-256 or stronger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlgorithmPolicy {
    pub min_rsa_bits: usize,
    /// Curve names: "P-256", "P-384".
    pub curves: Vec<String>,
    /// Digest names: "SHA-256", "SHA-384", "SHA-512" ("SHA-1" is refused
    /// whatever this says).
    pub hashes: Vec<String>,
}

impl Default for AlgorithmPolicy {
    fn default() -> Self {
        Self {
            min_rsa_bits: 2048,
            curves: vec!["P-256".into(), "P-384".into()],
            hashes: vec!["SHA-256".into(), "SHA-384".into(), "SHA-512".into()],
        }
    }
}

impl AlgorithmPolicy {
    /// Refuses keys below the policy.
    pub fn check_key(&self, cert: &Certificate) -> Result<(), PkiError> {
        match &cert.key {
            // A modulus of a whole number of octets (CA/B Forum 6.1.5).
            KeyKind::Rsa { bits }
                if *bits >= self.min_rsa_bits.max(2048) && *bits <= 8192 && bits % 8 == 0 =>
            {
                Ok(())
            }
            KeyKind::EcP256 if self.curves.iter().any(|c| c == "P-256") => Ok(()),
            KeyKind::EcP384 if self.curves.iter().any(|c| c == "P-384") => Ok(()),
            k => Err(PkiError::WeakAlgorithm(format!(
                "{} in {}",
                k.label(),
                cert.subject_dn
            ))),
        }
    }

    fn check_hash(&self, h: Hash) -> Result<(), PkiError> {
        if h != Hash::Sha1 && self.hashes.iter().any(|n| n == h.name()) {
            Ok(())
        } else {
            Err(PkiError::WeakAlgorithm(h.name().into()))
        }
    }

    /// Verifies an X.509-style signature (certificate, CRL, OCSP response)
    /// made by `signer`'s key: the algorithm OID must be accepted first.
    pub fn verify_x509(
        &self,
        signer: &Certificate,
        sig_alg_oid: &str,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), PkiError> {
        self.verify_x509_cached(signer, sig_alg_oid, message, signature, false)
    }

    /// [`Self::verify_x509`] that skips the public-key operation when
    /// `known_good` holds this exact signature (a certificate's signature is
    /// a fixed fact: the same bytes verified once verify again). The
    /// algorithm and key policy are always checked.
    pub(crate) fn verify_x509_cached(
        &self,
        signer: &Certificate,
        sig_alg_oid: &str,
        message: &[u8],
        signature: &[u8],
        known_good: bool,
    ) -> Result<(), PkiError> {
        let (family, hash) = Self::signature_algorithm(sig_alg_oid)?;
        self.check_hash(hash)?;
        let alg = self.algorithm(signer, family, hash)?;
        if known_good {
            return Ok(());
        }
        UnparsedPublicKey::new(alg, signer.public_key_bytes())
            .verify(message, signature)
            .map_err(|_| PkiError::BadSignature)
    }

    /// Refuses a signature algorithm (OID) the policy does not accept.
    pub fn check_signature_algorithm(&self, sig_alg_oid: &str) -> Result<(), PkiError> {
        let (_, hash) = Self::signature_algorithm(sig_alg_oid)?;
        self.check_hash(hash)
    }

    /// RFC 4055 / RFC 5758: RSA PKCS#1 v1.5 takes NULL parameters (absent
    /// tolerated, as most validators do); ECDSA takes none.
    pub(crate) fn check_parameters(
        sig_alg_oid: &str,
        params: Option<&(u32, Vec<u8>)>,
    ) -> Result<(), PkiError> {
        let (family, _) = Self::signature_algorithm(sig_alg_oid)?;
        let ok = match (family, params) {
            (_, None) => true,
            (Family::Rsa, Some((5, v))) => v.is_empty(),
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            Err(PkiError::Malformed(format!(
                "signature algorithm {sig_alg_oid} with unexpected parameters"
            )))
        }
    }

    fn signature_algorithm(sig_alg_oid: &str) -> Result<(Family, Hash), PkiError> {
        Ok(match sig_alg_oid {
            SHA1_WITH_RSA => (Family::Rsa, Hash::Sha1),
            SHA256_WITH_RSA => (Family::Rsa, Hash::Sha256),
            SHA384_WITH_RSA => (Family::Rsa, Hash::Sha384),
            SHA512_WITH_RSA => (Family::Rsa, Hash::Sha512),
            ECDSA_WITH_SHA1 => (Family::Ecdsa, Hash::Sha1),
            ECDSA_WITH_SHA256 => (Family::Ecdsa, Hash::Sha256),
            ECDSA_WITH_SHA384 => (Family::Ecdsa, Hash::Sha384),
            ECDSA_WITH_SHA512 => (Family::Ecdsa, Hash::Sha512),
            other => {
                return Err(PkiError::WeakAlgorithm(format!(
                    "signature algorithm {other}"
                )))
            }
        })
    }

    /// Verifies a signature over a challenge: the algorithm follows from the
    /// certificate's key (RSA PKCS#1 v1.5 SHA-256, P-256 with SHA-256,
    /// P-384 with SHA-384); ECDSA signatures are DER (ASN.1) encoded.
    pub fn verify_challenge(
        &self,
        cert: &Certificate,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), PkiError> {
        let (family, hash) = match cert.key {
            KeyKind::Rsa { .. } => (Family::Rsa, Hash::Sha256),
            KeyKind::EcP256 => (Family::Ecdsa, Hash::Sha256),
            KeyKind::EcP384 => (Family::Ecdsa, Hash::Sha384),
            KeyKind::Other(ref o) => return Err(PkiError::WeakAlgorithm(o.clone())),
        };
        self.verify(cert, family, hash, message, signature)
    }

    fn verify(
        &self,
        signer: &Certificate,
        family: Family,
        hash: Hash,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), PkiError> {
        let alg = self.algorithm(signer, family, hash)?;
        UnparsedPublicKey::new(alg, signer.public_key_bytes())
            .verify(message, signature)
            .map_err(|_| PkiError::BadSignature)
    }

    /// The verification algorithm for `signer`'s key with `hash`, if the
    /// policy accepts both.
    fn algorithm(
        &self,
        signer: &Certificate,
        family: Family,
        hash: Hash,
    ) -> Result<&'static dyn sig::VerificationAlgorithm, PkiError> {
        self.check_key(signer)?;
        let alg: &'static dyn sig::VerificationAlgorithm = match (family, &signer.key, hash) {
            (Family::Rsa, KeyKind::Rsa { .. }, Hash::Sha256) => &sig::RSA_PKCS1_2048_8192_SHA256,
            (Family::Rsa, KeyKind::Rsa { .. }, Hash::Sha384) => &sig::RSA_PKCS1_2048_8192_SHA384,
            (Family::Rsa, KeyKind::Rsa { .. }, Hash::Sha512) => &sig::RSA_PKCS1_2048_8192_SHA512,
            (Family::Ecdsa, KeyKind::EcP256, Hash::Sha256) => &sig::ECDSA_P256_SHA256_ASN1,
            (Family::Ecdsa, KeyKind::EcP256, Hash::Sha384) => &sig::ECDSA_P256_SHA384_ASN1,
            (Family::Ecdsa, KeyKind::EcP384, Hash::Sha256) => &sig::ECDSA_P384_SHA256_ASN1,
            (Family::Ecdsa, KeyKind::EcP384, Hash::Sha384) => &sig::ECDSA_P384_SHA384_ASN1,
            (Family::Ecdsa, _, Hash::Sha512) => {
                return Err(PkiError::WeakAlgorithm("ECDSA with SHA-512".into()))
            }
            _ => return Err(PkiError::BadSignature),
        };
        Ok(alg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_algorithms_and_parameters() {
        let p = AlgorithmPolicy::default();
        p.check_signature_algorithm(ECDSA_WITH_SHA256).unwrap();
        p.check_signature_algorithm(SHA384_WITH_RSA).unwrap();
        for weak in [
            SHA1_WITH_RSA,
            ECDSA_WITH_SHA1,
            "1.2.840.113549.1.1.4",
            "1.3.101.112",
        ] {
            assert!(
                matches!(
                    p.check_signature_algorithm(weak),
                    Err(PkiError::WeakAlgorithm(_))
                ),
                "{weak}"
            );
        }
        let only_384 = AlgorithmPolicy {
            hashes: vec!["SHA-384".into()],
            ..Default::default()
        };
        assert!(only_384
            .check_signature_algorithm(ECDSA_WITH_SHA256)
            .is_err());
        // RSA: NULL or absent; ECDSA: absent.
        let null = (5u32, vec![]);
        AlgorithmPolicy::check_parameters(SHA256_WITH_RSA, Some(&null)).unwrap();
        AlgorithmPolicy::check_parameters(SHA256_WITH_RSA, None).unwrap();
        AlgorithmPolicy::check_parameters(ECDSA_WITH_SHA256, None).unwrap();
        assert!(AlgorithmPolicy::check_parameters(ECDSA_WITH_SHA256, Some(&null)).is_err());
        assert!(AlgorithmPolicy::check_parameters(SHA256_WITH_RSA, Some(&(5, vec![0]))).is_err());
        assert!(AlgorithmPolicy::check_parameters(SHA256_WITH_RSA, Some(&(16, vec![]))).is_err());
    }
}
