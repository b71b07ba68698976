//! What people and agencies do with feedback (PUBLIC-SERVICES §7): an
//! identified person sends it (checked, routed to the competent agency
//! from the catalog, its deadlines set on the working-day calendar); the
//! agency's people answer, ask for more once, transfer it or refuse it
//! with a reason, then publish the answer; the person replies when asked.
//! Every step is in the item's timeline, audited, and told to the person
//! (inbox and mail). An action after its deadline is allowed and recorded
//! as late (the service index counts it).
use crate::store::items::{self as store, Event, File, Item};
use crate::Rules;
use motcua_domain::Millis;
use motcua_handling::people::Staff;
use motcua_kernel::service::{queue_mail, Origin, Result, ServiceError};
use motcua_kernel::Core;
use motcua_mail::{Locale, Template};
use motcua_store::AnyConnection;
use rand::RngExt;

/// What feedback may be about.
pub const ABOUT: &[&str] = &["procedure", "agency", "regulation"];

/// The sender: the logged-in person.
#[derive(Debug, Clone)]
pub struct Sender {
    pub account_id: i64,
    pub name: String,
    pub email: String,
    pub locale: Locale,
}

/// The form, as typed.
#[derive(Debug, Clone, Default)]
pub struct NewFeedback {
    pub about: String,
    pub procedure_code: String,
    pub agency_code: String,
    pub title: String,
    pub content: String,
    pub phone: String,
    pub address: String,
    pub hide_name: bool,
}

/// An attached file, as uploaded.
#[derive(Debug, Clone)]
pub struct Upload {
    pub name: String,
    pub data: Vec<u8>,
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// The type of a file by its first bytes (what it is, whatever its name
/// says): PDF, PNG or JPEG only.
pub fn sniff(data: &[u8]) -> Option<&'static str> {
    if data.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if data.starts_with(b"\xFF\xD8\xFF") {
        Some("image/jpeg")
    } else {
        None
    }
}

/// A file's name as kept: its last path segment, no control characters,
/// at most 100 characters.
fn clean_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let s: String = last.chars().filter(|c| !c.is_control()).take(100).collect();
    if s.trim().is_empty() {
        "tep-dinh-kem".into()
    } else {
        s.trim().to_string()
    }
}

/// Checks the form and the files; the agency it goes to (the one chosen,
/// or for a procedure its first competent or implementing agency).
pub async fn check(
    core: &Core,
    rules: &Rules,
    f: &NewFeedback,
    files: &[Upload],
) -> Result<String> {
    if !ABOUT.contains(&f.about.as_str()) {
        return Err(ServiceError::field("about", "feedback.error_about"));
    }
    let agency = f.agency_code.trim();
    let agency = if f.about == "procedure" {
        let code = f.procedure_code.trim();
        let p = motcua_catalog::queries::procedure(core, code)
            .await?
            .filter(|_| !code.is_empty())
            .ok_or(ServiceError::field(
                "procedure_code",
                "feedback.error_procedure",
            ))?;
        let listed: Vec<String> = p
            .record
            .competent
            .iter()
            .chain(p.record.implementing.iter())
            .map(|a| a.code.clone())
            .collect();
        if agency.is_empty() {
            listed
                .first()
                .cloned()
                .ok_or(ServiceError::field("agency_code", "feedback.error_agency"))?
        } else {
            agency.to_string()
        }
    } else {
        agency.to_string()
    };
    if agency.is_empty()
        || motcua_catalog::queries::agency(core, &agency)
            .await?
            .is_none()
    {
        return Err(ServiceError::field("agency_code", "feedback.error_agency"));
    }
    if !(5..=200).contains(&chars(f.title.trim())) {
        return Err(ServiceError::field("title", "feedback.error_title"));
    }
    if !(20..=5000).contains(&chars(f.content.trim())) {
        return Err(ServiceError::field("content", "feedback.error_content"));
    }
    let digits = f.phone.chars().filter(char::is_ascii_digit).count();
    if !(9..=15).contains(&digits)
        || !f
            .phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '.' | '-'))
    {
        return Err(ServiceError::field("phone", "feedback.error_phone"));
    }
    if chars(&f.address) > 300 || f.address.chars().any(char::is_control) {
        return Err(ServiceError::field("address", "feedback.error_address"));
    }
    if f.title
        .chars()
        .chain(f.content.chars())
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(ServiceError::field("content", "feedback.error_content"));
    }
    if files.len() > rules.max_files {
        return Err(ServiceError::field("files", "feedback.error_files_many"));
    }
    for u in files {
        if u.data.is_empty() || u.data.len() > rules.max_file_bytes {
            return Err(ServiceError::field("files", "feedback.error_file_size"));
        }
        if sniff(&u.data).is_none() {
            return Err(ServiceError::field("files", "feedback.error_file_type"));
        }
    }
    Ok(agency)
}

/// A new tracking code: `PAKN-YYMMDD-` and six letters and digits that
/// cannot be mistaken for one another.
fn new_code(now: Millis) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let d = motcua_domain::clock::vn_datetime(now).date();
    let mut rng = rand::rng();
    let tail: String = (0..6)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!(
        "PAKN-{:02}{:02}{:02}-{tail}",
        d.year() % 100,
        u8::from(d.month()),
        d.day()
    )
}

/// The deadlines of an item received (again) at `at`.
async fn deadlines(core: &Core, rules: &Rules, at: Millis) -> Result<(Millis, Millis, Millis)> {
    use motcua_kernel::calendar::deadline_days;
    Ok((
        deadline_days(core, at, rules.refuse_days, None).await?,
        deadline_days(core, at, rules.ask_days, None).await?,
        deadline_days(core, at, rules.answer_days, None).await?,
    ))
}

/// Tells the person: an inbox notification and (if they want it) mail.
async fn tell(
    tx: &mut AnyConnection,
    core: &Core,
    i: &Item,
    step: &str,
    note: &str,
    now: Millis,
) -> Result<()> {
    let link = format!("/account/feedback/{}", i.code);
    let category = if step == "more_info" {
        "action"
    } else {
        "progress"
    };
    let kind = format!("feedback.{step}");
    let mail =
        motcua_dossiers::progress::notify(tx, i.account_id, &kind, &i.code, &link, category, now)
            .await?;
    if !mail || i.sender_email.is_empty() {
        return Ok(());
    }
    let loc = Locale::Vi;
    let t = |k: &str| core.i18n.get(loc, k).to_string();
    let heading = t(&format!("feedback.step_{step}"));
    let mut body = t(&format!("feedback.mail_{step}"));
    if !note.trim().is_empty() {
        body.push_str("\n\n");
        body.push_str(note.trim());
    }
    let template = Template::Notice {
        full_name: i.sender_name.clone(),
        subject: t("feedback.mail_subject")
            .replace("{code}", &i.code)
            .replace("{step}", &heading),
        heading,
        body,
        facts: vec![
            (t("feedback.code"), i.code.clone()),
            (t("feedback.title_label"), i.title.clone()),
        ],
        link_label: t("feedback.mail_open"),
        link: format!("{}{link}", core.config.public_url.trim_end_matches('/')),
    };
    queue_mail(tx, core, &i.sender_email, &template, loc, now).await
}

async fn audit(
    tx: &mut AnyConnection,
    origin: &Origin,
    action: &str,
    code: &str,
    detail: serde_json::Value,
    now: Millis,
) -> Result<()> {
    motcua_store::audit::append(
        tx,
        &origin.audit,
        action,
        &format!("feedback:{code}"),
        &detail.to_string(),
        now,
    )
    .await?;
    Ok(())
}

/// Sends feedback; its tracking code. Checked first (nothing is kept
/// when anything is wrong); the files go to the blob store with the row.
pub async fn submit(
    core: &Core,
    origin: &Origin,
    rules: &Rules,
    sender: &Sender,
    f: &NewFeedback,
    files: &[Upload],
    now: Millis,
) -> Result<String> {
    let agency = check(core, rules, f, files).await?;
    let (refuse_by, ask_by, answer_by) = deadlines(core, rules, now).await?;
    let mut tx = core.store.begin().await?;
    let mut item = Item {
        id: 0,
        code: String::new(),
        account_id: sender.account_id,
        sender_name: sender.name.clone(),
        sender_email: sender.email.clone(),
        sender_phone: f.phone.trim().to_string(),
        sender_address: f.address.trim().to_string(),
        hide_name: f.hide_name,
        about: f.about.clone(),
        procedure_code: if f.about == "procedure" {
            f.procedure_code.trim().to_string()
        } else {
            String::new()
        },
        agency_code: agency.clone(),
        title: f.title.trim().to_string(),
        content: f.content.trim().to_string(),
        state: "received".into(),
        received_at: now,
        refuse_by,
        ask_by,
        answer_by,
        publish_by: None,
        asked: 0,
        answer: String::new(),
        answered_at: None,
        answered_by: String::new(),
        reason: String::new(),
        published_at: None,
        search_text: String::new(),
        reminded: 0,
        created_at: now,
        updated_at: now,
    };
    // A code already taken (one in a billion a day) is drawn again.
    for _ in 0..5 {
        item.code = new_code(now);
        if store::by_code(&mut tx, &item.code).await?.is_none() {
            break;
        }
    }
    let id = store::insert(&mut tx, &item).await?;
    item.id = id;
    for u in files {
        let ct = sniff(&u.data).unwrap_or("application/octet-stream");
        let sha = motcua_kernel::blobs::store(core, &mut tx, ct, &u.data, now).await?;
        store::add_file(
            &mut tx,
            id,
            &File {
                id: 0,
                name: clean_name(&u.name),
                content_type: ct.into(),
                size: u.data.len() as i64,
                sha256: sha,
            },
            now,
        )
        .await?;
    }
    store::add_event(
        &mut tx,
        id,
        &Event {
            at: now,
            kind: "received".into(),
            actor: String::new(),
            note: String::new(),
            late: false,
        },
    )
    .await?;
    audit(
        &mut tx,
        origin,
        "feedback.submit",
        &item.code,
        serde_json::json!({ "agency": agency, "about": item.about, "procedure": item.procedure_code, "files": files.len() }),
        now,
    )
    .await?;
    tell(&mut tx, core, &item, "received", "", now).await?;
    tx.commit().await?;
    Ok(item.code)
}

/// An agency's action on an item.
#[derive(Debug, Clone, Default)]
pub struct Act {
    /// answer | ask | transfer | refuse | publish
    pub kind: String,
    pub note: String,
    /// transfer: the agency; refuse: complaint | denunciation | other.
    pub target: String,
    /// The item's `updated_at` the page showed.
    pub seen: Option<Millis>,
}

/// Whether `who` works for the agency holding the item (any role).
pub fn handles(who: &Staff, agency: &str) -> bool {
    who.memberships.iter().any(|m| m.agency_code == agency)
}

/// The item `code` as the agency's people see it; another agency's (or a
/// missing one) is not found.
pub async fn for_staff(core: &Core, who: &Staff, code: &str) -> Result<Item> {
    let mut c = core.store.conn().await?;
    store::by_code(&mut c, code)
        .await?
        .filter(|i| handles(who, &i.agency_code) || who.operator)
        .ok_or(ServiceError::NotFound)
}

/// Applies an agency's action; the step's name.
pub async fn act(
    core: &Core,
    origin: &Origin,
    rules: &Rules,
    who: &Staff,
    code: &str,
    a: &Act,
    now: Millis,
) -> Result<&'static str> {
    let mut tx = core.store.begin().await?;
    let mut i = store::by_code(&mut tx, code)
        .await?
        .filter(|i| handles(who, &i.agency_code) || who.operator)
        .ok_or(ServiceError::NotFound)?;
    if !handles(who, &i.agency_code) {
        // The operator watches the board; the agency answers.
        return Err(ServiceError::Forbidden);
    }
    let seen = i.updated_at;
    if a.seen.is_some_and(|s| s != seen) {
        return Err(ServiceError::Conflict("feedback.error_changed"));
    }
    let note = a.note.trim().to_string();
    if chars(&note) > 10_000
        || note
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ServiceError::field("note", "feedback.error_note"));
    }
    let agency = motcua_catalog::queries::agency(core, &i.agency_code)
        .await?
        .map_or_else(|| i.agency_code.clone(), |a| a.name);
    let (step, late, detail) = match (a.kind.as_str(), i.state.as_str()) {
        ("answer", "received") => {
            if chars(&note) < 10 {
                return Err(ServiceError::field("note", "feedback.error_answer"));
            }
            let late = now > i.answer_by;
            i.state = "answered".into();
            i.answer = note.clone();
            i.answered_at = Some(now);
            i.answered_by = agency.clone();
            i.publish_by = Some(
                motcua_kernel::calendar::deadline_days(core, now, rules.publish_days, None).await?,
            );
            ("answered", late, serde_json::json!({}))
        }
        ("publish", "answered") => {
            let late = i.publish_by.is_some_and(|p| now > p);
            i.state = "published".into();
            i.published_at = Some(now);
            i.search_text = motcua_domain::text::fold(&format!(
                "{} {} {} {}",
                i.code, i.title, i.content, i.answer
            ));
            ("published", late, serde_json::json!({}))
        }
        ("ask", "received") => {
            if i.asked > 0 {
                return Err(ServiceError::Conflict("feedback.error_asked_once"));
            }
            if chars(&note) < 5 {
                return Err(ServiceError::field("note", "feedback.error_reason"));
            }
            let late = now > i.ask_by;
            i.state = "more_info".into();
            i.asked = 1;
            i.reason = note.clone();
            ("more_info", late, serde_json::json!({}))
        }
        ("transfer", "received") => {
            let to = a.target.trim();
            let target = motcua_catalog::queries::agency(core, to)
                .await?
                .filter(|t| t.code != i.agency_code)
                .ok_or(ServiceError::field("target", "feedback.error_agency"))?;
            let from = std::mem::replace(&mut i.agency_code, target.code.clone());
            let (refuse_by, ask_by, answer_by) = deadlines(core, rules, now).await?;
            i.received_at = now;
            i.refuse_by = refuse_by;
            i.ask_by = ask_by;
            i.answer_by = answer_by;
            i.reminded = 0;
            (
                "transferred",
                false,
                serde_json::json!({ "from": from, "to": target.code, "to_name": target.name }),
            )
        }
        ("refuse", "received" | "more_info") => {
            let reason = match a.target.as_str() {
                "complaint" => core
                    .i18n
                    .get(Locale::Vi, "feedback.refuse_complaint")
                    .to_string(),
                "denunciation" => core
                    .i18n
                    .get(Locale::Vi, "feedback.refuse_denunciation")
                    .to_string(),
                "other" if chars(&note) >= 5 => String::new(),
                "other" => return Err(ServiceError::field("note", "feedback.error_reason")),
                _ => return Err(ServiceError::field("target", "feedback.error_refusal_kind")),
            };
            let text = [reason, note.clone()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            let late = now > i.refuse_by;
            i.state = "refused".into();
            i.reason = text;
            ("refused", late, serde_json::json!({ "kind": a.target }))
        }
        ("answer" | "publish" | "ask" | "transfer" | "refuse", _) => {
            return Err(ServiceError::Conflict("feedback.error_state"))
        }
        _ => return Err(ServiceError::field("kind", "feedback.error_kind")),
    };
    i.updated_at = now.max(seen + 1);
    if !store::update(&mut tx, &i, seen).await? {
        return Err(ServiceError::Conflict("feedback.error_changed"));
    }
    let shown = match step {
        "answered" => i.answer.clone(),
        "more_info" | "refused" => i.reason.clone(),
        _ => note.clone(),
    };
    store::add_event(
        &mut tx,
        i.id,
        &Event {
            at: now,
            kind: step.into(),
            actor: agency,
            note: shown.clone(),
            late,
        },
    )
    .await?;
    let mut detail = detail;
    if let Some(o) = detail.as_object_mut() {
        o.insert("late".into(), late.into());
    }
    audit(
        &mut tx,
        origin,
        &format!("feedback.{step}"),
        &i.code,
        detail,
        now,
    )
    .await?;
    tell(&mut tx, core, &i, step, &shown, now).await?;
    tx.commit().await?;
    Ok(step)
}

/// The person's reply when asked for more: added to the content, the
/// item back at the agency with its deadlines counted again from now.
pub async fn reply(
    core: &Core,
    origin: &Origin,
    rules: &Rules,
    account_id: i64,
    code: &str,
    text: &str,
    now: Millis,
) -> Result<()> {
    let text = text.trim();
    if !(5..=5000).contains(&chars(text))
        || text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ServiceError::field("text", "feedback.error_reply"));
    }
    let (refuse_by, ask_by, answer_by) = deadlines(core, rules, now).await?;
    let mut tx = core.store.begin().await?;
    let mut i = store::by_code(&mut tx, code)
        .await?
        .filter(|i| i.account_id == account_id)
        .ok_or(ServiceError::NotFound)?;
    if i.state != "more_info" {
        return Err(ServiceError::Conflict("feedback.error_state"));
    }
    let seen = i.updated_at;
    i.content = format!(
        "{}\n\n— {} {}:\n{text}",
        i.content,
        core.i18n.get(Locale::Vi, "feedback.reply_heading"),
        motcua_domain::clock::format_vn(now)
    );
    i.state = "received".into();
    i.received_at = now;
    i.refuse_by = refuse_by;
    i.ask_by = ask_by;
    i.answer_by = answer_by;
    i.reminded = 0;
    i.updated_at = now.max(seen + 1);
    if !store::update(&mut tx, &i, seen).await? {
        return Err(ServiceError::Conflict("feedback.error_changed"));
    }
    store::add_event(
        &mut tx,
        i.id,
        &Event {
            at: now,
            kind: "replied".into(),
            actor: String::new(),
            note: text.to_string(),
            late: false,
        },
    )
    .await?;
    audit(
        &mut tx,
        origin,
        "feedback.reply",
        &i.code,
        serde_json::json!({}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_known_by_their_bytes_and_names_are_cleaned() {
        assert_eq!(sniff(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nxxxx"), Some("image/png"));
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0"), Some("image/jpeg"));
        assert_eq!(sniff(b"MZ\x90\x00"), None, "an executable");
        assert_eq!(sniff(b"<html>"), None);
        assert_eq!(clean_name("C:\\Users\\a\\anh chup.png"), "anh chup.png");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("\u{0}\u{7}"), "tep-dinh-kem");
        assert_eq!(clean_name(&"a".repeat(300)).len(), 100);
        let code = new_code(1_801_000_000_000);
        assert!(
            code.starts_with("PAKN-270127-") && code.len() == 18,
            "{code}"
        );
    }
}
