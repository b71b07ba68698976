//! What a new account holder hits (issue 10, section 7): accounts without
//! a password are offered "set a password", not "change password"; pages
//! not meant for a role are not linked for it; `/account/data` shows each
//! item once with its sources in words; the assurance level is explained;
//! form errors are styled, tied to their fields and named in the summary.
use crate::helpers::*;
use motcua_domain::assurance::AuthMethod;
use motcua_domain::{AccountId, Role};
use motcua_identity::service::{self, NewAccountInput, Origin};
use reqwest::StatusCode;
use reqwest::Url;

const PW: &str = "cau-long-bien-2026";

/// An account created without a password (as a certificate, SIM or e-ID
/// sign-up makes it), and a browser logged in to it by `method`.
async fn passwordless(app: &App, username: &str, method: AuthMethod) -> (AccountId, Browser) {
    let state = app.state();
    let p = service::prepare_passwordless(NewAccountInput {
        username: username.into(),
        full_name: "Nguyễn Thị Hoa".into(),
        email: Some(format!("{username}@example.vn")),
        personal_id: Some("001203004567".into()),
        roles: vec![Role::Citizen],
        ..Default::default()
    })
    .expect("valid account");
    let now = state.now();
    let mut tx = state.store.begin().await.expect("begin");
    let id = service::insert_account(&mut tx, state, &Origin::cli(), &p, now)
        .await
        .expect("insert");
    let token = service::open_session(
        &mut tx,
        state,
        &Origin::cli(),
        id,
        method,
        None,
        "login",
        now,
    )
    .await
    .expect("session");
    tx.commit().await.expect("commit");
    let b = app.browser();
    let url = Url::parse(&b.base).expect("url");
    b.jar
        .add_cookie_str(&format!("motcua_session={token}; Path=/"), &url);
    assert!(b.logged_in().await, "{}: the session works", app.name());
    (id, b)
}

fn has_password(text: &str) -> bool {
    text.contains("name=\"current\"")
}

/// Accounts without a password set one (new + repeat, the policy, audited,
/// a mail); they are never asked for a current password they never had.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_without_a_password_sets_one_instead_of_changing_it() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let (id, b) = passwordless(&app, "hoa.nguyen", AuthMethod::UsbToken).await;
        let account = b.get("/account").await;
        assert!(
            account.text.contains("id=\"password-link\">Đặt mật khẩu<"),
            "{n}: {}",
            account.text
        );
        assert!(!account.text.contains(">Đổi mật khẩu<"), "{n}");
        let form = b.get("/password/change").await;
        assert_eq!(form.status, StatusCode::OK, "{n}");
        assert!(
            !has_password(&form.text),
            "{n}: asks for a current password"
        );
        assert!(form.text.contains("<h1>Đặt mật khẩu</h1>"), "{n}");
        assert!(form.text.contains("hoa.nguyen"), "{n}: says which username");
        // Refused: not repeated the same, too short, common.
        for (new, confirm, words, field) in [
            (
                "song-hong-chay-mai",
                "song-hong-chay-maj",
                "Hai lần nhập mật khẩu mới không khớp.",
                "confirm",
            ),
            ("ngan", "ngan", "cần tối thiểu", "new"),
            ("password123", "password123", "quá phổ biến", "new"),
        ] {
            let r = b
                .submit(
                    "/password/change",
                    "/password/change",
                    &[("new", new), ("confirm", confirm)],
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{n}: {words}");
            assert!(r.text.contains(words), "{n}: {words}: {}", r.text);
            let tag = r
                .text
                .split(&format!("id=\"{field}\" name=\"{field}\""))
                .nth(1)
                .and_then(|t| t.split('>').next())
                .unwrap_or_default();
            assert!(
                tag.contains("aria-invalid=\"true\"") && tag.contains(&format!("{field}-error")),
                "{n}: the message is tied to the field: {tag}"
            );
            assert!(r.text.contains(&format!("id=\"{field}-error\"")), "{n}");
            let mut c = app.conn().await;
            assert!(
                motcua_identity::store::accounts::password(&mut c, id)
                    .await
                    .unwrap()
                    .is_none(),
                "{n}: a refused form set a password"
            );
        }
        let pw = "song-hong-chay-mai";
        let r = b
            .submit(
                "/password/change",
                "/password/change",
                &[("new", pw), ("confirm", pw)],
            )
            .await;
        assert!(r.redirects_to("/account?m=password_set"), "{n}: {r:?}");
        let cred = app.credential(id).await;
        assert!(!cred.is_initial && cred.expires_at.is_none(), "{n}");
        // The token session stays, at its level.
        let account = b.get("/account?m=password_set").await;
        assert!(account.text.contains("Đã đặt mật khẩu."), "{n}: the flash");
        assert!(account.text.contains("id=\"assurance-level\">3<"), "{n}");
        assert!(
            account.text.contains("id=\"password-link\">Đổi mật khẩu<"),
            "{n}"
        );
        assert!(
            app.activity_kinds(id)
                .await
                .contains(&"password_set".to_string()),
            "{n}"
        );
        let audit = app.audit_actions(&format!("account:{id}")).await;
        assert!(audit.iter().any(|e| e.action == "password.set"), "{n}");
        app.drain().await;
        let mails = app.mails_to("hoa.nguyen@example.vn");
        assert_eq!(mails.len(), 1, "{n}");
        assert!(
            mails[0].subject.contains("Mật khẩu đã được đặt"),
            "{n}: {}",
            mails[0].subject
        );
        assert!(
            mails[0].text.contains("/account/report"),
            "{n}: {}",
            mails[0].text
        );
        assert!(!mails[0].text.contains(pw), "{n}: the password in a mail");
        // The history says so.
        let h = b.get("/account/activity").await;
        assert!(h.text.contains("Đặt mật khẩu"), "{n}");
        // The password now logs in; and from now on it is a change.
        let other = app.browser();
        assert!(other.login("hoa.nguyen", pw).await.redirects_to("/"), "{n}");
        assert!(has_password(&b.get("/password/change").await.text), "{n}");
        // Setting again (a stale form) is refused, not a silent change.
        let csrf = b.get("/account").await.csrf();
        let r = b
            .post_form(
                "/password/change",
                &[
                    ("csrf", &csrf),
                    ("new", "mot-mat-khau-khac"),
                    ("confirm", "mot-mat-khau-khac"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{n}");
        assert!(r.text.contains("Mật khẩu hiện tại không đúng."), "{n}");
        assert_eq!(app.credential(id).await.hash, cred.hash, "{n}");
        app.assert_audit_intact().await;
    })
    .await;
}

/// Accounts with a password keep "change password" with the current one;
/// a wrong current password is shown at its field and named in the summary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_with_a_password_changes_it_with_the_current_one() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let id = app.user("khanh.do", "Đỗ Minh Khánh", PW).await;
        let b = app.browser();
        assert!(b.login("khanh.do", PW).await.redirects_to("/"), "{n}");
        let account = b.get("/account").await;
        assert!(
            account.text.contains("id=\"password-link\">Đổi mật khẩu<"),
            "{n}"
        );
        let form = b.get("/password/change").await;
        assert!(has_password(&form.text), "{n}");
        assert!(!form.text.contains("id=\"pwset-lead\""), "{n}");
        let r = b
            .submit(
                "/password/change",
                "/password/change",
                &[
                    ("current", "sai-mat-khau"),
                    ("new", "song-hong-chay-mai"),
                    ("confirm", "song-hong-chay-mai"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{n}");
        assert!(
            r.text.contains(
                "<a href=\"#current\">Mật khẩu hiện tại: Mật khẩu hiện tại không đúng.</a>"
            ),
            "{n}: the summary names and links the field: {}",
            r.text
        );
        assert!(
            r.text.contains(
                "<p class=\"field-error\" id=\"current-error\">Mật khẩu hiện tại không đúng.</p>"
            ),
            "{n}"
        );
        assert!(
            r.text
                .contains("aria-invalid=\"true\" aria-describedby=\"current-error\""),
            "{n}"
        );
        let before = app.credential(id).await.hash;
        let r = b
            .submit(
                "/password/change",
                "/password/change",
                &[
                    ("current", PW),
                    ("new", "song-hong-chay-mai"),
                    ("confirm", "song-hong-chay-mai"),
                ],
            )
            .await;
        assert!(r.redirects_to("/account?m=password_changed"), "{n}: {r:?}");
        assert_ne!(app.credential(id).await.hash, before, "{n}");
    })
    .await;
}

/// Every `href` to a page of the portal in `html` (no static files, no
/// fragments, no language switch).
fn page_links(html: &str) -> Vec<String> {
    let mut out: Vec<String> = html
        .split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(|s| s.replace("&amp;", "&").replace("&#38;", "&"))
        .filter(|h| h.starts_with('/') && !h.starts_with("/static/") && !h.starts_with("/lang/"))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// GET `path`, following redirects inside the portal (e.g. to the step-up
/// page); the final status.
async fn final_status(b: &Browser, path: &str) -> (StatusCode, String) {
    let mut path = path.to_string();
    for _ in 0..5 {
        let p = b.get(&path).await;
        match p.location() {
            Some(to) if p.status.is_redirection() && to.starts_with('/') => path = to.to_string(),
            _ => return (p.status, path),
        }
    }
    (StatusCode::LOOP_DETECTED, path)
}

/// R-OP-4: a citizen's pages link nothing meant for other roles
/// (lifecycle requests, console, ministry), and every page they link
/// answers (200, possibly after the step-up page for a stronger login).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_sees_links_only_to_pages_it_may_use() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        app.user("an.citizen", "Trần Văn An", PW).await;
        let citizen = app.browser();
        assert!(
            citizen.login("an.citizen", PW).await.redirects_to("/"),
            "{n}"
        );
        let account = citizen.get("/account").await;
        let mut links = page_links(&account.text);
        links.extend(page_links(&citizen.get("/").await.text));
        links.sort();
        links.dedup();
        for forbidden in ["/account/lifecycle", "/console", "/ministry/requests"] {
            assert!(
                !links.iter().any(|l| l.starts_with(forbidden)),
                "{n}: a citizen is linked to {forbidden}: {links:?}"
            );
        }
        for l in &links {
            let (status, at) = final_status(&citizen, l).await;
            assert_eq!(status, StatusCode::OK, "{n}: a citizen follows {l} to {at}");
        }
        // The lifecycle page is for declarants and civil servants: linked
        // for them, and it answers.
        app.create(NewAccountInput {
            username: "binh.cs".into(),
            full_name: "Lê Thị Bình".into(),
            email: Some("binh.cs@example.vn".into()),
            roles: vec![Role::CivilServant],
            initial_password: Some(PW.into()),
            permanent: true,
            ..Default::default()
        })
        .await;
        let servant = app.browser();
        assert!(servant.login("binh.cs", PW).await.redirects_to("/"), "{n}");
        let links = page_links(&servant.get("/account").await.text);
        assert!(
            links.contains(&"/account/lifecycle".to_string()),
            "{n}: {links:?}"
        );
        assert!(!links.iter().any(|l| l.starts_with("/console")), "{n}");
        for l in &links {
            let (status, at) = final_status(&servant, l).await;
            assert_eq!(
                status,
                StatusCode::OK,
                "{n}: a civil servant follows {l} to {at}"
            );
        }
        // An operator is linked to the console, which answers.
        let op = app.operator_browser().await;
        let links = page_links(&op.get("/account").await.text);
        assert!(links.contains(&"/console".to_string()), "{n}: {links:?}");
        assert!(!links.contains(&"/account/lifecycle".to_string()), "{n}");
        for l in &links {
            let (status, at) = final_status(&op, l).await;
            assert_eq!(
                status,
                StatusCode::OK,
                "{n}: an operator follows {l} to {at}"
            );
        }
    })
    .await;
}

/// `/account/data` shows the name and ID once each (with every source),
/// every source in words in both languages; the level is explained.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_data_once_with_sources_in_words_and_the_level_explained() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let (id, b) = passwordless(&app, "hoa.data", AuthMethod::UsbToken).await;
        // What a certificate sign-up records: the name and ID from the
        // certificate, the name (again) and the email as typed.
        {
            let state = app.state();
            let mut tx = state.store.begin().await.unwrap();
            motcua_identity::profile::record(
                &mut tx,
                id,
                "certificate",
                "CN=Test CA / 01AB",
                &[("full_name", Some("NGUYỄN THỊ HOA")), ("personal_id", Some("001203004567"))],
                state.now(),
            )
            .await
            .unwrap();
            motcua_identity::profile::record(
                &mut tx,
                id,
                "self",
                "registration",
                &[("full_name", Some("Nguyễn Thị  Hoa")), ("email", Some("hoa.data@example.vn"))],
                state.now(),
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
        let page = b.get("/account/data").await;
        assert_eq!(page.status, StatusCode::OK, "{n}: {}", page.text);
        let rows = |attr: &str| page.text.matches(&format!("class=\"attr-{attr}\"")).count();
        assert_eq!(rows("full_name"), 1, "{n}: the name twice: {}", page.text);
        assert_eq!(rows("personal_id"), 1, "{n}: the ID twice");
        assert_eq!(rows("email"), 1, "{n}");
        let row = |attr: &str| {
            let i = page.text.find(&format!("class=\"attr-{attr}\"")).unwrap();
            page.text[i..].split("</tr>").next().unwrap().to_string()
        };
        let name = row("full_name");
        assert!(name.contains("Chứng thư số") && name.contains("Bạn tự khai"), "{n}: {name}");
        assert!(name.contains("khi đăng ký tài khoản"), "{n}: {name}");
        assert!(!page.text.contains("(registration)") && !page.text.contains(">registration<"), "{n}");
        assert!(row("personal_id").contains("thông tin tài khoản"), "{n}");
        // In English too.
        b.get("/lang/en?next=/account/data").await;
        let en = b.get("/account/data").await;
        assert!(en.text.contains("Certificate") && en.text.contains("at sign-up"), "{n}");
        assert!(en.text.contains("account details"), "{n}");
        // The level in words, from the configured mapping.
        let account = b.get("/account").await;
        assert!(
            account.text.contains("Level <span id=\"assurance-level\">3</span>: <span id=\"assurance-words\">high — when you log in with Digital signature (USB token), SIM signature, e-ID level 2 or Organisation e-ID</span>"),
            "{n}: {}",
            account.text
        );
        b.get("/lang/vi?next=/account").await;
        let account = b.get("/account").await;
        assert!(account.text.contains("<span id=\"assurance-words\">cao — khi đăng nhập bằng"), "{n}");
        let tokens = b.get("/account/api-tokens").await;
        assert!(
            tokens.text.contains("id=\"session-level\">3</strong>: <span id=\"session-level-words\">cao — "),
            "{n}: {}",
            tokens.text
        );
        assert!(tokens.text.contains("(cần mức 1 (cơ bản))") || tokens.text.contains("(cần mức 3 (cao))"), "{n}");
        let history = b.get("/account/activity").await;
        assert!(history.text.contains("· mức 3 (cao)"), "{n}: {}", history.text);
        // A password login is level 1, explained as such.
        app.user("lan.pw", "Phạm Thị Lan", PW).await;
        let p = app.browser();
        assert!(p.login("lan.pw", PW).await.redirects_to("/"), "{n}");
        let account = p.get("/account").await;
        assert!(
            account.text.contains("<span id=\"assurance-words\">cơ bản — khi đăng nhập bằng Mật khẩu</span>"),
            "{n}: {}",
            account.text
        );
    })
    .await;
}

/// Form errors: each summary entry names its field and links to it; the
/// field is marked invalid and described by its message; the stylesheet
/// styles both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_errors_name_their_fields_and_are_styled() {
    each_backend(|db| async move {
        let app = spawn_app(db).await;
        let n = app.name();
        let b = app.browser();
        let form = b.get("/register/declarant").await;
        assert_eq!(form.status, StatusCode::OK, "{n}");
        let r = b
            .post_raw(
                "/register/declarant",
                "multipart/form-data; boundary=XyZ",
                format!(
                    "--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n--XyZ--\r\n",
                    form.csrf()
                )
                .into_bytes(),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}: {}", r.text);
        let summary = r
            .text
            .split("id=\"form-errors\"")
            .nth(1)
            .and_then(|s| s.split("</ul>").next())
            .expect("summary")
            .to_string();
        let entries: Vec<&str> = summary.split("<li>").skip(1).collect();
        assert!(entries.len() >= 2, "{n}: {summary}");
        for e in &entries {
            // <a href="#field">Label: message</a>
            let href = e.split("href=\"#").nth(1).and_then(|s| s.split('"').next()).expect("href");
            // The captcha and the terms checkbox are not fields of the
            // profile: their messages name them already.
            if href == "captcha" || href == "accept_terms" {
                continue;
            }
            let text = e.split('>').nth(1).and_then(|s| s.split('<').next()).expect("text");
            let label = text.split(": ").next().unwrap();
            assert!(text.contains(": "), "{n}: no label in {text}");
            assert!(
                r.text.contains(&format!("<label for=\"{href}\">{label}")),
                "{n}: {href} is labelled {label}"
            );
            assert!(r.text.contains(&format!("id=\"{href}-error\"")), "{n}: {href}");
            let field = r.text.split(&format!("id=\"{href}\" name=\"{href}\"")).nth(1).expect("field");
            let tag = field.split('>').next().unwrap();
            assert!(tag.contains("aria-invalid=\"true\""), "{n}: {href}: {tag}");
            assert!(tag.contains(&format!("{href}-error")), "{n}: {href}: {tag}");
        }
        let texts: Vec<&str> = entries.iter().map(|e| e.split('>').nth(1).unwrap()).collect();
        let mut unique = texts.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), texts.len(), "{n}: entries that cannot be told apart: {texts:?}");
        let css = b.get("/static/app.css").await.text;
        assert!(css.contains(".field-error {") && css.contains("color: var(--red)"), "{n}");
        assert!(css.contains("input[aria-invalid=\"true\"]"), "{n}");
    })
    .await;
}
