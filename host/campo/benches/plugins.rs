//! Plugin runtime benchmark (issue "plugin runtime"): in one run, on the seed studies' real
//! logic and scoring plugins and generated responses,
//!   - instantiate only (a pooled instance from `InstancePre`, dropped),
//!   - a full call as the server makes it (warm instance reset after every call),
//!   - the naive design: a fresh pooled instance per call,
//!   - the same plugin crate compiled natively, on the same input bytes (parse the envelope,
//!     run the entry point, serialize the result: the same work the guest does).
//! Run: cargo bench -p campo --bench plugins   (results and history in BENCHMARKS.md)

use std::{hint::black_box, time::Instant};

use campo_domain::PluginHash;
use campo_runtime::{Entry, Limits, Runtime};
use campo_sdk::{Input, Logic, Scores};
use rand::SeedableRng;
use serde_json::{Value, json};

const RESPONSES: usize = 200;
const ROUNDS: usize = 5;

struct Case {
    name: &'static str,
    study: &'static str,
    form: &'static str,
    plugin: &'static str,
    native: Native,
}

/// The entry point under test, as the native build exposes it.
#[derive(Clone, Copy)]
enum Native {
    Logic(fn(&Input, &mut Logic)),
    Score(fn(&Input, &mut Scores)),
}

impl Native {
    fn entry(self) -> Entry {
        match self {
            Native::Logic(_) => Entry::Logic,
            Native::Score(_) => Entry::Score,
        }
    }

    /// What the guest does for one call: parse the envelope, run, serialize the result.
    fn call(self, envelope: &[u8]) -> Vec<u8> {
        let input = Input::from_envelope(envelope).expect("envelope");
        match self {
            Native::Logic(logic) => {
                let mut out = Logic::default();
                logic(&input, &mut out);
                serde_json::to_vec(&out).unwrap()
            }
            Native::Score(score) => {
                let mut out = Scores::default();
                score(&input, &mut out);
                serde_json::to_vec(&out).unwrap()
            }
        }
    }
}

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let runtime = Runtime::new(None).expect("runtime");
    let cases = [
        Case { name: "mujeres-migrantes-rm logic", study: "mujeres-migrantes-rm", form: "cuestionario", plugin: "mujeres_migrantes_logic.wasm", native: Native::Logic(mujeres_migrantes_logic::logic) },
        Case { name: "mujeres-migrantes-rm scoring", study: "mujeres-migrantes-rm", form: "cuestionario", plugin: "mujeres_migrantes_scoring.wasm", native: Native::Score(mujeres_migrantes_scoring::score) },
        Case { name: "3x1-migrantes logic", study: "3x1-migrantes", form: "proyecto", plugin: "tres_por_uno_logic.wasm", native: Native::Logic(tres_por_uno_logic::logic) },
        Case { name: "3x1-migrantes scoring", study: "3x1-migrantes", form: "proyecto", plugin: "tres_por_uno_scoring.wasm", native: Native::Score(tres_por_uno_scoring::score) },
    ];
    println!("{:<30} {:>12} {:>12} {:>12} {:>12} {:>9} {:>9}", "plugin", "native µs", "instant. µs", "call µs", "fresh µs", "call/nat", "fresh/nat");
    for case in cases {
        let bundle = root.join("studies").join(case.study);
        let wasm = std::fs::read(bundle.join("plugins").join(case.plugin)).expect("built plugin");
        let manifest: Value = serde_json::from_str(&std::fs::read_to_string(bundle.join("manifest.json")).unwrap()).unwrap();
        let mut settings = manifest["settings"].as_object().cloned().unwrap_or_default();
        if let Some(form) = manifest["forms"].as_array().unwrap().iter().find(|f| f["id"] == case.form) {
            settings.extend(form["settings"].as_object().cloned().unwrap_or_default());
        }
        let hash = PluginHash::of(&wasm);
        runtime.load(&hash, &wasm).expect("plugin loads");
        let mut rng = rand::rngs::StdRng::seed_from_u64(2026);
        let inputs: Vec<Vec<u8>> = (0..RESPONSES)
            .map(|_| {
                let answers = generator(case.study).answers(case.form, &mut rng).expect("generator");
                serde_json::to_vec(&json!({"abi": 1, "study": case.study, "form": case.form, "version": "bench", "answers": answers, "settings": settings})).unwrap()
            })
            .collect();
        let limits = Limits::DEFAULT;
        let entry = case.native.entry();

        // The guest and the native build must agree before their speed is compared.
        for input in &inputs {
            let wasm_out = runtime.evaluate::<serde_json::Value>(&hash, entry, input, &limits).expect("wasm runs");
            assert_eq!(wasm_out, serde_json::from_slice::<Value>(&case.native.call(input)).unwrap(), "wasm and native disagree");
        }

        let native = best_of(|| {
            for input in &inputs {
                black_box(case.native.call(input));
            }
        }) / RESPONSES as f64;
        let instantiate = best_of(|| {
            for _ in &inputs {
                runtime.bench_instantiate(&hash).unwrap();
            }
        }) / RESPONSES as f64;
        let call = best_of(|| {
            for input in &inputs {
                black_box(runtime.evaluate::<serde_json::Value>(&hash, entry, input, &limits).unwrap());
            }
        }) / RESPONSES as f64;
        let fresh = best_of(|| {
            for input in &inputs {
                black_box(runtime.bench_evaluate_fresh(&hash, entry, input, &limits).unwrap());
            }
        }) / RESPONSES as f64;
        println!(
            "{:<30} {:>12.2} {:>12.2} {:>12.2} {:>12.2} {:>8.2}× {:>8.2}×",
            case.name, native, instantiate, call, fresh, call / native, fresh / native
        );
    }
}

/// Mean µs of the fastest of `ROUNDS` runs (after one warm-up run).
fn best_of(mut run: impl FnMut()) -> f64 {
    run();
    (0..ROUNDS)
        .map(|_| {
            let started = Instant::now();
            run();
            started.elapsed().as_secs_f64() * 1e6
        })
        .fold(f64::INFINITY, f64::min)
}

/// The shipped generator of a seed study.
fn generator(study: &str) -> Box<dyn campo_gen::StudyGenerator> {
    campo_studies::generators().into_iter().find(|g| g.study() == study).expect("a shipped generator")
}
