//! The portal's own facts and documents (issue 10, §7): who operates it,
//! its hotline, address and mail (shown in every page's footer, from
//! `[portal]`), the terms of use and the privacy notice (versioned, from
//! files or the bundled texts), and the record of their acceptance when
//! an account is created.
use crate::store::policies;
use motcua_domain::{AccountId, Millis};
use motcua_mail::Locale;
use motcua_store::{AnyConnection, StoreError};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// A text in both languages; an empty one falls back to the other.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Localized {
    pub vi: String,
    pub en: String,
}

impl Localized {
    pub fn new(vi: &str, en: &str) -> Self {
        Self {
            vi: vi.into(),
            en: en.into(),
        }
    }

    pub fn get(&self, locale: Locale) -> &str {
        let (first, other) = match locale {
            Locale::Vi => (&self.vi, &self.en),
            Locale::En => (&self.en, &self.vi),
        };
        if first.trim().is_empty() {
            other
        } else {
            first
        }
    }

    pub fn is_empty(&self) -> bool {
        self.vi.trim().is_empty() && self.en.trim().is_empty()
    }
}

/// `[portal]` in the configuration file.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PortalConfig {
    /// The agency operating the portal (footer).
    pub operator_name: Localized,
    /// Its postal address (footer).
    pub address: Localized,
    /// The help desk's phone number (footer).
    pub hotline: String,
    /// The help desk's mail address (footer).
    pub email: String,
    /// The agency that owns the portal (the contact page).
    pub owner_name: Localized,
    /// The call centre's number (the contact page), if any.
    pub call_centre: String,
    /// Folder with `terms.vi.md`, `terms.en.md`, `privacy.vi.md` and
    /// `privacy.en.md` (or `.html`); unset: the bundled texts.
    pub documents_dir: Option<PathBuf>,
    /// Version of the terms of use (required with `documents_dir`).
    pub terms_version: String,
    /// Version of the privacy notice (required with `documents_dir`).
    pub privacy_version: String,
}

impl PortalConfig {
    /// `motcua demo`: fills what is not configured with demo values.
    pub fn fill_demo(&mut self) {
        if self.operator_name.is_empty() {
            self.operator_name = Localized::new(
                "Trung tâm Vận hành Cổng Dịch vụ công (bản trình diễn)",
                "Public Service Portal Operations Centre (demo)",
            );
        }
        if self.address.is_empty() {
            self.address = Localized::new(
                "Số 1 Phố Trình Diễn, phường Ba Đình, Hà Nội",
                "1 Trinh Dien Street, Ba Dinh Ward, Hanoi",
            );
        }
        if self.hotline.trim().is_empty() {
            self.hotline = "1900 0000".into();
        }
        if self.email.trim().is_empty() {
            self.email = "hotro@demo.motcua.localhost".into();
        }
        if self.owner_name.is_empty() {
            self.owner_name = Localized::new(
                "Văn phòng Chính phủ (bản trình diễn)",
                "Government Office (demo)",
            );
        }
        if self.call_centre.trim().is_empty() {
            self.call_centre = "1900 1111".into();
        }
    }
}

/// The documents a sign-up accepts, in the order they are recorded.
pub const DOCUMENTS: [&str; 2] = ["terms", "privacy"];
/// Version of the bundled texts.
pub const BUNDLED_VERSION: &str = "2026-01-15";

const BUNDLED: [(&str, &str, &str); 4] = [
    ("terms", "vi", include_str!("../policies/terms.vi.md")),
    ("terms", "en", include_str!("../policies/terms.en.md")),
    ("privacy", "vi", include_str!("../policies/privacy.vi.md")),
    ("privacy", "en", include_str!("../policies/privacy.en.md")),
];

/// One document: its version and its HTML in both languages.
#[derive(Debug, Clone)]
pub struct Document {
    pub version: String,
    vi: String,
    en: String,
}

impl Document {
    pub fn html(&self, locale: Locale) -> &str {
        match locale {
            Locale::Vi => &self.vi,
            Locale::En => &self.en,
        }
    }
}

/// What the pages need of `[portal]`, loaded once at start.
#[derive(Debug, Clone)]
pub struct Portal {
    pub operator_name: Localized,
    pub owner_name: Localized,
    pub call_centre: String,
    pub address: Localized,
    pub hotline: String,
    pub email: String,
    pub terms: Document,
    pub privacy: Document,
}

fn check_version(key: &str, v: &str) -> Result<(), String> {
    if v.chars().count() > 40 || v.chars().any(char::is_control) {
        return Err(format!(
            "portal.{key}: at most 40 characters, no control characters"
        ));
    }
    Ok(())
}

impl Portal {
    /// The bundled documents and no contact details.
    pub fn bundled() -> Portal {
        let doc = |name: &str| {
            let text = |lang: &str| {
                BUNDLED
                    .iter()
                    .find(|(n, l, _)| *n == name && *l == lang)
                    .map(|(_, _, t)| markdown(t))
                    .unwrap_or_default()
            };
            Document {
                version: BUNDLED_VERSION.into(),
                vi: text("vi"),
                en: text("en"),
            }
        };
        Portal {
            operator_name: Localized::default(),
            owner_name: Localized::default(),
            call_centre: String::new(),
            address: Localized::default(),
            hotline: String::new(),
            email: String::new(),
            terms: doc("terms"),
            privacy: doc("privacy"),
        }
    }

    /// Reads the documents; an error names the key or file to fix.
    pub fn from_config(cfg: &PortalConfig) -> Result<Portal, String> {
        check_version("terms_version", &cfg.terms_version)?;
        check_version("privacy_version", &cfg.privacy_version)?;
        let mut p = Portal::bundled();
        p.operator_name = cfg.operator_name.clone();
        p.owner_name = cfg.owner_name.clone();
        p.call_centre = cfg.call_centre.trim().to_string();
        p.address = cfg.address.clone();
        p.hotline = cfg.hotline.trim().to_string();
        p.email = cfg.email.trim().to_string();
        if let Some(dir) = &cfg.documents_dir {
            for (key, v) in [
                ("terms_version", &cfg.terms_version),
                ("privacy_version", &cfg.privacy_version),
            ] {
                if v.trim().is_empty() {
                    return Err(format!(
                        "portal.{key}: required when portal.documents_dir is set"
                    ));
                }
            }
            for name in DOCUMENTS {
                for lang in ["vi", "en"] {
                    let md = dir.join(format!("{name}.{lang}.md"));
                    let html = dir.join(format!("{name}.{lang}.html"));
                    let body = match (std::fs::read_to_string(&md), std::fs::read_to_string(&html))
                    {
                        (Ok(t), _) => markdown(&t),
                        // The operator's own HTML, trusted like a template.
                        (Err(_), Ok(t)) => t,
                        (Err(_), Err(_)) => {
                            return Err(format!(
                                "portal.documents_dir: {} (or .html) cannot be read",
                                md.display()
                            ))
                        }
                    };
                    let doc = if name == "terms" {
                        &mut p.terms
                    } else {
                        &mut p.privacy
                    };
                    if lang == "vi" {
                        doc.vi = body;
                    } else {
                        doc.en = body;
                    }
                }
            }
        }
        if !cfg.terms_version.trim().is_empty() {
            p.terms.version = cfg.terms_version.trim().into();
        }
        if !cfg.privacy_version.trim().is_empty() {
            p.privacy.version = cfg.privacy_version.trim().into();
        }
        Ok(p)
    }

    pub fn document(&self, name: &str) -> Option<&Document> {
        match name {
            "terms" => Some(&self.terms),
            "privacy" => Some(&self.privacy),
            _ => None,
        }
    }

    /// The hotline as a `tel:` target (digits and a leading +).
    pub fn hotline_tel(&self) -> String {
        self.hotline
            .chars()
            .enumerate()
            .filter(|(i, c)| c.is_ascii_digit() || (*i == 0 && *c == '+'))
            .map(|(_, c)| c)
            .collect()
    }
}

// ------------------------------------------------------------- acceptance

/// The sign-up forms' checkbox.
pub const ACCEPT_FIELD: &str = "accept_terms";
/// The error when it is not ticked.
pub const ACCEPT_ERROR: &str = "policy.error_accept";

/// Whether the checkbox was ticked.
pub fn accepted(value: Option<&str>) -> bool {
    value == Some("yes")
}

/// How a form shows the checkbox.
#[derive(Debug, Clone, Copy, Default)]
pub struct AcceptView {
    pub checked: bool,
    pub error: bool,
}

/// Records the acceptance of the current terms and privacy notice, for an
/// account or for a sign-up (`pending_ref`) whose account comes later.
pub async fn record(
    c: &mut AnyConnection,
    portal: &Portal,
    account_id: Option<AccountId>,
    pending_ref: Option<&str>,
    ip: &str,
    now: Millis,
) -> Result<(), StoreError> {
    for name in DOCUMENTS {
        let version = portal
            .document(name)
            .map(|d| d.version.as_str())
            .unwrap_or_default();
        policies::record(c, account_id, pending_ref, name, version, ip, now).await?;
    }
    Ok(())
}

/// Gives a sign-up's acceptances to the account it created.
pub async fn claim(
    c: &mut AnyConnection,
    pending_ref: &str,
    account_id: AccountId,
) -> Result<u64, StoreError> {
    policies::claim(c, pending_ref, account_id).await
}

/// The documents (`terms`, `privacy`) whose current version the account
/// has not accepted although it accepted an earlier one: a new version is
/// asked for at the next page that needs a ready account (issue #11 §4).
/// An account that never accepted any (made by an operator or the command
/// line) is not asked.
pub async fn outdated(
    c: &mut AnyConnection,
    portal: &Portal,
    account_id: AccountId,
) -> Result<Vec<&'static str>, StoreError> {
    let all = policies::for_account(c, account_id).await?;
    Ok(DOCUMENTS
        .into_iter()
        .filter(|name| {
            let current = portal
                .document(name)
                .map(|d| d.version.as_str())
                .unwrap_or_default();
            let of_doc: Vec<_> = all.iter().filter(|a| a.document == *name).collect();
            !of_doc.is_empty() && !of_doc.iter().any(|a| a.version == current)
        })
        .collect())
}

/// [`outdated`] for the account, on its own connection.
pub async fn to_accept(
    state: &crate::IdentityContext,
    account_id: AccountId,
) -> Result<Vec<&'static str>, StoreError> {
    let mut c = state.store.conn().await?;
    outdated(&mut c, &state.portal, account_id).await
}

/// Records that the account accepts the current terms and privacy notice
/// (after a new version), audited.
pub async fn renew(
    state: &crate::IdentityContext,
    origin: &motcua_kernel::service::Origin,
    account_id: AccountId,
) -> Result<(), motcua_kernel::ServiceError> {
    let now = state.now();
    let mut tx = state.store.begin().await?;
    record(
        &mut tx,
        &state.portal,
        Some(account_id),
        None,
        &origin.audit.ip,
        now,
    )
    .await?;
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "policy.accept",
        &format!("account:{account_id}"),
        &serde_json::json!({ "terms": state.portal.terms.version, "privacy": state.portal.privacy.version }).to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------- Markdown

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `**bold**` and `[text](url)` (http, https, mailto, tel or a local
/// path); everything else is escaped text.
fn inline(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("**") {
            if let Some(end) = after.find("**") {
                out.push_str("<strong>");
                out.push_str(&inline(&after[..end]));
                out.push_str("</strong>");
                rest = &after[end + 2..];
                continue;
            }
        }
        if let Some(after) = rest.strip_prefix('[') {
            if let Some((text, tail)) = after.split_once("](") {
                if let Some((url, tail)) = tail.split_once(')') {
                    let safe = ["http://", "https://", "mailto:", "tel:"]
                        .iter()
                        .any(|p| url.starts_with(p))
                        || (url.starts_with('/') && !url.starts_with("//"));
                    if safe && !text.contains('[') {
                        out.push_str(&format!("<a href=\"{}\">{}</a>", escape(url), inline(text)));
                        rest = tail;
                        continue;
                    }
                }
            }
        }
        let ch = rest.chars().next().unwrap_or(' ');
        out.push_str(&escape(&ch.to_string()));
        rest = &rest[ch.len_utf8()..];
    }
    out
}

/// A small, safe Markdown subset for the documents: `#`–`###` headings,
/// paragraphs, `-`/`*` and `1.` lists, bold and links. Raw HTML is shown
/// as text.
pub fn markdown(text: &str) -> String {
    let mut out = String::new();
    let mut para: Vec<&str> = Vec::new();
    let mut list: Option<&str> = None;
    let flush_para = |out: &mut String, para: &mut Vec<&str>| {
        if !para.is_empty() {
            out.push_str(&format!("<p>{}</p>\n", inline(&para.join(" "))));
            para.clear();
        }
    };
    let close_list = |out: &mut String, list: &mut Option<&str>| {
        if let Some(tag) = list.take() {
            out.push_str(&format!("</{tag}>\n"));
        }
    };
    for line in text.lines() {
        let t = line.trim();
        let heading = t
            .strip_prefix("### ")
            .map(|h| ("h4", h))
            .or_else(|| t.strip_prefix("## ").map(|h| ("h3", h)))
            .or_else(|| t.strip_prefix("# ").map(|h| ("h2", h)));
        let bullet = t.strip_prefix("- ").or_else(|| t.strip_prefix("* "));
        let numbered = t
            .split_once(". ")
            .filter(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
            .map(|(_, item)| item);
        if t.is_empty() {
            flush_para(&mut out, &mut para);
            close_list(&mut out, &mut list);
        } else if let Some((tag, h)) = heading {
            flush_para(&mut out, &mut para);
            close_list(&mut out, &mut list);
            out.push_str(&format!("<{tag}>{}</{tag}>\n", inline(h)));
        } else if let Some((tag, item)) = bullet
            .map(|i| ("ul", i))
            .or_else(|| numbered.map(|i| ("ol", i)))
        {
            flush_para(&mut out, &mut para);
            if list != Some(tag) {
                close_list(&mut out, &mut list);
                out.push_str(&format!("<{tag}>\n"));
                list = Some(tag);
            }
            out.push_str(&format!("<li>{}</li>\n", inline(item)));
        } else {
            close_list(&mut out, &mut list);
            para.push(t);
        }
    }
    flush_para(&mut out, &mut para);
    close_list(&mut out, &mut list);
    out
}

pub const MESSAGES: &[motcua_kernel::i18n::Message] = &[
    ("policy.terms.title", "Điều khoản sử dụng", "Terms of use"),
    ("policy.privacy.title", "Thông báo xử lý dữ liệu cá nhân", "Privacy notice"),
    ("policy.version", "Phiên bản", "Version"),
    ("policy.version_word", "phiên bản", "version"),
    ("policy.other", "Xem thêm", "See also"),
    ("policy.accept.before", "Tôi đồng ý với", "I accept the"),
    ("policy.accept.terms_link", "Điều khoản sử dụng", "terms of use"),
    ("policy.accept.and", "và đã đọc", "and have read the"),
    ("policy.accept.privacy_link", "Thông báo xử lý dữ liệu cá nhân", "privacy notice"),
    ("policy.accept.hint", "Các văn bản mở trong thẻ mới; những gì bạn đã nhập vẫn giữ nguyên.", "The documents open in a new tab; what you typed stays here."),
    (ACCEPT_ERROR, "Hãy đánh dấu ô đồng ý với Điều khoản sử dụng và xác nhận đã đọc Thông báo xử lý dữ liệu cá nhân để tạo tài khoản.", "Tick the box to accept the terms of use and confirm you have read the privacy notice: an account cannot be created without it."),
    ("policy.renew.title", "Điều khoản đã được cập nhật", "The terms have been updated"),
    ("policy.renew.lead", "Cổng đã ban hành phiên bản mới của các văn bản dưới đây. Hãy đọc và đồng ý để tiếp tục sử dụng tài khoản.", "The portal has issued new versions of the documents below. Read them and accept to go on using your account."),
    ("policy.renew.accept", "Đồng ý và tiếp tục", "Accept and continue"),
    ("footer.operator_label", "Cơ quan vận hành", "Operated by"),
    ("footer.address_label", "Địa chỉ", "Address"),
    ("footer.hotline_label", "Đường dây nóng", "Hotline"),
    ("footer.email_label", "Thư điện tử", "Email"),
    ("token.download.size", "Kích thước", "Size"),
    ("token.download.sha256", "SHA-256", "SHA-256"),
    ("token.download.check", "Kiểm tra tệp đã tải trước khi cài: lệnh sha256sum (Linux), shasum -a 256 (macOS) hoặc Get-FileHash (Windows) phải cho đúng giá trị SHA-256 ở trên.", "Check the file before installing it: sha256sum (Linux), shasum -a 256 (macOS) or Get-FileHash (Windows) must print the SHA-256 shown above."),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_subset_is_escaped_and_structured() {
        let html = markdown(
            "# Title\n\nA **bold** [link](/privacy) and <script>x</script>.\n\n- one\n- two\n\n1. first\n2. second\n[bad](javascript:alert(1))",
        );
        assert!(html.contains("<h2>Title</h2>"), "{html}");
        assert!(html.contains("<strong>bold</strong>"), "{html}");
        assert!(html.contains("<a href=\"/privacy\">link</a>"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(
            html.contains("<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
            "{html}"
        );
        assert!(html.contains("<ol>\n<li>first</li>"), "{html}");
        assert!(!html.contains("href=\"javascript"), "{html}");
    }

    #[test]
    fn documents_dir_needs_versions_and_files() {
        let dir = std::env::temp_dir().join(format!("motcua-policies-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let mut cfg = PortalConfig {
            documents_dir: Some(dir.clone()),
            ..Default::default()
        };
        let e = Portal::from_config(&cfg).err().unwrap_or_default();
        assert!(e.contains("terms_version"), "{e}");
        cfg.terms_version = "3.0".into();
        cfg.privacy_version = "2.1".into();
        let e = Portal::from_config(&cfg).err().unwrap_or_default();
        assert!(e.contains("terms.vi.md"), "{e}");
        for (n, l) in [
            ("terms", "vi"),
            ("terms", "en"),
            ("privacy", "vi"),
            ("privacy", "en"),
        ] {
            let _ = std::fs::write(dir.join(format!("{n}.{l}.md")), format!("# {n} {l}"));
        }
        let p = Portal::from_config(&cfg).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.terms.version, "3.0");
        assert!(p.privacy.html(Locale::En).contains("privacy en"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn bundled_documents_exist_in_both_languages() {
        let p = Portal::bundled();
        for d in [&p.terms, &p.privacy] {
            assert_eq!(d.version, BUNDLED_VERSION);
            assert!(d.html(Locale::Vi).contains("<h2>"));
            assert!(d.html(Locale::En).contains("<h2>"));
        }
        assert_eq!(
            Portal {
                hotline: "+84 1900-1234".into(),
                ..Portal::bundled()
            }
            .hotline_tel(),
            "+8419001234"
        );
    }
}
