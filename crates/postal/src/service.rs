//! The public postal service (issue #10 §3, R-PS-11, Decision 45/2016):
//! the applicant chooses to send the dossier, receive the result, or both
//! by post (address, phone, the postage shown before confirming); a
//! dossier sent by post is channel 3 and counts as received when the post
//! office hands it to the agency (the time on the postal receipt); a
//! result sent by post completes the dossier when delivered, and comes
//! back to the agency when it cannot be.
use crate::client::{self, Event, NewOrder, Party, Post, PostError};
use crate::store::orders::{self as store, ChoiceRow, OrderRow};
use motcua_domain::Millis;
use motcua_dossiers::progress;
use motcua_kernel::service::{Origin, Result, ServiceError};
use motcua_kernel::Core;
use std::sync::Arc;

pub use crate::store::orders::{ChoiceRow as Choice, OrderRow as PostalOrder};

pub const SEND: &str = "send_dossier";
pub const RESULT: &str = "return_result";

/// The postal context as the composition root wires it.
#[derive(Clone)]
pub struct Postal {
    /// None: the postal service is not offered.
    pub post: Option<Arc<Post>>,
}

fn post(pc: &Postal) -> Result<&Post> {
    pc.post
        .as_deref()
        .ok_or(ServiceError::Conflict("postal.error_not_offered"))
}

fn unreachable(e: PostError) -> ServiceError {
    tracing::warn!(error = %e, "postal operator");
    ServiceError::Conflict("postal.error_unreachable")
}

fn system() -> Origin {
    Origin::system("system:postal")
}

/// What the applicant chose, as typed.
#[derive(Debug, Clone, Default)]
pub struct ChoiceInput {
    pub send: bool,
    pub result: bool,
    pub name: String,
    pub phone: String,
    pub province: String,
    pub commune: String,
    pub street: String,
}

fn plain(s: &str, max: usize) -> bool {
    !s.trim().is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control)
}

/// A Vietnamese phone number: 10 digits starting with 0 (or +84…).
fn phone_ok(s: &str) -> Option<String> {
    let digits: String = s
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-'))
        .collect();
    let local = match digits.strip_prefix("+84") {
        Some(rest) => format!("0{rest}"),
        None => digits,
    };
    (local.len() == 10 && local.starts_with('0') && local.bytes().all(|b| b.is_ascii_digit()))
        .then_some(local)
}

/// The province of an agency, read from its published address.
async fn agency_province(core: &Core, procedure_code: &str) -> Result<(String, String, String)> {
    let entry = motcua_catalog::queries::procedure(core, procedure_code)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let Some(a) = entry
        .record
        .implementing
        .first()
        .or(entry.record.competent.first())
    else {
        return Ok(Default::default());
    };
    let agency = motcua_catalog::queries::agency(core, &a.code).await?;
    let (name, address) = agency
        .map(|g| (g.name, g.address))
        .unwrap_or((a.name.clone(), String::new()));
    // "Thành phố Hà Nội" is written "Hà Nội" in many addresses.
    let province = motcua_forms::seed::provinces()
        .into_iter()
        .find(|p| {
            let short = p
                .trim_start_matches("Thành phố ")
                .trim_start_matches("Tỉnh ");
            address.contains(p.as_str()) || (!short.is_empty() && address.contains(short))
        })
        .unwrap_or_default();
    Ok((name, address, province))
}

/// Keeps the applicant's choice for a draft after checking it, with the
/// postage quoted by the operator; nothing chosen removes it. The draft
/// must be the applicant's and open.
pub async fn choose(
    core: &Core,
    pc: &Postal,
    account_id: i64,
    draft_id: &str,
    input: &ChoiceInput,
) -> Result<Option<Choice>> {
    let draft = motcua_dossiers::drafts::get(core, account_id, draft_id).await?;
    if draft.row.status != "open" {
        return Err(ServiceError::Conflict("dossiers.error_draft_closed"));
    }
    if !input.send && !input.result {
        let mut c = core.store.conn().await?;
        store::remove_choice(&mut c, account_id, draft_id).await?;
        return Ok(None);
    }
    let post = post(pc)?;
    if !plain(&input.name, 100) {
        return Err(ServiceError::field("postal_name", "postal.error_name"));
    }
    let Some(phone) = phone_ok(&input.phone) else {
        return Err(ServiceError::field("postal_phone", "postal.error_phone"));
    };
    let province = input.province.trim();
    if !motcua_forms::seed::provinces()
        .iter()
        .any(|p| p == province)
    {
        return Err(ServiceError::field(
            "postal_province",
            "postal.error_province",
        ));
    }
    if !plain(&input.commune, 100) {
        return Err(ServiceError::field(
            "postal_commune",
            "postal.error_commune",
        ));
    }
    if !plain(&input.street, 200) {
        return Err(ServiceError::field("postal_street", "postal.error_street"));
    }
    let (_, _, agency_province) = agency_province(core, &draft.row.procedure_code).await?;
    let quote = if input.send || input.result {
        post.quote(province, &agency_province)
            .await
            .map_err(unreachable)?
    } else {
        0
    };
    let row = ChoiceRow {
        id: 0,
        account_id,
        draft_id: draft_id.into(),
        send_by_post: input.send,
        result_by_post: input.result,
        name: input.name.trim().into(),
        phone,
        province: province.into(),
        commune: input.commune.trim().into(),
        street: input.street.trim().into(),
        postage_send: if input.send { quote } else { 0 },
        postage_result: if input.result { quote } else { 0 },
        dossier_code: String::new(),
    };
    let mut c = core.store.conn().await?;
    store::save_choice(&mut c, &row, core.now()).await?;
    Ok(store::choice_of_draft(&mut c, account_id, draft_id).await?)
}

/// The choice for a draft, if any.
pub async fn choice_of_draft(
    core: &Core,
    account_id: i64,
    draft_id: &str,
) -> Result<Option<Choice>> {
    let mut c = core.store.conn().await?;
    Ok(store::choice_of_draft(&mut c, account_id, draft_id).await?)
}

/// The channel a submission of this draft takes: postal (3) when the
/// dossier goes by post, else online (2).
pub async fn channel_of(core: &Core, account_id: i64, draft_id: &str) -> Result<i64> {
    Ok(match choice_of_draft(core, account_id, draft_id).await? {
        Some(c) if c.send_by_post => progress::POSTAL,
        _ => progress::ONLINE,
    })
}

/// After the submission: ties the choice to the dossier and asks the post
/// office to collect the paper dossier (order number `<code>-S`, ours:
/// placing it again is the same order). A failure is repaired by
/// [`Track`].
pub async fn attach(
    core: &Core,
    pc: &Postal,
    account_id: i64,
    draft_id: &str,
    code: &str,
) -> Result<()> {
    let mut c = core.store.conn().await?;
    let Some(choice) = store::choice_of_draft(&mut c, account_id, draft_id).await? else {
        return Ok(());
    };
    if choice.dossier_code.is_empty() {
        store::attach(&mut c, choice.id, code, core.now()).await?;
    }
    drop(c);
    if choice.send_by_post {
        place_send(core, pc, &choice, code).await?;
    }
    Ok(())
}

async fn place_send(core: &Core, pc: &Postal, choice: &Choice, code: &str) -> Result<()> {
    let post = post(pc)?;
    let mut c = core.store.conn().await?;
    let facts = progress::facts(&mut c, code)
        .await?
        .ok_or(ServiceError::NotFound)?;
    drop(c);
    let (agency_name, address, province) = agency_province(core, &facts.procedure_code).await?;
    let order = NewOrder {
        order_number: format!("{code}-S"),
        sender: Party {
            name: choice.name.clone(),
            phone: choice.phone.clone(),
            province: choice.province.clone(),
            commune: choice.commune.clone(),
            street: choice.street.clone(),
        },
        receiver: Party {
            name: format!("Bộ phận Một cửa — {agency_name}"),
            phone: String::new(),
            province,
            commune: String::new(),
            street: address,
        },
        content: format!("Hồ sơ {code}: {}", facts.procedure_name),
        weight_grams: 500,
        cod: 0,
        notify_url: post.notify_url().into(),
    };
    let placed = post.order(&order).await.map_err(unreachable)?;
    record(core, &order, &placed, code, SEND, 0).await
}

async fn record(
    core: &Core,
    order: &NewOrder,
    placed: &client::Order,
    code: &str,
    direction: &str,
    cod: i64,
) -> Result<()> {
    let now = core.now();
    let mut tx = core.store.begin().await?;
    let new = store::insert_order(
        &mut tx,
        &OrderRow {
            id: 0,
            order_number: order.order_number.clone(),
            dossier_code: code.into(),
            direction: direction.into(),
            waybill: placed.waybill.clone(),
            state: client::PLACED.into(),
            postage: placed.postage,
            cod,
            receipt_at: None,
            created_at: now,
            updated_at: now,
        },
    )
    .await?;
    if !new
        && store::by_number(&mut tx, &order.order_number)
            .await?
            .is_none()
    {
        // Another live order for this dossier and direction.
        return Err(ServiceError::Conflict("postal.error_already_posted"));
    }
    if new {
        motcua_store::audit::append(
            &mut tx,
            &system().audit,
            "postal.order",
            &format!("dossier:{code}"),
            &serde_json::json!({ "order": order.order_number, "waybill": placed.waybill, "direction": direction, "postage": placed.postage }).to_string(),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A dossier's postal choice and orders (for its applicant's or agency's
/// pages: the caller has checked who may see the dossier).
pub async fn of_dossier(
    core: &Core,
    code: &str,
) -> Result<(Option<Choice>, Vec<(PostalOrder, Vec<(String, Millis)>)>)> {
    let mut c = core.store.conn().await?;
    let choice = store::choice_of_dossier(&mut c, code).await?;
    let mut out = Vec::new();
    for o in store::of_dossier(&mut c, code).await? {
        let ev = store::events(&mut c, o.id).await?;
        out.push((o, ev));
    }
    Ok((choice, out))
}

/// The returner hands the result to the post office when the applicant
/// chose to receive it by post: the order (`<code>-R`, postage collected
/// on delivery) and a timeline entry with the waybill; the dossier stays
/// "result ready" until the post office delivers it. Returns false when
/// the result does not go by post (the counter's return applies).
pub async fn hand_over_result(
    core: &Core,
    pc: &Postal,
    origin: &Origin,
    who: &motcua_handling::people::Staff,
    code: &str,
) -> Result<bool> {
    let h = motcua_handling::cases::get(core, who, code).await?;
    let mut c = core.store.conn().await?;
    let Some(choice) = store::choice_of_dossier(&mut c, code).await? else {
        return Ok(false);
    };
    if !choice.result_by_post {
        return Ok(false);
    }
    if store::of_dossier(&mut c, code).await?.iter().any(|o| {
        o.direction == RESULT && !matches!(o.state.as_str(), client::CANCELLED | client::RETURNED)
    }) {
        return Err(ServiceError::Conflict("postal.error_already_posted"));
    }
    drop(c);
    if h.facts.status != progress::DONE {
        return Err(ServiceError::Conflict("handling.error_status"));
    }
    if !motcua_handling::cases::actions(who, &h)
        .iter()
        .any(|(kind, _)| kind == motcua_handling::workflow::RETURN)
    {
        return Err(ServiceError::Forbidden);
    }
    let post = post(pc)?;
    let (agency_name, address, province) = agency_province(core, &h.facts.procedure_code).await?;
    let tries = {
        let mut c = core.store.conn().await?;
        store::of_dossier(&mut c, code)
            .await?
            .iter()
            .filter(|o| o.direction == RESULT)
            .count()
    };
    let order = NewOrder {
        order_number: if tries == 0 {
            format!("{code}-R")
        } else {
            format!("{code}-R{}", tries + 1)
        },
        sender: Party {
            name: format!("Bộ phận Một cửa — {agency_name}"),
            phone: String::new(),
            province,
            commune: String::new(),
            street: address,
        },
        receiver: Party {
            name: choice.name.clone(),
            phone: choice.phone.clone(),
            province: choice.province.clone(),
            commune: choice.commune.clone(),
            street: choice.street.clone(),
        },
        content: format!("Kết quả giải quyết hồ sơ {code}"),
        weight_grams: 300,
        cod: choice.postage_result,
        notify_url: post.notify_url().into(),
    };
    let placed = post.order(&order).await.map_err(unreachable)?;
    record(core, &order, &placed, code, RESULT, choice.postage_result).await?;
    let now = core.now();
    let mut tx = core.store.begin().await?;
    let facts = progress::facts(&mut tx, code)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let note = format!("Vận đơn {}", placed.waybill);
    let ch = progress::Change {
        kind: "result_posted",
        from: &[progress::DONE],
        to: progress::DONE,
        actor: "",
        note: &note,
        appointment_at: None,
        category: "progress",
        data: serde_json::json!({ "waybill": placed.waybill }),
    };
    progress::change(&mut tx, core, &facts, &ch, now).await?;
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "postal.result_posted",
        &format!("dossier:{code}"),
        &serde_json::json!({ "waybill": placed.waybill }).to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    core.jobs_notify.notify_one();
    core.events_notify.notify_one();
    Ok(true)
}

/// What a status report came to (the webhook's answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    Applied,
    /// Known before: nothing changed.
    Repeated,
    BadSignature,
    Unknown,
    Unreadable,
}

/// The operator's signed status report. A delivered dossier is handed
/// over at the report's time (the postal receipt's); a delivered result
/// returns the dossier (status 10); a result that cannot be delivered
/// comes back to the agency (the applicant told). A repeated report
/// changes nothing.
pub async fn report(core: &Core, pc: &Postal, body: &[u8], signature: &str) -> Result<Report> {
    let Some(post) = pc.post.as_deref() else {
        return Err(ServiceError::NotFound);
    };
    if !client::verify(post.webhook_secret(), body, signature) {
        return Ok(Report::BadSignature);
    }
    let Ok(e) = serde_json::from_slice::<Event>(body) else {
        return Ok(Report::Unreadable);
    };
    apply(core, &e).await
}

/// What the operator says happened to an order (a report, or an event
/// its status query lists), applied once.
async fn apply(core: &Core, e: &Event) -> Result<Report> {
    if !client::STATES.contains(&e.status.as_str()) {
        return Ok(Report::Unreadable);
    }
    let now = core.now();
    let mut tx = core.store.begin().await?;
    let Some(o) = store::by_number(&mut tx, &e.order_number)
        .await?
        .filter(|o| o.waybill == e.waybill)
    else {
        return Ok(Report::Unknown);
    };
    if !store::add_event(&mut tx, o.id, &e.status, e.at, &e.note, now).await? {
        return Ok(Report::Repeated);
    }
    // The time on the postal receipt: never in the future.
    let at = e.at.min(now);
    let receipt = (e.status == client::DELIVERED).then_some(at);
    // Reports may arrive out of order: the state only moves on.
    if rank(&e.status) >= rank(&o.state) {
        store::set_state(&mut tx, o.id, &e.status, receipt, now).await?;
    }
    let facts = progress::facts(&mut tx, &o.dossier_code)
        .await?
        .ok_or(ServiceError::NotFound)?;
    match (o.direction.as_str(), e.status.as_str()) {
        (SEND, client::DELIVERED) => {
            progress::handed_over(&mut tx, core, &facts, at, now).await?;
        }
        (RESULT, client::DELIVERED) if facts.status == progress::DONE => {
            motcua_handling::cases::returned_by_post_in(
                &mut tx,
                core,
                &system(),
                &o.dossier_code,
                &o.waybill,
                at,
            )
            .await?;
        }
        (RESULT, client::RETURNED) if facts.status == progress::DONE => {
            let ch = progress::Change {
                kind: "result_post_failed",
                from: &[progress::DONE],
                to: progress::DONE,
                actor: "",
                note: &e.note,
                appointment_at: None,
                category: "action",
                data: serde_json::json!({ "waybill": o.waybill }),
            };
            progress::change(&mut tx, core, &facts, &ch, now).await?;
        }
        _ => {}
    }
    motcua_store::audit::append(
        &mut tx,
        &system().audit,
        "postal.report",
        &format!("dossier:{}", o.dossier_code),
        &serde_json::json!({ "waybill": o.waybill, "status": e.status, "at": e.at }).to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    core.jobs_notify.notify_one();
    core.events_notify.notify_one();
    Ok(Report::Applied)
}

/// How far a parcel has gone.
fn rank(state: &str) -> u8 {
    match state {
        client::PLACED => 0,
        client::PICKED_UP => 1,
        client::IN_TRANSIT => 2,
        client::FAILED => 3,
        client::DELIVERED | client::RETURNED => 4,
        _ => 5,
    }
}

/// Places the orders a crash left unplaced (a dossier submitted to go by
/// post with no order to collect it), and asks the operator about orders
/// whose reports stopped coming (quiet for an hour, not final), applying
/// what it lists — a periodic task.
pub struct Track(pub Postal);

impl motcua_kernel::worker::Periodic for Track {
    fn name(&self) -> &'static str {
        "postal.track"
    }
    fn every(&self) -> Millis {
        60_000
    }
    fn run<'a>(
        &'a self,
        core: &'a Core,
        now: Millis,
    ) -> futures::future::BoxFuture<'a, std::result::Result<(), String>> {
        Box::pin(async move {
            let todo = {
                let mut c = core.store.conn().await.map_err(|e| e.to_string())?;
                store::unplaced(&mut c, 50)
                    .await
                    .map_err(|e| e.to_string())?
            };
            for choice in todo {
                if let Err(e) = place_send(core, &self.0, &choice, &choice.dossier_code).await {
                    tracing::warn!(error = %e, code = %choice.dossier_code, "postal order not placed yet");
                }
            }
            // Reports that never came: ask about orders quiet for an hour.
            let quiet = {
                let mut c = core.store.conn().await.map_err(|e| e.to_string())?;
                store::quiet(&mut c, now - 3_600_000, 50)
                    .await
                    .map_err(|e| e.to_string())?
            };
            if let Some(post) = self.0.post.as_deref() {
                for o in quiet {
                    match post.status(&o.waybill).await {
                        Ok(st) => {
                            for e in st
                                .events
                                .iter()
                                .filter(|e| e.order_number == o.order_number)
                            {
                                if let Err(err) = apply(core, e).await {
                                    tracing::warn!(error = %err, waybill = %o.waybill, "postal status");
                                }
                            }
                            let mut c = core.store.conn().await.map_err(|e| e.to_string())?;
                            store::touch(&mut c, o.id, now)
                                .await
                                .map_err(|e| e.to_string())?;
                        }
                        Err(err) => {
                            tracing::warn!(error = %err, waybill = %o.waybill, "postal status")
                        }
                    }
                }
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert_eq!(phone_ok("0912 345 678").as_deref(), Some("0912345678"));
        assert_eq!(phone_ok("+84912345678").as_deref(), Some("0912345678"));
        for bad in ["", "091234567", "1912345678", "09123456789", "09123456x8"] {
            assert_eq!(phone_ok(bad), None, "{bad}");
        }
    }
}
