//! The relevance rule, written once for the server and checked against the vectors the SDK and
//! the browser run too (`sdk/vectors/relevance.json`): a question is hidden when it, or a group
//! or repeat item that encloses it, is not relevant. What a response keeps is every answer that
//! is not hidden; a group left with no answers by that is left out too, and repeat items always
//! stay (their index is their identity).

use serde_json::{Map, Value};

/// Whether the question at `pointer` is hidden, given which pointers the logic result marks
/// not relevant. Looks up the question and each enclosing group, never scans every field.
pub fn is_hidden(pointer: &str, not_relevant: impl Fn(&str) -> bool) -> bool {
    let pointer: std::borrow::Cow<str> = if pointer.starts_with('/') { pointer.into() } else { format!("/{pointer}").into() };
    not_relevant(&pointer) || pointer.match_indices('/').any(|(end, _)| end > 0 && not_relevant(&pointer[..end]))
}

/// The answers a response keeps: `answers` without every hidden answer.
pub fn kept(answers: &Value, not_relevant: impl Fn(&str) -> bool) -> Value {
    let hidden = |pointer: &str| is_hidden(pointer, &not_relevant);
    match answers {
        Value::Object(map) => Value::Object(keep_group(map, "", &hidden)),
        other => other.clone(),
    }
}

fn keep_group(map: &Map<String, Value>, at: &str, hidden: &impl Fn(&str) -> bool) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, value) in map {
        let pointer = format!("{at}/{}", escape(key));
        if hidden(&pointer) {
            continue;
        }
        match value {
            Value::Object(group) if !group.is_empty() => {
                let inner = keep_group(group, &pointer, hidden);
                if !inner.is_empty() {
                    out.insert(key.clone(), Value::Object(inner));
                }
            }
            Value::Array(items) if items.iter().any(Value::is_object) => {
                let items = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let item_pointer = format!("{pointer}/{i}");
                        match item {
                            Value::Object(_) if hidden(&item_pointer) => Value::Object(Map::new()),
                            Value::Object(fields) => Value::Object(keep_group(fields, &item_pointer, hidden)),
                            other => other.clone(),
                        }
                    })
                    .collect();
                out.insert(key.clone(), Value::Array(items));
            }
            other => {
                out.insert(key.clone(), other.clone());
            }
        }
    }
    out
}

/// A key as a JSON Pointer segment (RFC 6901).
fn escape(key: &str) -> std::borrow::Cow<'_, str> {
    if key.contains(['~', '/']) { key.replace('~', "~0").replace('/', "~1").into() } else { key.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_keeps_and_hides_what_the_shared_vectors_say() {
        let vectors: Value = serde_json::from_str(include_str!("../../../sdk/vectors/relevance.json")).expect("vectors");
        for case in vectors["cases"].as_array().expect("cases") {
            let name = case["name"].as_str().unwrap_or("?");
            let fields = case["fields"].as_object().expect("fields");
            let not_relevant = |p: &str| fields.get(p).is_some_and(|s| s["relevant"] == Value::Bool(false));
            for (path, hidden) in case["hidden"].as_object().expect("hidden") {
                assert_eq!(is_hidden(path, not_relevant), hidden.as_bool().expect("bool"), "{name}: {path}");
            }
            assert_eq!(kept(&case["answers"], not_relevant), case["kept"], "{name}");
        }
    }
}
