//! A plugin that misbehaves on request (`answers.mode`), so the tests can check that the host
//! stops each kind of misbehaviour with a clear error and keeps serving. With `mode` = "ok" it
//! behaves, and reports how many calls its instance has seen: a host that leaks state between
//! evaluations would report more than one.
#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicU64, Ordering};

use campo_sdk::prelude::*;

static CALLS: AtomicU64 = AtomicU64::new(0);

pub fn logic(input: &Input, out: &mut Logic) {
    let calls = CALLS.fetch_add(1, Ordering::Relaxed) + 1;
    match input.answers().str("mode").unwrap_or("ok") {
        "loop" => loop {
            std::hint::black_box(CALLS.load(Ordering::Relaxed));
        },
        "memory" => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(vec![1u8; 1 << 20]);
                std::hint::black_box(&hoard);
            }
        }
        "recursion" => {
            out.compute("depth", recurse(std::hint::black_box(u64::MAX)));
        }
        "panic" => panic!("a designer's bug"),
        "flood" => {
            // About 2.5 MB of result: over the 1 MiB output limit, well within the fuel.
            for i in 0..8_000 {
                out.warning(format!("q{i}"), "flood", msg!("x".repeat(128), "y".repeat(128)));
            }
        }
        _ => {
            out.compute("calls", calls);
        }
    }
}

fn recurse(n: u64) -> u64 {
    if n == 0 { 0 } else { 1 + recurse(std::hint::black_box(n - 1)) }
}

pub fn score(input: &Input, out: &mut Scores) {
    let calls = CALLS.fetch_add(1, Ordering::Relaxed) + 1;
    if input.answers().is("mode", "panic_score") {
        panic!("scoring bug");
    }
    out.set("calls", Some(calls as f64));
}

campo_sdk::plugin!(logic = logic, score = score);
