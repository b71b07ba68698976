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

/// The sender: the logged-in person, or (account 0) a person without an
/// account whose e-mail address and phone were confirmed by codes.
#[derive(Debug, Clone)]
pub struct Sender {
    pub account_id: i64,
    pub name: String,
    pub email: String,
    pub locale: Locale,
}

/// The form, as typed.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
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
    let link = if i.account_id == 0 {
        track_link(core, &i.code)
    } else {
        format!("/account/feedback/{}", i.code)
    };
    let category = if step == "more_info" {
        "action"
    } else {
        "progress"
    };
    let kind = format!("feedback.{step}");
    // A person without an account has no inbox: every step is mailed.
    let mail = i.account_id == 0
        || motcua_dossiers::progress::notify(
            tx,
            i.account_id,
            &kind,
            &i.code,
            &link,
            category,
            now,
        )
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
    let due = deadlines(core, rules, now).await?;
    let mut tx = core.store.begin().await?;
    let stored = store_files(&mut tx, core, files, now).await?;
    let item = create(&mut tx, core, origin, due, sender, f, &agency, &stored, now).await?;
    tx.commit().await?;
    Ok(item.code)
}

/// Keeps the files in the blob store; what the item records of them.
async fn store_files(
    tx: &mut AnyConnection,
    core: &Core,
    files: &[Upload],
    now: Millis,
) -> Result<Vec<File>> {
    let mut out = Vec::with_capacity(files.len());
    for u in files {
        let ct = sniff(&u.data).unwrap_or("application/octet-stream");
        let sha = motcua_kernel::blobs::store(core, tx, ct, &u.data, now).await?;
        out.push(File {
            id: 0,
            name: clean_name(&u.name),
            content_type: ct.into(),
            size: u.data.len() as i64,
            sha256: sha,
        });
    }
    Ok(out)
}

/// Makes the item (checked form, files kept), at the agency from `now`
/// with its deadlines `due` (refuse, ask, answer; read before the
/// transaction: the calendar is read on another connection).
#[allow(clippy::too_many_arguments)]
async fn create(
    tx: &mut AnyConnection,
    core: &Core,
    origin: &Origin,
    due: (Millis, Millis, Millis),
    sender: &Sender,
    f: &NewFeedback,
    agency: &str,
    files: &[File],
    now: Millis,
) -> Result<Item> {
    let (refuse_by, ask_by, answer_by) = due;
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
        agency_code: agency.to_string(),
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
        if store::by_code(tx, &item.code).await?.is_none() {
            break;
        }
    }
    let id = store::insert(tx, &item).await?;
    item.id = id;
    for file in files {
        store::add_file(tx, id, file, now).await?;
    }
    store::add_event(
        tx,
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
        tx,
        origin,
        "feedback.submit",
        &item.code,
        serde_json::json!({ "agency": agency, "about": item.about, "procedure": item.procedure_code, "files": files.len(), "account": sender.account_id != 0 }),
        now,
    )
    .await?;
    tell(tx, core, &item, "received", "", now).await?;
    Ok(item)
}

// ------------------------------------------------- senders without account

/// Who sends feedback without an account.
#[derive(Debug, Clone, Default)]
pub struct Guest {
    pub name: String,
    pub email: String,
}

/// What waits for the codes (`feedback_pending.payload`).
#[derive(serde::Serialize, serde::Deserialize)]
struct Waiting {
    form: NewFeedback,
    name: String,
    email: String,
    agency: String,
    files: Vec<WaitingFile>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct WaitingFile {
    name: String,
    content_type: String,
    size: i64,
    sha256: String,
}

/// The sender's name and address, checked; the address as kept.
pub fn check_guest(g: &Guest) -> Result<String> {
    let name = g.name.trim();
    if !(2..=100).contains(&chars(name)) || name.chars().any(char::is_control) {
        return Err(ServiceError::field("name", "feedback.error_name"));
    }
    motcua_domain::Email::parse(&g.email)
        .map(|e| e.as_str().to_string())
        .map_err(|_| ServiceError::field("email", "feedback.error_email"))
}

/// Six digits.
fn six_digits() -> String {
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

fn codes_hash(token: &str, mailed: &str, texted: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(
        format!("feedback-confirm|{token}|{mailed}:{texted}").as_bytes(),
    ))
}

/// Feedback from a person without an account: checked like any (nothing
/// kept when anything is wrong), then kept aside, a code mailed to the
/// address and a code sent by SMS to the phone; the request's token (the
/// confirmation page's address). The caller reserves the limits first.
pub async fn request(
    core: &Core,
    origin: &Origin,
    rules: &Rules,
    guest: &Guest,
    f: &NewFeedback,
    files: &[Upload],
    now: Millis,
) -> Result<String> {
    let email = check_guest(guest)?;
    let agency = check(core, rules, f, files).await?;
    let phone = motcua_kernel::sms::normalize_phone(&f.phone)
        .ok_or(ServiceError::field("phone", "feedback.error_phone"))?;
    let token = {
        let mut b = [0u8; 16];
        rand::Rng::fill_bytes(&mut rand::rng(), &mut b);
        hex::encode(b)
    };
    let (mailed, texted) = (six_digits(), six_digits());
    let mut tx = core.store.begin().await?;
    let stored = store_files(&mut tx, core, files, now).await?;
    let waiting = Waiting {
        form: f.clone(),
        name: guest.name.trim().to_string(),
        email: email.clone(),
        agency,
        files: stored
            .into_iter()
            .map(|f| WaitingFile {
                name: f.name,
                content_type: f.content_type,
                size: f.size,
                sha256: f.sha256,
            })
            .collect(),
    };
    let payload =
        serde_json::to_string(&waiting).map_err(|e| ServiceError::Internal(e.to_string()))?;
    crate::store::pending::insert(
        &mut tx,
        &crate::store::pending::Pending {
            id: 0,
            token: token.clone(),
            payload,
            email: email.clone(),
            phone: phone.clone(),
            codes_hash: codes_hash(&token, &mailed, &texted),
            tries: 0,
            expires_at: now + rules.confirm_minutes * motcua_domain::MINUTE,
            created_at: now,
        },
    )
    .await?;
    let loc = Locale::Vi;
    let t = |k: &str| core.i18n.get(loc, k).to_string();
    let minutes = rules.confirm_minutes.to_string();
    let template = Template::Notice {
        full_name: waiting.name.clone(),
        subject: t("feedback.confirm_mail_subject"),
        heading: t("feedback.confirm_mail_subject"),
        body: t("feedback.confirm_mail_body")
            .replace("{code}", &mailed)
            .replace("{minutes}", &minutes),
        facts: vec![(t("feedback.title_label"), f.title.trim().to_string())],
        link_label: t("feedback.confirm_open"),
        link: format!(
            "{}/feedback/confirm/{token}",
            core.config.public_url.trim_end_matches('/')
        ),
    };
    queue_mail(&mut tx, core, &email, &template, loc, now).await?;
    motcua_kernel::sms::queue_sms(
        &mut tx,
        core,
        &phone,
        &t("feedback.confirm_sms")
            .replace("{code}", &texted)
            .replace("{minutes}", &minutes),
        now,
    )
    .await?;
    audit(
        &mut tx,
        origin,
        "feedback.request",
        "pending",
        serde_json::json!({ "agency": waiting.agency, "files": files.len() }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// A request token as [`request`] makes them: 32 hex digits.
fn plausible_token(token: &str) -> bool {
    token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether request `token` waits for its codes at `now`.
pub async fn waiting(core: &Core, token: &str, now: Millis) -> Result<bool> {
    if !plausible_token(token) {
        return Ok(false);
    }
    let mut c = core.store.conn().await?;
    Ok(crate::store::pending::live(&mut c, token, now)
        .await?
        .is_some())
}

/// The two codes of request `token`: right, the feedback goes to its
/// agency (deadlines from now) and its tracking code is returned; wrong,
/// one of [`Rules::confirm_tries`] is used (the last drops the request).
/// An unknown or expired request is not found.
pub async fn confirm(
    core: &Core,
    origin: &Origin,
    rules: &Rules,
    token: &str,
    mailed: &str,
    texted: &str,
    now: Millis,
) -> Result<String> {
    use crate::store::pending;
    let digits = |s: &str| -> String { s.chars().filter(|c| !c.is_whitespace()).collect() };
    let (mailed, texted) = (digits(mailed), digits(texted));
    if !plausible_token(token) {
        return Err(ServiceError::NotFound);
    }
    let due = deadlines(core, rules, now).await?;
    let mut tx = core.store.begin().await?;
    let p = pending::live(&mut tx, token, now)
        .await?
        .ok_or(ServiceError::NotFound)?;
    // The try is taken before the codes are compared.
    if !pending::take_try(&mut tx, p.id, rules.confirm_tries).await? {
        pending::remove(&mut tx, p.id).await?;
        tx.commit().await?;
        return Err(ServiceError::Conflict("feedback.error_confirm_tries"));
    }
    let right = subtle::ConstantTimeEq::ct_eq(
        codes_hash(token, &mailed, &texted).as_bytes(),
        p.codes_hash.as_bytes(),
    );
    if !bool::from(right) {
        if p.tries + 1 >= rules.confirm_tries {
            pending::remove(&mut tx, p.id).await?;
            tx.commit().await?;
            return Err(ServiceError::Conflict("feedback.error_confirm_tries"));
        }
        tx.commit().await?;
        return Err(ServiceError::field("codes", "feedback.error_codes"));
    }
    if !pending::remove(&mut tx, p.id).await? {
        return Err(ServiceError::NotFound);
    }
    let w: Waiting =
        serde_json::from_str(&p.payload).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let sender = Sender {
        account_id: 0,
        name: w.name,
        email: w.email,
        locale: Locale::Vi,
    };
    let mut form = w.form;
    form.phone = p.phone;
    let files: Vec<File> = w
        .files
        .into_iter()
        .map(|f| File {
            id: 0,
            name: f.name,
            content_type: f.content_type,
            size: f.size,
            sha256: f.sha256,
        })
        .collect();
    let item = create(
        &mut tx, core, origin, due, &sender, &form, &w.agency, &files, now,
    )
    .await?;
    tx.commit().await?;
    Ok(item.code)
}

/// The tracking key of item `code` (mailed to a sender without an
/// account): 16 characters, an HMAC of the code under the portal's
/// secret, so nothing is stored and it cannot be guessed from the code.
pub fn track_key(core: &Core, code: &str) -> String {
    motcua_kernel::service::keyed_code(core, b"feedback-track|", code, 16)
}

/// Whether `key` is item `code`'s tracking key (in constant time).
pub fn key_opens(core: &Core, code: &str, key: &str) -> bool {
    motcua_kernel::service::key_matches(&track_key(core, code), key)
}

/// The page where a sender without an account follows item `code`.
pub fn track_link(core: &Core, code: &str) -> String {
    format!("/feedback/track?code={code}&key={}", track_key(core, code))
}

/// Removes the requests never confirmed (the worker, with the reminders).
pub async fn purge_waiting(core: &Core, now: Millis) -> Result<u64> {
    let mut c = core.store.conn().await?;
    Ok(crate::store::pending::purge(&mut c, now).await?)
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

/// Who replies: the logged-in sender, or a sender without an account
/// with the item's tracking key.
#[derive(Debug, Clone)]
pub enum Owner {
    Account(i64),
    Key(String),
}

impl Owner {
    /// Whether this is item `i`'s sender.
    pub fn owns(&self, core: &Core, i: &Item) -> bool {
        match self {
            Owner::Account(id) => i.account_id == *id && *id != 0,
            Owner::Key(k) => i.account_id == 0 && key_opens(core, &i.code, k),
        }
    }
}

/// The person's reply when asked for more: added to the content, the
/// item back at the agency with its deadlines counted again from now.
pub async fn reply(
    core: &Core,
    origin: &Origin,
    rules: &Rules,
    owner: &Owner,
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
        .filter(|i| owner.owns(core, i))
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
