//! Civil-servant provisioning by ministries (R-ID-6…8).

/// This module's user-facing messages (key, Vietnamese, English).
pub const MESSAGES: &[crate::i18n::Message] = &[];
