//! The background worker: claims due jobs from the database queue (any
//! node may run one; each job runs once), delivers them, and records
//! success, retry or dead-letter. Also purges expired sessions.
use crate::AppState;
use motcua_mail::OutgoingMail;
use motcua_store::{jobs, sessions};
use std::time::Duration;

/// How long a claimed job is leased before another worker may retry it.
const LEASE_MS: i64 = 5 * 60 * 1000;

/// Runs one due job, if any. Returns whether a job was processed.
pub async fn run_one(state: &AppState, worker_id: &str) -> Result<bool, motcua_store::StoreError> {
    let now = state.now();
    let job = {
        let mut c = state.store.conn().await?;
        jobs::claim(&mut c, worker_id, now, LEASE_MS).await?
    };
    let Some(job) = job else { return Ok(false) };
    // (error message, permanent: retrying cannot help)
    let result: Result<(), (String, bool)> = match job.kind.as_str() {
        "mail" => match serde_json::from_str::<OutgoingMail>(&job.payload) {
            Ok(m) => state
                .mailer
                .send(&m)
                .await
                .map_err(|e| (e.to_string(), e.is_permanent())),
            Err(e) => Err((format!("bad mail payload: {e}"), true)),
        },
        other => Err((format!("unknown job kind {other}"), true)),
    };
    let now = state.now();
    let mut c = state.store.conn().await?;
    match result {
        Ok(()) => {
            if job.kind == "mail" {
                crate::metrics::inc(&state.metrics.mail_sent);
            }
            jobs::complete(&mut c, job.id, now).await?;
        }
        Err((e, permanent)) => {
            if job.kind == "mail" {
                crate::metrics::inc(&state.metrics.mail_failed);
            }
            let dead = if permanent {
                jobs::kill(&mut c, &job, &e, now).await?;
                true
            } else {
                jobs::fail(&mut c, &job, &e, now).await?
            };
            if dead {
                crate::metrics::inc(&state.metrics.jobs_dead);
                tracing::error!(job = job.id, kind = %job.kind, error = %e, "job dead-lettered");
            } else {
                tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, error = %e, "job failed; will retry");
            }
        }
    }
    Ok(true)
}

/// Drains every due job (tests and the CLI use this).
pub async fn drain(state: &AppState) -> Result<usize, motcua_store::StoreError> {
    let mut n = 0;
    while run_one(state, "drain").await? {
        n += 1;
    }
    Ok(n)
}

/// The worker loop: wakes on local enqueue or every `poll`, stops when
/// `shutdown` resolves.
pub async fn run(
    state: AppState,
    worker_id: String,
    poll: Duration,
    shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut shutdown = shutdown;
    let mut last_purge = 0i64;
    loop {
        if *shutdown.borrow() {
            break;
        }
        loop {
            match run_one(&state, &worker_id).await {
                Ok(true) => continue,
                Ok(false) => break,
                Err(e) => {
                    tracing::error!(error = %e, "worker: queue unavailable");
                    break;
                }
            }
        }
        let now = state.now();
        if now - last_purge > 10 * 60 * 1000 {
            last_purge = now;
            if let Ok(mut c) = state.store.conn().await {
                if let Err(e) = sessions::purge_expired(&mut c, now).await {
                    tracing::warn!(error = %e, "session purge failed");
                }
                // Challenges, captchas, sign-ups, SIM transactions and
                // started e-ID logins, an hour after they expired.
                if let Err(e) = motcua_store::identity::purge_expired(&mut c, now - 3_600_000).await
                {
                    tracing::warn!(error = %e, "identity purge failed");
                }
                // Throttle rows idle for a week (names tried once, old IPs).
                if let Err(e) = motcua_store::throttle::purge(&mut c, now - 7 * 86_400_000).await {
                    tracing::warn!(error = %e, "throttle purge failed");
                }
                match jobs::expire_leases(&mut c, now).await {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::error!(jobs = n, "jobs dead-lettered after their worker died")
                    }
                    Err(e) => tracing::warn!(error = %e, "lease expiry failed"),
                }
            }
            // Scheduled locks that start or end, unused accounts.
            if let Err(e) = crate::lifecycle::run_due(&state).await {
                tracing::warn!(error = %e, "account lifecycle run failed");
            }
        }
        tokio::select! {
            _ = state.jobs_notify.notified() => {}
            _ = tokio::time::sleep(poll) => {}
            _ = shutdown.changed() => {}
        }
    }
}
