//! Identity's SQL contract: its own tables' store functions on SQLite and,
//! with `MOTCUA_TEST_PG_URL` (required when `CI=true`), on a fresh
//! PostgreSQL database per test (issue #6: the tests moved with the
//! tables from `motcua-store`'s contract suite). Time is a parameter:
//! fixed instants around [`NOW`].
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use motcua_domain::throttle::State;
use motcua_domain::{Millis, DAY, HOUR, MINUTE};
use motcua_identity::store::accounts::{self, NewAccount};
use motcua_identity::store::profile::{self, Attribute, Reuse};
use motcua_identity::store::throttle;
use motcua_testkit::{each_backend, require_postgres_in_ci};

mod tables;

/// A fixed "now": 2027-01-15T08:00:00Z.
const NOW: Millis = 1_800_000_000_000;

fn new_account(username: &str) -> NewAccount {
    NewAccount {
        username: username.to_string(),
        full_name: "Người dùng thử".to_string(),
        locale: "vi".to_string(),
        ..Default::default()
    }
}

/// The login throttle's rows: read, replace, list the recent ones, clear.
#[tokio::test]
async fn throttle_get_put_clear_recent() {
    require_postgres_in_ci("identity");
    each_backend(|db| async move {
        let db = db;
        let tag = db.name();
        let store = db.migrated_store().await;
        let mut c = store.conn().await.unwrap();
        assert_eq!(
            throttle::get(&mut c, "account:1").await.unwrap(),
            State::default(),
            "{tag}: unknown key"
        );

        let s1 = State {
            failures: 2,
            last_failure_at: NOW - MINUTE,
            locks: 0,
            locked_until: 0,
        };
        throttle::put(&mut c, "account:1", &s1).await.unwrap();
        assert_eq!(
            throttle::get(&mut c, "account:1").await.unwrap(),
            s1,
            "{tag}"
        );
        let s2 = State {
            failures: 5,
            last_failure_at: NOW,
            locks: 1,
            locked_until: NOW + 15 * MINUTE,
        };
        throttle::put(&mut c, "account:1", &s2).await.unwrap();
        assert_eq!(
            throttle::get(&mut c, "account:1").await.unwrap(),
            s2,
            "{tag}: put replaces"
        );

        // Failed 2 h ago but still locked: counts as recent.
        let s3 = State {
            failures: 100,
            last_failure_at: NOW - 2 * HOUR,
            locks: 3,
            locked_until: NOW + HOUR,
        };
        throttle::put(&mut c, "ip:203.0.113.5", &s3).await.unwrap();
        let old = State {
            failures: 1,
            last_failure_at: NOW - 2 * DAY,
            locks: 0,
            locked_until: 0,
        };
        throttle::put(&mut c, "ip:192.0.2.1", &old).await.unwrap();

        let recent = throttle::recent(&mut c, NOW - HOUR, 10).await.unwrap();
        assert_eq!(
            recent.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(),
            vec!["account:1", "ip:203.0.113.5"],
            "{tag}: most recent first, old key left out"
        );
        assert_eq!(recent[0].state, s2, "{tag}");
        assert_eq!(recent[1].state, s3, "{tag}");
        let one = throttle::recent(&mut c, NOW - HOUR, 1).await.unwrap();
        assert_eq!(
            one.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(),
            vec!["account:1"],
            "{tag}: limit"
        );

        throttle::clear(&mut c, "account:1").await.unwrap();
        assert_eq!(
            throttle::get(&mut c, "account:1").await.unwrap(),
            State::default(),
            "{tag}: cleared"
        );
        throttle::clear(&mut c, "account:1").await.unwrap();
        let recent = throttle::recent(&mut c, NOW - HOUR, 10).await.unwrap();
        assert_eq!(
            recent.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(),
            vec!["ip:203.0.113.5"],
            "{tag}"
        );
        assert_eq!(
            throttle::get(&mut c, "ip:192.0.2.1").await.unwrap(),
            old,
            "{tag}: others kept"
        );
        drop(c);
        store.close().await;
    })
    .await;
}

/// Profile attributes (one value per source), consents that can be given
/// once and withdrawn, and the reuse log newest first.
#[tokio::test]
async fn profile_attributes_consents_and_reuse_log() {
    require_postgres_in_ci("identity");
    each_backend(|db| async move {
        let db = db;
        let tag = db.name();
        let store = db.migrated_store().await;
        let mut c = store.conn().await.unwrap();
        let a = accounts::create(&mut c, &new_account("hoso01"), NOW)
            .await
            .unwrap();
        let attr = |attr: &str, source: &str, value: &str| Attribute {
            attr: attr.into(),
            source: source.into(),
            value: value.into(),
            source_ref: "CN=Test CA/1001".into(),
            recorded_at: NOW,
        };
        profile::record(&mut c, a, &attr("tax_code", "certificate", "0101234565"))
            .await
            .unwrap();
        profile::record(&mut c, a, &attr("email", "self", "a@b.vn"))
            .await
            .unwrap();
        // The same source again replaces its value.
        profile::record(&mut c, a, &attr("email", "self", "c@d.vn"))
            .await
            .unwrap();
        let all = profile::attributes_of(&mut c, a).await.unwrap();
        assert_eq!(all.len(), 2, "{tag}");
        assert_eq!(all[0].value, "c@d.vn");
        assert!(profile::consented(&mut c, a).await.unwrap().is_empty());
        assert!(profile::set_consent(&mut c, a, "tax_code", true, NOW)
            .await
            .unwrap());
        assert!(
            !profile::set_consent(&mut c, a, "tax_code", true, NOW)
                .await
                .unwrap(),
            "{tag}: already"
        );
        assert_eq!(
            profile::consented(&mut c, a).await.unwrap(),
            vec!["tax_code".to_string()]
        );
        assert!(profile::set_consent(&mut c, a, "tax_code", false, NOW + 1)
            .await
            .unwrap());
        assert!(
            profile::consented(&mut c, a).await.unwrap().is_empty(),
            "{tag}: withdrawn"
        );
        for i in 0..3 {
            profile::log_reuse(
                &mut c,
                a,
                &Reuse {
                    attrs: "tax_code".into(),
                    service: format!("s{i}"),
                    request_id: "r".into(),
                    at: NOW + i,
                },
            )
            .await
            .unwrap();
        }
        let log = profile::reuse_log(&mut c, a, 2).await.unwrap();
        assert_eq!(
            log.iter().map(|r| r.service.as_str()).collect::<Vec<_>>(),
            vec!["s2", "s1"],
            "{tag}"
        );
        drop(c);
        store.close().await;
    })
    .await;
}
