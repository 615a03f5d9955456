//! Tools for plugin authors: `campo plugin new` scaffolds a crate that builds and tests out of
//! the box; `campo plugin check` reports what the host sees in a module and runs it on a sample.

use std::{fmt::Write as _, path::Path};

use anyhow::{Context, bail};
use include_dir::{Dir, include_dir};
use serde_json::{Value, json};

use campo_domain::PluginHash;
use campo_runtime::{Entry, Limits, Runtime, check_module};

/// The SDK's sources, compiled into the binary so `campo plugin new` needs no Campo checkout:
/// a plugin crate scaffolded anywhere gets its own copy of the SDK it was written against.
static SDK_SOURCES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../sdk/src");
const SDK_ABI: &str = include_str!("../../../../sdk/ABI.md");
/// The SDK's version: the workspace's, which the binary shares.
const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The vendored SDK's own manifest. `sdk/Cargo.toml` inherits its fields from Campo's
/// workspace, which a scaffold far from the checkout does not have; this one stands alone.
/// (A test checks that it names the same dependencies as `sdk/Cargo.toml`.)
fn sdk_manifest() -> String {
    format!(
        "[package]\nname = \"campo-sdk\"\nversion = \"{SDK_VERSION}\"\nedition = \"2024\"\nrust-version = \"1.95\"\nlicense = \"Apache-2.0\"\n\
         description = \"What a Campo plugin author depends on: typed answers, result builders, i18n messages and the ABI glue.\"\n\
         publish = false\n\n[dependencies]\nserde = {{ version = \"1\", features = [\"derive\"] }}\nserde_json = \"1\"\n"
    )
}

/// Where the scaffold keeps its copy of the SDK, relative to the crate.
pub fn vendored_sdk_dir() -> String {
    format!("vendor/campo-sdk-{SDK_VERSION}")
}

/// Creates `dir` (named after the plugin) with a plugin crate. Inside Campo's workspace
/// (`plugins/NAME`) it uses the workspace's SDK; anywhere else it carries its own copy of the
/// SDK (`vendor/campo-sdk-VERSION`, written from the binary) and is its own workspace, so it
/// depends on nothing outside its directory but crates.io.
pub fn scaffold(dir: &Path, name: &str) -> anyhow::Result<()> {
    if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_') || name.is_empty() {
        bail!("plugin names use a-z, 0-9, - and _ (got {name:?})");
    }
    if dir.exists() {
        bail!("{} already exists", dir.display());
    }
    let in_workspace = dir.parent().and_then(|p| p.file_name()).is_some_and(|n| n == "plugins")
        && dir.parent().and_then(Path::parent).is_some_and(|root| root.join("sdk").exists());
    std::fs::create_dir_all(dir.join("src"))?;
    if in_workspace {
        let cargo = format!(
            "[package]\nname = \"{name}\"\ndescription = \"Questionnaire logic and scoring for a Campo study.\"\n\
             version.workspace = true\nedition.workspace = true\nrust-version.workspace = true\nlicense.workspace = true\npublish = false\n\n\
             [lib]\ncrate-type = [\"cdylib\", \"rlib\"]\n\n[dependencies]\ncampo-sdk.workspace = true\n"
        );
        std::fs::write(dir.join("Cargo.toml"), cargo)?;
        std::fs::write(dir.join("src/lib.rs"), TEMPLATE)?;
        return Ok(());
    }
    let sdk = vendored_sdk_dir();
    let cargo = format!(
        "[package]\nname = \"{name}\"\ndescription = \"Questionnaire logic and scoring for a Campo study.\"\n\
         version = \"0.1.0\"\nedition = \"2024\"\nrust-version = \"1.95\"\npublish = false\n\n\
         [lib]\ncrate-type = [\"cdylib\", \"rlib\"]\n\n\
         [dependencies]\n# The SDK this crate was scaffolded with, written by `campo plugin new` (campo {SDK_VERSION}).\n\
         campo-sdk = {{ path = \"{sdk}\" }}\n\n\
         # Build the module with: cargo build --release --target wasm32-unknown-unknown\n\
         [profile.release]\nopt-level = 3\nlto = true\ncodegen-units = 1\npanic = \"abort\"\nstrip = true\ndebug = false\n\n\
         # Its own workspace: never captured by a workspace around it.\n[workspace]\n"
    );
    std::fs::write(dir.join("Cargo.toml"), cargo)?;
    std::fs::write(dir.join("src/lib.rs"), TEMPLATE)?;
    std::fs::create_dir_all(dir.join(".cargo"))?;
    std::fs::write(dir.join(".cargo/config.toml"), WASM_CONFIG)?;
    std::fs::write(dir.join(".gitignore"), "/target\n")?;
    std::fs::write(dir.join("sample.json"), SAMPLE)?;
    std::fs::write(dir.join("README.md"), readme(name))?;
    let sdk_dir = dir.join(&sdk);
    std::fs::create_dir_all(sdk_dir.join("src"))?;
    std::fs::write(sdk_dir.join("Cargo.toml"), sdk_manifest())?;
    std::fs::write(sdk_dir.join("ABI.md"), SDK_ABI)?;
    SDK_SOURCES.extract(sdk_dir.join("src")).with_context(|| format!("writing the SDK into {}", sdk_dir.display()))?;
    Ok(())
}

/// What `rustc` needs for a module the host accepts (the same flags as Campo's own
/// `.cargo/config.toml`, see sdk/ABI.md, "Memory").
const WASM_CONFIG: &str = "# A 64 KiB shadow stack and a declared 16 MiB memory maximum, as the SDK's ABI.md asks: the host\n\
# refuses a module without a maximum, and the browser then enforces the same cap as the server.\n\
[target.wasm32-unknown-unknown]\n\
rustflags = [\"-C\", \"link-arg=-zstack-size=65536\", \"-C\", \"link-arg=--max-memory=16777216\", \"-C\", \"link-arg=--export=__stack_pointer\"]\n";

/// A sample for `campo plugin check --input sample.json`: a submission body's answers.
const SAMPLE: &str = "{\"answers\": {\"consentimiento\": \"si\", \"edad\": 15}}\n";

fn readme(name: &str) -> String {
    let module = name.replace('-', "_");
    let sdk = vendored_sdk_dir();
    format!(
        "# {name}\n\n\
Questionnaire logic and scoring for a Campo form, written in Rust against `campo-sdk`.\n\n\
- `src/lib.rs`: `logic` (relevance, required-ness, computed values, constraints) and `score` (named scores).\n\
- `{sdk}/`: the SDK this crate was created with, written by `campo plugin new`; its `ABI.md` is\n  \
  the contract between a module and the host. Leave it as it is; a newer `campo` writes a newer copy.\n\
- `.cargo/config.toml`: the linker flags the host requires of a module (stack and memory limits).\n\n\
## Test, build, check\n\n\
You need Rust (rustup) and the WebAssembly target, once: `rustup target add wasm32-unknown-unknown`.\n\n\
```sh\n\
cargo test                                                   # the logic and scores, natively\n\
cargo build --release --target wasm32-unknown-unknown        # the module\n\
campo plugin check target/wasm32-unknown-unknown/release/{module}.wasm --input sample.json\n\
```\n\n\
`campo plugin check` loads the module as the server would, prints its ABI version, entry points,\n\
memory and limits, and runs it on `sample.json` (bare answers, a submission body or an ABI envelope).\n\
It exits non-zero with the reason when the server would refuse the module.\n\n\
## Publish\n\n\
Copy the `.wasm` into your study bundle (say `plugins/{module}.wasm`), name it as the form's `logic`\n\
and/or `scoring` in `manifest.json`, give the form a new `version`, and install the bundle:\n\
`campo study install DIR --db URL` (or `POST /api/v1/studies`). The guide served at `/docs` by\n\
`campo serve` explains each step.\n"
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The names under `[dependencies]` of a manifest, in order.
    fn dependencies(manifest: &str) -> Vec<String> {
        let section = manifest.split("[dependencies]").nth(1).unwrap_or("");
        let section = section.split("\n[").next().unwrap_or("");
        section
            .lines()
            .filter_map(|l| l.split(['=', '.']).next().map(str::trim))
            .filter(|name| !name.is_empty() && !name.starts_with('#'))
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn the_vendored_sdk_manifest_names_the_sdks_dependencies() {
        let sdk = include_str!("../../../../sdk/Cargo.toml");
        assert_eq!(dependencies(&sdk_manifest()), dependencies(sdk));
        assert!(!sdk_manifest().contains("workspace"), "it stands alone");
    }

    #[test]
    fn the_embedded_sdk_has_its_sources() {
        assert!(SDK_SOURCES.get_file("lib.rs").is_some() && SDK_SOURCES.get_file("__abi.rs").is_some());
        assert!(SDK_ABI.contains("campo_abi_v1"));
    }
}
