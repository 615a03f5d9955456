//! The relevance rule, as the SDK applies it, against the vectors the server and the browser
//! run too (`sdk/vectors/relevance.json`), so the three implementations cannot drift.

use campo_sdk::{FieldState, Logic};
use serde_json::Value;

#[test]
fn the_sdk_hides_what_the_shared_vectors_hide() {
    let vectors: Value = serde_json::from_str(include_str!("../vectors/relevance.json")).expect("vectors are JSON");
    let cases = vectors["cases"].as_array().expect("cases");
    assert!(!cases.is_empty());
    for case in cases {
        let name = case["name"].as_str().unwrap_or("?");
        let mut logic = Logic::default();
        for (path, state) in case["fields"].as_object().expect("fields") {
            let state: FieldState = serde_json::from_value(state.clone()).expect("field state");
            logic.fields.insert(path.clone(), state);
        }
        for (path, hidden) in case["hidden"].as_object().expect("hidden") {
            assert_eq!(!logic.is_relevant(path), hidden.as_bool().expect("bool"), "{name}: {path}");
        }
    }
}
