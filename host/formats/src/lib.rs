//! Analyst file formats, written row by row with flat memory: Stata `.dta` (format 118), SPSS
//! `.sav`, Excel `.xlsx` and Parquet, each carrying the variables' labels and the choices' value
//! labels so that an analyst never types them by hand.
//!
//! The crate knows tables, variables and cells, not forms or stores: `campo-export` describes
//! each table of an export as a [`Table`] and hands its rows over as [`Cell`]s. Formats whose
//! header needs the number of rows or each text column's width (Stata, SPSS) spool the rows to an
//! unnamed temporary file ([`spool`]) and write the file when the rows are done.

pub mod dta;
pub mod names;
pub mod pq;
pub mod sav;
pub mod spool;
pub mod xlsx;

use std::collections::HashMap;

/// One value of a row, as the writers take it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    Missing,
    Number(f64),
    /// Text, or the code of a choice ([`Kind::Coded`]).
    Text(&'a str),
    /// Days since 1970-01-01.
    Date(i32),
    /// Milliseconds since 1970-01-01T00:00:00Z.
    DateTime(i64),
}

/// What a variable holds, which decides its type in each format.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Text,
    /// Whole numbers.
    Integer,
    Number,
    /// 0/1 (a yes/no answer, or one option of a multiple choice), labelled no/yes.
    Flag,
    Date,
    DateTime,
    /// One of the choices: an integer code with a value label in Stata and SPSS, the choice's
    /// own code (text) in Excel and Parquet.
    Coded(Vec<Choice>),
}

/// A choice of a coded variable.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// The code as stored in the answers.
    pub code: String,
    /// The label in the export's language (the code when the choice has none).
    pub label: String,
}

/// A column of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    /// The column's path in the export (`seccion/pregunta`), as CSV headers name it.
    pub path: String,
    /// The question's label in the export's language (empty when it has none).
    pub label: String,
    pub kind: Kind,
}

/// One table of an export: the main table or a repeat group's.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The table's name (the form's id, or the repeat group's).
    pub name: String,
    /// The dataset label.
    pub label: String,
    pub variables: Vec<Variable>,
}

#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("{0}")]
    Limit(String),
}

impl From<zip::result::ZipError> for FormatError {
    fn from(e: zip::result::ZipError) -> Self {
        FormatError::Io(std::io::Error::other(e))
    }
}

impl From<FormatError> for std::io::Error {
    fn from(e: FormatError) -> Self {
        match e {
            FormatError::Io(io) => io,
            other => std::io::Error::other(other),
        }
    }
}

/// The integer codes of a coded variable's choices: the codes themselves when every code is a
/// whole number (`1`, `2`, `99`), else 1, 2, 3… in the choices' order. The codebook records the
/// mapping, and the value labels carry it into the file.
pub fn integer_codes(choices: &[Choice]) -> Vec<i32> {
    let numeric: Option<Vec<i32>> = choices.iter().map(|c| c.code.trim().parse::<i32>().ok().filter(|n| n.unsigned_abs() < 1_000_000)).collect();
    match numeric {
        Some(codes) if !codes.is_empty() && distinct(&codes) => codes,
        _ => (1..=choices.len() as i32).collect(),
    }
}

fn distinct(codes: &[i32]) -> bool {
    let mut seen = std::collections::HashSet::new();
    codes.iter().all(|c| seen.insert(*c))
}

/// Code → integer for one coded variable; codes met in the rows but not among the choices
/// (answers of a version whose choices were not read) get the next free integers, labelled with
/// the code, so no answer is lost.
#[derive(Debug, Clone, Default)]
pub struct CodeMap {
    pub map: HashMap<String, i32>,
    /// (integer, label) in order.
    pub labels: Vec<(i32, String)>,
    next: i32,
}

impl CodeMap {
    /// One map per variable of `table`: `Some` for the coded (choice) ones.
    pub fn for_table(table: &Table) -> Vec<Option<CodeMap>> {
        table.variables.iter().map(|v| if let Kind::Coded(c) = &v.kind { Some(CodeMap::new(c)) } else { None }).collect()
    }

    /// `cells` with each coded variable's text replaced by its integer (codes not met before
    /// added), an empty code missing: the row as Stata and SPSS store it.
    pub fn code_row<'a>(codes: &mut [Option<CodeMap>], cells: &[Cell<'a>]) -> Vec<Cell<'a>> {
        cells
            .iter()
            .enumerate()
            .map(|(i, cell)| match (&mut codes[i], cell) {
                (Some(codes), Cell::Text(code)) if !code.is_empty() => Cell::Number(codes.get_or_add(code) as f64),
                (Some(_), Cell::Text(_)) => Cell::Missing,
                _ => *cell,
            })
            .collect()
    }

    pub fn new(choices: &[Choice]) -> CodeMap {
        let ints = integer_codes(choices);
        let mut map = HashMap::new();
        let mut labels = Vec::new();
        for (choice, int) in choices.iter().zip(&ints) {
            map.insert(choice.code.clone(), *int);
            labels.push((*int, choice.label.clone()));
        }
        let next = ints.iter().copied().max().unwrap_or(0).max(0) + 1;
        CodeMap { map, labels, next }
    }

    pub fn get(&self, code: &str) -> Option<i32> {
        self.map.get(code).copied()
    }

    /// The code's integer, adding it when new.
    pub fn get_or_add(&mut self, code: &str) -> i32 {
        if let Some(int) = self.map.get(code) {
            return *int;
        }
        let int = self.next;
        self.next += 1;
        self.map.insert(code.to_string(), int);
        self.labels.push((int, code.to_string()));
        int
    }
}

/// The labels of a flag's two values.
pub fn flag_labels(lang_es: bool) -> [(i32, &'static str); 2] {
    if lang_es { [(0, "No"), (1, "Sí")] } else { [(0, "No"), (1, "Yes")] }
}

/// Days from 1970-01-01 of a `YYYY-MM-DD` date.
pub fn parse_date(text: &str) -> Option<i32> {
    let date = time::Date::parse(text, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
    Some((date - time::Date::from_calendar_date(1970, time::Month::January, 1).ok()?).whole_days() as i32)
}

/// Milliseconds from the Unix epoch of an RFC 3339 instant.
pub fn parse_datetime(text: &str) -> Option<i64> {
    let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    Some((at.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// The longest prefix of `text` of at most `max` bytes that ends on a character boundary.
pub fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The longest prefix of `text` of at most `max` characters.
pub fn truncate_chars(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choices(codes: &[&str]) -> Vec<Choice> {
        codes.iter().map(|c| Choice { code: c.to_string(), label: format!("L{c}") }).collect()
    }

    #[test]
    fn numeric_codes_are_kept_and_others_are_numbered() {
        assert_eq!(integer_codes(&choices(&["1", "2", "99"])), vec![1, 2, 99]);
        assert_eq!(integer_codes(&choices(&["peru", "chile"])), vec![1, 2]);
        assert_eq!(integer_codes(&choices(&["1", "01"])), vec![1, 2]);
        let mut map = CodeMap::new(&choices(&["a", "b"]));
        assert_eq!(map.get_or_add("zz"), 3);
        assert_eq!(map.labels.last(), Some(&(3, "zz".to_string())));
    }

    #[test]
    fn dates_and_instants() {
        assert_eq!(parse_date("1970-01-02"), Some(1));
        assert_eq!(parse_date("1960-01-01"), Some(-3653));
        assert_eq!(parse_datetime("1970-01-01T00:00:01.500Z"), Some(1500));
        assert_eq!(truncate("ñandú", 2), "ñ");
    }
}

/// A variable's label in a format whose names are not the paths: the question's label, with the
/// original path in brackets whenever the name differs from it (the path kept whole, the label
/// shortened, within `max` characters).
pub fn variable_label(variable: &Variable, name: &str, max: usize) -> String {
    if name == variable.path {
        return truncate_chars(&variable.label, max).to_string();
    }
    if variable.label.is_empty() {
        return truncate_chars(&variable.path, max).to_string();
    }
    let suffix = format!(" [{}]", variable.path);
    let room = max.saturating_sub(suffix.chars().count());
    if room < 10 {
        return truncate_chars(&variable.label, max).to_string();
    }
    format!("{}{suffix}", truncate_chars(&variable.label, room))
}
