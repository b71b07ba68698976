//! The agency's seal: result documents signed with the agency's key, as a
//! detached CMS `SignedData` (RFC 5652, the `.p7s` every tool reads), and
//! the verification of such a signature.
//!
//! The key stays on a PKCS#11 token ([`Seals::pkcs11`]: one certificate
//! and private key per agency, found by the object label = the agency's
//! code, or the label `default`); a software key ([`Seals::software`]) is
//! for the demo without SoftHSM2 only. The signature covers the signed
//! attributes content-type `data`, `messageDigest` (SHA-256 of the
//! document) and `signingTime`, so a document is signed by its digest
//! alone (the bytes need not be read again). Algorithms: ECDSA P-256 with
//! SHA-256 and RSA PKCS#1 v1.5 with SHA-256.
//!
//! Verified here: the structure, that the document's digest is the signed
//! one, that the signer's certificate is in the message and named by the
//! signer identifier, and the signature with that certificate's key under
//! the algorithm policy. Not checked here: whether the certificate is
//! trusted — the caller compares it with the seals it knows (the portal
//! keeps, per signed document, the fingerprint it signed with).
use crate::{AlgorithmPolicy, Certificate, KeyKind, Millis, PkiError};
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, ObjectClass};
use cryptoki::session::UserType;
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

const OID_SIGNED_DATA: &[u8] = &[
    0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02,
];
const OID_DATA: &[u8] = &[
    0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01,
];
const OID_SHA256: &[u8] = &[
    0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
];
const OID_CONTENT_TYPE: &[u8] = &[
    0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x03,
];
const OID_MESSAGE_DIGEST: &[u8] = &[
    0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x04,
];
const OID_SIGNING_TIME: &[u8] = &[
    0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x05,
];
const OID_ECDSA_SHA256: &[u8] = &[0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02];
const OID_RSA_SHA256: &[u8] = &[
    0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B,
];
const OID_RSA: &[u8] = &[
    0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01,
];

/// Why a seal could not sign or a signature does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("signing key: {0}")]
    Key(String),
    #[error("not a detached CMS signature: {0}")]
    Malformed(String),
    #[error("the signature is not over this document")]
    OtherDocument,
    #[error(transparent)]
    Pki(#[from] PkiError),
}

/// A private key that signs with SHA-256, returning the signature as CMS
/// carries it (DER `ECDSA-Sig-Value`, or the RSA signature octets).
pub trait SealKey: Send + Sync {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SealError>;
}

/// One agency's certificate (first) with the CA certificates above it, and
/// its key.
#[derive(Clone)]
pub struct Seal {
    pub chain: Vec<Certificate>,
    key: Arc<dyn SealKey>,
}

impl std::fmt::Debug for Seal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Seal")
            .field("subject", &self.certificate().subject_dn)
            .finish()
    }
}

impl Seal {
    pub fn new(chain: Vec<Certificate>, key: Arc<dyn SealKey>) -> Result<Seal, SealError> {
        let leaf = chain
            .first()
            .ok_or_else(|| SealError::Key("no certificate".into()))?;
        if !matches!(leaf.key, KeyKind::EcP256 | KeyKind::Rsa { .. }) {
            return Err(SealError::Key(format!(
                "{} is not ECDSA P-256 or RSA",
                leaf.key.label()
            )));
        }
        Ok(Seal { chain, key })
    }

    /// The agency's certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.chain[0]
    }

    /// A detached CMS SignedData over the document whose SHA-256 is
    /// `digest` (32 bytes), signed at `at`.
    pub fn sign_digest(&self, digest: &[u8], at: Millis) -> Result<Vec<u8>, SealError> {
        if digest.len() != 32 {
            return Err(SealError::Key("a SHA-256 digest has 32 bytes".into()));
        }
        let leaf = self.certificate();
        let attrs = set_of(vec![
            tlv(0x30, &[OID_CONTENT_TYPE, &tlv(0x31, OID_DATA)].concat()),
            tlv(
                0x30,
                &[OID_SIGNING_TIME, &tlv(0x31, &time_der(at))].concat(),
            ),
            tlv(
                0x30,
                &[OID_MESSAGE_DIGEST, &tlv(0x31, &tlv(0x04, digest))].concat(),
            ),
        ]);
        let signature = self.key.sign(&attrs)?;
        let sig_alg = match leaf.key {
            KeyKind::Rsa { .. } => tlv(0x30, &[OID_RSA_SHA256, &[0x05, 0x00]].concat()),
            _ => tlv(0x30, OID_ECDSA_SHA256),
        };
        let sha256 = tlv(0x30, &[OID_SHA256, &[0x05, 0x00]].concat());
        // The signed attributes as [0] IMPLICIT: same content, other tag.
        let mut implicit = attrs.clone();
        implicit[0] = 0xA0;
        let signer_info = tlv(
            0x30,
            &[
                &[0x02, 0x01, 0x01][..],
                &tlv(
                    0x30,
                    &[&leaf.issuer_raw[..], &tlv(0x02, &leaf.serial_raw)].concat(),
                ),
                &sha256,
                &implicit,
                &sig_alg,
                &tlv(0x04, &signature),
            ]
            .concat(),
        );
        let certs: Vec<Vec<u8>> = self.chain.iter().map(|c| c.der.clone()).collect();
        let mut certs = set_of(certs);
        certs[0] = 0xA0;
        let signed_data = tlv(
            0x30,
            &[
                &[0x02, 0x01, 0x01][..],
                &tlv(0x31, &sha256),
                &tlv(0x30, OID_DATA),
                &certs,
                &tlv(0x31, &signer_info),
            ]
            .concat(),
        );
        Ok(tlv(
            0x30,
            &[OID_SIGNED_DATA, &tlv(0xA0, &signed_data)].concat(),
        ))
    }

    /// A detached CMS SignedData over `content`.
    pub fn sign(&self, content: &[u8], at: Millis) -> Result<Vec<u8>, SealError> {
        self.sign_digest(&Sha256::digest(content), at)
    }
}

/// The seals of the portal's agencies: by agency code, and a default.
#[derive(Clone, Debug, Default)]
pub struct Seals {
    by_label: BTreeMap<String, Seal>,
}

/// The label of the seal used for an agency without its own.
pub const DEFAULT_LABEL: &str = "default";

impl Seals {
    /// One seal under each label.
    pub fn new(seals: impl IntoIterator<Item = (String, Seal)>) -> Seals {
        Seals {
            by_label: seals.into_iter().collect(),
        }
    }

    /// The seal an agency signs with: its own, else the default.
    pub fn for_agency(&self, agency: &str) -> Option<&Seal> {
        self.by_label
            .get(agency)
            .or_else(|| self.by_label.get(DEFAULT_LABEL))
    }

    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.by_label.keys().map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.by_label.is_empty()
    }

    /// Every certificate (with its chain) and private key on the token
    /// labelled `token` of the PKCS#11 module at `module`, each under its
    /// object label (CKA_LABEL, shared by the certificate and its key).
    /// CA certificates on the token (no private key) complete the chains.
    pub fn pkcs11(module: &Path, token: &str, pin: &str) -> Result<Seals, SealError> {
        let ck = |e: CkError| SealError::Key(format!("{}: {e}", module.display()));
        let ctx = Pkcs11::new(module).map_err(ck)?;
        match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
            Err(e) => return Err(ck(e)),
        }
        let mut slot = None;
        for s in ctx.get_slots_with_token().map_err(ck)? {
            if ctx.get_token_info(s).map_err(ck)?.label() == token {
                slot = Some(s);
            }
        }
        let slot = slot.ok_or_else(|| SealError::Key(format!("no token labelled {token:?}")))?;
        let session = ctx.open_ro_session(slot).map_err(ck)?;
        let pin_ = AuthPin::from(pin.to_string());
        match session.login(UserType::User, Some(&pin_)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(e) => return Err(ck(e)),
        }
        let mut certs: Vec<(String, Certificate)> = Vec::new();
        for h in session
            .find_objects(&[Attribute::Class(ObjectClass::CERTIFICATE)])
            .map_err(ck)?
        {
            let mut label = String::new();
            let mut value = None;
            for a in session
                .get_attributes(h, &[AttributeType::Label, AttributeType::Value])
                .map_err(ck)?
            {
                match a {
                    Attribute::Label(v) => label = String::from_utf8_lossy(&v).into_owned(),
                    Attribute::Value(v) => value = Some(v),
                    _ => {}
                }
            }
            if let Some(der) = value {
                certs.push((label, Certificate::from_der(&der)?));
            }
        }
        let mut keys = Vec::new();
        for h in session
            .find_objects(&[Attribute::Class(ObjectClass::PRIVATE_KEY)])
            .map_err(ck)?
        {
            for a in session
                .get_attributes(h, &[AttributeType::Label])
                .map_err(ck)?
            {
                if let Attribute::Label(v) = a {
                    keys.push(String::from_utf8_lossy(&v).into_owned());
                }
            }
        }
        let _ = session.logout();
        drop(session);
        let token = Arc::new(Token {
            ctx,
            slot,
            pin: pin.to_string(),
            lock: Mutex::new(()),
        });
        let cas: Vec<Certificate> = certs
            .iter()
            .filter(|(l, _)| !keys.contains(l))
            .map(|(_, c)| c.clone())
            .collect();
        let mut seals = Vec::new();
        for (label, leaf) in certs.into_iter().filter(|(l, _)| keys.contains(l)) {
            let chain = chain_of(leaf, &cas);
            let key = Arc::new(TokenKey {
                token: token.clone(),
                label: label.clone(),
                rsa: matches!(chain[0].key, KeyKind::Rsa { .. }),
            });
            seals.push((label, Seal::new(chain, key)?));
        }
        if seals.is_empty() {
            return Err(SealError::Key(format!(
                "no certificate with a private key of the same label on {token:?}",
                token = token_label(&token)
            )));
        }
        Ok(Seals::new(seals))
    }

    /// A seal from a PKCS#8 private key (PEM, ECDSA P-256 or RSA) and its
    /// certificate chain (PEM, the agency's first): for the demo without
    /// a token. Labelled [`DEFAULT_LABEL`].
    pub fn software(key_pem: &str, chain_pem: &str) -> Result<Seals, SealError> {
        let key =
            pkcs8_pem(key_pem).ok_or_else(|| SealError::Key("no PKCS#8 PEM private key".into()))?;
        let chain = Certificate::parse_many(chain_pem.as_bytes())?;
        let first = chain
            .first()
            .ok_or_else(|| SealError::Key("no certificate".into()))?;
        let rng = ring::rand::SystemRandom::new();
        let key: Arc<dyn SealKey> = match first.key {
            KeyKind::Rsa { .. } => Arc::new(SoftKey::Rsa(
                ring::signature::RsaKeyPair::from_pkcs8(&key)
                    .map_err(|e| SealError::Key(e.to_string()))?,
            )),
            _ => Arc::new(SoftKey::Ecdsa(
                ring::signature::EcdsaKeyPair::from_pkcs8(
                    &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                    &key,
                    &rng,
                )
                .map_err(|e| SealError::Key(e.to_string()))?,
            )),
        };
        Ok(Seals::new([(
            DEFAULT_LABEL.to_string(),
            Seal::new(chain, key)?,
        )]))
    }
}

/// The DER body of the first `PRIVATE KEY` block (PKCS#8).
fn pkcs8_pem(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let start = text.find("-----BEGIN PRIVATE KEY-----")? + 27;
    let end = start + text[start..].find("-----END PRIVATE KEY-----")?;
    let body: String = text[start..end].split_whitespace().collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

fn token_label(t: &Token) -> String {
    t.ctx
        .get_token_info(t.slot)
        .map(|i| i.label().to_string())
        .unwrap_or_default()
}

/// The certificates above `leaf` among `cas`, by subject and issuer names.
fn chain_of(leaf: Certificate, cas: &[Certificate]) -> Vec<Certificate> {
    let mut chain = vec![leaf];
    while chain.len() < 8 {
        let last = &chain[chain.len() - 1];
        if last.is_self_issued() {
            break;
        }
        match cas.iter().find(|c| c.subject_raw == last.issuer_raw) {
            Some(c) if !chain.contains(c) => chain.push(c.clone()),
            _ => break,
        }
    }
    chain
}

struct Token {
    ctx: Pkcs11,
    slot: Slot,
    pin: String,
    /// One signature at a time: the login state is the token's.
    lock: Mutex<()>,
}

struct TokenKey {
    token: Arc<Token>,
    label: String,
    rsa: bool,
}

impl SealKey for TokenKey {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SealError> {
        let ck = |e: CkError| SealError::Key(e.to_string());
        let t = &self.token;
        let _g = t.lock.lock().unwrap_or_else(|e| e.into_inner());
        let session = t.ctx.open_ro_session(t.slot).map_err(ck)?;
        match session.login(UserType::User, Some(&AuthPin::from(t.pin.clone()))) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(e) => return Err(ck(e)),
        }
        let key = session
            .find_objects(&[
                Attribute::Class(ObjectClass::PRIVATE_KEY),
                Attribute::Label(self.label.as_bytes().to_vec()),
            ])
            .map_err(ck)?
            .into_iter()
            .next()
            .ok_or_else(|| SealError::Key(format!("no private key {:?}", self.label)))?;
        let signed = if self.rsa {
            session.sign(&Mechanism::Sha256RsaPkcs, key, message)
        } else {
            session
                .sign(&Mechanism::Ecdsa, key, &Sha256::digest(message))
                .map(|raw| ecdsa_der(&raw))
        };
        let _ = session.logout();
        signed.map_err(ck)
    }
}

enum SoftKey {
    Ecdsa(ring::signature::EcdsaKeyPair),
    Rsa(ring::signature::RsaKeyPair),
}

impl SealKey for SoftKey {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SealError> {
        let rng = ring::rand::SystemRandom::new();
        match self {
            SoftKey::Ecdsa(k) => k
                .sign(&rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|e| SealError::Key(e.to_string())),
            SoftKey::Rsa(k) => {
                let mut sig = vec![0; k.public().modulus_len()];
                k.sign(&ring::signature::RSA_PKCS1_SHA256, &rng, message, &mut sig)
                    .map_err(|e| SealError::Key(e.to_string()))?;
                Ok(sig)
            }
        }
    }
}

/// PKCS#11's raw `r || s` as DER `ECDSA-Sig-Value` (RFC 3279).
fn ecdsa_der(raw: &[u8]) -> Vec<u8> {
    let (r, s) = raw.split_at(raw.len() / 2);
    let int = |b: &[u8]| {
        let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
        let mut v = b[start..].to_vec();
        if v.first().is_none_or(|&x| x & 0x80 != 0) {
            v.insert(0, 0);
        }
        tlv(0x02, &v)
    };
    tlv(0x30, &[int(r), int(s)].concat())
}

/// What a verified signature says.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The signer's certificate.
    pub signer: Certificate,
    /// The other certificates the message carries.
    pub others: Vec<Certificate>,
    /// The signing time it asserts, if any.
    pub signing_time: Option<Millis>,
}

/// Verifies a detached CMS SignedData `cms` over `content`.
pub fn verify(cms: &[u8], content: &[u8]) -> Result<Verified, SealError> {
    verify_digest(cms, &Sha256::digest(content))
}

/// Verifies a detached CMS SignedData over the document whose SHA-256 is
/// `digest`.
pub fn verify_digest(cms: &[u8], digest: &[u8]) -> Result<Verified, SealError> {
    let bad = |what: &str| SealError::Malformed(what.to_string());
    let (info, rest) = read(cms, 0x30).ok_or_else(|| bad("ContentInfo"))?;
    if !rest.is_empty() {
        return Err(bad("trailing bytes"));
    }
    let (oid, rest) = read_raw(info).ok_or_else(|| bad("contentType"))?;
    if oid != OID_SIGNED_DATA {
        return Err(bad("not SignedData"));
    }
    let (explicit, _) = read(rest, 0xA0).ok_or_else(|| bad("content"))?;
    let (sd, _) = read(explicit, 0x30).ok_or_else(|| bad("SignedData"))?;
    let (_version, rest) = read(sd, 0x02).ok_or_else(|| bad("version"))?;
    let (_algs, rest) = read(rest, 0x31).ok_or_else(|| bad("digestAlgorithms"))?;
    let (encap, mut rest) = read(rest, 0x30).ok_or_else(|| bad("encapContentInfo"))?;
    let (etype, econtent) = read_raw(encap).ok_or_else(|| bad("eContentType"))?;
    if etype != OID_DATA {
        return Err(bad("eContentType is not data"));
    }
    if !econtent.is_empty() {
        return Err(bad("not detached"));
    }
    let mut certs = Vec::new();
    if rest.first() == Some(&0xA0) {
        let (mut list, r) = read(rest, 0xA0).ok_or_else(|| bad("certificates"))?;
        while !list.is_empty() {
            let (c, r) = read_raw(list).ok_or_else(|| bad("certificate"))?;
            if c.first() == Some(&0x30) {
                certs.push(Certificate::from_der(c)?);
            }
            list = r;
        }
        rest = r;
    }
    if rest.first() == Some(&0xA1) {
        rest = read(rest, 0xA1).ok_or_else(|| bad("crls"))?.1;
    }
    let (infos, _) = read(rest, 0x31).ok_or_else(|| bad("signerInfos"))?;
    let (si, more) = read(infos, 0x30).ok_or_else(|| bad("SignerInfo"))?;
    if !more.is_empty() {
        return Err(bad("more than one signer"));
    }
    let (_v, rest) = read(si, 0x02).ok_or_else(|| bad("SignerInfo version"))?;
    let (sid, rest) = read(rest, 0x30).ok_or_else(|| bad("issuerAndSerialNumber"))?;
    let (issuer, serial) = read_raw(sid).ok_or_else(|| bad("issuer"))?;
    let (serial, _) = read(serial, 0x02).ok_or_else(|| bad("serialNumber"))?;
    let (dalg, rest) = read(rest, 0x30).ok_or_else(|| bad("digestAlgorithm"))?;
    if read_raw(dalg).map(|(o, _)| o) != Some(OID_SHA256) {
        return Err(PkiError::WeakAlgorithm("digest is not SHA-256".into()).into());
    }
    let (attrs_raw, rest) = read_raw(rest).ok_or_else(|| bad("signedAttrs"))?;
    if attrs_raw.first() != Some(&0xA0) {
        return Err(bad("no signed attributes"));
    }
    let (salg, rest) = read(rest, 0x30).ok_or_else(|| bad("signatureAlgorithm"))?;
    let (signature, _) = read(rest, 0x04).ok_or_else(|| bad("signature"))?;
    let salg = read_raw(salg).map(|(o, _)| o).unwrap_or_default();
    let signer = certs
        .iter()
        .position(|c| c.issuer_raw == issuer && c.serial_raw == serial)
        .ok_or_else(|| bad("the signer's certificate is not in the message"))?;
    let signer = certs.remove(signer);
    let alg_ok = match signer.key {
        KeyKind::EcP256 => salg == OID_ECDSA_SHA256,
        KeyKind::Rsa { .. } => salg == OID_RSA_SHA256 || salg == OID_RSA,
        _ => false,
    };
    if !alg_ok {
        return Err(PkiError::WeakAlgorithm("signature algorithm".into()).into());
    }
    // The attributes: content type data, the digest, maybe the time.
    let (mut list, _) = read(attrs_raw, 0xA0).ok_or_else(|| bad("signedAttrs"))?;
    let (mut content_type, mut message_digest, mut signing_time) = (false, None, None);
    while !list.is_empty() {
        let (attr, r) = read(list, 0x30).ok_or_else(|| bad("Attribute"))?;
        list = r;
        let (oid, values) = read_raw(attr).ok_or_else(|| bad("attrType"))?;
        let (values, _) = read(values, 0x31).ok_or_else(|| bad("attrValues"))?;
        if oid == OID_CONTENT_TYPE {
            content_type = values == OID_DATA;
        } else if oid == OID_MESSAGE_DIGEST {
            message_digest = read(values, 0x04).map(|(d, _)| d.to_vec());
        } else if oid == OID_SIGNING_TIME {
            signing_time = parse_time(values);
        }
    }
    if !content_type {
        return Err(bad("content-type attribute"));
    }
    let message_digest = message_digest.ok_or_else(|| bad("messageDigest attribute"))?;
    // The signature is over the attributes as a SET (tag 0x31).
    let mut signed = attrs_raw.to_vec();
    signed[0] = 0x31;
    AlgorithmPolicy::default().verify_challenge(&signer, &signed, signature)?;
    // The digest is public: a plain comparison.
    if message_digest != digest {
        return Err(SealError::OtherDocument);
    }
    Ok(Verified {
        signer,
        others: certs,
        signing_time,
    })
}

/// DER TLV.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .into_iter()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// A DER SET OF: the elements sorted by their encodings.
fn set_of(mut items: Vec<Vec<u8>>) -> Vec<u8> {
    items.sort();
    tlv(0x31, &items.concat())
}

/// One element: (whole TLV, rest). DER definite lengths only.
fn read_raw(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&_tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7F) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |a, &b| (a << 8) | b as usize);
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    let header = input.len() - rest.len();
    Some((&input[..header + len], &rest[len..]))
}

/// One element with tag `tag`: (content, rest).
fn read(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    if input.first() != Some(&tag) {
        return None;
    }
    let (whole, rest) = read_raw(input)?;
    let header = whole.len() - content_len(whole)?;
    Some((&whole[header..], rest))
}

fn content_len(whole: &[u8]) -> Option<usize> {
    let first = *whole.get(1)?;
    Some(if first < 0x80 {
        first as usize
    } else {
        whole.len() - 2 - (first & 0x7F) as usize
    })
}

/// UTCTime (1950–2049) or GeneralizedTime, as RFC 5280 writes times.
fn time_der(at: Millis) -> Vec<u8> {
    let t = time::OffsetDateTime::from_unix_timestamp(at.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let rest = format!(
        "{:02}{:02}{:02}{:02}{:02}Z",
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    if (1950..2050).contains(&t.year()) {
        tlv(0x17, format!("{:02}{rest}", t.year() % 100).as_bytes())
    } else {
        tlv(0x18, format!("{:04}{rest}", t.year()).as_bytes())
    }
}

fn parse_time(value: &[u8]) -> Option<Millis> {
    let (tag, (s, _)) = (*value.first()?, read_raw(value)?);
    let text = std::str::from_utf8(&s[2..]).ok()?;
    let text = text.strip_suffix('Z')?;
    let full = match (tag, text.len()) {
        (0x17, 12) => {
            let yy: i32 = text[..2].parse().ok()?;
            format!(
                "{}{}",
                if yy < 50 { 2000 + yy } else { 1900 + yy },
                &text[2..]
            )
        }
        (0x18, 14) => text.to_string(),
        _ => return None,
    };
    let n = |r: std::ops::Range<usize>| full.get(r)?.parse::<u32>().ok();
    let date = time::Date::from_calendar_date(
        n(0..4)? as i32,
        time::Month::try_from(n(4..6)? as u8).ok()?,
        n(6..8)? as u8,
    )
    .ok()?;
    let t = time::Time::from_hms(n(8..10)? as u8, n(10..12)? as u8, n(12..14)? as u8).ok()?;
    Some(date.with_time(t).assume_utc().unix_timestamp() * 1000)
}

/// A seal token for tests and the demo (feature `testca`): a SoftHSM2
/// token "MOTCUA SEAL" (PIN 1234) under `dir` holding a CA certificate
/// and, under the label `default`, an agency's key and certificate issued
/// by it; `SOFTHSM2_CONF` is set for this process (SoftHSM2 reads it
/// once, when the module is first initialised). Returns the seals read
/// back over PKCS#11 and the CA certificate (PEM) a verifier trusts.
#[cfg(feature = "testca")]
pub fn softhsm_seals(dir: &Path, now: Millis) -> Result<(Seals, String), String> {
    use crate::{softhsm, testca};
    let conf = dir.join("softhsm2.conf");
    let ca_pem = dir.join("seal-ca.pem");
    if !conf.exists() || !ca_pem.exists() {
        let ca = testca::make(testca::ca_template("Motcua Demo Seal CA", now), None)
            .map_err(|e| e.to_string())?;
        let spec = testca::leaf_template("Ủy ban nhân dân (con dấu điện tử demo)", now);
        let leaf = testca::make(spec, Some(&ca)).map_err(|e| e.to_string())?;
        let token = softhsm::SoftToken::create(dir, "MOTCUA SEAL", "1234")?;
        token.put(DEFAULT_LABEL, "51", &leaf.key_pem(), leaf.der())?;
        token.put_cert("Motcua Demo Seal CA", "5c", ca.der())?;
        std::fs::write(&ca_pem, crate::cert::to_pem(ca.der())).map_err(|e| e.to_string())?;
    }
    std::env::set_var("SOFTHSM2_CONF", &conf);
    let module = softhsm::module().ok_or("SoftHSM2 module not found")?;
    let seals = Seals::pkcs11(&module, "MOTCUA SEAL", "1234").map_err(|e| e.to_string())?;
    let ca = std::fs::read_to_string(&ca_pem).map_err(|e| e.to_string())?;
    Ok((seals, ca))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testca;

    fn seal() -> (Seals, testca::Issued) {
        let now = 1_780_000_000_000;
        let ca = testca::make(testca::ca_template("Seal CA", now), None).unwrap();
        let leaf = testca::make(
            testca::leaf_template("UBND Phường Hoàn Kiếm", now),
            Some(&ca),
        )
        .unwrap();
        let pem = format!(
            "{}{}",
            crate::cert::to_pem(leaf.der()),
            crate::cert::to_pem(ca.der())
        );
        (Seals::software(&leaf.key_pem(), &pem).unwrap(), ca)
    }

    #[test]
    fn signs_and_verifies_and_refuses_what_was_changed() {
        let (seals, _ca) = seal();
        let s = seals.for_agency("H29").unwrap();
        let at = 1_796_000_000_000; // 2026-12-01
        let cms = s.sign(b"ket qua", at).unwrap();
        let v = verify(&cms, b"ket qua").unwrap();
        assert_eq!(v.signer.fingerprint, s.certificate().fingerprint);
        assert_eq!(v.signing_time, Some(at));
        assert_eq!(v.others.len(), 1);
        assert_eq!(
            verify(&cms, b"ket qua!").unwrap_err(),
            SealError::OtherDocument
        );
        // A flipped bit in the signature, in the attributes, or cut short.
        let mut bad = cms.clone();
        let n = bad.len();
        bad[n - 3] ^= 1;
        assert!(verify(&bad, b"ket qua").is_err());
        assert!(matches!(
            verify(&cms[..n - 1], b"ket qua"),
            Err(SealError::Malformed(_))
        ));
        assert!(verify(b"", b"ket qua").is_err());
        assert!(verify(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff], b"").is_err());
    }

    /// OpenSSL, a peer that reads CMS, agrees (skipped only where the
    /// `openssl` command is missing; CI installs it).
    #[test]
    fn openssl_verifies_the_detached_signature() {
        let (seals, ca) = seal();
        let s = seals.for_agency("any").unwrap();
        let dir = std::env::temp_dir().join(format!("seal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("doc.pdf"), b"%PDF-1.7 result").unwrap();
        std::fs::write(
            dir.join("doc.p7s"),
            s.sign(b"%PDF-1.7 result", 1_796_000_000_000).unwrap(),
        )
        .unwrap();
        std::fs::write(dir.join("ca.pem"), crate::cert::to_pem(ca.der())).unwrap();
        let run = |content: &str| {
            std::process::Command::new("openssl")
                .args([
                    "cms", "-verify", "-binary", "-inform", "DER", "-purpose", "any",
                ])
                .arg("-in")
                .arg(dir.join("doc.p7s"))
                .arg("-content")
                .arg(dir.join(content))
                .arg("-CAfile")
                .arg(dir.join("ca.pem"))
                .args(["-out", "/dev/null"])
                .output()
        };
        let Ok(ok) = run("doc.pdf") else {
            eprintln!("openssl not installed: skipped");
            return;
        };
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );
        std::fs::write(dir.join("other.pdf"), b"%PDF-1.7 resulT").unwrap();
        assert!(!run("other.pdf").unwrap().status.success());
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The key on a SoftHSM2 token over PKCS#11 (required in CI).
    #[test]
    fn a_seal_on_a_pkcs11_token_signs() {
        if let Some(what) = crate::softhsm::missing() {
            assert!(std::env::var_os("CI").is_none(), "CI needs {what}");
            eprintln!("{what} not installed: skipped");
            return;
        }
        let dir = std::env::temp_dir().join(format!("seal-hsm-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let (seals, _ca) = softhsm_seals(&dir, 1_796_000_000_000).unwrap();
        assert_eq!(seals.labels().collect::<Vec<_>>(), vec![DEFAULT_LABEL]);
        let s = seals.for_agency("H29").unwrap();
        assert_eq!(s.chain.len(), 2, "the CA on the token completes the chain");
        let cms = s.sign(b"ket qua", 1_796_000_000_000).unwrap();
        let v = verify(&cms, b"ket qua").unwrap();
        assert_eq!(v.signer.fingerprint, s.certificate().fingerprint);
        assert!(verify(&cms, b"ket qua 2").is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn times_round_trip_across_the_utctime_boundary() {
        for at in [0i64, 1_796_000_000_000, 2_524_608_000_000 /* 2050 */] {
            assert_eq!(parse_time(&time_der(at)), Some(at));
        }
    }
}
