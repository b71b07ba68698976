//! Issue #11 §3: the progress report (PUBLIC-SERVICES §8; R-PS-8). A
//! ward's dossiers in February 2027 — one finished early and returned,
//! one left open past its deadline, one refused at reception, one waiting
//! for a supplement — are counted in the right columns of the page, the
//! CSV, the XLSX and the open-data API, for the month, for March (the
//! two unfinished carried over) and for the quarter (held as of now);
//! the figures come from the handling summary, which equals a count of
//! the cases for what is held now; bad filters get clear errors.
use crate::dossiers::{between, citizen, seeded};
use crate::handling::{
    act, add_result, grant, login, servant, set_clock, submit_birth, vn, ward, Ward, AGENCY, PW,
};
use crate::helpers::*;
use reqwest::StatusCode;

/// The cells of the table row `data-code="{code}"` (or the total),
/// as numbers, in the columns' order.
fn row_cells(html: &str, code: Option<&str>) -> Vec<i64> {
    let start = match code {
        Some(c) => format!("<tr data-code=\"{c}\">"),
        None => "<tr id=\"stats-total\">".to_string(),
    };
    let row = between(html, &start, "</tr>");
    row.split("<td>")
        .skip(1)
        .filter_map(|c| c.split("</td>").next())
        .filter_map(|c| strip_tags(c).parse().ok())
        .collect()
}

/// The text of an HTML fragment, its tags removed.
fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for ch in html.chars() {
        match ch {
            '<' => inside = true,
            '>' => inside = false,
            _ if !inside => out.push(ch),
            _ => {}
        }
    }
    out.trim().to_string()
}

/// The columns' codes, in order (as the CSV's second header says).
const COLUMNS: [&str; 20] = [
    "received_total",
    "carried_over",
    "received_new",
    "received_online",
    "received_in_person",
    "received_postal",
    "transferred_in",
    "done",
    "done_early",
    "done_on_time",
    "done_late",
    "held",
    "open_on_time",
    "open_late",
    "supplement",
    "payment",
    "stopped",
    "transferred_out",
    "returned",
    "not_accepted",
];

/// The expected figures by column; the others are 0.
fn expect(figures: &[(&str, i64)]) -> Vec<i64> {
    COLUMNS
        .iter()
        .map(|c| figures.iter().find(|(k, _)| k == c).map_or(0, |(_, v)| *v))
        .collect()
}

async fn bytes(b: &Browser, path: &str) -> (StatusCode, String, Vec<u8>) {
    let r = b.client.get(b.url(path)).send().await.expect("get");
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (r.status(), ct, r.bytes().await.expect("bytes").to_vec())
}

/// The same figures on the page, in the CSV, the XLSX, the JSON download
/// and the API, for row `code` of `query`.
async fn figures_everywhere(b: &Browser, n: &str, query: &str, code: &str, want: &[i64]) {
    let page = b.get(&format!("/statistics?{query}")).await;
    assert_eq!(page.status, StatusCode::OK, "{n}: {query}: {}", page.text);
    assert_eq!(row_cells(&page.text, Some(code)), want, "{n}: page {query}");
    assert_eq!(row_cells(&page.text, None), want, "{n}: total {query}");
    assert!(
        page.text.contains("<svg") && page.text.contains("role=\"img\""),
        "{n}: chart"
    );

    let (status, ct, csv) = bytes(b, &format!("/statistics/progress.csv?{query}")).await;
    assert_eq!(
        (status, ct.as_str()),
        (StatusCode::OK, "text/csv; charset=utf-8"),
        "{n}"
    );
    assert_eq!(&csv[..3], b"\xEF\xBB\xBF", "{n}: a BOM for spreadsheets");
    let mut rd = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&csv[3..]);
    let recs: Vec<csv::StringRecord> = rd.records().map(|r| r.expect("csv")).collect();
    assert_eq!(recs[0].get(2), Some("Tổng số"), "{n}: names in Vietnamese");
    let codes: Vec<&str> = recs[1].iter().skip(2).collect();
    assert_eq!(codes, COLUMNS, "{n}: column codes");
    let row = recs
        .iter()
        .find(|r| r.get(0) == Some(code))
        .expect("csv row");
    let got: Vec<i64> = row
        .iter()
        .skip(2)
        .map(|v| v.parse().expect("number"))
        .collect();
    assert_eq!(got, want, "{n}: CSV {query}");

    let (status, _, xlsx) = bytes(b, &format!("/statistics/progress.xlsx?{query}")).await;
    assert_eq!(status, StatusCode::OK, "{n}");
    use calamine::{DataType, Reader};
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(xlsx)).expect("xlsx");
    let sheet = book.worksheet_range_at(0).expect("sheet").expect("range");
    let row = sheet
        .rows()
        .find(|r| r.first().map(|c| c.to_string()) == Some(code.to_string()))
        .expect("xlsx row");
    let got: Vec<i64> = row
        .iter()
        .skip(2)
        .map(|c| c.as_f64().expect("number") as i64)
        .collect();
    assert_eq!(got, want, "{n}: XLSX {query}");

    for path in [
        format!("/statistics/progress.json?{query}"),
        format!("/api/v1/statistics/progress?{query}"),
    ] {
        let (status, ct, body) = bytes(b, &path).await;
        assert_eq!(
            (status, ct.as_str()),
            (StatusCode::OK, "application/json"),
            "{n}: {path}"
        );
        let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
        let row = v["rows"]
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["code"] == code))
            .unwrap_or_else(|| panic!("{n}: {path}: {v}"));
        let got: Vec<i64> = COLUMNS.iter().map(|c| row[c].as_i64().expect(c)).collect();
        assert_eq!(got, want, "{n}: {path}");
    }
}

#[tokio::test]
async fn the_progress_report_counts_each_dossier_in_its_column() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        seeded(&app).await;
        // Monday 1/2/2027 09:00; a birth registration takes one working
        // day: accepted now, due Tuesday 2/2 17:00.
        set_clock(&app, vn(2027, 2, 1, 9, 0));
        let Ward { op, dept, receiver } = ward(&app).await;
        let (_, admin) = servant(&app, "cb_quantri", "Đỗ Văn Quản").await;
        let r = grant(
            &app,
            &op,
            &format!("/console/agencies/{AGENCY}/units"),
            dept,
            "cb_quantri",
            "admin",
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        servant(&app, "cb_xuly", "Phạm Văn Xử").await;
        servant(&app, "cb_lanhdao", "Hoàng Văn Đạo").await;
        for (user, role) in [("cb_xuly", "handler"), ("cb_lanhdao", "approver")] {
            let r = grant(&app, &admin, "/agency/staff", dept, user, role).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        }
        let one_stop_returner = {
            let units = motcua_handling::people::units(app.state(), AGENCY)
                .await
                .expect("units");
            units
                .iter()
                .find(|u| u.kind == "one_stop")
                .expect("one-stop")
                .id
        };
        let r = grant(
            &app,
            &op,
            &format!("/console/agencies/{AGENCY}/units"),
            one_stop_returner,
            "cb_nhan",
            "returner",
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let handler = login(&app, "cb_xuly", PW).await;
        let leader = login(&app, "cb_lanhdao", PW).await;
        let (_, citizen_b) = citizen(&app, "hoa.nguyen", "Nguyễn Thị Hoa").await;
        let d = dept.to_string();

        // A: accepted, approved an hour later (early), returned.
        let a = submit_birth(&app, &citizen_b).await;
        let r = act(
            &receiver,
            &a,
            &[("kind", "accept"), ("to", "handle"), ("unit", &d)],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let r = act(&handler, &a, &[("kind", "forward"), ("to", "approve")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let r = add_result(
            &leader,
            &a,
            "Trích lục khai sinh",
            None,
            "Họ tên: Trần Minh Khôi",
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let r = act(&leader, &a, &[("kind", "approve"), ("to", "return")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let receiver = login(&app, "cb_nhan", PW).await;
        let r = act(&receiver, &a, &[("kind", "return")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        // B: accepted and left open (late after Tuesday).
        let b = submit_birth(&app, &citizen_b).await;
        let r = act(
            &receiver,
            &b,
            &[("kind", "accept"), ("to", "handle"), ("unit", &d)],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        // C: refused at reception.
        let c = submit_birth(&app, &citizen_b).await;
        let r = act(
            &receiver,
            &c,
            &[("kind", "refuse"), ("note", "Không thuộc thẩm quyền.")],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        // D: accepted, then the handler asks for a supplement.
        let dd = submit_birth(&app, &citizen_b).await;
        let r = act(
            &receiver,
            &dd,
            &[("kind", "accept"), ("to", "handle"), ("unit", &d)],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let r = act(
            &handler,
            &dd,
            &[
                ("kind", "supplement"),
                ("note", "Ảnh giấy chứng sinh bị mờ."),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);

        // Still in February: B is on time until its deadline's day ends.
        set_clock(&app, vn(2027, 2, 2, 16, 0));
        let anyone = app.browser();
        let feb = [
            ("received_total", 3),
            ("received_new", 3),
            ("received_online", 3),
            ("done", 1),
            ("done_early", 1),
            ("held", 2),
            ("open_on_time", 1),
            ("supplement", 1),
            ("returned", 1),
            ("not_accepted", 1),
        ];
        figures_everywhere(
            &anyone,
            n,
            "scope=H29&period=2027-02",
            AGENCY,
            &expect(&feb),
        )
        .await;

        // In March: February's end is fixed (B late at its end), March
        // starts with the two unfinished, the quarter holds them as of now.
        set_clock(&app, vn(2027, 3, 2, 10, 0));
        let feb_late = [
            ("received_total", 3),
            ("received_new", 3),
            ("received_online", 3),
            ("done", 1),
            ("done_early", 1),
            ("held", 2),
            ("open_late", 1),
            ("supplement", 1),
            ("returned", 1),
            ("not_accepted", 1),
        ];
        figures_everywhere(
            &anyone,
            n,
            "scope=H29&period=2027-02",
            AGENCY,
            &expect(&feb_late),
        )
        .await;
        let march = [
            ("received_total", 2),
            ("carried_over", 2),
            ("held", 2),
            ("open_late", 1),
            ("supplement", 1),
        ];
        figures_everywhere(
            &anyone,
            n,
            "scope=H29&period=2027-03",
            AGENCY,
            &expect(&march),
        )
        .await;
        figures_everywhere(
            &anyone,
            n,
            "scope=H29&period=2027-Q1",
            AGENCY,
            &expect(&feb_late),
        )
        .await;
        // Each figure leads the operator and the agency's people to the
        // dossiers behind it (issue #11 §2); nobody else sees the links.
        let page = anyone.get("/statistics?scope=H29&period=2027-02").await;
        assert!(
            !page.text.contains("/statistics/dossiers"),
            "{n}: not for the public"
        );
        let op = app.operator_browser_again().await;
        let page = op.get("/statistics?scope=H29&period=2027-02").await;
        let to_received =
            format!("/statistics/dossiers?period=2027-02&#38;measure=received&#38;scope={AGENCY}");
        assert!(page.text.contains(&to_received), "{n}: {}", page.text);
        assert!(
            !page.text.contains("measure=open_late"),
            "{n}: February is over: what is held now is not February's end"
        );
        assert_eq!(
            row_cells(&page.text, Some(AGENCY)),
            expect(&feb_late),
            "{n}: the same figures, linked"
        );
        let list = |b: &Browser, q: String| {
            let b = b.clone();
            async move { b.get(&format!("/statistics/dossiers?{q}")).await }
        };
        for (q, want) in [
            (
                "period=2027-02&measure=received&scope=H29".to_string(),
                vec![&a, &b, &dd],
            ),
            (
                format!("period=2027-02&measure=received_2&scope={AGENCY}"),
                vec![&a, &b, &dd],
            ),
            (
                "period=2027-02&measure=received_1&scope=H29".to_string(),
                vec![],
            ),
            (
                "period=2027-Q1&measure=done_early&scope=H29".to_string(),
                vec![&a],
            ),
            (
                "period=2027-03&measure=open_late&scope=H29".to_string(),
                vec![&b],
            ),
            (
                "period=2027-03&measure=supplement&scope=H29".to_string(),
                vec![&dd],
            ),
            (
                "period=2027-03&measure=received&scope=H29".to_string(),
                vec![],
            ),
            (
                "period=2027-02&measure=received&procedure=1.001193".to_string(),
                vec![&a, &b, &dd],
            ),
            (
                "period=2027-02&measure=received&procedure=2.000000".to_string(),
                vec![],
            ),
        ] {
            let r = list(&op, q.clone()).await;
            assert_eq!(r.status, StatusCode::OK, "{n}: {q}: {}", r.text);
            for code in [&a, &b, &c, &dd] {
                assert_eq!(
                    r.text.contains(code.as_str()),
                    want.contains(&code),
                    "{n}: {q}: {code}"
                );
            }
            assert_eq!(
                r.text.contains("id=\"behind-none\""),
                want.is_empty(),
                "{n}: {q}"
            );
        }
        // The agency's own people: their agency's dossiers, linked to
        // their case pages; another agency's are refused.
        let receiver = login(&app, "cb_nhan", PW).await;
        let r = list(
            &receiver,
            format!("period=2027-02&measure=received&scope={AGENCY}"),
        )
        .await;
        assert!(
            r.text.contains(&format!("href=\"/agency/dossiers/{a}\"")),
            "{n}: {}",
            r.text
        );
        let r = list(
            &receiver,
            "period=2027-02&measure=received&scope=H29".to_string(),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{n}: the province's list holds only theirs"
        );
        assert!(r.text.contains(&a), "{n}");
        assert_eq!(
            list(
                &receiver,
                "period=2027-02&measure=received&scope=G01".to_string()
            )
            .await
            .status,
            StatusCode::FORBIDDEN,
            "{n}"
        );
        let page = receiver.get("/statistics?scope=H29&period=2027-02").await;
        assert!(
            page.text.contains(&to_received),
            "{n}: their own row is linked"
        );
        let page = receiver.get("/statistics?period=2027-02").await;
        assert!(
            !page.text.contains("/statistics/dossiers"),
            "{n}: the province's row is not theirs"
        );
        let (_, lan) = citizen(&app, "lan.tran", "Trần Thị Lan").await;
        assert_eq!(
            list(&lan, "period=2027-02&measure=received".to_string())
                .await
                .status,
            StatusCode::FORBIDDEN,
            "{n}"
        );
        let r = list(&anyone, "period=2027-02&measure=received".to_string()).await;
        assert!(r.location().is_some_and(|l| l.starts_with("/login")), "{n}");
        for (q, status) in [
            ("period=2027-02&measure=stopped", StatusCode::BAD_REQUEST),
            (
                "period=2027-02&measure=received&after=x",
                StatusCode::BAD_REQUEST,
            ),
            ("period=2099&measure=received", StatusCode::BAD_REQUEST),
            (
                "period=2027-02&measure=received&scope=NOPE",
                StatusCode::NOT_FOUND,
            ),
            (
                "period=2027-02&measure=received&procedure=%00",
                StatusCode::BAD_REQUEST,
            ),
        ] {
            assert_eq!(list(&op, q.to_string()).await.status, status, "{n}: {q}");
        }
        // Pages follow in order (keyset): one at a time, each once.
        let (from, to) = (vn(2027, 2, 1, 0, 0), vn(2027, 3, 1, 0, 0));
        let mut seen = Vec::new();
        let mut after = (i64::MIN, i64::MIN);
        loop {
            let page = motcua_handling::queries::behind(
                app.state(),
                &[AGENCY.to_string()],
                None,
                "received",
                (from, to),
                app.state().now(),
                after,
                1,
            )
            .await
            .expect("page")
            .expect("a known figure");
            let Some(r) = page.first() else { break };
            seen.push(r.code.clone());
            after = (r.received_at.expect("received"), r.dossier_id);
        }
        let mut want = vec![a.clone(), b.clone(), dd.clone()];
        want.sort();
        seen.sort();
        assert_eq!(seen, want, "{n}");

        // Nationwide: Hà Nội's row; by procedure: the birth registration's.
        figures_everywhere(&anyone, n, "period=2027-Q1", "H29", &expect(&feb_late)).await;
        figures_everywhere(
            &anyone,
            n,
            "period=2027&by=procedure",
            "1.001193",
            &expect(&feb_late),
        )
        .await;
        // English names, same figures.
        let en = app.browser();
        en.get("/lang/en").await;
        let page = en.get("/statistics?scope=H29&period=2027-02").await;
        assert!(
            page.text.contains("Carried over") && page.text.contains("In progress (at the end)"),
            "{n}"
        );
        // A ministry without dossiers: an empty table, no chart.
        let page = anyone.get("/statistics?scope=G01&period=2027-02").await;
        assert_eq!(page.status, StatusCode::OK, "{n}");
        assert!(
            page.text.contains("id=\"stats-none\"") && !page.text.contains("<svg"),
            "{n}"
        );
        assert_eq!(row_cells(&page.text, None), vec![0; 20], "{n}");

        // Bad filters: said in words on pages, RFC 9457 on the API.
        for (q, status, words) in [
            (
                "period=2027-13",
                StatusCode::BAD_REQUEST,
                "Kỳ báo cáo không hợp lệ",
            ),
            (
                "period=2027-Q5",
                StatusCode::BAD_REQUEST,
                "Kỳ báo cáo không hợp lệ",
            ),
            (
                "period=%FF%FE",
                StatusCode::BAD_REQUEST,
                "Kỳ báo cáo không hợp lệ",
            ),
            (
                "period=2099",
                StatusCode::BAD_REQUEST,
                "Kỳ báo cáo chưa bắt đầu",
            ),
            (
                "by=ministry",
                StatusCode::BAD_REQUEST,
                "theo cơ quan hoặc theo thủ tục",
            ),
            ("scope=NOPE", StatusCode::NOT_FOUND, ""),
            ("scope=%00", StatusCode::BAD_REQUEST, ""),
        ] {
            let page = anyone.get(&format!("/statistics?{q}")).await;
            assert_eq!(page.status, status, "{n}: {q}");
            assert!(page.text.contains(words), "{n}: {q}: {}", page.text);
            let api = anyone
                .get(&format!("/api/v1/statistics/progress?{q}"))
                .await;
            assert_eq!(api.status, status, "{n}: {q}");
            assert_eq!(
                api.header("content-type"),
                Some("application/problem+json"),
                "{n}: {q}"
            );
            let (s, _, _) = bytes(&anyone, &format!("/statistics/progress.csv?{q}")).await;
            assert_eq!(s, status, "{n}: {q}");
        }
        let (s, _, _) = bytes(&anyone, "/statistics/progress.pdf?period=2027").await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{n}");
        // The service index of the quarter (Decision 766), worked out by
        // hand from the built-in formulas (index_default.json) and the
        // figures above: 3 received online and public, 1 finished on
        // time, 2 held of which 1 late, no payment, no evaluation, no
        // feedback; Hà Nội's procedures and those offered fully online
        // counted from the catalog's seed.
        let seed: serde_json::Value =
            serde_json::from_str(include_str!("../../../catalog/seed/procedures.json")).unwrap();
        let (mut procs, mut full, mut partial) = (0.0, 0.0, 0.0);
        for p in seed.as_array().unwrap() {
            let mut codes = std::collections::BTreeSet::new();
            for k in ["COQUANTHUCHIEN", "COQUANCOTHAMQUYEN"] {
                for a in p[k].as_array().into_iter().flatten() {
                    codes.insert(a["MADONVI"].as_str().unwrap().to_string());
                }
            }
            let here = codes.iter().filter(|c| c.starts_with("H29")).count() as f64;
            procs += here;
            if p["MUCDODVC"] == "full" {
                full += here;
            }
            if p["MUCDODVC"] == "partial" {
                partial += here;
            }
        }
        // The online-service table: Hà Nội's procedures by online level,
        // the same counts as the catalog's seed.
        let online = anyone.get("/statistics/online").await;
        let cells = row_cells(&online.text, Some("H29"));
        let (all_n, full_n, partial_n) = (procs as i64, full as i64, partial as i64);
        assert_eq!(
            cells,
            [all_n, full_n, partial_n, all_n - full_n - partial_n],
            "{n}"
        );
        let publicity = 18.0; // 8 × 3/3, the feedback criterion without figures: scaled to 18
        let progress = 14.0 * 1.0 + 6.0 * 1.0 / 2.0;
        let online = 4.0 * full / procs + 8.0 * 3.0 / 3.0;
        let digitisation = 11.0 + 11.0;
        let total = (publicity + progress + online + digitisation) * 100.0 / 72.0;
        let vi = |x: f64| format!("{x:.2}").replace('.', ",");
        let page = anyone.get("/statistics/index?period=2027-Q1").await;
        assert_eq!(page.status, StatusCode::OK, "{n}: {}", page.text);
        let row = between(&page.text, "<tr data-code=\"H29\">", "</tr>");
        let cells: Vec<String> = row
            .split("<td>")
            .skip(1)
            .map(|c| strip_tags(c.split("</td>").next().unwrap_or_default()))
            .collect();
        assert_eq!(
            cells,
            [
                vi(publicity),
                vi(progress),
                vi(online),
                "—".into(),
                "—".into(),
                vi(digitisation),
                vi(total)
            ],
            "{n}: the six groups and the total of Hà Nội"
        );
        let detail = anyone.get("/statistics/index/H29?period=2027-Q1").await;
        assert!(
            detail.text.contains(&vi(total))
                && detail
                    .text
                    .contains("href=\"/statistics?scope=H29&amp;period=2027-Q1\""),
            "{n}: the figures behind it"
        );
        let api = anyone.get("/api/v1/statistics/index?period=2027-Q1").await;
        let v: serde_json::Value = serde_json::from_str(&api.text).expect("json");
        let h29 = v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["code"] == "H29")
            .expect("H29");
        assert_eq!(h29["measures"]["received_online"], 3, "{n}");
        assert!(
            (h29["scored"]["total"].as_f64().unwrap() - total).abs() < 1e-9,
            "{n}"
        );

        // The operator publishes new formulas: checked first (kept as
        // typed), then used for periods ending after them, not before.
        let op = app.operator_browser_again().await;
        let form = op.get("/console/statistics/index").await;
        assert_eq!(form.status, StatusCode::OK, "{n}");
        let r = op
            .post_form(
                "/console/statistics/index",
                &[
                    ("csrf", &form.csrf()),
                    ("body", "{\"groups\": []}"),
                    ("note", "Thử"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        let kept = between(&r.text, "id=\"body\"", "</textarea>");
        assert!(
            r.text.contains("đúng sáu nhóm") && kept.contains("groups") && kept.contains(": []}"),
            "{n}: kept as typed: {kept}"
        );
        let changed = motcua_stats::index::DEFAULT
            .replace(
                "\"points\": 14, \"numerator\": \"done_on_time\"",
                "\"points\": 10, \"numerator\": \"done_on_time\"",
            )
            .replace(
                "\"points\": 6, \"numerator\": \"held_on_time\"",
                "\"points\": 10, \"numerator\": \"held_on_time\"",
            );
        assert_ne!(changed, motcua_stats::index::DEFAULT);
        let r = op
            .post_form(
                "/console/statistics/index",
                &[
                    ("csrf", &form.csrf()),
                    ("body", &changed),
                    ("note", "Cân bằng hai tiêu chí tiến độ"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let v: serde_json::Value = serde_json::from_str(
            &anyone
                .get("/api/v1/statistics/index?period=2027-Q1")
                .await
                .text,
        )
        .unwrap();
        let h29 = v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["code"] == "H29")
            .unwrap();
        assert_eq!(v["version"], 1, "{n}");
        let progress_now = h29["scored"]["groups"][1]["score"].as_f64().unwrap();
        assert!(
            (progress_now - (10.0 + 5.0)).abs() < 1e-9,
            "{n}: 10 × 1/1 + 10 × 1/2"
        );
        let v: serde_json::Value = serde_json::from_str(
            &anyone
                .get("/api/v1/statistics/index?period=2027-02")
                .await
                .text,
        )
        .unwrap();
        assert_eq!(
            v["version"], 0,
            "{n}: February ended before the new version"
        );
        assert_eq!(
            app.audit_actions("index-formulas:1").await.len(),
            1,
            "{n}: audited"
        );
        let _ = (c, b, dd, citizen_b);
    })
    .await;
}
