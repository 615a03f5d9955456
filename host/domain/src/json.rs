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

/// Why a request body is not acceptable JSON, with where (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonSyntaxError {
    #[error("the body is not UTF-8 text")]
    NotUtf8,
    #[error("the key \"{key}\" appears twice in one object (line {line}, column {column})")]
    DuplicateKey { key: String, line: usize, column: usize },
    #[error("the body nests arrays and objects too deeply (line {line}, column {column})")]
    TooDeep { line: usize, column: usize },
    #[error("the body is not JSON: {detail}")]
    Syntax { detail: String, line: usize, column: usize },
}

impl JsonSyntaxError {
    /// The same in Spanish.
    pub fn message_es(&self) -> String {
        match self {
            JsonSyntaxError::NotUtf8 => "El cuerpo no es texto UTF-8".into(),
            JsonSyntaxError::DuplicateKey { key, line, column } => {
                format!("La clave «{}» aparece dos veces en un mismo objeto (línea {line}, columna {column})", crate::clip(key, 100))
            }
            JsonSyntaxError::TooDeep { line, column } => {
                format!("El cuerpo anida listas y objetos demasiado hondo (línea {line}, columna {column})")
            }
            JsonSyntaxError::Syntax { line, column, .. } if *line == 0 => {
                let _ = column;
                "El cuerpo no es JSON: está vacío o termina antes de tiempo".into()
            }
            JsonSyntaxError::Syntax { line, column, .. } => format!("El cuerpo no es JSON válido (línea {line}, columna {column})"),
        }
    }
}

/// Checks that `bytes` are one JSON document a request may carry: UTF-8, well-formed, nested at
/// most serde_json's 128 levels, and with no key twice in an object (JSON parsers disagree on
/// which of two equal keys wins, so a body with both is refused rather than guessed at).
pub fn check_json(bytes: &[u8]) -> Result<(), JsonSyntaxError> {
    use serde::de::Deserializer as _;
    if std::str::from_utf8(bytes).is_err() {
        return Err(JsonSyntaxError::NotUtf8);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let outcome = de.deserialize_any(strict::Strict).and_then(|()| de.end());
    outcome.map_err(|e| {
        let (line, column) = (e.line(), e.column());
        let text = e.to_string();
        if let Some(key) = strict::duplicate_key(&text) {
            JsonSyntaxError::DuplicateKey { key, line, column }
        } else if text.starts_with("recursion limit exceeded") {
            JsonSyntaxError::TooDeep { line, column }
        } else {
            JsonSyntaxError::Syntax { detail: text, line, column }
        }
    })
}

/// [`check_json`], then the typed parse: a request body's two steps.
pub fn parse_request_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, RequestJsonError> {
    check_json(bytes).map_err(RequestJsonError::Malformed)?;
    serde_json::from_slice(bytes).map_err(RequestJsonError::Shape)
}

/// Why a request body did not parse: not acceptable JSON (400), or JSON of the wrong shape (422).
#[derive(Debug)]
pub enum RequestJsonError {
    Malformed(JsonSyntaxError),
    Shape(serde_json::Error),
}

mod strict {
    //! A visitor that walks a whole document and refuses duplicate keys.

    use std::{borrow::Cow, collections::HashSet, fmt};

    use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

    const DUPLICATE: &str = "duplicate key ";

    /// The key named by a duplicate-key error's text.
    pub(super) fn duplicate_key(message: &str) -> Option<String> {
        let rest = message.strip_prefix(DUPLICATE)?;
        let end = rest.rfind(" at line ").unwrap_or(rest.len());
        serde_json::from_str(&rest[..end]).ok()
    }

    pub(super) struct Strict;

    impl<'de> DeserializeSeed<'de> for Strict {
        type Value = ();
        fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
            deserializer.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Strict {
        type Value = ();

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any JSON value")
        }

        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_str<E>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while seq.next_element_seed(Strict)?.is_some() {}
            Ok(())
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            // Most objects are small: a list is cheaper than a set until it is not.
            let mut small: Vec<Cow<'de, str>> = Vec::new();
            let mut large: Option<HashSet<Cow<'de, str>>> = None;
            while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                let seen = match &mut large {
                    Some(set) => !set.insert(key.clone()),
                    None if small.len() >= 16 => {
                        let mut set: HashSet<Cow<'de, str>> = small.drain(..).collect();
                        let seen = !set.insert(key.clone());
                        large = Some(set);
                        seen
                    }
                    None => {
                        let seen = small.contains(&key);
                        small.push(key.clone());
                        seen
                    }
                };
                if seen {
                    let quoted = serde_json::to_string(&key).unwrap_or_default();
                    return Err(de::Error::custom(format!("{DUPLICATE}{quoted}")));
                }
                map.next_value_seed(Strict)?;
            }
            Ok(())
        }
    }
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

#[cfg(test)]
mod strict_tests {
    use super::*;

    #[test]
    fn request_bodies_are_refused_for_duplicate_keys_bad_text_and_depth() {
        assert_eq!(check_json(br#"{"a": {"b": 1, "c": [1, {"d": null}]}, "e": "x"}"#), Ok(()));
        match check_json(br#"{"a05_edad": 200, "a05_edad": 44}"#) {
            Err(JsonSyntaxError::DuplicateKey { key, line: 1, .. }) => assert_eq!(key, "a05_edad"),
            other => panic!("{other:?}"),
        }
        // Escaped keys are compared as the text they stand for.
        assert!(matches!(check_json(br#"{"a": 1, "\u0061": 2}"#), Err(JsonSyntaxError::DuplicateKey { .. })));
        // A large object switches to a set and still sees the duplicate.
        let many: String = (0..40).map(|i| format!("\"k{i}\": {i},")).collect();
        assert!(matches!(check_json(format!("{{{many} \"k3\": 0}}").as_bytes()), Err(JsonSyntaxError::DuplicateKey { .. })));
        assert_eq!(check_json(b"{\"a\": \"\xff\"}"), Err(JsonSyntaxError::NotUtf8));
        let deep = "[".repeat(100_000);
        assert!(matches!(check_json(deep.as_bytes()), Err(JsonSyntaxError::TooDeep { .. })));
        assert!(matches!(check_json(b"{\"a\": 1} trailing"), Err(JsonSyntaxError::Syntax { .. })));
        assert!(matches!(check_json(b""), Err(JsonSyntaxError::Syntax { .. })));
        for e in [JsonSyntaxError::NotUtf8, JsonSyntaxError::TooDeep { line: 1, column: 2 }] {
            assert!(!e.message_es().contains(" the "), "{}", e.message_es());
        }
    }
}
