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
pub mod store;
pub mod systems;

pub use context::NswContext;

/// Messages of the context as a whole (deadline kinds, the specialized
/// systems' register).
pub const MESSAGES: &[motcua_kernel::i18n::Message] = &[
    (
        "systems.error_code",
        "Mã hệ thống gồm 2–40 ký tự: chữ không dấu, số, '-' hoặc '_'.",
        "The system code has 2–40 characters: letters, digits, '-' or '_'.",
    ),
    (
        "systems.error_code_taken",
        "Mã hệ thống này đã được dùng.",
        "This system code is already in use.",
    ),
    (
        "systems.error_name",
        "Vui lòng nhập tên hệ thống và Bộ, ngành quản lý.",
        "Please give the system's name and owning ministry.",
    ),
    (
        "systems.error_url",
        "Địa chỉ nhận sự kiện phải là URL http:// hoặc https:// hợp lệ.",
        "The endpoint must be a valid http:// or https:// URL.",
    ),
    (
        "systems.error_types",
        "Vui lòng chọn ít nhất một loại sự kiện hợp lệ.",
        "Please choose at least one valid event type.",
    ),
    (
        "sla.kind_provisioning",
        "Yêu cầu cấp tài khoản cán bộ",
        "Civil-servant account request",
    ),
    (
        "sla.kind_lifecycle",
        "Yêu cầu khóa, mở khóa, thu hồi tài khoản",
        "Lock, reactivation or revocation request",
    ),
];

/// The message tables this context's services use, with identity's and
/// the kernel's, for a catalog composed without the web crate (the CLI).
pub fn message_tables() -> Vec<&'static [motcua_kernel::i18n::Message]> {
    let mut t = motcua_identity::message_tables();
    t.extend([
        MESSAGES,
        registration::MESSAGES,
        provisioning::MESSAGES,
        lifecycle::MESSAGES,
    ]);
    t
}

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
