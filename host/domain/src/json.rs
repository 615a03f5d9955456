//! JSON as Campo hashes and parses it.

use sha2::{Digest, Sha256};

use serde_json::Value;

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Why bytes did not parse into a type: they are not JSON at all, or JSON of the wrong shape.
#[derive(Debug)]
pub enum JsonParseError {
    Malformed(serde_json::Error),
    Shape(serde_json::Error),
}

/// Parses `bytes` into `T` once; only when that fails are they read again as plain JSON, to
/// tell malformed JSON from the wrong shape (a typed parse stops at the first error of either
/// kind, so it cannot tell them apart by itself).
pub fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, JsonParseError> {
    serde_json::from_slice(bytes).map_err(|shape| match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
        Err(syntax) => JsonParseError::Malformed(syntax),
        Ok(_) => JsonParseError::Shape(shape),
    })
}

/// JSON with object keys sorted at every level: the bytes a content hash is taken over.
pub fn canonical_json(value: &Value) -> String {
    let mut out = Vec::new();
    write_canonical_json(value, &mut out);
    // serde_json writes UTF-8 only.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Appends `value` as canonical JSON (compact, object keys sorted) without copying it: keys and
/// scalars are written by serde_json straight into `out`.
pub fn write_canonical_json(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_unstable();
            out.push(b'{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json(key, out);
                out.push(b':');
                write_canonical_json(&map[key], out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical_json(item, out);
            }
            out.push(b']');
        }
        scalar => write_json(scalar, out),
    }
}

/// A string or scalar as compact JSON. Writing into a `Vec` cannot fail, and neither can
/// serialising a string or a JSON scalar.
fn write_json<T: serde::Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) {
    let _ = serde_json::to_writer(out, value);
}
