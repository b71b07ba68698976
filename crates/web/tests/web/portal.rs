//! The portal's own facts and documents (issue 10, §7): the footer's
//! operator, hotline, address and mail from `[portal]`; the terms of use
//! and privacy notice in both languages with their versions; the signing
//! tool's downloads with sizes and SHA-256, and nothing outside the list.
use crate::helpers::*;
use motcua_domain::AccountId;
use motcua_identity::portal::{Localized, PortalConfig, BUNDLED_VERSION};
use reqwest::StatusCode;
use sha2::{Digest, Sha256};

/// (document, version) an account accepted, in order.
pub async fn accepted_documents(app: &App, account_id: AccountId) -> Vec<(String, String)> {
    let mut c = app.conn().await;
    motcua_identity::store::policies::for_account(&mut c, account_id)
        .await
        .expect("acceptances")
        .into_iter()
        .map(|a| (a.document, a.version))
        .collect()
}

fn contact() -> PortalConfig {
    PortalConfig {
        operator_name: Localized::new(
            "Cục Chuyển đổi số Quốc gia",
            "National Digital Transformation Agency",
        ),
        address: Localized::new("Số 18 Nguyễn Du, Hà Nội", "18 Nguyen Du Street, Hanoi"),
        hotline: "1900 6868".into(),
        email: "hotro@dichvucong.example.vn".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn footer_shows_the_configured_operator_hotline_address_and_email() {
    each_backend(|db| async move {
        let app = spawn_app_with(
            db,
            Opts {
                portal: Some(contact()),
                ..Default::default()
            },
        )
        .await;
        let b = app.browser();
        let home = b.get("/").await;
        for needle in [
            "Cục Chuyển đổi số Quốc gia",
            "Số 18 Nguyễn Du, Hà Nội",
            "href=\"tel:19006868\"",
            ">1900 6868<",
            "href=\"mailto:hotro@dichvucong.example.vn\"",
            "href=\"/terms\"",
            "href=\"/privacy\"",
        ] {
            assert!(home.text.contains(needle), "{needle} not in the footer");
        }
        // English pages show the English texts; the same footer on errors.
        b.get("/lang/en?next=/").await;
        let home = b.get("/").await;
        assert!(home.text.contains("National Digital Transformation Agency"));
        assert!(home.text.contains("18 Nguyen Du Street, Hanoi"));
        let missing = b.get("/no-such-page").await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert!(missing.text.contains("1900 6868"), "{}", missing.text);
    })
    .await;
}

#[tokio::test]
async fn without_contact_details_the_footer_has_its_generic_line() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let home = app.browser().get("/").await;
        assert!(home.text.contains("Đơn vị quản lý Cổng"), "{}", home.text);
        assert!(!home.text.contains("href=\"tel:"));
        assert!(home.text.contains("href=\"/terms\""));
    })
    .await;
}

#[tokio::test]
async fn terms_and_privacy_pages_render_in_vietnamese_and_english() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let b = app.browser();
        let terms = b.get("/terms").await;
        assert_eq!(terms.status, StatusCode::OK);
        assert!(
            terms.text.contains("<h1>Điều khoản sử dụng</h1>"),
            "{}",
            terms.text
        );
        assert!(terms
            .text
            .contains(&format!("<strong>{BUNDLED_VERSION}</strong>")));
        assert!(terms
            .text
            .contains("<h2>Điều khoản sử dụng Cổng Dịch vụ công</h2>"));
        let privacy = b.get("/privacy").await;
        assert!(privacy
            .text
            .contains("<h1>Thông báo xử lý dữ liệu cá nhân</h1>"));
        assert!(privacy.text.contains("Quyền của bạn"));
        b.get("/lang/en?next=/terms").await;
        let terms = b.get("/terms").await;
        assert!(
            terms.text.contains("<h1>Terms of use</h1>"),
            "{}",
            terms.text
        );
        assert!(terms
            .text
            .contains("<h2>Terms of use of the Public Service Portal</h2>"));
        assert!(terms.text.contains("lang=\"en\""));
        let privacy = b.get("/privacy").await;
        assert!(privacy.text.contains("<h1>Privacy notice</h1>"));
        assert!(privacy.text.contains("Your rights"));
    })
    .await;
}

#[tokio::test]
async fn documents_from_a_folder_carry_the_configured_versions() {
    each_backend(|db| async move {
        let dir = tempfile::tempdir().expect("tmp");
        for (name, lang, text) in [
            ("terms", "vi", "# Điều khoản riêng\n\nNội dung **mới**."),
            ("terms", "en", "# Own terms\n\nNew <b>content</b>."),
            ("privacy", "vi", "# Bảo vệ dữ liệu"),
            ("privacy", "en", "# Data protection"),
        ] {
            std::fs::write(dir.path().join(format!("{name}.{lang}.md")), text).expect("write");
        }
        let app = spawn_app_with(
            db,
            Opts {
                portal: Some(PortalConfig {
                    documents_dir: Some(dir.path().to_path_buf()),
                    terms_version: "3.2 (2026-06-01)".into(),
                    privacy_version: "2.0".into(),
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await;
        let b = app.browser();
        let terms = b.get("/terms").await;
        assert!(
            terms.text.contains("<h2>Điều khoản riêng</h2>"),
            "{}",
            terms.text
        );
        assert!(terms.text.contains("<strong>mới</strong>"));
        assert!(terms.text.contains("3.2 (2026-06-01)"));
        b.get("/lang/en?next=/terms").await;
        let terms = b.get("/terms").await;
        // Markdown files are text: raw HTML is shown, not run.
        assert!(
            terms.text.contains("New &lt;b&gt;content&lt;/b&gt;."),
            "{}",
            terms.text
        );
        // The sign-up checkbox names these versions.
        let form = b.get("/register/declarant").await;
        assert!(
            form.text.contains("version 3.2 (2026-06-01)"),
            "{}",
            form.text
        );
        assert!(form.text.contains("version 2.0"));
    })
    .await;
}

#[tokio::test]
async fn downloads_list_files_with_sha256_and_serve_only_those() {
    each_backend(|db| async move {
        let dir = tempfile::tempdir().expect("tmp");
        let outside = tempfile::tempdir().expect("tmp");
        // CI builds the real package first (scripts/package-signer) and
        // names it in MOTCUA_SIGNER_DEB; elsewhere a stand-in of known size.
        let real = std::env::var("MOTCUA_SIGNER_DEB")
            .ok()
            .filter(|p| !p.is_empty());
        assert!(
            real.is_some() || !in_ci(),
            "CI must build the signer package and set MOTCUA_SIGNER_DEB"
        );
        let (deb, name): (Vec<u8>, String) = match &real {
            Some(path) => {
                let path = std::path::Path::new(path);
                let name = path.file_name().expect("name").to_string_lossy();
                assert!(name.starts_with("motcua-signer_") && name.ends_with(".deb"));
                (std::fs::read(path).expect("signer .deb"), name.into_owned())
            }
            None => (
                (0..200_000u32).map(|i| (i % 251) as u8).collect(),
                "motcua-signer_0.1.0-1_amd64.deb".to_owned(),
            ),
        };
        let name = name.as_str();
        std::fs::write(dir.path().join(name), &deb).expect("write");
        std::fs::write(dir.path().join(".hidden"), b"secret").expect("write");
        std::fs::write(outside.path().join("secret.txt"), b"secret").expect("write");
        #[cfg(unix)]
        std::os::unix::fs::symlink(
            outside.path().join("secret.txt"),
            dir.path().join("link.txt"),
        )
        .expect("symlink");
        let app = spawn_app_with(
            db,
            Opts {
                identity: Some(motcua_identity::IdentityConfig {
                    signer_download_dir: Some(dir.path().to_path_buf()),
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await;
        let b = app.browser();
        let page = b.get("/downloads/motcua-signer").await;
        assert_eq!(page.status, StatusCode::OK);
        let sha = hex::encode(Sha256::digest(&deb));
        assert!(
            page.text
                .contains(&format!("href=\"/downloads/motcua-signer/{name}\"")),
            "{}",
            page.text
        );
        assert!(
            page.text.contains(&format!(">{sha}</code>")),
            "{}",
            page.text
        );
        if real.is_none() {
            assert!(page.text.contains("195.3 KB"), "{}", page.text);
        }
        assert!(!page.text.contains(".hidden") && !page.text.contains("link.txt"));
        let r = b
            .send(
                b.client
                    .get(b.url(&format!("/downloads/motcua-signer/{name}"))),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            r.header("content-disposition"),
            Some(format!("attachment; filename=\"{name}\"").as_str())
        );
        let bytes = b
            .client
            .get(b.url(&format!("/downloads/motcua-signer/{name}")))
            .send()
            .await
            .expect("get")
            .bytes()
            .await
            .expect("body");
        assert_eq!(hex::encode(Sha256::digest(&bytes)), sha);
        for bad in [
            "..%2F..%2F..%2Fetc%2Fpasswd",
            "%2e%2e%2fsecret.txt",
            "..",
            ".hidden",
            "link.txt",
            "nothing.deb",
            format!("{name}%00.txt").as_str(),
        ] {
            let r = b.get(&format!("/downloads/motcua-signer/{bad}")).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{bad}");
            assert!(!r.text.contains("secret"), "{bad}");
        }
    })
    .await;
}

/// Issue #11 §4: a new version of the terms (or the privacy notice) is
/// asked for at the next page of an account that accepted an earlier one;
/// the acceptance is recorded and audited; an account that never accepted
/// any (made by an operator) is not asked; refusing keeps asking.
#[tokio::test]
async fn a_new_version_of_the_terms_is_accepted_at_the_next_login() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let id = app
            .user("thu.le", "Lê Thị Thu", "mat-khau-du-dai-2026")
            .await;
        let current = app.state().portal.terms.version.clone();
        {
            let mut c = app.conn().await;
            for doc in ["terms", "privacy"] {
                motcua_identity::store::policies::record(
                    &mut c,
                    Some(id),
                    None,
                    doc,
                    "2025-01",
                    "127.0.0.1",
                    1,
                )
                .await
                .expect("old acceptance");
            }
        }
        let b = app.browser();
        assert_eq!(
            b.login("thu.le", "mat-khau-du-dai-2026").await.status,
            StatusCode::SEE_OTHER
        );
        let r = b.get("/account").await;
        assert_eq!(r.location(), Some("/policy/accept?next=%2Faccount"), "{n}");
        let page = b.get("/policy/accept?next=%2Faccount").await;
        assert_eq!(page.status, StatusCode::OK, "{n}");
        assert!(
            page.text.contains("Điều khoản đã được cập nhật") && page.text.contains(&current),
            "{n}"
        );
        let r = b
            .post_form(
                "/policy/accept",
                &[("csrf", &page.csrf()), ("next", "/account")],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{n}: not ticked"
        );
        assert_eq!(
            b.get("/account/dossiers").await.status,
            StatusCode::SEE_OTHER,
            "{n}: still asked"
        );
        let r = b
            .post_form(
                "/policy/accept",
                &[
                    ("csrf", &page.csrf()),
                    ("next", "https://evil.example/"),
                    ("accept_terms", "yes"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        assert_eq!(r.location(), Some("/"), "{n}: only a local next");
        let docs = accepted_documents(&app, id).await;
        assert!(
            docs.contains(&("terms".into(), current.clone()))
                && docs.contains(&("privacy".into(), app.state().portal.privacy.version.clone())),
            "{n}: {docs:?}"
        );
        assert_eq!(
            b.get("/account").await.status,
            StatusCode::OK,
            "{n}: not asked again"
        );
        assert_eq!(
            app.audit_actions(&format!("account:{id}"))
                .await
                .iter()
                .filter(|e| e.action == "policy.accept")
                .count(),
            1,
            "{n}"
        );
        // Never accepted any (an operator made it): not asked.
        let other = app
            .user("an.tran", "Trần Văn An", "mat-khau-du-dai-2026")
            .await;
        assert!(accepted_documents(&app, other).await.is_empty());
        let b2 = app.browser();
        b2.login("an.tran", "mat-khau-du-dai-2026").await;
        assert_eq!(b2.get("/account").await.status, StatusCode::OK, "{n}");
    })
    .await;
}
