//! Excel `.xlsx` written as it streams: a ZIP (data descriptors, never a seek) of sheets whose
//! cells are inline strings, numbers and dates, so no shared-string table has to be held in
//! memory. One sheet per table, header frozen; a table longer than Excel's 1,048,576 rows goes
//! on in a sheet of the same name with ` (2)`, ` (3)`… Sheets carry no `<dimension>`: it would
//! need the row count before the rows, and readers compute it when it is absent.

use std::io::{self, Write};

use zip::{ZipWriter, write::{SimpleFileOptions, StreamWriter}};

use super::{Cell, FormatError, truncate_chars};

const MAX_ROWS: u64 = 1_048_576;
const MAX_TEXT: usize = 32_767;
/// Excel's serial day of 1970-01-01.
const EPOCH_SERIAL: f64 = 25_569.0;

const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy\-mm\-dd"/><numFmt numFmtId="165" formatCode="yyyy\-mm\-dd\ hh:mm:ss"/></numFmts><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"#;

const SHEET_START: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/><sheetData>"#;

const SHEET_END: &str = "</sheetData></worksheet>";

/// A workbook being written into `W`.
pub struct Workbook<W: Write> {
    zip: ZipWriter<StreamWriter<W>>,
    entry: SimpleFileOptions,
    sheets: Vec<String>,
    current: Option<Sheet>,
    buf: Vec<u8>,
}

struct Sheet {
    name: String,
    header: Vec<String>,
    columns: Vec<String>,
    rows: u64,
    part: u32,
}

impl<W: Write> Workbook<W> {
    pub fn new(out: W) -> Workbook<W> {
        let entry = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).compression_level(Some(1)).large_file(true);
        Workbook { zip: ZipWriter::new_stream(out), entry, sheets: Vec::new(), current: None, buf: Vec::with_capacity(64 * 1024) }
    }

    /// Starts a sheet named after `name` (made valid and unique) with `header` as its first row.
    pub fn start_sheet(&mut self, name: &str, header: &[String]) -> Result<(), FormatError> {
        self.end_sheet()?;
        let columns = (0..header.len()).map(column_letters).collect();
        self.current = Some(Sheet { name: name.to_string(), header: header.to_vec(), columns, rows: 0, part: 1 });
        self.open_part()
    }

    fn open_part(&mut self) -> Result<(), FormatError> {
        let Some(sheet) = self.current.as_mut() else { return Ok(()) };
        let base = if sheet.part == 1 { sheet.name.clone() } else { format!("{} ({})", sheet.name, sheet.part) };
        let name = unique_sheet_name(&base, &self.sheets);
        self.sheets.push(name);
        self.zip.start_file(format!("xl/worksheets/sheet{}.xml", self.sheets.len()), self.entry)?;
        self.zip.write_all(SHEET_START.as_bytes())?;
        let header = sheet.header.clone();
        sheet.rows = 0;
        let cells: Vec<Cell> = header.iter().map(|h| Cell::Text(h)).collect();
        self.write_row(&cells, 3)
    }

    /// Appends a row to the current sheet.
    pub fn row(&mut self, cells: &[Cell]) -> Result<(), FormatError> {
        if self.current.as_ref().is_some_and(|s| s.rows >= MAX_ROWS) {
            self.zip.write_all(SHEET_END.as_bytes())?;
            if let Some(sheet) = self.current.as_mut() {
                sheet.part += 1;
            }
            self.open_part()?;
        }
        self.write_row(cells, 0)
    }

    fn write_row(&mut self, cells: &[Cell], text_style: u8) -> Result<(), FormatError> {
        let Some(sheet) = self.current.as_mut() else { return Ok(()) };
        sheet.rows += 1;
        let r = sheet.rows;
        let buf = &mut self.buf;
        buf.clear();
        write!(buf, "<row r=\"{r}\">")?;
        for (cell, column) in cells.iter().zip(&sheet.columns) {
            match cell {
                Cell::Missing => {}
                Cell::Number(x) if x.is_finite() => write!(buf, "<c r=\"{column}{r}\"><v>{x}</v></c>")?,
                Cell::Number(_) => {}
                Cell::Text(t) if t.is_empty() => {}
                Cell::Text(t) => {
                    write!(buf, "<c r=\"{column}{r}\" t=\"inlineStr\"")?;
                    if text_style != 0 {
                        write!(buf, " s=\"{text_style}\"")?;
                    }
                    buf.extend_from_slice(b"><is><t xml:space=\"preserve\">");
                    escape(truncate_chars(t, MAX_TEXT), buf);
                    buf.extend_from_slice(b"</t></is></c>");
                }
                Cell::Date(d) => write!(buf, "<c r=\"{column}{r}\" s=\"1\"><v>{}</v></c>", *d as f64 + EPOCH_SERIAL)?,
                Cell::DateTime(ms) => write!(buf, "<c r=\"{column}{r}\" s=\"2\"><v>{}</v></c>", *ms as f64 / 86_400_000.0 + EPOCH_SERIAL)?,
            }
        }
        buf.extend_from_slice(b"</row>");
        self.zip.write_all(buf)?;
        Ok(())
    }

    fn end_sheet(&mut self) -> Result<(), FormatError> {
        if self.current.take().is_some() {
            self.zip.write_all(SHEET_END.as_bytes())?;
        }
        Ok(())
    }

    /// Writes the workbook's parts and the ZIP's directory; gives the output back.
    pub fn finish(mut self) -> Result<W, FormatError> {
        self.end_sheet()?;
        let n = self.sheets.len();
        let mut workbook = String::from(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>"#,
        );
        let mut rels = String::from(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
        );
        let mut types = String::from(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>"#,
        );
        for (i, name) in self.sheets.iter().enumerate() {
            let i = i + 1;
            let mut escaped = Vec::new();
            escape(name, &mut escaped);
            let escaped = String::from_utf8_lossy(&escaped).replace('"', "&quot;");
            workbook.push_str(&format!(r#"<sheet name="{escaped}" sheetId="{i}" r:id="rId{i}"/>"#));
            rels.push_str(&format!(
                r#"<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>"#
            ));
            types.push_str(&format!(
                r#"<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#
            ));
        }
        workbook.push_str("</sheets></workbook>");
        rels.push_str(&format!(
            r#"<Relationship Id="rId{}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#,
            n + 1
        ));
        types.push_str("</Types>");
        let parts: [(&str, &str); 5] = [
            ("xl/workbook.xml", &workbook),
            ("xl/_rels/workbook.xml.rels", &rels),
            ("xl/styles.xml", STYLES),
            ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#),
            ("[Content_Types].xml", &types),
        ];
        for (name, text) in parts {
            self.zip.start_file(name, self.entry)?;
            self.zip.write_all(text.as_bytes())?;
        }
        Ok(self.zip.finish()?.into_inner())
    }
}

/// `A`, `B`, … `Z`, `AA`, …
fn column_letters(mut index: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`, unique without case.
fn unique_sheet_name(name: &str, taken: &[String]) -> String {
    let clean: String = name.chars().map(|c| if "[]:*?/\\".contains(c) { '_' } else { c }).collect();
    let clean = if clean.trim().is_empty() { "Sheet".to_string() } else { clean };
    let mut candidate = truncate_chars(&clean, 31).to_string();
    let mut n = 2;
    while taken.iter().any(|t| t.to_lowercase() == candidate.to_lowercase()) {
        let suffix = format!("~{n}");
        candidate = format!("{}{suffix}", truncate_chars(&clean, 31 - suffix.len()));
        n += 1;
    }
    candidate
}

/// XML text: `&`, `<`, `>` escaped; characters XML 1.0 cannot hold dropped.
fn escape(text: &str, out: &mut Vec<u8>) {
    for ch in text.chars() {
        match ch {
            '&' => out.extend_from_slice(b"&amp;"),
            '<' => out.extend_from_slice(b"&lt;"),
            '>' => out.extend_from_slice(b"&gt;"),
            '\t' | '\n' | '\r' => out.push(ch as u8),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => {
                let mut b = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            }
        }
    }
}

impl From<std::fmt::Error> for FormatError {
    fn from(e: std::fmt::Error) -> Self {
        FormatError::Io(io::Error::other(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_and_sheet_names() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
        assert_eq!(unique_sheet_name("a/b", &[]), "a_b");
        assert_eq!(unique_sheet_name("X", &["x".into()]), "X~2");
    }
}
