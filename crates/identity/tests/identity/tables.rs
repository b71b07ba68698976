//! Identity's account, session, activity, reset and digital-identity
//! tables (moved with their SQL from `motcua-store`'s contract suite in
//! issue #6, assertions unchanged): each test loops over a fresh migrated
//! database per backend.
use motcua_domain::account::AccountStatus;
use motcua_domain::{AccountId, CertificateId, ReportId};
use motcua_domain::{
    CertificateStatus, Millis, Role, SignupStatus, SimStatus, DAY, HOUR, MINUTE, SECOND,
};
use motcua_identity::store::accounts::{self, NewAccount, Total};
use motcua_identity::store::activity::{self, NewActivity};
use motcua_identity::store::credentials as identity;
use motcua_identity::store::resets;
use motcua_identity::store::sessions::{self, Session};
use motcua_store::{AnyConnection, Store, StoreError};
use motcua_testkit::Db;

use super::NOW;

type R<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// A migrated database on one backend and a store on it.
struct TestDb {
    /// "sqlite" or "postgres", for assertion messages.
    name: &'static str,
    store: Store,
    db: Db,
}

impl TestDb {
    /// A second `Store` (its own pool) on the same database, like a second
    /// app node.
    async fn another_store(&self) -> Store {
        self.db.migrated_store().await
    }
}

/// Fresh, migrated databases: SQLite always, PostgreSQL if configured.
async fn backends() -> Vec<TestDb> {
    super::require_postgres_in_ci("identity");
    let mut out = Vec::new();
    for db in motcua_testkit::backends().await {
        out.push(TestDb {
            name: db.name(),
            store: db.migrated_store().await,
            db,
        });
    }
    out
}

fn new_account(username: &str, full_name: &str) -> NewAccount {
    NewAccount {
        username: username.to_string(),
        full_name: full_name.to_string(),
        locale: "vi".to_string(),
        ..Default::default()
    }
}

async fn mk_account(c: &mut AnyConnection, username: &str) -> R<AccountId> {
    Ok(accounts::create(c, &new_account(username, "Người dùng thử"), NOW).await?)
}

fn usernames(items: &[accounts::Account]) -> Vec<String> {
    items.iter().map(|a| a.username.clone()).collect()
}

/// The usernames a search finds (one page of up to 100), sorted; the
/// total must agree with them.
///
/// On PostgreSQL the same search also runs straight through the trigram
/// index's bitmap (the plan a page falls back to when the planner's own
/// plan runs past its budget: issue #7) and must find the same accounts.
async fn search_names(c: &mut AnyConnection, q: &str) -> R<Vec<String>> {
    let page = accounts::search(c, q, None, 100).await?;
    let mut names = usernames(&page.items);
    assert_eq!(
        page.total,
        Total::Exact(names.len() as i64),
        "total vs items for {q:?}"
    );
    let bitmap = accounts::Bounds {
        page_budget_ms: 0,
        ..accounts::Bounds::for_backend(motcua_store::Backend::of(c))
    };
    let fallback = accounts::search_within(c, q, None, 100, bitmap).await?;
    assert_eq!(
        (usernames(&fallback.items), fallback.total),
        (names.clone(), page.total),
        "the bitmap's page for {q:?}"
    );
    names.sort();
    Ok(names)
}

fn session(
    id_hash: &str,
    account_id: AccountId,
    created_at: Millis,
    expires_at: Millis,
) -> Session {
    Session {
        id_hash: id_hash.to_string(),
        account_id,
        method: "password".to_string(),
        assurance_level: 1,
        ip: "203.0.113.7".to_string(),
        user_agent: "Mozilla/5.0 (test)".to_string(),
        created_at,
        last_seen_at: created_at,
        expires_at,
    }
}

// ---------------------------------------------------------------------------
// Accounts
// ---------------------------------------------------------------------------

#[tokio::test]
async fn account_create_get_and_lookup() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        let new = NewAccount {
            username: "nguyen.an".into(),
            full_name: "Nguyễn Văn An".into(),
            email: Some("An.Nguyen@example.vn".into()),
            phone: Some("0912345678".into()),
            tax_code: Some("0100109106".into()),
            personal_id: Some("001099012345".into()),
            locale: "en".into(),
            roles: vec![Role::Citizen],
        };
        let id = accounts::create(&mut c, &new, NOW).await?;
        let other = mk_account(&mut c, "tran.binh").await?;
        assert_ne!(id, other, "{tag}");

        let a = accounts::get(&mut c, id).await?.ok_or("get")?;
        assert_eq!(a.id, id, "{tag}");
        assert_eq!(a.username, "nguyen.an", "{tag}");
        assert_eq!(a.full_name, "Nguyễn Văn An", "{tag}");
        assert_eq!(a.email.as_deref(), Some("An.Nguyen@example.vn"), "{tag}");
        assert_eq!(a.phone.as_deref(), Some("0912345678"), "{tag}");
        assert_eq!(a.tax_code.as_deref(), Some("0100109106"), "{tag}");
        assert_eq!(a.personal_id.as_deref(), Some("001099012345"), "{tag}");
        assert_eq!(a.status, AccountStatus::Active, "{tag}");
        assert_eq!(a.lock_reason, None, "{tag}");
        assert_eq!(a.locale, "en", "{tag}");
        assert_eq!(a.created_at, NOW, "{tag}");
        assert_eq!(a.roles, vec![Role::Citizen], "{tag}");

        let b = accounts::get(&mut c, other).await?.ok_or("get other")?;
        assert_eq!(b.email, None, "{tag}: absent optional fields stay NULL");
        assert!(b.roles.is_empty(), "{tag}");

        assert!(
            accounts::get(&mut c, AccountId::new(id.get() + other.get() + 1000))
                .await?
                .is_none(),
            "{tag}: unknown id"
        );

        for q in ["nguyen.an", "NGUYEN.AN", "  Nguyen.An  "] {
            let found = accounts::by_username(&mut c, q).await?;
            assert_eq!(found.map(|a| a.id), Some(id), "{tag}: by_username({q:?})");
        }
        assert!(
            accounts::by_username(&mut c, "nguyen").await?.is_none(),
            "{tag}: no prefix match"
        );

        let by_email = accounts::by_email(&mut c, "an.nguyen@EXAMPLE.vn").await?;
        assert_eq!(
            by_email.iter().map(|a| a.id).collect::<Vec<_>>(),
            vec![id],
            "{tag}"
        );
        assert_eq!(
            by_email[0].roles,
            vec![Role::Citizen],
            "{tag}: by_email loads roles"
        );

        accounts::set_locale(&mut c, id, "vi", NOW + 1).await?;
        assert_eq!(
            accounts::get(&mut c, id).await?.ok_or("get")?.locale,
            "vi",
            "{tag}"
        );

        assert_eq!(accounts::count(&mut c).await?, 2, "{tag}");
    }
    Ok(())
}

#[tokio::test]
async fn account_usernames_are_stored_lower_case() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        let id = accounts::create(&mut c, &new_account(" Le.Van ", "Lê Văn"), NOW).await?;
        let a = accounts::get(&mut c, id).await?.ok_or("get")?;
        assert_eq!(
            a.username, "le.van",
            "{tag}: normalized like by_username's input"
        );
        assert_eq!(
            accounts::by_username(&mut c, "LE.VAN").await?.map(|a| a.id),
            Some(id),
            "{tag}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn duplicate_username_is_a_conflict() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        mk_account(&mut c, "nguyen.an").await?;
        for dup in ["nguyen.an", "Nguyen.AN"] {
            match accounts::create(&mut c, &new_account(dup, "Someone else"), NOW).await {
                Err(StoreError::Conflict(what)) => assert_eq!(what, "username", "{tag}"),
                other => panic!("{tag}: duplicate {dup:?} gave {other:?}, want Conflict"),
            }
        }
        assert_eq!(accounts::count(&mut c).await?, 1, "{tag}");
        // The conflict inside a transaction leaves the transaction usable
        // for rollback, and nothing is written.
        drop(c);
        let mut tx = db.store.begin().await?;
        let res = accounts::create(&mut tx, &new_account("nguyen.an", "x"), NOW).await;
        assert!(matches!(res, Err(StoreError::Conflict(_))), "{tag}: in tx");
        tx.rollback().await?;
        let mut c = db.store.conn().await?;
        assert_eq!(accounts::count(&mut c).await?, 1, "{tag}");
    }
    Ok(())
}

#[tokio::test]
async fn roles_round_trip() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        let mut all = new_account("all.roles", "Mọi vai trò");
        all.roles = Role::ALL.iter().rev().copied().collect();
        let id_all = accounts::create(&mut c, &all, NOW).await?;
        let got = accounts::get(&mut c, id_all).await?.ok_or("get")?;
        assert_eq!(got.roles, Role::ALL.to_vec(), "{tag}: every role, in order");

        let mut some = new_account("two.roles", "Hai vai trò");
        some.roles = vec![Role::Operator, Role::Business];
        let id_some = accounts::create(&mut c, &some, NOW).await?;
        let got = accounts::by_username(&mut c, "two.roles")
            .await?
            .ok_or("by_username")?;
        assert_eq!(got.id, id_some, "{tag}");
        assert_eq!(got.roles, vec![Role::Business, Role::Operator], "{tag}");
        assert!(
            got.has_role(Role::Operator) && got.has_role(Role::Business),
            "{tag}"
        );
        assert!(!got.has_role(Role::Citizen), "{tag}");

        let id_none = mk_account(&mut c, "no.roles").await?;
        assert!(
            accounts::get(&mut c, id_none)
                .await?
                .ok_or("get")?
                .roles
                .is_empty(),
            "{tag}"
        );

        // operators(): active operators only, with their roles.
        let ops = accounts::operators(&mut c).await?;
        assert_eq!(
            ops.iter().map(|a| a.id).collect::<Vec<_>>(),
            vec![id_all, id_some],
            "{tag}"
        );
        accounts::set_status(&mut c, id_all, AccountStatus::Locked, Some("test"), NOW).await?;
        let ops = accounts::operators(&mut c).await?;
        assert_eq!(
            ops.iter().map(|a| a.id).collect::<Vec<_>>(),
            vec![id_some],
            "{tag}: locked excluded"
        );
        assert_eq!(ops[0].roles, vec![Role::Business, Role::Operator], "{tag}");
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Account search
// ---------------------------------------------------------------------------

async fn seed_search(c: &mut AnyConnection) -> R {
    let mut dkkd = new_account("pdkkd", "Phòng Đăng ký kinh doanh");
    dkkd.email = Some("dkkd@hanoi.gov.vn".into());
    dkkd.tax_code = Some("0100109106".into());
    accounts::create(c, &dkkd, NOW).await?;

    let mut an = new_account("an01", "Nguyễn Văn An");
    an.email = Some("An.Tran@Example.VN".into());
    an.personal_id = Some("001099012345".into());
    an.phone = Some("0912345678".into());
    accounts::create(c, &an, NOW).await?;

    accounts::create(c, &new_account("binh02", "Trần Thị Bình"), NOW).await?;
    accounts::create(c, &new_account("uudai50", "Ưu đãi 50% phí"), NOW).await?;
    accounts::create(c, &new_account("uudai500", "Ưu đãi 500 phí"), NOW).await?;
    accounts::create(c, &new_account("le_van", "Lê Văn Tám"), NOW).await?;
    accounts::create(c, &new_account("lexvan", "Lê Văn Chín"), NOW).await?;
    Ok(())
}

#[tokio::test]
async fn search_is_diacritic_insensitive() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        seed_search(&mut c).await?;
        for q in [
            "dang ky",
            "Đăng Ký",
            "ĐĂNG KÝ",
            "đăng ký",
            "  dang   ky  ",
            "Phong dang ky kinh doanh",
        ] {
            assert_eq!(
                search_names(&mut c, q).await?,
                vec!["pdkkd"],
                "{tag}: {q:?}"
            );
        }
        for q in ["nguyen", "Nguyễn", "NGUYEN", "nguyên"] {
            assert_eq!(search_names(&mut c, q).await?, vec!["an01"], "{tag}: {q:?}");
        }
        // The reverse: an unaccented name is found by an accented query.
        assert_eq!(search_names(&mut c, "Bình").await?, vec!["binh02"], "{tag}");
        assert_eq!(
            search_names(&mut c, "tran thi").await?,
            vec!["binh02"],
            "{tag}"
        );
        assert!(
            search_names(&mut c, "không có ai").await?.is_empty(),
            "{tag}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn search_requires_every_word() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        seed_search(&mut c).await?;
        assert_eq!(
            search_names(&mut c, "van").await?,
            vec!["an01", "le_van", "lexvan"],
            "{tag}"
        );
        assert_eq!(
            search_names(&mut c, "van tam").await?,
            vec!["le_van"],
            "{tag}"
        );
        assert_eq!(
            search_names(&mut c, "tam van").await?,
            vec!["le_van"],
            "{tag}: order-free"
        );
        assert_eq!(
            search_names(&mut c, "kinh dang").await?,
            vec!["pdkkd"],
            "{tag}"
        );
        assert!(
            search_names(&mut c, "dang binh").await?.is_empty(),
            "{tag}: AND, not OR"
        );
        assert!(
            search_names(&mut c, "nguyen tam").await?.is_empty(),
            "{tag}: AND, not OR"
        );
    }
    Ok(())
}

#[tokio::test]
async fn search_matches_email_tax_code_personal_id() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        seed_search(&mut c).await?;
        assert_eq!(
            search_names(&mut c, "dkkd@hanoi.gov.vn").await?,
            vec!["pdkkd"],
            "{tag}"
        );
        assert_eq!(
            search_names(&mut c, "hanoi.gov").await?,
            vec!["pdkkd"],
            "{tag}"
        );
        assert_eq!(
            search_names(&mut c, "AN.TRAN@example").await?,
            vec!["an01"],
            "{tag}: email, any case"
        );
        assert_eq!(
            search_names(&mut c, "0100109106").await?,
            vec!["pdkkd"],
            "{tag}: tax code"
        );
        assert_eq!(
            search_names(&mut c, "001099012345").await?,
            vec!["an01"],
            "{tag}: personal ID"
        );
        assert_eq!(
            search_names(&mut c, "0912345678").await?,
            vec!["an01"],
            "{tag}: phone"
        );
        assert_eq!(
            search_names(&mut c, "binh02").await?,
            vec!["binh02"],
            "{tag}: username"
        );
    }
    Ok(())
}

#[tokio::test]
async fn search_treats_like_metacharacters_literally() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        seed_search(&mut c).await?;
        // Unescaped, "50%" would also match "500".
        assert_eq!(
            search_names(&mut c, "50%").await?,
            vec!["uudai50"],
            "{tag}: 50%"
        );
        assert_eq!(
            search_names(&mut c, "%").await?,
            vec!["uudai50"],
            "{tag}: lone %"
        );
        // Unescaped, "_" would match any character ("lexvan").
        assert_eq!(
            search_names(&mut c, "le_van").await?,
            vec!["le_van"],
            "{tag}: le_van"
        );
        assert_eq!(
            search_names(&mut c, "_").await?,
            vec!["le_van"],
            "{tag}: lone _"
        );
        // The escape character itself is literal too, and not an error.
        assert!(
            search_names(&mut c, "\\").await?.is_empty(),
            "{tag}: backslash"
        );
        assert!(
            search_names(&mut c, "le\\_van").await?.is_empty(),
            "{tag}: backslash-underscore"
        );
        assert!(
            search_names(&mut c, "'; --").await?.is_empty(),
            "{tag}: quotes"
        );
    }
    Ok(())
}

#[tokio::test]
async fn search_paginates() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        for i in 1..=5 {
            mk_account(&mut c, &format!("page{i:02}")).await?;
        }
        accounts::create(&mut c, &new_account("other01", "Người khác"), NOW).await?;

        // Keyset pages, newest first.
        let q = "nguoi dung thu";
        let p1 = accounts::search(&mut c, q, None, 2).await?;
        assert_eq!(p1.total, Total::Exact(5), "{tag}");
        assert_eq!(usernames(&p1.items), vec!["page05", "page04"], "{tag}");
        assert_eq!(p1.next, Some(p1.items[1].id), "{tag}");
        let p2 = accounts::search(&mut c, q, p1.next, 2).await?;
        assert_eq!(usernames(&p2.items), vec!["page03", "page02"], "{tag}");
        // A page stays the same while accounts are added.
        mk_account(&mut c, "page06").await?;
        let again = accounts::search(&mut c, q, p1.next, 2).await?;
        assert_eq!(
            usernames(&again.items),
            vec!["page03", "page02"],
            "{tag}: stable"
        );
        let p3 = accounts::search(&mut c, q, p2.next, 2).await?;
        assert_eq!(usernames(&p3.items), vec!["page01"], "{tag}");
        assert_eq!(p3.next, None, "{tag}: the last page");
        let first = accounts::search(&mut c, q, None, 2).await?;
        assert_eq!(
            usernames(&first.items),
            vec!["page06", "page05"],
            "{tag}: the new one first"
        );
        assert_eq!(first.total, Total::Exact(6), "{tag}");

        // An empty query lists everyone, by the same keyset.
        let p = accounts::search(&mut c, "  ", None, 100).await?;
        assert_eq!(
            (p.total, p.items.len(), p.next),
            (Total::Exact(7), 7, None),
            "{tag}"
        );
        let p = accounts::search(&mut c, "", None, 3).await?;
        assert_eq!((p.total, p.items.len()), (Total::Exact(7), 3), "{tag}");
        let rest = accounts::search(&mut c, "", p.next, 100).await?;
        assert_eq!(rest.items.len(), 4, "{tag}");
    }
    Ok(())
}

/// Issue #7: identifiers by their own columns, exactly (email without
/// regard to case); roles come with every row of a page.
#[tokio::test]
async fn search_finds_exact_identifiers_on_their_columns() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        seed_search(&mut c).await?;
        for (q, want) in [
            ("001099012345", "an01"),
            ("0100109106", "pdkkd"),
            ("0912345678", "an01"),
            ("an.tran@example.vn", "an01"),
            ("AN.TRAN@EXAMPLE.VN", "an01"),
            ("PDKKD", "pdkkd"),
        ] {
            let p = accounts::search(&mut c, q, None, 20).await?;
            assert_eq!(usernames(&p.items), vec![want], "{tag}: {q}");
            assert_eq!(
                (p.total, p.next, p.window),
                (Total::Exact(1), None, false),
                "{tag}: {q}"
            );
        }
        // A part of an identifier is found through the text, not exactly.
        assert_eq!(search_names(&mut c, "0123").await?, vec!["an01"], "{tag}");
        assert_eq!(
            search_names(&mut c, "hanoi.gov").await?,
            vec!["pdkkd"],
            "{tag}"
        );
        // Nothing of the kind: nothing, quickly and without error.
        for q in ["009999999999", "nobody@nowhere.vn", "khongcoai"] {
            assert!(search_names(&mut c, q).await?.is_empty(), "{tag}: {q}");
        }
        // Roles are loaded for the whole page.
        let op = accounts::create(
            &mut c,
            &NewAccount {
                roles: vec![Role::Operator, Role::Citizen],
                ..new_account("quantri9", "Quản trị Chín")
            },
            NOW,
        )
        .await?;
        let p = accounts::search(&mut c, "", None, 50).await?;
        let got = p.items.iter().find(|a| a.id == op).map(|a| a.roles.clone());
        assert_eq!(got, Some(vec![Role::Citizen, Role::Operator]), "{tag}");
    }
    Ok(())
}

/// Issue #7: words shorter than a trigram ("le", "an") filter the
/// candidates of the longer ones; a query of short words only looks at a
/// bounded window and says so; a broad match is counted only up to the
/// cap.
#[tokio::test]
async fn search_short_words_and_broad_matches_stay_bounded() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        seed_search(&mut c).await?;
        // Long word + short word: "van" through the index, "an" filters
        // as a whole word (not the "an" inside "van" or "tam").
        assert_eq!(search_names(&mut c, "van an").await?, vec!["an01"], "{tag}");
        assert_eq!(
            search_names(&mut c, "Văn Tám").await?,
            vec!["le_van"],
            "{tag}"
        );
        assert_eq!(
            search_names(&mut c, "Lê văn").await?,
            vec!["le_van", "lexvan"],
            "{tag}"
        );
        // A short word at the start or the end of the text is a whole
        // word too ("an" is also a username here), and a one-letter word
        // works.
        accounts::create(&mut c, &new_account("an", "Phạm Thị Y"), NOW).await?;
        assert_eq!(
            search_names(&mut c, "an").await?,
            vec!["an"],
            "{tag}: exact username"
        );
        assert_eq!(search_names(&mut c, "y an").await?, vec!["an"], "{tag}");
        assert_eq!(
            search_names(&mut c, "nguyen an").await?,
            vec!["an01"],
            "{tag}"
        );
        assert_eq!(search_names(&mut c, "pham y").await?, vec!["an"], "{tag}");
        assert_eq!(search_names(&mut c, "y").await?, vec!["an"], "{tag}");
        // Short words only: the newest accounts, within the window (here
        // every account, so the answer is complete and exact).
        let p = accounts::search(&mut c, "le", None, 20).await?;
        let mut names = usernames(&p.items);
        names.sort();
        assert_eq!(names, vec!["le_van", "lexvan"], "{tag}");
        assert_eq!(
            (p.total, p.window, p.next),
            (Total::Exact(2), false, None),
            "{tag}"
        );
        let p = accounts::search(&mut c, "nguyen", None, 20).await?;
        assert!(!p.window, "{tag}: an indexed word searches everything");

        // More than the cap: "more than 1,000", and pages still walk.
        let mut tx = db.store.begin().await?;
        for i in 0..(accounts::COUNT_CAP + 5) {
            accounts::create(
                &mut tx,
                &new_account(&format!("dongloat{i:04}"), "Đồng Loạt"),
                NOW,
            )
            .await?;
        }
        tx.commit().await?;
        let p = accounts::search(&mut c, "dong loat", None, 20).await?;
        assert_eq!(p.total, Total::MoreThan(accounts::COUNT_CAP), "{tag}");
        assert_eq!(p.items.len(), 20, "{tag}");
        assert_eq!(
            p.items[0].username,
            format!("dongloat{:04}", accounts::COUNT_CAP + 4),
            "{tag}: newest first"
        );
        let p2 = accounts::search(&mut c, "dong loat", p.next, 20).await?;
        assert_eq!(
            p2.items[0].username,
            format!("dongloat{:04}", accounts::COUNT_CAP - 16),
            "{tag}"
        );
        let exact = accounts::search(&mut c, "dongloat0007", None, 20).await?;
        assert_eq!(usernames(&exact.items), vec!["dongloat0007"], "{tag}");
    }
    Ok(())
}

/// Issue #7: the scale bench's bulk load stores what `create` stores
/// (lower-cased username, folded search text, roles), the search indexes
/// follow it, PostgreSQL gets back every index it dropped, a duplicate
/// username fails the whole load, and accounts added afterwards are found
/// with the loaded ones.
#[tokio::test]
async fn bulk_load_stores_what_create_stores_and_keeps_the_indexes() -> R {
    use motcua_identity::synthetic::citizen;
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        let sql = if tag == "sqlite" {
            "SELECT name FROM sqlite_master WHERE tbl_name IN ('accounts', 'accounts_search') ORDER BY name"
        } else {
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'accounts' ORDER BY indexname"
        };
        let before: Vec<String> = sqlx::query_scalar(sql).fetch_all(&mut *c).await?;
        let n = accounts::bulk_load(&db.store, &db.db.url, (0..300).map(|i| citizen(3, i, NOW)))
            .await?;
        assert_eq!(n, 300, "{tag}");
        assert_eq!(
            sqlx::query_scalar::<_, String>(sql)
                .fetch_all(&mut *c)
                .await?,
            before,
            "{tag}: the same indexes after the load"
        );
        let one = citizen(3, 123, NOW).account;
        let got = accounts::by_username(&mut c, &one.username)
            .await?
            .expect("loaded");
        assert_eq!(
            (got.full_name.as_str(), got.roles.clone()),
            (one.full_name.as_str(), vec![Role::Citizen]),
            "{tag}"
        );
        // Found by every route the console uses: exact ID, exact email,
        // name words through the index, and a short-word filter.
        let pid = one.personal_id.clone().unwrap();
        assert_eq!(
            usernames(&accounts::search(&mut c, &pid, None, 20).await?.items),
            vec![one.username.clone()],
            "{tag}"
        );
        let folded = motcua_domain::text::fold(&one.full_name);
        let p = accounts::search(&mut c, &folded, None, 200).await?;
        assert!(p.items.iter().any(|a| a.id == got.id), "{tag}: {folded}");
        assert!(
            p.items
                .iter()
                .all(|a| motcua_domain::text::fold(&a.full_name).contains(&folded)),
            "{tag}"
        );
        // A second load adds; a clash fails all of it.
        accounts::bulk_load(
            &db.store,
            &db.db.url,
            (300..400).map(|i| citizen(3, i, NOW)),
        )
        .await?;
        let clash = (400..450)
            .map(|i| citizen(3, i, NOW))
            .chain(std::iter::once(citizen(3, 5, NOW)));
        assert!(
            accounts::bulk_load(&db.store, &db.db.url, clash)
                .await
                .is_err(),
            "{tag}"
        );
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
            .fetch_one(&mut *c)
            .await?;
        assert_eq!(total, 400, "{tag}: the failed load left nothing");
        assert_eq!(
            accounts::count(&mut c).await?,
            total,
            "{tag}: the kept count"
        );
        let roles: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM account_roles")
            .fetch_one(&mut *c)
            .await?;
        assert_eq!(roles, 400, "{tag}");
        let later = accounts::create(&mut c, &new_account("moi.sau", &one.full_name), NOW).await?;
        let p = accounts::search(&mut c, &folded, None, 200).await?;
        assert_eq!(
            p.items.first().map(|a| a.id),
            Some(later),
            "{tag}: newest first"
        );
    }
    Ok(())
}

fn bounds(window: i64) -> accounts::Bounds {
    accounts::Bounds {
        window,
        ..Default::default()
    }
}

/// Issue #7: a count looks at the newest accounts only; beyond them it is
/// an estimate in proportion, never below what the page shows; a whole
/// answer on the first page is exact.
#[tokio::test]
async fn search_counts_a_sample_and_estimates_beyond_it() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        let mut tx = db.store.begin().await?;
        for i in 0..60 {
            let name = if i % 2 == 0 {
                "Hứa Văn Bảo"
            } else {
                "Hứa Thị Mai"
            };
            accounts::create(&mut tx, &new_account(&format!("hua{i:02}"), name), NOW).await?;
        }
        tx.commit().await?;
        let small = |sample| accounts::Bounds {
            sample,
            ..Default::default()
        };
        // 30 of 60 match; the newest 20 hold 10: about 10 × 60 / 20.
        let p = accounts::search_within(&mut c, "hua van", None, 5, small(20)).await?;
        assert_eq!(p.total, Total::About(30), "{tag}");
        // A sample that covers everyone counts exactly.
        let p = accounts::search_within(&mut c, "hua van", None, 5, small(1000)).await?;
        assert_eq!(p.total, Total::Exact(30), "{tag}");
        // No match among the sample: what the page shows, as "at least".
        let mut tx = db.store.begin().await?;
        for i in 0..10 {
            accounts::create(&mut tx, &new_account(&format!("moi{i}"), "Người Mới"), NOW).await?;
        }
        tx.commit().await?;
        let p = accounts::search_within(&mut c, "hua van", None, 5, small(5)).await?;
        assert_eq!((p.items.len(), p.total), (5, Total::AtLeast(6)), "{tag}");
        // A whole answer on the first page is exact, whatever the sample.
        let p = accounts::search_within(&mut c, "hua van", None, 100, small(5)).await?;
        assert_eq!((p.items.len(), p.total), (30, Total::Exact(30)), "{tag}");
    }
    Ok(())
}

/// Issue #7: a filter the index cannot serve examines a bounded window of
/// candidates per page. A page that reaches the window's edge says so and
/// its cursor continues past it; walking on finds every match exactly once,
/// newest first, whatever the window; the total is "at least" while the
/// window was full.
#[tokio::test]
async fn search_filters_walk_bounded_windows_without_losing_matches() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        let mut tx = db.store.begin().await?;
        // 40 "Trần Văn Bảo": every 7th has a mail at x.vn. "@x" is a
        // short word that is not a whole word of letters: no index serves
        // it, so it filters a window of candidates.
        let mut want = Vec::new();
        for i in 0..40 {
            let u = format!("tv{i:02}");
            let mut a = new_account(&u, "Trần Văn Bảo");
            a.email = Some(format!("b{i}@{}.vn", if i % 7 == 0 { "x" } else { "y" }));
            accounts::create(&mut tx, &a, NOW).await?;
            if i % 7 == 0 {
                want.push(u);
            }
        }
        tx.commit().await?;
        want.reverse();
        // A budget of 0: on PostgreSQL every page through the trigram
        // index's bitmap (the fallback of a slow plan), which must page alike.
        for (q, window, budget) in [
            ("tran van @x", 5, 60),
            ("tran van @x", 5, 0),
            ("tran van @x", 1, 60),
            ("van @x", 13, 0),
            ("@x", 4, 60),
            ("bao @x", 1000, 60),
            ("bao @x", 1000, 0),
        ] {
            let mut seen = Vec::new();
            let mut after = None;
            let mut pages = 0;
            let b = accounts::Bounds {
                page_budget_ms: budget,
                ..bounds(window)
            };
            let first = accounts::search_within(&mut c, q, None, 2, b).await?;
            loop {
                let p = accounts::search_within(&mut c, q, after, 2, b).await?;
                assert!(p.items.len() <= 2, "{tag}: {q} w={window}");
                if p.window {
                    assert!(p.next.is_some(), "{tag}: the edge continues");
                }
                seen.extend(usernames(&p.items));
                pages += 1;
                assert!(pages < 100, "{tag}: {q} w={window} must end");
                match p.next {
                    Some(n) => after = Some(n),
                    None => break,
                }
            }
            assert_eq!(seen, want, "{tag}: {q} with a window of {window}");
            let expect = if window >= 40 {
                Total::Exact(6)
            } else {
                // The window from the start holds `window` candidates, of
                // which every 7th (from the newest, tv39 down) is An.
                let hits = (0..40)
                    .rev()
                    .take(window as usize)
                    .filter(|i| i % 7 == 0)
                    .count();
                Total::AtLeast(hits as i64)
            };
            assert_eq!(first.total, expect, "{tag}: {q} w={window}");
        }
        // A filter that matches nothing: every page is empty and bounded,
        // and the walk ends.
        let p = accounts::search_within(&mut c, "tran van @z", None, 20, bounds(8)).await?;
        assert!(p.items.is_empty() && p.window && p.next.is_some(), "{tag}");
        assert_eq!(p.total, Total::AtLeast(0), "{tag}");
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Status and passwords
// ---------------------------------------------------------------------------

#[tokio::test]
async fn set_status_locks_and_unlocks() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        let id = mk_account(&mut c, "khoa01").await?;
        let bystander = mk_account(&mut c, "khac01").await?;

        accounts::set_status(
            &mut c,
            id,
            AccountStatus::Locked,
            Some("Báo cáo bị lộ mật khẩu"),
            NOW,
        )
        .await?;
        let a = accounts::get(&mut c, id).await?.ok_or("get")?;
        assert_eq!(a.status, AccountStatus::Locked, "{tag}");
        assert_eq!(
            a.lock_reason.as_deref(),
            Some("Báo cáo bị lộ mật khẩu"),
            "{tag}"
        );
        let b = accounts::get(&mut c, bystander).await?.ok_or("get")?;
        assert_eq!(
            b.status,
            AccountStatus::Active,
            "{tag}: other accounts untouched"
        );

        accounts::set_status(&mut c, id, AccountStatus::Active, None, NOW + MINUTE).await?;
        let a = accounts::get(&mut c, id).await?.ok_or("get")?;
        assert_eq!(a.status, AccountStatus::Active, "{tag}");
        assert_eq!(a.lock_reason, None, "{tag}: unlock clears the reason");

        match accounts::set_status(
            &mut c,
            AccountId::new(id.get() + bystander.get() + 1000),
            AccountStatus::Locked,
            None,
            NOW,
        )
        .await
        {
            Err(StoreError::NotFound) => {}
            other => panic!("{tag}: unknown account gave {other:?}"),
        }
    }
    Ok(())
}

#[tokio::test]
async fn password_credentials_set_and_replace() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        let id = mk_account(&mut c, "matkhau01").await?;
        let other = mk_account(&mut c, "matkhau02").await?;
        assert!(
            accounts::password(&mut c, id).await?.is_none(),
            "{tag}: none yet"
        );

        accounts::set_password(&mut c, id, "$argon2id$initial", Some(NOW + 3 * DAY), NOW).await?;
        let p = accounts::password(&mut c, id).await?.ok_or("password")?;
        assert_eq!(p.hash, "$argon2id$initial", "{tag}");
        assert!(p.is_initial, "{tag}");
        assert_eq!(p.expires_at, Some(NOW + 3 * DAY), "{tag}");
        assert_eq!(p.changed_at, NOW, "{tag}");

        accounts::set_password(&mut c, id, "$argon2id$chosen", None, NOW + HOUR).await?;
        let p = accounts::password(&mut c, id).await?.ok_or("password")?;
        assert_eq!(p.hash, "$argon2id$chosen", "{tag}");
        assert!(!p.is_initial, "{tag}");
        assert_eq!(p.expires_at, None, "{tag}");
        assert_eq!(p.changed_at, NOW + HOUR, "{tag}");

        assert!(
            accounts::password(&mut c, other).await?.is_none(),
            "{tag}: per account"
        );
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM password_credentials")
            .fetch_one(&mut *c)
            .await?;
        assert_eq!(n, 1, "{tag}: replaced, not added");
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------

#[tokio::test]
async fn sessions_lifecycle() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        let a = mk_account(&mut c, "phien01").await?;
        let b = mk_account(&mut c, "phien02").await?;

        let s1 = session("h1", a, NOW, NOW + HOUR);
        sessions::create(&mut c, &s1).await?;
        sessions::create(&mut c, &session("h2", a, NOW, NOW + HOUR)).await?;
        sessions::create(&mut c, &session("h-expired", a, NOW - 2 * HOUR, NOW - HOUR)).await?;
        sessions::create(&mut c, &session("hb", b, NOW, NOW + HOUR)).await?;

        let got = sessions::get(&mut c, "h1", NOW).await?.ok_or("get h1")?;
        assert_eq!(got.id_hash, "h1", "{tag}");
        assert_eq!(got.account_id, a, "{tag}");
        assert_eq!(got.method, s1.method, "{tag}");
        assert_eq!(got.assurance_level, 1, "{tag}");
        assert_eq!(got.ip, s1.ip, "{tag}");
        assert_eq!(got.user_agent, s1.user_agent, "{tag}");
        assert_eq!(
            (got.created_at, got.last_seen_at, got.expires_at),
            (NOW, NOW, NOW + HOUR),
            "{tag}"
        );

        assert!(
            sessions::get(&mut c, "h-expired", NOW).await?.is_none(),
            "{tag}: expired"
        );
        assert!(
            sessions::get(&mut c, "h1", NOW + HOUR).await?.is_none(),
            "{tag}: expires at expires_at"
        );
        assert!(
            sessions::get(&mut c, "nope", NOW).await?.is_none(),
            "{tag}: unknown"
        );
        assert_eq!(
            sessions::count_for(&mut c, a, NOW).await?,
            2,
            "{tag}: live sessions only"
        );

        // touch slides the expiry.
        sessions::touch(&mut c, "h1", NOW + 30 * MINUTE, NOW + 2 * HOUR).await?;
        let got = sessions::get(&mut c, "h1", NOW + 90 * MINUTE)
            .await?
            .ok_or("touched h1")?;
        assert_eq!(got.last_seen_at, NOW + 30 * MINUTE, "{tag}");
        assert_eq!(got.expires_at, NOW + 2 * HOUR, "{tag}");
        assert!(
            sessions::get(&mut c, "h2", NOW + 90 * MINUTE)
                .await?
                .is_none(),
            "{tag}: h2 not touched"
        );

        assert_eq!(sessions::delete(&mut c, "h2").await?, 1, "{tag}");
        assert_eq!(
            sessions::delete(&mut c, "h2").await?,
            0,
            "{tag}: already gone"
        );
        assert!(sessions::get(&mut c, "h2", NOW).await?.is_none(), "{tag}");

        assert_eq!(
            sessions::purge_expired(&mut c, NOW).await?,
            1,
            "{tag}: only h-expired"
        );
        assert_eq!(sessions::count_for(&mut c, a, NOW).await?, 1, "{tag}");
        assert!(sessions::get(&mut c, "hb", NOW).await?.is_some(), "{tag}");

        sessions::create(&mut c, &session("h3", a, NOW, NOW + HOUR)).await?;
        assert_eq!(
            sessions::delete_all(&mut c, a).await?,
            2,
            "{tag}: h1 and h3"
        );
        assert_eq!(sessions::count_for(&mut c, a, NOW).await?, 0, "{tag}");
        assert!(
            sessions::get(&mut c, "hb", NOW).await?.is_some(),
            "{tag}: other account kept"
        );
        assert_eq!(sessions::count_for(&mut c, b, NOW).await?, 1, "{tag}");

        assert!(
            sessions::create(&mut c, &session("hb", b, NOW, NOW + HOUR))
                .await
                .is_err(),
            "{tag}: id_hash unique"
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Activity and compromise reports
// ---------------------------------------------------------------------------

#[tokio::test]
async fn activity_newest_first_with_total() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        let a = mk_account(&mut c, "hoatdong01").await?;
        let b = mk_account(&mut c, "hoatdong02").await?;
        let ev = |account_id, kind, method| NewActivity {
            account_id,
            kind,
            method,
            ip: "203.0.113.9",
            user_agent: "UA/1",
            detail: "chi tiết",
        };
        activity::record(&mut c, &ev(a, "login", Some("password")), NOW).await?;
        activity::record(&mut c, &ev(b, "login", Some("password")), NOW + 1).await?;
        activity::record(&mut c, &ev(a, "login_failed", Some("password")), NOW + 2).await?;
        activity::record(&mut c, &ev(a, "logout", None), NOW + 3).await?;

        let (items, next) = activity::list(&mut c, a, None, 2).await?;
        assert_eq!(next, Some(items[1].id), "{tag}: a cursor to the rest");
        assert_eq!(
            items.iter().map(|x| x.kind.as_str()).collect::<Vec<_>>(),
            vec!["logout", "login_failed"],
            "{tag}"
        );
        assert_eq!(items[0].method, None, "{tag}");
        assert_eq!(items[1].method.as_deref(), Some("password"), "{tag}");
        assert_eq!(items[0].at, NOW + 3, "{tag}");
        assert_eq!(items[0].account_id, a, "{tag}");
        assert_eq!(
            (items[0].ip.as_str(), items[0].user_agent.as_str()),
            ("203.0.113.9", "UA/1"),
            "{tag}"
        );
        assert_eq!(items[0].detail, "chi tiết", "{tag}");
        assert!(items[0].id > items[1].id, "{tag}");

        // A new entry does not move the next page (keyset paging).
        activity::record(&mut c, &ev(a, "login", Some("password")), NOW + 4).await?;
        let (items, end) = activity::list(&mut c, a, next, 2).await?;
        assert_eq!(end, None, "{tag}: the last page");
        assert_eq!(
            items.iter().map(|x| x.kind.as_str()).collect::<Vec<_>>(),
            vec!["login"],
            "{tag}"
        );
        assert_eq!(items[0].at, NOW, "{tag}");

        let (items, next) = activity::list(&mut c, b, None, 10).await?;
        assert_eq!((items.len(), next), (1, None), "{tag}: per account");
    }
    Ok(())
}

/// Issue #7: more expired sessions than one purge batch all go, batch by
/// batch; live ones stay.
#[tokio::test]
async fn purge_deletes_in_batches_and_keeps_live_sessions() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        let a = accounts::create(&mut c, &new_account("nhieuphien", "Nhiều Phiên"), NOW).await?;
        let expired = sessions::PURGE_BATCH * 2 + 7;
        let mut tx = db.store.begin().await?;
        for i in 0..expired {
            sessions::create(
                &mut tx,
                &session(&format!("old{i}"), a, NOW - HOUR, NOW - i - 1),
            )
            .await?;
        }
        sessions::create(&mut tx, &session("live", a, NOW, NOW + HOUR)).await?;
        tx.commit().await?;
        assert_eq!(
            sessions::purge_expired(&mut c, NOW).await?,
            expired as u64,
            "{tag}"
        );
        assert_eq!(sessions::count_for(&mut c, a, NOW).await?, 1, "{tag}");
        assert_eq!(
            sessions::purge_expired(&mut c, NOW).await?,
            0,
            "{tag}: nothing left"
        );
    }
    Ok(())
}

#[tokio::test]
async fn compromise_reports_newest_first() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        let a = mk_account(&mut c, "baocao01").await?;
        let b = mk_account(&mut c, "baocao02").await?;
        assert!(
            activity::compromise_reports(&mut c, 10).await?.is_empty(),
            "{tag}"
        );
        let r1 =
            activity::report_compromise(&mut c, a, "Không phải tôi đăng nhập", "203.0.113.1", NOW)
                .await?;
        let r2 = activity::report_compromise(&mut c, b, "", "203.0.113.2", NOW + SECOND).await?;
        assert_ne!(r1, r2, "{tag}");

        let all = activity::compromise_reports(&mut c, 10).await?;
        assert_eq!(
            all.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![r2, r1],
            "{tag}"
        );
        assert_eq!(all[1].account_id, a, "{tag}");
        assert_eq!(all[1].username, "baocao01", "{tag}");
        assert_eq!(all[1].note, "Không phải tôi đăng nhập", "{tag}");
        assert_eq!(all[1].ip, "203.0.113.1", "{tag}");
        assert_eq!(all[1].at, NOW, "{tag}");
        assert_eq!(all[0].username, "baocao02", "{tag}");

        let one = activity::compromise_reports(&mut c, 1).await?;
        assert_eq!(
            one.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![r2],
            "{tag}: limit"
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Password resets
// ---------------------------------------------------------------------------

#[tokio::test]
async fn resets_single_use_expiry_and_revoke() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        let a = mk_account(&mut c, "datlai01").await?;
        let b = mk_account(&mut c, "datlai02").await?;

        resets::create(&mut c, "t1", a, NOW, NOW + HOUR).await?;
        assert_eq!(resets::peek(&mut c, "t1", NOW).await?, Some(a), "{tag}");
        assert_eq!(
            resets::peek(&mut c, "t1", NOW + 1).await?,
            Some(a),
            "{tag}: peek does not consume"
        );
        assert_eq!(
            resets::consume(&mut c, "t1", NOW + 2).await?,
            Some(a),
            "{tag}"
        );
        assert_eq!(
            resets::consume(&mut c, "t1", NOW + 3).await?,
            None,
            "{tag}: single use"
        );
        assert_eq!(
            resets::peek(&mut c, "t1", NOW + 3).await?,
            None,
            "{tag}: used"
        );
        assert_eq!(resets::peek(&mut c, "unknown", NOW).await?, None, "{tag}");
        assert_eq!(
            resets::consume(&mut c, "unknown", NOW).await?,
            None,
            "{tag}"
        );

        // Expired tokens are neither peeked nor consumed.
        resets::create(&mut c, "t2", a, NOW, NOW + HOUR).await?;
        assert_eq!(
            resets::peek(&mut c, "t2", NOW + HOUR).await?,
            None,
            "{tag}: expired at expires_at"
        );
        assert_eq!(
            resets::consume(&mut c, "t2", NOW + HOUR).await?,
            None,
            "{tag}"
        );
        assert_eq!(
            resets::consume(&mut c, "t2", NOW + 2 * HOUR).await?,
            None,
            "{tag}"
        );
        assert_eq!(
            resets::peek(&mut c, "t2", NOW + HOUR - 1).await?,
            Some(a),
            "{tag}: valid just before"
        );

        // revoke_all: every open token of the account, no one else's.
        resets::create(&mut c, "t3", a, NOW, NOW + HOUR).await?;
        resets::create(&mut c, "tb", b, NOW, NOW + HOUR).await?;
        resets::revoke_all(&mut c, a, NOW + 5).await?;
        for t in ["t2", "t3"] {
            assert_eq!(
                resets::peek(&mut c, t, NOW + 6).await?,
                None,
                "{tag}: {t} revoked"
            );
            assert_eq!(
                resets::consume(&mut c, t, NOW + 6).await?,
                None,
                "{tag}: {t} revoked"
            );
        }
        assert_eq!(
            resets::peek(&mut c, "tb", NOW + 6).await?,
            Some(b),
            "{tag}: other account kept"
        );
        assert_eq!(
            resets::consume(&mut c, "tb", NOW + 6).await?,
            Some(b),
            "{tag}"
        );

        // recent_count counts links created since a time, used or not
        // (it caps reset mail).
        resets::create(&mut c, "t4", a, NOW + HOUR, NOW + 2 * HOUR).await?;
        assert_eq!(resets::recent_count(&mut c, a, NOW).await?, 4, "{tag}");
        assert_eq!(resets::recent_count(&mut c, a, NOW + 1).await?, 1, "{tag}");
        assert_eq!(
            resets::recent_count(&mut c, a, NOW + HOUR).await?,
            1,
            "{tag}: inclusive"
        );
        assert_eq!(
            resets::recent_count(&mut c, a, NOW + HOUR + 1).await?,
            0,
            "{tag}"
        );
        assert_eq!(
            resets::recent_count(&mut c, b, NOW).await?,
            1,
            "{tag}: per account"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn resets_concurrent_consume_has_one_winner() -> R {
    for db in backends().await {
        let tag = db.name;
        let a = {
            let mut c = db.store.conn().await?;
            let a = mk_account(&mut c, "datlai03").await?;
            resets::create(&mut c, "race", a, NOW, NOW + HOUR).await?;
            a
        };
        let stores = [db.store.clone(), db.another_store().await];
        let mut tasks = Vec::new();
        for i in 0..10 {
            let store = stores[i % 2].clone();
            tasks.push(tokio::spawn(async move {
                let mut c = store.conn().await?;
                resets::consume(&mut c, "race", NOW + 1).await
            }));
        }
        let mut winners = Vec::new();
        for t in tasks {
            if let Some(id) = t.await?? {
                winners.push(id);
            }
        }
        assert_eq!(winners, vec![a], "{tag}: exactly one consumer");
        stores[1].close().await;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Digital identity (migration 0006, R-ID-9…11)
// ---------------------------------------------------------------------------

fn challenge_row(id: &str, binding: &str) -> identity::ChallengeRow {
    identity::ChallengeRow {
        id: id.to_string(),
        nonce: "bm9uY2U".to_string(),
        purpose: "login".to_string(),
        origin: "https://dvc.example.vn".to_string(),
        method: "usb_token".to_string(),
        binding_hash: binding.to_string(),
        account_id: None,
        created_at: NOW,
        expires_at: NOW + 2 * MINUTE,
    }
}

#[tokio::test]
async fn challenges_are_spent_once_and_purged_after_expiry() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        identity::record_spent_challenge(&mut c, &challenge_row("c1", "browser-a"), NOW + 1)
            .await?;
        // Replayed, from any browser: a conflict.
        for binding in ["browser-a", "browser-b"] {
            assert!(
                matches!(
                    identity::record_spent_challenge(
                        &mut c,
                        &challenge_row("c1", binding),
                        NOW + 2
                    )
                    .await,
                    Err(StoreError::Conflict(_))
                ),
                "{tag}"
            );
        }
        identity::record_spent_challenge(&mut c, &challenge_row("c2", "browser-a"), NOW + 1)
            .await?;
        // The purge removes expired rows only.
        identity::record_spent_challenge(
            &mut c,
            &identity::ChallengeRow {
                expires_at: NOW + DAY,
                ..challenge_row("c3", "x")
            },
            NOW + 1,
        )
        .await?;
        assert_eq!(
            identity::purge_expired(&mut c, NOW + HOUR).await?,
            2,
            "{tag}"
        );
        assert!(matches!(
            identity::record_spent_challenge(&mut c, &challenge_row("c3", "x"), NOW + HOUR).await,
            Err(StoreError::Conflict(_))
        ));
    }
    Ok(())
}

#[tokio::test]
async fn challenge_racing_spends_have_one_winner() -> R {
    for db in backends().await {
        let tag = db.name;
        let stores = [db.store.clone(), db.another_store().await];
        let mut tasks = Vec::new();
        for i in 0..10 {
            let store = stores[i % 2].clone();
            tasks.push(tokio::spawn(async move {
                let mut c = store.conn().await?;
                identity::record_spent_challenge(&mut c, &challenge_row("race", "b"), NOW + 1).await
            }));
        }
        let mut winners = 0;
        for t in tasks {
            match t.await? {
                Ok(()) => winners += 1,
                Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        assert_eq!(winners, 1, "{tag}: exactly one spend");
        stores[1].close().await;
    }
    Ok(())
}

fn cert_row(account_id: AccountId, serial: &str, not_after: Millis) -> identity::CertificateRow {
    identity::CertificateRow {
        id: CertificateId::default(),
        account_id,
        issuer_dn: "CN=Test CA, C=VN".to_string(),
        serial_hex: serial.to_string(),
        subject_dn: "CN=Công ty Sao Mai, O=Công ty Sao Mai, C=VN".to_string(),
        not_before: NOW - DAY,
        not_after,
        spki_sha256: format!("spki-{serial}"),
        fingerprint: format!("fp-{serial}"),
        cert_der: "MIIB".to_string(),
        identity_kind: "tax_code".to_string(),
        identity_value: "0101234567".to_string(),
        status: CertificateStatus::Active,
        added_at: NOW,
        removed_at: None,
    }
}

#[tokio::test]
async fn certificates_bind_renew_and_remove() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        let a = mk_account(&mut c, "saomai").await?;
        let b = mk_account(&mut c, "khac01").await?;
        let old = identity::add_certificate(&mut c, &cert_row(a, "1001", NOW + 10 * DAY)).await?;
        // The same certificate cannot be bound twice, to anyone.
        assert!(
            matches!(
                identity::add_certificate(&mut c, &cert_row(b, "1001", NOW + 10 * DAY)).await,
                Err(StoreError::Conflict(_))
            ),
            "{tag}"
        );
        // A renewal: a new serial for the same holder, newest first.
        let new = identity::add_certificate(&mut c, &cert_row(a, "2002", NOW + 400 * DAY)).await?;
        let list = identity::certificates_of(&mut c, a).await?;
        assert_eq!(
            list.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![new, old],
            "{tag}"
        );
        assert_eq!(list[0].status, "active");
        let found = identity::find_certificate(&mut c, "CN=Test CA, C=VN", "1001")
            .await?
            .unwrap();
        assert_eq!((found.id, found.account_id), (old, a));
        assert_eq!(
            identity::accounts_with_identity(&mut c, "tax_code", "0101234567").await?,
            vec![a]
        );
        // Removal: only by the owner, once.
        assert!(!identity::remove_certificate(&mut c, old, b, NOW).await?);
        assert!(identity::remove_certificate(&mut c, old, a, NOW).await?);
        assert!(!identity::remove_certificate(&mut c, old, a, NOW).await?);
        assert_eq!(identity::certificates_of(&mut c, a).await?.len(), 1);
        let gone = identity::find_certificate(&mut c, "CN=Test CA, C=VN", "1001")
            .await?
            .unwrap();
        assert_eq!(
            (gone.status.as_str(), gone.removed_at),
            ("removed", Some(NOW)),
            "{tag}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn captchas_take_one_try() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        identity::insert_captcha(&mut c, "k1", "right", NOW, NOW + 10 * MINUTE).await?;
        assert!(
            !identity::spend_captcha(&mut c, "k1", "wrong", NOW).await?,
            "{tag}"
        );
        assert!(
            !identity::spend_captcha(&mut c, "k1", "right", NOW).await?,
            "{tag}: burnt by the wrong try"
        );
        identity::insert_captcha(&mut c, "k2", "right", NOW, NOW + 10 * MINUTE).await?;
        assert!(
            identity::spend_captcha(&mut c, "k2", "right", NOW).await?,
            "{tag}"
        );
        identity::insert_captcha(&mut c, "k3", "right", NOW, NOW + 10 * MINUTE).await?;
        assert!(
            !identity::spend_captcha(&mut c, "k3", "right", NOW + 10 * MINUTE).await?,
            "{tag}: expired"
        );
    }
    Ok(())
}

#[tokio::test]
async fn signups_wait_for_the_code_and_close_once() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        let s = identity::Signup {
            id: "s1".into(),
            method: "usb_token".into(),
            kind: "business".into(),
            identity_kind: "tax_code".into(),
            identity_value: "0101234567".into(),
            prefill: r#"{"organization":"Công ty Sao Mai"}"#.into(),
            cert_der: Some("MIIB".into()),
            email: None,
            code_hash: None,
            attempts: 0,
            binding_hash: "b".into(),
            created_at: NOW,
            expires_at: NOW + 30 * MINUTE,
            status: SignupStatus::Pending,
            account_id: None,
        };
        identity::insert_signup(&mut c, &s).await?;
        assert_eq!(
            identity::open_signup(&mut c, "s1", "b", NOW).await?,
            Some(s.clone()),
            "{tag}"
        );
        assert_eq!(
            identity::open_signup(&mut c, "s1", "other", NOW).await?,
            None,
            "{tag}: other browser"
        );
        assert_eq!(
            identity::open_signup(&mut c, "s1", "b", NOW + 30 * MINUTE).await?,
            None,
            "{tag}: expired"
        );
        identity::signup_code_sent(&mut c, "s1", "a@saomai.vn", "{}", "h", NOW + HOUR).await?;
        let open = identity::open_signup(&mut c, "s1", "b", NOW + 40 * MINUTE)
            .await?
            .unwrap();
        assert_eq!(
            (
                open.status.as_str(),
                open.email.as_deref(),
                open.code_hash.as_deref()
            ),
            ("code_sent", Some("a@saomai.vn"), Some("h"))
        );
        assert_eq!(identity::signup_wrong_code(&mut c, "s1").await?, 1);
        assert_eq!(identity::signup_wrong_code(&mut c, "s1").await?, 2);
        let a = mk_account(&mut c, "saomai2").await?;
        assert!(identity::signup_done(&mut c, "s1", a).await?, "{tag}");
        assert!(
            !identity::signup_done(&mut c, "s1", a).await?,
            "{tag}: once"
        );
        assert_eq!(identity::open_signup(&mut c, "s1", "b", NOW).await?, None);
    }
    Ok(())
}

#[tokio::test]
async fn sim_transactions_close_once() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        let t = identity::SimTransaction {
            id: "t1".into(),
            challenge: "motcua-challenge/1".into(),
            purpose: "login".into(),
            next_path: "/".into(),
            msisdn: "84912345678".into(),
            ap_trans_id: "ap1".into(),
            mssp_trans_id: "m1".into(),
            code: "AB12".into(),
            binding_hash: "b".into(),
            status: SimStatus::Pending,
            outcome: None,
            created_at: NOW,
            expires_at: NOW + 3 * MINUTE,
            updated_at: NOW,
        };
        identity::insert_sim(&mut c, &t).await?;
        assert_eq!(
            identity::sim_of(&mut c, "t1", "b").await?,
            Some(t.clone()),
            "{tag}"
        );
        assert_eq!(
            identity::sim_of(&mut c, "t1", "other").await?,
            None,
            "{tag}: other browser"
        );
        assert!(identity::close_sim(&mut c, "t1", SimStatus::Done, "mss.signed", NOW + 1).await?);
        assert!(
            !identity::close_sim(&mut c, "t1", SimStatus::Failed, "mss.expired", NOW + 2).await?,
            "{tag}: once"
        );
        let closed = identity::sim_of(&mut c, "t1", "b").await?.unwrap();
        assert_eq!(
            (closed.status.as_str(), closed.outcome.as_deref()),
            ("done", Some("mss.signed"))
        );
        assert!(identity::purge_expired(&mut c, NOW + HOUR).await? >= 1);
        assert_eq!(identity::sim_of(&mut c, "t1", "b").await?, None);
    }
    Ok(())
}

#[tokio::test]
async fn eid_requests_spend_once_and_links_are_unique() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        identity::insert_oidc_request(&mut c, "h1", "{}", "/account", "b", NOW, NOW + 10 * MINUTE)
            .await?;
        assert_eq!(
            identity::spend_oidc_request(&mut c, "h1", "other", NOW).await?,
            None,
            "{tag}"
        );
        assert_eq!(
            identity::spend_oidc_request(&mut c, "h1", "b", NOW).await?,
            Some(("{}".to_string(), "/account".to_string()))
        );
        assert_eq!(
            identity::spend_oidc_request(&mut c, "h1", "b", NOW).await?,
            None,
            "{tag}: once"
        );
        identity::insert_oidc_request(&mut c, "h2", "{}", "/", "b", NOW, NOW + MINUTE).await?;
        assert_eq!(
            identity::spend_oidc_request(&mut c, "h2", "b", NOW + MINUTE).await?,
            None,
            "{tag}: expired"
        );
        let a = mk_account(&mut c, "vneid01").await?;
        let b = mk_account(&mut c, "vneid02").await?;
        identity::link_eid(&mut c, a, "https://id", "sub-1", "eid_l2", NOW).await?;
        assert!(matches!(
            identity::link_eid(&mut c, b, "https://id", "sub-1", "eid_l2", NOW).await,
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(
            identity::eid_account(&mut c, "https://id", "sub-1").await?,
            Some(a)
        );
        assert_eq!(
            identity::eid_account(&mut c, "https://other", "sub-1").await?,
            None
        );
    }
    Ok(())
}

#[tokio::test]
async fn stateless_challenges_are_recorded_once() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        let row = challenge_row("s1", "b");
        identity::record_spent_challenge(&mut c, &row, NOW).await?;
        assert!(
            matches!(
                identity::record_spent_challenge(&mut c, &row, NOW + 1).await,
                Err(StoreError::Conflict(_))
            ),
            "{tag}: a replay conflicts"
        );
    }
    Ok(())
}

#[tokio::test]
async fn eid_link_requests_are_spent_once_and_expire() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        let account = mk_account(&mut c, "linkme").await?;
        let req = identity::EidLinkRequest {
            id_hash: "h1".into(),
            account_id: account,
            method: "eid_l2".into(),
            prefill: "{}".into(),
            created_at: NOW,
            expires_at: NOW + 15 * MINUTE,
        };
        identity::insert_eid_link_request(&mut c, &req).await?;
        assert_eq!(
            identity::open_eid_link_request(&mut c, "h1", NOW + 1).await?,
            Some(req.clone()),
            "{tag}"
        );
        assert_eq!(
            identity::open_eid_link_request(&mut c, "h2", NOW + 1).await?,
            None,
            "{tag}: another secret"
        );
        // Expired: neither shown nor spent.
        assert_eq!(
            identity::open_eid_link_request(&mut c, "h1", NOW + 15 * MINUTE).await?,
            None,
            "{tag}"
        );
        assert_eq!(
            identity::spend_eid_link_request(&mut c, "h1", NOW + 15 * MINUTE).await?,
            None,
            "{tag}"
        );
        // Spent once.
        assert_eq!(
            identity::spend_eid_link_request(&mut c, "h1", NOW + 2).await?,
            Some(req.clone()),
            "{tag}"
        );
        assert_eq!(
            identity::spend_eid_link_request(&mut c, "h1", NOW + 3).await?,
            None,
            "{tag}: spent"
        );
        assert_eq!(
            identity::open_eid_link_request(&mut c, "h1", NOW + 3).await?,
            None,
            "{tag}"
        );
        // The purge removes it once expired.
        assert_eq!(
            identity::purge_expired(&mut c, NOW + HOUR).await?,
            1,
            "{tag}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn compromise_reports_stay_open_until_handled() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        let a = mk_account(&mut c, "baocao11").await?;
        let r1 = activity::report_compromise(&mut c, a, "một", "203.0.113.1", NOW).await?;
        let r2 = activity::report_compromise(&mut c, a, "hai", "203.0.113.1", NOW + SECOND).await?;
        let open = activity::open_compromise_reports(&mut c).await?;
        assert_eq!(
            open.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![r1, r2],
            "{tag}: oldest first"
        );
        assert!(open.iter().all(|r| r.handled_at.is_none()), "{tag}");
        assert_eq!(
            activity::mark_report_handled(&mut c, r1, NOW + HOUR).await?,
            Some(a),
            "{tag}"
        );
        // Twice, or an unknown report: nothing to do.
        assert_eq!(
            activity::mark_report_handled(&mut c, r1, NOW + 2 * HOUR).await?,
            None,
            "{tag}"
        );
        assert_eq!(
            activity::mark_report_handled(&mut c, ReportId::new(999_999), NOW).await?,
            None,
            "{tag}"
        );
        let open = activity::open_compromise_reports(&mut c).await?;
        assert_eq!(
            open.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![r2],
            "{tag}"
        );
        let all = activity::compromise_reports(&mut c, 10).await?;
        assert_eq!(
            all[1].handled_at,
            Some(NOW + HOUR),
            "{tag}: the first time stays"
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The directory: identity's in-transaction API for other contexts
// ---------------------------------------------------------------------------

/// What the single window's services ask of identity, in their own
/// transaction: look-ups, roles, the initial password's validity, activity,
/// revocation and the inactivity sweep's candidates.
#[tokio::test]
async fn directory_answers_other_contexts_in_their_transaction() -> R {
    use motcua_identity::directory;
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        let a = mk_account(&mut c, "thumuc02").await?;
        let b = mk_account(&mut c, "thumuc01").await?;
        let op = accounts::create(
            &mut c,
            &NewAccount {
                email: Some("Van.Hanh@Example.vn".into()),
                roles: vec![Role::Operator],
                ..new_account("vanhanh01", "Vận hành")
            },
            NOW,
        )
        .await?;

        // Look-ups.
        assert_eq!(
            directory::account(&mut c, a).await?.map(|x| x.username),
            Some("thumuc02".into()),
            "{tag}"
        );
        assert!(
            directory::account(&mut c, AccountId::new(999_999))
                .await?
                .is_none(),
            "{tag}"
        );
        assert_eq!(
            directory::account_by_username(&mut c, "thumuc01")
                .await?
                .map(|x| x.id),
            Some(b),
            "{tag}"
        );
        let names = directory::usernames(&mut c, &[a, b, AccountId::new(999_999)]).await?;
        assert_eq!(names.len(), 2, "{tag}");
        assert_eq!(names[&a], "thumuc02", "{tag}");
        assert!(directory::usernames(&mut c, &[]).await?.is_empty(), "{tag}");
        let many: Vec<AccountId> = std::iter::repeat_n(a, 150).chain([b]).collect();
        assert_eq!(
            directory::usernames(&mut c, &many).await?.len(),
            2,
            "{tag}: chunks of 100"
        );
        assert_eq!(
            usernames(&directory::accounts_of(&mut c, &[a, AccountId::new(999_999), b]).await?),
            vec!["thumuc01", "thumuc02"],
            "{tag}: existing ones, by username"
        );
        assert_eq!(
            usernames(&directory::operators(&mut c).await?),
            vec!["vanhanh01"],
            "{tag}"
        );
        assert!(
            directory::username_taken(&mut c, "thumuc01").await?,
            "{tag}"
        );
        assert!(
            !directory::username_taken(&mut c, "thumuc03").await?,
            "{tag}"
        );
        assert!(
            directory::email_in_use(&mut c, " van.hanh@example.VN ").await?,
            "{tag}: case and spaces"
        );
        assert!(
            !directory::email_in_use(&mut c, "khac@example.vn").await?,
            "{tag}"
        );

        // Roles: granted once, withdrawn, both idempotent.
        for _ in 0..2 {
            directory::grant_role(&mut c, a, Role::MinistryManager).await?;
        }
        let roles = accounts::get(&mut c, a)
            .await?
            .map(|x| x.roles)
            .unwrap_or_default();
        assert_eq!(
            roles
                .iter()
                .filter(|r| **r == Role::MinistryManager)
                .count(),
            1,
            "{tag}"
        );
        for _ in 0..2 {
            directory::withdraw_role(&mut c, a, Role::MinistryManager).await?;
        }
        let roles = accounts::get(&mut c, a)
            .await?
            .map(|x| x.roles)
            .unwrap_or_default();
        assert!(!roles.contains(&Role::MinistryManager), "{tag}");

        // The initial password's validity restarts; a changed one is left alone.
        accounts::set_password(&mut c, a, "h1", Some(NOW + DAY), NOW).await?;
        accounts::set_password(&mut c, b, "h2", None, NOW).await?;
        for id in [a, b] {
            directory::renew_initial_password_expiry(&mut c, id, NOW + 3 * DAY).await?;
        }
        assert_eq!(
            accounts::password(&mut c, a)
                .await?
                .and_then(|p| p.expires_at),
            Some(NOW + 3 * DAY),
            "{tag}"
        );
        assert_eq!(
            accounts::password(&mut c, b)
                .await?
                .and_then(|p| p.expires_at),
            None,
            "{tag}"
        );

        // The sweep's candidates: last login (or creation) at or before
        // the threshold, active, operators excepted.
        directory::record_activity(
            &mut c,
            &NewActivity {
                account_id: b,
                kind: "login",
                method: Some("password"),
                ip: "203.0.113.9",
                user_agent: "t",
                detail: "",
            },
            NOW + 10 * DAY,
        )
        .await?;
        // The login itself keeps the sweep's column (service::open_session_as).
        accounts::touch_last_used(&mut c, b, NOW + 10 * DAY).await?;
        accounts::touch_last_used(&mut c, b, NOW + 9 * DAY).await?;
        assert_eq!(
            directory::unused_since(&mut c, NOW + 5 * DAY, None, 10).await?,
            vec![(a, NOW)],
            "{tag}"
        );
        assert_eq!(
            directory::unused_since(&mut c, NOW + 10 * DAY, None, 10).await?,
            vec![(a, NOW), (b, NOW + 10 * DAY)],
            "{tag}"
        );
        assert_eq!(
            directory::unused_since(&mut c, NOW + 10 * DAY, None, 1)
                .await?
                .len(),
            1,
            "{tag}: limit"
        );
        // Keyset: after (last use, id) of the first, the second.
        assert_eq!(
            directory::unused_since(&mut c, NOW + 10 * DAY, Some((NOW, a)), 10).await?,
            vec![(b, NOW + 10 * DAY)],
            "{tag}: after the cursor"
        );
        assert!(
            directory::unused_since(&mut c, NOW + 10 * DAY, Some((NOW + 10 * DAY, b)), 10)
                .await?
                .is_empty(),
            "{tag}: past the last"
        );

        // Revocation ends the sessions and the open resets of that account
        // only, in the caller's transaction: a rollback undoes all of it.
        sessions::create(&mut c, &session("s-a", a, NOW, NOW + DAY)).await?;
        sessions::create(&mut c, &session("s-b", b, NOW, NOW + DAY)).await?;
        resets::create(&mut c, "r-a", a, NOW, NOW + DAY).await?;
        drop(c);
        let mut tx = db.store.begin().await?;
        directory::revoke(&mut tx, a, "Thu hồi thử", NOW + 1).await?;
        tx.rollback().await?;
        let mut c = db.store.conn().await?;
        assert_eq!(
            accounts::get(&mut c, a).await?.map(|x| x.status),
            Some(AccountStatus::Active),
            "{tag}: rolled back"
        );
        assert!(
            sessions::get(&mut c, "s-a", NOW + 2).await?.is_some(),
            "{tag}"
        );
        drop(c);
        let mut tx = db.store.begin().await?;
        directory::revoke(&mut tx, a, "Thu hồi thử", NOW + 1).await?;
        tx.commit().await?;
        let mut c = db.store.conn().await?;
        let revoked = accounts::get(&mut c, a).await?.unwrap();
        assert_eq!(revoked.status, AccountStatus::Revoked, "{tag}");
        assert_eq!(revoked.lock_reason.as_deref(), Some("Thu hồi thử"), "{tag}");
        assert!(
            sessions::get(&mut c, "s-a", NOW + 2).await?.is_none(),
            "{tag}"
        );
        assert!(
            sessions::get(&mut c, "s-b", NOW + 2).await?.is_some(),
            "{tag}: other account untouched"
        );
        assert_eq!(resets::peek(&mut c, "r-a", NOW + 2).await?, None, "{tag}");
        assert!(
            directory::unused_since(&mut c, NOW + 10 * DAY, None, 10)
                .await?
                .iter()
                .all(|(id, _)| *id != a),
            "{tag}: revoked is not swept"
        );
        assert!(
            directory::unused_since(&mut c, NOW + 10 * DAY, None, 10)
                .await?
                .iter()
                .all(|(id, _)| *id != op),
            "{tag}: operators are not swept"
        );
    }
    Ok(())
}

/// A role text that is no role is a decoding error, never dropped in
/// silence (issue #6: silent fallbacks become errors).
#[tokio::test]
async fn an_unknown_role_in_the_table_is_an_error() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        let id = mk_account(&mut c, "vaitro01").await?;
        sqlx::query("INSERT INTO account_roles (account_id, role) VALUES ($1, 'pharaoh')")
            .bind(id)
            .execute(&mut *c)
            .await?;
        let err = accounts::get(&mut c, id).await.expect_err(tag);
        assert!(err.to_string().contains("pharaoh"), "{tag}: {err}");
        assert!(
            accounts::search(&mut c, "vaitro01", None, 20)
                .await
                .is_err(),
            "{tag}"
        );
    }
    Ok(())
}
