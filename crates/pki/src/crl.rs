//! Certificate revocation lists: parsed into owned values, verified against
//! the issuing CA, usable only between `thisUpdate` and `nextUpdate`.
use crate::cert::Certificate;
use crate::der;
use crate::policy::AlgorithmPolicy;
use crate::{secs_to_millis, Millis, PkiError};
use std::collections::HashMap;
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

/// Clock skew tolerated on `thisUpdate`.
pub const SKEW: Millis = 5 * 60 * 1000;

#[derive(Debug, Clone)]
pub struct Crl {
    issuer_raw: Vec<u8>,
    pub issuer_dn: String,
    pub this_update: Millis,
    pub next_update: Option<Millis>,
    /// Revoked serials (no leading zero octets) → revocation date.
    revoked: HashMap<Vec<u8>, Millis>,
    tbs: Vec<u8>,
    sig_alg: String,
    signature: Vec<u8>,
    /// Critical CRL extensions this crate does not process.
    unknown_critical: Vec<String>,
}

const HANDLED_CRITICAL: &[&str] = &[
    "2.5.29.20", // CRL number
    "2.5.29.35", // authority key identifier
    "2.5.29.28", // issuing distribution point (full CRLs only are fetched)
];

impl Crl {
    pub fn from_der(bytes: &[u8]) -> Result<Self, PkiError> {
        let (rest, crl) = CertificateRevocationList::from_der(bytes)
            .map_err(|e| PkiError::Malformed(format!("CRL: {e}")))?;
        if !rest.is_empty() {
            return Err(PkiError::Malformed("CRL: trailing bytes".into()));
        }
        let revoked = crl
            .iter_revoked_certificates()
            .map(|r| {
                (
                    der::trim_integer(r.raw_serial()).to_vec(),
                    secs_to_millis(r.revocation_date.timestamp()),
                )
            })
            .collect();
        let unknown_critical = crl
            .extensions()
            .iter()
            .filter(|e| e.critical)
            .map(|e| e.oid.to_id_string())
            .filter(|o| !HANDLED_CRITICAL.contains(&o.as_str()))
            .collect();
        Ok(Self {
            issuer_raw: crl.issuer().as_raw().to_vec(),
            issuer_dn: crl.issuer().to_string(),
            this_update: secs_to_millis(crl.last_update().timestamp()),
            next_update: crl.next_update().map(|t| secs_to_millis(t.timestamp())),
            revoked,
            tbs: crl.tbs_cert_list.as_ref().to_vec(),
            sig_alg: crl.signature_algorithm.algorithm.to_id_string(),
            signature: crl.signature_value.data.to_vec(),
            unknown_critical,
        })
    }

    /// Checks that `issuer` signed this CRL (signature and name) under the
    /// policy. Freshness is [`Crl::check_fresh`], so a cached CRL can be
    /// re-checked at a later `now` without re-verifying.
    pub fn verify(&self, issuer: &Certificate, policy: &AlgorithmPolicy) -> Result<(), PkiError> {
        if self.issuer_raw != issuer.subject_raw {
            return Err(PkiError::RevocationUnavailable(format!(
                "CRL issued by {}, not {}",
                self.issuer_dn, issuer.subject_dn
            )));
        }
        if let Some(ku) = issuer.key_usage {
            if !ku.crl_sign {
                return Err(PkiError::RevocationUnavailable(format!(
                    "{} may not sign CRLs",
                    issuer.subject_dn
                )));
            }
        }
        if let Some(ext) = self.unknown_critical.first() {
            return Err(PkiError::RevocationUnavailable(format!(
                "CRL has unsupported critical extension {ext}"
            )));
        }
        policy
            .verify_x509(issuer, &self.sig_alg, &self.tbs, &self.signature)
            .map_err(|e| match e {
                PkiError::BadSignature => {
                    PkiError::RevocationUnavailable("CRL signature does not verify".into())
                }
                other => other,
            })
    }

    /// A CRL is usable from `thisUpdate` (less the skew) until `nextUpdate`;
    /// one without `nextUpdate` or past it is stale, and stale fails closed.
    pub fn check_fresh(&self, now: Millis) -> Result<(), PkiError> {
        if self.this_update > now + SKEW {
            return Err(PkiError::RevocationUnavailable(
                "CRL issued in the future".into(),
            ));
        }
        match self.next_update {
            Some(next) if now < next => Ok(()),
            _ => Err(PkiError::RevocationUnavailable(
                "CRL is stale (past nextUpdate)".into(),
            )),
        }
    }

    /// The revocation date when `cert` is listed.
    pub fn revoked_at(&self, cert: &Certificate) -> Option<Millis> {
        self.revoked.get(cert.serial_bytes()).copied()
    }

    pub fn len(&self) -> usize {
        self.revoked.len()
    }

    pub fn is_empty(&self) -> bool {
        self.revoked.is_empty()
    }
}
