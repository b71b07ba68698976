//! Declarant registration and review (R-ID-1…4, R-ID-5): the public form
//! with its PDF, email verification through a confirm page, the
//! operator's 1-working-day queue, return for correction and resubmission
//! (the deadline restarts), acceptance with credentials by mail and a
//! forced password change, rejection with a reason, and every bad input.
use crate::helpers::*;
use motcua_domain::{RegistrationStatus, Workflow};
use motcua_nsw::store::registrations as store;
use reqwest::multipart;
use reqwest::StatusCode;

const TAX: &str = "0100109106";
const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

fn fields(tax: &str, email: &str) -> Vec<(&'static str, String)> {
    vec![
        ("tax_code", tax.to_string()),
        ("org_name", "Công ty TNHH Thương mại Bình Minh".into()),
        ("org_name_en", "Binh Minh Trading Co., Ltd".into()),
        ("org_type", "llc".into()),
        ("province", "Thành phố Hà Nội".into()),
        ("ward", "Phường Hoàn Kiếm".into()),
        ("address", "Số 54 Hai Bà Trưng".into()),
        ("phone", "024 3826 1234".into()),
        ("email", email.to_string()),
        ("rep_name", "Trần Thị Bình".into()),
        ("rep_title", "Giám đốc".into()),
        ("rep_personal_id", "001190012345".into()),
        ("contact_name", "Lê Văn Cường".into()),
        ("contact_phone", "0912 345 678".into()),
        ("contact_email", "cuong.le@binhminh.vn".into()),
        ("existing_accounts", "VNACCS — 0100109106\n".into()),
        ("accept_terms", "yes".into()),
    ]
}

/// Posts the registration form as a browser does (multipart, with CSRF).
async fn post_form(
    b: &Browser,
    action: &str,
    form_page: &str,
    fields: &[(&'static str, String)],
    doc: Option<(&str, Vec<u8>)>,
) -> Page {
    let page = b.get(form_page).await;
    let csrf = page.csrf();
    let mut form = multipart::Form::new().text("csrf", csrf);
    if let Some((id, answer)) = solve_captcha(&page.text) {
        if !fields.iter().any(|(k, _)| *k == "captcha") {
            form = form.text("captcha_id", id).text("captcha", answer);
        }
    }
    for (k, v) in fields {
        form = form.text(*k, v.clone());
    }
    if let Some((name, bytes)) = doc {
        form = form.part(
            "document",
            multipart::Part::bytes(bytes)
                .file_name(name.to_string())
                .mime_str("application/pdf")
                .expect("mime"),
        );
    }
    b.send(b.client.post(b.url(action)).multipart(form)).await
}

async fn register(_app: &App, b: &Browser, tax: &str, email: &str) -> Page {
    post_form(
        b,
        "/register/declarant",
        "/register/declarant",
        &fields(tax, email),
        Some(("gcn-dkdn.pdf", PDF.to_vec())),
    )
    .await
}

fn path_of(link: &str, base: &str) -> String {
    link.strip_prefix(base).unwrap_or(link).to_string()
}

async fn reg_by_ref(app: &App, reference: &str) -> store::Registration {
    let mut c = app.conn().await;
    for status in RegistrationStatus::ALL {
        let (rows, _, _) = store::list(&mut c, Some(*status), "", None, 100)
            .await
            .expect("list");
        if let Some(r) = rows.into_iter().find(|r| r.reference == reference) {
            return r;
        }
    }
    panic!("{reference} not found")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declarant_registers_is_returned_corrects_and_is_accepted() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let base = app.base().to_string();
        let b = app.browser();
        // The form is public, in Vietnamese, linked from the home page.
        assert!(b.get("/").await.text.contains("/register/declarant"));
        let form = b.get("/register/declarant").await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.text.contains("Mã số thuế") && form.text.contains("Tỉnh Quảng Ninh"));

        let r = register(&app, &b, TAX, "lienhe@binhminh.vn").await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", app.name(), r.text);
        let reference = r
            .text
            .split("<strong id=\"reference\">")
            .nth(1)
            .and_then(|s| s.split('<').next())
            .expect("reference")
            .to_string();
        assert!(reference.starts_with("DK-20"), "{reference}");
        // Not yet with the operator: the email is unproven.
        let op = app.operator_browser().await;
        assert!(!op
            .get("/console/registrations")
            .await
            .text
            .contains(&reference));

        app.drain().await;
        let mails = app.mails_to("lienhe@binhminh.vn");
        assert_eq!(mails.len(), 1, "{}", app.name());
        assert!(
            mails[0].subject.contains(&reference),
            "{}",
            mails[0].subject
        );
        let verify = link_in(&mails[0].text, "/register/verify/").expect("verify link");
        // Opening the link (as a mail scanner does) verifies nothing…
        let page = b.get(&path_of(&verify, &base)).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("Xác nhận và gửi hồ sơ"));
        assert_eq!(reg_by_ref(&app, &reference).await.status, "unverified");
        // …the button does.
        let token = verify.rsplit('/').next().expect("token").to_string();
        let r = b
            .post_form(
                "/register/verify",
                &[("csrf", &page.csrf()), ("token", &token)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let status_path = r.location().expect("status").to_string();
        let status = b.get(&status_path).await;
        assert!(
            status
                .text
                .contains("Đang chờ Đơn vị quản lý Cổng kiểm tra"),
            "{}",
            status.text
        );
        let reg = reg_by_ref(&app, &reference).await;
        assert_eq!(reg.status, "pending");
        let received = reg.received_at.expect("received");
        let due = motcua_kernel::calendar::deadline_days(app.state(), received, 1, None)
            .await
            .expect("due");
        assert_eq!(reg.due_at, Some(due), "1 working day (R-ID-2)");
        // The link is single-use.
        let again = b
            .post_form(
                "/register/verify",
                &[("csrf", &page.csrf()), ("token", &token)],
            )
            .await;
        assert_eq!(again.status, StatusCode::NOT_FOUND);

        // The operator's queue shows it with its deadline; the document opens.
        let q = op.get("/console/registrations").await;
        assert!(q.text.contains(&reference) && q.text.contains("Bình Minh"));
        let found = op.get("/console/registrations?q=binh%20minh").await;
        assert!(
            found.text.contains(&reference),
            "diacritic-insensitive search"
        );
        let detail_path = format!("/console/registrations/{}", reg.id);
        let doc = op.get(&format!("{detail_path}/document")).await;
        assert_eq!(doc.status, StatusCode::OK);
        assert_eq!(doc.text.as_bytes(), PDF);

        // Returned for correction, with what to fix.
        let d = op.get(&detail_path).await;
        let r = op
            .post_form(
                &format!("{detail_path}/decide"),
                &[
                    ("csrf", &d.csrf()),
                    ("action", "return"),
                    ("reason", "Số điện thoại người liên hệ không liên lạc được"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        app.drain().await;
        let m = app
            .mails_to("lienhe@binhminh.vn")
            .into_iter()
            .find(|m| m.subject.contains("cần bổ sung"))
            .expect("returned mail");
        assert!(m.text.contains("không liên lạc được"), "{}", m.text);
        let status_link = link_in(&m.text, "/register/status/").expect("status link");
        let st = b.get(&path_of(&status_link, &base)).await;
        assert!(
            st.text.contains("Cần bổ sung") && st.text.contains("không liên lạc được"),
            "{}",
            st.text
        );
        // Deciding again is refused and changes nothing.
        let r = op
            .post_form(
                &format!("{detail_path}/decide"),
                &[("csrf", &d.csrf()), ("action", "accept")],
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.text.contains("đã được xử lý"));

        // The declarant corrects the phone and resubmits (keeping the PDF).
        let edit = format!("{}/edit", path_of(&status_link, &base));
        let form = b.get(&edit).await;
        assert!(form.text.contains("0912 345 678"), "prefilled");
        let mut f = fields(TAX, "lienhe@binhminh.vn");
        for (k, v) in f.iter_mut() {
            if *k == "contact_phone" {
                *v = "0987 654 321".into();
            }
        }
        app.advance(20 * 60_000);
        let r = post_form(&b, &edit, &edit, &f, None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let reg2 = reg_by_ref(&app, &reference).await;
        assert_eq!((reg2.status, reg2.round), (RegistrationStatus::Pending, 2));
        assert_eq!(reg2.profile.contact_phone, "0987 654 321");
        assert!(reg2.received_at > reg.received_at, "the deadline restarts");
        let due2 = motcua_kernel::calendar::deadline_days(
            app.state(),
            reg2.received_at.expect("r"),
            1,
            None,
        )
        .await
        .expect("due");
        assert_eq!(reg2.due_at, Some(due2));
        // Editing is only for returned profiles.
        assert_eq!(b.get(&edit).await.status, StatusCode::CONFLICT);

        // Accepted: the account is created and the credentials mailed.
        let d = op.get(&detail_path).await;
        let r = op
            .post_form(
                &format!("{detail_path}/decide"),
                &[("csrf", &d.csrf()), ("action", "accept")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let reg3 = reg_by_ref(&app, &reference).await;
        assert_eq!(reg3.status, RegistrationStatus::Accepted);
        // A decision is final: a move back to pending is not in the
        // workflow's table and is refused before anything is written.
        {
            let mut c = app.conn().await;
            let back = store::Transition {
                from: &[RegistrationStatus::Accepted],
                to: RegistrationStatus::Pending,
                received_at: None,
                due_at: None,
                reason: None,
                decided_by: None,
                account_id: None,
                next_round: true,
            };
            let err = store::transition(&mut c, reg3.id, &back, app.state().now())
                .await
                .unwrap_err();
            assert!(
                matches!(err, motcua_store::StoreError::Transition(_)),
                "{}: {err}",
                app.name()
            );
        }
        assert_eq!(reg_by_ref(&app, &reference).await, reg3, "nothing changed");
        // The terms accepted at submission now belong to the account.
        let versions =
            crate::portal::accepted_documents(&app, reg3.account_id.expect("account")).await;
        assert_eq!(versions.len(), 2, "{versions:?}");
        let account = app.account(reg3.account_id.expect("account")).await;
        assert_eq!(account.username, TAX);
        assert_eq!(account.tax_code.as_deref(), Some(TAX));
        assert!(account.has_role(motcua_domain::Role::Declarant));
        app.drain().await;
        let creds = app
            .mails_to("lienhe@binhminh.vn")
            .into_iter()
            .find(|m| m.text.contains(TAX) && m.subject.contains("đăng nhập"))
            .expect("credentials mail");
        let password = creds
            .text
            .lines()
            .find_map(|l| l.trim().strip_prefix("Mật khẩu ban đầu:"))
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|| panic!("no password in {}", creds.text));
        let user = app.browser();
        let login = user.login(TAX, &password).await;
        assert!(
            login.redirects_to("/password/change"),
            "{:?} {}",
            login.location(),
            login.text
        );
        // The specialized systems are told (outbox).
        let mut c = app.conn().await;
        let events =
            motcua_store::events::events(&mut c, Some(&format!("account:{}", account.id)), 10)
                .await
                .expect("events");
        drop(c);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].kind, "account.created");
        // The status page and the audit trail tell the whole story.
        let st = b.get(&path_of(&status_link, &base)).await;
        assert!(st.text.contains("Đã chấp thuận"));
        let actions: Vec<String> = app
            .audit_actions(&format!("registration:{}", reg.id))
            .await
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(
            actions,
            [
                "registration.accept",
                "registration.resubmit",
                "registration.return",
                "registration.verify",
                "registration.submit"
            ]
        );
        app.assert_audit_intact().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_registrations_get_clear_messages_and_store_nothing() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let b = app.browser();
        let count = |app: &App| {
            let app_state = app.state().clone();
            async move {
                let mut c = app_state.store.conn().await.expect("conn");
                scalar(&mut c, "SELECT COUNT(*) FROM registrations").await
            }
        };
        // Wrong check digit, bad personal ID, no province: all reported at once.
        let mut f = fields("0100109107", "lienhe@binhminh.vn");
        for (k, v) in f.iter_mut() {
            match *k {
                "rep_personal_id" => *v = "12345".into(),
                "province" => *v = "Tỉnh Hà Tây".into(),
                _ => {}
            }
        }
        let r = post_form(
            &b,
            "/register/declarant",
            "/register/declarant",
            &f,
            Some(("a.pdf", PDF.to_vec())),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        for needle in [
            "Mã số thuế không hợp lệ",
            "Số định danh cá nhân không hợp lệ",
            "Vui lòng chọn tỉnh",
        ] {
            assert!(r.text.contains(needle), "{needle}: {}", r.text);
        }
        assert!(
            r.text.contains("Công ty TNHH Thương mại Bình Minh"),
            "what was typed is kept"
        );
        // No document, a document that is not a PDF, one too large.
        let r = post_form(
            &b,
            "/register/declarant",
            "/register/declarant",
            &fields(TAX, "a@b.vn"),
            None,
        )
        .await;
        assert!(r.text.contains("Vui lòng đính kèm"), "{}", r.text);
        let r = post_form(
            &b,
            "/register/declarant",
            "/register/declarant",
            &fields(TAX, "a@b.vn"),
            Some(("gcn.pdf", b"MZ\x90\x00 not a pdf".to_vec())),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("phải là tệp PDF"));
        let mut big = PDF.to_vec();
        big.resize(5 * 1024 * 1024 + 1, b' ');
        let r = post_form(
            &b,
            "/register/declarant",
            "/register/declarant",
            &fields(TAX, "a@b.vn"),
            Some(("big.pdf", big)),
        )
        .await;
        assert!(r.text.contains("tối đa 5 MB"), "{}", r.status);
        let mut huge = PDF.to_vec();
        huge.resize(7 * 1024 * 1024, b' ');
        let r = post_form(
            &b,
            "/register/declarant",
            "/register/declarant",
            &fields(TAX, "a@b.vn"),
            Some(("huge.pdf", huge)),
        )
        .await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
        // Without the CSRF token: refused.
        let form = multipart::Form::new().text("tax_code", TAX);
        let r = b
            .send(b.client.post(b.url("/register/declarant")).multipart(form))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(count(&app).await, 0, "{}: nothing stored", app.name());

        // A forged or stale verification link.
        let r = b.get("/register/verify/forged-token").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert!(r.text.contains("không hợp lệ hoặc đã hết hạn"));
        assert_eq!(
            register(&app, &b, TAX, "one@binhminh.vn").await.status,
            StatusCode::OK
        );
        app.drain().await;
        let verify = link_in(
            &app.mails_to("one@binhminh.vn")[0].text,
            "/register/verify/",
        )
        .expect("link");
        app.advance(25 * 3_600_000);
        assert_eq!(
            b.get(&path_of(&verify, app.base())).await.status,
            StatusCode::NOT_FOUND
        );

        // One open profile per tax code: a second verified one is refused.
        let b2 = app.browser();
        assert_eq!(
            register(&app, &b2, TAX, "two@binhminh.vn").await.status,
            StatusCode::OK
        );
        assert_eq!(
            register(&app, &b2, TAX, "three@binhminh.vn").await.status,
            StatusCode::OK
        );
        app.drain().await;
        let v2 = link_in(
            &app.mails_to("two@binhminh.vn")[0].text,
            "/register/verify/",
        )
        .expect("link");
        let v3 = link_in(
            &app.mails_to("three@binhminh.vn")[0].text,
            "/register/verify/",
        )
        .expect("link");
        for (v, expected) in [(&v2, StatusCode::SEE_OTHER), (&v3, StatusCode::CONFLICT)] {
            let page = b2.get(&path_of(v, app.base())).await;
            let token = v.rsplit('/').next().expect("token");
            let r = b2
                .post_form(
                    "/register/verify",
                    &[("csrf", &page.csrf()), ("token", token)],
                )
                .await;
            assert_eq!(r.status, expected, "{}", r.text);
        }
        let dup = register(&app, &b2, TAX, "four@binhminh.vn").await;
        assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(dup.text.contains("đã có hồ sơ đang xử lý"));

        // Operators only; a reason is required to reject.
        app.user("congdan", "Công Dân", "mat-khau-cong-dan").await;
        let citizen = app.browser();
        citizen.login("congdan", "mat-khau-cong-dan").await;
        assert_eq!(
            citizen.get("/console/registrations").await.status,
            StatusCode::FORBIDDEN
        );
        let op = app.operator_browser().await;
        let mut c = app.conn().await;
        let pending = store::pending(&mut c, 1000).await.expect("pending");
        drop(c);
        let path = format!("/console/registrations/{}", pending[0].id);
        let d = op.get(&path).await;
        let r = op
            .post_form(
                &format!("{path}/decide"),
                &[("csrf", &d.csrf()), ("action", "reject"), ("reason", " ")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("Vui lòng nhập lý do"));
        let r = op
            .post_form(
                &format!("{path}/decide"),
                &[
                    ("csrf", &d.csrf()),
                    ("action", "reject"),
                    ("reason", "Giấy chứng nhận không khớp mã số thuế"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        app.drain().await;
        let m = app
            .mails_to("two@binhminh.vn")
            .into_iter()
            .find(|m| m.subject.contains("không được chấp thuận"))
            .expect("rejection mail");
        assert!(m.text.contains("Giấy chứng nhận không khớp mã số thuế"));
        // Rejected frees the tax code for a new registration.
        assert_eq!(
            register(&app, &b2, TAX, "five@binhminh.vn").await.status,
            StatusCode::OK
        );
    })
    .await;
}

/// The SLA overview and `/metrics` count pending and overdue work (R-OP-3).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_registrations_show_in_the_sla_overview_and_metrics() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let b = app.browser();
        assert_eq!(
            register(&app, &b, TAX, "sla@binhminh.vn").await.status,
            StatusCode::OK
        );
        app.drain().await;
        let verify = link_in(
            &app.mails_to("sla@binhminh.vn")[0].text,
            "/register/verify/",
        )
        .expect("link");
        let page = b.get(&path_of(&verify, app.base())).await;
        let token = verify.rsplit('/').next().expect("token");
        b.post_form(
            "/register/verify",
            &[("csrf", &page.csrf()), ("token", token)],
        )
        .await;
        let metrics = b
            .get_with(
                "/metrics",
                &[("authorization", "Bearer test-metrics-token")],
            )
            .await
            .text;
        assert!(
            metrics.contains("motcua_sla_pending{kind=\"registration\"} 1"),
            "{metrics}"
        );
        assert!(metrics.contains("motcua_sla_overdue{kind=\"registration\"} 0"));
        let op = app.operator_browser().await;
        let sla = op.get("/console/sla").await;
        assert_eq!(sla.status, StatusCode::OK);
        assert!(
            sla.text.contains("DK-") && sla.text.contains("Hồ sơ đăng ký người khai"),
            "{}",
            sla.text
        );
        assert!(!sla.text.contains("class=\"overdue\""));
        // A week later (at least 1 working day has passed) it is overdue.
        app.advance(7 * 24 * 3_600_000);
        let metrics = b
            .get_with(
                "/metrics",
                &[("authorization", "Bearer test-metrics-token")],
            )
            .await
            .text;
        assert!(
            metrics.contains("motcua_sla_overdue{kind=\"registration\"} 1"),
            "{metrics}"
        );
        let op = app.operator_browser_again().await;
        let sla = op.get("/console/sla").await;
        assert!(
            sla.text.contains("class=\"overdue\"") && sla.text.contains("đã quá hạn"),
            "{}",
            sla.text
        );
    })
    .await;
}

/// The terms checkbox (issue 10, §7): without it nothing is stored and
/// what was typed is kept; with it, the versions shown are recorded for
/// the registration until its account exists.
#[tokio::test]
async fn declarant_registration_needs_the_terms_accepted() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let b = app.browser();
        let form = b.get("/register/declarant").await;
        assert!(form.text.contains("name=\"accept_terms\""), "{}", form.text);
        assert!(form.text.contains("href=\"/terms\"") && form.text.contains("href=\"/privacy\""));
        assert!(form.text.contains(motcua_identity::portal::BUNDLED_VERSION));
        let f: Vec<_> = fields(TAX, "lienhe@binhminh.vn")
            .into_iter()
            .filter(|(k, _)| *k != "accept_terms")
            .collect();
        let r = post_form(
            &b,
            "/register/declarant",
            "/register/declarant",
            &f,
            Some(("gcn.pdf", PDF.to_vec())),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("id=\"accept_terms-error\""), "{}", r.text);
        assert!(r.text.contains("href=\"#accept_terms\""), "in the summary");
        assert!(r.text.contains("Hãy đánh dấu ô đồng ý"), "{}", r.text);
        for typed in [
            "Công ty TNHH Thương mại Bình Minh",
            "Số 54 Hai Bà Trưng",
            "lienhe@binhminh.vn",
        ] {
            assert!(r.text.contains(typed), "{typed} kept");
        }
        let stored = {
            let mut c = app.conn().await;
            (
                scalar(&mut c, "SELECT COUNT(*) FROM registrations").await,
                scalar(&mut c, "SELECT COUNT(*) FROM policy_acceptances").await,
            )
        };
        assert_eq!(stored, (0, 0), "{}: nothing stored", app.name());
        app.drain().await;
        assert!(app.mails_to("lienhe@binhminh.vn").is_empty());

        // Ticked: stored, with both versions, waiting for the account.
        let r = register(&app, &b, TAX, "lienhe@binhminh.vn").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let id = {
            let mut c = app.conn().await;
            scalar(&mut c, "SELECT MAX(id) FROM registrations").await
        };
        let mut c = app.conn().await;
        let rows = motcua_identity::store::policies::pending(&mut c, &format!("registration:{id}"))
            .await
            .unwrap();
        let got: Vec<_> = rows
            .iter()
            .map(|a| {
                (
                    a.document.as_str(),
                    a.version.as_str(),
                    a.account_id,
                    a.ip.as_str(),
                )
            })
            .collect();
        let v = motcua_identity::portal::BUNDLED_VERSION;
        assert_eq!(
            got,
            vec![
                ("terms", v, None, "127.0.0.1"),
                ("privacy", v, None, "127.0.0.1")
            ]
        );
    })
    .await;
}

/// Issue #7: the operator's queue pages by keyset (order key, id): a deep
/// page costs what the first does, a profile added meanwhile neither moves
/// nor repeats a page, the count is capped, and a forged cursor is a clear
/// 400 in the operator's language.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_registration_queue_pages_by_keyset() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        const T0: i64 = 1_780_000_000_000;
        let add = |i: i64, at: i64| {
            let app = &app;
            async move {
                let mut c = app.conn().await;
                let doc = format!("{i:064}");
                motcua_store::attachments::record(&mut c, &doc, "application/pdf", 1, at)
                    .await
                    .expect("document");
                let p = store::Profile {
                    tax_code: format!("01001{i:05}"),
                    org_name: format!("Công ty Hàng đợi {i}"),
                    doc_sha256: doc,
                    ..Default::default()
                };
                store::create(
                    &mut c,
                    &p,
                    &format!("tok{i}"),
                    &format!("ver{i}"),
                    at + 1,
                    "vi",
                    "cong ty hang doi",
                    2026,
                    at,
                )
                .await
                .expect("create")
                .0
            }
        };
        let mut want = Vec::new();
        for i in 0..7 {
            want.push(add(i, T0 + i * 1000).await);
        }
        let unverified = Some(RegistrationStatus::Unverified);
        let mut c = app.conn().await;
        let (p1, next, total) = store::list(&mut c, unverified, "hang doi", None, 3)
            .await
            .expect("list");
        assert_eq!((p1.len(), total), (3, 7), "{n}");
        // Added after page 1 was read, with the order key of the 4th.
        let late = add(99, T0 + 3 * 1000).await;
        want.insert(4, late);
        let mut seen: Vec<_> = p1.iter().map(|r| r.id).collect();
        let mut after = next;
        while let Some(cursor) = after {
            let (page, next, _) = store::list(&mut c, unverified, "hang doi", Some(cursor), 3)
                .await
                .expect("list");
            seen.extend(page.iter().map(|r| r.id));
            after = next;
        }
        assert_eq!(seen, want, "{n}: every profile once, in order");

        let op = app.operator_browser().await;
        let page = op
            .get("/console/registrations?status=unverified&q=hang%20doi")
            .await;
        assert_eq!(page.status, StatusCode::OK, "{n}");
        for bad in ["x", "1.", ".2", "1.2.3", "99999999999999999999.1"] {
            let r = op
                .get(&format!(
                    "/console/registrations?status=unverified&after={bad}"
                ))
                .await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{n}: {bad}");
            assert!(r.text.contains("Liên kết trang không hợp lệ"), "{n}: {bad}");
        }
    })
    .await;
}
