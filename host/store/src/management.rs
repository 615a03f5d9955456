//! Study management in the store: people and their memberships, teams, cases, review states,
//! corrections kept as revisions. Every change appends its audit entry in its own transaction.

use serde::Serialize;
use serde_json::{Value, json};

use super::{
    Pool, Store, StoreError,
    audit::{Actor, AppendAudit, AuditEvent},
    rows::{CampoRow, Json},
};
use campo_domain::{CaseKey, FormId, PluginHash, ReviewState, Role, StudyId, TeamId, Timestamp, Username, now_rfc3339};

/// The `role` a sign-in session's token row carries: "the person's own memberships".
pub const SESSION_ROLE: &str = "person";

/// A token to store (the hash only; the secret is never stored).
pub struct NewToken<'a> {
    pub hash: &'a str,
    /// `None`: a sign-in session with the person's memberships.
    pub role: Option<Role>,
    pub study: Option<&'a StudyId>,
    pub team: Option<&'a TeamId>,
    pub label: &'a str,
    pub person_id: Option<i64>,
    pub expires_at: Option<&'a str>,
}

/// A person's role in one study.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Membership {
    pub study: StudyId,
    pub role: Role,
    /// Limited to this team's responses and cases.
    pub team: Option<TeamId>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Person {
    pub id: i64,
    pub username: String,
    pub name: String,
    pub is_admin: bool,
    pub active: bool,
    pub created_at: Timestamp,
    pub memberships: Vec<Membership>,
}

/// What password sign-in needs to know about a person.
#[derive(Debug, Clone)]
pub struct SignInRecord {
    pub id: i64,
    pub username: String,
    pub password_hash: Option<String>,
    pub active: bool,
    pub failed_logins: i64,
    pub last_failed_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Team {
    pub id: TeamId,
    pub name: String,
}

/// A case to import.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub key: CaseKey,
    pub form: FormId,
    pub team: Option<TeamId>,
    pub assignee: Option<i64>,
    /// Shown to the enumerator: the CSV's other columns.
    pub attributes: serde_json::Map<String, Value>,
}

/// A case with its progress.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    pub key: CaseKey,
    pub form: FormId,
    pub team: Option<TeamId>,
    pub assignee: Option<Username>,
    pub attributes: Value,
    /// Responses that name this case.
    pub responses: i64,
}

/// A stored response's bookkeeping: who, where it stands, which revision.
#[derive(Debug, Clone)]
pub struct SubmissionMeta {
    pub id: String,
    pub study: StudyId,
    pub form: FormId,
    pub version: String,
    pub revision: i64,
    pub review: ReviewState,
    pub enumerator: String,
    pub person_id: Option<i64>,
    pub token_id: Option<i64>,
    pub team: Option<TeamId>,
}

/// One revision of a response.
#[derive(Debug, Clone, Serialize)]
pub struct Revision {
    pub revision: i64,
    pub version: String,
    pub answers: Value,
    pub scores: Value,
    pub warnings: Value,
    pub author: String,
    pub created_at: Timestamp,
}

/// A new revision to store over `expected_revision`.
#[derive(Debug, Clone)]
pub struct NewRevision {
    pub id: String,
    pub expected_revision: i64,
    pub version: String,
    pub answers_json: String,
    pub scores_json: String,
    pub warnings_json: String,
    pub logic_plugin: Option<PluginHash>,
    pub scoring_plugin: Option<PluginHash>,
    /// The review state after the correction.
    pub review: ReviewState,
}

/// A response sent back to its enumerator (`has_issues`), with the supervisor's comment.
#[derive(Debug, Clone, Serialize)]
pub struct Returned {
    pub id: String,
    pub form: String,
    pub version: String,
    pub revision: i64,
    pub answers: Value,
    pub comment: Option<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<Timestamp>,
    pub case: Option<CaseKey>,
}

fn membership(r: &impl CampoRow) -> Result<Membership, StoreError> {
    Ok(Membership {
        study: r.get("study_id")?,
        role: r.get("role")?,
        team: r.get("team_id")?,
    })
}

fn submission_meta(r: &impl CampoRow) -> Result<SubmissionMeta, StoreError> {
    Ok(SubmissionMeta {
        id: r.get("id")?,
        study: r.get("study_id")?,
        form: r.get("form_id")?,
        version: r.get("version")?,
        revision: r.get("revision")?,
        review: r.get("review_state")?,
        enumerator: r.get("enumerator")?,
        person_id: r.get("person_id")?,
        token_id: r.get("token_id")?,
        team: r.get("team_id")?,
    })
}

fn revision(r: &impl CampoRow) -> Result<Revision, StoreError> {
    Ok(Revision {
        revision: r.get("revision")?,
        version: r.get("version")?,
        answers: r.get::<Json<_>>("answers")?.0,
        scores: r.get::<Json<_>>("scores")?.0,
        warnings: r.get::<Json<_>>("warnings")?.0,
        author: r.get("author")?,
        created_at: r.get("created_at")?,
    })
}

/// A unique-constraint violation, on either database.
fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

impl Store {
    // ---- people -------------------------------------------------------------------------

    /// Creates a person; `Duplicate` when the username is taken.
    pub async fn create_person(&self, username: &Username, name: &str, password_hash: Option<&str>, is_admin: bool, actor: &Actor) -> Result<i64, StoreError> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO people (username, name, password_hash, is_admin, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(username.as_str())
            .bind(name)
            .bind(password_hash)
            .bind(is_admin as i64)
            .bind(now_rfc3339())
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| if is_unique_violation(&e) { StoreError::Duplicate(format!("person {username}")) } else { e.into() })?;
            tx.append_audit(&[AuditEvent::new(
                actor,
                "person.create",
                None,
                Some(username.as_str()),
                json!({"name": name, "admin": is_admin, "password": password_hash.is_some()}),
            )])
            .await?;
            tx.commit().await?;
            Ok(id)
        })
    }

    pub async fn sign_in_record(&self, username: &str) -> Result<Option<SignInRecord>, StoreError> {
        with_pool!(self, read, |pool| {
            sqlx::query("SELECT id, username, password_hash, deactivated_at, failed_logins, last_failed_at FROM people WHERE username = $1")
                .bind(username)
                .fetch_optional(pool)
                .await?
                .map(|r| {
                    Ok(SignInRecord {
                        id: r.get("id")?,
                        username: r.get("username")?,
                        password_hash: r.get("password_hash")?,
                        active: r.is_null("deactivated_at")?,
                        failed_logins: r.get("failed_logins")?,
                        last_failed_at: r.get("last_failed_at")?,
                    })
                })
                .transpose()
        })
    }

    /// Counts a failed sign-in (or clears the count after a good one).
    pub async fn record_sign_in(&self, person_id: i64, ok: bool) -> Result<(), StoreError> {
        with_pool!(self, write, |pool| {
            if ok {
                sqlx::query("UPDATE people SET failed_logins = 0, last_failed_at = NULL WHERE id = $1").bind(person_id).execute(pool).await?;
            } else {
                sqlx::query("UPDATE people SET failed_logins = failed_logins + 1, last_failed_at = $1 WHERE id = $2")
                    .bind(now_rfc3339())
                    .bind(person_id)
                    .execute(pool)
                    .await?;
            }
            Ok(())
        })
    }

    pub async fn people(&self) -> Result<Vec<Person>, StoreError> {
        with_pool!(self, read, |pool| {
            let rows = sqlx::query("SELECT id, username, name, is_admin, created_at, deactivated_at FROM people ORDER BY username")
                .fetch_all(pool)
                .await?;
            let grants = sqlx::query("SELECT person_id, study_id, role, team_id FROM memberships ORDER BY study_id").fetch_all(pool).await?;
            rows.iter()
                .map(|r| {
                    let id: i64 = r.get("id")?;
                    let memberships = grants
                        .iter()
                        .filter(|g| g.get::<i64>("person_id").is_ok_and(|p| p == id))
                        .map(membership)
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok(Person {
                        id,
                        username: r.get("username")?,
                        name: r.get("name")?,
                        is_admin: r.get("is_admin")?,
                        active: r.is_null("deactivated_at")?,
                        created_at: r.get("created_at")?,
                        memberships,
                    })
                })
                .collect()
        })
    }

    /// Every active person's id by username (to resolve a case file's enumerators).
    pub async fn active_person_ids(&self) -> Result<std::collections::HashMap<String, i64>, StoreError> {
        with_pool!(self, read, |pool| {
            let rows: Vec<(String, i64)> =
                sqlx::query_as("SELECT username, id FROM people WHERE deactivated_at IS NULL").fetch_all(pool).await?;
            Ok(rows.into_iter().collect())
        })
    }

    pub async fn person_id(&self, username: &str) -> Result<Option<i64>, StoreError> {
        with_pool!(self, read, |pool| {
            Ok(sqlx::query_scalar("SELECT id FROM people WHERE username = $1").bind(username).fetch_optional(pool).await?)
        })
    }

    /// Deactivates (or reactivates) a person: their tokens stop working on the next request.
    pub async fn set_person_active(&self, username: &str, active: bool, actor: &Actor) -> Result<bool, StoreError> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            let done = sqlx::query("UPDATE people SET deactivated_at = $1 WHERE username = $2")
                .bind((!active).then(now_rfc3339))
                .bind(username)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 1 {
                let action = if active { "person.activate" } else { "person.deactivate" };
                tx.append_audit(&[AuditEvent::new(actor, action, None, Some(username), json!({}))]).await?;
            }
            tx.commit().await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Gives a person a role in a study (replacing the one they had there).
    pub async fn grant(&self, person_id: i64, grant: &Membership, actor: &Actor) -> Result<(), StoreError> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO memberships (person_id, study_id, role, team_id, created_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (person_id, study_id) DO UPDATE SET role = excluded.role, team_id = excluded.team_id",
            )
            .bind(person_id)
            .bind(grant.study.as_str())
            .bind(grant.role.as_str())
            .bind(grant.team.as_ref().map(TeamId::as_str))
            .bind(now_rfc3339())
            .execute(&mut *tx)
            .await?;
            tx.append_audit(&[AuditEvent::new(
                actor,
                "membership.grant",
                Some(grant.study.as_str()),
                Some(&person_id.to_string()),
                json!({"role": grant.role.as_str(), "team": grant.team.as_ref().map(TeamId::as_str)}),
            )])
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn memberships(&self, person_id: i64) -> Result<Vec<Membership>, StoreError> {
        with_pool!(self, read, |pool| {
            sqlx::query("SELECT study_id, role, team_id FROM memberships WHERE person_id = $1 ORDER BY study_id")
                .bind(person_id)
                .fetch_all(pool)
                .await?
                .iter()
                .map(membership)
                .collect()
        })
    }

    // ---- teams --------------------------------------------------------------------------

    /// Adds teams to a study, or renames existing ones.
    pub async fn upsert_teams(&self, study: &StudyId, teams: &[Team], actor: &Actor) -> Result<(), StoreError> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            for team in teams {
                sqlx::query(
                    "INSERT INTO teams (study_id, id, name, created_at) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (study_id, id) DO UPDATE SET name = excluded.name",
                )
                .bind(study.as_str())
                .bind(team.id.as_str())
                .bind(&team.name)
                .bind(now_rfc3339())
                .execute(&mut *tx)
                .await?;
            }
            let ids: Vec<&str> = teams.iter().map(|t| t.id.as_str()).collect();
            tx.append_audit(&[AuditEvent::new(actor, "team.upsert", Some(study.as_str()), None, json!({"teams": ids}))]).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn teams(&self, study: &StudyId) -> Result<Vec<Team>, StoreError> {
        with_pool!(self, read, |pool| {
            sqlx::query("SELECT id, name FROM teams WHERE study_id = $1 ORDER BY id")
                .bind(study.as_str())
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| Ok(Team { id: r.get("id")?, name: r.get("name")? }))
                .collect()
        })
    }

    // ---- cases --------------------------------------------------------------------------

    /// Imports a sample list in one transaction: new keys are added, known keys updated.
    /// The caller has checked teams, forms and assignees exist and keys are unique.
    pub async fn import_cases(&self, study: &StudyId, cases: &[NewCase], actor: &Actor) -> Result<(), StoreError> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            let now = now_rfc3339();
            for case in cases {
                sqlx::query(
                    "INSERT INTO cases (study_id, case_key, form_id, team_id, assignee_id, attributes, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)
                     ON CONFLICT (study_id, case_key) DO UPDATE SET form_id = excluded.form_id, team_id = excluded.team_id,
                     assignee_id = excluded.assignee_id, attributes = excluded.attributes",
                )
                .bind(study.as_str())
                .bind(case.key.as_str())
                .bind(case.form.as_str())
                .bind(case.team.as_ref().map(TeamId::as_str))
                .bind(case.assignee)
                .bind(Value::Object(case.attributes.clone()).to_string())
                .bind(&now)
                .execute(&mut *tx)
                .await?;
            }
            tx.append_audit(&[AuditEvent::new(actor, "case.import", Some(study.as_str()), None, json!({"cases": cases.len()}))]).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// A study's cases with their progress; only one team's, or one enumerator's, when given.
    pub async fn cases(&self, study: &StudyId, team: Option<&str>, assignee: Option<i64>) -> Result<Vec<Case>, StoreError> {
        with_pool!(self, read, |pool| {
            sqlx::query(
                "SELECT c.case_key, c.form_id, c.team_id, p.username, c.attributes,
                 (SELECT COUNT(*) FROM submissions s WHERE s.study_id = c.study_id AND s.case_key = c.case_key) AS responses
                 FROM cases c LEFT JOIN people p ON p.id = c.assignee_id
                 WHERE c.study_id = $1 AND ($2 IS NULL OR c.team_id = $2) AND ($3 IS NULL OR c.assignee_id = $3)
                 ORDER BY c.case_key",
            )
            .bind(study.as_str())
            .bind(team)
            .bind(assignee)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| {
                Ok(Case {
                    key: r.get("case_key")?,
                    form: r.get("form_id")?,
                    team: r.get("team_id")?,
                    assignee: r.get("username")?,
                    attributes: r.get::<Json<_>>("attributes")?.0,
                    responses: r.get("responses")?,
                })
            })
            .collect()
        })
    }

    /// A case's form and team, or `None` when the study has no such case.
    pub async fn case_placement(&self, study: &StudyId, key: &CaseKey) -> Result<Option<(String, Option<String>)>, StoreError> {
        with_pool!(self, read, |pool| {
            Ok(sqlx::query_as("SELECT form_id, team_id FROM cases WHERE study_id = $1 AND case_key = $2")
                .bind(study.as_str())
                .bind(key.as_str())
                .fetch_optional(pool)
                .await?)
        })
    }

    // ---- review and revisions -----------------------------------------------------------

    pub async fn submission_meta(&self, id: &str) -> Result<Option<SubmissionMeta>, StoreError> {
        with_pool!(self, read, |pool| {
            sqlx::query(
                "SELECT id, study_id, form_id, version, revision, review_state, enumerator, person_id, token_id, team_id
                 FROM submissions WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
            .map(|r| submission_meta(&r))
            .transpose()
        })
    }

    /// Sets a response's review state, with the audit entry.
    pub async fn set_review(&self, id: &str, study: &str, state: ReviewState, comment: Option<&str>, actor: &Actor) -> Result<(), StoreError> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(
                "UPDATE submissions SET review_state = $1, review_comment = $2, reviewed_by = $3, reviewed_at = $4 WHERE id = $5",
            )
            .bind(state.as_str())
            .bind(comment)
            .bind(&actor.name)
            .bind(now_rfc3339())
            .bind(id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::Corrupt(format!("submission {id} vanished")));
            }
            tx.append_audit(&[AuditEvent::new(actor, "submission.review", Some(study), Some(id), json!({"state": state.as_str(), "comment": comment}))])
                .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Stores a correction as a new revision; the earlier ones are kept. `Concurrent` when
    /// another correction landed since the caller read `expected_revision`.
    pub async fn add_revision(&self, new: &NewRevision, study: &str, actor: &Actor) -> Result<i64, StoreError> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            // A response never corrected keeps its first revision only in `submissions`: copy
            // it out before it is overwritten.
            sqlx::query(
                "INSERT INTO submission_revisions (submission_id, revision, version, answers, scores, warnings, logic_plugin,
                 scoring_plugin, author, person_id, token_id, created_at)
                 SELECT id, revision, version, answers, scores, warnings, logic_plugin, scoring_plugin, enumerator, person_id,
                 token_id, received_at FROM submissions
                 WHERE id = $1 AND revision = 1 AND NOT EXISTS (SELECT 1 FROM submission_revisions WHERE submission_id = $1)",
            )
            .bind(&new.id)
            .execute(&mut *tx)
            .await?;
            let next = new.expected_revision + 1;
            let now = now_rfc3339();
            let updated = sqlx::query(
                "UPDATE submissions SET revision = $1, version = $2, answers = $3, scores = $4, warnings = $5, logic_plugin = $6,
                 scoring_plugin = $7, score_plugins = NULL, review_state = $8, updated_at = $9 WHERE id = $10 AND revision = $11",
            )
            .bind(next)
            .bind(&new.version)
            .bind(&new.answers_json)
            .bind(&new.scores_json)
            .bind(&new.warnings_json)
            .bind(new.logic_plugin.as_ref().map(PluginHash::as_str))
            .bind(new.scoring_plugin.as_ref().map(PluginHash::as_str))
            .bind(new.review.as_str())
            .bind(&now)
            .bind(&new.id)
            .bind(new.expected_revision)
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::Concurrent(format!("submission {}", new.id)));
            }
            sqlx::query(
                "INSERT INTO submission_revisions (submission_id, revision, version, answers, scores, warnings, logic_plugin,
                 scoring_plugin, author, person_id, token_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(&new.id)
            .bind(next)
            .bind(&new.version)
            .bind(&new.answers_json)
            .bind(&new.scores_json)
            .bind(&new.warnings_json)
            .bind(new.logic_plugin.as_ref().map(PluginHash::as_str))
            .bind(new.scoring_plugin.as_ref().map(PluginHash::as_str))
            .bind(&actor.name)
            .bind(actor.person_id)
            .bind(actor.token_id)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
            tx.append_audit(&[AuditEvent::new(
                actor,
                "submission.correct",
                Some(study),
                Some(&new.id),
                json!({"revision": next, "version": new.version, "review": new.review.as_str()}),
            )])
            .await?;
            tx.commit().await?;
            Ok(next)
        })
    }

    /// Every revision of a response, oldest first.
    pub async fn revisions(&self, id: &str) -> Result<Vec<Revision>, StoreError> {
        with_pool!(self, read, |pool| {
            let stored = sqlx::query(
                "SELECT revision, version, answers, scores, warnings, author, created_at FROM submission_revisions
                 WHERE submission_id = $1 ORDER BY revision",
            )
            .bind(id)
            .fetch_all(pool)
            .await?;
            if !stored.is_empty() {
                return stored.iter().map(revision).collect();
            }
            sqlx::query(
                "SELECT revision, version, answers, scores, warnings, enumerator AS author, received_at AS created_at
                 FROM submissions WHERE id = $1",
            )
            .bind(id)
            .fetch_all(pool)
            .await?
            .iter()
            .map(revision)
            .collect()
        })
    }

    /// The responses of a study sent back to this enumerator (by person, else by token).
    pub async fn returned_to(&self, study: &StudyId, person_id: Option<i64>, token_id: i64) -> Result<Vec<Returned>, StoreError> {
        with_pool!(self, read, |pool| {
            sqlx::query(
                "SELECT id, form_id, version, revision, answers, review_comment, reviewed_by, reviewed_at, case_key
                 FROM submissions WHERE study_id = $1 AND review_state = 'has_issues'
                 AND (person_id = $2 OR ($2 IS NULL AND token_id = $3)) ORDER BY reviewed_at",
            )
            .bind(study.as_str())
            .bind(person_id)
            .bind(token_id)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| {
                Ok(Returned {
                    id: r.get("id")?,
                    form: r.get("form_id")?,
                    version: r.get("version")?,
                    revision: r.get("revision")?,
                    answers: r.get::<Json<_>>("answers")?.0,
                    comment: r.get("review_comment")?,
                    reviewed_by: r.get("reviewed_by")?,
                    reviewed_at: r.get("reviewed_at")?,
                    case: r.get("case_key")?,
                })
            })
            .collect()
        })
    }

    /// The raw counts behind a study's dashboard (only one team's when `team` is given).
    pub async fn dashboard_counts(&self, study: &StudyId, team: Option<&str>) -> Result<DashboardCounts, StoreError> {
        // Every query is scoped the same way: `$1` the study, `$2` the team or NULL.
        const SCOPE: &str = "study_id = $1 AND ($2 IS NULL OR team_id = $2)";
        const CASE_SCOPE: &str = "c.study_id = $1 AND ($2 IS NULL OR c.team_id = $2)";
        const CASE_DONE: &str =
            "SUM(CASE WHEN EXISTS (SELECT 1 FROM submissions s WHERE s.study_id = c.study_id AND s.case_key = c.case_key) THEN 1 ELSE 0 END)";
        with_pool!(self, read, |pool| {
            macro_rules! scoped {
                ($sql:expr) => {
                    sqlx::query_as(sqlx::AssertSqlSafe($sql)).bind(study.as_str()).bind(team).fetch_all(pool).await?
                };
            }
            Ok(DashboardCounts {
                per_day: scoped!(format!(
                    "SELECT substr(received_at, 1, 10) AS label, COUNT(*) AS n FROM submissions WHERE {SCOPE}
                     GROUP BY substr(received_at, 1, 10) ORDER BY label"
                )),
                per_enumerator: scoped!(format!(
                    "SELECT enumerator AS label, COUNT(*) AS n FROM submissions WHERE {SCOPE} GROUP BY enumerator ORDER BY n DESC, label"
                )),
                per_team: scoped!(format!(
                    "SELECT COALESCE(team_id, '—') AS label, COUNT(*) AS n FROM submissions WHERE {SCOPE}
                     GROUP BY COALESCE(team_id, '—') ORDER BY n DESC, label"
                )),
                review: scoped!(format!("SELECT review_state AS label, COUNT(*) AS n FROM submissions WHERE {SCOPE} GROUP BY review_state")),
                cases_per_team: scoped!(format!(
                    "SELECT COALESCE(c.team_id, '—') AS label, COUNT(*) AS total, {CASE_DONE} AS done FROM cases c
                     WHERE {CASE_SCOPE} GROUP BY COALESCE(c.team_id, '—') ORDER BY label"
                )),
                cases_per_enumerator: scoped!(format!(
                    "SELECT COALESCE(p.username, '—') AS label, COUNT(*) AS total, {CASE_DONE} AS done FROM cases c
                     LEFT JOIN people p ON p.id = c.assignee_id WHERE {CASE_SCOPE} GROUP BY COALESCE(p.username, '—') ORDER BY label"
                )),
                durations: scoped!(format!(
                    "SELECT started_at, completed_at FROM submissions WHERE {SCOPE} AND started_at IS NOT NULL AND completed_at IS NOT NULL"
                )),
                scores: scoped!(format!("SELECT form_id, scores FROM submissions WHERE {SCOPE}")),
            })
        })
    }
}

/// The raw counts behind a dashboard: `(label, count)` and `(label, total, done)` rows.
#[derive(Debug, Clone, Default)]
pub struct DashboardCounts {
    pub per_day: Vec<(String, i64)>,
    pub per_enumerator: Vec<(String, i64)>,
    pub per_team: Vec<(String, i64)>,
    pub review: Vec<(String, i64)>,
    pub cases_per_team: Vec<(String, i64, i64)>,
    pub cases_per_enumerator: Vec<(String, i64, i64)>,
    /// `(started_at, completed_at)` of responses that report both.
    pub durations: Vec<(String, String)>,
    /// `(form, scores JSON)` of every response.
    pub scores: Vec<(String, String)>,
}
