//! The console as an operator meets it (issue 10, section 7): a readable,
//! filterable, paged audit log; only the lock action that applies, and a
//! mail to the holder on unlock; unauthorized-use reports in the deadlines
//! overview; the job queue in words.
use crate::helpers::*;
use motcua_domain::AccountId;
use motcua_store::audit;
use reqwest::StatusCode;

const PW: &str = "ho-hoan-kiem-2026";
const MINUTE: i64 = 60_000;

async fn id_of(app: &App, username: &str) -> AccountId {
    let mut c = app.conn().await;
    motcua_identity::store::accounts::by_username(&mut c, username)
        .await
        .expect("lookup")
        .expect("account")
        .id
}

/// The rows of the audit table.
fn audit_rows(html: &str) -> Vec<String> {
    let Some(t) = html.split("id=\"audit-log\"").nth(1) else {
        return Vec::new();
    };
    let body = t
        .split("<tbody>")
        .nth(1)
        .unwrap_or_default()
        .split("</tbody>")
        .next()
        .unwrap_or_default();
    body.split("<tr>").skip(1).map(str::to_string).collect()
}

fn seq_of(row: &str) -> i64 {
    row.trim_start_matches("<td>")
        .split('<')
        .next()
        .unwrap()
        .parse()
        .expect("seq")
}

fn link(html: &str, id: &str) -> Option<String> {
    let i = html.find(&format!("id=\"{id}\""))?;
    let start = html[..i].rfind("href=\"")? + 6;
    Some(
        html[start..]
            .split('"')
            .next()?
            .replace("&amp;", "&")
            .replace("&#38;", "&"),
    )
}

/// R-OP-2: the audit log names accounts by username (linked), shows the
/// detail as key/value text and the time in Vietnam time, filters by
/// actor, target, action and dates, and pages 50 at a time by sequence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_log_is_readable_filterable_and_paged() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let id = app.user("cuc.tran", "Trần Thị Cúc", PW).await;
        let op = app.operator_browser().await;
        let op_id = id_of(&app, "vanhanh").await;
        let page = format!("/console/accounts/{id}");
        let r = op
            .submit(
                &page,
                &format!("{page}/lock"),
                &[("reason", "Nghi ngờ bị chiếm đoạt")],
            )
            .await;
        assert!(r.redirects_to(&page), "{n}: {r:?}");
        let p = op.get("/console/audit").await;
        assert_eq!(p.status, StatusCode::OK, "{n}");
        let rows = audit_rows(&p.text);
        let lock = rows
            .iter()
            .find(|r| r.contains("account.lock"))
            .expect("lock row");
        assert!(
            lock.contains(&format!(
                "<a href=\"/console/accounts/{op_id}\">vanhanh</a>"
            )),
            "{n}: the actor by name: {lock}"
        );
        assert!(
            lock.contains(&format!("<a href=\"/console/accounts/{id}\">cuc.tran</a>")),
            "{n}: the target by name: {lock}"
        );
        assert!(
            lock.contains("<dt>reason</dt><dd>Nghi ngờ bị chiếm đoạt</dd>"),
            "{n}: the detail as text: {lock}"
        );
        assert!(!p.text.contains("account:"), "{n}: raw ids shown");
        assert!(!lock.contains("{\""), "{n}: raw JSON: {lock}");
        let when = motcua_domain::clock::format_vn(app.state().now());
        assert!(
            lock.contains(&when[..10]),
            "{n}: Vietnam date {when}: {lock}"
        );
        // The account's own page shows its records the same way.
        let acc = op.get(&page).await;
        assert!(
            acc.text
                .contains("<dt>reason</dt><dd>Nghi ngờ bị chiếm đoạt</dd>"),
            "{n}"
        );

        // 120 more records, one a minute, by the CLI and the system.
        {
            let mut c = app.conn().await;
            let start = app.state().now();
            for i in 1..=120i64 {
                let actor = if i % 2 == 0 { "cli" } else { "system:worker" };
                let ctx = audit::Ctx {
                    actor: actor.into(),
                    ip: String::new(),
                    request_id: String::new(),
                };
                audit::append(
                    &mut c,
                    &ctx,
                    "test.tick",
                    "calendar:2027",
                    &format!("{{\"i\":{i}}}"),
                    start + i * MINUTE,
                )
                .await
                .expect("append");
            }
        }
        let total = {
            let mut c = app.conn().await;
            audit::search(&mut c, &audit::Filter::default(), 10_000)
                .await
                .unwrap()
                .len()
        };
        // Newest first, 50 a page; "older" walks every record once.
        let mut seen = Vec::new();
        let mut path = "/console/audit".to_string();
        loop {
            let p = op.get(&path).await;
            assert_eq!(p.status, StatusCode::OK, "{n}: {path}");
            let rows = audit_rows(&p.text);
            assert!(rows.len() <= 50, "{n}");
            seen.extend(rows.iter().map(|r| seq_of(r)));
            match link(&p.text, "audit-older") {
                Some(next) => path = next,
                None => break,
            }
        }
        assert_eq!(seen.len(), total, "{n}");
        assert!(
            seen.windows(2).all(|w| w[0] > w[1]),
            "{n}: newest first, no repeats"
        );
        // And "newer" goes back up.
        let second = op
            .get(&link(&op.get("/console/audit").await.text, "audit-older").unwrap())
            .await;
        let back = op
            .get(&link(&second.text, "audit-newer").expect("newer"))
            .await;
        let first_page: Vec<i64> = audit_rows(&op.get("/console/audit").await.text)
            .iter()
            .map(|r| seq_of(r))
            .collect();
        assert_eq!(
            audit_rows(&back.text)
                .iter()
                .map(|r| seq_of(r))
                .collect::<Vec<_>>(),
            first_page,
            "{n}"
        );

        // Filters: actor by username, a code, a prefix; action; dates.
        let p = op.get("/console/audit?actor=vanhanh").await;
        let rows = audit_rows(&p.text);
        assert!(
            !rows.is_empty() && rows.iter().all(|r| r.contains(">vanhanh</a>")),
            "{n}"
        );
        let p = op.get("/console/audit?actor=cli&action=test.").await;
        assert_eq!(audit_rows(&p.text).len(), 50, "{n}");
        assert!(
            link(&p.text, "audit-older").is_some(),
            "{n}: 60 cli records"
        );
        assert!(
            p.text.contains("value=\"cli\"") && p.text.contains("value=\"test.\""),
            "{n}: the filter is kept"
        );
        let older = link(&p.text, "audit-older").unwrap();
        assert!(
            older.contains("actor=cli") && older.contains("action=test."),
            "{n}: {older}"
        );
        let p = op.get(&older).await;
        assert_eq!(audit_rows(&p.text).len(), 10, "{n}: {older}");
        let p = op.get("/console/audit?actor=system%3A").await;
        assert_eq!(audit_rows(&p.text).len(), 50, "{n}");
        assert!(audit_rows(&p.text)[0].contains("Hệ thống (worker)"), "{n}");
        let p = op
            .get("/console/audit?target=cuc.tran&action=account.lock")
            .await;
        assert_eq!(audit_rows(&p.text).len(), 1, "{n}");
        let today = motcua_domain::clock::vn_datetime(app.state().now()).date();
        let tomorrow = today.next_day().unwrap();
        let p = op
            .get(&format!("/console/audit?from={tomorrow}&to={tomorrow}"))
            .await;
        let later = audit_rows(&p.text);
        assert!(later.iter().all(|r| r.contains("test.tick")), "{n}");
        let p = op
            .get(&format!("/console/audit?to={today}&action=account."))
            .await;
        assert!(!audit_rows(&p.text).is_empty(), "{n}");
        // Bad input: a clear message, never a 5xx.
        let p = op.get("/console/audit?from=31/12/2026").await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(p.text.contains("Ngày không hợp lệ"), "{n}");
        let p = op.get("/console/audit?actor=khong.ai").await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(
            p.text.contains("Không có tài khoản nào tên khong.ai."),
            "{n}"
        );
        for q in [
            "before=abc",
            "after=-1",
            "before=99999999999",
            "action=%27%3B--",
            "actor=%00",
        ] {
            let p = op.get(&format!("/console/audit?{q}")).await;
            assert!(!p.status.is_server_error(), "{n}: {q}: {}", p.status);
        }
        // Operators only.
        let holder = app.browser();
        app.user("khach.le", "Lê Khách", PW).await;
        assert!(holder.login("khach.le", PW).await.redirects_to("/"), "{n}");
        assert_eq!(
            holder.get("/console/audit").await.status,
            StatusCode::FORBIDDEN,
            "{n}"
        );
    })
    .await;
}

/// Only the action that applies is offered, and the holder learns of the
/// unlock by mail as of the lock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_or_unlock_as_applies_and_the_holder_is_told_of_the_unlock() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let id = app.user("dao.ngo", "Ngô Thị Đào", PW).await;
        let op = app.operator_browser().await;
        let page = format!("/console/accounts/{id}");
        let p = op.get(&page).await;
        assert!(p.text.contains("id=\"lock-form\""), "{n}");
        assert!(
            !p.text.contains("id=\"unlock-form\""),
            "{n}: unlock offered for an active account"
        );
        let r = op
            .submit(
                &page,
                &format!("{page}/lock"),
                &[("reason", "Nghi ngờ bị lộ mật khẩu")],
            )
            .await;
        assert!(r.redirects_to(&page), "{n}");
        let p = op.get(&page).await;
        assert!(p.text.contains("id=\"unlock-form\""), "{n}");
        assert!(
            !p.text.contains("id=\"lock-form\""),
            "{n}: lock offered for a locked account"
        );
        app.drain().await;
        assert_eq!(
            app.mails_to("dao.ngo@example.vn").len(),
            1,
            "{n}: the lock mail"
        );
        let r = op
            .submit(
                &page,
                &format!("{page}/unlock"),
                &[("reason", "Đã xác minh chủ tài khoản")],
            )
            .await;
        assert!(r.redirects_to(&page), "{n}");
        app.drain().await;
        let mails = app.mails_to("dao.ngo@example.vn");
        assert_eq!(mails.len(), 2, "{n}: no unlock mail");
        let m = mails
            .iter()
            .find(|m| m.subject == "[Motcua] Tài khoản của bạn đã được mở khóa")
            .unwrap_or_else(|| {
                panic!(
                    "{n}: no unlock mail: {:?}",
                    mails.iter().map(|m| &m.subject).collect::<Vec<_>>()
                )
            });
        assert!(
            m.text.contains("Lý do: Đã xác minh chủ tài khoản"),
            "{n}: {}",
            m.text
        );
        assert!(m.html.contains("đã được mở khóa"), "{n}");
        let p = op.get(&page).await;
        assert!(
            p.text.contains("id=\"lock-form\"") && !p.text.contains("id=\"unlock-form\""),
            "{n}"
        );
    })
    .await;
}

/// R-ID-14: an unauthorized-use report is open work with a deadline in
/// `/console/sla` until an operator marks it handled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthorized_use_reports_are_in_the_deadlines_overview() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let id = app.user("em.vo", "Võ Văn Em", PW).await;
        let holder = app.browser();
        assert!(holder.login("em.vo", PW).await.redirects_to("/"), "{n}");
        let r = holder
            .submit("/account/report", "/account/report", &[("note", "Có người đăng nhập lạ")])
            .await;
        assert_eq!(r.status, StatusCode::OK, "{n}: {}", r.text);
        let report_id = {
            let mut c = app.conn().await;
            motcua_identity::store::activity::open_compromise_reports(&mut c).await.unwrap()[0].id
        };
        let op = app.operator_browser().await;
        let sla = op.get("/console/sla").await;
        assert_eq!(sla.status, StatusCode::OK, "{n}");
        let counts = sla.text.split("id=\"sla-counts\"").nth(1).unwrap().split("</table>").next().unwrap();
        assert!(
            counts.contains("<th scope=\"row\">Báo cáo sử dụng trái phép</th><td>1</td>"),
            "{n}: {counts}"
        );
        let items = sla.text.split("id=\"sla-items\"").nth(1).expect("items");
        assert!(
            items.contains(&format!("<a href=\"/console/reports#report-{report_id}\">BC-{report_id:06}</a></td><td>em.vo</td>")),
            "{n}: {items}"
        );
        assert!(items.contains("giờ làm việc") || items.contains("ngày làm việc"), "{n}: the time left");
        let m = op
            .get_with("/metrics", &[("authorization", "Bearer test-metrics-token")])
            .await
            .text;
        assert!(m.contains("motcua_sla_pending{kind=\"report\"} 1"), "{n}: {m}");
        // Handled: it leaves the overview, the log says who did it.
        let reports = op.get("/console/reports").await;
        assert!(reports.text.contains(&format!("id=\"report-{report_id}\"")), "{n}");
        let r = op
            .submit("/console/reports", &format!("/console/reports/{report_id}/handled"), &[])
            .await;
        assert!(r.redirects_to("/console/reports"), "{n}: {r:?}");
        let sla = op.get("/console/sla").await;
        assert!(!sla.text.contains("BC-"), "{n}");
        assert!(op.get("/console/reports").await.text.contains("Đã xử lý"), "{n}");
        let audit = app.audit_actions(&format!("account:{id}")).await;
        assert!(audit.iter().any(|e| e.action == "report.handled"), "{n}");
        // Twice, or unknown: 404.
        let r = op
            .submit("/console/reports", &format!("/console/reports/{report_id}/handled"), &[])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{n}");
        assert_eq!(
            holder.get("/console/reports").await.status,
            StatusCode::SEE_OTHER,
            "{n}: the holder was logged out by the report"
        );
    })
    .await;
}

/// `/console/jobs` shows states and kinds in words, not codes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_queue_states_and_kinds_are_in_words() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let op = app.operator_browser().await;
        app.user("giang.ha", "Hà Giang", PW).await;
        app.browser()
            .submit(
                "/password/forgot",
                "/password/forgot",
                &[("who", "giang.ha")],
            )
            .await;
        let p = op.get("/console/jobs").await;
        assert!(
            p.text.contains("<span class=\"tag\">Đang chờ: 1</span>"),
            "{n}: {}",
            p.text
        );
        app.drain().await;
        let p = op.get("/console/jobs").await;
        assert!(
            p.text.contains("<span class=\"tag\">Đã xong: 1</span>"),
            "{n}: {}",
            p.text
        );
        for code in ["queued", "running", "done", "dead"] {
            assert!(
                !p.text.contains(&format!(">{code}: ")),
                "{n}: {code} shown raw"
            );
        }
    })
    .await;
}
