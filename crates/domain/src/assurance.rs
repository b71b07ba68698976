//! Login methods and assurance levels (R-ID-13). Each login records its
//! method; the level follows from an operator-configurable mapping whose
//! default is password < e-ID level 1 < e-ID level 2 = USB token = SIM
//! signature. Pages, services and API scopes declare the level they need.
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// How a person proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// Username and password (Argon2id).
    Password,
    /// A signature with a USB token through the signing tool.
    UsbToken,
    /// A remote signature approved on the phone (SIM PKI).
    Sim,
    /// National e-ID, level-1 account.
    EidL1,
    /// National e-ID, level-2 account.
    EidL2,
    /// National e-ID of an organisation.
    EidOrg,
}

impl AuthMethod {
    pub const ALL: [AuthMethod; 6] = [
        AuthMethod::Password,
        AuthMethod::UsbToken,
        AuthMethod::Sim,
        AuthMethod::EidL1,
        AuthMethod::EidL2,
        AuthMethod::EidOrg,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::Password => "password",
            AuthMethod::UsbToken => "usb_token",
            AuthMethod::Sim => "sim",
            AuthMethod::EidL1 => "eid_l1",
            AuthMethod::EidL2 => "eid_l2",
            AuthMethod::EidOrg => "eid_org",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An assurance level, 1 (lowest) to 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct AssuranceLevel(u8);

impl AssuranceLevel {
    pub const LOW: AssuranceLevel = AssuranceLevel(1);
    pub const SUBSTANTIAL: AssuranceLevel = AssuranceLevel(2);
    pub const HIGH: AssuranceLevel = AssuranceLevel(3);
    pub const MAX: u8 = 4;

    pub fn new(level: u8) -> Option<Self> {
        (1..=Self::MAX).contains(&level).then_some(Self(level))
    }
    pub fn get(self) -> u8 {
        self.0
    }
    /// A stored level; anything out of range counts as the lowest.
    pub fn from_stored(v: i64) -> Self {
        u8::try_from(v)
            .ok()
            .and_then(Self::new)
            .unwrap_or(Self::LOW)
    }
}

impl TryFrom<u8> for AssuranceLevel {
    type Error = String;
    fn try_from(v: u8) -> Result<Self, String> {
        Self::new(v).ok_or_else(|| format!("assurance level {v} is not in 1..=4"))
    }
}

impl From<AssuranceLevel> for u8 {
    fn from(l: AssuranceLevel) -> u8 {
        l.0
    }
}

impl fmt::Display for AssuranceLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Method → level, as the operator configures it (`[assurance.levels]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AssurancePolicy {
    levels: BTreeMap<AuthMethod, AssuranceLevel>,
}

impl Default for AssurancePolicy {
    fn default() -> Self {
        Self {
            levels: AuthMethod::ALL
                .into_iter()
                .map(|m| (m, default_level(m)))
                .collect(),
        }
    }
}

/// The issue's order: password < e-ID level 1 < e-ID level 2 = organisation
/// e-ID = USB token = SIM.
fn default_level(m: AuthMethod) -> AssuranceLevel {
    match m {
        AuthMethod::Password => AssuranceLevel(1),
        AuthMethod::EidL1 => AssuranceLevel(2),
        AuthMethod::EidL2 | AuthMethod::EidOrg | AuthMethod::UsbToken | AuthMethod::Sim => {
            AssuranceLevel(3)
        }
    }
}

impl AssurancePolicy {
    /// The level a login by `method` reaches (methods the operator left
    /// out of the mapping keep their default).
    pub fn level(&self, method: AuthMethod) -> AssuranceLevel {
        self.levels
            .get(&method)
            .copied()
            .unwrap_or_else(|| default_level(method))
    }

    /// Overrides the level of one method.
    pub fn set(&mut self, method: AuthMethod, level: AssuranceLevel) {
        self.levels.insert(method, level);
    }

    /// Methods that reach at least `needed`, strongest last.
    pub fn methods_reaching(&self, needed: AssuranceLevel) -> Vec<AuthMethod> {
        let mut m: Vec<AuthMethod> = AuthMethod::ALL
            .into_iter()
            .filter(|m| self.level(*m) >= needed)
            .collect();
        m.sort_by_key(|m| self.level(*m));
        m
    }

    /// The whole mapping, for the console.
    pub fn table(&self) -> Vec<(AuthMethod, AssuranceLevel)> {
        AuthMethod::ALL
            .into_iter()
            .map(|m| (m, self.level(m)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_order_is_the_issues() {
        let p = AssurancePolicy::default();
        let l = |m| p.level(m).get();
        assert!(l(AuthMethod::Password) < l(AuthMethod::EidL1));
        assert!(l(AuthMethod::EidL1) < l(AuthMethod::EidL2));
        assert_eq!(l(AuthMethod::EidL2), l(AuthMethod::UsbToken));
        assert_eq!(l(AuthMethod::UsbToken), l(AuthMethod::Sim));
        assert_eq!(
            p.methods_reaching(AssuranceLevel::HIGH),
            vec![
                AuthMethod::UsbToken,
                AuthMethod::Sim,
                AuthMethod::EidL2,
                AuthMethod::EidOrg
            ]
        );
        assert_eq!(p.methods_reaching(AssuranceLevel::LOW).len(), 6);
    }

    #[test]
    fn operator_mapping_from_toml() {
        #[derive(Deserialize)]
        struct C {
            levels: AssurancePolicy,
        }
        let c: C = toml::from_str("[levels]\npassword = 1\nsim = 2\n").unwrap();
        assert_eq!(c.levels.level(AuthMethod::Sim), AssuranceLevel::SUBSTANTIAL);
        // Not mentioned: the default.
        assert_eq!(c.levels.level(AuthMethod::UsbToken), AssuranceLevel::HIGH);
        assert!(toml::from_str::<C>("[levels]\npassword = 9\n").is_err());
        assert!(toml::from_str::<C>("[levels]\nfax = 1\n").is_err());
    }

    #[test]
    fn methods_round_trip() {
        for m in AuthMethod::ALL {
            assert_eq!(AuthMethod::parse(m.as_str()), Some(m));
        }
        assert_eq!(AuthMethod::parse("fax"), None);
        assert_eq!(AssuranceLevel::from_stored(7), AssuranceLevel::LOW);
        assert_eq!(AssuranceLevel::from_stored(3), AssuranceLevel::HIGH);
    }
}
