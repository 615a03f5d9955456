//! The audit log: append-only and hash-chained.
//!
//! Every change and every export appends an entry in the same transaction as the change itself,
//! so the log and the data cannot disagree. Each entry's `hash` covers its fields and the hash
//! of the entry before it; `seq` runs from 1 without gaps. Editing an entry breaks its hash,
//! deleting one breaks the sequence, and re-forging the rest would need every later hash
//! recomputed: [`Store::verify_audit`] finds the first broken entry.
//!
//! Appends are serialised: SQLite has one writer, and on PostgreSQL the appender takes a
//! transaction-scoped advisory lock before reading the chain's head.

use futures::StreamExt;
use serde::Serialize;
use serde_json::{Value, json};

use super::{Pool, Store, StoreError, rows::CampoRow};
use campo_domain::{now_rfc3339, sha256_hex};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The PostgreSQL advisory-lock key that serialises appends across hosts.
const PG_AUDIT_LOCK: i64 = 0x00ca_390a_0d17;

/// Who did something: a person (by username), through a token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    pub person_id: Option<i64>,
    pub token_id: Option<i64>,
}

impl Actor {
    /// The command line, run by whoever has the database.
    pub fn cli() -> Actor {
        let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
        Actor { name: format!("cli:{user}"), person_id: None, token_id: None }
    }
}

/// Something that happened, before it is sealed into the chain.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub actor: Actor,
    /// What happened, `noun.verb`: `submission.create`, `submission.review`, `export.csv`…
    pub action: &'static str,
    pub study: Option<String>,
    /// What it happened to (a submission id, a form, a username).
    pub target: Option<String>,
    pub details: Value,
}

impl AuditEvent {
    pub fn new(actor: &Actor, action: &'static str, study: Option<&str>, target: Option<&str>, details: Value) -> AuditEvent {
        AuditEvent {
            actor: actor.clone(),
            action,
            study: study.map(str::to_string),
            target: target.map(str::to_string),
            details,
        }
    }
}

/// What the `submission.create` entry of a stored submission says.
pub(crate) struct SubmissionFacts {
    pub id: String,
    pub study: String,
    pub form: String,
    pub version: String,
    pub case: Option<String>,
    pub request_hash: String,
    pub actor: Actor,
}

impl SubmissionFacts {
    pub fn event(self) -> AuditEvent {
        AuditEvent {
            actor: self.actor,
            action: "submission.create",
            study: Some(self.study),
            target: Some(self.id),
            details: json!({"form": self.form, "version": self.version, "case": self.case, "request_hash": self.request_hash}),
        }
    }
}

fn submission_facts(r: &impl CampoRow) -> Result<SubmissionFacts, StoreError> {
    Ok(SubmissionFacts {
        id: r.get("id")?,
        study: r.get("study_id")?,
        form: r.get("form_id")?,
        version: r.get("version")?,
        case: r.get("case_key")?,
        request_hash: r.get("request_hash")?,
        actor: Actor { name: r.get("enumerator")?, person_id: r.get("person_id")?, token_id: r.get("token_id")? },
    })
}

/// The most submissions one sealing transaction appends.
pub const SEAL_BATCH: i64 = 500;

/// How often the audit sealer looks for unsealed submissions.
pub const SEAL_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

/// Appends the audit entries of submissions stored without one (see [`Store::seal_audit`]), a
/// batch at a time, every [`SEAL_EVERY`] or at once while there is a backlog. Runs until its
/// task is aborted; the server does so at shutdown, then seals what is left.
pub async fn seal_forever(store: Store) {
    loop {
        match store.seal_audit(SEAL_BATCH).await {
            Ok(n) if n as i64 == SEAL_BATCH => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "audit sealing failed; retrying"),
        }
        tokio::time::sleep(SEAL_EVERY).await;
    }
}

/// An entry as stored.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub person_id: Option<i64>,
    pub token_id: Option<i64>,
    pub action: String,
    pub study: Option<String>,
    pub target: Option<String>,
    /// JSON text, exactly as hashed.
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEntry {
    /// The hash this entry must carry: sha256 over its fields and `prev_hash`, as a JSON array
    /// (unambiguous: no field can run into the next).
    pub fn expected_hash(&self) -> String {
        let fields = json!([
            self.seq,
            self.at,
            self.actor,
            self.person_id,
            self.token_id,
            self.action,
            self.study,
            self.target,
            self.details,
            self.prev_hash
        ]);
        sha256_hex(fields.to_string().as_bytes())
    }
}

fn audit_entry(r: &impl CampoRow) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        seq: r.get("seq")?,
        at: r.get("at")?,
        actor: r.get("actor")?,
        person_id: r.get("person_id")?,
        token_id: r.get("token_id")?,
        action: r.get("action")?,
        study: r.get("study_id")?,
        target: r.get("target")?,
        details: r.get("details")?,
        prev_hash: r.get("prev_hash")?,
        hash: r.get("hash")?,
    })
}

const COLUMNS: &str = "seq, at, actor, person_id, token_id, action, study_id, target, details, prev_hash, hash";

/// Appends events to the chain inside the caller's transaction.
pub(crate) trait AppendAudit {
    async fn append_audit(&mut self, events: &[AuditEvent]) -> Result<(), sqlx::Error>;
}

macro_rules! append_audit_impl {
    ($conn:ty, $lock:expr, $insert:ident) => {
        impl AppendAudit for $conn {
            async fn append_audit(&mut self, events: &[AuditEvent]) -> Result<(), sqlx::Error> {
                if events.is_empty() {
                    return Ok(());
                }
                if let Some(lock) = $lock {
                    sqlx::query(lock).bind(PG_AUDIT_LOCK).execute(&mut *self).await?;
                }
                let head: Option<(i64, String)> = sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                    .fetch_optional(&mut *self)
                    .await?;
                $insert(self, &chained(events, head)).await
            }
        }
    };
}
append_audit_impl!(sqlx::SqliteConnection, None::<&'static str>, insert_each);
append_audit_impl!(sqlx::PgConnection, Some("SELECT pg_advisory_xact_lock($1)"), insert_all_at_once);

/// The entries `events` become after `head` (the chain's last `seq` and `hash`).
fn chained(events: &[AuditEvent], head: Option<(i64, String)>) -> Vec<AuditEntry> {
    let (mut seq, mut prev_hash) = head.unwrap_or((0, GENESIS.to_string()));
    let at = now_rfc3339();
    events
        .iter()
        .map(|event| {
            seq += 1;
            let mut entry = AuditEntry {
                seq,
                at: at.clone(),
                actor: event.actor.name.clone(),
                person_id: event.actor.person_id,
                token_id: event.actor.token_id,
                action: event.action.to_string(),
                study: event.study.clone(),
                target: event.target.clone(),
                details: event.details.to_string(),
                prev_hash: std::mem::take(&mut prev_hash),
                hash: String::new(),
            };
            entry.hash = entry.expected_hash();
            prev_hash = entry.hash.clone();
            entry
        })
        .collect()
}

/// SQLite: a statement per entry (in-process, no round trips to save).
async fn insert_each(conn: &mut sqlx::SqliteConnection, entries: &[AuditEntry]) -> Result<(), sqlx::Error> {
    for entry in entries {
        sqlx::query(
            "INSERT INTO audit_log (seq, at, actor, person_id, token_id, action, study_id, target, details, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(entry.seq)
        .bind(&entry.at)
        .bind(&entry.actor)
        .bind(entry.person_id)
        .bind(entry.token_id)
        .bind(&entry.action)
        .bind(&entry.study)
        .bind(&entry.target)
        .bind(&entry.details)
        .bind(&entry.prev_hash)
        .bind(&entry.hash)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// PostgreSQL: every entry in one statement (`UNNEST` of one array per column), so sealing a
/// batch of submissions is one round trip, not one per submission.
async fn insert_all_at_once(conn: &mut sqlx::PgConnection, entries: &[AuditEntry]) -> Result<(), sqlx::Error> {
    let text = |f: fn(&AuditEntry) -> &str| entries.iter().map(f).collect::<Vec<&str>>();
    let optional = |f: fn(&AuditEntry) -> Option<&str>| entries.iter().map(f).collect::<Vec<Option<&str>>>();
    let number = |f: fn(&AuditEntry) -> Option<i64>| entries.iter().map(f).collect::<Vec<Option<i64>>>();
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, person_id, token_id, action, study_id, target, details, prev_hash, hash)
         SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[],
                              $8::text[], $9::text[], $10::text[], $11::text[])",
    )
    .bind(entries.iter().map(|e| e.seq).collect::<Vec<i64>>())
    .bind(text(|e| &e.at))
    .bind(text(|e| &e.actor))
    .bind(number(|e| e.person_id))
    .bind(number(|e| e.token_id))
    .bind(text(|e| &e.action))
    .bind(optional(|e| e.study.as_deref()))
    .bind(optional(|e| e.target.as_deref()))
    .bind(text(|e| &e.details))
    .bind(text(|e| &e.prev_hash))
    .bind(text(|e| &e.hash))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Where the chain first breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditBreak {
    #[error("entry {found} follows entry {previous}: entries {expected} to {} are missing", found - 1)]
    Gap { previous: i64, expected: i64, found: i64 },
    #[error("entry {seq} does not carry the hash of entry {previous} (edited, or an entry was removed)")]
    Link { seq: i64, previous: i64 },
    #[error("entry {seq} was altered: its fields no longer match its hash")]
    Altered { seq: i64 },
}

impl AuditBreak {
    /// The entry the chain breaks at (for a gap, the first missing one).
    pub fn seq(&self) -> i64 {
        match self {
            AuditBreak::Gap { expected, .. } => *expected,
            AuditBreak::Link { seq, .. } | AuditBreak::Altered { seq } => *seq,
        }
    }
}

/// What [`Store::verify_audit`] found.
#[derive(Debug, Clone)]
pub struct AuditReport {
    pub entries: i64,
    pub head: Option<String>,
    pub broken: Option<AuditBreak>,
}

/// One page of the log.
#[derive(Debug, Clone, Serialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_after: Option<i64>,
}

impl Store {
    /// Appends the `submission.create` entries of submissions stored without one (PostgreSQL's
    /// hot path; rows from before the audit log), oldest first, and marks them. Safe on several
    /// hosts at once: rows another sealer holds are skipped. Returns how many were sealed.
    pub async fn seal_audit(&self, limit: i64) -> Result<usize, StoreError> {
        const PENDING: &str = "SELECT p.submission_seq, s.id, s.study_id, s.form_id, s.version, s.case_key, s.request_hash,
             s.enumerator, s.person_id, s.token_id FROM audit_pending p JOIN submissions s ON s.seq = p.submission_seq
             ORDER BY p.submission_seq LIMIT $1";
        let any: Option<i64> = with_pool!(self, read, |pool| {
            sqlx::query_scalar("SELECT submission_seq FROM audit_pending LIMIT 1").fetch_optional(pool).await?
        });
        if any.is_none() {
            return Ok(0);
        }
        macro_rules! seal {
            ($begin:expr, $select:expr, |$tx:ident, $seqs:ident| $delete:expr) => {{
                let mut $tx = $begin.await?;
                let rows = sqlx::query($select).bind(limit).fetch_all(&mut *$tx).await?;
                let $seqs = rows.iter().map(|r| r.get("submission_seq")).collect::<Result<Vec<i64>, StoreError>>()?;
                let events = rows
                    .iter()
                    .map(|r| submission_facts(r).map(SubmissionFacts::event))
                    .collect::<Result<Vec<AuditEvent>, StoreError>>()?;
                $tx.append_audit(&events).await?;
                $delete;
                $tx.commit().await?;
                Ok($seqs.len())
            }};
        }
        match &self.pool {
            // IMMEDIATE: another process on the same file makes this wait, not fail mid-way.
            Pool::Sqlite { write, .. } => seal!(write.begin_with("BEGIN IMMEDIATE"), PENDING, |tx, seqs| {
                for seq in &seqs {
                    sqlx::query("DELETE FROM audit_pending WHERE submission_seq = $1").bind(seq).execute(&mut *tx).await?;
                }
            }),
            // Rows another host's sealer holds are skipped, not waited for or sealed twice.
            Pool::Postgres(pg) => seal!(pg.begin(), sqlx::AssertSqlSafe(format!("{PENDING} FOR UPDATE OF p SKIP LOCKED")), |tx, seqs| {
                sqlx::query("DELETE FROM audit_pending WHERE submission_seq = ANY($1)").bind(&seqs).execute(&mut *tx).await?;
            }),
        }
    }

    /// Submissions not yet in the audit log (the sealer appends them within a second).
    pub async fn unsealed_submissions(&self) -> Result<i64, StoreError> {
        with_pool!(self, read, |pool| Ok(sqlx::query_scalar("SELECT COUNT(*) FROM audit_pending").fetch_one(pool).await?))
    }

    /// Appends events in a transaction of their own (changes that have no other write).
    pub async fn audit(&self, events: &[AuditEvent]) -> Result<(), StoreError> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            tx.append_audit(events).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Walks the whole chain from the first entry.
    pub async fn verify_audit(&self) -> Result<AuditReport, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM audit_log ORDER BY seq"));
        let mut report = AuditReport { entries: 0, head: None, broken: None };
        let (mut previous, mut prev_hash) = (0i64, GENESIS.to_string());
        macro_rules! walk {
            ($pool:expr) => {{
                let mut rows = sqlx::query(sql).fetch($pool);
                while let Some(row) = rows.next().await {
                    let entry = audit_entry(&row?)?;
                    report.entries += 1;
                    let broken = if entry.seq != previous + 1 {
                        Some(AuditBreak::Gap { previous, expected: previous + 1, found: entry.seq })
                    } else if entry.prev_hash != prev_hash {
                        Some(AuditBreak::Link { seq: entry.seq, previous })
                    } else if entry.hash != entry.expected_hash() {
                        Some(AuditBreak::Altered { seq: entry.seq })
                    } else {
                        None
                    };
                    if broken.is_some() {
                        report.broken = broken;
                        break;
                    }
                    previous = entry.seq;
                    prev_hash = entry.hash;
                }
            }};
        }
        match &self.pool {
            Pool::Sqlite { read, .. } => walk!(read),
            Pool::Postgres(pg) => walk!(pg),
        }
        report.head = (previous > 0).then_some(prev_hash);
        Ok(report)
    }

    /// A page of the log, oldest first, after entry `after`; only `study`'s entries when given.
    pub async fn audit_page(&self, study: Option<&str>, after: i64, limit: i64) -> Result<AuditPage, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM audit_log WHERE seq > $1 AND ($2 IS NULL OR study_id = $2) ORDER BY seq LIMIT $3"
        ));
        let entries = with_pool!(self, read, |pool| {
            sqlx::query(sql)
                .bind(after)
                .bind(study)
                .bind(limit + 1)
                .fetch_all(pool)
                .await?
                .iter()
                .map(audit_entry)
                .collect::<Result<Vec<_>, StoreError>>()
        })?;
        let mut entries = entries;
        let next_after = if entries.len() as i64 > limit {
            entries.truncate(limit as usize);
            entries.last().map(|e| e.seq)
        } else {
            None
        };
        Ok(AuditPage { entries, next_after })
    }
}
