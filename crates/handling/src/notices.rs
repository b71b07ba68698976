//! The notices of Circular 03/2025 App I issued at the agency: 02 the
//! supplement request, 03 the refusal, 04 the apology with a new date, 05
//! the stop notice — recorded when issued with the facts they state, so a
//! notice always reads the same — and 06 the control slip, drawn from the
//! hand-overs. PDFs with Vietnamese fonts (the kernel's PDF writer).
//! The applicant reads the notices of their own dossiers; the agency's
//! people those of their agency's.
use crate::store::notices::{self as store, NoticeRow};
use motcua_domain::Millis;
use motcua_dossiers::receipt::when;
use motcua_kernel::pdf::{Doc, CONTENT};
use motcua_kernel::service::{Result, ServiceError};
use motcua_kernel::Core;
use motcua_store::AnyConnection;

pub use crate::store::notices::NoticeRow as Notice;

pub const SUPPLEMENT: i64 = 2;
pub const REFUSAL: i64 = 3;
pub const APOLOGY: i64 = 4;
pub const STOP: i64 = 5;

/// The title of a form.
pub fn title(form: i64) -> &'static str {
    match form {
        SUPPLEMENT => "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
        REFUSAL => "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
        APOLOGY => "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
        STOP => "THÔNG BÁO DỪNG XỬ LÝ HỒ SƠ",
        _ => "THÔNG BÁO",
    }
}

/// The i18n key naming a form on pages.
pub fn title_key(form: i64) -> &'static str {
    match form {
        SUPPLEMENT => "handling.notice_2",
        REFUSAL => "handling.notice_3",
        APOLOGY => "handling.notice_4",
        STOP => "handling.notice_5",
        _ => "handling.unknown",
    }
}

/// Records a notice in the caller's transaction.
pub(crate) async fn issue(
    tx: &mut AnyConnection,
    dossier_id: i64,
    form: i64,
    unit_id: i64,
    actor_id: i64,
    facts: serde_json::Value,
    now: Millis,
) -> Result<i64> {
    Ok(store::insert(
        tx,
        &NoticeRow {
            id: 0,
            dossier_id,
            form,
            issued_at: now,
            unit_id,
            actor_id: Some(actor_id),
            facts: facts.to_string(),
        },
    )
    .await?)
}

/// The notices of a dossier (the caller checked who may read them).
pub(crate) async fn of_dossier(c: &mut AnyConnection, dossier_id: i64) -> Result<Vec<Notice>> {
    Ok(store::of_dossier(c, dossier_id).await?)
}

/// The notices of dossier `d` (read by its holder's own query).
pub async fn of_holder_dossier(
    core: &Core,
    d: &motcua_dossiers::progress::Facts,
) -> Result<Vec<Notice>> {
    let mut c = core.store.conn().await?;
    Ok(store::of_dossier(&mut c, d.id).await?)
}

/// The notices of the holder's dossier `code` (NotFound for anyone else's).
pub async fn of_applicant(core: &Core, account_id: i64, code: &str) -> Result<Vec<Notice>> {
    let mut c = core.store.conn().await?;
    let d = motcua_dossiers::progress::facts(&mut c, code)
        .await?
        .filter(|d| d.account_id == account_id)
        .ok_or(ServiceError::NotFound)?;
    Ok(store::of_dossier(&mut c, d.id).await?)
}

fn s<'a>(f: &'a serde_json::Value, k: &str) -> &'a str {
    f.get(k).and_then(|v| v.as_str()).unwrap_or_default()
}

fn head(doc: &mut Doc, f: &serde_json::Value, code: &str, at: Millis) {
    let d = motcua_domain::clock::vn_datetime(at);
    let agency = s(f, "agency_name").to_uppercase();
    let agency = if agency.is_empty() {
        "CƠ QUAN GIẢI QUYẾT".to_string()
    } else {
        agency
    };
    doc.letterhead(
        &[&agency, s(f, "unit_name")],
        &format!("Số hồ sơ: {code}"),
        &format!(
            "Ngày {:02} tháng {:02} năm {}",
            d.day(),
            u8::from(d.month()),
            d.year()
        ),
    );
}

/// A notice as a PDF.
pub fn pdf(n: &Notice) -> std::result::Result<Vec<u8>, String> {
    let f: serde_json::Value = serde_json::from_str(&n.facts).unwrap_or_default();
    let code = s(&f, "code").to_string();
    let mut doc = Doc::new()?;
    head(&mut doc, &f, &code, n.issued_at);
    doc.centered(14.0, true, title(n.form));
    doc.centered(12.0, true, &format!("Mã hồ sơ: {code}"));
    doc.gap(10.0);
    doc.paragraph(&format!("Kính gửi: {}.", s(&f, "applicant")), false);
    let procedure = format!(
        "{} (mã thủ tục {})",
        s(&f, "procedure_name"),
        s(&f, "procedure_code")
    );
    match n.form {
        SUPPLEMENT => {
            doc.paragraph(
                &format!(
                    "{} nhận được hồ sơ đề nghị giải quyết thủ tục {procedure} nộp lúc {}.",
                    s(&f, "agency_name"),
                    when(
                        f.get("submitted_at")
                            .and_then(|v| v.as_i64())
                            .unwrap_or_default()
                    )
                ),
                false,
            );
            doc.paragraph(
                "Sau khi xem xét, hồ sơ cần được bổ sung, hoàn thiện các nội dung sau:",
                false,
            );
            doc.paragraph(s(&f, "note"), true);
            doc.paragraph(
                "Thời gian giải quyết hồ sơ tạm dừng cho đến khi nhận được hồ sơ đầy đủ và được tính lại từ khi hồ sơ được bổ sung. Cơ quan chỉ yêu cầu bổ sung một lần. Ông/Bà bổ sung trực tuyến tại mục Hồ sơ của tôi trên Cổng Dịch vụ công quốc gia.",
                false,
            );
        }
        REFUSAL => {
            doc.paragraph(
                &format!(
                    "{} không tiếp nhận hồ sơ đề nghị giải quyết thủ tục {procedure}.",
                    s(&f, "agency_name")
                ),
                false,
            );
            doc.paragraph("Lý do:", true);
            doc.paragraph(s(&f, "note"), false);
        }
        APOLOGY => {
            doc.paragraph(
                &format!(
                    "{} đã tiếp nhận hồ sơ đề nghị giải quyết thủ tục {procedure}, hẹn trả kết quả lúc {}.",
                    s(&f, "agency_name"),
                    when(f.get("previous").and_then(|v| v.as_i64()).unwrap_or_default())
                ),
                false,
            );
            doc.paragraph(
                &format!(
                    "Hồ sơ chưa giải quyết được đúng hẹn vì lý do: {}",
                    s(&f, "note")
                ),
                false,
            );
            doc.paragraph(
                &format!(
                    "Cơ quan xin lỗi Ông/Bà và hẹn lại thời gian trả kết quả: {}.",
                    when(f.get("new").and_then(|v| v.as_i64()).unwrap_or_default())
                ),
                true,
            );
        }
        STOP => {
            doc.paragraph(
                &format!(
                    "{} dừng xử lý hồ sơ đề nghị giải quyết thủ tục {procedure}.",
                    s(&f, "agency_name")
                ),
                false,
            );
            doc.paragraph("Lý do (căn cứ pháp lý):", true);
            doc.paragraph(s(&f, "note"), false);
        }
        _ => {}
    }
    doc.signatures(
        &[
            ("Nơi nhận:", true),
            ("- Như trên;", false),
            ("- Lưu hồ sơ.", false),
        ],
        &[
            (&s(&f, "unit_name").to_uppercase(), true),
            (
                "(Văn bản điện tử gửi qua Cổng Dịch vụ công quốc gia)",
                false,
            ),
        ],
    );
    doc.finish(&code, &format!("{} {code}", title(n.form)))
}

/// A result document generated from the dossier's data and the agency's
/// decision text (signed at approval like an uploaded one).
pub(crate) fn result_pdf(
    facts: &motcua_dossiers::progress::Facts,
    unit_name: &str,
    title: &str,
    text: &str,
    now: Millis,
) -> std::result::Result<Vec<u8>, String> {
    let f = serde_json::json!({ "agency_name": facts.agency_name, "unit_name": unit_name });
    let mut doc = Doc::new()?;
    head(&mut doc, &f, &facts.code, now);
    doc.centered(14.0, true, &title.to_uppercase());
    doc.centered(12.0, true, &format!("Mã hồ sơ: {}", facts.code));
    doc.gap(10.0);
    doc.paragraph(&format!("Kính gửi: {}.", facts.applicant_name), false);
    doc.paragraph(
        &format!(
            "Kết quả giải quyết thủ tục {} (mã thủ tục {}), hồ sơ nộp lúc {}:",
            facts.procedure_name,
            facts.procedure_code,
            when(facts.submitted_at)
        ),
        false,
    );
    for p in text.split("\n").map(str::trim).filter(|p| !p.is_empty()) {
        doc.paragraph(p, false);
    }
    doc.signatures(
        &[
            ("Nơi nhận:", true),
            ("- Như trên;", false),
            ("- Lưu hồ sơ.", false),
        ],
        &[
            (&facts.agency_name.to_uppercase(), true),
            (
                "(Văn bản điện tử ký số bằng chứng thư số của cơ quan)",
                false,
            ),
        ],
    );
    doc.finish(&facts.code, &format!("{title} {}", facts.code))
}

/// One line of a control slip, in words.
#[derive(Debug, Clone)]
pub struct SlipText {
    pub step: String,
    pub unit: String,
    pub from: Millis,
    pub until: Option<Millis>,
    pub due: Millis,
    pub action: String,
    pub result: String,
}

/// The control slip (Form 06) as a PDF.
pub fn slip_pdf(
    code: &str,
    agency_name: &str,
    applicant: &str,
    procedure: &str,
    lines: &[SlipText],
    now: Millis,
) -> std::result::Result<Vec<u8>, String> {
    let mut doc = Doc::new()?;
    let f = serde_json::json!({ "agency_name": agency_name, "unit_name": "Bộ phận tiếp nhận và trả kết quả" });
    head(&mut doc, &f, code, now);
    doc.centered(14.0, true, "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ");
    doc.centered(12.0, true, &format!("Mã hồ sơ: {code}"));
    doc.gap(8.0);
    doc.paragraph(&format!("Tên người nộp hồ sơ: {applicant}."), false);
    doc.paragraph(&format!("Thủ tục: {procedure}."), false);
    let short = |at: Millis| {
        let t = motcua_domain::clock::vn_datetime(at);
        format!(
            "{:02}:{:02} {:02}/{:02}/{}",
            t.hour(),
            t.minute(),
            t.day(),
            u8::from(t.month()),
            t.year()
        )
    };
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|l| {
            vec![
                format!("{}\n{}", l.step, l.unit),
                short(l.from),
                l.until.map(short).unwrap_or_default(),
                short(l.due),
                l.action.clone(),
                l.result.clone(),
            ]
        })
        .collect();
    let w = [CONTENT - 5.0 * 78.0, 78.0, 78.0, 78.0, 78.0, 78.0];
    doc.table(
        &w,
        &[
            "Bước, đơn vị",
            "Nhận lúc",
            "Giao lúc",
            "Hạn",
            "Thao tác",
            "Kết quả",
        ],
        &rows,
    );
    doc.finish(
        code,
        &format!("Phiếu kiểm soát quá trình giải quyết hồ sơ {code}"),
    )
}
