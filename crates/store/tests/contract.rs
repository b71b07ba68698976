//! The store's contract suite: every test runs on SQLite and, when
//! `MOTCUA_TEST_PG_URL` is set (e.g. `postgres://postgres@127.0.0.1:5432/test`),
//! on a fresh PostgreSQL database created for that test. In CI
//! (`CI=true`) the PostgreSQL URL is required: see `ci_requires_postgres`.
//!
//! Time is always a parameter: the tests use fixed instants around
//! [`NOW`], never the system clock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test binary: helpers may fail loudly

use motcua_domain::audit::{chain_hash, AuditKeys, Checkpoint, CheckpointError, Record, GENESIS};
use motcua_domain::{JobId, JobStatus, Millis, DAY, HOUR, MINUTE, SECOND};
use motcua_store::audit::{self, Ctx};
use motcua_store::jobs;
use motcua_store::migrate::MIGRATIONS;
use motcua_store::{AnyConnection, Backend, Store, StoreError};
use motcua_testkit::{in_ci, pg_url, unique_suffix, with_database, Db, PG_ENV};
use std::collections::BTreeSet;
use std::path::PathBuf;

type R<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// A fixed "now": 2027-01-15T08:00:00Z.
const NOW: Millis = 1_800_000_000_000;

// ---------------------------------------------------------------------------
// Test databases
// ---------------------------------------------------------------------------

/// One fresh database on one backend. Dropping it removes the SQLite file
/// or drops the PostgreSQL database (best effort, also on panic).
struct TestDb {
    /// "sqlite" or "postgres", for assertion messages.
    name: &'static str,
    url: String,
    store: Store,
    /// The database itself (testkit): dropped with the last clone.
    _db: Db,
}

impl TestDb {
    /// A second `Store` (its own pool) on the same database, like a second
    /// app node.
    async fn another_store(&self) -> Store {
        Store::connect(&self.url, 5)
            .await
            .unwrap_or_else(|e| panic!("{}: second store: {e}", self.name))
    }
}

/// The audit keys every test's appends are sealed with: "k1" and "k2"
/// (active), like a deployment after one rotation.
fn test_keys() -> AuditKeys {
    AuditKeys::new(
        "k2",
        std::collections::BTreeMap::from([
            (
                "k1".to_string(),
                b"contract-suite-audit-key-number-1".to_vec(),
            ),
            (
                "k2".to_string(),
                b"contract-suite-audit-key-number-2".to_vec(),
            ),
        ]),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Fresh, empty (unmigrated) databases: SQLite always, PostgreSQL if
/// configured.
async fn backends_unmigrated() -> Vec<TestDb> {
    audit::install_keys(test_keys());
    let mut out = Vec::new();
    for db in motcua_testkit::backends().await {
        let store = Store::connect(&db.url, 5)
            .await
            .unwrap_or_else(|e| panic!("{}: connect {}: {e}", db.name(), db.url));
        assert_eq!(store.backend(), db.backend);
        out.push(TestDb {
            name: db.name(),
            url: db.url.clone(),
            store,
            _db: db,
        });
    }
    out
}

fn all_versions() -> Vec<i64> {
    MIGRATIONS.iter().map(|m| m.version).collect()
}

/// Fresh, migrated databases: SQLite always, PostgreSQL if configured.
async fn backends() -> Vec<TestDb> {
    let dbs = backends_unmigrated().await;
    for db in &dbs {
        let applied = db
            .store
            .migrate()
            .await
            .unwrap_or_else(|e| panic!("{}: migrate: {e}", db.name));
        assert_eq!(applied, all_versions(), "{}: first migrate", db.name);
    }
    dbs
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn ctx(actor: &str) -> Ctx {
    Ctx {
        actor: actor.to_string(),
        ip: "198.51.100.4".to_string(),
        request_id: format!("req-{actor}"),
    }
}

/// Simulates an attacker with database admin rights: removes the
/// append-only triggers.
async fn drop_audit_triggers(db: &TestDb) -> R {
    let sql = match db.store.backend() {
        Backend::Sqlite => "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;",
        Backend::Postgres => "DROP TRIGGER audit_log_no_change ON audit_log;",
    };
    sqlx::raw_sql(sql).execute(db.store.pool()).await?;
    Ok(())
}

async fn exec(db: &TestDb, sql: &str) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(db.store.pool())
        .await?
        .rows_affected())
}

async fn reinsert_audit(db: &TestDb, e: &audit::Entry) -> R {
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, action, target, ip, request_id, detail, prev_hash, hash, key_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(e.seq)
    .bind(e.at)
    .bind(&e.actor)
    .bind(&e.action)
    .bind(&e.target)
    .bind(&e.ip)
    .bind(&e.request_id)
    .bind(&e.detail)
    .bind(&e.prev_hash)
    .bind(&e.hash)
    .bind(&e.key_id)
    .execute(db.store.pool())
    .await?;
    Ok(())
}

async fn audit_entry(c: &mut AnyConnection, seq: i64) -> R<audit::Entry> {
    let all = audit::list(c, None, 1000).await?;
    all.into_iter()
        .find(|e| e.seq == seq)
        .ok_or_else(|| format!("no audit entry {seq}").into())
}

// ---------------------------------------------------------------------------
// The CI guard
// ---------------------------------------------------------------------------

#[test]
fn ci_requires_postgres() {
    if pg_url().is_some() {
        return;
    }
    assert!(
        !in_ci(),
        "CI=true but {PG_ENV} is not set: the PostgreSQL contract suite must not be skipped in CI. \
         Provide a PostgreSQL server and set {PG_ENV}=postgres://USER@HOST:PORT/DB."
    );
}

#[test]
fn database_url_rewriting() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_database("postgres://u:p@h/test?sslmode=disable", "x"),
        "postgres://u:p@h/x?sslmode=disable"
    );
    assert_eq!(
        with_database("postgres://h:5432", "x"),
        "postgres://h:5432/x"
    );
}

// ---------------------------------------------------------------------------
// Migrations
// ---------------------------------------------------------------------------

#[tokio::test]
async fn migrations_are_idempotent() -> R {
    for db in backends_unmigrated().await {
        let tag = db.name;
        assert_eq!(
            db.store.migrate().await?,
            all_versions(),
            "{tag}: first run"
        );
        assert_eq!(
            db.store.migrate().await?,
            Vec::<i64>::new(),
            "{tag}: second run applies nothing"
        );
        // Another node sees the same state.
        let other = db.another_store().await;
        assert_eq!(
            other.migrate().await?,
            Vec::<i64>::new(),
            "{tag}: other node"
        );
        other.close().await;
        let recorded: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM schema_migrations")
            .fetch_one(db.store.pool())
            .await?;
        assert_eq!(
            recorded,
            MIGRATIONS.len() as i64,
            "{tag}: recorded once each"
        );
        // The schema works after the re-runs.
        let mut c = db.store.conn().await?;
        assert!(jobs::counts(&mut c).await?.is_empty(), "{tag}");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_from_several_nodes_at_once() -> R {
    // SQLite is single-node by design; several nodes share PostgreSQL.
    for db in backends_unmigrated().await {
        if db.store.backend() != Backend::Postgres {
            continue;
        }
        let mut stores = vec![db.store.clone()];
        for _ in 0..3 {
            stores.push(db.another_store().await);
        }
        // `Store::migrate`'s future is not `Send` for every lifetime (a
        // rustc limitation with sqlx executors), so it cannot be
        // `tokio::spawn`ed: poll the four concurrently on this task. Each
        // uses its own pool, so PostgreSQL sees four concurrent sessions.
        let (r0, r1, r2, r3) = tokio::join!(
            stores[0].migrate(),
            stores[1].migrate(),
            stores[2].migrate(),
            stores[3].migrate()
        );
        let mut applied = Vec::new();
        for r in [r0, r1, r2, r3] {
            applied.extend(r?);
        }
        // Different nodes may apply different migrations; each exactly once.
        applied.sort_unstable();
        assert_eq!(
            applied,
            all_versions(),
            "postgres: each migration applied exactly once"
        );
        for s in &stores[1..] {
            s.close().await;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Audit log
// ---------------------------------------------------------------------------

#[tokio::test]
async fn audit_chain_appends_and_verifies() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        let v = audit::verify(&mut c).await?;
        assert_eq!(
            (v.records, v.broken),
            (0, None),
            "{tag}: empty chain is valid"
        );
        drop(c);

        for (i, (action, target)) in [
            ("account.create", "account:1"),
            ("account.lock", "account:2"),
            ("account.unlock", "account:1"),
        ]
        .into_iter()
        .enumerate()
        {
            let mut tx = db.store.begin().await?;
            let seq = audit::append(
                &mut tx,
                &ctx("operator:9"),
                action,
                target,
                &format!("bước {i}"),
                NOW + i as i64,
            )
            .await?;
            tx.commit().await?;
            assert_eq!(seq, i as i64 + 1, "{tag}: sequence numbers from 1");
        }

        let mut c = db.store.conn().await?;
        let all = audit::list(&mut c, None, 10).await?;
        assert_eq!(
            all.iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![3, 2, 1],
            "{tag}: newest first"
        );
        assert_eq!(all[2].prev_hash, GENESIS, "{tag}");
        assert_eq!(all[1].prev_hash, all[2].hash, "{tag}: linked");
        assert_eq!(all[0].prev_hash, all[1].hash, "{tag}: linked");
        let e = &all[1];
        assert_eq!(
            (
                e.at,
                e.actor.as_str(),
                e.action.as_str(),
                e.target.as_str(),
                e.ip.as_str(),
                e.request_id.as_str(),
                e.detail.as_str()
            ),
            (
                NOW + 1,
                "operator:9",
                "account.lock",
                "account:2",
                "198.51.100.4",
                "req-operator:9",
                "bước 1"
            ),
            "{tag}"
        );
        let rec = Record {
            seq: e.seq,
            at: e.at,
            actor: e.actor.clone(),
            action: e.action.clone(),
            target: e.target.clone(),
            ip: e.ip.clone(),
            request_id: e.request_id.clone(),
            detail: e.detail.clone(),
        };
        // Sealed with the active key, not the unkeyed legacy hash.
        assert_eq!(e.key_id, "k2", "{tag}");
        assert_eq!(
            Ok(e.hash.clone()),
            test_keys().hash("k2", &e.prev_hash, &rec),
            "{tag}: domain hash"
        );
        assert_ne!(e.hash, chain_hash(&e.prev_hash, &rec), "{tag}: keyed");

        let about_1 = audit::list(&mut c, Some("account:1"), 10).await?;
        assert_eq!(
            about_1.iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![3, 1],
            "{tag}: by target"
        );
        assert_eq!(audit::list(&mut c, None, 1).await?.len(), 1, "{tag}: limit");

        // A system actor with empty ip and request id is fine too.
        let seq = audit::append(
            &mut c,
            &Ctx::system("worker"),
            "job.dead",
            "job:1",
            "",
            NOW + 10,
        )
        .await?;
        assert_eq!(seq, 4, "{tag}");

        let v = audit::verify(&mut c).await?;
        assert_eq!((v.records, v.broken), (4, None), "{tag}");
    }
    Ok(())
}

#[tokio::test]
async fn audit_detects_tampering() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        for i in 1..=5 {
            audit::append(
                &mut c,
                &ctx("operator:1"),
                "account.update",
                &format!("account:{i}"),
                &format!("detail {i}"),
                NOW + i,
            )
            .await?;
        }
        assert_eq!(audit::verify(&mut c).await?.broken, None, "{tag}");

        // The append-only triggers refuse changes.
        let upd = exec(&db, "UPDATE audit_log SET detail = 'forged' WHERE seq = 2").await;
        let err = upd
            .err()
            .ok_or_else(|| format!("{tag}: UPDATE of audit_log succeeded"))?;
        assert!(err.to_string().contains("append-only"), "{tag}: {err}");
        let del = exec(&db, "DELETE FROM audit_log WHERE seq = 5").await;
        let err = del
            .err()
            .ok_or_else(|| format!("{tag}: DELETE from audit_log succeeded"))?;
        assert!(err.to_string().contains("append-only"), "{tag}: {err}");
        assert_eq!(audit_entry(&mut c, 2).await?.detail, "detail 2", "{tag}");
        assert_eq!(
            audit::verify(&mut c).await?,
            audit::Verification {
                records: 5,
                broken: None
            },
            "{tag}"
        );

        // An attacker with admin rights drops them.
        drop_audit_triggers(&db).await?;

        // 1. Edit a row's detail.
        assert_eq!(
            exec(&db, "UPDATE audit_log SET detail = 'forged' WHERE seq = 2").await?,
            1,
            "{tag}"
        );
        let v = audit::verify(&mut c).await?;
        assert_eq!(
            v.broken,
            Some((2, "record altered".to_string())),
            "{tag}: edited detail"
        );
        exec(
            &db,
            "UPDATE audit_log SET detail = 'detail 2' WHERE seq = 2",
        )
        .await?;
        assert_eq!(audit::verify(&mut c).await?.broken, None, "{tag}: restored");

        // 2. Edit a row and recompute its own hash the unkeyed way: the
        // keyed seal does not match.
        let e2 = audit_entry(&mut c, 2).await?;
        let forged = Record {
            seq: 2,
            at: e2.at,
            actor: e2.actor.clone(),
            action: e2.action.clone(),
            target: e2.target.clone(),
            ip: e2.ip.clone(),
            request_id: e2.request_id.clone(),
            detail: "forged".into(),
        };
        sqlx::query("UPDATE audit_log SET detail = $1, hash = $2 WHERE seq = 2")
            .bind("forged")
            .bind(chain_hash(&e2.prev_hash, &forged))
            .execute(db.store.pool())
            .await?;
        let v = audit::verify(&mut c).await?;
        assert_eq!(
            v.broken,
            Some((2, "record altered".to_string())),
            "{tag}: rehashed row"
        );
        sqlx::query("UPDATE audit_log SET detail = $1, hash = $2 WHERE seq = 2")
            .bind(&e2.detail)
            .bind(&e2.hash)
            .execute(db.store.pool())
            .await?;
        assert_eq!(audit::verify(&mut c).await?.broken, None, "{tag}: restored");

        // 3. Delete a middle row.
        let e3 = audit_entry(&mut c, 3).await?;
        assert_eq!(
            exec(&db, "DELETE FROM audit_log WHERE seq = 3").await?,
            1,
            "{tag}"
        );
        let v = audit::verify(&mut c).await?;
        assert_eq!(
            v.broken,
            Some((3, "missing record".to_string())),
            "{tag}: deleted middle row"
        );
        reinsert_audit(&db, &e3).await?;
        assert_eq!(audit::verify(&mut c).await?.broken, None, "{tag}: restored");

        // 4. Delete the first row.
        let e1 = audit_entry(&mut c, 1).await?;
        exec(&db, "DELETE FROM audit_log WHERE seq = 1").await?;
        let v = audit::verify(&mut c).await?;
        assert_eq!(
            v.broken,
            Some((1, "missing record".to_string())),
            "{tag}: deleted first row"
        );
        reinsert_audit(&db, &e1).await?;
        assert_eq!(audit::verify(&mut c).await?.broken, None, "{tag}: restored");

        // 5. Delete the tail row: only the head betrays it.
        assert_eq!(
            exec(&db, "DELETE FROM audit_log WHERE seq = 5").await?,
            1,
            "{tag}"
        );
        let v = audit::verify(&mut c).await?;
        let (at, why) = v
            .broken
            .ok_or_else(|| format!("{tag}: deleted tail not detected"))?;
        assert_eq!(at, 5, "{tag}: {why}");
        assert!(why.contains("head says 5"), "{tag}: {why}");
    }
    Ok(())
}

#[tokio::test]
async fn audit_append_in_rolled_back_transaction_leaves_nothing() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut tx = db.store.begin().await?;
        let id = jobs::enqueue(&mut tx, "mail", "{}", 3, NOW).await?;
        assert_eq!(
            audit::append(
                &mut tx,
                &ctx("operator:1"),
                "job.create",
                &format!("job:{id}"),
                "",
                NOW
            )
            .await?,
            1,
            "{tag}"
        );
        tx.rollback().await?;

        let mut c = db.store.conn().await?;
        assert!(
            audit::list(&mut c, None, 10).await?.is_empty(),
            "{tag}: no record"
        );
        assert!(
            jobs::counts(&mut c).await?.is_empty(),
            "{tag}: no job either"
        );
        assert_eq!(
            audit::verify(&mut c).await?,
            audit::Verification {
                records: 0,
                broken: None
            },
            "{tag}"
        );
        drop(c);

        // The head did not move: the next committed record is seq 1.
        let mut tx = db.store.begin().await?;
        assert_eq!(
            audit::append(&mut tx, &ctx("operator:1"), "a", "t", "", NOW + 1).await?,
            1,
            "{tag}"
        );
        tx.commit().await?;
        // A transaction dropped without commit rolls back as well.
        {
            let mut tx = db.store.begin().await?;
            assert_eq!(
                audit::append(&mut tx, &ctx("operator:1"), "b", "t", "", NOW + 2).await?,
                2,
                "{tag}"
            );
        }
        let mut c = db.store.conn().await?;
        assert_eq!(
            audit::verify(&mut c).await?,
            audit::Verification {
                records: 1,
                broken: None
            },
            "{tag}"
        );
        assert_eq!(
            audit::append(&mut c, &ctx("operator:1"), "c", "t", "", NOW + 3).await?,
            2,
            "{tag}"
        );
        assert_eq!(
            audit::verify(&mut c).await?,
            audit::Verification {
                records: 2,
                broken: None
            },
            "{tag}"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn audit_concurrent_appends_from_two_stores_keep_the_chain() -> R {
    // Runs on both backends: on SQLite `Store::begin` takes the write lock
    // up front, on PostgreSQL the head row is locked FOR UPDATE.
    for db in backends().await {
        let tag = db.name;
        let stores = [db.store.clone(), db.another_store().await];
        let mut tasks = Vec::new();
        for i in 0..8i64 {
            let store = stores[(i % 2) as usize].clone();
            tasks.push(tokio::spawn(async move {
                let mut tx = store.begin().await?;
                let seq = audit::append(
                    &mut tx,
                    &ctx(&format!("node{}", i % 2)),
                    "concurrent",
                    &format!("item:{i}"),
                    "",
                    NOW + i,
                )
                .await?;
                tx.commit().await?;
                Ok::<i64, StoreError>(seq)
            }));
        }
        let mut seqs = BTreeSet::new();
        for t in tasks {
            assert!(seqs.insert(t.await??), "{tag}: duplicate seq");
        }
        assert_eq!(seqs, (1..=8).collect::<BTreeSet<i64>>(), "{tag}");
        let mut c = db.store.conn().await?;
        assert_eq!(
            audit::verify(&mut c).await?,
            audit::Verification {
                records: 8,
                broken: None
            },
            "{tag}"
        );
        stores[1].close().await;
    }
    Ok(())
}

/// Appends `n` records about `account:1..n` at `NOW + i`.
async fn append_n(c: &mut AnyConnection, from: i64, n: i64) -> R {
    for i in from..from + n {
        audit::append(
            c,
            &ctx("operator:1"),
            "account.update",
            &format!("account:{i}"),
            &format!("detail {i}"),
            NOW + i,
        )
        .await?;
    }
    Ok(())
}

fn record_of(e: &audit::Entry) -> Record {
    Record {
        seq: e.seq,
        at: e.at,
        actor: e.actor.clone(),
        action: e.action.clone(),
        target: e.target.clone(),
        ip: e.ip.clone(),
        request_id: e.request_id.clone(),
        detail: e.detail.clone(),
    }
}

/// The attacker of the old scheme: rewrites records from `from` on with
/// the unkeyed SHA-256 (record `edit` gets detail "forged"), relinks them,
/// optionally claims they are legacy records (`key_id` ''), and moves the
/// head to the new last hash.
async fn rewrite_unkeyed(db: &TestDb, from: i64, edit: i64, clear_key_ids: bool) -> R {
    let mut c = db.store.conn().await?;
    let mut all = audit::list(&mut c, None, 10_000).await?;
    all.reverse();
    let mut prev = match all.iter().find(|e| e.seq == from - 1) {
        Some(e) => e.hash.clone(),
        None => GENESIS.to_string(),
    };
    for e in all.iter().filter(|e| e.seq >= from) {
        let mut rec = record_of(e);
        if e.seq == edit {
            rec.detail = "forged".into();
        }
        let hash = chain_hash(&prev, &rec);
        sqlx::query(
            "UPDATE audit_log SET detail = $1, prev_hash = $2, hash = $3, key_id = $4 WHERE seq = $5",
        )
        .bind(&rec.detail)
        .bind(&prev)
        .bind(&hash)
        .bind(if clear_key_ids { "" } else { e.key_id.as_str() })
        .bind(e.seq)
        .execute(db.store.pool())
        .await?;
        prev = hash;
    }
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&prev)
        .execute(db.store.pool())
        .await?;
    Ok(())
}

/// What the old, unkeyed `verify` checked: links, SHA-256 of each record
/// from `from` on (the records before are the untouched originals), the
/// head. True when the old check would find nothing wrong from `from` on.
async fn old_scheme_accepts(c: &mut AnyConnection, from: i64) -> R<bool> {
    let mut all = audit::list(c, None, 10_000).await?;
    all.reverse();
    let mut prev = GENESIS.to_string();
    for (i, e) in all.iter().enumerate() {
        if e.seq != i as i64 + 1
            || e.prev_hash != prev
            || (e.seq >= from && chain_hash(&prev, &record_of(e)) != e.hash)
        {
            return Ok(false);
        }
        prev = e.hash.clone();
    }
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut *c)
        .await?;
    use sqlx::Row;
    let (seq, hash): (i64, String) = (head.try_get("seq")?, head.try_get("hash")?);
    Ok(seq == all.len() as i64 && hash == prev)
}

fn temp_checkpoint_file() -> PathBuf {
    std::env::temp_dir().join(format!("motcua_cp_{}.log", unique_suffix()))
}

/// Removes the file when dropped (also on panic).
struct RemoveOnDrop(PathBuf);
impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[tokio::test]
async fn audit_edit_rehashed_the_unkeyed_way_is_detected() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        append_n(&mut c, 1, 6).await?;
        let keys = test_keys();
        let cp = audit::checkpoint(&mut c, &keys, "node-a", NOW + 100).await?;
        assert_eq!(cp.seq, 6, "{tag}");
        let anchors = [audit::Anchor {
            checkpoint: cp,
            source: "test line 1".into(),
        }];
        assert_eq!(
            audit::verify_with(&mut c, Some(&keys), &anchors)
                .await?
                .broken,
            None,
            "{tag}"
        );
        drop_audit_triggers(&db).await?;

        // Record 2 edited, 2..6 rehashed with the unkeyed SHA-256 and
        // relinked, the head moved: the old check saw nothing…
        rewrite_unkeyed(&db, 2, 2, false).await?;
        assert_eq!(audit_entry(&mut c, 2).await?.detail, "forged", "{tag}");
        assert!(
            old_scheme_accepts(&mut c, 2).await?,
            "{tag}: a perfect forgery of the old scheme"
        );
        // …the keyed seal of record 2 does not match.
        assert_eq!(
            audit::verify(&mut c).await?.broken,
            Some((2, "record altered".to_string())),
            "{tag}"
        );

        // Claiming the rewritten records predate audit keys does not help:
        // unkeyed records may only precede keyed ones.
        rewrite_unkeyed(&db, 2, 2, true).await?;
        assert!(old_scheme_accepts(&mut c, 2).await?, "{tag}");
        let v = audit::verify(&mut c).await?;
        let (seq, why) = v.broken.ok_or_else(|| format!("{tag}: not detected"))?;
        assert_eq!(seq, 2, "{tag}: {why}");
        assert!(
            why.contains("unkeyed record after keyed ones"),
            "{tag}: {why}"
        );

        // The whole chain rewritten as legacy records: the chain alone
        // cannot tell (documented), the checkpoint can.
        rewrite_unkeyed(&db, 1, 2, true).await?;
        assert!(old_scheme_accepts(&mut c, 1).await?, "{tag}");
        assert_eq!(
            audit::verify(&mut c).await?.broken,
            None,
            "{tag}: the known limit"
        );
        let v = audit::verify_with(&mut c, Some(&keys), &anchors).await?;
        let (seq, why) = v.broken.ok_or_else(|| format!("{tag}: not detected"))?;
        assert_eq!(seq, 6, "{tag}: {why}");
        assert!(
            why.contains("differs from the checkpoint in test line 1") && why.contains("node-a"),
            "{tag}: {why}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn audit_cut_tail_with_head_rolled_back_is_detected_by_a_checkpoint() -> R {
    for db in backends().await {
        let tag = db.name;
        let file = temp_checkpoint_file();
        let _rm = RemoveOnDrop(file.clone());
        let keys = test_keys();
        let mut c = db.store.conn().await?;
        // An empty chain can be checkpointed too.
        audit::write_checkpoint(
            &file,
            &audit::checkpoint(&mut c, &keys, "node-a", NOW).await?,
        )?;
        append_n(&mut c, 1, 6).await?;
        audit::write_checkpoint(
            &file,
            &audit::checkpoint(&mut c, &keys, "node-a", NOW + 10).await?,
        )?;
        append_n(&mut c, 7, 2).await?;
        audit::write_checkpoint(
            &file,
            &audit::checkpoint(&mut c, &keys, "node-b", NOW + 20).await?,
        )?;
        let anchors = audit::read_checkpoints(&file, &keys)?;
        assert_eq!(
            anchors.iter().map(|a| a.checkpoint.seq).collect::<Vec<_>>(),
            vec![0, 6, 8],
            "{tag}"
        );
        assert_eq!(
            audit::verify_with(&mut c, Some(&keys), &anchors).await?,
            audit::Verification {
                records: 8,
                broken: None
            },
            "{tag}"
        );
        let saved: Vec<audit::Entry> = {
            let mut all = audit::list(&mut c, None, 100).await?;
            all.reverse();
            all
        };

        // Records 6..8 deleted and the head rolled back to record 5.
        drop_audit_triggers(&db).await?;
        exec(&db, "DELETE FROM audit_log WHERE seq > 5").await?;
        sqlx::query("UPDATE audit_head SET seq = 5, hash = $1 WHERE id = 1")
            .bind(&saved[4].hash)
            .execute(db.store.pool())
            .await?;
        // The chain alone looks whole…
        assert_eq!(
            audit::verify(&mut c).await?.broken,
            None,
            "{tag}: the known limit"
        );
        // …the checkpoints remember more.
        let v = audit::verify_with(&mut c, Some(&keys), &anchors).await?;
        let (seq, why) = v
            .broken
            .ok_or_else(|| format!("{tag}: cut tail not detected"))?;
        assert_eq!(seq, 6, "{tag}: {why}");
        assert!(
            why.contains("missing record")
                && why.contains("reached record 8")
                && why.contains("it ends at 5"),
            "{tag}: {why}"
        );
        assert!(
            why.contains(&format!("{} line 3", file.display())),
            "{tag}: {why}"
        );

        // Put back, then cut only what came after the second checkpoint:
        // with the third one it is found, without it (truncation after the
        // last checkpoint) it is not.
        for e in &saved[5..] {
            reinsert_audit(&db, e).await?;
        }
        assert_eq!(
            audit::verify_with(&mut c, Some(&keys), &anchors)
                .await?
                .broken,
            None,
            "{tag}: restored"
        );
        exec(&db, "DELETE FROM audit_log WHERE seq > 6").await?;
        sqlx::query("UPDATE audit_head SET seq = 6, hash = $1 WHERE id = 1")
            .bind(&saved[5].hash)
            .execute(db.store.pool())
            .await?;
        let v = audit::verify_with(&mut c, Some(&keys), &anchors).await?;
        assert_eq!(v.broken.map(|b| b.0), Some(7), "{tag}");
        let v = audit::verify_with(&mut c, Some(&keys), &anchors[..2]).await?;
        assert_eq!(v.broken, None, "{tag}: after the last checkpoint");
    }
    Ok(())
}

#[tokio::test]
async fn audit_key_rotation_and_legacy_records_verify() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        // Two records of an older version: unkeyed, no key id.
        let mut prev = GENESIS.to_string();
        for seq in 1..=2 {
            let rec = Record {
                seq,
                at: NOW + seq,
                actor: "operator:1".into(),
                action: "account.create".into(),
                target: format!("account:{seq}"),
                ip: String::new(),
                request_id: String::new(),
                detail: String::new(),
            };
            let hash = chain_hash(&prev, &rec);
            sqlx::query(
                "INSERT INTO audit_log (seq, at, actor, action, target, ip, request_id, detail, prev_hash, hash) \
                 VALUES ($1, $2, $3, $4, $5, '', '', '', $6, $7)",
            )
            .bind(rec.seq)
            .bind(rec.at)
            .bind(&rec.actor)
            .bind(&rec.action)
            .bind(&rec.target)
            .bind(&prev)
            .bind(&hash)
            .execute(db.store.pool())
            .await?;
            prev = hash;
        }
        // Then keys: first k1 alone…
        let k1_only = AuditKeys::single("k1", b"contract-suite-audit-key-number-1")?;
        for i in 3..=4 {
            audit::append_with(&mut c, &k1_only, &ctx("operator:1"), "a", "t", "", NOW + i).await?;
        }
        // …then k2 added and active (the process's keys).
        append_n(&mut c, 5, 2).await?;
        let mut all = audit::list(&mut c, None, 100).await?;
        all.reverse();
        assert_eq!(
            all.iter().map(|e| e.key_id.as_str()).collect::<Vec<_>>(),
            vec!["", "", "k1", "k1", "k2", "k2"],
            "{tag}"
        );
        let keys = test_keys();
        assert_eq!(
            audit::verify_with(&mut c, Some(&keys), &[]).await?,
            audit::Verification {
                records: 6,
                broken: None
            },
            "{tag}: both keys configured"
        );
        assert_eq!(audit::count_legacy(&mut c).await?, 2, "{tag}");

        // k1 dropped from the configuration: a clear message at record 3.
        let k2_only = AuditKeys::single("k2", b"contract-suite-audit-key-number-2")?;
        let v = audit::verify_with(&mut c, Some(&k2_only), &[]).await?;
        let (seq, why) = v
            .broken
            .ok_or_else(|| format!("{tag}: missing key not reported"))?;
        assert_eq!(seq, 3, "{tag}: {why}");
        assert!(
            why.contains("audit key 'k1'") && why.contains("not configured"),
            "{tag}: {why}"
        );
        // No keys at all: the legacy records still check, the first keyed
        // one names its key.
        let v = audit::verify_with(&mut c, None, &[]).await?;
        assert_eq!(v.broken.map(|b| b.0), Some(3), "{tag}");
        // The same id with another secret: altered.
        let wrong = AuditKeys::new(
            "k2",
            std::collections::BTreeMap::from([
                (
                    "k1".to_string(),
                    b"contract-suite-audit-key-number-X".to_vec(),
                ),
                (
                    "k2".to_string(),
                    b"contract-suite-audit-key-number-2".to_vec(),
                ),
            ]),
        )?;
        let v = audit::verify_with(&mut c, Some(&wrong), &[]).await?;
        assert_eq!(v.broken, Some((3, "record altered".to_string())), "{tag}");
    }
    Ok(())
}

#[tokio::test]
async fn audit_tampered_checkpoint_file_is_detected() -> R {
    for db in backends().await {
        let tag = db.name;
        let file = temp_checkpoint_file();
        let _rm = RemoveOnDrop(file.clone());
        let keys = test_keys();
        let mut c = db.store.conn().await?;
        append_n(&mut c, 1, 3).await?;
        audit::write_checkpoint(
            &file,
            &audit::checkpoint(&mut c, &keys, "node-a", NOW + 10).await?,
        )?;
        append_n(&mut c, 4, 2).await?;
        audit::write_checkpoint(
            &file,
            &audit::checkpoint(&mut c, &keys, "node-a", NOW + 20).await?,
        )?;
        let good = std::fs::read_to_string(&file)?;
        assert_eq!(audit::read_checkpoints(&file, &keys)?.len(), 2, "{tag}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file)?.permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{tag}: owner only");
        }

        let line_error = |text: String| -> R<String> {
            std::fs::write(&file, text)?;
            match audit::read_checkpoints(&file, &keys) {
                Err(e @ audit::CheckpointFileError::Line { .. }) => Ok(e.to_string()),
                other => Err(format!("{tag}: expected a bad line, got {other:?}").into()),
            }
        };
        // The second line's sequence lowered (to hide a cut tail).
        let msg = line_error(good.replace(" seq=5 ", " seq=3 "))?;
        assert!(
            msg.contains("line 2") && msg.contains("signature does not match"),
            "{tag}: {msg}"
        );
        // Its hash replaced.
        let cp2 = Checkpoint::parse_line(good.lines().nth(1).unwrap_or_default())?;
        let msg = line_error(good.replace(&cp2.hash, &GENESIS.replace('0', "a")))?;
        assert!(msg.contains("line 2"), "{tag}: {msg}");
        // A line signed with a key of the attacker's own, same id.
        let stranger = AuditKeys::single("k2", b"an-attacker-chose-this-key-000000")?;
        let forged = Checkpoint::sign(&stranger, "node-a", 3, &cp2.hash, NOW + 30);
        let msg = line_error(format!("{good}{}\n", forged.to_line()))?;
        assert!(
            msg.contains("line 3") && msg.contains("signature"),
            "{tag}: {msg}"
        );
        // A key that is not configured.
        let other = AuditKeys::single("k9", b"an-attacker-chose-this-key-000000")?;
        let unknown = Checkpoint::sign(&other, "node-a", 3, &cp2.hash, NOW + 30);
        let msg = line_error(format!("{}\n{good}", unknown.to_line()))?;
        assert!(
            msg.contains("line 1") && msg.contains("'k9'"),
            "{tag}: {msg}"
        );
        // Not a checkpoint at all.
        let msg = line_error(format!("{good}seq=99\n"))?;
        assert!(
            msg.contains("line 3") && msg.contains("not a checkpoint"),
            "{tag}: {msg}"
        );
        assert!(
            matches!(
                Checkpoint::parse_line("seq=99"),
                Err(CheckpointError::Malformed)
            ),
            "{tag}"
        );
        // A missing file is an error, not an empty list.
        std::fs::remove_file(&file)?;
        let e = audit::read_checkpoints(&file, &keys)
            .err()
            .ok_or_else(|| format!("{tag}: missing file accepted"))?;
        assert!(
            e.to_string().contains("cannot read checkpoint file"),
            "{tag}: {e}"
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Jobs
// ---------------------------------------------------------------------------

fn count_of(counts: &[(JobStatus, i64)], status: &str) -> i64 {
    counts
        .iter()
        .find(|(s, _)| s.as_str() == status)
        .map_or(0, |(_, n)| *n)
}

#[tokio::test]
async fn jobs_enqueue_claim_complete() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        assert!(
            jobs::claim(&mut c, "w1", NOW, MINUTE).await?.is_none(),
            "{tag}: empty queue"
        );
        assert!(jobs::counts(&mut c).await?.is_empty(), "{tag}");

        let j1 = jobs::enqueue(&mut c, "mail", r#"{"to":"a@example.vn"}"#, 5, NOW).await?;
        let j2 = jobs::enqueue(&mut c, "mail", "{}", 5, NOW + 10).await?;
        let j3 = jobs::enqueue(&mut c, "report", "{}", 5, NOW + HOUR).await?;

        let q = jobs::get(&mut c, j1).await?.ok_or("get j1")?;
        assert_eq!(
            (q.status.as_str(), q.attempts, q.max_attempts, q.run_at),
            ("queued", 0, 5, NOW),
            "{tag}"
        );
        assert_eq!(
            (q.created_at, q.updated_at, q.last_error.clone()),
            (NOW, NOW, None),
            "{tag}"
        );

        let got = jobs::claim(&mut c, "w1", NOW + 5, MINUTE)
            .await?
            .ok_or("claim j1")?;
        assert_eq!(got.id, j1, "{tag}");
        assert_eq!(got.kind, "mail", "{tag}");
        assert_eq!(got.payload, r#"{"to":"a@example.vn"}"#, "{tag}");
        assert_eq!(got.status, "running", "{tag}");
        assert_eq!(got.attempts, 1, "{tag}");
        assert_eq!(got.updated_at, NOW + 5, "{tag}");

        // j1 is leased, j2 not yet due, j3 far in the future.
        assert!(
            jobs::claim(&mut c, "w2", NOW + 5, MINUTE).await?.is_none(),
            "{tag}: nothing due"
        );
        jobs::complete(&mut c, j1, NOW + 6).await?;
        let done = jobs::get(&mut c, j1).await?.ok_or("get j1")?;
        assert_eq!(
            (done.status.as_str(), done.updated_at),
            ("done", NOW + 6),
            "{tag}"
        );

        let got = jobs::claim(&mut c, "w1", NOW + 10, MINUTE)
            .await?
            .ok_or("claim j2")?;
        assert_eq!(got.id, j2, "{tag}: due at run_at");
        jobs::complete(&mut c, j2, NOW + 11).await?;
        assert!(
            jobs::claim(&mut c, "w1", NOW + 20, MINUTE).await?.is_none(),
            "{tag}: j3 in the future"
        );
        assert!(
            jobs::claim(&mut c, "w1", NOW + 10 * DAY, MINUTE)
                .await?
                .is_some_and(|j| j.id == j3),
            "{tag}: j3 when due"
        );
        jobs::complete(&mut c, j3, NOW + 10 * DAY).await?;
        assert!(
            jobs::claim(&mut c, "w1", NOW + 20 * DAY, MINUTE)
                .await?
                .is_none(),
            "{tag}: done jobs stay done"
        );

        // Due jobs are claimed oldest run_at first, then by id.
        let late = jobs::enqueue(&mut c, "k", "late", 5, NOW + 2 * MINUTE).await?;
        let a = jobs::enqueue(&mut c, "k", "a", 5, NOW + MINUTE).await?;
        let b = jobs::enqueue(&mut c, "k", "b", 5, NOW + MINUTE).await?;
        let mut order = Vec::new();
        while let Some(j) = jobs::claim(&mut c, "w1", NOW + 3 * MINUTE, HOUR).await? {
            order.push(j.id);
        }
        assert_eq!(order, vec![a, b, late], "{tag}");

        let counts = jobs::counts(&mut c).await?;
        assert_eq!(
            counts,
            vec![(JobStatus::Done, 3), (JobStatus::Running, 3)],
            "{tag}"
        );
        let listed = jobs::list(&mut c, JobStatus::Done, 10).await?;
        assert_eq!(
            listed.iter().map(|j| j.id).collect::<Vec<_>>(),
            vec![j3, j2, j1],
            "{tag}: newest first"
        );
        assert_eq!(
            jobs::list(&mut c, JobStatus::Done, 2).await?.len(),
            2,
            "{tag}: limit"
        );
    }
    Ok(())
}

#[tokio::test]
async fn jobs_fail_backoff_dead_and_requeue() -> R {
    assert_eq!(jobs::backoff(1), 5 * SECOND);
    assert_eq!(jobs::backoff(2), 10 * SECOND);
    assert_eq!(jobs::backoff(3), 20 * SECOND);
    assert_eq!(jobs::backoff(100), HOUR);
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        let id = jobs::enqueue(&mut c, "mail", "{}", 3, NOW).await?;
        let other = jobs::enqueue(&mut c, "mail", "{}", 3, NOW + DAY).await?;

        // Attempt 1 fails: requeued 5 s later.
        let j = jobs::claim(&mut c, "w", NOW, MINUTE)
            .await?
            .ok_or("claim 1")?;
        assert_eq!((j.id, j.attempts), (id, 1), "{tag}");
        let t1 = NOW + SECOND;
        assert!(
            !jobs::fail(&mut c, &j, "smtp: connection refused", t1).await?,
            "{tag}: not dead yet"
        );
        let q = jobs::get(&mut c, id).await?.ok_or("get")?;
        assert_eq!(q.status, "queued", "{tag}");
        assert_eq!(q.run_at, t1 + 5 * SECOND, "{tag}: backoff 5 s");
        assert_eq!(
            q.last_error.as_deref(),
            Some("smtp: connection refused"),
            "{tag}"
        );
        assert_eq!(q.attempts, 1, "{tag}");
        assert!(
            jobs::claim(&mut c, "w", t1 + 5 * SECOND - 1, MINUTE)
                .await?
                .is_none(),
            "{tag}: not before the backoff"
        );

        // Attempt 2 fails: 10 s.
        let j = jobs::claim(&mut c, "w", t1 + 5 * SECOND, MINUTE)
            .await?
            .ok_or("claim 2")?;
        assert_eq!((j.id, j.attempts), (id, 2), "{tag}");
        let t2 = t1 + 6 * SECOND;
        assert!(!jobs::fail(&mut c, &j, "again", t2).await?, "{tag}");
        assert_eq!(
            jobs::get(&mut c, id).await?.ok_or("get")?.run_at,
            t2 + 10 * SECOND,
            "{tag}: backoff 10 s"
        );
        assert!(
            jobs::claim(&mut c, "w", t2 + 10 * SECOND - 1, MINUTE)
                .await?
                .is_none(),
            "{tag}"
        );

        // Attempt 3 (the last) fails: dead.
        let j = jobs::claim(&mut c, "w", t2 + 10 * SECOND, MINUTE)
            .await?
            .ok_or("claim 3")?;
        assert_eq!((j.id, j.attempts), (id, 3), "{tag}");
        let long_error = "x".repeat(5000);
        assert!(
            jobs::fail(&mut c, &j, &long_error, t2 + 11 * SECOND).await?,
            "{tag}: dead after max_attempts"
        );
        let d = jobs::get(&mut c, id).await?.ok_or("get")?;
        assert_eq!(d.status, "dead", "{tag}");
        assert_eq!(
            d.last_error.as_deref().map(str::len),
            Some(2000),
            "{tag}: error truncated"
        );
        assert!(
            jobs::claim(&mut c, "w", NOW + HOUR, MINUTE)
                .await?
                .is_none(),
            "{tag}: dead jobs are not claimed"
        );

        let dead = jobs::list(&mut c, JobStatus::Dead, 10).await?;
        assert_eq!(
            dead.iter().map(|j| j.id).collect::<Vec<_>>(),
            vec![id],
            "{tag}"
        );
        let counts = jobs::counts(&mut c).await?;
        assert_eq!(
            (count_of(&counts, "dead"), count_of(&counts, "queued")),
            (1, 1),
            "{tag}"
        );

        // Requeue: a fresh set of attempts, due now.
        assert!(
            !jobs::requeue(&mut c, other, NOW).await?,
            "{tag}: only dead jobs"
        );
        let t4 = NOW + 2 * HOUR;
        assert!(jobs::requeue(&mut c, id, t4).await?, "{tag}");
        assert!(
            !jobs::requeue(&mut c, id, t4).await?,
            "{tag}: no longer dead"
        );
        let q = jobs::get(&mut c, id).await?.ok_or("get")?;
        assert_eq!(
            (q.status.as_str(), q.attempts, q.run_at),
            ("queued", 0, t4),
            "{tag}"
        );
        let j = jobs::claim(&mut c, "w", t4, MINUTE)
            .await?
            .ok_or("claim after requeue")?;
        assert_eq!((j.id, j.attempts), (id, 1), "{tag}");
        jobs::complete(&mut c, id, t4 + 1).await?;
        let done = jobs::get(&mut c, id).await?.ok_or("get")?;
        assert_eq!(
            (done.status.as_str(), done.last_error.clone()),
            ("done", None),
            "{tag}"
        );
        let counts = jobs::counts(&mut c).await?;
        assert_eq!(
            counts,
            vec![(JobStatus::Done, 1), (JobStatus::Queued, 1)],
            "{tag}"
        );
        assert!(
            jobs::list(&mut c, JobStatus::Dead, 10).await?.is_empty(),
            "{tag}"
        );
    }
    Ok(())
}

/// Who holds a job's lease, and until when (not part of `jobs::Job`).
async fn lease_of(c: &mut AnyConnection, id: JobId) -> R<(Option<String>, Option<i64>)> {
    Ok(
        sqlx::query_as("SELECT locked_by, locked_until FROM jobs WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *c)
            .await?,
    )
}

#[tokio::test]
async fn jobs_expired_lease_is_reclaimed() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        let id = jobs::enqueue(&mut c, "mail", "{}", 5, NOW).await?;
        let lease = 30 * SECOND;
        let j = jobs::claim(&mut c, "node-a", NOW, lease)
            .await?
            .ok_or("claim")?;
        assert_eq!((j.id, j.attempts), (id, 1), "{tag}");
        assert!(
            jobs::claim(&mut c, "node-b", NOW + lease - 1, lease)
                .await?
                .is_none(),
            "{tag}: lease held"
        );
        assert!(
            jobs::claim(&mut c, "node-b", NOW + lease, lease)
                .await?
                .is_none(),
            "{tag}: lease held until its end"
        );

        // node-a died: its lease runs out and node-b takes over.
        let j = jobs::claim(&mut c, "node-b", NOW + lease + 1, lease)
            .await?
            .ok_or("reclaim")?;
        assert_eq!(
            (j.id, j.attempts, j.status.as_str()),
            (id, 2, "running"),
            "{tag}"
        );
        let (by, until) = lease_of(&mut c, id).await?;
        assert_eq!(
            (by.as_deref(), until),
            (Some("node-b"), Some(NOW + 2 * lease + 1)),
            "{tag}"
        );
        assert!(
            jobs::claim(&mut c, "node-c", NOW + lease + 2, lease)
                .await?
                .is_none(),
            "{tag}: new lease held"
        );
        jobs::complete(&mut c, id, NOW + lease + 3).await?;
        assert_eq!(
            lease_of(&mut c, id).await?,
            (None, None),
            "{tag}: lease released"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn jobs_concurrent_claims_run_each_job_once() -> R {
    for db in backends().await {
        // PostgreSQL only: several app nodes share one PostgreSQL database
        // and rely on FOR UPDATE SKIP LOCKED; SQLite serves a single node
        // and serializes every write, so there is no race to test there.
        if db.store.backend() != Backend::Postgres {
            continue;
        }
        let tag = db.name;
        let mut enqueued = BTreeSet::new();
        {
            let mut tx = db.store.begin().await?;
            for i in 0..200 {
                enqueued.insert(
                    jobs::enqueue(&mut tx, "mail", &format!("{{\"n\":{i}}}"), 3, NOW).await?,
                );
            }
            tx.commit().await?;
        }
        let stores = [db.store.clone(), db.another_store().await];
        let mut tasks = Vec::new();
        for w in 0..4 {
            let store = stores[w % 2].clone();
            tasks.push(tokio::spawn(async move {
                let worker = format!("node{}-w{w}", w % 2);
                let mut claimed = Vec::new();
                loop {
                    let mut c = store.conn().await?;
                    let Some(job) = jobs::claim(&mut c, &worker, NOW + SECOND, 10 * MINUTE).await?
                    else {
                        break;
                    };
                    assert_eq!(job.attempts, 1, "job {} claimed before", job.id);
                    claimed.push(job.id);
                    jobs::complete(&mut c, job.id, NOW + 2 * SECOND).await?;
                }
                Ok::<Vec<JobId>, StoreError>(claimed)
            }));
        }
        let mut all = Vec::new();
        let mut per_worker = Vec::new();
        for t in tasks {
            let claimed = t.await??;
            per_worker.push(claimed.len());
            all.extend(claimed);
        }
        let unique: BTreeSet<JobId> = all.iter().copied().collect();
        assert_eq!(all.len(), 200, "{tag}: claims {per_worker:?}");
        assert_eq!(unique, enqueued, "{tag}: every job claimed exactly once");
        let mut c = db.store.conn().await?;
        assert_eq!(
            jobs::counts(&mut c).await?,
            vec![(JobStatus::Done, 200)],
            "{tag}"
        );
        stores[1].close().await;
    }
    Ok(())
}

fn seqs(entries: &[audit::Entry]) -> Vec<i64> {
    entries.iter().map(|e| e.seq).collect()
}

#[tokio::test]
async fn audit_search_filters_and_pages_by_sequence() -> R {
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        let (a, b) = (7_i64, 8_i64);
        // 130 records, one a minute: actors account:a, account:10a (a
        // longer id with the same start), system:* and cli; three actions.
        for i in 1..=130i64 {
            let actor = match i % 5 {
                0 => "system:worker".to_string(),
                1 => format!("account:{a}"),
                2 => format!("account:{a}0"),
                3 => "system:sla".to_string(),
                _ => "cli".to_string(),
            };
            let action = match i % 3 {
                0 => "account.lock",
                1 => "account.unlock",
                _ => "session.start",
            };
            let target = if i % 2 == 0 {
                format!("account:{b}")
            } else {
                "calendar:2027".into()
            };
            audit::append(
                &mut c,
                &ctx(&actor),
                action,
                &target,
                "{}",
                NOW + i * MINUTE,
            )
            .await?;
        }
        // Newest first, 50 a page, every record exactly once by `before`.
        let mut seen = Vec::new();
        let mut f = audit::Filter::default();
        loop {
            let page = audit::search(&mut c, &f, 50).await?;
            if page.is_empty() {
                break;
            }
            assert!(page.len() <= 50, "{tag}");
            f.before = page.last().map(|e| e.seq);
            seen.extend(seqs(&page));
        }
        assert_eq!(seen, (1..=130).rev().collect::<Vec<_>>(), "{tag}: pages");
        // `after`: the records just newer than the cursor, newest first.
        let newer = audit::search(
            &mut c,
            &audit::Filter {
                after: Some(100),
                ..Default::default()
            },
            10,
        )
        .await?;
        assert_eq!(seqs(&newer), (101..=110).rev().collect::<Vec<_>>(), "{tag}");
        // Actor: exact (account:a is not account:a0), or a prefix with ':'.
        let by_a = audit::search(
            &mut c,
            &audit::Filter {
                actor: format!("account:{a}"),
                ..Default::default()
            },
            500,
        )
        .await?;
        assert_eq!(by_a.len(), 26, "{tag}");
        assert!(
            by_a.iter().all(|e| e.actor == format!("account:{a}")),
            "{tag}"
        );
        let system = audit::search(
            &mut c,
            &audit::Filter {
                actor: "system:".into(),
                ..Default::default()
            },
            500,
        )
        .await?;
        assert_eq!(system.len(), 52, "{tag}");
        // Target and action prefix; `account.lock` is not `account.unlock`.
        let locks_of_b = audit::search(
            &mut c,
            &audit::Filter {
                target: format!("account:{b}"),
                action: "account.lock".into(),
                ..Default::default()
            },
            500,
        )
        .await?;
        assert_eq!(
            seqs(&locks_of_b),
            (1..=130).rev().filter(|i| i % 6 == 0).collect::<Vec<_>>(),
            "{tag}"
        );
        let account_actions = audit::search(
            &mut c,
            &audit::Filter {
                action: "account.".into(),
                ..Default::default()
            },
            500,
        )
        .await?;
        assert_eq!(account_actions.len(), 87, "{tag}");
        // A date range: [from, until).
        let window = audit::search(
            &mut c,
            &audit::Filter {
                from: Some(NOW + 10 * MINUTE),
                until: Some(NOW + 20 * MINUTE),
                ..Default::default()
            },
            500,
        )
        .await?;
        assert_eq!(seqs(&window), (10..20).rev().collect::<Vec<_>>(), "{tag}");
        // Filters and cursor together.
        let f = audit::Filter {
            actor: "system:".into(),
            before: Some(60),
            ..Default::default()
        };
        let page = audit::search(&mut c, &f, 5).await?;
        assert_eq!(seqs(&page), vec![58, 55, 53, 50, 48], "{tag}");
        // Nothing matches: empty, not an error.
        let none = audit::search(
            &mut c,
            &audit::Filter {
                actor: "account:999999".into(),
                ..Default::default()
            },
            50,
        )
        .await?;
        assert!(none.is_empty(), "{tag}");
        // The page walks the primary key; it never sorts the whole log.
        // (PostgreSQL: on 130 rows a scan is cheapest; forbid the
        // alternatives to see that the ordered index walk is possible.)
        if db.store.backend() == Backend::Postgres {
            sqlx::raw_sql(
                "SET enable_seqscan = off; SET enable_bitmapscan = off; SET enable_sort = off",
            )
            .execute(&mut *c)
            .await?;
        }
        let plan = audit::search_plan(&mut c, &f, 50).await?;
        match db.store.backend() {
            Backend::Sqlite => {
                assert!(plan.contains("PRIMARY KEY"), "{tag}: {plan}");
                assert!(!plan.contains("TEMP B-TREE"), "{tag}: {plan}");
            }
            Backend::Postgres => {
                assert!(plan.contains("audit_log_pkey"), "{tag}: {plan}");
                assert!(!plan.contains("Sort"), "{tag}: {plan}");
            }
        }
    }
    Ok(())
}

/// Issue #7: the operator's delivery list pages by keyset on the id,
/// newest first, all or of one status or one system: every delivery once,
/// a page added meanwhile does not shift the pages already read.
#[tokio::test]
async fn deliveries_page_by_keyset() -> R {
    use motcua_domain::DeliveryStatus;
    use motcua_store::events::{self, NewSystem};
    for db in backends().await {
        let tag = db.name;
        let mut c = db.store.conn().await?;
        let mut systems = Vec::new();
        for code in ["hq", "kd"] {
            let s = NewSystem {
                code,
                name: code,
                ministry: "Bộ thử",
                endpoint_url: "https://example.vn/hook",
                secret: "whsec_dGVzdA==",
                event_types: "*",
                active: true,
            };
            systems.push(events::create_system(&mut c, &s, NOW).await?);
        }
        let emit = |i: i64| events::Event {
            seq: 0,
            id: format!("msg_{i}"),
            kind: "account.created".into(),
            subject: format!("account:{i}"),
            payload: "{}".into(),
            created_at: NOW,
        };
        for i in 0..5 {
            events::emit(&mut c, &emit(i), DAY, NOW + i).await?;
        }
        let walk = |status: Option<DeliveryStatus>, system| {
            let db = &db;
            async move {
                let mut c = db.store.conn().await?;
                let mut seen = Vec::new();
                let mut after = None;
                loop {
                    let (page, next) = events::page(&mut c, status, system, after, 3).await?;
                    assert!(page.len() <= 3);
                    seen.extend(page.iter().map(|d| d.id.get()));
                    match next {
                        Some(n) => after = Some(n),
                        None => break,
                    }
                }
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(seen)
            }
        };
        let all = walk(None, None).await?;
        assert_eq!(all.len(), 10, "{tag}");
        assert!(all.windows(2).all(|w| w[0] > w[1]), "{tag}: newest first");
        let one = walk(None, Some(systems[0])).await?;
        assert_eq!(one.len(), 5, "{tag}");
        let pending = walk(Some(DeliveryStatus::Pending), Some(systems[1])).await?;
        assert_eq!(pending.len(), 5, "{tag}");
        assert!(pending.iter().all(|id| !one.contains(id)), "{tag}");
        assert!(
            walk(Some(DeliveryStatus::Dead), None).await?.is_empty(),
            "{tag}"
        );
        // A delivery added after the first page: the next pages are the
        // same, and the new one heads the list.
        let (first, next) = events::page(&mut c, None, None, None, 3).await?;
        events::emit(&mut c, &emit(9), DAY, NOW + 9).await?;
        let (second, _) = events::page(&mut c, None, None, next, 3).await?;
        assert_eq!(
            first
                .iter()
                .chain(&second)
                .map(|d| d.id.get())
                .collect::<Vec<_>>(),
            all[..6].to_vec(),
            "{tag}"
        );
        let (head, _) = events::page(&mut c, None, None, None, 1).await?;
        assert!(head[0].id.get() > all[0], "{tag}");
    }
    Ok(())
}
