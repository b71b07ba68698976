//! Issue #8, part 2: a citizen fills a procedure's e-form a page at a
//! time, leaves, resumes from another browser, checks the answers and
//! submits once (R-PS-3, R-PS-5, R-PS-14, R-PS-15, R-ID-13, R-ID-15);
//! nobody else reaches the draft or the dossier; bad input is named and
//! loses nothing.
use crate::helpers::*;
use motcua_kernel::service::Origin;
use reqwest::StatusCode;

pub(crate) const PW: &str = "mat-khau-du-dai-2026";
const BIRTH: &str = "1.001193";

pub(crate) async fn seeded(app: &App) {
    motcua_catalog::seed::load(app.state(), &Origin::cli())
        .await
        .expect("catalog");
    let made = motcua_dossiers::seed_forms(app.state(), &Origin::cli())
        .await
        .expect("forms");
    assert!(made >= 40, "{}: {made} forms", app.name());
    assert_eq!(
        motcua_dossiers::seed_forms(app.state(), &Origin::cli())
            .await
            .expect("forms again"),
        0,
        "seeding twice changes nothing"
    );
}

/// A logged-in citizen who allowed the reuse of their name and email.
pub(crate) async fn citizen(
    app: &App,
    username: &str,
    name: &str,
) -> (motcua_domain::AccountId, Browser) {
    let id = app.user(username, name, PW).await;
    motcua_identity::profile::set_consents(
        &app.state().identity_ctx,
        &Origin::cli(),
        id,
        &["full_name".to_string(), "email".to_string()],
    )
    .await
    .expect("consent");
    let b = app.browser();
    assert_eq!(b.login(username, PW).await.status, StatusCode::SEE_OTHER);
    (id, b)
}

/// Starts a draft of `code` from the procedure's page; its public id.
pub(crate) async fn start(b: &Browser, code: &str) -> String {
    let page = b.get(&format!("/procedures/{code}")).await;
    assert!(
        page.text
            .contains(&format!("action=\"/procedures/{code}/start\"")),
        "the procedure page offers to apply online"
    );
    let r = b
        .post_form(
            &format!("/procedures/{code}/start"),
            &[("csrf", &page.csrf())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let to = r.location().expect("to the form").to_string();
    let id = to
        .strip_prefix("/account/drafts/")
        .and_then(|t| t.strip_suffix("/step/0"))
        .unwrap_or_else(|| panic!("{to}"));
    id.to_string()
}

/// Posts page `step` of a draft with the page's own CSRF token and
/// revision.
pub(crate) async fn post_step(b: &Browser, id: &str, step: usize, fields: &[(&str, &str)]) -> Page {
    let path = format!("/account/drafts/{id}/step/{step}");
    let page = b.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "GET {path}: {}", page.text);
    let revision = between(&page.text, "name=\"revision\" value=\"", "\"");
    let csrf = page.csrf();
    let mut all = fields.to_vec();
    all.push(("csrf", &csrf));
    all.push(("revision", &revision));
    b.post_form(&path, &all).await
}

pub(crate) fn between(text: &str, start: &str, end: &str) -> String {
    let at = text
        .find(start)
        .unwrap_or_else(|| panic!("{start} in page"))
        + start.len();
    text[at..][..text[at..].find(end).expect("end")].to_string()
}

async fn count(app: &App, sql: &str) -> i64 {
    let mut c = app.conn().await;
    scalar(&mut c, sql).await
}

/// Posts a file to a draft's component as a browser does (multipart).
pub(crate) async fn upload(
    b: &Browser,
    id: &str,
    component: &str,
    name: &str,
    bytes: &[u8],
) -> Page {
    let csrf = b.get("/account").await.csrf();
    let boundary = "----motcua-test-boundary";
    let mut body = Vec::new();
    for (k, v) in [("csrf", csrf.as_str()), ("component", component)] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    b.post_raw(
        &format!("/account/drafts/{id}/files"),
        &format!("multipart/form-data; boundary={boundary}"),
        body,
    )
    .await
}

pub(crate) const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

pub(crate) const REQUESTER: &[(&str, &str)] = &[
    ("full_name", "Nguyễn Thị Hoa"),
    ("personal_id", "001190012345"),
    ("phone", "0912345678"),
    ("address.province", "Thành phố Hà Nội"),
    ("address.commune", "Phường Hoàn Kiếm"),
    ("address.street", "12 Tràng Tiền"),
    ("relationship", "mother"),
    ("action", "continue"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_fills_leaves_resumes_and_submits_a_birth_registration_once() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        seeded(&app).await;
        let (_, b) = citizen(&app, "hoa.nguyen", "Nguyễn Thị Hoa").await;
        let id = start(&b, BIRTH).await;

        // Prefilled from the consented profile, marked, and the reuse
        // logged where the holder sees it.
        let first = b.get(&format!("/account/drafts/{id}/step/0")).await;
        assert_eq!(first.status, StatusCode::OK, "{n}");
        assert!(
            first.text.contains("value=\"Nguyễn Thị Hoa\""),
            "{n}: name prefilled"
        );
        assert!(
            first.text.contains("id=\"f-full_name-pre\""),
            "{n}: marked as prefilled"
        );
        assert!(
            first.text.contains("value=\"hoa.nguyen@example.vn\""),
            "{n}"
        );
        let data = b.get("/account/data").await;
        assert!(
            data.text
                .contains(&format!("Điền sẵn biểu mẫu hồ sơ thủ tục {BIRTH}")),
            "{n}: reuse shown"
        );

        // Wrong answers are named in the summary and kept on the page.
        let bad = post_step(
            &b,
            &id,
            0,
            &[
                ("full_name", "Nguyễn Thị Hoa"),
                ("personal_id", "12345"),
                ("action", "continue"),
            ],
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(bad.text.contains("class=\"error-summary\""), "{n}");
        assert!(
            bad.text.contains("Số định danh cá nhân gồm đúng 12 chữ số"),
            "{n}: {}",
            bad.text
        );
        assert!(
            bad.text.contains("href=\"#f-phone\""),
            "{n}: missing phone linked"
        );
        assert!(
            bad.text.contains("value=\"12345\""),
            "{n}: what was typed is kept"
        );

        // Correct: on to the next page; then save and leave half-way.
        let ok = post_step(&b, &id, 0, REQUESTER).await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{n}: {}", ok.text);
        assert_eq!(
            ok.location(),
            Some(format!("/account/drafts/{id}/step/1").as_str())
        );
        let leave = post_step(
            &b,
            &id,
            1,
            &[("child_name", "Trần Minh Khôi"), ("action", "save")],
        )
        .await;
        assert_eq!(
            leave.location(),
            Some("/account/drafts?flash=draft_saved"),
            "{n}"
        );

        // Another browser, after logging in: the draft is there and opens
        // where it was left, with what was typed.
        let other = app.browser();
        other.login("hoa.nguyen", PW).await;
        let list = other.get("/account/drafts").await;
        assert!(list.text.contains(&format!("/account/drafts/{id}")), "{n}");
        let resume = other.get(&format!("/account/drafts/{id}")).await;
        assert_eq!(
            resume.location(),
            Some(format!("/account/drafts/{id}/step/1").as_str()),
            "{n}"
        );
        let page = other.get(&format!("/account/drafts/{id}/step/1")).await;
        assert!(page.text.contains("value=\"Trần Minh Khôi\""), "{n}");

        for (step, fields) in [
            (
                1,
                vec![
                    ("child_name", "Trần Minh Khôi"),
                    ("child_sex", "male"),
                    ("child_birthdate", "2026-11-20"),
                    ("child_birthplace", "Bệnh viện Phụ sản Hà Nội"),
                    ("child_ethnicity", "Kinh"),
                    ("child_nationality", "Việt Nam"),
                    ("action", "continue"),
                ],
            ),
            (
                2,
                vec![
                    ("mother_name", "Nguyễn Thị Hoa"),
                    ("mother_birth_year", "1990"),
                    ("action", "continue"),
                ],
            ),
            // A field whose condition does not hold is dropped.
            (
                3,
                vec![
                    ("has_father", "no"),
                    ("father_name", "Không ai"),
                    ("action", "continue"),
                ],
            ),
            (
                4,
                vec![
                    ("extract_copies", "2"),
                    ("result_delivery", "online"),
                    ("action", "continue"),
                ],
            ),
        ] {
            let r = post_step(&other, &id, step, &fields).await;
            assert_eq!(
                r.status,
                StatusCode::SEE_OTHER,
                "{n}: step {step}: {}",
                r.text
            );
        }
        // The procedure lists documents: the last page leads to them.
        let files = other.get(&format!("/account/drafts/{id}/files")).await;
        assert_eq!(files.status, StatusCode::OK, "{n}");
        let component = between(&files.text, "name=\"component\" value=\"", "\"");
        let r = upload(&other, &id, &component, "giay-chung-sinh.pdf", PDF).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let check = other.get(&format!("/account/drafts/{id}/check")).await;
        assert_eq!(check.status, StatusCode::OK, "{n}: {}", check.text);
        assert!(
            check.text.contains("giay-chung-sinh.pdf"),
            "{n}: the file on the check page"
        );
        assert!(check.text.contains("Trần Minh Khôi"), "{n}");
        assert!(
            check.text.contains("20/11/2026"),
            "{n}: dates as people write them"
        );
        assert!(
            !check.text.contains("Không ai"),
            "{n}: hidden answer dropped"
        );
        let revision = between(&check.text, "name=\"revision\" value=\"", "\"");

        // A password session is level 1; the procedure needs 2: step up,
        // then back to the check page.
        let csrf = check.csrf();
        let submit = format!("/account/drafts/{id}/submit");
        let r = other
            .post_form(&submit, &[("csrf", &csrf), ("revision", &revision)])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        let to = r.location().unwrap_or_default().to_string();
        assert!(to.starts_with("/auth/step-up?level=2&next="), "{n}: {to}");
        assert!(
            to.contains(&format!("%2Faccount%2Fdrafts%2F{id}%2Fcheck"))
                || to.contains(&format!("/account/drafts/{id}/check")),
            "{n}: {to}"
        );
        assert_eq!(count(&app, "SELECT COUNT(*) FROM dossiers").await, 0, "{n}");
        // (The step-up itself is tested with the token, SIM and e-ID in
        // identity.rs; here the session is raised as a step-up would.)
        {
            let mut c = app.conn().await;
            sqlx::query("UPDATE sessions SET assurance_level = 2")
                .execute(&mut *c)
                .await
                .expect("raise");
        }

        // Pressed twice at once: one dossier, both answers lead to it.
        let fields = [("csrf", csrf.as_str()), ("revision", revision.as_str())];
        let (a, z) = tokio::join!(
            other.post_form(&submit, &fields),
            other.post_form(&submit, &fields)
        );
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{n}: {}", a.text);
        assert_eq!(z.status, StatusCode::SEE_OTHER, "{n}: {}", z.text);
        let to = a.location().expect("to the dossier").to_string();
        assert_eq!(Some(to.as_str()), z.location(), "{n}");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM dossiers").await, 1, "{n}");
        let code = to
            .strip_prefix("/account/dossiers/")
            .and_then(|t| t.split('?').next())
            .expect("code")
            .to_string();
        // The nationwide format: agency-YYMMDD-serial.
        let parts: Vec<&str> = code.rsplitn(3, '-').collect();
        assert_eq!(parts.len(), 3, "{n}: {code}");
        assert_eq!(parts[0].len(), 6, "{n}: {code}");
        assert_eq!(parts[1].len(), 6, "{n}: {code}");
        assert_eq!(parts[2], "H29.P01", "{n}: {code}");

        let page = other.get(&to).await;
        assert_eq!(page.status, StatusCode::OK, "{n}");
        assert!(page.text.contains("Mới nộp, chờ tiếp nhận"), "{n}");
        assert!(
            page.text.contains("id=\"appointment\""),
            "{n}: appointment date"
        );
        assert!(page.text.contains("Trần Minh Khôi"), "{n}");
        // The receipt (Form 01): its text names the dossier, the person,
        // the procedure and the appointment shown on the page.
        let pdf = other
            .client
            .get(other.url(&format!("/account/dossiers/{code}/receipt.pdf")))
            .send()
            .await
            .expect("receipt");
        assert_eq!(pdf.status(), StatusCode::OK, "{n}");
        assert_eq!(
            pdf.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/pdf"),
            "{n}"
        );
        let bytes = pdf.bytes().await.expect("bytes");
        let text = pdf_extract::extract_text_from_mem(&bytes).expect("PDF text");
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for part in [
            "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
            &format!("Mã hồ sơ: {code}"),
            "Tiếp nhận hồ sơ của: Nguyễn Thị Hoa",
            "Đăng ký khai sinh",
            "Thời gian trả kết quả giải quyết hồ sơ:",
            "Trực tuyến trên Cổng Dịch vụ công quốc gia",
        ] {
            assert!(text.contains(part), "{n}: {part} in {text}");
        }
        let due = between(&page.text, "id=\"appointment\">", " ");
        let (date, _) = due.split_once(' ').unwrap_or((&due, ""));
        assert!(
            text.contains(&format!("ngày {date}")) || text.contains(date),
            "{n}: {due} in {text}"
        );
        // The file went with the dossier.
        let link = between(&page.text, "<ul id=\"dossier-files\"><li><a href=\"", "\"");
        let got = other
            .client
            .get(other.url(&link))
            .send()
            .await
            .expect("file");
        assert_eq!(got.status(), StatusCode::OK, "{n}");
        assert_eq!(got.bytes().await.expect("bytes").as_ref(), PDF, "{n}");
        // The draft is closed: its pages lead to the dossier.
        let again = other.get(&format!("/account/drafts/{id}/step/0")).await;
        assert_eq!(
            again.location(),
            Some(format!("/account/dossiers/{code}").as_str()),
            "{n}"
        );

        // Mail, inbox, event.
        app.drain().await;
        let mails = app.mails_to("hoa.nguyen@example.vn");
        assert!(
            mails.iter().any(|m| m.subject.contains(&code)),
            "{n}: mail with the code"
        );
        let home = other.get("/").await;
        assert!(
            home.text.contains("<span class=\"tag\" id=\"unread\">1<"),
            "{n}: one unread in the header"
        );
        let inbox = other.get("/account/notifications").await;
        assert!(
            inbox
                .text
                .contains(&format!("Hồ sơ {code} đã được nộp trực tuyến")),
            "{n}"
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM events WHERE type = 'dossier.submitted'"
            )
            .await,
            1,
            "{n}"
        );

        let r = other
            .post_form("/account/notifications/read", &[("csrf", &inbox.csrf())])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        assert!(
            !other.get("/").await.text.contains("id=\"unread\""),
            "{n}: all read"
        );

        // My dossiers, filtered.
        let mine = other.get("/account/dossiers").await;
        assert!(mine.text.contains(&code), "{n}");
        let none = other.get("/account/dossiers?status=7").await;
        assert!(!none.text.contains(&code), "{n}");
        let by_code = other
            .get(&format!("/account/dossiers?procedure={BIRTH}"))
            .await;
        assert!(by_code.text.contains(&code), "{n}");

        // Withdrawn while no agency has acted; once.
        let csrf = page.csrf();
        let w = other
            .post_form(
                &format!("/account/dossiers/{code}/withdraw"),
                &[("csrf", &csrf), ("reason", "Nộp nhầm")],
            )
            .await;
        assert_eq!(w.status, StatusCode::SEE_OTHER, "{n}: {}", w.text);
        let after = other.get(&format!("/account/dossiers/{code}")).await;
        assert!(after.text.contains("Công dân đã rút hồ sơ"), "{n}");
        assert!(after.text.contains("Nộp nhầm"), "{n}");
        let twice = other
            .post_form(
                &format!("/account/dossiers/{code}/withdraw"),
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(twice.status, StatusCode::CONFLICT, "{n}");
        app.assert_audit_intact().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_else_reaches_a_draft_or_dossier_and_bad_input_is_refused() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        seeded(&app).await;
        let (_, owner) = citizen(&app, "chu.hoso", "Lê Văn Chủ").await;
        let (_, other) = citizen(&app, "nguoi.khac", "Phạm Khác").await;
        let id = start(&owner, BIRTH).await;
        let csrf = other.get("/account").await.csrf();
        for path in [
            format!("/account/drafts/{id}"),
            format!("/account/drafts/{id}/step/0"),
            format!("/account/drafts/{id}/check"),
        ] {
            assert_eq!(
                other.get(&path).await.status,
                StatusCode::NOT_FOUND,
                "{n}: {path}"
            );
        }
        for path in [
            format!("/account/drafts/{id}/step/0"),
            format!("/account/drafts/{id}/submit"),
            format!("/account/drafts/{id}/delete"),
        ] {
            let r = other
                .post_form(
                    &path,
                    &[("csrf", &csrf), ("revision", "1"), ("full_name", "X")],
                )
                .await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{n}: POST {path}");
        }
        // The owner's draft is untouched by all that.
        let mine = owner.get(&format!("/account/drafts/{id}/step/0")).await;
        assert!(mine.text.contains("value=\"Lê Văn Chủ\""), "{n}");

        // Files: by content, not by name; too large; someone else's.
        let files = owner.get(&format!("/account/drafts/{id}/files")).await;
        let component = between(&files.text, "name=\"component\" value=\"", "\"");
        let name = between(&files.text, "<section class=\"card\" id=\"", "</h2>");
        let name = name.rsplit('>').next().unwrap_or_default().to_string();
        let r = upload(
            &owner,
            &id,
            &component,
            "to-khai.pdf",
            b"MZ\x90\x00 not a PDF at all",
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(
            r.text.contains(&format!("{name}: Tệp không phải PDF")),
            "{n}: names the component: {}",
            r.text
        );
        let cut = &PDF[..20];
        let r = upload(&owner, &id, &component, "cut.pdf", cut).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{n}: a truncated PDF"
        );
        // Over the limit: refused with the limit named, whether the file
        // or the whole request is what is too large.
        let big = vec![b'%'; app.state().config.max_upload_bytes + 10];
        let r = upload(&owner, &id, &component, "big.pdf", &big).await;
        assert!(
            matches!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY | StatusCode::PAYLOAD_TOO_LARGE
            ),
            "{n}: {}",
            r.status
        );
        assert!(r.text.contains("vượt quá dung lượng"), "{n}");
        let r = upload(&owner, &id, "no-such-component", "a.pdf", PDF).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        let r = upload(&owner, &id, &component, "ok.pdf", PDF).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM dossier_files").await,
            1,
            "{n}: only the good one"
        );
        let file_id = count(&app, "SELECT MAX(id) FROM dossier_files").await;
        assert_eq!(
            other
                .get(&format!("/account/drafts/{id}/files/{file_id}"))
                .await
                .status,
            StatusCode::NOT_FOUND,
            "{n}: someone else's file"
        );
        assert_eq!(
            other
                .get(&format!("/account/drafts/{id}/files"))
                .await
                .status,
            StatusCode::NOT_FOUND,
            "{n}"
        );
        let r = upload(&other, &id, &component, "x.pdf", PDF).await;
        assert!(r.status == StatusCode::NOT_FOUND, "{n}: {}", r.status);
        let r = other
            .post_form(
                &format!("/account/drafts/{id}/files/{file_id}/delete"),
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{n}");
        assert_eq!(
            owner
                .get(&format!("/account/drafts/{id}/files/{file_id}"))
                .await
                .status,
            StatusCode::OK,
            "{n}"
        );
        // Someone else's receipt: as if it did not exist.
        assert_eq!(
            other
                .get("/account/dossiers/H29.P01-261206-000001/receipt.pdf")
                .await
                .status,
            StatusCode::NOT_FOUND,
            "{n}"
        );
        // Malformed: never a 5xx, a clear refusal.
        let ocsrf = owner.get("/account").await.csrf();
        for (path, want) in [
            (
                "/account/drafts/zzz/step/0".to_string(),
                StatusCode::NOT_FOUND,
            ),
            (
                format!("/account/drafts/{id}/step/99"),
                StatusCode::NOT_FOUND,
            ),
            (
                format!("/account/drafts/{id}/step/-1"),
                StatusCode::BAD_REQUEST,
            ),
            (
                "/account/dossiers?status=99".to_string(),
                StatusCode::BAD_REQUEST,
            ),
            (
                "/account/dossiers?from=2026-13-01".to_string(),
                StatusCode::BAD_REQUEST,
            ),
            (
                "/account/dossiers?after=bad".to_string(),
                StatusCode::BAD_REQUEST,
            ),
            (
                "/account/dossiers?procedure=%27%20OR%201%3D1".to_string(),
                StatusCode::BAD_REQUEST,
            ),
            (
                "/account/dossiers/nope%20nope".to_string(),
                StatusCode::NOT_FOUND,
            ),
        ] {
            assert_eq!(owner.get(&path).await.status, want, "{n}: {path}");
        }
        let r = post_step(&owner, &id, 0, &[("action", "remove:x:notanumber")]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{n}");
        assert!(
            r.text.contains("Yêu cầu không hợp lệ"),
            "{n}: said in words"
        );
        let r = owner.get("/account/dossiers?from=2026-13-01").await;
        assert!(r.text.contains("Ngày không đúng"), "{n}: said in words");
        let long = "ă".repeat(10_000);
        let r = post_step(
            &owner,
            &id,
            0,
            &[("full_name", long.as_str()), ("action", "continue")],
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{n}: an over-long name is an error, not a 5xx"
        );
        let r = post_step(&owner, &id, 0, REQUESTER).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let r = owner
            .post_form("/procedures/9.999999/start", &[("csrf", &ocsrf)])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{n}");
        let r = owner
            .post_form(
                &format!("/account/drafts/{id}/submit"),
                &[("csrf", &ocsrf), ("revision", "x")],
            )
            .await;
        assert!(r.status.is_client_error(), "{n}: {}", r.status);

        // A new form version is published while the draft is open: the
        // person is told, and answers carry over where the schema allows.
        let form = motcua_dossiers::drafts::current_form(app.state(), BIRTH)
            .await
            .expect("form")
            .expect("published");
        let mut def = form.definition.clone();
        def.schema["properties"]["full_name"]["maxLength"] = serde_json::json!(3);
        let json = serde_json::to_string(&def).expect("json");
        let v = motcua_forms::service::save_draft(app.state(), &Origin::cli(), BIRTH, "", &json)
            .await
            .expect("save")
            .expect("valid");
        motcua_forms::service::publish(app.state(), &Origin::cli(), BIRTH, "", v)
            .await
            .expect("publish");
        let moved = owner.get(&format!("/account/drafts/{id}/step/0")).await;
        assert_eq!(moved.status, StatusCode::OK, "{n}");
        assert!(moved.text.contains("id=\"moved\""), "{n}: told");
        assert!(
            moved.text.contains("<ul id=\"dropped\"><li>"),
            "{n}: the name no longer fits"
        );
        let page = owner.get(&format!("/account/drafts/{id}/step/0")).await;
        assert!(
            page.text.contains("value=\"001190012345\""),
            "{n}: the ID was kept"
        );
        assert!(
            !page.text.contains("value=\"Nguyễn Thị Hoa\""),
            "{n}: the name no longer fits"
        );
        app.assert_audit_intact().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsaved_draft_is_reminded_then_expires_and_its_answers_are_erased() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        seeded(&app).await;
        let (_, b) = citizen(&app, "quen.nop", "Đỗ Hay Quên").await;
        let id = start(&b, BIRTH).await;
        let rules = app.state().dossier_rules.as_ref().clone();
        let run = |app: &App| {
            let core = app.state().core().clone();
            let rules = rules.clone();
            async move {
                motcua_dossiers::housekeeping::run(&core, &rules, core.now())
                    .await
                    .expect("housekeeping")
            }
        };
        // Nothing to do at first.
        assert_eq!(run(&app).await, (0, 0), "{n}");
        // Within the reminder window: one reminder, once.
        app.advance((rules.draft_days - rules.reminder_days + 1) * 86_400_000);
        assert_eq!(run(&app).await, (1, 0), "{n}");
        assert_eq!(run(&app).await, (0, 0), "{n}: reminded once");
        app.drain().await;
        let mails = app.mails_to("quen.nop@example.vn");
        assert!(
            mails
                .iter()
                .any(|m| m.subject.contains("sắp hết hạn") && m.text.contains(&id)),
            "{n}: the reminder links to the draft"
        );
        // A save renews the draft (and a later reminder is due again);
        // the session of four weeks ago is long gone: log in again.
        b.login("quen.nop", PW).await;
        let r = post_step(
            &b,
            &id,
            0,
            &[("full_name", "Đỗ Hay Quên"), ("action", "save")],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        app.advance(rules.reminder_days * 86_400_000);
        assert_eq!(run(&app).await, (0, 0), "{n}: renewed by the save");
        // Past its time: expired, answers erased, its pages gone.
        app.advance(rules.draft_days * 86_400_000);
        let (_, expired) = run(&app).await;
        assert_eq!(expired, 1, "{n}");
        b.login("quen.nop", PW).await;
        assert_eq!(
            b.get(&format!("/account/drafts/{id}/step/0")).await.status,
            StatusCode::NOT_FOUND,
            "{n}"
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM dossier_drafts WHERE status = 'expired' AND answers = '{}'"
            )
            .await,
            1,
            "{n}: nothing kept of an expired draft"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_writes_previews_and_publishes_a_form_version() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        seeded(&app).await;
        let op = app.operator_browser().await;
        let page = op.get(&format!("/console/forms/{BIRTH}")).await;
        assert_eq!(page.status, StatusCode::OK, "{n}");
        assert!(page.text.contains("Đăng ký khai sinh"), "{n}");
        let csrf = page.csrf();
        let path = format!("/console/forms/{BIRTH}/draft");
        // Broken JSON and a layout that does not fit its schema: refused,
        // each problem named, the text kept in the editor.
        let r = op
            .post_form(&path, &[("csrf", &csrf), ("definition", "{\"title\": 1}")])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(r.text.contains("title"), "{n}: the path is named");
        assert!(
            r.text.contains("{&quot;title&quot;: 1}") || r.text.contains("{&#34;title&#34;: 1}"),
            "{n}: kept"
        );
        let form = motcua_dossiers::drafts::current_form(app.state(), BIRTH)
            .await
            .expect("form")
            .expect("published");
        let mut def = form.definition.clone();
        def.steps[0].fields[0].kind = "number".into();
        let wrong = serde_json::to_string(&def).expect("json");
        let r = op
            .post_form(&path, &[("csrf", &csrf), ("definition", &wrong)])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(
            r.text.contains("steps[0].fields[0]") || r.text.contains("full_name"),
            "{n}: {}",
            r.text
        );
        assert_eq!(
            motcua_forms::service::versions(app.state(), BIRTH)
                .await
                .expect("versions")
                .len(),
            1,
            "{n}: nothing stored"
        );
        // A sound change: stored as a draft, previewed, published.
        let mut def = form.definition.clone();
        def.steps[0].title.vi = "Người đi đăng ký khai sinh".into();
        let good = serde_json::to_string(&def).expect("json");
        let r = op
            .post_form(&path, &[("csrf", &csrf), ("definition", &good)])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        assert_eq!(
            r.location(),
            Some(format!("/console/forms/{BIRTH}/2?done=form_saved").as_str()),
            "{n}"
        );
        let preview = op.get(&format!("/console/forms/{BIRTH}/2")).await;
        assert_eq!(preview.status, StatusCode::OK, "{n}");
        assert!(preview.text.contains("Người đi đăng ký khai sinh"), "{n}");
        assert!(
            preview.text.contains("id=\"f-personal_id\""),
            "{n}: the inputs as the public sees them"
        );
        // Still version 1 for the public until published.
        let current = motcua_dossiers::drafts::current_form(app.state(), BIRTH)
            .await
            .expect("f")
            .expect("p");
        assert_eq!(current.row.version, 1, "{n}");
        let r = op
            .post_form(
                &format!("/console/forms/{BIRTH}/2/publish"),
                &[("csrf", &preview.csrf())],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        let current = motcua_dossiers::drafts::current_form(app.state(), BIRTH)
            .await
            .expect("f")
            .expect("p");
        assert_eq!(current.row.version, 2, "{n}");
        let again = op
            .post_form(
                &format!("/console/forms/{BIRTH}/2/publish"),
                &[("csrf", &preview.csrf())],
            )
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT, "{n}: published once");
        assert_eq!(
            op.get(&format!("/console/forms/{BIRTH}/9")).await.status,
            StatusCode::NOT_FOUND,
            "{n}"
        );
        assert!(
            !app.audit_actions(&format!("form:{BIRTH}")).await.is_empty(),
            "{n}: audited"
        );
    })
    .await;
}

pub(crate) const HOUSEHOLD: &str = "1.001612";

/// Fills every page of the household business form (1.001612).
pub(crate) async fn fill_household(b: &Browser, id: &str) {
    let n = "household";
    for (step, fields) in [
        (
            0,
            vec![
                ("household_name", "Hộ kinh doanh Sao Mai"),
                ("business_address.province", "Thành phố Hà Nội"),
                ("business_address.commune", "Phường Cửa Nam"),
                ("business_address.street", "5 Hàng Bài"),
                ("business_lines.0.code", "5610"),
                ("business_lines.0.name", "Nhà hàng và dịch vụ ăn uống"),
                ("capital", "500.000.000"),
                ("action", "continue"),
            ],
        ),
        (
            1,
            vec![
                ("full_name", "Trần Văn Bảo"),
                ("personal_id", "001089001234"),
                ("phone", "0901234567"),
                ("address.province", "Thành phố Hà Nội"),
                ("address.commune", "Phường Hoàn Kiếm"),
                ("address.street", "1 Tràng Tiền"),
                ("action", "continue"),
            ],
        ),
        (
            2,
            vec![("result_delivery", "online"), ("action", "continue")],
        ),
    ] {
        let r = post_step(b, id, step, &fields).await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "{n} step {step}: {}",
            r.text
        );
    }
}

/// Asks for the text that signs draft `id`, as the check page's script does.
pub(crate) async fn sign_challenge(b: &Browser, id: &str) -> (reqwest::StatusCode, String, String) {
    let csrf = b.get("/account").await.csrf();
    let r = b
        .send(
            b.client
                .post(b.url(&format!("/account/drafts/{id}/sign/challenge")))
                .header("x-csrf-token", csrf)
                .form(&[("purpose", "sign")]),
        )
        .await;
    if r.status != StatusCode::OK {
        return (r.status, String::new(), String::new());
    }
    let v: serde_json::Value = serde_json::from_str(&r.text).expect("json");
    (
        r.status,
        v["challenge"].as_str().expect("challenge").to_string(),
        v["digest"].as_str().expect("digest").to_string(),
    )
}

pub(crate) async fn submit_signed(
    b: &Browser,
    id: &str,
    s: Option<&crate::identity::Signed>,
) -> Page {
    let check = b.get(&format!("/account/drafts/{id}/check")).await;
    let revision = between(&check.text, "name=\"revision\" value=\"", "\"");
    let csrf = check.csrf();
    let mut fields = vec![("csrf", csrf.as_str()), ("revision", revision.as_str())];
    if let Some(s) = s {
        fields.extend([
            ("challenge", s.challenge.as_str()),
            ("certificate", s.certificate.as_str()),
            ("chain", ""),
            ("signature", s.signature.as_str()),
        ]);
    }
    b.post_form(&format!("/account/drafts/{id}/submit"), &fields)
        .await
}

/// R-PS-3 (signed submission), R-ID-15 (document store): a procedure whose
/// form requires a signature is only submitted signed, over the dossier
/// as it is, with a certificate registered to the account; the signature
/// is kept and shown. What was sent lands in the holder's document store
/// and is reused in the next dossier, marked; nobody else reaches it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_business_signs_its_submission_and_reuses_its_documents() {
    each_backend(|db| async move {
        let (app, pki) = crate::identity::app_reveal(db).await;
        let n = app.name();
        seeded(&app).await;
        let cert = crate::identity::org_cert(&pki);
        let b = crate::identity::register_business(&app, &cert, "ketoan@saomai.example.vn").await;
        let id = start(&b, HOUSEHOLD).await;
        fill_household(&b, &id).await;
        let files = b.get(&format!("/account/drafts/{id}/files")).await;
        let component = between(&files.text, "name=\"component\" value=\"", "\"");
        assert!(
            !files.text.contains("/files/reuse"),
            "{n}: nothing in the document store yet"
        );
        let up = upload(&b, &id, &component, "giay-de-nghi.pdf", PDF).await;
        assert_eq!(up.status, StatusCode::SEE_OTHER, "{n}: {}", up.text);

        // The check page offers signing only (the form requires it) and
        // shows the digest that will be signed.
        let check = b.get(&format!("/account/drafts/{id}/check")).await;
        assert_eq!(check.status, StatusCode::OK, "{n}: {}", check.text);
        assert!(check.text.contains("id=\"token-app\""), "{n}");
        assert!(
            !check.text.contains("id=\"submit\""),
            "{n}: no unsigned submit"
        );
        let shown = between(&check.text, "id=\"digest\">", "<");
        assert_eq!(shown.len(), 64, "{n}");

        // Unsigned: refused in words, nothing submitted.
        let r = submit_signed(&b, &id, None).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{n}: {}",
            r.text
        );
        assert!(
            r.text.contains("yêu cầu ký số hồ sơ trước khi nộp"),
            "{n}: {}",
            r.text
        );
        assert_eq!(count(&app, "SELECT COUNT(*) FROM dossiers").await, 0, "{n}");

        // The challenge names the draft's digest.
        let (st, text, digest) = sign_challenge(&b, &id).await;
        assert_eq!(st, StatusCode::OK, "{n}");
        assert_eq!(digest, shown, "{n}");
        assert!(text.contains("\npurpose=sign\n"), "{n}: {text}");
        assert!(text.ends_with(&format!("\ndigest={digest}")), "{n}: {text}");

        // A certificate that is not the account's: refused.
        let stranger = pki
            .issue(&motcua_pki::testca::LeafSpec::person(
                "Lê Văn Lạ",
                "001099009999",
                motcua_domain::Clock::now(&motcua_domain::SystemClock),
            ))
            .expect("cert");
        let r = submit_signed(
            &b,
            &id,
            Some(&crate::identity::sign(&text, &stranger, &stranger)),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{n}: {}",
            r.text
        );
        assert!(r.text.contains("chưa được đăng ký cho tài khoản"), "{n}");

        // Signed, then the draft changes: the signature no longer covers
        // it and is refused; nothing submitted.
        let (_, text, _) = sign_challenge(&b, &id).await;
        let signed = crate::identity::sign(&text, &cert, &cert);
        let r = post_step(
            &b,
            &id,
            2,
            &[("result_delivery", "counter"), ("action", "continue")],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        let r = submit_signed(&b, &id, Some(&signed)).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{n}: {}",
            r.text
        );
        assert!(
            r.text.contains("Hồ sơ đã thay đổi sau khi bạn bắt đầu ký"),
            "{n}"
        );
        assert_eq!(count(&app, "SELECT COUNT(*) FROM dossiers").await, 0, "{n}");

        // A signature over a challenge's text with a forged digest fails
        // the signature or the binding, never submits.
        let (_, text, digest) = sign_challenge(&b, &id).await;
        let forged = text.replace(&digest, &"0".repeat(64));
        let r = submit_signed(&b, &id, Some(&crate::identity::sign(&forged, &cert, &cert))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM dossiers").await, 0, "{n}");

        // Signed over the draft as it is: submitted, the signature kept.
        let (_, text, _) = sign_challenge(&b, &id).await;
        let good = crate::identity::sign(&text, &cert, &cert);
        let r = submit_signed(&b, &id, Some(&good)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let to = r.location().expect("to the dossier").to_string();
        let page = b.get(&to).await;
        assert!(page.text.contains("id=\"signature\""), "{n}");
        assert!(
            page.text.contains("Công ty TNHH Thương mại Sao Mai"),
            "{n}: the signer is named"
        );
        assert!(page.text.contains(&cert.cert.serial_hex), "{n}");
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM dossier_signatures").await,
            1,
            "{n}"
        );
        let kept: String = {
            let mut c = app.conn().await;
            sqlx::query_scalar("SELECT signed_text FROM dossier_signatures")
                .fetch_one(&mut *c)
                .await
                .expect("signed text")
        };
        assert_eq!(kept, text, "{n}: the exact signed text is kept");
        // The same signature cannot be spent twice (another draft).
        let again = start(&b, HOUSEHOLD).await;
        fill_household(&b, &again).await;
        let r = submit_signed(&b, &again, Some(&good)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");

        // The document store holds what was sent; the next draft reuses it.
        let docs = b.get("/account/documents").await;
        assert_eq!(docs.status, StatusCode::OK, "{n}");
        assert!(docs.text.contains("giay-de-nghi.pdf"), "{n}: {}", docs.text);
        let doc_id = between(&docs.text, "href=\"/account/documents/", "\"");
        let got = b.get(&format!("/account/documents/{doc_id}")).await;
        assert_eq!(got.status, StatusCode::OK, "{n}");
        assert_eq!(got.text.as_bytes(), PDF, "{n}: the same bytes");
        let files = b.get(&format!("/account/drafts/{again}/files")).await;
        assert!(files.text.contains("/files/reuse"), "{n}: offered");
        let reuse = |doc: String| {
            let b = &b;
            let again = again.clone();
            let component = component.clone();
            async move {
                let csrf = b.get("/account").await.csrf();
                b.post_form(
                    &format!("/account/drafts/{again}/files/reuse"),
                    &[
                        ("csrf", csrf.as_str()),
                        ("component", component.as_str()),
                        ("document", doc.as_str()),
                    ],
                )
                .await
            }
        };
        let bad = reuse("không-phải-số".into()).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(
            bad.text.contains("Chọn một giấy tờ trong kho dữ liệu"),
            "{n}"
        );
        let r = reuse(doc_id.clone()).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let files = b.get(&format!("/account/drafts/{again}/files")).await;
        assert!(
            files.text.contains("Dùng lại từ kho dữ liệu"),
            "{n}: marked"
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM dossier_files WHERE reused_from IS NOT NULL"
            )
            .await,
            1,
            "{n}"
        );

        // Somebody else: no document, no reuse of it, no challenge for
        // the draft.
        let (_, other) = citizen(&app, "le.la", "Lê Văn Lạ").await;
        for path in [
            format!("/account/documents/{doc_id}"),
            format!("/account/drafts/{again}/files"),
        ] {
            assert_eq!(
                other.get(&path).await.status,
                StatusCode::NOT_FOUND,
                "{n}: {path}"
            );
        }
        let (st, _, _) = sign_challenge(&other, &again).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{n}");
        let mine = start(&other, BIRTH).await;
        let csrf = other.get("/account").await.csrf();
        let r = other
            .post_form(
                &format!("/account/drafts/{mine}/files/reuse"),
                &[
                    ("csrf", csrf.as_str()),
                    ("component", "x"),
                    ("document", doc_id.as_str()),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{n}: another's document");
        let r = other
            .post_form(
                &format!("/account/documents/{doc_id}/delete"),
                &[("csrf", csrf.as_str())],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{n}");

        // Removing it from the store leaves the dossier's files alone.
        let csrf = b.get("/account/documents").await.csrf();
        let r = b
            .post_form(
                &format!("/account/documents/{doc_id}/delete"),
                &[("csrf", csrf.as_str())],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        assert!(
            b.get("/account/documents")
                .await
                .text
                .contains("id=\"no-documents\""),
            "{n}"
        );
        let page = b.get(&to).await;
        let file = between(&page.text, "id=\"dossier-files\"><li><a href=\"", "\"");
        assert_eq!(b.get(&file).await.text.as_bytes(), PDF, "{n}");

        // Once only (R-PS-3): a new draft offers to fill from the dossier
        // submitted before; the empty fields take its answers, marked, and
        // the reuse is logged where the holder sees it.
        let code = to
            .trim_start_matches("/account/dossiers/")
            .split('?')
            .next()
            .expect("code")
            .to_string();
        let third = start(&b, HOUSEHOLD).await;
        let first = b.get(&format!("/account/drafts/{third}/step/0")).await;
        assert!(first.text.contains("id=\"fill-from\""), "{n}");
        assert!(first.text.contains(&format!("value=\"{code}\"")), "{n}");
        let r = b
            .post_form(
                &format!("/account/drafts/{third}/fill-from"),
                &[("csrf", first.csrf().as_str()), ("dossier", code.as_str())],
            )
            .await;
        assert_eq!(
            r.location(),
            Some(format!("/account/drafts/{third}/step/0?flash=filled_from_dossier").as_str()),
            "{n}: {}",
            r.text
        );
        let filled = b.get(&format!("/account/drafts/{third}/step/0")).await;
        assert!(
            filled.text.contains("value=\"Hộ kinh doanh Sao Mai\""),
            "{n}"
        );
        assert!(
            filled.text.contains("id=\"f-household_name-pre\""),
            "{n}: marked"
        );
        let data = b.get("/account/data").await;
        assert!(
            data.text.contains("Thông tin trong hồ sơ đã nộp trước đây"),
            "{n}: the reuse is logged"
        );
        // Another person's dossier: not found.
        let (_, stranger) = citizen(&app, "nguoi.la", "Người Lạ").await;
        let theirs = start(&stranger, HOUSEHOLD).await;
        let page = stranger
            .get(&format!("/account/drafts/{theirs}/step/0"))
            .await;
        assert!(
            !page.text.contains("id=\"fill-from\""),
            "{n}: nothing to offer"
        );
        let r = stranger
            .post_form(
                &format!("/account/drafts/{theirs}/fill-from"),
                &[("csrf", page.csrf().as_str()), ("dossier", code.as_str())],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{n}");
    })
    .await;
}

/// Issue #8 "an expired session mid-form (nothing lost)": a page posted
/// after the session ended is kept for this browser, brought back into
/// the draft after logging in again, once; another browser, or the same
/// token again, gets nothing; nobody's draft changes before the login.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_posted_after_the_session_ended_is_saved_after_logging_in() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        seeded(&app).await;
        let (mai, b) = citizen(&app, "mai.pham", "Phạm Thị Mai").await;
        let id = start(&b, BIRTH).await;
        let path = format!("/account/drafts/{id}/step/0");
        let page = b.get(&path).await;
        let revision = between(&page.text, "name=\"revision\" value=\"", "\"");
        let csrf = page.csrf();

        // The person is away longer than the idle timeout (30 minutes).
        app.advance(31 * 60 * 1000);
        let mut fields = REQUESTER.to_vec();
        fields.push(("csrf", &csrf));
        fields.push(("revision", &revision));
        let r = b.post_form(&path, &fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let to = r.location().expect("to login").to_string();
        assert!(to.starts_with("/login?m=answers_parked&next="), "{n}: {to}");
        let login = b.get(&to).await;
        assert!(
            login.text.contains("Những gì bạn vừa nhập đã được giữ lại"),
            "{n}: the login page says so"
        );
        let draft = motcua_dossiers::drafts::get(app.state(), mai.get(), &id)
            .await
            .expect("draft");
        assert!(
            !draft.answers.contains_key("personal_id"),
            "{n}: nothing applied before the login"
        );
        let next = reqwest::Url::parse(&format!("http://portal{to}"))
            .expect("url")
            .query_pairs()
            .find(|(k, _)| k == "next")
            .map(|(_, v)| v.into_owned())
            .expect("next");
        assert!(next.contains("parked="), "{n}: {next}");

        // Another browser with the same link gets nothing.
        let (_, thief) = citizen(&app, "ke.gian", "Kẻ Gian").await;
        let stolen = thief.get(&next).await;
        assert!(
            stolen
                .location()
                .is_none_or(|l| !l.contains("answers_restored")),
            "{n}: {stolen:?}"
        );

        // Logging in again in the same browser: the page is saved.
        let r = b.login_next("mai.pham", PW, &next).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        let back = b.get(&next).await;
        assert_eq!(
            back.location(),
            Some(format!("{path}?flash=answers_restored").as_str()),
            "{n}: {}",
            back.text
        );
        let shown = b.get(&format!("{path}?flash=answers_restored")).await;
        assert!(shown.text.contains("value=\"001190012345\""), "{n}: kept");
        assert!(shown.text.contains("value=\"12 Tràng Tiền\""), "{n}: kept");
        assert!(shown.text.contains("đã được lưu vào hồ sơ nháp"), "{n}");
        // Once only.
        let again = b.get(&next).await;
        assert_eq!(
            again.location(),
            Some(format!("{path}?flash=answers_lost").as_str()),
            "{n}"
        );
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM parked_answers").await,
            0,
            "{n}"
        );
    })
    .await;
}

/// Autosave (issue #8 §4): the page's script sends the page after each
/// change; the answers are stored with a new revision, the page is not
/// counted as done, the page's own buttons go on with the new revision;
/// someone else's draft is not found; without a session, 401.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_autosaves_while_the_person_types() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        seeded(&app).await;
        let (me, b) = citizen(&app, "lan.vo", "Võ Thị Lan").await;
        let id = start(&b, BIRTH).await;
        let path = format!("/account/drafts/{id}/step/0");
        let page = b.get(&path).await;
        assert!(page.text.contains("data-autosave=\""), "{n}");
        let revision = between(&page.text, "name=\"revision\" value=\"", "\"");
        let csrf = page.csrf();
        let autosave = |who: Browser, fields: Vec<(&'static str, String)>| {
            let url = format!("{path}/autosave");
            let csrf = csrf.clone();
            async move {
                let r = who
                    .send(
                        who.client
                            .post(who.url(&url))
                            .header("x-csrf-token", csrf)
                            .form(&fields),
                    )
                    .await;
                (who, r)
            }
        };
        let (b, r) = autosave(
            b,
            vec![
                ("revision", revision.clone()),
                ("full_name", "Võ Thị Lan".into()),
                ("personal_id", "001190054321".into()),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{n}: {}", r.text);
        let v: serde_json::Value = serde_json::from_str(&r.text).expect("json");
        let new_rev = v["revision"].as_i64().expect("revision");
        assert!(
            new_rev > revision.parse::<i64>().expect("number"),
            "{n}: {v}"
        );
        assert_eq!(v["stale"], false, "{n}");
        let draft = motcua_dossiers::drafts::get(app.state(), me.get(), &id)
            .await
            .expect("draft");
        assert_eq!(draft.answers["personal_id"], "001190054321", "{n}: stored");
        assert_eq!(draft.row.step, 0, "{n}: not counted as done");
        // The page's button goes on with the new revision, not stale.
        let mut fields = REQUESTER.to_vec();
        let rev = new_rev.to_string();
        fields.push(("csrf", &csrf));
        fields.push(("revision", &rev));
        let r = b.post_form(&path, &fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);

        // Someone else: not found; nothing changes.
        let (_, other) = citizen(&app, "ke.khac", "Người Khác").await;
        let ocsrf = other.get("/account").await.csrf();
        let r = other
            .send(
                other
                    .client
                    .post(other.url(&format!("{path}/autosave")))
                    .header("x-csrf-token", ocsrf)
                    .form(&[("revision", "1"), ("full_name", "Kẻ phá")]),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{n}");
        // The session ends: 401, and the draft keeps what it had.
        app.advance(31 * 60 * 1000);
        let (_, r) = autosave(b, vec![("full_name", "Sau khi hết phiên".into())]).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{n}");
        let draft = motcua_dossiers::drafts::get(app.state(), me.get(), &id)
            .await
            .expect("draft");
        assert_eq!(draft.answers["full_name"], "Nguyễn Thị Hoa", "{n}");
    })
    .await;
}

/// Per-person notification settings (issue #8 §7): a person who switches
/// off mail for draft reminders still gets the reminder in the inbox and
/// no mail; another person's default is mail; the change is audited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_chooses_which_notifications_also_come_by_mail() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        seeded(&app).await;
        let (_, quiet) = citizen(&app, "yen.tinh", "Lê Yên Tĩnh").await;
        let (_, loud) = citizen(&app, "on.ao", "Trần Ồn Ào").await;
        start(&quiet, BIRTH).await;
        start(&loud, BIRTH).await;
        let page = quiet.get("/account/notifications/settings").await;
        assert_eq!(page.status, StatusCode::OK, "{n}");
        for cat in ["progress", "action", "drafts"] {
            assert!(
                page.text.contains(&format!(
                    "id=\"mail-{cat}\" name=\"mail\" value=\"{cat}\" checked"
                )),
                "{n}: mail on by default for {cat}"
            );
        }
        let r = quiet
            .post_form(
                "/account/notifications/settings",
                &[
                    ("csrf", &page.csrf()),
                    ("mail", "progress"),
                    ("mail", "action"),
                    ("mail", "không-có-loại-này"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        let page = quiet.get("/account/notifications/settings").await;
        assert!(
            page.text
                .contains("id=\"mail-drafts\" name=\"mail\" value=\"drafts\">"),
            "{n}"
        );
        assert!(page.text.contains("value=\"progress\" checked"), "{n}");
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'dossiers.notification_preferences'"
            )
            .await,
            1,
            "{n}"
        );

        let rules = app.state().dossier_rules.as_ref().clone();
        app.advance((rules.draft_days - rules.reminder_days + 1) * 86_400_000);
        let core = app.state().core().clone();
        let (reminded, _) = motcua_dossiers::housekeeping::run(&core, &rules, core.now())
            .await
            .expect("housekeeping");
        assert_eq!(reminded, 2, "{n}");
        app.drain().await;
        assert!(
            app.mails_to("yen.tinh@example.vn")
                .iter()
                .all(|m| !m.subject.contains("sắp hết hạn")),
            "{n}: no reminder mail for the one who said no"
        );
        assert!(
            app.mails_to("on.ao@example.vn")
                .iter()
                .any(|m| m.subject.contains("sắp hết hạn")),
            "{n}: the default is mail"
        );
        quiet.login("yen.tinh", PW).await;
        let inbox = quiet.get("/account/notifications").await;
        assert!(
            inbox.text.contains("class=\"unread\""),
            "{n}: still in the inbox"
        );
    })
    .await;
}

/// The address's commune list (issue #8 §2): open data by province, a
/// suggestion list on the page once the province is known, and a commune
/// of another province refused in words on save (nothing lost).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_takes_a_commune_of_its_province() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        seeded(&app).await;
        let anon = app.browser();
        let r = anon
            .get("/api/v1/communes?province=Th%C3%A0nh%20ph%E1%BB%91%20H%C3%A0%20N%E1%BB%99i")
            .await;
        assert_eq!(r.status, StatusCode::OK, "{n}");
        let v: serde_json::Value = serde_json::from_str(&r.text).expect("json");
        let items = v["items"].as_array().expect("items");
        assert!(items.iter().any(|c| c == "Phường Hoàn Kiếm"), "{n}");
        assert_eq!(items.len(), 126, "{n}: Hà Nội's 126 communes and wards");
        let r = anon
            .get("/api/v1/communes?province=T%E1%BB%89nh%20H%C3%A0%20T%C3%A2y")
            .await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{n}: no such province since 2008"
        );

        let (_, b) = citizen(&app, "thu.dang", "Đặng Thu").await;
        let id = start(&b, BIRTH).await;
        let mut fields: Vec<(&str, &str)> = REQUESTER
            .iter()
            .filter(|(k, _)| *k != "address.commune")
            .copied()
            .collect();
        fields.push(("address.commune", "Phường Bến Thành"));
        let r = post_step(&b, &id, 0, &fields).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(
            r.text
                .contains("không có trong danh sách xã, phường của Thành phố Hà Nội"),
            "{n}: {}",
            r.text
        );
        assert!(
            r.text.contains("value=\"Phường Bến Thành\""),
            "{n}: kept as typed"
        );
        assert!(
            r.text.contains("<option value=\"Phường Hoàn Kiếm\">"),
            "{n}: suggestions"
        );
        let mut fields: Vec<(&str, &str)> = REQUESTER
            .iter()
            .filter(|(k, _)| *k != "address.commune")
            .copied()
            .collect();
        fields.push(("address.commune", "phuong hoan kiem"));
        let r = post_step(&b, &id, 0, &fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let page = b.get(&format!("/account/drafts/{id}/step/0")).await;
        assert!(
            page.text.contains("value=\"Phường Hoàn Kiếm\""),
            "{n}: the official name"
        );
    })
    .await;
}
