//! Which columns an export has, derived from the form versions' schemas and declared scores.

use serde_json::Value;

use crate::store::{FormVersionRecord, SubmissionRow};

/// The metadata columns, first in every export.
pub const METADATA: [&str; 6] = ["submission_id", "received_at", "enumerator", "form_version", "logic_plugin", "scoring_plugin"];

#[derive(Debug, Clone, PartialEq)]
pub enum ColumnKind {
    /// A plain answer at a JSON Pointer.
    Answer,
    /// A multiple choice: the chosen codes, space-separated.
    MultipleChoice,
    /// One option of a multiple choice: 1 when chosen, 0 when the question was answered without it.
    ChoiceFlag(String),
    /// A repeat group, kept as JSON in the main table.
    Repeat,
    /// A score's value.
    Score(String),
    /// A score's category code.
    ScoreCategory(String),
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub pointer: String,
    pub kind: ColumnKind,
}

/// The ordered columns of an export across one or more versions (the union, in order of first
/// appearance).
#[derive(Debug, Clone, Default)]
pub struct ColumnPlan {
    pub columns: Vec<Column>,
}

impl ColumnPlan {
    pub fn for_versions(versions: &[FormVersionRecord]) -> ColumnPlan {
        let mut plan = ColumnPlan::default();
        for version in versions {
            let mut answers = Vec::new();
            flatten(&version.schema, "", "", &mut answers);
            for column in answers {
                plan.push(column);
            }
        }
        for version in versions {
            for score in &version.scores {
                plan.push(Column { name: format!("score/{}", score.name), pointer: String::new(), kind: ColumnKind::Score(score.name.clone()) });
                if !score.categories.is_empty() {
                    plan.push(Column {
                        name: format!("score/{}/category", score.name),
                        pointer: String::new(),
                        kind: ColumnKind::ScoreCategory(score.name.clone()),
                    });
                }
            }
        }
        plan
    }

    fn push(&mut self, column: Column) {
        if !self.columns.iter().any(|c| c.name == column.name) {
            self.columns.push(column);
        }
    }

    pub fn header(&self) -> Vec<String> {
        METADATA.iter().map(|s| s.to_string()).chain(self.columns.iter().map(|c| c.name.clone())).collect()
    }

    /// Fills `record` with one submission's cells.
    pub fn fill(&self, row: &SubmissionRow, record: &mut csv::ByteRecord) {
        record.clear();
        let (answers, scores) = super::parse_row(row);
        record.push_field(row.id.as_bytes());
        record.push_field(row.received_at.as_bytes());
        record.push_field(row.enumerator.as_bytes());
        record.push_field(row.version.as_bytes());
        record.push_field(row.logic_plugin.as_deref().unwrap_or("").as_bytes());
        record.push_field(row.scoring_plugin.as_deref().unwrap_or("").as_bytes());
        let mut cell = Vec::new();
        for column in &self.columns {
            cell.clear();
            match &column.kind {
                ColumnKind::Answer | ColumnKind::Repeat => {
                    if let Some(v) = answers.pointer(&column.pointer) {
                        super::cell(v, &mut cell);
                    }
                }
                ColumnKind::MultipleChoice => {
                    if let Some(Value::Array(items)) = answers.pointer(&column.pointer) {
                        let codes: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
                        cell.extend_from_slice(codes.join(" ").as_bytes());
                    }
                }
                ColumnKind::ChoiceFlag(code) => {
                    if let Some(Value::Array(items)) = answers.pointer(&column.pointer) {
                        cell.push(if items.iter().any(|i| i.as_str() == Some(code)) { b'1' } else { b'0' });
                    }
                }
                ColumnKind::Score(name) => {
                    if let Some(v) = scores.get(name).and_then(|s| s.get("value")) {
                        super::cell(v, &mut cell);
                    }
                }
                ColumnKind::ScoreCategory(name) => {
                    if let Some(v) = scores.get(name).and_then(|s| s.get("category")) {
                        super::cell(v, &mut cell);
                    }
                }
            }
            record.push_field(&cell);
        }
    }
}

/// Walks a form schema: groups recurse (`group/question`), multiple choices get one flag column
/// per option, repeats stay one column.
fn flatten(schema: &Value, pointer: &str, name: &str, out: &mut Vec<Column>) {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else { return };
    for (key, question) in properties {
        let pointer = format!("{pointer}/{key}");
        let name = if name.is_empty() { key.clone() } else { format!("{name}/{key}") };
        match question.get("type").and_then(Value::as_str) {
            Some("object") => flatten(question, &pointer, &name, out),
            Some("array") if question.pointer("/items/type").and_then(Value::as_str) == Some("object") => {
                out.push(Column { name, pointer, kind: ColumnKind::Repeat });
            }
            Some("array") => {
                out.push(Column { name: name.clone(), pointer: pointer.clone(), kind: ColumnKind::MultipleChoice });
                let codes = question.pointer("/items/enum").and_then(Value::as_array).cloned().unwrap_or_default();
                for code in codes.iter().filter_map(Value::as_str) {
                    out.push(Column { name: format!("{name}/{code}"), pointer: pointer.clone(), kind: ColumnKind::ChoiceFlag(code.to_string()) });
                }
            }
            _ => out.push(Column { name, pointer, kind: ColumnKind::Answer }),
        }
    }
}
