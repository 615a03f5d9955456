//! The store: SQLite (the embedded default) or PostgreSQL, chosen by the database URL, behind
//! one interface. Queries are plain SQL next to the code that needs them, written once with
//! `$N` placeholders that both drivers accept; [`with_pool!`] runs the same code on either pool.
//!
//! Invariant: every write that belongs to one user action happens in one transaction, so a
//! crash leaves either all of it or none of it.

mod records;
mod rows;

use std::{str::FromStr, time::Duration};

use futures::{StreamExt, stream::BoxStream};
use sqlx::{
    postgres::{PgPool, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous},
};

pub use management::{NewToken, SESSION_ROLE};
pub use records::*;
use records::{form_version_record, stored_submission, study_summary, submission_row};
use rows::{CampoRow, Json};

use audit::AppendAudit;

use campo_domain::{FormId, PluginHash, Role, StudyId, TeamId, now_rfc3339};

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database URL {0:?} is neither sqlite:// nor postgres://")]
    UnsupportedUrl(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("form {study}/{form} already has a version {version} with different content; publish it under a new version number")]
    VersionConflict { study: String, form: String, version: String },
    #[error("{0} already exists")]
    Duplicate(String),
    #[error("{0} changed while this request was being handled; try again")]
    Concurrent(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("a store task (the submission writer or the token reader) stopped")]
    StoreTaskGone,
    #[error("`campo backup` copies SQLite stores; back up PostgreSQL with pg_dump (e.g. `pg_dump -Fc -f campo.dump DBNAME`)")]
    BackupUnsupported,
}

impl StoreError {
    /// Whether the database cannot be reached right now (down, restarting, refusing
    /// connections, or out of connections): the request may succeed if retried later.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(e) => database_unavailable(e),
            _ => matches!(self, StoreError::StoreTaskGone),
        }
    }
}

/// [`StoreError::is_unavailable`] for a driver error.
fn database_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // PostgreSQL SQLSTATE: 08 connection exception, 53 insufficient resources,
            // 57P01-03 shutting down or starting up, 55000 database not accepting connections.
            // SQLite: 5 busy, 6 locked (after the busy timeout).
            code.starts_with("08") || code.starts_with("53") || code.starts_with("57P") || code == "55000" || code == "5" || code == "6"
        }),
        _ => false,
    }
}

/// One driver error for each request waiting on a shared statement (a batch). sqlx errors are
/// not `Clone`: the first call returns the error itself, later ones an error of the same kind
/// rebuilt from its message, so [`StoreError::is_unavailable`] answers alike for all (503, not 500).
fn error_for_each(error: sqlx::Error) -> impl FnMut() -> sqlx::Error {
    let unavailable = database_unavailable(&error);
    let message = error.to_string();
    let mut first = Some(error);
    move || {
        first.take().unwrap_or_else(|| {
            if unavailable { sqlx::Error::Io(std::io::Error::other(message.clone())) } else { sqlx::Error::Protocol(message.clone()) }
        })
    }
}

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection to Campo's database.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    /// The task that commits submissions in batches (group commit).
    writer: writer::Writer,
    /// PostgreSQL only: the task that reads concurrent token look-ups in one query.
    token_reader: Option<token_reader::TokenReader>,
}

#[derive(Clone)]
enum Pool {
    /// SQLite allows one writer at a time: writes go through a single connection, reads
    /// through a pool (WAL lets them run beside the writer).
    Sqlite { write: SqlitePool, read: SqlitePool },
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the concrete pool (the writer for SQLite when `write`).
macro_rules! with_pool {
    ($store:expr, $mode:ident, |$pool:ident| $body:expr) => {
        match &$store.pool {
            Pool::Sqlite { write, read } => {
                let _ = (&write, &read);
                let $pool = with_pool!(@pick $mode, write, read);
                $body
            }
            Pool::Postgres(pg) => {
                let $pool = pg;
                $body
            }
        }
    };
    (@pick write, $w:ident, $r:ident) => { $w };
    (@pick read, $w:ident, $r:ident) => { $r };
}

pub mod audit;
pub mod exports;
pub mod rescore_jobs;
pub mod management;

/// Binds a [`NewSubmission`] to [`INSERT_SUBMISSION`]'s parameters.
macro_rules! bind_submission {
    ($query:expr, $s:expr) => {{
        let s: &NewSubmission = $s;
        $query
            .bind(s.id.to_string())
            .bind(s.study.as_str())
            .bind(s.form.as_str())
            .bind(&s.version)
            .bind(&s.request_hash)
            .bind(&s.answers_json)
            .bind(&s.scores_json)
            .bind(&s.warnings_json)
            .bind(&s.enumerator)
            .bind(s.token_id)
            .bind(&s.received_at)
            .bind(s.logic_plugin.as_ref().map(PluginHash::as_str))
            .bind(s.scoring_plugin.as_ref().map(PluginHash::as_str))
            .bind(s.person_id)
            .bind(&s.case_key)
            .bind(&s.team_id)
            .bind(&s.started_at)
            .bind(&s.completed_at)
    }};
}

mod token_reader;
mod writer;

/// Inserts a submission unless one with its id is stored (a retry, or its twin on another
/// host); the caller compares request hashes.
const INSERT_SUBMISSION: &str = "INSERT INTO submissions (id, study_id, form_id, version, request_hash, answers, scores,
     warnings, enumerator, token_id, received_at, logic_plugin, scoring_plugin, person_id, case_key, team_id, started_at, completed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) ON CONFLICT (id) DO NOTHING";

/// The audit entry a stored submission gets (in the same transaction).
fn submission_event(s: &NewSubmission) -> audit::AuditEvent {
    audit::SubmissionFacts {
        id: s.id.to_string(),
        study: s.study.to_string(),
        form: s.form.to_string(),
        version: s.version.clone(),
        case: s.case_key.clone(),
        request_hash: s.request_hash.clone(),
        actor: audit::Actor { name: s.enumerator.clone(), person_id: s.person_id, token_id: s.token_id },
    }
    .event()
}

/// Live tokens (not revoked, not expired, their person active) with their person; `$1` is now,
/// `$hash` picks them by `$2`.
macro_rules! live_tokens_where {
    ($hash:literal) => {
        concat!(
            "SELECT t.id, t.hash, t.role, t.study_id, t.team_id, t.label, t.person_id, p.username, p.is_admin
             FROM tokens t LEFT JOIN people p ON p.id = t.person_id
             WHERE t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $1)
             AND (t.person_id IS NULL OR p.deactivated_at IS NULL) AND ",
            $hash
        )
    };
}
const LIVE_TOKEN: &str = live_tokens_where!("t.hash = $2");
/// PostgreSQL: the live tokens among the hashes `$2` (an array).
const LIVE_TOKENS_AMONG: &str = live_tokens_where!("t.hash = ANY($2)");

fn token_record(r: &impl CampoRow) -> Result<TokenRecord, StoreError> {
    let person = match r.get("person_id")? {
        Some(id) => Some(PersonRef { id, username: r.get("username")?, is_admin: r.get("is_admin")? }),
        None => None,
    };
    let session = r.get::<String>("role")? == SESSION_ROLE;
    Ok(TokenRecord {
        id: r.get("id")?,
        role: if session { None } else { Some(r.get("role")?) },
        study: r.get("study_id")?,
        team: r.get("team_id")?,
        label: r.get("label")?,
        person,
    })
}

/// SQLite's durability. In WAL mode, FULL syncs the WAL at every commit, so an acknowledged
/// submission survives a power loss, not only a crash of `campo` (NORMAL's promise). With group
/// commit one fsync covers a whole batch, so the stronger promise is affordable (BENCHMARKS.md).
const SQLITE_SYNCHRONOUS: SqliteSynchronous = SqliteSynchronous::Full;

impl Store {
    /// Connects and applies the migrations. A SQLite file is created when missing.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let store = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SQLITE_SYNCHRONOUS)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true);
            let write = SqlitePoolOptions::new().max_connections(1).connect_with(options.clone()).await?;
            sqlx::migrate!("../../migrations/sqlite").run(&write).await?;
            let read = SqlitePoolOptions::new().max_connections(8).connect_with(options.read_only(false)).await?;
            let writer = writer::Writer::start(writer::Target::Sqlite(write.clone()));
            Store { pool: Pool::Sqlite { write, read }, writer, token_reader: None }
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            // While the server restarts, acquiring waits (and retries refused connections) up
            // to the timeout; a longer outage answers 503 and the pool reconnects by itself.
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(5))
                .connect(url)
                .await?;
            sqlx::migrate!("../../migrations/postgres").run(&pool).await?;
            let writer = writer::Writer::start(writer::Target::Postgres(pool.clone()));
            let token_reader = Some(token_reader::TokenReader::start(pool.clone()));
            Store { pool: Pool::Postgres(pool), writer, token_reader }
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        };
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite { .. } => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Closes every connection (checkpointing SQLite's WAL).
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite { write, read } => {
                read.close().await;
                write.close().await;
            }
            Pool::Postgres(pg) => pg.close().await,
        }
    }

    /// Writes a consistent copy of a SQLite store to `out` while it stays online (`VACUUM
    /// INTO` reads one snapshot; writers carry on). `out` must not exist. PostgreSQL is backed
    /// up with its own tools.
    pub async fn backup(&self, out: &std::path::Path) -> Result<(), StoreError> {
        let Pool::Sqlite { read, .. } = &self.pool else {
            return Err(StoreError::BackupUnsupported);
        };
        sqlx::query("VACUUM INTO $1").bind(out.to_string_lossy().as_ref()).execute(read).await?;
        Ok(())
    }

    // ---- studies, forms, versions -------------------------------------------------------

    /// Publishes a study bundle in one transaction: the study, its forms, the plugins and each
    /// form's version. A version already published with the same content is left unchanged;
    /// with different content, the whole install is refused.
    pub async fn publish(&self, plan: &PublishPlan, actor: &audit::Actor) -> Result<Vec<PublishOutcome>, StoreError> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            let now = now_rfc3339();
            sqlx::query(
                "INSERT INTO studies (id, title_es, title_en, manifest, installed_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (id) DO UPDATE SET title_es = excluded.title_es, title_en = excluded.title_en,
                 manifest = excluded.manifest",
            )
            .bind(plan.study.as_str())
            .bind(&plan.title.es)
            .bind(&plan.title.en)
            .bind(&plan.manifest_json)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
            for plugin in &plan.plugins {
                sqlx::query(
                    "INSERT INTO plugins (hash, wasm, size, capabilities, uploaded_at) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (hash) DO NOTHING",
                )
                .bind(plugin.hash.as_str())
                .bind(&plugin.wasm)
                .bind(plugin.wasm.len() as i64)
                .bind(&plugin.capabilities)
                .bind(&now)
                .execute(&mut *tx)
                .await?;
            }
            let mut outcomes = Vec::new();
            for (position, form) in plan.forms.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO forms (study_id, id, title_es, title_en, position) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (study_id, id) DO UPDATE SET title_es = excluded.title_es, title_en = excluded.title_en,
                     position = excluded.position",
                )
                .bind(plan.study.as_str())
                .bind(form.form.as_str())
                .bind(&form.title.es)
                .bind(&form.title.en)
                .bind(position as i64)
                .execute(&mut *tx)
                .await?;
                let existing: Option<String> = sqlx::query_scalar(
                    "SELECT content_hash FROM form_versions WHERE study_id = $1 AND form_id = $2 AND version = $3",
                )
                .bind(plan.study.as_str())
                .bind(form.form.as_str())
                .bind(form.version.as_str())
                .fetch_optional(&mut *tx)
                .await?;
                let status = match existing {
                    Some(hash) if hash == form.content_hash => PublishStatus::Unchanged,
                    Some(_) => {
                        return Err(StoreError::VersionConflict {
                            study: plan.study.to_string(),
                            form: form.form.to_string(),
                            version: form.version.to_string(),
                        });
                    }
                    None => {
                        let seq: i64 = sqlx::query_scalar(
                            "SELECT COALESCE(MAX(seq), 0) + 1 FROM form_versions WHERE study_id = $1 AND form_id = $2",
                        )
                        .bind(plan.study.as_str())
                        .bind(form.form.as_str())
                        .fetch_one(&mut *tx)
                        .await?;
                        sqlx::query(
                            "INSERT INTO form_versions (study_id, form_id, version, seq, content_hash, schema_json,
                             schema_hash, logic_plugin, scoring_plugin, settings_json, scores_json, limits_json, published_at)
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                        )
                        .bind(plan.study.as_str())
                        .bind(form.form.as_str())
                        .bind(form.version.as_str())
                        .bind(seq)
                        .bind(&form.content_hash)
                        .bind(&form.schema_json)
                        .bind(&form.schema_hash)
                        .bind(form.logic_plugin.as_ref().map(PluginHash::as_str))
                        .bind(form.scoring_plugin.as_ref().map(PluginHash::as_str))
                        .bind(&form.settings_json)
                        .bind(&form.scores_json)
                        .bind(&form.limits_json)
                        .bind(&now)
                        .execute(&mut *tx)
                        .await?;
                        PublishStatus::Published
                    }
                };
                outcomes.push(PublishOutcome { form: form.form.clone(), version: form.version.clone(), status });
            }
            let published: Vec<String> = outcomes
                .iter()
                .filter(|o| o.status == PublishStatus::Published)
                .map(|o| format!("{}@{}", o.form, o.version))
                .collect();
            let plugins: Vec<&str> = plan.plugins.iter().map(|p| p.hash.as_str()).collect();
            let mut events = vec![audit::AuditEvent::new(
                actor,
                "study.install",
                Some(plan.study.as_str()),
                Some(plan.study.as_str()),
                serde_json::json!({"plugins": plugins}),
            )];
            if !published.is_empty() {
                events.push(audit::AuditEvent::new(
                    actor,
                    "version.publish",
                    Some(plan.study.as_str()),
                    Some(plan.study.as_str()),
                    serde_json::json!({"versions": published}),
                ));
            }
            tx.append_audit(&events).await?;
            tx.commit().await?;
            Ok(outcomes)
        })
    }

    pub async fn list_studies(&self) -> Result<Vec<StudySummary>, StoreError> {
        let rows = with_pool!(self, read, |pool| {
            sqlx::query("SELECT id, title_es, title_en FROM studies ORDER BY id")
                .fetch_all(pool)
                .await?
                .into_iter()
                .map(|r| study_summary(&r))
                .collect::<Result<Vec<_>, StoreError>>()
        })?;
        Ok(rows)
    }

    /// A study with its forms and their published versions, or `None`.
    pub async fn study(&self, study: &StudyId) -> Result<Option<StudyDetail>, StoreError> {
        with_pool!(self, read, |pool| {
            let Some(row) = sqlx::query("SELECT id, title_es, title_en, manifest FROM studies WHERE id = $1")
                .bind(study.as_str())
                .fetch_optional(pool)
                .await?
            else {
                return Ok(None);
            };
            let summary = study_summary(&row)?;
            let manifest: String = row.get("manifest")?;
            let forms = sqlx::query("SELECT id, title_es, title_en FROM forms WHERE study_id = $1 ORDER BY position, id")
                .bind(study.as_str())
                .fetch_all(pool)
                .await?;
            let versions = sqlx::query(
                "SELECT form_id, version, seq, logic_plugin, scoring_plugin, published_at, scores_json
                 FROM form_versions WHERE study_id = $1 ORDER BY form_id, seq",
            )
            .bind(study.as_str())
            .fetch_all(pool)
            .await?;
            let mut detail_forms = Vec::new();
            for f in &forms {
                let id: FormId = f.get("id")?;
                let mut form_versions = Vec::new();
                for v in versions.iter().filter(|v| v.get::<FormId>("form_id").is_ok_and(|x| x == id)) {
                    form_versions.push(VersionSummary {
                        version: v.get("version")?,
                        seq: v.get("seq")?,
                        logic_plugin: v.get("logic_plugin")?,
                        scoring_plugin: v.get("scoring_plugin")?,
                        published_at: v.get("published_at")?,
                        scores: v.get::<Json<_>>("scores_json")?.0,
                    });
                }
                let latest = form_versions.last().map(|v| v.version.clone());
                detail_forms.push(FormSummary {
                    id,
                    title: campo_domain::Text::new(f.get::<String>("title_es")?, f.get::<String>("title_en")?),
                    latest_version: latest,
                    versions: form_versions,
                });
            }
            let settings = serde_json::from_str::<serde_json::Value>(&manifest)
                .ok()
                .and_then(|m| m.get("description").cloned());
            Ok(Some(StudyDetail { study: summary, description: settings, forms: detail_forms }))
        })
    }

    /// A form version (the latest published when `version` is `None`), or `None`.
    /// The name of a form's latest published version (one small row, for the hot path).
    pub async fn latest_version_name(&self, study: &StudyId, form: &FormId) -> Result<Option<String>, StoreError> {
        with_pool!(self, read, |pool| {
            Ok(sqlx::query_scalar("SELECT version FROM form_versions WHERE study_id = $1 AND form_id = $2 ORDER BY seq DESC LIMIT 1")
                .bind(study.as_str())
                .bind(form.as_str())
                .fetch_optional(pool)
                .await?)
        })
    }

    pub async fn form_version(&self, study: &StudyId, form: &FormId, version: Option<&str>) -> Result<Option<FormVersionRecord>, StoreError> {
        with_pool!(self, read, |pool| {
            let row = match version {
                Some(v) => sqlx::query(
                    "SELECT study_id, form_id, version, seq, content_hash, schema_json, logic_plugin, scoring_plugin,
                     settings_json, scores_json, limits_json FROM form_versions WHERE study_id = $1 AND form_id = $2 AND version = $3",
                )
                    .bind(study.as_str())
                    .bind(form.as_str())
                    .bind(v)
                    .fetch_optional(pool)
                    .await?,
                None => sqlx::query(
                    "SELECT study_id, form_id, version, seq, content_hash, schema_json, logic_plugin, scoring_plugin,
                     settings_json, scores_json, limits_json FROM form_versions WHERE study_id = $1 AND form_id = $2
                     ORDER BY seq DESC LIMIT 1",
                )
                .bind(study.as_str())
                .bind(form.as_str())
                .fetch_optional(pool)
                .await?,
            };
            row.map(|r| form_version_record(&r)).transpose()
        })
    }

    /// Every version of a form, oldest first.
    pub async fn form_versions(&self, study: &StudyId, form: &FormId) -> Result<Vec<FormVersionRecord>, StoreError> {
        with_pool!(self, read, |pool| {
            sqlx::query(
                "SELECT study_id, form_id, version, seq, content_hash, schema_json, logic_plugin, scoring_plugin,
                 settings_json, scores_json, limits_json FROM form_versions WHERE study_id = $1 AND form_id = $2 ORDER BY seq",
            )
            .bind(study.as_str())
            .bind(form.as_str())
            .fetch_all(pool)
            .await?
            .iter()
            .map(form_version_record)
            .collect()
        })
    }

    pub async fn form_exists(&self, study: &StudyId, form: &FormId) -> Result<bool, StoreError> {
        with_pool!(self, read, |pool| {
            Ok(sqlx::query("SELECT 1 FROM forms WHERE study_id = $1 AND id = $2")
                .bind(study.as_str())
                .bind(form.as_str())
                .fetch_optional(pool)
                .await?
                .is_some())
        })
    }

    // ---- plugins ------------------------------------------------------------------------

    pub async fn plugin_wasm(&self, hash: &PluginHash) -> Result<Option<Vec<u8>>, StoreError> {
        with_pool!(self, read, |pool| {
            Ok(sqlx::query_scalar("SELECT wasm FROM plugins WHERE hash = $1").bind(hash.as_str()).fetch_optional(pool).await?)
        })
    }

    /// Stores a plugin (content-addressed: storing the same bytes twice changes nothing).
    pub async fn insert_plugin(&self, hash: &PluginHash, wasm: &[u8], capabilities: &str, actor: &audit::Actor) -> Result<bool, StoreError> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(
                "INSERT INTO plugins (hash, wasm, size, capabilities, uploaded_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (hash) DO NOTHING",
            )
            .bind(hash.as_str())
            .bind(wasm)
            .bind(wasm.len() as i64)
            .bind(capabilities)
            .bind(now_rfc3339())
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 1 {
                tx.append_audit(&[audit::AuditEvent::new(
                    actor,
                    "plugin.upload",
                    None,
                    Some(hash.as_str()),
                    serde_json::json!({"size": wasm.len(), "capabilities": capabilities}),
                )])
                .await?;
            }
            tx.commit().await?;
            Ok(done.rows_affected() == 1)
        })
    }

    pub async fn list_plugins(&self) -> Result<Vec<PluginSummary>, StoreError> {
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(
                "SELECT p.hash, p.size, p.capabilities, p.uploaded_at,
                 (SELECT COUNT(*) FROM form_versions v WHERE v.logic_plugin = p.hash OR v.scoring_plugin = p.hash) AS pinned_by
                 FROM plugins p ORDER BY p.uploaded_at, p.hash",
            )
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(PluginSummary {
                        hash: r.get("hash")?,
                        size: r.get("size")?,
                        capabilities: r.get::<String>("capabilities")?.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect(),
                        uploaded_at: r.get("uploaded_at")?,
                        pinned_by_versions: r.get("pinned_by")?,
                    })
                })
                .collect()
        })
    }

    // ---- tokens -------------------------------------------------------------------------

    /// Stores a token's hash; returns its id. `role: None` makes a sign-in session.
    pub async fn insert_token(&self, token: &NewToken<'_>, actor: &audit::Actor) -> Result<i64, StoreError> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO tokens (hash, role, study_id, team_id, label, person_id, expires_at, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(token.hash)
            .bind(token.role.map(Role::as_str).unwrap_or(SESSION_ROLE))
            .bind(token.study.map(StudyId::as_str))
            .bind(token.team.map(TeamId::as_str))
            .bind(token.label)
            .bind(token.person_id)
            .bind(token.expires_at)
            .bind(now_rfc3339())
            .fetch_one(&mut *tx)
            .await?;
            // A session is a sign-in; an API token is a change. Either is logged with the token.
            let action = if token.role.is_some() { "token.create" } else { "session.create" };
            tx.append_audit(&[audit::AuditEvent::new(
                actor,
                action,
                token.study.map(StudyId::as_str),
                Some(&id.to_string()),
                serde_json::json!({"role": token.role.map(Role::as_str), "team": token.team.map(TeamId::as_str),
                    "label": token.label, "person_id": token.person_id, "expires_at": token.expires_at}),
            )])
            .await?;
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Revokes a token; `false` when there is no live token with this id.
    pub async fn revoke_token(&self, id: i64, actor: &audit::Actor) -> Result<bool, StoreError> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            let done = sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(now_rfc3339())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 1 {
                tx.append_audit(&[audit::AuditEvent::new(actor, "token.revoke", None, Some(&id.to_string()), serde_json::json!({}))]).await?;
            }
            tx.commit().await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// The live token with this hash: not revoked, not expired, and its person (if any) active.
    ///
    /// Read on every request, never cached, so a revocation or deactivation made anywhere
    /// applies to the next request. On PostgreSQL concurrent look-ups share one query
    /// (`token_reader`): each is still read after its request arrived.
    pub async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        match &self.pool {
            Pool::Sqlite { read, .. } => sqlx::query(LIVE_TOKEN)
                .bind(now_rfc3339())
                .bind(hash)
                .fetch_optional(read)
                .await?
                .map(|r| token_record(&r))
                .transpose(),
            Pool::Postgres(_) => self.token_reader.as_ref().ok_or(StoreError::StoreTaskGone)?.lookup(hash.to_string()).await,
        }
    }

    // ---- submissions --------------------------------------------------------------------

    pub async fn submission(&self, id: &uuid::Uuid) -> Result<Option<StoredSubmission>, StoreError> {
        with_pool!(self, read, |pool| {
            sqlx::query("SELECT id, study_id, form_id, version, request_hash, scores, warnings FROM submissions WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(pool)
                .await?
                .map(|r| stored_submission(&r))
                .transpose()
        })
    }

    /// Stores a submission, or reports the one already stored under its id (a retry, or a
    /// concurrent twin on another host).
    pub async fn insert_submission(&self, s: NewSubmission) -> Result<InsertOutcome, StoreError> {
        let id = s.id;
        // Through the group-commit writer on both databases. On PostgreSQL no lock is taken: the
        // audit entries are appended by the sealer (`Store::seal_audit`).
        if self.writer.insert(s).await? {
            return Ok(InsertOutcome::Inserted);
        }
        let stored = self.submission(&id).await?.ok_or_else(|| StoreError::Corrupt("submission vanished".into()))?;
        Ok(InsertOutcome::Exists(stored))
    }

    /// The submissions of a form in the order they were received, streamed from the database
    /// (never held whole in memory).
    pub fn stream_submissions<'a>(&'a self, study: &'a StudyId, form: &'a FormId) -> BoxStream<'a, Result<SubmissionRow, StoreError>> {
        const SQL: &str = "SELECT id, version, answers, scores, enumerator, received_at, logic_plugin, scoring_plugin
                           FROM submissions WHERE study_id = $1 AND form_id = $2 ORDER BY seq";
        match &self.pool {
            Pool::Sqlite { read, .. } => sqlx::query(SQL)
                .bind(study.as_str())
                .bind(form.as_str())
                .fetch(read)
                .map(|r| submission_row(&r?))
                .boxed(),
            Pool::Postgres(pg) => sqlx::query(SQL)
                .bind(study.as_str())
                .bind(form.as_str())
                .fetch(pg)
                .map(|r| submission_row(&r?))
                .boxed(),
        }
    }

    pub async fn count_submissions(&self, study: &StudyId, form: &FormId) -> Result<i64, StoreError> {
        with_pool!(self, read, |pool| {
            Ok(sqlx::query_scalar("SELECT COUNT(*) FROM submissions WHERE study_id = $1 AND form_id = $2")
                .bind(study.as_str())
                .bind(form.as_str())
                .fetch_one(pool)
                .await?)
        })
    }
}

