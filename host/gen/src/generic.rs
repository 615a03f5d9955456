//! The generic generator: valid, varied responses for any form, from its JSON Schema and its own
//! logic plugin.
//!
//! It draws an answer for every question the schema has (every choice and the whole range a
//! question allows are equally likely, so a few hundred responses take every skip path), then
//! runs the form's logic plugin until the response is stable: answers to questions that became
//! hidden are left out (the relevance rule), missing required answers are drawn, and an answer
//! the logic refuses is drawn again. A response that does not settle is dropped and drawn anew;
//! what is returned passes the schema and the logic, exactly as the server checks it.

use std::sync::Arc;

use campo_domain::{PluginHash, StudyId, FormId, FieldError};
use campo_form::{FormValidator, SchemaError, relevance};
use campo_runtime::{Entry, FormRef, Limits, PluginError, Runtime, plugin_input};
use campo_sdk::{Logic, Severity};
use rand::{Rng, rngs::StdRng, seq::IndexedRandom};
use serde_json::{Map, Value, json};
use time::{Date, Duration, PrimitiveDateTime, Time};

/// What the generator needs to know of a form version.
#[derive(Debug, Clone)]
pub struct FormUnderTest {
    pub study: StudyId,
    pub form: FormId,
    pub version: String,
    pub schema: Value,
    pub settings: Value,
    /// The logic plugin's hash and module, when the version has one.
    pub logic: Option<(PluginHash, Vec<u8>)>,
    pub limits: Limits,
}

#[derive(Debug, thiserror::Error)]
pub enum GenericError {
    #[error(transparent)]
    Schema(#[from] SchemaError),
    #[error(transparent)]
    Plugin(#[from] PluginError),
    #[error("no valid response in {attempts} attempts; the last one failed with: {last}")]
    Unsatisfiable { attempts: usize, last: String },
}

/// Responses drawn from scratch before giving up.
const ATTEMPTS: usize = 200;
/// Logic evaluations per attempt before it is dropped.
const ROUNDS: usize = 40;
/// An optional question is answered this often (a realistic interview leaves some blank).
const ANSWER_OPTIONAL: f64 = 0.85;
/// Repeats get at most this many items unless the schema asks for more.
const USUAL_REPEAT_ITEMS: u64 = 4;

/// The generic generator for one form version.
pub struct GenericGenerator {
    runtime: Arc<Runtime>,
    form: FormUnderTest,
    validator: FormValidator,
}

impl GenericGenerator {
    /// Compiles the schema and loads the logic plugin.
    pub fn new(runtime: Arc<Runtime>, form: FormUnderTest) -> Result<GenericGenerator, GenericError> {
        let validator = FormValidator::compile(&form.schema)?;
        if let Some((hash, wasm)) = &form.logic {
            runtime.load(hash, wasm)?;
        }
        Ok(GenericGenerator { runtime, form, validator })
    }

    /// One response's answers.
    pub fn answers(&self, rng: &mut StdRng) -> Result<Value, GenericError> {
        let mut last = String::from("no attempt");
        for _ in 0..ATTEMPTS {
            match self.attempt(rng)? {
                Ok(answers) => return Ok(answers),
                Err(why) => last = why,
            }
        }
        Err(GenericError::Unsatisfiable { attempts: ATTEMPTS, last })
    }

    /// One try: `Ok(Err(why))` when the response did not settle.
    fn attempt(&self, rng: &mut StdRng) -> Result<Result<Value, String>, GenericError> {
        let schema = &self.form.schema;
        let mut answers = Value::Object(draw_group(schema, schema, &[], &Map::new(), rng, ANSWER_OPTIONAL));
        let mut why = String::new();
        for _ in 0..ROUNDS {
            let logic = self.logic(&answers)?;
            let not_relevant = |p: &str| logic.fields.get(p).is_some_and(|s| !s.relevant);
            let mut next = relevance::kept(&answers, not_relevant);
            for (path, value) in &logic.computed {
                set_at(&mut next, path, value.clone());
            }
            let mut changed = false;
            // Required questions that are relevant and unanswered get an answer.
            for (path, state) in &logic.fields {
                if state.required && !relevance::is_hidden(path, not_relevant) && is_blank(pointer_get(&next, path)) {
                    changed |= redraw(schema, &mut next, path, rng);
                }
            }
            // An answer the logic refuses is drawn again.
            let errors: Vec<&str> =
                logic.issues.iter().filter(|i| i.severity == Severity::Error).map(|i| i.path.as_str()).collect();
            for path in &errors {
                changed |= redraw(schema, &mut next, path, rng);
            }
            if !errors.is_empty() && !changed {
                why = format!("the logic refuses {errors:?} and no answer there can be drawn again");
                break;
            }
            let settled = !changed && next == answers;
            answers = next;
            if settled {
                let mut sent = answers.clone();
                drop_read_only(schema, &mut sent);
                return Ok(match self.validator.validate(&answers) {
                    Ok(()) => Ok(sent),
                    Err(errors) => Err(describe(&errors)),
                });
            }
            why = "the logic did not settle".into();
        }
        Ok(Err(why))
    }

    fn logic(&self, answers: &Value) -> Result<Logic, GenericError> {
        let Some((hash, _)) = &self.form.logic else { return Ok(Logic::default()) };
        let form = FormRef { study: self.form.study.as_str(), form: self.form.form.as_str(), version: &self.form.version };
        let input = plugin_input(form, answers, &self.form.settings);
        Ok(self.runtime.evaluate(hash, Entry::Logic, &input, &self.form.limits)?)
    }
}

fn describe(errors: &[FieldError]) -> String {
    errors.iter().take(3).map(|e| format!("{} {}", e.path, e.message_en)).collect::<Vec<_>>().join("; ")
}

/// Answers for every question of a group (an object schema) at `at`.
fn draw_group(root: &Value, group: &Value, at: &[String], answers: &Map<String, Value>, rng: &mut StdRng, answer_optional: f64) -> Map<String, Value> {
    let mut out = Map::new();
    let Some(properties) = group.get("properties").and_then(Value::as_object) else { return out };
    for (name, question) in properties {
        if is_read_only(question) || !rng.random_bool(answer_optional) {
            continue;
        }
        let mut path = at.to_vec();
        path.push(name.clone());
        // Cascading choices read answers drawn earlier: keep them visible while drawing.
        let so_far = merged(answers, at, &out);
        if let Some(value) = draw(root, question, &path, &so_far, rng) {
            out.insert(name.clone(), value);
        }
    }
    out
}

/// The answers drawn so far with `group` (being drawn at `at`) in place, for cascading choices.
fn merged(answers: &Map<String, Value>, at: &[String], group: &Map<String, Value>) -> Value {
    let mut whole = Value::Object(answers.clone());
    if at.is_empty() {
        return Value::Object(group.clone());
    }
    set_at(&mut whole, &to_pointer(at), Value::Object(group.clone()));
    whole
}

/// One question's answer, or `None` when nothing valid can be drawn (a cascade with no parent).
fn draw(root: &Value, question: &Value, path: &[String], answers: &Value, rng: &mut StdRng) -> Option<Value> {
    if let Some(value) = question.get("const") {
        return Some(value.clone());
    }
    if question.get("enum").is_some() || question.get("x-choices").is_some() {
        return draw_choice(question, path, answers, rng);
    }
    match type_of(question) {
        "object" => {
            let within = answers.as_object().cloned().unwrap_or_default();
            Some(Value::Object(draw_group(root, question, path, &within, rng, ANSWER_OPTIONAL)))
        }
        "array" => {
            let items = question.get("items").unwrap_or(&Value::Null);
            let min = question.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            let max = question.get("maxItems").and_then(Value::as_u64);
            if type_of(items) == "object" {
                // A repeat: usually a few items, now and then as many as allowed.
                let usual = max.unwrap_or(USUAL_REPEAT_ITEMS).min(USUAL_REPEAT_ITEMS.max(min));
                let top = if rng.random_bool(0.1) { max.unwrap_or(usual).max(min) } else { usual.max(min) };
                let count = rng.random_range(min..=top);
                let mut list: Vec<Value> = Vec::new();
                for i in 0..count {
                    let mut item_path = path.to_vec();
                    item_path.push(i.to_string());
                    list.push(json!({}));
                    let mut whole = answers.clone();
                    set_at(&mut whole, &to_pointer(path), Value::Array(list.clone()));
                    let so_far = whole.as_object().cloned().unwrap_or_default();
                    list[i as usize] = Value::Object(draw_group(root, items, &item_path, &so_far, rng, ANSWER_OPTIONAL));
                }
                Some(Value::Array(list))
            } else {
                draw_multiple(question, items, min, max, rng)
            }
        }
        "integer" => Some(json!(draw_integer(question, rng))),
        "number" => Some(draw_number(question, rng)),
        "boolean" => Some(json!(rng.random_bool(0.5))),
        _ => Some(draw_text(question, rng)),
    }
}

fn draw_choice(question: &Value, path: &[String], answers: &Value, rng: &mut StdRng) -> Option<Value> {
    let codes: Vec<Value> = match (question.get("x-choices").and_then(Value::as_array), question.get("x-choice-filter").and_then(Value::as_str)) {
        (Some(choices), Some(filter)) => {
            let parent = pointer_get(answers, &related_pointer(filter, path))?.clone();
            choices.iter().filter(|c| c.get("parent") == Some(&parent)).filter_map(|c| c.get("code").cloned()).collect()
        }
        (Some(choices), None) => choices.iter().filter_map(|c| c.get("code").cloned()).collect(),
        (None, _) => question.get("enum").and_then(Value::as_array).cloned().unwrap_or_default(),
    };
    codes.choose(rng).cloned()
}

fn draw_multiple(question: &Value, items: &Value, min: u64, max: Option<u64>, rng: &mut StdRng) -> Option<Value> {
    let codes: Vec<Value> = question
        .get("x-choices")
        .and_then(Value::as_array)
        .map(|c| c.iter().filter_map(|c| c.get("code").cloned()).collect())
        .or_else(|| items.get("enum").and_then(Value::as_array).cloned())
        .unwrap_or_default();
    if codes.is_empty() {
        return Some(json!([]));
    }
    let top = max.unwrap_or(codes.len() as u64).min(codes.len() as u64);
    let low = min.min(top).max(1.min(top));
    let count = rng.random_range(low..=top) as usize;
    let mut chosen: Vec<Value> = codes.choose_multiple(rng, count).cloned().collect();
    // In the order the form lists them, as an enumerator's ticks come out.
    chosen.sort_by_key(|c| codes.iter().position(|x| x == c));
    Some(Value::Array(chosen))
}

/// The schema's bounds: `(low, high, low is exclusive, high is exclusive)`, `None` for a
/// missing side.
fn bounds(question: &Value) -> (Option<f64>, Option<f64>, bool, bool) {
    let num = |k: &str| question.get(k).and_then(Value::as_f64);
    let (min, xmin, max, xmax) = (num("minimum"), num("exclusiveMinimum"), num("maximum"), num("exclusiveMaximum"));
    (min.or(xmin), max.or(xmax), min.is_none() && xmin.is_some(), max.is_none() && xmax.is_some())
}

fn draw_integer(question: &Value, rng: &mut StdRng) -> i64 {
    let (low, high, low_open, high_open) = bounds(question);
    let mut low = low.map(|l| if low_open { l.floor() as i64 + 1 } else { l.ceil() as i64 }).unwrap_or(0);
    let mut high = high.map(|h| if high_open { h.ceil() as i64 - 1 } else { h.floor() as i64 }).unwrap_or(low.max(0) + 100);
    if high < low {
        std::mem::swap(&mut low, &mut high);
    }
    let step = question.get("multipleOf").and_then(Value::as_i64).filter(|s| *s > 0).unwrap_or(1);
    let value = spread(low as f64, high as f64, rng).round() as i64;
    let value = (value / step) * step;
    value.clamp(low, high)
}

fn draw_number(question: &Value, rng: &mut StdRng) -> Value {
    let (low, high, _, _) = bounds(question);
    let low = low.unwrap_or(0.0);
    let high = high.unwrap_or(low.max(0.0) + 100.0).max(low);
    let mut value = (spread(low, high, rng) * 100.0).round() / 100.0;
    if let Some(step) = question.get("multipleOf").and_then(Value::as_f64).filter(|s| *s > 0.0) {
        value = (value / step).floor() * step;
    }
    json!(value.clamp(low, high))
}

/// A draw over `[low, high]`: uniform, but over a wide range half the draws are log-uniform,
/// so small values (the common ones for amounts and counts) show up too.
fn spread(low: f64, high: f64, rng: &mut StdRng) -> f64 {
    if high <= low {
        return low;
    }
    if high - low > 1000.0 && low >= 0.0 && rng.random_bool(0.5) {
        let (a, b) = ((low + 1.0).ln(), (high + 1.0).ln());
        return (rng.random_range(a..=b).exp() - 1.0).clamp(low, high);
    }
    rng.random_range(low..=high)
}

/// Days since 1970 of the dates drawn when a form sets no bounds: interviews and events of the
/// last decades.
const DEFAULT_DATES: (i64, i64) = (7305, 20454); // 1990-01-01 ..= 2025-12-31

fn draw_text(question: &Value, rng: &mut StdRng) -> Value {
    let epoch = Date::from_ordinal_date(1970, 1).unwrap_or(Date::MIN);
    let day = |text: Option<&str>| text.and_then(|t| Date::parse(t.get(..10)?, &time::format_description::well_known::Iso8601::DATE).ok());
    match question.get("format").and_then(Value::as_str) {
        Some(format @ ("date" | "date-time")) => {
            let low = day(question.get("formatMinimum").and_then(Value::as_str)).map(|d| (d - epoch).whole_days()).unwrap_or(DEFAULT_DATES.0);
            let high = day(question.get("formatMaximum").and_then(Value::as_str)).map(|d| (d - epoch).whole_days()).unwrap_or(DEFAULT_DATES.1);
            let date = epoch + Duration::days(rng.random_range(low.min(high)..=high.max(low)));
            if format == "date" {
                json!(date.to_string())
            } else {
                let at = PrimitiveDateTime::new(date, Time::from_hms(rng.random_range(7..20), rng.random_range(0..60), 0).unwrap_or(Time::MIDNIGHT));
                json!(format!("{}T{}Z", at.date(), at.time().to_string().get(..8).unwrap_or("00:00:00")))
            }
        }
        Some("time") => json!(format!("{:02}:{:02}:00", rng.random_range(7..21), rng.random_range(0..60))),
        _ => {
            const WORDS: [&str; 12] = ["campo", "hogar", "agua", "camino", "escuela", "feria", "cosecha", "taller", "plaza", "río", "cerro", "pueblo"];
            let min = question.get("minLength").and_then(Value::as_u64).unwrap_or(1) as usize;
            let max = question.get("maxLength").and_then(Value::as_u64).unwrap_or(60) as usize;
            let mut text = String::new();
            while text.chars().count() < min.max(1) || (text.chars().count() < 12 && rng.random_bool(0.6)) {
                if !text.is_empty() {
                    text.push(' ');
                }
                text.push_str(WORDS.choose(rng).copied().unwrap_or("campo"));
            }
            json!(text.chars().take(max.max(min)).collect::<String>().trim_end())
        }
    }
}

/// Draws again the answer at `pointer` (a question of the schema). False when the pointer names
/// no question the generator can answer.
fn redraw(root: &Value, answers: &mut Value, pointer: &str, rng: &mut StdRng) -> bool {
    let path = segments(pointer);
    if path.is_empty() {
        return false;
    }
    let Some(question) = question_at(root, &path) else { return false };
    if is_read_only(question) {
        return false;
    }
    let snapshot = answers.clone();
    match draw(root, question, &path, &snapshot, rng) {
        Some(value) => set_at(answers, pointer, value),
        None => false,
    }
}

/// The schema of the question at `path` (repeat indices step into `items`).
fn question_at<'a>(root: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(root, |node, segment| match type_of(node) {
        "array" if segment.parse::<usize>().is_ok() => node.get("items"),
        _ => node.get("properties")?.get(segment),
    })
}

/// Removes computed (read-only) answers: the server writes them itself.
fn drop_read_only(schema: &Value, answers: &mut Value) {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else { return };
    let Some(map) = answers.as_object_mut() else { return };
    for (name, question) in properties {
        if is_read_only(question) {
            map.remove(name);
        } else if let Some(child) = map.get_mut(name) {
            match type_of(question) {
                "object" => drop_read_only(question, child),
                "array" => {
                    if let (Some(items), Some(list)) = (question.get("items"), child.as_array_mut()) {
                        list.iter_mut().for_each(|item| drop_read_only(items, item));
                    }
                }
                _ => {}
            }
        }
    }
}

fn is_read_only(question: &Value) -> bool {
    question.get("readOnly").and_then(Value::as_bool).unwrap_or(false)
}

fn type_of(schema: &Value) -> &str {
    match schema.get("type") {
        Some(Value::String(t)) => t,
        Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).find(|t| *t != "null").unwrap_or("string"),
        _ if schema.get("properties").is_some() => "object",
        _ => "string",
    }
}

fn is_blank(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Array(items)) => items.is_empty(),
        _ => false,
    }
}

/// The pointer of a cascading choice's parent: the filter's path from the root, with the
/// repeat indices of the dependent question filled in where both go through the same repeat
/// (the enumerator app's rule, `relatedPointer` in form.js).
fn related_pointer(filter: &str, dependent: &[String]) -> String {
    let target = segments(if filter.starts_with('/') { filter.to_string() } else { format!("/{filter}") }.as_str());
    let mut out: Vec<String> = Vec::new();
    let mut d = 0;
    for t in target {
        while d < dependent.len() && dependent[d].bytes().all(|b| b.is_ascii_digit()) && !dependent[d].is_empty() && out.len() == d {
            out.push(dependent[d].clone());
            d += 1;
        }
        let matches = dependent.get(d) == Some(&t);
        out.push(t);
        if matches { d += 1 } else { d = dependent.len() }
    }
    to_pointer(&out)
}

fn segments(pointer: &str) -> Vec<String> {
    pointer.strip_prefix('/').unwrap_or(pointer).split('/').filter(|s| !s.is_empty()).map(|s| s.replace("~1", "/").replace("~0", "~")).collect()
}

fn to_pointer(path: &[String]) -> String {
    path.iter().map(|s| format!("/{}", s.replace('~', "~0").replace('/', "~1"))).collect()
}

fn pointer_get<'a>(value: &'a Value, pointer: &str) -> Option<&'a Value> {
    let pointer = if pointer.starts_with('/') || pointer.is_empty() { pointer.to_string() } else { format!("/{pointer}") };
    value.pointer(&pointer)
}

/// Sets `value` at `pointer`, creating groups on the way (repeat items must exist). Whether
/// anything changed.
fn set_at(root: &mut Value, pointer: &str, value: Value) -> bool {
    let path = segments(pointer);
    let Some((last, parents)) = path.split_last() else { return false };
    let mut node = root;
    for segment in parents {
        node = match node {
            Value::Object(map) => map.entry(segment.clone()).or_insert_with(|| json!({})),
            Value::Array(items) => match segment.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                Some(item) => item,
                None => return false,
            },
            _ => return false,
        };
    }
    match node {
        Value::Object(map) => map.insert(last.clone(), value.clone()).as_ref() != Some(&value),
        Value::Array(items) => match last.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
            Some(slot) if *slot != value => {
                *slot = value;
                true
            }
            _ => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn s(path: &[&str]) -> Vec<String> {
        path.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn a_cascade_reads_its_parent_in_the_same_repeat_item() {
        assert_eq!(related_pointer("identificacion/region", &s(&["identificacion", "comuna"])), "/identificacion/region");
        assert_eq!(related_pointer("hogar/miembros/region", &s(&["hogar", "miembros", "3", "comuna"])), "/hogar/miembros/3/region");
        assert_eq!(related_pointer("/region", &s(&["hogar", "miembros", "3", "comuna"])), "/region");
    }

    #[test]
    fn numbers_spread_over_the_whole_allowed_range() {
        let mut rng = StdRng::seed_from_u64(1);
        let age = json!({"type": "integer", "minimum": 18, "maximum": 99});
        let ages: Vec<i64> = (0..400).map(|_| draw_integer(&age, &mut rng)).collect();
        assert!(ages.iter().all(|a| (18..=99).contains(a)));
        assert!(ages.iter().any(|a| *a > 60) && ages.iter().any(|a| *a < 25));
        let income = json!({"type": "integer", "minimum": 0, "maximum": 50_000_000, "multipleOf": 1000});
        let incomes: Vec<i64> = (0..400).map(|_| draw_integer(&income, &mut rng)).collect();
        assert!(incomes.iter().all(|i| i % 1000 == 0 && (0..=50_000_000).contains(i)));
        assert!(incomes.iter().any(|i| *i < 100_000) && incomes.iter().any(|i| *i > 10_000_000));
        let hours = json!({"type": "number", "exclusiveMinimum": 0, "maximum": 18});
        assert!((0..200).all(|_| draw_number(&hours, &mut rng).as_f64().is_some_and(|h| h > 0.0 - 1e-9 && h <= 18.0)));
    }

    #[test]
    fn choices_cover_every_code_and_multiples_keep_the_form_order() {
        let mut rng = StdRng::seed_from_u64(2);
        let q = json!({"type": "string", "enum": ["a", "b", "c"]});
        let seen: std::collections::BTreeSet<String> =
            (0..100).filter_map(|_| draw_choice(&q, &s(&["q"]), &json!({}), &mut rng)).filter_map(|v| v.as_str().map(str::to_string)).collect();
        assert_eq!(seen.len(), 3);
        let m = json!({"type": "array", "uniqueItems": true, "items": {"type": "string", "enum": ["x", "y", "z"]}});
        for _ in 0..50 {
            let v = draw_multiple(&m, &m["items"], 0, None, &mut rng).unwrap();
            let list: Vec<&str> = v.as_array().unwrap().iter().filter_map(Value::as_str).collect();
            let mut sorted = list.clone();
            sorted.sort();
            assert_eq!(list, sorted);
            assert!(!list.is_empty());
        }
    }

    #[test]
    fn pointers_set_and_read_through_groups_and_repeat_items() {
        let mut answers = json!({"hogar": {"miembros": [{"edad": 3}]}});
        assert!(set_at(&mut answers, "/hogar/miembros/0/edad", json!(4)));
        assert!(!set_at(&mut answers, "/hogar/miembros/0/edad", json!(4)));
        assert!(set_at(&mut answers, "/nuevo/grupo/x", json!(1)));
        assert!(!set_at(&mut answers, "/hogar/miembros/5/edad", json!(1)));
        assert_eq!(answers, json!({"hogar": {"miembros": [{"edad": 4}]}, "nuevo": {"grupo": {"x": 1}}}));
        assert_eq!(pointer_get(&answers, "hogar/miembros/0/edad"), Some(&json!(4)));
    }
}
