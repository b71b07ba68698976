//! Chain building and path validation (RFC 5280 §6).
//!
//! `rustls-webpki` builds the path and does the RFC 5280 work: names chain,
//! signatures verify (only the algorithms our [`AlgorithmPolicy`] allows),
//! validity at `now`, basic constraints and path length, version 3,
//! duplicate and unknown critical extensions, the signature algorithm
//! inside and outside the signed part, name constraints (anchors' too),
//! loops, and a work budget (100 signature checks and 200,000 path-building
//! steps per validation, then it stops). See docs/PKI.md for why.
//!
//! Our own policy runs in its path callback on every candidate path: key
//! sizes and curves on every certificate (anchor included), the anchor's
//! validity, key usage on issuers (keyCertSign when present) and on the
//! leaf (digitalSignature or nonRepudiation), serial numbers, and
//! certificate policies ([`UsagePolicy::required_policies`]). Extended key
//! usage is checked on every certificate of the path by [`UsagePolicy`].
//!
//! A validated path is remembered with the span of time all its
//! certificates are valid; the same leaf and presented certificates inside
//! that span get the same chain without a new search (nothing else in the
//! decision depends on time). Revocation is checked on every login
//! ([`crate::revocation`]).
use crate::cert::Certificate;
use crate::der::{ANY_POLICY, KP_CLIENT_AUTH};
use crate::policy::AlgorithmPolicy;
use crate::{Millis, PkiError};
use pki_types::{CertificateDer, SignatureVerificationAlgorithm, TrustAnchor, UnixTime};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use webpki::{EndEntityCert, ExtendedKeyUsageValidator, KeyPurposeIdIter};

/// Most attributes in a subject: far above any real one (a Vietnamese
/// certificate has about ten), far below a name-constraint blow-up.
const MAX_SUBJECT_ATTRIBUTES: usize = 64;

/// Most validated paths remembered; the memory starts over when full.
const MAX_REMEMBERED: usize = 100_000;

/// Extended key usages a login or signature certificate may carry, besides
/// the operator's [`UsagePolicy::extra_ekus`]: client authentication,
/// document signing (RFC 9336), Microsoft's and Adobe's document signing.
pub const LOGIN_EKUS: &[(&str, &str)] = &[
    (KP_CLIENT_AUTH, "clientAuth"),
    ("1.3.6.1.5.5.7.3.36", "documentSigning (RFC 9336)"),
    ("1.3.6.1.4.1.311.10.3.12", "Microsoft document signing"),
    ("1.2.840.113583.1.1.5", "Adobe Authentic Documents"),
];

/// Which certificates may log in (config `[identity.usage]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UsagePolicy {
    /// More extended key usages accepted (dotted OIDs), e.g. a licensed
    /// CA's own profile OID. A certificate without the extension may be
    /// used for anything; one with it must list one accepted purpose, and
    /// so must every CA certificate of its path that has the extension.
    pub extra_ekus: Vec<String>,
    /// When not empty, the leaf must assert one of these certificate
    /// policies (dotted OIDs), and every CA certificate on its path that
    /// has a certificatePolicies extension must assert it too or
    /// anyPolicy. Not RFC 5280's whole policy tree: no policy mappings,
    /// no inhibit/require-explicit constraints (docs/PKI.md).
    pub required_policies: Vec<String>,
    /// Extended key usages that replace [`LOGIN_EKUS`] altogether (the
    /// x509-limbo run checks server and client profiles with it). Empty:
    /// the login profile.
    #[serde(skip)]
    pub only_ekus: Vec<String>,
}

impl UsagePolicy {
    fn ekus(&self) -> Result<Vec<Vec<u8>>, PkiError> {
        let base: Vec<&str> = if self.only_ekus.is_empty() {
            LOGIN_EKUS.iter().map(|(o, _)| *o).collect()
        } else {
            self.only_ekus.iter().map(String::as_str).collect()
        };
        base.into_iter()
            .chain(self.extra_ekus.iter().map(String::as_str))
            .map(|o| parse_oid(o).ok_or_else(|| PkiError::Malformed(format!("not an OID: {o}"))))
            .collect()
    }
}

fn parse_oid(s: &str) -> Option<Vec<u8>> {
    let parts: Option<Vec<u64>> = s.trim().split('.').map(|p| p.parse().ok()).collect();
    let parts = parts.filter(|p| p.len() >= 2 && p[0] <= 2 && (p[0] == 2 || p[1] < 40))?;
    // The OID's DER content octets (X.690 §8.19), compared byte for byte
    // with the certificate's.
    let mut out = Vec::new();
    let mut arc = |mut v: u64| {
        let mut tmp = vec![(v & 0x7f) as u8];
        v >>= 7;
        while v > 0 {
            tmp.push(0x80 | (v & 0x7f) as u8);
            v >>= 7;
        }
        out.extend(tmp.iter().rev());
    };
    arc(parts[0].checked_mul(40)?.checked_add(parts[1])?);
    for p in &parts[2..] {
        arc(*p);
    }
    Some(out)
}

/// webpki's EKU hook: an absent extension allows any purpose; a present
/// one must list an accepted purpose (anyExtendedKeyUsage is not one).
struct EkuCheck<'a>(&'a [Vec<u8>]);

impl ExtendedKeyUsageValidator for EkuCheck<'_> {
    fn validate(&self, iter: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        let mut present = Vec::new();
        let mut ok = false;
        for id in iter {
            let id = id?;
            // Compared as encoded octets (KeyPurposeId's equality), not as
            // decoded arcs.
            ok |= self.0.iter().any(|a| id == webpki::KeyPurposeId::new(a));
            present.push(id.to_decoded_oid());
        }
        if present.is_empty() || ok {
            Ok(())
        } else {
            Err(webpki::Error::RequiredEkuNotFoundContext(
                webpki::RequiredEkuNotFoundContext {
                    required: webpki::KeyUsage::client_auth(),
                    present,
                },
            ))
        }
    }
}

/// A remembered validated path: valid for every instant in `from..=until`.
#[derive(Debug, Clone)]
struct Remembered {
    chain: Chain,
    from: Millis,
    until: Millis,
}

#[derive(Debug, Default)]
struct Inner {
    anchors: Vec<Certificate>,
    /// `anchors` as webpki trust anchors, same order.
    trust_anchors: Vec<TrustAnchor<'static>>,
    intermediates: Vec<Certificate>,
    usage: UsagePolicy,
    ekus: Vec<Vec<u8>>,
    remembered: Mutex<HashMap<[u8; 32], Remembered>>,
}

impl Clone for Inner {
    fn clone(&self) -> Self {
        Self {
            anchors: self.anchors.clone(),
            trust_anchors: self.trust_anchors.clone(),
            intermediates: self.intermediates.clone(),
            usage: self.usage.clone(),
            ekus: self.ekus.clone(),
            remembered: Mutex::new(HashMap::new()),
        }
    }
}

/// The operator's trust anchors (the national root and any licensed CA
/// trusted directly) and known intermediates (the licensed CAs under it).
/// Cheap to clone (shared).
#[derive(Debug, Clone)]
pub struct TrustStore {
    inner: Arc<Inner>,
}

impl Default for TrustStore {
    fn default() -> Self {
        Self::new()
    }
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
    fn not_before(&self) -> Millis {
        self.certs.iter().map(|c| c.not_before).max().unwrap_or(0)
    }
}

impl TrustStore {
    pub fn new() -> Self {
        let inner = Inner {
            ekus: UsagePolicy::default().ekus().unwrap_or_default(),
            ..Inner::default()
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    fn inner_mut(&mut self) -> &mut Inner {
        Arc::make_mut(&mut self.inner)
    }

    /// Adds a trust anchor. Refused: a certificate that says it is not a
    /// CA, one whose key usage forbids signing certificates, and one with a
    /// critical extension nothing here understands.
    pub fn add_anchor(&mut self, cert: Certificate) -> Result<(), PkiError> {
        if cert.has_basic_constraints && !cert.is_ca {
            return Err(PkiError::InvalidChain(format!(
                "trust anchor {} is not a CA",
                cert.subject_dn
            )));
        }
        if cert.version >= 3 && !cert.is_ca {
            return Err(PkiError::InvalidChain(format!(
                "trust anchor {} has no basicConstraints with cA",
                cert.subject_dn
            )));
        }
        if cert.key_usage.is_some_and(|ku| !ku.key_cert_sign) {
            return Err(PkiError::InvalidChain(format!(
                "trust anchor {} may not sign certificates",
                cert.subject_dn
            )));
        }
        if let Some(ext) = cert.unknown_critical.first() {
            return Err(PkiError::InvalidChain(format!(
                "trust anchor {} has the unsupported critical extension {ext}",
                cert.subject_dn
            )));
        }
        if self.inner.anchors.contains(&cert) {
            return Ok(());
        }
        let der = CertificateDer::from(cert.der.as_slice());
        let anchor = webpki::anchor_from_trusted_cert(&der)
            .map_err(|e| PkiError::Malformed(format!("trust anchor {}: {e:?}", cert.subject_dn)))?
            .to_owned();
        let inner = self.inner_mut();
        inner.anchors.push(cert);
        inner.trust_anchors.push(anchor);
        inner.remembered = Mutex::default();
        Ok(())
    }

    pub fn add_intermediate(&mut self, cert: Certificate) {
        if !self.inner.intermediates.contains(&cert) {
            let inner = self.inner_mut();
            inner.intermediates.push(cert);
            inner.remembered = Mutex::default();
        }
    }

    /// Sets which extended key usages and policies a login certificate
    /// needs.
    pub fn set_usage(&mut self, usage: UsagePolicy) -> Result<(), PkiError> {
        let ekus = usage.ekus()?;
        for p in &usage.required_policies {
            parse_oid(p).ok_or_else(|| PkiError::Malformed(format!("not an OID: {p}")))?;
        }
        let inner = self.inner_mut();
        inner.usage = usage;
        inner.ekus = ekus;
        inner.remembered = Mutex::default();
        Ok(())
    }

    pub fn anchors(&self) -> &[Certificate] {
        &self.inner.anchors
    }

    pub fn intermediates(&self) -> &[Certificate] {
        &self.inner.intermediates
    }

    pub fn is_empty(&self) -> bool {
        self.inner.anchors.is_empty()
    }

    fn memory_key(
        leaf: &Certificate,
        presented: &[Certificate],
        policy: &AlgorithmPolicy,
    ) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(format!("{policy:?}"));
        h.update(&leaf.der);
        for c in presented {
            h.update((c.der.len() as u64).to_be_bytes());
            h.update(&c.der);
        }
        h.finalize().into()
    }

    /// The chain validated before for exactly these inputs, if `now` lies
    /// where it is still valid. Cheap: no signature, no search.
    pub fn remembered(
        &self,
        leaf: &Certificate,
        presented: &[Certificate],
        now: Millis,
        policy: &AlgorithmPolicy,
    ) -> Option<Chain> {
        self.recall(&Self::memory_key(leaf, presented, policy), now)
    }

    fn recall(&self, key: &[u8; 32], now: Millis) -> Option<Chain> {
        let m = self.inner.remembered.lock().ok()?;
        let r = m.get(key)?;
        (r.from <= now && now <= r.until).then(|| r.chain.clone())
    }

    /// Validates `leaf` at `now`, building a chain from the certificates the
    /// client presented and the store's intermediates up to an anchor.
    /// CPU-bound (bounded by the work budget): call it off the async
    /// workers, as [`crate::Verifier`] does.
    pub fn validate(
        &self,
        leaf: &Certificate,
        presented: &[Certificate],
        now: Millis,
        policy: &AlgorithmPolicy,
    ) -> Result<Chain, PkiError> {
        // One key for the look-up and the insert (it hashes every DER).
        let key = Self::memory_key(leaf, presented, policy);
        if let Some(chain) = self.recall(&key, now) {
            return Ok(chain);
        }
        let chain = self.search(leaf, presented, now, policy)?;
        if let Ok(mut m) = self.inner.remembered.lock() {
            if m.len() >= MAX_REMEMBERED {
                m.clear();
            }
            m.insert(
                key,
                Remembered {
                    from: chain.not_before(),
                    until: chain.not_after(),
                    chain: chain.clone(),
                },
            );
        }
        Ok(chain)
    }

    fn search(
        &self,
        leaf: &Certificate,
        presented: &[Certificate],
        now: Millis,
        policy: &AlgorithmPolicy,
    ) -> Result<Chain, PkiError> {
        let inner = &*self.inner;
        if inner.anchors.iter().any(|a| a.der == leaf.der) || leaf.is_ca {
            return Err(PkiError::NotForSigning(
                "a CA certificate cannot sign in as a user".into(),
            ));
        }
        // Cheap refusals first, with their own words.
        leaf.check_validity(now)?;
        policy.check_key(leaf)?;
        policy.check_signature_algorithm(&leaf.sig_alg)?;
        leaf_key_usage(leaf)?;
        if leaf.has_name_constraints {
            return Err(PkiError::Malformed(format!(
                "name constraints in the end-entity certificate {}",
                leaf.subject_dn
            )));
        }
        if let Some(p) = leaf.serial_problem {
            return Err(PkiError::Malformed(format!("{p} in {}", leaf.subject_dn)));
        }
        let pool: Vec<&Certificate> = presented
            .iter()
            .chain(inner.intermediates.iter())
            .filter(|c| c.der != leaf.der)
            .collect();
        let pool_der: Vec<CertificateDer<'_>> = pool
            .iter()
            .map(|c| CertificateDer::from(c.der.as_slice()))
            .collect();
        let leaf_der = CertificateDer::from(leaf.der.as_slice());
        let ee = EndEntityCert::try_from(&leaf_der).map_err(map_webpki)?;
        let algs = webpki_algorithms(policy);
        let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(
            u64::try_from(now.div_euclid(1000)).unwrap_or(0),
        ));
        // Our policy's verdict on the last candidate path it refused.
        let refused: RefCell<Option<PkiError>> = RefCell::new(None);
        // The accepted path: indices into `pool`, then the anchor's index.
        let found: RefCell<Option<(Vec<usize>, usize)>> = RefCell::new(None);
        let check = |path: &webpki::VerifiedPath<'_>| -> Result<(), webpki::Error> {
            let mut certs: Vec<&Certificate> = vec![leaf];
            let mut picked = Vec::new();
            for c in path.intermediate_certificates() {
                let der = c.der();
                let i = pool
                    .iter()
                    .position(|p| p.der.as_slice() == der.as_ref())
                    .ok_or(webpki::Error::UnknownIssuer)?;
                certs.push(pool[i]);
                picked.push(i);
            }
            let a = inner
                .trust_anchors
                .iter()
                .position(|t| std::ptr::eq(t, path.anchor()))
                .ok_or(webpki::Error::UnknownIssuer)?;
            certs.push(&inner.anchors[a]);
            match check_policy(&certs, now, policy, &inner.usage) {
                Ok(()) => {
                    *found.borrow_mut() = Some((picked, a));
                    Ok(())
                }
                Err(e) => {
                    *refused.borrow_mut() = Some(e);
                    Err(webpki::Error::UnknownIssuer)
                }
            }
        };
        let result = ee.verify_for_usage(
            &algs,
            &inner.trust_anchors,
            &pool_der,
            time,
            EkuCheck(&inner.ekus),
            None,
            Some(&check),
        );
        match result {
            Ok(_) => {
                let (picked, anchor) = found.borrow_mut().take().ok_or_else(|| {
                    PkiError::InvalidChain("path accepted without our policy".into())
                })?;
                let mut certs = vec![leaf.clone()];
                certs.extend(picked.into_iter().map(|i| pool[i].clone()));
                certs.push(inner.anchors[anchor].clone());
                Ok(Chain { certs })
            }
            Err(e) => Err(match refused.borrow_mut().take() {
                Some(ours) if matches!(e, webpki::Error::UnknownIssuer) => ours,
                _ => map_webpki(e),
            }),
        }
    }
}

/// The leaf must be allowed to sign: keyUsage present with
/// digitalSignature or nonRepudiation.
fn leaf_key_usage(leaf: &Certificate) -> Result<(), PkiError> {
    if leaf.key_usage.is_some_and(|ku| ku.key_cert_sign) {
        // RFC 5280 §4.2.1.9: keyCertSign needs cA, which a leaf has not.
        return Err(PkiError::NotForSigning(
            "key usage keyCertSign in a certificate that is not a CA".into(),
        ));
    }
    match leaf.key_usage {
        Some(ku) if ku.digital_signature || ku.non_repudiation => Ok(()),
        Some(_) => Err(PkiError::NotForSigning(
            "key usage has neither digitalSignature nor nonRepudiation".into(),
        )),
        None => Err(PkiError::NotForSigning("no key usage".into())),
    }
}

/// Our policy on a path webpki found valid: `certs` is leaf first, anchor
/// last.
fn check_policy(
    certs: &[&Certificate],
    now: Millis,
    policy: &AlgorithmPolicy,
    usage: &UsagePolicy,
) -> Result<(), PkiError> {
    let last = certs.len() - 1;
    for (i, c) in certs.iter().enumerate() {
        policy.check_key(c)?;
        if c.subject_attributes > MAX_SUBJECT_ATTRIBUTES {
            return Err(PkiError::Malformed(format!(
                "{} attributes in a subject (at most {MAX_SUBJECT_ATTRIBUTES})",
                c.subject_attributes
            )));
        }
        if i > 0 && !c.basic_constraints_critical {
            return Err(PkiError::InvalidChain(format!(
                "{}: basicConstraints of a CA must be critical",
                c.subject_dn
            )));
        }
        if i > 0 && c.subject_raw().len() <= 2 {
            return Err(PkiError::InvalidChain(
                "an issuer with an empty subject".into(),
            ));
        }
        if i != last {
            policy.check_signature_algorithm(&c.sig_alg)?;
        }
        if i == last {
            // The anchor: webpki takes only its name, key and name
            // constraints; its validity is ours to check.
            c.check_validity(now)?;
        } else if let Some(p) = c.serial_problem {
            return Err(PkiError::Malformed(format!("{p} in {}", c.subject_dn)));
        }
        if i > 0 {
            if let Some(ku) = c.key_usage {
                if !ku.key_cert_sign {
                    return Err(PkiError::InvalidChain(format!(
                        "{} may not sign certificates",
                        c.subject_dn
                    )));
                }
            }
        }
    }
    if !usage.required_policies.is_empty() {
        let leaf_policies = certs[0].policies.as_deref().unwrap_or_default();
        let Some(wanted) = usage
            .required_policies
            .iter()
            .find(|p| leaf_policies.contains(p))
        else {
            return Err(PkiError::NotForSigning(format!(
                "the certificate asserts none of the policies {}",
                usage.required_policies.join(", ")
            )));
        };
        for c in &certs[1..] {
            if let Some(ps) = &c.policies {
                if !ps.iter().any(|p| p == wanted || p == ANY_POLICY) {
                    return Err(PkiError::InvalidChain(format!(
                        "{} does not allow the policy {wanted}",
                        c.subject_dn
                    )));
                }
            }
        }
    }
    Ok(())
}

/// webpki's verdict in our words.
fn map_webpki(e: webpki::Error) -> PkiError {
    use webpki::Error as W;
    match e {
        W::CertExpired { .. } => PkiError::Expired,
        W::CertNotValidYet { .. } => PkiError::NotYetValid,
        W::UnknownIssuer | W::InvalidSignatureForPublicKey => {
            PkiError::UntrustedIssuer("no trusted issuer signed this certificate".into())
        }
        W::UnsupportedSignatureAlgorithmContext(_)
        | W::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            PkiError::WeakAlgorithm("signature algorithm or key not accepted".into())
        }
        W::RequiredEkuNotFoundContext(_) | W::EmptyEkuExtension => PkiError::NotForSigning(
            "the extended key usage allows neither client authentication nor document signing"
                .into(),
        ),
        W::EndEntityUsedAsCa => PkiError::InvalidChain("an issuer on the path is not a CA".into()),
        W::PathLenConstraintViolated => {
            PkiError::InvalidChain("path length of an issuing CA exceeded".into())
        }
        W::NameConstraintViolation => {
            PkiError::InvalidChain("outside an issuing CA's name constraints".into())
        }
        W::UnsupportedCriticalExtension => {
            PkiError::InvalidChain("unsupported critical extension on the path".into())
        }
        W::CaUsedAsEndEntity => {
            PkiError::NotForSigning("a CA certificate cannot sign in as a user".into())
        }
        W::MaximumSignatureChecksExceeded
        | W::MaximumPathBuildCallsExceeded
        | W::MaximumPathDepthExceeded
        | W::MaximumNameConstraintComparisonsExceeded => {
            PkiError::InvalidChain("path too long or too costly to build".into())
        }
        W::BadDer
        | W::BadDerTime
        | W::TrailingData(_)
        | W::MalformedExtensions
        | W::ExtensionValueInvalid
        | W::InvalidSerialNumber
        | W::UnsupportedCertVersion
        | W::SignatureAlgorithmMismatch
        | W::InvalidCertValidity => PkiError::Malformed(format!("certificate: {e:?}")),
        other => PkiError::InvalidChain(format!("{other:?}")),
    }
}

/// The algorithms webpki may verify certificate signatures with: those
/// our policy accepts.
pub(crate) fn webpki_algorithms(
    policy: &AlgorithmPolicy,
) -> Vec<&'static dyn SignatureVerificationAlgorithm> {
    use webpki::ring as w;
    let hash = |h: &str| policy.hashes.iter().any(|x| x == h);
    let curve = |c: &str| policy.curves.iter().any(|x| x == c);
    let mut out: Vec<&'static dyn SignatureVerificationAlgorithm> = Vec::new();
    if curve("P-256") && hash("SHA-256") {
        out.push(w::ECDSA_P256_SHA256);
    }
    if curve("P-256") && hash("SHA-384") {
        out.push(w::ECDSA_P256_SHA384);
    }
    if curve("P-384") && hash("SHA-256") {
        out.push(w::ECDSA_P384_SHA256);
    }
    if curve("P-384") && hash("SHA-384") {
        out.push(w::ECDSA_P384_SHA384);
    }
    if hash("SHA-256") {
        out.push(w::RSA_PKCS1_2048_8192_SHA256);
    }
    if hash("SHA-384") {
        out.push(w::RSA_PKCS1_2048_8192_SHA384);
    }
    if hash("SHA-512") {
        out.push(w::RSA_PKCS1_2048_8192_SHA512);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::parse_oid;

    #[test]
    fn oids_encode_as_der_content() {
        assert_eq!(
            parse_oid("1.3.6.1.5.5.7.3.2"),
            Some(vec![0x2b, 6, 1, 5, 5, 7, 3, 2])
        );
        // 2.16.704…: the first octet 0x60, 704 in two base-128 octets.
        assert_eq!(parse_oid("2.16.704.1"), Some(vec![0x60, 0x85, 0x40, 0x01]));
        assert_eq!(
            parse_oid("1.2.840.113549"),
            Some(vec![0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d])
        );
        for bad in ["", "1", "1.40", "3.1", "a.b", "1..2"] {
            assert_eq!(parse_oid(bad), None, "{bad}");
        }
    }
}
