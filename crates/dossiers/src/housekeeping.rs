//! The periodic work of drafts: a reminder (mail and inbox) once a draft
//! is within `Rules::reminder_days` of expiry, and expiry itself (the
//! answers are erased). Idempotent: a reminder is marked in the same
//! transaction as its mail is queued.
use crate::store::drafts as store;
use crate::store::notifications;
use crate::Rules;
use motcua_kernel::service::queue_mail;
use motcua_kernel::worker::Periodic;
use motcua_kernel::Core;
use motcua_mail::{Locale, Template};
use std::future::Future;
use std::pin::Pin;

pub struct Drafts(pub Rules);

/// One pass at `now`: (reminded, expired).
pub async fn run(
    core: &Core,
    rules: &Rules,
    now: i64,
) -> Result<(usize, usize), motcua_kernel::service::ServiceError> {
    let mut reminded = 0;
    let mut c = core.store.conn().await?;
    let due = store::to_remind(&mut c, now + rules.reminder_days * 86_400_000, 200).await?;
    drop(c);
    for d in due.iter().filter(|d| d.expires_at > now) {
        let mut tx = core.store.begin().await?;
        if !store::mark_reminded(&mut tx, d.id, d.revision, now).await? {
            continue;
        }
        let link = format!("/account/drafts/{}", d.public_id);
        notifications::insert(
            &mut tx,
            d.account_id,
            "draft.expiring",
            &d.procedure_name,
            &link,
            now,
        )
        .await?;
        if !d.contact_email.is_empty()
            && notifications::mail_wanted(&mut tx, d.account_id, "drafts").await?
        {
            let loc = Locale::parse(&d.locale);
            let l = |k: &str| core.i18n.get(loc, k).to_string();
            let t = Template::Notice {
                full_name: String::new(),
                subject: l("dossiers.mail_expiring_subject").replace("{name}", &d.procedure_name),
                heading: l("dossiers.mail_expiring_heading"),
                body: l("dossiers.mail_expiring_body"),
                facts: vec![
                    (l("dossiers.procedure"), d.procedure_name.clone()),
                    (
                        l("dossiers.mail_expiring_until"),
                        motcua_domain::clock::format_vn(d.expires_at),
                    ),
                ],
                link_label: l("dossiers.mail_continue"),
                link: format!("{}{link}", core.config.public_url.trim_end_matches('/')),
            };
            queue_mail(&mut tx, core, &d.contact_email, &t, loc, now).await?;
        }
        tx.commit().await?;
        reminded += 1;
    }
    let mut c = core.store.conn().await?;
    let gone = store::expired(&mut c, now, 500).await?;
    drop(c);
    let mut expired = 0;
    for (id, account, public_id) in gone {
        let mut tx = core.store.begin().await?;
        if store::close(&mut tx, id, None, "expired", None, now).await? {
            motcua_store::audit::append(
                &mut tx,
                &motcua_kernel::service::Origin::cli().audit,
                "dossiers.draft_expire",
                &format!("account:{account}"),
                &serde_json::json!({ "draft": public_id }).to_string(),
                now,
            )
            .await?;
            expired += 1;
        }
        tx.commit().await?;
    }
    // Pages parked after a session ended and never claimed.
    let mut tx = core.store.begin().await?;
    crate::store::parked::purge(&mut tx, now).await?;
    tx.commit().await?;
    if reminded > 0 {
        core.jobs_notify.notify_one();
    }
    Ok((reminded, expired))
}

impl Periodic for Drafts {
    fn name(&self) -> &'static str {
        "dossier drafts"
    }

    fn run<'a>(
        &'a self,
        core: &'a Core,
        now: motcua_domain::Millis,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>> {
        Box::pin(async move {
            run(core, &self.0, now)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }
}
