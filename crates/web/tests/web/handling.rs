//! Issue #9: an agency's back office. The operator gives an agency its
//! one-stop unit and departments, people get roles; a birth registration
//! goes receive → handle → supplement (the clock stops; the applicant
//! adds a file; the clock starts again and the appointment is
//! recomputed) → transfer to another department (the clock is kept) →
//! approve → apology with a new date → return; every step on the
//! applicant's timeline, in their mail and on the control slip; the
//! law's limits (a supplement once, within 3 working days; an apology
//! once, before the deadline, to a later working day) and the workflow's
//! (an action not in it) refused; nobody of another agency, and nobody
//! without the step's role, reaches or moves the dossier (R-PS-5,
//! R-OP-2, R-OP-3, R-OP-4).
use crate::dossiers::{between, citizen, post_step, seeded, start, upload, PDF, REQUESTER};
use crate::helpers::*;
use motcua_domain::Role;
use motcua_identity::service::NewAccountInput;
use reqwest::StatusCode;

pub(crate) const PW: &str = "mat-khau-can-bo-2026";
pub(crate) const AGENCY: &str = "H29.P01";
const OTHER: &str = "H29.STP";

/// The Vietnam instant of a local date and time.
pub(crate) fn vn(y: i32, m: u8, d: u8, h: u8, min: u8) -> i64 {
    let date = time::Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), d).unwrap();
    motcua_handling::clock::local(date, time::Time::from_hms(h, min, 0).unwrap())
}

/// Moves the test clock to `at` (it keeps running from there).
pub(crate) fn set_clock(app: &App, at: i64) {
    let now = app.state().now();
    app.advance(at - now);
}

/// A civil servant's account, logged in.
pub(crate) async fn servant(app: &App, username: &str, name: &str) -> (i64, Browser) {
    let (id, _) = app
        .create(NewAccountInput {
            username: username.into(),
            full_name: name.into(),
            email: Some(format!("{username}@example.vn")),
            roles: vec![Role::CivilServant],
            initial_password: Some(PW.into()),
            permanent: true,
            ..Default::default()
        })
        .await;
    let b = app.browser();
    assert_eq!(b.login(username, PW).await.status, StatusCode::SEE_OTHER);
    (id.get(), b)
}

pub(crate) async fn login(app: &App, username: &str, pw: &str) -> Browser {
    let b = app.browser();
    assert_eq!(b.login(username, pw).await.status, StatusCode::SEE_OTHER);
    b
}

/// The operator adds a unit; its id.
pub(crate) async fn add_unit(
    app: &App,
    op: &Browser,
    agency: &str,
    code: &str,
    name: &str,
    kind: &str,
) -> i64 {
    let path = format!("/console/agencies/{agency}/units");
    let r = op
        .submit(
            &path,
            &path,
            &[("code", code), ("name", name), ("kind", kind)],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "{}: {}",
        app.name(),
        r.text
    );
    let page = op.get(&path).await;
    let units = motcua_handling::people::units(app.state(), agency)
        .await
        .expect("units");
    assert!(page.text.contains(name), "{}", app.name());
    units.iter().find(|u| u.code == code).expect("unit").id
}

pub(crate) async fn grant(
    app: &App,
    by: &Browser,
    form: &str,
    unit: i64,
    username: &str,
    role: &str,
) -> Page {
    let csrf = by.get(form).await.csrf();
    let unit = unit.to_string();
    let _ = app;
    by.post_form(
        "/agency/staff/grant",
        &[
            ("csrf", &csrf),
            ("unit", &unit),
            ("username", username),
            ("role", role),
        ],
    )
    .await
}

/// The ward's one-stop unit (MC) and justice department (TP), with
/// `cb_nhan` receiving at the one-stop unit.
pub(crate) struct Ward {
    pub op: Browser,
    pub dept: i64,
    pub receiver: Browser,
}

pub(crate) async fn ward(app: &App) -> Ward {
    let op = app.operator_browser().await;
    let one_stop = add_unit(app, &op, AGENCY, "MC", "Bộ phận Một cửa", "one_stop").await;
    let dept = add_unit(app, &op, AGENCY, "TP", "Phòng Tư pháp", "department").await;
    servant(app, "cb_nhan", "Lê Nhận").await;
    let console = format!("/console/agencies/{AGENCY}/units");
    let r = grant(app, &op, &console, one_stop, "cb_nhan", "receiver").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", app.name());
    let receiver = login(app, "cb_nhan", PW).await;
    Ward { op, dept, receiver }
}

/// The case page's `seen` stamp (what the page showed).
fn seen(page: &Page) -> String {
    if page.text.contains("name=\"seen\" value=\"") {
        between(&page.text, "name=\"seen\" value=\"", "\"")
    } else {
        String::new()
    }
}

/// Posts an action from the case page as the browser shows it.
pub(crate) async fn act(b: &Browser, code: &str, fields: &[(&str, &str)]) -> Page {
    let page = b.get(&format!("/agency/dossiers/{code}")).await;
    let mut all = fields.to_vec();
    let s = seen(&page);
    let csrf = if page.status == StatusCode::OK {
        page.csrf()
    } else {
        b.get("/account").await.csrf()
    };
    all.push(("seen", &s));
    all.push(("csrf", &csrf));
    b.post_form(&format!("/agency/dossiers/{code}/act"), &all)
        .await
}

/// The text of the PDF at `path` (fetched by `b`), words joined by single
/// spaces.
pub(crate) async fn pdf_text(b: &Browser, path: &str) -> String {
    let r = b.client.get(b.url(path)).send().await.expect("pdf");
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    assert_eq!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/pdf")
    );
    let bytes = r.bytes().await.expect("bytes");
    let text = pdf_extract::extract_text_from_mem(&bytes).expect("PDF text");
    // Without spaces: table cells wrap words anywhere.
    text.split_whitespace().collect::<String>()
}

/// Adds a result document (an uploaded PDF, or generated from `text`).
pub(crate) async fn add_result(
    b: &Browser,
    code: &str,
    title: &str,
    file: Option<(&str, &[u8])>,
    text: &str,
) -> Page {
    let csrf = b.get("/account").await.csrf();
    let boundary = "----motcua-result-boundary";
    let mut body = Vec::new();
    for (k, v) in [("csrf", csrf.as_str()), ("title", title), ("text", text)] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    b.post_raw(
        &format!("/agency/dossiers/{code}/results"),
        &format!("multipart/form-data; boundary={boundary}"),
        body,
    )
    .await
}

/// Posts a document (and a signature) to the public verification page.
async fn verify_post(b: &Browser, document: &[u8], signature: Option<&[u8]>) -> Page {
    let csrf = b.get("/verify").await.csrf();
    let boundary = "----motcua-verify-boundary";
    let mut body =
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n")
            .into_bytes();
    let mut part = |name: &str, bytes: &[u8]| {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    };
    part("document", document);
    if let Some(s) = signature {
        part("signature", s);
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    b.post_raw(
        "/verify",
        &format!("multipart/form-data; boundary={boundary}"),
        body,
    )
    .await
}

async fn bytes_of(b: &Browser, path: &str) -> (StatusCode, Vec<u8>) {
    let r = b.client.get(b.url(path)).send().await.expect("get");
    (r.status(), r.bytes().await.expect("bytes").to_vec())
}

/// After approval: both results signed with the agency's seal (over
/// PKCS#11), on the applicant's page and in their document store, each
/// verifiable here, on `/verify` and by OpenSSL; nobody else downloads
/// them; a changed document is found out.
async fn signed_results_reach_the_applicant(
    app: &App,
    citizen: &Browser,
    leader: &Browser,
    stranger: &Browser,
    code: &str,
    n: &str,
) {
    let page = citizen.get(&format!("/account/dossiers/{code}")).await;
    let list = between(&page.text, "<ul id=\"results\">", "</ul>");
    let links: Vec<String> = list
        .split("href=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap_or(0)].to_string())
        .filter(|l| !l.ends_with("/signature"))
        .collect();
    assert_eq!(links.len(), 2, "{n}: {list}");
    let text = pdf_text(citizen, &links[0]).await;
    for part in [
        "TRÍCH LỤC KHAI SINH",
        "Nguyễn Văn An",
        code,
        "Nguyễn Thị Hoa",
    ] {
        assert!(text.contains(&squeezed(part)), "{n}: {part} in {text}");
    }
    let (ca_pem, seal) = (
        &crate::helpers::seals().1,
        crate::helpers::seals().0.for_agency("x").expect("seal"),
    );
    let dir = tempfile::tempdir().expect("tmp");
    for (i, link) in links.iter().enumerate() {
        let (s, pdf) = bytes_of(citizen, link).await;
        assert_eq!(s, StatusCode::OK, "{n}");
        let (s, p7s) = bytes_of(citizen, &format!("{link}/signature")).await;
        assert_eq!(s, StatusCode::OK, "{n}");
        let v = motcua_pki::seal::verify(&p7s, &pdf).expect("the signature verifies");
        assert_eq!(
            v.signer.fingerprint,
            seal.certificate().fingerprint,
            "{n}: the agency's seal"
        );
        // The same bytes for the agency; nothing for another agency or
        // another citizen.
        let agency_link = link.replace("/account/", "/agency/");
        assert_eq!(bytes_of(leader, &agency_link).await.1, pdf, "{n}");
        assert_eq!(
            bytes_of(stranger, &agency_link).await.0,
            StatusCode::NOT_FOUND,
            "{n}"
        );
        assert_eq!(
            bytes_of(leader, link).await.0,
            StatusCode::NOT_FOUND,
            "{n}: not the leader's dossier"
        );
        // OpenSSL agrees, and refuses a changed document.
        let (doc, sig, ca) = (
            dir.path().join(format!("{i}.pdf")),
            dir.path().join(format!("{i}.p7s")),
            dir.path().join("ca.pem"),
        );
        std::fs::write(&doc, &pdf).expect("write");
        std::fs::write(&sig, &p7s).expect("write");
        std::fs::write(&ca, ca_pem).expect("write");
        let openssl = |content: &std::path::Path| {
            motcua_testkit::openssl_cms_verify(&sig, content, Some(&ca))
        };
        let out = openssl(&doc);
        assert!(
            out.status.success(),
            "{n}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut changed = pdf.clone();
        changed[20] ^= 1;
        let other = dir.path().join("changed.pdf");
        std::fs::write(&other, &changed).expect("write");
        assert!(!openssl(&other).status.success(), "{n}");
        // The public page: by the document alone, with its signature, and
        // a changed document.
        let anonymous = app.browser();
        let r = verify_post(&anonymous, &pdf, None).await;
        assert_eq!(r.status, StatusCode::OK, "{n}");
        assert!(
            r.text.contains("Chữ ký số hợp lệ") && r.text.contains(code),
            "{n}: {}",
            r.text
        );
        assert!(!r.text.contains("Nguyễn Thị Hoa"), "{n}: no personal data");
        let r = verify_post(&anonymous, &pdf, Some(&p7s)).await;
        assert!(r.text.contains("Chữ ký số hợp lệ"), "{n}");
        let r = verify_post(&anonymous, &changed, Some(&p7s)).await;
        assert!(r.text.contains("đã bị sửa đổi sau khi ký"), "{n}");
        let r = verify_post(&anonymous, &changed, None).await;
        assert!(r.text.contains("Không tìm thấy văn bản kết quả"), "{n}");
        let r = verify_post(&anonymous, &pdf, Some(b"garbage")).await;
        assert!(r.text.contains("Tệp chữ ký không hợp lệ"), "{n}");
    }
    // In the applicant's document store, as results.
    let mut c = app.conn().await;
    let kept = scalar(&mut c, &format!("SELECT COUNT(*) FROM personal_documents WHERE dossier_code = '{code}' AND kind = 'result'")).await;
    assert_eq!(kept, 2, "{n}");
    // Signed results stay: no removal, no new result after approval.
    let r = leader
        .post_form(
            &format!("/agency/dossiers/{code}/results/1/remove"),
            &[("csrf", &leader.get("/account").await.csrf())],
        )
        .await;
    assert!(
        r.status == StatusCode::CONFLICT || r.status == StatusCode::NOT_FOUND,
        "{n}: {}",
        r.status
    );
    assert_eq!(
        add_result(leader, code, "Thêm", None, "x").await.status,
        StatusCode::CONFLICT,
        "{n}"
    );
}

/// `s` without spaces, to find in [`pdf_text`].
fn squeezed(s: &str) -> String {
    s.split_whitespace().collect()
}

/// The links of the notices list on a page.
fn notice_links(page: &Page) -> Vec<String> {
    let Some(at) = page.text.find("<ul id=\"notices\">") else {
        return Vec::new();
    };
    let list = &page.text[at..][..page.text[at..].find("</ul>").unwrap_or(0)];
    list.split("href=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap_or(0)].to_string())
        .collect()
}

/// The board read from its summary equals the board computed from the
/// cases, for both agencies, over whole and partial days and at the
/// current clock (issue #9 §6: the summary is kept with every change).
async fn board_agrees(app: &App, n: &str) {
    report_agrees(app, n).await;
    let leader = motcua_handling::people::Staff {
        account_id: 0,
        operator: true,
        memberships: Vec::new(),
    };
    let periods = [
        (vn(2026, 1, 1, 0, 0), vn(2028, 1, 1, 0, 0)),
        (vn(2027, 1, 15, 5, 30), vn(2027, 3, 2, 13, 7)),
        (vn(2027, 2, 3, 8, 0), vn(2027, 2, 3, 23, 0)),
        (vn(2027, 2, 1, 0, 0), vn(2027, 3, 1, 0, 0)),
        (vn(2027, 3, 1, 0, 0), vn(2027, 3, 31, 17, 0)),
    ];
    let now = app.state().now();
    for agency in [AGENCY, OTHER] {
        for (from, to) in periods {
            let mut summary =
                motcua_handling::queries::board(app.state(), &leader, agency, from, to, now)
                    .await
                    .expect("board");
            for l in &mut summary {
                l.procedure_name.clear();
            }
            let cases =
                motcua_handling::queries::board_from_cases(app.state(), agency, from, to, now)
                    .await
                    .expect("board from cases");
            assert_eq!(summary, cases, "{n}: board of {agency} over [{from}, {to})");
        }
    }
}

/// The progress report's summary (issue #11) agrees with the cases: what
/// an agency holds now equals a count of its cases, and each month's
/// figures add up — carried over + received + transferred in − finished −
/// stopped − transferred out = carried over into the next month = held
/// at the month's end — from January 2027 to the month after now.
pub(crate) async fn report_agrees(app: &App, n: &str) {
    use motcua_handling::queries::{report, vn_month, ReportLine};
    let now = app.state().now();
    let current = vn_month(now);
    let today = (now + 7 * 3_600_000).div_euclid(86_400_000);
    for agency in [AGENCY, OTHER] {
        let only = [agency.to_string()];
        let sum = |lines: Vec<ReportLine>| {
            let mut t = ReportLine::default();
            for l in &lines {
                t.add(l);
            }
            t
        };
        let live = sum(report(app.state(), &only, current, current + 1, now)
            .await
            .expect("report"));
        let mut c = app.conn().await;
        let cases: Vec<(String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT state, status, deadline_at FROM handling_cases WHERE agency_code = $1 \
             AND received_at IS NOT NULL AND done_at IS NULL AND state <> 'closed' AND status <> 3",
        )
        .bind(agency)
        .fetch_all(&mut *c)
        .await
        .expect("cases");
        drop(c);
        let mut held = ReportLine::default();
        for (state, status, due) in cases {
            match (state.as_str(), status) {
                ("paused", 6) => held.payment += 1,
                ("paused", _) => held.supplement += 1,
                _ if due.is_some_and(|d| (d + 7 * 3_600_000).div_euclid(86_400_000) < today) => {
                    held.open_late += 1
                }
                _ => held.open_on_time += 1,
            }
        }
        assert_eq!(
            (
                live.open_on_time,
                live.open_late,
                live.supplement,
                live.payment
            ),
            (
                held.open_on_time,
                held.open_late,
                held.supplement,
                held.payment
            ),
            "{n}: {agency} holds now what its cases say"
        );
        let start = 2027 * 12;
        for m in start..=current {
            let this = sum(report(app.state(), &only, m, m + 1, now)
                .await
                .expect("report"));
            let next = sum(report(app.state(), &only, m + 1, m + 2, now)
                .await
                .expect("report"));
            let flowed = this.carried_over
                + this.received_in_person
                + this.received_online
                + this.received_postal
                + this.transferred_in
                - this.done_early
                - this.done_on_time
                - this.done_late
                - this.stopped
                - this.transferred_out;
            let end = this.open_on_time + this.open_late + this.supplement + this.payment;
            assert_eq!(
                flowed, next.carried_over,
                "{n}: {agency} month {m} flows into the next"
            );
            assert_eq!(
                end, next.carried_over,
                "{n}: {agency} month {m}: held at the end is carried over"
            );
        }
    }
}

/// The summary rebuilt by migration 29's own statement (what an existing
/// database gets when it upgrades) equals the one kept case by case.
async fn backfill_agrees(app: &App, n: &str) {
    // Each backend's own file (the two are the same text today).
    #[allow(clippy::if_same_then_else)]
    let sql = if n == "postgres" {
        include_str!("../../../store/migrations/postgres/0029_handling_board.sql")
    } else {
        include_str!("../../../store/migrations/sqlite/0029_handling_board.sql")
    };
    let insert = &sql[sql
        .find("INSERT INTO handling_board")
        .expect("the backfill")..];
    let mut c = app.conn().await;
    let kept: Vec<(String, i64, String, String, i64, i64)> =
        sqlx::query_as("SELECT agency_code, day, procedure_code, bucket, due_slot, n FROM handling_board WHERE n <> 0 ORDER BY 1, 2, 3, 4, 5")
            .fetch_all(&mut *c)
            .await
            .expect("summary");
    assert!(!kept.is_empty(), "{n}: a summary to compare");
    let empty = scalar(&mut c, "SELECT COUNT(*) FROM handling_board WHERE n <= 0").await;
    assert_eq!(empty, 0, "{n}: no summary row left at zero or below");
    sqlx::query("DELETE FROM handling_board")
        .execute(&mut *c)
        .await
        .expect("delete");
    sqlx::raw_sql(sqlx::AssertSqlSafe(insert.to_string()))
        .execute(&mut *c)
        .await
        .expect("backfill");
    let rebuilt: Vec<(String, i64, String, String, i64, i64)> =
        sqlx::query_as("SELECT agency_code, day, procedure_code, bucket, due_slot, n FROM handling_board WHERE n <> 0 ORDER BY 1, 2, 3, 4, 5")
            .fetch_all(&mut *c)
            .await
            .expect("summary");
    assert_eq!(kept, rebuilt, "{n}: migration 29's backfill");
    // Migration 33's report summary: the history the cases' rows tell.
    let sql = if n == "postgres" {
        include_str!("../../../store/migrations/postgres/0033_handling_report.sql")
    } else {
        include_str!("../../../store/migrations/sqlite/0033_handling_report.sql")
    };
    let insert = &sql[sql
        .find("INSERT INTO handling_report ")
        .expect("the report's backfill")..];
    let read = "SELECT agency_code, month, procedure_code, measure, due_day, n FROM handling_report ORDER BY 1, 2, 3, 4, 5";
    let kept: Vec<(String, i64, String, String, i64, i64)> = sqlx::query_as(read)
        .fetch_all(&mut *c)
        .await
        .expect("report");
    assert!(!kept.is_empty(), "{n}: a report summary to compare");
    assert!(
        kept.iter().all(|r| r.5 != 0),
        "{n}: no report row left at zero"
    );
    sqlx::query("DELETE FROM handling_report")
        .execute(&mut *c)
        .await
        .expect("delete");
    sqlx::raw_sql(sqlx::AssertSqlSafe(insert.to_string()))
        .execute(&mut *c)
        .await
        .expect("report backfill");
    let rebuilt: Vec<(String, i64, String, String, i64, i64)> = sqlx::query_as(read)
        .fetch_all(&mut *c)
        .await
        .expect("report");
    assert_eq!(kept, rebuilt, "{n}: migration 33's backfill");
    drop(c);
    board_agrees(app, n).await;
}

pub(crate) async fn status_of(app: &App, code: &str) -> (i64, Option<i64>) {
    let mut c = app.conn().await;
    let row: (i64, Option<i64>) =
        sqlx::query_as("SELECT status, appointment_at FROM dossiers WHERE code = $1")
            .bind(code)
            .fetch_one(&mut *c)
            .await
            .expect("dossier");
    row
}

async fn case_clock(app: &App, code: &str) -> (Option<i64>, i64, String, i64) {
    let mut c = app.conn().await;
    sqlx::query_as(
        "SELECT deadline_at, step_due_at, state, unit_id FROM handling_cases WHERE code = $1",
    )
    .bind(code)
    .fetch_one(&mut *c)
    .await
    .expect("case")
}

/// A citizen submits a birth registration (1.001193, 1 working day at
/// UBND phường Hoàn Kiếm); its code.
pub(crate) async fn submit_birth(app: &App, b: &Browser) -> String {
    let id = fill_birth(b).await;
    submit_draft(app, b, &id).await
}

/// A birth registration's draft, filled and with its file; its id.
pub(crate) async fn fill_birth(b: &Browser) -> String {
    fill_birth_on(b, "2027-01-20").await
}

/// [`fill_birth`] for a child born on `birthdate` (YYYY-MM-DD).
pub(crate) async fn fill_birth_on(b: &Browser, birthdate: &str) -> String {
    let id = start(b, "1.001193").await;
    for (step, fields) in [
        (0, REQUESTER.to_vec()),
        (
            1,
            vec![
                ("child_name", "Trần Minh Khôi"),
                ("child_sex", "male"),
                ("child_birthdate", birthdate),
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
        (3, vec![("has_father", "no"), ("action", "continue")]),
        (
            4,
            vec![
                ("extract_copies", "1"),
                ("result_delivery", "online"),
                ("action", "continue"),
            ],
        ),
    ] {
        let r = post_step(b, &id, step, &fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "step {step}: {}", r.text);
    }
    let files = b.get(&format!("/account/drafts/{id}/files")).await;
    let component = between(&files.text, "name=\"component\" value=\"", "\"");
    let r = upload(b, &id, &component, "giay-chung-sinh.pdf", PDF).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    id
}

/// Submits a draft from its check page (the session raised to level 2);
/// the dossier's code.
pub(crate) async fn submit_draft(app: &App, b: &Browser, id: &str) -> String {
    {
        let mut c = app.conn().await;
        sqlx::query("UPDATE sessions SET assurance_level = 2")
            .execute(&mut *c)
            .await
            .expect("raise");
    }
    let check = b.get(&format!("/account/drafts/{id}/check")).await;
    let revision = between(&check.text, "name=\"revision\" value=\"", "\"");
    let r = b
        .post_form(
            &format!("/account/drafts/{id}/submit"),
            &[("csrf", &check.csrf()), ("revision", &revision)],
        )
        .await;
    let to = r.location().expect("to the dossier").to_string();
    to.strip_prefix("/account/dossiers/")
        .and_then(|t| t.split('?').next())
        .expect("code")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_birth_registration_goes_from_receipt_to_result_on_the_clock() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        seeded(&app).await;
        // Wednesday 3/2/2027, 09:00 in Hanoi: Tết (Friday 5/2 – Thursday
        // 11/2) is two days ahead.
        set_clock(&app, vn(2027, 2, 3, 9, 0));
        let op = app.operator_browser().await;

        // The operator sets up the agency: one-stop unit, two departments.
        let one_stop = add_unit(&app, &op, AGENCY, "MC", "Bộ phận Một cửa phường Hoàn Kiếm", "one_stop").await;
        let justice = add_unit(&app, &op, AGENCY, "TP", "Phòng Tư pháp - Hộ tịch", "department").await;
        let office = add_unit(&app, &op, AGENCY, "VP", "Văn phòng HĐND - UBND", "department").await;
        let other_one_stop = add_unit(&app, &op, OTHER, "MC", "Bộ phận Một cửa Sở Tư pháp", "one_stop").await;
        // A bad unit is refused in words, nothing kept.
        let path = format!("/console/agencies/{AGENCY}/units");
        let r = op.submit(&path, &path, &[("code", "MC"), ("name", "Trùng"), ("kind", "department")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(r.text.contains("Cơ quan đã có đơn vị mang mã này"), "{n}");

        let (_, admin) = servant(&app, "cb_quantri", "Đỗ Văn Quản").await;
        let (_, receiver) = servant(&app, "cb_tiepnhan", "Lê Thị Nhận").await;
        let (handler_id, handler) = servant(&app, "cb_xuly", "Phạm Văn Xử").await;
        servant(&app, "cb_xuly2", "Vũ Thị Lý").await;
        servant(&app, "cb_lanhdao", "Hoàng Văn Đạo").await;
        let (_, stranger) = servant(&app, "cb_sotuphap", "Ngô Thị Khác").await;
        let (_, nobody) = servant(&app, "cb_chuaco", "Trịnh Văn Chưa").await;
        // The operator makes the admin; the admin gives the roles.
        let console = format!("/console/agencies/{AGENCY}/units");
        let r = grant(&app, &op, &console, one_stop, "cb_quantri", "admin").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let staff = "/agency/staff".to_string();
        for (unit, user, role) in [
            (one_stop, "cb_tiepnhan", "receiver"),
            (one_stop, "cb_tiepnhan", "returner"),
            (justice, "cb_xuly", "handler"),
            (office, "cb_xuly2", "handler"),
            (office, "cb_lanhdao", "approver"),
            (justice, "cb_lanhdao", "approver"),
        ] {
            let r = grant(&app, &admin, &staff, unit, user, role).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {user} {role}: {}", r.text);
        }
        // Not a civil servant; the same role twice; another agency's unit.
        let r = grant(&app, &admin, &staff, justice, "vanhanh", "handler").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(r.text.contains("Không có tài khoản công chức nào"), "{n}");
        let r = grant(&app, &admin, &staff, justice, "cb_xuly", "handler").await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{n}");
        let r = grant(&app, &admin, &staff, other_one_stop, "cb_xuly", "receiver").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{n}: an admin of one agency only");
        let r = grant(&app, &op, &format!("/console/agencies/{OTHER}/units"), other_one_stop, "cb_sotuphap", "receiver").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        assert!(
            app.audit_actions("account:").await.iter().any(|e| e.action == "handling.role_grant")
                || {
                    let mut c = app.conn().await;
                    scalar(&mut c, "SELECT COUNT(*) FROM audit_log WHERE action = 'handling.role_grant'").await >= 7
                },
            "{n}: grants audited"
        );
        let people = admin.get("/agency/staff").await;
        assert!(people.text.contains("Phạm Văn Xử (cb_xuly)"), "{n}");

        // The citizen submits; the receiver sees it waiting.
        let (_, citizen_b) = citizen(&app, "hoa.nguyen", "Nguyễn Thị Hoa").await;
        let code = submit_birth(&app, &citizen_b).await;
        let inbox = receiver.get("/agency").await;
        assert_eq!(inbox.status, StatusCode::OK, "{n}");
        assert!(inbox.text.contains(&code), "{n}: awaiting receipt");
        // Someone without a role, another agency's receiver, citizens:
        // nothing of the dossier.
        let none = nobody.get("/agency").await;
        assert_eq!(none.status, StatusCode::OK, "{n}: told how to get a role");
        assert!(none.text.contains("id=\"no-role\"") && !none.text.contains(&code), "{n}");
        assert_eq!(nobody.get(&format!("/agency/dossiers/{code}")).await.status, StatusCode::FORBIDDEN, "{n}");
        assert_eq!(citizen_b.get("/agency").await.status, StatusCode::FORBIDDEN, "{n}");
        for b in [&stranger] {
            assert!(!b.get("/agency").await.text.contains(&code), "{n}");
            assert_eq!(b.get(&format!("/agency/dossiers/{code}")).await.status, StatusCode::NOT_FOUND, "{n}");
            let r = act(b, &code, &[("kind", "accept"), ("to", "handle")]).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{n}");
            assert_eq!(b.get(&format!("/agency/units/{justice}")).await.status, StatusCode::NOT_FOUND, "{n}");
        }
        // A handler of the agency sees it but may not receive it.
        let r = act(&handler, &code, &[("kind", "accept"), ("to", "handle")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{n}");
        assert_eq!(status_of(&app, &code).await.0, 1, "{n}");

        // Receipt: accepted to the justice department; the legal clock
        // starts: 1 working day → Thursday 4/2 17:00.
        let page = receiver.get(&format!("/agency/dossiers/{code}")).await;
        assert!(page.text.contains("id=\"act-accept-handle\""), "{n}");
        assert!(page.text.contains("giay-chung-sinh.pdf"), "{n}: the files to check");
        let j = justice.to_string();
        let r = act(&receiver, &code, &[("kind", "accept"), ("to", "handle"), ("unit", &j)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let (status, appointment) = status_of(&app, &code).await;
        assert_eq!(status, 2, "{n}");
        assert_eq!(appointment, Some(vn(2027, 2, 4, 17, 0)), "{n}");
        let (deadline, step_due, state, unit) = case_clock(&app, &code).await;
        assert_eq!((deadline, state.as_str(), unit), (Some(vn(2027, 2, 4, 17, 0)), "open", justice), "{n}");
        assert!(step_due < vn(2027, 2, 4, 17, 0), "{n}: the step's share");

        // Not in the workflow at this step: refused, nothing changes.
        let r = act(&handler, &code, &[("kind", "return")]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{n}");
        assert!(r.text.contains("Quy trình không cho phép thao tác này"), "{n}");
        // The handler claims it.
        let page = handler.get(&format!("/agency/dossiers/{code}")).await;
        let r = handler
            .post_form(&format!("/agency/dossiers/{code}/assign"), &[("csrf", &page.csrf()), ("seen", &seen(&page))])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        assert!(handler.get("/agency").await.text.contains(&code), "{n}: in my inbox");

        // A supplement without saying what is missing: refused, kept.
        let r = act(&handler, &code, &[("kind", "supplement"), ("note", "  ")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        let missing = "Bản sao giấy chứng nhận kết hôn của cha mẹ (nếu có).";
        let r = act(&handler, &code, &[("kind", "supplement"), ("note", missing)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        assert_eq!(status_of(&app, &code).await.0, 5, "{n}");
        assert_eq!(case_clock(&app, &code).await.2, "paused", "{n}");
        // While paused nothing moves it on.
        let r = act(&handler, &code, &[("kind", "forward"), ("to", "approve")]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{n}");

        // The applicant reads the request, in the portal and by mail.
        app.drain().await;
        let mails = app.mails_to("hoa.nguyen@example.vn");
        assert!(
            mails.iter().any(|m| m.subject.contains(&code) && m.subject.contains("Yêu cầu bổ sung hồ sơ") && m.text.contains(missing)),
            "{n}: supplement mail"
        );
        assert!(mails.iter().any(|m| m.subject.contains("Đã tiếp nhận")), "{n}: acceptance mail");

        // After Tết, Friday 12/2 09:00, the applicant completes it.
        set_clock(&app, vn(2027, 2, 12, 9, 0));
        board_agrees(&app, n).await;
        // (Sessions ended over Tết: everyone logs in again.)
        let citizen_b = login(&app, "hoa.nguyen", "mat-khau-du-dai-2026").await;
        let handler = login(&app, "cb_xuly", PW).await;
        let handler2 = login(&app, "cb_xuly2", PW).await;
        let leader = login(&app, "cb_lanhdao", PW).await;
        let receiver = login(&app, "cb_tiepnhan", PW).await;
        let page = citizen_b.get(&format!("/account/dossiers/{code}")).await;
        assert!(page.text.contains("id=\"supplement-request\""), "{n}");
        assert!(page.text.contains(missing), "{n}");
        // Form 02, from the dossier, with everything asked.
        let links = notice_links(&page);
        assert_eq!(links.len(), 1, "{n}: {links:?}");
        let text = pdf_text(&citizen_b, &links[0]).await;
        for part in ["PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", &format!("Mã hồ sơ: {code}"), "Kính gửi: Nguyễn Thị Hoa", missing, "chỉ yêu cầu bổ sung một lần"] {
            assert!(text.contains(&squeezed(part)), "{n}: {part} in {text}");
        }
        // Nobody else reads it.
        let stranger = login(&app, "cb_sotuphap", PW).await;
        let other_citizen = { app.user("ke.la", "Kẻ Lạ", "mat-khau-du-dai-2026").await; login(&app, "ke.la", "mat-khau-du-dai-2026").await };
        assert_eq!(other_citizen.get(&links[0]).await.status, StatusCode::NOT_FOUND, "{n}");
        let staff_link = links[0].replacen("/account/", "/agency/", 1);
        assert_eq!(stranger.get(&staff_link).await.status, StatusCode::NOT_FOUND, "{n}");
        assert_eq!(stranger.get(&format!("/agency/dossiers/{code}/slip.pdf")).await.status, StatusCode::NOT_FOUND, "{n}");
        let r = citizen_b
            .post_form(&format!("/account/dossiers/{code}/supplement"), &[("csrf", &page.csrf())])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let to = r.location().expect("draft").to_string();
        let draft = to.strip_prefix("/account/drafts/").and_then(|t| t.strip_suffix("/step/0")).expect("draft id").to_string();
        let first = citizen_b.get(&to).await;
        assert!(first.text.contains("Nguyễn Thị Hoa"), "{n}: the answers as sent");
        let files = citizen_b.get(&format!("/account/drafts/{draft}/files")).await;
        assert!(files.text.contains("giay-chung-sinh.pdf"), "{n}: the files as sent");
        let component = between(&files.text, "name=\"component\" value=\"", "\"");
        let r = upload(&citizen_b, &draft, &component, "giay-ket-hon.pdf", PDF).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        {
            let mut c = app.conn().await;
            sqlx::query("UPDATE sessions SET assurance_level = 2").execute(&mut *c).await.expect("raise");
        }
        let check = citizen_b.get(&format!("/account/drafts/{draft}/check")).await;
        let revision = between(&check.text, "name=\"revision\" value=\"", "\"");
        let r = citizen_b
            .post_form(&format!("/account/drafts/{draft}/submit"), &[("csrf", &check.csrf()), ("revision", &revision)])
            .await;
        assert_eq!(r.location(), Some(format!("/account/dossiers/{code}?flash=dossier_supplemented").as_str()), "{n}: {}", r.text);
        // The clock starts again from the complete dossier: 1 working day
        // from Friday 12/2 → Monday 15/2 17:00; back to processing.
        let (status, appointment) = status_of(&app, &code).await;
        assert_eq!((status, appointment), (4, Some(vn(2027, 2, 15, 17, 0))), "{n}");
        assert_eq!({ let mut c = app.conn().await; scalar(&mut c, "SELECT COUNT(*) FROM dossiers").await }, 1, "{n}: the same dossier");
        let page = handler.get(&format!("/agency/dossiers/{code}")).await;
        assert!(page.text.contains("giay-ket-hon.pdf"), "{n}: the new file reaches the agency");
        // A second request is refused by the system.
        let r = act(&handler, &code, &[("kind", "supplement"), ("note", "Thêm nữa")]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{n}");
        assert!(r.text.contains("chỉ được yêu cầu bổ sung một lần"), "{n}");
        assert!(r.text.contains("Thêm nữa"), "{n}: what was typed is kept");

        // Transfer to the office: the clock is kept.
        let before = case_clock(&app, &code).await;
        let o = office.to_string();
        let r = act(&handler, &code, &[("kind", "transfer"), ("unit", &o), ("note", "Thuộc thẩm quyền Văn phòng")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let after = case_clock(&app, &code).await;
        assert_eq!((after.0, after.1, after.3), (before.0, before.1, office), "{n}: deadline and due kept");
        // The justice handler has no say there any more.
        let r = act(&handler, &code, &[("kind", "forward"), ("to", "approve")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{n}");
        let r = act(&handler2, &code, &[("kind", "forward"), ("to", "approve")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);

        // The leader apologises: not to a day off, not twice.
        let r = act(&leader, &code, &[("kind", "apology"), ("date", "2027-02-20"), ("note", "Cần xác minh thêm")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}: Saturday");
        let r = act(&leader, &code, &[("kind", "apology"), ("date", "2027-02-17"), ("note", "Cần xác minh thêm")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        assert_eq!(status_of(&app, &code).await.1, Some(vn(2027, 2, 17, 17, 0)), "{n}: the new date is the deadline");
        let r = act(&leader, &code, &[("kind", "apology"), ("date", "2027-02-18"), ("note", "Lần nữa")]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{n}: once");
        // No approval without a result document.
        let r = act(&leader, &code, &[("kind", "approve"), ("to", "return")]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{n}: {}", r.text);
        assert!(r.text.contains("Chưa có văn bản kết quả"), "{n}");
        // Results: bad ones refused with the reason, nobody else adds one.
        let r = add_result(&leader, &code, "Trích lục khai sinh", Some(("x.pdf", b"not a pdf".as_slice())), "").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(r.text.contains("phải là tệp PDF"), "{n}");
        let r = add_result(&leader, &code, "", None, "Nội dung").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}: no title");
        let r = add_result(&leader, &code, "Trích lục", None, "").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}: neither file nor text");
        assert_eq!(add_result(&handler, &code, "Trích lục", None, "x").await.status, StatusCode::FORBIDDEN, "{n}: not at their step");
        let stranger = login(&app, "cb_sotuphap", PW).await;
        assert_eq!(add_result(&stranger, &code, "Trích lục", None, "x").await.status, StatusCode::NOT_FOUND, "{n}: another agency");
        let r = add_result(&leader, &code, "Trích lục khai sinh", None, "Họ tên: Nguyễn Văn An\nNgày sinh: 01/02/2027\nNơi đăng ký: UBND phường").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let r = add_result(&leader, &code, "Bản sao trích lục", Some(("ban-sao.pdf", b"%PDF-1.4\n% ban sao trich luc khai sinh\n%%EOF\n".as_slice())), "").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let page = leader.get(&format!("/agency/dossiers/{code}")).await;
        assert!(page.text.contains("chưa ký (ký khi phê duyệt)"), "{n}");
        let r = act(&leader, &code, &[("kind", "approve"), ("to", "return")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        assert_eq!(status_of(&app, &code).await.0, 9, "{n}");
        signed_results_reach_the_applicant(&app, &citizen_b, &leader, &stranger, &code, n).await;
        let r = act(&receiver, &code, &[("kind", "return")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        assert_eq!(status_of(&app, &code).await.0, 10, "{n}");
        assert_eq!(case_clock(&app, &code).await.2, "closed", "{n}");
        let r = act(&receiver, &code, &[("kind", "return")]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{n}: nothing after the end");

        // Form 04 names the old and the new date.
        let page = citizen_b.get(&format!("/account/dossiers/{code}")).await;
        let links = notice_links(&page);
        assert_eq!(links.len(), 2, "{n}: {links:?}");
        let text = pdf_text(&citizen_b, &links[1]).await;
        for part in ["PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", "Cần xác minh thêm", "ngày 15/02/2027", "17/02/2027"] {
            assert!(text.contains(&squeezed(part)), "{n}: {part} in {text}");
        }
        // Form 06: every hand-over, from the agency's side.
        let text = pdf_text(&receiver, &format!("/agency/dossiers/{code}/slip.pdf")).await;
        for part in ["PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ", "Tiếp nhận", "Yêu cầu bổ sung", "Chuyển phòng ban", "Phê duyệt", "Trả kết quả", "Phòng Tư pháp - Hộ tịch", "Không tính vào thời hạn"] {
            assert!(text.contains(&squeezed(part)), "{n}: {part} in {text}");
        }
        // The applicant's timeline has every step; the control slip every
        // hand-over, with whether it was on time.
        let page = citizen_b.get(&format!("/account/dossiers/{code}")).await;
        for s in ["Đã tiếp nhận", "Yêu cầu bổ sung hồ sơ", "Đang xử lý", "Đã có kết quả", "Đã trả kết quả", "Cần xác minh thêm"] {
            assert!(page.text.contains(s), "{n}: {s} on the timeline");
        }
        let page = receiver.get(&format!("/agency/dossiers/{code}")).await;
        let slip = between(&page.text, "<table id=\"slip\">", "</table>");
        for s in ["Tiếp nhận hồ sơ", "Nhận xử lý", "Yêu cầu bổ sung hồ sơ", "Công dân bổ sung / nộp phí", "Chuyển phòng ban khác", "Văn phòng HĐND - UBND", "Phê duyệt kết quả", "Trả kết quả", "Đúng hạn", "Không tính vào thời hạn"] {
            assert!(slip.contains(s), "{n}: {s} on the slip: {slip}");
        }
        let mut c = app.conn().await;
        let audited = scalar(&mut c, &format!("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'handling.%' AND target = 'dossier:{code}'")).await;
        assert!(audited >= 9, "{n}: {audited} actions audited");
        let events = scalar(&mut c, &format!("SELECT COUNT(*) FROM events WHERE subject = '{code}' AND type LIKE 'dossier.%'")).await;
        assert!(events >= 8, "{n}: {events} dossier.* events");
        drop(c);
        let _ = handler_id;

        // The one-stop unit's log (Form 07) for February, on the page and
        // as CSV; not for another agency; a bad period refused.
        let log = receiver.get(&format!("/agency/units/{one_stop}/log?from=2027-02-01&to=2027-02-28")).await;
        assert_eq!(log.status, StatusCode::OK, "{n}");
        assert!(log.text.contains(&code) && log.text.contains("Đã trả kết quả"), "{n}");
        let csv = receiver.get(&format!("/agency/units/{one_stop}/log.csv?from=2027-02-01&to=2027-02-28")).await;
        assert_eq!(csv.status, StatusCode::OK, "{n}");
        assert!(csv.text.starts_with('\u{feff}'), "{n}: BOM");
        let line = csv.text.lines().find(|l| l.contains(&code)).expect("the dossier's line");
        assert!(line.contains("\"Nguyễn Thị Hoa\"") && line.contains("\"Quá hạn\""), "{n}: {line}");
        let march = receiver.get(&format!("/agency/units/{one_stop}/log.csv?from=2027-03-01&to=2027-03-31")).await;
        assert!(!march.text.contains(&code), "{n}: not in March");
        assert_eq!(receiver.get(&format!("/agency/units/{one_stop}/log?from=2027-03-01&to=2027-02-01")).await.status, StatusCode::BAD_REQUEST, "{n}");
        assert_eq!(receiver.get(&format!("/agency/units/{one_stop}/log?from=garbage")).await.status, StatusCode::BAD_REQUEST, "{n}");
        let stranger = login(&app, "cb_sotuphap", PW).await;
        assert_eq!(stranger.get(&format!("/agency/units/{one_stop}/log.csv")).await.status, StatusCode::NOT_FOUND, "{n}");

        // The leaders' board: the dossier done early; not for a handler
        // or another agency.
        board_agrees(&app, n).await;
        let board = leader.get(&format!("/agency/board?agency={AGENCY}&from=2027-02-01&to=2027-02-28")).await;
        assert_eq!(board.status, StatusCode::OK, "{n}");
        let total = between(&board.text, "<tr id=\"board-total\">", "</tr>");
        let cells: Vec<String> = total.split("<td>").skip(1).map(|c| c[..c.find('<').unwrap_or(0)].to_string()).collect();
        // Done after an apology: late, whatever the new date.
        assert_eq!(cells, ["1", "0", "0", "0", "0", "0", "1", "0"], "{n}: {total}");
        assert_eq!(handler.get(&format!("/agency/board?agency={AGENCY}")).await.status, StatusCode::NOT_FOUND, "{n}");
        assert_eq!(stranger.get(&format!("/agency/board?agency={AGENCY}")).await.status, StatusCode::NOT_FOUND, "{n}");
        backfill_agrees(&app, n).await;
        let (open, paused, late) = motcua_handling::queries::gauges(app.state()).await.expect("gauges");
        assert_eq!((open, paused, late), (0, 0, 0), "{n}: nothing in progress");

        // The applicant evaluates the handling: nine indices and the
        // satisfaction; bad scores refused; changeable for 7 days, once
        // per dossier; nobody else's.
        let page = citizen_b.get(&format!("/account/dossiers/{code}")).await;
        assert!(page.text.contains("id=\"evaluation-form\""), "{n}");
        let csrf = page.csrf();
        let mut form: Vec<(String, String)> = (0..9).map(|i| (format!("s{i}"), "2".to_string())).collect();
        form.push(("satisfaction".into(), "1".into()));
        form.push(("csrf".into(), csrf.clone()));
        let mut bad = form.clone();
        bad[3].1 = "5".into();
        let as_ref = |v: &Vec<(String, String)>| v.iter().map(|(a, b)| (a.clone(), b.clone())).collect::<Vec<_>>();
        let post = |v: Vec<(String, String)>| {
            let b = &citizen_b;
            let path = format!("/account/dossiers/{code}/evaluation");
            async move {
                let fields: Vec<(&str, &str)> = v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
                b.post_form(&path, &fields).await
            }
        };
        assert_eq!(post(as_ref(&bad)).await.status, StatusCode::BAD_REQUEST, "{n}: a score of 5");
        let r = post(as_ref(&form)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        form[0].1 = "0".into();
        form[9].1 = "2".into();
        assert_eq!(post(as_ref(&form)).await.status, StatusCode::SEE_OTHER, "{n}: changed");
        let page = citizen_b.get(&format!("/account/dossiers/{code}")).await;
        assert!(page.text.contains("16/18") && page.text.contains("Hài lòng"), "{n}");
        {
            let mut c = app.conn().await;
            assert_eq!(scalar(&mut c, "SELECT COUNT(*) FROM handling_evaluations").await, 1, "{n}");
            assert_eq!(scalar(&mut c, "SELECT total FROM handling_evaluations").await, 16, "{n}");
        }
        let other = login(&app, "ke.la", "mat-khau-du-dai-2026").await;
        let csrf_other = other.get("/account").await.csrf();
        let mut theirs = form.clone();
        theirs[10].1 = csrf_other;
        let fields: Vec<(&str, &str)> = theirs.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        assert_eq!(other.post_form(&format!("/account/dossiers/{code}/evaluation"), &fields).await.status, StatusCode::NOT_FOUND, "{n}");
        app.advance(8 * motcua_domain::DAY);
        let citizen_b = login(&app, "hoa.nguyen", "mat-khau-du-dai-2026").await;
        let page = citizen_b.get(&format!("/account/dossiers/{code}")).await;
        assert!(!page.text.contains("id=\"evaluation-form\""), "{n}: closed after 7 days");
        let mut late = form.clone();
        late[10].1 = page.csrf();
        let fields: Vec<(&str, &str)> = late.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        assert_eq!(citizen_b.post_form(&format!("/account/dossiers/{code}/evaluation"), &fields).await.status, StatusCode::CONFLICT, "{n}");

        // The public lookup: code + key from the receipt; status and
        // dates, nothing personal; a wrong key is the same as no dossier.
        let page = citizen_b.get(&format!("/account/dossiers/{code}")).await;
        let key = between(&page.text, "id=\"lookup-key\"><code>", "</code>");
        assert_eq!(key.len(), 8, "{n}");
        let receipt = pdf_text(&citizen_b, &format!("/account/dossiers/{code}/receipt.pdf")).await;
        assert!(receipt.contains(&key), "{n}: the key on the receipt");
        let anyone = app.browser();
        let found = anyone.get(&format!("/lookup?code={code}&check={}", key.to_lowercase())).await;
        assert_eq!(found.status, StatusCode::OK, "{n}");
        assert!(found.text.contains("Đã trả kết quả") && found.text.contains("17/02/2027"), "{n}");
        for private in ["Nguyễn Thị Hoa", "001190012345", "0912345678", "Trần Minh Khôi"] {
            assert!(!found.text.contains(private), "{n}: {private} shown publicly");
        }
        let wrong = if key.starts_with('A') { "B" } else { "A" };
        let bad = anyone.get(&format!("/lookup?code={code}&check={wrong}{}", &key[1..])).await;
        assert_eq!(bad.status, StatusCode::NOT_FOUND, "{n}");
        let none = anyone.get(&format!("/lookup?code=H29.P01-270203-999999&check={key}")).await;
        assert_eq!(none.status, StatusCode::NOT_FOUND, "{n}");
        assert_eq!(
            between(&bad.text, "role=\"alert\"", "</div>"),
            between(&none.text, "role=\"alert\"", "</div>"),
            "{n}: the same answer"
        );
        // Rate limited per client: the attempt counts before the lookup.
        let mut last = StatusCode::OK;
        for _ in 0..30 {
            last = anyone.get(&format!("/lookup?code={code}&check={key}")).await.status;
        }
        assert_eq!(last, StatusCode::TOO_MANY_REQUESTS, "{n}");
        app.assert_audit_intact().await;
    })
    .await;
}

/// Issue #9 §2: operators edit workflows in the console; a workflow with
/// a stranded step or no way to an end is refused with the reasons and
/// the text kept; a published one governs dossiers received from then on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_edit_workflows_and_broken_ones_are_refused() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        seeded(&app).await;
        let op = app.operator_browser().await;
        let page = op.get("/console/workflows/1.001193").await;
        assert_eq!(page.status, StatusCode::OK, "{n}");
        assert!(
            page.text.contains("Thẩm định, xử lý hồ sơ"),
            "{n}: the standard workflow shown"
        );
        assert_eq!(
            op.get("/console/workflows/9.999999").await.status,
            StatusCode::NOT_FOUND,
            "{n}"
        );
        let r = op.get("/console/workflows?code=1.001193").await;
        assert_eq!(r.location(), Some("/console/workflows/1.001193"), "{n}");
        let r = op.get("/console/workflows?code=..%2Fx").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{n}");

        // A workflow where "approve" can never be reached and "handle"
        // never ends: refused, nothing stored, the text kept.
        let mut d = motcua_handling::workflow::Definition::standard();
        d.steps[1]
            .actions
            .retain(|a| a.kind == "supplement" || a.kind == "transfer");
        let broken = serde_json::to_string_pretty(&d).unwrap();
        let r = op
            .submit(
                "/console/workflows/1.001193",
                "/console/workflows/1.001193",
                &[("definition", &broken)],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(
            r.text
                .contains("Không có đường nào đến bước này từ bước đầu"),
            "{n}"
        );
        assert!(
            r.text
                .contains("Từ bước này không có đường nào đến kết thúc"),
            "{n}"
        );
        let typed = between(&r.text, "name=\"definition\"", "</textarea>");
        assert!(
            typed.contains("transfer") && !typed.contains("forward"),
            "{n}: the text as typed is kept: {typed}"
        );
        let r = op
            .submit(
                "/console/workflows/1.001193",
                "/console/workflows/1.001193",
                &[("definition", "{\"steps\": [")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        let mut c = app.conn().await;
        assert_eq!(
            scalar(
                &mut c,
                "SELECT COUNT(*) FROM handling_workflows WHERE procedure_code = '1.001193'"
            )
            .await,
            0,
            "{n}"
        );
        drop(c);

        // A valid one: fees first, a shorter chain; published, audited.
        let mut d = motcua_handling::workflow::Definition::standard();
        d.fees_first = true;
        d.steps[1].share = 70;
        d.steps[2].share = 20;
        let good = serde_json::to_string(&d).unwrap();
        let r = op
            .submit(
                "/console/workflows/1.001193",
                "/console/workflows/1.001193",
                &[("definition", &good)],
            )
            .await;
        assert_eq!(
            r.location(),
            Some("/console/workflows/1.001193?flash=workflow_published"),
            "{n}: {}",
            r.text
        );
        let page = op.get("/console/workflows/1.001193").await;
        assert!(page.text.contains("70%") && page.text.contains("v1"), "{n}");
        assert!(
            op.get("/console/workflows")
                .await
                .text
                .contains("/console/workflows/1.001193"),
            "{n}"
        );
        let mut c = app.conn().await;
        assert_eq!(
            scalar(
                &mut c,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'handling.workflow_publish'"
            )
            .await,
            1,
            "{n}"
        );
        drop(c);

        // Fees first: accepted → awaiting payment (status 6), the clock
        // not started; the payment hook starts it.
        let op2 = app.operator_browser_again().await;
        let one_stop = add_unit(&app, &op2, AGENCY, "MC", "Bộ phận Một cửa", "one_stop").await;
        let dept = add_unit(&app, &op2, AGENCY, "TP", "Phòng Tư pháp", "department").await;
        servant(&app, "cb_nhan", "Lê Nhận").await;
        let console = format!("/console/agencies/{AGENCY}/units");
        let r = grant(&app, &op2, &console, one_stop, "cb_nhan", "receiver").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        let receiver = login(&app, "cb_nhan", PW).await;
        let (_, citizen_b) = citizen(&app, "hoa.nguyen", "Nguyễn Thị Hoa").await;
        let code = submit_birth(&app, &citizen_b).await;
        let dept = dept.to_string();
        let r = act(
            &receiver,
            &code,
            &[("kind", "accept"), ("to", "handle"), ("unit", &dept)],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        assert_eq!(
            status_of(&app, &code).await,
            (6, None),
            "{n}: awaiting payment, no date yet"
        );
        assert_eq!(case_clock(&app, &code).await.2, "paused", "{n}");
        app.advance(2 * motcua_domain::HOUR);
        let paid_at = app.state().now();
        motcua_handling::cases::paid(
            app.state(),
            &motcua_kernel::service::Origin::cli(),
            &motcua_handling::Rules::default(),
            &code,
            paid_at,
        )
        .await
        .expect("paid");
        let (status, appointment) = status_of(&app, &code).await;
        assert_eq!(status, 2, "{n}");
        let cal = motcua_kernel::calendar::current(app.state()).await.unwrap();
        let hours = app.state().config.working_hours.clone();
        let clock = motcua_handling::clock::Clock {
            cal: &cal,
            hours: &hours,
            cutoff: Some(time::macros::time!(15:00)),
        };
        assert_eq!(
            appointment,
            Some(clock.deadline(paid_at, 1, "working_day")),
            "{n}: counted from the payment"
        );
        // The wait for the payment is the applicant's on the control slip.
        let receiver = login(&app, "cb_nhan", PW).await;
        let page = receiver.get(&format!("/agency/dossiers/{code}")).await;
        assert_eq!(page.status, StatusCode::OK, "{n}: {}", page.text);
        let slip = between(&page.text, "<table id=\"slip\">", "</table>");
        assert!(
            slip.contains("Không tính vào thời hạn") && slip.contains("Đã nộp phí, lệ phí"),
            "{n}: {slip}"
        );
        assert!(
            !slip.contains("Quá hạn"),
            "{n}: nobody late for the applicant's wait: {slip}"
        );
        // Paid twice: refused, nothing changes.
        assert!(
            motcua_handling::cases::paid(
                app.state(),
                &motcua_kernel::service::Origin::cli(),
                &motcua_handling::Rules::default(),
                &code,
                paid_at
            )
            .await
            .is_err(),
            "{n}"
        );
    })
    .await;
}

/// A refused dossier shows the reason (Form 03) and a stopped one its
/// legal reason (Form 05); a supplement asked more than 3 working days
/// after receipt is refused by the system.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusal_stop_and_the_supplement_window() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        seeded(&app).await;
        // Monday 1/3/2027 09:00.
        set_clock(&app, vn(2027, 3, 1, 9, 0));
        let Ward { op, dept, receiver, .. } = ward(&app).await;
        servant(&app, "cb_xu", "Phạm Xử").await;
        let console = format!("/console/agencies/{AGENCY}/units");
        let r = grant(&app, &op, &console, dept, "cb_xu", "handler").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        // One one-stop unit per agency.
        let r = op.submit(&console, &console, &[("code", "MC2"), ("name", "Một cửa thứ hai"), ("kind", "one_stop")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(r.text.contains("Cơ quan đã có Bộ phận Một cửa"), "{n}");
        let (_, citizen_b) = citizen(&app, "hoa.nguyen", "Nguyễn Thị Hoa").await;

        // Refused at receipt, with the reason.
        let first = submit_birth(&app, &citizen_b).await;
        let reason = "Hồ sơ thuộc thẩm quyền của UBND nơi cư trú của người mẹ.";
        let r = act(&receiver, &first, &[("kind", "refuse"), ("note", "")]).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{n}: a reason is required"
        );
        let r = act(&receiver, &first, &[("kind", "refuse"), ("note", reason)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        assert_eq!(status_of(&app, &first).await.0, 3, "{n}");
        let page = citizen_b.get(&format!("/account/dossiers/{first}")).await;
        assert!(
            page.text.contains("Không tiếp nhận") && page.text.contains(reason),
            "{n}"
        );
        let links = notice_links(&page);
        let text = pdf_text(&citizen_b, &links[0]).await;
        for part in ["PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ", reason] {
            assert!(text.contains(&squeezed(part)), "{n}: {part} in {text}");
        }
        // The applicant cannot withdraw what is refused; the agency
        // cannot act again.
        let r = act(&receiver, &first, &[("kind", "accept"), ("to", "handle")]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{n}: closed");

        // Accepted Monday; the handler may ask for a supplement until the
        // end of the third working day (Thursday 4/3 17:00), not after.
        let second = submit_birth(&app, &citizen_b).await;
        let d = dept.to_string();
        let r = act(
            &receiver,
            &second,
            &[("kind", "accept"), ("to", "handle"), ("unit", &d)],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        let handler = login(&app, "cb_xu", PW).await;
        let page = handler.get(&format!("/agency/dossiers/{second}")).await;
        let r = handler
            .post_form(&format!("/agency/dossiers/{second}/assign"), &[("csrf", &page.csrf()), ("seen", &seen(&page))])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: claimed");

        // Asked for more at receipt, completed, then withdrawn by the
        // applicant: the agency's case closes with it.
        let third = submit_birth(&app, &citizen_b).await;
        let r = act(&receiver, &third, &[("kind", "supplement"), ("note", "Ảnh chụp giấy chứng sinh bị mờ.")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let page = citizen_b.get(&format!("/account/dossiers/{third}")).await;
        let r = citizen_b.post_form(&format!("/account/dossiers/{third}/supplement"), &[("csrf", &page.csrf())]).await;
        let draft = r.location().and_then(|t| t.strip_prefix("/account/drafts/")).and_then(|t| t.strip_suffix("/step/0")).expect("draft").to_string();
        // Pressed twice: the same draft.
        let again = citizen_b.post_form(&format!("/account/dossiers/{third}/supplement"), &[("csrf", &page.csrf())]).await;
        assert_eq!(again.location(), r.location(), "{n}: one supplement draft");
        let check = citizen_b.get(&format!("/account/drafts/{draft}/check")).await;
        let revision = between(&check.text, "name=\"revision\" value=\"", "\"");
        let r = citizen_b.post_form(&format!("/account/drafts/{draft}/submit"), &[("csrf", &check.csrf()), ("revision", &revision)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        assert_eq!(status_of(&app, &third).await.0, 1, "{n}: new again");
        assert_eq!(case_clock(&app, &third).await.2, "open", "{n}");
        let page = citizen_b.get(&format!("/account/dossiers/{third}")).await;
        let r = citizen_b.post_form(&format!("/account/dossiers/{third}/withdraw"), &[("csrf", &page.csrf()), ("reason", "Nộp nhầm")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        assert_eq!(status_of(&app, &third).await.0, 7, "{n}");
        assert_eq!(case_clock(&app, &third).await.2, "closed", "{n}: the case closes with it");
        assert!(!receiver.get("/agency").await.text.contains(&third), "{n}: out of the inbox");
        let slip = between(&receiver.get(&format!("/agency/dossiers/{third}")).await.text, "<table id=\"slip\">", "</table>");
        assert!(slip.contains("Công dân rút hồ sơ"), "{n}: {slip}");
        {
            let mut c = app.conn().await;
            let audited = scalar(&mut c, &format!("SELECT COUNT(*) FROM audit_log WHERE action = 'dossiers.withdraw' AND target = 'dossier:{third}' AND detail LIKE '%Nộp nhầm%'")).await;
            assert_eq!(audited, 1, "{n}: the withdrawal audited once, with its reason");
        }

        set_clock(&app, vn(2027, 3, 5, 8, 0));
        board_agrees(&app, n).await;
        let handler = login(&app, "cb_xu", PW).await;
        let r = act(
            &handler,
            &second,
            &[("kind", "supplement"), ("note", "Thiếu giấy tờ")],
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{n}");
        assert!(r.text.contains("Đã quá 3 ngày làm việc"), "{n}");
        // Stopped with its legal reason.
        let legal = "Người yêu cầu đã được đăng ký khai sinh (khoản 1 Điều 13 Luật Hộ tịch).";
        let r = act(&handler, &second, &[("kind", "stop"), ("note", legal)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        assert_eq!(status_of(&app, &second).await, (8, None), "{n}");
        let citizen_b = login(&app, "hoa.nguyen", "mat-khau-du-dai-2026").await;
        let page = citizen_b.get(&format!("/account/dossiers/{second}")).await;
        assert!(
            page.text.contains("Dừng xử lý") && page.text.contains(legal),
            "{n}"
        );
        let links = notice_links(&page);
        let text = pdf_text(&citizen_b, &links[0]).await;
        for part in ["THÔNG BÁO DỪNG XỬ LÝ HỒ SƠ", legal] {
            assert!(text.contains(&squeezed(part)), "{n}: {part} in {text}");
        }

        // A role revoked: the unit's dossiers leave the person's inbox,
        // even while they hold a role in another agency.
        let op = app.operator_browser_again().await;
        let closed = handler.get("/agency?state=closed").await;
        assert!(closed.text.contains(&second), "{n}: the claimed dossier listed");
        let other_one_stop = add_unit(&app, &op, OTHER, "MC", "Một cửa Sở Tư pháp", "one_stop").await;
        let r = grant(&app, &op, &format!("/console/agencies/{OTHER}/units"), other_one_stop, "cb_xu", "receiver").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        let membership = {
            let mut c = app.conn().await;
            scalar(&mut c, &format!("SELECT s.id FROM handling_staff s JOIN accounts a ON a.id = s.account_id WHERE a.username = 'cb_xu' AND s.unit_id = {dept}")).await
        };
        let csrf = op.get("/console").await.csrf();
        let r = op.post_form(&format!("/agency/staff/{membership}/revoke"), &[("csrf", &csrf)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let closed = handler.get("/agency?state=closed").await;
        assert_eq!(closed.status, StatusCode::OK, "{n}");
        assert!(!closed.text.contains(&second), "{n}: gone with the role");
        backfill_agrees(&app, n).await;
    })
    .await;
}

/// Issue #9 §2: a dossier transferred to a department of another agency
/// keeps its clock; from then on it is that agency's (the first one's
/// people no longer reach it), the applicant is told and sees the new
/// agency, and an agency without a one-stop unit cannot receive it.
#[tokio::test]
async fn a_dossier_transferred_to_another_agency_keeps_its_clock() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        seeded(&app).await;
        // Tuesday 2/3/2027 09:00.
        set_clock(&app, vn(2027, 3, 2, 9, 0));
        let op = app.operator_browser().await;
        let one_stop = add_unit(&app, &op, AGENCY, "MC", "Bộ phận Một cửa", "one_stop").await;
        let dept = add_unit(&app, &op, AGENCY, "TP", "Phòng Tư pháp", "department").await;
        let other_dept = add_unit(&app, &op, OTHER, "HT", "Phòng Hộ tịch Sở", "department").await;
        servant(&app, "cb_nhan", "Lê Nhận").await;
        servant(&app, "cb_xu", "Phạm Xử").await;
        servant(&app, "cb_so", "Đỗ Sở").await;
        for (agency, unit, user, role) in [
            (AGENCY, one_stop, "cb_nhan", "receiver"),
            (AGENCY, dept, "cb_xu", "handler"),
            (OTHER, other_dept, "cb_so", "handler"),
        ] {
            let console = format!("/console/agencies/{agency}/units");
            let r = grant(&app, &op, &console, unit, user, role).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        }
        let receiver = login(&app, "cb_nhan", PW).await;
        let handler = login(&app, "cb_xu", PW).await;
        let other = login(&app, "cb_so", PW).await;
        let (_, citizen_b) = citizen(&app, "hoa.nguyen", "Nguyễn Thị Hoa").await;
        let code = submit_birth(&app, &citizen_b).await;
        let d = dept.to_string();
        let r = act(&receiver, &code, &[("kind", "accept"), ("to", "handle"), ("unit", &d)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let od = other_dept.to_string();
        // The other agency has no one-stop unit yet: refused, nothing moved.
        let page = handler.get(&format!("/agency/dossiers/{code}")).await;
        assert!(!page.text.contains("Phòng Hộ tịch Sở"), "{n}: not offered");
        let r = act(&handler, &code, &[("kind", "transfer"), ("unit", &od), ("note", "Thuộc thẩm quyền Sở")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}: {}", r.text);
        assert!(r.text.contains("chưa có bộ phận một cửa"), "{n}");
        add_unit(&app, &op, OTHER, "MC", "Một cửa Sở", "one_stop").await;
        let page = handler.get(&format!("/agency/dossiers/{code}")).await;
        assert!(page.text.contains("Phòng Hộ tịch Sở"), "{n}: offered now");
        let before = case_clock(&app, &code).await;
        let r = act(&handler, &code, &[("kind", "transfer"), ("unit", &od), ("note", "Thuộc thẩm quyền Sở")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let after = case_clock(&app, &code).await;
        assert_eq!((after.0, after.1, after.3), (before.0, before.1, other_dept), "{n}: deadline and due kept");
        assert_eq!(status_of(&app, &code).await, (2, before.0), "{n}: status and appointment unchanged");
        // The first agency's people no longer reach it; the other's do.
        assert_eq!(handler.get(&format!("/agency/dossiers/{code}")).await.status, StatusCode::NOT_FOUND, "{n}");
        assert_eq!(receiver.get(&format!("/agency/dossiers/{code}")).await.status, StatusCode::NOT_FOUND, "{n}");
        let page = other.get(&format!("/agency/dossiers/{code}")).await;
        assert_eq!(page.status, StatusCode::OK, "{n}");
        assert!(page.text.contains("Sở Tư pháp") || page.text.contains(OTHER), "{n}");
        let inbox = other.get(&format!("/agency/units/{other_dept}")).await;
        assert!(inbox.text.contains(&code), "{n}: in the new department's inbox");
        let inbox = handler.get(&format!("/agency/units/{dept}")).await;
        assert!(!inbox.text.contains(&code), "{n}: no longer in the first department's");
        let r = act(&other, &code, &[("kind", "forward"), ("to", "approve")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        // The applicant is told, and sees the new agency.
        let page = citizen_b.get(&format!("/account/dossiers/{code}")).await;
        assert!(page.text.contains("Thuộc thẩm quyền Sở"), "{n}");
        let mut c = app.conn().await;
        let agency: String = sqlx::query_scalar("SELECT agency_code FROM dossiers WHERE code = $1").bind(&code).fetch_one(&mut *c).await.expect("dossier");
        assert_eq!(agency, OTHER, "{n}");
        let events = scalar(&mut c, &format!("SELECT COUNT(*) FROM events WHERE subject = '{code}' AND type = 'dossier.transferred'")).await;
        assert_eq!(events, 1, "{n}");
        drop(c);
        app.drain().await;
        assert!(app.mails_to("hoa.nguyen@example.vn").iter().any(|m| m.text.contains("chuyển đến cơ quan có thẩm quyền")), "{n}: mail");
        // The control slip names both agencies.
        let page = other.get(&format!("/agency/dossiers/{code}")).await;
        let slip = between(&page.text, "<table id=\"slip\">", "</table>");
        assert!(slip.contains("Phòng Tư pháp") && slip.contains("Phòng Hộ tịch Sở"), "{n}: {slip}");
        board_agrees(&app, n).await;
    })
    .await;
}

/// R-PS-3 with #9 §3: a dossier whose form requires the applicant's
/// signature is signed again when it is supplemented. Unsigned, the
/// supplement is refused in words and the dossier keeps waiting; signed
/// over the supplemented dossier, the new signature replaces the first
/// (which covered content the dossier no longer holds).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_dossier_is_signed_again_when_supplemented() {
    use crate::dossiers::{fill_household, sign_challenge, submit_signed, HOUSEHOLD};
    each_backend(|db| async move {
        let (app, pki) = crate::identity::app_reveal(db).await;
        let n = app.name();
        seeded(&app).await;
        let Ward { receiver, .. } = ward(&app).await;

        // A business submits the household registration, signed.
        let cert = crate::identity::org_cert(&pki);
        let b = crate::identity::register_business(&app, &cert, "ketoan@saomai.example.vn").await;
        let id = start(&b, HOUSEHOLD).await;
        fill_household(&b, &id).await;
        let files = b.get(&format!("/account/drafts/{id}/files")).await;
        let component = between(&files.text, "name=\"component\" value=\"", "\"");
        let up = upload(&b, &id, &component, "giay-de-nghi.pdf", PDF).await;
        assert_eq!(up.status, StatusCode::SEE_OTHER, "{n}: {}", up.text);
        let (_, text, first) = sign_challenge(&b, &id).await;
        let r = submit_signed(&b, &id, Some(&crate::identity::sign(&text, &cert, &cert))).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let code = r
            .location()
            .and_then(|t| t.strip_prefix("/account/dossiers/"))
            .and_then(|t| t.split('?').next())
            .expect("the dossier")
            .to_string();

        // Asked for more at receipt; the business changes its answers in
        // the supplement draft.
        let r = act(&receiver, &code, &[("kind", "supplement"), ("note", "Ghi rõ cách nhận kết quả.")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        assert_eq!(status_of(&app, &code).await.0, 5, "{n}");
        let page = b.get(&format!("/account/dossiers/{code}")).await;
        let r = b.post_form(&format!("/account/dossiers/{code}/supplement"), &[("csrf", &page.csrf())]).await;
        let draft = r
            .location()
            .and_then(|t| t.strip_prefix("/account/drafts/"))
            .and_then(|t| t.strip_suffix("/step/0"))
            .expect("a supplement draft")
            .to_string();
        let r = post_step(&b, &draft, 2, &[("result_delivery", "counter"), ("action", "continue")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);

        // Unsigned: refused in words; the dossier still waits, the first
        // signature still kept.
        let check = b.get(&format!("/account/drafts/{draft}/check")).await;
        assert!(check.text.contains("id=\"token-app\""), "{n}: signing offered");
        let r = submit_signed(&b, &draft, None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}: {}", r.text);
        assert!(r.text.contains("yêu cầu ký số hồ sơ trước khi nộp"), "{n}: {}", r.text);
        assert_eq!(status_of(&app, &code).await.0, 5, "{n}: still waiting");
        let mut c = app.conn().await;
        let kept = scalar(&mut c, &format!("SELECT COUNT(*) FROM dossier_signatures WHERE digest = '{first}'")).await;
        assert_eq!(kept, 1, "{n}: the first signature until the supplement");
        drop(c);

        // Signed over the supplemented dossier: taken, the signature replaced.
        let (_, text, digest) = sign_challenge(&b, &draft).await;
        assert_ne!(digest, first, "{n}: another content, another digest");
        let r = submit_signed(&b, &draft, Some(&crate::identity::sign(&text, &cert, &cert))).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        assert_eq!(status_of(&app, &code).await.0, 1, "{n}: new again");
        let mut c = app.conn().await;
        let signatures = scalar(&mut c, "SELECT COUNT(*) FROM dossier_signatures").await;
        assert_eq!(signatures, 1, "{n}: one signature per dossier");
        let matching = scalar(
            &mut c,
            &format!("SELECT COUNT(*) FROM dossier_signatures s JOIN dossiers d ON d.id = s.dossier_id WHERE d.code = '{code}' AND s.digest = '{digest}' AND d.digest = s.digest"),
        )
        .await;
        assert_eq!(matching, 1, "{n}: the signature covers the dossier as it is now");
        drop(c);
        let page = b.get(&format!("/account/dossiers/{code}")).await;
        assert!(page.text.contains("id=\"signature\""), "{n}: shown");
    })
    .await;
}

/// Every case of a day and procedure shares the board's summary rows, so
/// every transaction takes its locks in one order: the dossier, then the
/// case and its summary rows, the audit head last. Withdrawals (the
/// applicant's) and receipts (the agency's) on several dossiers at once
/// all succeed — none aborted as a deadlock, no 5xx — and leave the board
/// equal to its cases. (A race: a pass does not prove that no deadlock is
/// left, a failure shows one.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_receipts_and_withdrawals_keep_the_board_exact() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        seeded(&app).await;
        // Monday 1/3/2027 09:00.
        set_clock(&app, vn(2027, 3, 1, 9, 0));
        let Ward { dept, receiver, .. } = ward(&app).await;
        let (_, citizen_b) = citizen(&app, "hoa.nguyen", "Nguyễn Thị Hoa").await;
        let dept = dept.to_string();
        for round in 0..3 {
            // Dossiers with a case open at receipt (asked for more, then
            // completed: status 1 again) and new ones without a case.
            let mut opened = Vec::new();
            for _ in 0..3 {
                let code = submit_birth(&app, &citizen_b).await;
                let r = act(
                    &receiver,
                    &code,
                    &[
                        ("kind", "supplement"),
                        ("note", "Ảnh chụp giấy chứng sinh bị mờ."),
                    ],
                )
                .await;
                assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
                let page = citizen_b.get(&format!("/account/dossiers/{code}")).await;
                let r = citizen_b
                    .post_form(
                        &format!("/account/dossiers/{code}/supplement"),
                        &[("csrf", &page.csrf())],
                    )
                    .await;
                let draft = r
                    .location()
                    .and_then(|t| t.strip_prefix("/account/drafts/"))
                    .and_then(|t| t.strip_suffix("/step/0"))
                    .expect("draft")
                    .to_string();
                let check = citizen_b
                    .get(&format!("/account/drafts/{draft}/check"))
                    .await;
                let revision = between(&check.text, "name=\"revision\" value=\"", "\"");
                let r = citizen_b
                    .post_form(
                        &format!("/account/drafts/{draft}/submit"),
                        &[("csrf", &check.csrf()), ("revision", &revision)],
                    )
                    .await;
                assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
                opened.push(code);
            }
            let mut fresh = Vec::new();
            for _ in 0..3 {
                fresh.push(submit_birth(&app, &citizen_b).await);
            }
            // The forms first, then every post at once.
            let mut withdrawals = Vec::new();
            for code in &opened {
                let page = citizen_b.get(&format!("/account/dossiers/{code}")).await;
                withdrawals.push((code.clone(), page.csrf()));
            }
            let mut receipts = Vec::new();
            for code in &fresh {
                let page = receiver.get(&format!("/agency/dossiers/{code}")).await;
                receipts.push((code.clone(), seen(&page), page.csrf()));
            }
            let (citizen_ref, receiver_ref, dept_ref) = (&citizen_b, &receiver, &dept);
            let withdraw = withdrawals.iter().map(|(code, csrf)| async move {
                citizen_ref
                    .post_form(
                        &format!("/account/dossiers/{code}/withdraw"),
                        &[("csrf", csrf.as_str()), ("reason", "Nộp nhầm")],
                    )
                    .await
            });
            let receive = receipts.iter().map(|(code, s, csrf)| async move {
                receiver_ref
                    .post_form(
                        &format!("/agency/dossiers/{code}/act"),
                        &[
                            ("kind", "accept"),
                            ("to", "handle"),
                            ("unit", dept_ref.as_str()),
                            ("seen", s.as_str()),
                            ("csrf", csrf.as_str()),
                        ],
                    )
                    .await
            });
            let (withdrawn, received) = tokio::join!(
                futures::future::join_all(withdraw),
                futures::future::join_all(receive)
            );
            for r in withdrawn.iter().chain(received.iter()) {
                assert_eq!(
                    r.status,
                    StatusCode::SEE_OTHER,
                    "{n} round {round}: {}",
                    r.text
                );
            }
            for code in &opened {
                assert_eq!(status_of(&app, code).await.0, 7, "{n}: {code} withdrawn");
                assert_eq!(case_clock(&app, code).await.2, "closed", "{n}");
            }
            for code in &fresh {
                assert_eq!(status_of(&app, code).await.0, 2, "{n}: {code} accepted");
            }
            board_agrees(&app, n).await;
        }
        let mut c = app.conn().await;
        let audited = scalar(
            &mut c,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'dossiers.withdraw'",
        )
        .await;
        assert_eq!(audited, 9, "{n}: every withdrawal audited once");
    })
    .await;
}
