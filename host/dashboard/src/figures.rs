//! The fieldwork dashboard's figures: what the page draws and what `?format=json` answers.
//! Gathered by [`crate::gather`] from the store, drawn by [`crate::page`].

use campo_domain::Text;
use serde::Serialize;

/// Every figure of one study's dashboard.
#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    pub study: String,
    pub title: Text,
    /// RFC 3339 UTC, when the figures were computed.
    pub generated_at: String,
    /// The team the viewer is limited to, when they are (their figures cover only it).
    pub team: Option<String>,
    pub totals: Totals,
    /// Responses received per day (`label` = `YYYY-MM-DD`, oldest first).
    pub per_day: Vec<Count>,
    /// Responses per enumerator (`label` = username), most first.
    pub per_enumerator: Vec<Count>,
    /// Responses per team (`label` = team id; responses with no team under `"—"`), most first.
    pub per_team: Vec<Count>,
    /// Responses by review state (`label` = `received`, `approved`, `has_issues`, `rejected`),
    /// in that order, zero counts included.
    pub review: Vec<Count>,
    /// Case progress per team (`label` = team id).
    pub cases_per_team: Vec<Progress>,
    /// Case progress per assigned enumerator (`label` = username, `"—"` when unassigned).
    pub cases_per_enumerator: Vec<Progress>,
    /// Median interview duration in minutes over responses that report when they started and
    /// ended; `None` when none do.
    pub median_duration_minutes: Option<f64>,
    /// One histogram per declared score of every form.
    pub scores: Vec<ScoreHistogram>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    pub responses: i64,
    pub cases: i64,
    /// Cases with at least one response.
    pub cases_done: i64,
    /// Responses waiting for review (`received`).
    pub review_backlog: i64,
    pub enumerators: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Count {
    pub label: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    pub label: String,
    pub total: i64,
    pub done: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScoreHistogram {
    pub form: String,
    /// The score's name (`autonomia_economica`).
    pub score: String,
    pub label: Text,
    /// Responses with a number for this score.
    pub n: i64,
    /// Responses where the score is null.
    pub nulls: i64,
    pub bins: Vec<Bin>,
}

/// A histogram bar: values in `[from, to)` (the last bin includes `to`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bin {
    pub from: f64,
    pub to: f64,
    pub count: i64,
}
