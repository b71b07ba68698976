//! OCSP (RFC 6960) requests and responses, written and read with `yasna`.
//! The client side builds a request with a nonce (RFC 8954) and checks a
//! response: who signed it (the CA itself, or a responder the CA delegated
//! with id-kp-OCSPSigning), the signature under the algorithm policy, the
//! nonce, the certificate it answers for and its freshness. The writer side
//! is used by the test responder in [`crate::testca`].
use crate::cert::Certificate;
use crate::crl::SKEW;
use crate::der::{self, OCSP_BASIC, OCSP_NONCE, SHA1, SHA256};
use crate::policy::AlgorithmPolicy;
use crate::{Millis, PkiError};
use ring::digest;
use yasna::models::{GeneralizedTime, ObjectIdentifier};
use yasna::{ASN1Error, ASN1ErrorKind, ASN1Result, BERReader, DERWriter, Tag};

/// Digest used in a CertID. SHA-1 there is an identifier, not a signature,
/// and it is what most responders index by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdHash {
    Sha1,
    Sha256,
}

impl IdHash {
    fn oid(self) -> &'static [u64] {
        match self {
            IdHash::Sha1 => SHA1,
            IdHash::Sha256 => SHA256,
        }
    }
    fn digest(self, data: &[u8]) -> Vec<u8> {
        let alg = match self {
            IdHash::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
            IdHash::Sha256 => &digest::SHA256,
        };
        digest::digest(alg, data).as_ref().to_vec()
    }
}

/// Which certificate a request or a single response is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CertId {
    pub hash: IdHash,
    pub issuer_name_hash: Vec<u8>,
    pub issuer_key_hash: Vec<u8>,
    /// Serial without leading zero octets.
    pub serial: Vec<u8>,
}

impl CertId {
    pub fn new(cert: &Certificate, issuer: &Certificate, hash: IdHash) -> Self {
        Self {
            hash,
            issuer_name_hash: hash.digest(issuer.subject_raw()),
            issuer_key_hash: hash.digest(issuer.public_key_bytes()),
            serial: cert.serial_bytes().to_vec(),
        }
    }

    /// A stable key for caches.
    pub fn cache_key(&self) -> String {
        format!(
            "{}:{}:{}",
            hex::encode(&self.issuer_name_hash),
            hex::encode(&self.issuer_key_hash),
            hex::encode(&self.serial)
        )
    }

    fn write(&self, w: DERWriter<'_>) {
        w.write_sequence(|w| {
            write_alg(w.next(), self.hash.oid(), true);
            w.next().write_bytes(&self.issuer_name_hash);
            w.next().write_bytes(&self.issuer_key_hash);
            w.next().write_bigint_bytes(&self.serial, true);
        })
    }

    fn read(r: BERReader<'_, '_>) -> ASN1Result<Self> {
        r.read_sequence(|r| {
            let oid = read_alg(r.next())?;
            let hash = if oid.components().as_slice() == SHA1 {
                IdHash::Sha1
            } else if oid.components().as_slice() == SHA256 {
                IdHash::Sha256
            } else {
                return Err(ASN1Error::new(ASN1ErrorKind::Invalid));
            };
            let issuer_name_hash = r.next().read_bytes()?;
            let issuer_key_hash = r.next().read_bytes()?;
            let (serial, positive) = r.next().read_bigint_bytes()?;
            if !positive {
                return Err(ASN1Error::new(ASN1ErrorKind::Invalid));
            }
            Ok(Self {
                hash,
                issuer_name_hash,
                issuer_key_hash,
                serial: der::trim_integer(&serial).to_vec(),
            })
        })
    }

    /// Same certificate, whatever the serial's encoding.
    pub fn matches(&self, other: &CertId) -> bool {
        self.hash == other.hash
            && self.issuer_name_hash == other.issuer_name_hash
            && self.issuer_key_hash == other.issuer_key_hash
            && self.serial == other.serial
    }
}

fn write_alg(w: DERWriter<'_>, oid: &[u64], null_params: bool) {
    w.write_sequence(|w| {
        w.next().write_oid(&ObjectIdentifier::from_slice(oid));
        if null_params {
            w.next().write_null();
        }
    })
}

fn read_alg(r: BERReader<'_, '_>) -> ASN1Result<ObjectIdentifier> {
    read_alg_params(r).map(|(oid, _)| oid)
}

/// An AlgorithmIdentifier with its parameters' DER, if any.
fn read_alg_params(r: BERReader<'_, '_>) -> ASN1Result<(ObjectIdentifier, Option<Vec<u8>>)> {
    r.read_sequence(|r| {
        let oid = r.next().read_oid()?;
        let params = r.read_optional(|r| r.read_der())?;
        Ok((oid, params))
    })
}

/// Parameters' DER as (tag number, content octets), for the policy.
fn split_params(der: &[u8]) -> Option<(u32, Vec<u8>)> {
    let tag = u32::from(*der.first()? & 0x1f);
    let len = *der.get(1)?;
    let start = if len & 0x80 == 0 {
        2
    } else {
        2 + usize::from(len & 0x7f)
    };
    Some((tag, der.get(start..)?.to_vec()))
}

fn oid_string(oid: &ObjectIdentifier) -> String {
    oid.components()
        .iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(".")
}

fn oid_from_string(s: &str) -> Option<ObjectIdentifier> {
    let parts: Vec<u64> = s
        .split('.')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    (parts.len() >= 2).then(|| ObjectIdentifier::new(parts))
}

/// One extension: (oid, critical, value).
type Ext = (ObjectIdentifier, bool, Vec<u8>);

/// Extensions, in order.
fn read_extensions(r: BERReader<'_, '_>) -> ASN1Result<Vec<Ext>> {
    r.collect_sequence_of(|r| {
        r.read_sequence(|r| {
            let oid = r.next().read_oid()?;
            let critical = r.read_optional(|r| r.read_bool())?.unwrap_or(false);
            let value = r.next().read_bytes()?;
            Ok((oid, critical, value))
        })
    })
}

/// The first critical extension other than the nonce, as a dotted OID.
fn critical_other_than_nonce(exts: &[Ext]) -> Option<String> {
    exts.iter()
        .find(|(o, critical, _)| *critical && o.components().as_slice() != OCSP_NONCE)
        .map(|(o, _, _)| oid_string(o))
}

fn write_nonce_extensions(w: DERWriter<'_>, nonce: &[u8]) {
    w.write_sequence_of(|w| {
        w.next().write_sequence(|w| {
            w.next()
                .write_oid(&ObjectIdentifier::from_slice(OCSP_NONCE));
            w.next()
                .write_bytes(&yasna::construct_der(|w| w.write_bytes(nonce)));
        })
    })
}

/// The nonce in an extension value: an OCTET STRING per RFC 8954, or the
/// raw octets as some responders write it.
fn nonce_of(exts: &[Ext]) -> Option<Vec<u8>> {
    exts.iter()
        .find(|(o, _, _)| o.components().as_slice() == OCSP_NONCE)
        .map(|(_, _, v)| yasna::parse_der(v, |r| r.read_bytes()).unwrap_or_else(|_| v.clone()))
}

/// DER of an OCSPRequest for one certificate, with a nonce.
pub fn encode_request(id: &CertId, nonce: &[u8]) -> Vec<u8> {
    yasna::construct_der(|w| {
        w.write_sequence(|w| {
            // tbsRequest
            w.next().write_sequence(|w| {
                w.next().write_sequence_of(|w| {
                    w.next().write_sequence(|w| id.write(w.next()));
                });
                w.next()
                    .write_tagged(Tag::context(2), |w| write_nonce_extensions(w, nonce));
            })
        })
    })
}

/// A parsed OCSPRequest (what the test responder reads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub ids: Vec<CertId>,
    pub nonce: Option<Vec<u8>>,
}

pub fn parse_request(der: &[u8]) -> Result<Request, PkiError> {
    yasna::parse_der(der, |r| {
        r.read_sequence(|r| {
            let out = r.next().read_sequence(|r| {
                r.read_optional(|r| r.read_tagged(Tag::context(0), |r| r.read_u8()))?;
                r.read_optional(|r| r.read_tagged(Tag::context(1), |r| r.read_der()))?;
                let ids = r.next().collect_sequence_of(|r| {
                    r.read_sequence(|r| {
                        let id = CertId::read(r.next())?;
                        r.read_optional(|r| r.read_tagged(Tag::context(0), |r| r.read_der()))?;
                        Ok(id)
                    })
                })?;
                let exts = r
                    .read_optional(|r| r.read_tagged(Tag::context(2), read_extensions))?
                    .unwrap_or_default();
                Ok(Request {
                    ids,
                    nonce: nonce_of(&exts),
                })
            })?;
            // optionalSignature [0]: accepted, not checked (unsigned requests).
            r.read_optional(|r| r.read_tagged(Tag::context(0), |r| r.read_der()))?;
            Ok(out)
        })
    })
    .map_err(|e| PkiError::Malformed(format!("OCSP request: {e}")))
}

/// A certificate's status as a responder states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertStatus {
    Good,
    Revoked { at: Millis },
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SingleResponse {
    pub id: CertId,
    pub status: CertStatus,
    pub this_update: Millis,
    pub next_update: Option<Millis>,
    /// A critical single extension this crate does not process.
    pub unknown_critical: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponderId {
    ByName(Vec<u8>),
    ByKey(Vec<u8>),
}

/// A parsed BasicOCSPResponse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicResponse {
    tbs: Vec<u8>,
    pub responder: ResponderId,
    pub produced_at: Millis,
    pub responses: Vec<SingleResponse>,
    pub nonce: Option<Vec<u8>>,
    /// A critical response extension this crate does not process.
    pub unknown_critical: Option<String>,
    sig_alg: String,
    /// The signature algorithm's parameters (DER), if any.
    sig_params: Option<Vec<u8>>,
    signature: Vec<u8>,
    pub certs: Vec<Vec<u8>>,
}

/// What a checked response says, and until when it may be reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub status: CertStatus,
    pub this_update: Millis,
    pub valid_until: Millis,
}

fn millis_of(t: &GeneralizedTime) -> Millis {
    t.datetime().unix_timestamp().saturating_mul(1000)
}

fn read_time(r: BERReader<'_, '_>) -> ASN1Result<Millis> {
    Ok(millis_of(&r.read_generalized_time()?))
}

/// Parses an OCSPResponse. A responder status other than `successful`
/// (malformed request, try later, unauthorized…) is an unavailable status.
pub fn parse_response(der: &[u8]) -> Result<BasicResponse, PkiError> {
    let outer = yasna::parse_der(der, |r| {
        r.read_sequence(|r| {
            let status = r.next().read_enum()?;
            let bytes = r.read_optional(|r| {
                r.read_tagged(Tag::context(0), |r| {
                    r.read_sequence(|r| {
                        let ty = r.next().read_oid()?;
                        let body = r.next().read_bytes()?;
                        Ok((ty, body))
                    })
                })
            })?;
            Ok((status, bytes))
        })
    })
    .map_err(|e| PkiError::Malformed(format!("OCSP response: {e}")))?;
    let (status, bytes) = outer;
    if status != 0 {
        return Err(PkiError::RevocationUnavailable(format!(
            "OCSP responder answered status {status}"
        )));
    }
    let Some((ty, body)) = bytes else {
        return Err(PkiError::Malformed("OCSP response without body".into()));
    };
    if ty.components().as_slice() != OCSP_BASIC {
        return Err(PkiError::Malformed("OCSP response type not basic".into()));
    }
    parse_basic(&body).map_err(|e| PkiError::Malformed(format!("OCSP basic response: {e}")))
}

fn parse_basic(der: &[u8]) -> ASN1Result<BasicResponse> {
    let (tbs, sig_alg, signature, certs) = yasna::parse_der(der, |r| {
        r.read_sequence(|r| {
            let tbs = r.next().read_der()?;
            let alg = read_alg_params(r.next())?;
            let (sig, _) = r.next().read_bitvec_bytes()?;
            let certs = r
                .read_optional(|r| {
                    r.read_tagged(Tag::context(0), |r| r.collect_sequence_of(|r| r.read_der()))
                })?
                .unwrap_or_default();
            Ok((tbs, alg, sig, certs))
        })
    })?;
    let (responder, produced_at, responses, exts) = yasna::parse_der(&tbs, |r| {
        r.read_sequence(|r| {
            r.read_optional(|r| r.read_tagged(Tag::context(0), |r| r.read_u8()))?;
            let responder = {
                let r = r.next();
                let tag = r.lookahead_tag()?;
                if tag == Tag::context(1) {
                    ResponderId::ByName(r.read_tagged(Tag::context(1), |r| r.read_der())?)
                } else if tag == Tag::context(2) {
                    ResponderId::ByKey(r.read_tagged(Tag::context(2), |r| r.read_bytes())?)
                } else {
                    return Err(ASN1Error::new(ASN1ErrorKind::Invalid));
                }
            };
            let produced_at = read_time(r.next())?;
            let responses = r.next().collect_sequence_of(read_single)?;
            let exts = r
                .read_optional(|r| r.read_tagged(Tag::context(1), read_extensions))?
                .unwrap_or_default();
            Ok((responder, produced_at, responses, exts))
        })
    })?;
    Ok(BasicResponse {
        tbs,
        responder,
        produced_at,
        responses,
        nonce: nonce_of(&exts),
        unknown_critical: critical_other_than_nonce(&exts),
        sig_alg: oid_string(&sig_alg.0),
        sig_params: sig_alg.1,
        signature,
        certs,
    })
}

fn read_single(r: BERReader<'_, '_>) -> ASN1Result<SingleResponse> {
    r.read_sequence(|r| {
        let id = CertId::read(r.next())?;
        let status = {
            let r = r.next();
            let tag = r.lookahead_tag()?;
            if tag == Tag::context(0) {
                r.read_tagged_implicit(Tag::context(0), |r| r.read_null())?;
                CertStatus::Good
            } else if tag == Tag::context(1) {
                let at = r.read_tagged_implicit(Tag::context(1), |r| {
                    r.read_sequence(|r| {
                        let at = read_time(r.next())?;
                        r.read_optional(|r| r.read_tagged(Tag::context(0), |r| r.read_enum()))?;
                        Ok(at)
                    })
                })?;
                CertStatus::Revoked { at }
            } else if tag == Tag::context(2) {
                r.read_tagged_implicit(Tag::context(2), |r| r.read_null())?;
                CertStatus::Unknown
            } else {
                return Err(ASN1Error::new(ASN1ErrorKind::Invalid));
            }
        };
        let this_update = read_time(r.next())?;
        let next_update = r.read_optional(|r| r.read_tagged(Tag::context(0), read_time))?;
        let exts = r
            .read_optional(|r| r.read_tagged(Tag::context(1), read_extensions))?
            .unwrap_or_default();
        Ok(SingleResponse {
            id,
            status,
            this_update,
            next_update,
            unknown_critical: critical_other_than_nonce(&exts),
        })
    })
}

impl BasicResponse {
    /// Checks the response for `id` (issued by `issuer`) at `now`. A
    /// response without `nextUpdate` is fresh for `max_age` after
    /// `thisUpdate`. `sent_nonce`, when given, must come back.
    pub fn verify(
        &self,
        issuer: &Certificate,
        id: &CertId,
        sent_nonce: Option<&[u8]>,
        now: Millis,
        max_age: Millis,
        policy: &AlgorithmPolicy,
    ) -> Result<Verdict, PkiError> {
        let unavailable = |s: &str| PkiError::RevocationUnavailable(format!("OCSP: {s}"));
        let delegated;
        let signer: &Certificate = if self.names(issuer) {
            issuer
        } else {
            delegated = self
                .certs
                .iter()
                .filter_map(|d| Certificate::from_der(d).ok())
                .find(|c| {
                    self.names(c)
                        && c.issuer_raw == issuer.subject_raw
                        && c.ocsp_signing
                        && c.check_validity(now).is_ok()
                        && c.unknown_critical.is_empty()
                        && c.key_usage
                            .is_none_or(|ku| ku.digital_signature || ku.non_repudiation)
                        && policy
                            .verify_x509(issuer, &c.sig_alg, &c.tbs, &c.signature)
                            .is_ok()
                })
                .ok_or_else(|| unavailable("response signed by an unauthorised responder"))?;
            &delegated
        };
        AlgorithmPolicy::check_parameters(
            &self.sig_alg,
            self.sig_params.as_deref().and_then(split_params).as_ref(),
        )
        .map_err(|e| unavailable(&format!("response signature: {e}")))?;
        policy
            .verify_x509(signer, &self.sig_alg, &self.tbs, &self.signature)
            .map_err(|e| match e {
                PkiError::BadSignature => unavailable("response signature does not verify"),
                // A weak algorithm is no usable answer either: the CRL
                // fallback and soft_fail apply as for any other.
                other => unavailable(&format!("response signature: {other}")),
            })?;
        if let Some(oid) = &self.unknown_critical {
            return Err(unavailable(&format!(
                "unsupported critical response extension {oid}"
            )));
        }
        if let Some(sent) = sent_nonce {
            if self.nonce.as_deref() != Some(sent) {
                return Err(unavailable("nonce does not match the request"));
            }
        }
        let single = self
            .responses
            .iter()
            .find(|s| s.id.matches(id))
            .ok_or_else(|| unavailable("no answer for this certificate"))?;
        if let Some(oid) = &single.unknown_critical {
            return Err(unavailable(&format!(
                "unsupported critical extension {oid} in the answer"
            )));
        }
        if single.this_update > now + SKEW {
            return Err(unavailable("response from the future"));
        }
        let valid_until = match single.next_update {
            Some(next) => next,
            None => single.this_update.saturating_add(max_age),
        };
        if now >= valid_until {
            return Err(unavailable("response is stale"));
        }
        Ok(Verdict {
            status: single.status,
            this_update: single.this_update,
            valid_until,
        })
    }

    /// Whether the responder id names `cert` (by subject or by key hash).
    fn names(&self, cert: &Certificate) -> bool {
        match &self.responder {
            ResponderId::ByName(raw) => raw == cert.subject_raw(),
            ResponderId::ByKey(h) => *h == IdHash::Sha1.digest(cert.public_key_bytes()),
        }
    }
}

/// One answer the responder gives.
#[derive(Debug, Clone)]
pub struct ResponseEntry {
    pub id: CertId,
    pub status: CertStatus,
    pub this_update: Millis,
    pub next_update: Option<Millis>,
}

/// Writes a successful, signed OCSPResponse. `sign` returns the signature
/// algorithm OID (dotted) and the signature over the given bytes.
pub fn encode_response(
    responder_subject_raw: &[u8],
    produced_at: Millis,
    entries: &[ResponseEntry],
    nonce: Option<&[u8]>,
    certs: &[Vec<u8>],
    sign: impl FnOnce(&[u8]) -> (String, Vec<u8>),
) -> Vec<u8> {
    let gt = |m: Millis| {
        let dt = time::OffsetDateTime::from_unix_timestamp(m.div_euclid(1000))
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        GeneralizedTime::from_datetime(dt)
    };
    let tbs = yasna::construct_der(|w| {
        w.write_sequence(|w| {
            w.next()
                .write_tagged(Tag::context(1), |w| w.write_der(responder_subject_raw));
            w.next().write_generalized_time(&gt(produced_at));
            w.next().write_sequence_of(|w| {
                for e in entries {
                    w.next().write_sequence(|w| {
                        e.id.write(w.next());
                        match e.status {
                            CertStatus::Good => w
                                .next()
                                .write_tagged_implicit(Tag::context(0), |w| w.write_null()),
                            CertStatus::Revoked { at } => {
                                w.next().write_tagged_implicit(Tag::context(1), |w| {
                                    w.write_sequence(|w| w.next().write_generalized_time(&gt(at)))
                                })
                            }
                            CertStatus::Unknown => w
                                .next()
                                .write_tagged_implicit(Tag::context(2), |w| w.write_null()),
                        }
                        w.next().write_generalized_time(&gt(e.this_update));
                        if let Some(n) = e.next_update {
                            w.next().write_tagged(Tag::context(0), |w| {
                                w.write_generalized_time(&gt(n))
                            });
                        }
                    });
                }
            });
            if let Some(n) = nonce {
                w.next()
                    .write_tagged(Tag::context(1), |w| write_nonce_extensions(w, n));
            }
        })
    });
    let (alg, sig) = sign(&tbs);
    let alg_oid = oid_from_string(&alg).unwrap_or_else(|| ObjectIdentifier::from_slice(&[2, 5]));
    let rsa = alg.starts_with("1.2.840.113549.");
    let basic = yasna::construct_der(|w| {
        w.write_sequence(|w| {
            w.next().write_der(&tbs);
            w.next().write_sequence(|w| {
                w.next().write_oid(&alg_oid);
                if rsa {
                    w.next().write_null();
                }
            });
            w.next().write_bitvec_bytes(&sig, sig.len() * 8);
            if !certs.is_empty() {
                w.next().write_tagged(Tag::context(0), |w| {
                    w.write_sequence_of(|w| {
                        for c in certs {
                            w.next().write_der(c);
                        }
                    })
                });
            }
        })
    });
    yasna::construct_der(|w| {
        w.write_sequence(|w| {
            w.next().write_enum(0);
            w.next().write_tagged(Tag::context(0), |w| {
                w.write_sequence(|w| {
                    w.next()
                        .write_oid(&ObjectIdentifier::from_slice(OCSP_BASIC));
                    w.next().write_bytes(&basic);
                })
            });
        })
    })
}

/// An unsuccessful OCSPResponse (e.g. 3 = tryLater), no body.
pub fn encode_error_response(status: i64) -> Vec<u8> {
    yasna::construct_der(|w| w.write_sequence(|w| w.next().write_enum(status)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Extensions DER: (oid, critical) pairs with an empty OCTET STRING.
    fn exts(list: &[(&[u64], bool)]) -> Vec<u8> {
        yasna::construct_der(|w| {
            w.write_sequence_of(|w| {
                for (oid, critical) in list {
                    w.next().write_sequence(|w| {
                        w.next().write_oid(&ObjectIdentifier::from_slice(oid));
                        if *critical {
                            w.next().write_bool(true);
                        }
                        w.next().write_bytes(&[]);
                    })
                }
            })
        })
    }

    #[test]
    fn critical_extensions_other_than_the_nonce_are_found() {
        let read = |der: &[u8]| yasna::parse_der(der, read_extensions).unwrap();
        assert_eq!(
            critical_other_than_nonce(&read(&exts(&[(OCSP_NONCE, true)]))),
            None
        );
        assert_eq!(
            critical_other_than_nonce(&read(&exts(&[(&[1, 3, 6, 1, 5, 5, 7, 48, 1, 9], false)]))),
            None,
            "non-critical: ignored"
        );
        assert_eq!(
            critical_other_than_nonce(&read(&exts(&[
                (OCSP_NONCE, false),
                (&[1, 3, 6, 1, 4, 1, 99999, 7], true)
            ]))),
            Some("1.3.6.1.4.1.99999.7".to_string())
        );
    }

    #[test]
    fn garbage_is_an_error() {
        for bytes in [&b""[..], b"\x30\x00", b"\x30\x03\x0a\x01\x00", b"\xff\xff"] {
            assert!(parse_response(bytes).is_err());
            assert!(parse_request(bytes).is_err());
        }
        assert!(matches!(
            parse_response(&encode_error_response(3)),
            Err(PkiError::RevocationUnavailable(_))
        ));
    }

    #[test]
    fn request_round_trip() {
        let id = CertId {
            hash: IdHash::Sha1,
            issuer_name_hash: vec![1; 20],
            issuer_key_hash: vec![2; 20],
            serial: vec![0x80, 1],
        };
        let req = encode_request(&id, &[7; 32]);
        let parsed = parse_request(&req).unwrap();
        assert_eq!(parsed.ids, vec![id]);
        assert_eq!(parsed.nonce, Some(vec![7; 32]));
    }
}
