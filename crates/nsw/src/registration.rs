//! Declarant registration and review (R-ID-1…4).
//!
//! 1. A declarant fills in the profile of Appendix IV of Joint Circular
//!    89/2016 (Form 02 of Decree 85/2019) and attaches the business
//!    registration document (PDF); the profile is *unverified* and a
//!    verification link goes to its email address.
//! 2. Opening the link shows a confirm button (mail scanners that pre-open
//!    links do not verify); confirming makes the profile *pending*: it is
//!    received, and the operator's deadline is **1 working day** (R-ID-2).
//! 3. The operator accepts (the account is created with the tax code as
//!    username and a generated initial password, mailed to the declarant,
//!    to be changed at first login — R-ID-4; `account.created` goes to the
//!    specialized systems — R-ID-5), rejects with a reason, or returns it
//!    for correction with what to fix (R-ID-3). A returned profile is
//!    edited and resubmitted by the declarant, and the deadline restarts.
//! 4. The declarant follows every step on a status page reached by a
//!    secret link (they have no account yet).
//!
//! One pending, returned or accepted profile per tax code.
use crate::store::registrations::{self as store, Profile, Registration, Transition};
use crate::NswContext;
use hmac::{Hmac, Mac};
use motcua_domain::account::parse_full_name;
use motcua_domain::clock::format_vn;
use motcua_domain::token::{random_token, sha256_hex};
use motcua_domain::{
    Email, Millis, PersonalId, RegistrationId, RegistrationStatus, Role, TaxCode, HOUR,
};
use motcua_identity::service::{self, NewAccountInput, Origin, ServiceError};
use motcua_kernel::blobs;
use motcua_mail::{Locale, Template};
use motcua_store::{audit, AnyConnection, StoreError};
use sha2::Sha256;

/// Working days the operator has to decide (R-ID-2).
pub const DECISION_WORKING_DAYS: u32 = 1;
/// How long a verification link lives.
pub const VERIFY_HOURS: i64 = 24;
/// Largest business registration document accepted.
pub const MAX_DOCUMENT_BYTES: usize = 5 * 1024 * 1024;

/// Provinces and centrally-run cities (34 since 1 July 2025, Resolution
/// 202/2025/QH15).
pub const PROVINCES: &[&str] = &[
    "Thành phố Hà Nội",
    "Thành phố Huế",
    "Thành phố Hải Phòng",
    "Thành phố Đà Nẵng",
    "Thành phố Hồ Chí Minh",
    "Thành phố Cần Thơ",
    "Tỉnh An Giang",
    "Tỉnh Bắc Ninh",
    "Tỉnh Cà Mau",
    "Tỉnh Cao Bằng",
    "Tỉnh Đắk Lắk",
    "Tỉnh Điện Biên",
    "Tỉnh Đồng Nai",
    "Tỉnh Đồng Tháp",
    "Tỉnh Gia Lai",
    "Tỉnh Hà Tĩnh",
    "Tỉnh Hưng Yên",
    "Tỉnh Khánh Hòa",
    "Tỉnh Lai Châu",
    "Tỉnh Lâm Đồng",
    "Tỉnh Lạng Sơn",
    "Tỉnh Lào Cai",
    "Tỉnh Nghệ An",
    "Tỉnh Ninh Bình",
    "Tỉnh Phú Thọ",
    "Tỉnh Quảng Ngãi",
    "Tỉnh Quảng Ninh",
    "Tỉnh Quảng Trị",
    "Tỉnh Sơn La",
    "Tỉnh Tây Ninh",
    "Tỉnh Thái Nguyên",
    "Tỉnh Thanh Hóa",
    "Tỉnh Tuyên Quang",
    "Tỉnh Vĩnh Long",
];

/// Organization types (stored by code; shown through `reg.org_type_<code>`).
pub const ORG_TYPES: &[&str] = &[
    "llc",
    "jsc",
    "partnership",
    "private",
    "cooperative",
    "household",
    "branch",
    "representative",
    "other",
];

/// What the declarant typed (and the file they attached, if any).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Form {
    #[serde(default)]
    pub tax_code: String,
    #[serde(default)]
    pub org_name: String,
    #[serde(default)]
    pub org_name_en: String,
    #[serde(default)]
    pub org_type: String,
    #[serde(default)]
    pub province: String,
    #[serde(default)]
    pub ward: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub rep_name: String,
    #[serde(default)]
    pub rep_title: String,
    #[serde(default)]
    pub rep_personal_id: String,
    #[serde(default)]
    pub contact_name: String,
    #[serde(default)]
    pub contact_phone: String,
    #[serde(default)]
    pub contact_email: String,
    #[serde(default)]
    pub existing_accounts: String,
    /// The terms checkbox of a new registration ("yes" when ticked).
    #[serde(default)]
    pub accept_terms: String,
}

impl Form {
    /// The form filled from a stored profile (for corrections).
    pub fn from_profile(p: &Profile) -> Form {
        Form {
            tax_code: p.tax_code.clone(),
            org_name: p.org_name.clone(),
            org_name_en: p.org_name_en.clone(),
            org_type: p.org_type.clone(),
            province: p.province.clone(),
            ward: p.ward.clone(),
            address: p.address.clone(),
            phone: p.phone.clone(),
            email: p.email.clone(),
            rep_name: p.rep_name.clone(),
            rep_title: p.rep_title.clone(),
            rep_personal_id: p.rep_personal_id.clone(),
            contact_name: p.contact_name.clone(),
            contact_phone: p.contact_phone.clone(),
            contact_email: p.contact_email.clone(),
            existing_accounts: p.existing_accounts.clone(),
            accept_terms: String::new(),
        }
    }
}

/// An uploaded file.
#[derive(Debug, Clone)]
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// Field-level problems: (field name, i18n key).
pub type FieldErrors = Vec<(&'static str, &'static str)>;

#[derive(Debug, thiserror::Error)]
pub enum RegError {
    #[error("invalid fields: {0:?}")]
    Fields(FieldErrors),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for RegError {
    fn from(e: StoreError) -> Self {
        RegError::Service(e.into())
    }
}

impl From<motcua_store::DbError> for RegError {
    fn from(e: motcua_store::DbError) -> Self {
        RegError::Service(e.into())
    }
}

fn clean(s: &str, max: usize) -> Option<String> {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    (!s.is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control)).then_some(s)
}

/// Vietnamese phone numbers: 9–11 digits, optionally `+84`, spaces, dots
/// and dashes allowed.
fn phone(s: &str) -> Option<String> {
    let t = s.trim();
    let digits: String = t.chars().filter(|c| c.is_ascii_digit()).collect();
    let ok_chars = t
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | '-' | '+' | '(' | ')'));
    (ok_chars && (9..=12).contains(&digits.len())).then(|| t.to_string())
}

/// Checks every field; returns the profile (without the document) or all
/// the problems at once.
pub fn check(f: &Form) -> Result<Profile, FieldErrors> {
    let mut errors: FieldErrors = Vec::new();
    let mut p = Profile::default();
    match TaxCode::parse(&f.tax_code) {
        Ok(t) => p.tax_code = t.to_string(),
        Err(_) => errors.push(("tax_code", "reg.error_tax_code")),
    }
    match parse_full_name(&f.org_name) {
        Ok(n) => p.org_name = n,
        Err(_) => errors.push(("org_name", "reg.error_org_name")),
    }
    p.org_name_en = f
        .org_name_en
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if p.org_name_en.chars().count() > 200 {
        errors.push(("org_name_en", "reg.error_org_name"));
    }
    match ORG_TYPES.iter().find(|t| **t == f.org_type.trim()) {
        Some(t) => p.org_type = t.to_string(),
        None => errors.push(("org_type", "reg.error_org_type")),
    }
    match PROVINCES.iter().find(|t| **t == f.province.trim()) {
        Some(t) => p.province = t.to_string(),
        None => errors.push(("province", "reg.error_province")),
    }
    match clean(&f.ward, 100) {
        Some(w) => p.ward = w,
        None => errors.push(("ward", "reg.error_ward")),
    }
    match clean(&f.address, 300) {
        Some(a) => p.address = a,
        None => errors.push(("address", "reg.error_address")),
    }
    match phone(&f.phone) {
        Some(x) => p.phone = x,
        None => errors.push(("phone", "reg.error_phone")),
    }
    match Email::parse(&f.email) {
        Ok(e) => p.email = e.to_string(),
        Err(_) => errors.push(("email", "reg.error_email")),
    }
    match parse_full_name(&f.rep_name) {
        Ok(n) => p.rep_name = n,
        Err(_) => errors.push(("rep_name", "reg.error_person_name")),
    }
    match clean(&f.rep_title, 100) {
        Some(t) => p.rep_title = t,
        None => errors.push(("rep_title", "reg.error_title")),
    }
    match PersonalId::parse(&f.rep_personal_id) {
        Ok(id) => p.rep_personal_id = id.to_string(),
        Err(_) => errors.push(("rep_personal_id", "reg.error_personal_id")),
    }
    match parse_full_name(&f.contact_name) {
        Ok(n) => p.contact_name = n,
        Err(_) => errors.push(("contact_name", "reg.error_person_name")),
    }
    match phone(&f.contact_phone) {
        Some(x) => p.contact_phone = x,
        None => errors.push(("contact_phone", "reg.error_phone")),
    }
    match Email::parse(&f.contact_email) {
        Ok(e) => p.contact_email = e.to_string(),
        Err(_) => errors.push(("contact_email", "reg.error_email")),
    }
    let accounts: Vec<String> = f
        .existing_accounts
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect();
    if accounts.len() > 50 || accounts.iter().any(|l| l.chars().count() > 200) {
        errors.push(("existing_accounts", "reg.error_existing"));
    }
    p.existing_accounts = accounts.join("\n");
    if errors.is_empty() {
        Ok(p)
    } else {
        Err(errors)
    }
}

/// Checks the attached document: a PDF (by its content), not empty, not
/// larger than [`MAX_DOCUMENT_BYTES`].
pub fn check_document(u: &Upload) -> Result<(), &'static str> {
    if u.bytes.is_empty() {
        return Err("reg.error_doc_missing");
    }
    if u.bytes.len() > MAX_DOCUMENT_BYTES {
        return Err("reg.error_doc_size");
    }
    if !u.bytes.starts_with(b"%PDF-") {
        return Err("reg.error_doc_type");
    }
    Ok(())
}

/// The fields and the document together: every problem at once.
fn check_all(form: &Form, upload: Option<&Upload>, required: bool) -> Result<Profile, FieldErrors> {
    let mut errors = Vec::new();
    let profile = check(form);
    if let Err(e) = &profile {
        errors.extend(e.iter().copied());
    }
    match upload {
        None if required => errors.push(("document", "reg.error_doc_missing")),
        None => {}
        Some(u) => {
            if let Err(k) = check_document(u) {
                errors.push(("document", k));
            }
        }
    }
    match profile {
        Ok(p) if errors.is_empty() => Ok(p),
        _ => Err(errors),
    }
}

fn doc_name(u: &Upload) -> String {
    let base = u.file_name.rsplit(['/', '\\']).next().unwrap_or("");
    let name: String = base.chars().filter(|c| !c.is_control()).take(120).collect();
    if name.trim().is_empty() {
        "giay-chung-nhan.pdf".into()
    } else {
        name
    }
}

/// The folded text the queue searches, with a space before and after
/// every word (a short word is matched whole: migration 22).
fn search_text(p: &Profile, reference: &str) -> String {
    let folded = motcua_domain::text::fold(&format!(
        "{reference} {} {} {} {} {}",
        p.tax_code, p.org_name, p.org_name_en, p.email, p.rep_name
    ));
    format!(" {folded} ")
}

/// The secret of a profile's status link: an HMAC of its reference, so it
/// can be put in every mail without being stored.
fn status_token(state: &NswContext, reference: &str, created_at: Millis) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&state.config.secret_key) else {
        return String::new();
    };
    mac.update(format!("registration-status|{reference}|{created_at}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

pub fn status_link(state: &NswContext, r: &Registration) -> String {
    format!(
        "{}/register/status/{}",
        state.config.public_url,
        status_token(state, &r.reference, r.created_at)
    )
}

fn l(state: &NswContext, locale: Locale, key: &str) -> String {
    state.i18n.get(locale, key).to_string()
}

/// A localized notice mail to the profile's address, in its language.
async fn mail(
    c: &mut AnyConnection,
    state: &NswContext,
    r: &Registration,
    key: &str,
    facts: Vec<(String, String)>,
    link: (&str, String),
    now: Millis,
) -> Result<(), ServiceError> {
    let loc = Locale::parse(&r.locale);
    let mut all = vec![(l(state, loc, "reg.reference"), r.reference.clone())];
    all.extend(facts);
    let t = Template::Notice {
        full_name: r.profile.org_name.clone(),
        subject: l(state, loc, &format!("{key}.subject")).replace("{ref}", &r.reference),
        heading: l(state, loc, &format!("{key}.heading")),
        body: l(state, loc, &format!("{key}.body")),
        facts: all,
        link_label: l(state, loc, link.0),
        link: link.1,
    };
    service::queue_mail(c, state, &r.profile.email, &t, loc, now).await
}

/// What a registration's terms acceptance waits under until its account exists.
pub fn pending_ref(id: RegistrationId) -> String {
    format!("registration:{id}")
}

pub struct Submitted {
    pub id: RegistrationId,
    pub reference: String,
}

/// Every field error of a new registration (with the terms checkbox),
/// without storing anything: shown together with a wrong captcha.
pub fn field_errors(form: &Form, upload: Option<&Upload>) -> FieldErrors {
    let mut errors = check_all(form, upload, true).err().unwrap_or_default();
    if !motcua_identity::portal::accepted(Some(form.accept_terms.as_str())) {
        errors.push((
            motcua_identity::portal::ACCEPT_FIELD,
            motcua_identity::portal::ACCEPT_ERROR,
        ));
    }
    errors
}

/// Step 1: a new profile, unverified; mails the verification link.
pub async fn submit(
    state: &NswContext,
    origin: &Origin,
    form: &Form,
    upload: Option<&Upload>,
    locale: Locale,
) -> Result<Submitted, RegError> {
    // The terms must be accepted; every other error is shown with it.
    let accepted = motcua_identity::portal::accepted(Some(form.accept_terms.as_str()));
    let mut profile = match (check_all(form, upload, true), accepted) {
        (Ok(p), true) => p,
        (checked, _) => {
            let mut errors = checked.err().unwrap_or_default();
            if !accepted {
                errors.push((
                    motcua_identity::portal::ACCEPT_FIELD,
                    motcua_identity::portal::ACCEPT_ERROR,
                ));
            }
            return Err(RegError::Fields(errors));
        }
    };
    let Some(upload) = upload else {
        return Err(RegError::Fields(vec![(
            "document",
            "reg.error_doc_missing",
        )]));
    };
    let now = state.now();
    let mut tx = state.store.begin().await?;
    store::expire_unverified(&mut tx, now).await?;
    if store::open_for_tax_code(&mut tx, &profile.tax_code)
        .await?
        .is_some()
    {
        return Err(RegError::Fields(vec![("tax_code", "reg.error_duplicate")]));
    }
    profile.doc_sha256 =
        blobs::store(state, &mut tx, "application/pdf", &upload.bytes, now).await?;
    profile.doc_name = doc_name(upload);
    let verify = random_token();
    let year = motcua_domain::clock::vn_datetime(now).year();
    let (id, reference) = store::create(
        &mut tx,
        &profile,
        &format!("pending-{}", random_token()),
        &sha256_hex(&verify),
        now + VERIFY_HOURS * HOUR,
        locale.as_str(),
        "",
        year,
        now,
    )
    .await?;
    let Some(r) = store::get(&mut tx, id).await? else {
        return Err(ServiceError::Internal("registration vanished".into()).into());
    };
    store::set_token_hash(
        &mut tx,
        id,
        &sha256_hex(&status_token(state, &reference, r.created_at)),
    )
    .await?;
    store::update_profile(
        &mut tx,
        id,
        &r.profile,
        &search_text(&r.profile, &reference),
        now,
    )
    .await?;
    store::add_history(&mut tx, id, RegistrationStatus::Unverified, "", now).await?;
    // The account comes with the operator's approval: it claims these.
    motcua_identity::portal::record(
        &mut tx,
        &state.portal,
        None,
        Some(&pending_ref(id)),
        &origin.audit.ip,
        now,
    )
    .await?;
    audit::append(
        &mut tx,
        &origin.audit,
        "registration.submit",
        &format!("registration:{id}"),
        &serde_json::json!({ "reference": reference, "tax_code": profile.tax_code, "email": profile.email }).to_string(),
        now,
    )
    .await?;
    let link = format!("{}/register/verify/{verify}", state.config.public_url);
    mail(
        &mut tx,
        state,
        &r,
        "reg.mail_verify",
        vec![],
        ("reg.mail_verify.button", link),
        now,
    )
    .await?;
    tx.commit().await?;
    state.jobs_notify.notify_one();
    Ok(Submitted { id, reference })
}

/// Whether a verification link is live (the confirm page shows a button).
pub async fn verify_link(
    state: &NswContext,
    token: &str,
) -> Result<Option<Registration>, ServiceError> {
    let mut c = state.store.conn().await?;
    Ok(store::by_verify_token(&mut c, &sha256_hex(token), state.now()).await?)
}

/// Step 2: the email address is proven; the profile is received.
pub async fn verify(
    state: &NswContext,
    origin: &Origin,
    token: &str,
) -> Result<Registration, ServiceError> {
    let now = state.now();
    let due =
        motcua_kernel::calendar::deadline_days(state, now, DECISION_WORKING_DAYS, None).await?;
    let mut tx = state.store.begin().await?;
    let Some(r) = store::by_verify_token(&mut tx, &sha256_hex(token), now).await? else {
        return Err(ServiceError::invalid("reg.error_link"));
    };
    let t = Transition {
        from: &[RegistrationStatus::Unverified],
        to: RegistrationStatus::Pending,
        received_at: Some(now),
        due_at: Some(due),
        reason: None,
        decided_by: None,
        account_id: None,
        next_round: false,
    };
    match store::transition(&mut tx, r.id, &t, now).await {
        Ok(true) => {}
        Ok(false) => return Err(ServiceError::invalid("reg.error_link")),
        Err(StoreError::Conflict(_)) => return Err(ServiceError::Conflict("reg.error_duplicate")),
        Err(e) => return Err(e.into()),
    }
    store::add_history(&mut tx, r.id, RegistrationStatus::Pending, "", now).await?;
    audit::append(
        &mut tx,
        &origin.audit,
        "registration.verify",
        &format!("registration:{}", r.id),
        &serde_json::json!({ "reference": r.reference, "due_at": due }).to_string(),
        now,
    )
    .await?;
    let loc = Locale::parse(&r.locale);
    mail(
        &mut tx,
        state,
        &r,
        "reg.mail_received",
        vec![(l(state, loc, "reg.due"), format_vn(due))],
        ("reg.status_link", status_link(state, &r)),
        now,
    )
    .await?;
    let out = store::get(&mut tx, r.id).await?;
    tx.commit().await?;
    state.jobs_notify.notify_one();
    out.ok_or(ServiceError::invalid("reg.error_link"))
}

/// The profile of a status link.
pub async fn by_status_token(
    state: &NswContext,
    token: &str,
) -> Result<Option<Registration>, ServiceError> {
    let mut c = state.store.conn().await?;
    Ok(store::by_token(&mut c, &sha256_hex(token)).await?)
}

pub async fn history(
    state: &NswContext,
    id: RegistrationId,
) -> Result<Vec<store::HistoryEntry>, ServiceError> {
    let mut c = state.store.conn().await?;
    Ok(store::history(&mut c, id).await?)
}

/// Step 3b: the declarant corrects a returned profile and resubmits it;
/// it is received again and the deadline restarts.
pub async fn resubmit(
    state: &NswContext,
    origin: &Origin,
    token: &str,
    form: &Form,
    upload: Option<&Upload>,
) -> Result<Registration, RegError> {
    let Some(r) = by_status_token(state, token).await? else {
        return Err(ServiceError::invalid("reg.error_link").into());
    };
    if r.status != RegistrationStatus::Returned {
        return Err(ServiceError::invalid("reg.error_not_returned").into());
    }
    let mut profile = check_all(form, upload, false).map_err(RegError::Fields)?;
    let now = state.now();
    let due =
        motcua_kernel::calendar::deadline_days(state, now, DECISION_WORKING_DAYS, None).await?;
    let mut tx = state.store.begin().await?;
    if let Some(other) = store::open_for_tax_code(&mut tx, &profile.tax_code).await? {
        if other.id != r.id {
            return Err(RegError::Fields(vec![("tax_code", "reg.error_duplicate")]));
        }
    }
    match upload {
        Some(u) => {
            profile.doc_sha256 =
                blobs::store(state, &mut tx, "application/pdf", &u.bytes, now).await?;
            profile.doc_name = doc_name(u);
        }
        None => {
            profile.doc_sha256 = r.profile.doc_sha256.clone();
            profile.doc_name = r.profile.doc_name.clone();
        }
    }
    store::update_profile(
        &mut tx,
        r.id,
        &profile,
        &search_text(&profile, &r.reference),
        now,
    )
    .await?;
    let t = Transition {
        from: &[RegistrationStatus::Returned],
        to: RegistrationStatus::Pending,
        received_at: Some(now),
        due_at: Some(due),
        reason: None,
        decided_by: None,
        account_id: None,
        next_round: true,
    };
    match store::transition(&mut tx, r.id, &t, now).await {
        Ok(true) => {}
        Ok(false) => return Err(ServiceError::invalid("reg.error_not_returned").into()),
        Err(StoreError::Conflict(_)) => {
            return Err(RegError::Fields(vec![("tax_code", "reg.error_duplicate")]))
        }
        Err(e) => return Err(ServiceError::from(e).into()),
    }
    store::add_history(&mut tx, r.id, RegistrationStatus::Pending, "", now).await?;
    let changed: Vec<&str> = diff(&r.profile, &profile);
    audit::append(
        &mut tx,
        &origin.audit,
        "registration.resubmit",
        &format!("registration:{}", r.id),
        &serde_json::json!({ "reference": r.reference, "changed": changed, "due_at": due })
            .to_string(),
        now,
    )
    .await?;
    let Some(updated) = store::get(&mut tx, r.id).await? else {
        return Err(ServiceError::invalid("reg.error_link").into());
    };
    let loc = Locale::parse(&updated.locale);
    mail(
        &mut tx,
        state,
        &updated,
        "reg.mail_received",
        vec![(l(state, loc, "reg.due"), format_vn(due))],
        ("reg.status_link", status_link(state, &updated)),
        now,
    )
    .await?;
    tx.commit().await?;
    state.jobs_notify.notify_one();
    Ok(updated)
}

/// The names of the fields that differ.
fn diff(a: &Profile, b: &Profile) -> Vec<&'static str> {
    let pairs: [(&'static str, &String, &String); 17] = [
        ("tax_code", &a.tax_code, &b.tax_code),
        ("org_name", &a.org_name, &b.org_name),
        ("org_name_en", &a.org_name_en, &b.org_name_en),
        ("org_type", &a.org_type, &b.org_type),
        ("province", &a.province, &b.province),
        ("ward", &a.ward, &b.ward),
        ("address", &a.address, &b.address),
        ("phone", &a.phone, &b.phone),
        ("email", &a.email, &b.email),
        ("rep_name", &a.rep_name, &b.rep_name),
        ("rep_title", &a.rep_title, &b.rep_title),
        ("rep_personal_id", &a.rep_personal_id, &b.rep_personal_id),
        ("contact_name", &a.contact_name, &b.contact_name),
        ("contact_phone", &a.contact_phone, &b.contact_phone),
        ("contact_email", &a.contact_email, &b.contact_email),
        (
            "existing_accounts",
            &a.existing_accounts,
            &b.existing_accounts,
        ),
        ("document", &a.doc_sha256, &b.doc_sha256),
    ];
    pairs
        .iter()
        .filter(|(_, x, y)| x != y)
        .map(|(n, _, _)| *n)
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Accept,
    Reject,
    Return,
}

impl Decision {
    pub fn parse(s: &str) -> Option<Decision> {
        match s {
            "accept" => Some(Decision::Accept),
            "reject" => Some(Decision::Reject),
            "return" => Some(Decision::Return),
            _ => None,
        }
    }
}

/// Step 3: the operator's decision on a pending profile. A reason is
/// required to reject or return. Deciding a profile that is no longer
/// pending changes nothing (`reg.error_decided`).
pub async fn decide(
    state: &NswContext,
    origin: &Origin,
    id: RegistrationId,
    decision: Decision,
    reason: &str,
) -> Result<(), ServiceError> {
    let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    if decision != Decision::Accept && !(3..=1000).contains(&reason.chars().count()) {
        return Err(ServiceError::invalid("reg.error_reason"));
    }
    let now = state.now();
    let r = {
        let mut c = state.store.conn().await?;
        store::get(&mut c, id).await?
    };
    let Some(r) = r else {
        return Err(ServiceError::NotFound);
    };
    if r.status != RegistrationStatus::Pending {
        return Err(ServiceError::Conflict("reg.error_decided"));
    }
    let loc = Locale::parse(&r.locale);
    // The account is prepared (password hashed) before the transaction.
    let prepared = if decision == Decision::Accept {
        Some(
            service::prepare_account(
                state,
                NewAccountInput {
                    username: r.profile.tax_code.clone(),
                    full_name: r.profile.org_name.clone(),
                    email: Some(r.profile.email.clone()),
                    phone: Some(r.profile.phone.clone()),
                    tax_code: Some(r.profile.tax_code.clone()),
                    roles: vec![Role::Declarant],
                    locale: Some(loc),
                    ..Default::default()
                },
            )
            .await?,
        )
    } else {
        None
    };
    let mut tx = state.store.begin().await?;
    let account_id = match &prepared {
        Some(p) => {
            let account = service::insert_account(&mut tx, state, origin, p, now).await?;
            // The declarant accepted the terms when submitting.
            motcua_identity::portal::claim(&mut tx, &pending_ref(id), account).await?;
            Some(account)
        }
        None => None,
    };
    let (to, action) = match decision {
        Decision::Accept => (RegistrationStatus::Accepted, "registration.accept"),
        Decision::Reject => (RegistrationStatus::Rejected, "registration.reject"),
        Decision::Return => (RegistrationStatus::Returned, "registration.return"),
    };
    let t = Transition {
        from: &[RegistrationStatus::Pending],
        to,
        received_at: None,
        due_at: None,
        reason: (!reason.is_empty()).then_some(reason.as_str()),
        decided_by: Some(&origin.audit.actor),
        account_id,
        next_round: false,
    };
    if !store::transition(&mut tx, id, &t, now).await? {
        return Err(ServiceError::Conflict("reg.error_decided"));
    }
    store::add_history(&mut tx, id, to, &reason, now).await?;
    audit::append(
        &mut tx,
        &origin.audit,
        action,
        &format!("registration:{id}"),
        &serde_json::json!({ "reference": r.reference, "reason": reason, "account_id": account_id }).to_string(),
        now,
    )
    .await?;
    match (decision, &prepared) {
        (Decision::Accept, Some(p)) => {
            let t = Template::InitialPassword {
                full_name: r.profile.org_name.clone(),
                username: p.new.username.clone(),
                password: p.initial.clone(),
                login_link: format!("{}/login", state.config.public_url),
                expires: format_vn(now + state.config.initial_password_days * motcua_domain::DAY),
            };
            service::queue_mail(&mut tx, state, &r.profile.email, &t, loc, now).await?;
        }
        (Decision::Reject, _) => {
            mail(
                &mut tx,
                state,
                &r,
                "reg.mail_rejected",
                vec![(l(state, loc, "reg.reason"), reason.clone())],
                ("reg.status_link", status_link(state, &r)),
                now,
            )
            .await?;
        }
        _ => {
            mail(
                &mut tx,
                state,
                &r,
                "reg.mail_returned",
                vec![(l(state, loc, "reg.to_fix"), reason.clone())],
                ("reg.mail_returned.button", status_link(state, &r)),
                now,
            )
            .await?;
        }
    }
    tx.commit().await?;
    state.jobs_notify.notify_one();
    state.events_notify.notify_one();
    Ok(())
}

motcua_kernel::sla_source!(
    /// This context's deadlines, for the operator's overview.
    Sla,
    "registration",
    sla_items,
    sla_count
);

/// The open profiles with the earliest deadlines, for the SLA overview.
pub async fn sla_items(
    c: &mut AnyConnection,
    limit: i64,
) -> Result<Vec<motcua_kernel::sla::SlaItem>, StoreError> {
    Ok(store::pending(c, limit)
        .await?
        .into_iter()
        .map(|r| motcua_kernel::sla::SlaItem {
            kind_key: "sla.kind_registration",
            kind: "registration",
            link: format!("/console/registrations/{}", r.id),
            subject: r.profile.org_name,
            reference: r.reference,
            received_at: r.received_at.unwrap_or(r.created_at),
            due_at: r.due_at.unwrap_or(r.created_at),
        })
        .collect())
}

/// How many profiles are open and overdue at `now`.
pub async fn sla_count(
    c: &mut AnyConnection,
    now: Millis,
) -> Result<motcua_kernel::sla::SlaCount, StoreError> {
    let (pending, overdue) = store::pending_count(c, now).await?;
    Ok(motcua_kernel::sla::SlaCount { pending, overdue })
}

/// This module's user-facing messages (key, Vietnamese, English).
pub const MESSAGES: &[motcua_kernel::i18n::Message] = &[
    ("reg.title", "Đăng ký tài khoản người khai", "Declarant account registration"),
    ("reg.lead", "Doanh nghiệp, tổ chức khai thông tin theo Phụ lục IV Thông tư liên tịch 89/2016 và đính kèm Giấy chứng nhận đăng ký doanh nghiệp. Sau khi xác nhận địa chỉ thư điện tử, hồ sơ được chuyển Đơn vị quản lý Cổng kiểm tra trong 01 ngày làm việc.", "Businesses and organizations give the information of Appendix IV of Joint Circular 89/2016 and attach their business registration certificate. Once the email address is confirmed, the Portal Management Unit checks the profile within 1 working day."),
    ("reg.submit", "Gửi hồ sơ đăng ký", "Submit the registration"),
    ("reg.edit_title", "Sửa và gửi lại hồ sơ đăng ký", "Correct and resubmit the registration"),
    ("reg.edit_lead", "Vui lòng sửa các thông tin theo yêu cầu rồi gửi lại. Thời hạn xử lý được tính lại từ khi gửi lại.", "Please correct what was asked and resubmit. The processing deadline starts again from the resubmission."),
    ("reg.resubmit", "Gửi lại hồ sơ", "Resubmit"),
    ("reg.fix_errors", "Hồ sơ chưa gửi được. Vui lòng sửa các mục sau:", "The registration was not sent. Please correct the following:"),
    ("reg.optional", "không bắt buộc", "optional"),
    ("reg.choose", "— Chọn —", "— Choose —"),
    ("reg.section_org", "Thông tin tổ chức", "Organization"),
    ("reg.section_address", "Trụ sở chính và liên lạc", "Head office and contact details"),
    ("reg.section_rep", "Người đại diện theo pháp luật", "Legal representative"),
    ("reg.section_contact", "Người liên hệ", "Contact person"),
    ("reg.section_existing", "Tài khoản đã có trên hệ thống của các Bộ, ngành", "Accounts already held on ministries' systems"),
    ("reg.section_document", "Giấy tờ đính kèm", "Attached document"),
    ("reg.tax_code", "Mã số thuế", "Tax code"),
    ("reg.tax_code_hint", "10 chữ số, hoặc 13 chữ số với mã chi nhánh (ví dụ 0100109106-001).", "10 digits, or 13 with the branch suffix (e.g. 0100109106-001)."),
    ("reg.org_name", "Tên tổ chức (tiếng Việt)", "Organization name (Vietnamese)"),
    ("reg.org_name_en", "Tên tiếng Anh hoặc tên nước ngoài", "English or foreign name"),
    ("reg.org_type", "Loại hình tổ chức", "Type of organization"),
    ("reg.org_type_llc", "Công ty trách nhiệm hữu hạn", "Limited liability company"),
    ("reg.org_type_jsc", "Công ty cổ phần", "Joint-stock company"),
    ("reg.org_type_partnership", "Công ty hợp danh", "Partnership"),
    ("reg.org_type_private", "Doanh nghiệp tư nhân", "Private enterprise"),
    ("reg.org_type_cooperative", "Hợp tác xã", "Cooperative"),
    ("reg.org_type_household", "Hộ kinh doanh", "Household business"),
    ("reg.org_type_branch", "Chi nhánh", "Branch"),
    ("reg.org_type_representative", "Văn phòng đại diện", "Representative office"),
    ("reg.org_type_other", "Tổ chức khác", "Other organization"),
    ("reg.province", "Tỉnh, thành phố", "Province or city"),
    ("reg.ward", "Xã, phường, đặc khu", "Commune, ward or special zone"),
    ("reg.ward_hint", "Tên đơn vị hành chính cấp xã theo địa giới từ 01/7/2025.", "The commune-level unit as of 1 July 2025."),
    ("reg.address", "Số nhà, đường", "Street address"),
    ("reg.address_hint", "Ví dụ: Số 54 Hai Bà Trưng", "For example: 54 Hai Ba Trung Street"),
    ("reg.phone", "Điện thoại", "Phone"),
    ("reg.email", "Thư điện tử của tổ chức", "Organization's email"),
    ("reg.email_hint", "Kết quả và tài khoản được gửi về địa chỉ này; bạn sẽ nhận thư xác nhận ngay.", "The result and the account are sent to this address; a confirmation mail is sent to it now."),
    ("reg.rep_name", "Họ và tên", "Full name"),
    ("reg.rep_title", "Chức danh", "Title"),
    ("reg.rep_personal_id", "Số định danh cá nhân", "Personal ID number"),
    ("reg.personal_id_hint", "12 chữ số trên thẻ căn cước.", "The 12 digits of the identity card."),
    ("reg.contact_name", "Họ và tên người liên hệ", "Contact person's full name"),
    ("reg.contact_phone", "Điện thoại người liên hệ", "Contact person's phone"),
    ("reg.contact_email", "Thư điện tử người liên hệ", "Contact person's email"),
    ("reg.existing_accounts", "Tài khoản hiện có (mỗi dòng một tài khoản: hệ thống — tên đăng nhập)", "Existing accounts (one a line: system — username)"),
    ("reg.existing_hint", "Theo Mẫu số 01: nếu tổ chức đã có tài khoản trên hệ thống xử lý chuyên ngành của các Bộ, ngành.", "Form 01: if the organization already has accounts on ministries' specialized systems."),
    ("reg.document", "Giấy chứng nhận đăng ký doanh nghiệp (PDF)", "Business registration certificate (PDF)"),
    ("reg.document_hint", "Tệp PDF, tối đa 5 MB.", "A PDF file, 5 MB at most."),
    ("reg.document_keep_hint", "Tệp PDF, tối đa 5 MB. Bỏ trống để giữ tệp đã gửi.", "A PDF file, 5 MB at most. Leave empty to keep the file already sent."),
    ("reg.error_tax_code", "Mã số thuế không hợp lệ: cần 10 chữ số với chữ số kiểm tra đúng, hoặc 13 chữ số có mã chi nhánh.", "Invalid tax code: 10 digits with a correct check digit, or 13 with a branch suffix."),
    ("reg.error_org_name", "Vui lòng nhập tên tổ chức (tối đa 200 ký tự).", "Please give the organization's name (200 characters at most)."),
    ("reg.error_org_type", "Vui lòng chọn loại hình tổ chức.", "Please choose the type of organization."),
    ("reg.error_province", "Vui lòng chọn tỉnh, thành phố.", "Please choose the province or city."),
    ("reg.error_ward", "Vui lòng nhập xã, phường, đặc khu.", "Please give the commune or ward."),
    ("reg.error_address", "Vui lòng nhập số nhà, đường (tối đa 300 ký tự).", "Please give the street address (300 characters at most)."),
    ("reg.error_phone", "Số điện thoại không hợp lệ (9–12 chữ số).", "Invalid phone number (9–12 digits)."),
    ("reg.error_email", "Địa chỉ thư điện tử không hợp lệ.", "Invalid email address."),
    ("reg.error_person_name", "Vui lòng nhập họ và tên.", "Please give the full name."),
    ("reg.error_title", "Vui lòng nhập chức danh.", "Please give the title."),
    ("reg.error_personal_id", "Số định danh cá nhân không hợp lệ (12 chữ số).", "Invalid personal ID number (12 digits)."),
    ("reg.error_existing", "Danh sách tài khoản hiện có quá dài (tối đa 50 dòng, mỗi dòng 200 ký tự).", "The list of existing accounts is too long (50 lines of 200 characters at most)."),
    ("reg.error_doc_missing", "Vui lòng đính kèm Giấy chứng nhận đăng ký doanh nghiệp (PDF).", "Please attach the business registration certificate (PDF)."),
    ("reg.error_doc_size", "Tệp đính kèm quá lớn: tối đa 5 MB.", "The attached file is too large: 5 MB at most."),
    ("reg.error_doc_type", "Tệp đính kèm phải là tệp PDF.", "The attached file must be a PDF."),
    ("reg.error_duplicate", "Mã số thuế này đã có hồ sơ đang xử lý hoặc đã có tài khoản người khai.", "This tax code already has a registration in progress or a declarant account."),
    ("reg.error_link", "Liên kết không hợp lệ hoặc đã hết hạn.", "The link is invalid or has expired."),
    ("reg.error_not_returned", "Hồ sơ này không ở trạng thái chờ bổ sung nên không sửa được.", "This registration is not awaiting corrections, so it cannot be edited."),
    ("reg.error_decided", "Hồ sơ này đã được xử lý; không có thay đổi nào.", "This registration has already been decided; nothing was changed."),
    ("reg.error_reason", "Vui lòng nhập lý do hoặc nội dung cần bổ sung (3–1000 ký tự).", "Please give the reason or what to correct (3–1000 characters)."),
    ("reg.error_action", "Thao tác không hợp lệ.", "Invalid action."),
    ("reg.link_title", "Hồ sơ đăng ký", "Registration"),
    ("reg.submitted_title", "Đã nhận hồ sơ — vui lòng xác nhận thư điện tử", "Registration received — please confirm your email"),
    ("reg.submitted_lead", "Chúng tôi đã gửi liên kết xác nhận tới", "We have sent a confirmation link to"),
    ("reg.submitted_next", "Hồ sơ chỉ được chuyển Đơn vị quản lý Cổng sau khi bạn mở liên kết và bấm xác nhận (liên kết có hiệu lực 24 giờ).", "The registration reaches the Portal Management Unit only after you open the link and confirm (the link is valid for 24 hours)."),
    ("reg.verify_title", "Xác nhận địa chỉ thư điện tử", "Confirm your email address"),
    ("reg.verify_lead", "Bấm nút dưới đây để xác nhận địa chỉ thư điện tử và gửi hồ sơ tới Đơn vị quản lý Cổng.", "Press the button below to confirm the email address and send the registration to the Portal Management Unit."),
    ("reg.verify_button", "Xác nhận và gửi hồ sơ", "Confirm and send the registration"),
    ("reg.verified_notice", "Đã xác nhận thư điện tử. Hồ sơ đã được tiếp nhận.", "Email confirmed. The registration has been received."),
    ("reg.resubmitted_notice", "Đã gửi lại hồ sơ. Thời hạn xử lý được tính lại.", "The registration was resubmitted. The deadline starts again."),
    ("reg.status_title", "Tình trạng hồ sơ đăng ký", "Registration status"),
    ("reg.status_link", "Xem tình trạng hồ sơ", "See the registration's status"),
    ("reg.state", "Trạng thái", "Status"),
    ("reg.status_unverified", "Chờ xác nhận thư điện tử", "Awaiting email confirmation"),
    ("reg.status_pending", "Đang chờ Đơn vị quản lý Cổng kiểm tra", "Awaiting the Portal Management Unit's check"),
    ("reg.status_returned", "Cần bổ sung, sửa đổi", "Returned for correction"),
    ("reg.status_accepted", "Đã chấp thuận — tài khoản đã được cấp", "Accepted — the account has been issued"),
    ("reg.status_rejected", "Bị từ chối", "Rejected"),
    ("reg.status_expired", "Hết hạn (không xác nhận thư điện tử)", "Expired (email never confirmed)"),
    ("reg.reference", "Mã hồ sơ", "Reference"),
    ("reg.due", "Hạn xử lý", "Deadline"),
    ("reg.received", "Tiếp nhận", "Received"),
    ("reg.time_left", "Thời gian còn lại", "Time left"),
    ("reg.reason", "Lý do", "Reason"),
    ("reg.to_fix", "Nội dung cần bổ sung, sửa đổi", "What to correct"),
    ("reg.edit_button", "Sửa và gửi lại hồ sơ", "Correct and resubmit"),
    ("reg.accepted_lead", "Tên đăng nhập và mật khẩu ban đầu đã được gửi tới thư điện tử của tổ chức; bạn phải đổi mật khẩu ở lần đăng nhập đầu tiên.", "The username and initial password were sent to the organization's email; you must change the password at the first login."),
    ("reg.history", "Quá trình xử lý", "History"),
    ("reg.round", "lần gửi", "submission"),
    ("reg.queue_lead", "Hồ sơ đăng ký người khai, hạn gần nhất trước. Thời hạn kiểm tra: 01 ngày làm việc kể từ khi tiếp nhận.", "Declarant registrations, nearest deadline first. The check is due within 1 working day of receipt."),
    ("reg.queue_search", "Tìm theo mã hồ sơ, mã số thuế, tên, thư điện tử", "Search by reference, tax code, name, email"),
    ("reg.queue_open", "Đang mở (chờ xử lý, chờ bổ sung)", "Open (pending, returned)"),
    ("reg.queue_found", "{n} hồ sơ.", "{n} registrations."),
    ("reg.queue_found_more", "Hơn {n} hồ sơ; lọc theo trạng thái hoặc từ khóa để thu hẹp.", "More than {n} registrations; filter by status or words to narrow it down."),
    ("reg.decide", "Quyết định", "Decision"),
    ("reg.accept_lead", "Chấp thuận: tạo tài khoản người khai (tên đăng nhập là mã số thuế), gửi mật khẩu ban đầu qua thư điện tử và thông báo tới các hệ thống chuyên ngành.", "Accept: create the declarant account (the username is the tax code), mail the initial password and notify the specialized systems."),
    ("reg.accept", "Chấp thuận", "Accept"),
    ("reg.reason_label", "Lý do từ chối hoặc nội dung cần bổ sung", "Reason for rejection, or what to correct"),
    ("reg.return", "Yêu cầu bổ sung", "Return for correction"),
    ("reg.reject", "Từ chối", "Reject"),
    ("reg.mail_verify.subject", "Xác nhận thư điện tử cho hồ sơ đăng ký {ref}", "Confirm your email for registration {ref}"),
    ("reg.mail_verify.heading", "Xác nhận địa chỉ thư điện tử", "Confirm your email address"),
    ("reg.mail_verify.body", "Tổ chức của bạn vừa gửi hồ sơ đăng ký tài khoản người khai trên Cổng thông tin một cửa quốc gia.\n\nĐể hồ sơ được chuyển tới Đơn vị quản lý Cổng, vui lòng mở liên kết dưới đây và bấm xác nhận trong vòng 24 giờ. Nếu bạn không gửi hồ sơ này, hãy bỏ qua thư.", "Your organization has just submitted a declarant registration on the National Single Window.\n\nTo send it to the Portal Management Unit, open the link below and confirm within 24 hours. If you did not submit it, ignore this mail."),
    ("reg.mail_verify.button", "Xác nhận thư điện tử", "Confirm the email address"),
    ("reg.mail_received.subject", "Đã tiếp nhận hồ sơ đăng ký {ref}", "Registration {ref} received"),
    ("reg.mail_received.heading", "Hồ sơ đã được tiếp nhận", "Registration received"),
    ("reg.mail_received.body", "Hồ sơ đăng ký tài khoản người khai của tổ chức đã được tiếp nhận và chuyển tới Đơn vị quản lý Cổng. Kết quả sẽ được gửi qua thư điện tử; bạn cũng có thể theo dõi tình trạng hồ sơ bằng liên kết dưới đây.", "Your organization's declarant registration has been received by the Portal Management Unit. The result will be sent by email; you can also follow it with the link below."),
    ("reg.mail_returned.subject", "Hồ sơ đăng ký {ref} cần bổ sung", "Registration {ref} needs corrections"),
    ("reg.mail_returned.heading", "Hồ sơ cần bổ sung, sửa đổi", "Corrections needed"),
    ("reg.mail_returned.body", "Đơn vị quản lý Cổng đã kiểm tra hồ sơ đăng ký của tổ chức và yêu cầu bổ sung, sửa đổi như dưới đây. Vui lòng sửa và gửi lại hồ sơ; thời hạn xử lý được tính lại từ khi gửi lại.", "The Portal Management Unit has checked your organization's registration and asks for the corrections below. Please correct and resubmit it; the deadline starts again from the resubmission."),
    ("reg.mail_returned.button", "Sửa và gửi lại hồ sơ", "Correct and resubmit"),
    ("reg.mail_rejected.subject", "Hồ sơ đăng ký {ref} không được chấp thuận", "Registration {ref} was not accepted"),
    ("reg.mail_rejected.heading", "Hồ sơ không được chấp thuận", "Registration not accepted"),
    ("reg.mail_rejected.body", "Đơn vị quản lý Cổng đã kiểm tra hồ sơ đăng ký tài khoản người khai của tổ chức và không chấp thuận, với lý do dưới đây.", "The Portal Management Unit has checked your organization's declarant registration and did not accept it, for the reason below."),
    ("sla.kind_registration", "Hồ sơ đăng ký người khai", "Declarant registration"),
    ("home.register_declarant", "Đăng ký tài khoản người khai", "Register as a declarant"),
];
