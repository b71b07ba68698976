//! The content context (issue #11 §4–5; R-PS-4): guidance articles ("how
//! to pay", "how to use a USB token"…), questions and answers with their
//! public answers, and the home page's announcements — written by
//! operators in the console, every version kept with who, when and why,
//! rendered from a safe Markdown subset (`identity::portal::markdown`:
//! raw HTML is shown as text, links only to http(s), mailto, tel and
//! local paths) and searchable without accents. [`seed`] holds the demo's.
pub mod seed;
pub mod store;

use motcua_domain::Millis;
use motcua_kernel::service::{Origin, Result, ServiceError};
use motcua_kernel::Core;
use store::items::{self as db, Item, Version};

pub use store::items::{Item as Content, Version as ContentVersion};

/// What an item is.
pub const KINDS: &[&str] = &["guide", "faq", "announcement"];

/// An operator's save: a new item, or a new version of `slug`.
#[derive(Debug, Clone, Default)]
pub struct Save {
    pub kind: String,
    pub slug: String,
    pub title: String,
    pub body: String,
    /// Why (kept with the version).
    pub note: String,
    /// `published` or `withdrawn`.
    pub state: String,
    /// An announcement's last day (`YYYY-MM-DD`, Vietnam), or empty.
    pub until: String,
    /// The version the form showed (a new item: none).
    pub seen: Option<i64>,
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// The end of Vietnam day `YYYY-MM-DD`.
fn end_of_day(s: &str) -> Option<Millis> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(s.trim(), &fmt).ok()?;
    let next = d.next_day()?;
    Some(motcua_domain::clock::from_vn_datetime(next.midnight()))
}

/// Creates an item or adds a version to it, checked first (the first
/// problem, by field); audited. The item's slug.
pub async fn save(core: &Core, origin: &Origin, s: &Save, now: Millis) -> Result<String> {
    if !KINDS.contains(&s.kind.as_str()) {
        return Err(ServiceError::field("kind", "content.error_kind"));
    }
    let slug = s.slug.trim();
    if !(3..=80).contains(&slug.len())
        || !slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(ServiceError::field("slug", "content.error_slug"));
    }
    let title = s.title.trim();
    if !(3..=200).contains(&chars(title)) || title.chars().any(char::is_control) {
        return Err(ServiceError::field("title", "content.error_title"));
    }
    let body = s.body.trim();
    if !(10..=20_000).contains(&chars(body))
        || body
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ServiceError::field("body", "content.error_body"));
    }
    let note = s.note.trim();
    if !(3..=300).contains(&chars(note)) {
        return Err(ServiceError::field("note", "content.error_note"));
    }
    let state = match s.state.as_str() {
        "" | "published" => "published",
        "withdrawn" => "withdrawn",
        _ => return Err(ServiceError::field("state", "content.error_state")),
    };
    let until = match s.until.trim() {
        "" => None,
        u if s.kind == "announcement" => {
            Some(end_of_day(u).ok_or(ServiceError::field("until", "content.error_until"))?)
        }
        _ => return Err(ServiceError::field("until", "content.error_until")),
    };
    let search_text = motcua_domain::text::fold(&format!("{title} {body}"));
    let mut tx = core.store.begin().await?;
    let existing = db::by_slug(&mut tx, slug).await?;
    let (id, version, action) = match (existing, s.seen) {
        (None, None) => {
            let i = Item {
                id: 0,
                kind: s.kind.clone(),
                slug: slug.to_string(),
                state: state.into(),
                version: 1,
                title: title.into(),
                body: body.into(),
                search_text,
                until_at: until,
                created_at: now,
                updated_at: now,
            };
            (db::insert(&mut tx, &i).await?, 1, "content.create")
        }
        (Some(mut i), Some(seen)) if i.kind == s.kind => {
            i.version = seen + 1;
            i.state = state.into();
            i.title = title.into();
            i.body = body.into();
            i.search_text = search_text;
            i.until_at = until;
            i.updated_at = now;
            if !db::update(&mut tx, &i, seen).await? {
                return Err(ServiceError::Conflict("content.error_changed"));
            }
            (i.id, i.version, "content.version")
        }
        (Some(_), None) => return Err(ServiceError::field("slug", "content.error_slug_taken")),
        (None, Some(_)) => return Err(ServiceError::NotFound),
        (Some(_), Some(_)) => return Err(ServiceError::field("kind", "content.error_kind")),
    };
    db::add_version(
        &mut tx,
        id,
        &Version {
            version,
            title: title.into(),
            body: body.into(),
            note: note.into(),
            created_by: origin.audit.actor.clone(),
            created_at: now,
        },
    )
    .await?;
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        action,
        &format!("content:{slug}"),
        &serde_json::json!({ "kind": s.kind, "version": version, "state": state, "note": note })
            .to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(slug.to_string())
}

/// A published item as the public reads it (an announcement past its
/// last day, a withdrawn or missing item: not found).
pub async fn public(core: &Core, slug: &str, now: Millis) -> Result<Item> {
    let mut c = core.store.conn().await?;
    db::by_slug(&mut c, slug)
        .await?
        .filter(|i| i.state == "published" && i.until_at.is_none_or(|u| u > now))
        .ok_or(ServiceError::NotFound)
}

/// Published items of `kinds` matching every word of `q` (any accents),
/// newest change first.
pub async fn search(
    core: &Core,
    kinds: &[&str],
    q: &str,
    now: Millis,
    limit: i64,
) -> Result<Vec<Item>> {
    let words = motcua_domain::text::search_words(q, 8);
    let mut c = core.store.conn().await?;
    Ok(db::list(&mut c, kinds, Some("published"), &words, now, limit).await?)
}

/// Every item for the console (any state, announcements past their end
/// included), newest change first.
pub async fn all(core: &Core) -> Result<Vec<Item>> {
    let mut c = core.store.conn().await?;
    Ok(db::list(&mut c, &[], None, &[], i64::MIN + 1, 500).await?)
}

/// An item and its versions, for the console.
pub async fn history(core: &Core, slug: &str) -> Result<(Item, Vec<Version>)> {
    let mut c = core.store.conn().await?;
    let i = db::by_slug(&mut c, slug)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let v = db::versions(&mut c, i.id).await?;
    Ok((i, v))
}

/// The body as safe HTML.
pub fn html(body: &str) -> String {
    motcua_identity::portal::markdown(body)
}

/// This context's messages (key, Vietnamese, English).
pub const MESSAGES: &[motcua_kernel::i18n::Message] = &[
    ("content.help", "Hướng dẫn và hỏi đáp", "Guidance and Q&A"),
    ("content.help_lead", "Hướng dẫn thực hiện thủ tục, nộp phí, sử dụng chữ ký số và các câu hỏi thường gặp.", "How to carry out procedures, pay fees, use a digital signature, and frequently asked questions."),
    ("content.kind", "Loại", "Kind"),
    ("content.contact", "Liên hệ, danh bạ cơ quan", "Contact and directory"),
    ("content.owner", "Cơ quan chủ quản", "Owned by"),
    ("content.call_centre", "Tổng đài hỗ trợ", "Call centre"),
    ("content.directory", "Danh bạ cơ quan", "Directory of agencies"),
    ("content.directory_lead", "Địa chỉ, điện thoại, thư điện tử và giờ làm việc của các bộ, ngành, địa phương và các cơ quan trực thuộc.", "Addresses, phone numbers, e-mail and hours of the ministries, provinces and the agencies under them."),
    ("content.kind_guide", "Hướng dẫn", "Guide"),
    ("content.kind_faq", "Hỏi đáp", "Q&A"),
    ("content.kind_announcement", "Thông báo", "Announcement"),
    ("content.search", "Tìm hướng dẫn, hỏi đáp", "Search guidance and Q&A"),
    ("content.none", "Không có nội dung phù hợp.", "Nothing matches."),
    ("content.updated", "Cập nhật", "Updated"),
    ("content.version", "Phiên bản", "Version"),
    ("content.console_title", "Hướng dẫn, hỏi đáp, thông báo", "Guidance, Q&A, announcements"),
    ("content.new", "Viết mới", "Write a new one"),
    ("content.edit", "Sửa (phiên bản mới)", "Edit (a new version)"),
    ("content.slug", "Địa chỉ (chữ thường không dấu, số, gạch nối)", "Address (lower-case letters, digits, hyphens)"),
    ("content.title", "Tiêu đề (câu hỏi, với hỏi đáp)", "Title (the question, for Q&A)"),
    ("content.body", "Nội dung (Markdown: # tiêu đề, - danh sách, **đậm**, [liên kết](https://…))", "Text (Markdown: # headings, - lists, **bold**, [links](https://…))"),
    ("content.note", "Lý do thay đổi", "Reason for the change"),
    ("content.until", "Hiển thị đến hết ngày (thông báo; để trống: đến khi gỡ)", "Shown until the end of (announcements; empty: until withdrawn)"),
    ("content.state", "Trạng thái", "State"),
    ("content.state_published", "Đang công khai", "Published"),
    ("content.state_withdrawn", "Đã gỡ", "Withdrawn"),
    ("content.save", "Lưu và công bố", "Save and publish"),
    ("content.history", "Các phiên bản", "Versions"),
    ("content.error_kind", "Chọn loại: hướng dẫn, hỏi đáp hoặc thông báo (không đổi loại của nội dung đã có).", "Choose a kind: guide, Q&A or announcement (an existing item keeps its kind)."),
    ("content.error_slug", "Địa chỉ gồm 3–80 chữ thường không dấu, số hoặc gạch nối.", "The address is 3–80 lower-case letters, digits or hyphens."),
    ("content.error_slug_taken", "Địa chỉ này đã được dùng.", "This address is taken."),
    ("content.error_title", "Tiêu đề từ 3 đến 200 ký tự.", "The title takes 3 to 200 characters."),
    ("content.error_body", "Nội dung từ 10 đến 20.000 ký tự.", "The text takes 10 to 20,000 characters."),
    ("content.error_note", "Ghi lý do thay đổi (3 đến 300 ký tự).", "Give the reason for the change (3 to 300 characters)."),
    ("content.error_state", "Trạng thái không hợp lệ.", "Unknown state."),
    ("content.error_until", "Ngày hiển thị đến viết theo dạng 2026-12-31, chỉ cho thông báo.", "Write the last day as 2026-12-31, for announcements only."),
    ("content.error_changed", "Nội dung vừa được người khác sửa; hãy xem lại.", "Someone else just changed it; look again."),
];

pub fn message_tables() -> Vec<&'static [motcua_kernel::i18n::Message]> {
    vec![MESSAGES]
}
