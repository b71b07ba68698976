//! The feedback context (issue #11 §1; R-PS-6; PUBLIC-SERVICES §7):
//! feedback and petitions (*phản ánh, kiến nghị*) from identified people
//! about a procedure, an agency or a regulation ([`service`]), routed to
//! the competent agency, handled within working-day deadlines
//! ([`Rules`]), published and searchable without accents ([`queries`]);
//! reminders to the agencies ([`remind`]).
pub mod queries;
pub mod remind;
pub mod service;
pub mod store;

/// The deadlines (working days) and limits; `[feedback]` in the
/// configuration. Defaults: the timing the national index uses (§7).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Rules {
    /// Refusing (out of scope) within this many working days.
    pub refuse_days: u32,
    /// Asking for more information within this many.
    pub ask_days: u32,
    /// Answering within this many.
    pub answer_days: u32,
    /// Publishing the answer within this many after it.
    pub publish_days: u32,
    /// Items one person may send per day.
    pub per_person_per_day: i64,
    /// Items one address (IP) may send per hour.
    pub per_ip_per_hour: i64,
    pub max_files: usize,
    pub max_file_bytes: usize,
    /// Feedback without an account: minutes to confirm the two codes.
    pub confirm_minutes: i64,
    /// Wrong tries before the request is dropped.
    pub confirm_tries: i64,
    /// Confirmation requests per e-mail address and per phone a day.
    pub per_contact_per_day: i64,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            refuse_days: 2,
            ask_days: 5,
            answer_days: 15,
            publish_days: 2,
            per_person_per_day: 5,
            per_ip_per_hour: 20,
            max_files: 3,
            max_file_bytes: 5 * 1024 * 1024,
            confirm_minutes: 30,
            confirm_tries: 5,
            per_contact_per_day: 3,
        }
    }
}

/// A state, for people.
pub fn state_key(state: &str) -> &'static str {
    match state {
        "received" => "feedback.state_received",
        "more_info" => "feedback.state_more_info",
        "answered" => "feedback.state_answered",
        "published" => "feedback.state_published",
        "refused" => "feedback.state_refused",
        _ => "feedback.state_unknown",
    }
}

/// A timeline entry, for people.
pub fn step_key(step: &str) -> &'static str {
    match step {
        "received" => "feedback.step_received",
        "more_info" => "feedback.step_more_info",
        "replied" => "feedback.step_replied",
        "transferred" => "feedback.step_transferred",
        "answered" => "feedback.step_answered",
        "published" => "feedback.step_published",
        "refused" => "feedback.step_refused",
        _ => "feedback.state_unknown",
    }
}

/// This context's messages (key, Vietnamese, English).
pub const MESSAGES: &[motcua_kernel::i18n::Message] = &[
    ("feedback.nav", "Phản ánh, kiến nghị", "Feedback"),
    ("feedback.title", "Phản ánh, kiến nghị", "Feedback and petitions"),
    ("feedback.lead", "Phản ánh, kiến nghị về quy định hành chính, thủ tục hành chính và việc giải quyết thủ tục của cơ quan nhà nước. Câu trả lời được công khai tại đây. Khiếu nại, tố cáo không thuộc phạm vi này (gửi theo Luật Khiếu nại, Luật Tố cáo).", "Feedback and petitions about administrative regulations, procedures and how agencies handle them. Answers are published here. Complaints and denunciations are out of scope (they follow the laws on complaints and denunciations)."),
    ("feedback.search", "Tìm trong các câu trả lời", "Search the answers"),
    ("feedback.search_button", "Tìm", "Search"),
    ("feedback.none", "Chưa có câu trả lời nào phù hợp.", "No matching answer yet."),
    ("feedback.send", "Gửi phản ánh, kiến nghị", "Send feedback"),
    ("feedback.send_lead", "Bạn cần đăng nhập để gửi; cơ quan có thẩm quyền trả lời trong thời hạn quy định và bạn được thông báo từng bước.", "You must be logged in to send; the competent agency answers within the set time and you are told of every step."),
    ("feedback.login_to_send", "Đăng nhập để gửi phản ánh, kiến nghị", "Log in to send feedback"),
    ("feedback.about", "Nội dung liên quan đến", "About"),
    ("feedback.about_procedure", "Một thủ tục hành chính", "A procedure"),
    ("feedback.about_agency", "Một cơ quan", "An agency"),
    ("feedback.about_regulation", "Một quy định hành chính", "A regulation"),
    ("feedback.procedure_code", "Mã thủ tục (nếu về thủ tục)", "Procedure code (if about a procedure)"),
    ("feedback.agency_code", "Mã cơ quan tiếp nhận (để trống nếu về thủ tục: cơ quan có thẩm quyền của thủ tục)", "Agency code (leave empty for a procedure: its competent agency)"),
    ("feedback.title_label", "Tiêu đề", "Title"),
    ("feedback.content", "Nội dung", "Content"),
    ("feedback.phone", "Số điện thoại liên hệ", "Contact phone"),
    ("feedback.address", "Địa chỉ liên hệ", "Contact address"),
    ("feedback.hide_name", "Không công khai họ tên của tôi khi đăng câu trả lời", "Do not publish my name with the answer"),
    ("feedback.files", "Tệp đính kèm (tối đa 3 tệp PDF, PNG hoặc JPEG, mỗi tệp đến 5 MB)", "Attachments (at most 3 PDF, PNG or JPEG files, 5 MB each)"),
    ("feedback.submit", "Gửi", "Send"),
    ("feedback.sent_title", "Đã gửi phản ánh, kiến nghị", "Feedback sent"),
    ("feedback.sent_lead", "Mã theo dõi của bạn:", "Your tracking code:"),
    ("feedback.code", "Mã", "Code"),
    ("feedback.agency", "Cơ quan", "Agency"),
    ("feedback.state", "Tình trạng", "State"),
    ("feedback.sender", "Người gửi", "Sender"),
    ("feedback.sender_hidden", "(Người gửi đề nghị không công khai)", "(The sender asked not to be named)"),
    ("feedback.answer", "Trả lời", "Answer"),
    ("feedback.answered_by", "Cơ quan trả lời", "Answered by"),
    ("feedback.answer_by", "Hạn trả lời", "Answer due"),
    ("feedback.time_left", "Thời gian còn lại", "Time left"),
    ("feedback.timeline", "Quá trình xử lý", "What happened"),
    ("feedback.late", "quá hạn", "late"),
    ("feedback.mine", "Phản ánh, kiến nghị của tôi", "My feedback"),
    ("feedback.mine_none", "Bạn chưa gửi phản ánh, kiến nghị nào.", "You have not sent any feedback."),
    ("feedback.reply", "Bổ sung thông tin", "Add information"),
    ("feedback.reply_text", "Thông tin bổ sung", "More information"),
    ("feedback.reply_heading", "Bổ sung ngày", "Added on"),
    ("feedback.linked", "Phản ánh, kiến nghị đã được trả lời về thủ tục này", "Answered feedback about this procedure"),
    ("feedback.agency_inbox", "Phản ánh, kiến nghị cần xử lý", "Feedback to handle"),
    ("feedback.agency_none", "Không có phản ánh, kiến nghị nào đang chờ.", "No feedback waiting."),
    ("feedback.overdue_board", "Phản ánh, kiến nghị quá hạn", "Overdue feedback"),
    ("feedback.overdue_none", "Không có phản ánh, kiến nghị nào quá hạn.", "No overdue feedback."),
    ("feedback.act", "Xử lý", "Handle"),
    ("feedback.act_answer", "Trả lời", "Answer"),
    ("feedback.act_publish", "Công khai câu trả lời", "Publish the answer"),
    ("feedback.act_ask", "Đề nghị bổ sung thông tin (một lần)", "Ask for more information (once)"),
    ("feedback.act_transfer", "Chuyển cơ quan có thẩm quyền", "Transfer to the competent agency"),
    ("feedback.act_refuse", "Từ chối tiếp nhận", "Refuse"),
    ("feedback.refuse_kind", "Lý do từ chối", "Reason for refusing"),
    ("feedback.refuse_kind_complaint", "Là khiếu nại", "It is a complaint"),
    ("feedback.refuse_kind_denunciation", "Là tố cáo", "It is a denunciation"),
    ("feedback.refuse_kind_other", "Lý do khác (ghi rõ)", "Another reason (say which)"),
    ("feedback.refuse_complaint", "Nội dung là khiếu nại, không thuộc phạm vi phản ánh, kiến nghị; đề nghị gửi theo quy định của Luật Khiếu nại.", "This is a complaint, outside the scope of feedback; please send it as the Law on Complaints provides."),
    ("feedback.refuse_denunciation", "Nội dung là tố cáo, không thuộc phạm vi phản ánh, kiến nghị; đề nghị gửi theo quy định của Luật Tố cáo.", "This is a denunciation, outside the scope of feedback; please send it as the Law on Denunciations provides."),
    ("feedback.note", "Nội dung (câu trả lời, thông tin cần bổ sung, lý do)", "Text (the answer, what is missing, the reason)"),
    ("feedback.target_agency", "Cơ quan nhận (mã)", "Receiving agency (code)"),
    ("feedback.state_received", "Đang xử lý", "Being handled"),
    ("feedback.state_more_info", "Chờ bổ sung thông tin", "Waiting for more information"),
    ("feedback.state_answered", "Đã trả lời", "Answered"),
    ("feedback.state_published", "Đã trả lời và công khai", "Answered and published"),
    ("feedback.state_refused", "Từ chối tiếp nhận", "Refused"),
    ("feedback.state_unknown", "Không xác định", "Unknown"),
    ("feedback.step_received", "Đã tiếp nhận", "Received"),
    ("feedback.step_more_info", "Đề nghị bổ sung thông tin", "More information asked"),
    ("feedback.step_replied", "Người gửi đã bổ sung", "The sender added information"),
    ("feedback.step_transferred", "Đã chuyển cơ quan có thẩm quyền", "Transferred to the competent agency"),
    ("feedback.step_answered", "Đã trả lời", "Answered"),
    ("feedback.step_published", "Đã công khai câu trả lời", "Answer published"),
    ("feedback.step_refused", "Từ chối tiếp nhận", "Refused"),
    ("feedback.mail_subject", "Phản ánh, kiến nghị {code}: {step}", "Feedback {code}: {step}"),
    ("feedback.mail_open", "Xem phản ánh, kiến nghị", "Open the feedback"),
    ("feedback.mail_received", "Phản ánh, kiến nghị của bạn đã được chuyển đến cơ quan có thẩm quyền.", "Your feedback has reached the competent agency."),
    ("feedback.mail_more_info", "Cơ quan đề nghị bạn bổ sung thông tin:", "The agency asks you for more information:"),
    ("feedback.mail_transferred", "Phản ánh, kiến nghị của bạn đã được chuyển đến cơ quan có thẩm quyền khác.", "Your feedback was transferred to another competent agency."),
    ("feedback.mail_answered", "Cơ quan đã trả lời phản ánh, kiến nghị của bạn:", "The agency answered your feedback:"),
    ("feedback.mail_published", "Câu trả lời đã được công khai trên Cổng.", "The answer is now published on the portal."),
    ("feedback.mail_refused", "Phản ánh, kiến nghị của bạn không được tiếp nhận:", "Your feedback was refused:"),
    ("feedback.remind_soon", "Phản ánh, kiến nghị {code} sắp đến hạn trả lời", "Feedback {code}: the answer is due soon"),
    ("feedback.remind_overdue", "Phản ánh, kiến nghị {code} đã quá hạn trả lời", "Feedback {code}: the answer is overdue"),
    ("dossiers.notify.feedback.received", "Phản ánh, kiến nghị {ref} đã được tiếp nhận", "Feedback {ref} received"),
    ("dossiers.notify.feedback.more_info", "Phản ánh, kiến nghị {ref}: cơ quan đề nghị bổ sung thông tin", "Feedback {ref}: more information asked"),
    ("dossiers.notify.feedback.transferred", "Phản ánh, kiến nghị {ref} đã được chuyển cơ quan", "Feedback {ref} transferred"),
    ("dossiers.notify.feedback.answered", "Phản ánh, kiến nghị {ref} đã được trả lời", "Feedback {ref} answered"),
    ("dossiers.notify.feedback.published", "Câu trả lời phản ánh, kiến nghị {ref} đã được công khai", "The answer to feedback {ref} is published"),
    ("dossiers.notify.feedback.refused", "Phản ánh, kiến nghị {ref} không được tiếp nhận", "Feedback {ref} refused"),
    ("feedback.error_about", "Chọn nội dung liên quan đến thủ tục, cơ quan hay quy định.", "Choose whether it is about a procedure, an agency or a regulation."),
    ("feedback.error_procedure", "Không có thủ tục nào mang mã này.", "No procedure has this code."),
    ("feedback.error_agency", "Không có cơ quan nào mang mã này.", "No agency has this code."),
    ("feedback.error_title", "Tiêu đề từ 5 đến 200 ký tự.", "The title takes 5 to 200 characters."),
    ("feedback.error_content", "Nội dung từ 20 đến 5.000 ký tự.", "The content takes 20 to 5,000 characters."),
    ("feedback.error_phone", "Số điện thoại gồm 9 đến 15 chữ số.", "A phone number has 9 to 15 digits."),
    ("feedback.error_address", "Địa chỉ tối đa 300 ký tự.", "The address takes at most 300 characters."),
    ("feedback.error_files_many", "Tối đa 3 tệp đính kèm.", "At most 3 attachments."),
    ("feedback.error_file_size", "Mỗi tệp đính kèm từ 1 byte đến 5 MB.", "Each attachment must be between 1 byte and 5 MB."),
    ("feedback.error_file_type", "Chỉ nhận tệp PDF, PNG hoặc JPEG (theo nội dung tệp, không theo tên).", "Only PDF, PNG or JPEG files (by their content, not their name)."),
    ("feedback.error_note", "Nội dung tối đa 10.000 ký tự.", "The text takes at most 10,000 characters."),
    ("feedback.error_answer", "Câu trả lời tối thiểu 10 ký tự.", "An answer takes at least 10 characters."),
    ("feedback.error_reason", "Ghi rõ nội dung (tối thiểu 5 ký tự).", "Say what it is (at least 5 characters)."),
    ("feedback.error_refusal_kind", "Chọn lý do từ chối.", "Choose the reason for refusing."),
    ("feedback.error_asked_once", "Chỉ được đề nghị bổ sung thông tin một lần.", "More information may be asked only once."),
    ("feedback.error_state", "Phản ánh, kiến nghị không ở tình trạng cho phép thao tác này.", "The feedback is not in a state that allows this."),
    ("feedback.error_kind", "Thao tác không hợp lệ.", "Unknown action."),
    ("feedback.error_changed", "Phản ánh, kiến nghị vừa được người khác cập nhật; hãy xem lại.", "Someone else just changed this feedback; look again."),
    ("feedback.error_name", "Họ và tên từ 2 đến 100 ký tự.", "The full name takes 2 to 100 characters."),
    ("feedback.error_email", "Địa chỉ thư điện tử không hợp lệ.", "This e-mail address is not valid."),
    ("feedback.error_codes", "Mã xác nhận không đúng. Kiểm tra lại mã trong thư và trong tin nhắn.", "A confirmation code is wrong. Check the codes in the e-mail and in the text message."),
    ("feedback.error_confirm_tries", "Đã nhập sai mã quá số lần cho phép; phản ánh chưa được gửi. Vui lòng gửi lại.", "Too many wrong codes; the feedback was not sent. Please send it again."),
    ("feedback.error_confirm_gone", "Yêu cầu xác nhận không còn hiệu lực (đã quá thời hạn hoặc đã được xác nhận). Vui lòng gửi lại nếu cần.", "This confirmation request is no longer valid (it expired or was already confirmed). Please send again if needed."),
    ("feedback.guest_heading", "Chưa có tài khoản? Gửi bằng thư điện tử và số điện thoại đã xác nhận", "No account? Send with a confirmed e-mail address and phone"),
    ("feedback.guest_lead", "Sau khi gửi, bạn nhận một mã qua thư điện tử và một mã qua tin nhắn SMS; nhập cả hai mã để phản ánh được chuyển đến cơ quan. Theo dõi bằng đường dẫn trong thư.", "After sending you receive one code by e-mail and one by SMS; enter both so that the feedback reaches the agency. Follow it with the link in the e-mail."),
    ("feedback.guest_or_login", "Đã có tài khoản? Đăng nhập để gửi và theo dõi trong tài khoản", "Have an account? Log in to send and follow it in your account"),
    ("feedback.guest_name", "Họ và tên", "Full name"),
    ("feedback.guest_email", "Thư điện tử (nhận mã xác nhận và thông báo)", "E-mail (for the confirmation code and notices)"),
    ("feedback.guest_phone", "Số điện thoại di động (nhận mã xác nhận qua SMS)", "Mobile phone (for the confirmation code by SMS)"),
    ("feedback.confirm_title", "Xác nhận gửi phản ánh, kiến nghị", "Confirm your feedback"),
    ("feedback.confirm_lead", "Chúng tôi đã gửi một mã 6 chữ số đến thư điện tử và một mã 6 chữ số qua SMS đến số điện thoại của bạn. Nhập cả hai mã trong {minutes} phút.", "We sent a 6-digit code to your e-mail and a 6-digit code by SMS to your phone. Enter both within {minutes} minutes."),
    ("feedback.confirm_mailed", "Mã trong thư điện tử", "Code from the e-mail"),
    ("feedback.confirm_texted", "Mã trong tin nhắn SMS", "Code from the text message"),
    ("feedback.confirm_button", "Xác nhận và gửi", "Confirm and send"),
    ("feedback.confirm_mail_subject", "Mã xác nhận phản ánh, kiến nghị", "Your feedback confirmation code"),
    ("feedback.confirm_mail_body", "Mã xác nhận của bạn là {code}. Nhập mã này cùng mã trong tin nhắn SMS trong {minutes} phút. Nếu bạn không gửi phản ánh, kiến nghị, hãy bỏ qua thư này.", "Your confirmation code is {code}. Enter it with the code from the text message within {minutes} minutes. If you did not send feedback, ignore this e-mail."),
    ("feedback.confirm_open", "Mở trang xác nhận", "Open the confirmation page"),
    ("feedback.confirm_sms", "Ma xac nhan phan anh, kien nghi: {code} (hieu luc {minutes} phut). Khong chia se ma nay.", "Feedback confirmation code: {code} (valid {minutes} minutes). Do not share it."),
    ("feedback.track_title", "Theo dõi phản ánh, kiến nghị", "Follow your feedback"),
    ("feedback.track_lead", "Nhập mã phản ánh, kiến nghị và mã theo dõi trong thư điện tử bạn đã nhận.", "Enter the feedback code and the tracking key from the e-mail you received."),
    ("feedback.track_key", "Mã theo dõi (16 ký tự)", "Tracking key (16 characters)"),
    ("feedback.track_button", "Xem", "Show"),
    ("feedback.track_none", "Không tìm thấy phản ánh, kiến nghị với mã và mã theo dõi này.", "No feedback matches this code and tracking key."),
    ("feedback.track_keep", "Giữ đường dẫn này để theo dõi; nó cũng có trong thư điện tử gửi bạn.", "Keep this link to follow it; it is also in the e-mail we sent you."),
    ("feedback.error_reply", "Thông tin bổ sung từ 5 đến 5.000 ký tự.", "The added information takes 5 to 5,000 characters."),
];

pub fn message_tables() -> Vec<&'static [motcua_kernel::i18n::Message]> {
    vec![MESSAGES]
}

/// This context's periodic tasks for the worker.
pub fn periodic() -> Vec<std::sync::Arc<dyn motcua_kernel::worker::Periodic>> {
    vec![std::sync::Arc::new(remind::Remind)]
}
