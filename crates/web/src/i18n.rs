//! The message catalog: every user-facing string, in Vietnamese (first)
//! and English. Each entry carries both languages, so a translation cannot
//! be missing; a test checks that every key the templates use exists.
use motcua_mail::Locale;
use std::collections::HashMap;

pub struct Catalog {
    map: HashMap<&'static str, (&'static str, &'static str)>,
}

impl Default for Catalog {
    fn default() -> Self {
        Self::new()
    }
}

impl Catalog {
    pub fn new() -> Catalog {
        Catalog {
            map: TABLES
                .iter()
                .flat_map(|t| t.iter())
                .map(|(k, vi, en)| (*k, (*vi, *en)))
                .collect(),
        }
    }

    pub fn get(&self, locale: Locale, key: &str) -> &'static str {
        match self.map.get(key) {
            Some((vi, en)) => match locale {
                Locale::Vi => vi,
                Locale::En => en,
            },
            None => {
                tracing::warn!(key, "missing i18n key");
                "…"
            }
        }
    }

    /// The catalog's own `'static` copy of `key`, if it exists.
    pub fn static_key(&self, key: &str) -> Option<&'static str> {
        self.map.get_key_value(key).map(|(k, _)| *k)
    }

    pub fn keys(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.map.keys().copied()
    }
}

/// One message: key, Vietnamese, English.
pub type Message = (&'static str, &'static str, &'static str);

/// Every table of messages: the core's, then each feature module's own.
const TABLES: &[&[Message]] = &[
    MESSAGES,
    crate::registration::MESSAGES,
    crate::provisioning::MESSAGES,
    crate::lifecycle::MESSAGES,
    crate::identity::MESSAGES,
    crate::portal::MESSAGES,
    crate::identity::onboarding::MESSAGES,
    crate::plain::MESSAGES,
];

pub const MESSAGES: &[(&str, &str, &str)] = &[
    ("app.name", "Motcua", "Motcua"),
    ("app.tagline", "Cổng Dịch vụ công · Một cửa quốc gia", "Public Service Portal · National Single Window"),
    ("nav.skip", "Bỏ qua, đến nội dung chính", "Skip to main content"),
    ("nav.label", "Điều hướng chính", "Main navigation"),
    ("nav.home", "Trang chủ", "Home"),
    ("nav.console", "Quản trị", "Console"),
    ("nav.account", "Tài khoản", "Account"),
    ("nav.logout", "Đăng xuất", "Log out"),
    ("nav.login", "Đăng nhập", "Log in"),
    ("nav.language", "Ngôn ngữ", "Language"),
    ("footer.operator", "Cơ quan vận hành: Đơn vị quản lý Cổng.", "Operated by the Portal Management Unit."),
    ("footer.hotline", "Tổng đài hỗ trợ hoạt động 24/7.", "The help desk is open 24/7."),
    ("home.title", "Trang chủ", "Home"),
    ("home.heading", "Dịch vụ công trực tuyến, một tài khoản", "Online public services, one account"),
    ("home.lead", "Tra cứu thủ tục hành chính, nộp hồ sơ trực tuyến, theo dõi kết quả và quản lý tài khoản của bạn tại một nơi.", "Find administrative procedures, submit dossiers online, follow their results and manage your account in one place."),
    ("home.portals", "Các cổng", "The portals"),
    ("home.npsp.title", "Cổng Dịch vụ công quốc gia", "National Public Service Portal"),
    ("home.npsp.body", "Công dân và doanh nghiệp thực hiện thủ tục hành chính, thanh toán phí, lệ phí và gửi phản ánh, kiến nghị.", "Citizens and businesses carry out administrative procedures, pay fees and send feedback."),
    ("home.nsw.title", "Cổng thông tin một cửa quốc gia", "National Single Window"),
    ("home.nsw.body", "Người khai và cán bộ, công chức các Bộ, ngành được cấp tài khoản để khai báo và xử lý hồ sơ chuyên ngành.", "Declarants and ministries' civil servants get accounts to declare and process specialized dossiers."),
    ("home.security.title", "An toàn tài khoản", "Account security"),
    ("home.security.body", "Bạn xem được lịch sử sử dụng tài khoản và có thể báo cáo, khóa ngay khi phát hiện truy cập trái phép.", "You can see your account's history and report and lock it at once if you find unauthorized use."),
    ("login.title", "Đăng nhập", "Log in"),
    ("login.username", "Tên đăng nhập", "Username"),
    ("login.password", "Mật khẩu", "Password"),
    ("login.submit", "Đăng nhập", "Log in"),
    ("login.forgot", "Quên mật khẩu?", "Forgot your password?"),
    ("login.invalid", "Tên đăng nhập hoặc mật khẩu không đúng.", "Wrong username or password."),
    ("login.wait", "Bạn đã nhập sai nhiều lần. Vui lòng thử lại sau {secs} giây.", "Too many failed attempts. Please try again in {secs} seconds."),
    ("login.throttled", "Tài khoản tạm thời bị khóa do nhập sai mật khẩu nhiều lần. Vui lòng thử lại sau {until} hoặc liên hệ Đơn vị quản lý Cổng.", "The account is temporarily locked after too many wrong passwords. Try again after {until} (Vietnam time) or contact the Portal Management Unit."),
    ("login.locked", "Tài khoản đang bị khóa. Vui lòng liên hệ Đơn vị quản lý Cổng.", "This account is locked. Please contact the Portal Management Unit."),
    ("login.initial_expired", "Mật khẩu ban đầu đã hết hạn. Hãy dùng chức năng Quên mật khẩu hoặc liên hệ Đơn vị quản lý Cổng.", "The initial password has expired. Use “Forgot your password?” or contact the Portal Management Unit."),
    ("pwchange.title", "Đổi mật khẩu", "Change password"),
    ("pwchange.forced", "Bạn đang dùng mật khẩu ban đầu. Hãy đặt mật khẩu mới trước khi tiếp tục.", "You are using an initial password. Set a new password before you continue."),
    ("pwchange.current", "Mật khẩu hiện tại", "Current password"),
    ("pwchange.new", "Mật khẩu mới", "New password"),
    ("pwchange.confirm", "Nhập lại mật khẩu mới", "Repeat the new password"),
    ("pwchange.submit", "Đổi mật khẩu", "Change password"),
    ("password.hint", "Tối thiểu {min} ký tự. Nên dùng một cụm từ dễ nhớ; không dùng mật khẩu phổ biến.", "At least {min} characters. A memorable phrase works well; common passwords are refused."),
    ("password.too_short", "Mật khẩu quá ngắn: cần tối thiểu {min} ký tự.", "The password is too short: at least {min} characters."),
    ("password.too_long", "Mật khẩu quá dài: tối đa 128 ký tự.", "The password is too long: at most 128 characters."),
    ("password.common", "Mật khẩu này quá phổ biến và dễ bị đoán. Hãy chọn mật khẩu khác.", "This password is too common and easy to guess. Choose another one."),
    ("password.contains_username", "Mật khẩu không được chứa tên đăng nhập.", "The password must not contain the username."),
    ("password.wrong_current", "Mật khẩu hiện tại không đúng.", "The current password is wrong."),
    ("password.mismatch", "Hai lần nhập mật khẩu mới không khớp.", "The two new passwords do not match."),
    ("password.same", "Mật khẩu mới phải khác mật khẩu hiện tại.", "The new password must differ from the current one."),
    ("forgot.title", "Quên mật khẩu", "Forgot password"),
    ("forgot.lead", "Nhập tên đăng nhập hoặc email đã đăng ký. Chúng tôi sẽ gửi liên kết đặt lại mật khẩu đến email của tài khoản.", "Enter your username or registered email. We will send a password reset link to the account's email."),
    ("forgot.who", "Tên đăng nhập hoặc email", "Username or email"),
    ("forgot.submit", "Gửi liên kết", "Send the link"),
    ("forgot.sent", "Nếu thông tin khớp với một tài khoản, một email có liên kết đặt lại mật khẩu đã được gửi. Liên kết chỉ dùng được một lần.", "If this matches an account, an email with a reset link has been sent. The link works only once."),
    ("reset.title", "Đặt lại mật khẩu", "Reset password"),
    ("reset.lead", "Chọn mật khẩu mới cho tài khoản của bạn. Sau khi đặt lại, mọi phiên đăng nhập sẽ kết thúc.", "Choose a new password for your account. All sessions will end after the reset."),
    ("reset.submit", "Xác nhận đặt lại mật khẩu", "Confirm the new password"),
    ("reset.invalid_link", "Liên kết không hợp lệ, đã được sử dụng hoặc đã hết hạn. Vui lòng yêu cầu liên kết mới.", "The link is invalid, already used or expired. Please ask for a new one."),
    ("reset.who_required", "Vui lòng nhập tên đăng nhập hoặc email.", "Please enter your username or email."),
    ("error.title", "Có lỗi xảy ra", "Something went wrong"),
    ("error.not_found", "Không tìm thấy trang bạn yêu cầu.", "The page you asked for does not exist."),
    ("error.forbidden", "Bạn không có quyền truy cập trang này.", "You are not allowed to open this page."),
    ("error.internal", "Hệ thống gặp sự cố. Dữ liệu bạn đã gửi trước đó không bị mất; vui lòng thử lại sau ít phút.", "The system had a problem. Nothing you submitted before is lost; please try again in a few minutes."),
    ("error.bad_input", "Dữ liệu gửi lên không hợp lệ. Vui lòng kiểm tra và thử lại.", "The data sent is not valid. Please check it and try again."),
    ("error.method", "Thao tác này không được hỗ trợ tại địa chỉ này.", "This action is not supported at this address."),
    ("error.too_large", "Dữ liệu gửi lên vượt quá dung lượng cho phép.", "The data sent is larger than allowed."),
    ("error.csrf", "Phiên làm việc của biểu mẫu đã hết hạn. Vui lòng tải lại trang và thử lại.", "The form's session has expired. Please reload the page and try again."),
    ("error.username", "Tên đăng nhập gồm 3–64 ký tự: chữ thường không dấu, số, dấu chấm, gạch dưới hoặc gạch ngang.", "A username has 3–64 characters: lower-case letters, digits, dot, underscore or hyphen."),
    ("error.email", "Địa chỉ email không hợp lệ.", "The email address is not valid."),
    ("error.personal_id", "Số định danh cá nhân phải gồm 12 chữ số.", "The personal identification number must have 12 digits."),
    ("error.tax_code", "Mã số thuế không hợp lệ (10 chữ số, hoặc 13 chữ số với mã chi nhánh).", "The tax code is not valid (10 digits, or 13 with a branch suffix)."),
    ("error.role", "Vai trò không hợp lệ.", "Unknown role."),
    ("error.full_name", "Vui lòng nhập họ và tên.", "Please enter the full name."),
    ("error.username_taken", "Tên đăng nhập đã được sử dụng.", "This username is already taken."),
    ("account.title", "Tài khoản của tôi", "My account"),
    ("account.full_name", "Họ và tên", "Full name"),
    ("account.username", "Tên đăng nhập", "Username"),
    ("account.email", "Email", "Email"),
    ("account.roles", "Vai trò", "Roles"),
    ("account.status", "Trạng thái", "Status"),
    ("account.login_method", "Hình thức đăng nhập hiện tại", "Current login method"),
    ("account.sessions", "Số phiên đăng nhập đang mở", "Open sessions"),
    ("account.activity", "Lịch sử sử dụng tài khoản", "Account history"),
    ("account.logout_all", "Đăng xuất khỏi mọi thiết bị", "Log out everywhere"),
    ("activity.title", "Lịch sử sử dụng tài khoản", "Account history"),
    ("activity.lead", "Mọi lần đăng nhập, thay đổi mật khẩu, khóa và mở khóa tài khoản của bạn (giờ Việt Nam).", "Every login, password change, lock and unlock of your account (Vietnam time)."),
    ("activity.time", "Thời gian", "Time"),
    ("activity.event", "Sự kiện", "Event"),
    ("activity.method", "Hình thức", "Method"),
    ("activity.ip", "Địa chỉ IP", "IP address"),
    ("activity.device", "Thiết bị / trình duyệt", "Device / browser"),
    ("activity.none", "Chưa có hoạt động nào.", "No activity yet."),
    ("activity.not_you", "Có hoạt động bạn không thực hiện? Báo cáo sử dụng trái phép.", "Something you did not do? Report unauthorized use."),
    ("activity.kind.login", "Đăng nhập", "Login"),
    ("activity.kind.login_failed", "Đăng nhập không thành công", "Failed login"),
    ("activity.kind.logout", "Đăng xuất", "Logout"),
    ("activity.kind.logout_all", "Đăng xuất khỏi mọi thiết bị", "Logged out everywhere"),
    ("activity.kind.password_changed", "Đổi mật khẩu", "Password changed"),
    ("activity.kind.initial_password_changed", "Đổi mật khẩu ban đầu", "Initial password changed"),
    ("activity.kind.password_reset", "Đặt lại mật khẩu qua email", "Password reset by email"),
    ("activity.kind.locked", "Tài khoản bị khóa", "Account locked"),
    ("activity.kind.unlocked", "Tài khoản được mở khóa", "Account unlocked"),
    ("activity.kind.throttle_locked", "Tạm khóa do nhập sai mật khẩu nhiều lần", "Temporarily locked after failed logins"),
    ("activity.kind.compromise_reported", "Báo cáo sử dụng trái phép", "Unauthorized use reported"),
    ("activity.kind.other", "Hoạt động khác", "Other activity"),
    ("method.password", "Mật khẩu", "Password"),
    ("method.email", "Liên kết qua email", "Email link"),
    ("method.unknown", "Khác", "Other"),
    ("method.none", "—", "—"),
    ("report.title", "Báo cáo sử dụng trái phép", "Report unauthorized use"),
    ("report.lead", "Nếu bạn nghi ngờ mật khẩu bị lộ hoặc tài khoản bị người khác sử dụng, hãy báo cáo ngay. Tài khoản sẽ bị khóa lập tức, mọi phiên đăng nhập kết thúc và Đơn vị quản lý Cổng được thông báo để hỗ trợ bạn mở lại.", "If you think your password leaked or someone else uses your account, report it now. The account is locked at once, every session ends and the Portal Management Unit is told, to help you reopen it."),
    ("report.note", "Mô tả (không bắt buộc)", "Description (optional)"),
    ("report.submit", "Báo cáo và khóa tài khoản ngay", "Report and lock the account now"),
    ("report.done_title", "Đã khóa tài khoản", "Account locked"),
    ("report.done", "Tài khoản của bạn đã bị khóa và mọi phiên đăng nhập đã kết thúc. Đơn vị quản lý Cổng đã được thông báo và sẽ liên hệ với bạn để xác minh và mở khóa.", "Your account is locked and every session has ended. The Portal Management Unit has been told and will contact you to verify and unlock it."),
    ("role.citizen", "Công dân", "Citizen"),
    ("role.business", "Doanh nghiệp", "Business"),
    ("role.declarant", "Người khai", "Declarant"),
    ("role.civil_servant", "Cán bộ, công chức", "Civil servant"),
    ("role.operator", "Đơn vị quản lý Cổng", "Portal operator"),
    ("status.active", "Đang hoạt động", "Active"),
    ("status.locked", "Đã khóa", "Locked"),
    ("status.throttled", "Tạm khóa (đăng nhập sai)", "Temporarily locked (failed logins)"),
    ("console.title", "Quản trị Cổng", "Portal console"),
    ("console.overview", "Tổng quan", "Overview"),
    ("console.accounts", "Tài khoản", "Accounts"),
    ("console.registrations", "Hồ sơ đăng ký người khai", "Declarant registrations"),
    ("console.provisioning", "Cấp tài khoản cán bộ", "Civil-servant accounts"),
    ("console.throttles", "Đăng nhập sai", "Failed logins"),
    ("console.reports", "Báo cáo sử dụng trái phép", "Unauthorized-use reports"),
    ("console.jobs", "Hàng đợi tác vụ", "Job queue"),
    ("console.audit", "Nhật ký kiểm toán", "Audit log"),
    ("console.dead_jobs", "Tác vụ thất bại", "Failed jobs"),
    ("console.search_label", "Tìm theo tên đăng nhập, họ tên, email, mã số thuế hoặc số định danh", "Search by username, name, email, tax code or personal ID"),
    ("console.search_placeholder", "ví dụ: nguyen van an", "e.g. nguyen van an"),
    ("console.search", "Tìm kiếm", "Search"),
    ("console.found", "Tìm thấy {n} tài khoản.", "{n} accounts found."),
    ("console.tax_code", "Mã số thuế", "Tax code"),
    ("console.personal_id", "Số định danh cá nhân", "Personal ID"),
    ("console.created", "Ngày tạo", "Created"),
    ("console.throttle", "Đăng nhập sai", "Failed logins"),
    ("console.throttle_locked", "{n} lần liên tiếp; tạm khóa đến {until}", "{n} in a row; locked until {until}"),
    ("console.throttle_failures", "{n} lần liên tiếp", "{n} in a row"),
    ("console.lock_reason", "Lý do khóa (bắt buộc)", "Reason for locking (required)"),
    ("console.lock", "Khóa tài khoản", "Lock account"),
    ("console.unlock_reason", "Lý do mở khóa (bắt buộc)", "Reason for unlocking (required)"),
    ("console.unlock", "Mở khóa tài khoản", "Unlock account"),
    ("console.reason_required", "Vui lòng nhập lý do (ít nhất 3 ký tự).", "Please give a reason (at least 3 characters)."),
    ("console.actor", "Người thực hiện", "Actor"),
    ("console.action", "Thao tác", "Action"),
    ("console.detail", "Chi tiết", "Detail"),
    ("console.target", "Đối tượng", "Target"),
    ("console.kind", "Loại", "Kind"),
    ("console.attempts", "Số lần thử", "Attempts"),
    ("console.last_error", "Lỗi gần nhất", "Last error"),
    ("console.requeue", "Gửi lại", "Retry"),
    ("console.no_dead", "Không có tác vụ thất bại.", "No failed jobs."),
    ("console.verify", "Kiểm tra tính toàn vẹn", "Verify integrity"),
    ("console.verify_ok", "Chuỗi nhật ký toàn vẹn: {n} bản ghi.", "The log chain is intact: {n} records."),
    ("console.verify_broken", "Phát hiện sai lệch tại bản ghi #{seq}: {why}.", "Tampering found at record #{seq}: {why}."),
    ("console.throttles_lead", "Tài khoản và địa chỉ IP có đăng nhập sai trong 24 giờ qua.", "Accounts and IP addresses with failed logins in the last 24 hours."),
    ("console.key", "Tài khoản / IP", "Account / IP"),
    ("console.failures", "Số lần sai liên tiếp", "Failures in a row"),
    ("console.last_failure", "Lần sai gần nhất", "Last failure"),
    ("console.locked_until", "Tạm khóa đến", "Locked until"),
    ("systems.title", "Hệ thống chuyên ngành", "Specialized systems"),
    ("systems.lead", "Hệ thống xử lý chuyên ngành của các Bộ nhận sự kiện về tài khoản (tạo, cập nhật, khóa, mở khóa, thu hồi) dưới dạng webhook có ký số theo chuẩn Standard Webhooks.", "Ministries' specialized processing systems receive account events (created, updated, locked, unlocked, revoked) as webhooks signed per the Standard Webhooks specification."),
    ("systems.none", "Chưa đăng ký hệ thống nào.", "No system registered yet."),
    ("systems.code", "Mã hệ thống", "System code"),
    ("systems.code_hint", "2–40 ký tự: chữ không dấu, số, '-' hoặc '_'. Không đổi được sau khi đăng ký.", "2–40 characters: letters, digits, '-' or '_'. It cannot change later."),
    ("systems.name", "Tên hệ thống", "System name"),
    ("systems.ministry", "Bộ, ngành quản lý", "Owning ministry"),
    ("systems.endpoint", "Địa chỉ nhận sự kiện (URL)", "Endpoint URL"),
    ("systems.types", "Loại sự kiện đăng ký nhận", "Event types subscribed"),
    ("systems.state", "Trạng thái", "State"),
    ("systems.active", "Đang nhận sự kiện", "Receiving events"),
    ("systems.inactive", "Tạm dừng", "Paused"),
    ("systems.register", "Đăng ký hệ thống", "Register system"),
    ("systems.save", "Lưu thay đổi", "Save changes"),
    ("systems.rotate", "Cấp khóa ký mới (khóa cũ hết hiệu lực ngay)", "Issue a new signing secret (the old one stops working at once)"),
    ("systems.secret_once", "Khóa ký của hệ thống (chỉ hiển thị một lần — hãy chuyển an toàn cho đơn vị quản lý hệ thống):", "The system's signing secret (shown only once — hand it securely to the system's operators):"),
    ("systems.error_code", "Mã hệ thống gồm 2–40 ký tự: chữ không dấu, số, '-' hoặc '_'.", "The system code has 2–40 characters: letters, digits, '-' or '_'."),
    ("systems.error_code_taken", "Mã hệ thống này đã được dùng.", "This system code is already in use."),
    ("systems.error_name", "Vui lòng nhập tên hệ thống và Bộ, ngành quản lý.", "Please give the system's name and owning ministry."),
    ("systems.error_url", "Địa chỉ nhận sự kiện phải là URL http:// hoặc https:// hợp lệ.", "The endpoint must be a valid http:// or https:// URL."),
    ("systems.error_types", "Vui lòng chọn ít nhất một loại sự kiện hợp lệ.", "Please choose at least one valid event type."),
    ("deliveries.title", "Gửi sự kiện", "Event deliveries"),
    ("deliveries.lead", "Mỗi sự kiện được gửi lại với thời gian chờ tăng dần cho đến khi hệ thống nhận xác nhận (HTTP 2xx); quá thời hạn thử lại thì chuyển vào danh sách thất bại để gửi lại thủ công.", "Each event is retried with growing delays until the system acknowledges it (HTTP 2xx); past the retry horizon it is moved to the failed list for manual redelivery."),
    ("deliveries.none", "Chưa có sự kiện nào.", "No deliveries yet."),
    ("deliveries.all", "Tất cả", "All"),
    ("deliveries.event", "Sự kiện", "Event"),
    ("deliveries.system", "Hệ thống", "System"),
    ("deliveries.status", "Trạng thái", "Status"),
    ("deliveries.next", "Lần thử tiếp theo", "Next attempt"),
    ("deliveries.redeliver", "Gửi lại", "Redeliver"),
    ("deliveries.status_pending", "Chờ gửi", "Pending"),
    ("deliveries.status_sending", "Đang gửi", "Sending"),
    ("deliveries.status_delivered", "Đã nhận", "Delivered"),
    ("deliveries.status_dead", "Thất bại", "Failed"),
    ("weekday.mon", "Thứ Hai", "Monday"),
    ("weekday.tue", "Thứ Ba", "Tuesday"),
    ("weekday.wed", "Thứ Tư", "Wednesday"),
    ("weekday.thu", "Thứ Năm", "Thursday"),
    ("weekday.fri", "Thứ Sáu", "Friday"),
    ("weekday.sat", "Thứ Bảy", "Saturday"),
    ("weekday.sun", "Chủ nhật", "Sunday"),
    ("calendar.title", "Lịch làm việc", "Working-day calendar"),
    ("calendar.lead", "Ngày làm việc của cơ quan nhà nước dùng để tính mọi thời hạn trên Cổng: thứ Hai đến thứ Sáu, trừ ngày nghỉ lễ, Tết theo Bộ luật Lao động 2019 (Điều 112), ngày nghỉ bù (Điều 111) và các ngày hoán đổi do Chính phủ thông báo hằng năm.", "Working days of state agencies, used for every deadline on the Portal: Monday to Friday, except the public holidays of the Labour Code 2019 (Art. 112), compensatory days (Art. 111) and the swaps the Government announces each year."),
    ("calendar.years", "Chọn năm", "Choose a year"),
    ("calendar.export", "Tải tệp lịch (TOML)", "Download the calendar file (TOML)"),
    ("calendar.days_off", "Ngày nghỉ và ngày làm bù trong năm", "Days off and worked weekend days of the year"),
    ("calendar.date", "Ngày", "Date"),
    ("calendar.weekday", "Thứ", "Weekday"),
    ("calendar.kind", "Loại", "Kind"),
    ("calendar.name", "Tên", "Name"),
    ("calendar.source", "Căn cứ", "Source"),
    ("calendar.reason", "Nội dung", "Reason"),
    ("calendar.reason_vi", "Nội dung (tiếng Việt)", "Reason (Vietnamese)"),
    ("calendar.reason_en", "Nội dung (tiếng Anh)", "Reason (English)"),
    ("calendar.changed_by", "Người cập nhật", "Changed by"),
    ("calendar.kind_working", "Ngày làm việc", "Working day"),
    ("calendar.kind_weekend", "Nghỉ hằng tuần", "Weekend"),
    ("calendar.kind_holiday", "Nghỉ lễ, Tết", "Public holiday"),
    ("calendar.kind_observed", "Nghỉ bù", "Compensatory day off"),
    ("calendar.kind_announced_off", "Nghỉ theo thông báo", "Announced day off"),
    ("calendar.kind_announced_working", "Làm bù theo thông báo", "Announced working day"),
    ("calendar.adj_day_off", "Ngày nghỉ (hoán đổi hoặc bổ sung)", "Day off (swap or extra)"),
    ("calendar.adj_working_day", "Ngày làm việc (làm bù)", "Working day (worked in exchange)"),
    ("calendar.adj_tet_day_off", "Ngày nghỉ Tết theo thông báo", "Announced Tết day off"),
    ("calendar.adj_holiday", "Ngày lễ theo luật mới", "Holiday set by a later law"),
    ("calendar.adjustments", "Điều chỉnh theo thông báo của Chính phủ", "Adjustments announced by the Government"),
    ("calendar.no_adjustments", "Năm này chưa có điều chỉnh nào; lịch theo quy định của Bộ luật Lao động.", "No adjustment for this year; the calendar follows the Labour Code rules."),
    ("calendar.remove", "Xóa", "Remove"),
    ("calendar.add", "Thêm hoặc sửa một ngày", "Add or change a day"),
    ("calendar.save", "Lưu", "Save"),
    ("calendar.saved", "Đã lưu điều chỉnh lịch.", "The calendar adjustment is saved."),
    ("calendar.removed", "Đã xóa điều chỉnh; ngày đó theo quy định chung.", "Adjustment removed; the day follows the general rules again."),
    ("calendar.import", "Nhập tệp lịch", "Import a calendar file"),
    ("calendar.import_label", "Nội dung tệp lịch (định dạng như tệp tải về). Với mỗi năm có trong tệp, các điều chỉnh của năm đó được thay bằng nội dung tệp.", "The calendar file's content (the format of the downloaded file). For every year in the file, that year's adjustments are replaced by the file's."),
    ("calendar.imported", "Đã nhập tệp lịch cho năm {years}: {set} ngày cập nhật, {removed} ngày xóa, {unchanged} ngày không đổi.", "Calendar file imported for {years}: {set} days set, {removed} removed, {unchanged} unchanged."),
    ("calendar.error_import", "Không nhập được tệp lịch, không có thay đổi nào: {error}", "The calendar file was not imported and nothing changed: {error}"),
    ("calendar.error_date", "Ngày không hợp lệ (định dạng năm-tháng-ngày).", "Invalid date (year-month-day)."),
    ("calendar.error_kind", "Loại điều chỉnh không hợp lệ.", "Invalid kind of adjustment."),
    ("calendar.error_reason", "Vui lòng nhập nội dung tiếng Việt, tiếng Anh và căn cứ (mỗi mục tối đa 300 ký tự).", "Please give the reason in Vietnamese and English and the source (300 characters at most each)."),
    ("calendar.error_weekend", "Thứ Bảy, Chủ nhật đã là ngày nghỉ: chỉ có thể đánh dấu là ngày làm bù.", "Saturdays and Sundays are days off already: they can only be marked as worked."),
    ("calendar.history", "Lịch sử thay đổi", "Change history"),
    ("calendar.calc", "Tính thời hạn", "Deadline calculator"),
    ("calendar.calc_hint", "Theo Bộ luật Dân sự 2015 (Điều 147–148): không tính ngày tiếp nhận; nhận vào ngày nghỉ hoặc sau giờ chốt thì tính từ ngày làm việc kế tiếp; thời hạn kết thúc vào cuối giờ làm việc của ngày làm việc thứ N.", "Per the Civil Code 2015 (Art. 147–148): the day of receipt is not counted; receipt on a day off or after the cut-off counts from the next working day; the deadline ends at the close of office hours of the N-th working day."),
    ("calendar.received_at", "Thời điểm tiếp nhận", "Received at"),
    ("calendar.working_days", "Số ngày làm việc", "Working days"),
    ("calendar.cutoff", "Giờ chốt tiếp nhận (không bắt buộc)", "Cut-off time (optional)"),
    ("calendar.compute", "Tính", "Compute"),
    ("calendar.deadline", "Hạn xử lý", "Deadline"),
    ("calendar.left", "còn {d} ngày làm việc ({h} giờ làm việc)", "{d} working days left ({h} working hours)"),
    ("calendar.overdue_by", "đã quá hạn {d} ngày làm việc ({h} giờ làm việc)", "overdue by {d} working days ({h} working hours)"),
    ("calendar.error_calc", "Vui lòng nhập thời điểm tiếp nhận, số ngày làm việc (0–365) và giờ chốt hợp lệ.", "Please give a valid time of receipt, number of working days (0–365) and cut-off."),
    ("sla.title", "Thời hạn xử lý", "Deadlines"),
    ("sla.lead", "Mọi việc đang chờ Đơn vị quản lý Cổng xử lý, hạn gần nhất trước; thời gian còn lại tính theo ngày, giờ làm việc của cơ quan nhà nước.", "Everything awaiting the Portal Management Unit, nearest deadline first; time left counts working days and hours of state agencies."),
    ("sla.kind", "Loại việc", "Kind of work"),
    ("sla.pending", "Đang chờ", "Pending"),
    ("sla.overdue", "Quá hạn", "Overdue"),
    ("sla.items", "Danh sách việc", "Items"),
    ("sla.none", "Không có việc nào đang chờ.", "Nothing is pending."),
    ("sla.subject", "Tổ chức, cá nhân", "For"),
    ("sla.kind_provisioning", "Yêu cầu cấp tài khoản cán bộ", "Civil-servant account request"),
    ("sla.kind_lifecycle", "Yêu cầu khóa, mở khóa, thu hồi tài khoản", "Lock, reactivation or revocation request"),
    ("console.edit_account", "Sửa thông tin tài khoản", "Edit the account"),
    ("console.full_name", "Họ và tên / tên tổ chức", "Full name / organization name"),
    ("console.phone", "Điện thoại", "Phone"),
    ("console.save_account", "Lưu thông tin tài khoản", "Save the account"),
    ("console.error_phone", "Số điện thoại quá dài.", "The phone number is too long."),
    ("console.error_own_operator", "Bạn không thể tự bỏ vai trò quản trị của chính mình.", "You cannot remove your own operator role."),
    ("flash.throttle_cleared", "Đã gỡ khóa do đăng nhập sai.", "The failed-login lock has been lifted."),
    ("console.throttle_kind.user", "Tên đăng nhập", "Username"),
    ("console.throttle_kind.ip", "Địa chỉ IP", "IP address"),
    ("console.throttle_kind.other", "Khác", "Other"),
    ("console.throttle_kind.rate", "Giới hạn tần suất (biểu mẫu: địa chỉ)", "Rate limit (form: address)"),
    ("error.rate_limited", "Bạn đã gửi quá nhiều yêu cầu. Vui lòng thử lại sau {until}. Những gì bạn đã nhập vẫn được giữ.", "Too many requests. Please try again after {until} (Vietnam time). What you typed has been kept."),
    ("error.rate_limited_hour", "Bạn đã gửi quá nhiều yêu cầu. Vui lòng thử lại sau ít phút (tối đa một giờ). Những gì bạn đã nhập vẫn được giữ.", "Too many requests. Please try again in a while (at most an hour). What you typed has been kept."),
    ("captcha.question_lead", "Không xem được ảnh? Trả lời câu hỏi sau vào cùng ô:", "Cannot see the image? Answer this question in the same box instead:"),
    ("captcha.label", "Nhập các ký tự trong ảnh, hoặc câu trả lời của câu hỏi bên dưới", "Type the characters in the image, or the answer to the question below"),
    ("console.throttle_kind", "Loại", "Kind"),
    ("console.throttle_name", "Tên đăng nhập hoặc địa chỉ", "Username or address"),
    ("console.throttle_clear", "Gỡ khóa", "Lift the lock"),
    ("console.throttle_no_account", "(không có tài khoản)", "(no such account)"),
    ("flash.logged_out", "Bạn đã đăng xuất.", "You have logged out."),
    ("flash.logged_out_all", "Bạn đã đăng xuất khỏi mọi thiết bị.", "You have logged out everywhere."),
    ("flash.password_changed", "Đã đổi mật khẩu. Các phiên đăng nhập khác đã kết thúc.", "Password changed. Other sessions have ended."),
    ("flash.password_reset", "Đã đặt lại mật khẩu. Vui lòng đăng nhập bằng mật khẩu mới.", "Your password has been reset. Please log in with the new password."),
    ("pager.label", "Phân trang", "Pages"),
    ("pager.prev", "Trang trước", "Previous"),
    ("pager.next", "Trang sau", "Next"),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// No key is defined twice (a later table would silently win).
    #[test]
    fn keys_are_unique_across_tables() {
        let total: usize = TABLES.iter().map(|t| t.len()).sum();
        assert_eq!(Catalog::new().keys().count(), total);
    }

    /// Every `c.t("…")` key in the templates exists in the catalog.
    #[test]
    fn templates_use_known_keys() {
        let cat = Catalog::new();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut stack = vec![std::path::PathBuf::from(dir)];
        let mut checked = 0;
        while let Some(p) = stack.pop() {
            for e in std::fs::read_dir(&p).into_iter().flatten().flatten() {
                let path = e.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                for part in text.split("c.t(\"").skip(1) {
                    let key = part.split('"').next().unwrap_or_default();
                    assert!(
                        cat.static_key(key).is_some(),
                        "{}: missing key {key}",
                        path.display()
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 100, "only {checked} keys found");
    }

    #[test]
    fn vietnamese_first() {
        let cat = Catalog::new();
        assert_eq!(cat.get(Locale::Vi, "nav.login"), "Đăng nhập");
        assert_eq!(cat.get(Locale::En, "nav.login"), "Log in");
    }
}
