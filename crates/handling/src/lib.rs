//! The handling context (issue #9; R-PS-5, R-OP-2, R-OP-3, R-OP-4): the
//! agencies' back office. Agencies' units and the roles civil servants
//! hold in them ([`people`]); workflows as data ([`workflow`],
//! [`workflows`]); the clock of a dossier on the working-day calendar
//! ([`clock`]); what happens to a dossier at the agency ([`cases`]) and
//! the inboxes ([`queries`]). It changes a dossier's status only through
//! the dossiers context's API (`motcua_dossiers::progress`), reads the
//! catalog through its queries and accounts through identity's.
pub mod cases;
pub mod clock;
pub mod evaluation;
pub mod notices;
pub mod people;
pub mod queries;
pub mod store;
pub mod workflow;
pub mod workflows;

/// The rules of this context, from configuration.
#[derive(Debug, Clone)]
pub struct Rules {
    /// Received after this local time, a dossier counts from the next
    /// working day (PUBLIC-SERVICES §2; 15:00 in practice).
    pub cutoff: Option<time::Time>,
    /// A new dossier is due for receipt this many working days after
    /// its submission.
    pub receipt_days: i64,
    /// The applicant may change their evaluation for this many days
    /// after first giving it.
    pub evaluation_days: i64,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            cutoff: Some(time::macros::time!(15:00)),
            receipt_days: 1,
            evaluation_days: 7,
        }
    }
}

/// The name of a role, of a step's action, of a case's state.
pub fn role_key(role: &str) -> &'static str {
    match role {
        workflow::RECEIVER => "handling.role_receiver",
        workflow::HANDLER => "handling.role_handler",
        workflow::APPROVER => "handling.role_approver",
        workflow::RETURNER => "handling.role_returner",
        workflow::ADMIN => "handling.role_admin",
        _ => "handling.unknown",
    }
}

pub fn action_key(kind: &str) -> &'static str {
    match kind {
        workflow::ACCEPT => "handling.action_accept",
        workflow::REFUSE => "handling.action_refuse",
        workflow::SUPPLEMENT => "handling.action_supplement",
        workflow::FORWARD => "handling.action_forward",
        workflow::SEND_BACK => "handling.action_send_back",
        workflow::TRANSFER => "handling.action_transfer",
        workflow::APPROVE => "handling.action_approve",
        workflow::RETURN => "handling.action_return",
        workflow::STOP => "handling.action_stop",
        cases::APOLOGY => "handling.action_apology",
        "claim" => "handling.action_claim",
        "assign" => "handling.action_assign",
        "supplemented" => "handling.action_supplemented",
        "paid" => "handling.action_paid",
        _ => "handling.unknown",
    }
}

/// This context's messages (key, Vietnamese, English).
pub const MESSAGES: &[motcua_kernel::i18n::Message] = &[
    ("handling.unknown", "Không xác định", "Unknown"),
    ("handling.role_receiver", "Tiếp nhận hồ sơ", "Receiver"),
    ("handling.role_handler", "Xử lý hồ sơ", "Handler"),
    ("handling.role_approver", "Phê duyệt (lãnh đạo)", "Approver (leader)"),
    ("handling.role_returner", "Trả kết quả", "Result returner"),
    ("handling.role_admin", "Quản trị cơ quan", "Agency admin"),
    ("handling.action_accept", "Tiếp nhận hồ sơ", "Accept the dossier"),
    ("handling.action_refuse", "Từ chối tiếp nhận", "Refuse the dossier"),
    ("handling.action_supplement", "Yêu cầu bổ sung hồ sơ", "Ask for a supplement"),
    ("handling.action_forward", "Chuyển bước tiếp theo", "Forward"),
    ("handling.action_send_back", "Trả lại bước trước", "Send back"),
    ("handling.action_transfer", "Chuyển phòng ban khác", "Transfer to another department"),
    ("handling.action_approve", "Phê duyệt kết quả", "Approve the result"),
    ("handling.action_return", "Trả kết quả", "Return the result"),
    ("handling.action_stop", "Dừng xử lý hồ sơ", "Stop processing"),
    ("handling.action_apology", "Xin lỗi và hẹn lại ngày trả", "Apologise and set a new date"),
    ("handling.action_claim", "Nhận xử lý", "Claimed"),
    ("handling.action_assign", "Phân công", "Assigned"),
    ("handling.action_supplemented", "Công dân đã bổ sung", "Completed by the applicant"),
    ("handling.action_paid", "Đã nộp phí, lệ phí", "Fees paid"),
    ("handling.state_open", "Đang xử lý", "In progress"),
    ("handling.state_paused", "Tạm dừng (chờ công dân)", "Paused (waiting for the applicant)"),
    ("handling.state_closed", "Đã kết thúc", "Closed"),
    ("handling.inbox_mine", "Hồ sơ của tôi cần xử lý", "My dossiers to handle"),
    ("handling.units", "Đơn vị", "Units"),
    ("handling.unit", "Đơn vị", "Unit"),
    ("handling.count_open", "Đang xử lý", "In progress"),
    ("handling.count_overdue", "Quá hạn bước", "Step overdue"),
    ("handling.count_paused", "Chờ công dân", "Waiting for the applicant"),
    ("handling.awaiting_title", "Hồ sơ mới chờ tiếp nhận", "New dossiers awaiting receipt"),
    ("handling.cases_title", "Hồ sơ đang giải quyết", "Dossiers being handled"),
    ("handling.applicant", "Người nộp", "Applicant"),
    ("handling.search", "Tìm theo mã hồ sơ, người nộp, thủ tục", "Search by code, applicant, procedure"),
    ("handling.due_filter", "Thời hạn", "Due"),
    ("handling.due_any", "Tất cả", "All"),
    ("handling.due_soon", "Sắp đến hạn (trong 1 ngày làm việc)", "Due soon (within a working day)"),
    ("handling.due_overdue", "Quá hạn", "Overdue"),
    ("handling.state", "Tình trạng", "State"),
    ("handling.state_current", "Đang giải quyết (kể cả tạm dừng)", "Current (paused included)"),
    ("handling.state_new", "Chưa tiếp nhận", "Not yet received"),
    ("handling.unassigned", "Chỉ hồ sơ chưa có người nhận xử lý", "Only dossiers nobody has claimed"),
    ("handling.unassigned_tag", "Chưa phân công", "Unassigned"),
    ("handling.no_cases", "Không có hồ sơ nào.", "No dossiers."),
    ("handling.step_due", "Hạn của bước", "Step due"),
    ("handling.next_page", "Trang sau", "Next page"),
    ("handling.step", "Bước", "Step"),
    ("handling.assignee", "Người xử lý", "Handled by"),
    ("handling.reason", "Lý do / nội dung yêu cầu", "Reason / request"),
    ("handling.assign_to", "Phân công cho", "Assign to"),
    ("handling.claim", "Nhận xử lý hồ sơ này", "Claim this dossier"),
    ("handling.assign", "Phân công", "Assign"),
    ("handling.actions_title", "Xử lý hồ sơ", "Act on the dossier"),
    ("handling.department", "Phòng ban", "Department"),
    ("handling.new_date", "Ngày hẹn trả mới", "New result date"),
    ("handling.note_missing", "Những gì cần bổ sung, hoàn thiện (liệt kê đầy đủ: chỉ được yêu cầu một lần)", "Everything to add or correct (list it all: a supplement may be asked only once)"),
    ("handling.note_reason", "Lý do (công dân sẽ nhận được nội dung này)", "Reason (the applicant receives this text)"),
    ("handling.note", "Ghi chú (không bắt buộc)", "Note (optional)"),
    ("handling.slip_title", "Phiếu kiểm soát quá trình giải quyết hồ sơ", "Control slip"),
    ("handling.slip_from", "Nhận lúc", "Received"),
    ("handling.slip_until", "Giao lúc", "Handed over"),
    ("handling.slip_action", "Thao tác", "Action"),
    ("handling.slip_result", "Kết quả", "Result"),
    ("handling.slip_waiting", "Công dân bổ sung / nộp phí", "Applicant completing / paying"),
    ("handling.slip_current", "Đang giữ hồ sơ", "Holding the dossier"),
    ("handling.slip_on_time", "Đúng hạn", "On time"),
    ("handling.slip_late", "Quá hạn", "Late"),
    ("handling.slip_running", "Trong hạn", "Within time"),
    ("handling.slip_not_counted", "Không tính vào thời hạn", "Not counted"),
    ("handling.notices_title", "Thông báo đã gửi công dân", "Notices sent to the applicant"),
    ("handling.notices_applicant", "Thông báo của cơ quan giải quyết", "Notices from the agency"),
    ("handling.notice_2", "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu 02)", "Supplement request (Form 02)"),
    ("handling.notice_3", "Phiếu từ chối tiếp nhận giải quyết hồ sơ (Mẫu 03)", "Refusal (Form 03)"),
    ("handling.notice_4", "Phiếu xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04)", "Apology with a new date (Form 04)"),
    ("handling.notice_5", "Thông báo dừng xử lý hồ sơ (Mẫu 05)", "Stop notice (Form 05)"),
    ("handling.slip_pdf", "Tải phiếu kiểm soát (PDF, Mẫu 06)", "Download the control slip (PDF, Form 06)"),
    ("handling.workflows_title", "Quy trình xử lý hồ sơ", "Handling workflows"),
    ("handling.workflows_lead", "Mỗi thủ tục theo quy trình riêng nếu có, nếu không theo quy trình mặc định. Hồ sơ đang xử lý giữ phiên bản quy trình lúc tiếp nhận.", "Each procedure follows its own workflow if it has one, else the default. A dossier under way keeps the version it was received under."),
    ("handling.workflow_default", "Quy trình mặc định", "The default workflow"),
    ("handling.workflow_of", "Quy trình của thủ tục", "The workflow of procedure"),
    ("handling.workflow_open", "Mở quy trình của thủ tục (mã thủ tục)", "Open a procedure's workflow (procedure code)"),
    ("handling.workflow_open_button", "Mở", "Open"),
    ("handling.workflow_problems", "Quy trình chưa được lưu vì:", "The workflow was not saved because:"),
    ("handling.workflow_current", "Quy trình đang áp dụng", "The workflow in force"),
    ("handling.workflow_edit", "Sửa và công bố phiên bản mới", "Edit and publish a new version"),
    ("handling.workflow_edit_hint", "Mỗi bước: key, name, role (receiver, handler, approver, returner), unit (one_stop, department), share (% thời gian), actions (kind: accept, refuse, supplement, forward, send_back, transfer, approve, return, stop; to: bước đến). Hệ thống kiểm tra: mọi bước đến được từ bước đầu, từ mọi bước đến được kết thúc, tỷ lệ cộng lại 100%.", "Each step: key, name, role (receiver, handler, approver, returner), unit (one_stop, department), share (% of the time), actions (kind: accept, refuse, supplement, forward, send_back, transfer, approve, return, stop; to: the next step). Checked: every step reachable from the first, an end reachable from every step, shares adding up to 100%."),
    ("handling.workflow_json", "Định nghĩa quy trình (JSON)", "Workflow definition (JSON)"),
    ("handling.workflow_publish", "Kiểm tra và công bố", "Check and publish"),
    ("handling.workflow_versions", "Các phiên bản", "Versions"),
    ("handling.share", "Tỷ lệ thời gian", "Share of time"),
    ("handling.agencies_title", "Đơn vị và cán bộ của cơ quan", "Agencies' units and people"),
    ("handling.agencies_lead", "Tạo Bộ phận Một cửa và các phòng ban của một cơ quan, giao quyền quản trị cho cán bộ của cơ quan.", "Make an agency's one-stop unit and departments, and give one of its people the admin role."),
    ("handling.agency_code", "Mã cơ quan (theo danh mục)", "Agency code (from the catalog)"),
    ("handling.eval_title", "Đánh giá việc giải quyết hồ sơ", "Evaluate how your dossier was handled"),
    ("handling.eval_lead", "Mỗi chỉ số: 2 điểm (tốt), 1 điểm (chưa tốt), 0 điểm (không tốt). Bạn có thể sửa đánh giá trong 7 ngày.", "Each index: 2 (good), 1 (fair), 0 (poor). You can change your evaluation for 7 days."),
    ("handling.eval_total_time", "Tổng thời gian giải quyết so với quy định", "Total time compared with the legal limit"),
    ("handling.eval_time_per_agency", "Thời gian thực hiện tại từng cơ quan", "Time taken at each agency"),
    ("handling.eval_contacts", "Số lần phải liên hệ với cơ quan để hoàn thiện hồ sơ", "Times you had to contact the agency to complete the dossier"),
    ("handling.eval_agencies", "Số cơ quan phải liên hệ", "Number of agencies you had to deal with"),
    ("handling.eval_one_stop", "Việc tiếp nhận, giải quyết tại Bộ phận Một cửa", "Handling at the one-stop unit"),
    ("handling.eval_publication", "Công khai thủ tục hành chính", "Publication of the procedure"),
    ("handling.eval_attitude", "Thái độ của cán bộ, công chức", "Staff attitude"),
    ("handling.eval_feedback", "Tiếp nhận, xử lý phản ánh, kiến nghị", "Handling of feedback"),
    ("handling.eval_online", "Chất lượng dịch vụ công trực tuyến", "Quality of the online service"),
    ("handling.eval_score_2", "2 — Tốt", "2 — Good"),
    ("handling.eval_score_1", "1 — Chưa tốt", "1 — Fair"),
    ("handling.eval_score_0", "0 — Không tốt", "0 — Poor"),
    ("handling.eval_satisfaction", "Mức độ hài lòng chung", "Overall satisfaction"),
    ("handling.eval_very_satisfied", "Rất hài lòng", "Very satisfied"),
    ("handling.eval_satisfied", "Hài lòng", "Satisfied"),
    ("handling.eval_not_satisfied", "Không hài lòng", "Not satisfied"),
    ("handling.eval_submit", "Gửi đánh giá", "Send the evaluation"),
    ("handling.eval_given", "Bạn đã đánh giá: tổng điểm", "Your evaluation: total"),
    ("handling.error_scores", "Chọn 2, 1 hoặc 0 cho cả chín chỉ số.", "Choose 2, 1 or 0 for all nine indices."),
    ("handling.error_satisfaction", "Chọn mức độ hài lòng.", "Choose how satisfied you are."),
    ("handling.error_not_finished", "Chỉ đánh giá được khi hồ sơ đã có kết quả.", "A dossier can be evaluated once its result is ready."),
    ("handling.error_evaluation_closed", "Đã hết thời hạn sửa đánh giá.", "The time to change the evaluation has passed."),
    ("handling.log_title", "Sổ theo dõi hồ sơ (Mẫu 07)", "Dossier log (Form 07)"),
    ("handling.log_csv", "Tải sổ theo dõi (CSV)", "Download the log (CSV)"),
    ("handling.log_full", "Chỉ hiện 10.000 hồ sơ đầu tiên: chọn khoảng thời gian ngắn hơn.", "Only the first 10,000 dossiers are shown: choose a shorter period."),
    ("handling.log_received", "Tiếp nhận lúc", "Received"),
    ("handling.log_closed", "Kết thúc lúc", "Closed"),
    ("handling.log_early", "Trước hạn", "Early"),
    ("handling.log_open", "Đang giải quyết", "In progress"),
    ("handling.log_link", "Sổ theo dõi hồ sơ", "Dossier log"),
    ("handling.error_period", "Chọn khoảng thời gian hợp lệ (từ ngày không sau đến ngày, tối đa một năm).", "Choose a valid period (from not after to, at most a year)."),
    ("handling.staff_title", "Cán bộ và vai trò", "People and roles"),
    ("handling.no_units", "Cơ quan chưa có đơn vị nào.", "The agency has no units yet."),
    ("handling.unit_add", "Thêm đơn vị", "Add a unit"),
    ("handling.unit_code", "Mã đơn vị", "Unit code"),
    ("handling.unit_name", "Tên đơn vị", "Unit name"),
    ("handling.unit_kind", "Loại", "Kind"),
    ("handling.unit_one_stop", "Bộ phận Một cửa", "One-stop unit"),
    ("handling.unit_department", "Phòng ban chuyên môn", "Department"),
    ("handling.people", "Cán bộ", "People"),
    ("handling.no_people", "Chưa có ai được giao vai trò.", "Nobody holds a role yet."),
    ("handling.person", "Cán bộ", "Person"),
    ("handling.role", "Vai trò", "Role"),
    ("handling.granted_by", "Giao bởi", "Granted by"),
    ("handling.revoke", "Bỏ vai trò", "Remove the role"),
    ("handling.grant", "Giao vai trò", "Grant a role"),
    ("handling.username", "Tên đăng nhập của công chức", "The civil servant's username"),
    ("handling.error_unit_code", "Mã đơn vị chỉ gồm chữ, số, dấu chấm, gạch (tối đa 32 ký tự).", "A unit code has letters, digits, dots and dashes (at most 32)."),
    ("handling.error_unit_name", "Nhập tên đơn vị (tối đa 200 ký tự).", "Enter the unit's name (at most 200 characters)."),
    ("handling.error_unit_kind", "Chọn loại đơn vị: Bộ phận Một cửa hoặc phòng ban.", "Choose the kind: one-stop unit or department."),
    ("handling.error_unit_exists", "Cơ quan đã có đơn vị mang mã này.", "The agency already has a unit with this code."),
    ("handling.error_role", "Chọn một vai trò trong danh sách.", "Choose a role from the list."),
    ("handling.error_not_civil_servant", "Không có tài khoản công chức nào mang tên đăng nhập này.", "No civil servant's account has this username."),
    ("handling.error_role_held", "Người này đã có vai trò đó trong đơn vị.", "This person already holds that role in the unit."),
    ("handling.error_own_admin", "Bạn không thể tự bỏ vai trò quản trị của mình; hãy nhờ quản trị khác hoặc đơn vị vận hành.", "You cannot remove your own admin role; ask another admin or the operator."),
    ("handling.error_note", "Nội dung quá dài hoặc có ký tự không hợp lệ (tối đa 4.000 ký tự).", "The text is too long or has invalid characters (at most 4,000)."),
    ("handling.error_reason_required", "Nhập lý do (hoặc những gì còn thiếu): công dân sẽ nhận được nội dung này.", "Enter the reason (or what is missing): the applicant receives this text."),
    ("handling.error_changed", "Hồ sơ vừa được người khác xử lý; trang đã được tải lại với tình trạng mới.", "Someone else just acted on this dossier; the page now shows where it is."),
    ("handling.error_not_in_workflow", "Quy trình không cho phép thao tác này ở bước hiện tại.", "The workflow does not allow this action at this step."),
    ("handling.error_no_one_stop", "Cơ quan chưa có Bộ phận Một cửa.", "The agency has no one-stop unit yet."),
    ("handling.error_no_department", "Cơ quan chưa có phòng ban xử lý hồ sơ.", "The agency has no department to handle dossiers."),
    ("handling.error_unit", "Chọn một phòng ban khác của cơ quan.", "Choose another department of the agency."),
    ("handling.error_supplement_once", "Hồ sơ chỉ được yêu cầu bổ sung một lần.", "A supplement may be asked only once."),
    ("handling.error_supplement_late", "Đã quá 3 ngày làm việc kể từ khi tiếp nhận: không được yêu cầu bổ sung nữa.", "More than 3 working days since receipt: a supplement can no longer be asked."),
    ("handling.error_paused", "Hồ sơ đang chờ công dân bổ sung hoặc nộp phí: chưa xử lý tiếp được.", "The dossier waits for the applicant (a supplement or a payment): it cannot move on yet."),
    ("handling.error_no_deadline", "Hồ sơ chưa có ngày hẹn trả kết quả.", "The dossier has no result date yet."),
    ("handling.error_apology_once", "Chỉ được xin lỗi và hẹn lại một lần.", "An apology with a new date may be given only once."),
    ("handling.error_apology_late", "Đã quá hạn: thư xin lỗi phải gửi trước ngày hẹn trả.", "Too late: the apology must come before the result date."),
    ("handling.error_date", "Chọn một ngày làm việc sau ngày hẹn hiện tại.", "Choose a working day after the current result date."),
    ("handling.error_not_received", "Hồ sơ chưa được tiếp nhận.", "The dossier has not been accepted yet."),
    ("handling.error_closed", "Hồ sơ đã kết thúc xử lý.", "The dossier is closed."),
    ("handling.error_assignee", "Người được phân công phải có vai trò của bước này trong đơn vị.", "The person must hold this step's role in the unit."),
    ("handling.error_not_awaiting_supplement", "Hồ sơ không ở trạng thái chờ bổ sung.", "The dossier is not awaiting a supplement."),
    ("handling.error_not_awaiting_payment", "Hồ sơ không ở trạng thái chờ nộp phí.", "The dossier is not awaiting payment."),
    ("handling.workflow_unreadable", "Quy trình không đọc được (JSON không hợp lệ hoặc thiếu trường).", "The workflow cannot be read (invalid JSON or missing fields)."),
    ("handling.workflow_too_long", "Quy trình quá dài.", "The workflow is too long."),
    ("handling.workflow_steps", "Quy trình cần từ 1 đến 30 bước.", "A workflow has 1 to 30 steps."),
    ("handling.workflow_step_key", "Mã bước chỉ gồm chữ thường, số và dấu gạch dưới.", "A step key has lower-case letters, digits and underscores."),
    ("handling.workflow_step_twice", "Hai bước trùng mã.", "Two steps have the same key."),
    ("handling.workflow_step_name", "Bước cần có tên (tối đa 200 ký tự).", "A step needs a name (at most 200 characters)."),
    ("handling.workflow_role", "Vai trò của bước phải là tiếp nhận, xử lý, phê duyệt hoặc trả kết quả.", "A step's role is receiver, handler, approver or returner."),
    ("handling.workflow_unit", "Nơi thực hiện bước phải là Bộ phận Một cửa hoặc phòng ban.", "A step is done at the one-stop unit or a department."),
    ("handling.workflow_shares", "Tỷ lệ thời gian của các bước phải cộng lại đúng 100%.", "The steps' shares of the time must add up to 100%."),
    ("handling.workflow_no_action", "Mỗi bước cần từ 1 đến 12 thao tác.", "Each step needs 1 to 12 actions."),
    ("handling.workflow_action_kind", "Thao tác không có trong danh sách.", "Unknown action."),
    ("handling.workflow_action_twice", "Thao tác bị lặp lại.", "The same action twice."),
    ("handling.workflow_action_target", "Thao tác chuyển đến một bước không có (hoặc chính nó); thao tác kết thúc không có bước đến.", "The action leads to a step that does not exist (or to itself); ending actions lead nowhere."),
    ("handling.workflow_send_back", "\"Trả lại\" chỉ về một bước trước đó.", "\"Send back\" goes to an earlier step only."),
    ("handling.workflow_first_step", "Bước đầu tiên là tiếp nhận tại Bộ phận Một cửa và có thao tác tiếp nhận.", "The first step is receipt at the one-stop unit, with an accept action."),
    ("handling.workflow_receipt_only", "Tiếp nhận và từ chối tiếp nhận chỉ có ở bước đầu tiên.", "Accept and refuse belong to the first step only."),
    ("handling.workflow_no_result", "Quy trình cần có bước phê duyệt kết quả và bước trả kết quả.", "The workflow needs an approval and a result return."),
    ("handling.workflow_unreachable", "Không có đường nào đến bước này từ bước đầu.", "No path leads to this step from the first."),
    ("handling.workflow_no_end", "Từ bước này không có đường nào đến kết thúc.", "No path leads from this step to an end."),
];

/// Every message table of this context.
pub fn message_tables() -> Vec<&'static [motcua_kernel::i18n::Message]> {
    vec![MESSAGES]
}
