//! Re-scoring: recomputes every stored response's scores of a form with another scoring plugin,
//! in batches, each committed with the job's cursor so that an interrupted job resumes where it
//! stopped (start it again with the same plugin).
//!
//! How a designer publishes a new scoring plugin: upload it (`POST /api/v1/plugins`, or install
//! a new form version that pins it), then re-score with its sha256. The plugin must be
//! compatible: every score it returns must be declared by the response's form version. Scores
//! it does not return keep their value and the plugin that produced them; each stored score
//! keeps the hash of the plugin that produced it (`submissions.score_plugins`).

use std::collections::BTreeMap;

use campo_sdk::Scores;
use serde_json::{Map, Value};

use campo_domain::{FormId, PluginHash, RescoreState, StudyId};
use campo_runtime::{Entry, PluginError};
use campo_store::{
    StoreError,
    audit::{Actor, AuditEvent},
    rescore_jobs::{BatchProgress, RescoreInput, RescoreJob, RescoreUpdate},
};

use crate::app::{App, SubmitError};

/// Responses read, scored and committed together.
pub const DEFAULT_BATCH: i64 = 500;

#[derive(Debug, thiserror::Error)]
pub enum RescoreError {
    #[error("form {0} is not installed")]
    UnknownForm(String),
    #[error("plugin {0} is not stored; upload it first (POST /api/v1/plugins)")]
    UnknownPlugin(String),
    #[error("plugin {plugin} cannot re-score this form: {reason}")]
    Incompatible { plugin: String, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where a job starts: a new job, or one resumed after an interruption.
pub struct Started {
    pub job: RescoreJob,
    pub resumed: bool,
}

/// Opens (or resumes) the job re-scoring `form` with `plugin`; checks the plugin loads.
pub async fn start(app: &App, study: &StudyId, form: &FormId, version: Option<&str>, plugin: &PluginHash, by: &Actor) -> Result<Started, RescoreError> {
    if !app.store.form_exists(study, form).await? {
        return Err(RescoreError::UnknownForm(format!("{study}/{form}")));
    }
    if app.store.plugin_wasm(plugin).await?.is_none() {
        return Err(RescoreError::UnknownPlugin(plugin.to_string()));
    }
    app.ensure_loaded(plugin).await.map_err(|e| incompatible(plugin, e))?;
    let (job, resumed) = app.store.open_rescore_job(study, form, version, plugin, &by.name).await?;
    // Re-scoring changes stored scores: the audit log says who started (or resumed) it.
    app.store
        .audit(&[AuditEvent::new(
            by,
            "rescore.start",
            Some(study.as_str()),
            Some(form.as_str()),
            serde_json::json!({"job": job.id, "plugin": plugin.as_str(), "version": version, "resumed": resumed, "total": job.total}),
        )])
        .await?;
    Ok(Started { job, resumed })
}

fn incompatible(plugin: &PluginHash, e: impl std::fmt::Display) -> RescoreError {
    RescoreError::Incompatible { plugin: plugin.to_string(), reason: e.to_string() }
}

/// Runs a job to its end (or for `max_batches` batches); `on_batch` sees the job after each
/// committed batch. Returns the job as stored at the end.
pub async fn run(app: &App, job: RescoreJob, batch: i64, max_batches: Option<u64>, on_batch: &(dyn Fn(&RescoreJob) + Sync)) -> Result<RescoreJob, RescoreError> {
    let (plugin, study, form) = (job.plugin.clone(), job.study.clone(), job.form.clone());
    let mut cursor = job.cursor;
    let mut batches = 0u64;
    loop {
        if max_batches.is_some_and(|m| batches >= m) {
            break;
        }
        let inputs = app.store.rescore_batch(&job, cursor, batch.max(1)).await?;
        let Some(last) = inputs.last() else {
            app.store.finish_rescore_job(job.id, RescoreState::Done, None).await?;
            break;
        };
        let next_cursor = last.seq;
        // Two plugin calls at a time: the runtime is CPU work on blocking threads.
        let mut results: Vec<Result<RescoreUpdate, SubmitError>> = Vec::with_capacity(inputs.len());
        for pair in inputs.chunks(2) {
            let mut calls = Vec::with_capacity(2);
            for input in pair {
                calls.push(rescore_one(app, &study, &form, &plugin, input));
            }
            results.extend(futures::future::join_all(calls).await);
        }
        let mut updates = Vec::with_capacity(results.len());
        let mut progress = BatchProgress { cursor: next_cursor, ..BatchProgress::default() };
        for (input, result) in inputs.iter().zip(results) {
            match result {
                Ok(update) => updates.push(update),
                Err(SubmitError::Plugin(e @ (PluginError::BadOutput { .. } | PluginError::MissingCapability { .. } | PluginError::Refused { .. } | PluginError::Engine { .. }))) => {
                    // The plugin does not fit the form: nothing of this batch is stored.
                    let message = format!("response {}: {e}", input.id);
                    app.store.finish_rescore_job(job.id, RescoreState::Failed, Some(&message)).await?;
                    return Err(incompatible(&plugin, message));
                }
                Err(SubmitError::Store(e)) => return Err(e.into()),
                Err(e) => {
                    progress.failed += 1;
                    progress.last_error = Some(format!("response {}: {e}", input.id));
                }
            }
        }
        progress.done = updates.len() as i64;
        if updates.is_empty() && job.done == 0 && cursor == job.cursor {
            // Not one response of the first batch could be scored: the plugin does not fit.
            let message = progress.last_error.clone().unwrap_or_default();
            app.store.finish_rescore_job(job.id, RescoreState::Failed, Some(&message)).await?;
            return Err(incompatible(&plugin, format!("it failed on every response of the first batch ({message})")));
        }
        app.store.apply_rescore_batch(job.id, &updates, &progress).await?;
        cursor = next_cursor;
        batches += 1;
        if let Some(now) = app.store.rescore_job(job.id).await? {
            on_batch(&now);
        }
    }
    Ok(app.store.rescore_job(job.id).await?.unwrap_or(job))
}

/// How often a re-scoring call turned away as busy is tried again before it counts as failed.
const BUSY_RETRIES: u64 = 10;

/// Scores one response with the new plugin and merges the result into its stored scores.
async fn rescore_one(app: &App, study: &StudyId, form: &FormId, plugin: &PluginHash, input: &RescoreInput) -> Result<RescoreUpdate, SubmitError> {
    let version = app.version(study, form, Some(&input.version)).await?;
    let answers: Value = serde_json::from_str(&input.answers).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    // A busy server is no verdict on the plugin: wait and try again.
    let mut tries = 0;
    let output = loop {
        match app.run_plugin(plugin, Entry::Score, &version, &answers).await {
            Err(e) if e.is_overload() && tries < BUSY_RETRIES => {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(200 * tries)).await;
            }
            result => break result?,
        }
    };
    let parsed: Scores = serde_json::from_value(output)
        .map_err(|e| PluginError::BadOutput { plugin: plugin.clone(), reason: format!("scoring result: {e}") })?;
    let declared: Vec<&str> = version.record.scores.iter().map(|s| s.name.as_str()).collect();
    if let Some(unknown) = parsed.scores.keys().find(|name| !declared.is_empty() && !declared.contains(&name.as_str())) {
        return Err(PluginError::BadOutput {
            plugin: plugin.clone(),
            reason: format!("score {unknown:?} is not declared by form version {}", input.version),
        }
        .into());
    }
    let mut scores: Map<String, Value> = serde_json::from_str(&input.scores).unwrap_or_default();
    let mut producers: BTreeMap<String, String> = match input.score_plugins.as_deref() {
        Some(text) => serde_json::from_str(text).unwrap_or_default(),
        None => scores.keys().map(|k| (k.clone(), input.scoring_plugin.clone().unwrap_or_default())).collect(),
    };
    for (name, score) in &parsed.scores {
        scores.insert(name.clone(), serde_json::to_value(score).unwrap_or(Value::Null));
        producers.insert(name.clone(), plugin.to_string());
    }
    Ok(RescoreUpdate {
        id: input.id.clone(),
        scores_json: Value::Object(scores).to_string(),
        score_plugins_json: serde_json::to_string(&producers).unwrap_or_default(),
    })
}
