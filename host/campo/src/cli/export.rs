//! `campo export` and `campo rescore`: the same work as the HTTP routes, with a progress bar
//! when standard error is a terminal.

use std::{
    io::{IsTerminal, Write},
    path::PathBuf,
    sync::{Arc, atomic::{AtomicU64, Ordering}},
    time::Duration,
};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use campo_domain::{FormId, PluginHash, StudyId};
use campo_export::{ExportOptions, codebook};
use campo_pipeline::{App, rescore};

fn bar(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    if let Ok(style) = ProgressStyle::with_template(&format!("{what} {{bar:40}} {{pos}}/{{len}} ({{per_sec}}, {{eta}} left)")) {
        bar.set_style(style);
    }
    bar
}

/// Which codebook to write instead of the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodebookFormat {
    Csv,
    Html,
}

/// Writes a form's export (or its codebook) to `out`, or to standard output.
pub async fn export(app: &App, study: &str, form: &str, options: ExportOptions, out: Option<PathBuf>, codebook_only: Option<CodebookFormat>) -> anyhow::Result<()> {
    let study = StudyId::parse(study)?;
    let form = FormId::parse(form)?;
    if let Some(format) = codebook_only {
        let versions: Vec<_> = app
            .store
            .form_versions(&study, &form)
            .await?
            .into_iter()
            .filter(|v| options.version.as_ref().is_none_or(|x| x == &v.version))
            .collect();
        anyhow::ensure!(!versions.is_empty(), "form {study}/{form} has no such version");
        let books = codebook::build(&app.store, &study, &form, &versions, &options.separator).await?;
        let bytes = match format {
            CodebookFormat::Csv => codebook::to_csv(&books),
            CodebookFormat::Html => codebook::to_html(&study, &form, &books).into_bytes(),
        };
        return write_all(out, &bytes);
    }
    let prepared = campo_export::prepare(&app.store, &study, &form, options).await?;
    let total = app.store.count_export_rows(&prepared.filter).await?;
    let zipped = prepared.zipped;
    let binary = zipped || prepared.options.format.is_typed();
    let sink: Box<dyn Write + Send> = match &out {
        Some(path) => Box::new(std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?),
        None => {
            anyhow::ensure!(!(binary && std::io::stdout().is_terminal()), "this export is a binary file: give --out FILE or redirect standard output");
            Box::new(std::io::stdout())
        }
    };
    let sink = std::io::BufWriter::with_capacity(256 * 1024, sink);
    let progress = Arc::new(AtomicU64::new(0));
    let bar = bar(total as u64, "exporting");
    let ticker = {
        let (bar, progress) = (bar.clone(), progress.clone());
        tokio::spawn(async move {
            loop {
                bar.set_position(progress.load(Ordering::Relaxed));
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    };
    let result = campo_export::run(app.store.clone(), Arc::new(prepared), sink, progress.clone()).await;
    ticker.abort();
    bar.set_position(progress.load(Ordering::Relaxed));
    bar.finish_and_clear();
    let mut sink = result?;
    sink.flush()?;
    let rows = progress.load(Ordering::Relaxed);
    let place = out.map(|p| p.display().to_string()).unwrap_or_else(|| "standard output".into());
    eprintln!("exported {rows} responses of {study}/{form} to {place}{}", if zipped { " (a ZIP of tables)" } else { "" });
    Ok(())
}

fn write_all(out: Option<PathBuf>, bytes: &[u8]) -> anyhow::Result<()> {
    match out {
        Some(path) => std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?,
        None => std::io::stdout().write_all(bytes)?,
    }
    Ok(())
}

/// Re-scores a form's responses with a stored plugin, resuming an interrupted job.
pub async fn rescore(app: &App, study: &str, form: &str, plugin: &str, version: Option<&str>, batch: i64, max_batches: Option<u64>) -> anyhow::Result<()> {
    let study = StudyId::parse(study)?;
    let form = FormId::parse(form)?;
    let plugin = PluginHash::parse(plugin.strip_prefix("sha256:").unwrap_or(plugin))?;
    let started = rescore::start(app, &study, &form, version, &plugin, &campo_store::audit::Actor::cli()).await?;
    let job = started.job;
    if started.resumed {
        eprintln!("resuming re-scoring job {} at {}/{} responses", job.id, job.done + job.failed, job.total);
    }
    let bar = bar(job.total as u64, "re-scoring");
    bar.set_position((job.done + job.failed) as u64);
    let shown = bar.clone();
    let finished = rescore::run(app, job, batch, max_batches, &move |j| shown.set_position((j.done + j.failed) as u64)).await;
    bar.finish_and_clear();
    let job = finished?;
    eprintln!(
        "re-scoring job {} of {study}/{form} with {}: {} ({} re-scored, {} kept their scores{})",
        job.id,
        job.plugin,
        job.state,
        job.done,
        job.failed,
        job.last_error.as_deref().map(|e| format!("; last error: {e}")).unwrap_or_default()
    );
    if job.state == campo_domain::RescoreState::Running {
        eprintln!("stopped before the end: run the same command again to resume");
    }
    Ok(())
}
