//! Issue #10 §1–2: fees and charges paid through the national payment
//! platform (its simulator, over HTTP), R-PS-10, R-OP-2. The operator
//! publishes a procedure's fee schedule; a dossier accepted with fees
//! owed before processing waits at status 6; the applicant pays; every
//! failure mode of the platform (failure, cancel, pending-unknown, late,
//! missing, duplicate callbacks, wrong amount, bad signature, a second
//! success) ends in one state that pays a request at most once, and the
//! daily reconciliation lists every mismatch.
use crate::dossiers::{between, citizen, seeded};
use crate::handling::{act, pdf_text, set_clock, status_of, submit_birth, vn, ward, Ward};
use crate::helpers::*;
use motcua_payments::protocol::{self, Confirm, Signed};
use motcua_payments::sim::{SimServer, Simulator, DEMO_PARTNER, DEMO_SECRET};
use reqwest::StatusCode;
use std::time::Duration;

const BIRTH: &str = "1.001193";

/// Fees and charges of birth registration for the tests: an online
/// citizen owes the copy fee (8,000 đ) and the online charge (10,000 đ).
const SCHEDULE: &str = r#"{"lines": [
  {"key": "ban_sao", "kind": "fee", "name": "Phí cấp bản sao trích lục", "amount": 8000, "timing": "before", "legal_basis": "Thông tư 281/2016/TT-BTC"},
  {"key": "le_phi", "kind": "charge", "name": "Lệ phí đăng ký hộ tịch (trực tuyến)", "amount": 10000, "channels": [2], "timing": "before"},
  {"key": "tai_quay", "kind": "charge", "name": "Lệ phí nộp tại quầy", "amount": 5000, "channels": [1], "timing": "before"},
  {"key": "doanh_nghiep", "kind": "fee", "name": "Phí dịch vụ cho tổ chức", "amount": 50000, "exempt_for": ["citizen"], "timing": "before"},
  {"key": "trich_luc", "kind": "fee", "name": "Phí trích lục khi nhận kết quả", "amount": 3000, "timing": "after"},
  {"key": "mien", "kind": "charge", "name": "Lệ phí đăng ký khai sinh đúng hạn", "amount": 0, "timing": "exempt"}
]}"#;

struct Paying {
    app: App,
    sim: Simulator,
    _server: SimServer,
    ward: Ward,
    citizen: Browser,
    code: String,
}

/// An app connected to the platform's simulator, seeded, on Tuesday
/// 2/3/2027 at 09:00 in Hà Nội.
async fn with_platform(db: Db) -> (App, Simulator, SimServer) {
    let sim = Simulator::new("http://127.0.0.1:9");
    let server = sim.start().await.expect("simulator");
    sim.set_retry_delay(Duration::from_millis(50));
    let app = spawn_app_with(
        db,
        Opts {
            paygov: Some(server.base_url.clone()),
            ..Default::default()
        },
    )
    .await;
    seeded(&app).await;
    set_clock(&app, vn(2027, 3, 2, 9, 0));
    (app, sim, server)
}

/// A ward with the schedule published, a citizen's birth registration
/// accepted and waiting for its fees (status 6), the simulator's clock at
/// the app's.
async fn paying(db: Db) -> Paying {
    let (app, sim, server) = with_platform(db).await;
    let n = app.name();
    let ward = ward(&app).await;
    let path = format!("/console/catalog/{BIRTH}/fees");
    let r = ward
        .op
        .submit(
            &path,
            &path,
            &[("schedule", SCHEDULE), ("note", "TT 281/2016")],
        )
        .await;
    assert_eq!(
        r.location(),
        Some(format!("{path}?flash=fees_published").as_str()),
        "{n}: {}",
        r.text
    );
    let (_, citizen) = citizen(&app, "hoa.nguyen", "Nguyễn Thị Hoa").await;
    let code = submit_birth(&app, &citizen).await;
    let dept = ward.dept.to_string();
    let r = act(
        &ward.receiver,
        &code,
        &[("kind", "accept"), ("to", "handle"), ("unit", &dept)],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
    assert_eq!(status_of(&app, &code).await, (6, None), "{n}: fees first");
    sim.set_now(app.state().now());
    Paying {
        app,
        sim,
        _server: server,
        ward,
        citizen,
        code,
    }
}

/// The citizen presses "pay" on the dossier page: the platform's page.
async fn press_pay(p: &Paying, b: &Browser) -> String {
    press_pay_for(p, b, &p.code).await
}

async fn press_pay_for(p: &Paying, b: &Browser, code: &str) -> String {
    let page = b.get(&format!("/account/dossiers/{code}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let action = between(&page.text, "action=\"/account/dossiers/", "/pay\"");
    let r = b
        .post_form(
            &format!("/account/dossiers/{action}/pay"),
            &[("csrf", &page.csrf())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let to = r.location().expect("to the platform").to_string();
    assert!(to.starts_with(&p.sim.base_url()), "{to}");
    to
}

/// The bank does `choice` on the platform's page; where the payer's
/// browser is sent back (a path of the portal).
async fn bank(p: &Paying, pay_url: &str, choice: &str) -> String {
    bank_of(p, pay_url, choice, "18.000 đ").await
}

async fn bank_of(p: &Paying, pay_url: &str, choice: &str, amount: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client.get(pay_url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains(amount), "{html}");
    let r = client
        .post(pay_url)
        .form(&[("choice", choice)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    to.strip_prefix(p.app.base())
        .expect("back to the portal")
        .to_string()
}

/// The payer comes back: the flash the dossier page gets.
async fn come_back(b: &Browser, back: &str) -> String {
    let r = b.get(back).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let to = r.location().unwrap().to_string();
    to.split("flash=").nth(1).unwrap_or_default().to_string()
}

async fn text(app: &App, sql: &str) -> String {
    let mut c = app.conn().await;
    sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql))
        .fetch_one(&mut *c)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// How many audit records of `action` there are.
async fn audited(app: &App, action: &str) -> i64 {
    let mut c = app.conn().await;
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM audit_log WHERE action = $1")
        .bind(action)
        .fetch_one(&mut *c)
        .await
        .unwrap()
}

async fn count(app: &App, sql: &str) -> i64 {
    let mut c = app.conn().await;
    scalar(&mut c, sql).await
}

async fn request_state(app: &App) -> String {
    text(app, "SELECT state FROM payment_requests").await
}

/// The references of the attempts, oldest first, with their states.
async fn attempts(app: &App) -> Vec<(String, String)> {
    let mut c = app.conn().await;
    sqlx::query_as("SELECT reference, state FROM payment_attempts ORDER BY id")
        .fetch_all(&mut *c)
        .await
        .unwrap()
}

/// A confirm message for `reference` as the platform signs it (or
/// `secret` would).
fn confirm(reference: &str, txn: &str, code: &str, amount: i64, at: i64, secret: &str) -> Confirm {
    let mut c = Confirm {
        partner_code: DEMO_PARTNER.into(),
        reference: reference.into(),
        platform_txn_id: txn.into(),
        result_code: code.into(),
        amount,
        currency: protocol::CURRENCY.into(),
        bank_code: "NCB".into(),
        paid_at: protocol::timestamp(at),
        signature: String::new(),
    };
    c.sign_with(secret);
    c
}

async fn post_confirm(app: &App, body: &[u8]) -> (StatusCode, String) {
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/payments/confirm", app.base()))
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    let s = r.status();
    let v: serde_json::Value = r.json().await.unwrap_or_default();
    (s, v["code"].as_str().unwrap_or_default().to_string())
}

async fn poll(app: &App) -> motcua_payments::jobs::PollReport {
    let state = app.state();
    motcua_payments::jobs::poll(state, &state.payments(), state.now())
        .await
        .expect("poll")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_pays_the_fees_first_and_gets_a_receipt_for_each_kind() {
    each_backend(|db| async move {
        let p = paying(db).await;
        let (app, n) = (&p.app, p.app.name());
        // What, why, how much, by when; fee and charge apart.
        let page = p
            .citizen
            .get(&format!("/account/dossiers/{}", p.code))
            .await;
        let box_ = between(
            &page.text,
            "<section class=\"notice\" id=\"payment-",
            "</section>",
        );
        for want in [
            "Phí cấp bản sao trích lục",
            "Thông tư 281/2016/TT-BTC",
            "Lệ phí đăng ký hộ tịch (trực tuyến)",
            "8.000 đ",
            "10.000 đ",
            "18.000 đ",
            "Chưa nộp",
            "Hạn nộp",
            "Thanh toán trực tuyến",
        ] {
            assert!(box_.contains(want), "{n}: {want} in {box_}");
        }
        for never in [
            "Lệ phí nộp tại quầy",
            "Phí dịch vụ cho tổ chức",
            "Phí trích lục khi nhận kết quả",
        ] {
            assert!(!box_.contains(never), "{n}: {never} is not owed now");
        }
        // Nobody else reaches the request.
        let (_, other) = citizen(app, "lan.tran", "Trần Thị Lan").await;
        let action = between(&page.text, "action=\"/account/dossiers/", "/pay\"");
        let csrf = other.get("/account").await.csrf();
        let r = other
            .post_form(
                &format!("/account/dossiers/{action}/pay"),
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{n}");
        assert_eq!(p.sim.inits(), 0, "{n}: nothing sent for a stranger");

        let pay_url = press_pay(&p, &p.citizen).await;
        assert_eq!(attempts(app).await.len(), 1, "{n}");
        assert_eq!(request_state(app).await, "awaiting", "{n}");
        let back = bank(&p, &pay_url, "success").await;
        // The callback settled it before the payer is back: the clock runs.
        assert_eq!(request_state(app).await, "paid", "{n}");
        let (status, appointment) = status_of(app, &p.code).await;
        assert_eq!(status, 2, "{n}: accepted once paid");
        assert!(appointment.is_some(), "{n}");
        assert_eq!(come_back(&p.citizen, &back).await, "payment_paid", "{n}");
        // Two receipts, fee and charge apart, in the person's documents.
        let page = p
            .citizen
            .get(&format!("/account/dossiers/{}", p.code))
            .await;
        assert!(page.text.contains("Đã nộp"), "{n}");
        let fee = between(&page.text, "href=\"", "receipts/phi.pdf\"");
        let fee = format!(
            "{}receipts/phi.pdf",
            &fee[fee.rfind("/account/").unwrap()..]
        );
        let text_fee = pdf_text(&p.citizen, &fee).await;
        assert!(
            text_fee.contains("BIÊNLAITHUPHÍ") && text_fee.contains("8.000đ"),
            "{n}: {text_fee}"
        );
        assert!(
            !text_fee.contains("10.000đ"),
            "{n}: the charge is not on the fee receipt"
        );
        let text_charge = pdf_text(&p.citizen, &fee.replace("phi.pdf", "le_phi.pdf")).await;
        assert!(
            text_charge.contains("BIÊNLAITHULỆPHÍ") && text_charge.contains("10.000đ"),
            "{n}: {text_charge}"
        );
        let docs = p.citizen.get("/account/documents").await;
        assert!(
            docs.text.contains("Biên lai thu phí") && docs.text.contains("Biên lai thu lệ phí"),
            "{n}"
        );
        // A stranger gets neither receipt.
        assert_eq!(other.get(&fee).await.status, StatusCode::NOT_FOUND, "{n}");
        // Paying again: nothing to pay, nothing sent.
        let inits = p.sim.inits();
        let page = p
            .citizen
            .get(&format!("/account/dossiers/{}", p.code))
            .await;
        assert!(
            !page.text.contains("/pay\""),
            "{n}: no pay button once paid"
        );
        let r = p
            .citizen
            .post_form(
                &format!("/account/dossiers/{action}/pay"),
                &[("csrf", &page.csrf())],
            )
            .await;
        assert_eq!(
            r.location(),
            Some(format!("/account/dossiers/{}?flash=payment_paid", p.code).as_str()),
            "{n}"
        );
        assert_eq!(p.sim.inits(), inits, "{n}");
        // The same callback again, and a failure after it: harmless.
        let (reference, _) = attempts(app).await.remove(0);
        let txn = text(app, "SELECT platform_txn_id FROM payment_attempts").await;
        let now = app.state().now();
        let again =
            serde_json::to_vec(&confirm(&reference, &txn, "00", 18_000, now, DEMO_SECRET)).unwrap();
        assert_eq!(
            post_confirm(app, &again).await,
            (StatusCode::OK, "00".into()),
            "{n}"
        );
        let failed =
            serde_json::to_vec(&confirm(&reference, &txn, "02", 18_000, now, DEMO_SECRET)).unwrap();
        assert_eq!(
            post_confirm(app, &failed).await,
            (StatusCode::OK, "00".into()),
            "{n}"
        );
        assert_eq!(request_state(app).await, "paid", "{n}");
        assert_eq!(audited(app, "payments.paid").await, 1, "{n}");
        assert_eq!(audited(app, "handling.paid").await, 1, "{n}");
        // The receiver sees the dossier processing.
        let case = p
            .ward
            .receiver
            .get(&format!("/agency/dossiers/{}", p.code))
            .await;
        assert_eq!(case.status, StatusCode::OK, "{n}");
        app.assert_audit_intact().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_leave_it_unpaid_and_pending_settles_by_the_poller() {
    each_backend(|db| async move {
        let p = paying(db).await;
        let (app, n) = (&p.app, p.app.name());
        // Failure, then the payer cancels: unpaid, nothing charged.
        for (choice, code) in [("failure", "02"), ("cancel", "03")] {
            let pay_url = press_pay(&p, &p.citizen).await;
            let back = bank(&p, &pay_url, choice).await;
            assert_eq!(
                come_back(&p.citizen, &back).await,
                "payment_not_paid",
                "{n}: {choice}"
            );
            assert_eq!(request_state(app).await, "unpaid", "{n}: {choice}");
            let last = attempts(app).await.pop().unwrap();
            assert_eq!(last.1, "failed", "{n}: {choice}");
            let got = text(
                app,
                &format!(
                    "SELECT result_code FROM payment_attempts WHERE reference = '{}'",
                    last.0
                ),
            )
            .await;
            assert_eq!(got, code, "{n}");
            assert_eq!(status_of(app, &p.code).await.0, 6, "{n}");
        }
        // Pending: the platform does not know; no callback ever comes.
        let pay_url = press_pay(&p, &p.citizen).await;
        let back = bank(&p, &pay_url, "pending").await;
        assert_eq!(come_back(&p.citizen, &back).await, "payment_pending", "{n}");
        assert_eq!(request_state(app).await, "awaiting", "{n}");
        let page = p
            .citizen
            .get(&format!("/account/dossiers/{}", p.code))
            .await;
        assert!(page.text.contains("Tiếp tục thanh toán"), "{n}");
        // Before poll_after nothing is asked.
        let calls = p.sim.callbacks_sent();
        assert_eq!(poll(app).await.asked, 0, "{n}");
        // The bank answers later, without a callback.
        let (reference, _) = attempts(app).await.pop().unwrap();
        assert!(p.sim.settle(&reference, true, false).await, "{n}");
        app.advance(31 * 60_000);
        let report = poll(app).await;
        assert_eq!((report.asked, report.paid), (1, 1), "{n}: {report:?}");
        assert_eq!(p.sim.callbacks_sent(), calls, "{n}: no callback was needed");
        assert_eq!(request_state(app).await, "paid", "{n}");
        assert_eq!(status_of(app, &p.code).await.0, 2, "{n}");
        assert_eq!(report.receipts, 1, "{n}: the poller fetched the receipts");
        // Nothing left to ask.
        app.advance(3_600_000);
        assert_eq!(poll(app).await.asked, 0, "{n}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_payment_expires_and_a_second_success_is_a_refund_to_make() {
    each_backend(|db| async move {
        let p = paying(db).await;
        let (app, n) = (&p.app, p.app.name());
        let pay_url = press_pay(&p, &p.citizen).await;
        bank(&p, &pay_url, "pending").await;
        let (first, _) = attempts(app).await.remove(0);
        // Asked with a growing wait, then given up after three days.
        let mut asked = 0;
        for _ in 0..40 {
            app.advance(2 * 3_600_000);
            asked += poll(app).await.asked;
            if request_state(app).await == "unpaid" {
                break;
            }
        }
        assert_eq!(attempts(app).await[0].1, "expired", "{n}");
        assert!((5..=40).contains(&asked), "{n}: {asked} questions");
        assert_eq!(request_state(app).await, "unpaid", "{n}");
        assert_eq!(
            text(app, "SELECT kind FROM payment_mismatches").await,
            "unknown",
            "{n}: the operator sees it"
        );
        // The citizen (logged in again: three days went by) pays again:
        // a new attempt, paid.
        p.sim.set_now(app.state().now());
        let citizen = app.browser();
        assert_eq!(
            citizen
                .login("hoa.nguyen", crate::dossiers::PW)
                .await
                .status,
            StatusCode::SEE_OTHER
        );
        let pay_url = press_pay(&p, &citizen).await;
        assert_ne!(attempts(app).await[1].0, first, "{n}: a new reference");
        bank(&p, &pay_url, "success").await;
        assert_eq!(request_state(app).await, "paid", "{n}");
        // The bank then pays the first one too (with a callback): one paid
        // transaction per request, ever — the other is money to give back.
        assert!(p.sim.settle(&first, true, true).await, "{n}");
        assert_eq!(attempts(app).await[0].1, "duplicate", "{n}");
        assert_eq!(
            count(
                app,
                "SELECT COUNT(*) FROM payment_attempts WHERE state = 'paid'"
            )
            .await,
            1,
            "{n}"
        );
        assert_eq!(
            count(
                app,
                "SELECT COUNT(*) FROM payment_mismatches WHERE kind = 'refund_needed'"
            )
            .await,
            1,
            "{n}"
        );
        assert_eq!(audited(app, "payments.paid").await, 1, "{n}");
        assert_eq!(audited(app, "handling.paid").await, 1, "{n}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_missing_and_duplicate_callbacks_pay_once() {
    each_backend(|db| async move {
        let p = paying(db).await;
        let (app, n) = (&p.app, p.app.name());
        // Three callbacks at once: one payment, one audit record.
        let pay_url = press_pay(&p, &p.citizen).await;
        let back = bank(&p, &pay_url, "duplicate").await;
        assert_eq!(request_state(app).await, "paid", "{n}");
        assert_eq!(come_back(&p.citizen, &back).await, "payment_paid", "{n}");
        let reference = attempts(app).await.remove(0).0;
        let verdicts = motcua_payments::service::callbacks_of(app.state(), &reference)
            .await
            .unwrap();
        let mut v: Vec<_> = verdicts.into_iter().map(|(v, _)| v).collect();
        v.sort();
        assert_eq!(v, ["already_paid", "already_paid", "paid"], "{n}");
        assert_eq!(audited(app, "payments.paid").await, 1, "{n}");
        let mails = app.mails_to("hoa.nguyen@example.vn").len();

        // Another dossier: no callback at all — the return page asks.
        let second = another_dossier(&p).await;
        let pay_url = press_pay_for(&p, &p.citizen, &second).await;
        let back = bank(&p, &pay_url, "no_callback").await;
        assert_eq!(
            count(
                app,
                "SELECT COUNT(*) FROM payment_requests WHERE state = 'paid'"
            )
            .await,
            1,
            "{n}"
        );
        assert_eq!(come_back(&p.citizen, &back).await, "payment_paid", "{n}");
        assert_eq!(
            count(
                app,
                "SELECT COUNT(*) FROM payment_requests WHERE state = 'paid'"
            )
            .await,
            2,
            "{n}"
        );

        // A third: the callback comes late, after the return page settled.
        p.sim.set_late_delay(Duration::from_millis(300));
        let third = another_dossier(&p).await;
        let pay_url = press_pay_for(&p, &p.citizen, &third).await;
        let back = bank(&p, &pay_url, "late").await;
        assert_eq!(come_back(&p.citizen, &back).await, "payment_paid", "{n}");
        let late_ref = attempts(app).await.pop().unwrap().0;
        for _ in 0..50 {
            if !motcua_payments::service::callbacks_of(app.state(), &late_ref)
                .await
                .unwrap()
                .is_empty()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let v = motcua_payments::service::callbacks_of(app.state(), &late_ref)
            .await
            .unwrap();
        assert_eq!(
            v.iter().map(|(v, _)| v.as_str()).collect::<Vec<_>>(),
            ["already_paid"],
            "{n}"
        );
        assert_eq!(audited(app, "payments.paid").await, 3, "{n}");
        app.drain().await;
        assert!(app.mails_to("hoa.nguyen@example.vn").len() >= mails, "{n}");
    })
    .await;
}

/// Another birth registration of the same citizen, accepted, waiting for
/// its fees; its code.
async fn another_dossier(p: &Paying) -> String {
    let code = submit_birth(&p.app, &p.citizen).await;
    let dept = p.ward.dept.to_string();
    let r = act(
        &p.ward.receiver,
        &code,
        &[("kind", "accept"), ("to", "handle"), ("unit", &dept)],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    code
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_amount_is_never_settled_and_forged_callbacks_change_nothing() {
    each_backend(|db| async move {
        let p = paying(db).await;
        let (app, n) = (&p.app, p.app.name());
        // The bank pays 1,000 đ less: the callback is answered 04, nothing
        // is paid, the operator sees the amounts.
        let pay_url = press_pay(&p, &p.citizen).await;
        let back = bank(&p, &pay_url, "wrong_amount").await;
        assert_eq!(
            come_back(&p.citizen, &back).await,
            "payment_mismatch",
            "{n}"
        );
        assert_eq!(request_state(app).await, "awaiting", "{n}");
        assert_eq!(status_of(app, &p.code).await.0, 6, "{n}");
        let mut c = app.conn().await;
        let (kind, ours, theirs): (String, i64, i64) =
            sqlx::query_as("SELECT kind, our_amount, their_amount FROM payment_mismatches")
                .fetch_one(&mut *c)
                .await
                .unwrap();
        drop(c);
        assert_eq!(
            (kind.as_str(), ours, theirs),
            ("amount", 18_000, 17_000),
            "{n}"
        );
        let (reference, _) = attempts(app).await.remove(0);
        let verdicts = motcua_payments::service::callbacks_of(app.state(), &reference)
            .await
            .unwrap();
        assert_eq!(verdicts[0].0, "amount_mismatch", "{n}");
        // The poller keeps seeing the same mismatch: recorded once.
        app.advance(31 * 60_000);
        poll(app).await;
        assert_eq!(
            count(app, "SELECT COUNT(*) FROM payment_mismatches").await,
            1,
            "{n}"
        );
        assert_eq!(request_state(app).await, "awaiting", "{n}");

        // Forgeries and garbage at the callback: 4xx, nothing changes.
        let txn = text(app, "SELECT platform_txn_id FROM payment_attempts").await;
        let now = app.state().now();
        let forged = serde_json::to_vec(&confirm(
            &reference,
            &txn,
            "00",
            18_000,
            now,
            "not-the-secret",
        ))
        .unwrap();
        assert_eq!(
            post_confirm(app, &forged).await,
            (StatusCode::BAD_REQUEST, "97".into()),
            "{n}"
        );
        let mut no_sig = confirm(&reference, &txn, "00", 18_000, now, DEMO_SECRET);
        no_sig.signature.clear();
        let no_sig = serde_json::to_vec(&no_sig).unwrap();
        assert_eq!(
            post_confirm(app, &no_sig).await.0,
            StatusCode::BAD_REQUEST,
            "{n}"
        );
        let mut other_partner = confirm(&reference, &txn, "00", 18_000, now, DEMO_SECRET);
        other_partner.partner_code = "KHAC".into();
        other_partner.sign_with(DEMO_SECRET);
        let other_partner = serde_json::to_vec(&other_partner).unwrap();
        assert_eq!(
            post_confirm(app, &other_partner).await,
            (StatusCode::OK, "09".into()),
            "{n}"
        );
        let unknown = serde_json::to_vec(&confirm(
            "khong-co-1",
            "PG1",
            "00",
            18_000,
            now,
            DEMO_SECRET,
        ))
        .unwrap();
        assert_eq!(
            post_confirm(app, &unknown).await,
            (StatusCode::OK, "09".into()),
            "{n}"
        );
        let mut dollars = confirm(&reference, &txn, "00", 18_000, now, DEMO_SECRET);
        dollars.currency = "USD".into();
        dollars.sign_with(DEMO_SECRET);
        let dollars = serde_json::to_vec(&dollars).unwrap();
        assert_eq!(
            post_confirm(app, &dollars).await,
            (StatusCode::OK, "04".into()),
            "{n}"
        );
        for garbage in [
            &b""[..],
            b"{",
            b"[]",
            b"{\"reference\": 1}",
            &[0xff, 0xfe, 0x00][..],
            &vec![b'x'; 100_000][..],
        ] {
            let (s, _) = post_confirm(app, garbage).await;
            assert!(s.is_client_error(), "{n}: {s}");
        }
        assert_eq!(request_state(app).await, "awaiting", "{n}");
        assert_eq!(audited(app, "payments.paid").await, 0, "{n}");
        assert!(
            count(
                app,
                "SELECT COUNT(*) FROM payment_callbacks WHERE verdict = 'bad_signature'"
            )
            .await
                >= 2,
            "{n}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_with_a_bad_signature_is_refused_and_the_status_query_settles() {
    each_backend(|db| async move {
        let p = paying(db).await;
        let (app, n) = (&p.app, p.app.name());
        let pay_url = press_pay(&p, &p.citizen).await;
        let back = bank(&p, &pay_url, "bad_signature").await;
        let (reference, _) = attempts(app).await.remove(0);
        let verdicts = motcua_payments::service::callbacks_of(app.state(), &reference)
            .await
            .unwrap();
        assert!(
            !verdicts.is_empty() && verdicts.iter().all(|(v, _)| v == "bad_signature"),
            "{n}: {verdicts:?}"
        );
        assert_eq!(
            request_state(app).await,
            "awaiting",
            "{n}: the forged word is not believed"
        );
        // The payer's return asks the platform, whose signed answer pays.
        assert_eq!(come_back(&p.citizen, &back).await, "payment_paid", "{n}");
        assert_eq!(request_state(app).await, "paid", "{n}");
        // The return page believes nothing in its query: another
        // reference, or another person's, is not found.
        assert_eq!(
            p.citizen
                .get("/account/payments/return?ref=khong-co-1")
                .await
                .status,
            StatusCode::NOT_FOUND,
            "{n}"
        );
        let (_, other) = citizen(app, "lan.tran", "Trần Thị Lan").await;
        assert_eq!(other.get(&back).await.status, StatusCode::NOT_FOUND, "{n}");
        assert_eq!(
            p.citizen.get("/account/payments/return").await.status,
            StatusCode::NOT_FOUND,
            "{n}"
        );
    })
    .await;
}

/// Reconciles `day` as the operator does, from the console.
async fn reconcile(p: &Paying, day: &str) -> Page {
    p.ward
        .op
        .submit(
            "/console/payments",
            "/console/payments/reconcile",
            &[("day", day)],
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_reconciliation_lists_every_mismatch_once() {
    each_backend(|db| async move {
        let mut p = paying(db).await;
        let (app, n) = (&p.app, p.app.name());
        // Four dossiers paid on Tuesday 2/3/2027 at the platform:
        // matched; paid here, not in the list; in the list, not paid here
        // (no callback, the payer never came back, no poll yet); paid
        // 1,000 đ less.
        let mut refs = Vec::new();
        let mut codes = vec![p.code.clone()];
        for _ in 0..3 {
            codes.push(another_dossier(&p).await);
        }
        for (code, choice) in codes.iter().zip(["success", "success", "no_callback", "wrong_amount"]) {
            let pay_url = press_pay_for(&p, &p.citizen, code).await;
            bank(&p, &pay_url, choice).await;
            refs.push(attempts(app).await.pop().unwrap().0);
        }
        p.sim.hide_from_day_list(&refs[1]);
        assert_eq!(count(app, "SELECT COUNT(*) FROM payment_requests WHERE state = 'paid'").await, 2, "{n}");
        // Wednesday, 03:00: the operator runs Tuesday.
        set_clock(app, vn(2027, 3, 3, 3, 0));
        p.ward.op = app.operator_browser_again().await;
        let r = reconcile(&p, "2027-03-02").await;
        assert_eq!(r.location(), Some("/console/payments?day=2027-03-02&flash=reconciled"), "{n}: {}", r.text);
        let mut c = app.conn().await;
        let mut found: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT kind, reference, action FROM payment_mismatches WHERE day = '20270302' ORDER BY kind",
        )
        .fetch_all(&mut *c)
        .await
        .unwrap();
        drop(c);
        found.sort();
        assert_eq!(
            found,
            [
                ("amount".to_string(), refs[3].clone(), "not_settled".to_string()),
                ("missing_here".into(), refs[2].clone(), "settled_from_list".into()),
                ("missing_there".into(), refs[1].clone(), "asked_platform:00".into()),
            ],
            "{n}"
        );
        // The one in the list and not paid here is paid now, from the list.
        assert_eq!(count(app, "SELECT COUNT(*) FROM payment_requests WHERE state = 'paid'").await, 3, "{n}");
        assert_eq!(status_of(app, &codes[2]).await.0, 2, "{n}");
        let (items, matched, mismatches): (i64, i64, i64) = {
            let mut c = app.conn().await;
            sqlx::query_as("SELECT items, matched, mismatches FROM payment_reconciliations WHERE day = '20270302'")
                .fetch_one(&mut *c)
                .await
                .unwrap()
        };
        assert_eq!((items, matched, mismatches), (3, 1, 3), "{n}");
        // The page shows them; a rerun adds nothing.
        let page = p.ward.op.get("/console/payments?day=2027-03-02").await;
        assert_eq!(page.status, StatusCode::OK, "{n}");
        for r in &refs[1..] {
            assert!(page.text.contains(r.as_str()), "{n}: {r}");
        }
        let r = reconcile(&p, "2027-03-02").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        assert_eq!(count(app, "SELECT COUNT(*) FROM payment_mismatches").await, 3, "{n}: nothing twice");
        // The operator closes one, saying what was done; audited.
        let id = text(app, &format!("SELECT CAST(id AS TEXT) FROM payment_mismatches WHERE reference = '{}'", refs[3])).await;
        let r = p
            .ward
            .op
            .submit("/console/payments", &format!("/console/payments/mismatches/{id}/resolve"), &[("note", "")])
            .await;
        assert!(r.status.is_client_error(), "{n}: a note is required");
        let r = p
            .ward
            .op
            .submit(
                "/console/payments",
                &format!("/console/payments/mismatches/{id}/resolve"),
                &[("note", "Ngân hàng NCB xác nhận thiếu 1.000 đ; công dân nộp bổ sung tại quầy")],
            )
            .await;
        assert_eq!(r.location(), Some("/console/payments?flash=mismatch_resolved"), "{n}: {}", r.text);
        assert_eq!(count(app, "SELECT COUNT(*) FROM payment_mismatches WHERE state = 'open'").await, 2, "{n}");
        assert_eq!(audited(app, "payments.mismatch_resolved").await, 1, "{n}");
        // Bad days are refused in words: unreadable, today, the future.
        for bad in ["", "2027-13-01", "2027-03-03", "2030-01-01", "x"] {
            let r = reconcile(&p, bad).await;
            assert!(r.status.is_client_error(), "{n}: {bad}: {}", r.status);
        }
        // Only the operator.
        let citizen = app.browser();
        assert_eq!(citizen.login("hoa.nguyen", crate::dossiers::PW).await.status, StatusCode::SEE_OTHER);
        let r = citizen.get("/console/payments").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{n}");

        // The same day from the platform's file: the same verdicts.
        let dir = tempfile::tempdir().unwrap();
        let (name, content) = p.sim.day_file("20270302");
        std::fs::write(dir.path().join(&name), content).unwrap();
        let mut cfg = app.state().platform.as_ref().unwrap().config().clone();
        cfg.day_files = Some(dir.path().to_path_buf());
        let mut pay = app.state().payments();
        pay.platform = Some(std::sync::Arc::new(motcua_payments::client::Platform::new(cfg).unwrap()));
        let report = motcua_payments::jobs::reconcile(app.state(), &pay, "20270302", app.state().now(), true)
            .await
            .unwrap();
        assert_eq!((report.items, report.matched), (3, 2), "{n}: {report:?}");
        assert_eq!(count(app, "SELECT COUNT(*) FROM payment_mismatches").await, 3, "{n}");
        // A tampered file is refused.
        let (name, content) = p.sim.day_file("20270302");
        std::fs::write(dir.path().join(&name), content.replace("17000", "18000")).unwrap();
        assert!(
            motcua_payments::jobs::reconcile(app.state(), &pay, "20270302", app.state().now(), true)
                .await
                .is_err(),
            "{n}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fee_schedules_are_checked_versioned_and_only_for_operators() {
    each_backend(|db| async move {
        let p = paying(db).await;
        let (app, n) = (&p.app, p.app.name());
        let path = format!("/console/catalog/{BIRTH}/fees");
        for (bad, says) in [
            ("{", "Biểu phí không đọc được"),
            (r#"{"lines": [{"key": "A B", "kind": "tax", "name": "", "amount": -1, "timing": "later"}]}"#, "Mã khoản chỉ gồm"),
            (r#"{"lines": [{"key": "a", "kind": "fee", "name": "x", "amount": 1, "timing": "before", "channels": [9]}]}"#, "Kênh nộp chỉ gồm"),
            (r#"{"lines": [{"key": "a", "kind": "fee", "name": "x", "amount": 1, "timing": "before", "exempt_for": ["poor"]}]}"#, "Đối tượng miễn"),
        ] {
            let r = p.ward.op.submit(&path, &path, &[("schedule", bad)]).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}: {bad}");
            assert!(r.text.contains(says), "{n}: {says}");
        }
        assert_eq!(count(app, "SELECT COUNT(*) FROM catalog_fee_schedules").await, 1, "{n}");
        // A second version; the first stays in the history; the dossier
        // already asked keeps its lines.
        let v2 = SCHEDULE.replace("\"amount\": 8000", "\"amount\": 9000");
        let r = p.ward.op.submit(&path, &path, &[("schedule", &v2), ("note", "Mức mới")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        let page = p.ward.op.get(&path).await;
        assert!(page.text.contains("v2") && page.text.contains("v1") && page.text.contains("9.000 đ") && page.text.contains("Mức mới"), "{n}");
        let mine = p.citizen.get(&format!("/account/dossiers/{}", p.code)).await;
        assert!(mine.text.contains("18.000 đ"), "{n}: asked before v2");
        assert_eq!(audited(app, "catalog.fees_publish").await, 2, "{n}");
        // Nobody else edits; an unknown procedure is not found.
        assert_eq!(p.citizen.get(&path).await.status, StatusCode::FORBIDDEN, "{n}");
        assert_eq!(p.ward.receiver.get(&path).await.status, StatusCode::FORBIDDEN, "{n}");
        assert_eq!(p.ward.op.get("/console/catalog/9.999999/fees").await.status, StatusCode::NOT_FOUND, "{n}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agency_asks_for_a_payment_during_handling_and_the_deadline_waits() {
    each_backend(|db| async move {
        let (app, sim, server) = with_platform(db).await;
        let n = app.name();
        let ward = ward(&app).await;
        let console = format!("/console/agencies/{}/units", crate::handling::AGENCY);
        crate::handling::servant(&app, "cb_xuly", "Phạm Văn Xử").await;
        crate::handling::servant(&app, "cb_duyet", "Lê Văn Duyệt").await;
        for (who, role) in [("cb_xuly", "handler"), ("cb_duyet", "approver")] {
            let r = crate::handling::grant(&app, &ward.op, &console, ward.dept, who, role).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        }
        let handler = crate::handling::login(&app, "cb_xuly", crate::handling::PW).await;
        let approver = crate::handling::login(&app, "cb_duyet", crate::handling::PW).await;
        let (_, citizen_b) = citizen(&app, "hoa.nguyen", "Nguyễn Thị Hoa").await;
        let code = submit_birth(&app, &citizen_b).await;
        let dept = ward.dept.to_string();
        let r = act(&ward.receiver, &code, &[("kind", "accept"), ("to", "handle"), ("unit", &dept)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        let (status, deadline) = status_of(&app, &code).await;
        assert_eq!(status, 2, "{n}: no schedule, nothing owed first");
        let deadline = deadline.expect("a date");
        let path = format!("/agency/dossiers/{code}/payment-request");
        let case = format!("/agency/dossiers/{code}");
        let good = [
            ("kind", "charge"),
            ("name", "Lệ phí cấp bản sao trích lục bổ sung"),
            ("amount", "15.000"),
            ("note", "Công dân đề nghị thêm 1 bản sao trích lục."),
        ];
        // Bad input: refused in words, nothing changes.
        for (field, bad) in [("amount", "mười lăm nghìn"), ("amount", "0"), ("amount", "99999999999"), ("kind", "tax"), ("note", ""), ("name", "")] {
            let fields: Vec<(&str, &str)> = good
                .iter()
                .map(|(k, v)| (*k, if *k == field { bad } else { *v }))
                .collect();
            let r = handler.submit(&case, &path, &fields).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}: {field}={bad}");
            assert!(r.text.contains("id=\"errors\""), "{n}: said beside the form");
            if field != "name" {
                assert!(r.text.contains("Lệ phí cấp bản sao trích lục bổ sung"), "{n}: kept as typed");
            }
        }
        // Not the step's role (an approver of the department), not of the
        // unit (the one-stop receiver): refused.
        let r = approver.submit(&case, &path, &good).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{n}");
        let r = ward.receiver.submit(&case, &path, &good).await;
        assert!(r.status == StatusCode::NOT_FOUND || r.status == StatusCode::FORBIDDEN, "{n}: {}", r.status);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM payment_requests").await, 0, "{n}");
        assert_eq!(status_of(&app, &code).await.0, 2, "{n}");

        // The handler asks: status 6, the clock stops; the applicant reads
        // why, how much, by when.
        let r = handler.submit(&case, &path, &good).await;
        assert_eq!(r.location(), Some(format!("{case}?flash=payment_requested").as_str()), "{n}: {}", r.text);
        assert_eq!(status_of(&app, &code).await.0, 6, "{n}");
        let r = handler.submit(&case, &path, &good).await;
        assert!(r.status.is_client_error(), "{n}: one open request at a time");
        let page = citizen_b.get(&format!("/account/dossiers/{code}")).await;
        for want in ["Lệ phí cấp bản sao trích lục bổ sung", "15.000 đ", "Công dân đề nghị thêm 1 bản sao trích lục.", "Thanh toán trực tuyến"] {
            assert!(page.text.contains(want), "{n}: {want}");
        }
        let page = handler.get(&case).await;
        assert!(page.text.contains("15.000 đ") && page.text.contains("Chưa nộp"), "{n}");
        // A working day later (Wednesday 3/3, 09:00) the citizen pays.
        set_clock(&app, vn(2027, 3, 3, 9, 0));
        sim.set_now(app.state().now());
        let citizen_b = app.browser();
        assert_eq!(citizen_b.login("hoa.nguyen", crate::dossiers::PW).await.status, StatusCode::SEE_OTHER);
        let p = Paying {
            app,
            sim,
            _server: server,
            ward,
            citizen: citizen_b.clone(),
            code: code.clone(),
        };
        let pay_url = press_pay(&p, &citizen_b).await;
        let back = bank_of(&p, &pay_url, "success", "15.000 đ").await;
        assert_eq!(come_back(&citizen_b, &back).await, "payment_paid", "{n}");
        let (status, after) = status_of(&p.app, &code).await;
        assert_eq!(status, 4, "{n}: back to processing");
        // The deadline moves on by the working day the applicant took.
        let cal = motcua_kernel::calendar::current(p.app.state()).await.unwrap();
        let hours = p.app.state().config.working_hours.clone();
        let clock = motcua_handling::clock::Clock { cal: &cal, hours: &hours, cutoff: Some(time::macros::time!(15:00)) };
        let waited = clock.working_time(vn(2027, 3, 2, 9, 0), p.app.state().now().min(after.unwrap()));
        assert!(waited >= 7 * 3_600_000, "{n}: {waited}");
        let expected = clock.add_working_time(deadline, clock.working_time(
            text(&p.app, &format!("SELECT CAST(MIN(started_at) AS TEXT) FROM handling_slips s JOIN dossiers d ON d.id = s.dossier_id WHERE d.code = '{code}' AND s.step = 'applicant'")).await.parse().unwrap(),
            text(&p.app, "SELECT CAST(paid_at AS TEXT) FROM payment_requests").await.parse().unwrap(),
        ));
        assert_eq!(after, Some(expected), "{n}");
        assert!(after.unwrap() > deadline, "{n}");
        let handler = crate::handling::login(&p.app, "cb_xuly", crate::handling::PW).await;
        let page = handler.get(&case).await;
        assert!(page.text.contains("Đã nộp") && page.text.contains("Yêu cầu nộp phí, lệ phí"), "{n}: the slip and the box");
        assert_eq!(audited(&p.app, "handling.payment_requested").await, 1, "{n}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fees_due_with_the_result_hold_it_until_paid_and_a_refund_is_recorded() {
    each_backend(|db| async move {
        let sim = Simulator::new("http://127.0.0.1:9");
        let server = sim.start().await.expect("simulator");
        let app = spawn_app_with(db, Opts { paygov: Some(server.base_url.clone()), ..Default::default() }).await;
        let n = app.name();
        seeded(&app).await;
        set_clock(&app, vn(2027, 3, 2, 9, 0));
        let ward = ward(&app).await;
        let one_stop = count(&app, "SELECT id FROM handling_units WHERE code = 'MC'").await;
        let console = format!("/console/agencies/{}/units", crate::handling::AGENCY);
        crate::handling::servant(&app, "cb_xuly", "Phạm Văn Xử").await;
        for (unit, who, role) in [(ward.dept, "cb_xuly", "handler"), (ward.dept, "cb_xuly", "approver"), (one_stop, "cb_nhan", "returner")] {
            let r = crate::handling::grant(&app, &ward.op, &console, unit, who, role).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        }
        let handler = crate::handling::login(&app, "cb_xuly", crate::handling::PW).await;
        let receiver = crate::handling::login(&app, "cb_nhan", crate::handling::PW).await;
        let path = format!("/console/catalog/{BIRTH}/fees");
        let after_only = r#"{"lines": [{"key": "trich_luc", "kind": "fee", "name": "Phí cấp bản sao trích lục", "amount": 3000, "timing": "after"}]}"#;
        let r = ward.op.submit(&path, &path, &[("schedule", after_only)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        let (_, citizen_b) = citizen(&app, "hoa.nguyen", "Nguyễn Thị Hoa").await;
        let code = submit_birth(&app, &citizen_b).await;
        let dept = ward.dept.to_string();
        let r = act(&receiver, &code, &[("kind", "accept"), ("to", "handle"), ("unit", &dept)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        assert_eq!(status_of(&app, &code).await.0, 2, "{n}: nothing due before");
        let page = citizen_b.get(&format!("/account/dossiers/{code}")).await;
        assert!(!page.text.contains("Thanh toán trực tuyến"), "{n}: nothing to pay yet");
        let r = act(&handler, &code, &[("kind", "forward"), ("to", "approve")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let r = crate::handling::add_result(&handler, &code, "Trích lục khai sinh", None, "Họ tên: Trần Minh Khôi").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let r = act(&handler, &code, &[("kind", "approve"), ("to", "return")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        assert_eq!(status_of(&app, &code).await.0, 9, "{n}");
        // The result waits for its fee.
        let r = act(&receiver, &code, &[("kind", "return")]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{n}");
        assert!(r.text.contains("còn khoản phí, lệ phí chưa nộp"), "{n}");
        assert_eq!(status_of(&app, &code).await.0, 9, "{n}");
        // Someone of no unit learns nothing.
        let (_, stranger) = crate::handling::servant(&app, "cb_khac", "Người Khác").await;
        let r = act(&stranger, &code, &[("kind", "return")]).await;
        assert!(r.status == StatusCode::NOT_FOUND || r.status == StatusCode::FORBIDDEN, "{n}: {}", r.status);
        // The citizen pays 3,000 đ; the status stays "result ready".
        sim.set_now(app.state().now());
        let p = Paying { app, sim, _server: server, ward, citizen: citizen_b.clone(), code: code.clone() };
        let pay_url = press_pay(&p, &citizen_b).await;
        let back = bank_of(&p, &pay_url, "success", "3.000 đ").await;
        assert_eq!(come_back(&citizen_b, &back).await, "payment_paid", "{n}");
        assert_eq!(status_of(&p.app, &code).await.0, 9, "{n}");
        let page = citizen_b.get(&format!("/account/dossiers/{code}")).await;
        assert!(page.text.contains("Đã nộp"), "{n}");
        let r = act(&receiver, &code, &[("kind", "return")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        assert_eq!(status_of(&p.app, &code).await.0, 10, "{n}");
        // The operator records a refund, saying why; the applicant is told.
        let public_id = text(&p.app, "SELECT public_id FROM payment_requests").await;
        let refund = format!("/console/payments/requests/{public_id}/refund");
        let r = p.ward.op.submit("/console/payments", &refund, &[("note", "")]).await;
        assert!(r.status.is_client_error(), "{n}");
        let r = p.ward.op.submit("/console/payments", &refund, &[("note", "Thu nhầm: bản sao được miễn phí")]).await;
        assert_eq!(r.location(), Some("/console/payments?flash=refunded"), "{n}: {}", r.text);
        assert_eq!(request_state(&p.app).await, "refunded", "{n}");
        let r = p.ward.op.submit("/console/payments", &refund, &[("note", "Lần nữa")]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{n}: once");
        let page = citizen_b.get(&format!("/account/dossiers/{code}")).await;
        assert!(page.text.contains("Đã hoàn trả") && page.text.contains("Thu nhầm: bản sao được miễn phí"), "{n}");
        assert_eq!(audited(&p.app, "payments.refunded").await, 1, "{n}");
        let r = citizen_b.post_form(&refund, &[("csrf", &page.csrf()), ("note", "x")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{n}: only the operator");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_request_lets_the_dossier_go_on_and_a_late_payment_is_a_refund() {
    each_backend(|db| async move {
        let p = paying(db).await;
        let (app, n) = (&p.app, p.app.name());
        // The citizen starts paying; the operator cancels the request
        // meanwhile (the fee was asked in error).
        let pay_url = press_pay(&p, &p.citizen).await;
        let public_id = text(app, "SELECT public_id FROM payment_requests").await;
        let cancel = format!("/console/payments/requests/{public_id}/cancel");
        let r = p
            .ward
            .op
            .submit("/console/payments", &cancel, &[("note", "")])
            .await;
        assert!(r.status.is_client_error(), "{n}: a reason is required");
        let r = p
            .ward
            .op
            .submit(
                "/console/payments",
                &cancel,
                &[("note", "Thu nhầm: thủ tục miễn phí")],
            )
            .await;
        assert_eq!(
            r.location(),
            Some("/console/payments?flash=request_cancelled"),
            "{n}: {}",
            r.text
        );
        assert_eq!(request_state(app).await, "cancelled", "{n}");
        let (status, appointment) = status_of(app, &p.code).await;
        assert_eq!(status, 2, "{n}: goes on as if paid");
        assert!(appointment.is_some(), "{n}");
        assert_eq!(audited(app, "payments.cancelled").await, 1, "{n}");
        let r = p
            .ward
            .op
            .submit("/console/payments", &cancel, &[("note", "Lần nữa")])
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{n}: once");
        // Nothing to pay any more on the page.
        let page = p
            .citizen
            .get(&format!("/account/dossiers/{}", p.code))
            .await;
        assert!(
            page.text.contains("Đã hủy") && !page.text.contains("/pay\""),
            "{n}"
        );
        // The bank pays the transaction started before: money to give back.
        bank(&p, &pay_url, "success").await;
        assert_eq!(request_state(app).await, "cancelled", "{n}");
        assert_eq!(
            count(
                app,
                "SELECT COUNT(*) FROM payment_mismatches WHERE kind = 'refund_needed'"
            )
            .await,
            1,
            "{n}"
        );
        assert_eq!(audited(app, "payments.paid").await, 0, "{n}");
        // Only the operator cancels.
        let r = p
            .citizen
            .post_form(&cancel, &[("csrf", &page.csrf()), ("note", "x")])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{n}");
    })
    .await;
}
