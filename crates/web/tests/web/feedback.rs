//! Issue #11 §1: feedback and petitions (R-PS-6; PUBLIC-SERVICES §7). A
//! citizen sends feedback about the birth registration (captcha, a PDF
//! attached, routed to the procedure's agency); the working-day deadlines
//! at fixed dates (refuse 2, ask 5, answer 15, publish 2; a reply and a
//! transfer count again); the agency asks once, the citizen replies, the
//! agency answers and publishes; the answer is public with the name
//! hidden, found without accents, linked from the procedure and in the
//! API; a complaint is refused with the law's reason; an overdue item is
//! on the boards and reminded once; nobody else reaches an item; bad
//! input is said in words and keeps nothing; the limits are reserved.
use crate::dossiers::{between, citizen, seeded};
use crate::handling::{login, servant, set_clock, vn, ward, Ward, AGENCY, PW};
use crate::helpers::*;
use reqwest::StatusCode;

const BOUNDARY: &str = "----motcua-feedback-boundary";

/// The form as multipart, with the captcha of `form_html` solved (or
/// answered wrong), and `files` (name, bytes).
fn multipart(
    form_html: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &[u8])],
    solve: bool,
) -> Vec<u8> {
    let csrf = between(form_html, "name=\"csrf\" value=\"", "\"");
    let (id, answer) = solve_captcha(form_html).expect("captcha");
    let answer = if solve { answer } else { "999".to_string() };
    let mut body = Vec::new();
    let mut all: Vec<(&str, &str)> =
        vec![("csrf", &csrf), ("captcha_id", &id), ("captcha", &answer)];
    all.extend_from_slice(fields);
    for (k, v) in all {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (name, bytes) in files {
        body.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn send(b: &Browser, fields: &[(&str, &str)], files: &[(&str, &[u8])], solve: bool) -> Page {
    let form = b.get("/feedback/new").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text);
    b.post_raw(
        "/feedback/new",
        &format!("multipart/form-data; boundary={BOUNDARY}"),
        multipart(&form.text, fields, files, solve),
    )
    .await
}

const CONTENT: &str = "Tôi nộp hồ sơ đăng ký khai sinh trực tuyến nhưng không rõ có cần bản sao giấy chứng sinh có chứng thực hay không.";

fn birth_fields(title: &str, hide: bool) -> Vec<(&str, &str)> {
    let mut f = vec![
        ("about", "procedure"),
        ("procedure_code", "1.001193"),
        ("agency_code", ""),
        ("title", title),
        ("content", CONTENT),
        ("phone", "0912 345 678"),
        ("address", "12 Hàng Bạc, Hoàn Kiếm, Hà Nội"),
    ];
    if hide {
        f.push(("hide_name", "on"));
    }
    f
}

async fn count(app: &App) -> i64 {
    let mut c = app.conn().await;
    scalar(&mut c, "SELECT COUNT(*) FROM feedback_items").await
}

async fn deadlines(app: &App, code: &str) -> (String, String, i64, i64, i64, Option<i64>) {
    let mut c = app.conn().await;
    sqlx::query_as("SELECT agency_code, state, refuse_by, ask_by, answer_by, publish_by FROM feedback_items WHERE code = $1")
        .bind(code)
        .fetch_one(&mut *c)
        .await
        .expect("item")
}

/// Posts an action from the agency's page as the browser shows it.
async fn act(b: &Browser, code: &str, fields: &[(&str, &str)]) -> Page {
    let page = b.get(&format!("/agency/feedback/{code}")).await;
    assert_eq!(
        page.status,
        StatusCode::OK,
        "{:?} {}",
        page.location(),
        page.text
    );
    let seen = between(&page.text, "name=\"seen\" value=\"", "\"");
    let mut all = fields.to_vec();
    let csrf = page.csrf();
    all.push(("seen", &seen));
    all.push(("csrf", &csrf));
    b.post_form(&format!("/agency/feedback/{code}/act"), &all)
        .await
}

/// Everyone logs in again after the clock moved on (sessions time out).
async fn relogin(app: &App) -> (Browser, Browser, Browser, Browser, Browser) {
    (
        login(app, "cb_nhan", PW).await,
        login(app, "hoa.nguyen", CITIZEN_PW).await,
        login(app, "lan.tran", CITIZEN_PW).await,
        login(app, "cb_sotuphap", PW).await,
        app.operator_browser_again().await,
    )
}

const CITIZEN_PW: &str = "mat-khau-du-dai-2026";

#[tokio::test]
async fn feedback_is_answered_within_its_deadlines_and_published() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        seeded(&app).await;
        // The agency's address for reminders.
        let mut agency = motcua_catalog::queries::agency(app.state(), AGENCY).await.unwrap().unwrap();
        agency.email = "motcua-hoankiem@example.vn".into();
        motcua_catalog::service::import_agencies(app.state(), &motcua_kernel::service::Origin::cli(), &[agency])
            .await
            .expect("agency");
        // Monday 1/3/2027 09:00: no holiday in the weeks that follow.
        set_clock(&app, vn(2027, 3, 1, 9, 0));
        let Ward { receiver, op, .. } = ward(&app).await;
        let (_, other) = servant(&app, "cb_sotuphap", "Ngô Thị Khác").await;
        let units = motcua_handling::people::units(app.state(), "H29.STP").await.expect("units");
        assert!(units.is_empty(), "{n}");
        let r = op
            .submit("/console/agencies/H29.STP/units", "/console/agencies/H29.STP/units", &[("code", "MC"), ("name", "Một cửa Sở Tư pháp"), ("kind", "one_stop")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let stp = motcua_handling::people::units(app.state(), "H29.STP").await.expect("units")[0].id;
        let r = crate::handling::grant(&app, &op, "/console/agencies/H29.STP/units", stp, "cb_sotuphap", "receiver").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let other = { let _ = other; login(&app, "cb_sotuphap", PW).await };
        let (_, hoa) = citizen(&app, "hoa.nguyen", "Nguyễn Thị Hoa").await;
        let (_, lan) = citizen(&app, "lan.tran", "Trần Thị Lan").await;

        // Anonymous visitors get the form with their name and e-mail
        // (confirmed by codes: `feedback_without_an_account_…`); a
        // logged-in person's form does not ask for them.
        let r = app.browser().get("/feedback/new").await;
        assert!(r.text.contains("name=\"email\"") && r.text.contains("/login?next=%2Ffeedback%2Fnew"), "{n}");
        assert!(!hoa.get("/feedback/new").await.text.contains("name=\"email\""), "{n}");

        // Mistakes are said beside the form and keep nothing.
        let pdf: &[u8] = b"%PDF-1.4\n% giay chung sinh\n%%EOF\n";
        let r = send(&hoa, &birth_fields("Bản sao giấy chứng sinh", true), &[("giay-chung-sinh.pdf", pdf)], false).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(r.text.contains("id=\"form-error\""), "{n}: the captcha");
        assert!(r.text.contains("Tôi nộp hồ sơ đăng ký khai sinh"), "{n}: kept as typed");
        let exe: &[u8] = b"MZ\x90\x00\x03\x00\x00\x00";
        let r = send(&hoa, &birth_fields("Bản sao giấy chứng sinh", true), &[("giay-chung-sinh.pdf", exe)], true).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(r.text.contains("Chỉ nhận tệp PDF, PNG hoặc JPEG"), "{n}");
        let r = send(&hoa, &birth_fields("Ngắn", true), &[], true).await;
        assert!(r.text.contains("Tiêu đề từ 5 đến 200 ký tự"), "{n}");
        let mut wrong = birth_fields("Bản sao giấy chứng sinh", true);
        wrong[1] = ("procedure_code", "9.999999");
        let r = send(&hoa, &wrong, &[], true).await;
        assert!(r.text.contains("Không có thủ tục nào mang mã này"), "{n}");
        let mut phone = birth_fields("Bản sao giấy chứng sinh", true);
        phone[5] = ("phone", "call me");
        let r = send(&hoa, &phone, &[], true).await;
        assert!(r.text.contains("Số điện thoại gồm 9 đến 15 chữ số"), "{n}");
        assert_eq!(count(&app).await, 0, "{n}: nothing kept");

        // Sent: routed to the procedure's agency, its deadlines counted in
        // working days from Monday 1/3 09:00.
        let r = send(&hoa, &birth_fields("Bản sao giấy chứng sinh có cần chứng thực?", true), &[("giay-chung-sinh.pdf", pdf)], true).await;
        assert_eq!(r.status, StatusCode::OK, "{n}: {}", r.text);
        let code = between(&r.text, "id=\"feedback-code\">", "<");
        assert!(code.starts_with("PAKN-270301-"), "{n}: {code}");
        let (ag, state, refuse_by, ask_by, answer_by, publish_by) = deadlines(&app, &code).await;
        assert_eq!((ag.as_str(), state.as_str()), (AGENCY, "received"), "{n}");
        assert_eq!(refuse_by, vn(2027, 3, 3, 17, 0), "{n}: 2 working days");
        assert_eq!(ask_by, vn(2027, 3, 8, 17, 0), "{n}: 5 working days, over the weekend");
        assert_eq!(answer_by, vn(2027, 3, 22, 17, 0), "{n}: 15 working days");
        assert_eq!(publish_by, None, "{n}");

        // Nobody else reaches it.
        assert_eq!(lan.get(&format!("/account/feedback/{code}")).await.status, StatusCode::NOT_FOUND, "{n}");
        assert_eq!(lan.get(&format!("/account/feedback/{code}/files/1")).await.status, StatusCode::NOT_FOUND, "{n}");
        assert_eq!(app.browser().get(&format!("/feedback/{code}")).await.status, StatusCode::NOT_FOUND, "{n}: not published yet");
        assert_eq!(other.get(&format!("/agency/feedback/{code}")).await.status, StatusCode::NOT_FOUND, "{n}: another agency");
        let r = act(&receiver, &code, &[]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}: no action chosen");
        let page = other.get("/account").await;
        let r = other
            .post_form(&format!("/agency/feedback/{code}/act"), &[("kind", "answer"), ("note", "Trả lời thay cơ quan khác."), ("csrf", &page.csrf())])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{n}");
        assert_eq!(hoa.get("/agency/feedback").await.status, StatusCode::FORBIDDEN, "{n}: citizens are not staff");

        // The agency sees it, its file and its time left.
        let inbox = receiver.get("/agency/feedback").await;
        assert!(inbox.text.contains(&code), "{n}");
        let item = receiver.get(&format!("/agency/feedback/{code}")).await;
        assert!(item.text.contains("giay-chung-sinh.pdf") && item.text.contains("0912 345 678"), "{n}");
        let file_id = between(&item.text, &format!("/agency/feedback/{code}/files/"), "\"");
        let r = receiver.client.get(receiver.url(&format!("/agency/feedback/{code}/files/{file_id}"))).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{n}");
        assert_eq!(r.bytes().await.unwrap().as_ref(), pdf, "{n}");

        // Tuesday: asked for more, once.
        set_clock(&app, vn(2027, 3, 2, 10, 0));
        let (receiver, hoa, lan, other, op) = relogin(&app).await;
        let _ = (&receiver, &hoa, &lan, &other, &op);
        let r = act(&receiver, &code, &[("kind", "ask"), ("note", "Cho biết bệnh viện nơi sinh.")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let r = act(&receiver, &code, &[("kind", "ask"), ("note", "Lần nữa.")]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{n}");
        let own = hoa.get(&format!("/account/feedback/{code}")).await;
        assert!(own.text.contains("Cho biết bệnh viện nơi sinh.") && own.text.contains("action=\"/account/feedback/"), "{n}");
        let inbox = hoa.get("/account/notifications").await;
        assert!(inbox.text.contains(&format!("Phản ánh, kiến nghị {code}: cơ quan đề nghị bổ sung thông tin")), "{n}");
        // Wednesday 10:00: the reply; the deadlines count again from it.
        set_clock(&app, vn(2027, 3, 3, 10, 0));
        let (receiver, hoa, lan, other, op) = relogin(&app).await;
        let _ = (&receiver, &hoa, &lan, &other, &op);
        let own = hoa.get(&format!("/account/feedback/{code}")).await;
        let r = hoa.post_form(&format!("/account/feedback/{code}/reply"), &[("csrf", &own.csrf()), ("text", "")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        let r = hoa.post_form(&format!("/account/feedback/{code}/reply"), &[("csrf", &own.csrf()), ("text", "Bệnh viện Phụ sản Hà Nội.")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let (_, state, _, _, answer_by, _) = deadlines(&app, &code).await;
        assert_eq!((state.as_str(), answer_by), ("received", vn(2027, 3, 24, 17, 0)), "{n}: 15 working days from Wednesday");

        // Wednesday 10/3: answered; published the next day (within 2).
        set_clock(&app, vn(2027, 3, 10, 10, 0));
        let (receiver, hoa, lan, other, op) = relogin(&app).await;
        let _ = (&receiver, &hoa, &lan, &other, &op);
        let answer = "Không cần chứng thực: chỉ cần bản chụp Giấy chứng sinh do bệnh viện cấp.";
        let r = act(&receiver, &code, &[("kind", "answer"), ("note", "Ngắn")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(r.text.contains("Câu trả lời tối thiểu 10 ký tự") && r.text.contains(">Ngắn<"), "{n}: kept");
        let r = act(&receiver, &code, &[("kind", "answer"), ("note", answer)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let (_, state, _, _, _, publish_by) = deadlines(&app, &code).await;
        assert_eq!((state.as_str(), publish_by), ("answered", Some(vn(2027, 3, 12, 17, 0))), "{n}");
        assert_eq!(app.browser().get(&format!("/feedback/{code}")).await.status, StatusCode::NOT_FOUND, "{n}: answered, not yet public");
        set_clock(&app, vn(2027, 3, 11, 9, 0));
        let (receiver, hoa, lan, other, op) = relogin(&app).await;
        let _ = (&receiver, &hoa, &lan, &other, &op);
        let r = act(&receiver, &code, &[("kind", "publish")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);

        // Public, the name hidden, found without accents, on the
        // procedure's page and in the API.
        let anyone = app.browser();
        let public = anyone.get(&format!("/feedback/{code}")).await;
        assert_eq!(public.status, StatusCode::OK, "{n}");
        assert!(public.text.contains(answer), "{n}");
        assert!(public.text.contains("Người gửi đề nghị không công khai") && !public.text.contains("Nguyễn Thị Hoa"), "{n}");
        assert!(!public.text.contains("0912 345 678") && !public.text.contains("giay-chung-sinh.pdf"), "{n}: no contact, no files");
        for q in ["giay chung sinh chung thuc", "GIẤY CHỨNG SINH", "benh vien"] {
            let found = anyone.get(&format!("/feedback?q={}", q.replace(' ', "+"))).await;
            assert!(found.text.contains(&code), "{n}: {q}");
        }
        let none = anyone.get("/feedback?q=ho+chieu").await;
        assert!(!none.text.contains(&code) && none.text.contains("id=\"feedback-none\""), "{n}");
        let proc_page = anyone.get("/procedures/1.001193").await;
        assert!(proc_page.text.contains(&format!("/feedback/{code}")), "{n}: linked from the procedure");
        let api = anyone.get("/api/v1/feedback?q=chung+sinh").await;
        let v: serde_json::Value = serde_json::from_str(&api.text).expect("json");
        let item = &v["items"][0];
        assert_eq!((item["code"].as_str(), item["sender"].is_null()), (Some(code.as_str()), true), "{n}: {v}");
        assert!(!api.text.contains("0912"), "{n}");
        // Every step told to the sender, and audited.
        app.drain().await;
        let mails: Vec<String> = app.mails_to("hoa.nguyen@example.vn").into_iter().map(|m| m.subject).collect();
        for step in ["Đã tiếp nhận", "Đề nghị bổ sung thông tin", "Đã trả lời", "Đã công khai câu trả lời"] {
            assert!(mails.iter().any(|s| s.contains(&code) && s.contains(step)), "{n}: {step} in {mails:?}");
        }
        let audited: Vec<String> = app.audit_actions(&format!("feedback:{code}")).await.into_iter().rev().map(|e| e.action).collect();
        assert_eq!(audited, ["feedback.submit", "feedback.more_info", "feedback.reply", "feedback.answered", "feedback.published"], "{n}");

        // A complaint is refused with the law's reason; another item is
        // transferred and its deadlines count again at the new agency.
        let r = send(&lan, &birth_fields("Khiếu nại cán bộ tiếp nhận", false), &[], true).await;
        let complaint = between(&r.text, "id=\"feedback-code\">", "<");
        let r = act(&receiver, &complaint, &[("kind", "refuse"), ("target", "other")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}: another reason must be said");
        let r = act(&receiver, &complaint, &[("kind", "refuse"), ("target", "complaint")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let seen = lan.get(&format!("/account/feedback/{complaint}")).await;
        assert!(seen.text.contains("Luật Khiếu nại") && seen.text.contains("Từ chối tiếp nhận"), "{n}");
        let r = send(&lan, &birth_fields("Thẩm quyền của Sở Tư pháp", false), &[], true).await;
        let moved = between(&r.text, "id=\"feedback-code\">", "<");
        set_clock(&app, vn(2027, 3, 12, 9, 0));
        let (receiver, hoa, lan, other, op) = relogin(&app).await;
        let _ = (&receiver, &hoa, &lan, &other, &op);
        let r = act(&receiver, &moved, &[("kind", "transfer"), ("target", "H29.NOPE")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        let r = act(&receiver, &moved, &[("kind", "transfer"), ("target", "H29.STP")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let (ag, _, _, _, answer_by, _) = deadlines(&app, &moved).await;
        assert_eq!((ag.as_str(), answer_by), ("H29.STP", vn(2027, 4, 2, 17, 0)), "{n}: 15 working days from Friday 12/3");
        assert_eq!(receiver.get(&format!("/agency/feedback/{moved}")).await.status, StatusCode::NOT_FOUND, "{n}: gone from the first agency");
        assert_eq!(other.get(&format!("/agency/feedback/{moved}")).await.status, StatusCode::OK, "{n}: at the second");

        // Overdue: an item sent on 12/3 and never answered is on both
        // boards after its deadline, reminded once; answered late, the
        // timeline says so.
        let r = send(&lan, &birth_fields("Thời hạn cấp trích lục", false), &[], true).await;
        assert_eq!(r.status, StatusCode::OK, "{n}: {}", r.text);
        let late = between(&r.text, "id=\"feedback-code\">", "<");
        let (_, _, _, _, late_due, _) = deadlines(&app, &late).await;
        assert_eq!(late_due, vn(2027, 4, 2, 17, 0), "{n}");
        set_clock(&app, vn(2027, 4, 5, 9, 0));
        let (receiver, hoa, lan, other, op) = relogin(&app).await;
        let _ = (&receiver, &hoa, &lan, &other, &op);
        let sent = motcua_feedback::remind::remind(app.state(), app.state().now()).await.expect("remind");
        assert_eq!(sent, 1, "{n}: the late item here (the transferred one's agency has no address: marked, not mailed)");
        assert_eq!(motcua_feedback::remind::remind(app.state(), app.state().now()).await.expect("again"), 0, "{n}: once");
        app.drain().await;
        assert!(app.mails_to("motcua-hoankiem@example.vn").iter().any(|m| m.subject.contains(&late) && m.subject.contains("quá hạn")), "{n}");
        let board = receiver.get("/agency/feedback").await;
        let overdue = between(&board.text, "id=\"feedback-overdue\"", "</table>");
        assert!(overdue.contains(&late) && !overdue.contains(&code), "{n}");
        let console = op.get("/console/feedback").await;
        assert!(console.text.contains(&late) && console.text.contains(&moved), "{n}: every agency");
        assert_eq!(hoa.get("/console/feedback").await.status, StatusCode::FORBIDDEN, "{n}");
        let r = act(&receiver, &late, &[("kind", "answer"), ("note", "Trích lục được cấp trong ngày làm việc.")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        let own = lan.get(&format!("/account/feedback/{late}")).await;
        assert!(between(&own.text, "id=\"feedback-timeline\"", "</ol>").contains("quá hạn"), "{n}: answered late");

        // The per-person limit (5 a day) is reserved before anything is
        // kept: five pass, the sixth is refused.
        for i in 0..5 {
            let r = send(&lan, &birth_fields(&format!("Câu hỏi thêm số {i}"), false), &[], true).await;
            assert_eq!(r.status, StatusCode::OK, "{n}: {i}");
        }
        let before = count(&app).await;
        let r = send(&lan, &birth_fields("Câu hỏi quá giới hạn", false), &[], true).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{n}");
        assert_eq!(count(&app).await, before, "{n}");
        app.assert_audit_intact().await;
    })
    .await;
}

async fn pending(app: &App) -> i64 {
    let mut c = app.conn().await;
    scalar(&mut c, "SELECT COUNT(*) FROM feedback_pending").await
}

/// The six digits after `before` in `text`.
fn six_after(text: &str, before: &str) -> String {
    let at = text
        .find(before)
        .unwrap_or_else(|| panic!("{before:?} in {text}"))
        + before.len();
    text[at..]
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take(6)
        .collect()
}

/// Issue #11 §1, "logged in, or with a verified email and phone": a
/// person without an account sends feedback; it waits, at no agency,
/// until the code mailed to the address and the code sent by SMS to the
/// phone are typed (wrong codes use up tries, the last drops it; expired
/// requests are purged); confirmed, it reaches the agency with its
/// deadlines from then, and the sender follows it and replies through the
/// tracking link mailed at every step. Limits per address, e-mail and
/// phone are reserved first; mistakes keep nothing.
#[tokio::test]
async fn feedback_without_an_account_is_confirmed_by_mail_and_sms() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        seeded(&app).await;
        set_clock(&app, vn(2027, 3, 1, 9, 0));
        let Ward { receiver, .. } = ward(&app).await;
        let guest = app.browser();
        let email = "khach.pham@example.vn";
        let with = |name: &'static str, mail: &'static str, phone: &'static str| {
            let mut f = birth_fields("Thời hạn trả kết quả khai sinh", false);
            f[5] = ("phone", phone);
            f.push(("name", name));
            f.push(("email", mail));
            f
        };

        // Mistakes are said and keep nothing: no request, no mail, no SMS.
        let r = send(
            &guest,
            &with("Phạm Văn Khách", "not-an-address", "0912 345 678"),
            &[],
            true,
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(
            r.text.contains("Địa chỉ thư điện tử không hợp lệ")
                && r.text.contains("Phạm Văn Khách"),
            "{n}: kept as typed"
        );
        let r = send(&guest, &with("P", email, "0912 345 678"), &[], true).await;
        assert!(r.text.contains("Họ và tên từ 2 đến 100 ký tự"), "{n}");
        let r = send(&guest, &with("Phạm Văn Khách", email, "12"), &[], true).await;
        assert!(r.text.contains("Số điện thoại gồm 9 đến 15 chữ số"), "{n}");
        app.drain().await;
        assert_eq!(
            (
                pending(&app).await,
                count(&app).await,
                app.mails().len(),
                app.sms().len()
            ),
            (0, 0, 0, 0),
            "{n}"
        );

        // Sent: a code by mail, a code by SMS; nothing at the agency yet.
        let pdf: &[u8] = b"%PDF-1.4\n% bien nhan\n%%EOF\n";
        let r = send(
            &guest,
            &with("Phạm Văn Khách", email, "+84 912 345 678"),
            &[("bien-nhan.pdf", pdf)],
            true,
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let confirm = r.location().expect("to the confirmation").to_string();
        assert!(
            confirm.starts_with("/feedback/confirm/") && confirm.len() == 18 + 32,
            "{n}: {confirm}"
        );
        app.drain().await;
        let mails = app.mails_to(email);
        assert_eq!(mails.len(), 1, "{n}");
        let mailed = six_after(&mails[0].text, "Mã xác nhận của bạn là");
        let sms = app.sms();
        assert_eq!(sms.len(), 1, "{n}");
        assert_eq!(sms[0].0, "0912345678", "{n}: the number normalised");
        let texted = six_after(&sms[0].1, "phan anh, kien nghi:");
        assert_eq!((pending(&app).await, count(&app).await), (1, 0), "{n}");
        assert!(
            !receiver
                .get("/agency/feedback")
                .await
                .text
                .contains("Thời hạn trả kết quả khai sinh"),
            "{n}"
        );

        // Wrong codes are said; the right ones (typed with spaces) later.
        let page = guest.get(&confirm).await;
        assert_eq!(page.status, StatusCode::OK, "{n}");
        let wrong = if texted == "000000" {
            "111111"
        } else {
            "000000"
        };
        let r = guest
            .post_form(
                &confirm,
                &[
                    ("csrf", &page.csrf()),
                    ("mailed", &mailed),
                    ("texted", wrong),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(r.text.contains("Mã xác nhận không đúng"), "{n}");
        let r = guest
            .post_form(
                &confirm,
                &[
                    ("csrf", &page.csrf()),
                    ("mailed", &texted),
                    ("texted", &mailed),
                ],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{n}: the codes are not interchangeable"
        );
        // 09:20: confirmed; the deadlines count from then.
        set_clock(&app, vn(2027, 3, 1, 9, 20));
        let spaced = format!("{} {}", &mailed[..3], &mailed[3..]);
        let r = guest
            .post_form(
                &confirm,
                &[
                    ("csrf", &page.csrf()),
                    ("mailed", &spaced),
                    ("texted", &texted),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let track = r.location().expect("to the tracking page").to_string();
        assert!(
            track.starts_with("/feedback/track?code=PAKN-270301-"),
            "{n}: {track}"
        );
        let code = between(&track, "code=", "&");
        let key = track.rsplit("key=").next().unwrap_or_default().to_string();
        assert_eq!((pending(&app).await, count(&app).await), (0, 1), "{n}");
        let (ag, state, refuse_by, _, answer_by, _) = deadlines(&app, &code).await;
        assert_eq!((ag.as_str(), state.as_str()), (AGENCY, "received"), "{n}");
        assert_eq!(
            (refuse_by, answer_by),
            (vn(2027, 3, 3, 17, 0), vn(2027, 3, 22, 17, 0)),
            "{n}"
        );
        {
            let mut c = app.conn().await;
            let (account, phone, name): (i64, String, String) = sqlx::query_as(
                "SELECT account_id, sender_phone, sender_name FROM feedback_items WHERE code = $1",
            )
            .bind(&code)
            .fetch_one(&mut *c)
            .await
            .expect("item");
            assert_eq!(
                (account, phone.as_str(), name.as_str()),
                (0, "0912345678", "Phạm Văn Khách"),
                "{n}: the confirmed phone"
            );
        }
        // Used once: the request is gone.
        let r = guest
            .post_form(
                &confirm,
                &[
                    ("csrf", &page.csrf()),
                    ("mailed", &mailed),
                    ("texted", &texted),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{n}");
        assert!(r.text.contains("không còn hiệu lực"), "{n}");

        // The agency has it with the file; the sender follows it by the link.
        let item = receiver.get(&format!("/agency/feedback/{code}")).await;
        assert!(
            item.text.contains("bien-nhan.pdf") && item.text.contains("Phạm Văn Khách"),
            "{n}"
        );
        app.drain().await;
        let received = app.mails_to(email);
        assert_eq!(received.len(), 2, "{n}");
        assert!(
            received.iter().any(|m| m.text.contains(&track)),
            "{n}: the link is mailed"
        );
        let own = app.browser().get(&track).await;
        assert_eq!(own.status, StatusCode::OK, "{n}");
        assert!(
            own.text.contains(&code) && own.text.contains("bien-nhan.pdf"),
            "{n}"
        );
        let file_id = between(&own.text, "/feedback/track/files/", "?");
        let r = guest
            .client
            .get(guest.url(&format!(
                "/feedback/track/files/{file_id}?code={code}&key={key}"
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(r.bytes().await.unwrap().as_ref(), pdf, "{n}");
        for bad in [
            format!("/feedback/track?code={code}&key=AAAAAAAAAAAAAAAA"),
            format!("/feedback/track?code={code}&key=x"),
            format!("/feedback/track?code=PAKN-270301-ZZZZZZ&key={key}"),
            format!("/feedback/track/files/{file_id}?code={code}&key=AAAAAAAAAAAAAAAA"),
        ] {
            let r = app.browser().get(&bad).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{n}: {bad}");
        }
        // An account holder's item is not opened by a key (theirs has none).
        let (_, hoa) = citizen(&app, "hoa.nguyen", "Nguyễn Thị Hoa").await;
        let r = send(
            &hoa,
            &birth_fields("Bản sao giấy chứng sinh có cần chứng thực?", false),
            &[],
            true,
        )
        .await;
        let theirs = between(&r.text, "id=\"feedback-code\">", "<");
        let r = app
            .browser()
            .get(&format!("/feedback/track?code={theirs}&key={key}"))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{n}");

        // Asked for more: mailed with the link; the reply through it.
        let r = act(
            &receiver,
            &code,
            &[("kind", "ask"), ("note", "Cho biết số biên nhận.")],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        app.drain().await;
        let asked = app.mails_to(email);
        assert!(
            asked.len() == 3
                && asked
                    .iter()
                    .any(|m| m.text.contains("Cho biết số biên nhận.") && m.text.contains(&track)),
            "{n}"
        );
        let own = guest.get(&track).await;
        assert!(own.text.contains("action=\"/feedback/track/reply\""), "{n}");
        let reply = |key: &str, text: &str| {
            let fields = [
                ("csrf", own.csrf()),
                ("code", code.clone()),
                ("key", key.to_string()),
                ("text", text.to_string()),
            ];
            let guest = guest.clone();
            async move {
                let fields: Vec<(&str, &str)> =
                    fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                guest.post_form("/feedback/track/reply", &fields).await
            }
        };
        let r = reply("AAAAAAAAAAAAAAAA", "Số biên nhận 000123.").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{n}: a wrong key");
        let r = reply(&key, "").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        let r = reply(&key, "Số biên nhận 000123.").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let (_, state, ..) = deadlines(&app, &code).await;
        assert_eq!(state, "received", "{n}");

        // Wrong codes use up the tries; the last drops the request.
        let other = app.browser();
        let r = send(
            &other,
            &with("Lê Thị Thử", "thu.le@example.vn", "0987 654 321"),
            &[],
            true,
        )
        .await;
        let confirm = r.location().expect("confirm").to_string();
        let page = other.get(&confirm).await;
        for i in 1..=5 {
            let r = other
                .post_form(
                    &confirm,
                    &[("csrf", &page.csrf()), ("mailed", "123"), ("texted", "456")],
                )
                .await;
            let want = if i < 5 {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::CONFLICT
            };
            assert_eq!(r.status, want, "{n}: try {i}");
        }
        assert_eq!(
            other.get(&confirm).await.status,
            StatusCode::NOT_FOUND,
            "{n}"
        );
        assert_eq!(pending(&app).await, 0, "{n}");

        // Unconfirmed requests expire and are purged by the worker's task.
        let r = send(
            &other,
            &with("Lê Thị Thử", "thu.le@example.vn", "0987 654 321"),
            &[],
            true,
        )
        .await;
        let confirm = r.location().expect("confirm").to_string();
        app.advance(31 * motcua_domain::MINUTE);
        assert_eq!(
            other.get(&confirm).await.status,
            StatusCode::NOT_FOUND,
            "{n}: expired"
        );
        motcua_feedback::service::purge_waiting(app.state(), app.state().now())
            .await
            .expect("purge");
        assert_eq!(pending(&app).await, 0, "{n}");

        // Per e-mail address, 3 requests a day, reserved before the mail.
        let r = send(
            &other,
            &with("Lê Thị Thử", "thu.le@example.vn", "0987 654 321"),
            &[],
            true,
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: the third");
        let before = pending(&app).await;
        let r = send(
            &other,
            &with("Lê Thị Thử", "thu.le@example.vn", "0987 111 222"),
            &[],
            true,
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{n}: a fourth request for the address"
        );
        assert!(r.text.contains("Lê Thị Thử"), "{n}: kept as typed");
        assert_eq!(pending(&app).await, before, "{n}");
        // Malformed tokens are not found, never an error.
        for t in ["x", "zz%00", &"g".repeat(32), &"a".repeat(300)] {
            let r = other.get(&format!("/feedback/confirm/{t}")).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{n}: {t}");
        }
    })
    .await;
}
