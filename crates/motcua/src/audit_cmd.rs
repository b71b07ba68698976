//! The audit trail's keys and checkpoints (R-OP-2): installing the keys
//! at start, the checkpoint task of `serve`, `admin audit-checkpoint` and
//! `admin verify-audit`.
use crate::config::{AuditKeySource, Config};
use anyhow::{anyhow, Result};
use motcua_domain::audit::AuditKeys;
use motcua_domain::{Clock, Millis};
use motcua_store::{audit, Store};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Loads the audit keys (configured, or generated once into the data
/// folder) and installs them for every append of this process.
pub fn install_keys(cfg: &Config) -> Result<(Arc<AuditKeys>, AuditKeySource)> {
    let (keys, source) = cfg.audit_keys()?;
    audit::install_keys(keys);
    let keys = audit::installed_keys().ok_or_else(|| anyhow!("audit keys not installed"))?;
    Ok((keys, source))
}

/// Writes signed checkpoints of the chain's head to this node's file.
pub struct Checkpointer {
    store: Store,
    keys: Arc<AuditKeys>,
    node: String,
    path: PathBuf,
    /// The head written last: an unchanged head is not written again.
    last: Option<(i64, String)>,
}

impl Checkpointer {
    pub fn new(cfg: &Config, store: Store, keys: Arc<AuditKeys>) -> Checkpointer {
        Checkpointer {
            store,
            keys,
            node: cfg.audit_node_id(),
            path: cfg.audit_checkpoint_file(),
            last: None,
        }
    }

    /// Appends a checkpoint taken at `now` if the head moved since the
    /// last one (or none was written yet); returns its sequence number.
    pub async fn tick(&mut self, now: Millis) -> Result<Option<i64>> {
        let cp = {
            let mut c = self.store.conn().await?;
            audit::checkpoint(&mut c, &self.keys, &self.node, now).await?
        };
        if self.last.as_ref() == Some(&(cp.seq, cp.hash.clone())) {
            return Ok(None);
        }
        audit::write_checkpoint(&self.path, &cp).map_err(|e| {
            anyhow!(
                "cannot write audit checkpoint to {}: {e}",
                self.path.display()
            )
        })?;
        self.last = Some((cp.seq, cp.hash));
        Ok(Some(cp.seq))
    }

    async fn tick_logged(&mut self, now: Millis) {
        match self.tick(now).await {
            Ok(Some(seq)) => {
                tracing::debug!(seq, file = %self.path.display(), "audit checkpoint written")
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "audit checkpoint failed"),
        }
    }

    /// Every `interval` (and once at once) until `shutdown`; the caller
    /// writes the last one after the other tasks stopped.
    pub async fn run(
        mut self,
        clock: Arc<dyn Clock>,
        interval: Duration,
        mut shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> Checkpointer {
        tracing::info!(
            file = %self.path.display(),
            node = %self.node,
            key = %self.keys.active(),
            interval_s = interval.as_secs(),
            "audit checkpoints"
        );
        loop {
            if *shutdown.borrow() {
                break;
            }
            self.tick_logged(clock.now()).await;
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = shutdown.changed() => {}
            }
        }
        self
    }

    /// The checkpoint at shutdown.
    pub async fn last_one(mut self, now: Millis) {
        self.tick_logged(now).await;
    }
}

/// Logs, at the start of `serve`, where the audit key comes from.
pub fn warn_if_generated(source: &AuditKeySource) {
    if let AuditKeySource::Generated(path) = source {
        tracing::warn!(
            file = %path.display(),
            "audit key not configured: using one generated in the data folder. Production must set [audit] keys (kept off the database server and its backups): see OPERATIONS.md"
        );
    }
}

/// `admin audit-checkpoint`: one checkpoint now, whether or not the head
/// moved.
pub async fn checkpoint_now(cfg: &Config, store: Store, now: Millis) -> Result<i32> {
    let keys = audit::installed_keys().ok_or_else(|| anyhow!("audit keys not installed"))?;
    let mut cp = Checkpointer::new(cfg, store, keys);
    if let Some(seq) = cp.tick(now).await? {
        println!(
            "audit checkpoint written: record {seq} to {}",
            cp.path.display()
        );
    }
    Ok(0)
}

/// `admin verify-audit`: the chain with the keys, against the checkpoint
/// files (given, or this node's). Exit code 1 when anything is wrong.
pub async fn verify(cfg: &Config, store: &Store, files: Vec<PathBuf>) -> Result<i32> {
    let keys = audit::installed_keys().ok_or_else(|| anyhow!("audit keys not installed"))?;
    let ids: Vec<&str> = keys.ids().collect();
    println!("audit keys: {} (active {})", ids.join(", "), keys.active());
    let (files, explicit) = if files.is_empty() {
        (vec![cfg.audit_checkpoint_file()], false)
    } else {
        (files, true)
    };
    let mut anchors = Vec::new();
    for f in &files {
        if !explicit && !f.exists() {
            println!(
                "note: no checkpoint file {} yet: a deleted tail with the head rolled back cannot be detected",
                f.display()
            );
            continue;
        }
        match audit::read_checkpoints(f, &keys) {
            Ok(a) => anchors.extend(a),
            Err(e) => {
                println!("audit checkpoints BROKEN: {e}");
                return Ok(1);
            }
        }
    }
    let mut c = store.conn().await?;
    let v = audit::verify_with(&mut c, Some(&keys), &anchors).await?;
    match v.broken {
        None => {
            let legacy = audit::count_legacy(&mut c).await?;
            let newest = anchors.iter().map(|a| a.checkpoint.seq).max();
            println!(
                "audit log intact: {} records ({legacy} unkeyed from before audit keys); {} checkpoints agree{}",
                v.records,
                anchors.len(),
                newest
                    .map(|s| format!(" (newest at record {s})"))
                    .unwrap_or_default()
            );
            Ok(0)
        }
        Some((seq, why)) => {
            println!("audit log BROKEN at record {seq}: {why}");
            Ok(1)
        }
    }
}
