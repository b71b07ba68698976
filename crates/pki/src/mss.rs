//! Remote signature with a SIM ("SIM PKI", mobile signature, R-ID-10): the
//! portal asks a Mobile Signature Service Provider (MSSP) to have the user
//! sign the portal's challenge on the phone; the user approves with a PIN
//! and the MSSP returns the signature and the certificate.
//!
//! The protocol is the subset of ETSI TS 102 204 v1.1.2 the portal needs,
//! in the *asynchronous client-server* mode over SOAP 1.1:
//!
//! 1. `MSS_SignatureReq` (AP_Info, MSSP_Info, MobileUser/MSISDN,
//!    DataToBeSigned = the challenge text, DataToBeDisplayed = a short
//!    Vietnamese text, SignatureProfile, MSS_Format) → `MSS_SignatureResp`
//!    with `MSSP_TransID` and status 100 REQUEST_OK;
//! 2. `MSS_StatusReq` (MSSP_TransID) polled every few seconds →
//!    `MSS_StatusResp` with 504 OUTSTANDING_TRANSACTION until the user has
//!    answered, then 500 SIGNATURE (or 502 VALID_SIGNATURE) with the
//!    signature. Failures (user cancel, PIN blocked, expiry, unknown user…)
//!    come back as SOAP faults whose code carries the TS 102 204 status code
//!    (`mss:_401`), or as a status response with that code: both are read.
//!
//! **What differs from a real MSSP, and why.** A real MSSP returns a
//! CMS/PKCS#7 `SignedData` in `MSS_Signature/Base64Signature`. Motcua asks
//! for, and the simulator returns, a *raw* signature over the UTF-8 bytes
//! of `DataToBeSigned` instead: RSA PKCS#1 v1.5 with SHA-256, or a DER
//! (ASN.1) ECDSA signature with SHA-256 (P-256) or SHA-384 (P-384) — exactly
//! what [`crate::policy::AlgorithmPolicy::verify_challenge`] checks for a
//! USB token, so the SIM and the token go through the same
//! [`crate::Verifier::verify`]. The request says so with
//! `MSS_Format/mssURI` = [`RAW_SIGNATURE_FORMAT`]. The signer's certificate
//! (DER, base64) travels in `Status/StatusDetail` — TS 102 204's extension
//! point — as `<mcx:CertificateResponse><mcx:X509Certificate>` in Motcua's
//! own namespace [`EXT_NS`] (the first certificate is the signer's, more
//! may follow). Connecting a real MSSP needs either that MSSP to support
//! such a raw format, or a CMS reader added here (extract the
//! SignerInfo's signature, check the signed attributes' message digest):
//! see `docs/SIM-SIGNATURE.md`.
//!
//! Nothing here reads the wall clock: `now` is a parameter; only the HTTP
//! timeouts and the waits between polls use tokio's monotonic timer.
use crate::Millis;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use quick_xml::events::Event;
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::reader::NsReader;
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// TS 102 204 v1.1.2 namespace.
pub const MSS_NS: &str = "http://uri.etsi.org/TS102204/v1.1.2#";
/// SOAP 1.1 envelope namespace.
pub const SOAP_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// Motcua's extension namespace (the certificate in `StatusDetail`).
pub const EXT_NS: &str = "urn:motcua:ts102204:ext:v1";
/// `MSS_Format` asking for a raw signature instead of CMS (see module doc).
pub const RAW_SIGNATURE_FORMAT: &str = "urn:motcua:ts102204:ext:v1#raw-signature";
/// Default `SignatureProfile`: "sign a Motcua challenge".
pub const DEFAULT_SIGNATURE_PROFILE: &str = "urn:motcua:ts102204:ext:v1#challenge";
/// Largest SOAP message read or accepted.
pub const MAX_MESSAGE: usize = 512 * 1024;
/// Longest `DataToBeDisplayed`, in characters (a phone screen).
pub const MAX_DISPLAY_CHARS: usize = 160;
/// Longest `DataToBeSigned`, in bytes (a challenge is shorter).
pub const MAX_DATA_TO_BE_SIGNED: usize = 4096;
const MAX_DEPTH: usize = 24;
const MAX_ELEMENTS: usize = 2000;
const MAX_CERTS: usize = 10;

// ---------------------------------------------------------------------------
// Status codes
// ---------------------------------------------------------------------------

/// The TS 102 204 status codes (Annex, "Status codes") Motcua knows. A wrong
/// PIN has no code: the phone asks again, and only a blocked PIN is final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusCode {
    RequestOk,
    WrongParam,
    MissingParam,
    WrongDataLength,
    UnauthorizedAccess,
    UnknownClient,
    InappropriateData,
    IncompatibleInterface,
    UnsupportedProfile,
    ExpiredTransaction,
    OtaError,
    UserCancel,
    PinNrBlocked,
    CardBlocked,
    NoKeyFound,
    PbSignatureProcess,
    NoCertFound,
    Signature,
    RevokedCertificate,
    ValidSignature,
    InvalidSignature,
    OutstandingTransaction,
    InternalError,
}

/// (code, value, name, short explanation in our words)
const STATUS_TABLE: &[(StatusCode, u16, &str, &str)] = &[
    (StatusCode::RequestOk, 100, "REQUEST_OK", "request accepted"),
    (
        StatusCode::WrongParam,
        101,
        "WRONG_PARAM",
        "a request parameter is wrong",
    ),
    (
        StatusCode::MissingParam,
        102,
        "MISSING_PARAM",
        "a request parameter is missing",
    ),
    (
        StatusCode::WrongDataLength,
        103,
        "WRONG_DATA_LENGTH",
        "data to be signed too long",
    ),
    (
        StatusCode::UnauthorizedAccess,
        104,
        "UNAUTHORIZED_ACCESS",
        "application provider unknown or wrong password",
    ),
    (
        StatusCode::UnknownClient,
        105,
        "UNKNOWN_CLIENT",
        "mobile user unknown to the MSSP",
    ),
    (
        StatusCode::InappropriateData,
        107,
        "INAPPROPRIATE_DATA",
        "MIME type or encoding not supported",
    ),
    (
        StatusCode::IncompatibleInterface,
        108,
        "INCOMPATIBLE_INTERFACE",
        "protocol version not supported",
    ),
    (
        StatusCode::UnsupportedProfile,
        109,
        "UNSUPPORTED_PROFILE",
        "signature profile not supported",
    ),
    (
        StatusCode::ExpiredTransaction,
        208,
        "EXPIRED_TRANSACTION",
        "the user did not answer in time",
    ),
    (
        StatusCode::OtaError,
        209,
        "OTA_ERROR",
        "the phone could not be reached",
    ),
    (
        StatusCode::UserCancel,
        401,
        "USER_CANCEL",
        "the user cancelled",
    ),
    (
        StatusCode::PinNrBlocked,
        402,
        "PIN_NR_BLOCKED",
        "the signing PIN is blocked",
    ),
    (
        StatusCode::CardBlocked,
        403,
        "CARD_BLOCKED",
        "the SIM card is blocked",
    ),
    (
        StatusCode::NoKeyFound,
        404,
        "NO_KEY_FOUND",
        "no signing key on the SIM",
    ),
    (
        StatusCode::PbSignatureProcess,
        406,
        "PB_SIGNATURE_PROCESS",
        "the phone failed to sign",
    ),
    (
        StatusCode::NoCertFound,
        422,
        "NO_CERT_FOUND",
        "no certificate for this number",
    ),
    (
        StatusCode::Signature,
        500,
        "SIGNATURE",
        "signature available",
    ),
    (
        StatusCode::RevokedCertificate,
        501,
        "REVOKED_CERTIFICATE",
        "signature made, certificate revoked",
    ),
    (
        StatusCode::ValidSignature,
        502,
        "VALID_SIGNATURE",
        "signature available and checked by the MSSP",
    ),
    (
        StatusCode::InvalidSignature,
        503,
        "INVALID_SIGNATURE",
        "signature made but invalid",
    ),
    (
        StatusCode::OutstandingTransaction,
        504,
        "OUTSTANDING_TRANSACTION",
        "waiting for the user",
    ),
    (
        StatusCode::InternalError,
        900,
        "INTERNAL_ERROR",
        "MSSP internal error",
    ),
];

impl StatusCode {
    fn row(self) -> (u16, &'static str, &'static str) {
        STATUS_TABLE
            .iter()
            .find(|r| r.0 == self)
            .map(|r| (r.1, r.2, r.3))
            .unwrap_or((900, "INTERNAL_ERROR", "MSSP internal error"))
    }
    /// The numeric value (`StatusCode/@Value`).
    pub fn code(self) -> u16 {
        self.row().0
    }
    /// The annex name (`StatusMessage`), e.g. `USER_CANCEL`.
    pub fn name(self) -> &'static str {
        self.row().1
    }
    /// A short English explanation.
    pub fn description(self) -> &'static str {
        self.row().2
    }
    pub fn from_code(code: u16) -> Option<Self> {
        STATUS_TABLE.iter().find(|r| r.1 == code).map(|r| r.0)
    }
    pub fn from_name(name: &str) -> Option<Self> {
        STATUS_TABLE.iter().find(|r| r.2 == name).map(|r| r.0)
    }
}

fn code_label(code: u16) -> String {
    match StatusCode::from_code(code) {
        Some(c) => format!("{code} {}", c.name()),
        None => code.to_string(),
    }
}

// ---------------------------------------------------------------------------
// Message types
// ---------------------------------------------------------------------------

/// `MessagingMode` of `MSS_SignatureReq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessagingMode {
    Synch,
    AsynchClientServer,
    AsynchServerServer,
}

impl MessagingMode {
    pub fn as_str(self) -> &'static str {
        match self {
            MessagingMode::Synch => "synch",
            MessagingMode::AsynchClientServer => "asynchClientServer",
            MessagingMode::AsynchServerServer => "asynchServerServer",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "synch" => Some(MessagingMode::Synch),
            "asynchClientServer" => Some(MessagingMode::AsynchClientServer),
            "asynchServerServer" => Some(MessagingMode::AsynchServerServer),
            _ => None,
        }
    }
}

/// `AP_Info`: who asks (the portal, "application provider") and this
/// message's own transaction id.
#[derive(Clone, PartialEq, Eq)]
pub struct ApInfo {
    pub ap_id: String,
    /// Unique per message sent by the AP (an `xs:NCName`).
    pub ap_trans_id: String,
    /// The AP password; empty in responses.
    pub ap_pwd: String,
    pub instant: Millis,
}

impl fmt::Debug for ApInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApInfo")
            .field("ap_id", &self.ap_id)
            .field("ap_trans_id", &self.ap_trans_id)
            .field("ap_pwd", &if self.ap_pwd.is_empty() { "" } else { "***" })
            .field("instant", &self.instant)
            .finish()
    }
}

/// `MSSP_Info`: the MSSP's URI, and in responses the MSSP's instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsspInfo {
    pub mssp_id: String,
    pub instant: Option<Millis>,
}

/// `DataToBeSigned` / `DataToBeDisplayed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Data {
    pub text: String,
    pub mime_type: String,
    pub encoding: String,
}

impl Data {
    /// `MimeType="text/plain" Encoding="UTF-8"`.
    pub fn text(text: &str) -> Self {
        Self {
            text: text.to_string(),
            mime_type: "text/plain".into(),
            encoding: "UTF-8".into(),
        }
    }
    /// Whether this is UTF-8 plain text (the only kind Motcua sends).
    pub fn is_plain_utf8(&self) -> bool {
        self.mime_type.eq_ignore_ascii_case("text/plain")
            && self.encoding.eq_ignore_ascii_case("UTF-8")
    }
}

/// `Status`: code, message and (Motcua extension) the signer's certificates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub code: u16,
    pub message: Option<String>,
    /// DER certificates from `StatusDetail/mcx:CertificateResponse`, the
    /// signer's first.
    pub certificates: Vec<Vec<u8>>,
}

impl Status {
    pub fn new(code: StatusCode) -> Self {
        Self {
            code: code.code(),
            message: Some(code.name().to_string()),
            certificates: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureReq {
    pub ap_info: ApInfo,
    pub mssp_info: MsspInfo,
    pub msisdn: String,
    pub data_to_be_signed: Data,
    pub data_to_be_displayed: Option<Data>,
    pub signature_profile: Option<String>,
    pub messaging_mode: MessagingMode,
    /// `TimeOut` attribute, seconds.
    pub timeout_secs: Option<u32>,
    pub mss_format: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureResp {
    pub ap_info: ApInfo,
    pub mssp_info: MsspInfo,
    pub mssp_trans_id: String,
    pub msisdn: String,
    /// Raw signature (`MSS_Signature/Base64Signature`), in synch mode only.
    pub signature: Option<Vec<u8>>,
    pub signature_profile: Option<String>,
    pub status: Status,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReq {
    pub ap_info: ApInfo,
    pub mssp_info: MsspInfo,
    pub mssp_trans_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusResp {
    pub ap_info: ApInfo,
    pub mssp_info: MsspInfo,
    pub msisdn: String,
    pub signature: Option<Vec<u8>>,
    pub status: Status,
}

/// A SOAP 1.1 fault. TS 102 204 carries its status code in the fault code
/// as `mss:_<code>` (the SOAP 1.2 binding's subcode) and its name in
/// `faultstring`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The TS 102 204 code, when the fault carries one.
    pub code: Option<u16>,
    pub faultcode: String,
    pub reason: String,
    pub detail: Option<String>,
}

impl Fault {
    pub fn new(code: StatusCode, detail: Option<&str>) -> Self {
        Self {
            code: Some(code.code()),
            faultcode: format!("mss:_{}", code.code()),
            reason: code.name().to_string(),
            detail: detail.map(str::to_string),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code {
            Some(c) => write!(f, "{}", code_label(c))?,
            None => write!(f, "{}", clip(&self.faultcode, 64))?,
        }
        if !self.reason.is_empty() && StatusCode::from_name(&self.reason).is_none() {
            write!(f, ": {}", clip(&self.reason, 200))?;
        }
        if let Some(d) = &self.detail {
            write!(f, " ({})", clip(d, 200))?;
        }
        Ok(())
    }
}

/// Any message of the subset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    SignatureReq(SignatureReq),
    SignatureResp(SignatureResp),
    StatusReq(StatusReq),
    StatusResp(StatusResp),
    Fault(Fault),
}

// ---------------------------------------------------------------------------
// Errors and outcomes
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MssError {
    #[error("invalid mobile number")]
    InvalidMsisdn,
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("invalid MSS configuration: {0}")]
    Config(String),
    #[error("MSSP unreachable: {0}")]
    Transport(String),
    #[error("MSSP answered HTTP {0}")]
    Http(u16),
    #[error("malformed MSSP message: {0}")]
    Malformed(String),
    #[error("MSSP fault {0}")]
    Fault(Fault),
    #[error("MSSP answer does not match the request: {0}")]
    Mismatch(String),
}

impl MssError {
    /// The TS 102 204 status code of a fault.
    pub fn status(&self) -> Option<u16> {
        match self {
            MssError::Fault(f) => f.code,
            _ => None,
        }
    }

    /// The user-facing outcome this error stands for, when it is one
    /// (e.g. fault 105 on the signature request → [`MssOutcome::UnknownUser`]).
    pub fn outcome(&self) -> Option<MssOutcome> {
        match self {
            MssError::Fault(f) => f.code.and_then(|c| classify(c, &f.reason).ok()),
            _ => None,
        }
    }

    /// Worth asking again (network, MSSP overloaded or internal error).
    pub fn is_transient(&self) -> bool {
        match self {
            MssError::Transport(_) => true,
            MssError::Http(s) => matches!(s, 429 | 500 | 502 | 503 | 504),
            MssError::Fault(f) => f.code == Some(900),
            _ => false,
        }
    }
}

/// Where a SIM signature stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MssOutcome {
    /// The user has not answered yet.
    Pending,
    /// Raw signature over the challenge bytes and the signer's DER
    /// certificate: give both to [`crate::Verifier::verify`].
    Signed {
        signature: Vec<u8>,
        certificate_der: Vec<u8>,
    },
    Cancelled,
    PinBlocked,
    /// The MSSP gave up waiting for the user (208).
    Expired,
    /// The portal's own overall timeout passed.
    Timeout,
    NoCertificate,
    UnknownUser,
    /// Anything else, with a short reason for the log.
    Failed(String),
}

impl MssOutcome {
    pub fn is_final(&self) -> bool {
        !matches!(self, MssOutcome::Pending)
    }
    /// The i18n key of the message shown to the user.
    pub fn message_key(&self) -> &'static str {
        match self {
            MssOutcome::Pending => "mss.pending",
            MssOutcome::Signed { .. } => "mss.signed",
            MssOutcome::Cancelled => "mss.cancelled",
            MssOutcome::PinBlocked => "mss.pin_blocked",
            MssOutcome::Expired | MssOutcome::Timeout => "mss.expired",
            MssOutcome::NoCertificate => "mss.no_certificate",
            MssOutcome::UnknownUser => "mss.unknown_user",
            MssOutcome::Failed(_) => "mss.failed",
        }
    }
}

/// Maps a final or waiting status code (other than 500/502) to an outcome;
/// codes that say the *portal* is wrong or the MSSP broke are errors.
fn classify(code: u16, message: &str) -> Result<MssOutcome, MssError> {
    use StatusCode::*;
    match StatusCode::from_code(code) {
        Some(RequestOk | OutstandingTransaction) => Ok(MssOutcome::Pending),
        Some(UserCancel) => Ok(MssOutcome::Cancelled),
        Some(PinNrBlocked) => Ok(MssOutcome::PinBlocked),
        Some(ExpiredTransaction) => Ok(MssOutcome::Expired),
        Some(NoCertFound | NoKeyFound) => Ok(MssOutcome::NoCertificate),
        Some(UnknownClient) => Ok(MssOutcome::UnknownUser),
        Some(
            c @ (OtaError | CardBlocked | PbSignatureProcess | RevokedCertificate
            | InvalidSignature | WrongDataLength | InappropriateData | UnsupportedProfile),
        ) => Ok(MssOutcome::Failed(code_label(c.code()))),
        _ => Err(MssError::Fault(Fault {
            code: Some(code),
            faultcode: format!("mss:_{code}"),
            reason: clip(message, 200),
            detail: None,
        })),
    }
}

// ---------------------------------------------------------------------------
// MSISDN
// ---------------------------------------------------------------------------

/// Normalises a Vietnamese mobile number to the international form without
/// `+`: `0912345678`, `+84912345678`, `84912345678`, `0084912345678` (spaces,
/// dots and dashes allowed between digits) → `84912345678`. The national
/// number must be 9 digits starting with 3, 5, 7, 8 or 9 (the mobile
/// ranges since the 2018 renumbering); anything else is refused.
pub fn normalize_msisdn(input: &str) -> Result<String, MssError> {
    if input.len() > 32 {
        return Err(MssError::InvalidMsisdn);
    }
    let s: String = input
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-'))
        .collect();
    let national = if let Some(r) = s.strip_prefix("+84") {
        r
    } else if let Some(r) = s.strip_prefix("0084") {
        r
    } else if s.len() == 11 && s.starts_with("84") {
        s.get(2..).unwrap_or_default()
    } else if let Some(r) = s.strip_prefix('0') {
        r
    } else {
        return Err(MssError::InvalidMsisdn);
    };
    let ok = national.len() == 9
        && national.bytes().all(|b| b.is_ascii_digit())
        && matches!(
            national.as_bytes().first(),
            Some(b'3' | b'5' | b'7' | b'8' | b'9')
        );
    if ok {
        Ok(format!("84{national}"))
    } else {
        Err(MssError::InvalidMsisdn)
    }
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(s)
}

/// Attribute values: also tabs and newlines, which a reader would
/// otherwise normalise to spaces.
fn esc_attr(s: &str) -> String {
    esc(s).replace('\t', "&#9;").replace('\n', "&#10;")
}

/// `xs:dateTime` in UTC, with milliseconds when there are any.
fn instant(at: Millis) -> String {
    let whole = crate::rfc3339(at);
    match at.rem_euclid(1000) {
        0 => whole,
        ms => format!("{}.{ms:03}Z", whole.trim_end_matches('Z')),
    }
}

fn envelope(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<soapenv:Envelope xmlns:soapenv=\"{SOAP_NS}\" xmlns:mss=\"{MSS_NS}\"><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>\n"
    )
}

fn write_ap_info(out: &mut String, a: &ApInfo) {
    out.push_str(&format!(
        "<mss:AP_Info AP_ID=\"{}\" AP_TransID=\"{}\" AP_PWD=\"{}\" Instant=\"{}\"/>",
        esc_attr(&a.ap_id),
        esc_attr(&a.ap_trans_id),
        esc_attr(&a.ap_pwd),
        instant(a.instant)
    ));
}

fn write_mssp_info(out: &mut String, m: &MsspInfo) {
    match m.instant {
        Some(t) => out.push_str(&format!("<mss:MSSP_Info Instant=\"{}\">", instant(t))),
        None => out.push_str("<mss:MSSP_Info>"),
    }
    out.push_str(&format!(
        "<mss:MSSP_ID><mss:URI>{}</mss:URI></mss:MSSP_ID></mss:MSSP_Info>",
        esc(&m.mssp_id)
    ));
}

fn write_mobile_user(out: &mut String, msisdn: &str) {
    out.push_str(&format!(
        "<mss:MobileUser><mss:MSISDN>{}</mss:MSISDN></mss:MobileUser>",
        esc(msisdn)
    ));
}

fn write_data(out: &mut String, tag: &str, d: &Data) {
    out.push_str(&format!(
        "<mss:{tag} MimeType=\"{}\" Encoding=\"{}\">{}</mss:{tag}>",
        esc_attr(&d.mime_type),
        esc_attr(&d.encoding),
        esc(&d.text)
    ));
}

fn write_uri(out: &mut String, tag: &str, uri: &str) {
    out.push_str(&format!(
        "<mss:{tag}><mss:mssURI>{}</mss:mssURI></mss:{tag}>",
        esc(uri)
    ));
}

fn write_signature(out: &mut String, sig: &Option<Vec<u8>>) {
    if let Some(s) = sig {
        out.push_str(&format!(
            "<mss:MSS_Signature><mss:Base64Signature>{}</mss:Base64Signature></mss:MSS_Signature>",
            STANDARD.encode(s)
        ));
    }
}

fn write_status(out: &mut String, s: &Status) {
    out.push_str(&format!(
        "<mss:Status><mss:StatusCode Value=\"{}\"/>",
        s.code
    ));
    if let Some(m) = &s.message {
        out.push_str(&format!(
            "<mss:StatusMessage>{}</mss:StatusMessage>",
            esc(m)
        ));
    }
    if !s.certificates.is_empty() {
        out.push_str(&format!(
            "<mss:StatusDetail><mcx:CertificateResponse xmlns:mcx=\"{EXT_NS}\">"
        ));
        for c in &s.certificates {
            out.push_str(&format!(
                "<mcx:X509Certificate>{}</mcx:X509Certificate>",
                STANDARD.encode(c)
            ));
        }
        out.push_str("</mcx:CertificateResponse></mss:StatusDetail>");
    }
    out.push_str("</mss:Status>");
}

impl Message {
    /// The SOAP 1.1 envelope, with the RPC wrapper elements of the TS 102
    /// 204 WSDL (`MSS_Signature`, `MSS_SignatureResponse`, `MSS_StatusQuery`,
    /// `MSS_StatusQueryResponse`).
    pub fn to_soap(&self) -> String {
        let mut b = String::new();
        match self {
            Message::SignatureReq(r) => {
                b.push_str(&format!(
                    "<MSS_Signature><mss:MSS_SignatureReq MajorVersion=\"1\" MinorVersion=\"1\" MessagingMode=\"{}\"",
                    r.messaging_mode.as_str()
                ));
                if let Some(t) = r.timeout_secs {
                    b.push_str(&format!(" TimeOut=\"{t}\""));
                }
                b.push('>');
                write_ap_info(&mut b, &r.ap_info);
                write_mssp_info(&mut b, &r.mssp_info);
                write_mobile_user(&mut b, &r.msisdn);
                write_data(&mut b, "DataToBeSigned", &r.data_to_be_signed);
                if let Some(d) = &r.data_to_be_displayed {
                    write_data(&mut b, "DataToBeDisplayed", d);
                }
                if let Some(p) = &r.signature_profile {
                    write_uri(&mut b, "SignatureProfile", p);
                }
                if let Some(f) = &r.mss_format {
                    write_uri(&mut b, "MSS_Format", f);
                }
                b.push_str("</mss:MSS_SignatureReq></MSS_Signature>");
            }
            Message::SignatureResp(r) => {
                b.push_str(&format!(
                    "<MSS_SignatureResponse><mss:MSS_SignatureResp MajorVersion=\"1\" MinorVersion=\"1\" MSSP_TransID=\"{}\">",
                    esc_attr(&r.mssp_trans_id)
                ));
                write_ap_info(&mut b, &r.ap_info);
                write_mssp_info(&mut b, &r.mssp_info);
                write_mobile_user(&mut b, &r.msisdn);
                write_signature(&mut b, &r.signature);
                if let Some(p) = &r.signature_profile {
                    write_uri(&mut b, "SignatureProfile", p);
                }
                write_status(&mut b, &r.status);
                b.push_str("</mss:MSS_SignatureResp></MSS_SignatureResponse>");
            }
            Message::StatusReq(r) => {
                b.push_str(&format!(
                    "<MSS_StatusQuery><mss:MSS_StatusReq MajorVersion=\"1\" MinorVersion=\"1\" MSSP_TransID=\"{}\">",
                    esc_attr(&r.mssp_trans_id)
                ));
                write_ap_info(&mut b, &r.ap_info);
                write_mssp_info(&mut b, &r.mssp_info);
                b.push_str("</mss:MSS_StatusReq></MSS_StatusQuery>");
            }
            Message::StatusResp(r) => {
                b.push_str(
                    "<MSS_StatusQueryResponse><mss:MSS_StatusResp MajorVersion=\"1\" MinorVersion=\"1\">",
                );
                write_ap_info(&mut b, &r.ap_info);
                write_mssp_info(&mut b, &r.mssp_info);
                write_mobile_user(&mut b, &r.msisdn);
                write_signature(&mut b, &r.signature);
                write_status(&mut b, &r.status);
                b.push_str("</mss:MSS_StatusResp></MSS_StatusQueryResponse>");
            }
            Message::Fault(f) => {
                b.push_str(&format!(
                    "<soapenv:Fault><faultcode>{}</faultcode><faultstring>{}</faultstring>",
                    esc(&f.faultcode),
                    esc(&f.reason)
                ));
                if let Some(d) = &f.detail {
                    b.push_str(&format!(
                        "<detail><mss:detail>{}</mss:detail></detail>",
                        esc(d)
                    ));
                }
                b.push_str("</soapenv:Fault>");
            }
        }
        envelope(&b)
    }

    /// Parses a SOAP 1.1 envelope holding one message of the subset. Never
    /// panics; refuses DTDs, processing instructions, unknown entities,
    /// undeclared prefixes, more than [`MAX_MESSAGE`] bytes and deep or
    /// huge trees.
    pub fn parse(bytes: &[u8]) -> Result<Message, MssError> {
        let root = parse_dom(bytes)?;
        if root.name != "Envelope" {
            return Err(malformed("not a SOAP envelope"));
        }
        if root.ns != SOAP_NS {
            return Err(malformed("not a SOAP 1.1 envelope"));
        }
        let body = root.req_child(SOAP_NS, "Body")?;
        let first = body
            .children
            .first()
            .ok_or_else(|| malformed("empty SOAP Body"))?;
        if first.is(SOAP_NS, "Fault") {
            return parse_fault(first).map(Message::Fault);
        }
        let msg = if first.ns == MSS_NS {
            first
        } else {
            first
                .children
                .iter()
                .find(|c| c.ns == MSS_NS)
                .ok_or_else(|| malformed("no TS 102 204 message in the Body"))?
        };
        match msg.name.as_str() {
            "MSS_SignatureReq" => parse_signature_req(msg).map(Message::SignatureReq),
            "MSS_SignatureResp" => parse_signature_resp(msg).map(Message::SignatureResp),
            "MSS_StatusReq" => parse_status_req(msg).map(Message::StatusReq),
            "MSS_StatusResp" => parse_status_resp(msg).map(Message::StatusResp),
            other => Err(malformed(&format!(
                "unsupported message {}",
                clip(other, 64)
            ))),
        }
    }
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

fn malformed(m: &str) -> MssError {
    MssError::Malformed(m.to_string())
}

/// At most `n` characters of `s` (for messages that quote the peer).
fn clip(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", s.get(..i).unwrap_or_default()),
        None => s.to_string(),
    }
}

/// A parsed element: namespace URI ("" when none), local name, the
/// unqualified attributes, child elements and the concatenated text.
#[derive(Debug, Default)]
struct El {
    ns: String,
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<El>,
    text: String,
}

impl El {
    fn is(&self, ns: &str, name: &str) -> bool {
        self.ns == ns && self.name == name
    }
    fn child(&self, ns: &str, name: &str) -> Option<&El> {
        self.children.iter().find(|c| c.is(ns, name))
    }
    fn req_child(&self, ns: &str, name: &str) -> Result<&El, MssError> {
        self.child(ns, name)
            .ok_or_else(|| malformed(&format!("{} without {name}", self.name)))
    }
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn req_attr(&self, name: &str) -> Result<&str, MssError> {
        self.attr(name)
            .ok_or_else(|| malformed(&format!("{} without @{name}", self.name)))
    }
    fn trimmed(&self) -> &str {
        self.text.trim()
    }
    fn descendant(&self, ns: &str, name: &str, depth: usize) -> Option<&El> {
        if depth == 0 {
            return None;
        }
        self.children.iter().find_map(|c| {
            if c.is(ns, name) {
                Some(c)
            } else {
                c.descendant(ns, name, depth - 1)
            }
        })
    }
}

fn xml_err(e: impl fmt::Display) -> MssError {
    MssError::Malformed(format!("XML: {}", clip(&e.to_string(), 120)))
}

fn parse_dom(bytes: &[u8]) -> Result<El, MssError> {
    if bytes.len() > MAX_MESSAGE {
        return Err(malformed("message too large"));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| malformed("not UTF-8"))?;
    let mut reader = NsReader::from_str(text);
    let mut stack: Vec<El> = Vec::new();
    let mut root: Option<El> = None;
    let mut count = 0usize;
    loop {
        let (resolved, event) = reader.read_resolved_event().map_err(xml_err)?;
        let element = match &event {
            Event::Start(e) | Event::Empty(e) => {
                if root.is_some() {
                    return Err(malformed("content after the root element"));
                }
                count += 1;
                if count > MAX_ELEMENTS || stack.len() >= MAX_DEPTH {
                    return Err(malformed("too many or too deeply nested elements"));
                }
                let ns = match resolved {
                    ResolveResult::Bound(Namespace(n)) => n.to_string(),
                    ResolveResult::Unbound => String::new(),
                    ResolveResult::Unknown(_) => return Err(malformed("undeclared prefix")),
                };
                let mut attrs = Vec::new();
                for a in e.attributes() {
                    let a = a.map_err(xml_err)?;
                    if a.key.as_namespace_binding().is_some() || a.key.prefix().is_some() {
                        continue;
                    }
                    let v = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(xml_err)?;
                    attrs.push((a.key.local_name().into_inner().to_string(), v.into_owned()));
                }
                Some(El {
                    ns,
                    name: e.local_name().into_inner().to_string(),
                    attrs,
                    ..El::default()
                })
            }
            _ => None,
        };
        match event {
            Event::Start(_) => {
                if let Some(el) = element {
                    stack.push(el);
                }
            }
            Event::Empty(_) => {
                if let Some(el) = element {
                    attach(&mut stack, &mut root, el);
                }
            }
            Event::End(_) => {
                let el = stack.pop().ok_or_else(|| malformed("unbalanced end tag"))?;
                attach(&mut stack, &mut root, el);
            }
            Event::Text(t) => push_text(&mut stack, &t.xml10_content())?,
            Event::CData(t) => push_text(&mut stack, &t.xml10_content())?,
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().map_err(xml_err)? {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_predefined_entity(&r)
                        .ok_or_else(|| malformed("unknown entity"))?
                        .to_string(),
                };
                push_text(&mut stack, &resolved)?;
            }
            Event::Comment(_) | Event::Decl(_) => {}
            Event::PI(_) | Event::DocType(_) => {
                return Err(malformed("DTD or processing instruction"));
            }
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(malformed("unclosed element"));
    }
    root.ok_or_else(|| malformed("no root element"))
}

fn attach(stack: &mut [El], root: &mut Option<El>, el: El) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(el),
        None => *root = Some(el),
    }
}

fn push_text(stack: &mut [El], s: &str) -> Result<(), MssError> {
    match stack.last_mut() {
        Some(top) => {
            top.text.push_str(s);
            Ok(())
        }
        None if s.trim().is_empty() => Ok(()),
        None => Err(malformed("text outside the root element")),
    }
}

fn parse_instant(s: &str) -> Result<Millis, MssError> {
    let t = time::OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339)
        .map_err(|_| malformed("Instant is not an RFC 3339 date-time"))?;
    i64::try_from(t.unix_timestamp_nanos().div_euclid(1_000_000))
        .map_err(|_| malformed("Instant out of range"))
}

fn parse_ap_info(msg: &El) -> Result<ApInfo, MssError> {
    let a = msg.req_child(MSS_NS, "AP_Info")?;
    Ok(ApInfo {
        ap_id: a.req_attr("AP_ID")?.to_string(),
        ap_trans_id: a.req_attr("AP_TransID")?.to_string(),
        ap_pwd: a.attr("AP_PWD").unwrap_or_default().to_string(),
        instant: parse_instant(a.req_attr("Instant")?)?,
    })
}

fn parse_mssp_info(msg: &El) -> Result<MsspInfo, MssError> {
    let m = msg.req_child(MSS_NS, "MSSP_Info")?;
    let id = m.req_child(MSS_NS, "MSSP_ID")?;
    let uri = id.child(MSS_NS, "URI").map(El::trimmed).unwrap_or_default();
    Ok(MsspInfo {
        mssp_id: uri.to_string(),
        instant: m.attr("Instant").map(parse_instant).transpose()?,
    })
}

fn parse_msisdn(msg: &El) -> Result<String, MssError> {
    let u = msg.req_child(MSS_NS, "MobileUser")?;
    Ok(u.req_child(MSS_NS, "MSISDN")?.trimmed().to_string())
}

fn parse_data(el: &El) -> Data {
    Data {
        text: el.text.clone(),
        mime_type: el.attr("MimeType").unwrap_or("text/plain").to_string(),
        encoding: el.attr("Encoding").unwrap_or("UTF-8").to_string(),
    }
}

fn parse_uri(msg: &El, tag: &str) -> Option<String> {
    msg.child(MSS_NS, tag)
        .and_then(|p| p.child(MSS_NS, "mssURI"))
        .map(|u| u.trimmed().to_string())
}

fn decode_b64(s: &str, what: &str) -> Result<Vec<u8>, MssError> {
    let compact: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| malformed(&format!("{what} is not base64")))
}

fn parse_signature(msg: &El) -> Result<Option<Vec<u8>>, MssError> {
    let Some(s) = msg.child(MSS_NS, "MSS_Signature") else {
        return Ok(None);
    };
    let b = s
        .child(MSS_NS, "Base64Signature")
        .ok_or_else(|| malformed("MSS_Signature without Base64Signature"))?;
    let sig = decode_b64(&b.text, "Base64Signature")?;
    if sig.is_empty() {
        return Err(malformed("empty signature"));
    }
    Ok(Some(sig))
}

fn parse_status(msg: &El) -> Result<Status, MssError> {
    let s = msg.req_child(MSS_NS, "Status")?;
    let code = s
        .req_child(MSS_NS, "StatusCode")?
        .req_attr("Value")?
        .trim()
        .parse::<u16>()
        .map_err(|_| malformed("StatusCode is not a number"))?;
    let mut certificates = Vec::new();
    if let Some(cr) = s
        .child(MSS_NS, "StatusDetail")
        .and_then(|d| d.descendant(EXT_NS, "CertificateResponse", 4))
    {
        for c in cr
            .children
            .iter()
            .filter(|c| c.is(EXT_NS, "X509Certificate"))
            .take(MAX_CERTS)
        {
            certificates.push(decode_b64(&c.text, "X509Certificate")?);
        }
    }
    Ok(Status {
        code,
        message: s
            .child(MSS_NS, "StatusMessage")
            .map(|m| m.trimmed().to_string()),
        certificates,
    })
}

fn parse_signature_req(m: &El) -> Result<SignatureReq, MssError> {
    let mode = m.req_attr("MessagingMode")?;
    Ok(SignatureReq {
        ap_info: parse_ap_info(m)?,
        mssp_info: parse_mssp_info(m)?,
        msisdn: parse_msisdn(m)?,
        data_to_be_signed: parse_data(m.req_child(MSS_NS, "DataToBeSigned")?),
        data_to_be_displayed: m.child(MSS_NS, "DataToBeDisplayed").map(parse_data),
        signature_profile: parse_uri(m, "SignatureProfile"),
        messaging_mode: MessagingMode::parse(mode)
            .ok_or_else(|| malformed("unknown MessagingMode"))?,
        timeout_secs: m
            .attr("TimeOut")
            .map(|t| {
                t.trim()
                    .parse::<u32>()
                    .map_err(|_| malformed("TimeOut is not a number"))
            })
            .transpose()?,
        mss_format: parse_uri(m, "MSS_Format"),
    })
}

fn parse_signature_resp(m: &El) -> Result<SignatureResp, MssError> {
    Ok(SignatureResp {
        ap_info: parse_ap_info(m)?,
        mssp_info: parse_mssp_info(m)?,
        mssp_trans_id: m.req_attr("MSSP_TransID")?.to_string(),
        msisdn: parse_msisdn(m)?,
        signature: parse_signature(m)?,
        signature_profile: parse_uri(m, "SignatureProfile"),
        status: parse_status(m)?,
    })
}

fn parse_status_req(m: &El) -> Result<StatusReq, MssError> {
    Ok(StatusReq {
        ap_info: parse_ap_info(m)?,
        mssp_info: parse_mssp_info(m)?,
        mssp_trans_id: m.req_attr("MSSP_TransID")?.to_string(),
    })
}

fn parse_status_resp(m: &El) -> Result<StatusResp, MssError> {
    Ok(StatusResp {
        ap_info: parse_ap_info(m)?,
        mssp_info: parse_mssp_info(m)?,
        msisdn: parse_msisdn(m)?,
        signature: parse_signature(m)?,
        status: parse_status(m)?,
    })
}

/// The TS 102 204 code of a fault: `mss:_105`, `soapenv:Client.105`, or
/// failing that a `faultstring` that is a status name (`UNKNOWN_CLIENT`).
fn fault_code_number(faultcode: &str, reason: &str) -> Option<u16> {
    faultcode
        .rsplit([':', '.'])
        .next()
        .map(|last| last.trim_start_matches('_'))
        .and_then(|d| d.parse::<u16>().ok())
        .filter(|c| (100..1000).contains(c))
        .or_else(|| StatusCode::from_name(reason.trim()).map(StatusCode::code))
}

fn parse_fault(f: &El) -> Result<Fault, MssError> {
    // SOAP 1.1: the children are unqualified.
    let by_name = |n: &str| f.children.iter().find(|c| c.name == n);
    let faultcode = by_name("faultcode")
        .map(|c| c.trimmed().to_string())
        .ok_or_else(|| malformed("Fault without faultcode"))?;
    let reason = by_name("faultstring")
        .map(|c| c.trimmed().to_string())
        .unwrap_or_default();
    let detail = by_name("detail").map(|d| {
        d.child(MSS_NS, "detail")
            .map(|m| m.trimmed().to_string())
            .unwrap_or_else(|| d.trimmed().to_string())
    });
    Ok(Fault {
        code: fault_code_number(&faultcode, &reason),
        faultcode,
        reason,
        detail: detail.filter(|d| !d.is_empty()),
    })
}

// ---------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------

/// How the portal reaches its MSSP (config `[identity.sim]`, see
/// `docs/SIM-SIGNATURE.md`).
#[derive(Clone)]
pub struct MssConfig {
    /// The MSSP's SOAP endpoint (https in production).
    pub endpoint: String,
    /// The portal's AP_ID (a URI given by the MSSP).
    pub ap_id: String,
    /// The portal's AP_PWD.
    pub ap_password: String,
    /// The MSSP's URI (`MSSP_Info/MSSP_ID/URI`).
    pub mssp_id: String,
    /// `SignatureProfile` URI agreed with the MSSP.
    pub signature_profile: String,
    /// Timeout of one HTTP call.
    pub call_timeout: Duration,
    /// How long [`MssClient::sign`] waits for the user in all (also sent
    /// as the request's `TimeOut`).
    pub overall_timeout: Duration,
    /// Between two status queries.
    pub poll_interval: Duration,
    /// Before the first status query (the user needs a few seconds).
    pub first_poll_delay: Duration,
}

impl fmt::Debug for MssConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MssConfig")
            .field("endpoint", &self.endpoint)
            .field("ap_id", &self.ap_id)
            .field("ap_password", &"***")
            .field("mssp_id", &self.mssp_id)
            .field("signature_profile", &self.signature_profile)
            .field("call_timeout", &self.call_timeout)
            .field("overall_timeout", &self.overall_timeout)
            .field("poll_interval", &self.poll_interval)
            .field("first_poll_delay", &self.first_poll_delay)
            .finish()
    }
}

impl MssConfig {
    /// The defaults: 10 s per call, 120 s overall, a status query every
    /// 5 s, the first after 10 s.
    pub fn new(endpoint: &str, ap_id: &str, ap_password: &str, mssp_id: &str) -> Self {
        Self {
            endpoint: endpoint.to_string(),
            ap_id: ap_id.to_string(),
            ap_password: ap_password.to_string(),
            mssp_id: mssp_id.to_string(),
            signature_profile: DEFAULT_SIGNATURE_PROFILE.to_string(),
            call_timeout: Duration::from_secs(10),
            overall_timeout: Duration::from_secs(120),
            poll_interval: Duration::from_secs(5),
            first_poll_delay: Duration::from_secs(10),
        }
    }

    fn check(&self) -> Result<(), MssError> {
        let bad = |m: &str| Err(MssError::Config(m.to_string()));
        if !(self.endpoint.starts_with("https://") || self.endpoint.starts_with("http://")) {
            return bad("endpoint must be an http(s) URL");
        }
        if self.ap_id.trim().is_empty() {
            return bad("ap_id is empty");
        }
        if self.call_timeout.is_zero() || self.overall_timeout.is_zero() {
            return bad("timeouts must be positive");
        }
        if self.poll_interval < Duration::from_millis(50) {
            return bad("poll_interval below 50 ms");
        }
        Ok(())
    }
}

/// A signature request the MSSP has accepted: what the portal stores (the
/// durable job) to poll later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSignature {
    /// AP_TransID of the signature request.
    pub ap_trans_id: String,
    pub mssp_trans_id: String,
    /// Normalised (`84…`).
    pub msisdn: String,
}

/// The portal's side of TS 102 204: sends the signature request, polls the
/// status.
pub struct MssClient {
    config: MssConfig,
    http: reqwest::Client,
}

/// A fresh AP_TransID: an NCName, 32 hex digits after `MC`.
fn new_trans_id() -> String {
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    format!("MC{}", hex::encode(b))
}

/// MSSP_TransID as accepted from the MSSP: short, NCName characters.
fn valid_trans_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

fn plain_text(s: &str) -> bool {
    !s.chars().any(|c| c.is_control() && c != '\n')
}

impl MssClient {
    pub fn new(config: MssConfig) -> Result<Self, MssError> {
        config.check()?;
        let http = reqwest::Client::builder()
            .connect_timeout(config.call_timeout)
            .timeout(config.call_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| MssError::Config(format!("HTTP client: {e}")))?;
        Ok(Self { config, http })
    }

    pub fn config(&self) -> &MssConfig {
        &self.config
    }

    fn ap_info(&self, now: Millis) -> ApInfo {
        ApInfo {
            ap_id: self.config.ap_id.clone(),
            ap_trans_id: new_trans_id(),
            ap_pwd: self.config.ap_password.clone(),
            instant: now,
        }
    }

    fn mssp_info(&self) -> MsspInfo {
        MsspInfo {
            mssp_id: self.config.mssp_id.clone(),
            instant: None,
        }
    }

    /// One SOAP call. HTTP 200 and 500 (SOAP faults) carry a message;
    /// anything else is [`MssError::Http`].
    async fn call(&self, action: &str, msg: &Message) -> Result<Message, MssError> {
        let mut resp = self
            .http
            .post(&self.config.endpoint)
            .header(reqwest::header::CONTENT_TYPE, "text/xml; charset=utf-8")
            .header("SOAPAction", format!("\"#{action}\""))
            .body(msg.to_soap())
            .send()
            .await
            .map_err(|e| MssError::Transport(e.without_url().to_string()))?;
        let status = resp.status().as_u16();
        if status != 200 && status != 500 {
            return Err(MssError::Http(status));
        }
        if resp.content_length().unwrap_or(0) > MAX_MESSAGE as u64 {
            return Err(malformed("message too large"));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| MssError::Transport(e.without_url().to_string()))?
        {
            if body.len() + chunk.len() > MAX_MESSAGE {
                return Err(malformed("message too large"));
            }
            body.extend_from_slice(&chunk);
        }
        match (status, Message::parse(&body)) {
            (_, Ok(Message::Fault(f))) => Err(MssError::Fault(f)),
            (200, Ok(m)) => Ok(m),
            (200, Err(e)) => Err(e),
            _ => Err(MssError::Http(status)),
        }
    }

    /// Sends `MSS_SignatureReq` (asynchClientServer) for `challenge_text`,
    /// showing `display_text` on the phone. Faults come back as
    /// [`MssError::Fault`]; [`MssError::outcome`] turns the user-facing
    /// ones (unknown number, no certificate, PIN blocked) into an outcome.
    pub async fn request_signature(
        &self,
        msisdn: &str,
        challenge_text: &str,
        display_text: &str,
        now: Millis,
    ) -> Result<PendingSignature, MssError> {
        let msisdn = normalize_msisdn(msisdn)?;
        if challenge_text.is_empty() || challenge_text.len() > MAX_DATA_TO_BE_SIGNED {
            return Err(MssError::InvalidRequest("challenge length".into()));
        }
        if display_text.chars().count() > MAX_DISPLAY_CHARS
            || !plain_text(display_text)
            || !plain_text(challenge_text)
        {
            return Err(MssError::InvalidRequest("display text".into()));
        }
        let ap_info = self.ap_info(now);
        let sent_id = ap_info.ap_trans_id.clone();
        let req = Message::SignatureReq(SignatureReq {
            ap_info,
            mssp_info: self.mssp_info(),
            msisdn: msisdn.clone(),
            data_to_be_signed: Data::text(challenge_text),
            data_to_be_displayed: (!display_text.is_empty()).then(|| Data::text(display_text)),
            signature_profile: Some(self.config.signature_profile.clone()),
            messaging_mode: MessagingMode::AsynchClientServer,
            timeout_secs: Some(
                u32::try_from(self.config.overall_timeout.as_secs().clamp(1, 3600)).unwrap_or(120),
            ),
            mss_format: Some(RAW_SIGNATURE_FORMAT.to_string()),
        });
        let resp = match self.call("MSS_Signature", &req).await? {
            Message::SignatureResp(r) => r,
            _ => return Err(malformed("expected MSS_SignatureResp")),
        };
        if resp.ap_info.ap_trans_id != sent_id {
            return Err(MssError::Mismatch("AP_TransID".into()));
        }
        if normalize_msisdn(&resp.msisdn).ok().as_deref() != Some(msisdn.as_str()) {
            return Err(MssError::Mismatch("MSISDN".into()));
        }
        if resp.status.code != StatusCode::RequestOk.code() {
            return Err(MssError::Fault(Fault {
                code: Some(resp.status.code),
                faultcode: format!("mss:_{}", resp.status.code),
                reason: clip(resp.status.message.as_deref().unwrap_or_default(), 200),
                detail: None,
            }));
        }
        if !valid_trans_id(&resp.mssp_trans_id) {
            return Err(malformed("MSSP_TransID"));
        }
        tracing::debug!(mssp_trans_id = %resp.mssp_trans_id, "MSS signature request accepted");
        Ok(PendingSignature {
            ap_trans_id: sent_id,
            mssp_trans_id: resp.mssp_trans_id,
            msisdn,
        })
    }

    /// One `MSS_StatusReq`. The waiting and final answers are outcomes
    /// (also when the MSSP sends them as faults); protocol, transport and
    /// authorisation problems are errors ([`MssError::is_transient`] says
    /// whether to ask again).
    pub async fn poll_status(
        &self,
        pending: &PendingSignature,
        now: Millis,
    ) -> Result<MssOutcome, MssError> {
        let ap_info = self.ap_info(now);
        let sent_id = ap_info.ap_trans_id.clone();
        let req = Message::StatusReq(StatusReq {
            ap_info,
            mssp_info: self.mssp_info(),
            mssp_trans_id: pending.mssp_trans_id.clone(),
        });
        let resp = match self.call("MSS_StatusQuery", &req).await {
            Ok(Message::StatusResp(r)) => r,
            Ok(_) => return Err(malformed("expected MSS_StatusResp")),
            Err(MssError::Fault(f)) => {
                return match f.code {
                    Some(c) => classify(c, &f.reason).map_err(|_| MssError::Fault(f)),
                    None => Err(MssError::Fault(f)),
                }
            }
            Err(e) => return Err(e),
        };
        if resp.ap_info.ap_trans_id != sent_id {
            return Err(MssError::Mismatch("AP_TransID".into()));
        }
        if normalize_msisdn(&resp.msisdn).ok().as_deref() != Some(pending.msisdn.as_str()) {
            return Err(MssError::Mismatch("MSISDN".into()));
        }
        let code = resp.status.code;
        if code == StatusCode::Signature.code() || code == StatusCode::ValidSignature.code() {
            let signature = resp
                .signature
                .ok_or_else(|| malformed("signature status without MSS_Signature"))?;
            let certificate_der = resp
                .status
                .certificates
                .into_iter()
                .next()
                .ok_or_else(|| malformed("signature status without the certificate"))?;
            return Ok(MssOutcome::Signed {
                signature,
                certificate_der,
            });
        }
        classify(code, resp.status.message.as_deref().unwrap_or_default())
    }

    /// Requests the signature and polls until a final outcome or the
    /// overall timeout. Transient errors while polling are retried; `now`
    /// is the instant of the call (later instants are `now` plus the
    /// monotonic time elapsed).
    pub async fn sign(
        &self,
        msisdn: &str,
        challenge_text: &str,
        display_text: &str,
        now: Millis,
    ) -> MssOutcome {
        let start = tokio::time::Instant::now();
        let deadline = start + self.config.overall_timeout;
        let at =
            || now.saturating_add(i64::try_from(start.elapsed().as_millis()).unwrap_or(i64::MAX));
        let pending = match tokio::time::timeout_at(
            deadline,
            self.request_signature(msisdn, challenge_text, display_text, now),
        )
        .await
        {
            Err(_) => return MssOutcome::Timeout,
            Ok(Ok(p)) => p,
            Ok(Err(e)) => {
                return e
                    .outcome()
                    .unwrap_or_else(|| MssOutcome::Failed(e.to_string()))
            }
        };
        tokio::time::sleep_until((start + self.config.first_poll_delay).min(deadline)).await;
        loop {
            if tokio::time::Instant::now() >= deadline {
                return MssOutcome::Timeout;
            }
            match tokio::time::timeout_at(deadline, self.poll_status(&pending, at())).await {
                Err(_) => return MssOutcome::Timeout,
                Ok(Ok(MssOutcome::Pending)) => {}
                Ok(Ok(done)) => return done,
                Ok(Err(e)) if e.is_transient() => {
                    tracing::warn!(error = %e, "MSS status query failed, will retry");
                }
                Ok(Err(e)) => {
                    return e
                        .outcome()
                        .unwrap_or_else(|| MssOutcome::Failed(e.to_string()))
                }
            }
            let next = tokio::time::Instant::now() + self.config.poll_interval;
            tokio::time::sleep_until(next.min(deadline)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Millis = 1_796_113_800_000;

    #[test]
    fn msisdn_normalisation() {
        for ok in [
            "0912345678",
            "+84912345678",
            "84912345678",
            "0084912345678",
            " 0912 345 678 ",
            "091-234-5678",
            "0912.345.678",
        ] {
            assert_eq!(normalize_msisdn(ok).as_deref(), Ok("84912345678"), "{ok}");
        }
        assert_eq!(normalize_msisdn("0351234567").as_deref(), Ok("84351234567"));
        for bad in [
            "",
            "912345678",
            "091234567",
            "09123456789",
            "+840912345678",
            "0212345678", // landline range
            "0412345678",
            "0612345678",
            "+85512345678",
            "84 912345678x",
            "+84 91234567",
            "0912345678\u{0}",
            "+84+912345678",
            "٠912345678",
            &"9".repeat(40),
        ] {
            assert_eq!(
                normalize_msisdn(bad),
                Err(MssError::InvalidMsisdn),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn status_table_is_consistent() {
        for (c, v, n, _) in STATUS_TABLE {
            assert_eq!(StatusCode::from_code(*v), Some(*c));
            assert_eq!(StatusCode::from_name(n), Some(*c));
            assert_eq!(c.code(), *v);
        }
        assert_eq!(StatusCode::PinNrBlocked.code(), 402);
        assert_eq!(StatusCode::from_code(777), None);
    }

    #[test]
    fn classification() {
        assert_eq!(classify(504, ""), Ok(MssOutcome::Pending));
        assert_eq!(classify(401, ""), Ok(MssOutcome::Cancelled));
        assert_eq!(classify(402, ""), Ok(MssOutcome::PinBlocked));
        assert_eq!(classify(208, ""), Ok(MssOutcome::Expired));
        assert_eq!(classify(422, ""), Ok(MssOutcome::NoCertificate));
        assert_eq!(classify(105, ""), Ok(MssOutcome::UnknownUser));
        assert!(matches!(classify(209, ""), Ok(MssOutcome::Failed(m)) if m == "209 OTA_ERROR"));
        for portal_side in [101, 102, 104, 108, 900, 999] {
            assert!(matches!(
                classify(portal_side, "x"),
                Err(MssError::Fault(_))
            ));
        }
        let e = MssError::Fault(Fault::new(StatusCode::UnknownClient, None));
        assert_eq!(e.outcome(), Some(MssOutcome::UnknownUser));
        assert!(!e.is_transient());
        assert!(MssError::Fault(Fault::new(StatusCode::InternalError, None)).is_transient());
        assert_eq!(e.to_string(), "MSSP fault 105 UNKNOWN_CLIENT");
    }

    fn ap(id: &str) -> ApInfo {
        ApInfo {
            ap_id: "http://dichvucong.example.vn/mss".into(),
            ap_trans_id: id.into(),
            ap_pwd: "s3cret&<\"'>".into(),
            instant: NOW,
        }
    }

    fn samples() -> Vec<Message> {
        let mssp = MsspInfo {
            mssp_id: "http://mssp.example.vn/".into(),
            instant: Some(NOW + 1000),
        };
        let mut signed = Status::new(StatusCode::Signature);
        signed.certificates = vec![vec![0x30, 0x03, 1, 2, 3], vec![0x30, 0]];
        vec![
            Message::SignatureReq(SignatureReq {
                ap_info: ap("MC01"),
                mssp_info: MsspInfo {
                    instant: None,
                    ..mssp.clone()
                },
                msisdn: "84912345678".into(),
                data_to_be_signed: Data::text(
                    "motcua-challenge/1\norigin=https://dvc.example.vn\npurpose=login\r\n<&>]]>",
                ),
                data_to_be_displayed: Some(Data::text("Đăng nhập Cổng Dịch vụ công")),
                signature_profile: Some(DEFAULT_SIGNATURE_PROFILE.into()),
                messaging_mode: MessagingMode::AsynchClientServer,
                timeout_secs: Some(120),
                mss_format: Some(RAW_SIGNATURE_FORMAT.into()),
            }),
            Message::SignatureResp(SignatureResp {
                ap_info: ApInfo {
                    ap_pwd: String::new(),
                    ..ap("MC01")
                },
                mssp_info: mssp.clone(),
                mssp_trans_id: "S0123".into(),
                msisdn: "84912345678".into(),
                signature: None,
                signature_profile: Some(DEFAULT_SIGNATURE_PROFILE.into()),
                status: Status::new(StatusCode::RequestOk),
            }),
            Message::StatusReq(StatusReq {
                ap_info: ap("MC02"),
                mssp_info: MsspInfo {
                    instant: None,
                    ..mssp.clone()
                },
                mssp_trans_id: "S0123".into(),
            }),
            Message::StatusResp(StatusResp {
                ap_info: ApInfo {
                    ap_pwd: String::new(),
                    ..ap("MC02")
                },
                mssp_info: mssp,
                msisdn: "84912345678".into(),
                signature: Some(vec![0x30, 0x44, 0, 255]),
                status: signed,
            }),
            Message::Fault(Fault::new(
                StatusCode::UserCancel,
                Some("người dùng đã hủy"),
            )),
        ]
    }

    #[test]
    fn round_trips() {
        let mut odd = samples();
        if let Some(Message::StatusReq(r)) = odd.get_mut(2) {
            r.ap_info.instant = NOW + 7;
            r.ap_info.ap_id = "a\tb\nc\rd".into();
        }
        assert!(odd[2]
            .to_soap()
            .contains("Instant=\"2026-12-01T08:30:00.007Z\""));
        for m in samples().into_iter().chain(odd) {
            let xml = m.to_soap();
            assert_eq!(Message::parse(xml.as_bytes()), Ok(m.clone()), "{xml}");
        }
    }

    #[test]
    fn foreign_spellings_are_read() {
        // Another MSSP's style: default namespace, whitespace, fractional
        // instants with offsets, a fault with a SOAP 1.1 code and a name.
        let xml = r#"<?xml version="1.0"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">
  <s:Body>
    <MSS_StatusResp xmlns="http://uri.etsi.org/TS102204/v1.1.2#" MajorVersion="1" MinorVersion="1">
      <AP_Info AP_ID="ap" AP_TransID="MC9" Instant="2015-02-11T08:57:24.905+01:00"/>
      <MSSP_Info><MSSP_ID><URI> http://mssp/ </URI></MSSP_ID></MSSP_Info>
      <MobileUser><MSISDN>+84912345678</MSISDN></MobileUser>
      <!-- comment -->
      <Status><StatusCode Value=" 504 "/><StatusMessage>OUTSTANDING_TRANSACTION</StatusMessage></Status>
    </MSS_StatusResp>
  </s:Body>
</s:Envelope>"#;
        match Message::parse(xml.as_bytes()) {
            Ok(Message::StatusResp(r)) => {
                assert_eq!(r.status.code, 504);
                assert_eq!(r.ap_info.instant, 1_423_641_444_905);
                assert_eq!(r.mssp_info.mssp_id, "http://mssp/");
                assert_eq!(r.msisdn, "+84912345678");
            }
            other => panic!("{other:?}"),
        }
        let fault = r#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><e:Fault>
<faultcode>e:Client</faultcode><faultstring>USER_CANCEL</faultstring></e:Fault></e:Body></e:Envelope>"#;
        match Message::parse(fault.as_bytes()) {
            Ok(Message::Fault(f)) => assert_eq!(f.code, Some(401)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn hostile_xml_is_refused() {
        let ok = samples()[2].to_soap();
        for bad in [
            String::new(),
            "<".into(),
            "not xml".into(),
            ok.replace(SOAP_NS, "http://www.w3.org/2003/05/soap-envelope"),
            ok.replace("</soapenv:Envelope>", ""),
            ok.replace(
                "<soapenv:Body>",
                "<!DOCTYPE x [<!ENTITY a \"b\">]><soapenv:Body>",
            ),
            ok.replace("S0123", "&a;"),
            ok.replace("mss:MSS_StatusReq ", "zz:MSS_StatusReq "),
            ok.replace("MSSP_TransID=\"S0123\"", ""),
            ok.replace("Instant=\"2026-12-01T08:30:00Z\"", "Instant=\"yesterday\""),
            format!("{ok}<x/>"),
            format!("<?pi x?>{ok}"),
            "<a>".repeat(100),
            "x".repeat(MAX_MESSAGE + 1),
        ] {
            assert!(
                Message::parse(bad.as_bytes()).is_err(),
                "{}",
                clip(&bad, 300)
            );
        }
        assert!(Message::parse(&[0xff, 0xfe, 0]).is_err());
    }

    #[test]
    fn debug_hides_passwords() {
        let c = MssConfig::new("https://mssp", "ap", "hunter2", "mssp");
        assert!(!format!("{c:?}").contains("hunter2"));
        assert!(!format!("{:?}", ap("x")).contains("s3cret"));
    }
}
