//! The receipt of an online submission (Form 01 of Circular 03/2025
//! App I, "Giấy tiếp nhận hồ sơ và hẹn trả kết quả", as issued
//! electronically by the portal): the dossier's code, applicant,
//! procedure, what was submitted, the processing time, when it was
//! received and when the result is due, how the result is delivered, and
//! the digest of the submitted data. Rendered from the stored dossier, so
//! the same dossier always gives the same text.
use crate::store::dossiers::DossierRow;
use motcua_domain::Millis;
use motcua_kernel::pdf::{Doc, CONTENT};

/// "14 giờ 05 phút, ngày 06/12/2026": an instant as notices write it.
pub fn when(at: Millis) -> String {
    let t = motcua_domain::clock::vn_datetime(at);
    format!(
        "{:02} giờ {:02} phút, ngày {:02}/{:02}/{}",
        t.hour(),
        t.minute(),
        t.day(),
        u8::from(t.month()),
        t.year()
    )
}

fn unit_words(unit: &str) -> &'static str {
    match unit {
        "working_day" => "ngày làm việc",
        "working_hour" => "giờ làm việc",
        "day" => "ngày",
        _ => "",
    }
}

/// How the applicant chose to receive the result (the form's
/// `result_delivery` answer), in words.
fn delivery_words(data: &serde_json::Value) -> &'static str {
    match data.get("result_delivery").and_then(|v| v.as_str()) {
        Some("online") => "Trực tuyến trên Cổng Dịch vụ công quốc gia",
        Some("counter") => "Tại Bộ phận tiếp nhận và trả kết quả của cơ quan giải quyết",
        Some("postal") => "Qua dịch vụ bưu chính công ích",
        _ => "Theo hướng dẫn của cơ quan giải quyết",
    }
}

/// The receipt as a PDF. `form_title` names the e-form submitted.
pub fn render(d: &DossierRow, form_title: &str, lookup_key: &str) -> Result<Vec<u8>, String> {
    let data: serde_json::Value = serde_json::from_str(&d.data).unwrap_or_default();
    let at = motcua_domain::clock::vn_datetime(d.submitted_at);
    let mut doc = Doc::new()?;
    let agency = if d.agency_name.is_empty() {
        "CƠ QUAN GIẢI QUYẾT".to_string()
    } else {
        d.agency_name.to_uppercase()
    };
    doc.letterhead(
        &[&agency, "Bộ phận tiếp nhận và trả kết quả"],
        &format!("Số hồ sơ: {}", d.code),
        &format!(
            "Ngày {:02} tháng {:02} năm {}",
            at.day(),
            u8::from(at.month()),
            at.year()
        ),
    );
    doc.centered(14.0, true, "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ");
    doc.centered(12.0, true, &format!("Mã hồ sơ: {}", d.code));
    doc.centered(
        10.0,
        false,
        "(Tiếp nhận trực tuyến qua Cổng Dịch vụ công quốc gia)",
    );
    doc.gap(10.0);
    let mut agency_line = d.agency_name.clone();
    if !d.agency_code.is_empty() {
        agency_line.push_str(&format!(" (mã {})", d.agency_code));
    }
    doc.paragraph(&format!("Cơ quan giải quyết: {agency_line}."), false);
    doc.paragraph(
        &format!("Tiếp nhận hồ sơ của: {}.", d.applicant_name),
        false,
    );
    let mut request = format!(
        "Nội dung yêu cầu giải quyết: {} (mã thủ tục {}",
        d.procedure_name, d.procedure_code
    );
    if !d.case_code.is_empty() {
        request.push_str(&format!(", trường hợp: {}", d.case_code));
    }
    request.push_str(").");
    doc.paragraph(&request, false);
    doc.paragraph("1. Thành phần hồ sơ nộp gồm:", true);
    doc.table(
        &[32.0, CONTENT - 32.0 - 150.0, 150.0],
        &["STT", "Tên giấy tờ", "Hình thức"],
        &[vec![
            "1".into(),
            form_title.to_string(),
            "Dữ liệu điện tử (nộp trực tuyến)".into(),
        ]],
    );
    doc.paragraph("2. Số lượng hồ sơ: 01 (bộ).", true);
    doc.paragraph(
        &format!(
            "3. Thời gian giải quyết hồ sơ theo quy định: {} {}.",
            d.time_amount,
            unit_words(&d.time_unit)
        ),
        true,
    );
    doc.paragraph(
        &format!("4. Thời gian nhận hồ sơ: {}.", when(d.submitted_at)),
        true,
    );
    match d.appointment_at {
        Some(a) => doc.paragraph(
            &format!("5. Thời gian trả kết quả giải quyết hồ sơ: {}.", when(a)),
            true,
        ),
        None => doc.paragraph(
            "5. Thời gian trả kết quả giải quyết hồ sơ: theo thông báo của cơ quan giải quyết.",
            true,
        ),
    }
    doc.paragraph(
        &format!("6. Đăng ký nhận kết quả: {}.", delivery_words(&data)),
        true,
    );
    doc.paragraph(
        &format!(
            "Mã kiểm tra toàn vẹn dữ liệu hồ sơ (SHA-256): {}. Tra cứu tình trạng hồ sơ theo mã hồ sơ tại mục Hồ sơ của tôi trên Cổng, hoặc tại trang Tra cứu hồ sơ với mã tra cứu: {lookup_key}.",
            d.digest
        ),
        false,
    );
    let name = d.applicant_name.clone();
    doc.signatures(
        &[
            ("NGƯỜI NỘP HỒ SƠ", true),
            ("(Đã nộp trực tuyến)", false),
            (&name, false),
        ],
        &[
            ("NGƯỜI TIẾP NHẬN HỒ SƠ", true),
            ("(Tiếp nhận điện tử qua Cổng Dịch vụ công quốc gia)", false),
        ],
    );
    doc.finish(
        &d.code,
        &format!("Giấy tiếp nhận hồ sơ và hẹn trả kết quả {}", d.code),
    )
}
