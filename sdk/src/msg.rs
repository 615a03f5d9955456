use serde::{Deserialize, Serialize};

/// A message for the person filling the form, in Spanish (first) and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Msg {
    pub es: String,
    pub en: String,
}

impl Msg {
    pub fn new(es: impl Into<String>, en: impl Into<String>) -> Self {
        Msg { es: es.into(), en: en.into() }
    }
}
