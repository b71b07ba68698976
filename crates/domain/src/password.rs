//! Password policy after NIST SP 800-63B §3.1.1.2: a minimum length (8, or
//! 12 for operators), a generous maximum, a check against a list of common
//! passwords, and no composition rules.
use rand::RngExt;
use std::collections::HashSet;
use std::sync::OnceLock;

pub const MIN_LEN: usize = 8;
pub const MIN_LEN_OPERATOR: usize = 12;
pub const MAX_LEN: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("password too short (minimum {0} characters)")]
    TooShort(usize),
    #[error("password too long (maximum {MAX_LEN} characters)")]
    TooLong,
    #[error("password is too common")]
    Common,
    #[error("password must not contain the username")]
    ContainsUsername,
}

impl PolicyError {
    pub fn message_key(&self) -> &'static str {
        match self {
            PolicyError::TooShort(_) => "password.too_short",
            PolicyError::TooLong => "password.too_long",
            PolicyError::Common => "password.common",
            PolicyError::ContainsUsername => "password.contains_username",
        }
    }
}

/// The bundled list: Django's 20,000 common passwords (from Royce
/// Williams' list, see NOTICE) plus common Vietnamese choices.
fn common() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        include_str!("../data/common-passwords.txt")
            .lines()
            .map(str::trim)
            .collect()
    })
}

pub fn is_common(password: &str) -> bool {
    common().contains(password.to_lowercase().as_str())
}

/// Checks `password` for an account with `username`; `operator` raises the
/// minimum length. Length counts Unicode characters, as NIST asks.
pub fn check(password: &str, username: &str, operator: bool) -> Result<(), PolicyError> {
    let len = password.chars().count();
    let min = if operator { MIN_LEN_OPERATOR } else { MIN_LEN };
    if len < min {
        return Err(PolicyError::TooShort(min));
    }
    if len > MAX_LEN {
        return Err(PolicyError::TooLong);
    }
    if is_common(password) {
        return Err(PolicyError::Common);
    }
    if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
        return Err(PolicyError::ContainsUsername);
    }
    Ok(())
}

/// A generated initial password: 14 characters from an alphabet without
/// look-alikes (0/O, 1/l/I), grouped for dictation over the phone.
pub fn generate_initial() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let mut s = String::with_capacity(17);
    for i in 0..14 {
        if i > 0 && i % 5 == 0 {
            s.push('-');
        }
        s.push(ALPHABET[rng.random_range(0..ALPHABET.len())] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        assert_eq!(check("short", "u", false), Err(PolicyError::TooShort(8)));
        assert_eq!(
            check("elevenchars", "u", true),
            Err(PolicyError::TooShort(12))
        );
        assert_eq!(check("password", "u", false), Err(PolicyError::Common));
        assert_eq!(check("Matkhau123", "u", false), Err(PolicyError::Common));
        assert_eq!(
            check("xx-nguyenan-yy", "nguyenan", false),
            Err(PolicyError::ContainsUsername)
        );
        assert!(check("ngựa ô chạy xa", "u", false).is_ok());
        assert_eq!(
            check(&"a".repeat(129), "u", false),
            Err(PolicyError::TooLong)
        );
        // No composition rules: a long lower-case passphrase is fine.
        assert!(check("correct horse battery staple", "u", true).is_ok());
    }

    #[test]
    fn generated_passwords_pass_policy() {
        for _ in 0..50 {
            let p = generate_initial();
            assert_eq!(p.chars().count(), 16);
            assert!(check(&p, "someone", true).is_ok());
        }
    }

    #[test]
    fn list_is_loaded() {
        assert!(common().len() > 19_000);
    }
}
