//! The background worker: claims due jobs from the database queue (any
//! node may run one; each job runs once), delivers them, and records
//! success, retry or dead-letter. Every ten minutes it also expires the
//! leases of dead workers and runs each context's [`Periodic`] tasks (purges,
//! scheduled changes), which the composition root registers.
use crate::Core;
use futures::future::BoxFuture;
use motcua_mail::OutgoingMail;
use motcua_store::jobs;
use std::sync::Arc;
use std::time::Duration;

/// A context's periodic task, run by the worker loop every
/// [`Periodic::every`] (ten minutes unless the task says otherwise).
pub trait Periodic: Send + Sync {
    /// Names the task in the log when it fails.
    fn name(&self) -> &'static str;

    /// How often it runs, in milliseconds (at most as often as the
    /// worker wakes).
    fn every(&self) -> motcua_domain::Millis {
        10 * 60 * 1000
    }

    /// Runs once at `now`.
    fn run<'a>(
        &'a self,
        core: &'a Core,
        now: motcua_domain::Millis,
    ) -> BoxFuture<'a, Result<(), String>>;
}

/// How long a claimed job is leased before another worker may retry it.
const LEASE_MS: i64 = 5 * 60 * 1000;

/// Runs one due job, if any. Returns whether a job was processed.
pub async fn run_one(state: &Core, worker_id: &str) -> Result<bool, motcua_store::StoreError> {
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
        "sms" => match serde_json::from_str::<crate::sms::Sms>(&job.payload) {
            Ok(m) => crate::sms::deliver(state, &m).await,
            Err(e) => Err((format!("bad sms payload: {e}"), true)),
        },
        "post_form" => match serde_json::from_str::<crate::service::PostForm>(&job.payload) {
            Ok(p) => crate::service::deliver_form(state, &p).await,
            Err(e) => Err((format!("bad form payload: {e}"), true)),
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
                tracing::error!(job = %job.id, kind = %job.kind, error = %e, "job dead-lettered");
            } else {
                tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, error = %e, "job failed; will retry");
            }
        }
    }
    Ok(true)
}

/// Drains every due job (tests and the CLI use this).
pub async fn drain(state: &Core) -> Result<usize, motcua_store::StoreError> {
    let mut n = 0;
    while run_one(state, "drain").await? {
        n += 1;
    }
    Ok(n)
}

/// The worker loop: wakes on local enqueue or every `poll`, stops when
/// `shutdown` resolves.
pub async fn run(
    state: Core,
    worker_id: String,
    poll: Duration,
    shutdown: tokio::sync::watch::Receiver<bool>,
    periodic: Vec<Arc<dyn Periodic>>,
) {
    let mut shutdown = shutdown;
    let mut last_purge = 0i64;
    // When each periodic task last ran (0: never, so each runs at start).
    let mut last_run = vec![0i64; periodic.len()];
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
        for (task, last) in periodic.iter().zip(last_run.iter_mut()) {
            if now - *last >= task.every() {
                *last = now;
                if let Err(e) = task.run(&state, now).await {
                    tracing::warn!(task = task.name(), error = %e, "periodic task failed");
                }
            }
        }
        if now - last_purge > 10 * 60 * 1000 {
            last_purge = now;
            if let Ok(mut c) = state.store.conn().await {
                match jobs::expire_leases(&mut c, now).await {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::error!(jobs = n, "jobs dead-lettered after their worker died")
                    }
                    Err(e) => tracing::warn!(error = %e, "lease expiry failed"),
                }
            }
        }
        tokio::select! {
            _ = state.jobs_notify.notified() => {}
            _ = tokio::time::sleep(poll) => {}
            _ = shutdown.changed() => {}
        }
    }
}
