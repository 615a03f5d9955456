//! Tools for plugin authors: `campo plugin new` scaffolds a crate that builds and tests out of
//! the box; `campo plugin check` reports what the host sees in a module and runs it on a sample.

use std::{fmt::Write as _, path::Path};

use anyhow::{Context, bail};
use serde_json::{Value, json};

use campo_domain::PluginHash;
use campo_runtime::{Entry, Limits, Runtime, check_module};

/// Creates `dir` (named after the plugin) with a plugin crate. Inside Campo's workspace it
/// depends on the SDK by path; elsewhere, on `campo_sdk_path`.
pub fn scaffold(dir: &Path, name: &str, campo_sdk_path: &Path) -> anyhow::Result<()> {
    if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_') || name.is_empty() {
        bail!("plugin names use a-z, 0-9, - and _ (got {name:?})");
    }
    if dir.exists() {
        bail!("{} already exists", dir.display());
    }
    std::fs::create_dir_all(dir.join("src"))?;
    std::fs::create_dir_all(dir.join(".cargo"))?;
    let sdk = campo_sdk_path.canonicalize().unwrap_or_else(|_| campo_sdk_path.to_path_buf());
    let in_workspace = dir.parent().and_then(|p| p.file_name()).is_some_and(|n| n == "plugins")
        && dir.parent().and_then(Path::parent).is_some_and(|root| root.join("sdk").exists());
    let sdk_dependency = if in_workspace { "campo-sdk.workspace = true".to_string() } else { format!("campo-sdk = {{ path = {:?} }}", sdk.display().to_string()) };
    let package_fields = if in_workspace {
        "version.workspace = true\nedition.workspace = true\nrust-version.workspace = true\nlicense.workspace = true"
    } else {
        "version = \"0.1.0\"\nedition = \"2024\"\nrust-version = \"1.95\""
    };
    let mut cargo = format!(
        "[package]\nname = \"{name}\"\ndescription = \"Questionnaire logic and scoring for a Campo study.\"\n{package_fields}\npublish = false\n\n\
         [lib]\ncrate-type = [\"cdylib\", \"rlib\"]\n\n[dependencies]\n{sdk_dependency}\n"
    );
    if !in_workspace {
        cargo.push_str(
            "\n# Build the module with: cargo build --release --target wasm32-unknown-unknown\n\
             [profile.release]\nopt-level = 3\nlto = true\ncodegen-units = 1\npanic = \"abort\"\nstrip = true\n\n[workspace]\n",
        );
        std::fs::write(
            dir.join(".cargo/config.toml"),
            "# A small shadow stack and a declared 16 MiB memory maximum, as sdk/ABI.md asks.\n\
             [target.wasm32-unknown-unknown]\nrustflags = [\"-C\", \"link-arg=-zstack-size=65536\", \"-C\", \"link-arg=--max-memory=16777216\", \"-C\", \"link-arg=--export=__stack_pointer\"]\n",
        )?;
    } else {
        std::fs::remove_dir(dir.join(".cargo"))?;
    }
    std::fs::write(dir.join("Cargo.toml"), cargo)?;
    std::fs::write(dir.join("src/lib.rs"), TEMPLATE)?;
    Ok(())
}

const TEMPLATE: &str = r#"//! Logic and scoring for one form. Build: cargo build --release --target wasm32-unknown-unknown
//! Test: cargo test
#![forbid(unsafe_code)]

use campo_sdk::prelude::*;

/// Which questions apply, which are required, and which answers contradict each other.
pub fn logic(input: &Input, out: &mut Logic) {
    let a = input.answers();
    out.require("consentimiento");
    out.require_if("edad", a.is("consentimiento", "si"));
    if a.int("edad").is_some_and(|edad| edad < 18) {
        out.error("edad", "menor_de_edad", msg!("La persona debe ser mayor de edad", "The respondent must be an adult"));
    }
}

/// Named scores of a complete, valid response.
pub fn score(input: &Input, out: &mut Scores) {
    let limite = input.settings().num_or("edad_mayor", 60.0);
    let edad = input.answers().num("edad");
    let score = out.set("edad", edad);
    if let Some(e) = edad {
        score.category(if e >= limite { "mayor" } else { "adulta" });
    }
}

campo_sdk::plugin!(logic = logic, score = score);

#[cfg(test)]
mod tests {
    use super::*;

    fn check(answers: Value) -> Logic {
        let mut out = Logic::default();
        logic(&Input::new(answers), &mut out);
        out
    }

    #[test]
    fn age_is_asked_only_after_consent() {
        assert!(!check(json!({"consentimiento": "no"})).is_relevant("edad"));
        assert!(check(json!({"consentimiento": "si"})).is_required("edad"));
    }

    #[test]
    fn minors_are_refused() {
        assert_eq!(check(json!({"consentimiento": "si", "edad": 15})).errors_at("edad"), vec!["menor_de_edad"]);
    }

    #[test]
    fn the_age_score_has_a_category() {
        let mut out = Scores::default();
        score(&Input::new(json!({"edad": 70})), &mut out);
        assert_eq!((out.get("edad"), out.category("edad")), (Some(70.0), Some("mayor")));
    }
}
"#;

/// What `campo plugin check` prints, and whether the host would accept the module.
pub fn check(wasm_path: &Path, input_path: Option<&Path>) -> anyhow::Result<String> {
    let wasm = std::fs::read(wasm_path).with_context(|| format!("reading {}", wasm_path.display()))?;
    let hash = PluginHash::of(&wasm);
    let mut out = String::new();
    let report = check_module(&wasm).map_err(|problem| anyhow::anyhow!("the host would refuse {}: {problem}", wasm_path.display()))?;
    let limits = Limits::DEFAULT;
    writeln!(out, "module        {}", wasm_path.display())?;
    writeln!(out, "sha256        {hash}")?;
    writeln!(out, "size          {} bytes", report.size)?;
    writeln!(out, "abi           v{}", report.abi_version)?;
    writeln!(out, "capabilities  {}", report.capabilities.as_list().join(", "))?;
    writeln!(out, "imports       {}", if report.imports.is_empty() { "none".to_string() } else { report.imports.join(", ") })?;
    writeln!(out, "exports       {}", report.exports.join(", "))?;
    writeln!(
        out,
        "memory        {} pages at start, {} pages maximum",
        report.memory_min_pages,
        report.memory_max_pages.map(|m| m.to_string()).unwrap_or_else(|| "no".into())
    )?;
    writeln!(out, "resettable    {}", if report.resettable { "yes (warm instances, reset after each call)" } else { "no (a fresh instance per call)" })?;
    writeln!(
        out,
        "limits        fuel {}, memory {} MiB, stack {} KiB, input/output {} KiB, deadline {} ms",
        limits.fuel,
        limits.memory_bytes >> 20,
        limits.wasm_stack_bytes >> 10,
        limits.input_bytes >> 10,
        limits.deadline_ms
    )?;

    let runtime = Runtime::new(None)?;
    runtime.load(&hash, &wasm)?;
    let answers: Value = match input_path {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            let value: Value = serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
            // Accept a submission body, an ABI envelope or bare answers.
            value.get("answers").cloned().unwrap_or(value)
        }
        None => json!({}),
    };
    let settings = match input_path.map(|p| std::fs::read_to_string(p).ok().and_then(|t| serde_json::from_str::<Value>(&t).ok())) {
        Some(Some(v)) => v.get("settings").cloned().unwrap_or_else(|| json!({})),
        _ => json!({}),
    };
    let envelope = serde_json::to_vec(&json!({"abi": 1, "study": "", "form": "", "version": "", "answers": answers, "settings": settings}))?;
    for (entry, enabled) in [(Entry::Logic, report.capabilities.logic), (Entry::Score, report.capabilities.score)] {
        if !enabled {
            continue;
        }
        let started = std::time::Instant::now();
        let result: Value = runtime.evaluate(&hash, entry, &envelope, &limits).map_err(|e| anyhow::anyhow!("{} on the sample: {e}", entry.capability()))?;
        writeln!(out, "{:<13} ok in {:.2} ms: {}", entry.capability(), started.elapsed().as_secs_f64() * 1000.0, serde_json::to_string(&result)?)?;
    }
    Ok(out)
}
