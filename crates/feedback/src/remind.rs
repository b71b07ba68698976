//! Reminders (worker task `feedback.remind`): an agency is mailed, at
//! its address in the catalog, when an item's answer is due within a day
//! and again once it is overdue — each once per item and deadline (a
//! transfer or the person's reply starts over).
use crate::store::items as store;
use motcua_domain::{Millis, DAY};
use motcua_kernel::service::queue_mail;
use motcua_kernel::Core;
use motcua_mail::{Locale, Template};

pub struct Remind;

impl motcua_kernel::worker::Periodic for Remind {
    fn name(&self) -> &'static str {
        "feedback.remind"
    }

    fn every(&self) -> Millis {
        15 * 60 * 1000
    }

    fn run<'a>(
        &'a self,
        core: &'a Core,
        now: Millis,
    ) -> futures::future::BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            crate::service::purge_waiting(core, now)
                .await
                .map_err(|e| e.to_string())?;
            remind(core, now)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }
}

/// Sends the reminders due at `now`; how many.
pub async fn remind(core: &Core, now: Millis) -> motcua_kernel::service::Result<usize> {
    let mut sent = 0;
    for (level, before) in [(2, now), (1, now + DAY)] {
        let due = {
            let mut c = core.store.conn().await?;
            store::to_remind(&mut c, before, level, 200).await?
        };
        for i in due {
            let agency = motcua_catalog::queries::agency(core, &i.agency_code).await?;
            let mut tx = core.store.begin().await?;
            if !store::mark_reminded(&mut tx, i.id, level).await? {
                continue;
            }
            if let Some(a) = agency.filter(|a| a.email.contains('@')) {
                let loc = Locale::Vi;
                let t = |k: &str| core.i18n.get(loc, k).to_string();
                let key = if level == 2 {
                    "feedback.remind_overdue"
                } else {
                    "feedback.remind_soon"
                };
                let template = Template::Notice {
                    full_name: a.name.clone(),
                    subject: t(key).replace("{code}", &i.code),
                    heading: t(key).replace("{code}", &i.code),
                    body: i.title.clone(),
                    facts: vec![
                        (t("feedback.code"), i.code.clone()),
                        (
                            t("feedback.answer_by"),
                            motcua_domain::clock::format_vn(i.answer_by),
                        ),
                    ],
                    link_label: t("feedback.mail_open"),
                    link: format!(
                        "{}/agency/feedback/{}",
                        core.config.public_url.trim_end_matches('/'),
                        i.code
                    ),
                };
                queue_mail(&mut tx, core, &a.email, &template, loc, now).await?;
                sent += 1;
            }
            tx.commit().await?;
        }
    }
    Ok(sent)
}
