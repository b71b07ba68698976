//! A parsed certificate: the owned facts the rest of the crate checks, and
//! the holder's identity as Vietnamese licensed CAs write it.
use crate::der::{self, *};
use crate::{secs_to_millis, Millis, PkiError};
use sha2::{Digest, Sha256};
use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

/// The public key type, as far as the policy cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyKind {
    Rsa { bits: usize },
    EcP256,
    EcP384,
    Other(String),
}

impl KeyKind {
    pub fn label(&self) -> String {
        match self {
            KeyKind::Rsa { bits } => format!("RSA-{bits}"),
            KeyKind::EcP256 => "ECDSA P-256".into(),
            KeyKind::EcP384 => "ECDSA P-384".into(),
            KeyKind::Other(o) => format!("key {o}"),
        }
    }
}

/// An identifier of the holder written in the subject.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HolderId {
    /// `MST:` — an enterprise or organisation tax code (10 or 13 digits).
    TaxCode(String),
    /// `CCCD:` — the 12-digit personal identification number.
    PersonalId(String),
    /// `CMND:` — the old 9- or 12-digit identity card number.
    OldIdCard(String),
}

impl HolderId {
    pub fn kind(&self) -> &'static str {
        match self {
            HolderId::TaxCode(_) => "tax_code",
            HolderId::PersonalId(_) => "personal_id",
            HolderId::OldIdCard(_) => "old_id_card",
        }
    }
    pub fn value(&self) -> &str {
        match self {
            HolderId::TaxCode(v) | HolderId::PersonalId(v) | HolderId::OldIdCard(v) => v,
        }
    }
}

/// Who the certificate names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// Common name: the person, or the organisation for an organisation cert.
    pub holder_name: Option<String>,
    /// `O=`: the organisation, when the certificate is an organisation's.
    pub organization: Option<String>,
    pub ids: Vec<HolderId>,
}

impl Identity {
    pub fn tax_code(&self) -> Option<&str> {
        self.ids.iter().find_map(|i| match i {
            HolderId::TaxCode(v) => Some(v.as_str()),
            _ => None,
        })
    }
    pub fn personal_id(&self) -> Option<&str> {
        self.ids.iter().find_map(|i| match i {
            HolderId::PersonalId(v) => Some(v.as_str()),
            _ => None,
        })
    }
    /// The identifier the account is bound to: a tax code for an
    /// organisation certificate, the personal ID (or old card) otherwise.
    pub fn primary(&self) -> Option<&HolderId> {
        if self.organization.is_some() {
            if let Some(t) = self.ids.iter().find(|i| matches!(i, HolderId::TaxCode(_))) {
                return Some(t);
            }
        }
        self.ids
            .iter()
            .find(|i| matches!(i, HolderId::PersonalId(_)))
            .or_else(|| {
                self.ids
                    .iter()
                    .find(|i| matches!(i, HolderId::OldIdCard(_)))
            })
            .or_else(|| self.ids.first())
    }
    pub fn is_organization(&self) -> bool {
        matches!(self.primary(), Some(HolderId::TaxCode(_)))
    }
}

/// Key usage bits the validation needs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyUsage {
    pub digital_signature: bool,
    pub non_repudiation: bool,
    pub key_cert_sign: bool,
    pub crl_sign: bool,
}

/// A certificate parsed into owned values. Construct with [`Certificate::from_der`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub der: Vec<u8>,
    pub subject_dn: String,
    pub issuer_dn: String,
    pub(crate) subject_raw: Vec<u8>,
    pub(crate) issuer_raw: Vec<u8>,
    /// Lower-case hex, no leading zero octets.
    pub serial_hex: String,
    pub(crate) serial: Vec<u8>,
    /// The serial's content octets as written (sign included).
    pub(crate) serial_raw: Vec<u8>,
    pub not_before: Millis,
    pub not_after: Millis,
    /// SubjectPublicKeyInfo, DER.
    pub spki_der: Vec<u8>,
    /// Hex SHA-256 of the SubjectPublicKeyInfo (Decree 85/2019 Art. 12(4)
    /// asks the registration record to keep the key; this identifies it).
    pub spki_sha256: String,
    /// Hex SHA-256 of the whole certificate.
    pub fingerprint: String,
    pub key: KeyKind,
    /// The subjectPublicKey BIT STRING content (what `ring` verifies with).
    pub(crate) public_key: Vec<u8>,
    pub(crate) tbs: Vec<u8>,
    pub(crate) sig_alg: String,
    /// The signature algorithm's parameters (tag, content), if any.
    pub(crate) sig_params: Option<(u32, Vec<u8>)>,
    pub(crate) signature: Vec<u8>,
    pub has_basic_constraints: bool,
    /// RFC 5280 §4.2.1.9: a CA certificate MUST mark it critical.
    pub basic_constraints_critical: bool,
    pub is_ca: bool,
    pub path_len: Option<u32>,
    pub key_usage: Option<KeyUsage>,
    /// The extended key usages (dotted OIDs), when the extension is present.
    pub extended_key_usage: Option<Vec<String>>,
    pub ocsp_signing: bool,
    /// The certificate policies asserted (dotted OIDs), when present.
    pub policies: Option<Vec<String>>,
    /// Why the serial number breaks RFC 5280 §4.1.2.2 (negative, zero,
    /// longer than 20 octets), if it does. Refused on the path; anchors
    /// are exempt (they are configured, not presented).
    pub serial_problem: Option<&'static str>,
    /// The certificate's version (1, 2 or 3).
    pub version: u32,
    /// Whether it carries name constraints (only a CA may).
    pub has_name_constraints: bool,
    /// How many attributes its subject has.
    pub subject_attributes: usize,
    pub crl_urls: Vec<String>,
    pub ocsp_urls: Vec<String>,
    /// Critical extensions this crate does not process (a reason to refuse).
    pub unknown_critical: Vec<String>,
    pub identity: Identity,
}

/// Critical extensions understood on the path: the ones `rustls-webpki`
/// processes (key usage, basic constraints, EKU, SAN, name constraints,
/// CRL distribution points) and the ones this crate reads itself.
/// Certificate policies are read here but `rustls-webpki` refuses them when
/// critical, so a critical certificatePolicies still fails the path.
const HANDLED_CRITICAL: &[&str] = &[
    EXT_NAME_CONSTRAINTS,
    EXT_KEY_USAGE,
    EXT_BASIC_CONSTRAINTS,
    EXT_EXTENDED_KEY_USAGE,
    EXT_SUBJECT_ALT_NAME,
    EXT_CERT_POLICIES,
    EXT_SUBJECT_KEY_ID,
    EXT_AUTHORITY_KEY_ID,
    EXT_CRL_DP,
    EXT_AIA,
];

/// Extensions that must parse when present (see `from_der`).
const STRICT_PARSE: &[&str] = &[
    EXT_AIA,
    EXT_CRL_DP,
    EXT_KEY_USAGE,
    EXT_BASIC_CONSTRAINTS,
    EXT_EXTENDED_KEY_USAGE,
    EXT_NAME_CONSTRAINTS,
    EXT_CERT_POLICIES,
];

/// The parameters of an AlgorithmIdentifier: (universal tag number,
/// content octets), if any. `(5, [])` is NULL.
pub(crate) fn raw_params(
    alg: &x509_parser::x509::AlgorithmIdentifier<'_>,
) -> Option<(u32, Vec<u8>)> {
    alg.parameters
        .as_ref()
        .map(|p| (p.header.tag().0, p.data.to_vec()))
}

impl Certificate {
    /// Parses one DER certificate. Trailing bytes are refused.
    pub fn from_der(der: &[u8]) -> Result<Self, PkiError> {
        let (rest, x) = X509Certificate::from_der(der)
            .map_err(|e| PkiError::Malformed(format!("certificate: {e}")))?;
        if !rest.is_empty() {
            return Err(PkiError::Malformed("certificate: trailing bytes".into()));
        }
        // RFC 5280 §4.1.1.2: the signature field inside the signed part
        // must equal the outer signatureAlgorithm (OID and parameters).
        if x.signature_algorithm.algorithm != x.tbs_certificate.signature.algorithm
            || raw_params(&x.signature_algorithm) != raw_params(&x.tbs_certificate.signature)
        {
            return Err(PkiError::Malformed(
                "certificate: signature algorithm differs inside and outside the signed part"
                    .into(),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for ext in x.extensions() {
            if !seen.insert(ext.oid.to_id_string()) {
                return Err(PkiError::Malformed(format!(
                    "certificate: extension {} appears twice",
                    ext.oid.to_id_string()
                )));
            }
        }
        let der = x.as_raw().to_vec();
        let spki = x.public_key();
        let spki_der = spki.raw.to_vec();
        let key = key_kind(spki);
        let mut out = Certificate {
            subject_dn: x.subject().to_string(),
            issuer_dn: x.issuer().to_string(),
            subject_raw: x.subject().as_raw().to_vec(),
            issuer_raw: x.issuer().as_raw().to_vec(),
            serial_hex: der::serial_hex(x.raw_serial()),
            serial: der::trim_integer(x.raw_serial()).to_vec(),
            serial_raw: x.raw_serial().to_vec(),
            not_before: secs_to_millis(x.validity().not_before.timestamp()),
            not_after: secs_to_millis(x.validity().not_after.timestamp()),
            spki_sha256: hex::encode(Sha256::digest(&spki_der)),
            fingerprint: hex::encode(Sha256::digest(&der)),
            spki_der,
            key,
            public_key: spki.subject_public_key.data.to_vec(),
            tbs: x.tbs_certificate.as_ref().to_vec(),
            sig_alg: x.signature_algorithm.algorithm.to_id_string(),
            sig_params: raw_params(&x.signature_algorithm),
            signature: x.signature_value.data.to_vec(),
            has_basic_constraints: false,
            basic_constraints_critical: false,
            is_ca: false,
            path_len: None,
            key_usage: None,
            extended_key_usage: None,
            ocsp_signing: false,
            policies: None,
            serial_problem: der::serial_problem(x.raw_serial()),
            version: x.version().0 + 1,
            has_name_constraints: false,
            subject_attributes: x.subject().iter_attributes().count(),
            crl_urls: Vec::new(),
            ocsp_urls: Vec::new(),
            unknown_critical: Vec::new(),
            identity: identity(&x),
            der,
        };
        for ext in x.extensions() {
            let oid = ext.oid.to_id_string();
            // RFC 5280 §4.2.1.1, §4.2.1.2: the key identifiers MUST NOT be
            // critical.
            if ext.critical && (oid == EXT_AUTHORITY_KEY_ID || oid == EXT_SUBJECT_KEY_ID) {
                return Err(PkiError::Malformed(format!(
                    "certificate: critical key identifier extension {oid}"
                )));
            }
            if ext.critical && !HANDLED_CRITICAL.contains(&oid.as_str()) {
                out.unknown_critical.push(oid.clone());
            }
            match ext.parsed_extension() {
                ParsedExtension::BasicConstraints(bc) => {
                    out.has_basic_constraints = true;
                    out.basic_constraints_critical = ext.critical;
                    out.is_ca = bc.ca;
                    out.path_len = bc.path_len_constraint;
                }
                ParsedExtension::KeyUsage(ku) => {
                    out.key_usage = Some(KeyUsage {
                        digital_signature: ku.digital_signature(),
                        non_repudiation: ku.non_repudiation(),
                        key_cert_sign: ku.key_cert_sign(),
                        crl_sign: ku.crl_sign(),
                    });
                }
                ParsedExtension::ExtendedKeyUsage(eku) => {
                    out.ocsp_signing = eku.ocsp_signing;
                    let mut oids: Vec<String> = Vec::new();
                    for (on, oid) in [
                        (eku.any, "2.5.29.37.0"),
                        (eku.server_auth, "1.3.6.1.5.5.7.3.1"),
                        (eku.client_auth, "1.3.6.1.5.5.7.3.2"),
                        (eku.code_signing, "1.3.6.1.5.5.7.3.3"),
                        (eku.email_protection, "1.3.6.1.5.5.7.3.4"),
                        (eku.time_stamping, "1.3.6.1.5.5.7.3.8"),
                        (eku.ocsp_signing, KP_OCSP_SIGNING),
                    ] {
                        if on {
                            oids.push(oid.to_string());
                        }
                    }
                    oids.extend(eku.other.iter().map(|o| o.to_id_string()));
                    out.extended_key_usage = Some(oids);
                }
                ParsedExtension::NameConstraints(nc) => {
                    // RFC 5280 §4.2.1.10: at least one of the two.
                    if nc.permitted_subtrees.as_ref().is_none_or(Vec::is_empty)
                        && nc.excluded_subtrees.as_ref().is_none_or(Vec::is_empty)
                    {
                        return Err(PkiError::Malformed(
                            "certificate: name constraints with no subtree".into(),
                        ));
                    }
                    out.has_name_constraints = true;
                }
                ParsedExtension::CertificatePolicies(policies) => {
                    out.policies = Some(
                        policies
                            .iter()
                            .map(|p| p.policy_id.to_id_string())
                            .collect(),
                    );
                }
                // A security extension that does not parse is refused, critical
                // or not: dropping it would drop its restriction (a CA whose
                // keyUsage is garbled must not become a CA without one).
                ParsedExtension::ParseError { error } if STRICT_PARSE.contains(&oid.as_str()) => {
                    return Err(PkiError::Malformed(format!(
                        "certificate: extension {oid} does not parse: {error}"
                    )));
                }
                ParsedExtension::CRLDistributionPoints(points) => {
                    for p in points.iter() {
                        if let Some(DistributionPointName::FullName(names)) = &p.distribution_point
                        {
                            out.crl_urls.extend(names.iter().filter_map(uri));
                        }
                    }
                }
                ParsedExtension::AuthorityInfoAccess(aia) => {
                    out.ocsp_urls.extend(
                        aia.iter()
                            .filter(|d| d.access_method.to_id_string() == AD_OCSP)
                            .filter_map(|d| uri(&d.access_location)),
                    );
                }
                ParsedExtension::UnsupportedExtension { .. }
                | ParsedExtension::ParseError { .. }
                    if ext.critical && !out.unknown_critical.contains(&oid) =>
                {
                    out.unknown_critical.push(oid);
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// Parses a PEM bundle or a single DER certificate.
    pub fn parse_many(bytes: &[u8]) -> Result<Vec<Self>, PkiError> {
        let text = std::str::from_utf8(bytes).ok();
        match text {
            Some(t) if t.contains("-----BEGIN CERTIFICATE-----") => pem_blocks(t)
                .into_iter()
                .map(|der| Self::from_der(&der))
                .collect(),
            _ => Ok(vec![Self::from_der(bytes)?]),
        }
    }

    /// Whether the instant lies in the validity period.
    pub fn check_validity(&self, now: Millis) -> Result<(), PkiError> {
        if now < self.not_before {
            return Err(PkiError::NotYetValid);
        }
        if now > self.not_after {
            return Err(PkiError::Expired);
        }
        Ok(())
    }

    pub fn is_self_issued(&self) -> bool {
        self.subject_raw == self.issuer_raw
    }

    /// The serial as big-endian bytes without leading zero octets.
    pub fn serial_bytes(&self) -> &[u8] {
        &self.serial
    }

    /// The key this certificate is looked up by in a CRL (None for a
    /// negative serial, which is refused on the path anyway).
    pub fn serial_key(&self) -> Option<Vec<u8>> {
        der::serial_key(&self.serial_raw)
    }

    pub fn public_key_bytes(&self) -> &[u8] {
        &self.public_key
    }

    pub fn subject_raw(&self) -> &[u8] {
        &self.subject_raw
    }
}

fn uri(name: &GeneralName<'_>) -> Option<String> {
    match name {
        GeneralName::URI(u) if u.starts_with("http://") || u.starts_with("https://") => {
            Some(u.to_string())
        }
        _ => None,
    }
}

fn key_kind(spki: &x509_parser::x509::SubjectPublicKeyInfo<'_>) -> KeyKind {
    let alg = spki.algorithm.algorithm.to_id_string();
    if alg == RSA_ENCRYPTION {
        return match spki.parsed() {
            Ok(PublicKey::RSA(rsa)) => KeyKind::Rsa {
                bits: integer_bits(rsa.modulus),
            },
            _ => KeyKind::Other("malformed RSA".into()),
        };
    }
    if alg == EC_PUBLIC_KEY {
        let curve: Option<&[u8]> = spki.algorithm.parameters.as_ref().map(|p| p.data);
        return match curve {
            Some(c) if c == P256_OID_CONTENT => KeyKind::EcP256,
            Some(c) if c == P384_OID_CONTENT => KeyKind::EcP384,
            _ => KeyKind::Other("EC curve".into()),
        };
    }
    KeyKind::Other(alg)
}

/// Bit length of a big-endian unsigned integer.
fn integer_bits(b: &[u8]) -> usize {
    let b = der::trim_integer(b);
    match b.first() {
        None | Some(0) => 0,
        Some(first) => (b.len() - 1) * 8 + (8 - first.leading_zeros() as usize),
    }
}

fn identity(x: &X509Certificate<'_>) -> Identity {
    let mut id = Identity::default();
    for attr in x.subject().iter_attributes() {
        let oid = attr.attr_type().to_id_string();
        let Ok(value) = attr.as_str() else { continue };
        let value = value.trim();
        match oid.as_str() {
            ATTR_CN if id.holder_name.is_none() => id.holder_name = Some(value.to_string()),
            ATTR_O if id.organization.is_none() => id.organization = Some(value.to_string()),
            _ => {}
        }
        if matches!(
            oid.as_str(),
            ATTR_UID | ATTR_OU | ATTR_SERIAL_NUMBER | ATTR_CN
        ) {
            for part in value.split([',', ';', ' ']) {
                if let Some(h) = holder_id(part) {
                    if !id.ids.contains(&h) {
                        id.ids.push(h);
                    }
                }
            }
        }
    }
    id
}

/// `MST:0101234567`, `CCCD:001203004567`, `CMND:012345678` (case-insensitive
/// prefix); invalid numbers are ignored rather than trusted.
fn holder_id(s: &str) -> Option<HolderId> {
    let (prefix, value) = s.trim().split_once(':')?;
    let value = value.trim();
    match prefix.trim().to_ascii_uppercase().as_str() {
        "MST" => motcua_domain::TaxCode::parse(value)
            .ok()
            .map(|t| HolderId::TaxCode(t.as_str().to_string())),
        "CCCD" => motcua_domain::PersonalId::parse(value)
            .ok()
            .map(|p| HolderId::PersonalId(p.as_str().to_string())),
        "CMND" if matches!(value.len(), 9 | 12) && value.bytes().all(|b| b.is_ascii_digit()) => {
            Some(HolderId::OldIdCard(value.to_string()))
        }
        _ => None,
    }
}

/// The DER bodies of the `CERTIFICATE` blocks of a PEM text.
pub fn pem_blocks(text: &str) -> Vec<Vec<u8>> {
    use base64::Engine;
    let mut out = Vec::new();
    let mut body: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line == "-----BEGIN CERTIFICATE-----" {
            body = Some(String::new());
        } else if line == "-----END CERTIFICATE-----" {
            if let Some(b) = body.take() {
                if let Ok(der) = base64::engine::general_purpose::STANDARD.decode(b) {
                    out.push(der);
                }
            }
        } else if let Some(b) = body.as_mut() {
            b.push_str(line);
        }
    }
    out
}

/// PEM text of one DER certificate.
pub fn to_pem(der: &[u8]) -> String {
    use base64::Engine;
    let b = base64::engine::general_purpose::STANDARD.encode(der);
    let mut s = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b.as_bytes().chunks(64) {
        s.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        s.push('\n');
    }
    s.push_str("-----END CERTIFICATE-----\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holder_ids_as_vietnamese_cas_write_them() {
        assert_eq!(
            holder_id("MST:0101234565"),
            Some(HolderId::TaxCode("0101234565".into()))
        );
        assert_eq!(holder_id("mst: 0101234567"), None, "bad check digit");
        assert_eq!(
            holder_id("CCCD:001203004567"),
            Some(HolderId::PersonalId("001203004567".into()))
        );
        assert_eq!(holder_id("CCCD:999203004567"), None, "no province 999");
        assert_eq!(
            holder_id("CMND:012345678"),
            Some(HolderId::OldIdCard("012345678".into()))
        );
        assert_eq!(holder_id("CMND:01234"), None);
        assert_eq!(holder_id("HC:B1234567"), None);
        assert_eq!(holder_id("0101234567"), None);
    }

    #[test]
    fn bit_lengths() {
        assert_eq!(integer_bits(&[0x00, 0x80, 0, 0]), 24);
        assert_eq!(integer_bits(&[0x01, 0xff]), 9);
        assert_eq!(integer_bits(&[]), 0);
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        for bytes in [&b""[..], b"\x30", b"\x30\x03\x02\x01\x00", b"hello"] {
            assert!(matches!(
                Certificate::from_der(bytes),
                Err(PkiError::Malformed(_))
            ));
        }
    }
}
