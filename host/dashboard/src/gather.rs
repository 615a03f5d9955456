//! A study's figures gathered from the store.

use std::collections::BTreeMap;

use campo_domain::{FormId, ReviewState, StudyId, Text, now_rfc3339};
use campo_store::{ScoreDeclaration, Store, StoreError};

use crate::{
    bins::bins,
    figures::{Count, Dashboard, Progress, ScoreHistogram, Totals},
};

/// The most bars a score histogram gets.
const HISTOGRAM_BINS: usize = 10;

/// Gathers a study's figures (only `team`'s when given). `None` when there is no such study.
pub async fn gather(store: &Store, study: &StudyId, team: Option<&str>) -> Result<Option<Dashboard>, StoreError> {
    let Some(detail) = store.study(study).await? else {
        return Ok(None);
    };
    let counts = store.dashboard_counts(study, team).await?;
    let count = |rows: &[(String, i64)]| rows.iter().map(|(label, count)| Count { label: label.clone(), count: *count }).collect::<Vec<_>>();
    let progress = |rows: &[(String, i64, i64)]| {
        rows.iter().map(|(label, total, done)| Progress { label: label.clone(), total: *total, done: *done }).collect::<Vec<_>>()
    };
    let review: Vec<Count> = ReviewState::ALL
        .iter()
        .map(|state| Count {
            label: state.as_str().to_string(),
            count: counts.review.iter().find(|(l, _)| l == state.as_str()).map(|(_, n)| *n).unwrap_or(0),
        })
        .collect();
    let cases_per_team = progress(&counts.cases_per_team);
    let totals = Totals {
        responses: counts.per_day.iter().map(|(_, n)| n).sum(),
        cases: cases_per_team.iter().map(|p| p.total).sum(),
        cases_done: cases_per_team.iter().map(|p| p.done).sum(),
        review_backlog: review.iter().find(|c| c.label == ReviewState::Received.as_str()).map(|c| c.count).unwrap_or(0),
        enumerators: counts.per_enumerator.len() as i64,
    };

    // Score histograms: every declared score of every form's versions, in declaration order.
    let mut declared: Vec<(FormId, String, Text)> = Vec::new();
    for form in &detail.forms {
        for version in &form.versions {
            let scores: Vec<ScoreDeclaration> = serde_json::from_value(version.scores.clone()).unwrap_or_default();
            for score in &scores {
                if !declared.iter().any(|(f, name, _)| f == &form.id && name == &score.name) {
                    declared.push((form.id.clone(), score.name.clone(), score.label.clone()));
                }
            }
        }
    }
    let mut values: BTreeMap<(String, String), (Vec<f64>, i64)> = BTreeMap::new();
    for (form, scores) in &counts.scores {
        let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(scores) else { continue };
        for (name, value) in map {
            let entry = values.entry((form.clone(), name)).or_default();
            match score_number(&value) {
                Some(x) => entry.0.push(x),
                None => entry.1 += 1,
            }
        }
    }
    let scores = declared
        .into_iter()
        .map(|(form, name, label)| {
            let (numbers, nulls) = values.remove(&(form.to_string(), name.clone())).unwrap_or_default();
            ScoreHistogram {
                form: form.to_string(),
                score: name,
                label,
                n: numbers.len() as i64,
                nulls,
                bins: bins(&numbers, HISTOGRAM_BINS),
            }
        })
        .collect();

    Ok(Some(Dashboard {
        study: study.to_string(),
        title: detail.study.title.clone(),
        generated_at: now_rfc3339(),
        team: team.map(str::to_string),
        totals,
        per_day: count(&counts.per_day),
        per_enumerator: count(&counts.per_enumerator),
        per_team: count(&counts.per_team),
        review,
        cases_per_team,
        cases_per_enumerator: progress(&counts.cases_per_enumerator),
        median_duration_minutes: median_minutes(&counts.durations),
        scores,
    }))
}

/// A stored score's number: a bare number, or `{"value": number, …}` with a category.
fn score_number(value: &serde_json::Value) -> Option<f64> {
    value.as_f64().or_else(|| value.get("value").and_then(serde_json::Value::as_f64)).filter(|x| x.is_finite())
}

/// The median of `completed_at - started_at` in minutes, over pairs that parse and are not
/// negative.
fn median_minutes(pairs: &[(String, String)]) -> Option<f64> {
    use time::{OffsetDateTime, format_description::well_known::Rfc3339};
    let mut minutes: Vec<f64> = pairs
        .iter()
        .filter_map(|(start, end)| {
            let start = OffsetDateTime::parse(start, &Rfc3339).ok()?;
            let end = OffsetDateTime::parse(end, &Rfc3339).ok()?;
            let m = (end - start).as_seconds_f64() / 60.0;
            (m >= 0.0).then_some(m)
        })
        .collect();
    if minutes.is_empty() {
        return None;
    }
    minutes.sort_by(f64::total_cmp);
    let mid = minutes.len() / 2;
    let median = if minutes.len() % 2 == 1 { minutes[mid] } else { (minutes[mid - 1] + minutes[mid]) / 2.0 };
    Some((median * 10.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_duration_in_minutes() {
        let p = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(median_minutes(&[]), None);
        assert_eq!(
            median_minutes(&[
                p("2026-05-01T10:00:00Z", "2026-05-01T10:20:00Z"),
                p("2026-05-01T11:00:00Z", "2026-05-01T11:30:00Z"),
                p("2026-05-01T12:00:00Z", "2026-05-01T12:45:00Z"),
                p("bad", "2026-05-01T12:45:00Z"),
                p("2026-05-01T12:00:00Z", "2026-05-01T11:00:00Z"),
            ]),
            Some(30.0)
        );
    }

    #[test]
    fn scores_read_as_numbers_or_values() {
        assert_eq!(score_number(&serde_json::json!(3.5)), Some(3.5));
        assert_eq!(score_number(&serde_json::json!({"value": 2, "category": "alto"})), Some(2.0));
        assert_eq!(score_number(&serde_json::json!(null)), None);
        assert_eq!(score_number(&serde_json::json!({"value": null})), None);
    }
}
