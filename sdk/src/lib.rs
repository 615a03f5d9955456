//! `campo-sdk`: what a study designer depends on to write a Campo plugin.
//!
//! A plugin is ordinary Rust. It reads a response through [`Answers`], says which questions
//! are relevant or required, what is computed and which constraints fail through [`Logic`],
//! and computes named scores through [`Scores`]. One line registers the entry points:
//!
//! ```ignore
//! use campo_sdk::prelude::*;
//!
//! fn logic(input: &Input, out: &mut Logic) {
//!     let a = input.answers();
//!     out.relevant("pais_otro", a.is("pais", "otro"));
//!     if a.int("edad").is_some_and(|e| e < 18) {
//!         out.error("edad", "menor_de_edad", msg!("Debe ser mayor de edad", "Must be an adult"));
//!     }
//! }
//!
//! fn score(input: &Input, out: &mut Scores) {
//!     out.set("edad_decadas", input.answers().num("edad").map(|e| e / 10.0));
//! }
//!
//! campo_sdk::plugin!(logic = logic, score = score);
//! ```
//!
//! All `unsafe` and all ABI plumbing lives in this crate (module `__abi`), behind the
//! versioned boundary documented in `sdk/ABI.md`. Plugins compile natively too, so their
//! logic is unit-tested with plain `cargo test`.

mod answers;
mod date;
mod msg;
mod output;

#[doc(hidden)]
pub mod __abi;

pub use answers::{Answers, Settings};
pub use date::Date;
pub use msg::Msg;
pub use output::{FieldState, Issue, Logic, Score, Scores, Severity};
pub use serde_json::{Value, json};

/// The ABI version this SDK speaks; the module exports `campo_abi_v1` as its marker.
pub const ABI_VERSION: u32 = 1;

/// Everything a plugin entry point receives: which form, the answers (possibly partial for
/// logic, complete and valid for scoring) and the form version's settings.
#[derive(Debug, Clone)]
pub struct Input {
    study: String,
    form: String,
    version: String,
    answers: Value,
    settings: Value,
}

impl Input {
    /// An input for native tests: `Input::new(json!({...}))`.
    pub fn new(answers: Value) -> Self {
        Input {
            study: String::new(),
            form: String::new(),
            version: String::new(),
            answers,
            settings: Value::Object(Default::default()),
        }
    }

    /// The same input with these settings (as the manifest would pin them).
    pub fn with_settings(mut self, settings: Value) -> Self {
        self.settings = settings;
        self
    }

    /// The same input addressed to a form (for plugins that serve several forms).
    pub fn for_form(mut self, form: &str) -> Self {
        self.form = form.to_string();
        self
    }

    pub fn study(&self) -> &str {
        &self.study
    }
    pub fn form(&self) -> &str {
        &self.form
    }
    pub fn version(&self) -> &str {
        &self.version
    }
    pub fn answers(&self) -> Answers<'_> {
        Answers::root(&self.answers)
    }
    pub fn settings(&self) -> Settings<'_> {
        Settings::new(&self.settings)
    }

    /// Decodes the ABI input envelope `{"abi","study","form","version","answers","settings"}`.
    pub fn from_envelope(bytes: &[u8]) -> Result<Self, String> {
        let mut envelope: Value =
            serde_json::from_slice(bytes).map_err(|e| format!("input is not JSON: {e}"))?;
        let take = |v: &mut Value, key: &str| v.get_mut(key).map(Value::take);
        let text = |v: Option<Value>| match v {
            Some(Value::String(s)) => s,
            _ => String::new(),
        };
        let answers = match take(&mut envelope, "answers") {
            Some(v @ Value::Object(_)) => v,
            Some(_) => return Err("input.answers must be an object".into()),
            None => Value::Object(Default::default()),
        };
        let settings = match take(&mut envelope, "settings") {
            Some(v @ Value::Object(_)) => v,
            _ => Value::Object(Default::default()),
        };
        Ok(Input {
            study: text(take(&mut envelope, "study")),
            form: text(take(&mut envelope, "form")),
            version: text(take(&mut envelope, "version")),
            answers,
            settings,
        })
    }
}

/// `msg!("texto en español", "English text")`: a message in both of Campo's languages.
#[macro_export]
macro_rules! msg {
    ($es:expr, $en:expr $(,)?) => {
        $crate::Msg::new($es, $en)
    };
}

/// Registers a plugin's entry points and emits the ABI exports when built for wasm32.
///
/// `campo_sdk::plugin!(logic = my_logic)`, `campo_sdk::plugin!(score = my_score)` or both.
/// On native targets it emits nothing, so several plugins can be linked into one test or
/// benchmark binary.
#[macro_export]
macro_rules! plugin {
    ($($capability:ident = $entry:path),+ $(,)?) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            #[unsafe(no_mangle)]
            pub extern "C" fn campo_abi_v1() {}

            #[unsafe(no_mangle)]
            pub extern "C" fn campo_alloc(len: u32) -> u32 {
                $crate::__abi::alloc(len)
            }

            #[unsafe(no_mangle)]
            pub extern "C" fn campo_dealloc(ptr: u32, len: u32) {
                $crate::__abi::dealloc(ptr, len)
            }

            $( $crate::__plugin_entry!($capability, $entry); )+
        };
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __plugin_entry {
    (logic, $entry:path) => {
        #[unsafe(no_mangle)]
        pub extern "C" fn campo_logic(ptr: u32, len: u32) -> u64 {
            $crate::__abi::run_logic(ptr, len, $entry)
        }
    };
    (score, $entry:path) => {
        #[unsafe(no_mangle)]
        pub extern "C" fn campo_score(ptr: u32, len: u32) -> u64 {
            $crate::__abi::run_score(ptr, len, $entry)
        }
    };
}

pub mod prelude {
    //! `use campo_sdk::prelude::*;` brings in what a plugin needs.
    pub use crate::{Answers, Date, Input, Logic, Msg, Scores, Settings, Severity, Value, json, msg};
}
