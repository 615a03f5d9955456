use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::Date;

/// A read-only view of a response's answers, rooted at the response or at one item of a
/// repeat group.
///
/// Paths are question ids joined with `/` (`"hogar/b01_n_personas"`), relative to the view;
/// a path starting with `/` is an absolute JSON Pointer into the whole response. A missing
/// answer and an explicit `null` read the same: as `None`.
#[derive(Debug, Clone)]
pub struct Answers<'a> {
    root: &'a Value,
    here: &'a Value,
    /// JSON Pointer of `here` in the response (`""` at the root).
    base: String,
}

impl<'a> Answers<'a> {
    pub(crate) fn root(root: &'a Value) -> Self {
        Answers { root, here: root, base: String::new() }
    }

    /// The JSON Pointer of `path` in the whole response: what [`crate::Logic`] reports.
    pub fn at(&self, path: &str) -> String {
        if path.starts_with('/') {
            return path.to_string();
        }
        let mut pointer = self.base.clone();
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            pointer.push('/');
            pointer.push_str(&segment.replace('~', "~0"));
        }
        pointer
    }

    /// The raw answer at `path`, `None` when absent or `null`.
    pub fn get(&self, path: &str) -> Option<&'a Value> {
        let found = if path.starts_with('/') {
            self.root.pointer(path)
        } else {
            path.split('/')
                .filter(|s| !s.is_empty())
                .try_fold(self.here, |v, key| match v {
                    Value::Object(map) => map.get(key),
                    Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
                    _ => None,
                })
        };
        found.filter(|v| !v.is_null())
    }

    /// Whether the question has an answer (an empty text or list counts as no answer).
    pub fn has(&self, path: &str) -> bool {
        match self.get(path) {
            None => false,
            Some(Value::String(s)) => !s.trim().is_empty(),
            Some(Value::Array(items)) => !items.is_empty(),
            Some(_) => true,
        }
    }

    pub fn str(&self, path: &str) -> Option<&'a str> {
        self.get(path).and_then(Value::as_str)
    }

    /// An integer answer; a decimal with no fractional part reads as an integer too.
    pub fn int(&self, path: &str) -> Option<i64> {
        let v = self.get(path)?;
        v.as_i64().or_else(|| v.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
    }

    pub fn num(&self, path: &str) -> Option<f64> {
        self.get(path).and_then(Value::as_f64)
    }

    /// `true` when the single-choice question at `path` has the option `code`.
    pub fn is(&self, path: &str, code: &str) -> bool {
        self.str(path) == Some(code)
    }

    /// `true` when the single-choice answer is one of `codes`.
    pub fn is_any(&self, path: &str, codes: &[&str]) -> bool {
        self.str(path).is_some_and(|v| codes.contains(&v))
    }

    /// The codes chosen in a multiple-choice question (an array of strings).
    pub fn choices(&self, path: &str) -> Vec<&'a str> {
        match self.get(path) {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// `true` when the multiple-choice question at `path` includes `code`.
    pub fn has_choice(&self, path: &str, code: &str) -> bool {
        self.choices(path).contains(&code)
    }

    /// A date answer (`YYYY-MM-DD`).
    pub fn date(&self, path: &str) -> Option<Date> {
        self.str(path).and_then(Date::parse)
    }

    pub fn bool(&self, path: &str) -> Option<bool> {
        self.get(path).and_then(Value::as_bool)
    }

    /// The items of the repeat group at `path`, each a view rooted at that item.
    pub fn repeat(&self, path: &str) -> impl Iterator<Item = Answers<'a>> + 'a {
        let items: &'a [Value] = match self.get(path) {
            Some(Value::Array(items)) => items,
            _ => &[],
        };
        let root = self.root;
        let parent = self.at(path);
        items.iter().enumerate().map(move |(index, here)| Answers {
            root,
            here,
            base: format!("{parent}/{index}"),
        })
    }

    /// Number of items in the repeat group at `path`.
    pub fn count(&self, path: &str) -> usize {
        match self.get(path) {
            Some(Value::Array(items)) => items.len(),
            _ => 0,
        }
    }

    /// The whole answer object of this view.
    pub fn value(&self) -> &'a Value {
        self.here
    }
}

/// A form version's settings, as pinned by the study bundle: weights, reference values,
/// tables. Read them by `/`-joined path, or deserialize a part into your own type.
#[derive(Debug, Clone, Copy)]
pub struct Settings<'a> {
    root: &'a Value,
}

impl<'a> Settings<'a> {
    pub(crate) fn new(root: &'a Value) -> Self {
        Settings { root }
    }

    pub fn get(&self, path: &str) -> Option<&'a Value> {
        Answers::root(self.root).get(path)
    }

    pub fn num(&self, path: &str) -> Option<f64> {
        self.get(path).and_then(Value::as_f64)
    }

    /// A number, or `default` when the setting is absent.
    pub fn num_or(&self, path: &str, default: f64) -> f64 {
        self.num(path).unwrap_or(default)
    }

    pub fn str(&self, path: &str) -> Option<&'a str> {
        self.get(path).and_then(Value::as_str)
    }

    pub fn bool_or(&self, path: &str, default: bool) -> bool {
        self.get(path).and_then(Value::as_bool).unwrap_or(default)
    }

    /// Deserializes the setting at `path` (the whole settings object for `""`).
    pub fn parse<T: DeserializeOwned>(&self, path: &str) -> Result<T, String> {
        let value = if path.is_empty() { Some(self.root) } else { self.get(path) };
        let value = value.ok_or_else(|| format!("setting {path:?} is missing"))?;
        T::deserialize(value).map_err(|e| format!("setting {path:?}: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_resolve_relative_to_the_view_and_absolute_from_the_root() {
        let v = json!({"g": {"edad": 30, "pais": "peru"}, "miembros": [{"edad": 4}, {"edad": null}]});
        let a = Answers::root(&v);
        assert_eq!(a.int("g/edad"), Some(30));
        assert!(a.is("g/pais", "peru"));
        assert_eq!(a.at("g/edad"), "/g/edad");
        let items: Vec<_> = a.repeat("miembros").collect();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].int("edad"), Some(4));
        assert_eq!(items[1].int("edad"), None);
        assert_eq!(items[1].at("edad"), "/miembros/1/edad");
        assert_eq!(items[1].int("/g/edad"), Some(30));
    }

    #[test]
    fn empty_text_and_empty_lists_are_no_answer() {
        let v = json!({"t": "  ", "m": [], "n": 0});
        let a = Answers::root(&v);
        assert!(!a.has("t"));
        assert!(!a.has("m"));
        assert!(a.has("n"));
        assert!(!a.has("missing"));
    }
}
