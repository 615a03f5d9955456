//! What a plugin reads (sdk/ABI.md, "Input"): the form it runs for, the answers and the form
//! version's settings, serialised straight from borrowed parts.

use serde::Serialize;
use serde_json::Value;

/// The ABI version of the input this host writes.
pub const ABI_VERSION: u32 = 1;

/// Which form version a plugin evaluates for.
#[derive(Debug, Clone, Copy)]
pub struct FormRef<'a> {
    pub study: &'a str,
    pub form: &'a str,
    pub version: &'a str,
}

#[derive(Serialize)]
struct Envelope<'a> {
    abi: u32,
    study: &'a str,
    form: &'a str,
    version: &'a str,
    answers: &'a Value,
    settings: &'a Value,
}

/// The input bytes for one evaluation, without copying the answers.
pub fn plugin_input(form: FormRef<'_>, answers: &Value, settings: &Value) -> Vec<u8> {
    let envelope = Envelope { abi: ABI_VERSION, study: form.study, form: form.form, version: form.version, answers, settings };
    // Serialising borrowed JSON values into a Vec cannot fail.
    serde_json::to_vec(&envelope).unwrap_or_default()
}
