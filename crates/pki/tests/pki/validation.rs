//! Certificate validation against a real test PKI served over HTTP (CRL
//! and OCSP on 127.0.0.1): the attacks of issue #4 must fail with the
//! right reason (R-ID-9, R-ID-10, R-ID-11).
use motcua_pki::challenge::{Challenge, Purpose};
use motcua_pki::ocsp::{self, CertStatus};
use motcua_pki::revocation::Source;
use motcua_pki::testca::{KeyAlg, LeafSpec, OcspBehaviour, ResponderSigner, TestPki};
use motcua_pki::*;
use proptest::prelude::*;
use rcgen::KeyUsagePurpose;

/// 2026-12-01T08:30:00Z
const NOW: Millis = 1_796_113_800_000;
const HOUR: Millis = 3_600_000;
const DAY: Millis = 24 * HOUR;
const ORIGIN: &str = "https://dichvucong.example.vn";

fn verifier(pki: &TestPki, policy: RevocationPolicy) -> Verifier {
    Verifier {
        trust: pki.trust_store(),
        algorithms: AlgorithmPolicy::default(),
        revocation: RevocationChecker::new(AlgorithmPolicy::default(), policy).unwrap(),
    }
}

fn person(pki: &TestPki) -> testca::Issued {
    pki.issue(&LeafSpec::person("Nguyễn Văn An", "001203004567", NOW))
        .unwrap()
}

/// Signs a fresh login challenge with `signer` and verifies it as `cert`.
async fn login(
    v: &Verifier,
    cert: &testca::Issued,
    signer: &testca::Issued,
    now: Millis,
) -> Result<Chain, PkiError> {
    let text = Challenge::new(ORIGIN, Purpose::Login, now, 120_000).to_text();
    let sig = signer.sign(text.as_bytes());
    v.verify(cert.der(), &[], text.as_bytes(), &sig, now).await
}

#[tokio::test]
async fn person_certificate_logs_in_and_ocsp_is_cached() {
    let pki = TestPki::start(NOW).await.unwrap();
    let v = verifier(&pki, RevocationPolicy::default());
    let leaf = person(&pki);
    let chain = login(&v, &leaf, &leaf, NOW).await.unwrap();
    assert_eq!(chain.certs.len(), 3, "leaf, CA, root");
    assert_eq!(chain.anchor().der, pki.root.cert.der);
    let id = &chain.leaf().identity;
    assert_eq!(id.holder_name.as_deref(), Some("Nguyễn Văn An"));
    assert_eq!(id.personal_id(), Some("001203004567"));
    assert!(!id.is_organization());
    assert_eq!(pki.ocsp_requests(), 1);
    // The same certificate again: the cached OCSP answer, no new request.
    login(&v, &leaf, &leaf, NOW + 60_000).await.unwrap();
    assert_eq!(pki.ocsp_requests(), 1);
    assert!(
        v.revocation
            .stats
            .cache_hits
            .load(std::sync::atomic::Ordering::SeqCst)
            >= 1
    );
    // Both links were checked: the leaf by OCSP, the CA by the root's CRL.
    assert_eq!(
        v.revocation.check(&chain, NOW).await.unwrap(),
        vec![Source::Ocsp, Source::Crl]
    );
}

#[tokio::test]
async fn organization_rsa_and_p384_certificates() {
    let pki = TestPki::start_with(NOW, KeyAlg::RsaA).await.unwrap();
    let v = verifier(&pki, RevocationPolicy::default());
    let mut spec = LeafSpec::organization("Công ty TNHH Thương mại Sao Mai", "0101234565", NOW);
    spec.key = KeyAlg::RsaB;
    let org = pki.issue(&spec).unwrap();
    assert_eq!(org.cert.key, KeyKind::Rsa { bits: 2048 });
    let chain = login(&v, &org, &org, NOW).await.unwrap();
    let id = &chain.leaf().identity;
    assert_eq!(id.tax_code(), Some("0101234565"));
    assert_eq!(
        id.organization.as_deref(),
        Some("Công ty TNHH Thương mại Sao Mai")
    );
    assert!(id.is_organization());
    assert_eq!(id.primary(), Some(&HolderId::TaxCode("0101234565".into())));

    let mut p384 = LeafSpec::person("Trần Thị Bình", "079190001234", NOW);
    p384.key = KeyAlg::P384;
    let leaf = pki.issue(&p384).unwrap();
    assert_eq!(leaf.cert.key, KeyKind::EcP384);
    login(&v, &leaf, &leaf, NOW).await.unwrap();
}

#[tokio::test]
async fn signature_by_another_key_is_refused() {
    let pki = TestPki::start(NOW).await.unwrap();
    let v = verifier(&pki, RevocationPolicy::default());
    let a = person(&pki);
    let b = pki
        .issue(&LeafSpec::person("Lê Văn Cường", "001099000111", NOW))
        .unwrap();
    assert_eq!(login(&v, &a, &b, NOW).await, Err(PkiError::BadSignature));
    // A signature over other bytes than the challenge fails as well.
    let text = Challenge::new(ORIGIN, Purpose::Login, NOW, 120_000).to_text();
    let sig = a.sign(b"something else");
    assert_eq!(
        v.verify(a.der(), &[], text.as_bytes(), &sig, NOW).await,
        Err(PkiError::BadSignature)
    );
    assert_eq!(pki.ocsp_requests(), 0, "no fetch for a forged request");
}

#[tokio::test]
async fn chain_to_an_unknown_root_is_refused() {
    let pki = TestPki::start(NOW).await.unwrap();
    let other = TestPki::start(NOW).await.unwrap();
    let v = verifier(&pki, RevocationPolicy::default());
    let stranger = person(&other);
    let err = login(&v, &stranger, &stranger, NOW).await.unwrap_err();
    assert!(matches!(err, PkiError::UntrustedIssuer(_)), "{err:?}");
    // Even when the client presents its whole chain.
    let text = Challenge::new(ORIGIN, Purpose::Login, NOW, 120_000).to_text();
    let sig = stranger.sign(text.as_bytes());
    let presented = vec![other.ca.cert.der.clone(), other.root.cert.der.clone()];
    let err = v
        .verify(stranger.der(), &presented, text.as_bytes(), &sig, NOW)
        .await
        .unwrap_err();
    assert!(matches!(err, PkiError::UntrustedIssuer(_)), "{err:?}");
    assert_eq!(err.message_key(), "pki.untrusted");
}

/// A certificate signature verified once is remembered (the bytes cannot
/// change), but only that: a copy with another signature is checked and
/// refused, and validity is checked at every validation.
#[tokio::test]
async fn remembered_signatures_skip_only_the_key_operation() {
    let pki = TestPki::start(NOW).await.unwrap();
    let trust = pki.trust_store();
    let policy = AlgorithmPolicy::default();
    let leaf = person(&pki);
    for _ in 0..2 {
        let chain = trust.validate(&leaf.cert, &[], NOW, &policy).unwrap();
        assert_eq!(chain.certs.len(), 3);
    }
    // The same certificate with its signature's last byte changed.
    let mut der = leaf.der().to_vec();
    let last = der.len() - 1;
    der[last] ^= 0x01;
    let tampered = Certificate::from_der(&der).unwrap();
    assert_eq!(tampered.serial_hex, leaf.cert.serial_hex);
    assert_ne!(tampered.fingerprint, leaf.cert.fingerprint);
    let err = trust.validate(&tampered, &[], NOW, &policy).unwrap_err();
    assert!(matches!(err, PkiError::UntrustedIssuer(_)), "{err:?}");
    // Remembered, yet expired later on.
    let err = trust
        .validate(&leaf.cert, &[], NOW + 4000 * DAY, &policy)
        .unwrap_err();
    assert_eq!(err.message_key(), "pki.expired", "{err:?}");
    // A stricter policy still refuses what the remembered check accepted.
    let strict = AlgorithmPolicy {
        curves: vec!["P-384".into()],
        ..AlgorithmPolicy::default()
    };
    let err = trust.validate(&leaf.cert, &[], NOW, &strict).unwrap_err();
    assert!(matches!(err, PkiError::WeakAlgorithm(_)), "{err:?}");
}

#[tokio::test]
async fn revoked_by_crl() {
    let pki = TestPki::start(NOW).await.unwrap();
    let v = verifier(&pki, RevocationPolicy::default());
    let mut spec = LeafSpec::person("Phạm Thị Dung", "001203004568", NOW);
    spec.ocsp = false;
    let leaf = pki.issue(&spec).unwrap();
    let ok = login(&v, &leaf, &leaf, NOW).await.unwrap();
    assert_eq!(ok.leaf().serial_hex, leaf.cert.serial_hex);
    pki.publish_crl(NOW - HOUR, NOW + DAY, &[(&leaf.cert, NOW - 2 * HOUR)])
        .unwrap();
    // The cached CRL is still valid: the new one is seen after a refresh.
    v.revocation.clear();
    let err = login(&v, &leaf, &leaf, NOW).await.unwrap_err();
    assert_eq!(
        err,
        PkiError::Revoked {
            at: Some(NOW - 2 * HOUR)
        }
    );
    assert_eq!(err.message_key(), "pki.revoked");
}

#[tokio::test]
async fn revoked_by_ocsp() {
    let pki = TestPki::start(NOW).await.unwrap();
    let v = verifier(&pki, RevocationPolicy::default());
    let leaf = person(&pki);
    pki.set_ocsp_status(&leaf.cert, CertStatus::Revoked { at: NOW - DAY });
    let err = login(&v, &leaf, &leaf, NOW).await.unwrap_err();
    assert_eq!(
        err,
        PkiError::Revoked {
            at: Some(NOW - DAY)
        }
    );
    // A revoked answer is final: no fall-back to the CRL, which is clean.
    assert_eq!(pki.crl_requests(), 0);
}

#[tokio::test]
async fn expired_and_not_yet_valid() {
    let pki = TestPki::start(NOW).await.unwrap();
    let v = verifier(&pki, RevocationPolicy::default());
    let mut spec = LeafSpec::person("Hoàng Văn Em", "001203004569", NOW);
    spec.not_before = NOW - 400 * DAY;
    spec.not_after = NOW - DAY;
    let old = pki.issue(&spec).unwrap();
    assert_eq!(login(&v, &old, &old, NOW).await, Err(PkiError::Expired));
    spec.not_before = NOW + DAY;
    spec.not_after = NOW + 400 * DAY;
    let future = pki.issue(&spec).unwrap();
    assert_eq!(
        login(&v, &future, &future, NOW).await,
        Err(PkiError::NotYetValid)
    );
    // Time is a parameter: the same certificate is fine a year earlier…
    let good = person(&pki);
    assert_eq!(
        login(&v, &good, &good, NOW + 366 * DAY).await,
        Err(PkiError::Expired)
    );
}

#[tokio::test]
async fn stale_crl_fails_closed() {
    let pki = TestPki::start(NOW).await.unwrap();
    let v = verifier(&pki, RevocationPolicy::default());
    let mut spec = LeafSpec::person("Vũ Thị Giang", "001203004570", NOW);
    spec.ocsp = false;
    let leaf = pki.issue(&spec).unwrap();
    pki.publish_crl(NOW - 2 * HOUR, NOW + HOUR, &[]).unwrap();
    login(&v, &leaf, &leaf, NOW).await.unwrap();
    assert_eq!(pki.crl_requests(), 1);
    login(&v, &leaf, &leaf, NOW + 30 * 60_000).await.unwrap();
    assert_eq!(pki.crl_requests(), 1, "cached until nextUpdate");
    // Past nextUpdate the cache is not used and the server has nothing newer.
    let err = login(&v, &leaf, &leaf, NOW + 2 * HOUR).await.unwrap_err();
    assert!(
        matches!(&err, PkiError::RevocationUnavailable(m) if m.contains("stale")),
        "{err:?}"
    );
    assert_eq!(pki.crl_requests(), 2);
    assert_eq!(err.message_key(), "pki.revocation_unavailable");
    // A CRL without a signature from the CA (here: the root's) is refused.
    pki.publish_crl_signed_by(&pki.root, NOW, NOW + DAY)
        .unwrap();
    let err = login(&v, &leaf, &leaf, NOW + 3 * HOUR).await.unwrap_err();
    assert!(matches!(err, PkiError::RevocationUnavailable(_)), "{err:?}");
}

#[tokio::test]
async fn ocsp_answers_that_must_not_be_trusted() {
    let pki = TestPki::start(NOW).await.unwrap();
    let v = verifier(&pki, RevocationPolicy::default());
    let mut spec = LeafSpec::person("Đặng Văn Hùng", "001203004571", NOW);
    spec.crl = false; // no fall-back: OCSP alone decides
    let cases = [
        (
            OcspBehaviour {
                wrong_nonce: true,
                ..Default::default()
            },
            "nonce",
        ),
        (
            OcspBehaviour {
                signer: ResponderSigner::Unauthorised,
                ..Default::default()
            },
            "unauthorised",
        ),
        (
            OcspBehaviour {
                next_update_in: Some(-60_000),
                ..Default::default()
            },
            "stale",
        ),
        (
            OcspBehaviour {
                next_update_in: None,
                this_update_age: 2 * HOUR,
                ..Default::default()
            },
            "stale",
        ),
        (
            OcspBehaviour {
                this_update_age: -HOUR,
                ..Default::default()
            },
            "future",
        ),
        (
            OcspBehaviour {
                error_status: Some(3),
                ..Default::default()
            },
            "status 3",
        ),
        (
            OcspBehaviour {
                down: true,
                ..Default::default()
            },
            "503",
        ),
    ];
    for (behaviour, expect) in cases {
        pki.set_ocsp_behaviour(behaviour);
        let leaf = pki.issue(&spec).unwrap();
        let err = login(&v, &leaf, &leaf, NOW).await.unwrap_err();
        assert!(
            matches!(&err, PkiError::RevocationUnavailable(m) if m.contains(expect)),
            "{behaviour:?}: {err:?}"
        );
    }
    // Signed by the CA itself: accepted.
    pki.set_ocsp_behaviour(OcspBehaviour {
        signer: ResponderSigner::Ca,
        ..Default::default()
    });
    let leaf = pki.issue(&spec).unwrap();
    login(&v, &leaf, &leaf, NOW).await.unwrap();
}

#[tokio::test]
async fn unreachable_responder_policies() {
    let pki = TestPki::start(NOW).await.unwrap();
    pki.set_ocsp_behaviour(OcspBehaviour {
        down: true,
        ..Default::default()
    });
    let leaf = person(&pki); // has both OCSP and CRL
                             // Default: OCSP down, the CRL answers.
    let v = verifier(&pki, RevocationPolicy::default());
    login(&v, &leaf, &leaf, NOW).await.unwrap();
    assert_eq!(pki.crl_requests(), 1);
    // Both down: fail closed…
    pki.set_crl_down(true);
    let v = verifier(&pki, RevocationPolicy::default());
    let err = login(&v, &leaf, &leaf, NOW).await.unwrap_err();
    assert!(matches!(err, PkiError::RevocationUnavailable(_)));
    // …unless the operator chose soft-fail for this CA.
    let mut v = verifier(&pki, RevocationPolicy::default());
    v.revocation.set_issuer_policy(
        &pki.ca.cert,
        RevocationPolicy {
            soft_fail: true,
            ..Default::default()
        },
    );
    let chain = login(&v, &leaf, &leaf, NOW).await.unwrap();
    let sources = v.revocation.check(&chain, NOW).await.unwrap();
    assert_eq!(sources[0], Source::SoftFail);
    // A revoked answer is never softened.
    pki.set_ocsp_behaviour(OcspBehaviour::default());
    pki.set_ocsp_status(&leaf.cert, CertStatus::Revoked { at: NOW - HOUR });
    v.revocation.clear();
    assert_eq!(
        login(&v, &leaf, &leaf, NOW).await,
        Err(PkiError::Revoked {
            at: Some(NOW - HOUR)
        })
    );
}

#[tokio::test]
async fn weak_algorithms_and_keys_are_refused() {
    let pki = TestPki::start(NOW).await.unwrap();
    let policy = AlgorithmPolicy::default();
    let trust = pki.trust_store();
    let weak = pki
        .issue_weak_rsa(&LeafSpec::person("Ngô Văn Khánh", "001203004572", NOW))
        .unwrap();
    assert_eq!(weak.key, KeyKind::Rsa { bits: 1024 });
    let err = trust.validate(&weak, &[], NOW, &policy).unwrap_err();
    assert!(matches!(err, PkiError::WeakAlgorithm(_)), "{err:?}");

    // A leaf whose signature algorithm says SHA-1 with RSA (the OID is
    // patched in place, same length): refused by policy before any
    // signature check.
    let rsa = TestPki::start_with(NOW, KeyAlg::RsaA).await.unwrap();
    let mut spec = LeafSpec::person("Ngô Văn Khánh", "001203004572", NOW);
    spec.key = KeyAlg::RsaB;
    let leaf = rsa.issue(&spec).unwrap();
    let sha256_rsa = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
    let mut der = leaf.der().to_vec();
    let mut patched = 0;
    for i in 0..der.len() - sha256_rsa.len() {
        if der[i..].starts_with(&sha256_rsa) {
            der[i + 8] = 0x05; // sha1WithRSAEncryption
            patched += 1;
        }
    }
    assert_eq!(patched, 2, "tbs and outer signature algorithm");
    let sha1_leaf = Certificate::from_der(&der).unwrap();
    let err = rsa
        .trust_store()
        .validate(&sha1_leaf, &[], NOW, &policy)
        .unwrap_err();
    assert_eq!(err, PkiError::WeakAlgorithm("SHA-1".into()));
    // The policy itself: SHA-1 is never accepted, even if configured.
    let lax = AlgorithmPolicy {
        hashes: vec!["SHA-1".into(), "SHA-256".into()],
        ..Default::default()
    };
    let err = lax
        .verify_x509(&pki.ca.cert, "1.2.840.10045.4.1", b"x", b"y")
        .unwrap_err();
    assert!(matches!(err, PkiError::WeakAlgorithm(m) if m == "SHA-1"));
    let err = policy
        .verify_x509(&pki.ca.cert, "1.2.840.113549.1.1.5", b"x", b"y")
        .unwrap_err();
    assert!(matches!(err, PkiError::WeakAlgorithm(_)));
    // P-384 off by configuration.
    let p256_only = AlgorithmPolicy {
        curves: vec!["P-256".into()],
        ..Default::default()
    };
    let mut spec = LeafSpec::person("Ngô Văn Khánh", "001203004572", NOW);
    spec.key = KeyAlg::P384;
    let p384 = pki.issue(&spec).unwrap();
    assert!(matches!(
        trust.validate(&p384.cert, &[], NOW, &p256_only),
        Err(PkiError::WeakAlgorithm(_))
    ));
}

#[tokio::test]
async fn ca_constraints_and_key_usage() {
    let pki = TestPki::start(NOW).await.unwrap();
    let policy = AlgorithmPolicy::default();
    let trust = pki.trust_store();

    // An end-entity certificate used as an issuer.
    let fake_ca = person(&pki);
    let under_fake = pki
        .issue_under(
            &fake_ca,
            &LeafSpec::person("Mai Văn Long", "001203004573", NOW),
        )
        .unwrap();
    let err = trust
        .validate(
            &under_fake.cert,
            std::slice::from_ref(&fake_ca.cert),
            NOW,
            &policy,
        )
        .unwrap_err();
    assert!(
        matches!(&err, PkiError::InvalidChain(m) if m.contains("not a CA")),
        "{err:?}"
    );

    // The test CA has pathLen 0: a sub-CA under it may not issue.
    let mut sub_spec = LeafSpec::person("Sub CA", "001203004574", NOW);
    sub_spec.is_ca = true;
    sub_spec.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let sub = pki.issue(&sub_spec).unwrap();
    let under_sub = pki
        .issue_under(&sub, &LeafSpec::person("Mai Văn Long", "001203004573", NOW))
        .unwrap();
    let err = trust
        .validate(
            &under_sub.cert,
            std::slice::from_ref(&sub.cert),
            NOW,
            &policy,
        )
        .unwrap_err();
    assert!(
        matches!(&err, PkiError::InvalidChain(m) if m.contains("path length")),
        "{err:?}"
    );
    // A CA certificate cannot log in.
    assert!(matches!(
        trust.validate(&sub.cert, &[], NOW, &policy),
        Err(PkiError::NotForSigning(_))
    ));

    // A leaf for encryption only.
    let mut enc = LeafSpec::person("Mai Văn Long", "001203004573", NOW);
    enc.key_usages = vec![KeyUsagePurpose::KeyEncipherment];
    let enc = pki.issue(&enc).unwrap();
    assert!(matches!(
        trust.validate(&enc.cert, &[], NOW, &policy),
        Err(PkiError::NotForSigning(_))
    ));
    // No key usage at all.
    let mut none = LeafSpec::person("Mai Văn Long", "001203004573", NOW);
    none.key_usages = vec![];
    let none = pki.issue(&none).unwrap();
    assert!(matches!(
        trust.validate(&none.cert, &[], NOW, &policy),
        Err(PkiError::NotForSigning(_))
    ));
    // nonRepudiation alone is a signing certificate (Vietnamese CAs issue these).
    let mut nr = LeafSpec::person("Mai Văn Long", "001203004573", NOW);
    nr.key_usages = vec![KeyUsagePurpose::ContentCommitment];
    let nr = pki.issue(&nr).unwrap();
    trust.validate(&nr.cert, &[], NOW, &policy).unwrap();
    // An empty trust store trusts nothing.
    assert!(matches!(
        TrustStore::new().validate(&nr.cert, std::slice::from_ref(&pki.ca.cert), NOW, &policy),
        Err(PkiError::UntrustedIssuer(_))
    ));
}

#[tokio::test]
async fn pem_bundles_and_identity_fields() {
    let pki = TestPki::start(NOW).await.unwrap();
    let bundle = format!(
        "{}{}",
        cert::to_pem(&pki.root.cert.der),
        cert::to_pem(&pki.ca.cert.der)
    );
    let certs = Certificate::parse_many(bundle.as_bytes()).unwrap();
    assert_eq!(certs, vec![pki.root.cert.clone(), pki.ca.cert.clone()]);
    let leaf = person(&pki);
    assert_eq!(leaf.cert.ocsp_urls, vec![pki.ocsp_url()]);
    assert_eq!(leaf.cert.crl_urls, vec![pki.crl_url()]);
    assert_eq!(leaf.cert.spki_sha256.len(), 64);
    assert!(
        leaf.cert.subject_dn.contains("Nguyễn Văn An"),
        "{}",
        leaf.cert.subject_dn
    );
    assert!(leaf.cert.not_after > NOW);
}

fn sample_ocsp_response(pki: &TestPki) -> Vec<u8> {
    let leaf = person(pki);
    let id = ocsp::CertId::new(&leaf.cert, &pki.ca.cert, ocsp::IdHash::Sha1);
    ocsp::encode_response(
        pki.ca.cert.subject_raw(),
        NOW,
        &[ocsp::ResponseEntry {
            id,
            status: CertStatus::Good,
            this_update: NOW,
            next_update: Some(NOW + DAY),
        }],
        Some(&[1; 32]),
        std::slice::from_ref(&pki.responder.cert.der),
        |tbs| ("1.2.840.10045.4.3.2".into(), pki.ca.sign(tbs)),
    )
}

#[tokio::test]
async fn ocsp_response_round_trip() {
    let pki = TestPki::start(NOW).await.unwrap();
    let der = sample_ocsp_response(&pki);
    let r = ocsp::parse_response(&der).unwrap();
    assert_eq!(r.nonce, Some(vec![1; 32]));
    assert_eq!(r.certs.len(), 1);
    assert_eq!(r.responses[0].status, CertStatus::Good);
}

/// Samples for the no-panic properties, built once.
type Samples = (Vec<u8>, Vec<u8>, Vec<u8>, TrustStore, Vec<u8>);

/// A leaf, a CRL, an OCSP response, the trust store of their PKI and its
/// CA certificate.
fn samples() -> &'static Samples {
    static S: std::sync::OnceLock<Samples> = std::sync::OnceLock::new();
    S.get_or_init(|| {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let pki = TestPki::start(NOW).await.unwrap();
            let leaf = person(&pki);
            pki.publish_crl(NOW, NOW + DAY, &[(&leaf.cert, NOW)])
                .unwrap();
            let crl = reqwest::get(pki.crl_url())
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            (
                leaf.cert.der.clone(),
                crl.to_vec(),
                sample_ocsp_response(&pki),
                pki.trust_store(),
                pki.ca.cert.der.clone(),
            )
        })
    })
}

fn mutate(base: &[u8], edits: &[(usize, u8)], cut: usize) -> Vec<u8> {
    let mut v = base.to_vec();
    for (i, b) in edits {
        if !v.is_empty() {
            let n = v.len();
            v[i % n] = *b;
        }
    }
    v.truncate(v.len().saturating_sub(cut % 8));
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn parsers_never_panic_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = Certificate::from_der(&bytes);
        let _ = Certificate::parse_many(&bytes);
        let _ = crl::Crl::from_der(&bytes);
        let _ = ocsp::parse_response(&bytes);
        let _ = ocsp::parse_request(&bytes);
        let _ = Challenge::parse(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn parsers_never_panic_on_mutated_der(
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        cut in any::<usize>(),
    ) {
        let (cert, crl, ocsp_der, trust, ca) = samples();
        let policy = AlgorithmPolicy::default();
        if let Ok(c) = Certificate::from_der(&mutate(cert, &edits, cut)) {
            // Whatever parses must also survive validation against the
            // real trust store, within the work budget, and a mutated leaf
            // never validates (its signature no longer holds).
            let started = std::time::Instant::now();
            let r = trust.validate(&c, &[], NOW, &policy);
            prop_assert!(started.elapsed() < std::time::Duration::from_secs(1));
            prop_assert!(r.is_err() || c.der == *cert, "a mutated leaf validated");
            let _ = c.identity.primary();
        }
        if let Ok(mutated_ca) = Certificate::from_der(&mutate(ca, &edits, cut)) {
            let leaf = Certificate::from_der(cert).unwrap();
            let r = TrustStore::new().validate(&leaf, &[mutated_ca], NOW, &policy);
            prop_assert!(r.is_err());
            let _ = trust.validate(&leaf, &[], NOW, &policy);
        }
        let _ = crl::Crl::from_der(&mutate(crl, &edits, cut));
        let _ = ocsp::parse_response(&mutate(ocsp_der, &edits, cut));
    }
}

/// `motcua demo` moved to another address: its PKI (same keys, kept in
/// a folder) now names other CRL and OCSP URLs. A leaf issued for the old
/// address fails its revocation check; re-issued, it keeps its issuer,
/// serial number and key (what a registration binds) and verifies.
#[tokio::test]
async fn a_leaf_reissued_for_a_new_base_url_keeps_its_binding_and_verifies() {
    let dir = std::env::temp_dir().join(format!("motcua-reissue-{}", rand_suffix()));
    // First run: served at an address that is gone now.
    let first =
        TestPki::create(NOW, KeyAlg::P256, "http://127.0.0.1:9/dev-pki", Some(&dir)).unwrap();
    let spec = LeafSpec::person("Trần Văn Bảo", "001089001234", NOW);
    let old = first.issue(&spec).unwrap();
    drop(first);
    // Second run at a new address, same key folder.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/dev-pki", listener.local_addr().unwrap());
    let pki = TestPki::create(NOW, KeyAlg::P256, &base, Some(&dir)).unwrap();
    let app = axum::Router::new().nest("/dev-pki", pki.router());
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let v = verifier(&pki, RevocationPolicy::default());
    assert!(!pki.serves(&old.cert));
    assert!(matches!(
        login(&v, &old, &old, NOW).await,
        Err(PkiError::RevocationUnavailable(_))
    ));
    let new = pki.reissue(&spec, &old.cert, &old.key_pem()).unwrap();
    assert!(pki.serves(&new.cert));
    assert_eq!(new.cert.serial_hex, old.cert.serial_hex);
    assert_eq!(new.cert.issuer_dn, old.cert.issuer_dn);
    assert_eq!(new.cert.spki_sha256, old.cert.spki_sha256);
    assert_eq!(new.cert.not_after, old.cert.not_after);
    assert!(new.cert.crl_urls.iter().all(|u| u.starts_with(&base)));
    let chain = login(&v, &new, &old, NOW).await.unwrap();
    assert_eq!(chain.leaf().identity.personal_id(), Some("001089001234"));
    server.abort();
    let _ = std::fs::remove_dir_all(&dir);
}

fn rand_suffix() -> String {
    format!(
        "{}-{:x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    )
}

/// OCSP answers that give no status (issue #13): "unknown", an answer
/// about another certificate, a delegated responder past its validity.
/// Each is "revocation unavailable" (so the CRL fallback and soft_fail
/// apply), never "good".
#[tokio::test]
async fn ocsp_unknown_wrong_certid_and_expired_responder() {
    let pki = TestPki::start(NOW).await.unwrap();
    let v = verifier(&pki, RevocationPolicy::default());
    let mut spec = LeafSpec::person("Lý Thị Mai", "001203004575", NOW);
    spec.crl = false;
    // Unknown.
    let leaf = pki.issue(&spec).unwrap();
    pki.set_ocsp_status(&leaf.cert, CertStatus::Unknown);
    let err = login(&v, &leaf, &leaf, NOW).await.unwrap_err();
    assert!(
        matches!(&err, PkiError::RevocationUnavailable(m) if m.contains("does not know")),
        "{err:?}"
    );
    // An answer about another serial number.
    pki.set_ocsp_behaviour(OcspBehaviour {
        wrong_serial: true,
        ..Default::default()
    });
    let leaf = pki.issue(&spec).unwrap();
    let err = login(&v, &leaf, &leaf, NOW).await.unwrap_err();
    assert!(
        matches!(&err, PkiError::RevocationUnavailable(m) if m.contains("no answer for this certificate")),
        "{err:?}"
    );
    // The delegated responder's certificate ran out (it is valid for a
    // year); the leaf and the CA are still valid.
    pki.set_ocsp_behaviour(OcspBehaviour::default());
    let mut long = spec.clone();
    long.not_after = NOW + 3 * 365 * DAY;
    let leaf = pki.issue(&long).unwrap();
    let later = NOW + 400 * DAY;
    pki.set_now(later);
    let err = login(&v, &leaf, &leaf, later).await.unwrap_err();
    assert!(
        matches!(&err, PkiError::RevocationUnavailable(m) if m.contains("unauthorised responder")),
        "{err:?}"
    );
    // With the CRL as fallback, the same login goes through.
    let mut with_crl = long.clone();
    with_crl.crl = true;
    let leaf = pki.issue(&with_crl).unwrap();
    pki.refresh(later).unwrap();
    login(&v, &leaf, &leaf, later).await.unwrap();
}

/// The CA itself revoked on the root's CRL: every certificate under it is
/// refused, however good its own status.
#[tokio::test]
async fn revoked_intermediate() {
    let pki = TestPki::start(NOW).await.unwrap();
    let v = verifier(
        &pki,
        RevocationPolicy {
            mode: RevocationMode::Crl,
            ..Default::default()
        },
    );
    let leaf = person(&pki);
    login(&v, &leaf, &leaf, NOW).await.unwrap();
    pki.publish_arl_revoking(NOW - 60_000, NOW + DAY, &[(&pki.ca.cert, NOW - 60_000)])
        .unwrap();
    let v = verifier(
        &pki,
        RevocationPolicy {
            mode: RevocationMode::Crl,
            ..Default::default()
        },
    );
    let err = login(&v, &leaf, &leaf, NOW).await.unwrap_err();
    assert!(matches!(err, PkiError::Revoked { .. }), "{err:?}");
}

/// A CRL or OCSP signature with an algorithm the policy refuses is "no
/// status" (issue #13 item 7): the CRL fallback and a CA's soft_fail apply
/// to it, as to any other unusable answer.
#[tokio::test]
async fn weak_algorithms_on_revocation_data_mean_no_status() {
    let pki = TestPki::start(NOW).await.unwrap();
    let leaf = person(&pki);
    let only_384 = AlgorithmPolicy {
        hashes: vec!["SHA-384".into()],
        ..AlgorithmPolicy::default()
    };
    // OCSP signed with ecdsa-with-SHA256.
    let id = ocsp::CertId::new(&leaf.cert, &pki.ca.cert, ocsp::IdHash::Sha1);
    let der = ocsp::encode_response(
        pki.ca.cert.subject_raw(),
        NOW,
        &[ocsp::ResponseEntry {
            id: id.clone(),
            status: CertStatus::Good,
            this_update: NOW,
            next_update: Some(NOW + DAY),
        }],
        Some(&[1; 32]),
        &[],
        |tbs| ("1.2.840.10045.4.3.2".into(), pki.ca.sign(tbs)),
    );
    let r = ocsp::parse_response(&der).unwrap();
    r.verify(
        &pki.ca.cert,
        &id,
        Some(&[1; 32]),
        NOW,
        HOUR,
        &AlgorithmPolicy::default(),
    )
    .unwrap();
    let err = r
        .verify(&pki.ca.cert, &id, Some(&[1; 32]), NOW, HOUR, &only_384)
        .unwrap_err();
    assert!(matches!(err, PkiError::RevocationUnavailable(_)), "{err:?}");
    // The CRL, same algorithm.
    let crl = reqwest::get(pki.crl_url())
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let crl = crl::Crl::from_der(&crl).unwrap();
    crl.verify(&pki.ca.cert, &AlgorithmPolicy::default())
        .unwrap();
    let err = crl.verify(&pki.ca.cert, &only_384).unwrap_err();
    assert!(matches!(err, PkiError::RevocationUnavailable(_)), "{err:?}");
    // Through the checker: no status from either, so fail closed...
    let chain = pki
        .trust_store()
        .validate(&leaf.cert, &[], NOW, &AlgorithmPolicy::default())
        .unwrap();
    let strict = RevocationChecker::new(only_384.clone(), RevocationPolicy::default()).unwrap();
    let err = strict.check(&chain, NOW).await.unwrap_err();
    assert!(matches!(err, PkiError::RevocationUnavailable(_)), "{err:?}");
    // ...unless the operator chose soft_fail for this CA.
    let soft = RevocationChecker::new(
        only_384,
        RevocationPolicy {
            soft_fail: true,
            ..RevocationPolicy::default()
        },
    )
    .unwrap();
    let sources = soft.check(&chain, NOW).await.unwrap();
    assert!(sources.contains(&Source::SoftFail), "{sources:?}");
}
