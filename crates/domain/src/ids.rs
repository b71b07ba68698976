//! Typed row ids (issue #6): an account's id cannot be passed where a
//! registration's is expected. Each is a transparent `i64` — the same
//! number in the database, in URLs, in JSON and in audit targets
//! (`account:42`) — so the types cost nothing at run time. With the `sqlx`
//! feature (turned on by `motcua-store`) they bind and decode like `i64`.
//!
//! An id of one kind does not pass for another:
//!
//! ```compile_fail
//! fn revoke(_: motcua_domain::AccountId) {}
//! revoke(motcua_domain::RegistrationId::new(7));
//! ```
//!
//! while the same call with the right kind compiles:
//!
//! ```
//! fn revoke(_: motcua_domain::AccountId) {}
//! revoke(motcua_domain::AccountId::new(7));
//! ```

macro_rules! id_type {
    ($($(#[$m:meta])* $name:ident;)+) => {$(
        $(#[$m])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default,
            serde::Serialize, serde::Deserialize,
        )]
        #[cfg_attr(feature = "sqlx", derive(sqlx::Type), sqlx(transparent))]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            pub const fn new(id: i64) -> Self {
                Self(id)
            }

            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map(Self)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }
    )+};
}

id_type! {
    /// An account (identity's `accounts.id`).
    AccountId;
    /// A declarant's registration with the single window.
    RegistrationId;
    /// A request to lock, reactivate or revoke an account.
    LifecycleRequestId;
    /// A ministry in the provisioning catalog.
    MinistryId;
    /// A work unit of a ministry.
    WorkUnitId;
    /// A function (permission) of a ministry's catalog.
    FunctionId;
    /// A ministry's request for civil-servant accounts.
    ProvisioningRequestId;
    /// One person of a provisioning request.
    PersonId;
    /// A certificate bound to an account.
    CertificateId;
    /// A holder's report of unauthorized use.
    ReportId;
    /// An API token.
    ApiTokenId;
    /// A background job (mail, …).
    JobId;
    /// A ministry's specialized system (webhook target).
    SystemId;
    /// One delivery of an outbox event to one system.
    DeliveryId;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_their_number_everywhere() {
        let id = AccountId::new(42);
        assert_eq!(id.get(), 42);
        assert_eq!(id.to_string(), "42");
        assert_eq!(format!("account:{id}"), "account:42");
        assert_eq!("42".parse::<AccountId>(), Ok(id));
        assert!("4x2".parse::<AccountId>().is_err());
        assert_eq!(serde_json::to_string(&id).ok().as_deref(), Some("42"));
        assert_eq!(serde_json::from_str::<AccountId>("42").ok(), Some(id));
        assert_eq!(i64::from(id), 42);
    }
}
