//! SIM signatures (R-ID-10): the TS 102 204 client against the simulated
//! MSSP over real HTTP on 127.0.0.1, the "phone" answered by form posts,
//! the returned signature checked by the same `Verifier` as a token's.
use motcua_pki::challenge::{Challenge, Purpose};
use motcua_pki::mss::*;
use motcua_pki::mss_sim::{PhoneAnswer, PhoneResult, SimServer, Simulator};
use motcua_pki::testca::{self, KeyAlg, LeafSpec, TestPki};
use motcua_pki::*;
use proptest::prelude::*;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// 2026-12-01T08:30:00Z
const NOW: Millis = 1_796_113_800_000;
const DAY: Millis = 86_400_000;
const ORIGIN: &str = "https://dichvucong.example.vn";
const PHONE: &str = "0912 345 678";
const MSISDN: &str = "84912345678";
const PIN: &str = "246810";
const DISPLAY: &str = "Đăng nhập Cổng Dịch vụ công quốc gia";

struct Env {
    pki: TestPki,
    sim: Simulator,
    server: SimServer,
    client: MssClient,
    leaf: testca::Issued,
}

/// Short waits so the tests run in a second or two.
fn fast(mut c: MssConfig) -> MssConfig {
    c.call_timeout = Duration::from_secs(5);
    c.overall_timeout = Duration::from_secs(10);
    c.poll_interval = Duration::from_millis(200);
    c.first_poll_delay = Duration::from_millis(100);
    c
}

async fn env_with(pki: TestPki, spec: LeafSpec) -> Env {
    let leaf = pki.issue(&spec).unwrap();
    let sim = Simulator::new();
    sim.set_now(NOW);
    assert_eq!(sim.add_subscriber(PHONE, PIN, &leaf).unwrap(), MSISDN);
    let server = sim.start().await.unwrap();
    let client = MssClient::new(fast(sim.client_config(&server.base_url))).unwrap();
    Env {
        pki,
        sim,
        server,
        client,
        leaf,
    }
}

async fn env() -> Env {
    let pki = TestPki::start(NOW).await.unwrap();
    env_with(pki, LeafSpec::person("Nguyễn Văn An", "001203004567", NOW)).await
}

fn challenge() -> String {
    Challenge::new(ORIGIN, Purpose::Login, NOW, 120_000).to_text()
}

fn verifier(pki: &TestPki) -> Verifier {
    Verifier {
        trust: pki.trust_store(),
        algorithms: AlgorithmPolicy::default(),
        revocation: RevocationChecker::new(AlgorithmPolicy::default(), RevocationPolicy::default())
            .unwrap(),
    }
}

fn hidden_txn(page: &str) -> Option<String> {
    let rest = page.split("name=\"txn\" value=\"").nth(1)?;
    rest.split('"').next().map(str::to_string)
}

/// The user picks up the phone: waits until the request page shows.
async fn open_phone(server: &SimServer) -> (String, String) {
    let http = reqwest::Client::new();
    for _ in 0..200 {
        let page = http
            .get(server.phone_url(MSISDN))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if let Some(txn) = hidden_txn(&page) {
            return (txn, page);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no request reached the phone");
}

/// A button press on the phone page (an HTML form post).
async fn press(server: &SimServer, txn: &str, action: &str, pin: &str) -> (u16, String) {
    let resp = reqwest::Client::new()
        .post(server.phone_url(MSISDN))
        .form(&[("txn", txn), ("pin", pin), ("action", action)])
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

#[tokio::test]
async fn sim_signature_full_flow_verifies_like_a_token() {
    let e = env().await;
    let text = challenge();
    let user = async {
        let (txn, page) = open_phone(&e.server).await;
        assert!(
            page.contains(&format!("<dd id=\"display\">{DISPLAY}</dd>")),
            "{page}"
        );
        assert!(
            page.contains(&format!("<dd id=\"origin\">{ORIGIN}</dd>")),
            "{page}"
        );
        assert!(page.contains("Đăng nhập <span lang=\"en\">(log in)</span>"));
        for id in [
            "id=\"pin\"",
            "id=\"approve\"",
            "id=\"cancel\"",
            "<label for=\"pin\">",
        ] {
            assert!(page.contains(id), "{id}");
        }
        let (status, page) = press(&e.server, &txn, "approve", PIN).await;
        assert_eq!(status, 200);
        assert!(page.contains("data-result=\"signed\""), "{page}");
    };
    let (outcome, ()) = tokio::join!(e.client.sign(PHONE, &text, DISPLAY, NOW), user);
    let MssOutcome::Signed {
        signature,
        certificate_der,
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(certificate_der, e.leaf.der());
    let v = verifier(&e.pki);
    let chain = v
        .verify(&certificate_der, &[], text.as_bytes(), &signature, NOW)
        .await
        .unwrap();
    assert_eq!(chain.certs.len(), 3);
    assert_eq!(chain.leaf().identity.personal_id(), Some("001203004567"));
    assert_eq!(
        chain.leaf().identity.holder_name.as_deref(),
        Some("Nguyễn Văn An")
    );
    // The signature is over this challenge only.
    assert_eq!(
        v.verify(
            &certificate_der,
            &[],
            challenge().as_bytes(),
            &signature,
            NOW
        )
        .await,
        Err(PkiError::BadSignature)
    );
    // The phone is idle again.
    assert_eq!(e.sim.pending(MSISDN), None);
}

#[tokio::test]
async fn step_by_step_with_an_organisation_rsa_certificate() {
    let pki = TestPki::start_with(NOW, KeyAlg::RsaA).await.unwrap();
    let mut spec = LeafSpec::organization("Công ty TNHH Thương mại Sao Mai", "0101234565", NOW);
    spec.key = KeyAlg::RsaB;
    let e = env_with(pki, spec).await;
    let text = challenge();
    let pending = e
        .client
        .request_signature("+84912345678", &text, DISPLAY, NOW)
        .await
        .unwrap();
    assert_eq!(pending.msisdn, MSISDN);
    assert!(pending.ap_trans_id.starts_with("MC"));
    assert_eq!(
        e.client.poll_status(&pending, NOW + 1000).await,
        Ok(MssOutcome::Pending)
    );
    let on_phone = e.sim.pending(MSISDN).unwrap();
    assert_eq!(on_phone.mssp_trans_id, pending.mssp_trans_id);
    assert_eq!(on_phone.data_to_be_signed, text);
    assert_eq!(on_phone.data_to_be_displayed.as_deref(), Some(DISPLAY));

    let (txn, _) = open_phone(&e.server).await;
    assert_eq!(press(&e.server, &txn, "approve", PIN).await.0, 200);
    let outcome = e.client.poll_status(&pending, NOW + 5000).await.unwrap();
    // Asking again gives the same answer.
    assert_eq!(
        e.client.poll_status(&pending, NOW + 6000).await.unwrap(),
        outcome
    );
    let MssOutcome::Signed {
        signature,
        certificate_der,
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    let chain = verifier(&e.pki)
        .verify(&certificate_der, &[], text.as_bytes(), &signature, NOW)
        .await
        .unwrap();
    assert_eq!(chain.leaf().key, KeyKind::Rsa { bits: 2048 });
    assert_eq!(chain.leaf().identity.tax_code(), Some("0101234565"));
}

#[tokio::test]
async fn user_cancels_on_the_phone() {
    let e = env().await;
    let text = challenge();
    let user = async {
        let (txn, _) = open_phone(&e.server).await;
        // Cancel needs no PIN.
        let (status, page) = press(&e.server, &txn, "cancel", "").await;
        assert_eq!(status, 200);
        assert!(page.contains("data-result=\"cancelled\""), "{page}");
        // The same request cannot be approved afterwards.
        let (status, page) = press(&e.server, &txn, "approve", PIN).await;
        assert_eq!(status, 409);
        assert!(page.contains("data-result=\"none\""));
    };
    let (outcome, ()) = tokio::join!(e.client.sign(MSISDN, &text, DISPLAY, NOW), user);
    assert_eq!(outcome, MssOutcome::Cancelled);
    assert_eq!(outcome.message_key(), "mss.cancelled");
}

#[tokio::test]
async fn wrong_pin_then_right_pin() {
    let e = env().await;
    let text = challenge();
    let pending = e
        .client
        .request_signature(PHONE, &text, DISPLAY, NOW)
        .await
        .unwrap();
    let (txn, _) = open_phone(&e.server).await;
    let (status, page) = press(&e.server, &txn, "approve", "000000").await;
    assert_eq!(status, 200);
    assert!(page.contains("id=\"pin-error\""), "{page}");
    assert!(page.contains("Còn 2 lần thử"), "{page}");
    assert!(page.contains("aria-invalid=\"true\""));
    assert_eq!(
        hidden_txn(&page).as_deref(),
        Some(txn.as_str()),
        "asked again"
    );
    assert_eq!(
        e.client.poll_status(&pending, NOW).await,
        Ok(MssOutcome::Pending)
    );
    assert_eq!(press(&e.server, &txn, "approve", PIN).await.0, 200);
    let MssOutcome::Signed {
        signature,
        certificate_der,
    } = e.client.poll_status(&pending, NOW).await.unwrap()
    else {
        panic!("not signed")
    };
    verifier(&e.pki)
        .verify(&certificate_der, &[], text.as_bytes(), &signature, NOW)
        .await
        .unwrap();
    // The right PIN reset the counter: two wrong ones on the next request
    // do not block it.
    let p2 = e
        .client
        .request_signature(PHONE, &challenge(), DISPLAY, NOW)
        .await
        .unwrap();
    for left in [2, 1] {
        assert_eq!(
            e.sim.answer(
                MSISDN,
                &p2.mssp_trans_id,
                PhoneAnswer::Approve { pin: "1".into() }
            ),
            PhoneResult::WrongPin { tries_left: left }
        );
    }
    assert_eq!(
        e.sim.answer(
            MSISDN,
            &p2.mssp_trans_id,
            PhoneAnswer::Approve { pin: PIN.into() }
        ),
        PhoneResult::Signed
    );
}

#[tokio::test]
async fn three_wrong_pins_block_the_pin() {
    let e = env().await;
    let pending = e
        .client
        .request_signature(PHONE, &challenge(), DISPLAY, NOW)
        .await
        .unwrap();
    let (txn, _) = open_phone(&e.server).await;
    assert!(press(&e.server, &txn, "approve", "1")
        .await
        .1
        .contains("Còn 2 lần thử"));
    assert!(press(&e.server, &txn, "approve", "2")
        .await
        .1
        .contains("Còn 1 lần thử"));
    let (_, page) = press(&e.server, &txn, "approve", "3").await;
    assert!(page.contains("data-result=\"blocked\""), "{page}");
    assert!(e.sim.is_blocked(PHONE));
    assert_eq!(
        e.client.poll_status(&pending, NOW).await,
        Ok(MssOutcome::PinBlocked)
    );
    // Even the right PIN is refused now, and new requests fail at once.
    let err = e
        .client
        .request_signature(PHONE, &challenge(), DISPLAY, NOW)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(402));
    assert_eq!(err.outcome(), Some(MssOutcome::PinBlocked));
    assert_eq!(
        e.client.sign(PHONE, &challenge(), DISPLAY, NOW).await,
        MssOutcome::PinBlocked
    );
    // Unblocked (the operator's PUK), the subscriber signs again.
    e.sim.unblock(PHONE);
    let p = e
        .client
        .request_signature(PHONE, &challenge(), DISPLAY, NOW)
        .await
        .unwrap();
    assert_eq!(
        e.sim.answer(
            MSISDN,
            &p.mssp_trans_id,
            PhoneAnswer::Approve { pin: PIN.into() }
        ),
        PhoneResult::Signed
    );
}

#[tokio::test]
async fn unanswered_request_expires_at_the_mssp() {
    let e = env().await;
    let pending = e
        .client
        .request_signature(PHONE, &challenge(), DISPLAY, NOW)
        .await
        .unwrap();
    let (txn, _) = open_phone(&e.server).await;
    // The request's TimeOut (the client's overall timeout, 10 s) caps the
    // simulator's 120-second TTL.
    e.sim.advance(9_000);
    assert_eq!(
        e.client.poll_status(&pending, NOW + 9_000).await,
        Ok(MssOutcome::Pending)
    );
    e.sim.advance(1_000);
    assert_eq!(
        e.client.poll_status(&pending, NOW + 10_000).await,
        Ok(MssOutcome::Expired)
    );
    // The phone no longer offers it, and a late answer is refused.
    let page = reqwest::get(e.server.phone_url(MSISDN))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(hidden_txn(&page).is_none());
    assert!(page.contains("Không có yêu cầu nào đang chờ"));
    assert_eq!(press(&e.server, &txn, "approve", PIN).await.0, 409);

    // The simulator's own TTL applies to longer client timeouts.
    let mut cfg = e.client.config().clone();
    cfg.overall_timeout = Duration::from_secs(600);
    let patient = MssClient::new(cfg).unwrap();
    let p = patient
        .request_signature(PHONE, &challenge(), DISPLAY, NOW)
        .await
        .unwrap();
    e.sim.advance(mss_sim_ttl() - 1);
    assert_eq!(patient.poll_status(&p, NOW).await, Ok(MssOutcome::Pending));
    e.sim.advance(1);
    assert_eq!(patient.poll_status(&p, NOW).await, Ok(MssOutcome::Expired));
    assert_eq!(MssOutcome::Expired.message_key(), "mss.expired");
}

fn mss_sim_ttl() -> Millis {
    motcua_pki::mss_sim::DEFAULT_TTL
}

#[tokio::test]
async fn a_new_request_replaces_the_pending_one() {
    let e = env().await;
    let first = e
        .client
        .request_signature(PHONE, &challenge(), DISPLAY, NOW)
        .await
        .unwrap();
    let second = e
        .client
        .request_signature(PHONE, &challenge(), "Xác thực bổ sung", NOW)
        .await
        .unwrap();
    assert_ne!(first.mssp_trans_id, second.mssp_trans_id);
    assert_eq!(
        e.client.poll_status(&first, NOW).await,
        Ok(MssOutcome::Expired)
    );
    let (txn, page) = open_phone(&e.server).await;
    assert_eq!(txn, second.mssp_trans_id);
    assert!(page.contains("Xác thực bổ sung"));
}

#[tokio::test]
async fn client_gives_up_after_its_overall_timeout() {
    let e = env().await;
    let mut cfg = e.client.config().clone();
    cfg.overall_timeout = Duration::from_secs(1);
    let client = MssClient::new(cfg).unwrap();
    let started = std::time::Instant::now();
    let outcome = client.sign(PHONE, &challenge(), DISPLAY, NOW).await;
    let took = started.elapsed();
    assert_eq!(outcome, MssOutcome::Timeout);
    assert!(took >= Duration::from_millis(950), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    // One request and a few status queries every 200 ms.
    let calls = e.sim.soap_requests();
    assert!((3..=8).contains(&calls), "{calls}");
    // The request is still on the phone: only the portal gave up.
    assert!(e.sim.pending(MSISDN).is_some());
}

#[tokio::test]
async fn unknown_number_missing_certificate_and_bad_numbers() {
    let e = env().await;
    let err = e
        .client
        .request_signature("0987654321", &challenge(), DISPLAY, NOW)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(105));
    assert_eq!(err.outcome(), Some(MssOutcome::UnknownUser));
    assert_eq!(
        e.client
            .sign("0987654321", &challenge(), DISPLAY, NOW)
            .await,
        MssOutcome::UnknownUser
    );
    e.sim
        .add_subscriber_without_certificate("0388888888", "1111")
        .unwrap();
    assert_eq!(
        e.client
            .sign("0388888888", &challenge(), DISPLAY, NOW)
            .await,
        MssOutcome::NoCertificate
    );
    for bad in ["12345", "0212345678", "+1 555 0100", ""] {
        assert_eq!(
            e.client
                .request_signature(bad, &challenge(), DISPLAY, NOW)
                .await,
            Err(MssError::InvalidMsisdn),
            "{bad}"
        );
        assert!(matches!(
            e.client.sign(bad, &challenge(), DISPLAY, NOW).await,
            MssOutcome::Failed(_)
        ));
    }
    // Display text too long for a phone, or with control characters.
    for display in ["x".repeat(MAX_DISPLAY_CHARS + 1), "a\u{7}b".to_string()] {
        assert!(matches!(
            e.client
                .request_signature(PHONE, &challenge(), &display, NOW)
                .await,
            Err(MssError::InvalidRequest(_))
        ));
    }
    assert_eq!(
        e.sim.soap_requests(),
        3,
        "invalid input never leaves the portal"
    );
}

#[tokio::test]
async fn expired_certificate_is_signed_by_the_sim_but_refused_by_the_portal() {
    let pki = TestPki::start(NOW).await.unwrap();
    let mut spec = LeafSpec::person("Hoàng Văn Em", "001203004569", NOW);
    spec.not_before = NOW - 400 * DAY;
    spec.not_after = NOW - DAY;
    let e = env_with(pki, spec).await;
    let text = challenge();
    let user = async {
        let (txn, _) = open_phone(&e.server).await;
        press(&e.server, &txn, "approve", PIN).await
    };
    let (outcome, (status, _)) = tokio::join!(e.client.sign(PHONE, &text, DISPLAY, NOW), user);
    assert_eq!(status, 200);
    let MssOutcome::Signed {
        signature,
        certificate_der,
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    let err = verifier(&e.pki)
        .verify(&certificate_der, &[], text.as_bytes(), &signature, NOW)
        .await
        .unwrap_err();
    assert_eq!(err, PkiError::Expired);
    assert_eq!(err.message_key(), "pki.expired");
}

#[tokio::test]
async fn phone_page_is_safe_and_accessible() {
    let e = env().await;
    let resp = reqwest::get(e.server.phone_url("0912345678"))
        .await
        .unwrap();
    let h = resp.headers().clone();
    let csp = h["content-security-policy"].to_str().unwrap();
    for d in [
        "default-src 'none'",
        "frame-ancestors 'none'",
        "script-src 'self'",
    ] {
        assert!(csp.contains(d), "{csp}");
    }
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["cache-control"], "no-store");
    let page = resp.text().await.unwrap();
    assert!(page.contains("<html lang=\"vi\">"));
    assert!(page.contains("Không có yêu cầu nào đang chờ"));
    assert!(
        page.contains("<meta http-equiv=\"refresh\""),
        "no-script refresh"
    );
    assert!(page.contains("<script src=\"../phone-sim.js\" defer>"));
    assert!(page.contains("role=\"status\""));
    let js = reqwest::get(format!("{}/phone-sim.js", e.server.base_url))
        .await
        .unwrap();
    assert!(js.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    let pending = reqwest::get(format!("{}/pending", e.server.phone_url(MSISDN)))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(pending, "");
    // The displayed text is escaped.
    e.client
        .request_signature(
            PHONE,
            &challenge(),
            "<script>alert(1)</script> & Đăng nhập",
            NOW,
        )
        .await
        .unwrap();
    let (_, page) = open_phone(&e.server).await;
    assert!(!page.contains("<script>alert"));
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; Đăng nhập"));
    assert!(
        !page.contains("http-equiv=\"refresh\""),
        "no refresh while typing"
    );
    // A phone number that is not one.
    let resp = reqwest::get(e.server.phone_url("abc")).await.unwrap();
    assert_eq!(resp.status(), 404);
    // The subscriber list (demo).
    let index = reqwest::get(format!("{}/phone", e.server.base_url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(index.contains("href=\"phone/84912345678\""));
}

// ---------------------------------------------------------------------------
// A peer that answers whatever the test says: faults, garbage, mismatches.
// ---------------------------------------------------------------------------

type Reply = Box<dyn Fn(Option<Message>) -> (u16, String) + Send + Sync>;

struct Peer {
    url: String,
    reply: Arc<Mutex<Reply>>,
    _task: tokio::task::JoinHandle<()>,
}

impl Peer {
    async fn start() -> Peer {
        let reply: Arc<Mutex<Reply>> = Arc::new(Mutex::new(Box::new(|_| (200, String::new()))));
        let r = reply.clone();
        let app = axum::Router::new().route(
            "/soap",
            axum::routing::post(move |body: axum::body::Bytes| {
                let r = r.clone();
                async move {
                    let (status, body) = (r.lock().unwrap())(Message::parse(&body).ok());
                    let status = axum::http::StatusCode::from_u16(status).unwrap();
                    if status.is_redirection() {
                        return (status, [("location", "http://127.0.0.1:9/soap")], body);
                    }
                    (status, [("content-type", "text/xml")], body)
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/soap", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Peer {
            url,
            reply,
            _task: task,
        }
    }

    fn answer(&self, f: impl Fn(Option<Message>) -> (u16, String) + Send + Sync + 'static) {
        *self.reply.lock().unwrap() = Box::new(f);
    }

    fn client(&self) -> MssClient {
        let mut c = fast(MssConfig::new(&self.url, "ap", "pw", "mssp"));
        c.overall_timeout = Duration::from_millis(1500);
        MssClient::new(c).unwrap()
    }
}

fn echo(m: &Option<Message>) -> ApInfo {
    let a = match m {
        Some(Message::SignatureReq(r)) => r.ap_info.clone(),
        Some(Message::StatusReq(r)) => r.ap_info.clone(),
        _ => panic!("the client sent something unexpected: {m:?}"),
    };
    ApInfo {
        ap_pwd: String::new(),
        ..a
    }
}

fn mssp() -> MsspInfo {
    MsspInfo {
        mssp_id: "mssp".into(),
        instant: Some(NOW),
    }
}

fn accepted(m: &Option<Message>, code: StatusCode) -> String {
    Message::SignatureResp(SignatureResp {
        ap_info: echo(m),
        mssp_info: mssp(),
        mssp_trans_id: "T1".into(),
        msisdn: MSISDN.into(),
        signature: None,
        signature_profile: None,
        status: Status::new(code),
    })
    .to_soap()
}

fn status_resp(
    m: &Option<Message>,
    code: StatusCode,
    sig: Option<Vec<u8>>,
    certs: Vec<Vec<u8>>,
) -> String {
    let mut status = Status::new(code);
    status.certificates = certs;
    Message::StatusResp(StatusResp {
        ap_info: echo(m),
        mssp_info: mssp(),
        msisdn: MSISDN.into(),
        signature: sig,
        status,
    })
    .to_soap()
}

fn fault_xml(code: StatusCode) -> String {
    Message::Fault(Fault::new(code, Some("scripted"))).to_soap()
}

fn pending() -> PendingSignature {
    PendingSignature {
        ap_trans_id: "MC0".into(),
        mssp_trans_id: "T1".into(),
        msisdn: MSISDN.into(),
    }
}

#[tokio::test]
async fn faults_and_garbage_are_errors_never_panics() {
    let peer = Peer::start().await;
    let client = peer.client();
    let req = || client.request_signature(PHONE, "motcua-challenge/1", DISPLAY, NOW);

    let malformed = |r: Result<PendingSignature, MssError>| {
        assert!(matches!(r, Err(MssError::Malformed(_))), "{r:?}")
    };
    peer.answer(|_| (200, "garbage".into()));
    malformed(req().await);
    peer.answer(|_| (200, String::new()));
    malformed(req().await);
    peer.answer(|m| {
        let full = accepted(&m, StatusCode::RequestOk);
        (200, full[..full.len() / 2].to_string())
    });
    malformed(req().await);
    peer.answer(|_| (200, "<a/>".repeat(MAX_MESSAGE / 4 + 1)));
    assert_eq!(
        req().await,
        Err(MssError::Malformed("message too large".into()))
    );
    // A status response where a signature response is due.
    peer.answer(|m| (200, status_resp(&m, StatusCode::RequestOk, None, vec![])));
    malformed(req().await);

    peer.answer(|_| {
        (
            500,
            "<html><body>Internal Server Error</body></html>".into(),
        )
    });
    assert_eq!(req().await, Err(MssError::Http(500)));
    peer.answer(|_| (404, "not here".into()));
    assert_eq!(req().await, Err(MssError::Http(404)));
    peer.answer(|_| (302, String::new()));
    assert_eq!(
        req().await,
        Err(MssError::Http(302)),
        "redirects are not followed"
    );

    peer.answer(|_| (500, fault_xml(StatusCode::InternalError)));
    let err = req().await.unwrap_err();
    assert_eq!(err.status(), Some(900));
    assert!(err.is_transient());
    assert_eq!(err.outcome(), None);
    peer.answer(|_| (500, fault_xml(StatusCode::UnauthorizedAccess)));
    let err = req().await.unwrap_err();
    assert_eq!(err.status(), Some(104));
    assert!(!err.is_transient());
    // A fault the MSSP sends with HTTP 200, and a fault without a code.
    peer.answer(|_| (200, fault_xml(StatusCode::UnknownClient)));
    assert_eq!(
        req().await.unwrap_err().outcome(),
        Some(MssOutcome::UnknownUser)
    );
    peer.answer(|_| {
        (
            500,
            format!(
                "<e:Envelope xmlns:e=\"{SOAP_NS}\"><e:Body><e:Fault><faultcode>e:Server</faultcode><faultstring>boom</faultstring></e:Fault></e:Body></e:Envelope>"
            ),
        )
    });
    let err = req().await.unwrap_err();
    assert!(matches!(&err, MssError::Fault(f) if f.code.is_none() && f.reason == "boom"));
    // A non-OK status inside the response.
    peer.answer(|m| (200, accepted(&m, StatusCode::NoCertFound)));
    assert_eq!(
        req().await.unwrap_err().outcome(),
        Some(MssOutcome::NoCertificate)
    );

    // Answers to somebody else's request.
    peer.answer(|m| {
        let mut r = accepted(&m, StatusCode::RequestOk);
        r = r.replace("AP_TransID=\"MC", "AP_TransID=\"XX");
        (200, r)
    });
    assert_eq!(req().await, Err(MssError::Mismatch("AP_TransID".into())));
    peer.answer(|m| {
        (
            200,
            accepted(&m, StatusCode::RequestOk).replace(MSISDN, "84987654321"),
        )
    });
    assert_eq!(req().await, Err(MssError::Mismatch("MSISDN".into())));
    peer.answer(|m| {
        (
            200,
            accepted(&m, StatusCode::RequestOk).replace("\"T1\"", "\"a b\""),
        )
    });
    malformed(req().await);
    // And the happy path through the same peer.
    peer.answer(|m| (200, accepted(&m, StatusCode::RequestOk)));
    assert_eq!(req().await.unwrap().mssp_trans_id, "T1");

    // Status queries.
    let p = pending();
    peer.answer(|m| {
        (
            200,
            status_resp(&m, StatusCode::Signature, Some(vec![1, 2]), vec![]),
        )
    });
    assert!(matches!(
        client.poll_status(&p, NOW).await,
        Err(MssError::Malformed(m)) if m.contains("certificate")
    ));
    peer.answer(|m| {
        (
            200,
            status_resp(&m, StatusCode::ValidSignature, None, vec![vec![0x30]]),
        )
    });
    assert!(matches!(
        client.poll_status(&p, NOW).await,
        Err(MssError::Malformed(_))
    ));
    peer.answer(|m| {
        (
            200,
            status_resp(
                &m,
                StatusCode::ValidSignature,
                Some(vec![7]),
                vec![vec![0x30], vec![0x31]],
            ),
        )
    });
    assert_eq!(
        client.poll_status(&p, NOW).await,
        Ok(MssOutcome::Signed {
            signature: vec![7],
            certificate_der: vec![0x30]
        })
    );
    peer.answer(|m| (200, status_resp(&m, StatusCode::OtaError, None, vec![])));
    assert_eq!(
        client.poll_status(&p, NOW).await,
        Ok(MssOutcome::Failed("209 OTA_ERROR".into()))
    );
    for (code, outcome) in [
        (StatusCode::UserCancel, MssOutcome::Cancelled),
        (StatusCode::PinNrBlocked, MssOutcome::PinBlocked),
        (StatusCode::ExpiredTransaction, MssOutcome::Expired),
        (StatusCode::OutstandingTransaction, MssOutcome::Pending),
    ] {
        peer.answer(move |_| (500, fault_xml(code)));
        assert_eq!(client.poll_status(&p, NOW).await, Ok(outcome));
    }
    peer.answer(|_| (500, fault_xml(StatusCode::WrongParam)));
    assert_eq!(
        client.poll_status(&p, NOW).await.unwrap_err().status(),
        Some(101)
    );

    // sign(): MSSP trouble while polling is retried until the deadline…
    let polls = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let n = polls.clone();
    peer.answer(move |m| match &m {
        Some(Message::SignatureReq(_)) => (200, accepted(&m, StatusCode::RequestOk)),
        _ => {
            n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            (503, String::new())
        }
    });
    assert_eq!(
        client.sign(PHONE, "motcua-challenge/1", DISPLAY, NOW).await,
        MssOutcome::Timeout
    );
    assert!(polls.load(std::sync::atomic::Ordering::SeqCst) >= 3);
    // …a protocol error ends it.
    peer.answer(move |m| match &m {
        Some(Message::SignatureReq(_)) => (200, accepted(&m, StatusCode::RequestOk)),
        _ => (200, "garbage".into()),
    });
    assert!(matches!(
        client.sign(PHONE, "motcua-challenge/1", DISPLAY, NOW).await,
        MssOutcome::Failed(m) if m.contains("malformed")
    ));
}

#[tokio::test]
async fn wrong_ap_credentials_and_unreachable_mssp() {
    let e = env().await;
    let mut cfg = e.client.config().clone();
    cfg.ap_password = "not-the-password".into();
    let intruder = MssClient::new(cfg.clone()).unwrap();
    let err = intruder
        .request_signature(PHONE, &challenge(), DISPLAY, NOW)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(104));
    assert!(matches!(
        intruder.sign(PHONE, &challenge(), DISPLAY, NOW).await,
        MssOutcome::Failed(m) if m.contains("104 UNAUTHORIZED_ACCESS")
    ));
    // Another AP cannot poll the portal's transaction.
    let p = e
        .client
        .request_signature(PHONE, &challenge(), DISPLAY, NOW)
        .await
        .unwrap();
    e.sim.set_ap_credentials("urn:other-ap", "pw2");
    let mut other = cfg.clone();
    other.ap_id = "urn:other-ap".into();
    other.ap_password = "pw2".into();
    let other = MssClient::new(other).unwrap();
    assert_eq!(
        other.poll_status(&p, NOW).await.unwrap_err().status(),
        Some(101)
    );

    // Nobody listening.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    cfg.endpoint = format!("http://127.0.0.1:{port}/soap");
    let lost = MssClient::new(cfg).unwrap();
    let err = lost
        .request_signature(PHONE, &challenge(), DISPLAY, NOW)
        .await
        .unwrap_err();
    assert!(matches!(err, MssError::Transport(_)), "{err:?}");
    assert!(err.is_transient());
    assert!(matches!(
        lost.sign(PHONE, &challenge(), DISPLAY, NOW).await,
        MssOutcome::Failed(_)
    ));
    // Configuration mistakes are caught when the client is built.
    let bad = MssConfig::new("ftp://x", "ap", "pw", "m");
    assert!(matches!(MssClient::new(bad), Err(MssError::Config(_))));
}

// ---------------------------------------------------------------------------
// Properties: the SOAP parsers never panic.
// ---------------------------------------------------------------------------

/// Valid messages of every kind, with a real certificate, built once.
fn samples() -> &'static Vec<String> {
    static S: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    S.get_or_init(|| {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let leaf = rt.block_on(async {
            let pki = TestPki::start(NOW).await.unwrap();
            pki.issue(&LeafSpec::person("Nguyễn Văn An", "001203004567", NOW))
                .unwrap()
        });
        let text = challenge();
        let ap = ApInfo {
            ap_id: "urn:motcua:ap:demo".into(),
            ap_trans_id: "MC0123".into(),
            ap_pwd: "pw".into(),
            instant: NOW,
        };
        let req = Some(Message::SignatureReq(SignatureReq {
            ap_info: ap.clone(),
            mssp_info: MsspInfo {
                mssp_id: "urn:mssp".into(),
                instant: None,
            },
            msisdn: MSISDN.into(),
            data_to_be_signed: Data::text(&text),
            data_to_be_displayed: Some(Data::text(DISPLAY)),
            signature_profile: Some(DEFAULT_SIGNATURE_PROFILE.into()),
            messaging_mode: MessagingMode::AsynchClientServer,
            timeout_secs: Some(120),
            mss_format: Some(RAW_SIGNATURE_FORMAT.into()),
        }));
        let poll = Some(Message::StatusReq(StatusReq {
            ap_info: ap,
            mssp_info: mssp(),
            mssp_trans_id: "T1".into(),
        }));
        vec![
            req.clone().unwrap().to_soap(),
            poll.clone().unwrap().to_soap(),
            accepted(&req, StatusCode::RequestOk),
            status_resp(
                &poll,
                StatusCode::Signature,
                Some(leaf.sign(text.as_bytes())),
                vec![leaf.der().to_vec()],
            ),
            fault_xml(StatusCode::UserCancel),
        ]
    })
}

const TOKENS: &[&str] = &[
    "<",
    ">",
    "&",
    "&amp;",
    "&#0;",
    "&#x110000;",
    "&#65;",
    "&bogus;",
    "]]>",
    "<!--",
    "-->",
    "<![CDATA[",
    "\"",
    "'",
    "=",
    "xmlns:mss=\"x\"",
    "xmlns=\"\"",
    "</mss:Status>",
    "<mss:Status>",
    "<!DOCTYPE a>",
    "<?x?>",
    "\u{0}",
    "é",
    "\r",
    " Value=\"65536\"",
    "mss:",
    "soapenv:",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn soap_parsers_never_panic_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let _ = Message::parse(&bytes);
        let _ = normalize_msisdn(&String::from_utf8_lossy(&bytes));
        let sim = Simulator::new();
        let (status, body) = sim.handle_soap(&bytes);
        prop_assert_eq!(status.as_u16(), 500);
        prop_assert!(Message::parse(body.as_bytes()).is_ok(), "the simulator answers a fault");
    }

    #[test]
    fn soap_parsers_never_panic_on_mutated_messages(
        which in 0usize..5,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..6),
        inserts in proptest::collection::vec((any::<usize>(), 0usize..TOKENS.len()), 0..4),
        cut in any::<usize>(),
    ) {
        let mut v = samples()[which].clone().into_bytes();
        for (i, b) in &edits {
            let n = v.len();
            v[i % n] = *b;
        }
        for (i, t) in &inserts {
            let at = i % (v.len() + 1);
            v.splice(at..at, TOKENS[*t].bytes());
        }
        if cut % 3 == 0 {
            v.truncate(v.len() - (cut / 3) % v.len().max(1));
        }
        if let Ok(m) = Message::parse(&v) {
            // Whatever parses writes back to something that parses the same.
            let again = Message::parse(m.to_soap().as_bytes());
            prop_assert_eq!(again.as_ref().ok(), Some(&m));
        }
        let sim = Simulator::new();
        let _ = sim.handle_soap(&v);
    }
}
