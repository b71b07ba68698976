//! Feedback items, their timeline and their files.
use motcua_domain::Millis;
use motcua_store::{conflict, Result};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Item {
    pub id: i64,
    pub code: String,
    #[serde(skip)]
    pub account_id: i64,
    #[serde(skip)]
    pub sender_name: String,
    #[serde(skip)]
    pub sender_email: String,
    #[serde(skip)]
    pub sender_phone: String,
    #[serde(skip)]
    pub sender_address: String,
    pub hide_name: bool,
    /// procedure | agency | regulation
    pub about: String,
    pub procedure_code: String,
    pub agency_code: String,
    pub title: String,
    pub content: String,
    /// received | more_info | answered | published | refused
    pub state: String,
    pub received_at: Millis,
    pub refuse_by: Millis,
    pub ask_by: Millis,
    pub answer_by: Millis,
    pub publish_by: Option<Millis>,
    pub asked: i64,
    pub answer: String,
    pub answered_at: Option<Millis>,
    pub answered_by: String,
    pub reason: String,
    pub published_at: Option<Millis>,
    #[serde(skip)]
    pub search_text: String,
    #[serde(skip)]
    pub reminded: i64,
    pub created_at: Millis,
    pub updated_at: Millis,
}

const COLS: &str = "id, code, account_id, sender_name, sender_email, sender_phone, sender_address, hide_name, about, procedure_code, agency_code, title, content, state, received_at, refuse_by, ask_by, answer_by, publish_by, asked, answer, answered_at, answered_by, reason, published_at, search_text, reminded, created_at, updated_at";

fn item(r: &AnyRow) -> Result<Item> {
    Ok(Item {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        account_id: r.try_get("account_id")?,
        sender_name: r.try_get("sender_name")?,
        sender_email: r.try_get("sender_email")?,
        sender_phone: r.try_get("sender_phone")?,
        sender_address: r.try_get("sender_address")?,
        hide_name: r.try_get::<i64, _>("hide_name")? != 0,
        about: r.try_get("about")?,
        procedure_code: r.try_get("procedure_code")?,
        agency_code: r.try_get("agency_code")?,
        title: r.try_get("title")?,
        content: r.try_get("content")?,
        state: r.try_get("state")?,
        received_at: r.try_get("received_at")?,
        refuse_by: r.try_get("refuse_by")?,
        ask_by: r.try_get("ask_by")?,
        answer_by: r.try_get("answer_by")?,
        publish_by: r.try_get("publish_by")?,
        asked: r.try_get("asked")?,
        answer: r.try_get("answer")?,
        answered_at: r.try_get("answered_at")?,
        answered_by: r.try_get("answered_by")?,
        reason: r.try_get("reason")?,
        published_at: r.try_get("published_at")?,
        search_text: r.try_get("search_text")?,
        reminded: r.try_get("reminded")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Inserts a new item; its id.
pub async fn insert(c: &mut AnyConnection, i: &Item) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO feedback_items (code, account_id, sender_name, sender_email, sender_phone, sender_address, hide_name, about, procedure_code, agency_code, title, content, state, received_at, refuse_by, ask_by, answer_by, publish_by, asked, answer, answered_at, answered_by, reason, published_at, search_text, reminded, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28) RETURNING id",
    )
    .bind(&i.code)
    .bind(i.account_id)
    .bind(&i.sender_name)
    .bind(&i.sender_email)
    .bind(&i.sender_phone)
    .bind(&i.sender_address)
    .bind(i64::from(i.hide_name))
    .bind(&i.about)
    .bind(&i.procedure_code)
    .bind(&i.agency_code)
    .bind(&i.title)
    .bind(&i.content)
    .bind(&i.state)
    .bind(i.received_at)
    .bind(i.refuse_by)
    .bind(i.ask_by)
    .bind(i.answer_by)
    .bind(i.publish_by)
    .bind(i.asked)
    .bind(&i.answer)
    .bind(i.answered_at)
    .bind(&i.answered_by)
    .bind(&i.reason)
    .bind(i.published_at)
    .bind(&i.search_text)
    .bind(i.reminded)
    .bind(i.created_at)
    .bind(i.updated_at)
    .fetch_one(&mut *c)
    .await
    .map_err(conflict("feedback code"))
}

/// Writes the item back if it was not changed since `seen` (its
/// `updated_at` when read); false when it changed meanwhile.
pub async fn update(c: &mut AnyConnection, i: &Item, seen: Millis) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE feedback_items SET agency_code = $1, state = $2, received_at = $3, refuse_by = $4, ask_by = $5, answer_by = $6, publish_by = $7, asked = $8, answer = $9, answered_at = $10, answered_by = $11, reason = $12, published_at = $13, search_text = $14, reminded = $15, updated_at = $16, content = $17 \
         WHERE id = $18 AND updated_at = $19",
    )
    .bind(&i.agency_code)
    .bind(&i.state)
    .bind(i.received_at)
    .bind(i.refuse_by)
    .bind(i.ask_by)
    .bind(i.answer_by)
    .bind(i.publish_by)
    .bind(i.asked)
    .bind(&i.answer)
    .bind(i.answered_at)
    .bind(&i.answered_by)
    .bind(&i.reason)
    .bind(i.published_at)
    .bind(&i.search_text)
    .bind(i.reminded)
    .bind(i.updated_at)
    .bind(&i.content)
    .bind(i.id)
    .bind(seen)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn by_code(c: &mut AnyConnection, code: &str) -> Result<Option<Item>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM feedback_items WHERE code = $1"
    )))
    .bind(code)
    .fetch_optional(&mut *c)
    .await?;
    r.as_ref().map(item).transpose()
}

/// A person's items, newest first.
pub async fn of_account(c: &mut AnyConnection, account_id: i64, limit: i64) -> Result<Vec<Item>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM feedback_items WHERE account_id = $1 ORDER BY created_at DESC, id DESC LIMIT {}",
        limit.clamp(1, 500)
    )))
    .bind(account_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(item).collect()
}

/// How many items the person sent since `since` (the per-person limit).
pub async fn sent_since(c: &mut AnyConnection, account_id: i64, since: Millis) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM feedback_items WHERE account_id = $1 AND created_at >= $2",
    )
    .bind(account_id)
    .bind(since)
    .fetch_one(&mut *c)
    .await?)
}

/// The items of `agencies` in `states`, the nearest answer deadline
/// first.
pub async fn of_agencies(
    c: &mut AnyConnection,
    agencies: &[String],
    states: &[&str],
    limit: i64,
) -> Result<Vec<Item>> {
    if agencies.is_empty() || states.is_empty() {
        return Ok(Vec::new());
    }
    let a = (1..=agencies.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let s = (agencies.len() + 1..=agencies.len() + states.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {COLS} FROM feedback_items WHERE agency_code IN ({a}) AND state IN ({s}) \
         ORDER BY answer_by, id LIMIT {}",
        limit.clamp(1, 1000)
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for x in agencies {
        q = q.bind(x.clone());
    }
    for x in states {
        q = q.bind(x.to_string());
    }
    let rows = q.fetch_all(&mut *c).await?;
    rows.iter().map(item).collect()
}

/// Items past a deadline at `now`: not answered after `answer_by`, or
/// answered and not published after `publish_by`; every agency, the
/// oldest deadline first.
pub async fn overdue(c: &mut AnyConnection, now: Millis, limit: i64) -> Result<Vec<Item>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM feedback_items WHERE (state = 'received' AND answer_by < $1) \
         OR (state = 'answered' AND publish_by < $1) ORDER BY answer_by, id LIMIT {}",
        limit.clamp(1, 1000)
    )))
    .bind(now)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(item).collect()
}

/// Items due for a reminder: received, not reminded at `level` yet, the
/// answer due before `before`.
pub async fn to_remind(
    c: &mut AnyConnection,
    before: Millis,
    level: i64,
    limit: i64,
) -> Result<Vec<Item>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM feedback_items WHERE state = 'received' AND answer_by < $1 AND reminded < $2 \
         ORDER BY answer_by, id LIMIT {}",
        limit.clamp(1, 1000)
    )))
    .bind(before)
    .bind(level)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(item).collect()
}

/// Marks an item reminded at `level` (once: false if it already was).
pub async fn mark_reminded(c: &mut AnyConnection, id: i64, level: i64) -> Result<bool> {
    let n = sqlx::query("UPDATE feedback_items SET reminded = $2 WHERE id = $1 AND reminded < $2")
        .bind(id)
        .bind(level)
        .execute(&mut *c)
        .await?
        .rows_affected();
    Ok(n == 1)
}

/// Published items matching every folded word (none: all), about
/// `procedure` when given, newest first; one more than `limit` tells
/// whether a next page exists.
pub async fn published(
    c: &mut AnyConnection,
    words: &[String],
    procedure: Option<&str>,
    offset: i64,
    limit: i64,
) -> Result<Vec<Item>> {
    let mut cond = vec!["published_at IS NOT NULL".to_string()];
    let mut binds: Vec<String> = Vec::new();
    for w in words {
        let w = w.replace(['%', '_', '\\'], "");
        if w.is_empty() {
            continue;
        }
        binds.push(format!("%{w}%"));
        cond.push(format!("search_text LIKE ${}", binds.len()));
    }
    if let Some(p) = procedure {
        binds.push(p.to_string());
        cond.push(format!("procedure_code = ${}", binds.len()));
    }
    let sql = format!(
        "SELECT {COLS} FROM feedback_items WHERE {} ORDER BY published_at DESC, id DESC LIMIT {} OFFSET {}",
        cond.join(" AND "),
        limit.clamp(1, 200),
        offset.clamp(0, 100_000)
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for b in binds {
        q = q.bind(b);
    }
    let rows = q.fetch_all(&mut *c).await?;
    rows.iter().map(item).collect()
}

/// One entry of an item's timeline.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Event {
    pub at: Millis,
    pub kind: String,
    pub actor: String,
    pub note: String,
    pub late: bool,
}

pub async fn add_event(c: &mut AnyConnection, feedback_id: i64, e: &Event) -> Result<()> {
    sqlx::query(
        "INSERT INTO feedback_events (feedback_id, at, kind, actor, note, late) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(feedback_id)
    .bind(e.at)
    .bind(&e.kind)
    .bind(&e.actor)
    .bind(&e.note)
    .bind(i64::from(e.late))
    .execute(&mut *c)
    .await?;
    Ok(())
}

pub async fn events(c: &mut AnyConnection, feedback_id: i64) -> Result<Vec<Event>> {
    let rows = sqlx::query(
        "SELECT at, kind, actor, note, late FROM feedback_events WHERE feedback_id = $1 ORDER BY at, id",
    )
    .bind(feedback_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Event {
                at: r.try_get("at")?,
                kind: r.try_get("kind")?,
                actor: r.try_get("actor")?,
                note: r.try_get("note")?,
                late: r.try_get::<i64, _>("late")? != 0,
            })
        })
        .collect()
}

/// A file the person attached.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct File {
    pub id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    #[serde(skip)]
    pub sha256: String,
}

pub async fn add_file(
    c: &mut AnyConnection,
    feedback_id: i64,
    f: &File,
    now: Millis,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO feedback_files (feedback_id, name, content_type, size, sha256, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(feedback_id)
    .bind(&f.name)
    .bind(&f.content_type)
    .bind(f.size)
    .bind(&f.sha256)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

pub async fn files(c: &mut AnyConnection, feedback_id: i64) -> Result<Vec<File>> {
    let rows = sqlx::query(
        "SELECT id, name, content_type, size, sha256 FROM feedback_files WHERE feedback_id = $1 ORDER BY id",
    )
    .bind(feedback_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(File {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                content_type: r.try_get("content_type")?,
                size: r.try_get("size")?,
                sha256: r.try_get("sha256")?,
            })
        })
        .collect()
}

/// Per agency, for `[from, to)`: items received, answers given (and those
/// within their deadline), answers published (and those within theirs);
/// every agency. The service index reads these.
pub async fn totals(
    c: &mut AnyConnection,
    from: Millis,
    to: Millis,
) -> Result<Vec<(String, [i64; 5])>> {
    let rows = sqlx::query(
        "SELECT i.agency_code, \
           CAST(SUM(CASE WHEN e.kind = 'received' THEN 1 ELSE 0 END) AS BIGINT) AS received, \
           CAST(SUM(CASE WHEN e.kind = 'answered' THEN 1 ELSE 0 END) AS BIGINT) AS answered, \
           CAST(SUM(CASE WHEN e.kind = 'answered' AND e.late = 0 THEN 1 ELSE 0 END) AS BIGINT) AS answered_on_time, \
           CAST(SUM(CASE WHEN e.kind = 'published' THEN 1 ELSE 0 END) AS BIGINT) AS published, \
           CAST(SUM(CASE WHEN e.kind = 'published' AND e.late = 0 THEN 1 ELSE 0 END) AS BIGINT) AS published_on_time \
         FROM feedback_events e JOIN feedback_items i ON i.id = e.feedback_id \
         WHERE e.at >= $1 AND e.at < $2 GROUP BY i.agency_code",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("agency_code")?,
                [
                    r.try_get("received")?,
                    r.try_get("answered")?,
                    r.try_get("answered_on_time")?,
                    r.try_get("published")?,
                    r.try_get("published_on_time")?,
                ],
            ))
        })
        .collect()
}
