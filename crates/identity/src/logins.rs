//! Group commit for certificate logins (SQLite). A login's writes (spend
//! the challenge, open the session, record the activity and the audit
//! record) are small; on SQLite what costs is the transaction around them
//! (the write lock, the commit's WAL frames) and the time it holds the one
//! writer. Logins arriving together therefore share one transaction on the
//! writer's own thread: each gets its own outcome (a replayed challenge
//! fails alone); after a database error nothing of the batch is written and
//! its logins are written again one by one, so the error fails only its own.
//! On PostgreSQL, which has concurrent writers, each login commits alone.
use crate::service::{self, ServiceError, SessionSpec};
use crate::store::credentials::{self as store, ChallengeRow};
use motcua_domain::Millis;
use motcua_store::{Store, StoreError};
use tokio::sync::{mpsc, oneshot};

/// Most logins in one transaction.
const MAX_BATCH: usize = 64;

/// Why a login's writes were refused.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The challenge was spent already (a replay).
    #[error("challenge already used")]
    Spent,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

/// One login's writes: spend the challenge, open the session. A refused
/// signature only spends its challenge (`session` is `None`).
pub struct LoginWrite {
    /// The challenge to spend, unless spent already.
    pub challenge: Option<ChallengeRow>,
    pub session: Option<SessionSpec>,
    pub now: Millis,
}

/// The new session's cookie token, if a session was opened.
type Outcome = Result<Option<String>, WriteError>;

struct Job {
    write: LoginWrite,
    reply: oneshot::Sender<Outcome>,
}

/// Hands logins to the batching loop (SQLite) or writes them at once.
#[derive(Clone)]
pub struct LoginWriter {
    queue: Option<mpsc::Sender<Job>>,
}

impl LoginWriter {
    /// Starts the loop on the store's writer thread, if it has one
    /// (SQLite). The loop ends when the last clone of this writer is
    /// dropped. On PostgreSQL logins are written one by one, concurrently:
    /// one loop would put them in series, each statement a network round
    /// trip to the database server.
    pub fn start(store: &Store) -> LoginWriter {
        let (queue, rx) = mpsc::channel(1024);
        let loop_store = store.clone();
        let started = store
            .spawn_on_writer(async move { run(loop_store, rx).await })
            .is_ok();
        LoginWriter {
            queue: started.then_some(queue),
        }
    }

    /// Writes `w` and returns the new session's cookie token (empty when
    /// `w` opens none).
    pub async fn write(&self, store: &Store, w: LoginWrite) -> Result<String, WriteError> {
        Ok(self.submit(store, w).await?.unwrap_or_default())
    }

    /// Spends a challenge on its own (a signature that opens no session):
    /// a replay is [`WriteError::Spent`].
    pub async fn spend(
        &self,
        store: &Store,
        challenge: ChallengeRow,
        now: Millis,
    ) -> Result<(), WriteError> {
        let w = LoginWrite {
            challenge: Some(challenge),
            session: None,
            now,
        };
        self.submit(store, w).await.map(|_| ())
    }

    async fn submit(&self, store: &Store, w: LoginWrite) -> Outcome {
        if let Some(queue) = &self.queue {
            let (reply, answer) = oneshot::channel();
            if queue.send(Job { write: w, reply }).await.is_ok() {
                return answer
                    .await
                    .unwrap_or_else(|_| Err(stopped("the login writer stopped")));
            }
            return Err(stopped("the login writer stopped"));
        }
        write_alone(store, &w).await
    }
}

fn stopped(why: &str) -> WriteError {
    WriteError::Service(ServiceError::from(StoreError::Writer(why.into())))
}

async fn write_one(tx: &mut motcua_store::AnyConnection, w: &LoginWrite) -> Outcome {
    if let Some(row) = &w.challenge {
        match store::record_spent_challenge(tx, row, w.now).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => return Err(WriteError::Spent),
            Err(e) => return Err(ServiceError::from(e).into()),
        }
    }
    match &w.session {
        Some(spec) => Ok(Some(service::open_session_as(tx, spec, w.now).await?)),
        None => Ok(None),
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        write_batch(&store, std::mem::take(&mut jobs)).await;
    }
}

async fn write_batch(store: &Store, jobs: Vec<Job>) {
    let mut outcomes = Vec::with_capacity(jobs.len());
    let committed: Result<(), String> = async {
        let mut tx = store.begin().await.map_err(|e| e.to_string())?;
        for job in &jobs {
            match write_one(&mut tx, &job.write).await {
                Err(WriteError::Service(e)) => return Err(e.to_string()),
                outcome => outcomes.push(outcome),
            }
        }
        tx.commit().await.map_err(|e| e.to_string())
    }
    .await;
    match committed {
        Ok(()) => {
            for (job, outcome) in jobs.into_iter().zip(outcomes) {
                let _ = job.reply.send(outcome);
            }
        }
        Err(e) if jobs.len() > 1 => {
            // Nothing of the batch was written: each login again on its
            // own, so that one login's error fails only that login.
            tracing::warn!(error = %e, logins = jobs.len(), "login batch retried one by one");
            for job in jobs {
                let outcome = write_alone(store, &job.write).await;
                let _ = job.reply.send(outcome);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "login not written");
            for job in jobs {
                let _ = job.reply.send(Err(stopped(&e)));
            }
        }
    }
}

async fn write_alone(store: &Store, w: &LoginWrite) -> Outcome {
    let mut tx = store.begin().await.map_err(ServiceError::from)?;
    let token = write_one(&mut tx, w).await?;
    tx.commit()
        .await
        .map_err(|e| ServiceError::from(StoreError::from(e)))?;
    Ok(token)
}
