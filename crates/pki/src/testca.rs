//! A throw-away PKI for tests, `motcua demo` and the benchmark: a root, a
//! licensed-CA stand-in under it, a delegated OCSP responder, leaves with
//! Vietnamese subject identifiers, and a real HTTP server on 127.0.0.1
//! publishing the CA's CRL and answering OCSP. Time is a parameter: the
//! server's clock is set by the caller. Never trust this root in production.
use crate::cert::Certificate;
use crate::der::{AD_OCSP, ECDSA_WITH_SHA256, ECDSA_WITH_SHA384, SHA256_WITH_RSA};
use crate::ocsp::{self, CertStatus, ResponseEntry};
use crate::path::TrustStore;
use crate::{Millis, PkiError};
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CrlDistributionPoint,
    CustomExtension, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair,
    KeyUsagePurpose, RevokedCertParams, SerialNumber, SigningKey,
};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

const DAY: Millis = 86_400_000;
/// The user-id attribute, where Vietnamese CAs write `MST:`/`CCCD:`.
const UID: [u64; 7] = [0, 9, 2342, 19200300, 100, 1, 1];

/// Test-only RSA-2048 keys (ring cannot generate RSA keys).
pub const RSA_KEY_A: &str = include_str!("../tests-data/rsa2048-a.pem");
pub const RSA_KEY_B: &str = include_str!("../tests-data/rsa2048-b.pem");
/// SubjectPublicKeyInfo of an RSA-1024 key (too weak by policy).
pub const RSA_1024_SPKI: &[u8] = include_bytes!("../tests-data/rsa1024-spki.der");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAlg {
    P256,
    P384,
    /// One of the fixed RSA-2048 keys.
    RsaA,
    RsaB,
}

fn keypair(alg: KeyAlg) -> Result<KeyPair, rcgen::Error> {
    match alg {
        KeyAlg::P256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256),
        KeyAlg::P384 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384),
        KeyAlg::RsaA => KeyPair::from_pem(RSA_KEY_A),
        KeyAlg::RsaB => KeyPair::from_pem(RSA_KEY_B),
    }
}

fn sig_alg_oid(key: &KeyPair) -> &'static str {
    if key.algorithm() == &rcgen::PKCS_ECDSA_P256_SHA256 {
        ECDSA_WITH_SHA256
    } else if key.algorithm() == &rcgen::PKCS_ECDSA_P384_SHA384 {
        ECDSA_WITH_SHA384
    } else {
        SHA256_WITH_RSA
    }
}

fn odt(m: Millis) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(m.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

fn err(e: rcgen::Error) -> PkiError {
    PkiError::Malformed(format!("testca: {e}"))
}

/// A certificate with its key.
#[derive(Clone)]
pub struct Issued {
    pub cert: Certificate,
    pub key: Arc<KeyPair>,
    params: CertificateParams,
}

impl Issued {
    /// A certificate and its key read back from files (the demo keeps them
    /// in its data folder); it can sign but not issue.
    pub fn from_parts(der: &[u8], key_pem: &str) -> Result<Self, PkiError> {
        Ok(Self {
            cert: Certificate::from_der(der)?,
            key: Arc::new(KeyPair::from_pem(key_pem).map_err(err)?),
            params: CertificateParams::default(),
        })
    }

    pub fn der(&self) -> &[u8] {
        &self.cert.der
    }
    /// Signs like a token would: RSA PKCS#1 v1.5 SHA-256, or DER ECDSA.
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        self.key.sign(msg).unwrap_or_default()
    }
    /// The private key as PKCS#8 PEM (to load into SoftHSM).
    pub fn key_pem(&self) -> String {
        self.key.serialize_pem()
    }
    fn issuer(&self) -> Issuer<'_, &KeyPair> {
        Issuer::from_params(&self.params, &*self.key)
    }
    /// The parameters it was made from (to make a sibling or a
    /// cross-certificate).
    pub fn params(&self) -> &CertificateParams {
        &self.params
    }
}

/// Parameters of a CA certificate named `cn`, valid from a year before
/// `now` for ten years: basicConstraints cA (no path length),
/// keyCertSign and cRLSign, a random serial. For path tests.
pub fn ca_template(cn: &str, now: Millis) -> CertificateParams {
    let mut p = ca_params(cn, None, now, rand::random::<u32>() as u64 + 1);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p
}

/// Parameters of a person's signing certificate named `cn`, valid from a
/// day before `now` for a year: digitalSignature and nonRepudiation, no
/// extended key usage. For path tests.
pub fn leaf_template(cn: &str, now: Millis) -> CertificateParams {
    let mut p = ca_params(cn, None, now, rand::random::<u32>() as u64 + 1);
    p.is_ca = IsCa::ExplicitNoCa;
    p.not_before = odt(now - DAY);
    p.not_after = odt(now + 365 * DAY);
    p.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::ContentCommitment,
    ];
    p.use_authority_key_identifier_extension = true;
    p
}

/// A certificate from `params` with a new P-256 key, signed by `issuer`
/// (None: self-signed).
pub fn make(params: CertificateParams, issuer: Option<&Issued>) -> Result<Issued, PkiError> {
    make_with_key(
        params,
        Arc::new(keypair(KeyAlg::P256).map_err(err)?),
        issuer,
    )
}

/// [`make`] with a given key (a re-issued or cross-signed CA keeps its key).
pub fn make_with_key(
    params: CertificateParams,
    key: Arc<KeyPair>,
    issuer: Option<&Issued>,
) -> Result<Issued, PkiError> {
    let cert = match issuer {
        Some(i) => params.signed_by(&*key, &i.issuer()),
        None => params.self_signed(&*key),
    }
    .map_err(err)?;
    Ok(Issued {
        cert: Certificate::from_der(cert.der())?,
        key,
        params,
    })
}

/// What a leaf should look like.
#[derive(Debug, Clone)]
pub struct LeafSpec {
    pub common_name: String,
    pub organization: Option<String>,
    /// The UID attribute, e.g. `MST:0101234567` or `CCCD:001203004567`.
    pub uid: Option<String>,
    pub key: KeyAlg,
    pub not_before: Millis,
    pub not_after: Millis,
    pub key_usages: Vec<KeyUsagePurpose>,
    pub crl: bool,
    pub ocsp: bool,
    pub is_ca: bool,
}

impl LeafSpec {
    /// A person's signing certificate valid from yesterday for a year.
    pub fn person(name: &str, personal_id: &str, now: Millis) -> Self {
        Self {
            common_name: name.into(),
            organization: None,
            uid: Some(format!("CCCD:{personal_id}")),
            key: KeyAlg::P256,
            not_before: now - DAY,
            not_after: now + 365 * DAY,
            key_usages: vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::ContentCommitment,
            ],
            crl: true,
            ocsp: true,
            is_ca: false,
        }
    }
    /// An organisation's signing certificate (CN and O the organisation).
    pub fn organization(name: &str, tax_code: &str, now: Millis) -> Self {
        Self {
            organization: Some(name.into()),
            uid: Some(format!("MST:{tax_code}")),
            ..Self::person(name, "", now)
        }
    }
}

/// OCSP answers the test responder gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponderSigner {
    /// The delegated responder certificate (id-kp-OCSPSigning, issued by the CA).
    Delegated,
    /// The CA's own key.
    Ca,
    /// A responder certificate issued by the root, not the CA: unauthorised.
    Unauthorised,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OcspBehaviour {
    pub signer: ResponderSigner,
    /// Echo another nonce than the request's.
    pub wrong_nonce: bool,
    /// Age of `thisUpdate` relative to the server's clock.
    pub this_update_age: Millis,
    /// `nextUpdate` relative to the server's clock (None: omitted).
    pub next_update_in: Option<Millis>,
    /// Answer this unsuccessful status instead (e.g. 3 = tryLater).
    pub error_status: Option<i64>,
    /// Answer HTTP 503.
    pub down: bool,
    /// Answer about another serial number than the one asked.
    pub wrong_serial: bool,
}

impl Default for OcspBehaviour {
    fn default() -> Self {
        Self {
            signer: ResponderSigner::Delegated,
            wrong_nonce: false,
            this_update_age: 60_000,
            next_update_in: Some(DAY),
            error_status: None,
            down: false,
            wrong_serial: false,
        }
    }
}

/// State of the CRL/OCSP server.
pub struct ServerState {
    now: AtomicI64,
    crl: Mutex<Vec<u8>>,
    /// The root's CRL (authority revocation list), covering the CA.
    arl: Mutex<Vec<u8>>,
    crl_down: std::sync::atomic::AtomicBool,
    /// serial hex → status (absent: good).
    statuses: Mutex<HashMap<String, CertStatus>>,
    behaviour: Mutex<OcspBehaviour>,
    ca_subject: Vec<u8>,
    ca_key: Arc<KeyPair>,
    ca_der: Vec<u8>,
    delegated: (Vec<u8>, Vec<u8>, Arc<KeyPair>),
    unauthorised: (Vec<u8>, Vec<u8>, Arc<KeyPair>),
    pub crl_requests: AtomicU64,
    pub ocsp_requests: AtomicU64,
}

/// The whole test PKI and its running server.
pub struct TestPki {
    pub root: Issued,
    pub ca: Issued,
    pub responder: Issued,
    pub base_url: String,
    pub state: Arc<ServerState>,
    serial: AtomicU64,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for TestPki {
    fn drop(&mut self) {
        if let Some(t) = &self.task {
            t.abort();
        }
    }
}

impl TestPki {
    /// Builds the PKI valid around `now` and starts its server on
    /// 127.0.0.1 (a free port). Must run inside a tokio runtime.
    pub async fn start(now: Millis) -> Result<Self, PkiError> {
        Self::start_with(now, KeyAlg::P256).await
    }

    /// Like [`TestPki::start`], with the root and CA keys of `alg`.
    pub async fn start_with(now: Millis, alg: KeyAlg) -> Result<Self, PkiError> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| PkiError::Malformed(format!("testca bind: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| PkiError::Malformed(format!("testca addr: {e}")))?;
        let mut pki = Self::create(now, alg, &format!("http://{addr}"), None)?;
        let app = pki.router();
        pki.task = Some(tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        }));
        Ok(pki)
    }

    /// Builds the PKI without serving it: its certificates name CRL and
    /// OCSP URLs under `base_url`, where the caller mounts [`TestPki::router`]
    /// (the demo mounts it on the portal itself). With `key_dir`, the root,
    /// CA and responder keys are read from there, or made and saved there:
    /// certificates issued in an earlier run stay valid (same keys, same
    /// names).
    pub fn create(
        now: Millis,
        alg: KeyAlg,
        base_url: &str,
        key_dir: Option<&Path>,
    ) -> Result<Self, PkiError> {
        let base_url = base_url.trim_end_matches('/').to_string();
        let serial = AtomicU64::new(0x1000 + (rand::random::<u32>() as u64) * 0x1000);
        let next = || serial.fetch_add(1, Ordering::SeqCst);
        let key = |name: &str, alg: KeyAlg| -> Result<KeyPair, PkiError> {
            let Some(dir) = key_dir else {
                return keypair(alg).map_err(err);
            };
            let path = dir.join(format!("{name}.key.pem"));
            match std::fs::read_to_string(&path) {
                Ok(pem) => KeyPair::from_pem(&pem).map_err(err),
                Err(_) => {
                    let k = keypair(alg).map_err(err)?;
                    std::fs::create_dir_all(dir)
                        .and_then(|()| std::fs::write(&path, k.serialize_pem()))
                        .map_err(|e| PkiError::Malformed(format!("{}: {e}", path.display())))?;
                    Ok(k)
                }
            }
        };

        let mut root_p = ca_params("Motcua Test Root CA", None, now, next());
        root_p.is_ca = IsCa::Ca(BasicConstraints::Constrained(2));
        let root_key = key("root", alg)?;
        let root_cert = root_p.self_signed(&root_key).map_err(err)?;
        let root = Issued {
            cert: Certificate::from_der(root_cert.der())?,
            key: Arc::new(root_key),
            params: root_p,
        };

        let mut ca_p = ca_params(
            "Motcua Test CA (không dùng thật)",
            Some("Motcua Test"),
            now,
            next(),
        );
        ca_p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        // The root's authority revocation list covers the CA.
        ca_p.crl_distribution_points = vec![CrlDistributionPoint {
            uris: vec![format!("{base_url}/crl/root.crl")],
        }];
        let ca_key = key("ca", alg)?;
        let ca_cert = ca_p.signed_by(&ca_key, &root.issuer()).map_err(err)?;
        let ca = Issued {
            cert: Certificate::from_der(ca_cert.der())?,
            key: Arc::new(ca_key),
            params: ca_p,
        };

        let responder = issue_responder(&ca, "Motcua Test OCSP Responder", now, next())?;
        let rogue = issue_responder(&root, "Motcua Test Rogue Responder", now, next())?;

        let state = Arc::new(ServerState {
            now: AtomicI64::new(now),
            crl: Mutex::new(Vec::new()),
            arl: Mutex::new(Vec::new()),
            crl_down: Default::default(),
            statuses: Mutex::new(HashMap::new()),
            behaviour: Mutex::new(OcspBehaviour::default()),
            ca_subject: ca.cert.subject_raw().to_vec(),
            ca_key: ca.key.clone(),
            ca_der: ca.cert.der.clone(),
            delegated: (
                responder.cert.subject_raw().to_vec(),
                responder.cert.der.clone(),
                responder.key.clone(),
            ),
            unauthorised: (
                rogue.cert.subject_raw().to_vec(),
                rogue.cert.der.clone(),
                rogue.key.clone(),
            ),
            crl_requests: AtomicU64::new(0),
            ocsp_requests: AtomicU64::new(0),
        });
        let pki = Self {
            root,
            ca,
            responder,
            base_url,
            state,
            serial,
            task: None,
        };
        pki.refresh(now)?;
        Ok(pki)
    }

    /// The CRL and OCSP endpoints, to mount at the `base_url` given to
    /// [`TestPki::create`].
    pub fn router(&self) -> axum::Router {
        axum::Router::new()
            .route("/crl/ca.crl", get(serve_crl))
            .route("/crl/root.crl", get(serve_arl))
            .route("/ocsp", post(serve_ocsp))
            .with_state(self.state.clone())
    }

    /// Publishes fresh CRLs (nothing revoked) and moves the OCSP clock to
    /// `now`: a long-running demo calls this now and then.
    pub fn refresh(&self, now: Millis) -> Result<(), PkiError> {
        self.set_now(now);
        self.publish_crl(now - 3_600_000, now + DAY, &[])?;
        self.publish_arl(now - 3_600_000, now + 30 * DAY)
    }

    pub fn crl_url(&self) -> String {
        format!("{}/crl/ca.crl", self.base_url)
    }

    pub fn ocsp_url(&self) -> String {
        format!("{}/ocsp", self.base_url)
    }

    /// The root as anchor, the CA as a known intermediate.
    pub fn trust_store(&self) -> TrustStore {
        let mut t = TrustStore::new();
        let _ = t.add_anchor(self.root.cert.clone());
        t.add_intermediate(self.ca.cert.clone());
        t
    }

    /// Sets the server's clock (OCSP `thisUpdate` follows it).
    pub fn set_now(&self, now: Millis) {
        self.state.now.store(now, Ordering::SeqCst);
    }

    /// Issues a leaf under the CA.
    pub fn issue(&self, spec: &LeafSpec) -> Result<Issued, PkiError> {
        self.issue_under(&self.ca, spec)
    }

    /// Issues a certificate under any issuer of this PKI.
    pub fn issue_under(&self, issuer: &Issued, spec: &LeafSpec) -> Result<Issued, PkiError> {
        let key = keypair(spec.key).map_err(err)?;
        let params = self.leaf_params(spec);
        let cert = params.signed_by(&key, &issuer.issuer()).map_err(err)?;
        Ok(Issued {
            cert: Certificate::from_der(cert.der())?,
            key: Arc::new(key),
            params,
        })
    }

    /// Whether `cert` names this PKI's CRL and OCSP URLs (and no others).
    pub fn serves(&self, cert: &Certificate) -> bool {
        let prefix = format!("{}/", self.base_url);
        let under = |u: &String| u.starts_with(&prefix);
        !(cert.crl_urls.is_empty() && cert.ocsp_urls.is_empty())
            && cert.crl_urls.iter().all(under)
            && cert.ocsp_urls.iter().all(under)
    }

    /// Issues `old` again under the CA for this PKI's current base URL:
    /// same key, serial number and validity, subject and extensions from
    /// `spec`. A binding kept by issuer, serial and key (a registered
    /// certificate) still matches the new certificate; only its CRL and
    /// OCSP URLs change (the demo's, when its address moves).
    pub fn reissue(
        &self,
        spec: &LeafSpec,
        old: &Certificate,
        key_pem: &str,
    ) -> Result<Issued, PkiError> {
        let key = KeyPair::from_pem(key_pem).map_err(err)?;
        let mut params = self.leaf_params(spec);
        params.serial_number = Some(SerialNumber::from_slice(old.serial_bytes()));
        params.not_before = odt(old.not_before);
        params.not_after = odt(old.not_after);
        let cert = params.signed_by(&key, &self.ca.issuer()).map_err(err)?;
        Ok(Issued {
            cert: Certificate::from_der(cert.der())?,
            key: Arc::new(key),
            params,
        })
    }

    /// A leaf for an RSA-1024 key (refused by the default policy).
    pub fn issue_weak_rsa(&self, spec: &LeafSpec) -> Result<Certificate, PkiError> {
        let spki = rcgen::SubjectPublicKeyInfo::from_der(RSA_1024_SPKI).map_err(err)?;
        let params = self.leaf_params(spec);
        let cert = params.signed_by(&spki, &self.ca.issuer()).map_err(err)?;
        Certificate::from_der(cert.der())
    }

    fn leaf_params(&self, spec: &LeafSpec) -> CertificateParams {
        let mut p = CertificateParams::default();
        p.serial_number = Some(SerialNumber::from(
            self.serial.fetch_add(1, Ordering::SeqCst),
        ));
        p.not_before = odt(spec.not_before);
        p.not_after = odt(spec.not_after);
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.distinguished_name.push(DnType::CountryName, "VN");
        if let Some(o) = &spec.organization {
            p.distinguished_name
                .push(DnType::OrganizationName, o.as_str());
        }
        p.distinguished_name
            .push(DnType::CommonName, spec.common_name.as_str());
        if let Some(uid) = &spec.uid {
            p.distinguished_name
                .push(DnType::CustomDnType(UID.to_vec()), uid.as_str());
        }
        p.key_usages = spec.key_usages.clone();
        p.is_ca = if spec.is_ca {
            IsCa::Ca(BasicConstraints::Unconstrained)
        } else {
            IsCa::ExplicitNoCa
        };
        p.use_authority_key_identifier_extension = true;
        p.key_identifier_method = KeyIdMethod::Sha256;
        if spec.crl {
            p.crl_distribution_points = vec![CrlDistributionPoint {
                uris: vec![self.crl_url()],
            }];
        }
        if spec.ocsp {
            p.custom_extensions.push(aia(&self.ocsp_url()));
        }
        p
    }

    /// Publishes a CRL signed by the CA listing `revoked` (cert, revocation time).
    pub fn publish_crl(
        &self,
        this_update: Millis,
        next_update: Millis,
        revoked: &[(&Certificate, Millis)],
    ) -> Result<(), PkiError> {
        let der = self.make_crl(&self.ca, this_update, next_update, revoked)?;
        if let Ok(mut c) = self.state.crl.lock() {
            *c = der;
        }
        Ok(())
    }

    /// Publishes the root's CRL (nothing revoked).
    pub fn publish_arl(&self, this_update: Millis, next_update: Millis) -> Result<(), PkiError> {
        self.publish_arl_revoking(this_update, next_update, &[])
    }

    /// Publishes the root's CRL listing `revoked` (e.g. the CA itself).
    pub fn publish_arl_revoking(
        &self,
        this_update: Millis,
        next_update: Millis,
        revoked: &[(&Certificate, Millis)],
    ) -> Result<(), PkiError> {
        let der = self.make_crl(&self.root, this_update, next_update, revoked)?;
        if let Ok(mut c) = self.state.arl.lock() {
            *c = der;
        }
        Ok(())
    }

    /// Publishes a CRL signed by another issuer (a forged or misdirected one).
    pub fn publish_crl_signed_by(
        &self,
        signer: &Issued,
        this_update: Millis,
        next_update: Millis,
    ) -> Result<(), PkiError> {
        let der = self.make_crl(signer, this_update, next_update, &[])?;
        if let Ok(mut c) = self.state.crl.lock() {
            *c = der;
        }
        Ok(())
    }

    fn make_crl(
        &self,
        signer: &Issued,
        this_update: Millis,
        next_update: Millis,
        revoked: &[(&Certificate, Millis)],
    ) -> Result<Vec<u8>, PkiError> {
        let params = CertificateRevocationListParams {
            this_update: odt(this_update),
            next_update: odt(next_update),
            crl_number: SerialNumber::from(self.serial.fetch_add(1, Ordering::SeqCst)),
            issuing_distribution_point: None,
            revoked_certs: revoked
                .iter()
                .map(|(c, at)| RevokedCertParams {
                    serial_number: SerialNumber::from_slice(c.serial_bytes()),
                    revocation_time: odt(*at),
                    reason_code: Some(rcgen::RevocationReason::KeyCompromise),
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        };
        let crl = params.signed_by(&signer.issuer()).map_err(err)?;
        Ok(crl.der().to_vec())
    }

    /// Makes the CRL URL answer 503.
    pub fn set_crl_down(&self, down: bool) {
        self.state.crl_down.store(down, Ordering::SeqCst);
    }

    /// What OCSP says about `cert` from now on.
    pub fn set_ocsp_status(&self, cert: &Certificate, status: CertStatus) {
        if let Ok(mut s) = self.state.statuses.lock() {
            s.insert(cert.serial_hex.clone(), status);
        }
    }

    pub fn set_ocsp_behaviour(&self, b: OcspBehaviour) {
        if let Ok(mut s) = self.state.behaviour.lock() {
            *s = b;
        }
    }

    pub fn crl_requests(&self) -> u64 {
        self.state.crl_requests.load(Ordering::SeqCst)
    }

    pub fn ocsp_requests(&self) -> u64 {
        self.state.ocsp_requests.load(Ordering::SeqCst)
    }
}

fn ca_params(cn: &str, org: Option<&str>, now: Millis, serial: u64) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.serial_number = Some(SerialNumber::from(serial));
    p.not_before = odt(now - 365 * DAY);
    p.not_after = odt(now + 10 * 365 * DAY);
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name.push(DnType::CountryName, "VN");
    if let Some(o) = org {
        p.distinguished_name.push(DnType::OrganizationName, o);
    }
    p.distinguished_name.push(DnType::CommonName, cn);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p.key_identifier_method = KeyIdMethod::Sha256;
    p
}

fn issue_responder(
    issuer: &Issued,
    cn: &str,
    now: Millis,
    serial: u64,
) -> Result<Issued, PkiError> {
    let mut p = ca_params(cn, None, now, serial);
    p.is_ca = IsCa::ExplicitNoCa;
    p.not_before = odt(now - DAY);
    p.not_after = odt(now + 365 * DAY);
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::OcspSigning];
    let key = keypair(KeyAlg::P256).map_err(err)?;
    let cert = p.signed_by(&key, &issuer.issuer()).map_err(err)?;
    Ok(Issued {
        cert: Certificate::from_der(cert.der())?,
        key: Arc::new(key),
        params: p,
    })
}

/// Authority Information Access with one OCSP URI.
fn aia(url: &str) -> CustomExtension {
    let ocsp_oid: Vec<u64> = AD_OCSP.split('.').filter_map(|p| p.parse().ok()).collect();
    let content = yasna::construct_der(|w| {
        w.write_sequence_of(|w| {
            w.next().write_sequence(|w| {
                w.next()
                    .write_oid(&yasna::models::ObjectIdentifier::from_slice(&ocsp_oid));
                w.next()
                    .write_tagged_implicit(yasna::Tag::context(6), |w| w.write_ia5_string(url));
            })
        })
    });
    CustomExtension::from_oid_content(&[1, 3, 6, 1, 5, 5, 7, 1, 1], content)
}

async fn serve_crl(State(s): State<Arc<ServerState>>) -> axum::response::Response {
    s.crl_requests.fetch_add(1, Ordering::SeqCst);
    if s.crl_down.load(Ordering::SeqCst) {
        return axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let body = s.crl.lock().map(|c| c.clone()).unwrap_or_default();
    ([(header::CONTENT_TYPE, "application/pkix-crl")], body).into_response()
}

async fn serve_arl(State(s): State<Arc<ServerState>>) -> axum::response::Response {
    let body = s.arl.lock().map(|c| c.clone()).unwrap_or_default();
    ([(header::CONTENT_TYPE, "application/pkix-crl")], body).into_response()
}

async fn serve_ocsp(
    State(s): State<Arc<ServerState>>,
    body: axum::body::Bytes,
) -> axum::response::Response {
    s.ocsp_requests.fetch_add(1, Ordering::SeqCst);
    let b = s.behaviour.lock().map(|b| *b).unwrap_or_default();
    if b.down {
        return axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let der = match (b.error_status, ocsp::parse_request(&body)) {
        (Some(code), _) => ocsp::encode_error_response(code),
        (None, Err(_)) => ocsp::encode_error_response(1), // malformedRequest
        (None, Ok(req)) => {
            let now = s.now.load(Ordering::SeqCst);
            let statuses = s.statuses.lock().map(|m| m.clone()).unwrap_or_default();
            let entries: Vec<ResponseEntry> = req
                .ids
                .iter()
                .map(|id| ResponseEntry {
                    id: if b.wrong_serial {
                        let mut other = id.clone();
                        if let Some(last) = other.serial.last_mut() {
                            *last ^= 1;
                        }
                        other
                    } else {
                        id.clone()
                    },
                    status: statuses
                        .get(&hex::encode(&id.serial))
                        .copied()
                        .unwrap_or(CertStatus::Good),
                    this_update: now - b.this_update_age,
                    next_update: b.next_update_in.map(|d| now + d),
                })
                .collect();
            let mut nonce = req.nonce.clone();
            if b.wrong_nonce {
                nonce = Some(vec![0x42; 32]);
            }
            let (subject, cert, key) = match b.signer {
                ResponderSigner::Ca => (s.ca_subject.clone(), s.ca_der.clone(), s.ca_key.clone()),
                ResponderSigner::Delegated => s.delegated.clone(),
                ResponderSigner::Unauthorised => s.unauthorised.clone(),
            };
            let certs = if b.signer == ResponderSigner::Ca {
                vec![]
            } else {
                vec![cert]
            };
            ocsp::encode_response(&subject, now, &entries, nonce.as_deref(), &certs, |tbs| {
                (
                    sig_alg_oid(&key).to_string(),
                    key.sign(tbs).unwrap_or_default(),
                )
            })
        }
    };
    ([(header::CONTENT_TYPE, "application/ocsp-response")], der).into_response()
}
