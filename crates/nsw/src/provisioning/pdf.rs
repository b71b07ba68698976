//! The written notice of a provisioning result (R-ID-7, R-ID-8) as a PDF
//! in Vietnamese, laid out as an administrative letter with two tables
//! (the kernel's document layout, `motcua_kernel::pdf`).
use motcua_kernel::pdf::{clean, Doc, CONTENT};

pub struct Granted {
    pub full_name: String,
    pub job_title: String,
    pub work_unit: String,
    pub username: String,
    pub password: String,
}

pub struct Refused {
    pub full_name: String,
    pub job_title: String,
    pub work_unit: String,
    pub reason: String,
}

/// Everything the notice says.
pub struct Notice {
    pub reference: String,
    pub ministry: String,
    /// The legal basis, in Vietnamese.
    pub legal_basis: String,
    /// Date of receipt of the request, `dd/mm/yyyy`.
    pub received: String,
    /// Date of the notice: (day, month, year).
    pub date: (u8, u8, i32),
    /// When the initial passwords stop working, `dd/mm/yyyy hh:mm`.
    pub expires: String,
    pub granted: Vec<Granted>,
    pub refused: Vec<Refused>,
}

/// Renders the notice.
pub fn render(n: &Notice) -> Result<Vec<u8>, String> {
    let mut d = Doc::new()?;
    let ministry = clean(&n.ministry);
    let (day, month, year) = n.date;
    d.letterhead(
        &["ĐƠN VỊ QUẢN LÝ CỔNG"],
        &format!("Số: {}", n.reference),
        &format!("Hà Nội, ngày {day:02} tháng {month:02} năm {year}"),
    );
    d.centered(14.0, true, "THÔNG BÁO");
    d.centered(
        12.0,
        true,
        "Kết quả cấp tài khoản cán bộ, công chức trên Cổng",
    );
    d.gap(6.0);
    d.centered(11.0, false, &format!("Kính gửi: {ministry}"));
    d.gap(10.0);
    d.paragraph(
        &format!(
            "Căn cứ {}; xét đề nghị cấp tài khoản của {ministry} (mã yêu cầu {}, tiếp nhận ngày {}), \
             Đơn vị quản lý Cổng thông báo kết quả như sau:",
            clean(&n.legal_basis),
            n.reference,
            n.received
        ),
        false,
    );
    d.paragraph(
        &format!("1. Tài khoản được cấp: {} người.", n.granted.len()),
        true,
    );
    if n.granted.is_empty() {
        d.paragraph("Không có.", false);
    } else {
        let rows: Vec<Vec<String>> = n
            .granted
            .iter()
            .enumerate()
            .map(|(i, g)| {
                vec![
                    (i + 1).to_string(),
                    g.full_name.clone(),
                    format!("{}, {}", g.job_title, g.work_unit),
                    g.username.clone(),
                    g.password.clone(),
                ]
            })
            .collect();
        d.table(
            &[28.0, 112.0, 140.0, 106.0, CONTENT - 386.0],
            &[
                "STT",
                "Họ và tên",
                "Chức danh, đơn vị công tác",
                "Tên đăng nhập",
                "Mật khẩu ban đầu",
            ],
            &rows,
        );
    }
    d.paragraph(
        &format!(
            "2. Đề nghị không được chấp thuận: {} người.",
            n.refused.len()
        ),
        true,
    );
    if n.refused.is_empty() {
        d.paragraph("Không có.", false);
    } else {
        let rows: Vec<Vec<String>> = n
            .refused
            .iter()
            .enumerate()
            .map(|(i, r)| {
                vec![
                    (i + 1).to_string(),
                    r.full_name.clone(),
                    format!("{}, {}", r.job_title, r.work_unit),
                    r.reason.clone(),
                ]
            })
            .collect();
        d.table(
            &[28.0, 112.0, 140.0, CONTENT - 280.0],
            &["STT", "Họ và tên", "Chức danh, đơn vị công tác", "Lý do"],
            &rows,
        );
    }
    if !n.granted.is_empty() {
        d.paragraph(
            &format!(
                "Mật khẩu ban đầu chỉ dùng cho lần đăng nhập đầu tiên: người được cấp phải đổi mật khẩu \
                 ngay khi đăng nhập; mật khẩu ban đầu hết hiệu lực sau {}. Đề nghị {ministry} giao tên \
                 đăng nhập và mật khẩu ban đầu trực tiếp cho từng người được cấp và giữ bí mật văn bản này.",
                n.expires
            ),
            false,
        );
    }
    let to = format!("- {ministry};");
    let lookup = format!(
        "(Văn bản điện tử; tra cứu theo mã {} trên Cổng)",
        n.reference
    );
    d.signatures(
        &[
            ("Nơi nhận:", true),
            (&to, false),
            ("- Lưu: Đơn vị quản lý Cổng.", false),
        ],
        &[("ĐƠN VỊ QUẢN LÝ CỔNG", true), (&lookup, false)],
    );
    d.finish(
        &n.reference,
        &format!("Thông báo kết quả cấp tài khoản {}", n.reference),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(n: usize) -> Notice {
        Notice {
            reference: "CT-2026-000001".into(),
            ministry: "Bộ Công Thương".into(),
            legal_basis: "Nghị định số 85/2019/NĐ-CP".into(),
            received: "23/11/2026".into(),
            date: (26, 11, 2026),
            expires: "03/12/2026 17:00".into(),
            granted: (0..n)
                .map(|i| Granted {
                    full_name: format!("Nguyễn Văn Ân {i}"),
                    job_title: "Chuyên viên chính".into(),
                    work_unit: "Cục Xuất nhập khẩu".into(),
                    username: format!("annv{i}.bct"),
                    password: "abcde-fghij-kmnp".into(),
                })
                .collect(),
            refused: vec![Refused {
                full_name: "Trần Thị Bình".into(),
                job_title: "Chuyên viên".into(),
                work_unit: "Vụ Kế hoạch".into(),
                reason: "Không thuộc biên chế của đơn vị".into(),
            }],
        }
    }

    #[test]
    fn renders_a_pdf() {
        let pdf = render(&sample(2)).unwrap();
        assert!(pdf.starts_with(b"%PDF"));
        // To look at it: MOTCUA_NOTICE_SAMPLE=/tmp/notice.pdf cargo test …
        if let Ok(path) = std::env::var("MOTCUA_NOTICE_SAMPLE") {
            std::fs::write(path, &pdf).unwrap();
        }
        // Fonts are subset: far smaller than the two TTFs (1.4 MB).
        assert!(pdf.len() < 200_000, "{} bytes", pdf.len());
    }

    #[test]
    fn long_lists_break_pages() {
        let pdf = render(&sample(80)).unwrap();
        assert!(pdf.starts_with(b"%PDF"));
    }
}
