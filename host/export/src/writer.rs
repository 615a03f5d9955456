//! Writes an export, synchronously, row by row: a CSV, or a ZIP of CSVs when the form has repeat
//! groups. The ZIP is streamed (entries with data descriptors, never a seek), the main table
//! first; repeat rows are spilled to unnamed temporary files during the one pass over the
//! responses and appended as entries after it. Memory stays flat whatever the number of rows.

use std::{
    fs::File,
    io::{self, BufWriter, Seek, Write},
    sync::atomic::{AtomicU64, Ordering},
};

use zip::{CompressionMethod, ZipWriter, write::SimpleFileOptions};

use super::{
    ExportError, ExportOptions,
    columns::ExportPlan,
    flatten::{Flattener, RepeatSink, RowCells},
};

use campo_store::exports::ExportRow;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

fn csv_writer<W: Write>(out: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .has_headers(false)
        .terminator(csv::Terminator::CRLF)
        .buffer_capacity(64 * 1024)
        .from_writer(out)
}

/// A repeat table being spilled to a temporary file.
struct Spill {
    writer: csv::Writer<BufWriter<File>>,
}

struct Spills {
    tables: Vec<Option<Spill>>,
}

impl RepeatSink for Spills {
    fn repeat_row(&mut self, table: usize, cells: &RowCells) -> io::Result<()> {
        if let Some(Some(spill)) = self.tables.get_mut(table) {
            spill.writer.write_record(&cells.cells).map_err(io::Error::other)?;
        }
        Ok(())
    }
}

/// Rows without repeat tables have nowhere to spill.
struct NoSpill;

impl RepeatSink for NoSpill {
    fn repeat_row(&mut self, _: usize, _: &RowCells) -> io::Result<()> {
        Ok(())
    }
}

/// The file names of an export's tables: `FORM.csv`, then `FORM-REPEAT.csv` (the repeat's path
/// when two repeats share a name).
pub fn table_files(plan: &ExportPlan, form: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (i, table) in plan.tables.iter().enumerate() {
        if i == 0 {
            names.push(format!("{form}.csv"));
            continue;
        }
        let short = format!("{form}-{}.csv", table.name);
        if plan.tables.iter().filter(|t| t.name == table.name).count() > 1 {
            let path: String = table.path.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '-' }).collect();
            names.push(format!("{form}-{path}.csv"));
        } else {
            names.push(short);
        }
    }
    names
}

/// Writes the export of `rows` into `out`; `progress` counts the responses written. `extra`
/// entries (the codebook) are added to a ZIP.
pub fn write_export<W: Write>(
    plan: &ExportPlan,
    options: &ExportOptions,
    form: &str,
    zipped: bool,
    rows: impl Iterator<Item = Result<ExportRow, ExportError>>,
    mut out: W,
    progress: &AtomicU64,
    extra: &[(String, Vec<u8>)],
) -> Result<W, ExportError> {
    let headers: Vec<Vec<String>> = plan.tables.iter().map(|t| t.header(plan.lang)).collect();
    let mut flattener = Flattener::new(plan, options.neutralise);
    if !zipped {
        if options.bom {
            out.write_all(UTF8_BOM)?;
        }
        let mut csv = csv_writer(out);
        csv.write_record(&headers[0])?;
        csv.flush()?;
        for row in rows {
            let row = row?;
            fill_main(&mut flattener, &row, &mut NoSpill)?;
            csv.write_record(&flattener.rows[0].cells)?;
            progress.fetch_add(1, Ordering::Relaxed);
        }
        csv.flush()?;
        return csv.into_inner().map_err(|e| ExportError::Io(e.into_error()));
    }

    let files = table_files(plan, form);
    let mut spills = Spills { tables: Vec::new() };
    for (i, header) in headers.iter().enumerate() {
        if i == 0 {
            spills.tables.push(None);
            continue;
        }
        let mut writer = csv_writer(BufWriter::with_capacity(64 * 1024, tempfile::tempfile()?));
        writer.write_record(header)?;
        spills.tables.push(Some(Spill { writer }));
    }
    let entry = SimpleFileOptions::default()
        .compression_method(options.compression())
        .compression_level(options.compression_level())
        .large_file(true);
    let mut zip = ZipWriter::new_stream(out);
    zip.start_file(files[0].as_str(), entry)?;
    if options.bom {
        zip.write_all(UTF8_BOM)?;
    }
    {
        let mut csv = csv_writer(&mut zip);
        csv.write_record(&headers[0])?;
        csv.flush()?;
        for row in rows {
            let row = row?;
            fill_main(&mut flattener, &row, &mut spills)?;
            csv.write_record(&flattener.rows[0].cells)?;
            progress.fetch_add(1, Ordering::Relaxed);
        }
        csv.flush()?;
    }
    for (i, spill) in spills.tables.into_iter().enumerate() {
        let Some(spill) = spill else { continue };
        let mut file = spill.writer.into_inner().map_err(|e| ExportError::Io(e.into_error()))?.into_inner().map_err(|e| ExportError::Io(e.into_error()))?;
        file.rewind()?;
        zip.start_file(files[i].as_str(), entry)?;
        if options.bom {
            zip.write_all(UTF8_BOM)?;
        }
        io::copy(&mut file, &mut zip)?;
    }
    let small = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, bytes) in extra {
        zip.start_file(name.as_str(), small)?;
        if options.bom {
            zip.write_all(UTF8_BOM)?;
        }
        zip.write_all(bytes)?;
    }
    let stream = zip.finish()?;
    Ok(stream.into_inner())
}

pub(crate) fn fill_main(flattener: &mut Flattener<'_>, row: &ExportRow, spills: &mut dyn RepeatSink) -> Result<(), ExportError> {
    let plan = flattener.plan;
    for table in flattener.rows.iter_mut() {
        table.clear();
    }
    let main = &mut flattener.rows[0].cells;
    main[0].extend_from_slice(row.id.as_bytes());
    main[1].extend_from_slice(row.received_at.as_bytes());
    main[2].extend_from_slice(row.enumerator.as_bytes());
    if flattener.neutralise && matches!(row.enumerator.as_bytes().first(), Some(b'=' | b'+' | b'-' | b'@')) {
        main[2].insert(0, b'\'');
    }
    main[3].extend_from_slice(row.version.as_bytes());
    main[4].extend_from_slice(row.logic_plugin.as_deref().unwrap_or("").as_bytes());
    scoring_plugins(row, &mut main[5]);
    main[6].extend_from_slice(row.case_key.as_deref().unwrap_or("").as_bytes());
    if flattener.neutralise && matches!(main[6].first(), Some(b'=' | b'+' | b'-' | b'@')) {
        main[6].insert(0, b'\'');
    }
    main[7].extend_from_slice(row.team.as_deref().unwrap_or("").as_bytes());
    // Codes by default; with labels, the state's name in the export's language.
    match plan.lang {
        Some(lang) => main[8].extend_from_slice(row.review.label().get(lang).as_bytes()),
        None => main[8].extend_from_slice(row.review.as_str().as_bytes()),
    }
    main[9].extend_from_slice(row.revision.to_string().as_bytes());
    if let Some(key) = plan.main_key {
        main[key].extend_from_slice(row.id.as_bytes());
    }
    flattener
        .answers(&row.answers, &row.id, spills)
        .map_err(|e| ExportError::Corrupt(format!("answers of submission {}: {e}", row.id)))?;
    flattener.scores(&row.scores);
    Ok(())
}

/// The plugin that produced the row's scores; after a partial re-scoring, each score's plugin
/// as `name=hash`, space-separated.
fn scoring_plugins(row: &ExportRow, out: &mut Vec<u8>) {
    let Some(map) = row.score_plugins.as_deref().and_then(|s| serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(s).ok())
    else {
        out.extend_from_slice(row.scoring_plugin.as_deref().unwrap_or("").as_bytes());
        return;
    };
    let mut hashes = map.values().filter_map(|v| v.as_str());
    let Some(first) = hashes.next() else {
        out.extend_from_slice(row.scoring_plugin.as_deref().unwrap_or("").as_bytes());
        return;
    };
    if hashes.all(|h| h == first) {
        out.extend_from_slice(first.as_bytes());
        return;
    }
    let parts: Vec<String> = map.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or(""))).collect();
    out.extend_from_slice(parts.join(" ").as_bytes());
}
