//! Civil-servant provisioning by ministries (R-ID-6…8).
//!
//! - The operator keeps the data: ministries, their work units and their
//!   catalog of functions (the permissions a civil servant can be given),
//!   the legal bases with their deadlines in working days, and which
//!   accounts manage which ministry's requests (role `ministry_manager`).
//! - A ministry manager submits a request: a legal basis and a list of
//!   persons (full name, job title, work unit, email, permissions), typed
//!   in a form or uploaded as CSV/XLSX ([`upload`]). Every row is checked;
//!   one bad row stores nothing. The deadline is counted in working days
//!   from receipt (R-OP-3).
//! - The operator decides per person: grant (the account is created in the
//!   same transaction, with a generated username and initial password) or
//!   refuse with a reason. When no one is left pending, the written notice
//!   ([`pdf`]) is made, stored sealed (AES-256-GCM), and the managers are
//!   mailed that it is ready — without passwords.
use crate::store::provisioning::{self as store, Ministry, NewPerson, Person, Request};
use crate::NswContext;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use hmac::{Hmac, Mac};
use motcua_domain::account::parse_full_name;
use motcua_domain::text::fold;
use motcua_domain::{
    AccountId, Email, FunctionId, Millis, MinistryId, PersonId, ProvisioningRequestId,
    ProvisioningStatus, Role, Username, WorkUnitId, DAY,
};
use motcua_identity::directory::{self, Account};
use motcua_identity::service::{self, NewAccountInput, Origin, ServiceError};
use motcua_kernel::blobs;
use motcua_kernel::i18n::Catalog;
use motcua_mail::{Locale, Template};
use motcua_store::{audit, AnyConnection, StoreError};
use rand::Rng;
use sha2::Sha256;

pub mod pdf;
pub mod upload;

/// This module's user-facing messages (key, Vietnamese, English).
pub const MESSAGES: &[motcua_kernel::i18n::Message] = &[
    ("role.ministry_manager", "Quản lý tài khoản của Bộ", "Ministry account manager"),
    ("flash.ministry_saved", "Đã lưu thay đổi.", "Changes saved."),
    ("flash.provisioning_submitted", "Đã tiếp nhận yêu cầu. Đơn vị quản lý Cổng sẽ xử lý trong thời hạn và thông báo kết quả bằng văn bản.", "The request is received. The Portal Management Unit will decide within the deadline and give the result in a written notice."),
    ("flash.provisioning_decided", "Đã ghi quyết định.", "Decision recorded."),
    ("flash.provisioning_completed", "Đã xử lý xong yêu cầu: văn bản thông báo đã được tạo và Bộ đã được báo qua email.", "The request is complete: the notice is made and the ministry was told by email."),
    ("nav.ministry_requests", "Cấp tài khoản cán bộ", "Civil-servant accounts"),
    // Console: ministries
    ("ministries.title", "Bộ, ngành và danh mục chức năng", "Ministries and function catalogs"),
    ("ministries.lead", "Danh sách Bộ quản lý ngành, đơn vị công tác và danh mục chức năng (quyền) của từng Bộ trên Cổng; tài khoản quản lý yêu cầu của Bộ; căn cứ pháp lý và thời hạn xử lý.", "Line ministries, their work units and catalogs of functions (permissions) on the portal; the accounts that manage each ministry's requests; legal bases and deadlines."),
    ("ministries.code", "Mã Bộ", "Ministry code"),
    ("ministries.code_hint", "2–20 ký tự: chữ thường không dấu, số, gạch ngang; dùng làm hậu tố tên đăng nhập (ví dụ: bct).", "2–20 characters: lower-case letters, digits, hyphen; used as the username suffix (e.g. bct)."),
    ("ministries.name", "Tên Bộ", "Ministry name"),
    ("ministries.none", "Chưa có Bộ nào.", "No ministry yet."),
    ("ministries.create", "Thêm Bộ", "Add a ministry"),
    ("ministries.save", "Lưu", "Save"),
    ("ministries.units", "Đơn vị công tác", "Work units"),
    ("ministries.unit_name", "Tên đơn vị", "Unit name"),
    ("ministries.add_unit", "Thêm đơn vị", "Add a unit"),
    ("ministries.functions", "Danh mục chức năng (quyền)", "Function catalog (permissions)"),
    ("ministries.function_code", "Mã chức năng", "Function code"),
    ("ministries.function_code_hint", "2–40 ký tự: chữ thường không dấu, số, dấu chấm, gạch dưới, gạch ngang (ví dụ: tra_cuu).", "2–40 characters: lower-case letters, digits, dot, underscore, hyphen (e.g. tra_cuu)."),
    ("ministries.function_name", "Tên chức năng", "Function name"),
    ("ministries.add_function", "Thêm chức năng", "Add a function"),
    ("ministries.remove", "Xóa", "Remove"),
    ("ministries.rename", "Đổi tên", "Rename"),
    ("ministries.managers", "Tài khoản quản lý yêu cầu của Bộ", "Accounts managing the ministry's requests"),
    ("ministries.manager_username", "Tên đăng nhập của tài khoản", "Username of the account"),
    ("ministries.add_manager", "Giao quản lý", "Make manager"),
    ("ministries.none_items", "Chưa có.", "None yet."),
    ("ministries.bases", "Căn cứ pháp lý và thời hạn xử lý", "Legal bases and deadlines"),
    ("ministries.basis", "Căn cứ pháp lý", "Legal basis"),
    ("ministries.working_days", "Số ngày làm việc", "Working days"),
    ("ministries.basis_ministries", "Áp dụng cho Bộ (mã, cách nhau bởi dấu cách; để trống: mọi Bộ)", "Applies to ministries (codes separated by spaces; empty: every ministry)"),
    ("ministries.all", "Mọi Bộ", "Every ministry"),
    ("ministries.error_code", "Mã Bộ gồm 2–20 ký tự: chữ thường không dấu, số, gạch ngang.", "A ministry code has 2–20 characters: lower-case letters, digits, hyphen."),
    ("ministries.error_code_taken", "Mã Bộ này đã có.", "This ministry code already exists."),
    ("ministries.error_name", "Vui lòng nhập tên (2–200 ký tự).", "Please enter a name (2–200 characters)."),
    ("ministries.error_unit_taken", "Bộ đã có đơn vị công tác với tên này.", "The ministry already has a work unit of this name."),
    ("ministries.error_unit_in_use", "Không xóa được: đơn vị này đã có trong yêu cầu cấp tài khoản hoặc tài khoản đã cấp.", "Cannot remove: this unit appears in requests or granted accounts."),
    ("ministries.error_function_code", "Mã chức năng gồm 2–40 ký tự: chữ thường không dấu, số, dấu chấm, gạch dưới, gạch ngang.", "A function code has 2–40 characters: lower-case letters, digits, dot, underscore, hyphen."),
    ("ministries.error_function_taken", "Danh mục đã có chức năng với mã này.", "The catalog already has a function with this code."),
    ("ministries.error_manager_unknown", "Không có tài khoản đang hoạt động với tên đăng nhập này.", "No active account has this username."),
    ("ministries.error_manager_taken", "Tài khoản này đã quản lý yêu cầu của một Bộ.", "This account already manages a ministry's requests."),
    ("ministries.error_days", "Số ngày làm việc từ 1 đến 60.", "Working days from 1 to 60."),
    ("ministries.error_basis_ministries", "Có mã Bộ không tồn tại.", "A ministry code does not exist."),
    // Requests (both sides)
    ("provisioning.title", "Cấp tài khoản cán bộ, công chức", "Civil-servant accounts"),
    ("provisioning.lead", "Yêu cầu của Bộ về cấp tài khoản cho cán bộ, công chức; Đơn vị quản lý Cổng xử lý trong thời hạn theo căn cứ pháp lý và thông báo kết quả bằng văn bản.", "A ministry's requests for civil-servant accounts; the Portal Management Unit decides within the legal deadline and gives the result in a written notice."),
    ("provisioning.requests", "Yêu cầu đã gửi", "Requests sent"),
    ("provisioning.new", "Gửi yêu cầu cấp tài khoản", "Request accounts"),
    ("provisioning.none", "Chưa có yêu cầu nào.", "No request yet."),
    ("provisioning.reference", "Mã yêu cầu", "Reference"),
    ("provisioning.ministry", "Bộ", "Ministry"),
    ("provisioning.legal_basis", "Căn cứ pháp lý", "Legal basis"),
    ("provisioning.received_at", "Tiếp nhận", "Received"),
    ("provisioning.due_at", "Hạn xử lý", "Deadline"),
    ("provisioning.status", "Trạng thái", "Status"),
    ("provisioning.status_open", "Đang xử lý", "In progress"),
    ("provisioning.status_completed", "Đã có kết quả", "Completed"),
    ("provisioning.persons", "Số người", "Persons"),
    ("provisioning.result", "Kết quả", "Result"),
    ("provisioning.result_counts", "{g} được cấp, {r} không chấp thuận", "{g} granted, {r} refused"),
    ("provisioning.row", "Dòng", "Row"),
    ("provisioning.full_name", "Họ và tên", "Full name"),
    ("provisioning.job_title", "Chức danh", "Job title"),
    ("provisioning.work_unit", "Đơn vị công tác", "Work unit"),
    ("provisioning.email", "Email", "Email"),
    ("provisioning.permissions", "Quyền", "Permissions"),
    ("provisioning.decision", "Quyết định", "Decision"),
    ("provisioning.decision_pending", "Chờ xử lý", "Pending"),
    ("provisioning.decision_granted", "Cấp tài khoản", "Granted"),
    ("provisioning.decision_refused", "Không chấp thuận", "Refused"),
    ("provisioning.username", "Tên đăng nhập", "Username"),
    ("provisioning.reason", "Lý do", "Reason"),
    ("provisioning.notice", "Văn bản thông báo kết quả (PDF)", "Written notice of the result (PDF)"),
    ("provisioning.notice_hint", "Văn bản có tên đăng nhập và mật khẩu ban đầu: chỉ tải về máy tin cậy và giao trực tiếp cho từng người.", "The notice holds usernames and initial passwords: download it only to a trusted device and hand each person their own."),
    ("provisioning.download", "Tải văn bản thông báo", "Download the notice"),
    ("provisioning.left", "còn {d} ngày làm việc ({h} giờ làm việc)", "{d} working days left ({h} working hours)"),
    ("provisioning.overdue", "quá hạn {d} ngày làm việc ({h} giờ làm việc)", "overdue by {d} working days ({h} working hours)"),
    ("provisioning.no_ministry", "Tài khoản của bạn chưa được giao quản lý yêu cầu của Bộ nào. Vui lòng liên hệ Đơn vị quản lý Cổng.", "Your account does not manage any ministry's requests yet. Please contact the Portal Management Unit."),
    // The manager's form
    ("provisioning.form_title", "Yêu cầu cấp tài khoản cán bộ, công chức", "Request civil-servant accounts"),
    ("provisioning.form_lead", "Nhập danh sách người cần cấp tài khoản, hoặc tải lên tệp CSV/XLSX. Mọi dòng được kiểm tra; nếu có lỗi, không dòng nào được lưu.", "Enter the persons to create accounts for, or upload a CSV/XLSX file. Every row is checked; if any has an error, nothing is stored."),
    ("provisioning.choose_basis", "Chọn căn cứ pháp lý", "Choose the legal basis"),
    ("provisioning.basis_days", "{days} ngày làm việc", "{days} working days"),
    ("provisioning.by_form", "Nhập trực tiếp", "Enter the list"),
    ("provisioning.more_rows", "Thêm dòng", "Add a row"),
    ("provisioning.submit", "Gửi yêu cầu", "Send the request"),
    ("provisioning.by_file", "Hoặc tải lên tệp danh sách", "Or upload a list"),
    ("provisioning.file", "Tệp CSV (UTF-8) hoặc XLSX, tối đa 2 MB", "CSV (UTF-8) or XLSX file, at most 2 MB"),
    ("provisioning.file_help", "Các cột theo thứ tự: ho_ten, chuc_danh, don_vi_cong_tac, email, quyen. Dòng tiêu đề (tiếng Việt hoặc tiếng Anh) có thể có hoặc không. Cột quyen: các mã chức năng cách nhau bởi dấu chấm phẩy (;). Tên đơn vị công tác phải có trong danh sách của Bộ (không phân biệt hoa thường, dấu).", "Columns in order: ho_ten, chuc_danh, don_vi_cong_tac, email, quyen (full name, job title, work unit, email, permissions). A header row (Vietnamese or English) is optional. quyen: function codes separated by semicolons (;). The work unit must be one of the ministry's (case and diacritics ignored)."),
    ("provisioning.upload", "Tải lên và gửi yêu cầu", "Upload and send the request"),
    ("provisioning.catalog", "Danh mục chức năng của Bộ", "The ministry's function catalog"),
    ("provisioning.units_list", "Đơn vị công tác của Bộ", "The ministry's work units"),
    ("provisioning.errors", "Yêu cầu chưa được gửi. Vui lòng sửa các lỗi sau:", "The request was not sent. Please fix the following:"),
    ("provisioning.choose_unit", "— Chọn đơn vị —", "— Choose a unit —"),
    ("provisioning.not_ready", "Bộ chưa có đơn vị công tác hoặc danh mục chức năng. Vui lòng liên hệ Đơn vị quản lý Cổng.", "The ministry has no work units or no function catalog yet. Please contact the Portal Management Unit."),
    // Row and file problems
    ("provisioning.row_prefix", "Dòng {row}: ", "Row {row}: "),
    ("provisioning.err_full_name", "họ và tên là bắt buộc (tối đa 200 ký tự)", "the full name is required (200 characters at most)"),
    ("provisioning.err_job_title", "chức danh là bắt buộc (tối đa 200 ký tự)", "the job title is required (200 characters at most)"),
    ("provisioning.err_work_unit_missing", "đơn vị công tác là bắt buộc", "the work unit is required"),
    ("provisioning.err_work_unit_unknown", "đơn vị công tác '{value}' không có trong danh sách đơn vị của {ministry}", "work unit '{value}' is not one of the units of {ministry}"),
    ("provisioning.err_email", "email không hợp lệ ('{value}')", "the email is not valid ('{value}')"),
    ("provisioning.err_email_duplicate", "email '{value}' trùng với dòng {other}", "email '{value}' repeats row {other}"),
    ("provisioning.err_email_in_use", "email '{value}' đã được dùng cho một tài khoản trên Cổng", "email '{value}' is already used by an account on the portal"),
    ("provisioning.err_permissions_missing", "chưa có quyền nào", "no permission given"),
    ("provisioning.err_permission_unknown", "quyền '{value}' không có trong danh mục chức năng của {ministry}", "permission '{value}' is not in the function catalog of {ministry}"),
    ("provisioning.err_file_missing", "Vui lòng chọn tệp CSV hoặc XLSX.", "Please choose a CSV or XLSX file."),
    ("provisioning.err_file_size", "Tệp quá lớn: tối đa 2 MB.", "The file is too large: 2 MB at most."),
    ("provisioning.err_file_type", "Tệp phải là CSV (UTF-8) hoặc Excel XLSX; nội dung tệp đã gửi không đúng định dạng của tên tệp.", "The file must be CSV (UTF-8) or Excel XLSX; the content of the file sent does not match its name."),
    ("provisioning.err_csv_encoding", "Tệp CSV phải được lưu với bảng mã UTF-8.", "The CSV file must be saved as UTF-8."),
    ("provisioning.err_csv_malformed", "Dòng {row}: không đọc được dòng CSV (thiếu dấu ngoặc kép đóng?).", "Row {row}: the CSV line cannot be read (a missing closing quote?)."),
    ("provisioning.err_xlsx_unreadable", "Không đọc được tệp XLSX (tệp hỏng hoặc không có trang tính).", "The XLSX file cannot be read (damaged, or no sheet)."),
    ("provisioning.err_column", "Dòng tiêu đề thiếu cột {value}.", "The header row lacks the column {value}."),
    ("provisioning.err_empty", "Danh sách không có người nào.", "The list has no one in it."),
    ("provisioning.err_too_many", "Mỗi yêu cầu tối đa 200 người.", "At most 200 persons per request."),
    ("provisioning.err_basis", "Vui lòng chọn căn cứ pháp lý áp dụng cho Bộ.", "Please choose a legal basis that applies to the ministry."),
    // Operator review
    ("provisioning.queue", "Yêu cầu đang chờ xử lý (theo hạn)", "Open requests (by deadline)"),
    ("provisioning.done", "Yêu cầu đã có kết quả", "Completed requests"),
    ("provisioning.views", "Danh sách yêu cầu", "Request lists"),
    ("provisioning.open_view", "Đang xử lý", "Open"),
    ("provisioning.open", "Xem và xử lý", "Review"),
    ("provisioning.grant", "Cấp tài khoản", "Grant"),
    ("provisioning.refuse", "Không chấp thuận", "Refuse"),
    ("provisioning.refuse_reason", "Lý do không chấp thuận (3–500 ký tự)", "Reason for refusing (3–500 characters)"),
    ("provisioning.error_reason", "Vui lòng nhập lý do không chấp thuận (3–500 ký tự).", "Please give the reason for refusing (3–500 characters)."),
    ("provisioning.error_decided", "Người này đã được quyết định trước đó; không có gì thay đổi.", "This person was already decided; nothing changed."),
    ("provisioning.error_email_taken", "Email của người này đã được dùng cho một tài khoản khác (có thể qua yêu cầu khác); không cấp được tài khoản thứ hai. Hãy từ chối kèm lý do.", "This person's email is already used by another account (perhaps through another request); a second account cannot be granted. Refuse it with a reason."),
    ("provisioning.error_closed", "Yêu cầu này đã có kết quả; không có gì thay đổi.", "This request is already completed; nothing changed."),
    ("provisioning.source", "Hình thức", "Source"),
    ("provisioning.source_form", "Nhập trên Cổng", "Entered on the portal"),
    ("provisioning.source_csv", "Tệp CSV", "CSV file"),
    ("provisioning.source_xlsx", "Tệp XLSX", "XLSX file"),
    ("provisioning.uploaded_file", "Tải tệp đã nộp", "Download the uploaded file"),
    // Mail texts (the mail templates get them already localized)
    ("provisioning.mail_new_subject", "Yêu cầu cấp tài khoản mới {reference}", "New account request {reference}"),
    ("provisioning.mail_new_heading", "Có yêu cầu cấp tài khoản mới", "A new account request"),
    ("provisioning.mail_new_body", "{ministry} đã gửi yêu cầu cấp tài khoản cho {n} cán bộ, công chức. Vui lòng xem xét và quyết định trong thời hạn.", "{ministry} asks for accounts for {n} civil servants. Please review and decide within the deadline."),
    ("provisioning.mail_done_subject", "Kết quả cấp tài khoản {reference}", "Account request result {reference}"),
    ("provisioning.mail_done_heading", "Đã có kết quả cấp tài khoản", "The account request is decided"),
    ("provisioning.mail_done_body", "Đơn vị quản lý Cổng đã xử lý yêu cầu cấp tài khoản của {ministry}. Văn bản thông báo kết quả, gồm tên đăng nhập và mật khẩu ban đầu, đã sẵn sàng trên Cổng.\n\nVì lý do an toàn, thư này không chứa mật khẩu: vui lòng đăng nhập Cổng để tải văn bản.", "The Portal Management Unit has decided the account request of {ministry}. The written notice of the result, with the usernames and initial passwords, is ready on the portal.\n\nFor safety this mail holds no password: please log in to the portal to download the notice."),
    ("provisioning.mail_granted", "Tài khoản được cấp", "Accounts granted"),
    ("provisioning.mail_refused", "Không chấp thuận", "Refused"),
    ("provisioning.mail_open", "Mở yêu cầu", "Open the request"),
];

// ---------------------------------------------------------------------------
// Sealing: AES-256-GCM with a key derived from the secret key
// ---------------------------------------------------------------------------

fn seal_key(state: &NswContext, label: &str) -> Result<Aes256Gcm, ServiceError> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&state.config.secret_key)
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    mac.update(b"motcua-seal-v1|");
    mac.update(label.as_bytes());
    let key = mac.finalize().into_bytes();
    Aes256Gcm::new_from_slice(&key).map_err(|e| ServiceError::Internal(e.to_string()))
}

const SEAL_MAGIC: &[u8] = b"MSL1";

/// Encrypts `msg`; `aad` binds it to what it belongs to (it cannot be
/// moved to another request or person).
pub fn seal(
    state: &NswContext,
    label: &str,
    aad: &str,
    msg: &[u8],
) -> Result<Vec<u8>, ServiceError> {
    let cipher = seal_key(state, label)?;
    let mut nonce = [0u8; 12];
    rand::rng().fill_bytes(&mut nonce);
    let ct = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg,
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| ServiceError::Internal("seal failed".into()))?;
    let mut out = Vec::with_capacity(SEAL_MAGIC.len() + nonce.len() + ct.len());
    out.extend_from_slice(SEAL_MAGIC);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Decrypts what [`seal`] made with the same label and `aad`.
pub fn unseal(
    state: &NswContext,
    label: &str,
    aad: &str,
    sealed: &[u8],
) -> Result<Vec<u8>, ServiceError> {
    let body = sealed
        .strip_prefix(SEAL_MAGIC)
        .filter(|b| b.len() > 12)
        .ok_or_else(|| ServiceError::Internal("not a sealed blob".into()))?;
    let (nonce, ct) = body.split_at(12);
    seal_key(state, label)?
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ct,
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| ServiceError::Internal("cannot unseal (wrong secret key?)".into()))
}

const NOTICE_LABEL: &str = "provisioning-notice";
const PASSWORD_LABEL: &str = "provisioning-password";
const SEALED_TYPE: &str = "application/vnd.motcua.sealed";

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

// ---------------------------------------------------------------------------
// Operator data: ministries, work units, functions, managers, legal bases
// ---------------------------------------------------------------------------

fn clean(s: &str, max: usize) -> Option<String> {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let n = s.chars().count();
    (n >= 2 && n <= max && !s.chars().any(char::is_control)).then_some(s)
}

fn ministry_target(id: MinistryId) -> String {
    format!("ministry:{id}")
}

pub fn request_target(id: ProvisioningRequestId) -> String {
    format!("provisioning:{id}")
}

async fn audited(
    c: &mut AnyConnection,
    origin: &Origin,
    action: &str,
    target: &str,
    detail: serde_json::Value,
    now: Millis,
) -> Result<(), ServiceError> {
    audit::append(c, &origin.audit, action, target, &detail.to_string(), now).await?;
    Ok(())
}

pub async fn create_ministry(
    state: &NswContext,
    origin: &Origin,
    code: &str,
    name: &str,
) -> Result<MinistryId, ServiceError> {
    let code = code.trim().to_ascii_lowercase();
    let ok = (2..=20).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && code.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    if !ok {
        return Err(ServiceError::invalid("ministries.error_code"));
    }
    let name = clean(name, 200).ok_or(ServiceError::invalid("ministries.error_name"))?;
    let now = state.now();
    let mut tx = state.store.begin().await?;
    let id = match store::create_ministry(&mut tx, &code, &name, now).await {
        Ok(id) => id,
        Err(StoreError::Conflict(_)) => {
            return Err(ServiceError::invalid("ministries.error_code_taken"))
        }
        Err(e) => return Err(e.into()),
    };
    audited(
        &mut tx,
        origin,
        "ministry.create",
        &ministry_target(id),
        serde_json::json!({ "code": code, "name": name }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

async fn ministry_or_404(c: &mut AnyConnection, id: MinistryId) -> Result<Ministry, ServiceError> {
    store::ministry(c, id).await?.ok_or(ServiceError::NotFound)
}

pub async fn rename_ministry(
    state: &NswContext,
    origin: &Origin,
    id: MinistryId,
    name: &str,
) -> Result<(), ServiceError> {
    let name = clean(name, 200).ok_or(ServiceError::invalid("ministries.error_name"))?;
    let now = state.now();
    let mut tx = state.store.begin().await?;
    let before = ministry_or_404(&mut tx, id).await?;
    store::rename_ministry(&mut tx, id, &name, now).await?;
    audited(
        &mut tx,
        origin,
        "ministry.rename",
        &ministry_target(id),
        serde_json::json!({ "before": before.name, "after": name }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What an operator does to a ministry's work units and functions.
#[derive(Debug, Clone)]
pub enum CatalogChange {
    AddUnit { name: String },
    RenameUnit { id: WorkUnitId, name: String },
    RemoveUnit { id: WorkUnitId },
    AddFunction { code: String, name: String },
    RenameFunction { id: FunctionId, name: String },
    RemoveFunction { id: FunctionId },
}

pub async fn change_catalog(
    state: &NswContext,
    origin: &Origin,
    ministry_id: MinistryId,
    change: &CatalogChange,
) -> Result<(), ServiceError> {
    use CatalogChange::*;
    let now = state.now();
    let mut tx = state.store.begin().await?;
    ministry_or_404(&mut tx, ministry_id).await?;
    let unit_conflict = |e: StoreError| match e {
        StoreError::Conflict(_) => ServiceError::invalid("ministries.error_unit_taken"),
        e => e.into(),
    };
    let (action, detail) = match change {
        AddUnit { name } => {
            let name = clean(name, 200).ok_or(ServiceError::invalid("ministries.error_name"))?;
            let id = store::add_work_unit(&mut tx, ministry_id, &name, &fold(&name), now)
                .await
                .map_err(unit_conflict)?;
            (
                "ministry.unit_add",
                serde_json::json!({ "unit_id": id, "name": name }),
            )
        }
        RenameUnit { id, name } => {
            let name = clean(name, 200).ok_or(ServiceError::invalid("ministries.error_name"))?;
            if !store::rename_work_unit(&mut tx, ministry_id, *id, &name, &fold(&name))
                .await
                .map_err(unit_conflict)?
            {
                return Err(ServiceError::NotFound);
            }
            (
                "ministry.unit_rename",
                serde_json::json!({ "unit_id": id, "name": name }),
            )
        }
        RemoveUnit { id } => {
            match store::remove_work_unit(&mut tx, ministry_id, *id).await {
                Ok(true) => {}
                Ok(false) => return Err(ServiceError::NotFound),
                Err(StoreError::Conflict(_)) => {
                    return Err(ServiceError::invalid("ministries.error_unit_in_use"))
                }
                Err(e) => return Err(e.into()),
            }
            ("ministry.unit_remove", serde_json::json!({ "unit_id": id }))
        }
        AddFunction { code, name } => {
            let code = code.trim().to_ascii_lowercase();
            let ok = (2..=40).contains(&code.len())
                && code.chars().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
                });
            if !ok {
                return Err(ServiceError::invalid("ministries.error_function_code"));
            }
            let name = clean(name, 200).ok_or(ServiceError::invalid("ministries.error_name"))?;
            let id = match store::add_function(&mut tx, ministry_id, &code, &name, now).await {
                Ok(id) => id,
                Err(StoreError::Conflict(_)) => {
                    return Err(ServiceError::invalid("ministries.error_function_taken"))
                }
                Err(e) => return Err(e.into()),
            };
            (
                "ministry.function_add",
                serde_json::json!({ "function_id": id, "code": code, "name": name }),
            )
        }
        RenameFunction { id, name } => {
            let name = clean(name, 200).ok_or(ServiceError::invalid("ministries.error_name"))?;
            if !store::rename_function(&mut tx, ministry_id, *id, &name).await? {
                return Err(ServiceError::NotFound);
            }
            (
                "ministry.function_rename",
                serde_json::json!({ "function_id": id, "name": name }),
            )
        }
        RemoveFunction { id } => {
            if !store::remove_function(&mut tx, ministry_id, *id).await? {
                return Err(ServiceError::NotFound);
            }
            (
                "ministry.function_remove",
                serde_json::json!({ "function_id": id }),
            )
        }
    };
    audited(
        &mut tx,
        origin,
        action,
        &ministry_target(ministry_id),
        detail,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Makes an existing account the manager of a ministry's requests (it gets
/// the `ministry_manager` role).
pub async fn add_manager(
    state: &NswContext,
    origin: &Origin,
    ministry_id: MinistryId,
    username: &str,
) -> Result<AccountId, ServiceError> {
    let now = state.now();
    let mut tx = state.store.begin().await?;
    ministry_or_404(&mut tx, ministry_id).await?;
    let account = directory::account_by_username(&mut tx, username)
        .await?
        .filter(|a| a.status == motcua_domain::AccountStatus::Active)
        .ok_or(ServiceError::invalid("ministries.error_manager_unknown"))?;
    match store::add_manager(&mut tx, account.id, ministry_id, now).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            return Err(ServiceError::invalid("ministries.error_manager_taken"))
        }
        Err(e) => return Err(e.into()),
    }
    directory::grant_role(&mut tx, account.id, Role::MinistryManager).await?;
    audited(
        &mut tx,
        origin,
        "ministry.manager_add",
        &service::account_target(account.id),
        serde_json::json!({ "ministry_id": ministry_id, "username": account.username }),
        now,
    )
    .await?;
    motcua_identity::events::emit_account(&mut tx, state, "account.updated", account.id, None, now)
        .await?;
    tx.commit().await?;
    state.events_notify.notify_one();
    Ok(account.id)
}

pub async fn remove_manager(
    state: &NswContext,
    origin: &Origin,
    ministry_id: MinistryId,
    account_id: AccountId,
) -> Result<(), ServiceError> {
    let now = state.now();
    let mut tx = state.store.begin().await?;
    if !store::remove_manager(&mut tx, account_id, ministry_id).await? {
        return Err(ServiceError::NotFound);
    }
    directory::withdraw_role(&mut tx, account_id, Role::MinistryManager).await?;
    audited(
        &mut tx,
        origin,
        "ministry.manager_remove",
        &service::account_target(account_id),
        serde_json::json!({ "ministry_id": ministry_id }),
        now,
    )
    .await?;
    motcua_identity::events::emit_account(&mut tx, state, "account.updated", account_id, None, now)
        .await?;
    tx.commit().await?;
    state.events_notify.notify_one();
    Ok(())
}

/// Changes a legal basis's deadline and the ministries it applies to.
pub async fn update_legal_basis(
    state: &NswContext,
    origin: &Origin,
    code: &str,
    working_days: &str,
    ministries: &str,
) -> Result<(), ServiceError> {
    let days: i64 = working_days
        .trim()
        .parse()
        .ok()
        .filter(|d| (1..=60).contains(d))
        .ok_or(ServiceError::invalid("ministries.error_days"))?;
    let now = state.now();
    let mut tx = state.store.begin().await?;
    let before = store::legal_basis(&mut tx, code)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let known: Vec<String> = store::ministries(&mut tx)
        .await?
        .into_iter()
        .map(|m| m.code)
        .collect();
    let mut codes: Vec<String> = ministries
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .filter(|s| !s.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    codes.sort();
    codes.dedup();
    if codes.iter().any(|c| !known.contains(c)) {
        return Err(ServiceError::invalid("ministries.error_basis_ministries"));
    }
    let list = codes.join(" ");
    store::update_legal_basis(&mut tx, code, days, &list, now).await?;
    audited(
        &mut tx,
        origin,
        "legal_basis.update",
        &format!("legal_basis:{code}"),
        serde_json::json!({
            "before": { "working_days": before.working_days, "ministries": before.ministries },
            "after": { "working_days": days, "ministries": list },
        }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Submitting a request
// ---------------------------------------------------------------------------

/// One person as entered (form row or file row), not yet checked.
pub type PersonInput = upload::RawRow;

/// A problem with the list: a row's field, or the whole list (`row` 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub row: i64,
    pub key: &'static str,
    pub value: String,
    pub other: i64,
}

impl Problem {
    fn list(key: &'static str) -> Problem {
        Problem {
            row: 0,
            key,
            value: String::new(),
            other: 0,
        }
    }

    fn at(row: i64, key: &'static str, value: &str) -> Problem {
        Problem {
            row,
            key,
            value: value.chars().take(80).collect(),
            other: 0,
        }
    }

    pub fn from_file(e: &upload::FileError) -> Problem {
        match e {
            upload::FileError::Malformed(row) => Problem {
                row: 0,
                key: e.key(),
                value: String::new(),
                other: *row,
            },
            upload::FileError::MissingColumn(c) => Problem::at(0, e.key(), c),
            _ => Problem::list(e.key()),
        }
    }

    /// The message in the reader's language.
    pub fn text(&self, cat: &Catalog, locale: Locale, ministry: &str) -> String {
        let msg = cat
            .get(locale, self.key)
            .replace("{value}", &self.value)
            .replace("{other}", &self.other.to_string())
            .replace("{row}", &self.other.to_string())
            .replace("{ministry}", ministry);
        if self.row > 0 {
            format!(
                "{}{msg}",
                cat.get(locale, "provisioning.row_prefix")
                    .replace("{row}", &self.row.to_string())
            )
        } else {
            msg
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("{} problems in the list", .0.len())]
    Problems(Vec<Problem>),
    #[error("{0}")]
    Service(#[from] ServiceError),
}

impl From<StoreError> for SubmitError {
    fn from(e: StoreError) -> Self {
        SubmitError::Service(e.into())
    }
}

impl From<motcua_store::DbError> for SubmitError {
    fn from(e: motcua_store::DbError) -> Self {
        SubmitError::Service(e.into())
    }
}

/// Splits a permissions cell: codes separated by `;`, `,` or spaces.
pub fn split_permissions(s: &str) -> Vec<String> {
    let mut v: Vec<String> = s
        .split(|c: char| c == ';' || c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .map(str::to_lowercase)
        .collect();
    v.dedup();
    v
}

/// Checks every row against the ministry's units and catalog; all
/// problems at once.
async fn check_rows(
    c: &mut AnyConnection,
    ministry: &Ministry,
    rows: &[PersonInput],
) -> Result<Result<Vec<NewPerson>, Vec<Problem>>, StoreError> {
    if rows.is_empty() {
        return Ok(Err(vec![Problem::list("provisioning.err_empty")]));
    }
    if rows.len() > upload::MAX_ROWS {
        return Ok(Err(vec![Problem::list("provisioning.err_too_many")]));
    }
    let units = store::work_units(c, ministry.id).await?;
    let functions = store::functions(c, ministry.id).await?;
    let mut problems = Vec::new();
    let mut out = Vec::new();
    let mut seen: Vec<(String, i64)> = Vec::new();
    for r in rows {
        let n = r.row_no;
        let full_name = parse_full_name(&r.full_name).ok();
        if full_name.is_none() {
            problems.push(Problem::at(n, "provisioning.err_full_name", &r.full_name));
        }
        let job_title = clean(&r.job_title, 200).or_else(|| {
            let t = r.job_title.trim();
            (t.chars().count() == 1).then(|| t.to_string())
        });
        if job_title.is_none() {
            problems.push(Problem::at(n, "provisioning.err_job_title", &r.job_title));
        }
        let unit = if r.work_unit.trim().is_empty() {
            problems.push(Problem::at(n, "provisioning.err_work_unit_missing", ""));
            None
        } else {
            let key = fold(&r.work_unit);
            let u = units.iter().find(|u| u.name_key == key);
            if u.is_none() {
                problems.push(Problem::at(
                    n,
                    "provisioning.err_work_unit_unknown",
                    r.work_unit.trim(),
                ));
            }
            u
        };
        let email = match Email::parse(&r.email) {
            Ok(e) => {
                let lower = e.as_str().to_lowercase();
                if let Some((_, first)) = seen.iter().find(|(s, _)| *s == lower) {
                    problems.push(Problem {
                        other: *first,
                        ..Problem::at(n, "provisioning.err_email_duplicate", e.as_str())
                    });
                } else {
                    seen.push((lower, n));
                    if directory::email_in_use(c, e.as_str()).await? {
                        problems.push(Problem::at(n, "provisioning.err_email_in_use", e.as_str()));
                    }
                }
                Some(e)
            }
            Err(_) => {
                problems.push(Problem::at(n, "provisioning.err_email", r.email.trim()));
                None
            }
        };
        let perms = split_permissions(&r.permissions);
        if perms.is_empty() {
            problems.push(Problem::at(n, "provisioning.err_permissions_missing", ""));
        }
        for p in &perms {
            if !functions.iter().any(|f| &f.code == p) {
                problems.push(Problem::at(n, "provisioning.err_permission_unknown", p));
            }
        }
        if let (Some(full_name), Some(job_title), Some(unit), Some(email)) =
            (full_name, job_title, unit, email)
        {
            out.push(NewPerson {
                row_no: n,
                full_name,
                job_title,
                work_unit_id: Some(unit.id),
                work_unit: unit.name.clone(),
                email: email.to_string(),
                permissions: perms.join(" "),
            });
        }
    }
    Ok(if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    })
}

/// An uploaded list, kept with the request.
pub struct Upload {
    pub kind: upload::Kind,
    pub data: Vec<u8>,
}

/// What a manager's submission produced.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub id: ProvisioningRequestId,
    pub reference: String,
    pub due_at: Millis,
}

/// The ministry whose requests this account manages (only for holders of
/// the `ministry_manager` role).
pub async fn managed_ministry(
    c: &mut AnyConnection,
    account: &Account,
) -> Result<Option<Ministry>, StoreError> {
    if !account.has_role(Role::MinistryManager) {
        return Ok(None);
    }
    match store::managed_ministry(c, account.id).await? {
        Some(id) => store::ministry(c, id).await,
        None => Ok(None),
    }
}

/// A manager submits a request for their ministry (R-ID-6). Nothing is
/// stored unless every row is valid.
pub async fn submit_request(
    state: &NswContext,
    origin: &Origin,
    manager: &Account,
    basis_code: &str,
    rows: &[PersonInput],
    file: Option<Upload>,
) -> Result<Submitted, SubmitError> {
    let (ministry, basis, persons) = {
        let mut c = state.store.conn().await?;
        let ministry = managed_ministry(&mut c, manager)
            .await?
            .ok_or(ServiceError::Forbidden)?;
        let basis = store::legal_basis(&mut c, basis_code.trim())
            .await?
            .filter(|b| b.applies_to(&ministry.code));
        let checked = check_rows(&mut c, &ministry, rows).await?;
        match (basis, checked) {
            (Some(b), Ok(p)) => (ministry, b, p),
            (b, checked) => {
                let mut problems = Vec::new();
                if b.is_none() {
                    problems.push(Problem::list("provisioning.err_basis"));
                }
                problems.extend(checked.err().unwrap_or_default());
                return Err(SubmitError::Problems(problems));
            }
        }
    };
    let now = state.now();
    let days = u32::try_from(basis.working_days.clamp(0, 365)).unwrap_or(0);
    let due_at = motcua_kernel::calendar::deadline_days(state, now, days, None).await?;
    let year = i64::from(motcua_domain::clock::vn_datetime(now).year());
    let mut tx = state.store.begin().await?;
    let n = store::next_number(&mut tx, year).await?;
    let reference = format!("CT-{year}-{n:06}");
    let upload_sha = match &file {
        Some(f) => Some(blobs::store(state, &mut tx, f.kind.content_type(), &f.data, now).await?),
        None => None,
    };
    let source = file.as_ref().map_or("form", |f| f.kind.as_str());
    let id = store::create_request(
        &mut tx,
        &store::NewRequest {
            reference: &reference,
            ministry_id: ministry.id,
            manager_account_id: manager.id,
            legal_basis: &basis.code,
            working_days: basis.working_days,
            source,
            upload_sha256: upload_sha.as_deref(),
            received_at: now,
            due_at,
        },
        now,
    )
    .await?;
    for p in &persons {
        store::add_person(&mut tx, id, p).await?;
    }
    audited(
        &mut tx,
        origin,
        "provisioning.submit",
        &request_target(id),
        serde_json::json!({
            "reference": reference, "ministry": ministry.code, "legal_basis": basis.code,
            "working_days": basis.working_days, "persons": persons.len(), "source": source,
            "upload_sha256": upload_sha, "due_at": due_at,
        }),
        now,
    )
    .await?;
    // The formal notice to the operator (R-ID-6): a mail to each operator.
    let mut recipients: Vec<(String, Locale)> = directory::operators(&mut tx)
        .await?
        .into_iter()
        .filter_map(|o| o.email.map(|e| (e, Locale::parse(&o.locale))))
        .collect();
    if let Some(e) = &state.config.operator_email {
        recipients.push((e.clone(), Locale::Vi));
    }
    recipients.sort_by(|a, b| a.0.cmp(&b.0));
    recipients.dedup_by(|a, b| a.0 == b.0);
    for (email, l) in recipients {
        let t = |k: &str| state.i18n.get(l, k);
        let mail = Template::Notice {
            full_name: String::new(),
            subject: t("provisioning.mail_new_subject").replace("{reference}", &reference),
            heading: t("provisioning.mail_new_heading").to_string(),
            body: t("provisioning.mail_new_body")
                .replace("{ministry}", &ministry.name)
                .replace("{n}", &persons.len().to_string()),
            facts: vec![
                (t("provisioning.reference").to_string(), reference.clone()),
                (
                    t("provisioning.due_at").to_string(),
                    motcua_domain::clock::format_vn(due_at),
                ),
            ],
            link_label: t("provisioning.mail_open").to_string(),
            link: format!("{}/console/provisioning/{id}", state.config.public_url),
        };
        service::queue_mail(&mut tx, state, &email, &mail, l, now).await?;
    }
    tx.commit().await?;
    state.jobs_notify.notify_one();
    Ok(Submitted {
        id,
        reference,
        due_at,
    })
}

// ---------------------------------------------------------------------------
// The operator's decisions
// ---------------------------------------------------------------------------

/// A username from a person's name, Vietnamese style: given name, then the
/// initials of family and middle names, then the ministry code
/// ("Nguyễn Văn An", bct → `annv.bct`).
pub fn username_base(full_name: &str, ministry_code: &str) -> String {
    let folded = fold(full_name);
    let words: Vec<String> = folded
        .split(' ')
        .map(|w| {
            w.chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect();
    let mut base = match words.split_last() {
        Some((given, rest)) => {
            let mut s: String = given.chars().take(20).collect();
            s.extend(rest.iter().filter_map(|w| w.chars().next()));
            s
        }
        None => String::new(),
    };
    if base.len() < 2 {
        base = "canbo".into();
    }
    base.truncate(30);
    format!("{base}.{ministry_code}")
}

/// `annv.bct`, then `annv2.bct`, `annv3.bct`, …
fn username_candidate(base: &str, k: u32) -> String {
    if k <= 1 {
        return base.to_string();
    }
    match base.split_once('.') {
        Some((name, suffix)) => format!("{name}{k}.{suffix}"),
        None => format!("{base}{k}"),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Decided; others are still pending.
    Decided,
    /// Decided, and the request is now complete (notice made).
    Completed,
}

async fn open_person(
    c: &mut AnyConnection,
    request_id: ProvisioningRequestId,
    person_id: PersonId,
) -> Result<(Request, Person), ServiceError> {
    let r = store::request(c, request_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let p = store::person(c, request_id, person_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if p.decision != "pending" {
        return Err(ServiceError::Conflict("provisioning.error_decided"));
    }
    if r.status != ProvisioningStatus::Open {
        return Err(ServiceError::Conflict("provisioning.error_closed"));
    }
    Ok((r, p))
}

/// Grants a person: creates the civil-servant account (generated username
/// and initial password) in the same transaction as the decision.
pub async fn grant(
    state: &NswContext,
    origin: &Origin,
    request_id: ProvisioningRequestId,
    person_id: PersonId,
) -> Result<Outcome, ServiceError> {
    let (r, p) = {
        let mut c = state.store.conn().await?;
        open_person(&mut c, request_id, person_id).await?
    };
    let base = username_base(&p.full_name, &r.ministry_code);
    let mut prepared = service::prepare_account(
        state,
        NewAccountInput {
            username: base.clone(),
            full_name: p.full_name.clone(),
            email: Some(p.email.clone()),
            roles: vec![Role::CivilServant],
            initial_password: None,
            locale: Some(Locale::Vi),
            permanent: false,
            ..Default::default()
        },
    )
    .await?;
    let now = state.now();
    let mut tx = state.store.begin().await?;
    match store::lock_request(&mut tx, request_id).await?.as_deref() {
        Some("open") => {}
        Some(_) => return Err(ServiceError::Conflict("provisioning.error_closed")),
        None => return Err(ServiceError::NotFound),
    }
    let (_, p) = open_person(&mut tx, request_id, person_id).await?;
    // Another request may have given this email an account since.
    if directory::email_in_use(&mut tx, &p.email).await? {
        return Err(ServiceError::invalid("provisioning.error_email_taken"));
    }
    let mut username = None;
    for k in 1..=999 {
        let candidate = username_candidate(&base, k);
        if !directory::username_taken(&mut tx, &candidate).await? {
            username = Some(Username::parse(&candidate)?);
            break;
        }
    }
    let username = username.ok_or(ServiceError::invalid("error.username_taken"))?;
    prepared.set_username(&username);
    let account_id = service::insert_account(&mut tx, state, origin, &prepared, now).await?;
    store::add_civil_servant(
        &mut tx,
        &store::CivilServant {
            account_id,
            ministry_id: r.ministry_id,
            work_unit_id: p.work_unit_id,
            work_unit: p.work_unit.clone(),
            job_title: p.job_title.clone(),
            permissions: p.permissions.clone(),
            request_id: Some(request_id),
        },
        now,
    )
    .await?;
    let sealed = seal(
        state,
        PASSWORD_LABEL,
        &format!("person:{person_id}"),
        prepared.initial_password().as_bytes(),
    )?;
    let by = origin.audit.actor.clone();
    if !store::grant(
        &mut tx,
        person_id,
        account_id,
        username.as_str(),
        &b64().encode(sealed),
        &by,
        now,
    )
    .await?
    {
        return Err(ServiceError::Conflict("provisioning.error_decided"));
    }
    audited(
        &mut tx,
        origin,
        "provisioning.grant",
        &request_target(request_id),
        serde_json::json!({
            "person_id": person_id, "row": p.row_no, "account_id": account_id,
            "username": username.as_str(), "permissions": p.permissions,
        }),
        now,
    )
    .await?;
    let completed = complete_if_done(&mut tx, state, origin, request_id, now).await?;
    tx.commit().await?;
    state.events_notify.notify_one();
    state.jobs_notify.notify_one();
    Ok(if completed {
        Outcome::Completed
    } else {
        Outcome::Decided
    })
}

/// Refuses a person with a reason, which the notice states (R-ID-8).
pub async fn refuse(
    state: &NswContext,
    origin: &Origin,
    request_id: ProvisioningRequestId,
    person_id: PersonId,
    reason: &str,
) -> Result<Outcome, ServiceError> {
    let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    let n = reason.chars().count();
    if !(3..=500).contains(&n) || reason.chars().any(char::is_control) {
        return Err(ServiceError::invalid("provisioning.error_reason"));
    }
    let now = state.now();
    let mut tx = state.store.begin().await?;
    match store::lock_request(&mut tx, request_id).await?.as_deref() {
        Some(_) => {}
        None => return Err(ServiceError::NotFound),
    }
    let (_, p) = open_person(&mut tx, request_id, person_id).await?;
    if !store::refuse(&mut tx, person_id, &reason, &origin.audit.actor, now).await? {
        return Err(ServiceError::Conflict("provisioning.error_decided"));
    }
    audited(
        &mut tx,
        origin,
        "provisioning.refuse",
        &request_target(request_id),
        serde_json::json!({ "person_id": person_id, "row": p.row_no, "reason": reason }),
        now,
    )
    .await?;
    let completed = complete_if_done(&mut tx, state, origin, request_id, now).await?;
    tx.commit().await?;
    state.jobs_notify.notify_one();
    Ok(if completed {
        Outcome::Completed
    } else {
        Outcome::Decided
    })
}

fn dmy(at: Millis) -> String {
    let d = motcua_domain::clock::vn_datetime(at);
    format!("{:02}/{:02}/{:04}", d.day(), u8::from(d.month()), d.year())
}

fn dmy_hm(at: Millis) -> String {
    let d = motcua_domain::clock::vn_datetime(at);
    format!("{} {:02}:{:02}", dmy(at), d.hour(), d.minute())
}

/// When nobody is pending: makes the notice, stores it sealed, erases the
/// sealed passwords, restarts the initial passwords' validity from now,
/// and mails the ministry's managers (no passwords in the mail).
async fn complete_if_done(
    c: &mut AnyConnection,
    state: &NswContext,
    origin: &Origin,
    request_id: ProvisioningRequestId,
    now: Millis,
) -> Result<bool, ServiceError> {
    let persons = store::persons(c, request_id).await?;
    if persons.iter().any(|p| p.decision == "pending") {
        return Ok(false);
    }
    let r = store::request(c, request_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let basis = store::legal_basis(c, &r.legal_basis).await?;
    let expires = now + state.config.initial_password_days * DAY;
    let mut granted = Vec::new();
    let mut refused = Vec::new();
    for p in &persons {
        match p.decision.as_str() {
            "granted" => {
                let sealed = p
                    .sealed_password
                    .as_deref()
                    .and_then(|s| b64().decode(s).ok())
                    .ok_or_else(|| {
                        ServiceError::Internal("granted person without password".into())
                    })?;
                let password = unseal(state, PASSWORD_LABEL, &format!("person:{}", p.id), &sealed)?;
                if let Some(a) = p.account_id {
                    directory::renew_initial_password_expiry(c, a, expires).await?;
                }
                granted.push(pdf::Granted {
                    full_name: p.full_name.clone(),
                    job_title: p.job_title.clone(),
                    work_unit: p.work_unit.clone(),
                    username: p.username.clone().unwrap_or_default(),
                    password: String::from_utf8_lossy(&password).into_owned(),
                });
            }
            _ => refused.push(pdf::Refused {
                full_name: p.full_name.clone(),
                job_title: p.job_title.clone(),
                work_unit: p.work_unit.clone(),
                reason: p.reason.clone().unwrap_or_default(),
            }),
        }
    }
    let today = motcua_domain::clock::vn_datetime(now);
    let notice = pdf::Notice {
        reference: r.reference.clone(),
        ministry: r.ministry_name.clone(),
        legal_basis: basis.map_or(r.legal_basis.clone(), |b| b.name_vi),
        received: dmy(r.received_at),
        date: (today.day(), u8::from(today.month()), today.year()),
        expires: dmy_hm(expires),
        granted,
        refused,
    };
    let (n_granted, n_refused) = (notice.granted.len(), notice.refused.len());
    let bytes = tokio::task::spawn_blocking(move || pdf::render(&notice))
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?
        .map_err(ServiceError::Internal)?;
    let sealed = seal(state, NOTICE_LABEL, &request_target(request_id), &bytes)?;
    let key = blobs::store(state, c, SEALED_TYPE, &sealed, now).await?;
    if !store::complete(c, request_id, &key, now).await? {
        return Err(ServiceError::Conflict("provisioning.error_closed"));
    }
    audited(
        c,
        origin,
        "provisioning.complete",
        &request_target(request_id),
        serde_json::json!({
            "reference": r.reference, "granted": n_granted, "refused": n_refused,
            "notice_sha256": blobs::digest(&bytes), "sealed_sha256": key,
        }),
        now,
    )
    .await?;
    // Mail every manager of the ministry and the one who submitted.
    let mut to: Vec<(String, String, Locale)> = managers(c, r.ministry_id)
        .await?
        .into_iter()
        .filter_map(|m| m.email.map(|e| (e, m.full_name, Locale::parse(&m.locale))))
        .collect();
    if let Some(a) = directory::account(c, r.manager_account_id).await? {
        if let Some(e) = a.email {
            to.push((e, a.full_name, Locale::parse(&a.locale)));
        }
    }
    to.sort_by(|a, b| a.0.cmp(&b.0));
    to.dedup_by(|a, b| a.0 == b.0);
    for (email, name, l) in to {
        let t = |k: &str| state.i18n.get(l, k);
        let mail = Template::Notice {
            full_name: name,
            subject: t("provisioning.mail_done_subject").replace("{reference}", &r.reference),
            heading: t("provisioning.mail_done_heading").to_string(),
            body: t("provisioning.mail_done_body").replace("{ministry}", &r.ministry_name),
            facts: vec![
                (t("provisioning.reference").to_string(), r.reference.clone()),
                (
                    t("provisioning.mail_granted").to_string(),
                    n_granted.to_string(),
                ),
                (
                    t("provisioning.mail_refused").to_string(),
                    n_refused.to_string(),
                ),
            ],
            link_label: t("provisioning.download").to_string(),
            link: format!("{}/ministry/requests/{request_id}", state.config.public_url),
        };
        service::queue_mail(c, state, &email, &mail, l, now).await?;
    }
    Ok(true)
}

/// The notice of a completed request, decrypted; each download is audited.
/// The caller has checked the viewer may see it.
pub async fn notice_pdf(
    state: &NswContext,
    origin: &Origin,
    request_id: ProvisioningRequestId,
) -> Result<(String, Vec<u8>), ServiceError> {
    let now = state.now();
    let mut tx = state.store.begin().await?;
    let r = store::request(&mut tx, request_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let key = r.notice_sha256.as_deref().ok_or(ServiceError::NotFound)?;
    let blob = blobs::fetch(state, &mut tx, key)
        .await?
        .ok_or_else(|| ServiceError::Internal("notice blob missing".into()))?;
    let pdf = unseal(state, NOTICE_LABEL, &request_target(request_id), &blob.data)?;
    audited(
        &mut tx,
        origin,
        "provisioning.notice_download",
        &request_target(request_id),
        serde_json::json!({ "reference": r.reference }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok((r.reference, pdf))
}

motcua_kernel::sla_source!(
    /// This context's deadlines, for the operator's overview.
    Sla,
    "provisioning",
    sla_items,
    sla_count
);

/// The open requests with the earliest deadlines, for the SLA overview.
pub async fn sla_items(
    c: &mut AnyConnection,
    limit: i64,
) -> Result<Vec<motcua_kernel::sla::SlaItem>, StoreError> {
    Ok(
        store::requests(c, None, ProvisioningStatus::Open, None, limit)
            .await?
            .0
            .into_iter()
            .map(|r| motcua_kernel::sla::SlaItem {
                kind_key: "sla.kind_provisioning",
                kind: "provisioning",
                reference: r.reference,
                subject: r.ministry_name,
                link: format!("/console/provisioning/{}", r.id),
                received_at: r.received_at,
                due_at: r.due_at,
            })
            .collect(),
    )
}

/// How many requests are open and overdue at `now`.
pub async fn sla_count(
    c: &mut AnyConnection,
    now: Millis,
) -> Result<motcua_kernel::sla::SlaCount, StoreError> {
    let (pending, overdue) = store::open_count(c, now).await?;
    Ok(motcua_kernel::sla::SlaCount { pending, overdue })
}

/// A ministry's managers with their names and contacts (from identity's
/// directory), ordered by username.
pub(crate) async fn managers(
    c: &mut AnyConnection,
    ministry_id: MinistryId,
) -> Result<Vec<store::Manager>, StoreError> {
    let ids = store::manager_ids(c, ministry_id).await?;
    Ok(directory::accounts_of(c, &ids)
        .await?
        .into_iter()
        .map(|a| store::Manager {
            account_id: a.id,
            username: a.username,
            full_name: a.full_name,
            email: a.email,
            locale: a.locale,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_from_names() {
        assert_eq!(username_base("Nguyễn Văn An", "bct"), "annv.bct");
        assert_eq!(username_base("Trần Thị Bình", "btc"), "binhtt.btc");
        assert_eq!(username_base("Đỗ  Đức", "bct"), "ducd.bct");
        assert_eq!(username_base("李", "bct"), "canbo.bct");
        assert_eq!(username_candidate("annv.bct", 1), "annv.bct");
        assert_eq!(username_candidate("annv.bct", 3), "annv3.bct");
        for n in ["Nguyễn Văn An", "Ông Thị Hồng Nhung-Ánh", "x"] {
            assert!(Username::parse(&username_base(n, "bo-y-te")).is_ok(), "{n}");
        }
    }

    #[test]
    fn permissions_split() {
        assert_eq!(
            split_permissions("Tra_cuu; phe_duyet,ky_so  x"),
            vec!["tra_cuu", "phe_duyet", "ky_so", "x"]
        );
        assert!(split_permissions(" ; ").is_empty());
    }
}
