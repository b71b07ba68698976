//! The identity context: accounts, passwords, sessions and logins
//! ([`service`]), and digital identity (issue #4): login and registration with a USB signing
//! token through the local signing tool (R-ID-9, R-ID-11), assurance
//! levels (R-ID-13), the portal's own captcha.
//!
//! The configuration (`[identity]`) names the operator's trust anchors and
//! licensed CAs; [`Identity`] holds the verifier built from them.
pub mod api_tokens;
pub mod captcha;
pub mod context;
pub mod directory;
pub mod eid;
pub mod events;
pub mod hashing;
pub mod housekeeping;
pub mod logins;
pub mod onboarding;
pub mod portal;
pub mod profile;
pub mod queries;
pub mod reports;
pub mod service;
pub mod sim;
pub mod store;
pub mod synthetic;
pub mod token;

pub use context::IdentityContext;
/// The records other crates show (read-only views of identity's rows).
pub use store::accounts::{Account, Page};
pub use store::activity::{Activity, CompromiseReport};
pub use store::credentials::{CertificateRow, Signup};
pub use store::sessions::Session;

use motcua_domain::{AssuranceLevel, AssurancePolicy, Millis, SECOND};
use motcua_pki::cert::Certificate;
use motcua_pki::{
    AlgorithmPolicy, RevocationChecker, RevocationPolicy, TrustStore, UsagePolicy, Verifier,
};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Default port of the signing tool on the user's computer.
pub const SIGNER_PORT: u16 = 47811;

/// `[identity]` in the configuration file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdentityConfig {
    /// PEM files of the trust anchors (the national root CA).
    pub trust_anchors: Vec<PathBuf>,
    /// PEM files of the licensed CAs under it (sent by few clients).
    pub intermediates: Vec<PathBuf>,
    pub algorithms: AlgorithmPolicy,
    /// `[identity.usage]`: extended key usages and certificate policies a
    /// login certificate needs (docs/PKI.md).
    pub usage: UsagePolicy,
    /// Default revocation policy for every CA.
    pub revocation: RevocationPolicy,
    /// Per-CA revocation policies.
    pub ca: Vec<CaPolicy>,
    /// How long a challenge may be signed, seconds.
    pub challenge_ttl_secs: i64,
    /// Port of the signing tool the pages look for on 127.0.0.1.
    pub signer_port: u16,
    /// Folder with the signing tool's installers, served at
    /// `/downloads/motcua-signer/…`.
    pub signer_download_dir: Option<PathBuf>,
    /// Method → assurance level (R-ID-13).
    pub levels: AssurancePolicy,
    /// Page or service key → the level it needs, overriding what the code
    /// declares (e.g. `"account.certificates" = 3`).
    pub required_levels: std::collections::BTreeMap<String, u8>,
    /// TESTS ONLY: `/captcha/{id}/answer` tells the answer, so browser
    /// tests can pass the captcha. Never set in production.
    pub captcha_reveal_for_tests: bool,
    /// The mobile signature provider (SIM signature, R-ID-10); off when
    /// absent.
    pub sim: Option<SimConfig>,
    /// The national e-ID's OpenID Provider (R-ID-12); off when absent.
    pub eid: Option<eid::EidConfig>,
}

/// `[identity.sim]`: the mobile signature service provider (ETSI TS 102
/// 204, see docs/SIM-SIGNATURE.md).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimConfig {
    pub endpoint: String,
    pub ap_id: String,
    pub ap_password: String,
    pub mssp_id: String,
    pub signature_profile: Option<String>,
    pub call_timeout_secs: u64,
    /// How long the user has to answer on the phone (the request's TimeOut).
    pub overall_timeout_secs: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            endpoint: String::new(),
            ap_id: String::new(),
            ap_password: String::new(),
            mssp_id: String::new(),
            signature_profile: None,
            call_timeout_secs: 10,
            overall_timeout_secs: 120,
        }
    }
}

impl SimConfig {
    pub fn client(&self) -> Result<motcua_pki::mss::MssClient, String> {
        let mut c = motcua_pki::mss::MssConfig::new(
            &self.endpoint,
            &self.ap_id,
            &self.ap_password,
            &self.mssp_id,
        );
        if let Some(p) = &self.signature_profile {
            c.signature_profile = p.clone();
        }
        c.call_timeout = std::time::Duration::from_secs(self.call_timeout_secs.max(1));
        c.overall_timeout =
            std::time::Duration::from_secs(self.overall_timeout_secs.clamp(30, 600));
        motcua_pki::mss::MssClient::new(c).map_err(|e| format!("[identity.sim]: {e}"))
    }
}

impl Default for IdentityConfig {
    fn default() -> Self {
        Self {
            trust_anchors: Vec::new(),
            intermediates: Vec::new(),
            algorithms: AlgorithmPolicy::default(),
            usage: UsagePolicy::default(),
            revocation: RevocationPolicy::default(),
            ca: Vec::new(),
            challenge_ttl_secs: 120,
            signer_port: SIGNER_PORT,
            signer_download_dir: None,
            levels: AssurancePolicy::default(),
            required_levels: Default::default(),
            captcha_reveal_for_tests: false,
            sim: None,
            eid: None,
        }
    }
}

/// `[[identity.ca]]`: how certificates issued by one CA are checked.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CaPolicy {
    /// The CA's certificate (PEM).
    pub certificate: PathBuf,
    pub revocation: RevocationPolicy,
}

/// The identity services' state, built once at start.
pub struct Identity {
    pub verifier: Verifier,
    pub levels: AssurancePolicy,
    pub required_levels: std::collections::BTreeMap<String, AssuranceLevel>,
    pub challenge_ttl: Millis,
    pub signer_port: u16,
    pub signer_download_dir: Option<PathBuf>,
    pub captcha_reveal: bool,
    /// The mobile signature provider's client, when configured.
    pub sim: Option<motcua_pki::mss::MssClient>,
    /// The e-ID relying party, when configured (built by
    /// `IdentityContext::with_identity`, which knows the public URL).
    pub eid: Option<eid::Eid>,
    pub eid_config: Option<eid::EidConfig>,
}

impl Identity {
    /// No trust anchor: every certificate is refused (the portal still
    /// runs; password and the other methods work).
    pub fn empty() -> Result<Self, String> {
        Self::with_trust(TrustStore::new(), &IdentityConfig::default())
    }

    /// Builds the verifier from an in-memory trust store (tests, demo).
    /// A configured SIM provider that cannot be set up is an error, not a
    /// feature silently switched off.
    pub fn with_trust(trust: TrustStore, cfg: &IdentityConfig) -> Result<Self, String> {
        let sim = cfg.sim.as_ref().map(SimConfig::client).transpose()?;
        Ok(Self {
            verifier: Verifier {
                trust,
                algorithms: cfg.algorithms.clone(),
                revocation: RevocationChecker::new(cfg.algorithms.clone(), cfg.revocation.clone())
                    .map_err(|e| format!("[identity.revocation]: {e}"))?,
            },
            levels: cfg.levels.clone(),
            required_levels: cfg
                .required_levels
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), AssuranceLevel::new(*v)?)))
                .collect(),
            challenge_ttl: cfg.challenge_ttl_secs.clamp(30, 600) * SECOND,
            signer_port: cfg.signer_port,
            signer_download_dir: cfg.signer_download_dir.clone(),
            captcha_reveal: cfg.captcha_reveal_for_tests,
            eid: None,
            eid_config: cfg.eid.clone(),
            sim,
        })
    }

    /// Reads the anchors and CA files the configuration names.
    pub fn from_config(cfg: &IdentityConfig) -> Result<Self, String> {
        let read = |p: &PathBuf| -> Result<Vec<Certificate>, String> {
            let bytes = std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
            Certificate::parse_many(&bytes).map_err(|e| format!("{}: {e}", p.display()))
        };
        let mut trust = TrustStore::new();
        for p in &cfg.trust_anchors {
            for c in read(p)? {
                trust
                    .add_anchor(c)
                    .map_err(|e| format!("{}: {e}", p.display()))?;
            }
        }
        for p in &cfg.intermediates {
            for c in read(p)? {
                trust.add_intermediate(c);
            }
        }
        trust
            .set_usage(cfg.usage.clone())
            .map_err(|e| format!("[identity.usage]: {e}"))?;
        let mut identity = Self::with_trust(trust, cfg)?;
        for ca in &cfg.ca {
            for c in read(&ca.certificate)? {
                identity
                    .verifier
                    .revocation
                    .set_issuer_policy(&c, ca.revocation.clone());
            }
        }
        Ok(identity)
    }

    /// The level page or service `key` needs: the operator's setting, else
    /// what the code declares.
    pub fn required_level(&self, key: &str, declared: AssuranceLevel) -> AssuranceLevel {
        self.required_levels.get(key).copied().unwrap_or(declared)
    }

    /// The origin the signing tool is reached at, for the pages' CSP.
    pub fn signer_origins(&self) -> String {
        format!(
            "http://127.0.0.1:{p} http://localhost:{p}",
            p = self.signer_port
        )
    }
}

/// Messages of the identity pages (Vietnamese, English).
pub const MESSAGES: &[motcua_kernel::i18n::Message] = &[
    ("login.locked", "Tài khoản đang bị khóa. Vui lòng liên hệ Đơn vị quản lý Cổng.", "This account is locked. Please contact the Portal Management Unit."),
    ("password.wrong_current", "Mật khẩu hiện tại không đúng.", "The current password is wrong."),
    ("password.mismatch", "Hai lần nhập mật khẩu mới không khớp.", "The two new passwords do not match."),
    ("password.same", "Mật khẩu mới phải khác mật khẩu hiện tại.", "The new password must differ from the current one."),
    ("reset.invalid_link", "Liên kết không hợp lệ, đã được sử dụng hoặc đã hết hạn. Vui lòng yêu cầu liên kết mới.", "The link is invalid, already used or expired. Please ask for a new one."),
    ("reset.who_required", "Vui lòng nhập tên đăng nhập hoặc email.", "Please enter your username or email."),
    ("error.role", "Vai trò không hợp lệ.", "Unknown role."),
    ("account.username", "Tên đăng nhập", "Username"),
    ("console.reason_required", "Vui lòng nhập lý do (ít nhất 3 ký tự).", "Please give a reason (at least 3 characters)."),
    ("console.error_phone", "Số điện thoại quá dài.", "The phone number is too long."),
    ("console.error_own_operator", "Bạn không thể tự bỏ vai trò quản trị của chính mình.", "You cannot remove your own operator role."),
    ("pki.malformed", "Chứng thư số không đọc được.", "The certificate cannot be read."),
    ("pki.expired", "Chứng thư số đã hết hạn. Vui lòng gia hạn với tổ chức cung cấp dịch vụ chứng thực chữ ký số.", "The certificate has expired. Please renew it with your certification service provider."),
    ("pki.not_yet_valid", "Chứng thư số chưa đến thời hạn có hiệu lực.", "The certificate is not valid yet."),
    ("pki.untrusted", "Chứng thư số không do tổ chức cung cấp dịch vụ chứng thực chữ ký số được Cổng tin cậy cấp.", "The certificate was not issued by a certification service provider the portal trusts."),
    ("pki.revoked", "Chứng thư số đã bị thu hồi.", "The certificate has been revoked."),
    ("pki.revocation_unavailable", "Chưa kiểm tra được trạng thái thu hồi của chứng thư số. Vui lòng thử lại sau ít phút.", "The certificate's revocation status cannot be checked right now. Please try again in a few minutes."),
    ("pki.weak_algorithm", "Chứng thư số dùng thuật toán hoặc độ dài khóa không còn được chấp nhận.", "The certificate uses an algorithm or key size that is no longer accepted."),
    ("pki.not_for_signing", "Chứng thư số này không dùng để ký.", "This certificate is not meant for signing."),
    ("pki.invalid_chain", "Chuỗi chứng thư số không hợp lệ.", "The certificate chain is not valid."),
    ("pki.bad_signature", "Chữ ký số không khớp với chứng thư số.", "The signature does not match the certificate."),
    ("challenge.expired", "Yêu cầu ký đã hết hạn hoặc đã được dùng. Vui lòng ký lại.", "The signing request has expired or was already used. Please sign again."),
    ("challenge.invalid", "Yêu cầu ký không hợp lệ cho trang này.", "The signing request is not valid for this page."),
    ("token.malformed", "Dữ liệu từ công cụ ký số không hợp lệ.", "The signing tool's answer is not valid."),
    ("token.not_registered", "Chứng thư số hợp lệ nhưng chưa được đăng ký với tài khoản nào.", "The certificate is valid but not registered to any account."),
    ("token.already_registered", "Chứng thư số này đã được đăng ký. Vui lòng đăng nhập.", "This certificate is already registered. Please log in."),
    ("token.identity_taken", "Đã có tài khoản với mã số thuế hoặc số định danh này. Vui lòng đăng nhập rồi thêm chứng thư số trong trang tài khoản.", "An account with this tax code or personal ID exists. Please log in and add the certificate in your account."),
    ("token.no_identifier", "Chứng thư số không ghi mã số thuế hay số định danh cá nhân.", "The certificate names neither a tax code nor a personal ID."),
    ("token.not_yours", "Chứng thư số này chưa được đăng ký cho tài khoản của bạn. Hãy đăng ký nó trong mục Chứng thư số rồi ký lại.", "This certificate is not registered to your account. Register it under Certificates, then sign again."),
    ("token.digest_changed", "Hồ sơ đã thay đổi sau khi bạn bắt đầu ký. Vui lòng kiểm tra lại và ký lại.", "The dossier changed after you started signing. Please check it again and sign again."),
    ("token.other_account", "Chứng thư số này không thuộc tài khoản đang đăng nhập.", "This certificate does not belong to the logged-in account."),
    ("token.failed", "Không ký được. Vui lòng thử lại.", "Signing failed. Please try again."),
    ("token.login.title", "Đăng nhập bằng chữ ký số", "Log in with a digital signature"),
    ("token.login.lead", "Cắm thiết bị ký số (USB token) vào máy tính, rồi bấm nút dưới đây. Mã PIN được nhập trong cửa sổ của công cụ ký số.", "Plug in your signing token (USB), then press the button below. You type the PIN in the signing tool's own window."),
    ("token.login.submit", "Ký số và đăng nhập", "Sign and log in"),
    ("token.register.title", "Đăng ký tài khoản bằng chữ ký số", "Register with a digital signature"),
    ("token.register.lead", "Doanh nghiệp, tổ chức và công dân có chứng thư số đăng ký tài khoản: thông tin trên chứng thư số được điền sẵn.", "Businesses, organisations and citizens with a certificate register here: the form is filled in from the certificate."),
    ("token.register.submit", "Ký số để đăng ký", "Sign to register"),
    ("token.register.offer", "Đăng ký tài khoản bằng chứng thư số này", "Register an account with this certificate"),
    ("token.register.start", "Bắt đầu lại", "Start again"),
    ("token.add.title", "Thêm chứng thư số", "Add a certificate"),
    ("token.add.lead", "Thêm chứng thư số mới (ví dụ khi gia hạn) vào tài khoản trước khi chứng thư số cũ hết hạn.", "Add a new certificate (for example a renewal) to your account before the old one expires."),
    ("token.add.submit", "Ký số để thêm", "Sign to add"),
    ("sim.login.title", "Đăng nhập bằng chữ ký số trên SIM", "Log in with a SIM signature"),
    ("sim.register.title", "Đăng ký tài khoản bằng chữ ký số trên SIM", "Register with a SIM signature"),
    ("sim.sign.title", "Ký số hồ sơ bằng chữ ký số trên SIM", "Sign the dossier with a SIM signature"),
    ("sim.step_up.title", "Xác thực bổ sung bằng chữ ký số trên SIM", "Confirm it is you with a SIM signature"),
    ("sim.lead", "Nhập số điện thoại có SIM ký số. Điện thoại sẽ hiện yêu cầu ký; bạn nhập mã PIN trên điện thoại để xác nhận.", "Enter the phone number of your signing SIM. The phone shows a signing request; you confirm it with your PIN on the phone."),
    ("sim.phone", "Số điện thoại", "Phone number"),
    ("sim.phone_hint", "Ví dụ 0912 345 678", "For example 0912 345 678"),
    ("sim.submit", "Gửi yêu cầu ký tới điện thoại", "Send the request to my phone"),
    ("sim.waiting", "Đã gửi yêu cầu ký tới số điện thoại", "A signing request was sent to"),
    ("sim.code", "Kiểm tra điện thoại hiện đúng mã", "Check that the phone shows the code"),
    ("sim.waiting_help", "Trang này tự cập nhật. Nếu không nhận được yêu cầu, hãy kiểm tra sóng điện thoại rồi thử lại.", "This page updates itself. If no request arrives, check your phone's signal and try again."),
    ("sim.disabled", "Cổng chưa kết nối nhà cung cấp dịch vụ chữ ký số trên SIM.", "The portal is not connected to a SIM signature provider."),
    ("sim.bad_number", "Số điện thoại không hợp lệ. Nhập số di động Việt Nam, ví dụ 0912345678.", "The phone number is not valid. Enter a Vietnamese mobile number, e.g. 0912345678."),
    ("sim.other_ways", "Cách khác", "Other ways"),
    ("mss.pending", "Đang chờ bạn xác nhận trên điện thoại…", "Waiting for you to confirm on the phone…"),
    ("mss.signed", "Đã ký.", "Signed."),
    ("mss.cancelled", "Bạn đã từ chối yêu cầu ký trên điện thoại.", "You declined the signing request on the phone."),
    ("mss.pin_blocked", "Mã PIN của SIM ký số đã bị khóa. Vui lòng liên hệ nhà mạng.", "The SIM's PIN is blocked. Please contact your mobile operator."),
    ("mss.expired", "Yêu cầu ký đã hết hạn vì không được xác nhận kịp. Vui lòng thử lại.", "The signing request expired before it was confirmed. Please try again."),
    ("mss.no_certificate", "Số điện thoại này chưa có chứng thư số trên SIM.", "This number has no certificate on its SIM."),
    ("mss.unknown_user", "Số điện thoại này chưa đăng ký dịch vụ chữ ký số trên SIM.", "This number is not registered for SIM signatures."),
    ("mss.failed", "Nhà cung cấp dịch vụ chữ ký số trên SIM không trả lời. Vui lòng thử lại sau.", "The SIM signature provider did not answer. Please try again later."),
    ("login.with_sim", "Đăng nhập bằng chữ ký số trên SIM", "Log in with a SIM signature"),
    ("login.with_eid", "Đăng nhập bằng tài khoản định danh điện tử (VNeID)", "Log in with the national e-ID (VNeID)"),
    ("eid.refused.title", "Không đăng nhập được bằng định danh điện tử", "The e-ID login did not complete"),
    ("eid.disabled", "Cổng chưa kết nối hệ thống định danh và xác thực điện tử.", "The portal is not connected to the national e-ID system."),
    ("eid.spent", "Phiên đăng nhập đã hết hạn hoặc đã được dùng. Vui lòng đăng nhập lại.", "The login request expired or was already used. Please log in again."),
    ("eid.cancelled", "Bạn đã hủy đăng nhập tại hệ thống định danh điện tử.", "You cancelled the login at the e-ID system."),
    ("eid.unavailable", "Hệ thống định danh điện tử không trả lời. Vui lòng thử lại sau.", "The e-ID system did not answer. Please try again later."),
    ("eid.invalid", "Kết quả xác thực từ hệ thống định danh điện tử không hợp lệ.", "The e-ID system's answer is not valid."),
    ("eid.acr", "Mức độ tài khoản định danh điện tử này không được chấp nhận.", "This e-ID account's level is not accepted."),
    ("eid.claims", "Hệ thống định danh điện tử không gửi số định danh hoặc mã số thuế.", "The e-ID system sent neither a personal ID nor a tax code."),
    ("eid.other_account", "Tài khoản định danh điện tử này không thuộc về tài khoản đang đăng nhập. Hãy đăng xuất rồi đăng nhập lại bằng tài khoản định danh điện tử.", "This e-ID account does not belong to the account that is logged in. Log out, then log in with the e-ID account."),
    ("api.title", "Khóa truy cập API", "API access tokens"),
    ("api.lead", "Khóa truy cập cho phần mềm của bạn đọc dữ liệu tài khoản qua API. Mỗi phạm vi cần một mức độ an toàn; khóa mang mức độ của lần đăng nhập tạo ra nó.", "Tokens let your own software read your account's data through the API. Each scope needs an assurance level; a token carries the level of the login that made it."),
    ("api.session_level", "Mức độ an toàn của phiên này:", "This session's assurance level:"),
    ("api.new_token", "Khóa mới — hãy sao chép ngay, khóa sẽ không hiện lại:", "New token — copy it now, it will not be shown again:"),
    ("api.name", "Tên khóa", "Token name"),
    ("api.scopes", "Phạm vi", "Scopes"),
    ("api.level_needed", "mức", "level"),
    ("api.level", "Mức độ an toàn", "Assurance level"),
    ("api.days", "Hiệu lực (ngày)", "Valid for (days)"),
    ("api.create", "Tạo khóa", "Create token"),
    ("api.hint", "Phạm vi cần mức cao hơn phiên hiện tại sẽ yêu cầu xác thực bổ sung trước khi tạo khóa. Gửi khóa trong tiêu đề Authorization: Bearer.", "A scope above this session's level asks you to confirm with a stronger method first. Send the token in the header Authorization: Bearer."),
    ("api.none", "Chưa có khóa nào.", "No tokens yet."),
    ("api.created", "Tạo lúc", "Created"),
    ("api.expires", "Hết hạn", "Expires"),
    ("api.last_used", "Dùng lần cuối", "Last used"),
    ("api.revoke", "Thu hồi", "Revoke"),
    ("api.inactive", "Đã thu hồi hoặc hết hạn", "Revoked or expired"),
    ("api.scope.profile", "đọc thông tin tài khoản", "read the account's profile"),
    ("api.scope.activity", "đọc lịch sử hoạt động", "read the activity history"),
    ("api.scope.certificates", "đọc chứng thư số đã đăng ký", "read the registered certificates"),
    ("api.error.name", "Hãy đặt tên cho khóa.", "Give the token a name."),
    ("api.error.scopes", "Hãy chọn ít nhất một phạm vi.", "Choose at least one scope."),
    ("api.problem.unauthorized", "Cần khóa truy cập (Authorization: Bearer).", "An access token is required (Authorization: Bearer)."),
    ("api.problem.invalid-token", "Khóa truy cập không hợp lệ, đã thu hồi hoặc đã hết hạn.", "The access token is invalid, revoked or expired."),
    ("api.problem.insufficient-scope", "Khóa truy cập không có phạm vi này.", "The access token does not have this scope."),
    ("api.problem.insufficient-user-authentication", "Phạm vi này cần mức độ an toàn cao hơn: hãy xác thực bổ sung rồi tạo khóa mới.", "This scope needs a higher assurance level: confirm with a stronger method, then make a new token."),
    ("flash.api_token_created", "Đã tạo khóa truy cập.", "The token was created."),
    ("flash.api_token_revoked", "Đã thu hồi khóa truy cập.", "The token was revoked."),
    ("eid.step_up.title", "Xác thực bổ sung bằng tài khoản định danh điện tử (VNeID)", "Confirm it is you with your e-ID account (VNeID)"),
    ("eid.consent.title", "Tạo tài khoản từ định danh điện tử", "Create your account from your e-ID"),
    ("eid.consent.lead", "Đây là lần đầu bạn đăng nhập bằng định danh điện tử. Cổng sẽ lưu các thông tin dưới đây để tạo tài khoản của bạn:", "This is your first e-ID login. The portal will store the details below to create your account:"),
    ("eid.consent.email", "Thư điện tử để nhận thông báo (không bắt buộc)", "Email for notices (optional)"),
    ("eid.consent.agree", "Tôi đồng ý để Cổng lưu các thông tin trên từ hệ thống định danh điện tử.", "I agree that the portal stores the details above from the e-ID system."),
    ("eid.consent.submit", "Tạo tài khoản", "Create the account"),
    ("eid.must_agree", "Vui lòng đánh dấu đồng ý để tạo tài khoản.", "Please tick your agreement to create the account."),
    ("flash.registered_eid", "Đã tạo tài khoản từ định danh điện tử. Bạn đã đăng nhập.", "Your account was created from your e-ID. You are logged in."),
    ("data.title", "Dữ liệu cá nhân và việc sử dụng lại", "Personal data and its reuse"),
    ("data.lead", "Đây là các thông tin Cổng đang lưu về bạn và nguồn của từng thông tin. Bạn có thể cho phép Cổng dùng lại thông tin để điền sẵn vào biểu mẫu; mỗi lần dùng lại đều được ghi dưới đây.", "This is what the portal holds about you and where each item comes from. You may allow the portal to reuse an item to prefill forms; every reuse is listed below."),
    ("data.item", "Thông tin", "Item"),
    ("data.value", "Giá trị", "Value"),
    ("data.source", "Nguồn", "Source"),
    ("data.recorded", "Ghi nhận lúc", "Recorded"),
    ("data.allow", "Cho phép dùng lại để điền sẵn biểu mẫu", "Allow reuse to prefill forms"),
    ("data.save", "Lưu lựa chọn", "Save choices"),
    ("data.log", "Nhật ký sử dụng lại dữ liệu", "Reuse log"),
    ("data.log_none", "Chưa có lần dùng lại nào.", "No reuse yet."),
    ("data.log_at", "Thời điểm", "When"),
    ("data.log_service", "Biểu mẫu", "Form"),
    ("data.log_items", "Thông tin đã dùng", "Items used"),
    ("data.attr.full_name", "Họ và tên", "Full name"),
    ("data.attr.organization", "Tên tổ chức, doanh nghiệp", "Organisation"),
    ("data.attr.tax_code", "Mã số thuế", "Tax code"),
    ("data.attr.personal_id", "Số định danh cá nhân", "Personal ID number"),
    ("data.attr.birthdate", "Ngày sinh", "Date of birth"),
    ("data.attr.email", "Thư điện tử", "Email"),
    ("data.attr.phone", "Số điện thoại", "Phone"),
    ("data.attr.earlier_dossier", "Thông tin trong hồ sơ đã nộp trước đây", "Answers of a dossier submitted before"),
    ("data.source.certificate", "Chứng thư số", "Certificate"),
    ("data.source.eid", "Định danh điện tử (VNeID)", "National e-ID (VNeID)"),
    ("data.source.sim", "Chữ ký số trên SIM", "SIM signature"),
    ("data.source.self", "Bạn tự khai", "Your own entry"),
    ("data.service.register.declarant", "Đăng ký tài khoản người khai (Một cửa quốc gia)", "Declarant registration (National Single Window)"),
    ("data.prefilled", "Một số thông tin đã được điền sẵn từ dữ liệu bạn cho phép dùng lại.", "Some fields were prefilled from data you allowed to be reused."),
    ("flash.consent_saved", "Đã lưu lựa chọn về việc dùng lại dữ liệu.", "Your reuse choices were saved."),
    ("account.data", "Dữ liệu cá nhân", "Personal data"),
    ("activity.kind.step_up", "Xác thực bổ sung", "Step-up authentication"),
    ("token.step_up.title", "Xác thực bổ sung", "Confirm it is you"),
    ("token.step_up.lead", "Trang bạn mở cần mức độ tin cậy cao hơn lần đăng nhập hiện tại. Hãy ký số bằng chứng thư số của bạn; sau đó bạn trở lại đúng trang đó.", "The page you opened needs a stronger login than the current one. Sign with your certificate; you then return to that page."),
    ("token.step_up.submit", "Ký số để xác thực", "Sign to confirm"),
    ("token.step_up.needed", "Mức cần", "Level needed"),
    ("token.step_up.current", "Mức hiện tại", "Current level"),
    ("token.step_up.methods", "Các hình thức đạt mức này", "Methods that reach this level"),
    ("token.noscript", "Trang này cần JavaScript để trao đổi với công cụ ký số.", "This page needs JavaScript to talk to the signing tool."),
    ("token.state.checking", "Đang tìm công cụ ký số trên máy tính của bạn…", "Looking for the signing tool on your computer…"),
    ("token.state.missing", "Chưa tìm thấy công cụ ký số Motcua trên máy tính này.", "The Motcua signing tool was not found on this computer."),
    ("token.state.no_token", "Công cụ ký số đang chạy nhưng chưa thấy thiết bị ký số. Vui lòng cắm USB token.", "The signing tool is running but sees no token. Please plug in your USB token."),
    ("token.state.no_certificate", "Thiết bị ký số không có chứng thư số nào.", "The token holds no certificate."),
    ("token.state.ready", "Đã sẵn sàng: công cụ ký số đang chạy và thấy thiết bị ký số.", "Ready: the signing tool is running and sees your token."),
    ("token.state.waiting", "Vui lòng chọn chứng thư số và nhập mã PIN trong cửa sổ của công cụ ký số.", "Please choose the certificate and type the PIN in the signing tool's window."),
    ("token.state.wrong_pin", "Mã PIN không đúng. Vui lòng nhập lại trong cửa sổ của công cụ ký số.", "Wrong PIN. Please type it again in the signing tool's window."),
    ("token.state.pin_locked", "Mã PIN đã bị khóa. Vui lòng liên hệ tổ chức cung cấp dịch vụ chứng thực chữ ký số.", "The PIN is locked. Please contact your certification service provider."),
    ("token.state.cancelled", "Bạn đã hủy việc ký.", "You cancelled the signature."),
    ("token.state.expired", "Yêu cầu ký đã hết hạn. Vui lòng ký lại.", "The signing request has expired. Please sign again."),
    ("token.state.failed", "Không trao đổi được với công cụ ký số. Vui lòng thử lại.", "Could not talk to the signing tool. Please try again."),
    ("token.state.sending", "Đang kiểm tra chữ ký số…", "Checking the signature…"),
    ("token.install.download", "Tải và cài đặt công cụ ký số Motcua", "Download and install the Motcua signing tool"),
    ("token.install.plug", "Cắm thiết bị ký số (USB token) vào máy tính.", "Plug your signing token (USB) into the computer."),
    ("token.install.run", "Chạy công cụ ký số, rồi bấm “Kiểm tra lại”.", "Start the signing tool, then press “Check again”."),
    ("token.retry", "Kiểm tra lại", "Check again"),
    ("token.password_instead", "Đăng nhập bằng mật khẩu", "Log in with a password"),
    ("token.privacy", "Mã PIN chỉ được nhập trong công cụ ký số trên máy tính của bạn; Cổng không bao giờ nhận mã PIN.", "The PIN is typed only into the signing tool on your computer; the portal never receives it."),
    ("token.signup.title", "Hoàn tất đăng ký tài khoản", "Complete your registration"),
    ("token.signup.lead", "Thông tin dưới đây được lấy từ chứng thư số đã ký. Nhập thư điện tử để nhận mã xác nhận.", "The details below come from the certificate you signed with. Enter your email to receive a confirmation code."),
    ("token.signup.organization", "Tên tổ chức, doanh nghiệp", "Organisation"),
    ("token.signup.tax_code", "Mã số thuế", "Tax code"),
    ("token.signup.holder", "Chủ thể chứng thư số", "Certificate holder"),
    ("token.signup.personal_id", "Số định danh cá nhân", "Personal ID number"),
    ("token.signup.issuer", "Tổ chức cấp chứng thư số", "Issued by"),
    ("token.signup.valid_until", "Hiệu lực đến", "Valid until"),
    ("token.signup.contact", "Họ và tên người liên hệ", "Contact person's full name"),
    ("token.signup.name", "Họ và tên", "Full name"),
    ("token.signup.email", "Thư điện tử", "Email"),
    ("token.signup.email_hint", "Mã xác nhận gồm 6 chữ số sẽ được gửi tới địa chỉ này.", "A 6-digit confirmation code will be sent to this address."),
    ("token.signup.phone", "Số điện thoại (không bắt buộc)", "Phone (optional)"),
    ("token.signup.submit", "Gửi mã xác nhận", "Send the code"),
    ("token.captcha.legend", "Mã kiểm tra", "Verification code"),
    ("token.captcha.alt", "Ảnh mã kiểm tra gồm 5 ký tự", "Image of a 5-character verification code"),
    ("token.captcha.new", "Đổi ảnh khác", "Show another image"),
    ("token.captcha.label", "Nhập các ký tự trong ảnh", "Type the characters in the image"),
    ("token.captcha_wrong", "Mã kiểm tra không đúng. Vui lòng nhập ký tự trong ảnh mới.", "The verification code is wrong. Please type the characters of the new image."),
    ("token.mail.subject", "Mã xác nhận đăng ký tài khoản", "Your registration code"),
    ("token.mail.heading", "Xác nhận địa chỉ thư điện tử", "Confirm your email address"),
    ("token.mail.body", "Nhập mã dưới đây trên trang đăng ký để kích hoạt tài khoản. Nếu bạn không đăng ký, hãy bỏ qua thư này.", "Enter the code below on the registration page to activate your account. If you did not register, ignore this mail."),
    ("token.mail.code", "Mã xác nhận", "Code"),
    ("token.mail.valid", "Hiệu lực", "Valid for"),
    ("token.mail.link", "Mở trang xác nhận", "Open the confirmation page"),
    ("token.confirm.title", "Nhập mã xác nhận", "Enter the confirmation code"),
    ("token.confirm.lead", "Chúng tôi đã gửi mã xác nhận gồm 6 chữ số tới", "We sent a 6-digit code to"),
    ("token.confirm.code", "Mã xác nhận", "Confirmation code"),
    ("token.confirm.submit", "Kích hoạt tài khoản", "Activate the account"),
    ("token.code_wrong", "Mã xác nhận không đúng.", "The code is wrong."),
    ("token.signup_gone.title", "Phiên đăng ký đã hết hạn", "The registration has expired"),
    ("token.signup_gone.body", "Phiên đăng ký đã hết hạn, đã hoàn tất hoặc nhập sai mã quá số lần cho phép. Vui lòng ký số để đăng ký lại.", "The registration expired, was completed, or the code was wrong too many times. Please sign again to register."),
    ("token.refused.title", "Không tạo được tài khoản", "The account was not created"),
    ("token.download.title", "Công cụ ký số Motcua", "The Motcua signing tool"),
    ("token.download.lead", "Công cụ ký số chạy trên máy tính của bạn, đọc chứng thư số trong USB token và ký yêu cầu đăng nhập của Cổng. Mã PIN chỉ được nhập trong công cụ.", "The signing tool runs on your computer, reads the certificates on your USB token and signs the portal's login requests. You type the PIN only into the tool."),
    ("token.download.none", "Cổng chưa cung cấp bộ cài. Quản trị viên có thể dựng công cụ từ mã nguồn:", "The portal offers no installer yet. An administrator can build the tool from source:"),
    ("token.download.run", "Sau khi cài đặt, chạy công cụ với thư viện PKCS#11 của thiết bị ký số:", "Once installed, start the tool with your token's PKCS#11 library:"),
    ("token.download.security", "Công cụ chỉ nhận kết nối từ chính máy tính của bạn (127.0.0.1) và chỉ phục vụ các trang của Cổng.", "The tool accepts connections only from your own computer (127.0.0.1) and serves only the portal's pages."),
    ("token.certs.title", "Chứng thư số", "Certificates"),
    ("token.certs.lead", "Các chứng thư số dùng để đăng nhập tài khoản này. Khi gia hạn, hãy thêm chứng thư số mới trước khi chứng thư số cũ hết hạn.", "The certificates that log in to this account. When you renew, add the new certificate before the old one expires."),
    ("token.certs.none", "Tài khoản chưa có chứng thư số.", "This account has no certificate."),
    ("token.certs.subject", "Chủ thể", "Subject"),
    ("token.certs.serial", "Số hiệu", "Serial"),
    ("token.certs.valid", "Hiệu lực", "Validity"),
    ("token.certs.actions", "Thao tác", "Actions"),
    ("token.certs.expired", "đã hết hạn", "expired"),
    ("token.certs.remove", "Gỡ", "Remove"),
    ("token.certs.add", "Thêm chứng thư số", "Add a certificate"),
    ("flash.certificate_added", "Đã thêm chứng thư số vào tài khoản.", "The certificate was added to your account."),
    ("flash.certificate_removed", "Đã gỡ chứng thư số khỏi tài khoản.", "The certificate was removed from your account."),
    ("flash.registered_certificate", "Đã kích hoạt tài khoản. Bạn đã đăng nhập bằng chữ ký số.", "Your account is active. You are logged in with your digital signature."),
    ("login.with_token", "Đăng nhập bằng chữ ký số (USB token)", "Log in with a digital signature (USB token)"),
    ("account.certificates", "Chứng thư số", "Certificates"),
    ("account.level", "Mức độ tin cậy của lần đăng nhập", "Assurance level of this login"),
    ("method.usb_token", "Chữ ký số (USB token)", "Digital signature (USB token)"),
    ("method.sim", "Chữ ký số trên SIM", "SIM signature"),
    ("method.eid_l1", "Định danh điện tử mức 1", "e-ID level 1"),
    ("method.eid_l2", "Định danh điện tử mức 2", "e-ID level 2"),
    ("method.eid_org", "Định danh điện tử tổ chức", "Organisation e-ID"),
];

/// The message tables this context's services use (with the kernel's),
/// for a catalog composed without the web crate (the CLI).
pub fn message_tables() -> Vec<&'static [motcua_kernel::i18n::Message]> {
    vec![
        motcua_kernel::i18n::MESSAGES,
        MESSAGES,
        portal::MESSAGES,
        onboarding::MESSAGES,
    ]
}
