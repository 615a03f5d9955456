//! Stata `.dta`, format 118 (Stata 14 and later; UTF-8): the layout is Stata's own
//! <https://www.stata.com/help.cgi?dta>. The header holds the row count, each text variable's
//! width and a map of byte offsets, so the rows are spooled first and the file is written in one
//! pass when they are done: never a seek, so it can stream into a ZIP or an HTTP body.
//!
//! Text up to 2045 bytes is `strN` (N the longest value), longer text `strL`; choices are
//! integer codes with a value label; flags 0/1 bytes labelled no/yes; dates `%td`, instants
//! `%tc`; numbers doubles.

use std::io::{self, Write};

use super::{Cell, CodeMap, FormatError, Kind, Table, flag_labels, names, spool::Spool, truncate, variable_label};

const STR_MAX: usize = 2045;
const STRL: u16 = 32768;
const DOUBLE: u16 = 65526;
const LONG: u16 = 65528;
const BYTE: u16 = 65530;
const DOUBLE_MISSING: u64 = 0x7fe0_0000_0000_0000;
const LONG_MISSING: i32 = 2_147_483_621;
const BYTE_MISSING: i8 = 101;
/// Days and milliseconds from Stata's epoch (1960-01-01) to the Unix epoch.
const DAYS_1960_TO_1970: i32 = 3653;
const MS_1960_TO_1970: i64 = 315_619_200_000;
const YES_NO: &str = "campo_yes_no";

/// A `.dta` being written: rows go to a spool until [`DtaWriter::finish`].
pub struct DtaWriter {
    table: Table,
    names: Vec<String>,
    codes: Vec<Option<CodeMap>>,
    spool: Spool,
    lang_es: bool,
}

impl DtaWriter {
    /// `lang_es`: the no/yes labels of flags in Spanish.
    pub fn new(table: Table, lang_es: bool) -> Result<DtaWriter, FormatError> {
        let paths: Vec<&str> = table.variables.iter().map(|v| v.path.as_str()).collect();
        if paths.len() > 32_767 {
            return Err(FormatError::Limit(format!("Stata allows 32,767 variables; this table has {}", paths.len())));
        }
        let names = names::unique(&paths, names::STATA);
        let codes = CodeMap::for_table(&table);
        let spool = Spool::new(table.variables.len())?;
        Ok(DtaWriter { table, names, codes, spool, lang_es })
    }

    /// The variables' names in the file, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn push(&mut self, cells: &[Cell]) -> Result<(), FormatError> {
        Ok(self.spool.push(&CodeMap::code_row(&mut self.codes, cells))?)
    }

    /// Writes the whole file into `out`.
    pub fn finish<W: Write>(self, out: &mut W) -> Result<(), FormatError> {
        let DtaWriter { table, names, codes, spool, lang_es } = self;
        let k = table.variables.len();
        let n = spool.rows;
        // Each variable's type and display format.
        let mut types = Vec::with_capacity(k);
        let mut formats = Vec::with_capacity(k);
        let mut label_names = Vec::with_capacity(k);
        for (i, var) in table.variables.iter().enumerate() {
            let (ty, format, label) = match &var.kind {
                Kind::Text => {
                    let len = spool.max_len[i].max(1);
                    if len > STR_MAX { (STRL, "%9s".to_string(), String::new()) } else { (len as u16, format!("%-{}s", len.min(60)), String::new()) }
                }
                Kind::Integer => (DOUBLE, "%12.0g".into(), String::new()),
                Kind::Number => (DOUBLE, "%10.0g".into(), String::new()),
                Kind::Flag => (BYTE, "%8.0g".into(), YES_NO.to_string()),
                Kind::Date => (LONG, "%td".into(), String::new()),
                Kind::DateTime => (DOUBLE, "%tc".into(), String::new()),
                Kind::Coded(_) => {
                    let fits_byte = codes[i].as_ref().is_some_and(|c| c.labels.iter().all(|(v, _)| (-127..=100).contains(v)));
                    (if fits_byte { BYTE } else { LONG }, "%8.0g".into(), names[i].clone())
                }
            };
            types.push(ty);
            formats.push(format);
            label_names.push(label);
        }
        let width = |ty: u16| -> u64 {
            match ty {
                DOUBLE | STRL => 8,
                LONG => 4,
                BYTE => 1,
                n => n as u64,
            }
        };
        let row_width: u64 = types.iter().map(|t| width(*t)).sum();

        // Everything before the data, built in memory (its size grows with the variables only).
        let mut head: Vec<u8> = Vec::new();
        let mut map = [0u64; 14];
        head.extend_from_slice(b"<stata_dta><header><release>118</release><byteorder>LSF</byteorder><K>");
        head.extend_from_slice(&(k as u16).to_le_bytes());
        head.extend_from_slice(b"</K><N>");
        head.extend_from_slice(&n.to_le_bytes());
        head.extend_from_slice(b"</N><label>");
        let label = truncate(&table.label, 320);
        head.extend_from_slice(&(label.len() as u16).to_le_bytes());
        head.extend_from_slice(label.as_bytes());
        head.extend_from_slice(b"</label><timestamp>");
        let stamp = timestamp();
        head.push(stamp.len() as u8);
        head.extend_from_slice(stamp.as_bytes());
        head.extend_from_slice(b"</timestamp></header>");
        map[1] = head.len() as u64;
        head.extend_from_slice(b"<map>");
        let map_at = head.len();
        head.extend_from_slice(&[0u8; 14 * 8]);
        head.extend_from_slice(b"</map>");
        map[2] = head.len() as u64;
        head.extend_from_slice(b"<variable_types>");
        for ty in &types {
            head.extend_from_slice(&ty.to_le_bytes());
        }
        head.extend_from_slice(b"</variable_types>");
        map[3] = head.len() as u64;
        head.extend_from_slice(b"<varnames>");
        for name in &names {
            fixed(&mut head, name, 129);
        }
        head.extend_from_slice(b"</varnames>");
        map[4] = head.len() as u64;
        head.extend_from_slice(b"<sortlist>");
        head.extend(std::iter::repeat_n(0u8, (k + 1) * 2));
        head.extend_from_slice(b"</sortlist>");
        map[5] = head.len() as u64;
        head.extend_from_slice(b"<formats>");
        for format in &formats {
            fixed(&mut head, format, 57);
        }
        head.extend_from_slice(b"</formats>");
        map[6] = head.len() as u64;
        head.extend_from_slice(b"<value_label_names>");
        for name in &label_names {
            fixed(&mut head, name, 129);
        }
        head.extend_from_slice(b"</value_label_names>");
        map[7] = head.len() as u64;
        head.extend_from_slice(b"<variable_labels>");
        for (var, name) in table.variables.iter().zip(&names) {
            fixed(&mut head, &variable_label(var, name, 80), 321);
        }
        head.extend_from_slice(b"</variable_labels>");
        map[8] = head.len() as u64;
        head.extend_from_slice(b"<characteristics></characteristics>");
        map[9] = head.len() as u64;
        let data_len = 6 + n * row_width + 7; // <data> … </data>
        map[10] = map[9] + data_len;
        let strl_len: u64 = (0..k).filter(|i| types[*i] == STRL).map(|i| spool.texts[i].0 * 21 + spool.texts[i].1).sum();
        map[11] = map[10] + 7 + strl_len + 8; // <strls> … </strls>
        let labels = value_labels(&label_names, &codes, lang_es);
        map[12] = map[11] + labels.len() as u64;
        map[13] = map[12] + 12; // </stata_dta>
        for (i, offset) in map.iter().enumerate() {
            head[map_at + i * 8..map_at + i * 8 + 8].copy_from_slice(&offset.to_le_bytes());
        }
        out.write_all(&head)?;
        drop(head);

        // The data, and each strL's bytes to a second spool (they follow the data).
        out.write_all(b"<data>")?;
        let mut strls = io::BufWriter::with_capacity(256 * 1024, tempfile::tempfile()?);
        let mut rows = spool.reader()?;
        let mut record: Vec<u8> = Vec::with_capacity(row_width as usize);
        let mut obs: u64 = 0;
        while let Some(cells) = rows.next_row()? {
            obs += 1;
            record.clear();
            for (i, cell) in cells.enumerate() {
                let ty = types[i];
                match ty {
                    STRL => match cell {
                        Cell::Text(t) if !t.is_empty() => {
                            let v = (i + 1) as u64;
                            let vo = v | (obs << 16);
                            record.extend_from_slice(&vo.to_le_bytes());
                            strls.write_all(b"GSO")?;
                            strls.write_all(&(v as u32).to_le_bytes())?;
                            strls.write_all(&obs.to_le_bytes())?;
                            strls.write_all(&[130u8])?;
                            strls.write_all(&(t.len() as u32 + 1).to_le_bytes())?;
                            strls.write_all(t.as_bytes())?;
                            strls.write_all(&[0u8])?;
                        }
                        _ => record.extend_from_slice(&[0u8; 8]),
                    },
                    DOUBLE => {
                        let value = match cell {
                            Cell::Number(x) if x.is_finite() && x.abs() < 8.9e307 => Some(x),
                            Cell::DateTime(ms) => Some((ms + MS_1960_TO_1970) as f64),
                            Cell::Date(d) => Some((d + DAYS_1960_TO_1970) as f64),
                            _ => None,
                        };
                        match value {
                            Some(x) => record.extend_from_slice(&x.to_le_bytes()),
                            None => record.extend_from_slice(&DOUBLE_MISSING.to_le_bytes()),
                        }
                    }
                    LONG => {
                        let value = match cell {
                            Cell::Number(x) if x.fract() == 0.0 && x.abs() < 2_147_483_000.0 => x as i32,
                            Cell::Date(d) => d + DAYS_1960_TO_1970,
                            _ => LONG_MISSING,
                        };
                        record.extend_from_slice(&value.to_le_bytes());
                    }
                    BYTE => {
                        let value = match cell {
                            Cell::Number(x) if x.fract() == 0.0 && (-127.0..=100.0).contains(&x) => x as i8,
                            _ => BYTE_MISSING,
                        };
                        record.push(value as u8);
                    }
                    len => {
                        let start = record.len();
                        if let Cell::Text(t) = cell {
                            record.extend_from_slice(truncate(t, len as usize).as_bytes());
                        }
                        record.resize(start + len as usize, 0);
                    }
                }
            }
            out.write_all(&record)?;
        }
        out.write_all(b"</data>")?;
        out.write_all(b"<strls>")?;
        let mut strls = strls.into_inner().map_err(|e| e.into_error())?;
        io::Seek::rewind(&mut strls)?;
        io::copy(&mut strls, out)?;
        out.write_all(b"</strls>")?;
        out.write_all(&labels)?;
        out.write_all(b"</stata_dta>")?;
        Ok(())
    }
}

/// `text` in a fixed field of `len` bytes, zero-padded (and always zero-terminated).
fn fixed(out: &mut Vec<u8>, text: &str, len: usize) {
    let text = truncate(text, len - 1);
    out.extend_from_slice(text.as_bytes());
    out.extend(std::iter::repeat_n(0u8, len - text.len()));
}

fn timestamp() -> String {
    let now = time::OffsetDateTime::now_utc();
    let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    format!("{:02} {} {:04} {:02}:{:02}", now.day(), months[now.month() as usize - 1], now.year(), now.hour(), now.minute())
}

/// The `<value_labels>` section: the yes/no set when a flag uses it, then one set per coded
/// variable (named as the variable).
fn value_labels(label_names: &[String], codes: &[Option<CodeMap>], lang_es: bool) -> Vec<u8> {
    let mut out = b"<value_labels>".to_vec();
    if label_names.iter().any(|n| n == YES_NO) {
        let pairs: Vec<(i32, String)> = flag_labels(lang_es).iter().map(|(v, l)| (*v, l.to_string())).collect();
        label_set(&mut out, YES_NO, &pairs);
    }
    for (name, codes) in label_names.iter().zip(codes) {
        if let Some(codes) = codes {
            let mut pairs = codes.labels.clone();
            pairs.sort_by_key(|(v, _)| *v);
            label_set(&mut out, name, &pairs);
        }
    }
    out.extend_from_slice(b"</value_labels>");
    out
}

fn label_set(out: &mut Vec<u8>, name: &str, pairs: &[(i32, String)]) {
    let mut text: Vec<u8> = Vec::new();
    let mut offsets = Vec::with_capacity(pairs.len());
    for (_, label) in pairs {
        offsets.push(text.len() as i32);
        text.extend_from_slice(truncate(label, 32_000).as_bytes());
        text.push(0);
    }
    let n = pairs.len() as i32;
    let len = 8 + 8 * n + text.len() as i32;
    out.extend_from_slice(b"<lbl>");
    out.extend_from_slice(&len.to_le_bytes());
    fixed(out, name, 129);
    out.extend_from_slice(&[0u8; 3]);
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&(text.len() as i32).to_le_bytes());
    for offset in offsets {
        out.extend_from_slice(&offset.to_le_bytes());
    }
    for (value, _) in pairs {
        out.extend_from_slice(&value.to_le_bytes());
    }
    out.extend_from_slice(&text);
    out.extend_from_slice(b"</lbl>");
}
