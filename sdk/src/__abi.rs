//! The wasm side of ABI v1 (see `sdk/ABI.md`). Plugin authors never touch this module: the
//! [`crate::plugin!`] macro calls into it from the exported entry points.

use crate::{Input, Logic, Scores};

/// Set in the low half of the packed result when the payload is an error message.
const ERROR_FLAG: u32 = 1 << 31;

/// Hands the host a buffer of `len` bytes in linear memory to write the input into.
pub fn alloc(len: u32) -> u32 {
    let mut buffer = Vec::<u8>::with_capacity(len as usize);
    let ptr = buffer.as_mut_ptr();
    std::mem::forget(buffer);
    ptr as usize as u32
}

/// Frees a buffer from [`alloc`] or a result returned by an entry point.
pub fn dealloc(ptr: u32, len: u32) {
    if ptr == 0 {
        return;
    }
    // SAFETY: `ptr` came from `alloc(len)` or from `pack`, both of which leak a Vec<u8> whose
    // capacity is exactly `len`; the host hands each buffer back at most once.
    unsafe { drop(Vec::from_raw_parts(ptr as usize as *mut u8, 0, len as usize)) }
}

fn input<'a>(ptr: u32, len: u32) -> &'a [u8] {
    // SAFETY: the host wrote `len` bytes at `ptr`, a buffer it obtained from `alloc(len)`.
    unsafe { std::slice::from_raw_parts(ptr as usize as *const u8, len as usize) }
}

/// Packs a result buffer as `ptr << 32 | len`, with the error flag in bit 31 of `len`.
fn pack(mut bytes: Vec<u8>, error: bool) -> u64 {
    bytes.shrink_to_fit();
    let len = (bytes.len() as u32).min(ERROR_FLAG - 1);
    let ptr = bytes.as_mut_ptr() as usize as u32;
    std::mem::forget(bytes);
    (u64::from(ptr) << 32) | u64::from(if error { len | ERROR_FLAG } else { len })
}

fn run<T: serde::Serialize>(ptr: u32, len: u32, entry: impl FnOnce(&Input) -> T) -> u64 {
    let bytes = input(ptr, len);
    let result = Input::from_envelope(bytes).map(|input| entry(&input));
    dealloc(ptr, len);
    match result.and_then(|out| serde_json::to_vec(&out).map_err(|e| e.to_string())) {
        Ok(json) => pack(json, false),
        Err(message) => pack(message.into_bytes(), true),
    }
}

pub fn run_logic(ptr: u32, len: u32, entry: fn(&Input, &mut Logic)) -> u64 {
    run(ptr, len, |input| {
        let mut out = Logic::default();
        entry(input, &mut out);
        out
    })
}

pub fn run_score(ptr: u32, len: u32, entry: fn(&Input, &mut Scores)) -> u64 {
    run(ptr, len, |input| {
        let mut out = Scores::default();
        entry(input, &mut out);
        out
    })
}
