//! The postal context (issue #10 §3; R-PS-11, Decision 45/2016): the
//! public postal service for sending a dossier to the agency and
//! receiving its result, through the postal operator's order API
//! ([`client`]); [`sim`] (feature `sim`) simulates the operator for demo
//! and tests.
pub mod client;
pub mod service;
#[cfg(feature = "sim")]
pub mod sim;
pub mod store;

pub use service::Postal;

/// An order's state, for people.
pub fn state_key(state: &str) -> &'static str {
    match state {
        client::PLACED => "postal.state_placed",
        client::PICKED_UP => "postal.state_picked_up",
        client::IN_TRANSIT => "postal.state_in_transit",
        client::DELIVERED => "postal.state_delivered",
        client::FAILED => "postal.state_failed",
        client::RETURNED => "postal.state_returned",
        client::CANCELLED => "postal.state_cancelled",
        _ => "postal.unknown",
    }
}

/// This context's messages (key, Vietnamese, English).
pub const MESSAGES: &[motcua_kernel::i18n::Message] = &[
    ("postal.unknown", "Không xác định", "Unknown"),
    ("postal.state_placed", "Đã tạo đơn, chờ bưu điện đến nhận", "Ordered, waiting for the post office"),
    ("postal.state_picked_up", "Bưu điện đã nhận", "Picked up by the post office"),
    ("postal.state_in_transit", "Đang vận chuyển", "In transit"),
    ("postal.state_delivered", "Đã phát thành công", "Delivered"),
    ("postal.state_failed", "Phát không thành công", "Delivery failed"),
    ("postal.state_returned", "Đã chuyển hoàn", "Returned to the sender"),
    ("postal.state_cancelled", "Đã hủy", "Cancelled"),
    ("postal.title", "Dịch vụ bưu chính công ích", "Public postal service"),
    ("postal.lead", "Bạn có thể gửi hồ sơ giấy đến cơ quan, nhận kết quả, hoặc cả hai qua bưu điện (Quyết định 45/2016/QĐ-TTg). Thời điểm tiếp nhận hồ sơ là thời điểm bưu điện giao hồ sơ cho cơ quan, ghi trên phiếu giao nhận. Cước phí trả cho bưu điện, không qua Cổng.", "You can send the paper dossier to the agency, receive the result, or both by post (Decision 45/2016). The dossier counts as received when the post office hands it to the agency, at the time on the postal receipt. Postage is paid to the post office, not through the portal."),
    ("postal.send", "Gửi hồ sơ giấy qua bưu điện", "Send the paper dossier by post"),
    ("postal.result", "Nhận kết quả qua bưu điện", "Receive the result by post"),
    ("postal.name", "Họ tên người gửi / nhận", "Name of the sender / receiver"),
    ("postal.phone", "Số điện thoại", "Phone"),
    ("postal.province", "Tỉnh, thành phố", "Province or city"),
    ("postal.commune", "Xã, phường, đặc khu", "Commune or ward"),
    ("postal.street", "Số nhà, đường, thôn, tổ dân phố", "House, street, village"),
    ("postal.save", "Tính cước và lưu lựa chọn", "Quote the postage and save"),
    ("postal.postage_send", "Cước gửi hồ sơ", "Postage to send the dossier"),
    ("postal.postage_result", "Cước nhận kết quả (trả khi nhận)", "Postage for the result (paid on delivery)"),
    ("postal.chosen", "Đã chọn dịch vụ bưu chính", "Postal service chosen"),
    ("postal.none", "Không dùng dịch vụ bưu chính", "No postal service"),
    ("postal.waybill", "Số hiệu bưu gửi", "Waybill"),
    ("postal.direction_send", "Gửi hồ sơ đến cơ quan", "Dossier to the agency"),
    ("postal.direction_result", "Gửi kết quả cho công dân", "Result to the applicant"),
    ("postal.handed_over", "Thời điểm bưu điện giao hồ sơ cho cơ quan", "Handed to the agency at"),
    ("postal.channel", "Kênh nộp: bưu chính công ích", "Channel: public post"),
    ("postal.error_not_offered", "Cổng chưa kết nối dịch vụ bưu chính công ích.", "The portal is not connected to the public postal service."),
    ("postal.error_unreachable", "Chưa kết nối được bưu điện. Vui lòng thử lại sau ít phút.", "The post office cannot be reached. Please try again in a few minutes."),
    ("postal.error_name", "Nhập họ tên (tối đa 100 ký tự).", "Enter the name (at most 100 characters)."),
    ("postal.error_phone", "Số điện thoại gồm 10 chữ số, bắt đầu bằng 0.", "The phone number has 10 digits and starts with 0."),
    ("postal.error_province", "Chọn tỉnh, thành phố trong danh sách.", "Choose a province or city from the list."),
    ("postal.error_commune", "Nhập xã, phường (tối đa 100 ký tự).", "Enter the commune or ward (at most 100 characters)."),
    ("postal.error_street", "Nhập số nhà, đường (tối đa 200 ký tự).", "Enter the house and street (at most 200 characters)."),
    ("postal.error_already_posted", "Kết quả đã được gửi qua bưu điện.", "The result has already been sent by post."),
    ("postal.result_posted", "Đã giao kết quả cho bưu điện", "Result handed to the post office"),
];

pub fn message_tables() -> Vec<&'static [motcua_kernel::i18n::Message]> {
    vec![MESSAGES]
}
