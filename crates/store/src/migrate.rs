//! A small migration runner: numbered SQL files per backend, applied in
//! order inside one transaction each, recorded in `schema_migrations`.
use crate::{Backend, Result, Store, StoreError};

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sqlite: include_str!("../migrations/sqlite/0001_foundation.sql"),
        postgres: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "calendar_events",
        sqlite: include_str!("../migrations/sqlite/0002_calendar_events.sql"),
        postgres: include_str!("../migrations/postgres/0002_calendar_events.sql"),
    },
    Migration {
        version: 3,
        name: "registrations",
        sqlite: include_str!("../migrations/sqlite/0003_registrations.sql"),
        postgres: include_str!("../migrations/postgres/0003_registrations.sql"),
    },
    Migration {
        version: 4,
        name: "provisioning",
        sqlite: include_str!("../migrations/sqlite/0004_provisioning.sql"),
        postgres: include_str!("../migrations/postgres/0004_provisioning.sql"),
    },
    Migration {
        version: 5,
        name: "lifecycle",
        sqlite: include_str!("../migrations/sqlite/0005_lifecycle.sql"),
        postgres: include_str!("../migrations/postgres/0005_lifecycle.sql"),
    },
    Migration {
        version: 6,
        name: "identity",
        sqlite: include_str!("../migrations/sqlite/0006_identity.sql"),
        postgres: include_str!("../migrations/postgres/0006_identity.sql"),
    },
    Migration {
        version: 7,
        name: "consent",
        sqlite: include_str!("../migrations/sqlite/0007_consent.sql"),
        postgres: include_str!("../migrations/postgres/0007_consent.sql"),
    },
    Migration {
        version: 8,
        name: "sim",
        sqlite: include_str!("../migrations/sqlite/0008_sim.sql"),
        postgres: include_str!("../migrations/postgres/0008_sim.sql"),
    },
    Migration {
        version: 9,
        name: "eid",
        sqlite: include_str!("../migrations/sqlite/0009_eid.sql"),
        postgres: include_str!("../migrations/postgres/0009_eid.sql"),
    },
    Migration {
        version: 10,
        name: "audit_head_trigger",
        sqlite: include_str!("../migrations/sqlite/0010_audit_head_trigger.sql"),
        postgres: include_str!("../migrations/postgres/0010_audit_head_trigger.sql"),
    },
    Migration {
        version: 11,
        name: "api_tokens",
        sqlite: include_str!("../migrations/sqlite/0011_api_tokens.sql"),
        postgres: include_str!("../migrations/postgres/0011_api_tokens.sql"),
    },
    Migration {
        version: 12,
        name: "audit_key_id",
        sqlite: include_str!("../migrations/sqlite/0012_audit_key_id.sql"),
        postgres: include_str!("../migrations/postgres/0012_audit_key_id.sql"),
    },
    Migration {
        version: 13,
        name: "policy_acceptances",
        sqlite: include_str!("../migrations/sqlite/0013_policy_acceptances.sql"),
        postgres: include_str!("../migrations/postgres/0013_policy_acceptances.sql"),
    },
    Migration {
        version: 14,
        name: "eid_link_requests",
        sqlite: include_str!("../migrations/sqlite/0014_eid_link_requests.sql"),
        postgres: include_str!("../migrations/postgres/0014_eid_link_requests.sql"),
    },
    Migration {
        version: 15,
        name: "blob_store",
        sqlite: include_str!("../migrations/sqlite/0015_blob_store.sql"),
        postgres: include_str!("../migrations/postgres/0015_blob_store.sql"),
    },
    Migration {
        version: 16,
        name: "account_search",
        sqlite: include_str!("../migrations/sqlite/0016_account_search.sql"),
        postgres: include_str!("../migrations/postgres/0016_account_search.sql"),
    },
    Migration {
        version: 17,
        name: "account_last_used",
        sqlite: include_str!("../migrations/sqlite/0017_account_last_used.sql"),
        postgres: include_str!("../migrations/postgres/0017_account_last_used.sql"),
    },
    Migration {
        version: 18,
        name: "search_text_spaced",
        sqlite: include_str!("../migrations/sqlite/0018_search_text_spaced.sql"),
        postgres: include_str!("../migrations/postgres/0018_search_text_spaced.sql"),
    },
    Migration {
        version: 19,
        name: "growing_lists",
        sqlite: include_str!("../migrations/sqlite/0019_growing_lists.sql"),
        postgres: include_str!("../migrations/postgres/0019_growing_lists.sql"),
    },
    Migration {
        version: 20,
        name: "account_last_use",
        sqlite: include_str!("../migrations/sqlite/0020_account_last_use.sql"),
        postgres: include_str!("../migrations/postgres/0020_account_last_use.sql"),
    },
    Migration {
        version: 21,
        name: "account_count",
        sqlite: include_str!("../migrations/sqlite/0021_account_count.sql"),
        postgres: include_str!("../migrations/postgres/0021_account_count.sql"),
    },
    Migration {
        version: 22,
        name: "console_lists",
        sqlite: include_str!("../migrations/sqlite/0022_console_lists.sql"),
        postgres: include_str!("../migrations/postgres/0022_console_lists.sql"),
    },
    Migration {
        version: 23,
        name: "catalog",
        sqlite: include_str!("../migrations/sqlite/0023_catalog.sql"),
        postgres: include_str!("../migrations/postgres/0023_catalog.sql"),
    },
    Migration {
        version: 24,
        name: "dossiers",
        sqlite: include_str!("../migrations/sqlite/0024_dossiers.sql"),
        postgres: include_str!("../migrations/postgres/0024_dossiers.sql"),
    },
    Migration {
        version: 25,
        name: "dossier_files",
        sqlite: include_str!("../migrations/sqlite/0025_dossier_files.sql"),
        postgres: include_str!("../migrations/postgres/0025_dossier_files.sql"),
    },
    Migration {
        version: 26,
        name: "dossier_documents",
        sqlite: include_str!("../migrations/sqlite/0026_dossier_documents.sql"),
        postgres: include_str!("../migrations/postgres/0026_dossier_documents.sql"),
    },
    Migration {
        version: 27,
        name: "handling",
        sqlite: include_str!("../migrations/sqlite/0027_handling.sql"),
        postgres: include_str!("../migrations/postgres/0027_handling.sql"),
    },
    Migration {
        version: 28,
        name: "handling_results",
        sqlite: include_str!("../migrations/sqlite/0028_handling_results.sql"),
        postgres: include_str!("../migrations/postgres/0028_handling_results.sql"),
    },
    Migration {
        version: 29,
        name: "handling_board",
        sqlite: include_str!("../migrations/sqlite/0029_handling_board.sql"),
        postgres: include_str!("../migrations/postgres/0029_handling_board.sql"),
    },
    Migration {
        version: 30,
        name: "catalog_fees",
        sqlite: include_str!("../migrations/sqlite/0030_catalog_fees.sql"),
        postgres: include_str!("../migrations/postgres/0030_catalog_fees.sql"),
    },
    Migration {
        version: 31,
        name: "payments",
        sqlite: include_str!("../migrations/sqlite/0031_payments.sql"),
        postgres: include_str!("../migrations/postgres/0031_payments.sql"),
    },
    Migration {
        version: 32,
        name: "postal",
        sqlite: include_str!("../migrations/sqlite/0032_postal.sql"),
        postgres: include_str!("../migrations/postgres/0032_postal.sql"),
    },
    Migration {
        version: 33,
        name: "handling_report",
        sqlite: include_str!("../migrations/sqlite/0033_handling_report.sql"),
        postgres: include_str!("../migrations/postgres/0033_handling_report.sql"),
    },
    Migration {
        version: 34,
        name: "feedback",
        sqlite: include_str!("../migrations/sqlite/0034_feedback.sql"),
        postgres: include_str!("../migrations/postgres/0034_feedback.sql"),
    },
    Migration {
        version: 35,
        name: "stats_index",
        sqlite: include_str!("../migrations/sqlite/0035_stats_index.sql"),
        postgres: include_str!("../migrations/postgres/0035_stats_index.sql"),
    },
    Migration {
        version: 36,
        name: "content",
        sqlite: include_str!("../migrations/sqlite/0036_content.sql"),
        postgres: include_str!("../migrations/postgres/0036_content.sql"),
    },
    Migration {
        version: 37,
        name: "feedback_guests",
        sqlite: include_str!("../migrations/sqlite/0037_feedback_guests.sql"),
        postgres: include_str!("../migrations/postgres/0037_feedback_guests.sql"),
    },
    Migration {
        version: 38,
        name: "catalog_officials",
        sqlite: include_str!("../migrations/sqlite/0038_catalog_officials.sql"),
        postgres: include_str!("../migrations/postgres/0038_catalog_officials.sql"),
    },
    Migration {
        version: 39,
        name: "handling_behind",
        sqlite: include_str!("../migrations/sqlite/0039_handling_behind.sql"),
        postgres: include_str!("../migrations/postgres/0039_handling_behind.sql"),
    },
    Migration {
        version: 40,
        name: "sso",
        sqlite: include_str!("../migrations/sqlite/0040_sso.sql"),
        postgres: include_str!("../migrations/postgres/0040_sso.sql"),
    },
    Migration {
        version: 41,
        name: "interop",
        sqlite: include_str!("../migrations/sqlite/0041_interop.sql"),
        postgres: include_str!("../migrations/postgres/0041_interop.sql"),
    },
    Migration {
        version: 42,
        name: "sso_logout",
        sqlite: include_str!("../migrations/sqlite/0042_sso_logout.sql"),
        postgres: include_str!("../migrations/postgres/0042_sso_logout.sql"),
    },
];

/// Applies pending migrations; returns the versions applied. Safe to run
/// from several nodes at once on PostgreSQL (an advisory lock serializes).
pub async fn run(store: &Store) -> Result<Vec<i64>> {
    // The bookkeeping table is created under the same advisory lock as the
    // migrations: on PostgreSQL two concurrent `CREATE TABLE IF NOT EXISTS`
    // of one table can both pass the check, and the loser fails with a
    // unique violation on pg_type.
    let mut tx = store.pool().begin().await?;
    if store.backend() == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(7268320)")
            .execute(&mut *tx)
            .await?;
        // No "relation already exists, skipping" notice at every start.
        sqlx::query("SET LOCAL client_min_messages = warning")
            .execute(&mut *tx)
            .await?;
    }
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let mut applied = Vec::new();
    for m in MIGRATIONS {
        let mut tx = store.pool().begin().await?;
        if store.backend() == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(7268320)")
                .execute(&mut *tx)
                .await?;
        }
        let done: Option<i64> =
            sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                .bind(m.version)
                .fetch_optional(&mut *tx)
                .await?;
        if done.is_some() {
            continue;
        }
        let sql = match store.backend() {
            Backend::Sqlite => m.sqlite,
            Backend::Postgres => m.postgres,
        };
        sqlx::raw_sql(sql)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::Migration {
                version: m.version,
                name: m.name,
                reason: e.to_string(),
            })?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default();
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(m.version)
        .bind(m.name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        applied.push(m.version);
    }
    Ok(applied)
}
