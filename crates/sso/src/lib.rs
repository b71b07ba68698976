//! The sso context (issue #12 §1; R-ID-12, R-PS-13): the national portal
//! as the OpenID Provider of ministry and provincial portals, the way the
//! national portal logs people in (PUBLIC-SERVICES §4), and the OAuth 2.0
//! authorization server of their systems (client credentials).
//!
//! - [`clients`]: the operator registers clients (exact redirect URIs,
//!   allowed scopes, the highest level, a secret shown once), audited.
//! - [`authorize`]: the authorization request — code flow with PKCE S256
//!   only, `acr_values` mapped to the assurance levels (a lower session
//!   steps up first), consent per client and scope.
//! - [`token`]: the token endpoint — authorization code (single use),
//!   refresh tokens rotated with reuse detection, client credentials; the
//!   ID token and access tokens are JWTs signed ES256 ([`keys`]);
//!   userinfo, introspection and revocation.
//! - [`grants`]: the portals a person signed in to, each revocable.
//!
//! Nothing here reads the clock: `now` is a parameter.
pub mod assertion;
pub mod authorize;
pub mod claims;
pub mod clients;
pub mod grants;
pub mod keys;
pub mod logout;
pub mod store;
pub mod token;

use motcua_domain::{Millis, DAY, SECOND};

/// Lifetimes (`[sso]` in the configuration).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// An authorization code is spent within this many seconds.
    pub code_seconds: i64,
    /// Access tokens and ID tokens live this long.
    pub token_seconds: i64,
    /// Refresh tokens (with `offline_access`) live this many days.
    pub refresh_days: i64,
    /// A signing key signs this many days, then the worker makes a new
    /// one (the old stays in the JWKS until its tokens expire).
    pub key_days: i64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            code_seconds: 60,
            token_seconds: 600,
            refresh_days: 30,
            key_days: 90,
        }
    }
}

impl Config {
    pub fn code_ttl(&self) -> Millis {
        self.code_seconds.max(1) * SECOND
    }
    pub fn token_ttl(&self) -> Millis {
        self.token_seconds.max(1) * SECOND
    }
    pub fn refresh_ttl(&self) -> Millis {
        self.refresh_days.max(1) * DAY
    }
    /// How long a retired signing key stays published: its last tokens'
    /// lifetime and a margin for clocks.
    pub fn key_keep(&self) -> Millis {
        self.token_ttl() + 5 * 60 * SECOND
    }
}

/// The scopes a client may be given, with the claims each releases.
pub const SCOPES: &[(&str, &[&str])] = &[
    ("openid", &["sub"]),
    ("profile", &["name", "account_type", "birthdate", "level"]),
    ("email", &["email"]),
    ("phone", &["phone_number"]),
    ("address", &["address"]),
    (
        "identity",
        &["personal_id", "tax_code", "business_code", "business_name"],
    ),
    ("offline_access", &[]),
];

/// The system scopes of client-credentials clients (issue #12 §2).
pub const SYSTEM_SCOPES: &[&str] = &["catalog", "dossiers", "statistics"];

/// The issuer: the portal's public URL.
pub fn issuer(core: &motcua_kernel::Core) -> String {
    core.config.public_url.trim_end_matches('/').to_string()
}

/// 256 random bits, URL-safe (the e-ID relying party's generator).
pub fn random() -> String {
    motcua_oidc::rp::random_token()
}

/// The `acr` of assurance level `n`.
pub fn acr(level: i64) -> String {
    format!("urn:motcua:loa:{level}")
}

/// The level an `acr` value names, if it is ours.
pub fn level_of(acr: &str) -> Option<i64> {
    acr.strip_prefix("urn:motcua:loa:")
        .and_then(|n| n.parse().ok())
        .filter(|n| (1..=4).contains(n))
}

/// This context's messages (key, Vietnamese, English).
pub const MESSAGES: &[motcua_kernel::i18n::Message] = &[
    ("sso.consent_title", "Cho phép đăng nhập", "Allow the sign-in"),
    ("sso.consent_lead", "{client} đề nghị đăng nhập bằng tài khoản Cổng Dịch vụ công quốc gia của bạn và nhận các thông tin sau:", "{client} asks to sign you in with your National Public Service Portal account and to receive:"),
    ("sso.consent_allow", "Cho phép", "Allow"),
    ("sso.consent_deny", "Từ chối", "Deny"),
    ("sso.consent_note", "Bạn có thể thu hồi quyền này bất cứ lúc nào tại trang tài khoản.", "You can withdraw this at any time on your account page."),
    ("sso.scope_openid", "Mã định danh của bạn trên Cổng (không phải số định danh cá nhân)", "Your identifier on the portal (not your personal ID number)"),
    ("sso.scope_profile", "Họ tên, loại tài khoản, ngày sinh, mức độ tài khoản", "Name, account type, date of birth, assurance level"),
    ("sso.scope_email", "Địa chỉ thư điện tử", "E-mail address"),
    ("sso.scope_phone", "Số điện thoại", "Phone number"),
    ("sso.scope_address", "Địa chỉ", "Address"),
    ("sso.scope_identity", "Số định danh cá nhân, mã số thuế, mã và tên doanh nghiệp", "Personal ID number, tax code, business code and name"),
    ("sso.scope_offline_access", "Duy trì đăng nhập khi bạn không trực tuyến", "Keep you signed in while you are away"),
    ("sso.refused_title", "Không thể đăng nhập vào cổng này", "This portal cannot sign you in"),
    ("sso.error_client", "Cổng yêu cầu đăng nhập chưa được đăng ký hoặc đã bị tạm dừng.", "The portal asking is not registered or is suspended."),
    ("sso.error_redirect", "Địa chỉ trả về không khớp với địa chỉ đã đăng ký của cổng.", "The return address does not match the portal's registered address."),
    ("sso.portals", "Các cổng đã đăng nhập bằng tài khoản này", "Portals you signed in to with this account"),
    ("sso.portals_none", "Bạn chưa đăng nhập vào cổng nào khác bằng tài khoản này.", "You have not signed in to any other portal with this account."),
    ("sso.portal_scopes", "Thông tin được chia sẻ", "Shared"),
    ("sso.portal_last", "Lần gần nhất", "Last used"),
    ("sso.portal_revoke", "Thu hồi", "Revoke"),
    ("sso.portal_revoked", "Đã thu hồi", "Revoked"),
    ("sso.clients_title", "Cổng và hệ thống kết nối (OpenID Connect)", "Connected portals and systems (OpenID Connect)"),
    ("sso.client_new", "Đăng ký cổng hoặc hệ thống", "Register a portal or system"),
    ("sso.client_id", "Mã (client_id)", "Client ID"),
    ("sso.client_name", "Tên", "Name"),
    ("sso.client_kind", "Loại", "Kind"),
    ("sso.kind_portal", "Cổng (đăng nhập người dùng)", "Portal (signs people in)"),
    ("sso.kind_system", "Hệ thống (client credentials)", "System (client credentials)"),
    ("sso.client_agency", "Cơ quan (mã)", "Agency (code)"),
    ("sso.client_redirects", "Địa chỉ trả về (mỗi dòng một địa chỉ, khớp chính xác)", "Redirect URIs (one a line, matched exactly)"),
    ("sso.client_logouts", "Địa chỉ sau đăng xuất (mỗi dòng một địa chỉ)", "Post-logout redirect URIs (one a line)"),
    ("sso.client_scopes", "Phạm vi được phép", "Allowed scopes"),
    ("sso.client_level", "Mức độ tài khoản cao nhất được yêu cầu", "Highest assurance level it may ask for"),
    ("sso.client_status", "Trạng thái", "Status"),
    ("sso.client_secret_once", "Mật khẩu của ứng dụng (client_secret) — chỉ hiển thị một lần, hãy lưu lại:", "The client secret — shown once, keep it now:"),
    ("sso.client_disable", "Tạm dừng", "Suspend"),
    ("sso.client_enable", "Cho hoạt động lại", "Resume"),
    ("sso.client_new_secret", "Cấp mật khẩu mới", "Issue a new secret"),
    ("sso.status_active", "Đang hoạt động", "Active"),
    ("sso.status_disabled", "Tạm dừng", "Suspended"),
    ("sso.error_client_id", "Mã gồm 3 đến 64 chữ thường, số, dấu chấm, gạch ngang.", "The ID takes 3 to 64 lower-case letters, digits, dots and hyphens."),
    ("sso.error_name", "Tên từ 2 đến 200 ký tự.", "The name takes 2 to 200 characters."),
    ("sso.error_kind", "Chọn loại.", "Choose the kind."),
    ("sso.error_redirect_uri", "Mỗi địa chỉ phải là https (http chỉ cho localhost), không có phần #.", "Each address must be https (http only for localhost), without a # part."),
    ("sso.error_scopes", "Phạm vi không hợp lệ cho loại này.", "A scope is not valid for this kind."),
    ("sso.error_level", "Mức độ từ 1 đến 4.", "The level is 1 to 4."),
    ("sso.error_agency", "Không có cơ quan nào mang mã này.", "No agency has this code."),
    ("sso.error_taken", "Mã này đã được dùng.", "This ID is taken."),
    ("sso.error_logout_hint", "Yêu cầu đăng xuất không hợp lệ: mã định danh (id_token_hint) không do Cổng cấp hoặc thuộc cổng khác.", "The sign-out request is not valid: its id_token_hint was not issued by the portal or belongs to another portal."),
    ("sso.logout_title", "Đăng xuất", "Sign out"),
    ("sso.logout_confirm", "{client} đề nghị đăng xuất bạn khỏi Cổng Dịch vụ công quốc gia. Bạn có muốn đăng xuất?", "{client} asks to sign you out of the National Public Service Portal. Sign out?"),
    ("sso.logout_confirm_any", "Bạn có muốn đăng xuất khỏi Cổng Dịch vụ công quốc gia?", "Sign out of the National Public Service Portal?"),
    ("sso.logout_button", "Đăng xuất", "Sign out"),
    ("sso.logout_stay", "Không, giữ đăng nhập", "No, stay signed in"),
    ("sso.logout_done", "Bạn đã đăng xuất khỏi Cổng Dịch vụ công quốc gia.", "You are signed out of the National Public Service Portal."),
    ("sso.client_auth", "Cách ứng dụng xác thực khi lấy token", "How the client authenticates for tokens"),
    ("sso.auth_secret", "Mật khẩu ứng dụng (client_secret)", "Client secret"),
    ("sso.auth_private_key_jwt", "Khóa bí mật của ứng dụng (private_key_jwt): dán khóa công khai (JWKS) dưới đây", "Its private key (private_key_jwt): paste its public keys (JWKS) below"),
    ("sso.client_jwks", "Khóa công khai của ứng dụng (JWKS, EC P-256 hoặc RSA ≥ 2048 bit)", "The client's public keys (JWKS, EC P-256 or RSA ≥ 2048 bits)"),
    ("sso.error_jwks", "JWKS không hợp lệ: cần 1 đến 10 khóa công khai EC P-256 hoặc RSA ≥ 2048 bit, không kèm khóa bí mật.", "The JWKS is not valid: 1 to 10 public EC P-256 or RSA ≥ 2048-bit keys, with no private member."),
    ("sso.client_backchannel", "Địa chỉ nhận thông báo đăng xuất (back-channel, tùy chọn)", "Back-channel logout URI (optional)"),
];

pub fn message_tables() -> Vec<&'static [motcua_kernel::i18n::Message]> {
    vec![MESSAGES]
}

/// Removes spent and expired codes and old sign-in records (the worker).
pub struct Purge;

impl motcua_kernel::worker::Periodic for Purge {
    fn name(&self) -> &'static str {
        "sso.purge"
    }

    fn run<'a>(
        &'a self,
        core: &'a motcua_kernel::Core,
        now: Millis,
    ) -> futures::future::BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let mut c = core.store.conn().await.map_err(|e| e.to_string())?;
            store::codes::purge(&mut c, now)
                .await
                .map_err(|e| e.to_string())?;
            store::assertions::purge(&mut c, now)
                .await
                .map_err(|e| e.to_string())?;
            // No session of the portal lives a month.
            store::sessions::purge(&mut c, now - 31 * DAY)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }
}

/// Makes a new signing key when the current one is `key_days` old (the
/// worker, hourly): scheduled rotation, the old key kept published until
/// the tokens it signed have expired.
pub struct Rotate(pub Config);

impl motcua_kernel::worker::Periodic for Rotate {
    fn name(&self) -> &'static str {
        "sso.rotate"
    }

    fn every(&self) -> Millis {
        60 * 60 * SECOND
    }

    fn run<'a>(
        &'a self,
        core: &'a motcua_kernel::Core,
        now: Millis,
    ) -> futures::future::BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            keys::rotate_if_due(core, &self.0, now)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }
}

/// This context's periodic tasks for the worker.
pub fn periodic(cfg: &Config) -> Vec<std::sync::Arc<dyn motcua_kernel::worker::Periodic>> {
    vec![
        std::sync::Arc::new(Purge),
        std::sync::Arc::new(Rotate(cfg.clone())),
    ]
}
