use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Msg;

/// Whether a question is shown and must be answered. Questions a plugin does not mention are
/// relevant and optional; a question inside a group or repeat that is not relevant is not
/// relevant either.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldState {
    pub relevant: bool,
    #[serde(default)]
    pub required: bool,
}

/// How a failed constraint weighs: an `error` refuses the response, a `warning` is shown to
/// the enumerator and stored with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A failed constraint, attached to the question (JSON Pointer) it concerns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Issue {
    pub path: String,
    pub severity: Severity,
    pub code: String,
    pub message: Msg,
}

/// What a logic entry point reports for a (possibly partial) response. Serializes to the ABI's
/// logic output; `BTreeMap`s keep the bytes identical on the server and in the browser.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Logic {
    #[serde(default)]
    pub fields: BTreeMap<String, FieldState>,
    #[serde(default)]
    pub computed: BTreeMap<String, Value>,
    #[serde(default)]
    pub issues: Vec<Issue>,
}

/// A path as a plugin author writes it (`"a07_pais_otro"`, `"hogar/b01"`) or as a view
/// returns it (`"/b_miembros/0/b04_edad"`), normalised to a JSON Pointer.
fn pointer(path: &str) -> String {
    if path.starts_with('/') { path.to_string() } else { format!("/{path}") }
}

impl Logic {
    /// Shows the question when `condition` holds, hides it otherwise.
    pub fn relevant(&mut self, path: impl AsRef<str>, condition: bool) -> &mut Self {
        let entry = self.entry(path.as_ref());
        entry.relevant = condition;
        if !condition {
            entry.required = false;
        }
        self
    }

    /// Hides the question.
    pub fn hide(&mut self, path: impl AsRef<str>) -> &mut Self {
        self.relevant(path, false)
    }

    /// Hides every question in `paths`.
    pub fn hide_all<P: AsRef<str>>(&mut self, paths: impl IntoIterator<Item = P>) -> &mut Self {
        for path in paths {
            self.hide(path);
        }
        self
    }

    /// Makes the question required when it is relevant.
    pub fn required(&mut self, path: impl AsRef<str>, condition: bool) -> &mut Self {
        let entry = self.entry(path.as_ref());
        entry.required = condition && entry.relevant;
        self
    }

    /// Shows the question and makes it required.
    pub fn require(&mut self, path: impl AsRef<str>) -> &mut Self {
        let entry = self.entry(path.as_ref());
        entry.relevant = true;
        entry.required = true;
        self
    }

    /// Shows the question when `condition` holds and then requires it; hides it otherwise.
    pub fn require_if(&mut self, path: impl AsRef<str>, condition: bool) -> &mut Self {
        self.relevant(path.as_ref(), condition);
        self.required(path, condition)
    }

    /// Sets a computed (read-only) value; the server stores it in place of what was sent.
    pub fn compute(&mut self, path: impl AsRef<str>, value: impl Into<Value>) -> &mut Self {
        self.computed.insert(pointer(path.as_ref()), value.into());
        self
    }

    /// A constraint that refuses the response, attached to the question at `path`.
    pub fn error(&mut self, path: impl AsRef<str>, code: &str, message: Msg) -> &mut Self {
        self.issue(path.as_ref(), Severity::Error, code, message)
    }

    /// A soft check: shown to the enumerator, stored with the response, does not refuse it.
    pub fn warning(&mut self, path: impl AsRef<str>, code: &str, message: Msg) -> &mut Self {
        self.issue(path.as_ref(), Severity::Warning, code, message)
    }

    fn issue(&mut self, path: &str, severity: Severity, code: &str, message: Msg) -> &mut Self {
        self.issues.push(Issue { path: pointer(path), severity, code: code.to_string(), message });
        self
    }

    fn entry(&mut self, path: &str) -> &mut FieldState {
        self.fields
            .entry(pointer(path))
            .or_insert(FieldState { relevant: true, required: false })
    }

    /// Whether the question at `path` is relevant: not hidden itself nor inside a hidden group.
    pub fn is_relevant(&self, path: &str) -> bool {
        let target = pointer(path);
        !self.fields.iter().any(|(p, state)| {
            !state.relevant
                && (target == *p || target.starts_with(p.as_str()) && target[p.len()..].starts_with('/'))
        })
    }

    pub fn is_required(&self, path: &str) -> bool {
        self.is_relevant(path) && self.fields.get(&pointer(path)).is_some_and(|s| s.required)
    }

    /// The codes of the errors (not warnings) reported at `path`.
    pub fn errors_at(&self, path: &str) -> Vec<&str> {
        self.codes_at(path, Severity::Error)
    }

    /// The codes of the warnings reported at `path`.
    pub fn warnings_at(&self, path: &str) -> Vec<&str> {
        self.codes_at(path, Severity::Warning)
    }

    fn codes_at(&self, path: &str, severity: Severity) -> Vec<&str> {
        let target = pointer(path);
        self.issues
            .iter()
            .filter(|i| i.severity == severity && i.path == target)
            .map(|i| i.code.as_str())
            .collect()
    }

    /// Whether any error (not warning) was reported.
    pub fn has_errors(&self) -> bool {
        self.issues.iter().any(|i| i.severity == Severity::Error)
    }

    pub fn computed_at(&self, path: &str) -> Option<&Value> {
        self.computed.get(&pointer(path))
    }
}

/// One named score: a number, or `null` when there is too little information, with an
/// optional category code (`"bajo"`, `"medio"`, `"alto"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    pub value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
}

/// What a scoring entry point computes for a complete, valid response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    pub scores: BTreeMap<String, Score>,
}

impl Scores {
    /// Sets a score; non-finite numbers are stored as `null`.
    pub fn set(&mut self, name: &str, value: Option<f64>) -> &mut Score {
        let value = value.filter(|v| v.is_finite());
        let score = self.scores.entry(name.to_string()).or_insert(Score { value: None, category: None });
        score.value = value;
        score
    }

    pub fn get(&self, name: &str) -> Option<f64> {
        self.scores.get(name).and_then(|s| s.value)
    }

    pub fn category(&self, name: &str) -> Option<&str> {
        self.scores.get(name).and_then(|s| s.category.as_deref())
    }
}

impl Score {
    /// Attaches a category code to the score.
    pub fn category(&mut self, code: &str) -> &mut Self {
        self.category = Some(code.to_string());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_groups_hide_their_questions() {
        let mut out = Logic::default();
        out.hide("violencia").require("edad");
        assert!(!out.is_relevant("violencia/f01"));
        assert!(out.is_relevant("violencia_extra"));
        assert!(out.is_required("/edad"));
    }

    #[test]
    fn output_is_ordered_and_stable() {
        let mut out = Logic::default();
        out.hide("z").hide("a").compute("t", 3);
        let json = serde_json::to_string(&out).unwrap();
        assert_eq!(json, r#"{"fields":{"/a":{"relevant":false,"required":false},"/z":{"relevant":false,"required":false}},"computed":{"/t":3},"issues":[]}"#);
    }
}
