//! The append-only, hash-chained audit log (R-OP-2). [`append`] must run
//! inside the transaction that makes the change it records.
//!
//! Records are sealed with the process's audit keys ([`install_keys`],
//! set once at start from the configuration, never stored in the
//! database). Signed checkpoints of the head ([`checkpoint`],
//! [`write_checkpoint`]) go to a file outside the database;
//! [`verify_with`] checks the chain with the keys and against them.
use crate::{Backend, Result, StoreError};
use motcua_domain::audit::{chain_hash, AuditKeys, Checkpoint, Record, GENESIS, LEGACY_KEY_ID};
use motcua_domain::Millis;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use std::path::Path;
use std::sync::{Arc, RwLock};

static KEYS: RwLock<Option<Arc<AuditKeys>>> = RwLock::new(None);

/// Sets the audit keys of this process: [`append`] seals with the active
/// one, [`verify`] checks with all. Call once at start, before any append.
pub fn install_keys(keys: AuditKeys) {
    let mut slot = KEYS.write().unwrap_or_else(|e| e.into_inner());
    *slot = Some(Arc::new(keys));
}

/// The keys set by [`install_keys`], if any.
pub fn installed_keys() -> Option<Arc<AuditKeys>> {
    KEYS.read().unwrap_or_else(|e| e.into_inner()).clone()
}

fn no_keys() -> StoreError {
    StoreError::Audit(
        "no audit key is installed in this process (configure [audit] keys; see OPERATIONS.md)"
            .into(),
    )
}

/// Who acts and from where: taken from the request (or the CLI).
#[derive(Debug, Clone, Default)]
pub struct Ctx {
    pub actor: String,
    pub ip: String,
    pub request_id: String,
}

impl Ctx {
    pub fn system(what: &str) -> Ctx {
        Ctx {
            actor: format!("system:{what}"),
            ip: String::new(),
            request_id: String::new(),
        }
    }
}

/// Appends a record sealed with the installed active key (see
/// [`install_keys`]); fails if none is installed.
pub async fn append(
    c: &mut AnyConnection,
    ctx: &Ctx,
    action: &str,
    target: &str,
    detail: &str,
    now: Millis,
) -> Result<i64> {
    let keys = installed_keys().ok_or_else(no_keys)?;
    append_with(c, &keys, ctx, action, target, detail, now).await
}

/// [`append`] with explicit keys.
pub async fn append_with(
    c: &mut AnyConnection,
    keys: &AuditKeys,
    ctx: &Ctx,
    action: &str,
    target: &str,
    detail: &str,
    now: Millis,
) -> Result<i64> {
    let lock = Backend::of(c).for_update();
    let sql = format!("SELECT seq, hash FROM audit_head WHERE id = 1{lock}");
    let head = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .fetch_one(&mut *c)
        .await?;
    let (seq, prev): (i64, String) = (head.try_get("seq")?, head.try_get("hash")?);
    let rec = Record {
        seq: seq + 1,
        at: now,
        actor: ctx.actor.clone(),
        action: action.to_string(),
        target: target.to_string(),
        ip: ctx.ip.clone(),
        request_id: ctx.request_id.clone(),
        detail: detail.to_string(),
    };
    let (key_id, hash) = keys.seal(&prev, &rec);
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, action, target, ip, request_id, detail, prev_hash, hash, key_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(rec.seq)
    .bind(rec.at)
    .bind(&rec.actor)
    .bind(&rec.action)
    .bind(&rec.target)
    .bind(&rec.ip)
    .bind(&rec.request_id)
    .bind(&rec.detail)
    .bind(&prev)
    .bind(&hash)
    .bind(key_id)
    .execute(&mut *c)
    .await?;
    // The head follows by trigger (migration 0010).
    Ok(rec.seq)
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Entry {
    pub seq: i64,
    pub at: Millis,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub ip: String,
    pub request_id: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
    /// The audit key that sealed it ("" for the legacy unkeyed scheme).
    pub key_id: String,
}

fn entry(r: &AnyRow) -> Result<Entry> {
    Ok(Entry {
        seq: r.try_get("seq")?,
        at: r.try_get("at")?,
        actor: r.try_get("actor")?,
        action: r.try_get("action")?,
        target: r.try_get("target")?,
        ip: r.try_get("ip")?,
        request_id: r.try_get("request_id")?,
        detail: r.try_get("detail")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
        key_id: r.try_get("key_id")?,
    })
}

const COLS: &str =
    "seq, at, actor, action, target, ip, request_id, detail, prev_hash, hash, key_id";

/// Newest first, optionally only those about `target`.
pub async fn list(c: &mut AnyConnection, target: Option<&str>, limit: i64) -> Result<Vec<Entry>> {
    let sql = format!(
        "SELECT {COLS} FROM audit_log WHERE ($1 = '' OR target = $1) ORDER BY seq DESC LIMIT $2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(target.unwrap_or(""))
        .bind(limit)
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(entry).collect()
}

/// Newest first, those whose target starts with `prefix` (e.g. `calendar:`).
pub async fn list_prefix(c: &mut AnyConnection, prefix: &str, limit: i64) -> Result<Vec<Entry>> {
    let sql = format!(
        "SELECT {COLS} FROM audit_log WHERE substr(target, 1, length($1)) = $1 ORDER BY seq DESC LIMIT $2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(prefix)
        .bind(limit)
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(entry).collect()
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Verification {
    pub records: i64,
    /// The first broken link: sequence number and what is wrong.
    pub broken: Option<(i64, String)>,
}

/// A checkpoint read from a file, with where it came from (for messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub checkpoint: Checkpoint,
    /// `FILE line N`.
    pub source: String,
}

/// Recomputes the whole chain with the installed keys (no checkpoints).
pub async fn verify(c: &mut AnyConnection) -> Result<Verification> {
    verify_with(c, installed_keys().as_deref(), &[]).await
}

fn time_of(at: Millis) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(at as i128 * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| at.to_string())
}

/// Recomputes the whole chain: every record's hash under the key it names
/// (`keys`; legacy unkeyed records only before the first keyed one), the
/// links, the head, and each checkpoint in `anchors` (whose signatures the
/// caller checked, see [`read_checkpoints`]). Detects an edited row (even
/// rehashed without the key), a deleted row (gap or broken link), a
/// deleted tail (head mismatch) and a deleted tail with the head rolled
/// back, when a checkpoint saw more.
pub async fn verify_with(
    c: &mut AnyConnection,
    keys: Option<&AuditKeys>,
    anchors: &[Anchor],
) -> Result<Verification> {
    let mut anchors: Vec<&Anchor> = anchors.iter().collect();
    anchors.sort_by_key(|a| a.checkpoint.seq);
    let mut next_anchor = 0;
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut *c)
        .await?;
    let (head_seq, head_hash): (i64, String) = (head.try_get("seq")?, head.try_get("hash")?);
    let mut prev = GENESIS.to_string();
    let mut expected_seq = 1;
    let mut after = 0i64;
    let mut records = 0;
    let mut keyed_from: Option<i64> = None;
    let broken = |records, seq, why: String| {
        Ok(Verification {
            records,
            broken: Some((seq, why)),
        })
    };
    let differs = |a: &Anchor| {
        format!(
            "differs from the checkpoint in {} (taken {} on {}): the record was rewritten",
            a.source,
            time_of(a.checkpoint.at),
            a.checkpoint.node
        )
    };
    while let Some(a) = anchors.get(next_anchor).filter(|a| a.checkpoint.seq <= 0) {
        if a.checkpoint.hash != GENESIS {
            return broken(0, 1, differs(a));
        }
        next_anchor += 1;
    }
    loop {
        let sql = format!("SELECT {COLS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 1000");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(after)
            .fetch_all(&mut *c)
            .await?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            let e = entry(r)?;
            records += 1;
            after = e.seq;
            if e.seq != expected_seq {
                return broken(records, expected_seq, "missing record".into());
            }
            if e.prev_hash != prev {
                return broken(records, e.seq, "link to previous record broken".into());
            }
            let rec = Record {
                seq: e.seq,
                at: e.at,
                actor: e.actor,
                action: e.action,
                target: e.target,
                ip: e.ip,
                request_id: e.request_id,
                detail: e.detail,
            };
            let expected = if e.key_id == LEGACY_KEY_ID {
                if let Some(first) = keyed_from {
                    return broken(
                        records,
                        e.seq,
                        format!("unkeyed record after keyed ones (from record {first}): rewritten without the audit key"),
                    );
                }
                chain_hash(&prev, &rec)
            } else {
                keyed_from.get_or_insert(e.seq);
                match keys.map(|k| k.hash(&e.key_id, &prev, &rec)) {
                    Some(Ok(h)) => h,
                    _ => {
                        return broken(
                            records,
                            e.seq,
                            format!(
                                "sealed with audit key '{}', which is not configured: add it to [audit] keys (or the record is forged)",
                                e.key_id
                            ),
                        )
                    }
                }
            };
            if expected != e.hash {
                return broken(records, e.seq, "record altered".into());
            }
            while let Some(a) = anchors
                .get(next_anchor)
                .filter(|a| a.checkpoint.seq == e.seq)
            {
                if a.checkpoint.hash != e.hash {
                    return broken(records, e.seq, differs(a));
                }
                next_anchor += 1;
            }
            prev = e.hash;
            expected_seq += 1;
        }
    }
    let last = expected_seq - 1;
    if last != head_seq || prev != head_hash {
        return broken(
            records,
            expected_seq,
            format!("chain ends at {last} but head says {head_seq}"),
        );
    }
    if let Some(a) = anchors.last().filter(|a| a.checkpoint.seq > last) {
        return broken(
            records,
            expected_seq,
            format!(
                "missing record: the checkpoint in {} (taken {} on {}) says the log reached record {}, it ends at {last} (tail deleted, head rolled back)",
                a.source,
                time_of(a.checkpoint.at),
                a.checkpoint.node,
                a.checkpoint.seq
            ),
        );
    }
    Ok(Verification {
        records,
        broken: None,
    })
}

/// What the console's audit page asks for. Empty strings and `None` do not
/// filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// The actor exactly (e.g. `account:7`), or every actor starting with
    /// it when it ends with `:` (e.g. `system:`).
    pub actor: String,
    /// The target, matched like `actor`.
    pub target: String,
    /// Actions starting with this, e.g. `account.` or `account.lock`.
    pub action: String,
    /// Records at or after this instant.
    pub from: Option<Millis>,
    /// Records before this instant.
    pub until: Option<Millis>,
    /// Keyset cursor: only records with a smaller sequence number (older).
    pub before: Option<i64>,
    /// Keyset cursor: only records with a larger sequence number (newer).
    /// Takes precedence over `before`.
    pub after: Option<i64>,
}

enum Bind<'a> {
    Text(&'a str),
    Int(i64),
}

/// The SQL of [`search`] and its parameters (the limit last), and whether
/// it walks the keys upwards.
fn search_query(f: &Filter) -> (String, Vec<Bind<'_>>, bool) {
    let mut wheres: Vec<String> = Vec::new();
    let mut binds: Vec<Bind> = Vec::new();
    for (col, value) in [("actor", f.actor.as_str()), ("target", f.target.as_str())] {
        if value.is_empty() {
            continue;
        }
        let n = binds.len() + 1;
        wheres.push(if value.ends_with(':') {
            format!("substr({col}, 1, length(${n})) = ${n}")
        } else {
            format!("{col} = ${n}")
        });
        binds.push(Bind::Text(value));
    }
    if !f.action.is_empty() {
        let n = binds.len() + 1;
        wheres.push(format!("substr(action, 1, length(${n})) = ${n}"));
        binds.push(Bind::Text(&f.action));
    }
    if let Some(t) = f.from {
        wheres.push(format!("at >= ${}", binds.len() + 1));
        binds.push(Bind::Int(t));
    }
    if let Some(t) = f.until {
        wheres.push(format!("at < ${}", binds.len() + 1));
        binds.push(Bind::Int(t));
    }
    let ascending = match (f.after, f.before) {
        (Some(s), _) => {
            wheres.push(format!("seq > ${}", binds.len() + 1));
            binds.push(Bind::Int(s));
            true
        }
        (None, Some(s)) => {
            wheres.push(format!("seq < ${}", binds.len() + 1));
            binds.push(Bind::Int(s));
            false
        }
        (None, None) => false,
    };
    let cond = if wheres.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", wheres.join(" AND "))
    };
    let sql = format!(
        "SELECT {COLS} FROM audit_log{cond} ORDER BY seq {} LIMIT ${}",
        if ascending { "ASC" } else { "DESC" },
        binds.len() + 1
    );
    (sql, binds, ascending)
}

fn bind_all<'q>(
    sql: &'q str,
    binds: &'q [Bind<'q>],
    limit: i64,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    // Built by `search_sql` from constants and `$n` placeholders only.
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
    for b in binds {
        q = match b {
            Bind::Text(s) => q.bind(*s),
            Bind::Int(i) => q.bind(*i),
        };
    }
    q.bind(limit.max(0))
}

/// One page of records matching `f`, newest first, walking the primary
/// key (`seq`) from the cursor: no offset, so a page costs the same at any
/// depth. With `after`, the `limit` records just newer than the cursor.
pub async fn search(c: &mut AnyConnection, f: &Filter, limit: i64) -> Result<Vec<Entry>> {
    let (sql, binds, ascending) = search_query(f);
    let rows = bind_all(&sql, &binds, limit).fetch_all(&mut *c).await?;
    let mut out = rows.iter().map(entry).collect::<Result<Vec<_>>>()?;
    if ascending {
        out.reverse();
    }
    Ok(out)
}

/// The database's plan for [`search`] (`EXPLAIN QUERY PLAN` on SQLite,
/// `EXPLAIN` on PostgreSQL), one line per step: shows that a page walks
/// the primary key instead of sorting the whole log.
pub async fn search_plan(c: &mut AnyConnection, f: &Filter, limit: i64) -> Result<String> {
    let (sql, binds, _) = search_query(f);
    let explain = match Backend::of(c) {
        Backend::Sqlite => format!("EXPLAIN QUERY PLAN {sql}"),
        Backend::Postgres => format!("EXPLAIN {sql}"),
    };
    let rows = bind_all(&explain, &binds, limit).fetch_all(&mut *c).await?;
    let mut lines = Vec::with_capacity(rows.len());
    for r in &rows {
        // SQLite: (id, parent, notused, detail); PostgreSQL: one text column.
        let col = r.columns().len() - 1;
        lines.push(r.try_get::<String, _>(col)?);
    }
    Ok(lines.join("\n"))
}

/// How many records carry the legacy, unkeyed seal.
pub async fn count_legacy(c: &mut AnyConnection) -> Result<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE key_id = $1")
        .bind(LEGACY_KEY_ID)
        .fetch_one(&mut *c)
        .await?;
    Ok(row.try_get("n")?)
}

/// A signed checkpoint of the current head, as seen on `node` at `now`.
pub async fn checkpoint(
    c: &mut AnyConnection,
    keys: &AuditKeys,
    node: &str,
    now: Millis,
) -> Result<Checkpoint> {
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut *c)
        .await?;
    let (seq, hash): (i64, String) = (head.try_get("seq")?, head.try_get("hash")?);
    Ok(Checkpoint::sign(keys, node, seq, &hash, now))
}

/// Appends the checkpoint as one line to `path` (created with its folder
/// if missing; owner read/write only) and syncs it to disk.
pub fn write_checkpoint(path: &Path, cp: &Checkpoint) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(format!("{}\n", cp.to_line()).as_bytes())?;
    f.sync_data()
}

/// A checkpoint file that cannot be trusted: unreadable, or a line that
/// is not a checkpoint or whose signature does not match.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointFileError {
    #[error("cannot read checkpoint file {path}: {reason}")]
    Io { path: String, reason: String },
    #[error("checkpoint file {path} line {line}: {why}")]
    Line {
        path: String,
        line: usize,
        why: motcua_domain::audit::CheckpointError,
    },
}

/// Reads every checkpoint of `path` and checks its signature with `keys`.
pub fn read_checkpoints(
    path: &Path,
    keys: &AuditKeys,
) -> std::result::Result<Vec<Anchor>, CheckpointFileError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| CheckpointFileError::Io {
        path: name.clone(),
        reason: e.to_string(),
    })?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |why| CheckpointFileError::Line {
            path: name.clone(),
            line: i + 1,
            why,
        };
        let cp = Checkpoint::parse_line(line).map_err(bad)?;
        cp.check(keys).map_err(bad)?;
        out.push(Anchor {
            checkpoint: cp,
            source: format!("{name} line {}", i + 1),
        });
    }
    Ok(out)
}
