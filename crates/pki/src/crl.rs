//! Certificate revocation lists: parsed into owned values, verified against
//! the issuing CA, usable only between `thisUpdate` and `nextUpdate`.
use crate::cert::Certificate;
use crate::der;
use crate::policy::AlgorithmPolicy;
use crate::{secs_to_millis, Millis, PkiError};
use std::collections::HashMap;
use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension};
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
    /// Critical CRL extensions this crate does not process, and critical
    /// entry extensions (certificateIssuer: an indirect CRL).
    unknown_critical: Vec<String>,
    /// The issuingDistributionPoint: which certificates this CRL covers.
    scope: Option<Scope>,
}

/// What an issuingDistributionPoint says (RFC 5280 §5.2.5).
#[derive(Debug, Clone, Default)]
struct Scope {
    /// Its distribution point's URIs (fullName); empty when absent.
    urls: Vec<String>,
    /// The distribution point is a name relative to the issuer, or a
    /// non-URI name: never matched.
    other_names: bool,
    only_user: bool,
    only_ca: bool,
    /// onlySomeReasons, indirectCRL or onlyContainsAttributeCerts: a
    /// partition this crate does not combine, so it never counts as the
    /// certificate's status.
    partial: bool,
}

/// Critical CRL extensions understood: authority key identifier and the
/// issuing distribution point (whose scope [`Crl::check_scope`] checks).
/// The CRL number must not be critical (RFC 5280 §5.2.3): a critical one
/// is refused like any unknown critical extension; so is a delta CRL.
const HANDLED_CRITICAL: &[&str] = &[
    "2.5.29.35", // authority key identifier
    "2.5.29.28", // issuing distribution point
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
            .filter_map(|r| {
                Some((
                    der::serial_key(r.raw_serial())?,
                    secs_to_millis(r.revocation_date.timestamp()),
                ))
            })
            .collect();
        if crl.signature_algorithm.algorithm != crl.tbs_cert_list.signature.algorithm
            || crate::cert::raw_params(&crl.signature_algorithm)
                != crate::cert::raw_params(&crl.tbs_cert_list.signature)
        {
            return Err(PkiError::Malformed(
                "CRL: signature algorithm differs inside and outside the signed part".into(),
            ));
        }
        AlgorithmPolicy::check_parameters(
            &crl.signature_algorithm.algorithm.to_id_string(),
            crate::cert::raw_params(&crl.signature_algorithm).as_ref(),
        )?;
        // RFC 5280 §5.2.3: conforming CRL issuers MUST include it.
        if crl.crl_number().is_none() {
            return Err(PkiError::Malformed("CRL: no CRL number".into()));
        }
        let mut unknown_critical: Vec<String> = crl
            .extensions()
            .iter()
            .filter(|e| e.critical)
            .map(|e| e.oid.to_id_string())
            .filter(|o| !HANDLED_CRITICAL.contains(&o.as_str()))
            .collect();
        for r in crl.iter_revoked_certificates() {
            for e in r.extensions().iter().filter(|e| e.critical) {
                let oid = format!("entry {}", e.oid.to_id_string());
                if !unknown_critical.contains(&oid) {
                    unknown_critical.push(oid);
                }
            }
        }
        let mut scope = None;
        for e in crl.extensions() {
            match e.parsed_extension() {
                ParsedExtension::IssuingDistributionPoint(idp) => {
                    let mut sc = Scope {
                        only_user: idp.only_contains_user_certs,
                        only_ca: idp.only_contains_ca_certs,
                        partial: idp.only_some_reasons.is_some()
                            || idp.indirect_crl
                            || idp.only_contains_attribute_certs,
                        ..Scope::default()
                    };
                    match &idp.distribution_point {
                        Some(DistributionPointName::FullName(names)) => {
                            for n in names {
                                match n {
                                    GeneralName::URI(u) => sc.urls.push(u.to_string()),
                                    _ => sc.other_names = true,
                                }
                            }
                        }
                        Some(DistributionPointName::NameRelativeToCRLIssuer(_)) => {
                            sc.other_names = true
                        }
                        None => {}
                    }
                    scope = Some(sc);
                }
                ParsedExtension::ParseError { error } => {
                    return Err(PkiError::Malformed(format!(
                        "CRL: extension {} does not parse: {error}",
                        e.oid.to_id_string()
                    )))
                }
                _ => {}
            }
        }
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
            scope,
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
        // Every failure here means "no usable CRL": the CRL fallback and a
        // CA's soft_fail apply to it (a weak algorithm included).
        policy
            .verify_x509(issuer, &self.sig_alg, &self.tbs, &self.signature)
            .map_err(|e| match e {
                PkiError::BadSignature => {
                    PkiError::RevocationUnavailable("CRL signature does not verify".into())
                }
                other => PkiError::RevocationUnavailable(format!("CRL signature: {other}")),
            })
    }

    /// Whether this CRL covers `cert` (RFC 5280 §6.3.3 (b)): with an
    /// issuingDistributionPoint, its distribution point must be one the
    /// certificate names, its user/CA restriction must fit, and it must not
    /// be a partition by reasons, an indirect or an attribute CRL.
    pub fn check_scope(&self, cert: &Certificate) -> Result<(), PkiError> {
        let Some(sc) = &self.scope else {
            return Ok(());
        };
        let out = |why: &str| Err(PkiError::RevocationUnavailable(format!("CRL {why}")));
        if sc.partial {
            return out("covers only a partition (reasons, indirect or attribute certificates)");
        }
        if sc.only_user && cert.is_ca {
            return out("covers only end-entity certificates");
        }
        if sc.only_ca && !cert.is_ca {
            return out("covers only CA certificates");
        }
        if sc.other_names && sc.urls.is_empty() {
            return out("names a distribution point this portal cannot match");
        }
        if !sc.urls.is_empty() && !sc.urls.iter().any(|u| cert.crl_urls.contains(u)) {
            return out("is for another distribution point");
        }
        Ok(())
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
        self.revoked.get(&cert.serial_key()?).copied()
    }

    pub fn len(&self) -> usize {
        self.revoked.len()
    }

    pub fn is_empty(&self) -> bool {
        self.revoked.is_empty()
    }
}
