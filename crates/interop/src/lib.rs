//! The interop context (issue #12 §2; R-PS-13, R-OP-4): what every call
//! of a ministry's or province's system shares, whatever it asks for.
//!
//! - [`caller`]: the system behind a request — an OAuth 2.0
//!   client-credentials access token from the sso context, scoped to an
//!   agency and to system scopes (`catalog`, `dossiers`, `statistics`).
//! - [`idempotency`]: every write carries an `Idempotency-Key`; a retry
//!   gets the first answer again, another request under the same key is
//!   refused.
//! - [`calls`]: every call is logged (client, method, route, status);
//!   the changes themselves are in the audit trail too.
//!
//! The use cases (dossier sync, catalog sync, statistics) belong to their
//! contexts; `web` puts them behind these checks. Nothing here reads the
//! clock: `now` is a parameter.
pub mod caller;
pub mod calls;
pub mod idempotency;
pub mod store;

use motcua_domain::{Millis, DAY, HOUR};

/// `[interop]` in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Calls a system client may make a minute (every node together).
    pub per_minute: i64,
    /// How long an `Idempotency-Key`'s answer is kept for replay.
    pub idempotency_hours: i64,
    /// How long the call log is kept.
    pub calls_days: i64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            per_minute: 1200,
            idempotency_hours: 24,
            calls_days: 90,
        }
    }
}

impl Config {
    pub fn idempotency_ttl(&self) -> Millis {
        self.idempotency_hours.max(1) * HOUR
    }
    pub fn calls_ttl(&self) -> Millis {
        self.calls_days.max(1) * DAY
    }
}

/// Removes expired idempotency answers and old call-log rows (the worker).
pub struct Purge(pub Config);

impl motcua_kernel::worker::Periodic for Purge {
    fn name(&self) -> &'static str {
        "interop.purge"
    }

    fn run<'a>(
        &'a self,
        core: &'a motcua_kernel::Core,
        now: Millis,
    ) -> futures::future::BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let mut c = core.store.conn().await.map_err(|e| e.to_string())?;
            store::idempotency::purge(&mut c, now - self.0.idempotency_ttl())
                .await
                .map_err(|e| e.to_string())?;
            store::calls::purge(&mut c, now - self.0.calls_ttl())
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }
}

/// This context's periodic tasks for the worker.
pub fn periodic(cfg: &Config) -> Vec<std::sync::Arc<dyn motcua_kernel::worker::Periodic>> {
    vec![std::sync::Arc::new(Purge(cfg.clone()))]
}

/// This context's messages (key, Vietnamese, English): the titles of the
/// interop API's problem documents.
pub const MESSAGES: &[motcua_kernel::i18n::Message] = &[
    ("api.problem.not-found", "Không tìm thấy.", "Not found."),
    (
        "api.problem.conflict",
        "Xung đột với dữ liệu hiện có.",
        "Conflicts with what is stored.",
    ),
    (
        "api.problem.forbidden",
        "Ứng dụng không có quyền với đối tượng này (ngoài phạm vi cơ quan của ứng dụng).",
        "The client may not act on this (outside its agency).",
    ),
    (
        "api.problem.invalid",
        "Dữ liệu không hợp lệ.",
        "The data is not valid.",
    ),
    (
        "api.problem.internal",
        "Lỗi hệ thống; yêu cầu có thể gửi lại với cùng Idempotency-Key.",
        "Internal error; the request may be sent again with the same Idempotency-Key.",
    ),
    (
        "api.problem.too-many-requests",
        "Ứng dụng đã vượt giới hạn số lời gọi mỗi phút.",
        "The client went over its calls a minute.",
    ),
    (
        "api.problem.bad-json",
        "Nội dung không phải JSON hợp lệ theo lược đồ.",
        "The body is not valid JSON for the schema.",
    ),
    (
        "api.problem.idempotency-key-missing",
        "Mọi yêu cầu ghi cần tiêu đề Idempotency-Key.",
        "Every write needs an Idempotency-Key header.",
    ),
    (
        "api.problem.idempotency-key-invalid",
        "Idempotency-Key gồm 1 đến 255 ký tự ASCII nhìn thấy được.",
        "An Idempotency-Key takes 1 to 255 visible ASCII characters.",
    ),
    (
        "api.problem.idempotency-key-reused",
        "Idempotency-Key này đã được dùng cho một yêu cầu khác.",
        "This Idempotency-Key was used for another request.",
    ),
    (
        "api.problem.idempotency-key-in-flight",
        "Yêu cầu đầu tiên với Idempotency-Key này đang được xử lý; hãy thử lại sau.",
        "The first request with this Idempotency-Key is still running; try again shortly.",
    ),
    ("api.reference_title", "Tài liệu API", "API reference"),
    (
        "api.reference_lead",
        "Tài liệu này được sinh từ mã nguồn của Cổng; bản máy đọc được:",
        "This reference is generated from the portal's code; the machine-readable document:",
    ),
    ("api.reference_toc", "Các thao tác", "Operations"),
    ("api.reference_security", "Xác thực", "Authentication"),
    ("api.reference_params", "Tham số", "Parameters"),
    ("api.reference_name", "Tên", "Name"),
    ("api.reference_in", "Vị trí", "In"),
    ("api.reference_required", "Bắt buộc", "Required"),
    ("api.reference_description", "Mô tả", "Description"),
    ("api.reference_yes", "Có", "Yes"),
    (
        "api.reference_body",
        "Nội dung yêu cầu (JSON Schema)",
        "Request body (JSON Schema)",
    ),
    ("api.reference_responses", "Trả lời", "Responses"),
    ("api.reference_schema", "Lược đồ", "Schema"),
    ("api.reference_schemas", "Các lược đồ", "Schemas"),
];

pub fn message_tables() -> Vec<&'static [motcua_kernel::i18n::Message]> {
    vec![MESSAGES]
}
