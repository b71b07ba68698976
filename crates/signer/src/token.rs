//! The USB token, through its PKCS#11 module (`cryptoki`, loaded with
//! libloading): list the tokens and their certificates, and sign with the
//! private key that has the same `CKA_ID` as the chosen certificate.
//!
//! A module is loaded and initialised once per process (PKCS#11 allows one
//! `C_Initialize` per process) and kept for the life of the process. Token
//! operations on a module run one at a time: a login applies to every
//! session of the application on that token, so two requests must not
//! interleave their login, sign and logout.
//!
//! Every function here blocks; the server calls them from
//! `tokio::task::spawn_blocking`.

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use sha2::{Digest, Sha256, Sha384};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, X509Certificate};

/// The signature algorithm used for a certificate's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    /// RSA PKCS#1 v1.5 with SHA-256 (`CKM_SHA256_RSA_PKCS`).
    RsaPkcs1Sha256,
    /// ECDSA on P-256 over a SHA-256 digest, DER `ECDSA-Sig-Value`.
    EcdsaP256Sha256,
    /// ECDSA on P-384 over a SHA-384 digest, DER `ECDSA-Sig-Value`.
    EcdsaP384Sha384,
}

impl Alg {
    /// The name in the API (`rsa-pkcs1-sha256`, `ecdsa-p256-sha256`, `ecdsa-p384-sha384`).
    pub fn as_str(self) -> &'static str {
        match self {
            Alg::RsaPkcs1Sha256 => "rsa-pkcs1-sha256",
            Alg::EcdsaP256Sha256 => "ecdsa-p256-sha256",
            Alg::EcdsaP384Sha384 => "ecdsa-p384-sha384",
        }
    }
}

/// What the signer shows of a certificate, parsed with x509-parser.
#[derive(Debug, Clone)]
pub struct CertInfo {
    /// The certificate, DER.
    pub der: Vec<u8>,
    /// SHA-256 of the DER, lower-case hex: the certificate's identity in the UI form.
    pub fingerprint: String,
    /// Subject CN.
    pub subject_cn: Option<String>,
    /// Subject O.
    pub subject_o: Option<String>,
    /// Whole subject DN, RFC 4514 style.
    pub subject: String,
    /// Issuer CN.
    pub issuer_cn: Option<String>,
    /// Whole issuer DN.
    pub issuer: String,
    /// Start of validity.
    pub not_before: OffsetDateTime,
    /// End of validity.
    pub not_after: OffsetDateTime,
    /// basicConstraints cA=true.
    pub is_ca: bool,
    /// keyUsage is absent, or has digitalSignature or nonRepudiation.
    pub usage_allows_signing: bool,
    /// The algorithm its key signs with, if the signer supports the key.
    pub alg: Option<Alg>,
    subject_raw: Vec<u8>,
    issuer_raw: Vec<u8>,
}

impl CertInfo {
    /// Parses a DER certificate; `None` if it is not one.
    pub fn parse(der: &[u8]) -> Option<CertInfo> {
        let (rest, cert) = X509Certificate::from_der(der).ok()?;
        if !rest.is_empty() {
            return None;
        }
        let spki = cert.public_key();
        let alg = if spki.algorithm.algorithm == x509_parser::oid_registry::OID_PKCS1_RSAENCRYPTION
        {
            Some(Alg::RsaPkcs1Sha256)
        } else if spki.algorithm.algorithm == x509_parser::oid_registry::OID_KEY_TYPE_EC_PUBLIC_KEY
        {
            match spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
            {
                Some(c) if c == x509_parser::oid_registry::OID_EC_P256 => {
                    Some(Alg::EcdsaP256Sha256)
                }
                Some(c) if c == x509_parser::oid_registry::OID_NIST_EC_P384 => {
                    Some(Alg::EcdsaP384Sha384)
                }
                _ => None,
            }
        } else {
            None
        };
        Some(CertInfo {
            der: der.to_vec(),
            fingerprint: hex::encode(Sha256::digest(der)),
            subject_cn: first(cert.subject().iter_common_name()),
            subject_o: first(cert.subject().iter_organization()),
            subject: cert.subject().to_string(),
            issuer_cn: first(cert.issuer().iter_common_name()),
            issuer: cert.issuer().to_string(),
            not_before: cert.validity().not_before.to_datetime(),
            not_after: cert.validity().not_after.to_datetime(),
            is_ca: cert.is_ca(),
            usage_allows_signing: match cert.key_usage() {
                Ok(None) => true,
                Ok(Some(ku)) => ku.value.digital_signature() || ku.value.non_repudiation(),
                Err(_) => false,
            },
            alg,
            subject_raw: cert.subject().as_raw().to_vec(),
            issuer_raw: cert.issuer().as_raw().to_vec(),
        })
    }

    /// The fingerprint as upper-case hex pairs joined by `:`.
    pub fn fingerprint_colons(&self) -> String {
        self.fingerprint
            .as_bytes()
            .chunks(2)
            .map(|p| String::from_utf8_lossy(p).to_uppercase())
            .collect::<Vec<_>>()
            .join(":")
    }
}

fn first<'a>(
    mut it: impl Iterator<Item = &'a x509_parser::x509::AttributeTypeAndValue<'a>>,
) -> Option<String> {
    it.next().and_then(|a| a.as_str().ok()).map(str::to_owned)
}

/// A certificate object on a token.
#[derive(Debug, Clone)]
pub struct TokenCert {
    /// The object's `CKA_ID`, shared with its private key.
    pub object_id: Vec<u8>,
    /// The object's `CKA_LABEL`.
    pub object_label: String,
    /// The parsed certificate.
    pub info: CertInfo,
}

/// An initialised token in a slot.
#[derive(Debug, Clone)]
pub struct Token {
    /// The slot id.
    pub slot: u64,
    /// The token label.
    pub label: String,
    /// Every X.509 certificate on the token, sorted by object label then fingerprint.
    pub certs: Vec<TokenCert>,
}

impl Token {
    /// The certificates the user may choose to sign with: a key the signer
    /// supports, a keyUsage (if any) that allows signing, and not a CA
    /// certificate that issued another certificate on the token (that one
    /// is only there for the chain). A self-signed certificate with cA=true
    /// and no keyUsage, as `openssl req -x509` makes, is offered.
    pub fn signing_certs(&self) -> impl Iterator<Item = &TokenCert> {
        self.certs.iter().filter(|c| {
            let i = &c.info;
            i.alg.is_some()
                && i.usage_allows_signing
                && !(i.is_ca
                    && self.certs.iter().any(|o| {
                        o.info.fingerprint != i.fingerprint && o.info.issuer_raw == i.subject_raw
                    }))
        })
    }

    /// The other certificates on this token that issued `leaf`, nearest first.
    pub fn chain_of(&self, leaf: &CertInfo) -> Vec<Vec<u8>> {
        let mut chain: Vec<&CertInfo> = Vec::new();
        let mut current = leaf;
        while chain.len() < 8 && current.subject_raw != current.issuer_raw {
            let next = self.certs.iter().map(|c| &c.info).find(|c| {
                c.subject_raw == current.issuer_raw
                    && c.fingerprint != leaf.fingerprint
                    && !chain.iter().any(|d| d.fingerprint == c.fingerprint)
            });
            match next {
                Some(n) => {
                    chain.push(n);
                    current = n;
                }
                None => break,
            }
        }
        chain.into_iter().map(|c| c.der.clone()).collect()
    }
}

/// A signature made on a token.
#[derive(Debug, Clone)]
pub struct Signed {
    /// The chosen certificate, DER.
    pub certificate: Vec<u8>,
    /// Certificates on the token that issued it, nearest first, DER.
    pub chain: Vec<Vec<u8>>,
    /// The signature (PKCS#1 v1.5 block for RSA, DER ECDSA-Sig-Value for EC).
    pub signature: Vec<u8>,
    /// How it was made.
    pub alg: Alg,
}

/// The module could not be used at all.
#[derive(Debug, thiserror::Error)]
pub enum ModuleError {
    /// `dlopen` or `C_GetFunctionList` failed.
    #[error("cannot load PKCS#11 module {path}: {source}")]
    Load {
        /// The module path.
        path: PathBuf,
        /// What cryptoki said.
        source: CkError,
    },
    /// `C_Initialize` or `C_GetSlotList` failed.
    #[error("PKCS#11 module {path}: {source}")]
    Call {
        /// The module path.
        path: PathBuf,
        /// What cryptoki said.
        source: CkError,
    },
}

/// Why a signature was not made.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// No initialised token is present (or the module is unusable).
    #[error("no token")]
    NoToken,
    /// No certificate on any token has that fingerprint.
    #[error("no such certificate")]
    NoCertificate,
    /// `CKR_PIN_INCORRECT` (or a PIN the token rejects by its form).
    #[error("wrong PIN")]
    WrongPin,
    /// `CKR_PIN_LOCKED`.
    #[error("PIN locked")]
    PinLocked,
    /// Anything else the token or module reported.
    #[error("token error: {0}")]
    Token(String),
}

impl SignError {
    /// The error code in the API.
    pub fn code(&self) -> &'static str {
        match self {
            SignError::NoToken => "no_token",
            SignError::NoCertificate => "no_certificate",
            SignError::WrongPin => "wrong_pin",
            SignError::PinLocked => "pin_locked",
            SignError::Token(_) => "token_error",
        }
    }
}

/// Maps what `C_Login` / `C_Sign` return to what the user is told.
pub fn map_error(e: CkError) -> SignError {
    match e {
        CkError::Pkcs11(RvError::PinIncorrect | RvError::PinInvalid | RvError::PinLenRange, _) => {
            SignError::WrongPin
        }
        CkError::Pkcs11(RvError::PinLocked, _) => SignError::PinLocked,
        CkError::Pkcs11(
            RvError::TokenNotPresent
            | RvError::DeviceRemoved
            | RvError::SlotIdInvalid
            | RvError::TokenNotRecognized,
            _,
        ) => SignError::NoToken,
        other => SignError::Token(other.to_string()),
    }
}

/// A loaded and initialised PKCS#11 module.
#[derive(Debug)]
pub struct Module {
    path: PathBuf,
    ctx: Pkcs11,
    lock: Mutex<()>,
}

static MODULES: OnceLock<Mutex<HashMap<PathBuf, Arc<Module>>>> = OnceLock::new();

/// The module at `path`, loaded and initialised on first use. A failure is
/// not remembered: the next call tries again (the user may install the
/// token's driver while the signer runs).
pub fn module(path: &Path) -> Result<Arc<Module>, ModuleError> {
    let mut map = MODULES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(m) = map.get(path) {
        return Ok(m.clone());
    }
    let ctx = Pkcs11::new(path).map_err(|source| ModuleError::Load {
        path: path.to_owned(),
        source,
    })?;
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(source) => {
            return Err(ModuleError::Call {
                path: path.to_owned(),
                source,
            })
        }
    }
    let m = Arc::new(Module {
        path: path.to_owned(),
        ctx,
        lock: Mutex::new(()),
    });
    map.insert(path.to_owned(), m.clone());
    Ok(m)
}

impl Module {
    fn guard(&self) -> MutexGuard<'_, ()> {
        self.lock.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The library description the module reports, for the start-up log.
    pub fn describe(&self) -> String {
        match self.ctx.get_library_info() {
            Ok(i) => format!(
                "{} ({}) {}.{}",
                i.library_description(),
                i.manufacturer_id(),
                i.library_version().major(),
                i.library_version().minor()
            ),
            Err(e) => e.to_string(),
        }
    }

    /// The initialised tokens present and their certificates, sorted by label.
    pub fn tokens(&self) -> Result<Vec<Token>, ModuleError> {
        let _g = self.guard();
        self.tokens_locked()
    }

    fn tokens_locked(&self) -> Result<Vec<Token>, ModuleError> {
        let slots = self
            .ctx
            .get_slots_with_token()
            .map_err(|source| ModuleError::Call {
                path: self.path.clone(),
                source,
            })?;
        let mut tokens = Vec::new();
        for slot in slots {
            match self.read_token(slot) {
                Ok(Some(t)) => tokens.push(t),
                Ok(None) => {}
                // A token pulled out while we read it, or a broken one:
                // leave it out rather than fail every token.
                Err(e) => tracing::warn!(slot = slot.id(), error = %e, "cannot read token"),
            }
        }
        tokens.sort_by(|a, b| (&a.label, a.slot).cmp(&(&b.label, b.slot)));
        Ok(tokens)
    }

    fn read_token(&self, slot: Slot) -> Result<Option<Token>, CkError> {
        let info = self.ctx.get_token_info(slot)?;
        if !info.token_initialized() {
            return Ok(None);
        }
        let session = self.ctx.open_ro_session(slot)?;
        let mut certs = Vec::new();
        for h in session.find_objects(&[Attribute::Class(ObjectClass::CERTIFICATE)])? {
            if let Some(c) = read_cert(&session, h)? {
                certs.push(c);
            }
        }
        certs.sort_by(|a, b| {
            (&a.object_label, &a.info.fingerprint).cmp(&(&b.object_label, &b.info.fingerprint))
        });
        Ok(Some(Token {
            slot: slot.id(),
            label: info.label().to_owned(),
            certs,
        }))
    }

    /// Signs `data` with the key of the certificate whose SHA-256 fingerprint
    /// (lower-case hex) is `fingerprint`, after logging in with `pin`. The
    /// PIN is dropped right after `C_Login`.
    pub fn sign(&self, fingerprint: &str, pin: AuthPin, data: &[u8]) -> Result<Signed, SignError> {
        let _g = self.guard();
        let tokens = self.tokens_locked().map_err(|_| SignError::NoToken)?;
        if tokens.is_empty() {
            return Err(SignError::NoToken);
        }
        let (token, cert) = tokens
            .iter()
            .find_map(|t| {
                t.signing_certs()
                    .find(|c| c.info.fingerprint == fingerprint)
                    .map(|c| (t, c))
            })
            .ok_or(SignError::NoCertificate)?;
        let alg = cert.info.alg.ok_or(SignError::NoCertificate)?;
        let chain = token.chain_of(&cert.info);
        let slot = Slot::try_from(token.slot).map_err(map_error)?;
        // Do not spend an attempt on a token that says it is locked.
        if self
            .ctx
            .get_token_info(slot)
            .is_ok_and(|i| i.user_pin_locked())
        {
            return Err(SignError::PinLocked);
        }
        let session = self.ctx.open_ro_session(slot).map_err(map_error)?;
        match session.login(UserType::User, Some(&pin)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(e) => return Err(map_error(e)),
        }
        drop(pin);
        let result = sign_with(&session, cert, alg, data);
        if let Err(e) = session.logout() {
            tracing::debug!(error = %e, "logout");
        }
        Ok(Signed {
            certificate: cert.info.der.clone(),
            chain,
            signature: result?,
            alg,
        })
    }
}

fn read_cert(session: &Session, h: ObjectHandle) -> Result<Option<TokenCert>, CkError> {
    let mut value = None;
    let mut id = Vec::new();
    let mut label = String::new();
    for a in session.get_attributes(
        h,
        &[
            AttributeType::Value,
            AttributeType::Id,
            AttributeType::Label,
        ],
    )? {
        match a {
            Attribute::Value(v) => value = Some(v),
            Attribute::Id(v) => id = v,
            Attribute::Label(v) => label = String::from_utf8_lossy(&v).into_owned(),
            _ => {}
        }
    }
    Ok(value
        .as_deref()
        .and_then(CertInfo::parse)
        .map(|info| TokenCert {
            object_id: id,
            object_label: label,
            info,
        }))
}

fn sign_with(
    session: &Session,
    cert: &TokenCert,
    alg: Alg,
    data: &[u8],
) -> Result<Vec<u8>, SignError> {
    let template = if cert.object_id.is_empty() {
        vec![
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::Label(cert.object_label.as_bytes().to_vec()),
        ]
    } else {
        vec![
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::Id(cert.object_id.clone()),
        ]
    };
    let key = session
        .find_objects(&template)
        .map_err(map_error)?
        .into_iter()
        .next()
        .ok_or_else(|| SignError::Token("no private key with the certificate's CKA_ID".into()))?;
    match alg {
        Alg::RsaPkcs1Sha256 => session
            .sign(&Mechanism::Sha256RsaPkcs, key, data)
            .map_err(map_error),
        Alg::EcdsaP256Sha256 => {
            let raw = session
                .sign(&Mechanism::Ecdsa, key, &Sha256::digest(data))
                .map_err(map_error)?;
            ecdsa_raw_to_der(&raw, 32)
        }
        Alg::EcdsaP384Sha384 => {
            let raw = session
                .sign(&Mechanism::Ecdsa, key, &Sha384::digest(data))
                .map_err(map_error)?;
            ecdsa_raw_to_der(&raw, 48)
        }
    }
}

/// Converts PKCS#11's raw `r || s` (each `n` bytes) into the DER
/// `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` of RFC 3279.
pub fn ecdsa_raw_to_der(raw: &[u8], n: usize) -> Result<Vec<u8>, SignError> {
    if raw.len() != 2 * n {
        return Err(SignError::Token(format!(
            "ECDSA signature of {} bytes, expected {}",
            raw.len(),
            2 * n
        )));
    }
    let (r, s) = raw.split_at(n);
    let mut body = der_uint(r);
    body.extend(der_uint(s));
    let mut out = vec![0x30];
    out.extend(der_len(body.len()));
    out.extend(body);
    Ok(out)
}

fn der_uint(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    let mut v = bytes[start..].to_vec();
    if v.first().is_none_or(|&b| b & 0x80 != 0) {
        v.insert(0, 0);
    }
    let mut out = vec![0x02];
    out.extend(der_len(v.len()));
    out.extend(v);
    out
}

fn der_len(len: usize) -> Vec<u8> {
    if len < 0x80 {
        return vec![len as u8];
    }
    let bytes: Vec<u8> = len
        .to_be_bytes()
        .into_iter()
        .skip_while(|&b| b == 0)
        .collect();
    let mut out = vec![0x80 | bytes.len() as u8];
    out.extend(bytes);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use cryptoki::context::Function;

    #[test]
    fn raw_ecdsa_to_der() {
        // High bit set in r: a 0x00 is prepended; leading zeros in s are dropped.
        let mut raw = vec![0x80; 32];
        raw.extend([0u8; 31]);
        raw.push(0x05);
        let der = ecdsa_raw_to_der(&raw, 32).unwrap();
        let mut want = vec![0x30, 2 + 33 + 2 + 1, 0x02, 33, 0x00];
        want.extend([0x80; 32]);
        want.extend([0x02, 1, 0x05]);
        assert_eq!(der, want);
        // s = 0 encodes as a single zero byte.
        let der = ecdsa_raw_to_der(&[[1u8; 48], [0u8; 48]].concat(), 48).unwrap();
        assert_eq!(&der[der.len() - 3..], &[0x02, 1, 0]);
        assert!(ecdsa_raw_to_der(&[1u8; 63], 32).is_err());
        // P-521 sizes need the long length form.
        let der = ecdsa_raw_to_der(&[0xffu8; 132], 66).unwrap();
        assert_eq!(&der[..3], &[0x30, 0x81, 2 * (2 + 67)]);
    }

    #[test]
    fn pin_errors_map_to_user_messages() {
        let e = |rv| CkError::Pkcs11(rv, Function::Login);
        assert_eq!(map_error(e(RvError::PinIncorrect)).code(), "wrong_pin");
        assert_eq!(map_error(e(RvError::PinLenRange)).code(), "wrong_pin");
        assert_eq!(map_error(e(RvError::PinLocked)).code(), "pin_locked");
        assert_eq!(map_error(e(RvError::TokenNotPresent)).code(), "no_token");
        assert_eq!(map_error(e(RvError::DeviceRemoved)).code(), "no_token");
        assert_eq!(map_error(e(RvError::GeneralError)).code(), "token_error");
    }

    fn cert(
        cn: &str,
        ca: bool,
        ku: &[rcgen::KeyUsagePurpose],
        issuer: Option<&rcgen::Issuer<'_, &rcgen::KeyPair>>,
        key: &rcgen::KeyPair,
    ) -> TokenCert {
        let mut p = rcgen::CertificateParams::default();
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.distinguished_name.push(rcgen::DnType::CommonName, cn);
        if ca {
            p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        }
        p.key_usages = ku.to_vec();
        let der = match issuer {
            Some(i) => p.signed_by(key, i).unwrap(),
            None => p.self_signed(key).unwrap(),
        };
        TokenCert {
            object_id: vec![1],
            object_label: cn.into(),
            info: CertInfo::parse(der.der()).unwrap(),
        }
    }

    #[test]
    fn which_certificates_are_offered() {
        use rcgen::KeyUsagePurpose::*;
        let gen = |alg| rcgen::KeyPair::generate_for(alg).unwrap();
        let ca_key = gen(&rcgen::PKCS_ECDSA_P256_SHA256);
        let mut ca_params = rcgen::CertificateParams::default();
        ca_params.distinguished_name = rcgen::DistinguishedName::new();
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "CA with no keyUsage");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = cert("CA with no keyUsage", true, &[], None, &ca_key);
        let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);
        let leaf = cert(
            "leaf",
            false,
            &[DigitalSignature],
            Some(&issuer),
            &gen(&rcgen::PKCS_ECDSA_P384_SHA384),
        );
        let self_signed = cert(
            "openssl req -x509",
            true,
            &[],
            None,
            &gen(&rcgen::PKCS_ECDSA_P256_SHA256),
        );
        let encipher_only = cert(
            "encryption",
            false,
            &[KeyEncipherment],
            None,
            &gen(&rcgen::PKCS_ECDSA_P256_SHA256),
        );
        let non_rep = cert(
            "non-repudiation",
            false,
            &[ContentCommitment],
            None,
            &gen(&rcgen::PKCS_ED25519),
        );
        let root = cert(
            "root",
            true,
            &[KeyCertSign, CrlSign],
            None,
            &gen(&rcgen::PKCS_ECDSA_P256_SHA256),
        );
        let token = Token {
            slot: 1,
            label: "t".into(),
            certs: vec![
                ca.clone(),
                leaf.clone(),
                self_signed,
                encipher_only,
                non_rep,
                root,
            ],
        };
        let offered: Vec<&str> = token
            .signing_certs()
            .map(|c| c.object_label.as_str())
            .collect();
        // The CA issued the leaf; Ed25519 is not supported; the root and the
        // encryption certificate may not sign.
        assert_eq!(offered, ["leaf", "openssl req -x509"]);
        assert_eq!(leaf.info.alg, Some(Alg::EcdsaP384Sha384));
        assert_eq!(token.chain_of(&leaf.info), vec![ca.info.der.clone()]);
        assert_eq!(leaf.info.subject_cn.as_deref(), Some("leaf"));
        assert_eq!(leaf.info.issuer_cn.as_deref(), Some("CA with no keyUsage"));
        assert_eq!(leaf.info.fingerprint_colons().len(), 32 * 3 - 1);
    }

    #[test]
    fn a_missing_module_is_an_error_not_a_panic() {
        let e = module(Path::new("/nonexistent/libnothing.so")).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/libnothing.so"), "{e}");
    }
}
