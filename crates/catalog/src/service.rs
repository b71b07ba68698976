//! Changes to the catalog: import of national records (all or nothing),
//! drafts, publication, agencies and life events. Every change is audited
//! in its transaction (R-OP-2).
use crate::record::{Problem, Procedure};
use crate::store::{agencies, procedures};
use motcua_domain::text::fold;
use motcua_kernel::service::{Origin, Result, ServiceError};
use motcua_kernel::Core;
use serde::Serialize;

/// What is wrong with one record of an import: its place in the file (from
/// 0), its code when it has one, where in it, and the message's i18n key;
/// `detail` is the parser's own text (English) for a record that is not
/// of the format's shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordProblem {
    pub index: usize,
    pub code: String,
    pub path: String,
    pub key: &'static str,
    pub detail: String,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ImportOutcome {
    /// Every record was stored: `created` new versions, `unchanged` equal
    /// to the version already there.
    Imported { created: usize, unchanged: usize },
    /// Nothing was stored: every problem found.
    Refused(Vec<RecordProblem>),
}

/// An import that makes this many versions refreshes the planner's
/// statistics.
const ANALYZE_AFTER: usize = 500;

/// The most records one import takes.
pub const IMPORT_MAX: usize = 20_000;

/// Parses a file of the national format (a JSON array of records, or one
/// record): the records with their JSON text (as received, normalized to
/// one line), or every problem found.
pub fn parse(json: &str) -> std::result::Result<Vec<(Procedure, String)>, Vec<RecordProblem>> {
    let whole = |key: &'static str, detail: String| {
        vec![RecordProblem {
            index: 0,
            code: String::new(),
            path: String::new(),
            key,
            detail,
        }]
    };
    let value: serde_json::Value = match serde_json::from_str(json) {
        Ok(v) => v,
        Err(e) => return Err(whole("catalog.error_json", e.to_string())),
    };
    let items = match value {
        serde_json::Value::Array(items) => items,
        v @ serde_json::Value::Object(_) => vec![v],
        _ => {
            return Err(whole(
                "catalog.error_json",
                "not an array of records".into(),
            ))
        }
    };
    if items.len() > IMPORT_MAX {
        return Err(whole(
            "catalog.error_too_many",
            format!("{} records", items.len()),
        ));
    }
    let mut out = Vec::with_capacity(items.len());
    let mut problems = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let mut bad = Vec::new();
        control_chars(item, String::new(), &mut bad);
        for path in bad {
            problems.push(RecordProblem {
                index,
                code: item
                    .get("MaTTHC")
                    .and_then(|c| c.as_str())
                    .unwrap_or_default()
                    .chars()
                    .filter(|c| !c.is_control())
                    .collect(),
                path,
                key: "catalog.error_control",
                detail: String::new(),
            });
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut codes = std::collections::BTreeSet::new();
    for (index, item) in items.into_iter().enumerate() {
        let code = item
            .get("MaTTHC")
            .and_then(|c| c.as_str())
            .unwrap_or_default()
            .to_string();
        let text = item.to_string();
        match serde_path_to_error::deserialize::<_, Procedure>(item) {
            Err(e) => problems.push(RecordProblem {
                index,
                code,
                path: e.path().to_string(),
                key: "catalog.error_shape",
                detail: e.inner().to_string(),
            }),
            Ok(p) => {
                for Problem { path, key } in p.problems() {
                    problems.push(RecordProblem {
                        index,
                        code: code.clone(),
                        path,
                        key,
                        detail: String::new(),
                    });
                }
                if !codes.insert(p.code.clone()) {
                    problems.push(RecordProblem {
                        index,
                        code: code.clone(),
                        path: "MaTTHC".into(),
                        key: "catalog.error_code_twice",
                        detail: String::new(),
                    });
                }
                out.push((p, text));
            }
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// The paths of the strings in `v` holding a control character other
/// than a line break or a tab (a NUL, which PostgreSQL's text refuses,
/// among them).
fn control_chars(v: &serde_json::Value, at: String, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s)
            if s.chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) =>
        {
            out.push(at);
        }
        serde_json::Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                control_chars(x, format!("{at}[{i}]"), out);
            }
        }
        serde_json::Value::Object(map) => {
            for (k, x) in map {
                let k: String = k.chars().filter(|c| !c.is_control()).collect();
                let path = if at.is_empty() {
                    k
                } else {
                    format!("{at}.{k}")
                };
                control_chars(x, path, out);
            }
        }
        _ => {}
    }
}

/// Appends the audit record of a change, in its transaction.
async fn audit(
    c: &mut motcua_store::AnyConnection,
    origin: &Origin,
    action: &str,
    target: &str,
    detail: &serde_json::Value,
    now: motcua_domain::Millis,
) -> Result<()> {
    motcua_store::audit::append(c, &origin.audit, action, target, &detail.to_string(), now).await?;
    Ok(())
}

/// The folded text with a space around every word.
fn spaced(s: &str) -> String {
    format!(" {} ", fold(s))
}

/// The filters of a record.
fn facets(p: &Procedure) -> Vec<(&'static str, String)> {
    let mut f = Vec::new();
    f.extend(p.fields.iter().map(|x| ("field", x.code.clone())));
    f.extend(
        p.implementing
            .iter()
            .chain(&p.competent)
            .map(|a| ("agency", a.code.clone())),
    );
    f.extend(p.levels.iter().map(|l| ("level", l.clone())));
    f.extend(p.life_events.iter().map(|e| ("life_event", e.clone())));
    f.extend(p.applicants.iter().map(|a| ("applicant", a.clone())));
    f.push(("online_level", p.online_level.clone()));
    f
}

/// What search reads of a record: name, code, description, fields,
/// agencies, results, folded.
fn search_text(p: &Procedure) -> String {
    let mut parts = vec![p.name.clone(), p.code.clone(), p.description.clone()];
    parts.extend(p.fields.iter().map(|f| f.name.clone()));
    parts.extend(p.implementing.iter().map(|a| a.name.clone()));
    parts.extend(p.results.iter().map(|r| r.name.clone()));
    spaced(&parts.join(" "))
}

/// Stores `p` (its JSON `text`) as a new draft version of its code, unless
/// the newest version holds the same record: its version, whether it is
/// new, and whether it is a draft.
async fn store_version(
    c: &mut motcua_store::AnyConnection,
    p: &Procedure,
    text: &str,
    actor: &str,
    now: motcua_domain::Millis,
) -> Result<(i64, bool, bool)> {
    if let Some(latest) = procedures::latest(c, &p.code).await? {
        let same = serde_json::from_str::<serde_json::Value>(&latest.record)
            .ok()
            .zip(serde_json::from_str::<serde_json::Value>(text).ok())
            .is_some_and(|(a, b)| a == b);
        // Equal to a retired version (a draft published over it since):
        // a new version, so that it can be published again.
        if same && latest.status != "retired" {
            return Ok((latest.version, false, latest.status == "draft"));
        }
    }
    let name_text = spaced(&p.name);
    let search = search_text(p);
    let facets = facets(p);
    let n = procedures::NewVersion {
        code: &p.code,
        name: &p.name,
        online_level: &p.online_level,
        assurance: p.assurance,
        record: text,
        name_text: &name_text,
        search_text: &search,
        created_by: actor,
        facets: &facets,
    };
    let (_, version) = procedures::insert(c, &n, now).await?;
    for f in &p.fields {
        procedures::upsert_field(c, &f.code, &f.name).await?;
    }
    Ok((version, true, true))
}

/// The agencies the records name that the agency list does not hold.
async fn unknown_agencies(
    c: &mut motcua_store::AnyConnection,
    records: &[(Procedure, String)],
) -> Result<Vec<RecordProblem>> {
    let named = |p: &Procedure| -> Vec<String> {
        p.implementing
            .iter()
            .chain(&p.competent)
            .chain(&p.cooperating)
            .map(|a| a.code.clone())
            .collect()
    };
    // Every code of every record looked up at once.
    let all: Vec<String> = records.iter().flat_map(|(p, _)| named(p)).collect();
    let unknown = agencies::unknown(c, &all).await?;
    let mut problems = Vec::new();
    for (index, (p, _)) in records.iter().enumerate() {
        let mine = named(p);
        for code in unknown.iter().filter(|u| mine.contains(u)) {
            problems.push(RecordProblem {
                index,
                code: p.code.clone(),
                path: format!("MADONVI={code}"),
                key: "catalog.error_agency_unknown",
                detail: String::new(),
            });
        }
    }
    Ok(problems)
}

/// Imports a file of national records, all or nothing: each record that
/// differs from its code's newest version becomes a new version, published
/// at once when `publish` (the national record is the published text), a
/// draft otherwise. Agencies a record names must exist.
pub async fn import(
    core: &Core,
    origin: &Origin,
    json: &str,
    publish: bool,
) -> Result<ImportOutcome> {
    let records = match parse(json) {
        Ok(r) => r,
        Err(problems) => return Ok(ImportOutcome::Refused(problems)),
    };
    let now = core.now();
    let mut tx = core.store.begin().await?;
    let problems = unknown_agencies(&mut tx, &records).await?;
    if !problems.is_empty() {
        return Ok(ImportOutcome::Refused(problems));
    }
    let (mut created, mut unchanged) = (0, 0);
    for (p, text) in &records {
        let (version, new, draft) =
            store_version(&mut tx, p, text, &origin.audit.actor, now).await?;
        if new {
            created += 1;
        } else {
            unchanged += 1;
        }
        if publish && draft {
            procedures::publish(&mut tx, &p.code, version, now).await?;
        }
    }
    let detail = serde_json::json!({ "records": records.len(), "created": created, "unchanged": unchanged, "published": publish });
    audit(&mut tx, origin, "catalog.import", "catalog", &detail, now).await?;
    tx.commit().await?;
    if created >= ANALYZE_AFTER {
        let mut c = core.store.conn().await?;
        procedures::analyze(&mut c).await?;
    }
    Ok(ImportOutcome::Imported { created, unchanged })
}

/// Every published record in the national format (a JSON array by code),
/// each exactly as it was imported or saved.
pub async fn export(core: &Core) -> Result<String> {
    let mut c = core.store.conn().await?;
    let all = procedures::all_published(&mut c).await?;
    let mut items = Vec::with_capacity(all.len());
    for v in all {
        let value: serde_json::Value = serde_json::from_str(&v.record).map_err(|e| {
            ServiceError::Internal(format!("procedure {} v{}: {e}", v.code, v.version))
        })?;
        items.push(value);
    }
    serde_json::to_string_pretty(&items).map_err(|e| ServiceError::Internal(e.to_string()))
}

/// The one record of `json` (a list of one), which must carry code
/// `code`; its problems otherwise.
fn one_record(
    json: &str,
    code: &str,
) -> Result<std::result::Result<(Procedure, String), Vec<RecordProblem>>> {
    let mut records = match parse(json) {
        Ok(r) => r,
        Err(problems) => return Ok(Err(problems)),
    };
    if records.len() != 1 {
        return Err(ServiceError::invalid("catalog.error_one_record"));
    }
    let (p, text) = records.remove(0);
    if p.code != code {
        return Ok(Err(vec![RecordProblem {
            index: 0,
            code: p.code,
            path: "MaTTHC".into(),
            key: "catalog.error_code_changed",
            detail: String::new(),
        }]));
    }
    Ok(Ok((p, text)))
}

/// A ministry's system replaces a procedure it owns (issue #12 §2): the
/// national record `json` (one object) becomes the published version when
/// it differs from the newest. The owners are the record's competent
/// agencies (`COQUANCOTHAMQUYEN`), or where it names none its
/// implementing ones (`COQUANTHUCHIEN`): every one must be `owner` or
/// under it, and so must one of the current version's, if there is one (a
/// ministry cannot take another's procedure). Returns the version and whether it
/// is new; problems name the record's path. Audited `catalog.sync`.
pub async fn put_owned(
    core: &Core,
    origin: &Origin,
    owner: &str,
    code: &str,
    json: &str,
) -> Result<std::result::Result<(i64, bool), Vec<RecordProblem>>> {
    // One object, as a ministry's system sends it.
    let wrapped;
    let json = if json.trim_start().starts_with('{') {
        wrapped = format!("[{json}]");
        wrapped.as_str()
    } else {
        json
    };
    let (p, text) = match one_record(json, code)? {
        Ok(r) => r,
        Err(problems) => return Ok(Err(problems)),
    };
    let problem = |path: &str, key: &'static str| {
        Ok(Err(vec![RecordProblem {
            index: 0,
            code: p.code.clone(),
            path: path.into(),
            key,
            detail: String::new(),
        }]))
    };
    let owners = |p: &Procedure| {
        if p.competent.is_empty() {
            p.implementing.clone()
        } else {
            p.competent.clone()
        }
    };
    for a in owners(&p) {
        if !crate::queries::within(core, owner, &a.code).await? {
            return problem("COQUANCOTHAMQUYEN", "catalog.error_owner");
        }
    }
    let mut c = core.store.conn().await?;
    let current = procedures::latest(&mut c, code).await?;
    drop(c);
    if let Some(v) = current {
        let old: Procedure = serde_json::from_str(&v.record)
            .map_err(|e| ServiceError::Internal(format!("procedure {code}: {e}")))?;
        let mut owned = false;
        for a in owners(&old) {
            owned |= crate::queries::within(core, owner, &a.code).await?;
        }
        if !owned {
            return Err(ServiceError::Forbidden);
        }
    }
    let now = core.now();
    let mut tx = core.store.begin().await?;
    let records = vec![(p, text)];
    let problems = unknown_agencies(&mut tx, &records).await?;
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    let (p, text) = &records[0];
    let (version, new, draft) = store_version(&mut tx, p, text, &origin.audit.actor, now).await?;
    if draft {
        procedures::publish(&mut tx, &p.code, version, now).await?;
    }
    if new || draft {
        let detail = serde_json::json!({ "code": p.code, "version": version });
        audit(
            &mut tx,
            origin,
            "catalog.sync",
            &format!("procedure:{}", p.code),
            &detail,
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Ok((version, new)))
}

/// Saves an operator's edit of one record as a new draft version (the
/// published version stays until this one is published).
pub async fn save_draft(
    core: &Core,
    origin: &Origin,
    code: &str,
    json: &str,
) -> Result<std::result::Result<i64, Vec<RecordProblem>>> {
    let (p, text) = match one_record(json, code)? {
        Ok(r) => r,
        Err(problems) => return Ok(Err(problems)),
    };
    let now = core.now();
    let mut tx = core.store.begin().await?;
    let records = vec![(p, text)];
    let problems = unknown_agencies(&mut tx, &records).await?;
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    let (p, text) = &records[0];
    let (version, new, _) = store_version(&mut tx, p, text, &origin.audit.actor, now).await?;
    if new {
        let detail = serde_json::json!({ "code": p.code, "version": version });
        audit(
            &mut tx,
            origin,
            "catalog.draft",
            &format!("procedure:{}", p.code),
            &detail,
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Ok(version))
}

/// Publishes a draft version; the version published before is retired
/// (dossiers filed under it keep reading it).
pub async fn publish(core: &Core, origin: &Origin, code: &str, version: i64) -> Result<()> {
    if !crate::record::is_code(code) {
        return Err(ServiceError::NotFound);
    }
    let now = core.now();
    let mut tx = core.store.begin().await?;
    match procedures::get(&mut tx, code, version).await? {
        None => return Err(ServiceError::NotFound),
        Some(v) if v.status != "draft" => {
            return Err(ServiceError::Conflict("catalog.error_not_draft"))
        }
        Some(_) => {}
    }
    if !procedures::publish(&mut tx, code, version, now).await? {
        return Err(ServiceError::Conflict("catalog.error_not_draft"));
    }
    let detail = serde_json::json!({ "code": code, "version": version });
    audit(
        &mut tx,
        origin,
        "catalog.publish",
        &format!("procedure:{code}"),
        &detail,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Creates or replaces agencies (the national agency list), all or
/// nothing; a parent must be in the list or already known.
pub async fn import_agencies(
    core: &Core,
    origin: &Origin,
    list: &[agencies::Agency],
) -> Result<usize> {
    let now = core.now();
    let mut tx = core.store.begin().await?;
    for a in list {
        if !crate::record::is_agency_code(&a.code)
            || a.name.trim().is_empty()
            || !crate::record::LEVELS.contains(&a.level.as_str())
        {
            return Err(ServiceError::field("agency", "catalog.error_agency"));
        }
        agencies::upsert(&mut tx, a, &spaced(&format!("{} {}", a.name, a.code)), now).await?;
    }
    for a in list {
        if let Some(parent) = &a.parent_code {
            if agencies::get(&mut tx, parent).await?.is_none() {
                return Err(ServiceError::field("agency", "catalog.error_agency_parent"));
            }
        }
    }
    let detail = serde_json::json!({ "agencies": list.len() });
    audit(&mut tx, origin, "catalog.agencies", "catalog", &detail, now).await?;
    tx.commit().await?;
    Ok(list.len())
}

/// Creates or replaces life events.
pub async fn import_life_events(
    core: &Core,
    origin: &Origin,
    list: &[agencies::LifeEvent],
) -> Result<usize> {
    let now = core.now();
    let mut tx = core.store.begin().await?;
    for e in list {
        if e.code.is_empty() || e.name.trim().is_empty() {
            return Err(ServiceError::field("life_event", "catalog.error_required"));
        }
        agencies::upsert_life_event(&mut tx, e).await?;
    }
    let detail = serde_json::json!({ "life_events": list.len() });
    audit(
        &mut tx,
        origin,
        "catalog.life_events",
        "catalog",
        &detail,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(list.len())
}

/// An official as typed on the directory's form.
#[derive(Debug, Clone, Default)]
pub struct NewOfficial {
    pub position: String,
    pub full_name: String,
    pub phone: String,
    pub email: String,
    pub sort: String,
}

/// Officials one agency may publish.
pub const MAX_OFFICIALS: i64 = 50;

/// Publishes an official of `agency` in the directory (the caller checked
/// that the person may: the agency's administrator or the operator);
/// checked, audited; its id.
pub async fn add_official(
    core: &Core,
    origin: &Origin,
    agency: &str,
    o: &NewOfficial,
) -> Result<i64> {
    use crate::store::officials;
    let text = |s: &str, field: &'static str, key: &'static str| -> Result<String> {
        let t = s.trim();
        if !(2..=120).contains(&t.chars().count()) || t.chars().any(char::is_control) {
            return Err(ServiceError::field(field, key));
        }
        Ok(t.to_string())
    };
    let position = text(&o.position, "position", "catalog.error_official_position")?;
    let full_name = text(&o.full_name, "full_name", "catalog.error_official_name")?;
    let phone = o.phone.trim();
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    if !phone.is_empty()
        && (!(6..=15).contains(&digits)
            || !phone
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '.' | '-' | '(' | ')')))
    {
        return Err(ServiceError::field("phone", "catalog.error_official_phone"));
    }
    let email = if o.email.trim().is_empty() {
        String::new()
    } else {
        motcua_domain::Email::parse(&o.email)
            .map(|e| e.as_str().to_string())
            .map_err(|_| ServiceError::field("email", "catalog.error_official_email"))?
    };
    let sort = if o.sort.trim().is_empty() {
        100
    } else {
        o.sort
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=9999).contains(n))
            .ok_or(ServiceError::field("sort", "catalog.error_official_sort"))?
    };
    let now = core.now();
    let mut tx = core.store.begin().await?;
    if !officials::lock_agency(&mut tx, agency).await? {
        return Err(ServiceError::NotFound);
    }
    if officials::count(&mut tx, agency).await? >= MAX_OFFICIALS {
        return Err(ServiceError::Conflict("catalog.error_officials_many"));
    }
    let row = officials::Official {
        id: 0,
        agency_code: agency.to_string(),
        position,
        full_name,
        phone: phone.to_string(),
        email,
        sort,
    };
    let id = officials::insert(&mut tx, &row, &origin.audit.actor, now).await?;
    let detail = serde_json::json!({ "id": id, "position": row.position, "name": row.full_name });
    audit(
        &mut tx,
        origin,
        "catalog.official_add",
        &format!("agency:{agency}"),
        &detail,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Takes official `id` off `agency`'s directory; audited. Another
/// agency's official is not found.
pub async fn remove_official(core: &Core, origin: &Origin, agency: &str, id: i64) -> Result<()> {
    let now = core.now();
    let mut tx = core.store.begin().await?;
    let gone = crate::store::officials::remove(&mut tx, agency, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let detail = serde_json::json!({ "id": id, "position": gone.position, "name": gone.full_name });
    audit(
        &mut tx,
        origin,
        "catalog.official_remove",
        &format!("agency:{agency}"),
        &detail,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
