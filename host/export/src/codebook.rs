//! The codebook (data dictionary) of a form, per version: every variable of every table with
//! its type, Spanish and English labels and choices, and for each score column the plugin and
//! hash that produced it (and any re-scoring since). As CSV and as a readable HTML page.

use serde_json::Value;

use campo_domain::{FormId, Lang, StudyId, escape_html as escape};
use campo_store::{FormVersionRecord, Store};

use super::{
    ExportError,
    columns::{Column, ColumnKind, ExportPlan},
    writer::table_files,
};

/// One form version's codebook.
#[derive(Debug, Clone)]
pub struct VersionCodebook {
    pub version: String,
    /// The scoring plugin's file in the bundle, when the installed manifest names it.
    pub scoring_file: Option<String>,
    pub scoring_plugin: Option<String>,
    /// Plugins that re-scored this version's responses since (`hash (finished at)`).
    pub rescored_with: Vec<String>,
    /// (file name, columns) per table.
    pub tables: Vec<(String, Vec<Column>)>,
}

/// The codebooks of `versions` of a form.
pub async fn build(store: &Store, study: &StudyId, form: &FormId, versions: &[FormVersionRecord], separator: &str) -> Result<Vec<VersionCodebook>, ExportError> {
    let manifest: Option<Value> = store.study_manifest(study).await?.and_then(|m| serde_json::from_str(&m).ok());
    let jobs = store.rescore_jobs(study, form).await?;
    let mut books = Vec::new();
    for version in versions {
        let plan = ExportPlan::for_versions(std::slice::from_ref(version), separator, None);
        let files = table_files(&plan, form.as_str());
        let scoring_file = manifest.as_ref().and_then(|m| {
            m.get("forms")?
                .as_array()?
                .iter()
                .find(|f| f.get("id").and_then(Value::as_str) == Some(form.as_str()) && f.get("version").and_then(Value::as_str) == Some(&version.version))?
                .get("scoring")?
                .as_str()
                .map(str::to_string)
        });
        let rescored_with = jobs
            .iter()
            .filter(|j| j.state == campo_domain::RescoreState::Done && j.version.as_ref().is_none_or(|v| v == &version.version))
            .map(|j| format!("{} ({})", j.plugin, j.finished_at.map(|t| t.to_string()).unwrap_or_default()))
            .collect();
        books.push(VersionCodebook {
            version: version.version.clone(),
            scoring_file,
            scoring_plugin: version.scoring_plugin.as_ref().map(|h| h.to_string()),
            rescored_with,
            tables: plan.tables.into_iter().zip(files).map(|(t, f)| (f, t.columns)).collect(),
        });
    }
    Ok(books)
}

/// What the codebook says of one variable.
struct Entry {
    cells: [String; 10],
}

const HEADER: [&str; 10] =
    ["form_version", "file", "variable", "type", "label_es", "label_en", "choices", "score_plugin", "score_plugin_hash", "rescored_with"];

fn entries(books: &[VersionCodebook]) -> Vec<Entry> {
    let mut out = Vec::new();
    for book in books {
        for (file, columns) in &book.tables {
            for column in columns {
                let is_score = matches!(column.kind, ColumnKind::Score(_) | ColumnKind::ScoreCategory(_));
                let (es, en) = match (&column.kind, &column.label) {
                    (ColumnKind::Metadata | ColumnKind::ChoiceFlag(_) | ColumnKind::ScoreCategory(_), _) => {
                        (column.header(Some(Lang::Es)), column.header(Some(Lang::En)))
                    }
                    (_, Some(label)) => (label.es.clone(), label.en.clone()),
                    (ColumnKind::Key, None) => ("Clave de la fila".into(), "Row key".into()),
                    (ColumnKind::ParentKey, None) => ("Clave de la fila madre".into(), "Parent row's key".into()),
                    (_, None) => (String::new(), String::new()),
                };
                let choices = column
                    .choices
                    .iter()
                    .map(|c| match &c.label {
                        Some(l) => format!("{} = {} | {}", c.code, l.es, l.en),
                        None => c.code.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                let score = |s: &Option<String>| if is_score { s.clone().unwrap_or_default() } else { String::new() };
                out.push(Entry {
                    cells: [
                        book.version.clone(),
                        file.clone(),
                        column.name.clone(),
                        column.value_type.clone(),
                        es,
                        en,
                        choices,
                        score(&book.scoring_file),
                        score(&book.scoring_plugin),
                        if is_score { book.rescored_with.join("; ") } else { String::new() },
                    ],
                });
            }
        }
    }
    out
}

/// The codebook as CSV (UTF-8, RFC 4180), one row per variable per version.
pub fn to_csv(books: &[VersionCodebook]) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    let _ = writer.write_record(HEADER);
    for entry in entries(books) {
        let _ = writer.write_record(&entry.cells);
    }
    writer.into_inner().unwrap_or_default()
}

/// The codebook as a self-contained HTML page: one section per version, one table per file.
pub fn to_html(study: &StudyId, form: &FormId, books: &[VersionCodebook]) -> String {
    let mut html = String::new();
    html.push_str("<!doctype html>\n<html lang=\"es\">\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str(&format!("<title>Libro de códigos / Codebook: {}/{}</title>\n", escape(study.as_str()), escape(form.as_str())));
    html.push_str(
        "<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;margin:1rem 0 2rem}\
         th,td{border:1px solid #ccc;padding:.3rem .5rem;vertical-align:top;text-align:left;font-size:.9rem}\
         th{background:#f3f3f3}code{font-size:.85rem}ul{margin:0;padding-left:1.1rem}</style>\n</head>\n<body>\n",
    );
    html.push_str(&format!("<h1>Libro de códigos / Codebook: <code>{}/{}</code></h1>\n", escape(study.as_str()), escape(form.as_str())));
    let entries = entries(books);
    for book in books {
        html.push_str(&format!("<h2>Versión / Version {}</h2>\n", escape(&book.version)));
        if let Some(hash) = &book.scoring_plugin {
            html.push_str(&format!(
                "<p>Puntajes / Scores: <code>{}</code> sha256 <code>{}</code></p>\n",
                escape(book.scoring_file.as_deref().unwrap_or("")),
                escape(hash)
            ));
        }
        if !book.rescored_with.is_empty() {
            html.push_str(&format!("<p>Recalculados con / Re-scored with: <code>{}</code></p>\n", escape(&book.rescored_with.join("; "))));
        }
        for (file, _) in &book.tables {
            html.push_str(&format!("<h3><code>{}</code></h3>\n<table>\n<tr><th>Variable</th><th>Tipo / Type</th><th>Etiqueta</th><th>Label</th><th>Opciones / Choices</th></tr>\n", escape(file)));
            for e in entries.iter().filter(|e| e.cells[0] == book.version && &e.cells[1] == file) {
                let choices = if e.cells[6].is_empty() {
                    String::new()
                } else {
                    let items: String = e.cells[6].split("; ").map(|c| format!("<li>{}</li>", escape(c))).collect();
                    format!("<ul>{items}</ul>")
                };
                html.push_str(&format!(
                    "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                    escape(&e.cells[2]),
                    escape(&e.cells[3]),
                    escape(&e.cells[4]),
                    escape(&e.cells[5]),
                    choices
                ));
            }
            html.push_str("</table>\n");
        }
    }
    html.push_str("</body>\n</html>\n");
    html
}
