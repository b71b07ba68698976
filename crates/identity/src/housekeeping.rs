//! The identity context's periodic purge, run by the kernel's worker.
use futures::future::BoxFuture;
use motcua_kernel::worker::Periodic;
use motcua_kernel::Core;

/// Purges expired sessions; challenges, captchas, sign-ups, SIM
/// transactions and started e-ID logins an hour after they expired; and
/// throttle rows idle for a week (names tried once, old IPs).
pub struct Purge;

impl Periodic for Purge {
    fn name(&self) -> &'static str {
        "identity purge"
    }

    fn run<'a>(
        &'a self,
        core: &'a Core,
        now: motcua_domain::Millis,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let mut c = core.store.conn().await.map_err(|e| e.to_string())?;
            crate::store::sessions::purge_expired(&mut c, now)
                .await
                .map_err(|e| format!("sessions: {e}"))?;
            crate::store::credentials::purge_expired(&mut c, now - 3_600_000)
                .await
                .map_err(|e| format!("identity: {e}"))?;
            crate::store::throttle::purge(&mut c, now - 7 * 86_400_000)
                .await
                .map_err(|e| format!("throttle: {e}"))?;
            Ok(())
        })
    }
}
