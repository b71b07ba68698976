//! Issue #11 §4–5: guidance, Q&A and announcements written and versioned
//! by operators (Markdown rendered safely, searchable without accents),
//! one search over procedures, help and answered feedback, the contact
//! page, and the home page (its sections, its byte budget, no blocking
//! script).
use crate::dossiers::{between, seeded};
use crate::helpers::*;
use reqwest::StatusCode;

async fn save(op: &Browser, fields: &[(&str, &str)]) -> Page {
    let form = op.get("/console/content").await;
    let mut all = fields.to_vec();
    let csrf = form.csrf();
    all.push(("csrf", &csrf));
    op.post_form("/console/content", &all).await
}

#[tokio::test]
async fn guidance_is_versioned_rendered_safely_and_found_without_accents() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        seeded(&app).await;
        let op = app.operator_browser().await;
        let body = "# Nộp phí trực tuyến\n\nChọn **Thanh toán** trên trang hồ sơ.\n\n<script>alert(1)</script>\n\n[mở](javascript:alert(1)) và [trang hồ sơ](/account/dossiers)";
        // Mistakes come back beside the form, as typed.
        let r = save(&op, &[("kind", "guide"), ("slug", "Nộp Phí"), ("title", "Hướng dẫn nộp phí"), ("body", body), ("note", "Bài mới"), ("state", "published")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(r.text.contains("data-field=\"slug\"") && r.text.contains("Hướng dẫn nộp phí"), "{n}");
        let r = save(&op, &[("kind", "guide"), ("slug", "nop-phi"), ("title", "Hướng dẫn nộp phí"), ("body", body), ("note", ""), ("state", "published")]).await;
        assert!(r.text.contains("data-field=\"note\""), "{n}: a reason is required");
        let r = save(&op, &[("kind", "guide"), ("slug", "nop-phi"), ("title", "Hướng dẫn nộp phí"), ("body", body), ("note", "Bài mới"), ("state", "published")]).await;
        assert_eq!(r.location(), Some("/console/content/nop-phi"), "{n}: {}", r.text);
        let r = save(&op, &[("kind", "faq"), ("slug", "nop-phi"), ("title", "Trùng"), ("body", "Nội dung trùng địa chỉ."), ("note", "Thử")]).await;
        assert!(r.text.contains("Địa chỉ này đã được dùng"), "{n}");

        // Public, rendered safely.
        let anyone = app.browser();
        let page = anyone.get("/help/nop-phi").await;
        assert_eq!(page.status, StatusCode::OK, "{n}");
        let rendered = between(&page.text, "id=\"help-body\">", "</div>");
        assert!(rendered.contains("<strong>Thanh toán</strong>") && rendered.contains("<h2>Nộp phí trực tuyến</h2>"), "{n}: {rendered}");
        assert!(!rendered.contains("<script") && rendered.contains("&lt;script&gt;"), "{n}: raw HTML shown as text");
        assert!(!rendered.contains("href=\"javascript:") && rendered.contains("href=\"/account/dossiers\""), "{n}: {rendered}");
        for q in ["nop phi", "NỘP PHÍ", "thanh toan"] {
            let list = anyone.get(&format!("/help?q={}", q.replace(' ', "+"))).await;
            assert!(list.text.contains("/help/nop-phi"), "{n}: {q}");
        }
        assert!(!anyone.get("/help?q=ho+chieu").await.text.contains("/help/nop-phi"), "{n}");

        // A new version (with a reason) replaces it; both are kept; a
        // stale form is told to look again; withdrawn, it is gone.
        let item = op.get("/console/content/nop-phi").await;
        let seen = between(&item.text, "name=\"seen\" value=\"", "\"");
        assert_eq!(seen, "1", "{n}");
        let r = save(&op, &[("kind", "guide"), ("slug", "nop-phi"), ("title", "Hướng dẫn nộp phí, lệ phí"), ("body", "Nộp qua Nền tảng thanh toán."), ("note", "Cập nhật tên"), ("seen", "1")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let r = save(&op, &[("kind", "guide"), ("slug", "nop-phi"), ("title", "Bản cũ"), ("body", "Bản sửa từ trang cũ."), ("note", "Trang cũ"), ("seen", "1")]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{n}");
        let item = op.get("/console/content/nop-phi").await;
        let history = between(&item.text, "id=\"content-history\">", "</ul>");
        assert!(history.contains("Cập nhật tên") && history.contains("Bài mới"), "{n}: {history}");
        assert!(anyone.get("/help/nop-phi").await.text.contains("Hướng dẫn nộp phí, lệ phí"), "{n}");
        let r = save(&op, &[("kind", "guide"), ("slug", "nop-phi"), ("title", "Hướng dẫn nộp phí, lệ phí"), ("body", "Nộp qua Nền tảng thanh toán."), ("note", "Gỡ bài"), ("state", "withdrawn"), ("seen", "2")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        assert_eq!(anyone.get("/help/nop-phi").await.status, StatusCode::NOT_FOUND, "{n}");
        let audited: Vec<String> = app.audit_actions("content:nop-phi").await.into_iter().map(|e| e.action).collect();
        assert_eq!(audited.len(), 3, "{n}: {audited:?}");

        // An announcement on the home page until its last day.
        let now = app.state().now();
        let today = motcua_domain::clock::vn_datetime(now).date();
        let r = save(&op, &[("kind", "announcement"), ("slug", "bao-tri"), ("title", "Bảo trì hệ thống cuối tuần"), ("body", "Cổng tạm dừng từ 22:00 thứ Bảy."), ("note", "Thông báo"), ("until", &today.to_string())]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let home = anyone.get("/").await;
        assert!(between(&home.text, "id=\"announcements\"", "</section>").contains("Bảo trì hệ thống cuối tuần"), "{n}");
        let r = save(&op, &[("kind", "guide"), ("slug", "co-han"), ("title", "Có hạn"), ("body", "Bài có ngày hết hạn."), ("note", "Thử"), ("until", "2026-12-31")]).await;
        assert!(r.text.contains("chỉ cho thông báo"), "{n}: an end only for announcements");
        app.advance(2 * motcua_domain::DAY);
        let home = app.browser().get("/").await;
        assert!(!home.text.contains("Bảo trì hệ thống cuối tuần"), "{n}: past its last day");

        // One search: procedures, guidance and answered feedback.
        let op = app.operator_browser_again().await;
        let r = save(&op, &[("kind", "faq"), ("slug", "khai-sinh-qua-mang"), ("title", "Đăng ký khai sinh qua mạng cần gì?"), ("body", "Ảnh chụp giấy chứng sinh và giấy tờ tùy thân."), ("note", "Hỏi đáp mới")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        let found = anyone.get("/search?q=khai+sinh").await;
        assert!(between(&found.text, "id=\"search-procedures\"", "</ul>").contains("/procedures/1.001193"), "{n}");
        assert!(between(&found.text, "id=\"search-help\"", "</ul>").contains("/help/khai-sinh-qua-mang"), "{n}");
        // The contact page: the directory's ministries and provinces.
        let contact = anyone.get("/contact").await;
        assert!(contact.text.contains("/agencies/H29") && contact.text.contains("/agencies/G01"), "{n}");
    })
    .await;
}

/// The home page's budget: its HTML and CSS under 100 kB together, every
/// script deferred (none blocks rendering), the sections of a national
/// portal present.
#[tokio::test]
async fn the_home_page_is_light_and_has_a_portals_sections() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        seeded(&app).await;
        let b = app.browser();
        let home = b.get("/").await;
        assert_eq!(home.status, StatusCode::OK, "{n}");
        let css = b
            .client
            .get(b.url("/static/app.css"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let total = home.text.len() + css.len();
        assert!(total < 100 * 1024, "{n}: {total} bytes");
        for tag in home.text.split("<script").skip(1) {
            let tag = tag.split('>').next().unwrap_or_default();
            assert!(
                tag.contains(" defer") || tag.contains(" async"),
                "{n}: a blocking script: {tag}"
            );
        }
        for id in [
            "home-search",
            "home-quick",
            "life-events",
            "stats-strip",
            "home-signup",
        ] {
            assert!(home.text.contains(&format!("id=\"{id}\"")), "{n}: {id}");
        }
        for link in [
            "/lookup",
            "/feedback/new",
            "/statistics",
            "/help",
            "/contact",
            "/login",
            "/procedures?applicant=citizen",
            "/procedures?applicant=business",
        ] {
            assert!(
                home.text.contains(&format!("href=\"{link}\"")),
                "{n}: {link}"
            );
        }
        assert!(
            home.text
                .contains("name=\"viewport\" content=\"width=device-width"),
            "{n}"
        );
    })
    .await;
}

/// Issue #11 §4 (R-PS-9): the directory. An agency's administrator
/// publishes its officials (checked; another agency's directory, or a
/// non-administrator, is refused); the agency's public page shows them
/// with its one-stop unit, address and hours; removals are audited.
#[tokio::test]
async fn agencies_publish_their_officials_and_one_stop_unit() {
    use crate::handling::{grant, login, servant, ward, Ward, AGENCY, PW};
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        seeded(&app).await;
        // Before: the agency's page says it has no directory nor one-stop unit yet.
        let anyone = app.browser();
        let page = anyone.get(&format!("/agencies/{AGENCY}")).await;
        assert!(page.text.contains("id=\"officials-none\"") && page.text.contains("Hồ sơ được tiếp nhận tại trụ sở"), "{n}");
        let Ward { op, dept, receiver } = ward(&app).await;
        servant(&app, "cb_quantri", "Đỗ Văn Quản").await;
        let r = grant(&app, &op, &format!("/console/agencies/{AGENCY}/units"), dept, "cb_quantri", "admin").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let admin = login(&app, "cb_quantri", PW).await;

        let add = |b: &Browser, fields: Vec<(&'static str, String)>| {
            let b = b.clone();
            async move {
                let csrf = b.get("/account").await.csrf();
                let mut all: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                all.push(("csrf", &csrf));
                b.post_form("/agency/officials/add", &all).await
            }
        };
        let official = |position: &str, name: &str, phone: &str, email: &str, sort: &str| {
            vec![
                ("agency", AGENCY.to_string()),
                ("position", position.to_string()),
                ("full_name", name.to_string()),
                ("phone", phone.to_string()),
                ("email", email.to_string()),
                ("sort", sort.to_string()),
            ]
        };
        // The administrator's page (the default agency is theirs).
        let page = admin.get("/agency/officials").await;
        assert_eq!(page.status, StatusCode::OK, "{n}");
        assert!(page.text.contains("name=\"agency\" value=\"H29.P01\""), "{n}");
        // Mistakes are said and keep what was typed; nothing is added.
        for (fields, words) in [
            (official("C", "Nguyễn Văn Chủ", "", "", ""), "Chức vụ từ 2 đến 120 ký tự"),
            (official("Chủ tịch UBND phường", "N", "", "", ""), "Họ và tên từ 2 đến 120 ký tự"),
            (official("Chủ tịch UBND phường", "Nguyễn Văn Chủ", "gọi tôi", "", ""), "Số điện thoại gồm 6 đến 15 chữ số"),
            (official("Chủ tịch UBND phường", "Nguyễn Văn Chủ", "", "chu@", ""), "Địa chỉ thư điện tử không hợp lệ"),
            (official("Chủ tịch UBND phường", "Nguyễn Văn Chủ", "", "", "-1"), "Thứ tự là số từ 0 đến 9999"),
        ] {
            let r = add(&admin, fields).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}: {words}");
            assert!(r.text.contains(words) && r.text.contains("Nguyễn Văn Chủ") || r.text.contains(words) && words.starts_with("Họ"), "{n}: {words}");
        }
        assert!(admin.get(&format!("/agency/officials?agency={AGENCY}")).await.text.contains("id=\"officials-none\""), "{n}");
        // Published, in their order.
        let r = add(&admin, official("Phó Chủ tịch UBND phường", "Trần Thị Phó", "024 3825 0001", "pho@hoankiem.hanoi.gov.vn", "2")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let r = add(&admin, official("Chủ tịch UBND phường", "Nguyễn Văn Chủ", "024 3825 0000", "", "1")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let page = anyone.get(&format!("/agencies/{AGENCY}")).await;
        let table = between(&page.text, "<table id=\"officials\">", "</table>");
        let (chu, pho) = (table.find("Nguyễn Văn Chủ").expect("chủ tịch"), table.find("Trần Thị Phó").expect("phó"));
        assert!(chu < pho, "{n}: in their order");
        assert!(table.contains("href=\"tel:02438250000\"") && table.contains("mailto:pho@hoankiem.hanoi.gov.vn"), "{n}: {table}");
        assert!(between(&page.text, "id=\"one-stop\">", "</p>").contains("Bộ phận Một cửa"), "{n}");

        // Nobody else keeps this directory: the receiver (not an
        // administrator), a citizen, an administrator of another agency.
        let page = receiver.get(&format!("/agency/officials?agency={AGENCY}")).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{n}");
        let r = add(&receiver, official("Cán bộ", "Lê Nhận Thêm", "", "", "")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{n}");
        let (_, hoa) = crate::dossiers::citizen(&app, "hoa.nguyen", "Nguyễn Thị Hoa").await;
        assert_eq!(hoa.get(&format!("/agency/officials?agency={AGENCY}")).await.status, StatusCode::FORBIDDEN, "{n}");
        assert_eq!(admin.get("/agency/officials?agency=H29.STP").await.status, StatusCode::NOT_FOUND, "{n}: another agency");
        let form = admin.get("/agency/officials").await;
        let id = between(&form.text, "/agency/officials/", "/remove");
        let r = receiver
            .post_form(&format!("/agency/officials/{id}/remove"), &[("agency", AGENCY), ("csrf", &receiver.get("/account").await.csrf())])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{n}");
        // The operator keeps any agency's; a removal is audited.
        let r = op
            .post_form(&format!("/agency/officials/{id}/remove"), &[("agency", "H29.STP"), ("csrf", &op.get("/account").await.csrf())])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{n}: the official is not that agency's");
        let r = op
            .post_form(&format!("/agency/officials/{id}/remove"), &[("agency", AGENCY), ("csrf", &op.get("/account").await.csrf())])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.text);
        let page = anyone.get(&format!("/agencies/{AGENCY}")).await;
        assert_eq!(page.text.matches("<tr><th scope=\"row\">").count(), 1, "{n}");
        let mut c = app.conn().await;
        let audited = scalar(&mut c, "SELECT COUNT(*) FROM audit_log WHERE action IN ('catalog.official_add', 'catalog.official_remove')").await;
        assert_eq!(audited, 3, "{n}");
    })
    .await;
}
