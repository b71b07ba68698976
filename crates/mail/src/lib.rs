//! Outgoing mail of Motcua: the messages the portal sends (askama
//! templates, Vietnamese first, English second) and the transports that
//! deliver them (an `.eml` file drop for development, SMTP for production).
//!
//! ```no_run
//! # async fn demo() -> Result<(), motcua_mail::MailError> {
//! use motcua_mail::{render, Locale, Mailer, OutgoingMail, Template};
//! let mailer = Mailer::file("data/mail", "Motcua <no-reply@motcua.example.vn>")?;
//! let t = Template::PasswordReset {
//!     full_name: "Nguyễn Văn An".into(),
//!     link: "https://motcua.example.vn/reset/abc".into(),
//!     minutes: 30,
//! };
//! let mail = OutgoingMail::new("an@example.vn", render(&t, Locale::Vi));
//! mailer.send(&mail).await?;
//! # Ok(()) }
//! ```

mod mailer;
mod render;

pub use mailer::{MailError, Mailer, OutgoingMail, SmtpConfig, SmtpSecurity};
pub use render::{render, Rendered, Template};

/// Language of a message (defined in `motcua-domain`, re-exported here).
pub use motcua_domain::Locale;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::Locale;

    #[test]
    fn parse_locale() {
        assert_eq!(Locale::parse("vi"), Locale::Vi);
        assert_eq!(Locale::parse("en"), Locale::En);
        assert_eq!(Locale::parse(" EN-us "), Locale::En);
        assert_eq!(Locale::parse("en_GB"), Locale::En);
        assert_eq!(Locale::parse("english"), Locale::Vi);
        assert_eq!(Locale::parse("fr"), Locale::Vi);
        assert_eq!(Locale::parse(""), Locale::Vi);
        assert_eq!(Locale::Vi.as_str(), "vi");
        assert_eq!(Locale::En.as_str(), "en");
        assert_eq!(Locale::parse(Locale::En.as_str()), Locale::En);
        assert_eq!(Locale::default(), Locale::Vi);
    }

    #[test]
    fn locale_serde() {
        let s = serde_json::to_string(&Locale::En).unwrap();
        assert_eq!(s, "\"En\"");
        let back: Locale = serde_json::from_str(&s).unwrap();
        assert_eq!(back, Locale::En);
    }
}
