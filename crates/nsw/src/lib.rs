//! The National Single Window context: organizations' registration
//! (R-NSW-…), the provisioning of ministries' civil servants, the account
//! lifecycle (locks, revocation, unauthorized-use handling) and the
//! specialized processing systems that receive account events. It changes
//! accounts only through the identity context's public API.
pub mod context;
pub mod lifecycle;
pub mod provisioning;
pub mod queries;
pub mod registration;
pub mod systems;

pub use context::NswContext;

/// This context's message tables.
pub const MESSAGE_TABLES: &[&[motcua_kernel::i18n::Message]] = &[
    registration::MESSAGES,
    provisioning::MESSAGES,
    lifecycle::MESSAGES,
];

/// This context's open items with legal deadlines.
pub fn sla_sources() -> Vec<std::sync::Arc<dyn motcua_kernel::sla::SlaSource>> {
    vec![
        std::sync::Arc::new(registration::Sla),
        std::sync::Arc::new(lifecycle::Sla),
        std::sync::Arc::new(provisioning::Sla),
    ]
}

/// This context's periodic tasks: scheduled locks that start or end, and
/// unused accounts.
pub fn periodic(ctx: &NswContext) -> Vec<std::sync::Arc<dyn motcua_kernel::worker::Periodic>> {
    vec![std::sync::Arc::new(lifecycle::Scheduled(ctx.clone()))]
}
