//! Object identifiers and small DER helpers shared by the parsers.

pub const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
pub const SHA1_WITH_RSA: &str = "1.2.840.113549.1.1.5";
pub const SHA256_WITH_RSA: &str = "1.2.840.113549.1.1.11";
pub const SHA384_WITH_RSA: &str = "1.2.840.113549.1.1.12";
pub const SHA512_WITH_RSA: &str = "1.2.840.113549.1.1.13";
pub const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
pub const ECDSA_WITH_SHA1: &str = "1.2.840.10045.4.1";
pub const ECDSA_WITH_SHA256: &str = "1.2.840.10045.4.3.2";
pub const ECDSA_WITH_SHA384: &str = "1.2.840.10045.4.3.3";
pub const ECDSA_WITH_SHA512: &str = "1.2.840.10045.4.3.4";
/// prime256v1 / secp256r1, as the content octets of the OID.
pub const P256_OID_CONTENT: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// secp384r1, as the content octets of the OID.
pub const P384_OID_CONTENT: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];

pub const EXT_KEY_USAGE: &str = "2.5.29.15";
pub const EXT_BASIC_CONSTRAINTS: &str = "2.5.29.19";
pub const EXT_EXTENDED_KEY_USAGE: &str = "2.5.29.37";
pub const EXT_SUBJECT_ALT_NAME: &str = "2.5.29.17";
pub const EXT_CERT_POLICIES: &str = "2.5.29.32";
pub const EXT_SUBJECT_KEY_ID: &str = "2.5.29.14";
pub const EXT_AUTHORITY_KEY_ID: &str = "2.5.29.35";
pub const EXT_CRL_DP: &str = "2.5.29.31";
pub const EXT_AIA: &str = "1.3.6.1.5.5.7.1.1";
pub const EXT_NAME_CONSTRAINTS: &str = "2.5.29.30";
pub const KP_CLIENT_AUTH: &str = "1.3.6.1.5.5.7.3.2";
pub const KP_SERVER_AUTH: &str = "1.3.6.1.5.5.7.3.1";
pub const ANY_POLICY: &str = "2.5.29.32.0";
pub const AD_OCSP: &str = "1.3.6.1.5.5.7.48.1";
pub const KP_OCSP_SIGNING: &str = "1.3.6.1.5.5.7.3.9";
/// The user id attribute (`UID=`) where Vietnamese CAs write `MST:…`/`CCCD:…`.
pub const ATTR_UID: &str = "0.9.2342.19200300.100.1.1";
pub const ATTR_CN: &str = "2.5.4.3";
pub const ATTR_O: &str = "2.5.4.10";
pub const ATTR_OU: &str = "2.5.4.11";
pub const ATTR_SERIAL_NUMBER: &str = "2.5.4.5";

pub const OCSP_BASIC: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 48, 1, 1];
pub const OCSP_NONCE: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 48, 1, 2];
pub const SHA1: &[u64] = &[1, 3, 14, 3, 2, 26];
pub const SHA256: &[u64] = &[2, 16, 840, 1, 101, 3, 4, 2, 1];

/// Strips the leading zero octets a DER INTEGER may carry, so serials
/// compare by value whatever their encoding.
pub fn trim_integer(bytes: &[u8]) -> &[u8] {
    let mut b = bytes;
    while b.len() > 1 && b[0] == 0 {
        b = &b[1..];
    }
    b
}

/// Why a serial number (the DER INTEGER's content octets) breaks RFC 5280
/// §4.1.2.2, if it does: "a positive integer", "no longer than 20 octets".
pub fn serial_problem(raw: &[u8]) -> Option<&'static str> {
    match raw.first() {
        None => Some("empty serial number"),
        Some(b) if b & 0x80 != 0 => Some("negative serial number"),
        _ if trim_integer(raw).iter().all(|b| *b == 0) => Some("serial number zero"),
        _ if raw.len() > 20 => Some("serial number longer than 20 octets"),
        _ => None,
    }
}

/// The key a serial is looked up by in revocation lists: the value's
/// octets without leading zeros, or None for a negative number (which no
/// accepted certificate carries, so it can never match one).
pub fn serial_key(raw: &[u8]) -> Option<Vec<u8>> {
    match raw.first() {
        Some(b) if b & 0x80 != 0 => None,
        None => None,
        _ => Some(trim_integer(raw).to_vec()),
    }
}

/// Lower-case hex of a serial number without leading zero octets.
pub fn serial_hex(bytes: &[u8]) -> String {
    hex::encode(trim_integer(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_by_rfc_5280() {
        assert_eq!(serial_problem(&[0x01]), None);
        assert_eq!(
            serial_problem(&[0x00, 0x80]),
            None,
            "positive with its sign octet"
        );
        assert_eq!(serial_problem(&[0x00]), Some("serial number zero"));
        assert_eq!(serial_problem(&[0x80]), Some("negative serial number"));
        assert_eq!(serial_problem(&[]), Some("empty serial number"));
        assert_eq!(serial_problem(&[0x11; 20]), None);
        assert_eq!(
            serial_problem(&[0x11; 21]),
            Some("serial number longer than 20 octets")
        );
        // 20 octets of value behind a sign octet is 21 octets as written.
        assert!(serial_problem(&[
            0x00, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
        ])
        .is_some());
    }

    #[test]
    fn serial_keys_by_value_and_sign() {
        assert_eq!(serial_key(&[0x00, 0xff, 0x21]), Some(vec![0xff, 0x21]));
        assert_eq!(serial_key(&[0xff, 0x21]), None, "negative");
        assert_eq!(serial_key(&[0x00, 0x00, 0x05]), Some(vec![0x05]));
        assert_eq!(serial_key(&[]), None);
        assert_eq!(serial_hex(&[0x00, 0xab]), "ab");
        assert_eq!(trim_integer(&[0x00]), &[0x00]);
    }
}
