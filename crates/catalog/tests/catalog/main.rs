//! The catalog context's tests (R-PS-1, R-PS-2): the national record's
//! import (all or nothing, errors naming the record and field), export →
//! import round trip, versions, search ranking and filters — on SQLite
//! and, with `MOTCUA_TEST_PG_URL` (required when `CI=true`), PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use motcua_catalog::queries::{self, Filters};
use motcua_catalog::service::{self, ImportOutcome};
use motcua_catalog::store::agencies::Agency;
use motcua_kernel::service::{Origin, ServiceError};
use motcua_kernel::{Core, Settings};
use motcua_testkit::{each_backend, require_postgres_in_ci, Db};
use serde_json::{json, Value};
use std::sync::Arc;

async fn core(db: &Db) -> Core {
    motcua_store::audit::install_keys(
        motcua_domain::audit::AuditKeys::new(
            "k1",
            std::collections::BTreeMap::from([(
                "k1".to_string(),
                b"catalog-suite-audit-key-number-one".to_vec(),
            )]),
        )
        .unwrap(),
    );
    let store = db.migrated_store().await;
    let dir = std::env::temp_dir().join(format!(
        "motcua-catalog-mail-{}",
        motcua_testkit::unique_suffix()
    ));
    let mailer = motcua_mail::Mailer::file(&dir, "test@motcua.vn").unwrap();
    let i18n = motcua_kernel::i18n::Catalog::from_tables(&motcua_catalog::message_tables());
    Core::new(
        store,
        Settings::for_tests("http://127.0.0.1"),
        Arc::new(motcua_domain::clock::TestClock::default()),
        mailer,
        i18n,
    )
    .unwrap()
}

fn agency(code: &str, parent: Option<&str>, level: &str, name: &str) -> Agency {
    Agency {
        code: code.into(),
        parent_code: parent.map(str::to_string),
        level: level.into(),
        name: name.into(),
        address: String::new(),
        phone: String::new(),
        email: String::new(),
        hours: String::new(),
    }
}

async fn agencies(core: &Core) {
    let list = [
        agency("H56", None, "province", "UBND tỉnh Khánh Hòa"),
        agency("H56.14", Some("H56"), "commune", "UBND phường Nha Trang"),
        agency("G01", None, "central", "Bộ Tư pháp"),
    ];
    service::import_agencies(core, &Origin::cli(), &list)
        .await
        .unwrap();
}

/// A record of the national format.
fn record(code: &str, name: &str, field: (&str, &str), description: &str) -> Value {
    json!({
        "MaTTHC": code,
        "TENTTHC": name,
        "MOTA": description,
        "QUYETDINH": "1023/QĐ-BTP",
        "CAPTHUCHIEN": ["commune"],
        "LINHVUCTHUCHIEN": [{"MALINHVUC": field.0, "TENLINHVUC": field.1}],
        "DOITUONGTHUCHIEN": ["citizen"],
        "TRINHTUTHUCHIEN": [{"TRUONGHOP": "", "TRINHTU": "Nộp hồ sơ; nhận kết quả."}],
        "CACHTHUCTHUCHIEN": [
            {"KENH": 1, "THOIGIAN": [{"THOIGIANGIAIQUYET": 1, "DONVITINH": "working_day", "PHILEPHI": [{"SOTIEN": 0, "DONVI": "VND", "MOTA": "Miễn lệ phí"}]}]},
            {"KENH": 2, "THOIGIAN": [{"THOIGIANGIAIQUYET": 1, "DONVITINH": "working_day", "PHILEPHI": []}]}
        ],
        "THANHPHANHOSO": [{"TRUONGHOP": "", "GIAYTO": [{"MAGIAYTO": "", "TENGIAYTO": "Tờ khai", "TENMAUDON": "Mẫu tờ khai", "URL": "https://example.vn/to-khai.docx", "SOBANCHINH": 1, "SOBANSAO": 0}]}],
        "YEUCAU": "",
        "KETQUATHUCHIEN": [{"MAKETQUA": "KQ.G01.000065", "TENKETQUA": "Giấy khai sinh"}],
        "CANCUPHAPLY": [{"SOVANBAN": "60/2014/QH13", "TENVANBAN": "Luật Hộ tịch", "COQUANBANHANH": "Quốc hội", "NGAYBANHANH": "2014-11-20"}],
        "COQUANTHUCHIEN": [{"MADONVI": "H56.14", "TENDONVI": "UBND phường Nha Trang"}],
        "COQUANCOTHAMQUYEN": [],
        "COQUANPHOIHOP": [],
        "TTHCLIENQUAN": [],
        "MUCDODVC": "full",
        "MUCDODANGNHAP": 2,
        "SUKIENDOISONG": ["birth"],
        "GHICHU": "a key of the national format this model does not know"
    })
}

fn sample() -> Vec<Value> {
    vec![
        record(
            "1.001193",
            "Đăng ký khai sinh",
            ("G01-HT", "Hộ tịch"),
            "Đăng ký việc sinh của trẻ em.",
        ),
        record(
            "1.000689",
            "Đăng ký lại khai sinh",
            ("G01-HT", "Hộ tịch"),
            "",
        ),
        record(
            "1.001695",
            "Đăng ký khai sinh có yếu tố nước ngoài",
            ("G01-HT", "Hộ tịch"),
            "",
        ),
        record(
            "1.004222",
            "Đăng ký kết hôn",
            ("G01-HT", "Hộ tịch"),
            "Không dùng cho khai sinh.",
        ),
        record("2.000720", "Cấp giấy phép xây dựng", ("XD", "Xây dựng"), ""),
    ]
}

async fn import(core: &Core, v: &[Value]) -> ImportOutcome {
    service::import(
        core,
        &Origin::cli(),
        &Value::Array(v.to_vec()).to_string(),
        true,
    )
    .await
    .unwrap()
}

async fn codes(core: &Core, q: &str, f: &Filters) -> Vec<String> {
    let (items, total) = queries::search(core, q, f, 1).await.unwrap();
    assert_eq!(total, items.len() as i64, "{q}");
    items.into_iter().map(|e| e.record.code).collect()
}

#[tokio::test]
async fn import_is_all_or_nothing_and_names_record_and_field() {
    require_postgres_in_ci("catalog");
    each_backend(|db| async move {
        let tag = db.name();
        let core = core(&db).await;
        agencies(&core).await;
        // One bad record among good ones: nothing is stored, every
        // problem is named.
        let mut bad = sample();
        bad[1]["CACHTHUCTHUCHIEN"][0]["KENH"] = json!(7);
        bad[3]["MaTTHC"] = json!("1.23");
        bad[4]["COQUANTHUCHIEN"][0]["MADONVI"] = json!("H99.1");
        let ImportOutcome::Refused(p) = import(&core, &bad).await else {
            panic!("{tag}: refused")
        };
        let named: Vec<(usize, &str, &str)> = p
            .iter()
            .map(|x| (x.index, x.path.as_str(), x.key))
            .collect();
        assert!(
            named.contains(&(1, "CACHTHUCTHUCHIEN[0].KENH", "catalog.error_channel")),
            "{tag}: {named:?}"
        );
        assert!(
            named.contains(&(3, "MaTTHC", "catalog.error_code")),
            "{tag}: {named:?}"
        );
        let (found, total) = queries::search(&core, "", &Filters::default(), 1)
            .await
            .unwrap();
        assert_eq!((found.len(), total), (0, 0), "{tag}: nothing stored");
        // An unknown agency is refused too (checked against the list).
        let mut unknown = sample();
        unknown[4]["COQUANTHUCHIEN"][0]["MADONVI"] = json!("H99.1");
        let ImportOutcome::Refused(p) = import(&core, &unknown).await else {
            panic!("{tag}: refused")
        };
        assert_eq!(
            (p[0].index, p[0].key),
            (4, "catalog.error_agency_unknown"),
            "{tag}"
        );
        // A wrong type names its path; broken JSON says so.
        let mut typed = sample();
        typed[0]["CACHTHUCTHUCHIEN"][1]["THOIGIAN"][0]["THOIGIANGIAIQUYET"] = json!("một");
        let ImportOutcome::Refused(p) = import(&core, &typed).await else {
            panic!("{tag}: refused")
        };
        assert_eq!(p[0].key, "catalog.error_shape", "{tag}");
        assert_eq!(
            p[0].path, "CACHTHUCTHUCHIEN[1].THOIGIAN[0].THOIGIANGIAIQUYET",
            "{tag}"
        );
        for broken in ["", "{", "[1, 2]", "\"x\"", "[{\"MaTTHC\": \"1.001193\"}]"] {
            let r = service::import(&core, &Origin::cli(), broken, true)
                .await
                .unwrap();
            assert!(matches!(r, ImportOutcome::Refused(_)), "{tag}: {broken}");
        }
        let mut twice = sample();
        twice.push(twice[0].clone());
        let ImportOutcome::Refused(p) = import(&core, &twice).await else {
            panic!("{tag}: refused")
        };
        assert_eq!(
            (p[0].index, p[0].key),
            (5, "catalog.error_code_twice"),
            "{tag}"
        );
    })
    .await;
}

#[tokio::test]
async fn export_then_import_round_trips_and_versions_are_kept() {
    require_postgres_in_ci("catalog");
    each_backend(|db| async move {
        let tag = db.name();
        let core = core(&db).await;
        agencies(&core).await;
        assert_eq!(
            import(&core, &sample()).await,
            ImportOutcome::Imported {
                created: 5,
                unchanged: 0
            },
            "{tag}"
        );
        let first = service::export(&core).await.unwrap();
        // The unknown key is kept.
        assert!(first.contains("GHICHU"), "{tag}");
        let again = service::import(&core, &Origin::cli(), &first, true)
            .await
            .unwrap();
        assert_eq!(
            again,
            ImportOutcome::Imported {
                created: 0,
                unchanged: 5
            },
            "{tag}"
        );
        assert_eq!(
            service::export(&core).await.unwrap(),
            first,
            "{tag}: exactly"
        );
        let parsed: Value = serde_json::from_str(&first).unwrap();
        let by_code = |code: &str| {
            parsed
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["MaTTHC"] == code)
                .unwrap()
                .clone()
        };
        assert_eq!(
            by_code("1.001193"),
            sample()[0],
            "{tag}: the record as given"
        );

        // A change makes a new version; an operator's draft stays
        // unpublished until published, and the old version stays readable.
        let mut changed = sample()[0].clone();
        changed["CACHTHUCTHUCHIEN"][1]["THOIGIAN"][0]["THOIGIANGIAIQUYET"] = json!(0.5);
        let v = service::save_draft(&core, &Origin::cli(), "1.001193", &changed.to_string())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(v, 2, "{tag}");
        let public = queries::procedure(&core, "1.001193")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(public.version, 1, "{tag}: the draft is not public");
        service::publish(&core, &Origin::cli(), "1.001193", 2)
            .await
            .unwrap();
        let public = queries::procedure(&core, "1.001193")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(public.version, 2, "{tag}");
        assert_eq!(public.record.online_time().unwrap().amount, 0.5, "{tag}");
        let old = queries::version(&core, "1.001193", 1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                old.status.as_str(),
                old.record.online_time().unwrap().amount
            ),
            ("retired", 1.0),
            "{tag}"
        );
        assert!(
            matches!(
                service::publish(&core, &Origin::cli(), "1.001193", 1).await,
                Err(ServiceError::Conflict(_))
            ),
            "{tag}: a retired version is not published again"
        );
        assert!(
            matches!(
                service::publish(&core, &Origin::cli(), "1.001193", 9).await,
                Err(ServiceError::NotFound)
            ),
            "{tag}"
        );
        assert_eq!(
            queries::versions(&core, "1.001193").await.unwrap().len(),
            2,
            "{tag}"
        );
    })
    .await;
}

#[tokio::test]
async fn search_folds_accents_ranks_names_and_filters() {
    require_postgres_in_ci("catalog");
    each_backend(|db| async move {
        let tag = db.name();
        let core = core(&db).await;
        agencies(&core).await;
        import(&core, &sample()).await;
        let none = Filters::default();
        // Typed without accents, the exact name first, then names starting
        // with it, then other names with every word; a description-only
        // match last.
        let found = codes(&core, "dang ky khai sinh", &none).await;
        assert_eq!(found[0], "1.001193", "{tag}: {found:?}");
        assert_eq!(found[1], "1.001695", "{tag}: {found:?}");
        assert_eq!(found[2], "1.000689", "{tag}: {found:?}");
        assert_eq!(found[3], "1.004222", "{tag}: the description's match last");
        assert_eq!(found.len(), 4, "{tag}: {found:?}");
        assert_eq!(
            codes(&core, "KHAI SINH ĐĂNG KÝ", &none).await[0],
            "1.001193",
            "{tag}: any order, any case"
        );
        assert_eq!(
            codes(&core, "khai sinh", &none).await.last().unwrap(),
            "1.004222",
            "{tag}: description last"
        );
        assert_eq!(
            codes(&core, "giay phep xay dung", &none).await,
            vec!["2.000720"],
            "{tag}"
        );
        assert_eq!(
            codes(&core, "2.000720", &none).await,
            vec!["2.000720"],
            "{tag}: by code"
        );
        assert!(codes(&core, "zzzz", &none).await.is_empty(), "{tag}");
        assert_eq!(
            codes(&core, "%", &none).await.len(),
            5,
            "{tag}: wildcards are not patterns"
        );
        let field = Filters {
            field: Some("XD".into()),
            ..Default::default()
        };
        assert_eq!(codes(&core, "", &field).await, vec!["2.000720"], "{tag}");
        let agency = Filters {
            agency: Some("H56.14".into()),
            life_event: Some("birth".into()),
            ..Default::default()
        };
        assert_eq!(
            codes(&core, "ket hon", &agency).await,
            vec!["1.004222"],
            "{tag}"
        );
        let nowhere = Filters {
            level: Some("central".into()),
            ..Default::default()
        };
        assert!(codes(&core, "", &nowhere).await.is_empty(), "{tag}");
        let counts = queries::facet_counts(&core, "field").await.unwrap();
        assert_eq!(
            counts,
            vec![("G01-HT".to_string(), 4), ("XD".to_string(), 1)],
            "{tag}"
        );
        // Agencies: the tree and a search over it.
        let top = queries::agencies(&core, None, "").await.unwrap();
        assert_eq!(
            top.iter().map(|a| a.code.as_str()).collect::<Vec<_>>(),
            vec!["G01", "H56"],
            "{tag}"
        );
        let under = queries::agencies(&core, Some("H56"), "").await.unwrap();
        assert_eq!(under.len(), 1, "{tag}");
        let found = queries::agencies(&core, None, "nha trang").await.unwrap();
        assert_eq!(found[0].code, "H56.14", "{tag}");
    })
    .await;
}

/// Review findings: control characters are named, not sent to the
/// database; a publication by a path that is no code is "not found"; the
/// editor checks agencies as the import does; a record equal to a retired
/// version becomes a new version that can be published again.
#[tokio::test]
async fn control_characters_agencies_and_retired_versions() {
    require_postgres_in_ci("catalog");
    each_backend(|db| async move {
        let tag = db.name();
        let core = core(&db).await;
        agencies(&core).await;
        let mut nul = sample();
        nul[2]["TENTTHC"] = json!("Đăng ký\u{0} khai sinh");
        nul[4]["LINHVUCTHUCHIEN"][0]["TENLINHVUC"] = json!("Xây\u{1b}dựng");
        let ImportOutcome::Refused(p) = import(&core, &nul).await else {
            panic!("{tag}: refused")
        };
        let named: Vec<(usize, &str, &str)> = p
            .iter()
            .map(|x| (x.index, x.path.as_str(), x.key))
            .collect();
        assert!(
            named.contains(&(2, "TENTTHC", "catalog.error_control")),
            "{tag}: {named:?}"
        );
        assert!(
            named.contains(&(4, "LINHVUCTHUCHIEN[0].TENLINHVUC", "catalog.error_control")),
            "{tag}: {named:?}"
        );
        for bad in ["\u{0}", "1.001193\u{0}", "x"] {
            assert!(
                matches!(
                    service::publish(&core, &Origin::cli(), bad, 1).await,
                    Err(ServiceError::NotFound)
                ),
                "{tag}: {bad:?}"
            );
        }
        let mut bad_event = sample();
        bad_event[0]["SUKIENDOISONG"] = json!(["a b"]);
        bad_event[1]["LINHVUCTHUCHIEN"][0]["MALINHVUC"] = json!("H&T");
        let ImportOutcome::Refused(p) = import(&core, &bad_event).await else {
            panic!("{tag}: refused")
        };
        assert_eq!(p.len(), 2, "{tag}: {p:?}");

        import(&core, &sample()).await;
        let mut elsewhere = sample()[0].clone();
        elsewhere["COQUANTHUCHIEN"][0]["MADONVI"] = json!("H99.9");
        let r = service::save_draft(&core, &Origin::cli(), "1.001193", &elsewhere.to_string())
            .await
            .unwrap();
        assert_eq!(
            r.unwrap_err()[0].key,
            "catalog.error_agency_unknown",
            "{tag}"
        );

        // v1 published; drafts v2 and v3; v3 published, then v2 over it:
        // the newest version (v3) is retired. Importing v3's text again
        // must make it public: a new version (v4), published.
        let mut v2 = sample()[0].clone();
        v2["MOTA"] = json!("Hai.");
        let mut v3 = sample()[0].clone();
        v3["MOTA"] = json!("Ba.");
        for v in [&v2, &v3] {
            service::save_draft(&core, &Origin::cli(), "1.001193", &v.to_string())
                .await
                .unwrap()
                .unwrap();
        }
        service::publish(&core, &Origin::cli(), "1.001193", 3)
            .await
            .unwrap();
        service::publish(&core, &Origin::cli(), "1.001193", 2)
            .await
            .unwrap();
        let r = import(&core, std::slice::from_ref(&v3)).await;
        assert_eq!(
            r,
            ImportOutcome::Imported {
                created: 1,
                unchanged: 0
            },
            "{tag}"
        );
        let public = queries::procedure(&core, "1.001193")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (public.version, public.record.description.as_str()),
            (4, "Ba."),
            "{tag}"
        );
        let r = import(&core, std::slice::from_ref(&v3)).await;
        assert_eq!(
            r,
            ImportOutcome::Imported {
                created: 0,
                unchanged: 1
            },
            "{tag}: now it is the published one"
        );
    })
    .await;
}
