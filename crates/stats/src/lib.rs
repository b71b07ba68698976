//! The statistics context (issue #11 §3; R-PS-8, PUBLIC-SERVICES §8):
//! the progress report of procedures per agency or procedure and period
//! ([`progress`]), read from the handling context's summary — never by
//! scanning dossiers —, its chart ([`chart`], SVG drawn here) and its
//! downloads ([`export`]: CSV, XLSX, JSON). Periods are [`period`]s.
pub mod chart;
pub mod export;
pub mod index;
pub mod online;
pub mod period;
pub mod progress;
pub mod store;

pub use period::{Kind, Period};
pub use progress::{progress, By, Progress};

/// This context's messages (key, Vietnamese, English).
pub const MESSAGES: &[motcua_kernel::i18n::Message] = &[
    ("stats.title", "Thống kê tình hình giải quyết thủ tục hành chính", "Statistics on the handling of procedures"),
    ("stats.nav", "Thống kê", "Statistics"),
    ("stats.lead", "Số liệu từ hồ sơ được tiếp nhận và giải quyết trên Cổng, theo cơ quan và kỳ báo cáo. \"Tồn kỳ trước\" là hồ sơ đã tiếp nhận, chưa giải quyết xong vào đầu kỳ; \"trước hạn\" là xong trước hạn từ một ngày trở lên; hồ sơ đang giải quyết tính đến cuối kỳ (kỳ chưa kết thúc: đến hiện tại, quá hạn khi ngày hẹn trả đã qua).", "Figures from the dossiers received and handled through the portal, per agency and reporting period. \"Carried over\" is what was received and not finished at the period's start; \"early\" is finished a day or more before the deadline; dossiers in progress are counted at the period's end (a period not yet over: now, late once the deadline's day has passed)."),
    ("stats.scope", "Cơ quan", "Agency"),
    ("stats.scope_all", "Toàn quốc (theo bộ, ngành, địa phương)", "Nationwide (per ministry and province)"),
    ("stats.period", "Kỳ báo cáo", "Period"),
    ("stats.kind_month", "Tháng", "Month"),
    ("stats.kind_quarter", "Quý", "Quarter"),
    ("stats.kind_half", "6 tháng", "6 months"),
    ("stats.kind_year", "Năm", "Year"),
    ("stats.by", "Theo", "By"),
    ("stats.by_agency", "Cơ quan", "Agency"),
    ("stats.by_procedure", "Thủ tục", "Procedure"),
    ("stats.show", "Xem", "Show"),
    ("stats.previous", "Kỳ trước", "Previous period"),
    ("stats.next", "Kỳ sau", "Next period"),
    ("stats.download", "Tải về", "Download"),
    ("stats.as_of", "Số liệu đến", "Figures as of"),
    ("stats.none", "Chưa có hồ sơ nào trong kỳ này.", "No dossiers in this period."),
    ("stats.total", "Tổng cộng", "Total"),
    ("stats.on_time_rate", "Tỷ lệ giải quyết đúng hạn", "Finished on time"),
    ("stats.table_caption", "Tình hình tiếp nhận và giải quyết hồ sơ", "Dossiers received and handled"),
    ("stats.chart_title", "Hồ sơ đã giải quyết và đang giải quyết, theo tình trạng", "Dossiers finished and in progress, by state"),
    ("stats.group_received", "Tiếp nhận", "Received"),
    ("stats.group_done", "Đã giải quyết", "Finished"),
    ("stats.group_held", "Đang giải quyết (cuối kỳ)", "In progress (at the end)"),
    ("stats.group_other", "Khác", "Other"),
    ("stats.col_code", "Mã", "Code"),
    ("stats.col_name", "Tên", "Name"),
    ("stats.col_received_total", "Tổng số", "Total"),
    ("stats.col_carried_over", "Tồn kỳ trước", "Carried over"),
    ("stats.col_received_new", "Mới tiếp nhận", "New"),
    ("stats.col_received_online", "Trực tuyến", "Online"),
    ("stats.col_received_in_person", "Trực tiếp", "In person"),
    ("stats.col_received_postal", "Qua bưu chính", "By post"),
    ("stats.col_transferred_in", "Chuyển đến", "Transferred in"),
    ("stats.col_done", "Tổng số", "Total"),
    ("stats.col_done_early", "Trước hạn", "Early"),
    ("stats.col_done_on_time", "Đúng hạn", "On time"),
    ("stats.col_done_late", "Quá hạn", "Late"),
    ("stats.col_held", "Tổng số", "Total"),
    ("stats.col_open_on_time", "Trong hạn", "On time"),
    ("stats.col_open_late", "Quá hạn", "Late"),
    ("stats.col_supplement", "Chờ bổ sung", "Awaiting a supplement"),
    ("stats.col_payment", "Tạm dừng chờ nộp phí", "Suspended, awaiting a fee"),
    ("stats.col_waiting", "Chờ người nộp (bổ sung, nộp phí)", "Waiting for the applicant (supplement, fee)"),
    ("stats.col_stopped", "Dừng, rút, từ chối sau tiếp nhận", "Stopped, withdrawn, refused after receipt"),
    ("stats.col_transferred_out", "Chuyển đi", "Transferred out"),
    ("stats.col_returned", "Đã trả kết quả", "Result returned"),
    ("stats.col_not_accepted", "Không tiếp nhận", "Not accepted"),
    ("stats.error_period", "Kỳ báo cáo không hợp lệ: viết năm (2026), tháng (2026-11), quý (2026-Q4) hoặc 6 tháng (2026-H2).", "Invalid period: write a year (2026), a month (2026-11), a quarter (2026-Q4) or six months (2026-H2)."),
    ("stats.error_future", "Kỳ báo cáo chưa bắt đầu.", "The period has not begun."),
    ("stats.error_by", "Chỉ thống kê theo cơ quan hoặc theo thủ tục.", "Figures are by agency or by procedure only."),
    ("stats.online_title", "Cung cấp dịch vụ công trực tuyến theo cơ quan", "Online public services per agency"),
    ("stats.online_lead", "Số thủ tục hành chính đang công bố mà cơ quan thực hiện, theo mức độ cung cấp trực tuyến ghi trong cơ sở dữ liệu thủ tục.", "Published procedures the agency carries out, by the online level the procedure record gives."),
    ("stats.online_procedures", "Số thủ tục", "Procedures"),
    ("stats.online_full", "Trực tuyến toàn trình", "Fully online"),
    ("stats.online_partial", "Trực tuyến một phần", "Partly online"),
    ("stats.online_none", "Chưa trực tuyến", "Not online"),
    ("stats.index_title", "Chỉ số phục vụ người dân, doanh nghiệp", "Index of service to citizens and businesses"),
    ("stats.index_nav", "Chỉ số phục vụ", "Service index"),
    ("stats.index_lead", "Sáu nhóm chỉ số theo Quyết định 766/QĐ-TTg, tính từ số liệu của Cổng. Mỗi tiêu chí chấm điểm theo tỷ lệ tử số/mẫu số; tiêu chí không có số liệu (mẫu số bằng 0) không tính và nhóm được quy đổi theo các tiêu chí còn lại; tổng điểm quy về thang 100 theo các nhóm có số liệu.", "The six groups of Decision 766/QĐ-TTg, from the portal's own figures. Each criterion scores by its numerator over its denominator; a criterion without figures (a denominator of 0) does not count and its group is scaled over the others; the total is scaled to 100 over the groups with figures."),
    ("stats.index_total", "Tổng điểm (thang 100)", "Total (out of 100)"),
    ("stats.index_version", "Phiên bản công thức", "Formulas version"),
    ("stats.index_version_builtin", "mặc định", "built in"),
    ("stats.index_formulas", "Công thức tính", "Formulas"),
    ("stats.index_detail", "Chi tiết tiêu chí", "Criteria"),
    ("stats.index_criterion", "Tiêu chí", "Criterion"),
    ("stats.index_points", "Điểm tối đa", "Points"),
    ("stats.index_numerator", "Tử số", "Numerator"),
    ("stats.index_denominator", "Mẫu số", "Denominator"),
    ("stats.index_score", "Điểm", "Score"),
    ("stats.index_na", "Không có số liệu", "No figures"),
    ("stats.index_figures", "Số liệu hồ sơ", "The dossiers' figures"),
    ("stats.index_edit", "Sửa công thức (phiên bản mới)", "Edit the formulas (a new version)"),
    ("stats.index_body", "Công thức (JSON)", "Formulas (JSON)"),
    ("stats.index_note", "Lý do thay đổi", "Reason for the change"),
    ("stats.index_publish", "Công bố phiên bản mới", "Publish a new version"),
    ("stats.index_history", "Các phiên bản", "Versions"),
    ("stats.index_measures", "Số liệu dùng được trong công thức", "Figures a formula may use"),
    ("stats.index_published", "Đã công bố phiên bản mới của công thức.", "A new version of the formulas is published."),
    ("stats.index_error_json", "Không đọc được JSON, hoặc có trường không được phép.", "The JSON cannot be read, or has a field not allowed."),
    ("stats.index_error_groups", "Phải có đúng sáu nhóm của Quyết định 766: publicity, progress, online, payment, satisfaction, digitisation.", "There must be exactly the six groups of Decision 766: publicity, progress, online, payment, satisfaction, digitisation."),
    ("stats.index_error_group_points", "Điểm của nhóm phải đúng theo Quyết định 766 (18, 20, 12, 10, 18, 22).", "A group's points are those of Decision 766 (18, 20, 12, 10, 18, 22)."),
    ("stats.index_error_criteria", "Mỗi nhóm cần ít nhất một tiêu chí, có tên (tối đa 200 ký tự).", "Each group needs at least one criterion, with a name (at most 200 characters)."),
    ("stats.index_error_key", "Mã tiêu chí gồm chữ thường, số, dấu gạch dưới, không trùng trong nhóm.", "A criterion's key is lower-case letters, digits and underscores, unique in its group."),
    ("stats.index_error_points", "Điểm của tiêu chí phải lớn hơn 0.", "A criterion's points must be above 0."),
    ("stats.index_error_measure", "Tử số và mẫu số phải là số liệu có trong danh sách.", "Numerator and denominator must be figures from the list."),
    ("stats.index_error_sum", "Tổng điểm các tiêu chí phải bằng điểm của nhóm.", "The criteria's points must add up to the group's."),
    ("stats.index_error_note", "Ghi lý do thay đổi (5 đến 500 ký tự).", "Give the reason for the change (5 to 500 characters)."),
    ("stats.error_format", "Định dạng tải về: csv, xlsx hoặc json.", "Download formats: csv, xlsx or json."),
];

pub fn message_tables() -> Vec<&'static [motcua_kernel::i18n::Message]> {
    vec![MESSAGES]
}
