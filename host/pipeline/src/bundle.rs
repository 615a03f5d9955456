//! Study bundles: a directory with `manifest.json`, the forms' JSON Schemas and the plugins'
//! .wasm files (format: `schemas/study-bundle.schema.json`). Reading a bundle checks all of it
//! and turns it into a [`PublishPlan`] the store applies in one transaction.

use std::{collections::BTreeMap, path::Path};

use serde::Deserialize;
use serde_json::Value;

use campo_domain::{FormId, LimitsOverride, PluginHash, StudyId, Text, VersionName, canonical_json, sha256_hex};
use campo_form::FormValidator;
use campo_runtime::{self as runtime, ModuleProblem};
use campo_store::{FormPublication, PluginUpload, PublishPlan, ScoreDeclaration};

/// The manifest schema, compiled into the binary so every host checks bundles the same way.
pub const MANIFEST_SCHEMA: &str = include_str!("../../../schemas/study-bundle.schema.json");

/// The largest bundle Campo reads, all files together.
pub const MAX_BUNDLE_BYTES: u64 = 64 << 20;

/// Why a bundle cannot be installed. Each names the file or field at fault.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
    #[error("the bundle has no manifest.json")]
    NoManifest,
    #[error("{path} is not JSON: {message}")]
    NotJson { path: String, message: String },
    #[error("manifest.json does not follow the bundle format: {}", .0.join("; "))]
    Manifest(Vec<String>),
    #[error("the bundle names {0}, which it does not contain")]
    MissingFile(String),
    #[error("the bundle is over {MAX_BUNDLE_BYTES} bytes")]
    TooLarge,
    #[error("form {form}: {message}")]
    Form { form: String, message: String },
    #[error("form {form}: plugin {path} is refused: {problem}")]
    Plugin { form: String, path: String, problem: ModuleProblem },
    #[error("form {form}: plugin {path} has no {capability} entry point")]
    Capability { form: String, path: String, capability: &'static str },
    #[error("form {form}: plugin {hash} is not in the registry; upload it first (POST /api/v1/plugins)")]
    UnknownPlugin { form: String, hash: String },
}

#[derive(Debug, Deserialize)]
struct Manifest {
    id: StudyId,
    title: Text,
    #[serde(default)]
    settings: serde_json::Map<String, Value>,
    #[serde(default)]
    limits: LimitsOverride,
    forms: Vec<ManifestForm>,
}

#[derive(Debug, Deserialize)]
struct ManifestForm {
    id: FormId,
    title: Text,
    version: String,
    schema: String,
    logic: Option<String>,
    scoring: Option<String>,
    #[serde(default)]
    settings: serde_json::Map<String, Value>,
    #[serde(default)]
    scores: Vec<ScoreDeclaration>,
}

/// A bundle's files by path relative to the bundle root.
#[derive(Debug, Clone, Default)]
pub struct BundleFiles {
    files: BTreeMap<String, Vec<u8>>,
}

impl BundleFiles {
    pub fn new(files: BTreeMap<String, Vec<u8>>) -> Self {
        BundleFiles { files }
    }

    /// Reads every file under `dir` (following no symlinks out of it).
    pub fn from_dir(dir: &Path) -> Result<BundleFiles, BundleError> {
        let mut files = BTreeMap::new();
        let mut total = 0u64;
        let mut pending = vec![dir.to_path_buf()];
        let read_error = |p: &Path, e: std::io::Error| BundleError::Read { path: p.display().to_string(), message: e.to_string() };
        while let Some(current) = pending.pop() {
            for entry in std::fs::read_dir(&current).map_err(|e| read_error(&current, e))? {
                let entry = entry.map_err(|e| read_error(&current, e))?;
                let path = entry.path();
                let kind = entry.file_type().map_err(|e| read_error(&path, e))?;
                if kind.is_dir() {
                    pending.push(path);
                } else if kind.is_file() {
                    total += entry.metadata().map_err(|e| read_error(&path, e))?.len();
                    if total > MAX_BUNDLE_BYTES {
                        return Err(BundleError::TooLarge);
                    }
                    let rel = path.strip_prefix(dir).unwrap_or(&path).to_string_lossy().replace('\\', "/");
                    files.insert(rel, std::fs::read(&path).map_err(|e| read_error(&path, e))?);
                }
            }
        }
        Ok(BundleFiles { files })
    }

    /// A bundle compiled into the binary (the seed studies).
    pub fn from_embedded(dir: &include_dir::Dir<'_>) -> BundleFiles {
        fn walk(dir: &include_dir::Dir<'_>, root: &Path, files: &mut BTreeMap<String, Vec<u8>>) {
            for file in dir.files() {
                let rel = file.path().strip_prefix(root).unwrap_or(file.path()).to_string_lossy().into_owned();
                files.insert(rel, file.contents().to_vec());
            }
            for sub in dir.dirs() {
                walk(sub, root, files);
            }
        }
        let mut files = BTreeMap::new();
        walk(dir, dir.path(), &mut files);
        BundleFiles { files }
    }

    /// The parsed manifest.json.
    pub fn manifest(&self) -> Result<Value, BundleError> {
        self.json("manifest.json")
    }

    fn get(&self, path: &str) -> Result<&[u8], BundleError> {
        self.files.get(path).map(Vec::as_slice).ok_or_else(|| BundleError::MissingFile(path.to_string()))
    }

    fn json(&self, path: &str) -> Result<Value, BundleError> {
        serde_json::from_slice(self.get(path)?).map_err(|e| BundleError::NotJson { path: path.to_string(), message: e.to_string() })
    }
}

/// Where a plugin comes from: a file in the bundle, or the registry by hash (`sha256:<hex>`).
pub enum PluginSource<'a> {
    File(&'a [u8]),
    Registry(PluginHash),
}

/// Reads and checks a bundle. `registry` resolves `sha256:` references to stored plugins.
pub fn plan(files: &BundleFiles, registry: &dyn Fn(&PluginHash) -> Option<Vec<u8>>) -> Result<PublishPlan, BundleError> {
    let manifest_value = files.json("manifest.json").map_err(|e| match e {
        BundleError::MissingFile(_) => BundleError::NoManifest,
        other => other,
    })?;
    check_manifest(&manifest_value)?;
    let manifest: Manifest = serde_json::from_value(manifest_value.clone())
        .map_err(|e| BundleError::Manifest(vec![e.to_string()]))?;

    let mut plugins: BTreeMap<PluginHash, PluginUpload> = BTreeMap::new();
    let mut forms = Vec::new();
    for form in &manifest.forms {
        let form_error = |message: String| BundleError::Form { form: form.id.to_string(), message };
        let version = VersionName::parse(&form.version).map_err(|e| form_error(e.to_string()))?;
        let schema = files.json(&form.schema)?;
        FormValidator::compile(&schema).map_err(|e| form_error(e.to_string()))?;
        check_choices(&schema, "").map_err(form_error)?;

        let mut load = |path: &Option<String>, capability: &'static str| -> Result<Option<PluginHash>, BundleError> {
            let Some(path) = path else { return Ok(None) };
            let (hash, wasm) = match path.strip_prefix("sha256:") {
                Some(hex) => {
                    let hash = PluginHash::parse(hex).map_err(|e| form_error(e.to_string()))?;
                    let wasm = registry(&hash).ok_or_else(|| BundleError::UnknownPlugin { form: form.id.to_string(), hash: hex.to_string() })?;
                    (hash, wasm)
                }
                None => {
                    let wasm = files.get(path)?.to_vec();
                    (PluginHash::of(&wasm), wasm)
                }
            };
            let report = runtime::check_module(&wasm)
                .map_err(|problem| BundleError::Plugin { form: form.id.to_string(), path: path.clone(), problem })?;
            let has = match capability {
                "logic" => report.capabilities.logic,
                _ => report.capabilities.score,
            };
            if !has {
                return Err(BundleError::Capability { form: form.id.to_string(), path: path.clone(), capability });
            }
            plugins.entry(hash.clone()).or_insert_with(|| PluginUpload {
                hash: hash.clone(),
                wasm,
                capabilities: report.capabilities.as_list().join(","),
            });
            Ok(Some(hash))
        };
        let logic_plugin = load(&form.logic, "logic")?;
        let scoring_plugin = load(&form.scoring, "score")?;
        if !form.scores.is_empty() && scoring_plugin.is_none() {
            return Err(form_error("declares scores but names no scoring plugin".into()));
        }

        let mut settings = manifest.settings.clone();
        settings.extend(form.settings.clone());
        let settings = Value::Object(settings);
        let scores = serde_json::to_value(&form.scores).unwrap_or(Value::Null);
        let limits = serde_json::to_value(&manifest.limits).unwrap_or(Value::Null);
        let content = serde_json::json!({
            "schema": &schema,
            "logic": logic_plugin,
            "scoring": scoring_plugin,
            "settings": &settings,
            "scores": &scores,
            "limits": &limits,
        });
        forms.push(FormPublication {
            form: form.id.clone(),
            title: form.title.clone(),
            version,
            content_hash: sha256_hex(canonical_json(&content).as_bytes()),
            schema_hash: sha256_hex(canonical_json(&schema).as_bytes()),
            schema_json: schema.to_string(),
            logic_plugin,
            scoring_plugin,
            settings_json: settings.to_string(),
            scores_json: scores.to_string(),
            limits_json: limits.to_string(),
        });
    }

    Ok(PublishPlan {
        study: manifest.id,
        title: manifest.title,
        manifest_json: manifest_value.to_string(),
        plugins: plugins.into_values().collect(),
        forms,
    })
}

fn check_manifest(manifest: &Value) -> Result<(), BundleError> {
    let schema: Value = serde_json::from_str(MANIFEST_SCHEMA).expect("the manifest schema is valid JSON");
    let validator = jsonschema::draft202012::options().build(&schema).expect("the manifest schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(manifest)
        .map(|e| format!("{}: {}", if e.instance_path().as_str().is_empty() { "/" } else { e.instance_path().as_str() }, e))
        .collect();
    if errors.is_empty() { Ok(()) } else { Err(BundleError::Manifest(errors)) }
}

/// Checks that every single or multiple choice lists the same codes in `enum` and in
/// `x-choices`, and that every question has Spanish and English labels.
fn check_choices(schema: &Value, at: &str) -> Result<(), String> {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else { return Ok(()) };
    for (name, question) in properties {
        let path = format!("{at}/{name}");
        match question.get("x-label") {
            Some(label) if label.get("es").and_then(Value::as_str).is_some() && label.get("en").and_then(Value::as_str).is_some() => {}
            _ => return Err(format!("{path} needs \"x-label\" with \"es\" and \"en\"")),
        }
        let enum_codes = question
            .get("enum")
            .or_else(|| question.pointer("/items/enum"))
            .and_then(Value::as_array);
        if let Some(choices) = question.get("x-choices").and_then(Value::as_array) {
            let codes: Vec<&Value> = choices.iter().filter_map(|c| c.get("code")).collect();
            let listed: Vec<&Value> = enum_codes.map(|e| e.iter().collect()).unwrap_or_default();
            if codes != listed {
                return Err(format!("{path}: the codes of \"x-choices\" and \"enum\" differ"));
            }
            for choice in choices {
                let label = choice.get("label");
                if label.and_then(|l| l.get("es")).and_then(Value::as_str).is_none()
                    || label.and_then(|l| l.get("en")).and_then(Value::as_str).is_none()
                {
                    return Err(format!("{path}: choice {} needs a label in es and en", choice.get("code").unwrap_or(&Value::Null)));
                }
            }
        }
        match question.get("type").and_then(Value::as_str) {
            Some("object") => check_choices(question, &path)?,
            Some("array") => {
                if let Some(items) = question.get("items").filter(|i| i.get("type").and_then(Value::as_str) == Some("object")) {
                    check_choices(items, &path)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}
