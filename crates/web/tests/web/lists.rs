//! Issue #7: the operator's lists that grow — lifecycle requests,
//! provisioning requests, the deadline overview — page by keyset and read
//! bounded work; the registration queue's text search matches every word.
use crate::helpers::*;
use motcua_domain::{AccountId, Millis, ProvisioningStatus, RegistrationStatus, DAY, HOUR};
use motcua_nsw::store::lifecycle as lc;
use motcua_nsw::store::provisioning as prov;
use motcua_nsw::store::registrations as regs;
use motcua_store::keyset::Cursor;
use reqwest::StatusCode;

/// Every page of `list` (limit 2) from the start: the ids in order.
async fn walk<F, Fut>(list: F) -> Vec<i64>
where
    F: Fn(Option<Cursor>) -> Fut,
    Fut: std::future::Future<Output = (Vec<i64>, Option<Cursor>)>,
{
    let mut seen = Vec::new();
    let mut after = None;
    for _ in 0..100 {
        let (ids, next) = list(after).await;
        assert!(ids.len() <= 2);
        seen.extend(ids);
        match next {
            Some(n) => after = Some(n),
            None => return seen,
        }
    }
    panic!("the pages must end");
}

async fn lifecycle_request(app: &App, account: AccountId, due_at: Millis, now: Millis) -> i64 {
    let mut c = app.conn().await;
    let n = lc::NewRequest {
        kind: "emergency_lock",
        account_id: account,
        requested_by: "holder",
        reason: "thử",
        grounds: None,
        notice_ref: None,
        effective_at: None,
        until_at: None,
        due_at,
    };
    lc::create(&mut c, &n, now).await.expect("request").get()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_lists_page_by_keyset_and_the_overview_is_bounded() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let now = app.state().now();
        let holder = app.user("chuthe", "Nguyễn Văn Chủ", "Chu-The-2026-x").await;
        // Seven pending, two of them with the same deadline; the first
        // three overdue.
        let dues = [-3, -2, -1, 5, 5, 9, 12];
        let mut pending = Vec::new();
        for d in dues {
            pending.push((
                now + d * HOUR,
                lifecycle_request(&app, holder, now + d * HOUR, now - DAY).await,
            ));
        }
        pending.sort();
        let want: Vec<i64> = pending.iter().map(|p| p.1).collect();
        let state = app.state();
        let seen = walk(|after| async move {
            let (rows, next) = motcua_nsw::queries::lifecycle_queue(state, false, after, 2)
                .await
                .expect("pending");
            (rows.iter().map(|r| r.id.get()).collect(), next)
        })
        .await;
        assert_eq!(
            seen, want,
            "{n}: pending, nearest deadline first, once each"
        );

        // Decide four, at different times (two at the same time).
        let mut decided = Vec::new();
        for (i, at) in [(0, 10), (3, 30), (4, 30), (6, 20)] {
            let id = motcua_domain::LifecycleRequestId::new(want[i]);
            let mut c = app.conn().await;
            let closed = lc::close(
                &mut c,
                id,
                motcua_domain::LifecycleStatus::Done,
                "op",
                "",
                None,
                now + at,
            )
            .await
            .expect("close");
            assert!(closed, "{n}");
            decided.push((now + at, want[i]));
        }
        decided.sort_by(|a, b| b.cmp(a));
        let want_decided: Vec<i64> = decided.iter().map(|d| d.1).collect();
        let seen = walk(|after| async move {
            let (rows, next) = motcua_nsw::queries::lifecycle_queue(state, true, after, 2)
                .await
                .expect("decided");
            (rows.iter().map(|r| r.id.get()).collect(), next)
        })
        .await;
        assert_eq!(seen, want_decided, "{n}: decided, newest first");

        // The overview: the counts are the database's, the list is bounded.
        let counts = app.state().sla_counts().await.expect("counts");
        assert!(counts.contains(&("lifecycle", 3, 2)), "{n}: {counts:?}");
        let items = app.state().sla_items(2).await.expect("items");
        assert_eq!(items.len(), 2, "{n}");
        assert!(items[0].due_at <= items[1].due_at, "{n}");
        let op = app.operator_browser().await;
        let page = op.get("/console/sla").await;
        assert_eq!(page.status, StatusCode::OK, "{n}");

        // The pages: a pager link that works, the decided view, and a
        // forged cursor refused in the operator's language.
        let first = op.get("/console/lifecycle").await;
        assert_eq!(first.status, StatusCode::OK, "{n}");
        let view = op.get("/console/lifecycle?status=decided").await;
        assert!(
            view.text.contains(&format!("TK-{:06}", want_decided[0])),
            "{n}"
        );
        for bad in ["x", "1.", "1.2.3", "99999999999999999999.1"] {
            for list in ["/console/lifecycle", "/console/lifecycle?status=decided"] {
                let sep = if list.contains('?') { '&' } else { '?' };
                let r = op.get(&format!("{list}{sep}after={bad}")).await;
                assert_eq!(r.status, StatusCode::BAD_REQUEST, "{n}: {list} {bad}");
                assert!(r.text.contains("Liên kết trang không hợp lệ"), "{n}");
            }
        }
        let far = op
            .get(&format!(
                "/console/lifecycle?after={}.{}",
                i64::MAX,
                i64::MAX
            ))
            .await;
        assert_eq!(
            far.status,
            StatusCode::OK,
            "{n}: past the end is an empty page"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provisioning_lists_page_by_keyset_per_status_and_ministry() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let now = app.state().now();
        let manager = app.user("quanly", "Trần Thị Quản", "Quan-Ly-2026-x").await;
        let mut c = app.conn().await;
        let a = prov::create_ministry(&mut c, "bta", "Bộ Thử A", now)
            .await
            .expect("ministry");
        let b = prov::create_ministry(&mut c, "btb", "Bộ Thử B", now)
            .await
            .expect("ministry");
        let basis: String =
            sqlx::query_scalar("SELECT code FROM legal_bases ORDER BY code LIMIT 1")
                .fetch_one(&mut *c)
                .await
                .expect("a legal basis");
        let mut open = Vec::new();
        let mut done = Vec::new();
        for i in 0..9_i64 {
            let ministry = if i % 3 == 0 { b } else { a };
            let due = now + (i % 4 + 1) * DAY;
            let reference = format!("YC-T-{i}");
            let r = prov::NewRequest {
                reference: &reference,
                ministry_id: ministry,
                manager_account_id: manager,
                legal_basis: &basis,
                working_days: 1,
                source: "form",
                upload_sha256: None,
                received_at: now,
                due_at: due,
            };
            let id = prov::create_request(&mut c, &r, now)
                .await
                .expect("request");
            if i % 4 == 1 {
                assert!(prov::complete(&mut c, id, "", now).await.expect("complete"));
                done.push((ministry, id.get()));
            } else {
                open.push((ministry, due, id.get()));
            }
        }
        drop(c);
        let state = app.state();
        for ministry in [None, Some(a), Some(b)] {
            let mut want: Vec<(Millis, i64)> = open
                .iter()
                .filter(|o| ministry.is_none_or(|m| m == o.0))
                .map(|o| (o.1, o.2))
                .collect();
            want.sort();
            let seen = walk(|after| async move {
                let (rows, next) = motcua_nsw::queries::provisioning_requests(
                    state,
                    ministry,
                    ProvisioningStatus::Open,
                    after,
                    2,
                )
                .await
                .expect("open");
                (rows.iter().map(|r| r.id.get()).collect(), next)
            })
            .await;
            assert_eq!(
                seen,
                want.iter().map(|w| w.1).collect::<Vec<_>>(),
                "{n}: open of {ministry:?}, by deadline"
            );
            let mut want: Vec<i64> = done
                .iter()
                .filter(|d| ministry.is_none_or(|m| m == d.0))
                .map(|d| d.1)
                .collect();
            want.sort_by(|x, y| y.cmp(x));
            let seen = walk(|after| async move {
                let (rows, next) = motcua_nsw::queries::provisioning_requests(
                    state,
                    ministry,
                    ProvisioningStatus::Completed,
                    after,
                    2,
                )
                .await
                .expect("completed");
                (rows.iter().map(|r| r.id.get()).collect(), next)
            })
            .await;
            assert_eq!(seen, want, "{n}: completed of {ministry:?}, newest first");
        }
        let counts = app.state().sla_counts().await.expect("counts");
        assert!(
            counts.contains(&("provisioning", open.len() as i64, 0)),
            "{n}: {counts:?}"
        );

        let op = app.operator_browser().await;
        let q = op.get("/console/provisioning").await;
        assert_eq!(q.status, StatusCode::OK, "{n}");
        assert!(q.text.contains("YC-T-0"), "{n}");
        let q = op.get("/console/provisioning?status=completed").await;
        assert!(
            q.text.contains("YC-T-1") && !q.text.contains("YC-T-0"),
            "{n}"
        );
        for bad in ["x", "1.", ".2", "1.2.3"] {
            let r = op.get(&format!("/console/provisioning?after={bad}")).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{n}: {bad}");
            let r = op
                .get(&format!("/console/deliveries?status=dead&after={bad}"))
                .await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{n}: deliveries {bad}");
        }
    })
    .await;
}

/// Issue #7: the queue's search matches every word, in any order, a
/// short word as a whole word, through the trigram index on both backends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_registration_queue_search_matches_every_word() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let now = app.state().now();
        let names = [
            "Công ty Cổ phần An Phát",
            "Công ty TNHH Phát An",
            "Hợp tác xã Vạn An",
            "Công ty Tân Hòa",
            "Công ty Đông Á",
        ];
        let mut ids = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let mut c = app.conn().await;
            let doc = format!("{i:064}");
            motcua_store::attachments::record(&mut c, &doc, "application/pdf", 1, now)
                .await
                .expect("document");
            let p = regs::Profile {
                tax_code: format!("02002{i:05}"),
                org_name: name.to_string(),
                doc_sha256: doc,
                ..Default::default()
            };
            // The stored text as the service makes it: folded, a space
            // around every word.
            let text = format!(
                " {} ",
                motcua_domain::text::fold(&format!("{} {name}", p.tax_code))
            );
            let (id, _) = regs::create(
                &mut c,
                &p,
                &format!("tk{i}"),
                &format!("vr{i}"),
                now + 1,
                "vi",
                &text,
                2026,
                now + i as i64,
            )
            .await
            .expect("create");
            ids.push(id.get());
        }
        let find = |q: &'static str| {
            let app = &app;
            let ids = &ids;
            async move {
                let mut c = app.conn().await;
                let folded = motcua_domain::text::fold(q);
                let (rows, _, total) = regs::list(
                    &mut c,
                    Some(RegistrationStatus::Unverified),
                    &folded,
                    None,
                    50,
                )
                .await
                .expect("list");
                assert_eq!(total, rows.len() as i64, "{q}");
                let mut found: Vec<usize> = rows
                    .iter()
                    .map(|r| ids.iter().position(|i| *i == r.id.get()).expect("ours"))
                    .collect();
                found.sort();
                found
            }
        };
        assert_eq!(find("an phát").await, vec![0, 1], "{n}: any order");
        assert_eq!(find("Phát An").await, vec![0, 1], "{n}");
        assert_eq!(
            find("an").await,
            vec![0, 1, 2],
            "{n}: whole word, not Tân or Vạn"
        );
        assert_eq!(find("van an").await, vec![2], "{n}");
        assert_eq!(find("á").await, vec![4], "{n}: one letter, whole word");
        assert_eq!(find("dong").await, vec![4], "{n}: đ folds to d");
        assert_eq!(find("cong ty").await, vec![0, 1, 3, 4], "{n}");
        assert_eq!(find("0200200003").await, vec![3], "{n}: tax code");
        assert_eq!(find("phat zz").await, Vec::<usize>::new(), "{n}");
        assert_eq!(
            find("%").await,
            vec![0, 1, 2, 3, 4],
            "{n}: wildcards dropped"
        );
        assert_eq!(
            find("c_ng").await,
            Vec::<usize>::new(),
            "{n}: _ is no wildcard"
        );
        let op = app.operator_browser().await;
        let page = op
            .get("/console/registrations?status=unverified&q=ph%C3%A1t%20an")
            .await;
        assert_eq!(page.status, StatusCode::OK, "{n}");
        assert!(
            page.text.contains("An Phát") && page.text.contains("Phát An"),
            "{n}"
        );
        assert!(!page.text.contains("Vạn An"), "{n}");
    })
    .await;
}
