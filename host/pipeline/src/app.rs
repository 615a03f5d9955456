//! The application core shared by the HTTP API and the command line: installing bundles and
//! taking submissions through validation, the logic plugin and the scoring plugin into the store.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use campo_sdk::{Logic, Scores, Severity};
use campo_domain::{CaseKey, FieldError, FormId, PluginHash, ReviewState, StudyId, now_rfc3339, sha256_hex, write_canonical_json};
use campo_form::{FormValidator, relevance};
use campo_runtime::{Entry, FormRef, Limits, PluginError, Runtime, plugin_input};
use campo_store::{
    FormVersionRecord, InsertOutcome, NewSubmission, PublishOutcome, Store, StoreError, StoredSubmission,
    audit::Actor,
    management::{NewRevision, SubmissionMeta},
};
use serde_json::{Value, json};

use crate::{
    bundle::{self, BundleError, BundleFiles},
    gate::{Busy, EvaluationGate, GateSize},
};

/// Everything a request needs, shared behind an `Arc`.
pub struct App {
    pub store: Store,
    pub runtime: Arc<Runtime>,
    /// Published versions never change, so their compiled schemas are cached forever.
    versions: RwLock<HashMap<(StudyId, FormId, String), Arc<PreparedVersion>>>,
    /// Each form's latest version name, read at most once per [`LATEST_VERSION_TTL`]: a
    /// submission that names no version saves a database round trip. An install on this host
    /// clears it at once; one on another host is seen within the TTL.
    latest: RwLock<HashMap<(StudyId, FormId), (String, std::time::Instant)>>,
    /// At most one evaluation per core, and a short queue.
    gate: EvaluationGate,
}

/// How long a form's latest version name is trusted without asking the database again.
pub const LATEST_VERSION_TTL: std::time::Duration = std::time::Duration::from_secs(2);

/// A form version ready to evaluate: the record and its compiled schema.
pub struct PreparedVersion {
    pub record: FormVersionRecord,
    pub validator: FormValidator,
    pub limits: Limits,
}

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error(transparent)]
    Bundle(#[from] BundleError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Plugin(PluginError),
}

/// Why a submission was not stored.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("unknown form {study}/{form}")]
    UnknownForm { study: StudyId, form: FormId },
    #[error("form {study}/{form} has no version {version:?}")]
    UnknownVersion { study: StudyId, form: FormId, version: String },
    #[error("submission {0} was already received with a different body")]
    Conflict(uuid::Uuid),
    #[error("study {study} has no case {case}")]
    UnknownCase { study: StudyId, case: String },
    #[error("case {case} is for form {expected}, not {form}")]
    CaseForm { case: String, expected: String, form: FormId },
    #[error("case {case} belongs to team {case_team}, outside the submitter's team")]
    CaseTeam { case: String, case_team: String },
    #[error("the response is not valid")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Plugin(#[from] PluginError),
    #[error(transparent)]
    Busy(#[from] Busy),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SubmitError {
    /// The server could not finish in time because it was busy: nothing is wrong with the
    /// request, and the same request sent again later will be evaluated.
    pub fn is_overload(&self) -> bool {
        match self {
            SubmitError::Busy(_) => true,
            SubmitError::Plugin(p) => p.is_overload(),
            _ => false,
        }
    }
}

/// A response to store: the client chooses the id, so a retry is recognised.
#[derive(Debug, Clone)]
pub struct SubmissionRequest {
    pub id: uuid::Uuid,
    pub answers: Value,
    /// The form version; the latest published when absent.
    pub version: Option<String>,
    /// The case (from the study's sample list) this response is for.
    pub case: Option<CaseKey>,
    /// When the enumerator opened and finished the form (RFC 3339, as the device reports it).
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
}

/// A correction: new answers for a stored response, kept as a new revision.
#[derive(Debug, Clone)]
pub struct CorrectionRequest {
    pub answers: Value,
    /// The form version to validate against; the response's own version when absent.
    pub version: Option<String>,
}

/// A stored correction.
#[derive(Debug, Clone)]
pub struct CorrectionReceipt {
    pub id: String,
    pub revision: i64,
    pub version: String,
    pub review: ReviewState,
    pub scores: Value,
    pub warnings: Value,
}

/// A stored submission (first time or a retry).
#[derive(Debug, Clone)]
pub struct SubmissionReceipt {
    pub id: String,
    pub version: String,
    pub scores: Value,
    /// Soft checks the logic plugin raised; stored with the response.
    pub warnings: Value,
}

pub enum SubmitOutcome {
    Created(SubmissionReceipt),
    /// The same id with the same body was stored before: nothing new was stored.
    Replayed(SubmissionReceipt),
}

/// Who submitted, as stored with the response.
#[derive(Debug, Clone, Default)]
pub struct Submitter {
    pub name: String,
    pub token_id: Option<i64>,
    pub person_id: Option<i64>,
    /// The submitter's team: the response's team unless its case has one.
    pub team: Option<String>,
}

impl App {
    pub fn new(store: Store, runtime: Arc<Runtime>) -> Arc<App> {
        App::with_gate(store, runtime, GateSize::for_this_machine())
    }

    /// An app whose evaluations are gated to `size` (tests use a small gate).
    pub fn with_gate(store: Store, runtime: Arc<Runtime>, size: GateSize) -> Arc<App> {
        Arc::new(App { store, runtime, versions: RwLock::default(), latest: RwLock::default(), gate: EvaluationGate::new(size) })
    }

    /// Installs a study bundle (see [`bundle`]); installing the same bundle again changes nothing.
    pub async fn install(&self, files: &BundleFiles, actor: &Actor) -> Result<(StudyId, Vec<PublishOutcome>), InstallError> {
        let mut registry_plugins = HashMap::new();
        // Resolve `sha256:` references up front: `bundle::plan` is synchronous.
        for hash in referenced_hashes(files) {
            if let Some(wasm) = self.store.plugin_wasm(&hash).await? {
                registry_plugins.insert(hash, wasm);
            }
        }
        let plan = bundle::plan(files, &|hash| registry_plugins.get(hash).cloned())?;
        // Compile at install, not at the first submission: a module that cannot be compiled is
        // refused here, and the artifact cache is warm before anyone submits.
        for plugin in &plan.plugins {
            let (runtime, hash, wasm) = (self.runtime.clone(), plugin.hash.clone(), plugin.wasm.clone());
            tokio::task::spawn_blocking(move || runtime.load(&hash, &wasm))
                .await
                .map_err(|e| StoreError::Corrupt(format!("plugin task: {e}")))?
                .map_err(InstallError::Plugin)?;
        }
        let outcomes = self.store.publish(&plan, actor).await?;
        if let Ok(mut latest) = self.latest.write() {
            latest.retain(|(study, _), _| *study != plan.study);
        }
        Ok((plan.study, outcomes))
    }

    /// A form version ready to evaluate (`None` version: the latest).
    pub async fn version(&self, study: &StudyId, form: &FormId, version: Option<&str>) -> Result<Arc<PreparedVersion>, SubmitError> {
        // The latest version's name is one small row; its record is then usually cached.
        let latest;
        let version = match version {
            Some(v) => Some(v),
            None => {
                latest = self.latest_version_name(study, form).await?;
                latest.as_deref()
            }
        };
        if let Some(v) = version {
            let key = (study.clone(), form.clone(), v.to_string());
            if let Some(found) = self.versions.read().ok().and_then(|c| c.get(&key).cloned()) {
                return Ok(found);
            }
        }
        let Some(record) = self.store.form_version(study, form, version).await? else {
            return Err(match version {
                Some(v) if self.store.form_exists(study, form).await? => {
                    SubmitError::UnknownVersion { study: study.clone(), form: form.clone(), version: v.to_string() }
                }
                _ => SubmitError::UnknownForm { study: study.clone(), form: form.clone() },
            });
        };
        let key = (study.clone(), form.clone(), record.version.clone());
        if let Some(found) = self.versions.read().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(found);
        }
        let validator = FormValidator::compile(&record.schema)
            .map_err(|e| StoreError::Corrupt(format!("stored schema of {study}/{form}: {e}")))?;
        let limits = Limits::DEFAULT.with(&record.limits);
        let prepared = Arc::new(PreparedVersion { record, validator, limits });
        if let Ok(mut cache) = self.versions.write() {
            cache.insert(key, prepared.clone());
        }
        Ok(prepared)
    }

    async fn latest_version_name(&self, study: &StudyId, form: &FormId) -> Result<Option<String>, StoreError> {
        let key = (study.clone(), form.clone());
        let fresh = self.latest.read().ok().and_then(|cache| {
            cache.get(&key).filter(|(_, read_at)| read_at.elapsed() < LATEST_VERSION_TTL).map(|(name, _)| name.clone())
        });
        if fresh.is_some() {
            return Ok(fresh);
        }
        let name = self.store.latest_version_name(study, form).await?;
        if let (Some(name), Ok(mut cache)) = (&name, self.latest.write()) {
            cache.insert(key, (name.clone(), std::time::Instant::now()));
        }
        Ok(name)
    }

    /// Validates, evaluates, scores and stores one submission.
    pub async fn submit(&self, study: &StudyId, form: &FormId, request: SubmissionRequest, submitter: &Submitter) -> Result<SubmitOutcome, SubmitError> {
        let request_hash = request_hash(&request.answers, request.version.as_deref());
        // No look-up of the id first: a new submission (the common case) costs no extra round
        // trip, and a retry meets the stored one at insert (`InsertOutcome::Exists`) below.
        let version = self.version(study, form, request.version.as_deref()).await?;
        let mut team = submitter.team.clone();
        if let Some(case) = &request.case {
            let Some((case_form, case_team)) = self.store.case_placement(study, case).await? else {
                return Err(SubmitError::UnknownCase { study: study.clone(), case: case.to_string() });
            };
            if case_form != form.as_str() {
                return Err(SubmitError::CaseForm { case: case.to_string(), expected: case_form, form: form.clone() });
            }
            if let Some(case_team) = case_team {
                if submitter.team.as_ref().is_some_and(|own| *own != case_team) {
                    return Err(SubmitError::CaseTeam { case: case.to_string(), case_team });
                }
                team = Some(case_team);
            }
        }
        let (answers, evaluation) = self.evaluate(&version, request.answers).await?;

        let submission = NewSubmission {
            id: request.id,
            study: study.clone(),
            form: form.clone(),
            version: version.record.version.clone(),
            request_hash: request_hash.clone(),
            answers_json: answers.to_string(),
            scores_json: evaluation.scores.to_string(),
            warnings_json: evaluation.warnings.to_string(),
            enumerator: submitter.name.clone(),
            token_id: submitter.token_id,
            received_at: now_rfc3339(),
            logic_plugin: version.record.logic_plugin.clone(),
            scoring_plugin: version.record.scoring_plugin.clone(),
            person_id: submitter.person_id,
            case_key: request.case.as_ref().map(|c| c.to_string()),
            team_id: team,
            started_at: request.started_at.clone(),
            completed_at: request.completed_at.clone(),
        };
        let version_name = submission.version.clone();
        match self.store.insert_submission(submission).await? {
            InsertOutcome::Inserted => Ok(SubmitOutcome::Created(SubmissionReceipt {
                id: request.id.to_string(),
                version: version_name,
                scores: evaluation.scores,
                warnings: evaluation.warnings,
            })),
            // Another request with the same id won the race (a retry, or another host).
            InsertOutcome::Exists(stored) => replay(stored, &request_hash, study, form, request.id),
        }
    }

    /// Stores a correction of a stored response as a new revision, re-validated and re-scored
    /// exactly as a submission. The caller has checked who may correct it and that `meta` (the
    /// response as read then) belongs to `study`/`form`; a concurrent correction makes this one
    /// fail, not overwrite it.
    pub async fn correct(
        &self,
        study: &StudyId,
        form: &FormId,
        meta: &SubmissionMeta,
        request: CorrectionRequest,
        review_after: ReviewState,
        editor: &Actor,
    ) -> Result<CorrectionReceipt, SubmitError> {
        let version = self.version(study, form, Some(request.version.as_deref().unwrap_or(&meta.version))).await?;
        let (answers, evaluation) = self.evaluate(&version, request.answers).await?;
        let revision = NewRevision {
            id: meta.id.clone(),
            expected_revision: meta.revision,
            version: version.record.version.clone(),
            answers_json: answers.to_string(),
            scores_json: evaluation.scores.to_string(),
            warnings_json: evaluation.warnings.to_string(),
            logic_plugin: version.record.logic_plugin.clone(),
            scoring_plugin: version.record.scoring_plugin.clone(),
            review: review_after,
        };
        let number = self.store.add_revision(&revision, study.as_str(), editor).await?;
        Ok(CorrectionReceipt {
            id: meta.id.clone(),
            revision: number,
            version: revision.version,
            review: review_after,
            scores: evaluation.scores,
            warnings: evaluation.warnings,
        })
    }

    /// Runs a response through the version's schema, logic and scoring, exactly as a submission:
    /// returns the answers with computed values applied, the scores and the warnings, or every
    /// error. All of it runs in one blocking task: schema validation and plugins are CPU work,
    /// and one hand-off per response costs less than one per step.
    pub async fn evaluate(&self, version: &Arc<PreparedVersion>, answers: Value) -> Result<(Value, Evaluation), SubmitError> {
        for plugin in [&version.record.logic_plugin, &version.record.scoring_plugin].into_iter().flatten() {
            self.ensure_loaded(plugin).await?;
        }
        let _turn = self.gate.enter().await?;
        let (runtime, version) = (self.runtime.clone(), version.clone());
        let result = tokio::task::spawn_blocking(move || evaluate_blocking(&runtime, &version, answers))
            .await
            .map_err(|e| StoreError::Corrupt(format!("evaluation task: {e}")))?;
        if let Err(e) = &result {
            if e.is_overload() {
                tracing::warn!(error = %e, "evaluation overran its deadline on a busy server: answering busy");
            }
        }
        result
    }

    /// Runs one entry point of a plugin on `answers` with the version's settings and limits.
    pub async fn run_plugin(&self, plugin: &PluginHash, entry: Entry, version: &PreparedVersion, answers: &Value) -> Result<Value, SubmitError> {
        self.ensure_loaded(plugin).await?;
        let input = envelope(&version.record, answers);
        let runtime = self.runtime.clone();
        let (plugin, limits) = (plugin.clone(), version.limits);
        let _turn = self.gate.enter().await?;
        let result = tokio::task::spawn_blocking(move || runtime.evaluate::<Value>(&plugin, entry, &input, &limits))
            .await
            .map_err(|e| StoreError::Corrupt(format!("plugin task: {e}")))?;
        Ok(result?)
    }

    /// Compiles (or loads the cached artifact of) a stored plugin the first time it is needed.
    pub async fn ensure_loaded(&self, plugin: &PluginHash) -> Result<(), SubmitError> {
        if self.runtime.is_loaded(plugin) {
            return Ok(());
        }
        let wasm = self
            .store
            .plugin_wasm(plugin)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("plugin {plugin} is pinned but not stored")))?;
        let runtime = self.runtime.clone();
        let hash = plugin.clone();
        tokio::task::spawn_blocking(move || runtime.load(&hash, &wasm))
            .await
            .map_err(|e| StoreError::Corrupt(format!("plugin task: {e}")))??;
        Ok(())
    }
}

/// The fingerprint of a submission body that a retry must match: sha256 of the canonical JSON of
/// `{"answers", "version"}` (written without copying the answers).
fn request_hash(answers: &Value, version: Option<&str>) -> String {
    let mut canonical = Vec::with_capacity(2048);
    canonical.extend_from_slice(b"{\"answers\":");
    write_canonical_json(answers, &mut canonical);
    canonical.extend_from_slice(b",\"version\":");
    write_canonical_json(&version.map_or(Value::Null, Value::from), &mut canonical);
    canonical.push(b'}');
    sha256_hex(&canonical)
}

/// The plugin input for `answers` under `record`'s form version.
fn envelope(record: &FormVersionRecord, answers: &Value) -> Vec<u8> {
    let form = FormRef { study: record.study.as_str(), form: record.form.as_str(), version: record.version.as_str() };
    plugin_input(form, answers, &record.settings)
}

/// [`App::evaluate`]'s work, on a blocking thread.
fn evaluate_blocking(runtime: &Runtime, version: &PreparedVersion, mut answers: Value) -> Result<(Value, Evaluation), SubmitError> {
    if !answers.is_object() {
        return Err(SubmitError::Invalid(vec![FieldError {
            path: String::new(),
            code: "schema".into(),
            message: "Las respuestas deben ser un objeto JSON".into(),
            message_en: "answers must be a JSON object".into(),
        }]));
    }
    version.validator.validate(&answers).map_err(SubmitError::Invalid)?;
    let record = &version.record;

    let mut warnings = Vec::new();
    if let Some(logic_plugin) = &record.logic_plugin {
        let logic: Logic = runtime.evaluate(logic_plugin, Entry::Logic, &envelope(record, &answers), &version.limits)?;
        for (path, value) in &logic.computed {
            set_pointer(&mut answers, path, value.clone()).map_err(|reason| PluginError::BadOutput { plugin: logic_plugin.clone(), reason })?;
        }
        let mut errors = logic_errors(&logic, &answers);
        if !logic.computed.is_empty()
            && let Err(schema_errors) = version.validator.validate(&answers)
        {
            errors.extend(schema_errors);
        }
        if !errors.is_empty() {
            return Err(SubmitError::Invalid(errors));
        }
        warnings = logic.issues.iter().filter(|i| i.severity == Severity::Warning).cloned().collect();
    }

    let mut scores = json!({});
    if let Some(scoring_plugin) = &record.scoring_plugin {
        let parsed: Scores = runtime.evaluate(scoring_plugin, Entry::Score, &envelope(record, &answers), &version.limits)?;
        let declared: Vec<&str> = record.scores.iter().map(|s| s.name.as_str()).collect();
        if let Some(unknown) = parsed.scores.keys().find(|name| !declared.is_empty() && !declared.contains(&name.as_str())) {
            return Err(PluginError::BadOutput {
                plugin: scoring_plugin.clone(),
                reason: format!("score {unknown:?} is not declared by the form version"),
            }
            .into());
        }
        scores = serde_json::to_value(&parsed.scores).unwrap_or_default();
    }
    Ok((answers, Evaluation { scores, warnings: serde_json::to_value(warnings).unwrap_or_default() }))
}

/// What a valid response's evaluation yields.
pub struct Evaluation {
    pub scores: Value,
    pub warnings: Value,
}

fn replay(stored: StoredSubmission, request_hash: &str, study: &StudyId, form: &FormId, id: uuid::Uuid) -> Result<SubmitOutcome, SubmitError> {
    if stored.request_hash != request_hash || stored.study != *study || stored.form != *form {
        return Err(SubmitError::Conflict(id));
    }
    Ok(SubmitOutcome::Replayed(SubmissionReceipt {
        id: stored.id,
        version: stored.version,
        scores: stored.scores,
        warnings: stored.warnings,
    }))
}

/// The logic result's refusals: answers to questions that are not relevant, missing answers to
/// relevant required ones, and error-severity issues.
fn logic_errors(logic: &Logic, answers: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (path, state) in &logic.fields {
        let answer = answer_at(answers, path).filter(|v| !is_empty(v));
        if !state.relevant && answer.is_some() {
            errors.push(FieldError {
                path: path.clone(),
                code: "not_relevant".into(),
                message: "Esta pregunta no corresponde según las respuestas anteriores; no debe responderse".into(),
                message_en: "This question does not apply given the earlier answers; it must not be answered".into(),
            });
        } else if state.required && is_relevant(logic, path) && answer.is_none() {
            errors.push(FieldError {
                path: path.clone(),
                code: "required".into(),
                message: "Esta pregunta es obligatoria".into(),
                message_en: "This question is required".into(),
            });
        }
    }
    for issue in logic.issues.iter().filter(|i| i.severity == Severity::Error) {
        errors.push(FieldError {
            path: issue.path.clone(),
            code: issue.code.clone(),
            message: issue.message.es.clone(),
            message_en: issue.message.en.clone(),
        });
    }
    errors
}

/// `answers.pointer(path)` without its allocations: a segment is unescaped (`~1` → `/`, `~0` →
/// `~`) only when it has a `~`. A logic result names every question it rules on, so this runs
/// once per question of the form for each response.
fn answer_at<'a>(answers: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return Some(answers);
    }
    let rest = path.strip_prefix('/')?;
    rest.split('/').try_fold(answers, |value, segment| {
        let key: std::borrow::Cow<str> =
            if segment.contains('~') { segment.replace("~1", "/").replace("~0", "~").into() } else { segment.into() };
        match value {
            Value::Object(map) => map.get(key.as_ref()),
            Value::Array(items) => array_index(&key).and_then(|i| items.get(i)),
            _ => None,
        }
    })
}

/// An array index as RFC 6901 (and serde_json's `pointer`) reads it: digits, no leading zero.
fn array_index(segment: &str) -> Option<usize> {
    if segment.starts_with('+') || (segment.starts_with('0') && segment.len() > 1) {
        return None;
    }
    segment.parse().ok()
}

/// Whether `path` is relevant under `logic` (the relevance rule, [`relevance::is_hidden`]).
fn is_relevant(logic: &Logic, path: &str) -> bool {
    !relevance::is_hidden(path, |p| logic.fields.get(p).is_some_and(|state| !state.relevant))
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.values().all(is_empty),
        _ => false,
    }
}

/// Sets `value` at a JSON Pointer, creating objects on the way; arrays must already hold the index.
fn set_pointer(root: &mut Value, pointer: &str, value: Value) -> Result<(), String> {
    if pointer.is_empty() || !pointer.starts_with('/') {
        return Err(format!("computed path {pointer:?} is not a JSON Pointer"));
    }
    let mut current = root;
    let segments: Vec<String> = pointer[1..].split('/').map(|s| s.replace("~1", "/").replace("~0", "~")).collect();
    let (last, parents) = segments.split_last().ok_or("empty computed path")?;
    for segment in parents {
        current = match current {
            Value::Object(map) => map.entry(segment.clone()).or_insert_with(|| json!({})),
            Value::Array(items) => segment
                .parse::<usize>()
                .ok()
                .and_then(|i| items.get_mut(i))
                .ok_or_else(|| format!("computed path {pointer:?} names a repeat item that does not exist"))?,
            _ => return Err(format!("computed path {pointer:?} goes through an answer that is not a group")),
        };
    }
    match current {
        Value::Object(map) => {
            map.insert(last.clone(), value);
            Ok(())
        }
        _ => Err(format!("computed path {pointer:?} does not end in a group")),
    }
}

fn referenced_hashes(files: &BundleFiles) -> Vec<PluginHash> {
    let Ok(manifest) = files.manifest() else { return Vec::new() };
    manifest
        .get("forms")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|f| [f.get("logic"), f.get("scoring")])
        .flatten()
        .filter_map(Value::as_str)
        .filter_map(|p| p.strip_prefix("sha256:"))
        .filter_map(|h| PluginHash::parse(h).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relevance_by_ancestors_agrees_with_the_sdk() {
        let mut logic = Logic::default();
        logic.hide("hogar/miembros/0").relevant("hogar", true).hide("ingreso").require("edad").hide("");
        logic.fields.insert("sin_barra".into(), campo_sdk::FieldState { relevant: false, required: true });
        for path in ["/hogar/miembros/0", "/hogar/miembros/0/edad", "/hogar/miembros/01", "/hogar/miembros", "/hogar", "/ingreso",
                     "/ingresos", "/edad", "edad", "/", "", "sin_barra", "/sin_barra", "/otra/cosa"] {
            assert_eq!(is_relevant(&logic, path), logic.is_relevant(path), "{path:?}");
        }
    }

    #[test]
    fn answers_are_looked_up_as_serde_json_reads_a_pointer() {
        let answers = json!({"a": {"b/c": 1, "d~e": [10, {"f": null}], "": 2}, "0": "cero", "x": [0, 1]});
        for path in ["", "/", "/a", "/a/b~1c", "/a/d~0e", "/a/d~0e/1/f", "/a/d~0e/01", "/a/d~0e/+1", "/a/d~0e/9", "/a/",
                     "/0", "/x/1", "/x/-1", "/x/1/y", "a", "/a/b/c", "/a/d~e", "/a/d~0e/1/f/g"] {
            assert_eq!(answer_at(&answers, path), answers.pointer(path), "{path:?}");
        }
    }

    #[test]
    fn the_request_hash_is_the_canonical_json_of_answers_and_version() {
        // The first implementation (a sorted copy, then `to_string`): stored hashes came from it,
        // so retries of responses stored before must still match.
        fn sorted(value: &Value) -> Value {
            match value {
                Value::Object(map) => {
                    let mut keys: Vec<&String> = map.keys().collect();
                    keys.sort();
                    Value::Object(keys.into_iter().map(|k| (k.clone(), sorted(&map[k]))).collect())
                }
                Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
                other => other.clone(),
            }
        }
        let answers = json!({"z": [1, {"b": 2.5, "a": "ñ\"x"}], "a": {"y": null, "x": true}, "m": -3, "e": 1e21});
        for version in [None, Some("2017.1")] {
            let old = sha256_hex(sorted(&json!({"answers": &answers, "version": version})).to_string().as_bytes());
            assert_eq!(request_hash(&answers, version), old);
        }
        assert_eq!(campo_domain::canonical_json(&answers), sorted(&answers).to_string());
        assert_ne!(request_hash(&answers, None), request_hash(&answers, Some("1")));
    }
}
