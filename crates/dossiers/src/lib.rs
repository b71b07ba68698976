//! The dossiers context (R-PS-3, R-PS-5, R-PS-14, R-PS-15): a person's
//! drafts ([`drafts`]: prefilled, autosaved, resumable, expiring),
//! submission and withdrawal ([`submission`]: code, appointment on the
//! working-day calendar, timeline, notification, mail, event), what the
//! person reads ([`queries`]) and the periodic expiry of drafts
//! ([`housekeeping`]). It reads procedures through the catalog's queries
//! and forms through the forms' service, never their tables; the person's
//! data for prefill is handed in by the caller (from the identity
//! context, which logs the reuse).
pub mod code;
pub mod documents;
pub mod drafts;
pub mod files;
pub mod forwarding;
pub mod housekeeping;
pub mod lookup;
pub mod progress;
pub mod queries;
pub mod receipt;
pub mod store;
pub mod submission;
pub mod sync;
pub mod synthetic;

/// The rules of this context, from configuration.
#[derive(Debug, Clone)]
pub struct Rules {
    /// A draft unsaved for this many days expires (its answers erased).
    pub draft_days: i64,
    /// The reminder mail goes this many days before expiry.
    pub reminder_days: i64,
    /// At most this many open drafts per person.
    pub max_open_drafts: i64,
    pub code_format: code::Format,
    /// Received after this local time, a dossier counts from the next
    /// working day (PUBLIC-SERVICES §2; 15:00 in practice).
    pub cutoff: Option<time::Time>,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            draft_days: 30,
            reminder_days: 3,
            max_open_drafts: 50,
            code_format: code::Format::default(),
            cutoff: Some(time::macros::time!(15:00)),
        }
    }
}

/// The status names (national status numbers 1–10).
pub fn status_key(status: i64) -> &'static str {
    match status {
        1 => "dossiers.status_1",
        2 => "dossiers.status_2",
        3 => "dossiers.status_3",
        4 => "dossiers.status_4",
        5 => "dossiers.status_5",
        6 => "dossiers.status_6",
        7 => "dossiers.status_7",
        8 => "dossiers.status_8",
        9 => "dossiers.status_9",
        10 => "dossiers.status_10",
        _ => "dossiers.status_unknown",
    }
}

/// This context's messages (key, Vietnamese, English).
pub const MESSAGES: &[motcua_kernel::i18n::Message] = &[
    ("dossiers.status_1", "Mới nộp, chờ tiếp nhận", "Submitted, awaiting acceptance"),
    ("dossiers.status_2", "Đã tiếp nhận", "Accepted"),
    ("dossiers.status_3", "Không tiếp nhận", "Not accepted"),
    ("dossiers.status_4", "Đang xử lý", "Being processed"),
    ("dossiers.status_5", "Yêu cầu bổ sung hồ sơ", "Supplement requested"),
    ("dossiers.status_6", "Chờ thực hiện nghĩa vụ tài chính", "Awaiting payment"),
    ("dossiers.status_7", "Công dân đã rút hồ sơ", "Withdrawn by the applicant"),
    ("dossiers.status_8", "Dừng xử lý", "Processing stopped"),
    ("dossiers.status_9", "Đã có kết quả", "Result ready"),
    ("dossiers.status_10", "Đã trả kết quả", "Result returned"),
    ("dossiers.status_unknown", "Không xác định", "Unknown"),
    ("dossiers.mail_progress_subject", "Hồ sơ {code}: {status}", "Dossier {code}: {status}"),
    ("dossiers.notify.dossier.accepted", "Hồ sơ {ref} đã được tiếp nhận.", "Dossier {ref} was accepted."),
    ("dossiers.progress.accepted", "Cơ quan đã tiếp nhận hồ sơ của bạn và hẹn ngày trả kết quả dưới đây. Bạn không cần làm gì thêm; chúng tôi sẽ báo khi có kết quả.", "The agency accepted your dossier and set the result date below. You need do nothing more; we will tell you when the result is ready."),
    ("dossiers.notify.dossier.refused", "Hồ sơ {ref} không được tiếp nhận.", "Dossier {ref} was not accepted."),
    ("dossiers.progress.refused", "Cơ quan không tiếp nhận hồ sơ của bạn vì lý do dưới đây. Bạn có thể nộp hồ sơ mới sau khi khắc phục.", "The agency did not accept your dossier, for the reason below. You may submit a new dossier once this is put right."),
    ("dossiers.notify.dossier.supplement_requested", "Hồ sơ {ref} cần bổ sung.", "Dossier {ref} needs more documents."),
    ("dossiers.progress.supplement_requested", "Cơ quan yêu cầu bổ sung, hoàn thiện hồ sơ (một lần, liệt kê đủ những gì còn thiếu dưới đây). Thời gian giải quyết tạm dừng cho đến khi bạn bổ sung: mở hồ sơ và bấm \"Bổ sung hồ sơ\".", "The agency asks you to complete your dossier (once, listing everything missing below). The processing time is paused until you do: open the dossier and press \"Complete the dossier\"."),
    ("dossiers.notify.dossier.supplemented", "Bạn đã bổ sung hồ sơ {ref}.", "You completed dossier {ref}."),
    ("dossiers.progress.supplemented", "Hồ sơ đã được bổ sung đầy đủ; thời gian giải quyết được tính lại và ngày hẹn trả kết quả mới ở dưới đây.", "Your dossier is complete; the processing time starts again and the new result date is below."),
    ("dossiers.notify.dossier.processing", "Hồ sơ {ref} đang được xử lý.", "Dossier {ref} is being processed."),
    ("dossiers.notify.dossier.synced", "Hồ sơ {ref} có cập nhật mới từ cơ quan giải quyết.", "Dossier {ref} has news from the agency handling it."),
    ("dossiers.sync_error_time", "Thời điểm phải theo RFC 3339 (ví dụ 2026-12-08T09:30:00+07:00), từ năm 2000 đến 2099.", "Times are RFC 3339 (e.g. 2026-12-08T09:30:00+07:00), from 2000 to 2099."),
    ("dossiers.sync_error_text", "Nội dung bắt buộc, không quá dài và không chứa ký tự điều khiển.", "Required text, not too long, without control characters."),
    ("dossiers.sync_error_applicant_id", "Số giấy tờ của chủ hồ sơ gồm 6 đến 20 chữ và số (số định danh cá nhân, mã số thuế).", "The applicant's document number takes 6 to 20 letters and digits (personal ID, tax code)."),
    ("dossiers.sync_error_code", "Mã hồ sơ gồm 8 đến 64 chữ, số và các dấu . - _ /.", "The dossier code takes 8 to 64 letters, digits and . - _ /."),
    ("dossiers.sync_error_procedure", "Không có thủ tục nào mang mã này trong Cơ sở dữ liệu quốc gia về thủ tục hành chính.", "No procedure of the national catalog has this code."),
    ("dossiers.sync_error_agency", "Không có cơ quan nào mang mã này.", "No agency has this code."),
    ("dossiers.sync_error_channel", "Kênh thực hiện là 1 (trực tiếp), 2 (trực tuyến) hoặc 3 (bưu chính công ích).", "The channel is 1 (in person), 2 (online) or 3 (public postal)."),
    ("dossiers.sync_error_status", "Trạng thái hồ sơ là một số từ 1 đến 10.", "The dossier status is a number from 1 to 10."),
    ("dossiers.sync_error_future", "Ngày tiếp nhận không thể ở tương lai.", "The date of receipt cannot be in the future."),
    ("dossiers.sync_error_appointment", "Ngày hẹn trả không thể trước ngày tiếp nhận.", "The appointment cannot be before the date of receipt."),
    ("dossiers.sync_error_items", "Mỗi lần gửi có từ 1 đến 200 mục.", "Each push carries 1 to 200 items."),
    ("dossiers.sync_error_amount", "Số tiền từ 0 đến 10 tỷ đồng.", "Amounts are 0 to 10 billion đồng."),
    ("dossiers.sync_error_taken", "Mã hồ sơ này đã thuộc một hồ sơ khác trên Cổng.", "This code already belongs to another dossier on the portal."),
    ("dossiers.notify.dossier.result_added", "Hồ sơ {ref} có kết quả giải quyết để tải về.", "Dossier {ref} has a result to download."),
    ("dossiers.route_error_system", "Không có hệ thống chuyên ngành đang hoạt động nào mang mã này.", "No active specialized system has this code."),
    ("dossiers.route_error_client", "Không có ứng dụng hệ thống (client credentials) đang hoạt động nào mang mã này.", "No active system client has this ID."),
    ("dossiers.route_error_status", "Trạng thái trả lời là 2, 3, 4, 8, 9 hoặc 10.", "An answer's status is 2, 3, 4, 8, 9 or 10."),
    ("dossiers.route_error_closed", "Hồ sơ đã kết thúc, không thể thay đổi.", "The dossier is closed and cannot change."),
    ("dossiers.route_error_size", "Tệp kết quả phải có nội dung và không quá 10 MB.", "The result file must not be empty and at most 10 MB."),
    ("dossiers.route_error_type", "Tệp kết quả phải là PDF, JPEG hoặc PNG (base64).", "The result file must be a PDF, JPEG or PNG (base64)."),
    ("dossiers.forwarded_to", "Hồ sơ này được chuyển đến hệ thống xử lý chuyên ngành của bộ, ngành để giải quyết; kết quả được gửi về đây.", "This dossier was forwarded to the ministry's specialized system; its answers and result come back here."),
    ("dossiers.forwarded_results", "Kết quả giải quyết (tải về)", "Results (download)"),
    ("dossiers.routes_title", "Thủ tục giải quyết trên hệ thống chuyên ngành (một cửa quốc gia)", "Procedures handled on a specialized system (single window)"),
    ("dossiers.routes_lead", "Hồ sơ của các thủ tục dưới đây được chuyển ngay khi nộp đến hệ thống xử lý chuyên ngành của bộ, ngành (qua hàng đợi sự kiện, có ký và gửi lại khi lỗi); hệ thống đó trả lời trạng thái và kết quả qua API liên thông.", "Dossiers of these procedures are forwarded when submitted to the ministry's specialized system (through the signed, retried event queue); that system answers statuses and results through the interop API."),
    ("dossiers.route_procedure", "Mã thủ tục", "Procedure code"),
    ("dossiers.route_system", "Hệ thống chuyên ngành (mã)", "Specialized system (code)"),
    ("dossiers.route_client", "Ứng dụng trả lời (client_id)", "Answering client (client ID)"),
    ("dossiers.route_add", "Chuyển thủ tục này", "Route this procedure"),
    ("dossiers.route_remove", "Giải quyết tại Cổng", "Handle here"),
    ("dossiers.routes_none", "Chưa có thủ tục nào.", "No procedure yet."),
    ("dossiers.pushed_from", "Hồ sơ này được tiếp nhận và giải quyết trên hệ thống một cửa của địa phương; Cổng hiển thị tiến độ do hệ thống đó gửi về.", "This dossier was received and is handled on the province's one-stop system; the portal shows the progress that system sends."),
    ("dossiers.pushed_documents", "Thành phần hồ sơ đã nộp", "Documents submitted"),
    ("dossiers.pushed_digitized", "đã số hoá", "digitised"),
    ("dossiers.pushed_reused", "tái sử dụng", "reused"),
    ("dossiers.pushed_fees", "Phí, lệ phí", "Fees and charges"),
    ("dossiers.pushed_paid", "đã nộp", "paid"),
    ("dossiers.pushed_results", "Kết quả giải quyết", "Results"),
    ("dossiers.pushed_result_at", "Ngày cấp", "Issued"),
    ("dossiers.progress.processing", "Hồ sơ của bạn đang được cơ quan xử lý. Bạn không cần làm gì thêm.", "The agency is processing your dossier. You need do nothing."),
    ("dossiers.notify.dossier.payment_requested", "Hồ sơ {ref} chờ nộp phí, lệ phí.", "Dossier {ref} awaits payment."),
    ("dossiers.progress.payment_requested", "Thủ tục này thu phí, lệ phí trước khi giải quyết. Thời gian giải quyết bắt đầu khi bạn nộp xong: mở hồ sơ để thanh toán.", "This procedure collects its fees before processing. The processing time starts when you have paid: open the dossier to pay."),
    ("dossiers.notify.dossier.paid", "Đã nhận phí, lệ phí của hồ sơ {ref}.", "Payment received for dossier {ref}."),
    ("dossiers.progress.paid", "Đã nhận đủ phí, lệ phí; thời gian giải quyết bắt đầu từ bây giờ.", "The fees are paid; the processing time starts now."),
    ("dossiers.notify.dossier.fees_requested", "Hồ sơ {ref}: cơ quan yêu cầu nộp phí, lệ phí.", "Dossier {ref}: the agency asks for a payment."),
    ("dossiers.progress.fees_requested", "Cơ quan yêu cầu bạn nộp phí, lệ phí vì lý do dưới đây. Thời gian giải quyết tạm dừng đến khi bạn nộp xong: mở hồ sơ để thanh toán.", "The agency asks you to pay, for the reason below. The processing time is paused until you have paid: open the dossier to pay."),
    ("dossiers.notify.dossier.fees_paid", "Đã nhận phí, lệ phí của hồ sơ {ref}.", "Payment received for dossier {ref}."),
    ("dossiers.progress.fees_paid", "Đã nhận đủ phí, lệ phí; hồ sơ tiếp tục được giải quyết. Ngày hẹn trả kết quả được lùi thêm đúng thời gian chờ nộp, như dưới đây.", "The payment is received; the dossier is processed again. The result date moves on by the time the payment took, as below."),
    ("dossiers.notify.dossier.result_fees_paid", "Đã nhận phí, lệ phí khi nhận kết quả hồ sơ {ref}.", "The fees due with the result of dossier {ref} are paid."),
    ("dossiers.progress.result_fees_paid", "Đã nhận đủ phí, lệ phí thu khi trả kết quả; cơ quan sẽ trả kết quả theo cách bạn đã chọn.", "The fees due with the result are paid; the agency will deliver the result the way you chose."),
    ("dossiers.notify.dossier.fees_waived", "Yêu cầu nộp phí của hồ sơ {ref} đã được hủy.", "The payment request of dossier {ref} is cancelled."),
    ("dossiers.progress.fees_waived", "Yêu cầu nộp phí, lệ phí đã được hủy (lý do trên trang hồ sơ); hồ sơ tiếp tục được giải quyết, ngày hẹn ở dưới đây.", "The payment request is cancelled (the reason is on the dossier's page); the dossier is processed, with the date below."),
    ("dossiers.notify.dossier.result_fees_waived", "Khoản phí khi nhận kết quả hồ sơ {ref} đã được hủy.", "The fee due with the result of dossier {ref} is cancelled."),
    ("dossiers.progress.result_fees_waived", "Khoản phí, lệ phí thu khi trả kết quả đã được hủy (lý do dưới đây).", "The fee due with the result is cancelled (the reason is below)."),
    ("dossiers.notify.dossier.fees_refunded", "Phí, lệ phí của hồ sơ {ref} đã được hoàn trả.", "The payment for dossier {ref} was refunded."),
    ("dossiers.progress.fees_refunded", "Khoản phí, lệ phí đã nộp được hoàn trả cho bạn (lý do dưới đây).", "The payment you made is refunded (the reason is below)."),
    ("dossiers.notify.dossier.handed_over", "Bưu điện đã giao hồ sơ {ref} cho cơ quan.", "The post office handed dossier {ref} to the agency."),
    ("dossiers.progress.handed_over", "Bưu điện đã giao hồ sơ giấy của bạn cho cơ quan giải quyết lúc dưới đây (thời điểm ghi trên phiếu giao nhận của bưu điện).", "The post office handed your paper dossier to the agency at the time below (the time on the postal receipt)."),
    ("dossiers.error_not_postal", "Hồ sơ không gửi qua bưu chính.", "The dossier was not sent by post."),
    ("dossiers.notify.dossier.result_posted", "Kết quả hồ sơ {ref} đã được gửi qua bưu chính.", "The result of dossier {ref} was sent by post."),
    ("dossiers.progress.result_posted", "Cơ quan đã gửi kết quả cho bạn qua bưu chính công ích (mã vận đơn dưới đây).", "The agency sent you the result by public post (the waybill number is below)."),
    ("dossiers.notify.dossier.result_post_failed", "Bưu điện chưa giao được kết quả hồ sơ {ref}.", "The post office could not deliver the result of dossier {ref}."),
    ("dossiers.progress.result_post_failed", "Bưu điện không giao được kết quả và đã trả lại cơ quan; liên hệ Bộ phận Một cửa để nhận trực tiếp hoặc gửi lại.", "The post office could not deliver the result and took it back to the agency; contact the one-stop unit to collect it or have it sent again."),
    ("dossiers.notify.dossier.apology", "Cơ quan xin lỗi vì hồ sơ {ref} trễ hẹn.", "The agency apologises: dossier {ref} will be late."),
    ("dossiers.progress.apology", "Cơ quan giải quyết không trả được kết quả đúng hẹn, xin lỗi bạn và hẹn lại ngày trả kết quả dưới đây.", "The agency cannot deliver the result on time, apologises, and gives the new date below."),
    ("dossiers.notify.dossier.stopped", "Hồ sơ {ref} đã dừng xử lý.", "Processing of dossier {ref} stopped."),
    ("dossiers.progress.stopped", "Cơ quan dừng giải quyết hồ sơ của bạn vì lý do dưới đây.", "The agency stopped handling your dossier, for the reason below."),
    ("dossiers.notify.dossier.transferred", "Hồ sơ {ref} được chuyển đến cơ quan khác.", "Dossier {ref} was sent to another agency."),
    ("dossiers.progress.transferred", "Hồ sơ của bạn được chuyển đến cơ quan có thẩm quyền dưới đây; ngày hẹn trả kết quả không đổi.", "Your dossier was sent to the competent agency below; the result date does not change."),
    ("dossiers.notify.dossier.result_ready", "Hồ sơ {ref} đã có kết quả.", "The result of dossier {ref} is ready."),
    ("dossiers.progress.result_ready", "Hồ sơ của bạn đã có kết quả. Cơ quan sẽ trả kết quả theo cách bạn đã chọn.", "The result of your dossier is ready. The agency will deliver it the way you chose."),
    ("dossiers.notify.dossier.result_returned", "Đã trả kết quả hồ sơ {ref}.", "The result of dossier {ref} was delivered."),
    ("dossiers.progress.result_returned", "Kết quả giải quyết hồ sơ đã được trả. Bạn có thể đánh giá việc giải quyết hồ sơ trên trang hồ sơ.", "The result was delivered. You may evaluate how your dossier was handled on its page."),
    ("dossiers.code", "Mã hồ sơ", "Dossier code"),
    ("dossiers.procedure", "Thủ tục", "Procedure"),
    ("dossiers.agency", "Cơ quan giải quyết", "Agency"),
    ("dossiers.submitted_at", "Thời điểm nộp", "Submitted at"),
    ("dossiers.appointment", "Ngày hẹn trả kết quả", "Result due"),
    ("dossiers.mail_submitted_subject", "Hồ sơ {code} đã được nộp trực tuyến", "Dossier {code} submitted online"),
    ("dossiers.mail_submitted_heading", "Hồ sơ của bạn đã được gửi đến cơ quan giải quyết", "Your dossier has been sent to the agency"),
    ("dossiers.mail_submitted_body", "Cổng Dịch vụ công quốc gia đã nhận hồ sơ của bạn và chuyển đến cơ quan có thẩm quyền. Cơ quan sẽ kiểm tra và thông báo tiếp nhận hoặc yêu cầu bổ sung.\n\nBạn theo dõi tình trạng hồ sơ tại mục Hồ sơ của tôi.", "The National Public Service Portal has received your dossier and sent it to the competent agency, which will check it and tell you whether it is accepted or needs more documents.\n\nFollow it under My dossiers."),
    ("dossiers.mail_open", "Xem hồ sơ", "Open the dossier"),
    ("dossiers.mail_expiring_subject", "Hồ sơ nháp \"{name}\" sắp hết hạn", "Your draft \"{name}\" expires soon"),
    ("dossiers.mail_expiring_heading", "Hồ sơ nháp của bạn sắp bị xoá", "Your draft will be deleted soon"),
    ("dossiers.mail_expiring_body", "Bạn đã bắt đầu một hồ sơ nhưng chưa nộp. Nếu không được lưu lại trước thời hạn dưới đây, bản nháp và các thông tin đã nhập sẽ bị xoá.", "You started a dossier but have not submitted it. Unless it is saved again before the time below, the draft and what you entered will be deleted."),
    ("dossiers.mail_expiring_until", "Hạn lưu bản nháp", "Kept until"),
    ("dossiers.mail_continue", "Tiếp tục hồ sơ", "Continue the dossier"),
    ("dossiers.notify.dossier.submitted", "Hồ sơ {ref} đã được nộp trực tuyến.", "Dossier {ref} was submitted online."),
    ("dossiers.notify.dossier.withdrawn", "Bạn đã rút hồ sơ {ref}.", "You withdrew dossier {ref}."),
    ("dossiers.notify.draft.expiring", "Hồ sơ nháp \"{ref}\" sắp hết hạn lưu.", "Your draft \"{ref}\" expires soon."),
    ("dossiers.notify.unknown", "Thông báo về {ref}.", "Notice about {ref}."),
    ("dossiers.error_not_online", "Thủ tục này hiện không được nộp trực tuyến.", "This procedure cannot be applied for online at present."),
    ("dossiers.error_no_form", "Thủ tục này chưa có biểu mẫu điện tử.", "This procedure has no e-form yet."),
    ("dossiers.error_too_many_drafts", "Bạn đã có quá nhiều hồ sơ nháp; vui lòng nộp hoặc xoá bớt.", "You have too many drafts; please submit or delete some."),
    ("dossiers.error_draft_closed", "Hồ sơ nháp này đã được nộp hoặc đã bị xoá.", "This draft has already been submitted or deleted."),
    ("dossiers.autosaved", "Đã tự động lưu lúc", "Saved automatically at"),
    ("dossiers.autosave_expired", "Phiên đăng nhập đã hết hạn: bấm \"Tiếp tục\" hoặc \"Lưu và thoát\", những gì bạn nhập sẽ được giữ lại khi bạn đăng nhập lại.", "Your session has ended: press \"Continue\" or \"Save and exit\" and what you typed will be kept for when you log in again."),
    ("dossiers.autosave_failed", "Chưa tự động lưu được. Những gì bạn nhập vẫn ở trên trang; bấm \"Lưu và thoát\" để lưu.", "Could not save automatically. What you typed is still on the page; press \"Save and exit\" to save it."),
    ("dossiers.autosave_elsewhere", "Hồ sơ nháp vừa được lưu ở thiết bị khác; trang này đã được lưu chồng lên.", "The draft was just saved on another device; this page was saved on top of it."),
    ("dossiers.preferences_title", "Cài đặt thông báo", "Notification settings"),
    ("dossiers.preferences_lead", "Mọi thông báo luôn có trong hộp thư trên Cổng. Chọn những loại bạn muốn nhận thêm qua thư điện tử.", "Every notification is always in your inbox on the portal. Choose which kinds you also want by email."),
    ("dossiers.preferences_mail", "Gửi thư điện tử cho tôi khi có", "Email me about"),
    ("dossiers.preferences_progress", "Tiến độ hồ sơ của tôi (đã nộp, đã tiếp nhận, có kết quả, …)", "My dossiers' progress (submitted, accepted, result ready, …)"),
    ("dossiers.preferences_action", "Yêu cầu tôi cần thực hiện (bổ sung hồ sơ, nộp phí, …)", "Requests I must act on (supplements, fees, …)"),
    ("dossiers.preferences_drafts", "Nhắc nhở trước khi hồ sơ nháp hết hạn", "Reminders before a draft expires"),
    ("dossiers.preferences_save", "Lưu cài đặt", "Save settings"),
    ("dossiers.fill_from", "Điền từ hồ sơ bạn đã nộp trước đây", "Fill from a dossier you submitted before"),
    ("dossiers.fill_from_hint", "Chỉ các ô còn trống được điền; bạn vẫn sửa được. Việc dùng lại được ghi trong mục Dữ liệu của tôi.", "Only empty fields are filled; you can still change them. The reuse is recorded under My data."),
    ("dossiers.fill_from_submit", "Điền thông tin", "Fill in"),
    ("dossiers.sign_sim_phone", "Số điện thoại có SIM ký số", "The phone number of your signing SIM"),
    ("dossiers.sign_sim_submit", "Ký bằng SIM và nộp hồ sơ", "Sign with the SIM and submit"),
    ("dossiers.reused_tag", "Dùng lại từ kho dữ liệu", "Reused from your documents"),
    ("dossiers.document_reuse", "Hoặc chọn giấy tờ trong kho dữ liệu của bạn", "Or choose a document you already have"),
    ("dossiers.document_choose", "Chọn một giấy tờ trong kho dữ liệu.", "Choose one of your documents."),
    ("dossiers.document_use", "Dùng giấy tờ này", "Use this document"),
    ("dossiers.documents_title", "Kho dữ liệu của tôi", "My documents"),
    ("dossiers.documents_lead", "Giấy tờ bạn đã nộp kèm hồ sơ và kết quả giải quyết được lưu tại đây. Khi nộp hồ sơ mới, bạn có thể chọn lại giấy tờ thay vì tải lên lần nữa.", "The documents you submitted with your dossiers and the results you received are kept here. In a new dossier you can choose one instead of uploading it again."),
    ("dossiers.documents_none", "Kho dữ liệu của bạn chưa có giấy tờ nào. Giấy tờ được lưu khi bạn nộp hồ sơ.", "You have no documents yet. They are kept when you submit a dossier."),
    ("dossiers.document_name", "Giấy tờ", "Document"),
    ("dossiers.document_kind", "Loại", "Kind"),
    ("dossiers.document_kept", "Lưu lúc", "Kept on"),
    ("dossiers.document_submitted", "Đã nộp kèm hồ sơ", "Submitted with a dossier"),
    ("dossiers.document_result", "Kết quả giải quyết", "Result"),
    ("dossiers.signature_title", "Chữ ký số của người nộp", "The applicant's digital signature"),
    ("dossiers.signature_signer", "Người ký", "Signed by"),
    ("dossiers.signature_serial", "Số hiệu chứng thư số", "Certificate serial"),
    ("dossiers.signature_issuer", "Tổ chức cấp", "Issued by"),
    ("dossiers.signature_at", "Thời điểm ký", "Signed at"),
    ("dossiers.digest", "Mã băm hồ sơ (SHA-256)", "Dossier digest (SHA-256)"),
    ("dossiers.sign_title", "Ký số hồ sơ", "Sign the dossier"),
    ("dossiers.sign_required", "Thủ tục này yêu cầu ký số hồ sơ bằng chứng thư số đã đăng ký cho tài khoản của bạn (USB token). Chữ ký bao gồm toàn bộ nội dung tờ khai và các tệp đính kèm.", "This procedure needs the dossier signed with a certificate registered to your account (USB token). The signature covers every answer and every attached file."),
    ("dossiers.sign_optional", "Bạn có thể ký số hồ sơ bằng chứng thư số đã đăng ký cho tài khoản (USB token), hoặc nộp không ký.", "You may sign the dossier with a certificate registered to your account (USB token), or submit it unsigned."),
    ("dossiers.sign_submit", "Ký số và nộp hồ sơ", "Sign and submit"),
    ("dossiers.sign_needed", "Thủ tục này yêu cầu ký số hồ sơ trước khi nộp.", "This procedure needs the dossier signed before it is submitted."),
    ("dossiers.submit_unsigned", "Nộp hồ sơ không ký số", "Submit without signing"),
    ("dossiers.submit_step_up", "Xác thực bổ sung để nộp hồ sơ", "Confirm your identity to submit"),
    ("dossiers.level_note", "Thủ tục này yêu cầu tài khoản ở mức độ {n}. Bạn sẽ được chuyển sang bước xác thực bổ sung, sau đó quay lại trang này.", "This procedure needs an account at level {n}. You will be taken to confirm your identity, then brought back here."),
    ("dossiers.error_signature_stale", "Hồ sơ đã thay đổi sau khi được ký. Vui lòng kiểm tra lại và ký lại.", "The dossier changed after it was signed. Please check it again and sign again."),
    ("dossiers.error_draft_changed", "Hồ sơ nháp vừa được thay đổi ở nơi khác. Vui lòng kiểm tra lại trước khi nộp.", "The draft was just changed elsewhere. Please check it again before submitting."),
    ("dossiers.error_busy", "Hồ sơ nháp đang được lưu ở nơi khác; vui lòng thử lại.", "The draft is being saved elsewhere; please try again."),
    ("dossiers.error_not_withdrawable", "Chỉ rút được hồ sơ chưa được cơ quan tiếp nhận.", "Only a dossier no agency has accepted yet can be withdrawn."),
    ("dossiers.error_reason", "Lý do tối đa 1.000 ký tự, không chứa ký tự điều khiển.", "The reason has at most 1,000 characters and no control characters."),    ("dossiers.start", "Nộp hồ sơ trực tuyến", "Apply online"),
    ("dossiers.reuse_service", "Điền sẵn biểu mẫu hồ sơ thủ tục {code}", "Prefilling the e-form of procedure {code}"),
    ("dossiers.start_login", "Đăng nhập để nộp hồ sơ trực tuyến", "Log in to apply online"),
    ("dossiers.start_none", "Thủ tục này chưa có biểu mẫu điện tử để nộp trực tuyến.", "This procedure has no e-form to apply online yet."),
    ("dossiers.drafts_title", "Hồ sơ nháp", "Drafts"),
    ("dossiers.my_title", "Hồ sơ của tôi", "My dossiers"),
    ("dossiers.no_drafts", "Bạn không có hồ sơ nháp nào.", "You have no drafts."),
    ("dossiers.find_procedure", "Tìm thủ tục hành chính", "Find a procedure"),
    ("dossiers.saved_at", "Lưu lần cuối", "Last saved"),
    ("dossiers.kept_until", "Lưu đến", "Kept until"),
    ("dossiers.actions", "Thao tác", "Actions"),
    ("dossiers.delete_draft", "Xoá bản nháp", "Delete draft"),
    ("dossiers.moved_title", "Biểu mẫu đã được cập nhật", "The form has been updated"),
    ("dossiers.moved_lead", "Cơ quan đã ban hành phiên bản mới của biểu mẫu này. Bản nháp của bạn đã được chuyển sang phiên bản mới, các thông tin phù hợp được giữ lại.", "A new version of this form has been published. Your draft now uses it; the answers that still fit were kept."),
    ("dossiers.moved_all_kept", "Mọi thông tin bạn đã nhập đều được giữ lại.", "Everything you entered was kept."),
    ("dossiers.moved_dropped", "Các thông tin sau cần nhập lại:", "Please enter these again:"),
    ("dossiers.continue", "Tiếp tục", "Continue"),
    ("dossiers.error_prefix", "Lỗi:", "Error:"),
    ("dossiers.optional", "không bắt buộc", "optional"),
    ("dossiers.prefilled", "Đã điền sẵn từ dữ liệu của bạn; bạn có thể sửa.", "Filled in from your data; you can change it."),
    ("dossiers.prefilled_tag", "điền sẵn", "prefilled"),
    ("dossiers.choose", "— Chọn —", "— Choose —"),
    ("dossiers.step_n", "Bước {n}/{of}", "Step {n} of {of}"),
    ("dossiers.stale", "Bản nháp này vừa được lưu trên một thiết bị khác. Thông tin của trang này đã được lưu thêm vào; vui lòng xem lại.", "This draft was just saved on another device. This page's answers were added to it; please review."),
    ("dossiers.errors_title", "Vui lòng sửa các lỗi sau", "There is a problem"),
    ("dossiers.remove_row", "Xoá dòng", "Remove row"),
    ("dossiers.add_row", "Thêm dòng", "Add a row"),
    ("dossiers.save_exit", "Lưu và thoát", "Save and come back later"),
    ("dossiers.back", "Quay lại bước trước", "Back"),
    ("dossiers.check_title", "Kiểm tra thông tin trước khi nộp", "Check your answers before submitting"),
    ("dossiers.missing_title", "Hồ sơ chưa đủ thông tin để nộp", "The dossier cannot be submitted yet"),
    ("dossiers.not_given", "Chưa nhập", "Not given"),
    ("dossiers.change", "Thay đổi", "Change"),
    ("dossiers.declaration_title", "Cam đoan", "Declaration"),
    ("dossiers.declaration", "Tôi xin cam đoan những thông tin trên là đúng sự thật và chịu trách nhiệm trước pháp luật về nội dung đã khai.", "I declare that the information above is true and I am responsible before the law for it."),
    ("dossiers.submit", "Nộp hồ sơ", "Submit the dossier"),
    ("dossiers.inbox_title", "Thông báo", "Notifications"),
    ("dossiers.inbox_empty", "Bạn chưa có thông báo nào.", "You have no notifications."),
    ("dossiers.mark_read", "Đánh dấu tất cả là đã đọc", "Mark all as read"),
    ("dossiers.new", "Mới", "New"),
    ("dossiers.unread", "chưa đọc", "unread"),
    ("dossiers.file_empty", "Tệp trống hoặc chưa chọn tệp.", "The file is empty or none was chosen."),
    ("dossiers.file_too_large", "Tệp vượt quá dung lượng cho phép.", "The file is larger than allowed."),
    ("dossiers.file_wrong_type", "Tệp không phải PDF, JPEG hoặc PNG (kiểm tra theo nội dung tệp, không theo tên).", "The file is not a PDF, JPEG or PNG (checked by its content, not its name)."),
    ("dossiers.file_too_many", "Hồ sơ đã có quá nhiều tệp đính kèm (tối đa 50).", "The dossier has too many files (at most 50)."),
    ("dossiers.file_component", "Thành phần hồ sơ không đúng.", "Unknown dossier component."),
    ("dossiers.files_title", "Giấy tờ đính kèm", "Documents"),
    ("dossiers.files_lead", "Đính kèm bản điện tử của từng giấy tờ (PDF, JPEG hoặc PNG, tối đa {mb} MB mỗi tệp). Cơ quan có thể yêu cầu bổ sung nếu còn thiếu.", "Attach an electronic copy of each document (PDF, JPEG or PNG, at most {mb} MB each). The agency may ask for what is missing."),
    ("dossiers.file_choose", "Chọn tệp", "Choose a file"),
    ("dossiers.file_attach", "Đính kèm", "Attach"),
    ("dossiers.file_remove", "Xoá tệp", "Remove file"),
    ("dossiers.file_none", "Chưa đính kèm", "Nothing attached"),
    ("dossiers.file_template", "Mẫu đơn, tờ khai", "Template form"),
    ("dossiers.file_copies", "Bản chính: {o}, bản sao: {c}", "Originals: {o}, copies: {c}"),
    ("dossiers.files_missing", "Các giấy tờ sau chưa được đính kèm (vẫn có thể nộp; cơ quan có thể yêu cầu bổ sung):", "Not attached yet (you may still submit; the agency may ask for them):"),
    ("dossiers.receipt", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả (PDF)", "Receipt and appointment (PDF, in Vietnamese)"),
    ("dossiers.status", "Trạng thái", "Status"),
    ("dossiers.any_status", "Tất cả", "Any"),
    ("dossiers.procedure_code", "Mã thủ tục", "Procedure code"),
    ("dossiers.from", "Nộp từ ngày", "Submitted from"),
    ("dossiers.until", "Đến ngày", "Until"),
    ("dossiers.filter", "Lọc", "Filter"),
    ("dossiers.none", "Không có hồ sơ nào.", "No dossiers."),
    ("dossiers.next_title", "Bạn cần làm gì tiếp theo", "What happens next"),
    ("dossiers.next_1", "Không cần làm gì thêm. Cơ quan sẽ kiểm tra hồ sơ và thông báo tiếp nhận hoặc yêu cầu bổ sung. Bạn có thể rút hồ sơ trước khi được tiếp nhận.", "Nothing for now. The agency will check the dossier and tell you whether it is accepted or needs more. You can withdraw it until it is accepted."),
    ("dossiers.next_5", "Cơ quan yêu cầu bổ sung hồ sơ: xem nội dung yêu cầu và bổ sung trực tuyến.", "The agency asks for more: read the request and complete the dossier online."),
    ("dossiers.next_6", "Vui lòng nộp phí, lệ phí để hồ sơ được xử lý.", "Please pay the fees so the dossier can be processed."),
    ("dossiers.next_9", "Kết quả đã có: nhận trực tuyến, tại cơ quan hoặc qua bưu chính theo lựa chọn của bạn.", "The result is ready: online, at the counter or by post as you chose."),
    ("dossiers.next_none", "Không cần làm gì thêm.", "Nothing to do."),
    ("dossiers.timeline", "Quá trình xử lý", "Timeline"),
    ("dossiers.answers", "Thông tin đã khai", "What you declared"),
    ("dossiers.withdraw_title", "Rút hồ sơ", "Withdraw the dossier"),
    ("dossiers.withdraw_reason", "Lý do (không bắt buộc)", "Reason (optional)"),
    ("dossiers.withdraw", "Rút hồ sơ", "Withdraw"),
    ("dossiers.by_applicant", "Người nộp", "Applicant"),
    ("dossiers.yes", "Có", "Yes"),
    ("dossiers.no", "Không", "No"),
    ("dossiers.only_if", "(Chỉ điền khi \"{field}\" là: {value}.)", "(Only when \"{field}\" is: {value}.)"),
    ("dossiers.error_date", "Ngày không đúng (dạng năm-tháng-ngày).", "Not a date (year-month-day)."),
    ("flash.draft_saved", "Đã lưu bản nháp. Bạn có thể tiếp tục trên bất kỳ thiết bị nào sau khi đăng nhập.", "Draft saved. Continue on any device after logging in."),
    ("flash.draft_deleted", "Đã xoá bản nháp.", "Draft deleted."),
    ("flash.filled_from_dossier", "Đã điền các ô còn trống từ hồ sơ trước; các ô này được đánh dấu \"điền sẵn\".", "The empty fields were filled from your earlier dossier; they are marked as prefilled."),
    ("flash.nothing_filled", "Hồ sơ trước không có thông tin nào dùng được cho các ô còn trống.", "Your earlier dossier had nothing that fits the empty fields."),
    ("flash.preferences_saved", "Đã lưu cài đặt thông báo.", "Notification settings saved."),
    ("flash.answers_parked", "Phiên đăng nhập đã hết hạn trước khi trang được lưu. Những gì bạn vừa nhập đã được giữ lại: hãy đăng nhập để tiếp tục, trang sẽ được lưu vào hồ sơ nháp.", "Your session ended before the page was saved. What you typed has been kept: log in to go on and it will be saved to your draft."),
    ("flash.answers_restored", "Những gì bạn nhập trước khi phiên hết hạn đã được lưu vào hồ sơ nháp.", "What you typed before your session ended has been saved to your draft."),
    ("flash.answers_lost", "Không tìm thấy trang đã giữ lại (quá một giờ hoặc từ trình duyệt khác). Hồ sơ nháp vẫn giữ những gì đã lưu trước đó.", "The kept page was not found (older than an hour, or from another browser). Your draft keeps what was saved before."),
    ("flash.document_removed", "Đã xoá giấy tờ khỏi kho dữ liệu. Hồ sơ đã nộp kèm giấy tờ này không thay đổi.", "The document was removed from your documents. Dossiers submitted with it are unchanged."),
    ("flash.dossier_supplemented", "Đã bổ sung hồ sơ. Thời gian giải quyết được tính lại; ngày hẹn trả mới ở dưới đây.", "The dossier is complete. The processing time starts again; the new result date is below."),
    ("dossiers.lookup_key", "Mã tra cứu", "Lookup key"),
    ("dossiers.lookup_title", "Tra cứu hồ sơ", "Look up a dossier"),
    ("dossiers.lookup_lead", "Nhập mã hồ sơ và mã tra cứu in trên Giấy tiếp nhận hồ sơ (hoặc trong mục Hồ sơ của tôi). Trang chỉ cho biết tình trạng và ngày hẹn, không có thông tin cá nhân.", "Enter the dossier's code and the lookup key printed on its receipt (or shown under My dossiers). The page shows only the status and the dates, nothing personal."),
    ("dossiers.lookup_submit", "Tra cứu", "Look up"),
    ("dossiers.lookup_none", "Không tìm thấy hồ sơ với mã hồ sơ và mã tra cứu này. Kiểm tra lại hai mã trên Giấy tiếp nhận.", "No dossier has this code and lookup key. Check both on the receipt."),
    ("dossiers.supplement_asked", "Cơ quan yêu cầu bổ sung, hoàn thiện", "What the agency asks for"),
    ("dossiers.supplement_start", "Bổ sung hồ sơ", "Complete the dossier"),
    ("dossiers.error_no_supplement", "Hồ sơ này không ở trạng thái chờ bổ sung.", "This dossier is not awaiting a supplement."),
    ("dossiers.error_is_supplement", "Bản nháp này dùng để bổ sung một hồ sơ đã nộp.", "This draft completes a dossier already submitted."),
    ("flash.dossier_submitted", "Đã nộp hồ sơ. Mã hồ sơ và ngày hẹn trả ở dưới đây; thư xác nhận đã được gửi.", "Dossier submitted. Its code and due date are below; a confirmation mail was sent."),
    ("flash.dossier_withdrawn", "Đã rút hồ sơ.", "The dossier was withdrawn."),
];

/// The message tables of this context and those it builds on.
pub fn message_tables() -> Vec<&'static [motcua_kernel::i18n::Message]> {
    let mut t = vec![MESSAGES];
    t.extend(motcua_forms::message_tables());
    t
}

/// Gives every procedure of the demo catalog that is offered online a
/// published e-form (the hand-written one where there is one, the
/// generic otherwise); how many were created. Unchanged on a second run.
pub async fn seed_forms(
    core: &motcua_kernel::Core,
    origin: &motcua_kernel::service::Origin,
) -> motcua_kernel::service::Result<usize> {
    let records =
        motcua_catalog::service::parse(motcua_catalog::seed::PROCEDURES).map_err(|p| {
            motcua_kernel::service::ServiceError::Internal(format!(
                "demo catalog: {} problems",
                p.len()
            ))
        })?;
    let procedures: Vec<motcua_forms::service::SeedProcedure> = records
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.online_level != "none")
        .map(|p| {
            let mut cases: Vec<String> = Vec::new();
            for c in p
                .components
                .iter()
                .map(|c| &c.case)
                .chain(p.steps.iter().map(|s| &s.case))
            {
                if !c.is_empty() && !cases.contains(c) {
                    cases.push(c.clone());
                }
            }
            motcua_forms::service::SeedProcedure {
                business: !p.applicants.iter().any(|a| a == "citizen"),
                code: p.code,
                name: p.name,
                cases,
            }
        })
        .collect();
    motcua_forms::service::seed(core, origin, &procedures).await
}
