//! Civil-servant provisioning (R-ID-6…8): the operator keeps ministries,
//! work units and function catalogs; a ministry manager submits a list by
//! form, CSV or XLSX (row-by-row errors in Vietnamese, nothing stored on
//! error); the deadline follows the legal basis in working days (R-OP-3);
//! the operator grants or refuses per person; the written notice (PDF)
//! lists exactly that, and only that ministry's managers and operators can
//! download it (R-OP-4).
use crate::helpers::*;
use motcua_domain::{MinistryId, PersonId, ProvisioningRequestId, Role, DAY};
use motcua_identity::service::NewAccountInput;
use motcua_nsw::store::provisioning as store;
use reqwest::StatusCode;

const BCT: &str = "Bộ Công Thương";
const MANAGER_PW: &str = "quan-ly-bo-cong-thuong-2026";

/// The seeded ministry with this code.
async fn ministry_id(app: &App, code: &str) -> MinistryId {
    let mut c = app.conn().await;
    store::ministries(&mut c)
        .await
        .expect("ministries")
        .into_iter()
        .find(|m| m.code == code)
        .unwrap_or_else(|| panic!("{}: no ministry {code}", app.name()))
        .id
}

/// POSTs one change to a ministry page like the operator's forms do.
async fn change(op: &Browser, mid: MinistryId, fields: &[(&str, &str)]) -> Page {
    let path = format!("/console/ministries/{mid}");
    op.submit(&path, &path, fields).await
}

/// Work units and functions of Bộ Công Thương, through the console.
async fn set_up_bct(app: &App, op: &Browser) -> MinistryId {
    let mid = ministry_id(app, "bct").await;
    for unit in ["Vụ Kế hoạch", "Cục Xuất nhập khẩu"] {
        let r = change(op, mid, &[("action", "add_unit"), ("name", unit)]).await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "{}: {}",
            app.name(),
            r.text
        );
    }
    for (code, name) in [
        ("tra_cuu", "Tra cứu hồ sơ"),
        ("phe_duyet", "Phê duyệt hồ sơ"),
    ] {
        let r = change(
            op,
            mid,
            &[("action", "add_function"), ("code", code), ("name", name)],
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "{}: {}",
            app.name(),
            r.text
        );
    }
    mid
}

/// An account made manager of a ministry by the operator; logged in.
async fn manager_of(app: &App, op: &Browser, mid: MinistryId, username: &str) -> Browser {
    app.create(NewAccountInput {
        username: username.into(),
        full_name: "Phạm Quản Lý".into(),
        email: Some(format!("{username}@bo.gov.vn")),
        roles: vec![Role::Citizen],
        initial_password: Some(MANAGER_PW.into()),
        permanent: true,
        ..Default::default()
    })
    .await;
    let r = change(
        op,
        mid,
        &[("action", "add_manager"), ("username", username)],
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "{}: {}",
        app.name(),
        r.text
    );
    let b = app.browser();
    assert_eq!(
        b.login(username, MANAGER_PW).await.status,
        StatusCode::SEE_OTHER
    );
    b
}

/// A multipart/form-data body, as a browser sends the upload form.
fn multipart(csrf: &str, basis: &str, name: &str, data: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----MotcuaTestBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (field, value) in [("csrf", csrf), ("legal_basis", basis)] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(data);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(b: &Browser, basis: &str, name: &str, data: Vec<u8>) -> Page {
    let csrf = b.get("/ministry/requests/new").await.csrf();
    let (content_type, body) = multipart(&csrf, basis, name, &data);
    b.post_raw("/ministry/requests/upload", &content_type, body)
        .await
}

/// The request id a successful submission redirects to.
fn submitted_id(app: &App, r: &Page) -> ProvisioningRequestId {
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "{}: {}",
        app.name(),
        r.text
    );
    let loc = r.location().unwrap_or_default();
    loc.strip_prefix("/ministry/requests/")
        .and_then(|s| s.split('?').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{}: redirect {loc}", app.name()))
}

async fn counts(app: &App) -> (i64, i64, i64) {
    let mut c = app.conn().await;
    (
        scalar(&mut c, "SELECT COUNT(*) FROM provisioning_requests").await,
        scalar(&mut c, "SELECT COUNT(*) FROM provisioning_persons").await,
        scalar(&mut c, "SELECT COUNT(*) FROM attachments").await,
    )
}

const GOOD_CSV: &str = "\u{feff}Họ và tên,Chức danh,Đơn vị công tác,Email,Quyền\n\
    Nguyễn Văn An,Chuyên viên,Vụ Kế hoạch,an.nv@moit.gov.vn,tra_cuu;phe_duyet\n\
    Trần Thị Bình,Chuyên viên chính,cuc xuat nhap khau,binh.tt@moit.gov.vn,tra_cuu\n\
    Lê Minh Châu,Trưởng phòng,Cục Xuất nhập khẩu,chau.lm@moit.gov.vn,phe_duyet\n";

/// Page text with the quotes askama escapes put back.
fn unescape(s: &str) -> String {
    s.replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
}

fn pdf_text(pdf: &[u8]) -> String {
    let text = pdf_extract::extract_text_from_mem(pdf).expect("extract PDF text");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Without any whitespace: a line wrapped inside a table cell comes out
/// of the extractor without a space at the break.
fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[tokio::test]
async fn operator_keeps_ministries_units_functions_and_legal_bases() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let op = app.operator_browser().await;
        let page = op.get("/console/ministries").await;
        assert_eq!(page.status, StatusCode::OK, "{n}");
        assert!(
            page.text.contains(BCT) && page.text.contains("Bộ Tài chính"),
            "{n}"
        );
        assert!(
            page.text.contains("decree-85-2019") && page.text.contains("jc-89-2016"),
            "{n}"
        );

        // A new ministry; bad and duplicate codes are refused with a message.
        let r = op
            .submit(
                "/console/ministries",
                "/console/ministries",
                &[("code", "byt"), ("name", "Bộ Y tế")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let byt = ministry_id(&app, "byt").await;
        for (code, msg) in [("BYT", "Mã Bộ này đã có"), ("b y", "Mã Bộ gồm 2–20 ký tự")]
        {
            let r = op
                .submit(
                    "/console/ministries",
                    "/console/ministries",
                    &[("code", code), ("name", "Bộ Y tế")],
                )
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}: {code}");
            assert!(r.text.contains(msg), "{n}: {code}: {}", r.text);
        }

        let mid = set_up_bct(&app, &op).await;
        // The same unit, written another way, is one unit.
        let r = change(&op, mid, &[("action", "add_unit"), ("name", "vu ke HOACH")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(
            r.text.contains("Bộ đã có đơn vị công tác với tên này"),
            "{n}"
        );
        let r = change(
            &op,
            mid,
            &[
                ("action", "add_function"),
                ("code", "Tra cứu!"),
                ("name", "x y"),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        let page = op.get(&format!("/console/ministries/{mid}")).await;
        assert!(
            page.text.contains("Cục Xuất nhập khẩu") && page.text.contains("phe_duyet"),
            "{n}"
        );
        // A removed function leaves the catalog; the change is audited.
        let fid = {
            let mut c = app.conn().await;
            store::add_function(&mut c, byt, "tam", "Tạm", 0)
                .await
                .expect("add")
        };
        let r = change(
            &op,
            byt,
            &[("action", "remove_function"), ("id", &fid.to_string())],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        let actions: Vec<String> = app
            .audit_actions(&format!("ministry:{mid}"))
            .await
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(
            actions.iter().filter(|a| *a == "ministry.unit_add").count(),
            2,
            "{n}: {actions:?}"
        );
        assert_eq!(
            actions
                .iter()
                .filter(|a| *a == "ministry.function_add")
                .count(),
            2,
            "{n}"
        );

        // Legal bases are configurable: days and ministries, audited.
        let r = op
            .submit(
                "/console/ministries",
                "/console/legal-bases/jc-89-2016",
                &[("working_days", "6"), ("ministries", "bct btc byt")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let r = op
            .submit(
                "/console/ministries",
                "/console/legal-bases/jc-89-2016",
                &[("working_days", "0"), ("ministries", "")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        let r = op
            .submit(
                "/console/ministries",
                "/console/legal-bases/jc-89-2016",
                &[("working_days", "5"), ("ministries", "bct khong-co")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        {
            let mut c = app.conn().await;
            let b = store::legal_basis(&mut c, "jc-89-2016")
                .await
                .expect("basis")
                .expect("exists");
            assert_eq!(
                (b.working_days, b.ministries.as_str()),
                (6, "bct btc byt"),
                "{n}"
            );
        }
        assert_eq!(
            app.audit_actions("legal_basis:jc-89-2016").await.len(),
            1,
            "{n}"
        );

        // Citizens see none of it.
        app.user("congdan01", "Nguyễn Văn Dân", "Cong-Dan-2026-x")
            .await;
        let citizen = app.browser();
        citizen.login("congdan01", "Cong-Dan-2026-x").await;
        for path in [
            "/console/ministries",
            "/console/provisioning",
            "/ministry/requests",
        ] {
            assert_eq!(
                citizen.get(path).await.status,
                StatusCode::FORBIDDEN,
                "{n}: {path}"
            );
        }
        app.assert_audit_intact().await;
    })
    .await;
}

#[tokio::test]
async fn manager_submits_by_form_and_the_deadline_follows_the_legal_basis() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let op = app.operator_browser().await;
        let mid = set_up_bct(&app, &op).await;
        let m = manager_of(&app, &op, mid, "ql.bct").await;

        let form = m.get("/ministry/requests/new").await;
        assert_eq!(form.status, StatusCode::OK, "{n}: {}", form.text);
        assert_eq!(count(&form.text, "<fieldset id=\"row-"), 3, "{n}");
        // Both legal bases apply to Bộ Công Thương.
        assert!(
            form.text.contains("decree-85-2019") && form.text.contains("jc-89-2016"),
            "{n}"
        );
        // "Add a row" keeps what was typed and stores nothing.
        let csrf = form.csrf();
        let more = m
            .post_form(
                "/ministry/requests",
                &[
                    ("csrf", &csrf),
                    ("rows", "3"),
                    ("action", "more"),
                    ("full_name_1", "Nguyễn Văn An"),
                ],
            )
            .await;
        assert_eq!(more.status, StatusCode::OK, "{n}");
        assert_eq!(count(&more.text, "<fieldset id=\"row-"), 4, "{n}");
        assert!(more.text.contains("value=\"Nguyễn Văn An\""), "{n}");
        assert_eq!(counts(&app).await.0, 0, "{n}");

        for (basis, days) in [("decree-85-2019", 3u32), ("jc-89-2016", 5)] {
            let e1 = format!("an.{days}@moit.gov.vn");
            let e2 = format!("binh.{days}@moit.gov.vn");
            let r = m
                .post_form(
                    "/ministry/requests",
                    &[
                        ("csrf", &csrf),
                        ("rows", "3"),
                        ("action", "submit"),
                        ("legal_basis", basis),
                        ("full_name_1", "Nguyễn Văn An"),
                        ("job_title_1", "Chuyên viên"),
                        ("work_unit_1", "Vụ Kế hoạch"),
                        ("email_1", &e1),
                        ("permissions_1", "tra_cuu"),
                        ("permissions_1", "phe_duyet"),
                        ("full_name_3", "Trần Thị Bình"),
                        ("job_title_3", "Chuyên viên chính"),
                        ("work_unit_3", "Cục Xuất nhập khẩu"),
                        ("email_3", &e2),
                        ("permissions_3", "tra_cuu"),
                    ],
                )
                .await;
            let id = submitted_id(&app, &r);
            let page = m
                .get(&format!(
                    "/ministry/requests/{id}?done=provisioning_submitted"
                ))
                .await;
            assert_eq!(page.status, StatusCode::OK, "{n}");
            assert!(page.text.contains("Đã tiếp nhận yêu cầu"), "{n}");
            let mut c = app.conn().await;
            let req = store::request(&mut c, id)
                .await
                .expect("request")
                .expect("exists");
            assert!(page.text.contains(&req.reference), "{n}");
            assert!(
                req.reference.starts_with("CT-20")
                    && req
                        .reference
                        .ends_with(if days == 3 { "000001" } else { "000002" }),
                "{n}: {}",
                req.reference
            );
            assert_eq!(
                (req.status.as_str(), req.source.as_str(), req.persons),
                ("open", "form", 2),
                "{n}"
            );
            let due =
                motcua_kernel::calendar::deadline_days(app.state(), req.received_at, days, None)
                    .await
                    .expect("deadline");
            assert_eq!(req.due_at, due, "{n}: {basis}");
            // Five working days always span a weekend.
            if days == 5 {
                assert!(req.due_at - req.received_at >= 6 * DAY, "{n}");
            }
            let persons = store::persons(&mut c, id).await.expect("persons");
            assert_eq!(persons[0].permissions, "tra_cuu phe_duyet", "{n}");
            assert_eq!(
                (persons[1].row_no, persons[1].work_unit.as_str()),
                (3, "Cục Xuất nhập khẩu"),
                "{n}"
            );
            drop(c);
            let audit = app.audit_actions(&format!("provisioning:{id}")).await;
            assert_eq!(audit[0].action, "provisioning.submit", "{n}");
        }
        // The operator is told of each request.
        app.drain().await;
        assert_eq!(app.mails_to("vanhanh@portal.example.vn").len(), 2, "{n}");

        // Errors name the row and the field, in Vietnamese; nothing stored.
        let before = counts(&app).await;
        let r = m
            .post_form(
                "/ministry/requests",
                &[
                    ("csrf", &csrf),
                    ("rows", "3"),
                    ("action", "submit"),
                    ("legal_basis", "decree-85-2019"),
                    ("full_name_2", "Lê Văn Cường"),
                    ("job_title_2", "Chuyên viên"),
                    ("work_unit_2", "Vụ Kế hoạch"),
                    ("email_2", "cuong-at-moit"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(
            r.text.contains("Dòng 2: email không hợp lệ"),
            "{n}: {}",
            r.text
        );
        assert!(r.text.contains("Dòng 2: chưa có quyền nào"), "{n}");
        assert!(
            r.text.contains("value=\"Lê Văn Cường\""),
            "{n}: the form keeps the input"
        );
        assert_eq!(counts(&app).await, before, "{n}");
        // A legal basis that does not apply to the ministry.
        {
            let mut c = app.conn().await;
            store::update_legal_basis(&mut c, "jc-89-2016", 5, "btc", 0)
                .await
                .expect("update");
        }
        let r = m
            .post_form(
                "/ministry/requests",
                &[
                    ("csrf", &csrf),
                    ("rows", "1"),
                    ("action", "submit"),
                    ("legal_basis", "jc-89-2016"),
                    ("full_name_1", "Lê Văn Cường"),
                    ("job_title_1", "Chuyên viên"),
                    ("work_unit_1", "Vụ Kế hoạch"),
                    ("email_1", "cuong@moit.gov.vn"),
                    ("permissions_1", "tra_cuu"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(
            r.text
                .contains("Vui lòng chọn căn cứ pháp lý áp dụng cho Bộ"),
            "{n}"
        );
        assert_eq!(counts(&app).await, before, "{n}");

        let list = m.get("/ministry/requests").await;
        assert_eq!(
            count(&list.text, "/ministry/requests/"),
            2 + 1,
            "{n}: two rows and the new link"
        );
        app.assert_audit_intact().await;
    })
    .await;
}

#[tokio::test]
async fn uploads_csv_and_xlsx_with_row_errors_and_bad_files() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let op = app.operator_browser().await;
        let mid = set_up_bct(&app, &op).await;
        let m = manager_of(&app, &op, mid, "ql.bct").await;

        // A CSV of 3 persons (Vietnamese header, BOM, a unit typed without diacritics).
        let r = upload(&m, "decree-85-2019", "danh-sach.csv", GOOD_CSV.as_bytes().to_vec()).await;
        let id = submitted_id(&app, &r);
        {
            let mut c = app.conn().await;
            let req = store::request(&mut c, id).await.expect("request").expect("exists");
            assert_eq!((req.source.as_str(), req.persons), ("csv", 3), "{n}");
            let kept = motcua_kernel::blobs::fetch(&app.node.state, &mut c, req.upload_sha256.as_deref().expect("kept"))
                .await
                .expect("get")
                .expect("stored");
            assert_eq!(kept.data, GOOD_CSV.as_bytes(), "{n}: the file is kept as sent");
            let persons = store::persons(&mut c, id).await.expect("persons");
            assert_eq!(persons[1].work_unit, "Cục Xuất nhập khẩu", "{n}");
            assert_eq!(persons.iter().map(|p| p.row_no).collect::<Vec<_>>(), vec![2, 3, 4], "{n}");
        }

        // An XLSX built here, without a header row.
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        let rows = [
            ["Phạm Thu Hà", "Chuyên viên", "Vụ Kế hoạch", "ha.pt@moit.gov.vn", "tra_cuu"],
            ["Đỗ Quang Huy", "Phó Vụ trưởng", "Vụ Kế hoạch", "huy.dq@moit.gov.vn", "tra_cuu; phe_duyet"],
        ];
        for (i, row) in rows.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                sheet.write_string(i as u32, j as u16, *v).expect("write");
            }
        }
        let xlsx = book.save_to_buffer().expect("xlsx");
        let r = upload(&m, "jc-89-2016", "danh-sach.xlsx", xlsx.clone()).await;
        let id = submitted_id(&app, &r);
        {
            let mut c = app.conn().await;
            let req = store::request(&mut c, id).await.expect("request").expect("exists");
            assert_eq!((req.source.as_str(), req.persons, req.working_days), ("xlsx", 2, 5), "{n}");
            let persons = store::persons(&mut c, id).await.expect("persons");
            assert_eq!(persons[1].full_name, "Đỗ Quang Huy", "{n}");
            assert_eq!(persons[1].permissions, "tra_cuu phe_duyet", "{n}");
            assert_eq!(persons[0].row_no, 1, "{n}");
        }

        // Bad rows: each error names its row and field; nothing is stored.
        let before = counts(&app).await;
        let bad = "ho_ten,chuc_danh,don_vi_cong_tac,email,quyen\n\
                   Vũ Thị Lan,Chuyên viên,Vụ Kế hoạch,lan@moit.gov.vn,tra_cuu\n\
                   Hoàng Văn Nam,Chuyên viên,Vụ Kế hoạch,nam-at-moit,tra_cuu\n\
                   Bùi Thị Oanh,Chuyên viên,Vụ Kế hoạch,oanh@moit.gov.vn,tra_cuu;xyz\n\
                   Ngô Văn Phúc,Chuyên viên,Vụ Không Có,phuc@moit.gov.vn,tra_cuu\n\
                   Đinh Thị Quỳnh,,Vụ Kế hoạch,LAN@moit.gov.vn,tra_cuu\n\
                   Mai Văn Sơn,Chuyên viên,Vụ Kế hoạch,an.nv@moit.gov.vn,\n";
        // an.nv@ was used by the first request, but is not an account yet:
        // make it one.
        app.create(NewAccountInput {
            username: "nguoicu".into(),
            full_name: "Người Cũ".into(),
            email: Some("an.nv@moit.gov.vn".into()),
            roles: vec![Role::Citizen],
            ..Default::default()
        })
        .await;
        let r = upload(&m, "decree-85-2019", "loi.csv", bad.as_bytes().to_vec()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}: {}", r.text);
        for msg in [
            "Dòng 3: email không hợp lệ ('nam-at-moit')",
            "Dòng 4: quyền 'xyz' không có trong danh mục chức năng của Bộ Công Thương",
            "Dòng 5: đơn vị công tác 'Vụ Không Có' không có trong danh sách đơn vị của Bộ Công Thương",
            "Dòng 6: chức danh là bắt buộc",
            "Dòng 6: email 'LAN@moit.gov.vn' trùng với dòng 2",
            "Dòng 7: email 'an.nv@moit.gov.vn' đã được dùng cho một tài khoản trên Cổng",
            "Dòng 7: chưa có quyền nào",
        ] {
            assert!(unescape(&r.text).contains(msg), "{n}: missing «{msg}» in:\n{}", r.text);
        }
        assert!(!r.text.contains("Dòng 2:"), "{n}: row 2 is fine");
        assert_eq!(counts(&app).await, before, "{n}: nothing stored");

        // Malformed CSV, wrong types, wrong encoding, oversize: a clear message each.
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("loi.csv", b"ho_ten,chuc_danh,don_vi_cong_tac,email,quyen\nA,B,C,a@b.vn,x\n\"B,C,D,e@f.vn,x\n".to_vec(), "Dòng 3: không đọc được dòng CSV"),
            ("danh-sach.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n".to_vec(), "Tệp phải là CSV (UTF-8) hoặc Excel XLSX"),
            ("danh-sach.xlsx", GOOD_CSV.as_bytes().to_vec(), "Tệp phải là CSV (UTF-8) hoặc Excel XLSX"),
            ("danh-sach.csv", xlsx.clone(), "Tệp phải là CSV (UTF-8) hoặc Excel XLSX"),
            ("anh.png", b"\x89PNG\r\n\x1a\n....".to_vec(), "Tệp phải là CSV (UTF-8) hoặc Excel XLSX"),
            ("cp1258.csv", b"H\xe0 N\xf4i,Chuy\xean vi\xean,V\xfb,a@b.vn,x\n".to_vec(), "Tệp CSV phải được lưu với bảng mã UTF-8"),
            ("to.csv", vec![b'a'; 2100 * 1024], "Tệp quá lớn: tối đa 2 MB"),
            ("rong.csv", b"ho_ten,chuc_danh,don_vi_cong_tac,email,quyen\n,,,,\n".to_vec(), "Danh sách không có người nào"),
            ("thieu.csv", b"ho_ten,email,quyen\nA,a@b.vn,x\n".to_vec(), "Dòng tiêu đề thiếu cột chuc_danh"),
        ];
        for (name, data, msg) in cases {
            let r = upload(&m, "decree-85-2019", name, data).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}: {name}: {}", r.text);
            assert!(unescape(&r.text).contains(msg), "{n}: {name}: missing «{msg}» in:\n{}", r.text);
        }
        // Larger than any request body: refused before reaching the page.
        let r = upload(&m, "decree-85-2019", "rat-to.csv", vec![b'a'; 7 * 1024 * 1024]).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{n}");
        assert_eq!(counts(&app).await, before, "{n}: nothing stored");
    })
    .await;
}

#[tokio::test]
async fn operator_grants_two_refuses_one_and_the_notice_says_exactly_that() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let op = app.operator_browser().await;
        let mid = set_up_bct(&app, &op).await;
        let m = manager_of(&app, &op, mid, "ql.bct").await;
        // A manager of another ministry, and its own request.
        let btc = ministry_id(&app, "btc").await;
        let other = manager_of(&app, &op, btc, "ql.btc").await;

        let r = upload(&m, "decree-85-2019", "ds.csv", GOOD_CSV.as_bytes().to_vec()).await;
        let id = submitted_id(&app, &r);
        let persons = {
            let mut c = app.conn().await;
            store::persons(&mut c, id).await.expect("persons")
        };
        let (an, binh, chau) = (persons[0].id, persons[1].id, persons[2].id);

        // The queue shows it with its remaining working time.
        let q = op.get("/console/provisioning").await;
        assert_eq!(q.status, StatusCode::OK, "{n}");
        assert!(q.text.contains("ngày làm việc"), "{n}: {}", q.text);
        let page = format!("/console/provisioning/{id}");
        let items = {
            let mut c = app.conn().await;
            motcua_nsw::provisioning::sla_items(&mut c, 1000)
                .await
                .expect("sla")
        };
        assert_eq!(items.len(), 1, "{n}");
        assert_eq!(
            (items[0].kind, items[0].kind_key),
            ("provisioning", "sla.kind_provisioning"),
            "{n}"
        );
        assert_eq!(items[0].link, page, "{n}");

        // Only operators decide.
        let grant = |p: PersonId| format!("/console/provisioning/{id}/persons/{p}/grant");
        let refuse = |p: PersonId| format!("/console/provisioning/{id}/persons/{p}/refuse");
        let csrf = m.get("/ministry/requests").await.csrf();
        let r = m.post_form(&grant(an), &[("csrf", &csrf)]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{n}");

        let r = op.submit(&page, &grant(an), &[]).await;
        assert!(
            r.redirects_to(&format!("{page}?done=provisioning_decided")),
            "{n}: {r:?}"
        );
        // A reason is required to refuse; a too-short one changes nothing.
        let r = op.submit(&page, &refuse(binh), &[("reason", "x ")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(
            r.text.contains("Vui lòng nhập lý do không chấp thuận"),
            "{n}"
        );
        let reason = "Không thuộc biên chế của Cục Xuất nhập khẩu";
        let r = op.submit(&page, &refuse(binh), &[("reason", reason)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        // A second decision on a decided person: a message, nothing changes.
        for path in [grant(an), grant(binh), refuse(an)] {
            let r = op
                .submit(&page, &path, &[("reason", "Đổi ý sau khi xem lại")])
                .await;
            assert_eq!(r.status, StatusCode::CONFLICT, "{n}: {path}");
            assert!(
                r.text.contains("Người này đã được quyết định trước đó"),
                "{n}"
            );
        }
        {
            let mut c = app.conn().await;
            let p = store::persons(&mut c, id).await.expect("persons");
            assert_eq!(p[0].decision, "granted", "{n}");
            assert_eq!(
                (p[1].decision.as_str(), p[1].reason.as_deref()),
                ("refused", Some(reason)),
                "{n}"
            );
            assert_eq!(
                scalar(&mut c, "SELECT COUNT(*) FROM civil_servants").await,
                1,
                "{n}"
            );
        }
        let r = op.submit(&page, &grant(chau), &[]).await;
        assert!(
            r.redirects_to(&format!("{page}?done=provisioning_completed")),
            "{n}: {r:?}"
        );

        let (req, persons) = {
            let mut c = app.conn().await;
            (
                store::request(&mut c, id)
                    .await
                    .expect("request")
                    .expect("exists"),
                store::persons(&mut c, id).await.expect("persons"),
            )
        };
        assert_eq!(
            (req.status.as_str(), req.granted, req.refused),
            ("completed", 2, 1),
            "{n}"
        );
        assert!(
            persons.iter().all(|p| p.sealed_password.is_none()),
            "{n}: passwords erased"
        );
        let usernames: Vec<String> = persons.iter().filter_map(|p| p.username.clone()).collect();
        assert_eq!(
            usernames,
            vec!["annv.bct".to_string(), "chaulm.bct".to_string()],
            "{n}"
        );

        // The accounts: civil servants, initial passwords, events, permissions.
        for p in persons.iter().filter(|p| p.decision == "granted") {
            let aid = p.account_id.expect("account");
            let a = app.account(aid).await;
            assert_eq!(a.roles, vec![Role::CivilServant], "{n}");
            assert_eq!(a.email.as_deref(), Some(p.email.as_str()), "{n}");
            assert!(app.credential(aid).await.is_initial, "{n}");
            let mut c = app.conn().await;
            let events = motcua_store::events::events(&mut c, Some(&format!("account:{aid}")), 10)
                .await
                .expect("events");
            assert_eq!(
                events
                    .iter()
                    .filter(|e| e.kind == "account.created")
                    .count(),
                1,
                "{n}"
            );
            let cs = store::civil_servant(&mut c, aid)
                .await
                .expect("cs")
                .expect("exists");
            assert_eq!(
                (cs.ministry_id, cs.permissions.as_str()),
                (mid, p.permissions.as_str()),
                "{n}"
            );
        }

        // The notice: the manager downloads it; it lists exactly the decisions.
        let list = m.get(&format!("/ministry/requests/{id}")).await;
        assert!(
            list.text
                .contains(&format!("/ministry/requests/{id}/notice.pdf")),
            "{n}"
        );
        let r = m
            .send(
                m.client
                    .get(m.url(&format!("/ministry/requests/{id}/notice.pdf"))),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{n}");
        assert_eq!(r.header("content-type"), Some("application/pdf"), "{n}");
        let pdf = m
            .client
            .get(m.url(&format!("/ministry/requests/{id}/notice.pdf")))
            .send()
            .await
            .expect("pdf")
            .bytes()
            .await
            .expect("bytes")
            .to_vec();
        assert!(pdf.starts_with(b"%PDF"), "{n}");
        let text = pdf_text(&pdf);
        for needle in [
            "THÔNG BÁO",
            "Kết quả cấp tài khoản",
            req.reference.as_str(),
            BCT,
            "annv.bct",
            "chaulm.bct",
            "Trần Thị Bình",
            reason,
            "Đơn vị quản lý Cổng",
            "Nghị định số 85/2019/NĐ-CP",
        ] {
            assert!(
                squeeze(&text).contains(&squeeze(needle)),
                "{n}: «{needle}» not in the notice:\n{text}"
            );
        }
        assert!(
            squeeze(&text).contains(&squeeze("1. Tài khoản được cấp: 2 người")),
            "{n}: {text}"
        );
        assert!(
            squeeze(&text).contains(&squeeze("2. Đề nghị không được chấp thuận: 1 người")),
            "{n}: {text}"
        );
        assert!(
            !text.contains("binhtt"),
            "{n}: the refused person has no account"
        );
        // The passwords are in the notice: the first holder logs in with
        // it and must change it at once.
        // The text extraction may split a word where the PDF spaces its
        // glyphs: join what follows the username up to the password's 16
        // characters (xxxxx-xxxxx-xxxx).
        let tokens: Vec<&str> = text.split_whitespace().collect();
        let at = tokens
            .iter()
            .position(|t| *t == "annv.bct")
            .expect("username in the notice");
        let mut password = String::new();
        for t in &tokens[at + 1..] {
            if password.len() >= 16 {
                break;
            }
            password.push_str(t);
        }
        assert_eq!(password.len(), 16, "{n}: {password}");
        let holder = app.browser();
        let r = holder.login("annv.bct", &password).await;
        assert!(r.redirects_to("/password/change"), "{n}: {r:?}");
        // Downloads are audited; the console can download it too.
        let r = op
            .get(&format!("/console/provisioning/{id}/notice.pdf"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{n}");
        let downloads = app
            .audit_actions(&format!("provisioning:{id}"))
            .await
            .into_iter()
            .filter(|e| e.action == "provisioning.notice_download")
            .count();
        assert_eq!(downloads, 3, "{n}");

        // Another ministry's manager sees nothing of it.
        for path in [
            format!("/ministry/requests/{id}"),
            format!("/ministry/requests/{id}/notice.pdf"),
        ] {
            assert_eq!(
                other.get(&path).await.status,
                StatusCode::NOT_FOUND,
                "{n}: {path}"
            );
        }
        assert!(
            !other
                .get("/ministry/requests")
                .await
                .text
                .contains(&req.reference),
            "{n}"
        );
        assert_eq!(other.get(&page).await.status, StatusCode::FORBIDDEN, "{n}");
        let anon = app.browser();
        let r = anon
            .get(&format!("/ministry/requests/{id}/notice.pdf"))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: to the login page");

        // The manager is mailed, without any password.
        app.drain().await;
        let mails = app.mails_to("ql.bct@bo.gov.vn");
        assert_eq!(mails.len(), 1, "{n}");
        let mail = &mails[0];
        assert!(
            mail.subject.contains(&req.reference),
            "{n}: {}",
            mail.subject
        );
        assert!(
            mail.text.contains(&format!("/ministry/requests/{id}")),
            "{n}"
        );
        assert!(
            !mail.text.contains(&password) && !mail.html.contains(&password),
            "{n}"
        );
        assert!(app.mails_to("ql.btc@bo.gov.vn").is_empty(), "{n}");
        // Completed requests leave the SLA list; decisions are over.
        let mut c = app.conn().await;
        assert!(
            motcua_nsw::provisioning::sla_items(&mut c, 1000)
                .await
                .expect("sla")
                .is_empty(),
            "{n}"
        );
        drop(c);
        let r = op
            .submit(&page, &refuse(chau), &[("reason", "Đổi ý sau khi xem lại")])
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{n}");
        app.assert_audit_intact().await;
    })
    .await;
}

#[tokio::test]
async fn one_email_one_account_and_managers_need_a_ministry() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let op = app.operator_browser().await;
        let mid = set_up_bct(&app, &op).await;
        let m = manager_of(&app, &op, mid, "ql.bct").await;

        // The same person in two requests (no account yet when both were
        // sent): the second grant is refused with a message, nothing changes.
        let one = "ho_ten,chuc_danh,don_vi_cong_tac,email,quyen\nNguyễn Văn An,Chuyên viên,Vụ Kế hoạch,an.nv@moit.gov.vn,tra_cuu\n";
        let first = submitted_id(&app, &upload(&m, "decree-85-2019", "a.csv", one.as_bytes().to_vec()).await);
        let second = submitted_id(&app, &upload(&m, "decree-85-2019", "b.csv", one.as_bytes().to_vec()).await);
        let person = |id: ProvisioningRequestId| {
            let app = &app;
            async move {
                let mut c = app.conn().await;
                store::persons(&mut c, id).await.expect("persons")[0].id
            }
        };
        let (p1, p2) = (person(first).await, person(second).await);
        let page1 = format!("/console/provisioning/{first}");
        let page2 = format!("/console/provisioning/{second}");
        let r = op.submit(&page1, &format!("{page1}/persons/{p1}/grant"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        let accounts = {
            let mut c = app.conn().await;
            scalar(&mut c, "SELECT COUNT(*) FROM accounts").await
        };
        let r = op.submit(&page2, &format!("{page2}/persons/{p2}/grant"), &[]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(r.text.contains("Email của người này đã được dùng cho một tài khoản khác"), "{n}");
        {
            let mut c = app.conn().await;
            assert_eq!(scalar(&mut c, "SELECT COUNT(*) FROM accounts").await, accounts, "{n}");
            let p = store::persons(&mut c, second).await.expect("persons");
            assert_eq!(p[0].decision, "pending", "{n}");
        }
        // Refusing it completes that request: a notice with no account.
        let r = op
            .submit(&page2, &format!("{page2}/persons/{p2}/refuse"), &[("reason", "Đã được cấp theo yêu cầu khác")])
            .await;
        assert!(r.redirects_to(&format!("{page2}?done=provisioning_completed")), "{n}: {r:?}");
        let pdf = m
            .client
            .get(m.url(&format!("/ministry/requests/{second}/notice.pdf")))
            .send()
            .await
            .expect("pdf")
            .bytes()
            .await
            .expect("bytes");
        let text = squeeze(&pdf_text(&pdf));
        assert!(text.contains(&squeeze("1. Tài khoản được cấp: 0 người")), "{n}: {text}");
        assert!(text.contains(&squeeze("Đã được cấp theo yêu cầu khác")), "{n}");

        // A unit that appears in a request cannot be removed.
        let unit = {
            let mut c = app.conn().await;
            store::work_units(&mut c, mid).await.expect("units").into_iter().find(|u| u.name == "Vụ Kế hoạch").expect("unit").id
        };
        let r = change(&op, mid, &[("action", "remove_unit"), ("id", &unit.to_string())]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(r.text.contains("Không xóa được"), "{n}");

        // The role alone is not enough: a manager needs a ministry.
        app.create(NewAccountInput {
            username: "ql.chuagiao".into(),
            full_name: "Chưa Giao".into(),
            roles: vec![Role::MinistryManager],
            initial_password: Some(MANAGER_PW.into()),
            permanent: true,
            ..Default::default()
        })
        .await;
        let b = app.browser();
        b.login("ql.chuagiao", MANAGER_PW).await;
        let r = b.get("/ministry/requests").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{n}");
        assert!(r.text.contains("chưa được giao quản lý yêu cầu của Bộ nào"), "{n}");
        // Removing a manager takes the access away (and the role).
        let aid = {
            let mut c = app.conn().await;
            motcua_identity::store::accounts::by_username(&mut c, "ql.bct").await.expect("get").expect("exists").id
        };
        let r = change(&op, mid, &[("action", "remove_manager"), ("id", &aid.to_string())]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        assert!(!app.account(aid).await.has_role(Role::MinistryManager), "{n}");
        assert_eq!(m.get("/ministry/requests").await.status, StatusCode::FORBIDDEN, "{n}");
        let actions: Vec<String> = app
            .audit_actions(&format!("account:{aid}"))
            .await
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert!(actions.contains(&"ministry.manager_add".to_string()), "{n}: {actions:?}");
        assert!(actions.contains(&"ministry.manager_remove".to_string()), "{n}");
        app.assert_audit_intact().await;
    })
    .await;
}
