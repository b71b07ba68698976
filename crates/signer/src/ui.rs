//! The popup pages on the signer's own origin: the certificate choice and
//! PIN form, the messages, and the closing page. Vietnamese by default,
//! English on request. No outside resources, no script except the one
//! `window.close()` allowed by its hash.

use crate::challenge::Purpose;
use crate::token::{Token, TokenCert};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use time::OffsetDateTime;

/// The page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Vietnamese (the default).
    Vi,
    /// English.
    En,
}

impl Lang {
    /// `vi` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// An explicit `lang` parameter wins; otherwise the best of vi/en in
    /// `Accept-Language`; otherwise Vietnamese.
    pub fn choose(param: Option<&str>, accept_language: Option<&str>) -> Lang {
        match param {
            Some("en") => return Lang::En,
            Some("vi") => return Lang::Vi,
            _ => {}
        }
        let mut best: Option<(f32, Lang)> = None;
        for part in accept_language.unwrap_or("").split(',') {
            let mut it = part.split(';');
            let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = it
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            let lang = match primary {
                "vi" => Lang::Vi,
                "en" => Lang::En,
                _ => continue,
            };
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::Vi, |(_, l)| l)
    }
}

/// A message shown above the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// The module could not be loaded.
    NoModule,
    /// No token inserted.
    NoToken,
    /// No usable certificate on the tokens.
    NoCertificate,
    /// Wrong PIN, try again.
    WrongPin,
    /// The PIN field was empty.
    EmptyPin,
    /// The PIN is locked.
    PinLocked,
    /// The token failed.
    TokenError,
    /// Another submission of this request is being processed.
    Busy,
}

struct T {
    title: &'static str,
    asks: &'static str,
    for_purpose: &'static str,
    only_if: &'static str,
    choose_cert: &'static str,
    org: &'static str,
    issuer: &'static str,
    valid: &'static str,
    from: &'static str,
    to: &'static str,
    expired: &'static str,
    fingerprint: &'static str,
    token: &'static str,
    pin: &'static str,
    pin_help: &'static str,
    sign: &'static str,
    cancel: &'static str,
    retry: &'static str,
    signed_title: &'static str,
    signed_text: &'static str,
    cancelled_title: &'static str,
    cancelled_text: &'static str,
    error_title: &'static str,
    can_close: &'static str,
    not_found_title: &'static str,
    not_found_text: &'static str,
    forbidden_title: &'static str,
    forbidden_text: &'static str,
    other_lang: &'static str,
}

const VI: T = T {
    title: "Ký số bằng USB token",
    asks: "Trang",
    for_purpose: "yêu cầu chữ ký số của bạn để:",
    only_if: "Chỉ tiếp tục nếu chính bạn vừa thao tác trên trang này. Mã PIN chỉ được dùng trong chương trình ký trên máy của bạn, không được gửi đến trang web.",
    choose_cert: "Chọn chứng thư số",
    org: "Tổ chức",
    issuer: "Cấp bởi",
    valid: "Hiệu lực",
    from: "từ",
    to: "đến",
    expired: "đã hết hạn",
    fingerprint: "Dấu vân tay SHA-256",
    token: "Token",
    pin: "Mã PIN của token",
    pin_help: "Nhập sai nhiều lần sẽ khóa token.",
    sign: "Ký",
    cancel: "Hủy",
    retry: "Thử lại",
    signed_title: "Đã ký",
    signed_text: "Chữ ký đã được gửi cho trang",
    cancelled_title: "Đã hủy",
    cancelled_text: "Bạn đã hủy yêu cầu ký của trang",
    error_title: "Không ký được",
    can_close: "Bạn có thể đóng cửa sổ này.",
    not_found_title: "Không tìm thấy yêu cầu",
    not_found_text: "Yêu cầu ký không tồn tại hoặc đã hết hạn. Hãy quay lại trang web và thử lại.",
    forbidden_title: "Yêu cầu bị từ chối",
    forbidden_text: "Biểu mẫu này chỉ được gửi từ chính cửa sổ của chương trình ký.",
    other_lang: "English",
};

const EN: T = T {
    title: "Sign with your USB token",
    asks: "The site",
    for_purpose: "asks for your digital signature to:",
    only_if: "Continue only if you have just used this site yourself. Your PIN is used only by the signing program on this computer and is never sent to the site.",
    choose_cert: "Choose a certificate",
    org: "Organisation",
    issuer: "Issued by",
    valid: "Valid",
    from: "from",
    to: "to",
    expired: "expired",
    fingerprint: "SHA-256 fingerprint",
    token: "Token",
    pin: "Token PIN",
    pin_help: "Too many wrong PINs lock the token.",
    sign: "Sign",
    cancel: "Cancel",
    retry: "Try again",
    signed_title: "Signed",
    signed_text: "The signature was sent to",
    cancelled_title: "Cancelled",
    cancelled_text: "You cancelled the signing request of",
    error_title: "Could not sign",
    can_close: "You can close this window.",
    not_found_title: "Request not found",
    not_found_text: "This signing request does not exist or has expired. Go back to the site and try again.",
    forbidden_title: "Request refused",
    forbidden_text: "This form may only be sent from the signing program's own window.",
    other_lang: "Tiếng Việt",
};

fn t(lang: Lang) -> &'static T {
    match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    }
}

/// The purpose in words.
pub fn purpose_words(p: Purpose, lang: Lang) -> &'static str {
    match (p, lang) {
        (Purpose::Register, Lang::Vi) => "Đăng ký tài khoản",
        (Purpose::Login, Lang::Vi) => "Đăng nhập",
        (Purpose::StepUp, Lang::Vi) => "Xác thực bổ sung để dùng dịch vụ cần mức bảo đảm cao hơn",
        (Purpose::Register, Lang::En) => "Register an account",
        (Purpose::Login, Lang::En) => "Log in",
        (Purpose::StepUp, Lang::En) => {
            "Confirm your identity for a service that needs a higher assurance level"
        }
        (Purpose::Sign, Lang::Vi) => "Ký số hồ sơ nộp trực tuyến",
        (Purpose::Sign, Lang::En) => "Sign a dossier submitted online",
    }
}

fn notice_text(n: Notice, lang: Lang) -> &'static str {
    match (n, lang) {
        (Notice::NoModule, Lang::Vi) => "Không tải được trình điều khiển (PKCS#11) của token. Hãy cài lại phần mềm đi kèm token rồi bấm “Thử lại”.",
        (Notice::NoModule, Lang::En) => "The token driver (PKCS#11 module) could not be loaded. Reinstall the software that came with your token, then press “Try again”.",
        (Notice::NoToken, Lang::Vi) => "Chưa cắm USB token. Hãy cắm token vào máy rồi bấm “Thử lại”.",
        (Notice::NoToken, Lang::En) => "No USB token is inserted. Insert your token, then press “Try again”.",
        (Notice::NoCertificate, Lang::Vi) => "Token không chứa chứng thư số nào dùng được để ký.",
        (Notice::NoCertificate, Lang::En) => "The token holds no certificate that can be used to sign.",
        (Notice::WrongPin, Lang::Vi) => "Mã PIN không đúng. Hãy nhập lại. Nhập sai nhiều lần sẽ khóa token.",
        (Notice::WrongPin, Lang::En) => "Wrong PIN. Please try again. Too many wrong PINs lock the token.",
        (Notice::EmptyPin, Lang::Vi) => "Hãy nhập mã PIN của token.",
        (Notice::EmptyPin, Lang::En) => "Please enter the token PIN.",
        (Notice::PinLocked, Lang::Vi) => "Mã PIN của token đã bị khóa do nhập sai quá nhiều lần. Hãy liên hệ nhà cung cấp chứng thư số để mở khóa.",
        (Notice::PinLocked, Lang::En) => "The token PIN is locked after too many wrong attempts. Contact your certificate provider to unlock it.",
        (Notice::TokenError, Lang::Vi) => "Token báo lỗi khi ký. Hãy rút token ra, cắm lại và thử lại từ trang web.",
        (Notice::TokenError, Lang::En) => "The token reported an error while signing. Remove and reinsert it, then try again from the site.",
        (Notice::Busy, Lang::Vi) => "Yêu cầu đang được xử lý. Hãy chờ trong giây lát.",
        (Notice::Busy, Lang::En) => "The request is being processed. Please wait a moment.",
    }
}

/// HTML-escapes text for element content and quoted attributes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
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

/// The only script the signer serves: closes the popup after signing or
/// cancelling.
pub const CLOSE_SCRIPT: &str = "window.close();";

/// The CSP source for [`CLOSE_SCRIPT`].
pub fn close_script_hash() -> String {
    format!("'sha256-{}'", STANDARD.encode(Sha256::digest(CLOSE_SCRIPT)))
}

/// The `Content-Security-Policy` of every page.
pub fn csp() -> String {
    format!(
        "default-src 'none'; style-src 'unsafe-inline'; script-src {}; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'",
        close_script_hash()
    )
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;\
margin:0;background:#f4f6f8;color:#1b1f24;line-height:1.45}\
main{max-width:40rem;margin:0 auto;padding:1rem 1.25rem 2rem;background:#fff;min-height:100vh}\
h1{font-size:1.35rem;margin:.5rem 0 1rem;color:#8b0000}\
.req{font-size:1.05rem}.origin{font-family:ui-monospace,monospace;word-break:break-all}\
.hint{color:#3d4650;font-size:.92rem}\
.msg{border-left:4px solid #b00020;background:#fdecee;padding:.6rem .8rem;margin:1rem 0}\
fieldset{border:1px solid #c9d1d9;border-radius:6px;margin:1rem 0;padding:.5rem .75rem}\
legend{font-weight:600;padding:0 .3rem}\
.cert{display:flex;gap:.6rem;align-items:flex-start;padding:.5rem 0;border-top:1px solid #eef1f4}\
.cert:first-of-type{border-top:0}.cert input{margin-top:.3rem;width:1.1rem;height:1.1rem}\
.cert label{display:block}.cert .d{display:block;font-size:.9rem;color:#3d4650}\
.fp{font-family:ui-monospace,monospace;font-size:.78rem;word-break:break-all}\
.pin label{display:block;font-weight:600;margin-bottom:.25rem}\
.pin input{font-size:1.1rem;padding:.4rem .5rem;width:100%;max-width:16rem;box-sizing:border-box}\
.pin .d{display:block;margin-top:.25rem;font-size:.85rem;color:#3d4650}\
.actions{display:flex;gap:.75rem;margin-top:1rem;flex-wrap:wrap}\
button,.button{font-size:1rem;padding:.55rem 1.3rem;border-radius:6px;border:1px solid #8b0000;cursor:pointer;text-decoration:none}\
#sign{background:#8b0000;color:#fff}#cancel,.button{background:#fff;color:#8b0000}\
button:focus-visible,.button:focus-visible,input:focus-visible{outline:3px solid #1a5fb4;outline-offset:2px}\
.lang{float:right;font-size:.9rem}";

fn page(lang: Lang, title: &str, body: &str, close: bool) -> String {
    let script = if close {
        format!("<script>{CLOSE_SCRIPT}</script>")
    } else {
        String::new()
    };
    format!(
        "<!doctype html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta name=\"referrer\" content=\"same-origin\">\n<title>{} – motcua-signer</title>\n\
<style>{STYLE}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n{script}\n</body>\n</html>\n",
        lang.code(),
        esc(title),
    )
}

/// What the request page needs to know.
#[derive(Debug)]
pub struct RequestView<'a> {
    /// The request id.
    pub id: &'a str,
    /// The per-request secret `t`.
    pub secret: &'a str,
    /// The portal origin, from the challenge.
    pub origin: &'a str,
    /// The purpose, from the challenge.
    pub purpose: Purpose,
    /// The document's digest, for a document signature.
    pub digest: Option<&'a str>,
}

fn header(v: &RequestView<'_>, lang: Lang) -> String {
    let tr = t(lang);
    let other = match lang {
        Lang::Vi => "en",
        Lang::En => "vi",
    };
    let other_lang_code = other;
    format!(
        "<a class=\"lang\" href=\"/ui/{id}?t={secret}&amp;lang={other}\" lang=\"{other_lang_code}\">{other_name}</a>\n\
<h1>{title}</h1>\n\
<p class=\"req\">{asks} <strong class=\"origin\">{origin}</strong> {for_purpose} <strong>{purpose}</strong></p>\n\
{digest}<p class=\"hint\">{only_if}</p>",
        id = esc(v.id),
        secret = esc(v.secret),
        other_name = tr.other_lang,
        title = tr.title,
        asks = tr.asks,
        origin = esc(v.origin),
        for_purpose = tr.for_purpose,
        purpose = purpose_words(v.purpose, lang),
        digest = v.digest.map_or(String::new(), |d| format!(
            "<p class=\"req\">{} <code id=\"digest\">{}</code></p>\n",
            match lang {
                Lang::Vi => "Mã băm (SHA-256) của hồ sơ, trùng với mã trên trang Cổng:",
                Lang::En => "The dossier's digest (SHA-256), as the portal's page shows it:",
            },
            esc(d)
        )),
        only_if = tr.only_if,
    )
}

fn fmt_date(t: OffsetDateTime, lang: Lang) -> String {
    match lang {
        Lang::Vi => format!("{:02}/{:02}/{}", t.day(), u8::from(t.month()), t.year()),
        Lang::En => format!("{}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day()),
    }
}

fn cert_item(
    out: &mut String,
    n: usize,
    token: &Token,
    c: &TokenCert,
    checked: bool,
    now: OffsetDateTime,
    lang: Lang,
) {
    let tr = t(lang);
    let i = &c.info;
    let name = i
        .subject_cn
        .clone()
        .or_else(|| i.subject_o.clone())
        .unwrap_or_else(|| i.subject.clone());
    let _ = write!(
        out,
        "<div class=\"cert\"><input type=\"radio\" name=\"cert\" value=\"{fp}\" id=\"cert-{n}\"{checked}>\
<label for=\"cert-{n}\"><strong>{name}</strong><span class=\"d\">",
        fp = esc(&i.fingerprint),
        checked = if checked { " checked" } else { "" },
        name = esc(&name),
    );
    if let Some(o) = &i.subject_o {
        if Some(o) != i.subject_cn.as_ref() {
            let _ = write!(out, "{}: {}<br>", tr.org, esc(o));
        }
    }
    let issuer = i.issuer_cn.as_deref().unwrap_or(&i.issuer);
    let _ = write!(out, "{}: {}<br>", tr.issuer, esc(issuer));
    let _ = write!(
        out,
        "{}: {} {} {} {}",
        tr.valid,
        tr.from,
        fmt_date(i.not_before, lang),
        tr.to,
        fmt_date(i.not_after, lang)
    );
    if i.not_after < now {
        let _ = write!(out, " <strong>({})</strong>", tr.expired);
    }
    let _ = writeln!(
        out,
        "<br>{}: {}<br>{}: <span class=\"fp\">{}</span></span></label></div>",
        tr.token,
        esc(&token.label),
        tr.fingerprint,
        esc(&i.fingerprint_colons())
    );
}

/// The request page. With `tokens = None` the module could not be loaded.
pub fn request_page(
    v: &RequestView<'_>,
    tokens: Option<&[Token]>,
    notice: Option<Notice>,
    selected: Option<&str>,
    now: OffsetDateTime,
    lang: Lang,
) -> String {
    let tr = t(lang);
    let mut body = header(v, lang);
    let certs: Vec<(&Token, &TokenCert)> = tokens
        .unwrap_or(&[])
        .iter()
        .flat_map(|tok| tok.signing_certs().map(move |c| (tok, c)))
        .collect();
    // What is wrong with the tokens wins over what the last attempt said.
    let notice = match tokens {
        None => Some(Notice::NoModule),
        Some([]) => Some(Notice::NoToken),
        Some(_) if certs.is_empty() => Some(Notice::NoCertificate),
        _ => notice,
    };
    if let Some(n) = notice {
        let _ = write!(
            body,
            "\n<div class=\"msg\" role=\"alert\" id=\"notice\" data-notice=\"{}\">{}</div>",
            notice_code(n),
            notice_text(n, lang)
        );
    }
    let hidden = format!(
        "<input type=\"hidden\" name=\"t\" value=\"{}\">\n<input type=\"hidden\" name=\"lang\" value=\"{}\">",
        esc(v.secret),
        lang.code()
    );
    let action = format!("/ui/{}", esc(v.id));
    if certs.is_empty() {
        let _ = write!(
            body,
            "\n<form method=\"post\" action=\"{action}\">\n{hidden}\n<div class=\"actions\">\
<a class=\"button\" id=\"retry\" href=\"/ui/{id}?t={secret}&amp;lang={lang}\">{retry}</a>\
<button type=\"submit\" id=\"cancel\" name=\"action\" value=\"cancel\">{cancel}</button></div>\n</form>",
            id = esc(v.id),
            secret = esc(v.secret),
            lang = lang.code(),
            retry = tr.retry,
            cancel = tr.cancel,
        );
        return page(lang, tr.title, &body, false);
    }
    let selected_index = selected
        .and_then(|fp| certs.iter().position(|(_, c)| c.info.fingerprint == fp))
        .unwrap_or(0);
    let _ = write!(
        body,
        "\n<form method=\"post\" action=\"{action}\" autocomplete=\"off\">\n{hidden}\n<fieldset>\n<legend>{}</legend>\n",
        tr.choose_cert
    );
    for (n, (tok, c)) in certs.iter().enumerate() {
        cert_item(&mut body, n + 1, tok, c, n == selected_index, now, lang);
    }
    let invalid = matches!(notice, Some(Notice::WrongPin | Notice::EmptyPin));
    let _ = write!(
        body,
        "</fieldset>\n<p class=\"pin\"><label for=\"pin\">{pin}</label>\
<input type=\"password\" id=\"pin\" name=\"pin\" autocomplete=\"off\" required autofocus \
aria-describedby=\"pin-d\"{invalid}><span class=\"d\" id=\"pin-d\">{help}</span></p>\n\
<div class=\"actions\"><button type=\"submit\" id=\"sign\" name=\"action\" value=\"sign\">{sign}</button>\
<button type=\"submit\" id=\"cancel\" name=\"action\" value=\"cancel\" formnovalidate>{cancel}</button></div>\n</form>",
        pin = tr.pin,
        invalid = if invalid { " aria-invalid=\"true\"" } else { "" },
        help = tr.pin_help,
        sign = tr.sign,
        cancel = tr.cancel,
    );
    page(lang, tr.title, &body, false)
}

fn notice_code(n: Notice) -> &'static str {
    match n {
        Notice::NoModule => "no_module",
        Notice::NoToken => "no_token",
        Notice::NoCertificate => "no_certificate",
        Notice::WrongPin => "wrong_pin",
        Notice::EmptyPin => "empty_pin",
        Notice::PinLocked => "pin_locked",
        Notice::TokenError => "token_error",
        Notice::Busy => "busy",
    }
}

/// How a request ended, for the closing page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Signed.
    Signed,
    /// Cancelled by the user.
    Cancelled,
    /// Failed for good (PIN locked, token error).
    Failed(Notice),
}

/// The page after the request ended. Signed and cancelled pages try to
/// close the popup; a failure stays open so the user can read why.
pub fn done_page(origin: &str, outcome: Outcome, lang: Lang) -> String {
    let tr = t(lang);
    let (title, text, close, state) = match outcome {
        Outcome::Signed => (
            tr.signed_title,
            format!(
                "{} <strong class=\"origin\">{}</strong>.",
                tr.signed_text,
                esc(origin)
            ),
            true,
            "done",
        ),
        Outcome::Cancelled => (
            tr.cancelled_title,
            format!(
                "{} <strong class=\"origin\">{}</strong>.",
                tr.cancelled_text,
                esc(origin)
            ),
            true,
            "cancelled",
        ),
        Outcome::Failed(n) => (
            tr.error_title,
            format!(
                "<span class=\"msg\" role=\"alert\" id=\"notice\" data-notice=\"{}\">{}</span>",
                notice_code(n),
                notice_text(n, lang)
            ),
            false,
            "error",
        ),
    };
    let body = format!(
        "<h1 id=\"done\" data-state=\"{state}\">{title}</h1>\n<p>{text}</p>\n<p>{}</p>",
        tr.can_close
    );
    page(lang, title, &body, close)
}

/// The page for an unknown or expired request, or a wrong secret.
pub fn not_found_page(lang: Lang) -> String {
    let tr = t(lang);
    let body = format!(
        "<h1>{}</h1>\n<p>{}</p>",
        tr.not_found_title, tr.not_found_text
    );
    page(lang, tr.not_found_title, &body, false)
}

/// The page for a second submission while the token is still working.
pub fn busy_page(lang: Lang) -> String {
    let tr = t(lang);
    let body = format!(
        "<h1>{}</h1>\n<p role=\"status\">{}</p>",
        tr.title,
        notice_text(Notice::Busy, lang)
    );
    page(lang, tr.title, &body, false)
}

/// The page for a form post from another origin.
pub fn forbidden_page(lang: Lang) -> String {
    let tr = t(lang);
    let body = format!(
        "<h1>{}</h1>\n<p>{}</p>",
        tr.forbidden_title, tr.forbidden_text
    );
    page(lang, tr.forbidden_title, &body, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_choice() {
        assert_eq!(Lang::choose(None, None), Lang::Vi);
        assert_eq!(Lang::choose(Some("en"), Some("vi")), Lang::En);
        assert_eq!(Lang::choose(Some("xx"), Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(
            Lang::choose(None, Some("fr-FR, en;q=0.5, vi;q=0.8")),
            Lang::Vi
        );
        assert_eq!(
            Lang::choose(None, Some("fr-FR, vi;q=0.3, en;q=0.5")),
            Lang::En
        );
        assert_eq!(Lang::choose(None, Some("de")), Lang::Vi);
        assert_eq!(Lang::choose(None, Some("en;q=0")), Lang::Vi);
    }

    #[test]
    fn escaping() {
        assert_eq!(
            esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn the_close_script_hash_is_in_the_csp() {
        // echo -n 'window.close();' | openssl dgst -sha256 -binary | base64
        assert_eq!(
            close_script_hash(),
            "'sha256-Wn5wULmWNAS84lRO4JMQ9jE/kYWz1ADWjWy4z2jjosA='"
        );
        let csp = csp();
        assert!(csp.contains(&close_script_hash()));
        assert!(!csp.contains("unsafe-eval"));
        let p = done_page("https://portal.example", Outcome::Signed, Lang::Vi);
        assert!(p.contains("<script>window.close();</script>"));
        let p = done_page(
            "https://portal.example",
            Outcome::Failed(Notice::PinLocked),
            Lang::En,
        );
        assert!(!p.contains("<script"));
        assert!(p.contains("locked"));
    }

    #[test]
    fn no_token_page() {
        let v = RequestView {
            id: "abc",
            secret: "s<ecret",
            origin: "https://portal.example",
            purpose: Purpose::StepUp,
            digest: None,
        };
        let now = OffsetDateTime::UNIX_EPOCH;
        let p = request_page(&v, Some(&[]), None, None, now, Lang::Vi);
        assert!(p.contains("<html lang=\"vi\">"));
        assert!(p.contains("Chưa cắm USB token"));
        assert!(p.contains("s&lt;ecret"));
        assert!(!p.contains("id=\"pin\""));
        let p = request_page(&v, None, None, None, now, Lang::En);
        assert!(p.contains("PKCS#11 module"));
        assert!(p.contains(purpose_words(Purpose::StepUp, Lang::En)));
    }
}
