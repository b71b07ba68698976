//! The user's language: Vietnamese first, English second.

/// Language of a message. Vietnamese is the default everywhere.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum Locale {
    #[default]
    Vi,
    En,
}

impl Locale {
    /// Parses a locale tag such as `vi`, `en`, `en-US` or `EN_gb`.
    /// Anything that is not English falls back to Vietnamese.
    pub fn parse(s: &str) -> Locale {
        let tag = s.trim();
        let primary = tag.split(['-', '_']).next().unwrap_or("");
        if primary.eq_ignore_ascii_case("en") {
            Locale::En
        } else {
            Locale::Vi
        }
    }

    /// `"vi"` or `"en"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::Vi => "vi",
            Locale::En => "en",
        }
    }
}

impl std::fmt::Display for Locale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
