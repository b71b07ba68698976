//! The append-only, hash-chained audit log (R-OP-2). [`append`] must run
//! inside the transaction that makes the change it records.
use crate::{Backend, Result};
use motcua_domain::audit::{chain_hash, Record, GENESIS};
use motcua_domain::Millis;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

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

pub async fn append(
    c: &mut AnyConnection,
    ctx: &Ctx,
    action: &str,
    target: &str,
    detail: &str,
    now: Millis,
) -> Result<i64> {
    let lock = Backend::of(c).for_update();
    let sql = format!("SELECT seq, hash FROM audit_head WHERE id = 1{lock}");
    let head = sqlx::query(&sql).fetch_one(&mut *c).await?;
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
    let hash = chain_hash(&prev, &rec);
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, action, target, ip, request_id, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
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
    })
}

const COLS: &str = "seq, at, actor, action, target, ip, request_id, detail, prev_hash, hash";

/// Newest first, optionally only those about `target`.
pub async fn list(c: &mut AnyConnection, target: Option<&str>, limit: i64) -> Result<Vec<Entry>> {
    let sql = format!(
        "SELECT {COLS} FROM audit_log WHERE ($1 = '' OR target = $1) ORDER BY seq DESC LIMIT $2"
    );
    let rows = sqlx::query(&sql)
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
    let rows = sqlx::query(&sql)
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

/// Recomputes the whole chain. Detects an edited row (hash mismatch), a
/// deleted row (gap or broken link) and a deleted tail (head mismatch).
pub async fn verify(c: &mut AnyConnection) -> Result<Verification> {
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut *c)
        .await?;
    let (head_seq, head_hash): (i64, String) = (head.try_get("seq")?, head.try_get("hash")?);
    let mut prev = GENESIS.to_string();
    let mut expected_seq = 1;
    let mut after = 0i64;
    let mut records = 0;
    loop {
        let sql = format!("SELECT {COLS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 1000");
        let rows = sqlx::query(&sql).bind(after).fetch_all(&mut *c).await?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            let e = entry(r)?;
            records += 1;
            after = e.seq;
            if e.seq != expected_seq {
                return Ok(Verification {
                    records,
                    broken: Some((expected_seq, "missing record".into())),
                });
            }
            if e.prev_hash != prev {
                return Ok(Verification {
                    records,
                    broken: Some((e.seq, "link to previous record broken".into())),
                });
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
            if chain_hash(&prev, &rec) != e.hash {
                return Ok(Verification {
                    records,
                    broken: Some((e.seq, "record altered".into())),
                });
            }
            prev = e.hash;
            expected_seq += 1;
        }
    }
    if expected_seq - 1 != head_seq || prev != head_hash {
        return Ok(Verification {
            records,
            broken: Some((
                expected_seq,
                format!(
                    "chain ends at {} but head says {head_seq}",
                    expected_seq - 1
                ),
            )),
        });
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
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let mut q = sqlx::query(sql);
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

/// Usernames of the accounts among `ids` (absent ids are left out), to
/// show `account:ID` actors and targets by name.
pub async fn usernames(
    c: &mut AnyConnection,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, String>> {
    let mut out = std::collections::HashMap::new();
    for chunk in ids.chunks(100) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT id, username FROM accounts WHERE id IN ({})",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *c).await? {
            out.insert(r.try_get("id")?, r.try_get("username")?);
        }
    }
    Ok(out)
}
