//! Chain building and path validation (RFC 5280 §6, the parts a signing
//! certificate needs): names chain, signatures verify under the algorithm
//! policy, every certificate is valid at `now`, issuers are CAs allowed to
//! sign certificates within their path length, the leaf may sign.
use crate::cert::Certificate;
use crate::policy::AlgorithmPolicy;
use crate::{Millis, PkiError};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// Longest chain accepted, anchor included.
const MAX_DEPTH: usize = 6;

/// Most certificate signatures remembered as verified; the set starts over
/// when full.
const MAX_KNOWN_SIGNATURES: usize = 100_000;

/// Certificate signatures already verified: (certificate fingerprint,
/// issuer key hash). Only the public-key operation is skipped for these;
/// validity, constraints, key usage, policy and revocation are checked on
/// every validation.
#[derive(Debug, Clone, Default)]
struct KnownSignatures(Arc<Mutex<HashSet<(String, String)>>>);

impl KnownSignatures {
    fn key(child: &Certificate, issuer: &Certificate) -> (String, String) {
        (child.fingerprint.clone(), issuer.spki_sha256.clone())
    }
    fn contains(&self, child: &Certificate, issuer: &Certificate) -> bool {
        self.0
            .lock()
            .map(|s| s.contains(&Self::key(child, issuer)))
            .unwrap_or(false)
    }
    fn insert(&self, child: &Certificate, issuer: &Certificate) {
        if let Ok(mut s) = self.0.lock() {
            if s.len() >= MAX_KNOWN_SIGNATURES {
                s.clear();
            }
            s.insert(Self::key(child, issuer));
        }
    }
}

/// The operator's trust anchors (the national root and any licensed CA
/// trusted directly) and known intermediates (the licensed CAs under it).
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    anchors: Vec<Certificate>,
    intermediates: Vec<Certificate>,
    known: KnownSignatures,
}

/// A validated chain: the leaf first, the trust anchor last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    pub certs: Vec<Certificate>,
}

impl Chain {
    pub fn leaf(&self) -> &Certificate {
        &self.certs[0]
    }
    pub fn anchor(&self) -> &Certificate {
        &self.certs[self.certs.len() - 1]
    }
    /// Pairs (certificate, its issuer) that need a revocation check: all
    /// but the anchor.
    pub fn links(&self) -> impl Iterator<Item = (&Certificate, &Certificate)> {
        self.certs.windows(2).map(|w| (&w[0], &w[1]))
    }
    /// The earliest `not_after` in the chain.
    pub fn not_after(&self) -> Millis {
        self.certs.iter().map(|c| c.not_after).min().unwrap_or(0)
    }
}

impl TrustStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add_anchor(&mut self, cert: Certificate) -> Result<(), PkiError> {
        if cert.has_basic_constraints && !cert.is_ca {
            return Err(PkiError::InvalidChain(format!(
                "trust anchor {} is not a CA",
                cert.subject_dn
            )));
        }
        if !self.anchors.contains(&cert) {
            self.anchors.push(cert);
        }
        Ok(())
    }

    pub fn add_intermediate(&mut self, cert: Certificate) {
        if !self.intermediates.contains(&cert) {
            self.intermediates.push(cert);
        }
    }

    pub fn anchors(&self) -> &[Certificate] {
        &self.anchors
    }

    pub fn intermediates(&self) -> &[Certificate] {
        &self.intermediates
    }

    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }

    /// Validates `leaf` at `now`, building a chain from the certificates the
    /// client presented and the store's intermediates up to an anchor.
    pub fn validate(
        &self,
        leaf: &Certificate,
        presented: &[Certificate],
        now: Millis,
        policy: &AlgorithmPolicy,
    ) -> Result<Chain, PkiError> {
        if self.anchors.iter().any(|a| a.der == leaf.der) || leaf.is_ca {
            return Err(PkiError::NotForSigning(
                "a CA certificate cannot sign in as a user".into(),
            ));
        }
        check_common(leaf, now, policy)?;
        match leaf.key_usage {
            Some(ku) if ku.digital_signature || ku.non_repudiation => {}
            Some(_) => {
                return Err(PkiError::NotForSigning(
                    "key usage has neither digitalSignature nor nonRepudiation".into(),
                ))
            }
            None => return Err(PkiError::NotForSigning("no key usage".into())),
        }
        let pool: Vec<&Certificate> = presented
            .iter()
            .chain(self.intermediates.iter())
            .filter(|c| c.der != leaf.der)
            .collect();
        let mut chain = vec![leaf];
        self.extend(&mut chain, &pool, now, policy)?;
        Ok(Chain {
            certs: chain.into_iter().cloned().collect(),
        })
    }

    fn extend<'a>(
        &'a self,
        chain: &mut Vec<&'a Certificate>,
        pool: &[&'a Certificate],
        now: Millis,
        policy: &AlgorithmPolicy,
    ) -> Result<(), PkiError> {
        let current = chain[chain.len() - 1];
        if chain.len() >= MAX_DEPTH {
            return Err(PkiError::InvalidChain("chain too long".into()));
        }
        let mut best: Option<PkiError> = None;
        for anchor in self
            .anchors
            .iter()
            .filter(|a| a.subject_raw == current.issuer_raw)
        {
            match check_link(current, anchor, chain.len(), now, policy, &self.known) {
                Ok(()) => {
                    chain.push(anchor);
                    return Ok(());
                }
                Err(e) => best = Some(prefer(best, e)),
            }
        }
        for &ca in pool.iter().filter(|c| c.subject_raw == current.issuer_raw) {
            if chain.iter().any(|c| c.der == ca.der) {
                continue;
            }
            let step = check_link(current, ca, chain.len(), now, policy, &self.known)
                .and_then(|()| check_common(ca, now, policy));
            match step {
                Ok(()) => {
                    chain.push(ca);
                    match self.extend(chain, pool, now, policy) {
                        Ok(()) => return Ok(()),
                        Err(e) => {
                            chain.pop();
                            best = Some(prefer(best, e));
                        }
                    }
                }
                Err(e) => best = Some(prefer(best, e)),
            }
        }
        Err(best.unwrap_or_else(|| {
            PkiError::UntrustedIssuer(format!("no trusted issuer for {}", current.issuer_dn))
        }))
    }
}

/// Checks every certificate of the chain gets, the anchor's excepted.
fn check_common(c: &Certificate, now: Millis, policy: &AlgorithmPolicy) -> Result<(), PkiError> {
    c.check_validity(now)?;
    policy.check_key(c)?;
    if let Some(ext) = c.unknown_critical.first() {
        return Err(PkiError::InvalidChain(format!(
            "unsupported critical extension {ext} in {}",
            c.subject_dn
        )));
    }
    Ok(())
}

/// `issuer` may have issued `child`; `below` counts the certificates under
/// `issuer` in the chain (the leaf included).
fn check_link(
    child: &Certificate,
    issuer: &Certificate,
    below: usize,
    now: Millis,
    policy: &AlgorithmPolicy,
    known: &KnownSignatures,
) -> Result<(), PkiError> {
    issuer.check_validity(now)?;
    if !issuer.is_ca && issuer.has_basic_constraints {
        return Err(PkiError::InvalidChain(format!(
            "{} is not a CA",
            issuer.subject_dn
        )));
    }
    if !issuer.has_basic_constraints && !issuer.is_self_issued() {
        return Err(PkiError::InvalidChain(format!(
            "{} has no basic constraints",
            issuer.subject_dn
        )));
    }
    if let Some(ku) = issuer.key_usage {
        if !ku.key_cert_sign {
            return Err(PkiError::InvalidChain(format!(
                "{} may not sign certificates",
                issuer.subject_dn
            )));
        }
    }
    // Intermediates under `issuer`: everything below but the leaf.
    if let Some(max) = issuer.path_len {
        if below.saturating_sub(1) > max as usize {
            return Err(PkiError::InvalidChain(format!(
                "path length of {} exceeded",
                issuer.subject_dn
            )));
        }
    }
    let seen = known.contains(child, issuer);
    match policy.verify_x509_cached(issuer, &child.sig_alg, &child.tbs, &child.signature, seen) {
        Ok(()) => {
            if !seen {
                known.insert(child, issuer);
            }
            Ok(())
        }
        Err(PkiError::BadSignature) => Err(PkiError::UntrustedIssuer(format!(
            "{} is not signed by the trusted {}",
            child.subject_dn, issuer.subject_dn
        ))),
        Err(e) => Err(e),
    }
}

/// Keeps the more telling of two errors: anything beats "untrusted".
fn prefer(old: Option<PkiError>, new: PkiError) -> PkiError {
    match old {
        Some(o) if !matches!(o, PkiError::UntrustedIssuer(_)) => o,
        _ => new,
    }
}
