//! Account values. Each type can only be built through `parse`, so an
//! invalid username, email, tax code or personal ID cannot exist past the
//! edge of the system.
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("invalid username")]
    Username,
    #[error("invalid email")]
    Email,
    #[error("invalid personal ID")]
    PersonalId,
    #[error("invalid tax code")]
    TaxCode,
    #[error("unknown role")]
    Role,
    #[error("full name is required")]
    FullName,
}

impl ValueError {
    /// i18n catalog key for the message shown to users.
    pub fn message_key(&self) -> &'static str {
        match self {
            ValueError::Username => "error.username",
            ValueError::Email => "error.email",
            ValueError::PersonalId => "error.personal_id",
            ValueError::TaxCode => "error.tax_code",
            ValueError::Role => "error.role",
            ValueError::FullName => "error.full_name",
        }
    }
}

macro_rules! string_newtype {
    ($name:ident) => {
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
        pub struct $name(String);
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

string_newtype!(Username);
string_newtype!(Email);
string_newtype!(PersonalId);
string_newtype!(TaxCode);

impl Username {
    /// 3–64 characters: lower-case letters, digits, `.`, `_`, `-`;
    /// starts with a letter or digit. Input is lower-cased.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let s = s.trim().to_lowercase();
        let ok_len = (3..=64).contains(&s.len());
        let ok_chars = s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
        let ok_start = s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
        if ok_len && ok_chars && ok_start {
            Ok(Self(s))
        } else {
            Err(ValueError::Username)
        }
    }
}

impl Email {
    /// A pragmatic check: one `@`, a non-empty local part, a dotted domain,
    /// no spaces or control characters, at most 254 bytes. The address is
    /// proven by the mail it receives, not by this parser.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let s = s.trim();
        let mut parts = s.split('@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(ValueError::Email);
        };
        let bad_char = |c: char| {
            c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"')
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        if local.is_empty() || s.len() > 254 || s.chars().any(bad_char) || !domain_ok {
            return Err(ValueError::Email);
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }
}

impl PersonalId {
    /// The 12-digit personal identification number (CCCD). The first three
    /// digits are a province code (001–096).
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let s = s.trim();
        if s.len() != 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValueError::PersonalId);
        }
        let province: u32 = s[..3].parse().map_err(|_| ValueError::PersonalId)?;
        if !(1..=96).contains(&province) {
            return Err(ValueError::PersonalId);
        }
        Ok(Self(s.to_string()))
    }
}

impl TaxCode {
    /// 10 digits whose last is the check digit, or those 10 digits plus a
    /// 3-digit branch suffix (written `0101234567-001` or without the dash).
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let s = s.trim();
        let digits: String = s.chars().filter(|c| *c != '-').collect();
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValueError::TaxCode);
        }
        let dash_ok = match s.find('-') {
            None => true,
            Some(i) => i == 10 && s.len() == 14 && s.matches('-').count() == 1,
        };
        if !dash_ok {
            return Err(ValueError::TaxCode);
        }
        match digits.len() {
            10 if tax_check_digit_ok(&digits) => Ok(Self(digits)),
            13 if tax_check_digit_ok(&digits[..10]) && &digits[10..] != "000" => {
                Ok(Self(format!("{}-{}", &digits[..10], &digits[10..])))
            }
            _ => Err(ValueError::TaxCode),
        }
    }
}

/// Check digit of the Vietnamese tax code: N10 = 10 − (Σ wᵢ·Nᵢ mod 11)
/// with weights 31, 29, 23, 19, 17, 13, 7, 5, 3; a result of 10 is never issued.
fn tax_check_digit_ok(d: &str) -> bool {
    const W: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];
    let b = d.as_bytes();
    let sum: u32 = W.iter().zip(b).map(|(w, c)| w * u32::from(c - b'0')).sum();
    let check = 10 - (sum % 11);
    check < 10 && check == u32::from(b[9] - b'0')
}

/// Roles an account holds; one person may hold several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Citizen,
    Business,
    Declarant,
    CivilServant,
    Operator,
    /// Manages one ministry's civil-servant provisioning requests (R-ID-6).
    MinistryManager,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Citizen,
        Role::Business,
        Role::Declarant,
        Role::CivilServant,
        Role::Operator,
        Role::MinistryManager,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Citizen => "citizen",
            Role::Business => "business",
            Role::Declarant => "declarant",
            Role::CivilServant => "civil_servant",
            Role::Operator => "operator",
            Role::MinistryManager => "ministry_manager",
        }
    }
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or(ValueError::Role)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Active,
    /// Locked by an operator or by the holder's compromise report; only an
    /// operator unlocks it.
    Locked,
    /// Revoked (Decree 85/2019 Art. 11): never logs in again, cannot be
    /// unlocked; the username is never reused.
    Revoked,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Active => "active",
            AccountStatus::Locked => "locked",
            AccountStatus::Revoked => "revoked",
        }
    }
    pub fn parse(s: &str) -> Self {
        match s {
            "active" => AccountStatus::Active,
            "revoked" => AccountStatus::Revoked,
            _ => AccountStatus::Locked,
        }
    }
}

/// Full names: trimmed, inner whitespace collapsed, 1–200 characters.
pub fn parse_full_name(s: &str) -> Result<String, ValueError> {
    let n = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if n.is_empty() || n.chars().count() > 200 || n.chars().any(char::is_control) {
        return Err(ValueError::FullName);
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(
            Username::parse(" Nguyen.An ").map(|u| u.0),
            Ok("nguyen.an".into())
        );
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("-abc").is_err());
        assert!(Username::parse("a b c").is_err());
        assert!(Username::parse("đăngký").is_err());
    }

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse("An@Example.VN").map(|e| e.0),
            Ok("An@example.vn".into())
        );
        for bad in [
            "", "a", "a@b", "a@@b.vn", "a b@c.vn", "a@.vn", "a@b..vn", "<a@b.vn>",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tax_codes() {
        // 0100109106 is a real, published tax code (Viettel).
        assert!(TaxCode::parse("0100109106").is_ok());
        assert!(TaxCode::parse("0100109107").is_err());
        assert_eq!(
            TaxCode::parse("0100109106-001").map(|t| t.0),
            Ok("0100109106-001".into())
        );
        assert_eq!(
            TaxCode::parse("0100109106001").map(|t| t.0),
            Ok("0100109106-001".into())
        );
        assert!(TaxCode::parse("0100109106-000").is_err());
        assert!(TaxCode::parse("010010910-6001").is_err());
        assert!(TaxCode::parse("01001091").is_err());
        assert!(TaxCode::parse("01001O9106").is_err());
    }

    #[test]
    fn personal_ids() {
        assert!(PersonalId::parse("001099012345").is_ok());
        assert!(PersonalId::parse("000099012345").is_err());
        assert!(PersonalId::parse("00109901234").is_err());
        assert!(PersonalId::parse("00109901234x").is_err());
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
        }
        assert!(Role::parse("root").is_err());
    }
}
