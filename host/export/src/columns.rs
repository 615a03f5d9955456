//! Which tables and columns an export has, derived from the form versions' schemas and declared
//! scores before any row is read (so the header can leave at once).
//!
//! Conventions (those of ODK Central and KoboToolbox exports): metadata columns first, then the
//! answers (group paths joined with the separator), then `score/<name>` columns. A multiple
//! choice is one column of space-separated codes plus one 0/1 column per option
//! (`question/option`). Each repeat group is a table of its own whose rows carry `PARENT_KEY`
//! (the parent row's `KEY`, or for a top-level repeat the main table's `submission_id`) and `KEY`.

use std::collections::HashMap;

use serde_json::Value;

use campo_domain::{Lang, Text};
use campo_store::FormVersionRecord;

/// The metadata columns, first in every main table.
pub const METADATA: [&str; 10] = [
    "submission_id",
    "received_at",
    "enumerator",
    "form_version",
    "logic_plugin",
    "scoring_plugin",
    "case",
    "team",
    "review",
    "revision",
];

/// Spanish and English headers of the metadata columns, for exports with labels.
const METADATA_LABELS: [(&str, &str); 10] = [
    ("ID de respuesta", "Submission ID"),
    ("Recibida", "Received at"),
    ("Encuestador/a", "Enumerator"),
    ("Versión del formulario", "Form version"),
    ("Plugin de lógica", "Logic plugin"),
    ("Plugin de puntajes", "Scoring plugin"),
    ("Caso", "Case"),
    ("Equipo", "Team"),
    ("Estado de revisión", "Review state"),
    ("Revisión", "Revision"),
];


#[derive(Debug, Clone, PartialEq)]
pub enum ColumnKind {
    Metadata,
    /// A plain answer (text, number, date, single choice).
    Answer,
    /// A multiple choice: the chosen codes, space-separated.
    MultipleChoice,
    /// One option of a multiple choice: 1 when chosen, 0 when the question was answered without it.
    ChoiceFlag(String),
    /// A score's value.
    Score(String),
    /// A score's category code.
    ScoreCategory(String),
    /// The row's own key (main table: the submission id).
    Key,
    /// The key of the row this repeat row belongs to.
    ParentKey,
}

/// An option of a choice question.
#[derive(Debug, Clone)]
pub struct Choice {
    pub code: String,
    pub label: Option<Text>,
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub kind: ColumnKind,
    /// The JSON Schema type (`string`, `integer`, …; `date` for dates), for the codebook.
    pub value_type: String,
    pub label: Option<Text>,
    /// The question's options (single and multiple choice, score categories).
    pub choices: Vec<Choice>,
}

impl Column {
    fn new(name: String, kind: ColumnKind, value_type: &str) -> Column {
        Column { name, kind, value_type: value_type.to_string(), label: None, choices: Vec::new() }
    }

    /// The header cell: the name, or the label in `lang`.
    pub fn header(&self, lang: Option<Lang>) -> String {
        let Some(lang) = lang else { return self.name.clone() };
        if let ColumnKind::Metadata = self.kind {
            if let Some(i) = METADATA.iter().position(|m| *m == self.name) {
                let (es, en) = METADATA_LABELS[i];
                return if lang == Lang::Es { es } else { en }.to_string();
            }
        }
        match (&self.kind, &self.label) {
            (ColumnKind::Key | ColumnKind::ParentKey, _) | (_, None) => self.name.clone(),
            (ColumnKind::ChoiceFlag(code), Some(label)) => {
                let option = self.choices.iter().find(|c| &c.code == code).and_then(|c| c.label.as_ref());
                format!("{}: {}", lang.pick(label), option.map(|o| lang.pick(o)).unwrap_or(code))
            }
            (ColumnKind::ScoreCategory(_), Some(label)) => {
                format!("{} ({})", lang.pick(label), if lang == Lang::Es { "categoría" } else { "category" })
            }
            (_, Some(label)) => lang.pick(label).to_string(),
        }
    }
}

/// One CSV of an export: the main table or a repeat group's.
#[derive(Debug, Clone)]
pub struct Table {
    /// The repeat's path (joined with the separator); empty for the main table.
    pub path: String,
    /// The repeat's own name (its last path segment); empty for the main table.
    pub name: String,
    pub columns: Vec<Column>,
    /// The table whose rows this one's `PARENT_KEY` points at.
    pub parent: Option<usize>,
}

impl Table {
    /// Header cells, unique within the table (labels may repeat: the name disambiguates).
    pub fn header(&self, lang: Option<Lang>) -> Vec<String> {
        let mut seen: HashMap<String, usize> = HashMap::new();
        let headers: Vec<String> = self.columns.iter().map(|c| c.header(lang)).collect();
        for h in &headers {
            *seen.entry(h.clone()).or_default() += 1;
        }
        headers
            .into_iter()
            .zip(&self.columns)
            .map(|(h, c)| if seen[&h] > 1 && h != c.name { format!("{h} [{}]", c.name) } else { h })
            .collect()
    }
}

/// Where an answer goes, keyed by its JSON property names: the compiled form of the schemas,
/// walked once per response while its JSON is parsed.
#[derive(Debug, Default)]
pub struct Group {
    pub children: HashMap<String, Node>,
}

#[derive(Debug)]
pub enum Node {
    Field(Field),
    Group(Group),
    Repeat { table: usize, item: Group },
}

#[derive(Debug)]
pub struct Field {
    pub column: usize,
    /// Multiple choice: the 0/1 column of each option.
    pub flags: Vec<(String, usize)>,
    /// Code → label in the export's language, when values are exported as labels.
    pub labels: Option<HashMap<String, String>>,
}

/// Score columns of the main table.
#[derive(Debug)]
pub struct ScoreColumns {
    pub name: String,
    pub value: usize,
    pub category: Option<usize>,
    pub labels: Option<HashMap<String, String>>,
}

/// The tables and columns of one export, across one or more versions (the union, in order of
/// first appearance).
#[derive(Debug)]
pub struct ExportPlan {
    /// `tables[0]` is the main table.
    pub tables: Vec<Table>,
    pub root: Group,
    pub scores: Vec<ScoreColumns>,
    /// The main table's `KEY` column, when the export has repeat tables.
    pub main_key: Option<usize>,
    pub separator: String,
    pub lang: Option<Lang>,
}

impl ExportPlan {
    pub fn for_versions(versions: &[FormVersionRecord], separator: &str, lang: Option<Lang>) -> ExportPlan {
        let mut plan = ExportPlan {
            tables: vec![Table { path: String::new(), name: String::new(), columns: Vec::new(), parent: None }],
            root: Group::default(),
            scores: Vec::new(),
            main_key: None,
            separator: separator.to_string(),
            lang,
        };
        for name in METADATA {
            let value_type = match name {
                "received_at" => "datetime",
                "revision" => "integer",
                _ => "string",
            };
            plan.tables[0].columns.push(Column::new(name.to_string(), ColumnKind::Metadata, value_type));
        }
        let mut root = Group::default();
        for version in versions {
            plan.merge_group(&mut root, &version.schema, 0, "");
        }
        plan.root = root;
        for version in versions {
            for score in &version.scores {
                if plan.scores.iter().any(|s| s.name == score.name) {
                    continue;
                }
                let choices: Vec<Choice> = score.categories.iter().filter_map(choice).collect();
                let main = &mut plan.tables[0].columns;
                let mut value = Column::new(format!("score{separator}{}", score.name), ColumnKind::Score(score.name.clone()), "number");
                value.label = Some(score.label.clone());
                main.push(value);
                let value = main.len() - 1;
                let category = if choices.is_empty() {
                    None
                } else {
                    let mut c = Column::new(
                        format!("score{separator}{}{separator}category", score.name),
                        ColumnKind::ScoreCategory(score.name.clone()),
                        "category",
                    );
                    c.label = Some(score.label.clone());
                    c.choices = choices.clone();
                    main.push(c);
                    Some(main.len() - 1)
                };
                plan.scores.push(ScoreColumns { name: score.name.clone(), value, category, labels: labels(&choices, lang) });
            }
        }
        // The main table's key is its `submission_id` column: the repeat tables' `PARENT_KEY`
        // refers to it. A second column holding the same id would only invite double counting.
        plan
    }

    /// The main table only (an export that leaves repeat groups out).
    pub fn without_repeats(mut self) -> ExportPlan {
        fn prune(group: &mut Group) {
            group.children.retain(|_, node| !matches!(node, Node::Repeat { .. }));
            for node in group.children.values_mut() {
                if let Node::Group(g) = node {
                    prune(g);
                }
            }
        }
        prune(&mut self.root);
        self.tables.truncate(1);
        if let Some(key) = self.main_key.take() {
            self.tables[0].columns.remove(key);
        }
        self
    }

    pub fn has_repeats(&self) -> bool {
        self.tables.len() > 1
    }

    /// Adds a schema object's properties to `group`, whose columns belong to `table`.
    fn merge_group(&mut self, group: &mut Group, schema: &Value, table: usize, prefix: &str) {
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else { return };
        let sep = self.separator.clone();
        for (key, question) in properties {
            let name = if prefix.is_empty() { key.clone() } else { format!("{prefix}{sep}{key}") };
            let label = question.get("x-label").and_then(text);
            let choices: Vec<Choice> =
                question.get("x-choices").and_then(Value::as_array).map(|cs| cs.iter().filter_map(choice).collect()).unwrap_or_default();
            match question.get("type").and_then(Value::as_str) {
                Some("object") => {
                    let node = group.children.entry(key.clone()).or_insert_with(|| Node::Group(Group::default()));
                    if let Node::Group(g) = node {
                        self.merge_group(g, question, table, &name);
                    }
                }
                Some("array") if question.pointer("/items/type").and_then(Value::as_str) == Some("object") => {
                    if !group.children.contains_key(key) {
                        let path = if self.tables[table].path.is_empty() { name.clone() } else { format!("{}{sep}{name}", self.tables[table].path) };
                        let mut columns = Vec::new();
                        columns.push(Column::new("PARENT_KEY".into(), ColumnKind::ParentKey, "key"));
                        columns.push(Column::new("KEY".into(), ColumnKind::Key, "key"));
                        self.tables.push(Table { path, name: key.clone(), columns, parent: Some(table) });
                        group.children.insert(key.clone(), Node::Repeat { table: self.tables.len() - 1, item: Group::default() });
                    }
                    if let Some(Node::Repeat { table: t, item }) = group.children.get_mut(key) {
                        let t = *t;
                        let items = question.get("items").cloned().unwrap_or(Value::Null);
                        self.merge_group(item, &items, t, "");
                    }
                }
                Some("array") => {
                    let choices = if choices.is_empty() {
                        question.pointer("/items/enum").and_then(Value::as_array).map(|codes| codes_only(codes)).unwrap_or_default()
                    } else {
                        choices
                    };
                    let column = match group.children.get(key) {
                        Some(Node::Field(f)) => f.column,
                        Some(_) => continue,
                        None => {
                            let mut c = Column::new(name.clone(), ColumnKind::MultipleChoice, "multiple_choice");
                            c.label = label.clone();
                            self.push_column(table, c)
                        }
                    };
                    let mut new_flags = Vec::new();
                    let existing: Vec<String> = match group.children.get(key) {
                        Some(Node::Field(f)) => f.flags.iter().map(|(c, _)| c.clone()).collect(),
                        _ => Vec::new(),
                    };
                    for option in choices.iter().filter(|o| !existing.contains(&o.code)) {
                        let mut c = Column::new(format!("{name}{sep}{}", option.code), ColumnKind::ChoiceFlag(option.code.clone()), "choice_flag");
                        c.label = label.clone();
                        c.choices = vec![option.clone()];
                        new_flags.push((option.code.clone(), self.push_column(table, c)));
                    }
                    self.tables[table].columns[column].choices.extend(choices.iter().filter(|o| !existing.contains(&o.code)).cloned());
                    let all = self.tables[table].columns[column].choices.clone();
                    let node = group.children.entry(key.clone()).or_insert_with(|| Node::Field(Field { column, flags: Vec::new(), labels: None }));
                    if let Node::Field(f) = node {
                        f.flags.extend(new_flags);
                        f.labels = labels(&all, self.lang);
                    }
                }
                other => {
                    if group.children.contains_key(key) {
                        continue;
                    }
                    let choices = if choices.is_empty() {
                        question.get("enum").and_then(Value::as_array).map(|codes| codes_only(codes)).unwrap_or_default()
                    } else {
                        choices
                    };
                    let value_type = match (other, question.get("format").and_then(Value::as_str)) {
                        _ if !choices.is_empty() => "single_choice",
                        (Some("string"), Some("date")) => "date",
                        (Some("string"), Some("date-time")) => "datetime",
                        (Some(t), _) => t,
                        (None, _) => "any",
                    };
                    let mut c = Column::new(name.clone(), ColumnKind::Answer, value_type);
                    c.label = label;
                    c.choices = choices.clone();
                    let column = self.push_column(table, c);
                    group.children.insert(key.clone(), Node::Field(Field { column, flags: Vec::new(), labels: labels(&choices, self.lang) }));
                }
            }
        }
    }

    fn push_column(&mut self, table: usize, column: Column) -> usize {
        let columns = &mut self.tables[table].columns;
        columns.push(column);
        columns.len() - 1
    }
}

fn text(value: &Value) -> Option<Text> {
    Some(Text::new(value.get("es")?.as_str()?, value.get("en")?.as_str()?))
}

fn choice(value: &Value) -> Option<Choice> {
    Some(Choice { code: value.get("code")?.as_str()?.to_string(), label: value.get("label").and_then(text) })
}

fn codes_only(codes: &[Value]) -> Vec<Choice> {
    codes.iter().filter_map(Value::as_str).map(|code| Choice { code: code.to_string(), label: None }).collect()
}

fn labels(choices: &[Choice], lang: Option<Lang>) -> Option<HashMap<String, String>> {
    let lang = lang?;
    let map: HashMap<String, String> =
        choices.iter().filter_map(|c| Some((c.code.clone(), lang.pick(c.label.as_ref()?).to_string()))).collect();
    (!map.is_empty()).then_some(map)
}
