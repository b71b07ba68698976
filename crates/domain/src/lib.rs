//! Pure rules of Motcua: validated values, roles, password policy, login
//! throttling, audit hash chain, text folding for Vietnamese search.
//! No I/O and no clock reads: time is always a parameter.

pub mod account;
pub mod assurance;
pub mod audit;
pub mod calendar;
pub mod clock;
pub mod ids;
pub mod locale;
pub mod password;
pub mod text;
pub mod throttle;
pub mod token;
pub mod workflow;

pub use account::{AccountStatus, Email, PersonalId, Role, TaxCode, Username};
pub use assurance::{AssuranceLevel, AssurancePolicy, AuthMethod};
pub use clock::{Clock, Millis, SystemClock, TestClock, DAY, HOUR, MINUTE, SECOND};
pub use ids::{
    AccountId, ApiTokenId, CertificateId, DeliveryId, FunctionId, JobId, LifecycleRequestId,
    MinistryId, PersonId, ProvisioningRequestId, RegistrationId, ReportId, SystemId, WorkUnitId,
};
pub use locale::Locale;
pub use workflow::{
    CertificateStatus, DeliveryStatus, JobStatus, LifecycleStatus, ProvisioningStatus,
    RegistrationStatus, SignupStatus, SimStatus, TransitionError, Workflow,
};
