//! The e-forms context (R-PS-3): a form per procedure case, stored as
//! data and versioned — a JSON Schema (draft 2020-12) for the answers and
//! a layout of steps for the pages ([`definition`]); answers built from
//! posted fields ([`answers`]); validation by a real JSON Schema validator
//! with messages per field in Vietnamese and English ([`validate`]);
//! authoring and publication ([`service`]). It depends on the kernel only:
//! the catalog is asked nothing here, and dossiers read a form through
//! [`service`].
pub mod answers;
pub mod definition;
pub mod seed;
pub mod service;
pub mod store;
pub mod validate;

/// This context's messages (key, Vietnamese, English).
pub const MESSAGES: &[motcua_kernel::i18n::Message] = &[
    (
        "forms.error_required",
        "Vui lòng nhập thông tin này.",
        "Please fill this in.",
    ),
    (
        "forms.error_choose",
        "Vui lòng chọn một phương án.",
        "Please choose one.",
    ),
    (
        "forms.error_personal_id",
        "Số định danh cá nhân gồm đúng 12 chữ số.",
        "A personal ID number has exactly 12 digits.",
    ),
    (
        "forms.error_tax_code",
        "Mã số thuế gồm 10 chữ số (có thể thêm -XXX).",
        "A tax code has 10 digits (optionally -XXX).",
    ),
    (
        "forms.error_phone",
        "Số điện thoại gồm 10 hoặc 11 chữ số, bắt đầu bằng 0 hoặc +84.",
        "A phone number has 10 or 11 digits and starts with 0 or +84.",
    ),
    (
        "forms.error_email",
        "Địa chỉ thư điện tử không đúng, ví dụ: ten@example.vn.",
        "This is not an email address (like name@example.vn).",
    ),
    (
        "forms.error_date",
        "Ngày không đúng; vui lòng chọn ngày theo dạng ngày/tháng/năm.",
        "This is not a valid date.",
    ),
    (
        "forms.error_number",
        "Vui lòng nhập một số.",
        "Please enter a number.",
    ),
    (
        "forms.error_minimum",
        "Giá trị phải từ {n} trở lên.",
        "The value must be {n} or more.",
    ),
    (
        "forms.error_maximum",
        "Giá trị không được lớn hơn {n}.",
        "The value must be at most {n}.",
    ),
    (
        "forms.error_min_length",
        "Cần ít nhất {n} ký tự.",
        "At least {n} characters are needed.",
    ),
    (
        "forms.error_max_length",
        "Tối đa {n} ký tự.",
        "At most {n} characters.",
    ),
    (
        "forms.error_choice",
        "Vui lòng chọn một trong các phương án đã cho.",
        "Please choose one of the options given.",
    ),
    (
        "forms.error_min_items",
        "Cần ít nhất {n} dòng.",
        "At least {n} rows are needed.",
    ),
    (
        "forms.error_max_items",
        "Tối đa {n} dòng.",
        "At most {n} rows.",
    ),
    (
        "forms.error_invalid",
        "Thông tin không hợp lệ.",
        "This is not valid.",
    ),
    (
        "forms.address_province",
        "Tỉnh, thành phố",
        "Province or city",
    ),
    (
        "forms.address_commune",
        "Xã, phường, đặc khu",
        "Commune or ward",
    ),
    (
        "forms.address_street",
        "Số nhà, đường, thôn, tổ dân phố",
        "House number, street, village",
    ),
    (
        "forms.error_json",
        "Định nghĩa biểu mẫu không đúng định dạng.",
        "The form definition is not in the expected format.",
    ),
    (
        "forms.error_commune",
        "không có trong danh sách xã, phường của {province}.",
        "is not a commune or ward of {province}.",
    ),
    (
        "forms.error_signature",
        "Chữ ký số của hồ sơ phải là none, optional hoặc required.",
        "The dossier's signature must be none, optional or required.",
    ),
    (
        "forms.error_title",
        "Cần có tiêu đề tiếng Việt.",
        "A Vietnamese title is needed.",
    ),
    (
        "forms.error_schema",
        "JSON Schema không hợp lệ theo chuẩn 2020-12.",
        "The JSON Schema is not valid draft 2020-12.",
    ),
    (
        "forms.error_schema_object",
        "JSON Schema phải mô tả một đối tượng có các thuộc tính (type: object, properties).",
        "The JSON Schema must describe an object with properties (type: object, properties).",
    ),
    (
        "forms.error_steps",
        "Biểu mẫu cần từ 1 đến 30 bước, mỗi bước có ít nhất một trường.",
        "A form needs 1 to 30 steps, each with at least one field.",
    ),
    (
        "forms.error_step_id",
        "Mã bước chỉ gồm chữ thường không dấu, số, '_' và không trùng nhau.",
        "A step id has lower-case letters, digits and '_', and is unique.",
    ),
    (
        "forms.error_field_name",
        "Tên trường chỉ gồm chữ thường không dấu, số và '_' (bắt đầu bằng chữ).",
        "A field name has lower-case letters, digits and '_' (starting with a letter).",
    ),
    (
        "forms.error_field_twice",
        "Trường này được hỏi hai lần.",
        "This field is asked twice.",
    ),
    (
        "forms.error_not_in_schema",
        "Trường này không có trong JSON Schema.",
        "This field is not in the JSON Schema.",
    ),
    (
        "forms.error_kind",
        "Loại trường không hợp lệ.",
        "Unknown kind of field.",
    ),
    (
        "forms.error_kind_schema",
        "Loại trường không khớp kiểu dữ liệu trong JSON Schema.",
        "The kind of field does not fit its type in the JSON Schema.",
    ),
    (
        "forms.error_label",
        "Cần có nhãn tiếng Việt.",
        "A Vietnamese label is needed.",
    ),
    (
        "forms.error_options",
        "Trường lựa chọn cần các phương án, và mỗi phương án phải được JSON Schema cho phép.",
        "A choice needs options, each allowed by the JSON Schema.",
    ),
    (
        "forms.error_show_if",
        "Điều kiện hiển thị phải dựa vào một trường khác ở bước này hoặc bước trước.",
        "A condition must name another field of this or an earlier step.",
    ),
    (
        "forms.error_prefill",
        "Nguồn điền sẵn không hợp lệ.",
        "Unknown prefill source.",
    ),
    (
        "forms.error_group",
        "Nhóm lặp cần các trường con (tối đa 200 dòng); trường thường không có trường con.",
        "A repeating group needs sub-fields (at most 200 rows); other fields have none.",
    ),
    (
        "forms.error_too_many_fields",
        "Biểu mẫu có quá nhiều trường (tối đa 300).",
        "The form has too many fields (at most 300).",
    ),
    (
        "forms.error_not_draft",
        "Chỉ phiên bản nháp mới được công bố.",
        "Only a draft version can be published.",
    ),
    ("forms.console_title", "Biểu mẫu điện tử", "E-form"),
    ("forms.refused", "Định nghĩa chưa được lưu vì:", "The definition was not saved because:"),
    ("forms.no_versions", "Thủ tục này chưa có biểu mẫu.", "This procedure has no form yet."),
    ("forms.edit", "Soạn phiên bản mới", "Write a new version"),
    ("forms.edit_hint", "JSON gồm title (vi, en), schema (JSON Schema 2020-12 của dữ liệu) và steps (các bước, mỗi bước gồm các trường: name, kind, label, hint, options, show_if, prefill, fields). Định nghĩa được kiểm tra trước khi lưu; người dân chỉ thấy phiên bản đã công bố.", "JSON with title (vi, en), schema (the data's JSON Schema 2020-12) and steps (pages of fields: name, kind, label, hint, options, show_if, prefill, fields). It is checked before it is stored; the public sees published versions only."),
    ("forms.edit_label", "Định nghĩa biểu mẫu (JSON)", "Form definition (JSON)"),
    ("forms.preview_banner", "Xem trước phiên bản {v} như người dân sẽ thấy", "Preview of version {v} as the public will see it"),
    ("flash.form_saved", "Đã lưu phiên bản nháp. Xem trước rồi công bố khi sẵn sàng.", "Draft version saved. Preview it, then publish it when ready."),
    ("flash.form_published", "Đã công bố. Hồ sơ nháp đang mở sẽ được chuyển sang phiên bản này.", "Published. Open drafts move to this version."),
];

/// The message tables of this context.
pub fn message_tables() -> Vec<&'static [motcua_kernel::i18n::Message]> {
    vec![MESSAGES]
}
