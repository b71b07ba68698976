//! The procedure catalog context (R-PS-1, R-PS-2): administrative
//! procedures as the national record carries them ([`record`]), one row
//! per version (draft, published, retired); agencies as a tree; life
//! events; import and export in the national exchange format; search.
//! It depends on the kernel only: dossiers (issue #8 onward) read a
//! procedure through [`queries`].
pub mod queries;
pub mod record;
pub mod seed;
pub mod service;
pub mod store;

/// This context's user-facing messages (key, Vietnamese, English).
pub const MESSAGES: &[motcua_kernel::i18n::Message] = &[
    (
        "catalog.error_json",
        "Tệp không phải JSON hợp lệ theo định dạng trao đổi thủ tục hành chính.",
        "The file is not valid JSON in the procedure exchange format.",
    ),
    (
        "catalog.error_too_many",
        "Tệp có quá nhiều thủ tục (tối đa 20.000).",
        "The file holds too many procedures (at most 20,000).",
    ),
    (
        "catalog.error_shape",
        "Trường này thiếu hoặc sai kiểu dữ liệu.",
        "This field is missing or of the wrong type.",
    ),
    (
        "catalog.error_code",
        "Mã thủ tục phải có dạng 1.001612 (có thể thêm hậu tố địa phương như .H56).",
        "The procedure code must look like 1.001612 (a local suffix such as .H56 may follow).",
    ),
    (
        "catalog.error_code_twice",
        "Mã thủ tục này xuất hiện hai lần trong tệp.",
        "This procedure code appears twice in the file.",
    ),
    (
        "catalog.error_name",
        "Tên thủ tục không được để trống (tối đa 500 ký tự).",
        "The procedure's name is required (at most 500 characters).",
    ),
    (
        "catalog.error_required",
        "Trường này là bắt buộc.",
        "This field is required.",
    ),
    (
        "catalog.error_level",
        "Cấp thực hiện phải là central, province hoặc commune.",
        "The level must be central, province or commune.",
    ),
    (
        "catalog.error_field",
        "Lĩnh vực cần có mã và tên.",
        "A field needs a code and a name.",
    ),
    (
        "catalog.error_applicant",
        "Đối tượng thực hiện phải là citizen, business, organization hoặc foreigner.",
        "The applicant must be citizen, business, organization or foreigner.",
    ),
    (
        "catalog.error_channel",
        "Kênh phải là 1 (trực tiếp), 2 (trực tuyến) hoặc 3 (bưu chính công ích).",
        "The channel must be 1 (in person), 2 (online) or 3 (public postal service).",
    ),
    (
        "catalog.error_channel_twice",
        "Mỗi kênh chỉ được khai một lần.",
        "Each channel may be given once.",
    ),
    (
        "catalog.error_time",
        "Thời hạn giải quyết phải là số từ 0 đến 3650.",
        "The processing time must be a number from 0 to 3650.",
    ),
    (
        "catalog.error_time_unit",
        "Đơn vị thời gian phải là working_day, day, working_hour hoặc month.",
        "The time unit must be working_day, day, working_hour or month.",
    ),
    (
        "catalog.error_fee",
        "Phí, lệ phí phải là số tiền không âm (đồng).",
        "A fee must be a non-negative amount (đồng).",
    ),
    (
        "catalog.error_count",
        "Số bản chính, bản sao phải từ 0 đến 100.",
        "The number of originals and copies must be from 0 to 100.",
    ),
    (
        "catalog.error_url",
        "Đường dẫn mẫu đơn phải là địa chỉ http:// hoặc https:// hợp lệ.",
        "The template's link must be a valid http:// or https:// address.",
    ),
    (
        "catalog.error_agency_code",
        "Mã cơ quan không đúng định dạng danh mục mã cơ quan.",
        "The agency code is not in the national agency code format.",
    ),
    (
        "catalog.error_agency_unknown",
        "Cơ quan này chưa có trong danh mục cơ quan.",
        "This agency is not in the agency list.",
    ),
    (
        "catalog.error_related",
        "Thủ tục liên quan phải là một mã thủ tục khác.",
        "A related procedure must be another procedure's code.",
    ),
    (
        "catalog.error_online_level",
        "Mức độ dịch vụ công trực tuyến phải là full, partial hoặc none.",
        "The online service level must be full, partial or none.",
    ),
    (
        "catalog.error_assurance",
        "Mức độ xác thực phải từ 1 đến 4.",
        "The assurance level must be from 1 to 4.",
    ),
    (
        "catalog.error_one_record",
        "Vui lòng gửi đúng một thủ tục.",
        "Please send exactly one procedure.",
    ),
    (
        "catalog.error_not_draft",
        "Chỉ phiên bản nháp mới được công bố.",
        "Only a draft version can be published.",
    ),
    (
        "catalog.error_agency",
        "Cơ quan cần mã hợp lệ, tên và cấp (central, province, commune).",
        "An agency needs a valid code, a name and a level (central, province, commune).",
    ),
    (
        "catalog.error_agency_parent",
        "Cơ quan cấp trên không có trong danh mục.",
        "The parent agency is not in the list.",
    ),
    (
        "catalog.error_code_changed",
        "Không được đổi mã thủ tục khi sửa; hãy nhập thủ tục mới qua chức năng nhập.",
        "The procedure code cannot change in an edit; import a new procedure instead.",
    ),
    (
        "catalog.error_control",
        "Nội dung có ký tự điều khiển không hợp lệ (ví dụ \\u0000).",
        "The text holds a control character that is not allowed (such as \\u0000).",
    ),
    (
        "catalog.error_life_event",
        "Mã sự kiện chỉ gồm chữ không dấu, số, '-', '_' hoặc '.' (tối đa 40 ký tự).",
        "An event code has only letters, digits, '-', '_' or '.' (at most 40).",
    ),
];

/// The catalog pages' words (key, Vietnamese, English).
pub const PAGE_MESSAGES: &[motcua_kernel::i18n::Message] = &[
    ("catalog.title", "Thủ tục hành chính", "Administrative procedures"),
    ("catalog.lead", "Tra cứu thủ tục hành chính: hồ sơ cần chuẩn bị, thời hạn, phí, lệ phí, cơ quan thực hiện và cách nộp. Gõ có dấu hoặc không dấu đều được.", "Look up administrative procedures: the documents to prepare, time limits, fees, the agency and how to apply. Type with or without Vietnamese accents."),
    ("catalog.search_label", "Tìm thủ tục", "Find a procedure"),
    ("catalog.search_button", "Tìm kiếm", "Search"),
    ("catalog.found", "Tìm thấy {n} thủ tục.", "{n} procedures found."),
    ("catalog.none", "Không tìm thấy thủ tục nào. Hãy thử từ khóa ngắn hơn hoặc bỏ bớt bộ lọc.", "No procedure found. Try fewer words or fewer filters."),
    ("catalog.filters", "Bộ lọc", "Filters"),
    ("catalog.filter_field", "Lĩnh vực", "Field"),
    ("catalog.filter_level", "Cấp thực hiện", "Level"),
    ("catalog.filter_online", "Mức độ trực tuyến", "Online service"),
    ("catalog.filter_life_event", "Sự kiện trong đời", "Life event"),
    ("catalog.filter_all", "Tất cả", "All"),
    ("catalog.filter_apply", "Áp dụng bộ lọc", "Apply filters"),
    ("catalog.level_central", "Cấp trung ương", "Central"),
    ("catalog.level_province", "Cấp tỉnh", "Province"),
    ("catalog.level_commune", "Cấp xã", "Commune"),
    ("catalog.online_full", "Trực tuyến toàn trình", "Fully online"),
    ("catalog.online_partial", "Trực tuyến một phần", "Partly online"),
    ("catalog.online_none", "Chưa cung cấp trực tuyến", "Not online yet"),
    ("catalog.applicant_citizen", "Công dân", "Citizens"),
    ("catalog.applicant_business", "Doanh nghiệp", "Businesses"),
    ("catalog.applicant_organization", "Tổ chức", "Organizations"),
    ("catalog.applicant_foreigner", "Người nước ngoài", "Foreigners"),
    ("catalog.channel_1", "Trực tiếp", "In person"),
    ("catalog.channel_2", "Trực tuyến", "Online"),
    ("catalog.channel_3", "Qua bưu chính công ích", "By public postal service"),
    ("catalog.unit_working_day", "ngày làm việc", "working days"),
    ("catalog.unit_day", "ngày", "days"),
    ("catalog.unit_working_hour", "giờ làm việc", "working hours"),
    ("catalog.unit_month", "tháng", "months"),
    ("catalog.free", "Không mất phí", "No fee"),
    ("catalog.dong", "đồng", "VND"),
    ("catalog.page_of", "Trang {n}/{m}", "Page {n} of {m}"),
    ("catalog.code", "Mã thủ tục", "Procedure code"),
    ("catalog.field", "Lĩnh vực", "Field"),
    ("catalog.level", "Cấp thực hiện", "Level"),
    ("catalog.applicants", "Đối tượng thực hiện", "Who may apply"),
    ("catalog.time", "Thời hạn giải quyết", "Processing time"),
    ("catalog.fee", "Phí, lệ phí", "Fees"),
    ("catalog.channels", "Cách thức thực hiện", "How to apply"),
    ("catalog.channel", "Hình thức nộp", "Channel"),
    ("catalog.steps", "Trình tự thực hiện", "Steps"),
    ("catalog.components", "Thành phần hồ sơ", "Documents to submit"),
    ("catalog.document", "Giấy tờ", "Document"),
    ("catalog.originals", "Bản chính", "Originals"),
    ("catalog.copies", "Bản sao", "Copies"),
    ("catalog.template", "Mẫu đơn, tờ khai", "Form template"),
    ("catalog.requirements", "Yêu cầu, điều kiện", "Requirements"),
    ("catalog.results", "Kết quả thực hiện", "Result"),
    ("catalog.legal", "Căn cứ pháp lý", "Legal basis"),
    ("catalog.agencies", "Cơ quan thực hiện", "Agency"),
    ("catalog.related", "Thủ tục liên quan", "Related procedures"),
    ("catalog.decision", "Quyết định công bố", "Published by decision"),
    ("catalog.version", "Phiên bản", "Version"),
    ("catalog.assurance", "Mức độ tài khoản cần có", "Account level needed"),
    ("catalog.assurance_n", "Mức {n}", "Level {n}"),
    ("catalog.online", "Mức độ dịch vụ công trực tuyến", "Online service level"),
    ("catalog.case", "Trường hợp", "Case"),
    ("catalog.all_cases", "Mọi trường hợp", "Every case"),
    ("catalog.none_listed", "Không quy định.", "None given."),
    ("catalog.agencies_title", "Cơ quan giải quyết thủ tục", "Agencies"),
    ("catalog.agencies_lead", "Bộ, ngành, tỉnh, thành phố và xã, phường giải quyết thủ tục hành chính, theo danh mục mã cơ quan.", "The ministries, provinces and communes that handle procedures, by national agency code."),
    ("catalog.agency_search", "Tìm cơ quan", "Find an agency"),
    ("catalog.agency_children", "Đơn vị trực thuộc", "Units under it"),
    ("catalog.agency_procedures", "Thủ tục do cơ quan thực hiện", "Procedures it handles"),
    ("catalog.agency_up", "Lên cấp trên", "Up one level"),
    ("catalog.address", "Địa chỉ", "Address"),
    ("catalog.phone", "Điện thoại", "Phone"),
    ("catalog.email", "Thư điện tử", "Email"),
    ("catalog.hours", "Giờ làm việc", "Opening hours"),
    ("catalog.agency_none", "Không có cơ quan nào.", "No agency."),
    ("catalog.console_title", "Danh mục thủ tục hành chính", "Procedure catalog"),
    ("catalog.console_lead", "Nhập, sửa và công bố thủ tục theo định dạng trao đổi của Cơ sở dữ liệu quốc gia về thủ tục hành chính. Mỗi lần sửa tạo một phiên bản nháp; chỉ phiên bản đã công bố hiển thị cho người dân.", "Import, edit and publish procedures in the exchange format of the national procedure database. Each edit makes a draft version; only the published version is shown to the public."),
    ("catalog.import", "Nhập thủ tục", "Import procedures"),
    ("catalog.import_label", "Nội dung tệp JSON (một mảng thủ tục)", "JSON file contents (an array of procedures)"),
    ("catalog.import_draft", "Lưu thành bản nháp, chưa công bố", "Save as drafts, do not publish"),
    ("catalog.imported", "Đã nhập: {created} phiên bản mới, {unchanged} không thay đổi.", "Imported: {created} new versions, {unchanged} unchanged."),
    ("catalog.refused", "Chưa nhập thủ tục nào. Vui lòng sửa các lỗi sau:", "Nothing was imported. Please correct the following:"),
    ("catalog.record_n", "Thủ tục thứ {n}", "Record {n}"),
    ("catalog.export", "Tải toàn bộ danh mục đã công bố (JSON)", "Download every published procedure (JSON)"),
    ("catalog.drafts", "Bản nháp chờ công bố", "Drafts awaiting publication"),
    ("catalog.drafts_none", "Không có bản nháp nào.", "No drafts."),
    ("catalog.open_code", "Mở thủ tục theo mã", "Open a procedure by code"),
    ("catalog.versions", "Các phiên bản", "Versions"),
    ("catalog.open", "Mở", "Open"),
    ("catalog.status", "Trạng thái", "Status"),
    ("catalog.status_draft", "Nháp", "Draft"),
    ("catalog.status_published", "Đang công bố", "Published"),
    ("catalog.status_retired", "Đã thay thế", "Replaced"),
    ("catalog.created", "Tạo lúc", "Created"),
    ("catalog.created_by", "Người tạo", "By"),
    ("catalog.published_at", "Công bố lúc", "Published"),
    ("catalog.preview", "Xem trước", "Preview"),
    ("catalog.publish", "Công bố phiên bản này", "Publish this version"),
    ("catalog.published", "Đã công bố phiên bản {n}.", "Version {n} is published."),
    ("catalog.saved", "Đã lưu bản nháp phiên bản {n}.", "Draft version {n} saved."),
    ("catalog.edit", "Sửa (tạo bản nháp mới)", "Edit (makes a new draft)"),
    ("catalog.edit_label", "Nội dung thủ tục (JSON)", "The procedure (JSON)"),
    ("catalog.save_draft", "Lưu bản nháp", "Save draft"),
    ("catalog.preview_banner", "Xem trước phiên bản {n} ({status}) — người dân chỉ thấy phiên bản đang công bố.", "Preview of version {n} ({status}): the public sees only the published version."),
];

/// The message tables of this context.
pub fn message_tables() -> Vec<&'static [motcua_kernel::i18n::Message]> {
    vec![MESSAGES, PAGE_MESSAGES]
}
