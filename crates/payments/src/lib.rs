//! The payments context (issue #10; R-PS-10, R-OP-2): what a dossier owes
//! (from the catalog's fee schedules, [`motcua_catalog::fees`]), payment
//! requests and their attempts at the national payment platform
//! ([`client`], whose wire format is [`protocol`]), one settlement path
//! ([`service::settle`]) for callbacks, return pages, the poller and the
//! daily reconciliation ([`jobs`]), and receipts kept in the applicant's
//! documents. [`sim`] (feature `sim`) simulates the platform for demo
//! and tests.
pub mod client;
pub mod jobs;
pub mod protocol;
pub mod receipts;
pub mod rules;
pub mod service;
#[cfg(feature = "sim")]
pub mod sim;
pub mod store;

pub use rules::{PayRules, Payments};

/// A request's state, for people.
pub fn state_key(state: &str) -> &'static str {
    match state {
        service::UNPAID => "payments.state_unpaid",
        service::AWAITING => "payments.state_awaiting",
        service::PAID => "payments.state_paid",
        service::REFUNDED => "payments.state_refunded",
        service::CANCELLED => "payments.state_cancelled",
        _ => "payments.unknown",
    }
}

/// This context's messages (key, Vietnamese, English).
pub const MESSAGES: &[motcua_kernel::i18n::Message] = &[
    ("payments.unknown", "Không xác định", "Unknown"),
    ("payments.state_unpaid", "Chưa nộp", "Unpaid"),
    ("payments.state_awaiting", "Đang chờ kết quả thanh toán", "Awaiting the payment's result"),
    ("payments.state_paid", "Đã nộp", "Paid"),
    ("payments.state_refunded", "Đã hoàn trả", "Refunded"),
    ("payments.state_cancelled", "Đã hủy", "Cancelled"),
    ("payments.title", "Phí, lệ phí", "Fees and charges"),
    ("payments.lead_owed", "Hồ sơ cần nộp các khoản dưới đây trước khi được giải quyết. Thời hạn giải quyết bắt đầu tính từ khi nộp xong.", "The dossier owes the amounts below before it is processed. The processing time starts once they are paid."),
    ("payments.fee", "Phí", "Fee"),
    ("payments.charge", "Lệ phí", "Charge"),
    ("payments.kind", "Loại", "Kind"),
    ("payments.item", "Nội dung", "Item"),
    ("payments.amount", "Số tiền", "Amount"),
    ("payments.legal_basis", "Căn cứ", "Legal basis"),
    ("payments.total", "Tổng cộng", "Total"),
    ("payments.fee_total", "Tổng phí", "Fees"),
    ("payments.charge_total", "Tổng lệ phí", "Charges"),
    ("payments.due", "Hạn nộp", "Pay by"),
    ("payments.state", "Tình trạng", "State"),
    ("payments.pay", "Thanh toán trực tuyến", "Pay online"),
    ("payments.pay_hint", "Bạn sẽ được chuyển đến Nền tảng thanh toán quốc gia để chọn ngân hàng hoặc ví điện tử.", "You will be taken to the national payment platform to choose a bank or e-wallet."),
    ("payments.pay_resume", "Tiếp tục thanh toán", "Continue paying"),
    ("payments.no_platform", "Cổng chưa kết nối Nền tảng thanh toán: vui lòng nộp tại cơ quan giải quyết.", "The portal is not connected to the payment platform: please pay at the agency."),
    ("payments.paid_at", "Đã nộp lúc", "Paid at"),
    ("payments.txn", "Mã giao dịch", "Transaction"),
    ("payments.receipt_phi", "Biên lai thu phí (PDF)", "Fee receipt (PDF)"),
    ("payments.receipt_le_phi", "Biên lai thu lệ phí (PDF)", "Charge receipt (PDF)"),
    ("payments.receipt_pending", "Biên lai điện tử sẽ có sau ít phút.", "The electronic receipt will be here in a few minutes."),
    ("payments.error_no_platform", "Cổng chưa kết nối Nền tảng thanh toán.", "The portal is not connected to the payment platform."),
    ("payments.error_unreachable", "Chưa kết nối được Nền tảng thanh toán. Vui lòng thử lại sau ít phút; không có khoản tiền nào bị trừ hai lần.", "The payment platform cannot be reached. Please try again in a few minutes; nothing will be charged twice."),
    ("payments.error_refused", "Nền tảng thanh toán từ chối giao dịch. Vui lòng thử lại hoặc liên hệ cơ quan giải quyết.", "The payment platform refused the transaction. Please try again or contact the agency."),
    ("payments.error_cancelled", "Yêu cầu nộp phí này đã bị hủy.", "This payment request was cancelled."),
    ("payments.error_changed", "Yêu cầu nộp phí vừa thay đổi; trang đã được tải lại.", "The payment request just changed; the page now shows where it is."),
    ("payments.error_amount_mismatch", "Giao dịch trước có số tiền không khớp và đang được đối soát; vui lòng liên hệ cơ quan giải quyết.", "The previous transaction's amount does not match and is being reconciled; please contact the agency."),
    ("payments.error_day", "Chọn một ngày đã qua để đối soát.", "Choose a past day to reconcile."),
    ("payments.error_reason", "Nêu lý do phải nộp (công dân sẽ đọc nội dung này; tối đa 2.000 ký tự).", "Say why it is owed (the applicant reads it; at most 2,000 characters)."),
    ("payments.error_open_request", "Hồ sơ đang có một yêu cầu nộp phí chưa thanh toán.", "The dossier already has an unpaid payment request."),
    ("payments.raise_title", "Yêu cầu công dân nộp phí, lệ phí", "Ask the applicant to pay"),
    ("payments.raise_lead", "Hồ sơ chuyển sang trạng thái chờ thực hiện nghĩa vụ tài chính; thời hạn giải quyết tạm dừng đến khi công dân nộp xong và được cộng thêm thời gian chờ.", "The dossier waits for the payment; the processing time stops until it is paid and is extended by the wait."),
    ("payments.raise_kind", "Loại khoản", "Kind"),
    ("payments.raise_name", "Nội dung khoản thu", "What is charged"),
    ("payments.raise_amount", "Số tiền (đồng)", "Amount (đồng)"),
    ("payments.raise_note", "Lý do (công dân sẽ nhận được nội dung này)", "Why (the applicant receives this text)"),
    ("payments.raise_submit", "Gửi yêu cầu nộp phí", "Send the payment request"),
    ("payments.error_not_cancellable", "Chỉ hủy được yêu cầu chưa nộp.", "Only an unpaid request can be cancelled."),
    ("payments.cancel_note", "Lý do hủy (công dân sẽ đọc)", "Why it is cancelled (the applicant reads it)"),
    ("payments.cancel", "Hủy yêu cầu nộp phí", "Cancel the request"),
    ("payments.error_not_payable", "Hồ sơ không còn chờ nộp khoản này.", "The dossier no longer waits for this payment."),
    ("payments.error_unpaid_return", "Hồ sơ còn khoản phí, lệ phí chưa nộp: chưa trả kết quả được.", "The dossier still owes a payment: the result cannot be handed over yet."),
    ("payments.error_not_paid", "Chỉ ghi nhận hoàn trả được cho khoản đã nộp.", "Only a paid request can be recorded as refunded."),
    ("payments.refund_note", "Lý do hoàn trả (công dân sẽ đọc)", "Why it is refunded (the applicant reads it)"),
    ("payments.refund", "Ghi nhận đã hoàn trả", "Record the refund"),
    ("payments.error_note", "Ghi rõ đã xử lý thế nào (tối đa 2.000 ký tự).", "Say what was done (at most 2,000 characters)."),
    ("payments.error_resolved", "Chênh lệch này đã được xử lý.", "This mismatch is already resolved."),
    ("payments.schedule_title", "Biểu phí, lệ phí", "Fee schedule"),
    ("payments.schedule_lead", "Mỗi khoản: phí (fee) hoặc lệ phí (charge), số tiền (đồng), thời điểm nộp (before: trước khi giải quyết; after: khi nhận kết quả; exempt: miễn), trường hợp và kênh áp dụng (để trống: mọi trường hợp, mọi kênh), đối tượng được miễn (citizen, business), căn cứ pháp lý. Hồ sơ đã có yêu cầu nộp phí giữ các khoản lúc yêu cầu.", "Each line: a fee or a charge, the amount (đồng), when it is paid (before processing, after with the result, or exempt), the case and channels it applies to (empty: every one), who is exempt (citizen, business), the legal basis. Dossiers already asked to pay keep the lines they were asked for."),
    ("payments.schedule_json", "Biểu phí (JSON)", "Schedule (JSON)"),
    ("payments.schedule_note", "Ghi chú thay đổi (không bắt buộc)", "What changed (optional)"),
    ("payments.schedule_publish", "Kiểm tra và công bố", "Check and publish"),
    ("payments.schedule_versions", "Các phiên bản", "Versions"),
    ("payments.schedule_none", "Thủ tục chưa có biểu phí: hồ sơ không phải nộp phí qua Cổng.", "The procedure has no fee schedule: its dossiers owe nothing through the portal."),
    ("payments.console_title", "Thanh toán phí, lệ phí", "Fee payments"),
    ("payments.reconciliation", "Đối soát với Nền tảng thanh toán", "Reconciliation with the payment platform"),
    ("payments.reconciliation_lead", "Mỗi ngày, sau 2 giờ sáng, Cổng tự đối soát ngày hôm trước với danh sách giao dịch của Nền tảng. Mọi chênh lệch được ghi ở đây cùng việc Cổng đã làm; chênh lệch số tiền không bao giờ được tự động ghi nhận.", "Every day after 2 a.m. the portal reconciles the day before with the platform's list. Every mismatch is listed here with what the portal did; an amount mismatch is never settled automatically."),
    ("payments.day", "Ngày", "Day"),
    ("payments.show_day", "Xem", "Show"),
    ("payments.run", "Đối soát lại ngày này", "Reconcile this day again"),
    ("payments.items", "Giao dịch", "Transactions"),
    ("payments.matched", "Khớp", "Matched"),
    ("payments.mismatches", "Chênh lệch", "Mismatches"),
    ("payments.no_mismatches", "Không có chênh lệch nào cần xử lý.", "No mismatch to handle."),
    ("payments.mismatch_kind", "Loại chênh lệch", "Kind"),
    ("payments.reference", "Tham chiếu", "Reference"),
    ("payments.our_amount", "Số tiền tại Cổng", "Our amount"),
    ("payments.their_amount", "Số tiền tại Nền tảng", "Platform's amount"),
    ("payments.action", "Cổng đã làm", "Action taken"),
    ("payments.resolve_note", "Đã xử lý thế nào", "What was done"),
    ("payments.resolve", "Đóng chênh lệch", "Resolve"),
    ("payments.requests", "Yêu cầu nộp phí", "Payment requests"),
    ("payments.created", "Tạo lúc", "Created"),
    ("payments.timing_before", "Trước khi giải quyết", "Before processing"),
    ("payments.timing_after", "Khi nhận kết quả", "With the result"),
    ("payments.timing_exempt", "Miễn", "Exempt"),
];

/// Every message table of this context.
pub fn message_tables() -> Vec<&'static [motcua_kernel::i18n::Message]> {
    vec![MESSAGES]
}
