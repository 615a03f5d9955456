//! SPSS `.sav` (system file, bytecode-compressed, UTF-8), as PSPP documents it
//! (<https://www.gnu.org/software/pspp/pspp-dev/html_node/System-File-Format.html>): variable
//! labels, value labels, measurement levels and names up to 64 bytes. The dictionary needs each
//! text variable's width and the row count, so rows are spooled first.
//!
//! Text wider than 255 bytes is a "very long string": segments of 255 bytes, declared in the
//! very long string record (subtype 14), up to SPSS's 32,767 bytes (longer text is cut at a
//! character boundary).

use std::io::Write;

use super::{Cell, CodeMap, FormatError, Kind, Table, flag_labels, names, spool::Spool, truncate, variable_label};

const SYSMIS: f64 = -f64::MAX;
/// Seconds from SPSS's epoch (1582-10-14) to the Unix epoch.
const SECONDS_1582_TO_1970: f64 = 12_219_379_200.0;
const MAX_WIDTH: usize = 32_767;
/// The widest segment; a very long string has one per 252 bytes of width.
const SEGMENT: usize = 255;
const BIAS: f64 = 100.0;

/// A `.sav` being written: rows go to a spool until [`SavWriter::finish`].
pub struct SavWriter {
    table: Table,
    names: Vec<String>,
    codes: Vec<Option<CodeMap>>,
    spool: Spool,
    lang_es: bool,
}

impl SavWriter {
    pub fn new(table: Table, lang_es: bool) -> Result<SavWriter, FormatError> {
        let paths: Vec<&str> = table.variables.iter().map(|v| v.path.as_str()).collect();
        let names = names::unique(&paths, names::SPSS);
        let codes = CodeMap::for_table(&table);
        let spool = Spool::new(table.variables.len())?;
        Ok(SavWriter { table, names, codes, spool, lang_es })
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn push(&mut self, cells: &[Cell]) -> Result<(), FormatError> {
        Ok(self.spool.push(&CodeMap::code_row(&mut self.codes, cells))?)
    }

    pub fn finish<W: Write>(self, out: &mut W) -> Result<(), FormatError> {
        let SavWriter { table, names, codes, spool, lang_es } = self;
        // 0 for numbers, else the text's width in bytes.
        let widths: Vec<usize> = table
            .variables
            .iter()
            .enumerate()
            .map(|(i, v)| if v.kind == Kind::Text { spool.max_len[i].clamp(1, MAX_WIDTH) } else { 0 })
            .collect();
        let slots = |w: usize| if w == 0 { 1 } else { w.div_ceil(8) };
        let segments: Vec<Vec<usize>> = widths.iter().map(|w| segment_widths(*w)).collect();
        let case_size: usize = segments.iter().flatten().map(|w| slots(*w)).sum();
        let mut head: Vec<u8> = Vec::new();
        // The file header.
        head.extend_from_slice(b"$FL2");
        padded(&mut head, "@(#) SPSS DATA FILE Campo", 60);
        i32s(&mut head, &[2, case_size as i32, 1, 0, i32::try_from(spool.rows).unwrap_or(-1)]);
        head.extend_from_slice(&BIAS.to_le_bytes());
        let now = time::OffsetDateTime::now_utc();
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        padded(&mut head, &format!("{:02} {} {:02}", now.day(), months[now.month() as usize - 1], now.year() % 100), 9);
        padded(&mut head, &format!("{:02}:{:02}:{:02}", now.hour(), now.minute(), now.second()), 8);
        padded(&mut head, truncate(&table.label, 64), 64);
        head.extend_from_slice(&[0u8; 3]);

        // One variable record per segment (plus continuations for text wider than 8 bytes).
        let short: Vec<String> = (0..names.len()).map(|i| format!("V{}", i + 1)).collect();
        let mut extra_segment = 0;
        let mut dictionary_index = Vec::with_capacity(names.len());
        let mut next_index = 1i32;
        for (i, var) in table.variables.iter().enumerate() {
            dictionary_index.push(next_index);
            let numeric_format = match &var.kind {
                Kind::Text => 0,
                Kind::Integer => (5 << 16) | (12 << 8),
                Kind::Number => (5 << 16) | (12 << 8) | 2,
                Kind::Flag => (5 << 16) | (1 << 8),
                Kind::Coded(_) => (5 << 16) | (8 << 8),
                Kind::Date => (20 << 16) | (11 << 8),
                Kind::DateTime => (22 << 16) | (20 << 8),
            };
            for (s, &width) in segments[i].iter().enumerate() {
                next_index += slots(width) as i32;
                let format = if width == 0 { numeric_format } else { (1 << 16) | ((width as i32) << 8) };
                let label = if s == 0 { variable_label(var, &names[i], 255) } else { String::new() };
                let label = truncate(&label, 255);
                i32s(&mut head, &[2, width as i32, i32::from(!label.is_empty()), 0, format, format]);
                if s == 0 {
                    padded(&mut head, &short[i], 8);
                } else {
                    extra_segment += 1;
                    padded(&mut head, &format!("W{extra_segment}"), 8);
                }
                if !label.is_empty() {
                    i32s(&mut head, &[label.len() as i32]);
                    head.extend_from_slice(label.as_bytes());
                    head.extend(std::iter::repeat_n(0u8, (4 - label.len() % 4) % 4));
                }
                for _ in 1..slots(width) {
                    i32s(&mut head, &[2, -1, 0, 0, 0, 0]);
                    padded(&mut head, "", 8);
                }
            }
        }

        // Value labels: one set per coded variable, one for all the flags.
        let flags: Vec<i32> = (0..names.len()).filter(|i| table.variables[*i].kind == Kind::Flag).map(|i| dictionary_index[i]).collect();
        if !flags.is_empty() {
            let pairs: Vec<(i32, String)> = flag_labels(lang_es).iter().map(|(v, l)| (*v, l.to_string())).collect();
            value_labels(&mut head, &pairs, &flags);
        }
        for (i, codes) in codes.iter().enumerate() {
            if let Some(codes) = codes
                && !codes.labels.is_empty()
            {
                value_labels(&mut head, &codes.labels, &[dictionary_index[i]]);
            }
        }

        // Machine integer and float information, display parameters, long names, encoding.
        extension(&mut head, 3, 4, &[1i32, 0, 0, -1, 1, 1, 2, 65001].iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>());
        let lowest = f64::from_bits(0xffef_ffff_ffff_fffe);
        extension(&mut head, 4, 8, &[SYSMIS, f64::MAX, lowest].iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>());
        let mut display = Vec::new();
        for (i, var) in table.variables.iter().enumerate() {
            let (measure, align) = match var.kind {
                Kind::Text | Kind::Coded(_) | Kind::Flag => (1, if widths[i] > 0 { 0 } else { 1 }),
                _ => (3, 1),
            };
            let width = if widths[i] > 0 { widths[i].clamp(8, 40) } else { 10 };
            for _ in &segments[i] {
                display.extend_from_slice(&[measure, width as i32, align]);
            }
        }
        extension(&mut head, 11, 4, &display.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>());
        let long: Vec<String> = short.iter().zip(&names).map(|(s, l)| format!("{s}={l}")).collect();
        extension(&mut head, 13, 1, long.join("\t").as_bytes());
        let very_long: String = (0..names.len()).filter(|i| segments[*i].len() > 1).map(|i| format!("{}={:05}\0\t", short[i], widths[i])).collect();
        if !very_long.is_empty() {
            extension(&mut head, 14, 1, very_long.as_bytes());
        }
        extension(&mut head, 20, 1, b"UTF-8");
        i32s(&mut head, &[999, 0]);
        out.write_all(&head)?;
        drop(head);

        // The cases, bytecode-compressed: blocks of 8 commands, each followed by its raw data.
        let mut packer = Packer { commands: Vec::with_capacity(8), data: Vec::with_capacity(64) };
        let mut rows = spool.reader()?;
        while let Some(cells) = rows.next_row()? {
            for (i, cell) in cells.enumerate() {
                let width = widths[i];
                if width == 0 {
                    let value = match cell {
                        Cell::Number(x) if x.is_finite() => Some(x),
                        Cell::Date(d) => Some(d as f64 * 86_400.0 + SECONDS_1582_TO_1970),
                        Cell::DateTime(ms) => Some(ms as f64 / 1000.0 + SECONDS_1582_TO_1970),
                        _ => None,
                    };
                    match value {
                        None => packer.command(255, None, out)?,
                        Some(x) if x.fract() == 0.0 && (-99.0..=151.0).contains(&x) => packer.command((x + BIAS) as u8, None, out)?,
                        Some(x) => packer.command(253, Some(x.to_le_bytes()), out)?,
                    }
                    continue;
                }
                let text = match cell {
                    Cell::Text(t) => truncate(t, width).as_bytes(),
                    _ => &[],
                };
                // Segment s holds bytes 255·s to 255·(s+1) of the value.
                for (s, &segment) in segments[i].iter().enumerate() {
                    let piece = text.get(s * SEGMENT..).unwrap_or(&[]);
                    let piece = &piece[..piece.len().min(SEGMENT)];
                    for chunk in 0..segment.div_ceil(8) {
                        let mut bytes = [b' '; 8];
                        let part = piece.get(chunk * 8..).unwrap_or(&[]);
                        let n = part.len().min(8);
                        bytes[..n].copy_from_slice(&part[..n]);
                        if bytes == [b' '; 8] { packer.command(254, None, out)? } else { packer.command(253, Some(bytes), out)? }
                    }
                }
            }
        }
        packer.end(out)?;
        Ok(())
    }
}

/// The widths of a variable's segments: `[0]` for a number, one for text up to 255 bytes, else
/// one per 252 bytes of width, each 255 wide but the last.
fn segment_widths(width: usize) -> Vec<usize> {
    if width <= SEGMENT {
        return vec![width];
    }
    let n = (width + 251) / 252;
    let mut widths = vec![SEGMENT; n - 1];
    widths.push(width - (n - 1) * 252);
    widths
}

struct Packer {
    commands: Vec<u8>,
    data: Vec<u8>,
}

impl Packer {
    fn command<W: Write>(&mut self, code: u8, raw: Option<[u8; 8]>, out: &mut W) -> std::io::Result<()> {
        self.commands.push(code);
        if let Some(raw) = raw {
            self.data.extend_from_slice(&raw);
        }
        if self.commands.len() == 8 {
            out.write_all(&self.commands)?;
            out.write_all(&self.data)?;
            self.commands.clear();
            self.data.clear();
        }
        Ok(())
    }

    fn end<W: Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        if self.commands.is_empty() {
            return Ok(());
        }
        self.commands.resize(8, 0);
        out.write_all(&self.commands)?;
        out.write_all(&self.data)
    }
}

fn i32s(out: &mut Vec<u8>, values: &[i32]) {
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
}

fn padded(out: &mut Vec<u8>, text: &str, len: usize) {
    let text = truncate(text, len);
    out.extend_from_slice(text.as_bytes());
    out.extend(std::iter::repeat_n(b' ', len - text.len()));
}

fn extension(out: &mut Vec<u8>, subtype: i32, size: i32, data: &[u8]) {
    i32s(out, &[7, subtype, size, data.len() as i32 / size]);
    out.extend_from_slice(data);
}

/// A value label record (type 3) and the variables it applies to (type 4).
fn value_labels(out: &mut Vec<u8>, pairs: &[(i32, String)], variables: &[i32]) {
    i32s(out, &[3, pairs.len() as i32]);
    for (value, label) in pairs {
        out.extend_from_slice(&(*value as f64).to_le_bytes());
        let label = truncate(label, 120);
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
        out.extend(std::iter::repeat_n(b' ', (8 - (1 + label.len()) % 8) % 8));
    }
    i32s(out, &[4, variables.len() as i32]);
    i32s(out, variables);
}
