//! Issue #10 §3: the public postal service (R-PS-11, Decision 45/2016),
//! with the postal operator's simulator over HTTP. The applicant chooses
//! to send the dossier and receive the result by post (the postage shown
//! before submitting; bad addresses refused in words, kept as typed); the
//! dossier is postal (channel 3) and cannot be accepted before the post
//! office hands it over; its clock starts at the time on the postal
//! receipt; the result goes by post and the dossier is returned when it
//! is delivered; an undeliverable result comes back to the agency;
//! repeated and forged status reports change nothing.
use crate::dossiers::{citizen, seeded};
use crate::handling::{
    act, add_result, fill_birth, grant, login, servant, set_clock, status_of, submit_draft, vn,
    ward, AGENCY, PW,
};
use crate::helpers::*;
use motcua_postal::client::{self, Event};
use motcua_postal::sim::{Simulator, DEMO_WEBHOOK_SECRET};
use reqwest::StatusCode;

/// How many audit records of `action` there are.
async fn audited(app: &App, action: &str) -> i64 {
    let mut c = app.conn().await;
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM audit_log WHERE action = $1")
        .bind(action)
        .fetch_one(&mut *c)
        .await
        .unwrap()
}

/// An app connected to the postal operator's simulator, seeded, on
/// Tuesday 2/3/2027 at 09:00 in Hà Nội (the simulator's clock too).
async fn with_post(db: Db) -> (App, Simulator, motcua_postal::sim::SimServer) {
    let sim = Simulator::new("http://127.0.0.1:9");
    let server = sim.start().await.expect("simulator");
    let app = spawn_app_with(
        db,
        Opts {
            post: Some(server.base_url.clone()),
            ..Default::default()
        },
    )
    .await;
    seeded(&app).await;
    set_clock(&app, vn(2027, 3, 2, 9, 0));
    sim.set_now(app.state().now());
    (app, sim, server)
}

async fn count(app: &App, sql: &str) -> i64 {
    let mut c = app.conn().await;
    scalar(&mut c, sql).await
}

async fn waybill(app: &App, direction: &str) -> String {
    let mut c = app.conn().await;
    sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(format!(
        "SELECT waybill FROM postal_orders WHERE direction = '{direction}' ORDER BY id DESC LIMIT 1"
    )))
    .fetch_one(&mut *c)
    .await
    .unwrap()
}

async fn post_report(app: &App, body: &[u8], sig: &str) -> StatusCode {
    reqwest::Client::new()
        .post(format!("{}/api/v1/postal/events", app.base()))
        .header("content-type", "application/json")
        .header(client::SIGNATURE_HEADER, sig)
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dossier_sent_by_post_counts_from_the_postal_receipt_and_its_result_is_delivered_by_post()
{
    each_backend(|db| async move {
        let (app, sim, _server) = with_post(db).await;
        let n = app.name();
        let ward = ward(&app).await;
        let one_stop = count(&app, "SELECT id FROM handling_units WHERE code = 'MC'").await;
        let console = format!("/console/agencies/{AGENCY}/units");
        servant(&app, "cb_xuly", "Phạm Văn Xử").await;
        for (unit, who, role) in [
            (ward.dept, "cb_xuly", "handler"),
            (ward.dept, "cb_xuly", "approver"),
            (one_stop, "cb_nhan", "returner"),
        ] {
            assert_eq!(
                grant(&app, &ward.op, &console, unit, who, role)
                    .await
                    .status,
                StatusCode::SEE_OTHER,
                "{n}"
            );
        }
        let (_, b) = citizen(&app, "hoa.nguyen", "Nguyễn Thị Hoa").await;
        let id = fill_birth(&b).await;
        let check = format!("/account/drafts/{id}/check");
        let page = b.get(&check).await;
        assert!(page.text.contains("Dịch vụ bưu chính công ích"), "{n}");
        let path = format!("/account/drafts/{id}/postal");
        let good = [
            ("send", "1"),
            ("result", "1"),
            ("name", "Nguyễn Thị Hoa"),
            ("phone", "0912 345 678"),
            ("province", "Thành phố Hà Nội"),
            ("commune", "Phường Hoàn Kiếm"),
            ("street", "12 Tràng Tiền"),
        ];
        // Bad addresses: refused in words, kept as typed.
        for (field, bad, says) in [
            ("phone", "12345", "Số điện thoại gồm 10 chữ số"),
            (
                "province",
                "Tỉnh Không Có",
                "Chọn tỉnh, thành phố trong danh sách",
            ),
            ("street", "", "Nhập số nhà, đường"),
            ("name", "", "Nhập họ tên"),
        ] {
            let fields: Vec<(&str, &str)> = good
                .iter()
                .map(|(k, v)| (*k, if *k == field { bad } else { *v }))
                .collect();
            let r = b.submit(&check, &path, &fields).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}: {field}");
            assert!(r.text.contains(says), "{n}: {says}");
            if field != "street" {
                assert!(r.text.contains("12 Tràng Tiền"), "{n}: kept as typed");
            }
        }
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM postal_choices").await,
            0,
            "{n}"
        );
        // Another person's draft: not found.
        let (_, other) = citizen(&app, "lan.tran", "Trần Thị Lan").await;
        let r = other.submit("/account", &path, &good).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{n}");
        // Chosen: the postage is shown before submitting.
        let r = b.submit(&check, &path, &good).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let page = b.get(&check).await;
        let postage = motcua_domain::text::dong(motcua_postal::sim::tariff(
            "Thành phố Hà Nội",
            "Thành phố Hà Nội",
        ));
        assert_eq!(postage, "22.000 đ");
        assert!(
            page.text
                .contains(&format!("id=\"postage-send\">{postage}")),
            "{n}"
        );
        assert!(
            page.text
                .contains(&format!("id=\"postage-result\">{postage}")),
            "{n}"
        );
        let code = submit_draft(&app, &b, &id).await;
        assert_eq!(
            count(
                &app,
                &format!("SELECT channel FROM dossiers WHERE code = '{code}'")
            )
            .await,
            3,
            "{n}: postal channel"
        );
        // The post office is asked to collect it.
        let send = waybill(&app, "send_dossier").await;
        assert!(
            sim.parcels()
                .iter()
                .any(|(o, w, s)| o == &format!("{code}-S") && w == &send && s == "placed"),
            "{n}"
        );
        // Not accepted before the post office hands it over.
        let dept = ward.dept.to_string();
        let r = act(
            &ward.receiver,
            &code,
            &[("kind", "accept"), ("to", "handle"), ("unit", &dept)],
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{n}");
        assert!(
            r.text.contains("chưa được bưu điện giao đến cơ quan"),
            "{n}"
        );
        // Picked up at 10:00, in transit, handed to the agency at 14:30.
        for (at, status) in [
            ((10, 0), "picked_up"),
            ((11, 0), "in_transit"),
            ((14, 30), "delivered"),
        ] {
            set_clock(&app, vn(2027, 3, 2, at.0, at.1));
            sim.set_now(app.state().now());
            assert!(sim.advance(&send, status).await, "{n}: {status}");
        }
        let receipt_at = vn(2027, 3, 2, 14, 30);
        // A repeated report changes nothing; a forged one is refused.
        let again = serde_json::to_vec(&Event {
            order_number: format!("{code}-S"),
            waybill: send.clone(),
            status: "delivered".into(),
            at: receipt_at,
            note: String::new(),
        })
        .unwrap();
        assert_eq!(
            post_report(&app, &again, &client::sign(DEMO_WEBHOOK_SECRET, &again)).await,
            StatusCode::OK,
            "{n}"
        );
        let forged = serde_json::to_vec(&Event {
            order_number: format!("{code}-S"),
            waybill: send.clone(),
            status: "delivered".into(),
            at: receipt_at - 3_600_000,
            note: String::new(),
        })
        .unwrap();
        assert_eq!(
            post_report(&app, &forged, &client::sign("not-the-secret", &forged)).await,
            StatusCode::UNAUTHORIZED,
            "{n}"
        );
        assert_eq!(
            post_report(&app, b"{", &client::sign(DEMO_WEBHOOK_SECRET, b"{")).await,
            StatusCode::BAD_REQUEST,
            "{n}"
        );
        let unknown = serde_json::to_vec(&Event {
            order_number: "X-S".into(),
            waybill: "EP1VN".into(),
            status: "delivered".into(),
            at: receipt_at,
            note: String::new(),
        })
        .unwrap();
        assert_eq!(
            post_report(&app, &unknown, &client::sign(DEMO_WEBHOOK_SECRET, &unknown)).await,
            StatusCode::NOT_FOUND,
            "{n}"
        );
        assert_eq!(audited(&app, "postal.report").await, 3, "{n}");
        // Accepted the next morning: the clock started at the receipt.
        set_clock(&app, vn(2027, 3, 3, 8, 30));
        let receiver = login(&app, "cb_nhan", PW).await;
        let r = act(
            &receiver,
            &code,
            &[("kind", "accept"), ("to", "handle"), ("unit", &dept)],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let cal = motcua_kernel::calendar::current(app.state()).await.unwrap();
        let hours = app.state().config.working_hours.clone();
        let clock = motcua_handling::clock::Clock {
            cal: &cal,
            hours: &hours,
            cutoff: Some(time::macros::time!(15:00)),
        };
        let (status, appointment) = status_of(&app, &code).await;
        assert_eq!(status, 2, "{n}");
        let amount = count(
            &app,
            &format!("SELECT time_amount FROM dossiers WHERE code = '{code}'"),
        )
        .await;
        let unit = {
            let mut c = app.conn().await;
            sqlx::query_scalar::<_, String>("SELECT time_unit FROM dossiers WHERE code = $1")
                .bind(&code)
                .fetch_one(&mut *c)
                .await
                .unwrap()
        };
        assert_eq!(
            appointment,
            Some(clock.deadline(receipt_at, amount, &unit)),
            "{n}: from the postal receipt"
        );
        assert_ne!(
            appointment,
            Some(clock.deadline(app.state().now(), amount, &unit)),
            "{n}: not from the acceptance"
        );
        let b = login(&app, "hoa.nguyen", crate::dossiers::PW).await;
        let handler = login(&app, "cb_xuly", PW).await;
        let page = b.get(&format!("/account/dossiers/{code}")).await;
        assert!(
            page.text.contains("id=\"handed-over\"") && page.text.contains("14:30"),
            "{n}: {}",
            page.text
        );
        // Handled, approved: the result goes by post.
        let r = act(&handler, &code, &[("kind", "forward"), ("to", "approve")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let r = add_result(
            &handler,
            &code,
            "Trích lục khai sinh",
            None,
            "Họ tên: Trần Minh Khôi",
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        let r = act(&handler, &code, &[("kind", "approve"), ("to", "return")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        // Only the returner hands it to the post office.
        let r = act(&handler, &code, &[("kind", "return")]).await;
        assert!(
            r.status == StatusCode::FORBIDDEN || r.status == StatusCode::NOT_FOUND,
            "{n}: {}",
            r.status
        );
        let r = act(&receiver, &code, &[("kind", "return")]).await;
        assert_eq!(
            r.location(),
            Some(format!("/agency/dossiers/{code}?flash=result_posted").as_str()),
            "{n}: {}",
            r.text
        );
        assert_eq!(
            status_of(&app, &code).await.0,
            9,
            "{n}: returned when delivered"
        );
        let r = act(&receiver, &code, &[("kind", "return")]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{n}: once");
        let result = waybill(&app, "return_result").await;
        let to = sim.receiver(&result).unwrap();
        assert_eq!(
            (to.name.as_str(), to.street.as_str(), to.phone.as_str()),
            ("Nguyễn Thị Hoa", "12 Tràng Tiền", "0912345678"),
            "{n}"
        );
        // Delivery fails, then the parcel comes back: the agency has it.
        for status in ["picked_up", "in_transit", "failed", "returned"] {
            assert!(sim.advance(&result, status).await, "{n}: {status}");
        }
        assert_eq!(status_of(&app, &code).await.0, 9, "{n}");
        let page = b.get(&format!("/account/dossiers/{code}")).await;
        assert!(page.text.contains("Đã chuyển hoàn"), "{n}");
        // Sent again; delivered: the dossier is returned (status 10).
        let r = act(&receiver, &code, &[("kind", "return")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let again = waybill(&app, "return_result").await;
        assert_ne!(again, result, "{n}");
        for status in ["picked_up", "in_transit", "delivered"] {
            assert!(sim.advance(&again, status).await, "{n}: {status}");
        }
        assert_eq!(
            status_of(&app, &code).await.0,
            10,
            "{n}: delivered, returned"
        );
        let page = b.get(&format!("/account/dossiers/{code}")).await;
        assert!(
            page.text.contains(&again) && page.text.contains("Đã phát thành công"),
            "{n}"
        );
        assert_eq!(audited(&app, "handling.returned_by_post").await, 1, "{n}");
        app.assert_audit_intact().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_that_never_came_are_asked_for() {
    each_backend(|db| async move {
        let (app, sim, _server) = with_post(db).await;
        let n = app.name();
        let (_, b) = citizen(&app, "hoa.nguyen", "Nguyễn Thị Hoa").await;
        let id = fill_birth(&b).await;
        let check = format!("/account/drafts/{id}/check");
        let fields = [
            ("send", "1"),
            ("name", "Nguyễn Thị Hoa"),
            ("phone", "0912345678"),
            ("province", "Tỉnh Bắc Ninh"),
            ("commune", "Phường Kinh Bắc"),
            ("street", "5 Lý Thái Tổ"),
        ];
        let r = b
            .submit(&check, &format!("/account/drafts/{id}/postal"), &fields)
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let page = b.get(&check).await;
        assert!(
            page.text.contains("id=\"postage-send\">35.000 đ"),
            "{n}: between provinces"
        );
        assert!(
            !page.text.contains("postage-result"),
            "{n}: the result is not by post"
        );
        let code = submit_draft(&app, &b, &id).await;
        let send = waybill(&app, "send_dossier").await;
        let run = |now: i64| {
            let core = app.state().core().clone();
            let postal = app.state().postal();
            async move {
                motcua_kernel::worker::Periodic::run(
                    &motcua_postal::service::Track(postal),
                    &core,
                    now,
                )
                .await
                .expect("track")
            }
        };
        // Within the hour after the order, nothing is asked.
        set_clock(&app, vn(2027, 3, 2, 9, 30));
        run(app.state().now()).await;
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM postal_events").await,
            0,
            "{n}"
        );
        // The operator's reports are lost on the way.
        sim.set_silent(true);
        let at = vn(2027, 3, 2, 15, 10);
        set_clock(&app, at);
        sim.set_now(at);
        for s in ["picked_up", "in_transit", "delivered"] {
            assert!(sim.advance(&send, s).await, "{n}");
        }
        set_clock(&app, at + 600_000);
        run(app.state().now()).await;
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM postal_events").await,
            3,
            "{n}: asked, applied"
        );
        let handed = count(
            &app,
            &format!("SELECT handed_over_at FROM dossiers WHERE code = '{code}'"),
        )
        .await;
        assert_eq!(
            handed, at,
            "{n}: the time on the postal receipt, not when asked"
        );
        // Asked again later: nothing twice.
        set_clock(&app, at + 8_000_000);
        run(app.state().now()).await;
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM postal_events").await,
            3,
            "{n}"
        );
        assert_eq!(audited(&app, "postal.report").await, 3, "{n}");
    })
    .await;
}
