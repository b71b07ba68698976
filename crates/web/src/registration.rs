//! Declarant registration and review (R-ID-1…4).

/// This module's user-facing messages (key, Vietnamese, English).
pub const MESSAGES: &[crate::i18n::Message] = &[];
