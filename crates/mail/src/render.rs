//! The messages Motcua sends, rendered from askama templates in
//! `crates/mail/templates/` (`NAME.LOCALE.html` and `NAME.LOCALE.txt`).
//! HTML parts are escaped by askama; text parts are plain text.

use crate::Locale;

/// A message the portal can send, with the values it shows.
/// Times (`at`, `expires`) are already formatted for the reader.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Template {
    /// link to the confirm page; valid for `minutes`
    PasswordReset {
        full_name: String,
        link: String,
        minutes: i64,
    },
    /// sent after a password change or reset
    PasswordChanged {
        full_name: String,
        at: String,
        report_link: String,
    },
    /// an account created with an initial password (used by later features, e.g. declarant approval)
    InitialPassword {
        full_name: String,
        username: String,
        password: String,
        login_link: String,
        expires: String,
    },
    /// the account was locked (by an operator, by the holder's report, or after failed logins)
    AccountLocked {
        full_name: String,
        reason: String,
        at: String,
    },
    /// an operator lifted the lock (the counterpart of [`Template::AccountLocked`])
    AccountUnlocked {
        full_name: String,
        reason: String,
        at: String,
    },
    /// to operators: a holder reported unauthorized use
    CompromiseReported {
        username: String,
        full_name: String,
        at: String,
        ip: String,
        note: String,
        console_link: String,
    },
    /// A message composed by a feature from its own (already localized)
    /// texts: a heading, paragraphs separated by blank lines, labelled
    /// facts, and an optional button. Never put a password in it: use
    /// [`Template::InitialPassword`].
    Notice {
        full_name: String,
        subject: String,
        heading: String,
        body: String,
        /// `(label, value)` lines, e.g. the reference and the reason.
        facts: Vec<(String, String)>,
        link_label: String,
        link: String,
    },
}

/// Never prints the initial password.
impl std::fmt::Debug for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Template::PasswordReset {
                full_name,
                link: _,
                minutes,
            } => f
                .debug_struct("PasswordReset")
                .field("full_name", full_name)
                .field("link", &"<redacted>")
                .field("minutes", minutes)
                .finish(),
            Template::PasswordChanged {
                full_name,
                at,
                report_link,
            } => f
                .debug_struct("PasswordChanged")
                .field("full_name", full_name)
                .field("at", at)
                .field("report_link", report_link)
                .finish(),
            Template::InitialPassword {
                full_name,
                username,
                password: _,
                login_link,
                expires,
            } => f
                .debug_struct("InitialPassword")
                .field("full_name", full_name)
                .field("username", username)
                .field("password", &"<redacted>")
                .field("login_link", login_link)
                .field("expires", expires)
                .finish(),
            Template::AccountLocked {
                full_name,
                reason,
                at,
            } => f
                .debug_struct("AccountLocked")
                .field("full_name", full_name)
                .field("reason", reason)
                .field("at", at)
                .finish(),
            Template::AccountUnlocked {
                full_name,
                reason,
                at,
            } => f
                .debug_struct("AccountUnlocked")
                .field("full_name", full_name)
                .field("reason", reason)
                .field("at", at)
                .finish(),
            Template::CompromiseReported {
                username,
                full_name,
                at,
                ip,
                note,
                console_link,
            } => f
                .debug_struct("CompromiseReported")
                .field("username", username)
                .field("full_name", full_name)
                .field("at", at)
                .field("ip", ip)
                .field("note", note)
                .field("console_link", console_link)
                .finish(),
            Template::Notice { subject, facts, .. } => f
                .debug_struct("Notice")
                .field("subject", subject)
                .field("facts", &facts.len())
                .finish(),
        }
    }
}

/// A rendered message: subject (prefixed `[Motcua] `), plain text and HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Declares the four askama templates of one message in a module:
/// `ViHtml`, `ViTxt`, `EnHtml`, `EnTxt`, all with a `subject` field and
/// the given string fields.
macro_rules! message_templates {
    ($module:ident, $name:literal, [$vi_html:literal, $vi_txt:literal, $en_html:literal, $en_txt:literal], { $($field:ident),* $(,)? }) => {
        #[doc = concat!("Templates of the `", $name, "` message.")]
        mod $module {
            #[derive(askama::Template)]
            #[template(path = $vi_html)]
            #[allow(dead_code)]
            pub(super) struct ViHtml<'a> { pub subject: &'a str, $(pub $field: &'a str),* }

            #[derive(askama::Template)]
            #[template(path = $vi_txt)]
            #[allow(dead_code)]
            pub(super) struct ViTxt<'a> { pub subject: &'a str, $(pub $field: &'a str),* }

            #[derive(askama::Template)]
            #[template(path = $en_html)]
            #[allow(dead_code)]
            pub(super) struct EnHtml<'a> { pub subject: &'a str, $(pub $field: &'a str),* }

            #[derive(askama::Template)]
            #[template(path = $en_txt)]
            #[allow(dead_code)]
            pub(super) struct EnTxt<'a> { pub subject: &'a str, $(pub $field: &'a str),* }
        }
    };
}

message_templates!(
    password_reset,
    "password_reset",
    [
        "password_reset.vi.html",
        "password_reset.vi.txt",
        "password_reset.en.html",
        "password_reset.en.txt"
    ],
    { full_name, link, href, validity }
);
message_templates!(
    password_changed,
    "password_changed",
    [
        "password_changed.vi.html",
        "password_changed.vi.txt",
        "password_changed.en.html",
        "password_changed.en.txt"
    ],
    { full_name, at, report_link, report_href }
);
message_templates!(
    initial_password,
    "initial_password",
    [
        "initial_password.vi.html",
        "initial_password.vi.txt",
        "initial_password.en.html",
        "initial_password.en.txt"
    ],
    { full_name, username, password, login_link, login_href, expires }
);
message_templates!(
    account_locked,
    "account_locked",
    [
        "account_locked.vi.html",
        "account_locked.vi.txt",
        "account_locked.en.html",
        "account_locked.en.txt"
    ],
    { full_name, reason, at }
);
message_templates!(
    account_unlocked,
    "account_unlocked",
    [
        "account_unlocked.vi.html",
        "account_unlocked.vi.txt",
        "account_unlocked.en.html",
        "account_unlocked.en.txt"
    ],
    { full_name, reason, at }
);
message_templates!(
    compromise_reported,
    "compromise_reported",
    [
        "compromise_reported.vi.html",
        "compromise_reported.vi.txt",
        "compromise_reported.en.html",
        "compromise_reported.en.txt"
    ],
    { username, full_name, at, ip, note, console_link, console_href }
);

/// The generic notice: paragraphs and facts are lists, so it has its own
/// template structs.
mod notice {
    #[derive(askama::Template)]
    #[template(path = "notice.vi.html")]
    #[allow(dead_code)]
    pub(super) struct ViHtml<'a> {
        pub subject: &'a str,
        pub full_name: &'a str,
        pub heading: &'a str,
        pub paragraphs: Vec<&'a str>,
        pub facts: &'a [(String, String)],
        pub link_label: &'a str,
        pub link: &'a str,
        pub href: &'a str,
    }

    #[derive(askama::Template)]
    #[template(path = "notice.vi.txt")]
    #[allow(dead_code)]
    pub(super) struct ViTxt<'a> {
        pub subject: &'a str,
        pub full_name: &'a str,
        pub heading: &'a str,
        pub paragraphs: Vec<&'a str>,
        pub facts: &'a [(String, String)],
        pub link_label: &'a str,
        pub link: &'a str,
        pub href: &'a str,
    }

    #[derive(askama::Template)]
    #[template(path = "notice.en.html")]
    #[allow(dead_code)]
    pub(super) struct EnHtml<'a> {
        pub subject: &'a str,
        pub full_name: &'a str,
        pub heading: &'a str,
        pub paragraphs: Vec<&'a str>,
        pub facts: &'a [(String, String)],
        pub link_label: &'a str,
        pub link: &'a str,
        pub href: &'a str,
    }

    #[derive(askama::Template)]
    #[template(path = "notice.en.txt")]
    #[allow(dead_code)]
    pub(super) struct EnTxt<'a> {
        pub subject: &'a str,
        pub full_name: &'a str,
        pub heading: &'a str,
        pub paragraphs: Vec<&'a str>,
        pub facts: &'a [(String, String)],
        pub link_label: &'a str,
        pub link: &'a str,
        pub href: &'a str,
    }
}

/// Fills the locale's pair of templates of `$module` with the same fields,
/// trimmed.
macro_rules! fill {
    ($module:ident, $locale:expr, $subject:expr, { $($field:ident : $value:expr),* $(,)? }) => {{
        let subject: &str = $subject;
        $(let $field: &str = ($value).trim();)*
        match $locale {
            Locale::Vi => finish(
                subject,
                &$module::ViHtml { subject, $($field),* },
                &$module::ViTxt { subject, $($field),* },
            ),
            Locale::En => finish(
                subject,
                &$module::EnHtml { subject, $($field),* },
                &$module::EnTxt { subject, $($field),* },
            ),
        }
    }};
}

/// Renders a message in the given language.
pub fn render(t: &Template, locale: Locale) -> Rendered {
    let vi = locale == Locale::Vi;
    match t {
        Template::PasswordReset {
            full_name,
            link,
            minutes,
        } => {
            let validity = validity(*minutes, locale);
            fill!(password_reset, locale,
                if vi { "Đặt lại mật khẩu" } else { "Reset your password" }, {
                full_name: full_name,
                link: link,
                href: safe_href(link),
                validity: &validity,
            })
        }
        Template::PasswordChanged {
            full_name,
            at,
            report_link,
        } => fill!(password_changed, locale,
            if vi { "Mật khẩu của bạn đã được thay đổi" } else { "Your password was changed" }, {
            full_name: full_name,
            at: at,
            report_link: report_link,
            report_href: safe_href(report_link),
        }),
        Template::InitialPassword {
            full_name,
            username,
            password,
            login_link,
            expires,
        } => fill!(initial_password, locale,
            if vi { "Thông tin đăng nhập tài khoản của bạn" } else { "Your account sign-in details" }, {
            full_name: full_name,
            username: username,
            password: password,
            login_link: login_link,
            login_href: safe_href(login_link),
            expires: expires,
        }),
        Template::AccountLocked {
            full_name,
            reason,
            at,
        } => fill!(account_locked, locale,
            if vi { "Tài khoản của bạn đã bị khóa" } else { "Your account has been locked" }, {
            full_name: full_name,
            reason: reason,
            at: at,
        }),
        Template::AccountUnlocked {
            full_name,
            reason,
            at,
        } => fill!(account_unlocked, locale,
            if vi { "Tài khoản của bạn đã được mở khóa" } else { "Your account has been unlocked" }, {
            full_name: full_name,
            reason: reason,
            at: at,
        }),
        Template::CompromiseReported {
            username,
            full_name,
            at,
            ip,
            note,
            console_link,
        } => {
            let subject = if vi {
                format!("Báo cáo sử dụng trái phép tài khoản {username}")
            } else {
                format!("Unauthorized use reported for account {username}")
            };
            fill!(compromise_reported, locale, &subject, {
                username: username,
                full_name: full_name,
                at: at,
                ip: ip,
                note: note,
                console_link: console_link,
                console_href: safe_href(console_link),
            })
        }
        Template::Notice {
            full_name,
            subject,
            heading,
            body,
            facts,
            link_label,
            link,
        } => {
            let paragraphs: Vec<&str> = body
                .split("\n\n")
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .collect();
            let href = safe_href(link);
            macro_rules! n {
                ($t:ident) => {
                    notice::$t {
                        subject,
                        full_name: full_name.trim(),
                        heading,
                        paragraphs: paragraphs.clone(),
                        facts,
                        link_label,
                        link,
                        href: &href,
                    }
                };
            }
            match locale {
                Locale::Vi => finish(subject, &n!(ViHtml), &n!(ViTxt)),
                Locale::En => finish(subject, &n!(EnHtml), &n!(EnTxt)),
            }
        }
    }
}

fn finish(
    subject: &str,
    html: &dyn askama::DynTemplate,
    text: &dyn askama::DynTemplate,
) -> Rendered {
    Rendered {
        subject: format!("[Motcua] {}", one_line(subject)),
        text: tidy_text(&run(text)),
        html: run(html),
    }
}

fn run(t: &dyn askama::DynTemplate) -> String {
    // The templates only display strings and numbers, so rendering cannot
    // fail; should it ever, log it rather than bring the caller down.
    t.dyn_render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "mail template failed to render");
        String::new()
    })
}

/// Subjects are one line: control characters (CR, LF, tab…) become spaces.
fn one_line(s: &str) -> String {
    let replaced: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    replaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Trims trailing spaces, keeps at most one blank line in a row, and ends
/// with exactly one newline.
fn tidy_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut blank_run = 0;
    for line in s.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_run > 0 { "\n\n" } else { "\n" });
        }
        blank_run = 0;
        out.push_str(line);
    }
    out.push('\n');
    out
}

/// Only http(s) links become clickable; anything else (say a
/// `javascript:` URL from a misconfiguration) links nowhere.
fn safe_href(link: &str) -> &str {
    let l = link.trim();
    let lower = l.get(..8).unwrap_or(l).to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        l
    } else {
        "#"
    }
}

/// "30 phút", "2 giờ", "1 day"…
fn validity(minutes: i64, locale: Locale) -> String {
    let m = minutes.max(1);
    let (n, unit) = if m % (24 * 60) == 0 {
        (m / (24 * 60), 0)
    } else if m % 60 == 0 {
        (m / 60, 1)
    } else {
        (m, 2)
    };
    match locale {
        Locale::Vi => format!("{n} {}", ["ngày", "giờ", "phút"][unit]),
        Locale::En => {
            let word = ["day", "hour", "minute"][unit];
            if n == 1 {
                format!("1 {word}")
            } else {
                format!("{n} {word}s")
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const XSS: &str = "<script>alert(\"x\")</script>";

    fn all_templates(v: &str) -> Vec<Template> {
        vec![
            Template::PasswordReset {
                full_name: format!("Nguyễn Văn An {v}"),
                link: format!("https://motcua.example.vn/dat-lai-mat-khau?t=abc&x={v}"),
                minutes: 30,
            },
            Template::PasswordChanged {
                full_name: format!("Trần Thị Bích {v}"),
                at: format!("14:05 22/11/2025 {v}"),
                report_link: format!("https://motcua.example.vn/bao-cao?t=def&x={v}"),
            },
            Template::InitialPassword {
                full_name: format!("Lê Hoàng Cường {v}"),
                username: format!("cuong.le{v}"),
                password: format!("Kh0ng-Doan-Duoc{v}"),
                login_link: format!("https://motcua.example.vn/dang-nhap?x={v}"),
                expires: format!("23:59 29/11/2025 {v}"),
            },
            Template::AccountLocked {
                full_name: format!("Phạm Minh Đức {v}"),
                reason: format!("Đăng nhập sai quá nhiều lần {v}"),
                at: format!("08:00 23/11/2025 {v}"),
            },
            Template::AccountUnlocked {
                full_name: format!("Phạm Minh Đức {v}"),
                reason: format!("Đã xác minh lại chủ tài khoản {v}"),
                at: format!("10:00 24/11/2025 {v}"),
            },
            Template::CompromiseReported {
                username: format!("duc.pham{v}"),
                full_name: format!("Phạm Minh Đức {v}"),
                at: format!("09:30 23/11/2025 {v}"),
                ip: format!("203.0.113.7{v}"),
                note: format!("Tôi không đổi mật khẩu {v}"),
                console_link: format!("https://motcua.example.vn/quan-tri/tai-khoan/42?x={v}"),
            },
            Template::Notice {
                full_name: format!("Công ty TNHH Bình Minh {v}"),
                subject: format!("Hồ sơ đăng ký cần bổ sung {v}"),
                heading: format!("Hồ sơ cần bổ sung {v}"),
                body: format!("Đoạn thứ nhất {v}.\n\nĐoạn thứ hai {v}."),
                facts: vec![(format!("Mã hồ sơ {v}"), format!("DK-2026-000001 {v}"))],
                link_label: format!("Sửa hồ sơ {v}"),
                link: format!("https://motcua.example.vn/dang-ky/sua?x={v}"),
            },
        ]
    }

    /// The values a template shows, as given.
    fn values(t: &Template) -> Vec<String> {
        let v = match t.clone() {
            Template::PasswordReset {
                full_name, link, ..
            } => vec![full_name, link],
            Template::PasswordChanged {
                full_name,
                at,
                report_link,
            } => vec![full_name, at, report_link],
            Template::InitialPassword {
                full_name,
                username,
                password,
                login_link,
                expires,
            } => vec![full_name, username, password, login_link, expires],
            Template::AccountLocked {
                full_name,
                reason,
                at,
            } => vec![full_name, reason, at],
            Template::AccountUnlocked {
                full_name,
                reason,
                at,
            } => vec![full_name, reason, at],
            Template::CompromiseReported {
                username,
                full_name,
                at,
                ip,
                note,
                console_link,
            } => vec![username, full_name, at, ip, note, console_link],
            Template::Notice {
                full_name,
                heading,
                body,
                facts,
                link_label,
                link,
                ..
            } => {
                let mut v = vec![full_name, heading, link_label, link];
                v.extend(body.split("\n\n").map(str::to_string));
                for (a, b) in facts {
                    v.push(a);
                    v.push(b);
                }
                v
            }
        };
        v.into_iter().map(|s| s.trim().to_owned()).collect()
    }

    fn html_escape(s: &str) -> String {
        askama::filters::escape(s, askama::filters::Html)
            .unwrap()
            .to_string()
    }

    #[test]
    fn every_message_shows_its_values_in_both_locales() {
        for t in all_templates("") {
            for locale in [Locale::Vi, Locale::En] {
                let r = render(&t, locale);
                assert!(
                    r.subject.starts_with("[Motcua] "),
                    "{t:?} {locale}: {}",
                    r.subject
                );
                assert!(!r.subject.contains('\n'));
                assert!(r.html.starts_with("<!DOCTYPE html>"), "{t:?}");
                assert!(
                    r.html
                        .contains(&format!("<html lang=\"{}\">", locale.as_str())),
                    "{t:?} {locale}"
                );
                assert!(r.text.ends_with('\n') && !r.text.ends_with("\n\n"));
                assert!(!r.text.contains("\n\n\n"), "{}", r.text);
                assert!(!r.text.contains("{{") && !r.html.contains("{{"));
                for v in values(&t) {
                    assert!(
                        r.text.contains(&v),
                        "{t:?} {locale}: text lacks {v:?}\n{}",
                        r.text
                    );
                    assert!(
                        r.html.contains(&html_escape(&v)),
                        "{t:?} {locale}: html lacks {v:?}\n{}",
                        r.html
                    );
                }
                // Who sent it.
                let sender = match locale {
                    Locale::Vi => "Thư này được gửi tự động từ",
                    Locale::En => "This message was sent automatically by",
                };
                assert!(r.text.contains(sender) && r.html.contains(sender), "{t:?}");
            }
        }
    }

    #[test]
    fn values_are_escaped_in_html_only() {
        for t in all_templates(XSS) {
            for locale in [Locale::Vi, Locale::En] {
                let r = render(&t, locale);
                assert!(!r.html.contains("<script"), "{t:?} {locale}:\n{}", r.html);
                assert!(r.html.contains("&#60;script&#62;") || r.html.contains("&lt;script&gt;"));
                assert!(r.text.contains(XSS), "{t:?} {locale}:\n{}", r.text);
            }
        }
    }

    #[test]
    fn vietnamese_password_reset() {
        let t = Template::PasswordReset {
            full_name: "Nguyễn Văn An".into(),
            link: "https://motcua.example.vn/dat-lai-mat-khau?t=abc&u=1".into(),
            minutes: 30,
        };
        let r = render(&t, Locale::Vi);
        assert_eq!(r.subject, "[Motcua] Đặt lại mật khẩu");
        assert!(
            r.text.starts_with("Xin chào Nguyễn Văn An,\n"),
            "{}",
            r.text
        );
        assert!(r.text.contains("có hiệu lực trong 30 phút"));
        assert!(r.text.contains("Nếu bạn không yêu cầu đặt lại mật khẩu"));
        assert!(r.html.contains("Đặt lại mật khẩu</a>"));
        assert!(r
            .html
            .contains("href=\"https://motcua.example.vn/dat-lai-mat-khau?t=abc&#38;u=1\""));
        assert!(r.html.contains("<strong>30 phút</strong>"));
        let en = render(&t, Locale::En);
        assert_eq!(en.subject, "[Motcua] Reset your password");
        assert!(en.text.starts_with("Hello Nguyễn Văn An,\n"));
        assert!(en.text.contains("(valid for 30 minutes)"));
        assert!(en
            .text
            .contains("If you did not ask to reset your password"));
    }

    #[test]
    fn subjects() {
        let [reset, changed, initial, locked, unlocked, reported, notice] =
            all_templates("").try_into().unwrap();
        assert_eq!(
            render(&unlocked, Locale::Vi).subject,
            "[Motcua] Tài khoản của bạn đã được mở khóa"
        );
        assert_eq!(
            render(&notice, Locale::Vi).subject,
            "[Motcua] Hồ sơ đăng ký cần bổ sung"
        );
        let s = |t: &Template, l| render(t, l).subject;
        assert_eq!(s(&reset, Locale::En), "[Motcua] Reset your password");
        assert_eq!(
            s(&changed, Locale::Vi),
            "[Motcua] Mật khẩu của bạn đã được thay đổi"
        );
        assert_eq!(
            s(&changed, Locale::En),
            "[Motcua] Your password was changed"
        );
        assert_eq!(
            s(&initial, Locale::Vi),
            "[Motcua] Thông tin đăng nhập tài khoản của bạn"
        );
        assert_eq!(
            s(&initial, Locale::En),
            "[Motcua] Your account sign-in details"
        );
        assert_eq!(
            s(&locked, Locale::Vi),
            "[Motcua] Tài khoản của bạn đã bị khóa"
        );
        assert_eq!(
            s(&locked, Locale::En),
            "[Motcua] Your account has been locked"
        );
        assert_eq!(
            s(&reported, Locale::Vi),
            "[Motcua] Báo cáo sử dụng trái phép tài khoản duc.pham"
        );
        assert_eq!(
            s(&reported, Locale::En),
            "[Motcua] Unauthorized use reported for account duc.pham"
        );
        let evil = Template::CompromiseReported {
            username: "x\r\nBcc: victim@example.vn".into(),
            full_name: String::new(),
            at: String::new(),
            ip: String::new(),
            note: String::new(),
            console_link: String::new(),
        };
        assert_eq!(
            s(&evil, Locale::En),
            "[Motcua] Unauthorized use reported for account x Bcc: victim@example.vn"
        );
    }

    #[test]
    fn password_changed_offers_the_report_link() {
        let t = Template::PasswordChanged {
            full_name: "Trần Thị Bích".into(),
            at: "14:05 22/11/2025".into(),
            report_link: "https://motcua.example.vn/bao-cao/xyz".into(),
        };
        let vi = render(&t, Locale::Vi);
        assert!(vi.text.contains("Thời điểm: 14:05 22/11/2025"));
        assert!(vi.text.contains("Nếu bạn KHÔNG thực hiện thay đổi này"));
        assert!(vi
            .text
            .contains("\nhttps://motcua.example.vn/bao-cao/xyz\n"));
        assert!(vi
            .html
            .contains("href=\"https://motcua.example.vn/bao-cao/xyz\""));
        assert!(vi.html.contains("Báo cáo sử dụng trái phép</a>"));
        let en = render(&t, Locale::En);
        assert!(en.html.contains("Report unauthorized use</a>"));
        assert!(en.text.contains("If you did NOT make this change"));
    }

    #[test]
    fn account_unlocked_says_so_in_both_languages() {
        let t = Template::AccountUnlocked {
            full_name: "Phạm Minh Đức".into(),
            reason: "Đã xác minh lại".into(),
            at: "10:00 24/11/2025".into(),
        };
        let vi = render(&t, Locale::Vi);
        assert_eq!(vi.subject, "[Motcua] Tài khoản của bạn đã được mở khóa");
        assert!(vi
            .text
            .contains("Thời điểm: 10:00 24/11/2025\nLý do: Đã xác minh lại\n"));
        assert!(vi.html.contains("đã được mở khóa"));
        let en = render(&t, Locale::En);
        assert_eq!(en.subject, "[Motcua] Your account has been unlocked");
        assert!(en
            .text
            .contains("has been unlocked. You can sign in again."));
        let none = Template::AccountUnlocked {
            full_name: "Phạm Minh Đức".into(),
            reason: String::new(),
            at: "10:00 24/11/2025".into(),
        };
        assert!(!render(&none, Locale::En).text.contains("Reason"));
    }

    #[test]
    fn account_locked_without_reason_has_no_reason_line() {
        let t = Template::AccountLocked {
            full_name: "Phạm Minh Đức".into(),
            reason: "  ".into(),
            at: "08:00 23/11/2025".into(),
        };
        let vi = render(&t, Locale::Vi);
        assert!(!vi.text.contains("Lý do"), "{}", vi.text);
        assert!(!vi.html.contains("Lý do"));
        assert!(vi
            .text
            .contains("Tài khoản của bạn trên Cổng Dịch vụ công Motcua đã bị khóa."));
        let en = render(&t, Locale::En);
        assert!(!en.text.contains("Reason"));
        let with = Template::AccountLocked {
            full_name: "Phạm Minh Đức".into(),
            reason: "Khóa theo yêu cầu của chủ tài khoản".into(),
            at: "08:00 23/11/2025".into(),
        };
        let vi = render(&with, Locale::Vi);
        assert!(
            vi.text.contains(
                "Thời điểm: 08:00 23/11/2025\nLý do: Khóa theo yêu cầu của chủ tài khoản\n"
            ),
            "{}",
            vi.text
        );
    }

    #[test]
    fn compromise_report_without_note() {
        let t = Template::CompromiseReported {
            username: "duc.pham".into(),
            full_name: "Phạm Minh Đức".into(),
            at: "09:30 23/11/2025".into(),
            ip: "203.0.113.7".into(),
            note: String::new(),
            console_link: "https://motcua.example.vn/quan-tri/tai-khoan/42".into(),
        };
        assert!(render(&t, Locale::Vi)
            .text
            .contains("Ghi chú:           (không có)\n"));
        assert!(render(&t, Locale::En).html.contains("(none)"));
    }

    #[test]
    fn initial_password_is_shown_but_not_debug_printed() {
        let t = Template::InitialPassword {
            full_name: "Lê Hoàng Cường".into(),
            username: "cuong.le".into(),
            password: "s3cr3t-Initial".into(),
            login_link: "https://motcua.example.vn/dang-nhap".into(),
            expires: "23:59 29/11/2025".into(),
        };
        let vi = render(&t, Locale::Vi);
        assert!(vi.text.contains("Mật khẩu ban đầu: s3cr3t-Initial\n"));
        assert!(vi.html.contains(">s3cr3t-Initial</span>"));
        assert!(!format!("{t:?}").contains("s3cr3t"));
    }

    #[test]
    fn unsafe_links_are_not_clickable() {
        let t = Template::PasswordReset {
            full_name: "A".into(),
            link: "javascript:alert(1)".into(),
            minutes: 60,
        };
        let r = render(&t, Locale::En);
        assert!(!r.html.contains("href=\"javascript"));
        assert!(r.html.contains("href=\"#\""));
        assert!(r.text.contains("valid for 1 hour"));
        assert_eq!(safe_href(" HTTPS://x.vn/a "), "HTTPS://x.vn/a");
        assert_eq!(safe_href("http://x.vn"), "http://x.vn");
        assert_eq!(safe_href("/relative"), "#");
        assert_eq!(safe_href("ht"), "#");
        assert_eq!(safe_href("đặt-lại"), "#");
    }

    #[test]
    fn validity_wording() {
        assert_eq!(validity(30, Locale::Vi), "30 phút");
        assert_eq!(validity(120, Locale::Vi), "2 giờ");
        assert_eq!(validity(2880, Locale::Vi), "2 ngày");
        assert_eq!(validity(1, Locale::En), "1 minute");
        assert_eq!(validity(0, Locale::En), "1 minute");
        assert_eq!(validity(90, Locale::En), "90 minutes");
        assert_eq!(validity(60, Locale::En), "1 hour");
        assert_eq!(validity(1440, Locale::En), "1 day");
        assert_eq!(validity(4320, Locale::En), "3 days");
    }

    #[test]
    fn tidy() {
        assert_eq!(tidy_text("\n\na  \n\n\n\nb\n\n"), "a\n\nb\n");
        assert_eq!(tidy_text(""), "\n");
    }
}
