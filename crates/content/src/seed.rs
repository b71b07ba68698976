//! The demo's guidance, questions and answers and an announcement
//! (`motcua demo`); unchanged on a second start.
use crate::{save, Save};
use motcua_kernel::service::{Origin, Result};
use motcua_kernel::Core;

const ITEMS: &[(&str, &str, &str, &str)] = &[
    (
        "guide",
        "huong-dan-nop-phi-truc-tuyen",
        "Hướng dẫn nộp phí, lệ phí trực tuyến",
        "# Khi nào phải nộp\n\nKhi cơ quan yêu cầu, hồ sơ chuyển sang trạng thái **Chờ nộp phí**. Thời hạn giải quyết tạm dừng cho đến khi bạn nộp xong.\n\n# Cách nộp\n\n1. Mở hồ sơ trong mục [Hồ sơ của tôi](/account/dossiers).\n2. Chọn **Thanh toán** và chọn ngân hàng hoặc ví điện tử trên Nền tảng thanh toán.\n3. Sau khi thanh toán, biên lai điện tử được lưu vào kho giấy tờ của bạn.\n\n# Nếu đã trừ tiền nhưng hồ sơ chưa cập nhật\n\nCổng tự hỏi lại ngân hàng trong 30 phút và đối soát hằng ngày; bạn không cần nộp lại.",
    ),
    (
        "guide",
        "huong-dan-dung-usb-token",
        "Hướng dẫn sử dụng chữ ký số USB token",
        "# Chuẩn bị\n\n- Cắm USB token vào máy tính.\n- Cài công cụ ký số của Cổng (mục Tải về).\n\n# Đăng nhập bằng USB token\n\nTrên trang đăng nhập chọn **Chữ ký số**, nhập mã PIN trong cửa sổ của công cụ ký. Mã PIN không bao giờ gửi lên Cổng.\n\n# Ký hồ sơ\n\nỞ bước kiểm tra hồ sơ, chọn **Ký số** trước khi nộp.",
    ),
    (
        "faq",
        "ho-so-bi-tu-choi-thi-lam-gi",
        "Hồ sơ bị từ chối tiếp nhận thì tôi làm gì?",
        "Lý do từ chối được ghi trên trang hồ sơ và trong thư thông báo. Bạn sửa theo hướng dẫn rồi nộp hồ sơ mới; thông tin đã nhập có thể dùng lại từ bản nháp.",
    ),
    (
        "faq",
        "tra-cuu-ho-so-khong-can-dang-nhap",
        "Tra cứu tình trạng hồ sơ có cần đăng nhập không?",
        "Không. Nhập mã hồ sơ và mã tra cứu in trên giấy tiếp nhận tại trang [Tra cứu hồ sơ](/lookup).",
    ),
    (
        "announcement",
        "thong-bao-ban-trinh-dien",
        "Đây là bản trình diễn của Cổng Dịch vụ công",
        "Mọi hồ sơ, thanh toán và bưu gửi ở đây là dữ liệu thử; không có giá trị pháp lý.",
    ),
];

/// Saves the demo's items that are not there yet; how many.
pub async fn load(core: &Core, origin: &Origin) -> Result<usize> {
    let mut made = 0;
    for (kind, slug, title, body) in ITEMS {
        let mut c = core.store.conn().await?;
        let there = crate::store::items::by_slug(&mut c, slug).await?.is_some();
        drop(c);
        if there {
            continue;
        }
        save(
            core,
            origin,
            &Save {
                kind: kind.to_string(),
                slug: slug.to_string(),
                title: title.to_string(),
                body: body.to_string(),
                note: "Nội dung trình diễn".into(),
                state: "published".into(),
                until: String::new(),
                seen: None,
            },
            core.now(),
        )
        .await?;
        made += 1;
    }
    Ok(made)
}
