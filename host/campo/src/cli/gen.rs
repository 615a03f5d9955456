//! `campo gen`: valid, varied submission bodies for any installed study (`--db`) or any study
//! shipped with Campo. A study's own generator is used where Campo ships one; every other study
//! gets the generic generator, which reads the form's schema and runs its logic plugin.

use std::io::Write;

use anyhow::{Context, bail};
use campo_domain::{FormId, StudyId};
use campo_gen::{FormUnderTest, GenericGenerator};
use campo_pipeline::bundle::{self, BundleFiles};
use campo_runtime::{Limits, Runtime};
use campo_store::Store;

use super::artifact_dir;

/// What `campo gen` was asked for.
pub struct GenRequest {
    pub study: String,
    pub form: Option<String>,
    pub n: usize,
    pub seed: u64,
    pub db: Option<String>,
}

pub async fn run(request: GenRequest) -> anyhow::Result<()> {
    let study = StudyId::parse(&request.study)?;
    let forms = match &request.db {
        Some(url) => installed_forms(url, &study).await?,
        None => shipped_forms(&study)?,
    };
    let form = match &request.form {
        Some(f) => FormId::parse(f)?,
        None => forms.first().map(|f| f.form.clone()).context("the study has no form")?,
    };
    let Some(under_test) = forms.into_iter().find(|f| f.form == form) else { bail!("study {study} has no form {form}") };
    let own = campo_studies::generators().into_iter().find(|g| g.study() == study.as_str() && g.forms().contains(&form.as_str()));
    let bodies = match own {
        Some(generator) => campo_gen::study_bodies(generator.as_ref(), form.as_str(), request.n, request.seed)?,
        None => {
            let runtime = Runtime::new(Some(artifact_dir()))?;
            let generic = GenericGenerator::new(runtime, under_test)?;
            tokio::task::spawn_blocking(move || campo_gen::bodies(request.n, request.seed, |rng| generic.answers(rng))).await??
        }
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for body in bodies {
        serde_json::to_writer(&mut out, &body)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

/// The latest version of each form of a study installed in the database at `url`.
async fn installed_forms(url: &str, study: &StudyId) -> anyhow::Result<Vec<FormUnderTest>> {
    let store = Store::connect(url).await.with_context(|| format!("opening {url}"))?;
    let detail = store.study(study).await?.with_context(|| format!("study {study} is not installed in {url}"))?;
    let mut forms = Vec::new();
    for summary in &detail.forms {
        let Some(record) = store.form_version(study, &summary.id, None).await? else { continue };
        let logic = match &record.logic_plugin {
            Some(hash) => Some((hash.clone(), store.plugin_wasm(hash).await?.with_context(|| format!("plugin {hash} is pinned but not stored"))?)),
            None => None,
        };
        forms.push(FormUnderTest {
            study: record.study,
            form: record.form,
            version: record.version,
            schema: record.schema,
            settings: record.settings,
            logic,
            limits: Limits::DEFAULT.with(&record.limits),
        });
    }
    store.close().await;
    Ok(forms)
}

/// Each form of a study shipped with Campo, read from its embedded bundle.
fn shipped_forms(study: &StudyId) -> anyhow::Result<Vec<FormUnderTest>> {
    let shipped = campo_studies::shipped()
        .into_iter()
        .find(|s| s.name == study.as_str())
        .with_context(|| format!("study {study} is not shipped with Campo; name the database it is installed in with --db"))?;
    let plan = bundle::plan(&BundleFiles::from_embedded(shipped.dir), &|_| None)?;
    let wasm = |hash: &campo_domain::PluginHash| plan.plugins.iter().find(|p| &p.hash == hash).map(|p| p.wasm.clone());
    plan.forms
        .iter()
        .map(|f| {
            Ok(FormUnderTest {
                study: plan.study.clone(),
                form: f.form.clone(),
                version: f.version.to_string(),
                schema: serde_json::from_str(&f.schema_json)?,
                settings: serde_json::from_str(&f.settings_json)?,
                logic: f.logic_plugin.as_ref().and_then(|h| wasm(h).map(|w| (h.clone(), w))),
                limits: Limits::DEFAULT.with(&serde_json::from_str(&f.limits_json)?),
            })
        })
        .collect()
}
