//! The x509-limbo suite (C2SP/x509-limbo, Apache-2.0; NOTICE): every case
//! is run through our path validation ([`TrustStore::validate`]) and, for
//! the cases with CRLs, our CRL checks ([`motcua_pki::crl::Crl`]). A case
//! limbo expects to FAIL that we accept fails this test unless
//! `tests/data/limbo-deviations.txt` lists it with a reason; so does a
//! case limbo expects to SUCCEED that we refuse (stricter by policy), so
//! that every difference is written down. A listed deviation that no
//! longer happens fails too: the file stays true.
//!
//! The pinned copy `tests/data/limbo.json.gz` was compiled from x509-limbo
//! at commit 8a2e6f41023b1716dc16fe63335e4bb972e4c3f6 (`python -m limbo
//! compile`) without the BetterTLS name-constraint cases, whose generated
//! input is not in that snapshot (docs/PKI.md).
use motcua_pki::crl::Crl;
use motcua_pki::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Read;

/// The instant of cases without `validation_time`: 2026-12-02T00:00:00Z.
const DEFAULT_TIME: Millis = 1_796_169_600_000;

const SERVER_AUTH: &str = "1.3.6.1.5.5.7.3.1";
const CLIENT_AUTH: &str = "1.3.6.1.5.5.7.3.2";

fn eku_oid(name: &str) -> &'static str {
    match name {
        "serverAuth" => SERVER_AUTH,
        "clientAuth" => CLIENT_AUTH,
        "codeSigning" => "1.3.6.1.5.5.7.3.3",
        "emailProtection" => "1.3.6.1.5.5.7.3.4",
        "timeStamping" => "1.3.6.1.5.5.7.3.8",
        "OCSPSigning" => "1.3.6.1.5.5.7.3.9",
        "anyExtendedKeyUsage" => "2.5.29.37.0",
        other => panic!("limbo EKU {other}"),
    }
}

fn certs(v: &Value) -> Vec<Vec<u8>> {
    v.as_array()
        .map(|a| {
            a.iter()
                .flat_map(|p| cert::pem_blocks(p.as_str().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default()
}

fn crl_blocks(v: &Value) -> Vec<Vec<u8>> {
    use base64::Engine;
    let mut out = Vec::new();
    for pem in v.as_array().into_iter().flatten() {
        let text = pem.as_str().unwrap_or_default();
        let b64: String = text
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<Vec<_>>()
            .concat();
        if let Ok(der) = base64::engine::general_purpose::STANDARD.decode(b64) {
            out.push(der);
        }
    }
    out
}

/// Our verdict on one case: Ok, or why we refuse.
fn run_case(case: &Value) -> Result<(), String> {
    let now = case["validation_time"]
        .as_str()
        .map(|t| {
            // limbo writes "2024-04-01T00:00:00.005+00:00": whole seconds,
            // then the fraction as milliseconds (always UTC).
            let whole =
                parse_rfc3339(&format!("{}Z", &t[..19])).unwrap_or_else(|| panic!("time {t}"));
            let frac = t[19..]
                .strip_prefix('.')
                .map(|f| {
                    let digits: String = f.chars().take_while(char::is_ascii_digit).collect();
                    format!("{digits:0<3}")[..3].parse::<i64>().unwrap_or(0)
                })
                .unwrap_or(0);
            whole + frac
        })
        .unwrap_or(DEFAULT_TIME);
    let mut usage = UsagePolicy::default();
    let ekus: Vec<String> = case["extended_key_usage"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| eku_oid(e.as_str().unwrap_or_default()).to_string())
                .collect()
        })
        .unwrap_or_default();
    usage.only_ekus = if !ekus.is_empty() {
        ekus
    } else if case["validation_kind"] == "CLIENT" {
        vec![CLIENT_AUTH.into()]
    } else {
        vec![SERVER_AUTH.into()]
    };
    let mut trust = TrustStore::new();
    trust.set_usage(usage).map_err(|e| e.to_string())?;
    for der in certs(&case["trusted_certs"]) {
        let c = Certificate::from_der(&der).map_err(|e| format!("anchor: {e}"))?;
        trust.add_anchor(c).map_err(|e| format!("anchor: {e}"))?;
    }
    // As in production (Verifier::verify), a presented certificate that
    // does not parse fails the request.
    let presented = certs(&case["untrusted_intermediates"])
        .iter()
        .map(|d| Certificate::from_der(d))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("intermediate: {e}"))?;
    let leaf_der = cert::pem_blocks(case["peer_certificate"].as_str().unwrap_or_default());
    let leaf = Certificate::from_der(leaf_der.first().ok_or("no peer certificate")?)
        .map_err(|e| format!("leaf: {e}"))?;
    let policy = AlgorithmPolicy::default();
    let chain = trust
        .validate(&leaf, &presented, now, &policy)
        .map_err(|e| format!("path: {e}"))?;
    if let Some(max) = case["max_chain_depth"].as_u64() {
        let intermediates = chain.certs.len() as u64 - 2;
        if intermediates > max {
            return Err(format!("{intermediates} intermediates > max {max}"));
        }
    }
    let crls = crl_blocks(&case["crls"])
        .iter()
        .map(|d| Crl::from_der(d))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("CRL: {e}"))?;
    if !crls.is_empty() {
        for (cert, issuer) in chain.links() {
            for crl in crls.iter().filter(|c| c.issuer_dn == issuer.subject_dn) {
                crl.verify(issuer, &policy)
                    .map_err(|e| format!("CRL: {e}"))?;
                crl.check_fresh(now).map_err(|e| format!("CRL: {e}"))?;
                if crl.check_scope(cert).is_err() {
                    continue;
                }
                if crl.revoked_at(cert).is_some() {
                    return Err(format!("revoked: {}", cert.subject_dn));
                }
            }
        }
    }
    Ok(())
}

fn load() -> Vec<Value> {
    let gz = include_bytes!("../data/limbo.json.gz");
    let mut text = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut text)
        .expect("limbo.json.gz");
    let v: Value = serde_json::from_str(&text).expect("limbo.json");
    v["testcases"].as_array().expect("testcases").clone()
}

/// `accept | id | reason` or `reject | id | reason` lines.
fn deviations() -> BTreeMap<String, (String, String)> {
    let text = include_str!("../data/limbo-deviations.txt");
    let mut out = BTreeMap::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.splitn(3, '|').map(str::trim);
        let (Some(kind), Some(id), Some(reason)) = (parts.next(), parts.next(), parts.next())
        else {
            panic!("deviations: bad line {line}");
        };
        assert!(
            matches!(kind, "accept" | "reject") && !reason.is_empty(),
            "deviations: bad line {line}"
        );
        assert!(
            out.insert(id.to_string(), (kind.to_string(), reason.to_string()))
                .is_none(),
            "deviations: {id} twice"
        );
    }
    out
}

#[test]
fn x509_limbo() {
    let cases = load();
    let listed = deviations();
    let mut agree = 0;
    let mut accepted_listed = 0;
    let mut rejected_listed = 0;
    let mut unexplained = Vec::new();
    let mut stale = Vec::new();
    for case in &cases {
        let id = case["id"].as_str().expect("id").to_string();
        let expected_ok = case["expected_result"] == "SUCCESS";
        let ours = run_case(case);
        let deviation = match (&ours, expected_ok) {
            (Ok(()), true) | (Err(_), false) => None,
            (Ok(()), false) => Some("accept"),
            (Err(_), true) => Some("reject"),
        };
        match (deviation, listed.get(&id)) {
            (None, None) => agree += 1,
            (None, Some(_)) => stale.push(id.clone()),
            (Some(kind), Some((k, _))) if kind == k => {
                if kind == "accept" {
                    accepted_listed += 1;
                } else {
                    rejected_listed += 1;
                }
            }
            (Some(kind), _) => unexplained.push(format!("{kind} | {id} | ours: {ours:?}")),
        }
    }
    println!(
        "x509-limbo: {} cases run, {agree} as limbo expects, {accepted_listed} accepted \
         against limbo (listed), {rejected_listed} refused against limbo (listed), \
         {} unexplained",
        cases.len(),
        unexplained.len()
    );
    assert!(
        unexplained.is_empty(),
        "cases that differ from limbo and are not in limbo-deviations.txt:\n{}",
        unexplained.join("\n")
    );
    assert!(
        stale.is_empty(),
        "listed deviations that no longer happen: {stale:?}"
    );
    assert!(cases.len() >= 200, "the pinned suite has 208 cases");
}
