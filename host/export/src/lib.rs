//! Exports for analysts: a CSV per form, or a ZIP of CSVs (main table, one per repeat group,
//! the codebook) when the form has repeat groups; codebooks.
//!
//! The header comes from the form definition (so the first byte leaves at once) and each row is
//! flattened as it is read, on a blocking thread fed by the database stream, so memory stays
//! flat whatever the number of responses.

pub mod codebook;
mod columns;
mod flatten;
mod typed;
mod writer;

use std::{
    io::{self, Write},
    sync::{Arc, atomic::AtomicU64},
};

use bytes::Bytes;
use futures::{Stream, StreamExt};

pub use campo_domain::Lang;
pub use columns::{Column, ColumnKind, ExportPlan, METADATA, Table};
pub use writer::table_files;

use campo_domain::{FormId, ReviewState, StudyId};
use campo_store::{
    FormVersionRecord, Store, StoreError,
    exports::{ExportFilter, ExportRow},
};

/// Bytes handed to an HTTP body at a time.
const CHUNK_BYTES: usize = 64 * 1024;
/// Responses sent from the database task to the writer at a time.
const BATCH_ROWS: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("form {0} is not installed")]
    UnknownForm(String),
    #[error("form {form} has no version {version:?}")]
    UnknownVersion { form: String, version: String },
    /// A filter or option the export cannot take, in Spanish and English.
    #[error("{en}")]
    BadOption { es: String, en: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("writing the export: {0}")]
    Io(#[from] io::Error),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl From<csv::Error> for ExportError {
    fn from(e: csv::Error) -> Self {
        ExportError::Io(io::Error::other(e))
    }
}

impl From<campo_formats::FormatError> for ExportError {
    fn from(e: campo_formats::FormatError) -> Self {
        ExportError::Io(e.into())
    }
}

impl From<zip::result::ZipError> for ExportError {
    fn from(e: zip::result::ZipError) -> Self {
        ExportError::Io(io::Error::other(e))
    }
}

/// What the export's file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// A CSV, or a ZIP of CSVs when the form has repeat groups.
    #[default]
    Auto,
    /// The main table alone, as a CSV (repeat groups left out).
    Csv,
    /// A ZIP, even without repeat groups.
    Zip,
    /// Stata `.dta` (a ZIP of one per table when the form has repeat groups).
    Dta,
    /// SPSS `.sav` (a ZIP of one per table when the form has repeat groups).
    Sav,
    /// One Excel workbook, a sheet per table and a codebook sheet.
    Xlsx,
    /// Parquet (a ZIP of one per table when the form has repeat groups).
    Parquet,
}

impl Format {
    pub fn parse(value: &str) -> Option<Format> {
        match value {
            "auto" => Some(Format::Auto),
            "csv" => Some(Format::Csv),
            "zip" => Some(Format::Zip),
            "dta" => Some(Format::Dta),
            "sav" => Some(Format::Sav),
            "xlsx" => Some(Format::Xlsx),
            "parquet" => Some(Format::Parquet),
            _ => None,
        }
    }

    /// An analyst format with types and labels (not CSV).
    pub fn is_typed(self) -> bool {
        matches!(self, Format::Dta | Format::Sav | Format::Xlsx | Format::Parquet)
    }

    /// The file's extension and media type (one table, not zipped).
    fn file_type(self) -> (&'static str, &'static str) {
        match self {
            Format::Dta => ("dta", "application/x-stata-dta"),
            Format::Sav => ("sav", "application/x-spss-sav"),
            Format::Xlsx => ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            Format::Parquet => ("parquet", "application/vnd.apache.parquet"),
            Format::Auto | Format::Csv | Format::Zip => ("csv", "text/csv; charset=utf-8"),
        }
    }
}

/// How an export is filtered and written.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// One version; the union of all versions (with their `form_version`) when absent.
    pub version: Option<String>,
    /// Received on or after: a date (`2026-05-01`) or an RFC 3339 instant.
    pub from: Option<String>,
    /// Received on or before this date (inclusive), or before this RFC 3339 instant.
    pub to: Option<String>,
    pub enumerator: Option<String>,
    /// Only this team's responses.
    pub team: Option<String>,
    /// Only responses in this review state (`approved`, …).
    pub review: Option<ReviewState>,
    /// Headers and values as labels in this language; codes when absent.
    pub labels: Option<Lang>,
    /// A UTF-8 byte order mark at the start of each CSV, for Excel.
    pub bom: bool,
    /// Text starting with `=`, `+`, `-`, `@` (a spreadsheet formula) gets a leading `'`.
    pub neutralise: bool,
    /// Joins group paths in column names.
    pub separator: String,
    pub format: Format,
    /// ZIP entries stored uncompressed (faster, larger).
    pub store_uncompressed: bool,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            version: None,
            from: None,
            to: None,
            enumerator: None,
            team: None,
            review: None,
            labels: None,
            bom: false,
            neutralise: false,
            separator: "/".into(),
            format: Format::Auto,
            store_uncompressed: false,
        }
    }
}

impl ExportOptions {
    fn compression(&self) -> zip::CompressionMethod {
        if self.store_uncompressed { zip::CompressionMethod::Stored } else { zip::CompressionMethod::Deflated }
    }

    /// Deflate's fastest level: CSV compresses well even so, and the export stays I/O-bound.
    fn compression_level(&self) -> Option<i64> {
        if self.store_uncompressed { None } else { Some(1) }
    }
}

/// An export ready to run: the plan, the filter and the extra ZIP entries.
pub struct PreparedExport {
    pub plan: ExportPlan,
    pub filter: ExportFilter,
    pub options: ExportOptions,
    pub form: FormId,
    /// Entries added after the tables of a ZIP (the codebook).
    pub extra: Vec<(String, Vec<u8>)>,
    pub zipped: bool,
}

impl PreparedExport {
    pub fn content_type(&self) -> &'static str {
        if self.zipped { "application/zip" } else { self.options.format.file_type().1 }
    }

    pub fn file_name(&self) -> String {
        let ext = if self.zipped { "zip" } else { self.options.format.file_type().0 };
        format!("{}-{}.{ext}", self.filter.study, self.form)
    }
}

/// Reads the form's versions and builds the export's plan (no response is read yet).
pub async fn prepare(store: &Store, study: &StudyId, form: &FormId, options: ExportOptions) -> Result<PreparedExport, ExportError> {
    if options.separator.is_empty() {
        return Err(ExportError::BadOption { es: "El separador no puede estar vacío".into(), en: "the separator must not be empty".into() });
    }
    let versions = store.form_versions(study, form).await?;
    if versions.is_empty() {
        return Err(ExportError::UnknownForm(format!("{study}/{form}")));
    }
    let selected: Vec<FormVersionRecord> = match &options.version {
        Some(v) => {
            let found: Vec<_> = versions.into_iter().filter(|r| &r.version == v).collect();
            if found.is_empty() {
                return Err(ExportError::UnknownVersion { form: format!("{study}/{form}"), version: v.clone() });
            }
            found
        }
        None => versions,
    };
    let filter = filter_of(study, form, &options)?;
    // Typed formats keep the codes in the cells and carry the labels as labels.
    let cell_labels = if options.format.is_typed() { None } else { options.labels };
    let mut plan = ExportPlan::for_versions(&selected, &options.separator, cell_labels);
    if options.format == Format::Csv {
        plan = plan.without_repeats();
    }
    let zipped = match options.format {
        Format::Xlsx => false,
        Format::Zip => true,
        _ => plan.has_repeats(),
    };
    let mut extra = Vec::new();
    if zipped {
        let books = codebook::build(store, study, form, &selected, &options.separator).await?;
        extra.push(("codebook.csv".to_string(), codebook::to_csv(&books)));
    }
    Ok(PreparedExport { plan, filter, options, form: form.clone(), extra, zipped })
}

/// Which responses `options` select.
fn filter_of(study: &StudyId, form: &FormId, options: &ExportOptions) -> Result<ExportFilter, ExportError> {
    Ok(ExportFilter {
        study: study.clone(),
        form: form.clone(),
        version: options.version.clone(),
        received_from: options.from.as_deref().map(|f| instant(f, false)).transpose()?,
        received_before: options.to.as_deref().map(|t| instant(t, true)).transpose()?,
        enumerator: options.enumerator.clone(),
        team: options.team.clone(),
        review: options.review,
    })
}

/// Responses per feed page when the caller does not say, and at most.
pub const FEED_DEFAULT_LIMIT: i64 = 100;
pub const FEED_MAX_LIMIT: i64 = 1000;

/// One page of the incremental feed.
pub struct FeedPage {
    /// Each response with its own cursor (to resume after it later).
    pub rows: Vec<(String, ExportRow)>,
    /// The cursor of the next page; `None` on the last.
    pub next: Option<String>,
}

/// The responses an export with `options` would include that were stored after `after` (a
/// cursor from an earlier page; from the first when absent), at most `limit`, in stored order.
/// The cursor is the last row's storage sequence number, so a script that keeps it pulls only
/// what is new.
pub async fn feed(store: &Store, study: &StudyId, form: &FormId, options: &ExportOptions, after: Option<&str>, limit: Option<&str>) -> Result<FeedPage, ExportError> {
    let after = match after {
        None | Some("") => 0,
        Some(a) => a
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| ExportError::BadOption {
                es: format!("after={} no es un cursor que este feed haya dado (el `next` de una página)", campo_domain::clip(a, 100)),
                en: format!("after={:?} is not a cursor this feed gave (the `next` of a page)", campo_domain::clip(a, 100)),
            })?,
    };
    let limit = match limit {
        None | Some("") => FEED_DEFAULT_LIMIT,
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=FEED_MAX_LIMIT).contains(n))
            .ok_or_else(|| ExportError::BadOption {
                es: format!("limit={}: use un número entero de 1 a {FEED_MAX_LIMIT}", campo_domain::clip(l, 100)),
                en: format!("limit={:?}: give a whole number from 1 to {FEED_MAX_LIMIT}", campo_domain::clip(l, 100)),
            })?,
    };
    let versions = store.form_versions(study, form).await?;
    if versions.is_empty() {
        return Err(ExportError::UnknownForm(format!("{study}/{form}")));
    }
    if let Some(v) = &options.version
        && !versions.iter().any(|r| &r.version == v)
    {
        return Err(ExportError::UnknownVersion { form: format!("{study}/{form}"), version: v.clone() });
    }
    let filter = filter_of(study, form, options)?;
    // One more than asked tells whether another page follows.
    let mut rows = store.feed_rows(&filter, after, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next = if more { rows.last().map(|(seq, _)| seq.to_string()) } else { None };
    Ok(FeedPage { rows: rows.into_iter().map(|(seq, row)| (seq.to_string(), row)).collect(), next })
}

/// A date (`2026-05-01`) or RFC 3339 instant as the stored `received_at` text. A date as an
/// upper bound includes that whole day.
fn instant(value: &str, upper: bool) -> Result<String, ExportError> {
    use time::{Duration, OffsetDateTime, format_description::well_known::Rfc3339, macros::format_description};
    let shown = campo_domain::clip(value, 100);
    let bad = || ExportError::BadOption {
        es: format!("«{shown}» no es una fecha (AAAA-MM-DD) ni un instante RFC 3339"),
        en: format!("{shown:?} is neither a date (YYYY-MM-DD) nor an RFC 3339 instant"),
    };
    let at = if let Ok(date) = time::Date::parse(value, format_description!("[year]-[month]-[day]")) {
        let start = date.midnight().assume_utc();
        if upper { start + Duration::days(1) } else { start }
    } else {
        OffsetDateTime::parse(value, &Rfc3339).map_err(|_| bad())?
    };
    campo_domain::stored_timestamp(at).map_err(|_| bad())
}

/// Runs an export into `out` on a blocking thread fed by the database stream; `progress` counts
/// the responses written.
pub async fn run<W: Write + Send + 'static>(store: Store, export: Arc<PreparedExport>, out: W, progress: Arc<AtomicU64>) -> Result<W, ExportError> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<ExportRow>, StoreError>>(4);
    let job = export.clone();
    let writer = tokio::task::spawn_blocking(move || {
        let rows = Batches { rx, current: Vec::new().into_iter() };
        if job.options.format.is_typed() {
            typed::write_typed(&job.plan, &job.options, job.form.as_str(), job.zipped, rows, out, &progress, &job.extra)
        } else {
            writer::write_export(&job.plan, &job.options, job.form.as_str(), job.zipped, rows, out, &progress, &job.extra)
        }
    });
    {
        let mut rows = store.stream_export_rows(&export.filter);
        let mut batch = Vec::with_capacity(BATCH_ROWS);
        while let Some(row) = rows.next().await {
            match row {
                Ok(row) => {
                    batch.push(row);
                    if batch.len() == BATCH_ROWS && tx.send(Ok(std::mem::replace(&mut batch, Vec::with_capacity(BATCH_ROWS)))).await.is_err() {
                        break; // the writer stopped (an error, or the client went away)
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    break;
                }
            }
        }
        if !batch.is_empty() {
            let _ = tx.send(Ok(batch)).await;
        }
    }
    drop(tx);
    writer.await.map_err(|e| ExportError::Io(io::Error::other(e)))?
}

/// The rows of a running export, as the blocking writer sees them.
struct Batches {
    rx: tokio::sync::mpsc::Receiver<Result<Vec<ExportRow>, StoreError>>,
    current: std::vec::IntoIter<ExportRow>,
}

impl Iterator for Batches {
    type Item = Result<ExportRow, ExportError>;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(row) = self.current.next() {
                return Some(Ok(row));
            }
            match self.rx.blocking_recv()? {
                Ok(batch) => self.current = batch.into_iter(),
                Err(e) => return Some(Err(e.into())),
            }
        }
    }
}

/// Streams an export as HTTP body chunks.
pub fn stream(store: Store, export: PreparedExport) -> impl Stream<Item = Result<Bytes, io::Error>> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, io::Error>>(4);
    let out = ChannelWriter { tx: tx.clone(), buf: Vec::with_capacity(CHUNK_BYTES) };
    tokio::spawn(async move {
        let progress = Arc::new(AtomicU64::new(0));
        let result = run(store, Arc::new(export), out, progress.clone()).await;
        match result {
            Ok(mut out) => {
                let _ = tokio::task::spawn_blocking(move || out.flush()).await;
            }
            Err(e) => {
                tracing::warn!(error = %e, rows = progress.load(std::sync::atomic::Ordering::Relaxed), "export stopped");
                let _ = tx.send(Err(io::Error::other(e.to_string()))).await;
            }
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(rx)
}

/// A `Write` that hands full chunks to an async body (used from the blocking writer thread).
struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<Result<Bytes, io::Error>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK_BYTES));
        self.tx.blocking_send(Ok(Bytes::from(chunk))).map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK_BYTES {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}
