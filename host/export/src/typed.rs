//! The analyst formats (Stata, SPSS, Excel, Parquet): the plan's tables described as
//! `campo-formats` tables, each flattened row's cells parsed into typed cells, and the files
//! assembled: one file, or a ZIP of one file per table (main first) with the codebook, or one
//! workbook with a sheet per table and a codebook sheet.
//!
//! Parquet and the Excel main sheet stream as rows arrive; Stata and SPSS need the row count and
//! text widths in their headers, so their writers spool rows and write each file at the end;
//! repeat tables are spooled in every format, as in the CSV ZIP.

use std::{
    collections::HashMap,
    fs::File,
    io::{self, Seek, Write},
    sync::atomic::{AtomicU64, Ordering},
};

use campo_domain::{Lang, ReviewState};
use campo_formats::{
    Cell, Choice, FormatError, Kind, Table as FileTable, Variable, dta::DtaWriter, integer_codes, parse_date, parse_datetime, pq::ParquetWriter,
    sav::SavWriter, spool::Spool, xlsx::Workbook,
};
use campo_store::exports::ExportRow;
use zip::{ZipWriter, write::SimpleFileOptions};

use super::{
    ExportError, ExportOptions, Format,
    columns::{Column, ColumnKind, ExportPlan},
    flatten::{Flattener, RepeatSink, RowCells},
    writer::{fill_main, table_files},
};

/// What receives one table's typed rows.
trait Sink {
    fn push(&mut self, cells: &[Cell]) -> Result<(), FormatError>;
}

impl Sink for DtaWriter {
    fn push(&mut self, cells: &[Cell]) -> Result<(), FormatError> {
        DtaWriter::push(self, cells)
    }
}

impl Sink for SavWriter {
    fn push(&mut self, cells: &[Cell]) -> Result<(), FormatError> {
        SavWriter::push(self, cells)
    }
}

impl<W: Write + Send> Sink for ParquetWriter<W> {
    fn push(&mut self, cells: &[Cell]) -> Result<(), FormatError> {
        ParquetWriter::push(self, cells)
    }
}

impl Sink for Spool {
    fn push(&mut self, cells: &[Cell]) -> Result<(), FormatError> {
        Ok(Spool::push(self, cells)?)
    }
}

struct SheetSink<'b, W: Write> {
    book: &'b mut Workbook<W>,
}

impl<W: Write> Sink for SheetSink<'_, W> {
    fn push(&mut self, cells: &[Cell]) -> Result<(), FormatError> {
        self.book.row(cells)
    }
}

/// How one table's text cells become typed cells.
struct Conversion {
    kinds: Vec<Kind>,
    /// Excel with labels: choice codes shown as their labels.
    shown: Vec<Option<HashMap<String, String>>>,
}

impl Conversion {
    fn new(table: &FileTable, labels_in_cells: bool) -> Conversion {
        let kinds: Vec<Kind> = table.variables.iter().map(|v| v.kind.clone()).collect();
        let shown = kinds
            .iter()
            .map(|k| match k {
                Kind::Coded(choices) if labels_in_cells => Some(choices.iter().map(|c| (c.code.clone(), c.label.clone())).collect()),
                _ => None,
            })
            .collect();
        Conversion { kinds, shown }
    }

    fn cells<'a>(&'a self, row: &'a RowCells) -> Vec<Cell<'a>> {
        row.cells
            .iter()
            .zip(&self.kinds)
            .zip(&self.shown)
            .map(|((bytes, kind), shown)| {
                let text = std::str::from_utf8(bytes).unwrap_or("");
                if text.is_empty() {
                    return Cell::Missing;
                }
                match kind {
                    Kind::Text => Cell::Text(text),
                    Kind::Coded(_) => Cell::Text(shown.as_ref().and_then(|s| s.get(text)).map(String::as_str).unwrap_or(text)),
                    Kind::Integer | Kind::Number | Kind::Flag => text.parse::<f64>().map(Cell::Number).unwrap_or(Cell::Missing),
                    Kind::Date => parse_date(text).map(Cell::Date).unwrap_or(Cell::Missing),
                    Kind::DateTime => parse_datetime(text).map(Cell::DateTime).unwrap_or(Cell::Missing),
                }
            })
            .collect()
    }
}

/// Repeat rows, typed and handed to their table's sink.
struct Repeats<'s, 'b> {
    sinks: &'s mut [Box<dyn Sink + 'b>],
    conversions: &'s [Conversion],
}

impl RepeatSink for Repeats<'_, '_> {
    fn repeat_row(&mut self, table: usize, cells: &RowCells) -> io::Result<()> {
        let Some(sink) = self.sinks.get_mut(table.wrapping_sub(1)) else { return Ok(()) };
        let typed = self.conversions[table].cells(cells);
        Ok(sink.push(&typed)?)
    }
}

/// One pass over the responses: the main table to `main`, repeat rows to `repeats`.
fn one_pass(
    flattener: &mut Flattener<'_>,
    conversions: &[Conversion],
    rows: impl Iterator<Item = Result<ExportRow, ExportError>>,
    progress: &AtomicU64,
    main: &mut dyn Sink,
    repeats: &mut [Box<dyn Sink + '_>],
) -> Result<(), ExportError> {
    let mut sink = Repeats { sinks: repeats, conversions };
    for row in rows {
        let row = row?;
        fill_main(flattener, &row, &mut sink)?;
        main.push(&conversions[0].cells(&flattener.rows[0]))?;
        progress.fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}

/// The plan's tables as the formats see them, labels in `lang`.
pub fn file_tables(plan: &ExportPlan, form: &str, lang: Lang) -> Vec<FileTable> {
    plan.tables
        .iter()
        .map(|table| FileTable {
            name: if table.name.is_empty() { form.to_string() } else { table.name.clone() },
            label: if table.path.is_empty() { form.to_string() } else { format!("{form}: {}", table.path) },
            variables: table.columns.iter().map(|c| variable(c, lang)).collect(),
        })
        .collect()
}

fn variable(column: &Column, lang: Lang) -> Variable {
    let choices = |column: &Column| -> Vec<Choice> {
        column.choices.iter().map(|c| Choice { code: c.code.clone(), label: c.label.as_ref().map(|l| lang.pick(l).to_string()).unwrap_or_else(|| c.code.clone()) }).collect()
    };
    let kind = match &column.kind {
        ColumnKind::Metadata => match column.name.as_str() {
            "received_at" => Kind::DateTime,
            "revision" => Kind::Integer,
            "review" => Kind::Coded(
                [ReviewState::Received, ReviewState::Approved, ReviewState::HasIssues, ReviewState::Rejected]
                    .iter()
                    .map(|s| Choice { code: s.as_str().to_string(), label: s.label().get(lang).to_string() })
                    .collect(),
            ),
            _ => Kind::Text,
        },
        ColumnKind::Answer => match column.value_type.as_str() {
            "integer" => Kind::Integer,
            "number" => Kind::Number,
            "boolean" => Kind::Flag,
            "date" => Kind::Date,
            "datetime" => Kind::DateTime,
            "single_choice" => Kind::Coded(choices(column)),
            _ => Kind::Text,
        },
        ColumnKind::ChoiceFlag(_) => Kind::Flag,
        ColumnKind::Score(_) => Kind::Number,
        ColumnKind::ScoreCategory(_) => Kind::Coded(choices(column)),
        ColumnKind::MultipleChoice | ColumnKind::Key | ColumnKind::ParentKey => Kind::Text,
    };
    let label = match (&column.kind, &column.label) {
        (ColumnKind::Metadata | ColumnKind::ChoiceFlag(_) | ColumnKind::ScoreCategory(_), _) => column.header(Some(lang)),
        (ColumnKind::Key, _) => lang.pick_of("Clave de la fila", "Row key").to_string(),
        (ColumnKind::ParentKey, _) => lang.pick_of("Clave de la fila madre", "Parent row's key").to_string(),
        (_, Some(label)) => lang.pick(label).to_string(),
        (_, None) => String::new(),
    };
    Variable { path: column.name.clone(), label, kind }
}

/// The file names of the tables in a ZIP: those of the CSV export with the format's extension.
fn file_names(plan: &ExportPlan, form: &str, ext: &str) -> Vec<String> {
    table_files(plan, form).into_iter().map(|f| format!("{}.{ext}", f.trim_end_matches(".csv"))).collect()
}

/// Writes a typed export of `rows` into `out`.
#[allow(clippy::too_many_arguments)]
pub fn write_typed<W: Write + Send>(
    plan: &ExportPlan,
    options: &ExportOptions,
    form: &str,
    zipped: bool,
    rows: impl Iterator<Item = Result<ExportRow, ExportError>>,
    out: W,
    progress: &AtomicU64,
    extra: &[(String, Vec<u8>)],
) -> Result<W, ExportError> {
    let lang = options.labels.unwrap_or(Lang::Es);
    let tables = file_tables(plan, form, lang);
    let format = options.format;
    let conversions: Vec<Conversion> = tables.iter().map(|t| Conversion::new(t, format == Format::Xlsx && options.labels.is_some())).collect();
    let mut flattener = Flattener::new(plan, false);
    let lang_es = lang == Lang::Es;
    let entry = SimpleFileOptions::default().compression_method(options.compression()).compression_level(options.compression_level()).large_file(true);

    let pass = |main: &mut dyn Sink, repeats: &mut [Box<dyn Sink + '_>]| one_pass(&mut flattener, &conversions, rows, progress, main, repeats);

    match format {
        Format::Dta | Format::Sav => {
            let ext = if format == Format::Dta { "dta" } else { "sav" };
            let mut writers: Vec<Spooled> = Vec::with_capacity(tables.len());
            for table in &tables {
                writers.push(if format == Format::Dta {
                    Spooled::Dta(DtaWriter::new(table.clone(), lang_es)?)
                } else {
                    Spooled::Sav(SavWriter::new(table.clone(), lang_es)?)
                });
            }
            // A ZIP's first entry header leaves before the rows are read (its data cannot: the
            // header of a .dta or .sav needs the row count).
            let files = file_names(plan, form, ext);
            let mut zip = None;
            let mut out = Some(out);
            if zipped && let Some(out) = out.take() {
                let mut z = ZipWriter::new_stream(out);
                z.start_file(files[0].as_str(), entry)?;
                z.flush()?;
                zip = Some(z);
            }
            {
                let (main, rest) = writers.split_at_mut(1);
                let mut repeats: Vec<Box<dyn Sink + '_>> = rest.iter_mut().map(|w| Box::new(SpooledRef(w)) as Box<dyn Sink>).collect();
                pass(&mut SpooledRef(&mut main[0]), &mut repeats)?;
            }
            let (Some(mut zip), None) = (zip, out.as_ref()) else {
                let mut out = out.ok_or_else(|| ExportError::Io(io::Error::other("the output went to a ZIP")))?;
                if let Some(main) = writers.into_iter().next() {
                    main.finish(&mut out)?;
                }
                return Ok(out);
            };
            let mut variables = Vec::new();
            for (i, writer) in writers.into_iter().enumerate() {
                variables.extend(writer.names().iter().zip(&tables[i].variables).map(|(n, v)| (files[i].clone(), n.clone(), v.clone())));
                if i > 0 {
                    zip.start_file(files[i].as_str(), entry)?;
                }
                writer.finish(&mut zip)?;
            }
            finish_zip(zip, extra, Some(&variables))
        }
        Format::Parquet => {
            let files = file_names(plan, form, "parquet");
            let mut repeats: Vec<ParquetWriter<File>> = Vec::new();
            for table in &tables[1..] {
                repeats.push(ParquetWriter::new(table, tempfile::tempfile()?)?);
            }
            if !zipped {
                let mut main = ParquetWriter::new(&tables[0], out)?;
                pass(&mut main, &mut [])?;
                return Ok(main.finish()?);
            }
            let mut zip = ZipWriter::new_stream(out);
            zip.start_file(files[0].as_str(), entry)?;
            {
                let mut main = ParquetWriter::new(&tables[0], &mut zip)?;
                let mut boxed: Vec<Box<dyn Sink + '_>> = repeats.iter_mut().map(|w| Box::new(ParquetRef(w)) as Box<dyn Sink>).collect();
                pass(&mut main, &mut boxed)?;
                drop(boxed);
                main.finish()?;
            }
            for (i, writer) in repeats.into_iter().enumerate() {
                let mut file = writer.finish()?;
                file.rewind()?;
                zip.start_file(files[i + 1].as_str(), entry)?;
                io::copy(&mut file, &mut zip)?;
            }
            finish_zip(zip, extra, None)
        }
        Format::Xlsx => {
            let mut book = Workbook::new(out);
            let headers: Vec<Vec<String>> = tables.iter().map(|t| t.variables.iter().map(|v| v.path.clone()).collect()).collect();
            let mut spools: Vec<Spool> = Vec::new();
            for table in &tables[1..] {
                spools.push(Spool::new(table.variables.len())?);
            }
            book.start_sheet(&tables[0].name, &headers[0])?;
            {
                let mut boxed: Vec<Box<dyn Sink + '_>> = spools.iter_mut().map(|s| Box::new(SpoolRef(s)) as Box<dyn Sink>).collect();
                pass(&mut SheetSink { book: &mut book }, &mut boxed)?;
            }
            for (i, spool) in spools.into_iter().enumerate() {
                book.start_sheet(&tables[i + 1].name, &headers[i + 1])?;
                let mut reader = spool.reader()?;
                while let Some(cells) = reader.next_row()? {
                    let cells: Vec<Cell> = cells.collect();
                    book.row(&cells)?;
                }
            }
            let header: Vec<String> = [("tabla", "table"), ("variable", "variable"), ("etiqueta", "label"), ("tipo", "type"), ("opciones", "choices")]
                .iter()
                .map(|(es, en)| lang.pick_of(es, en).to_string())
                .collect();
            book.start_sheet(lang.pick_of("libro_de_codigos", "codebook"), &header)?;
            for table in &tables {
                for var in &table.variables {
                    let (kind, choices) = describe(&var.kind, false);
                    book.row(&[Cell::Text(&table.name), Cell::Text(&var.path), Cell::Text(&var.label), Cell::Text(kind), Cell::Text(&choices)])?;
                }
            }
            Ok(book.finish()?)
        }
        _ => Err(ExportError::BadOption { es: format!("{format:?} no es un formato con tipos"), en: format!("{format:?} is not a typed format") }),
    }
}

/// A variable's type and choices as the codebook says them; `integers`: with the integer code
/// each choice has in Stata and SPSS.
fn describe(kind: &Kind, integers: bool) -> (&'static str, String) {
    match kind {
        Kind::Text => ("text", String::new()),
        Kind::Integer => ("integer", String::new()),
        Kind::Number => ("number", String::new()),
        Kind::Flag => ("0/1", String::new()),
        Kind::Date => ("date", String::new()),
        Kind::DateTime => ("datetime", String::new()),
        Kind::Coded(choices) => {
            let text = if integers {
                integer_codes(choices).iter().zip(choices).map(|(i, c)| format!("{i} = {} ({})", c.code, c.label)).collect::<Vec<_>>().join("; ")
            } else {
                choices.iter().map(|c| format!("{} = {}", c.code, c.label)).collect::<Vec<_>>().join("; ")
            };
            ("choice", text)
        }
    }
}

fn finish_zip<W: Write>(
    mut zip: ZipWriter<zip::write::StreamWriter<W>>,
    extra: &[(String, Vec<u8>)],
    variables: Option<&[(String, String, Variable)]>,
) -> Result<W, ExportError> {
    let small = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in extra {
        zip.start_file(name.as_str(), small)?;
        zip.write_all(bytes)?;
    }
    if let Some(variables) = variables {
        // Which name each column got in the files and the integer code of each choice.
        let mut csv = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
        csv.write_record(["file", "variable", "path", "label", "type", "codes"])?;
        for (file, name, var) in variables {
            let (kind, codes) = describe(&var.kind, true);
            csv.write_record([file.as_str(), name, &var.path, &var.label, kind, &codes])?;
        }
        let bytes = csv.into_inner().map_err(|e| ExportError::Io(e.into_error()))?;
        zip.start_file("variables.csv", small)?;
        zip.write_all(&bytes)?;
    }
    Ok(zip.finish()?.into_inner())
}

/// A Stata or SPSS writer (both spool until the end).
enum Spooled {
    Dta(DtaWriter),
    Sav(SavWriter),
}

impl Spooled {
    fn names(&self) -> &[String] {
        match self {
            Spooled::Dta(w) => w.names(),
            Spooled::Sav(w) => w.names(),
        }
    }

    fn finish<W: Write>(self, out: &mut W) -> Result<(), FormatError> {
        match self {
            Spooled::Dta(w) => w.finish(out),
            Spooled::Sav(w) => w.finish(out),
        }
    }
}

struct SpooledRef<'a>(&'a mut Spooled);

impl Sink for SpooledRef<'_> {
    fn push(&mut self, cells: &[Cell]) -> Result<(), FormatError> {
        match self.0 {
            Spooled::Dta(w) => w.push(cells),
            Spooled::Sav(w) => w.push(cells),
        }
    }
}

struct ParquetRef<'a>(&'a mut ParquetWriter<File>);

impl Sink for ParquetRef<'_> {
    fn push(&mut self, cells: &[Cell]) -> Result<(), FormatError> {
        self.0.push(cells)
    }
}

struct SpoolRef<'a>(&'a mut Spool);

impl Sink for SpoolRef<'_> {
    fn push(&mut self, cells: &[Cell]) -> Result<(), FormatError> {
        Ok(self.0.push(cells)?)
    }
}
