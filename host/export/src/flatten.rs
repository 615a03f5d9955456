//! Flattens one stored response into table rows while its JSON is parsed: the parser walks the
//! compiled [`Group`] tree and writes each answer straight into its cell, so no JSON tree is
//! built and no path is looked up per column (the export's hot loop).

use std::{fmt, io::Write as _};

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::columns::{ExportPlan, Field, Group, Node};

/// Whether a cell holds text that a spreadsheet would read as a formula (OWASP's CSV injection
/// list): it starts with `=`, `+`, `-`, `@`, a tab or a carriage return — after any leading
/// spaces, which spreadsheets skip — or with their full-width forms (`＝＋－＠`), which some
/// spreadsheets fold to ASCII.
fn is_formula(text: &str) -> bool {
    let Some(first) = text.trim_start_matches([' ', '\u{a0}', '\u{3000}']).chars().next() else {
        return false;
    };
    matches!(first, '=' | '+' | '-' | '@' | '\t' | '\r' | '\n' | '＝' | '＋' | '－' | '＠' | '﹦' | '﹢' | '﹣')
}

/// The cells of one row of one table.
pub struct RowCells {
    pub cells: Vec<Vec<u8>>,
}

impl RowCells {
    pub fn new(width: usize) -> RowCells {
        RowCells { cells: vec![Vec::new(); width] }
    }

    pub fn clear(&mut self) {
        for cell in &mut self.cells {
            cell.clear();
        }
    }
}

/// Receives each finished repeat row (table index, cells).
pub trait RepeatSink {
    fn repeat_row(&mut self, table: usize, cells: &RowCells) -> std::io::Result<()>;
}

/// What one response's flattening writes into: a row buffer per table.
pub struct Flattener<'p> {
    pub plan: &'p ExportPlan,
    pub rows: Vec<RowCells>,
    pub neutralise: bool,
    /// Repeat rows are handed over as soon as each item is parsed.
    error: Option<std::io::Error>,
}

impl<'p> Flattener<'p> {
    pub fn new(plan: &'p ExportPlan, neutralise: bool) -> Flattener<'p> {
        let rows = plan.tables.iter().map(|t| RowCells::new(t.columns.len())).collect();
        Flattener { plan, rows, neutralise, error: None }
    }

    /// Fills the main table's answer cells from `answers` (JSON text); repeat rows go to `sink`
    /// keyed under `key` (the submission id).
    pub fn answers(&mut self, answers: &str, key: &str, sink: &mut dyn RepeatSink) -> Result<(), String> {
        let mut de = serde_json::Deserializer::from_str(answers);
        let plan = self.plan;
        let mut ctx = Ctx { f: self, sink };
        GroupSeed { ctx: &mut ctx, group: &plan.root, table: 0, key }.deserialize(&mut de).map_err(|e| e.to_string())?;
        if let Some(e) = self.error.take() {
            return Err(e.to_string());
        }
        Ok(())
    }

    /// Fills the score cells from the stored scores (`{"name": {"value", "category"?}}`).
    pub fn scores(&mut self, scores: &str) {
        let Ok(Value::Object(scores)) = serde_json::from_str::<Value>(scores) else { return };
        let main = &mut self.rows[0];
        for column in &self.plan.scores {
            let Some(score) = scores.get(&column.name) else { continue };
            if let Some(value) = score.get("value") {
                write_value(value, &mut main.cells[column.value]);
            }
            if let (Some(index), Some(Value::String(code))) = (column.category, score.get("category")) {
                let text = column.labels.as_ref().and_then(|l| l.get(code)).unwrap_or(code);
                main.cells[index].extend_from_slice(text.as_bytes());
            }
        }
    }
}

fn write_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => {}
        Value::String(s) => out.extend_from_slice(s.as_bytes()),
        Value::Bool(b) => out.push(if *b { b'1' } else { b'0' }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                let _ = write!(out, "{i}");
            } else if let Some(u) = n.as_u64() {
                let _ = write!(out, "{u}");
            } else if let Some(f) = n.as_f64() {
                let _ = write!(out, "{f}");
            }
        }
        other => out.extend_from_slice(other.to_string().as_bytes()),
    }
}

struct Ctx<'a, 'p> {
    f: &'a mut Flattener<'p>,
    sink: &'a mut dyn RepeatSink,
}

impl Ctx<'_, '_> {
    fn cell(&mut self, table: usize, column: usize) -> &mut Vec<u8> {
        &mut self.f.rows[table].cells[column]
    }

    fn text(&mut self, table: usize, field: &Field, text: &str) {
        let neutralise = self.f.neutralise;
        let shown = field.labels.as_ref().and_then(|l| l.get(text)).map(String::as_str).unwrap_or(text);
        let cell = self.cell(table, field.column);
        if neutralise && is_formula(shown) {
            cell.push(b'\'');
        }
        cell.extend_from_slice(shown.as_bytes());
    }
}

/// A JSON object key, borrowed from the input when it has no escapes.
enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
        }
    }
}

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key::Borrowed(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v.to_string()))
            }
        }
        d.deserialize_str(V)
    }
}

/// An object whose properties are the children of `group`, in table `table`.
struct GroupSeed<'c, 'a, 'p, 'k> {
    ctx: &'c mut Ctx<'a, 'p>,
    group: &'p Group,
    table: usize,
    /// The `KEY` of the row being filled (for the repeats inside it).
    key: &'k str,
}

impl<'de> DeserializeSeed<'de> for GroupSeed<'_, '_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for GroupSeed<'_, '_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a group of answers")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Key<'de>>()? {
            match self.group.children.get(key.as_str()) {
                Some(Node::Field(field)) => map.next_value_seed(FieldSeed { ctx: self.ctx, field, table: self.table })?,
                Some(Node::Group(group)) => {
                    map.next_value_seed(GroupSeed { ctx: self.ctx, group, table: self.table, key: self.key })?
                }
                Some(Node::Repeat { table, item }) => {
                    map.next_value_seed(RepeatSeed { ctx: self.ctx, item, table: *table, parent_key: self.key })?
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
}

/// A repeat group: each item becomes a row of `table`.
struct RepeatSeed<'c, 'a, 'p, 'k> {
    ctx: &'c mut Ctx<'a, 'p>,
    item: &'p Group,
    table: usize,
    parent_key: &'k str,
}

impl<'de> DeserializeSeed<'de> for RepeatSeed<'_, '_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RepeatSeed<'_, '_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a repeat group")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let plan = self.ctx.f.plan;
        let table = &plan.tables[self.table];
        let mut index = 0usize;
        loop {
            index += 1;
            let key = format!("{}{}{}[{index}]", self.parent_key, plan.separator, table.name);
            self.ctx.f.rows[self.table].clear();
            self.ctx.f.rows[self.table].cells[0].extend_from_slice(self.parent_key.as_bytes());
            self.ctx.f.rows[self.table].cells[1].extend_from_slice(key.as_bytes());
            let seed = GroupSeed { ctx: &mut *self.ctx, group: self.item, table: self.table, key: &key };
            if seq.next_element_seed(seed)?.is_none() {
                break;
            }
            if let Err(e) = self.ctx.sink.repeat_row(self.table, &self.ctx.f.rows[self.table]) {
                self.ctx.f.error.get_or_insert(e);
            }
        }
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
}

/// One answer: text, number, boolean, or the codes of a multiple choice.
struct FieldSeed<'c, 'a, 'p> {
    ctx: &'c mut Ctx<'a, 'p>,
    field: &'p Field,
    table: usize,
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FieldSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an answer")
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.ctx.text(self.table, self.field, v);
        Ok(())
    }
    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.ctx.cell(self.table, self.field.column).push(if v { b'1' } else { b'0' });
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        let _ = write!(self.ctx.cell(self.table, self.field.column), "{v}");
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        let _ = write!(self.ctx.cell(self.table, self.field.column), "{v}");
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        let _ = write!(self.ctx.cell(self.table, self.field.column), "{v}");
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let (table, field) = (self.table, self.field);
        for (_, column) in &field.flags {
            self.ctx.cell(table, *column).push(b'0');
        }
        // Codes are joined with a space; labels (which contain spaces) with "; ".
        let joiner: &[u8] = if field.labels.is_some() { b"; " } else { b" " };
        let mut first = true;
        while let Some(item) = seq.next_element::<Value>()? {
            if !first {
                self.ctx.cell(table, field.column).extend_from_slice(joiner);
            }
            first = false;
            match &item {
                Value::String(code) => {
                    self.ctx.text(table, field, code);
                    if let Some((_, flag)) = field.flags.iter().find(|(c, _)| c == code) {
                        let cell = self.ctx.cell(table, *flag);
                        cell.clear();
                        cell.push(b'1');
                    }
                }
                other => write_value(other, self.ctx.cell(table, field.column)),
            }
        }
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let value = Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        self.ctx.cell(self.table, self.field.column).extend_from_slice(value.to_string().as_bytes());
        Ok(())
    }
}

use serde::Deserialize as _;

#[cfg(test)]
mod formula_tests {
    use super::is_formula;

    #[test]
    fn formulas_are_seen_behind_spaces_and_in_full_width() {
        for text in ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", " =1+1", "   @x", "＝1+1", "＋1", "－1", "＠x", "\u{3000}＝1"] {
            assert!(is_formula(text), "{text:?}");
        }
        for text in ["", "   ", "María", "1-2", "a=b", "34"] {
            assert!(!is_formula(text), "{text:?}");
        }
    }
}
