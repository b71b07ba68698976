//! Workflow statuses as enums, each with its transition table (issue #6).
//!
//! A status is stored as its `as_str()` text; [`Workflow::parse`] reads it
//! back and refuses anything else. A change of status goes through
//! [`Workflow::check`]: a transition not in the table is refused before any
//! row is written (the store's compare-and-set then makes it atomic).
use std::fmt;

/// A workflow's statuses and the moves between them.
pub trait Workflow: Copy + Eq + fmt::Debug + Sized + 'static {
    /// The workflow's name, for messages ("registration").
    const NAME: &'static str;
    /// Every status.
    const ALL: &'static [Self];
    /// Every allowed move (from, to).
    const TRANSITIONS: &'static [(Self, Self)];

    /// The stored text.
    fn as_str(self) -> &'static str;

    /// The status stored as `s`, if it is one.
    fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|x| x.as_str() == s)
    }

    /// Whether the table allows `self` → `next`.
    fn can_become(self, next: Self) -> bool {
        Self::TRANSITIONS.contains(&(self, next))
    }

    /// No move leaves it.
    fn is_final(self) -> bool {
        !Self::TRANSITIONS.iter().any(|(from, _)| *from == self)
    }

    /// `self` → `next`, or the error naming the refused move.
    fn check(self, next: Self) -> Result<(), TransitionError> {
        if self.can_become(next) {
            Ok(())
        } else {
            Err(TransitionError {
                workflow: Self::NAME,
                from: self.as_str(),
                to: next.as_str(),
            })
        }
    }
}

/// A move the workflow's table does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{workflow}: {from} → {to} is not an allowed transition")]
pub struct TransitionError {
    pub workflow: &'static str,
    pub from: &'static str,
    pub to: &'static str,
}

/// Defines a status enum with its texts and transition table.
macro_rules! workflow {
    (
        $(#[$meta:meta])*
        $name:ident ($wf:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
        transitions { $( $from:ident => [ $( $to:ident ),* ] ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// The stored text.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text ),+
                }
            }
        }

        impl Workflow for $name {
            const NAME: &'static str = $wf;
            const ALL: &'static [Self] = &[ $( $name::$variant ),+ ];
            const TRANSITIONS: &'static [(Self, Self)] = &[
                $( $( ($name::$from, $name::$to), )* )*
            ];
            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                <Self as Workflow>::parse(s)
                    .ok_or_else(|| format!("not a {} status: {s}", $wf))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}

workflow! {
    /// A declarant's NSW account registration (R-ID-1…3): the e-mail link
    /// is confirmed (`pending`, the operator's deadline runs), the operator
    /// accepts, rejects or returns it for changes; a returned profile is
    /// resubmitted. An unconfirmed one expires.
    RegistrationStatus ("registration") {
        Unverified = "unverified",
        Pending = "pending",
        Returned = "returned",
        Accepted = "accepted",
        Rejected = "rejected",
        Expired = "expired",
    }
    transitions {
        Unverified => [Pending, Expired],
        Pending => [Accepted, Rejected, Returned],
        Returned => [Pending],
    }
}

workflow! {
    /// A lock, unlock or revocation request on an NSW account (R-ID-15…).
    LifecycleStatus ("lifecycle request") {
        Pending = "pending",
        Done = "done",
        Refused = "refused",
        Cancelled = "cancelled",
    }
    transitions {
        Pending => [Done, Refused, Cancelled],
    }
}

workflow! {
    /// A ministry's civil-servant provisioning request (R-ID-6…8): open
    /// until every person is decided and the notice is written.
    ProvisioningStatus ("provisioning request") {
        Open = "open",
        Completed = "completed",
    }
    transitions {
        Open => [Completed],
    }
}

workflow! {
    /// A background job (mail): queued until a worker claims it, retried
    /// with backoff, dead after its last attempt (an operator may queue a
    /// dead job again). A worker whose lease ran out leaves it `running`
    /// for another worker to reclaim: that is not a change of status.
    JobStatus ("job") {
        Queued = "queued",
        Running = "running",
        Done = "done",
        Dead = "dead",
    }
    transitions {
        Queued => [Running],
        Running => [Done, Queued, Dead],
        Dead => [Queued],
    }
}

workflow! {
    /// One event's delivery to one specialized system: pending until a
    /// worker sends it, back to pending after a failure, dead after the
    /// retry horizon (an operator may redeliver a dead one).
    DeliveryStatus ("event delivery") {
        Pending = "pending",
        Sending = "sending",
        Delivered = "delivered",
        Dead = "dead",
    }
    transitions {
        Pending => [Sending],
        Sending => [Delivered, Pending, Dead],
        Dead => [Pending],
    }
}

workflow! {
    /// A certificate bound to an account (USB token login): removed by its
    /// holder, never active again (binding it again is a new row).
    CertificateStatus ("certificate binding") {
        Active = "active",
        Removed = "removed",
    }
    transitions {
        Active => [Removed],
    }
}

workflow! {
    /// A sign-up with a certificate or the e-ID: `pending` (token) or
    /// `consent` (e-ID, the person reviews what the e-ID sent) until an
    /// e-mail code is sent, then `done` when the account is created.
    SignupStatus ("sign-up") {
        Pending = "pending",
        Consent = "consent",
        CodeSent = "code_sent",
        Done = "done",
    }
    transitions {
        Pending => [CodeSent, Done],
        Consent => [CodeSent, Done],
        CodeSent => [Done],
    }
}

workflow! {
    /// A mobile-signature (SIM) transaction: pending until the provider
    /// answers, then done (signed) or failed (refused, expired, …).
    SimStatus ("SIM signature") {
        Pending = "pending",
        Done = "done",
        Failed = "failed",
    }
    transitions {
        Pending => [Done, Failed],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table_is_sound<W: Workflow>() {
        for s in W::ALL {
            assert_eq!(W::parse(s.as_str()), Some(*s), "{}", W::NAME);
        }
        assert_eq!(W::parse("no-such-status"), None);
        for (from, to) in W::TRANSITIONS {
            assert!(from.can_become(*to));
            assert_ne!(from, to, "{}: no move to itself", W::NAME);
        }
        // Every move not in the table is refused, with both names.
        for from in W::ALL {
            for to in W::ALL {
                let listed = W::TRANSITIONS.contains(&(*from, *to));
                match from.check(*to) {
                    Ok(()) => assert!(listed),
                    Err(e) => {
                        assert!(!listed);
                        assert_eq!((e.from, e.to), (from.as_str(), to.as_str()));
                    }
                }
            }
        }
    }

    #[test]
    fn transition_tables() {
        table_is_sound::<RegistrationStatus>();
        table_is_sound::<LifecycleStatus>();
        table_is_sound::<ProvisioningStatus>();
        table_is_sound::<JobStatus>();
        table_is_sound::<DeliveryStatus>();
        table_is_sound::<CertificateStatus>();
        table_is_sound::<SignupStatus>();
        table_is_sound::<SimStatus>();
        assert!(
            !JobStatus::Done.can_become(JobStatus::Queued),
            "a sent mail is not sent again"
        );
        assert!(JobStatus::Dead.can_become(JobStatus::Queued));
        assert!(DeliveryStatus::Delivered.is_final());
        assert!(!CertificateStatus::Removed.can_become(CertificateStatus::Active));
        assert!(SignupStatus::Done.is_final());
        assert!(!SignupStatus::CodeSent.can_become(SignupStatus::Pending));
        assert!(SimStatus::Done.is_final() && SimStatus::Failed.is_final());
        use RegistrationStatus as R;
        assert!(R::Unverified.can_become(R::Pending));
        assert!(R::Returned.can_become(R::Pending));
        assert!(!R::Accepted.can_become(R::Pending), "a decision is final");
        assert!(!R::Rejected.can_become(R::Accepted));
        assert!(!R::Expired.can_become(R::Pending));
        assert!(
            !R::Unverified.can_become(R::Accepted),
            "no decision before the link"
        );
        assert!(R::Accepted.is_final() && R::Rejected.is_final() && R::Expired.is_final());
        assert!(!R::Pending.is_final());
        assert!(LifecycleStatus::Done.is_final());
        assert!(!LifecycleStatus::Done.can_become(LifecycleStatus::Pending));
        assert!(ProvisioningStatus::Completed.is_final());
        assert_eq!(
            "returned".parse::<RegistrationStatus>(),
            Ok(RegistrationStatus::Returned)
        );
        assert!("Returned".parse::<RegistrationStatus>().is_err());
        assert_eq!(RegistrationStatus::Pending.to_string(), "pending");
        assert!(RegistrationStatus::Pending == "pending");
    }
}
