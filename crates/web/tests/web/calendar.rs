//! The working-day calendar in the operator console (R-OP-3): the year's
//! days off, the deadline calculator, audited edits with history,
//! import/export of the adjustments file, and every node seeing an edit.
use crate::helpers::*;
use motcua_identity::service::Origin;
use motcua_kernel::calendar::{self, AdjustmentInput};
use reqwest::StatusCode;

fn deadline_of(page: &Page) -> String {
    page.text
        .split("<strong id=\"deadline\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or_else(|| panic!("no deadline in page: {}", page.text))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_shows_the_year_and_computes_deadlines() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let op = app.operator_browser().await;
        let p = op.get("/console/calendar?year=2026").await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.text);
        for needle in [
            "16/02/2026",
            "20/02/2026",
            "27/04/2026",
            "22/08/2026",
            "31/08/2026",
            "02/09/2026",
            "Nghỉ bù",
            "Làm bù theo thông báo",
            "Văn bản 12729/VPCP-KGVX",
        ] {
            assert!(p.text.contains(needle), "{}: {needle} missing", app.name());
        }
        // Received on the Friday before Tết 2026 after office hours: one
        // working day ends after the whole break.
        let p = op
            .get("/console/calendar?year=2026&from=2026-02-13T16:30&days=1")
            .await;
        assert_eq!(deadline_of(&p), "Thứ Hai 23/02/2026 17:00");
        // The Saturday worked in the 2026 swap counts; the Monday off does not.
        let p = op
            .get("/console/calendar?year=2026&from=2026-08-21T10:00&days=2")
            .await;
        assert_eq!(deadline_of(&p), "Thứ Hai 24/08/2026 17:00");
        // With a 15:00 cut-off, a 16:00 receipt counts from the next day.
        let p = op
            .get("/console/calendar?year=2026&from=2026-11-19T16:00&days=1&cutoff=15:00")
            .await;
        assert_eq!(deadline_of(&p), "Thứ Hai 23/11/2026 17:00");
        // English.
        op.get("/lang/en").await;
        let p = op
            .get("/console/calendar?year=2025&from=2025-01-24T09:00&days=1")
            .await;
        assert_eq!(deadline_of(&p), "Monday 03/02/2025 17:00");
        assert!(p.text.contains("Lunar New Year"));
        // Bad calculator input: a clear message, still the page.
        let p = op.get("/console/calendar?from=yesterday&days=x").await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.text.contains("valid time of receipt"), "{}", p.text);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_edit_the_calendar_with_history_and_clear_errors() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let op = app.operator_browser().await;
        let before = op
            .get("/console/calendar?year=2026&from=2026-12-30T09:00&days=1")
            .await;
        assert_eq!(deadline_of(&before), "Thứ Năm 31/12/2026 17:00");
        let r = op
            .submit(
                "/console/calendar?year=2026",
                "/console/calendar",
                &[
                    ("date", "2026-12-31"),
                    ("kind", "day_off"),
                    (
                        "reason_vi",
                        "Hoán đổi ngày làm việc dịp Tết Dương lịch 2027",
                    ),
                    ("reason_en", "Swapped day for New Year 2027"),
                    ("source", "Văn bản thử nghiệm 1/VPCP"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let after = op
            .get("/console/calendar?year=2026&from=2026-12-30T09:00&days=1")
            .await;
        // 31/12 off, 1/1/2027 New Year, then the weekend.
        assert_eq!(deadline_of(&after), "Thứ Hai 04/01/2027 17:00");
        assert!(after.text.contains("Văn bản thử nghiệm 1/VPCP"));
        assert!(
            after.text.contains("calendar.set"),
            "history shows the change"
        );
        let audit = app.audit_actions("calendar:2026-12-31").await;
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].actor, "account:1");
        assert!(
            audit[0].detail.contains("\"before\":null"),
            "{}",
            audit[0].detail
        );

        // A weekday cannot be "worked", a weekend cannot be "off": clear
        // messages, nothing stored.
        for (date, kind, needle) in [
            ("2026-12-26", "day_off", "Thứ Bảy, Chủ nhật đã là ngày nghỉ"),
            ("2026-13-01", "day_off", "Ngày không hợp lệ"),
            ("2026-12-28", "vacation", "Loại điều chỉnh không hợp lệ"),
        ] {
            let r = op
                .submit(
                    "/console/calendar",
                    "/console/calendar",
                    &[
                        ("date", date),
                        ("kind", kind),
                        ("reason_vi", "x"),
                        ("reason_en", "x"),
                        ("source", "x"),
                    ],
                )
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{date} {kind}");
            assert!(r.text.contains(needle), "{date} {kind}: {}", r.text);
        }
        let r = op
            .submit(
                "/console/calendar",
                "/console/calendar",
                &[
                    ("date", "2026-12-28"),
                    ("kind", "day_off"),
                    ("reason_vi", " "),
                    ("reason_en", "x"),
                    ("source", "x"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let mut c = app.conn().await;
        let rows = motcua_store::calendar::list(&mut c).await.expect("list");
        drop(c);
        assert!(!rows
            .iter()
            .any(|r| r.date == "2026-12-26" || r.date == "2026-12-28"));

        // Removing it restores the rule.
        let r = op
            .submit(
                "/console/calendar?year=2026",
                "/console/calendar/remove",
                &[("date", "2026-12-31")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let again = op
            .get("/console/calendar?year=2026&from=2026-12-30T09:00&days=1")
            .await;
        assert_eq!(deadline_of(&again), "Thứ Năm 31/12/2026 17:00");
        let audit = app.audit_actions("calendar:2026-12-31").await;
        assert_eq!(audit[0].action, "calendar.remove");
        // Removing what is not there: 404.
        let r = op
            .submit(
                "/console/calendar",
                "/console/calendar/remove",
                &[("date", "2026-12-31")],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        app.assert_audit_intact().await;

        // Citizens have no access.
        app.user("congdan", "Công Dân", "mat-khau-cong-dan").await;
        let citizen = app.browser();
        citizen.login("congdan", "mat-khau-cong-dan").await;
        assert_eq!(
            citizen.get("/console/calendar").await.status,
            StatusCode::FORBIDDEN
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_adjustments_file_exports_and_imports_all_or_nothing() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let op = app.operator_browser().await;
        let export = op.get("/console/calendar/export").await;
        assert_eq!(export.status, StatusCode::OK);
        assert!(export
            .header("content-disposition")
            .is_some_and(|v| v.contains("attachment")));
        assert!(export.text.contains("date = 2026-08-31"), "{}", export.text);
        assert_eq!(
            export.text,
            motcua_domain::calendar::Calendar::bundled_text(),
            "a fresh portal exports exactly the bundled announcements"
        );

        // A bad line: the error names it and nothing changes.
        let bad = export.text.replacen("kind = \"working_day\"", "kind = \"holliday\"", 1);
        let line = bad
            .lines()
            .position(|l| l.contains("holliday"))
            .expect("edited line")
            + 1;
        let r = op
            .submit("/console/calendar", "/console/calendar/import", &[("file_text", &bad)])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains(&format!("line {line}")), "{}", r.text);
        assert!(r.text.contains("không có thay đổi nào"));
        assert_eq!(op.get("/console/calendar/export").await.text, export.text);

        // A 2027 announcement, and 2026 reduced to one swap pair: 2027 is
        // added, 2026 replaced, 2024–2025 untouched.
        let file = r#"version = 1
adjustments = [
  { date = 2026-08-31, kind = "day_off", reason_vi = "Nghỉ 31/8", reason_en = "Off 31 Aug", source = "Thử 1" },
  { date = 2026-08-22, kind = "working_day", reason_vi = "Làm bù 22/8", reason_en = "Worked 22 Aug", source = "Thử 1" },
  { date = 2027-02-05, kind = "tet_day_off", reason_vi = "Tết Đinh Mùi", reason_en = "Lunar New Year", source = "Thử 2" },
]
"#;
        let r = op
            .submit("/console/calendar", "/console/calendar/import", &[("file_text", file)])
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(r.text.contains("2026, 2027"), "{}", r.text);
        let now = op.get("/console/calendar/export").await.text;
        assert!(now.contains("2027-02-05") && now.contains("2024-04-29") && now.contains("2025-05-02"));
        assert!(!now.contains("2026-01-02"), "2026 replaced by the file's");
        // Export → import is a fixed point.
        let r = op
            .submit("/console/calendar", "/console/calendar/import", &[("file_text", &now)])
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.text.contains("0 ngày cập nhật, 0 ngày xóa"), "{}", r.text);
        app.assert_audit_intact().await;
    })
    .await;
}

/// An edit on one node is used by every node at its next computation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_node_sees_a_calendar_edit() {
    each_backend(|db| async move {
        let app = spawn_app(db.clone()).await;
        let tmp = tempfile::tempdir().expect("tmp");
        let other = Node::start(&db, app.clock.clone(), tmp.path(), &Opts::default()).await;
        let d = time::macros::date!(2026 - 12 - 31);
        assert!(calendar::current(app.state())
            .await
            .expect("cal")
            .is_working_day(d));
        assert!(calendar::current(&other.state)
            .await
            .expect("cal")
            .is_working_day(d));
        calendar::set(
            &other.state,
            &Origin::cli(),
            &AdjustmentInput {
                date: "2026-12-31".into(),
                kind: "day_off".into(),
                reason_vi: "Nghỉ".into(),
                reason_en: "Off".into(),
                source: "Thử".into(),
            },
        )
        .await
        .expect("set");
        assert!(
            !calendar::current(app.state())
                .await
                .expect("cal")
                .is_working_day(d),
            "{}",
            app.name()
        );
    })
    .await;
}
