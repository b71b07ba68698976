//! The kernel's integration tests: the blob store's contract on a local
//! directory and on a real S3-compatible server (moto, started here), and
//! the migration that moves documents out of the database, on each
//! database backend (issue #6).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use motcua_kernel::blobs::{self, BlobError, BlobSettings, Blobs, S3Settings};
use motcua_store::{attachments, Store};
use motcua_testkit::{each_backend, in_ci, loud, require_postgres_in_ci};
use std::process::{Child, Command, Stdio};

/// What every blob store must do.
async fn contract(b: &Blobs) {
    let data = "Giấy chứng nhận đăng ký doanh nghiệp".as_bytes();
    let key = b.put(data).await.expect("put");
    assert_eq!(key, blobs::digest(data), "the key is the SHA-256");
    assert_eq!(key.len(), 64);
    assert!(b.exists(&key).await.expect("exists"));
    assert_eq!(b.get(&key).await.expect("get"), data);

    // The same bytes again: same key, still readable.
    assert_eq!(b.put(data).await.expect("put again"), key);
    assert_eq!(b.get(&key).await.expect("get again"), data);

    // Empty and binary content.
    let empty = b.put(&[]).await.expect("empty");
    assert_eq!(b.get(&empty).await.expect("get empty"), Vec::<u8>::new());
    let bin: Vec<u8> = (0..=255u8).cycle().take(200_000).collect();
    let kb = b.put(&bin).await.expect("binary");
    assert_eq!(b.get(&kb).await.expect("get binary"), bin);

    // Unknown key, and strings that are not keys (no path tricks).
    let missing = blobs::digest(b"never stored");
    assert!(!b.exists(&missing).await.expect("exists missing"));
    assert!(matches!(b.get(&missing).await, Err(BlobError::NotFound(k)) if k == missing));
    for bad in [
        "",
        "../etc/passwd",
        "ABC",
        &"A".repeat(64),
        &format!("{missing}/x"),
    ] {
        assert!(
            matches!(b.get(bad).await, Err(BlobError::BadKey(_))),
            "{bad:?} is refused as a key"
        );
    }

    // Bytes changed under their key are refused, not served.
    let victim = b.put(b"quyet dinh so 1").await.expect("put victim");
    b.overwrite_for_tests(&victim, b"quyet dinh so 2")
        .await
        .expect("tamper");
    assert!(matches!(b.get(&victim).await, Err(BlobError::Corrupt(k)) if k == victim));
    // Storing the right bytes again repairs it.
    b.put(b"quyet dinh so 1").await.expect("repair");
    assert_eq!(b.get(&victim).await.expect("repaired"), b"quyet dinh so 1");
}

#[tokio::test]
async fn local_directory_keeps_the_contract() {
    let dir = tempfile::tempdir().expect("dir");
    let b = Blobs::open(&BlobSettings::Local {
        dir: dir.path().join("blobs"),
    })
    .expect("open");
    assert_eq!(b.kind(), "local");
    contract(&b).await;
    // Fanned out by the first two hex digits.
    let key = b.put(b"x").await.expect("put");
    assert!(dir
        .path()
        .join("blobs/sha256")
        .join(&key[..2])
        .join(&key)
        .is_file());
}

#[test]
fn bad_settings_are_refused() {
    let file = tempfile::NamedTempFile::new().expect("file");
    // A directory that cannot be created (a file is in the way).
    let e = Blobs::open(&BlobSettings::Local {
        dir: file.path().join("blobs"),
    })
    .expect_err("not a directory");
    assert!(matches!(e, BlobError::Settings(_)), "{e}");
    let e = Blobs::open(&BlobSettings::S3(s3_settings("http://127.0.0.1:9", "")))
        .expect_err("no bucket");
    assert!(e.to_string().contains("bucket"), "{e}");
    let s = format!("{:?}", s3_settings("http://127.0.0.1:9", "b"));
    assert!(!s.contains("moto-secret"), "the secret is not logged: {s}");
}

fn s3_settings(endpoint: &str, bucket: &str) -> S3Settings {
    S3Settings {
        endpoint: Some(endpoint.into()),
        bucket: bucket.into(),
        region: "us-east-1".into(),
        access_key_id: "moto".into(),
        secret_access_key: "moto-secret".into(),
        prefix: "motcua".into(),
    }
}

/// A moto S3 server on a free port, killed on drop.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The moto server binary: `MOTCUA_TEST_MOTO_SERVER`, else `moto_server`
/// on the PATH. None (the S3 tests are skipped, loudly) outside CI; in CI
/// its absence fails the test.
fn moto_binary() -> Option<String> {
    let bin = std::env::var("MOTCUA_TEST_MOTO_SERVER")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "moto_server".into());
    let found = Command::new(&bin)
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        return Some(bin);
    }
    assert!(
        !in_ci(),
        "CI=true but the moto S3 server ({bin}) is not installed: pip install 'moto[server]'"
    );
    loud("NOTE: moto_server not found: the S3 blob store tests are SKIPPED (pip install 'moto[server]')");
    None
}

async fn start_moto(bucket: &str) -> Option<Moto> {
    let bin = moto_binary()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("free port")
        .local_addr()
        .expect("addr")
        .port();
    let child = Command::new(bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start moto_server");
    let moto = Moto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if http.get(format!("{}/", moto.endpoint)).send().await.is_ok() {
            let r = http
                .put(format!("{}/{bucket}", moto.endpoint))
                .send()
                .await
                .expect("create bucket");
            assert!(r.status().is_success(), "create bucket: {}", r.status());
            return Some(moto);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("moto_server did not start on port {port}");
}

#[tokio::test]
async fn s3_bucket_keeps_the_contract() {
    let Some(moto) = start_moto("motcua-blobs").await else {
        return;
    };
    let b = Blobs::open(&BlobSettings::S3(s3_settings(
        &moto.endpoint,
        "motcua-blobs",
    )))
    .expect("open");
    assert_eq!(b.kind(), "s3");
    contract(&b).await;
    // The object is where the layout says, under the prefix (the bucket's
    // listing, read past the client).
    let key = b.put(b"x").await.expect("put");
    let listing = reqwest::get(format!("{}/motcua-blobs?list-type=2", moto.endpoint))
        .await
        .expect("list")
        .text()
        .await
        .expect("listing");
    let want = format!("<Key>motcua/sha256/{}/{key}</Key>", &key[..2]);
    assert!(listing.contains(&want), "{want} in {listing}");

    // A bucket that does not exist is an error, not an empty answer.
    let gone = Blobs::open(&BlobSettings::S3(s3_settings(
        &moto.endpoint,
        "no-such-bucket",
    )))
    .expect("open");
    assert!(matches!(gone.put(b"y").await, Err(BlobError::Backend(_))));
}

/// Documents written before the blob store (bytes in the database) move
/// out, each readable from the blob store afterwards; a second run moves
/// nothing; rows already in the blob store are not touched.
async fn migration_moves_everything(store: &Store, b: &Blobs) {
    let now = 1_764_000_000_000;
    let docs: Vec<Vec<u8>> = (0..7)
        .map(|i| format!("ho so {i} — tài liệu").into_bytes())
        .collect();
    {
        let mut c = store.conn().await.expect("conn");
        for d in &docs {
            attachments::insert_legacy_for_tests(
                &mut c,
                &blobs::digest(d),
                "application/pdf",
                d,
                now,
            )
            .await
            .expect("legacy row");
        }
        assert_eq!(
            attachments::count_held_in_database(&mut c).await.unwrap(),
            7
        );
    }
    // A new-style row: recorded, bytes in the blob store.
    let fresh = b"moi".to_vec();
    let fresh_key = b.put(&fresh).await.expect("put");
    {
        let mut c = store.conn().await.expect("conn");
        attachments::record(&mut c, &fresh_key, "text/plain", 3, now)
            .await
            .expect("record");
        // Recording twice is harmless.
        attachments::record(&mut c, &fresh_key, "text/plain", 3, now)
            .await
            .expect("record again");
    }

    let moved = blobs::move_out_of_database(store, b, 3)
        .await
        .expect("move");
    assert_eq!(moved, 7, "every legacy row moves, across several batches");
    let mut c = store.conn().await.expect("conn");
    assert_eq!(
        attachments::count_held_in_database(&mut c).await.unwrap(),
        0
    );
    for d in &docs {
        let key = blobs::digest(d);
        let row = attachments::get(&mut c, &key)
            .await
            .unwrap()
            .expect("row kept");
        assert_eq!(row.data, None, "the database no longer holds the bytes");
        assert_eq!(row.size, d.len() as i64);
        assert_eq!(b.get(&key).await.expect("in the blob store"), *d);
    }
    let row = attachments::get(&mut c, &fresh_key)
        .await
        .unwrap()
        .expect("fresh");
    assert_eq!(
        (row.content_type.as_str(), row.size, row.data),
        ("text/plain", 3, None)
    );
    drop(c);
    assert_eq!(
        blobs::move_out_of_database(store, b, 3)
            .await
            .expect("again"),
        0,
        "a second run has nothing to move"
    );
}

#[tokio::test]
async fn migration_moves_documents_out_of_each_database() {
    require_postgres_in_ci("kernel");
    each_backend(|db| async move {
        let store = db.migrated_store().await;
        let dir = tempfile::tempdir().expect("dir");
        let b = Blobs::open(&BlobSettings::Local {
            dir: dir.path().to_path_buf(),
        })
        .expect("open");
        migration_moves_everything(&store, &b).await;

        // A row whose bytes do not match its key stops the migration
        // loudly and stays in the database.
        {
            let mut c = store.conn().await.expect("conn");
            let key = blobs::digest(b"the real bytes");
            attachments::insert_legacy_for_tests(&mut c, &key, "text/plain", b"other bytes", 1)
                .await
                .expect("bad row");
        }
        let e = blobs::move_out_of_database(&store, &b, 10)
            .await
            .expect_err("corrupt row");
        assert!(e.to_string().contains("corrupt"), "{}: {e}", db.name());
        let mut c = store.conn().await.expect("conn");
        assert_eq!(
            attachments::count_held_in_database(&mut c).await.unwrap(),
            1
        );
        drop(c);
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn migration_moves_documents_to_s3() {
    let Some(moto) = start_moto("motcua-migrate").await else {
        return;
    };
    let (_dir, store) = sqlite_store().await;
    let b = Blobs::open(&BlobSettings::S3(s3_settings(
        &moto.endpoint,
        "motcua-migrate",
    )))
    .expect("open");
    migration_moves_everything(&store, &b).await;
    store.close().await;
}

/// A migrated SQLite store in a temporary folder (kept as long as the
/// returned guard lives).
async fn sqlite_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::connect(
        &format!("sqlite://{}", dir.path().join("blobs.db").display()),
        4,
    )
    .await
    .expect("connect");
    store.migrate().await.expect("migrate");
    (dir, store)
}

fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Unreferenced blobs older than the grace period go; referenced ones,
/// young ones and objects that are not blobs stay.
async fn garbage_is_collected(store: &Store, b: &Blobs) {
    const HOUR: i64 = 3_600_000;
    b.check().await.expect("a usable store passes the check");
    let kept = b.put(b"quyet dinh da ghi nhan").await.expect("put");
    {
        let mut c = store.conn().await.expect("conn");
        attachments::record(&mut c, &kept, "application/pdf", 22, 1)
            .await
            .expect("record");
    }
    let orphan = b.put(b"giao dich da huy").await.expect("put orphan");
    let foreign = "z".repeat(64);
    b.overwrite_for_tests(&foreign, b"not a blob")
        .await
        .expect("foreign object");
    let now = wall_ms();

    // Grace starting an hour ago: everything is young, nothing goes.
    let r = blobs::collect_garbage(store, b, now - HOUR)
        .await
        .expect("gc");
    assert_eq!(
        (r.scanned, r.referenced, r.young, r.deleted, r.foreign),
        (3, 1, 1, 0, 1),
        "{r:?}"
    );
    assert!(b.exists(&orphan).await.unwrap());

    // Grace ending in an hour: the orphan is old enough and goes.
    let r = blobs::collect_garbage(store, b, now + HOUR)
        .await
        .expect("gc");
    assert_eq!((r.referenced, r.deleted, r.foreign), (1, 1, 1), "{r:?}");
    assert!(!b.exists(&orphan).await.unwrap(), "the orphan is gone");
    assert_eq!(b.get(&kept).await.unwrap(), b"quyet dinh da ghi nhan");

    // An upload of the orphan's bytes makes it young again: a second run
    // with the old grace keeps it, and deletes nothing else.
    b.put(b"giao dich da huy").await.expect("again");
    let r = blobs::collect_garbage(store, b, now - HOUR)
        .await
        .expect("gc");
    assert_eq!((r.deleted, r.young), (0, 1), "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_collection_on_a_local_directory() {
    require_postgres_in_ci("kernel");
    each_backend(|db| async move {
        // Hold the whole test database (its drop removes it), not only
        // the URL the block reads.
        let db = db;
        let dir = tempfile::tempdir().expect("dir");
        let b = Blobs::open(&BlobSettings::Local {
            dir: dir.path().join("blobs"),
        })
        .expect("open");
        let store = db.migrated_store().await;
        garbage_is_collected(&store, &b).await;
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn garbage_collection_and_the_start_check_on_s3() {
    let Some(moto) = start_moto("motcua-gc").await else {
        return;
    };
    let (_dir, store) = sqlite_store().await;
    let b = Blobs::open(&BlobSettings::S3(s3_settings(&moto.endpoint, "motcua-gc"))).expect("open");
    garbage_is_collected(&store, &b).await;
    // The probe left nothing behind.
    let listing = reqwest::get(format!("{}/motcua-gc?list-type=2", moto.endpoint))
        .await
        .expect("list")
        .text()
        .await
        .expect("listing");
    assert!(!listing.contains("probe/"), "{listing}");
    // A bucket that does not exist fails the start check.
    let gone = Blobs::open(&BlobSettings::S3(s3_settings(
        &moto.endpoint,
        "no-such-bucket",
    )))
    .expect("open");
    assert!(gone.check().await.is_err());
    store.close().await;
}

/// A one-request HTTP peer: answers `status` and hands back the request
/// it read (head and body).
async fn one_request(status: u16) -> (String, tokio::task::JoinHandle<String>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/send", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = sock.read(&mut buf).await.unwrap();
            got.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&got).to_string();
            if let Some(head_end) = text.find("\r\n\r\n") {
                let len = text[..head_end]
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap())
                    })
                    .unwrap_or(0);
                if got.len() >= head_end + 4 + len || n == 0 {
                    break;
                }
            }
            if n == 0 {
                break;
            }
        }
        let reply =
            format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        sock.write_all(reply.as_bytes()).await.unwrap();
        String::from_utf8_lossy(&got).to_string()
    });
    (url, task)
}

/// Issue #11 §1: text messages are queued with the change and delivered
/// by the worker — to a folder (the default) or to the operator's SMS
/// gateway over HTTP with its token; a refused message (4xx) is dead-
/// lettered at once, a failing gateway (5xx) is retried.
#[tokio::test]
async fn text_messages_reach_the_folder_or_the_gateway() {
    use motcua_kernel::sms::{self, SmsSettings};
    let db = motcua_testkit::Db::sqlite().await;
    let store = db.migrated_store().await;
    let dir = tempfile::tempdir().unwrap();
    let core_with = |sms: SmsSettings, store: Store| {
        let mut settings = motcua_kernel::Settings::for_tests("http://127.0.0.1");
        settings.sms = sms;
        settings.mail_max_attempts = 3;
        motcua_kernel::Core::new(
            store,
            settings,
            std::sync::Arc::new(motcua_domain::clock::TestClock::default()),
            motcua_mail::Mailer::file(dir.path().join("mail"), "test@motcua.vn").unwrap(),
            motcua_kernel::i18n::Catalog::from_tables(&[]),
        )
        .unwrap()
    };
    let queue = |core: &motcua_kernel::Core, phone: &'static str| {
        let core = core.clone();
        async move {
            let mut tx = core.store.begin().await.unwrap();
            let r = sms::queue_sms(&mut tx, &core, phone, "Ma xac nhan: 123456", core.now()).await;
            tx.commit().await.unwrap();
            r
        }
    };
    let jobs = |core: &motcua_kernel::Core| {
        let core = core.clone();
        async move {
            let mut c = core.store.conn().await.unwrap();
            let rows: Vec<(String, i64)> =
                sqlx::query_as("SELECT status, attempts FROM jobs WHERE kind = 'sms' ORDER BY id")
                    .fetch_all(&mut *c)
                    .await
                    .unwrap();
            rows
        }
    };

    // The folder: one JSON file a message, the number normalised.
    let folder = dir.path().join("sms");
    let core = core_with(
        SmsSettings::File {
            dir: folder.clone(),
        },
        store.clone(),
    );
    queue(&core, "+84 912 345 678").await.unwrap();
    assert!(
        queue(&core, "not a phone").await.is_err(),
        "a bad number is refused before anything is queued"
    );
    assert_eq!(motcua_kernel::worker::drain(&core).await.unwrap(), 1);
    let files: Vec<_> = std::fs::read_dir(&folder).unwrap().collect();
    assert_eq!(files.len(), 1);
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(files[0].as_ref().unwrap().path()).unwrap()).unwrap();
    assert_eq!(
        m,
        serde_json::json!({"to": "0912345678", "text": "Ma xac nhan: 123456"})
    );

    // The gateway: POSTed as JSON with the bearer token.
    let (url, peer) = one_request(202).await;
    let core = core_with(
        SmsSettings::Http {
            url,
            token: "gw-token".into(),
        },
        store.clone(),
    );
    queue(&core, "0987 654 321").await.unwrap();
    motcua_kernel::worker::drain(&core).await.unwrap();
    let req = peer.await.unwrap();
    assert!(req.starts_with("POST /send HTTP/1.1"), "{req}");
    assert!(
        req.to_ascii_lowercase()
            .contains("authorization: bearer gw-token"),
        "{req}"
    );
    assert!(
        req.ends_with(r#"{"to":"0987654321","text":"Ma xac nhan: 123456"}"#),
        "{req}"
    );

    // Refused by the gateway: dead at once; failing: retried later.
    let (url, peer) = one_request(400).await;
    let core = core_with(
        SmsSettings::Http {
            url,
            token: "gw-token".into(),
        },
        store.clone(),
    );
    queue(&core, "0987 654 322").await.unwrap();
    motcua_kernel::worker::drain(&core).await.unwrap();
    peer.await.unwrap();
    let (url, peer) = one_request(503).await;
    let core = core_with(
        SmsSettings::Http {
            url,
            token: "gw-token".into(),
        },
        store.clone(),
    );
    queue(&core, "0987 654 323").await.unwrap();
    motcua_kernel::worker::drain(&core).await.unwrap();
    peer.await.unwrap();
    let rows = jobs(&core).await;
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert_eq!(rows[0].0, "done");
    assert_eq!(rows[1].0, "done");
    assert_eq!(rows[2].0, "dead", "a 4xx is permanent: {rows:?}");
    assert_eq!(
        rows[3],
        ("queued".to_string(), 1),
        "a 5xx is retried: {rows:?}"
    );
}
